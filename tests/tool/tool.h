/* nftool: the test helper's subcommands and their shared bits. Each
 * cmd_* takes argv after the subcommand name (argv[0] = the name) and
 * returns the exit status. */
#ifndef NFTOOL_TOOL_H
#define NFTOOL_TOOL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/if_packet.h>

int cmd_send(int argc, char **argv);
int cmd_sink(int argc, char **argv);
int cmd_tcp_server(int argc, char **argv);
int cmd_tcp_client(int argc, char **argv);
int cmd_progs(int argc, char **argv);
int cmd_tcx(int argc, char **argv);
int cmd_filters(int argc, char **argv);
int cmd_qdiscs(int argc, char **argv);
int cmd_attach_empty(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* An address and its family, parsed from text. */
struct tool_addr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

/* 0, or -1 after printing "nftool: ..." to stderr. */
int tool_parse_addr(const char *s, struct tool_addr *out);
int tool_parse_num(const char *opt, const char *s, unsigned long max, unsigned long *out);
/* Fill a sockaddr_storage for addr:port; returns its length. */
socklen_t tool_sockaddr(const struct tool_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* Option value after argv[*i] (advancing *i), or NULL after an error. */
const char *tool_optval(int argc, char **argv, int *i);
/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
double tool_now(void);
/* A dual-stack socket of type bound to [::]:port; fd, or -1 (printed). */
int tool_listen_any(int type, uint16_t port);
int tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A tagged-frame destination for nftool send --vlan (l2.c). */
struct l2_target {
	struct sockaddr_ll sll;
	unsigned char src_mac[6], dst_mac[6];   /* dst: broadcast by default */
	uint16_t vlan;
};
/* AF_PACKET socket on dev (fills sll and src_mac); fd or -1. */
int l2_open(const char *dev, struct l2_target *t);
size_t l2_frame(const struct l2_target *t, const unsigned char *ip, size_t len,
		unsigned char *out);
#define L2_HDR 18                   /* Ethernet + 802.1Q */

#endif
