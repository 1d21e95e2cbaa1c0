/* /etc/ld.so.cache parser. Layout (native byte order, as ldconfig writes):
 *
 *   old table (optional): "ld.so-1.7.0" pad to 12, u32 nlibs, nlibs x 12 bytes
 *   new table, at the next multiple of 8 after the old one (or at 0):
 *     struct new_hdr, nlibs x struct new_entry, then len_strings bytes of
 *     NUL-terminated strings
 *   extension (optional): struct ext_hdr, count x struct ext_section
 *
 * Entry strings are offsets from the new table's start; the extension's
 * offsets are from the file's start (they differ only with an old table in
 * front). Each record is copied out with memcpy: the caller's buffer may
 * have any alignment. */
#include <errno.h>
#include <string.h>
#include "ld_cache.h"
#include "log.h"

#define OLD_MAGIC     "ld.so-1.7.0"
#define OLD_HDR       16
#define OLD_ENTRY     12
#define NEW_MAGIC     "glibc-ld.so.cache1.1"
#define EXT_MAGIC     0xeaa42174u
#define TAG_GENERATOR 0
#define TAG_HWCAPS    1
/* hwcap bits 63..62 == 01: the low 32 bits index the glibc-hwcaps names
 * (bits 61..32 may hold an ISA level, which nflux does not need). */
#define HWCAP_IS_SUBDIR(h) (((h) >> 62) == 1)

struct new_hdr {
	char magic[20];             /* NEW_MAGIC, not terminated */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;              /* byte order, ORDER_* (glibc 2.33 and later) */
	uint8_t pad[3];
	uint32_t extension_offset;  /* 0: none (before glibc 2.33) */
	uint32_t unused[3];
};

struct new_entry {
	int32_t flags;
	uint32_t key, value;        /* soname, path */
	uint32_t osversion;
	uint64_t hwcap;
};

struct ext_hdr {
	uint32_t magic, count;
};

struct ext_section {
	uint32_t tag, flags, offset, size;
};

_Static_assert(sizeof(struct new_hdr) == 48 && sizeof(struct new_entry) == 24 &&
	       sizeof(struct ext_section) == 16, "ld.so.cache layout");

enum { ORDER_UNSET, ORDER_INVALID, ORDER_LITTLE, ORDER_BIG };
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ORDER_NATIVE ORDER_BIG
#else
#define ORDER_NATIVE ORDER_LITTLE
#endif

static int bad(const char *what)
{
	nf_seterr("bad ld.so.cache: %s", what);
	return -EINVAL;
}

/* glibc-hwcaps name i: a string offset from the hwcaps section. */
static uint32_t hwcaps_name(const struct nf_ldc *c, uint32_t i)
{
	uint32_t v;
	memcpy(&v, c->hwcaps + 4 * (size_t)i, 4);
	return v;
}

/* off + size within len, without overflow. */
static int fits(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* The offset of the new table: 0, or past an old table; -1 if none. */
static int64_t new_table_offset(const uint8_t *buf, size_t len)
{
	if (len >= sizeof(NEW_MAGIC) - 1 && !memcmp(buf, NEW_MAGIC, sizeof(NEW_MAGIC) - 1))
		return 0;
	if (len < OLD_HDR || memcmp(buf, OLD_MAGIC, sizeof(OLD_MAGIC) - 1))
		return -1;
	uint32_t nold;
	memcpy(&nold, buf + 12, 4);
	if (nold > (len - OLD_HDR) / OLD_ENTRY)
		return -1;
	uint64_t off = (OLD_HDR + (uint64_t)nold * OLD_ENTRY + 7) & ~(uint64_t)7;
	if (!fits(off, sizeof(struct new_hdr), len) || memcmp(buf + off, NEW_MAGIC, sizeof(NEW_MAGIC) - 1))
		return -1;
	return (int64_t)off;
}

/* Unset: written before glibc recorded the byte order; take it. */
static int native_order(uint8_t flags)
{
	return (flags & 3) == ORDER_UNSET || (flags & 3) == ORDER_NATIVE;
}

/* A NUL-terminated string inside the string table, or NULL. */
static const char *table_str(const struct nf_ldc *c, uint32_t off)
{
	if (off < c->str_lo || off >= c->str_hi)
		return NULL;
	if (!memchr(c->hdr + off, 0, c->str_hi - off))
		return NULL;
	return (const char *)c->hdr + off;
}

static int load_section(struct nf_ldc *c, const uint8_t *p)
{
	struct ext_section s;

	memcpy(&s, p, sizeof(s));
	if (s.tag != TAG_GENERATOR && s.tag != TAG_HWCAPS)
		return 0; /* a later glibc's: not needed */
	if (!fits(s.offset, s.size, c->file_len))
		return bad("extension section out of range");
	if (s.tag == TAG_GENERATOR) {
		c->generator = (const char *)c->file + s.offset;
		c->generator_len = s.size;
		return 0;
	}
	if (s.offset % 4 || s.size % 4)
		return bad("glibc-hwcaps section misaligned");
	c->hwcaps = c->file + s.offset;
	c->nhwcaps = s.size / 4;
	for (uint32_t i = 0; i < c->nhwcaps; i++)
		if (!table_str(c, hwcaps_name(c, i)))
			return bad("glibc-hwcaps name out of the string table");
	return 0;
}

static int load_extension(struct nf_ldc *c, uint32_t off)
{
	if (off == 0)
		return 0; /* glibc before 2.33 wrote none */
	struct ext_hdr x;
	if (off % 4 || !fits(off, sizeof(x), c->file_len))
		return bad("extension offset");
	memcpy(&x, c->file + off, sizeof(x));
	if (x.magic != EXT_MAGIC)
		return bad("extension magic");
	const uint8_t *sec = c->file + off + sizeof(x);
	if (x.count > (c->file_len - off - sizeof(x)) / sizeof(struct ext_section))
		return bad("extension section count");
	for (uint32_t i = 0; i < x.count; i++) {
		int err = load_section(c, sec + i * sizeof(struct ext_section));
		if (err)
			return err;
	}
	return 0;
}

/* Decode entry i; every field from the file is checked here, so
 * nf_ldc_open() calling it for each entry proves the later calls safe. */
static int decode(const struct nf_ldc *c, uint32_t i, struct nf_ldc_entry *e)
{
	struct new_entry r;

	memcpy(&r, c->hdr + sizeof(struct new_hdr) + (size_t)i * sizeof(r), sizeof(r));
	e->flags = (uint32_t)r.flags;
	e->soname = table_str(c, r.key);
	e->path = table_str(c, r.value);
	e->osversion = r.osversion;
	e->hwcap = r.hwcap;
	e->hwcaps_dir = NULL;
	if (!e->soname || !e->path)
		return bad("entry string out of the string table or not terminated");
	if (HWCAP_IS_SUBDIR(e->hwcap)) {
		uint32_t idx = (uint32_t)e->hwcap;
		if (idx >= c->nhwcaps)
			return bad("glibc-hwcaps index");
		e->hwcaps_dir = table_str(c, hwcaps_name(c, idx));
	}
	return 0;
}

static int open_table(struct nf_ldc *c)
{
	struct new_hdr h;

	if (c->hdr_len < sizeof(h))
		return bad("shorter than its header");
	memcpy(&h, c->hdr, sizeof(h));
	if (!native_order(h.flags))
		return bad("byte order is not this machine's");
	if (h.nlibs > (c->hdr_len - sizeof(h)) / sizeof(struct new_entry))
		return bad("entry count past the end");
	uint64_t lo = sizeof(h) + (uint64_t)h.nlibs * sizeof(struct new_entry);
	if (!fits(lo, h.len_strings, c->hdr_len))
		return bad("string table past the end");
	c->nlibs = h.nlibs;
	c->str_lo = (uint32_t)lo;
	c->str_hi = (uint32_t)(lo + h.len_strings);
	return load_extension(c, h.extension_offset);
}

int nf_ldc_open(struct nf_ldc *c, const void *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	if ((uint64_t)len > UINT32_MAX)
		return bad("larger than 4 GiB"); /* offsets are 32-bit */
	int64_t off = new_table_offset(buf, len);
	if (off < 0) {
		if (len >= OLD_HDR && !memcmp(buf, OLD_MAGIC, sizeof(OLD_MAGIC) - 1)) {
			nf_seterr("ld.so.cache: no glibc-ld.so.cache1.1 table after the old one "
				  "(old format only, or truncated)");
			return -ENOTSUP;
		}
		return bad("no ld.so.cache magic");
	}
	c->file = buf;
	c->file_len = len;
	c->hdr = c->file + off;
	c->hdr_len = len - (size_t)off;
	int err = open_table(c);
	struct nf_ldc_entry e;
	for (uint32_t i = 0; !err && i < c->nlibs; i++)
		err = decode(c, i, &e);
	if (err)
		memset(c, 0, sizeof(*c));
	return err;
}

int nf_ldc_entry(const struct nf_ldc *c, uint32_t i, struct nf_ldc_entry *e)
{
	if (i >= c->nlibs)
		return -ENOENT;
	return decode(c, i, e);
}

int nf_ldc_find(const struct nf_ldc *c, const char *soname, uint32_t want,
		uint32_t *pos, struct nf_ldc_entry *e)
{
	for (uint32_t i = *pos; i < c->nlibs; i++) {
		if (decode(c, i, e))
			return -ENOENT;
		if ((want == NF_LDC_ANY || e->flags == want) && !strcmp(e->soname, soname)) {
			*pos = i + 1;
			return 0;
		}
	}
	*pos = c->nlibs;
	return -ENOENT;
}

const char *nf_ldc_lookup(const struct nf_ldc *c, const char *soname, uint32_t want)
{
	struct nf_ldc_entry e;
	const char *first = NULL;

	for (uint32_t pos = 0; !nf_ldc_find(c, soname, want, &pos, &e);) {
		if (e.hwcap == 0)
			return e.path;
		if (!first)
			first = e.path;
	}
	return first;
}

const char *nf_ldc_type_name(uint32_t flags)
{
	static const char *const names[] = { "libc4", "ELF", "libc5", "libc6" };
	uint32_t t = flags & NF_LDC_TYPE_MASK;
	return t < 4 ? names[t] : "unknown";
}

/* Indexed by the ABI byte; what ldconfig prints after the type's comma. */
static const char *const abi_names[] = {
	"", "64bit", "IA-64", "x86-64", "64bit", "64bit", "N32", "64bit", "x32",
	"hard-float", "AArch64", "soft-float", "nan2008", "N32,nan2008",
	"64bit,nan2008", "soft-float", "double-float",
};
#define NABI (sizeof(abi_names) / sizeof(abi_names[0]))

const char *nf_ldc_abi_name(uint32_t flags)
{
	uint32_t abi = (flags & NF_LDC_ABI_MASK) >> 8;
	return abi < NABI ? abi_names[abi] : NULL;
}

/* The ABI bytes of 64-bit libraries: SPARC64, IA-64, x86-64, s390x,
 * PowerPC64, MIPS n64, AArch64, MIPS n64 nan2008. */
#define ABI64_SET ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | \
		   (1u << 7) | (1u << 0x0a) | (1u << 0x0e))

int nf_ldc_is_64bit(uint32_t flags)
{
	uint32_t abi = (flags & NF_LDC_ABI_MASK) >> 8;
	return abi < 32 && (ABI64_SET >> abi & 1);
}
