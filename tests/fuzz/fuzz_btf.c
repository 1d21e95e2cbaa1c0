/* A raw BTF blob (.BTF, or /sys/kernel/btf/vmlinux): nf_btf_new, every
 * type's name, modifiers and size, lookups by name, then nf_btf_sanitize
 * with every kind missing and the result parsed again. */
#include "fuzz.h"
#include "parse/btf.h"

static void walk(const struct nf_btf *btf)
{
	for (uint32_t id = 0; id <= btf->ntypes; id++) {
		const struct btf_type *t = nf_btf_type(btf, id);
		if (t) {
			const char *name = nf_btf_str(btf, t->name_off);
			if (name && *name)
				nf_btf_find(btf, name, (int)BTF_INFO_KIND(t->info));
		}
		nf_btf_skip_mods(btf, id);
		nf_btf_size(btf, id);
	}
	nf_btf_str(btf, btf->str_len);
	nf_btf_find(btf, "task_struct", BTF_KIND_STRUCT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct nf_btf *btf = nf_btf_new(data, size);
	if (!btf)
		return 0;
	walk(btf);
	if (nf_btf_sanitize(btf, ~0u) == 0) {
		size_t len;
		const void *raw = nf_btf_raw(btf, &len);
		struct nf_btf *again = nf_btf_new(raw, len);
		if (again) {
			walk(again);
			nf_btf_destroy(again);
		}
	}
	nf_btf_destroy(btf);
	return 0;
}
