#include "clock.h"
#include <time.h>

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t nr_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

/* Take realtime between two monotonic reads and pair it with their middle,
 * keeping the narrowest of a few tries. */
void nr_clock_sync(struct nr_clock *c)
{
	uint64_t best_gap = UINT64_MAX;
	for (int i = 0; i < 3; i++) {
		uint64_t m1 = read_ns(CLOCK_MONOTONIC);
		uint64_t r = read_ns(CLOCK_REALTIME);
		uint64_t m2 = read_ns(CLOCK_MONOTONIC);
		if (m2 - m1 < best_gap) {
			best_gap = m2 - m1;
			c->offset_ns = (int64_t)(r - (m1 + (m2 - m1) / 2));
			c->measured_mono = m2;
		}
	}
}

void nr_clock_refresh(struct nr_clock *c, uint64_t period_ns)
{
	if (nr_mono_ns() - c->measured_mono >= period_ns)
		nr_clock_sync(c);
}

uint64_t nr_clock_to_real(const struct nr_clock *c, uint64_t mono_ns)
{
	/* Modulo 2^64: a record's timestamp is the kernel's, any value. */
	return mono_ns + (uint64_t)c->offset_ns;
}
