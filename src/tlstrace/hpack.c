/* HPACK header block decoding (RFC 7541): integers, strings, the static
 * table, one dynamic table, the four representations and size updates.
 * The unknown-state rules are explained in hpack.h. */
#include <stdlib.h>
#include <string.h>
#include "hpack.h"

/* An entry's flags. */
#define ENT_NAME_ABSENT  0x1u  /* the name's bytes are not held (unknown or cut) */
#define ENT_VALUE_ABSENT 0x2u
#define ENT_NAME_NOLEN   0x4u  /* the name's length is not known either: size is a lower bound */

struct nf_hpack_slot {
	uint32_t off;                  /* of the name in bytes[]; the value follows */
	uint32_t name_len, value_len;
	uint8_t flags;                 /* ENT_* */
};

/* Appendix A. */
#define S(n, v) { n, v, sizeof(n) - 1, sizeof(v) - 1 }
static const struct {
	const char *name, *value;
	uint8_t name_len, value_len;
} static_table[NF_HPACK_STATIC_COUNT] = {
	S(":authority", ""), S(":method", "GET"), S(":method", "POST"),
	S(":path", "/"), S(":path", "/index.html"), S(":scheme", "http"),
	S(":scheme", "https"), S(":status", "200"), S(":status", "204"),
	S(":status", "206"), S(":status", "304"), S(":status", "400"),
	S(":status", "404"), S(":status", "500"), S("accept-charset", ""),
	S("accept-encoding", "gzip, deflate"), S("accept-language", ""),
	S("accept-ranges", ""), S("accept", ""),
	S("access-control-allow-origin", ""), S("age", ""), S("allow", ""),
	S("authorization", ""), S("cache-control", ""),
	S("content-disposition", ""), S("content-encoding", ""),
	S("content-language", ""), S("content-length", ""),
	S("content-location", ""), S("content-range", ""),
	S("content-type", ""), S("cookie", ""), S("date", ""), S("etag", ""),
	S("expect", ""), S("expires", ""), S("from", ""), S("host", ""),
	S("if-match", ""), S("if-modified-since", ""), S("if-none-match", ""),
	S("if-range", ""), S("if-unmodified-since", ""), S("last-modified", ""),
	S("link", ""), S("location", ""), S("max-forwards", ""),
	S("proxy-authenticate", ""), S("proxy-authorization", ""),
	S("range", ""), S("referer", ""), S("refresh", ""),
	S("retry-after", ""), S("server", ""), S("set-cookie", ""),
	S("strict-transport-security", ""), S("transfer-encoding", ""),
	S("user-agent", ""), S("vary", ""), S("via", ""),
	S("www-authenticate", ""),
};
#undef S

/* ---- the output ------------------------------------------------------ */

void nf_hpack_out_init(struct nf_hpack_out *o, struct nf_hpack_field *fields,
		       uint32_t max_fields, char *buf, size_t buf_cap)
{
	*o = (struct nf_hpack_out){ .fields = fields, .max_fields = max_fields,
				    .buf = buf, .buf_cap = buf_cap };
}

void nf_hpack_out_reset(struct nf_hpack_out *o)
{
	o->nfields = o->dropped = 0;
	o->buf_used = 0;
}

/* A name or value while a field is decoded. */
#define STR_ABSENT 0x1u  /* p is NULL */
#define STR_CUT    0x2u  /* absent because the caller's buffer was full */
#define STR_NOLEN  0x4u  /* the length is unknown too */
#define STR_MOVES  0x8u  /* p points into the dynamic table: copy before inserting */

struct str {
	const char *p;
	uint32_t len;
	uint8_t flags;
};

/* Copy s into the caller's buffer if it points into memory that changes
 * (the block, the dynamic table), or mark it cut. */
static void keep(struct nf_hpack_out *o, struct str *s)
{
	if (!(s->flags & STR_MOVES))
		return;
	if (s->len == 0) {
		*s = (struct str){ "", 0, 0 };
		return;
	}
	if (o->buf_cap - o->buf_used < s->len) {
		*s = (struct str){ NULL, s->len, STR_ABSENT | STR_CUT };
		return;
	}
	memcpy(o->buf + o->buf_used, s->p, s->len);
	s->p = o->buf + o->buf_used;
	s->flags &= ~STR_MOVES;
	o->buf_used += s->len;
}

static uint8_t field_flags(const struct str *name, const struct str *value)
{
	uint8_t f = 0;
	if (name->flags & STR_ABSENT)
		f |= NF_HPACK_UNKNOWN_NAME;
	if (value->flags & STR_ABSENT)
		f |= NF_HPACK_UNKNOWN_VALUE;
	if ((name->flags | value->flags) & STR_CUT)
		f |= NF_HPACK_CUT;
	return f;
}

/* Add a field; past max_fields it is only counted, and its bytes are given
 * back (mark: buf_used before it). */
static void emit(struct nf_hpack_out *o, size_t mark, uint8_t rep, uint32_t index,
		 const struct str *name, const struct str *value)
{
	if (o->nfields >= o->max_fields) {
		o->dropped++;
		o->buf_used = mark;
		return;
	}
	o->fields[o->nfields++] = (struct nf_hpack_field){
		.name = name->p, .value = value->p,
		.name_len = name->len, .value_len = value->len,
		.index = index, .rep = rep, .flags = field_flags(name, value),
	};
}

/* ---- the dynamic table ----------------------------------------------- */

void nf_hpack_init(struct nf_hpack *d, int unknown_state)
{
	*d = (struct nf_hpack){ 0 };
	if (unknown_state) {
		d->max_size = NF_HPACK_SIZE_CAP;
		d->limit = UINT32_MAX;
		d->unseen = 1;
	} else {
		d->max_size = d->limit = NF_HPACK_DEFAULT_SIZE;
		d->max_known = 1;
	}
}

void nf_hpack_free(struct nf_hpack *d)
{
	free(d->bytes);
	free(d->slots);
	*d = (struct nf_hpack){ 0 };
}

static struct nf_hpack_slot *slot_at(const struct nf_hpack *d, uint32_t age)
{
	/* age 0 is the oldest */
	return &d->slots[(d->first + age) % d->slots_cap];
}

static uint32_t stored_len(const struct nf_hpack_slot *s)
{
	return (s->flags & ENT_NAME_ABSENT ? 0 : s->name_len) +
	       (s->flags & ENT_VALUE_ABSENT ? 0 : s->value_len);
}

static void evict_oldest(struct nf_hpack *d)
{
	struct nf_hpack_slot *s = slot_at(d, 0);
	d->size -= NF_HPACK_ENTRY_OVERHEAD + s->name_len + s->value_len;
	if (s->flags & ENT_NAME_NOLEN)
		d->inexact--;
	d->head += stored_len(s);
	d->first = (d->first + 1) % d->slots_cap;
	if (--d->count == 0)
		d->head = d->tail = d->first = 0;
}

static void evict_to(struct nf_hpack *d, uint64_t room_for)
{
	while (d->count && d->size + room_for > d->max_size)
		evict_oldest(d);
}

static void clear_table(struct nf_hpack *d)
{
	d->count = d->first = d->head = d->tail = 0;
	d->size = d->inexact = 0;
}

/* Could an entry we never saw still be in the table? Not once what we
 * hold, counted exactly against the real maximum, leaves no room for the
 * smallest entry. */
static void check_seen(struct nf_hpack *d)
{
	if (d->unseen && d->max_known && !d->inexact &&
	    d->size + NF_HPACK_ENTRY_OVERHEAD > d->max_size)
		d->unseen = 0;
}

void nf_hpack_desync(struct nf_hpack *d)
{
	clear_table(d);
	d->unseen = 1;
}

void nf_hpack_assume_fresh(struct nf_hpack *d)
{
	if (d->blocks || !d->unseen)
		return;
	clear_table(d);
	d->unseen = 0;
	d->max_known = 1;
	d->max_size = NF_HPACK_DEFAULT_SIZE;
	if (d->limit == UINT32_MAX)
		d->limit = NF_HPACK_DEFAULT_SIZE;
}

void nf_hpack_set_limit(struct nf_hpack *d, uint32_t limit)
{
	d->limit = limit;
	/* A lower limit shrinks the table now, as the peer's decoder does; if
	 * our maximum was not known it is at least a bound we can evict to
	 * without dropping what the peer still holds. */
	if (d->max_size > limit) {
		d->max_size = limit;
		evict_to(d, 0);
		check_seen(d);
	}
}

/* One more entry slot: the ring doubles (from 16), made linear on the
 * way, never past what max_size can hold. */
static int grow_slots(struct nf_hpack *d)
{
	if (d->count < d->slots_cap)
		return 0;
	uint32_t most = d->max_size / NF_HPACK_ENTRY_OVERHEAD + 1;
	uint32_t n = d->slots_cap ? 2 * d->slots_cap : 16;
	if (n > most)
		n = most;  /* still more than count: every entry counts 32 */
	struct nf_hpack_slot *s = malloc(n * sizeof(*s));
	if (!s)
		return NF_HPACK_E_NOMEM;
	for (uint32_t i = 0; i < d->count; i++)
		s[i] = *slot_at(d, i);
	free(d->slots);
	d->slots = s;
	d->slots_cap = n;
	d->first = 0;
	return 0;
}

/* Move the held bytes down to 0 so the free space is one run at the end. */
static void compact(struct nf_hpack *d)
{
	if (!d->head)
		return;
	memmove(d->bytes, d->bytes + d->head, d->tail - d->head);
	for (uint32_t i = 0; i < d->count; i++)
		slot_at(d, i)->off -= d->head;
	d->tail -= d->head;
	d->head = 0;
}

/* Room for need more bytes after the held ones: the buffer doubles (from
 * 256), never past max_size, which always holds them (every entry also
 * counts 32 bytes it does not store). It exists once there is an entry,
 * even one of no bytes: offsets into it are taken. */
static int grow_bytes(struct nf_hpack *d, uint32_t need)
{
	uint32_t held = d->tail - d->head;
	if (!d->bytes || held + need > d->bytes_cap) {
		uint32_t n = d->bytes_cap ? 2 * d->bytes_cap : 256;
		while (n < held + need)
			n *= 2;
		if (n > d->max_size)
			n = d->max_size;
		uint8_t *b = realloc(d->bytes, n);
		if (!b)
			return NF_HPACK_E_NOMEM;
		d->bytes = b;
		d->bytes_cap = n;
	}
	if (d->tail + need > d->bytes_cap)
		compact(d);
	return 0;
}

/* 4.4: evict until the entry fits, then add it; an entry larger than the
 * whole table empties it and is not added. Absent bytes are not stored but
 * still counted (the size is exact unless the name's length is unknown). */
static int insert(struct nf_hpack *d, const struct str *name, const struct str *value)
{
	uint64_t esize = (uint64_t)NF_HPACK_ENTRY_OVERHEAD + name->len + value->len;
	if (esize > d->max_size) {
		clear_table(d);
		if (d->max_known)  /* the real table is empty now too */
			d->unseen = 0;
		return 0;
	}
	evict_to(d, esize);
	uint32_t need = (name->flags & STR_ABSENT ? 0 : name->len) +
			(value->flags & STR_ABSENT ? 0 : value->len);
	int err = grow_slots(d);
	if (!err)
		err = grow_bytes(d, need);
	if (err)
		return err;
	struct nf_hpack_slot *s = slot_at(d, d->count);
	*s = (struct nf_hpack_slot){ .off = d->tail, .name_len = name->len,
				     .value_len = value->len };
	if (name->flags & STR_ABSENT)
		s->flags |= ENT_NAME_ABSENT;
	else
		memcpy(d->bytes + d->tail, name->p, name->len);
	if (value->flags & STR_ABSENT)
		s->flags |= ENT_VALUE_ABSENT;
	else
		memcpy(d->bytes + d->tail + (s->flags & ENT_NAME_ABSENT ? 0 : name->len),
		       value->p, value->len);
	if (name->flags & STR_NOLEN) {
		s->flags |= ENT_NAME_NOLEN;
		d->inexact++;
	}
	d->tail += need;
	d->count++;
	d->size += (uint32_t)esize;
	check_seen(d);
	return 0;
}

/* 6.3 */
static int size_update(struct nf_hpack *d, uint32_t v)
{
	if (v > d->limit)
		return NF_HPACK_E_TABLE_UPDATE;
	if (v <= NF_HPACK_SIZE_CAP) {
		d->max_size = v;
		d->max_known = 1;
	} else {
		/* Allowed, but larger than we keep: evict early and treat what
		 * falls out as unseen. */
		d->max_size = NF_HPACK_SIZE_CAP;
		d->max_known = 0;
		d->unseen = 1;
	}
	evict_to(d, 0);
	check_seen(d);
	return 0;
}

uint32_t nf_hpack_count(const struct nf_hpack *d)
{
	return d->count;
}

uint32_t nf_hpack_size(const struct nf_hpack *d)
{
	return d->size;
}

/* Name and value of dynamic entry i (1 = newest), pointing into the table. */
static void entry_strs(const struct nf_hpack *d, uint32_t i, struct str *name, struct str *value)
{
	const struct nf_hpack_slot *s = slot_at(d, d->count - i);
	const char *p = (const char *)d->bytes + s->off;
	if (s->flags & ENT_NAME_ABSENT) {
		*name = (struct str){ NULL, s->name_len, STR_ABSENT };
		if (s->flags & ENT_NAME_NOLEN)
			name->flags |= STR_NOLEN;
	} else {
		*name = (struct str){ p, s->name_len, STR_MOVES };
		p += s->name_len;
	}
	if (s->flags & ENT_VALUE_ABSENT)
		*value = (struct str){ NULL, s->value_len, STR_ABSENT };
	else
		*value = (struct str){ p, s->value_len, STR_MOVES };
}

int nf_hpack_entry(const struct nf_hpack *d, uint32_t i, struct nf_hpack_field *f)
{
	struct str name, value;
	if (i == 0 || i > d->count)
		return -1;
	entry_strs(d, i, &name, &value);
	*f = (struct nf_hpack_field){
		.name = name.p, .value = value.p, .name_len = name.len,
		.value_len = value.len, .index = NF_HPACK_STATIC_COUNT + i,
		.flags = field_flags(&name, &value),
	};
	return 0;
}

/* 2.3.3: 1..61 static, then dynamic, newest first. */
static int lookup(const struct nf_hpack *d, uint32_t index, struct str *name, struct str *value)
{
	if (index == 0)
		return NF_HPACK_E_INDEX;
	if (index <= NF_HPACK_STATIC_COUNT) {
		*name = (struct str){ static_table[index - 1].name, static_table[index - 1].name_len, 0 };
		*value = (struct str){ static_table[index - 1].value, static_table[index - 1].value_len, 0 };
		return 0;
	}
	uint32_t i = index - NF_HPACK_STATIC_COUNT;
	if (i <= d->count) {
		entry_strs(d, i, name, value);
		return 0;
	}
	if (!d->unseen)
		return NF_HPACK_E_INDEX;
	*name = (struct str){ NULL, 0, STR_ABSENT | STR_NOLEN };
	*value = (struct str){ NULL, 0, STR_ABSENT };
	return 0;
}

/* ---- the wire format ------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t n, pos;
};

/* 5.1: an integer with an N-bit prefix. */
static int read_int(struct cursor *c, unsigned prefix_bits, uint32_t *v)
{
	if (c->pos >= c->n)
		return NF_HPACK_E_TRUNC;
	uint32_t max_prefix = (1u << prefix_bits) - 1;
	uint64_t val = c->p[c->pos++] & max_prefix;
	if (val < max_prefix) {
		*v = (uint32_t)val;
		return 0;
	}
	for (unsigned shift = 0;; shift += 7) {
		if (c->pos >= c->n)
			return NF_HPACK_E_TRUNC;
		uint8_t b = c->p[c->pos++];
		/* 32 bits take at most 5 continuation bytes; more is a value we
		 * refuse however it is padded. */
		if (shift > 28)
			return NF_HPACK_E_INT;
		val += (uint64_t)(b & 0x7f) << shift;
		if (val > UINT32_MAX)
			return NF_HPACK_E_INT;
		if (!(b & 0x80))
			break;
	}
	*v = (uint32_t)val;
	return 0;
}

/* 5.2: a string literal, decoded into the caller's buffer (or only
 * measured when it does not fit). */
static int read_string(struct cursor *c, struct nf_hpack_out *o, struct str *s)
{
	if (c->pos >= c->n)
		return NF_HPACK_E_TRUNC;
	int huffman = c->p[c->pos] & 0x80;
	uint32_t len;
	int err = read_int(c, 7, &len);
	if (err)
		return err;
	if (len > c->n - c->pos)
		return NF_HPACK_E_STRLEN;
	const uint8_t *raw = c->p + c->pos;
	c->pos += len;
	if (!huffman) {
		*s = (struct str){ (const char *)raw, len, STR_MOVES };
		keep(o, s);
		return 0;
	}
	char *dst = o->buf ? o->buf + o->buf_used : NULL;
	size_t n;
	err = dst ? nf_huff_decode(raw, len, (uint8_t *)dst, o->buf_cap - o->buf_used, &n)
		  : NF_HPACK_E_SPACE;
	if (err == NF_HPACK_E_SPACE) {
		err = nf_huff_decode(raw, len, NULL, 0, &n);
		if (err)
			return err;
		*s = n ? (struct str){ NULL, (uint32_t)n, STR_ABSENT | STR_CUT }
		       : (struct str){ "", 0, 0 };
		return 0;
	}
	if (err)
		return err;
	*s = (struct str){ dst, (uint32_t)n, 0 };
	o->buf_used += n;
	return 0;
}

/* 6.2: a literal field; prefix_bits of its name index. */
static int literal(struct nf_hpack *d, struct cursor *c, struct nf_hpack_out *o,
		   unsigned prefix_bits, uint8_t rep)
{
	size_t mark = o->buf_used;
	struct str name, value;
	uint32_t index;
	int err = read_int(c, prefix_bits, &index);
	if (err)
		return err;
	if (index) {
		err = lookup(d, index, &name, &value);
		if (err)
			return err;
		keep(o, &name);  /* the insert below may evict it */
	} else {
		err = read_string(c, o, &name);
		if (err)
			return err;
	}
	err = read_string(c, o, &value);
	if (err)
		return err;
	if (rep == NF_HPACK_INCREMENTAL) {
		err = insert(d, &name, &value);
		if (err)
			return err;
	}
	emit(o, mark, rep, index, &name, &value);
	return 0;
}

static int indexed(struct nf_hpack *d, struct cursor *c, struct nf_hpack_out *o)
{
	size_t mark = o->buf_used;
	struct str name, value;
	uint32_t index;
	int err = read_int(c, 7, &index);
	if (!err)
		err = lookup(d, index, &name, &value);
	if (err)
		return err;
	keep(o, &name);
	keep(o, &value);
	emit(o, mark, NF_HPACK_INDEXED, index, &name, &value);
	return 0;
}

static int decode_one(struct nf_hpack *d, struct cursor *c, struct nf_hpack_out *o, int *fields)
{
	uint8_t b = c->p[c->pos];
	if (b & 0x80) {
		(*fields)++;
		return indexed(d, c, o);
	}
	if (b & 0x40) {
		(*fields)++;
		return literal(d, c, o, 6, NF_HPACK_INCREMENTAL);
	}
	if (b & 0x20) {
		/* 4.2: size updates come first in a block */
		uint32_t v;
		int err = read_int(c, 5, &v);
		if (!err && *fields)
			err = NF_HPACK_E_TABLE_UPDATE;
		return err ? err : size_update(d, v);
	}
	(*fields)++;
	return literal(d, c, o, 4, b & 0x10 ? NF_HPACK_NEVER_INDEXED : NF_HPACK_NOT_INDEXED);
}

int nf_hpack_decode(struct nf_hpack *d, const uint8_t *block, size_t len, struct nf_hpack_out *out)
{
	struct cursor c = { block, len, 0 };
	int fields = 0;
	nf_hpack_out_reset(out);
	while (c.pos < c.n) {
		int err = decode_one(d, &c, out, &fields);
		if (err) {
			nf_hpack_desync(d);
			return err;
		}
	}
	d->blocks++;
	return 0;
}

const char *nf_hpack_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case NF_HPACK_E_TRUNC: return "header block truncated";
	case NF_HPACK_E_INT: return "integer too large";
	case NF_HPACK_E_STRLEN: return "string longer than the block";
	case NF_HPACK_E_HUFFMAN: return "bad Huffman code";
	case NF_HPACK_E_INDEX: return "index out of range";
	case NF_HPACK_E_TABLE_UPDATE: return "bad table size update";
	case NF_HPACK_E_NOMEM: return "out of memory";
	case NF_HPACK_E_SPACE: return "output full";
	}
	return "unknown error";
}
