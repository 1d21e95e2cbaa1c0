/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c): a cursor over
 * the fuzzer's input, and the framing of inputs that are a sequence of
 * operations (chunks of a stream, records of a ring).
 *
 * Framing (tests/fuzz/seeds.c writes seeds in it): each operation is one
 * control byte, a 16-bit little-endian length and that many bytes (fewer
 * when the input ends first). What the control byte means is the
 * harness's: its low bit is the direction where there is one. */
#ifndef NF_FUZZ_H
#define NF_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const uint8_t *p;
	size_t n;
};

struct fz_op {
	uint8_t ctl;
	const uint8_t *data;
	size_t len;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

/* The next operation: 1 with *op, 0 when the input is used up. */
static inline int fz_next(struct fz *f, struct fz_op *op)
{
	if (!f->n)
		return 0;
	op->ctl = fz_u8(f);
	size_t len = fz_u8(f);
	len |= (size_t)fz_u8(f) << 8;
	if (len > f->n)
		len = f->n;
	op->data = f->p;
	op->len = len;
	f->p += len;
	f->n -= len;
	return 1;
}

/* The parsers report errors through nf_seterr and the log: keep the
 * fuzzer's output to its own lines. */
static inline void fz_quiet(void)
{
	nf_log_level = NF_LOG_ERROR - 1;
}

#endif
