/* Host ELF symbols: headers and tables checked once in nf_host_elf_open(),
 * then linear scans (a lookup is rare: one per probe placed; a symbol's
 * version is read only when its name matches). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "elf_sym.h"
#include "log.h"

#define VERSYM_HIDDEN 0x8000 /* not the default version: foo@V */
#define VERSYM_INDEX 0x7fff

static const uint16_t host_machines[] = { EM_X86_64, EM_AARCH64 };
static const uint16_t host_types[] = { ET_EXEC, ET_DYN };
static const struct nf_elf_rules host_rules = {
	.machines = host_machines,
	.nmachines = 2,
	.machine_err = "machine is not x86_64 or aarch64",
	.types = host_types,
	.ntypes = 2,
	.type_err = "not an executable or a shared library",
	/* e_shnum from SHN_LORESERVE up is extended numbering: not read. */
	.max_sections = SHN_LORESERVE - 1,
};

static int load_phdrs(struct nf_host_elf *h)
{
	const Elf64_Ehdr *eh = h->elf.eh;
	int loads = 0;

	if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return nf_elf_bad("program header count");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return nf_elf_bad("program header size");
	if (eh->e_phoff % 8 || eh->e_phoff < sizeof(*eh) ||
	    !nf_elf_in_range(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), h->elf.len))
		return nf_elf_bad("program header table out of range");
	h->ph = (const Elf64_Phdr *)(h->elf.data + eh->e_phoff);
	h->phnum = eh->e_phnum;
	for (uint32_t i = 0; i < h->phnum; i++) {
		const Elf64_Phdr *p = &h->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (!nf_elf_in_range(p->p_offset, p->p_filesz, h->elf.len))
			return nf_elf_bad("loadable segment out of range");
		loads++;
	}
	return loads ? 0 : nf_elf_bad("no loadable segment");
}

static int load_symtab(struct nf_elf_symtab *t, const struct nf_elf *e, uint32_t idx)
{
	int err;

	if (idx == 0)
		return 0;
	if ((err = nf_elf_open_symtab(t, e, idx)) || (err = nf_elf_check_sym_names(t)))
		return err;
	return 0;
}

/* .gnu.version: one index per .dynsym entry. */
static int load_versym(struct nf_host_elf *h, uint32_t idx, uint32_t dynsym_idx)
{
	const Elf64_Shdr *sh = &h->elf.sh[idx];

	if (dynsym_idx == 0 || sh->sh_link != dynsym_idx)
		return nf_elf_bad("symbol version table link");
	if (sh->sh_offset % 2 || sh->sh_size != (uint64_t)h->dynsym.nsyms * 2)
		return nf_elf_bad("symbol version table size");
	h->versym = (const uint16_t *)(h->elf.data + sh->sh_offset);
	return 0;
}

static const void *verdef_part(const struct nf_host_elf *h, uint64_t off, size_t size)
{
	if (off % 4 || !nf_elf_in_range(off, size, h->verdef_len))
		return NULL;
	return h->verdef + off;
}

/* Walks the version definitions to the one with index ndx (0: through
 * them all). Its name; "" when no definition has that index; NULL when
 * one does not fit in the section. */
static const char *walk_verdefs(const struct nf_host_elf *h, uint16_t ndx)
{
	uint64_t off = 0;

	for (uint32_t k = 0; k < h->verdef_num; k++) {
		const Elf64_Verdef *vd = verdef_part(h, off, sizeof(*vd));
		const Elf64_Verdaux *va = vd ? verdef_part(h, off + vd->vd_aux, sizeof(*va)) : NULL;
		if (!va || vd->vd_version != VER_DEF_CURRENT || va->vda_name >= h->verstr_len)
			return NULL;
		if (ndx && vd->vd_ndx == ndx)
			return h->verstr + va->vda_name;
		if (vd->vd_next == 0) /* the last: as many as sh_info counts */
			return k + 1 == h->verdef_num ? "" : NULL;
		if (vd->vd_next < sizeof(*vd))
			return NULL;
		off += vd->vd_next;
	}
	return "";
}

/* .gnu.version_d: the names of the versions this file defines. */
static int load_verdef(struct nf_host_elf *h, uint32_t idx)
{
	const Elf64_Shdr *sh = &h->elf.sh[idx];

	if (sh->sh_link == 0 || sh->sh_link >= h->elf.shnum || h->elf.sh[sh->sh_link].sh_type != SHT_STRTAB)
		return nf_elf_bad("version definition string table link");
	const Elf64_Shdr *str = &h->elf.sh[sh->sh_link];
	h->verstr = (const char *)h->elf.data + str->sh_offset;
	h->verstr_len = str->sh_size;
	if (!nf_elf_strtab_ok(h->verstr, h->verstr_len))
		return nf_elf_bad("version definition strings not terminated");
	if (sh->sh_offset % 4)
		return nf_elf_bad("version definitions misaligned");
	h->verdef = h->elf.data + sh->sh_offset;
	h->verdef_len = sh->sh_size;
	h->verdef_num = sh->sh_info;
	if (!walk_verdefs(h, 0))
		return nf_elf_bad("version definitions out of range");
	return 0;
}

/* At most one table of each kind, by section type (names may be anything). */
static int load_tables(struct nf_host_elf *h)
{
	uint32_t dynsym = 0, symtab = 0, versym = 0, verdef = 0;
	int err;

	for (uint32_t i = 1; i < h->elf.shnum; i++) {
		uint32_t type = h->elf.sh[i].sh_type;
		uint32_t *slot = type == SHT_DYNSYM ? &dynsym : type == SHT_SYMTAB ? &symtab :
				 type == SHT_GNU_versym ? &versym : type == SHT_GNU_verdef ? &verdef : NULL;
		if (!slot)
			continue;
		if (*slot)
			return nf_elf_bad("two symbol or version tables of one kind");
		*slot = i;
	}
	if ((err = load_symtab(&h->dynsym, &h->elf, dynsym)) || (err = load_symtab(&h->symtab, &h->elf, symtab)))
		return err;
	if (versym && (err = load_versym(h, versym, dynsym)))
		return err;
	if (verdef && (err = load_verdef(h, verdef)))
		return err;
	return 0;
}

int nf_host_elf_open(struct nf_host_elf *h, const void *data, size_t len)
{
	int err;

	memset(h, 0, sizeof(*h));
	if ((err = nf_elf_open_secs(&h->elf, data, len, &host_rules)))
		return err;
	h->machine = h->elf.eh->e_machine;
	h->type = h->elf.eh->e_type;
	for (uint32_t i = 1; i < h->elf.shnum; i++)
		if ((err = nf_elf_check_sec(&h->elf, i)))
			return err;
	if ((err = load_phdrs(h)) || (err = load_tables(h)))
		return err;
	return 0;
}

/* ---- symbols ---------------------------------------------------------- */

static int is_function(const Elf64_Sym *s)
{
	int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF && s->st_value &&
	       s->st_name && (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_LOCAL || bind == STB_GNU_UNIQUE);
}

/* Entry pos of .dynsym then .symtab when it is a defined function: its
 * name and info are set, not yet its version; else NULL. */
static const Elf64_Sym *function_at(const struct nf_host_elf *h, size_t pos, struct nf_host_sym *out)
{
	int dynamic = pos < h->dynsym.nsyms;
	const struct nf_elf_symtab *t = dynamic ? &h->dynsym : &h->symtab;
	const Elf64_Sym *s = &t->syms[dynamic ? pos : pos - h->dynsym.nsyms];

	if (!is_function(s))
		return NULL;
	const char *name = t->str + s->st_name, *at = strchr(name, '@');
	out->name = name;
	out->name_len = at ? (size_t)(at - name) : strlen(name);
	out->version = NULL;
	out->hidden = 0;
	out->dynamic = dynamic;
	out->info = (struct nf_elf_sym_info){ .vaddr = s->st_value, .file_off = NF_ELF_NO_OFF, .size = s->st_size,
					      .bind = ELF64_ST_BIND(s->st_info), .type = ELF64_ST_TYPE(s->st_info) };
	return s;
}

static void dynsym_version(const struct nf_host_elf *h, size_t i, struct nf_host_sym *out)
{
	uint16_t v = h->versym ? h->versym[i] : VER_NDX_GLOBAL;
	const char *name = "";

	/* Indexes 0 (local) and 1 (global) are "no version". */
	if ((v & VERSYM_INDEX) > VER_NDX_GLOBAL && !(name = walk_verdefs(h, v & VERSYM_INDEX)))
		name = "";
	out->version = name;
	out->hidden = !!(v & VERSYM_HIDDEN);
}

/* A .symtab name without "@": GNU ld writes versioned ones as foo@V and
 * foo@@V, lld as plain foo for each; the .dynsym entry of that name at
 * that address tells which. */
static void symtab_version(const struct nf_host_elf *h, const Elf64_Sym *s, const char *name,
			   struct nf_host_sym *out)
{
	out->version = "";
	for (uint32_t i = 1; i < h->dynsym.nsyms; i++) {
		const Elf64_Sym *d = &h->dynsym.syms[i];
		if (d->st_value == s->st_value && d->st_name && !strcmp(h->dynsym.str + d->st_name, name)) {
			dynsym_version(h, i, out);
			return;
		}
	}
}

static void set_version(const struct nf_host_elf *h, size_t pos, const Elf64_Sym *s, struct nf_host_sym *out)
{
	const char *at = out->name + out->name_len;

	if (*at == '@') {
		out->hidden = at[1] != '@';
		out->version = at + 1 + !out->hidden;
	} else if (out->dynamic) {
		dynsym_version(h, pos, out);
	} else {
		symtab_version(h, s, out->name, out);
	}
}

/* "foo", "foo@V" or "foo@@V". */
struct query {
	const char *base;
	size_t len;
	const char *version;  /* NULL: any, ranked default first */
	int want_default;
};

static void parse_query(const char *name, struct query *q)
{
	const char *at = strchr(name, '@');

	q->base = name;
	q->len = at ? (size_t)(at - name) : strlen(name);
	q->want_default = at && at[1] == '@';
	q->version = at ? at + 1 + q->want_default : NULL;
}

/* The next function from *pos on that q names. */
static int find(const struct nf_host_elf *h, const struct query *q, size_t *pos, struct nf_host_sym *out)
{
	size_t total = (size_t)h->dynsym.nsyms + h->symtab.nsyms;

	while (q->len && *pos < total) {
		size_t i = (*pos)++;
		const Elf64_Sym *s = function_at(h, i, out);
		if (!s || out->name_len != q->len || memcmp(out->name, q->base, q->len))
			continue;
		set_version(h, i, s, out);
		if (!q->version || (!strcmp(out->version, q->version) && !(q->want_default && out->hidden)))
			return 1;
	}
	return 0;
}

/* Lower is better: the default version first, then GLOBAL, WEAK, LOCAL. */
static int rank(const struct nf_host_sym *s)
{
	int bind = s->info.bind == STB_WEAK ? 1 : s->info.bind == STB_LOCAL ? 2 : 0;
	return s->hidden * 3 + bind;
}

static const Elf64_Phdr *segment_of(const struct nf_host_elf *h, uint64_t vaddr)
{
	const Elf64_Phdr *found = NULL;

	for (uint32_t i = 0; i < h->phnum; i++) {
		const Elf64_Phdr *p = &h->ph[i];
		if (p->p_type != PT_LOAD || vaddr < p->p_vaddr || vaddr - p->p_vaddr >= p->p_filesz)
			continue;
		if (!found || ((p->p_flags & PF_X) && !(found->p_flags & PF_X)))
			found = p;
	}
	return found;
}

/* p's p_offset + p_filesz was checked against the buffer at open. */
static int off_in(const Elf64_Phdr *p, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	if (!p || size > p->p_filesz - (vaddr - p->p_vaddr))
		return -EINVAL;
	*off = vaddr - p->p_vaddr + p->p_offset;
	return 0;
}

int nf_host_elf_file_off(const struct nf_host_elf *h, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	if (off_in(segment_of(h, vaddr), vaddr, size, off)) {
		nf_seterr("0x%" PRIx64 " (%" PRIu64 " bytes) is not inside a loadable segment", vaddr, size);
		return -EINVAL;
	}
	return 0;
}

int nf_host_elf_lookup(const struct nf_host_elf *h, const char *name, struct nf_elf_sym_info *out)
{
	struct query q;
	struct nf_host_sym s, best = { 0 };
	int best_rank = -1;
	uint64_t other = 0; /* another address at best's rank (values are never 0) */

	parse_query(name, &q);
	for (size_t pos = 0; find(h, &q, &pos, &s);) {
		int r = rank(&s);
		if (best_rank < 0 || r < best_rank) {
			best = s;
			best_rank = r;
			other = 0;
		} else if (r == best_rank && s.info.vaddr != best.info.vaddr) {
			other = s.info.vaddr;
		}
	}
	if (best_rank < 0) {
		nf_seterr("symbol %s not found%s", name,
			  h->dynsym.nsyms || h->symtab.nsyms ? "" : " (the file has no symbol table)");
		return -ENOENT;
	}
	if (other) {
		nf_seterr("symbol %s defined twice (0x%" PRIx64 " and 0x%" PRIx64 ")%s", name, best.info.vaddr, other,
			  best.hidden ? ", neither the default version: name one, as name@VERSION" : "");
		return -EINVAL;
	}
	if (off_in(segment_of(h, best.info.vaddr), best.info.vaddr, best.info.size, &best.info.file_off)) {
		nf_seterr("symbol %s at 0x%" PRIx64 " (%" PRIu64 " bytes) is not inside a loadable segment", name,
			  best.info.vaddr, best.info.size);
		return -EINVAL;
	}
	*out = best.info;
	return 0;
}

int nf_host_elf_has(const struct nf_host_elf *h, const char *name)
{
	struct query q;
	struct nf_host_sym s;
	size_t pos = 0;

	parse_query(name, &q);
	return find(h, &q, &pos, &s);
}

int nf_host_elf_next(const struct nf_host_elf *h, size_t *pos, struct nf_host_sym *out)
{
	size_t total = (size_t)h->dynsym.nsyms + h->symtab.nsyms;

	while (*pos < total) {
		size_t i = (*pos)++;
		const Elf64_Sym *s = function_at(h, i, out);
		if (!s)
			continue;
		set_version(h, i, s, out);
		/* file_off stays NF_ELF_NO_OFF outside every segment. */
		(void)off_in(segment_of(h, out->info.vaddr), out->info.vaddr, out->info.size, &out->info.file_off);
		return 1;
	}
	return 0;
}
