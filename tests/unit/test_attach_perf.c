/* Perf-event attach (uprobes, kprobes, tracepoints) over a fake nf_sys:
 * the perf_event_attr each kind builds, the pid/cpu pairs, the PMU files
 * read once, the link and ioctl paths, the section targets, and every
 * failure path closing what it opened with an error in words. */
#include "t.h"
#include "fake_sys.h"
#include "attach/perf_event.h"
#include "bpf_compat.h"
#include "kern/load.h"
#include "kern/sys.h"
#include "parse/elf_sym.h"
#include "log.h"
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>

#define PROG 7
#define FD0 100
#define MAXFD 32
#define UP_DIR "/sys/bus/event_source/devices/uprobe/"
#define KP_DIR "/sys/bus/event_source/devices/kprobe/"
#define APP "/opt/app/bin/app"

/* ---- fds and a log of what the code under test did ------------------ */

static int fd_open[MAXFD], fd_file[MAXFD];
static size_t fd_pos[MAXFD];
static int bad_close;
static char log_buf[1024];

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t n = strlen(log_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_buf + n, sizeof(log_buf) - n, fmt, ap);
	va_end(ap);
}

static long fail(int e)
{
	errno = e;
	return -1;
}

static int new_fd(int file)
{
	for (int i = 0; i < MAXFD; i++) {
		if (!fd_open[i]) {
			fd_open[i] = 1;
			fd_file[i] = file;
			fd_pos[i] = 0;
			return FD0 + i;
		}
	}
	return (int)fail(EMFILE);
}

static int fds_open(void)
{
	int n = 0;
	for (int i = 0; i < MAXFD; i++)
		n += fd_open[i];
	return n;
}

static int valid(int fd)
{
	return fd >= FD0 && fd < FD0 + MAXFD && fd_open[fd - FD0];
}

/* Only the perf fds (events and links: file -1) are logged; files and the
 * probes' fds (file -2) come and go. */
static int fake_close(int fd)
{
	if (!valid(fd)) {
		bad_close++;
		return (int)fail(EBADF);
	}
	if (fd_file[fd - FD0] == -1)
		logf_("close(%d) ", fd);
	fd_open[fd - FD0] = 0;
	return 0;
}

/* ---- files: sysfs and tracefs text, and one ELF to map ---------------- */

struct ffile {
	const char *path;
	const void *data;
	size_t len;
	int err;            /* open fails with it */
	int opens;
};
static struct ffile files[16];
static int nfiles, maps, unmaps;

static void set_file_err(const char *path, const void *data, size_t len, int err)
{
	for (int i = 0; i < nfiles; i++) {
		if (!strcmp(files[i].path, path)) {
			files[i] = (struct ffile){ path, data, len, err, 0 };
			return;
		}
	}
	files[nfiles++] = (struct ffile){ path, data, len, err, 0 };
}

static void set_file(const char *path, const char *text)
{
	set_file_err(path, text, strlen(text), 0);
}

static int opens_of(const char *path)
{
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(files[i].path, path))
			return files[i].opens;
	return 0;
}

static int fake_open(const char *path, int flags, int mode)
{
	(void)flags, (void)mode;
	for (int i = 0; i < nfiles; i++) {
		if (strcmp(files[i].path, path))
			continue;
		files[i].opens++;
		return files[i].err ? (int)fail(files[i].err) : new_fd(i);
	}
	return (int)fail(ENOENT);
}

static struct ffile *file_of(int fd)
{
	return valid(fd) && fd_file[fd - FD0] >= 0 ? &files[fd_file[fd - FD0]] : NULL;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	struct ffile *f = file_of(fd);
	if (!f)
		return fail(EBADF);
	size_t *pos = &fd_pos[fd - FD0], n = f->len - *pos < len ? f->len - *pos : len;
	memcpy(buf, (const char *)f->data + *pos, n);
	*pos += n;
	return (ssize_t)n;
}

static int fake_fstat(int fd, struct stat *st)
{
	struct ffile *f = file_of(fd);
	if (!f)
		return (int)fail(EBADF);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0755;
	st->st_size = (off_t)f->len;
	return 0;
}

static void *fake_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct ffile *f = file_of(fd);
	(void)addr, (void)prot, (void)flags;
	if (!f || off || len != f->len) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	maps++;
	return (void *)f->data;
}

static int fake_munmap(void *p, size_t len)
{
	(void)p, (void)len;
	unmaps++;
	return 0;
}

/* ---- perf_event_open, ioctl, bpf -------------------------------------- */

static struct perf_event_attr seen_attr;
static char seen_str[256];        /* the string config1 pointed at */
static pid_t seen_pid;
static int seen_cpu, seen_group, perf_calls;
static unsigned long seen_flags;
static int perf_errno, link_errno, set_bpf_errno, enable_errno, kernel_has_link, bpf_calls;

static long fake_perf(struct perf_event_attr *a, pid_t pid, int cpu, int group, unsigned long flags)
{
	perf_calls++;
	seen_attr = *a;
	seen_str[0] = 0;
	if (a->type != PERF_TYPE_TRACEPOINT && a->config1)
		snprintf(seen_str, sizeof(seen_str), "%s", (const char *)(uintptr_t)a->config1);
	seen_pid = pid, seen_cpu = cpu, seen_group = group, seen_flags = flags;
	if (perf_errno) {
		logf_("open=-1 ");
		return fail(perf_errno);
	}
	int fd = new_fd(-1);
	logf_("open=%d ", fd);
	return fd;
}

static int fake_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int e = 0;
	if (!valid(fd))
		return (int)fail(EBADF);
	if (req == PERF_EVENT_IOC_SET_BPF) {
		logf_("set_bpf(%d,%lu)", fd, arg);
		e = set_bpf_errno;
	} else if (req == PERF_EVENT_IOC_ENABLE) {
		logf_("enable(%d)", fd);
		e = enable_errno;
	} else {
		logf_("ioctl?(%d) ", fd);
		return (int)fail(ENOTTY);
	}
	logf_("%s ", e ? "=-1" : "");
	return e ? (int)fail(e) : 0;
}

/* The feature probes get fds; a link on a real event is logged. */
static long fake_bpf(int cmd, union bpf_attr *a, unsigned int size)
{
	(void)size;
	bpf_calls++;
	switch (cmd) {
	case BPF_PROG_LOAD:
	case BPF_MAP_CREATE:
	case BPF_BTF_LOAD:
		return new_fd(-2);
	case BPF_LINK_CREATE:
		if (a->link_create.target_fd == (uint32_t)-1)   /* the perf link probe */
			return fail(kernel_has_link ? EBADF : EINVAL);
		if (a->link_create.attach_type != NF_BPF_PERF_EVENT || !valid((int)a->link_create.target_fd))
			return fail(EINVAL);
		if (link_errno) {
			logf_("link(%u,%u)=-1 ", a->link_create.prog_fd, a->link_create.target_fd);
			return fail(link_errno);
		}
		int fd = new_fd(-1);
		logf_("link(%u,%u)=%d ", a->link_create.prog_fd, a->link_create.target_fd, fd);
		return fd;
	}
	return fail(EINVAL);
}

static int fake_setrlimit(int res, const struct rlimit *rl)
{
	(void)res, (void)rl;
	return 0;
}

static void *self_elf;
static size_t self_len;

/* A fresh fake kernel: uprobe PMU type 9 with retprobe bit 3, kprobe PMU
 * type 6 with bit 0, two tracepoints (one only under debugfs), the test's
 * own executable at APP. Probes are run now, so the log shows only the
 * attach. */
static void kernel(int has_link)
{
	static struct nf_sys fake;

	t_fake_sys(&fake);
	fake.bpf = fake_bpf;
	fake.perf_event_open = fake_perf;
	fake.ioctl = fake_ioctl;
	fake.open = fake_open;
	fake.read = fake_read;
	fake.close = fake_close;
	fake.fstat = fake_fstat;
	fake.mmap = fake_mmap;
	fake.munmap = fake_munmap;
	fake.setrlimit = fake_setrlimit;
	memset(fd_open, 0, sizeof(fd_open));
	nfiles = maps = unmaps = bad_close = perf_calls = 0;
	perf_errno = link_errno = set_bpf_errno = enable_errno = 0;
	kernel_has_link = has_link;
	set_file(UP_DIR "type", "9\n");
	set_file(UP_DIR "format/retprobe", "config:3\n");
	set_file(UP_DIR "format/ref_ctr_offset", "config:32-63\n");
	set_file(KP_DIR "type", "6\n");
	set_file(KP_DIR "format/retprobe", "config:0\n");
	set_file("/sys/kernel/tracing/events/sched/sched_switch/id", "316\n");
	set_file("/sys/kernel/debug/tracing/events/syscalls/sys_enter_getppid/id", "123\n");
	set_file_err(APP, self_elf, self_len, 0);
	t_use_sys(&fake);
	nf_pmu_reset();
	nf_features();
	log_buf[0] = 0;
}

static const struct nf_perf_opts link_auto = { 0 }, force_ioctl = { .force_ioctl = 1 };

/* The attach failed and left nothing open. */
#define CHECK_FAILED_CLEAN(l, r, err) do { CHECK_EQ(r, -(err)); CHECK_EQ((l).event_fd, -1); \
	CHECK_EQ((l).link_fd, -1); CHECK_EQ(fds_open(), 0); CHECK_EQ(bad_close, 0); } while (0)

static void test_parsers(void)
{
	T_CASE("perf: PMU type and retprobe bit parsers") {
		CHECK_EQ(nf_pmu_parse_type("8\n"), 8);
		CHECK_EQ(nf_pmu_parse_type("10"), 10);
		CHECK_EQ(nf_pmu_parse_type(""), -EINVAL);
		CHECK_EQ(nf_pmu_parse_type("\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_type("-1\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_type("8 \n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_type("99999999999\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_bit("config:0\n"), 0);
		CHECK_EQ(nf_pmu_parse_bit("config:63"), 63);
		CHECK_EQ(nf_pmu_parse_bit("config:64\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_bit("config:32-63\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_bit("config1:0\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_bit("config:\n"), -EINVAL);
		CHECK_EQ(nf_pmu_parse_bit("0\n"), -EINVAL);
	}
	T_CASE("perf: section targets") {
		struct nf_perf_target t;
		CHECK_EQ(nf_perf_target_parse("uprobe//usr/lib/libssl.so.3:SSL_write", &t), 0);
		CHECK_EQ(t.kind, NF_PERF_UPROBE);
		CHECK_EQ(t.retprobe, 0);
		CHECK_STR(t.path, "/usr/lib/libssl.so.3");
		CHECK_STR(t.sym, "SSL_write");
		CHECK_EQ(t.off, 0);
		CHECK_EQ(nf_perf_target_parse("uretprobe//a:b/c.so:f+0x10", &t), 0);
		CHECK_EQ(t.retprobe, 1);
		CHECK_STR(t.path, "/a:b/c.so");
		CHECK_STR(t.sym, "f");
		CHECK_EQ(t.off, 16);
		CHECK_EQ(nf_perf_target_parse("uprobe//bin/x:0x1a40", &t), 0);
		CHECK_STR(t.path, "/bin/x");
		CHECK_STR(t.sym, "");
		CHECK_EQ(t.off, 0x1a40);
		CHECK_EQ(nf_perf_target_parse("uprobe/SSL_read", &t), 0);
		CHECK_STR(t.path, "");
		CHECK_STR(t.sym, "SSL_read");
		CHECK_EQ(nf_perf_target_parse("uprobe/foo@@VER_2", &t), 0);
		CHECK_STR(t.sym, "foo@@VER_2");
		CHECK_EQ(nf_perf_target_parse("kprobe/tcp_sendmsg", &t), 0);
		CHECK_EQ(t.kind, NF_PERF_KPROBE);
		CHECK_STR(t.sym, "tcp_sendmsg");
		CHECK_EQ(nf_perf_target_parse("kretprobe/tcp_sendmsg", &t), 0);
		CHECK_EQ(t.kind, NF_PERF_KPROBE);
		CHECK_EQ(t.retprobe, 1);
		CHECK_EQ(nf_perf_target_parse("kprobe/do_sys_open+12", &t), 0);
		CHECK_STR(t.sym, "do_sys_open");
		CHECK_EQ(t.off, 12);
		CHECK_EQ(nf_perf_target_parse("tracepoint/sched/sched_switch", &t), 0);
		CHECK_EQ(t.kind, NF_PERF_TRACEPOINT);
		CHECK_STR(t.sym, "sched");
		CHECK_STR(t.name, "sched_switch");
		CHECK_EQ(nf_perf_target_parse("tc", &t), -ENOENT);
		CHECK_EQ(nf_perf_target_parse("raw_tracepoint/sched_switch", &t), -ENOENT);
		CHECK_EQ(nf_perf_target_parse("uprobe", &t), -ENOENT);
		static const char *const bad[] = {
			"uprobe/:f", "uprobe//bin/x:", "uprobe//bin/x", "uprobe//bin/x:f+", "uprobe//bin/x:f+x",
			"uprobe//bin/x:+4", "uprobe//bin/x:0x", "uprobe//bin/x:12ab", "kprobe/f+", "kprobe/+4",
			"tracepoint/sched", "tracepoint/sched/", "tracepoint//x", "tracepoint/a/b/c",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int r = nf_perf_target_parse(bad[i], &t);
			if (r != -EINVAL)
				printf("# %s: %d\n", bad[i], r);
			CHECK_EQ(r, -EINVAL);
		}
		CHECK(strstr(nf_lasterr(), "tracepoint/CATEGORY/NAME") != NULL);
	}
}

static void test_attr(void)
{
	struct nf_perf_link l;

	T_CASE("perf: uprobe attr: PMU type, path, offset, size, every process on CPU 0") {
		kernel(1);
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x1234, 0, NULL), 0);
		CHECK_EQ(perf_calls, 1);
		CHECK_EQ(seen_attr.type, 9);
		CHECK_EQ(seen_attr.size, PERF_ATTR_SIZE_VER1);
		CHECK_EQ(seen_attr.config, 0);
		CHECK_STR(seen_str, APP);
		CHECK_EQ(seen_attr.config2, 0x1234);
		CHECK_EQ(seen_attr.disabled, 1);
		CHECK_EQ(seen_pid, -1);
		CHECK_EQ(seen_cpu, 0);
		CHECK_EQ(seen_group, -1);
		CHECK_EQ(seen_flags, PERF_FLAG_FD_CLOEXEC);
		CHECK_EQ(nf_perf_detach(&l), 0);
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: uretprobe sets the PMU's retprobe bit; a pid means that process on every CPU") {
		kernel(1);
		struct nf_perf_opts o = { .pid = 4321 };
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x40, 1, &o), 0);
		CHECK_EQ(seen_attr.type, 9);
		CHECK_EQ(seen_attr.config, 1u << 3);
		CHECK_EQ(seen_attr.config2, 0x40);
		CHECK_EQ(seen_pid, 4321);
		CHECK_EQ(seen_cpu, -1);
		CHECK_EQ(seen_flags, PERF_FLAG_FD_CLOEXEC);
		nf_perf_detach(&l);
		o.pid = 0;   /* not "the caller": every process */
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x40, 0, &o), 0);
		CHECK_EQ(seen_pid, -1);
		CHECK_EQ(seen_cpu, 0);
		nf_perf_detach(&l);
	}
	T_CASE("perf: kprobe and kretprobe through the kprobe PMU") {
		kernel(1);
		CHECK_EQ(nf_kprobe_attach(&l, PROG, "tcp_sendmsg", 8, 0, NULL), 0);
		CHECK_EQ(seen_attr.type, 6);
		CHECK_EQ(seen_attr.config, 0);
		CHECK_STR(seen_str, "tcp_sendmsg");
		CHECK_EQ(seen_attr.config2, 8);
		CHECK_EQ(seen_attr.size, PERF_ATTR_SIZE_VER1);
		CHECK_EQ(seen_pid, -1);
		CHECK_EQ(seen_cpu, 0);
		nf_perf_detach(&l);
		CHECK_EQ(nf_kprobe_attach(&l, PROG, "tcp_sendmsg", 0, 1, NULL), 0);
		CHECK_EQ(seen_attr.config, 1);
		CHECK_EQ(seen_attr.config2, 0);
		nf_perf_detach(&l);
		CHECK_EQ(opens_of(UP_DIR "type"), 0);
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: tracepoint id from tracefs, else from debugfs") {
		kernel(1);
		CHECK_EQ(nf_tracepoint_attach(&l, PROG, "sched", "sched_switch", NULL), 0);
		CHECK_EQ(seen_attr.type, PERF_TYPE_TRACEPOINT);
		CHECK_EQ(seen_attr.config, 316);
		CHECK_EQ(seen_attr.size, PERF_ATTR_SIZE_VER1);
		CHECK_EQ(seen_pid, -1);
		CHECK_EQ(seen_cpu, 0);
		CHECK_EQ(seen_flags, PERF_FLAG_FD_CLOEXEC);
		nf_perf_detach(&l);
		CHECK_EQ(nf_tracepoint_attach(&l, PROG, "syscalls", "sys_enter_getppid", NULL), 0);
		CHECK_EQ(seen_attr.config, 123);
		nf_perf_detach(&l);
		CHECK_EQ(opens_of(UP_DIR "type") + opens_of(KP_DIR "type"), 0);
		CHECK_EQ(fds_open(), 0);
	}
}

static void test_paths(void)
{
	struct nf_perf_link l;

	T_CASE("perf: a kernel with perf links gets a link, then enable; detach closes link, then event") {
		kernel(1);
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, 0, &link_auto), 0);
		CHECK_STR(log_buf, "open=100 link(7,100)=101 enable(100) ");
		CHECK_EQ(l.event_fd, 100);
		CHECK_EQ(l.link_fd, 101);
		log_buf[0] = 0;
		CHECK_EQ(nf_perf_detach(&l), 0);
		CHECK_STR(log_buf, "close(101) close(100) ");
		CHECK_EQ(l.event_fd, -1);
		CHECK_EQ(l.link_fd, -1);
		log_buf[0] = 0;
		CHECK_EQ(nf_perf_detach(&l), 0);   /* again: nothing */
		CHECK_STR(log_buf, "");
		CHECK_EQ(fds_open(), 0);
		CHECK_EQ(bad_close, 0);
	}
	T_CASE("perf: a kernel without perf links gets PERF_EVENT_IOC_SET_BPF, then enable") {
		kernel(0);
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL), 0);
		CHECK_STR(log_buf, "open=100 set_bpf(100,7) enable(100) ");
		CHECK_EQ(l.link_fd, -1);
		log_buf[0] = 0;
		nf_perf_detach(&l);
		CHECK_STR(log_buf, "close(100) ");
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: force_ioctl takes the ioctl path where links exist, without probing") {
		kernel(1);
		nf_features_reset();   /* a probe now would call bpf() */
		bpf_calls = 0;
		CHECK_EQ(nf_kprobe_attach(&l, PROG, "f", 0, 0, &force_ioctl), 0);
		CHECK_EQ(bpf_calls, 0);
		CHECK_STR(log_buf, "open=100 set_bpf(100,7) enable(100) ");
		CHECK_EQ(l.link_fd, -1);
		nf_perf_detach(&l);
		CHECK_EQ(fds_open(), 0);
	}
}

static void test_open_failures(void)
{
	struct nf_perf_link l = { 55, 56 };

	T_CASE("perf: perf_event_open failures, in words, nothing left open") {
		kernel(1);
		perf_errno = EPERM;
		int r = nf_uprobe_attach(&l, PROG, APP, 0x1234, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EPERM);
		CHECK_STR(nf_lasterr(), "uprobe " APP "+0x1234: Operation not permitted "
			  "(needs CAP_PERFMON or CAP_SYS_ADMIN)");
		perf_errno = ENOENT;
		r = nf_uprobe_attach(&l, PROG, "/no/such/file", 0x10, 1, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "uretprobe /no/such/file+0x10: No such file or directory (no such file)");
		perf_errno = EINVAL;
		r = nf_uprobe_attach(&l, PROG, APP, 0xffffffff, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK(strstr(nf_lasterr(), "uprobe " APP "+0xffffffff: Invalid argument (offset outside the file") ==
		      nf_lasterr());
		perf_errno = ENOENT;
		r = nf_kprobe_attach(&l, PROG, "no_such_fn", 0, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "kprobe no_such_fn: No such file or directory (no such kernel function)");
		perf_errno = ESRCH;
		struct nf_perf_opts o = { .pid = 99999 };
		r = nf_tracepoint_attach(&l, PROG, "sched", "sched_switch", &o);
		CHECK_FAILED_CLEAN(l, r, ESRCH);
		CHECK_STR(nf_lasterr(), "tracepoint sched/sched_switch: No such process (no such process)");
		CHECK_STR(log_buf, "open=-1 open=-1 open=-1 open=-1 open=-1 ");
	}
}

static void test_attach_failures(void)
{
	struct nf_perf_link l;

	T_CASE("perf: a refused link closes the event") {
		kernel(1);
		link_errno = EPERM;
		int r = nf_uprobe_attach_sym(&l, PROG, APP, "main", 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EPERM);
		CHECK_STR(log_buf, "open=100 link(7,100)=-1 close(100) ");
		CHECK_STR(nf_lasterr(), "uprobe main in " APP ": attach (perf link): Operation not permitted "
			  "(needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
		link_errno = EINVAL;
		r = nf_tracepoint_attach(&l, PROG, "sched", "sched_switch", NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK_STR(nf_lasterr(), "tracepoint sched/sched_switch: attach (perf link): Invalid argument "
			  "(the program's type does not fit this event)");
	}
	T_CASE("perf: a refused PERF_EVENT_IOC_SET_BPF closes the event") {
		kernel(0);
		set_bpf_errno = EEXIST;
		int r = nf_kprobe_attach(&l, PROG, "tcp_sendmsg", 0, 1, NULL);
		CHECK_FAILED_CLEAN(l, r, EEXIST);
		CHECK_STR(log_buf, "open=100 set_bpf(100,7)=-1 close(100) ");
		CHECK_STR(nf_lasterr(), "kretprobe tcp_sendmsg: attach (PERF_EVENT_IOC_SET_BPF): File exists "
			  "(the event has a program already)");
	}
	T_CASE("perf: a refused enable closes the link, then the event") {
		kernel(1);
		enable_errno = EIO;
		int r = nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EIO);
		CHECK_STR(log_buf, "open=100 link(7,100)=101 enable(100)=-1 close(101) close(100) ");
		CHECK_STR(nf_lasterr(), "uprobe " APP "+0x10: enable: Input/output error");
		log_buf[0] = 0;
		r = nf_uprobe_attach(&l, PROG, APP, 0x10, 0, &force_ioctl);
		CHECK_FAILED_CLEAN(l, r, EIO);
		CHECK_STR(log_buf, "open=100 set_bpf(100,7) enable(100)=-1 close(100) ");
	}
}

static void test_pmu(void)
{
	struct nf_perf_link l;

	T_CASE("perf: PMU files read once, cached until reset") {
		kernel(1);
		for (int i = 0; i < 3; i++) {
			CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, i & 1, NULL), 0);
			nf_perf_detach(&l);
		}
		CHECK_EQ(opens_of(UP_DIR "type"), 1);
		CHECK_EQ(opens_of(UP_DIR "format/retprobe"), 1);
		set_file(UP_DIR "type", "12\n");
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL), 0);
		CHECK_EQ(seen_attr.type, 9);
		nf_perf_detach(&l);
		nf_pmu_reset();
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL), 0);
		CHECK_EQ(seen_attr.type, 12);
		nf_perf_detach(&l);
		struct nf_pmu p;
		CHECK_EQ(nf_pmu_get(NF_PMU_KPROBE, &p), 0);
		CHECK_EQ(p.type, 6);
		CHECK_EQ(p.retprobe_bit, 0);
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: a kernel without the PMU says so, once, and opens no event") {
		kernel(1);
		set_file_err(UP_DIR "type", NULL, 0, ENOENT);
		set_file_err(UP_DIR "format/retprobe", NULL, 0, ENOENT);
		for (int i = 0; i < 2; i++) {
			int r = nf_uprobe_attach(&l, PROG, APP, 0, 0, NULL);
			CHECK_FAILED_CLEAN(l, r, ENOENT);
			CHECK_STR(nf_lasterr(), "uprobe " APP "+0x0: the kernel has no uprobe PMU (no "
				  UP_DIR "type; needs CONFIG_UPROBE_EVENTS, 4.17+)");
		}
		CHECK_EQ(opens_of(UP_DIR "type"), 1);
		CHECK_EQ(perf_calls, 0);
		set_file_err(KP_DIR "type", NULL, 0, ENOENT);
		int r = nf_kprobe_attach(&l, PROG, "f", 0, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK(strstr(nf_lasterr(), "kprobe f: the kernel has no kprobe PMU") == nf_lasterr());
		CHECK(strstr(nf_lasterr(), "CONFIG_KPROBE_EVENTS") != NULL);
	}
	T_CASE("perf: no retprobe format: uprobes work, uretprobes say why not") {
		kernel(1);
		set_file_err(UP_DIR "format/retprobe", NULL, 0, ENOENT);
		CHECK_EQ(nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL), 0);
		nf_perf_detach(&l);
		int r = nf_uprobe_attach(&l, PROG, APP, 0x10, 1, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "uretprobe " APP "+0x10: the uprobe PMU has no return probes ("
			  UP_DIR "format/retprobe: No such file or directory)");
		CHECK_EQ(perf_calls, 1);
	}
	T_CASE("perf: unreadable PMU files") {
		kernel(1);
		set_file(UP_DIR "type", "uprobe\n");
		int r = nf_uprobe_attach(&l, PROG, APP, 0x10, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK_STR(nf_lasterr(), "uprobe " APP "+0x10: cannot read the uprobe PMU type: "
			  UP_DIR "type is not a number");
		set_file_err(KP_DIR "type", NULL, 0, EACCES);
		r = nf_kprobe_attach(&l, PROG, "f", 0, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EACCES);
		CHECK_STR(nf_lasterr(), "kprobe f: cannot read " KP_DIR "type: Permission denied");
		set_file(KP_DIR "format/retprobe", "config:32-63\n");
		nf_pmu_reset();
		set_file(KP_DIR "type", "6\n");
		r = nf_kprobe_attach(&l, PROG, "f", 0, 1, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK(strstr(nf_lasterr(), "format/retprobe: not config:N)") != NULL);
		CHECK_EQ(perf_calls, 0);
	}
}

static void test_tracepoint_failures(void)
{
	struct nf_perf_link l;

	T_CASE("perf: tracepoint failures: none, bad names, bad id") {
		kernel(1);
		int r = nf_tracepoint_attach(&l, PROG, "sched", "no_such_event", NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "tracepoint sched/no_such_event: no such tracepoint in "
			  "/sys/kernel/tracing/events or /sys/kernel/debug/tracing/events "
			  "(or tracefs is not mounted)");
		static const char *const names[][2] = { { "..", "x" }, { "sched", "../../../etc/passwd" },
							 { "", "x" }, { "a/b", "c" }, { "a", "" } };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			r = nf_tracepoint_attach(&l, PROG, names[i][0], names[i][1], NULL);
			CHECK_FAILED_CLEAN(l, r, EINVAL);
			CHECK(strstr(nf_lasterr(), ": bad tracepoint name") != NULL);
		}
		set_file("/sys/kernel/tracing/events/sched/sched_switch/id", "x\n");
		r = nf_tracepoint_attach(&l, PROG, "sched", "sched_switch", NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK_STR(nf_lasterr(), "tracepoint sched/sched_switch: "
			  "/sys/kernel/tracing/events/sched/sched_switch/id is not a number");
		set_file_err("/sys/kernel/tracing/events/sched/sched_switch/id", NULL, 0, EACCES);
		r = nf_tracepoint_attach(&l, PROG, "sched", "sched_switch", NULL);
		CHECK_FAILED_CLEAN(l, r, EACCES);
		CHECK_STR(nf_lasterr(), "tracepoint sched/sched_switch: "
			  "/sys/kernel/tracing/events/sched/sched_switch/id: Permission denied");
		CHECK_EQ(perf_calls, 0);
	}
}

/* main's file offset in the test's own executable, by the ELF reader. */
static uint64_t main_off(uint64_t *size)
{
	struct nf_host_elf h;
	struct nf_elf_sym_info info;

	if (nf_host_elf_open(&h, self_elf, self_len) || nf_host_elf_lookup(&h, "main", &info))
		return 0;
	*size = info.size;
	return info.file_off;
}

static void test_symbols(void)
{
	struct nf_perf_link l;
	uint64_t size = 0, off = main_off(&size);

	T_CASE("perf: a symbol becomes its file offset; the mapping is released") {
		REQUIRE(off && size > 4);
		kernel(1);
		CHECK_EQ(nf_uprobe_attach_sym(&l, PROG, APP, "main", 0, NULL), 0);
		CHECK_EQ(seen_attr.config2, off);
		CHECK_STR(seen_str, APP);
		nf_perf_detach(&l);
		CHECK_EQ(nf_uprobe_attach_sym(&l, PROG, APP, "main+0x4", 1, NULL), 0);
		CHECK_EQ(seen_attr.config2, off + 4);
		CHECK_EQ(seen_attr.config, 1u << 3);
		nf_perf_detach(&l);
		CHECK_EQ(maps, 2);
		CHECK_EQ(unmaps, 2);
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: symbol failures: no file, no symbol, offset past the end, bad syntax") {
		REQUIRE(off && size > 4);
		kernel(1);
		int r = nf_uprobe_attach_sym(&l, PROG, "/no/such/lib.so", "f", 0, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "uprobe f in /no/such/lib.so: No such file or directory");
		r = nf_uprobe_attach_sym(&l, PROG, APP, "no_such_function", 0, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK(strstr(nf_lasterr(), "uprobe no_such_function in " APP ": symbol no_such_function not found") ==
		      nf_lasterr());
		char sym[64];
		snprintf(sym, sizeof(sym), "main+%llu", (unsigned long long)size);
		r = nf_uprobe_attach_sym(&l, PROG, APP, sym, 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK(strstr(nf_lasterr(), "is past the end of main") != NULL);
		r = nf_uprobe_attach_sym(&l, PROG, APP, "main+", 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK_STR(nf_lasterr(), "uprobe main+ in " APP ": not a symbol, or symbol+offset");
		set_file(APP "2", "not an ELF file, but long enough to be read as one......."
			 "................................................................");
		r = nf_uprobe_attach_sym(&l, PROG, APP "2", "main", 0, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK(strstr(nf_lasterr(), "uprobe main in " APP "2: bad ELF") == nf_lasterr());
		CHECK_EQ(maps, unmaps);
		CHECK_EQ(perf_calls, 0);
	}
}

static void test_by_section(void)
{
	struct nf_perf_link l;
	uint64_t size = 0, off = main_off(&size);
	struct nf_prog_spec progs[] = {
		{ .name = "up", .sec = "uprobe/" APP ":main+0x4" },
		{ .name = "up_rt", .sec = "uretprobe/main" },
		{ .name = "up_off", .sec = "uprobe/0x99" },
		{ .name = "kp", .sec = "kprobe/tcp_sendmsg+0x8" },
		{ .name = "tp", .sec = "tracepoint/sched/sched_switch" },
		{ .name = "cls", .sec = "tc" },
		{ .name = "unloaded", .sec = "kprobe/f" },
	};
	struct nf_obj obj = { .progs = progs, .nprogs = 7 };
	int fds[] = { 11, 12, 13, 14, 15, 16, -1 };
	struct nf_bpf b = { .obj = &obj, .prog_fds = fds };

	T_CASE("perf: attach by section target, the file given at run time where it has none") {
		REQUIRE(off);
		kernel(0);
		CHECK_EQ(nf_perf_attach_prog(&l, &b, "up", NULL, NULL), 0);
		CHECK_STR(seen_str, APP);
		CHECK_EQ(seen_attr.config2, off + 4);
		CHECK_EQ(seen_attr.config, 0);
		CHECK(strstr(log_buf, "set_bpf(100,11)") != NULL);
		nf_perf_detach(&l);
		CHECK_EQ(nf_perf_attach_prog(&l, &b, "up_rt", APP, NULL), 0);
		CHECK_EQ(seen_attr.config2, off);
		CHECK_EQ(seen_attr.config, 1u << 3);
		nf_perf_detach(&l);
		CHECK_EQ(nf_perf_attach_prog(&l, &b, "up_off", "/bin/other", NULL), 0);
		CHECK_STR(seen_str, "/bin/other");
		CHECK_EQ(seen_attr.config2, 0x99);
		nf_perf_detach(&l);
		CHECK_EQ(nf_perf_attach_prog(&l, &b, "kp", NULL, NULL), 0);
		CHECK_EQ(seen_attr.type, 6);
		CHECK_STR(seen_str, "tcp_sendmsg");
		CHECK_EQ(seen_attr.config2, 8);
		nf_perf_detach(&l);
		CHECK_EQ(nf_perf_attach_prog(&l, &b, "tp", NULL, NULL), 0);
		CHECK_EQ(seen_attr.type, PERF_TYPE_TRACEPOINT);
		CHECK_EQ(seen_attr.config, 316);
		nf_perf_detach(&l);
		CHECK_EQ(fds_open(), 0);
	}
	T_CASE("perf: attach by section: no file, not a probe, not loaded") {
		kernel(1);
		int r = nf_perf_attach_prog(&l, &b, "up_rt", NULL, NULL);
		CHECK_FAILED_CLEAN(l, r, EINVAL);
		CHECK_STR(nf_lasterr(), "program up_rt: its section names no file "
			  "(uretprobe/PATH:SYMBOL): give one at run time");
		r = nf_perf_attach_prog(&l, &b, "cls", NULL, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "program cls: section tc is no uprobe, kprobe or tracepoint");
		r = nf_perf_attach_prog(&l, &b, "unloaded", NULL, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "program unloaded: not loaded");
		r = nf_perf_attach_prog(&l, &b, "nope", NULL, NULL);
		CHECK_FAILED_CLEAN(l, r, ENOENT);
		CHECK_STR(nf_lasterr(), "program nope: no such program");
		CHECK_EQ(perf_calls, 0);
	}
}

int main(void)
{
	self_elf = t_read_file("/proc/self/exe", &self_len);
	test_parsers();
	test_attr();
	test_paths();
	test_open_failures();
	test_attach_failures();
	test_pmu();
	test_tracepoint_failures();
	test_symbols();
	test_by_section();
	t_real_sys();
	nf_pmu_reset();
	free(self_elf);
	return t_summary();
}
