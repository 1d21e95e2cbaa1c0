/* Filter ownership: names carry the pid and the start time, a filter is
 * kept only while that very process lives (its /proc stat, or for older
 * names its comm, read through a fake nf_sys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include "t.h"
#include "fake_sys.h"
#include "netrace/nr_owner.h"
#include "kern/sys.h"

static struct nf_sys fake;
static char comm_dir[64];

/* /proc/PID/comm and /proc/PID/stat come from comm_dir/PID.comm and
 * comm_dir/PID.stat when those files exist. */
static int fake_open(const char *path, int flags, int mode)
{
	long pid;
	char tail[16], real[128];

	if (sscanf(path, "/proc/%ld/%15s", &pid, tail) != 2 ||
	    (strcmp(tail, "comm") && strcmp(tail, "stat"))) {
		errno = EACCES;
		return -1;
	}
	snprintf(real, sizeof(real), "%s/%ld.%s", comm_dir, pid, tail);
	return nf_sys_real.open(real, flags, mode);
}

static void put(long pid, const char *what, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%ld.%s", comm_dir, pid, what);
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A /proc/PID/stat line with this comm and start time. */
static void put_stat(long pid, const char *comm, unsigned long long start)
{
	char line[512];

	snprintf(line, sizeof(line), "%ld (%s) S 1 %ld %ld 0 -1 4194560 100 0 0 0 3 4 0 0 20 0 1 0 "
		 "%llu 12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n",
		 pid, comm, pid, pid, start);
	put(pid, "stat", line);
}

int main(void)
{
	char name[NR_FILTER_NAME_MAX];
	uint64_t start;

	T_CASE("names carry direction, pid and start time") {
		nr_filter_name(name, sizeof(name), 1, 1234, 98765);
		CHECK_STR(name, "nflux_netrace_in.1234.98765");
		nr_filter_name(name, sizeof(name), 0, 4194304, UINT64_MAX >> 1);
		CHECK_STR(name, "nflux_netrace_eg.4194304.9223372036854775807");
		CHECK_EQ(strncmp(name, NR_FILTER_PREFIX, strlen(NR_FILTER_PREFIX)), 0);
	}
	T_CASE("the owner is parsed back; older names give the pid alone") {
		CHECK_EQ(nr_filter_owner("nflux_netrace_in.1234.98765", &start), 1234);
		CHECK_EQ(start, 98765);
		CHECK_EQ(nr_filter_owner("nflux_netrace_in.1234", &start), 1234);  /* older nflux */
		CHECK_EQ(start, 0);
		CHECK_EQ(nr_filter_owner("nflux_netrace_eg.4194304", &start), 4194304);
		CHECK_EQ(nr_filter_owner("nflux_netrace_in", &start), 0);
		CHECK_EQ(nr_filter_owner("nflux_netrace_in.", &start), 0);
		CHECK_EQ(nr_filter_owner("nflux.12x", &start), 0);
		CHECK_EQ(nr_filter_owner("nflux.-5", &start), 0);
		CHECK_EQ(nr_filter_owner("nflux.99999999999999999999", &start), 0);
		CHECK_EQ(nr_filter_owner("nflux.5.99999999999999999999", &start), 0);
		CHECK_EQ(nr_filter_owner("", &start), 0);
	}
	T_CASE("the start time is field 22 of /proc/PID/stat, whatever the comm holds") {
		CHECK_EQ(nr_stat_start("7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0\n",
				       &start), 0);
		CHECK_EQ(start, 4242);
		CHECK_EQ(nr_stat_start("7 (x) R 1 2 3\n", &start), -EINVAL);
		CHECK_EQ(nr_stat_start("no parenthesis", &start), -EINVAL);
		CHECK_EQ(nr_stat_start("7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12z 0\n", &start),
			 -EINVAL);
		/* this process's own line, read for real */
		CHECK(nr_self_start() > 0);
	}

	T_CASE("kept only while the very process that made it lives") {
		snprintf(comm_dir, sizeof(comm_dir), "/tmp/nr_owner.XXXXXX");
		REQUIRE(mkdtemp(comm_dir) != NULL);
		t_fake_sys(&fake);
		fake.open = fake_open; /* real files under comm_dir, read for real */
		fake.read = nf_sys_real.read;
		fake.close = nf_sys_real.close;
		t_use_sys(&fake);
		put_stat(4242, "nflux-renamed", 5000);
		put_stat(4243, "sshd", 7000);
		put(4244, "comm", "nflux\n");
		put(4245, "comm", "sshd\n");
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4242.5000"), 1);
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4242.4999"), 0); /* pid reused */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4243.7000"), 1); /* any comm */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4246.1"), 0);    /* gone */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4244"), 1);      /* older name */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4245"), 0);
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in"), 0);           /* no pid */
		snprintf(name, sizeof(name), "nflux_netrace_eg.%ld.1", (long)getpid());
		CHECK_EQ(nr_filter_owner_alive(name), 0);  /* our own pid: left by a dead run */
		t_real_sys();
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", comm_dir);
		CHECK_EQ(system(cmd), 0);
	}
	return t_summary();
}
