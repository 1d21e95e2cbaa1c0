/* BTF parsing and queries. The blob is copied; types[] indexes into it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf.h"
#include "btf_util.h"
#include "log.h"

#define NF_BTF_MAX_DEPTH 32

static int bad(const char *what)
{
	nf_seterr("bad BTF: %s", what);
	return -EINVAL;
}

/* Bytes a type occupies, header included, or 0 when its kind is unknown. */
size_t nf_btf_type_len(const struct btf_type *t)
{
	size_t vlen = BTF_INFO_VLEN(t->info), base = sizeof(*t);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: return base + sizeof(uint32_t);
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG:
		return base;
	case BTF_KIND_ARRAY: return base + sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		return base + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return base + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return base + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return base + sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return base + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return base + sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64: return base + vlen * sizeof(struct btf_enum64);
	default: return 0;
	}
}

static int check_header(struct nf_btf *b)
{
	struct btf_header *h = b->hdr;

	if (b->len < sizeof(*h) || h->magic != BTF_MAGIC || h->version != BTF_VERSION)
		return bad("header magic or version");
	if (h->hdr_len < sizeof(*h) || h->hdr_len > b->len)
		return bad("header length");
	size_t body = b->len - h->hdr_len;
	if (h->type_off % 4 || h->type_off > body || h->type_len > body - h->type_off)
		return bad("type section out of range");
	if (h->str_off > body || h->str_len > body - h->str_off)
		return bad("string section out of range");
	if (h->str_len == 0 || (h->hdr_len + h->type_off) % 4)
		return bad("string or type section layout");
	b->strs = (char *)b->data + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	if (b->strs[0] != '\0' || b->strs[b->str_len - 1] != '\0')
		return bad("string section not terminated");
	uint64_t t0 = h->type_off, t1 = t0 + h->type_len, s0 = h->str_off, s1 = s0 + h->str_len;
	if (h->type_len && t0 < s1 && s0 < t1)
		return bad("type and string sections overlap");
	return 0;
}

/* Pass 1: find where each type starts. */
static int index_types(struct nf_btf *b)
{
	uint8_t *p = b->data + b->hdr->hdr_len + b->hdr->type_off;
	uint8_t *end = p + b->hdr->type_len;
	uint32_t n = 1, cap = 1024;

	b->types = calloc(cap, sizeof(*b->types));
	if (!b->types)
		return -ENOMEM;
	while (p < end) {
		struct btf_type *t = (struct btf_type *)p;
		size_t tl;
		if ((size_t)(end - p) < sizeof(*t) || !(tl = nf_btf_type_len(t)))
			return bad("truncated type or unknown kind");
		if (tl > (size_t)(end - p))
			return bad("type runs past the type section");
		if (n == cap) {
			struct btf_type **nt = realloc(b->types, (size_t)cap * 2 * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			b->types = nt;
			cap *= 2;
		}
		b->types[n++] = t;
		p += tl;
	}
	b->ntypes = n;
	return 0;
}

static int id_ok(const struct nf_btf *b, uint32_t id)
{
	return id < b->ntypes;
}

static int name_ok(const struct nf_btf *b, uint32_t off)
{
	return off < b->str_len;
}

/* The ids a type refers to, and its member names, must be in range. */
static int check_refs(const struct nf_btf *b, const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);

	if (!name_ok(b, t->name_off))
		return bad("name offset out of range");
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
	case BTF_KIND_TYPE_TAG: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		return id_ok(b, t->type) ? 0 : bad("type id out of range");
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);
		if (!id_ok(b, t->type))
			return bad("return type id out of range");
		for (uint32_t i = 0; i < vlen; i++)
			if (!id_ok(b, p[i].type) || !name_ok(b, p[i].name_off))
				return bad("parameter out of range");
		return 0;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);
		return id_ok(b, a->type) && id_ok(b, a->index_type) ? 0 : bad("array type id out of range");
	}
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);
		for (uint32_t i = 0; i < vlen; i++)
			if (!id_ok(b, m[i].type) || !name_ok(b, m[i].name_off))
				return bad("member out of range");
		return 0;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = (const void *)(t + 1);
		for (uint32_t i = 0; i < vlen; i++)
			if (!id_ok(b, v[i].type))
				return bad("datasec entry out of range");
		return 0;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = (const void *)(t + 1);
		for (uint32_t i = 0; i < vlen; i++)
			if (!name_ok(b, e[i].name_off))
				return bad("enum name out of range");
		return 0;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = (const void *)(t + 1);
		for (uint32_t i = 0; i < vlen; i++)
			if (!name_ok(b, e[i].name_off))
				return bad("enum64 name out of range");
		return 0;
	}
	default:
		return 0;
	}
}

/* The next type in a chain of references (modifier, pointer, array
 * element, var, func), or 0 when t refers to nothing further. */
uint32_t nf_btf_chain_next(const struct btf_type *t)
{
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
	case BTF_KIND_TYPE_TAG: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		return t->type;
	case BTF_KIND_ARRAY:
		return ((const struct btf_array *)(t + 1))->type;
	default:
		return 0;
	}
}

/* A chain longer than the kernel's own depth limit is a loop (or useless). */
static int check_chains(const struct nf_btf *b)
{
	for (uint32_t id = 1; id < b->ntypes; id++) {
		uint32_t cur = id;
		int depth = 0;
		while ((cur = nf_btf_chain_next(b->types[cur])) != 0)
			if (++depth > NF_BTF_MAX_DEPTH)
				return bad("reference loop or chain too deep");
	}
	return 0;
}

int nf_btf_reindex(struct nf_btf *b)
{
	int err;

	free(b->types);
	b->types = NULL;
	b->ntypes = 0;
	b->hdr = (struct btf_header *)b->data;
	if ((err = check_header(b)) || (err = index_types(b)))
		return err;
	for (uint32_t id = 1; id < b->ntypes; id++)
		if ((err = check_refs(b, b->types[id])))
			return err;
	return check_chains(b);
}

int nf_btf_parse(struct nf_btf *btf, const void *data, size_t len)
{
	int err;

	memset(btf, 0, sizeof(*btf));
	if (len < sizeof(struct btf_header))
		return bad("shorter than its header");
	btf->data = malloc(len);
	if (!btf->data)
		return -ENOMEM;
	memcpy(btf->data, data, len);
	btf->len = len;
	if ((err = nf_btf_reindex(btf)))
		nf_btf_free(btf);
	return err;
}

void nf_btf_free(struct nf_btf *btf)
{
	if (!btf)
		return;
	free(btf->types);
	free(btf->data);
	memset(btf, 0, sizeof(*btf));
}

struct nf_btf *nf_btf_new(const void *data, size_t len)
{
	struct nf_btf *b = malloc(sizeof(*b));

	if (b && nf_btf_parse(b, data, len)) {
		free(b);
		b = NULL;
	}
	return b;
}

void nf_btf_destroy(struct nf_btf *btf)
{
	nf_btf_free(btf);
	free(btf);
}

const struct btf_type *nf_btf_type(const struct nf_btf *btf, uint32_t id)
{
	return id > 0 && id < btf->ntypes ? btf->types[id] : NULL;
}

const char *nf_btf_str(const struct nf_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : NULL;
}

int nf_btf_find(const struct nf_btf *btf, const char *name, int kind)
{
	for (uint32_t id = 1; id < btf->ntypes; id++) {
		const struct btf_type *t = btf->types[id];
		if ((int)BTF_INFO_KIND(t->info) == kind && !strcmp(btf->strs + t->name_off, name))
			return (int)id;
	}
	return -ENOENT;
}

static int is_mod(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_CONST || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

uint32_t nf_btf_skip_mods(const struct nf_btf *btf, uint32_t id)
{
	const struct btf_type *t;

	for (int depth = 0; depth <= NF_BTF_MAX_DEPTH && (t = nf_btf_type(btf, id)); depth++) {
		if (!is_mod(BTF_INFO_KIND(t->info)))
			return id;
		id = t->type;
	}
	return id;
}

int64_t nf_btf_size(const struct nf_btf *btf, uint32_t id)
{
	int64_t mul = 1;

	for (int depth = 0; depth <= NF_BTF_MAX_DEPTH; depth++) {
		const struct btf_type *t = nf_btf_type(btf, id);
		if (!t)
			return -EINVAL;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		case BTF_KIND_DATASEC: case BTF_KIND_FLOAT: case BTF_KIND_ENUM64:
			return t->size && mul > INT64_MAX / t->size ? -E2BIG : mul * t->size;
		case BTF_KIND_PTR:
			return mul * 8;
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = (const void *)(t + 1);
			if (a->nelems && mul > INT64_MAX / 8 / a->nelems)
				return -E2BIG;
			mul *= a->nelems;
			id = a->type;
			break;
		}
		default:
			if (!is_mod(BTF_INFO_KIND(t->info)) && BTF_INFO_KIND(t->info) != BTF_KIND_VAR)
				return -EINVAL;
			id = t->type;
		}
	}
	return -ELOOP;
}
