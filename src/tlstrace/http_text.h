/* Plain text of decoded HTTP items, appended to a strbuf: for tests and
 * debugging (tlstrace's JSON is written elsewhere). Bytes outside
 * printable ASCII come out as \xHH: nothing a peer sent reaches a terminal
 * raw. */
#ifndef NF_HTTP_TEXT_H
#define NF_HTTP_TEXT_H
#include <stddef.h>
#include "out/strbuf.h"
#include "hpack.h"
#include "http1.h"
#include "http2.h"

void nf_put_escaped(struct strbuf *b, const char *p, size_t n);
/* "name: value"; unknown parts as <unknown>, left-out ones as <cut N>. */
void nf_hpack_field_text(struct strbuf *b, const struct nf_hpack_field *f);
/* A frame: type, stream, len, flags, details, then one indented line a
 * header field when it ends a block. */
void nf_h2_frame_text(struct strbuf *b, const struct nf_h2_frame *fr);
/* A message head: start line and framing, then one indented line a field. */
void nf_h1_msg_text(struct strbuf *b, const struct nf_h1_msg *m);
/* One line for the event, then one indented line a header field. */
void nf_h2_event_text(struct strbuf *b, const struct nf_h2_event *ev);
void nf_h1_event_text(struct strbuf *b, const struct nf_h1_event *ev);

#endif
