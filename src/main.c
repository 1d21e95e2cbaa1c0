/* nflux: entry point. Global options may stand before or after the
 * subcommand, as in the original nflux. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "log.h"

const char nf_global_usage[] =
	"Global options (before or after the subcommand):\n"
	"  --log-level LEVEL    error, warn, info (default), debug, trace\n"
	"  --log-format FORMAT  text (default) or json\n"
	"  -h, --help           this help\n"
	"  -V, --version        print the version\n";

static void usage(FILE *f)
{
	fprintf(f,
		"nflux %s: network monitor and TLS plaintext sniffer built on eBPF\n\n"
		"Usage: nflux [GLOBAL OPTIONS] <COMMAND> [OPTIONS]\n\n"
		"Commands:\n"
		"  netrace    log every packet at TC ingress and egress\n"
		"  tlstrace   capture TLS plaintext (OpenSSL) with uprobes\n\n"
		"%s\nRun 'nflux COMMAND --help' for the options of a command.\n",
		NFLUX_VERSION, nf_global_usage);
}

/* Take --log-level/--log-format (also as --opt=value) out of argv.
 * Returns the new argc, or -1 after printing an error. */
static int take_global_options(int argc, char **argv)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int is_level = strncmp(a, "--log-level", 11) == 0 && (a[11] == 0 || a[11] == '=');
		int is_format = strncmp(a, "--log-format", 12) == 0 && (a[12] == 0 || a[12] == '=');
		if (!is_level && !is_format) {
			argv[out++] = argv[i];
			continue;
		}
		const char *eq = strchr(a, '=');
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		if (!val) {
			nf_err("%s needs a value", a);
			return -1;
		}
		if (is_level ? nf_log_parse_level(val) : nf_log_parse_format(val)) {
			nf_err("invalid value '%s' for %s (%s)", val, is_level ? "--log-level" : "--log-format",
			       is_level ? "error, warn, info, debug, trace" : "text, json");
			return -1;
		}
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	argc = take_global_options(argc, argv);
	if (argc < 0)
		return 1;
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("nflux %s\n", NFLUX_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "netrace"))
		return netrace_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "tlstrace"))
		return tlstrace_main(argc - 1, argv + 1);
	nf_err("unknown command '%s' (try: nflux --help)", cmd);
	return 1;
}
