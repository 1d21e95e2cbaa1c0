/* tlstrace: TLS plaintext at the library's API. An entry uprobe per
 * function keeps the call's arguments by thread; the one return probe
 * copies the bytes the call transferred, in chunks, to the ring buffer.
 * pt_regs only (no CO-RE, no kernel BTF). Configuration is the .rodata
 * constant tt_cfg, set before load. */
#include "nf_bpf.h"
#include "tlstrace.h"

/* struct pt_regs as the uprobe sees it: arguments and return value in the
 * registers of the C calling convention. */
#if defined(__TARGET_ARCH_x86)
struct tt_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__u64 ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#define TT_ARG1(r) ((r)->di)
#define TT_ARG2(r) ((r)->si)
#define TT_ARG3(r) ((r)->dx)
#define TT_ARG4(r) ((r)->cx)
#define TT_RET(r) ((r)->ax)
/* Go's internal register ABI (Go 1.17+): the receiver and a slice's
 * pointer and length in AX, BX, CX; the first result in AX; the running
 * goroutine (g) in R14. */
#define TT_GO_ARG1(r) ((r)->ax)
#define TT_GO_ARG2(r) ((r)->bx)
#define TT_GO_RET(r) ((r)->ax)
#define TT_GO_G(r) ((r)->r14)
/* Syscalls that move a socket's bytes: their first argument is the fd. */
#define TT_IS_IO_SYSCALL(n) ((n) == 0 || (n) == 1 || (n) == 19 || (n) == 20 || \
			     ((n) >= 44 && (n) <= 47) || (n) == 295 || (n) == 296)
#define TT_SYS_MMAP 9
#define TT_SYS_MPROTECT 10
/* Syscalls that end an fd: close(fd), dup2/dup3(old, fd), close_range. */
#define TT_SYS_CLOSE 3
#define TT_SYS_DUP2 33
#define TT_SYS_DUP3 292
#elif defined(__TARGET_ARCH_arm64)
struct tt_regs {
	__u64 regs[31];
	__u64 sp, pc, pstate;
};
#define TT_ARG1(r) ((r)->regs[0])
#define TT_ARG2(r) ((r)->regs[1])
#define TT_ARG3(r) ((r)->regs[2])
#define TT_ARG4(r) ((r)->regs[3])
#define TT_RET(r) ((r)->regs[0])
/* Go's register ABI on arm64 (Go 1.18+): R0, R1, ...; g in R28. */
#define TT_GO_ARG1(r) ((r)->regs[0])
#define TT_GO_ARG2(r) ((r)->regs[1])
#define TT_GO_RET(r) ((r)->regs[0])
#define TT_GO_G(r) ((r)->regs[28])
#define TT_IS_IO_SYSCALL(n) (((n) >= 63 && (n) <= 66) || (n) == 69 || (n) == 70 || \
			     (n) == 206 || (n) == 207 || (n) == 211 || (n) == 212)
#define TT_SYS_MMAP 222
#define TT_SYS_MPROTECT 226
#define TT_SYS_CLOSE 57
#define TT_SYS_DUP2 (-1) /* arm64 has dup3 only */
#define TT_SYS_DUP3 24
#else
#error "tlstrace: define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64"
#endif

#define TT_SYS_CLOSE_RANGE 436 /* the same number on both */
#define TT_PROT_EXEC 4
/* A process mapping code is reported at most this often. */
#define TT_MAPS_EVERY_NS 100000000ULL

volatile const struct tt_config tt_cfg = {
	.max_bytes = TT_DEFAULT_MAX_BYTES,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* userspace may resize */
} tt_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1); /* userspace sets the number of CPUs */
} tt_perf SEC(".maps");

/* Calls between entry and return, by thread (pid_tgid); Go's by goroutine
 * (struct tt_entry, tlstrace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, struct tt_entry);
	__uint(max_entries, 16384);
} tt_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct tt_go_key);
	__type(value, struct tt_entry);
	__uint(max_entries, 16384);
} tt_go_calls SEC(".maps");

/* The generation of each fd that carried a TLS call: the time it was first
 * seen, forgotten when the fd is closed (or dup'ed over). A call carries
 * its fd's generation, so userspace knows the socket is the one it looked
 * up before, without a readlink of /proc/PID/fd/FD per call (a fifth of
 * the tracer's CPU time in a download). close_range, which cannot be
 * matched to entries, moves the process's epoch instead. An entry the LRU
 * evicted comes back with a new generation: a look-up too many, never one
 * too few. Exec moves the epoch too (a pid reused by a new program). Userspace
 * reads both maps to tell whether an fd it looked up late was closed since
 * (tt_kern_fd_gen). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct tt_fd_key);
	__type(value, __u64);
	__uint(max_entries, 16384);
} tt_fd_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} tt_fd_epoch SEC(".maps");

static __always_inline __u64 fd_generation(__u32 tgid, __s32 fd)
{
	struct tt_fd_key k = { .tgid = tgid, .fd = fd };
	__u64 *g = bpf_map_lookup_elem(&tt_fd_gen, &k);
	__u64 gen = g ? *g : bpf_ktime_get_ns();
	if (!g)
		bpf_map_update_elem(&tt_fd_gen, &k, &gen, BPF_NOEXIST);
	__u64 *ep = bpf_map_lookup_elem(&tt_fd_epoch, &tgid);
	return ep && *ep > gen ? *ep : gen;
}

/* The SSL layer's method table in each process, as SSL_ImportFD returned
 * it (every socket NSS secures in a process gets the same table). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} tt_nss_methods SEC(".maps");

/* NSS's libssl3.so in each process that maps it, set by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct tt_range);
	__uint(max_entries, 4096);
} tt_nss_ssl SEC(".maps");

/* Per-CPU staging for a data record (ring buffer reservations need a
 * constant size; this one is sized by what it carries). Indexed by CPU. */
struct tt_scratch {
	struct tt_data hdr;
	__u8 data[TT_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct tt_scratch);
	__uint(max_entries, 1); /* userspace sets the number of CPUs */
} tt_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} tt_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct tt_counters);
	__uint(max_entries, 1);
} tt_stats SEC(".maps");

/* When each process last reported mapping code (rate limit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} tt_maps_seen SEC(".maps");

static __always_inline struct tt_counters *counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&tt_stats, &zero);
}

static __always_inline long emit(void *ctx, void *rec, __u64 size)
{
	if (tt_cfg.flags & TT_C_PERF)
		return bpf_perf_event_output(ctx, &tt_perf, BPF_F_CURRENT_CPU, rec, size);
	return bpf_ringbuf_output(&tt_ring, rec, size, 0);
}

static __always_inline int comm_matches(const char *comm, __u32 i)
{
	for (int k = 0; k < TT_COMM_LEN; k++) {
		if (comm[k] != tt_cfg.comms[i][k])
			return 0;
		if (!comm[k])
			return 1;
	}
	return 1;
}

/* The -p and --comm filters: a process passes if it matches any pid (when
 * pids are given) and any comm (when comms are given). */
static __noinline int wanted(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;
	if (tt_cfg.npids) {
		int hit = 0;
		for (__u32 i = 0; i < TT_MAX_PIDS; i++)
			if (i < tt_cfg.npids && tt_cfg.pids[i] == tgid)
				hit = 1;
		if (!hit)
			return 0;
	}
	if (tt_cfg.ncomms) {
		char comm[TT_COMM_LEN] = { 0 };
		int hit = 0;
		bpf_get_current_comm(comm, sizeof(comm));
		for (__u32 i = 0; i < TT_MAX_COMMS; i++)
			if (i < tt_cfg.ncomms && comm_matches(comm, i))
				hit = 1;
		if (!hit)
			return 0;
	}
	return 1;
}

static __always_inline void enter(__u64 id, __u32 func, __u64 conn, __u64 buf, __u64 out)
{
	struct tt_entry e = { .buf = buf, .out = out, .conn = conn, .fd = -1, .func = func };
	bpf_map_update_elem(&tt_calls, &id, &e, BPF_ANY);
}

/* OpenSSL, BoringSSL, GnuTLS: (conn, buf, len[, size_t *out]). */
static __always_inline int enter_c(struct tt_regs *ctx, __u32 func, int ex)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (wanted(id))
		enter(id, func, TT_ARG1(ctx), TT_ARG2(ctx), ex ? TT_ARG4(ctx) : 0);
	return 0;
}

#define TT_ENTRY(name, func, ex) \
	SEC("uprobe/" #name) \
	int name(struct tt_regs *ctx) { return enter_c(ctx, func, ex); }

TT_ENTRY(tt_ssl_write, TT_SSL_WRITE, 0)
TT_ENTRY(tt_ssl_read, TT_SSL_READ, 0)
TT_ENTRY(tt_ssl_write_ex, TT_SSL_WRITE_EX, 1)
TT_ENTRY(tt_ssl_read_ex, TT_SSL_READ_EX, 1)
TT_ENTRY(tt_ssl_peek, TT_SSL_PEEK, 0)
TT_ENTRY(tt_ssl_peek_ex, TT_SSL_PEEK_EX, 1)
TT_ENTRY(tt_bssl_write, TT_BSSL_WRITE, 0)
TT_ENTRY(tt_bssl_read, TT_BSSL_READ, 0)
TT_ENTRY(tt_bssl_peek, TT_BSSL_PEEK, 0)
TT_ENTRY(tt_gnutls_send, TT_GNUTLS_SEND, 0)
TT_ENTRY(tt_gnutls_recv, TT_GNUTLS_RECV, 0)

/* PRFileDesc (NSPR's prio.h, public): methods at 0, identity at 40. */
#define TT_PRFD_IDENTITY 40

/* NSPR: PR_Write(fd, buf, amount) and the others carry files and plain
 * sockets too. NSS's SSL layer sits on top of the fds it secures, and its
 * PRIOMethods table is a static of libssl3.so: the call is TLS when
 * fd->methods is the table SSL_ImportFD's return showed in this process,
 * or points into libssl3's mapping there (a process that imported its
 * sockets before tlstrace started). */
static __always_inline int nss_is_tls(__u64 fd, __u32 tgid)
{
	__u64 methods = 0;
	if (!fd || bpf_probe_read_user(&methods, sizeof(methods), (void *)fd) || !methods)
		return 0;
	__u64 *seen = bpf_map_lookup_elem(&tt_nss_methods, &tgid);
	if (seen && *seen == methods)
		return 1;
	struct tt_range *r = bpf_map_lookup_elem(&tt_nss_ssl, &tgid);
	if (r)
		return methods >= r->lo && methods < r->hi;
	/* libssl3 not located in this process (yet): a layered fd
	 * (identity other than PR_NSPR_IO_LAYER, 0) may be TLS. Count it. */
	__s32 identity = 0;
	struct tt_counters *c = counters();
	if (!bpf_probe_read_user(&identity, sizeof(identity), (void *)(fd + TT_PRFD_IDENTITY)) &&
	    identity != 0 && c)
		c->nss_unknown++;
	return 0;
}

/* SSL_ImportFD(model, fd) returns fd with NSS's SSL layer on top. */
SEC("uretprobe/tt_nss_import")
int tt_nss_import(struct tt_regs *ctx)
{
	__u64 fd = TT_RET(ctx), methods = 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (fd && !bpf_probe_read_user(&methods, sizeof(methods), (void *)fd) && methods)
		bpf_map_update_elem(&tt_nss_methods, &tgid, &methods, BPF_ANY);
	return 0;
}

static __always_inline int enter_nss(struct tt_regs *ctx, __u32 func)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (wanted(id) && nss_is_tls(TT_ARG1(ctx), id >> 32))
		enter(id, func, TT_ARG1(ctx), TT_ARG2(ctx), 0);
	return 0;
}

/* PR_Writev(fd, const PRIOVec *iov, PRInt32 iov_size, timeout). */
SEC("uprobe/tt_pr_writev")
int tt_pr_writev(struct tt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id) || !nss_is_tls(TT_ARG1(ctx), id >> 32))
		return 0;
	struct tt_entry e = { .buf = TT_ARG2(ctx), .conn = TT_ARG1(ctx), .fd = -1,
			      .func = TT_PR_WRITEV, .iovcnt = (__u32)TT_ARG3(ctx) };
	bpf_map_update_elem(&tt_calls, &id, &e, BPF_ANY);
	return 0;
}

#define TT_NSS_ENTRY(name, func) \
	SEC("uprobe/" #name) \
	int name(struct tt_regs *ctx) { return enter_nss(ctx, func); }

TT_NSS_ENTRY(tt_pr_write, TT_PR_WRITE)
TT_NSS_ENTRY(tt_pr_read, TT_PR_READ)
TT_NSS_ENTRY(tt_pr_send, TT_PR_SEND)
TT_NSS_ENTRY(tt_pr_recv, TT_PR_RECV)

/* Go: (*Conn).Write(b []byte) and Read(b []byte), receiver c. Kept by
 * goroutine for the RET probes, and by thread so that the socket syscall
 * the call makes names its fd. A stack-growth check at the entry may run
 * the entry twice: the second stores the same. */
static __always_inline int enter_go(struct tt_regs *ctx, __u32 func)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return 0;
	struct tt_go_key k = { .g = TT_GO_G(ctx), .tgid = id >> 32 };
	struct tt_entry e = { .buf = TT_GO_ARG2(ctx), .conn = TT_GO_ARG1(ctx), .fd = -1, .func = func };
	bpf_map_update_elem(&tt_go_calls, &k, &e, BPF_ANY);
	bpf_map_update_elem(&tt_calls, &id, &e, BPF_ANY);
	return 0;
}

SEC("uprobe/tt_go_write")
int tt_go_write(struct tt_regs *ctx) { return enter_go(ctx, TT_GO_WRITE); }
SEC("uprobe/tt_go_read")
int tt_go_read(struct tt_regs *ctx) { return enter_go(ctx, TT_GO_READ); }

/* Bytes a C call transferred: the return value (int; ssize_t for
 * GnuTLS), or for the _ex forms (which return 1 on success) the size_t
 * their fourth argument points to. */
static __always_inline __u64 transferred(struct tt_regs *ctx, const struct tt_entry *e)
{
	if (e->func == TT_GNUTLS_SEND || e->func == TT_GNUTLS_RECV) {
		long n = (long)TT_RET(ctx);
		return n > 0 ? (__u64)n : 0;
	}
	int ret = (int)TT_RET(ctx);
	if (!e->out)
		return ret > 0 ? (__u64)ret : 0;
	__u64 n = 0;
	if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)e->out))
		return 0;
	return n;
}

static __always_inline __u64 next_call_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&tt_seq, &zero);
	if (!seq)
		return 0;
	*seq += 1;
	return (__u64)bpf_get_smp_processor_id() << 48 | (*seq & 0xffffffffffffULL);
}

/* One data record: len bytes of buf at off. 0, or -1 when the bytes could
 * not be read or did not fit in the ring. */
static __always_inline int send_chunk(void *ctx, struct tt_scratch *s, __u64 call_id, __u64 buf,
				      __u64 at, __u64 off, __u64 len)
{
	if (bpf_probe_read_user(s->data, len, (void *)(buf + off)))
		return -1;
	s->hdr.type = TT_REC_DATA;
	s->hdr.len = (__u32)len;
	s->hdr.call_id = call_id;
	s->hdr.offset = (__u32)(at + off);
	s->hdr.pad = 0;
	return emit(ctx, s, sizeof(s->hdr) + len) ? -1 : 0;
}

/* Send want bytes from buf as data records; returns the bytes sent, and
 * adds those that did not fit in the ring to *lost. Every record but a
 * short call's only one has the constant size TT_CHUNK: the last, partial
 * chunk is sent as the call's last TT_CHUNK bytes, overlapping the one
 * before (userspace keeps the new part). A variable size in the loop made
 * older verifiers lose its bound or give up after a million steps. */
static __always_inline __u64 send_chunks(void *ctx, __u64 call_id, __u64 buf, __u64 at,
					 __u64 want, __u64 *lost)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tt_scratch *s = bpf_map_lookup_elem(&tt_scratch, &cpu);
	if (!s) {
		*lost += want;
		return 0;
	}
	if (want < TT_CHUNK) {
		__u64 len = want & (TT_CHUNK - 1); /* == want; the mask is the verifier's bound */
		if (send_chunk(ctx, s, call_id, buf, at, 0, len)) {
			*lost += want;
			return 0;
		}
		return want;
	}
	__u64 sent = 0, done = 0;
	for (__u32 i = 0; i < TT_MAX_CHUNKS; i++) {
		__u64 off = (__u64)i * TT_CHUNK;
		if (off + TT_CHUNK > want)
			break;
		if (send_chunk(ctx, s, call_id, buf, at, off, TT_CHUNK))
			*lost += TT_CHUNK;
		else
			sent += TT_CHUNK;
		done = off + TT_CHUNK;
	}
	if (done < want) {
		__u64 tail = want - done;
		if (send_chunk(ctx, s, call_id, buf, at, want - TT_CHUNK, TT_CHUNK))
			*lost += tail;
		else
			sent += tail;
	}
	return sent;
}

/* PRIOVec (NSPR's prio.h): { char *iov_base; int iov_len; }. */
struct tt_priovec {
	__u64 base;
	__s32 len;
	__u32 pad;
};

#define TT_MAX_IOV 16 /* PR_MAX_IOVECTOR_SIZE */

/* PR_Writev's bytes: one vector per run of tt_iov_step, which tail-calls
 * itself for the next (a loop over vectors around send_chunks' loop is
 * more than the verifier takes). The call in progress, per CPU: a uprobe
 * program and its tail calls run on one CPU, and do not nest. */
struct tt_iov_state {
	struct tt_call call;
	__u64 iov;           /* the PRIOVec array */
	__u64 off;           /* bytes of the call done */
	__u64 want;          /* bytes to send: len, or --max-bytes */
	__u32 i, cnt;        /* the next vector; how many there are */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct tt_iov_state);
	__uint(max_entries, 1);
} tt_iov SEC(".maps");

/* Slot 0: tt_iov_step, put there by userspace after load. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1);
} tt_iov_progs SEC(".maps");

static __always_inline int is_write(__u32 func)
{
	return func == TT_SSL_WRITE || func == TT_SSL_WRITE_EX || func == TT_BSSL_WRITE ||
	       func == TT_GNUTLS_SEND || func == TT_PR_WRITE || func == TT_PR_SEND ||
	       func == TT_PR_WRITEV ||
	       func == TT_GO_WRITE;
}

static __always_inline int is_peek(__u32 func)
{
	return func == TT_SSL_PEEK || func == TT_SSL_PEEK_EX || func == TT_BSSL_PEEK;
}

/* The call record, after its data: the counters, then out. */
static __always_inline int close_call(void *ctx, struct tt_call *call, __u64 n, __u64 want,
				      struct tt_counters *c)
{
	call->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(call->comm, sizeof(call->comm));
	c->calls++;
	c->bytes += n;
	c->captured += call->captured;
	c->lost_ring += call->lost;
	c->cut += n - want;
	if (emit(ctx, call, sizeof(*call)))
		c->lost_calls++;
	return 0;
}

/* PR_Writev: keep the call for tt_iov_step and run it. */
static __always_inline int iov_start(void *ctx, struct tt_call *call, const struct tt_entry *e,
				     __u64 want, struct tt_counters *c)
{
	__u32 zero = 0;
	struct tt_iov_state *st = bpf_map_lookup_elem(&tt_iov, &zero);
	if (!st) {
		call->lost = want;
		return close_call(ctx, call, call->len, want, c);
	}
	st->call = *call;
	st->iov = e->buf;
	st->off = 0;
	st->want = want;
	st->i = 0;
	st->cnt = e->iovcnt < TT_MAX_IOV ? e->iovcnt : TT_MAX_IOV;
	bpf_tail_call(ctx, &tt_iov_progs, 0);
	st->call.lost += want; /* the tail call failed: nothing sent */
	return close_call(ctx, &st->call, st->call.len, want, c);
}

/* The call returned n bytes: its data records, then its call record.
 * iov: a PR_Writev (a constant: each program keeps one path). */
static __always_inline int finish(void *ctx, __u64 id, const struct tt_entry *e, __u64 n,
				  struct tt_counters *c, int iov)
{
	struct tt_call call = {
		.type = TT_REC_CALL,
		.func = e->func,
		.call_id = next_call_id(),
		.pid_tgid = id,
		.conn = e->conn,
		.len = n,
		.fd = e->fd,
		.fd_gen = e->fd_gen,
		.flags = (is_write(e->func) ? TT_F_WRITE : 0) | (is_peek(e->func) ? TT_F_PEEK : 0),
	};
	__u64 want = n;
	if (want > tt_cfg.max_bytes) {
		want = tt_cfg.max_bytes;
		call.flags |= TT_F_CUT;
	}
	if (iov)
		return iov_start(ctx, &call, e, want, c);
	call.captured = send_chunks(ctx, call.call_id, e->buf, 0, want, &call.lost);
	return close_call(ctx, &call, n, want, c);
}

static __always_inline int c_return(struct tt_regs *ctx, int count_missing, int iov)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tt_counters *c = counters();
	struct tt_entry *ep = bpf_map_lookup_elem(&tt_calls, &id);
	if (!ep) {
		if (c && count_missing && wanted(id))
			c->no_entry++;
		return 0;
	}
	struct tt_entry e = *ep;
	bpf_map_delete_elem(&tt_calls, &id);
	__u64 n = transferred(ctx, &e);
	if (!n || !c)
		return 0;
	if (iov != (e.func == TT_PR_WRITEV))
		return 0; /* cannot happen: each function has its return program */
	return finish(ctx, id, &e, n, c, iov);
}

SEC("uretprobe/tt_ret")
int tt_ret(struct tt_regs *ctx) { return c_return(ctx, 1, 0); }

/* NSPR's returns: most calls are plain I/O that the entry left out, so a
 * return without an entry is not counted. */
SEC("uretprobe/tt_nss_ret")
int tt_nss_ret(struct tt_regs *ctx) { return c_return(ctx, 0, 0); }

SEC("uretprobe/tt_nss_writev_ret")
int tt_nss_writev_ret(struct tt_regs *ctx) { return c_return(ctx, 0, 1); }

/* One vector of a PR_Writev, then the next by a tail call, or the call
 * record after the last. */
SEC("uretprobe/tt_iov_step")
int tt_iov_step(struct tt_regs *ctx)
{
	__u32 zero = 0;
	struct tt_iov_state *st = bpf_map_lookup_elem(&tt_iov, &zero);
	struct tt_counters *c = counters();
	if (!st || !c)
		return 0;
	struct tt_priovec v;
	if (st->i < st->cnt && st->off < st->want &&
	    !bpf_probe_read_user(&v, sizeof(v), (void *)(st->iov + (__u64)st->i * sizeof(v)))) {
		__u64 len = v.len > 0 ? (__u64)v.len : 0;
		if (len > st->want - st->off)
			len = st->want - st->off;
		st->call.captured += send_chunks(ctx, st->call.call_id, v.base, st->off, len,
						 &st->call.lost);
		st->off += len;
		st->i++;
		if (st->i < st->cnt && st->off < st->want)
			bpf_tail_call(ctx, &tt_iov_progs, 0);
	}
	/* Done, or vectors that could not be read (or the tail call failed):
	 * what was not sent is lost. */
	if (st->off < st->want)
		st->call.lost += st->want - st->off;
	return close_call(ctx, &st->call, st->call.len, st->want, c);
}

/* An uprobe on a RET of (*Conn).Write or Read: n, the first result, is
 * in the result register; the entry is the goroutine's. The thread's copy
 * goes too, unless the goroutine came back on another thread. */
SEC("uprobe/tt_go_ret")
int tt_go_ret(struct tt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tt_counters *c = counters();
	struct tt_go_key k = { .g = TT_GO_G(ctx), .tgid = id >> 32 };
	struct tt_entry *ep = bpf_map_lookup_elem(&tt_go_calls, &k);
	if (!ep) {
		if (c && wanted(id))
			c->no_entry++;
		return 0;
	}
	struct tt_entry e = *ep;
	bpf_map_delete_elem(&tt_go_calls, &k);
	struct tt_entry *te = bpf_map_lookup_elem(&tt_calls, &id);
	if (te && te->conn == e.conn && te->func == e.func) {
		if (e.fd < 0) {
			e.fd = te->fd;
			e.fd_gen = te->fd_gen;
		}
		bpf_map_delete_elem(&tt_calls, &id);
	}
	long n = (long)TT_GO_RET(ctx);
	if (n <= 0 || !c)
		return 0;
	return finish(ctx, id, &e, (__u64)n, c, 0);
}

/* The syscall's arguments, from the pt_regs the raw tracepoint passes. */
#if defined(__TARGET_ARCH_x86)
#define TT_SYS_ARG1(r) (&(r)->di)
#define TT_SYS_ARG2(r) (&(r)->si)
#define TT_SYS_ARG3(r) (&(r)->dx)
#else
#define TT_SYS_ARG1(r) (&(r)->regs[0])
#define TT_SYS_ARG2(r) (&(r)->regs[1])
#define TT_SYS_ARG3(r) (&(r)->regs[2])
#endif

static __always_inline __u64 sys_arg(const __u64 *p)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

/* Report a process that maps code (a library loaded), at most every
 * TT_MAPS_EVERY_NS, so that userspace rescans it. */
static __always_inline void maps_changed(void *ctx, __u32 tgid)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 *last = bpf_map_lookup_elem(&tt_maps_seen, &tgid);
	if (last && now - *last < TT_MAPS_EVERY_NS)
		return;
	bpf_map_update_elem(&tt_maps_seen, &tgid, &now, BPF_ANY);
	struct tt_maps m = { .type = TT_REC_MAPS, .tgid = tgid };
	emit(ctx, &m, sizeof(m));
}

/* raw_tracepoint/sys_enter: args[0] is the task's struct pt_regs *, args[1]
 * the syscall number. A thread inside a TLS call that moves socket bytes
 * names its fd; a process mapping code is reported for a rescan. Raw
 * tracepoints need no tracefs and no BTF. */
SEC("raw_tracepoint/sys_enter")
int tt_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct tt_regs *regs = (struct tt_regs *)ctx->args[0];
	long nr = (long)ctx->args[1];
	__u64 id = bpf_get_current_pid_tgid();
	if (TT_IS_IO_SYSCALL(nr)) {
		struct tt_entry *e = bpf_map_lookup_elem(&tt_calls, &id);
		if (!e || e->fd >= 0)
			return 0;
		e->fd = (__s32)sys_arg(TT_SYS_ARG1(regs));
		e->fd_gen = fd_generation(id >> 32, e->fd);
		struct tt_fd r = { .type = TT_REC_FD, .fd = e->fd, .pid_tgid = id, .conn = e->conn,
				   .gen = e->fd_gen };
		emit(ctx, &r, sizeof(r));
		return 0;
	}
	if (nr == TT_SYS_CLOSE || nr == TT_SYS_DUP2 || nr == TT_SYS_DUP3) {
		__u64 a = sys_arg(nr == TT_SYS_CLOSE ? TT_SYS_ARG1(regs) : TT_SYS_ARG2(regs));
		struct tt_fd_key k = { .tgid = id >> 32, .fd = (__s32)a };
		bpf_map_delete_elem(&tt_fd_gen, &k);
		return 0;
	}
	if (nr == TT_SYS_CLOSE_RANGE) {
		__u32 tgid = id >> 32;
		__u64 now = bpf_ktime_get_ns();
		bpf_map_update_elem(&tt_fd_epoch, &tgid, &now, BPF_ANY);
		return 0;
	}
	if ((nr == TT_SYS_MMAP || nr == TT_SYS_MPROTECT) &&
	    (sys_arg(TT_SYS_ARG3(regs)) & TT_PROT_EXEC))
		maps_changed(ctx, id >> 32);
	return 0;
}

/* raw_tracepoint/sched_process_exec: a new program; its maps are new. */
SEC("raw_tracepoint/sched_process_exec")
int tt_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct tt_maps m = { .type = TT_REC_MAPS, .tgid = bpf_get_current_pid_tgid() >> 32 };
	/* What NSS looked like in the old program is no more. */
	bpf_map_delete_elem(&tt_nss_methods, &m.tgid);
	bpf_map_delete_elem(&tt_nss_ssl, &m.tgid);
	/* Nor are the old program's fds: a pid reused by a new program must
	 * not match a dead process's fd generations. */
	__u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&tt_fd_epoch, &m.tgid, &now, BPF_ANY);
	emit(ctx, &m, sizeof(m));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
