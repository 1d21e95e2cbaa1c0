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

static void fill_attr(union bpf_attr *a, const struct nf_map_spec *m,
		      const struct nf_load_opts *opts, const struct nf_features *f)
{
	memset(a, 0, sizeof(*a));
	a->map_type = m->type;
	a->key_size = m->key_size;
	a->value_size = m->value_size;
	a->max_entries = m->max_entries;
	a->map_flags = m->flags;
	if (m->kind != NF_MAP_USER && f->mmapable)
		a->map_flags |= BPF_F_MMAPABLE;
	if (m->kind == NF_MAP_RODATA)
		a->map_flags |= BPF_F_RDONLY_PROG;
	if (opts->resize_map && opts->resize_entries && strcmp(opts->resize_map, m->name) == 0)
		a->max_entries = opts->resize_entries;
	if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		int cpus = nf_possible_cpus();
		if (cpus > 0)
			a->max_entries = (uint32_t)cpus;
	}
	if (m->type == BPF_MAP_TYPE_RINGBUF)
		a->max_entries = ringbuf_size(a->max_entries);
	if (f->prog_name)
		nf_obj_name(a->map_name, m->name);
}

static int create_one(const struct nf_map_spec *m, int btf_fd,
		      const struct nf_load_opts *opts, const struct nf_features *f)
{
	union bpf_attr a;
	fill_attr(&a, m, opts, f);
	if (btf_fd >= 0 && m->btf_value_id) {
		a.btf_fd = (uint32_t)btf_fd;
		a.btf_key_type_id = m->btf_key_id;
		a.btf_value_type_id = m->btf_value_id;
		int fd = (int)nf_bpf(BPF_MAP_CREATE, &a, sizeof(a));
		if (fd >= 0)
			return fd;
		nf_debug("map %s: creation with BTF failed (%s); retrying without",
			 m->name, strerror(-fd));
		a.btf_fd = a.btf_key_type_id = a.btf_value_type_id = 0;
	}
	return (int)nf_bpf(BPF_MAP_CREATE, &a, sizeof(a));
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
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	long r = nf_bpf(BPF_MAP_FREEZE, &a, sizeof(a));
	return r < 0 ? (int)r : 0;
}

int nf_create_maps(struct nf_bpf *b, const struct nf_load_opts *opts,
		   const struct nf_features *f)
{
	for (uint32_t i = 0; i < b->obj.nmaps; i++) {
		const struct nf_map_spec *m = &b->obj.maps[i];
		int fd = create_one(m, b->btf_fd, opts, f);
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
