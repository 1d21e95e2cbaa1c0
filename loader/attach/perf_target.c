/* Where a program's section says it goes (uprobe/PATH:SYM, kprobe/FUNC,
 * tracepoint/CAT/NAME, ...): parsed (pure), then attached. */
#include "perf_int.h"
#include "log.h"
#include "parse/obj.h"
#include <errno.h>
#include <string.h>

/* n bytes of s into dst (size cap), NUL-terminated; 0, or -1 if too long. */
static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

int perf_split_sym(const char *s, char *name, size_t n, uint64_t *off)
{
	const char *plus = strchr(s, '+'), *end;

	*off = 0;
	if (!plus)
		return s[0] && !copy_part(name, n, s, strlen(s)) ? 0 : -EINVAL;
	if (plus == s || copy_part(name, n, s, (size_t)(plus - s)) ||
	    perf_parse_num(plus + 1, &end, off) || *end)
		return -EINVAL;
	return 0;
}

/* After "uprobe/": PATH:SYM, PATH:OFFSET, SYM or OFFSET (a symbol never
 * starts with a digit); the last ':' ends the path. */
static int parse_uprobe(const char *s, struct nf_perf_target *t)
{
	const char *colon = strrchr(s, ':'), *spec = s, *end;

	if (colon) {
		if (colon == s || copy_part(t->path, sizeof(t->path), s, (size_t)(colon - s)))
			return -EINVAL;
		spec = colon + 1;
	}
	if (strchr(spec, '/'))
		return -EINVAL;     /* a path without ":SYMBOL" */
	if (spec[0] >= '0' && spec[0] <= '9')
		return perf_parse_num(spec, &end, &t->off) || *end ? -EINVAL : 0;
	return perf_split_sym(spec, t->sym, sizeof(t->sym), &t->off);
}

static int parse_tracepoint(const char *s, struct nf_perf_target *t)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/') ||
	    copy_part(t->sym, sizeof(t->sym), s, (size_t)(slash - s)))
		return -EINVAL;
	return copy_part(t->name, sizeof(t->name), slash + 1, strlen(slash + 1)) ? -EINVAL : 0;
}

int nf_perf_target_parse(const char *sec, struct nf_perf_target *t)
{
	uint32_t type, attach_type;
	const char *rest;
	int r;

	memset(t, 0, sizeof(*t));
	if (nf_sec_type(sec, &type, &attach_type, &t->retprobe, &rest) ||
	    (type != BPF_PROG_TYPE_KPROBE && type != BPF_PROG_TYPE_TRACEPOINT))
		return -ENOENT;
	/* sec.c gives kprobe/ and uprobe/ one program type: the letter tells. */
	t->kind = type == BPF_PROG_TYPE_TRACEPOINT ? NF_PERF_TRACEPOINT
		  : sec[0] == 'u' ? NF_PERF_UPROBE : NF_PERF_KPROBE;
	if (t->kind == NF_PERF_UPROBE)
		r = parse_uprobe(rest, t);
	else if (t->kind == NF_PERF_KPROBE)
		r = perf_split_sym(rest, t->sym, sizeof(t->sym), &t->off);
	else
		r = parse_tracepoint(rest, t);
	if (r)
		nf_seterr("section %s: want %s", sec,
			  t->kind == NF_PERF_UPROBE ? "uprobe/[PATH:]SYMBOL[+OFF] or uprobe/[PATH:]OFFSET"
			  : t->kind == NF_PERF_KPROBE ? "kprobe/FUNCTION[+OFF]"
			  : "tracepoint/CATEGORY/NAME");
	return r;
}

static const struct nf_prog_spec *find_prog(const struct nf_bpf *b, const char *name, int *fd)
{
	for (uint32_t i = 0; b->obj && i < b->obj->nprogs; i++) {
		if (!strcmp(b->obj->progs[i].name, name)) {
			*fd = b->prog_fds[i];
			return &b->obj->progs[i];
		}
	}
	return NULL;
}

static int attach_uprobe(struct nf_perf_link *l, int fd, const struct nf_perf_target *t,
			 const char *path, const char *prog, const struct nf_perf_opts *o)
{
	if (!path[0]) {
		perf_link_init(l);
		nf_seterr("program %s: its section names no file (%s/PATH:SYMBOL): give one at run time",
			  prog, t->retprobe ? "uretprobe" : "uprobe");
		return -EINVAL;
	}
	if (t->sym[0])
		return perf_uprobe_sym(l, fd, path, t->sym, t->off, t->retprobe, o);
	return nf_uprobe_attach(l, fd, path, t->off, t->retprobe, o);
}

int nf_perf_attach_prog(struct nf_perf_link *l, const struct nf_bpf *b, const char *prog,
			const char *path, const struct nf_perf_opts *o)
{
	struct nf_perf_target t;
	int fd = -1;
	const struct nf_prog_spec *ps = find_prog(b, prog, &fd);
	int r;

	perf_link_init(l);
	if (!ps || fd < 0) {
		nf_seterr("program %s: %s", prog, ps ? "not loaded" : "no such program");
		return -ENOENT;
	}
	r = nf_perf_target_parse(ps->sec, &t);
	if (r == -ENOENT)
		nf_seterr("program %s: section %s is no uprobe, kprobe or tracepoint", prog, ps->sec);
	if (r)
		return r;
	if (t.kind == NF_PERF_UPROBE)
		return attach_uprobe(l, fd, &t, path ? path : t.path, prog, o);
	if (t.kind == NF_PERF_KPROBE)
		return nf_kprobe_attach(l, fd, t.sym, t.off, t.retprobe, o);
	return nf_tracepoint_attach(l, fd, t.sym, t.name, o);
}
