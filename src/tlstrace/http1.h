/* HTTP/1.x messages (RFC 9112) from one connection's plaintext, as
 * tlstrace captures it: per direction, in chunks as the application wrote
 * or read them. Pure: no syscalls, no I/O.
 *
 * Each message head (request or status line and header fields) is handed
 * to a callback once complete; the body is not parsed, only framed, so the
 * next message is found: Content-Length, chunked transfer coding (the
 * chunk data handed on, de-chunked, as body events), until the connection
 * closes, or none (HEAD responses, 1xx, 204, 304). After a 101 or a
 * successful CONNECT both directions are a tunnel of opaque bytes.
 *
 * Responses are matched to requests per connection, in order (RFC 9112
 * 9.3: responses come in the order of the requests): a FIFO of the
 * requests' methods and targets. A response names the request it answers,
 * or none when that request was not seen (joined mid-connection) or did
 * not fit the FIFO (numbered, so the later ones still match).
 *
 * Starting mid-connection, or after bytes that are not HTTP: a message is
 * looked for at the start of each chunk only (its first line must be a
 * request or status line); a chunk that does not start one is dropped
 * (NF_H1_EV_LOST).
 *
 * Memory, per direction: the head being read when it spans chunks, up to
 * NF_H1_HEAD_CAP (allocated when first needed); per connection, the FIFO
 * (NF_H1_PENDING requests, NF_H1_TARGET_KEPT bytes of each target): with
 * the fixed parts, under 8 KiB plus the two head buffers. */
#ifndef NF_HTTP1_H
#define NF_HTTP1_H
#include <stddef.h>
#include <stdint.h>
#include "grow_buf.h"

#define NF_H1_HEAD_CAP 16384u     /* a longer head loses the direction */
#define NF_H1_FIELDS_KEPT 64u     /* fields listed; the rest only counted */
#define NF_H1_PENDING 8u          /* requests awaiting their response */
#define NF_H1_METHOD_KEPT 16u
#define NF_H1_TARGET_KEPT 256u

struct nf_h1_field {
	const char *name, *value;    /* not NUL-terminated; value without surrounding spaces */
	uint32_t name_len, value_len;
};

/* A request as remembered for its response. */
struct nf_h1_request_id {
	uint64_t seq;                /* 0 for the first request seen on the connection */
	char method[NF_H1_METHOD_KEPT];
	char target[NF_H1_TARGET_KEPT];
	uint8_t method_len;
	uint16_t target_len;         /* of what is kept */
	uint32_t target_full_len;    /* of the real target */
};

/* How a body is framed. */
enum {
	NF_H1_BODY_NONE,
	NF_H1_BODY_LENGTH,   /* Content-Length */
	NF_H1_BODY_CHUNKED,
	NF_H1_BODY_CLOSE,    /* until the connection closes (nf_h1_close) */
	NF_H1_BODY_TUNNEL,   /* after 101 or CONNECT 2xx: not HTTP any more */
	NF_H1_BODY_UNKNOWN,  /* a request whose length cannot be told: the direction is lost */
};

/* Oddities of a head (flags). */
#define NF_H1_BAD_LINE     0x01u  /* a field line without a colon, or a bad name: skipped */
#define NF_H1_BAD_FOLD     0x02u  /* an obsolete folded line: skipped */
#define NF_H1_BAD_LENGTH   0x04u  /* Content-Length unreadable or conflicting */
#define NF_H1_BAD_TE       0x08u  /* Transfer-Encoding without chunked last */
#define NF_H1_BOTH_LENGTHS 0x10u  /* Transfer-Encoding and Content-Length: TE wins */

struct nf_h1_msg {
	uint8_t is_request;
	uint8_t version;             /* 10 for HTTP/1.0, 11 for HTTP/1.1 */
	const char *method, *target; /* requests */
	uint32_t method_len, target_len;
	uint16_t status;             /* responses */
	const char *reason;
	uint32_t reason_len;
	uint32_t nfields, fields_total;
	struct nf_h1_field fields[NF_H1_FIELDS_KEPT];
	uint32_t head_len;           /* start line to the empty line: the body starts after */
	uint8_t body;                /* NF_H1_BODY_* */
	uint64_t content_length;     /* NF_H1_BODY_LENGTH */
	uint32_t bad;                /* NF_H1_BAD_* */
	uint64_t seq;                /* requests: its number; responses: the request answered */
	const struct nf_h1_request_id *request;  /* responses: the request, or NULL */
};

enum {
	NF_H1_EV_HEAD = 1,  /* msg: a message head */
	NF_H1_EV_BODY,      /* data, len: body bytes (chunked: the chunks' data) */
	NF_H1_EV_END,       /* body_len: the message is complete */
	NF_H1_EV_TUNNEL,    /* data, len: bytes after 101 or CONNECT */
	NF_H1_EV_LOST,      /* skipped bytes dropped; why says why */
};

/* Why bytes were dropped. */
enum {
	NF_H1_LOST_START_LINE = 1, /* not a request or status line */
	NF_H1_LOST_HEAD_SIZE,      /* head over NF_H1_HEAD_CAP */
	NF_H1_LOST_FRAMING,        /* a request whose body length is unknown */
	NF_H1_LOST_CHUNK,          /* a bad chunk size line or chunk end */
	NF_H1_LOST_NOMEM,
};

struct nf_h1_event {
	int kind, dir;
	const struct nf_h1_msg *msg;   /* HEAD only (its pointers die with the event) */
	const uint8_t *data;
	size_t len;
	uint64_t body_len;
	size_t skipped;
	int why;
};

typedef void (*nf_h1_cb)(void *ctx, const struct nf_h1_event *ev);

struct nf_h1_dir {
	uint8_t state;               /* see http1.c */
	uint8_t chunk_state;
	uint8_t chunk_digits;
	struct nf_gbuf head;         /* a head spanning chunks */
	uint32_t line_checked;       /* the first line was found good */
	uint64_t remaining;          /* body or chunk bytes to come */
	uint64_t body_len;
	struct nf_h1_msg msg;        /* the message being read (fields point into its head) */
	struct nf_h1_request_id answered;  /* responses: a copy of the request */
	uint64_t messages, lost_bytes;
};

struct nf_h1_conn {
	struct nf_h1_dir dir[2];
	struct nf_h1_request_id pending[NF_H1_PENDING];  /* a ring, oldest at first */
	uint32_t pending_first, pending_count;
	uint64_t next_request, next_answer;  /* sequence numbers */
};

void nf_h1_init(struct nf_h1_conn *c);
void nf_h1_free(struct nf_h1_conn *c);
/* One chunk of direction dir (0 or 1). Events go to cb; returns how many. */
int nf_h1_feed(struct nf_h1_conn *c, int dir, const uint8_t *data, size_t len,
	       nf_h1_cb cb, void *ctx);
/* n bytes of direction dir were never captured (a truncated call): inside
 * a body of known length (or a chunk's data) that is long enough they are
 * counted as body, in a tunnel or a body read until close they are opaque
 * anyway; otherwise the direction is lost until a chunk starts a message. */
void nf_h1_gap(struct nf_h1_conn *c, int dir, uint64_t n);
/* The connection closed this way: ends a body read until close. */
int nf_h1_close(struct nf_h1_conn *c, int dir, nf_h1_cb cb, void *ctx);

const char *nf_h1_body_name(int body);

#endif
