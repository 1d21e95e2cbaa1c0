/* tlstrace: ring-buffer records (bpf/tlstrace.h) into one event per TLS
 * call. Feed every record as the reader hands it over; a call's
 * TT_REC_DATA records are kept by call_id until its TT_REC_CALL arrives,
 * then the event goes to the callback and the buffer is reused.
 *
 * Pure: no syscalls, no I/O. Memory is bounded: at most max_calls calls
 * in flight and max_bytes of buffers; past either, the oldest incomplete
 * call is dropped and counted (its TT_REC_CALL, if it comes, is an event
 * with no data). Records are copied out, so they need no alignment. */
#ifndef NF_TT_ASM_H
#define NF_TT_ASM_H
#include <stddef.h>
#include <stdint.h>
#include "tt_event.h"

#define TT_ASM_CALLS 1024                   /* default max_calls */
#define TT_ASM_BYTES ((size_t)64 << 20)     /* default max_bytes */

/* ev is filled with call, data (never NULL), data_len and fd (the
 * call's); the other fields are zero for the callback to fill (clock,
 * connection, library). ev and everything it points to are valid only
 * during the call. A non-zero return is returned by tt_asm_feed. */
typedef int (*tt_event_fn)(void *ctx, struct tt_event *ev);
/* A TT_REC_MAPS record: process tgid mapped code (rescan it). */
typedef int (*tt_maps_fn)(void *ctx, uint32_t tgid);

struct tt_asm_stats {
	uint64_t events;         /* TT_REC_CALL records handed on */
	uint64_t bytes;          /* data_len summed over the events */
	uint64_t missing;        /* len - data_len summed: cut, lost in the ring or here */
	uint64_t malformed;      /* records whose length disagrees with their header */
	uint64_t unknown;        /* records of an unknown type */
	uint64_t dropped_calls;  /* incomplete calls dropped to stay within the bounds */
	uint64_t dropped_bytes;  /* the bytes they had buffered */
	uint64_t maps;           /* TT_REC_MAPS records */
};

struct tt_asm;

/* 0 for either bound takes the default; max_bytes is raised to at least
 * TT_MAX_BYTES (one whole call always fits). on_maps may be NULL. NULL
 * when out of memory. */
struct tt_asm *tt_asm_new(size_t max_calls, size_t max_bytes, tt_event_fn on_event,
			  tt_maps_fn on_maps, void *ctx);
/* One record, as nf_event_fn receives it. 0, or a callback's non-zero
 * return. A malformed or unknown record is counted and skipped. */
int tt_asm_feed(struct tt_asm *a, const void *rec, size_t len);
/* Calls waiting for their TT_REC_CALL. */
size_t tt_asm_in_flight(const struct tt_asm *a);
/* Drop every call in flight, counted as dropped (at exit, before the
 * statistics are read). */
void tt_asm_discard(struct tt_asm *a);
const struct tt_asm_stats *tt_asm_stats(const struct tt_asm *a);
void tt_asm_free(struct tt_asm *a);

#endif
