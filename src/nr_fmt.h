/* netrace event formatting: pure functions over a caller's buffer, no
 * allocation. Each returns the bytes written (a full line ending in '\n'),
 * or -1 when cap is too small. */
#ifndef NF_NR_FMT_H
#define NF_NR_FMT_H
#include <stddef.h>
#include <stdint.h>
#include "netrace.h"
#include "strbuf.h"

/* Longest line either format produces, with a 15-byte interface name. */
#define NR_FMT_MAX 512

int nr_fmt_json(char *buf, size_t cap, const struct nr_event *ev, const char *ifname,
		uint64_t realtime_ns);
int nr_fmt_text(char *buf, size_t cap, const struct nr_event *ev, const char *ifname,
		uint64_t realtime_ns);

/* Pieces, shared by both formats. */
void nr_put_ip4(struct strbuf *b, const uint8_t a[4]);
/* RFC 5952: lowercase, no leading zeros, the longest run of two or more
 * zero groups as "::" (the first on ties), ::ffff:a.b.c.d for v4-mapped. */
void nr_put_ip6(struct strbuf *b, const uint8_t a[16]);
void nr_put_addr(struct strbuf *b, const uint8_t *a, int family);
/* "2026-11-28T04:05:06.123456Z" from nanoseconds since the epoch (UTC). */
void nr_put_rfc3339(struct strbuf *b, uint64_t realtime_ns);
/* "tcp", "udp", "icmp", "icmpv6", or the number; buf holds >= 4 bytes. */
const char *nr_proto_name(uint8_t proto, char buf[4]);

#endif
