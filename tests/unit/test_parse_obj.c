/* nf_obj_parse on the clang-built fixtures: programs, maps, relocations,
 * .BTF.ext rebasing and global variables, checked against a second,
 * independent reading of the same ELF file (elf_walk.h) and the sources. */
#include <errno.h>
#include <linux/bpf.h>
#include "bpf_compat.h"
#include "parse/btf.h"
#include "elf_walk.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"


struct fixture {
	void *elf;
	size_t len;
	struct nf_obj obj;
	int err;
};

static int load_fixture(struct fixture *f, const char *name)
{
	f->elf = t_read_file(t_fixture(name), &f->len);
	if (!f->elf) {
		printf("FAIL %s: cannot read %s (run make fixtures)\n", name, t_fixture(name));
		return -1;
	}
	f->err = nf_obj_parse(&f->obj, f->elf, f->len);
	if (f->err)
		printf("FAIL %s: nf_obj_parse: %s\n", name, nf_lasterr());
	return f->err;
}

static void drop_fixture(struct fixture *f)
{
	if (!f->err)
		nf_obj_free(&f->obj);
	free(f->elf);
}

static uint32_t sym_insns(const void *elf, const char *name)
{
	const Elf64_Sym *s = ew_sym(elf, name);
	return s ? (uint32_t)(s->st_size / 8) : 0;
}

static const struct bpf_insn *sym_code(const void *elf, const char *name)
{
	const Elf64_Sym *s = ew_sym(elf, name);
	return (const struct bpf_insn *)((const char *)elf + ew_shdrs(elf)[s->st_shndx].sh_offset +
					  s->st_value);
}

static const char *btf_name_of(const struct nf_btf *btf, uint32_t id)
{
	const struct btf_type *t = nf_btf_type(btf, id);
	return t ? nf_btf_str(btf, t->name_off) : "(none)";
}

/* The only BPF-to-BPF call in p; -1 if none. */
static int64_t call_target(const struct nf_prog_spec *p, int nth)
{
	for (uint32_t i = 0; i < p->insn_cnt; i++)
		if (p->insns[i].code == (BPF_JMP | BPF_CALL) && p->insns[i].src_reg == BPF_PSEUDO_CALL && !nth--)
			return (int64_t)i + p->insns[i].imm + 1;
	return -1;
}

/* Every R_BPF_64_64 relocation of the program's section must have become
 * exactly one nf_reloc with the right map and offset. */
static void check_data_relocs(struct fixture *f, const struct nf_prog_spec *p, const char *relsec)
{
	const Elf64_Sym *ps = ew_sym(f->elf, p->name);
	const Elf64_Shdr *rs = ew_sec(f->elf, relsec);
	const char *str;
	size_t nsyms, n = 0;
	const Elf64_Shdr *st = ew_symtab(f->elf, &str, &nsyms);
	const Elf64_Sym *syms = (const Elf64_Sym *)((char *)f->elf + st->sh_offset);
	const Elf64_Rel *r = (const Elf64_Rel *)((char *)f->elf + rs->sh_offset);
	const struct bpf_insn *code = (const struct bpf_insn *)((char *)f->elf +
							    ew_shdrs(f->elf)[rs->sh_info].sh_offset);

	for (size_t i = 0; i < rs->sh_size / sizeof(*r); i++) {
		if (ELF64_R_TYPE(r[i].r_info) != 1 /* R_BPF_64_64 */ ||
		    r[i].r_offset < ps->st_value || r[i].r_offset >= ps->st_value + ps->st_size)
			continue;
		const Elf64_Sym *s = &syms[ELF64_R_SYM(r[i].r_info)];
		const char *secname = ew_sec_name(f->elf, &ew_shdrs(f->elf)[s->st_shndx]);
		if (ew_shdrs(f->elf)[s->st_shndx].sh_flags & SHF_EXECINSTR)
			continue; /* a function address, not data */
		uint32_t insn = (uint32_t)((r[i].r_offset - ps->st_value) / 8);
		const struct nf_reloc *found = NULL;
		n++;
		for (uint32_t k = 0; k < p->nrelocs; k++)
			if (p->relocs[k].insn == insn)
				found = &p->relocs[k];
		CHECK(found != NULL);
		if (!found)
			continue;
		const struct nf_map_spec *m = &f->obj.maps[found->map];
		if (!strcmp(secname, ".maps")) {
			CHECK_EQ(found->kind, NF_RELO_MAP_FD);
			CHECK_STR(m->name, str + s->st_name);
		} else {
			CHECK_EQ(found->kind, NF_RELO_MAP_VALUE);
			CHECK_STR(m->name, secname);
			CHECK_EQ(found->off, s->st_value + (uint64_t)(int64_t)code[r[i].r_offset / 8].imm);
		}
		CHECK_EQ(p->insns[insn].code, BPF_LD | BPF_IMM | BPF_DW);
	}
	CHECK_EQ(p->nrelocs, n);
}

static void test_globals(void)
{
	struct fixture f = { 0 };
	if (load_fixture(&f, "globals"))
		return;
	struct nf_obj *o = &f.obj;
	struct nf_prog_spec *p = nf_obj_prog(o, "run_globals");
	uint32_t own = sym_insns(f.elf, "run_globals"), sub = sym_insns(f.elf, "add_one");

	T_CASE("obj globals: license and one SCHED_CLS program") {
		CHECK_STR(o->license, "GPL");
		CHECK_EQ(o->nprogs, 1);
		REQUIRE(p != NULL);
		CHECK_STR(p->sec, "tc");
		CHECK_EQ(p->type, BPF_PROG_TYPE_SCHED_CLS);
		CHECK_STR(p->attach, "");
		CHECK(nf_obj_prog(o, "add_one") == NULL); /* .text functions are not programs */
	}
	T_CASE("obj globals: add_one appended once, call fixed to it") {
		REQUIRE(p && own > 0 && sub > 0);
		CHECK_EQ(p->insn_cnt, own + sub);
		CHECK_EQ(call_target(p, 0), own);
		CHECK_EQ(call_target(p, 1), -1);
		CHECK(!memcmp(p->insns + own, sym_code(f.elf, "add_one"), sub * 8));
		CHECK(!memcmp(p->insns, sym_code(f.elf, "run_globals"), 8)); /* untouched head */
	}
	T_CASE("obj globals: maps from .maps and global data") {
		struct nf_map_spec *m = nf_obj_map(o, "counts");
		REQUIRE(m != NULL);
		CHECK_EQ(m->kind, NF_MAP_USER);
		CHECK_EQ(m->type, BPF_MAP_TYPE_HASH);
		CHECK_EQ(m->key_size, sizeof(__u32));
		CHECK_EQ(m->value_size, sizeof(__u64));
		CHECK_EQ(m->max_entries, 64);
		CHECK_STR(btf_name_of(o->btf, m->btf_key_id), "__u32");
		CHECK_STR(btf_name_of(o->btf, m->btf_value_id), "__u64");
		m = nf_obj_map(o, "events");
		REQUIRE(m != NULL);
		CHECK_EQ(m->type, BPF_MAP_TYPE_RINGBUF);
		CHECK_EQ(m->max_entries, 4096 * 4);
		CHECK_EQ(m->key_size, 0);
		CHECK_EQ(m->value_size, 0);
	}
	T_CASE("obj globals: .rodata/.data/.bss internal maps with initial bytes") {
		const char *names[] = { ".rodata", ".data", ".bss" };
		int kinds[] = { NF_MAP_RODATA, NF_MAP_DATA, NF_MAP_BSS };
		for (int i = 0; i < 3; i++) {
			struct nf_map_spec *m = nf_obj_map(o, names[i]);
			const Elf64_Shdr *s = ew_sec(f.elf, names[i]);
			CHECK(m && s);
			if (!m || !s)
				continue;
			CHECK_EQ(m->kind, kinds[i]);
			CHECK_EQ(m->type, BPF_MAP_TYPE_ARRAY);
			CHECK_EQ(m->key_size, 4);
			CHECK_EQ(m->value_size, s->sh_size);
			CHECK_EQ(m->max_entries, 1);
			CHECK_EQ(m->flags, 0);
			CHECK_EQ(m->sec_idx, ew_sec_idx(f.elf, names[i]));
			CHECK_STR(btf_name_of(o->btf, m->btf_value_id), names[i]);
		}
		struct nf_map_spec *ro = nf_obj_map(o, ".rodata"), *da = nf_obj_map(o, ".data");
		struct nf_map_spec *bs = nf_obj_map(o, ".bss");
		REQUIRE(ro && da && bs);
		uint32_t magic;
		uint64_t count;
		memcpy(&magic, ro->init + ew_sym(f.elf, "cfg_magic")->st_value, 4);
		memcpy(&count, da->init + ew_sym(f.elf, "run_count")->st_value, 8);
		CHECK_EQ(magic, 0x1234);
		CHECK_EQ(count, 100);
		for (uint32_t i = 0; i < bs->value_size; i++)
			CHECK_EQ(bs->init[i], 0);
	}
	T_CASE("obj globals: relocations match the ELF's") {
		REQUIRE(p != NULL);
		check_data_relocs(&f, p, ".reltc");
	}
	T_CASE("obj globals: func_info rebased to instruction indexes") {
		REQUIRE(p != NULL);
		CHECK_EQ(p->func_info_rec_size, sizeof(struct bpf_func_info));
		REQUIRE(p->func_info_cnt == 2);
		struct bpf_func_info *fi = p->func_info;
		CHECK_EQ(fi[0].insn_off, 0);
		CHECK_STR(btf_name_of(o->btf, fi[0].type_id), "run_globals");
		CHECK_EQ(fi[1].insn_off, own);
		CHECK_STR(btf_name_of(o->btf, fi[1].type_id), "add_one");
	}
	T_CASE("obj globals: line_info in range, ascending, both functions covered") {
		REQUIRE(p != NULL && p->line_info_cnt > 0);
		CHECK_EQ(p->line_info_rec_size, sizeof(struct bpf_line_info));
		const struct bpf_line_info *li = p->line_info;
		int in_sub = 0;
		CHECK_EQ(li[0].insn_off, 0);
		for (uint32_t i = 0; i < p->line_info_cnt; i++) {
			CHECK(li[i].insn_off < p->insn_cnt);
			if (i)
				CHECK(li[i].insn_off >= li[i - 1].insn_off);
			in_sub |= li[i].insn_off == own;
			CHECK(nf_btf_str(o->btf, li[i].file_name_off) != NULL);
		}
		CHECK(in_sub);
	}
	T_CASE("obj globals: nf_obj_set_var writes .rodata by BTF name") {
		uint32_t v = 0xdeadbeef;
		uint16_t small = 1;
		CHECK_EQ(nf_obj_set_var(o, "cfg_magic", &v, sizeof(v)), 0);
		uint32_t got;
		memcpy(&got, nf_obj_map(o, ".rodata")->init + ew_sym(f.elf, "cfg_magic")->st_value, 4);
		CHECK_EQ(got, 0xdeadbeef);
		CHECK_EQ(nf_obj_set_var(o, "cfg_magic", &small, sizeof(small)), -EINVAL);
		CHECK_EQ(nf_obj_set_var(o, "no_such_var", &v, sizeof(v)), -ENOENT);
		uint64_t c = 5;
		CHECK_EQ(nf_obj_set_var(o, "run_count", &c, sizeof(c)), 0);
		memcpy(&c, nf_obj_map(o, ".data")->init, 8);
		CHECK_EQ(c, 5);
	}
	T_CASE("obj globals: nf_reloc_maps patches a copy with fds and offsets") {
		REQUIRE(p != NULL);
		int fds[16];
		struct bpf_insn *copy = malloc(p->insn_cnt * sizeof(*copy));
		for (int i = 0; i < 16; i++)
			fds[i] = 100 + i;
		memcpy(copy, p->insns, p->insn_cnt * sizeof(*copy));
		CHECK_EQ(nf_reloc_maps(p, copy, fds, o->nmaps), 0);
		for (uint32_t k = 0; k < p->nrelocs; k++) {
			const struct nf_reloc *r = &p->relocs[k];
			CHECK_EQ(copy[r->insn].imm, 100 + (int)r->map);
			CHECK_EQ(copy[r->insn].src_reg,
				 r->kind == NF_RELO_MAP_FD ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE);
			CHECK_EQ(copy[r->insn + 1].imm, r->kind == NF_RELO_MAP_FD ? 0 : (int)r->off);
		}
		CHECK_EQ(p->insns[p->relocs[0].insn].imm, 0); /* the spec itself is untouched */
		CHECK_EQ(nf_reloc_maps(p, copy, fds, 1), -EINVAL); /* fewer fds than maps */
		free(copy);
	}
	drop_fixture(&f);
}

struct want_map {
	const char *name;
	uint32_t type, key, value, max, flags;
};

struct pair { /* as in maps.bpf.c */
	__u32 a;
	__u64 b;
};

static void test_maps(void)
{
	static const struct want_map want[] = {
		{ "arr", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pair), 8, 0 },
		{ "pcpu_arr", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, 0 },
		{ "hash", BPF_MAP_TYPE_HASH, 8, sizeof(struct pair), 1024, BPF_F_NO_PREALLOC },
		{ "lru", BPF_MAP_TYPE_LRU_HASH, 4, 4, 512, 0 },
		{ "pcpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 2, 8, 16, 0 },
		{ "ring", BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 16, 0 },
		{ "perf", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0, 0 },
	};
	struct fixture f = { 0 };
	if (load_fixture(&f, "maps"))
		return;
	struct nf_obj *o = &f.obj;

	T_CASE("obj maps: every map kind with sizes, entries and flags") {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			struct nf_map_spec *m = nf_obj_map(o, want[i].name);
			CHECK(m != NULL);
			if (!m)
				continue;
			CHECK_EQ(m->kind, NF_MAP_USER);
			CHECK_EQ(m->type, want[i].type);
			CHECK_EQ(m->key_size, want[i].key);
			CHECK_EQ(m->value_size, want[i].value);
			CHECK_EQ(m->max_entries, want[i].max);
			CHECK_EQ(m->flags, want[i].flags);
		}
		CHECK_STR(btf_name_of(o->btf, nf_obj_map(o, "arr")->btf_value_id), "pair");
	}
	T_CASE("obj maps: license and version sections") {
		CHECK_STR(o->license, "Dual MIT/GPL");
		CHECK_EQ(o->kern_version, 0x060100);
	}
	T_CASE("obj maps: strings in .rodata.str1.1 relocate to their offsets") {
		struct nf_map_spec *m = nf_obj_map(o, ".rodata.str1.1");
		struct nf_prog_spec *p = nf_obj_prog(o, "prog_kprobe");
		REQUIRE(m && p);
		CHECK_EQ(m->kind, NF_MAP_RODATA);
		CHECK_EQ(m->value_size, ew_sec(f.elf, ".rodata.str1.1")->sh_size);
		REQUIRE(p->nrelocs == 2);
		const char *want_s[] = { "kprobe %d\n", "second %d\n" };
		for (int i = 0; i < 2; i++) {
			const struct nf_reloc *r = &p->relocs[i];
			CHECK_EQ(r->kind, NF_RELO_MAP_VALUE);
			CHECK_STR(o->maps[r->map].name, ".rodata.str1.1");
			REQUIRE(r->off < m->value_size);
			CHECK_STR((const char *)m->init + r->off, want_s[i]);
		}
		check_data_relocs(&f, p, ".relkprobe/do_sys_open");
	}
	T_CASE("obj maps: two programs in one section each get the .text subprogram") {
		const char *names[] = { "prog_tc", "prog_tc2" };
		uint32_t sub = sym_insns(f.elf, "twice");
		for (int i = 0; i < 2; i++) {
			struct nf_prog_spec *p = nf_obj_prog(o, names[i]);
			uint32_t own = sym_insns(f.elf, names[i]);
			CHECK(p != NULL);
			if (!p)
				continue;
			CHECK_STR(p->sec, "tc");
			CHECK_EQ(p->insn_cnt, own + sub);
			CHECK_EQ(call_target(p, 0), own);
			CHECK(!memcmp(p->insns + own, sym_code(f.elf, "twice"), sub * 8));
			CHECK(!memcmp(p->insns, sym_code(f.elf, names[i]), 8));
			CHECK_EQ(p->func_info_cnt, 2);
		}
		check_data_relocs(&f, nf_obj_prog(o, "prog_tc"), ".reltc");
		check_data_relocs(&f, nf_obj_prog(o, "prog_tc2"), ".reltc");
	}
	T_CASE("obj maps: static subprogram in the same section, call without relocation") {
		struct nf_prog_spec *p = nf_obj_prog(o, "prog_socket");
		uint32_t own = sym_insns(f.elf, "prog_socket"), sub = sym_insns(f.elf, "sock_len");
		REQUIRE(p && own && sub);
		CHECK_EQ(p->insn_cnt, own + sub);
		CHECK_EQ(call_target(p, 0), own);
		CHECK(!memcmp(p->insns + own, sym_code(f.elf, "sock_len"), sub * 8));
		CHECK(nf_obj_prog(o, "sock_len") == NULL);
	}
	T_CASE("obj maps: program types and attach points from section names") {
		struct { const char *name, *attach; uint32_t type, at; int ret; } w[] = {
			{ "prog_tcx_in", "", BPF_PROG_TYPE_SCHED_CLS, NF_BPF_TCX_INGRESS, 0 },
			{ "prog_tcx_eg", "", BPF_PROG_TYPE_SCHED_CLS, NF_BPF_TCX_EGRESS, 0 },
			{ "prog_uprobe", "SSL_write", BPF_PROG_TYPE_KPROBE, 0, 0 },
			{ "prog_uretprobe", "SSL_read", BPF_PROG_TYPE_KPROBE, 0, 1 },
			{ "prog_tp", "sched/sched_process_exec", BPF_PROG_TYPE_TRACEPOINT, 0, 0 },
			{ "prog_raw_tp", "sys_enter", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0 },
			{ "prog_kprobe", "do_sys_open", BPF_PROG_TYPE_KPROBE, 0, 0 },
			{ "prog_socket", "", BPF_PROG_TYPE_SOCKET_FILTER, 0, 0 },
		};
		CHECK_EQ(o->nprogs, 10);
		for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
			struct nf_prog_spec *p = nf_obj_prog(o, w[i].name);
			CHECK(p != NULL);
			if (!p)
				continue;
			CHECK_STR(p->attach, w[i].attach);
			CHECK_EQ(p->type, w[i].type);
			CHECK_EQ(p->expected_attach_type, w[i].at);
			CHECK_EQ(p->retprobe, w[i].ret);
			CHECK_EQ(p->insn_cnt, sym_insns(f.elf, w[i].name) + (i == 7 ? sym_insns(f.elf, "sock_len") : 0));
		}
	}
	drop_fixture(&f);
}

static void test_sec_names(void)
{
	T_CASE("nf_sec_type: names, attach targets, unknown sections") {
		uint32_t t, at;
		int ret;
		const char *a;
		CHECK_EQ(nf_sec_type("classifier", &t, &at, &ret, &a), 0);
		CHECK_EQ(t, BPF_PROG_TYPE_SCHED_CLS);
		CHECK_EQ(nf_sec_type("kretprobe/tcp_sendmsg", &t, &at, &ret, &a), 0);
		CHECK_EQ(t, BPF_PROG_TYPE_KPROBE);
		CHECK_EQ(ret, 1);
		CHECK_STR(a, "tcp_sendmsg");
		CHECK_EQ(nf_sec_type("uprobe/lib/x.so:fn", &t, &at, &ret, &a), 0);
		CHECK_STR(a, "lib/x.so:fn");
		CHECK_EQ(nf_sec_type("xdp", &t, &at, &ret, &a), -ENOENT);
		CHECK_EQ(nf_sec_type("tcx/both", &t, &at, &ret, &a), -ENOENT);
		CHECK_EQ(nf_sec_type("uprobe/", &t, &at, &ret, &a), -ENOENT);
		CHECK_EQ(nf_sec_type("tcfoo", &t, &at, &ret, &a), -ENOENT);
	}
}

static void test_core_fixture(void)
{
	struct fixture f = { 0 };
	if (load_fixture(&f, "core"))
		return;
	T_CASE("obj core: CO-RE record rebased, .bss variable relocated") {
		struct nf_prog_spec *p = nf_obj_prog(&f.obj, "core_pid");
		REQUIRE(p != NULL);
		REQUIRE(p->ncore == 1);
		CHECK_EQ(p->core[0].kind, BPF_CORE_FIELD_BYTE_OFFSET);
		CHECK_STR(nf_btf_str(f.obj.btf, p->core[0].access_str_off), "0:0");
		CHECK_STR(btf_name_of(f.obj.btf, p->core[0].type_id), "task_struct___local");
		CHECK(p->core[0].insn_off % 8 == 0 && p->core[0].insn_off / 8 < p->insn_cnt);
		check_data_relocs(&f, p, ".reltc");
		CHECK(nf_obj_map(&f.obj, ".bss") != NULL);
	}
	drop_fixture(&f);
}

/* ld_imm64 of a function (bpf_loop callbacks): BPF_PSEUDO_FUNC, imm relative
 * to the next instruction, pointing at the appended callback. */
static void test_callbacks(void)
{
	struct fixture f = { 0 };
	if (load_fixture(&f, "loop"))
		return;
	T_CASE("obj loop: callback addresses become BPF_PSEUDO_FUNC to appended code") {
		struct nf_prog_spec *p = nf_obj_prog(&f.obj, "loop_prog");
		const char *cb[] = { "add_index", "mul_next" };
		uint32_t own = sym_insns(f.elf, "loop_prog");
		int seen = 0;
		REQUIRE(p != NULL);
		CHECK_EQ(p->insn_cnt, own + sym_insns(f.elf, cb[0]) + sym_insns(f.elf, cb[1]));
		CHECK_EQ(p->func_info_cnt, 3);
		for (uint32_t i = 0; i + 1 < p->insn_cnt; i++) {
			const struct bpf_insn *in = &p->insns[i];
			if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || in->src_reg != BPF_PSEUDO_FUNC)
				continue;
			int64_t t = (int64_t)i + in->imm + 1;
			CHECK(t >= own && t < p->insn_cnt);
			CHECK_EQ(in[1].imm, 0);
			if (t >= own && t < p->insn_cnt)
				CHECK(!memcmp(p->insns + t, sym_code(f.elf, cb[seen < 2 ? seen : 1]),
					      sym_insns(f.elf, cb[seen < 2 ? seen : 1]) * 8));
			seen++;
		}
		CHECK_EQ(seen, 2);
		check_data_relocs(&f, p, ".reltc");
	}
	drop_fixture(&f);
}

int main(void)
{
	test_globals();
	test_maps();
	test_sec_names();
	test_core_fixture();
	test_callbacks();
	return t_summary();
}
