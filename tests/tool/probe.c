/* nftool probe KIND: attach a real perf-event probe the way nflux does
 * (loader/attach/perf_event.h) and count its hits, so that every kernel of
 * the QEMU matrix proves the path it takes (perf link, or the ioctl before
 * 5.15). The probe is on nftool itself: a function of its own (uprobe,
 * uretprobe: nftool is static and stripped, so the file offset comes from
 * /proc/self/maps) or the getppid syscall it makes (kprobe, kretprobe,
 * tracepoint). A tiny counting program, built here from instructions,
 * adds 1 (or the return value) per hit of this process into a hash map.
 * Prints "probe KIND: hits=H want=W path=perf_link|ioctl"; exits 0 when H
 * is W, 3 when the kernel has no kprobe PMU or tracefs (kprobes, tracepoints). */
#include "tool.h"
#include "attach/perf_event.h"
#include "kern/bpf_cmd.h"
#include "kern/kern_util.h"
#include "kern/load.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define RET_OFF (10 * 8)            /* pt_regs->ax */
#define SYS_GETPPID_FN "__x64_sys_getppid"
#elif defined(__aarch64__)
#define RET_OFF 0                   /* pt_regs->regs[0] */
#define SYS_GETPPID_FN "__arm64_sys_getppid"
#else
#error "the return register of this architecture"
#endif

enum kind { UPROBE, URETPROBE, KPROBE, KRETPROBE, TRACEPOINT };
static const char *const kinds[] = { "uprobe", "uretprobe", "kprobe", "kretprobe", "tracepoint" };

/* What the uprobes probe: a real call each time, returning 3i + 1. */
__attribute__((noinline)) long nftool_probe_target(long i)
{
	__asm__ volatile("" : "+r"(i));
	return i * 3 + 1;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* r6 = 1 (or the return register); look up this tgid; atomically add r6. */
static int load_counter(int map_fd, int ret, uint32_t prog_type)
{
	struct bpf_insn p[] = {
		ret ? INSN(BPF_LDX | BPF_MEM | BPF_DW, 6, 1, RET_OFF, 0)
		    : INSN(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 1),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
		INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32),
		INSN(BPF_STX | BPF_MEM | BPF_W, 10, 0, -4, 0),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
		INSN(BPF_STX | BPF_XADD | BPF_DW, 0, 6, 0, 0),   /* lock *(u64 *)r0 += r6 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct nf_prog_load_opts o = { .name = "nftool_probe" };

	return nf_prog_load(prog_type, p, sizeof(p) / sizeof(p[0]), &o);
}

/* The file mapping of addr in this process: its path and file offset. */
static int self_file_off(const void *addr, char *path, size_t n, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4352];
	uintptr_t a = (uintptr_t)addr;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f)) {
		unsigned long start, end, pgoff;
		int at = 0;

		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end, &pgoff, &at) < 3 ||
		    a < start || a >= end || !at || line[at] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, n, "%s", line + at);
		*off = a - start + pgoff;
		r = 0;
	}
	fclose(f);
	return r;
}

static int attach(enum kind k, struct nf_perf_link *l, int prog, const struct nf_perf_opts *o)
{
	char path[4096];
	uint64_t off = 0;
	int r;

	if (k == KPROBE || k == KRETPROBE)
		return nf_kprobe_attach(l, prog, SYS_GETPPID_FN, 0, k == KRETPROBE, o);
	if (k == TRACEPOINT)
		return nf_tracepoint_attach(l, prog, "syscalls", "sys_enter_getppid", o);
	if ((r = self_file_off((const void *)nftool_probe_target, path, sizeof(path), &off))) {
		nf_seterr("nftool_probe_target is in no file mapping of /proc/self/maps");
		return r;
	}
	return nf_uprobe_attach(l, prog, path, off, k == URETPROBE, o);
}

/* n hits of kind k; the sum the program should have. */
static uint64_t trigger(enum kind k, long n)
{
	static long (*volatile call)(long) = nftool_probe_target;
	uint64_t sum = 0;

	for (long i = 0; i < n; i++) {
		if (k == UPROBE || k == URETPROBE)
			sum += (uint64_t)call(i);
		else
			sum += (uint64_t)syscall(SYS_getppid);
	}
	return k == URETPROBE || k == KRETPROBE ? sum : (uint64_t)n;
}

static int parse_args(int argc, char **argv, enum kind *k, unsigned long *n, struct nf_perf_opts *o)
{
	int all = 0;

	if (argc < 2)
		return -1;
	for (*k = UPROBE; *k <= TRACEPOINT && strcmp(argv[1], kinds[*k]); (*k)++)
		;
	if (*k > TRACEPOINT)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--ioctl"))
			o->force_ioctl = 1;
		else if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (!strcmp(argv[i], "-n")) {
			if (!(v = tool_optval(argc, argv, &i)) || tool_parse_num("-n", v, 1000000, n))
				return -2;
		} else {
			return -1;
		}
	}
	o->pid = all ? 0 : getpid();
	return 0;
}

int cmd_probe(int argc, char **argv)
{
	struct nf_perf_opts o = { 0 };
	struct nf_perf_link l;
	unsigned long n = 1000;
	enum kind k;
	int r = parse_args(argc, argv, &k, &n, &o);

	if (r)
		return r == -1 ? tool_err("usage: nftool probe uprobe|uretprobe|kprobe|kretprobe|tracepoint "
					  "[-n N] [--all] [--ioctl]"), 2 : 2;
	uint32_t key = (uint32_t)getpid();
	uint64_t hits = 0;
	int map = nf_map_create(BPF_MAP_TYPE_HASH, sizeof(key), sizeof(hits), 4, NULL);

	if (map < 0 || (r = nf_map_update(map, &key, &hits, BPF_ANY)))
		return tool_err("map: %s", strerror(map < 0 ? -map : -r)), 1;
	int prog = load_counter(map, k == URETPROBE || k == KRETPROBE,
				k == TRACEPOINT ? BPF_PROG_TYPE_TRACEPOINT : BPF_PROG_TYPE_KPROBE);

	if (prog < 0)
		return tool_err("load: %s", strerror(-prog)), 1;
	if ((r = attach(k, &l, prog, &o))) {
		tool_err("%s", nf_lasterr());
		return r == -ENOENT && k != UPROBE && k != URETPROBE ? 3 : 1;
	}
	const char *path = l.link_fd >= 0 ? "perf_link" : "ioctl";
	uint64_t want = trigger(k, (long)n);

	nf_perf_detach(&l);
	trigger(k, 10);   /* detached: these must not count */
	if (nf_map_lookup(map, &key, &hits))
		return tool_err("map lookup failed"), 1;
	printf("probe %s: hits=%llu want=%llu path=%s pid=%s\n", kinds[k], (unsigned long long)hits,
	       (unsigned long long)want, path, o.pid ? "self" : "all");
	nf_close(prog);
	nf_close(map);
	return hits == want ? 0 : 1;
}
