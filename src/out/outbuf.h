/* Buffered output for events: records are built in place and written in
 * large chunks. */
#ifndef NF_OUTBUF_H
#define NF_OUTBUF_H
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

struct outbuf {
	int fd;
	char *buf;
	size_t len, cap;
	size_t flush_at;          /* write out once this much is pending */
	int err;                  /* first write error (-errno), sticky */
	uint64_t bytes;           /* total written */
	/* When set and non-zero, a write interrupted by a signal gives up
	 * (-EINTR) instead of blocking on, e.g. a full pipe, forever. */
	const volatile sig_atomic_t *stop;
};

/* flush_at bytes are batched; max_record is the largest single reserve.
 * 0 or -ENOMEM. */
int outbuf_init(struct outbuf *o, int fd, size_t flush_at, size_t max_record);
/* Room for n bytes at the end (flushing first if needed), or NULL. */
char *outbuf_reserve(struct outbuf *o, size_t n);
/* The first n reserved bytes are now part of the output. */
void outbuf_commit(struct outbuf *o, size_t n);
int outbuf_write(struct outbuf *o, const void *data, size_t n);
/* Write everything pending. 0 or -errno. */
int outbuf_flush(struct outbuf *o);
/* Flush and free (the fd stays open). */
int outbuf_close(struct outbuf *o);

#endif
