/* nflux tlstrace command line. */
#ifndef NF_TT_OPTS_H
#define NF_TT_OPTS_H
#include <stddef.h>
#include <stdint.h>
#include "tlstrace.h"

#define TT_MAX_PATH_ARGS 64   /* --lib and --binary, each */

struct tt_opts {
	const char *openssl_path;         /* --openssl-path, or NULL */
	const char *libs[TT_MAX_PATH_ARGS];     /* --lib, pointing into argv */
	size_t nlibs;
	const char *binaries[TT_MAX_PATH_ARGS]; /* --binary, pointing into argv */
	size_t nbinaries;
	uint32_t pids[TT_MAX_PIDS];       /* -p */
	uint32_t npids;
	/* --comm, NUL-padded as tt_config.comms wants them */
	char comms[TT_MAX_COMMS][TT_COMM_LEN];
	uint32_t ncomms;
	uint64_t max_bytes;               /* --max-bytes; default TT_DEFAULT_MAX_BYTES */
	uint64_t count;                   /* -c; 0 = no limit */
	int hex;                          /* --hex: payloads as a hex dump */
	int http;                         /* 0 after --no-http */
	const char *wfile;                /* -w: pcapng of the plaintext ("-": stdout), or NULL */
};

extern const char tt_usage[];

/* Parse argv (argv[0] is "tlstrace"). 0: run; 1: help was asked for;
 * -1: bad input (one line already logged with nf_err). With no
 * --openssl-path, --lib or --binary the run loop finds the libraries. */
int tt_opts_parse(struct tt_opts *o, int argc, char **argv);

#endif
