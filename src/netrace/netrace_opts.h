/* nflux netrace command line. */
#ifndef NF_NETRACE_OPTS_H
#define NF_NETRACE_OPTS_H
#include <stddef.h>
#include <stdint.h>
#include "netrace.h"

#define NR_MAX_IFACE_ARGS 64

struct nr_opts {
	const char *ifaces[NR_MAX_IFACE_ARGS]; /* -i values, pointing into argv */
	size_t nifaces;
	int ingress, egress;          /* directions to attach */
	uint32_t protos;              /* NR_C_TCP | NR_C_UDP | NR_C_ICMP */
	int full_log;                 /* 0 after --disable-full-log */
	uint64_t interval_ns;         /* --log-interval */
	struct nr_prefix hosts[NR_MAX_HOSTS];
	uint32_t nhosts;
	uint16_t ports[NR_MAX_PORTS];
	uint32_t nports;
	uint64_t count;               /* -c; 0 = no limit */
	const char *wfile;            /* -w; NULL = text/JSON to stdout */
	uint32_t snaplen;             /* -s */
	int cleanup;                  /* --cleanup */
	int stats;                    /* --stats: BPF run-time statistics */
	uint64_t buffer_bytes;        /* -B, --buffer-size; 0: sized to the machine */
};

extern const char nr_usage[];

/* Parse argv (argv[0] is "netrace"). 0: run; 1: help was asked for;
 * -1: bad input (one line already logged with nf_err). */
int nr_opts_parse(struct nr_opts *o, int argc, char **argv);
/* "10.0.0.0/8", "2001:db8::1", ... into a prefix. 0 or -1. */
int nr_parse_prefix(const char *s, struct nr_prefix *p);

#endif
