/* nftool's packet builders: header layout, lengths, checksums, fragments
 * and IPv6 extension chains, checked byte by byte. */
#include "t.h"
#include "../tool/pkt.c"
#include <arpa/inet.h>

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct pkt_spec spec(int family, uint8_t proto)
{
	struct pkt_spec s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.proto = proto;
	s.ttl = 33;
	s.sport = 4000;
	s.dport = 5000;
	s.payload = 64;
	s.ip_id = 0x4242;
	if (family == AF_INET) {
		inet_pton(AF_INET, "10.77.0.2", s.src);
		inet_pton(AF_INET, "10.77.0.1", s.dst);
	} else {
		inet_pton(AF_INET6, "fd77::2", s.src);
		inet_pton(AF_INET6, "fd77::1", s.dst);
	}
	return s;
}

/* Checksum over the pseudo header + L4 bytes, computed independently. */
static uint16_t l4_verify(const struct pkt_spec *s, const unsigned char *l4, size_t len)
{
	uint32_t sum = 0;

	if (s->family == AF_INET) {
		sum = pkt_sum(s->src, 4, sum);
		sum = pkt_sum(s->dst, 4, sum);
		sum += s->proto + (uint32_t)len;
	} else if (s->proto != IPPROTO_ICMP) {
		sum = pkt_sum(s->src, 16, sum);
		sum = pkt_sum(s->dst, 16, sum);
		sum += (uint32_t)len + s->proto;
	}
	if (s->proto == IPPROTO_ICMP)
		sum = 0;
	return pkt_fold(pkt_sum(l4, len, sum));
}

int main(void)
{
	unsigned char b0[PKT_MAX], b1[PKT_MAX], *out[2] = { b0, b1 };
	size_t len[2];

	T_CASE("nftool_pkt/checksum_rfc1071_example") {
		static const unsigned char d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

		CHECK_EQ(pkt_fold(pkt_sum(d, sizeof(d), 0)), 0x220d);
		CHECK_EQ(pkt_fold(pkt_sum(d, 3, 0)), (uint16_t)~(0x0001 + 0xf200));
	}
	T_CASE("nftool_pkt/udp4_layout") {
		struct pkt_spec s = spec(AF_INET, IPPROTO_UDP);

		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(len[0], 20 + 8 + 64);
		CHECK_EQ(b0[0], 0x45);
		CHECK_EQ(get16(b0 + 2), 92);
		CHECK_EQ(get16(b0 + 4), 0x4242);
		CHECK_EQ(get16(b0 + 6), 0);
		CHECK_EQ(b0[8], 33);
		CHECK_EQ(b0[9], IPPROTO_UDP);
		CHECK(!memcmp(b0 + 12, s.src, 4) && !memcmp(b0 + 16, s.dst, 4));
		CHECK_EQ(pkt_fold(pkt_sum(b0, 20, 0)), 0);
		CHECK_EQ(get16(b0 + 20), 4000);
		CHECK_EQ(get16(b0 + 22), 5000);
		CHECK_EQ(get16(b0 + 24), 72);
		CHECK(get16(b0 + 26) != 0);
		CHECK_EQ(l4_verify(&s, b0 + 20, 72), 0);
		CHECK_EQ(b0[28 + 63], 63);
	}
	T_CASE("nftool_pkt/ipv4_options") {
		struct pkt_spec s = spec(AF_INET, IPPROTO_UDP);

		s.ipopt = PKT_OPT_NOP;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[0], 0x47);
		CHECK_EQ(b0[20], 1);
		CHECK_EQ(b0[26], 1);
		CHECK_EQ(b0[27], 0);
		CHECK_EQ(get16(b0 + 28), 4000);
		CHECK_EQ(pkt_fold(pkt_sum(b0, 28, 0)), 0);
		s.ipopt = PKT_OPT_RR;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[0], 0x48);
		CHECK_EQ(b0[20], 7);
		CHECK_EQ(b0[21], 11);
		CHECK_EQ(b0[22], 4);
		CHECK_EQ(get16(b0 + 32), 4000);
		CHECK_EQ(get16(b0 + 2), 32 + 72);
		CHECK_EQ(l4_verify(&s, b0 + 32, 72), 0);
	}
	T_CASE("nftool_pkt/ipv4_fragments") {
		struct pkt_spec s = spec(AF_INET, IPPROTO_UDP);
		unsigned char whole[PKT_MAX];

		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		memcpy(whole, b0 + 20, 72);
		s.frag = 1;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 2);
		size_t split = len[0] - 20;
		CHECK(split % 8 == 0 && split >= 8 && split < 72);
		CHECK_EQ(get16(b0 + 6), 0x2000);                  /* MF, offset 0 */
		CHECK_EQ(get16(b1 + 6), split / 8);               /* last, offset */
		CHECK_EQ(get16(b0 + 2), len[0]);
		CHECK_EQ(get16(b1 + 2), len[1]);
		CHECK_EQ(len[0] + len[1], 40 + 72);
		CHECK_EQ(get16(b1 + 4), 0x4242);
		CHECK(!memcmp(b0 + 20, whole, split));
		CHECK(!memcmp(b1 + 20, whole + split, 72 - split));
		CHECK_EQ(pkt_fold(pkt_sum(b1, 20, 0)), 0);
	}
	T_CASE("nftool_pkt/tcp4_and_icmp4") {
		struct pkt_spec s = spec(AF_INET, IPPROTO_TCP);

		s.tcp_flags = 0x12;
		s.seq = 0x01020304;
		s.payload = 5;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(len[0], 45);
		CHECK_EQ(b0[20 + 12], 0x50);
		CHECK_EQ(b0[20 + 13], 0x12);
		CHECK_EQ(b0[20 + 4], 1);
		CHECK_EQ(l4_verify(&s, b0 + 20, 25), 0);
		s = spec(AF_INET, IPPROTO_ICMP);
		s.icmp_type = 8;
		s.icmp_id = 7;
		s.icmp_seq = 9;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[20], 8);
		CHECK_EQ(get16(b0 + 24), 7);
		CHECK_EQ(get16(b0 + 26), 9);
		CHECK_EQ(l4_verify(&s, b0 + 20, 72), 0);
	}
	T_CASE("nftool_pkt/udp6_and_icmp6") {
		struct pkt_spec s = spec(AF_INET6, IPPROTO_UDP);

		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(len[0], 40 + 72);
		CHECK_EQ(b0[0] >> 4, 6);
		CHECK_EQ(get16(b0 + 4), 72);
		CHECK_EQ(b0[6], IPPROTO_UDP);
		CHECK_EQ(b0[7], 33);
		CHECK(!memcmp(b0 + 8, s.src, 16) && !memcmp(b0 + 24, s.dst, 16));
		CHECK_EQ(l4_verify(&s, b0 + 40, 72), 0);
		s = spec(AF_INET6, IPPROTO_ICMPV6);
		s.icmp_type = 128;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[6], IPPROTO_ICMPV6);
		CHECK_EQ(b0[40], 128);
		CHECK_EQ(l4_verify(&s, b0 + 40, 72), 0);
	}
	T_CASE("nftool_pkt/ipv6_extension_chain") {
		struct pkt_spec s = spec(AF_INET6, IPPROTO_TCP);

		s.hbh = 1;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[6], 0);                 /* hop-by-hop */
		CHECK_EQ(b0[40], IPPROTO_TCP);
		CHECK_EQ(b0[41], 0);                /* (0 + 1) * 8 bytes */
		CHECK_EQ(get16(b0 + 4), 8 + 20 + 64);
		CHECK_EQ(get16(b0 + 48), 4000);
		CHECK_EQ(l4_verify(&s, b0 + 48, 84), 0);
		s.dstopt = 1;
		s.frag = 1;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 2);
		CHECK_EQ(b0[6], 0);
		CHECK_EQ(b0[40], 44);               /* -> fragment */
		CHECK_EQ(b0[48], 60);               /* -> destination options */
		CHECK_EQ(get16(b0 + 50), 1);        /* offset 0, M */
		CHECK_EQ(get16(b0 + 52) << 16 | get16(b0 + 54), 0x4242);
		CHECK_EQ(b0[56], IPPROTO_TCP);
		CHECK_EQ(get16(b0 + 64), 4000);
		size_t first = len[0] - 56;         /* fragmentable bytes in #1 */
		CHECK(first % 8 == 0 && first >= 28);
		CHECK_EQ(get16(b1 + 50), first);    /* offset, no M */
		CHECK_EQ(b1[48], 60);
		CHECK_EQ(get16(b0 + 4), len[0] - 40);
		CHECK_EQ(get16(b1 + 4), len[1] - 40);
		CHECK_EQ(first + len[1] - 56, 8 + 20 + 64);
	}
	T_CASE("nftool_pkt/ipv6_routing_and_ah") {
		struct pkt_spec s = spec(AF_INET6, IPPROTO_UDP);

		s.hbh = s.rthdr = s.ah = s.dstopt = 1;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 1);
		CHECK_EQ(b0[6], 0);                 /* hop-by-hop */
		CHECK_EQ(b0[40], 43);               /* -> routing */
		CHECK_EQ(b0[48], 51);               /* -> AH */
		CHECK_EQ(b0[48 + 1], 0);            /* (0 + 1) * 8 bytes */
		CHECK_EQ(b0[48 + 3], 0);            /* segments left */
		CHECK_EQ(b0[56], 60);               /* -> destination options */
		CHECK_EQ(b0[57], 4);                /* (4 + 2) * 4 = 24 bytes */
		CHECK_EQ(b0[80], IPPROTO_UDP);
		CHECK_EQ(get16(b0 + 88), 4000);
		CHECK_EQ(get16(b0 + 4), 8 + 8 + 24 + 8 + 72);
		CHECK_EQ(len[0], 40 + 120);
		CHECK_EQ(l4_verify(&s, b0 + 88, 72), 0);
		s.dstopt = 0;
		s.frag = 1;
		REQUIRE(pkt_build(&s, out, len, PKT_MAX) == 2);
		CHECK_EQ(b0[48], 44);               /* routing -> fragment */
		CHECK_EQ(b0[56], 51);               /* fragment -> AH */
		CHECK_EQ(b0[64], IPPROTO_UDP);      /* AH -> UDP */
		CHECK_EQ(get16(b0 + 88), 4000);
		CHECK_EQ(b1[56], 51);
		CHECK_EQ(get16(b1 + 58), len[0] - 64);   /* offset of part 2 */
	}
	T_CASE("nftool_pkt/invalid_specs") {
		struct pkt_spec s = spec(AF_INET, IPPROTO_UDP);

		s.hbh = 1;
		CHECK_EQ(pkt_build(&s, out, len, PKT_MAX), -1);
		s.hbh = 0;
		s.ah = 1;
		CHECK_EQ(pkt_build(&s, out, len, PKT_MAX), -1);
		s = spec(AF_INET6, IPPROTO_ICMP);
		CHECK_EQ(pkt_build(&s, out, len, PKT_MAX), -1);
		s = spec(AF_INET6, IPPROTO_UDP);
		s.ipopt = PKT_OPT_NOP;
		CHECK_EQ(pkt_build(&s, out, len, PKT_MAX), -1);
		s = spec(AF_INET, IPPROTO_UDP);
		s.payload = 100;
		CHECK_EQ(pkt_build(&s, out, len, 64), -1);
		s.payload = 0;
		s.frag = 1;                         /* 8 bytes cannot split */
		CHECK_EQ(pkt_build(&s, out, len, PKT_MAX), -1);
	}
	return t_summary();
}
