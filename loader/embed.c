#include "embed.h"
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
