/* Uprobes and uretprobes through the uprobe PMU: config1 points at the
 * file's path, config2 is the file offset. A symbol becomes its offset
 * through the host ELF reader (loader/parse/elf_sym.h) over a read-only
 * mapping of the file. */
#include "perf_int.h"
#include "kern/kern_util.h"
#include "kern/sys.h"
#include "parse/elf_sym.h"
#include "log.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *probe_word(int retprobe)
{
	return retprobe ? "uretprobe" : "uprobe";
}

static int open_uprobe(struct nf_perf_link *l, int prog_fd, const char *what, const char *path,
		       uint64_t file_off, int retprobe, const struct nf_perf_opts *o)
{
	struct perf_probe p = { .what = what, .kind = NF_PERF_UPROBE, .retprobe = retprobe };

	p.attr.config1 = nf_ptr(path);  /* the kernel copies the string at open */
	p.attr.config2 = file_off;
	return perf_attach(l, prog_fd, &p, o);
}

int nf_uprobe_attach(struct nf_perf_link *l, int prog_fd, const char *path, uint64_t file_off,
		     int retprobe, const struct nf_perf_opts *o)
{
	char what[512];

	snprintf(what, sizeof(what), "%s %s+0x%" PRIx64, probe_word(retprobe), path, file_off);
	return open_uprobe(l, prog_fd, what, path, file_off, retprobe, o);
}

/* The file offset of name + off in the ELF file path. */
static int sym_file_off(const char *path, const char *name, uint64_t off, uint64_t *file_off)
{
	size_t len;
	int err;
	void *data = nf_sys_map_file(path, &len, &err);

	if (!data) {
		nf_seterr("%s", err == -EINVAL ? "not a regular file, or empty" : strerror(-err));
		return err;
	}
	struct nf_host_elf h;
	struct nf_elf_sym_info info;

	err = nf_host_elf_open(&h, data, len);
	if (!err)
		err = nf_host_elf_lookup(&h, name, &info);
	if (!err && info.size && off >= info.size) {
		nf_seterr("offset %" PRIu64 " is past the end of %s (%" PRIu64 " bytes)", off, name,
			  info.size);
		err = -EINVAL;
	}
	nf_sys_unmap_file(data, len);
	if (!err)
		*file_off = info.file_off + off;
	return err;
}

int perf_uprobe_sym(struct nf_perf_link *l, int prog_fd, const char *path, const char *name,
		    uint64_t off, int retprobe, const struct nf_perf_opts *o)
{
	char what[512];
	uint64_t file_off = 0;

	if (off)
		snprintf(what, sizeof(what), "%s %s+0x%" PRIx64 " in %s", probe_word(retprobe),
			 name, off, path);
	else
		snprintf(what, sizeof(what), "%s %s in %s", probe_word(retprobe), name, path);
	int r = sym_file_off(path, name, off, &file_off);

	if (r) {
		perf_link_init(l);
		return perf_fail(what, r);
	}
	return open_uprobe(l, prog_fd, what, path, file_off, retprobe, o);
}

int nf_uprobe_attach_sym(struct nf_perf_link *l, int prog_fd, const char *path, const char *sym,
			 int retprobe, const struct nf_perf_opts *o)
{
	char name[256];
	uint64_t off;

	if (perf_split_sym(sym, name, sizeof(name), &off)) {
		perf_link_init(l);
		nf_seterr("%s %s in %s: not a symbol, or symbol+offset", probe_word(retprobe), sym, path);
		return -EINVAL;
	}
	return perf_uprobe_sym(l, prog_fd, path, name, off, retprobe, o);
}
