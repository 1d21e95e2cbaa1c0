/* ELF64 reader: validation up front, trivial accessors after. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "elf_read.h"
#include "log.h"

#define NF_ELF_MAX_SECTIONS 4096

static int bad(const char *what)
{
	nf_seterr("bad ELF: %s", what);
	return -EINVAL;
}

/* off + size within len, without overflow. */
static int in_range(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int check_header(const struct nf_elf *e)
{
	const Elf64_Ehdr *eh = e->eh;

	if (e->len < sizeof(*eh))
		return bad("shorter than the ELF header");
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return bad("no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad("not ELF64 little-endian");
	if (eh->e_machine != EM_BPF)
		return bad("machine is not BPF");
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return bad("section header size");
	if (eh->e_shnum == 0 || eh->e_shnum > NF_ELF_MAX_SECTIONS)
		return bad("section count");
	if (eh->e_shoff % 8 || !in_range(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), e->len))
		return bad("section header table out of range");
	if (eh->e_shoff < sizeof(*eh))
		return bad("section headers overlap the ELF header");
	if (eh->e_shstrndx >= eh->e_shnum)
		return bad("section name table index");
	return 0;
}

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* File-backed sections, the ELF header and the section header table must
 * not overlap each other. */
static int check_overlaps(const struct nf_elf *e)
{
	uint64_t (*r)[2] = calloc(e->shnum + 2, sizeof(*r));
	size_t n = 0;
	int err = 0;

	if (!r)
		return -ENOMEM;
	r[n][0] = 0;
	r[n++][1] = sizeof(Elf64_Ehdr);
	r[n][0] = e->eh->e_shoff;
	r[n++][1] = e->eh->e_shoff + (uint64_t)e->shnum * sizeof(Elf64_Shdr);
	for (uint32_t i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type == SHT_NOBITS || s->sh_type == SHT_NULL || s->sh_size == 0)
			continue;
		r[n][0] = s->sh_offset;
		r[n++][1] = s->sh_offset + s->sh_size;
	}
	qsort(r, n, sizeof(*r), cmp_u64_pair);
	for (size_t i = 1; i < n; i++)
		if (r[i][0] < r[i - 1][1])
			err = bad("overlapping sections");
	free(r);
	return err;
}

static int check_strtab(const char *s, size_t len)
{
	return len == 0 || s[len - 1] == '\0';
}

static int check_sections(struct nf_elf *e)
{
	for (uint32_t i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_NOBITS && !in_range(s->sh_offset, s->sh_size, e->len))
			return bad("section data out of range");
		if (s->sh_name >= e->shstr_len)
			return bad("section name offset out of range");
		/* Instructions are read in place as struct bpf_insn. */
		if (nf_elf_sec_is_exec(e, i) && s->sh_offset % 8)
			return bad("code section not 8-byte aligned");
	}
	return check_overlaps(e);
}

static int load_symtab(struct nf_elf *e)
{
	e->symtab_idx = -1;
	for (uint32_t i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_SYMTAB)
			continue;
		if (e->symtab_idx >= 0)
			return bad("more than one symbol table");
		if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) || s->sh_offset % 8)
			return bad("symbol table layout");
		if (s->sh_link == 0 || s->sh_link >= e->shnum || e->sh[s->sh_link].sh_type != SHT_STRTAB)
			return bad("symbol string table link");
		e->symtab_idx = (int)i;
		e->syms = (const Elf64_Sym *)(e->data + s->sh_offset);
		e->nsyms = (uint32_t)(s->sh_size / sizeof(Elf64_Sym));
		e->strtab = (const char *)e->data + e->sh[s->sh_link].sh_offset;
		e->strtab_len = e->sh[s->sh_link].sh_size;
		if (!check_strtab(e->strtab, e->strtab_len))
			return bad("symbol string table not terminated");
	}
	for (uint32_t i = 0; i < e->nsyms; i++)
		if (e->syms[i].st_name >= e->strtab_len && e->syms[i].st_name)
			return bad("symbol name offset out of range");
	return 0;
}

static int check_rels(const struct nf_elf *e)
{
	for (uint32_t i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_REL)
			continue;
		if (s->sh_entsize != sizeof(Elf64_Rel) || s->sh_size % sizeof(Elf64_Rel) || s->sh_offset % 8)
			return bad("relocation section layout");
		if (s->sh_info >= e->shnum || (int)s->sh_link != e->symtab_idx)
			return bad("relocation section links");
		size_t n = s->sh_size / sizeof(Elf64_Rel);
		const Elf64_Rel *r = (const Elf64_Rel *)(e->data + s->sh_offset);
		for (size_t k = 0; k < n; k++)
			if (ELF64_R_SYM(r[k].r_info) >= e->nsyms)
				return bad("relocation symbol index out of range");
	}
	return 0;
}

int nf_elf_open(struct nf_elf *e, const void *data, size_t len)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->data = data;
	e->len = len;
	e->eh = data;
	e->symtab_idx = -1;
	if ((uintptr_t)data % 8)
		return bad("buffer not aligned");
	if ((err = check_header(e)))
		return err;
	e->sh = (const Elf64_Shdr *)(e->data + e->eh->e_shoff);
	e->shnum = e->eh->e_shnum;
	const Elf64_Shdr *ss = &e->sh[e->eh->e_shstrndx];
	if (ss->sh_type != SHT_STRTAB || !in_range(ss->sh_offset, ss->sh_size, len))
		return bad("section name table");
	e->shstr = (const char *)e->data + ss->sh_offset;
	e->shstr_len = ss->sh_size;
	if (!check_strtab(e->shstr, e->shstr_len))
		return bad("section name table not terminated");
	if ((err = check_sections(e)) || (err = load_symtab(e)) || (err = check_rels(e)))
		return err;
	return 0;
}

const char *nf_elf_sec_name(const struct nf_elf *e, uint32_t idx)
{
	if (idx >= e->shnum || idx == 0)
		return "";
	return e->shstr + e->sh[idx].sh_name;
}

const void *nf_elf_sec_data(const struct nf_elf *e, uint32_t idx, size_t *len)
{
	*len = 0;
	if (idx >= e->shnum || idx == 0 || e->sh[idx].sh_type == SHT_NOBITS)
		return NULL;
	*len = e->sh[idx].sh_size;
	return e->data + e->sh[idx].sh_offset;
}

int nf_elf_find_sec(const struct nf_elf *e, const char *name)
{
	for (uint32_t i = 1; i < e->shnum; i++)
		if (!strcmp(nf_elf_sec_name(e, i), name))
			return (int)i;
	return -1;
}

int nf_elf_sec_is_exec(const struct nf_elf *e, uint32_t idx)
{
	return idx > 0 && idx < e->shnum && e->sh[idx].sh_type == SHT_PROGBITS &&
	       (e->sh[idx].sh_flags & SHF_EXECINSTR);
}

const Elf64_Sym *nf_elf_sym(const struct nf_elf *e, uint32_t idx)
{
	return idx < e->nsyms ? &e->syms[idx] : NULL;
}

const char *nf_elf_sym_name(const struct nf_elf *e, const Elf64_Sym *sym)
{
	if (ELF64_ST_TYPE(sym->st_info) == STT_SECTION)
		return nf_elf_sec_name(e, sym->st_shndx);
	return sym->st_name ? e->strtab + sym->st_name : "";
}

const Elf64_Rel *nf_elf_rels(const struct nf_elf *e, uint32_t idx, size_t *n)
{
	*n = 0;
	if (idx == 0 || idx >= e->shnum || e->sh[idx].sh_type != SHT_REL)
		return NULL;
	*n = e->sh[idx].sh_size / sizeof(Elf64_Rel);
	return (const Elf64_Rel *)(e->data + e->sh[idx].sh_offset);
}
