/* The growing byte buffer of grow_buf.h. */
#include <stdlib.h>
#include <string.h>
#include "grow_buf.h"

int nf_gbuf_append(struct nf_gbuf *b, const void *src, uint32_t n, uint32_t want)
{
	if (!n)
		return 0;
	if (b->cap - b->len < n) {
		if (want < b->len + n)
			want = b->len + n;
		uint8_t *p = realloc(b->p, want);
		if (!p)
			return -1;
		b->p = p;
		b->cap = want;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

void nf_gbuf_free(struct nf_gbuf *b)
{
	free(b->p);
	*b = (struct nf_gbuf){ 0 };
}
