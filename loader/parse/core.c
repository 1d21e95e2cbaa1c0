/* CO-RE: rewrite the instructions named by .BTF.ext core records so that
 * they use the target BTF's offsets, sizes, ids and enum values. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_util.h"
#include "core_int.h"
#include "log.h"
#include "obj.h"

#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)

/* A relocated value, or none (the instruction gets poisoned). For a field
 * offset, also the field's size in each BTF: a load or store of the whole
 * field takes the target's size (0: not a plain scalar, no resizing). */
struct core_res {
	uint64_t local, target;
	int poison;
	uint32_t local_sz, target_sz;
};

/* Size in bytes of a field a single load can move (integer, enum or
 * pointer of 1, 2, 4 or 8 bytes); 0 for anything else. */
static uint32_t scalar_size(const struct nf_btf *b, const struct nf_core_field *f)
{
	const struct btf_type *t = nf_btf_type(b, nf_btf_skip_mods(b, f->type_id));
	int64_t sz = nf_btf_size(b, f->type_id);

	if (!t || f->bitfield_size || (sz != 1 && sz != 2 && sz != 4 && sz != 8))
		return 0;
	switch (nf_btf_kind(t)) {
	case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR:
		return (uint32_t)sz;
	default:
		return 0;
	}
}

static int kind_class(uint32_t kind)
{
	switch (kind) {
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_FWD: return BTF_KIND_STRUCT;
	case BTF_KIND_ENUM: case BTF_KIND_ENUM64: return BTF_KIND_ENUM;
	default: return (int)kind;
	}
}

/* Next target type after 'after' whose essential name and kind class match
 * the local type; 0 when there are no more. */
static uint32_t next_cand(const struct nf_btf *local, uint32_t lid, const struct nf_btf *tb, uint32_t after)
{
	const struct btf_type *lt = nf_btf_type(local, lid);
	const char *ln = nf_btf_name(local, lt);
	size_t n = nf_core_essential_len(ln);

	if (n == 0)
		return 0;
	for (uint32_t id = after + 1; id < tb->ntypes; id++) {
		const struct btf_type *t = tb->types[id];
		const char *tn = nf_btf_name(tb, t);
		if (kind_class(nf_btf_kind(t)) == kind_class(nf_btf_kind(lt)) &&
		    nf_core_essential_len(tn) == n && !strncmp(tn, ln, n))
			return id;
	}
	return 0;
}

/* Candidates must agree; conflicting answers are an error. */
static int agree(struct core_res *r, int *found, uint64_t v)
{
	if (*found && r->target != v)
		return -EINVAL;
	*found = 1;
	r->target = v;
	return 0;
}

/* No candidate matched: an existence check answers 0, anything else
 * poisons its instruction. */
static int settle(struct core_res *r, int found, int is_exists_check)
{
	if (!found && is_exists_check)
		r->target = 0;
	else
		r->poison = !found;
	return 0;
}

static int field_relo(const struct nf_btf *local, const struct nf_btf *tb,
		      const struct bpf_core_relo *rec, const char *spec, struct core_res *r)
{
	struct nf_core_access acc;
	struct nf_core_field lf, tf;
	int found = 0, err;

	if (nf_core_local_field(local, rec->type_id, spec, &acc, &lf) ||
	    nf_core_field_value(local, &lf, rec->kind, &r->local))
		return -EINVAL;
	if (rec->kind == BPF_CORE_FIELD_BYTE_OFFSET)
		r->local_sz = scalar_size(local, &lf);
	for (uint32_t c = 0; (c = next_cand(local, rec->type_id, tb, c));) {
		uint64_t v;
		if (!nf_core_match_field(tb, c, &acc, local, lf.type_id, &tf))
			continue;
		if (nf_core_field_value(tb, &tf, rec->kind, &v))
			continue;
		if ((err = agree(r, &found, v)))
			return err;
		if (rec->kind == BPF_CORE_FIELD_BYTE_OFFSET)
			r->target_sz = scalar_size(tb, &tf);
	}
	return settle(r, found, rec->kind == BPF_CORE_FIELD_EXISTS);
}

static int type_relo(const struct nf_btf *local, const struct nf_btf *tb,
		     const struct bpf_core_relo *rec, struct core_res *r)
{
	int64_t lsz = nf_btf_size(local, rec->type_id);
	int found = 0, err;

	switch (rec->kind) {
	case BPF_CORE_TYPE_ID_LOCAL: r->local = r->target = rec->type_id; return 0;
	case BPF_CORE_TYPE_ID_TARGET: r->local = rec->type_id; break;
	case BPF_CORE_TYPE_EXISTS: r->local = 1; break;
	default: r->local = lsz > 0 ? (uint64_t)lsz : 0; break;
	}
	for (uint32_t c = 0; (c = next_cand(local, rec->type_id, tb, c));) {
		int64_t sz = nf_btf_size(tb, c);
		uint64_t v = rec->kind == BPF_CORE_TYPE_ID_TARGET ? c :
			     rec->kind == BPF_CORE_TYPE_EXISTS ? 1 : (uint64_t)sz;
		if (rec->kind == BPF_CORE_TYPE_SIZE && sz < 0)
			continue;
		/* Several same-named types (e.g. duplicates in vmlinux): first wins for ids. */
		if (rec->kind == BPF_CORE_TYPE_ID_TARGET && found)
			break;
		if ((err = agree(r, &found, v)))
			return err;
	}
	return settle(r, found, rec->kind == BPF_CORE_TYPE_EXISTS);
}

/* Value of the named enumerator in enum t, or -ENOENT. */
static int enum_value(const struct nf_btf *b, const struct btf_type *t, const char *name, uint64_t *v)
{
	for (uint32_t i = 0; i < nf_btf_vlen(t); i++) {
		const char *n;
		if (nf_btf_kind(t) == BTF_KIND_ENUM) {
			const struct btf_enum *e = (const void *)(t + 1);
			n = nf_btf_str(b, e[i].name_off);
			*v = BTF_INFO_KFLAG(t->info) ? (uint64_t)(int64_t)e[i].val : (uint32_t)e[i].val;
		} else {
			const struct btf_enum64 *e = (const void *)(t + 1);
			n = nf_btf_str(b, e[i].name_off);
			*v = (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32;
		}
		if (n && !strcmp(n, name))
			return 0;
	}
	return -ENOENT;
}

static int enum_relo(const struct nf_btf *local, const struct nf_btf *tb,
		     const struct bpf_core_relo *rec, const char *spec, struct core_res *r)
{
	const struct btf_type *lt = nf_btf_type(local, rec->type_id);
	char *end;
	unsigned long idx = strtoul(spec, &end, 10);
	int found = 0, err;

	if (!lt || kind_class(nf_btf_kind(lt)) != BTF_KIND_ENUM || *end || end == spec ||
	    idx >= nf_btf_vlen(lt))
		return -EINVAL;
	const struct btf_enum *le = (const void *)(lt + 1);
	const struct btf_enum64 *le64 = (const void *)(lt + 1);
	const char *name = nf_btf_str(local, nf_btf_kind(lt) == BTF_KIND_ENUM ?
					     le[idx].name_off : le64[idx].name_off);
	if (!name || enum_value(local, lt, name, &r->local))
		return -EINVAL;
	if (rec->kind == BPF_CORE_ENUMVAL_EXISTS)
		r->local = 1;
	for (uint32_t c = 0; (c = next_cand(local, rec->type_id, tb, c));) {
		uint64_t v;
		if (enum_value(tb, nf_btf_type(tb, c), name, &v))
			continue;
		if ((err = agree(r, &found, rec->kind == BPF_CORE_ENUMVAL_EXISTS ? 1 : v)))
			return err;
	}
	return settle(r, found, rec->kind == BPF_CORE_ENUMVAL_EXISTS);
}

static int resolve(const struct nf_btf *local, const struct nf_btf *tb,
		   const struct bpf_core_relo *rec, struct core_res *r)
{
	const char *spec = nf_btf_str(local, rec->access_str_off);

	memset(r, 0, sizeof(*r));
	if (!spec || !nf_btf_type(local, rec->type_id))
		return -EINVAL;
	switch (rec->kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET: case BPF_CORE_FIELD_BYTE_SIZE:
	case BPF_CORE_FIELD_EXISTS: case BPF_CORE_FIELD_SIGNED:
	case BPF_CORE_FIELD_LSHIFT_U64: case BPF_CORE_FIELD_RSHIFT_U64:
		return field_relo(local, tb, rec, spec, r);
	case BPF_CORE_TYPE_ID_LOCAL: case BPF_CORE_TYPE_ID_TARGET:
	case BPF_CORE_TYPE_EXISTS: case BPF_CORE_TYPE_SIZE:
		return type_relo(local, tb, rec, r);
	case BPF_CORE_ENUMVAL_EXISTS: case BPF_CORE_ENUMVAL_VALUE:
		return enum_relo(local, tb, rec, spec, r);
	default:
		return -EOPNOTSUPP;
	}
}

static void poison(struct bpf_insn *in, int ldimm)
{
	for (int i = 0; i <= ldimm; i++)
		in[i] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = NF_POISON_HELPER };
}

static uint32_t mem_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

static uint8_t mem_size_code(uint32_t bytes)
{
	return bytes == 1 ? BPF_B : bytes == 2 ? BPF_H : bytes == 4 ? BPF_W : BPF_DW;
}

/* A whole-field load or store whose field changed size takes the target's
 * size. Poisoned when it cannot: the target field is not a plain scalar,
 * or the instruction moves a part of the field only. */
static void resize_mem(struct bpf_insn *in, struct core_res *r)
{
	if (BPF_MODE(in->code) != BPF_MEM || !r->local_sz || r->local_sz == r->target_sz)
		return;
	if (!r->target_sz || mem_bytes(in->code) != r->local_sz) {
		r->poison = 1;
		return;
	}
	in->code = (uint8_t)(BPF_CLASS(in->code) | BPF_MEM | mem_size_code(r->target_sz));
}

/* Write the value into an ALU imm, a memory offset or an ld_imm64. */
static int patch(struct bpf_insn *in, uint32_t left, struct core_res *r)
{
	uint8_t cls = BPF_CLASS(in->code);

	if (in->code == LD_IMM64) {
		if (left < 2)
			return -EINVAL;
		if (r->poison) {
			poison(in, 1);
			return 0;
		}
		in[0].imm = (int32_t)(uint32_t)r->target;
		in[1].imm = (int32_t)(uint32_t)(r->target >> 32);
		return 0;
	}
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(in->code) == BPF_K) {
		if (!r->poison && r->target > INT32_MAX)
			return -ERANGE;
		if (r->poison)
			poison(in, 0);
		else
			in->imm = (int32_t)r->target;
		return 0;
	}
	if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
		if (!r->poison && r->target > INT16_MAX)
			return -ERANGE;
		if (!r->poison)
			resize_mem(in, r);
		if (r->poison)
			poison(in, 0);
		else
			in->off = (int16_t)r->target;
		return 0;
	}
	return -EINVAL;
}

int nf_core_relocate(const struct nf_prog_spec *prog, struct bpf_insn *insns,
		     const struct nf_btf *local, const struct nf_btf *target)
{
	int poisoned = 0;

	for (uint32_t i = 0; i < prog->ncore; i++) {
		const struct bpf_core_relo *rec = &prog->core[i];
		uint32_t idx = rec->insn_off / 8;
		struct core_res r;
		int err;

		if (!local || !target || rec->insn_off % 8 || idx >= prog->insn_cnt) {
			nf_seterr("program %s: CO-RE record %u out of range", prog->name, i);
			return -EINVAL;
		}
		if ((err = resolve(local, target, rec, &r)) ||
		    (err = patch(&insns[idx], prog->insn_cnt - idx, &r))) {
			nf_seterr("program %s: CO-RE record %u (kind %u) at insn %u: %s",
				  prog->name, i, rec->kind, idx, strerror(-err));
			return err;
		}
		poisoned += r.poison;
	}
	return poisoned;
}
