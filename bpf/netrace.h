/* netrace: the event record and the configuration shared by the TC programs
 * (bpf/netrace.bpf.c) and userspace (src/netrace*.c). Plain __uN types so it
 * compiles in both worlds; the layout has no implicit padding. */
#ifndef NF_NETRACE_H
#define NF_NETRACE_H
#include <linux/types.h>

#define NR_MAX_HOSTS 8
#define NR_MAX_PORTS 8
/* Largest capture per packet (tcpdump's default snaplen). */
#define NR_SNAP_MAX 262144
/* Perf records carry a u16 size: the perf path captures at most this. */
#define NR_PERF_SNAP_MAX 65000

enum nr_dir { NR_INGRESS = 0, NR_EGRESS = 1 };

/* nr_event.flags */
#define NR_F_VLAN     0x01 /* vlan_tci/vlan_proto are valid */
#define NR_F_PORTS    0x02 /* sport/dport are valid (TCP or UDP header read) */
#define NR_F_ICMP     0x04 /* icmp_type/icmp_code are valid */
#define NR_F_TCPFLAGS 0x08 /* tcp_flags is valid */
#define NR_F_FRAG     0x10 /* an IP fragment */
#define NR_F_L3DEV    0x20 /* the device has no link-layer header */
#define NR_F_VLAN_HW  0x40 /* the tag is not in the captured bytes (stripped) */
#define NR_F_TRUNC    0x80 /* the L4 header could not be read */

/* TCP flag bits, as in the TCP header byte 13. */
#define NR_TCP_FIN 0x01
#define NR_TCP_SYN 0x02
#define NR_TCP_RST 0x04
#define NR_TCP_PSH 0x08
#define NR_TCP_ACK 0x10
#define NR_TCP_URG 0x20
#define NR_TCP_ECE 0x40
#define NR_TCP_CWR 0x80

/* One event. cap_len bytes of the packet, from its first byte (the link
 * header on Ethernet devices), follow the record. */
struct nr_event {
	__u64 ts_ns;           /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u64 supp_pkts;       /* packets of this flow held back before this one */
	__u64 supp_bytes;      /* their IP lengths, summed */
	__u32 ifindex;
	__u32 skb_len;         /* skb->len: the original length for pcapng */
	__u32 ip_len;          /* IP packet length (skb length for GSO) */
	__u32 cap_len;         /* packet bytes following this record */
	__u8 saddr[16];        /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u16 sport, dport;    /* host order */
	__u16 vlan_tci;        /* host order */
	__u16 vlan_proto;      /* host order, 0x8100 or 0x88a8 */
	__u8 dir;              /* enum nr_dir */
	__u8 family;           /* 4 or 6 */
	__u8 proto;            /* IPPROTO_* of the transport header */
	__u8 ttl;              /* TTL or hop limit */
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	__u8 flags;            /* NR_F_* */
};

/* A host filter: (addr & mask) == net, for one family. */
struct nr_prefix {
	__u32 net[4];          /* network byte order, as the address bytes */
	__u32 mask[4];
	__u8 family;           /* 4 or 6 */
	__u8 pad[3];
};

/* nr_config.flags */
#define NR_C_TCP      0x01 /* log TCP */
#define NR_C_UDP      0x02 /* log UDP */
#define NR_C_ICMP     0x04 /* log ICMP and ICMPv6 */
#define NR_C_RATELIM  0x08 /* --disable-full-log: once per interval per flow */
#define NR_C_CAPTURE  0x10 /* copy packet bytes (pcapng) */
#define NR_C_PERF     0x20 /* perf buffer instead of the ring buffer */
#define NR_C_OTHER    0x40 /* log IP protocols other than TCP/UDP/ICMP */

/* The one .rodata variable "nr_cfg", set before load. */
struct nr_config {
	__u64 interval_ns;     /* rate-limit interval */
	__u32 flags;           /* NR_C_* */
	__u32 snaplen;         /* <= NR_SNAP_MAX (NR_PERF_SNAP_MAX with perf) */
	__u32 nhosts, nports;
	struct nr_prefix hosts[NR_MAX_HOSTS];
	__u16 ports[NR_MAX_PORTS]; /* host order */
};

/* Rate-limit flow key and state (LRU hash "nr_flows"). */
struct nr_flow_key {
	__u32 ifindex;
	__u8 dir, family, proto, pad;
	__u16 sport, dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct nr_flow_state {
	__u64 last_ns;
	__u64 supp_pkts;
	__u64 supp_bytes;
};

/* Per-CPU counters (per-CPU array "nr_stats", one entry). */
struct nr_counters {
	__u64 seen;            /* packets the programs ran on */
	__u64 lost;            /* ring/perf output failures */
	__u64 ratelimited;     /* held back by --disable-full-log */
	__u64 filtered;        /* not matching --host/--port/protocols */
	__u64 parse_err;       /* truncated or malformed headers (still passed) */
	__u64 not_ip;          /* ARP and other non-IP frames */
};

/* Program and map names, for userspace. */
#define NR_PROG_IN      "nr_ingress"
#define NR_PROG_EG      "nr_egress"
#define NR_PROG_IN_L3   "nr_ingress_l3"
#define NR_PROG_EG_L3   "nr_egress_l3"
#define NR_MAP_RING     "nr_ring"
#define NR_MAP_PERF     "nr_perf"
#define NR_MAP_SCRATCH  "nr_scratch"
#define NR_MAP_FLOWS    "nr_flows"
#define NR_MAP_STATS    "nr_stats"

#ifndef __bpf__
#include <assert.h>
static_assert(sizeof(struct nr_event) == 88, "nr_event layout");
static_assert(sizeof(struct nr_prefix) == 36, "nr_prefix layout");
static_assert(sizeof(struct nr_config) == 328, "nr_config layout");
static_assert(sizeof(struct nr_flow_key) == 44, "nr_flow_key layout");
static_assert(sizeof(struct nr_counters) == 48, "nr_counters layout");
#endif

#endif
