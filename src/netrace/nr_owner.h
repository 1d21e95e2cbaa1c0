/* Which nflux owns a cls_bpf filter. Our filter names carry the pid of the
 * run that made them and that process's start time
 * ("nflux_netrace_in.1234.567890"), so that a run removes the filters a
 * killed run left and leaves those of a run still alive: a reused pid has
 * another start time, and a renamed binary is still recognised. */
#ifndef NF_NR_OWNER_H
#define NF_NR_OWNER_H
#include <stddef.h>
#include <stdint.h>

#define NR_FILTER_PREFIX "nflux"
/* Room for the longest name, with tc's "+clsact" mark. */
#define NR_FILTER_NAME_MAX 64

/* "nflux_netrace_in.PID.START" or "nflux_netrace_eg.PID.START" into buf. */
void nr_filter_name(char *buf, size_t len, int ingress, long pid, uint64_t start);
/* The pid in such a name (or in an older "nflux_netrace_in.PID"), or 0
 * when it has none; *start gets the start time, 0 when the name has none
 * (pure). */
long nr_filter_owner(const char *name, uint64_t *start);
/* The start time (field 22, clock ticks after boot) in the text of
 * /proc/PID/stat: 0, or -EINVAL (pure). */
int nr_stat_start(const char *stat, uint64_t *start);
/* This process's start time; 0 when /proc cannot tell. */
uint64_t nr_self_start(void);
/* 1 if the filter's owner is another live process: the same pid with the
 * same start time (for names without one, a process named nflux*). For
 * nf_tc_cleanup_stale's keep. */
int nr_filter_owner_alive(const char *name);

#endif
