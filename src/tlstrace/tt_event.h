/* tlstrace in userspace: one assembled event per TLS call, and what is
 * known of its connection. Shared by assembly (tt_asm), the socket
 * resolver (tt_sock), the formats (tt_fmt_*) and the run loop. */
#ifndef NF_TT_EVENT_H
#define NF_TT_EVENT_H
#include <stddef.h>
#include <stdint.h>
#include "tlstrace.h"
#include "tt_funcs.h"

/* The 4-tuple of a connection, where the resolver found it. */
struct tt_addr {
	int known;           /* 0: no syscall named the fd, or not a TCP socket */
	uint8_t family;      /* 4 or 6, as netrace's nr_event.family */
	/* IPv4 in the first 4 bytes. The resolver gives src = this process's
	 * end; an event has src > dst as its bytes went (a read: the peer first). */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;    /* host order */
};

/* One call, assembled. data holds the captured plaintext from offset 0:
 * data_len bytes, contiguous (a lost chunk ends it; the rest counts as
 * lost). len - data_len bytes are missing: cut by --max-bytes (call->flags
 * & TT_F_CUT) or lost (ring full). */
struct tt_event {
	const struct tt_call *call;
	const uint8_t *data;
	size_t data_len;
	uint64_t realtime_ns;     /* the call's return, on the wall clock */
	uint64_t conn_id;         /* stable per (pid, SSL *), from 1 */
	int fd;                   /* -1 when unknown */
	struct tt_addr addr;
	const char *lib;          /* the lib key: "openssl", "gnutls", ... */
	/* What the HTTP decoder made of data (tt_http.h), or NULL: in JSON the
	 * value of the "http" key (an object), in text the lines shown instead
	 * of the bytes before http_body_off (the rest are shown as bytes). */
	const char *http;
	size_t http_len;
	size_t http_body_off;
};

#endif
