/* Base64, the standard alphabet with padding (RFC 4648 section 4). Pure. */
#ifndef NF_BASE64_H
#define NF_BASE64_H
#include <stddef.h>
#include "strbuf.h"

/* The text length for n bytes: 4 per 3, rounded up. */
size_t nf_base64_len(size_t n);
/* Writes nf_base64_len(n) characters to out (no NUL). */
void nf_base64(char *restrict out, const void *restrict data, size_t n);
/* The same, appended to b. */
void nf_put_base64(struct strbuf *b, const void *data, size_t n);

#endif
