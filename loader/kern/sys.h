/* The one syscall table. Everything in loader/ and src/ that talks to the
 * kernel goes through nf_sys, so tests can swap in fakes (tests/lib/fake_sys.h
 * builds a table whose unset entries fail with ENOSYS). */
#ifndef NF_SYS_H
#define NF_SYS_H
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

struct nf_sys {
	long (*bpf)(int cmd, union bpf_attr *attr, unsigned int size);
	long (*perf_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu,
				int group_fd, unsigned long flags);
	int (*ioctl)(int fd, unsigned long req, unsigned long arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*open)(const char *path, int flags, int mode);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*close)(int fd);
	int (*fstat)(int fd, struct stat *st);
	int (*socket)(int domain, int type, int proto);
	int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
	ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
	ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
	int (*epoll_create1)(int flags);
	int (*epoll_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
	int (*epoll_wait)(int epfd, struct epoll_event *evs, int max, int timeout_ms);
	int (*setrlimit)(int res, const struct rlimit *rl);
	int (*setsockopt)(int fd, int level, int opt, const void *val, socklen_t len);
	ssize_t (*readlink)(const char *path, char *buf, size_t len);
};

/* The live table; tests may point it at their own. Never NULL. */
extern const struct nf_sys *nf_sys;
extern const struct nf_sys nf_sys_real;

/* Read a whole file through nf_sys (malloc'd, NUL-terminated); NULL with
 * -errno in *err. For the kernel's small text files. */
void *nf_sys_read_file(const char *path, size_t *len, int *err);
/* Map a whole regular file read-only (never copied): the mapping, its
 * length in *len; NULL with -errno in *err (-EINVAL for an empty file or
 * not a regular file). Release with nf_sys_unmap_file. */
void *nf_sys_map_file(const char *path, size_t *len, int *err);
/* The same, with the file's stat (its device and inode name the file). */
void *nf_sys_map_file_stat(const char *path, size_t *len, struct stat *st, int *err);
void nf_sys_unmap_file(void *p, size_t len);

/* bpf() with errno-style return: >= 0 on success, -errno on failure. */
long nf_bpf(int cmd, union bpf_attr *attr, unsigned int size);

#endif
