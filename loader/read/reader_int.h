/* The reader behind nf_reader: a base that reader.c drives (callback,
 * epoll, loss count) and one transport each (ringbuf.c, perfbuf.c) behind
 * a small ops table. Each transport's struct starts with the base, so the
 * base pointer is the allocation. */
#ifndef NF_READER_INT_H
#define NF_READER_INT_H
#include "reader.h"
#include <sys/epoll.h>

struct nf_reader_ops {
	/* Hand every ready record to r->fn; the number handed. Stops early,
	 * with r->stop set, when the callback returns non-zero. */
	int (*consume)(struct nf_reader *r);
	/* Optional: only the rings epoll reported ready (evs[i].data.u32
	 * names one); NULL: consume() serves. */
	int (*consume_ready)(struct nf_reader *r, const struct epoll_event *evs, int n);
	/* Release the transport's mappings and fds (not the base). */
	void (*close)(struct nf_reader *r);
};

struct nf_reader {
	const struct nf_reader_ops *ops;
	nf_event_fn fn;
	void *ctx;
	int epfd;
	uint64_t lost;
	int stop;                  /* a callback's non-zero return */
	size_t page;
	unsigned wakeups;          /* polls that woke; every NF_FULL_DRAIN_EVERY-th drains all */
};

/* Rings below their wakeup mark are read when a poll times out, and at
 * least at every this many wakeups, so that a busy CPU cannot starve a
 * quiet one. */
#define NF_FULL_DRAIN_EVERY 16

/* Fill the base and create its epoll fd. 0 or -errno (nf_lasterr()). */
int nf_reader_base_init(struct nf_reader *r, const struct nf_reader_ops *ops,
			nf_event_fn fn, void *ctx);

/* The transports: a reader over map_fd, or NULL (nf_lasterr()). */
struct nf_reader *nf_ringbuf_new(int map_fd, nf_event_fn fn, void *ctx);
struct nf_reader *nf_perfbuf_new(int map_fd, nf_event_fn fn, void *ctx, uint32_t wake_bytes);

/* Pages per CPU for the perf buffer data area (power of two). */
#define NF_PERF_PAGES 64

#endif
