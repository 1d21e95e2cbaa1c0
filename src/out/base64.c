#include "base64.h"
#include <stdint.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t nf_base64_len(size_t n)
{
	return (n / 3 + (n % 3 != 0)) * 4;
}

void nf_base64(char *out, const void *data, size_t n)
{
	const uint8_t *in = data;
	for (; n >= 3; n -= 3, in += 3, out += 4) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		out[0] = alphabet[v >> 18];
		out[1] = alphabet[v >> 12 & 63];
		out[2] = alphabet[v >> 6 & 63];
		out[3] = alphabet[v & 63];
	}
	if (!n)
		return;
	/* One or two bytes left: two or three characters, then '=' padding. */
	uint32_t v = (uint32_t)in[0] << 16 | (n == 2 ? (uint32_t)in[1] << 8 : 0);
	out[0] = alphabet[v >> 18];
	out[1] = alphabet[v >> 12 & 63];
	out[2] = n == 2 ? alphabet[v >> 6 & 63] : '=';
	out[3] = '=';
}

void nf_put_base64(struct strbuf *b, const void *data, size_t n)
{
	char *out = sb_claim(b, nf_base64_len(n));
	if (out)
		nf_base64(out, data, n);
}
