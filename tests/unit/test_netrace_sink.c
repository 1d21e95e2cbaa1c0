/* The netrace event sink in text/JSON mode: one line per record through
 * the output buffer, interface names from the table (ifN when unknown),
 * -c COUNT honoured exactly, short records skipped and counted. */
#include "t.h"
#include "fake_sys.h"
#include "netrace.h"
#include "netrace/nr_sink.h"
#include "kern/sys.h"

static char out[8192];
static size_t out_len;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	(void)fd;
	if (out_len + len >= sizeof(out))
		len = sizeof(out) - 1 - out_len;
	memcpy(out + out_len, buf, len);
	out_len += len;
	out[out_len] = 0;
	return (ssize_t)len;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct nr_event udp_event(uint32_t ifindex, uint16_t sport)
{
	struct nr_event e = {
		.ifindex = ifindex, .family = 4, .proto = 17, .ttl = 64, .ip_len = 28,
		.flags = NR_F_PORTS, .sport = sport, .dport = 53,
		.saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
	};
	return e;
}

int main(void)
{
	struct nf_sys fake;
	t_fake_sys(&fake);
	fake.write = fake_write;
	t_use_sys(&fake);
	static const struct nr_iface_ent ifs[2] = { { 4, "veth0", 0 }, { 7, "wg0", 1 } };
	struct nr_sink s;

	T_CASE("json lines, names from the table, limit honoured") {
		out_len = 0;
		REQUIRE(nr_sink_open(&s, NR_OUT_JSON, 1, ifs, 2, 0, 2) == 0);
		struct nr_event a = udp_event(7, 1000), b = udp_event(99, 1001), c = udp_event(4, 1002);
		CHECK_EQ(nr_sink_event(&s, &a, sizeof(a)), 0);
		CHECK_EQ(nr_sink_event(&s, &a, sizeof(a) - 1), 0); /* short: skipped */
		CHECK_EQ(nr_sink_event(&s, &b, sizeof(b)), 1);     /* second: limit reached */
		CHECK_EQ(nr_sink_event(&s, &c, sizeof(c)), 1);     /* nothing after the limit */
		CHECK_EQ(s.written, 2);
		CHECK_EQ(s.malformed, 1);
		CHECK_EQ(out_len, 0); /* still buffered */
		CHECK_EQ(nr_sink_close(&s), 0);
		CHECK_EQ(count_lines(out), 2);
		CHECK(strstr(out, "\"iface\":\"wg0\",\"ifindex\":7,") != NULL);
		CHECK(strstr(out, "\"iface\":\"if99\",\"ifindex\":99,") != NULL);
		CHECK(strstr(out, "\"sport\":1002") == NULL);
	}

	T_CASE("text lines") {
		out_len = 0;
		REQUIRE(nr_sink_open(&s, NR_OUT_TEXT, 1, ifs, 2, 0, 0) == 0);
		for (uint16_t i = 0; i < 10; i++) {
			struct nr_event e = udp_event(4, (uint16_t)(2000 + i));
			CHECK_EQ(nr_sink_event(&s, &e, sizeof(e)), 0);
		}
		CHECK_EQ(nr_sink_close(&s), 0);
		CHECK_EQ(count_lines(out), 10);
		CHECK(strstr(out, " veth0 ingress ipv4 udp 10.0.0.1.2009 > 10.0.0.2.53 len 28 ttl 64\n") != NULL);
	}
	T_CASE("a record 4 bytes off an 8-byte boundary, as perf buffers hand them over") {
		/* Under UBSan (the asan variant) a u64 read through the record
		 * would abort: the sink must copy the header out. */
		static uint64_t raw[64];
		uint8_t *at = (uint8_t *)raw + 12;
		struct nr_event e = udp_event(4, 3000);
		e.cap_len = 8;
		memcpy(at, &e, sizeof(e));
		memcpy(at + sizeof(e), "\x45\x00\x00\x1c\x00\x00\x00\x00", 8);
		out_len = 0;
		REQUIRE(nr_sink_open(&s, NR_OUT_JSON, 1, ifs, 2, 8, 0) == 0);
		CHECK_EQ(nr_sink_event(&s, at, sizeof(e) + 8), 0);
		CHECK_EQ(nr_sink_close(&s), 0);
		CHECK(strstr(out, "\"sport\":3000") != NULL);
		out_len = 0;
		REQUIRE(nr_sink_open(&s, NR_OUT_PCAPNG, 1, ifs, 2, 64, 0) == 0);
		CHECK_EQ(nr_sink_event(&s, at, sizeof(e) + 8), 0);
		CHECK_EQ(s.written, 1);
		CHECK_EQ(nr_sink_close(&s), 0);
	}
	t_real_sys();
	return t_summary();
}
