#include "tt_opts.h"
#include <string.h>
#include "log.h"
#include "out/args.h"

/* The kernel's pid_max can be raised to 2^22 (PID_MAX_LIMIT), no more. */
#define TT_PID_LIMIT 4194304u

const char tt_usage[] =
	"Usage: nflux tlstrace [OPTIONS]\n"
	"Log the plaintext of TLS calls (OpenSSL API, through uprobes).\n\n"
	"  --openssl-path PATH   probe this libssl\n"
	"  --lib PATH            probe this TLS library (repeatable)\n"
	"  --binary PATH         probe an executable with OpenSSL or BoringSSL linked\n"
	"                        in statically (repeatable)\n"
	"                        default: the libraries found on the system and in\n"
	"                        running processes\n"
	"  -p PID                only this process (repeatable, up to 16)\n"
	"  --comm NAME           only processes with this name, 15 bytes at most\n"
	"                        (repeatable, up to 8)\n"
	"  --max-bytes N         plaintext captured per call, 1 to 4M (K and M\n"
	"                        suffixes: KiB, MiB; default 1M)\n"
	"  -c COUNT              exit after COUNT events\n"
	"  --hex                 payloads as a hex dump (text format)\n"
	"  --no-http             do not decode HTTP\n"
	"  -w FILE               write the plaintext as pcapng to FILE (\"-\": stdout),\n"
	"                        one synthetic TCP stream a connection\n"
	"  -h, --help            this help\n";

static const char *const value_opts[] = { "--openssl-path", "--lib", "--binary", "-p",
					  "--comm", "--max-bytes", "-c", "-w", NULL };

static void defaults(struct tt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_bytes = TT_DEFAULT_MAX_BYTES;
	o->http = 1;
}

/* A repeatable option's next slot, or -1 (logged) when it is full. */
static int next_slot(const char *opt, size_t used, size_t max)
{
	if (used < max)
		return 0;
	nf_err("too many %s options (at most %zu)", opt, max);
	return -1;
}

static int take_path(const char *opt, const char *val, const char **slots, size_t *n)
{
	if (!*val)
		return nf_arg_bad(opt, val, "a file name");
	if (next_slot(opt, *n, TT_MAX_PATH_ARGS))
		return -1;
	slots[(*n)++] = val;
	return 0;
}

static int take_comm(struct tt_opts *o, const char *opt, const char *val)
{
	size_t n = strlen(val);
	if (!n || n >= TT_COMM_LEN)
		return nf_arg_bad(opt, val, "a process name of 1 to 15 bytes, as the kernel keeps it");
	if (next_slot(opt, o->ncomms, TT_MAX_COMMS))
		return -1;
	memcpy(o->comms[o->ncomms++], val, n); /* the rest stays NUL */
	return 0;
}

static int take_flag(void *ctx, const char *a)
{
	struct tt_opts *o = ctx;
	if (!strcmp(a, "--hex"))
		o->hex = 1;
	else if (!strcmp(a, "--no-http"))
		o->http = 0;
	else
		return 0;
	return 1;
}

static int take_value(void *ctx, const char *opt, const char *val)
{
	struct tt_opts *o = ctx;
	uint64_t v;
	if (!strcmp(opt, "--openssl-path")) {
		if (!*val)
			return nf_arg_bad(opt, val, "a file name");
		if (o->openssl_path) {
			nf_err("--openssl-path given twice (use --lib for more libraries)");
			return -1;
		}
		o->openssl_path = val;
	} else if (!strcmp(opt, "--lib")) {
		return take_path(opt, val, o->libs, &o->nlibs);
	} else if (!strcmp(opt, "--binary")) {
		return take_path(opt, val, o->binaries, &o->nbinaries);
	} else if (!strcmp(opt, "-p")) {
		if (nf_arg_u64(val, TT_PID_LIMIT, &v) || !v)
			return nf_arg_bad(opt, val, "a process id");
		if (next_slot(opt, o->npids, TT_MAX_PIDS))
			return -1;
		o->pids[o->npids++] = (uint32_t)v;
	} else if (!strcmp(opt, "--comm")) {
		return take_comm(o, opt, val);
	} else if (!strcmp(opt, "--max-bytes")) {
		if (nf_arg_size(val, TT_MAX_BYTES, &v) || !v)
			return nf_arg_bad(opt, val, "1 to 4194304 bytes, or with K or M: 4M at most");
		o->max_bytes = v;
	} else if (!strcmp(opt, "-w")) {
		if (!*val)
			return nf_arg_bad(opt, val, "a file name, or - for stdout");
		o->wfile = val;
	} else { /* -c */
		if (nf_arg_u64(val, UINT64_MAX, &v) || !v)
			return nf_arg_bad(opt, val, "a positive count");
		o->count = v;
	}
	return 0;
}

static const struct nf_args tt_args = { "tlstrace", value_opts, take_flag, take_value };

int tt_opts_parse(struct tt_opts *o, int argc, char **argv)
{
	defaults(o);
	return nf_args_parse(&tt_args, o, argc, argv);
}
