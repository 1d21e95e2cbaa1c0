/* The rtnetlink messages of the TC netlink path, built and parsed in memory
 * (pure: tc_netlink.c sends them). */
#ifndef NF_TC_MSG_H
#define NF_TC_MSG_H
#include <stdint.h>
#include "nl.h"

#define TC_MSG_BUF 512     /* enough for any message built here */

/* tcm_parent of the clsact ingress (egress = 0) hook. */
uint32_t tc_clsact_parent(int ingress);

/* RTM_NEWQDISC (CREATE|EXCL) or RTM_DELQDISC of the clsact on ifindex. */
int tc_msg_clsact(struct nl_msg *m, void *buf, size_t cap, uint16_t type, int ifindex);
/* RTM_NEWTFILTER, CREATE|EXCL|ECHO: cls_bpf direct-action running prog_fd,
 * protocol ETH_P_ALL, prio 0 = let the kernel choose. */
int tc_msg_filter_new(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		      uint32_t parent, uint32_t prio, int prog_fd, const char *name);
/* RTM_DELTFILTER of exactly one filter. */
int tc_msg_filter_del(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		      uint32_t parent, uint32_t prio, uint32_t handle);
/* RTM_GETTFILTER dump of one parent. */
int tc_msg_filter_dump(struct nl_msg *m, void *buf, size_t cap, int ifindex,
		       uint32_t parent);

struct tc_filter_info {
	int ifindex;
	uint32_t parent, prio, handle;
	char kind[16];             /* "bpf", ... ("" if absent) */
	char name[128];            /* TCA_BPF_NAME ("" if absent) */
	uint32_t bpf_flags;        /* TCA_BPF_FLAGS (ACT_DIRECT) */
	uint32_t prog_id;          /* TCA_BPF_ID */
};

/* Decode an RTM_NEWTFILTER (ECHO reply or dump entry). 0, -ENOMSG if h is
 * another type, -EBADMSG if malformed. handle 0 = a chain head entry
 * without a filter. */
int tc_parse_filter(const struct nlmsghdr *h, struct tc_filter_info *f);

#endif
