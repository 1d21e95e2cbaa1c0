/* The interfaces netrace runs on, watched: one that is deleted is said
 * once, and the run goes on with the others; when none is left it ends
 * (exit 1), rather than wait on a device that will not come back. */
#ifndef NF_NR_IFWATCH_H
#define NF_NR_IFWATCH_H
#include <stddef.h>
#include <stdint.h>
#include "nr_sink.h"

struct nr_ifwatch {
	const struct nr_iface_ent *ifs;
	size_t n, left;
	uint8_t *gone;             /* per interface: said to be gone */
	uint64_t next_ns;          /* the next look */
};

/* 0, or -ENOMEM. */
int nr_ifwatch_init(struct nr_ifwatch *w, const struct nr_iface_ent *ifs, size_t n);
/* At most once a second (now: CLOCK_MONOTONIC ns): the links are listed
 * (RTM_GETLINK) and an ifindex no longer there is gone. 0 while one is
 * left, -1 when all are gone. A failed listing changes nothing. */
int nr_ifwatch_check(struct nr_ifwatch *w, uint64_t now);
void nr_ifwatch_free(struct nr_ifwatch *w);

#endif
