/* Synthetic TCP streams of decrypted plaintext, as pcapng (see tt_pcap.h). */
#include "tt_pcap.h"
#include <stdlib.h>
#include <string.h>
#include "out/pcapng.h"
#include "out/strbuf.h"
#include "http_text.h"
#include "tt_pkt.h"

#define COMMENT_MAX 320u
#define SNAPLEN 262144u
#define HDR_BLOCKS_MAX 256u
#define PKT_MAX (TT_PKT_HDR_MAX + TT_PCAP_MSS)
#define FAKE_LOCAL 198u, 18u  /* RFC 2544's benchmarking range */
#define FAKE_PEER 198u, 19u

enum { FROM_A, FROM_B };     /* a: the end that sent first */

struct stream {
	uint64_t conn_id;          /* 0: free */
	uint8_t family;
	uint8_t addr[2][16];       /* a's and b's */
	uint16_t port[2];
	uint32_t next_seq[2];
	uint8_t a_is_local;        /* a is the traced process's end */
	uint8_t other_view;        /* made-up addresses: the peer's view is traced too */
	struct tt_addr real;       /* for the comments of other_view */
	uint64_t pid_tgid, last_ns;
	char comm[TT_COMM_LEN];
	const char *lib;
};

/* One packet to write. */
struct packet {
	const struct stream *st;
	int from;
	uint8_t flags;
	uint32_t extra_seq;        /* SYN or FIN: counts as one */
	const uint8_t *data;
	size_t len;
	uint64_t ts_ns;
	const char *comment;
};

struct tt_pcap {
	struct outbuf *ob;
	uint8_t pkt[PKT_MAX];
	char comment[COMMENT_MAX];
	struct stream streams[TT_PCAP_STREAMS];
};

size_t tt_pcap_record_max(void)
{
	struct pcapng_pkt pk = { .caplen = PKT_MAX, .comment = NULL };
	return pcapng_epb_len(&pk) + COMMENT_MAX + 8;
}

struct tt_pcap *tt_pcap_new(struct outbuf *ob)
{
	struct tt_pcap *w = calloc(1, sizeof(*w));
	char *p = w ? outbuf_reserve(ob, HDR_BLOCKS_MAX) : NULL;
	if (!p) {
		free(w);
		return NULL;
	}
	w->ob = ob;
	size_t n = pcapng_shb((uint8_t *)p, HDR_BLOCKS_MAX, "nflux tlstrace");
	n += pcapng_idb_desc((uint8_t *)p + n, HDR_BLOCKS_MAX - n, PCAPNG_LINKTYPE_RAW, SNAPLEN,
			     "tlstrace", "decrypted TLS plaintext (nflux tlstrace): synthetic TCP streams");
	outbuf_commit(ob, n);
	return w;
}

void tt_pcap_free(struct tt_pcap *w)
{
	free(w);
}

/* ---- writing packets ---------------------------------------------------- */

static int write_packet(struct tt_pcap *w, const struct packet *pk)
{
	const struct stream *st = pk->st;
	int to = !pk->from;
	struct tt_seg seg = {
		.family = st->family, .src = st->addr[pk->from], .dst = st->addr[to],
		.sport = st->port[pk->from], .dport = st->port[to],
		.seq = st->next_seq[pk->from], .ack = st->next_seq[to], .flags = pk->flags,
		.data = pk->data, .len = pk->len,
	};
	size_t n = tt_pkt_build(w->pkt, sizeof(w->pkt), &seg);
	struct pcapng_pkt rec = {
		.ts_us = pk->ts_ns / 1000, .data = w->pkt, .caplen = (uint32_t)n,
		.origlen = (uint32_t)n, .comment = pk->comment,
	};
	size_t need = pcapng_epb_len(&rec);
	char *p = n ? outbuf_reserve(w->ob, need) : NULL;
	if (!p)
		return -1;
	outbuf_commit(w->ob, pcapng_epb((uint8_t *)p, need, &rec));
	return 0;
}

/* Write a packet and advance its sender's sequence number. */
static int send_packet(struct tt_pcap *w, struct stream *st, struct packet pk)
{
	pk.st = st;
	int err = write_packet(w, &pk);
	st->next_seq[pk.from] += (uint32_t)pk.len + pk.extra_seq;
	return err;
}

/* "pid P tid T comm C lib L func F conn N" and what follows. */
static const char *comment(struct tt_pcap *w, const struct stream *st, const char *func,
			   const char *what, uint64_t lost)
{
	struct strbuf b;
	sb_init(&b, w->comment, sizeof(w->comment));
	sb_puts(&b, "pid ");
	sb_putu(&b, st->pid_tgid >> 32);
	sb_puts(&b, " tid ");
	sb_putu(&b, (uint32_t)st->pid_tgid);
	sb_puts(&b, " comm ");
	nf_put_escaped(&b, st->comm, strnlen(st->comm, TT_COMM_LEN));
	sb_puts(&b, " lib ");
	nf_put_escaped(&b, st->lib, strnlen(st->lib, 64));
	sb_puts(&b, " func ");
	sb_puts(&b, func);
	sb_puts(&b, " conn ");
	sb_putu(&b, st->conn_id);
	if (what) {
		sb_puts(&b, ", ");
		sb_puts(&b, what);
	}
	if (lost) {
		sb_puts(&b, ", truncated, ");
		sb_putu(&b, lost);
		sb_puts(&b, " bytes lost");
	}
	if (st->other_view)
		sb_puts(&b, ", the other end's view (made-up addresses, the real ones are the "
			"stream of the same ports)");
	return w->comment;
}

static int handshake(struct tt_pcap *w, struct stream *st, const char *func)
{
	const char *c = comment(w, st, func, "synthetic handshake", 0);
	uint64_t ts = st->last_ns;
	int err = send_packet(w, st, (struct packet){ .from = FROM_A, .flags = TT_TCP_SYN,
						   .extra_seq = 1, .ts_ns = ts, .comment = c });
	err |= send_packet(w, st, (struct packet){ .from = FROM_B, .extra_seq = 1, .ts_ns = ts,
						.flags = TT_TCP_SYN | TT_TCP_ACK, .comment = c });
	err |= send_packet(w, st, (struct packet){ .from = FROM_A, .flags = TT_TCP_ACK,
						.ts_ns = ts, .comment = c });
	return err;
}

static void close_stream(struct tt_pcap *w, struct stream *st, uint64_t ts, const char *why)
{
	if (!st->conn_id)
		return;
	const char *c = comment(w, st, "-", why, 0);
	uint8_t fin = TT_TCP_FIN | TT_TCP_ACK;
	send_packet(w, st, (struct packet){ .from = FROM_A, .flags = fin, .extra_seq = 1,
					    .ts_ns = ts, .comment = c });
	send_packet(w, st, (struct packet){ .from = FROM_B, .flags = fin, .extra_seq = 1,
					    .ts_ns = ts, .comment = c });
	send_packet(w, st, (struct packet){ .from = FROM_A, .flags = TT_TCP_ACK, .ts_ns = ts,
					    .comment = c });
	st->conn_id = 0;
}

void tt_pcap_close_all(struct tt_pcap *w, uint64_t now_ns)
{
	for (size_t i = 0; i < TT_PCAP_STREAMS; i++)
		close_stream(w, &w->streams[i], now_ns, "synthetic close at exit");
}

/* ---- streams ------------------------------------------------------------ */

static int same_tuple(const struct stream *st, const struct tt_addr *a)
{
	size_t n = a->family == 6 ? 16 : 4;
	if (!st->conn_id || st->other_view || st->family != a->family)
		return 0;
	for (int i = 0; i < 2; i++)
		if (!memcmp(st->addr[i], a->src, n) && !memcmp(st->addr[!i], a->dst, n) &&
		    st->port[i] == a->sport && st->port[!i] == a->dport)
			return 1;
	return 0;
}

/* Another connection's stream has these ends: its peer is traced too. */
static int seen_from_other_end(const struct tt_pcap *w, const struct tt_addr *a)
{
	for (size_t i = 0; i < TT_PCAP_STREAMS; i++)
		if (same_tuple(&w->streams[i], a))
			return 1;
	return 0;
}

static void made_up(uint8_t *ip, uint8_t a, uint8_t b, uint64_t id)
{
	uint8_t v[4] = { a, b, (uint8_t)(id >> 8), (uint8_t)id };
	memcpy(ip, v, 4);
}

/* The ends: a sent the first bytes (ev's sender). */
static void set_ends(struct stream *st, const struct tt_addr *a, int use_real)
{
	int local = st->a_is_local ? FROM_A : FROM_B;
	if (use_real) {
		st->family = a->family;
		memcpy(st->addr[FROM_A], a->src, 16); /* ev: src is the sender */
		memcpy(st->addr[FROM_B], a->dst, 16);
		st->port[FROM_A] = a->sport;
		st->port[FROM_B] = a->dport;
		return;
	}
	st->family = 4;
	made_up(st->addr[local], FAKE_LOCAL, st->conn_id);
	made_up(st->addr[!local], FAKE_PEER, st->conn_id);
	if (!a->known) {
		st->port[local] = (uint16_t)(1024 + (st->conn_id >> 16) % 60000);
		st->port[!local] = 80;
	} else {
		st->port[FROM_A] = a->sport;
		st->port[FROM_B] = a->dport;
	}
}

static void start_stream(struct tt_pcap *w, struct stream *st, const struct tt_event *ev)
{
	int other = ev->addr.known && seen_from_other_end(w, &ev->addr);
	memset(st, 0, sizeof(*st));
	st->conn_id = ev->conn_id;
	st->a_is_local = !!(ev->call->flags & TT_F_WRITE);
	st->other_view = (uint8_t)other;
	set_ends(st, &ev->addr, ev->addr.known && !other);
	st->next_seq[FROM_A] = (uint32_t)(ev->conn_id * 2654435761u);
	st->next_seq[FROM_B] = st->next_seq[FROM_A] ^ 0x5a5a5a5au;
}

static int send_data(struct tt_pcap *w, struct stream *st, const struct tt_event *ev)
{
	int from = !!(ev->call->flags & TT_F_WRITE) == st->a_is_local ? FROM_A : FROM_B;
	uint64_t lost = ev->call->len > ev->data_len ? ev->call->len - ev->data_len : 0;
	const char *c = comment(w, st, tt_func_name(ev->call->func), NULL, lost);
	int err = 0;
	for (size_t off = 0; off < ev->data_len && !err; off += TT_PCAP_MSS) {
		size_t n = ev->data_len - off < TT_PCAP_MSS ? ev->data_len - off : TT_PCAP_MSS;
		uint8_t flags = TT_TCP_ACK | (off + n == ev->data_len ? TT_TCP_PSH : 0);
		err = send_packet(w, st, (struct packet){ .from = from, .flags = flags,
							.data = ev->data + off, .len = n,
							.ts_ns = ev->realtime_ns, .comment = c });
	}
	st->next_seq[from] += (uint32_t)lost;
	return err;
}

int tt_pcap_event(struct tt_pcap *w, const struct tt_event *ev)
{
	if (ev->call->flags & TT_F_PEEK || !ev->call->len)
		return 0;
	struct stream *st = &w->streams[ev->conn_id % TT_PCAP_STREAMS];
	int err = 0;
	if (st->conn_id && st->conn_id != ev->conn_id)
		close_stream(w, st, st->last_ns, "synthetic close (slot taken)");
	int fresh = st->conn_id != ev->conn_id;
	if (fresh)
		start_stream(w, st, ev);
	st->pid_tgid = ev->call->pid_tgid;
	memcpy(st->comm, ev->call->comm, TT_COMM_LEN);
	st->lib = ev->lib ? ev->lib : "unknown";
	st->last_ns = ev->realtime_ns;
	if (fresh)
		err = handshake(w, st, tt_func_name(ev->call->func));
	return err | send_data(w, st, ev);
}
