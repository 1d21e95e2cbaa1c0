/* HTTP/1.x: message heads, body framing (length, chunked, close, tunnel)
 * and request/response matching. The rules are explained in http1.h. */
#include <string.h>
#include "http1.h"

/* A direction's state. */
enum { ST_HEAD, ST_LENGTH, ST_CHUNKED, ST_CLOSE, ST_TUNNEL, ST_HUNT };

/* Inside a chunked body. */
enum { CS_SIZE, CS_EXT, CS_DATA, CS_DATA_CR, CS_DATA_LF, CS_TRAILER_START, CS_TRAILER_CR,
       CS_TRAILER_LINE };

#define CHUNK_SIZE_MAX (UINT64_C(1) << 56)
#define LENGTH_MAX (UINT64_C(1) << 62)

/* One nf_h1_feed call. */
struct feed {
	struct nf_h1_conn *c;
	struct nf_h1_dir *d;
	int dir;
	nf_h1_cb cb;
	void *ctx;
	int events;
};

static void emit(struct feed *f, struct nf_h1_event ev)
{
	ev.dir = f->dir;
	f->events++;
	if (f->cb)
		f->cb(f->ctx, &ev);
}

void nf_h1_init(struct nf_h1_conn *c)
{
	*c = (struct nf_h1_conn){ 0 };
}

void nf_h1_free(struct nf_h1_conn *c)
{
	nf_gbuf_free(&c->dir[0].head);
	nf_gbuf_free(&c->dir[1].head);
	*c = (struct nf_h1_conn){ 0 };
}

static void next_message(struct nf_h1_dir *d)
{
	d->state = ST_HEAD;
	d->head.len = 0;
	d->line_checked = 0;
}

static void lose(struct feed *f, size_t skipped, int why)
{
	f->d->state = ST_HUNT;
	f->d->lost_bytes += skipped;
	emit(f, (struct nf_h1_event){ .kind = NF_H1_EV_LOST, .skipped = skipped, .why = why });
}

void nf_h1_gap(struct nf_h1_conn *c, int dir, uint64_t n)
{
	struct nf_h1_dir *d = &c->dir[dir & 1];
	int in_body = d->state == ST_LENGTH ||
		      (d->state == ST_CHUNKED && d->chunk_state == CS_DATA);
	if (in_body && d->remaining > n) {
		d->remaining -= n;
		d->body_len += n;
		return;
	}
	d->lost_bytes += n;
	if (d->state != ST_CLOSE && d->state != ST_TUNNEL)
		d->state = ST_HUNT;
}

static void end_message(struct feed *f)
{
	f->d->messages++;
	emit(f, (struct nf_h1_event){ .kind = NF_H1_EV_END, .body_len = f->d->body_len });
	next_message(f->d);
}

/* ---- characters and small parsers ------------------------------------- */

static int is_tchar(unsigned char ch)
{
	/* RFC 9110 5.6.2 */
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Methods as sent in practice: upper case letters, '-' and '_'. Stricter
 * than a token, so that a body is not taken for a request. */
static int is_method_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
}

static int is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int eq_nocase(const char *a, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	if (n != m)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char x = a[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (x != lit[i])
			return 0;
	}
	return 1;
}

static void trim(const char **p, size_t *n)
{
	while (*n && is_ows(**p))
		(*p)++, (*n)--;
	while (*n && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* "HTTP/1.x": 10 + x, or -1. */
static int parse_version(const char *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) || p[7] < '0' || p[7] > '9')
		return -1;
	return 10 + (p[7] - '0');
}

/* ---- the start line ---------------------------------------------------- */

static int parse_request_line(struct nf_h1_msg *m, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && is_method_char((unsigned char)p[i]))
		i++;
	if (i == 0 || i > NF_H1_METHOD_KEPT || i >= n || p[i] != ' ')
		return -1;
	/* target SP version: the version is the last 8 bytes */
	if (n < i + 2 + 9 || p[n - 9] != ' ')
		return -1;
	int v = parse_version(p + n - 8, 8);
	if (v < 0)
		return -1;
	const char *t = p + i + 1;
	size_t tn = n - 9 - (i + 1);
	for (size_t k = 0; k < tn; k++)
		if ((unsigned char)t[k] <= ' ' || (unsigned char)t[k] >= 0x7f)
			return -1;
	m->is_request = 1;
	m->version = (uint8_t)v;
	m->method = p;
	m->method_len = (uint32_t)i;
	m->target = t;
	m->target_len = (uint32_t)tn;
	return 0;
}

static int parse_status_line(struct nf_h1_msg *m, const char *p, size_t n)
{
	if (n < 12 || p[8] != ' ')
		return -1;
	int v = parse_version(p, 8);
	if (v < 0)
		return -1;
	unsigned status = 0;
	for (int k = 9; k < 12; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		status = status * 10 + (unsigned)(p[k] - '0');
	}
	if (status < 100 || (n > 12 && p[12] != ' '))
		return -1;
	m->is_request = 0;
	m->version = (uint8_t)v;
	m->status = (uint16_t)status;
	m->reason = n > 13 ? p + 13 : p + n;
	m->reason_len = n > 13 ? (uint32_t)(n - 13) : 0;
	return 0;
}

static int parse_start_line(struct nf_h1_msg *m, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < ' ' && p[i] != '\t')
			return -1;
	return n >= 5 && !memcmp(p, "HTTP/", 5) ? parse_status_line(m, p, n)
						 : parse_request_line(m, p, n);
}

/* Before the first line is whole: could these bytes begin one? */
static int could_start(const char *p, size_t n)
{
	static const char http[] = "HTTP/";
	size_t k = n < 5 ? n : 5;
	if (!memcmp(p, http, k))
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (!is_method_char((unsigned char)p[i]) || i >= NF_H1_METHOD_KEPT)
			return 0;
	}
	return 1;
}

/* ---- header fields and framing ---------------------------------------- */

/* The next item of a comma-separated list, trimmed; 0 after the last
 * (*p is NULL then). */
static int next_item(const char **p, const char *end, const char **item, size_t *n)
{
	if (!*p)
		return 0;
	const char *comma = memchr(*p, ',', (size_t)(end - *p));
	const char *stop = comma ? comma : end;
	*item = *p;
	*n = (size_t)(stop - *p);
	trim(item, n);
	*p = comma ? comma + 1 : NULL;
	return 1;
}

/* Content-Length: digits, or a list of the same number (RFC 9110 8.6). */
static int parse_length(const char *p, size_t n, uint64_t *out)
{
	const char *item, *end = p + n;
	size_t in;
	int seen = 0;
	while (next_item(&p, end, &item, &in)) {
		uint64_t v = 0;
		if (!in)
			return -1;
		for (size_t i = 0; i < in; i++) {
			if (item[i] < '0' || item[i] > '9' || v > LENGTH_MAX / 10)
				return -1;
			v = v * 10 + (uint64_t)(item[i] - '0');
		}
		if (seen && v != *out)
			return -1;
		*out = v;
		seen = 1;
	}
	return 0;
}

/* The last coding of a Transfer-Encoding list (parameters after ';'). */
static int last_is_chunked(const char *p, size_t n)
{
	const char *item, *end = p + n, *last = p;
	size_t in, last_n = 0;
	while (next_item(&p, end, &item, &in)) {
		const char *semi = memchr(item, ';', in);
		if (semi) {
			in = (size_t)(semi - item);
			trim(&item, &in);
		}
		if (in) {
			last = item;
			last_n = in;
		}
	}
	return eq_nocase(last, last_n, "chunked");
}

struct framing {
	int has_length, has_te, chunked, length_bad;
	uint64_t length;
};

static void note_field(struct framing *fr, const char *name, size_t nn, const char *v, size_t vn)
{
	if (eq_nocase(name, nn, "content-length")) {
		uint64_t len = 0;
		if (parse_length(v, vn, &len) < 0 || (fr->has_length && len != fr->length))
			fr->length_bad = 1;
		fr->has_length = 1;
		fr->length = len;
	} else if (eq_nocase(name, nn, "transfer-encoding")) {
		fr->has_te = 1;
		fr->chunked = last_is_chunked(v, vn);  /* the last field's last coding counts */
	}
}

/* One field line (without its line end). */
static void parse_field(struct nf_h1_msg *m, struct framing *fr, const char *p, size_t n)
{
	if (n && is_ows(p[0])) {
		m->bad |= NF_H1_BAD_FOLD;
		return;
	}
	const char *colon = memchr(p, ':', n);
	size_t nn = colon ? (size_t)(colon - p) : 0;
	for (size_t i = 0; i < nn; i++)
		if (!is_tchar((unsigned char)p[i]))
			nn = 0;
	if (!nn) {
		m->bad |= NF_H1_BAD_LINE;
		return;
	}
	const char *v = colon + 1;
	size_t vn = n - nn - 1;
	trim(&v, &vn);
	note_field(fr, p, nn, v, vn);
	if (m->nfields < NF_H1_FIELDS_KEPT)
		m->fields[m->nfields++] = (struct nf_h1_field){ p, v, (uint32_t)nn, (uint32_t)vn };
	m->fields_total++;
}

static int method_is(const struct nf_h1_request_id *r, const char *name)
{
	return r && r->method_len == strlen(name) && !memcmp(r->method, name, r->method_len);
}

/* RFC 9112 6.3, in its order. */
static void choose_body(struct nf_h1_msg *m, const struct framing *fr)
{
	if (fr->has_te && fr->has_length)
		m->bad |= NF_H1_BOTH_LENGTHS;
	if (fr->length_bad)
		m->bad |= NF_H1_BAD_LENGTH;
	if (fr->has_te && !fr->chunked)
		m->bad |= NF_H1_BAD_TE;
	if (!m->is_request) {
		if (m->status == 101 ||
		    (method_is(m->request, "CONNECT") && m->status >= 200 && m->status < 300))
			m->body = NF_H1_BODY_TUNNEL;
		else if (m->status < 200 || m->status == 204 || m->status == 304 ||
			 method_is(m->request, "HEAD"))
			m->body = NF_H1_BODY_NONE;
		else if (fr->has_te)
			m->body = fr->chunked ? NF_H1_BODY_CHUNKED : NF_H1_BODY_CLOSE;
		else if (fr->has_length && !fr->length_bad)
			m->body = NF_H1_BODY_LENGTH;
		else
			m->body = NF_H1_BODY_CLOSE;
	} else if (fr->has_te) {
		m->body = fr->chunked ? NF_H1_BODY_CHUNKED : NF_H1_BODY_UNKNOWN;
	} else if (fr->length_bad) {
		m->body = NF_H1_BODY_UNKNOWN;
	} else {
		m->body = fr->has_length ? NF_H1_BODY_LENGTH : NF_H1_BODY_NONE;
	}
	if (m->body == NF_H1_BODY_LENGTH) {
		m->content_length = fr->length;
		if (!fr->length)
			m->body = NF_H1_BODY_NONE;
	}
}

/* ---- matching ---------------------------------------------------------- */

static void push_request(struct nf_h1_conn *c, struct nf_h1_msg *m)
{
	m->seq = c->next_request++;
	if (c->pending_count == NF_H1_PENDING)
		return;  /* its response will come unmatched, in its turn */
	struct nf_h1_request_id *r = &c->pending[(c->pending_first + c->pending_count++) % NF_H1_PENDING];
	size_t tn = m->target_len < NF_H1_TARGET_KEPT ? m->target_len : NF_H1_TARGET_KEPT;
	*r = (struct nf_h1_request_id){ .seq = m->seq, .method_len = (uint8_t)m->method_len,
					 .target_len = (uint16_t)tn, .target_full_len = m->target_len };
	memcpy(r->method, m->method, m->method_len);
	memcpy(r->target, m->target, tn);
}

static const struct nf_h1_request_id *oldest_pending(const struct nf_h1_conn *c)
{
	return c->pending_count ? &c->pending[c->pending_first] : NULL;
}

/* The request a response answers; a final response takes it off. */
static void match_response(struct nf_h1_conn *c, struct nf_h1_dir *d, struct nf_h1_msg *m)
{
	m->seq = UINT64_MAX;
	m->request = NULL;
	if (c->next_answer >= c->next_request)
		return;  /* no request seen is waiting: it came before we watched */
	const struct nf_h1_request_id *r = oldest_pending(c);
	int interim = m->status < 200 && m->status != 101;
	m->seq = c->next_answer;
	if (r && r->seq == m->seq) {
		d->answered = *r;
		m->request = &d->answered;
	}
	if (interim)
		return;
	c->next_answer++;
	if (m->request) {
		c->pending_first = (c->pending_first + 1) % NF_H1_PENDING;
		c->pending_count--;
	}
}

/* ---- the head ------------------------------------------------------------ */

/* Where the head ends: just past the empty line, or 0. */
static size_t head_end(const char *p, size_t n, size_t from)
{
	for (size_t i = from; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Split a whole head into its lines. 0, or -1 for a bad start line. */
static int parse_head(struct feed *f, const char *h, size_t n)
{
	struct nf_h1_msg *m = &f->d->msg;
	struct framing fr = { 0 };
	*m = (struct nf_h1_msg){ .head_len = (uint32_t)n };
	const char *end = h + n;
	int first = 1;
	for (const char *line = h; line < end;) {
		const char *lf = memchr(line, '\n', (size_t)(end - line));
		size_t ln = (size_t)(lf - line);
		if (ln && line[ln - 1] == '\r')
			ln--;
		if (first) {
			if (parse_start_line(m, line, ln) < 0)
				return -1;
			first = 0;
		} else if (ln) {
			parse_field(m, &fr, line, ln);
		}
		line = lf + 1;
	}
	if (m->is_request)
		push_request(f->c, m);
	else
		match_response(f->c, f->d, m);
	choose_body(m, &fr);
	return 0;
}

/* Both ways become a tunnel; the other only if it is between messages. */
static void tunnel(struct feed *f)
{
	struct nf_h1_dir *o = &f->c->dir[!f->dir];
	f->d->state = ST_TUNNEL;
	if (o->state == ST_HEAD && !o->head.len)
		o->state = ST_TUNNEL;
}

/* A whole head: report it, then read its body. */
static void head_done(struct feed *f, const char *h, size_t n, size_t rest)
{
	struct nf_h1_dir *d = f->d;
	if (parse_head(f, h, n) < 0) {
		lose(f, n + rest, NF_H1_LOST_START_LINE);
		return;
	}
	emit(f, (struct nf_h1_event){ .kind = NF_H1_EV_HEAD, .msg = &d->msg });
	d->head.len = 0;
	d->body_len = 0;
	d->remaining = d->msg.content_length;
	switch (d->msg.body) {
	case NF_H1_BODY_NONE: end_message(f); break;
	case NF_H1_BODY_LENGTH: d->state = ST_LENGTH; break;
	case NF_H1_BODY_CHUNKED:
		d->state = ST_CHUNKED;
		d->chunk_state = CS_SIZE;
		d->chunk_digits = 0;
		d->remaining = 0;
		break;
	case NF_H1_BODY_CLOSE: d->state = ST_CLOSE; break;
	case NF_H1_BODY_TUNNEL: end_message(f); tunnel(f); break;
	default: lose(f, rest, NF_H1_LOST_FRAMING); break;
	}
}

/* Check the first line as soon as it can be judged; 0 to go on. */
static int check_first_line(struct feed *f, const char *p, size_t n, size_t rest)
{
	struct nf_h1_dir *d = f->d;
	if (d->line_checked)
		return 0;
	const char *lf = memchr(p, '\n', n);
	struct nf_h1_msg probe;
	size_t ln = lf ? (size_t)(lf - p) : n;
	if (lf && ln && p[ln - 1] == '\r')
		ln--;
	if (lf ? parse_start_line(&probe, p, ln) == 0 : could_start(p, n)) {
		d->line_checked = !!lf;
		return 0;
	}
	lose(f, rest, NF_H1_LOST_START_LINE);
	return -1;
}

static size_t eat_head(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h1_dir *d = f->d;
	size_t skip = 0;
	if (!d->head.len) {
		/* RFC 9112 2.2: empty lines before a message are ignored */
		while (skip < len && (p[skip] == '\r' || p[skip] == '\n'))
			skip++;
		if (skip == len)
			return len;
		p += skip;
		len -= skip;
		size_t e = head_end((const char *)p, len, 0);
		if (check_first_line(f, (const char *)p, e ? e : len, len) < 0)
			return skip + len;
		if (e) {
			head_done(f, (const char *)p, e, len - e);  /* whole in the chunk: no copy */
			return skip + (d->state == ST_HUNT ? len : e);
		}
	}
	/* across chunks: gather it */
	size_t old = d->head.len;
	size_t n = len < NF_H1_HEAD_CAP - old ? len : NF_H1_HEAD_CAP - old;
	if (nf_gbuf_append(&d->head, p, (uint32_t)n, NF_H1_HEAD_CAP) < 0) {
		lose(f, len, NF_H1_LOST_NOMEM);
		return skip + len;
	}
	const char *h = (const char *)d->head.p;
	if (check_first_line(f, h, d->head.len, len) < 0)
		return skip + len;
	size_t e = head_end(h, d->head.len, old > 2 ? old - 2 : 0);
	if (!e) {
		if (d->head.len == NF_H1_HEAD_CAP)
			lose(f, len, NF_H1_LOST_HEAD_SIZE);
		return skip + (d->state == ST_HUNT ? len : n);
	}
	size_t used = e - old;
	head_done(f, h, e, len - used);
	return skip + (d->state == ST_HUNT ? len : used);
}

/* ---- bodies ------------------------------------------------------------ */

static void body_bytes(struct feed *f, int kind, const uint8_t *p, size_t n)
{
	f->d->body_len += n;
	emit(f, (struct nf_h1_event){ .kind = kind, .data = p, .len = n });
}

static size_t eat_length(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h1_dir *d = f->d;
	size_t n = d->remaining < len ? (size_t)d->remaining : len;
	body_bytes(f, NF_H1_EV_BODY, p, n);
	d->remaining -= n;
	if (!d->remaining)
		end_message(f);
	return n;
}

static int hex_value(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The chunk size line: hex digits, then extensions up to the line end. */
static int chunk_size_byte(struct nf_h1_dir *d, uint8_t ch)
{
	int v = hex_value(ch);
	if (d->chunk_state == CS_SIZE && v >= 0) {
		if (d->remaining >= CHUNK_SIZE_MAX)
			return -1;
		d->remaining = d->remaining * 16 + (unsigned)v;
		d->chunk_digits = 1;
		return 0;
	}
	if (!d->chunk_digits)
		return -1;
	if (ch == '\n')
		d->chunk_state = d->remaining ? CS_DATA : CS_TRAILER_START;
	else if (d->chunk_state == CS_SIZE && ch != ';' && ch != '\r' && !is_ows((char)ch))
		return -1;
	else
		d->chunk_state = CS_EXT;
	return 0;
}

/* The line end after a chunk's data: the next size line follows. */
static int chunk_data_end(struct nf_h1_dir *d, uint8_t ch)
{
	if (ch != '\n')
		return -1;
	d->chunk_state = CS_SIZE;
	d->chunk_digits = 0;
	d->remaining = 0;
	return 0;
}

/* Everything but the data: one byte. 1 when the message ended. */
static int chunk_byte(struct nf_h1_dir *d, uint8_t ch)
{
	switch (d->chunk_state) {
	case CS_SIZE: case CS_EXT:
		return chunk_size_byte(d, ch);
	case CS_DATA_CR:
		if (ch == '\r') {
			d->chunk_state = CS_DATA_LF;
			return 0;
		}
		return chunk_data_end(d, ch);  /* a bare LF ends the data too */
	case CS_DATA_LF:
		return chunk_data_end(d, ch);
	case CS_TRAILER_START:
		d->chunk_state = ch == '\r' ? CS_TRAILER_CR : ch == '\n' ? CS_TRAILER_START : CS_TRAILER_LINE;
		return ch == '\n';
	case CS_TRAILER_CR:
		d->chunk_state = CS_TRAILER_LINE;
		return ch == '\n';
	default:  /* CS_TRAILER_LINE */
		if (ch == '\n')
			d->chunk_state = CS_TRAILER_START;
		return 0;
	}
}

static size_t eat_chunked(struct feed *f, const uint8_t *p, size_t len)
{
	struct nf_h1_dir *d = f->d;
	if (d->chunk_state == CS_DATA) {
		size_t n = d->remaining < len ? (size_t)d->remaining : len;
		body_bytes(f, NF_H1_EV_BODY, p, n);
		d->remaining -= n;
		if (!d->remaining)
			d->chunk_state = CS_DATA_CR;
		return n;
	}
	size_t i = 0;
	while (i < len && d->chunk_state != CS_DATA) {
		int r = chunk_byte(d, p[i++]);
		if (r < 0) {
			lose(f, len - i + 1, NF_H1_LOST_CHUNK);
			return len;
		}
		if (r > 0) {
			end_message(f);
			return i;
		}
	}
	return i;
}

int nf_h1_feed(struct nf_h1_conn *c, int dir, const uint8_t *data, size_t len,
	       nf_h1_cb cb, void *ctx)
{
	struct feed f = { c, &c->dir[dir & 1], dir & 1, cb, ctx, 0 };
	struct nf_h1_dir *d = f.d;
	if (d->state == ST_HUNT)
		next_message(d);  /* a chunk start: try again */
	while (len) {
		size_t used;
		switch (d->state) {
		case ST_HEAD: used = eat_head(&f, data, len); break;
		case ST_LENGTH: used = eat_length(&f, data, len); break;
		case ST_CHUNKED: used = eat_chunked(&f, data, len); break;
		case ST_CLOSE: body_bytes(&f, NF_H1_EV_BODY, data, len); used = len; break;
		case ST_TUNNEL: body_bytes(&f, NF_H1_EV_TUNNEL, data, len); used = len; break;
		default: used = len; break;  /* ST_HUNT: already reported */
		}
		data += used;
		len -= used;
	}
	return f.events;
}

int nf_h1_close(struct nf_h1_conn *c, int dir, nf_h1_cb cb, void *ctx)
{
	struct feed f = { c, &c->dir[dir & 1], dir & 1, cb, ctx, 0 };
	if (f.d->state == ST_CLOSE)
		end_message(&f);
	return f.events;
}

const char *nf_h1_body_name(int body)
{
	static const char *const names[] = { "none", "length", "chunked", "close", "tunnel", "unknown" };
	return body >= 0 && body <= NF_H1_BODY_UNKNOWN ? names[body] : "?";
}
