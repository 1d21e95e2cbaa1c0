/* Event reader front end: the transport chosen by map type, epoll, then
 * the transport's consumer. */
#include "reader_int.h"
#include "kern/kern_util.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nf_reader_base_init(struct nf_reader *r, const struct nf_reader_ops *ops,
			nf_event_fn fn, void *ctx)
{
	r->ops = ops;
	r->fn = fn;
	r->ctx = ctx;
	r->page = nf_page_size();
	r->epfd = nf_sys->epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		nf_seterr("reader: epoll_create1: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

struct nf_reader *nf_reader_open(int map_fd, uint32_t map_type, nf_event_fn fn, void *ctx)
{
	return nf_reader_open_batched(map_fd, map_type, fn, ctx, 0);
}

struct nf_reader *nf_reader_open_batched(int map_fd, uint32_t map_type, nf_event_fn fn,
					 void *ctx, uint32_t wake_bytes)
{
	if (map_type == BPF_MAP_TYPE_RINGBUF)
		return nf_ringbuf_new(map_fd, fn, ctx);
	if (map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return nf_perfbuf_new(map_fd, fn, ctx, wake_bytes);
	nf_seterr("reader: map type %u is neither ringbuf nor perf event array", map_type);
	return NULL;
}

int nf_reader_drain(struct nf_reader *r)
{
	r->stop = 0;
	int total = r->ops->consume(r);
	return r->stop ? r->stop : total;
}

int nf_reader_poll(struct nf_reader *r, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = nf_sys->epoll_wait(r->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0 || !r->ops->consume_ready || ++r->wakeups % NF_FULL_DRAIN_EVERY == 0)
		return nf_reader_drain(r); /* consumers read only what is there */
	r->stop = 0;
	int total = r->ops->consume_ready(r, evs, n);
	return r->stop ? r->stop : total;
}

uint64_t nf_reader_lost(const struct nf_reader *r)
{
	return r->lost;
}

int nf_reader_epoll_fd(const struct nf_reader *r)
{
	return r->epfd;
}

void nf_reader_free(struct nf_reader *r)
{
	if (!r)
		return;
	if (r->ops)
		r->ops->close(r);
	nf_close(r->epfd);
	free(r);
}
