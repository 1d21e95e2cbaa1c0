/* Root: the running kernel accepts our object BTF as parsed, fixed up and
 * sanitised for older kernels (every rewrite still has to be valid BTF:
 * the kernel's own checker is the ground truth here). */
#include <errno.h>
#include <unistd.h>
#include "../unit/btf_build.h"
#include "parse/btf.h"
#include "log.h"
#include "parse/obj.h"
#include "kern/sys.h"
#include "t.h"

#define ALL_NEW_KINDS ((1u << BTF_KIND_VAR) | (1u << BTF_KIND_DATASEC) | (1u << BTF_KIND_FUNC) | \
		       (1u << BTF_KIND_FUNC_PROTO) | (1u << BTF_KIND_FLOAT) | (1u << BTF_KIND_DECL_TAG) | \
		       (1u << BTF_KIND_TYPE_TAG) | (1u << BTF_KIND_ENUM64))

static char vlog[1 << 16];

/* BPF_BTF_LOAD; prints the verifier's last words on failure. */
static int kernel_accepts(const struct nf_btf *btf)
{
	union bpf_attr a;
	size_t len;
	const void *raw = nf_btf_raw(btf, &len);

	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)raw;
	a.btf_size = (uint32_t)len;
	a.btf_log_buf = (uint64_t)(uintptr_t)vlog;
	a.btf_log_size = sizeof(vlog);
	a.btf_log_level = 1;
	vlog[0] = 0;
	long fd = nf_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd < 0) {
		size_t n = strlen(vlog);
		printf("# BTF_LOAD: %s: ...%s\n", strerror((int)-fd), n > 300 ? vlog + n - 300 : vlog);
		return 0;
	}
	close((int)fd);
	return 1;
}

static void all_kinds(struct bb *b)
{
	bb_init(b);
	uint32_t i = bb_int(b, "int", 4, 1);
	uint32_t p = bb_type(b, NULL, BTF_KIND_PTR, 0, i);
	bb_type(b, "st", BTF_KIND_STRUCT, 1, 4);
	bb_member(b, "m", i, 0);
	uint32_t proto = bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 1, i);
	bb_u32(b, bb_str(b, "arg"));
	bb_u32(b, p);
	uint32_t fn = bb_type(b, "fn", BTF_KIND_FUNC, BTF_FUNC_GLOBAL, proto);
	uint32_t var = bb_type(b, "var", BTF_KIND_VAR, 0, i);
	bb_u32(b, BTF_VAR_GLOBAL_ALLOCATED);
	bb_type(b, ".data", BTF_KIND_DATASEC, 1, 8);
	bb_u32(b, var);
	bb_u32(b, 4);
	bb_u32(b, 4);
	bb_type(b, ".bss", BTF_KIND_DATASEC, 0, 16);
	bb_type(b, "double", BTF_KIND_FLOAT, 0, 8);
	bb_type(b, "tag", BTF_KIND_DECL_TAG, 0, fn);
	bb_u32(b, (uint32_t)-1);
	uint32_t tt = bb_type(b, "user", BTF_KIND_TYPE_TAG, 0, i);
	bb_type(b, NULL, BTF_KIND_PTR, 0, tt);
	bb_type(b, "e64", BTF_KIND_ENUM64, 2, 8);
	for (int k = 0; k < 2; k++) {
		bb_u32(b, bb_str(b, k ? "BIG" : "SMALL"));
		bb_u32(b, 1);
		bb_u32(b, (uint32_t)k);
	}
}

static const struct { const char *name; uint32_t mask; } masks[] = {
	{ "as is", 0 },
	{ "no global func, no empty datasec", NF_BTF_NO_GLOBAL_FUNC | NF_BTF_NO_EMPTY_DATASEC },
	{ "no enum64/type_tag/decl_tag/float", (1u << BTF_KIND_ENUM64) | (1u << BTF_KIND_TYPE_TAG) |
					       (1u << BTF_KIND_DECL_TAG) | (1u << BTF_KIND_FLOAT) },
	{ "5.1-era: every newer kind", ALL_NEW_KINDS | NF_BTF_NO_GLOBAL_FUNC },
};

static void check_blob(const char *what, const void *blob, size_t len)
{
	char name[160];
	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		snprintf(name, sizeof(name), "btf kernel: %s, %s", what, masks[m].name);
		T_CASE(name) {
			struct nf_btf *btf = nf_btf_new(blob, len);
			REQUIRE(btf != NULL);
			CHECK_EQ(nf_btf_sanitize(btf, masks[m].mask), 0);
			CHECK(kernel_accepts(btf));
			nf_btf_destroy(btf);
		}
	}
}

static void check_fixture(const char *fx)
{
	size_t len;
	void *data = t_read_file(t_fixture(fx), &len);
	struct nf_obj o;
	if (!data || nf_obj_parse(&o, data, len)) {
		printf("FAIL btf kernel: %s: %s\n", fx, data ? nf_lasterr() : "cannot read");
		free(data);
		return;
	}
	size_t bl;
	const void *raw = nf_btf_raw(o.btf, &bl);
	check_blob(fx, raw, bl);
	nf_obj_free(&o);
	free(data);
}

int main(void)
{
	struct bb b;
	size_t len;

	if (geteuid() != 0) {
		t_skip("btf kernel", "needs root for BPF_BTF_LOAD");
		return 0;
	}
	all_kinds(&b);
	void *blob = bb_blob(&b, &len);
	check_blob("every kind", blob, len);
	free(blob);
	check_fixture("globals");
	check_fixture("maps");
	check_fixture("core_kinds");
	return t_summary();
}
