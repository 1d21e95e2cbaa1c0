/* Load a fixture for a test: the parsed object (the spec nf_load borrows)
 * lives on the heap beside b, and t_unload frees both. */
#ifndef NF_T_LOAD_H
#define NF_T_LOAD_H
#include "kern/load.h"

/* Parse build/fixtures/NAME.bpf.o and load it. 0 or -errno, with a "# "
 * line saying why. */
int t_load_fixture(struct nf_bpf *b, const char *name, const struct nf_load_opts *o);
/* nf_unload, then free the object t_load_fixture made. */
void t_unload(struct nf_bpf *b);

#endif
