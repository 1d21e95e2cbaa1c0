/* nftool send: crafted IPv4/IPv6 packets through a raw socket that takes
 * the whole IP header (IPPROTO_RAW), so every byte is ours. */
#include "pkt.h"
#include "tool.h"
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char send_usage[] =
	"usage: nftool send udp|tcp|icmp --src ADDR --dst ADDR [--sport N] [--dport N]\n"
	"       [--count N] [--rate PPS] [--size BYTES] [--ttl N] [--flags SAFPRUEC]\n"
	"       [--seq N] [--ack N] [--type N] [--code N] [--id N]\n"
	"       [--ipopt nop|rr] [--frag] [--hbh] [--rthdr] [--ah] [--dstopt] [--dev IFACE [--vlan ID]]\n"
	"--vlan sends Ethernet frames with an inline 802.1Q tag (to broadcast) on --dev.\n";

struct send_opts {
	struct pkt_spec spec;
	unsigned long count, rate;
	const char *dev;
	int has_type;
	unsigned long vlan;        /* 0: IP raw socket; else tagged frames */
};

static int parse_flags(const char *s, uint8_t *out)
{
	static const char letters[] = "FSRPAUEC";   /* bit order of byte 13 */

	*out = 0;
	for (; *s; s++) {
		const char *p = strchr(letters, *s);

		if (!p)
			return tool_err("--flags: unknown flag '%c' (use %s)", *s, letters);
		*out |= (uint8_t)(1u << (p - letters));
	}
	return 0;
}

static int parse_proto(const char *s, struct send_opts *o)
{
	if (!strcmp(s, "udp"))
		o->spec.proto = IPPROTO_UDP;
	else if (!strcmp(s, "tcp"))
		o->spec.proto = IPPROTO_TCP;
	else if (!strcmp(s, "icmp"))
		o->spec.proto = IPPROTO_ICMP;
	else
		return tool_err("send: unknown protocol '%s'", s);
	return 0;
}

/* Numeric options: name, limit, destination. */
static int parse_number_opt(const char *name, const char *val, struct send_opts *o, int *known)
{
	struct { const char *name; unsigned long max; unsigned long v; } t[] = {
		{ "--sport", 65535, 0 }, { "--dport", 65535, 0 }, { "--count", 100000000, 0 },
		{ "--rate", 100000000, 0 }, { "--size", PKT_MAX - 100, 0 }, { "--ttl", 255, 0 },
		{ "--seq", 0xffffffffUL, 0 }, { "--ack", 0xffffffffUL, 0 }, { "--type", 255, 0 },
		{ "--code", 255, 0 }, { "--id", 0xffffffffUL, 0 }, { "--vlan", 4095, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]) && strcmp(t[i].name, name); i++)
		;
	*known = i < sizeof(t) / sizeof(t[0]);
	if (!*known)
		return 0;
	if (tool_parse_num(name, val, t[i].max, &t[i].v))
		return -1;
	switch (i) {
	case 0: o->spec.sport = (uint16_t)t[i].v; break;
	case 1: o->spec.dport = (uint16_t)t[i].v; break;
	case 2: o->count = t[i].v; break;
	case 3: o->rate = t[i].v; break;
	case 4: o->spec.payload = t[i].v; break;
	case 5: o->spec.ttl = (uint8_t)t[i].v; break;
	case 6: o->spec.seq = (uint32_t)t[i].v; break;
	case 7: o->spec.ack = (uint32_t)t[i].v; break;
	case 8: o->spec.icmp_type = (uint8_t)t[i].v; o->has_type = 1; break;
	case 9: o->spec.icmp_code = (uint8_t)t[i].v; break;
	case 10: o->spec.ip_id = (uint32_t)t[i].v; break;
	default: o->vlan = t[i].v; break;
	}
	return 0;
}

static int parse_addr_opt(const char *val, unsigned char *dst, int *family)
{
	struct tool_addr a;

	if (tool_parse_addr(val, &a))
		return -1;
	if (*family && *family != a.family)
		return tool_err("--src and --dst must be of one family");
	*family = a.family;
	memcpy(dst, a.a, 16);
	return 0;
}

static int parse_valued(const char *a, const char *v, struct send_opts *o)
{
	int known;

	if (!strcmp(a, "--src"))
		return parse_addr_opt(v, o->spec.src, &o->spec.family);
	if (!strcmp(a, "--dst"))
		return parse_addr_opt(v, o->spec.dst, &o->spec.family);
	if (!strcmp(a, "--flags"))
		return parse_flags(v, &o->spec.tcp_flags);
	if (!strcmp(a, "--dev")) {
		o->dev = v;
		return 0;
	}
	if (!strcmp(a, "--ipopt")) {
		if (strcmp(v, "nop") && strcmp(v, "rr"))
			return tool_err("--ipopt: nop or rr");
		o->spec.ipopt = !strcmp(v, "nop") ? PKT_OPT_NOP : PKT_OPT_RR;
		return 0;
	}
	if (parse_number_opt(a, v, o, &known))
		return -1;
	return known ? 0 : tool_err("send: unknown option '%s'\n%s", a, send_usage);
}

static int *flag_opt(const char *a, struct send_opts *o)
{
	return !strcmp(a, "--frag") ? &o->spec.frag : !strcmp(a, "--hbh") ? &o->spec.hbh
	       : !strcmp(a, "--rthdr") ? &o->spec.rthdr : !strcmp(a, "--ah") ? &o->spec.ah
	       : !strcmp(a, "--dstopt") ? &o->spec.dstopt : NULL;
}

static int parse_send(int argc, char **argv, struct send_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->spec.ttl = 64;
	o->spec.ip_id = 0x1234;
	o->spec.tcp_flags = 0x02;          /* SYN */
	o->spec.icmp_id = (uint16_t)getpid();
	if (argc < 2 || parse_proto(argv[1], o))
		return tool_err("%s", send_usage);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v;

		int *flag = flag_opt(a, o);

		if (flag) {
			*flag = 1;
			continue;
		}
		if (!(v = tool_optval(argc, argv, &i)) || parse_valued(a, v, o))
			return -1;
	}
	if (!o->spec.family)
		return tool_err("send: --src and --dst are required");
	if (o->spec.family == AF_INET6 && o->spec.proto == IPPROTO_ICMP)
		o->spec.proto = IPPROTO_ICMPV6;
	if (o->vlan && !o->dev)
		return tool_err("send: --vlan needs --dev");
	if (!o->has_type)
		o->spec.icmp_type = o->spec.family == AF_INET ? 8 : 128;    /* echo request */
	return 0;
}

static int open_raw(const struct send_opts *o, struct l2_target *l2)
{
	if (o->vlan) {
		memset(l2, 0, sizeof(*l2));
		memset(l2->dst_mac, 0xff, sizeof(l2->dst_mac));
		l2->vlan = (uint16_t)o->vlan;
		return l2_open(o->dev, l2);
	}
	int fd = socket(o->spec.family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		return tool_err("raw socket: %s", strerror(errno));
	if (o->dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev, (socklen_t)strlen(o->dev) + 1)) {
		tool_err("bind to %s: %s", o->dev, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Where and how packets go: an IP raw socket, or tagged frames. */
struct send_target {
	int fd;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct l2_target l2;
	int tagged;
};

/* Send one packet; a full queue (ENOBUFS) is waited out, not skipped. */
static int send_one(const struct send_target *t, const unsigned char *ip, size_t len)
{
	unsigned char frame[PKT_MAX + L2_HDR];
	const void *p = ip;
	const struct sockaddr *to = (const struct sockaddr *)&t->ss;
	socklen_t tl = t->sl;

	if (t->tagged) {
		len = l2_frame(&t->l2, ip, len, frame);
		p = frame;
		to = (const struct sockaddr *)&t->l2.sll;
		tl = sizeof(t->l2.sll);
	}
	for (int tries = 0; tries < 10000; tries++) {
		if (sendto(t->fd, p, len, 0, to, tl) == (ssize_t)len)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN)
			return tool_err("sendto: %s", strerror(errno));
		usleep(100);
	}
	return tool_err("sendto: queue stayed full");
}

static void pace(double start, unsigned long i, unsigned long rate)
{
	if (!rate)
		return;
	double wait = start + (double)i / (double)rate - tool_now();

	if (wait > 0) {
		struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

int cmd_send(int argc, char **argv)
{
	struct send_opts o;
	unsigned char b0[PKT_MAX], b1[PKT_MAX], *out[2] = { b0, b1 };
	size_t len[2];
	struct send_target t;
	struct tool_addr dst;
	unsigned long sent = 0;

	if (parse_send(argc, argv, &o))
		return 2;
	dst.family = o.spec.family;
	memcpy(dst.a, o.spec.dst, 16);
	t.sl = tool_sockaddr(&dst, 0, &t.ss);
	t.tagged = o.vlan != 0;
	t.fd = open_raw(&o, &t.l2);
	if (t.fd < 0)
		return 1;
	double start = tool_now();

	for (; sent < o.count; sent++, o.spec.ip_id++) {
		int n = pkt_build(&o.spec, out, len, PKT_MAX);

		if (n < 0) {
			tool_err("send: cannot build this packet (size or options)");
			break;
		}
		pace(start, sent, o.rate);
		if (send_one(&t, out[0], len[0]) || (n == 2 && send_one(&t, out[1], len[1])))
			break;
	}
	close(t.fd);
	printf("sent %lu in %.3f s\n", sent, tool_now() - start);
	return sent == o.count ? 0 : 1;
}
