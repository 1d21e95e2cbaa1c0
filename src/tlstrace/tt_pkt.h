/* IPv4 or IPv6 + TCP packets around a payload, with correct checksums
 * (pure): the synthetic segments of tlstrace's plaintext pcapng. */
#ifndef NF_TT_PKT_H
#define NF_TT_PKT_H
#include <stddef.h>
#include <stdint.h>

#define TT_TCP_FIN 0x01u
#define TT_TCP_SYN 0x02u
#define TT_TCP_PSH 0x08u
#define TT_TCP_ACK 0x10u
#define TT_PKT_IP4_HDR 20u
#define TT_PKT_IP6_HDR 40u
#define TT_PKT_TCP_HDR 20u
#define TT_PKT_HDR_MAX (TT_PKT_IP6_HDR + TT_PKT_TCP_HDR)

struct tt_seg {
	uint8_t family;            /* 4 or 6 */
	const uint8_t *src, *dst;  /* 4 or 16 bytes, network order */
	uint16_t sport, dport;     /* host order */
	uint32_t seq, ack;
	uint8_t flags;             /* TT_TCP_* */
	const uint8_t *data;
	size_t len;                /* at most 65495 */
};

/* The packet's length: headers plus len. */
size_t tt_pkt_len(const struct tt_seg *s);
/* Write the packet (raw IP, no link header) into buf; its length, or 0
 * when cap is too small or len too large for the IP header. */
size_t tt_pkt_build(uint8_t *buf, size_t cap, const struct tt_seg *s);

#endif
