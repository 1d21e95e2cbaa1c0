/* The process's effective capabilities, to say why a bpf() or
 * perf_event_open() was refused: a missing capability, or (before 5.11)
 * the memlock limit. */
#ifndef NF_CAPS_H
#define NF_CAPS_H
#include <stdint.h>

#define NF_CAP_NET_ADMIN 12
#define NF_CAP_SYS_ADMIN 21
#define NF_CAP_PERFMON 38
#define NF_CAP_BPF 39
#define NF_CAP(n) (1ull << (n))

/* CapEff from the text of /proc/PID/status (pure). 0 or -EINVAL. */
int nf_parse_cap_eff(const char *status, uint64_t *eff);
/* This process's effective set; all ones when it cannot be read (so that
 * no capability is blamed that may be there). */
uint64_t nf_cap_eff(void);
/* 1 if the effective set has CAP_SYS_ADMIN or every capability of mask. */
int nf_caps_allow(uint64_t mask);

#endif
