#include "json.h"
#include <string.h>

/* The length of the well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF) at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (!len || s[0] > 0xf4 || n < len)
		return 0;
	uint32_t cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_u00(struct strbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
	sb_putn(b, esc, sizeof(esc));
}

void nf_json_str(struct strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	sb_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len = c >= 0x80 ? utf8_len(u + i, n - i) : 1;
		if (c == '"' || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c < 0x20 || !len) {
			put_u00(b, c);
			len = 1;
		} else {
			sb_putn(b, s + i, len);
		}
		i += len;
	}
	sb_putc(b, '"');
}

void nf_json_key(struct strbuf *b, const char *name)
{
	sb_puts(b, ",\"");
	sb_puts(b, name);
	sb_puts(b, "\":");
}

void nf_json_key_u64(struct strbuf *b, const char *name, uint64_t v)
{
	nf_json_key(b, name);
	sb_putu(b, v);
}

void nf_json_key_bool(struct strbuf *b, const char *name, int v)
{
	nf_json_key(b, name);
	sb_puts(b, v ? "true" : "false");
}

void nf_json_key_str(struct strbuf *b, const char *name, const char *v)
{
	nf_json_key(b, name);
	nf_json_str(b, v, strlen(v));
}
