#include "iface.h"
#include "attach/nl.h"
#include <errno.h>
#include <string.h>
#include <net/if_arp.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823   /* linux/if_arp.h; libc headers lack it */
#endif

int nf_iface_is_l3(unsigned int type)
{
	switch (type) {
	case ARPHRD_NONE:      /* tun, wireguard, xfrm */
	case ARPHRD_RAWIP:     /* rmnet, qmi_wwan raw-ip */
	case ARPHRD_PPP:
	case ARPHRD_TUNNEL:    /* ipip, vti */
	case ARPHRD_TUNNEL6:   /* ip6tnl, ip6 vti */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:     /* point-to-point gre (gretap is ETHER) */
	case ARPHRD_IP6GRE:
		return 1;
	default:
		return 0;
	}
}

int nf_iface_parse_link(const struct nlmsghdr *h, struct nf_iface *out)
{
	const struct ifinfomsg *ifi = nl_msg_data(h, sizeof(*ifi));
	const struct rtattr *tb[IFLA_MAX + 1];
	struct nl_attrs as;
	const char *name;

	memset(out, 0, sizeof(*out));
	if (h->nlmsg_type != RTM_NEWLINK)
		return -ENOMSG;
	if (!ifi)
		return -EBADMSG;
	as = nl_msg_attrs(h, sizeof(*ifi));
	if (nl_attr_parse(&as, tb, IFLA_MAX) < 0)
		return -EBADMSG;
	name = nl_attr_str(tb[IFLA_IFNAME]);
	if (!name || strlen(name) >= sizeof(out->name))
		return -EBADMSG;
	strcpy(out->name, name);
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	out->type = ifi->ifi_type;
	return 0;
}

/* The first hop of a multipath route. */
static int multipath_oif(const struct rtattr *mp)
{
	const struct rtnexthop *nh = nl_attr_data(mp);

	if (nl_attr_len(mp) < sizeof(*nh) || nh->rtnh_len < sizeof(*nh))
		return 0;
	return nh->rtnh_ifindex;
}

int nf_iface_parse_default_route(const struct nlmsghdr *h, struct nf_route_out *out)
{
	const struct rtmsg *rt = nl_msg_data(h, sizeof(*rt));
	const struct rtattr *tb[RTA_MAX + 1];
	struct nl_attrs as;
	uint32_t table, oif = 0, nh_id = 0;

	if (h->nlmsg_type != RTM_NEWROUTE || !rt)
		return h->nlmsg_type == RTM_NEWROUTE ? -EBADMSG : 0;
	as = nl_msg_attrs(h, sizeof(*rt));
	if (nl_attr_parse(&as, tb, RTA_MAX) < 0)
		return -EBADMSG;
	table = rt->rtm_table;
	if (tb[RTA_TABLE])
		nl_attr_u32(tb[RTA_TABLE], &table);
	if (rt->rtm_dst_len != 0 || table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST)
		return 0;
	if (tb[RTA_OIF])
		nl_attr_u32(tb[RTA_OIF], &oif);
	else if (tb[RTA_MULTIPATH])
		oif = (uint32_t)multipath_oif(tb[RTA_MULTIPATH]);
	else if (tb[RTA_NH_ID])
		nl_attr_u32(tb[RTA_NH_ID], &nh_id);
	if (!oif && !nh_id)
		return 0;
	out->metric = 0;
	if (tb[RTA_PRIORITY])
		nl_attr_u32(tb[RTA_PRIORITY], &out->metric);
	out->ifindex = (int)oif;
	out->nh_id = oif ? 0 : nh_id;
	return 1;
}

int nf_iface_parse_nexthop(const struct nlmsghdr *h, struct nf_nexthop *out)
{
	const struct rtattr *tb[NHA_MAX + 1];
	struct nl_attrs as;
	uint32_t oif = 0;

	memset(out, 0, sizeof(*out));
	if (h->nlmsg_type != RTM_NEWNEXTHOP)
		return -ENOMSG;
	if (!nl_msg_data(h, sizeof(struct nhmsg)))
		return -EBADMSG;
	as = nl_msg_attrs(h, sizeof(struct nhmsg));
	if (nl_attr_parse(&as, tb, NHA_MAX) < 0 || !tb[NHA_ID] || nl_attr_u32(tb[NHA_ID], &out->id))
		return -EBADMSG;
	if (tb[NHA_OIF] && nl_attr_u32(tb[NHA_OIF], &oif) == 0)
		out->oif = (int)oif;
	if (tb[NHA_GROUP]) {
		struct nexthop_grp g;

		if (nl_attr_len(tb[NHA_GROUP]) < sizeof(g))
			return -EBADMSG;
		memcpy(&g, nl_attr_data(tb[NHA_GROUP]), sizeof(g));
		out->first_member = g.id;
	}
	return 0;
}
