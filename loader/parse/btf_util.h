/* Internal BTF helpers shared by the loader's BTF users (not a contract). */
#ifndef NF_BTF_UTIL_H
#define NF_BTF_UTIL_H
#include "btf.h"

static inline uint32_t nf_btf_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

static inline uint32_t nf_btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

static inline const struct btf_member *nf_btf_members(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

/* Bit offset of member m of t (bitfield-aware when kind_flag is set). */
static inline uint32_t nf_btf_member_bit_off(const struct btf_type *t, const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
}

static inline uint32_t nf_btf_member_bitfield_size(const struct btf_type *t, const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
}

/* Bytes a type occupies in the blob (header included); 0 for unknown kinds. */
size_t nf_btf_type_len(const struct btf_type *t);
/* The type t refers to through modifier/pointer/array/var/func, or 0. */
uint32_t nf_btf_chain_next(const struct btf_type *t);
/* Re-validate and re-index btf->data after it was replaced or edited. */
int nf_btf_reindex(struct nf_btf *btf);
/* Mutable view of a type (btf->data is owned and writable). */
static inline struct btf_type *nf_btf_type_mut(struct nf_btf *btf, uint32_t id)
{
	return id > 0 && id < btf->ntypes ? btf->types[id] : NULL;
}
/* Name of a type, "" for anonymous ones. */
static inline const char *nf_btf_name(const struct nf_btf *btf, const struct btf_type *t)
{
	return btf->strs + t->name_off;
}

#endif
