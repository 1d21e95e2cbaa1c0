/* Plain text of HTTP/1.x, HTTP/2 and HPACK items (see http_text.h). */
#include "http_text.h"

static const char hex_digits[] = "0123456789abcdef";

void nf_put_escaped(struct strbuf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			sb_putc(b, (char)ch);
			continue;
		}
		char esc[4] = { '\\', 'x', hex_digits[ch >> 4], hex_digits[ch & 15] };
		sb_putn(b, esc, 4);
	}
}

static void put_hex(struct strbuf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sb_putc(b, hex_digits[p[i] >> 4]);
		sb_putc(b, hex_digits[p[i] & 15]);
	}
}

static void put_kv(struct strbuf *b, const char *key, uint64_t v)
{
	sb_putc(b, ' ');
	sb_puts(b, key);
	sb_putc(b, '=');
	sb_putu(b, v);
}

/* A name or value that may be absent. */
static void put_part(struct strbuf *b, const char *p, uint32_t len, int cut)
{
	if (p) {
		nf_put_escaped(b, p, len);
	} else if (cut && len) {
		sb_puts(b, "<cut ");
		sb_putu(b, len);
		sb_putc(b, '>');
	} else {
		sb_puts(b, "<unknown>");
	}
}

void nf_hpack_field_text(struct strbuf *b, const struct nf_hpack_field *f)
{
	int cut = !!(f->flags & NF_HPACK_CUT);
	put_part(b, f->name, f->name_len, cut);
	sb_puts(b, ": ");
	put_part(b, f->value, f->value_len, cut);
	if (f->rep == NF_HPACK_NEVER_INDEXED)
		sb_puts(b, " (never indexed)");
}

/* ---- HTTP/2 ------------------------------------------------------------ */

/* The flags the frame's type defines by name, any other bits in hex. */
static void put_h2_flags(struct strbuf *b, const struct nf_h2_frame *fr)
{
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ NF_H2_F_END_STREAM, "END_STREAM" }, { NF_H2_F_END_HEADERS, "END_HEADERS" },
		{ NF_H2_F_PADDED, "PADDED" }, { NF_H2_F_PRIORITY, "PRIORITY" },
	};
	static const uint8_t defined[NF_H2_CONTINUATION + 1] = {
		[NF_H2_DATA] = NF_H2_F_END_STREAM | NF_H2_F_PADDED,
		[NF_H2_HEADERS] = NF_H2_F_END_STREAM | NF_H2_F_END_HEADERS | NF_H2_F_PADDED | NF_H2_F_PRIORITY,
		[NF_H2_SETTINGS] = NF_H2_F_ACK, [NF_H2_PING] = NF_H2_F_ACK,
		[NF_H2_PUSH_PROMISE] = NF_H2_F_END_HEADERS | NF_H2_F_PADDED,
		[NF_H2_CONTINUATION] = NF_H2_F_END_HEADERS,
	};
	int ack_type = fr->type == NF_H2_SETTINGS || fr->type == NF_H2_PING;
	uint8_t named = fr->type <= NF_H2_CONTINUATION ? fr->flags & defined[fr->type] : 0;
	uint8_t other = fr->flags & (uint8_t)~named;
	int any = 0;
	sb_puts(b, " flags=");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(named & names[i].bit))
			continue;
		if (any++)
			sb_putc(b, '|');
		sb_puts(b, ack_type ? "ACK" : names[i].name);
	}
	if (other) {
		if (any++)
			sb_putc(b, '|');
		sb_puts(b, "0x");
		put_hex(b, &other, 1);
	}
	if (!any)
		sb_putc(b, '0');
}

static void put_h2_error(struct strbuf *b, uint32_t code)
{
	const char *name = nf_h2_error_name(code);
	sb_puts(b, " error=");
	if (name)
		sb_puts(b, name);
	else
		sb_putu(b, code);
}

static void put_h2_settings(struct strbuf *b, const struct nf_h2_frame *fr)
{
	for (uint32_t i = 0; i < fr->nsettings && i < NF_H2_SETTINGS_KEPT; i++) {
		const char *name = nf_h2_setting_name(fr->settings[i].id);
		sb_putc(b, ' ');
		if (name)
			sb_puts(b, name);
		else
			sb_putu(b, fr->settings[i].id);
		sb_putc(b, '=');
		sb_putu(b, fr->settings[i].value);
	}
}

static void put_h2_details(struct strbuf *b, const struct nf_h2_frame *fr)
{
	int paddable = fr->type == NF_H2_DATA || fr->type == NF_H2_HEADERS ||
		       fr->type == NF_H2_PUSH_PROMISE;
	if (paddable && fr->flags & NF_H2_F_PADDED)
		put_kv(b, "pad", fr->pad_len);
	if (fr->has_priority) {
		put_kv(b, "exclusive", fr->exclusive);
		put_kv(b, "depends", fr->depends_on);
		put_kv(b, "weight", fr->weight);
	}
	switch (fr->type) {
	case NF_H2_RST_STREAM: put_h2_error(b, fr->error_code); break;
	case NF_H2_SETTINGS: put_h2_settings(b, fr); break;
	case NF_H2_PUSH_PROMISE: put_kv(b, "promised", fr->promised); break;
	case NF_H2_PING: sb_puts(b, " data="); put_hex(b, fr->ping, 8); break;
	case NF_H2_WINDOW_UPDATE: put_kv(b, "increment", fr->increment); break;
	case NF_H2_GOAWAY:
		put_kv(b, "last", fr->last_stream);
		put_h2_error(b, fr->error_code);
		sb_puts(b, " debug=\"");
		nf_put_escaped(b, (const char *)fr->debug, fr->debug_len);
		sb_putc(b, '"');
		break;
	}
}

static void put_h2_block(struct strbuf *b, const struct nf_h2_frame *fr)
{
	sb_puts(b, " block=");
	sb_puts(b, nf_h2_type_name(fr->block_type));
	put_kv(b, "frames", fr->block_frames);
	put_kv(b, "bytes", fr->block_len);
	if (fr->hpack_err) {
		sb_puts(b, " hpack=\"");
		sb_puts(b, nf_hpack_strerror(fr->hpack_err));
		sb_putc(b, '"');
	}
	if (!fr->fields)
		return;
	if (fr->fields->dropped)
		put_kv(b, "dropped", fr->fields->dropped);
	for (uint32_t i = 0; i < fr->fields->nfields; i++) {
		sb_puts(b, "\n  ");
		nf_hpack_field_text(b, &fr->fields->fields[i]);
	}
}

void nf_h2_frame_text(struct strbuf *b, const struct nf_h2_frame *fr)
{
	const char *type = nf_h2_type_name(fr->type);
	if (type) {
		sb_puts(b, type);
	} else {
		sb_puts(b, "type-");
		sb_putu(b, fr->type);
	}
	put_kv(b, "stream", fr->stream);
	put_kv(b, "len", fr->length);
	put_h2_flags(b, fr);
	if (fr->err) {
		sb_puts(b, " err=\"");
		sb_puts(b, nf_h2_frame_err_name(fr->err));
		sb_putc(b, '"');
	} else {
		put_h2_details(b, fr);
	}
	if (fr->block_end)
		put_h2_block(b, fr);
}

void nf_h2_event_text(struct strbuf *b, const struct nf_h2_event *ev)
{
	sb_putu(b, (unsigned)ev->dir);
	sb_putc(b, ' ');
	switch (ev->kind) {
	case NF_H2_EV_PREFACE: sb_puts(b, "PREFACE"); break;
	case NF_H2_EV_FRAME: nf_h2_frame_text(b, ev->frame); break;
	case NF_H2_EV_LOST:
		sb_puts(b, "LOST");
		put_kv(b, "bytes", ev->skipped);
		put_kv(b, "why", (unsigned)ev->why);
		break;
	}
}

/* ---- HTTP/1.x ---------------------------------------------------------- */

static void put_version(struct strbuf *b, unsigned v)
{
	sb_puts(b, "HTTP/");
	sb_putu(b, v / 10);
	sb_putc(b, '.');
	sb_putu(b, v % 10);
}

void nf_h1_msg_text(struct strbuf *b, const struct nf_h1_msg *m)
{
	if (m->is_request) {
		nf_put_escaped(b, m->method, m->method_len);
		sb_putc(b, ' ');
		nf_put_escaped(b, m->target, m->target_len);
		sb_putc(b, ' ');
		put_version(b, m->version);
		put_kv(b, "seq", m->seq);
	} else {
		put_version(b, m->version);
		sb_putc(b, ' ');
		sb_putu(b, m->status);
		sb_putc(b, ' ');
		nf_put_escaped(b, m->reason, m->reason_len);
		sb_puts(b, " for=");
		if (m->request) {
			nf_put_escaped(b, m->request->method, m->request->method_len);
			sb_putc(b, ' ');
			nf_put_escaped(b, m->request->target, m->request->target_len);
			put_kv(b, "seq", m->request->seq);
		} else {
			sb_puts(b, "?");
		}
	}
	sb_puts(b, " body=");
	sb_puts(b, nf_h1_body_name(m->body));
	if (m->body == NF_H1_BODY_LENGTH)
		put_kv(b, "length", m->content_length);
	put_kv(b, "head", m->head_len);
	if (m->bad)
		put_kv(b, "bad", m->bad);
	for (uint32_t i = 0; i < m->nfields; i++) {
		sb_puts(b, "\n  ");
		nf_put_escaped(b, m->fields[i].name, m->fields[i].name_len);
		sb_puts(b, ": ");
		nf_put_escaped(b, m->fields[i].value, m->fields[i].value_len);
	}
}

void nf_h1_event_text(struct strbuf *b, const struct nf_h1_event *ev)
{
	static const char *const kinds[] = { "?", "HEAD", "BODY", "END", "TUNNEL", "LOST" };
	sb_putu(b, (unsigned)ev->dir);
	sb_putc(b, ' ');
	sb_puts(b, ev->kind > 0 && ev->kind <= NF_H1_EV_LOST ? kinds[ev->kind] : "?");
	sb_putc(b, ' ');
	switch (ev->kind) {
	case NF_H1_EV_HEAD: nf_h1_msg_text(b, ev->msg); break;
	case NF_H1_EV_BODY: case NF_H1_EV_TUNNEL: sb_putu(b, ev->len); break;
	case NF_H1_EV_END: sb_putu(b, ev->body_len); break;
	case NF_H1_EV_LOST:
		sb_putu(b, ev->skipped);
		put_kv(b, "why", (unsigned)ev->why);
		break;
	}
}
