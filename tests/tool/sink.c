/* nftool sink: count UDP datagrams arriving on a port (IPv4 and IPv6),
 * and those whose payload is exactly what nftool send put there. */
#include "tool.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A dual-stack socket bound to [::]:port (IPv4-only if IPv6 is absent). */
int tool_listen_any(int type, uint16_t port)
{
	struct tool_addr any = { AF_INET6, { 0 } };
	struct sockaddr_storage ss;
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0), zero = 0, one = 1;

	if (fd < 0) {
		any.family = AF_INET;
		fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return tool_err("socket: %s", strerror(errno));
	if (any.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, tool_sockaddr(&any, port, &ss))) {
		tool_err("bind port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct sink_opts {
	unsigned long port, count, timeout;
};

static int parse_sink(int argc, char **argv, struct sink_opts *o)
{
	*o = (struct sink_opts){ 0, 0, 10 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = tool_optval(argc, argv, &i);
		unsigned long *dst = !strcmp(a, "--port") ? &o->port : !strcmp(a, "--count") ? &o->count
				   : !strcmp(a, "--timeout") ? &o->timeout : NULL;

		if (!v)
			return -1;
		if (!dst)
			return tool_err("usage: nftool sink --port N [--count N] [--timeout SECS]");
		if (tool_parse_num(a, v, dst == &o->port ? 65535 : 100000000, dst))
			return -1;
	}
	return o->port ? 0 : tool_err("sink: --port is required");
}

/* nftool send's payload: byte i is i & 0xff. */
static int intact(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)i)
			return 0;
	return 1;
}

/* Drain what is queued, counting datagrams and intact ones; -1 on an error. */
static int drain(int fd, unsigned long want, unsigned long *got, unsigned long *ok)
{
	unsigned char buf[65536];

	while (!want || *got < want) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : tool_err("recv: %s", strerror(errno));
		++*got;
		*ok += (unsigned long)intact(buf, (size_t)n);
	}
	return 0;
}

int cmd_sink(int argc, char **argv)
{
	struct sink_opts o;
	int big = 64 << 20;
	unsigned long got = 0, ok = 0;

	if (parse_sink(argc, argv, &o))
		return 2;
	int fd = tool_listen_any(SOCK_DGRAM, (uint16_t)o.port);

	if (fd < 0)
		return 1;
	/* Room for a whole burst, so a slow reader loses nothing. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	printf("listening %lu\n", o.port);
	fflush(stdout);
	double end = tool_now() + (double)o.timeout;

	while ((!o.count || got < o.count) && tool_now() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		int ms = (int)((end - tool_now()) * 1000) + 1;

		if (poll(&p, 1, ms) > 0 && drain(fd, o.count, &got, &ok))
			break;
	}
	close(fd);
	printf("received %lu intact %lu\n", got, ok);
	return !o.count || got == o.count ? 0 : 1;
}
