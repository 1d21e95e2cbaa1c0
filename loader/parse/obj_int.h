/* Internal state shared by the parts of nf_obj_parse (not a contract). */
#ifndef NF_OBJ_INT_H
#define NF_OBJ_INT_H
#include "btf_ext.h"
#include "elf_read.h"
#include "obj.h"

struct nf_obj_ctx {
	struct nf_obj *obj;
	struct nf_elf elf;
	uint8_t *buf;               /* 8-byte aligned copy of the input */
	struct nf_btf_ext ext;      /* zeroed when there is no .BTF.ext */
	int maps_sec;               /* index of ".maps", or -1 */
	uint64_t *map_off;          /* per map: offset of a user map in .maps */
};

/* maps_spec.c: fill obj->maps (user maps from .maps, then internal ones). */
int nf_maps_collect(struct nf_obj_ctx *c);
/* link.c: build prog's instructions from its symbol (section sec, insn
 * range [start, start+n)), appending called subprograms, and collect its
 * map relocations and rebased .BTF.ext records. */
int nf_link_prog(struct nf_obj_ctx *c, struct nf_prog_spec *prog, uint32_t sec,
		 uint32_t start, uint32_t n);
/* link.c: every relocation of an executable section points at an
 * ld_imm64 or a call inside the section. */
int nf_link_check_rels(const struct nf_obj_ctx *c);
/* btf_fixup.c: DATASEC sizes and VAR offsets from the ELF. */
int nf_btf_fixup_datasecs(struct nf_btf *btf, const struct nf_elf *elf);
/* The internal map kind a section name implies, or -1. */
int nf_internal_map_kind(const char *sec);

#endif
