/* pcapng blocks: parse back what was written (block types, lengths at both
 * ends, 32-bit alignment, options, EPB contents) and the sink's output for
 * synthetic records, including the VLAN tag put back on ingress. */
#include "t.h"
#include "fake_sys.h"
#include "netrace.h"
#include "netrace/nr_sink.h"
#include "out/pcapng.h"
#include "kern/sys.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* A well-formed block: total length at both ends, a multiple of 4. */
static int block_ok(const uint8_t *b, size_t len, uint32_t type)
{
	return len >= 12 && len % 4 == 0 && rd32(b) == type && rd32(b + 4) == len &&
	       rd32(b + len - 4) == len;
}

/* Find option code in the options area [p, end): value pointer and length. */
static const uint8_t *find_opt(const uint8_t *p, const uint8_t *end, uint16_t code, uint16_t *len)
{
	while (p + 4 <= end) {
		uint16_t c = rd16(p), l = rd16(p + 2);
		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

/* Captures everything written through nf_sys->write. */
static uint8_t captured[1 << 20];
static size_t captured_len;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	(void)fd;
	if (captured_len + len > sizeof(captured))
		len = sizeof(captured) - captured_len;
	memcpy(captured + captured_len, buf, len);
	captured_len += len;
	return (ssize_t)len;
}

int main(void)
{
	uint8_t buf[4096];

	T_CASE("section header block") {
		size_t n = pcapng_shb(buf, sizeof(buf), "nflux test");
		REQUIRE(block_ok(buf, n, PCAPNG_SHB));
		CHECK_EQ(rd32(buf + 8), PCAPNG_MAGIC);
		CHECK_EQ(rd16(buf + 12), 1);
		CHECK_EQ(rd16(buf + 14), 0);
		CHECK_EQ(rd32(buf + 16), 0xffffffffu);
		CHECK_EQ(rd32(buf + 20), 0xffffffffu);
		uint16_t l = 0;
		const uint8_t *v = find_opt(buf + 24, buf + n - 4, 4, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, 10);
		CHECK(!memcmp(v, "nflux test", 10));
		CHECK_EQ(pcapng_shb(buf, 20, "nflux test"), 0);
	}

	T_CASE("interface description block") {
		size_t n = pcapng_idb(buf, sizeof(buf), PCAPNG_LINKTYPE_RAW, 1500, "wg0");
		REQUIRE(block_ok(buf, n, PCAPNG_IDB));
		CHECK_EQ(rd16(buf + 8), 101);
		CHECK_EQ(rd32(buf + 12), 1500);
		uint16_t l = 0;
		const uint8_t *v = find_opt(buf + 16, buf + n - 4, 2, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, 3);
		CHECK(!memcmp(v, "wg0\0", 4)); /* padded with zeros */
		n = pcapng_idb(buf, sizeof(buf), PCAPNG_LINKTYPE_ETHERNET, 96, NULL);
		CHECK(block_ok(buf, n, PCAPNG_IDB));
		CHECK_EQ(n, 20);
	}

	T_CASE("interface description block with a description") {
		const char *desc = "decrypted TLS plaintext";
		size_t n = pcapng_idb_desc(buf, sizeof(buf), PCAPNG_LINKTYPE_RAW, 0, "tls", desc);
		REQUIRE(block_ok(buf, n, PCAPNG_IDB));
		uint16_t l = 0;
		const uint8_t *v = find_opt(buf + 16, buf + n - 4, 2, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, 3);
		v = find_opt(buf + 16, buf + n - 4, 3, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, strlen(desc));
		CHECK(!memcmp(v, desc, l));
		CHECK_EQ(n, 20 + 8 + 4 + ((strlen(desc) + 3) & ~3u) + 4); /* + opt_endofopt */
		CHECK_EQ(pcapng_idb_desc(buf, n - 1, PCAPNG_LINKTYPE_RAW, 0, "tls", desc), 0);
	}

	T_CASE("enhanced packet block with odd length, flags and comment") {
		uint8_t pkt[61];
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i * 7);
		struct pcapng_pkt p = {
			.iface_id = 2, .ts_us = 0x123456789abULL, .data = pkt, .caplen = 61,
			.origlen = 1514, .epb_flags = PCAPNG_EPB_OUTBOUND, .comment = "hello",
		};
		size_t n = pcapng_epb(buf, sizeof(buf), &p);
		REQUIRE(block_ok(buf, n, PCAPNG_EPB));
		CHECK_EQ(n, pcapng_epb_len(&p));
		CHECK_EQ(rd32(buf + 8), 2);
		CHECK_EQ(rd32(buf + 12), 0x123);
		CHECK_EQ(rd32(buf + 16), 0x456789ab);
		CHECK_EQ(rd32(buf + 20), 61);
		CHECK_EQ(rd32(buf + 24), 1514);
		CHECK(!memcmp(buf + 28, pkt, 61));
		CHECK_EQ(buf[28 + 61], 0);
		const uint8_t *opts = buf + 28 + 64, *end = buf + n - 4;
		uint16_t l = 0;
		const uint8_t *v = find_opt(opts, end, 2, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, 4);
		CHECK_EQ(rd32(v), PCAPNG_EPB_OUTBOUND);
		v = find_opt(opts, end, 1, &l);
		REQUIRE(v != NULL);
		CHECK_EQ(l, 5);
		CHECK(!memcmp(v, "hello", 5));
		CHECK_EQ(rd32(end - 4), 0); /* opt_endofopt */
		CHECK_EQ(pcapng_epb(buf, n - 1, &p), 0);
	}

	T_CASE("vlan tag goes back after the MAC addresses") {
		uint8_t pkt[20], tag[4] = { 0x81, 0x00, 0x00, 0x0a };
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i + 1);
		struct pcapng_pkt p = { .data = pkt, .caplen = 20, .origlen = 60, .vlan_tag = tag };
		size_t n = pcapng_epb(buf, sizeof(buf), &p);
		REQUIRE(block_ok(buf, n, PCAPNG_EPB));
		CHECK_EQ(rd32(buf + 20), 24);
		CHECK_EQ(rd32(buf + 24), 64);
		CHECK(!memcmp(buf + 28, pkt, 12));
		CHECK(!memcmp(buf + 40, tag, 4));
		CHECK(!memcmp(buf + 44, pkt + 12, 8));
		CHECK_EQ(n, 28 + 24 + 4); /* no options: no end marker */
	}

	T_CASE("sink writes SHB, IDBs and one EPB per record") {
		struct nr_iface_ent ifs[2] = { { 5, "veth0", 0 }, { 9, "tun0", 1 } };
		struct nf_sys fake;
		t_fake_sys(&fake);
		fake.write = fake_write;
		t_use_sys(&fake);
		captured_len = 0;
		struct nr_sink s;
		REQUIRE(nr_sink_open(&s, NR_OUT_PCAPNG, 1, ifs, 2, 128, 2) == 0);
		struct {
			struct nr_event ev;
			uint8_t data[64];
		} rec;
		memset(&rec, 0, sizeof(rec));
		rec.ev.ifindex = 9;
		rec.ev.ts_ns = 1000000;
		rec.ev.cap_len = 40;
		rec.ev.skb_len = 1400;
		rec.ev.dir = NR_EGRESS;
		rec.ev.flags = NR_F_L3DEV | NR_F_VLAN | NR_F_VLAN_HW; /* no tag on L3 */
		memset(rec.data, 0x45, 40);
		CHECK_EQ(nr_sink_event(&s, &rec, sizeof(rec.ev) + 40), 0);
		CHECK_EQ(nr_sink_event(&s, &rec, sizeof(rec.ev) + 39), 0); /* short: dropped */
		rec.ev.ifindex = 5;
		rec.ev.dir = NR_INGRESS;
		rec.ev.flags = NR_F_VLAN | NR_F_VLAN_HW;
		rec.ev.vlan_proto = 0x8100;
		rec.ev.vlan_tci = 10;
		CHECK_EQ(nr_sink_event(&s, &rec, sizeof(rec)), 1); /* -c 2 reached */
		CHECK_EQ(s.written, 2);
		CHECK_EQ(s.malformed, 1);
		CHECK_EQ(nr_sink_close(&s), 0);
		t_real_sys();

		const uint8_t *p = captured, *end = captured + captured_len;
		uint32_t types[8];
		int nblocks = 0;
		const uint8_t *epb[2] = { NULL, NULL };
		int nepb = 0;
		while (p + 12 <= end && nblocks < 8) {
			uint32_t len = rd32(p + 4);
			REQUIRE(len >= 12 && p + len <= end && block_ok(p, len, rd32(p)));
			types[nblocks++] = rd32(p);
			if (rd32(p) == PCAPNG_EPB && nepb < 2)
				epb[nepb++] = p;
			p += len;
		}
		CHECK(p == end);
		REQUIRE(nblocks == 5);
		CHECK_EQ(types[0], PCAPNG_SHB);
		CHECK_EQ(types[1], PCAPNG_IDB);
		CHECK_EQ(types[2], PCAPNG_IDB);
		REQUIRE(nepb == 2);
		CHECK_EQ(rd32(epb[0] + 8), 1);   /* tun0 is interface 1 */
		CHECK_EQ(rd32(epb[0] + 20), 40);
		CHECK_EQ(rd32(epb[0] + 24), 1400);
		CHECK_EQ(rd32(epb[1] + 8), 0);
		CHECK_EQ(rd32(epb[1] + 20), 44); /* tag put back */
		CHECK_EQ(rd32(epb[1] + 24), 1404);
		CHECK_EQ(epb[1][28 + 12], 0x81);
		CHECK_EQ(epb[1][28 + 15], 10);
	}
	return t_summary();
}
