/* Network interface discovery over rtnetlink (no /proc, no shell). */
#ifndef NF_IFACE_H
#define NF_IFACE_H
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/netlink.h>

struct nf_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;        /* IFF_UP, IFF_LOOPBACK, ... */
	unsigned int type;         /* ARPHRD_* */
};

/* Every link (RTM_GETLINK dump) in ifindex order: *out is malloc'd (free
 * it), *n its length. 0 or -errno (nf_lasterr()). */
int nf_iface_list(struct nf_iface **out, size_t *n);

/* The interface of the default route: main table, lowest metric, IPv4
 * first, then IPv6; through a nexthop object (or a group's first member)
 * when the route names one. 0, -ENOENT when there is none, or -errno
 * (nf_lasterr()). */
int nf_iface_default(struct nf_iface *out);

/* Resolve a -i argument. "any": every interface that is up except
 * loopbacks; any other name: that interface only (lo included when named).
 * *out is malloc'd, *n >= 1 on success. 0, or -ENODEV with nf_lasterr()
 * "unknown interface 'X'" ("no interface is up" for "any"), or -errno. */
int nf_iface_resolve(const char *name, struct nf_iface **out, size_t *n);

/* 1 if packets on this device type start with the network header at TC
 * (no Ethernet header): tun/wireguard (NONE), RAWIP, PPP, IP-in-IP, SIT,
 * ip6tnl, GRE/ip6gre in their L3 flavour. */
int nf_iface_is_l3(unsigned int type);

/* ---- pure decoders, used above and by tests --------------------------- */

/* RTM_NEWLINK -> iface. 0, -ENOMSG for another type, -EBADMSG. */
int nf_iface_parse_link(const struct nlmsghdr *h, struct nf_iface *out);
/* Where a default route leaves: a device, or a nexthop object to look up. */
struct nf_route_out {
	int ifindex;               /* 0 when the route names a nexthop object */
	uint32_t nh_id;
	uint32_t metric;
};
/* RTM_NEWROUTE: 1 and *out if it is a unicast default route of the main
 * table with an output device or a nexthop id, 0 if not, -EBADMSG. */
int nf_iface_parse_default_route(const struct nlmsghdr *h, struct nf_route_out *out);

/* A nexthop object: its device, or for a group its first member. */
struct nf_nexthop {
	uint32_t id;
	int oif;                   /* 0 for groups and blackholes */
	uint32_t first_member;     /* groups only */
};
/* RTM_NEWNEXTHOP -> nexthop. 0, -ENOMSG for another type, -EBADMSG. */
int nf_iface_parse_nexthop(const struct nlmsghdr *h, struct nf_nexthop *out);

#endif
