#include "tc.h"
#include "tc_int.h"
#include "kern/load.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

static int force_netlink_env(void)
{
	const char *v = getenv("NFLUX_FORCE_NETLINK");

	return v && *v && strcmp(v, "0") != 0;
}

/* BPF_LINK_CREATE of a tcx link: the link fd, or -errno. */
static int tcx_attach(int ifindex, enum nf_tc_dir dir, int prog_fd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)prog_fd;
	a.link_create.target_ifindex = (uint32_t)ifindex;
	a.link_create.attach_type = dir == NF_TC_INGRESS ? BPF_TCX_INGRESS : BPF_TCX_EGRESS;
	return (int)nf_bpf(BPF_LINK_CREATE, &a, sizeof(a));
}

int nf_tc_attach(struct nf_tc_link *l, int ifindex, enum nf_tc_dir dir, int prog_fd,
		 const char *name, int force_netlink)
{
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	l->dir = dir;
	l->link_fd = -1;
	if (!force_netlink && !force_netlink_env() && nf_features()->tcx) {
		int fd = tcx_attach(ifindex, dir, prog_fd);

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
