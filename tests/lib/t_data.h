/* Test data: bytes written as hex, and a deterministic generator for the
 * damage tests (a fixed seed, so a failure reproduces; NF_FLIP_SEED=N in
 * the environment tries another). */
#ifndef NF_T_DATA_H
#define NF_T_DATA_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* "8286 84be" -> bytes (anything but lower-case hex digits is skipped);
 * at most cap bytes, the count returned. */
static inline size_t t_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else if (n < cap) {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static uint32_t t_rng = 0x2545f491;

/* Take NF_FLIP_SEED when it is set; call before the first t_rand(). */
static inline void t_rand_seed(void)
{
	const char *s = getenv("NF_FLIP_SEED");
	if (s)
		t_rng = (uint32_t)strtoul(s, NULL, 0) | 1;  /* never 0, where xorshift sticks */
}

/* xorshift32 */
static inline uint32_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 17;
	t_rng ^= t_rng << 5;
	return t_rng;
}

#endif
