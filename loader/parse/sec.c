/* Section name -> program type, expected attach type and attach target. */
#include <errno.h>
#include <string.h>
#include "bpf_compat.h"
#include "obj.h"


struct sec_def {
	const char *prefix;         /* "uprobe/": prefix with a target; "tc": exact */
	uint32_t prog_type, attach_type;
	int retprobe;
};

static const struct sec_def defs[] = {
	{ "tc", BPF_PROG_TYPE_SCHED_CLS, 0, 0 },
	{ "classifier", BPF_PROG_TYPE_SCHED_CLS, 0, 0 },
	{ "tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, NF_BPF_TCX_INGRESS, 0 },
	{ "tcx/egress", BPF_PROG_TYPE_SCHED_CLS, NF_BPF_TCX_EGRESS, 0 },
	{ "socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, 0 },
	{ "uprobe/", BPF_PROG_TYPE_KPROBE, 0, 0 },
	{ "uretprobe/", BPF_PROG_TYPE_KPROBE, 0, 1 },
	{ "kprobe/", BPF_PROG_TYPE_KPROBE, 0, 0 },
	{ "kretprobe/", BPF_PROG_TYPE_KPROBE, 0, 1 },
	{ "tracepoint/", BPF_PROG_TYPE_TRACEPOINT, 0, 0 },
	{ "raw_tracepoint/", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0 },
};

static int matches(const struct sec_def *d, const char *sec, const char **attach)
{
	size_t n = strlen(d->prefix);

	if (d->prefix[n - 1] != '/') {
		*attach = "";
		return !strcmp(sec, d->prefix);
	}
	*attach = sec + n;
	return !strncmp(sec, d->prefix, n) && sec[n] != '\0';
}

int nf_sec_type(const char *sec, uint32_t *prog_type, uint32_t *attach_type,
		int *retprobe, const char **attach)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		const char *at;
		if (!matches(&defs[i], sec, &at))
			continue;
		*prog_type = defs[i].prog_type;
		*attach_type = defs[i].attach_type;
		*retprobe = defs[i].retprobe;
		*attach = at;
		return 0;
	}
	return -ENOENT;
}
