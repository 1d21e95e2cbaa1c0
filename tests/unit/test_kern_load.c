/* nf_load over a fake bpf(): map attributes for this kernel, .rodata
 * frozen after its write, verifier log retry and error text, EPERM hint,
 * every fd closed on every error path. */
#include "t.h"
#include "fake_sys.h"
#include "kern/load.h"
#include "kern/load_int.h"
#include "log.h"
#include "kern/sys.h"
#include "kern/caps.h"
#include <errno.h>
#include <stdint.h>

#define FD0 200
#define MAXFD 64

static int open_fds[MAXFD];          /* 1 while fake fd FD0+i is open */
static int next_fd;
static union bpf_attr maps[8];       /* MAP_CREATE attrs, in order */
static int nmaps_created;
static int froze_fd, updated_before_freeze;
static uint32_t prog_log_sizes[8];   /* log_size of each PROG_LOAD */
static int prog_loads;
static int fail_prog;                /* PROG_LOAD: 0 ok, else -errno ... */
static uint32_t need_log;            /* ... until log_size >= need_log (ENOSPC before) */
static int fail_map_errno;
static int btf_needs_log;            /* BTF_LOAD: EINVAL unless a log buffer is given */
static int btf_loads;
static int reject_names;             /* PROG_LOAD: EINVAL when named */
static char prog_name_seen[BPF_OBJ_NAME_LEN];
static struct bpf_insn insns_seen[8];

static long new_fd(void)
{
	for (int i = 0; i < MAXFD; i++) {
		int k = (next_fd + i) % MAXFD;
		if (!open_fds[k]) {
			open_fds[k] = 1;
			next_fd = k + 1;
			return FD0 + k;
		}
	}
	errno = EMFILE;
	return -1;
}

static int fds_open(void)
{
	int n = 0;
	for (int i = 0; i < MAXFD; i++)
		n += open_fds[i];
	return n;
}

static long fail(int e)
{
	errno = e;
	return -1;
}

static long prog_load(union bpf_attr *a)
{
	if (prog_loads < 8)
		prog_log_sizes[prog_loads] = a->log_buf ? a->log_size : 0;
	prog_loads++;
	memcpy(prog_name_seen, a->prog_name, sizeof(prog_name_seen));
	memcpy(insns_seen, (void *)(uintptr_t)a->insns,
	       (a->insn_cnt < 8 ? a->insn_cnt : 8) * sizeof(struct bpf_insn));
	if (reject_names && a->prog_name[0])
		return fail(EINVAL);
	if (!fail_prog)
		return new_fd();
	if (!a->log_buf)
		return fail(-fail_prog);
	if (a->log_size < need_log)
		return fail(ENOSPC);
	snprintf((char *)(uintptr_t)a->log_buf, a->log_size,
		 "func#0 @0\n0: R1=ctx() R10=fp0\n0: (79) r0 = *(u64 *)(r0 +0)\n"
		 "R0 invalid mem access 'scalar'\nprocessed 1 insns (limit 1000000)\n\n");
	return fail(-fail_prog);
}

static long fake_bpf(int cmd, union bpf_attr *a, unsigned int size)
{
	(void)size;
	switch (cmd) {
	case BPF_MAP_CREATE:
		if (fail_map_errno)
			return fail(fail_map_errno);
		if (nmaps_created < 8)
			maps[nmaps_created++] = *a;
		return new_fd();
	case BPF_MAP_UPDATE_ELEM:
		updated_before_freeze += !froze_fd;
		return 0;
	case BPF_MAP_FREEZE:
		froze_fd = (int)a->map_fd;
		return 0;
	case BPF_PROG_LOAD:
		return prog_load(a);
	case BPF_BTF_LOAD:
		btf_loads++;
		if (btf_needs_log && !a->btf_log_buf)
			return fail(EINVAL);
		return new_fd();
	case BPF_LINK_CREATE:
		return fail(ENODEV);
	default:
		return fail(EINVAL);
	}
}

static int fake_close(int fd)
{
	if (fd >= FD0 && fd < FD0 + MAXFD && open_fds[fd - FD0]) {
		open_fds[fd - FD0] = 0;
		return 0;
	}
	printf("# close of a fd not open: %d\n", fd);
	return fail(EBADF);
}

static int vmlinux_opens;
static const char *status_text;      /* /proc/self/status, when set */
static int status_fd = -1, status_read;
static int fake_open(const char *path, int flags, int mode)
{
	(void)flags, (void)mode;
	vmlinux_opens += strcmp(path, "/sys/kernel/btf/vmlinux") == 0;
	if (status_text && !strcmp(path, "/proc/self/status")) {
		status_read = 0;
		return status_fd = (int)new_fd();
	}
	return strcmp(path, "/sys/devices/system/cpu/possible") ? (int)fail(ENOENT) : (int)new_fd();
}

static int cpu_read_done;
static ssize_t fake_read(int fd, void *buf, size_t len)
{
	if (fd == status_fd) {
		size_t n = status_read++ ? 0 : strlen(status_text);
		n = n < len ? n : len;
		memcpy(buf, status_text, n);
		return (ssize_t)n;
	}
	if (cpu_read_done++ % 2)
		return 0;
	memcpy(buf, "0-3\n", len < 4 ? len : 4);
	return 4;
}

static int fake_setrlimit(int r, const struct rlimit *rl)
{
	(void)r, (void)rl;
	return (int)fail(EPERM);
}

static struct nf_sys fake;

static void reset(void)
{
	t_fake_sys(&fake);
	fake.bpf = fake_bpf;
	fake.close = fake_close;
	fake.open = fake_open;
	fake.read = fake_read;
	fake.setrlimit = fake_setrlimit;
	t_use_sys(&fake);
	memset(open_fds, 0, sizeof(open_fds));
	fail_prog = fail_map_errno = reject_names = 0;
	need_log = 0;
	nf_features_reset();
	nf_features(); /* probes run against the fake: everything "supported" */
	memset(maps, 0, sizeof(maps));
	nmaps_created = froze_fd = updated_before_freeze = prog_loads = vmlinux_opens = 0;
}

static void add_map(struct nf_obj *o, const char *name, enum nf_map_kind kind, uint32_t type,
		    uint32_t max)
{
	struct nf_map_spec *m = &o->maps[o->nmaps++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->kind = kind;
	m->type = type;
	m->key_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 4;
	m->value_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 8;
	m->max_entries = max;
	if (kind != NF_MAP_USER)
		m->init = calloc(1, 8);
}

/* An object with .rodata, a ring buffer, a perf array, a long-named hash
 * map, and one program calling bpf_probe_read_user. */
static void make_obj(struct nf_obj *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->license, sizeof(o->license), "GPL");
	o->maps = calloc(4, sizeof(*o->maps));
	add_map(o, ".rodata", NF_MAP_RODATA, BPF_MAP_TYPE_ARRAY, 1);
	add_map(o, "events", NF_MAP_USER, BPF_MAP_TYPE_RINGBUF, 5000);
	add_map(o, "perf-out", NF_MAP_USER, BPF_MAP_TYPE_PERF_EVENT_ARRAY, 0);
	add_map(o, "a_very_long_map_name", NF_MAP_USER, BPF_MAP_TYPE_HASH, 16);
	o->progs = calloc(1, sizeof(*o->progs));
	o->nprogs = 1;
	struct nf_prog_spec *p = &o->progs[0];
	snprintf(p->name, sizeof(p->name), "my-prog");
	p->type = BPF_PROG_TYPE_KPROBE;
	p->insn_cnt = 2;
	p->insns = calloc(2, sizeof(*p->insns));
	p->insns[0] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = 112 };
	p->insns[1] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
}

static void test_maps(void)
{
	T_CASE("load: map attributes adapted to the kernel, .rodata frozen after its write") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		int err = nf_load(&b, &o, NULL);
		REQUIRE(err == 0);
		REQUIRE(nmaps_created == 4);
		CHECK_STR(maps[0].map_name, ".rodata");
		CHECK(maps[0].map_flags & BPF_F_RDONLY_PROG);
		CHECK(maps[0].map_flags & BPF_F_MMAPABLE);
		CHECK_EQ(froze_fd, nf_bpf_map_fd(&b, ".rodata"));
		CHECK_EQ(updated_before_freeze, 1);
		CHECK_EQ(maps[1].max_entries, 8192); /* 5000 -> power-of-two pages */
		CHECK_EQ(maps[2].max_entries, 4);    /* possible CPUs "0-3" */
		CHECK_STR(maps[2].map_name, "perf_out");
		CHECK_STR(maps[3].map_name, "a_very_long_map");
		CHECK_EQ(maps[3].max_entries, 16);
		CHECK_EQ(maps[3].map_flags & BPF_F_MMAPABLE, 0);
		CHECK_STR(prog_name_seen, "my_prog");
		CHECK_EQ(insns_seen[0].imm, 112); /* probed: kept */
		CHECK_EQ(vmlinux_opens, 0);       /* no CO-RE relocations: not needed */
		CHECK(nf_bpf_prog_fd(&b, "my-prog") >= FD0);
		CHECK_EQ(nf_bpf_map_fd(&b, "nope"), -ENOENT);
		CHECK(b.obj == &o && o.nmaps == 4); /* the spec stays the caller's */
		nf_unload(&b);
		CHECK_EQ(fds_open(), 0);
		CHECK(!nf_bpf_loaded(&b));
		nf_unload(&b); /* twice is harmless */
		nf_obj_free(&o);
	}
	T_CASE("load: BTF accepted only on the retry with a log is kept, then closed") {
		reset();
		/* The smallest BTF: one INT "int". */
		static const uint32_t blob[] = {
			0x0001eb9f, 24, 0, 16, 16, 5,          /* magic+version+flags, hdr_len, offs */
			1, 1u << 24, 4, 32,                    /* INT "int", size 4, 32 bits */
			0x746e6900, 0x00000000,                /* "\0int\0" + padding */
		};
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		o.btf = nf_btf_new(blob, 24 + 16 + 5);
		REQUIRE(o.btf != NULL);
		btf_needs_log = 1;
		btf_loads = 0;
		REQUIRE(nf_load(&b, &o, NULL) == 0);
		CHECK_EQ(btf_loads, 2);
		CHECK(b.btf_fd >= FD0);
		nf_unload(&b);
		CHECK_EQ(fds_open(), 0); /* the retry's fd was kept, so it was closed */
		btf_needs_log = 0;
		nf_obj_free(&o);
	}
	T_CASE("load: EPERM from map creation names the memlock limit") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		fail_map_errno = EPERM;
		CHECK_EQ(nf_load(&b, &o, NULL), -EPERM);
		CHECK_STR(nf_lasterr(),
			  "map .rodata: Operation not permitted (the RLIMIT_MEMLOCK limit may be too low)");
		CHECK_EQ(fds_open(), 0);
		CHECK(o.maps != NULL); /* still the caller's */
		nf_obj_free(&o);
	}
}

static void test_progs(void)
{
	T_CASE("load: verifier rejection retried with a growing log, tail reported") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		fail_prog = -EACCES;
		need_log = 4u << 20;
		CHECK_EQ(nf_load(&b, &o, NULL), -EACCES);
		CHECK_STR(nf_lasterr(), "program my-prog: Permission denied: "
			  "0: (79) r0 = *(u64 *)(r0 +0) | R0 invalid mem access 'scalar' | "
			  "processed 1 insns (limit 1000000)");
		/* plain, then logs of 1 MiB (ENOSPC) and 4 MiB */
		CHECK_EQ(prog_loads, 3);
		CHECK_EQ(prog_log_sizes[0], 0);
		CHECK_EQ(prog_log_sizes[1], 1u << 20);
		CHECK_EQ(prog_log_sizes[2], 4u << 20);
		CHECK_EQ(fds_open(), 0);
		nf_obj_free(&o);
	}
	T_CASE("load: a kernel refusing the program name gets none") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		reject_names = 1;
		REQUIRE(nf_load(&b, &o, NULL) == 0);
		CHECK_EQ(prog_loads, 2);
		CHECK_STR(prog_name_seen, "");
		nf_unload(&b);
		CHECK_EQ(fds_open(), 0);
		nf_obj_free(&o);
	}
	T_CASE("load: only the programs the run names are loaded") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		const char *const none[] = { "another-prog", NULL };
		struct nf_load_opts opts = { .progs = none };
		REQUIRE(nf_load(&b, &o, &opts) == 0);
		CHECK_EQ(prog_loads, 0);
		CHECK_EQ(nf_bpf_prog_fd(&b, "my-prog"), -1);
		CHECK_EQ(nmaps_created, 4);
		nf_unload(&b);
		const char *const mine[] = { "my-prog", NULL };
		opts.progs = mine;
		REQUIRE(nf_load(&b, &o, &opts) == 0);
		CHECK_EQ(prog_loads, 1);
		CHECK(nf_bpf_prog_fd(&b, "my-prog") >= FD0);
		nf_unload(&b);
		CHECK_EQ(fds_open(), 0);
		nf_obj_free(&o);
	}
	T_CASE("load: EPERM without CAP_BPF names the capability, not memlock") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		fail_map_errno = EPERM;
		status_text = "Name:\tnflux\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n";
		CHECK_EQ(nf_load(&b, &o, NULL), -EPERM);
		CHECK_STR(nf_lasterr(), "map .rodata: Operation not permitted (needs root, or CAP_BPF)");
		status_text = "CapEff:\t000001ffffffffff\n"; /* root: the memlock limit, then */
		CHECK_EQ(nf_load(&b, &o, NULL), -EPERM);
		CHECK(strstr(nf_lasterr(), "RLIMIT_MEMLOCK") != NULL);
		status_text = NULL;
		status_fd = -1;
		CHECK_EQ(fds_open(), 0);
		nf_obj_free(&o);
	}
	T_CASE("caps: CapEff parsed from the status text") {
		uint64_t eff = 0;
		CHECK_EQ(nf_parse_cap_eff("Name:\tx\nCapPrm:\t1\nCapEff:\t000000c000000000\nCapBnd:\t0\n", &eff), 0);
		CHECK_EQ(eff, NF_CAP(NF_CAP_BPF) | NF_CAP(NF_CAP_PERFMON));
		CHECK_EQ(nf_parse_cap_eff("Name:\tx\n", &eff), -EINVAL);
		CHECK_EQ(nf_parse_cap_eff("CapEff:\tzz\n", &eff), -EINVAL);
		CHECK_EQ(nf_parse_cap_eff("CapEff:\t12x\n", &eff), -EINVAL);
	}
	T_CASE("load: EPERM from program load names the memlock limit") {
		reset();
		struct nf_obj o;
		struct nf_bpf b;
		make_obj(&o);
		fail_prog = -EPERM;
		CHECK_EQ(nf_load(&b, &o, NULL), -EPERM);
		CHECK(strstr(nf_lasterr(), "program my-prog: Operation not permitted (the "
			     "RLIMIT_MEMLOCK limit may be too low)") == nf_lasterr());
		CHECK_EQ(fds_open(), 0);
		nf_obj_free(&o);
	}
	T_CASE("probe_read_user/kernel rewritten to probe_read when missing") {
		struct bpf_insn in[] = {
			{ .code = BPF_JMP | BPF_CALL, .imm = 112 },
			{ .code = BPF_JMP | BPF_CALL, .imm = 113 },
			{ .code = BPF_JMP | BPF_CALL, .imm = 114 },
			{ .code = BPF_JMP | BPF_CALL, .imm = 115 },
			{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = 112 },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 112 },
		};
		nf_rewrite_probe_read(in, 6);
		CHECK_EQ(in[0].imm, 4);
		CHECK_EQ(in[1].imm, 4);
		CHECK_EQ(in[2].imm, 45);
		CHECK_EQ(in[3].imm, 45);
		CHECK_EQ(in[4].imm, 112); /* a subprogram call, not a helper */
		CHECK_EQ(in[5].imm, 112);
	}
}

int main(void)
{
	test_maps();
	test_progs();
	t_real_sys();
	return t_summary();
}
