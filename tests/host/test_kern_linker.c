/* Root: the kernel's verifier accepts what the static linker produced for
 * every program kind (maps.bpf.o), and callbacks passed by address
 * (BPF_PSEUDO_FUNC, bpf_loop) run and compute the right values. */
#include <errno.h>
#include <unistd.h>
#include "kern/load.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"
#include "t_load.h"

/* Offset of a .bss variable from the object's (fixed-up) BTF. */
static long bss_offset(const struct nf_btf *btf, const char *var)
{
	int id = nf_btf_find(btf, ".bss", BTF_KIND_DATASEC);
	const struct btf_type *ds = id > 0 ? nf_btf_type(btf, (uint32_t)id) : NULL;
	const struct btf_var_secinfo *v = ds ? (const void *)(ds + 1) : NULL;
	for (uint32_t i = 0; ds && i < BTF_INFO_VLEN(ds->info); i++)
		if (!strcmp(nf_btf_str(btf, nf_btf_type(btf, v[i].type)->name_off), var))
			return v[i].offset;
	return -1;
}

int main(void)
{
	struct nf_bpf b;

	if (geteuid() != 0) {
		t_skip("link kernel", "needs root to load programs");
		return 0;
	}
	T_CASE("link kernel: every program kind of maps.bpf.o passes the verifier") {
		REQUIRE(t_load_fixture(&b, "maps", NULL) == 0);
		for (uint32_t i = 0; i < b.obj->nprogs; i++)
			CHECK(b.prog_fds[i] >= 0);
		t_unload(&b);
	}
	T_CASE("link kernel: bpf_loop callbacks by address compute 45 and 120") {
		REQUIRE(t_load_fixture(&b, "loop", NULL) == 0);
		uint8_t pkt[64] = { 0 };
		uint32_t ret = 1, key = 0;
		uint64_t val[2] = { 0, 0 };
		long s = bss_offset(b.obj->btf, "loop_sum"), p = bss_offset(b.obj->btf, "loop_prod");
		CHECK_EQ(nf_prog_test_run(nf_bpf_prog_fd(&b, "loop_prog"), pkt, sizeof(pkt), &ret), 0);
		CHECK_EQ(ret, 0);
		CHECK_EQ(nf_map_lookup(nf_bpf_map_fd(&b, ".bss"), &key, val), 0);
		CHECK(s >= 0 && p >= 0 && s % 8 == 0 && p % 8 == 0 && s < 16 && p < 16);
		if (s >= 0 && p >= 0 && s < 16 && p < 16) {
			CHECK_EQ(val[s / 8], 45);
			CHECK_EQ(val[p / 8], 120);
		}
		t_unload(&b);
	}
	return t_summary();
}
