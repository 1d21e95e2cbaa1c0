/* glibc's /etc/ld.so.cache: nf_ldc_open, every entry with its names,
 * lookups by the soname of the first 16 entries and the last for its
 * flags, the native ABI and any. */
#include "fuzz.h"
#include "tlstrace/ld_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct nf_ldc c;
	if (nf_ldc_open(&c, data, size) != 0)
		return 0;
	struct nf_ldc_entry e, f;
	for (uint32_t i = 0; i < c.nlibs && i < 4096; i++) {
		if (nf_ldc_entry(&c, i, &e) != 0)
			__builtin_trap(); /* nf_ldc_open promised it cannot fail */
		nf_ldc_type_name(e.flags);
		nf_ldc_abi_name(e.flags);
		nf_ldc_is_64bit(e.flags);
		if (i >= 16 && i + 1 != c.nlibs)
			continue;  /* each lookup walks the table: a few are enough */
		uint32_t pos = 0;
		for (int n = 0; n < 8 && nf_ldc_find(&c, e.soname, e.flags, &pos, &f) == 0; n++)
			;
		nf_ldc_lookup(&c, e.soname, nf_ldc_native());
	}
	nf_ldc_entry(&c, c.nlibs, &e);
	nf_ldc_lookup(&c, "libssl.so.3", NF_LDC_ANY);
	return 0;
}
