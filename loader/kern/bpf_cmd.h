/* One thin wrapper per bpf() command, each through nf_sys; every caller
 * (loading, feature probes, attach, readers) uses these and never builds a
 * union bpf_attr by hand. Each returns an fd or 0 on success, -errno on
 * failure. */
#ifndef NF_BPF_CMD_H
#define NF_BPF_CMD_H
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

struct nf_map_create_opts {
	uint32_t map_flags;
	const char *name;          /* NULL: no name (kernels without names) */
	int btf_fd;                /* > 0 with btf_value_id: typed map */
	uint32_t btf_key_id, btf_value_id;
};
int nf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size,
		  uint32_t max_entries, const struct nf_map_create_opts *o);
int nf_map_freeze(int map_fd);
int nf_map_lookup(int fd, const void *key, void *value);
int nf_map_update(int fd, const void *key, const void *value, uint64_t flags);
int nf_map_delete(int fd, const void *key);
int nf_map_next_key(int fd, const void *key, void *next);

struct nf_prog_load_opts {
	uint32_t expected_attach_type;
	const char *name;          /* NULL: no name */
	const char *license;       /* NULL: "GPL" */
	uint32_t kern_version;
	int btf_fd;                /* > 0: pass func_info and line_info */
	const void *func_info;
	uint32_t func_info_cnt, func_info_rec_size;
	const void *line_info;
	uint32_t line_info_cnt, line_info_rec_size;
	char *log;                 /* verifier log buffer, or NULL */
	uint32_t log_size, log_level;
};
int nf_prog_load(uint32_t type, const struct bpf_insn *insns, uint32_t insn_cnt,
		 const struct nf_prog_load_opts *o);
int nf_prog_test_run(int prog_fd, const void *data, uint32_t len, uint32_t *retval);
int nf_prog_info(int prog_fd, struct bpf_prog_info *info);
int nf_map_info(int map_fd, struct bpf_map_info *info);
/* Walking the kernel's programs (tests and nftool prove nothing is left). */
int nf_prog_get_next_id(uint32_t start, uint32_t *next);
int nf_prog_get_fd_by_id(uint32_t id);
/* The programs attached at target (an ifindex for tcx): up to *cnt ids,
 * *cnt set to how many there are. */
int nf_prog_query(int target, uint32_t attach_type, uint32_t *ids, uint32_t *cnt);

/* log may be NULL; with it, the kernel's complaint (level 1). */
int nf_btf_load(const void *data, size_t len, char *log, uint32_t log_size);

/* target is an ifindex (tcx), a perf event fd (NF_BPF_PERF_EVENT), ... */
int nf_link_create(int prog_fd, int target, uint32_t attach_type);

/* A raw tracepoint by name ("sys_enter"): the fd holds the attachment
 * (close it to detach). No tracefs needed (4.17+). */
int nf_raw_tracepoint_open(int prog_fd, const char *name);

int nf_enable_stats(void);  /* fd holding BPF_STATS_RUN_TIME on */

/* Kernel object name (BPF_OBJ_NAME_LEN incl. NUL, only [A-Za-z0-9_.]):
 * other bytes become '_', longer names are cut. */
void nf_obj_name(char dst[BPF_OBJ_NAME_LEN], const char *src);

#endif
