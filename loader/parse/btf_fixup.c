/* LLVM leaves DATASEC sizes and VAR offsets at 0 in objects; the ELF
 * section sizes and symbol values are the truth. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_util.h"
#include "log.h"
#include "obj_int.h"

static const Elf64_Sym *find_var_sym(const struct nf_elf *e, int sec, const char *name)
{
	for (uint32_t i = 1; i < e->nsyms; i++) {
		const Elf64_Sym *s = &e->syms[i];
		if (s->st_shndx == sec && ELF64_ST_TYPE(s->st_info) == STT_OBJECT &&
		    !strcmp(nf_elf_sym_name(e, s), name))
			return s;
	}
	return NULL;
}

static int cmp_secinfo(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int fixup_one(struct nf_btf *btf, struct btf_type *t, const struct nf_elf *e)
{
	const char *name = nf_btf_name(btf, t);
	int sec = nf_elf_find_sec(e, name);
	struct btf_var_secinfo *v = (struct btf_var_secinfo *)(t + 1);
	uint32_t n = nf_btf_vlen(t);

	if (sec < 0)
		return 0; /* e.g. ".kconfig": no section, nothing to fix */
	if (e->sh[sec].sh_size > UINT32_MAX)
		return -EINVAL;
	t->size = (uint32_t)e->sh[sec].sh_size;
	for (uint32_t i = 0; i < n; i++) {
		const struct btf_type *var = nf_btf_type(btf, v[i].type);
		if (!var || nf_btf_kind(var) != BTF_KIND_VAR) {
			nf_seterr("bad BTF: DATASEC %s entry is not a VAR", name);
			return -EINVAL;
		}
		const Elf64_Sym *s = find_var_sym(e, sec, nf_btf_name(btf, var));
		if (!s || s->st_value > t->size || v[i].size > t->size - s->st_value) {
			nf_seterr("BTF: no symbol for variable %s in %s", nf_btf_name(btf, var), name);
			return -EINVAL;
		}
		v[i].offset = (uint32_t)s->st_value;
	}
	qsort(v, n, sizeof(*v), cmp_secinfo);
	return 0;
}

int nf_btf_fixup_datasecs(struct nf_btf *btf, const struct nf_elf *elf)
{
	for (uint32_t id = 1; id < btf->ntypes; id++) {
		struct btf_type *t = nf_btf_type_mut(btf, id);
		int err;
		if (nf_btf_kind(t) == BTF_KIND_DATASEC && (err = fixup_one(btf, t, elf)))
			return err;
	}
	return 0;
}
