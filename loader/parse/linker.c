/* Static linking of one program: its own instructions, then every
 * subprogram it calls (transitively), with call offsets fixed, map and
 * global-data references recorded and .BTF.ext records rebased. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "obj_int.h"

#define NF_MAX_INSNS (1u << 20)
#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)
#define CALL (BPF_JMP | BPF_CALL)

/* A function copied into the program: section insns [start, start+n) now
 * live at insns[out]. */
struct chunk {
	uint32_t sec, start, n, out;
};

struct linker {
	struct nf_obj_ctx *c;
	struct nf_prog_spec *p;
	struct chunk *chunks;
	uint32_t nchunks;
};

static int fail(const struct nf_prog_spec *p, const char *what)
{
	nf_seterr("program %s: %s", p->name, what);
	return -EINVAL;
}

static const struct bpf_insn *sec_insns(const struct nf_obj_ctx *c, uint32_t sec, uint32_t *n)
{
	size_t len;
	const void *d = nf_elf_sec_data(&c->elf, sec, &len);
	*n = (uint32_t)(len / sizeof(struct bpf_insn));
	return d;
}

/* The SHT_REL section that applies to sec, or 0. */
static uint32_t rel_sec_for(const struct nf_elf *e, uint32_t sec)
{
	for (uint32_t i = 1; i < e->shnum; i++)
		if (e->sh[i].sh_type == SHT_REL && e->sh[i].sh_info == sec)
			return i;
	return 0;
}

int nf_link_check_rels(const struct nf_obj_ctx *c)
{
	const struct nf_elf *e = &c->elf;

	for (uint32_t i = 1; i < e->shnum; i++) {
		size_t nr;
		const Elf64_Rel *r = nf_elf_rels(e, i, &nr);
		uint32_t sec = e->sh[i].sh_info, n;
		if (!r || !nf_elf_sec_is_exec(e, sec))
			continue;
		const struct bpf_insn *in = sec_insns(c, sec, &n);
		for (size_t k = 0; k < nr; k++) {
			uint64_t idx = r[k].r_offset / 8;
			if (r[k].r_offset % 8 || idx >= n ||
			    (in[idx].code != CALL && in[idx].code != LD_IMM64) ||
			    (in[idx].code == LD_IMM64 && idx + 1 >= n)) {
				nf_seterr("bad ELF: relocation at %s+%llu is not on a call or ld_imm64",
					  nf_elf_sec_name(e, sec), (unsigned long long)r[k].r_offset);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The function symbol of section sec that starts at insn idx. */
static const Elf64_Sym *func_at(const struct nf_elf *e, uint32_t sec, uint64_t idx)
{
	for (uint32_t i = 1; i < e->nsyms; i++) {
		const Elf64_Sym *s = &e->syms[i];
		if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx == sec && s->st_value == idx * 8)
			return s;
	}
	return NULL;
}

static int grow_insns(struct nf_prog_spec *p, uint32_t extra)
{
	if (extra > NF_MAX_INSNS - p->insn_cnt)
		return fail(p, "too many instructions");
	struct bpf_insn *ni = realloc(p->insns, (p->insn_cnt + extra) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	p->insns = ni;
	return 0;
}

static int add_chunk(struct linker *l, uint32_t sec, uint32_t start, uint32_t n)
{
	uint32_t total;
	const struct bpf_insn *src = sec_insns(l->c, sec, &total);
	struct chunk *nc;
	int err;

	if (!src || start > total || n > total - start || n == 0)
		return fail(l->p, "function outside its section");
	if ((err = grow_insns(l->p, n)))
		return err;
	nc = realloc(l->chunks, (l->nchunks + 1) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	l->chunks = nc;
	nc[l->nchunks++] = (struct chunk){ sec, start, n, l->p->insn_cnt };
	memcpy(l->p->insns + l->p->insn_cnt, src + start, n * sizeof(*src));
	l->p->insn_cnt += n;
	return 0;
}

/* Output index of section insn (sec, idx), appending its function first
 * if it is not in the program yet. */
static int place_target(struct linker *l, uint32_t sec, int64_t idx, uint32_t *out)
{
	uint32_t total;

	if (!nf_elf_sec_is_exec(&l->c->elf, sec) || !sec_insns(l->c, sec, &total) ||
	    idx < 0 || idx >= total)
		return fail(l->p, "call target outside any code section");
	for (uint32_t i = 0; i < l->nchunks; i++) {
		struct chunk *k = &l->chunks[i];
		if (k->sec == sec && idx >= k->start && idx < k->start + k->n) {
			*out = k->out + (uint32_t)(idx - k->start);
			return 0;
		}
	}
	const Elf64_Sym *f = func_at(&l->c->elf, sec, (uint64_t)idx);
	if (!f || f->st_size % 8)
		return fail(l->p, "call target is not the start of a function");
	*out = l->p->insn_cnt;
	return add_chunk(l, sec, (uint32_t)idx, (uint32_t)(f->st_size / 8));
}

static int add_reloc(struct nf_prog_spec *p, uint32_t insn, uint32_t kind, uint32_t map, uint32_t off)
{
	struct nf_reloc *nr = realloc(p->relocs, (p->nrelocs + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	p->relocs = nr;
	nr[p->nrelocs++] = (struct nf_reloc){ insn, kind, map, off };
	return 0;
}

/* ld_imm64 of a map (in .maps) or of global data (internal map). */
static int data_reloc(struct linker *l, uint32_t out, const Elf64_Sym *sym)
{
	struct nf_obj *o = l->c->obj;
	const struct bpf_insn *in = &l->p->insns[out];
	uint64_t off = sym->st_value + (uint64_t)(int64_t)in->imm;

	if (sym->st_shndx == SHN_UNDEF)
		return fail(l->p, "reference to an undefined (extern) symbol");
	for (uint32_t m = 0; m < o->nmaps; m++) {
		const struct nf_map_spec *ms = &o->maps[m];
		if (ms->kind == NF_MAP_USER && (int)sym->st_shndx == l->c->maps_sec &&
		    l->c->map_off[m] == off)
			return add_reloc(l->p, out, NF_RELO_MAP_FD, m, 0);
		if (ms->kind != NF_MAP_USER && ms->sec_idx == (int)sym->st_shndx) {
			if (off >= ms->value_size)
				return fail(l->p, "global data offset past its section");
			return add_reloc(l->p, out, NF_RELO_MAP_VALUE, m, (uint32_t)off);
		}
	}
	return fail(l->p, "ld_imm64 refers to something that is not a map or global data");
}

static int call_fix(struct linker *l, uint32_t out, uint32_t sec, int64_t target)
{
	uint32_t to;
	int err = place_target(l, sec, target, &to);
	if (!err)
		l->p->insns[out].imm = (int32_t)((int64_t)to - out - 1);
	return err;
}

/* ld_imm64 of a function (a callback, e.g. for bpf_loop): the byte
 * offset is symbol value plus imm; the kernel wants BPF_PSEUDO_FUNC with
 * imm relative to the next instruction, like a call. */
static int func_addr(struct linker *l, uint32_t out, const Elf64_Sym *sym)
{
	struct bpf_insn *in = &l->p->insns[out];
	uint64_t off = sym->st_value + (uint64_t)(int64_t)in->imm;

	if (off % 8)
		return fail(l->p, "function address not on an instruction");
	in->src_reg = BPF_PSEUDO_FUNC;
	in[1].imm = 0;
	return call_fix(l, out, sym->st_shndx, (int64_t)(off / 8));
}

static int apply_rel(struct linker *l, const struct chunk *k, const Elf64_Rel *r, uint8_t *seen)
{
	const Elf64_Sym *sym = nf_elf_sym(&l->c->elf, (uint32_t)ELF64_R_SYM(r->r_info));
	uint32_t idx = (uint32_t)(r->r_offset / 8), out = k->out + idx - k->start;
	struct bpf_insn *in = &l->p->insns[out];

	seen[idx - k->start] = 1;
	if (in->code == CALL) {
		if (in->src_reg != BPF_PSEUDO_CALL)
			return fail(l->p, "relocated call is not a BPF-to-BPF call");
		return call_fix(l, out, sym->st_shndx, (int64_t)(sym->st_value / 8) + in->imm + 1);
	}
	if (idx + 1 >= k->start + k->n)
		return fail(l->p, "ld_imm64 crosses the end of its function");
	if (nf_elf_sec_is_exec(&l->c->elf, sym->st_shndx))
		return func_addr(l, out, sym);
	return data_reloc(l, out, sym);
}

/* Relocations, then unrelocated BPF-to-BPF calls within the section. */
static int link_chunk(struct linker *l, uint32_t ci)
{
	struct chunk k = l->chunks[ci];
	size_t nr;
	const Elf64_Rel *r = nf_elf_rels(&l->c->elf, rel_sec_for(&l->c->elf, k.sec), &nr);
	uint8_t *seen = calloc(k.n, 1);
	int err = seen ? 0 : -ENOMEM;

	for (size_t i = 0; i < nr && !err; i++) {
		uint64_t idx = r[i].r_offset / 8;
		if (idx >= k.start && idx < k.start + k.n)
			err = apply_rel(l, &k, &r[i], seen);
	}
	for (uint32_t i = 0; i < k.n && !err; i++) {
		const struct bpf_insn *in = &l->p->insns[k.out + i];
		if (!seen[i] && in->code == CALL && in->src_reg == BPF_PSEUDO_CALL)
			err = call_fix(l, k.out + i, k.sec, (int64_t)k.start + i + in->imm + 1);
	}
	free(seen);
	return err;
}

/* Copy the .BTF.ext records of each chunk, rebased to the program. */
static int rebase_ext(struct linker *l, enum nf_ext_kind kind, void **dst, uint32_t *cnt,
		      uint32_t *rec_size)
{
	const struct nf_ext_info *info = &l->c->ext.info[kind];
	uint8_t *buf = NULL;
	uint32_t n = 0;

	*rec_size = info->rec_size;
	for (uint32_t ci = 0; ci < l->nchunks; ci++) {
		const struct chunk *k = &l->chunks[ci];
		const struct nf_ext_sec *es = nf_btf_ext_find(&l->c->ext, kind,
							      nf_elf_sec_name(&l->c->elf, k->sec));
		for (uint32_t i = 0; es && i < es->nrecs; i++) {
			const uint8_t *rec = es->recs + (size_t)i * info->rec_size;
			uint32_t off;
			memcpy(&off, rec, 4);
			if (off % 8 || off / 8 < k->start || off / 8 >= k->start + k->n)
				continue;
			uint8_t *nb = realloc(buf, (size_t)(n + 1) * info->rec_size);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			memcpy(buf + (size_t)n * info->rec_size, rec, info->rec_size);
			off = off / 8 - k->start + k->out;
			if (kind == NF_EXT_CORE)
				off *= 8;
			memcpy(buf + (size_t)n++ * info->rec_size, &off, 4);
		}
	}
	*dst = buf;
	*cnt = n;
	return 0;
}

/* CO-RE records as struct bpf_core_relo, whatever the record size. */
static int rebase_core(struct linker *l)
{
	void *raw;
	uint32_t n, rs;
	int err = rebase_ext(l, NF_EXT_CORE, &raw, &n, &rs);

	if (err || n == 0)
		return err;
	l->p->core = calloc(n, sizeof(*l->p->core));
	if (!l->p->core) {
		free(raw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		memcpy(&l->p->core[i], (uint8_t *)raw + (size_t)i * rs, sizeof(*l->p->core));
	l->p->ncore = n;
	free(raw);
	return 0;
}

int nf_link_prog(struct nf_obj_ctx *c, struct nf_prog_spec *p, uint32_t sec,
		 uint32_t start, uint32_t n)
{
	struct linker l = { .c = c, .p = p };
	int err = add_chunk(&l, sec, start, n);

	/* link_chunk may append chunks: the loop picks them up. */
	for (uint32_t ci = 0; ci < l.nchunks && !err; ci++)
		err = link_chunk(&l, ci);
	if (!err)
		err = rebase_ext(&l, NF_EXT_FUNC, &p->func_info, &p->func_info_cnt, &p->func_info_rec_size);
	if (!err)
		err = rebase_ext(&l, NF_EXT_LINE, &p->line_info, &p->line_info_cnt, &p->line_info_rec_size);
	if (!err)
		err = rebase_core(&l);
	free(l.chunks);
	return err;
}

int nf_reloc_maps(const struct nf_prog_spec *prog, struct bpf_insn *insns,
		  const int *map_fds, uint32_t nmaps)
{
	for (uint32_t i = 0; i < prog->nrelocs; i++) {
		const struct nf_reloc *r = &prog->relocs[i];
		if (r->insn + 1 >= prog->insn_cnt || r->map >= nmaps ||
		    insns[r->insn].code != LD_IMM64) {
			nf_seterr("program %s: bad map relocation %u", prog->name, i);
			return -EINVAL;
		}
		insns[r->insn].src_reg = r->kind == NF_RELO_MAP_FD ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
		insns[r->insn].imm = map_fds[r->map];
		insns[r->insn + 1].imm = r->kind == NF_RELO_MAP_FD ? 0 : (int32_t)r->off;
	}
	return 0;
}
