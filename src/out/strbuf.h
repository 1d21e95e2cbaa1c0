/* A bounded string builder over a caller's buffer: appends never overrun,
 * and a full buffer is remembered (sb_ok() == 0). No allocation. */
#ifndef NF_STRBUF_H
#define NF_STRBUF_H
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *p;
	size_t len, cap;  /* cap includes room for the final NUL */
	int overflow;
};

void sb_init(struct strbuf *b, char *buf, size_t cap);
void sb_putc(struct strbuf *b, char c);
void sb_puts(struct strbuf *b, const char *s);
void sb_putn(struct strbuf *b, const char *s, size_t n);
void sb_putu(struct strbuf *b, uint64_t v);
/* v with exactly width digits, zero-padded. */
void sb_putu_pad(struct strbuf *b, uint64_t v, int width);
/* Room for n more bytes at the end, counted as written (the caller fills
 * them; the NUL after them is set). NULL, and the buffer full, when they
 * do not fit. For encoders that write long runs directly. */
char *sb_claim(struct strbuf *b, size_t n);
/* The length written (NUL-terminated), or -1 if it did not fit. */
int sb_finish(struct strbuf *b);

#endif
