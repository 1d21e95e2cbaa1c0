#include "nl.h"
#include <errno.h>
#include <string.h>

/* ---- building ---------------------------------------------------------- */

struct nlmsghdr *nl_msg_hdr(const struct nl_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

/* Reserve len bytes (zeroed, padded to 4) at the end of the message. */
static void *msg_reserve(struct nl_msg *m, size_t len)
{
	struct nlmsghdr *h = nl_msg_hdr(m);
	size_t at = NLMSG_ALIGN(h->nlmsg_len);
	size_t need = NLMSG_ALIGN(len);

	if (m->err || need > m->cap - at) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	memset(m->buf + at, 0, need);
	h->nlmsg_len = (uint32_t)(at + need);
	return m->buf + at;
}

void *nl_msg_init(struct nl_msg *m, void *buf, size_t cap, uint16_t type,
		  uint16_t flags, size_t hdrlen)
{
	struct nlmsghdr *h = buf;

	m->buf = buf;
	m->cap = cap;
	m->err = 0;
	if (cap < NLMSG_HDRLEN) {
		m->err = -EMSGSIZE;
		m->cap = 0;
		return NULL;
	}
	memset(h, 0, NLMSG_HDRLEN);
	h->nlmsg_len = NLMSG_HDRLEN;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	return msg_reserve(m, hdrlen);
}

int nl_put_attr(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a;

	if (len > 0xffff - RTA_LENGTH(0)) {
		m->err = -EMSGSIZE;
		return m->err;
	}
	a = msg_reserve(m, RTA_LENGTH(len));
	if (!a)
		return m->err;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	return 0;
}

int nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	return nl_put_attr(m, type, &v, sizeof(v));
}

int nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	return nl_put_attr(m, type, s, strlen(s) + 1);
}

size_t nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	size_t off = NLMSG_ALIGN(nl_msg_hdr(m)->nlmsg_len);

	nl_put_attr(m, type, NULL, 0);
	return off;
}

void nl_nest_end(struct nl_msg *m, size_t nest_off)
{
	struct rtattr *a = (struct rtattr *)(m->buf + nest_off);
	size_t len = nl_msg_hdr(m)->nlmsg_len - nest_off;

	if (m->err)
		return;
	if (len > 0xffff) {
		m->err = -EMSGSIZE;
		return;
	}
	a->rta_len = (unsigned short)len;
}

int nl_msg_finish(const struct nl_msg *m)
{
	return m->err;
}

/* ---- parsing ----------------------------------------------------------- */

int nl_msg_next(const void *buf, size_t len, size_t *off, const struct nlmsghdr **out)
{
	const struct nlmsghdr *h;
	size_t left;

	if (*off >= len)
		return 0;
	left = len - *off;
	if (left < NLMSG_HDRLEN)
		return -EBADMSG;
	h = (const struct nlmsghdr *)((const unsigned char *)buf + *off);
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left)
		return -EBADMSG;
	*out = h;
	*off += NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
	return 1;
}

const void *nl_msg_data(const struct nlmsghdr *h, size_t hdrlen)
{
	if (h->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return NULL;
	return NLMSG_DATA(h);
}

struct nl_attrs nl_msg_attrs(const struct nlmsghdr *h, size_t hdrlen)
{
	struct nl_attrs as = { NULL, 0 };

	if (h->nlmsg_len >= NLMSG_SPACE(hdrlen)) {
		as.p = (const unsigned char *)h + NLMSG_SPACE(hdrlen);
		as.len = h->nlmsg_len - NLMSG_SPACE(hdrlen);
	}
	return as;
}

struct nl_attrs nl_attr_nested(const struct rtattr *a)
{
	struct nl_attrs as = { NULL, 0 };

	if (a) {
		as.p = RTA_DATA(a);
		as.len = nl_attr_len(a);
	}
	return as;
}

int nl_attr_next(const struct nl_attrs *as, size_t *off, const struct rtattr **out)
{
	const struct rtattr *a;
	size_t left;

	if (*off >= as->len)
		return 0;
	left = as->len - *off;
	if (left < sizeof(*a))
		return -EBADMSG;
	a = (const struct rtattr *)(as->p + *off);
	if (a->rta_len < sizeof(*a) || a->rta_len > left)
		return -EBADMSG;
	*out = a;
	*off += RTA_ALIGN(a->rta_len) < left ? RTA_ALIGN(a->rta_len) : left;
	return 1;
}

int nl_attr_parse(const struct nl_attrs *as, const struct rtattr **tb, int max)
{
	const struct rtattr *a;
	size_t off = 0;
	int r;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while ((r = nl_attr_next(as, &off, &a)) > 0) {
		int type = a->rta_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
	}
	return r;
}

size_t nl_attr_len(const struct rtattr *a)
{
	return a->rta_len - RTA_LENGTH(0);
}

const void *nl_attr_data(const struct rtattr *a)
{
	return RTA_DATA(a);
}

int nl_attr_u32(const struct rtattr *a, uint32_t *v)
{
	if (!a || nl_attr_len(a) < sizeof(*v))
		return -EBADMSG;
	memcpy(v, RTA_DATA(a), sizeof(*v));
	return 0;
}

const char *nl_attr_str(const struct rtattr *a)
{
	size_t len;

	if (!a)
		return NULL;
	len = nl_attr_len(a);
	if (!len || !memchr(RTA_DATA(a), 0, len))
		return NULL;
	return RTA_DATA(a);
}

/* The ext-ack TLVs follow the echoed request: only its header if the kernel
 * capped it, else the whole request. */
static struct nl_attrs error_tlvs(const struct nlmsghdr *h, const struct nlmsgerr *e)
{
	struct nl_attrs as = { NULL, 0 };
	size_t skip = NLMSG_ALIGN(sizeof(*e));

	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return as;
		skip += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	if (NLMSG_HDRLEN + skip <= h->nlmsg_len) {
		as.p = (const unsigned char *)h + NLMSG_HDRLEN + skip;
		as.len = h->nlmsg_len - NLMSG_HDRLEN - skip;
	}
	return as;
}

int nl_parse_error(const struct nlmsghdr *h, int *err, const char **msg)
{
	const struct nlmsgerr *e = nl_msg_data(h, sizeof(*e));
	const struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];

	*msg = NULL;
	if (h->nlmsg_type != NLMSG_ERROR || !e)
		return -EBADMSG;
	*err = e->error;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		struct nl_attrs as = error_tlvs(h, e);

		if (nl_attr_parse(&as, tb, NLMSGERR_ATTR_MAX) == 0)
			*msg = nl_attr_str(tb[NLMSGERR_ATTR_MSG]);
	}
	return 0;
}

int nl_parse_done(const struct nlmsghdr *h)
{
	const int *e = nl_msg_data(h, sizeof(int));
	int v;

	if (!e)
		return 0;
	memcpy(&v, e, sizeof(v));
	return v < 0 ? v : 0;
}
