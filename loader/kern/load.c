/* nf_load: BTF, maps, programs, in that order; nf_unload undoes it. */
#include "load_int.h"
#include "kern_util.h"
#include "log.h"
#include "sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *nf_memlock_hint(int err)
{
	return err == -EPERM ? " (the RLIMIT_MEMLOCK limit may be too low)" : "";
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

static int btf_load(const void *data, size_t len, char *log, uint32_t log_len)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = nf_ptr(data);
	a.btf_size = (uint32_t)len;
	if (log) {
		log[0] = 0;
		a.btf_log_buf = nf_ptr(log);
		a.btf_log_size = log_len;
		a.btf_log_level = 1;
	}
	return (int)nf_bpf(BPF_BTF_LOAD, &a, sizeof(a));
}

/* Sanitise a copy of the object's BTF for this kernel and load it. Not
 * fatal: without BTF the programs load without func/line info. */
static void load_btf(struct nf_bpf *b, const struct nf_features *f)
{
	const struct nf_btf *btf = b->obj.btf;
	if (!btf || !f->btf)
		return;
	struct nf_btf *copy = nf_btf_new(btf->data, btf->len);
	if (!copy)
		return;
	uint32_t missing = nf_btf_missing_mask(f);
	if (nf_btf_sanitize(copy, missing) < 0) {
		nf_debug("BTF: sanitise failed: %s; loading without BTF", nf_lasterr());
		nf_btf_destroy(copy);
		return;
	}
	b->sanitized = missing;
	size_t len;
	const void *raw = nf_btf_raw(copy, &len);
	int fd = btf_load(raw, len, NULL, 0);
	if (fd < 0) {
		char *log = malloc(1 << 16);
		if (log && btf_load(raw, len, log, 1 << 16) < 0)
			nf_debug("BTF refused (%s), loading without BTF:\n%s", strerror(-fd), log);
		free(log);
	}
	b->btf_fd = fd < 0 ? -1 : fd;
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
	for (uint32_t i = 0; b->prog_fds && i < b->obj.nprogs; i++)
		nf_close(b->prog_fds[i]);
	for (uint32_t i = 0; b->map_fds && i < b->obj.nmaps; i++)
		nf_close(b->map_fds[i]);
	nf_close(b->btf_fd);
	free(b->prog_fds);
	free(b->map_fds);
	b->prog_fds = b->map_fds = NULL;
	b->btf_fd = -1;
}

int nf_load(struct nf_bpf *b, struct nf_obj *obj, const struct nf_load_opts *opts)
{
	static const struct nf_load_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(b, 0, sizeof(*b));
	b->btf_fd = -1;
	b->obj = *obj; /* shallow; becomes a move on success */
	nf_raise_memlock();
	const struct nf_features *f = nf_features();
	b->map_fds = fd_array(obj->nmaps);
	b->prog_fds = fd_array(obj->nprogs);
	if (!b->map_fds || !b->prog_fds) {
		close_all(b);
		nf_seterr("load: out of memory");
		return -ENOMEM;
	}
	load_btf(b, f);
	int err = nf_create_maps(b, opts, f);
	if (!err)
		err = nf_load_progs(b, opts, f);
	if (err) {
		close_all(b);
		memset(&b->obj, 0, sizeof(b->obj));
		return err;
	}
	memset(obj, 0, sizeof(*obj));
	return 0;
}

void nf_unload(struct nf_bpf *b)
{
	close_all(b);
	nf_obj_free(&b->obj);
	memset(&b->obj, 0, sizeof(b->obj));
}

int nf_bpf_map_fd(const struct nf_bpf *b, const char *name)
{
	for (uint32_t i = 0; b->map_fds && i < b->obj.nmaps; i++)
		if (strcmp(b->obj.maps[i].name, name) == 0)
			return b->map_fds[i];
	return -ENOENT;
}

int nf_bpf_prog_fd(const struct nf_bpf *b, const char *name)
{
	for (uint32_t i = 0; b->prog_fds && i < b->obj.nprogs; i++)
		if (strcmp(b->obj.progs[i].name, name) == 0)
			return b->prog_fds[i];
	return -ENOENT;
}
