/* CO-RE field accesses: decode the access string in the local BTF, find the
 * same field by name in a target BTF, and compute offsets, sizes, shifts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_util.h"
#include "core_int.h"

#define MAX_ANON_DEPTH 32
#define MAX_MEMBER_VISITS 100000

size_t nf_core_essential_len(const char *name)
{
	const char *s = strstr(name[0] ? name + 1 : name, "___");
	return s ? (size_t)(s - name) : strlen(name);
}

static int parse_access(const char *spec, struct nf_core_access *acc)
{
	const char *p = spec;

	acc->n = 0;
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v > UINT32_MAX || acc->n == NF_CORE_MAX_ACCESS || (*end && *end != ':'))
			return -EINVAL;
		acc->name[acc->n] = NULL;
		acc->idx[acc->n++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
	return acc->n ? 0 : -EINVAL;
}

static int is_composite(const struct btf_type *t)
{
	return t && (nf_btf_kind(t) == BTF_KIND_STRUCT || nf_btf_kind(t) == BTF_KIND_UNION);
}

/* One array step: idx elements of the array type t further. */
static int array_step(const struct nf_btf *btf, const struct btf_type *t, uint32_t idx,
		      struct nf_core_field *f)
{
	const struct btf_array *a = (const void *)(t + 1);
	int64_t esz = nf_btf_size(btf, a->type);

	if (esz < 0 || (a->nelems && idx >= a->nelems))
		return -EINVAL;
	f->bit_off += (uint64_t)idx * (uint64_t)esz * 8;
	f->type_id = a->type;
	f->bitfield_size = 0;
	return 0;
}

int nf_core_local_field(const struct nf_btf *btf, uint32_t root, const char *spec,
			struct nf_core_access *acc, struct nf_core_field *f)
{
	int64_t rsz = nf_btf_size(btf, root);

	if (parse_access(spec, acc) || rsz < 0)
		return -EINVAL;
	*f = (struct nf_core_field){ root, (uint64_t)acc->idx[0] * (uint64_t)rsz * 8, root, 0 };
	for (uint32_t i = 1; i < acc->n; i++) {
		const struct btf_type *t = nf_btf_type(btf, nf_btf_skip_mods(btf, f->type_id));
		if (t && nf_btf_kind(t) == BTF_KIND_ARRAY) {
			if (array_step(btf, t, acc->idx[i], f))
				return -EINVAL;
			continue;
		}
		if (!is_composite(t) || acc->idx[i] >= nf_btf_vlen(t))
			return -EINVAL;
		const struct btf_member *m = &nf_btf_members(t)[acc->idx[i]];
		f->bit_off += nf_btf_member_bit_off(t, m);
		f->type_id = m->type;
		f->bitfield_size = nf_btf_member_bitfield_size(t, m);
		acc->name[i] = m->name_off ? nf_btf_str(btf, m->name_off) : NULL;
		if (!acc->name[i])
			acc->name[i] = ""; /* anonymous member: matched through its parent */
	}
	return 0;
}

/* Member called name in composite t, looking inside anonymous members.
 * budget bounds the members visited (crafted BTF can nest anonymous
 * members exponentially). */
static int find_member(const struct nf_btf *btf, uint32_t tid, const char *name,
		       struct nf_core_field *f, int depth, int *budget)
{
	const struct btf_type *t = nf_btf_type(btf, nf_btf_skip_mods(btf, tid));

	if (!is_composite(t) || depth > MAX_ANON_DEPTH)
		return 0;
	const struct btf_member *m = nf_btf_members(t);
	for (uint32_t i = 0; i < nf_btf_vlen(t) && --*budget > 0; i++) {
		const char *mn = nf_btf_str(btf, m[i].name_off);
		uint64_t saved = f->bit_off;
		f->bit_off += nf_btf_member_bit_off(t, &m[i]);
		if (mn && mn[0] && !strcmp(mn, name)) {
			f->type_id = m[i].type;
			f->bitfield_size = nf_btf_member_bitfield_size(t, &m[i]);
			return 1;
		}
		if ((!mn || !mn[0]) && find_member(btf, m[i].type, name, f, depth + 1, budget))
			return 1;
		f->bit_off = saved;
	}
	return 0;
}

/* Same shape: both composite, both int-like, both pointers, or arrays of
 * compatible elements. */
static int fields_compat(const struct nf_btf *lb, uint32_t lid, const struct nf_btf *tb, uint32_t tid)
{
	for (int depth = 0; depth < MAX_ANON_DEPTH; depth++) {
		const struct btf_type *l = nf_btf_type(lb, nf_btf_skip_mods(lb, lid));
		const struct btf_type *t = nf_btf_type(tb, nf_btf_skip_mods(tb, tid));
		if (!l || !t)
			return 0;
		uint32_t lk = nf_btf_kind(l), tk = nf_btf_kind(t);
		if (is_composite(l) || lk == BTF_KIND_FWD)
			return is_composite(t) || tk == BTF_KIND_FWD;
		if (lk == BTF_KIND_ENUM || lk == BTF_KIND_ENUM64)
			return tk == BTF_KIND_ENUM || tk == BTF_KIND_ENUM64;
		if (lk != tk)
			return 0;
		if (lk != BTF_KIND_ARRAY)
			return lk == BTF_KIND_INT || lk == BTF_KIND_PTR || lk == BTF_KIND_FLOAT;
		lid = ((const struct btf_array *)(l + 1))->type;
		tid = ((const struct btf_array *)(t + 1))->type;
	}
	return 0;
}

int nf_core_match_field(const struct nf_btf *btf, uint32_t root, const struct nf_core_access *acc,
			const struct nf_btf *local, uint32_t local_field_type, struct nf_core_field *f)
{
	int64_t rsz = nf_btf_size(btf, root);

	if (rsz < 0)
		return 0;
	*f = (struct nf_core_field){ root, (uint64_t)acc->idx[0] * (uint64_t)rsz * 8, root, 0 };
	for (uint32_t i = 1; i < acc->n; i++) {
		const struct btf_type *t = nf_btf_type(btf, nf_btf_skip_mods(btf, f->type_id));
		if (!acc->name[i]) {
			if (!t || nf_btf_kind(t) != BTF_KIND_ARRAY || array_step(btf, t, acc->idx[i], f))
				return 0;
		} else if (acc->name[i][0]) {
			int budget = MAX_MEMBER_VISITS;
			if (!find_member(btf, f->type_id, acc->name[i], f, 0, &budget))
				return 0;
		}
	}
	return fields_compat(local, local_field_type, btf, f->type_id);
}

static int is_signed(const struct nf_btf *btf, uint32_t id)
{
	const struct btf_type *t = nf_btf_type(btf, nf_btf_skip_mods(btf, id));

	if (!t)
		return 0;
	if (nf_btf_kind(t) == BTF_KIND_INT)
		return !!(BTF_INT_ENCODING(*(const uint32_t *)(t + 1)) & BTF_INT_SIGNED);
	if (nf_btf_kind(t) == BTF_KIND_ENUM || nf_btf_kind(t) == BTF_KIND_ENUM64)
		return BTF_INFO_KFLAG(t->info);
	return 0;
}

int nf_core_field_value(const struct nf_btf *btf, const struct nf_core_field *f,
			enum bpf_core_relo_kind kind, uint64_t *val)
{
	int64_t sz = nf_btf_size(btf, f->type_id);
	uint64_t byte_sz, byte_off, bit_sz;

	if (sz <= 0)
		return -EINVAL;
	byte_sz = (uint64_t)sz;
	byte_off = f->bit_off / 8;
	bit_sz = byte_sz * 8;
	if (f->bitfield_size) {
		/* The smallest naturally aligned load that holds the bits. */
		bit_sz = f->bitfield_size;
		byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		while (f->bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -EINVAL;
			byte_sz *= 2;
			byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		}
	}
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET: *val = byte_off; return 0;
	case BPF_CORE_FIELD_BYTE_SIZE: *val = byte_sz; return 0;
	case BPF_CORE_FIELD_EXISTS: *val = 1; return 0;
	case BPF_CORE_FIELD_SIGNED: *val = (uint64_t)is_signed(btf, f->type_id); return 0;
	case BPF_CORE_FIELD_LSHIFT_U64: *val = 64 - (f->bit_off + bit_sz - byte_off * 8); return 0;
	case BPF_CORE_FIELD_RSHIFT_U64: *val = 64 - bit_sz; return 0;
	default: return -EINVAL;
	}
}
