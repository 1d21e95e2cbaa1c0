/* Kernel part of the loader: feature probes, BTF/map/program creation. */
#ifndef NF_LOAD_H
#define NF_LOAD_H
#include <stdint.h>
#include "parse/obj.h"
#include "bpf_cmd.h"

/* Cached feature probes; each is run once, on first use. 1 = supported. */
struct nf_features {
	int ringbuf, tcx, perf_link, global_data, mmapable, probe_read_user;
	int btf, btf_func, btf_func_global, btf_datasec, btf_float;
	int btf_decl_tag, btf_type_tag, btf_enum64, btf_empty_datasec;
	int func_info, prog_name;
	int global_ctx;            /* global functions may take the context (kernel BTF) */
	int denied;                /* -EPERM/-EACCES a probe met (no fallback), or 0 */
};
const struct nf_features *nf_features(void);
/* Forget cached results (tests that swap nf_sys). */
void nf_features_reset(void);
/* The BTF kinds to sanitise for this kernel (mask for nf_btf_sanitize). */
uint32_t nf_btf_missing_mask(const struct nf_features *f);

struct nf_load_opts {
	const void *target_btf;    /* CO-RE target; NULL: /sys/kernel/btf/vmlinux if needed */
	size_t target_btf_len;
	/* The programs this run will attach, NULL-terminated; the others are
	 * not loaded (their fds stay -1). NULL: load every program. */
	const char *const *progs;
	/* NF_BTF_* rewrites made although the kernel needs none: a fallback
	 * taken on a kernel that has the feature (tests). */
	uint32_t sanitize_more;
};

struct nf_bpf {
	const struct nf_obj *obj;  /* the spec it was loaded from: the caller's */
	int btf_fd;                /* -1 if BTF was not loaded */
	int *map_fds;              /* obj->nmaps entries */
	int *prog_fds;             /* obj->nprogs entries; -1 if not loaded */
	uint32_t sanitized;        /* BTF kinds rewritten in the BTF loaded (mask) */
};

/* Load BTF, create maps, load the programs of obj (opts->progs, or all).
 * obj stays the caller's and is never changed: it must outlive b, and the
 * caller frees it after nf_unload (or at once after a failure). On failure
 * everything is released and nf_lasterr() names the program and the
 * verifier's last words. 0 or -errno. */
int nf_load(struct nf_bpf *b, const struct nf_obj *obj, const struct nf_load_opts *opts);
/* Parse the BPF object embedded in this binary under name (embed.h) into
 * obj. 0, or -errno with nf_lasterr() saying why (not embedded, or the
 * parser's words). */
int nf_obj_parse_embedded(struct nf_obj *obj, const char *name);
/* Close every fd; harmless on a zeroed or already unloaded b. */
void nf_unload(struct nf_bpf *b);
int nf_bpf_loaded(const struct nf_bpf *b);
int nf_bpf_map_fd(const struct nf_bpf *b, const char *name);
int nf_bpf_prog_fd(const struct nf_bpf *b, const char *name);

int nf_possible_cpus(void); /* from /sys/devices/system/cpu/possible */
/* Key 0 of a per-CPU array whose value is n u64 counters, summed over the
 * CPUs into out[0..n). 0 or -errno (out zeroed). */
int nf_percpu_sum_u64(int map_fd, uint64_t *out, size_t n);

#endif
