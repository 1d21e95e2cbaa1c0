/* IP + TCP headers (RFC 791, RFC 8200, RFC 9293) and the Internet
 * checksum (RFC 1071) over them. */
#include "tt_pkt.h"
#include <string.h>

#define PROTO_TCP 6
#define TTL 64
#define WINDOW 65535u
#define MAX_PAYLOAD 65495u

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* The one's complement sum of n bytes, added to sum (not folded). */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t ip_hdr_len(const struct tt_seg *s)
{
	return s->family == 6 ? TT_PKT_IP6_HDR : TT_PKT_IP4_HDR;
}

size_t tt_pkt_len(const struct tt_seg *s)
{
	return ip_hdr_len(s) + TT_PKT_TCP_HDR + s->len;
}

static void put_ip4(uint8_t *p, const struct tt_seg *s)
{
	memset(p, 0, TT_PKT_IP4_HDR);
	p[0] = 0x45;
	put16(p + 2, (uint32_t)tt_pkt_len(s));
	p[6] = 0x40; /* don't fragment */
	p[8] = TTL;
	p[9] = PROTO_TCP;
	memcpy(p + 12, s->src, 4);
	memcpy(p + 16, s->dst, 4);
	put16(p + 10, fold(sum_bytes(0, p, TT_PKT_IP4_HDR)));
}

static void put_ip6(uint8_t *p, const struct tt_seg *s)
{
	memset(p, 0, TT_PKT_IP6_HDR);
	p[0] = 0x60;
	put16(p + 4, (uint32_t)(TT_PKT_TCP_HDR + s->len));
	p[6] = PROTO_TCP;
	p[7] = TTL;
	memcpy(p + 8, s->src, 16);
	memcpy(p + 24, s->dst, 16);
}

/* The pseudo-header's sum: addresses, protocol, TCP length. */
static uint32_t pseudo_sum(const struct tt_seg *s)
{
	size_t alen = s->family == 6 ? 16 : 4;
	uint32_t tcp_len = (uint32_t)(TT_PKT_TCP_HDR + s->len);
	uint32_t sum = sum_bytes(0, s->src, alen);
	sum = sum_bytes(sum, s->dst, alen);
	return sum + PROTO_TCP + (tcp_len >> 16) + (tcp_len & 0xffff);
}

static void put_tcp(uint8_t *p, const struct tt_seg *s)
{
	memset(p, 0, TT_PKT_TCP_HDR);
	put16(p, s->sport);
	put16(p + 2, s->dport);
	put32(p + 4, s->seq);
	put32(p + 8, s->flags & TT_TCP_ACK ? s->ack : 0);
	p[12] = (TT_PKT_TCP_HDR / 4) << 4;
	p[13] = s->flags;
	put16(p + 14, WINDOW);
	if (s->len)
		memcpy(p + TT_PKT_TCP_HDR, s->data, s->len);
	uint32_t sum = sum_bytes(pseudo_sum(s), p, TT_PKT_TCP_HDR + s->len);
	put16(p + 16, fold(sum));
}

size_t tt_pkt_build(uint8_t *buf, size_t cap, const struct tt_seg *s)
{
	size_t n = tt_pkt_len(s);
	if (s->len > MAX_PAYLOAD || cap < n || (s->family != 4 && s->family != 6))
		return 0;
	if (s->family == 6)
		put_ip6(buf, s);
	else
		put_ip4(buf, s);
	put_tcp(buf + ip_hdr_len(s), s);
	return n;
}
