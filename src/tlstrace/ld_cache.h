/* glibc's /etc/ld.so.cache, parsed over a caller's buffer (pure: no
 * syscalls, no file I/O). tlstrace uses it to find the TLS libraries a
 * dynamically linked program would load (libssl.so.3, libgnutls.so.30, ...).
 *
 * Only the "glibc-ld.so.cache1.1" table is read: alone (glibc 2.32 and
 * later), or after the old "ld.so-1.7.0" table (older glibc wrote both).
 * A file with only the old table is refused (-ENOTSUP). */
#ifndef NF_LD_CACHE_H
#define NF_LD_CACHE_H
#include <stddef.h>
#include <stdint.h>

/* An entry's flags: the low byte is the library type, the next the ABI it
 * needs (glibc's ldconfig.h numbers; only those nflux tells apart here). */
#define NF_LDC_TYPE_MASK 0x00ffu
#define NF_LDC_ELF       0x0001u  /* an ELF library of unknown C library */
#define NF_LDC_LIBC6     0x0003u  /* an ELF library linked against glibc */
#define NF_LDC_ABI_MASK  0xff00u  /* 0: the platform's default (i386 on x86) */
#define NF_LDC_X86_64    0x0300u
#define NF_LDC_AARCH64   0x0a00u
/* As a wanted flags value: every entry matches. */
#define NF_LDC_ANY       0xffffffffu

/* The flags of this build's own libraries, which are the only ones it can
 * use (the dynamic loader asks the same exact value). */
#if defined(__x86_64__) && defined(__LP64__)
#define NF_LDC_NATIVE (NF_LDC_LIBC6 | NF_LDC_X86_64)
#elif defined(__aarch64__) && defined(__LP64__)
#define NF_LDC_NATIVE (NF_LDC_LIBC6 | NF_LDC_AARCH64)
#else
#define NF_LDC_NATIVE NF_LDC_ANY /* no known value: take every entry */
#endif

static inline uint32_t nf_ldc_native(void)
{
	return NF_LDC_NATIVE;
}

/* A parsed cache: pointers into the caller's buffer, which must outlive it. */
struct nf_ldc {
	const uint8_t *file;      /* the whole buffer (extension offsets count from here) */
	size_t file_len;
	const uint8_t *hdr;       /* the new table (string offsets count from here) */
	size_t hdr_len;           /* bytes from hdr to the end of the buffer */
	uint32_t nlibs;
	uint32_t str_lo, str_hi;  /* the string table, as offsets from hdr */
	const char *generator;    /* "ldconfig (GNU libc) ...", not NUL-terminated; or NULL */
	uint32_t generator_len;
	const uint8_t *hwcaps;    /* glibc-hwcaps subdirectory names: uint32 string offsets */
	uint32_t nhwcaps;
};

struct nf_ldc_entry {
	const char *soname;       /* "libssl.so.3" */
	const char *path;         /* "/lib/x86_64-linux-gnu/libssl.so.3" */
	uint32_t flags;           /* NF_LDC_* */
	uint32_t osversion;       /* minimum kernel from the ABI note, 0 when none */
	uint64_t hwcap;           /* as stored (bit 62: a glibc-hwcaps subdirectory) */
	const char *hwcaps_dir;   /* that subdirectory ("x86-64-v3"), or NULL */
};

/* Check the whole cache (header, extension, every entry's strings): 0, or
 * -EINVAL / -ENOTSUP with nf_lasterr() set. After 0 no accessor can fail
 * on an index below c->nlibs. */
int nf_ldc_open(struct nf_ldc *c, const void *buf, size_t len);
/* Entry i, in file order (the order `ldconfig -p` prints): 0, or -ENOENT. */
int nf_ldc_entry(const struct nf_ldc *c, uint32_t i, struct nf_ldc_entry *e);
/* The next entry at or after *pos named soname whose flags equal want
 * (NF_LDC_ANY: any flags): 0 with *pos just past it, or -ENOENT. A library
 * can have several (glibc-hwcaps builds of it, or other ABIs). */
int nf_ldc_find(const struct nf_ldc *c, const char *soname, uint32_t want,
		uint32_t *pos, struct nf_ldc_entry *e);
/* The path of soname for want: the baseline build (hwcap 0: not from a
 * glibc-hwcaps or legacy hwcap subdirectory), which every CPU can load,
 * else the first entry; NULL if the cache has none. */
const char *nf_ldc_lookup(const struct nf_ldc *c, const char *soname, uint32_t want);

/* The words `ldconfig -p` prints for flags: the type ("libc6", "ELF", or
 * "unknown") and the ABI ("x86-64", "AArch64", "" for the platform's
 * default, NULL for a value this table does not know). */
const char *nf_ldc_type_name(uint32_t flags);
const char *nf_ldc_abi_name(uint32_t flags);
/* 1 when flags name a 64-bit ABI (x86-64, AArch64, and the other 64-bit
 * ABIs ldconfig marks); 0 for 32-bit ones and for the platform default. */
int nf_ldc_is_64bit(uint32_t flags);

#endif
