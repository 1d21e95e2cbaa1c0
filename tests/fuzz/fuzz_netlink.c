/* rtnetlink replies as they come off the socket: one datagram through
 * nl_msg_next, and each message through every decoder that reads such
 * replies: errors and extended acks, NLMSG_DONE, TC filters
 * (tc_parse_filter), links, default routes and nexthops (src/iface_msg.c),
 * and a walk of every attribute and nest, four levels deep. */
#include "fuzz.h"
#include "attach/nl.h"
#include "attach/tc_msg.h"
#include "iface.h"

static void walk(const struct nl_attrs *as, int depth)
{
	const struct rtattr *a, *tb[32];
	size_t off = 0;
	nl_attr_parse(as, tb, 31);
	for (int n = 0; n < 4096 && nl_attr_next(as, &off, &a) == 1; n++) {
		uint32_t v;
		nl_attr_u32(a, &v);
		nl_attr_str(a);
		if (depth < 4) {
			struct nl_attrs in = nl_attr_nested(a);
			walk(&in, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	const struct nlmsghdr *h;
	size_t off = 0;
	for (int n = 0; n < 4096 && nl_msg_next(data, size, &off, &h) == 1; n++) {
		int err;
		const char *msg;
		nl_parse_error(h, &err, &msg);
		nl_parse_done(h);
		struct tc_filter_info f;
		tc_parse_filter(h, &f);
		struct nf_iface ifc;
		nf_iface_parse_link(h, &ifc);
		struct nf_route_out r;
		nf_iface_parse_default_route(h, &r);
		struct nf_nexthop nh;
		nf_iface_parse_nexthop(h, &nh);
		static const size_t hdrlens[] = { 0, sizeof(struct tcmsg), sizeof(struct ifinfomsg),
						  sizeof(struct rtmsg) };
		for (size_t i = 0; i < sizeof(hdrlens) / sizeof(hdrlens[0]); i++) {
			nl_msg_data(h, hdrlens[i]);
			struct nl_attrs as = nl_msg_attrs(h, hdrlens[i]);
			walk(&as, 0);
		}
	}
	return 0;
}
