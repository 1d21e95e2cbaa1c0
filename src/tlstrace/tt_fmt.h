/* tlstrace event formatting: pure functions over a caller's buffer, no
 * allocation. Each returns the bytes written (ending in '\n'), or -1 when
 * cap is too small; a cap of tt_fmt_size(ev->data_len, hex) always
 * suffices. The steady state needs no buffer of its own: reserve
 * tt_fmt_size(max_bytes, hex) in an outbuf (outbuf_init's max_record)
 * and format in place. */
#ifndef NF_TT_FMT_H
#define NF_TT_FMT_H
#include <stddef.h>
#include "tt_event.h"

/* ev->lib is printed up to this many bytes. */
#define TT_FMT_LIB_MAX 64

/* Enough room for either format of an event carrying data_len bytes. */
size_t tt_fmt_size(size_t data_len, int hex);

/* One JSON object on one line, keys in this order (those in [] only
 * where they apply):
 *   ts pid tid comm lib func dir len data truncated [lost_bytes] [peek]
 *   conn [fd] [src dst sport dport] [http]
 * data is base64; http is ev->http as it is (an object, tt_http.h); lost_bytes is len - data_len, when truncated; a NULL
 * lib prints as "unknown". */
int tt_fmt_json(char *buf, size_t cap, const struct tt_event *ev);
/* A header line, tcpdump-like:
 *   TS COMM PID/TID LIB FUNC DIR len N [SRC.SPORT > DST.DPORT] [conn C]
 *   [truncated, N bytes lost]
 * (COMM and LIB escaped as the payload is, spaces too, so each stays one
 * field; conn when conn_id is set), then the payload: printable ASCII as
 * it is, '\n' as line breaks, other bytes escaped (\r \t \\ \xHH), and a
 * final '\n' when the payload has none; with hex, a dump as xxd's. With
 * ev->http, its lines come first and the payload from ev->http_body_off. */
int tt_fmt_text(char *buf, size_t cap, const struct tt_event *ev, int hex);

#endif
