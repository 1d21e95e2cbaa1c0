/* Growing a BTF blob: insert bytes into the type section, append strings.
 * The blob is rebuilt as header + types + strings and re-indexed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_edit.h"
#include "btf_util.h"
#include "log.h"

/* Byte offset (within the type section) where type id starts; the
 * section's length for id == ntypes. */
static size_t type_pos(const struct nf_btf *b, uint32_t id)
{
	const uint8_t *base = b->data + b->hdr->hdr_len + b->hdr->type_off;
	return id < b->ntypes ? (size_t)((const uint8_t *)b->types[id] - base) : b->hdr->type_len;
}

static int rebuild(struct nf_btf *b, size_t at, const void *ins, size_t ins_len,
		   const char *str, size_t str_add)
{
	struct btf_header h = *b->hdr;
	const uint8_t *types = b->data + h.hdr_len + h.type_off;
	size_t len = sizeof(h) + h.type_len + ins_len + h.str_len + str_add;
	uint8_t *nd;

	if (len > UINT32_MAX)
		return -E2BIG;
	nd = malloc(len);
	if (!nd)
		return -ENOMEM;
	h.hdr_len = sizeof(h);
	h.type_off = 0;
	h.type_len += (uint32_t)ins_len;
	h.str_off = h.type_len;
	h.str_len += (uint32_t)str_add;
	uint8_t *p = nd;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, types, at);
	p += at;
	if (ins_len)
		memcpy(p, ins, ins_len);
	p += ins_len;
	memcpy(p, types + at, b->hdr->type_len - at);
	p += b->hdr->type_len - at;
	memcpy(p, b->strs, b->str_len);
	if (str_add)
		memcpy(p + b->str_len, str, str_add);
	free(b->data);
	b->data = nd;
	b->len = len;
	return nf_btf_reindex(b);
}

int nf_btf_insert_at(struct nf_btf *b, uint32_t id, size_t at_byte, const void *bytes, size_t len)
{
	size_t at = type_pos(b, id) + at_byte;
	return at <= b->hdr->type_len ? rebuild(b, at, bytes, len, NULL, 0) : -EINVAL;
}

int nf_btf_append_type(struct nf_btf *b, const void *bytes, size_t len)
{
	int err = rebuild(b, b->hdr->type_len, bytes, len, NULL, 0);
	return err ? err : (int)(b->ntypes - 1);
}

int nf_btf_add_str(struct nf_btf *b, const char *s)
{
	for (uint32_t off = 1; off < b->str_len; off += (uint32_t)strlen(b->strs + off) + 1)
		if (!strcmp(b->strs + off, s))
			return (int)off;
	uint32_t off = b->str_len;
	int err = rebuild(b, b->hdr->type_len, NULL, 0, s, strlen(s) + 1);
	return err ? err : (int)off;
}
