/* The host ELF symbol reader (loader/parse/elf_sym.c) against readelf's
 * and nm's reading of binaries built at test time by gcc, clang and, when
 * installed, clang with lld (tests/fixtures/host/, the Makefile's hostfix
 * rules): every function with its version, address, size and file offset
 * (computed here from the program headers readelf printed), the constant
 * each fixture function returns found at that offset, crafted conflicts
 * and corruptions, every truncation and random byte flips. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include "parse/elf_read.h"
#include "parse/elf_sym.h"
#include "elf_walk.h"
#include "log.h"
#include "t.h"

#define MAX_SYMS 256
#define MAX_LOADS 16

/* One defined function as readelf -s prints it. */
struct truth_sym {
	char name[128];     /* as printed: .dynsym names carry @V / @@V */
	char base[128];
	char version[64];
	int hidden, dynamic;
	unsigned num;       /* index in its table */
	uint64_t value, size;
	int type, bind;
};

struct truth_load {
	uint64_t off, vaddr, filesz;
	int exec;
};

struct fixture {
	char path[256];
	uint8_t *data;
	size_t len;
	struct truth_sym syms[MAX_SYMS];
	int nsyms;
	struct truth_load loads[MAX_LOADS];
	int nloads;
	int etype;          /* ET_DYN or ET_EXEC, as readelf -l says */
	int has_symtab;
};

/* Fixed seed so failures reproduce; NF_FLIP_SEED picks another for fuzzing. */
static uint32_t rng = 0x9e3779b9;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}


static const char *hostfix_dir(void)
{
	static char dir[256];
	const char *d = getenv("NF_HOSTFIX"), *b = getenv("B");
	if (d)
		return d;
	snprintf(dir, sizeof(dir), "%s/hostfix", b && *b ? b : "build");
	return dir;
}

/* ---- ground truth: readelf and nm output ------------------------------ */

/* The text file readelf or nm wrote beside the fixture: PATH.EXT */
static FILE *open_truth(const struct fixture *f, const char *ext)
{
	char path[300];
	snprintf(path, sizeof(path), "%.255s.%s", f->path, ext);
	return fopen(path, "r");
}

static int split(char *line, char **tok, int max)
{
	int n = 0;
	for (char *t = strtok(line, " \t\n"); t && n < max; t = strtok(NULL, " \t\n"))
		tok[n++] = t;
	return n;
}

static int bind_of(const char *s)
{
	return !strcmp(s, "GLOBAL") ? STB_GLOBAL : !strcmp(s, "WEAK") ? STB_WEAK :
	       !strcmp(s, "LOCAL") ? STB_LOCAL : !strcmp(s, "UNIQUE") ? STB_GNU_UNIQUE : -1;
}

/* name@V is hidden, name@@V the default; a .symtab name without @ takes the
 * version of the .dynsym entry of that name at that address (lld). */
static void set_truth_version(struct fixture *f, struct truth_sym *s)
{
	char *at = strchr(s->name, '@');
	size_t blen = at ? (size_t)(at - s->name) : strlen(s->name);
	memcpy(s->base, s->name, blen);
	s->base[blen] = '\0';
	if (at) {
		s->hidden = at[1] != '@';
		snprintf(s->version, sizeof(s->version), "%s", at + 1 + !s->hidden);
		return;
	}
	for (int i = 0; !s->dynamic && i < f->nsyms; i++)
		if (f->syms[i].dynamic && f->syms[i].value == s->value && !strcmp(f->syms[i].base, s->base)) {
			s->hidden = f->syms[i].hidden;
			memcpy(s->version, f->syms[i].version, sizeof(s->version));
			return;
		}
}

/* "  6: 0000000000001130  6 FUNC  GLOBAL DEFAULT  13 plain_fn@@VER_2" */
static void parse_sym_line(struct fixture *f, char *line, int dynamic)
{
	char *tok[16];
	int n = split(line, tok, 16), k = 3;
	if (n < 7 || !strchr(tok[0], ':') || !isdigit((unsigned char)tok[0][0]))
		return;
	int type = !strcmp(tok[3], "FUNC") ? STT_FUNC : !strcmp(tok[3], "IFUNC") ? STT_GNU_IFUNC : -1;
	if (!strcmp(tok[3], "<OS") && n >= 9) { /* "<OS specific>: 10" when the OSABI is not GNU */
		type = atoi(tok[5]) == STT_GNU_IFUNC ? STT_GNU_IFUNC : -1;
		k = 5;
	}
	if (type < 0 || n < k + 5)
		return;
	uint64_t value = strtoull(tok[1], NULL, 16);
	int bind = bind_of(tok[k + 1]);
	if (!value || bind < 0 || !strcmp(tok[k + 3], "UND") || f->nsyms == MAX_SYMS)
		return;
	struct truth_sym *s = &f->syms[f->nsyms++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", tok[k + 4]);
	s->dynamic = dynamic;
	s->num = (unsigned)strtoul(tok[0], NULL, 10);
	s->value = value;
	s->size = strtoull(tok[2], NULL, 0);
	s->type = type;
	s->bind = bind;
	set_truth_version(f, s);
}

static int read_syms(struct fixture *f)
{
	char line[512];
	int dynamic = -1;
	FILE *in = open_truth(f, "syms");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		if (strstr(line, "Symbol table '")) {
			dynamic = strstr(line, "'.dynsym'") != NULL;
			f->has_symtab |= strstr(line, "'.symtab'") != NULL;
		} else if (dynamic >= 0) {
			parse_sym_line(f, line, dynamic);
		}
	}
	fclose(in);
	return 0;
}

/* "  LOAD  0x001000 0x0000000000001000 0x0000000000001000 0x0001a5 0x0001a5 R E 0x1000" */
static int read_phdrs(struct fixture *f)
{
	char line[512], *tok[16];
	FILE *in = open_truth(f, "phdrs");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		if (strstr(line, "Elf file type is DYN"))
			f->etype = ET_DYN;
		if (strstr(line, "Elf file type is EXEC"))
			f->etype = ET_EXEC;
		int n = split(line, tok, 16);
		if (n < 8 || strcmp(tok[0], "LOAD") || f->nloads == MAX_LOADS)
			continue;
		struct truth_load *l = &f->loads[f->nloads++];
		l->off = strtoull(tok[1], NULL, 16);
		l->vaddr = strtoull(tok[2], NULL, 16);
		l->filesz = strtoull(tok[4], NULL, 16);
		for (int i = 6; i < n - 1; i++)
			l->exec |= strchr(tok[i], 'E') != NULL;
	}
	fclose(in);
	return 0;
}

static int load_fixture(struct fixture *f, const char *kind, const char *file)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/%s/%s", hostfix_dir(), kind, file);
	f->data = t_read_file(f->path, &f->len);
	if (!f->data || read_syms(f) || read_phdrs(f)) {
		printf("FAIL elf_sym %s/%s: cannot read %s or its .syms/.phdrs (make fixtures)\n", kind, file, f->path);
		free(f->data);
		f->data = NULL;
		return -1;
	}
	return 0;
}

static const struct truth_sym *truth_named(const struct fixture *f, const char *name, int dynamic)
{
	for (int i = 0; i < f->nsyms; i++)
		if (f->syms[i].dynamic == dynamic && !strcmp(f->syms[i].name, name))
			return &f->syms[i];
	return NULL;
}

/* The file offset of vaddr through readelf's LOAD lines (R E first). */
static uint64_t truth_off(const struct fixture *f, uint64_t v)
{
	const struct truth_load *found = NULL;
	for (int i = 0; i < f->nloads; i++) {
		const struct truth_load *l = &f->loads[i];
		if (v >= l->vaddr && v - l->vaddr < l->filesz && (!found || (l->exec && !found->exec)))
			found = l;
	}
	return found ? v - found->vaddr + found->off : NF_ELF_NO_OFF;
}

/* What a lookup of q must give, from the readelf lines and the rules in
 * loader/parse/elf_sym.h: the default version first, then GLOBAL, WEAK,
 * LOCAL; two at the best rank at different addresses are an error. */
struct expect {
	int rc;
	const struct truth_sym *sym;
	int conflict;
};

static int truth_rank(const struct truth_sym *s)
{
	return s->hidden * 3 + (s->bind == STB_WEAK ? 1 : s->bind == STB_LOCAL ? 2 : 0);
}

static struct expect expect_lookup(const struct fixture *f, const char *q)
{
	const char *at = strchr(q, '@');
	size_t blen = at ? (size_t)(at - q) : strlen(q);
	int want_default = at && at[1] == '@';
	const char *ver = at ? at + 1 + want_default : NULL;
	struct expect e = { -ENOENT, NULL, 0 };

	for (int i = 0; blen && i < f->nsyms; i++) {
		const struct truth_sym *s = &f->syms[i];
		if (strlen(s->base) != blen || strncmp(s->base, q, blen))
			continue;
		if (ver && (strcmp(s->version, ver) || (want_default && s->hidden)))
			continue;
		if (!e.sym || truth_rank(s) < truth_rank(e.sym)) {
			e.sym = s;
			e.conflict = 0;
		} else if (truth_rank(s) == truth_rank(e.sym) && s->value != e.sym->value) {
			e.conflict = 1;
		}
	}
	if (e.sym)
		e.rc = e.conflict ? -EINVAL : 0;
	if (e.rc == 0 && truth_off(f, e.sym->value) == NF_ELF_NO_OFF)
		e.rc = -EINVAL;
	return e;
}

/* ---- comparisons ------------------------------------------------------ */

static void check_query(const struct fixture *f, const struct nf_host_elf *h, const char *q)
{
	struct expect e = expect_lookup(f, q);
	struct nf_elf_sym_info in;
	int rc = nf_host_elf_lookup(h, q, &in);

	if (rc != e.rc) {
		t_failf("lookup %s: %d (%s), want %d", q, rc, nf_lasterr(), e.rc);
		return;
	}
	if (nf_host_elf_has(h, q) != (e.rc != -ENOENT))
		t_failf("has %s: %d", q, nf_host_elf_has(h, q));
	if (e.conflict && !strstr(nf_lasterr(), "defined twice"))
		t_failf("lookup %s: error text \"%s\"", q, nf_lasterr());
	if (rc)
		return;
	if (in.vaddr != e.sym->value || in.size != e.sym->size || in.bind != e.sym->bind ||
	    in.type != e.sym->type || in.file_off != truth_off(f, e.sym->value))
		t_failf("lookup %s: vaddr 0x%" PRIx64 " size %" PRIu64 " bind %d type %d off 0x%" PRIx64
		     ", readelf: 0x%" PRIx64 " %" PRIu64 " %d %d 0x%" PRIx64 " (%s)", q, in.vaddr, in.size, in.bind,
		     in.type, in.file_off, e.sym->value, e.sym->size, e.sym->bind, e.sym->type,
		     truth_off(f, e.sym->value), e.sym->name);
}

/* Every name readelf printed, its base, and its base with each version
 * spelling; then names that are not there. */
static void check_all_queries(const struct fixture *f, const struct nf_host_elf *h)
{
	static const char *absent[] = { "no_such_fn", "", "@VER_1", "foo@NO_VER", "data_obj", "puts", "printf" };
	char q[256];

	for (int i = 0; i < f->nsyms; i++) {
		const struct truth_sym *s = &f->syms[i];
		check_query(f, h, s->name);
		check_query(f, h, s->base);
		snprintf(q, sizeof(q), "%s@%s", s->base, s->version);
		check_query(f, h, q);
		snprintf(q, sizeof(q), "%s@@%s", s->base, s->version);
		check_query(f, h, q);
	}
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		struct nf_elf_sym_info in;
		if (nf_host_elf_lookup(h, absent[i], &in) != -ENOENT || nf_host_elf_has(h, absent[i]))
			t_failf("lookup \"%s\": found", absent[i]);
	}
}

/* nf_host_elf_next yields readelf's function lines, in order. */
static void check_iteration(const struct fixture *f, const struct nf_host_elf *h)
{
	struct nf_host_sym s;
	size_t pos = 0;
	int n = 0;
	char name[256];

	while (nf_host_elf_next(h, &pos, &s)) {
		if (n == f->nsyms) {
			t_failf("iteration: more than readelf's %d functions (%s)", f->nsyms, s.name);
			return;
		}
		const struct truth_sym *t = &f->syms[n++];
		if (s.dynamic && s.version[0] && !strchr(s.name, '@'))
			snprintf(name, sizeof(name), "%s%s%s", s.name, s.hidden ? "@" : "@@", s.version);
		else
			snprintf(name, sizeof(name), "%s", s.name);
		if (strcmp(name, t->name) || s.dynamic != t->dynamic || s.hidden != t->hidden ||
		    strcmp(s.version, t->version) || s.name_len != strlen(t->base) || s.info.vaddr != t->value ||
		    s.info.size != t->size || s.info.bind != t->bind || s.info.type != t->type ||
		    s.info.file_off != truth_off(f, t->value))
			t_failf("iteration %d: %s %s 0x%" PRIx64 " off 0x%" PRIx64 ", readelf %s %s 0x%" PRIx64, n, name,
			     s.version, s.info.vaddr, s.info.file_off, t->name, t->version, t->value);
	}
	if (n != f->nsyms)
		t_failf("iteration: %d functions, readelf %d", n, f->nsyms);
}

/* nm -D (BFD, a reader other than readelf): each text (T) and IFUNC (i)
 * symbol is found at nm's address. */
static void check_nm(const struct fixture *f, const struct nf_host_elf *h)
{
	char line[512], *tok[4];
	int seen = 0;
	FILE *in = open_truth(f, "nm");
	if (!in) {
		t_failf("cannot read %s.nm", f->path);
		return;
	}
	while (fgets(line, sizeof(line), in)) {
		struct nf_elf_sym_info info;
		if (split(line, tok, 4) != 3 || (strcmp(tok[1], "T") && strcmp(tok[1], "i")))
			continue;
		seen++;
		int rc = nf_host_elf_lookup(h, tok[2], &info);
		if (rc || info.vaddr != strtoull(tok[0], NULL, 16))
			t_failf("nm %s at %s: %d, 0x%" PRIx64, tok[2], tok[0], rc, info.vaddr);
	}
	fclose(in);
	int dynamic_functions = 0;
	for (int i = 0; i < f->nsyms; i++)
		dynamic_functions += f->syms[i].dynamic;
	CHECK(seen > 0 || dynamic_functions == 0);
}

/* The constant a fixture function returns: an x86 mov imm32 keeps its 4
 * bytes together (aarch64 splits them: not checked there). */
static const struct {
	const char *name;
	uint32_t magic;
} magics[] = {
	{ "foo@VER_1", 0x0f001001 }, { "foo", 0x0f002002 }, { "foo@@VER_2", 0x0f002002 },
	{ "weak_fn", 0x0bea0001 }, { "plain_fn", 0x0a1a0001 }, { "impl", 0x01f00001 },
	{ "exe_fn", 0x0e0e0001 }, { "exe_static", 0x0e0e0002 }, { "exe_weak", 0x0e0e0003 },
};

static int has_bytes(const uint8_t *p, uint64_t n, uint32_t v)
{
	for (uint64_t i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, &v, 4))
			return 1;
	return 0;
}

static void check_magics(const struct fixture *f, const struct nf_host_elf *h)
{
	if (h->machine != EM_X86_64)
		return;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		struct nf_elf_sym_info in;
		if (nf_host_elf_lookup(h, magics[i].name, &in) == 0 &&
		    !has_bytes(f->data + in.file_off, in.size, magics[i].magic))
			t_failf("%s: 0x%08x not in its %" PRIu64 " bytes at file offset 0x%" PRIx64, magics[i].name,
			     magics[i].magic, in.size, in.file_off);
	}
}

static int expect_found(const struct nf_host_elf *h, const char *name, struct nf_elf_sym_info *in)
{
	int rc = nf_host_elf_lookup(h, name, in);
	if (rc)
		t_failf("lookup %s: %d (%s)", name, rc, nf_lasterr());
	return rc;
}

static void expect_rc(const struct nf_host_elf *h, const char *name, int want, const char *text)
{
	struct nf_elf_sym_info in;
	nf_seterr("%s", "");
	int rc = nf_host_elf_lookup(h, name, &in);
	if (rc != want)
		t_failf("lookup %s: %d, want %d", name, rc, want);
	else if (text && !strstr(nf_lasterr(), text))
		t_failf("lookup %s: error \"%s\", want \"%s\"", name, nf_lasterr(), text);
}

/* ---- per fixture ------------------------------------------------------ */

static void test_against_truth(const struct fixture *f, const char *label)
{
	char title[200];
	struct nf_host_elf h;

	snprintf(title, sizeof(title), "elf_sym %s: every function as readelf and nm read it", label);
	T_CASE(title) {
		REQUIRE(f->nsyms >= 4 && f->nloads >= 2 && f->etype);
		REQUIRE(nf_host_elf_open(&h, f->data, f->len) == 0);
#if defined(__x86_64__)
		CHECK_EQ(h.machine, EM_X86_64);
#elif defined(__aarch64__)
		CHECK_EQ(h.machine, EM_AARCH64);
#endif
		CHECK_EQ(h.type, f->etype);
		CHECK_EQ(h.symtab.nsyms > 0, f->has_symtab);
		check_iteration(f, &h);
		check_all_queries(f, &h);
		check_nm(f, &h);
		check_magics(f, &h);
	}
}

static uint64_t value_of(const struct fixture *f, const char *name, int dynamic)
{
	const struct truth_sym *s = truth_named(f, name, dynamic);
	if (!s)
		t_failf("readelf lists no %s in %s", name, dynamic ? ".dynsym" : ".symtab");
	return s ? s->value : 0;
}

/* What vers.c and vers.map say, whatever the toolchain. */
static void test_lib_facts(const struct fixture *f, const char *label, int stripped)
{
	char title[200];
	struct nf_host_elf h;
	struct nf_elf_sym_info in;

	snprintf(title, sizeof(title), "elf_sym %s: foo is foo@@VER_2, foo@VER_1 by name, weak, ifunc, %s", label,
		 stripped ? ".dynsym only" : "two static helpers");
	T_CASE(title) {
		REQUIRE(nf_host_elf_open(&h, f->data, f->len) == 0);
		uint64_t v1 = value_of(f, "foo@VER_1", 1), v2 = value_of(f, "foo@@VER_2", 1);
		REQUIRE(v1 && v2 && v1 != v2);
		if (!expect_found(&h, "foo", &in))
			CHECK_EQ(in.vaddr, v2);
		if (!expect_found(&h, "foo@@VER_2", &in))
			CHECK_EQ(in.vaddr, v2);
		if (!expect_found(&h, "foo@VER_2", &in))
			CHECK_EQ(in.vaddr, v2);
		if (!expect_found(&h, "foo@VER_1", &in))
			CHECK_EQ(in.vaddr, v1);
		expect_rc(&h, "foo@@VER_1", -ENOENT, "not found");
		expect_rc(&h, "foo@VER_3", -ENOENT, "not found");
		expect_rc(&h, "data_obj", -ENOENT, "not found");
		if (!expect_found(&h, "weak_fn", &in))
			CHECK_EQ(in.bind, STB_WEAK);
		if (!expect_found(&h, "ifn", &in))
			CHECK_EQ(in.type, STT_GNU_IFUNC);
		if (!expect_found(&h, "plain_fn", &in)) {
			CHECK_EQ(in.bind, STB_GLOBAL);
			CHECK_EQ(in.type, STT_FUNC);
			CHECK_EQ(in.vaddr, value_of(f, "plain_fn@@VER_2", 1));
		}
		CHECK_EQ(nf_host_elf_has(&h, "foo"), 1);
		CHECK_EQ(nf_host_elf_has(&h, "foo@VER_1"), 1);
		CHECK_EQ(nf_host_elf_has(&h, "data_obj"), 0);
		if (stripped) {
			CHECK_EQ(h.symtab.nsyms, 0);
			CHECK(h.dynsym.nsyms > 0 && h.versym != NULL && h.verdef != NULL);
			expect_rc(&h, "helper", -ENOENT, "not found");
			expect_rc(&h, "impl", -ENOENT, "not found");
		} else {
			CHECK(h.symtab.nsyms > 0);
			expect_rc(&h, "helper", -EINVAL, "defined twice");
			CHECK_EQ(nf_host_elf_has(&h, "helper"), 1);
			if (!expect_found(&h, "impl", &in))
				CHECK_EQ(in.bind, STB_LOCAL);
		}
	}
}

/* The stripped copy answers as the library it came from. */
static void test_stripped_same(const struct fixture *full, const struct fixture *stripped, const char *label)
{
	char title[200];
	struct nf_host_elf a, b;

	snprintf(title, sizeof(title), "elf_sym %s: the stripped copy gives the same .dynsym answers", label);
	T_CASE(title) {
		REQUIRE(nf_host_elf_open(&a, full->data, full->len) == 0);
		REQUIRE(nf_host_elf_open(&b, stripped->data, stripped->len) == 0);
		int n = 0;
		for (int i = 0; i < stripped->nsyms; i++) {
			struct nf_elf_sym_info x, y;
			const char *q = stripped->syms[i].name;
			int ra = nf_host_elf_lookup(&a, q, &x), rb = nf_host_elf_lookup(&b, q, &y);
			if (ra || rb || x.vaddr != y.vaddr || x.size != y.size || x.file_off != y.file_off)
				t_failf("%s: %d 0x%" PRIx64 " / %d 0x%" PRIx64, q, ra, x.vaddr, rb, y.vaddr);
			n++;
		}
		CHECK(n >= 7);
	}
}

static void test_exe_facts(const struct fixture *f, const char *label, int pie)
{
	char title[200];
	struct nf_host_elf h;
	struct nf_elf_sym_info in;

	snprintf(title, sizeof(title), "elf_sym %s: exe_fn, exe_weak, static exe_static, main; imports absent", label);
	T_CASE(title) {
		REQUIRE(nf_host_elf_open(&h, f->data, f->len) == 0);
		CHECK_EQ(h.type, pie ? ET_DYN : ET_EXEC);
		if (!expect_found(&h, "exe_fn", &in))
			CHECK_EQ(in.vaddr, value_of(f, "exe_fn", 0));
		if (!expect_found(&h, "exe_weak", &in))
			CHECK_EQ(in.bind, STB_WEAK);
		if (!expect_found(&h, "exe_static", &in))
			CHECK_EQ(in.bind, STB_LOCAL);
		if (!expect_found(&h, "main", &in))
			CHECK(in.size > 0);
		expect_rc(&h, "printf", -ENOENT, "not found");
		/* -rdynamic: the PIE's .dynsym has them, unversioned. */
		CHECK_EQ(truth_named(f, "exe_fn", 1) != NULL, pie);
	}
}

/* ---- crafted ---------------------------------------------------------- */

static uint8_t *copy_of(const struct fixture *f)
{
	uint8_t *c = malloc(f->len);
	memcpy(c, f->data, f->len);
	return c;
}

static Elf64_Sym *sym_in(uint8_t *d, const char *table, unsigned num)
{
	return (Elf64_Sym *)(d + ew_sec(d, table)->sh_offset) + num;
}

static void test_conflicts(const struct fixture *f)
{
	T_CASE("elf_sym crafted: GLOBAL twice at two addresses is an error, GLOBAL beats WEAK") {
		const struct truth_sym *dp = truth_named(f, "plain_fn@@VER_2", 1), *sp = truth_named(f, "plain_fn", 0);
		const struct truth_sym *sa = truth_named(f, "a_fn", 0), *impl = truth_named(f, "impl", 0);
		struct nf_host_elf h;
		struct nf_elf_sym_info in;
		char want[128];
		REQUIRE(dp && sp && sa && impl && impl->value != sp->value);
		REQUIRE(ew_sec(f->data, ".symtab") && ew_sec(f->data, ".dynsym"));

		uint8_t *d = copy_of(f);
		sym_in(d, ".symtab", sp->num)->st_value = sa->value;
		REQUIRE(nf_host_elf_open(&h, d, f->len) == 0);
		snprintf(want, sizeof(want), "symbol plain_fn defined twice (0x%" PRIx64 " and 0x%" PRIx64 ")",
			 dp->value, sa->value);
		expect_rc(&h, "plain_fn", -EINVAL, want);
		/* explicitly versioned, only the .dynsym entry is named */
		if (!expect_found(&h, "plain_fn@@VER_2", &in))
			CHECK_EQ(in.vaddr, dp->value);

		sym_in(d, ".symtab", sp->num)->st_info = ELF64_ST_INFO(STB_WEAK, STT_FUNC);
		if (!expect_found(&h, "plain_fn", &in))
			CHECK_EQ(in.vaddr, dp->value);

		memcpy(d, f->data, f->len);
		Elf64_Sym *ds = sym_in(d, ".dynsym", dp->num);
		ds->st_value = sa->value;
		ds->st_info = ELF64_ST_INFO(STB_WEAK, STT_FUNC);
		if (!expect_found(&h, "plain_fn", &in)) {
			CHECK_EQ(in.vaddr, sp->value);
			CHECK_EQ(in.bind, STB_GLOBAL);
		}

		/* the LOCAL impl renamed plain_fn: it loses to the GLOBAL one */
		memcpy(d, f->data, f->len);
		sym_in(d, ".symtab", impl->num)->st_name = sym_in(d, ".symtab", sp->num)->st_name;
		if (!expect_found(&h, "plain_fn", &in))
			CHECK_EQ(in.vaddr, sp->value);
		expect_rc(&h, "impl", -ENOENT, NULL);
		free(d);
	}
}

static void test_hidden_and_segments(const struct fixture *f)
{
	T_CASE("elf_sym crafted: a plain name takes a hidden version only when it is the only one") {
		const struct truth_sym *v1 = truth_named(f, "foo@VER_1", 1), *v2 = truth_named(f, "foo@@VER_2", 1);
		const Elf64_Shdr *vs = ew_sec(f->data, ".gnu.version");
		struct nf_host_elf h;
		struct nf_elf_sym_info in;
		REQUIRE(v1 && v2 && vs && !ew_sec(f->data, ".symtab"));

		uint8_t *d = copy_of(f);
		sym_in(d, ".dynsym", v2->num)->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		REQUIRE(nf_host_elf_open(&h, d, f->len) == 0);
		if (!expect_found(&h, "foo", &in))
			CHECK_EQ(in.vaddr, v1->value);
		expect_rc(&h, "foo@@VER_1", -ENOENT, NULL);

		memcpy(d, f->data, f->len);
		((uint16_t *)(d + vs->sh_offset))[v2->num] |= 0x8000;
		expect_rc(&h, "foo", -EINVAL, "defined twice");
		if (!expect_found(&h, "foo@VER_2", &in))
			CHECK_EQ(in.vaddr, v2->value);
		expect_rc(&h, "foo@@VER_2", -ENOENT, NULL);
		free(d);
	}
	T_CASE("elf_sym crafted: a function outside every loadable segment, or running past it") {
		const struct truth_sym *p = truth_named(f, "plain_fn@@VER_2", 1);
		struct nf_host_elf h;
		REQUIRE(p);
		uint8_t *d = copy_of(f);
		REQUIRE(nf_host_elf_open(&h, d, f->len) == 0);
		sym_in(d, ".dynsym", p->num)->st_value = 0x7fff0000;
		expect_rc(&h, "plain_fn", -EINVAL, "not inside a loadable segment");
		sym_in(d, ".dynsym", p->num)->st_value = p->value;
		sym_in(d, ".dynsym", p->num)->st_size = 1u << 30;
		expect_rc(&h, "plain_fn", -EINVAL, "not inside a loadable segment");
		sym_in(d, ".dynsym", p->num)->st_size = p->size;
		sym_in(d, ".dynsym", p->num)->st_shndx = SHN_UNDEF;
		expect_rc(&h, "plain_fn", -ENOENT, "not found");
		uint64_t off;
		CHECK_EQ(nf_host_elf_file_off(&h, 0x7fff0000, 1, &off), -EINVAL);
		CHECK_EQ(nf_host_elf_file_off(&h, p->value, p->size, &off), 0);
		CHECK_EQ(off, truth_off(f, p->value));
		free(d);
	}
	T_CASE("elf_sym crafted: of two PT_LOADs holding a function, the executable one maps it") {
		const struct truth_sym *p = truth_named(f, "plain_fn@@VER_2", 1);
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
		struct nf_host_elf h;
		struct nf_elf_sym_info in;
		int ro = -1, rx = -1;
		const Elf64_Phdr *fph = (const Elf64_Phdr *)(f->data + eh->e_phoff);
		for (int i = 0; i < eh->e_phnum; i++) {
			int *first = fph[i].p_flags & PF_X ? &rx : &ro;
			if (fph[i].p_type == PT_LOAD && *first < 0)
				*first = i;
		}
		REQUIRE(p && ro >= 0 && ro < rx && fph[rx].p_offset != 0);
		uint8_t *d = copy_of(f);
		Elf64_Phdr *ph = (Elf64_Phdr *)(d + eh->e_phoff);
		/* The read-only segment, listed first, now claims the code's
		 * addresses at file offset 0. */
		ph[ro].p_vaddr = ph[rx].p_vaddr;
		ph[ro].p_filesz = ph[rx].p_filesz;
		ph[ro].p_offset = 0;
		if (nf_host_elf_open(&h, d, f->len))
			t_failf("open: %s", nf_lasterr());
		else if (!expect_found(&h, "plain_fn", &in))
			CHECK_EQ(in.file_off, truth_off(f, p->value));
		free(d);
	}
}

/* Apply one corruption to a fresh copy and expect a refusal with a message. */
#define EXPECT_BAD(f, what, stmt) do { \
	uint8_t *d = copy_of(f); \
	Elf64_Ehdr *eh = (Elf64_Ehdr *)d; \
	Elf64_Shdr *sh = (Elf64_Shdr *)(d + eh->e_shoff); \
	Elf64_Phdr *ph = (Elf64_Phdr *)(d + eh->e_phoff); \
	(void)sh; (void)ph; \
	stmt; \
	struct nf_host_elf h_; \
	nf_seterr("%s", ""); \
	int e_ = nf_host_elf_open(&h_, d, (f)->len); \
	if (e_ != -EINVAL) t_failf("%s: %d", what, e_); \
	else if (!strstr(nf_lasterr(), "bad ELF: ")) t_failf("%s: error text \"%s\"", what, nf_lasterr()); \
	free(d); \
} while (0)

static int sec_idx_of_type(const uint8_t *d, uint32_t type)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
	for (int i = 1; i < eh->e_shnum; i++)
		if (ew_shdrs(d)[i].sh_type == type)
			return i;
	return -1;
}

static int last_load(const uint8_t *d)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(d + eh->e_phoff);
	int last = -1;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			last = i;
	return last;
}

static void test_headers(const struct fixture *f)
{
	int dyn = sec_idx_of_type(f->data, SHT_DYNSYM), ver = sec_idx_of_type(f->data, SHT_GNU_versym);
	int vdef = sec_idx_of_type(f->data, SHT_GNU_verdef), load = last_load(f->data);

	T_CASE("elf_sym crafted: header, program and section tables refused") {
		REQUIRE(dyn > 0 && ver > 0 && vdef > 0 && load >= 0);
		EXPECT_BAD(f, "magic", d[1] = 'X');
		EXPECT_BAD(f, "class", d[EI_CLASS] = ELFCLASS32);
		EXPECT_BAD(f, "big endian", d[EI_DATA] = ELFDATA2MSB);
		EXPECT_BAD(f, "machine BPF", eh->e_machine = EM_BPF);
		EXPECT_BAD(f, "relocatable object", eh->e_type = ET_REL);
		EXPECT_BAD(f, "shoff past end", eh->e_shoff = f->len);
		EXPECT_BAD(f, "shentsize", eh->e_shentsize = 32);
		EXPECT_BAD(f, "no program headers", eh->e_phnum = 0);
		EXPECT_BAD(f, "phnum PN_XNUM", eh->e_phnum = PN_XNUM);
		EXPECT_BAD(f, "phentsize", eh->e_phentsize = 32);
		EXPECT_BAD(f, "phoff past end", eh->e_phoff = f->len - 8);
		EXPECT_BAD(f, "phoff misaligned", eh->e_phoff += 4);
		EXPECT_BAD(f, "PT_LOAD past the end", ph[load].p_filesz = f->len);
		EXPECT_BAD(f, "PT_LOAD offset wraps", ph[load].p_offset = ~0ull - 4);
		EXPECT_BAD(f, "no PT_LOAD", for (int i = 0; i < eh->e_phnum; i++) if (ph[i].p_type == PT_LOAD)
								     ph[i].p_type = PT_NOTE);
		EXPECT_BAD(f, "section past the end", sh[dyn].sh_size = f->len);
		EXPECT_BAD(f, "section name offset", sh[dyn].sh_name = 0x7fffffff);
	}
	T_CASE("elf_sym crafted: symbol and version tables refused") {
		REQUIRE(dyn > 0 && ver > 0 && vdef > 0);
		EXPECT_BAD(f, "dynsym misaligned", sh[dyn].sh_offset += 4);
		EXPECT_BAD(f, "dynsym size not a multiple", sh[dyn].sh_size -= 1);
		EXPECT_BAD(f, "dynsym entsize", sh[dyn].sh_entsize = 16);
		EXPECT_BAD(f, "dynsym link", sh[dyn].sh_link = 0);
		EXPECT_BAD(f, "dynsym link out of range", sh[dyn].sh_link = eh->e_shnum);
		EXPECT_BAD(f, "two dynsyms", sh[ver].sh_type = SHT_DYNSYM);
		EXPECT_BAD(f, "dynstr not terminated",
			   d[sh[sh[dyn].sh_link].sh_offset + sh[sh[dyn].sh_link].sh_size - 1] = 'x');
		EXPECT_BAD(f, "symbol name offset", ((Elf64_Sym *)(d + sh[dyn].sh_offset))[1].st_name = 0x7fffffff);
		EXPECT_BAD(f, "versym size", sh[ver].sh_size -= 2);
		EXPECT_BAD(f, "versym link", sh[ver].sh_link = vdef);
		EXPECT_BAD(f, "versym misaligned", sh[ver].sh_offset += 1);
		EXPECT_BAD(f, "verdef link", sh[vdef].sh_link = 0);
		EXPECT_BAD(f, "verdef misaligned", sh[vdef].sh_offset += 2);
		EXPECT_BAD(f, "verdef version", ((Elf64_Verdef *)(d + sh[vdef].sh_offset))->vd_version = 2);
		EXPECT_BAD(f, "verdef next past the end", ((Elf64_Verdef *)(d + sh[vdef].sh_offset))->vd_next = 0x10000);
		EXPECT_BAD(f, "verdef next inside itself", ((Elf64_Verdef *)(d + sh[vdef].sh_offset))->vd_next = 4);
		EXPECT_BAD(f, "verdef aux past the end", ((Elf64_Verdef *)(d + sh[vdef].sh_offset))->vd_aux = 0x10000);
		EXPECT_BAD(f, "verdef count past the entries", sh[vdef].sh_info = 1000);
		EXPECT_BAD(f, "verdaux name", {
			Elf64_Verdef *vd = (Elf64_Verdef *)(d + sh[vdef].sh_offset);
			((Elf64_Verdaux *)((uint8_t *)vd + vd->vd_aux))->vda_name = 0x7fffffff;
		});
	}
}

static void test_accepted(const struct fixture *f)
{
	int dyn = sec_idx_of_type(f->data, SHT_DYNSYM);

	T_CASE("elf_sym crafted: aarch64 accepted, tables found by type, not by name") {
		struct nf_host_elf h;
		struct nf_elf_sym_info a, b;
		REQUIRE(dyn > 0 && nf_host_elf_open(&h, f->data, f->len) == 0);
		REQUIRE(expect_found(&h, "foo", &a) == 0);
		uint8_t *d = copy_of(f);
		((Elf64_Ehdr *)d)->e_machine = EM_AARCH64;
		/* .dynsym named as the section name table's own name */
		Elf64_Shdr *sh = (Elf64_Shdr *)(d + ((Elf64_Ehdr *)d)->e_shoff);
		sh[dyn].sh_name = sh[((Elf64_Ehdr *)d)->e_shstrndx].sh_name;
		REQUIRE(nf_host_elf_open(&h, d, f->len) == 0);
		CHECK_EQ(h.machine, EM_AARCH64);
		if (!expect_found(&h, "foo", &b))
			CHECK(a.vaddr == b.vaddr && a.file_off == b.file_off && a.size == b.size);
		free(d);
	}
	T_CASE("elf_sym crafted: a misaligned buffer and a BPF object are refused") {
		struct nf_host_elf h;
		uint8_t *shifted = malloc(f->len + 4);
		memcpy(shifted + 4, f->data, f->len);
		CHECK_EQ(nf_host_elf_open(&h, shifted + 4, f->len), -EINVAL);
		CHECK(strstr(nf_lasterr(), "aligned") != NULL);
		free(shifted);
		size_t len;
		uint8_t *bpf = t_read_file(t_fixture("globals"), &len);
		if (bpf) {
			CHECK_EQ(nf_host_elf_open(&h, bpf, len), -EINVAL);
			CHECK(strstr(nf_lasterr(), "machine is not x86_64 or aarch64") != NULL);
		}
		free(bpf);
		struct nf_elf e;
		CHECK_EQ(nf_elf_open(&e, f->data, f->len), -EINVAL);
		CHECK_STR(nf_lasterr(), "bad ELF: machine is not BPF");
	}
}

/* ---- malformed -------------------------------------------------------- */

/* Use of whatever opened: every answer inside the buffer, bytes touched
 * (ASan checks them); with the fixture's own bytes (full), the answers of
 * the whole file. */
static void exercise(const struct fixture *f, const uint8_t *d, size_t len, const struct nf_host_elf *ref)
{
	struct nf_host_elf h;
	struct nf_host_sym s;
	struct nf_elf_sym_info in, want;
	volatile uint8_t sink = 0;

	if (nf_host_elf_open(&h, d, len))
		return;
	for (int i = 0; i < f->nsyms; i++) {
		const char *q = f->syms[i].name;
		(void)nf_host_elf_has(&h, q);
		if (nf_host_elf_lookup(&h, q, &in))
			continue;
		if (in.file_off > len || in.size > len - in.file_off) {
			t_failf("%s: 0x%" PRIx64 "+%" PRIu64 " past %zu bytes", q, in.file_off, in.size, len);
			continue;
		}
		for (uint64_t k = 0; k < in.size; k++)
			sink ^= d[in.file_off + k];
		if (ref && (nf_host_elf_lookup(ref, q, &want) || want.vaddr != in.vaddr || want.file_off != in.file_off))
			t_failf("%s: an answer the whole file does not give", q);
	}
	for (size_t pos = 0; nf_host_elf_next(&h, &pos, &s);) {
		sink ^= (uint8_t)s.name[0] ^ (uint8_t)s.version[0];
		if (s.info.file_off != NF_ELF_NO_OFF && (s.info.file_off > len || s.info.size > len - s.info.file_off))
			t_failf("iteration %s: past the buffer", s.name);
	}
	(void)sink;
}

static void test_truncation(const struct fixture **fx, int nfx)
{
	T_CASE("elf_sym malformed: every prefix of every fixture is refused") {
		long ok = 0, tried = 0;
		for (int k = 0; k < nfx; k++) {
			const struct fixture *f = fx[k];
			const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
			size_t tables_end = eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr);
			for (size_t n = 0; n < f->len; n++) {
				uint8_t *p = malloc(n ? n : 1);
				struct nf_host_elf h;
				memcpy(p, f->data, n);
				int rc = nf_host_elf_open(&h, p, n);
				ok += rc == 0 && n < tables_end;
				tried++;
				free(p);
			}
		}
		CHECK_EQ(ok, 0);
		CHECK(tried > 10000);
	}
	/* The data lost from n on (zeros, or 0xff for odd n), the section
	 * table and its names kept: each section and segment still in range,
	 * their contents not. */
	T_CASE("elf_sym malformed: data wiped from every offset on, tables kept: refused or answers inside the file") {
		long opened = 0, tried = 0;
		for (int k = 0; k < nfx; k++) {
			const struct fixture *f = fx[k];
			const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
			const Elf64_Shdr *names = &ew_shdrs(f->data)[eh->e_shstrndx];
			uint8_t *p = malloc(f->len);
			for (size_t n = sizeof(*eh); n < eh->e_shoff; n++) {
				struct nf_host_elf h;
				memcpy(p, f->data, f->len);
				memset(p + n, n % 2 ? 0xff : 0, eh->e_shoff - n);
				memcpy(p + names->sh_offset, f->data + names->sh_offset, names->sh_size);
				opened += nf_host_elf_open(&h, p, f->len) == 0;
				exercise(f, p, f->len, NULL);
				tried++;
			}
			free(p);
		}
		printf("# wiped: %ld of %ld opened\n", opened, tried);
		CHECK(opened > 0 && opened < tried);
	}
}

/* A byte in what the reader reads: headers, tables, symbols, versions. */
static size_t interesting_offset(const struct fixture *f)
{
	static const char *secs[] = { ".dynsym", ".dynstr", ".gnu.version", ".gnu.version_d", ".symtab", ".strtab" };
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
	uint32_t r = next_rand() % 10;

	if (r == 0)
		return next_rand() % sizeof(*eh);
	if (r == 1)
		return eh->e_phoff + next_rand() % (eh->e_phnum * sizeof(Elf64_Phdr));
	if (r == 2)
		return eh->e_shoff + next_rand() % (eh->e_shnum * sizeof(Elf64_Shdr));
	const Elf64_Shdr *s = ew_sec(f->data, secs[r % 6]);
	if (r == 3 || !s || s->sh_size == 0)
		return next_rand() % f->len;
	return s->sh_offset + next_rand() % s->sh_size;
}

static void test_flips(const struct fixture **fx, int nfx)
{
	T_CASE("elf_sym malformed: 10,000 random byte flips end cleanly") {
		int ok = 0, bad = 0;
		for (int iter = 0; iter < 10000; iter++) {
			const struct fixture *f = fx[iter % nfx];
			uint8_t *d = copy_of(f);
			struct nf_host_elf h;
			for (int k = 1 + (int)(next_rand() % 4); k > 0; k--)
				d[interesting_offset(f)] ^= (uint8_t)(1 + next_rand() % 255);
			if (nf_host_elf_open(&h, d, f->len) == 0)
				ok++;
			else
				bad++;
			exercise(f, d, f->len, NULL);
			free(d);
		}
		printf("# flips: %d opened, %d refused\n", ok, bad);
		CHECK(ok > 100);
		CHECK(bad > 100);
	}
}

/* ---- main ------------------------------------------------------------- */

static const char *kinds[] = { "gcc", "clang", "lld" };
static const char *files[] = { "libvers.so", "libvers-stripped.so", "pie", "nopie" };
enum { LIB, STRIPPED, PIE, NOPIE, NFILES };
#define NKINDS 3

static int kind_built(const char *kind)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s/%s", hostfix_dir(), kind, files[LIB]);
	FILE *f = fopen(path, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

static void test_kind(struct fixture *fx, const char *kind)
{
	char label[64];

	for (int i = 0; i < NFILES; i++) {
		if (!fx[i].data)
			continue;
		snprintf(label, sizeof(label), "%s/%s", kind, files[i]);
		test_against_truth(&fx[i], label);
		if (i == LIB || i == STRIPPED)
			test_lib_facts(&fx[i], label, i == STRIPPED);
		else
			test_exe_facts(&fx[i], label, i == PIE);
	}
	if (fx[LIB].data && fx[STRIPPED].data)
		test_stripped_same(&fx[LIB], &fx[STRIPPED], kind);
}

int main(void)
{
	static struct fixture fx[NKINDS][NFILES];
	const struct fixture *all[NKINDS * NFILES];
	int n = 0, missing = 0;
	const char *seed = getenv("NF_FLIP_SEED");

	if (seed && strtoul(seed, NULL, 0))
		rng = (uint32_t)strtoul(seed, NULL, 0);
	for (int k = 0; k < NKINDS; k++) {
		if (!strcmp(kinds[k], "lld") && !kind_built("lld")) {
			t_skip("elf_sym lld", "no ld.lld, so no lld-linked fixtures");
			continue;
		}
		for (int i = 0; i < NFILES; i++) {
			if (load_fixture(&fx[k][i], kinds[k], files[i]))
				missing++;
			else
				all[n++] = &fx[k][i];
		}
		test_kind(fx[k], kinds[k]);
	}
	if (fx[0][LIB].data && fx[0][STRIPPED].data) {
		test_conflicts(&fx[0][LIB]);
		test_hidden_and_segments(&fx[0][STRIPPED]);
		test_headers(&fx[0][LIB]);
		test_accepted(&fx[0][STRIPPED]);
	}
	if (n) {
		test_truncation(all, n);
		test_flips(all, n);
	}
	for (int i = 0; i < n; i++)
		free(all[i]->data);
	return missing ? 1 : t_summary();
}
