/* nftool: pure packet builders (no syscalls). A spec describes one IPv4 or
 * IPv6 datagram; pkt_build writes it, IP header first, with every length
 * and checksum filled in, optionally as two fragments. */
#ifndef NFTOOL_PKT_H
#define NFTOOL_PKT_H
#include <stddef.h>
#include <stdint.h>

enum pkt_ipopt { PKT_OPT_NONE, PKT_OPT_NOP, PKT_OPT_RR };

struct pkt_spec {
	int family;                /* AF_INET or AF_INET6 */
	uint8_t proto;             /* IPPROTO_UDP, _TCP, _ICMP, _ICMPV6 */
	uint8_t src[16], dst[16];  /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;     /* UDP/TCP */
	uint8_t ttl;
	uint8_t tcp_flags;         /* header byte 13 */
	uint32_t seq, ack;         /* TCP */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint32_t ip_id;            /* IPv4 id (16 bits) / IPv6 fragment id */
	size_t payload;            /* L4 payload bytes (a counting pattern) */
	enum pkt_ipopt ipopt;      /* IPv4 options */
	int hbh, rthdr, ah, dstopt; /* IPv6 extension headers, in this order */
	int frag;                  /* send as two fragments */
};

/* Room for the largest packet a spec may describe. */
#define PKT_MAX 9000

/* Build the datagram into out[0] (and the second fragment into out[1]),
 * each of cap bytes. Returns the number of packets (1 or 2), or -1 when
 * the spec is invalid or does not fit. */
int pkt_build(const struct pkt_spec *s, unsigned char *out[2], size_t len[2], size_t cap);

/* Internet checksum of buf, starting from a partial sum. */
uint32_t pkt_sum(const void *buf, size_t len, uint32_t sum);
uint16_t pkt_fold(uint32_t sum);

/* Length of the L4 header the spec's protocol has (8, 20 or 8). */
size_t pkt_l4_hdr_len(uint8_t proto);

#endif
