#include "nr_sink.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "netrace.h"
#include "nr_fmt.h"
#include "out/pcapng.h"

#define FLUSH_AT (64 * 1024)
#define HDR_MAX 512                /* SHB/IDB or EPB header, options, tag */

int nr_sink_open(struct nr_sink *s, enum nr_format fmt, int fd, const struct nr_iface_ent *ifs,
		 size_t nifs, uint32_t snaplen, uint64_t limit)
{
	memset(s, 0, sizeof(*s));
	s->format = fmt;
	s->ifs = ifs;
	s->nifs = nifs;
	s->limit = limit;
	nr_clock_sync(&s->clock);
	size_t max_rec = fmt == NR_OUT_PCAPNG ? NR_SNAP_MAX + HDR_MAX : NR_FMT_MAX;
	int r = outbuf_init(&s->ob, fd, FLUSH_AT, max_rec);
	if (!r && fmt == NR_OUT_JSON) {
		s->json_names = calloc(nifs ? nifs : 1, sizeof(*s->json_names));
		if (!s->json_names)
			return -ENOMEM;
		for (size_t i = 0; i < nifs; i++)
			nr_json_iface(s->json_names[i], ifs[i].name);
	}
	if (r || fmt != NR_OUT_PCAPNG)
		return r;
	uint8_t *p = (uint8_t *)outbuf_reserve(&s->ob, HDR_MAX);
	outbuf_commit(&s->ob, pcapng_shb(p, HDR_MAX, "nflux " NFLUX_VERSION));
	for (size_t i = 0; i < nifs; i++) {
		p = (uint8_t *)outbuf_reserve(&s->ob, HDR_MAX);
		uint16_t lt = ifs[i].l3 ? PCAPNG_LINKTYPE_RAW : PCAPNG_LINKTYPE_ETHERNET;
		outbuf_commit(&s->ob, pcapng_idb(p, HDR_MAX, lt, snaplen, ifs[i].name));
	}
	return s->ob.err;
}

/* Index of ifindex in the table, or -1. */
static long find_iface(struct nr_sink *s, uint32_t ifindex)
{
	if (s->last < s->nifs && (uint32_t)s->ifs[s->last].ifindex == ifindex)
		return (long)s->last;
	for (size_t i = 0; i < s->nifs; i++) {
		if ((uint32_t)s->ifs[i].ifindex == ifindex) {
			s->last = i;
			return (long)i;
		}
	}
	return -1;
}

/* The line of a record; id is its interface's index in the table, or -1
 * (then named "ifN"). */
static void write_line(struct nr_sink *s, const struct nr_event *ev, long id, uint64_t real_ns)
{
	char unknown[NR_JSON_IFACE_MAX];
	const char *name = unknown;
	if (id >= 0) {
		name = s->format == NR_OUT_JSON ? s->json_names[id] : s->ifs[id].name;
	} else {
		struct strbuf b;
		sb_init(&b, unknown, sizeof(unknown));
		sb_puts(&b, s->format == NR_OUT_JSON ? "\"if" : "if");
		sb_putu(&b, ev->ifindex);
		if (s->format == NR_OUT_JSON)
			sb_putc(&b, '"');
		sb_finish(&b);
	}
	char *p = outbuf_reserve(&s->ob, NR_FMT_MAX);
	if (!p)
		return;
	int n = s->format == NR_OUT_JSON ? nr_fmt_json(p, NR_FMT_MAX, ev, name, real_ns)
					 : nr_fmt_text(p, NR_FMT_MAX, ev, name, real_ns);
	if (n > 0)
		outbuf_commit(&s->ob, (size_t)n);
}

static void write_epb(struct nr_sink *s, const struct nr_event *ev, const uint8_t *pkt, long id,
		      uint64_t real_ns)
{
	uint8_t tag[4];
	char comment[96];
	struct pcapng_pkt pk = {
		.iface_id = (uint32_t)id,
		.ts_us = real_ns / 1000,
		.data = pkt,
		.caplen = ev->cap_len,
		.origlen = ev->skb_len,
		.epb_flags = ev->dir == NR_EGRESS ? PCAPNG_EPB_OUTBOUND : PCAPNG_EPB_INBOUND,
	};
	if ((ev->flags & NR_F_VLAN_HW) && !(ev->flags & NR_F_L3DEV)) {
		tag[0] = (uint8_t)(ev->vlan_proto >> 8);
		tag[1] = (uint8_t)ev->vlan_proto;
		tag[2] = (uint8_t)(ev->vlan_tci >> 8);
		tag[3] = (uint8_t)ev->vlan_tci;
		pk.vlan_tag = tag;
	}
	if (ev->supp_pkts) {
		struct strbuf b;
		sb_init(&b, comment, sizeof(comment));
		sb_puts(&b, "suppressed ");
		sb_putu(&b, ev->supp_pkts);
		sb_puts(&b, " packets, ");
		sb_putu(&b, ev->supp_bytes);
		sb_puts(&b, " bytes");
		pk.comment = comment;
	}
	size_t need = pcapng_epb_len(&pk);
	uint8_t *p = (uint8_t *)outbuf_reserve(&s->ob, need);
	if (p)
		outbuf_commit(&s->ob, pcapng_epb(p, need, &pk));
}

int nr_sink_event(void *ctx, const void *data, size_t len)
{
	struct nr_sink *s = ctx;
	struct nr_event copy;
	const struct nr_event *ev = &copy;
	if (s->done)
		return 1;
	if (len < sizeof(copy)) {
		s->malformed++;
		return 0;
	}
	/* Copied out: perf buffer records start 4 bytes off an 8-byte
	 * boundary, and the record has u64 fields. */
	memcpy(&copy, data, sizeof(copy));
	const uint8_t *pkt = (const uint8_t *)data + sizeof(copy);
	if (len - sizeof(*ev) < ev->cap_len || ev->cap_len > NR_SNAP_MAX) {
		s->malformed++;
		return 0;
	}
	long id = find_iface(s, ev->ifindex);
	uint64_t real_ns = nr_clock_to_real(&s->clock, ev->ts_ns);
	if (s->format == NR_OUT_PCAPNG) {
		if (id < 0) {
			s->malformed++;
			return 0;
		}
		write_epb(s, ev, pkt, id, real_ns);
	} else {
		write_line(s, ev, id, real_ns);
	}
	s->written++;
	if (s->limit && s->written >= s->limit)
		s->done = 1;
	return s->done;
}

int nr_sink_close(struct nr_sink *s)
{
	free(s->json_names);
	s->json_names = NULL;
	return outbuf_close(&s->ob);
}
