#include "tt_discover.h"
#include "tt_funcs.h"
#include "ld_cache.h"
#include "proc_maps.h"
#include "kern/sys.h"
#include "log.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#define MAX_EXEC_FILES 1024

/* A set of (device, inode) pairs: open addressing, grown at half full. */
struct file_set {
	uint64_t (*keys)[2];
	size_t n, cap;
};

struct tt_disc {
	struct tt_kern *k;
	struct file_set examined;  /* by the (dev, inode) /proc/PID/maps shows */
	struct file_set probed;    /* by the (st_dev, st_ino) of the file opened */
	struct nf_maps_file *files;
	int named_only;            /* scans locate NSS but probe no new file */
};

static size_t slot_of(const struct file_set *s, uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full);
	return (size_t)(h ^ (h >> 29)) & (s->cap - 1);
}

/* 1 if present; else inserted (0), or -ENOMEM. Keys are never (0, 0)
 * since no file has inode 0. */
static int set_add(struct file_set *s, uint64_t dev, uint64_t ino)
{
	if (2 * (s->n + 1) > s->cap) {
		struct file_set g = { calloc(s->cap ? 2 * s->cap : 64, sizeof(*g.keys)), 0,
				      s->cap ? 2 * s->cap : 64 };
		if (!g.keys)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->keys[i][1])
				set_add(&g, s->keys[i][0], s->keys[i][1]);
		free(s->keys);
		*s = g;
	}
	for (size_t i = slot_of(s, dev, ino);; i = (i + 1) & (s->cap - 1)) {
		if (!s->keys[i][1]) {
			s->keys[i][0] = dev;
			s->keys[i][1] = ino;
			s->n++;
			return 0;
		}
		if (s->keys[i][0] == dev && s->keys[i][1] == ino)
			return 1;
	}
}

struct tt_disc *tt_disc_new(struct tt_kern *k)
{
	struct tt_disc *d = calloc(1, sizeof(*d));
	if (d && !(d->files = calloc(MAX_EXEC_FILES, sizeof(*d->files)))) {
		free(d);
		d = NULL;
	}
	if (d)
		d->k = k;
	return d;
}

void tt_disc_free(struct tt_disc *d)
{
	if (!d)
		return;
	free(d->examined.keys);
	free(d->probed.keys);
	free(d->files);
	free(d);
}

size_t tt_disc_examined(const struct tt_disc *d)
{
	return d->examined.n;
}

size_t tt_disc_probed(const struct tt_disc *d)
{
	return d->probed.n;
}

/* Map path, and probe it unless that file is probed already. The number
 * of functions probed (0: probed before), -ENOMSG when it defines none,
 * -ENOENT & co. when the file cannot be read, -ENOEXEC when it is not ELF,
 * or a probe's -errno. */
static int examine(struct tt_disc *d, const char *path)
{
	size_t len;
	struct stat st;
	int err;
	void *data = nf_sys_map_file_stat(path, &len, &st, &err);
	if (!data)
		return err;
	struct nf_host_elf h;
	int r = 0;
	if (nf_host_elf_open(&h, data, len) < 0)
		r = -ENOEXEC;
	else if (!tt_kern_wants_file(&h))
		r = -ENOMSG;
	else if ((r = set_add(&d->probed, st.st_dev, st.st_ino)) == 0)
		r = tt_kern_probe_file(d->k, path, &h);
	else if (r == 1)
		r = 0; /* the same file, reached by another path */
	if (r > 0)
		nf_info("tlstrace: probing %s (%d functions)", path, r);
	nf_sys_unmap_file(data, len);
	return r;
}

unsigned tt_disc_path_libs(const char *path)
{
	size_t len;
	struct stat st;
	int err;
	void *data = nf_sys_map_file_stat(path, &len, &st, &err);
	if (!data)
		return 0;
	struct nf_host_elf h;
	unsigned libs = nf_host_elf_open(&h, data, len) < 0 ? 0 : tt_file_libs(&h);
	nf_sys_unmap_file(data, len);
	return libs;
}

int tt_disc_add_path(struct tt_disc *d, const char *opt, const char *path)
{
	int r = examine(d, path);
	if (r == -ENOEXEC)
		nf_err("tlstrace: %s %s: not an ELF executable or library (%s)", opt, path, nf_lasterr());
	else if (r == -ENOMSG)
		nf_err("tlstrace: %s %s: holds no TLS library tlstrace knows (OpenSSL, BoringSSL, "
		       "GnuTLS, NSPR, Go's crypto/tls)", opt, path);
	else if (r == -EINVAL)
		nf_err("tlstrace: %s %s: not a regular file", opt, path);
	else if (r < 0 && r != -ENOENT && r != -EACCES && r != -ENOTDIR)
		nf_err("tlstrace: %s", nf_lasterr()); /* a probe: it names itself */
	else if (r < 0)
		nf_err("tlstrace: %s %s: %s", opt, path, strerror(-r));
	return r < 0 ? r : 0;
}

/* The libraries ld.so.cache is searched for: OpenSSL (or a BoringSSL
 * installed as libssl), GnuTLS, NSPR (NSS's I/O) and NSS's libssl3. */
static int is_tls_soname(const char *soname)
{
	static const char *const prefixes[] = { "libssl.so", "libgnutls.so", "libnspr4.so",
						"libssl3.so" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(soname, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

void tt_disc_scan_cache(struct tt_disc *d)
{
	size_t len;
	int err;
	void *buf = nf_sys_read_file("/etc/ld.so.cache", &len, &err);
	struct nf_ldc c;
	if (!buf || nf_ldc_open(&c, buf, len) < 0) {
		nf_info("tlstrace: /etc/ld.so.cache: %s", buf ? nf_lasterr() : strerror(-err));
		free(buf);
		return;
	}
	struct nf_ldc_entry e;
	for (uint32_t i = 0; nf_ldc_entry(&c, i, &e) == 0; i++) {
		if (!is_tls_soname(e.soname) || e.flags != nf_ldc_native())
			continue;
		int r = examine(d, e.path);
		if (r < 0 && r != -ENOMSG)
			nf_info("tlstrace: %s (from ld.so.cache): %s", e.path, strerror(-r));
	}
	free(buf);
}

/* Examine one file a process maps, through its root (its mount
 * namespace: a container's own copy). */
static void examine_mapped(struct tt_disc *d, int pid, const struct nf_maps_file *f)
{
	uint64_t dev = makedev(f->dev_major, f->dev_minor);
	if (f->deleted || set_add(&d->examined, dev, f->inode) != 0)
		return;
	char path[4200];
	int n = snprintf(path, sizeof(path), "/proc/%d/root%.*s", pid, (int)f->path_len, f->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	int r = examine(d, path);
	if (r < 0 && r != -ENOEXEC && r != -ENOMSG)
		nf_debug("tlstrace: %s: %s", path, strerror(-r));
}

/* Tell the kernel side where the process maps libssl3, or that it maps
 * none (a new program after exec, a pid reused). */
static void locate_nss(struct tt_disc *d, int pid, const char *maps, size_t len)
{
	uint64_t lo = 0, hi = 0;
	if (!(d->k->libs & TT_LIB_BIT(TT_LIB_NSS)))
		return;
	if (nf_maps_lib_range(maps, len, "libssl3.so", &lo, &hi) <= 0)
		lo = hi = 0;
	int r = tt_kern_nss_range(d->k, (uint32_t)pid, lo, hi);
	if (r)
		nf_debug("tlstrace: pid %d: libssl3 range: %s", pid, strerror(-r));
	else if (lo < hi)
		nf_debug("tlstrace: pid %d: NSS's libssl3 at %#llx-%#llx", pid, (unsigned long long)lo,
			 (unsigned long long)hi);
}

void tt_disc_set_named_only(struct tt_disc *d)
{
	d->named_only = 1;
}

void tt_disc_scan_pid(struct tt_disc *d, int pid)
{
	if (pid <= 0) {
		tt_disc_scan_all(d);
		return;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	size_t len;
	int err;
	char *buf = nf_sys_read_file(path, &len, &err);
	if (!buf)
		return; /* gone, or a kernel thread */
	int n = d->named_only ? 0 : nf_maps_exec_files(buf, len, d->files, MAX_EXEC_FILES);
	for (int i = 0; i < n; i++)
		examine_mapped(d, pid, &d->files[i]);
	locate_nss(d, pid, buf, len);
	free(buf);
}

/* Every process in /proc. Directory listing is not in nf_sys: it only
 * names the pids, each read goes through nf_sys. */
void tt_disc_scan_all(struct tt_disc *d)
{
	DIR *dir = opendir("/proc");
	if (!dir) {
		nf_warn("tlstrace: /proc: %s", strerror(errno));
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		tt_disc_scan_pid(d, (int)pid);
	}
	closedir(dir);
}
