/* HTTP/2 framing: preface, frame reassembly per direction, the details of
 * each frame type, header blocks across CONTINUATION, SETTINGS applied on
 * their ACK. The rules are explained in http2.h. */
#include <string.h>
#include "http2.h"

#define H2_MAX_LENGTH 0xffffffu  /* 24 bits */

/* A direction's state. */
enum { ST_START, ST_PREFACE, ST_HEADER, ST_PAYLOAD, ST_HUNT };

/* One nf_h2_feed call. */
struct feed {
	struct nf_h2_conn *c;
	struct nf_h2_dir *d;
	int dir;
	nf_h2_cb cb;
	void *ctx;
	int events;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void emit(struct feed *f, int kind, const struct nf_h2_frame *fr, size_t skipped, int why)
{
	struct nf_h2_event ev = { kind, f->dir, fr, skipped, why };
	f->events++;
	if (f->cb)
		f->cb(f->ctx, &ev);
}

void nf_h2_init(struct nf_h2_conn *c, struct nf_hpack_out *out, int fresh)
{
	*c = (struct nf_h2_conn){ .out = out, .fresh = !!fresh };
	for (int i = 0; i < 2; i++) {
		struct nf_h2_dir *d = &c->dir[i];
		nf_hpack_init(&d->hpack, !fresh);
		d->max_frame = NF_H2_DEFAULT_MAX_FRAME;
		d->max_frame_known = !!fresh;
	}
}

void nf_h2_free(struct nf_h2_conn *c)
{
	for (int i = 0; i < 2; i++) {
		nf_gbuf_free(&c->dir[i].payload);
		nf_gbuf_free(&c->dir[i].block);
		nf_hpack_free(&c->dir[i].hpack);
	}
	*c = (struct nf_h2_conn){ 0 };
}

int nf_h2_is_preface(const uint8_t *data, size_t len)
{
	size_t n = len < NF_H2_PREFACE_LEN ? len : NF_H2_PREFACE_LEN;
	return memcmp(data, NF_H2_PREFACE, n) == 0;
}

/* ---- header blocks ---------------------------------------------------- */

/* The block being collected is lost: the peer's decoder took it, ours
 * cannot, so from here its table is not ours. */
static void lose_block(struct nf_h2_dir *d)
{
	d->in_block = 0;
	nf_hpack_desync(&d->hpack);
}

static void set_err(struct nf_h2_frame *fr, int err)
{
	if (!fr->err)
		fr->err = (uint8_t)err;
}

static int append_block(struct nf_h2_dir *d, const uint8_t *p, uint32_t n)
{
	if (d->block.len + (uint64_t)n > NF_H2_BLOCK_CAP)
		return NF_H2_E_BLOCK_SIZE;
	/* doubling from 4 KiB, never past the cap */
	uint32_t want = d->block.cap ? 2 * d->block.cap : 4096;
	if (want > NF_H2_BLOCK_CAP)
		want = NF_H2_BLOCK_CAP;
	return nf_gbuf_append(&d->block, p, n, want) ? NF_H2_E_NOMEM : 0;
}

static void decode_block(struct feed *f, struct nf_h2_frame *fr, const uint8_t *blk, uint32_t len)
{
	struct nf_h2_dir *d = f->d;
	fr->block_end = 1;
	fr->block_type = d->block_type;
	fr->block_frames = d->block_frames;
	fr->block_len = len;
	d->in_block = 0;
	if (d->block_lost)
		return;  /* already desynced when it was lost */
	if (!f->c->out) {
		nf_hpack_desync(&d->hpack);
		return;
	}
	fr->hpack_err = nf_hpack_decode(&d->hpack, blk, len, f->c->out);
	fr->fields = f->c->out;
	if (fr->hpack_err)
		set_err(fr, NF_H2_E_HPACK);
}

/* A fragment of a block: from HEADERS / PUSH_PROMISE (first) or
 * CONTINUATION. frag is NULL when the frame could not be read. */
static void block_fragment(struct feed *f, struct nf_h2_frame *fr, const uint8_t *frag,
			   uint32_t frag_len, int first)
{
	struct nf_h2_dir *d = f->d;
	if (first) {
		d->in_block = 1;
		d->block_type = fr->type;
		d->block_stream = fr->stream;
		d->block_frames = 0;
		d->block.len = 0;
		d->block_lost = 0;
	}
	d->block_frames++;
	if (!d->block_lost && !frag) {
		d->block_lost = 1;
		nf_hpack_desync(&d->hpack);
	}
	int end = fr->flags & NF_H2_F_END_HEADERS;
	if (end && first && !d->block_lost) {
		decode_block(f, fr, frag, frag_len);  /* whole in one frame: no copy */
		return;
	}
	if (!d->block_lost) {
		int err = append_block(d, frag, frag_len);
		if (err) {
			set_err(fr, err);
			d->block_lost = 1;
			nf_hpack_desync(&d->hpack);
		}
	}
	if (end)
		decode_block(f, fr, d->block.p, d->block.len);
	else
		fr->block_len = d->block.len;
}

/* Every frame passes here: a block in progress admits only its own
 * CONTINUATIONs (RFC 9113 6.10). */
static void block_step(struct feed *f, struct nf_h2_frame *fr, const uint8_t *frag, uint32_t frag_len)
{
	struct nf_h2_dir *d = f->d;
	int starts = fr->type == NF_H2_HEADERS || fr->type == NF_H2_PUSH_PROMISE;
	int cont = fr->type == NF_H2_CONTINUATION;
	if (cont && d->in_block && fr->stream == d->block_stream) {
		block_fragment(f, fr, fr->err ? NULL : frag, frag_len, 0);
		return;
	}
	if (d->in_block || cont) {
		/* interleaved, or a CONTINUATION of a block we never saw */
		set_err(fr, NF_H2_E_CONTINUATION);
		lose_block(d);
	}
	if (starts)
		block_fragment(f, fr, fr->err && fr->err != NF_H2_E_CONTINUATION ? NULL : frag,
			       frag_len, 1);
}

/* ---- frame details ---------------------------------------------------- */

/* The fragment of HEADERS / PUSH_PROMISE: after the pad length, the
 * priority or promised stream, and before the padding. */
static void split_fragment(struct nf_h2_frame *fr, const uint8_t **frag, uint32_t *frag_len)
{
	const uint8_t *p = fr->payload;
	uint32_t off = 0, pad = 0;
	uint32_t fixed = (fr->flags & NF_H2_F_PADDED ? 1 : 0) +
			 (fr->type == NF_H2_HEADERS && fr->flags & NF_H2_F_PRIORITY ? 5 : 0) +
			 (fr->type == NF_H2_PUSH_PROMISE ? 4 : 0);
	if (fr->length < fixed) {
		set_err(fr, NF_H2_E_FRAME_SIZE);
		return;
	}
	if (fr->flags & NF_H2_F_PADDED)
		pad = fr->pad_len = p[off++];
	if (fr->type == NF_H2_HEADERS && fr->flags & NF_H2_F_PRIORITY) {
		fr->has_priority = 1;
		fr->exclusive = p[off] >> 7;
		fr->depends_on = be32(p + off) & 0x7fffffff;
		fr->weight = (uint16_t)(p[off + 4] + 1);
		off += 5;
	}
	if (fr->type == NF_H2_PUSH_PROMISE) {
		fr->promised = be32(p + off) & 0x7fffffff;
		off += 4;
	}
	if (pad > fr->length - off) {
		set_err(fr, NF_H2_E_PADDING);
		return;
	}
	*frag = p + off;
	*frag_len = fr->length - off - pad;
}

/* A frame type's fixed length and stream rules. */
static int check_shape(struct nf_h2_frame *fr)
{
	switch (fr->type) {
	case NF_H2_DATA: case NF_H2_HEADERS: case NF_H2_PUSH_PROMISE: case NF_H2_CONTINUATION:
		return fr->stream ? 0 : NF_H2_E_STREAM;
	case NF_H2_PRIORITY:
		return !fr->stream ? NF_H2_E_STREAM : fr->length != 5 ? NF_H2_E_FRAME_SIZE : 0;
	case NF_H2_RST_STREAM:
		return !fr->stream ? NF_H2_E_STREAM : fr->length != 4 ? NF_H2_E_FRAME_SIZE : 0;
	case NF_H2_SETTINGS:
		if (fr->stream)
			return NF_H2_E_STREAM;
		if (fr->flags & NF_H2_F_ACK)
			return fr->length ? NF_H2_E_FRAME_SIZE : 0;
		return fr->length % 6 ? NF_H2_E_FRAME_SIZE : 0;
	case NF_H2_PING:
		return fr->stream ? NF_H2_E_STREAM : fr->length != 8 ? NF_H2_E_FRAME_SIZE : 0;
	case NF_H2_GOAWAY:
		return fr->stream ? NF_H2_E_STREAM : fr->length < 8 ? NF_H2_E_FRAME_SIZE : 0;
	case NF_H2_WINDOW_UPDATE:
		return fr->length != 4 ? NF_H2_E_FRAME_SIZE : 0;
	}
	return 0;  /* unknown types are ignored (RFC 9113 5.5) */
}

/* SETTINGS: list them; the table size and frame size wait, on the other
 * direction, for its ACK. */
static void settings(struct feed *f, struct nf_h2_frame *fr)
{
	struct nf_h2_dir *other = &f->c->dir[!f->dir];
	if (fr->flags & NF_H2_F_ACK) {
		struct nf_h2_dir *d = f->d;  /* an ACK sent this way */
		if (d->pending_has_table)
			nf_hpack_set_limit(&d->hpack, d->pending_table);
		if (d->pending_has_frame) {
			d->max_frame = d->pending_frame;
			d->max_frame_known = 1;
		}
		d->pending_has_table = d->pending_has_frame = 0;
		return;
	}
	fr->nsettings = fr->length / 6;
	for (uint32_t i = 0; i < fr->nsettings; i++) {
		const uint8_t *p = fr->payload + 6 * i;
		uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
		uint32_t v = be32(p + 2);
		if (i < NF_H2_SETTINGS_KEPT)
			fr->settings[i] = (struct nf_h2_setting){ id, v };
		if (id == NF_H2_SET_HEADER_TABLE_SIZE) {
			other->pending_has_table = 1;
			other->pending_table = v;
		} else if (id == NF_H2_SET_MAX_FRAME_SIZE && v >= NF_H2_DEFAULT_MAX_FRAME &&
			   v <= H2_MAX_LENGTH) {
			other->pending_has_frame = 1;
			other->pending_frame = v;
		}
	}
}

static void details(struct feed *f, struct nf_h2_frame *fr, const uint8_t **frag, uint32_t *frag_len)
{
	const uint8_t *p = fr->payload;
	switch (fr->type) {
	case NF_H2_DATA:
		if (fr->flags & NF_H2_F_PADDED) {
			if (!fr->length)
				set_err(fr, NF_H2_E_FRAME_SIZE);
			else if ((fr->pad_len = f->d->first_byte) >= fr->length)
				set_err(fr, NF_H2_E_PADDING);
		}
		return;
	case NF_H2_HEADERS: case NF_H2_PUSH_PROMISE:
		split_fragment(fr, frag, frag_len);
		return;
	case NF_H2_CONTINUATION:
		*frag = p;
		*frag_len = fr->length;
		return;
	case NF_H2_PRIORITY:
		fr->has_priority = 1;
		fr->exclusive = p[0] >> 7;
		fr->depends_on = be32(p) & 0x7fffffff;
		fr->weight = (uint16_t)(p[4] + 1);
		return;
	case NF_H2_RST_STREAM:
		fr->error_code = be32(p);
		return;
	case NF_H2_SETTINGS:
		settings(f, fr);
		return;
	case NF_H2_PING:
		memcpy(fr->ping, p, 8);
		return;
	case NF_H2_GOAWAY:
		fr->last_stream = be32(p) & 0x7fffffff;
		fr->error_code = be32(p + 4);
		fr->debug = p + 8;
		fr->debug_len = fr->length - 8;
		return;
	case NF_H2_WINDOW_UPDATE:
		fr->increment = be32(p) & 0x7fffffff;
		return;
	}
}

/* A whole frame: payload is NULL when it was not held. */
static void finish_frame(struct feed *f, const uint8_t *payload)
{
	struct nf_h2_dir *d = f->d;
	struct nf_h2_frame fr = {
		.length = be24(d->hdr), .type = d->hdr[3], .flags = d->hdr[4],
		.reserved_bit = d->hdr[5] >> 7, .stream = be32(d->hdr + 5) & 0x7fffffff,
		.payload = payload,
	};
	const uint8_t *frag = NULL;
	uint32_t frag_len = 0;
	set_err(&fr, check_shape(&fr));
	if (!fr.err && !payload && fr.length && fr.type != NF_H2_DATA)
		set_err(&fr, fr.length <= NF_H2_PAYLOAD_CAP ? NF_H2_E_NOMEM : NF_H2_E_NOT_HELD);
	if (!fr.err)
		details(f, &fr, &frag, &frag_len);
	block_step(f, &fr, frag, frag_len);
	d->frames++;
	d->state = ST_HEADER;
	d->hdr_have = 0;
	emit(f, NF_H2_EV_FRAME, &fr, 0, 0);
}

/* ---- reading the stream ----------------------------------------------- */

/* Drop the rest of the chunk; the next chunk is tried afresh. */
static void lose(struct feed *f, size_t skipped, int why)
{
	struct nf_h2_dir *d = f->d;
	d->state = ST_HUNT;
	d->lost_bytes += skipped;
	lose_block(d);  /* frames were missed, header blocks maybe */
	emit(f, NF_H2_EV_LOST, NULL, skipped, why);
}

/* Could this be a frame header, at a chunk start we are not sure of? */
static int plausible(const uint8_t *h, uint32_t max_len)
{
	/* flags each type defines; any other bit set is unlikely from a real peer */
	static const uint8_t type_flags[NF_H2_CONTINUATION + 1] = {
		[NF_H2_DATA] = NF_H2_F_END_STREAM | NF_H2_F_PADDED,
		[NF_H2_HEADERS] = NF_H2_F_END_STREAM | NF_H2_F_END_HEADERS | NF_H2_F_PADDED | NF_H2_F_PRIORITY,
		[NF_H2_SETTINGS] = NF_H2_F_ACK,
		[NF_H2_PUSH_PROMISE] = NF_H2_F_END_HEADERS | NF_H2_F_PADDED,
		[NF_H2_PING] = NF_H2_F_ACK,
		[NF_H2_CONTINUATION] = NF_H2_F_END_HEADERS,
	};
	struct nf_h2_frame fr = { .length = be24(h), .type = h[3], .flags = h[4],
				  .stream = be32(h + 5) & 0x7fffffff };
	if (fr.type > NF_H2_CONTINUATION || h[5] & 0x80 || fr.length > max_len)
		return 0;
	if (fr.flags & ~type_flags[fr.type])
		return 0;
	return check_shape(&fr) == 0;
}

static void start_payload(struct nf_h2_dir *d)
{
	d->need = be24(d->hdr);
	d->holding = d->hdr[3] != NF_H2_DATA && d->need <= NF_H2_PAYLOAD_CAP;
	d->payload.len = 0;
	d->first_byte_seen = 0;
	d->state = ST_PAYLOAD;
}

static size_t eat_header(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h2_dir *d = f->d;
	size_t n = NF_H2_HEADER_LEN - d->hdr_have;
	if (n > len)
		n = len;
	memcpy(d->hdr + d->hdr_have, p, n);
	d->hdr_have = (uint8_t)(d->hdr_have + n);
	if (d->hdr_have < NF_H2_HEADER_LEN)
		return n;
	uint32_t length = be24(d->hdr);
	if (d->probation) {
		uint32_t max = d->max_frame_known ? d->max_frame : NF_H2_DEFAULT_MAX_FRAME;
		if (!plausible(d->hdr, max)) {
			lose(f, NF_H2_HEADER_LEN + len - n, NF_H2_LOST_NOT_FRAME);
			return len;
		}
		d->probation = 0;
	} else if (d->max_frame_known && length > d->max_frame) {
		lose(f, NF_H2_HEADER_LEN + len - n, NF_H2_LOST_TOO_LONG);
		return len;
	}
	start_payload(d);
	if (length == 0) {
		finish_frame(f, p + n);  /* an empty payload, but held */
		return n;
	}
	if (d->holding && len - n >= length) {
		finish_frame(f, p + n);  /* whole in the chunk: no copy */
		return n + length;
	}
	return n;
}

static size_t eat_payload(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h2_dir *d = f->d;
	size_t n = d->need < len ? d->need : len;
	if (d->holding && nf_gbuf_append(&d->payload, p, (uint32_t)n, be24(d->hdr)) < 0)
		d->holding = 0;
	if (!d->first_byte_seen && n) {
		d->first_byte = p[0];
		d->first_byte_seen = 1;
	}
	d->need -= (uint32_t)n;
	if (!d->need)
		finish_frame(f, d->holding ? d->payload.p : NULL);
	return n;
}

static size_t eat_preface(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h2_dir *d = f->d;
	size_t n = NF_H2_PREFACE_LEN - d->preface_have;
	if (n > len)
		n = len;
	if (memcmp(p, &NF_H2_PREFACE[d->preface_have], n)) {
		lose(f, len, NF_H2_LOST_PREFACE);
		return len;
	}
	d->preface_have = (uint8_t)(d->preface_have + n);
	if (d->preface_have < NF_H2_PREFACE_LEN)
		return n;
	/* seen from the start after all */
	f->c->fresh = 1;
	for (int i = 0; i < 2; i++) {
		nf_hpack_assume_fresh(&f->c->dir[i].hpack);
		f->c->dir[i].max_frame_known = 1;
	}
	d->state = ST_HEADER;
	d->hdr_have = 0;
	d->probation = 0;
	emit(f, NF_H2_EV_PREFACE, NULL, 0, 0);
	return n;
}

void nf_h2_gap(struct nf_h2_conn *c, int dir, uint64_t n)
{
	struct nf_h2_dir *d = &c->dir[dir & 1];
	d->lost_bytes += n;
	if (d->state == ST_PAYLOAD && !d->holding && d->need > n) {
		d->need -= (uint32_t)n;
		return;
	}
	d->state = ST_HUNT;
	lose_block(d);
}

/* A chunk starts: the direction's first, or the first after lost bytes,
 * begins a frame we must find plausible (unless the connection is known to
 * be new, for its first frame). */
static void chunk_start(struct nf_h2_conn *c, struct nf_h2_dir *d, const uint8_t *p, size_t len)
{
	if (d->state == ST_START && nf_h2_is_preface(p, len)) {
		d->state = ST_PREFACE;
		return;
	}
	if (d->state == ST_START || d->state == ST_HUNT) {
		d->probation = !c->fresh || d->state == ST_HUNT;
		d->state = ST_HEADER;
		d->hdr_have = 0;
	}
}

int nf_h2_feed(struct nf_h2_conn *c, int dir, const uint8_t *data, size_t len,
	       nf_h2_cb cb, void *ctx)
{
	struct feed f = { c, &c->dir[dir & 1], dir & 1, cb, ctx, 0 };
	struct nf_h2_dir *d = f.d;
	if (!len)
		return 0;
	chunk_start(c, d, data, len);
	while (len) {
		size_t used;
		switch (d->state) {
		case ST_PREFACE: used = eat_preface(&f, data, len); break;
		case ST_HEADER: used = eat_header(&f, data, len); break;
		case ST_PAYLOAD: used = eat_payload(&f, data, len); break;
		default: used = len; break;  /* ST_HUNT: already reported */
		}
		data += used;
		len -= used;
	}
	return f.events;
}

/* ---- names ------------------------------------------------------------- */

const char *nf_h2_type_name(uint8_t type)
{
	static const char *const names[] = {
		"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
		"PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

const char *nf_h2_error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
		"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
		"CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
	};
	return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

const char *nf_h2_setting_name(uint16_t id)
{
	static const char *const names[] = {
		NULL, "HEADER_TABLE_SIZE", "ENABLE_PUSH", "MAX_CONCURRENT_STREAMS",
		"INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE",
	};
	return id < sizeof(names) / sizeof(names[0]) ? names[id] : NULL;
}

const char *nf_h2_frame_err_name(int err)
{
	static const char *const names[] = {
		NULL, "frame size", "padding", "stream id", "continuation",
		"header block too large", "payload not held", "hpack", "out of memory",
	};
	return err > 0 && (size_t)err < sizeof(names) / sizeof(names[0]) ? names[err] : NULL;
}
