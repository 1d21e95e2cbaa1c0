/* Calls in flight live in one array: [0, n) wait for their TT_REC_CALL,
 * [n, max_calls) are free slots, some keeping a small buffer for the next
 * call (no malloc per call in the steady state). A call is found by a
 * scan from the newest end: a call's records are consecutive, so the one
 * looked for is nearly always the last one added. */
#include "tt_asm.h"
#include <stdlib.h>
#include <string.h>

#define BUF_MIN 4096
#define BUF_KEEP (64u << 10)  /* a free slot keeps a buffer up to this size */
#define NONE ((size_t)-1)

struct pending {
	uint64_t call_id;
	uint64_t seq;          /* arrival order: the oldest is dropped first */
	uint8_t *buf;
	size_t len;            /* bytes held, contiguous from offset 0 */
	size_t cap;
	int gap;               /* a chunk did not continue the buffer: append no more */
};

struct tt_asm {
	struct pending *calls;
	size_t n, max_calls;
	size_t held, max_bytes; /* buffer capacity, in flight and kept */
	uint64_t seq;
	tt_event_fn on_event;
	tt_maps_fn on_maps;
	void *ctx;
	struct tt_asm_stats st;
};

struct tt_asm *tt_asm_new(size_t max_calls, size_t max_bytes, tt_event_fn on_event,
			  tt_maps_fn on_maps, void *ctx)
{
	struct tt_asm *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->max_calls = max_calls ? max_calls : TT_ASM_CALLS;
	a->max_bytes = max_bytes ? max_bytes : TT_ASM_BYTES;
	if (a->max_bytes < TT_MAX_BYTES)
		a->max_bytes = TT_MAX_BYTES;
	a->calls = calloc(a->max_calls, sizeof(*a->calls));
	if (!a->calls) {
		free(a);
		return NULL;
	}
	a->on_event = on_event;
	a->on_maps = on_maps;
	a->ctx = ctx;
	return a;
}

static void free_buf(struct tt_asm *a, struct pending *p)
{
	free(p->buf);
	a->held -= p->cap;
	p->buf = NULL;
	p->cap = 0;
}

/* Take call i out of flight: the last one moves into its place (and *keep
 * follows it), the slot goes to the free end, with its buffer if small. */
static void release(struct tt_asm *a, size_t i, size_t *keep, int free_it)
{
	size_t last = --a->n;
	struct pending p = a->calls[i];
	a->calls[i] = a->calls[last];
	a->calls[last] = p;
	if (keep && *keep == last)
		*keep = i;
	struct pending *slot = &a->calls[last];
	if (free_it || slot->cap > BUF_KEEP)
		free_buf(a, slot);
	slot->len = 0;
	slot->gap = 0;
}

/* Drop the oldest call in flight other than *keep, counting it. 0, or -1
 * when there is none. */
static int drop_oldest(struct tt_asm *a, size_t *keep, int free_it)
{
	size_t best = NONE;
	for (size_t i = 0; i < a->n; i++)
		if ((!keep || i != *keep) && (best == NONE || a->calls[i].seq < a->calls[best].seq))
			best = i;
	if (best == NONE)
		return -1;
	a->st.dropped_calls++;
	a->st.dropped_bytes += a->calls[best].len;
	release(a, best, keep, free_it);
	return 0;
}

/* Free the buffers kept by free slots. 1 if there was any. */
static int free_kept(struct tt_asm *a)
{
	int any = 0;
	for (size_t i = a->n; i < a->max_calls; i++) {
		if (a->calls[i].cap) {
			free_buf(a, &a->calls[i]);
			any = 1;
		}
	}
	return any;
}

/* Room in the byte budget for extra more, dropping kept buffers first,
 * then the oldest calls other than *keep. 0, or -1. */
static int make_room(struct tt_asm *a, size_t extra, size_t *keep)
{
	while (a->held + extra > a->max_bytes)
		if (!free_kept(a) && drop_oldest(a, keep, 1))
			return -1;
	return 0;
}

/* Call *i's buffer holds at least need bytes (need <= TT_MAX_BYTES). */
static int grow(struct tt_asm *a, size_t *i, size_t need)
{
	struct pending *p = &a->calls[*i];
	if (need <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : BUF_MIN;
	while (cap < need)
		cap *= 2;
	if (cap > TT_MAX_BYTES)
		cap = TT_MAX_BYTES;
	if (make_room(a, cap - p->cap, i))
		return -1;
	p = &a->calls[*i];
	uint8_t *b = realloc(p->buf, cap);
	if (!b)
		return -1;
	a->held += cap - p->cap;
	p->buf = b;
	p->cap = cap;
	return 0;
}

static size_t find(const struct tt_asm *a, uint64_t call_id)
{
	for (size_t i = a->n; i-- > 0;)
		if (a->calls[i].call_id == call_id)
			return i;
	return NONE;
}

static size_t add(struct tt_asm *a, uint64_t call_id)
{
	if (a->n == a->max_calls)
		drop_oldest(a, NULL, 0);
	struct pending *p = &a->calls[a->n];
	p->call_id = call_id;
	p->seq = a->seq++;
	p->len = 0;
	p->gap = 0;
	return a->n++;
}

/* A record of want bytes arrived as len: the perf buffer pads raw samples
 * to 8 bytes (with the u32 size before them), so up to 7 more are fine. */
static int size_ok(size_t len, size_t want)
{
	return len >= want && len - want < 8;
}

/* Copy a fixed-size record out (aligned); -1, counted, when its length is
 * not that size. */
static int take(struct tt_asm *a, void *out, size_t size, const uint8_t *rec, size_t len)
{
	if (!size_ok(len, size)) {
		a->st.malformed++;
		return -1;
	}
	memcpy(out, rec, size);
	return 0;
}

static void on_data(struct tt_asm *a, const uint8_t *rec, size_t len)
{
	struct tt_data h;
	if (len < sizeof(h))
		goto malformed;
	memcpy(&h, rec, sizeof(h));
	if (!h.len || h.len > TT_CHUNK || !size_ok(len, sizeof(h) + h.len) ||
	    h.offset > TT_MAX_BYTES - h.len)
		goto malformed;
	size_t i = find(a, h.call_id);
	if (i == NONE) {
		if (h.offset)
			return; /* its start was lost: nothing contiguous to keep */
		i = add(a, h.call_id);
	}
	if (a->calls[i].gap)
		return;
	/* A call's last record may overlap the one before (bpf/tlstrace.h):
	 * keep what is new; a record that starts past the end is a gap. */
	size_t have = a->calls[i].len;
	if (h.offset > have) {
		a->calls[i].gap = 1; /* the rest shows as missing in the event */
		return;
	}
	size_t skip = have - h.offset;
	if (skip >= h.len)
		return; /* nothing new */
	if (grow(a, &i, have + h.len - skip)) {
		a->calls[i].gap = 1;
		return;
	}
	struct pending *p = &a->calls[i];
	memcpy(p->buf + p->len, rec + sizeof(h) + skip, h.len - skip);
	p->len += h.len - skip;
	return;
malformed:
	a->st.malformed++;
}

static int on_call(struct tt_asm *a, const uint8_t *rec, size_t len)
{
	struct tt_call c;
	if (take(a, &c, sizeof(c), rec, len))
		return 0;
	size_t i = find(a, c.call_id);
	size_t have = i == NONE ? 0 : a->calls[i].len;
	/* The kernel sends at most len bytes, and no more than it counts. */
	if (c.captured > c.len || have > c.captured) {
		a->st.malformed++;
		return 0;
	}
	static const uint8_t none[1]; /* data is never NULL */
	struct tt_event ev = {
		.call = &c,
		.data = have ? a->calls[i].buf : none,
		.data_len = have,
		.fd = c.fd,
	};
	a->st.events++;
	a->st.bytes += have;
	a->st.missing += c.len - have;
	int r = a->on_event ? a->on_event(a->ctx, &ev) : 0;
	if (i != NONE)
		release(a, i, NULL, 0);
	return r;
}

static int on_maps(struct tt_asm *a, const uint8_t *rec, size_t len)
{
	struct tt_maps m;
	if (take(a, &m, sizeof(m), rec, len))
		return 0;
	a->st.maps++;
	return a->on_maps ? a->on_maps(a->ctx, m.tgid) : 0;
}

int tt_asm_feed(struct tt_asm *a, const void *rec, size_t len)
{
	uint32_t type;
	if (len < sizeof(type)) {
		a->st.malformed++;
		return 0;
	}
	memcpy(&type, rec, sizeof(type));
	switch (type) {
	case TT_REC_DATA:
		on_data(a, rec, len);
		return 0;
	case TT_REC_CALL:
		return on_call(a, rec, len);
	case TT_REC_MAPS:
		return on_maps(a, rec, len);
	default:
		a->st.unknown++;
		return 0;
	}
}

size_t tt_asm_in_flight(const struct tt_asm *a)
{
	return a->n;
}

void tt_asm_discard(struct tt_asm *a)
{
	while (!drop_oldest(a, NULL, 1))
		;
}

const struct tt_asm_stats *tt_asm_stats(const struct tt_asm *a)
{
	return &a->st;
}

void tt_asm_free(struct tt_asm *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->max_calls; i++)
		free(a->calls[i].buf);
	free(a->calls);
	free(a);
}
