/* tlstrace's HTTP wiring (src/tlstrace/tt_http.c) through the formats:
 * events built here, their "http" key compared whole with what the bytes
 * say (HTTP/1.1 request and matched response, HTTP/2 from the preface with
 * the dynamic table in use, HTTP/2 joined mid-connection with an unknown
 * index flagged), truncated and wholly lost calls as gaps (in step inside
 * a body, a lost head not merged with the next), peeks and other protocols left alone,
 * the text format's decoded lines, and the connection table's eviction. */
#include <stdint.h>
#include "t.h"
#include "t_data.h"
#include "tlstrace/tt_fmt.h"
#include "tlstrace/http2.h"
#include "tlstrace/tt_http.h"

static struct tt_call call;
static char line[1 << 20];

static struct tt_event event(uint64_t conn, int write, const void *data, size_t n, uint64_t len)
{
	memset(&call, 0, sizeof(call));
	call.type = TT_REC_CALL;
	call.func = write ? TT_SSL_WRITE : TT_SSL_READ;
	call.pid_tgid = (uint64_t)1234 << 32 | 1235;
	call.len = len;
	call.captured = n;
	call.fd = -1;
	call.flags = write ? TT_F_WRITE : 0;
	memcpy(call.comm, "curl", 5);
	struct tt_event ev = {
		.call = &call, .data = data, .data_len = n, .realtime_ns = 1, .conn_id = conn,
		.fd = -1, .lib = "openssl",
	};
	return ev;
}

/* The http key's value of ev decoded (and the whole line checked to end
 * with it), or "" when it has none. */
static const char *http_json(struct tt_http *h, struct tt_event ev)
{
	tt_http_decode(h, &ev);
	int n = tt_fmt_json(line, sizeof(line), &ev);
	if (n < 0)
		return "(too small)";
	const char *k = strstr(line, ",\"http\":");
	if (!k)
		return "";
	if (strcmp(line + n - 2, "}\n"))
		return "(bad end)";
	line[n - 2] = 0;
	return k + 8;
}

static const char *http_json_str(struct tt_http *h, uint64_t conn, int write, const char *s)
{
	return http_json(h, event(conn, write, s, strlen(s), strlen(s)));
}

/* The text format of a call on conn 1 carrying s, decoded by h (or not). */
static const char *text_of(struct tt_http *h, int write, const char *s)
{
	struct tt_event ev = event(1, write, s, strlen(s), strlen(s));
	if (h)
		tt_http_decode(h, &ev);
	return tt_fmt_text(line, sizeof(line), &ev, 0) < 0 ? "(too small)" : line;
}

#define REQ "GET /x HTTP/1.1\r\nHost: example.org\r\nX-Test: one\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

static size_t h2_frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t stream, const char *hex)
{
	uint8_t payload[256];
	size_t len = t_unhex(hex, payload, sizeof(payload));
	uint8_t h[9] = { 0, 0, (uint8_t)len, type, flags, (uint8_t)(stream >> 24),
			 (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream };
	memcpy(out, h, 9);
	memcpy(out + 9, payload, len);
	return 9 + len;
}

/* RFC 7541 C.3.1 and C.3.2: the second request names the first's
 * :authority from the dynamic table (index 62). */
#define C31 "828684410f7777772e6578616d706c652e636f6d"
#define C32 "828684be58086e6f2d6361636865"
#define C31_HEADERS "[[\":method\",\"GET\"],[\":scheme\",\"http\"],[\":path\",\"/\"]," \
		    "[\":authority\",\"www.example.com\"]]"

int main(void)
{
	struct tt_http *h = tt_http_new(1);
	if (!h) {
		printf("FAIL setup: tt_http_new\n");
		return 1;
	}

	T_CASE("HTTP/1.1: request, then its response matched") {
		CHECK_STR(http_json_str(h, 1, 1, REQ),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/x\",\"headers\":"
			  "[[\"Host\",\"example.org\"],[\"X-Test\",\"one\"]]}");
		CHECK_STR(http_json_str(h, 1, 0, RESP),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/x\",\"status\":200,"
			  "\"reason\":\"OK\",\"headers\":[[\"Content-Length\",\"5\"]],\"body\":5}");
		/* the data key is still there, whole */
		CHECK(strstr(line, "\"data\":\"SFRUUC8xLjEgMjAwIE9L") != NULL);
	}

	T_CASE("HTTP/1.1: two requests in one call") {
		CHECK_STR(http_json_str(h, 2, 1, "GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.0\r\n\r\n"),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/a\",\"headers\":[],"
			  "\"more\":[{\"version\":\"1.0\",\"method\":\"HEAD\",\"path\":\"/b\","
			  "\"headers\":[]}]}");
	}

	T_CASE("HTTP/1.1: a truncated body is a gap kept in step") {
		const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
		CHECK(strstr(http_json_str(h, 3, 1, "GET /big HTTP/1.1\r\n\r\n"), "/big") != NULL);
		/* 10 body bytes captured, 980 lost, 10 more to come */
		struct tt_event ev = event(3, 0, head, strlen(head), strlen(head) + 980);
		CHECK(strstr(http_json(h, ev), "\"status\":200") != NULL);
		CHECK_STR(http_json_str(h, 3, 0, "abcdefghij"), "{\"version\":\"1.1\",\"body\":10}");
		CHECK(strstr(http_json_str(h, 3, 0, "HTTP/1.1 204 No Content\r\n\r\n"),
			     "\"status\":204") != NULL);
	}

	T_CASE("HTTP/1.1: a call lost whole is a gap too") {
		CHECK_STR(http_json_str(h, 11, 1, "GET /c HTTP/1.1\r\nHost: c\r\n"), "");
		CHECK_STR(http_json(h, event(11, 1, "", 0, 30)), "");
		CHECK_STR(http_json_str(h, 11, 1, "GET /d HTTP/1.1\r\n\r\n"),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/d\",\"headers\":[]}");
	}

	T_CASE("HTTP/1.1: a head cut short is lost, not merged with the next") {
		const char *cut = "GET /a HTTP/1.1\r\nHost: a\r\n";
		struct tt_event ev = event(4, 1, cut, strlen(cut), strlen(cut) + 100);
		CHECK_STR(http_json(h, ev), "");
		CHECK_STR(http_json_str(h, 4, 1, "GET /b HTTP/1.1\r\n\r\n"),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/b\",\"headers\":[]}");
	}

	T_CASE("HTTP/2 from the preface: frames, HPACK with the dynamic table") {
		uint8_t b[512];
		size_t n = 24;
		memcpy(b, NF_H2_PREFACE, 24);
		n += h2_frame(b + n, NF_H2_SETTINGS, 0, 0, "000300000064");
		n += h2_frame(b + n, NF_H2_HEADERS, 5, 1, C31);
		CHECK_STR(http_json(h, event(5, 1, b, n, n)),
			  "{\"version\":\"2\",\"preface\":true,\"frames\":["
			  "{\"type\":\"SETTINGS\",\"stream\":0,\"flags\":0,\"len\":6,"
			  "\"settings\":[[\"MAX_CONCURRENT_STREAMS\",100]]},"
			  "{\"type\":\"HEADERS\",\"stream\":1,\"flags\":5,\"len\":20,\"headers\":"
			  C31_HEADERS "}]}");
		n = h2_frame(b, NF_H2_HEADERS, 5, 3, C32);
		CHECK_STR(http_json(h, event(5, 1, b, n, n)),
			  "{\"version\":\"2\",\"frames\":[{\"type\":\"HEADERS\",\"stream\":3,"
			  "\"flags\":5,\"len\":14,\"headers\":[[\":method\",\"GET\"],"
			  "[\":scheme\",\"http\"],[\":path\",\"/\"],[\":authority\","
			  "\"www.example.com\"],[\"cache-control\",\"no-cache\"]]}]}");
		n = h2_frame(b, NF_H2_WINDOW_UPDATE, 0, 0, "00010000");
		n += h2_frame(b + n, NF_H2_RST_STREAM, 0, 3, "00000008");
		CHECK_STR(http_json(h, event(5, 0, b, n, n)),
			  "{\"version\":\"2\",\"frames\":[{\"type\":\"WINDOW_UPDATE\",\"stream\":0,"
			  "\"flags\":0,\"len\":4,\"increment\":65536},{\"type\":\"RST_STREAM\","
			  "\"stream\":3,\"flags\":0,\"len\":4,\"error\":\"CANCEL\"}]}");
	}

	T_CASE("HTTP/2 joined mid-connection: an unknown index flagged") {
		uint8_t b[128];
		size_t n = h2_frame(b, NF_H2_HEADERS, 5, 3, C32);
		CHECK_STR(http_json(h, event(6, 1, b, n, n)),
			  "{\"version\":\"2\",\"frames\":[{\"type\":\"HEADERS\",\"stream\":3,"
			  "\"flags\":5,\"len\":14,\"headers\":[[\":method\",\"GET\"],"
			  "[\":scheme\",\"http\"],[\":path\",\"/\"],[null,null],"
			  "[\"cache-control\",\"no-cache\"]],\"hpack\":\"unknown state\"}]}");
	}

	T_CASE("HTTP/2: a truncated call desyncs the direction") {
		uint8_t b[128];
		size_t n = 24;
		memcpy(b, NF_H2_PREFACE, 24);
		n += h2_frame(b + n, NF_H2_HEADERS, 5, 1, C31);
		CHECK(strstr(http_json(h, event(7, 1, b, n, n + 50)), "www.example.com") != NULL);
		n = h2_frame(b, NF_H2_HEADERS, 5, 3, C32);
		CHECK(strstr(http_json(h, event(7, 1, b, n, n)), "\"hpack\":\"unknown state\"") != NULL);
	}

	T_CASE("not HTTP, peeks, no connection: no http key") {
		CHECK_STR(http_json_str(h, 8, 1, "EHLO mail.example.org\r\n"), "");
		CHECK_STR(http_json_str(h, 8, 1, "GET / HTTP/1.1\r\n\r\n"),
			  "{\"version\":\"1.1\",\"method\":\"GET\",\"path\":\"/\",\"headers\":[]}");
		struct tt_event ev = event(9, 0, RESP, strlen(RESP), strlen(RESP));
		call.flags |= TT_F_PEEK;
		CHECK_STR(http_json(h, ev), "");
		CHECK_STR(http_json_str(h, 0, 1, REQ), "");
	}

	T_CASE("a connection whose slot is taken is forgotten") {
		CHECK(strstr(http_json_str(h, 10, 1, "GET /a HTTP/1.1\r\n\r\n"), "/a") != NULL);
		CHECK(strstr(http_json_str(h, 10 + TT_HTTP_CONNS, 1, REQ), "/x") != NULL);
		/* conn 10 starts again: a response is not matched to /a */
		CHECK_STR(http_json_str(h, 10, 0, "HTTP/1.1 204 No Content\r\n\r\n"),
			  "{\"version\":\"1.1\",\"status\":204,\"reason\":\"No Content\",\"headers\":[]}");
	}
	tt_http_free(h);

	T_CASE("text: decoded lines instead of the head, body bytes after") {
		struct tt_http *t = tt_http_new(0);
		REQUIRE(t != NULL);
		const char *req = text_of(t, 1, REQ);
		CHECK(strstr(req, "\nGET /x HTTP/1.1 seq=0 body=none") != NULL);
		CHECK(strstr(req, "\n  Host: example.org\n  X-Test: one\n") != NULL);
		CHECK(strstr(req, "\\r") == NULL);
		const char *resp = text_of(t, 0, RESP);
		CHECK(strstr(resp, "\nHTTP/1.1 200 OK for=GET /x") != NULL);
		CHECK(strstr(resp, "\n  Content-Length: 5\nhello\n") != NULL);
		CHECK(strstr(resp, "\\r") == NULL);
		/* without a decoder, the bytes as before */
		CHECK(strstr(text_of(NULL, 0, RESP), "HTTP/1.1 200 OK\\r\n") != NULL);
		tt_http_free(t);
	}

	T_CASE("the size bound holds a full rendering") {
		CHECK(tt_fmt_size(0, 0) >= TT_HTTP_OUT_MAX + 1024);
	}
	return t_summary();
}
