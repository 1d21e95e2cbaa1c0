/* Netlink messages, built and parsed in memory (no syscalls here; the
 * socket side is nl_sock.c). Every parser is bounds-checked and returns
 * -EBADMSG on malformed input instead of reading past the end. */
#ifndef NF_NL_H
#define NF_NL_H
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* ---- building ---------------------------------------------------------- */

/* One message under construction in a caller-owned buffer. An overflow is
 * remembered in err (-EMSGSIZE) and reported by nl_msg_finish. */
struct nl_msg {
	unsigned char *buf;
	size_t cap;
	int err;
};

/* Start a message of type/flags with a zeroed family header of hdrlen bytes
 * (struct tcmsg, ifinfomsg, rtmsg, ...); returns that header or NULL. */
void *nl_msg_init(struct nl_msg *m, void *buf, size_t cap, uint16_t type,
		  uint16_t flags, size_t hdrlen);
struct nlmsghdr *nl_msg_hdr(const struct nl_msg *m);
int nl_put_attr(struct nl_msg *m, uint16_t type, const void *data, size_t len);
int nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
int nl_put_str(struct nl_msg *m, uint16_t type, const char *s);
/* Open a nested attribute; close it with nl_nest_end(m, returned offset). */
size_t nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, size_t nest_off);
/* 0 if the message is complete, -EMSGSIZE if something did not fit. */
int nl_msg_finish(const struct nl_msg *m);

/* ---- parsing ----------------------------------------------------------- */

/* Iterate the messages of one datagram: *off starts at 0. Returns 1 with
 * *out set, 0 at the end, -EBADMSG on a truncated or malformed header. */
int nl_msg_next(const void *buf, size_t len, size_t *off, const struct nlmsghdr **out);
/* The family header of a message if it holds hdrlen bytes, else NULL. */
const void *nl_msg_data(const struct nlmsghdr *h, size_t hdrlen);

/* A bounded run of attributes (what follows a family header, or a nest). */
struct nl_attrs {
	const unsigned char *p;
	size_t len;
};
struct nl_attrs nl_msg_attrs(const struct nlmsghdr *h, size_t hdrlen);
struct nl_attrs nl_attr_nested(const struct rtattr *a);
/* Iterate: *off starts at 0. 1 with *out, 0 at the end, -EBADMSG on an
 * attribute shorter than its header or longer than what remains. */
int nl_attr_next(const struct nl_attrs *as, size_t *off, const struct rtattr **out);
/* Index attributes by type (tb has max+1 slots; later duplicates win,
 * types above max are ignored). 0 or -EBADMSG. */
int nl_attr_parse(const struct nl_attrs *as, const struct rtattr **tb, int max);

size_t nl_attr_len(const struct rtattr *a);
const void *nl_attr_data(const struct rtattr *a);
/* 0 and *v, or -EBADMSG if the payload is too short / absent (a NULL). */
int nl_attr_u32(const struct rtattr *a, uint32_t *v);
/* The payload as a C string, or NULL unless NUL-terminated inside it. */
const char *nl_attr_str(const struct rtattr *a);

/* For NLMSG_ERROR: *err = the (negative) errno or 0 for an ack, *msg = the
 * extended-ack text or NULL; *seq = sequence number of the request.
 * Returns 0, or -EBADMSG if the message is not a well-formed error. */
int nl_parse_error(const struct nlmsghdr *h, int *err, const char **msg);
/* For NLMSG_DONE: the error it carries (0 if none). */
int nl_parse_done(const struct nlmsghdr *h);

/* ---- the socket (nl_sock.c, through nf_sys) ---------------------------- */

struct nl_sock {
	int fd;
	uint32_t seq;
	unsigned char *rbuf;       /* receive buffer, NL_RBUF bytes */
	char errmsg[160];          /* ext-ack text of the last failure, or "" */
};
#define NL_RBUF 65536

/* Called for every reply message of the current request other than the
 * final ack / NLMSG_DONE. After a negative return it is not called again;
 * the rest of the replies are drained and nl_request returns that value. */
typedef int (*nl_cb)(const struct nlmsghdr *h, void *arg);

/* NETLINK_ROUTE socket with extended acks requested. 0 or -errno. */
int nl_open(struct nl_sock *s);
void nl_close(struct nl_sock *s);
/* Send m with NLM_F_REQUEST|NLM_F_ACK and a fresh sequence number, pass
 * the replies (e.g. an ECHO) to cb and wait for the ack. Returns 0, the
 * kernel's -errno (with s->errmsg), or the callback's negative value. */
int nl_request(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg);
/* The same for a dump (NLM_F_DUMP): cb gets every entry until NLMSG_DONE. */
int nl_dump(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *arg);

#endif
