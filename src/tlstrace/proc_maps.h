/* The text of /proc/PID/maps, parsed over a caller's buffer (pure: no
 * syscalls, no file I/O). Each line is
 *
 *   start-end perms offset major:minor inode [spaces path]
 *
 * with hex numbers except the decimal inode. tlstrace reads it to find the
 * files each process runs code from (its TLS libraries among them). */
#ifndef NF_PROC_MAPS_H
#define NF_PROC_MAPS_H
#include <stddef.h>
#include <stdint.h>

/* perms bits: "rwxp" / "r-xs" and so on. */
#define NF_MAPS_R      1u
#define NF_MAPS_W      2u
#define NF_MAPS_X      4u
#define NF_MAPS_SHARED 8u  /* 's'; clear for 'p' (private) */

struct nf_maps_line {
	uint64_t start, end;      /* [start, end) */
	uint64_t offset;          /* file offset of start */
	uint32_t dev_major, dev_minor;
	uint64_t inode;           /* 0 for anonymous memory */
	unsigned perms;           /* NF_MAPS_* */
	/* Into the buffer and not NUL-terminated; NULL when the line has none.
	 * May hold spaces (the kernel escapes only newlines, as "\012"). */
	const char *path;
	size_t path_len;          /* without a " (deleted)" suffix */
	int deleted;              /* the kernel appended " (deleted)": the file was
				   * unlinked (a name really ending so reads the same) */
	int pseudo;               /* "[vdso]", "[heap]", "[stack]", "[anon:x]": no file */
};

struct nf_maps_iter {
	const char *p, *end;
	unsigned lineno;          /* of the line nf_maps_next() returned last */
};

void nf_maps_init(struct nf_maps_iter *it, const char *buf, size_t len);
/* 1 with *m filled, 0 at the end of the buffer, or -EINVAL / -ERANGE for a
 * malformed line (nf_lasterr() names its number; the next call goes on with
 * the line after it). Every line must end in '\n': a buffer cut inside a
 * line is an error rather than a shortened path. */
int nf_maps_next(struct nf_maps_iter *it, struct nf_maps_line *m);
/* One line, without its '\n': 0, -EINVAL (malformed), -ERANGE (a number
 * too large for its field). */
int nf_maps_parse_line(const char *s, size_t len, struct nf_maps_line *m);

/* A file that has an executable mapping, as nf_maps_exec_files() lists it. */
struct nf_maps_file {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	const char *path;         /* as in struct nf_maps_line */
	size_t path_len;
	int deleted;
};

/* The distinct files (by device and inode: one file, one set of probes,
 * whatever path reached it) with an executable mapping, in the order they
 * first appear, into out[0..cap). Pseudo paths ("[vdso]") and anonymous
 * memory are left out. The count, or -ENOSPC when more than cap, or the
 * error of a malformed line. */
int nf_maps_exec_files(const char *buf, size_t len, struct nf_maps_file *out, size_t cap);

/* The span of the library whose file name (after the last '/') starts
 * with name, e.g. "libssl3.so": from its lowest mapping to its highest
 * end, the anonymous mapping that directly follows it (its .bss)
 * included. 1 with [*lo, *hi) set, 0 when no mapping has that name, or
 * the error of a malformed line. */
int nf_maps_lib_range(const char *buf, size_t len, const char *name, uint64_t *lo, uint64_t *hi);

#endif
