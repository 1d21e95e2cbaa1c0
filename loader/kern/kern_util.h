/* Small kernel-facing helpers shared by kern/, attach/ and read/.
 * The parsers here are pure so unit tests can drive them. */
#ifndef NF_KERN_UTIL_H
#define NF_KERN_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "bpf_cmd.h"

/* Highest CPU number + 1 in a list like "0-3" or "0,2-5\n"; -EINVAL. */
int nf_parse_cpu_list(const char *s);
size_t nf_page_size(void);
/* MemTotal of a /proc/meminfo text, in bytes; 0 when absent or malformed. */
uint64_t nf_parse_meminfo_total(const char *s, size_t len);
/* The machine's memory (/proc/meminfo), in bytes; 0 when unknown. */
uint64_t nf_mem_total(void);
/* Lift RLIMIT_MEMLOCK (needed before 5.11); a refusal is only logged. */
void nf_raise_memlock(void);
/* Close fd through nf_sys if it is >= 0. */
void nf_close(int fd);

static inline uint64_t nf_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif
