/* nftool filters / qdiscs: TC state of an interface over rtnetlink, for
 * guests that have no tc binary. */
#include "tool.h"
#include "attach/nl.h"
#include "attach/tc_msg.h"
#include <errno.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static int print_filter(const struct nlmsghdr *h, void *arg)
{
	struct tc_filter_info f;

	if (tc_parse_filter(h, &f) || !f.handle)
		return 0;           /* other messages, chain heads */
	printf("%s %s prio %u handle 0x%x id %u name %s\n", (const char *)arg,
	       f.kind[0] ? f.kind : "-", f.prio, f.handle, f.prog_id, f.name[0] ? f.name : "-");
	return 0;
}

static int dump_filters(struct nl_sock *s, int ifindex, int ingress)
{
	unsigned char buf[TC_MSG_BUF];
	struct nl_msg m;
	int r = tc_msg_filter_dump(&m, buf, sizeof(buf), ifindex, tc_clsact_parent(ingress));

	if (r < 0)
		return r;
	r = nl_request(s, &m, print_filter, (void *)(ingress ? "ingress" : "egress"));
	/* No clsact (or no such parent): nothing to list. */
	return r == -EINVAL || r == -ENOENT ? 0 : r;
}

static int with_iface(int argc, char **argv, const char *use, int *ifindex, struct nl_sock *s)
{
	if (argc != 2)
		return tool_err("usage: nftool %s IFACE", use);
	*ifindex = (int)if_nametoindex(argv[1]);
	if (!*ifindex)
		return tool_err("no interface '%s'", argv[1]);
	int r = nl_open(s);

	return r < 0 ? tool_err("netlink: %s", strerror(-r)) : 0;
}

/* "DIR KIND prio P handle H id PROGID name NAME" per filter on clsact. */
int cmd_filters(int argc, char **argv)
{
	struct nl_sock s;
	int ifindex;

	if (with_iface(argc, argv, "filters", &ifindex, &s))
		return 1;
	int r = dump_filters(&s, ifindex, 1);

	if (!r)
		r = dump_filters(&s, ifindex, 0);
	nl_close(&s);
	if (r < 0)
		return tool_err("filter dump: %s", strerror(-r)), 1;
	return 0;
}

struct qdisc_ctx {
	int ifindex;
};

static int print_qdisc(const struct nlmsghdr *h, void *arg)
{
	const struct qdisc_ctx *c = arg;
	const struct tcmsg *t = nl_msg_data(h, sizeof(*t));
	const struct rtattr *tb[TCA_MAX + 1];
	struct nl_attrs as = nl_msg_attrs(h, sizeof(*t));

	if (h->nlmsg_type != RTM_NEWQDISC || !t || t->tcm_ifindex != c->ifindex)
		return 0;
	if (nl_attr_parse(&as, tb, TCA_MAX) || !tb[TCA_KIND] || !nl_attr_str(tb[TCA_KIND]))
		return 0;
	printf("%s handle 0x%x parent 0x%x\n", nl_attr_str(tb[TCA_KIND]), t->tcm_handle, t->tcm_parent);
	return 0;
}

/* "KIND handle H parent P" per qdisc of IFACE. */
int cmd_qdiscs(int argc, char **argv)
{
	unsigned char buf[256];
	struct nl_sock s;
	struct nl_msg m;
	struct qdisc_ctx c;

	if (with_iface(argc, argv, "qdiscs", &c.ifindex, &s))
		return 1;
	struct tcmsg *t = nl_msg_init(&m, buf, sizeof(buf), RTM_GETQDISC, NLM_F_DUMP, sizeof(*t));
	int r = -EMSGSIZE;

	if (t) {
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = c.ifindex;
		r = nl_request(&s, &m, print_qdisc, &c);
	}
	nl_close(&s);
	if (r < 0)
		return tool_err("qdisc dump: %s", strerror(-r)), 1;
	return 0;
}
