/* Which nflux owns a cls_bpf filter. Our filter names carry the pid of the
 * run that made them ("nflux_netrace_in.1234"), so that a run removes the
 * filters a killed run left and leaves those of a run still alive. */
#ifndef NF_NR_OWNER_H
#define NF_NR_OWNER_H
#include <stddef.h>

#define NR_FILTER_PREFIX "nflux"

/* "nflux_netrace_in.PID" or "nflux_netrace_eg.PID" into buf. */
void nr_filter_name(char *buf, size_t len, int ingress, long pid);
/* The pid in such a name, or 0 when it has none (pure). */
long nr_filter_pid(const char *name);
/* 1 if the filter's pid is another live process named nflux*; for
 * nf_tc_cleanup_stale's keep. */
int nr_filter_owner_alive(const char *name);

#endif
