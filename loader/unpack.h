/* NFZ1: the compressed form of the embedded BPF objects (tools/pack.c
 * writes it at build time, nf_unpack reads it). Pure: no syscalls, no
 * allocation.
 *
 * Format: "NFZ1", the uncompressed length (u32 LE), then one stream of an
 * adaptive binary range coder (LZMA's: 32-bit range, carries propagated
 * by the encoder, its first byte, always 0, not stored; here 12-bit
 * probabilities moved by 1/16 of the distance, so that a normalisation may
 * shift twice). The stream opens with the coder's 4-byte code and holds,
 * until the length is reached, tokens:
 *
 *   bit MATCH[pm][pos & 7]   0: a literal, 8 bits MSB-first through the
 *                            bit tree LIT[pos & 3][256];
 *                            1: a match:
 *   bit REP                  only after a literal (pm 0); 0: the last
 *                            distance again, 1: a new one
 *   num DIST                 the new distance (1 = the byte before)
 *   num LEN                  the length minus 1 (matches are >= 2 bytes)
 *
 * pm is 1 after a match (and at the start: the first match has a
 * distance). num is Elias gamma over adaptive bits: for each bit below the
 * leading 1, LSB first, a 1 at ctx[2i] and the bit at ctx[2i+1]; then a 0
 * at ctx[2i]; at most 31 bits. The stream ends when the length is
 * reached; the decoder's final normalisation must consume it exactly. */
#ifndef NF_UNPACK_H
#define NF_UNPACK_H
#include <stddef.h>
#include <stdint.h>

#define NFZ_MAGIC     "NFZ1"
#define NFZ_HDR       8          /* magic, u32 LE length */
#define NFZ_MIN       (NFZ_HDR + 4) /* the header and the coder's code */
#define NFZ_PROB_BITS 12
#define NFZ_PROB_INIT (1u << (NFZ_PROB_BITS - 1))
#define NFZ_MOVE      4
#define NFZ_NUM_BITS  31         /* a num's bits below its leading 1, at most */
#define NFZ_MIN_MATCH 2

/* The probabilities, one array: offsets of each context set. */
#define NFZ_P_MATCH   0                      /* [pm][pos & 7] */
#define NFZ_P_REP     (NFZ_P_MATCH + 16)
#define NFZ_P_DIST    (NFZ_P_REP + 1)        /* num: 2 * 32 */
#define NFZ_P_LEN     (NFZ_P_DIST + 64)
#define NFZ_P_LIT     (NFZ_P_LEN + 64)       /* [pos & 3][256] */
#define NFZ_NPROBS    (NFZ_P_LIT + 4 * 256)

#define NFZ_MATCH_CTX(pm, pos) (NFZ_P_MATCH + ((pm) << 3) + ((pos) & 7))
#define NFZ_LIT_CTX(pos)       (NFZ_P_LIT + (((pos) & 3) << 8))

/* The uncompressed length a packed blob declares: 0, or -EINVAL when in
 * is not an NFZ1 blob. */
int nf_unpack_size(const uint8_t *in, size_t in_len, size_t *len);
/* Decompress in into out[0..out_cap). 0 with *out_len, -ENOSPC when the
 * declared length exceeds out_cap, -EINVAL for any malformed or truncated
 * stream (out's contents are then undefined). Never reads or writes
 * outside in[0..in_len) and out[0..out_cap). */
int nf_unpack(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

#endif
