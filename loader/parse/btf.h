/* BTF: parse, query, fix up and sanitise (pure, no syscalls). */
#ifndef NF_BTF_H
#define NF_BTF_H
#include <stddef.h>
#include <stdint.h>
#include <linux/btf.h>

struct nf_btf {
	uint8_t *data;             /* owned, mutable copy of the whole blob */
	size_t len;
	struct btf_header *hdr;
	char *strs;
	uint32_t str_len;
	uint32_t ntypes;           /* type ids are 1..ntypes-1; id 0 is void */
	struct btf_type **types;   /* types[id] points into data; types[0] NULL */
};

/* Parse and validate (ids in range, no loops, strings terminated).
 * 0 or -errno (nf_lasterr() says why). */
int nf_btf_parse(struct nf_btf *btf, const void *data, size_t len);
void nf_btf_free(struct nf_btf *btf);
struct nf_btf *nf_btf_new(const void *data, size_t len); /* NULL on error */
void nf_btf_destroy(struct nf_btf *btf);

const struct btf_type *nf_btf_type(const struct nf_btf *btf, uint32_t id);
const char *nf_btf_str(const struct nf_btf *btf, uint32_t off); /* NULL if out of range */
/* First type with this name and kind (BTF_KIND_*); id > 0, or -ENOENT. */
int nf_btf_find(const struct nf_btf *btf, const char *name, int kind);
/* Skip typedef/const/volatile/restrict/type_tag; returns the id reached. */
uint32_t nf_btf_skip_mods(const struct nf_btf *btf, uint32_t id);
/* Size in bytes of a type (resolving modifiers, arrays); -errno if none. */
int64_t nf_btf_size(const struct nf_btf *btf, uint32_t id);

/* Kinds the target kernel lacks, as a bit mask of (1 << BTF_KIND_x), plus
 * NF_BTF_NO_GLOBAL_FUNC and NF_BTF_NO_EMPTY_DATASEC. */
#define NF_BTF_NO_GLOBAL_FUNC (1u << 30)
#define NF_BTF_NO_EMPTY_DATASEC (1u << 31)
/* Rewrite, in place, the kinds listed in missing (see docs/ARCHITECTURE.md).
 * May grow the blob (filler VAR for empty DATASEC). 0 or -errno. */
int nf_btf_sanitize(struct nf_btf *btf, uint32_t missing);
/* The blob as it is now, for BPF_BTF_LOAD. */
static inline const void *nf_btf_raw(const struct nf_btf *btf, size_t *len)
{
	*len = btf->len;
	return btf->data;
}

#endif
