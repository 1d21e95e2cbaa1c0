/* HTTP decoding of tlstrace events (pure: no syscalls). Per connection
 * (conn_id) one HTTP/1.x or HTTP/2 decoder, both directions; what an
 * event's data decodes to is rendered into the event (ev->http) as JSON
 * (the "http" key's object) or as text, for the formats to print.
 *
 * A connection's protocol is decided by its first chunk that starts like
 * one: the HTTP/2 client preface, an HTTP/1.x request or status line, or
 * (joined mid-connection) a whole HTTP/2 frame of a plausible shape. Until
 * then nothing is decoded. Peeked bytes (read again later) are not fed;
 * the bytes a truncated call lost are a gap (nf_h1_gap, nf_h2_gap).
 *
 * Connections are kept in a table of TT_HTTP_CONNS slots by conn_id (ids
 * are sequential): a connection whose slot another takes is forgotten,
 * its decoder freed, and starts again as unknown if it shows up again.
 * Memory is allocated when a connection is first decoded; an event is
 * rendered into one buffer of TT_HTTP_OUT_MAX allocated at creation, so
 * formatting stays allocation-free. Items that do not fit are counted
 * ("omitted"). */
#ifndef NF_TT_HTTP_H
#define NF_TT_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include "tt_event.h"

#define TT_HTTP_CONNS 1024u
#define TT_HTTP_OUT_MAX (256u << 10)

struct tt_http;

/* json: render for tt_fmt_json, else for tt_fmt_text. NULL when out of
 * memory. */
struct tt_http *tt_http_new(int json);
void tt_http_free(struct tt_http *h);
/* Feed ev's data to its connection's decoder and set ev->http,
 * ev->http_len and ev->http_body_off (http NULL when nothing decoded; the
 * rendering is valid until the next call). */
void tt_http_decode(struct tt_http *h, struct tt_event *ev);

#endif
