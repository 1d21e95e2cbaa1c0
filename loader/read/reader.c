/* Event reader front end: epoll, then the ring or perf consumer. */
#include "reader_int.h"
#include "kern/kern_util.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct nf_reader *nf_reader_open(int map_fd, uint32_t map_type, nf_event_fn fn, void *ctx)
{
	return nf_reader_open_batched(map_fd, map_type, fn, ctx, 0);
}

struct nf_reader *nf_reader_open_batched(int map_fd, uint32_t map_type, nf_event_fn fn,
					 void *ctx, uint32_t wake_bytes)
{
	if (map_type != BPF_MAP_TYPE_RINGBUF && map_type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		nf_seterr("reader: map type %u is neither ringbuf nor perf event array", map_type);
		return NULL;
	}
	struct nf_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		nf_seterr("reader: out of memory");
		return NULL;
	}
	r->fn = fn;
	r->ctx = ctx;
	r->wake_bytes = wake_bytes;
	r->map_type = map_type;
	r->page = nf_page_size();
	r->epfd = nf_sys->epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		nf_seterr("reader: epoll_create1: %s", strerror(errno));
		free(r);
		return NULL;
	}
	int err = map_type == BPF_MAP_TYPE_RINGBUF ? nf_ringbuf_open(r, map_fd)
						   : nf_perfbuf_open(r, map_fd);
	if (err < 0) {
		nf_reader_free(r);
		return NULL;
	}
	return r;
}

int nf_reader_drain(struct nf_reader *r)
{
	int total = 0;
	r->stop = 0;
	if (r->map_type == BPF_MAP_TYPE_RINGBUF) {
		total = nf_ringbuf_consume(r);
	} else {
		for (int cpu = 0; cpu < r->ncpus && !r->stop; cpu++)
			total += nf_perfbuf_consume(r, cpu);
	}
	return r->stop ? r->stop : total;
}

int nf_reader_poll(struct nf_reader *r, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = nf_sys->epoll_wait(r->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return -errno;
	/* Any wakeup: drain everything; consumers read only what is ready. */
	return nf_reader_drain(r);
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
	if (r->map_type == BPF_MAP_TYPE_RINGBUF)
		nf_ringbuf_close(r);
	else
		nf_perfbuf_close(r);
	nf_close(r->epfd);
	free(r->scratch);
	free(r);
}
