/* nftool progs / tcx: the kernel's BPF programs, and what tcx runs on an
 * interface, so tests can prove that nothing of ours is left behind. */
#include "bpf_compat.h"
#include "tool.h"
#include "kern/bpf_cmd.h"
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int prog_info(uint32_t id, struct bpf_prog_info *info)
{
	int fd = nf_prog_get_fd_by_id(id);

	if (fd < 0)
		return fd;          /* gone meanwhile, or not ours to see */
	int r = nf_prog_info(fd, info);

	close(fd);
	return r;
}

/* "ID TYPE NAME" per loaded program. */
int cmd_progs(int argc, char **argv)
{
	uint32_t id = 0;

	(void)argv;
	if (argc > 1)
		return tool_err("usage: nftool progs"), 2;
	while (nf_prog_get_next_id(id, &id) >= 0) {
		struct bpf_prog_info info;

		if (prog_info(id, &info) == 0)
			printf("%u %u %s\n", id, info.type, info.name[0] ? info.name : "-");
	}
	return 0;
}

static int query_tcx(int ifindex, int attach, const char *dir)
{
	uint32_t ids[64], cnt = 64;
	int r = nf_prog_query(ifindex, (uint32_t)attach, ids, &cnt);

	if (r < 0)
		return r;
	for (uint32_t i = 0; i < cnt && i < 64; i++) {
		struct bpf_prog_info info;
		int ok = prog_info(ids[i], &info) == 0;

		printf("%s %u %s\n", dir, ids[i], ok && info.name[0] ? info.name : "-");
	}
	return 0;
}

/* "DIR ID NAME" per program tcx runs on IFACE; exit 3 without tcx. */
int cmd_tcx(int argc, char **argv)
{
	if (argc != 2)
		return tool_err("usage: nftool tcx IFACE"), 2;
	int ifindex = (int)if_nametoindex(argv[1]);

	if (!ifindex)
		return tool_err("no interface '%s'", argv[1]), 1;
	int r = query_tcx(ifindex, NF_BPF_TCX_INGRESS, "ingress");

	if (!r)
		r = query_tcx(ifindex, NF_BPF_TCX_EGRESS, "egress");
	if (r < 0)
		return tool_err("tcx query: %s", strerror(-r)), 3;
	return 0;
}
