/* UAPI values newer than the oldest kernel headers nflux builds against
 * (Debian 12's are 6.1): defined once, under our own names, so that newer
 * headers (where they are enum members) never clash. */
#ifndef NF_BPF_COMPAT_H
#define NF_BPF_COMPAT_H
#include <linux/bpf.h>

#define NF_BPF_PERF_EVENT 41   /* attach type of perf-event links (5.15) */
#define NF_BPF_TCX_INGRESS 46  /* tcx links (6.6) */
#define NF_BPF_TCX_EGRESS 47
#ifndef BPF_ENABLE_STATS
#define BPF_ENABLE_STATS 32
#endif

#endif
