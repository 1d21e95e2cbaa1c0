/* LD_PRELOAD shim for the tlstrace suite's system TLS servers (gnutls-serv,
 * selfserv), which have no option to pick their listening address:
 *  - bind() to the wildcard address (0.0.0.0, ::, ::ffff:0.0.0.0) binds
 *    the loopback address instead (127.0.0.1; ::1 for an IPv6-only
 *    socket, ::ffff:127.0.0.1 for a dual-stack one), so that nothing
 *    listens beyond 127.0.0.1;
 *  - with TT_ACCEPT_GATE=FILE, accept() and accept4() wait until FILE
 *    exists (at most 60 s): the client's TCP connection is made (it waits
 *    in the listen queue) but the server starts no TLS call until then.
 * Build: gcc -shared -fPIC -o tt_lo_shim.so tt_lo_shim.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void wait_gate(void)
{
	const char *gate = getenv("TT_ACCEPT_GATE");
	if (!gate || !*gate)
		return;
	for (int i = 0; i < 6000 && access(gate, F_OK); i++)
		usleep(10000);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in a;
		memcpy(&a, addr, sizeof(a));
		if (a.sin_addr.s_addr == htonl(INADDR_ANY))
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return real(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		static const unsigned char mapped_any[16] = { [10] = 0xff, [11] = 0xff };
		struct sockaddr_in6 a;
		int v6only = 0;
		socklen_t olen = sizeof(v6only);
		memcpy(&a, addr, sizeof(a));
		if (IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr) || !memcmp(&a.sin6_addr, mapped_any, 16)) {
			getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
			if (v6only) {
				a.sin6_addr = in6addr_loopback;
			} else {
				memcpy(&a.sin6_addr, mapped_any, 16);
				a.sin6_addr.s6_addr[12] = 127;
				a.sin6_addr.s6_addr[15] = 1;
			}
		}
		return real(fd, (struct sockaddr *)&a, sizeof(a));
	}
	return real(fd, addr, len);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	wait_gate();
	return real(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	wait_gate();
	return real(fd, addr, len, flags);
}
