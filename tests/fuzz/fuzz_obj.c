/* The BPF ELF object: nf_obj_parse (ELF reader, BTF, BTF.ext, maps,
 * programs, the static linker), then what the loader does with a spec
 * short of the kernel: map and program lookups by name, every .rodata/.data
 * variable set, map relocation and CO-RE of every program against the
 * object's own BTF. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "parse/obj.h"

static void set_vars(struct nf_obj *obj)
{
	const struct nf_btf *btf = obj->btf;
	static const uint8_t zero[64];
	for (uint32_t id = 1; btf && id < btf->ntypes; id++) {
		const struct btf_type *t = nf_btf_type(btf, id);
		if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_VAR)
			continue;
		const char *name = nf_btf_str(btf, t->name_off);
		int64_t sz = nf_btf_size(btf, t->type);
		if (name && sz > 0 && sz <= (int64_t)sizeof(zero))
			nf_obj_set_var(obj, name, zero, (size_t)sz);
	}
	nf_obj_set_var(obj, "no_such_var", zero, 4);
}

static void relocate(struct nf_obj *obj)
{
	int *fds = calloc(obj->nmaps + 1, sizeof(*fds));
	if (!fds)
		return;
	for (uint32_t i = 0; i < obj->nmaps; i++)
		fds[i] = 100 + (int)i;
	for (uint32_t i = 0; i < obj->nprogs; i++) {
		const struct nf_prog_spec *p = &obj->progs[i];
		struct bpf_insn *insns = malloc(((size_t)p->insn_cnt + 1) * sizeof(*insns));
		if (!insns)
			break;
		memcpy(insns, p->insns, (size_t)p->insn_cnt * sizeof(*insns));
		nf_reloc_maps(p, insns, fds, obj->nmaps);
		if (obj->btf)
			nf_core_relocate(p, insns, obj->btf, obj->btf);
		free(insns);
	}
	free(fds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct nf_obj obj;
	memset(&obj, 0, sizeof(obj));
	if (nf_obj_parse(&obj, data, size) == 0) {
		for (uint32_t i = 0; i < obj.nmaps; i++)
			nf_obj_map(&obj, obj.maps[i].name);
		for (uint32_t i = 0; i < obj.nprogs; i++)
			nf_obj_prog(&obj, obj.progs[i].name);
		nf_obj_map(&obj, ".rodata");
		nf_obj_prog(&obj, "no_such_prog");
		set_vars(&obj);
		relocate(&obj);
	}
	nf_obj_free(&obj);
	return 0;
}
