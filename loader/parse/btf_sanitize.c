/* Rewrite BTF kinds an older kernel lacks into ones it knows, keeping every
 * type's size (and the blob's layout, except for empty-DATASEC fillers). */
#include <errno.h>
#include <string.h>
#include "btf_edit.h"
#include "btf_util.h"
#include "log.h"

#define HAS(mask, kind) ((mask) & (1u << (kind)))
#define INFO(kind, vlen) (((uint32_t)(kind) << 24) | ((vlen) & 0xffff))
#define U8_ENCODING 8u /* BTF int encoding: no flags, offset 0, 8 bits */

struct int_type {
	struct btf_type t;
	uint32_t enc;
};

/* Id of a one-byte unsigned INT we add (used as a placeholder member). */
static int add_u8(struct nf_btf *b)
{
	int name = nf_btf_add_str(b, "__nf_u8");
	if (name < 0)
		return name;
	struct int_type it = { { (uint32_t)name, INFO(BTF_KIND_INT, 0), { 1 } }, U8_ENCODING };
	return nf_btf_append_type(b, &it, sizeof(it));
}

/* Kernels before 5.12 reject a DATASEC with no variables: give each one a
 * one-byte variable at offset 0. */
static int fill_empty_datasecs(struct nf_btf *b)
{
	int u8 = 0, var = 0;

	for (uint32_t id = 1; id < b->ntypes; id++) {
		struct btf_type *t = nf_btf_type_mut(b, id);
		if (nf_btf_kind(t) != BTF_KIND_DATASEC || nf_btf_vlen(t))
			continue;
		if (!var) {
			int name = nf_btf_add_str(b, "__nf_pad");
			if (name < 0 || (u8 = add_u8(b)) < 0)
				return name < 0 ? name : u8;
			struct { struct btf_type t; struct btf_var v; } vt =
				{ { (uint32_t)name, INFO(BTF_KIND_VAR, 0), { (uint32_t)u8 } }, { BTF_VAR_STATIC } };
			if ((var = nf_btf_append_type(b, &vt, sizeof(vt))) < 0)
				return var;
		}
		struct btf_var_secinfo vs = { (uint32_t)var, 0, 1 };
		/* vlen first: the re-index after the insert must see the entry. */
		t = nf_btf_type_mut(b, id);
		t->info = INFO(BTF_KIND_DATASEC, 1);
		t->size = t->size ? t->size : 1;
		int err = nf_btf_insert_at(b, id, sizeof(struct btf_type), &vs, sizeof(vs));
		if (err)
			return err;
	}
	return 0;
}

/* DATASEC -> STRUCT with one member per variable (names without dots). */
static void datasec_to_struct(struct nf_btf *b, struct btf_type *t)
{
	struct btf_var_secinfo *v = (struct btf_var_secinfo *)(t + 1);
	struct btf_member *m = (struct btf_member *)(t + 1);

	for (char *s = b->strs + t->name_off; *s; s++)
		if (*s == '.')
			*s = '_';
	for (uint32_t i = 0; i < nf_btf_vlen(t); i++) {
		const struct btf_type *var = nf_btf_type(b, v[i].type);
		struct btf_var_secinfo vs = v[i];
		m[i].name_off = var ? var->name_off : 0;
		m[i].type = var ? var->type : 0;
		m[i].offset = vs.offset * 8;
	}
	t->info = INFO(BTF_KIND_STRUCT, nf_btf_vlen(t));
}

static void to_int(struct btf_type *t, int keep_name)
{
	t->name_off = keep_name ? t->name_off : 0;
	t->info = INFO(BTF_KIND_INT, 0);
	t->size = 1;
	*(uint32_t *)(t + 1) = U8_ENCODING;
}

static void enum64_to_union(struct btf_type *t, uint32_t u8)
{
	struct btf_member *m = (struct btf_member *)(t + 1);

	for (uint32_t i = 0; i < nf_btf_vlen(t); i++) {
		m[i].type = u8;
		m[i].offset = 0;
	}
	t->info = INFO(BTF_KIND_UNION, nf_btf_vlen(t));
}

static void sanitize_one(struct nf_btf *b, struct btf_type *t, uint32_t missing, uint32_t u8)
{
	uint32_t vlen = nf_btf_vlen(t);

	switch (nf_btf_kind(t)) {
	case BTF_KIND_VAR:
		if (HAS(missing, BTF_KIND_VAR))
			to_int(t, 1);
		break;
	case BTF_KIND_FUNC:
		if (HAS(missing, BTF_KIND_FUNC))
			t->info = INFO(BTF_KIND_TYPEDEF, 0);
		else if (missing & NF_BTF_NO_GLOBAL_FUNC)
			t->info = INFO(BTF_KIND_FUNC, BTF_FUNC_STATIC);
		break;
	case BTF_KIND_FUNC_PROTO:
		if (HAS(missing, BTF_KIND_FUNC_PROTO)) {
			t->info = INFO(BTF_KIND_ENUM, vlen);
			t->size = sizeof(uint32_t);
		}
		break;
	case BTF_KIND_FLOAT:
		if (HAS(missing, BTF_KIND_FLOAT)) {
			t->name_off = 0;
			t->info = INFO(BTF_KIND_STRUCT, 0);
		}
		break;
	case BTF_KIND_DECL_TAG:
		if (HAS(missing, BTF_KIND_DECL_TAG))
			to_int(t, 0);
		break;
	case BTF_KIND_TYPE_TAG:
		if (HAS(missing, BTF_KIND_TYPE_TAG)) {
			t->name_off = 0;
			t->info = INFO(BTF_KIND_CONST, 0);
		}
		break;
	case BTF_KIND_ENUM64:
		if (HAS(missing, BTF_KIND_ENUM64))
			enum64_to_union(t, u8);
		break;
	default:
		(void)b;
	}
}

static int has_kind(const struct nf_btf *b, uint32_t kind)
{
	for (uint32_t id = 1; id < b->ntypes; id++)
		if (nf_btf_kind(b->types[id]) == kind)
			return 1;
	return 0;
}

int nf_btf_sanitize(struct nf_btf *btf, uint32_t missing)
{
	int err, u8 = 0;

	if ((missing & NF_BTF_NO_EMPTY_DATASEC) && !HAS(missing, BTF_KIND_DATASEC) &&
	    (err = fill_empty_datasecs(btf)))
		goto fail;
	if (HAS(missing, BTF_KIND_ENUM64) && has_kind(btf, BTF_KIND_ENUM64) && (u8 = add_u8(btf)) < 0) {
		err = u8;
		goto fail;
	}
	/* DATASECs first: they read their VARs, which may be rewritten next. */
	for (uint32_t id = 1; HAS(missing, BTF_KIND_DATASEC) && id < btf->ntypes; id++)
		if (nf_btf_kind(btf->types[id]) == BTF_KIND_DATASEC)
			datasec_to_struct(btf, btf->types[id]);
	for (uint32_t id = 1; id < btf->ntypes; id++)
		sanitize_one(btf, btf->types[id], missing, (uint32_t)u8);
	return 0;
fail:
	nf_seterr("BTF sanitize: %s", strerror(-err));
	return err;
}
