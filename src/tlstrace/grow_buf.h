/* A byte buffer that grows on demand, up to what its caller allows: the
 * reassembly buffers of the HTTP decoders (a message head, a frame
 * payload, a header block). */
#ifndef NF_GROW_BUF_H
#define NF_GROW_BUF_H
#include <stdint.h>

struct nf_gbuf {
	uint8_t *p;
	uint32_t cap, len;
};

/* Append n bytes; when it must grow, the buffer takes at least `want`
 * bytes at once (want >= len + n; the caller bounds it). 0, or -1 when
 * out of memory (nothing appended). */
int nf_gbuf_append(struct nf_gbuf *b, const void *src, uint32_t n, uint32_t want);
void nf_gbuf_free(struct nf_gbuf *b);

#endif
