/* The netlink path: clsact qdisc plus a cls_bpf direct-action filter. */
#include "tc_int.h"
#include "tc_msg.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

static int tc_fail(struct nl_sock *s, int r, const char *what, int ifindex)
{
	nf_seterr("tc: %s on ifindex %d: %s%s%s", what, ifindex, strerror(-r),
		  s->errmsg[0] ? ": " : "", s->errmsg);
	return r;
}

static int clsact_op(struct nl_sock *s, uint16_t type, int ifindex)
{
	unsigned char buf[TC_MSG_BUF];
	struct nl_msg m;
	int r = tc_msg_clsact(&m, buf, sizeof(buf), type, ifindex);

	return r < 0 ? r : nl_request(s, &m, NULL, NULL);
}

/* 1 if we created the clsact, 0 if it existed, or -errno. */
static int clsact_ensure(struct nl_sock *s, int ifindex)
{
	int r = clsact_op(s, RTM_NEWQDISC, ifindex);

	if (r == -EEXIST)
		return 0;
	return r < 0 ? tc_fail(s, r, "add clsact qdisc", ifindex) : 1;
}

static int clsact_delete(struct nl_sock *s, int ifindex)
{
	int r = clsact_op(s, RTM_DELQDISC, ifindex);

	return r < 0 ? tc_fail(s, r, "delete clsact qdisc", ifindex) : 0;
}

static int echo_cb(const struct nlmsghdr *h, void *arg)
{
	struct tc_filter_info f;
	struct nf_tc_link *l = arg;

	if (tc_parse_filter(h, &f) == 0 && f.handle) {
		l->handle = f.handle;
		l->prio = f.prio;
	}
	return 0;
}

/* A filter whose run created the clsact says so in its name, so that the
 * clsact can go too when a later run sweeps the filters of a killed one. */
#define QDISC_MARK "+clsact"

/* name without QDISC_MARK into out; 1 if it had the mark. */
static int strip_mark(const char *name, char *out, size_t len)
{
	size_t n = strlen(name), m = strlen(QDISC_MARK);
	int marked = n >= m && strcmp(name + n - m, QDISC_MARK) == 0;

	snprintf(out, len, "%.*s", (int)(marked ? n - m : n), name);
	return marked;
}

static int find_by_name(struct nl_sock *s, struct nf_tc_link *l, const char *name);

static int filter_add(struct nl_sock *s, struct nf_tc_link *l, int prog_fd, const char *name)
{
	unsigned char buf[TC_MSG_BUF];
	char full[128];
	struct nl_msg m;
	uint32_t parent = tc_clsact_parent(l->dir == NF_TC_INGRESS);
	int r;

	snprintf(full, sizeof(full), "%s%s", name, l->created_qdisc ? QDISC_MARK : "");
	r = tc_msg_filter_new(&m, buf, sizeof(buf), l->ifindex, parent, 0, prog_fd, full);

	if (r == 0)
		r = nl_request(s, &m, echo_cb, l);
	if (r < 0)
		return tc_fail(s, r, "add bpf filter", l->ifindex);
	/* The filter is in place: without its handle it could never be
	 * deleted, so look it up by its name (unique: it has our pid). */
	if (!l->handle && find_by_name(s, l, full) < 0) {
		nf_seterr("tc: add bpf filter on ifindex %d: the kernel echoed no handle, and no "
			  "filter named %s is listed", l->ifindex, full);
		return -EPROTO;
	}
	return 0;
}

static int filter_del(struct nl_sock *s, int ifindex, uint32_t parent, uint32_t prio,
		      uint32_t handle)
{
	unsigned char buf[TC_MSG_BUF];
	struct nl_msg m;
	int r = tc_msg_filter_del(&m, buf, sizeof(buf), ifindex, parent, prio, handle);

	if (r == 0)
		r = nl_request(s, &m, NULL, NULL);
	return r < 0 ? tc_fail(s, r, "delete bpf filter", ifindex) : 0;
}

int tc_nl_attach(struct nf_tc_link *l, int prog_fd, const char *name)
{
	struct nl_sock s;
	int r = nl_open(&s);

	if (r < 0) {
		nf_seterr("tc: netlink socket: %s", strerror(-r));
		return r;
	}
	r = clsact_ensure(&s, l->ifindex);
	if (r >= 0) {
		l->created_qdisc = r;
		r = filter_add(&s, l, prog_fd, name);
		if (r < 0 && l->created_qdisc)
			clsact_delete(&s, l->ifindex);
	}
	nl_close(&s);
	return r < 0 ? r : 0;
}

/* ---- dumps ------------------------------------------------------------- */

struct filter_list {
	struct tc_filter_info *v;
	size_t n, cap;
	const char *prefix;        /* NULL: keep every entry */
};

static int collect_cb(const struct nlmsghdr *h, void *arg)
{
	struct filter_list *fl = arg;
	struct tc_filter_info f;

	if (tc_parse_filter(h, &f) < 0 || !f.handle)
		return 0;
	if (fl->prefix && (strcmp(f.kind, "bpf") != 0 ||
			   strncmp(f.name, fl->prefix, strlen(fl->prefix)) != 0))
		return 0;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 8;
		struct tc_filter_info *v = realloc(fl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->cap = cap;
	}
	fl->v[fl->n++] = f;
	return 0;
}

/* Append the filters of both clsact hooks of ifindex to fl. */
static int filters_dump(struct nl_sock *s, int ifindex, struct filter_list *fl)
{
	for (int ingress = 1; ingress >= 0; ingress--) {
		unsigned char buf[TC_MSG_BUF];
		struct nl_msg m;
		int r = tc_msg_filter_dump(&m, buf, sizeof(buf), ifindex,
					   tc_clsact_parent(ingress));

		if (r == 0)
			r = nl_dump(s, &m, collect_cb, fl);
		if (r == -EINVAL || r == -ENOENT)
			continue;   /* no clsact (any more) on this device */
		if (r < 0)
			return tc_fail(s, r, "dump filters", ifindex);
	}
	return 0;
}

/* The handle and prio of the filter called name on l's hook: 0, or -ENOENT. */
static int find_by_name(struct nl_sock *s, struct nf_tc_link *l, const char *name)
{
	struct filter_list fl = { NULL, 0, 0, name };
	int r = filters_dump(s, l->ifindex, &fl), found = -ENOENT;
	uint32_t parent = tc_clsact_parent(l->dir == NF_TC_INGRESS);

	for (size_t i = 0; r == 0 && i < fl.n && found; i++) {
		if (fl.v[i].parent != parent || strcmp(fl.v[i].name, name))
			continue;
		l->handle = fl.v[i].handle;
		l->prio = fl.v[i].prio;
		found = 0;
	}
	free(fl.v);
	return found;
}

int tc_nl_detach(struct nf_tc_link *l)
{
	struct filter_list fl = { NULL, 0, 0, NULL };
	struct nl_sock s;
	int r = nl_open(&s);

	if (r < 0) {
		nf_seterr("tc: netlink socket: %s", strerror(-r));
		return r;
	}
	r = filter_del(&s, l->ifindex, tc_clsact_parent(l->dir == NF_TC_INGRESS),
		       l->prio, l->handle);
	if (r == 0 || r == -ENOENT)     /* ENOENT: someone removed it for us */
		l->handle = 0;
	if (!l->handle && l->created_qdisc && filters_dump(&s, l->ifindex, &fl) == 0 &&
	    fl.n == 0 && clsact_delete(&s, l->ifindex) == 0)
		l->created_qdisc = 0;
	free(fl.v);
	nl_close(&s);
	return r;
}

int nf_tc_cleanup_stale(int ifindex, const char *prefix, int (*keep)(const char *name))
{
	struct filter_list fl = { NULL, 0, 0, prefix }, left = { NULL, 0, 0, NULL };
	struct nl_sock s;
	int r = nl_open(&s);
	int removed = 0, made_clsact = 0;

	if (r < 0) {
		nf_seterr("tc: netlink socket: %s", strerror(-r));
		return r;
	}
	r = filters_dump(&s, ifindex, &fl);
	for (size_t i = 0; r == 0 && i < fl.n; i++) {
		char name[sizeof(fl.v[i].name)];
		int marked = strip_mark(fl.v[i].name, name, sizeof(name));

		if (keep && keep(name))
			continue;
		r = filter_del(&s, ifindex, fl.v[i].parent, fl.v[i].prio, fl.v[i].handle);
		if (r == -ENOENT)
			r = 0;      /* someone else removed it meanwhile */
		else if (r == 0)
			removed++;
		made_clsact |= marked;
	}
	/* the killed run made the clsact: it goes once nothing else uses it */
	if (r == 0 && made_clsact && filters_dump(&s, ifindex, &left) == 0 && left.n == 0)
		clsact_delete(&s, ifindex);
	free(left.v);
	free(fl.v);
	nl_close(&s);
	return r < 0 ? r : removed;
}
