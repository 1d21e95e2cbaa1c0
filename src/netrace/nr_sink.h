/* netrace event sink: decodes records from the reader and writes them as
 * text, JSON lines or pcapng through one output buffer. */
#ifndef NF_NR_SINK_H
#define NF_NR_SINK_H
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "out/clock.h"
#include "out/outbuf.h"

enum nr_format { NR_OUT_TEXT, NR_OUT_JSON, NR_OUT_PCAPNG };

struct nr_iface_ent {
	int ifindex;
	char name[IF_NAMESIZE];
	int l3;                    /* no link-layer header */
};

struct nr_sink {
	struct outbuf ob;
	enum nr_format format;
	struct nr_clock clock;
	const struct nr_iface_ent *ifs;
	char (*json_names)[6 * IF_NAMESIZE + 3]; /* JSON: each name escaped, once */
	size_t nifs, last;         /* last: index of the last lookup hit */
	uint64_t written, limit;   /* limit 0: none */
	uint64_t malformed;        /* records too short to decode */
	int done;                  /* limit reached */
};

/* Start the output on fd; for pcapng this writes the section header and
 * one interface block per entry of ifs (the pcapng interface id is the
 * index in ifs). ifs must outlive the sink. 0 or -errno. */
int nr_sink_open(struct nr_sink *s, enum nr_format fmt, int fd, const struct nr_iface_ent *ifs,
		 size_t nifs, uint32_t snaplen, uint64_t limit);
/* nf_event_fn: one record. Returns 1 once the limit is reached. */
int nr_sink_event(void *ctx, const void *data, size_t len);
int nr_sink_close(struct nr_sink *s);

#endif
