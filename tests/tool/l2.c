/* nftool send --dev IFACE --vlan ID: frames through an AF_PACKET socket,
 * with the 802.1Q tag inline, so tagged traffic needs no VLAN device. */
#include "tool.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VLAN_HDR 4

int l2_open(const char *dev, struct l2_target *t)
{
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return tool_err("packet socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		tool_err("%s: %s", dev, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(t->src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memset(&t->sll, 0, sizeof(t->sll));
	t->sll.sll_family = AF_PACKET;
	t->sll.sll_ifindex = (int)if_nametoindex(dev);
	t->sll.sll_protocol = htons(ETH_P_8021Q);
	t->sll.sll_halen = ETH_ALEN;
	memcpy(t->sll.sll_addr, t->dst_mac, ETH_ALEN);
	return fd;
}

/* Ethernet + 802.1Q header + the IP packet; returns the frame length. */
size_t l2_frame(const struct l2_target *t, const unsigned char *ip, size_t len,
		unsigned char *out)
{
	uint16_t tpid = htons(ETH_P_8021Q), tci = htons(t->vlan);
	uint16_t type = htons((ip[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP);

	memcpy(out, t->dst_mac, ETH_ALEN);
	memcpy(out + ETH_ALEN, t->src_mac, ETH_ALEN);
	memcpy(out + 12, &tpid, 2);
	memcpy(out + 14, &tci, 2);
	memcpy(out + 16, &type, 2);
	memcpy(out + ETH_HLEN + VLAN_HDR, ip, len);
	return ETH_HLEN + VLAN_HDR + len;
}
