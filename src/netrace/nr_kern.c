#include "nr_kern.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kern/kern_util.h"
#include "log.h"
#include "nr_owner.h"

#define RING_TEXT_MIN (256u << 10)
#define RING_TEXT_MAX (4u << 20)
#define RING_CAPTURE_MAX (64u << 20)
#define RING_ASKED_MAX (1u << 30)
#define RING_RECORDS 256   /* full-size captured records the ring holds */

static uint32_t pow2_floor(uint64_t v)
{
	uint32_t p = 1;
	while ((uint64_t)p * 2 <= v && p < (1u << 31))
		p <<= 1;
	return p;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint32_t nr_ring_size(uint64_t asked, uint64_t mem, size_t page, int capture, uint32_t snaplen)
{
	if (asked) {
		uint64_t v = clamp(asked, page, RING_ASKED_MAX);
		uint32_t p = pow2_floor(v);
		return p < v ? p * 2 : p;
	}
	uint64_t share = mem ? mem / (capture ? 16 : 64) : RING_TEXT_MAX; /* unknown: as 256 MiB */
	if (!capture)
		return pow2_floor(clamp(share, RING_TEXT_MIN, RING_TEXT_MAX));
	uint64_t want = (uint64_t)(snaplen + sizeof(struct nr_event) + 8) * RING_RECORDS;
	uint64_t cap = clamp(share, RING_TEXT_MAX, RING_CAPTURE_MAX);
	uint32_t size = RING_TEXT_MAX;
	while (size < want && (uint64_t)size * 2 <= cap)
		size <<= 1;
	return size;
}

/* Size the maps for this run before load: the per-CPU scratch only when
 * capturing into the ring, a minimal ring when perf is used, the flow table
 * only with the rate limit. */
static int size_maps(struct nf_obj *obj, const struct nr_config *cfg, uint32_t ring_size)
{
	struct nf_map_spec *ring = nf_obj_map(obj, NR_MAP_RING);
	struct nf_map_spec *scratch = nf_obj_map(obj, NR_MAP_SCRATCH);
	struct nf_map_spec *flows = nf_obj_map(obj, NR_MAP_FLOWS);
	if (!ring || !scratch || !flows)
		return -ENOENT;
	int cpus = nf_possible_cpus();
	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	/* The flow table is preallocated (2.4 ms and 6 MB of kernel memory at
	 * 65536 entries); without the rate limit no program touches it. */
	if (!(cfg->flags & NR_C_RATELIM))
		flows->max_entries = (uint32_t)cpus;
	int capture = cfg->flags & NR_C_CAPTURE;
	if (cfg->flags & NR_C_PERF) {
		if (nf_features()->ringbuf) {
			ring->max_entries = (uint32_t)nf_page_size();
		} else {
			/* No ringbuf map type: a stand-in the verifier never
			 * sees used (the branch is pruned by nr_cfg). */
			ring->type = BPF_MAP_TYPE_ARRAY;
			ring->key_size = ring->value_size = 4;
			ring->max_entries = 1;
		}
	} else {
		ring->max_entries = ring_size;
	}
	if (capture && !(cfg->flags & NR_C_PERF))
		scratch->max_entries = (uint32_t)cpus;
	return 0;
}

static int lookup_fds(struct nr_kern *k)
{
	const char *ev = k->use_perf ? NR_MAP_PERF : NR_MAP_RING;
	k->events_fd = nf_bpf_map_fd(&k->b, ev);
	k->stats_fd = nf_bpf_map_fd(&k->b, NR_MAP_STATS);
	return k->events_fd < 0 || k->stats_fd < 0 ? -ENOENT : 0;
}

uint32_t nr_kern_events_type(const struct nr_kern *k)
{
	return k->use_perf ? BPF_MAP_TYPE_PERF_EVENT_ARRAY : BPF_MAP_TYPE_RINGBUF;
}

static const char *prog_name(int l3, enum nf_tc_dir dir)
{
	if (dir == NF_TC_INGRESS)
		return l3 ? NR_PROG_IN_L3 : NR_PROG_IN;
	return l3 ? NR_PROG_EG_L3 : NR_PROG_EG;
}

/* The programs the run attaches, NULL-terminated in names[5]; NULL when
 * the interfaces are not known (load all). */
static const char *const *wanted_progs(const struct nr_kern_opts *o, const char *names[5])
{
	if (!o->ifs)
		return NULL;
	int want[2][2] = { { 0 } }; /* [l3][dir] */
	for (size_t i = 0; i < o->nifs; i++) {
		want[!!o->ifs[i].l3][NF_TC_INGRESS] |= o->ingress;
		want[!!o->ifs[i].l3][NF_TC_EGRESS] |= o->egress;
	}
	size_t n = 0;
	for (int l3 = 0; l3 < 2; l3++)
		for (int dir = NF_TC_INGRESS; dir <= NF_TC_EGRESS; dir++)
			if (want[l3][dir])
				names[n++] = prog_name(l3, (enum nf_tc_dir)dir);
	names[n] = NULL;
	return names;
}

/* Parse the embedded object into k->obj and configure it for cfg. */
static int configure(struct nr_kern *k, struct nr_config *cfg)
{
	int r = nf_obj_parse_embedded(&k->obj, "netrace");
	if (r) {
		nf_err("netrace: %s", nf_lasterr());
		return r;
	}
	r = nf_obj_set_var(&k->obj, "nr_cfg", cfg, sizeof(*cfg));
	if (!k->use_perf)
		k->ring_size = nr_ring_size(k->opts.ring_bytes, nf_mem_total(), nf_page_size(),
					    !!(cfg->flags & NR_C_CAPTURE), cfg->snaplen);
	if (!r)
		r = size_maps(&k->obj, cfg, k->ring_size);
	if (r) {
		nf_err("netrace: configuring the BPF object: %s", strerror(-r));
		return r;
	}
	nf_debug("netrace: %s, ring %u KiB", k->use_perf ? "perf buffer" : "ring buffer",
		 nf_obj_map(&k->obj, NR_MAP_RING)->max_entries / 1024);
	return 0;
}

int nr_kern_load(struct nr_kern *k, struct nr_config *cfg, const struct nr_kern_opts *o)
{
	static const struct nr_kern_opts defaults;
	memset(k, 0, sizeof(*k));
	k->bpf_stats_fd = -1;
	k->opts = o ? *o : defaults;
	k->use_perf = !nf_features()->ringbuf || k->opts.force_perf;
	if (k->use_perf) {
		cfg->flags |= NR_C_PERF;
		if (cfg->snaplen > NR_PERF_SNAP_MAX)
			cfg->snaplen = NR_PERF_SNAP_MAX;
	}
	int r = configure(k, cfg);
	const char *names[5];
	struct nf_load_opts opts = {
		.progs = wanted_progs(&k->opts, names),
		.sanitize_more = k->opts.force_static_funcs ? NF_BTF_NO_GLOBAL_FUNC : 0,
	};
	if (!r && (r = nf_load(&k->b, &k->obj, &opts)))
		nf_err("netrace: loading the BPF programs: %s", nf_lasterr());
	if (!r && lookup_fds(k)) {
		nf_err("netrace: the BPF object lacks its maps");
		r = -ENOENT;
	}
	if (r) {
		nr_kern_close(k);
		return r;
	}
	if (k->opts.stats) {
		k->bpf_stats_fd = nf_enable_stats();
		if (k->bpf_stats_fd < 0)
			nf_warn("netrace: --stats: BPF run-time statistics unavailable: %s",
				strerror(-k->bpf_stats_fd));
	}
	return 0;
}

static int attach_one(struct nr_kern *k, const struct nr_iface_ent *ifc, enum nf_tc_dir dir)
{
	int fd = nf_bpf_prog_fd(&k->b, prog_name(ifc->l3, dir));
	char name[NR_FILTER_NAME_MAX];
	nr_filter_name(name, sizeof(name), dir == NF_TC_INGRESS, (long)getpid(), k->self_start);
	if (fd < 0) {
		nf_err("netrace: program %s is missing", prog_name(ifc->l3, dir));
		return -ENOENT;
	}
	struct nf_tc_link *l = &k->links[k->nlinks];
	int r = nf_tc_attach(l, ifc->ifindex, dir, fd, name, k->opts.force_netlink);
	if (r) {
		nf_err("netrace: attaching to %s %s: %s", ifc->name,
		       dir == NF_TC_INGRESS ? "ingress" : "egress", nf_lasterr());
		return r;
	}
	k->nlinks++;
	nf_debug("attached %s to %s %s (%s)", prog_name(ifc->l3, dir), ifc->name,
		 dir == NF_TC_INGRESS ? "ingress" : "egress", l->link_fd >= 0 ? "tcx" : "netlink");
	return 0;
}

int nr_kern_attach(struct nr_kern *k, const struct nr_iface_ent *ifs, size_t n, int ingress,
		   int egress)
{
	k->self_start = nr_self_start();
	k->links = calloc(2 * n + 1, sizeof(*k->links));
	if (!k->links)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = 0;
		if (ingress)
			r = attach_one(k, &ifs[i], NF_TC_INGRESS);
		if (!r && egress)
			r = attach_one(k, &ifs[i], NF_TC_EGRESS);
		if (r) {
			nr_kern_detach(k);
			return r;
		}
	}
	return 0;
}

/* Reverse order: a clsact we created is removed with the last filter. */
void nr_kern_detach(struct nr_kern *k)
{
	while (k->nlinks > 0) {
		struct nf_tc_link *l = &k->links[--k->nlinks];
		if (nf_tc_detach(l))
			nf_warn("netrace: detaching from ifindex %d: %s", l->ifindex, nf_lasterr());
	}
}

int nr_kern_counters(const struct nr_kern *k, struct nr_counters *out)
{
	uint64_t sum[sizeof(*out) / sizeof(uint64_t)]; /* every field is a __u64 */
	int r = nf_percpu_sum_u64(k->stats_fd, sum, sizeof(sum) / sizeof(sum[0]));
	memcpy(out, sum, sizeof(*out));
	return r;
}

uint64_t nr_kern_avg_ns(const struct nr_kern *k)
{
	uint64_t ns = 0, cnt = 0;
	if (k->bpf_stats_fd < 0)
		return 0;
	const char *names[] = { NR_PROG_IN, NR_PROG_EG, NR_PROG_IN_L3, NR_PROG_EG_L3 };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpf_prog_info info;
		int fd = nf_bpf_prog_fd(&k->b, names[i]);
		if (fd < 0 || nf_prog_info(fd, &info))
			continue;
		ns += info.run_time_ns;
		cnt += info.run_cnt;
	}
	return cnt ? ns / cnt : 0;
}

void nr_kern_close(struct nr_kern *k)
{
	nr_kern_detach(k);
	free(k->links);
	k->links = NULL;
	nf_close(k->bpf_stats_fd);
	k->bpf_stats_fd = -1;
	nf_unload(&k->b);
	nf_obj_free(&k->obj);
}

int nr_kern_cleanup_stale(const struct nr_iface_ent *ifs, size_t n)
{
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		int r = nf_tc_cleanup_stale(ifs[i].ifindex, NR_FILTER_PREFIX, nr_filter_owner_alive);
		if (r < 0) {
			nf_warn("netrace: looking for stale filters on %s: %s", ifs[i].name,
				nf_lasterr());
			continue;
		}
		if (r > 0)
			nf_info("removed %d stale nflux filter%s from %s (left by an earlier run)", r,
				r == 1 ? "" : "s", ifs[i].name);
		total += r;
	}
	return total;
}
