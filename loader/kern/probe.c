/* Feature probes: create a tiny map, program, BTF blob or link and read the
 * errno. Run once, cached; every fd opened is closed. */
#include "bpf_compat.h"
#include "load.h"
#include "kern_util.h"
#include "log.h"
#include "sys.h"
#include <errno.h>
#include <string.h>


#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV0 INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static const struct bpf_insn ret0[] = { MOV0, EXIT };

static int create_map(uint32_t type, uint32_t key, uint32_t val, uint32_t n, uint32_t flags)
{
	struct nf_map_create_opts o = { .map_flags = flags };
	return nf_map_create(type, key, val, n, &o);
}

static int load_simple(uint32_t type, const struct bpf_insn *insns, uint32_t cnt)
{
	return nf_prog_load(type, insns, cnt, NULL);
}

/* The first EPERM/EACCES a probe met: not "unsupported" but a process
 * that may not use bpf() at all (reported by nf_load, never a fallback). */
static int denied;

/* 1 if the fd is valid (and close it), else 0. */
static int ok_close(int fd)
{
	if ((fd == -EPERM || fd == -EACCES) && !denied)
		denied = fd;
	nf_close(fd);
	return fd >= 0;
}

static int probe_global_data(void)
{
	int map = create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	if (map < 0)
		return 0;
	struct bpf_insn insns[] = {
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_VALUE, 0, map),
		INSN(0, 0, 0, 0, 0), /* second half: offset 0 */
		INSN(BPF_ST | BPF_MEM | BPF_DW, 1, 0, 0, 42),
		MOV0, EXIT,
	};
	int ok = ok_close(load_simple(BPF_PROG_TYPE_SOCKET_FILTER, insns, 5));
	nf_close(map);
	return ok;
}

static int probe_read_user(void)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_user),
		MOV0, EXIT,
	};
	return ok_close(load_simple(BPF_PROG_TYPE_KPROBE, insns, 7));
}

static int link_create_errno(uint32_t prog_type, uint32_t attach, int target)
{
	int prog = load_simple(prog_type, ret0, 2);
	if (prog < 0)
		return prog;
	int r = nf_link_create(prog, target, attach);
	nf_close(r);
	nf_close(prog);
	return r;
}

/* The kernel looks the device up only once it knows the attach type. */
static int probe_tcx(void)
{
	int r = link_create_errno(BPF_PROG_TYPE_SCHED_CLS, NF_BPF_TCX_INGRESS, 0x7ffffff0);
	return r == -ENODEV || r == -ENXIO;
}

/* Likewise, the perf fd is resolved only by kernels with perf links. */
static int probe_perf_link(void)
{
	return link_create_errno(BPF_PROG_TYPE_KPROBE, NF_BPF_PERF_EVENT, -1) == -EBADF;
}

/* ---- BTF ------------------------------------------------------------ */

#define T_INFO(kind, vlen, kflag) (((uint32_t)(kflag) << 31) | ((uint32_t)(kind) << 24) | (vlen))
/* Strings shared by every probe blob: offsets 1 "int", 5 "x", 7 ".data",
 * 13 "__sk_buff". */
static const char btf_strs[] = "\0int\0x\0.data\0__sk_buff";
#define S_INT 1
#define S_X 5
#define S_DATA 7
#define S_SKB 13
#define INT_T S_INT, T_INFO(BTF_KIND_INT, 0, 0), 4, (BTF_INT_SIGNED << 24) | 32 /* id 1 */

/* Load a blob of the given type words with btf_strs; returns the fd. */
static int btf_fd_of(const uint32_t *types, size_t ntypes_words)
{
	uint8_t blob[256];
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
		.type_off = 0, .type_len = (uint32_t)(ntypes_words * 4),
		.str_off = (uint32_t)(ntypes_words * 4), .str_len = sizeof(btf_strs),
	};
	size_t len = sizeof(h) + h.type_len + h.str_len;
	if (len > sizeof(blob))
		return -E2BIG;
	memcpy(blob, &h, sizeof(h));
	memcpy(blob + sizeof(h), types, h.type_len);
	memcpy(blob + sizeof(h) + h.type_len, btf_strs, sizeof(btf_strs));
	return nf_btf_load(blob, len, NULL, 0);
}

#define BTF_PROBE(...) ok_close(btf_fd_of((const uint32_t[]){ __VA_ARGS__ }, \
	sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4))

/* int f(void), as FUNC_PROTO (id 2) and FUNC (id 3) */
#define FUNC_T(linkage) 0, T_INFO(BTF_KIND_FUNC_PROTO, 0, 0), 1, \
	S_X, T_INFO(BTF_KIND_FUNC, linkage, 0), 2

static int probe_func_info(void)
{
	static const uint32_t t[] = { INT_T, FUNC_T(0) };
	int btf = btf_fd_of(t, sizeof(t) / 4);
	if (btf < 0)
		return 0;
	struct bpf_func_info fi = { .insn_off = 0, .type_id = 3 };
	struct nf_prog_load_opts o = { .btf_fd = btf, .func_info = &fi, .func_info_cnt = 1,
				       .func_info_rec_size = sizeof(fi) };
	int ok = ok_close(nf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, ret0, 2, &o));
	nf_close(btf);
	return ok;
}

/* A global function taking the context: the kernel matches the argument's
 * struct name against its own context type, which it knows only from its
 * vmlinux BTF (a kernel built without BTF refuses the program). Programs
 * then keep their global functions static: slower to verify, same code. */
static int probe_global_ctx(void)
{
	static const uint32_t t[] = {
		INT_T,
		S_SKB, T_INFO(BTF_KIND_STRUCT, 0, 0), 4,             /* 2 */
		0, T_INFO(BTF_KIND_PTR, 0, 0), 2,                  /* 3 */
		0, T_INFO(BTF_KIND_FUNC_PROTO, 1, 0), 1, S_X, 3,   /* 4: int (struct __sk_buff *) */
		S_X, T_INFO(BTF_KIND_FUNC, BTF_FUNC_GLOBAL, 0), 4, /* 5: the global function */
		S_X, T_INFO(BTF_KIND_FUNC, BTF_FUNC_STATIC, 0), 4, /* 6: the program */
	};
	int btf = btf_fd_of(t, sizeof(t) / 4);
	if (btf < 0)
		return 0;
	const struct bpf_insn insns[] = {
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2), MOV0, EXIT,
		MOV0, EXIT,
	};
	struct bpf_func_info fi[] = { { .insn_off = 0, .type_id = 6 }, { .insn_off = 3, .type_id = 5 } };
	struct nf_prog_load_opts o = { .btf_fd = btf, .func_info = fi, .func_info_cnt = 2,
				       .func_info_rec_size = sizeof(fi[0]) };
	int ok = ok_close(nf_prog_load(BPF_PROG_TYPE_SCHED_CLS, insns, 5, &o));
	nf_close(btf);
	return ok;
}

static int probe_prog_name(void)
{
	struct nf_prog_load_opts o = { .name = "nf_probe" };
	return ok_close(nf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, ret0, 2, &o));
}

static void probe_btf(struct nf_features *f)
{
	f->btf = BTF_PROBE(INT_T);
	f->btf_func = BTF_PROBE(INT_T, FUNC_T(BTF_FUNC_STATIC));
	f->btf_func_global = BTF_PROBE(INT_T, FUNC_T(BTF_FUNC_GLOBAL));
	/* VAR x (id 2) in DATASEC .data (id 3) */
	f->btf_datasec = BTF_PROBE(INT_T, S_X, T_INFO(BTF_KIND_VAR, 0, 0), 1, BTF_VAR_GLOBAL_ALLOCATED,
				   S_DATA, T_INFO(BTF_KIND_DATASEC, 1, 0), 4, 2, 0, 4);
	f->btf_float = BTF_PROBE(S_INT, T_INFO(BTF_KIND_FLOAT, 0, 0), 4);
	f->btf_decl_tag = BTF_PROBE(INT_T, S_X, T_INFO(BTF_KIND_VAR, 0, 0), 1, BTF_VAR_GLOBAL_ALLOCATED,
				    S_X, T_INFO(BTF_KIND_DECL_TAG, 0, 0), 2, (uint32_t)-1);
	f->btf_type_tag = BTF_PROBE(INT_T, S_X, T_INFO(BTF_KIND_TYPE_TAG, 0, 0), 1,
				    0, T_INFO(BTF_KIND_PTR, 0, 0), 2);
	f->btf_enum64 = BTF_PROBE(S_X, T_INFO(BTF_KIND_ENUM64, 1, 0), 8, S_INT, 1, 0);
	/* vlen 0; the size must still be non-zero */
	f->btf_empty_datasec = BTF_PROBE(INT_T, S_DATA, T_INFO(BTF_KIND_DATASEC, 0, 0), 4);
}

static struct nf_features cached;
static int probed;

const struct nf_features *nf_features(void)
{
	if (probed)
		return &cached;
	struct nf_features *f = &cached;
	memset(f, 0, sizeof(*f));
	nf_raise_memlock();
	denied = 0;
	f->ringbuf = ok_close(create_map(BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)nf_page_size(), 0));
	f->mmapable = ok_close(create_map(BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_MMAPABLE));
	f->global_data = probe_global_data();
	f->probe_read_user = probe_read_user();
	f->tcx = probe_tcx();
	f->perf_link = probe_perf_link();
	probe_btf(f);
	f->func_info = f->btf_func && probe_func_info();
	f->global_ctx = f->func_info && f->btf_func_global && probe_global_ctx();
	f->prog_name = probe_prog_name();
	f->denied = denied;
	probed = 1;
	nf_debug("features: ringbuf=%d tcx=%d perf_link=%d global_data=%d mmapable=%d "
		 "probe_read_user=%d func_info=%d global_ctx=%d prog_name=%d",
		 f->ringbuf, f->tcx, f->perf_link, f->global_data, f->mmapable,
		 f->probe_read_user, f->func_info, f->global_ctx, f->prog_name);
	nf_debug("features: btf=%d func=%d func_global=%d datasec=%d float=%d decl_tag=%d "
		 "type_tag=%d enum64=%d empty_datasec=%d",
		 f->btf, f->btf_func, f->btf_func_global, f->btf_datasec, f->btf_float,
		 f->btf_decl_tag, f->btf_type_tag, f->btf_enum64, f->btf_empty_datasec);
	return f;
}

void nf_features_reset(void)
{
	probed = 0;
}

uint32_t nf_btf_missing_mask(const struct nf_features *f)
{
	uint32_t m = 0;
	if (!f->btf_func)
		m |= 1u << BTF_KIND_FUNC | 1u << BTF_KIND_FUNC_PROTO;
	if (!f->btf_func_global || !f->global_ctx)
		m |= NF_BTF_NO_GLOBAL_FUNC;
	if (!f->btf_datasec)
		m |= 1u << BTF_KIND_DATASEC | 1u << BTF_KIND_VAR;
	if (!f->btf_float)
		m |= 1u << BTF_KIND_FLOAT;
	if (!f->btf_decl_tag)
		m |= 1u << BTF_KIND_DECL_TAG;
	if (!f->btf_type_tag)
		m |= 1u << BTF_KIND_TYPE_TAG;
	if (!f->btf_enum64)
		m |= 1u << BTF_KIND_ENUM64;
	if (!f->btf_empty_datasec)
		m |= NF_BTF_NO_EMPTY_DATASEC;
	return m;
}
