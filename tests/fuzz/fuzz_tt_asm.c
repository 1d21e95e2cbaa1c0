/* tlstrace's record assembly: ring-buffer records (bpf/tlstrace.h) into
 * one event per call. Each operation (fuzz.h framing) is one record at
 * whatever alignment it lands; ctl 0xff drops the calls in flight instead.
 * The bounds are small (4 calls) so that eviction runs; every event's data
 * is read in full. */
#include "fuzz.h"
#include "tlstrace/tt_asm.h"

static uint32_t sink;

static int on_event(void *ctx, struct tt_event *ev)
{
	(void)ctx;
	for (size_t i = 0; i < ev->data_len; i++)
		sink += ev->data[i];
	sink += ev->call->comm[0];
	return 0;
}

static int on_maps(void *ctx, uint32_t tgid)
{
	(void)ctx;
	sink += tgid;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct tt_asm *a = tt_asm_new(4, 1, on_event, on_maps, NULL);
	if (!a)
		return 0;
	struct fz in = { data, size };
	struct fz_op op;
	while (fz_next(&in, &op)) {
		if (op.ctl == 0xff)
			tt_asm_discard(a);
		else
			tt_asm_feed(a, op.data, op.len);
		tt_asm_in_flight(a);
	}
	tt_asm_discard(a);
	tt_asm_stats(a);
	tt_asm_free(a);
	return 0;
}
