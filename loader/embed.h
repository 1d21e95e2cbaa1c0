/* The BPF objects embedded in the binary (build/embed.S), each packed in
 * NFZ1 (unpack.h) at build time. */
#ifndef NF_EMBED_H
#define NF_EMBED_H
#include <stddef.h>

/* The packed object built from bpf/NAME.bpf.c, as embedded, or NULL. */
const void *nf_embedded(const char *name, size_t *len);
/* That object unpacked, the ELF file itself, into *buf (malloc'd, the
 * caller's to free) of *len bytes. 0, -ENOENT (not embedded), -EINVAL
 * (not a valid NFZ1 blob), -ENOMEM. */
int nf_embedded_unpack(const char *name, void **buf, size_t *len);

#endif
