/* nf_obj_parse: ELF -> license, BTF, maps and linked programs (pure). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_util.h"
#include "log.h"
#include "obj_int.h"

#define NF_MAX_PROGS 256

/* Bytes of the named section; NULL (*len 0) when absent or NOBITS. */
static const void *sec_bytes(const struct nf_obj_ctx *c, const char *name, size_t *len)
{
	int sec = nf_elf_find_sec(&c->elf, name);

	*len = 0;
	return sec < 0 ? NULL : nf_elf_sec_data(&c->elf, (uint32_t)sec, len);
}

static int parse_license(struct nf_obj_ctx *c)
{
	size_t len;
	const char *s = sec_bytes(c, "license", &len);

	if (nf_elf_find_sec(&c->elf, "license") < 0)
		return 0;
	if (!s || !memchr(s, '\0', len) || strlen(s) >= sizeof(c->obj->license)) {
		nf_seterr("bad ELF: license section is not a short string");
		return -EINVAL;
	}
	strcpy(c->obj->license, s);
	return 0;
}

static int parse_version(struct nf_obj_ctx *c)
{
	size_t len;
	const void *p = sec_bytes(c, "version", &len);

	if (nf_elf_find_sec(&c->elf, "version") < 0)
		return 0;
	if (!p || len != sizeof(uint32_t)) {
		nf_seterr("bad ELF: version section is not 4 bytes");
		return -EINVAL;
	}
	memcpy(&c->obj->kern_version, p, sizeof(uint32_t));
	return 0;
}

static int parse_btf(struct nf_obj_ctx *c)
{
	size_t len;
	const void *p = sec_bytes(c, ".BTF", &len);
	int err;

	if (nf_elf_find_sec(&c->elf, ".BTF") < 0)
		return 0;
	if (!p) {
		nf_seterr("bad ELF: .BTF has no data");
		return -EINVAL;
	}
	c->obj->btf = nf_btf_new(p, len);
	if (!c->obj->btf)
		return -EINVAL;
	if ((err = nf_btf_fixup_datasecs(c->obj->btf, &c->elf)))
		return err;
	if (nf_elf_find_sec(&c->elf, ".BTF.ext") < 0)
		return 0;
	p = sec_bytes(c, ".BTF.ext", &len);
	if (!p) {
		nf_seterr("bad ELF: .BTF.ext has no data");
		return -EINVAL;
	}
	return nf_btf_ext_parse(&c->ext, p, len, c->obj->btf);
}

static int is_prog_sym(const struct nf_obj_ctx *c, const Elf64_Sym *s)
{
	int bind = ELF64_ST_BIND(s->st_info);

	return ELF64_ST_TYPE(s->st_info) == STT_FUNC && (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       nf_elf_sec_is_exec(&c->elf, s->st_shndx) &&
	       strcmp(nf_elf_sec_name(&c->elf, s->st_shndx), ".text");
}

static int init_prog(struct nf_obj_ctx *c, struct nf_prog_spec *p, const Elf64_Sym *s)
{
	const char *name = nf_elf_sym_name(&c->elf, s);
	const char *sec = nf_elf_sec_name(&c->elf, s->st_shndx);
	uint64_t size = c->elf.sh[s->st_shndx].sh_size;

	if (strlen(name) >= sizeof(p->name) || strlen(sec) >= sizeof(p->sec)) {
		nf_seterr("program %.64s: name or section name too long", name);
		return -EINVAL;
	}
	strcpy(p->name, name);
	strcpy(p->sec, sec);
	if (s->st_value % 8 || s->st_size % 8 || s->st_size == 0 ||
	    s->st_value > size || s->st_size > size - s->st_value) {
		nf_seterr("program %s: symbol outside its section", name);
		return -EINVAL;
	}
	const char *attach;
	if (nf_sec_type(p->sec, &p->type, &p->expected_attach_type, &p->retprobe, &attach)) {
		nf_seterr("program %s: unknown section \"%s\"", name, sec);
		return -ENOENT;
	}
	strcpy(p->attach, attach); /* a tail of sec: it fits */
	return nf_link_prog(c, p, s->st_shndx, (uint32_t)(s->st_value / 8), (uint32_t)(s->st_size / 8));
}

static int collect_progs(struct nf_obj_ctx *c)
{
	struct nf_obj *o = c->obj;
	uint32_t n = 0;

	for (uint32_t i = 1; i < c->elf.nsyms; i++)
		n += is_prog_sym(c, &c->elf.syms[i]);
	if (n > NF_MAX_PROGS) {
		nf_seterr("too many programs");
		return -E2BIG;
	}
	o->progs = calloc(n ? n : 1, sizeof(*o->progs));
	if (!o->progs)
		return -ENOMEM;
	for (uint32_t i = 1; i < c->elf.nsyms; i++) {
		const Elf64_Sym *s = &c->elf.syms[i];
		int err;
		if (is_prog_sym(c, s) && (err = init_prog(c, &o->progs[o->nprogs++], s)))
			return err;
	}
	return 0;
}

int nf_obj_parse(struct nf_obj *obj, const void *data, size_t len)
{
	struct nf_obj_ctx c = { .obj = obj, .maps_sec = -1 };
	int err;

	memset(obj, 0, sizeof(*obj));
	c.buf = malloc(len ? len : 1);
	if (!c.buf)
		return -ENOMEM;
	memcpy(c.buf, data, len);
	if (!(err = nf_elf_open(&c.elf, c.buf, len))) {
		c.maps_sec = nf_elf_find_sec(&c.elf, ".maps");
		if (!(err = parse_license(&c)) && !(err = parse_version(&c)) &&
		    !(err = parse_btf(&c)) && !(err = nf_link_check_rels(&c)) &&
		    !(err = nf_maps_collect(&c)))
			err = collect_progs(&c);
	}
	nf_btf_ext_free(&c.ext);
	free(c.map_off);
	free(c.buf);
	if (err)
		nf_obj_free(obj);
	return err;
}

static void free_prog(struct nf_prog_spec *p)
{
	free(p->insns);
	free(p->relocs);
	free(p->core);
	free(p->func_info);
	free(p->line_info);
}

void nf_obj_free(struct nf_obj *obj)
{
	for (uint32_t i = 0; i < obj->nprogs; i++)
		free_prog(&obj->progs[i]);
	for (uint32_t i = 0; i < obj->nmaps; i++)
		free(obj->maps[i].init);
	free(obj->progs);
	free(obj->maps);
	nf_btf_destroy(obj->btf);
	memset(obj, 0, sizeof(*obj));
}

struct nf_map_spec *nf_obj_map(struct nf_obj *obj, const char *name)
{
	for (uint32_t i = 0; i < obj->nmaps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return &obj->maps[i];
	return NULL;
}

struct nf_prog_spec *nf_obj_prog(struct nf_obj *obj, const char *name)
{
	for (uint32_t i = 0; i < obj->nprogs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	return NULL;
}

/* The DATASEC entry of a variable: its map, offset and size. */
static int find_var(struct nf_obj *obj, const char *var, struct nf_map_spec **map,
		    uint32_t *off, uint32_t *size)
{
	const struct nf_btf *btf = obj->btf;

	for (uint32_t i = 0; btf && i < obj->nmaps; i++) {
		struct nf_map_spec *m = &obj->maps[i];
		const struct btf_type *ds = nf_btf_type(btf, m->btf_value_id);
		if (m->kind == NF_MAP_USER || !ds || nf_btf_kind(ds) != BTF_KIND_DATASEC)
			continue;
		const struct btf_var_secinfo *v = (const void *)(ds + 1);
		for (uint32_t k = 0; k < nf_btf_vlen(ds); k++) {
			const struct btf_type *vt = nf_btf_type(btf, v[k].type);
			if (vt && !strcmp(nf_btf_name(btf, vt), var)) {
				*map = m;
				*off = v[k].offset;
				*size = v[k].size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int nf_obj_set_var(struct nf_obj *obj, const char *var, const void *val, size_t len)
{
	struct nf_map_spec *m;
	uint32_t off, size;

	if (find_var(obj, var, &m, &off, &size)) {
		nf_seterr("no global variable %s", var);
		return -ENOENT;
	}
	if (len != size || off > m->value_size || size > m->value_size - off) {
		nf_seterr("variable %s is %u bytes, not %zu", var, size, len);
		return -EINVAL;
	}
	memcpy(m->init + off, val, len);
	return 0;
}
