#include "nr_owner.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kern/sys.h"

void nr_filter_name(char *buf, size_t len, int ingress, long pid)
{
	snprintf(buf, len, "%s_netrace_%s.%ld", NR_FILTER_PREFIX, ingress ? "in" : "eg", pid);
}

long nr_filter_pid(const char *name)
{
	const char *dot = strrchr(name, '.');
	long pid = 0;

	if (!dot || !dot[1])
		return 0;
	for (const char *p = dot + 1; *p; p++) {
		if (*p < '0' || *p > '9' || pid > 99999999)
			return 0;
		pid = pid * 10 + (*p - '0');
	}
	return pid;
}

int nr_filter_owner_alive(const char *name)
{
	long pid = nr_filter_pid(name);
	char path[40];
	size_t len;
	int err;

	if (pid <= 0 || pid == (long)getpid())
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	char *comm = nf_sys_read_file(path, &len, &err);
	/* pid reuse by another program reads as stale, which it is */
	int alive = comm && strncmp(comm, NR_FILTER_PREFIX, strlen(NR_FILTER_PREFIX)) == 0;

	free(comm);
	return alive;
}
