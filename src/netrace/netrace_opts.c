#include "netrace_opts.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "out/args.h"

const char nr_usage[] =
	"Usage: nflux netrace [OPTIONS]\n"
	"Log every packet at TC ingress and egress (text, JSON lines or pcapng).\n\n"
	"  -i IFACE              interface (repeatable; \"any\": all that are up);\n"
	"                        default: the interface of the default route\n"
	"  --disable-ingress     do not log received packets\n"
	"  --disable-egress      do not log sent packets\n"
	"  --disable-tcp, --disable-udp, --disable-icmp (ICMPv6 too)\n"
	"  --disable-full-log    log a flow at most once per --log-interval\n"
	"  --log-interval SECS   rate-limit interval (default 5)\n"
	"  --host ADDR[/PREFIX]  only packets from or to ADDR (repeatable, IPv4 or IPv6)\n"
	"  --port N              only TCP/UDP packets from or to port N (repeatable)\n"
	"  -c COUNT              exit after COUNT events\n"
	"  -w FILE               write pcapng to FILE (\"-\": stdout)\n"
	"  -s SNAPLEN            bytes captured per packet with -w (default 262144)\n"
	"  -B, --buffer-size N   ring buffer, in KiB as tcpdump's -B (or N with K, M:\n"
	"                        KiB, MiB), rounded up to a power of two; default\n"
	"                        1/64 of memory, 256 KiB to 4 MiB (with -w more)\n"
	"  --cleanup             remove filters left by a killed nflux, then exit\n"
	"  --stats               report the programs' average ns per packet at exit\n"
	"                        (turns on BPF_ENABLE_STATS for the whole host\n"
	"                        while netrace runs: every BPF program pays for it)\n"
	"  -h, --help            this help\n";

static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 31536000.0)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return *ns ? 0 : -1;
}

static void prefix_mask(struct nr_prefix *p, unsigned plen)
{
	uint8_t mask[16] = { 0 };
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
	uint8_t net[16];
	memcpy(net, p->net, 16);
	for (int i = 0; i < 16; i++)
		net[i] &= mask[i];
	memcpy(p->net, net, 16);
	memcpy(p->mask, mask, 16);
}

int nr_parse_prefix(const char *s, struct nr_prefix *p)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, addr, p->net) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, addr, p->net) == 1)
		p->family = 6;
	else
		return -1;
	uint64_t max = p->family == 4 ? 32 : 128, plen = max;
	if (slash && nf_arg_u64(slash + 1, max, &plen))
		return -1;
	prefix_mask(p, (unsigned)plen);
	return 0;
}

static void defaults(struct nr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ingress = o->egress = 1;
	o->protos = NR_C_TCP | NR_C_UDP | NR_C_ICMP;
	o->full_log = 1;
	o->interval_ns = 5000000000ULL;
	o->snaplen = NR_SNAP_MAX;
}

/* Flags without a value. 1 if a was one, 0 if not. */
static int take_flag(void *ctx, const char *a)
{
	struct nr_opts *o = ctx;
	static const struct { const char *name; int kind; uint32_t bit; } flags[] = {
		{ "--disable-ingress", 0, 0 }, { "--disable-egress", 1, 0 },
		{ "--disable-tcp", 2, NR_C_TCP }, { "--disable-udp", 2, NR_C_UDP },
		{ "--disable-icmp", 2, NR_C_ICMP }, { "--disable-full-log", 3, 0 },
		{ "--cleanup", 4, 0 }, { "--stats", 5, 0 },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(a, flags[i].name))
			continue;
		switch (flags[i].kind) {
		case 0: o->ingress = 0; break;
		case 1: o->egress = 0; break;
		case 2: o->protos &= ~flags[i].bit; break;
		case 3: o->full_log = 0; break;
		case 4: o->cleanup = 1; break;
		default: o->stats = 1; break;
		}
		return 1;
	}
	return 0;
}

static const char *const value_opts[] = { "-i", "-c", "-w", "-s", "--log-interval",
					  "--host", "--port", "--interface", "-B", "--buffer-size",
					  NULL };

#define BUFFER_MAX (1ull << 30)

/* -B: KiB as tcpdump reads it, or a K/M suffix. */
static int parse_buffer(const char *val, uint64_t *out)
{
	size_t n = strlen(val);
	int bare = n && val[n - 1] >= '0' && val[n - 1] <= '9';
	if (nf_arg_size(val, BUFFER_MAX, out))
		return -1;
	if (bare)
		*out <<= 10;
	return *out && *out <= BUFFER_MAX ? 0 : -1;
}

static int take_value(void *ctx, const char *opt, const char *val)
{
	struct nr_opts *o = ctx;
	uint64_t v;
	if (!strcmp(opt, "-i") || !strcmp(opt, "--interface")) {
		if (!*val)
			return nf_arg_bad(opt, val, "an interface name");
		if (o->nifaces == NR_MAX_IFACE_ARGS) {
			nf_err("too many -i options (at most %d)", NR_MAX_IFACE_ARGS);
			return -1;
		}
		o->ifaces[o->nifaces++] = val;
	} else if (!strcmp(opt, "-c")) {
		if (nf_arg_u64(val, UINT64_MAX, &v) || !v)
			return nf_arg_bad(opt, val, "a positive count");
		o->count = v;
	} else if (!strcmp(opt, "-w")) {
		if (!*val)
			return nf_arg_bad(opt, val, "a file name or -");
		o->wfile = val;
	} else if (!strcmp(opt, "-s")) {
		if (nf_arg_u64(val, UINT32_MAX, &v))
			return nf_arg_bad(opt, val, "a byte count; 0 means 262144");
		o->snaplen = v == 0 || v > NR_SNAP_MAX ? NR_SNAP_MAX : (uint32_t)v;
	} else if (!strcmp(opt, "-B") || !strcmp(opt, "--buffer-size")) {
		if (parse_buffer(val, &o->buffer_bytes))
			return nf_arg_bad(opt, val, "KiB, or a size with K or M, at most 1 GiB");
	} else if (!strcmp(opt, "--log-interval")) {
		if (parse_seconds(val, &o->interval_ns))
			return nf_arg_bad(opt, val, "seconds > 0");
	} else if (!strcmp(opt, "--host")) {
		if (o->nhosts == NR_MAX_HOSTS) {
			nf_err("too many --host options (at most %d)", NR_MAX_HOSTS);
			return -1;
		}
		if (nr_parse_prefix(val, &o->hosts[o->nhosts]))
			return nf_arg_bad(opt, val, "an IPv4 or IPv6 address, optionally /PREFIX");
		o->nhosts++;
	} else { /* --port */
		if (o->nports == NR_MAX_PORTS) {
			nf_err("too many --port options (at most %d)", NR_MAX_PORTS);
			return -1;
		}
		if (nf_arg_u64(val, 65535, &v) || !v)
			return nf_arg_bad(opt, val, "a port 1-65535");
		o->ports[o->nports++] = (uint16_t)v;
	}
	return 0;
}

static const struct nf_args nr_args = { "netrace", value_opts, take_flag, take_value };

int nr_opts_parse(struct nr_opts *o, int argc, char **argv)
{
	defaults(o);
	int r = nf_args_parse(&nr_args, o, argc, argv);
	if (r)
		return r;
	if (!o->ingress && !o->egress) {
		nf_err("--disable-ingress and --disable-egress together leave nothing to log");
		return -1;
	}
	if (!o->protos) {
		nf_err("--disable-tcp, --disable-udp and --disable-icmp together leave nothing to log");
		return -1;
	}
	return 0;
}
