/* nflux netrace: log every packet at TC ingress and egress. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "cmd_run.h"
#include "iface.h"
#include "log.h"
#include "netrace_opts.h"
#include "nr_ifwatch.h"
#include "nr_kern.h"
#include "nr_sink.h"
#include "read/reader.h"
#include "kern/sys.h"
#include "kern/caps.h"
#include "out/capture_file.h"

#define POLL_MS 50
/* perf buffer: wake at a quarter of a CPU's buffer; the poll timeout reads the rest */
#define PERF_WAKE_BYTES (64u << 10)
#define FLUSH_NS 200000000ULL       /* flush output at least this often */
#define CLOCK_REFRESH_NS 1000000000ULL

/* Append an interface unless its ifindex is already there. */
static void add_iface(struct nr_iface_ent *v, size_t *n, const struct nf_iface *f)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].ifindex == f->ifindex)
			return;
	struct nr_iface_ent *e = &v[(*n)++];
	memset(e, 0, sizeof(*e));
	e->ifindex = f->ifindex;
	memcpy(e->name, f->name, sizeof(e->name));
	e->name[sizeof(e->name) - 1] = 0;
	e->l3 = nf_iface_is_l3(f->type);
}

/* No -i: the default route's interface (every interface for --cleanup). */
static int default_ifaces(const struct nr_opts *o, struct nr_iface_ent **out, size_t *n)
{
	struct nf_iface *list = NULL, one;
	size_t cnt = 1;
	int r = o->cleanup ? nf_iface_list(&list, &cnt) : nf_iface_default(&one);
	if (r == -ENOENT) {
		nf_err("no default route: name an interface with -i");
		return -1;
	}
	if (r) {
		nf_err("%s", nf_lasterr());
		return -1;
	}
	const struct nf_iface *src = o->cleanup ? list : &one;
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	for (size_t i = 0; *out && i < cnt; i++)
		add_iface(*out, n, &src[i]);
	free(list);
	return *out ? 0 : -1;
}

/* Each -i value; "any" may find nothing up when another -i names lo. */
static int named_ifaces(const struct nr_opts *o, struct nr_iface_ent **out, size_t *n)
{
	size_t total = 0;
	for (size_t a = 0; a < o->nifaces; a++) {
		struct nf_iface *list = NULL;
		size_t cnt = 0;
		int r = nf_iface_resolve(o->ifaces[a], &list, &cnt);
		if (r == -ENODEV && !strcmp(o->ifaces[a], "any") && o->nifaces > 1)
			continue;
		if (r) {
			nf_err("%s", nf_lasterr());
			return -1;
		}
		struct nr_iface_ent *nv = realloc(*out, (total + cnt) * sizeof(*nv));
		if (!nv) {
			free(list);
			return -1;
		}
		*out = nv;
		total += cnt;
		for (size_t i = 0; i < cnt; i++)
			add_iface(*out, n, &list[i]);
		free(list);
	}
	if (*n == 0) {
		nf_err("no interface is up");
		return -1;
	}
	return 0;
}

/* *out is malloc'd (free it even on failure). 0 or -1 with the error logged. */
static int resolve_ifaces(const struct nr_opts *o, struct nr_iface_ent **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return o->nifaces ? named_ifaces(o, out, n) : default_ifaces(o, out, n);
}

static void build_config(const struct nr_opts *o, struct nr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = o->protos | NR_C_OTHER;
	if (!o->full_log)
		cfg->flags |= NR_C_RATELIM;
	if (o->wfile)
		cfg->flags |= NR_C_CAPTURE;
	cfg->interval_ns = o->interval_ns;
	cfg->snaplen = o->snaplen;
	cfg->nhosts = o->nhosts;
	memcpy(cfg->hosts, o->hosts, sizeof(cfg->hosts));
	cfg->nports = o->nports;
	memcpy(cfg->ports, o->ports, sizeof(cfg->ports));
}

static int open_output(const struct nr_opts *o)
{
	if (!o->wfile)
		return 1;
	int fd = nf_capture_open(o->wfile);
	if (fd == -ELOOP)
		nf_err("-w %s: a symbolic link (refused for captures)", o->wfile);
	else if (fd < 0)
		nf_err("-w %s: %s", o->wfile, strerror(-fd));
	return fd;
}

/* Read events until a signal, -c, or an output error. */
static int event_loop(struct nr_sink *sink, struct nf_reader *rd, struct nr_ifwatch *w)
{
	uint64_t last_flush = nr_mono_ns();
	while (!nf_stop_signal && !sink->done && !sink->ob.err) {
		int n = nf_reader_poll(rd, POLL_MS);
		if (n < 0 && n != -EINTR) {
			nf_err("reading events: %s", strerror(-n));
			return -1;
		}
		uint64_t now = nr_mono_ns();
		if (n == 0 || now - last_flush >= FLUSH_NS) {
			outbuf_flush(&sink->ob);
			last_flush = now;
		}
		nr_clock_refresh(&sink->clock, CLOCK_REFRESH_NS);
		if (nr_ifwatch_check(w, now) < 0) {
			nf_reader_drain(rd);
			return -1;
		}
	}
	if (!sink->done && !sink->ob.err)
		nf_reader_drain(rd);
	return 0;
}

static void print_summary(const struct nr_sink *sink, const struct nr_kern *k,
			  const struct nf_reader *rd)
{
	struct nr_counters c;
	if (nr_kern_counters(k, &c))
		memset(&c, 0, sizeof(c));
	uint64_t avg = nr_kern_avg_ns(k);
	fprintf(stderr, "%llu events written\n", (unsigned long long)sink->written);
	fprintf(stderr, "%llu packets seen by the programs\n", (unsigned long long)c.seen);
	fprintf(stderr, "%llu events lost (ring full)\n",
		(unsigned long long)(c.lost + (rd ? nf_reader_lost(rd) : 0)));
	fprintf(stderr, "%llu packets suppressed by the rate limit\n",
		(unsigned long long)c.ratelimited);
	fprintf(stderr, "%llu packets filtered out, %llu unparsable, %llu not IP\n",
		(unsigned long long)c.filtered, (unsigned long long)c.parse_err,
		(unsigned long long)c.not_ip);
	if (avg)
		fprintf(stderr, "%llu ns per packet on average\n", (unsigned long long)avg);
}

static int cleanup_only(const struct nr_iface_ent *ifs, size_t n)
{
	int removed = nr_kern_cleanup_stale(ifs, n);
	fprintf(stderr, "removed %d stale nflux filter%s\n", removed, removed == 1 ? "" : "s");
	return 0;
}

static enum nr_format output_format(const struct nr_opts *o)
{
	if (o->wfile)
		return NR_OUT_PCAPNG;
	return nf_log_json ? NR_OUT_JSON : NR_OUT_TEXT;
}

static int run(const struct nr_opts *o, const struct nr_iface_ent *ifs, size_t nifs)
{
	struct nr_config cfg;
	struct nr_kern k;
	struct nr_sink sink;
	struct nf_reader *rd = NULL;
	int status = 1;
	build_config(o, &cfg);
	if (!nf_caps_allow(NF_CAP(NF_CAP_BPF) | NF_CAP(NF_CAP_NET_ADMIN))) {
		nf_err("netrace needs root, or CAP_BPF and CAP_NET_ADMIN");
		return 1;
	}
	int fd = open_output(o);
	if (fd < 0)
		return 1;
	struct nr_kern_opts ko = {
		.force_perf = nf_env_switch("NFLUX_FORCE_PERF"),
		.force_netlink = nf_env_switch("NFLUX_FORCE_NETLINK"),
		.force_static_funcs = nf_env_switch("NFLUX_FORCE_STATIC_FUNCS"),
		.stats = o->stats,
		.ring_bytes = o->buffer_bytes,
		.ifs = ifs, .nifs = nifs, .ingress = o->ingress, .egress = o->egress,
	};
	if (nr_kern_load(&k, &cfg, &ko))
		goto out_fd;
	if (nr_sink_open(&sink, output_format(o), fd, ifs, nifs, cfg.snaplen, o->count)) {
		nf_err("netrace: cannot start the output: %s", strerror(-sink.ob.err));
		goto out_sink;
	}
	sink.ob.stop = &nf_stop_signal;
	rd = nf_reader_open_batched(k.events_fd, nr_kern_events_type(&k), nr_sink_event, &sink, PERF_WAKE_BYTES);
	if (!rd) {
		nf_err("netrace: opening the event reader: %s", nf_lasterr());
		goto out_sink;
	}
	nf_install_stop_signals();
	nr_kern_cleanup_stale(ifs, nifs);
	if (nr_kern_attach(&k, ifs, nifs, o->ingress, o->egress))
		goto out_reader;
	if (k.use_perf)
		nf_info("netrace on %zu interface%s (perf buffer)", nifs, nifs == 1 ? "" : "s");
	else
		nf_info("netrace on %zu interface%s (ring buffer, %u KiB)", nifs, nifs == 1 ? "" : "s",
			k.ring_size >> 10);
	struct nr_ifwatch w;
	if (nr_ifwatch_init(&w, ifs, nifs)) {
		nf_err("netrace: out of memory");
		nr_kern_detach(&k);
		goto out_reader;
	}
	status = event_loop(&sink, rd, &w) ? 1 : 0;
	nr_ifwatch_free(&w);
	nr_kern_detach(&k);
	if (sink.ob.err && sink.ob.err != -EPIPE && sink.ob.err != -EINTR) {
		nf_err("writing events: %s", strerror(-sink.ob.err));
		status = 1;
	}
out_reader:
	if (status == 0)
		print_summary(&sink, &k, rd);
	nf_reader_free(rd);
out_sink:
	nr_sink_close(&sink);
	nr_kern_close(&k);
out_fd:
	if (fd > 1)
		nf_sys->close(fd);
	return status;
}

int netrace_main(int argc, char **argv)
{
	struct nr_opts o;
	int r = nr_opts_parse(&o, argc, argv);
	if (r == 1) {
		return nf_print_help(nr_usage);
	}
	if (r < 0)
		return 1;
	struct nr_iface_ent *ifs = NULL;
	size_t nifs = 0;
	if (resolve_ifaces(&o, &ifs, &nifs)) {
		free(ifs);
		return 1;
	}
	int status = o.cleanup ? cleanup_only(ifs, nifs) : run(&o, ifs, nifs);
	free(ifs);
	return status;
}
