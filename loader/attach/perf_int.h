/* Internal to the perf-event attach files (perf_event.c, perf_pmu.c,
 * uprobe.c, kprobe.c, tracepoint.c, perf_target.c). */
#ifndef NF_PERF_INT_H
#define NF_PERF_INT_H
#include "perf_event.h"
#include <linux/perf_event.h>

/* One probe about to be opened. */
struct perf_probe {
	const char *what;       /* "uprobe SSL_write in /lib/libssl.so.3": how its errors start */
	enum nf_perf_kind kind;
	int retprobe;
	struct perf_event_attr attr;  /* uprobe/kprobe: config1, config2; tracepoint: type, config */
};

/* Open the event (its PMU's type and retprobe bit first, for uprobes and
 * kprobes), attach prog_fd by link or ioctl, enable it. On failure every
 * fd opened is closed. 0 or -errno, nf_lasterr() starting with p->what. */
int perf_attach(struct nf_perf_link *l, int prog_fd, struct perf_probe *p,
		const struct nf_perf_opts *o);
void perf_link_init(struct nf_perf_link *l);
/* Prefix the current nf_lasterr() with "what: "; returns err. */
int perf_fail(const char *what, int err);

/* attr->type and the retprobe bit of kind's PMU (cached reads). */
int perf_pmu_config(enum nf_pmu_kind kind, int retprobe, struct perf_event_attr *attr);

/* A uprobe off bytes into function name of path. */
int perf_uprobe_sym(struct nf_perf_link *l, int prog_fd, const char *path, const char *name,
		    uint64_t off, int retprobe, const struct nf_perf_opts *o);

/* A decimal or 0x-hex number at s; *end after it. 0 or -EINVAL (no digit,
 * overflow). */
int perf_parse_num(const char *s, const char **end, uint64_t *out);
/* A whole small file: a number (as perf_parse_num), maybe a newline. 0 or -EINVAL. */
int perf_parse_line(const char *s, uint64_t *out);
/* "name" or "name+OFF" into name (n bytes) and *off. 0 or -EINVAL. */
int perf_split_sym(const char *s, char *name, size_t n, uint64_t *off);

#endif
