/* ELF64 header, section table and symbol table checks, shared by the
 * readers of BPF objects and of host binaries. */
#include <errno.h>
#include <string.h>
#include "elf_check.h"
#include "log.h"

int nf_elf_bad(const char *what)
{
	nf_seterr("bad ELF: %s", what);
	return -EINVAL;
}

int nf_elf_strtab_ok(const char *s, size_t len)
{
	return len == 0 || s[len - 1] == '\0';
}

static int one_of(uint16_t v, const uint16_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t len, const struct nf_elf_rules *r)
{
	if (len < sizeof(*eh))
		return nf_elf_bad("shorter than the ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return nf_elf_bad("no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return nf_elf_bad("not ELF64 little-endian");
	if (!one_of(eh->e_machine, r->machines, r->nmachines))
		return nf_elf_bad(r->machine_err);
	if (r->types && !one_of(eh->e_type, r->types, r->ntypes))
		return nf_elf_bad(r->type_err);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return nf_elf_bad("section header size");
	if (eh->e_shnum == 0 || eh->e_shnum > r->max_sections)
		return nf_elf_bad("section count");
	if (eh->e_shoff % 8 || !nf_elf_in_range(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len))
		return nf_elf_bad("section header table out of range");
	if (eh->e_shoff < sizeof(*eh))
		return nf_elf_bad("section headers overlap the ELF header");
	if (eh->e_shstrndx >= eh->e_shnum)
		return nf_elf_bad("section name table index");
	return 0;
}

int nf_elf_open_secs(struct nf_elf *e, const void *data, size_t len, const struct nf_elf_rules *r)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->data = data;
	e->len = len;
	e->eh = data;
	e->symtab_idx = -1;
	if ((uintptr_t)data % 8)
		return nf_elf_bad("buffer not aligned");
	if ((err = check_header(e->eh, len, r)))
		return err;
	e->sh = (const Elf64_Shdr *)(e->data + e->eh->e_shoff);
	e->shnum = e->eh->e_shnum;
	const Elf64_Shdr *ss = &e->sh[e->eh->e_shstrndx];
	if (ss->sh_type != SHT_STRTAB || !nf_elf_in_range(ss->sh_offset, ss->sh_size, len))
		return nf_elf_bad("section name table");
	e->shstr = (const char *)e->data + ss->sh_offset;
	e->shstr_len = ss->sh_size;
	if (!nf_elf_strtab_ok(e->shstr, e->shstr_len))
		return nf_elf_bad("section name table not terminated");
	return 0;
}

int nf_elf_check_sec(const struct nf_elf *e, uint32_t idx)
{
	const Elf64_Shdr *sh = &e->sh[idx];

	if (sh->sh_type != SHT_NOBITS && !nf_elf_in_range(sh->sh_offset, sh->sh_size, e->len))
		return nf_elf_bad("section data out of range");
	if (sh->sh_name >= e->shstr_len)
		return nf_elf_bad("section name offset out of range");
	return 0;
}

int nf_elf_open_symtab(struct nf_elf_symtab *t, const struct nf_elf *e, uint32_t idx)
{
	const Elf64_Shdr *sh = &e->sh[idx];

	memset(t, 0, sizeof(*t));
	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_size % sizeof(Elf64_Sym) || sh->sh_offset % 8 ||
	    !nf_elf_in_range(sh->sh_offset, sh->sh_size, e->len) || sh->sh_size / sizeof(Elf64_Sym) > UINT32_MAX)
		return nf_elf_bad("symbol table layout");
	if (sh->sh_link == 0 || sh->sh_link >= e->shnum)
		return nf_elf_bad("symbol string table link");
	const Elf64_Shdr *str = &e->sh[sh->sh_link];
	if (str->sh_type != SHT_STRTAB || !nf_elf_in_range(str->sh_offset, str->sh_size, e->len))
		return nf_elf_bad("symbol string table link");
	t->syms = (const Elf64_Sym *)(e->data + sh->sh_offset);
	t->nsyms = (uint32_t)(sh->sh_size / sizeof(Elf64_Sym));
	t->str = (const char *)e->data + str->sh_offset;
	t->str_len = str->sh_size;
	if (!nf_elf_strtab_ok(t->str, t->str_len))
		return nf_elf_bad("symbol string table not terminated");
	return 0;
}

int nf_elf_check_sym_names(const struct nf_elf_symtab *t)
{
	for (uint32_t i = 0; i < t->nsyms; i++)
		if (t->syms[i].st_name >= t->str_len && t->syms[i].st_name)
			return nf_elf_bad("symbol name offset out of range");
	return 0;
}
