/* Malformed objects: truncations, corrupted headers, tables, relocations
 * and BTF, and 10,000 random byte flips. Each must end in a clean success
 * or a clean error (ASan/UBSan watch the rest). */
#include <errno.h>
#include <linux/bpf.h>
#include "parse/btf.h"
#include "elf_walk.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"

/* Fixed seed so failures reproduce; NF_FLIP_SEED picks another for fuzzing. */
static uint32_t rng = 0x2545f491;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int try_parse(const void *data, size_t len)
{
	struct nf_obj o;
	int err = nf_obj_parse(&o, data, len);
	if (!err)
		nf_obj_free(&o);
	return err;
}

/* Everything a successfully parsed object is used for next, with fake fds. */
static void exercise(struct nf_obj *o)
{
	int fds[512];
	for (int i = 0; i < 512; i++)
		fds[i] = i + 3;
	for (uint32_t i = 0; i < o->nprogs; i++) {
		struct nf_prog_spec *p = &o->progs[i];
		struct bpf_insn *c = malloc((p->insn_cnt ? p->insn_cnt : 1) * sizeof(*c));
		memcpy(c, p->insns, p->insn_cnt * sizeof(*c));
		(void)nf_reloc_maps(p, c, fds, o->nmaps);
		if (o->btf)
			(void)nf_core_relocate(p, c, o->btf, o->btf);
		free(c);
	}
	uint32_t v = 1;
	(void)nf_obj_set_var(o, "cfg_magic", &v, sizeof(v));
	if (o->btf) {
		for (uint32_t id = 0; id <= o->btf->ntypes; id++) {
			(void)nf_btf_size(o->btf, id);
			(void)nf_btf_skip_mods(o->btf, id);
		}
		(void)nf_btf_sanitize(o->btf, 0xffffffffu);
	}
}

struct blob {
	uint8_t *data;
	size_t len;
};

static int read_fixture(const char *name, struct blob *b)
{
	b->data = t_read_file(t_fixture(name), &b->len);
	if (!b->data)
		printf("FAIL malformed %s: cannot read %s (make fixtures)\n", name, t_fixture(name));
	return b->data ? 0 : -1;
}

static uint8_t *copy_of(const struct blob *b)
{
	uint8_t *c = malloc(b->len);
	memcpy(c, b->data, b->len);
	return c;
}

static void test_truncation(const struct blob *b)
{
	T_CASE("malformed: every prefix of globals.bpf.o is an error") {
		int ok = 0;
		for (size_t n = 0; n < b->len; n++) {
			uint8_t *p = malloc(n ? n : 1);
			memcpy(p, b->data, n);
			ok += try_parse(p, n) == 0;
			free(p);
		}
		CHECK_EQ(ok, 0);
		CHECK_EQ(try_parse(b->data, b->len), 0);
	}
	T_CASE("malformed: every prefix of the .BTF blob is an error") {
		const Elf64_Shdr *s = ew_sec(b->data, ".BTF");
		int ok = 0;
		REQUIRE(s != NULL);
		for (size_t n = 0; n < s->sh_size; n++) {
			struct nf_btf *btf = nf_btf_new(b->data + s->sh_offset, n);
			ok += btf != NULL;
			nf_btf_destroy(btf);
		}
		CHECK_EQ(ok, 0);
	}
}

/* Apply one corruption to a fresh copy and expect an error with a message. */
#define EXPECT_BAD(b, what, stmt) do { \
	uint8_t *d = copy_of(b); \
	Elf64_Ehdr *eh = (Elf64_Ehdr *)d; \
	Elf64_Shdr *sh = (Elf64_Shdr *)(d + eh->e_shoff); \
	(void)sh; \
	stmt; \
	nf_seterr("%s", ""); \
	int e_ = try_parse(d, (b)->len); \
	if (e_ >= 0) { printf("FAIL %s: %s: accepted\n", t_case, what); t_failed_in_case = 1; } \
	else if (!nf_lasterr()[0] || !strcmp(nf_lasterr(), "unknown error")) { \
		printf("FAIL %s: %s: no error text\n", t_case, what); t_failed_in_case = 1; } \
	free(d); \
} while (0)

static void test_headers(const struct blob *b)
{
	int btf = ew_sec_idx(b->data, ".BTF"), tc = ew_sec_idx(b->data, "tc");
	int ro = ew_sec_idx(b->data, ".rodata"), da = ew_sec_idx(b->data, ".data");
	const char *str;
	size_t nsym;
	const Elf64_Shdr *symtab = ew_symtab(b->data, &str, &nsym);
	int symidx = (int)(symtab - ew_shdrs(b->data));

	T_CASE("malformed: ELF header and section table") {
		REQUIRE(btf > 0 && tc > 0 && ro > 0 && da > 0 && symtab);
		EXPECT_BAD(b, "magic", d[1] = 'X');
		EXPECT_BAD(b, "class", d[EI_CLASS] = ELFCLASS32);
		EXPECT_BAD(b, "big endian", d[EI_DATA] = ELFDATA2MSB);
		EXPECT_BAD(b, "machine", eh->e_machine = 62);
		EXPECT_BAD(b, "huge shnum", eh->e_shnum = 0xffff);
		EXPECT_BAD(b, "shoff past end", eh->e_shoff = b->len);
		EXPECT_BAD(b, "shoff misaligned", eh->e_shoff += 1);
		EXPECT_BAD(b, "shstrndx", eh->e_shstrndx = eh->e_shnum);
		EXPECT_BAD(b, "shentsize", eh->e_shentsize = 32);
	}
	T_CASE("malformed: sections past the end, names out of range, overlaps") {
		REQUIRE(btf > 0 && tc > 0 && ro > 0 && da > 0);
		EXPECT_BAD(b, ".BTF offset past end", sh[btf].sh_offset = b->len);
		EXPECT_BAD(b, ".BTF size huge", sh[btf].sh_size = ~0ull);
		EXPECT_BAD(b, "tc offset+size wraps", sh[tc].sh_offset = ~0ull - 4);
		EXPECT_BAD(b, "name offset", sh[tc].sh_name = 0x7fffffff);
		EXPECT_BAD(b, ".data overlaps .rodata", sh[da].sh_offset = sh[ro].sh_offset);
		EXPECT_BAD(b, "section over the ELF header", sh[ro].sh_offset = 8);
		EXPECT_BAD(b, "code section misaligned", { sh[tc].sh_offset += 1; sh[tc].sh_size -= 8; });
		EXPECT_BAD(b, "section names not terminated",
			   d[sh[eh->e_shstrndx].sh_offset + sh[eh->e_shstrndx].sh_size - 1] = 'x');
	}
	T_CASE("malformed: symbol table and strings") {
		REQUIRE(symtab);
		EXPECT_BAD(b, "symtab size huge", sh[symidx].sh_size = 1ull << 40);
		EXPECT_BAD(b, "symtab size not a multiple", sh[symidx].sh_size -= 1);
		EXPECT_BAD(b, "symtab entsize", sh[symidx].sh_entsize = 16);
		EXPECT_BAD(b, "symtab link", sh[symidx].sh_link = 0);
		EXPECT_BAD(b, "strtab not terminated",
			   d[sh[sh[symidx].sh_link].sh_offset + sh[sh[symidx].sh_link].sh_size - 1] = 'x');
		EXPECT_BAD(b, "symbol name offset", {
			Elf64_Sym *s = (Elf64_Sym *)(d + sh[symidx].sh_offset);
			s[nsym - 1].st_name = 0x7fffffff;
		});
		EXPECT_BAD(b, "program symbol past its section", {
			Elf64_Sym *s = (Elf64_Sym *)(d + ((const uint8_t *)ew_sym(b->data, "run_globals") - b->data));
			s->st_size = sh[tc].sh_size + 8;
		});
		EXPECT_BAD(b, "program symbol misaligned", {
			Elf64_Sym *s = (Elf64_Sym *)(d + ((const uint8_t *)ew_sym(b->data, "run_globals") - b->data));
			s->st_value = 4;
		});
	}
}

static void test_relocs(const struct blob *b)
{
	int rel = ew_sec_idx(b->data, ".reltc"), tc = ew_sec_idx(b->data, "tc");
	const Elf64_Shdr *shs = ew_shdrs(b->data);

	T_CASE("malformed: relocations outside a program or on the wrong instruction") {
		REQUIRE(rel > 0 && tc > 0);
		size_t roff = shs[rel].sh_offset;
		EXPECT_BAD(b, "r_offset past the section", ((Elf64_Rel *)(d + roff))[0].r_offset = sh[tc].sh_size);
		EXPECT_BAD(b, "r_offset at the last insn (ld_imm64 needs two)",
			   ((Elf64_Rel *)(d + roff))[0].r_offset = sh[tc].sh_size - 8);
		EXPECT_BAD(b, "r_offset misaligned", ((Elf64_Rel *)(d + roff))[0].r_offset += 4);
		EXPECT_BAD(b, "r_offset on a plain instruction", {
			const struct bpf_insn *code = (const struct bpf_insn *)(b->data + shs[tc].sh_offset);
			uint64_t k = 0;
			while (code[k].code == (BPF_LD | BPF_IMM | BPF_DW) || code[k].code == (BPF_JMP | BPF_CALL))
				k++;
			((Elf64_Rel *)(d + roff))[0].r_offset = k * 8;
		});
		EXPECT_BAD(b, "symbol index out of range",
			   ((Elf64_Rel *)(d + roff))[0].r_info = ELF64_R_INFO(0xffffff, 1));
		EXPECT_BAD(b, "relocation links", sh[rel].sh_info = 0xffff);
		EXPECT_BAD(b, "call into nowhere", {
			const Elf64_Rel *r = (const Elf64_Rel *)(b->data + roff);
			for (size_t i = 0; i < shs[rel].sh_size / sizeof(*r); i++) {
				struct bpf_insn *in = (struct bpf_insn *)(d + sh[tc].sh_offset + r[i].r_offset);
				if (in->code == (BPF_JMP | BPF_CALL))
					in->imm = 100000;
			}
		});
		EXPECT_BAD(b, "call into the middle of a function", {
			const Elf64_Rel *r = (const Elf64_Rel *)(b->data + roff);
			for (size_t i = 0; i < shs[rel].sh_size / sizeof(*r); i++) {
				struct bpf_insn *in = (struct bpf_insn *)(d + sh[tc].sh_offset + r[i].r_offset);
				if (in->code == (BPF_JMP | BPF_CALL))
					in->imm = 0; /* add_one + 1 */
			}
		});
	}
}

static void test_btf_in_elf(const struct blob *b)
{
	int btf = ew_sec_idx(b->data, ".BTF"), ext = ew_sec_idx(b->data, ".BTF.ext");

	T_CASE("malformed: BTF and .BTF.ext inside the object") {
		REQUIRE(btf > 0 && ext > 0);
		const Elf64_Shdr *shs = ew_shdrs(b->data);
		size_t bo = shs[btf].sh_offset, eo = shs[ext].sh_offset;
		EXPECT_BAD(b, "BTF type_len past the blob", ((struct btf_header *)(d + bo))->type_len += 64);
		EXPECT_BAD(b, "BTF str_len past the blob", ((struct btf_header *)(d + bo))->str_len += 1);
		EXPECT_BAD(b, "BTF type id out of range", {
			struct btf_header *h = (struct btf_header *)(d + bo);
			struct btf_type *t = (struct btf_type *)(d + bo + h->hdr_len + h->type_off);
			t->type = 0xfffff; /* the first type is a PTR in clang's output */
		});
		EXPECT_BAD(b, ".BTF without data", sh[btf].sh_type = SHT_NOBITS);
		EXPECT_BAD(b, ".BTF.ext without data", sh[ext].sh_type = SHT_NOBITS);
		EXPECT_BAD(b, ".BTF.ext magic", d[eo] = 0);
		EXPECT_BAD(b, ".BTF.ext func_info offset", ((uint32_t *)(d + eo))[2] = 0x7ffffff0);
		EXPECT_BAD(b, ".BTF.ext record size 0", {
			uint32_t *h = (uint32_t *)(d + eo);
			*(uint32_t *)(d + eo + h[1] + h[2]) = 0;
		});
		EXPECT_BAD(b, ".BTF.ext record count huge", {
			uint32_t *h = (uint32_t *)(d + eo);
			*(uint32_t *)(d + eo + h[1] + h[2] + 8) = 0x10000000;
		});
		EXPECT_BAD(b, ".BTF.ext section name offset", {
			uint32_t *h = (uint32_t *)(d + eo);
			*(uint32_t *)(d + eo + h[1] + h[2] + 4) = 0x7fffffff;
		});
	}
}

/* Pick a byte in the parts the loader reads (headers, tables, code, BTF). */
static size_t interesting_offset(const struct blob *b)
{
	static const char *secs[] = { ".symtab", ".strtab", ".text", "tc", ".reltc", ".BTF", ".BTF.ext",
				      ".maps", ".rodata", "license", "socket" };
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
	uint32_t r = next_rand() % 16;

	if (r == 0)
		return next_rand() % sizeof(*eh);
	if (r == 1)
		return eh->e_shoff + next_rand() % (eh->e_shnum * sizeof(Elf64_Shdr));
	const Elf64_Shdr *s = ew_sec(b->data, secs[r % (sizeof(secs) / sizeof(secs[0]))]);
	if (r < 4 || !s || s->sh_size == 0)
		return next_rand() % b->len;
	return s->sh_offset + next_rand() % s->sh_size;
}

static void test_flips(const struct blob *fx, int nfx)
{
	T_CASE("malformed: 10,000 random byte flips end cleanly") {
		int ok = 0, bad = 0;
		for (int iter = 0; iter < 10000; iter++) {
			const struct blob *b = &fx[iter % nfx];
			uint8_t *d = copy_of(b);
			int nflip = 1 + (int)(next_rand() % 4);
			for (int k = 0; k < nflip; k++)
				d[interesting_offset(b)] ^= (uint8_t)(1 + next_rand() % 255);
			struct nf_obj o;
			if (nf_obj_parse(&o, d, b->len) == 0) {
				ok++;
				exercise(&o);
				nf_obj_free(&o);
			} else {
				bad++;
			}
			free(d);
		}
		printf("# flips: %d parsed, %d rejected\n", ok, bad);
		CHECK(ok > 100);
		CHECK(bad > 100);
	}
	T_CASE("malformed: 5,000 random flips inside a BTF blob end cleanly") {
		const Elf64_Shdr *s = ew_sec(fx[0].data, ".BTF");
		REQUIRE(s != NULL);
		int ok = 0;
		for (int iter = 0; iter < 5000; iter++) {
			uint8_t *d = malloc(s->sh_size);
			memcpy(d, fx[0].data + s->sh_offset, s->sh_size);
			for (int k = 0; k < 1 + (int)(next_rand() % 3); k++)
				d[next_rand() % s->sh_size] ^= (uint8_t)(1 + next_rand() % 255);
			struct nf_btf *btf = nf_btf_new(d, s->sh_size);
			if (btf) {
				ok++;
				for (uint32_t id = 0; id <= btf->ntypes; id++)
					(void)nf_btf_size(btf, id);
				(void)nf_btf_find(btf, "run_globals", BTF_KIND_FUNC);
				(void)nf_btf_sanitize(btf, 0xffffffffu);
				nf_btf_destroy(btf);
			}
			free(d);
		}
		CHECK(ok > 0);
	}
}

int main(void)
{
	struct blob fx[3];
	const char *seed = getenv("NF_FLIP_SEED");
	if (seed && strtoul(seed, NULL, 0))
		rng = (uint32_t)strtoul(seed, NULL, 0);
	if (read_fixture("globals", &fx[0]) || read_fixture("maps", &fx[1]) ||
	    read_fixture("core_kinds", &fx[2]))
		return 1;
	test_truncation(&fx[0]);
	test_headers(&fx[0]);
	test_relocs(&fx[0]);
	test_btf_in_elf(&fx[0]);
	test_flips(fx, 3);
	for (int i = 0; i < 3; i++)
		free(fx[i].data);
	return t_summary();
}
