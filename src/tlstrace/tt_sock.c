/* The socket resolver and the connection cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kern/sys.h"
#include "proc_net.h"
#include "tt_sock.h"

#define SOCKET_LINK "socket:["

/* The inode of "socket:[N]", the link /proc/PID/fd/FD of a socket has. */
static int link_inode(const char *link, size_t n, uint64_t *inode)
{
	size_t pre = sizeof(SOCKET_LINK) - 1;

	if (n < pre + 2 || memcmp(link, SOCKET_LINK, pre) || link[n - 1] != ']')
		return -ENOTSOCK;
	*inode = 0;
	for (size_t i = pre; i < n - 1; i++) {
		unsigned d = (unsigned)(link[i] - '0');
		if (d > 9 || *inode > (UINT64_MAX - d) / 10)
			return -ENOTSOCK;
		*inode = *inode * 10 + d;
	}
	return 0;
}

static int sock_inode(int pid, int fd, uint64_t *inode)
{
	char path[48], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = nf_sys->readlink(path, link, sizeof(link));
	if (n < 0)
		return -errno;
	/* A link that fills the buffer may be cut: it is no socket's name. */
	return (size_t)n < sizeof(link) ? link_inode(link, (size_t)n, inode) : -ENOTSOCK;
}

/* 0 with *s, -ENOENT when the table (or the file) has no such socket, or
 * the error of reading it. */
static int find_in(int pid, const char *table, int family, uint64_t inode,
		   struct nf_pnet_sock *s)
{
	char path[48];
	size_t len;
	int err, found;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, table);
	char *text = nf_sys_read_file(path, &len, &err);
	if (!text)
		return err;
	found = nf_pnet_find(text, len, family, inode, s);
	free(text);
	return found ? 0 : -ENOENT;
}

static int resolve_inode(int pid, uint64_t inode, struct tt_addr *out)
{
	struct nf_pnet_sock s;
	int err = find_in(pid, "tcp", 4, inode, &s);

	memset(out, 0, sizeof(*out));
	if (err) {
		int err6 = find_in(pid, "tcp6", 6, inode, &s);
		/* Found in neither: a failed read says more than -ENOENT. */
		err = !err6 ? 0 : err == -ENOENT ? err6 : err;
	}
	if (err)
		return err;
	out->known = 1;
	out->family = s.family;
	memcpy(out->src, s.local, sizeof(out->src));
	memcpy(out->dst, s.remote, sizeof(out->dst));
	out->sport = s.lport;
	out->dport = s.rport;
	return 0;
}

int tt_sock_resolve(int pid, int fd, struct tt_addr *out)
{
	uint64_t inode;
	int err;

	memset(out, 0, sizeof(*out));
	if (pid <= 0 || fd < 0)
		return -EINVAL;
	if ((err = sock_inode(pid, fd, &inode)))
		return err;
	return resolve_inode(pid, inode, out);
}

/* ---- the connection cache ------------------------------------------- */

/* Slots live in one array and link by index: a hash chain per bucket,
 * and one list in order of use (oldest first to go). Freed slots (id 0)
 * are put at the oldest end, so they are the first taken again. */
#define NONE UINT32_MAX
#define FIRST_SLOTS 64u

struct conn {
	uint64_t ssl;
	uint64_t id;            /* 0: a free slot */
	uint64_t inode;         /* the socket addr belongs to; 0: none known */
	uint32_t pid;
	int fd;                 /* last known; -1 none */
	uint64_t gen;           /* the kernel's generation of fd at its look-up; 0: none */
	int closed;             /* its socket was found closed: the next one is new */
	struct tt_addr addr;
	uint32_t chain;         /* next in the bucket */
	uint32_t older, newer;
};

struct tt_conns {
	struct conn *slot;
	uint32_t used, cap, max;   /* slots handed out, allocated, allowed */
	uint32_t *bucket;
	uint32_t mask;             /* buckets - 1 */
	uint32_t oldest, newest;
	uint64_t next_id;
	tt_fd_gen_fn gen_now;
	void *gen_ctx;
};

static uint32_t bucket_of(const struct tt_conns *c, uint32_t pid, uint64_t ssl)
{
	uint64_t h = (ssl ^ (uint64_t)pid << 47 ^ pid) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & c->mask;
}

struct tt_conns *tt_conns_new(size_t max)
{
	struct tt_conns *c = calloc(1, sizeof(*c));
	uint32_t nb = 16;

	if (!c)
		return NULL;
	c->max = max && max < TT_CONNS_MAX ? (uint32_t)max : TT_CONNS_MAX;
	while (nb < c->max)
		nb *= 2;
	c->bucket = malloc(nb * sizeof(*c->bucket));
	if (!c->bucket) {
		free(c);
		return NULL;
	}
	memset(c->bucket, 0xff, nb * sizeof(*c->bucket)); /* all NONE */
	c->mask = nb - 1;
	c->oldest = c->newest = NONE;
	c->next_id = 1;
	return c;
}

void tt_conns_check_gen(struct tt_conns *c, tt_fd_gen_fn fn, void *ctx)
{
	c->gen_now = fn;
	c->gen_ctx = ctx;
}

void tt_conns_free(struct tt_conns *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c->bucket);
	free(c);
}

static uint32_t find(const struct tt_conns *c, uint32_t pid, uint64_t ssl)
{
	uint32_t i = c->bucket[bucket_of(c, pid, ssl)];

	while (i != NONE && (c->slot[i].pid != pid || c->slot[i].ssl != ssl))
		i = c->slot[i].chain;
	return i;
}

static void chain_unlink(struct tt_conns *c, uint32_t i)
{
	uint32_t *p = &c->bucket[bucket_of(c, c->slot[i].pid, c->slot[i].ssl)];

	while (*p != i)
		p = &c->slot[*p].chain;
	*p = c->slot[i].chain;
}

static void use_unlink(struct tt_conns *c, uint32_t i)
{
	struct conn *e = &c->slot[i];

	*(e->older == NONE ? &c->oldest : &c->slot[e->older].newer) = e->newer;
	*(e->newer == NONE ? &c->newest : &c->slot[e->newer].older) = e->older;
}

static void use_newest(struct tt_conns *c, uint32_t i)
{
	c->slot[i].older = c->newest;
	c->slot[i].newer = NONE;
	*(c->newest == NONE ? &c->oldest : &c->slot[c->newest].newer) = i;
	c->newest = i;
}

static void use_oldest(struct tt_conns *c, uint32_t i)
{
	c->slot[i].newer = c->oldest;
	c->slot[i].older = NONE;
	*(c->oldest == NONE ? &c->newest : &c->slot[c->oldest].older) = i;
	c->oldest = i;
}

/* A slot for a new connection, out of the use list: a free one, a new
 * one, or the one unused longest; NONE when out of memory. */
static uint32_t take_slot(struct tt_conns *c)
{
	uint32_t i = c->oldest;

	if (i != NONE && !c->slot[i].id) {
		use_unlink(c, i);
		return i;
	}
	if (c->used < c->max) {
		if (c->used == c->cap) {
			uint32_t cap = c->cap ? c->cap * 2 : FIRST_SLOTS;
			if (cap > c->max)
				cap = c->max;
			struct conn *s = realloc(c->slot, cap * sizeof(*s));
			if (!s)
				return NONE;
			c->slot = s;
			c->cap = cap;
		}
		return c->used++;
	}
	chain_unlink(c, i);
	use_unlink(c, i);
	return i;
}

static uint32_t add(struct tt_conns *c, uint32_t pid, uint64_t ssl)
{
	uint32_t i = take_slot(c), *b;

	if (i == NONE)
		return NONE;
	c->slot[i] = (struct conn){ .ssl = ssl, .id = c->next_id++, .pid = pid, .fd = -1 };
	b = &c->bucket[bucket_of(c, pid, ssl)];
	c->slot[i].chain = *b;
	*b = i;
	use_newest(c, i);
	return i;
}

/* The call named fd: check which socket it is, resolve a new one. */
static void saw_fd(struct tt_conns *c, struct conn *e, int fd, uint64_t gen)
{
	/* The kernel saw no close of the fd since the look-up: same socket. */
	if (gen && gen == e->gen && fd == e->fd && e->inode)
		return;
	uint64_t inode = 0;
	int err = sock_inode((int)e->pid, fd, &inode);
	e->gen = err ? 0 : gen;

	if (err && err != -ENOTSOCK) {
		/* Cannot look (the process is gone): the same fd keeps its
		 * addresses, another one has none known. */
		if (e->fd != fd) {
			e->fd = fd;
			e->inode = 0;
			memset(&e->addr, 0, sizeof(e->addr));
		}
		return;
	}
	e->fd = fd;
	uint64_t now;
	if (!err && gen && c->gen_now && (c->gen_now(c->gen_ctx, e->pid, fd, &now) < 0 || now != gen)) {
		/* Closed after the call: the fd now names another socket, and
		 * the next one resolved is another connection (an id split by
		 * an evicted generation is the safe error; two joined is not). */
		e->gen = 0;
		e->closed = 1;
		e->inode = 0;
		memset(&e->addr, 0, sizeof(e->addr));
		return;
	}
	if (inode && inode == e->inode)
		return;
	if (e->inode || e->closed)
		e->id = c->next_id++; /* the SSL * now serves another socket */
	e->closed = 0;
	e->inode = inode;
	memset(&e->addr, 0, sizeof(e->addr));
	/* Not in the tables is final (UDP, unix); a failed read is retried. */
	if (inode && (err = resolve_inode((int)e->pid, inode, &e->addr)) && err != -ENOENT)
		e->inode = 0;
}

void tt_conns_lookup(struct tt_conns *c, uint32_t pid, uint64_t ssl, int fd, uint64_t gen,
		     uint64_t *conn_id, int *fd_out, struct tt_addr *addr)
{
	uint32_t i = find(c, pid, ssl);

	*conn_id = 0;
	*fd_out = -1;
	memset(addr, 0, sizeof(*addr));
	if (i == NONE && (i = add(c, pid, ssl)) == NONE)
		return;
	use_unlink(c, i);
	use_newest(c, i);
	struct conn *e = &c->slot[i];
	if (fd >= 0)
		saw_fd(c, e, fd, gen);
	*conn_id = e->id;
	*fd_out = e->fd;
	*addr = e->addr;
}

void tt_conns_forget_pid(struct tt_conns *c, uint32_t pid)
{
	for (uint32_t i = 0; i < c->used; i++) {
		if (!c->slot[i].id || c->slot[i].pid != pid)
			continue;
		chain_unlink(c, i);
		use_unlink(c, i);
		c->slot[i].id = 0;
		use_oldest(c, i);
	}
}
