/* A strict ELF64 little-endian reader over a memory buffer (pure). Every
 * offset, size and index is checked once in nf_elf_open(); afterwards the
 * accessors are safe to call with any index. */
#ifndef NF_ELF_READ_H
#define NF_ELF_READ_H
#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct nf_elf {
	const uint8_t *data;        /* not owned; must be 8-byte aligned */
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint32_t shnum;
	const char *shstr;
	size_t shstr_len;
	int symtab_idx;             /* -1 when there is none */
	const Elf64_Sym *syms;
	uint32_t nsyms;
	const char *strtab;
	size_t strtab_len;
};

/* 0, or -EINVAL with nf_lasterr() set. */
int nf_elf_open(struct nf_elf *e, const void *data, size_t len);
/* "" for an index out of range. */
const char *nf_elf_sec_name(const struct nf_elf *e, uint32_t idx);
/* Section bytes; NULL for NOBITS or an index out of range. */
const void *nf_elf_sec_data(const struct nf_elf *e, uint32_t idx, size_t *len);
/* Index of the first section with this name, or -1. */
int nf_elf_find_sec(const struct nf_elf *e, const char *name);
int nf_elf_sec_is_exec(const struct nf_elf *e, uint32_t idx);
const Elf64_Sym *nf_elf_sym(const struct nf_elf *e, uint32_t idx); /* NULL if out of range */
const char *nf_elf_sym_name(const struct nf_elf *e, const Elf64_Sym *sym);
/* The relocation entries of SHT_REL section idx; NULL (n = 0) otherwise. */
const Elf64_Rel *nf_elf_rels(const struct nf_elf *e, uint32_t idx, size_t *n);

#endif
