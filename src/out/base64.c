#include "base64.h"
#include <stdint.h>
#include <string.h>

/* The standard alphabet as a constant expression, for the table below. */
#define ENC(v) ((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : \
		(v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')

/* Two characters per 12 bits of input: half the lookups of one per 6 bits.
 * tlstrace's JSON base64-encodes every captured byte, and with one lookup
 * per character this loop was a third of the tracer's CPU time. */
#define P1(i) { ENC((i) >> 6), ENC((i) & 63) },
#define P4(i) P1(i) P1((i) + 1) P1((i) + 2) P1((i) + 3)
#define P16(i) P4(i) P4((i) + 4) P4((i) + 8) P4((i) + 12)
#define P64(i) P16(i) P16((i) + 16) P16((i) + 32) P16((i) + 48)
#define P256(i) P64(i) P64((i) + 64) P64((i) + 128) P64((i) + 192)
#define P1024(i) P256(i) P256((i) + 256) P256((i) + 512) P256((i) + 768)
static const char pairs[4096][2] = { P1024(0) P1024(1024) P1024(2048) P1024(3072) };

size_t nf_base64_len(size_t n)
{
	return (n / 3 + (n % 3 != 0)) * 4;
}

/* 6 bytes into 8 characters, from an 8-byte load (in[6] and in[7] are
 * read, not used: the caller keeps 8 readable). */
static void six(char *restrict out, const uint8_t *restrict in)
{
	uint64_t v;
	memcpy(&v, in, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	char o[8];
	memcpy(o, pairs[v >> 52], 2);
	memcpy(o + 2, pairs[v >> 40 & 4095], 2);
	memcpy(o + 4, pairs[v >> 28 & 4095], 2);
	memcpy(o + 6, pairs[v >> 16 & 4095], 2);
	memcpy(out, o, sizeof(o));
}

void nf_base64(char *restrict out, const void *restrict data, size_t n)
{
	const uint8_t *in = data;
	for (; n >= 8; n -= 6, in += 6, out += 8)
		six(out, in);
	for (; n >= 3; n -= 3, in += 3, out += 4) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		memcpy(out, pairs[v >> 12], 2);
		memcpy(out + 2, pairs[v & 4095], 2);
	}
	if (!n)
		return;
	/* One or two bytes left: two or three characters, then '=' padding. */
	uint32_t v = (uint32_t)in[0] << 16 | (n == 2 ? (uint32_t)in[1] << 8 : 0);
	memcpy(out, pairs[v >> 12], 2);
	out[2] = n == 2 ? pairs[v & 4095][0] : '=';
	out[3] = '=';
}

void nf_put_base64(struct strbuf *b, const void *data, size_t n)
{
	char *out = sb_claim(b, nf_base64_len(n));
	if (out)
		nf_base64(out, data, n);
}
