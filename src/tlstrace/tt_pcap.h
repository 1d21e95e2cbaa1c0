/* tlstrace's plaintext as pcapng (-w): each connection a synthetic TCP
 * stream that Wireshark reassembles and dissects with no keys.
 *
 * A stream has the connection's real 4-tuple when the first event that
 * sees it knows it, else made-up IPv4 addresses (198.18.x.y for the
 * traced end, 198.19.x.y for its peer, x.y and the port from the conn id),
 * fixed for its life. The end that sent the first bytes sends the SYN: a
 * SYN, SYN-ACK, ACK at the first event, stamped with its time. Each call's
 * captured plaintext follows in segments of at most TT_PCAP_MSS, sequence
 * and acknowledgement numbers consistent in both directions; the bytes a
 * truncated call lost advance the sequence number (a gap Wireshark shows
 * as not captured). Peeked bytes are not written (the read that follows
 * carries them). A FIN each way and an ACK close the stream when its slot
 * is taken by another connection, and at exit (tt_pcap_close_all).
 *
 * When both ends of one connection are traced here, the second view seen
 * keeps the real ports but gets made-up addresses, so that each view is
 * its own stream: the comments name the view and the real addresses.
 *
 * Every packet carries a comment: pid, tid, comm, lib, func, conn (and
 * "truncated, N bytes lost"; "handshake" or "close" for the synthetic
 * packets). The interface says the data is decrypted TLS plaintext. */
#ifndef NF_TT_PCAP_H
#define NF_TT_PCAP_H
#include <stddef.h>
#include <stdint.h>
#include "out/outbuf.h"
#include "tt_event.h"

#define TT_PCAP_MSS 32768u
#define TT_PCAP_STREAMS 1024u

struct tt_pcap;

/* The largest single record written (reserve it in the outbuf). */
size_t tt_pcap_record_max(void);
/* Write the section and interface blocks to ob, which the writer uses
 * from then on. NULL when out of memory or the blocks could not be
 * reserved. */
struct tt_pcap *tt_pcap_new(struct outbuf *ob);
/* One event's packets. 0, or -1 when the outbuf refused them. */
int tt_pcap_event(struct tt_pcap *w, const struct tt_event *ev);
/* Close every stream, stamped now_ns (wall clock). */
void tt_pcap_close_all(struct tt_pcap *w, uint64_t now_ns);
void tt_pcap_free(struct tt_pcap *w);

#endif
