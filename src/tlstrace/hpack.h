/* HPACK (RFC 7541): header block decoding for tlstrace's HTTP/2 view.
 * Pure: no syscalls, no I/O; every error is a return code.
 *
 * A decoder holds one dynamic table, so the caller keeps one per
 * connection AND per direction (each endpoint's encoder has its own).
 *
 * Memory: the table's arrays grow (doubling) as it fills, never past what
 * its maximum size can hold, and that never past NF_HPACK_SIZE_CAP: the
 * names and values, plus 16 bytes an entry (an entry counts at least 32,
 * so at most max / 32 + 1 entries). At most 96 KiB; 6 KiB at the default
 * 4096; nothing until the first entry.
 *
 * Joined mid-connection ("unknown state", nf_hpack_init(d, 1)): the entries
 * inserted before we were watching are unknown. Literals still decode, and
 * literals with incremental indexing still insert. The entries we insert
 * are the newest, so they are exactly the lowest dynamic indices (62 up);
 * an index past them names an entry we never saw and comes back as a field
 * flagged NF_HPACK_UNKNOWN instead of an error. Eviction is counted against
 * NF_HPACK_SIZE_CAP (or a lower limit set) until a size update tells the
 * real maximum: holding an
 * entry the peer has evicted is harmless (a correct encoder never names
 * it), evicting one it still holds would only make a later reference
 * unknown. An entry whose name was itself unknown is counted with that name
 * as empty (a lower bound), for the same reason. The decoder is fully known
 * again once no unseen entry can still be in the table: the maximum is
 * known, every size we count is exact, and what we hold leaves less than
 * 32 bytes (the smallest entry) free; a size update to 0 does that at once.
 *
 * A size update above NF_HPACK_SIZE_CAP (which a larger SETTINGS allows)
 * is taken as the cap, and what falls out of it is treated as unseen.
 *
 * After any decoding error the table is emptied and the decoder goes back
 * to unknown state: the peer's decoder took the whole block, so from here
 * our indices could be shifted by entries we missed. */
#ifndef NF_HPACK_H
#define NF_HPACK_H
#include <stddef.h>
#include <stdint.h>

#define NF_HPACK_DEFAULT_SIZE 4096u   /* SETTINGS_HEADER_TABLE_SIZE's initial value */
#define NF_HPACK_SIZE_CAP     65536u  /* the largest table kept (Chrome announces 65536) */
#define NF_HPACK_STATIC_COUNT 61u
#define NF_HPACK_ENTRY_OVERHEAD 32u   /* RFC 7541 4.1: size = 32 + name + value */

/* Errors (negative). */
#define NF_HPACK_E_TRUNC        (-1)  /* the block ends inside a representation */
#define NF_HPACK_E_INT          (-2)  /* an integer beyond 2^32 - 1 */
#define NF_HPACK_E_STRLEN       (-3)  /* a string longer than the rest of the block */
#define NF_HPACK_E_HUFFMAN      (-4)  /* bad Huffman code: EOS, padding over 7 bits or not all ones */
#define NF_HPACK_E_INDEX        (-5)  /* index 0, or past the end of both tables */
#define NF_HPACK_E_TABLE_UPDATE (-6)  /* size update above the limit, or after a field */
#define NF_HPACK_E_NOMEM        (-7)
#define NF_HPACK_E_SPACE        (-8)  /* nf_huff_decode: the output did not fit */

/* How a field was represented (RFC 7541 section 6). */
enum nf_hpack_rep {
	NF_HPACK_INDEXED,       /* 6.1: the whole field from a table */
	NF_HPACK_INCREMENTAL,   /* 6.2.1: literal, added to the dynamic table */
	NF_HPACK_NOT_INDEXED,   /* 6.2.2 */
	NF_HPACK_NEVER_INDEXED, /* 6.2.3: the sender marked it sensitive */
};

/* Field flags. A NULL name or value has one of the UNKNOWN bits. */
#define NF_HPACK_UNKNOWN_NAME  0x1u  /* a dynamic entry this decoder never saw */
#define NF_HPACK_UNKNOWN_VALUE 0x2u
#define NF_HPACK_UNKNOWN       (NF_HPACK_UNKNOWN_NAME | NF_HPACK_UNKNOWN_VALUE)
#define NF_HPACK_CUT           0x4u  /* left out because the caller's buffer was full */

struct nf_hpack_field {
	const char *name, *value;      /* not NUL-terminated; NULL when not available */
	uint32_t name_len, value_len;  /* the length even when the bytes are absent; 0 if unknown */
	uint32_t index;                /* the table index used (field or name), 0 for a literal name */
	uint8_t rep;                   /* enum nf_hpack_rep */
	uint8_t flags;                 /* NF_HPACK_UNKNOWN*, NF_HPACK_CUT */
};

/* Where a block's fields go: the caller's arrays. Names and values are
 * copied into buf (or point into the static table), so they stay valid
 * while the decoder goes on and until the out is reused. Fields
 * past max_fields are counted in dropped; a string that does not fit in
 * buf is left out (NF_HPACK_CUT). Neither stops decoding: the dynamic
 * table is kept in step either way. */
struct nf_hpack_out {
	struct nf_hpack_field *fields;
	uint32_t max_fields, nfields, dropped;
	char *buf;
	size_t buf_cap, buf_used;
};

struct nf_hpack_slot;

struct nf_hpack {
	uint8_t *bytes;               /* names and values, oldest first, live in [head, tail) */
	uint32_t bytes_cap, head, tail;
	struct nf_hpack_slot *slots;  /* a ring of entries, oldest at first */
	uint32_t slots_cap, first, count;
	uint32_t size;                /* RFC size of what we hold (a lower bound if inexact) */
	uint32_t max_size;            /* the bound we evict against */
	uint32_t limit;               /* SETTINGS_HEADER_TABLE_SIZE; UINT32_MAX when not known */
	uint32_t inexact;             /* entries whose size is a lower bound */
	uint8_t max_known;            /* max_size is the peer's */
	uint8_t unseen;               /* entries we never saw may be in the table */
	uint32_t blocks;              /* header blocks decoded */
};

void nf_hpack_out_init(struct nf_hpack_out *o, struct nf_hpack_field *fields,
		       uint32_t max_fields, char *buf, size_t buf_cap);
/* Empty it for the next block. */
void nf_hpack_out_reset(struct nf_hpack_out *o);

/* unknown_state: 0 for a connection seen from its first header block, 1
 * when joined mid-connection. */
void nf_hpack_init(struct nf_hpack *d, int unknown_state);
void nf_hpack_free(struct nf_hpack *d);
/* The connection turned out to be seen from its start: an unknown-state
 * decoder that has decoded no block yet becomes a fresh one. */
void nf_hpack_assume_fresh(struct nf_hpack *d);
/* SETTINGS_HEADER_TABLE_SIZE of the endpoint whose decoder this mirrors,
 * once in effect (HTTP/2: when the peer acknowledges it): the largest size
 * update accepted from now on; a table larger than it shrinks at once. */
void nf_hpack_set_limit(struct nf_hpack *d, uint32_t limit);
/* Decode one complete header block into out (reset first). 0, or an
 * NF_HPACK_E_* code (the fields before the error are in out). */
int nf_hpack_decode(struct nf_hpack *d, const uint8_t *block, size_t len, struct nf_hpack_out *out);
/* A header block was lost (or could not be decoded): empty the table and
 * go to unknown state. */
void nf_hpack_desync(struct nf_hpack *d);

/* The dynamic table, for tests and diagnostics: entries held, their RFC
 * size, and entry i (1 = newest; names point into the table, valid until
 * the next decode). 0, or -1 when i is out of range. */
uint32_t nf_hpack_count(const struct nf_hpack *d);
uint32_t nf_hpack_size(const struct nf_hpack *d);
int nf_hpack_entry(const struct nf_hpack *d, uint32_t i, struct nf_hpack_field *f);

const char *nf_hpack_strerror(int err);

/* Huffman (hpack_huffman.c). Decode n bytes into out (at most cap; out
 * may be NULL to only check and count); the length in *out_len. 0,
 * NF_HPACK_E_HUFFMAN or NF_HPACK_E_SPACE. */
int nf_huff_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* The code of symbol sym (0..255, 256 = EOS), right-aligned, and its bit
 * length; -1 for another sym. */
int nf_huff_code(unsigned sym, uint32_t *code, unsigned *bits);

#endif
