#include "args.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"

/* strtoull alone would take "-1" (as 2^64 - 1), " 5" and "+5". */
static int parse_digits(const char *s, char **end, unsigned long long *v)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno ? -1 : 0;
}

int nf_arg_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (parse_digits(s, &end, &v) || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int nf_arg_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;
	if (parse_digits(s, &end, &v))
		return -1;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	if (shift)
		end++;
	if (*end || v > max >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* argv[*i] as one of names: the name, with *val set (NULL when argv ends
 * first; *i moves past a separate value), or NULL. */
static const char *match_value(const char *const *names, int argc, char **argv, int *i,
			       const char **val)
{
	const char *a = argv[*i];
	for (int k = 0; names[k]; k++) {
		const char *name = names[k];
		size_t n = strlen(name);
		if (strncmp(a, name, n))
			continue;
		if (a[n] == 0) {
			*val = *i + 1 < argc ? argv[++*i] : NULL;
			return name;
		}
		if (n == 2 && name[1] != '-') {          /* -ieth0 */
			*val = a + 2;
			return name;
		}
		if (a[n] == '=') {
			*val = a + n + 1;
			return name;
		}
	}
	return NULL;
}

int nf_args_parse(const struct nf_args *c, void *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (c->flag(o, a))
			continue;
		const char *opt = match_value(c->value_opts, argc, argv, &i, &val);
		if (!opt) {
			nf_err("unknown option '%s' for %s (try: nflux %s --help)", a, c->cmd, c->cmd);
			return -1;
		}
		if (!val) {
			nf_err("%s needs a value", opt);
			return -1;
		}
		if (c->value(o, opt, val))
			return -1;
	}
	return 0;
}

int nf_arg_bad(const char *opt, const char *val, const char *what)
{
	nf_err("invalid value '%s' for %s (%s)", val, opt, what);
	return -1;
}
