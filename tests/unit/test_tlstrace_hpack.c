/* HPACK (src/tlstrace/hpack*.c) against RFC 7541: the Huffman code against
 * Appendix B's rows, every example of Appendix C (decoded fields, dynamic
 * table entries and size after each block), the errors the RFC names, the
 * unknown (joined mid-connection) state, and random damage under the
 * sanitizers. */
#include <stdint.h>
#include "t.h"
#include "t_data.h"
#include "t_rfc7541.h"
#include "tlstrace/hpack.h"

/* ---- helpers --------------------------------------------------------- */

struct fixture {
	struct nf_hpack d;
	struct nf_hpack_out out;
	struct nf_hpack_field fields[32];
	char buf[4096];
};

static void fx_init(struct fixture *f, int unknown)
{
	nf_hpack_init(&f->d, unknown);
	nf_hpack_out_init(&f->out, f->fields, 32, f->buf, sizeof(f->buf));
}

static int decode_hex(struct fixture *f, const char *hex)
{
	uint8_t blk[512];
	size_t n = t_unhex(hex, blk, sizeof(blk));
	return nf_hpack_decode(&f->d, blk, n, &f->out);
}

/* "name: value" of a field or entry, "?" for unknown parts. */
static const char *field_str(const struct nf_hpack_field *h, char *s, size_t cap)
{
	snprintf(s, cap, "%.*s: %.*s",
		 h->name ? (int)h->name_len : 1, h->name ? h->name : "?",
		 h->value ? (int)h->value_len : 1, h->value ? h->value : "?");
	return s;
}

/* The block's fields, then the dynamic table (newest first) and its size. */
static void check_fields(const struct fixture *f, const char *const *want, uint32_t n)
{
	char s[256];
	CHECK_EQ(f->out.nfields, n);
	for (uint32_t i = 0; i < n && i < f->out.nfields; i++)
		CHECK_STR(field_str(&f->out.fields[i], s, sizeof(s)), want[i]);
}

static void check_table(const struct fixture *f, const char *const *want, uint32_t n, uint32_t size)
{
	char s[256];
	struct nf_hpack_field e;
	CHECK_EQ(nf_hpack_count(&f->d), n);
	CHECK_EQ(nf_hpack_size(&f->d), size);
	for (uint32_t i = 0; i < n; i++) {
		int got = nf_hpack_entry(&f->d, i + 1, &e) == 0;
		CHECK(got);
		if (got)
			CHECK_STR(field_str(&e, s, sizeof(s)), want[i]);
	}
	CHECK(nf_hpack_entry(&f->d, n + 1, &e) == -1);
}

#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---- Huffman ----------------------------------------------------------- */

/* RFC 7541 Appendix B as printed: per symbol (0..255, then EOS) its code,
 * right-aligned, and its length in bits. */
static const struct { uint32_t code; uint8_t bits; } rfc_huff[257] = {
	{0x1ff8, 13}, {0x7fffd8, 23}, {0xfffffe2, 28}, {0xfffffe3, 28}, {0xfffffe4, 28}, {0xfffffe5, 28},
	{0xfffffe6, 28}, {0xfffffe7, 28}, {0xfffffe8, 28}, {0xffffea, 24}, {0x3ffffffc, 30}, {0xfffffe9, 28},
	{0xfffffea, 28}, {0x3ffffffd, 30}, {0xfffffeb, 28}, {0xfffffec, 28}, {0xfffffed, 28}, {0xfffffee, 28},
	{0xfffffef, 28}, {0xffffff0, 28}, {0xffffff1, 28}, {0xffffff2, 28}, {0x3ffffffe, 30}, {0xffffff3, 28},
	{0xffffff4, 28}, {0xffffff5, 28}, {0xffffff6, 28}, {0xffffff7, 28}, {0xffffff8, 28}, {0xffffff9, 28},
	{0xffffffa, 28}, {0xffffffb, 28}, {0x14, 6}, {0x3f8, 10}, {0x3f9, 10}, {0xffa, 12},
	{0x1ff9, 13}, {0x15, 6}, {0xf8, 8}, {0x7fa, 11}, {0x3fa, 10}, {0x3fb, 10},
	{0xf9, 8}, {0x7fb, 11}, {0xfa, 8}, {0x16, 6}, {0x17, 6}, {0x18, 6},
	{0x0, 5}, {0x1, 5}, {0x2, 5}, {0x19, 6}, {0x1a, 6}, {0x1b, 6},
	{0x1c, 6}, {0x1d, 6}, {0x1e, 6}, {0x1f, 6}, {0x5c, 7}, {0xfb, 8},
	{0x7ffc, 15}, {0x20, 6}, {0xffb, 12}, {0x3fc, 10}, {0x1ffa, 13}, {0x21, 6},
	{0x5d, 7}, {0x5e, 7}, {0x5f, 7}, {0x60, 7}, {0x61, 7}, {0x62, 7},
	{0x63, 7}, {0x64, 7}, {0x65, 7}, {0x66, 7}, {0x67, 7}, {0x68, 7},
	{0x69, 7}, {0x6a, 7}, {0x6b, 7}, {0x6c, 7}, {0x6d, 7}, {0x6e, 7},
	{0x6f, 7}, {0x70, 7}, {0x71, 7}, {0x72, 7}, {0xfc, 8}, {0x73, 7},
	{0xfd, 8}, {0x1ffb, 13}, {0x7fff0, 19}, {0x1ffc, 13}, {0x3ffc, 14}, {0x22, 6},
	{0x7ffd, 15}, {0x3, 5}, {0x23, 6}, {0x4, 5}, {0x24, 6}, {0x5, 5},
	{0x25, 6}, {0x26, 6}, {0x27, 6}, {0x6, 5}, {0x74, 7}, {0x75, 7},
	{0x28, 6}, {0x29, 6}, {0x2a, 6}, {0x7, 5}, {0x2b, 6}, {0x76, 7},
	{0x2c, 6}, {0x8, 5}, {0x9, 5}, {0x2d, 6}, {0x77, 7}, {0x78, 7},
	{0x79, 7}, {0x7a, 7}, {0x7b, 7}, {0x7ffe, 15}, {0x7fc, 11}, {0x3ffd, 14},
	{0x1ffd, 13}, {0xffffffc, 28}, {0xfffe6, 20}, {0x3fffd2, 22}, {0xfffe7, 20}, {0xfffe8, 20},
	{0x3fffd3, 22}, {0x3fffd4, 22}, {0x3fffd5, 22}, {0x7fffd9, 23}, {0x3fffd6, 22}, {0x7fffda, 23},
	{0x7fffdb, 23}, {0x7fffdc, 23}, {0x7fffdd, 23}, {0x7fffde, 23}, {0xffffeb, 24}, {0x7fffdf, 23},
	{0xffffec, 24}, {0xffffed, 24}, {0x3fffd7, 22}, {0x7fffe0, 23}, {0xffffee, 24}, {0x7fffe1, 23},
	{0x7fffe2, 23}, {0x7fffe3, 23}, {0x7fffe4, 23}, {0x1fffdc, 21}, {0x3fffd8, 22}, {0x7fffe5, 23},
	{0x3fffd9, 22}, {0x7fffe6, 23}, {0x7fffe7, 23}, {0xffffef, 24}, {0x3fffda, 22}, {0x1fffdd, 21},
	{0xfffe9, 20}, {0x3fffdb, 22}, {0x3fffdc, 22}, {0x7fffe8, 23}, {0x7fffe9, 23}, {0x1fffde, 21},
	{0x7fffea, 23}, {0x3fffdd, 22}, {0x3fffde, 22}, {0xfffff0, 24}, {0x1fffdf, 21}, {0x3fffdf, 22},
	{0x7fffeb, 23}, {0x7fffec, 23}, {0x1fffe0, 21}, {0x1fffe1, 21}, {0x3fffe0, 22}, {0x1fffe2, 21},
	{0x7fffed, 23}, {0x3fffe1, 22}, {0x7fffee, 23}, {0x7fffef, 23}, {0xfffea, 20}, {0x3fffe2, 22},
	{0x3fffe3, 22}, {0x3fffe4, 22}, {0x7ffff0, 23}, {0x3fffe5, 22}, {0x3fffe6, 22}, {0x7ffff1, 23},
	{0x3ffffe0, 26}, {0x3ffffe1, 26}, {0xfffeb, 20}, {0x7fff1, 19}, {0x3fffe7, 22}, {0x7ffff2, 23},
	{0x3fffe8, 22}, {0x1ffffec, 25}, {0x3ffffe2, 26}, {0x3ffffe3, 26}, {0x3ffffe4, 26}, {0x7ffffde, 27},
	{0x7ffffdf, 27}, {0x3ffffe5, 26}, {0xfffff1, 24}, {0x1ffffed, 25}, {0x7fff2, 19}, {0x1fffe3, 21},
	{0x3ffffe6, 26}, {0x7ffffe0, 27}, {0x7ffffe1, 27}, {0x3ffffe7, 26}, {0x7ffffe2, 27}, {0xfffff2, 24},
	{0x1fffe4, 21}, {0x1fffe5, 21}, {0x3ffffe8, 26}, {0x3ffffe9, 26}, {0xffffffd, 28}, {0x7ffffe3, 27},
	{0x7ffffe4, 27}, {0x7ffffe5, 27}, {0xfffec, 20}, {0xfffff3, 24}, {0xfffed, 20}, {0x1fffe6, 21},
	{0x3fffe9, 22}, {0x1fffe7, 21}, {0x1fffe8, 21}, {0x7ffff3, 23}, {0x3fffea, 22}, {0x3fffeb, 22},
	{0x1ffffee, 25}, {0x1ffffef, 25}, {0xfffff4, 24}, {0xfffff5, 24}, {0x3ffffea, 26}, {0x7ffff4, 23},
	{0x3ffffeb, 26}, {0x7ffffe6, 27}, {0x3ffffec, 26}, {0x3ffffed, 26}, {0x7ffffe7, 27}, {0x7ffffe8, 27},
	{0x7ffffe9, 27}, {0x7ffffea, 27}, {0x7ffffeb, 27}, {0xffffffe, 28}, {0x7ffffec, 27}, {0x7ffffed, 27},
	{0x7ffffee, 27}, {0x7ffffef, 27}, {0x7fffff0, 27}, {0x3ffffee, 26}, {0x3fffffff, 30},
};

/* A bit writer for building Huffman strings from rfc_huff. */
struct bits {
	uint8_t *p;
	size_t nbits;
};

static void put_bits(struct bits *b, uint32_t code, unsigned n)
{
	for (unsigned i = n; i-- > 0;) {
		size_t byte = b->nbits / 8;
		if (b->nbits % 8 == 0)
			b->p[byte] = 0;
		if (code >> i & 1)
			b->p[byte] |= (uint8_t)(0x80 >> b->nbits % 8);
		b->nbits++;
	}
}

/* Pad with ones to a byte; the byte count. */
static size_t pad_ones(struct bits *b)
{
	while (b->nbits % 8)
		put_bits(b, 1, 1);
	return b->nbits / 8;
}

static void test_huffman_table(void)
{
	T_CASE("huffman: every code equals Appendix B's row") {
		for (unsigned s = 0; s <= 256; s++) {
			uint32_t code = 0;
			unsigned bits = 0;
			CHECK_EQ(nf_huff_code(s, &code, &bits), 0);
			if (code != rfc_huff[s].code || bits != rfc_huff[s].bits)
				printf("FAIL %s: symbol %u: %#x/%u, want %#x/%u\n", t_case, s,
				       code, bits, rfc_huff[s].code, rfc_huff[s].bits), t_failed_in_case = 1;
		}
		uint32_t c;
		unsigned b;
		CHECK_EQ(nf_huff_code(257, &c, &b), -1);
	}
	T_CASE("huffman: lengths satisfy Kraft's equality") {
		uint64_t sum = 0;
		for (unsigned s = 0; s <= 256; s++) {
			CHECK(rfc_huff[s].bits >= 5 && rfc_huff[s].bits <= 30);
			CHECK(rfc_huff[s].code < (1u << rfc_huff[s].bits));
			sum += 1ull << (30 - rfc_huff[s].bits);
		}
		CHECK_EQ(sum, 1ull << 30);
	}
	T_CASE("huffman: no code is a prefix of another") {
		int bad = 0;
		for (unsigned a = 0; a <= 256; a++)
			for (unsigned b = 0; b <= 256; b++) {
				if (a == b || rfc_huff[a].bits > rfc_huff[b].bits)
					continue;
				unsigned shift = rfc_huff[b].bits - rfc_huff[a].bits;
				if (rfc_huff[b].code >> shift == rfc_huff[a].code)
					bad++;
			}
		CHECK_EQ(bad, 0);
	}
	T_CASE("huffman: each of the 256 octets decodes alone and in one string") {
		uint8_t enc[1200], dec[300];
		size_t n;
		for (unsigned s = 0; s < 256; s++) {
			struct bits b = { enc, 0 };
			put_bits(&b, rfc_huff[s].code, rfc_huff[s].bits);
			size_t len = pad_ones(&b);
			CHECK_EQ(nf_huff_decode(enc, len, dec, sizeof(dec), &n), 0);
			CHECK(n == 1 && dec[0] == s);
		}
		struct bits b = { enc, 0 };
		for (unsigned s = 0; s < 256; s++)
			put_bits(&b, rfc_huff[255 - s].code, rfc_huff[255 - s].bits);
		size_t len = pad_ones(&b);
		REQUIRE(nf_huff_decode(enc, len, dec, sizeof(dec), &n) == 0);
		CHECK_EQ(n, 256);
		int wrong = 0;
		for (unsigned s = 0; s < 256; s++)
			wrong += dec[s] != 255 - s;
		CHECK_EQ(wrong, 0);
		/* only counting */
		CHECK_EQ(nf_huff_decode(enc, len, NULL, 0, &n), 0);
		CHECK_EQ(n, 256);
		CHECK_EQ(nf_huff_decode(enc, len, dec, 10, &n), NF_HPACK_E_SPACE);
	}
}

static void test_huffman_errors(void)
{
	uint8_t enc[16], dec[16];
	size_t n;
	T_CASE("huffman: padding of up to 7 ones is accepted") {
		/* 'a' = 00011, then 111 */
		enc[0] = 0x1f;
		CHECK_EQ(nf_huff_decode(enc, 1, dec, sizeof(dec), &n), 0);
		CHECK(n == 1 && dec[0] == 'a');
		CHECK_EQ(nf_huff_decode(enc, 0, dec, sizeof(dec), &n), 0);
		CHECK_EQ(n, 0);
	}
	T_CASE("huffman: padding of 8 bits or more is refused") {
		enc[0] = 0x1f;
		enc[1] = 0xff;  /* 'a', then 11 ones */
		CHECK_EQ(nf_huff_decode(enc, 2, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
		enc[0] = 0xff;  /* no symbol, 8 ones */
		CHECK_EQ(nf_huff_decode(enc, 1, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
	}
	T_CASE("huffman: padding that is not all ones is refused") {
		enc[0] = 0x1e;  /* 'a', then 110 */
		CHECK_EQ(nf_huff_decode(enc, 1, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
		enc[0] = 0x18;  /* 'a', then 000 */
		CHECK_EQ(nf_huff_decode(enc, 1, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
	}
	T_CASE("huffman: EOS inside a string is refused") {
		struct bits b = { enc, 0 };
		put_bits(&b, rfc_huff['a'].code, rfc_huff['a'].bits);
		put_bits(&b, rfc_huff[256].code, rfc_huff[256].bits);
		put_bits(&b, rfc_huff['b'].code, rfc_huff['b'].bits);
		size_t len = pad_ones(&b);
		CHECK_EQ(nf_huff_decode(enc, len, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
		/* EOS as the last thing, padding after it */
		b = (struct bits){ enc, 0 };
		put_bits(&b, rfc_huff[256].code, rfc_huff[256].bits);
		len = pad_ones(&b);
		CHECK_EQ(nf_huff_decode(enc, len, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
		/* four bytes of ones = EOS and 2 more bits */
		memset(enc, 0xff, 4);
		CHECK_EQ(nf_huff_decode(enc, 4, dec, sizeof(dec), &n), NF_HPACK_E_HUFFMAN);
	}
}

/* ---- Appendix C.1: integers (through a literal's string length) ------ */

static void test_integers(void)
{
	struct fixture f;
	char s[256];
	T_CASE("C.1: integers 10 and 1337 in a 5-bit prefix, 42 as a string length") {
		/* C.1.1: 10 in a 5-bit prefix is 0x0a; a size update has that
		 * prefix: 001 01010 */
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "2a 82"), 0);
		CHECK_EQ(f.d.max_size, 10);
		/* C.1.2: 1337 = 1f 9a 0a, as a size update (limit raised to allow it) */
		nf_hpack_set_limit(&f.d, 4096);
		CHECK_EQ(decode_hex(&f, "3f 9a 0a"), 0);
		CHECK_EQ(f.d.max_size, 1337);
		nf_hpack_free(&f.d);
		/* C.1.3's 42 fits a prefix whole: a 42-byte value (length 0x2a) */
		fx_init(&f, 0);
		uint8_t blk[64] = { 0x04, 0x2a };
		memset(blk + 2, 'x', 42);
		CHECK_EQ(nf_hpack_decode(&f.d, blk, 44, &f.out), 0);
		REQUIRE(f.out.nfields == 1);
		CHECK_EQ(f.out.fields[0].value_len, 42);
		CHECK_STR(field_str(&f.out.fields[0], s, 12), ":path: xxxx");
		nf_hpack_free(&f.d);
	}
}

/* ---- Appendix C.2: one representation each -------------------------- */

static void test_c2(void)
{
	struct fixture f;
	T_CASE("C.2.1: literal with indexing") {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), 0);
		static const char *const h[] = { "custom-key: custom-header" };
		check_fields(&f, h, 1);
		CHECK_EQ(f.out.fields[0].rep, NF_HPACK_INCREMENTAL);
		CHECK_EQ(f.out.fields[0].index, 0);
		check_table(&f, h, 1, 55);
		nf_hpack_free(&f.d);
	}
	T_CASE("C.2.2: literal without indexing") {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "040c 2f73 616d 706c 652f 7061 7468"), 0);
		static const char *const h[] = { ":path: /sample/path" };
		check_fields(&f, h, 1);
		CHECK_EQ(f.out.fields[0].rep, NF_HPACK_NOT_INDEXED);
		CHECK_EQ(f.out.fields[0].index, 4);
		check_table(&f, NULL, 0, 0);
		nf_hpack_free(&f.d);
	}
	T_CASE("C.2.3: literal never indexed") {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "1008 7061 7373 776f 7264 0673 6563 7265 74"), 0);
		static const char *const h[] = { "password: secret" };
		check_fields(&f, h, 1);
		CHECK_EQ(f.out.fields[0].rep, NF_HPACK_NEVER_INDEXED);
		check_table(&f, NULL, 0, 0);
		nf_hpack_free(&f.d);
	}
	T_CASE("C.2.4: indexed") {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "82"), 0);
		static const char *const h[] = { ":method: GET" };
		check_fields(&f, h, 1);
		CHECK_EQ(f.out.fields[0].rep, NF_HPACK_INDEXED);
		CHECK_EQ(f.out.fields[0].index, 2);
		check_table(&f, NULL, 0, 0);
		nf_hpack_free(&f.d);
	}
}

/* ---- Appendix C.3 to C.6: sequences sharing one table ---------------- */

static const char *const req1[] = {
	":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com",
};
static const char *const req1_table[] = { ":authority: www.example.com" };
static const char *const req2[] = {
	":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com",
	"cache-control: no-cache",
};
static const char *const req2_table[] = {
	"cache-control: no-cache", ":authority: www.example.com",
};
static const char *const req3[] = {
	":method: GET", ":scheme: https", ":path: /index.html",
	":authority: www.example.com", "custom-key: custom-value",
};
static const char *const req3_table[] = {
	"custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com",
};

static void run_requests(const char *name, const char *const hex[3])
{
	struct fixture f;
	T_CASE(name) {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, hex[0]), 0);
		check_fields(&f, req1, N(req1));
		check_table(&f, req1_table, 1, 57);
		CHECK_EQ(decode_hex(&f, hex[1]), 0);
		check_fields(&f, req2, N(req2));
		CHECK_EQ(f.out.fields[3].index, 62);
		check_table(&f, req2_table, 2, 110);
		CHECK_EQ(decode_hex(&f, hex[2]), 0);
		check_fields(&f, req3, N(req3));
		CHECK_EQ(f.out.fields[3].index, 63);
		check_table(&f, req3_table, 3, 164);
		nf_hpack_free(&f.d);
	}
}

static const char *const resp1[] = {
	":status: 302", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	"location: https://www.example.com",
};
static const char *const resp1_table[] = {
	"location: https://www.example.com", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	"cache-control: private", ":status: 302",
};
static const char *const resp2[] = {
	":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	"location: https://www.example.com",
};
static const char *const resp2_table[] = {
	":status: 307", "location: https://www.example.com",
	"date: Mon, 21 Oct 2013 20:13:21 GMT", "cache-control: private",
};
static const char *const resp3[] = {
	":status: 200", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:22 GMT",
	"location: https://www.example.com", "content-encoding: gzip",
	"set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
};
static const char *const resp3_table[] = {
	"set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
	"content-encoding: gzip", "date: Mon, 21 Oct 2013 20:13:22 GMT",
};

static void run_responses(const char *name, const char *const hex[3])
{
	struct fixture f;
	T_CASE(name) {
		fx_init(&f, 0);
		nf_hpack_set_limit(&f.d, 256);  /* SETTINGS_HEADER_TABLE_SIZE = 256 */
		CHECK_EQ(decode_hex(&f, hex[0]), 0);
		check_fields(&f, resp1, N(resp1));
		check_table(&f, resp1_table, 4, 222);
		CHECK_EQ(decode_hex(&f, hex[1]), 0);  /* evicts :status: 302 */
		check_fields(&f, resp2, N(resp2));
		check_table(&f, resp2_table, 4, 222);
		CHECK_EQ(decode_hex(&f, hex[2]), 0);  /* evicts four */
		check_fields(&f, resp3, N(resp3));
		check_table(&f, resp3_table, 3, 215);
		nf_hpack_free(&f.d);
	}
}

static void test_sequences(void)
{
	static const char *const c3[3] = { C31, C32, C33 };
	static const char *const c4[3] = { C41, C42, C43 };
	static const char *const c5[3] = { C51, C52, C53 };
	static const char *const c6[3] = { C61, C62, C63 };
	run_requests("C.3: three requests without Huffman share a table", c3);
	run_requests("C.4: three requests with Huffman share a table", c4);
	run_responses("C.5: three responses, 256-byte table, evictions", c5);
	run_responses("C.6: three responses with Huffman, 256-byte table, evictions", c6);
}

/* ---- errors ------------------------------------------------------------ */

static void expect_error(const char *name, const char *hex, int want)
{
	struct fixture f;
	T_CASE(name) {
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), 0);
		CHECK_EQ(decode_hex(&f, hex), want);
		/* the table is no longer trusted: emptied, unknown state */
		CHECK_EQ(nf_hpack_count(&f.d), 0);
		CHECK_EQ(f.d.unseen, 1);
		nf_hpack_free(&f.d);
	}
}

static void test_errors(void)
{
	expect_error("errors: index 0", "80", NF_HPACK_E_INDEX);
	expect_error("errors: index past the dynamic table", "bf", NF_HPACK_E_INDEX);
	expect_error("errors: literal name index past the tables", "7f 05 01 61", NF_HPACK_E_INDEX);
	expect_error("errors: size update above the limit", "3fe21f", NF_HPACK_E_TABLE_UPDATE);
	expect_error("errors: size update after a field", "82 20", NF_HPACK_E_TABLE_UPDATE);
	expect_error("errors: truncated integer", "ff", NF_HPACK_E_TRUNC);
	expect_error("errors: literal without its value", "40 01 61", NF_HPACK_E_TRUNC);
	expect_error("errors: string longer than the block", "40 05 61 62", NF_HPACK_E_STRLEN);
	expect_error("errors: string length 2^31", "40 7f 81 ff ff ff 07 61", NF_HPACK_E_STRLEN);
	expect_error("errors: integer over 32 bits", "ff ff ff ff ff 0f", NF_HPACK_E_INT);
	expect_error("errors: integer with too many continuation bytes", "ff 80 80 80 80 80 00", NF_HPACK_E_INT);
	expect_error("errors: bad Huffman padding", "40 81 1e 01 61", NF_HPACK_E_HUFFMAN);
	expect_error("errors: EOS in a Huffman string", "40 84 ff ff ff ff 01 61", NF_HPACK_E_HUFFMAN);
	T_CASE("errors: size updates at the start, several, within the limit") {
		struct fixture f;
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), 0);
		CHECK_EQ(decode_hex(&f, "20 3fe11f 82"), 0);  /* 0, then 4096 */
		CHECK_EQ(nf_hpack_count(&f.d), 0);
		CHECK_EQ(f.d.max_size, 4096);
		nf_hpack_set_limit(&f.d, 100);  /* shrinks at once */
		CHECK_EQ(f.d.max_size, 100);
		CHECK_EQ(decode_hex(&f, "3f 46"), NF_HPACK_E_TABLE_UPDATE);  /* 101 */
		nf_hpack_free(&f.d);
	}
	T_CASE("an empty name and value as the first entry (32 bytes, none stored)") {
		struct fixture f;
		fx_init(&f, 0);
		CHECK_EQ(decode_hex(&f, "4000 00 be"), 0);  /* insert ": ", then index 62 */
		CHECK_EQ(f.out.nfields, 2);
		CHECK_EQ(f.out.fields[1].index, 62);
		CHECK_EQ(f.out.fields[1].name_len + f.out.fields[1].value_len, 0);
		CHECK_EQ(nf_hpack_count(&f.d), 1);
		CHECK_EQ(nf_hpack_size(&f.d), 32);
		struct nf_hpack_field e;
		CHECK_EQ(nf_hpack_entry(&f.d, 1, &e), 0);
		nf_hpack_free(&f.d);
	}
	T_CASE("errors: an entry larger than the table empties it, no error") {
		struct fixture f;
		fx_init(&f, 0);
		nf_hpack_set_limit(&f.d, 50);
		CHECK_EQ(decode_hex(&f, "4003 6162 6303 7879 7a"), 0);  /* abc: xyz, 38 */
		CHECK_EQ(nf_hpack_count(&f.d), 1);
		CHECK_EQ(decode_hex(&f, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), 0);
		CHECK_EQ(nf_hpack_count(&f.d), 0);
		CHECK_EQ(nf_hpack_size(&f.d), 0);
		CHECK_EQ(f.out.nfields, 1);
		nf_hpack_free(&f.d);
	}
}

/* ---- the caller's buffers running out --------------------------------- */

static void test_small_output(void)
{
	T_CASE("output: a full buffer cuts strings but keeps the table in step") {
		struct nf_hpack d;
		struct nf_hpack_field fl[8];
		char buf[30];
		struct nf_hpack_out o;
		char s[128];
		uint8_t blk[256];
		nf_hpack_init(&d, 0);
		nf_hpack_out_init(&o, fl, 8, buf, sizeof(buf));
		/* C.3.1, then C.3.3 naming its entry as 62: ":authority" and
		 * "www.example.com" take 25 of the 30 bytes, "custom-key" (10)
		 * and "custom-value" (12) are left out */
		size_t n = t_unhex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", blk, sizeof(blk));
		CHECK_EQ(nf_hpack_decode(&d, blk, n, &o), 0);
		n = t_unhex("8287 85be 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", blk, sizeof(blk));
		CHECK_EQ(nf_hpack_decode(&d, blk, n, &o), 0);
		REQUIRE(o.nfields == 5);
		CHECK_STR(field_str(&o.fields[3], s, sizeof(s)), ":authority: www.example.com");
		CHECK_STR(field_str(&o.fields[4], s, sizeof(s)), "?: ?");
		CHECK_EQ(o.fields[4].flags, NF_HPACK_UNKNOWN | NF_HPACK_CUT);
		CHECK_EQ(o.fields[4].name_len, 10);
		CHECK_EQ(o.fields[4].value_len, 12);
		/* the entry is counted exactly; its bytes are unknown */
		CHECK_EQ(nf_hpack_size(&d), 57 + 54);
		nf_hpack_out_init(&o, fl, 8, buf, sizeof(buf));
		n = t_unhex("be bf", blk, sizeof(blk));
		CHECK_EQ(nf_hpack_decode(&d, blk, n, &o), 0);
		REQUIRE(o.nfields == 2);
		CHECK_EQ(o.fields[0].flags, NF_HPACK_UNKNOWN);
		CHECK_STR(field_str(&o.fields[1], s, sizeof(s)), ":authority: www.example.com");
		/* too few field slots: counted, table still right */
		nf_hpack_out_init(&o, fl, 1, buf, sizeof(buf));
		n = t_unhex("82 4003 6162 6303 7879 7a", blk, sizeof(blk));
		CHECK_EQ(nf_hpack_decode(&d, blk, n, &o), 0);
		CHECK_EQ(o.nfields, 1);
		CHECK_EQ(o.dropped, 1);
		CHECK_EQ(o.buf_used, 0);
		CHECK_EQ(nf_hpack_count(&d), 3);
		struct nf_hpack_field e;
		REQUIRE(nf_hpack_entry(&d, 1, &e) == 0);
		CHECK_STR(field_str(&e, s, sizeof(s)), "abc: xyz");
		/* no buffer at all */
		nf_hpack_out_init(&o, fl, 8, NULL, 0);
		n = t_unhex("c0 bf 4088 25a8 49e9 5ba9 7d7f 80", blk, sizeof(blk));
		CHECK_EQ(nf_hpack_decode(&d, blk, n, &o), 0);
		CHECK_EQ(o.nfields, 3);
		CHECK_EQ(o.fields[2].flags, NF_HPACK_UNKNOWN_NAME | NF_HPACK_CUT);
		CHECK_EQ(o.fields[2].value_len, 0);
		nf_hpack_free(&d);
	}
}

/* ---- unknown state ---------------------------------------------------- */

static void test_unknown_state(void)
{
	struct fixture f;
	char s[256];
	T_CASE("unknown state: unseen indices are flagged, literals decode and insert") {
		fx_init(&f, 1);
		/* C.3.2 alone: be (62) was inserted before we watched */
		CHECK_EQ(decode_hex(&f, "8286 84be 5808 6e6f 2d63 6163 6865"), 0);
		REQUIRE(f.out.nfields == 5);
		CHECK_STR(field_str(&f.out.fields[2], s, sizeof(s)), ":path: /");
		CHECK_EQ(f.out.fields[3].flags, NF_HPACK_UNKNOWN);
		CHECK_EQ(f.out.fields[3].index, 62);
		CHECK_STR(field_str(&f.out.fields[4], s, sizeof(s)), "cache-control: no-cache");
		/* now 62 is ours, 63 still unseen */
		CHECK_EQ(decode_hex(&f, "be bf"), 0);
		REQUIRE(f.out.nfields == 2);
		CHECK_STR(field_str(&f.out.fields[0], s, sizeof(s)), "cache-control: no-cache");
		CHECK_EQ(f.out.fields[1].flags, NF_HPACK_UNKNOWN);
		/* a literal whose name is an unseen entry: value shown, inserted */
		CHECK_EQ(decode_hex(&f, "7f 06 03 61 62 63"), 0);  /* name index 69 */
		REQUIRE(f.out.nfields == 1);
		CHECK_EQ(f.out.fields[0].flags, NF_HPACK_UNKNOWN_NAME);
		CHECK_STR(field_str(&f.out.fields[0], s, sizeof(s)), "?: abc");
		CHECK_EQ(nf_hpack_count(&f.d), 2);
		CHECK_EQ(nf_hpack_size(&f.d), 53 + 35);  /* lower bound */
		CHECK_EQ(f.d.inexact, 1);
		CHECK_EQ(decode_hex(&f, "be"), 0);
		CHECK_EQ(f.out.fields[0].flags, NF_HPACK_UNKNOWN_NAME);
		CHECK_EQ(f.out.fields[0].value_len, 3);
		CHECK_EQ(f.d.unseen, 1);
		nf_hpack_free(&f.d);
	}
	T_CASE("unknown state: a size update to 0 makes the table known") {
		fx_init(&f, 1);
		CHECK_EQ(decode_hex(&f, "bf"), 0);
		CHECK_EQ(f.out.fields[0].flags, NF_HPACK_UNKNOWN);
		CHECK_EQ(decode_hex(&f, "20 3fe11f 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), 0);
		CHECK_EQ(f.d.unseen, 0);
		CHECK_EQ(decode_hex(&f, "be"), 0);
		CHECK_STR(field_str(&f.out.fields[0], s, sizeof(s)), "custom-key: custom-header");
		CHECK_EQ(decode_hex(&f, "bf"), NF_HPACK_E_INDEX);
		nf_hpack_free(&f.d);
	}
	T_CASE("unknown state: a full table of known entries makes it known") {
		fx_init(&f, 1);
		CHECK_EQ(decode_hex(&f, "3f e1 01"), 0);  /* max 256: known, entries may remain */
		CHECK_EQ(f.d.unseen, 1);
		/* C.5.1's four entries: 222 of 256, 34 free, room for an unseen one */
		CHECK_EQ(decode_hex(&f, "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133"
				       "2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70"
				       "6c65 2e63 6f6d"), 0);
		CHECK_EQ(f.d.unseen, 1);
		CHECK_EQ(decode_hex(&f, "c2"), 0);
		CHECK_EQ(f.out.fields[0].flags, NF_HPACK_UNKNOWN);
		/* ":status: 0123456789" (49) evicts ":status: 302" (42): 229
		 * held, no room for an unseen entry of 32 */
		CHECK_EQ(decode_hex(&f, "480a 3031 3233 3435 3637 3839"), 0);
		CHECK_EQ(nf_hpack_size(&f.d), 222 - 42 + 49);
		CHECK_EQ(f.d.unseen, 0);
		nf_hpack_free(&f.d);
	}
	T_CASE("unknown state: a size update over the cap keeps the cap, the rest unseen") {
		fx_init(&f, 0);
		nf_hpack_set_limit(&f.d, 1u << 20);
		CHECK_EQ(decode_hex(&f, "3f 81 8d 06"), 0);  /* 100000 */
		CHECK_EQ(f.d.max_size, NF_HPACK_SIZE_CAP);
		CHECK_EQ(f.d.max_known, 0);
		CHECK_EQ(f.d.unseen, 1);
		CHECK_EQ(decode_hex(&f, "bf"), 0);
		CHECK_EQ(f.out.fields[0].flags, NF_HPACK_UNKNOWN);
		CHECK_EQ(decode_hex(&f, "3f e2 ff 3f"), NF_HPACK_E_TABLE_UPDATE);  /* 2^20 + 1 */
		nf_hpack_free(&f.d);
	}
	T_CASE("unknown state: assume_fresh before the first block") {
		fx_init(&f, 1);
		nf_hpack_assume_fresh(&f.d);
		CHECK_EQ(f.d.unseen, 0);
		CHECK_EQ(f.d.max_size, 4096);
		CHECK_EQ(decode_hex(&f, "be"), NF_HPACK_E_INDEX);
		nf_hpack_free(&f.d);
	}
}

/* ---- the dynamic table against a model --------------------------------- */

/* The table as a list, newest first, evicted by the RFC's rule. */
struct model {
	char ent[200][96];
	unsigned n, size, max;
};

static unsigned entry_size(const char *e)
{
	return 32 + (unsigned)strlen(e) - 2;  /* "name: value" minus ": " */
}

static void model_evict(struct model *m, unsigned room)
{
	while (m->n && m->size + room > m->max)
		m->size -= entry_size(m->ent[--m->n]);
}

static void model_insert(struct model *m, const char *name, const char *value)
{
	char e[sizeof(m->ent[0])];
	snprintf(e, sizeof(e), "%s: %s", name, value);
	unsigned sz = entry_size(e);
	if (sz > m->max) {
		m->n = m->size = 0;
		return;
	}
	model_evict(m, sz);
	memmove(m->ent[1], m->ent[0], m->n * sizeof(m->ent[0]));
	memcpy(m->ent[0], e, sizeof(e));
	m->n++;
	m->size += sz;
}

/* An integer with a prefix_bits prefix after the bits of first. */
static size_t put_int(uint8_t *p, uint8_t first, unsigned prefix_bits, unsigned v)
{
	unsigned max = (1u << prefix_bits) - 1;
	size_t n = 0;
	if (v < max) {
		p[n++] = (uint8_t)(first | v);
		return n;
	}
	p[n++] = (uint8_t)(first | max);
	for (v -= max; v >= 128; v >>= 7)
		p[n++] = (uint8_t)(0x80 | (v & 0x7f));
	p[n++] = (uint8_t)v;
	return n;
}

/* Random inserts, references and size updates: the decoder's table and
 * what it hands out match the model after every block. */
static void test_table_model(void)
{
	T_CASE("dynamic table: random inserts, lookups and size updates match a model") {
		struct fixture f;
		static struct model m;
		char s[256], name[24], value[64];
		uint8_t blk[256];
		int bad = 0;
		fx_init(&f, 0);
		m = (struct model){ .max = 4096 };
		for (int round = 0; round < 3000 && !bad; round++) {
			size_t n = 0;
			if (t_rand() % 8 == 0) {
				m.max = t_rand() % 700;
				n += put_int(blk + n, 0x20, 5, m.max);  /* size update */
				model_evict(&m, 0);
			}
			unsigned nl = 1 + t_rand() % 20, vl = t_rand() % 50;
			for (unsigned i = 0; i < nl; i++)
				name[i] = (char)('a' + t_rand() % 26);
			for (unsigned i = 0; i < vl; i++)
				value[i] = (char)('A' + t_rand() % 26);
			name[nl] = value[vl] = 0;
			blk[n++] = 0x40;
			blk[n++] = (uint8_t)nl;
			memcpy(blk + n, name, nl);
			n += nl;
			blk[n++] = (uint8_t)vl;
			memcpy(blk + n, value, vl);
			n += vl;
			model_insert(&m, name, value);
			/* then a reference to one of the entries now held, or none */
			unsigned ref = t_rand() % (m.n + 1);
			if (ref)
				n += put_int(blk + n, 0x80, 7, 61 + ref);
			if (nf_hpack_decode(&f.d, blk, n, &f.out)) {
				bad++;
				break;
			}
			if (ref && (f.out.nfields != 2 ||
				    strcmp(field_str(&f.out.fields[1], s, sizeof(s)), m.ent[ref - 1])))
				bad++;
			if (nf_hpack_count(&f.d) != m.n || nf_hpack_size(&f.d) != m.size)
				bad++;
			/* and every entry lies in the held bytes (not stale ones
			 * that merely still read right) */
			struct nf_hpack_field e;
			const char *lo = (const char *)f.d.bytes + f.d.head;
			const char *hi = (const char *)f.d.bytes + f.d.tail;
			for (unsigned i = 0; i < m.n && !bad; i++)
				if (nf_hpack_entry(&f.d, i + 1, &e) || strcmp(field_str(&e, s, sizeof(s)), m.ent[i]) ||
				    e.name < lo || e.value + e.value_len > hi)
					bad++;
		}
		CHECK_EQ(bad, 0);
		nf_hpack_free(&f.d);
	}
}

/* ---- random damage ---------------------------------------------------- */

static void test_damage(void)
{
	t_rand_seed();
	T_CASE("damage: truncations and byte flips of C.4 and C.6 end cleanly") {
		static const char *const blocks[] = {
			"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
			"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
			"88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab"
			"77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f"
			"9587 3160 65c0 03ed 4ee5 b106 3d50 07",
		};
		uint8_t blk[256];
		int errors = 0, oks = 0;
		unsigned long touched = 0;
		for (int round = 0; round < 20000; round++) {
			struct fixture f;
			fx_init(&f, round & 1);
			for (unsigned b = 0; b < N(blocks); b++) {
				size_t n = t_unhex(blocks[b], blk, sizeof(blk));
				unsigned flips = t_rand() % 4;
				for (unsigned k = 0; k < flips; k++)
					blk[t_rand() % n] ^= (uint8_t)(1u << t_rand() % 8);
				if (t_rand() % 4 == 0)
					n = t_rand() % (n + 1);
				int err = nf_hpack_decode(&f.d, blk, n, &f.out);
				errors += err != 0;
				oks += err == 0;
				CHECK(err <= 0 && err >= NF_HPACK_E_SPACE);
				CHECK(nf_hpack_size(&f.d) <= NF_HPACK_SIZE_CAP);
				/* every byte handed out is readable (ASan) */
				for (uint32_t i = 0; i < f.out.nfields; i++) {
					const struct nf_hpack_field *h = &f.out.fields[i];
					CHECK(!h->name == !!(h->flags & NF_HPACK_UNKNOWN_NAME));
					CHECK(!h->value == !!(h->flags & NF_HPACK_UNKNOWN_VALUE));
					for (uint32_t k = 0; h->name && k < h->name_len; k++)
						touched += (uint8_t)h->name[k];
					for (uint32_t k = 0; h->value && k < h->value_len; k++)
						touched += (uint8_t)h->value[k];
				}
			}
			nf_hpack_free(&f.d);
		}
		CHECK(errors > 0 && oks > 0 && touched > 0);
	}
}

int main(void)
{
	test_huffman_table();
	test_huffman_errors();
	test_integers();
	test_c2();
	test_sequences();
	test_errors();
	test_small_output();
	test_unknown_state();
	test_table_model();
	test_damage();
	return t_summary();
}
