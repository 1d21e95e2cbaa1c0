/* nf_load: BTF, maps, programs, in that order; nf_unload undoes it. */
#include "load_int.h"
#include "caps.h"
#include "kern_util.h"
#include "embed.h"
#include <stdio.h>
#include "log.h"
#include "sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *nf_memlock_hint(int err)
{
	if (err != -EPERM)
		return "";
	/* A missing capability first: memlock matters only to a process that
	 * may use bpf() at all (and only before 5.11). */
	if (!nf_caps_allow(NF_CAP(NF_CAP_BPF)))
		return " (needs root, or CAP_BPF)";
	return " (the RLIMIT_MEMLOCK limit may be too low)";
}

/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer ones to
 * the memory cgroup, so a refusal is harmless there. Tried once. */
void nf_raise_memlock(void)
{
	static int tried;
	if (tried++)
		return;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	if (nf_sys->setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		nf_debug("setrlimit(RLIMIT_MEMLOCK): %s; continuing", strerror(errno));
}

/* Sanitise a copy of the object's BTF for this kernel and load it. Not
 * fatal: without BTF the programs load without func/line info. */
static void load_btf(struct nf_bpf *b, const struct nf_features *f, uint32_t more)
{
	const struct nf_btf *btf = b->obj->btf;
	if (!btf || !f->btf)
		return;
	struct nf_btf *copy = nf_btf_new(btf->data, btf->len);
	if (!copy)
		return;
	uint32_t missing = nf_btf_missing_mask(f) | more;
	if (nf_btf_sanitize(copy, missing) < 0) {
		nf_debug("BTF: sanitise failed: %s; loading without BTF", nf_lasterr());
		nf_btf_destroy(copy);
		return;
	}
	size_t len;
	const void *raw = nf_btf_raw(copy, &len);
	int fd = nf_btf_load(raw, len, NULL, 0);
	if (fd < 0) {
		/* Again with a log, to say why; a success there is kept. */
		char *log = malloc(1 << 16);
		if (log)
			fd = nf_btf_load(raw, len, log, 1 << 16);
		if (fd < 0)
			nf_debug("BTF refused (%s), loading without BTF:\n%s", strerror(-fd),
				 log ? log : "");
		free(log);
	}
	if (fd >= 0) {
		b->btf_fd = fd;
		b->sanitized = missing;
	}
	nf_btf_destroy(copy);
}

static int *fd_array(uint32_t n)
{
	int *a = malloc((n ? n : 1) * sizeof(int));
	for (uint32_t i = 0; a && i < n; i++)
		a[i] = -1;
	return a;
}

static void close_all(struct nf_bpf *b)
{
	uint32_t nprogs = b->obj ? b->obj->nprogs : 0, nmaps = b->obj ? b->obj->nmaps : 0;
	for (uint32_t i = 0; b->prog_fds && i < nprogs; i++)
		nf_close(b->prog_fds[i]);
	for (uint32_t i = 0; b->map_fds && i < nmaps; i++)
		nf_close(b->map_fds[i]);
	nf_close(b->btf_fd);
	free(b->prog_fds);
	free(b->map_fds);
	b->prog_fds = b->map_fds = NULL;
	b->btf_fd = -1;
}

int nf_load(struct nf_bpf *b, const struct nf_obj *obj, const struct nf_load_opts *opts)
{
	static const struct nf_load_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(b, 0, sizeof(*b));
	b->btf_fd = -1;
	b->obj = obj;
	nf_raise_memlock();
	const struct nf_features *f = nf_features();
	if (f->denied) {
		nf_seterr("feature probes: %s%s", strerror(-f->denied), nf_memlock_hint(f->denied));
		return f->denied;
	}
	b->map_fds = fd_array(obj->nmaps);
	b->prog_fds = fd_array(obj->nprogs);
	if (!b->map_fds || !b->prog_fds) {
		close_all(b);
		nf_seterr("load: out of memory");
		return -ENOMEM;
	}
	load_btf(b, f, opts ? opts->sanitize_more : 0);
	int err = nf_create_maps(b, f);
	if (!err)
		err = nf_load_progs(b, opts, f);
	if (err) {
		close_all(b);
		b->obj = NULL;
	}
	return err;
}

int nf_obj_parse_embedded(struct nf_obj *obj, const char *name)
{
	size_t len;
	void *data;
	int r = nf_embedded_unpack(name, &data, &len);
	memset(obj, 0, sizeof(*obj));
	if (r == -ENOENT)
		nf_seterr("the %s BPF object is not embedded in this build", name);
	else if (r)
		nf_seterr("unpacking the embedded %s BPF object: %s", name, strerror(-r));
	if (r)
		return r;
	/* nf_obj_parse copies what it keeps: the buffer is not needed after */
	r = nf_obj_parse(obj, data, len);
	free(data);
	if (r) {
		char why[400];
		snprintf(why, sizeof(why), "%s", nf_lasterr());
		nf_seterr("parsing the %s BPF object: %s", name, why);
	}
	return r;
}

void nf_unload(struct nf_bpf *b)
{
	close_all(b);
	b->obj = NULL;
}

int nf_bpf_loaded(const struct nf_bpf *b)
{
	return b->obj != NULL;
}

int nf_bpf_map_fd(const struct nf_bpf *b, const char *name)
{
	for (uint32_t i = 0; b->obj && i < b->obj->nmaps; i++)
		if (strcmp(b->obj->maps[i].name, name) == 0)
			return b->map_fds[i];
	return -ENOENT;
}

int nf_bpf_prog_fd(const struct nf_bpf *b, const char *name)
{
	for (uint32_t i = 0; b->obj && i < b->obj->nprogs; i++)
		if (strcmp(b->obj->progs[i].name, name) == 0)
			return b->prog_fds[i];
	return -ENOENT;
}
