/* Root: uprobes, uretprobes, tracepoints (and kprobes where the kernel has
 * the kprobe PMU) on the running kernel, over the perf link and the ioctl
 * path. The probed processes are a target program and a small library the
 * test builds (tests/fixtures/uprobe_target.c, uprobe_lib.c), so only
 * processes the test started ever run the probed code; the counts, kept
 * per process by tests/fixtures/uprobe.bpf.c, must be exact. Last, a
 * SIGKILLed loader must leave none of its programs behind. */
#include "t.h"
#include "t_load.h"
#include "attach/perf_event.h"
#include "kern/bpf_cmd.h"
#include "kern/load.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 1000
enum { HIT_CALL, HIT_ARG_SUM, HIT_RET, HIT_RET_SUM, HIT_LIB, HIT_TP, HIT_KPROBE };

static char dir[64], target[96], lib[96];
static struct nf_bpf b;
static int hits_fd;

/* ---- the target processes ---------------------------------------------- */

struct target {
	pid_t pid;
	FILE *in, *out;     /* its stdin and stdout */
};

static int start(struct target *t)
{
	int in[2], out[2];
	char line[32];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execl(target, target, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->in = fdopen(in[1], "w");
	t->out = fdopen(out[0], "r");
	if (t->pid < 0 || !t->in || !t->out || !fgets(line, sizeof(line), t->out) ||
	    strcmp(line, "ready\n")) {
		printf("# target did not start\n");
		return -1;
	}
	return 0;
}

/* n rounds of calls (in a second thread: thread = 1); 0 once done. */
static int run(struct target *t, int n, int thread)
{
	char line[32];

	fprintf(t->in, "%s%d\n", thread ? "t" : "", n);
	fflush(t->in);
	return fgets(line, sizeof(line), t->out) && !strcmp(line, "done\n") ? 0 : -1;
}

static void stop(struct target *t)
{
	if (t->in)
		fclose(t->in);      /* EOF: it exits */
	if (t->out)
		fclose(t->out);
	if (t->pid > 0)
		waitpid(t->pid, NULL, 0);
	memset(t, 0, sizeof(*t));
}

static uint64_t hits(pid_t pid, uint32_t what)
{
	uint32_t key[2] = { (uint32_t)pid, what };
	uint64_t v = 0;

	return nf_map_lookup(hits_fd, key, &v) ? 0 : v;
}

/* ---- setup ------------------------------------------------------------- */

static int sh(const char *cmd)
{
	int r = system(cmd);

	if (r)
		printf("# failed (%d): %s\n", r, cmd);
	return r;
}

/* Build the target and its library into a fresh directory. */
static int build_target(void)
{
	const char *cc = getenv("NF_TEST_CC") ? getenv("NF_TEST_CC") : "cc";
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/nfut.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(lib, sizeof(lib), "%s/libnfut.so", dir);
	snprintf(cmd, sizeof(cmd), "%s -O1 -g -fPIC -shared -o %s tests/fixtures/uprobe_lib.c", cc, lib);
	if (sh(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s -O1 -g -o %s tests/fixtures/uprobe_target.c -L%s -lnfut "
		 "-Wl,-rpath,%s -pthread", cc, target, dir, dir);
	return sh(cmd);
}

static void remove_target(void)
{
	char cmd[128];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}

/* tracefs, in a mount namespace of our own when it is not mounted (the
 * host's mounts stay as they are). 0, or why not. */
static const char *tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) || !stat("/sys/kernel/debug/tracing/events", &st))
		return NULL;
	if (unshare(CLONE_NEWNS))
		return "unshare(CLONE_NEWNS) failed";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return "cannot make / private in our mount namespace";
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return "cannot mount tracefs";
	return NULL;
}

/* ---- the cases --------------------------------------------------------- */

static const char *path_name(const struct nf_perf_link *l)
{
	return l->link_fd >= 0 ? "perf link" : "ioctl";
}

/* The perf link where the kernel has it, unless forced onto the ioctl. */
static void check_path(const struct nf_perf_link *l, int force_ioctl)
{
	int want_link = !force_ioctl && nf_features()->perf_link;

	CHECK_EQ(l->link_fd >= 0, want_link);
	CHECK(l->event_fd >= 0);
}

static void attach_or_say(struct nf_perf_link *l, const char *prog, const char *path,
			  const struct nf_perf_opts *o, int *ok)
{
	*ok = nf_perf_attach_prog(l, &b, prog, path, o) == 0;
	if (!*ok)
		printf("# attach %s: %s\n", prog, nf_lasterr());
	CHECK(*ok);
}

static void case_one_process(int force_ioctl)
{
	char name[96];
	struct target a = { 0 }, other = { 0 };
	struct nf_perf_link l;
	int ok;

	snprintf(name, sizeof(name), "uprobe: %d calls of one process give %d hits (%s)", N, N,
		 force_ioctl ? "ioctl, forced" : "perf link where probed");
	T_CASE(name) {
		REQUIRE(start(&a) == 0 && start(&other) == 0);
		struct nf_perf_opts o = { .pid = a.pid, .force_ioctl = force_ioctl };
		attach_or_say(&l, "nfut_call", target, &o, &ok);
		REQUIRE(ok);
		check_path(&l, force_ioctl);
		printf("# attached through the %s\n", path_name(&l));
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(run(&other, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_CALL), N);
		CHECK_EQ(hits(a.pid, HIT_ARG_SUM), (uint64_t)N * (N - 1) / 2);
		CHECK_EQ(hits(other.pid, HIT_CALL), 0);   /* the other process runs the same file */
		/* its threads are the same process */
		CHECK_EQ(run(&a, N, 1), 0);
		CHECK_EQ(hits(a.pid, HIT_CALL), 2 * N);
		CHECK_EQ(nf_perf_detach(&l), 0);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_CALL), 2 * N);   /* detached: no more */
	}
	stop(&a);
	stop(&other);
}

static void case_every_process(void)
{
	struct target a = { 0 }, c = { 0 };
	struct nf_perf_link l;
	int ok;

	T_CASE("uprobe: pid -1 counts every process that runs the file") {
		REQUIRE(start(&a) == 0 && start(&c) == 0);
		attach_or_say(&l, "nfut_call", target, NULL, &ok);
		REQUIRE(ok);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(run(&c, N / 2, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_CALL), N);
		CHECK_EQ(hits(c.pid, HIT_CALL), N / 2);
		nf_perf_detach(&l);
	}
	stop(&a);
	stop(&c);
}

static void case_retprobe(int force_ioctl)
{
	struct target a = { 0 };
	struct nf_perf_link l;
	int ok;

	T_CASE(force_ioctl ? "uretprobe: sees every return value (ioctl)" :
	       "uretprobe: sees every return value (perf link where probed)") {
		REQUIRE(start(&a) == 0);
		struct nf_perf_opts o = { .pid = a.pid, .force_ioctl = force_ioctl };
		attach_or_say(&l, "nfut_ret", target, &o, &ok);
		REQUIRE(ok);
		check_path(&l, force_ioctl);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_RET), N);
		/* target_ret(i) returns 3i + 1 */
		CHECK_EQ(hits(a.pid, HIT_RET_SUM), (uint64_t)3 * N * (N - 1) / 2 + N);
		CHECK_EQ(hits(a.pid, HIT_CALL), 0);
		nf_perf_detach(&l);
	}
	stop(&a);
}

static void case_library(void)
{
	struct target a = { 0 }, c = { 0 };
	struct nf_perf_link one, all;
	int ok;

	T_CASE("uprobe: a shared library's symbol fires in the processes that map it") {
		REQUIRE(start(&a) == 0 && start(&c) == 0);
		struct nf_perf_opts o = { .pid = a.pid };
		attach_or_say(&one, "nfut_lib", lib, &o, &ok);
		REQUIRE(ok);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(run(&c, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_LIB), N);
		CHECK_EQ(hits(c.pid, HIT_LIB), 0);
		nf_perf_detach(&one);
		/* every process, by path and symbol chosen at run time */
		ok = nf_uprobe_attach_sym(&all, nf_bpf_prog_fd(&b, "nfut_lib"), lib, "nfut_lib_fn", 0,
					  NULL) == 0;
		if (!ok)
			printf("# %s\n", nf_lasterr());
		REQUIRE(ok);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(run(&c, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_LIB), 2 * N);
		CHECK_EQ(hits(c.pid, HIT_LIB), N);
		nf_perf_detach(&all);
	}
	stop(&a);
	stop(&c);
}

static void case_errors(void)
{
	struct nf_perf_link l;

	T_CASE("uprobe: errors name the probe, the file and why") {
		int fd = nf_bpf_prog_fd(&b, "nfut_call");
		CHECK_EQ(nf_uprobe_attach_sym(&l, fd, target, "no_such_fn", 0, NULL), -ENOENT);
		CHECK(strstr(nf_lasterr(), "uprobe no_such_fn in ") == nf_lasterr());
		CHECK(strstr(nf_lasterr(), "symbol no_such_fn not found") != NULL);
		CHECK_EQ(nf_uprobe_attach(&l, fd, "/nonexistent/nfut", 0x10, 0, NULL), -ENOENT);
		CHECK_STR(nf_lasterr(), "uprobe /nonexistent/nfut+0x10: No such file or directory (no such file)");
		CHECK_EQ(nf_uprobe_attach(&l, fd, target, 1ull << 40, 0, NULL), -EINVAL);
		CHECK(strstr(nf_lasterr(), "Invalid argument (offset outside the file") != NULL);
		/* a tracepoint program on a uprobe: the kernel refuses the type */
		int tp = nf_bpf_prog_fd(&b, "nfut_tp");
		int r = nf_uprobe_attach_sym(&l, tp, target, "target_call", 0, NULL);
		CHECK_EQ(r, -EINVAL);
		CHECK(strstr(nf_lasterr(), "(the program's type does not fit this event)") != NULL);
		printf("# %s\n", nf_lasterr());
		CHECK_EQ(l.event_fd, -1);
	}
}

static void case_tracepoint(int force_ioctl)
{
	struct target a = { 0 };
	struct nf_perf_link l;
	int ok;

	T_CASE(force_ioctl ? "tracepoint: syscalls/sys_enter_getppid counted exactly (ioctl)" :
	       "tracepoint: syscalls/sys_enter_getppid counted exactly (perf link where probed)") {
		REQUIRE(start(&a) == 0);
		struct nf_perf_opts o = { .force_ioctl = force_ioctl };
		attach_or_say(&l, "nfut_tp", NULL, &o, &ok);
		REQUIRE(ok);
		check_path(&l, force_ioctl);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_TP), N);
		nf_perf_detach(&l);
	}
	stop(&a);
}

static void case_kprobe(void)
{
	struct nf_pmu pmu;
	struct target a = { 0 };
	struct nf_perf_link l;
	int ok;

	if (nf_pmu_get(NF_PMU_KPROBE, &pmu) == -ENOENT) {
		T_CASE("kprobe: a kernel without the kprobe PMU says so") {
			int r = nf_perf_attach_prog(&l, &b, "nfut_kprobe", NULL, NULL);
			CHECK_EQ(r, -ENOENT);
			CHECK(strstr(nf_lasterr(), "the kernel has no kprobe PMU") != NULL);
		}
		t_skip("kprobe: hits", "this kernel has no kprobe PMU (CONFIG_KPROBES is off); "
		       "the QEMU guests run nftool probe kprobe");
		return;
	}
	T_CASE("kprobe: the getppid syscall counted exactly") {
		REQUIRE(start(&a) == 0);
		attach_or_say(&l, "nfut_kprobe", NULL, NULL, &ok);
		REQUIRE(ok);
		CHECK_EQ(run(&a, N, 0), 0);
		CHECK_EQ(hits(a.pid, HIT_KPROBE), N);
		nf_perf_detach(&l);
	}
	stop(&a);
}

/* ---- nothing stays after SIGKILL --------------------------------------- */

/* Programs whose name starts with prefix. */
static int progs_named(const char *prefix)
{
	uint32_t id = 0;
	int n = 0;

	while (nf_prog_get_next_id(id, &id) >= 0) {
		struct bpf_prog_info info;
		int fd = nf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (nf_prog_info(fd, &info) == 0 && !strncmp(info.name, prefix, strlen(prefix)))
			n++;
		close(fd);
	}
	return n;
}

/* Attach the program of section sec by its (new) name. */
static int attach_sec(struct nf_perf_link *l, const struct nf_bpf *kb, const char *sec,
		      const struct nf_perf_opts *o)
{
	for (uint32_t i = 0; i < kb->obj->nprogs; i++)
		if (!strcmp(kb->obj->progs[i].sec, sec))
			return nf_perf_attach_prog(l, kb, kb->obj->progs[i].name, target, o);
	return -ENOENT;
}

/* The child: load the fixture with its programs renamed (nfk<pid>_<i>,
 * unique on this machine), attach a uprobe and a uretprobe, say so, wait
 * for the kill. */
static void killed_loader(int force_ioctl, int ready_fd)
{
	size_t len;
	void *data = t_read_file(t_fixture("uprobe"), &len);
	struct nf_obj obj;
	struct nf_bpf kb;
	struct nf_perf_link l1, l2;
	struct nf_perf_opts o = { .force_ioctl = force_ioctl };

	if (!data || nf_obj_parse(&obj, data, len))
		_exit(2);
	for (uint32_t i = 0; i < obj.nprogs; i++)
		snprintf(obj.progs[i].name, sizeof(obj.progs[i].name), "nfk%d_%u", (int)getpid(), i);
	if (nf_load(&kb, &obj, NULL) || attach_sec(&l1, &kb, "uprobe/target_call", &o) ||
	    attach_sec(&l2, &kb, "uretprobe/target_ret", &o)) {
		fprintf(stderr, "child: %s\n", nf_lasterr());
		_exit(3);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

static void case_sigkill(int force_ioctl)
{
	char prefix[32];
	int p[2];
	char c;

	T_CASE(force_ioctl ? "sigkill: nothing of a killed loader stays (ioctl)" :
	       "sigkill: nothing of a killed loader stays (perf link where probed)") {
		REQUIRE(pipe(p) == 0);
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			killed_loader(force_ioctl, p[1]);
		}
		close(p[1]);
		REQUIRE(pid > 0);
		snprintf(prefix, sizeof(prefix), "nfk%d_", (int)pid);
		int ready = read(p[0], &c, 1) == 1;
		close(p[0]);
		CHECK(ready);
		CHECK(progs_named(prefix) > 0);   /* the check sees them while it lives */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* The kernel frees programs a little later (RCU): wait for it. */
		int left = -1;
		for (int i = 0; i < 100 && (left = progs_named(prefix)) > 0; i++)
			usleep(50 * 1000);
		CHECK_EQ(left, 0);
	}
}

int main(void)
{
	struct nf_pmu pmu;
	const char *why;

	if (nf_pmu_get(NF_PMU_UPROBE, &pmu)) {
		t_skip("uprobe", nf_lasterr());
		return t_summary();
	}
	if (access("tests/fixtures/uprobe_target.c", R_OK)) {
		t_skip("uprobe", "run from the repository root (tests/fixtures/uprobe_target.c)");
		return t_summary();
	}
	T_CASE("setup: target built, fixture loaded") {
		REQUIRE(build_target() == 0);
		REQUIRE(t_load_fixture(&b, "uprobe", NULL) == 0);
		hits_fd = nf_bpf_map_fd(&b, "nfut_hits");
		CHECK(hits_fd >= 0);
	}
	if (hits_fd > 0) {
		case_one_process(0);
		case_one_process(1);
		case_every_process();
		case_retprobe(0);
		case_retprobe(1);
		case_library();
		case_errors();
		if ((why = tracefs())) {
			t_skip("tracepoint", why);
		} else {
			case_tracepoint(0);
			case_tracepoint(1);
		}
		case_kprobe();
		t_unload(&b);
		case_sigkill(0);
		case_sigkill(1);
	}
	remove_target();
	return t_summary();
}
