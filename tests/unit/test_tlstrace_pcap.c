/* tlstrace's plaintext pcapng: the packet builder (src/tlstrace/tt_pkt.c)
 * against checksums computed apart (a separate implementation in Python
 * gave the constants) and the verifying sums of RFC 1071, and the stream
 * writer (tt_pcap.c) read back block by block: the interface's
 * description, a handshake at first sight, data in segments with sequence
 * and acknowledgement numbers consistent each way, a truncated call's gap,
 * peeks left out, comments, IPv6, made-up addresses, the other end's view
 * kept apart, and the closing FINs. */
#include <arpa/inet.h>
#include <stdint.h>
#include "t.h"
#include "out/outbuf.h"
#include "out/pcapng.h"
#include "tlstrace/tt_pcap.h"
#include "tlstrace/tt_pkt.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return be16(p) << 16 | be16(p + 2);
}

/* RFC 1071: the sum over data with its checksum in place is all ones. */
static uint32_t ones_sum(uint64_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/* The TCP checksum verifies over the pseudo-header and the segment. */
static int tcp_ok(const uint8_t *pkt, size_t n)
{
	int v6 = pkt[0] >> 4 == 6;
	size_t ip = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	const uint8_t *addrs = pkt + (v6 ? 8 : 12);
	uint8_t pseudo[40] = { 0 };
	memcpy(pseudo, addrs, 2 * alen);
	uint64_t sum = ones_sum(0, pseudo, 2 * alen) + 6 + (n - ip);
	return ones_sum(sum, pkt + ip, n - ip) == 0xffff;
}

static int ip_ok(const uint8_t *pkt, size_t n)
{
	if (pkt[0] >> 4 == 6)
		return be16(pkt + 4) == n - 40 && pkt[6] == 6;
	return be16(pkt + 2) == n && pkt[9] == 6 && ones_sum(0, pkt, 20) == 0xffff;
}

/* ---- reading the file back ---------------------------------------------- */

struct pkt {
	const uint8_t *ip, *tcp, *data;
	size_t len, data_len;
	uint64_t ts_us;
	char comment[400];
};

static struct pkt pkts[64];
static int npkts;
static char idb_desc[128];

static void read_comment(const uint8_t *o, const uint8_t *end, struct pkt *p)
{
	p->comment[0] = 0;
	while (o + 4 <= end) {
		uint16_t code, len;
		memcpy(&code, o, 2);
		memcpy(&len, o + 2, 2);
		if (!code)
			return;
		if (code == 1 && len < sizeof(p->comment)) {
			memcpy(p->comment, o + 4, len);
			p->comment[len] = 0;
		}
		o += 4 + ((len + 3u) & ~3u);
	}
}

static void read_idb(const uint8_t *b, uint32_t len)
{
	const uint8_t *o = b + 16, *end = b + len - 4;
	while (o + 4 <= end) {
		uint16_t code, olen;
		memcpy(&code, o, 2);
		memcpy(&olen, o + 2, 2);
		if (code == 3 && olen < sizeof(idb_desc)) {
			memcpy(idb_desc, o + 4, olen);
			idb_desc[olen] = 0;
		}
		if (!code)
			break;
		o += 4 + ((olen + 3u) & ~3u);
	}
}

/* Blocks well formed, first SHB then IDB; 0 or -1. */
static int read_file(const uint8_t *b, size_t n)
{
	npkts = 0;
	for (size_t off = 0, i = 0; off < n; i++) {
		uint32_t type = rd32(b + off), len = rd32(b + off + 4);
		if (len < 12 || len % 4 || off + len > n || rd32(b + off + len - 4) != len)
			return -1;
		if ((i == 0) != (type == PCAPNG_SHB) || (i == 1) != (type == PCAPNG_IDB))
			return -1;
		if (type == PCAPNG_IDB)
			read_idb(b + off, len);
		if (type == PCAPNG_EPB && npkts < 64) {
			struct pkt *p = &pkts[npkts++];
			uint32_t cap = rd32(b + off + 20);
			p->ts_us = (uint64_t)rd32(b + off + 12) << 32 | rd32(b + off + 16);
			p->ip = b + off + 28;
			p->len = cap;
			p->tcp = p->ip + (p->ip[0] >> 4 == 6 ? 40 : 20);
			p->data = p->tcp + 20;
			p->data_len = cap - (size_t)(p->data - p->ip);
			read_comment(p->ip + ((cap + 3u) & ~3u), b + off + len - 4, p);
		}
		off += len;
	}
	return 0;
}

static uint32_t seq(const struct pkt *p) { return be32(p->tcp + 4); }
static uint32_t ack(const struct pkt *p) { return be32(p->tcp + 8); }
static uint8_t flags(const struct pkt *p) { return p->tcp[13]; }
static uint32_t sport(const struct pkt *p) { return be16(p->tcp); }

/* ---- events ------------------------------------------------------------- */

static struct tt_call calls[16];
static int ncalls;

static struct tt_event event(uint64_t conn, uint32_t func, const void *data, size_t n,
			     uint64_t len, uint64_t ts_us)
{
	struct tt_call *c = &calls[ncalls++ % 16];
	memset(c, 0, sizeof(*c));
	c->func = func;
	c->pid_tgid = (uint64_t)1234 << 32 | 1235;
	c->len = len;
	c->flags = (func == TT_SSL_WRITE ? TT_F_WRITE : 0) | (func == TT_SSL_PEEK ? TT_F_PEEK : 0);
	memcpy(c->comm, "curl", 5);
	struct tt_event ev = { .call = c, .data = data, .data_len = n, .realtime_ns = ts_us * 1000,
			       .conn_id = conn, .fd = 3, .lib = "openssl" };
	return ev;
}

static void set_addr(struct tt_event *ev, int family, const char *src, uint16_t sport,
		     const char *dst, uint16_t dport)
{
	ev->addr.known = 1;
	ev->addr.family = (uint8_t)family;
	inet_pton(family == 4 ? AF_INET : AF_INET6, src, ev->addr.src);
	inet_pton(family == 4 ? AF_INET : AF_INET6, dst, ev->addr.dst);
	ev->addr.sport = sport;
	ev->addr.dport = dport;
}

static uint8_t big[70000];

int main(void)
{
	T_CASE("packet builder: IPv4 checksums as computed apart, odd payload") {
		uint8_t buf[128], src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
		struct tt_seg s = { .family = 4, .src = src, .dst = dst, .sport = 1234, .dport = 80,
				    .seq = 0x01020304, .ack = 0x05060708,
				    .flags = TT_TCP_PSH | TT_TCP_ACK, .data = (const uint8_t *)"abc",
				    .len = 3 };
		size_t n = tt_pkt_build(buf, sizeof(buf), &s);
		REQUIRE(n == 43);
		CHECK_EQ(tt_pkt_len(&s), 43);
		CHECK_EQ(be16(buf + 10), 0x26cb);
		CHECK_EQ(be16(buf + 20 + 16), 0xc22e);
		CHECK(ip_ok(buf, n) && tcp_ok(buf, n));
		CHECK_EQ(be32(buf + 24), 0x01020304);
		CHECK_EQ(be32(buf + 28), 0x05060708);
		CHECK(!memcmp(buf + 40, "abc", 3));
		CHECK_EQ(tt_pkt_build(buf, 42, &s), 0);
		buf[41] ^= 1;
		CHECK(!tcp_ok(buf, n)); /* the check itself can fail */
	}

	T_CASE("packet builder: IPv6, no payload; limits") {
		uint8_t buf[128], src[16], dst[16];
		inet_pton(AF_INET6, "2001:db8::1", src);
		inet_pton(AF_INET6, "2001:db8::2", dst);
		struct tt_seg s = { .family = 6, .src = src, .dst = dst, .sport = 443, .dport = 50000,
				    .seq = 7, .ack = 9, .flags = TT_TCP_SYN | TT_TCP_ACK };
		size_t n = tt_pkt_build(buf, sizeof(buf), &s);
		REQUIRE(n == 60);
		CHECK_EQ(buf[0] >> 4, 6);
		CHECK_EQ(be16(buf + 40 + 16), 0x8f42);
		CHECK(ip_ok(buf, n) && tcp_ok(buf, n));
		s.family = 5;
		CHECK_EQ(tt_pkt_build(buf, sizeof(buf), &s), 0);
		s.family = 4;
		s.len = 65496;
		CHECK_EQ(tt_pkt_build(buf, sizeof(buf), &s), 0);
	}

	struct outbuf ob;
	if (outbuf_init(&ob, -1, 8u << 20, tt_pcap_record_max())) {
		printf("FAIL setup: outbuf\n");
		return t_summary();
	}

	T_CASE("streams: handshake, segments, gap, peek, FIN, comments") {
		ob.len = 0;
		struct tt_pcap *w = tt_pcap_new(&ob);
		REQUIRE(w != NULL);
		const char *req = "GET / HTTP/1.1\r\n\r\n";
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (uint8_t)(i * 13);
		struct tt_event ev = event(1, TT_SSL_WRITE, req, strlen(req), strlen(req), 100);
		set_addr(&ev, 4, "127.0.0.1", 40000, "127.0.0.2", 4433);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		ev = event(1, TT_SSL_PEEK, big, 10, 10, 150);
		set_addr(&ev, 4, "127.0.0.2", 4433, "127.0.0.1", 40000);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		ev = event(1, TT_SSL_READ, big, sizeof(big), sizeof(big), 200);
		set_addr(&ev, 4, "127.0.0.2", 4433, "127.0.0.1", 40000);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		ev = event(1, TT_SSL_READ, big, 60, 100, 300); /* 40 bytes lost */
		set_addr(&ev, 4, "127.0.0.2", 4433, "127.0.0.1", 40000);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		tt_pcap_close_all(w, 400000);
		tt_pcap_free(w);

		REQUIRE(read_file((const uint8_t *)ob.buf, ob.len) == 0);
		CHECK(strstr(idb_desc, "decrypted TLS plaintext") != NULL);
		REQUIRE(npkts == 3 + 1 + 3 + 1 + 3);
		for (int i = 0; i < npkts; i++) {
			CHECK(ip_ok(pkts[i].ip, pkts[i].len) && tcp_ok(pkts[i].ip, pkts[i].len));
			CHECK(strstr(pkts[i].comment, "pid 1234 tid 1235 comm curl lib openssl") != NULL);
		}
		const struct pkt *syn = &pkts[0], *synack = &pkts[1], *hack = &pkts[2];
		CHECK_EQ(flags(syn), TT_TCP_SYN);
		CHECK_EQ(flags(synack), TT_TCP_SYN | TT_TCP_ACK);
		CHECK_EQ(flags(hack), TT_TCP_ACK);
		CHECK_EQ(sport(syn), 40000); /* the client wrote first */
		CHECK(!memcmp(syn->ip + 12, "\x7f\0\0\x01\x7f\0\0\x02", 8));
		CHECK_EQ(ack(synack), seq(syn) + 1);
		CHECK_EQ(ack(hack), seq(synack) + 1);
		CHECK_EQ(syn->ts_us, 100);
		CHECK(strstr(syn->comment, "handshake") != NULL);
		uint32_t c = seq(syn) + 1, s = seq(synack) + 1;
		const struct pkt *get = &pkts[3];
		CHECK_EQ(seq(get), c);
		CHECK_EQ(ack(get), s);
		CHECK_EQ(get->data_len, strlen(req));
		CHECK(!memcmp(get->data, req, strlen(req)));
		CHECK_EQ(flags(get), TT_TCP_PSH | TT_TCP_ACK);
		CHECK(strstr(get->comment, "func SSL_write conn 1") != NULL);
		c += (uint32_t)strlen(req);
		size_t off = 0;
		for (int i = 4; i < 7; i++) { /* 70000 bytes: 32768 + 32768 + 4464 */
			CHECK_EQ(seq(&pkts[i]), s + off);
			CHECK_EQ(ack(&pkts[i]), c);
			CHECK_EQ(sport(&pkts[i]), 4433);
			CHECK_EQ(pkts[i].data_len, i < 6 ? TT_PCAP_MSS : 70000 - 2 * TT_PCAP_MSS);
			CHECK(!memcmp(pkts[i].data, big + off, pkts[i].data_len));
			CHECK_EQ(flags(&pkts[i]), TT_TCP_ACK | (i == 6 ? TT_TCP_PSH : 0));
			CHECK_EQ(pkts[i].ts_us, 200);
			off += pkts[i].data_len;
		}
		s += 70000;
		const struct pkt *cut = &pkts[7];
		CHECK_EQ(seq(cut), s);
		CHECK_EQ(cut->data_len, 60);
		CHECK(strstr(cut->comment, "func SSL_read conn 1, truncated, 40 bytes lost") != NULL);
		s += 100; /* the gap */
		const struct pkt *fin1 = &pkts[8], *fin2 = &pkts[9], *last = &pkts[10];
		CHECK_EQ(flags(fin1), TT_TCP_FIN | TT_TCP_ACK);
		CHECK_EQ(seq(fin1), c);
		CHECK_EQ(ack(fin1), s);
		CHECK_EQ(seq(fin2), s);
		CHECK_EQ(ack(fin2), c + 1);
		CHECK_EQ(ack(last), s + 1);
		CHECK_EQ(last->ts_us, 400);
		CHECK(strstr(fin1->comment, "close at exit") != NULL);
	}

	T_CASE("streams: IPv6, made-up addresses, the other end's view apart") {
		ob.len = 0;
		struct tt_pcap *w = tt_pcap_new(&ob);
		REQUIRE(w != NULL);
		struct tt_event ev = event(2, TT_SSL_READ, "x", 1, 1, 10);
		set_addr(&ev, 6, "::1", 443, "::1", 50000);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		ev = event(3, TT_SSL_WRITE, "x", 1, 1, 11); /* the server writes: the same tuple */
		set_addr(&ev, 6, "::1", 443, "::1", 50000);
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		ev = event(0x10203, TT_SSL_WRITE, "y", 1, 1, 12); /* no 4-tuple */
		CHECK_EQ(tt_pcap_event(w, &ev), 0);
		tt_pcap_free(w);
		REQUIRE(read_file((const uint8_t *)ob.buf, ob.len) == 0);
		REQUIRE(npkts == 12);
		CHECK_EQ(pkts[0].ip[0] >> 4, 6);
		CHECK_EQ(sport(&pkts[0]), 443); /* the peer sent first */
		CHECK(tcp_ok(pkts[3].ip, pkts[3].len));
		CHECK_EQ(pkts[4].ip[0] >> 4, 4);
		CHECK(!memcmp(pkts[4].ip + 12, "\xc6\x12\x00\x03\xc6\x13\x00\x03", 8));
		CHECK_EQ(sport(&pkts[4]), 443);
		CHECK(strstr(pkts[7].comment, "the other end's view") != NULL);
		CHECK(!memcmp(pkts[8].ip + 12, "\xc6\x12\x02\x03\xc6\x13\x02\x03", 8));
		CHECK_EQ(be16(pkts[8].tcp + 2), 80);
		CHECK_EQ(sport(&pkts[8]), 1024 + 1);
		CHECK(strstr(pkts[0].comment, "the other end") == NULL);
	}
	outbuf_close(&ob);
	return t_summary();
}
