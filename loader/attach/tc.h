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
 * "nflux" prefix so stale filters can be found; NULL = "nflux").
 * tcx is used when nf_features()->tcx, unless force_netlink is set (the
 * command decides: netrace reads NFLUX_FORCE_NETLINK once).
 * 0 or -errno (nf_lasterr()). */
int nf_tc_attach(struct nf_tc_link *l, int ifindex, enum nf_tc_dir dir, int prog_fd,
		 const char *name, int force_netlink);
/* Detach exactly what nf_tc_attach made: tcx closes the link; netlink
 * deletes our filter (handle+prio+parent) and then the clsact only if we
 * created it and no filter is left on either hook (so when two links share
 * a clsact we made, detach the one that did not create it first). Calling
 * it again, or on the link of a failed attach, is harmless. 0 or -errno;
 * -ENOENT when our filter was already gone (the clsact is still handled). */
int nf_tc_detach(struct nf_tc_link *l);
/* Remove cls_bpf filters whose name starts with prefix on ifindex (both
 * directions), except those for which keep (if not NULL) says 1: e.g. the
 * filters of a run that is still alive. Returns the number removed, or
 * -errno. */
int nf_tc_cleanup_stale(int ifindex, const char *prefix, int (*keep)(const char *name));

#endif
