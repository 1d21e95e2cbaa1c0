/* Map specs: BTF-defined maps from ".maps" and the internal maps that back
 * global data (.rodata*, .data*, .bss*). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_util.h"
#include "log.h"
#include "obj_int.h"

#define NF_MAX_MAPS 256

int nf_internal_map_kind(const char *sec)
{
	static const struct { const char *name; int kind; } k[] = {
		{ ".rodata", NF_MAP_RODATA }, { ".data", NF_MAP_DATA }, { ".bss", NF_MAP_BSS },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		size_t n = strlen(k[i].name);
		if (!strncmp(sec, k[i].name, n) && (sec[n] == '\0' || sec[n] == '.'))
			return k[i].kind;
	}
	return -1;
}

static struct nf_map_spec *add_map(struct nf_obj_ctx *c, const char *name, uint64_t off)
{
	struct nf_obj *o = c->obj;

	if (o->nmaps >= NF_MAX_MAPS || strlen(name) >= sizeof(o->maps->name)) {
		nf_seterr("map %.64s: too many maps or name too long", name);
		return NULL;
	}
	struct nf_map_spec *m = realloc(o->maps, (o->nmaps + 1) * sizeof(*m));
	uint64_t *mo = realloc(c->map_off, (o->nmaps + 1) * sizeof(*mo));
	if (m)
		o->maps = m;
	if (mo)
		c->map_off = mo;
	if (!m || !mo) {
		nf_seterr("out of memory");
		return NULL;
	}
	m = &o->maps[o->nmaps];
	c->map_off[o->nmaps++] = off;
	memset(m, 0, sizeof(*m));
	strcpy(m->name, name);
	m->sec_idx = -1;
	return m;
}

/* N from a member of type int (*)[N]. */
static int ptr_array_n(const struct nf_btf *btf, uint32_t id, uint32_t *n)
{
	const struct btf_type *p = nf_btf_type(btf, nf_btf_skip_mods(btf, id));
	if (!p || nf_btf_kind(p) != BTF_KIND_PTR)
		return -EINVAL;
	const struct btf_type *a = nf_btf_type(btf, nf_btf_skip_mods(btf, p->type));
	if (!a || nf_btf_kind(a) != BTF_KIND_ARRAY)
		return -EINVAL;
	*n = ((const struct btf_array *)(a + 1))->nelems;
	return 0;
}

/* key/value: a pointer to the type; its size and the pointee's id. */
static int ptr_type(const struct nf_btf *btf, uint32_t id, uint32_t *size, uint32_t *tid)
{
	const struct btf_type *p = nf_btf_type(btf, nf_btf_skip_mods(btf, id));
	if (!p || nf_btf_kind(p) != BTF_KIND_PTR)
		return -EINVAL;
	int64_t sz = nf_btf_size(btf, p->type);
	if (sz <= 0 || sz > UINT32_MAX)
		return -EINVAL;
	*size = (uint32_t)sz;
	*tid = p->type;
	return 0;
}

static int map_member(const struct nf_btf *btf, struct nf_map_spec *m, const char *field, uint32_t type)
{
	if (!strcmp(field, "type"))
		return ptr_array_n(btf, type, &m->type);
	if (!strcmp(field, "max_entries"))
		return ptr_array_n(btf, type, &m->max_entries);
	if (!strcmp(field, "map_flags"))
		return ptr_array_n(btf, type, &m->flags);
	if (!strcmp(field, "key_size"))
		return ptr_array_n(btf, type, &m->key_size);
	if (!strcmp(field, "value_size"))
		return ptr_array_n(btf, type, &m->value_size);
	if (!strcmp(field, "key"))
		return ptr_type(btf, type, &m->key_size, &m->btf_key_id);
	if (!strcmp(field, "value"))
		return ptr_type(btf, type, &m->value_size, &m->btf_value_id);
	return -ENOTSUP;
}

static int user_map(struct nf_obj_ctx *c, const struct btf_type *var)
{
	const struct nf_btf *btf = c->obj->btf;
	const char *name = nf_btf_name(btf, var);
	const Elf64_Sym *sym = NULL;

	for (uint32_t i = 1; i < c->elf.nsyms && !sym; i++)
		if (c->elf.syms[i].st_shndx == c->maps_sec &&
		    !strcmp(nf_elf_sym_name(&c->elf, &c->elf.syms[i]), name))
			sym = &c->elf.syms[i];
	const struct btf_type *st = nf_btf_type(btf, nf_btf_skip_mods(btf, var->type));
	if (!sym || !st || nf_btf_kind(st) != BTF_KIND_STRUCT) {
		nf_seterr("map %s: no symbol, or its type is not a struct", name);
		return -EINVAL;
	}
	struct nf_map_spec *m = add_map(c, name, sym->st_value);
	if (!m)
		return -EINVAL;
	m->kind = NF_MAP_USER;
	const struct btf_member *mb = nf_btf_members(st);
	for (uint32_t i = 0; i < nf_btf_vlen(st); i++) {
		const char *field = btf->strs + mb[i].name_off;
		int err = map_member(btf, m, field, mb[i].type);
		if (err) {
			nf_seterr("map %s: %s field '%s'", name,
				  err == -ENOTSUP ? "unsupported" : "malformed", field);
			return -EINVAL;
		}
	}
	if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		m->key_size = m->key_size ? m->key_size : 4;
		m->value_size = m->value_size ? m->value_size : 4;
	}
	return 0;
}

static int user_maps(struct nf_obj_ctx *c)
{
	const struct nf_btf *btf = c->obj->btf;
	int id;

	if (c->maps_sec < 0)
		return 0;
	if (!btf || (id = nf_btf_find(btf, ".maps", BTF_KIND_DATASEC)) < 0) {
		nf_seterr(".maps needs BTF with a .maps DATASEC");
		return -EINVAL;
	}
	const struct btf_type *ds = nf_btf_type(btf, id);
	const struct btf_var_secinfo *v = (const void *)(ds + 1);
	for (uint32_t i = 0; i < nf_btf_vlen(ds); i++) {
		const struct btf_type *var = nf_btf_type(btf, v[i].type);
		int err;
		if (!var || nf_btf_kind(var) != BTF_KIND_VAR) {
			nf_seterr(".maps entry is not a variable");
			return -EINVAL;
		}
		if ((err = user_map(c, var)))
			return err;
	}
	return 0;
}

static int internal_map(struct nf_obj_ctx *c, uint32_t sec, int kind)
{
	const Elf64_Shdr *sh = &c->elf.sh[sec];
	const char *name = nf_elf_sec_name(&c->elf, sec);
	size_t len;
	const void *data = nf_elf_sec_data(&c->elf, sec, &len);

	if (sh->sh_size == 0)
		return 0;
	if (sh->sh_size > UINT32_MAX / 2) {
		nf_seterr("section %s too large for a map", name);
		return -EINVAL;
	}
	struct nf_map_spec *m = add_map(c, name, 0);
	if (!m)
		return -EINVAL;
	m->kind = kind;
	m->type = BPF_MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = (uint32_t)sh->sh_size;
	m->max_entries = 1;
	m->sec_idx = (int)sec;
	if (c->obj->btf) {
		int id = nf_btf_find(c->obj->btf, name, BTF_KIND_DATASEC);
		m->btf_value_id = id > 0 ? (uint32_t)id : 0;
	}
	m->init = calloc(1, m->value_size);
	if (!m->init) {
		nf_seterr("out of memory");
		return -ENOMEM;
	}
	if (data && sh->sh_type != SHT_NOBITS)
		memcpy(m->init, data, len);
	return 0;
}

static int internal_maps(struct nf_obj_ctx *c)
{
	for (uint32_t i = 1; i < c->elf.shnum; i++) {
		const Elf64_Shdr *sh = &c->elf.sh[i];
		int kind = nf_internal_map_kind(nf_elf_sec_name(&c->elf, i));
		int err;
		if (kind < 0 || !(sh->sh_flags & SHF_ALLOC) ||
		    (sh->sh_type != SHT_PROGBITS && sh->sh_type != SHT_NOBITS))
			continue;
		if ((err = internal_map(c, i, kind)))
			return err;
	}
	return 0;
}

int nf_maps_collect(struct nf_obj_ctx *c)
{
	int err = user_maps(c);
	return err ? err : internal_maps(c);
}
