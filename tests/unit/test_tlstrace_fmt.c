/* tlstrace formats: exact JSON lines and text for small events, which keys
 * appear when, base64 decoding back to the bytes, text escapes, the hex
 * dump against xxd's layout (and xxd itself when installed), 4 MiB
 * payloads in a buffer of exactly tt_fmt_size(), and every short buffer
 * refused without overrun. */
#include <arpa/inet.h>
#include <stdint.h>
#include <unistd.h>
#include "t.h"
#include "tlstrace/tt_fmt.h"

#define TS_NS 1795838706123456789ULL /* 2026-11-28T04:05:06.123456789Z */
#define TS "2026-11-28T04:05:06.123456Z"
/* How every event() line starts, as JSON and as text. */
#define THEAD TS " curl 1234/1235 openssl"
#define HEAD "{\"ts\":\"" TS "\",\"pid\":1234,\"tid\":1235,\"comm\":\"curl\",\"lib\":\"openssl\","

static struct tt_call call;

static struct tt_event event(uint32_t func, const char *data, size_t n, uint64_t len)
{
	memset(&call, 0, sizeof(call));
	call.type = TT_REC_CALL;
	call.func = func;
	call.pid_tgid = (uint64_t)1234 << 32 | 1235;
	call.len = len;
	call.captured = n;
	call.fd = -1;
	call.flags = (func == TT_SSL_WRITE || func == TT_SSL_WRITE_EX ? TT_F_WRITE : 0) |
		     (func == TT_SSL_PEEK || func == TT_SSL_PEEK_EX ? TT_F_PEEK : 0);
	memcpy(call.comm, "curl", 5);
	struct tt_event ev = {
		.call = &call, .data = (const uint8_t *)data, .data_len = n,
		.realtime_ns = TS_NS, .conn_id = 1, .fd = -1, .lib = "openssl",
	};
	return ev;
}

static void set_addr(struct tt_event *ev, int family, const char *src, uint16_t sport,
		     const char *dst, uint16_t dport)
{
	int af = family == 4 ? AF_INET : AF_INET6;
	ev->addr.known = 1;
	ev->addr.family = (uint8_t)family;
	inet_pton(af, src, ev->addr.src);
	inet_pton(af, dst, ev->addr.dst);
	ev->addr.sport = sport;
	ev->addr.dport = dport;
}

static char line[8192];

static const char *json(const struct tt_event *ev)
{
	return tt_fmt_json(line, sizeof(line), ev) < 0 ? "(too small)" : line;
}

static const char *text(const struct tt_event *ev, int hex)
{
	return tt_fmt_text(line, sizeof(line), ev, hex) < 0 ? "(too small)" : line;
}

/* Base64 decoding (RFC 4648 section 4), for reading "data" back. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v = 0;
	long len = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(abc, s[i]);
		if (!p || !s[i])
			return -1;
		v = v << 6 | (uint32_t)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (uint8_t)(v >> bits);
		}
	}
	return len;
}

/* The "data" value of a JSON line, decoded into out: the length or -1. */
static long data_of(const char *l, uint8_t *out)
{
	const char *p = strstr(l, "\"data\":\"");
	if (!p)
		return -1;
	p += 8;
	const char *end = strchr(p, '"');
	return end ? b64_decode(p, (size_t)(end - p), out) : -1;
}

/* Every cap below the line's length + NUL is refused; that one fits. */
static int short_caps_refused(const struct tt_event *ev, int json_fmt, int hex)
{
	int n = json_fmt ? tt_fmt_json(line, sizeof(line), ev) : tt_fmt_text(line, sizeof(line), ev, hex);
	if (n <= 0)
		return 0;
	for (int cap = 0; cap <= n + 1; cap++) {
		char *b = malloc((size_t)cap + 1); /* ASan sees a write past cap */
		int r = json_fmt ? tt_fmt_json(b, (size_t)cap, ev) : tt_fmt_text(b, (size_t)cap, ev, hex);
		free(b);
		if (r != (cap > n ? n : -1))
			return 0;
	}
	return 1;
}

/* Our dump of n bytes equals xxd's: 1 same, 0 differ, -1 no xxd. */
static int same_as_xxd(const uint8_t *bytes, size_t n)
{
	char path[] = "/tmp/nf_tt_fmt_XXXXXX", cmd[64];
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, bytes, n) != (ssize_t)n)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "xxd %s 2>/dev/null", path);
	static char want[16384];
	FILE *p = popen(cmd, "r");
	size_t got = p ? fread(want, 1, sizeof(want) - 1, p) : 0;
	int st = p ? pclose(p) : -1;
	unlink(path);
	if (st != 0 || !got)
		return -1;
	want[got] = 0;
	struct tt_event ev = event(TT_SSL_READ, (const char *)bytes, n, n);
	text(&ev, 1);
	const char *dump = strchr(line, '\n');
	return dump && !strcmp(dump + 1, want);
}

static void test_large(void)
{
	T_CASE("4 MiB payloads fit tt_fmt_size exactly: JSON, escaped text, hex") {
		size_t n = TT_MAX_BYTES;
		uint8_t *data = malloc(n), *back = malloc(n);
		REQUIRE(data && back);
		for (size_t i = 0; i < n; i++)
			data[i] = (uint8_t)(0x80 | (i * 7)); /* never printable: 4 bytes each */
		struct tt_event ev = event(TT_SSL_WRITE_EX, (const char *)data, n, n + 1);
		set_addr(&ev, 6, "2001:db8:1:2:3:4:5:6", 65535, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 443);
		ev.fd = 2147483647;
		ev.conn_id = UINT64_MAX;
		for (int f = 0; f < 3; f++) {
			size_t cap = tt_fmt_size(n, f == 2);
			char *b = malloc(cap);
			REQUIRE(b);
			int r = f == 0 ? tt_fmt_json(b, cap, &ev) : tt_fmt_text(b, cap, &ev, f == 2);
			CHECK(r > 0 && (size_t)r < cap && b[r - 1] == '\n' && b[r] == 0);
			const char *nl = strchr(b, '\n');
			size_t head = nl ? (size_t)(nl - b) + 1 : 0;
			if (f == 0) {
				CHECK_EQ(data_of(b, back), n);
				CHECK(!memcmp(back, data, n));
			} else if (f == 1) {
				CHECK_EQ((size_t)r, head + 4 * n + 1);
			} else {
				CHECK_EQ((size_t)r, head + n / 16 * 68);
				CHECK(!strncmp(b + r - 68, "003ffff0: ", 10));
			}
			free(b);
		}
		free(data);
		free(back);
	}
}

int main(void)
{
	T_CASE("JSON: a small write, exactly") {
		struct tt_event ev = event(TT_SSL_WRITE, "hello", 5, 5);
		CHECK_STR(json(&ev), HEAD
			  "\"func\":\"SSL_write\",\"dir\":\"write\",\"len\":5,"
			  "\"data\":\"aGVsbG8=\",\"truncated\":false,\"conn\":1}\n");
	}

	T_CASE("JSON: every key, IPv4") {
		struct tt_event ev = event(TT_SSL_PEEK_EX, "abc", 3, 100);
		set_addr(&ev, 4, "10.0.0.1", 43210, "93.184.216.34", 443);
		ev.fd = 0;
		ev.conn_id = 7;
		CHECK_STR(json(&ev), HEAD
			  "\"func\":\"SSL_peek_ex\",\"dir\":\"read\",\"len\":100,"
			  "\"data\":\"YWJj\",\"truncated\":true,\"lost_bytes\":97,\"peek\":true,"
			  "\"conn\":7,\"fd\":0,\"src\":\"10.0.0.1\",\"dst\":\"93.184.216.34\","
			  "\"sport\":43210,\"dport\":443}\n");
	}

	T_CASE("JSON: IPv6, a call with no data") {
		struct tt_event ev = event(TT_SSL_READ_EX, "", 0, 4096);
		set_addr(&ev, 6, "2001:db8::1", 50000, "::ffff:192.0.2.1", 8443);
		ev.fd = 12;
		CHECK_STR(json(&ev), HEAD
			  "\"func\":\"SSL_read_ex\",\"dir\":\"read\",\"len\":4096,"
			  "\"data\":\"\",\"truncated\":true,\"lost_bytes\":4096,\"conn\":1,\"fd\":12,"
			  "\"src\":\"2001:db8::1\",\"dst\":\"::ffff:192.0.2.1\",\"sport\":50000,"
			  "\"dport\":8443}\n");
	}

	T_CASE("JSON: keys only where they apply") {
		struct tt_event ev = event(TT_SSL_READ, "x", 1, 1);
		json(&ev);
		CHECK(!strstr(line, "\"fd\"") && !strstr(line, "\"src\"") && !strstr(line, "\"sport\""));
		CHECK(!strstr(line, "\"lost_bytes\"") && !strstr(line, "\"peek\""));
		CHECK(strstr(line, "\"truncated\":false,\"conn\":1}") != NULL);
		ev.fd = 0;
		CHECK(strstr(json(&ev), ",\"fd\":0}") != NULL);
		ev.fd = -2;
		CHECK(!strstr(json(&ev), "\"fd\""));
		ev = event(TT_SSL_PEEK, "x", 1, 1);
		CHECK(strstr(json(&ev), "\"truncated\":false,\"peek\":true,") != NULL);
		ev = event(TT_SSL_WRITE_EX, "xy", 2, 3);
		CHECK(strstr(json(&ev), "\"truncated\":true,\"lost_bytes\":1,\"conn\"") != NULL);
	}

	T_CASE("JSON: comm and lib escaped; unknown func and lib named") {
		struct tt_event ev = event(99, "", 0, 0);
		memcpy(call.comm, "a\"b\\c\x01\xff\xc3\xa9", 10);
		ev.lib = NULL;
		CHECK(strstr(json(&ev), "\"comm\":\"a\\\"b\\\\c\\u0001\\u00ff\xc3\xa9\","
			      "\"lib\":\"unknown\",\"func\":\"?\"") != NULL);
		memcpy(call.comm, "0123456789abcdef", 16); /* no NUL: 16 bytes, no more */
		ev.lib = "bo\"ring";
		CHECK(strstr(json(&ev), "\"comm\":\"0123456789abcdef\",\"lib\":\"bo\\\"ring\"") != NULL);
	}

	T_CASE("JSON: data decodes to the bytes, all 256 values") {
		uint8_t bytes[256], back[256];
		for (int i = 0; i < 256; i++)
			bytes[i] = (uint8_t)i;
		for (size_t n = 254; n <= 256; n++) {
			struct tt_event ev = event(TT_SSL_READ, (const char *)bytes, n, n);
			CHECK_EQ(data_of(json(&ev), back), n);
			CHECK(!memcmp(bytes, back, n));
		}
	}

	T_CASE("text: header and payload, exactly") {
		struct tt_event ev = event(TT_SSL_WRITE, "hello", 5, 5);
		CHECK_STR(text(&ev, 0), THEAD " SSL_write write len 5 conn 1\nhello\n");
		const char *http = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n";
		ev = event(TT_SSL_READ, http, strlen(http), 100);
		set_addr(&ev, 4, "10.0.0.1", 43210, "93.184.216.34", 443);
		ev.conn_id = 7;
		CHECK_STR(text(&ev, 0), THEAD " SSL_read read len 100 "
			  "10.0.0.1.43210 > 93.184.216.34.443 conn 7 truncated, 70 bytes lost\n"
			  "HTTP/1.1 200 OK\\r\nServer: x\\r\n\\r\n");
		ev = event(TT_SSL_READ_EX, "", 0, 9);
		set_addr(&ev, 6, "2001:db8::1", 1, "::1", 2);
		ev.conn_id = 0;
		CHECK_STR(text(&ev, 0), THEAD " SSL_read_ex read len 9 "
			  "2001:db8::1.1 > ::1.2 truncated, 9 bytes lost\n");
	}

	T_CASE("text: escapes; a final newline added once") {
		struct tt_event ev = event(TT_SSL_READ, "a\tb\\c\x00\x7f\xff\xc3\xa9 d\n", 13, 13);
		const char *body = strchr(text(&ev, 0), '\n');
		CHECK_STR(body, "\na\\tb\\\\c\\x00\\x7f\\xff\\xc3\\xa9 d\n");
		ev = event(TT_SSL_READ, "\n\n", 2, 2);
		CHECK_STR(strchr(text(&ev, 0), '\n'), "\n\n\n");
		memcpy(call.comm, "my prog\n", 9); /* a header field stays one field */
		ev.lib = "lib ssl";
		CHECK(!strncmp(text(&ev, 0), TS " my\\x20prog\\n 1234/1235 lib\\x20ssl SSL_read", 58));
	}

	T_CASE("text: hex dump in xxd's layout") {
		const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
		struct tt_event ev = event(TT_SSL_WRITE, req, strlen(req), strlen(req));
		CHECK_STR(strchr(text(&ev, 1), '\n') + 1,
			  "00000000: 4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET / HTTP/1.1..\n"
			  "00000010: 486f 7374 3a20 780d 0a0d 0a              Host: x....\n");
		ev = event(TT_SSL_WRITE, "0123456789abcdef", 16, 16);
		CHECK_STR(strchr(text(&ev, 1), '\n') + 1,
			  "00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n");
		ev = event(TT_SSL_WRITE, "", 0, 0);
		CHECK_STR(text(&ev, 1), THEAD " SSL_write write len 0 conn 1\n");
	}

	T_CASE("text: hex dump equals xxd's output") {
		uint8_t bytes[1000];
		uint32_t r = 12345;
		for (size_t i = 0; i < sizeof(bytes); i++) {
			r = r * 1103515245 + 12345;
			bytes[i] = (uint8_t)(r >> 16);
		}
		int same = same_as_xxd(bytes, sizeof(bytes));
		if (same < 0) {
			t_skip("text: hex dump equals xxd's output", "xxd is not installed");
		} else {
			CHECK_EQ(same, 1);
			CHECK_EQ(same_as_xxd(bytes, 33), 1);
			CHECK_EQ(same_as_xxd(bytes, 1), 1);
		}
	}

	T_CASE("short buffers are refused, never overrun") {
		struct tt_event ev = event(TT_SSL_PEEK_EX, "GET /\r\n\x01", 8, 90);
		set_addr(&ev, 6, "2001:db8::1", 1, "2001:db8::2", 2);
		ev.fd = 3;
		CHECK(short_caps_refused(&ev, 1, 0));
		CHECK(short_caps_refused(&ev, 0, 0));
		CHECK(short_caps_refused(&ev, 0, 1));
		CHECK_EQ(tt_fmt_json(NULL, 0, &ev), -1);
		CHECK_EQ(tt_fmt_text(NULL, 0, &ev, 1), -1);
	}

	T_CASE("tt_fmt_size covers the longest header") {
		static char lib[TT_FMT_LIB_MAX + 20];
		memset(lib, 0x01, sizeof(lib) - 1); /* \u0001 each in JSON */
		struct tt_event ev = event(TT_SSL_WRITE_EX, "", 0, UINT64_MAX);
		memset(call.comm, 0x01, TT_COMM_LEN);
		call.pid_tgid = UINT64_MAX;
		ev.lib = lib;
		ev.conn_id = UINT64_MAX;
		ev.fd = 2147483647;
		ev.realtime_ns = UINT64_MAX;
		set_addr(&ev, 6, "2001:db8:1:2:3:4:5:6", 65535, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
			 65535);
		size_t cap = tt_fmt_size(0, 0);
		char *b = malloc(cap);
		REQUIRE(b);
		int j = tt_fmt_json(b, cap, &ev);
		int t = tt_fmt_text(b, cap, &ev, 0);
		CHECK(j > 0 && t > 0);
		free(b);
	}

	test_large();
	return t_summary();
}
