#include "t_tcp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The loopback address of family, port 0, or its IPv4-mapped form. */
static socklen_t loopback(int family, int mapped, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	inet_pton(AF_INET6, mapped ? "::ffff:127.0.0.1" : "::1", &a->sin6_addr);
	return sizeof(*a);
}

static void set_port(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = port;
}

/* The bound port of fd, network order; 0 on error. */
static in_port_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port;
}

static int listener(int family, in_port_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4) || !(*port = bound_port(fd))) {
		int err = -errno;
		close(fd);
		return err ? err : -EIO;
	}
	return fd;
}

int t_tcp_pair(int listen_family, int client_family, int *client, int *server)
{
	struct sockaddr_storage ss;
	in_port_t port;
	int lfd = listener(listen_family, &port), err = 0;

	*client = *server = -1;
	if (lfd < 0)
		return lfd;
	socklen_t len = loopback(client_family, listen_family != client_family, &ss);
	set_port(&ss, port);
	*client = socket(client_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&ss, len) ||
	    (*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		err = -errno;
		if (*client >= 0)
			close(*client);
		*client = -1;
	}
	close(lfd);
	return err;
}

int t_tcp_end(int fd, int peer, struct t_end *e)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(e, 0, sizeof(*e));
	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		e->family = 4;
		memcpy(e->addr, &a->sin_addr, 4);
		e->port = ntohs(a->sin_port);
		return 0;
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	const unsigned char *b = a->sin6_addr.s6_addr;
	int is_mapped = !memcmp(b, mapped, sizeof(mapped));
	e->family = is_mapped ? 4 : 6;
	memcpy(e->addr, is_mapped ? b + 12 : b, is_mapped ? 4 : 16);
	e->port = ntohs(a->sin6_port);
	return 0;
}
