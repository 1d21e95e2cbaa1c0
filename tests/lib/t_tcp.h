/* A real TCP connection over loopback, both ends in the test's process,
 * for tests that check what the kernel shows of a socket. */
#ifndef NF_T_TCP_H
#define NF_T_TCP_H

/* A listener on 127.0.0.1 (listen_family AF_INET) or ::1 (AF_INET6), an
 * ephemeral port; a client of client_family connects to it (an AF_INET6
 * client to an AF_INET listener dials ::ffff:127.0.0.1); the listener is
 * closed after the accept. 0 with *client and *server, or -errno. */
int t_tcp_pair(int listen_family, int client_family, int *client, int *server);

/* One end of a connection as getsockname or getpeername give it, in the
 * terms of struct tt_addr: family 4 or 6 (4 for an IPv4-mapped IPv6
 * address), bytes in network order (IPv4 in the first 4), port in host
 * order. */
struct t_end {
	int family;
	unsigned char addr[16];
	unsigned short port;
};

/* fd's own end (peer 0) or its peer's (peer 1): 0, or -errno. */
int t_tcp_end(int fd, int peer, struct t_end *e);

#endif
