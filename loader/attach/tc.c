/* TC attach: a tcx link, or the netlink path (tc_netlink.c). */
#include "tc.h"
#include "tc_int.h"
#include "bpf_compat.h"
#include "kern/load.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <string.h>

int nf_tc_attach(struct nf_tc_link *l, int ifindex, enum nf_tc_dir dir, int prog_fd,
		 const char *name, int force_netlink)
{
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	l->dir = dir;
	l->link_fd = -1;
	if (!force_netlink && nf_features()->tcx) {
		uint32_t type = dir == NF_TC_INGRESS ? NF_BPF_TCX_INGRESS : NF_BPF_TCX_EGRESS;
		int fd = nf_link_create(prog_fd, ifindex, type);

		if (fd < 0) {
			nf_seterr("tcx attach on ifindex %d: %s", ifindex, strerror(-fd));
			return fd;
		}
		l->link_fd = fd;
		return 0;
	}
	return tc_nl_attach(l, prog_fd, name ? name : "nflux");
}

int nf_tc_detach(struct nf_tc_link *l)
{
	if (l->link_fd >= 0) {
		int r = nf_sys->close(l->link_fd);

		l->link_fd = -1;
		return r < 0 ? -errno : 0;
	}
	if (!l->handle)
		return 0;   /* never attached, or already detached */
	return tc_nl_detach(l);
}
