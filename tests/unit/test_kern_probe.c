/* Feature probes against a fake bpf() playing an old and a new kernel:
 * each BTF probe blob must use exactly the kind it is named after, link
 * probes read the right errno, and every probe closes its fds. */
#include "t.h"
#include "fake_sys.h"
#include "kern/load.h"
#include "kern/sys.h"
#include "log.h"
#include <errno.h>
#include <stdint.h>

#define FD0 300
static int open_fds;
static uint32_t kernel_lacks;     /* NF_BTF_* mask the fake kernel refuses */
static int has_ringbuf, link_tcx_errno, link_perf_errno;
static int no_global_ctx;         /* a kernel without vmlinux BTF */
static int global_ctx_probes;     /* programs that call a global function */

static long fail(int e)
{
	errno = e;
	return -1;
}

static long new_fd(void)
{
	return FD0 + open_fds++;
}

/* Bytes following a btf_type of this kind. */
static uint32_t extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
	case BTF_KIND_ARRAY: return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64: return 12 * vlen;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: return 8 * vlen;
	default: return 0;
	}
}

/* The NF_BTF_* features a blob uses. */
static uint32_t blob_uses(const uint8_t *blob)
{
	const struct btf_header *h = (const void *)blob;
	const uint8_t *p = blob + h->hdr_len + h->type_off, *end = p + h->type_len;
	uint32_t uses = 0;
	while (p < end) {
		const struct btf_type *t = (const void *)p;
		uint32_t kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
		uses |= 1u << kind;
		if (kind == BTF_KIND_FUNC && vlen == BTF_FUNC_GLOBAL)
			uses |= NF_BTF_NO_GLOBAL_FUNC;
		if (kind == BTF_KIND_DATASEC && vlen == 0)
			uses |= NF_BTF_NO_EMPTY_DATASEC;
		p += sizeof(*t) + extra(kind, vlen);
	}
	return uses;
}

static int deny_errno;               /* every command fails so, when set */

static long fake_bpf(int cmd, union bpf_attr *a, unsigned int size)
{
	(void)size;
	if (deny_errno)
		return fail(deny_errno);
	switch (cmd) {
	case BPF_BTF_LOAD:
		if (blob_uses((const void *)(uintptr_t)a->btf) & kernel_lacks)
			return fail(EINVAL);
		return new_fd();
	case BPF_MAP_CREATE:
		if (a->map_type == BPF_MAP_TYPE_RINGBUF && !has_ringbuf)
			return fail(EINVAL);
		return new_fd();
	case BPF_PROG_LOAD:
		if (a->func_info_cnt == 2) {
			/* The global-context probe: insn 0 calls the function
			 * func_info[1] names, which takes a struct __sk_buff *. */
			const struct bpf_insn *in = (const void *)(uintptr_t)a->insns;
			const struct bpf_func_info *fi = (const void *)(uintptr_t)a->func_info;
			if (in[0].src_reg == BPF_PSEUDO_CALL && (uint32_t)in[0].imm + 1 == fi[1].insn_off &&
			    a->prog_type == BPF_PROG_TYPE_SCHED_CLS)
				global_ctx_probes++;
			if (no_global_ctx)
				return fail(EINVAL);
		}
		return new_fd();
	case BPF_LINK_CREATE:
		return fail(a->link_create.attach_type == 46 ? link_tcx_errno : link_perf_errno);
	default:
		return fail(EINVAL);
	}
}

static int fake_close(int fd)
{
	(void)fd;
	open_fds--;
	return 0;
}

static const struct nf_features *probe_as(uint32_t lacks, int ringbuf, int tcx_err, int perf_err)
{
	static struct nf_sys fake;
	t_fake_sys(&fake);
	fake.bpf = fake_bpf;
	fake.close = fake_close;
	t_use_sys(&fake);
	open_fds = 0;
	kernel_lacks = lacks;
	has_ringbuf = ringbuf;
	link_tcx_errno = tcx_err;
	link_perf_errno = perf_err;
	nf_features_reset();
	return nf_features();
}

int main(void)
{
	T_CASE("probes: an old kernel's missing BTF kinds give the sanitise mask") {
		uint32_t lacks = 1u << BTF_KIND_FLOAT | 1u << BTF_KIND_DECL_TAG |
				 1u << BTF_KIND_TYPE_TAG | 1u << BTF_KIND_ENUM64 |
				 NF_BTF_NO_GLOBAL_FUNC | NF_BTF_NO_EMPTY_DATASEC;
		const struct nf_features *f = probe_as(lacks, 0, EINVAL, EINVAL);
		CHECK_EQ(nf_btf_missing_mask(f), lacks);
		CHECK_EQ(f->btf, 1);
		CHECK_EQ(f->btf_func, 1);
		CHECK_EQ(f->btf_datasec, 1);
		CHECK_EQ(f->func_info, 1);
		CHECK_EQ(f->ringbuf, 0);
		CHECK_EQ(f->tcx, 0);
		CHECK_EQ(f->perf_link, 0);
		CHECK_EQ(f->denied, 0);
		CHECK_EQ(open_fds, 0);
	}
	T_CASE("probes: EPERM is a refusal, not a missing feature: nf_load reports it") {
		deny_errno = EPERM;
		const struct nf_features *f = probe_as(0, 1, ENODEV, EBADF);
		CHECK_EQ(f->denied, -EPERM);
		struct nf_obj o;
		struct nf_bpf b;
		memset(&o, 0, sizeof(o));
		CHECK_EQ(nf_load(&b, &o, NULL), -EPERM);
		CHECK(strstr(nf_lasterr(), "feature probes: Operation not permitted") == nf_lasterr());
		deny_errno = 0;
		CHECK_EQ(probe_as(0, 1, ENODEV, EBADF)->denied, 0);
		CHECK_EQ(open_fds, 0);
	}
	T_CASE("probes: each BTF probe blob uses only its own kind") {
		static const uint32_t single[] = {
			1u << BTF_KIND_FLOAT, 1u << BTF_KIND_DECL_TAG, 1u << BTF_KIND_TYPE_TAG,
			1u << BTF_KIND_ENUM64, NF_BTF_NO_GLOBAL_FUNC, NF_BTF_NO_EMPTY_DATASEC,
		};
		for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
			CHECK_EQ(nf_btf_missing_mask(probe_as(single[i], 1, ENODEV, EBADF)), single[i]);
		/* Kinds that other probes build on take those probes with them. */
		CHECK_EQ(nf_btf_missing_mask(probe_as(1u << BTF_KIND_FUNC, 1, ENODEV, EBADF)),
			 1u << BTF_KIND_FUNC | 1u << BTF_KIND_FUNC_PROTO | NF_BTF_NO_GLOBAL_FUNC);
		CHECK_EQ(nf_btf_missing_mask(probe_as(1u << BTF_KIND_DATASEC, 1, ENODEV, EBADF)),
			 1u << BTF_KIND_DATASEC | 1u << BTF_KIND_VAR | NF_BTF_NO_EMPTY_DATASEC);
	}
	T_CASE("probes: without FUNC/DATASEC, no func_info and those kinds masked") {
		uint32_t lacks = 1u << BTF_KIND_FUNC | 1u << BTF_KIND_DATASEC;
		const struct nf_features *f = probe_as(lacks, 1, EINVAL, EINVAL);
		CHECK_EQ(f->func_info, 0);
		CHECK_EQ(nf_btf_missing_mask(f) & lacks, lacks);
		CHECK_EQ(open_fds, 0);
	}
	T_CASE("probes: a new kernel's link errnos mean tcx and perf links exist") {
		const struct nf_features *f = probe_as(0, 1, ENODEV, EBADF);
		CHECK_EQ(nf_btf_missing_mask(f), 0);
		CHECK_EQ(f->ringbuf, 1);
		CHECK_EQ(f->tcx, 1);
		CHECK_EQ(f->perf_link, 1);
		CHECK_EQ(open_fds, 0);
		f = probe_as(0, 1, ENXIO, EINVAL);
		CHECK_EQ(f->tcx, 1);
		CHECK_EQ(f->perf_link, 0);
	}
	T_CASE("probes: a kernel that cannot type a global function's context keeps them static") {
		global_ctx_probes = 0;
		const struct nf_features *f = probe_as(0, 1, ENODEV, EBADF);
		CHECK_EQ(f->global_ctx, 1);
		CHECK_EQ(global_ctx_probes, 1);
		no_global_ctx = 1;
		f = probe_as(0, 1, ENODEV, EBADF);
		no_global_ctx = 0;
		CHECK_EQ(f->global_ctx, 0);
		CHECK_EQ(f->btf_func_global, 1);
		CHECK_EQ(nf_btf_missing_mask(f), NF_BTF_NO_GLOBAL_FUNC);
		CHECK_EQ(open_fds, 0);
		/* No global functions at all: the probe is not even run. */
		global_ctx_probes = 0;
		f = probe_as(NF_BTF_NO_GLOBAL_FUNC, 1, ENODEV, EBADF);
		CHECK_EQ(f->global_ctx, 0);
		CHECK_EQ(global_ctx_probes, 0);
	}
	T_CASE("probes: cached until reset") {
		const struct nf_features *f = probe_as(0, 1, ENODEV, EBADF);
		has_ringbuf = 0;
		CHECK_EQ(nf_features()->ringbuf, 1);
		nf_features_reset();
		CHECK_EQ(nf_features()->ringbuf, 0);
		(void)f;
	}
	t_real_sys();
	nf_features_reset();
	return t_summary();
}
