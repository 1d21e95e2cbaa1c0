/* Kprobes and kretprobes through the kprobe PMU: the uprobe code with
 * another PMU; config1 points at the function's name, config2 is the
 * offset into it. */
#include "perf_int.h"
#include "kern/kern_util.h"
#include <inttypes.h>
#include <stdio.h>

int nf_kprobe_attach(struct nf_perf_link *l, int prog_fd, const char *func, uint64_t off,
		     int retprobe, const struct nf_perf_opts *o)
{
	char what[320];
	struct perf_probe p = { .what = what, .kind = NF_PERF_KPROBE, .retprobe = retprobe };

	if (off)
		snprintf(what, sizeof(what), "%s %s+0x%" PRIx64, retprobe ? "kretprobe" : "kprobe",
			 func, off);
	else
		snprintf(what, sizeof(what), "%s %s", retprobe ? "kretprobe" : "kprobe", func);
	p.attr.config1 = nf_ptr(func);
	p.attr.config2 = off;
	return perf_attach(l, prog_fd, &p, o);
}
