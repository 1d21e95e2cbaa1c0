/* nftool attach-empty: the bench baseline. Loads the embedded empty TC
 * program, attaches it to IFACE in both directions the way nflux would
 * (tcx, or netlink with NFLUX_FORCE_NETLINK=1), and holds it there until
 * SIGINT or SIGTERM. */
#include "tool.h"
#include "kern/load.h"
#include "log.h"
#include "attach/tc.h"
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The spec the loaded program came from: nf_load borrows it. */
static struct nf_obj obj;

static int load_empty(struct nf_bpf *b)
{
	if (nf_obj_parse_embedded(&obj, "empty"))
		return tool_err("%s", nf_lasterr());
	if (nf_load(b, &obj, NULL)) {
		nf_obj_free(&obj);
		return tool_err("load: %s", nf_lasterr());
	}
	return 0;
}

int cmd_attach_empty(int argc, char **argv)
{
	struct nf_tc_link in, eg;
	struct nf_bpf b;
	sigset_t stops, old;

	if (argc != 2)
		return tool_err("usage: nftool attach-empty IFACE"), 2;
	int ifindex = (int)if_nametoindex(argv[1]);

	if (!ifindex)
		return tool_err("no interface %s", argv[1]), 1;
	/* Held back until we wait for them: a stop that comes while attaching
	 * (or just before the wait) still detaches instead of being lost. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigprocmask(SIG_BLOCK, &stops, &old);
	if (load_empty(&b))
		return 1;
	int fd = nf_bpf_prog_fd(&b, "nf_empty");
	const char *env = getenv("NFLUX_FORCE_NETLINK");
	int force = env && *env && strcmp(env, "0") != 0;

	if (nf_tc_attach(&in, ifindex, NF_TC_INGRESS, fd, "nflux_bench", force)) {
		nf_unload(&b), nf_obj_free(&obj);
		return tool_err("attach ingress: %s", nf_lasterr()), 1;
	}
	if (nf_tc_attach(&eg, ifindex, NF_TC_EGRESS, fd, "nflux_bench", force)) {
		nf_tc_detach(&in);
		nf_unload(&b), nf_obj_free(&obj);
		return tool_err("attach egress: %s", nf_lasterr()), 1;
	}
	printf("attached %s\n", in.link_fd >= 0 ? "tcx" : "netlink");
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	nf_tc_detach(&eg);   /* the one that did not create the clsact first */
	nf_tc_detach(&in);
	nf_unload(&b), nf_obj_free(&obj);
	return 0;
}
