/* Tracepoints: PERF_TYPE_TRACEPOINT with the event's id from tracefs
 * (/sys/kernel/tracing, else the older /sys/kernel/debug/tracing). Read
 * only: nothing is ever written there. */
#include "perf_int.h"
#include "kern/sys.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tracefs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

/* A category or event name: one path component, not "." or "..". */
static int name_ok(const char *s)
{
	return s[0] && s[0] != '.' && !strchr(s, '/');
}

static int read_id(const char *path, uint64_t *id)
{
	size_t len;
	int err;
	char *s = nf_sys_read_file(path, &len, &err);

	if (!s)
		return err;
	err = perf_parse_line(s, id);
	if (err)
		nf_seterr("%s is not a number", path);
	free(s);
	return err;
}

static int tracepoint_id(const char *cat, const char *name, uint64_t *id)
{
	char path[320];

	for (size_t i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs[i], cat, name);
		int r = read_id(path, id);

		if (r == -ENOENT)
			continue;
		if (r && r != -EINVAL)
			nf_seterr("%s: %s", path, strerror(-r));
		return r;
	}
	nf_seterr("no such tracepoint in %s/events or %s/events (or tracefs is not mounted)",
		  tracefs[0], tracefs[1]);
	return -ENOENT;
}

int nf_tracepoint_attach(struct nf_perf_link *l, int prog_fd, const char *category,
			 const char *name, const struct nf_perf_opts *o)
{
	char what[320];
	struct perf_probe p = { .what = what, .kind = NF_PERF_TRACEPOINT };
	uint64_t id;
	int r;

	snprintf(what, sizeof(what), "tracepoint %s/%s", category, name);
	if (!name_ok(category) || !name_ok(name)) {
		nf_seterr("bad tracepoint name");
		r = -EINVAL;
	} else {
		r = tracepoint_id(category, name, &id);
	}
	if (r) {
		perf_link_init(l);
		return perf_fail(what, r);
	}
	p.attr.type = PERF_TYPE_TRACEPOINT;
	p.attr.config = id;
	return perf_attach(l, prog_fd, &p, o);
}
