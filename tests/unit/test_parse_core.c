/* CO-RE relocation: against the object's own BTF (values must not move),
 * against another object's BTF with a different layout (values from the C
 * definition of that layout), against vmlinux, and poisoning. */
#include <errno.h>
#include <stddef.h>
#include <linux/bpf.h>
#include "parse/btf.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"
#include "../fixtures/core_thing.h"

struct loaded {
	void *data;
	struct nf_obj obj;
	int ok;
};

static int load(struct loaded *l, const char *name)
{
	size_t len;
	l->data = t_read_file(t_fixture(name), &len);
	l->ok = l->data && nf_obj_parse(&l->obj, l->data, len) == 0;
	if (!l->ok)
		printf("FAIL load %s: %s\n", name, l->data ? nf_lasterr() : "cannot read (make fixtures)");
	return l->ok;
}

static void unload(struct loaded *l)
{
	if (l->ok)
		nf_obj_free(&l->obj);
	free(l->data);
}

static struct bpf_insn *copy_insns(const struct nf_prog_spec *p)
{
	struct bpf_insn *c = malloc(p->insn_cnt * sizeof(*c));
	memcpy(c, p->insns, p->insn_cnt * sizeof(*c));
	return c;
}

/* The value an instruction carries: ALU imm, memory offset, or ld_imm64. */
static int64_t insn_value(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
		return (int64_t)((uint64_t)(uint32_t)in[1].imm << 32 | (uint32_t)in[0].imm);
	if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX)
		return in->off;
	return in->imm;
}

static const struct bpf_core_relo *find_rec(const struct nf_prog_spec *p, const struct nf_btf *btf,
					    uint32_t kind, const char *access)
{
	for (uint32_t i = 0; i < p->ncore; i++)
		if (p->core[i].kind == kind && !strcmp(nf_btf_str(btf, p->core[i].access_str_off), access))
			return &p->core[i];
	return NULL;
}

static int64_t value_of(const struct nf_prog_spec *p, const struct nf_btf *btf, const struct bpf_insn *in,
			uint32_t kind, const char *access)
{
	const struct bpf_core_relo *r = find_rec(p, btf, kind, access);
	return r ? insn_value(&in[r->insn_off / 8]) : -999999;
}

/* Read a bitfield the way a CO-RE program does: load size bytes at off,
 * shift left then right. */
static uint64_t extract(const uint8_t *obj, int64_t off, int64_t size, int64_t lshift, int64_t rshift)
{
	uint64_t v = 0;
	memcpy(&v, obj + off, (size_t)size);
	return v << lshift >> rshift;
}

static uint64_t bits_at(const uint8_t *obj, uint32_t bit_off, uint32_t nbits)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < nbits; i++)
		v |= (uint64_t)((obj[(bit_off + i) / 8] >> ((bit_off + i) % 8)) & 1) << i;
	return v;
}

/* The bits a bitfield relocation quadruple reads equal the field's bits. */
static void check_bitfield(const struct nf_prog_spec *p, const struct nf_btf *btf, const struct bpf_insn *in,
			   const char *access, uint32_t bit_off, uint32_t nbits, int have_off_size)
{
	uint8_t obj[256];
	uint32_t seed = 12345;
	int64_t off = have_off_size ? value_of(p, btf, in, BPF_CORE_FIELD_BYTE_OFFSET, access) : -1;
	int64_t size = have_off_size ? value_of(p, btf, in, BPF_CORE_FIELD_BYTE_SIZE, access) : -1;
	int64_t ls = value_of(p, btf, in, BPF_CORE_FIELD_LSHIFT_U64, access);
	int64_t rs = value_of(p, btf, in, BPF_CORE_FIELD_RSHIFT_U64, access);

	CHECK_EQ(rs, 64 - nbits);
	if (!have_off_size)
		return;
	CHECK(size >= 1 && size <= 8 && off >= 0 && off + size <= 200);
	if (!(size >= 1 && size <= 8 && off >= 0 && off + size <= 200))
		return;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(obj); i++)
			obj[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
		CHECK_EQ(extract(obj, off, size, ls, rs), bits_at(obj, bit_off, nbits));
	}
}

static void test_own_btf(void)
{
	struct loaded l;
	if (!load(&l, "core_kinds"))
		return unload(&l);
	const struct nf_prog_spec *p = nf_obj_prog(&l.obj, "core_kinds");
	const struct nf_btf *btf = l.obj.btf;

	T_CASE("core own BTF: every non-bitfield value equals clang's") {
		REQUIRE(p && p->ncore >= 20);
		struct bpf_insn *c = copy_insns(p);
		CHECK_EQ(nf_core_relocate(p, c, btf, btf), 0);
		for (uint32_t i = 0; i < p->ncore; i++) {
			const char *acc = nf_btf_str(btf, p->core[i].access_str_off);
			uint32_t at = p->core[i].insn_off / 8;
			/* "0:1" and "0:2" are the bitfields flags and sflag. */
			if (strcmp(acc, "0:1") && strcmp(acc, "0:2"))
				CHECK_EQ(insn_value(&c[at]), insn_value(&p->insns[at]));
		}
		/* Only the bitfield records may differ: and they read the same bits
		 * (flags: bit 32, 3 bits; sflag: bit 35, 5 bits in thing___local). */
		check_bitfield(p, btf, p->insns, "0:1", 32, 3, 1);
		check_bitfield(p, btf, c, "0:1", 32, 3, 1);
		check_bitfield(p, btf, c, "0:2", 35, 5, 0);
		CHECK_EQ(value_of(p, btf, c, BPF_CORE_FIELD_SIGNED, "0:2"), 1);
		free(c);
	}
	T_CASE("core own BTF: task_struct___local pid offset unchanged") {
		struct loaded k;
		REQUIRE(load(&k, "core"));
		const struct nf_prog_spec *kp = nf_obj_prog(&k.obj, "core_pid");
		struct bpf_insn *c = kp ? copy_insns(kp) : NULL;
		CHECK(kp && kp->ncore == 1);
		if (c) {
			CHECK_EQ(nf_core_relocate(kp, c, k.obj.btf, k.obj.btf), 0);
			CHECK(!memcmp(c, kp->insns, kp->insn_cnt * sizeof(*c)));
		}
		free(c);
		unload(&k);
	}
	unload(&l);
}

static void test_other_layout(void)
{
	struct loaded l, t;
	int okl = load(&l, "core_kinds"), okt = load(&t, "core_target");
	if (!okl || !okt) {
		unload(&l);
		unload(&t);
		return;
	}
	const struct nf_prog_spec *p = nf_obj_prog(&l.obj, "core_kinds");
	const struct nf_btf *lb = l.obj.btf, *tb = t.obj.btf;

	T_CASE("core other layout: offsets, sizes, existence, ids, enums") {
		REQUIRE(p != NULL);
		struct bpf_insn *c = copy_insns(p);
		CHECK_EQ(nf_core_relocate(p, c, lb, tb), 0);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_BYTE_OFFSET, "0:0"), offsetof(struct thing, x));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_BYTE_SIZE, "0:5"), sizeof(((struct thing *)0)->name));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_EXISTS, "0:6"), 0);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_EXISTS, "0:0"), 1);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_SIGNED, "0:2"), 1);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_BYTE_OFFSET, "0:4:2:1"), offsetof(struct thing, arr[2].b));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_BYTE_OFFSET, "0:4:2"), offsetof(struct thing, arr[2]));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_BYTE_OFFSET, "0:3:1:1"), offsetof(struct thing, hi));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_TYPE_ID_LOCAL, "0"), find_rec(p, lb, BPF_CORE_TYPE_ID_LOCAL, "0")->type_id);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_TYPE_ID_TARGET, "0"), nf_btf_find(tb, "thing", BTF_KIND_STRUCT));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_TYPE_EXISTS, "0"), 1);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_TYPE_SIZE, "0"), sizeof(struct thing));
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_ENUMVAL_EXISTS, "0"), 0);  /* RED */
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_ENUMVAL_VALUE, "2"), 5);   /* BLUE */
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_ENUMVAL_VALUE, "1"), 9);   /* GREEN */
		free(c);
	}
	T_CASE("core other layout: a whole-field load takes the target's size") {
		const struct bpf_core_relo *r = find_rec(p, lb, BPF_CORE_FIELD_BYTE_OFFSET, "0:7");
		REQUIRE(p != NULL && r != NULL);
		struct bpf_insn *c = copy_insns(p);
		const struct bpf_insn *in = &c[r->insn_off / 8];
		CHECK_EQ(in->code, BPF_LDX | BPF_MEM | BPF_DW);      /* local: long mode */
		CHECK_EQ(nf_core_relocate(p, c, lb, lb), 0);
		CHECK_EQ(in->code, BPF_LDX | BPF_MEM | BPF_DW);      /* own BTF: unchanged */
		CHECK_EQ(nf_core_relocate(p, c, lb, tb), 0);
		CHECK_EQ(in->code, BPF_LDX | BPF_MEM | BPF_H);       /* target: unsigned short */
		CHECK_EQ(in->off, offsetof(struct thing, mode));
		free(c);
	}
	T_CASE("core other layout: a partial load of a resized field is poisoned") {
		const struct bpf_core_relo *r = find_rec(p, lb, BPF_CORE_FIELD_BYTE_OFFSET, "0:7");
		REQUIRE(p != NULL && r != NULL);
		struct bpf_insn *c = copy_insns(p);
		struct bpf_insn *in = &c[r->insn_off / 8];
		in->code = BPF_LDX | BPF_MEM | BPF_W;                /* 4 of the 8 local bytes */
		CHECK_EQ(nf_core_relocate(p, c, lb, tb), 1);
		CHECK_EQ(in->code, BPF_JMP | BPF_CALL);
		free(c);
	}
	T_CASE("core other layout: bitfields read the target's bits") {
		REQUIRE(p != NULL);
		struct bpf_insn *c = copy_insns(p);
		int sflag = nf_btf_find(tb, "thing", BTF_KIND_STRUCT);
		REQUIRE(sflag > 0);
		CHECK_EQ(nf_core_relocate(p, c, lb, tb), 0);
		/* Bit positions from the target BTF: sflag then flags after 'pad'. */
		const struct btf_type *st = nf_btf_type(tb, (uint32_t)sflag);
		const struct btf_member *m = (const struct btf_member *)(st + 1);
		uint32_t flags_off = 0, flags_bits = 0;
		for (uint32_t i = 0; i < BTF_INFO_VLEN(st->info); i++)
			if (!strcmp(nf_btf_str(tb, m[i].name_off), "flags")) {
				flags_off = BTF_MEMBER_BIT_OFFSET(m[i].offset);
				flags_bits = BTF_MEMBER_BITFIELD_SIZE(m[i].offset);
			}
		CHECK_EQ(flags_bits, 4);
		CHECK(flags_off > offsetof(struct thing, pad) * 8);
		check_bitfield(p, lb, c, "0:1", flags_off, flags_bits, 1);
		free(c);
	}
	T_CASE("core poison: target without the types") {
		struct loaded k;
		REQUIRE(p && load(&k, "core"));
		struct bpf_insn *c = copy_insns(p);
		int n = nf_core_relocate(p, c, lb, k.obj.btf);
		/* Everything but the 4 existence checks and the local type id. */
		CHECK_EQ(n, (int)p->ncore - 5);
		const struct bpf_core_relo *r = find_rec(p, lb, BPF_CORE_FIELD_BYTE_OFFSET, "0:0");
		CHECK(r && c[r->insn_off / 8].code == (BPF_JMP | BPF_CALL) && c[r->insn_off / 8].imm == NF_POISON_HELPER);
		r = find_rec(p, lb, BPF_CORE_TYPE_ID_TARGET, "0");
		CHECK(r && c[r->insn_off / 8].imm == NF_POISON_HELPER && c[r->insn_off / 8 + 1].imm == NF_POISON_HELPER);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_FIELD_EXISTS, "0:0"), 0);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_TYPE_EXISTS, "0"), 0);
		CHECK_EQ(value_of(p, lb, c, BPF_CORE_ENUMVAL_EXISTS, "0"), 0);
		free(c);
		unload(&k);
	}
	T_CASE("core errors: record out of range, unpatchable instruction") {
		REQUIRE(p != NULL);
		struct nf_prog_spec bad = *p;
		struct bpf_core_relo rec = p->core[0];
		struct bpf_insn *c = copy_insns(p);
		bad.core = &rec;
		bad.ncore = 1;
		rec.insn_off = p->insn_cnt * 8;
		CHECK_EQ(nf_core_relocate(&bad, c, lb, tb), -EINVAL);
		rec.insn_off = (p->insn_cnt - 1) * 8; /* the exit instruction */
		CHECK(nf_core_relocate(&bad, c, lb, tb) < 0);
		rec.insn_off = p->core[0].insn_off;
		rec.access_str_off = 0; /* "" */
		CHECK(nf_core_relocate(&bad, c, lb, tb) < 0);
		CHECK_EQ(nf_core_relocate(p, c, lb, NULL), -EINVAL);
		free(c);
	}
	unload(&l);
	unload(&t);
}

/* Independent of loader/btf.c: walk raw vmlinux BTF for struct.member. */
static uint32_t raw_type_len(const uint32_t *t)
{
	uint32_t kind = (t[1] >> 24) & 0x1f, vlen = t[1] & 0xffff;
	switch (kind) {
	case 1: case 14: case 17: return 16;              /* INT, VAR, DECL_TAG */
	case 3: return 24;                                 /* ARRAY */
	case 4: case 5: case 15: case 19: return 12 + 12 * vlen; /* STRUCT UNION DATASEC ENUM64 */
	case 6: case 13: return 12 + 8 * vlen;             /* ENUM, FUNC_PROTO */
	default: return 12;
	}
}

static long raw_member_offset(const uint8_t *btf, const char *sname, const char *mname)
{
	const struct btf_header *h = (const void *)btf;
	const uint8_t *p = btf + h->hdr_len + h->type_off, *end = p + h->type_len;
	const char *strs = (const char *)btf + h->hdr_len + h->str_off;

	for (; p < end; p += raw_type_len((const uint32_t *)p)) {
		const uint32_t *t = (const uint32_t *)p;
		if (((t[1] >> 24) & 0x1f) != 4 || strcmp(strs + t[0], sname))
			continue;
		for (uint32_t i = 0; i < (t[1] & 0xffff); i++) {
			const uint32_t *m = t + 3 + 3 * i;
			if (!strcmp(strs + m[0], mname))
				return (long)((t[1] >> 31 ? m[2] & 0xffffff : m[2]) / 8);
		}
	}
	return -1;
}

static void test_vmlinux(void)
{
	size_t vlen;
	void *vm = t_read_file("/sys/kernel/btf/vmlinux", &vlen);
	struct loaded k;

	if (!vm) {
		t_skip("core vmlinux: task_struct.pid", "/sys/kernel/btf/vmlinux not readable");
		return;
	}
	long want = raw_member_offset(vm, "task_struct", "pid");
	if (want < 0) {
		t_skip("core vmlinux: task_struct.pid", "pid is not a direct member of task_struct here");
		free(vm);
		return;
	}
	if (!load(&k, "core")) {
		free(vm);
		return unload(&k);
	}
	T_CASE("core vmlinux: task_struct.pid offset patched from the host BTF") {
		struct nf_btf *target = nf_btf_new(vm, vlen);
		const struct nf_prog_spec *p = nf_obj_prog(&k.obj, "core_pid");
		REQUIRE(target && p && p->ncore == 1);
		struct bpf_insn *c = copy_insns(p);
		CHECK_EQ(nf_core_relocate(p, c, k.obj.btf, target), 0);
		CHECK_EQ(insn_value(&c[p->core[0].insn_off / 8]), want);
		CHECK(want != 0);
		free(c);
		nf_btf_destroy(target);
	}
	unload(&k);
	free(vm);
}

int main(void)
{
	test_own_btf();
	test_other_layout();
	test_vmlinux();
	return t_summary();
}
