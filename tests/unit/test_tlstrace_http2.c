/* HTTP/2 framing (src/tlstrace/http2.c): a client and a server stream
 * built here frame by frame, decoded whole, split at every byte and fed a
 * byte at a time (the same events each way); SETTINGS applied to the other
 * direction's HPACK decoder on their ACK; header blocks across
 * CONTINUATION; the errors (CONTINUATION without HEADERS, interleaving,
 * bad padding, wrong lengths, too long frames); joining mid-connection;
 * and random damage under the sanitizers. */
#include <stdint.h>
#include "t.h"
#include "t_data.h"
#include "t_rfc7541.h"
#include "out/strbuf.h"
#include "tlstrace/http2.h"
#include "tlstrace/http_text.h"

/* ---- building streams ------------------------------------------------- */

struct stream {
	uint8_t b[8192];
	size_t n;
};

static void put(struct stream *s, const void *p, size_t n)
{
	if (s->n + n <= sizeof(s->b)) {
		memcpy(s->b + s->n, p, n);
		s->n += n;
	}
}

static void frame(struct stream *s, uint8_t type, uint8_t flags, uint32_t stream_id,
		  const void *payload, uint32_t len)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(stream_id >> 24), (uint8_t)(stream_id >> 16),
			 (uint8_t)(stream_id >> 8), (uint8_t)stream_id };
	put(s, h, 9);
	put(s, payload, len);
}

static void frame_hex(struct stream *s, uint8_t type, uint8_t flags, uint32_t stream_id, const char *hex)
{
	uint8_t p[512];
	frame(s, type, flags, stream_id, p, (uint32_t)t_unhex(hex, p, sizeof(p)));
}

/* The client: preface; SETTINGS (table 256 for the server's blocks, max
 * frame 20000); C.4.1 in a padded HEADERS with priority; C.4.2 across
 * HEADERS + 2 CONTINUATIONs; C.4.3; then one of each other frame. */
static void client_stream(struct stream *s)
{
	uint8_t p[64];
	size_t n;
	s->n = 0;
	put(s, NF_H2_PREFACE, NF_H2_PREFACE_LEN);
	frame_hex(s, NF_H2_SETTINGS, 0, 0, "0001 0000 0100  0005 0000 4e20  0004 0000 ffff");
	frame_hex(s, NF_H2_WINDOW_UPDATE, 0, 0, "0000 ffff");
	frame_hex(s, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "");
	/* pad 3 | E + dep 3 | weight 15 | block | 3 bytes padding */
	n = t_unhex("03 8000 0003 0f" C41 "000000", p, sizeof(p));
	frame(s, NF_H2_HEADERS, NF_H2_F_END_STREAM | NF_H2_F_END_HEADERS | NF_H2_F_PADDED |
	      NF_H2_F_PRIORITY, 1, p, (uint32_t)n);
	n = t_unhex(C42, p, sizeof(p));
	frame(s, NF_H2_HEADERS, NF_H2_F_END_STREAM, 3, p, 5);
	frame(s, NF_H2_CONTINUATION, 0, 3, p + 5, 3);
	frame(s, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 3, p + 8, (uint32_t)n - 8);
	frame_hex(s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 5, C43);
	frame_hex(s, NF_H2_DATA, NF_H2_F_PADDED | NF_H2_F_END_STREAM, 5, "02 6869 0000");
	frame_hex(s, NF_H2_PING, 0, 0, "0102 0304 0506 0708");
	frame_hex(s, NF_H2_PRIORITY, 0, 7, "0000 0005 ff");
	frame_hex(s, NF_H2_RST_STREAM, 0, 5, "0000 0008");
	frame_hex(s, 0x21, 0x5a, 9, "aabb");  /* unknown type: ignored */
	frame_hex(s, NF_H2_GOAWAY, 0, 0, "0000 0005 0000 0000 6279 65");
}

/* The server: SETTINGS, its ACK of the client's (the 256 table applies
 * from here), C.6.1-3 (C.6.3 in a PUSH_PROMISE-free CONTINUATION chain),
 * a DATA frame and a PING ACK. */
static void server_stream(struct stream *s)
{
	uint8_t p[256];
	size_t n;
	s->n = 0;
	frame_hex(s, NF_H2_SETTINGS, 0, 0, "0003 0000 0064");
	frame_hex(s, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "");
	frame_hex(s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, C61);
	frame_hex(s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 3, C62);
	n = t_unhex(C63, p, sizeof(p));
	frame(s, NF_H2_HEADERS, 0, 5, p, 40);
	frame(s, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 5, p + 40, (uint32_t)n - 40);
	frame_hex(s, NF_H2_PUSH_PROMISE, NF_H2_F_END_HEADERS | NF_H2_F_PADDED, 5, "01 0000 0002 82 00");
	frame_hex(s, NF_H2_DATA, NF_H2_F_END_STREAM, 5, "6869");
	frame_hex(s, NF_H2_PING, NF_H2_F_ACK, 0, "0102 0304 0506 0708");
}

/* ---- decoding into a transcript ---------------------------------------- */

struct run {
	struct nf_h2_conn c;
	struct nf_hpack_out out;
	struct nf_hpack_field fields[32];
	char names[4096];
	char text[16384];
	struct strbuf sb;
	int frames, lost;
};

static void on_event(void *ctx, const struct nf_h2_event *ev)
{
	struct run *r = ctx;
	nf_h2_event_text(&r->sb, ev);
	sb_putc(&r->sb, '\n');
	r->frames += ev->kind == NF_H2_EV_FRAME;
	r->lost += ev->kind == NF_H2_EV_LOST;
}

static void run_init(struct run *r, int fresh)
{
	nf_hpack_out_init(&r->out, r->fields, 32, r->names, sizeof(r->names));
	nf_h2_init(&r->c, &r->out, fresh);
	sb_init(&r->sb, r->text, sizeof(r->text));
	r->frames = r->lost = 0;
}

/* Feed s on dir in pieces: cut at split (0: whole), or step bytes at a time. */
static void feed(struct run *r, int dir, const struct stream *s, size_t split, size_t step)
{
	if (step) {
		for (size_t i = 0; i < s->n; i += step)
			nf_h2_feed(&r->c, dir, s->b + i, s->n - i < step ? s->n - i : step, on_event, r);
		return;
	}
	if (split)
		nf_h2_feed(&r->c, dir, s->b, split, on_event, r);
	nf_h2_feed(&r->c, dir, s->b + split, s->n - split, on_event, r);
}

static const char want_client[] =
	"0 PREFACE\n"
	"0 SETTINGS stream=0 len=18 flags=0 HEADER_TABLE_SIZE=256 MAX_FRAME_SIZE=20000 INITIAL_WINDOW_SIZE=65535\n"
	"0 WINDOW_UPDATE stream=0 len=4 flags=0 increment=65535\n"
	"0 SETTINGS stream=0 len=0 flags=ACK\n"
	"0 HEADERS stream=1 len=26 flags=END_STREAM|END_HEADERS|PADDED|PRIORITY pad=3 exclusive=1 depends=3 weight=16"
	" block=HEADERS frames=1 bytes=17\n"
	"  :method: GET\n  :scheme: http\n  :path: /\n  :authority: www.example.com\n"
	"0 HEADERS stream=3 len=5 flags=END_STREAM\n"
	"0 CONTINUATION stream=3 len=3 flags=0\n"
	"0 CONTINUATION stream=3 len=4 flags=END_HEADERS block=HEADERS frames=3 bytes=12\n"
	"  :method: GET\n  :scheme: http\n  :path: /\n  :authority: www.example.com\n"
	"  cache-control: no-cache\n"
	"0 HEADERS stream=5 len=24 flags=END_HEADERS block=HEADERS frames=1 bytes=24\n"
	"  :method: GET\n  :scheme: https\n  :path: /index.html\n  :authority: www.example.com\n"
	"  custom-key: custom-value\n"
	"0 DATA stream=5 len=5 flags=END_STREAM|PADDED pad=2\n"
	"0 PING stream=0 len=8 flags=0 data=0102030405060708\n"
	"0 PRIORITY stream=7 len=5 flags=0 exclusive=0 depends=5 weight=256\n"
	"0 RST_STREAM stream=5 len=4 flags=0 error=CANCEL\n"
	"0 type-33 stream=9 len=2 flags=0x5a\n"
	"0 GOAWAY stream=0 len=11 flags=0 last=5 error=NO_ERROR debug=\"bye\"\n";

static const char want_server[] =
	"1 SETTINGS stream=0 len=6 flags=0 MAX_CONCURRENT_STREAMS=100\n"
	"1 SETTINGS stream=0 len=0 flags=ACK\n"
	"1 HEADERS stream=1 len=54 flags=END_HEADERS block=HEADERS frames=1 bytes=54\n"
	"  :status: 302\n  cache-control: private\n  date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	"  location: https://www.example.com\n"
	"1 HEADERS stream=3 len=8 flags=END_HEADERS block=HEADERS frames=1 bytes=8\n"
	"  :status: 307\n  cache-control: private\n  date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	"  location: https://www.example.com\n"
	"1 HEADERS stream=5 len=40 flags=0\n"
	"1 CONTINUATION stream=5 len=39 flags=END_HEADERS block=HEADERS frames=2 bytes=79\n"
	"  :status: 200\n  cache-control: private\n  date: Mon, 21 Oct 2013 20:13:22 GMT\n"
	"  location: https://www.example.com\n  content-encoding: gzip\n"
	"  set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n"
	"1 PUSH_PROMISE stream=5 len=7 flags=END_HEADERS|PADDED pad=1 promised=2 block=PUSH_PROMISE frames=1 bytes=1\n"
	"  :method: GET\n"
	"1 DATA stream=5 len=2 flags=END_STREAM\n"
	"1 PING stream=0 len=8 flags=ACK data=0102030405060708\n";

static void test_whole(void)
{
	struct stream cs, ss;
	struct run r;
	client_stream(&cs);
	server_stream(&ss);
	T_CASE("h2: client and server streams decode, whole") {
		run_init(&r, 0);
		feed(&r, 0, &cs, 0, 0);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, want_client);
		sb_init(&r.sb, r.text, sizeof(r.text));
		feed(&r, 1, &ss, 0, 0);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, want_server);
		/* SETTINGS went to the other way's decoder, on its ACK */
		CHECK_EQ(r.c.dir[1].hpack.limit, 256);
		CHECK_EQ(r.c.dir[1].max_frame, 20000);
		CHECK_EQ(r.c.dir[0].hpack.limit, 4096);
		CHECK_EQ(r.c.dir[0].max_frame, 16384);
		CHECK_EQ(nf_hpack_size(&r.c.dir[0].hpack), 164);  /* C.4.3's table */
		CHECK_EQ(nf_hpack_size(&r.c.dir[1].hpack), 215);  /* C.6.3's table */
		nf_h2_free(&r.c);
	}
}

/* Split at every byte, and a byte at a time: the same transcript. */
static void test_splits(void)
{
	static struct stream cs, ss;
	static struct run r;
	client_stream(&cs);
	server_stream(&ss);
	T_CASE("h2: split at every byte boundary, the same events") {
		int bad = 0;
		for (size_t k = 1; k < cs.n + ss.n; k++) {
			run_init(&r, 0);
			feed(&r, 0, &cs, k < cs.n ? k : 0, 0);
			feed(&r, 1, &ss, k >= cs.n ? k - cs.n : 0, 0);
			if (sb_finish(&r.sb) < 0 || strncmp(r.text, want_client, sizeof(want_client) - 1) ||
			    strcmp(r.text + sizeof(want_client) - 1, want_server)) {
				if (!bad++)
					printf("FAIL %s: split at %zu:\n%s\n", t_case, k, r.text);
			}
			nf_h2_free(&r.c);
		}
		CHECK_EQ(bad, 0);
	}
	T_CASE("h2: a byte at a time, and 7 at a time, the same events") {
		for (size_t step = 1; step <= 7; step += 6) {
			run_init(&r, 0);
			feed(&r, 0, &cs, 0, step);
			feed(&r, 1, &ss, 0, step);
			CHECK(sb_finish(&r.sb) >= 0);
			CHECK(!strncmp(r.text, want_client, sizeof(want_client) - 1));
			CHECK_STR(r.text + sizeof(want_client) - 1, want_server);
			nf_h2_free(&r.c);
		}
	}
	T_CASE("h2: several streams' frames in one chunk") {
		run_init(&r, 0);
		struct stream both = cs;
		feed(&r, 0, &both, 0, 0);
		CHECK_EQ(r.frames, 14);
		nf_h2_free(&r.c);
	}
}

/* ---- errors ------------------------------------------------------------ */

static void run_one(struct run *r, const struct stream *s, const char *want)
{
	run_init(r, 1);
	feed(r, 0, s, 0, 0);
	CHECK(sb_finish(&r->sb) >= 0);
	CHECK_STR(r->text, want);
	nf_h2_free(&r->c);
}

static void test_errors(void)
{
	static struct stream s;
	static struct run r;
	T_CASE("h2 errors: CONTINUATION without HEADERS") {
		s.n = 0;
		frame_hex(&s, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 1, "82");
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, "82");
		run_one(&r, &s, "0 CONTINUATION stream=1 len=1 flags=END_HEADERS err=\"continuation\"\n"
				"0 HEADERS stream=1 len=1 flags=END_HEADERS block=HEADERS frames=1 bytes=1\n"
				"  :method: GET\n");
	}
	T_CASE("h2 errors: a frame inside a header block, CONTINUATION of another stream") {
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, 0, 1, "82");
		frame_hex(&s, NF_H2_PING, 0, 0, "0000 0000 0000 0000");
		frame_hex(&s, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 1, "84");
		frame_hex(&s, NF_H2_HEADERS, 0, 3, "82");
		frame_hex(&s, NF_H2_CONTINUATION, NF_H2_F_END_HEADERS, 5, "84");
		run_one(&r, &s, "0 HEADERS stream=1 len=1 flags=0\n"
				"0 PING stream=0 len=8 flags=0 err=\"continuation\"\n"
				"0 CONTINUATION stream=1 len=1 flags=END_HEADERS err=\"continuation\"\n"
				"0 HEADERS stream=3 len=1 flags=0\n"
				"0 CONTINUATION stream=5 len=1 flags=END_HEADERS err=\"continuation\"\n");
	}
	T_CASE("h2 errors: padding, lengths and stream ids a type does not allow") {
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS | NF_H2_F_PADDED, 1, "05 8283");
		frame_hex(&s, NF_H2_DATA, NF_H2_F_PADDED, 1, "03 0000");
		frame_hex(&s, NF_H2_SETTINGS, 0, 0, "0001 0000 00");
		frame_hex(&s, NF_H2_PING, 0, 0, "0000 0000 0000 00");
		frame_hex(&s, NF_H2_WINDOW_UPDATE, 0, 1, "0000 01");
		frame_hex(&s, NF_H2_RST_STREAM, 0, 0, "0000 0001");
		frame_hex(&s, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "00");
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_PRIORITY | NF_H2_F_END_HEADERS, 1, "0000");
		frame_hex(&s, NF_H2_GOAWAY, 0, 0, "0000 0000");
		frame_hex(&s, NF_H2_DATA, 0, 0, "00");
		run_one(&r, &s, "0 HEADERS stream=1 len=3 flags=END_HEADERS|PADDED err=\"padding\" block=HEADERS frames=1 bytes=0\n"
				"0 DATA stream=1 len=3 flags=PADDED err=\"padding\"\n"
				"0 SETTINGS stream=0 len=5 flags=0 err=\"frame size\"\n"
				"0 PING stream=0 len=7 flags=0 err=\"frame size\"\n"
				"0 WINDOW_UPDATE stream=1 len=3 flags=0 err=\"frame size\"\n"
				"0 RST_STREAM stream=0 len=4 flags=0 err=\"stream id\"\n"
				"0 SETTINGS stream=0 len=1 flags=ACK err=\"frame size\"\n"
				"0 HEADERS stream=1 len=2 flags=END_HEADERS|PRIORITY err=\"frame size\" block=HEADERS frames=1 bytes=0\n"
				"0 GOAWAY stream=0 len=4 flags=0 err=\"frame size\"\n"
				"0 DATA stream=0 len=1 flags=0 err=\"stream id\"\n");
	}
	T_CASE("h2 errors: a bad block is an hpack error, the next decodes") {
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, "82 ff");
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 3, "40 81 1e 01 61");
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 5, "84 be");
		run_one(&r, &s, "0 HEADERS stream=1 len=2 flags=END_HEADERS err=\"hpack\" block=HEADERS frames=1 bytes=2"
				" hpack=\"header block truncated\"\n  :method: GET\n"
				"0 HEADERS stream=3 len=5 flags=END_HEADERS err=\"hpack\" block=HEADERS frames=1 bytes=5"
				" hpack=\"bad Huffman code\"\n"
				"0 HEADERS stream=5 len=2 flags=END_HEADERS block=HEADERS frames=1 bytes=2\n"
				"  :path: /\n  <unknown>: <unknown>\n");
	}
	T_CASE("h2 errors: a frame over the maximum loses the rest of the chunk") {
		s.n = 0;
		frame_hex(&s, NF_H2_PING, 0, 0, "0000 0000 0000 0000");
		static const uint8_t big[9] = { 0x00, 0x40, 0x01, NF_H2_DATA, 0, 0, 0, 0, 1 };  /* 16385 */
		put(&s, big, 9);
		frame_hex(&s, NF_H2_PING, 0, 0, "0000 0000 0000 0000");
		run_one(&r, &s, "0 PING stream=0 len=8 flags=0 data=0000000000000000\n"
				"0 LOST bytes=26 why=2\n");
	}
	T_CASE("h2 errors: a truncated frame gives nothing, and nothing leaks") {
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, C41);
		s.n -= 4;
		run_one(&r, &s, "");
		s.n = 5;
		run_one(&r, &s, "");
	}
	T_CASE("h2 errors: a payload over the cap is not held, the block is lost") {
		static struct stream big;
		static uint8_t pay[NF_H2_PAYLOAD_CAP + 100];
		run_init(&r, 1);
		big.n = 0;
		frame_hex(&big, NF_H2_SETTINGS, 0, 0, "0005 00ff ffff");
		nf_h2_feed(&r.c, 1, big.b, big.n, on_event, &r);
		big.n = 0;
		frame_hex(&big, NF_H2_SETTINGS, NF_H2_F_ACK, 0, "");
		nf_h2_feed(&r.c, 0, big.b, big.n, on_event, &r);
		CHECK_EQ(r.c.dir[0].max_frame, 0xffffff);
		memset(pay, 0x82, sizeof(pay));
		uint8_t h[9] = { 0x01, 0x00, 0x64, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 0, 0, 0, 1 };
		nf_h2_feed(&r.c, 0, h, 9, on_event, &r);
		for (size_t i = 0; i < sizeof(pay); i += 4000)
			nf_h2_feed(&r.c, 0, pay + i, sizeof(pay) - i < 4000 ? sizeof(pay) - i : 4000, on_event, &r);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK(strstr(r.text, "0 HEADERS stream=1 len=65636 flags=END_HEADERS err=\"payload not held\""
				     " block=HEADERS frames=1 bytes=0\n") != NULL);
		CHECK_EQ(r.c.dir[0].hpack.unseen, 1);
		nf_h2_free(&r.c);
	}
}

/* ---- joining mid-connection ------------------------------------------- */

static void test_mid_connection(void)
{
	static struct stream s;
	static struct run r;
	T_CASE("h2 mid-connection: junk chunks are dropped, frames at a chunk start are taken") {
		run_init(&r, 0);
		const char junk[] = "{\"json\": \"a DATA payload we joined in\"}";
		nf_h2_feed(&r.c, 0, (const uint8_t *)junk, sizeof(junk) - 1, on_event, &r);
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 7, C42);
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 9, "be bf");
		nf_h2_feed(&r.c, 0, s.b, s.n, on_event, &r);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, "0 LOST bytes=39 why=1\n"
				  "0 HEADERS stream=7 len=12 flags=END_HEADERS block=HEADERS frames=1 bytes=12\n"
				  "  :method: GET\n  :scheme: http\n  :path: /\n  <unknown>: <unknown>\n"
				  "  cache-control: no-cache\n"
				  "0 HEADERS stream=9 len=2 flags=END_HEADERS block=HEADERS frames=1 bytes=2\n"
				  "  cache-control: no-cache\n  <unknown>: <unknown>\n");
		nf_h2_free(&r.c);
	}
	T_CASE("h2 mid-connection: a frame header split at a chunk start, then implausible") {
		run_init(&r, 0);
		s.n = 0;
		frame_hex(&s, NF_H2_PING, 0, 0, "0000 0000 0000 0000");
		nf_h2_feed(&r.c, 1, s.b, 4, on_event, &r);
		nf_h2_feed(&r.c, 1, s.b + 4, s.n - 4, on_event, &r);
		uint8_t bad[17] = { 0, 0, 8, NF_H2_PING, 0x02, 0, 0, 0, 0 };  /* a flag PING lacks */
		nf_h2_feed(&r.c, 1, bad, sizeof(bad), on_event, &r);  /* in step: taken */
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, "1 PING stream=0 len=8 flags=0 data=0000000000000000\n"
				  "1 PING stream=0 len=8 flags=0x02 data=0000000000000000\n");
		CHECK_EQ(r.c.dir[1].frames, 2);
		nf_h2_free(&r.c);
		run_init(&r, 0);
		nf_h2_feed(&r.c, 1, bad, 9, on_event, &r);  /* at the start: refused */
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, "1 LOST bytes=9 why=1\n");
		nf_h2_free(&r.c);
	}
	T_CASE("h2 mid-connection: the preface makes both decoders fresh") {
		run_init(&r, 0);
		CHECK_EQ(r.c.dir[0].hpack.unseen, 1);
		nf_h2_feed(&r.c, 0, (const uint8_t *)NF_H2_PREFACE, 10, on_event, &r);
		nf_h2_feed(&r.c, 0, (const uint8_t *)NF_H2_PREFACE + 10, 14, on_event, &r);
		CHECK_EQ(r.c.dir[0].hpack.unseen, 0);
		CHECK_EQ(r.c.dir[1].hpack.unseen, 0);
		s.n = 0;
		frame_hex(&s, NF_H2_HEADERS, NF_H2_F_END_HEADERS, 1, "be");
		nf_h2_feed(&r.c, 0, s.b, s.n, on_event, &r);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK(strstr(r.text, "hpack=\"index out of range\"") != NULL);
		nf_h2_free(&r.c);
		run_init(&r, 0);
		/* a chunk starting like the preface, the next one not */
		nf_h2_feed(&r.c, 0, (const uint8_t *)"PRI * HTTP/2", 12, on_event, &r);
		nf_h2_feed(&r.c, 0, (const uint8_t *)".1\r\n", 4, on_event, &r);
		/* and one that is not even that */
		nf_h2_feed(&r.c, 1, (const uint8_t *)"PRI * HTTP/1.1\r\n", 16, on_event, &r);
		REQUIRE(sb_finish(&r.sb) >= 0);
		CHECK_STR(r.text, "0 LOST bytes=4 why=3\n1 LOST bytes=16 why=1\n");
		nf_h2_free(&r.c);
	}
}

/* ---- random damage ------------------------------------------------------ */

static void test_damage(void)
{
	static struct stream cs, ss, bad;
	static struct run r;
	t_rand_seed();
	client_stream(&cs);
	server_stream(&ss);
	T_CASE("h2 damage: byte flips and truncations end cleanly") {
		int events = 0;
		for (int round = 0; round < 3000; round++) {
			for (int dir = 0; dir < 2; dir++) {
				bad = dir ? ss : cs;
				unsigned flips = 1 + t_rand() % 6;
				for (unsigned k = 0; k < flips; k++)
					bad.b[t_rand() % bad.n] ^= (uint8_t)(1u << t_rand() % 8);
				if (t_rand() % 3 == 0)
					bad.n = t_rand() % bad.n;
				if (!dir)
					run_init(&r, round & 1);
				size_t split = bad.n ? t_rand() % bad.n : 0;
				feed(&r, dir, &bad, split, round % 5 == 0 ? 1 + t_rand() % 13 : 0);
			}
			CHECK(sb_finish(&r.sb) >= 0 || r.sb.overflow);
			events += r.frames;
			nf_h2_free(&r.c);
		}
		CHECK(events > 0);
	}
}

int main(void)
{
	test_whole();
	test_splits();
	test_errors();
	test_mid_connection();
	test_damage();
	return t_summary();
}
