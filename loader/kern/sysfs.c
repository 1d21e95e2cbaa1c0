/* Files the loader reads (through nf_sys): the kernel's own text files,
 * the possible CPUs, the page size, and host binaries mapped whole. */
#include "kern_util.h"
#include "load.h"
#include "sys.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t nf_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
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

int nf_percpu_sum_u64(int map_fd, uint64_t *out, size_t n)
{
	memset(out, 0, n * sizeof(*out));
	int cpus = nf_possible_cpus();
	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	uint64_t *per = calloc((size_t)cpus * n, sizeof(*per));
	if (!per)
		return -ENOMEM;
	uint32_t zero = 0;
	int r = nf_map_lookup(map_fd, &zero, per);
	for (int c = 0; !r && c < cpus; c++)
		for (size_t i = 0; i < n; i++)
			out[i] += per[(size_t)c * n + i];
	free(per);
	return r;
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

void *nf_sys_map_file_stat(const char *path, size_t *len, struct stat *st, int *err)
{
	int fd = nf_sys->open(path, O_RDONLY, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	void *p = NULL;
	if (nf_sys->fstat(fd, st) < 0)
		*err = -errno;
	else if (!S_ISREG(st->st_mode) || st->st_size <= 0)
		*err = -EINVAL;
	else if ((p = nf_sys->mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
		 MAP_FAILED)
		*err = -errno;
	else
		*err = 0;
	nf_sys->close(fd);
	if (*err)
		return NULL;
	*len = (size_t)st->st_size;
	return p;
}

void *nf_sys_map_file(const char *path, size_t *len, int *err)
{
	struct stat st;
	return nf_sys_map_file_stat(path, len, &st, err);
}

void nf_sys_unmap_file(void *p, size_t len)
{
	if (p)
		nf_sys->munmap(p, len);
}

uint64_t nf_parse_meminfo_total(const char *s, size_t len)
{
	static const char key[] = "MemTotal:";
	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++) {
		if ((i && s[i - 1] != '\n') || memcmp(s + i, key, sizeof(key) - 1))
			continue;
		size_t j = i + sizeof(key) - 1;
		uint64_t kib = 0;
		while (j < len && s[j] == ' ')
			j++;
		size_t digits = j;
		while (j < len && s[j] >= '0' && s[j] <= '9' && j - digits < 15)
			kib = kib * 10 + (uint64_t)(s[j++] - '0');
		if (j == digits || j + 3 > len || memcmp(s + j, " kB", 3))
			return 0;
		return kib << 10;
	}
	return 0;
}

uint64_t nf_mem_total(void)
{
	size_t len;
	int err;
	char *buf = nf_sys_read_file("/proc/meminfo", &len, &err);
	uint64_t total = buf ? nf_parse_meminfo_total(buf, len) : 0;
	free(buf);
	return total;
}
