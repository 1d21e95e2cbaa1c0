/* nftool: the netrace tests' traffic and inspection helper (static, runs
 * on the host and inside QEMU guests). */
#include "tool.h"
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "send", cmd_send, "crafted UDP/TCP/ICMP packets over IPv4/IPv6 (raw socket)" },
	{ "sink", cmd_sink, "count UDP datagrams arriving on a port" },
	{ "tcp-server", cmd_tcp_server, "accept one TCP connection, read to EOF, close" },
	{ "tcp-client", cmd_tcp_client, "one TCP connection: connect, send data, FIN" },
	{ "progs", cmd_progs, "list loaded BPF programs: ID TYPE NAME" },
	{ "tcx", cmd_tcx, "list tcx programs on IFACE: DIR ID NAME" },
	{ "filters", cmd_filters, "list clsact filters on IFACE" },
	{ "qdiscs", cmd_qdiscs, "list qdiscs of IFACE" },
	{ "attach-empty", cmd_attach_empty, "attach the empty TC program to IFACE until SIGINT/SIGTERM" },
	{ "probe", cmd_probe, "attach a uprobe/uretprobe/kprobe/kretprobe/tracepoint to nftool, count hits" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nftool COMMAND [OPTIONS]\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-13s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "nftool: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
