/* Internal steps of nf_load (load.c, map_create.c, prog_load.c). */
#ifndef NF_LOAD_INT_H
#define NF_LOAD_INT_H
#include "load.h"

/* Create every map of b->obj into b->map_fds and write internal maps'
 * contents. 0 or -errno with nf_lasterr() set. */
int nf_create_maps(struct nf_bpf *b, const struct nf_features *f);
/* Load the programs of b->obj that opts names (all without a list) into
 * b->prog_fds. 0 or -errno. */
int nf_load_progs(struct nf_bpf *b, const struct nf_load_opts *opts,
		  const struct nf_features *f);
/* Rewrite bpf_probe_read_{user,kernel}[_str] calls to the old helpers. */
void nf_rewrite_probe_read(struct bpf_insn *insns, uint32_t cnt);
/* After EPERM: " (needs root, or CAP_BPF)" when the capability is
 * missing, else " (the RLIMIT_MEMLOCK limit may be too low)"; "" for any
 * other error. */
const char *nf_memlock_hint(int err);

#endif
