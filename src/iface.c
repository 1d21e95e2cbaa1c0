#include "iface.h"
#include "log.h"
#include "attach/nl.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

struct link_list {
	struct nf_iface *v;
	size_t n, cap;
};

static int link_cb(const struct nlmsghdr *h, void *arg)
{
	struct link_list *ll = arg;
	struct nf_iface ifc;

	if (nf_iface_parse_link(h, &ifc) < 0)
		return 0;
	if (ll->n == ll->cap) {
		size_t cap = ll->cap ? ll->cap * 2 : 16;
		struct nf_iface *v = realloc(ll->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ll->v = v;
		ll->cap = cap;
	}
	ll->v[ll->n++] = ifc;
	return 0;
}

/* One dump of type/family with cb; 0 or -errno with nf_lasterr(). */
static int dump(uint16_t type, size_t hdrlen, unsigned char family, nl_cb cb, void *arg)
{
	unsigned char buf[128];
	struct nl_sock s;
	struct nl_msg m;
	unsigned char *fam = nl_msg_init(&m, buf, sizeof(buf), type, NLM_F_DUMP, hdrlen);
	int r;

	if (fam)
		*fam = family;     /* the first byte of ifinfomsg and rtmsg */
	r = nl_open(&s);
	if (r == 0) {
		r = nl_dump(&s, &m, cb, arg);
		nl_close(&s);
	}
	if (r < 0)
		nf_seterr("rtnetlink dump: %s%s%s", strerror(-r), s.errmsg[0] ? ": " : "",
			  s.errmsg);
	return r;
}

int nf_iface_list(struct nf_iface **out, size_t *n)
{
	struct link_list ll = { NULL, 0, 0 };
	int r = dump(RTM_GETLINK, sizeof(struct ifinfomsg), AF_UNSPEC, link_cb, &ll);

	if (r < 0) {
		free(ll.v);
		return r;
	}
	*out = ll.v;
	*n = ll.n;
	return 0;
}

struct route_pick {
	struct nf_route_out best;
	int found;
};

static int route_cb(const struct nlmsghdr *h, void *arg)
{
	struct route_pick *p = arg;
	struct nf_route_out r;

	if (nf_iface_parse_default_route(h, &r) == 1 && (!p->found || r.metric < p->best.metric)) {
		p->best = r;
		p->found = 1;
	}
	return 0;
}

struct nh_find {
	uint32_t want;
	struct nf_nexthop nh;
	int found;
};

static int nexthop_cb(const struct nlmsghdr *h, void *arg)
{
	struct nh_find *f = arg;
	struct nf_nexthop nh;

	if (nf_iface_parse_nexthop(h, &nh) == 0 && nh.id == f->want) {
		f->nh = nh;
		f->found = 1;
	}
	return 0;
}

/* The device of nexthop object id, or of its group's first member (groups
 * do not nest). 0 or -errno with nf_lasterr(). */
static int nexthop_device(uint32_t id, int *ifindex)
{
	for (int depth = 0; depth < 2; depth++) {
		struct nh_find f = { id, { 0, 0, 0 }, 0 };
		int r = dump(RTM_GETNEXTHOP, sizeof(struct nhmsg), AF_UNSPEC, nexthop_cb, &f);

		if (r < 0)
			return r;
		if (!f.found)
			break;
		if (f.nh.oif) {
			*ifindex = f.nh.oif;
			return 0;
		}
		id = f.nh.first_member;
	}
	nf_seterr("the default route's nexthop %u is gone or has no device: name an interface with -i", id);
	return -ENOENT;
}

static int find_index(int ifindex, struct nf_iface *out)
{
	struct nf_iface *v;
	size_t n;
	int r = nf_iface_list(&v, &n);

	if (r < 0)
		return r;
	r = -ENODEV;
	for (size_t i = 0; i < n; i++) {
		if (v[i].ifindex == ifindex) {
			*out = v[i];
			r = 0;
		}
	}
	free(v);
	if (r < 0)
		nf_seterr("default route device %d vanished", ifindex);
	return r;
}

int nf_iface_default(struct nf_iface *out)
{
	static const unsigned char families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(families); i++) {
		struct route_pick p = { { 0, 0, 0 }, 0 };
		int r = dump(RTM_GETROUTE, sizeof(struct rtmsg), families[i], route_cb, &p);

		if (r < 0)
			return r;
		if (!p.found)
			continue;
		if (p.best.nh_id && (r = nexthop_device(p.best.nh_id, &p.best.ifindex)) < 0)
			return r;
		return find_index(p.best.ifindex, out);
	}
	nf_seterr("no default route: name an interface with -i");
	return -ENOENT;
}

/* Keep the entries of v that match name (compacting in place); the count. */
static size_t select_ifaces(struct nf_iface *v, size_t n, const char *name)
{
	int any = strcmp(name, "any") == 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int keep = any ? (v[i].flags & IFF_UP) && !(v[i].flags & IFF_LOOPBACK)
			       : strcmp(v[i].name, name) == 0;

		if (keep)
			v[k++] = v[i];
	}
	return k;
}

int nf_iface_resolve(const char *name, struct nf_iface **out, size_t *n)
{
	struct nf_iface *v;
	size_t all, k;
	int r = nf_iface_list(&v, &all);

	if (r < 0)
		return r;
	k = select_ifaces(v, all, name);
	if (!k) {
		free(v);
		if (strcmp(name, "any") == 0)
			nf_seterr("no interface is up");
		else
			nf_seterr("unknown interface '%s'", name);
		return -ENODEV;
	}
	*out = v;
	*n = k;
	return 0;
}
