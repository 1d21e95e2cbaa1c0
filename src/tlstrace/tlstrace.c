/* nflux tlstrace: TLS plaintext from uprobes on the libraries' read and
 * write functions. Load, find and probe the libraries, then read records,
 * assemble one event per call, resolve its connection, write it out; keep
 * probing libraries that processes load later. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "cmd_run.h"
#include "log.h"
#include "kern/caps.h"
#include "kern/sys.h"
#include "read/reader.h"
#include "out/capture_file.h"
#include "out/clock.h"
#include "out/outbuf.h"
#include "tt_asm.h"
#include "tt_discover.h"
#include "tt_fmt.h"
#include "tt_http.h"
#include "tt_kern.h"
#include "tt_funcs.h"
#include "tt_opts.h"
#include "tt_pcap.h"
#include "tt_sock.h"

#define POLL_MS 100
#define FLUSH_AT (64u << 10)
#define FLUSH_NS 200000000ULL
#define CLOCK_REFRESH_NS 10000000000ULL
/* A process that mapped code is rescanned this long after (the mapping
 * the report announced is then in place), and once more later. */
#define RESCAN_DELAY_NS 20000000ULL
#define RESCAN_AGAIN_NS 500000000ULL
#define MAX_PENDING 256

struct rescan {
	uint32_t pid;
	uint64_t due;
	int again;                 /* one more rescan after this one */
};

struct run {
	const struct tt_opts *o;
	struct tt_kern k;
	struct tt_disc *disc;      /* NULL when the files were named */
	struct tt_asm *asm_;
	struct tt_conns *conns;
	struct tt_http *http;      /* NULL with --no-http or -w */
	struct tt_pcap *pcap;      /* -w */
	int out_fd;                /* 1, or the -w file */
	struct outbuf ob;
	struct nr_clock clock;
	uint64_t written;
	int done;                  /* -c reached */
	struct rescan pending[MAX_PENDING];
	size_t npending;
};

static void swap_ends(struct tt_addr *a)
{
	uint8_t t[16];
	memcpy(t, a->src, 16);
	memcpy(a->src, a->dst, 16);
	memcpy(a->dst, t, 16);
	uint16_t p = a->sport;
	a->sport = a->dport;
	a->dport = p;
}

/* One more event out; 1 when -c is reached. */
static int count_written(struct run *r)
{
	r->written++;
	if (r->o->count && r->written >= r->o->count) {
		r->done = 1;
		return 1;
	}
	return 0;
}

static int fd_gen_now(void *ctx, uint32_t pid, int fd, uint64_t *gen)
{
	return tt_kern_fd_gen(ctx, pid, fd, gen);
}

static int on_event(void *ctx, struct tt_event *ev)
{
	struct run *r = ctx;
	uint32_t pid = (uint32_t)(ev->call->pid_tgid >> 32);
	ev->realtime_ns = nr_clock_to_real(&r->clock, ev->call->ts_ns);
	ev->lib = tt_func_lib_name(ev->call->func);
	tt_conns_lookup(r->conns, pid, ev->call->conn, ev->call->fd, ev->call->fd_gen, &ev->conn_id,
			&ev->fd, &ev->addr);
	if (ev->addr.known && !(ev->call->flags & TT_F_WRITE))
		swap_ends(&ev->addr); /* src > dst as the bytes went, as netrace shows packets */
	if (r->pcap) {
		if (tt_pcap_event(r->pcap, ev))
			return r->ob.err ? r->ob.err : -ENOMEM;
		return count_written(r);
	}
	if (r->http)
		tt_http_decode(r->http, ev);
	size_t cap = tt_fmt_size(ev->data_len, r->o->hex);
	char *p = outbuf_reserve(&r->ob, cap);
	if (!p)
		return r->ob.err ? r->ob.err : -ENOMEM;
	int n = nf_log_json ? tt_fmt_json(p, cap, ev) : tt_fmt_text(p, cap, ev, r->o->hex);
	if (n > 0)
		outbuf_commit(&r->ob, (size_t)n);
	return count_written(r);
}

static void schedule(struct run *r, uint32_t pid, uint64_t due, int again)
{
	for (size_t i = 0; i < r->npending; i++)
		if (r->pending[i].pid == pid)
			return;
	if (r->npending < MAX_PENDING)
		r->pending[r->npending++] = (struct rescan){ pid, due, again };
}

static int on_maps(void *ctx, uint32_t tgid)
{
	struct run *r = ctx;
	if (r->disc)
		schedule(r, tgid, nr_mono_ns() + RESCAN_DELAY_NS, 1);
	return 0;
}

/* Rescan the processes whose time has come. */
static void run_rescans(struct run *r)
{
	uint64_t now = nr_mono_ns();
	for (size_t i = 0; i < r->npending;) {
		struct rescan s = r->pending[i];
		if (s.due > now) {
			i++;
			continue;
		}
		r->pending[i] = r->pending[--r->npending];
		tt_disc_scan_pid(r->disc, (int)s.pid);
		if (s.again)
			schedule(r, s.pid, now + RESCAN_AGAIN_NS, 0);
	}
}

/* TT_REC_FD primes the connection cache while the process still runs;
 * the rest is assembled into events. A perf record's raw data comes padded
 * (its size word and the data end on 8 bytes). */
static int feed(void *ctx, const void *data, size_t len)
{
	struct run *r = ctx;
	struct tt_fd f;
	if (len >= sizeof(f) && len - sizeof(f) < 8 &&
	    (memcpy(&f, data, sizeof(f)), f.type == TT_REC_FD)) {
		uint64_t id;
		int fd;
		struct tt_addr a;
		tt_conns_lookup(r->conns, (uint32_t)(f.pid_tgid >> 32), f.conn, f.fd, f.gen, &id, &fd,
				&a);
		return 0;
	}
	return tt_asm_feed(r->asm_, data, len);
}

static void build_config(const struct tt_opts *o, struct tt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bytes = o->max_bytes;
	cfg->npids = o->npids;
	memcpy(cfg->pids, o->pids, sizeof(cfg->pids));
	cfg->ncomms = o->ncomms;
	memcpy(cfg->comms, o->comms, sizeof(cfg->comms));
}

/* The files named on the command line, or else every library and
 * process found. 0, or -1 with the error logged. */
/* With named files only, the libraries they hold: the programs of no
 * other are loaded. 0 (load them all) when nothing is named, or when a
 * file cannot be read: its error comes at probing. */
static unsigned add_libs(unsigned *libs, const char *path)
{
	unsigned l = tt_disc_path_libs(path);
	*libs |= l;
	return l;
}

static unsigned named_libs(const struct tt_opts *o)
{
	unsigned libs = 0;
	if (o->openssl_path && !add_libs(&libs, o->openssl_path))
		return 0;
	for (size_t i = 0; i < o->nlibs; i++)
		if (!add_libs(&libs, o->libs[i]))
			return 0;
	for (size_t i = 0; i < o->nbinaries; i++)
		if (!add_libs(&libs, o->binaries[i]))
			return 0;
	return libs;
}

static int find_and_probe(struct run *r)
{
	const struct tt_opts *o = r->o;
	struct tt_disc *d = tt_disc_new(&r->k);
	if (!d) {
		nf_err("tlstrace: out of memory");
		return -1;
	}
	int named = o->openssl_path || o->nlibs || o->nbinaries;
	int err = o->openssl_path ? tt_disc_add_path(d, "--openssl-path", o->openssl_path) : 0;
	for (size_t i = 0; !err && i < o->nlibs; i++)
		err = tt_disc_add_path(d, "--lib", o->libs[i]);
	for (size_t i = 0; !err && i < o->nbinaries; i++)
		err = tt_disc_add_path(d, "--binary", o->binaries[i]);
	if (!named) {
		tt_disc_scan_cache(d);
		unsigned before = r->k.libs;
		for (int pass = 0; pass < 2; pass++) {
			if (o->npids)
				for (uint32_t i = 0; i < o->npids; i++)
					tt_disc_scan_pid(d, (int)o->pids[i]);
			else
				tt_disc_scan_all(d);
			/* NSPR first found in a process's maps: locate NSS in
			 * the processes scanned before it. */
			if (!(~before & r->k.libs & TT_LIB_BIT(TT_LIB_NSS)))
				break;
			before = r->k.libs;
		}
		if (!r->k.nprobes) {
			nf_err("tlstrace: found no TLS library to probe (searched /etc/ld.so.cache and "
			       "the maps of %s; %zu files examined); name one with --lib or --binary",
			       o->npids ? "the given processes" : "every process", tt_disc_examined(d));
			err = -1;
		}
	}
	if (!err && named && (r->k.libs & TT_LIB_BIT(TT_LIB_NSS))) {
		/* Named files only, but NSS needs to know where each process
		 * maps libssl3: keep scanning for that. */
		tt_disc_set_named_only(d);
		tt_disc_scan_all(d);
	} else if (err || named) {
		tt_disc_free(d);
		d = NULL;
	}
	r->disc = d;
	return err ? -1 : 0;
}

static int event_loop(struct run *r, struct nf_reader *rd)
{
	uint64_t last_flush = nr_mono_ns();
	while (!nf_stop_signal && !r->done && !r->ob.err) {
		int n = nf_reader_poll(rd, POLL_MS);
		if (n < 0 && n != -EINTR && !r->done) {
			nf_err("tlstrace: reading events: %s", strerror(-n));
			return -1;
		}
		uint64_t now = nr_mono_ns();
		if (n == 0 || now - last_flush >= FLUSH_NS) {
			outbuf_flush(&r->ob);
			last_flush = now;
		}
		if (r->disc)
			run_rescans(r);
		nr_clock_refresh(&r->clock, CLOCK_REFRESH_NS);
	}
	if (!r->done && !r->ob.err)
		nf_reader_drain(rd);
	return 0;
}

static void print_summary(const struct run *r, const struct nf_reader *rd)
{
	struct tt_counters c;
	if (tt_kern_counters(&r->k, &c))
		memset(&c, 0, sizeof(c));
	const struct tt_asm_stats *s = tt_asm_stats(r->asm_);
	fprintf(stderr, "%llu events written\n", (unsigned long long)r->written);
	fprintf(stderr, "%llu calls seen, %llu bytes\n", (unsigned long long)c.calls,
		(unsigned long long)c.bytes);
	fprintf(stderr, "%llu bytes captured\n", (unsigned long long)s->bytes);
	fprintf(stderr, "%llu bytes lost: %llu ring full, %llu beyond --max-bytes, %llu dropped "
		"in userspace\n", (unsigned long long)s->missing, (unsigned long long)c.lost_ring,
		(unsigned long long)c.cut, (unsigned long long)s->dropped_bytes);
	fprintf(stderr, "%llu calls lost (ring full), %llu records lost (perf buffer)\n",
		(unsigned long long)c.lost_calls, (unsigned long long)(rd ? nf_reader_lost(rd) : 0));
	fprintf(stderr, "%llu probe hits missed by the kernel (another BPF program was running), "
		"%llu returns without their entry\n", (unsigned long long)tt_kern_missed(&r->k),
		(unsigned long long)c.no_entry);
	struct tt_open_calls open;
	tt_kern_open_calls(&r->k, &open);
	fprintf(stderr, "%llu calls never returned (their thread or process ended inside them), "
		"%llu still in progress\n", (unsigned long long)open.gone,
		(unsigned long long)open.in_progress);
	if (r->k.libs & TT_LIB_BIT(TT_LIB_NSS))
		fprintf(stderr, "%llu NSPR calls not reported: a layered fd in a process whose libssl3 "
			"was not located yet\n", (unsigned long long)c.nss_unknown);
	fprintf(stderr, "%zu files probed\n", r->k.nfiles);
}

/* stdout, or the -w file: created 0600, never through a symlink. */
static int open_output(struct run *r)
{
	const char *path = r->o->wfile;
	r->out_fd = path ? nf_capture_open(path) : 1;
	if (r->out_fd >= 0)
		return 0;
	nf_err("tlstrace: -w %s: %s", path,
	       r->out_fd == -ELOOP ? "a symbolic link (refused for captures)" : strerror(-r->out_fd));
	return -1;
}

static int start(struct run *r)
{
	struct tt_config cfg;
	build_config(r->o, &cfg);
	struct tt_kern_opts ko = {
		.force_perf = nf_env_switch("NFLUX_FORCE_PERF"),
		.force_ioctl = nf_env_switch("NFLUX_FORCE_IOCTL"),
	};
	const char *ring = getenv("NFLUX_TLSTRACE_RING_BYTES"); /* tests: a tiny ring */
	if (ring && *ring)
		ko.ring_bytes = (uint32_t)strtoul(ring, NULL, 0);
	ko.libs = named_libs(r->o);
	if (open_output(r) || tt_kern_load(&r->k, &cfg, &ko))
		return -1;
	if (find_and_probe(r))
		return -1;
	r->asm_ = tt_asm_new(0, 0, on_event, on_maps, r);
	r->conns = tt_conns_new(0);
	if (r->conns)
		tt_conns_check_gen(r->conns, fd_gen_now, &r->k);
	int want_http = r->o->http && !r->o->wfile;
	r->http = want_http ? tt_http_new(nf_log_json) : NULL;
	size_t record = r->o->wfile ? tt_pcap_record_max() : tt_fmt_size(r->o->max_bytes, r->o->hex);
	if (!r->asm_ || !r->conns || (want_http && !r->http) ||
	    outbuf_init(&r->ob, r->out_fd, FLUSH_AT, record) ||
	    (r->o->wfile && !(r->pcap = tt_pcap_new(&r->ob)))) {
		nf_err("tlstrace: out of memory");
		return -1;
	}
	r->ob.stop = &nf_stop_signal;
	nr_clock_sync(&r->clock);
	return 0;
}

static int run(const struct tt_opts *o)
{
	struct run *r = calloc(1, sizeof(*r));
	struct nf_reader *rd = NULL;
	int status = 1;
	if (!r) {
		nf_err("tlstrace: out of memory");
		return 1;
	}
	r->o = o;
	r->out_fd = -1;
	nf_install_stop_signals();
	if (start(r))
		goto out;
	rd = nf_reader_open(r->k.events_fd, tt_kern_events_type(&r->k), feed, r);
	if (!rd) {
		nf_err("tlstrace: opening the event reader: %s", nf_lasterr());
		goto out;
	}
	nf_info("tlstrace: attached %zu probes to %zu file%s (%s)", r->k.nprobes, r->k.nfiles,
		r->k.nfiles == 1 ? "" : "s", r->k.use_perf ? "perf buffer" : "ring buffer");
	status = event_loop(r, rd) ? 1 : 0;
	if (r->pcap)
		tt_pcap_close_all(r->pcap, nr_clock_to_real(&r->clock, nr_mono_ns()));
	outbuf_flush(&r->ob);
	if (r->ob.err && r->ob.err != -EPIPE && r->ob.err != -EINTR) {
		nf_err("tlstrace: writing events: %s", strerror(-r->ob.err));
		status = 1;
	}
	tt_asm_discard(r->asm_);
	if (status == 0)
		print_summary(r, rd);
out:
	nf_reader_free(rd);
	if (r->ob.buf)
		outbuf_close(&r->ob);
	tt_conns_free(r->conns);
	tt_http_free(r->http);
	tt_pcap_free(r->pcap);
	if (r->out_fd > 2)
		nf_sys->close(r->out_fd);
	tt_asm_free(r->asm_);
	tt_disc_free(r->disc);
	tt_kern_close(&r->k);
	free(r);
	return status;
}

int tlstrace_main(int argc, char **argv)
{
	struct tt_opts o;
	int r = tt_opts_parse(&o, argc, argv);
	if (r == 1) {
		return nf_print_help(tt_usage);
	}
	if (r < 0)
		return 1;
	if (!nf_caps_allow(NF_CAP(NF_CAP_BPF) | NF_CAP(NF_CAP_PERFMON))) {
		nf_err("tlstrace needs root, or CAP_BPF and CAP_PERFMON");
		return 1;
	}
	return run(&o);
}
