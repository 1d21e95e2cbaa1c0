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
#include <string.h>
#include <sys/mman.h>

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8

int nf_ringbuf_open(struct nf_reader *r, int map_fd)
{
	struct bpf_map_info info;
	int err = nf_map_info(map_fd, &info);
	if (err < 0) {
		nf_seterr("ring buffer: map info: %s", strerror(-err));
		return err;
	}
	r->data_len = info.max_entries;
	if (!r->data_len || (r->data_len & (r->data_len - 1))) {
		nf_seterr("ring buffer: size %zu is not a power of two", r->data_len);
		return -EINVAL;
	}
	void *p = nf_sys->mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		nf_seterr("ring buffer: mmap consumer page: %s", strerror(-err));
		return err;
	}
	r->cons = p;
	p = nf_sys->mmap(NULL, r->page + 2 * r->data_len, PROT_READ, MAP_SHARED, map_fd,
			 (off_t)r->page);
	if (p == MAP_FAILED) {
		err = -errno;
		nf_seterr("ring buffer: mmap data: %s", strerror(-err));
		return err;
	}
	r->prod = p;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = map_fd };
	if (nf_sys->epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
		err = -errno;
		nf_seterr("ring buffer: epoll_ctl: %s", strerror(-err));
		return err;
	}
	return 0;
}

int nf_ringbuf_consume(struct nf_reader *r)
{
	uint64_t *cons_pos = r->cons;
	const uint64_t *prod_pos = r->prod;
	const uint8_t *data = (const uint8_t *)r->prod + r->page;
	uint64_t cons = __atomic_load_n(cons_pos, __ATOMIC_ACQUIRE);
	int n = 0;
	for (;;) {
		uint64_t prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		const uint8_t *rec = data + (cons & (r->data_len - 1));
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

void nf_ringbuf_close(struct nf_reader *r)
{
	if (r->cons)
		nf_sys->munmap(r->cons, r->page);
	if (r->prod)
		nf_sys->munmap(r->prod, r->page + 2 * r->data_len);
	r->cons = r->prod = NULL;
}
