/* HTTP/1.x: one connection fed chunks in both directions (fuzz.h
 * framing); ctl bit 0 is the direction, ctl & 6: 0..1 a chunk, 2 a gap of
 * the chunk's length, 3 the direction closes. Every event is read in
 * full: the head's lines and fields, body and tunnel bytes. */
#include "fuzz.h"
#include "tlstrace/http1.h"

static uint32_t sink;

static void touch(const void *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		sink += ((const uint8_t *)p)[i];
}

static void on_event(void *ctx, const struct nf_h1_event *ev)
{
	(void)ctx;
	const struct nf_h1_msg *m = ev->msg;
	touch(ev->data, ev->len);
	if (ev->kind != NF_H1_EV_HEAD || !m)
		return;
	touch(m->method, m->method_len);
	touch(m->target, m->target_len);
	touch(m->reason, m->reason_len);
	for (uint32_t i = 0; i < m->nfields && i < NF_H1_FIELDS_KEPT; i++) {
		touch(m->fields[i].name, m->fields[i].name_len);
		touch(m->fields[i].value, m->fields[i].value_len);
	}
	if (m->request)
		touch(m->request->target, m->request->target_len);
	nf_h1_body_name(m->body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct fz in = { data, size };
	struct nf_h1_conn c;
	struct fz_op op;

	nf_h1_init(&c);
	while (fz_next(&in, &op)) {
		int dir = op.ctl & 1;
		switch ((op.ctl >> 1) & 3) {
		case 2:
			nf_h1_gap(&c, dir, op.len);
			break;
		case 3:
			nf_h1_close(&c, dir, on_event, NULL);
			break;
		default:
			nf_h1_feed(&c, dir, op.data, op.len, on_event, NULL);
		}
	}
	nf_h1_free(&c);
	return 0;
}
