/* netrace: log packets at TC ingress and egress. Never drops or alters a
 * packet: every path returns TC_ACT_UNSPEC (-1), which is TCX_NEXT on tcx.
 * Uses only UAPI __sk_buff fields (no CO-RE), so no kernel BTF is needed.
 * Configuration is the .rodata constant nr_cfg, set before load; the
 * verifier then prunes the branches the configuration rules out. */
#include "nf_bpf.h"
#include "netrace.h"

#define NR_PASS (-1) /* TC_ACT_UNSPEC / TCX_NEXT */

#define ETH_HLEN 14
#define P_IPV4 0x0800
#define P_IPV6 0x86DD
#define P_8021Q 0x8100
#define P_8021AD 0x88A8

#define IPP_HOPOPTS 0
#define IPP_ICMP 1
#define IPP_TCP 6
#define IPP_UDP 17
#define IPP_ROUTING 43
#define IPP_FRAGMENT 44
#define IPP_AH 51
#define IPP_ICMPV6 58
#define IPP_DSTOPTS 60

#define IPV6_EXT_MAX 8

/* Wake the reader only once this much is waiting: a wakeup per record costs
 * an interrupt (a VM exit under virtualisation) on every packet. Userspace
 * polls with a short timeout, so sparse events still appear promptly. */
#define NR_WAKEUP_BYTES (256 * 1024)

static __u64 (*nr_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)BPF_FUNC_ringbuf_query;

volatile const struct nr_config nr_cfg = {
	.interval_ns = 5000000000ULL,
	.flags = NR_C_TCP | NR_C_UDP | NR_C_ICMP | NR_C_OTHER,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* userspace may resize */
} nr_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1); /* userspace sets the number of CPUs */
} nr_perf SEC(".maps");

/* Per-CPU staging for records with packet bytes: ring buffer reservations
 * need a constant size, so a variable-size record is assembled here and
 * copied with bpf_ringbuf_output. Indexed by CPU (userspace sizes it). */
struct nr_scratch {
	struct nr_event ev;
	__u8 data[NR_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct nr_scratch);
	__uint(max_entries, 1);
} nr_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct nr_flow_key);
	__type(value, struct nr_flow_state);
	__uint(max_entries, 65536);
} nr_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct nr_counters);
	__uint(max_entries, 1);
} nr_stats SEC(".maps");

/* The event being built. The parsing stages after the link layer are
 * global functions, which the verifier checks once each, apart from the
 * paths that lead to them; inlined, it re-walked the tail for every
 * distinct state the header walks produced (23,780 instructions processed
 * for a 1,036-instruction program, 40 ms a program on a 2-core VM). On 5.10
 * a global function takes only the context and scalars, so the event lives
 * here rather than on the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct nr_event);
	__uint(max_entries, 1);
} nr_cur SEC(".maps");

static __always_inline struct nr_event *cur_event(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&nr_cur, &zero);
}

static __always_inline struct nr_counters *counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&nr_stats, &zero);
}

static __always_inline __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* The link layer: VLAN tag and the L3 protocol and offset. */
static __always_inline int parse_link(struct __sk_buff *skb, struct nr_event *ev, int l3dev,
				      __u16 *proto, __u32 *off)
{
	*proto = __builtin_bswap16((__u16)skb->protocol);
	*off = 0;
	if (skb->vlan_present) {
		ev->flags |= NR_F_VLAN | NR_F_VLAN_HW;
		ev->vlan_tci = (__u16)skb->vlan_tci;
		ev->vlan_proto = __builtin_bswap16((__u16)skb->vlan_proto);
	}
	if (l3dev) {
		ev->flags |= NR_F_L3DEV;
		return 0;
	}
	*off = ETH_HLEN;
	/* A tag still in the bytes (egress without offload, QinQ). */
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (*proto != P_8021Q && *proto != P_8021AD)
			break;
		__u8 tag[4];
		/* TCI, then the inner ethertype */
		if (bpf_skb_load_bytes(skb, *off, tag, sizeof(tag)) < 0)
			return -1;
		if (!(ev->flags & NR_F_VLAN)) {
			ev->flags |= NR_F_VLAN;
			ev->vlan_tci = be16(tag);
			ev->vlan_proto = *proto;
		}
		*proto = be16(tag + 2);
		*off += 4;
	}
	return 0;
}

/* IPv4 at off: returns the L4 offset, 0 when there is no L4 header, -1 on
 * error. */
__noinline int nr_parse_ipv4(struct __sk_buff *skb, __u32 off)
{
	struct nr_event *ev = cur_event();
	if (!ev)
		return -1;
	__u8 h[20];
	if (bpf_skb_load_bytes(skb, off, h, sizeof(h)) < 0)
		return -1;
	__u32 ihl = (h[0] & 0x0f) * 4;
	if ((h[0] >> 4) != 4 || ihl < 20)
		return -1;
	ev->family = 4;
	ev->ttl = h[8];
	ev->proto = h[9];
	__builtin_memcpy(ev->saddr, h + 12, 4);
	__builtin_memcpy(ev->daddr, h + 16, 4);
	__u32 tot = be16(h + 2);
	/* tot_len 0: TSO/BIG TCP ("presumed TSO"): use the skb length. */
	ev->ip_len = tot ? tot : skb->len - off;
	__u16 frag = be16(h + 6);
	if (frag & 0x3fff)
		ev->flags |= NR_F_FRAG;
	if (frag & 0x1fff)
		return 0; /* not the first fragment: no L4 header */
	return off + ihl;
}

/* IPv6 at off, with a bounded walk over extension headers; returns as
 * nr_parse_ipv4. */
__noinline int nr_parse_ipv6(struct __sk_buff *skb, __u32 off)
{
	struct nr_event *ev = cur_event();
	if (!ev)
		return -1;
	__u8 h[40];
	if (bpf_skb_load_bytes(skb, off, h, sizeof(h)) < 0)
		return -1;
	if ((h[0] >> 4) != 6)
		return -1;
	ev->family = 6;
	ev->ttl = h[7];
	__builtin_memcpy(ev->saddr, h + 8, 16);
	__builtin_memcpy(ev->daddr, h + 24, 16);
	__u32 plen = be16(h + 4);
	ev->ip_len = plen ? plen + 40 : skb->len - off; /* 0: jumbogram / BIG TCP */
	__u8 nh = h[6];
	__u32 l4 = off + 40;
#pragma unroll
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		__u8 x[4];
		if (nh != IPP_HOPOPTS && nh != IPP_ROUTING && nh != IPP_DSTOPTS &&
		    nh != IPP_AH && nh != IPP_FRAGMENT)
			break;
		if (bpf_skb_load_bytes(skb, l4, x, sizeof(x)) < 0)
			return -1;
		if (nh == IPP_FRAGMENT) {
			ev->flags |= NR_F_FRAG;
			ev->proto = x[0];
			if (be16(x + 2) & 0xfff8)
				return 0; /* not the first fragment */
			l4 += 8;
		} else if (nh == IPP_AH) {
			l4 += ((__u32)x[1] + 2) * 4;
		} else {
			l4 += ((__u32)x[1] + 1) * 8;
		}
		nh = x[0];
	}
	ev->proto = nh;
	if (nh == IPP_HOPOPTS || nh == IPP_ROUTING || nh == IPP_DSTOPTS || nh == IPP_AH ||
	    nh == IPP_FRAGMENT)
		return 0; /* more headers than we walk: no L4 */
	return l4;
}

static __always_inline int proto_enabled(__u8 proto)
{
	__u32 f = nr_cfg.flags;
	switch (proto) {
	case IPP_TCP:
		return f & NR_C_TCP;
	case IPP_UDP:
		return f & NR_C_UDP;
	case IPP_ICMP:
	case IPP_ICMPV6:
		return f & NR_C_ICMP;
	default:
		return f & NR_C_OTHER;
	}
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct nr_event *ev, __u32 l4)
{
	__u8 t[14];
	if (ev->proto == IPP_TCP) {
		if (bpf_skb_load_bytes(skb, l4, t, 14) < 0)
			return -1;
		ev->tcp_flags = t[13];
		ev->flags |= NR_F_PORTS | NR_F_TCPFLAGS;
	} else if (ev->proto == IPP_UDP) {
		if (bpf_skb_load_bytes(skb, l4, t, 4) < 0)
			return -1;
		ev->flags |= NR_F_PORTS;
	} else if (ev->proto == IPP_ICMP || ev->proto == IPP_ICMPV6) {
		if (bpf_skb_load_bytes(skb, l4, t, 2) < 0)
			return -1;
		ev->icmp_type = t[0];
		ev->icmp_code = t[1];
		ev->flags |= NR_F_ICMP;
		return 0;
	} else {
		return 0;
	}
	ev->sport = be16(t);
	ev->dport = be16(t + 2);
	return 0;
}

static __always_inline int prefix_match(const __u8 *addr, __u8 family, __u32 i)
{
	const volatile struct nr_prefix *p = &nr_cfg.hosts[i];
	if (p->family != family)
		return 0;
	__u32 words = family == 4 ? 1 : 4;
	for (__u32 w = 0; w < words && w < 4; w++) {
		__u32 a;
		__builtin_memcpy(&a, addr + w * 4, 4);
		if ((a & p->mask[w]) != p->net[w])
			return 0;
	}
	return 1;
}

/* --host and --port: either endpoint; values OR, host AND port. */
static __always_inline int filters_pass(const struct nr_event *ev)
{
	__u32 nh = nr_cfg.nhosts, np = nr_cfg.nports;
	if (nh) {
		int hit = 0;
		for (__u32 i = 0; i < NR_MAX_HOSTS; i++) {
			if (i >= nh)
				break;
			if (prefix_match(ev->saddr, ev->family, i) ||
			    prefix_match(ev->daddr, ev->family, i)) {
				hit = 1;
				break;
			}
		}
		if (!hit)
			return 0;
	}
	if (np) {
		if (!(ev->flags & NR_F_PORTS))
			return 0;
		for (__u32 i = 0; i < NR_MAX_PORTS; i++) {
			if (i >= np)
				break;
			__u16 port = nr_cfg.ports[i];
			if (ev->sport == port || ev->dport == port)
				return 1;
		}
		return 0;
	}
	return 1;
}

/* --disable-full-log: 1 = emit (with the suppressed counts), 0 = hold back. */
static __always_inline int ratelimit_pass(struct nr_event *ev)
{
	struct nr_flow_key k = {
		.ifindex = ev->ifindex,
		.dir = ev->dir,
		.family = ev->family,
		.proto = ev->proto,
		.sport = ev->sport,
		.dport = ev->dport,
	};
	__builtin_memcpy(k.saddr, ev->saddr, 16);
	__builtin_memcpy(k.daddr, ev->daddr, 16);
	struct nr_flow_state *st = bpf_map_lookup_elem(&nr_flows, &k);
	if (!st) {
		struct nr_flow_state fresh = { .last_ns = ev->ts_ns };
		bpf_map_update_elem(&nr_flows, &k, &fresh, BPF_ANY);
		return 1;
	}
	if (ev->ts_ns - st->last_ns < nr_cfg.interval_ns) {
		__sync_fetch_and_add(&st->supp_pkts, 1);
		__sync_fetch_and_add(&st->supp_bytes, ev->ip_len);
		return 0;
	}
	st->last_ns = ev->ts_ns;
	/* Take the counts; concurrent adds on other CPUs are kept. */
	__u64 p = st->supp_pkts, b = st->supp_bytes;
	__sync_fetch_and_add(&st->supp_pkts, -p);
	__sync_fetch_and_add(&st->supp_bytes, -b);
	ev->supp_pkts = p;
	ev->supp_bytes = b;
	return 1;
}

static __always_inline __u32 capture_len(struct __sk_buff *skb, __u32 max)
{
	__u32 cap = skb->len;
	__u32 snap = nr_cfg.snaplen;
	if (cap > snap)
		cap = snap;
	if (cap > max)
		cap = max;
	return cap;
}

static __always_inline __u64 wakeup_flags(void)
{
	if (nr_ringbuf_query(&nr_ring, BPF_RB_AVAIL_DATA) >= NR_WAKEUP_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct __sk_buff *skb, struct nr_event *ev, struct nr_counters *c)
{
	__u32 flags = nr_cfg.flags;
	long err;
	if (flags & NR_C_PERF) {
		__u64 cap = (flags & NR_C_CAPTURE) ? capture_len(skb, NR_PERF_SNAP_MAX) : 0;
		ev->cap_len = cap;
		/* The kernel appends cap bytes of the skb itself. */
		err = bpf_perf_event_output(skb, &nr_perf, BPF_F_CURRENT_CPU | (cap << 32), ev,
					    sizeof(*ev));
	} else if (!(flags & NR_C_CAPTURE)) {
		err = bpf_ringbuf_output(&nr_ring, ev, sizeof(*ev), wakeup_flags());
	} else {
		__u32 cpu = bpf_get_smp_processor_id();
		struct nr_scratch *s = bpf_map_lookup_elem(&nr_scratch, &cpu);
		if (!s) {
			err = -1;
		} else {
			/* Old verifiers track bounds only on the register that was
			 * compared and need a length >= 1 for skb_load_bytes: check
			 * cap - 1 in a 64-bit register hidden from the compiler,
			 * then derive the length from that very register. */
			__u64 n = (__u64)capture_len(skb, NR_SNAP_MAX) - 1;
			asm volatile("" : "+r"(n));
			__u64 size = sizeof(*ev);
			if (n < NR_SNAP_MAX) {
				n += 1;
				if (bpf_skb_load_bytes(skb, 0, s->data, n) == 0) {
					ev->cap_len = n;
					size += n;
				}
			}
			s->ev = *ev;
			err = bpf_ringbuf_output(&nr_ring, s, size, wakeup_flags());
		}
	}
	if (err < 0)
		c->lost++;
}

/* Everything after the IP header: L4 ports and flags, the filters, the
 * rate limit, and the record. l4 is the L4 offset, 0 when there is none. */
__noinline int nr_finish(struct __sk_buff *skb, __u32 l4)
{
	struct nr_event *ev = cur_event();
	struct nr_counters *c = counters();
	if (!ev || !c)
		return 0;
	if (!proto_enabled(ev->proto)) {
		c->filtered++;
		return 0;
	}
	if (l4 > 0 && parse_l4(skb, ev, l4) < 0) {
		ev->flags |= NR_F_TRUNC; /* still logged, without L4 fields */
		c->parse_err++;
	}
	if (!filters_pass(ev)) {
		c->filtered++;
		return 0;
	}
	if ((nr_cfg.flags & NR_C_RATELIM) && !ratelimit_pass(ev)) {
		c->ratelimited++;
		return 0;
	}
	emit(skb, ev, c);
	return 0;
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir, int l3dev)
{
	struct nr_counters *c = counters();
	struct nr_event *ev = cur_event();
	if (!c || !ev)
		return NR_PASS;
	c->seen++;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ifindex = skb->ifindex;
	ev->skb_len = skb->len;
	ev->dir = dir;

	__u16 proto;
	__u32 off;
	int l4;
	if (parse_link(skb, ev, l3dev, &proto, &off) < 0)
		l4 = -1;
	else if (proto == P_IPV4)
		l4 = nr_parse_ipv4(skb, off);
	else if (proto == P_IPV6)
		l4 = nr_parse_ipv6(skb, off);
	else {
		c->not_ip++;
		return NR_PASS;
	}
	if (l4 < 0)
		c->parse_err++;
	else
		nr_finish(skb, (__u32)l4);
	return NR_PASS;
}

SEC("tc")
int nr_ingress(struct __sk_buff *skb)
{
	return handle(skb, NR_INGRESS, 0);
}

SEC("tc")
int nr_egress(struct __sk_buff *skb)
{
	return handle(skb, NR_EGRESS, 0);
}

/* Devices without a link-layer header (tun, WireGuard): the bytes start
 * with the IP header. */
SEC("tc")
int nr_ingress_l3(struct __sk_buff *skb)
{
	return handle(skb, NR_INGRESS, 1);
}

SEC("tc")
int nr_egress_l3(struct __sk_buff *skb)
{
	return handle(skb, NR_EGRESS, 1);
}

char LICENSE[] SEC("license") = "GPL";
