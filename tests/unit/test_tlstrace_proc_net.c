/* The /proc/PID/net/tcp and tcp6 parser (src/tlstrace/proc_net.c): lines
 * written the way the kernel writes them, malformed and cut lines, byte
 * flips; then this machine's own tables for loopback connections the test
 * opens, against getsockname and getpeername. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tlstrace/proc_net.h"
#include "t.h"
#include "t_tcp.h"

#define TCP4_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when " \
	"retrnsmt   uid  timeout inode                                                     \n"
#define TCP6_HEADER "  sl  local_address                         remote_address                        " \
	"st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* An address as the kernel prints it: each 32-bit word of its bytes read
 * in host order, %08X; so the expected text is right on either byte order. */
static void kernel_addr(char *out, int family, const char *text)
{
	uint8_t b[16];
	int nwords = family == 4 ? 1 : 4;

	inet_pton(family == 4 ? AF_INET : AF_INET6, text, b);
	for (int w = 0; w < nwords; w++) {
		uint32_t v;
		memcpy(&v, b + 4 * w, 4);
		out += sprintf(out, "%08X", v);
	}
}

/* A whole line, fields as tcp4_seq_show and tcp6_sock_show print them. */
static const char *kernel_line(int family, const char *local, unsigned lport,
			       const char *remote, unsigned rport, unsigned state,
			       unsigned long long inode)
{
	static char line[320];
	char l[40], r[40];

	kernel_addr(l, family, local);
	kernel_addr(r, family, remote);
	snprintf(line, sizeof(line), "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX "
		 "%08X %5u %8d %llu 1 0000000000000000 20 4 30 10 -1", 3, l, lport, r, rport,
		 state, 0u, 0u, 0, 0ul, 0u, 1000u, 0, inode);
	return line;
}

static int parse_str(const char *s, int family, struct nf_pnet_sock *o)
{
	return nf_pnet_parse_line(s, strlen(s), family, o);
}

static int addr_is(const uint8_t *got, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	inet_pton(family == 4 ? AF_INET : AF_INET6, text, want);
	return !memcmp(got, want, 16);
}

/* s is a socket of family between these ends (addresses as text). */
static int sock_is(const struct nf_pnet_sock *s, int family, const char *local, unsigned lport,
		   const char *remote, unsigned rport)
{
	return s->family == family && addr_is(s->local, family, local) && s->lport == lport &&
	       addr_is(s->remote, family, remote) && s->rport == rport;
}

static void test_v4(void)
{
	struct nf_pnet_sock s;

	T_CASE("proc_net: an IPv4 line: addresses in kernel byte order, ports, state, inode") {
		REQUIRE(parse_str(kernel_line(4, "10.1.2.3", 443, "192.168.7.200", 51234, 1, 123456),
				  4, &s) == 0);
		CHECK(sock_is(&s, 4, "10.1.2.3", 443, "192.168.7.200", 51234));
		CHECK_EQ(s.v4mapped, 0);
		CHECK_EQ(s.state, 1);
		CHECK_EQ(s.inode, 123456);
	}
	T_CASE("proc_net: a line copied from a little-endian host reads 127.0.0.1") {
		static const char line[] = "   0: 0100007F:1F90 0100007F:A4B2 01 00000000:00000000 "
			"00:00000000 00000000  1000        0 98765 1 0000000000000000 20 4 30 10 -1       ";
		REQUIRE(parse_str(line, 4, &s) == 0);
		if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
			CHECK(addr_is(s.local, 4, "127.0.0.1") && addr_is(s.remote, 4, "127.0.0.1"));
		else
			CHECK(addr_is(s.local, 4, "1.0.0.127"));
		CHECK_EQ(s.lport, 8080);
		CHECK_EQ(s.rport, 0xa4b2);
		CHECK_EQ(s.inode, 98765);
	}
	T_CASE("proc_net: lower-case hex, tabs, the largest inode, no fields after it") {
		REQUIRE(parse_str("0:\t0100007f:ffff 00000000:0000 0a 0:0 0:0 0 0 0 18446744073709551615",
				  4, &s) == 0);
		CHECK_EQ(s.lport, 0xffff);
		CHECK_EQ(s.state, 0x0a);
		CHECK(s.inode == UINT64_MAX);
	}
	T_CASE("proc_net: a TIME_WAIT line has inode 0, which nf_pnet_find never matches") {
		static const char tw[] = "   5: 0100007F:1F90 0100007F:A4B2 06 00000000:00000000 "
			"03:00001770 00000000     0        0 0 3 0000000000000000\n";
		REQUIRE(parse_str(tw, 4, &s) == 0);
		CHECK_EQ(s.state, 6);
		CHECK_EQ(s.inode, 0);
		CHECK_EQ(nf_pnet_find(tw, strlen(tw), 4, 0, &s), 0);
	}
}

static void test_v6(void)
{
	struct nf_pnet_sock s;

	T_CASE("proc_net: an IPv6 line: four words per address") {
		REQUIRE(parse_str(kernel_line(6, "2001:db8::1", 443, "fe80::1234:5678:9abc:def0", 40000,
					      1, 777), 6, &s) == 0);
		CHECK(sock_is(&s, 6, "2001:db8::1", 443, "fe80::1234:5678:9abc:def0", 40000));
		CHECK_EQ(s.inode, 777);
	}
	T_CASE("proc_net: both ends IPv4-mapped: reported as IPv4") {
		REQUIRE(parse_str(kernel_line(6, "::ffff:10.0.0.1", 443, "::ffff:10.0.0.2", 5000, 1, 9),
				  6, &s) == 0);
		CHECK(sock_is(&s, 4, "10.0.0.1", 443, "10.0.0.2", 5000));
		CHECK_EQ(s.v4mapped, 1);
	}
	T_CASE("proc_net: one end mapped (a listener on ::ffff:x, or ::ffff:0:x) stays IPv6") {
		REQUIRE(parse_str(kernel_line(6, "::ffff:10.0.0.1", 443, "::", 0, 0x0a, 9), 6, &s) == 0);
		CHECK(sock_is(&s, 6, "::ffff:10.0.0.1", 443, "::", 0));
		CHECK_EQ(s.v4mapped, 0);
		REQUIRE(parse_str(kernel_line(6, "::ffff:0:10.0.0.1", 1, "::ffff:10.0.0.2", 2, 1, 9),
				  6, &s) == 0);
		CHECK_EQ(s.family, 6);
	}
	T_CASE("proc_net: a line of the other table is malformed") {
		CHECK_EQ(parse_str(kernel_line(4, "10.1.2.3", 1, "10.1.2.4", 2, 1, 5), 6, &s), -EINVAL);
		CHECK_EQ(parse_str(kernel_line(6, "::1", 1, "::1", 2, 1, 5), 4, &s), -EINVAL);
		CHECK_EQ(parse_str(kernel_line(4, "10.1.2.3", 1, "10.1.2.4", 2, 1, 5), 5, &s), -EINVAL);
	}
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"", " ", "garbage", TCP4_HEADER, TCP6_HEADER,
		"0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 1000 0",          /* no inode */
		"0: 0100007F:1F90 0100007F:A4B2 01",                           /* cut */
		"0: 0100007F:1F90",
		"0 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",            /* slot: no ':' */
		": 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"x: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 00100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",          /* 9 digits */
		"0: 100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",            /* 7 digits */
		"0: 0100007F:01F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",          /* port: 5 digits */
		"0: 0100007F:F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 0100007F-1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 0100007F1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 0100007G:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 0100007F:1F9G 0100007F:A4B2 01 0:0 0:0 0 0 0 5",
		"0: 0100007F:1F90 0100007F:A4B2 1 0:0 0:0 0 0 0 5",            /* state: 1 digit */
		"0: 0100007F:1F90 0100007F:A4B2 001 0:0 0:0 0 0 0 5",
		"0: 0100007F:1F90 0100007F:A4B2 0x 0:0 0:0 0 0 0 5",
		"0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 -5",          /* inode */
		"0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 12a",
		"0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 +5",
		"0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 0x5",
	};
	struct nf_pnet_sock s;

	T_CASE("proc_net: malformed lines are -EINVAL and leave *out zeroed") {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&s, 0xa5, sizeof(s));
			int err = parse_str(bad[i], 4, &s);
			if (err != -EINVAL || s.family || s.lport) {
				printf("FAIL %s: \"%s\" gave %d\n", t_case, bad[i], err);
				t_failed_in_case = 1;
			}
		}
		CHECK_EQ(nf_pnet_parse_line(NULL, 0, 4, &s), -EINVAL);
	}
	T_CASE("proc_net: an inode beyond 64 bits is -ERANGE; huge unread fields are fine") {
		CHECK_EQ(parse_str("0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 18446744073709551616",
				   4, &s), -ERANGE);
		CHECK_EQ(parse_str("0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 "
				   "999999999999999999999999999999", 4, &s), -ERANGE);
		CHECK_EQ(parse_str("99999999999999999999999: 0100007F:1F90 0100007F:A4B2 01 "
				   "FFFFFFFFFFFFFFFFFFFF:FFFFFFFFFFFFFFFFFFFF 0:0 99999999999999999999 "
				   "99999999999999999999 -99999999999999999999 5", 4, &s), 0);
		CHECK_EQ(s.inode, 5);
	}
	T_CASE("proc_net: a NUL byte inside a field is malformed") {
		char line[] = "0: 0100007F:1F90 0100007F:A4B2 01 0:0 0:0 0 0 0 5";
		size_t len = strlen(line);
		line[6] = '\0';
		CHECK_EQ(nf_pnet_parse_line(line, len, 4, &s), -EINVAL);
		line[6] = '0';
		line[len - 1] = '\0';
		CHECK_EQ(nf_pnet_parse_line(line, len, 4, &s), -EINVAL);
	}
	T_CASE("proc_net: every prefix of a line that stops before the inode fails") {
		const char *line = kernel_line(6, "2001:db8::1", 443, "2001:db8::2", 40000, 1, 4242);
		const char *inode = strstr(line, " 4242 ");
		REQUIRE(inode != NULL);
		for (size_t n = 0; n <= (size_t)(inode - line); n++)
			if (nf_pnet_parse_line(line, n, 6, &s) != -EINVAL) {
				printf("FAIL %s: a prefix of %zu bytes parsed\n", t_case, n);
				t_failed_in_case = 1;
			}
	}
}

static void test_find(void)
{
	char buf[2048];
	struct nf_pnet_sock s;
	int n = snprintf(buf, sizeof(buf), "%s", TCP4_HEADER);

	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\n", kernel_line(4, "10.0.0.1", 1, "10.0.0.2", 2, 1, 100));
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "junk junk junk 200\n\n");
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\n", kernel_line(4, "10.0.0.3", 3, "10.0.0.4", 4, 1, 200));
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\n", kernel_line(4, "10.0.0.5", 5, "10.0.0.6", 6, 1, 200));
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", kernel_line(4, "10.0.0.7", 7, "10.0.0.8", 8, 1, 300));

	T_CASE("proc_net: nf_pnet_find: the first well-formed line with the inode") {
		CHECK_EQ(nf_pnet_find(buf, (size_t)n, 4, 100, &s), 1);
		CHECK_EQ(s.lport, 1);
		CHECK_EQ(nf_pnet_find(buf, (size_t)n, 4, 200, &s), 1);
		CHECK_EQ(s.lport, 3);
		CHECK(addr_is(s.remote, 4, "10.0.0.4"));
	}
	T_CASE("proc_net: nf_pnet_find: absent, a last line without '\\n', empty input") {
		CHECK_EQ(nf_pnet_find(buf, (size_t)n, 4, 101, &s), 0);
		CHECK_EQ(s.inode, 0);
		CHECK_EQ(nf_pnet_find(buf, (size_t)n, 4, 300, &s), 0);   /* cut short */
		CHECK_EQ(nf_pnet_find(buf, (size_t)n, 6, 100, &s), 0);   /* wrong table */
		CHECK_EQ(nf_pnet_find(NULL, 0, 4, 100, &s), 0);
		CHECK_EQ(nf_pnet_find(buf, 0, 4, 100, &s), 0);
	}
	T_CASE("proc_net: byte flips and cuts of a table never crash") {
		uint32_t rng = 0x70726f63;
		char copy[sizeof(buf)];
		int found = 0;
		for (int round = 0; round < 4000; round++) {
			memcpy(copy, buf, (size_t)n);
			for (int k = 0; k < 3; k++) {
				rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
				copy[rng % (uint32_t)n] = (char)(rng >> 8);
			}
			found += nf_pnet_find(copy, rng % (uint32_t)(n + 1), 4, 200, &s);
		}
		CHECK(found > 0);
	}
}

/* The socket of fd in this machine's table for family, against the
 * kernel's own answer for its two ends. */
static void check_real(int fd, const char *table, int family, int mapped)
{
	struct stat st;
	struct t_end self, peer;
	struct nf_pnet_sock s;
	size_t len;
	char *text = t_read_file(table, &len);
	int found = text && !fstat(fd, &st) &&
		    nf_pnet_find(text, len, family == 4 && mapped ? 6 : family, st.st_ino, &s);

	free(text);
	CHECK(found);
	CHECK(t_tcp_end(fd, 0, &self) == 0 && t_tcp_end(fd, 1, &peer) == 0);
	if (!found)
		return;
	CHECK_EQ(s.family, family);
	CHECK_EQ(s.v4mapped, mapped);
	CHECK_EQ(s.state, 1);   /* TCP_ESTABLISHED */
	CHECK(!memcmp(s.local, self.addr, 16));
	CHECK(!memcmp(s.remote, peer.addr, 16));
	CHECK_EQ(s.lport, self.port);
	CHECK_EQ(s.rport, peer.port);
}

/* A loopback connection: its two ends, each in its own table. */
static void test_real(const char *name, int lfam, int cfam)
{
	int client, server, err = t_tcp_pair(lfam, cfam, &client, &server);
	int mapped = lfam != cfam;

	if (err) {
		t_skip(name, strerror(-err));
		return;
	}
	T_CASE(name) {
		check_real(client, cfam == AF_INET ? "/proc/self/net/tcp" : "/proc/self/net/tcp6",
			   cfam == AF_INET6 && !mapped ? 6 : 4, mapped);
		check_real(server, lfam == AF_INET ? "/proc/self/net/tcp" : "/proc/self/net/tcp6",
			   lfam == AF_INET ? 4 : 6, 0);
	}
	close(client);
	close(server);
}

int main(void)
{
	test_v4();
	test_v6();
	test_malformed();
	test_find();
	test_real("proc_net: this host: 127.0.0.1 connection, both ends", AF_INET, AF_INET);
	test_real("proc_net: this host: ::1 connection, both ends", AF_INET6, AF_INET6);
	test_real("proc_net: this host: IPv6 client to 127.0.0.1 (mapped), both ends", AF_INET, AF_INET6);
	return t_summary();
}
