/* .BTF.ext: func_info, line_info and CO-RE relocation records, grouped by
 * the ELF section they describe (pure). */
#ifndef NF_BTF_EXT_H
#define NF_BTF_EXT_H
#include <stddef.h>
#include <stdint.h>
#include "btf.h"

enum nf_ext_kind { NF_EXT_FUNC, NF_EXT_LINE, NF_EXT_CORE, NF_EXT_KINDS };

/* One section's records of one kind; recs points into the ext blob. */
struct nf_ext_sec {
	const char *sec;            /* section name, from the BTF strings */
	const uint8_t *recs;
	uint32_t nrecs;
};

struct nf_ext_info {
	uint32_t rec_size;          /* 0 when the sub-section is absent */
	struct nf_ext_sec *secs;
	uint32_t nsecs;
};

struct nf_btf_ext {
	struct nf_ext_info info[NF_EXT_KINDS];
};

/* data must stay alive while ext is used. 0 or -EINVAL. */
int nf_btf_ext_parse(struct nf_btf_ext *ext, const void *data, size_t len,
		     const struct nf_btf *btf);
void nf_btf_ext_free(struct nf_btf_ext *ext);
/* The records of a kind for a section name, or NULL. */
const struct nf_ext_sec *nf_btf_ext_find(const struct nf_btf_ext *ext,
					 enum nf_ext_kind kind, const char *sec);

#endif
