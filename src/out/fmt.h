/* Address, time and protocol formatting shared by every command's output:
 * appends to a strbuf, no allocation. */
#ifndef NF_FMT_H
#define NF_FMT_H
#include <stdint.h>
#include "strbuf.h"

void nf_put_ip4(struct strbuf *b, const uint8_t a[4]);
/* RFC 5952: lowercase, no leading zeros, the longest run of two or more
 * zero groups as "::" (the first on ties), ::ffff:a.b.c.d for v4-mapped. */
void nf_put_ip6(struct strbuf *b, const uint8_t a[16]);
/* family is 4 or 6. */
void nf_put_addr(struct strbuf *b, const uint8_t *a, int family);
/* "2026-11-28T04:05:06.123456Z" from nanoseconds since the epoch (UTC). */
void nf_put_rfc3339(struct strbuf *b, uint64_t realtime_ns);
/* "tcp", "udp", "icmp", "icmpv6", or the number; buf holds >= 4 bytes. */
const char *nf_proto_name(uint8_t proto, char buf[4]);

#endif
