/* Test-side ELF lookups, written independently of loader/elf_read.c so the
 * tests compare the loader against a second reading of the file. */
#ifndef NF_TEST_ELF_WALK_H
#define NF_TEST_ELF_WALK_H
#include <elf.h>
#include <stdint.h>
#include <string.h>

static inline const Elf64_Shdr *ew_shdrs(const void *elf)
{
	const Elf64_Ehdr *eh = elf;
	return (const Elf64_Shdr *)((const char *)elf + eh->e_shoff);
}

static inline const char *ew_sec_name(const void *elf, const Elf64_Shdr *s)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh = ew_shdrs(elf);
	return (const char *)elf + sh[eh->e_shstrndx].sh_offset + s->sh_name;
}

static inline int ew_sec_idx(const void *elf, const char *name)
{
	const Elf64_Ehdr *eh = elf;
	for (int i = 1; i < eh->e_shnum; i++)
		if (!strcmp(ew_sec_name(elf, &ew_shdrs(elf)[i]), name))
			return i;
	return -1;
}

static inline const Elf64_Shdr *ew_sec(const void *elf, const char *name)
{
	int i = ew_sec_idx(elf, name);
	return i < 0 ? NULL : &ew_shdrs(elf)[i];
}

static inline const Elf64_Shdr *ew_symtab(const void *elf, const char **strtab, size_t *n)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh = ew_shdrs(elf);
	*strtab = "";
	*n = 0;
	for (int i = 1; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB) {
			*strtab = (const char *)elf + sh[sh[i].sh_link].sh_offset;
			*n = sh[i].sh_size / sizeof(Elf64_Sym);
			return &sh[i];
		}
	return NULL;
}

/* The symbol with this name (not a section symbol). */
static inline const Elf64_Sym *ew_sym(const void *elf, const char *name)
{
	const char *str;
	size_t n;
	const Elf64_Shdr *st = ew_symtab(elf, &str, &n);
	if (!st)
		return NULL;
	const Elf64_Sym *s = (const Elf64_Sym *)((const char *)elf + st->sh_offset);
	for (size_t i = 1; i < n; i++)
		if (s[i].st_name && !strcmp(str + s[i].st_name, name))
			return &s[i];
	return NULL;
}

#endif
