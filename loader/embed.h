/* The BPF objects embedded in the binary (build/embed.S). */
#ifndef NF_EMBED_H
#define NF_EMBED_H
#include <stddef.h>

/* The object built from bpf/NAME.bpf.c, or NULL. */
const void *nf_embedded(const char *name, size_t *len);

#endif
