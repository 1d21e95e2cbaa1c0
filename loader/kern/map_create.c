/* Map creation for nf_load: kernel-specific sizes, flags and contents. */
#include "load_int.h"
#include "kern_util.h"
#include "log.h"
#include "sys.h"
#include <errno.h>
#include <string.h>

static uint32_t ringbuf_size(uint32_t want)
{
	uint32_t size = (uint32_t)nf_page_size();
	while (size < want && size < (1u << 30))
		size <<= 1;
	return size;
}

/* The entries this kernel wants: perf arrays one per CPU, ring buffers a
 * power-of-two number of pages. */
static uint32_t max_entries(const struct nf_map_spec *m)
{
	if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		int cpus = nf_possible_cpus();
		if (cpus > 0)
			return (uint32_t)cpus;
	}
	if (m->type == BPF_MAP_TYPE_RINGBUF)
		return ringbuf_size(m->max_entries);
	return m->max_entries;
}

static int create_one(const struct nf_map_spec *m, int btf_fd, const struct nf_features *f)
{
	struct nf_map_create_opts o = {
		.map_flags = m->flags,
		.name = f->prog_name ? m->name : NULL,
	};
	if (m->kind != NF_MAP_USER && f->mmapable)
		o.map_flags |= BPF_F_MMAPABLE;
	if (m->kind == NF_MAP_RODATA)
		o.map_flags |= BPF_F_RDONLY_PROG;
	uint32_t n = max_entries(m);
	if (btf_fd >= 0 && m->btf_value_id) {
		o.btf_fd = btf_fd;
		o.btf_key_id = m->btf_key_id;
		o.btf_value_id = m->btf_value_id;
		int fd = nf_map_create(m->type, m->key_size, m->value_size, n, &o);
		if (fd >= 0)
			return fd;
		nf_debug("map %s: creation with BTF failed (%s); retrying without",
			 m->name, strerror(-fd));
		o.btf_fd = 0;
	}
	return nf_map_create(m->type, m->key_size, m->value_size, n, &o);
}

/* Internal maps hold one value: the section's initial bytes. */
static int write_contents(int fd, const struct nf_map_spec *m)
{
	uint32_t key = 0;
	if (m->init) {
		int err = nf_map_update(fd, &key, m->init, BPF_ANY);
		if (err < 0)
			return err;
	}
	if (m->kind != NF_MAP_RODATA)
		return 0;
	int r = nf_map_freeze(fd);
	return r < 0 ? r : 0;
}

int nf_create_maps(struct nf_bpf *b, const struct nf_features *f)
{
	for (uint32_t i = 0; i < b->obj->nmaps; i++) {
		const struct nf_map_spec *m = &b->obj->maps[i];
		int fd = create_one(m, b->btf_fd, f);
		if (fd < 0) {
			nf_seterr("map %s: %s%s", m->name, strerror(-fd), nf_memlock_hint(fd));
			return fd;
		}
		b->map_fds[i] = fd;
		if (m->kind == NF_MAP_USER)
			continue;
		int err = write_contents(fd, m);
		if (err < 0) {
			nf_seterr("map %s: writing its initial value: %s", m->name, strerror(-err));
			return err;
		}
	}
	return 0;
}
