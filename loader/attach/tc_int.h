/* Internal to tc.c / tc_netlink.c: the rtnetlink (clsact + cls_bpf) path. */
#ifndef NF_TC_INT_H
#define NF_TC_INT_H
#include "tc.h"

int tc_nl_attach(struct nf_tc_link *l, int prog_fd, const char *name);
int tc_nl_detach(struct nf_tc_link *l);

#endif
