/* One thin wrapper per bpf() command, all through nf_sys (nf_bpf). */
#include "bpf_cmd.h"
#include "bpf_compat.h"
#include "kern_util.h"
#include "sys.h"
#include <string.h>

void nf_close(int fd)
{
	if (fd >= 0)
		nf_sys->close(fd);
}

void nf_obj_name(char dst[BPF_OBJ_NAME_LEN], const char *src)
{
	size_t i = 0;
	for (; src[i] && i < BPF_OBJ_NAME_LEN - 1; i++) {
		char c = src[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '.';
		dst[i] = ok ? c : '_';
	}
	memset(dst + i, 0, BPF_OBJ_NAME_LEN - i);
}

int nf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size,
		  uint32_t max_entries, const struct nf_map_create_opts *o)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max_entries;
	if (o) {
		a.map_flags = o->map_flags;
		if (o->name)
			nf_obj_name(a.map_name, o->name);
		if (o->btf_fd > 0 && o->btf_value_id) {
			a.btf_fd = (uint32_t)o->btf_fd;
			a.btf_key_type_id = o->btf_key_id;
			a.btf_value_type_id = o->btf_value_id;
		}
	}
	return (int)nf_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

int nf_map_freeze(int map_fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	return (int)nf_bpf(BPF_MAP_FREEZE, &a, sizeof(a));
}

static int map_elem(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = nf_ptr(key);
	a.value = nf_ptr(value);
	a.flags = flags;
	return (int)nf_bpf(cmd, &a, sizeof(a));
}

int nf_map_lookup(int fd, const void *key, void *value)
{
	return map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

int nf_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	return map_elem(BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}

int nf_map_delete(int fd, const void *key)
{
	return map_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int nf_map_next_key(int fd, const void *key, void *next)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = nf_ptr(key);
	a.next_key = nf_ptr(next);
	return (int)nf_bpf(BPF_MAP_GET_NEXT_KEY, &a, sizeof(a));
}

static void prog_load_opts(union bpf_attr *a, const struct nf_prog_load_opts *o)
{
	a->expected_attach_type = o->expected_attach_type;
	if (o->name)
		nf_obj_name(a->prog_name, o->name);
	if (o->license)
		a->license = nf_ptr(o->license);
	a->kern_version = o->kern_version;
	if (o->btf_fd > 0) {
		a->prog_btf_fd = (uint32_t)o->btf_fd;
		a->func_info = nf_ptr(o->func_info);
		a->func_info_cnt = o->func_info_cnt;
		a->func_info_rec_size = o->func_info_rec_size;
		a->line_info = nf_ptr(o->line_info);
		a->line_info_cnt = o->line_info_cnt;
		a->line_info_rec_size = o->line_info_rec_size;
	}
	if (o->log && o->log_size) {
		o->log[0] = 0;
		a->log_buf = nf_ptr(o->log);
		a->log_size = o->log_size;
		a->log_level = o->log_level ? o->log_level : 1;
	}
}

int nf_prog_load(uint32_t type, const struct bpf_insn *insns, uint32_t insn_cnt,
		 const struct nf_prog_load_opts *o)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = nf_ptr(insns);
	a.insn_cnt = insn_cnt;
	a.license = nf_ptr("GPL");
	if (o)
		prog_load_opts(&a, o);
	return (int)nf_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

int nf_prog_test_run(int prog_fd, const void *data, uint32_t len, uint32_t *retval)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	a.test.data_in = nf_ptr(data);
	a.test.data_size_in = len;
	a.test.repeat = 1;
	int r = (int)nf_bpf(BPF_PROG_TEST_RUN, &a, sizeof(a));
	if (r >= 0 && retval)
		*retval = a.test.retval;
	return r;
}

static int obj_info(int fd, void *info, uint32_t len)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	memset(info, 0, len);
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = len;
	a.info.info = nf_ptr(info);
	return (int)nf_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a));
}

int nf_prog_info(int prog_fd, struct bpf_prog_info *info)
{
	return obj_info(prog_fd, info, sizeof(*info));
}

int nf_map_info(int map_fd, struct bpf_map_info *info)
{
	return obj_info(map_fd, info, sizeof(*info));
}

int nf_prog_get_next_id(uint32_t start, uint32_t *next)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.start_id = start;
	int r = (int)nf_bpf(BPF_PROG_GET_NEXT_ID, &a, sizeof(a));
	if (r >= 0)
		*next = a.next_id;
	return r;
}

int nf_prog_get_fd_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	return (int)nf_bpf(BPF_PROG_GET_FD_BY_ID, &a, sizeof(a));
}

int nf_prog_query(int target, uint32_t attach_type, uint32_t *ids, uint32_t *cnt)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)target; /* union with target_ifindex */
	a.query.attach_type = attach_type;
	a.query.prog_ids = nf_ptr(ids);
	a.query.prog_cnt = *cnt;
	int r = (int)nf_bpf(BPF_PROG_QUERY, &a, sizeof(a));
	if (r >= 0)
		*cnt = a.query.prog_cnt;
	return r;
}

int nf_btf_load(const void *data, size_t len, char *log, uint32_t log_size)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = nf_ptr(data);
	a.btf_size = (uint32_t)len;
	if (log && log_size) {
		log[0] = 0;
		a.btf_log_buf = nf_ptr(log);
		a.btf_log_size = log_size;
		a.btf_log_level = 1;
	}
	return (int)nf_bpf(BPF_BTF_LOAD, &a, sizeof(a));
}

int nf_link_create(int prog_fd, int target, uint32_t attach_type)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)prog_fd;
	a.link_create.target_fd = (uint32_t)target; /* union with target_ifindex */
	a.link_create.attach_type = attach_type;
	return (int)nf_bpf(BPF_LINK_CREATE, &a, sizeof(a));
}

int nf_raw_tracepoint_open(int prog_fd, const char *name)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = nf_ptr(name);
	a.raw_tracepoint.prog_fd = (uint32_t)prog_fd;
	return (int)nf_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
}

int nf_enable_stats(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	return (int)nf_bpf(BPF_ENABLE_STATS, &a, sizeof(a));
}
