/* Kernel part of the loader: feature probes, BTF/map/program creation. */
#ifndef NF_LOAD_H
#define NF_LOAD_H
#include <stdint.h>
#include "parse/obj.h"

/* Cached feature probes; each is run once, on first use. 1 = supported. */
struct nf_features {
	int ringbuf, tcx, perf_link, global_data, mmapable, probe_read_user;
	int btf, btf_func, btf_func_global, btf_datasec, btf_float;
	int btf_decl_tag, btf_type_tag, btf_enum64, btf_empty_datasec;
	int func_info, prog_name;
};
const struct nf_features *nf_features(void);
/* Forget cached results (tests that swap nf_sys). */
void nf_features_reset(void);
/* The BTF kinds to sanitise for this kernel (mask for nf_btf_sanitize). */
uint32_t nf_btf_missing_mask(const struct nf_features *f);

struct nf_load_opts {
	const void *target_btf;    /* CO-RE target; NULL: /sys/kernel/btf/vmlinux if needed */
	size_t target_btf_len;
	/* map name -> max_entries override (0 = keep); e.g. ring sizes */
	const char *resize_map;
	uint32_t resize_entries;
};

struct nf_bpf {
	struct nf_obj obj;         /* owned: moved in by nf_load */
	int btf_fd;                /* -1 if BTF was not loaded */
	int *map_fds;              /* obj.nmaps entries */
	int *prog_fds;             /* obj.nprogs entries; -1 if not loaded */
	uint32_t sanitized;        /* BTF kinds that were rewritten (mask) */
};

/* Create maps, load BTF and every program of obj. On success obj is owned by
 * b (the caller must not free it). On failure everything is released,
 * nf_lasterr() names the program and the verifier's last words, and obj is
 * still the caller's. 0 or -errno. */
int nf_load(struct nf_bpf *b, struct nf_obj *obj, const struct nf_load_opts *opts);
void nf_unload(struct nf_bpf *b);
int nf_bpf_map_fd(const struct nf_bpf *b, const char *name);
int nf_bpf_prog_fd(const struct nf_bpf *b, const char *name);

/* Thin wrappers on bpf(); each returns >= 0 or -errno. */
int nf_map_lookup(int fd, const void *key, void *value);
int nf_map_update(int fd, const void *key, const void *value, uint64_t flags);
int nf_map_delete(int fd, const void *key);
int nf_map_next_key(int fd, const void *key, void *next);
int nf_prog_test_run(int prog_fd, const void *data, uint32_t len, uint32_t *retval);
int nf_enable_stats(void);  /* fd holding BPF_STATS_RUN_TIME on, or -errno */
int nf_prog_info(int prog_fd, struct bpf_prog_info *info);
int nf_possible_cpus(void); /* from /sys/devices/system/cpu/possible */

#endif
