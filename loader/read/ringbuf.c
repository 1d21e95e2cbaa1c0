/* BPF ring buffer consumer: two mappings, no syscall per record.
 * Layout (kernel/bpf/ringbuf.c): consumer_pos at offset 0 of page 0 (RW);
 * producer_pos at offset 0 of page 1, then the data area mapped twice so a
 * record never wraps from the reader's point of view. */
#include "reader_int.h"
#include "kern/kern_util.h"
#include "kern/load.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8

struct nf_ringbuf {
	struct nf_reader r;        /* first: the base is the allocation */
	void *cons;                /* consumer page, RW */
	void *prod;                /* producer page + 2 x data, RO */
	size_t data_len;           /* power of two */
};

static int ring_open(struct nf_ringbuf *rb, int map_fd)
{
	struct nf_reader *r = &rb->r;
	struct bpf_map_info info;
	int err = nf_map_info(map_fd, &info);
	if (err < 0) {
		nf_seterr("ring buffer: map info: %s", strerror(-err));
		return err;
	}
	rb->data_len = info.max_entries;
	if (!rb->data_len || (rb->data_len & (rb->data_len - 1))) {
		nf_seterr("ring buffer: size %zu is not a power of two", rb->data_len);
		return -EINVAL;
	}
	void *p = nf_sys->mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		nf_seterr("ring buffer: mmap consumer page: %s", strerror(-err));
		return err;
	}
	rb->cons = p;
	p = nf_sys->mmap(NULL, r->page + 2 * rb->data_len, PROT_READ, MAP_SHARED, map_fd,
			 (off_t)r->page);
	if (p == MAP_FAILED) {
		err = -errno;
		nf_seterr("ring buffer: mmap data: %s", strerror(-err));
		return err;
	}
	rb->prod = p;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = map_fd };
	if (nf_sys->epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
		err = -errno;
		nf_seterr("ring buffer: epoll_ctl: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int ring_consume(struct nf_reader *r)
{
	struct nf_ringbuf *rb = (struct nf_ringbuf *)r;
	uint64_t *cons_pos = rb->cons;
	const uint64_t *prod_pos = rb->prod;
	const uint8_t *data = (const uint8_t *)rb->prod + r->page;
	uint64_t cons = __atomic_load_n(cons_pos, __ATOMIC_ACQUIRE);
	int n = 0;
	for (;;) {
		uint64_t prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		const uint8_t *rec = data + (cons & (rb->data_len - 1));
		uint32_t hdr = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);
		if (hdr & RB_BUSY)
			break;
		uint32_t len = hdr & ~(RB_BUSY | RB_DISCARD);
		cons += (len + RB_HDR + 7) & ~7ull;
		int stop = 0;
		if (!(hdr & RB_DISCARD)) {
			n++;
			stop = r->fn(r->ctx, rec + RB_HDR, len);
		}
		/* Release: the kernel may reuse the space once it sees this. */
		__atomic_store_n(cons_pos, cons, __ATOMIC_RELEASE);
		if (stop) {
			r->stop = stop;
			break;
		}
	}
	return n;
}

static void ring_close(struct nf_reader *r)
{
	struct nf_ringbuf *rb = (struct nf_ringbuf *)r;
	if (rb->cons)
		nf_sys->munmap(rb->cons, r->page);
	if (rb->prod)
		nf_sys->munmap(rb->prod, r->page + 2 * rb->data_len);
	rb->cons = rb->prod = NULL;
}

static const struct nf_reader_ops ring_ops = { .consume = ring_consume, .close = ring_close };

struct nf_reader *nf_ringbuf_new(int map_fd, nf_event_fn fn, void *ctx)
{
	struct nf_ringbuf *rb = calloc(1, sizeof(*rb));
	if (!rb) {
		nf_seterr("reader: out of memory");
		return NULL;
	}
	rb->r.epfd = -1;
	if (nf_reader_base_init(&rb->r, &ring_ops, fn, ctx) < 0 || ring_open(rb, map_fd) < 0) {
		nf_reader_free(&rb->r);
		return NULL;
	}
	return &rb->r;
}
