/* tlstrace assembly: records built here as bpf/tlstrace.h lays them out,
 * fed one at a time from a copy at an odd address that ends exactly where
 * its allocation does (ASan sees any read past a record, UBSan any
 * unaligned access); the events must carry exactly the bytes sent. */
#include <stdint.h>
#include "t.h"
#include "t_data.h"
#include "tlstrace/tt_asm.h"

/* What the callback saw, copied (the event is valid only during it). */
struct seen {
	uint64_t call_id, len;
	uint32_t func, flags;
	int fd;
	uint8_t *data;
	size_t data_len;
};

struct sink {
	struct seen ev[64];
	size_t n;
	uint32_t maps[8];
	size_t nmaps;
	int stop_with;        /* the callback's return value */
};

static int on_event(void *ctx, struct tt_event *ev)
{
	struct sink *s = ctx;
	if (s->n < 64) {
		struct seen *e = &s->ev[s->n];
		e->call_id = ev->call->call_id;
		e->len = ev->call->len;
		e->func = ev->call->func;
		e->flags = ev->call->flags;
		e->fd = ev->fd;
		e->data_len = ev->data_len;
		e->data = malloc(ev->data_len + 1);
		memcpy(e->data, ev->data, ev->data_len); /* ev->data is never NULL */
	}
	s->n++;
	return s->stop_with;
}

static int on_maps(void *ctx, uint32_t tgid)
{
	struct sink *s = ctx;
	if (s->nmaps < 8)
		s->maps[s->nmaps] = tgid;
	s->nmaps++;
	return 0;
}

static void sink_clear(struct sink *s)
{
	for (size_t i = 0; i < s->n && i < 64; i++)
		free(s->ev[i].data);
	memset(s, 0, sizeof(*s));
}

/* The payload byte at offset i of call id: any mix-up shows. */
static uint8_t pattern(uint64_t id, size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + id * 29 + (id >> 48) * 53);
}

static int has_pattern(const struct seen *e, uint64_t id)
{
	for (size_t i = 0; i < e->data_len; i++)
		if (e->data[i] != pattern(id, i))
			return 0;
	return 1;
}

/* A record, built in a byte buffer. */
struct rec {
	uint8_t *p;
	size_t len;
};

static struct rec data_rec(uint64_t id, uint32_t off, uint32_t n)
{
	struct tt_data h = { .type = TT_REC_DATA, .len = n, .call_id = id, .offset = off };
	struct rec r = { malloc(sizeof(h) + n), sizeof(h) + n };
	memcpy(r.p, &h, sizeof(h));
	for (uint32_t i = 0; i < n; i++)
		r.p[sizeof(h) + i] = pattern(id, off + i);
	return r;
}

static struct tt_call call_hdr(uint64_t id, uint64_t len, uint64_t captured)
{
	struct tt_call c = {
		.type = TT_REC_CALL, .func = TT_SSL_WRITE_EX, .call_id = id, .ts_ns = 5,
		.pid_tgid = (uint64_t)100 << 32 | 101, .conn = 0x1234, .len = len,
		.captured = captured, .fd = 7, .flags = TT_F_WRITE, .comm = "curl",
	};
	return c;
}

static struct rec call_rec_of(const struct tt_call *c)
{
	struct rec r = { malloc(sizeof(*c)), sizeof(*c) };
	memcpy(r.p, c, sizeof(*c));
	return r;
}

static struct rec call_rec(uint64_t id, uint64_t len, uint64_t captured)
{
	struct tt_call c = call_hdr(id, len, captured);
	return call_rec_of(&c);
}

static struct rec maps_rec(uint32_t tgid)
{
	struct tt_maps m = { .type = TT_REC_MAPS, .tgid = tgid };
	struct rec r = { malloc(sizeof(m)), sizeof(m) };
	memcpy(r.p, &m, sizeof(m));
	return r;
}

/* Feed len bytes of r from an odd address at the end of an allocation. */
static int feed_n(struct tt_asm *a, const struct rec *r, size_t len)
{
	uint8_t *copy = malloc(len + 1);
	memcpy(copy + 1, r->p, len);
	int ret = tt_asm_feed(a, copy + 1, len);
	free(copy);
	return ret;
}

static int feed(struct tt_asm *a, struct rec r)
{
	int ret = feed_n(a, &r, r.len);
	free(r.p);
	return ret;
}

/* A call of n bytes in chunks of chunk, then its call record. */
static void send_call(struct tt_asm *a, uint64_t id, size_t n, size_t chunk)
{
	for (size_t off = 0; off < n; off += chunk)
		feed(a, data_rec(id, (uint32_t)off, (uint32_t)(n - off < chunk ? n - off : chunk)));
	feed(a, call_rec(id, n, n));
}

#define CPU(c, seq) ((uint64_t)(c) << 48 | (seq))

/* A small stream of records for the truncation and flip cases: three
 * calls (one interleaved, one without data), a maps record. */
static size_t build_stream(struct rec *out)
{
	size_t n = 0;
	out[n++] = data_rec(CPU(0, 1), 0, 100);
	out[n++] = data_rec(CPU(1, 1), 0, 64);
	out[n++] = data_rec(CPU(0, 1), 100, 50);
	out[n++] = call_rec(CPU(0, 1), 150, 150);
	out[n++] = maps_rec(4242);
	out[n++] = call_rec(CPU(1, 1), 64, 64);
	out[n++] = call_rec(CPU(2, 1), 30, 0);
	return n;
}

/* The events of a damaged run that hold more than their call moved (or,
 * with exact, other bytes than were sent); the run is then freed. */
static int end_run(struct tt_asm *a, struct sink *k, int exact)
{
	int bad = 0;
	for (size_t e = 0; e < k->n && e < 64; e++) {
		const struct seen *ev = &k->ev[e];
		if (ev->data_len > ev->len || ev->data_len > 150 ||
		    (exact && !has_pattern(ev, ev->call_id)))
			bad++;
	}
	sink_clear(k);
	tt_asm_free(a);
	return bad;
}

static void test_truncations(void)
{
	T_CASE("every truncation of every record: counted, skipped, the rest intact") {
		struct rec s[8];
		size_t n = build_stream(s);
		int bad = 0;
		for (size_t r = 0; r < n; r++) {
			for (size_t cut = 0; cut < s[r].len; cut++) {
				struct sink k = { 0 };
				struct tt_asm *a = tt_asm_new(0, 0, on_event, on_maps, &k);
				for (size_t i = 0; i < n; i++)
					feed_n(a, &s[i], i == r ? cut : s[i].len);
				const struct tt_asm_stats *st = tt_asm_stats(a);
				uint32_t type;
				memcpy(&type, s[r].p, 4);
				size_t want = type == TT_REC_CALL ? 2 : 3;
				if (st->malformed != 1 || k.n != want || k.nmaps != (type == TT_REC_MAPS ? 0u : 1u))
					bad++;
				/* A data record cut: its call's bytes stop at the gap. */
				if (r == 0 && k.n == 3 && k.ev[0].data_len != 0)
					bad++; /* the first chunk lost: nothing contiguous */
				if (r == 2 && k.n == 3 && k.ev[0].data_len != 100)
					bad++;
				bad += end_run(a, &k, 1);
			}
		}
		CHECK_EQ(bad, 0);
		for (size_t i = 0; i < n; i++)
			free(s[i].p);
	}
}

static void test_flips(void)
{
	T_CASE("random bit flips and lengths: no crash, events stay within their calls") {
		struct rec s[8];
		size_t n = build_stream(s);
		int bad = 0;
		for (int round = 0; round < 3000; round++) {
			struct sink k = { 0 };
			struct tt_asm *a = tt_asm_new(4, 0, on_event, on_maps, &k);
			for (size_t i = 0; i < n; i++) {
				struct rec r = { malloc(s[i].len), s[i].len };
				memcpy(r.p, s[i].p, r.len);
				for (uint32_t f = t_rand() % 4; f > 0; f--)
					r.p[t_rand() % r.len] ^= (uint8_t)(1u << (t_rand() % 8));
				size_t len = t_rand() % 8 ? r.len : t_rand() % (r.len + 1);
				feed_n(a, &r, len);
				free(r.p);
			}
			const struct tt_asm_stats *st = tt_asm_stats(a);
			if (k.n > 3 || tt_asm_in_flight(a) > 4 || st->events != k.n)
				bad++;
			bad += end_run(a, &k, 0);
		}
		CHECK_EQ(bad, 0);
		for (size_t i = 0; i < n; i++)
			free(s[i].p);
	}
}

/* The main cases' assembler over their sink: fresh() frees the last one
 * and clears what it saw. */
static struct sink k;
static struct tt_asm *a;

static struct tt_asm *fresh(size_t max_calls, size_t max_bytes, tt_maps_fn maps)
{
	tt_asm_free(a);
	sink_clear(&k);
	return a = tt_asm_new(max_calls, max_bytes, on_event, maps, &k);
}

int main(void)
{
	t_rand_seed();

	T_CASE("one call in several chunks: exact bytes") {
		REQUIRE(fresh(0, 0, on_maps));
		size_t n = 2 * TT_CHUNK + 100;
		send_call(a, CPU(3, 9), n, TT_CHUNK);
		REQUIRE(k.n == 1);
		CHECK(k.ev[0].call_id == CPU(3, 9));
		CHECK_EQ(k.ev[0].data_len, n);
		CHECK_EQ(k.ev[0].len, n);
		CHECK(has_pattern(&k.ev[0], CPU(3, 9)));
		CHECK_EQ(k.ev[0].func, TT_SSL_WRITE_EX);
		CHECK_EQ(k.ev[0].fd, 7);
		const struct tt_asm_stats *st = tt_asm_stats(a);
		CHECK_EQ(st->events, 1);
		CHECK_EQ(st->bytes, n);
		CHECK_EQ(st->missing, 0);
		CHECK_EQ(st->malformed + st->unknown + st->dropped_calls, 0);
		CHECK_EQ(tt_asm_in_flight(a), 0);
	}

	T_CASE("a whole 4 MiB call in 128 chunks") {
		REQUIRE(fresh(0, TT_MAX_BYTES, NULL));
		send_call(a, CPU(0, 1), TT_MAX_BYTES, TT_CHUNK);
		REQUIRE(k.n == 1);
		CHECK_EQ(k.ev[0].data_len, TT_MAX_BYTES);
		CHECK(has_pattern(&k.ev[0], CPU(0, 1)));
		CHECK_EQ(tt_asm_stats(a)->dropped_calls, 0);
	}

	T_CASE("calls from two CPUs interleaved, and a buffer reused") {
		REQUIRE(fresh(0, 0, on_maps));
		uint64_t x = CPU(0, 77), y = CPU(1, 77); /* same sequence, other CPU */
		feed(a, data_rec(x, 0, 1000));
		feed(a, data_rec(y, 0, 10));
		feed(a, data_rec(x, 1000, 1000));
		feed(a, data_rec(y, 10, 20));
		CHECK_EQ(tt_asm_in_flight(a), 2);
		feed(a, call_rec(y, 30, 30));
		feed(a, data_rec(x, 2000, 5));
		feed(a, call_rec(x, 2005, 2005));
		send_call(a, CPU(1, 78), 3000, 700); /* takes a kept buffer */
		REQUIRE(k.n == 3);
		CHECK(k.ev[0].call_id == y && k.ev[0].data_len == 30 && has_pattern(&k.ev[0], y));
		CHECK(k.ev[1].call_id == x && k.ev[1].data_len == 2005 && has_pattern(&k.ev[1], x));
		CHECK(k.ev[2].data_len == 3000 && has_pattern(&k.ev[2], CPU(1, 78)));
		CHECK_EQ(tt_asm_stats(a)->bytes, 5035);
		CHECK_EQ(tt_asm_in_flight(a), 0);
	}

	T_CASE("the last chunk overlaps the one before, as the kernel sends it: the new part is kept") {
		REQUIRE(fresh(0, 0, on_maps));
		uint64_t id = CPU(3, 1);
		uint32_t want = 2 * TT_CHUNK + 100;
		feed(a, data_rec(id, 0, TT_CHUNK));
		feed(a, data_rec(id, TT_CHUNK, TT_CHUNK));
		feed(a, data_rec(id, want - TT_CHUNK, TT_CHUNK)); /* the call's last TT_CHUNK bytes */
		feed(a, call_rec(id, want, want));
		REQUIRE(k.n == 1);
		CHECK_EQ(k.ev[0].data_len, want);
		CHECK(has_pattern(&k.ev[0], id));
		CHECK_EQ(tt_asm_stats(a)->missing, 0);
		CHECK_EQ(tt_asm_stats(a)->malformed, 0);
	}
	T_CASE("a missing chunk ends the data; the rest counts as missing") {
		REQUIRE(fresh(0, 0, on_maps));
		uint64_t id = CPU(2, 5);
		feed(a, data_rec(id, 0, TT_CHUNK));
		/* the chunk at TT_CHUNK was lost in the kernel */
		feed(a, data_rec(id, 2 * TT_CHUNK, TT_CHUNK));
		feed(a, data_rec(id, 3 * TT_CHUNK, 10));
		feed(a, call_rec(id, 3 * TT_CHUNK + 10, 2 * TT_CHUNK + 10));
		/* the first chunk lost: no data at all */
		uint64_t id2 = CPU(2, 6);
		feed(a, data_rec(id2, TT_CHUNK, 50));
		feed(a, call_rec(id2, TT_CHUNK + 50, 50));
		/* a chunk sent again adds nothing, and the data goes on */
		uint64_t id3 = CPU(2, 7);
		feed(a, data_rec(id3, 0, 40));
		feed(a, data_rec(id3, 0, 40));
		feed(a, data_rec(id3, 40, 40));
		feed(a, call_rec(id3, 80, 80));
		REQUIRE(k.n == 3);
		CHECK_EQ(k.ev[0].data_len, TT_CHUNK);
		CHECK(has_pattern(&k.ev[0], id));
		CHECK_EQ(k.ev[1].data_len, 0);
		CHECK_EQ(k.ev[2].data_len, 80);
		CHECK(has_pattern(&k.ev[2], id3));
		const struct tt_asm_stats *st = tt_asm_stats(a);
		CHECK_EQ(st->bytes, TT_CHUNK + 80);
		CHECK_EQ(st->missing, (2 * TT_CHUNK + 10) + (TT_CHUNK + 50));
		CHECK_EQ(st->malformed, 0);
		CHECK_EQ(tt_asm_in_flight(a), 0);
	}

	T_CASE("a call with no data is still an event") {
		REQUIRE(fresh(0, 0, on_maps));
		struct tt_call c = call_hdr(CPU(0, 3), 5000, 0);
		c.func = TT_SSL_PEEK;
		c.flags = TT_F_PEEK | TT_F_CUT;
		c.fd = -1;
		feed(a, call_rec_of(&c));
		REQUIRE(k.n == 1);
		CHECK_EQ(k.ev[0].data_len, 0);
		CHECK_EQ(k.ev[0].len, 5000);
		CHECK_EQ(k.ev[0].func, TT_SSL_PEEK);
		CHECK_EQ(k.ev[0].flags, TT_F_PEEK | TT_F_CUT);
		CHECK_EQ(k.ev[0].fd, -1);
		CHECK_EQ(tt_asm_stats(a)->missing, 5000);
	}

	T_CASE("maps records go to their callback; none set is fine") {
		REQUIRE(fresh(0, 0, on_maps));
		feed(a, maps_rec(17));
		feed(a, maps_rec(4000000));
		CHECK_EQ(k.nmaps, 2);
		CHECK_EQ(k.maps[0], 17);
		CHECK_EQ(k.maps[1], 4000000);
		CHECK_EQ(tt_asm_stats(a)->maps, 2);
		REQUIRE(fresh(0, 0, NULL));
		CHECK_EQ(feed(a, maps_rec(1)), 0);
		CHECK_EQ(tt_asm_stats(a)->maps, 1);
	}

	T_CASE("the callback's return comes back from tt_asm_feed") {
		REQUIRE(fresh(0, 0, on_maps));
		k.stop_with = 9;
		feed(a, data_rec(CPU(0, 1), 0, 10));
		CHECK_EQ(feed(a, call_rec(CPU(0, 1), 10, 10)), 9);
		CHECK_EQ(tt_asm_in_flight(a), 0);
	}

	T_CASE("malformed and unknown records are counted and skipped") {
		REQUIRE(fresh(0, 0, on_maps));
		struct rec r = data_rec(CPU(0, 1), 0, 10);
		struct tt_data h;
		memcpy(&h, r.p, sizeof(h));
		CHECK_EQ(feed_n(a, &r, 3), 0);               /* shorter than a type */
		CHECK_EQ(feed_n(a, &r, sizeof(h) - 1), 0);   /* a header cut */
		CHECK_EQ(feed_n(a, &r, sizeof(h) + 9), 0);   /* bytes missing */
		h.len = 0;                                   /* the kernel sends none empty */
		memcpy(r.p, &h, sizeof(h));
		feed_n(a, &r, sizeof(h));
		h.len = TT_CHUNK + 1;                        /* larger than a chunk */
		memcpy(r.p, &h, sizeof(h));
		feed_n(a, &r, r.len);
		h.len = 10;
		h.offset = (uint32_t)TT_MAX_BYTES - 5;       /* past what a call can carry */
		memcpy(r.p, &h, sizeof(h));
		feed_n(a, &r, r.len);
		h.offset = UINT32_MAX - 3;                   /* offset + len wraps */
		memcpy(r.p, &h, sizeof(h));
		feed_n(a, &r, r.len);
		free(r.p);
		CHECK_EQ(tt_asm_stats(a)->malformed, 7);
		CHECK_EQ(tt_asm_in_flight(a), 0);

		struct rec c = call_rec(CPU(0, 2), 10, 10);
		feed_n(a, &c, c.len - 1);
		free(c.p);
		struct tt_call bad = call_hdr(CPU(0, 2), 10, 11); /* captured > len */
		feed(a, call_rec_of(&bad));
		feed(a, data_rec(CPU(0, 3), 0, 20));
		bad = call_hdr(CPU(0, 3), 30, 10);                /* more data than captured */
		feed(a, call_rec_of(&bad));
		struct rec m = maps_rec(5);
		feed_n(a, &m, m.len - 1);
		free(m.p);
		CHECK_EQ(tt_asm_stats(a)->malformed, 11);

		struct tt_maps odd = { .type = 99, .tgid = 1 };
		struct rec u = { malloc(sizeof(odd)), sizeof(odd) };
		memcpy(u.p, &odd, sizeof(odd));
		feed(a, u);
		CHECK_EQ(tt_asm_stats(a)->unknown, 1);
		CHECK_EQ(k.n, 0);
		CHECK_EQ(k.nmaps, 0);
		CHECK_EQ(tt_asm_stats(a)->events, 0);
	}

	T_CASE("the perf buffer's padding (up to 7 bytes) is accepted, 8 is not") {
		REQUIRE(fresh(0, 0, on_maps));
		struct rec d = data_rec(CPU(0, 1), 0, 13);
		struct rec padded = { calloc(1, d.len + 7), d.len + 7 };
		memcpy(padded.p, d.p, d.len);
		feed(a, padded);
		struct tt_call c = call_hdr(CPU(0, 1), 13, 13);
		struct rec cp = { calloc(1, sizeof(c) + 8), sizeof(c) + 8 };
		memcpy(cp.p, &c, sizeof(c));
		feed_n(a, &cp, sizeof(c) + 8);
		CHECK_EQ(tt_asm_stats(a)->malformed, 1);
		feed_n(a, &cp, sizeof(c) + 4);
		free(cp.p);
		free(d.p);
		REQUIRE(k.n == 1);
		CHECK_EQ(k.ev[0].data_len, 13);
		CHECK(has_pattern(&k.ev[0], CPU(0, 1)));
	}

	T_CASE("more calls in flight than allowed: the oldest is dropped, counted") {
		REQUIRE(fresh(4, 0, on_maps));
		for (uint64_t c = 0; c < 5; c++)
			feed(a, data_rec(CPU(c, 1), 0, (uint32_t)(100 + c)));
		CHECK_EQ(tt_asm_in_flight(a), 4);
		CHECK_EQ(tt_asm_stats(a)->dropped_calls, 1);
		CHECK_EQ(tt_asm_stats(a)->dropped_bytes, 100);
		feed(a, data_rec(CPU(0, 1), 100, 10)); /* the dropped call's next chunk */
		CHECK_EQ(tt_asm_in_flight(a), 4);
		for (uint64_t c = 0; c < 5; c++)
			feed(a, call_rec(CPU(c, 1), 100 + c + (c == 0) * 10, 100 + c + (c == 0) * 10));
		REQUIRE(k.n == 5);
		CHECK_EQ(k.ev[0].data_len, 0);
		for (size_t c = 1; c < 5; c++)
			CHECK(k.ev[c].data_len == 100 + c && has_pattern(&k.ev[c], CPU(c, 1)));
		CHECK_EQ(tt_asm_stats(a)->missing, 110);
		CHECK_EQ(tt_asm_in_flight(a), 0);
	}

	T_CASE("over the byte budget: the oldest incomplete call is dropped, counted") {
		/* The smallest budget is one whole call (4 MiB). */
		REQUIRE(fresh(0, 1, on_maps));
		uint64_t old = CPU(0, 1), young = CPU(1, 1);
		size_t n = 3u << 20;
		for (size_t off = 0; off < n; off += TT_CHUNK)
			feed(a, data_rec(old, (uint32_t)off, TT_CHUNK));
		CHECK_EQ(tt_asm_stats(a)->dropped_calls, 0);
		feed(a, data_rec(young, 0, 1000)); /* old's buffer holds the whole budget */
		CHECK_EQ(tt_asm_stats(a)->dropped_calls, 1);
		CHECK_EQ(tt_asm_stats(a)->dropped_bytes, n);
		CHECK_EQ(tt_asm_in_flight(a), 1);
		feed(a, call_rec(old, n, n));
		feed(a, call_rec(young, 1000, 1000));
		REQUIRE(k.n == 2);
		CHECK_EQ(k.ev[0].data_len, 0);
		CHECK_EQ(k.ev[1].data_len, 1000);
		CHECK(has_pattern(&k.ev[1], young));
	}

	T_CASE("discard counts what is still in flight") {
		REQUIRE(fresh(0, 0, on_maps));
		feed(a, data_rec(CPU(0, 1), 0, 10));
		feed(a, data_rec(CPU(1, 1), 0, 20));
		tt_asm_discard(a);
		CHECK_EQ(tt_asm_in_flight(a), 0);
		CHECK_EQ(tt_asm_stats(a)->dropped_calls, 2);
		CHECK_EQ(tt_asm_stats(a)->dropped_bytes, 30);
	}

	tt_asm_free(a);
	sink_clear(&k);
	tt_asm_free(NULL); /* harmless */
	test_truncations();
	test_flips();
	return t_summary();
}
