/* Seed corpora the fixtures cannot give: inputs in the fuzz.h framing
 * (HPACK blocks, HTTP/1.x and HTTP/2 streams, tlstrace and netrace
 * records) built here from RFC 7541 Appendix C and the unit tests' cases,
 * and real rtnetlink replies (dumps of this machine's links, routes,
 * nexthops, qdiscs and filters, and the error a bad request gets).
 * Usage: seeds DIR; writes DIR/<fuzzer>/<name>. (tests/fuzz/seeds.sh adds
 * the file-based ones: objects, host ELF files, ld.so.cache, /proc.) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nexthop.h>
#include <linux/pkt_sched.h>
#include "t_data.h"
#include "t_rfc7541.h"
#include "attach/nl.h"
#include "attach/tc_msg.h"
#include "netrace.h"
#include "tlstrace.h"
#include "tlstrace/http2.h"

static const char *outdir;

struct seed {
	uint8_t b[16384];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t n)
{
	if (n && s->n + n <= sizeof(s->b)) {
		memcpy(s->b + s->n, p, n);
		s->n += n;
	}
}

static void put_u8(struct seed *s, uint8_t v)
{
	put(s, &v, 1);
}

/* One operation of the fuzz.h framing; p NULL: n zeros (a gap's length). */
static void op(struct seed *s, uint8_t ctl, const void *p, size_t n)
{
	static const uint8_t zeros[1024];
	uint8_t h[3] = { ctl, (uint8_t)n, (uint8_t)(n >> 8) };
	put(s, h, 3);
	put(s, p ? p : zeros, n <= sizeof(zeros) || p ? n : 0);
}

static void op_hex(struct seed *s, uint8_t ctl, const char *hex)
{
	uint8_t b[512];
	op(s, ctl, b, t_unhex(hex, b, sizeof(b)));
}

static void op_str(struct seed *s, uint8_t ctl, const char *text)
{
	op(s, ctl, text, strlen(text));
}

static void save(const char *fuzzer, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", outdir, fuzzer);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, fuzzer, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
}

static void save_seed(const char *fuzzer, const char *name, const struct seed *s)
{
	save(fuzzer, name, s->b, s->n);
}

/* ---- HPACK: RFC 7541 C.3 to C.6 -------------------------------------- */

static void hpack_seq(const char *name, int limit256, const char *a, const char *b, const char *c)
{
	struct seed s = { .n = 0 };
	static const uint8_t l256[4] = { 0, 1, 0, 0 };
	put_u8(&s, 0); /* a decoder from the connection's start */
	if (limit256)
		op(&s, 1, l256, 4);
	op_hex(&s, 0, a);
	op_hex(&s, 0, b);
	op_hex(&s, 0, c);
	save_seed("hpack", name, &s);
}

static void hpack_seeds(void)
{
	hpack_seq("c3", 0, C31, C32, C33);
	hpack_seq("c4", 0, C41, C42, C43);
	hpack_seq("c5", 1, C51, C52, C53);
	hpack_seq("c6", 1, C61, C62, C63);
	/* joined mid-connection: C.3.2 names an entry never seen */
	struct seed s = { .n = 0 };
	put_u8(&s, 1);
	op_hex(&s, 0, C32);
	op_hex(&s, 0, C33);
	op(&s, 3, NULL, 0);
	op_hex(&s, 0, "3fe1 1f"); /* size update to 4096 */
	op(&s, 2, NULL, 0);
	op_hex(&s, 0, C41);
	save_seed("hpack", "unknown", &s);
}

/* ---- HTTP/2 ---------------------------------------------------------- */

static void h2_frame(struct seed *s, int dir, uint8_t type, uint8_t flags, uint32_t id,
		     const void *payload, uint32_t len)
{
	uint8_t b[1024];
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };
	if (len > sizeof(b) - 9)
		return;
	memcpy(b, h, 9);
	memcpy(b + 9, payload, len);
	op(s, (uint8_t)dir, b, 9 + len);
}

static void h2_hex(struct seed *s, int dir, uint8_t type, uint8_t flags, uint32_t id, const char *hex)
{
	uint8_t p[512];
	h2_frame(s, dir, type, flags, id, p, (uint32_t)t_unhex(hex, p, sizeof(p)));
}

static void h2_seeds(void)
{
	struct seed s = { .n = 0 };
	put_u8(&s, 1); /* seen from its start */
	op_str(&s, 0, NF_H2_PREFACE);
	/* HEADER_TABLE_SIZE 256, MAX_FRAME_SIZE 20000 */
	h2_hex(&s, 0, NF_H2_SETTINGS, 0, 0, "0001 0000 0100 0500 004e 20");
	h2_hex(&s, 1, NF_H2_SETTINGS, 0, 0, "0003 0000 0064 0004 0001 0000");
	h2_hex(&s, 1, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "");
	h2_hex(&s, 0, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "");
	/* C.4.1, padded (3) with priority (exclusive on 0, weight 16) */
	h2_hex(&s, 0, NF_H2_HEADERS, NF_H2_F_END_HEADERS | NF_H2_F_END_STREAM | NF_H2_F_PADDED |
	       NF_H2_F_PRIORITY, 1, "03 8000 0000 0f" C41 "000000");
	h2_hex(&s, 1, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, C61);
	h2_hex(&s, 1, NF_H2_DATA, NF_H2_F_END_STREAM | NF_H2_F_PADDED, 1, "02 6869 0000");
	/* C.4.2 across HEADERS and two CONTINUATIONs */
	h2_hex(&s, 0, NF_H2_HEADERS, NF_H2_F_END_STREAM, 3, "8286");
	h2_hex(&s, 0, NF_H2_CONTINUATION, 0, 3, "84be");
	h2_hex(&s, 0, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 3, "5886 a8eb 1064 9cbf");
	h2_hex(&s, 1, NF_H2_HEADERS, NF_H2_F_END_HEADERS | NF_H2_F_END_STREAM, 3, C62);
	h2_hex(&s, 0, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 5, C43);
	h2_hex(&s, 1, NF_H2_PUSH_PROMISE, NF_H2_F_END_HEADERS, 5, "0000 0002" C63);
	h2_hex(&s, 0, NF_H2_PRIORITY, 0, 5, "0000 0003 20");
	h2_hex(&s, 0, NF_H2_RST_STREAM, 0, 5, "0000 0008");
	h2_hex(&s, 1, NF_H2_WINDOW_UPDATE, 0, 0, "0001 0000");
	h2_hex(&s, 0, NF_H2_PING, 0, 0, "0102 0304 0506 0708");
	h2_hex(&s, 1, NF_H2_PING, NF_H2_F_ACK, 0, "0102 0304 0506 0708");
	h2_hex(&s, 1, NF_H2_GOAWAY, 0, 0, "0000 0005 0000 0000 6279 65");
	save_seed("http2", "conversation", &s);

	/* the same client bytes cut at odd places, with a gap */
	struct seed c = { .n = 0 };
	put_u8(&c, 1);
	uint8_t all[512];
	size_t n = 0;
	memcpy(all, NF_H2_PREFACE, NF_H2_PREFACE_LEN);
	n = NF_H2_PREFACE_LEN;
	n += t_unhex("000006 04 00 00000000 0001 0000 0100", all + n, sizeof(all) - n);
	n += t_unhex("000011 01 05 00000001" C41, all + n, sizeof(all) - n);
	n += t_unhex("000005 00 00 00000001 6869 6869 21", all + n, sizeof(all) - n);
	for (size_t at = 0, step = 1; at < n; at += step, step = step * 3 % 23 + 1)
		op(&c, 0, all + at, at + step <= n ? step : n - at);
	op(&c, 6, NULL, 40); /* 40 bytes never captured */
	h2_hex(&c, 0, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 7, C43);
	save_seed("http2", "split", &c);

	/* joined mid-connection, at a frame */
	struct seed j = { .n = 0 };
	put_u8(&j, 0);
	h2_hex(&j, 0, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 9, C42);
	h2_hex(&j, 1, NF_H2_DATA, 0, 9, "0001 0203");
	save_seed("http2", "joined", &j);
}

/* ---- HTTP/1.x -------------------------------------------------------- */

enum { H1_FEED = 0, H1_GAP = 4, H1_CLOSE = 6 };

static void h1_seeds(void)
{
	struct seed s = { .n = 0 };
	op_str(&s, 0, "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
	op_str(&s, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhel");
	op_str(&s, 1, "lo");
	op_str(&s, 0, "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n");
	op_str(&s, 1, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
		      "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
	op_str(&s, 0, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
	op_str(&s, 1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
	op_str(&s, 0, "GET /cached HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n\r\n");
	op_str(&s, 1, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
	save_seed("http1", "keepalive", &s);

	struct seed u = { .n = 0 };
	op_str(&u, 0, "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	op_str(&u, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
	op_str(&u, 0, "\x81\x85\x01\x02\x03\x04" "abcde");
	save_seed("http1", "upgrade", &u);

	struct seed t = { .n = 0 };
	op_str(&t, 0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	op_str(&t, 1, "HTTP/1.1 200 Connection established\r\n\r\n");
	op_str(&t, 0, "\x16\x03\x01\x00\x05" "hello");
	save_seed("http1", "connect", &t);

	struct seed c = { .n = 0 };
	op_str(&c, 0, "GET / HTTP/1.0\r\n\r\n");
	op_str(&c, 1, "HTTP/1.0 200 OK\r\nServer: old\r\n folded\r\nbad line\r\n"
		      "Content-Length: 1\r\nContent-Length: 2\r\n\r\nbody until close");
	op(&c, H1_GAP | 1, NULL, 300);
	op_str(&c, 1, "more");
	op(&c, H1_CLOSE | 1, NULL, 0);
	op_str(&c, 0, "GET /a HTTP/1.1\r\nHo");
	op_str(&c, 0, "st: a\r\n");
	op_str(&c, 0, "\r\n");
	save_seed("http1", "close", &c);
}

/* ---- tlstrace records ------------------------------------------------ */

static void tt_data_rec(struct seed *s, uint64_t id, uint32_t off, const char *text)
{
	uint8_t b[512];
	struct tt_data d = { .type = TT_REC_DATA, .len = (uint32_t)strlen(text), .call_id = id,
			     .offset = off };
	memcpy(b, &d, sizeof(d));
	memcpy(b + sizeof(d), text, d.len);
	op(s, 0, b, sizeof(d) + d.len);
}

static void tt_call_rec(struct seed *s, uint64_t id, uint64_t len, uint64_t captured, uint32_t flags)
{
	struct tt_call c = { .type = TT_REC_CALL, .func = 1, .call_id = id, .ts_ns = 1000 * id,
			     .pid_tgid = (uint64_t)42 << 32 | 43, .conn = 0xdead0000, .len = len,
			     .captured = captured, .fd = 5, .flags = flags, .comm = "curl" };
	op(s, 0, &c, sizeof(c));
}

static void tt_seeds(void)
{
	struct seed s = { .n = 0 };
	struct tt_maps m = { .type = TT_REC_MAPS, .tgid = 42 };
	struct tt_fd fd = { .type = TT_REC_FD, .fd = 5, .pid_tgid = (uint64_t)42 << 32 | 43,
			    .conn = 0xdead0000 };
	op(&s, 0, &fd, sizeof(fd));
	tt_data_rec(&s, 1, 0, "GET / HTTP/1.1\r\n");
	tt_data_rec(&s, 2, 0, "HTTP/1.1 200 OK\r\n");
	tt_data_rec(&s, 1, 16, "Host: a\r\n\r\n");
	tt_call_rec(&s, 1, 27, 27, TT_F_WRITE);
	op(&s, 0, &m, sizeof(m));
	tt_data_rec(&s, 3, 0, "abc");
	tt_data_rec(&s, 3, 10, "lost before");     /* a gap: only "abc" counts */
	tt_call_rec(&s, 3, 21, 21, TT_F_CUT);
	tt_call_rec(&s, 2, 17, 17, TT_F_PEEK);
	for (uint64_t id = 10; id < 16; id++)      /* more calls in flight than the bound */
		tt_data_rec(&s, id, 0, "x");
	tt_call_rec(&s, 15, 1, 1, 0);
	op(&s, 0xff, NULL, 0);
	save_seed("tt_asm", "calls", &s);
}

/* ---- netrace records ------------------------------------------------- */

static void nr_rec(struct seed *s, struct nr_event e, const void *pkt)
{
	uint8_t b[sizeof(e) + 128];
	if (e.cap_len > 128)
		return;
	memcpy(b, &e, sizeof(e));
	if (e.cap_len)
		memcpy(b + sizeof(e), pkt, e.cap_len);
	op(s, 0, b, sizeof(e) + e.cap_len);
}

static void nr_seeds(void)
{
	uint8_t pkt[128];
	size_t plen = t_unhex("0200 0000 0001 0200 0000 0002 0800"          /* Ethernet */
			      "4500 0024 0001 0000 4011 0000 0a00 0001 0a00 0002" /* IPv4 */
			      "03e8 0035 0010 0000 6869 6869 6869 6869",          /* UDP */
			      pkt, sizeof(pkt));
	struct nr_event udp = { .ts_ns = 123456789, .ifindex = 4, .skb_len = (uint32_t)plen,
				.ip_len = 36, .cap_len = (uint32_t)plen, .sport = 1000,
				.dport = 53, .family = 4, .proto = 17, .ttl = 64,
				.flags = NR_F_PORTS, .saddr = { 10, 0, 0, 1 },
				.daddr = { 10, 0, 0, 2 } };
	struct nr_event tcp6 = { .ts_ns = 223456789, .supp_pkts = 3, .supp_bytes = 300,
				 .ifindex = 7, .skb_len = 1500, .ip_len = 1480, .sport = 443,
				 .dport = 51000, .vlan_tci = 5, .vlan_proto = 0x8100, .dir = 1,
				 .family = 6, .proto = 6, .ttl = 255, .tcp_flags = 0x12,
				 .flags = NR_F_PORTS, .saddr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
				 .daddr = { 0xfe, 0x80, [15] = 2 } };
	struct nr_event icmp = { .ts_ns = 1, .ifindex = 99, .ip_len = 84, .family = 4, .proto = 1,
				 .icmp_type = 8, .saddr = { 192, 168, 1, 1 },
				 .daddr = { 8, 8, 8, 8 } };
	for (uint8_t fmt = 0; fmt < 3; fmt++) {
		struct seed s = { .n = 0 };
		put_u8(&s, fmt);
		put_u8(&s, 0);
		nr_rec(&s, udp, pkt);
		nr_rec(&s, tcp6, NULL);
		nr_rec(&s, icmp, NULL);
		op(&s, 0, &udp, sizeof(udp) - 1);  /* short */
		char name[16];
		snprintf(name, sizeof(name), "fmt%u", fmt);
		save_seed("nr_sink", name, &s);
	}
}

/* ---- rtnetlink: real replies ----------------------------------------- */

/* Send the request in m and save every datagram of the reply (at most 8). */
static void nl_capture(int fd, struct nl_msg *m, const char *name)
{
	struct nlmsghdr *h = nl_msg_hdr(m);
	static uint32_t seq;
	h->nlmsg_seq = ++seq;
	if (nl_msg_finish(m) || send(fd, h, h->nlmsg_len, 0) < 0)
		return;
	static uint8_t buf[32768];
	for (int i = 0; i < 8; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		char file[64];
		snprintf(file, sizeof(file), "%s-%d", name, i);
		save("netlink", file, buf, (size_t)n);
		const struct nlmsghdr *last = NULL, *r;
		size_t off = 0;
		while (nl_msg_next(buf, (size_t)n, &off, &r) == 1)
			last = r;
		if (!last || last->nlmsg_type == NLMSG_DONE || last->nlmsg_type == NLMSG_ERROR ||
		    !(last->nlmsg_flags & NLM_F_MULTI))
			return;
	}
}

static void nl_dump_of(int fd, uint16_t type, size_t hdrlen, uint8_t family, const char *name)
{
	uint8_t buf[256];
	struct nl_msg m;
	uint8_t *fam = nl_msg_init(&m, buf, sizeof(buf), type, NLM_F_REQUEST | NLM_F_DUMP, hdrlen);
	if (fam)
		*fam = family;
	nl_capture(fd, &m, name);
}

static void nl_seeds(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		fprintf(stderr, "seeds: no netlink socket (%s): no captured replies\n", strerror(errno));
	} else {
		int one = 1;
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		struct timeval tv = { .tv_sec = 2 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		nl_dump_of(fd, RTM_GETLINK, sizeof(struct ifinfomsg), AF_UNSPEC, "links");
		nl_dump_of(fd, RTM_GETROUTE, sizeof(struct rtmsg), AF_INET, "routes4");
		nl_dump_of(fd, RTM_GETROUTE, sizeof(struct rtmsg), AF_INET6, "routes6");
		nl_dump_of(fd, RTM_GETNEXTHOP, sizeof(struct nhmsg), AF_UNSPEC, "nexthops");
		nl_dump_of(fd, RTM_GETQDISC, sizeof(struct tcmsg), AF_UNSPEC, "qdiscs");
		uint8_t buf[TC_MSG_BUF];
		struct nl_msg m;
		if (tc_msg_filter_dump(&m, buf, sizeof(buf), 1, tc_clsact_parent(1)) == 0)
			nl_capture(fd, &m, "filters");
		/* a request the kernel refuses: NLMSG_ERROR, with an extended ack */
		if (tc_msg_filter_del(&m, buf, sizeof(buf), 0x7fffff00, tc_clsact_parent(0), 1, 1) == 0) {
			nl_msg_hdr(&m)->nlmsg_flags |= NLM_F_ACK;
			nl_capture(fd, &m, "error");
		}
		close(fd);
	}
	/* what the kernel echoes for a new cls_bpf filter is this message
	 * with handle and prio set: keep the request as a seed too */
	uint8_t buf[TC_MSG_BUF];
	struct nl_msg m;
	if (tc_msg_filter_new(&m, buf, sizeof(buf), 3, tc_clsact_parent(1), 49152, 7,
			      "netrace_ingress+clsact") == 0) {
		struct nlmsghdr *h = nl_msg_hdr(&m);
		((struct tcmsg *)NLMSG_DATA(h))->tcm_handle = 1;
		save("netlink", "filter-new", h, h->nlmsg_len);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	hpack_seeds();
	h2_seeds();
	h1_seeds();
	tt_seeds();
	nr_seeds();
	nl_seeds();
	return 0;
}
