/* Program loading for nf_load: relocate a copy of the instructions, then
 * BPF_PROG_LOAD, retrying without a name and with a verifier log. */
#include "load_int.h"
#include "kern_util.h"
#include "log.h"
#include "sys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_START (1u << 20)
#define LOG_MAX (1u << 28)

/* Helper ids (UAPI enum bpf_func_id) */
enum { H_PROBE_READ = 4, H_PROBE_READ_STR = 45, H_READ_USER = 112, H_READ_KERNEL = 113,
       H_READ_USER_STR = 114, H_READ_KERNEL_STR = 115 };

void nf_rewrite_probe_read(struct bpf_insn *insns, uint32_t cnt)
{
	for (uint32_t i = 0; i < cnt; i++) {
		struct bpf_insn *in = &insns[i];
		if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg != 0)
			continue;
		if (in->imm == H_READ_USER || in->imm == H_READ_KERNEL)
			in->imm = H_PROBE_READ;
		else if (in->imm == H_READ_USER_STR || in->imm == H_READ_KERNEL_STR)
			in->imm = H_PROBE_READ_STR;
	}
}

/* The CO-RE target, read once per nf_load and only when a program needs it. */
struct target {
	struct nf_btf *btf;
	int err;
};

static const struct nf_btf *target_btf(struct target *t, const struct nf_load_opts *opts)
{
	if (t->btf || t->err)
		return t->btf;
	const char *path = "/sys/kernel/btf/vmlinux";
	if (opts->target_btf) {
		t->btf = nf_btf_new(opts->target_btf, opts->target_btf_len);
		t->err = t->btf ? 0 : -EINVAL;
		path = "target BTF";
	} else {
		size_t len;
		void *data = nf_sys_read_file(path, &len, &t->err);
		if (data) {
			t->btf = nf_btf_new(data, len);
			t->err = t->btf ? 0 : -EINVAL;
			free(data);
		}
	}
	if (!t->btf)
		nf_seterr("CO-RE needs kernel BTF: %s: %s", path, strerror(-t->err));
	return t->btf;
}

/* nf_lasterr() = "program NAME: WHAT<previous nf_lasterr()>" */
static void prefix_err(const char *name, const char *what)
{
	char prev[512];
	snprintf(prev, sizeof(prev), "%s", nf_lasterr());
	nf_seterr("program %s: %s%s", name, what, prev);
}

/* Relocated copy of p's instructions, or NULL (nf_lasterr() set). */
static struct bpf_insn *prepare_insns(struct nf_bpf *b, const struct nf_prog_spec *p,
				      const struct nf_load_opts *opts,
				      const struct nf_features *f, struct target *t)
{
	struct bpf_insn *insns = malloc((p->insn_cnt ? p->insn_cnt : 1) * sizeof(*insns));
	if (!insns) {
		nf_seterr("program %s: out of memory", p->name);
		return NULL;
	}
	memcpy(insns, p->insns, p->insn_cnt * sizeof(*insns));
	if (p->ncore) {
		const struct nf_btf *target = target_btf(t, opts);
		int n = target ? nf_core_relocate(p, insns, b->obj->btf, target) : -ENOENT;
		if (n < 0) {
			prefix_err(p->name, target ? "CO-RE: " : "");
			free(insns);
			return NULL;
		}
		if (n > 0)
			nf_debug("program %s: %d CO-RE relocations failed (poisoned)", p->name, n);
	}
	if (nf_reloc_maps(p, insns, b->map_fds, b->obj->nmaps) < 0) {
		prefix_err(p->name, "map relocation: ");
		free(insns);
		return NULL;
	}
	if (!f->probe_read_user)
		nf_rewrite_probe_read(insns, p->insn_cnt);
	return insns;
}

/* What a program is loaded with; the instructions are passed alongside. */
struct load_req {
	const struct nf_prog_spec *p;
	const struct bpf_insn *insns;
	struct nf_prog_load_opts o;
};

static void fill_req(struct load_req *r, const struct nf_bpf *b, const struct nf_prog_spec *p,
		     const struct bpf_insn *insns, const struct nf_features *f)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->insns = insns;
	r->o.expected_attach_type = p->expected_attach_type;
	r->o.license = b->obj->license;
	r->o.kern_version = b->obj->kern_version;
	r->o.name = f->prog_name ? p->name : NULL;
	if (b->btf_fd >= 0 && f->func_info && p->func_info_cnt) {
		r->o.btf_fd = b->btf_fd;
		r->o.func_info = p->func_info;
		r->o.func_info_cnt = p->func_info_cnt;
		r->o.func_info_rec_size = p->func_info_rec_size;
		r->o.line_info = p->line_info;
		r->o.line_info_cnt = p->line_info_cnt;
		r->o.line_info_rec_size = p->line_info_rec_size;
	}
}

static int load_req(const struct load_req *r)
{
	return nf_prog_load(r->p->type, r->insns, r->p->insn_cnt, &r->o);
}

/* The last three lines of a verifier log, joined by " | ". */
static void log_tail(const char *log, char *out, size_t out_len)
{
	size_t end = strlen(log), start, n = 0;
	while (end && log[end - 1] == '\n')
		end--;
	int lines = 0;
	for (start = end; start > 0; start--)
		if (log[start - 1] == '\n' && ++lines == 3)
			break;
	for (size_t i = start; i < end && n + 4 < out_len; i++) {
		if (log[i] != '\n')
			out[n++] = log[i];
		else if (n && log[i + 1] != '\n')
			n += (size_t)snprintf(out + n, out_len - n, " | ");
	}
	out[n] = 0;
}

/* The whole log, a line per message (one message is capped in size). */
static void debug_log(const char *name, const char *log)
{
	if (nf_log_level < NF_LOG_DEBUG)
		return;
	nf_debug("program %s: verifier log:", name);
	for (const char *p = log; *p;) {
		size_t n = strcspn(p, "\n");
		nf_debug("  %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* Load again with a verifier log, growing it on ENOSPC; report the tail. */
static int load_with_log(struct load_req *r, int err)
{
	char *log = NULL;
	for (uint32_t size = LOG_START; size <= LOG_MAX; size *= 4) {
		char *nl = realloc(log, size);
		if (!nl)
			break;
		log = nl;
		r->o.log = log;
		r->o.log_size = size;
		int fd = load_req(r);
		if (fd >= 0) { /* e.g. a transient failure: keep the program */
			free(log);
			return fd;
		}
		err = fd;
		if (err != -ENOSPC)
			break;
	}
	char tail[320] = "";
	if (log) {
		debug_log(r->p->name, log);
		log_tail(log, tail, sizeof(tail));
	}
	nf_seterr("program %s: %s%s%s%s", r->p->name, strerror(-err), nf_memlock_hint(err),
		  tail[0] ? ": " : "", tail);
	free(log);
	return err;
}

/* At debug level, the verifier's statistics (log level 4: instructions
 * processed, states, time): what start-up spends is mostly verification. */
static int load_req_stats(struct load_req *r)
{
	if (nf_log_level < NF_LOG_DEBUG)
		return load_req(r);
	char stats[1024];
	r->o.log = stats;
	r->o.log_size = sizeof(stats);
	r->o.log_level = 4;
	int fd = load_req(r);
	r->o.log = NULL;
	r->o.log_size = r->o.log_level = 0;
	if (fd >= 0)
		for (char *line = strtok(stats, "\n"); line; line = strtok(NULL, "\n"))
			nf_debug("program %s: %s", r->p->name, line);
	return fd;
}

static int load_one(struct nf_bpf *b, const struct nf_prog_spec *p,
		    const struct bpf_insn *insns, const struct nf_features *f)
{
	struct load_req r;
	fill_req(&r, b, p, insns, f);
	int fd = load_req_stats(&r);
	if (fd == -EINVAL && r.o.name) {
		/* Older kernels reject some names. */
		r.o.name = NULL;
		fd = load_req(&r);
		if (fd < 0) /* not the name: keep it for the log run */
			r.o.name = p->name;
	}
	return fd >= 0 ? fd : load_with_log(&r, fd);
}

/* Whether opts asks for this program (every program without a list). */
static int wanted(const struct nf_load_opts *opts, const char *name)
{
	if (!opts->progs)
		return 1;
	for (const char *const *n = opts->progs; *n; n++)
		if (strcmp(*n, name) == 0)
			return 1;
	return 0;
}

int nf_load_progs(struct nf_bpf *b, const struct nf_load_opts *opts,
		  const struct nf_features *f)
{
	struct target t = { 0 };
	int err = 0;
	for (uint32_t i = 0; i < b->obj->nprogs && !err; i++) {
		const struct nf_prog_spec *p = &b->obj->progs[i];
		if (!wanted(opts, p->name))
			continue;
		struct bpf_insn *insns = prepare_insns(b, p, opts, f, &t);
		if (!insns) {
			err = -EINVAL;
			break;
		}
		int fd = load_one(b, p, insns, f);
		free(insns);
		if (fd < 0)
			err = fd;
		else
			b->prog_fds[i] = fd;
	}
	nf_btf_destroy(t.btf);
	return err;
}
