/* Bounds-checked ELF64 little-endian primitives over a memory buffer
 * (pure), shared by the BPF object reader (elf_read.c) and the host binary
 * reader (elf_sym.c). Both keep the header and the section table in a
 * struct nf_elf (elf_read.h); each says what it accepts in a struct
 * nf_elf_rules. Errors are -EINVAL with "bad ELF: ..." in nf_lasterr(). */
#ifndef NF_ELF_CHECK_H
#define NF_ELF_CHECK_H
#include "elf_read.h"

struct nf_elf_rules {
	const uint16_t *machines;   /* accepted e_machine values */
	size_t nmachines;
	const char *machine_err;    /* the message when it is none of them */
	const uint16_t *types;      /* accepted e_type values; NULL: any */
	size_t ntypes;
	const char *type_err;
	uint32_t max_sections;
};

/* A symbol table with its string table (terminated). */
struct nf_elf_symtab {
	const Elf64_Sym *syms;
	uint32_t nsyms;
	const char *str;
	size_t str_len;
};

/* off + size within len, without overflow. */
static inline int nf_elf_in_range(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* Sets "bad ELF: what"; returns -EINVAL. */
int nf_elf_bad(const char *what);
/* An empty table, or one that ends in NUL (so every offset in it is a string). */
int nf_elf_strtab_ok(const char *s, size_t len);
/* Buffer alignment, the ELF header against the rules, the section header
 * table and the section name table: e's fields up to shstr_len (the
 * symbol table ones are cleared). Those found are set even on failure. */
int nf_elf_open_secs(struct nf_elf *e, const void *data, size_t len, const struct nf_elf_rules *r);
/* Section idx (0 < idx < shnum): its data inside the buffer (unless
 * NOBITS), its name inside the name table. */
int nf_elf_check_sec(const struct nf_elf *e, uint32_t idx);
/* Section idx read as a table of Elf64_Sym linked to a string table. The
 * symbols' name offsets are checked by nf_elf_check_sym_names(). */
int nf_elf_open_symtab(struct nf_elf_symtab *t, const struct nf_elf *e, uint32_t idx);
int nf_elf_check_sym_names(const struct nf_elf_symtab *t);

#endif
