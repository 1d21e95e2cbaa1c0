/* nftool tcp-server / tcp-client: one whole TCP connection with known data:
 * handshake, SIZE bytes from the client, FIN from both ends. */
#include "tool.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct tcp_opts {
	struct tool_addr dst, src;      /* src.family 0: the kernel chooses */
	unsigned long port, sport, size, timeout;
};

static int parse_tcp(int argc, char **argv, struct tcp_opts *o, int client)
{
	memset(o, 0, sizeof(*o));
	o->size = 100;
	o->timeout = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = tool_optval(argc, argv, &i);
		unsigned long *dst = !strcmp(a, "--port") ? &o->port : !strcmp(a, "--sport") ? &o->sport
				   : !strcmp(a, "--size") ? &o->size : !strcmp(a, "--timeout") ? &o->timeout : NULL;

		if (!v)
			return -1;
		if (client && (!strcmp(a, "--dst") || !strcmp(a, "--src"))) {
			if (tool_parse_addr(v, a[2] == 'd' ? &o->dst : &o->src))
				return -1;
			continue;
		}
		if (!dst)
			return tool_err("usage: nftool tcp-server --port N [--timeout S] | "
					"tcp-client --dst ADDR --port N [--src ADDR] [--sport N] [--size BYTES] [--timeout S]");
		if (tool_parse_num(a, v, dst == &o->size ? 1 << 20 : dst == &o->timeout ? 3600 : 65535, dst))
			return -1;
	}
	if (!o->port || (client && !o->dst.family))
		return tool_err("tcp: --port%s required", client ? " and --dst are" : " is");
	if (o->src.family && o->src.family != o->dst.family)
		return tool_err("tcp: --src and --dst must be of one family");
	return 0;
}

static void set_timeout(int fd, unsigned long secs)
{
	struct timeval tv = { (time_t)secs, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static char pattern_at(long off)
{
	return (char)('a' + off % 26);
}

/* Read until EOF; the byte count, or -1 on an error or timeout. *bad
 * counts bytes that differ from the client's pattern. */
static long read_all(int fd, long *bad)
{
	char buf[4096];
	long total = 0;
	ssize_t n;

	*bad = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, total++)
			*bad += buf[i] != pattern_at(total);
	return n < 0 ? tool_err("read: %s", strerror(errno)) : total;
}

int cmd_tcp_server(int argc, char **argv)
{
	struct tcp_opts o;

	if (parse_tcp(argc, argv, &o, 0))
		return 2;
	int lfd = tool_listen_any(SOCK_STREAM, (uint16_t)o.port);

	if (lfd < 0 || listen(lfd, 1)) {
		if (lfd >= 0)
			close(lfd);
		return 1;
	}
	printf("listening %lu\n", o.port);
	fflush(stdout);
	struct pollfd p = { lfd, POLLIN, 0 };
	int cfd = poll(&p, 1, (int)o.timeout * 1000) > 0 ? accept(lfd, NULL, NULL) : -1;

	close(lfd);
	if (cfd < 0)
		return tool_err("tcp-server: no connection within %lus", o.timeout), 1;
	set_timeout(cfd, o.timeout);
	long bad, got = read_all(cfd, &bad);

	close(cfd);                 /* our FIN */
	printf("received %ld bad %ld\n", got, bad);
	return got < 0;
}

static int write_pattern(int fd, unsigned long size)
{
	char buf[4096];
	long off = 0;

	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_at(off + (long)i);
		ssize_t w = write(fd, buf, n);

		if (w <= 0)
			return tool_err("write: %s", strerror(errno));
		size -= (unsigned long)w;
		off += w;
	}
	return 0;
}

static int connect_from(const struct tcp_opts *o)
{
	struct sockaddr_storage ss;
	int fd = socket(o->dst.family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return tool_err("socket: %s", strerror(errno));
	set_timeout(fd, o->timeout);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->sport || o->src.family) {
		struct tool_addr from = o->src;

		from.family = o->dst.family;
		if (bind(fd, (struct sockaddr *)&ss, tool_sockaddr(&from, (uint16_t)o->sport, &ss))) {
			tool_err("bind port %lu: %s", o->sport, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, tool_sockaddr(&o->dst, (uint16_t)o->port, &ss))) {
		tool_err("connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int cmd_tcp_client(int argc, char **argv)
{
	struct tcp_opts o;

	if (parse_tcp(argc, argv, &o, 1))
		return 2;
	int fd = connect_from(&o);

	if (fd < 0)
		return 1;
	int r = write_pattern(fd, o.size);

	if (!r && shutdown(fd, SHUT_WR))
		r = tool_err("shutdown: %s", strerror(errno));
	long bad, back = r ? -1 : read_all(fd, &bad);   /* until the server's FIN */

	close(fd);
	printf("sent %lu\n", r ? 0 : o.size);
	return r || back < 0;
}
