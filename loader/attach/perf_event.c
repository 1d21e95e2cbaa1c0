/* The perf-event core every probe kind shares: open the event, put the
 * program on it (a BPF link, or the ioctl before 5.15), enable it; detach.
 * Errors in words. */
#include "perf_int.h"
#include "bpf_compat.h"
#include "kern/bpf_cmd.h"
#include "kern/kern_util.h"
#include "kern/load.h"
#include "kern/sys.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NF_ENOTSUPP 524     /* the kernel's internal "not supported", leaked by bpf() */

void perf_link_init(struct nf_perf_link *l)
{
	l->event_fd = -1;
	l->link_fd = -1;
}

int perf_fail(const char *what, int err)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", nf_lasterr());
	nf_seterr("%s: %s", what, why);
	return err;
}

static const char *err_text(int err)
{
	return err == NF_ENOTSUPP ? "Not supported" : strerror(err);
}

/* What perf_event_open's errno most likely means for this kind of probe. */
static const char *open_hint(int err, enum nf_perf_kind kind)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return " (needs CAP_PERFMON or CAP_SYS_ADMIN)";
	case ESRCH:
		return " (no such process)";
	case EOPNOTSUPP:
	case NF_ENOTSUPP:
		return " (not supported by this kernel)";
	case ENOENT:
		if (kind == NF_PERF_UPROBE)
			return " (no such file)";
		return kind == NF_PERF_KPROBE ? " (no such kernel function)" : "";
	case EINVAL:
		if (kind == NF_PERF_UPROBE)
			return " (offset outside the file or not at an instruction, or not a regular file)";
		return kind == NF_PERF_KPROBE ? " (not a function the kernel can probe, or a bad offset)" : "";
	}
	return "";
}

/* The same for putting the program on the event. */
static const char *attach_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return " (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)";
	case EINVAL:
		return " (the program's type does not fit this event)";
	case EEXIST:
		return " (the event has a program already)";
	case EOPNOTSUPP:
	case NF_ENOTSUPP:
		return " (not supported by this kernel)";
	}
	return "";
}

static int fail_step(const struct perf_probe *p, const char *step, int err, const char *hint)
{
	nf_seterr("%s: %s%s%s", p->what, step, err_text(-err), hint);
	return err;
}

static int ioctl_err(int fd, unsigned long req, unsigned long arg)
{
	return nf_sys->ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* The program onto event fd ef: a link (in *link_fd) or the ioctl. */
static int put_prog(const struct perf_probe *p, int ef, int prog_fd, int use_link, int *link_fd)
{
	if (use_link) {
		int fd = nf_link_create(prog_fd, ef, NF_BPF_PERF_EVENT);

		if (fd < 0)
			return fail_step(p, "attach (perf link): ", fd, attach_hint(-fd));
		*link_fd = fd;
		return 0;
	}
	int r = ioctl_err(ef, PERF_EVENT_IOC_SET_BPF, (unsigned long)prog_fd);

	return r ? fail_step(p, "attach (PERF_EVENT_IOC_SET_BPF): ", r, attach_hint(-r)) : 0;
}

int perf_attach(struct nf_perf_link *l, int prog_fd, struct perf_probe *p,
		const struct nf_perf_opts *o)
{
	perf_link_init(l);
	if (p->kind != NF_PERF_TRACEPOINT) {
		enum nf_pmu_kind pmu = p->kind == NF_PERF_UPROBE ? NF_PMU_UPROBE : NF_PMU_KPROBE;
		int r = perf_pmu_config(pmu, p->retprobe, &p->attr);

		if (r)
			return perf_fail(p->what, r);
	}
	p->attr.size = PERF_ATTR_SIZE_VER1;   /* config2 is the last field we set */
	p->attr.disabled = 1;                 /* enabled once the program is on it */
	/* One process (the kernel filters by its memory map, so all its
	 * threads), or all of them: pid -1 must name a CPU, yet the program
	 * still runs on every CPU. */
	pid_t pid = o && o->pid > 0 ? o->pid : -1;
	int cpu = pid > 0 ? -1 : 0;
	long ef = nf_sys->perf_event_open(&p->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	if (ef < 0) {
		int err = errno;
		return fail_step(p, "", -err, open_hint(err, p->kind));
	}
	int use_link = !(o && o->force_ioctl) && nf_features()->perf_link;
	int link_fd = -1;
	int r = put_prog(p, (int)ef, prog_fd, use_link, &link_fd);

	if (!r && (r = ioctl_err((int)ef, PERF_EVENT_IOC_ENABLE, 0)))
		fail_step(p, "enable: ", r, "");
	if (r) {
		nf_close(link_fd);
		nf_close((int)ef);
		return r;
	}
	l->event_fd = (int)ef;
	l->link_fd = link_fd;
	return 0;
}

int nf_perf_detach(struct nf_perf_link *l)
{
	int r = 0;

	/* The link holds the event: closing the link takes the program off. */
	if (l->link_fd >= 0 && nf_sys->close(l->link_fd) < 0)
		r = -errno;
	if (l->event_fd >= 0 && nf_sys->close(l->event_fd) < 0 && !r)
		r = -errno;
	perf_link_init(l);
	return r;
}
