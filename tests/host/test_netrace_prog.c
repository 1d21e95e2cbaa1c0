/* Root: the netrace TC programs under BPF_PROG_TEST_RUN with crafted
 * frames. Every frame, well-formed or not, must come back TC_ACT_UNSPEC
 * (-1); the records read from the ring (or perf buffer) must carry exactly
 * the fields the frame was built with; and the per-CPU counters must say
 * why a frame produced no record. */
#include "t.h"
#include "kern/load.h"
#include "log.h"
#include "netrace.h"
#include "netrace/netrace_opts.h"
#include "netrace/nr_kern.h"
#include "read/reader.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct got {
	struct nr_event ev[MAX_EVENTS];
	uint8_t data[MAX_EVENTS][256];
	size_t len[MAX_EVENTS];
	int n;
};

static int collect(void *ctx, const void *data, size_t len)
{
	struct got *g = ctx;
	if (g->n < MAX_EVENTS && len >= sizeof(struct nr_event)) {
		memcpy(&g->ev[g->n], data, sizeof(struct nr_event));
		size_t extra = len - sizeof(struct nr_event);
		memcpy(g->data[g->n], (const uint8_t *)data + sizeof(struct nr_event),
		       extra < 256 ? extra : 256);
		g->len[g->n] = len;
	}
	g->n++;
	return 0;
}

/* ---- frame builder (checksums do not matter to the programs) ---------- */

struct frame {
	uint8_t b[512];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(f, b, 2);
}

static void eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	f->n = 0;
	put(f, macs, 12);
	put16(f, type);
}

/* IPv4 header with opt_words 32-bit option words (NOPs), total length
 * covering l4_len bytes after it. */
static void ipv4(struct frame *f, uint8_t proto, const char *src, const char *dst, int opt_words,
		 uint16_t frag, uint16_t l4_len, uint8_t ttl)
{
	uint8_t a[4];
	put8(f, (uint8_t)(0x40 | (5 + opt_words)));
	put8(f, 0);
	put16(f, (uint16_t)(20 + opt_words * 4 + l4_len));
	put16(f, 1);
	put16(f, frag);
	put8(f, ttl);
	put8(f, proto);
	put16(f, 0);
	inet_pton(AF_INET, src, a);
	put(f, a, 4);
	inet_pton(AF_INET, dst, a);
	put(f, a, 4);
	for (int i = 0; i < opt_words * 4; i++)
		put8(f, 1); /* NOP */
}

static void ipv6(struct frame *f, uint8_t next, const char *src, const char *dst,
		 uint16_t payload, uint8_t hops)
{
	uint8_t a[16];
	put16(f, 0x6000);
	put16(f, 0);
	put16(f, payload);
	put8(f, next);
	put8(f, hops);
	inet_pton(AF_INET6, src, a);
	put(f, a, 16);
	inet_pton(AF_INET6, dst, a);
	put(f, a, 16);
}

/* An extension header of len bytes (a multiple of 8, or of 4 for AH). */
static void ext(struct frame *f, uint8_t next, uint8_t hdrlen_field, size_t len)
{
	put8(f, next);
	put8(f, hdrlen_field);
	for (size_t i = 2; i < len; i++)
		put8(f, i == 2 ? 1 : 0); /* PadN-ish filler */
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
	for (uint16_t i = 0; i < payload; i++)
		put8(f, (uint8_t)i);
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	put16(f, sport);
	put16(f, dport);
	for (int i = 0; i < 8; i++)
		put8(f, 0);
	put8(f, 0x50);
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
}

/* ---- running ---------------------------------------------------------- */

struct run {
	struct nr_kern k;
	struct nf_reader *rd;
	struct got got;
	int ok;
};

/* force_perf: the perf buffer even where ringbuf exists. */
static int start_on(struct run *r, uint32_t extra_flags, const struct nr_opts *filters,
		    int force_perf)
{
	struct nr_config cfg;
	memset(r, 0, sizeof(*r));
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = NR_C_TCP | NR_C_UDP | NR_C_ICMP | NR_C_OTHER | extra_flags;
	cfg.interval_ns = 200000000ULL;
	cfg.snaplen = 64;
	if (filters) {
		cfg.nhosts = filters->nhosts;
		memcpy(cfg.hosts, filters->hosts, sizeof(cfg.hosts));
		cfg.nports = filters->nports;
		memcpy(cfg.ports, filters->ports, sizeof(cfg.ports));
	}
	struct nr_kern_opts ko = { .force_perf = force_perf };
	if (nr_kern_load(&r->k, &cfg, &ko)) {
		printf("# load: %s\n", nf_lasterr());
		return -1;
	}
	r->rd = nf_reader_open(r->k.events_fd, nr_kern_events_type(&r->k), collect, &r->got);
	if (!r->rd) {
		printf("# reader: %s\n", nf_lasterr());
		nr_kern_close(&r->k);
		return -1;
	}
	r->ok = 1;
	return 0;
}

static int start(struct run *r, uint32_t extra_flags, const struct nr_opts *filters)
{
	return start_on(r, extra_flags, filters, 0);
}

static void stop(struct run *r)
{
	if (!r->ok)
		return;
	nf_reader_free(r->rd);
	nr_kern_close(&r->k);
	r->ok = 0;
}

/* Run the frame through a program; 1 if it returned TC_ACT_UNSPEC. */
static int pass_through(struct run *r, const char *prog, const struct frame *f)
{
	uint32_t ret = 0;
	int fd = nf_bpf_prog_fd(&r->k.b, prog);
	int err = nf_prog_test_run(fd, f->b, (uint32_t)f->n, &ret);
	if (err < 0) {
		printf("# test_run %s: %s\n", prog, strerror(-err));
		return 0;
	}
	return ret == (uint32_t)-1;
}

static int drain(struct run *r)
{
	r->got.n = 0;
	nf_reader_drain(r->rd);
	return r->got.n;
}

static int addr_is(const uint8_t *a, int family, const char *text)
{
	uint8_t want[16] = { 0 };
	inet_pton(family == 4 ? AF_INET : AF_INET6, text, want);
	return !memcmp(a, want, family == 4 ? 4 : 16);
}

int main(void)
{
	struct run r;
	struct frame f;
	nf_log_level = NF_LOG_WARN;

	if (geteuid() != 0) {
		t_skip("netrace programs", "needs root");
		return t_summary();
	}

	T_CASE("ipv4 udp: exact record, egress program") {
		REQUIRE(start(&r, 0, NULL) == 0);
		eth(&f, 0x0800);
		ipv4(&f, 17, "10.1.2.3", "192.168.7.9", 0, 0, 8 + 10, 33);
		udp(&f, 40000, 53, 10);
		CHECK(pass_through(&r, NR_PROG_EG, &f));
		REQUIRE(drain(&r) == 1);
		struct nr_event *e = &r.got.ev[0];
		CHECK_EQ(e->dir, NR_EGRESS);
		CHECK_EQ(e->family, 4);
		CHECK_EQ(e->proto, 17);
		CHECK(addr_is(e->saddr, 4, "10.1.2.3"));
		CHECK(addr_is(e->daddr, 4, "192.168.7.9"));
		CHECK_EQ(e->sport, 40000);
		CHECK_EQ(e->dport, 53);
		CHECK_EQ(e->ip_len, 38);
		CHECK_EQ(e->skb_len, f.n);
		CHECK_EQ(e->ttl, 33);
		CHECK_EQ(e->flags, NR_F_PORTS);
		CHECK_EQ(e->cap_len, 0);
		CHECK_EQ(r.got.len[0], sizeof(struct nr_event)); /* no bytes without -w */
		stop(&r);
	}

	T_CASE("ipv4 with options, tcp flags, icmp, fragments") {
		REQUIRE(start(&r, 0, NULL) == 0);
		eth(&f, 0x0800);
		ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 3, 0, 20, 64);
		tcp(&f, 1234, 80, NR_TCP_SYN | NR_TCP_ECE | NR_TCP_CWR);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);
		ipv4(&f, 1, "10.0.0.1", "10.0.0.2", 0, 0, 8, 64);
		put8(&f, 8);
		put8(&f, 0);
		put16(&f, 0);
		put16(&f, 7);
		put16(&f, 1);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);               /* first fragment: MF, offset 0 */
		ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0, 0x2000, 16, 64);
		udp(&f, 7000, 7001, 8);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);               /* later fragment: offset 2 (16 bytes) */
		ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0, 2, 8, 64);
		udp(&f, 9999, 9999, 0);        /* bytes that are not a UDP header */
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		REQUIRE(drain(&r) == 4);
		struct nr_event *e = r.got.ev;
		CHECK_EQ(e[0].dir, NR_INGRESS);
		CHECK_EQ(e[0].sport, 1234);
		CHECK_EQ(e[0].dport, 80);
		CHECK_EQ(e[0].tcp_flags, NR_TCP_SYN | NR_TCP_ECE | NR_TCP_CWR);
		CHECK_EQ(e[0].flags, NR_F_PORTS | NR_F_TCPFLAGS);
		CHECK_EQ(e[0].ip_len, 52);
		CHECK_EQ(e[1].proto, 1);
		CHECK_EQ(e[1].icmp_type, 8);
		CHECK_EQ(e[1].icmp_code, 0);
		CHECK_EQ(e[1].flags, NR_F_ICMP);
		CHECK_EQ(e[2].flags, NR_F_PORTS | NR_F_FRAG);
		CHECK_EQ(e[2].sport, 7000);
		CHECK_EQ(e[3].flags, NR_F_FRAG);
		CHECK_EQ(e[3].sport, 0);
		stop(&r);
	}

	T_CASE("ipv6 extension headers: hop-by-hop, dest-opts, routing, AH, fragment") {
		REQUIRE(start(&r, 0, NULL) == 0);
		eth(&f, 0x86DD);               /* HBH(8) -> DSTOPTS(16) -> UDP */
		ipv6(&f, 0, "2001:db8::1", "2001:db8::2", 8 + 16 + 8, 9);
		ext(&f, 60, 0, 8);
		ext(&f, 17, 1, 16);
		udp(&f, 546, 547, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);               /* ROUTING(24) -> AH(hdrlen 4: 24) -> TCP */
		ipv6(&f, 43, "2001:db8::1", "2001:db8::2", 24 + 24 + 20, 9);
		ext(&f, 51, 2, 24);
		ext(&f, 6, 4, 24);
		tcp(&f, 443, 50000, NR_TCP_ACK | NR_TCP_FIN);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);               /* FRAG first (offset 0, M) -> UDP */
		ipv6(&f, 44, "fe80::1", "ff02::1:2", 8 + 8, 1);
		put8(&f, 17);
		put8(&f, 0);
		put16(&f, 0x0001);
		put16(&f, 0);
		put16(&f, 42);
		udp(&f, 1000, 2000, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);               /* FRAG later (offset 8 units) */
		ipv6(&f, 44, "fe80::1", "ff02::1:2", 8 + 8, 1);
		put8(&f, 17);
		put8(&f, 0);
		put16(&f, 8 << 3);
		put16(&f, 0);
		put16(&f, 42);
		udp(&f, 1000, 2000, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);               /* ICMPv6 echo request */
		ipv6(&f, 58, "fd00::2", "fd00::1", 8, 64);
		put8(&f, 128);
		put8(&f, 0);
		put16(&f, 0);
		put16(&f, 1);
		put16(&f, 1);
		CHECK(pass_through(&r, NR_PROG_EG, &f));
		REQUIRE(drain(&r) == 5);
		struct nr_event *e = r.got.ev;
		CHECK_EQ(e[0].family, 6);
		CHECK_EQ(e[0].proto, 17);
		CHECK_EQ(e[0].sport, 546);
		CHECK_EQ(e[0].dport, 547);
		CHECK_EQ(e[0].ttl, 9);
		CHECK_EQ(e[0].ip_len, 40 + 32);
		CHECK(addr_is(e[0].saddr, 6, "2001:db8::1"));
		CHECK(addr_is(e[0].daddr, 6, "2001:db8::2"));
		CHECK_EQ(e[1].proto, 6);
		CHECK_EQ(e[1].sport, 443);
		CHECK_EQ(e[1].dport, 50000);
		CHECK_EQ(e[1].tcp_flags, NR_TCP_ACK | NR_TCP_FIN);
		CHECK_EQ(e[2].proto, 17);
		CHECK_EQ(e[2].flags, NR_F_PORTS | NR_F_FRAG);
		CHECK_EQ(e[2].sport, 1000);
		CHECK_EQ(e[3].proto, 17);
		CHECK_EQ(e[3].flags, NR_F_FRAG);
		CHECK_EQ(e[4].proto, 58);
		CHECK_EQ(e[4].icmp_type, 128);
		CHECK_EQ(e[4].dir, NR_EGRESS);
		stop(&r);
	}

	T_CASE("vlan tag in the bytes") {
		REQUIRE(start(&r, 0, NULL) == 0);
		eth(&f, 0x8100);
		put16(&f, 0x200a); /* PCP 1, VID 10 */
		put16(&f, 0x0800);
		ipv4(&f, 17, "10.10.0.2", "10.10.0.1", 0, 0, 8, 64);
		udp(&f, 4010, 5010, 0);
		CHECK(pass_through(&r, NR_PROG_EG, &f));
		REQUIRE(drain(&r) == 1);
		CHECK_EQ(r.got.ev[0].flags, NR_F_PORTS | NR_F_VLAN);
		CHECK_EQ(r.got.ev[0].vlan_tci & 0xfff, 10);
		CHECK_EQ(r.got.ev[0].vlan_proto, 0x8100);
		CHECK_EQ(r.got.ev[0].sport, 4010);
		stop(&r);
	}

	T_CASE("malformed and non-IP frames pass, counted, no record") {
		REQUIRE(start(&r, 0, NULL) == 0);
		/* (A frame cut inside the IPv4 header is refused by test_run
		 * itself, so truncation is exercised at L4 and in IPv6.) */
		struct frame bad[5];
		eth(&bad[0], 0x0800);          /* version 6 in an IPv4 frame */
		ipv4(&bad[0], 17, "1.1.1.1", "2.2.2.2", 0, 0, 8, 1);
		udp(&bad[0], 1, 2, 0);
		bad[0].b[14] = 0x65;
		eth(&bad[1], 0x0800);          /* ihl 3 */
		ipv4(&bad[1], 17, "1.1.1.1", "2.2.2.2", 0, 0, 8, 1);
		udp(&bad[1], 1, 2, 0);
		bad[1].b[14] = 0x43;
		eth(&bad[2], 0x86DD);          /* extension header beyond the end */
		ipv6(&bad[2], 0, "::1", "::2", 0, 1);
		eth(&bad[3], 0x0806);          /* ARP */
		for (int i = 0; i < 28; i++)
			put8(&bad[3], 0);
		eth(&bad[4], 0x0800);          /* UDP header cut: logged, flagged */
		ipv4(&bad[4], 17, "1.1.1.1", "2.2.2.2", 0, 0, 8, 1);
		put16(&bad[4], 1);
		for (int i = 0; i < 5; i++) {
			CHECK(pass_through(&r, NR_PROG_IN, &bad[i]));
			CHECK(pass_through(&r, NR_PROG_EG, &bad[i]));
		}
		REQUIRE(drain(&r) == 2);
		CHECK_EQ(r.got.ev[0].flags, NR_F_TRUNC);
		struct nr_counters c;
		REQUIRE(nr_kern_counters(&r.k, &c) == 0);
		CHECK_EQ(c.seen, 10);
		CHECK_EQ(c.parse_err, 2 * 3 + 2);
		CHECK_EQ(c.not_ip, 2);
		CHECK_EQ(c.lost, 0);
		stop(&r);
	}

	T_CASE("host and port filters: either endpoint, OR within, AND across") {
		struct nr_opts o;
		char *argv[] = { "netrace", "--host", "10.5.0.0/16", "--host", "2001:db8::/32",
				 "--port", "53", "--port", "123", NULL };
		REQUIRE(nr_opts_parse(&o, 9, argv) == 0);
		REQUIRE(start(&r, 0, &o) == 0);
		static const struct { const char *src, *dst; uint16_t sport, dport; int logged; } c4[] = {
			{ "10.5.1.1", "8.8.8.8", 5000, 53, 1 },   /* src host, dst port */
			{ "8.8.8.8", "10.5.9.9", 123, 5000, 1 },  /* dst host, src port */
			{ "10.6.1.1", "8.8.8.8", 5000, 53, 0 },   /* host misses */
			{ "10.5.1.1", "8.8.8.8", 5000, 54, 0 },   /* port misses */
		};
		for (size_t i = 0; i < 4; i++) {
			eth(&f, 0x0800);
			ipv4(&f, 17, c4[i].src, c4[i].dst, 0, 0, 8, 64);
			udp(&f, c4[i].sport, c4[i].dport, 0);
			CHECK(pass_through(&r, NR_PROG_IN, &f));
		}
		eth(&f, 0x86DD);
		ipv6(&f, 17, "2001:db8:1::5", "2a00::1", 8, 64);
		udp(&f, 53, 9, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);
		ipv6(&f, 17, "2001:db9::5", "2a00::1", 8, 64);
		udp(&f, 53, 9, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);               /* ICMP has no ports: filtered by --port */
		ipv4(&f, 1, "10.5.1.1", "8.8.8.8", 0, 0, 8, 64);
		udp(&f, 0x0800, 0, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		REQUIRE(drain(&r) == 3);
		CHECK_EQ(r.got.ev[0].dport, 53);
		CHECK_EQ(r.got.ev[1].sport, 123);
		CHECK_EQ(r.got.ev[2].family, 6);
		struct nr_counters c;
		REQUIRE(nr_kern_counters(&r.k, &c) == 0);
		CHECK_EQ(c.filtered, 4);
		stop(&r);
	}

	T_CASE("disabled protocols are not logged") {
		REQUIRE(start(&r, 0, NULL) == 0);
		stop(&r);
		struct nr_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.flags = NR_C_UDP; /* tcp, icmp and others off */
		REQUIRE(nr_kern_load(&r.k, &cfg, NULL) == 0);
		r.rd = nf_reader_open(r.k.events_fd, nr_kern_events_type(&r.k), collect, &r.got);
		REQUIRE(r.rd != NULL);
		r.ok = 1;
		eth(&f, 0x0800);
		ipv4(&f, 6, "1.1.1.1", "2.2.2.2", 0, 0, 20, 64);
		tcp(&f, 1, 2, NR_TCP_SYN);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x86DD);
		ipv6(&f, 58, "::1", "::2", 8, 64);
		udp(&f, 0x8000, 0, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);
		ipv4(&f, 47, "1.1.1.1", "2.2.2.2", 0, 0, 8, 64);
		udp(&f, 0, 0, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		eth(&f, 0x0800);
		ipv4(&f, 17, "1.1.1.1", "2.2.2.2", 0, 0, 8, 64);
		udp(&f, 1, 2, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		REQUIRE(drain(&r) == 1);
		CHECK_EQ(r.got.ev[0].proto, 17);
		stop(&r);
	}

	T_CASE("rate limit: one record per interval, then the suppressed counts") {
		REQUIRE(start(&r, NR_C_RATELIM, NULL) == 0);
		eth(&f, 0x0800);
		ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0, 0, 8 + 12, 64);
		udp(&f, 1111, 2222, 12);
		for (int i = 0; i < 50; i++)
			CHECK(pass_through(&r, NR_PROG_IN, &f));
		CHECK(pass_through(&r, NR_PROG_EG, &f)); /* another direction: its own flow */
		REQUIRE(drain(&r) == 2);
		CHECK_EQ(r.got.ev[0].supp_pkts, 0);
		usleep(250000); /* > interval (200 ms) */
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		REQUIRE(drain(&r) == 1);
		CHECK_EQ(r.got.ev[0].supp_pkts, 49);
		CHECK_EQ(r.got.ev[0].supp_bytes, 49 * 40);
		struct nr_counters c;
		REQUIRE(nr_kern_counters(&r.k, &c) == 0);
		CHECK_EQ(c.ratelimited, 49);
		stop(&r);
	}

	T_CASE("capture: snaplen bytes follow the record") {
		REQUIRE(start(&r, NR_C_CAPTURE, NULL) == 0);
		eth(&f, 0x0800);
		ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0, 0, 8 + 100, 64);
		udp(&f, 1, 2, 100);
		CHECK(pass_through(&r, NR_PROG_IN, &f));
		struct frame small;
		eth(&small, 0x0800);
		ipv4(&small, 17, "10.0.0.1", "10.0.0.2", 0, 0, 8, 64);
		udp(&small, 1, 2, 0);
		CHECK(pass_through(&r, NR_PROG_IN, &small));
		REQUIRE(drain(&r) == 2);
		CHECK_EQ(r.got.ev[0].cap_len, 64);
		CHECK_EQ(r.got.len[0], sizeof(struct nr_event) + 64);
		CHECK(!memcmp(r.got.data[0], f.b, 64));
		CHECK_EQ(r.got.ev[1].cap_len, small.n);
		CHECK(!memcmp(r.got.data[1], small.b, small.n));
		stop(&r);
	}

	T_CASE("perf buffer path: same record, bytes appended by the kernel") {
		REQUIRE(start_on(&r, NR_C_CAPTURE, NULL, 1) == 0);
		CHECK(r.k.use_perf);
		eth(&f, 0x0800);
		ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 0, 0, 20, 64);
		tcp(&f, 5, 6, NR_TCP_RST);
		CHECK(pass_through(&r, NR_PROG_EG, &f));
		REQUIRE(drain(&r) == 1);
		CHECK_EQ(r.got.ev[0].tcp_flags, NR_TCP_RST);
		CHECK_EQ(r.got.ev[0].cap_len, f.n);
		CHECK(r.got.len[0] >= sizeof(struct nr_event) + f.n);
		CHECK(!memcmp(r.got.data[0], f.b, f.n));
		stop(&r);
	}
	return t_summary();
}
