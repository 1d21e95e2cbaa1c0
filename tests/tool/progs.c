/* nftool progs / tcx: the kernel's BPF programs, and what tcx runs on an
 * interface, so tests can prove that nothing of ours is left behind. */
#include "bpf_compat.h"
#include "tool.h"
#include "kern/sys.h"
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


static int prog_info(uint32_t id, struct bpf_prog_info *info)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	int fd = (int)nf_bpf(BPF_PROG_GET_FD_BY_ID, &a, sizeof(a));

	if (fd < 0)
		return fd;          /* gone meanwhile, or not ours to see */
	memset(info, 0, sizeof(*info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uint64_t)(uintptr_t)info;
	int r = (int)nf_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a));

	close(fd);
	return r;
}

/* "ID TYPE NAME" per loaded program. */
int cmd_progs(int argc, char **argv)
{
	union bpf_attr a;
	uint32_t id = 0;

	(void)argv;
	if (argc > 1)
		return tool_err("usage: nftool progs"), 2;
	for (;;) {
		struct bpf_prog_info info;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (nf_bpf(BPF_PROG_GET_NEXT_ID, &a, sizeof(a)) < 0)
			break;
		id = a.next_id;
		if (prog_info(id, &info) == 0)
			printf("%u %u %s\n", id, info.type, info.name[0] ? info.name : "-");
	}
	return 0;
}

static int query_tcx(int ifindex, int attach, const char *dir)
{
	uint32_t ids[64];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)ifindex;     /* target_ifindex for tcx */
	a.query.attach_type = (uint32_t)attach;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = 64;
	long r = nf_bpf(BPF_PROG_QUERY, &a, sizeof(a));

	if (r < 0)
		return (int)r;
	for (uint32_t i = 0; i < a.query.prog_cnt && i < 64; i++) {
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
