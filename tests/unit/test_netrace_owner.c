/* Filter ownership: names carry the pid, a filter is kept only while an
 * nflux with that pid is alive (its /proc comm read through a fake nf_sys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "fake_sys.h"
#include "netrace/nr_owner.h"
#include "kern/sys.h"

static struct nf_sys fake;
static char comm_dir[64];

/* /proc/PID/comm comes from comm_dir/PID when that file exists. */
static int fake_open(const char *path, int flags, int mode)
{
	long pid;
	char tail[16], real[128];

	if (sscanf(path, "/proc/%ld/%15s", &pid, tail) != 2 || strcmp(tail, "comm") != 0) {
		errno = EACCES;
		return -1;
	}
	snprintf(real, sizeof(real), "%s/%ld", comm_dir, pid);
	return nf_sys_real.open(real, flags, mode);
}

static void put_comm(long pid, const char *comm)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%ld", comm_dir, pid);
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(comm, f);
		fclose(f);
	}
}

int main(void)
{
	char name[48];

	T_CASE("names carry direction and pid") {
		nr_filter_name(name, sizeof(name), 1, 1234);
		CHECK_STR(name, "nflux_netrace_in.1234");
		nr_filter_name(name, sizeof(name), 0, 7);
		CHECK_STR(name, "nflux_netrace_eg.7");
		CHECK_EQ(strncmp(name, NR_FILTER_PREFIX, strlen(NR_FILTER_PREFIX)), 0);
	}
	T_CASE("the pid is parsed back, and names without one give 0") {
		CHECK_EQ(nr_filter_pid("nflux_netrace_in.1234"), 1234);
		CHECK_EQ(nr_filter_pid("nflux_netrace_eg.4194304"), 4194304);
		CHECK_EQ(nr_filter_pid("nflux_netrace_in"), 0);       /* older nflux */
		CHECK_EQ(nr_filter_pid("nflux_netrace_in."), 0);
		CHECK_EQ(nr_filter_pid("nflux.12x"), 0);
		CHECK_EQ(nr_filter_pid("nflux.-5"), 0);
		CHECK_EQ(nr_filter_pid("nflux.99999999999999999999"), 0);
		CHECK_EQ(nr_filter_pid(""), 0);
	}

	T_CASE("kept only while a live nflux owns it") {
		snprintf(comm_dir, sizeof(comm_dir), "/tmp/nr_owner.XXXXXX");
		REQUIRE(mkdtemp(comm_dir) != NULL);
		t_fake_sys(&fake);
		fake.open = fake_open; /* real files under comm_dir, read for real */
		fake.read = nf_sys_real.read;
		fake.close = nf_sys_real.close;
		t_use_sys(&fake);
		put_comm(4242, "nflux\n");
		put_comm(4243, "sshd\n");
		put_comm((long)getpid(), "nflux\n");
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4242"), 1);
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4243"), 0);  /* pid reused */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in.4244"), 0);  /* gone */
		CHECK_EQ(nr_filter_owner_alive("nflux_netrace_in"), 0);       /* no pid */
		snprintf(name, sizeof(name), "nflux_netrace_eg.%ld", (long)getpid());
		CHECK_EQ(nr_filter_owner_alive(name), 0);  /* our own pid: left by a dead run */
		t_real_sys();
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", comm_dir);
		CHECK_EQ(system(cmd), 0);
	}
	return t_summary();
}
