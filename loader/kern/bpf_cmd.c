/* Thin wrappers on bpf() and a few sysfs reads, all through nf_sys. */
#include "load.h"
#include "kern_util.h"
#include "sys.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BPF_ENABLE_STATS
#define BPF_ENABLE_STATS 32
#endif

void nf_close(int fd)
{
	if (fd >= 0)
		nf_sys->close(fd);
}

size_t nf_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
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

int nf_enable_stats(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	return (int)nf_bpf(BPF_ENABLE_STATS, &a, sizeof(a));
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

static int parse_num(const char **s, long *out)
{
	char *end;
	if (**s < '0' || **s > '9')
		return -EINVAL;
	*out = strtol(*s, &end, 10);
	*s = end;
	return *out > 65535 ? -EINVAL : 0;
}

int nf_parse_cpu_list(const char *s)
{
	long max = -1;
	while (*s && *s != '\n') {
		long lo, hi;
		if (parse_num(&s, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (parse_num(&s, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		if (hi > max)
			max = hi;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return max < 0 ? -EINVAL : (int)max + 1;
}

void *nf_sys_read_file(const char *path, size_t *len, int *err)
{
	int fd = nf_sys->open(path, O_RDONLY, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	*err = buf ? 0 : -ENOMEM;
	while (buf) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				*err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = nf_sys->read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*err = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	nf_sys->close(fd);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[n] = 0; /* text files can be used as strings */
	*len = n;
	return buf;
}

int nf_possible_cpus(void)
{
	size_t len;
	int err;
	char *s = nf_sys_read_file("/sys/devices/system/cpu/possible", &len, &err);
	if (!s)
		return err;
	int n = nf_parse_cpu_list(s);
	free(s);
	return n;
}
