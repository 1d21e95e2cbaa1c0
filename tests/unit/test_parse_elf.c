/* The ELF reader (loader/elf_read.c) against a second reading of the same
 * file (elf_walk.h): sections, names, data, symbols and relocations. */
#include <errno.h>
#include "parse/elf_read.h"
#include "elf_walk.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"

static void test_fixture(const char *name)
{
	size_t len;
	uint8_t *d = t_read_file(t_fixture(name), &len);
	struct nf_elf e;
	char title[128];

	snprintf(title, sizeof(title), "elf %s: sections, symbols and relocations agree", name);
	T_CASE(title) {
		REQUIRE(d != NULL);
		REQUIRE(nf_elf_open(&e, d, len) == 0);
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
		CHECK_EQ(e.shnum, eh->e_shnum);
		for (uint32_t i = 1; i < e.shnum; i++) {
			const Elf64_Shdr *s = &ew_shdrs(d)[i];
			size_t n;
			const void *p = nf_elf_sec_data(&e, i, &n);
			CHECK_STR(nf_elf_sec_name(&e, i), ew_sec_name(d, s));
			CHECK_EQ(nf_elf_find_sec(&e, ew_sec_name(d, s)), ew_sec_idx(d, ew_sec_name(d, s)));
			if (s->sh_type == SHT_NOBITS) {
				CHECK(p == NULL);
			} else {
				CHECK(p == d + s->sh_offset);
				CHECK_EQ(n, s->sh_size);
			}
			CHECK_EQ(nf_elf_sec_is_exec(&e, i), s->sh_type == SHT_PROGBITS && (s->sh_flags & SHF_EXECINSTR));
			size_t nr;
			const Elf64_Rel *r = nf_elf_rels(&e, i, &nr);
			CHECK_EQ(nr, s->sh_type == SHT_REL ? s->sh_size / sizeof(Elf64_Rel) : 0);
			CHECK(s->sh_type != SHT_REL || r == (const Elf64_Rel *)(d + s->sh_offset));
		}
		const char *str;
		size_t nsym;
		CHECK(ew_symtab(d, &str, &nsym) != NULL);
		CHECK_EQ(e.nsyms, nsym);
		for (uint32_t i = 1; i < e.nsyms; i++) {
			const Elf64_Sym *s = nf_elf_sym(&e, i);
			if (ELF64_ST_TYPE(s->st_info) == STT_SECTION)
				CHECK_STR(nf_elf_sym_name(&e, s), ew_sec_name(d, &ew_shdrs(d)[s->st_shndx]));
			else if (s->st_name)
				CHECK_STR(nf_elf_sym_name(&e, s), str + s->st_name);
		}
		CHECK(nf_elf_sym(&e, e.nsyms) == NULL);
		CHECK_STR(nf_elf_sec_name(&e, e.shnum), "");
		CHECK_STR(nf_elf_sec_name(&e, 0), "");
		CHECK_EQ(nf_elf_find_sec(&e, "no such section"), -1);
		size_t n;
		CHECK(nf_elf_sec_data(&e, e.shnum + 5, &n) == NULL && n == 0);
	}
	free(d);
}

static void test_alignment(void)
{
	T_CASE("elf: a misaligned buffer is refused by the reader, copied by nf_obj_parse") {
		size_t len;
		uint8_t *d = t_read_file(t_fixture("globals"), &len);
		REQUIRE(d != NULL);
		uint8_t *shifted = malloc(len + 1);
		memcpy(shifted + 1, d, len);
		struct nf_elf e;
		CHECK_EQ(nf_elf_open(&e, shifted + 1, len), -EINVAL);
		CHECK(strstr(nf_lasterr(), "aligned") != NULL);
		struct nf_obj o;
		CHECK_EQ(nf_obj_parse(&o, shifted + 1, len), 0);
		if (o.nprogs)
			nf_obj_free(&o);
		free(shifted);
		free(d);
	}
}

int main(void)
{
	test_fixture("globals");
	test_fixture("maps");
	test_fixture("core_kinds");
	test_alignment();
	return t_summary();
}
