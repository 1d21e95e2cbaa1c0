#include "fake_sys.h"
#include "kern/load.h"
#include <errno.h>
#include <sys/mman.h>

static long nosys(void)
{
	errno = ENOSYS;
	return -1;
}

static long x_bpf(int c, union bpf_attr *a, unsigned int s) { (void)c, (void)a, (void)s; return nosys(); }
static long x_perf(struct perf_event_attr *a, pid_t p, int c, int g, unsigned long f)
{
	(void)a, (void)p, (void)c, (void)g, (void)f;
	return nosys();
}
static int x_ioctl(int fd, unsigned long r, unsigned long a) { (void)fd, (void)r, (void)a; return (int)nosys(); }
static void *x_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
	(void)a, (void)l, (void)p, (void)f, (void)fd, (void)o;
	nosys();
	return MAP_FAILED;
}
static int x_munmap(void *a, size_t l) { (void)a, (void)l; return (int)nosys(); }
static int x_open(const char *p, int f, int m) { (void)p, (void)f, (void)m; return (int)nosys(); }
static ssize_t x_read(int fd, void *b, size_t l) { (void)fd, (void)b, (void)l; return nosys(); }
static ssize_t x_write(int fd, const void *b, size_t l) { (void)fd, (void)b, (void)l; return nosys(); }
static int x_close(int fd) { (void)fd; return (int)nosys(); }
static int x_fstat(int fd, struct stat *st) { (void)fd, (void)st; return (int)nosys(); }
static int x_socket(int d, int t, int p) { (void)d, (void)t, (void)p; return (int)nosys(); }
static int x_bind(int fd, const struct sockaddr *a, socklen_t l) { (void)fd, (void)a, (void)l; return (int)nosys(); }
static ssize_t x_sendmsg(int fd, const struct msghdr *m, int f) { (void)fd, (void)m, (void)f; return nosys(); }
static ssize_t x_recvmsg(int fd, struct msghdr *m, int f) { (void)fd, (void)m, (void)f; return nosys(); }
static int x_epoll_create1(int f) { (void)f; return (int)nosys(); }
static int x_epoll_ctl(int e, int o, int fd, struct epoll_event *ev) { (void)e, (void)o, (void)fd, (void)ev; return (int)nosys(); }
static int x_epoll_wait(int e, struct epoll_event *ev, int m, int t) { (void)e, (void)ev, (void)m, (void)t; return (int)nosys(); }
static int x_setrlimit(int r, const struct rlimit *rl) { (void)r, (void)rl; return (int)nosys(); }
static int x_setsockopt(int fd, int l, int o, const void *v, socklen_t n) { (void)fd, (void)l, (void)o, (void)v, (void)n; return (int)nosys(); }
static ssize_t x_readlink(const char *p, char *b, size_t l) { (void)p, (void)b, (void)l; return nosys(); }

void t_fake_sys(struct nf_sys *t)
{
	*t = (struct nf_sys){
		.bpf = x_bpf, .perf_event_open = x_perf, .ioctl = x_ioctl,
		.mmap = x_mmap, .munmap = x_munmap, .open = x_open, .read = x_read,
		.write = x_write, .close = x_close, .fstat = x_fstat, .socket = x_socket,
		.bind = x_bind, .sendmsg = x_sendmsg, .recvmsg = x_recvmsg,
		.epoll_create1 = x_epoll_create1, .epoll_ctl = x_epoll_ctl,
		.epoll_wait = x_epoll_wait, .setrlimit = x_setrlimit, .setsockopt = x_setsockopt,
		.readlink = x_readlink,
	};
}

void t_use_sys(const struct nf_sys *t)
{
	nf_sys = t;
	nf_features_reset();
}

void t_real_sys(void)
{
	t_use_sys(&nf_sys_real);
}
