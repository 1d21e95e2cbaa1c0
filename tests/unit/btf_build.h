/* Hand-built BTF blobs for tests: ground truth the test writes itself. */
#ifndef NF_TEST_BTF_BUILD_H
#define NF_TEST_BTF_BUILD_H
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct bb {
	uint8_t types[8192];
	size_t tlen;
	char strs[2048];
	size_t slen;
	uint32_t next_id;
};

static inline void bb_init(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1;
	b->next_id = 1;
}

static inline uint32_t bb_str(struct bb *b, const char *s)
{
	uint32_t off;
	if (!s || !*s)
		return 0;
	off = (uint32_t)b->slen;
	memcpy(b->strs + b->slen, s, strlen(s) + 1);
	b->slen += strlen(s) + 1;
	return off;
}

static inline void bb_u32(struct bb *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

/* Starts a type; returns its id. Append the kind's extra words after. */
static inline uint32_t bb_type(struct bb *b, const char *name, uint32_t kind, uint32_t vlen,
			       uint32_t size_or_type)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, kind << 24 | vlen);
	bb_u32(b, size_or_type);
	return b->next_id++;
}

static inline uint32_t bb_int(struct bb *b, const char *name, uint32_t bytes, int is_signed)
{
	uint32_t id = bb_type(b, name, BTF_KIND_INT, 0, bytes);
	bb_u32(b, (is_signed ? BTF_INT_SIGNED : 0) << 24 | bytes * 8);
	return id;
}

static inline void bb_member(struct bb *b, const char *name, uint32_t type, uint32_t bit_off)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, type);
	bb_u32(b, bit_off);
}

/* The blob: header, types, strings (malloc'd). */
static inline void *bb_blob(const struct bb *b, size_t *len)
{
	struct btf_header h = { BTF_MAGIC, BTF_VERSION, 0, sizeof(h), 0, (uint32_t)b->tlen,
				(uint32_t)b->tlen, (uint32_t)b->slen };
	uint8_t *p = malloc(sizeof(h) + b->tlen + b->slen);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), b->types, b->tlen);
	memcpy(p + sizeof(h) + b->tlen, b->strs, b->slen);
	*len = sizeof(h) + b->tlen + b->slen;
	return p;
}

#endif
