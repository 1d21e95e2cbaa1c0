/* TC attach: tcx links where the kernel has them, otherwise clsact plus a
 * cls_bpf direct-action filter over rtnetlink. */
#ifndef NF_TC_H
#define NF_TC_H
#include <stdint.h>

enum nf_tc_dir { NF_TC_INGRESS, NF_TC_EGRESS };

struct nf_tc_link {
	int ifindex;
	enum nf_tc_dir dir;
	int link_fd;               /* tcx: the link; -1 on the netlink path */
	uint32_t handle, prio;     /* netlink: echoed back at creation */
	int created_qdisc;         /* netlink: we made the clsact */
};

/* Attach prog_fd. name is the filter name on the netlink path (keep the
 * "nflux" prefix so stale filters can be found). force_netlink skips tcx.
 * 0 or -errno (nf_lasterr()). */
int nf_tc_attach(struct nf_tc_link *l, int ifindex, enum nf_tc_dir dir, int prog_fd,
		 const char *name, int force_netlink);
/* Detach exactly what nf_tc_attach made. 0 or -errno. */
int nf_tc_detach(struct nf_tc_link *l);
/* Remove cls_bpf filters whose name starts with prefix on ifindex (both
 * directions). Returns the number removed, or -errno. */
int nf_tc_cleanup_stale(int ifindex, const char *prefix);

#endif
