/* HTTP/2: one connection fed chunks in both directions (fuzz.h framing);
 * ctl bit 0 is the direction, ctl & 6: 0..2 a chunk, 3 a gap of the
 * chunk's length (bytes never captured). The first byte of the input says
 * whether the connection is seen from its start. Every event's frame is
 * read in full: payload, settings, debug data and decoded fields. */
#include "fuzz.h"
#include "tlstrace/http2.h"

static uint32_t sink;

static void touch(const uint8_t *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		sink += p[i];
}

static void on_event(void *ctx, const struct nf_h2_event *ev)
{
	(void)ctx;
	const struct nf_h2_frame *f = ev->frame;
	if (ev->kind != NF_H2_EV_FRAME || !f)
		return;
	nf_h2_type_name(f->type);
	nf_h2_error_name(f->error_code);
	nf_h2_frame_err_name(f->err);
	touch(f->payload, f->length);
	touch(f->debug, f->debug_len);
	for (uint32_t i = 0; i < f->nsettings && i < NF_H2_SETTINGS_KEPT; i++)
		nf_h2_setting_name(f->settings[i].id);
	if (f->block_end && f->fields) {
		const struct nf_hpack_out *o = f->fields;
		for (uint32_t i = 0; i < o->nfields; i++) {
			touch((const uint8_t *)o->fields[i].name, o->fields[i].name ? o->fields[i].name_len : 0);
			touch((const uint8_t *)o->fields[i].value, o->fields[i].value ? o->fields[i].value_len : 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct fz in = { data, size };
	struct nf_h2_conn c;
	struct nf_hpack_field fields[64];
	static char buf[8192];
	struct nf_hpack_out out;
	struct fz_op op;

	nf_hpack_out_init(&out, fields, 64, buf, sizeof(buf));
	nf_h2_init(&c, &out, fz_u8(&in) & 1);
	while (fz_next(&in, &op)) {
		int dir = op.ctl & 1;
		if (((op.ctl >> 1) & 3) == 3) {
			nf_h2_gap(&c, dir, op.len);
		} else {
			nf_h2_is_preface(op.data, op.len);
			nf_h2_feed(&c, dir, op.data, op.len, on_event, NULL);
		}
	}
	nf_h2_free(&c);
	return 0;
}
