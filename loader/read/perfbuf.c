/* Perf buffer consumer (kernels without BPF ringbuf): one BPF_OUTPUT
 * software event per CPU, its fd stored in the PERF_EVENT_ARRAY at key cpu. */
#include "reader_int.h"
#include "kern/kern_util.h"
#include "kern/load.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct sample_raw {
	struct perf_event_header h;
	uint32_t size;
	uint8_t data[];
};

struct lost_rec {
	struct perf_event_header h;
	uint64_t id, lost;
};

struct nf_perf_cpu {
	int fd;                    /* perf event, -1 if the CPU is offline */
	void *base;                /* 1 + 2^n pages */
	size_t map_len;
};

struct nf_perfbuf {
	struct nf_reader r;        /* first: the base is the allocation */
	uint32_t wake_bytes;       /* 0: wake at every record */
	struct nf_perf_cpu *cpus;
	int ncpus;
	uint8_t *scratch;          /* copy of a record that wraps the ring end */
	size_t scratch_len;
};

static int open_cpu(struct nf_perfbuf *pb, int map_fd, int cpu)
{
	struct nf_reader *r = &pb->r;
	struct nf_perf_cpu *c = &pb->cpus[cpu];
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	if (pb->wake_bytes) {
		uint32_t half = (uint32_t)(NF_PERF_PAGES * r->page / 2);
		attr.watermark = 1;
		attr.wakeup_watermark = pb->wake_bytes < half ? pb->wake_bytes : half;
	} else {
		attr.wakeup_events = 1;
	}
	attr.disabled = 1;
	long fd = nf_sys->perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		if (errno == ENODEV) /* possible but offline CPU */
			return 0;
		nf_seterr("perf buffer: perf_event_open(cpu %d): %s", cpu, strerror(errno));
		return -errno;
	}
	c->fd = (int)fd;
	c->map_len = (1 + NF_PERF_PAGES) * r->page;
	void *p = nf_sys->mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED) {
		nf_seterr("perf buffer: mmap(cpu %d): %s", cpu, strerror(errno));
		return -errno;
	}
	c->base = p;
	uint32_t key = (uint32_t)cpu, val = (uint32_t)c->fd;
	int err = nf_map_update(map_fd, &key, &val, BPF_ANY);
	if (err < 0) {
		nf_seterr("perf buffer: store fd for cpu %d: %s", cpu, strerror(-err));
		return err;
	}
	if (nf_sys->ioctl(c->fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		nf_seterr("perf buffer: enable cpu %d: %s", cpu, strerror(errno));
		return -errno;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)cpu };
	if (nf_sys->epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		nf_seterr("perf buffer: epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int perf_open(struct nf_perfbuf *pb, int map_fd)
{
	struct bpf_map_info info;
	int err = nf_map_info(map_fd, &info);
	if (err < 0) {
		nf_seterr("perf buffer: map info: %s", strerror(-err));
		return err;
	}
	int n = nf_possible_cpus();
	if (n < 0) {
		nf_seterr("perf buffer: possible CPUs: %s", strerror(-n));
		return n;
	}
	if ((uint32_t)n > info.max_entries)
		n = (int)info.max_entries;
	pb->cpus = calloc((size_t)n, sizeof(*pb->cpus));
	if (!pb->cpus) {
		nf_seterr("perf buffer: out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		pb->cpus[i].fd = -1;
	pb->ncpus = n;
	for (int i = 0; i < n; i++) {
		err = open_cpu(pb, map_fd, i);
		if (err < 0)
			return err;
	}
	return 0;
}

/* The record at ring offset off, contiguous: in place, or copied into the
 * scratch buffer when it wraps past the end of the ring. */
static const uint8_t *record_at(struct nf_perfbuf *pb, const uint8_t *ring, size_t size,
				uint64_t off, size_t len)
{
	if (off + len <= size)
		return ring + off;
	if (pb->scratch_len < len) {
		uint8_t *p = realloc(pb->scratch, len);
		if (!p)
			return NULL;
		pb->scratch = p;
		pb->scratch_len = len;
	}
	size_t first = size - off;
	memcpy(pb->scratch, ring + off, first);
	memcpy(pb->scratch + first, ring, len - first);
	return pb->scratch;
}

/* One record; returns 1 if it was a sample handed to the callback. */
static int handle_record(struct nf_reader *r, const uint8_t *rec, size_t len)
{
	const struct perf_event_header *h = (const void *)rec;
	if (h->type == PERF_RECORD_SAMPLE && len >= sizeof(struct sample_raw)) {
		const struct sample_raw *s = (const void *)rec;
		if (s->size > len - sizeof(*s))
			return 0;
		r->stop = r->fn(r->ctx, s->data, s->size);
		return 1;
	}
	if (h->type == PERF_RECORD_LOST && len >= sizeof(struct lost_rec)) {
		const struct lost_rec *l = (const void *)rec;
		r->lost += l->lost;
	}
	return 0;
}

/* Consume the ring of one CPU. */
static int consume_cpu(struct nf_perfbuf *pb, int cpu)
{
	struct nf_reader *r = &pb->r;
	struct nf_perf_cpu *c = &pb->cpus[cpu];
	if (!c->base)
		return 0;
	struct perf_event_mmap_page *meta = c->base;
	const uint8_t *ring = (const uint8_t *)c->base + r->page;
	size_t size = c->map_len - r->page;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	int n = 0;
	while (tail < head && !r->stop) {
		uint64_t off = tail & (size - 1);
		struct perf_event_header h;
		const uint8_t *p = record_at(pb, ring, size, off, sizeof(h));
		if (!p)
			break;
		memcpy(&h, p, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail)
			break; /* corrupt: stop rather than spin */
		p = record_at(pb, ring, size, off, h.size);
		if (!p)
			break;
		n += handle_record(r, p, h.size);
		tail += h.size;
		__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
	}
	return n;
}

static int perf_consume(struct nf_reader *r)
{
	struct nf_perfbuf *pb = (struct nf_perfbuf *)r;
	int total = 0;
	for (int cpu = 0; cpu < pb->ncpus && !r->stop; cpu++)
		total += consume_cpu(pb, cpu);
	return total;
}

/* The CPUs epoll named (their fds were added with data.u32 = cpu). */
static int perf_consume_ready(struct nf_reader *r, const struct epoll_event *evs, int n)
{
	struct nf_perfbuf *pb = (struct nf_perfbuf *)r;
	int total = 0;
	for (int i = 0; i < n && !r->stop; i++)
		if (evs[i].data.u32 < (uint32_t)pb->ncpus)
			total += consume_cpu(pb, (int)evs[i].data.u32);
	return total;
}

static void perf_close(struct nf_reader *r)
{
	struct nf_perfbuf *pb = (struct nf_perfbuf *)r;
	for (int i = 0; i < pb->ncpus; i++) {
		struct nf_perf_cpu *c = &pb->cpus[i];
		if (c->base)
			nf_sys->munmap(c->base, c->map_len);
		nf_close(c->fd);
	}
	free(pb->cpus);
	free(pb->scratch);
	pb->cpus = NULL;
	pb->scratch = NULL;
	pb->ncpus = 0;
}

static const struct nf_reader_ops perf_ops = {
	.consume = perf_consume, .consume_ready = perf_consume_ready, .close = perf_close,
};

struct nf_reader *nf_perfbuf_new(int map_fd, nf_event_fn fn, void *ctx, uint32_t wake_bytes)
{
	struct nf_perfbuf *pb = calloc(1, sizeof(*pb));
	if (!pb) {
		nf_seterr("reader: out of memory");
		return NULL;
	}
	pb->r.epfd = -1;
	pb->wake_bytes = wake_bytes;
	if (nf_reader_base_init(&pb->r, &perf_ops, fn, ctx) < 0 || perf_open(pb, map_fd) < 0) {
		nf_reader_free(&pb->r);
		return NULL;
	}
	return &pb->r;
}
