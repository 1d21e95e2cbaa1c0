/* Root test: TC attach over tcx and netlink, stale cleanup and interface
 * discovery, all inside a private network namespace (veth a <-> b). */
#include "bpf_compat.h"
#include "t.h"
#include "iface.h"
#include "kern/load.h"
#include "log.h"
#include "kern/sys.h"
#include "attach/tc.h"
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>



static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Output of a command (stdout), at most 16 KiB. */
static const char *out(const char *cmd)
{
	static char buf[16384];
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	buf[0] = 0;
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	return buf;
}

/* SCHED_CLS program returning ret (r0 = ret; exit). */
static int load_prog(int32_t ret, const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct nf_prog_load_opts o = { .name = name };

	return nf_prog_load(BPF_PROG_TYPE_SCHED_CLS, insns, 2, &o);
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;

	return nf_prog_info(fd, &info) < 0 ? 0 : info.id;
}

/* 1 if prog id is attached at the tcx hook of ifindex (BPF_PROG_QUERY). */
static int tcx_has(int ifindex, uint32_t attach_type, uint32_t id)
{
	uint32_t ids[16], cnt = 16;

	if (nf_prog_query(ifindex, attach_type, ids, &cnt) < 0)
		return 0;
	for (uint32_t i = 0; i < cnt && i < 16; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* 1 if `tc filter show` lists a direct-action filter named name on dir
 * (tc prints "handle 0x1 NAME direct-action ..."). */
static int filter_listed(const char *dir, const char *name)
{
	char cmd[128], want[96];

	snprintf(cmd, sizeof(cmd), "tc filter show dev a %s", dir);
	snprintf(want, sizeof(want), " %s direct-action", name);
	return strstr(out(cmd), want) != NULL;
}

static int no_filters(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "tc filter show dev a %s", dir);
	return out(cmd)[0] == 0;
}

static int has_clsact(void)
{
	return strstr(out("tc qdisc show dev a"), "clsact") != NULL;
}

static int setup_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare");
		return -1;
	}
	return sh("ip link set lo up && ip link add name a type veth peer name b && "
		  "ip link set dev a up && ip link set dev b up && "
		  "ip addr add 10.99.0.1/24 dev a");
}

static void test_tcx(int ifa, int prog, uint32_t id)
{
	T_CASE("tcx: attach ingress and egress, visible to BPF_PROG_QUERY") {
		struct nf_tc_link in, eg;

		REQUIRE(nf_features()->tcx);   /* host kernel 6.18 has tcx */
		REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_test", 0) == 0);
		REQUIRE(nf_tc_attach(&eg, ifa, NF_TC_EGRESS, prog, "nflux_test", 0) == 0);
		CHECK(in.link_fd >= 0);
		CHECK(eg.link_fd >= 0);
		CHECK(tcx_has(ifa, NF_BPF_TCX_INGRESS, id));
		CHECK(tcx_has(ifa, NF_BPF_TCX_EGRESS, id));
		CHECK(!has_clsact());
		CHECK_EQ(nf_tc_detach(&in), 0);
		CHECK_EQ(nf_tc_detach(&eg), 0);
		CHECK(!tcx_has(ifa, NF_BPF_TCX_INGRESS, id));
		CHECK(!tcx_has(ifa, NF_BPF_TCX_EGRESS, id));
	}
}

static void test_netlink(int ifa, int prog)
{
	T_CASE("netlink: clsact created, named direct-action filters, all removed") {
		struct nf_tc_link in, eg;

		REQUIRE(!has_clsact());
		REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_test", 1) == 0);
		REQUIRE(nf_tc_attach(&eg, ifa, NF_TC_EGRESS, prog, "nflux_test", 1) == 0);
		CHECK_EQ(in.link_fd, -1);
		CHECK(in.handle != 0 && in.prio != 0);
		CHECK(eg.handle != 0 && eg.prio != 0);
		CHECK_EQ(in.created_qdisc, 1);
		CHECK_EQ(eg.created_qdisc, 0);
		CHECK(has_clsact());
		CHECK(filter_listed("ingress", "nflux_test+clsact"));   /* made the clsact */
		CHECK(filter_listed("egress", "nflux_test"));
		CHECK_EQ(nf_tc_detach(&eg), 0);
		CHECK(!filter_listed("egress", "nflux_test"));
		CHECK(filter_listed("ingress", "nflux_test+clsact"));
		CHECK(has_clsact());     /* ingress still uses it */
		CHECK_EQ(nf_tc_detach(&in), 0);
		CHECK(no_filters("ingress"));
		CHECK(no_filters("egress"));
		CHECK(!has_clsact());    /* ours, and empty: gone */
		CHECK_EQ(nf_tc_detach(&in), 0);   /* twice is harmless */
	}
	T_CASE("netlink: filter removed behind our back: ENOENT with the kernel's text") {
		struct nf_tc_link in;

		REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_test", 1) == 0);
		REQUIRE(sh("tc filter del dev a ingress") == 0);
		CHECK_EQ(nf_tc_detach(&in), -ENOENT);
		CHECK(strstr(nf_lasterr(), "delete bpf filter") != NULL);
		/* the kernel's ext-ack text follows strerror ("Cannot find ...") */
		CHECK(strstr(nf_lasterr(), "No such file or directory: Cannot find") != NULL);
		CHECK(!has_clsact());    /* ours, now empty */
		CHECK_EQ(nf_tc_detach(&in), 0);
	}
	T_CASE("netlink: a clsact that was there stays") {
		struct nf_tc_link in;

		REQUIRE(sh("tc qdisc add dev a clsact") == 0);
		REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_test", 1) == 0);
		CHECK_EQ(in.created_qdisc, 0);
		CHECK(filter_listed("ingress", "nflux_test"));
		CHECK_EQ(nf_tc_detach(&in), 0);
		CHECK(no_filters("ingress"));
		CHECK(has_clsact());
		sh("tc qdisc del dev a clsact");
	}
	T_CASE("policy: the loader reads no NFLUX_FORCE_NETLINK (the command passes it)") {
		struct nf_tc_link in;

		setenv("NFLUX_FORCE_NETLINK", "1", 1);
		int r = nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_env", 0);
		unsetenv("NFLUX_FORCE_NETLINK");
		REQUIRE(r == 0);
		if (nf_features()->tcx) {
			CHECK(in.link_fd >= 0);
			CHECK(!filter_listed("ingress", "nflux_env+clsact"));
		} else {
			CHECK(filter_listed("ingress", "nflux_env+clsact"));
		}
		CHECK_EQ(nf_tc_detach(&in), 0);
		CHECK(!has_clsact());
	}
	T_CASE("netlink: bad program fd gives -errno and text, leaves nothing") {
		struct nf_tc_link in;

		int r = nf_tc_attach(&in, ifa, NF_TC_INGRESS, 9999, "nflux_bad", 1);
		CHECK(r < 0);
		CHECK(strstr(nf_lasterr(), "add bpf filter") != NULL);
		CHECK(!has_clsact());
		CHECK_EQ(nf_tc_detach(&in), 0);
	}
}

/* A child attaches both directions (ingress creating the clsact) and
 * exits without detaching, as if SIGKILLed. */
static int attach_and_die(int ifa, int prog)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		struct nf_tc_link in, eg;
		int ok = nf_tc_attach(&in, ifa, NF_TC_INGRESS, prog, "nflux_test", 1) == 0 &&
			 nf_tc_attach(&eg, ifa, NF_TC_EGRESS, prog, "nflux_test", 1) == 0;
		_exit(ok ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int keep_me(const char *name)
{
	return strcmp(name, "nflux_live") == 0;
}

static void test_stale(int ifa, int prog)
{
	T_CASE("stale: filters of a killed process go, and the clsact it made") {
		REQUIRE(!has_clsact());
		REQUIRE(attach_and_die(ifa, prog));
		CHECK(filter_listed("ingress", "nflux_test+clsact"));
		CHECK(filter_listed("egress", "nflux_test"));
		CHECK_EQ(nf_tc_cleanup_stale(ifa, "nflux", NULL), 2);
		CHECK(no_filters("ingress"));
		CHECK(no_filters("egress"));
		CHECK(!has_clsact());
		CHECK_EQ(nf_tc_cleanup_stale(ifa, "nflux", NULL), 0);
	}
	T_CASE("stale: other filters, and those keep claims, stay with the clsact") {
		struct nf_tc_link other, live;

		REQUIRE(attach_and_die(ifa, prog));
		REQUIRE(nf_tc_attach(&other, ifa, NF_TC_INGRESS, prog, "keep_me", 1) == 0);
		REQUIRE(nf_tc_attach(&live, ifa, NF_TC_EGRESS, prog, "nflux_live", 1) == 0);
		CHECK_EQ(nf_tc_cleanup_stale(ifa, "nflux", keep_me), 2);
		CHECK(!filter_listed("ingress", "nflux_test+clsact"));
		CHECK(!filter_listed("egress", "nflux_test"));
		CHECK(filter_listed("ingress", "keep_me"));
		CHECK(filter_listed("egress", "nflux_live"));
		CHECK(has_clsact());     /* still in use */
		CHECK_EQ(nf_tc_cleanup_stale(ifa, "nflux", keep_me), 0);
		CHECK_EQ(nf_tc_detach(&live), 0);
		CHECK_EQ(nf_tc_detach(&other), 0);
		sh("tc qdisc del dev a clsact 2>/dev/null");
	}
}

static const struct nf_iface *find(const struct nf_iface *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void test_iface(int ifa)
{
	T_CASE("iface: default route device") {
		struct nf_iface d;

		CHECK_EQ(nf_iface_default(&d), -ENOENT);
		REQUIRE(sh("ip route add default via 10.99.0.2 dev a") == 0);
		REQUIRE(nf_iface_default(&d) == 0);
		CHECK_EQ(d.ifindex, ifa);
		CHECK_STR(d.name, "a");
		sh("ip route del default");
	}
	T_CASE("iface: IPv6-only default route") {
		struct nf_iface d;

		REQUIRE(sh("ip -6 addr add fd99::1/64 dev b nodad && "
			   "ip -6 route add default via fd99::2 dev b") == 0);
		REQUIRE(nf_iface_default(&d) == 0);
		CHECK_STR(d.name, "b");
		sh("ip -6 route del default; ip -6 addr del fd99::1/64 dev b");
	}
	T_CASE("iface: list has a, b, lo with their types and flags") {
		struct nf_iface *v = NULL;
		size_t n = 0;

		REQUIRE(nf_iface_list(&v, &n) == 0);
		const struct nf_iface *a = find(v, n, "a"), *lo = find(v, n, "lo");
		CHECK(a && a->ifindex == ifa && a->type == ARPHRD_ETHER && (a->flags & IFF_UP));
		CHECK(find(v, n, "b") != NULL);
		CHECK(lo && lo->type == ARPHRD_LOOPBACK);
		CHECK_EQ(n, 3);
		free(v);
	}
	T_CASE("iface: resolve names, any, unknown") {
		struct nf_iface *v = NULL;
		size_t n = 0;

		REQUIRE(nf_iface_resolve("any", &v, &n) == 0);
		CHECK_EQ(n, 2);
		CHECK(find(v, n, "a") && find(v, n, "b") && !find(v, n, "lo"));
		free(v);
		REQUIRE(nf_iface_resolve("lo", &v, &n) == 0);
		CHECK_EQ(n, 1);
		CHECK_STR(v[0].name, "lo");
		free(v);
		v = NULL;
		CHECK_EQ(nf_iface_resolve("nope0", &v, &n), -ENODEV);
		CHECK_STR(nf_lasterr(), "unknown interface 'nope0'");
		CHECK(v == NULL);
	}
	T_CASE("iface: tun is L3, veth is not") {
		struct nf_iface *v = NULL;
		size_t n = 0;

		REQUIRE(sh("ip tuntap add dev nftun0 mode tun") == 0);
		REQUIRE(nf_iface_resolve("nftun0", &v, &n) == 0);
		CHECK_EQ(v[0].type, ARPHRD_NONE);
		CHECK(nf_iface_is_l3(v[0].type));
		CHECK(!nf_iface_is_l3(ARPHRD_ETHER));
		CHECK(!nf_iface_is_l3(ARPHRD_LOOPBACK));
		free(v);
		sh("ip link del nftun0");
	}
}

/* The peer: a child in its own netns owning b (10.99.0.2), echoing UDP. */
static pid_t peer_pid;

static void stop_peer(void)
{
	if (peer_pid > 0) {
		kill(peer_pid, SIGKILL);
		waitpid(peer_pid, NULL, 0);
		peer_pid = 0;
	}
}

static struct sockaddr_in peer_addr(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };

	inet_pton(AF_INET, "10.99.0.2", &sa.sin_addr);
	return sa;
}

static void peer_main(int ready, int go)
{
	struct sockaddr_in sa = peer_addr(), from;
	char c = 0, buf[64];
	int fd;

	if (unshare(CLONE_NEWNET) < 0 || write(ready, "n", 1) != 1 || read(go, &c, 1) != 1)
		_exit(1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (sh("ip addr add 10.99.0.2/24 dev b && ip link set dev b up") != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(ready, "b", 1) != 1)
		_exit(1);
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int start_peer(void)
{
	int ready[2], go[2];
	char c = 0;

	if (pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	peer_pid = fork();
	if (peer_pid == 0)
		peer_main(ready[1], go[0]);
	if (peer_pid < 0 || read(ready[0], &c, 1) != 1 ||
	    sh("ip link set dev b netns %d", (int)peer_pid) != 0 ||
	    write(go[1], "g", 1) != 1 || read(ready[0], &c, 1) != 1 || c != 'b')
		return -1;
	return 0;
}

/* A UDP round trip to the peer through a (egress out, ingress back). */
static int echo_ok(void)
{
	struct sockaddr_in sa = peer_addr();
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	char buf[16] = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ok = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 3 && !ok; i++) {
		if (sendto(fd, "nflux", 6, 0, (struct sockaddr *)&sa, sizeof(sa)) == 6)
			ok = recv(fd, buf, sizeof(buf), 0) == 6 && !strcmp(buf, "nflux");
	}
	close(fd);
	return ok;
}

static void test_traffic(int ifa, int pass, int drop)
{
	int up = 0;

	T_CASE("traffic: peer namespace echoes UDP") {
		REQUIRE(start_peer() == 0);
		up = 1;
	}
	if (!up)
		return;
	for (int force = 0; force <= 1; force++) {
		T_CASE(force ? "traffic: netlink pass lets UDP through, drop stops it"
			     : "traffic: tcx pass lets UDP through, drop stops it") {
			struct nf_tc_link in, eg;

			REQUIRE(echo_ok());
			REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, pass, "nflux_pass", force) == 0);
			REQUIRE(nf_tc_attach(&eg, ifa, NF_TC_EGRESS, pass, "nflux_pass", force) == 0);
			CHECK(echo_ok());
			CHECK_EQ(nf_tc_detach(&eg), 0);
			CHECK_EQ(nf_tc_detach(&in), 0);
			REQUIRE(nf_tc_attach(&in, ifa, NF_TC_INGRESS, drop, "nflux_drop", force) == 0);
			CHECK(!echo_ok());
			CHECK_EQ(nf_tc_detach(&in), 0);
			CHECK(echo_ok());
			CHECK(!has_clsact());
		}
	}
}

int main(void)
{
	if (getuid() != 0) {
		t_skip("tc", "needs root");
		return 0;
	}
	if (setup_netns() != 0) {
		printf("FAIL tc: could not set up the private netns\n");
		return 1;
	}
	atexit(stop_peer);
	int ifa = (int)if_nametoindex("a");
	int pass = load_prog(-1, "nflux_test");     /* TC_ACT_UNSPEC / TCX_NEXT */
	int drop = load_prog(2, "nflux_drop");      /* TC_ACT_SHOT / TCX_DROP */
	if (ifa <= 0 || pass < 0 || drop < 0) {
		printf("FAIL tc: setup: ifindex %d, prog %d/%d\n", ifa, pass, drop);
		return 1;
	}
	test_iface(ifa);
	test_tcx(ifa, pass, prog_id(pass));
	test_netlink(ifa, pass);
	test_stale(ifa, pass);
	test_traffic(ifa, pass, drop);
	return t_summary();
}
