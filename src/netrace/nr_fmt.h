/* netrace event formatting: pure functions over a caller's buffer, no
 * allocation. Each returns the bytes written (a full line ending in '\n'),
 * or -1 when cap is too small. */
#ifndef NF_NR_FMT_H
#define NF_NR_FMT_H
#include <stddef.h>
#include <stdint.h>
#include "netrace.h"
#include "out/fmt.h"

/* Longest line either format produces, with a 15-byte interface name. */
#define NR_FMT_MAX 512

/* ifname_json: the interface name as a JSON string, quoted and escaped
 * (nr_json_iface, done once per interface rather than per event). */
int nr_fmt_json(char *buf, size_t cap, const struct nr_event *ev, const char *ifname_json,
		uint64_t realtime_ns);
/* A name escaped for JSON is at most 6 bytes a byte, plus quotes and NUL. */
#define NR_JSON_IFACE_MAX (6 * 16 + 3)
void nr_json_iface(char out[NR_JSON_IFACE_MAX], const char *name);
int nr_fmt_text(char *buf, size_t cap, const struct nr_event *ev, const char *ifname,
		uint64_t realtime_ns);

#endif
