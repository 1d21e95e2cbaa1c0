/* netrace formatting: RFC 5952 IPv6 text, RFC 3339 timestamps, and the
 * exact JSON and text lines for synthetic events of each protocol. */
#include <arpa/inet.h>
#include "t.h"
#include "netrace/nr_fmt.h"

static const char *ip6(const char *in, char *out, size_t cap)
{
	uint8_t a[16];
	struct strbuf b;
	if (inet_pton(AF_INET6, in, a) != 1)
		return "(bad test input)";
	sb_init(&b, out, cap);
	nf_put_ip6(&b, a);
	return sb_finish(&b) < 0 ? "(overflow)" : out;
}

static const char *ts(uint64_t ns, char *out, size_t cap)
{
	struct strbuf b;
	sb_init(&b, out, cap);
	nf_put_rfc3339(&b, ns);
	return out;
}

static struct nr_event v4_event(uint8_t proto)
{
	struct nr_event e;
	memset(&e, 0, sizeof(e));
	e.ifindex = 3;
	e.family = 4;
	e.proto = proto;
	e.ttl = 64;
	inet_pton(AF_INET, "10.0.0.1", e.saddr);
	inet_pton(AF_INET, "192.168.1.20", e.daddr);
	return e;
}

#define TS_NS 1795838706123456789ULL /* 2026-11-28T04:05:06.123456789Z */

int main(void)
{
	char out[128], line[NR_FMT_MAX];

	T_CASE("ip6 rfc5952 known answers") {
		static const char *const cases[][2] = {
			{ "2001:db8:0:0:0:0:2:1", "2001:db8::2:1" },
			{ "2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1" },
			{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
			{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
			{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
			{ "0:0:0:0:0:0:0:0", "::" },
			{ "0:0:0:0:0:0:0:1", "::1" },
			{ "1:0:0:0:0:0:0:0", "1::" },
			{ "0:0:1:0:0:0:0:0", "0:0:1::" },
			{ "fe80:0:0:0:a00:27ff:fe4e:66a1", "fe80::a00:27ff:fe4e:66a1" },
			{ "2001:DB8:0:0:0:0:0:ABCD", "2001:db8::abcd" },
			{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
			{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
			{ "1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0" },
			{ "ff02:0:0:0:0:1:ff00:1", "ff02::1:ff00:1" },
			{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			CHECK_STR(ip6(cases[i][0], out, sizeof(out)), cases[i][1]);
	}

	T_CASE("ip6 agrees with inet_ntop on random addresses") {
		/* glibc's inet_ntop follows RFC 5952 except for its IPv4-compatible
		 * forms, which need five or more leading zero groups: skipped. */
		unsigned seed = 12345;
		int compared = 0;
		for (int n = 0; n < 20000; n++) {
			uint8_t a[16];
			for (int g = 0; g < 8; g++) {
				seed = seed * 1103515245u + 12345u;
				unsigned r = seed >> 16;
				unsigned v = (r & 3) ? 0 : (r & 4) ? (r >> 3) & 0xff : r >> 3;
				a[2 * g] = (uint8_t)(v >> 8);
				a[2 * g + 1] = (uint8_t)v;
			}
			int lead = 0;
			while (lead < 8 && !a[2 * lead] && !a[2 * lead + 1])
				lead++;
			if (lead >= 5)
				continue;
			char want[INET6_ADDRSTRLEN];
			struct strbuf b;
			inet_ntop(AF_INET6, a, want, sizeof(want));
			sb_init(&b, out, sizeof(out));
			nf_put_ip6(&b, a);
			if (strcmp(out, want)) {
				CHECK_STR(out, want);
				break;
			}
			compared++;
		}
		CHECK(compared > 10000);
	}

	T_CASE("ip6 output that does not fit is refused") {
		char small[10];
		CHECK_STR(ip6("2001:db8::1:2:3", small, sizeof(small)), "(overflow)");
	}

	T_CASE("rfc3339 timestamps") {
		CHECK_STR(ts(TS_NS, out, sizeof(out)), "2026-11-28T04:05:06.123456Z");
		CHECK_STR(ts(0, out, sizeof(out)), "1970-01-01T00:00:00.000000Z");
		CHECK_STR(ts(951868799ULL * 1000000000ULL + 999999999ULL, out, sizeof(out)),
			  "2000-02-29T23:59:59.999999Z");
		CHECK_STR(ts(4107542400ULL * 1000000000ULL + 1000, out, sizeof(out)),
			  "2100-03-01T00:00:00.000001Z");
		/* the date is kept per day: the same day, then the next */
		CHECK_STR(ts(951868798ULL * 1000000000ULL, out, sizeof(out)),
			  "2000-02-29T23:59:58.000000Z");
		CHECK_STR(ts(951868799ULL * 1000000000ULL, out, sizeof(out)),
			  "2000-02-29T23:59:59.000000Z");
		CHECK_STR(ts(951868800ULL * 1000000000ULL, out, sizeof(out)),
			  "2000-03-01T00:00:00.000000Z");
	}

	T_CASE("protocol names") {
		char num[4];
		CHECK_STR(nf_proto_name(6, num), "tcp");
		CHECK_STR(nf_proto_name(17, num), "udp");
		CHECK_STR(nf_proto_name(1, num), "icmp");
		CHECK_STR(nf_proto_name(58, num), "icmpv6");
		CHECK_STR(nf_proto_name(47, num), "47");
		CHECK_STR(nf_proto_name(255, num), "255");
	}

	T_CASE("json tcp") {
		struct nr_event e = v4_event(6);
		e.flags = NR_F_PORTS | NR_F_TCPFLAGS;
		e.sport = 43210;
		e.dport = 443;
		e.ip_len = 60;
		e.tcp_flags = NR_TCP_SYN | NR_TCP_ACK;
		int n = nr_fmt_json(line, sizeof(line), &e, "\"eth0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"eth0\",\"ifindex\":3,"
				"\"dir\":\"ingress\",\"family\":\"ipv4\",\"proto\":\"tcp\","
				"\"src\":\"10.0.0.1\",\"dst\":\"192.168.1.20\",\"sport\":43210,"
				"\"dport\":443,\"len\":60,\"ttl\":64,\"tcp_flags\":[\"SYN\",\"ACK\"]}\n");
		CHECK_EQ(n, (long long)strlen(line));
	}

	T_CASE("json tcp all flags, egress, vlan") {
		struct nr_event e = v4_event(6);
		e.dir = NR_EGRESS;
		e.flags = NR_F_PORTS | NR_F_TCPFLAGS | NR_F_VLAN;
		e.vlan_tci = 0x200a; /* priority 1, id 10 */
		e.sport = 1;
		e.dport = 2;
		e.ip_len = 40;
		e.tcp_flags = 0xff;
		nr_fmt_json(line, sizeof(line), &e, "\"eth0.10\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"eth0.10\",\"ifindex\":3,"
				"\"dir\":\"egress\",\"family\":\"ipv4\",\"proto\":\"tcp\","
				"\"src\":\"10.0.0.1\",\"dst\":\"192.168.1.20\",\"sport\":1,\"dport\":2,"
				"\"len\":40,\"ttl\":64,\"tcp_flags\":[\"FIN\",\"SYN\",\"RST\",\"PSH\","
				"\"ACK\",\"URG\",\"ECE\",\"CWR\"],\"vlan\":10}\n");
	}

	T_CASE("json udp with suppressed counts") {
		struct nr_event e = v4_event(17);
		e.flags = NR_F_PORTS;
		e.sport = 5353;
		e.dport = 53;
		e.ip_len = 28;
		e.ttl = 1;
		e.supp_pkts = 999;
		e.supp_bytes = 27972;
		nr_fmt_json(line, sizeof(line), &e, "\"veth0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"veth0\",\"ifindex\":3,"
				"\"dir\":\"ingress\",\"family\":\"ipv4\",\"proto\":\"udp\","
				"\"src\":\"10.0.0.1\",\"dst\":\"192.168.1.20\",\"sport\":5353,\"dport\":53,"
				"\"len\":28,\"ttl\":1,\"suppressed_packets\":999,"
				"\"suppressed_bytes\":27972}\n");
	}

	T_CASE("json icmp and a non-first fragment (no ports)") {
		struct nr_event e = v4_event(1);
		e.flags = NR_F_ICMP;
		e.icmp_type = 8;
		e.ip_len = 84;
		nr_fmt_json(line, sizeof(line), &e, "\"veth0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"veth0\",\"ifindex\":3,"
				"\"dir\":\"ingress\",\"family\":\"ipv4\",\"proto\":\"icmp\","
				"\"src\":\"10.0.0.1\",\"dst\":\"192.168.1.20\",\"len\":84,\"ttl\":64,"
				"\"icmp_type\":8,\"icmp_code\":0}\n");
		e = v4_event(17);
		e.flags = NR_F_FRAG;
		e.ip_len = 1500;
		nr_fmt_json(line, sizeof(line), &e, "\"veth0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"veth0\",\"ifindex\":3,"
				"\"dir\":\"ingress\",\"family\":\"ipv4\",\"proto\":\"udp\","
				"\"src\":\"10.0.0.1\",\"dst\":\"192.168.1.20\",\"len\":1500,\"ttl\":64}\n");
	}

	T_CASE("json icmpv6 and other protocols over ipv6") {
		struct nr_event e;
		memset(&e, 0, sizeof(e));
		e.ifindex = 7;
		e.family = 6;
		e.proto = 58;
		e.ttl = 255;
		e.dir = NR_EGRESS;
		e.flags = NR_F_ICMP;
		e.icmp_type = 135;
		e.ip_len = 72;
		inet_pton(AF_INET6, "fe80::1", e.saddr);
		inet_pton(AF_INET6, "ff02::1:ff00:2", e.daddr);
		nr_fmt_json(line, sizeof(line), &e, "\"wg0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"wg0\",\"ifindex\":7,"
				"\"dir\":\"egress\",\"family\":\"ipv6\",\"proto\":\"icmpv6\","
				"\"src\":\"fe80::1\",\"dst\":\"ff02::1:ff00:2\",\"len\":72,\"ttl\":255,"
				"\"icmp_type\":135,\"icmp_code\":0}\n");
		e.proto = 47;
		e.flags = 0;
		nr_fmt_json(line, sizeof(line), &e, "\"wg0\"", TS_NS);
		CHECK_STR(line, "{\"ts\":\"2026-11-28T04:05:06.123456Z\",\"iface\":\"wg0\",\"ifindex\":7,"
				"\"dir\":\"egress\",\"family\":\"ipv6\",\"proto\":\"47\","
				"\"src\":\"fe80::1\",\"dst\":\"ff02::1:ff00:2\",\"len\":72,\"ttl\":255}\n");
	}

	T_CASE("json escapes odd interface names (once, by nr_json_iface)") {
		struct nr_event e = v4_event(47);
		char name[NR_JSON_IFACE_MAX];
		nr_json_iface(name, "a\"b\\c\x01");
		CHECK_STR(name, "\"a\\\"b\\\\c\\u0001\"");
		nr_json_iface(name, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"); /* worst case fits */
		CHECK_EQ(strlen(name), 6 * 15 + 2);
		nr_json_iface(name, "a\"b\\c\x01");
		nr_fmt_json(line, sizeof(line), &e, name, TS_NS);
		CHECK(strstr(line, "\"iface\":\"a\\\"b\\\\c\\u0001\",") != NULL);
	}

	T_CASE("text lines") {
		struct nr_event e = v4_event(6);
		e.flags = NR_F_PORTS | NR_F_TCPFLAGS;
		e.sport = 43210;
		e.dport = 443;
		e.ip_len = 60;
		e.tcp_flags = NR_TCP_SYN | NR_TCP_ACK;
		nr_fmt_text(line, sizeof(line), &e, "eth0", TS_NS);
		CHECK_STR(line, "2026-11-28T04:05:06.123456Z eth0 ingress ipv4 tcp "
				"10.0.0.1.43210 > 192.168.1.20.443 flags [S.] len 60 ttl 64\n");
		e.tcp_flags = NR_TCP_FIN | NR_TCP_PSH | NR_TCP_ACK;
		e.dir = NR_EGRESS;
		e.flags |= NR_F_VLAN;
		e.vlan_tci = 10;
		e.supp_pkts = 5;
		e.supp_bytes = 300;
		nr_fmt_text(line, sizeof(line), &e, "eth0", TS_NS);
		CHECK_STR(line, "2026-11-28T04:05:06.123456Z eth0 egress ipv4 tcp "
				"10.0.0.1.43210 > 192.168.1.20.443 flags [FP.] len 60 ttl 64 vlan 10 "
				"suppressed 5 packets 300 bytes\n");
		e = v4_event(1);
		e.flags = NR_F_ICMP;
		e.icmp_type = 0;
		e.ip_len = 84;
		nr_fmt_text(line, sizeof(line), &e, "eth0", TS_NS);
		CHECK_STR(line, "2026-11-28T04:05:06.123456Z eth0 ingress ipv4 icmp "
				"10.0.0.1 > 192.168.1.20 type 0 code 0 len 84 ttl 64\n");
		e = v4_event(17);
		e.flags = NR_F_FRAG;
		e.ip_len = 1500;
		nr_fmt_text(line, sizeof(line), &e, "eth0", TS_NS);
		CHECK_STR(line, "2026-11-28T04:05:06.123456Z eth0 ingress ipv4 udp "
				"10.0.0.1 > 192.168.1.20 frag len 1500 ttl 64\n");
	}

	T_CASE("a line that does not fit is refused") {
		struct nr_event e = v4_event(6);
		CHECK_EQ(nr_fmt_json(line, 40, &e, "eth0", TS_NS), -1);
		CHECK_EQ(nr_fmt_text(line, 40, &e, "eth0", TS_NS), -1);
	}
	return t_summary();
}
