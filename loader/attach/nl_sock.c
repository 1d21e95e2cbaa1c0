#include "nl.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int nl_open(struct nl_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = nf_sys->socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0)
		return -errno;
	/* Old kernels lack ext-ack: the text is a bonus, not a requirement. */
	nf_sys->setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (nf_sys->bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		nf_sys->close(s->fd);
		s->fd = -1;
		return e;
	}
	s->rbuf = malloc(NL_RBUF);
	if (!s->rbuf) {
		nl_close(s);
		return -ENOMEM;
	}
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		nf_sys->close(s->fd);
	s->fd = -1;
	free(s->rbuf);
	s->rbuf = NULL;
}

static int nl_send(struct nl_sock *s, const struct nlmsghdr *h)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct iovec iov = { (void *)h, h->nlmsg_len };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = nf_sys->sendmsg(s->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == h->nlmsg_len ? 0 : -EIO;
}

/* One datagram from the kernel into s->rbuf: its length or -errno. */
static ssize_t nl_recv(struct nl_sock *s)
{
	struct sockaddr_nl from;
	struct iovec iov = { s->rbuf, NL_RBUF };
	struct msghdr mh;
	ssize_t n;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		memset(&from, 0, sizeof(from));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = nf_sys->recvmsg(s->fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid == 0)   /* only the kernel speaks for itself */
			return n;
	}
}

struct nl_state {
	int done, err, cb_err;
};

static void handle_error(struct nl_sock *s, const struct nlmsghdr *h, struct nl_state *st)
{
	const char *msg;
	int err;

	st->done = 1;
	if (nl_parse_error(h, &err, &msg) < 0) {
		st->err = -EBADMSG;
		return;
	}
	st->err = err > 0 ? -err : err;
	if (msg && err)
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg);
}

/* Handle the messages of one datagram that answer sequence number seq. */
static int handle_datagram(struct nl_sock *s, size_t len, uint32_t seq,
			   nl_cb cb, void *arg, struct nl_state *st)
{
	const struct nlmsghdr *h;
	size_t off = 0;
	int r;

	while ((r = nl_msg_next(s->rbuf, len, &off, &h)) > 0) {
		if (h->nlmsg_seq != seq)
			continue;     /* late reply to an earlier request */
		if (h->nlmsg_type == NLMSG_ERROR) {
			handle_error(s, h, st);
		} else if (h->nlmsg_type == NLMSG_DONE) {
			st->done = 1;
			st->err = nl_parse_done(h);
		} else if (cb && !st->cb_err) {
			st->cb_err = cb(h, arg);
			st->cb_err = st->cb_err < 0 ? st->cb_err : 0;
		}
		if (st->done)
			return 0;
	}
	return r;
}

static int nl_exchange(struct nl_sock *s, struct nl_msg *m, uint16_t flags,
		       nl_cb cb, void *arg)
{
	struct nlmsghdr *h = nl_msg_hdr(m);
	struct nl_state st = { 0, 0, 0 };
	int r = nl_msg_finish(m);

	s->errmsg[0] = 0;
	if (r < 0)
		return r;
	h->nlmsg_seq = ++s->seq;
	h->nlmsg_flags |= NLM_F_REQUEST | flags;
	r = nl_send(s, h);
	while (r == 0 && !st.done) {
		ssize_t n = nl_recv(s);

		r = n < 0 ? (int)n : handle_datagram(s, (size_t)n, h->nlmsg_seq, cb, arg, &st);
	}
	if (r < 0)
		return r;
	return st.err ? st.err : st.cb_err;
}

int nl_request(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg)
{
	return nl_exchange(s, m, NLM_F_ACK, cb, arg);
}

int nl_dump(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg)
{
	return nl_exchange(s, m, NLM_F_DUMP, cb, arg);
}
