#include "nr_owner.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kern/sys.h"

void nr_filter_name(char *buf, size_t len, int ingress, long pid, uint64_t start)
{
	snprintf(buf, len, "%s_netrace_%s.%ld.%llu", NR_FILTER_PREFIX, ingress ? "in" : "eg", pid,
		 (unsigned long long)start);
}

/* A decimal number filling [s, end), at most max; -1 if not. */
static long long number(const char *s, const char *end, unsigned long long max)
{
	unsigned long long v = 0;
	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > max / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	return v > max ? -1 : (long long)v;
}

long nr_filter_owner(const char *name, uint64_t *start)
{
	*start = 0;
	const char *last = strrchr(name, '.');
	if (!last)
		return 0;
	const char *end = last + strlen(last);
	const char *prev = last;
	while (prev > name && prev[-1] != '.')
		prev--;
	long long a = number(last + 1, end, 99999999);
	if (prev > name) { /* NAME.PID.START */
		long long pid = number(prev, last, 99999999);
		long long st = number(last + 1, end, (unsigned long long)INT64_MAX);
		if (pid > 0 && st >= 0) {
			*start = (uint64_t)st;
			return (long)pid;
		}
	}
	return a > 0 ? (long)a : 0; /* NAME.PID, from older runs */
}

int nr_stat_start(const char *stat, uint64_t *start)
{
	/* "PID (COMM) S PPID ...": comm may hold spaces and parentheses, so
	 * count from the last ')'; the state is field 3, the start time 22. */
	const char *p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (int field = 2; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field < 21)
			while (*p && *p != ' ')
				p++;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (end == p || errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	*start = v;
	return 0;
}

static int read_start(long pid, uint64_t *start)
{
	char path[40];
	size_t len;
	int err;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	char *text = nf_sys_read_file(path, &len, &err);
	if (!text)
		return err;
	err = nr_stat_start(text, start);
	free(text);
	return err;
}

uint64_t nr_self_start(void)
{
	uint64_t start = 0;
	return read_start((long)getpid(), &start) ? 0 : start;
}

/* The older rule, for names without a start time. */
static int named_nflux(long pid)
{
	char path[40];
	size_t len;
	int err;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	char *comm = nf_sys_read_file(path, &len, &err);
	int alive = comm && strncmp(comm, NR_FILTER_PREFIX, strlen(NR_FILTER_PREFIX)) == 0;
	free(comm);
	return alive;
}

int nr_filter_owner_alive(const char *name)
{
	uint64_t start, now;
	long pid = nr_filter_owner(name, &start);
	if (pid <= 0 || pid == (long)getpid())
		return 0;
	if (!start)
		return named_nflux(pid);
	/* pid reuse has another start time: stale, which it is */
	return read_start(pid, &now) == 0 && now == start;
}
