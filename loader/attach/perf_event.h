/* Programs attached through perf events: uprobes and uretprobes (the
 * uprobe PMU), kprobes and kretprobes (the kprobe PMU), tracepoints (their
 * tracefs id). One perf event per probe, opened with perf_event_open; the
 * program goes on it through a perf-event BPF link where the kernel has
 * them (5.15), else PERF_EVENT_IOC_SET_BPF. Nothing is written to
 * uprobe_events or kprobe_events: everything is held by fds, so it all goes
 * away with the process, even after SIGKILL. Every call goes through
 * nf_sys; errors name the probe, its file and symbol or offset, and why
 * (nf_lasterr()). */
#ifndef NF_PERF_EVENT_H
#define NF_PERF_EVENT_H
#include <stdint.h>
#include <sys/types.h>
#include "kern/load.h"

struct nf_perf_opts {
	pid_t pid;          /* > 0: that process only (all its threads); else every process */
	int force_ioctl;    /* PERF_EVENT_IOC_SET_BPF even where perf links exist (tests, nftool) */
};

/* One attached probe. Both fds are -1 when it is not attached. */
struct nf_perf_link {
	int event_fd;       /* the perf event */
	int link_fd;        /* the BPF link; -1 on the ioctl path */
};

/* Each attach fills l (even on failure: then both fds are -1, and every fd
 * the attempt opened is closed). o may be NULL: every process, link if
 * probed. 0 or -errno with nf_lasterr() set. */

/* A uprobe (retprobe: a uretprobe) at file_off bytes into the file path. */
int nf_uprobe_attach(struct nf_perf_link *l, int prog_fd, const char *path, uint64_t file_off,
		     int retprobe, const struct nf_perf_opts *o);
/* The same at a function of path, found in its symbol tables:
 * sym is "name" or "name+OFF" (OFF decimal or 0x hex, inside the function). */
int nf_uprobe_attach_sym(struct nf_perf_link *l, int prog_fd, const char *path, const char *sym,
			 int retprobe, const struct nf_perf_opts *o);
/* A kprobe (retprobe: a kretprobe) off bytes into kernel function func. */
int nf_kprobe_attach(struct nf_perf_link *l, int prog_fd, const char *func, uint64_t off,
		     int retprobe, const struct nf_perf_opts *o);
/* The tracepoint category/name (e.g. "sched", "sched_switch"). */
int nf_tracepoint_attach(struct nf_perf_link *l, int prog_fd, const char *category,
			 const char *name, const struct nf_perf_opts *o);

/* Attach program prog of b where its section says:
 *   uprobe/PATH:SYM  uretprobe/PATH:SYM  (SYM as above, or a file offset: 0x1a40)
 *   uprobe/SYM       uretprobe/SYM       (the file given here, at run time)
 *   kprobe/FUNC[+OFF]  kretprobe/FUNC   tracepoint/CATEGORY/NAME
 * path, if not NULL, is the file of a uprobe (it replaces the section's). */
int nf_perf_attach_prog(struct nf_perf_link *l, const struct nf_bpf *b, const char *prog,
			const char *path, const struct nf_perf_opts *o);

/* Close the link, then the event. Again, or on a failed attach: harmless.
 * 0, or the first close's -errno. */
int nf_perf_detach(struct nf_perf_link *l);

/* ---- the pieces, for tests ------------------------------------------ */

enum nf_perf_kind { NF_PERF_UPROBE, NF_PERF_KPROBE, NF_PERF_TRACEPOINT };

/* A section's target, parsed (pure). Strings are "" when absent. */
struct nf_perf_target {
	enum nf_perf_kind kind;
	int retprobe;
	char path[128];     /* uprobe: the file */
	char sym[128];      /* uprobe symbol, kprobe function, tracepoint category */
	char name[128];     /* tracepoint name */
	uint64_t off;       /* uprobe without sym: file offset; else bytes into sym */
};
/* 0, -ENOENT (not a perf-event section), -EINVAL (malformed: nf_lasterr()). */
int nf_perf_target_parse(const char *sec, struct nf_perf_target *t);

/* A dynamic PMU: its perf type and the config bit that makes a return probe. */
enum nf_pmu_kind { NF_PMU_UPROBE, NF_PMU_KPROBE };
struct nf_pmu {
	int type;
	int retprobe_bit;   /* -1 when the PMU has no retprobe format */
};
/* Read from /sys/bus/event_source/devices/{uprobe,kprobe}/ once and cached,
 * a missing PMU too. 0 or -errno (nf_lasterr(): in words). */
int nf_pmu_get(enum nf_pmu_kind kind, struct nf_pmu *out);
void nf_pmu_reset(void);        /* forget the cache (tests that swap nf_sys) */
/* Pure parsers of those files: "8\n" -> 8; "config:0\n" -> 0. -EINVAL. */
int nf_pmu_parse_type(const char *s);
int nf_pmu_parse_bit(const char *s);

#endif
