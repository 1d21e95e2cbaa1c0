#include "tc_msg.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>

uint32_t tc_clsact_parent(int ingress)
{
	return TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static struct tcmsg *tc_init(struct nl_msg *m, void *buf, size_t cap, uint16_t type,
			     uint16_t flags, int ifindex, uint32_t parent)
{
	struct tcmsg *t = nl_msg_init(m, buf, cap, type, flags, sizeof(*t));

	if (t) {
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = ifindex;
		t->tcm_parent = parent;
	}
	return t;
}

int tc_msg_clsact(struct nl_msg *m, void *buf, size_t cap, uint16_t type, int ifindex)
{
	uint16_t flags = type == RTM_NEWQDISC ? NLM_F_CREATE | NLM_F_EXCL : 0;
	struct tcmsg *t = tc_init(m, buf, cap, type, flags, ifindex, TC_H_CLSACT);

	if (t) {
		t->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
		nl_put_str(m, TCA_KIND, "clsact");
	}
	return nl_msg_finish(m);
}

static uint32_t filter_info(uint32_t prio)
{
	return TC_H_MAKE(prio << 16, htons(ETH_P_ALL));
}

int tc_msg_filter_new(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		      uint32_t parent, uint32_t prio, int prog_fd, const char *name)
{
	uint16_t flags = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO;
	struct tcmsg *t = tc_init(m, buf, cap, RTM_NEWTFILTER, flags, ifindex, parent);
	size_t nest;

	if (!t)
		return nl_msg_finish(m);
	t->tcm_info = filter_info(prio);
	nl_put_str(m, TCA_KIND, "bpf");
	nest = nl_nest_begin(m, TCA_OPTIONS);
	nl_put_u32(m, TCA_BPF_FD, (uint32_t)prog_fd);
	nl_put_str(m, TCA_BPF_NAME, name);
	nl_put_u32(m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	nl_nest_end(m, nest);
	return nl_msg_finish(m);
}

int tc_msg_filter_del(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		      uint32_t parent, uint32_t prio, uint32_t handle)
{
	struct tcmsg *t = tc_init(m, buf, cap, RTM_DELTFILTER, 0, ifindex, parent);

	if (t) {
		t->tcm_info = filter_info(prio);
		t->tcm_handle = handle;
		nl_put_str(m, TCA_KIND, "bpf");
	}
	return nl_msg_finish(m);
}

int tc_msg_filter_dump(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		       uint32_t parent)
{
	tc_init(m, buf, cap, RTM_GETTFILTER, NLM_F_DUMP, ifindex, parent);
	return nl_msg_finish(m);
}

static int parse_bpf_options(const struct rtattr *opts, struct tc_filter_info *f)
{
	const struct rtattr *tb[TCA_BPF_MAX + 1];
	struct nl_attrs as = nl_attr_nested(opts);
	const char *name;

	if (nl_attr_parse(&as, tb, TCA_BPF_MAX) < 0)
		return -EBADMSG;
	name = nl_attr_str(tb[TCA_BPF_NAME]);
	if (name)
		snprintf(f->name, sizeof(f->name), "%s", name);
	if (tb[TCA_BPF_FLAGS])
		nl_attr_u32(tb[TCA_BPF_FLAGS], &f->bpf_flags);
	if (tb[TCA_BPF_ID])
		nl_attr_u32(tb[TCA_BPF_ID], &f->prog_id);
	return 0;
}

int tc_parse_filter(const struct nlmsghdr *h, struct tc_filter_info *f)
{
	const struct tcmsg *t = nl_msg_data(h, sizeof(*t));
	const struct rtattr *tb[TCA_MAX + 1];
	struct nl_attrs as;
	const char *kind;

	memset(f, 0, sizeof(*f));
	if (h->nlmsg_type != RTM_NEWTFILTER)
		return -ENOMSG;
	if (!t)
		return -EBADMSG;
	f->ifindex = t->tcm_ifindex;
	f->parent = t->tcm_parent;
	f->handle = t->tcm_handle;
	f->prio = t->tcm_info >> 16;
	as = nl_msg_attrs(h, sizeof(*t));
	if (nl_attr_parse(&as, tb, TCA_MAX) < 0)
		return -EBADMSG;
	kind = nl_attr_str(tb[TCA_KIND]);
	if (kind)
		snprintf(f->kind, sizeof(f->kind), "%s", kind);
	if (kind && !strcmp(kind, "bpf") && tb[TCA_OPTIONS])
		return parse_bpf_options(tb[TCA_OPTIONS], f);
	return 0;
}
