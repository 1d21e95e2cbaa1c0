/* netrace kernel side from userspace: load the embedded object with its
 * configuration, attach to interfaces, read the counters. */
#ifndef NF_NR_KERN_H
#define NF_NR_KERN_H
#include <stddef.h>
#include <stdint.h>
#include "kern/load.h"
#include "netrace.h"
#include "nr_sink.h"
#include "attach/tc.h"

/* The command's choices, made once (netrace.c reads the environment). */
struct nr_kern_opts {
	int force_perf;            /* perf buffer even where ringbuf exists */
	int force_netlink;         /* TC over netlink even where tcx exists */
	int force_static_funcs;    /* global functions made static, as without kernel BTF */
	int stats;                 /* BPF_ENABLE_STATS while loaded (host-wide cost) */
	uint64_t ring_bytes;       /* -B: the ring buffer's size; 0: sized to the machine */
	/* Where the run will attach: only those programs are loaded (an L2
	 * device needs two of the four). NULL: all of them (tests). */
	const struct nr_iface_ent *ifs;
	size_t nifs;
	int ingress, egress;
};

struct nr_kern {
	struct nf_obj obj;         /* the spec, configured for this run */
	struct nf_bpf b;           /* loaded from obj */
	struct nr_kern_opts opts;
	int use_perf;
	uint32_t ring_size;        /* bytes of the ring buffer (0 with perf) */
	int events_fd;             /* ring buffer or perf event array */
	int stats_fd;              /* per-CPU counters */
	struct nf_tc_link *links;
	size_t nlinks;
	int bpf_stats_fd;          /* BPF_ENABLE_STATS, or -1 */
	uint64_t self_start;       /* our start time, in our filters' names */
};

/* The ring buffer's size (pure): asked (-B) rounded up to a power of two,
 * at least page bytes, at most 1 GiB; or, when 0, sized to the machine's
 * memory mem (0: unknown): for text and JSON 1/64 of it, between 256 KiB
 * and 4 MiB (libpcap's default buffer is 2 MiB); with capture, room for
 * 256 records of snaplen bytes, at most 64 MiB and 1/16 of the memory. */
uint32_t nr_ring_size(uint64_t asked, uint64_t mem, size_t page, int capture, uint32_t snaplen);
/* Load with cfg (flags, snaplen, filters filled in; NR_C_PERF is decided
 * here). o may be NULL (defaults). 0 or -errno with the error logged. */
int nr_kern_load(struct nr_kern *k, struct nr_config *cfg, const struct nr_kern_opts *o);
/* BPF_MAP_TYPE_RINGBUF or BPF_MAP_TYPE_PERF_EVENT_ARRAY: what events_fd is. */
uint32_t nr_kern_events_type(const struct nr_kern *k);
/* Attach ingress and/or egress on each interface; on failure everything
 * attached so far is detached. 0 or -errno with the error logged. */
int nr_kern_attach(struct nr_kern *k, const struct nr_iface_ent *ifs, size_t n, int ingress,
		   int egress);
void nr_kern_detach(struct nr_kern *k);
/* Counters summed over CPUs. 0 or -errno. */
int nr_kern_counters(const struct nr_kern *k, struct nr_counters *out);
/* Average run time per packet over the attached programs (0 if unknown). */
uint64_t nr_kern_avg_ns(const struct nr_kern *k);
void nr_kern_close(struct nr_kern *k);
/* Remove filters left by killed runs on these interfaces (not those of a
 * live nflux): how many. */
int nr_kern_cleanup_stale(const struct nr_iface_ent *ifs, size_t n);

#endif
