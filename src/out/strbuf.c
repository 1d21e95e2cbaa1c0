#include "strbuf.h"
#include <string.h>

void sb_init(struct strbuf *b, char *buf, size_t cap)
{
	b->p = buf;
	b->len = 0;
	b->cap = cap;
	b->overflow = cap == 0;
	if (cap)
		buf[0] = 0;
}

char *sb_claim(struct strbuf *b, size_t n)
{
	if (b->overflow || n >= b->cap - b->len) {
		b->overflow = 1;
		return NULL;
	}
	char *at = b->p + b->len;
	b->len += n;
	b->p[b->len] = 0;
	return at;
}

void sb_putn(struct strbuf *b, const char *s, size_t n)
{
	char *at = sb_claim(b, n);
	if (at)
		memcpy(at, s, n);
}

void sb_putc(struct strbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

void sb_puts(struct strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_putu_pad(struct strbuf *b, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < 20);
	while (n < width && n < 20)
		tmp[sizeof(tmp) - 1 - n++] = '0';
	sb_putn(b, tmp + sizeof(tmp) - n, (size_t)n);
}

void sb_putu(struct strbuf *b, uint64_t v)
{
	sb_putu_pad(b, v, 1);
}

int sb_finish(struct strbuf *b)
{
	return b->overflow ? -1 : (int)b->len;
}
