/* The text of /proc/PID/net/tcp and /proc/PID/net/tcp6, parsed over a
 * caller's buffer (pure: no syscalls, no file I/O). After a header line,
 * the kernel writes one socket a line:
 *
 *   sl: local:port remote:port st tx:rx tr:when retrnsmt uid timeout inode ...
 *
 * Addresses are the in-kernel bytes read as 32-bit words in host order and
 * printed %08X (one word for IPv4, four for IPv6), so 127.0.0.1 reads
 * "0100007F" on a little-endian host; ports are %04X in host order.
 * tlstrace looks a socket's inode up here to find its connection's
 * addresses, in the network namespace of the process that owns it. */
#ifndef NF_PROC_NET_H
#define NF_PROC_NET_H
#include <stddef.h>
#include <stdint.h>

struct nf_pnet_sock {
	/* 4 or 6. A tcp6 socket whose two ends are both IPv4-mapped
	 * (::ffff:a.b.c.d: a dual-stack socket talking to an IPv4 peer) is
	 * reported as 4, with the IPv4 addresses: on the wire it is IPv4,
	 * as netrace shows it. v4mapped says it came so. */
	uint8_t family;
	uint8_t v4mapped;
	uint8_t local[16], remote[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t lport, rport;         /* host order */
	uint8_t state;                 /* the kernel's TCP state: 1 established ... */
	uint64_t inode;                /* 0 for TIME_WAIT and SYN_RECV entries */
};

/* One line, without its '\n', of the file for family (4: tcp, 6: tcp6):
 * 0 with *out filled, or -EINVAL (malformed, the header line too) /
 * -ERANGE (an inode beyond 64 bits). Each field is checked against the
 * width the kernel prints; fields after the inode are not read. */
int nf_pnet_parse_line(const char *s, size_t len, int family, struct nf_pnet_sock *out);

/* The socket with this inode in a whole file (family as above): 1 with
 * *out filled, 0 when no well-formed line has it (inode 0 never matches).
 * Malformed lines, and a last line without its '\n' (cut short, so its
 * inode may be cut too), are skipped. */
int nf_pnet_find(const char *buf, size_t len, int family, uint64_t inode,
		 struct nf_pnet_sock *out);

#endif
