/* Fake syscall tables for unit tests. t_fake_sys() fills a table whose
 * every entry fails with ENOSYS, so that code under test never reaches the
 * real kernel through an entry the test did not set; the test then sets
 * the entries it fakes (or passes through, from nf_sys_real, on purpose). */
#ifndef NF_FAKE_SYS_H
#define NF_FAKE_SYS_H
#include "kern/sys.h"

void t_fake_sys(struct nf_sys *t);
/* Make t the live table and forget cached feature probes. */
void t_use_sys(const struct nf_sys *t);
/* Back to the real table (probes forgotten too). */
void t_real_sys(void);

#endif
