/* Command-line pieces shared by the commands: the walk over argv,
 * numbers, and the one-line error for a bad value. */
#ifndef NF_ARGS_H
#define NF_ARGS_H
#include <stdint.h>

/* A decimal number without sign, at most max. 0, or -1. */
int nf_arg_u64(const char *s, uint64_t max, uint64_t *out);
/* A byte count: decimal with an optional K or M suffix (KiB, MiB; either
 * case), at most max. 0, or -1. */
int nf_arg_size(const char *s, uint64_t max, uint64_t *out);
/* A command's options, for nf_args_parse. */
struct nf_args {
	const char *cmd;                 /* named in the unknown-option error */
	/* Options with a value (NULL-terminated): "--opt V", "--opt=V", and
	 * for one-letter names "-x V" and "-xV". */
	const char *const *value_opts;
	/* 1 if a is one of the command's flags (and it was taken), else 0. */
	int (*flag)(void *o, const char *a);
	/* An option of value_opts with its value: 0, or -1 with one line
	 * logged. */
	int (*value)(void *o, const char *opt, const char *val);
};

/* Walk argv[1..] (argv[0] is the command). 0: all taken; 1: -h or --help
 * was met; -1: bad input, one line logged with nf_err (an unknown option,
 * a missing value, or what the value callback refused). */
int nf_args_parse(const struct nf_args *c, void *o, int argc, char **argv);
/* Logs "invalid value 'VAL' for OPT (WHAT)" with nf_err; returns -1. */
int nf_arg_bad(const char *opt, const char *val, const char *what);

#endif
