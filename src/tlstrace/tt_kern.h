/* tlstrace's kernel side from userspace: load the embedded object with its
 * configuration, hold the two raw tracepoints, put the uprobes on each TLS
 * library or executable, read the counters. */
#ifndef NF_TT_KERN_H
#define NF_TT_KERN_H
#include <stddef.h>
#include <stdint.h>
#include "kern/load.h"
#include "attach/perf_event.h"
#include "parse/elf_sym.h"
#include "tlstrace.h"

/* The command's choices, made once (tlstrace.c reads the environment). */
struct tt_kern_opts {
	int force_perf;            /* perf buffer even where ringbuf exists */
	int force_ioctl;           /* uprobes through PERF_EVENT_IOC_SET_BPF */
	uint32_t ring_bytes;       /* ring buffer size; 0: the default */
	/* TT_LIB_BIT mask: only these libraries' programs are loaded (the
	 * named files hold no others); 0: every library's (discovery). */
	unsigned libs;
};

struct tt_kern {
	struct nf_obj obj;
	struct nf_bpf b;
	struct tt_kern_opts opts;
	int use_perf;
	int events_fd;             /* ring buffer or perf event array */
	int stats_fd;
	int tp_fds[2];             /* raw tracepoints: sys_enter, sched_process_exec */
	struct nf_perf_link *probes;
	size_t nprobes, cap;
	size_t nfiles;             /* files with at least one probe */
	unsigned libs;             /* TT_LIB_BIT of each library probed */
};

/* Load with cfg (filters and max_bytes filled in; TT_C_PERF decided here)
 * and attach the raw tracepoints. 0 or -errno with the error logged. */
int tt_kern_load(struct tt_kern *k, struct tt_config *cfg, const struct tt_kern_opts *o);
uint32_t tt_kern_events_type(const struct tt_kern *k);
/* Probe every function of every TLS library the file holds (entry and
 * return; tt_funcs.h).
 * path is how the kernel reaches the file (e.g. /proc/PID/root/...).
 * The number of functions probed (0: none defined), or -errno with
 * nf_lasterr() naming the probe. */
int tt_kern_probe_file(struct tt_kern *k, const char *path, const struct nf_host_elf *h);
/* 1 if the file defines any function tlstrace probes. */
int tt_kern_wants_file(const struct nf_host_elf *h);
/* NSS's libssl3 spans [lo, hi) in process tgid; lo == hi: it maps none
 * (any earlier range is dropped). 0 or -errno. */
int tt_kern_nss_range(const struct tt_kern *k, uint32_t tgid, uint64_t lo, uint64_t hi);
/* Counters summed over CPUs. 0 or -errno. */
int tt_kern_counters(const struct tt_kern *k, struct tt_counters *out);
/* The calls the kernel holds between entry and return, at exit: those
 * of tasks that are gone (killed or exited inside the call: its bytes were
 * never captured) and those still in progress. */
struct tt_open_calls {
	uint64_t gone, in_progress;
};
void tt_kern_open_calls(const struct tt_kern *k, struct tt_open_calls *n);
/* The kernel's generation of (tgid, fd) now, as calls carry it: 0, or
 * -ENOENT when it holds none (closed since the call, or never seen). */
int tt_kern_fd_gen(const struct tt_kern *k, uint32_t tgid, int fd, uint64_t *gen);
/* Runs the kernel skipped because another BPF program was running on
 * that CPU (bpf_prog_info.recursion_misses, 5.12+; 0 before): each is a
 * probe hit, a call's entry or return, that nothing recorded. */
uint64_t tt_kern_missed(const struct tt_kern *k);
/* Detach everything and unload. Harmless on a failed or zeroed k. */
void tt_kern_close(struct tt_kern *k);

#endif
