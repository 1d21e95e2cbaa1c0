/* HTTP decoding of tlstrace events: the connections' decoders, and one
 * event's decoded items rendered as JSON or text (see tt_http.h). */
#include "tt_http.h"
#include <stdlib.h>
#include <string.h>
#include "out/json.h"
#include "http1.h"
#include "http2.h"
#include "http_text.h"

#define FIELDS_MAX 256u
#define FIELD_BYTES (160u << 10)  /* a 64 KiB block, Huffman-decoded */
#define TAIL_ROOM 128u            /* kept free for the closing keys */
#define H1_LINE_MAX 8192u         /* a request line looked for this far */

enum { KIND_UNKNOWN, KIND_H1, KIND_H2 };
enum { DIR_WRITE, DIR_READ };

struct conn {
	uint64_t id;
	int kind;
	uint8_t h1_version;        /* of the last head seen (10, 11), or 0 */
	union {
		struct nf_h1_conn h1;
		struct nf_h2_conn h2;
	} u;
};

/* One event's rendering. */
struct render {
	struct strbuf b;
	int json;
	const char *version;
	const uint8_t *data;
	size_t data_len;
	size_t body_off;           /* text: where the bytes shown start */
	int body_seen;
	int opened;                /* JSON: the object is open */
	uint32_t items;            /* heads or frames rendered */
	uint64_t omitted, lost, body;
	struct conn *c;
};

struct tt_http {
	int json;
	struct conn *slots[TT_HTTP_CONNS];
	struct nf_hpack_out out;
	struct nf_hpack_field fields[FIELDS_MAX];
	char *field_buf;
	char *buf;
};

struct tt_http *tt_http_new(int json)
{
	struct tt_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->json = json;
	h->field_buf = malloc(FIELD_BYTES);
	h->buf = malloc(TT_HTTP_OUT_MAX);
	if (!h->field_buf || !h->buf) {
		tt_http_free(h);
		return NULL;
	}
	nf_hpack_out_init(&h->out, h->fields, FIELDS_MAX, h->field_buf, FIELD_BYTES);
	return h;
}

static void free_conn(struct conn *c)
{
	if (c && c->kind == KIND_H1)
		nf_h1_free(&c->u.h1);
	else if (c && c->kind == KIND_H2)
		nf_h2_free(&c->u.h2);
	free(c);
}

void tt_http_free(struct tt_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < TT_HTTP_CONNS; i++)
		free_conn(h->slots[i]);
	free(h->field_buf);
	free(h->buf);
	free(h);
}

/* The connection's slot; another connection there is forgotten. */
static struct conn *conn_for(struct tt_http *h, uint64_t id)
{
	struct conn **slot = &h->slots[id % TT_HTTP_CONNS];
	if (*slot && (*slot)->id == id)
		return *slot;
	free_conn(*slot);
	*slot = calloc(1, sizeof(**slot));
	if (*slot)
		(*slot)->id = id;
	return *slot;
}

/* ---- which protocol ----------------------------------------------------- */

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* "HTTP/1." or "METHOD target HTTP/1.x" up to the first CRLF. */
static int starts_h1(const uint8_t *p, size_t n)
{
	static const char version[] = " HTTP/1.";
	size_t i = 0;
	if (n >= 8 && !memcmp(p, version + 1, 7))
		return 1;
	while (i < n && i < 20 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i < 3 || i >= n || p[i] != ' ')
		return 0;
	const uint8_t *end = memchr(p, '\n', n < H1_LINE_MAX ? n : H1_LINE_MAX);
	size_t line = end ? (size_t)(end - p) : 0;
	return line > i + 10 && p[line - 1] == '\r' && !memcmp(p + line - 10, version, 8);
}

/* A whole frame whose length and stream id its type allows. */
static int starts_h2_frame(const uint8_t *p, size_t n)
{
	if (n < NF_H2_HEADER_LEN)
		return 0;
	uint32_t len = be24(p);
	uint8_t type = p[3];
	int stream = (p[5] & 0x7f) || p[6] || p[7] || p[8];
	int on_conn = type == NF_H2_SETTINGS || type == NF_H2_PING || type == NF_H2_GOAWAY;
	if (type > NF_H2_CONTINUATION || len > NF_H2_DEFAULT_MAX_FRAME || p[5] & 0x80 ||
	    NF_H2_HEADER_LEN + len > n)
		return 0;
	if (type != NF_H2_WINDOW_UPDATE && stream == on_conn)
		return 0;
	switch (type) {
	case NF_H2_SETTINGS: return len % 6 == 0;
	case NF_H2_PING: return len == 8;
	case NF_H2_WINDOW_UPDATE: case NF_H2_RST_STREAM: return len == 4;
	case NF_H2_PRIORITY: return len == 5;
	default: return 1;
	}
}

static void choose_kind(struct tt_http *h, struct conn *c, const uint8_t *p, size_t n)
{
	int preface = n >= NF_H2_PREFACE_LEN && nf_h2_is_preface(p, n);
	if (preface || starts_h2_frame(p, n)) {
		c->kind = KIND_H2;
		nf_h2_init(&c->u.h2, &h->out, preface);
	} else if (starts_h1(p, n)) {
		c->kind = KIND_H1;
		nf_h1_init(&c->u.h1);
	}
}

/* ---- rendering ---------------------------------------------------------- */

static void put_str_or_null(struct strbuf *b, const char *s, size_t n)
{
	if (s)
		nf_json_str(b, s, n);
	else
		sb_puts(b, "null");
}

static void put_pair(struct strbuf *b, const char *n, size_t nl, const char *v, size_t vl)
{
	sb_putc(b, '[');
	put_str_or_null(b, n, nl);
	sb_putc(b, ',');
	put_str_or_null(b, v, vl);
	sb_putc(b, ']');
}

/* The object's opening, once: {"version":"..." */
static void open_object(struct render *r)
{
	if (r->opened || !r->json)
		return;
	sb_puts(&r->b, "{\"version\":\"");
	sb_puts(&r->b, r->version);
	sb_putc(&r->b, '"');
	r->opened = 1;
}

static void put_h1_json(struct strbuf *b, const struct nf_h1_msg *m)
{
	const struct nf_h1_request_id *q = m->request;
	if (m->is_request) {
		nf_json_key(b, "method");
		nf_json_str(b, m->method, m->method_len);
		nf_json_key(b, "path");
		nf_json_str(b, m->target, m->target_len);
	} else {
		if (q) {
			nf_json_key(b, "method");
			nf_json_str(b, q->method, q->method_len);
			nf_json_key(b, "path");
			nf_json_str(b, q->target, q->target_len);
		}
		nf_json_key_u64(b, "status", m->status);
		nf_json_key(b, "reason");
		nf_json_str(b, m->reason, m->reason_len);
	}
	nf_json_key(b, "headers");
	sb_putc(b, '[');
	for (uint32_t i = 0; i < m->nfields; i++) {
		const struct nf_h1_field *f = &m->fields[i];
		if (i)
			sb_putc(b, ',');
		put_pair(b, f->name, f->name_len, f->value, f->value_len);
	}
	sb_putc(b, ']');
	if (m->fields_total > m->nfields)
		nf_json_key_u64(b, "headers_omitted", m->fields_total - m->nfields);
}

static void put_error_code(struct strbuf *b, uint32_t code)
{
	const char *name = nf_h2_error_name(code);
	nf_json_key(b, "error");
	if (name)
		nf_json_str(b, name, strlen(name));
	else
		sb_putu(b, code);
}

static void put_settings_json(struct strbuf *b, const struct nf_h2_frame *fr)
{
	nf_json_key(b, "settings");
	sb_putc(b, '[');
	for (uint32_t i = 0; i < fr->nsettings && i < NF_H2_SETTINGS_KEPT; i++) {
		const char *name = nf_h2_setting_name(fr->settings[i].id);
		sb_puts(b, i ? ",[" : "[");
		if (name)
			nf_json_str(b, name, strlen(name));
		else
			sb_putu(b, fr->settings[i].id);
		sb_putc(b, ',');
		sb_putu(b, fr->settings[i].value);
		sb_putc(b, ']');
	}
	sb_putc(b, ']');
}

static void put_h2_details_json(struct strbuf *b, const struct nf_h2_frame *fr)
{
	switch (fr->type) {
	case NF_H2_SETTINGS: put_settings_json(b, fr); break;
	case NF_H2_WINDOW_UPDATE: nf_json_key_u64(b, "increment", fr->increment); break;
	case NF_H2_RST_STREAM: put_error_code(b, fr->error_code); break;
	case NF_H2_PUSH_PROMISE: nf_json_key_u64(b, "promised", fr->promised); break;
	case NF_H2_GOAWAY:
		nf_json_key_u64(b, "last_stream", fr->last_stream);
		put_error_code(b, fr->error_code);
		break;
	}
}

static void put_h2_block_json(struct strbuf *b, const struct nf_h2_frame *fr)
{
	const struct nf_hpack_out *o = fr->fields;
	int unknown = 0;
	nf_json_key(b, "headers");
	sb_putc(b, '[');
	for (uint32_t i = 0; o && i < o->nfields; i++) {
		const struct nf_hpack_field *f = &o->fields[i];
		if (i)
			sb_putc(b, ',');
		put_pair(b, f->name, f->name_len, f->value, f->value_len);
		unknown |= f->flags & NF_HPACK_UNKNOWN;
	}
	sb_putc(b, ']');
	if (unknown)
		nf_json_key_str(b, "hpack", "unknown state");
	if (fr->hpack_err)
		nf_json_key_str(b, "hpack_error", nf_hpack_strerror(fr->hpack_err));
	if (o && o->dropped)
		nf_json_key_u64(b, "headers_omitted", o->dropped);
}

static void put_h2_json(struct strbuf *b, const struct nf_h2_frame *fr)
{
	const char *type = nf_h2_type_name(fr->type);
	sb_puts(b, "{\"type\":");
	if (type)
		nf_json_str(b, type, strlen(type));
	else
		sb_putu(b, fr->type);
	nf_json_key_u64(b, "stream", fr->stream);
	nf_json_key_u64(b, "flags", fr->flags);
	nf_json_key_u64(b, "len", fr->length);
	if (fr->err)
		nf_json_key_str(b, "err", nf_h2_frame_err_name(fr->err));
	else
		put_h2_details_json(b, fr);
	if (fr->block_end)
		put_h2_block_json(b, fr);
	sb_putc(b, '}');
}

static const char *h1_version_name(uint8_t v)
{
	return v == 10 ? "1.0" : v == 11 ? "1.1" : "1";
}

/* One head or frame, whole or not at all (counted as omitted). */
static void put_item(struct render *r, const struct nf_h1_msg *m, const struct nf_h2_frame *fr)
{
	struct strbuf *b = &r->b;
	size_t mark = b->len;
	int was_open = r->opened;
	open_object(r);
	if (r->json && fr) {
		sb_puts(b, r->items ? "," : ",\"frames\":[");
		put_h2_json(b, fr);
	} else if (r->json && r->items) {
		sb_puts(b, r->items == 1 ? ",\"more\":[{\"version\":\"" : ",{\"version\":\"");
		sb_puts(b, h1_version_name(m->version));
		sb_putc(b, '"');
		put_h1_json(b, m);
		sb_putc(b, '}');
	} else if (r->json) {
		put_h1_json(b, m);
	} else {
		if (fr)
			nf_h2_frame_text(b, fr);
		else
			nf_h1_msg_text(b, m);
		sb_putc(b, '\n');
	}
	if (!b->overflow) {
		r->items++;
		return;
	}
	b->overflow = 0;
	b->len = mark;
	b->p[mark] = 0;
	r->opened = was_open;
	r->omitted++;
}

static void note_body(struct render *r, const uint8_t *p, size_t n)
{
	r->body += n;
	if (r->items && !r->body_seen && p >= r->data && p < r->data + r->data_len) {
		r->body_off = (size_t)(p - r->data);
		r->body_seen = 1;
	}
}

static void on_h1(void *ctx, const struct nf_h1_event *ev)
{
	struct render *r = ctx;
	switch (ev->kind) {
	case NF_H1_EV_HEAD:
		r->c->h1_version = ev->msg->version;
		if (!r->items)
			r->version = h1_version_name(ev->msg->version);
		put_item(r, ev->msg, NULL);
		break;
	case NF_H1_EV_BODY:
	case NF_H1_EV_TUNNEL:
		note_body(r, ev->data, ev->len);
		break;
	case NF_H1_EV_LOST:
		r->lost += ev->skipped;
		break;
	}
}

static void on_h2(void *ctx, const struct nf_h2_event *ev)
{
	struct render *r = ctx;
	if (ev->kind == NF_H2_EV_FRAME) {
		put_item(r, NULL, ev->frame);
	} else if (ev->kind == NF_H2_EV_LOST) {
		r->lost += ev->skipped;
	} else if (r->json) {
		open_object(r);
		nf_json_key_bool(&r->b, "preface", 1);
	} else {
		sb_puts(&r->b, "PREFACE\n");
		r->items++;
	}
}

/* Close the JSON object with the counts (in the room kept for them). */
static void finish_json(struct render *r)
{
	struct strbuf *b = &r->b;
	if (!r->opened && !r->lost && !r->body && !r->omitted)
		return;
	b->cap += TAIL_ROOM;
	open_object(r);
	if (r->items > (r->c->kind == KIND_H2 ? 0u : 1u))
		sb_putc(b, ']');
	if (r->body)
		nf_json_key_u64(b, "body", r->body);
	if (r->lost)
		nf_json_key_u64(b, "lost", r->lost);
	if (r->omitted)
		nf_json_key_u64(b, "omitted", r->omitted);
	sb_putc(b, '}');
}

static void finish_text(struct render *r)
{
	struct strbuf *b = &r->b;
	if (!r->items)
		return;
	b->cap += TAIL_ROOM;
	if (r->lost) {
		sb_putu(b, r->lost);
		sb_puts(b, " bytes not decoded\n");
	}
	if (r->omitted) {
		sb_putu(b, r->omitted);
		sb_puts(b, " items omitted\n");
	}
	if (!r->body_seen || r->c->kind == KIND_H2)
		r->body_off = r->data_len;
}

static void feed(struct conn *c, struct render *r, int dir, const struct tt_event *ev)
{
	uint64_t gap = ev->call->len > ev->data_len ? ev->call->len - ev->data_len : 0;
	if (c->kind == KIND_H1) {
		r->version = h1_version_name(c->h1_version);
		if (ev->data_len)
			nf_h1_feed(&c->u.h1, dir, ev->data, ev->data_len, on_h1, r);
		if (gap)
			nf_h1_gap(&c->u.h1, dir, gap);
	} else {
		r->version = "2";
		if (ev->data_len)
			nf_h2_feed(&c->u.h2, dir, ev->data, ev->data_len, on_h2, r);
		if (gap)
			nf_h2_gap(&c->u.h2, dir, gap);
	}
}

void tt_http_decode(struct tt_http *h, struct tt_event *ev)
{
	ev->http = NULL;
	ev->http_len = 0;
	ev->http_body_off = 0;
	if (!ev->call->len || ev->call->flags & TT_F_PEEK || !ev->conn_id)
		return;
	struct conn *c = conn_for(h, ev->conn_id);
	if (!c)
		return;
	if (c->kind == KIND_UNKNOWN && ev->data_len)
		choose_kind(h, c, ev->data, ev->data_len);
	if (c->kind == KIND_UNKNOWN)
		return;
	struct render r = { .json = h->json, .data = ev->data, .data_len = ev->data_len, .c = c };
	sb_init(&r.b, h->buf, TT_HTTP_OUT_MAX - TAIL_ROOM);
	feed(c, &r, ev->call->flags & TT_F_WRITE ? DIR_WRITE : DIR_READ, ev);
	if (r.json)
		finish_json(&r);
	else
		finish_text(&r);
	if (r.b.len && !r.b.overflow) {
		ev->http = r.b.p;
		ev->http_len = r.b.len;
		ev->http_body_off = r.body_off;
	}
}
