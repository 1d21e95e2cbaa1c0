/* netrace command line: valid and invalid argv, defaults, prefixes, and
 * the exit status netrace_main gives for bad input (before any kernel
 * access). */
#include <arpa/inet.h>
#include "t.h"
#include "cmd.h"
#include "log.h"
#include "netrace/netrace_opts.h"
#include "netrace/nr_kern.h"

static int parse(struct nr_opts *o, int argc, char **argv)
{
	return nr_opts_parse(o, argc, argv);
}

#define PARSE(o, ...) ({ char *v_[] = { "netrace", __VA_ARGS__, NULL }; \
	parse(o, (int)(sizeof(v_) / sizeof(v_[0])) - 1, v_); })

static int main_status(int argc, char **argv)
{
	return netrace_main(argc, argv);
}

#define MAIN(...) ({ char *v_[] = { "netrace", __VA_ARGS__, NULL }; \
	main_status((int)(sizeof(v_) / sizeof(v_[0])) - 1, v_); })

static int prefix_is(const struct nr_prefix *p, int family, const char *net, const char *mask)
{
	uint8_t n[16] = { 0 }, m[16] = { 0 };
	int af = family == 4 ? AF_INET : AF_INET6;
	if (inet_pton(af, net, n) != 1 || inet_pton(af, mask, m) != 1)
		return 0;
	return p->family == family && !memcmp(p->net, n, 16) && !memcmp(p->mask, m, 16);
}

int main(void)
{
	struct nr_opts o;
	nf_log_level = NF_LOG_ERROR - 1; /* the errors are expected: keep quiet */

	T_CASE("defaults") {
		char *v[] = { "netrace", NULL };
		CHECK_EQ(parse(&o, 1, v), 0);
		CHECK_EQ(o.nifaces, 0);
		CHECK(o.ingress && o.egress && o.full_log && !o.cleanup && !o.stats);
		CHECK_EQ(o.protos, NR_C_TCP | NR_C_UDP | NR_C_ICMP);
		CHECK_EQ(o.interval_ns, 5000000000ULL);
		CHECK_EQ(o.snaplen, 262144);
		CHECK_EQ(o.count, 0);
		CHECK(o.wfile == NULL);
	}

	T_CASE("every option, in each spelling") {
		CHECK_EQ(PARSE(&o, "-i", "eth0", "-ieth1", "--interface=any", "--disable-ingress",
			       "--disable-tcp", "--disable-udp", "--disable-full-log",
			       "--log-interval", "2.5", "--host", "10.1.2.3/8", "--host=2001:db8::1",
			       "--port", "53", "--port=443", "-c", "1000", "-w", "-", "-s", "96",
			       "--cleanup", "--stats"), 0);
		CHECK_EQ(o.nifaces, 3);
		CHECK_STR(o.ifaces[0], "eth0");
		CHECK_STR(o.ifaces[1], "eth1");
		CHECK_STR(o.ifaces[2], "any");
		CHECK(!o.ingress && o.egress && !o.full_log && o.cleanup && o.stats);
		CHECK_EQ(o.protos, NR_C_ICMP);
		CHECK_EQ(o.interval_ns, 2500000000ULL);
		CHECK_EQ(o.nhosts, 2);
		CHECK(prefix_is(&o.hosts[0], 4, "10.0.0.0", "255.0.0.0"));
		CHECK(prefix_is(&o.hosts[1], 6, "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
		CHECK_EQ(o.nports, 2);
		CHECK_EQ(o.ports[0], 53);
		CHECK_EQ(o.ports[1], 443);
		CHECK_EQ(o.count, 1000);
		CHECK_STR(o.wfile, "-");
		CHECK_EQ(o.snaplen, 96);
	}

	T_CASE("prefixes are masked") {
		struct nr_prefix p;
		CHECK_EQ(nr_parse_prefix("192.168.77.200/20", &p), 0);
		CHECK(prefix_is(&p, 4, "192.168.64.0", "255.255.240.0"));
		CHECK_EQ(nr_parse_prefix("2001:db8:abcd:1234::1/50", &p), 0);
		CHECK(prefix_is(&p, 6, "2001:db8:abcd:0::", "ffff:ffff:ffff:c000::"));
		CHECK_EQ(nr_parse_prefix("10.0.0.1/0", &p), 0);
		CHECK(prefix_is(&p, 4, "0.0.0.0", "0.0.0.0"));
		CHECK_EQ(nr_parse_prefix("10.0.0.1/33", &p), -1);
		CHECK_EQ(nr_parse_prefix("::1/129", &p), -1);
		CHECK_EQ(nr_parse_prefix("10.0.0/8", &p), -1);
		CHECK_EQ(nr_parse_prefix("10.0.0.1/", &p), -1);
		CHECK_EQ(nr_parse_prefix("/8", &p), -1);
		CHECK_EQ(nr_parse_prefix("host.example", &p), -1);
	}

	T_CASE("snaplen 0 and oversize mean the maximum") {
		CHECK_EQ(PARSE(&o, "-s", "0"), 0);
		CHECK_EQ(o.snaplen, 262144);
		CHECK_EQ(PARSE(&o, "-s", "1000000"), 0);
		CHECK_EQ(o.snaplen, 262144);
	}

	T_CASE("-B: KiB as tcpdump's, or K and M; at most 1 GiB") {
		CHECK_EQ(PARSE(&o, "-c", "1"), 0);
		CHECK_EQ(o.buffer_bytes, 0);
		CHECK_EQ(PARSE(&o, "-B", "2048"), 0);
		CHECK_EQ(o.buffer_bytes, 2 << 20);
		CHECK_EQ(PARSE(&o, "--buffer-size", "8M"), 0);
		CHECK_EQ(o.buffer_bytes, 8 << 20);
		CHECK_EQ(PARSE(&o, "--buffer-size=512k"), 0);
		CHECK_EQ(o.buffer_bytes, 512 << 10);
		CHECK_EQ(PARSE(&o, "-B", "1048576"), 0);
		CHECK_EQ(o.buffer_bytes, 1u << 30);
		CHECK_EQ(PARSE(&o, "-B", "1048577"), -1);
		CHECK_EQ(PARSE(&o, "-B", "1025M"), -1);
		CHECK_EQ(PARSE(&o, "-B", "0"), -1);
		CHECK_EQ(PARSE(&o, "-B", "-1"), -1);
		CHECK_EQ(PARSE(&o, "-B", ""), -1);
		CHECK_EQ(PARSE(&o, "-B", "1G"), -1);
		CHECK_EQ(PARSE(&o, "-B", "99999999999999999999"), -1);
	}

	T_CASE("the ring: -B rounded up to a power of two, else a share of memory") {
		uint64_t gib = 1ull << 30;
		CHECK_EQ(nr_ring_size(3 << 20, 24 * gib, 4096, 0, 0), 4 << 20);
		CHECK_EQ(nr_ring_size(4 << 20, 128 << 20, 4096, 0, 0), 4 << 20);
		CHECK_EQ(nr_ring_size(1, 0, 4096, 0, 0), 4096);
		CHECK_EQ(nr_ring_size(1, 0, 65536, 1, 262144), 65536);
		CHECK_EQ(nr_ring_size(gib, 0, 4096, 0, 0), gib);
		CHECK_EQ(nr_ring_size(24 * gib, 24 * gib, 4096, 0, 0), gib);
		/* text and JSON: 1/64 of memory, 256 KiB to 4 MiB */
		CHECK_EQ(nr_ring_size(0, 24 * gib, 4096, 0, 0), 4 << 20);
		CHECK_EQ(nr_ring_size(0, 128 << 20, 4096, 0, 0), 2 << 20);
		CHECK_EQ(nr_ring_size(0, 100 << 20, 4096, 0, 0), 1 << 20);
		CHECK_EQ(nr_ring_size(0, 8 << 20, 4096, 0, 0), 256 << 10);
		CHECK_EQ(nr_ring_size(0, 0, 4096, 0, 0), 4 << 20);
		/* -w: 256 records of the snaplen, up to 1/16 of memory and 64 MiB */
		CHECK_EQ(nr_ring_size(0, 24 * gib, 4096, 1, 262144), 64 << 20);
		CHECK_EQ(nr_ring_size(0, 128 << 20, 4096, 1, 262144), 8 << 20);
		CHECK_EQ(nr_ring_size(0, 24 * gib, 4096, 1, 100), 4 << 20);
		CHECK_EQ(nr_ring_size(0, 16 << 20, 4096, 1, 262144), 4 << 20);
	}

	T_CASE("help") {
		CHECK_EQ(PARSE(&o, "--help"), 1);
		CHECK_EQ(PARSE(&o, "-i", "x", "-h"), 1);
	}

	T_CASE("bad input is refused") {
		CHECK_EQ(PARSE(&o, "--disable-ingress", "--disable-egress"), -1);
		CHECK_EQ(PARSE(&o, "--disable-tcp", "--disable-udp", "--disable-icmp"), -1);
		CHECK_EQ(PARSE(&o, "--log-interval", "0"), -1);
		CHECK_EQ(PARSE(&o, "--log-interval", "-1"), -1);
		CHECK_EQ(PARSE(&o, "--log-interval", "abc"), -1);
		CHECK_EQ(PARSE(&o, "--port", "0"), -1);
		CHECK_EQ(PARSE(&o, "--port", "65536"), -1);
		CHECK_EQ(PARSE(&o, "--port", "http"), -1);
		CHECK_EQ(PARSE(&o, "--host", "300.1.1.1"), -1);
		CHECK_EQ(PARSE(&o, "-c", "0"), -1);
		CHECK_EQ(PARSE(&o, "-c", "-5"), -1);
		CHECK_EQ(PARSE(&o, "-c", "12x"), -1);
		CHECK_EQ(PARSE(&o, "-s", "big"), -1);
		CHECK_EQ(PARSE(&o, "-i", ""), -1);
		CHECK_EQ(PARSE(&o, "-w", ""), -1);
		CHECK_EQ(PARSE(&o, "--bogus"), -1);
		CHECK_EQ(PARSE(&o, "extra"), -1);
		CHECK_EQ(PARSE(&o, "-c"), -1);
		CHECK_EQ(PARSE(&o, "--host"), -1);
	}

	T_CASE("too many repeated values are refused") {
		CHECK_EQ(PARSE(&o, "--port", "1", "--port", "2", "--port", "3", "--port", "4",
			       "--port", "5", "--port", "6", "--port", "7", "--port", "8"), 0);
		CHECK_EQ(PARSE(&o, "--port", "1", "--port", "2", "--port", "3", "--port", "4",
			       "--port", "5", "--port", "6", "--port", "7", "--port", "8",
			       "--port", "9"), -1);
	}

	T_CASE("netrace_main exit status for bad input and help") {
		CHECK_EQ(MAIN("--disable-ingress", "--disable-egress"), 1);
		CHECK_EQ(MAIN("--port", "x"), 1);
		CHECK_EQ(MAIN("--nonsense"), 1);
		CHECK_EQ(MAIN("--help"), 0);
	}
	return t_summary();
}
