/* BTF: parsing and queries on hand-built blobs, validation failures, facts
 * of clang's BTF against the C headers, DATASEC fixup against the ELF, and
 * sanitisation for older kernels. */
#include <errno.h>
#include <stddef.h>
#include <linux/bpf.h>
#include "parse/btf.h"
#include "btf_build.h"
#include "elf_walk.h"
#include "log.h"
#include "parse/obj.h"
#include "t.h"

#define KIND(t) BTF_INFO_KIND((t)->info)
#define VLEN(t) BTF_INFO_VLEN((t)->info)

static int parse_bb(const struct bb *b, struct nf_btf *out)
{
	size_t len;
	void *blob = bb_blob(b, &len);
	int err = nf_btf_parse(out, blob, len);
	free(blob);
	return err;
}

static void test_queries(void)
{
	struct bb b;
	struct nf_btf btf;
	bb_init(&b);
	uint32_t i32 = bb_int(&b, "int", 4, 1);                     /* 1 */
	uint32_t u32 = bb_int(&b, "unsigned int", 4, 0);            /* 2 */
	uint32_t td = bb_type(&b, "u32", BTF_KIND_TYPEDEF, 0, u32); /* 3 */
	uint32_t cst = bb_type(&b, NULL, BTF_KIND_CONST, 0, td);    /* 4 */
	uint32_t vol = bb_type(&b, NULL, BTF_KIND_VOLATILE, 0, cst); /* 5 */
	uint32_t arr3 = bb_type(&b, NULL, BTF_KIND_ARRAY, 0, 0);    /* 6: char[3] of int */
	bb_u32(&b, i32);
	bb_u32(&b, i32);
	bb_u32(&b, 3);
	uint32_t ptr = bb_type(&b, NULL, BTF_KIND_PTR, 0, 0);       /* 7: void * */
	uint32_t st = bb_type(&b, "s", BTF_KIND_STRUCT, 3, 24);     /* 8 */
	bb_member(&b, "a", vol, 0);
	bb_member(&b, "c", arr3, 32);
	bb_member(&b, "p", ptr, 128);
	uint32_t arr4 = bb_type(&b, NULL, BTF_KIND_ARRAY, 0, 0);    /* 9: struct s[4] */
	bb_u32(&b, st);
	bb_u32(&b, i32);
	bb_u32(&b, 4);

	T_CASE("btf: parse, find, sizes, modifiers") {
		REQUIRE(parse_bb(&b, &btf) == 0);
		CHECK_EQ(btf.ntypes, 10);
		CHECK_EQ(nf_btf_find(&btf, "s", BTF_KIND_STRUCT), st);
		CHECK_EQ(nf_btf_find(&btf, "s", BTF_KIND_UNION), -ENOENT);
		CHECK_EQ(nf_btf_find(&btf, "u32", BTF_KIND_TYPEDEF), td);
		CHECK_EQ(nf_btf_size(&btf, st), 24);
		CHECK_EQ(nf_btf_size(&btf, arr4), 96);
		CHECK_EQ(nf_btf_size(&btf, arr3), 12);
		CHECK_EQ(nf_btf_size(&btf, ptr), 8);
		CHECK_EQ(nf_btf_size(&btf, vol), 4);
		CHECK(nf_btf_size(&btf, 0) < 0); /* void */
		CHECK_EQ(nf_btf_skip_mods(&btf, vol), u32);
		CHECK_EQ(nf_btf_skip_mods(&btf, st), st);
		CHECK(nf_btf_type(&btf, 0) == NULL);
		CHECK(nf_btf_type(&btf, 10) == NULL);
		CHECK_EQ(KIND(nf_btf_type(&btf, cst)), BTF_KIND_CONST);
		CHECK_STR(nf_btf_str(&btf, nf_btf_type(&btf, st)->name_off), "s");
		CHECK(nf_btf_str(&btf, btf.str_len) == NULL);
		nf_btf_free(&btf);
	}
	T_CASE("btf: nf_btf_new/destroy and a copy independent of the input") {
		size_t len;
		uint8_t *blob = bb_blob(&b, &len);
		struct nf_btf *n = nf_btf_new(blob, len);
		REQUIRE(n != NULL);
		memset(blob, 0xff, len);
		CHECK_EQ(nf_btf_find(n, "s", BTF_KIND_STRUCT), st);
		size_t rl;
		CHECK(nf_btf_raw(n, &rl) != NULL && rl == len);
		nf_btf_destroy(n);
		free(blob);
	}
}

static int parse_fails(struct bb *b)
{
	struct nf_btf btf;
	int err = parse_bb(b, &btf);
	if (!err)
		nf_btf_free(&btf);
	return err;
}

static void test_invalid(void)
{
	struct bb b;
	T_CASE("btf invalid: type id out of range") {
		bb_init(&b);
		bb_type(&b, NULL, BTF_KIND_PTR, 0, 99);
		CHECK_EQ(parse_fails(&b), -EINVAL);
	}
	T_CASE("btf invalid: reference loops (typedef->ptr->typedef, const->itself)") {
		bb_init(&b);
		bb_type(&b, "a", BTF_KIND_TYPEDEF, 0, 2);
		bb_type(&b, NULL, BTF_KIND_PTR, 0, 1);
		CHECK_EQ(parse_fails(&b), -EINVAL);
		bb_init(&b);
		bb_type(&b, NULL, BTF_KIND_CONST, 0, 1);
		CHECK_EQ(parse_fails(&b), -EINVAL);
		bb_init(&b);
		bb_int(&b, "int", 4, 1);
		uint32_t a = bb_type(&b, NULL, BTF_KIND_ARRAY, 0, 0);
		bb_u32(&b, a); /* array of itself */
		bb_u32(&b, 1);
		bb_u32(&b, 2);
		CHECK_EQ(parse_fails(&b), -EINVAL);
	}
	T_CASE("btf invalid: member type and name out of range") {
		bb_init(&b);
		bb_int(&b, "int", 4, 1);
		bb_type(&b, "s", BTF_KIND_STRUCT, 1, 4);
		bb_member(&b, "x", 7, 0);
		CHECK_EQ(parse_fails(&b), -EINVAL);
		bb_init(&b);
		bb_int(&b, "int", 4, 1);
		bb_type(&b, "s", BTF_KIND_STRUCT, 1, 4);
		bb_u32(&b, 5000); /* name offset */
		bb_u32(&b, 1);
		bb_u32(&b, 0);
		CHECK_EQ(parse_fails(&b), -EINVAL);
	}
	T_CASE("btf invalid: unknown kind, vlen past the end, truncated type") {
		bb_init(&b);
		bb_type(&b, NULL, 31, 0, 0);
		CHECK_EQ(parse_fails(&b), -EINVAL);
		bb_init(&b);
		bb_type(&b, "s", BTF_KIND_STRUCT, 0xffff, 4);
		CHECK_EQ(parse_fails(&b), -EINVAL);
		bb_init(&b);
		bb_type(&b, "i", BTF_KIND_INT, 0, 4); /* INT without its encoding word */
		CHECK_EQ(parse_fails(&b), -EINVAL);
	}
	T_CASE("btf invalid: header and string section") {
		size_t len;
		struct nf_btf btf;
		bb_init(&b);
		bb_int(&b, "int", 4, 1);
		uint8_t *blob = bb_blob(&b, &len);
		struct btf_header *h = (struct btf_header *)blob;
		struct btf_header good = *h;
		h->magic = 0x1234;
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		*h = good;
		h->type_len += 4;
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		*h = good;
		h->str_off = 0xfffffff0;
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		*h = good;
		h->hdr_len = 8;
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		*h = good;
		h->hdr_len = (uint32_t)len + 1;
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		*h = good;
		blob[len - 1] = 'x'; /* strings not terminated */
		CHECK_EQ(nf_btf_parse(&btf, blob, len), -EINVAL);
		blob[len - 1] = 0;
		CHECK_EQ(nf_btf_parse(&btf, blob, sizeof(*h) - 1), -EINVAL);
		CHECK_EQ(nf_btf_parse(&btf, blob, len), 0);
		nf_btf_free(&btf);
		free(blob);
	}
	T_CASE("btf invalid: array sizes that overflow are errors, not wraps") {
		struct nf_btf btf;
		bb_init(&b);
		bb_int(&b, "long", 8, 1);
		uint32_t a1 = bb_type(&b, NULL, BTF_KIND_ARRAY, 0, 0);
		bb_u32(&b, 1);
		bb_u32(&b, 1);
		bb_u32(&b, 0xffffffff);
		uint32_t a2 = bb_type(&b, NULL, BTF_KIND_ARRAY, 0, 0);
		bb_u32(&b, a1);
		bb_u32(&b, 1);
		bb_u32(&b, 0xffffffff);
		REQUIRE(parse_bb(&b, &btf) == 0);
		CHECK(nf_btf_size(&btf, a2) < 0);
		nf_btf_free(&btf);
	}
}

static void check_member(const struct nf_btf *btf, int sid, const char *name, size_t off)
{
	const struct btf_type *t = nf_btf_type(btf, (uint32_t)sid);
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	for (uint32_t i = 0; i < VLEN(t); i++)
		if (!strcmp(nf_btf_str(btf, m[i].name_off), name)) {
			CHECK_EQ(m[i].offset, off * 8);
			return;
		}
	printf("FAIL %s: member %s not found\n", t_case, name);
	t_failed_in_case = 1;
}

struct pair { /* as in maps.bpf.c */
	__u32 a;
	__u64 b;
};

static int parse_fixture(const char *name, void **elf, struct nf_obj *o)
{
	size_t len;
	*elf = t_read_file(t_fixture(name), &len);
	if (!*elf || nf_obj_parse(o, *elf, len)) {
		printf("FAIL btf fixture %s: %s\n", name, *elf ? nf_lasterr() : "cannot read");
		free(*elf);
		return -1;
	}
	return 0;
}

static void test_fixture_facts(void)
{
	void *elf;
	struct nf_obj o;
	if (parse_fixture("globals", &elf, &o))
		return;
	T_CASE("btf fixture: __sk_buff members at the UAPI header's offsets") {
		int id = nf_btf_find(o.btf, "__sk_buff", BTF_KIND_STRUCT);
		REQUIRE(id > 0);
		CHECK_EQ(nf_btf_size(o.btf, (uint32_t)id), sizeof(struct __sk_buff));
		check_member(o.btf, id, "len", offsetof(struct __sk_buff, len));
		check_member(o.btf, id, "mark", offsetof(struct __sk_buff, mark));
		check_member(o.btf, id, "cb", offsetof(struct __sk_buff, cb));
		check_member(o.btf, id, "data", offsetof(struct __sk_buff, data));
		check_member(o.btf, id, "remote_ip6", offsetof(struct __sk_buff, remote_ip6));
		check_member(o.btf, id, "tstamp", offsetof(struct __sk_buff, tstamp));
	}
	T_CASE("btf fixture: DATASEC sizes are section sizes, VAR offsets symbol values") {
		int checked = 0;
		for (uint32_t id = 1; id < o.btf->ntypes; id++) {
			const struct btf_type *t = nf_btf_type(o.btf, id);
			if (KIND(t) != BTF_KIND_DATASEC)
				continue;
			const char *sec = nf_btf_str(o.btf, t->name_off);
			const Elf64_Shdr *sh = ew_sec(elf, sec);
			CHECK(sh != NULL);
			if (!sh)
				continue;
			CHECK_EQ(t->size, sh->sh_size);
			const struct btf_var_secinfo *v = (const void *)(t + 1);
			for (uint32_t i = 0; i < VLEN(t); i++) {
				const struct btf_type *var = nf_btf_type(o.btf, v[i].type);
				const Elf64_Sym *s = ew_sym(elf, nf_btf_str(o.btf, var->name_off));
				CHECK(s != NULL);
				if (s)
					CHECK_EQ(v[i].offset, s->st_value);
				if (i)
					CHECK(v[i].offset >= v[i - 1].offset + v[i - 1].size);
				checked++;
			}
		}
		CHECK(checked >= 7); /* counts events cfg_magic run_count seen_magic sub_result LICENSE */
	}
	nf_obj_free(&o);
	free(elf);
	if (parse_fixture("maps", &elf, &o))
		return;
	T_CASE("btf fixture: struct pair layout equals the C compiler's") {
		int id = nf_btf_find(o.btf, "pair", BTF_KIND_STRUCT);
		REQUIRE(id > 0);
		CHECK_EQ(nf_btf_size(o.btf, (uint32_t)id), sizeof(struct pair));
		check_member(o.btf, id, "a", offsetof(struct pair, a));
		check_member(o.btf, id, "b", offsetof(struct pair, b));
	}
	nf_obj_free(&o);
	free(elf);
}

/* Every kind once; returns the ids in want[] by kind. */
static void build_all_kinds(struct bb *b, uint32_t *id)
{
	bb_init(b);
	id[BTF_KIND_INT] = bb_int(b, "int", 4, 1);
	id[BTF_KIND_PTR] = bb_type(b, NULL, BTF_KIND_PTR, 0, 1);
	id[BTF_KIND_ARRAY] = bb_type(b, NULL, BTF_KIND_ARRAY, 0, 0);
	bb_u32(b, 1);
	bb_u32(b, 1);
	bb_u32(b, 2);
	id[BTF_KIND_STRUCT] = bb_type(b, "st", BTF_KIND_STRUCT, 1, 4);
	bb_member(b, "m", 1, 0);
	id[BTF_KIND_UNION] = bb_type(b, "un", BTF_KIND_UNION, 1, 4);
	bb_member(b, "m", 1, 0);
	id[BTF_KIND_ENUM] = bb_type(b, "en", BTF_KIND_ENUM, 1, 4);
	bb_u32(b, bb_str(b, "E1"));
	bb_u32(b, 1);
	id[BTF_KIND_FWD] = bb_type(b, "fw", BTF_KIND_FWD, 0, 0);
	id[BTF_KIND_TYPEDEF] = bb_type(b, "td", BTF_KIND_TYPEDEF, 0, 1);
	id[BTF_KIND_VOLATILE] = bb_type(b, NULL, BTF_KIND_VOLATILE, 0, 1);
	id[BTF_KIND_CONST] = bb_type(b, NULL, BTF_KIND_CONST, 0, 1);
	id[BTF_KIND_RESTRICT] = bb_type(b, NULL, BTF_KIND_RESTRICT, 0, id[BTF_KIND_PTR]);
	id[BTF_KIND_FUNC_PROTO] = bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 1, 1);
	bb_u32(b, bb_str(b, "arg"));
	bb_u32(b, 1);
	id[BTF_KIND_FUNC] = bb_type(b, "fn", BTF_KIND_FUNC, BTF_FUNC_GLOBAL, id[BTF_KIND_FUNC_PROTO]);
	id[BTF_KIND_VAR] = bb_type(b, "var", BTF_KIND_VAR, 0, 1);
	bb_u32(b, BTF_VAR_GLOBAL_ALLOCATED);
	id[BTF_KIND_DATASEC] = bb_type(b, ".data", BTF_KIND_DATASEC, 1, 8);
	bb_u32(b, id[BTF_KIND_VAR]);
	bb_u32(b, 4);
	bb_u32(b, 4);
	id[0] = bb_type(b, ".bss", BTF_KIND_DATASEC, 0, 16); /* empty DATASEC */
	id[BTF_KIND_FLOAT] = bb_type(b, "double", BTF_KIND_FLOAT, 0, 8);
	id[BTF_KIND_DECL_TAG] = bb_type(b, "tag", BTF_KIND_DECL_TAG, 0, id[BTF_KIND_FUNC]);
	bb_u32(b, (uint32_t)-1);
	id[BTF_KIND_TYPE_TAG] = bb_type(b, "user", BTF_KIND_TYPE_TAG, 0, 1);
	id[BTF_KIND_ENUM64] = bb_type(b, "e64", BTF_KIND_ENUM64, 2, 8);
	for (int i = 0; i < 2; i++) {
		bb_u32(b, bb_str(b, i ? "BIG" : "SMALL"));
		bb_u32(b, 1);
		bb_u32(b, (uint32_t)i);
	}
}

#define ALL_NEW_KINDS ((1u << BTF_KIND_VAR) | (1u << BTF_KIND_DATASEC) | (1u << BTF_KIND_FUNC) | \
		       (1u << BTF_KIND_FUNC_PROTO) | (1u << BTF_KIND_FLOAT) | (1u << BTF_KIND_DECL_TAG) | \
		       (1u << BTF_KIND_TYPE_TAG) | (1u << BTF_KIND_ENUM64))

static void test_sanitize(void)
{
	struct bb b;
	uint32_t id[NR_BTF_KINDS + 1] = { 0 };
	struct nf_btf btf;

	build_all_kinds(&b, id);
	T_CASE("btf sanitize: every newer kind rewritten, sizes kept, result parses") {
		REQUIRE(parse_bb(&b, &btf) == 0);
		int64_t before[64];
		uint32_t n0 = btf.ntypes;
		for (uint32_t i = 1; i < n0; i++)
			before[i] = nf_btf_size(&btf, i);
		REQUIRE(nf_btf_sanitize(&btf, ALL_NEW_KINDS) == 0);
		for (uint32_t i = 1; i < btf.ntypes; i++)
			CHECK(!(ALL_NEW_KINDS & (1u << KIND(nf_btf_type(&btf, i)))));
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_VAR])), BTF_KIND_INT);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_DATASEC])), BTF_KIND_STRUCT);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_FUNC])), BTF_KIND_TYPEDEF);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_FUNC_PROTO])), BTF_KIND_ENUM);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_FLOAT])), BTF_KIND_STRUCT);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_DECL_TAG])), BTF_KIND_INT);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_TYPE_TAG])), BTF_KIND_CONST);
		CHECK_EQ(KIND(nf_btf_type(&btf, id[BTF_KIND_ENUM64])), BTF_KIND_UNION);
		CHECK_EQ(nf_btf_size(&btf, id[BTF_KIND_FLOAT]), before[id[BTF_KIND_FLOAT]]);
		CHECK_EQ(nf_btf_size(&btf, id[BTF_KIND_ENUM64]), before[id[BTF_KIND_ENUM64]]);
		CHECK_EQ(nf_btf_size(&btf, id[BTF_KIND_DATASEC]), before[id[BTF_KIND_DATASEC]]);
		for (uint32_t k = BTF_KIND_INT; k <= BTF_KIND_FUNC_PROTO; k++)
			if (k != BTF_KIND_FUNC && k != BTF_KIND_FUNC_PROTO && k != BTF_KIND_FWD)
				CHECK_EQ(nf_btf_size(&btf, id[k]), before[id[k]]);
		/* The DATASEC became a struct with the variable as a member. */
		const struct btf_type *ds = nf_btf_type(&btf, id[BTF_KIND_DATASEC]);
		const struct btf_member *m = (const void *)(ds + 1);
		CHECK_STR(nf_btf_str(&btf, ds->name_off), "_data");
		CHECK_STR(nf_btf_str(&btf, m[0].name_off), "var");
		CHECK_EQ(m[0].type, id[BTF_KIND_INT]);
		CHECK_EQ(m[0].offset, 32);
		/* ENUM64 union members are 1-byte ints, within the union's size. */
		const struct btf_type *u = nf_btf_type(&btf, id[BTF_KIND_ENUM64]);
		m = (const void *)(u + 1);
		CHECK_EQ(VLEN(u), 2);
		CHECK_EQ(nf_btf_size(&btf, m[1].type), 1);
		size_t len;
		const void *raw = nf_btf_raw(&btf, &len);
		struct nf_btf *again = nf_btf_new(raw, len);
		CHECK(again != NULL);
		CHECK(again && again->ntypes == btf.ntypes);
		nf_btf_destroy(again);
		nf_btf_free(&btf);
	}
	T_CASE("btf sanitize: global func and empty DATASEC filler only") {
		REQUIRE(parse_bb(&b, &btf) == 0);
		uint32_t n0 = btf.ntypes, kinds[64];
		for (uint32_t i = 1; i < n0; i++)
			kinds[i] = KIND(nf_btf_type(&btf, i));
		REQUIRE(nf_btf_sanitize(&btf, NF_BTF_NO_GLOBAL_FUNC | NF_BTF_NO_EMPTY_DATASEC) == 0);
		for (uint32_t i = 1; i < n0; i++)
			CHECK_EQ(KIND(nf_btf_type(&btf, i)), kinds[i]);
		CHECK_EQ(VLEN(nf_btf_type(&btf, id[BTF_KIND_FUNC])), BTF_FUNC_STATIC);
		const struct btf_type *ds = nf_btf_type(&btf, id[0]);
		CHECK_EQ(VLEN(ds), 1);
		CHECK_EQ(ds->size, 16);
		const struct btf_var_secinfo *v = (const void *)(ds + 1);
		const struct btf_type *var = nf_btf_type(&btf, v[0].type);
		REQUIRE(var != NULL);
		CHECK_EQ(KIND(var), BTF_KIND_VAR);
		CHECK_EQ(v[0].offset, 0);
		CHECK_EQ(v[0].size, 1);
		CHECK_EQ(nf_btf_size(&btf, var->type), 1);
		CHECK_EQ(btf.ntypes, n0 + 2);
		/* The non-empty DATASEC is untouched. */
		CHECK_EQ(VLEN(nf_btf_type(&btf, id[BTF_KIND_DATASEC])), 1);
		nf_btf_free(&btf);
	}
	T_CASE("btf sanitize: nothing missing leaves the blob byte for byte") {
		REQUIRE(parse_bb(&b, &btf) == 0);
		size_t len0, len1;
		const void *r0 = nf_btf_raw(&btf, &len0);
		void *copy = malloc(len0);
		memcpy(copy, r0, len0);
		CHECK_EQ(nf_btf_sanitize(&btf, 0), 0);
		const void *r1 = nf_btf_raw(&btf, &len1);
		CHECK(len0 == len1 && !memcmp(copy, r1, len0));
		free(copy);
		nf_btf_free(&btf);
	}
	T_CASE("btf sanitize: clang's object BTF for a 5.1-era kernel re-parses") {
		void *elf;
		struct nf_obj o;
		REQUIRE(parse_fixture("globals", &elf, &o) == 0);
		CHECK_EQ(nf_btf_sanitize(o.btf, ALL_NEW_KINDS | NF_BTF_NO_GLOBAL_FUNC), 0);
		size_t len;
		const void *raw = nf_btf_raw(o.btf, &len);
		struct nf_btf *again = nf_btf_new(raw, len);
		CHECK(again != NULL);
		for (uint32_t i = 1; again && i < again->ntypes; i++)
			CHECK(KIND(nf_btf_type(again, i)) < BTF_KIND_VAR);
		nf_btf_destroy(again);
		nf_obj_free(&o);
		free(elf);
	}
}

int main(void)
{
	test_queries();
	test_invalid();
	test_fixture_facts();
	test_sanitize();
	return t_summary();
}
