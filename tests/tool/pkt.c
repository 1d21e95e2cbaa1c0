/* nftool packet builders: byte-exact IPv4/IPv6 datagrams (see pkt.h). */
#include "pkt.h"
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IP4_HDR 20
#define IP6_HDR 40
#define EXT_LEN 8                  /* our extension headers: 8 bytes each */
#define NH_HOP 0
#define NH_FRAG 44
#define NH_DSTOPTS 60
#define NH_ROUTING 43
#define NH_AH 51
#define AH_LEN 24                  /* 12 fixed + a 12-byte ICV */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint32_t pkt_sum(const void *buf, size_t len, uint32_t sum)
{
	const unsigned char *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t pkt_l4_hdr_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 8;
}

static size_t ipopt_len(enum pkt_ipopt o)
{
	return o == PKT_OPT_NONE ? 0 : o == PKT_OPT_NOP ? 8 : 12;
}

/* IPv4 options: 7 NOPs + EOL, or record route with two slots + EOL. */
static void put_ipopts(unsigned char *p, enum pkt_ipopt o)
{
	memset(p, 0, ipopt_len(o));
	if (o == PKT_OPT_NOP) {
		memset(p, 1, 7);
	} else if (o == PKT_OPT_RR) {
		p[0] = 7;          /* record route */
		p[1] = 11;         /* 3 + 2 slots of 4 */
		p[2] = 4;          /* pointer: first free slot */
	}
}

/* Pseudo-header sum for the L4 checksum (not used by ICMPv4). */
static uint32_t pseudo_sum(const struct pkt_spec *s, size_t l4len)
{
	unsigned char ph[40];
	size_t n;

	if (s->family == AF_INET) {
		memcpy(ph, s->src, 4);
		memcpy(ph + 4, s->dst, 4);
		ph[8] = 0;
		ph[9] = s->proto;
		put16(ph + 10, (uint16_t)l4len);
		n = 12;
	} else {
		memcpy(ph, s->src, 16);
		memcpy(ph + 16, s->dst, 16);
		put32(ph + 32, (uint32_t)l4len);
		memset(ph + 36, 0, 3);
		ph[39] = s->proto;
		n = 40;
	}
	return pkt_sum(ph, n, 0);
}

/* The L4 header + payload with its checksum. Returns its length or 0. */
static size_t build_l4(const struct pkt_spec *s, unsigned char *p, size_t cap)
{
	size_t hl = pkt_l4_hdr_len(s->proto), len = hl + s->payload;
	size_t csum_at;

	if (len > cap || len > 0xffff)
		return 0;
	memset(p, 0, hl);
	for (size_t i = 0; i < s->payload; i++)
		p[hl + i] = (unsigned char)i;
	switch (s->proto) {
	case IPPROTO_UDP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, (uint16_t)len);
		csum_at = 6;
		break;
	case IPPROTO_TCP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, s->seq);
		put32(p + 8, s->ack);
		p[12] = 5 << 4;    /* data offset: 20 bytes */
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		csum_at = 16;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((s->proto == IPPROTO_ICMP) != (s->family == AF_INET))
			return 0;
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		put16(p + 4, s->icmp_id);
		put16(p + 6, s->icmp_seq);
		csum_at = 2;
		break;
	default:
		return 0;
	}
	uint32_t sum = s->proto == IPPROTO_ICMP ? 0 : pseudo_sum(s, len);
	uint16_t c = pkt_fold(pkt_sum(p, len, sum));

	if (c == 0 && s->proto == IPPROTO_UDP)
		c = 0xffff;        /* 0 would mean "no checksum" */
	put16(p + csum_at, c);
	return len;
}

/* First fragment size: at least the L4 header (+ what precedes it in the
 * fragmentable part), about half, a multiple of 8; 0 if it cannot split. */
static size_t frag_split(size_t total, size_t must_hold)
{
	size_t half = total / 2 > must_hold ? total / 2 : must_hold;
	size_t split = (half + 7) & ~(size_t)7;

	return split < total ? split : 0;
}

static void put_ip4(unsigned char *p, const struct pkt_spec *s, size_t hl,
		    size_t tot, uint16_t frag_field)
{
	p[0] = (unsigned char)(0x40 | hl / 4);
	p[1] = 0;
	put16(p + 2, (uint16_t)tot);
	put16(p + 4, (uint16_t)s->ip_id);
	put16(p + 6, frag_field);
	p[8] = s->ttl;
	p[9] = s->proto;
	put16(p + 10, 0);
	memcpy(p + 12, s->src, 4);
	memcpy(p + 16, s->dst, 4);
	put_ipopts(p + IP4_HDR, s->ipopt);
	put16(p + 10, pkt_fold(pkt_sum(p, hl, 0)));
}

static int build_v4(const struct pkt_spec *s, const unsigned char *l4, size_t l4len,
		    unsigned char *out[2], size_t len[2], size_t cap)
{
	size_t hl = IP4_HDR + ipopt_len(s->ipopt);
	size_t split = s->frag ? frag_split(l4len, pkt_l4_hdr_len(s->proto)) : l4len;

	if (!split || hl + split > cap || hl + l4len > 0xffff)
		return -1;
	put_ip4(out[0], s, hl, hl + split, s->frag ? 0x2000 : 0);   /* MF */
	memcpy(out[0] + hl, l4, split);
	len[0] = hl + split;
	if (!s->frag)
		return 1;
	if (hl + l4len - split > cap)
		return -1;
	put_ip4(out[1], s, hl, hl + l4len - split, (uint16_t)(split / 8));
	memcpy(out[1] + hl, l4 + split, l4len - split);
	len[1] = hl + l4len - split;
	return 2;
}

/* Extension headers, in RFC 8200 order: hop-by-hop and routing are not
 * fragmented, AH and destination options are. */
struct ext_chain {
	uint8_t type[2];
	size_t n, len;
};

static size_t ext_len(uint8_t type)
{
	return type == NH_AH ? AH_LEN : EXT_LEN;
}

static void chain_add(struct ext_chain *c, int on, uint8_t type)
{
	if (on) {
		c->type[c->n++] = type;
		c->len += ext_len(type);
	}
}

/* Write the chain at p, the last header pointing at last_next. A
 * hop-by-hop or dest-opts header holds PadN; routing is type 0 with no
 * segments left; AH has a zero SPI and a 12-byte ICV. */
static void put_chain(unsigned char *p, const struct ext_chain *c, uint8_t last_next)
{
	for (size_t i = 0; i < c->n; i++) {
		size_t l = ext_len(c->type[i]);

		memset(p, 0, l);
		p[0] = i + 1 < c->n ? c->type[i + 1] : last_next;
		if (c->type[i] == NH_AH) {
			p[1] = AH_LEN / 4 - 2;
		} else if (c->type[i] != NH_ROUTING) {
			p[2] = 1;  /* PadN */
			p[3] = 4;
		}
		p += l;
	}
}

static uint8_t chain_first(const struct ext_chain *c, uint8_t otherwise)
{
	return c->n ? c->type[0] : otherwise;
}

static void put_ip6(unsigned char *p, const struct pkt_spec *s, size_t plen, uint8_t next)
{
	put32(p, 6u << 28);
	put16(p + 4, (uint16_t)plen);
	p[6] = next;
	p[7] = s->ttl;
	memcpy(p + 8, s->src, 16);
	memcpy(p + 24, s->dst, 16);
}

/* One IPv6 packet: base + unfragmentable headers [+ fragment header] +
 * flen bytes of the fragmentable part (which starts with frag_next). */
static size_t put_v6_packet(unsigned char *p, const struct pkt_spec *s, const struct ext_chain *u,
			    const unsigned char *fpart, size_t flen, int fragment,
			    size_t foff, int more, uint8_t frag_next)
{
	uint8_t after_u = fragment ? NH_FRAG : frag_next;
	size_t off = IP6_HDR + u->len;

	put_chain(p + IP6_HDR, u, after_u);
	if (fragment) {
		p[off] = frag_next;
		p[off + 1] = 0;
		put16(p + off + 2, (uint16_t)(foff | (more ? 1 : 0)));
		put32(p + off + 4, s->ip_id);
		off += EXT_LEN;
	}
	memcpy(p + off, fpart, flen);
	put_ip6(p, s, off - IP6_HDR + flen, chain_first(u, after_u));
	return off + flen;
}

static int build_v6(const struct pkt_spec *s, const unsigned char *l4, size_t l4len,
		    unsigned char *out[2], size_t len[2], size_t cap)
{
	unsigned char fpart[PKT_MAX];
	struct ext_chain u = { { 0 }, 0, 0 }, f = { { 0 }, 0, 0 };

	chain_add(&u, s->hbh, NH_HOP);
	chain_add(&u, s->rthdr, NH_ROUTING);
	chain_add(&f, s->ah, NH_AH);
	chain_add(&f, s->dstopt, NH_DSTOPTS);
	size_t flen = f.len + l4len, fixed = IP6_HDR + u.len + (s->frag ? EXT_LEN : 0);
	uint8_t frag_next = chain_first(&f, s->proto);

	if (flen > sizeof(fpart) || fixed + flen > cap || flen + fixed - IP6_HDR > 0xffff)
		return -1;
	put_chain(fpart, &f, s->proto);
	memcpy(fpart + f.len, l4, l4len);
	if (!s->frag) {
		len[0] = put_v6_packet(out[0], s, &u, fpart, flen, 0, 0, 0, frag_next);
		return 1;
	}
	size_t split = frag_split(flen, f.len + pkt_l4_hdr_len(s->proto));

	if (!split)
		return -1;
	len[0] = put_v6_packet(out[0], s, &u, fpart, split, 1, 0, 1, frag_next);
	len[1] = put_v6_packet(out[1], s, &u, fpart + split, flen - split, 1, split, 0, frag_next);
	return 2;
}

int pkt_build(const struct pkt_spec *s, unsigned char *out[2], size_t len[2], size_t cap)
{
	unsigned char l4[PKT_MAX];
	size_t l4len = build_l4(s, l4, sizeof(l4));

	if (!l4len)
		return -1;
	if (s->family == AF_INET)
		return s->hbh || s->dstopt || s->rthdr || s->ah ? -1 : build_v4(s, l4, l4len, out, len, cap);
	if (s->family == AF_INET6)
		return s->ipopt != PKT_OPT_NONE ? -1 : build_v6(s, l4, l4len, out, len, cap);
	return -1;
}
