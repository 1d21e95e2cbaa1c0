/* CO-RE internals: resolving one relocation record against a BTF. */
#ifndef NF_CORE_INT_H
#define NF_CORE_INT_H
#include <linux/bpf.h>
#include "btf.h"

#define NF_CORE_MAX_ACCESS 64

/* A field access resolved in one BTF: where it is and what it is. */
struct nf_core_field {
	uint32_t root_id;           /* the struct/union the access starts from */
	uint64_t bit_off;           /* from the start of the root object */
	uint32_t type_id;           /* the field's type (modifiers included) */
	uint32_t bitfield_size;     /* bits, 0 when not a bitfield */
};

/* The access string decoded against the local BTF. */
struct nf_core_access {
	uint32_t n;
	uint32_t idx[NF_CORE_MAX_ACCESS];
	const char *name[NF_CORE_MAX_ACCESS]; /* member name, or NULL for array steps */
};

/* Parse "0:1:2" and walk it in the local BTF. 0 or -EINVAL. */
int nf_core_local_field(const struct nf_btf *btf, uint32_t root, const char *spec,
			struct nf_core_access *acc, struct nf_core_field *f);
/* Walk the same access (by member names) from root in another BTF.
 * 1 when it matches, 0 when it does not. */
int nf_core_match_field(const struct nf_btf *btf, uint32_t root, const struct nf_core_access *acc,
			const struct nf_btf *local, uint32_t local_field_type, struct nf_core_field *f);
/* Length of the name without its "___flavour" suffix. */
size_t nf_core_essential_len(const char *name);
/* The value a relocation of this kind takes for field f in btf. 0 or -errno. */
int nf_core_field_value(const struct nf_btf *btf, const struct nf_core_field *f,
			enum bpf_core_relo_kind kind, uint64_t *val);

#endif
