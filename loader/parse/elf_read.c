/* ELF64 reader: validation up front, trivial accessors after. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "elf_check.h"
#include "elf_read.h"
#include "log.h"

#define NF_ELF_MAX_SECTIONS 4096

static const uint16_t bpf_machine[] = { EM_BPF };
static const struct nf_elf_rules bpf_rules = {
	.machines = bpf_machine,
	.nmachines = 1,
	.machine_err = "machine is not BPF",
	.max_sections = NF_ELF_MAX_SECTIONS,
};

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
			err = nf_elf_bad("overlapping sections");
	free(r);
	return err;
}

static int check_sections(const struct nf_elf *e)
{
	int err;

	for (uint32_t i = 1; i < e->shnum; i++) {
		if ((err = nf_elf_check_sec(e, i)))
			return err;
		/* Instructions are read in place as struct bpf_insn. */
		if (nf_elf_sec_is_exec(e, i) && e->sh[i].sh_offset % 8)
			return nf_elf_bad("code section not 8-byte aligned");
	}
	return check_overlaps(e);
}

static int load_symtab(struct nf_elf *e)
{
	struct nf_elf_symtab t = { 0 };
	int err;

	e->symtab_idx = -1;
	for (uint32_t i = 1; i < e->shnum; i++) {
		if (e->sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (e->symtab_idx >= 0)
			return nf_elf_bad("more than one symbol table");
		if ((err = nf_elf_open_symtab(&t, e, i)))
			return err;
		e->symtab_idx = (int)i;
		e->syms = t.syms;
		e->nsyms = t.nsyms;
		e->strtab = t.str;
		e->strtab_len = t.str_len;
	}
	return nf_elf_check_sym_names(&t);
}

static int check_rels(const struct nf_elf *e)
{
	for (uint32_t i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_REL)
			continue;
		if (s->sh_entsize != sizeof(Elf64_Rel) || s->sh_size % sizeof(Elf64_Rel) || s->sh_offset % 8)
			return nf_elf_bad("relocation section layout");
		if (s->sh_info >= e->shnum || (int)s->sh_link != e->symtab_idx)
			return nf_elf_bad("relocation section links");
		size_t n = s->sh_size / sizeof(Elf64_Rel);
		const Elf64_Rel *r = (const Elf64_Rel *)(e->data + s->sh_offset);
		for (size_t k = 0; k < n; k++)
			if (ELF64_R_SYM(r[k].r_info) >= e->nsyms)
				return nf_elf_bad("relocation symbol index out of range");
	}
	return 0;
}

int nf_elf_open(struct nf_elf *e, const void *data, size_t len)
{
	int err;

	if ((err = nf_elf_open_secs(e, data, len, &bpf_rules)) || (err = check_sections(e)) ||
	    (err = load_symtab(e)) || (err = check_rels(e)))
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
