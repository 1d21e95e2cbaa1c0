/* HTTP/2 frames (RFC 9113) from one connection's plaintext, as tlstrace
 * captures it: per direction, in chunks as the application wrote or read
 * them. Pure: no syscalls, no I/O.
 *
 * The caller feeds each direction's chunks in order (nf_h2_feed); frames
 * split across chunks and chunks holding several frames both work. Every
 * complete frame is handed to a callback with its header and the details
 * of its type; a header block (HEADERS or PUSH_PROMISE and its
 * CONTINUATIONs) is decoded with HPACK as one block, on the frame that ends
 * it.
 *
 * Directions are the caller's 0 and 1. Each has its own HPACK decoder, for
 * the blocks sent that way. A SETTINGS frame sent one way describes its
 * sender's receiving side, so its values apply to the other direction:
 * SETTINGS_HEADER_TABLE_SIZE becomes the limit of the decoder for blocks
 * sent towards the SETTINGS' sender, SETTINGS_MAX_FRAME_SIZE the largest
 * frame accepted that way. They take effect when the other side's
 * SETTINGS ACK passes (RFC 9113 6.5.3): blocks sent before the ACK were
 * encoded under the old values. Only the latest unacknowledged values are
 * kept, so with two SETTINGS outstanding the first ACK applies the second.
 *
 * Starting: a direction that begins with the client preface is a
 * connection seen from its start, and its decoders start fresh. Otherwise
 * (joined mid-connection, unless nf_h2_init was told fresh) the decoders
 * start in HPACK's unknown state, and the direction is taken as in step
 * once a chunk begins with a plausible frame header: a known type, its
 * length within SETTINGS_MAX_FRAME_SIZE (16384 unless announced), the
 * stream id, length and flags its type allows. A chunk that does not is
 * dropped (NF_H2_EV_LOST) and the next chunk is tried; so is the rest of a
 * chunk once a frame header is impossible (longer than the maximum).
 * Capture chunks are the application's reads and writes, which start on
 * frame boundaries far more often than a frame-shaped run of bytes turns
 * up inside a DATA payload.
 *
 * Memory, per direction: one frame payload, held up to NF_H2_PAYLOAD_CAP
 * (DATA payloads and larger frames are passed over, not held), and one
 * header block up to NF_H2_BLOCK_CAP; both allocated when first needed.
 * With the HPACK table: at most 64 + 64 + 96 KiB a direction. */
#ifndef NF_HTTP2_H
#define NF_HTTP2_H
#include <stddef.h>
#include <stdint.h>
#include "grow_buf.h"
#include "hpack.h"

#define NF_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define NF_H2_PREFACE_LEN 24u
#define NF_H2_HEADER_LEN 9u
#define NF_H2_DEFAULT_MAX_FRAME 16384u
#define NF_H2_PAYLOAD_CAP 65536u
#define NF_H2_BLOCK_CAP 65536u
#define NF_H2_SETTINGS_KEPT 16u  /* settings listed in a frame event; the rest only counted */

/* Frame types (RFC 9113 6). */
enum {
	NF_H2_DATA, NF_H2_HEADERS, NF_H2_PRIORITY, NF_H2_RST_STREAM, NF_H2_SETTINGS,
	NF_H2_PUSH_PROMISE, NF_H2_PING, NF_H2_GOAWAY, NF_H2_WINDOW_UPDATE, NF_H2_CONTINUATION,
};

/* Flags. */
#define NF_H2_F_END_STREAM  0x01u  /* DATA, HEADERS */
#define NF_H2_F_ACK         0x01u  /* SETTINGS, PING */
#define NF_H2_F_END_HEADERS 0x04u  /* HEADERS, PUSH_PROMISE, CONTINUATION */
#define NF_H2_F_PADDED      0x08u  /* DATA, HEADERS, PUSH_PROMISE */
#define NF_H2_F_PRIORITY    0x20u  /* HEADERS */

/* Settings (RFC 9113 6.5.2). */
enum {
	NF_H2_SET_HEADER_TABLE_SIZE = 1, NF_H2_SET_ENABLE_PUSH, NF_H2_SET_MAX_CONCURRENT_STREAMS,
	NF_H2_SET_INITIAL_WINDOW_SIZE, NF_H2_SET_MAX_FRAME_SIZE, NF_H2_SET_MAX_HEADER_LIST_SIZE,
};

/* A frame's err: it breaks its type's rules; the details are not decoded
 * (a block is dropped and its direction's decoder desynced). */
enum {
	NF_H2_E_FRAME_SIZE = 1, /* a length the type does not allow */
	NF_H2_E_PADDING,        /* padding longer than the payload */
	NF_H2_E_STREAM,         /* stream 0 where a stream is needed, or the reverse */
	NF_H2_E_CONTINUATION,   /* CONTINUATION without its block, or another frame inside a block */
	NF_H2_E_BLOCK_SIZE,     /* header block over NF_H2_BLOCK_CAP */
	NF_H2_E_NOT_HELD,       /* payload over NF_H2_PAYLOAD_CAP: not decoded */
	NF_H2_E_HPACK,          /* the block did not decode: hpack_err says why */
	NF_H2_E_NOMEM,
};

struct nf_h2_setting {
	uint16_t id;
	uint32_t value;
};

struct nf_h2_frame {
	uint32_t length, stream;
	uint8_t type, flags;
	uint8_t err;                  /* NF_H2_E_*, or 0 */
	uint8_t reserved_bit;         /* the R bit before the stream id (ignored) */
	const uint8_t *payload;       /* length bytes, or NULL when not held (DATA, too large) */
	/* HEADERS, PRIORITY: the priority fields (has_priority) */
	uint8_t has_priority, exclusive;
	uint16_t weight;              /* 1..256 */
	uint32_t depends_on;
	uint8_t pad_len;              /* DATA, HEADERS, PUSH_PROMISE with PADDED */
	uint32_t error_code;          /* RST_STREAM, GOAWAY */
	uint32_t last_stream;         /* GOAWAY */
	const uint8_t *debug;         /* GOAWAY debug data */
	uint32_t debug_len;
	uint32_t increment;           /* WINDOW_UPDATE */
	uint32_t promised;            /* PUSH_PROMISE */
	uint8_t ping[8];              /* PING */
	uint32_t nsettings;           /* SETTINGS: parameters in the frame */
	struct nf_h2_setting settings[NF_H2_SETTINGS_KEPT];
	/* Set on the frame that ends a header block (END_HEADERS). */
	uint8_t block_end;
	uint8_t block_type;           /* NF_H2_HEADERS or NF_H2_PUSH_PROMISE */
	uint32_t block_frames;        /* frames the block came in */
	uint32_t block_len;
	int hpack_err;                /* NF_HPACK_E_*, or 0 */
	const struct nf_hpack_out *fields;
};

enum {
	NF_H2_EV_PREFACE = 1, /* the client preface */
	NF_H2_EV_FRAME,       /* frame: a complete frame */
	NF_H2_EV_LOST,        /* skipped bytes were dropped; why says why */
};

/* Why bytes were dropped. */
enum {
	NF_H2_LOST_NOT_FRAME = 1, /* a chunk not starting with a plausible frame header */
	NF_H2_LOST_TOO_LONG,      /* a frame longer than the maximum: the stream is not frames */
	NF_H2_LOST_PREFACE,       /* started like the preface, then was not */
};

struct nf_h2_event {
	int kind, dir;
	const struct nf_h2_frame *frame;
	size_t skipped;
	int why;
};

typedef void (*nf_h2_cb)(void *ctx, const struct nf_h2_event *ev);

struct nf_h2_dir {
	uint8_t state;                /* see http2.c */
	uint8_t probation;            /* the frame header being read must look plausible */
	uint8_t preface_have;         /* preface bytes matched so far */
	uint8_t hdr_have;
	uint8_t hdr[NF_H2_HEADER_LEN];
	uint32_t need;                /* payload bytes still to come */
	uint8_t holding;              /* the payload is being held in buf */
	uint8_t first_byte_seen, first_byte;  /* of a payload not held (pad length) */
	struct nf_gbuf payload;       /* a payload held across chunks */
	struct nf_gbuf block;         /* header block being collected */
	uint32_t block_frames, block_stream;
	uint8_t in_block, block_type, block_lost;
	uint32_t max_frame;           /* SETTINGS_MAX_FRAME_SIZE for frames sent this way */
	uint8_t max_frame_known;
	/* Announced by the other way's SETTINGS, waiting for the ACK sent
	 * this way. */
	uint8_t pending_has_table, pending_has_frame;
	uint32_t pending_table, pending_frame;
	struct nf_hpack hpack;        /* decodes the blocks sent this way */
	uint64_t frames, lost_bytes;
};

struct nf_h2_conn {
	struct nf_h2_dir dir[2];
	struct nf_hpack_out *out;     /* where decoded fields go (the caller's) */
	uint8_t fresh;                /* seen from its start */
};

/* out: the caller's field storage, reused for every block (valid during
 * the callback). fresh: the caller knows the connection is new. */
void nf_h2_init(struct nf_h2_conn *c, struct nf_hpack_out *out, int fresh);
void nf_h2_free(struct nf_h2_conn *c);
/* One chunk of direction dir (0 or 1). Events go to cb; returns how many. */
int nf_h2_feed(struct nf_h2_conn *c, int dir, const uint8_t *data, size_t len,
	       nf_h2_cb cb, void *ctx);
/* n bytes of direction dir were never captured (a truncated call): the
 * rest of a DATA payload passed over is still in step; anything else loses
 * the direction (the next chunk must start a plausible frame) and its
 * HPACK table (a header block may have been among the bytes). */
void nf_h2_gap(struct nf_h2_conn *c, int dir, uint64_t n);
/* Does data start like a preface (the first min(len, 24) bytes match)? */
int nf_h2_is_preface(const uint8_t *data, size_t len);

const char *nf_h2_type_name(uint8_t type);       /* "HEADERS", or NULL */
const char *nf_h2_error_name(uint32_t code);     /* "PROTOCOL_ERROR", or NULL */
const char *nf_h2_setting_name(uint16_t id);     /* "HEADER_TABLE_SIZE", or NULL */
const char *nf_h2_frame_err_name(int err);       /* "frame size", ... */

#endif
