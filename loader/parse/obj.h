/* The parsed object ("spec"): what an ELF file says, identical on every
 * machine. Produced by nf_obj_parse() with no syscalls; everything that
 * depends on the running kernel happens later, in load.c. */
#ifndef NF_OBJ_H
#define NF_OBJ_H
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "btf.h"

enum nf_map_kind { NF_MAP_USER, NF_MAP_RODATA, NF_MAP_DATA, NF_MAP_BSS };

struct nf_map_spec {
	char name[64];             /* "events", or ".rodata", ".data", ".bss" */
	enum nf_map_kind kind;
	uint32_t type;             /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries, flags;
	uint32_t btf_key_id, btf_value_id; /* 0 when not known */
	int sec_idx;               /* ELF section backing an internal map */
	uint8_t *init;             /* internal maps: value_size bytes, owned */
};

enum nf_reloc_kind {
	NF_RELO_MAP_FD,            /* ld_imm64 -> BPF_PSEUDO_MAP_FD, imm = fd */
	NF_RELO_MAP_VALUE,         /* ld_imm64 -> BPF_PSEUDO_MAP_VALUE, fd + off */
};

struct nf_reloc {
	uint32_t insn;             /* index into nf_prog_spec.insns (after linking) */
	uint32_t kind;             /* enum nf_reloc_kind */
	uint32_t map;              /* index into nf_obj.maps */
	uint32_t off;              /* byte offset into the map value */
};

struct nf_prog_spec {
	char name[64];             /* function symbol name */
	char sec[128];             /* ELF section name, e.g. "uprobe/SSL_write" */
	uint32_t type;             /* BPF_PROG_TYPE_* from the section name */
	uint32_t expected_attach_type;
	char attach[128];          /* the target: sec after its prefix ("SSL_write"), or "" */
	int retprobe;              /* uretprobe/ */
	struct bpf_insn *insns;    /* owned; .text subprograms already appended */
	uint32_t insn_cnt;
	struct nf_reloc *relocs;   /* map relocations, owned */
	uint32_t nrelocs;
	struct bpf_core_relo *core; /* insn_off in bytes, rebased; owned */
	uint32_t ncore;
	void *func_info;           /* records of func_info_rec_size bytes; insn_off rebased */
	uint32_t func_info_cnt, func_info_rec_size;
	void *line_info;
	uint32_t line_info_cnt, line_info_rec_size;
};

struct nf_obj {
	char license[128];
	uint32_t kern_version;
	struct nf_btf *btf;        /* object BTF, DATASEC/VAR fixed up; NULL if absent */
	struct nf_prog_spec *progs;
	uint32_t nprogs;
	struct nf_map_spec *maps;
	uint32_t nmaps;
};

/* Parse an ELF64 BPF object held in memory (copied as needed; data may be
 * freed afterwards). Returns 0, or -errno with nf_lasterr() describing it. */
int nf_obj_parse(struct nf_obj *obj, const void *data, size_t len);
void nf_obj_free(struct nf_obj *obj);

struct nf_map_spec *nf_obj_map(struct nf_obj *obj, const char *name);
struct nf_prog_spec *nf_obj_prog(struct nf_obj *obj, const char *name);

/* Set a global variable in .rodata (or .data) before load, by its name in
 * the BTF DATASEC. len must equal the variable's size. 0 or -errno. */
int nf_obj_set_var(struct nf_obj *obj, const char *var, const void *val, size_t len);

/* Patch a copy of a program's instructions with map fds (pure).
 * map_fds[i] is the fd of obj->maps[i]. 0 or -errno. */
int nf_reloc_maps(const struct nf_prog_spec *prog, struct bpf_insn *insns,
		  const int *map_fds, uint32_t nmaps);

/* CO-RE: rewrite insns of prog against target BTF (vmlinux, or any blob).
 * Instructions that cannot be relocated are poisoned (call 0xbad2310).
 * Returns the number of poisoned instructions (>= 0), or -errno. */
int nf_core_relocate(const struct nf_prog_spec *prog, struct bpf_insn *insns,
		     const struct nf_btf *local, const struct nf_btf *target);

/* The program type and attach type a section name implies; 0 or -ENOENT. */
int nf_sec_type(const char *sec, uint32_t *prog_type, uint32_t *attach_type,
		int *retprobe, const char **attach);

#define NF_POISON_HELPER 0xbad2310

#endif
