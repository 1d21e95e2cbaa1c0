/* HTTP/1.x (src/tlstrace/http1.c): heads, body framing (length, chunked,
 * close, none, tunnel), pipelined requests matched to their responses, the
 * same events however the bytes are split, joining mid-connection, broken
 * input, and random damage under the sanitizers. */
#include <stdint.h>
#include "t.h"
#include "t_data.h"
#include "out/strbuf.h"
#include "tlstrace/http1.h"
#include "tlstrace/http_text.h"

/* A transcript: one line per event, except that body bytes are gathered
 * and shown once, at the message's end (how a body is split into events
 * depends on the chunks). */
struct run {
	struct nf_h1_conn c;
	char text[16384];
	struct strbuf sb;
	char body[2][4096];
	size_t body_len[2];
	int heads, lost;
};

static void on_event(void *ctx, const struct nf_h1_event *ev)
{
	struct run *r = ctx;
	if (ev->kind == NF_H1_EV_BODY || ev->kind == NF_H1_EV_TUNNEL) {
		size_t *n = &r->body_len[ev->dir];
		size_t k = ev->len < sizeof(r->body[0]) - *n ? ev->len : sizeof(r->body[0]) - *n;
		memcpy(r->body[ev->dir] + *n, ev->data, k);
		*n += k;
		return;
	}
	nf_h1_event_text(&r->sb, ev);
	if (ev->kind == NF_H1_EV_END) {
		sb_puts(&r->sb, " \"");
		nf_put_escaped(&r->sb, r->body[ev->dir], r->body_len[ev->dir]);
		sb_putc(&r->sb, '"');
		r->body_len[ev->dir] = 0;
	}
	sb_putc(&r->sb, '\n');
	r->heads += ev->kind == NF_H1_EV_HEAD;
	r->lost += ev->kind == NF_H1_EV_LOST;
}

static void run_init(struct run *r)
{
	nf_h1_init(&r->c);
	sb_init(&r->sb, r->text, sizeof(r->text));
	r->body_len[0] = r->body_len[1] = 0;
	r->heads = r->lost = 0;
}

/* Tunnel bytes gathered so far, as a line. */
static void flush_tunnel(struct run *r, int dir)
{
	sb_putu(&r->sb, (unsigned)dir);
	sb_puts(&r->sb, " tunnel \"");
	nf_put_escaped(&r->sb, r->body[dir], r->body_len[dir]);
	sb_puts(&r->sb, "\"\n");
	r->body_len[dir] = 0;
}

/* Feed s whole (split 0), cut in two at split, or step bytes at a time. */
static void feed(struct run *r, int dir, const char *s, size_t split, size_t step)
{
	size_t n = strlen(s);
	const uint8_t *p = (const uint8_t *)s;
	if (step) {
		for (size_t i = 0; i < n; i += step)
			nf_h1_feed(&r->c, dir, p + i, n - i < step ? n - i : step, on_event, r);
		return;
	}
	if (split)
		nf_h1_feed(&r->c, dir, p, split, on_event, r);
	nf_h1_feed(&r->c, dir, p + split, n - split, on_event, r);
}

static const char *finish(struct run *r)
{
	return sb_finish(&r->sb) >= 0 ? r->text : "(transcript overflow)";
}

/* ---- one exchange, every way of splitting it -------------------------- */

static const char get_req[] =
	"GET /index.html?q=1 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent:  curl/8.5.0 \r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char get_resp[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 12\r\n"
	"\r\n"
	"hello world\n";
static const char want_get[] =
	"0 HEAD GET /index.html?q=1 HTTP/1.1 seq=0 body=none head=94\n"
	"  Host: www.example.com\n  User-Agent: curl/8.5.0\n  Accept: */*\n"
	"0 END 0 \"\"\n"
	"1 HEAD HTTP/1.1 200 OK for=GET /index.html?q=1 seq=0 body=length length=12 head=65\n"
	"  Content-Type: text/plain\n  Content-Length: 12\n"
	"1 END 12 \"hello world\\x0a\"\n";

static const char post_req[] =
	"POST /upload HTTP/1.1\r\n"
	"Host: h\r\n"
	"Transfer-Encoding: gzip, chunked\r\n"
	"\r\n"
	"5;name=value\r\nhello\r\n"
	"1A\r\n, this is twenty-six bytes\r\n"
	"0\r\n"
	"Trailer-One: x\r\n"
	"\r\n";
static const char post_resp[] =
	"HTTP/1.1 201 Created\r\n"
	"Transfer-Encoding: chunked\r\n"
	"\r\n"
	"3\r\nabc\r\n"
	"0\r\n\r\n";
static const char want_post[] =
	"0 HEAD POST /upload HTTP/1.1 seq=0 body=chunked head=68\n"
	"  Host: h\n  Transfer-Encoding: gzip, chunked\n"
	"0 END 31 \"hello, this is twenty-six bytes\"\n"
	"1 HEAD HTTP/1.1 201 Created for=POST /upload seq=0 body=chunked head=52\n"
	"  Transfer-Encoding: chunked\n"
	"1 END 3 \"abc\"\n";

static void check_splits(const char *name, const char *req, const char *resp, const char *want)
{
	static struct run r;
	size_t nq = strlen(req), ns = strlen(resp);
	T_CASE(name) {
		run_init(&r);
		feed(&r, 0, req, 0, 0);
		feed(&r, 1, resp, 0, 0);
		CHECK_STR(finish(&r), want);
		nf_h1_free(&r.c);
		int bad = 0;
		for (size_t k = 1; k < nq + ns; k++) {
			run_init(&r);
			feed(&r, 0, req, k < nq ? k : 0, 0);
			feed(&r, 1, resp, k >= nq ? k - nq : 0, 0);
			if (strcmp(finish(&r), want) && !bad++)
				printf("FAIL %s: split at %zu:\n%s\n", t_case, k, r.text);
			nf_h1_free(&r.c);
		}
		CHECK_EQ(bad, 0);
		for (size_t step = 1; step <= 3; step++) {
			run_init(&r);
			feed(&r, 0, req, 0, step);
			feed(&r, 1, resp, 0, step);
			CHECK_STR(finish(&r), want);
			nf_h1_free(&r.c);
		}
	}
}

static const char pipe_req[] =
	"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	"HEAD /b HTTP/1.1\nHost: h\n\n"
	"POST /c HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
static const char pipe_resp[] =
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n";
static const char want_pipe[] =
	"0 HEAD GET /a HTTP/1.1 seq=0 body=none head=28\n  Host: h\n0 END 0 \"\"\n"
	"0 HEAD HEAD /b HTTP/1.1 seq=1 body=none head=26\n  Host: h\n0 END 0 \"\"\n"
	"0 HEAD POST /c HTTP/1.1 seq=2 body=length length=2 head=39\n  Content-Length: 2\n"
	"0 END 2 \"hi\"\n"
	"1 HEAD HTTP/1.1 200 OK for=GET /a seq=0 body=length length=1 head=38\n"
	"  Content-Length: 1\n1 END 1 \"a\"\n"
	"1 HEAD HTTP/1.1 200 OK for=HEAD /b seq=1 body=none head=40\n"
	"  Content-Length: 100\n1 END 0 \"\"\n"
	"1 HEAD HTTP/1.1 200 OK for=POST /c seq=2 body=chunked head=47\n"
	"  Transfer-Encoding: chunked\n1 END 1 \"b\"\n";

/* ---- conversations ----------------------------------------------------- */

/* A conversation: chunks in order, each on its direction (bytes NULL: the
 * connection closes that way), then the transcript, with each direction's
 * tunnel bytes gathered at the end. */
struct step {
	int dir;
	const char *bytes;
};

static void check_script(const char *name, const struct step *steps, const char *want)
{
	static struct run r;
	T_CASE(name) {
		run_init(&r);
		for (const struct step *s = steps; s->dir >= 0; s++) {
			if (s->bytes)
				feed(&r, s->dir, s->bytes, 0, 0);
			else
				nf_h1_close(&r.c, s->dir, on_event, &r);
		}
		for (int d = 0; d < 2; d++)
			if (r.body_len[d])
				flush_tunnel(&r, d);
		CHECK_STR(finish(&r), want);
		nf_h1_free(&r.c);
	}
}

#define SCRIPT(name, want, ...) \
	check_script(name, (const struct step[]){ __VA_ARGS__, { -1, NULL } }, want)

static void test_conversations(void)
{
	SCRIPT("h1: pipelined requests, responses matched in order (HEAD has no body)",
	       "0 HEAD GET /a HTTP/1.1 seq=0 body=none head=28\n  Host: h\n0 END 0 \"\"\n"
	       "0 HEAD HEAD /b HTTP/1.1 seq=1 body=none head=29\n  Host: h\n0 END 0 \"\"\n"
	       "0 HEAD GET /c HTTP/1.1 seq=2 body=none head=28\n  Host: h\n0 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 200 OK for=GET /a seq=0 body=length length=1 head=38\n"
	       "  Content-Length: 1\n1 END 1 \"a\"\n"
	       "1 HEAD HTTP/1.1 200 OK for=HEAD /b seq=1 body=none head=40\n"
	       "  Content-Length: 100\n1 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 304 Not Modified for=GET /c seq=2 body=none head=48\n"
	       "  Content-Length: 7\n1 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 200 OK for=? body=close head=19\n1 END 4 \"rest\"\n",
	       { 0, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
		    "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
		    "GET /c HTTP/1.1\r\nHost: h\r\n\r\n" },
	       { 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
		    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		    "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
		    "HTTP/1.1 200 OK\r\n\r\nre" },
	       { 1, "st" }, { 1, NULL });
	SCRIPT("h1: 100 Continue is interim, the final response takes the request",
	       "0 HEAD PUT /f HTTP/1.1 seq=0 body=length length=3 head=60\n"
	       "  Expect: 100-continue\n  Content-Length: 3\n"
	       "1 HEAD HTTP/1.1 100 Continue for=PUT /f seq=0 body=none head=25\n1 END 0 \"\"\n"
	       "0 END 3 \"xyz\"\n"
	       "1 HEAD HTTP/1.1 204 No Content for=PUT /f seq=0 body=none head=27\n1 END 0 \"\"\n",
	       { 0, "PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n" },
	       { 1, "HTTP/1.1 100 Continue\r\n\r\n" }, { 0, "xyz" },
	       { 1, "HTTP/1.1 204 No Content\r\n\r\n" });
	SCRIPT("h1: 101 Switching Protocols makes both ways a tunnel",
	       "0 HEAD GET /ws HTTP/1.1 seq=0 body=none head=61\n"
	       "  Upgrade: websocket\n  Connection: Upgrade\n0 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 101 Switching Protocols for=GET /ws seq=0 body=tunnel head=56\n"
	       "  Upgrade: websocket\n1 END 0 \"\"\n"
	       "0 tunnel \"\\x81\\x82wxyzyo\"\n1 tunnel \"\\x81\\x02hi\"\n",
	       { 0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" },
	       { 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi" },
	       { 0, "\x81\x82" "wxyz" "yo" });
	SCRIPT("h1: CONNECT and 200 make a tunnel; a refused CONNECT does not",
	       "0 HEAD CONNECT a:443 HTTP/1.1 seq=0 body=none head=26\n0 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 407 Proxy Auth for=CONNECT a:443 seq=0 body=none head=46\n"
	       "  Content-Length: 0\n1 END 0 \"\"\n"
	       "0 HEAD CONNECT a:443 HTTP/1.1 seq=1 body=none head=26\n0 END 0 \"\"\n"
	       "1 HEAD HTTP/1.1 200 OK for=CONNECT a:443 seq=1 body=tunnel head=19\n1 END 0 \"\"\n"
	       "1 tunnel \"\\x16\\x03\\x01\"\n",
	       { 0, "CONNECT a:443 HTTP/1.1\r\n\r\n" },
	       { 1, "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n" },
	       { 0, "CONNECT a:443 HTTP/1.1\r\n\r\n" },
	       { 1, "HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01" });
	SCRIPT("h1 mid-connection: a body chunk is dropped, the next head is found",
	       "1 LOST 48 why=1\n1 LOST 10 why=1\n"
	       "1 HEAD HTTP/1.0 200 OK for=? body=length length=2 head=38\n"
	       "  Content-Length: 2\n1 END 2 \"ok\"\n",
	       { 1, "ody of a response we joined in the middle of\r\n\r\n" },
	       { 1, "\x1f\x8b\x08 binary" },
	       { 1, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok" });
	SCRIPT("h1: bare LF line ends, empty lines before a request, odd lines skipped",
	       "0 HEAD DELETE /x HTTP/1.0 seq=0 body=none head=54 bad=3\n  A: 1\n"
	       "0 END 0 \"\"\n",
	       { 0, "\r\n\r\nDELETE /x HTTP/1.0\nA: 1\n folded\nno colon\nbad name: 2\n\n" });
}

static void test_fifo(void)
{
	static struct run r;
	T_CASE("h1: more requests than the FIFO keeps: the later ones still match") {
		run_init(&r);
		char req[64];
		for (int i = 0; i < 10; i++) {
			snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\n\r\n", i);
			feed(&r, 0, req, 0, 0);
		}
		for (int i = 0; i < 10; i++) {
			feed(&r, 1, "HTTP/1.1 204 No Content\r\n\r\n", 0, 0);
			if (i == 7)
				feed(&r, 0, "GET /late HTTP/1.1\r\n\r\n", 0, 0);
		}
		feed(&r, 1, "HTTP/1.1 204 No Content\r\n\r\n", 0, 0);
		const char *t = finish(&r);
		CHECK(strstr(t, "204 No Content for=GET /7 seq=7 ") != NULL);
		CHECK(strstr(t, "for=GET /8") == NULL);  /* not kept: unmatched, */
		CHECK(strstr(t, "for=GET /late seq=10 ") != NULL);  /* yet the next matches */
		CHECK_EQ(r.c.pending_count, 0);
		nf_h1_free(&r.c);
	}
}

/* ---- broken input -------------------------------------------------------- */

static void test_lost(void)
{
	static struct run r;
	T_CASE("h1: a request whose length cannot be told loses the direction") {
		run_init(&r);
		feed(&r, 0, "POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
			    "GET / HTTP/1.1\r\n\r\n", 0, 0);
		feed(&r, 0, "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx", 0, 0);
		feed(&r, 0, "POST /c HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 0, 0);
		feed(&r, 0, "POST /d HTTP/1.1\r\nContent-Length: 2, 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 0);
		CHECK_STR(finish(&r),
			  "0 HEAD POST /a HTTP/1.1 seq=0 body=unknown head=58 bad=4\n"
			  "  Content-Length: 3\n  Content-Length: 4\n0 LOST 22 why=3\n"
			  "0 HEAD POST /b HTTP/1.1 seq=1 body=unknown head=45 bad=8\n"
			  "  Transfer-Encoding: gzip\n0 LOST 2 why=3\n"
			  "0 HEAD POST /c HTTP/1.1 seq=2 body=unknown head=40 bad=4\n"
			  "  Content-Length: 1x\n0 LOST 0 why=3\n"
			  "0 HEAD POST /d HTTP/1.1 seq=3 body=chunked head=70 bad=16\n"
			  "  Content-Length: 2, 2\n  Transfer-Encoding: chunked\n0 END 0 \"\"\n");
		nf_h1_free(&r.c);
	}
	T_CASE("h1: bad chunk sizes and chunk ends lose the direction") {
		run_init(&r);
		const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
		const char *bodies[] = { "zz\r\n", "\r\n", "3\r\nabcX", "ffffffffffffffffff\r\n" };
		for (int i = 0; i < 4; i++) {
			feed(&r, 1, head, 0, 0);
			feed(&r, 1, bodies[i], 0, 0);
		}
		CHECK_EQ(r.heads, 4);
		CHECK_EQ(r.lost, 4);
		CHECK(strstr(finish(&r), "LOST 4 why=4\n") != NULL);
		nf_h1_free(&r.c);
	}
	T_CASE("h1: a head over the cap loses the direction, with its memory bounded") {
		run_init(&r);
		static char big[NF_H1_HEAD_CAP + 64];
		memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
		memset(big + 19, 'a', sizeof(big) - 20);
		big[sizeof(big) - 1] = 0;
		feed(&r, 0, big, 0, 1000);
		CHECK_EQ(r.lost, 1);
		CHECK_EQ(r.c.dir[0].head.cap, NF_H1_HEAD_CAP);
		CHECK(strstr(finish(&r), "why=2") != NULL);
		nf_h1_free(&r.c);
	}
	T_CASE("h1: start lines that are not HTTP are refused early") {
		static const char *const bad[] = {
			"get / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
			"GET /a b HTTP/1.1\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
			"HTTP/1.1 099 x\r\n\r\n", "GET /\x01 HTTP/1.1\r\n\r\n", "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n",
			"\x16\x03\x01\x02", "GE\x80", "HTTPS\r\n", "GET /\n\n",
		};
		run_init(&r);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			feed(&r, 0, bad[i], 0, 0);
		CHECK_EQ(r.heads, 0);
		CHECK_EQ(r.lost, (int)(sizeof(bad) / sizeof(bad[0])));
		nf_h1_free(&r.c);
	}
}

/* ---- random damage ------------------------------------------------------ */

static void test_damage(void)
{
	static struct run r;
	static char buf[2][1024];
	t_rand_seed();
	T_CASE("h1 damage: byte flips and truncations end cleanly") {
		int heads = 0;
		for (int round = 0; round < 5000; round++) {
			run_init(&r);
			for (int dir = 0; dir < 2; dir++) {
				const char *src = round & 1 ? (dir ? post_resp : post_req) : (dir ? get_resp : get_req);
				size_t n = strlen(src);
				memcpy(buf[dir], src, n + 1);
				for (unsigned k = 1 + t_rand() % 5; k--;) {
					char *at = &buf[dir][t_rand() % n];
					char x = (char)(*at ^ (1 << t_rand() % 8));
					*at = x ? x : ' ';  /* a NUL would end the string early */
				}
				if (t_rand() % 3 == 0)
					buf[dir][t_rand() % n] = 0;
				size_t len = strlen(buf[dir]);
				feed(&r, dir, buf[dir], len ? t_rand() % len : 0, round % 4 ? 0 : 1 + t_rand() % 9);
			}
			nf_h1_close(&r.c, 1, on_event, &r);
			heads += r.heads;
			nf_h1_free(&r.c);
		}
		CHECK(heads > 0);
	}
}

int main(void)
{
	check_splits("h1: GET and a Content-Length response, split at every byte", get_req, get_resp, want_get);
	check_splits("h1: chunked request and response, split at every byte", post_req, post_resp, want_post);
	check_splits("h1: pipelined requests and their responses, split at every byte", pipe_req,
		     pipe_resp, want_pipe);
	test_conversations();
	test_fifo();
	test_lost();
	test_damage();
	return t_summary();
}
