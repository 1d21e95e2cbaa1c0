#include "sys.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long real_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static long real_perf_event_open(struct perf_event_attr *attr, pid_t pid,
				 int cpu, int group_fd, unsigned long flags)
{
	return syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static int real_ioctl(int fd, unsigned long req, unsigned long arg)
{
	return ioctl(fd, req, arg);
}

static int real_open(const char *path, int flags, int mode)
{
	return open(path, flags | O_CLOEXEC, mode);
}

/* glibc declares the resource as an enum under _GNU_SOURCE. */
static int real_setrlimit(int res, const struct rlimit *rl)
{
	return setrlimit(res, rl);
}

const struct nf_sys nf_sys_real = {
	.bpf = real_bpf,
	.perf_event_open = real_perf_event_open,
	.ioctl = real_ioctl,
	.mmap = mmap,
	.munmap = munmap,
	.open = real_open,
	.read = read,
	.write = write,
	.close = close,
	.fstat = fstat,
	.socket = socket,
	.bind = bind,
	.sendmsg = sendmsg,
	.recvmsg = recvmsg,
	.epoll_create1 = epoll_create1,
	.epoll_ctl = epoll_ctl,
	.epoll_wait = epoll_wait,
	.setrlimit = real_setrlimit,
	.setsockopt = setsockopt,
	.readlink = readlink,
};

const struct nf_sys *nf_sys = &nf_sys_real;

long nf_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	long r = nf_sys->bpf(cmd, attr, size);
	return r < 0 ? -errno : r;
}
