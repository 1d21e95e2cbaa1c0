/* tlstrace: the records and configuration shared by the uprobe programs
 * (bpf/tlstrace.bpf.c) and userspace (src/tlstrace/). Plain __uN types so
 * it compiles in both worlds; no implicit padding.
 *
 * One TLS call (SSL_write, SSL_read, ...) becomes, at its return, zero or
 * more TT_REC_DATA records carrying its plaintext in order, then one
 * TT_REC_CALL record that closes it. All records of a call come from one
 * CPU in order, so userspace can assemble them by call_id. */
#ifndef NF_TLSTRACE_H
#define NF_TLSTRACE_H
#include <linux/types.h>

/* Plaintext bytes per data record, and records per call: what one call
 * can carry (TT_CHUNK * TT_MAX_CHUNKS = 4 MiB; --max-bytes is capped so).
 * A chunk fits a perf record (u16 size) too. */
#define TT_CHUNK 32768
#define TT_MAX_CHUNKS 128
#define TT_MAX_BYTES ((__u64)TT_CHUNK * TT_MAX_CHUNKS)
#define TT_DEFAULT_MAX_BYTES (1u << 20)

#define TT_MAX_PIDS 16
#define TT_MAX_COMMS 8
#define TT_COMM_LEN 16

/* The probed functions; each has its own entry program, so the function
 * also names its library (src/tlstrace/tt_funcs.c has the table). */
enum tt_func {
	TT_SSL_WRITE,        /* OpenSSL */
	TT_SSL_READ,
	TT_SSL_WRITE_EX,
	TT_SSL_READ_EX,
	TT_SSL_PEEK,
	TT_SSL_PEEK_EX,
	TT_BSSL_WRITE,       /* BoringSSL: the same symbols, told apart by others */
	TT_BSSL_READ,
	TT_BSSL_PEEK,
	TT_GNUTLS_SEND,      /* gnutls_record_send/recv: ssize_t */
	TT_GNUTLS_RECV,
	TT_PR_WRITE,         /* NSPR, on file descriptors with NSS's SSL layer */
	TT_PR_READ,
	TT_PR_SEND,
	TT_PR_RECV,
	TT_PR_WRITEV,        /* PR_Writev(fd, iov, iov_size, timeout) */
	TT_GO_WRITE,         /* crypto/tls.(*Conn).Write and Read: probes on each RET */
	TT_GO_READ,
	TT_NSS_IMPORT,       /* NSS's SSL_ImportFD: its return shows the SSL layer */
	TT_NFUNCS
};

enum tt_rec_type {
	TT_REC_DATA = 1,
	TT_REC_CALL = 2,
	TT_REC_MAPS = 3,     /* a process exec'd or mapped code: rescan it */
	TT_REC_FD = 4,       /* a call's first socket syscall: resolve the fd now */
};

/* tt_call.flags */
#define TT_F_WRITE 0x01      /* the application wrote (else it read) */
#define TT_F_PEEK 0x02       /* SSL_peek: the bytes will be read again */
#define TT_F_CUT 0x04        /* --max-bytes cut the call */

/* TT_REC_DATA: len plaintext bytes follow, at offset within the call. A
 * call's last record may overlap the one before it (it carries the call's
 * last TT_CHUNK bytes); only its new part counts in tt_call.captured. */
struct tt_data {
	__u32 type;
	__u32 len;
	__u64 call_id;
	__u32 offset;
	__u32 pad;
};

/* TT_REC_CALL: the call, after its data records. */
struct tt_call {
	__u32 type;
	__u32 func;          /* enum tt_func */
	__u64 call_id;
	__u64 ts_ns;         /* at the return, bpf_ktime_get_ns */
	__u64 pid_tgid;      /* tgid << 32 | tid */
	__u64 conn;          /* the SSL* (first argument) */
	__u64 len;           /* bytes the call transferred */
	__u64 captured;      /* bytes in the data records that were sent */
	__u64 lost;          /* bytes of chunks that did not fit in the ring */
	__s32 fd;            /* the fd of a syscall made inside the call, or -1 */
	__u32 flags;         /* TT_F_* */
	__u64 fd_gen;        /* that fd's generation: equal means the same socket */
	char comm[TT_COMM_LEN];
};

/* TT_REC_MAPS */
struct tt_maps {
	__u32 type;
	__u32 tgid;
};

/* TT_REC_FD: sent while the call is still running, so that userspace can
 * look the socket up before a short-lived process exits. */
struct tt_fd {
	__u32 type;
	__s32 fd;
	__u64 pid_tgid;
	__u64 conn;
	__u64 gen;           /* the fd's generation (tt_call.fd_gen) */
};

/* Counters, per CPU; userspace sums them. */
struct tt_counters {
	__u64 calls;         /* calls that returned data */
	__u64 bytes;         /* plaintext bytes they transferred */
	__u64 captured;      /* bytes sent to userspace */
	__u64 lost_ring;     /* bytes dropped: ring full */
	__u64 cut;           /* bytes beyond --max-bytes */
	__u64 lost_calls;    /* call records dropped: ring full */
	__u64 no_entry;      /* returns without their entry (map full, nesting) */
	__u64 nss_unknown;   /* NSPR calls on a layered fd in a process whose
			      * libssl3 was not located (yet): not reported */
};

/* Where a process maps NSS's libssl3.so (tt_nss_ssl, by tgid): a PR_*
 * call is TLS when its PRFileDesc's methods table lies in there. */
struct tt_range {
	__u64 lo, hi;        /* [lo, hi) */
};

/* tt_config.flags */
#define TT_C_PERF 0x01       /* perf buffer instead of the ring buffer */

/* The .rodata constant tt_cfg, set before load. */
struct tt_config {
	__u64 max_bytes;     /* per call; at most TT_MAX_BYTES */
	__u32 flags;
	__u32 npids;         /* 0: every process */
	__u32 pids[TT_MAX_PIDS];
	__u32 ncomms;        /* 0: every comm */
	__u32 pad;
	char comms[TT_MAX_COMMS][TT_COMM_LEN];
};

/* A call between its entry and its return, by thread (pid_tgid) in
 * tt_calls. LRU: the entry of a thread that died inside the call is evicted
 * in time; at exit userspace counts those left (tt_kern_open_calls). */
struct tt_entry {
	__u64 buf;           /* the data buffer */
	__u64 out;           /* the _ex forms' size_t * for the length, or 0 */
	__u64 conn;          /* SSL * */
	__s32 fd;            /* set by the syscall tracepoint; -1 until then */
	__u32 func;
	__u32 iovcnt;        /* PR_Writev: buf is a PRIOVec array this long */
	__u32 pad;
	__u64 fd_gen;        /* the fd's generation, with fd */
};

/* A Go call between its entry and a RET, by goroutine: a goroutine that
 * blocks inside Read may come back on another thread. */
struct tt_go_key {
	__u64 g;
	__u32 tgid;
	__u32 pad;
};

/* tt_fd_gen's key: an fd of a process. */
struct tt_fd_key {
	__u32 tgid;
	__s32 fd;
};

#define TT_MAP_RING "tt_ring"
#define TT_MAP_PERF "tt_perf"
#define TT_MAP_STATS "tt_stats"
#define TT_MAP_NSS "tt_nss_ssl"
#define TT_MAP_CALLS "tt_calls"
#define TT_MAP_GO_CALLS "tt_go_calls"
#define TT_MAP_FD_GEN "tt_fd_gen"
#define TT_MAP_FD_EPOCH "tt_fd_epoch"

/* Program names: one entry program per function (tt_funcs.c names them),
 * the return program of C functions (a uretprobe) and that of Go's (an
 * uprobe on each RET instruction). */
#define TT_PROG_RET "tt_ret"
#define TT_PROG_GO_RET "tt_go_ret"
#define TT_PROG_NSS_RET "tt_nss_ret"
#define TT_PROG_SYSCALL "tt_sys_enter"
#define TT_PROG_EXEC "tt_exec"

#endif
