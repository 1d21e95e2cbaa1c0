/* Encoders shared by the commands' output: base64 (RFC 4648 test vectors,
 * every byte value decoded back), JSON strings (escapes, UTF-8 kept or
 * not), members, and sb_claim. */
#include <stdint.h>
#include "t.h"
#include "out/base64.h"
#include "out/json.h"
#include "out/strbuf.h"

/* RFC 4648 section 4's alphabet, decoded by position. -1: not in it. */
static int b64_value(char c)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(abc, c) : NULL;
	return p ? (int)(p - abc) : -1;
}

/* Decode whole quads, '=' padding only at the end; the length or -1. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
	long len = 0;
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
		if (pad && i + 4 != n)
			return -1;
		uint32_t v = 0;
		for (int k = 0; k < 4; k++) {
			int d = k >= 4 - pad ? 0 : b64_value(s[i + k]);
			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		for (int k = 0; k < 3 - pad; k++)
			out[len++] = (uint8_t)(v >> (16 - 8 * k));
	}
	return len;
}

static const char *json_str(const char *s, size_t n, char *out, size_t cap)
{
	struct strbuf b;
	sb_init(&b, out, cap);
	nf_json_str(&b, s, n);
	return sb_finish(&b) < 0 ? "(overflow)" : out;
}

int main(void)
{
	char out[512];

	T_CASE("base64: RFC 4648 section 10 test vectors") {
		static const char *const vec[][2] = {
			{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
			{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		};
		for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
			size_t n = strlen(vec[i][0]);
			CHECK_EQ(nf_base64_len(n), strlen(vec[i][1]));
			memset(out, '#', sizeof(out));
			nf_base64(out, vec[i][0], n);
			CHECK(!memcmp(out, vec[i][1], strlen(vec[i][1])));
			CHECK(out[strlen(vec[i][1])] == '#'); /* nothing past the text */
			struct strbuf b;
			sb_init(&b, out, sizeof(out));
			nf_put_base64(&b, vec[i][0], n);
			CHECK_STR(out, vec[i][1]);
		}
	}

	T_CASE("base64: every byte value, every tail length, decodes back") {
		uint8_t in[258], back[258];
		char text[400];
		for (int i = 0; i < 258; i++)
			in[i] = (uint8_t)(255 - i);
		for (size_t n = 256; n <= 258; n++) {
			nf_base64(text, in, n);
			CHECK_EQ(b64_decode(text, nf_base64_len(n), back), n);
			CHECK(!memcmp(in, back, n));
		}
		CHECK_EQ(b64_decode("+/+/", 4, back), 3);
		CHECK(back[0] == 0xfb && back[1] == 0xff && back[2] == 0xbf);
	}

	T_CASE("base64: the 12-bit table and 6-byte steps agree with one lookup per 6 bits") {
		static const char abc[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		uint8_t in[216];
		char got[300], want[300];
		uint32_t seed = 12345;
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
		int bad = 0;
		for (size_t off = 0; off < 8; off++) {
			for (size_t n = 0; off + n <= sizeof(in); n++) {
				size_t k = 0, len = nf_base64_len(n);
				for (size_t i = 0; i < n; i += 3) {
					uint32_t v = (uint32_t)in[off + i] << 16 |
						     (i + 1 < n ? (uint32_t)in[off + i + 1] << 8 : 0) |
						     (i + 2 < n ? in[off + i + 2] : 0);
					want[k++] = abc[v >> 18];
					want[k++] = abc[v >> 12 & 63];
					want[k++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
					want[k++] = i + 2 < n ? abc[v & 63] : '=';
				}
				memset(got, '#', sizeof(got));
				nf_base64(got, in + off, n);
				bad += k != len || memcmp(got, want, len) != 0 || got[len] != '#';
			}
		}
		CHECK_EQ(bad, 0);
	}

	T_CASE("base64: a full strbuf is remembered, never overrun") {
		char small[9];
		struct strbuf b;
		sb_init(&b, small, sizeof(small));
		nf_put_base64(&b, "foobar", 6);
		CHECK_EQ(sb_finish(&b), 8);
		nf_put_base64(&b, "f", 1);
		CHECK_EQ(sb_finish(&b), -1);
		CHECK_STR(small, "Zm9vYmFy");
		sb_init(&b, small, 8); /* no room for the NUL */
		nf_put_base64(&b, "foobar", 6);
		CHECK_EQ(sb_finish(&b), -1);
	}

	T_CASE("sb_claim: counted, NUL-terminated, refused when full") {
		char buf[6];
		struct strbuf b;
		sb_init(&b, buf, sizeof(buf));
		char *p = sb_claim(&b, 3);
		REQUIRE(p == buf);
		memcpy(p, "abc", 3);
		CHECK(sb_claim(&b, 2) == buf + 3);
		CHECK_EQ(b.len, 5);
		CHECK(buf[5] == 0);
		CHECK(sb_claim(&b, 1) == NULL);
		CHECK_EQ(sb_finish(&b), -1);
		sb_init(&b, buf, sizeof(buf));
		CHECK(sb_claim(&b, 0) == buf);
		CHECK(sb_claim(&b, SIZE_MAX) == NULL);
	}

	T_CASE("JSON strings: escapes and UTF-8") {
		CHECK_STR(json_str("a\"b\\c", 5, out, sizeof(out)), "\"a\\\"b\\\\c\"");
		CHECK_STR(json_str("\x01\n\x1f", 3, out, sizeof(out)), "\"\\u0001\\u000a\\u001f\"");
		CHECK_STR(json_str("nul\0x", 5, out, sizeof(out)), "\"nul\\u0000x\"");
		/* well-formed UTF-8 kept: 2, 3 and 4 bytes */
		CHECK_STR(json_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, out, sizeof(out)),
			  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
		/* not UTF-8: a lone continuation, an overlong '/', a surrogate,
		 * past U+10FFFF, a sequence cut by the end, 0xff */
		CHECK_STR(json_str("\x80", 1, out, sizeof(out)), "\"\\u0080\"");
		CHECK_STR(json_str("\xc0\xaf", 2, out, sizeof(out)), "\"\\u00c0\\u00af\"");
		CHECK_STR(json_str("\xed\xa0\x80", 3, out, sizeof(out)), "\"\\u00ed\\u00a0\\u0080\"");
		CHECK_STR(json_str("\xf4\x90\x80\x80", 4, out, sizeof(out)),
			  "\"\\u00f4\\u0090\\u0080\\u0080\"");
		CHECK_STR(json_str("\xe2\x82", 2, out, sizeof(out)), "\"\\u00e2\\u0082\"");
		CHECK_STR(json_str("x\xffy", 3, out, sizeof(out)), "\"x\\u00ffy\"");
		CHECK_STR(json_str("\xc3\xa9", 1, out, sizeof(out)), "\"\\u00c3\""); /* n bounds it */
		CHECK_STR(json_str("abc", 3, out, 5), "(overflow)");
	}

	T_CASE("JSON members") {
		struct strbuf b;
		sb_init(&b, out, sizeof(out));
		sb_putc(&b, '{');
		nf_json_key_u64(&b, "n", UINT64_MAX);
		nf_json_key_bool(&b, "t", 1);
		nf_json_key_bool(&b, "f", 0);
		nf_json_key_str(&b, "s", "q\"");
		nf_json_key(&b, "raw");
		sb_puts(&b, "[]}");
		CHECK_STR(out, "{,\"n\":18446744073709551615,\"t\":true,\"f\":false,\"s\":\"q\\\"\",\"raw\":[]}");
	}
	return t_summary();
}
