/* The socket resolver and connection cache (src/tlstrace/tt_sock.c): over
 * the real nf_sys on the test's own loopback connections (its own /proc,
 * no root), against getsockname and getpeername; then over fake syscalls
 * for the failure paths and the cache's rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tlstrace/tt_sock.h"
#include "fake_sys.h"
#include "t.h"
#include "t_tcp.h"

/* addr is fd's connection: src its own end, dst its peer. */
static int addr_of_fd(const struct tt_addr *a, int fd)
{
	struct t_end self, peer;

	if (t_tcp_end(fd, 0, &self) || t_tcp_end(fd, 1, &peer))
		return 0;
	return a->known == 1 && a->family == self.family && a->family == peer.family &&
	       !memcmp(a->src, self.addr, 16) && !memcmp(a->dst, peer.addr, 16) &&
	       a->sport == self.port && a->dport == peer.port;
}

static void test_resolve_real(const char *name, int lfam, int cfam)
{
	int client, server, err = t_tcp_pair(lfam, cfam, &client, &server);
	struct tt_addr a;

	if (err) {
		t_skip(name, strerror(-err));
		return;
	}
	T_CASE(name) {
		CHECK_EQ(tt_sock_resolve(getpid(), client, &a), 0);
		CHECK(addr_of_fd(&a, client));
		CHECK_EQ(tt_sock_resolve(getpid(), server, &a), 0);
		CHECK(addr_of_fd(&a, server));
	}
	close(client);
	close(server);
}

static void test_not_tcp(void)
{
	int p[2], u[2];
	struct tt_addr a;

	T_CASE("sock: a pipe, a unix socket, a closed fd, a bad pid: known 0") {
		REQUIRE(pipe(p) == 0);
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, u) == 0);
		memset(&a, 0xa5, sizeof(a));
		CHECK_EQ(tt_sock_resolve(getpid(), p[0], &a), -ENOTSOCK);
		CHECK_EQ(a.known, 0);
		memset(&a, 0xa5, sizeof(a));
		CHECK_EQ(tt_sock_resolve(getpid(), u[0], &a), -ENOENT);
		CHECK_EQ(a.known, 0);
		int closed = dup(p[0]);
		close(closed);
		CHECK_EQ(tt_sock_resolve(getpid(), closed, &a), -ENOENT);
		CHECK_EQ(a.known, 0);
		CHECK_EQ(tt_sock_resolve(getpid(), -1, &a), -EINVAL);
		CHECK_EQ(tt_sock_resolve(0, 0, &a), -EINVAL);
		CHECK(tt_sock_resolve(0x3fffffff, 0, &a) < 0);   /* beyond pid_max */
		CHECK_EQ(a.known, 0);
		close(p[0]), close(p[1]), close(u[0]), close(u[1]);
	}
}

struct lookup {
	uint64_t id;
	int fd;
	struct tt_addr addr;
};

static uint64_t look_gen; /* the fd generation look() passes; 0: unknown */

static struct lookup look(struct tt_conns *c, uint32_t pid, uint64_t ssl, int fd)
{
	struct lookup l;

	tt_conns_lookup(c, pid, ssl, fd, look_gen, &l.id, &l.fd, &l.addr);
	return l;
}

static void test_conns_real(void)
{
	int client, server, err = t_tcp_pair(AF_INET, AF_INET, &client, &server);
	uint32_t me = (uint32_t)getpid();
	struct tt_conns *c = tt_conns_new(0);
	struct lookup l;

	if (err || !c) {
		t_skip("sock: conns over a real connection", err ? strerror(-err) : "no memory");
		tt_conns_free(c);
		return;
	}
	T_CASE("sock: conns: ids from 1, stable per (pid, SSL *), the 4-tuple") {
		l = look(c, me, 0x1000, client);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.fd, client);
		CHECK(addr_of_fd(&l.addr, client));
		l = look(c, me, 0x2000, server);
		CHECK_EQ(l.id, 2);
		CHECK(addr_of_fd(&l.addr, server));
		l = look(c, me, 0x1000, client);
		CHECK_EQ(l.id, 1);
		CHECK(addr_of_fd(&l.addr, client));
		l = look(c, me + 1, 0x1000, -1);     /* another process, same pointer */
		CHECK_EQ(l.id, 3);
	}
	T_CASE("sock: conns: a call without an fd gets the last known fd and addresses") {
		l = look(c, me, 0x1000, -1);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.fd, client);
		CHECK(addr_of_fd(&l.addr, client));
		l = look(c, me, 0x4000, -1);          /* never named an fd */
		CHECK_EQ(l.id, 4);
		CHECK_EQ(l.fd, -1);
		CHECK_EQ(l.addr.known, 0);
	}
	T_CASE("sock: conns: a dup of the socket is the same connection") {
		int d = dup(client);
		l = look(c, me, 0x1000, d);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.fd, d);
		CHECK(addr_of_fd(&l.addr, client));
		close(d);
	}
	T_CASE("sock: conns: a pipe under an SSL *: its fd, no addresses") {
		int p[2];
		REQUIRE(pipe(p) == 0);
		l = look(c, me, 0x5000, p[1]);
		CHECK_EQ(l.fd, p[1]);
		CHECK_EQ(l.addr.known, 0);
		close(p[0]), close(p[1]);
	}
	T_CASE("sock: conns: SSL * and fd number reused for a new socket: a new id") {
		int c2, s2, fd = client;
		REQUIRE(t_tcp_pair(AF_INET, AF_INET, &c2, &s2) == 0);
		REQUIRE(dup2(c2, fd) == fd);          /* the old number, a new socket */
		l = look(c, me, 0x1000, fd);
		CHECK(l.id > 5);
		CHECK_EQ(l.fd, fd);
		CHECK(addr_of_fd(&l.addr, c2));
		CHECK_EQ(look(c, me, 0x1000, -1).id, l.id);
		close(c2), close(s2);
	}
	tt_conns_free(c);
	close(client);
	close(server);
}

static void test_conns_bounded(void)
{
	T_CASE("sock: conns: bounded; the one unused longest goes first") {
		struct tt_conns *c = tt_conns_new(4);
		REQUIRE(c != NULL);
		for (uint64_t k = 1; k <= 4; k++)
			CHECK_EQ(look(c, 7, k, -1).id, k);
		CHECK_EQ(look(c, 7, 1, -1).id, 1);    /* used: 2 is now the oldest */
		CHECK_EQ(look(c, 7, 5, -1).id, 5);    /* evicts 2 */
		CHECK_EQ(look(c, 7, 1, -1).id, 1);
		CHECK_EQ(look(c, 7, 2, -1).id, 6);    /* forgotten: new id, evicts 3 */
		CHECK_EQ(look(c, 7, 4, -1).id, 4);
		CHECK_EQ(look(c, 7, 3, -1).id, 7);
		tt_conns_free(c);
	}
	T_CASE("sock: conns: forgetting a pid frees its slots first") {
		struct tt_conns *c = tt_conns_new(4);
		REQUIRE(c != NULL);
		look(c, 1, 10, -1), look(c, 2, 10, -1), look(c, 1, 11, -1), look(c, 2, 11, -1);
		tt_conns_forget_pid(c, 1);
		CHECK_EQ(look(c, 3, 10, -1).id, 5);
		CHECK_EQ(look(c, 3, 11, -1).id, 6);
		CHECK_EQ(look(c, 2, 10, -1).id, 2);   /* kept: the freed slots were taken */
		CHECK_EQ(look(c, 2, 11, -1).id, 4);
		CHECK_EQ(look(c, 1, 10, -1).id, 7);
		tt_conns_forget_pid(c, 99);
		tt_conns_free(c);
	}
	T_CASE("sock: conns: the default bound, 65536, holds and then evicts") {
		struct tt_conns *c = tt_conns_new(0);
		uint64_t bad = 0;
		REQUIRE(c != NULL);
		for (uint64_t k = 0; k < TT_CONNS_MAX + 100; k++)
			bad += look(c, 9, k << 4, -1).id != k + 1;
		CHECK_EQ(bad, 0);
		CHECK_EQ(look(c, 9, 200 << 4, -1).id, 201);
		CHECK_EQ(look(c, 9, 0, -1).id, TT_CONNS_MAX + 101);
		tt_conns_free(c);
		tt_conns_free(NULL);
	}
}

/* ---- fake syscalls ----------------------------------------------------- */

/* A tiny /proc: readlink answers with link (or fails with link_err), open
 * serves the files below (a NULL text fails with its err), read gives a
 * few bytes at a time. */
static struct {
	const char *link;
	int link_err;
	char link_path[64];
	struct { const char *path, *text; int err; } file[2];
	const char *text;        /* of the open file */
	size_t off;
	int opens, open_fds, readlinks;
} fk;

static ssize_t fk_readlink(const char *path, char *buf, size_t len)
{
	snprintf(fk.link_path, sizeof(fk.link_path), "%s", path);
	fk.readlinks++;
	if (!fk.link) {
		errno = fk.link_err;
		return -1;
	}
	size_t n = strlen(fk.link) < len ? strlen(fk.link) : len;
	memcpy(buf, fk.link, n);
	return (ssize_t)n;
}

static int fk_open(const char *path, int flags, int mode)
{
	(void)flags, (void)mode;
	fk.opens++;
	for (int i = 0; i < 2; i++) {
		if (!fk.file[i].path || strcmp(path, fk.file[i].path))
			continue;
		if (!fk.file[i].text) {
			errno = fk.file[i].err;
			return -1;
		}
		fk.text = fk.file[i].text;
		fk.off = 0;
		fk.open_fds++;
		return 50;
	}
	errno = ENOENT;
	return -1;
}

static ssize_t fk_read(int fd, void *buf, size_t len)
{
	size_t left = strlen(fk.text) - fk.off;
	size_t n = left < 7 ? left : 7;

	(void)fd;
	if (n > len)
		n = len;
	memcpy(buf, fk.text + fk.off, n);
	fk.off += n;
	return (ssize_t)n;
}

static int fk_close(int fd)
{
	(void)fd;
	fk.open_fds--;
	return 0;
}

static struct nf_sys fake;

static void fk_reset(const char *link)
{
	memset(&fk, 0, sizeof(fk));
	fk.link = link;
	fk.link_err = ENOENT;
	t_fake_sys(&fake);
	fake.readlink = fk_readlink;
	fake.open = fk_open;
	fake.read = fk_read;
	fake.close = fk_close;
	t_use_sys(&fake);
}

#define TCP4 "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" \
	"   0: 0100007F:1F90 0100007F:A4B2 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 20 4 30 10 -1\n"
#define TCP6 "  sl  local_address                         remote_address                        st ...\n" \
	"   0: B80D0120000000000000000001000000:01BB B80D0120000000000000000002000000:9C40 01 " \
	"00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 20 4 30 10 -1\n"

/* With both tables there, link resolves to family and ports after opens
 * files, all closed again. */
static int fake_resolves(const char *link, int family, unsigned sport, unsigned dport, int opens)
{
	struct tt_addr a;

	fk_reset(link);
	fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
	fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
	return tt_sock_resolve(42, 7, &a) == 0 && a.known == 1 && a.family == family &&
	       a.sport == sport && a.dport == dport && fk.opens == opens && fk.open_fds == 0;
}

static void test_fake_failures(void)
{
	struct tt_addr a;

	T_CASE("sock: fake: readlink fails (ENOSYS table, gone, no permission): known 0") {
		struct nf_sys t;
		t_fake_sys(&t);
		t_use_sys(&t);
		memset(&a, 0xa5, sizeof(a));
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -ENOSYS);
		CHECK_EQ(a.known, 0);
		fk_reset(NULL);
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -ENOENT);
		CHECK_STR(fk.link_path, "/proc/42/fd/7");
		fk.link_err = EACCES;
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -EACCES);
		CHECK_EQ(a.known, 0);
		CHECK_EQ(fk.opens, 0);
	}
	T_CASE("sock: fake: links that are no socket's name") {
		static const char *const links[] = {
			"pipe:[4242]", "/dev/null", "anon_inode:[eventfd]", "socket:[]", "socket:[4242",
			"socket:4242]", "socket:[42a]", "socket:[-1]", "socket:[ 42]",
			"socket:[18446744073709551616]",
			"socket:[000000000000000000000000000000000000000000000000000000004242]", /* fills the buffer */
		};
		for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
			fk_reset(links[i]);
			if (tt_sock_resolve(42, 7, &a) != -ENOTSOCK || a.known || fk.opens) {
				printf("FAIL %s: \"%s\"\n", t_case, links[i]);
				t_failed_in_case = 1;
			}
		}
	}
	T_CASE("sock: fake: both tables missing, or without the inode: -ENOENT") {
		fk_reset("socket:[4242]");
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -ENOENT);
		CHECK_EQ(a.known, 0);
		CHECK_EQ(fk.opens, 2);
		fk_reset("socket:[999]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -ENOENT);
		CHECK_EQ(a.known, 0);
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("sock: fake: a failed read is reported over not-found") {
		fk_reset("socket:[4343]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].err = EACCES;
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -EACCES);
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
		CHECK_EQ(tt_sock_resolve(42, 7, &a), 0);   /* found in tcp6 all the same */
		CHECK_EQ(a.family, 6);
		fk_reset("socket:[4343]");
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].err = EIO;
		CHECK_EQ(tt_sock_resolve(42, 7, &a), -EIO);
		CHECK_EQ(a.known, 0);
	}
	T_CASE("sock: fake: the pid's own tables, tcp first, then tcp6") {
		CHECK(fake_resolves("socket:[4242]", 4, 0x1f90, 0xa4b2, 1));
		CHECK(fake_resolves("socket:[4343]", 6, 443, 40000, 2));
	}
	t_real_sys();
}

static void test_fake_conns(void)
{
	struct tt_conns *c = tt_conns_new(0);
	struct lookup l;

	if (!c) {
		t_skip("sock: fake: conns", "no memory");
		return;
	}
	T_CASE("sock: fake: a connection's tables are read once") {
		fk_reset("socket:[4242]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
		l = look(c, 42, 0xabc, 7);
		CHECK_EQ(l.addr.known, 1);
		CHECK_EQ(l.id, 1);
		look(c, 42, 0xabc, 7), look(c, 42, 0xabc, 7);
		CHECK_EQ(fk.opens, 1);
	}
	T_CASE("sock: fake: the process is gone: the same fd keeps its addresses, another none") {
		fk.link = NULL;
		l = look(c, 42, 0xabc, 7);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.addr.known, 1);
		l = look(c, 42, 0xabc, 8);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.fd, 8);
		CHECK_EQ(l.addr.known, 0);
		CHECK_EQ(look(c, 42, 0xabc, -1).addr.known, 0);
	}
	T_CASE("sock: fake: not in the tables is final; a failed read is tried again") {
		fk_reset("socket:[777]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
		CHECK_EQ(look(c, 42, 0xdef, 9).addr.known, 0);
		CHECK_EQ(look(c, 42, 0xdef, 9).addr.known, 0);
		CHECK_EQ(fk.opens, 2);
		fk_reset("socket:[4242]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].err = EMFILE;
		l = look(c, 42, 0x123, 5);
		CHECK_EQ(l.addr.known, 0);
		fk.file[0].text = TCP4;
		l = look(c, 42, 0x123, 5);
		CHECK_EQ(l.addr.known, 1);
		CHECK_EQ(l.id, look(c, 42, 0x123, -1).id);
	}
	T_CASE("sock: fake: an fd generation the look-up saw costs no readlink; a new one does") {
		fk_reset("socket:[4242]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
		look_gen = 100;
		l = look(c, 42, 0x555, 3);
		CHECK_EQ(l.addr.known, 1);
		look(c, 42, 0x555, 3), look(c, 42, 0x555, 3);
		CHECK_EQ(fk.readlinks, 1);
		fk.link = "socket:[4343]"; /* closed, and the number reused: a new generation */
		look_gen = 200;
		struct lookup m = look(c, 42, 0x555, 3);
		CHECK_EQ(fk.readlinks, 2);
		CHECK(m.id != l.id);
		CHECK_EQ(m.addr.family, 6);
		look(c, 42, 0x555, 4); /* another fd, the same value */
		CHECK_EQ(fk.readlinks, 3);
		look_gen = 0;          /* unknown: always looked up */
		look(c, 42, 0x555, 4), look(c, 42, 0x555, 4);
		CHECK_EQ(fk.readlinks, 5);
		look_gen = 300;        /* a failed look-up is not trusted later */
		fk.link = NULL;
		look(c, 42, 0x555, 4), look(c, 42, 0x555, 4);
		CHECK_EQ(fk.readlinks, 7);
		look_gen = 0;
	}
	tt_conns_free(c);
	t_real_sys();
}

static uint64_t kernel_gen; /* what the fake kernel holds for every fd; 0: none */

static int fake_gen_now(void *ctx, uint32_t pid, int fd, uint64_t *gen)
{
	(void)ctx, (void)pid, (void)fd;
	*gen = kernel_gen;
	return kernel_gen ? 0 : -ENOENT;
}

static void test_fake_gen_check(void)
{
	struct tt_conns *c = tt_conns_new(0);
	struct lookup l;

	if (!c) {
		t_skip("sock: fake: generation check", "no memory");
		return;
	}
	tt_conns_check_gen(c, fake_gen_now, NULL);
	T_CASE("sock: fake: a record read after its fd was closed and reused: addresses unknown") {
		fk_reset("socket:[4242]");
		fk.file[0].path = "/proc/42/net/tcp", fk.file[0].text = TCP4;
		look_gen = 100, kernel_gen = 200; /* the kernel has moved on */
		l = look(c, 42, 0x777, 3);
		CHECK_EQ(l.id, 1);
		CHECK_EQ(l.addr.known, 0);
		CHECK_EQ(fk.opens, 0);
		kernel_gen = 0;                   /* closed, nothing since */
		CHECK_EQ(look(c, 42, 0x777, 3).addr.known, 0);
		look_gen = 200, kernel_gen = 200; /* the socket of now, current */
		l = look(c, 42, 0x777, 3);
		CHECK_EQ(l.addr.known, 1);
		CHECK_EQ(l.id, 2);                /* another connection than the closed one */
		int links = fk.readlinks;
		CHECK_EQ(look(c, 42, 0x777, 3).id, 2);
		CHECK_EQ(fk.readlinks, links);
	}
	T_CASE("sock: fake: after a known socket was found closed, the next one is a new connection") {
		look_gen = 300, kernel_gen = 400;
		l = look(c, 42, 0x777, 3);
		CHECK_EQ(l.id, 2);
		CHECK_EQ(l.addr.known, 0);
		fk.link = "socket:[4343]";
		fk.file[1].path = "/proc/42/net/tcp6", fk.file[1].text = TCP6;
		look_gen = 400;
		l = look(c, 42, 0x777, 3);
		CHECK_EQ(l.id, 3);
		CHECK_EQ(l.addr.family, 6);
	}
	look_gen = kernel_gen = 0;
	tt_conns_free(c);
	t_real_sys();
}

int main(void)
{
	test_resolve_real("sock: resolve 127.0.0.1, both ends", AF_INET, AF_INET);
	test_resolve_real("sock: resolve ::1, both ends", AF_INET6, AF_INET6);
	test_resolve_real("sock: resolve an IPv6 client of 127.0.0.1 (mapped: IPv4)", AF_INET, AF_INET6);
	test_not_tcp();
	test_conns_real();
	test_conns_bounded();
	test_fake_failures();
	test_fake_conns();
	test_fake_gen_check();
	return t_summary();
}
