#include "tt_kern.h"
#include "tt_funcs.h"
#include "go_buildinfo.h"
#include "parse/insn.h"
#include "kern/kern_util.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_MIN (4u << 20)
#define RING_MAX (64u << 20)

/* The ring's default: 1/32 of the machine's memory, 4 to 64 MiB (a call
 * carries up to 1 MiB by default, 4 MiB at most), a power of two. */
static uint32_t default_ring(void)
{
	uint64_t share = nf_mem_total() / 32;
	uint32_t size = RING_MIN;
	while (size < RING_MAX && (uint64_t)size * 2 <= share)
		size <<= 1;
	return size;
}

uint32_t tt_kern_events_type(const struct tt_kern *k)
{
	return k->use_perf ? BPF_MAP_TYPE_PERF_EVENT_ARRAY : BPF_MAP_TYPE_RINGBUF;
}

/* Per-CPU staging sized to the CPUs; the ring (or its stand-in) sized for
 * the transport that runs. */
static int size_maps(struct tt_kern *k)
{
	struct nf_map_spec *ring = nf_obj_map(&k->obj, TT_MAP_RING);
	struct nf_map_spec *scratch = nf_obj_map(&k->obj, "tt_scratch");
	int cpus = nf_possible_cpus();
	if (!ring || !scratch)
		return -ENOENT;
	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	scratch->max_entries = (uint32_t)cpus;
	if (!k->use_perf) {
		ring->max_entries = k->opts.ring_bytes ? k->opts.ring_bytes : default_ring();
	} else if (nf_features()->ringbuf) {
		ring->max_entries = (uint32_t)nf_page_size();
	} else {
		/* No ringbuf map type: a stand-in the verifier never sees used
		 * (the branch is pruned by tt_cfg). */
		ring->type = BPF_MAP_TYPE_ARRAY;
		ring->key_size = ring->value_size = 4;
		ring->max_entries = 1;
	}
	return 0;
}

static int configure(struct tt_kern *k, struct tt_config *cfg)
{
	int r = nf_obj_parse_embedded(&k->obj, "tlstrace");
	if (r) {
		nf_err("tlstrace: %s", nf_lasterr());
		return r;
	}
	r = nf_obj_set_var(&k->obj, "tt_cfg", cfg, sizeof(*cfg));
	if (!r)
		r = size_maps(k);
	if (r)
		nf_err("tlstrace: configuring the BPF object: %s", strerror(-r));
	return r;
}

static int attach_tracepoints(struct tt_kern *k)
{
	static const char *const tps[2][2] = {
		{ TT_PROG_SYSCALL, "sys_enter" },
		{ TT_PROG_EXEC, "sched_process_exec" },
	};
	for (int i = 0; i < 2; i++) {
		int fd = nf_raw_tracepoint_open(nf_bpf_prog_fd(&k->b, tps[i][0]), tps[i][1]);
		if (fd < 0) {
			nf_err("tlstrace: raw tracepoint %s: %s", tps[i][1], strerror(-fd));
			return fd;
		}
		k->tp_fds[i] = fd;
	}
	return 0;
}

static int want_lib(const struct tt_kern *k, unsigned lib)
{
	return !k->opts.libs || (k->opts.libs & TT_LIB_BIT(lib));
}

/* The programs of the libraries this run may probe, NULL-terminated in
 * names (2 per function, 3 more): verifying the others would only cost
 * start-up time (their chunk loops take about 10 ms each). */
static const char *const *wanted_progs(const struct tt_kern *k, const char **names)
{
	if (!k->opts.libs)
		return NULL;
	size_t n = 0;
	for (uint32_t f = 0; f < TT_NFUNCS; f++) {
		const struct tt_func_info *fi = tt_func_info(f);
		if (!want_lib(k, fi->lib))
			continue;
		if (fi->entry)
			names[n++] = fi->entry;
		names[n++] = fi->ret;
	}
	names[n++] = TT_PROG_SYSCALL;
	names[n++] = TT_PROG_EXEC;
	if (want_lib(k, TT_LIB_NSS))
		names[n++] = "tt_iov_step";
	names[n] = NULL;
	return names;
}

/* PR_Writev's vectors: tt_iov_step tail-calls itself through slot 0. */
static int fill_prog_array(struct tt_kern *k)
{
	uint32_t zero = 0;
	if (!want_lib(k, TT_LIB_NSS))
		return 0;
	int map = nf_bpf_map_fd(&k->b, "tt_iov_progs");
	uint32_t prog = (uint32_t)nf_bpf_prog_fd(&k->b, "tt_iov_step");
	int r = map < 0 || (int)prog < 0 ? -ENOENT : nf_map_update(map, &zero, &prog, BPF_ANY);
	if (r)
		nf_err("tlstrace: the PR_Writev program array: %s", strerror(-r));
	return r;
}

int tt_kern_load(struct tt_kern *k, struct tt_config *cfg, const struct tt_kern_opts *o)
{
	static const struct tt_kern_opts defaults;
	memset(k, 0, sizeof(*k));
	k->tp_fds[0] = k->tp_fds[1] = -1;
	k->opts = o ? *o : defaults;
	k->use_perf = !nf_features()->ringbuf || k->opts.force_perf;
	if (k->use_perf)
		cfg->flags |= TT_C_PERF;
	int r = configure(k, cfg);
	const char *names[2 * TT_NFUNCS + 4];
	struct nf_load_opts lo = { .progs = wanted_progs(k, names) };
	if (!r && (r = nf_load(&k->b, &k->obj, &lo)))
		nf_err("tlstrace: loading the BPF programs: %s", nf_lasterr());
	if (!r) {
		k->events_fd = nf_bpf_map_fd(&k->b, k->use_perf ? TT_MAP_PERF : TT_MAP_RING);
		k->stats_fd = nf_bpf_map_fd(&k->b, TT_MAP_STATS);
		r = fill_prog_array(k);
		if (!r)
			r = attach_tracepoints(k);
	}
	if (r)
		tt_kern_close(k);
	return r;
}

static int add_probe(struct tt_kern *k, const struct nf_perf_link *l)
{
	if (k->nprobes == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		struct nf_perf_link *p = realloc(k->probes, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		k->probes = p;
		k->cap = cap;
	}
	k->probes[k->nprobes++] = *l;
	return 0;
}

/* One uprobe (or uretprobe) of prog at file offset off, kept. */
static int probe_at(struct tt_kern *k, const char *path, uint32_t f, const char *prog, uint64_t off,
		    int ret)
{
	struct nf_perf_opts po = { .pid = -1, .force_ioctl = k->opts.force_ioctl };
	struct nf_perf_link l;
	int r = nf_uprobe_attach(&l, nf_bpf_prog_fd(&k->b, prog), path, off, ret, &po);
	if (r) {
		char why[256];
		snprintf(why, sizeof(why), "%s", nf_lasterr());
		nf_seterr("%s %s in %s: %s", ret ? "uretprobe" : "uprobe", tt_func_name(f), path, why);
		return r;
	}
	if (add_probe(k, &l)) {
		nf_perf_detach(&l);
		nf_seterr("tlstrace: out of memory");
		return -ENOMEM;
	}
	return 0;
}

#define MAX_RETS 256

/* A Go function returns through uprobes on each of its RET instructions,
 * found by decoding its code: a uretprobe would replace the return
 * address on a stack that Go may move. */
static int probe_go_rets(struct tt_kern *k, const char *path, uint32_t f,
			 const struct nf_host_elf *h, const struct nf_elf_sym_info *info)
{
	uint32_t offs[MAX_RETS];
	int arch = h->machine == EM_AARCH64 ? NF_ARCH_ARM64 : NF_ARCH_X86_64;
	int n = nf_find_rets(arch, h->elf.data + info->file_off, (size_t)info->size, offs, MAX_RETS);
	if (n <= 0 || n > MAX_RETS) {
		nf_seterr("%s in %s: %s", tt_func_name(f), path,
			  n < 0 ? "an instruction tlstrace cannot decode" :
			  n == 0 ? "no RET instruction" : "too many RET instructions");
		return -ENOTSUP;
	}
	for (int i = 0; i < n; i++) {
		int r = probe_at(k, path, f, TT_PROG_GO_RET, info->file_off + offs[i], 0);
		if (r)
			return r;
	}
	return 0;
}

/* Entry and return probes of one function, all or none: an entry left
 * without its returns would fill the call maps with entries never closed. */
static int probe_func(struct tt_kern *k, const char *path, uint32_t f, const struct nf_host_elf *h,
		      const struct nf_elf_sym_info *info)
{
	const struct tt_func_info *fi = tt_func_info(f);
	size_t before = k->nprobes;
	int r = fi->entry ? probe_at(k, path, f, fi->entry, info->file_off, 0) : 0;
	if (!r)
		r = fi->go ? probe_go_rets(k, path, f, h, info)
			   : probe_at(k, path, f, fi->ret, info->file_off, 1);
	while (r && k->nprobes > before)
		nf_perf_detach(&k->probes[--k->nprobes]);
	return r;
}

/* Go reads its arguments from registers only since the register ABI. */
static int go_supported(const char *path, const struct nf_host_elf *h)
{
	size_t len = 0;
	int idx = nf_elf_find_sec(&h->elf, ".go.buildinfo");
	const uint8_t *sec = idx > 0 ? nf_elf_sec_data(&h->elf, (uint32_t)idx, &len) : NULL;
	struct tt_go_version v;
	int r = tt_go_buildinfo_version(sec, len, &v);
	if (!r && tt_go_has_regabi(&v, h->machine == EM_AARCH64))
		return 1;
	nf_info("tlstrace: %s: Go's crypto/tls not probed: %s", path,
		r == -EINVAL ? "no Go build information" :
		r ? "built by a Go older than 1.18" : "built by a Go without the register ABI");
	return 0;
}

int tt_kern_wants_file(const struct nf_host_elf *h)
{
	return tt_file_libs(h) != 0;
}

int tt_kern_probe_file(struct tt_kern *k, const char *path, const struct nf_host_elf *h)
{
	unsigned libs = tt_file_libs(h);
	if ((libs & TT_LIB_BIT(TT_LIB_GO)) && !go_supported(path, h))
		libs &= ~TT_LIB_BIT(TT_LIB_GO);
	int n = 0;
	for (uint32_t f = 0; f < TT_NFUNCS; f++) {
		struct nf_elf_sym_info info;
		if (!(libs & TT_LIB_BIT(tt_func_info(f)->lib)) ||
		    nf_host_elf_lookup(h, tt_func_name(f), &info))
			continue;
		int r = probe_func(k, path, f, h, &info);
		if (r)
			return r;
		k->libs |= TT_LIB_BIT(tt_func_info(f)->lib);
		n++;
	}
	if (n)
		k->nfiles++;
	return n;
}

int tt_kern_nss_range(const struct tt_kern *k, uint32_t tgid, uint64_t lo, uint64_t hi)
{
	int fd = nf_bpf_map_fd(&k->b, TT_MAP_NSS);
	struct tt_range rg = { lo, hi };
	if (fd < 0)
		return -ENOENT;
	if (lo < hi)
		return nf_map_update(fd, &tgid, &rg, BPF_ANY);
	int r = nf_map_delete(fd, &tgid);
	return r == -ENOENT ? 0 : r;
}

int tt_kern_counters(const struct tt_kern *k, struct tt_counters *out)
{
	uint64_t sum[sizeof(*out) / sizeof(uint64_t)]; /* every field is a __u64 */
	int r = nf_percpu_sum_u64(k->stats_fd, sum, sizeof(sum) / sizeof(sum[0]));
	memcpy(out, sum, sizeof(*out));
	return r;
}

/* Whether /proc has this task (tid of tgid), or the process when tid is 0. */
static int task_alive(uint32_t tgid, uint32_t tid)
{
	char path[64];
	if (tid)
		snprintf(path, sizeof(path), "/proc/%u/task/%u", tgid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%u", tgid);
	int fd = nf_sys->open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	nf_sys->close(fd);
	return 1;
}

/* The task a call map's key names: in tt_calls a thread (pid_tgid), in
 * tt_go_calls a goroutine of a process (tid 0: the process). */
static void key_task(const void *key, int by_thread, uint32_t *tgid, uint32_t *tid)
{
	if (by_thread) {
		uint64_t id;
		memcpy(&id, key, sizeof(id));
		*tgid = (uint32_t)(id >> 32);
		*tid = (uint32_t)id;
	} else {
		struct tt_go_key g;
		memcpy(&g, key, sizeof(g));
		*tgid = g.tgid;
		*tid = 0;
	}
}

/* Tally a call map's entries of tasks gone and alive. */
static void tally_calls(int fd, int by_thread, struct tt_open_calls *n)
{
	uint8_t key[sizeof(struct tt_go_key)], next[sizeof(struct tt_go_key)];
	size_t key_size = by_thread ? sizeof(uint64_t) : sizeof(struct tt_go_key);
	struct tt_entry e;
	const void *prev = NULL;
	for (int guard = 0; fd >= 0 && guard < (1 << 20) && nf_map_next_key(fd, prev, next) == 0;
	     guard++) {
		memcpy(key, next, key_size);
		prev = key;
		if (nf_map_lookup(fd, key, &e) < 0)
			continue;
		/* Go calls are kept by goroutine; tt_calls' per-thread copy of
		 * one is only the fd hint (left behind when it migrated). */
		if (by_thread && (e.func == TT_GO_WRITE || e.func == TT_GO_READ))
			continue;
		uint32_t tgid, tid;
		key_task(key, by_thread, &tgid, &tid);
		if (task_alive(tgid, tid))
			n->in_progress++;
		else
			n->gone++;
	}
}

void tt_kern_open_calls(const struct tt_kern *k, struct tt_open_calls *n)
{
	memset(n, 0, sizeof(*n));
	tally_calls(nf_bpf_map_fd(&k->b, TT_MAP_CALLS), 1, n);
	tally_calls(nf_bpf_map_fd(&k->b, TT_MAP_GO_CALLS), 0, n);
}

int tt_kern_fd_gen(const struct tt_kern *k, uint32_t tgid, int fd, uint64_t *gen)
{
	struct tt_fd_key key = { .tgid = tgid, .fd = fd };
	uint64_t epoch;
	int r = nf_map_lookup(nf_bpf_map_fd(&k->b, TT_MAP_FD_GEN), &key, gen);
	if (r < 0)
		return r;
	/* As the kernel's fd_generation: the later of the two. */
	if (nf_map_lookup(nf_bpf_map_fd(&k->b, TT_MAP_FD_EPOCH), &tgid, &epoch) == 0 && epoch > *gen)
		*gen = epoch;
	return 0;
}

uint64_t tt_kern_missed(const struct tt_kern *k)
{
	uint64_t n = 0;
	for (uint32_t i = 0; k->b.prog_fds && i < k->obj.nprogs; i++) {
		struct bpf_prog_info info;
		if (k->b.prog_fds[i] >= 0 && nf_prog_info(k->b.prog_fds[i], &info) == 0)
			n += info.recursion_misses;
	}
	return n;
}

void tt_kern_close(struct tt_kern *k)
{
	while (k->nprobes > 0)
		nf_perf_detach(&k->probes[--k->nprobes]);
	free(k->probes);
	k->probes = NULL;
	k->cap = 0;
	for (int i = 0; i < 2; i++) {
		nf_close(k->tp_fds[i]);
		k->tp_fds[i] = -1;
	}
	nf_unload(&k->b);
	nf_obj_free(&k->obj);
}
