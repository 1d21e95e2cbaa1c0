/* Internal: growing a BTF blob in place (used by sanitisation). Every call
 * invalidates pointers into btf->data and btf->types. */
#ifndef NF_BTF_EDIT_H
#define NF_BTF_EDIT_H
#include "btf.h"

/* Insert len bytes at byte at_byte of type id (which must not create or
 * remove types, e.g. one more DATASEC entry). 0 or -errno. */
int nf_btf_insert_at(struct nf_btf *btf, uint32_t id, size_t at_byte, const void *bytes, size_t len);
/* Append one complete type; its new id, or -errno. */
int nf_btf_append_type(struct nf_btf *btf, const void *bytes, size_t len);
/* Offset of string s, appending it when absent; or -errno. */
int nf_btf_add_str(struct nf_btf *btf, const char *s);

#endif
