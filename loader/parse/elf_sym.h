/* Function symbols of host executables and shared libraries (pure): for a
 * name, the file offset a uprobe is placed at and the function's size.
 * ELF64 little-endian, ET_EXEC or ET_DYN, x86_64 or aarch64. Works in
 * place over the caller's buffer (a read-only mapping of the file): every
 * offset, index, count and string is checked, the buffer may hold any
 * bytes. Reads .dynsym (with .gnu.version and .gnu.version_d) and .symtab.
 *
 * A name is looked up as "foo" (the default version, foo@@V, or an
 * unversioned foo; a hidden foo@V only when foo has no default version),
 * "foo@V" (version V, default or hidden) or "foo@@V" (V, the default).
 * Only defined STT_FUNC and STT_GNU_IFUNC symbols with a non-zero value
 * count; GLOBAL wins over WEAK, WEAK over LOCAL; two at the same rank with
 * different addresses are an error. */
#ifndef NF_ELF_SYM_H
#define NF_ELF_SYM_H
#include "elf_check.h"

/* file_off of a symbol outside every PT_LOAD (nf_host_elf_next only). */
#define NF_ELF_NO_OFF UINT64_MAX

struct nf_elf_sym_info {
	uint64_t vaddr;     /* st_value */
	uint64_t file_off;  /* of the first byte; file_off + size is inside the buffer */
	uint64_t size;      /* st_size */
	int bind;           /* STB_GLOBAL, STB_WEAK, STB_LOCAL, STB_GNU_UNIQUE */
	int type;           /* STT_FUNC, or STT_GNU_IFUNC: the value is the resolver's */
};

struct nf_host_elf {
	struct nf_elf elf;            /* header and sections; its symbol table fields unused */
	uint16_t machine;             /* EM_X86_64 or EM_AARCH64 */
	uint16_t type;                /* ET_EXEC or ET_DYN */
	const Elf64_Phdr *ph;
	uint32_t phnum;
	struct nf_elf_symtab dynsym;  /* empty when there is none */
	struct nf_elf_symtab symtab;
	const uint16_t *versym;       /* one per .dynsym entry, or NULL */
	const uint8_t *verdef;        /* SHT_GNU_verdef data, or NULL */
	size_t verdef_len;
	uint32_t verdef_num;
	const char *verstr;           /* the version names' string table */
	size_t verstr_len;
};

/* One defined function symbol, as nf_host_elf_next() yields it. */
struct nf_host_sym {
	const char *name;       /* as stored: in .symtab it may end in "@V" or "@@V" */
	size_t name_len;        /* without that version */
	const char *version;    /* "" when unversioned */
	int hidden;             /* a non-default version (foo@V) */
	int dynamic;            /* from .dynsym, else from .symtab */
	struct nf_elf_sym_info info;  /* file_off NF_ELF_NO_OFF when in no PT_LOAD */
};

/* 0, or -EINVAL with nf_lasterr() set. data must stay mapped while h is used. */
int nf_host_elf_open(struct nf_host_elf *h, const void *data, size_t len);
/* 0; -ENOENT when no such function; -EINVAL when it is defined twice at
 * different addresses, or lies outside every loadable segment. */
int nf_host_elf_lookup(const struct nf_host_elf *h, const char *name, struct nf_elf_sym_info *out);
/* 1 when the file defines the function name (as the lookup reads it), 0
 * otherwise; stops at the first match, sets no error. */
int nf_host_elf_has(const struct nf_host_elf *h, const char *name);
/* Every defined function symbol, .dynsym first: *pos starts at 0; 1 with
 * *out set, 0 at the end. */
int nf_host_elf_next(const struct nf_host_elf *h, size_t *pos, struct nf_host_sym *out);
/* The file offset of [vaddr, vaddr + size) through the PT_LOAD that holds
 * it (an executable one first): 0, or -EINVAL. */
int nf_host_elf_file_off(const struct nf_host_elf *h, uint64_t vaddr, uint64_t size, uint64_t *off);

#endif
