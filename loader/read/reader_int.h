/* The reader behind nf_reader: a base that reader.c drives (callback,
 * epoll, loss count) and one transport each (ringbuf.c, perfbuf.c) behind
 * a small ops table. Each transport's struct starts with the base, so the
 * base pointer is the allocation. */
#ifndef NF_READER_INT_H
#define NF_READER_INT_H
#include "reader.h"

struct nf_reader_ops {
	/* Hand every ready record to r->fn; the number handed. Stops early,
	 * with r->stop set, when the callback returns non-zero. */
	int (*consume)(struct nf_reader *r);
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
};

/* Fill the base and create its epoll fd. 0 or -errno (nf_lasterr()). */
int nf_reader_base_init(struct nf_reader *r, const struct nf_reader_ops *ops,
			nf_event_fn fn, void *ctx);

/* The transports: a reader over map_fd, or NULL (nf_lasterr()). */
struct nf_reader *nf_ringbuf_new(int map_fd, nf_event_fn fn, void *ctx);
struct nf_reader *nf_perfbuf_new(int map_fd, nf_event_fn fn, void *ctx, uint32_t wake_bytes);

/* Pages per CPU for the perf buffer data area (power of two). */
#define NF_PERF_PAGES 64

#endif
