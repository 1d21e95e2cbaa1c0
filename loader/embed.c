#include "embed.h"
#include "unpack.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct nf_blob {
	const char *name;
	const unsigned char *start, *end;
};

extern const struct nf_blob nf_embedded_table[];

const void *nf_embedded(const char *name, size_t *len)
{
	for (const struct nf_blob *b = nf_embedded_table; b->name; b++) {
		if (strcmp(b->name, name) == 0) {
			*len = (size_t)(b->end - b->start);
			return b->start;
		}
	}
	return NULL;
}

int nf_embedded_unpack(const char *name, void **buf, size_t *len)
{
	size_t in_len, n;
	const uint8_t *in = nf_embedded(name, &in_len);
	*buf = NULL;
	*len = 0;
	if (!in)
		return -ENOENT;
	int err = nf_unpack_size(in, in_len, &n);
	if (err)
		return err;
	uint8_t *out = malloc(n ? n : 1);
	if (!out)
		return -ENOMEM;
	if ((err = nf_unpack(in, in_len, out, n, &n))) {
		free(out);
		return err;
	}
	*buf = out;
	*len = n;
	return 0;
}
