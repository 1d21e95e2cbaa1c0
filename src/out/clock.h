/* bpf_ktime_get_ns() is CLOCK_MONOTONIC; events are printed in wall-clock
 * time through an offset measured at start and refreshed periodically. */
#ifndef NF_CLOCK_H
#define NF_CLOCK_H
#include <stdint.h>

struct nr_clock {
	int64_t offset_ns;        /* realtime - monotonic */
	uint64_t measured_mono;   /* when offset_ns was taken */
};

/* Measure the offset now. */
void nr_clock_sync(struct nr_clock *c);
/* Re-measure when more than period_ns passed since the last time. */
void nr_clock_refresh(struct nr_clock *c, uint64_t period_ns);
/* Pure: a monotonic timestamp as nanoseconds since the epoch. */
uint64_t nr_clock_to_real(const struct nr_clock *c, uint64_t mono_ns);
uint64_t nr_mono_ns(void);

#endif
