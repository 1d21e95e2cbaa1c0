/* Netlink messages without a kernel: the TC requests are checked byte by
 * byte with a walk of our own, hand-written kernel replies are decoded,
 * malformed input is refused, and the socket exchange, dump loop and the
 * TC attach/detach sequence run against a fake nf_sys kernel. */
#include "t.h"
#include "fake_sys.h"
#include "iface.h"
#include "kern/load.h"
#include "log.h"
#include "attach/nl.h"
#include "kern/sys.h"
#include "attach/tc.h"
#include "attach/tc_msg.h"
#include <errno.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/nexthop.h>
#include <net/if_arp.h>

/* ---- an independent writer and reader of netlink bytes ----------------- */

struct wbuf {
	_Alignas(8) uint8_t b[2048];
	size_t n;
};

static size_t w_put(struct wbuf *w, const void *p, size_t len)
{
	size_t at = w->n;

	memcpy(w->b + at, p, len);
	w->n = (at + len + 3) & ~(size_t)3;
	memset(w->b + at + len, 0, w->n - at - len);
	return at;
}

static void w_u16_at(struct wbuf *w, size_t at, uint16_t v)
{
	memcpy(w->b + at, &v, 2);
}

static void w_u32_at(struct wbuf *w, size_t at, uint32_t v)
{
	memcpy(w->b + at, &v, 4);
}

/* nlmsghdr with len patched by w_msg_end */
static size_t w_msg(struct wbuf *w, uint16_t type, uint16_t flags, uint32_t seq)
{
	uint32_t h[4] = { 0, (uint32_t)type | (uint32_t)flags << 16, seq, 0 };

	return w_put(w, h, sizeof(h));
}

static void w_msg_end(struct wbuf *w, size_t at)
{
	w_u32_at(w, at, (uint32_t)(w->n - at));
}

static size_t w_attr(struct wbuf *w, uint16_t type, const void *data, size_t len)
{
	uint16_t h[2] = { (uint16_t)(4 + len), type };
	size_t at = w_put(w, h, 4);

	if (len) {
		w->n = at + 4;
		w_put(w, data, len);
	}
	return at;
}

static void w_attr_u32(struct wbuf *w, uint16_t type, uint32_t v)
{
	w_attr(w, type, &v, 4);
}

static void w_attr_str(struct wbuf *w, uint16_t type, const char *s)
{
	w_attr(w, type, s, strlen(s) + 1);
}

static void w_nest_end(struct wbuf *w, size_t at)
{
	w_u16_at(w, at, (uint16_t)(w->n - at));
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The attribute of type in [p, p+len) (walking rta_len, 4-aligned), with
 * its payload length in *plen; NULL if absent or the run is malformed. */
static const uint8_t *find_attr(const uint8_t *p, size_t len, uint16_t type, size_t *plen)
{
	size_t off = 0;

	while (off + 4 <= len) {
		uint16_t alen = rd16(p + off), atype = rd16(p + off + 2);

		if (alen < 4 || off + alen > len)
			return NULL;
		if (atype == type) {
			*plen = alen - 4u;
			return p + off + 4;
		}
		off += (alen + 3u) & ~3u;
	}
	return NULL;
}

/* ---- building ---------------------------------------------------------- */

#define TCM_IFINDEX 20     /* offsets inside the message: 16 header + tcmsg */
#define TCM_HANDLE 24
#define TCM_PARENT 28
#define TCM_INFO 32
#define TCM_ATTRS 36

static void test_build(void)
{
	_Alignas(8) uint8_t buf[TC_MSG_BUF];
	struct nl_msg m;

	T_CASE("build: RTM_NEWTFILTER cls_bpf direct-action, bytes") {
		size_t plen = 0, olen = 0;
		const uint8_t *kind, *opts, *p;

		REQUIRE(tc_msg_filter_new(&m, buf, sizeof(buf), 7, tc_clsact_parent(1), 0, 42,
					  "nflux_test") == 0);
		uint32_t len = rd32(buf);
		/* 16 + 20 + kind 8 + options (4 + fd 8 + name 16 + flags 8) */
		CHECK_EQ(len, 80);
		CHECK_EQ(rd16(buf + 4), RTM_NEWTFILTER);
		CHECK_EQ(rd16(buf + 6), NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
		CHECK_EQ(buf[16], AF_UNSPEC);
		CHECK_EQ((int32_t)rd32(buf + TCM_IFINDEX), 7);
		CHECK_EQ(rd32(buf + TCM_HANDLE), 0);
		CHECK_EQ(rd32(buf + TCM_PARENT), 0xFFFFFFF2u);
		CHECK_EQ(rd32(buf + TCM_INFO), htons(ETH_P_ALL));   /* prio 0 */
		kind = find_attr(buf + TCM_ATTRS, len - TCM_ATTRS, TCA_KIND, &plen);
		REQUIRE(kind);
		CHECK_EQ(plen, 4);
		CHECK(!memcmp(kind, "bpf", 4));
		opts = find_attr(buf + TCM_ATTRS, len - TCM_ATTRS, TCA_OPTIONS, &olen);
		REQUIRE(opts);
		CHECK_EQ(olen, 32);
		p = find_attr(opts, olen, TCA_BPF_FD, &plen);
		CHECK(p && plen == 4 && rd32(p) == 42);
		p = find_attr(opts, olen, TCA_BPF_NAME, &plen);
		CHECK(p && plen == 11 && !memcmp(p, "nflux_test", 11));
		p = find_attr(opts, olen, TCA_BPF_FLAGS, &plen);
		CHECK(p && plen == 4 && rd32(p) == TCA_BPF_FLAG_ACT_DIRECT);
	}
	T_CASE("build: egress parent and an explicit prio") {
		REQUIRE(tc_msg_filter_new(&m, buf, sizeof(buf), 3, tc_clsact_parent(0), 7, 1, "x") == 0);
		CHECK_EQ(rd32(buf + TCM_PARENT), 0xFFFFFFF3u);
		CHECK_EQ(rd32(buf + TCM_INFO), (7u << 16) | htons(ETH_P_ALL));
	}
	T_CASE("build: RTM_NEWQDISC / RTM_DELQDISC clsact") {
		size_t plen = 0;
		const uint8_t *kind;

		REQUIRE(tc_msg_clsact(&m, buf, sizeof(buf), RTM_NEWQDISC, 5) == 0);
		CHECK_EQ(rd32(buf), 16 + 20 + 12);
		CHECK_EQ(rd16(buf + 4), RTM_NEWQDISC);
		CHECK_EQ(rd16(buf + 6), NLM_F_CREATE | NLM_F_EXCL);
		CHECK_EQ(rd32(buf + TCM_IFINDEX), 5);
		CHECK_EQ(rd32(buf + TCM_HANDLE), 0xFFFF0000u);
		CHECK_EQ(rd32(buf + TCM_PARENT), 0xFFFFFFF1u);
		kind = find_attr(buf + TCM_ATTRS, rd32(buf) - TCM_ATTRS, TCA_KIND, &plen);
		CHECK(kind && plen == 7 && !memcmp(kind, "clsact", 7));
		REQUIRE(tc_msg_clsact(&m, buf, sizeof(buf), RTM_DELQDISC, 5) == 0);
		CHECK_EQ(rd16(buf + 4), RTM_DELQDISC);
		CHECK_EQ(rd16(buf + 6), 0);
	}
	T_CASE("build: RTM_DELTFILTER names exactly one filter") {
		REQUIRE(tc_msg_filter_del(&m, buf, sizeof(buf), 9, tc_clsact_parent(1), 49152, 1) == 0);
		CHECK_EQ(rd16(buf + 4), RTM_DELTFILTER);
		CHECK_EQ(rd32(buf + TCM_HANDLE), 1);
		CHECK_EQ(rd32(buf + TCM_PARENT), 0xFFFFFFF2u);
		CHECK_EQ(rd32(buf + TCM_INFO), (49152u << 16) | htons(ETH_P_ALL));
	}
	T_CASE("build: a message that does not fit fails cleanly") {
		for (size_t cap = 0; cap < 80; cap += 4) {
			uint8_t *small = malloc(cap ? cap : 1);

			CHECK_EQ(tc_msg_filter_new(&m, small, cap, 1, tc_clsact_parent(1), 0, 3,
						   "nflux_test"), -EMSGSIZE);
			free(small);
		}
		CHECK_EQ(tc_msg_filter_new(&m, buf, 80, 1, tc_clsact_parent(1), 0, 3, "nflux_test"), 0);
	}
}

/* ---- canned kernel replies --------------------------------------------- */

/* An RTM_NEWTFILTER as the kernel echoes or dumps it. */
static void w_filter(struct wbuf *w, uint32_t seq, uint32_t parent, uint32_t prio,
		     uint32_t handle, const char *name)
{
	uint32_t tcm[5] = { 0, 4, handle, parent, (prio << 16) | htons(ETH_P_ALL) };
	size_t msg = w_msg(w, RTM_NEWTFILTER, 0, seq), nest;

	w_put(w, tcm, sizeof(tcm));
	w_attr_str(w, TCA_KIND, "bpf");
	w_attr_u32(w, TCA_CHAIN, 0);
	if (handle) {
		nest = w_attr(w, TCA_OPTIONS, NULL, 0);
		w_attr_u32(w, TCA_BPF_ID, 77);
		w_attr_str(w, TCA_BPF_NAME, name);
		w_attr_u32(w, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
		w_nest_end(w, nest);
	}
	w_msg_end(w, msg);
}

/* NLMSG_ERROR answering a request of type req_type; text -> ext-ack TLV.
 * capped=0 echoes a 20-byte request payload before the TLVs. */
static void w_error(struct wbuf *w, uint32_t seq, int err, const char *text, int capped)
{
	uint16_t flags = (capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0);
	size_t msg = w_msg(w, NLMSG_ERROR, flags, seq);
	uint32_t req[4] = { capped ? 16 : 36, RTM_NEWTFILTER | NLM_F_REQUEST << 16, seq, 0 };
	uint8_t payload[20] = { 0 };
	int32_t e = err;

	w_put(w, &e, 4);
	w_put(w, req, sizeof(req));
	if (!capped)
		w_put(w, payload, sizeof(payload));
	if (text)
		w_attr_str(w, NLMSGERR_ATTR_MSG, text);
	w_msg_end(w, msg);
}

static void w_done(struct wbuf *w, uint32_t seq)
{
	size_t msg = w_msg(w, NLMSG_DONE, NLM_F_MULTI, seq);
	int32_t zero = 0;

	w_put(w, &zero, 4);
	w_msg_end(w, msg);
}

/* RTM_NEWROUTE: family, dst_len, table, type; oif 0 = none. */
static void w_route(struct wbuf *w, uint8_t family, uint8_t dst_len, uint8_t table,
		    uint8_t type, uint32_t oif, uint32_t metric)
{
	uint8_t rtm[12] = { family, dst_len, 0, 0, table, RTPROT_BOOT, RT_SCOPE_UNIVERSE, type };
	size_t msg = w_msg(w, RTM_NEWROUTE, NLM_F_MULTI, 1);
	uint8_t gw[4] = { 10, 0, 0, 1 };

	w_put(w, rtm, sizeof(rtm));
	w_attr_u32(w, RTA_TABLE, table);
	if (dst_len)
		w_attr(w, RTA_DST, gw, 4);
	w_attr(w, RTA_GATEWAY, gw, 4);
	if (metric)
		w_attr_u32(w, RTA_PRIORITY, metric);
	if (oif)
		w_attr_u32(w, RTA_OIF, oif);
	w_msg_end(w, msg);
}

/* RTM_NEWNEXTHOP: NHA_ID (if id), NHA_OIF (if oif), NHA_GROUP (if grp). */
static void w_nexthop(struct wbuf *w, uint32_t id, uint32_t oif, const void *grp, size_t grp_len)
{
	uint8_t nhm[8] = { AF_INET };
	size_t msg = w_msg(w, RTM_NEWNEXTHOP, 0, 1);

	w_put(w, nhm, sizeof(nhm));
	if (id)
		w_attr_u32(w, NHA_ID, id);
	if (oif)
		w_attr_u32(w, NHA_OIF, oif);
	if (grp)
		w_attr(w, NHA_GROUP, grp, grp_len);
	w_msg_end(w, msg);
}

static void w_link(struct wbuf *w, int ifindex, uint16_t type, uint32_t flags, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_type = type,
				 .ifi_index = ifindex, .ifi_flags = flags };
	size_t msg = w_msg(w, RTM_NEWLINK, NLM_F_MULTI, 1);
	uint32_t mtu = 1420;

	w_put(w, &ifi, sizeof(ifi));
	w_attr_str(w, IFLA_IFNAME, name);
	w_attr_u32(w, IFLA_MTU, mtu);
	w_msg_end(w, msg);
}

static const struct nlmsghdr *only_msg(const struct wbuf *w)
{
	const struct nlmsghdr *h = NULL;
	size_t off = 0;

	return nl_msg_next(w->b, w->n, &off, &h) == 1 ? h : NULL;
}

static void test_replies(void)
{
	T_CASE("parse: ECHO of a new filter gives handle, prio, name, flags") {
		struct wbuf w = { .n = 0 };
		struct tc_filter_info f;

		w_filter(&w, 5, tc_clsact_parent(1), 49152, 1, "nflux_test");
		REQUIRE(only_msg(&w));
		REQUIRE(tc_parse_filter(only_msg(&w), &f) == 0);
		CHECK_EQ(f.ifindex, 4);
		CHECK_EQ(f.parent, 0xFFFFFFF2u);
		CHECK_EQ(f.prio, 49152);
		CHECK_EQ(f.handle, 1);
		CHECK_STR(f.kind, "bpf");
		CHECK_STR(f.name, "nflux_test");
		CHECK_EQ(f.bpf_flags, TCA_BPF_FLAG_ACT_DIRECT);
		CHECK_EQ(f.prog_id, 77);
	}
	T_CASE("parse: chain head entry (no handle, no options)") {
		struct wbuf w = { .n = 0 };
		struct tc_filter_info f;

		w_filter(&w, 5, tc_clsact_parent(0), 3, 0, NULL);
		REQUIRE(tc_parse_filter(only_msg(&w), &f) == 0);
		CHECK_EQ(f.handle, 0);
		CHECK_EQ(f.prio, 3);
		CHECK_STR(f.name, "");
	}
	T_CASE("parse: NLMSG_ERROR with ext-ack text, capped and not") {
		struct wbuf w = { .n = 0 };
		const char *msg = NULL;
		int err = 0;

		w_error(&w, 1, -EINVAL, "Invalid prio", 1);
		REQUIRE(nl_parse_error(only_msg(&w), &err, &msg) == 0);
		CHECK_EQ(err, -EINVAL);
		CHECK_STR(msg, "Invalid prio");
		w.n = 0;
		w_error(&w, 1, -EEXIST, "Exclusivity flag on", 0);
		REQUIRE(nl_parse_error(only_msg(&w), &err, &msg) == 0);
		CHECK_EQ(err, -EEXIST);
		CHECK_STR(msg, "Exclusivity flag on");
		w.n = 0;
		w_error(&w, 1, 0, NULL, 1);
		REQUIRE(nl_parse_error(only_msg(&w), &err, &msg) == 0);
		CHECK_EQ(err, 0);
		CHECK(msg == NULL);
	}
	T_CASE("parse: multipart route dump picks the default route") {
		struct wbuf w = { .n = 0 };
		const struct nlmsghdr *h;
		size_t off = 0;
		int n = 0, hits = 0, r;
		struct nf_route_out ro = { 0, 0, 0 };

		w_route(&w, AF_INET, 32, RT_TABLE_LOCAL, RTN_LOCAL, 1, 0);
		w_route(&w, AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST, 2, 0);
		w_route(&w, AF_INET, 0, 100, RTN_UNICAST, 3, 0);          /* other table */
		w_route(&w, AF_INET, 0, RT_TABLE_MAIN, RTN_UNREACHABLE, 0, 0);
		w_route(&w, AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST, 7, 600);
		w_done(&w, 1);
		while ((r = nl_msg_next(w.b, w.n, &off, &h)) == 1) {
			n++;
			if (h->nlmsg_type == NLMSG_DONE)
				CHECK_EQ(nl_parse_done(h), 0);
			else if (nf_iface_parse_default_route(h, &ro) == 1)
				hits++;
		}
		CHECK_EQ(r, 0);
		CHECK_EQ(n, 6);
		CHECK_EQ(hits, 1);
		CHECK_EQ(ro.ifindex, 7);
		CHECK_EQ(ro.nh_id, 0);
		CHECK_EQ(ro.metric, 600);
	}
	T_CASE("parse: multipath default route uses its first hop") {
		struct wbuf w = { .n = 0 };
		uint8_t rtm[12] = { AF_INET6, 0, 0, 0, RT_TABLE_MAIN, 0, 0, RTN_UNICAST };
		struct rtnexthop nh[2] = { { .rtnh_len = 8, .rtnh_ifindex = 9 },
					   { .rtnh_len = 8, .rtnh_ifindex = 10 } };
		size_t msg = w_msg(&w, RTM_NEWROUTE, 0, 1);
		struct nf_route_out ro = { 0, 0, 1 };

		w_put(&w, rtm, sizeof(rtm));
		w_attr(&w, RTA_MULTIPATH, nh, sizeof(nh));
		w_msg_end(&w, msg);
		CHECK_EQ(nf_iface_parse_default_route(only_msg(&w), &ro), 1);
		CHECK_EQ(ro.ifindex, 9);
		CHECK_EQ(ro.metric, 0);
	}
	T_CASE("parse: default route through a nexthop object") {
		struct wbuf w = { .n = 0 };
		uint8_t rtm[12] = { AF_INET, 0, 0, 0, RT_TABLE_MAIN, 0, 0, RTN_UNICAST };
		size_t msg = w_msg(&w, RTM_NEWROUTE, 0, 1);
		struct nf_route_out ro = { 5, 0, 0 };

		w_put(&w, rtm, sizeof(rtm));
		w_attr_u32(&w, RTA_PRIORITY, 20);
		w_attr_u32(&w, RTA_NH_ID, 42);
		w_msg_end(&w, msg);
		CHECK_EQ(nf_iface_parse_default_route(only_msg(&w), &ro), 1);
		CHECK_EQ(ro.ifindex, 0);
		CHECK_EQ(ro.nh_id, 42);
		CHECK_EQ(ro.metric, 20);
	}
	T_CASE("parse: nexthop objects, a device and a group") {
		struct wbuf w = { .n = 0 };
		struct nexthop_grp grp[2] = { { .id = 42, .weight = 0 }, { .id = 43, .weight = 0 } };
		struct nf_nexthop nh;

		w_nexthop(&w, 42, 7, NULL, 0);
		REQUIRE(nf_iface_parse_nexthop(only_msg(&w), &nh) == 0);
		CHECK_EQ(nh.id, 42);
		CHECK_EQ(nh.oif, 7);
		CHECK_EQ(nh.first_member, 0);
		w.n = 0;
		w_nexthop(&w, 50, 0, grp, sizeof(grp));
		REQUIRE(nf_iface_parse_nexthop(only_msg(&w), &nh) == 0);
		CHECK_EQ(nh.id, 50);
		CHECK_EQ(nh.oif, 0);
		CHECK_EQ(nh.first_member, 42);
	}
	T_CASE("parse: nexthop without an id, or with a short group, is refused") {
		struct wbuf w = { .n = 0 };
		uint8_t half[4] = { 1 };
		struct nf_nexthop nh;

		w_nexthop(&w, 0, 7, NULL, 0);
		CHECK_EQ(nf_iface_parse_nexthop(only_msg(&w), &nh), -EBADMSG);
		w.n = 0;
		w_nexthop(&w, 50, 0, half, sizeof(half));
		CHECK_EQ(nf_iface_parse_nexthop(only_msg(&w), &nh), -EBADMSG);
		w.n = 0;
		w_link(&w, 12, ARPHRD_NONE, IFF_UP, "wg0");
		CHECK_EQ(nf_iface_parse_nexthop(only_msg(&w), &nh), -ENOMSG);
	}
	T_CASE("parse: RTM_NEWLINK of a wireguard device") {
		struct wbuf w = { .n = 0 };
		struct nf_iface ifc;

		w_link(&w, 12, ARPHRD_NONE, IFF_UP | IFF_POINTOPOINT, "wg0");
		REQUIRE(nf_iface_parse_link(only_msg(&w), &ifc) == 0);
		CHECK_EQ(ifc.ifindex, 12);
		CHECK_STR(ifc.name, "wg0");
		CHECK(ifc.flags & IFF_UP);
		CHECK(nf_iface_is_l3(ifc.type));
		CHECK(!nf_iface_is_l3(ARPHRD_ETHER));
		CHECK(nf_iface_is_l3(ARPHRD_RAWIP) && nf_iface_is_l3(ARPHRD_PPP));
	}
	T_CASE("parse: NLMSG_DONE carrying an error") {
		struct wbuf w = { .n = 0 };
		size_t msg = w_msg(&w, NLMSG_DONE, NLM_F_MULTI, 1);
		int32_t e = -EINTR;

		w_put(&w, &e, 4);
		w_msg_end(&w, msg);
		CHECK_EQ(nl_parse_done(only_msg(&w)), -EINTR);
	}
}

/* ---- malformed input --------------------------------------------------- */

/* Run every decoder on h (ASan/UBSan watch for reads out of bounds). */
static void decode_all(const struct nlmsghdr *h)
{
	struct tc_filter_info f;
	struct nf_iface ifc;
	const char *msg;
	struct nf_route_out ro;
	struct nf_nexthop nh;
	int err;

	tc_parse_filter(h, &f);
	nf_iface_parse_link(h, &ifc);
	nf_iface_parse_default_route(h, &ro);
	nf_iface_parse_nexthop(h, &nh);
	nl_parse_error(h, &err, &msg);
	nl_parse_done(h);
}

/* Copy the messages of w into an exactly-sized heap buffer and decode. */
static int decode_copy(const uint8_t *bytes, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	const struct nlmsghdr *h;
	size_t off = 0;
	int r;

	memcpy(p, bytes, len);
	while ((r = nl_msg_next(p, len, &off, &h)) == 1)
		decode_all(h);
	free(p);
	return r;
}

static void test_malformed(void)
{
	T_CASE("malformed: attribute length past the end") {
		_Alignas(4) uint8_t b[12] = { 100, 0, 1, 0 };
		struct nl_attrs as = { b, sizeof(b) };
		const struct rtattr *tb[4];

		CHECK_EQ(nl_attr_parse(&as, tb, 3), -EBADMSG);
	}
	T_CASE("malformed: zero-length attribute does not loop") {
		_Alignas(4) uint8_t b[8] = { 0 };
		struct nl_attrs as = { b, sizeof(b) };
		const struct rtattr *tb[4];

		CHECK_EQ(nl_attr_parse(&as, tb, 3), -EBADMSG);
	}
	T_CASE("malformed: nested attribute overflowing its nest") {
		struct wbuf w = { .n = 0 };
		struct tc_filter_info f;
		uint32_t tcm[5] = { 0 };
		size_t msg = w_msg(&w, RTM_NEWTFILTER, 0, 1), nest;

		w_put(&w, tcm, sizeof(tcm));
		w_attr_str(&w, TCA_KIND, "bpf");
		nest = w_attr(&w, TCA_OPTIONS, NULL, 0);
		w_attr_str(&w, TCA_BPF_NAME, "nflux_x");
		w_u16_at(&w, nest + 4, 60);     /* inner length beyond the nest */
		w_nest_end(&w, nest);
		w_attr_u32(&w, TCA_CHAIN, 0);
		w_msg_end(&w, msg);
		CHECK_EQ(tc_parse_filter(only_msg(&w), &f), -EBADMSG);
	}
	T_CASE("malformed: message headers") {
		_Alignas(4) uint8_t b[32] = { 0 };
		const struct nlmsghdr *h;
		size_t off = 0;

		memcpy(b, &(uint32_t){ 64 }, 4);    /* longer than the datagram */
		CHECK_EQ(nl_msg_next(b, sizeof(b), &off, &h), -EBADMSG);
		memcpy(b, &(uint32_t){ 8 }, 4);     /* shorter than a header */
		CHECK_EQ(nl_msg_next(b, sizeof(b), &off, &h), -EBADMSG);
		CHECK_EQ(nl_msg_next(b, 10, &off, &h), -EBADMSG);
	}
	T_CASE("malformed: short payloads") {
		struct wbuf w = { .n = 0 };
		const char *msg;
		int err;
		uint32_t v;
		size_t msg_at = w_msg(&w, NLMSG_ERROR, 0, 1);

		w_put(&w, &(int32_t){ -1 }, 4);      /* nlmsgerr cut short */
		w_msg_end(&w, msg_at);
		CHECK_EQ(nl_parse_error(only_msg(&w), &err, &msg), -EBADMSG);
		w.n = 0;
		size_t a = w_attr(&w, 1, "ab", 2);
		CHECK_EQ(nl_attr_u32((const struct rtattr *)(w.b + a), &v), -EBADMSG);
		CHECK(nl_attr_str((const struct rtattr *)(w.b + a)) == NULL);   /* no NUL */
	}
	T_CASE("malformed: ext-ack whose echoed request claims too much") {
		struct wbuf w = { .n = 0 };
		const char *msg = (const char *)1;
		int err = 0;

		w_error(&w, 1, -EPERM, "text", 0);
		w_u32_at(&w, 20, 4000);     /* echoed nlmsg_len */
		REQUIRE(nl_parse_error(only_msg(&w), &err, &msg) == 0);
		CHECK_EQ(err, -EPERM);
		CHECK(msg == NULL);
	}
	T_CASE("malformed: every truncation and byte flip of real replies") {
		struct wbuf w = { .n = 0 };
		uint32_t seed = 12345;

		w_filter(&w, 1, tc_clsact_parent(1), 1, 1, "nflux_test");
		w_error(&w, 1, -EINVAL, "bad", 0);
		w_route(&w, AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST, 7, 5);
		w_link(&w, 3, ARPHRD_ETHER, IFF_UP, "eth0");
		w_done(&w, 1);
		CHECK_EQ(decode_copy(w.b, w.n), 0);
		for (size_t cut = 0; cut < w.n; cut++)
			decode_copy(w.b, cut);
		for (int i = 0; i < 20000; i++) {
			struct wbuf m = w;

			for (int k = 0; k < 3; k++) {
				seed = seed * 1103515245u + 12345u;
				m.b[(seed >> 8) % m.n] ^= (uint8_t)(seed >> 20);
			}
			decode_copy(m.b, m.n);
		}
	}
}

/* ---- a fake kernel behind nf_sys --------------------------------------- */

#define FAKE_FD 400
static struct {
	struct wbuf q[16];         /* reply datagrams queued for recvmsg */
	int nq, head;
	uint16_t sent[32];         /* types of the requests seen */
	uint16_t sent_flags[32];
	int nsent, open_fds;
	int new_filter_err;        /* errno for RTM_NEWTFILTER (0: echo + ack) */
	int no_echo;               /* RTM_NEWTFILTER: the ack alone */
	const char *dump_name;     /* RTM_GETTFILTER: one filter of this name, handle 7 */
	int del_filter_err;        /* errno for RTM_DELTFILTER */
	int qdisc_exists;          /* RTM_NEWQDISC answers -EEXIST */
	int dump_filters;          /* entries per RTM_GETTFILTER dump */
	int stale_seq_first;       /* queue a reply with a wrong seq first */
	int recv_eintr;            /* fail the next recvmsg with EINTR */
	int foreign_sender;        /* the next datagram comes from a user pid */
	int trunc;                 /* flag the next datagram MSG_TRUNC */
	uint32_t tcx_errno;        /* BPF_LINK_CREATE answer */
} fk;

static long fail(int e)
{
	errno = e;
	return -1;
}

static struct wbuf *fk_push(void)
{
	struct wbuf *w = &fk.q[fk.nq++ % 16];

	w->n = 0;
	return w;
}

static void fk_answer(const struct nlmsghdr *req)
{
	uint32_t seq = req->nlmsg_seq;
	const struct tcmsg *t = NLMSG_DATA(req);

	if (fk.stale_seq_first) {
		fk.stale_seq_first = 0;
		w_error(fk_push(), seq - 1, -EBUSY, NULL, 1);
	}
	switch (req->nlmsg_type) {
	case RTM_NEWQDISC:
		w_error(fk_push(), seq, fk.qdisc_exists ? -EEXIST : 0, NULL, 1);
		break;
	case RTM_NEWTFILTER:
		if (fk.new_filter_err) {
			w_error(fk_push(), seq, -fk.new_filter_err, "cls_bpf said no", 0);
			break;
		}
		if (!fk.no_echo)
			w_filter(fk_push(), seq, t->tcm_parent, 49152, 1, "nflux_test");
		w_error(fk_push(), seq, 0, NULL, 1);
		break;
	case RTM_DELTFILTER:
		w_error(fk_push(), seq, -fk.del_filter_err, "Cannot find specified filter chain", 1);
		break;
	case RTM_GETTFILTER: {
		struct wbuf *w = fk_push();

		if (fk.dump_name)
			w_filter(w, seq, t->tcm_parent, 49153, 7, fk.dump_name);
		for (int i = 0; i < fk.dump_filters; i++)
			w_filter(w, seq, t->tcm_parent, 100 + (uint32_t)i, 1,
				 i % 2 ? "other" : "nflux_old");
		w_done(fk_push(), seq);
		break;
	}
	default:
		w_error(fk_push(), seq, 0, NULL, 1);
	}
}

static int fk_socket(int d, int t, int p)
{
	(void)d, (void)t, (void)p;
	fk.open_fds++;
	return FAKE_FD;
}

static int fk_bind(int fd, const struct sockaddr *a, socklen_t l)
{
	(void)a, (void)l;
	return fd == FAKE_FD ? 0 : fail(EBADF);
}

static int fk_setsockopt(int fd, int lvl, int opt, const void *v, socklen_t l)
{
	(void)lvl, (void)opt, (void)v, (void)l;
	return fd == FAKE_FD ? 0 : fail(EBADF);
}

static int fk_close(int fd)
{
	fk.open_fds--;
	return fd == FAKE_FD || fd >= 500 ? 0 : fail(EBADF);
}

static ssize_t fk_sendmsg(int fd, const struct msghdr *mh, int flags)
{
	const struct nlmsghdr *req = mh->msg_iov[0].iov_base;

	(void)flags;
	if (fd != FAKE_FD)
		return fail(EBADF);
	if (fk.nsent < 32) {
		fk.sent[fk.nsent] = req->nlmsg_type;
		fk.sent_flags[fk.nsent++] = req->nlmsg_flags;
	}
	fk_answer(req);
	return (ssize_t)req->nlmsg_len;
}

static ssize_t fk_recvmsg(int fd, struct msghdr *mh, int flags)
{
	struct sockaddr_nl *from = mh->msg_name;
	struct wbuf *w;

	(void)flags;
	if (fd != FAKE_FD)
		return fail(EBADF);
	if (fk.recv_eintr) {
		fk.recv_eintr = 0;
		return fail(EINTR);
	}
	if (fk.head == fk.nq)
		return fail(EAGAIN);     /* the real socket would block forever */
	w = &fk.q[fk.head++ % 16];
	memcpy(mh->msg_iov[0].iov_base, w->b, w->n);
	memset(from, 0, sizeof(*from));
	from->nl_family = AF_NETLINK;
	from->nl_pid = fk.foreign_sender ? 4242 : 0;
	fk.foreign_sender = 0;
	mh->msg_flags = fk.trunc ? MSG_TRUNC : 0;
	fk.trunc = 0;
	return (ssize_t)w->n;
}

static long fk_bpf(int cmd, union bpf_attr *a, unsigned int size)
{
	(void)size;
	if (cmd == BPF_PROG_LOAD) {
		fk.open_fds++;
		return 500;
	}
	if (cmd == BPF_LINK_CREATE) {
		if (a->link_create.attach_type != 46 && a->link_create.attach_type != 47)
			return fail(EINVAL);
		if (fk.tcx_errno)
			return fail((int)fk.tcx_errno);
		if (a->link_create.target_ifindex != 4)
			return fail(ENODEV);   /* what the tcx probe looks for */
		fk.open_fds++;
		return 500 + a->link_create.attach_type;
	}
	return fail(EINVAL);
}

static int kept_names;

/* keep for nf_tc_cleanup_stale: claims every filter, counts the names. */
static int keep_all(const char *name)
{
	kept_names += strncmp(name, "nflux", 5) == 0;
	return 1;
}

static void fk_reset(void)
{
	static struct nf_sys fake;

	memset(&fk, 0, sizeof(fk));
	t_fake_sys(&fake);
	fake.socket = fk_socket;
	fake.bind = fk_bind;
	fake.setsockopt = fk_setsockopt;
	fake.close = fk_close;
	fake.sendmsg = fk_sendmsg;
	fake.recvmsg = fk_recvmsg;
	fake.bpf = fk_bpf;
	t_use_sys(&fake);
}

static int count_cb(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	++*(int *)arg;
	return 0;
}

static void test_fake_socket(void)
{
	_Alignas(8) uint8_t buf[TC_MSG_BUF];
	struct nl_sock s;
	struct nl_msg m;

	T_CASE("socket: request with ECHO, ack, stale and foreign replies skipped") {
		int n = 0;

		fk_reset();
		REQUIRE(nl_open(&s) == 0);
		fk.stale_seq_first = 1;
		fk.recv_eintr = 1;
		tc_msg_filter_new(&m, buf, sizeof(buf), 4, tc_clsact_parent(1), 0, 3, "nflux_test");
		CHECK_EQ(nl_request(&s, &m, count_cb, &n), 0);
		CHECK_EQ(n, 1);
		CHECK_EQ(fk.sent_flags[0] & (NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO),
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO);
		CHECK_EQ(fk.head, fk.nq);     /* everything consumed */
		CHECK_EQ(nl_msg_hdr(&m)->nlmsg_seq, 1);
		tc_msg_clsact(&m, buf, sizeof(buf), RTM_NEWQDISC, 4);
		CHECK_EQ(nl_request(&s, &m, NULL, NULL), 0);
		CHECK_EQ(nl_msg_hdr(&m)->nlmsg_seq, 2);
		nl_close(&s);
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("socket: kernel error -> -errno and the ext-ack text") {
		fk_reset();
		REQUIRE(nl_open(&s) == 0);
		fk.new_filter_err = EPERM;
		tc_msg_filter_new(&m, buf, sizeof(buf), 4, tc_clsact_parent(1), 0, 3, "nflux_test");
		CHECK_EQ(nl_request(&s, &m, NULL, NULL), -EPERM);
		CHECK_STR(s.errmsg, "cls_bpf said no");
		fk.new_filter_err = 0;
		tc_msg_clsact(&m, buf, sizeof(buf), RTM_NEWQDISC, 4);
		CHECK_EQ(nl_request(&s, &m, NULL, NULL), 0);
		CHECK_STR(s.errmsg, "");
		nl_close(&s);
	}
	T_CASE("socket: dump loop over several datagrams until DONE") {
		int n = 0;

		fk_reset();
		REQUIRE(nl_open(&s) == 0);
		fk.dump_filters = 5;
		fk.foreign_sender = 1;     /* the first datagram is ignored... */
		w_filter(fk_push(), 1, 0, 1, 1, "spoofed");
		tc_msg_filter_dump(&m, buf, sizeof(buf), 4, tc_clsact_parent(1));
		CHECK_EQ(nl_dump(&s, &m, count_cb, &n), 0);
		CHECK_EQ(n, 5);
		CHECK(fk.sent_flags[0] & NLM_F_DUMP);
		CHECK(!(fk.sent_flags[0] & NLM_F_ACK));
		nl_close(&s);
	}
	T_CASE("socket: truncated datagram and receive errors") {
		fk_reset();
		REQUIRE(nl_open(&s) == 0);
		fk.trunc = 1;
		tc_msg_clsact(&m, buf, sizeof(buf), RTM_NEWQDISC, 4);
		CHECK_EQ(nl_request(&s, &m, NULL, NULL), -EMSGSIZE);
		fk.head = fk.nq;
		fk.dump_filters = 0;
		tc_msg_clsact(&m, buf, sizeof(buf), RTM_NEWQDISC, 4);
		fk.nq--;                   /* the kernel never answers */
		CHECK_EQ(nl_request(&s, &m, NULL, NULL), -EAGAIN);
		nl_close(&s);
	}
}

static int sent_seq(const uint16_t *want, int n)
{
	if (fk.nsent != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (fk.sent[i] != want[i])
			return 0;
	return 1;
}

static void test_fake_tc(void)
{
	struct nf_tc_link l;

	T_CASE("tc fake: netlink attach and detach, qdisc ours and empty") {
		static const uint16_t want[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELTFILTER,
						 RTM_GETTFILTER, RTM_GETTFILTER, RTM_DELQDISC };
		fk_reset();
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 1) == 0);
		CHECK_EQ(l.link_fd, -1);
		CHECK_EQ(l.handle, 1);
		CHECK_EQ(l.prio, 49152);
		CHECK_EQ(l.created_qdisc, 1);
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK(sent_seq(want, 6));
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("tc fake: qdisc not ours, or still in use, is kept") {
		static const uint16_t want1[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELTFILTER };
		static const uint16_t want2[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELTFILTER,
						  RTM_GETTFILTER, RTM_GETTFILTER };
		fk_reset();
		fk.qdisc_exists = 1;
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_EGRESS, 3, "nflux_test", 1) == 0);
		CHECK_EQ(l.created_qdisc, 0);
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK(sent_seq(want1, 3));
		fk_reset();
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_EGRESS, 3, "nflux_test", 1) == 0);
		fk.dump_filters = 1;
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK(sent_seq(want2, 5));
	}
	T_CASE("tc fake: filter already gone: -ENOENT, the empty clsact still goes") {
		static const uint16_t want[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELTFILTER,
						 RTM_GETTFILTER, RTM_GETTFILTER, RTM_DELQDISC };
		fk_reset();
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 1) == 0);
		fk.del_filter_err = ENOENT;
		CHECK_EQ(nf_tc_detach(&l), -ENOENT);
		CHECK(strstr(nf_lasterr(), ": Cannot find specified filter chain") != NULL);
		CHECK(sent_seq(want, 6));
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK_EQ(fk.nsent, 6);
	}
	T_CASE("tc fake: no handle echoed: found by name, and so detached") {
		static const uint16_t want[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_GETTFILTER,
						 RTM_GETTFILTER, RTM_DELTFILTER };
		fk_reset();
		fk.no_echo = 1;
		fk.qdisc_exists = 1;
		fk.dump_name = "nflux_test";
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 1) == 0);
		CHECK_EQ(l.handle, 7);
		CHECK_EQ(l.prio, 49153);
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK(sent_seq(want, 5));
		fk_reset();
		fk.no_echo = 1;
		fk.qdisc_exists = 1;
		fk.dump_name = "nflux_other";  /* not ours: an error, not a guess */
		CHECK_EQ(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 1), -EPROTO);
		CHECK(strstr(nf_lasterr(), "no filter named nflux_test") != NULL);
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("tc fake: failed filter removes the clsact it made") {
		static const uint16_t want[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_DELQDISC };
		fk_reset();
		fk.new_filter_err = EINVAL;
		CHECK_EQ(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 1), -EINVAL);
		CHECK(sent_seq(want, 3));
		CHECK(strstr(nf_lasterr(), "cls_bpf said no") != NULL);
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK_EQ(fk.nsent, 3);
	}
	T_CASE("tc fake: stale cleanup deletes only the prefixed filters") {
		fk_reset();
		fk.dump_filters = 3;       /* nflux_old, other, nflux_old per hook */
		CHECK_EQ(nf_tc_cleanup_stale(4, "nflux", NULL), 4);
		int dels = 0;
		for (int i = 0; i < fk.nsent; i++)
			dels += fk.sent[i] == RTM_DELTFILTER;
		CHECK_EQ(dels, 4);
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("tc fake: stale cleanup leaves what keep claims") {
		fk_reset();
		fk.dump_filters = 3;
		CHECK_EQ(nf_tc_cleanup_stale(4, "nflux", keep_all), 0);
		for (int i = 0; i < fk.nsent; i++)
			CHECK(fk.sent[i] != RTM_DELTFILTER);
		CHECK_EQ(kept_names, 4);
		CHECK_EQ(fk.open_fds, 0);
	}
	T_CASE("tc fake: tcx when probed, netlink when the kernel lacks it") {
		fk_reset();
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_EGRESS, 3, "nflux_test", 0) == 0);
		CHECK_EQ(l.link_fd, 547);
		CHECK_EQ(fk.nsent, 0);
		CHECK_EQ(nf_tc_detach(&l), 0);
		CHECK_EQ(l.link_fd, -1);
		CHECK_EQ(fk.open_fds, 0);    /* probe programs and the link closed */
		fk.tcx_errno = EINVAL;     /* old kernel: attach type unknown */
		nf_features_reset();
		REQUIRE(nf_tc_attach(&l, 4, NF_TC_INGRESS, 3, "nflux_test", 0) == 0);
		CHECK_EQ(l.link_fd, -1);
		CHECK_EQ(fk.sent[1], RTM_NEWTFILTER);
		nf_tc_detach(&l);
	}
	t_real_sys();
	nf_features_reset();
}

int main(void)
{
	test_build();
	test_replies();
	test_malformed();
	test_fake_socket();
	test_fake_tc();
	return t_summary();
}
