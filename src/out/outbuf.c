#include "outbuf.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kern/sys.h"

int outbuf_init(struct outbuf *o, int fd, size_t flush_at, size_t max_record)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->flush_at = flush_at;
	o->cap = flush_at + max_record;
	o->buf = malloc(o->cap);
	if (!o->buf)
		o->err = -ENOMEM;
	return o->err;
}

int outbuf_flush(struct outbuf *o)
{
	size_t done = 0;
	while (done < o->len && !o->err) {
		ssize_t w = nf_sys->write(o->fd, o->buf + done, o->len - done);
		if (w < 0 && errno == EINTR) {
			if (o->stop && *o->stop)
				o->err = -EINTR;
			continue;
		}
		if (w <= 0) {
			o->err = w < 0 ? -errno : -EIO;
			continue;
		}
		done += (size_t)w;
		/* A short write to a blocking fd means a signal arrived. */
		if (done < o->len && o->stop && *o->stop)
			o->err = -EINTR;
	}
	o->bytes += done;
	o->len = 0;
	return o->err;
}

char *outbuf_reserve(struct outbuf *o, size_t n)
{
	if (n > o->cap)
		return NULL;
	if (o->len + n > o->cap)
		outbuf_flush(o);
	return o->buf + o->len;
}

void outbuf_commit(struct outbuf *o, size_t n)
{
	o->len += n;
	if (o->len >= o->flush_at)
		outbuf_flush(o);
}

int outbuf_write(struct outbuf *o, const void *data, size_t n)
{
	char *p = outbuf_reserve(o, n);
	if (!p)
		return -EMSGSIZE;
	memcpy(p, data, n);
	outbuf_commit(o, n);
	return o->err;
}

int outbuf_close(struct outbuf *o)
{
	int err = o->buf ? outbuf_flush(o) : 0;
	free(o->buf);
	o->buf = NULL;
	return err;
}
