#include "pcapng.h"
#include <string.h>

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define EPB_FLAGS 2

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t opt_len(size_t vlen)
{
	return 4 + pad4(vlen);
}

static size_t str_opt_len(const char *s)
{
	return s && *s ? opt_len(strlen(s)) : 0;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* One option: code, length, value, zero padding. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, size_t len)
{
	p = put16(p, code);
	p = put16(p, (uint16_t)len);
	memcpy(p, val, len);
	memset(p + len, 0, pad4(len) - len);
	return p + pad4(len);
}

static uint8_t *put_str_opt(uint8_t *p, uint16_t code, const char *s)
{
	return s && *s ? put_opt(p, code, s, strlen(s)) : p;
}

/* Options end marker (when there were options) and the trailing length. */
static size_t finish(uint8_t *start, uint8_t *p, int had_opts)
{
	if (had_opts)
		p = put32(p, OPT_ENDOFOPT);
	uint32_t total = (uint32_t)(p - start) + 4;
	put32(p, total);
	memcpy(start + 4, &total, 4);
	return total;
}

size_t pcapng_shb(uint8_t *buf, size_t cap, const char *user_appl)
{
	size_t opts = str_opt_len(user_appl);
	if (cap < 28 + opts + (opts ? 4 : 0))
		return 0;
	uint8_t *p = put32(buf, PCAPNG_SHB);
	p = put32(p, 0);
	p = put32(p, PCAPNG_MAGIC);
	p = put16(p, 1);
	p = put16(p, 0);
	p = put32(p, 0xffffffffu); /* section length: unknown (-1) */
	p = put32(p, 0xffffffffu);
	p = put_str_opt(p, SHB_USERAPPL, user_appl);
	return finish(buf, p, opts != 0);
}

size_t pcapng_idb_desc(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		       const char *if_name, const char *if_description)
{
	size_t opts = str_opt_len(if_name) + str_opt_len(if_description);
	if (cap < 20 + opts + (opts ? 4 : 0))
		return 0;
	uint8_t *p = put32(buf, PCAPNG_IDB);
	p = put32(p, 0);
	p = put16(p, linktype);
	p = put16(p, 0);
	p = put32(p, snaplen);
	p = put_str_opt(p, IF_NAME, if_name);
	p = put_str_opt(p, IF_DESCRIPTION, if_description);
	return finish(buf, p, opts != 0);
}

size_t pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		  const char *if_name)
{
	return pcapng_idb_desc(buf, cap, linktype, snaplen, if_name, NULL);
}

static uint32_t tag_len(const struct pcapng_pkt *p)
{
	return p->vlan_tag && p->caplen >= 12 ? 4 : 0;
}

size_t pcapng_epb_len(const struct pcapng_pkt *p)
{
	size_t opts = str_opt_len(p->comment) + (p->epb_flags ? opt_len(4) : 0);
	return 32 + pad4(p->caplen + tag_len(p)) + opts + (opts ? 4 : 0);
}

size_t pcapng_epb(uint8_t *buf, size_t cap, const struct pcapng_pkt *pk)
{
	if (cap < pcapng_epb_len(pk))
		return 0;
	uint32_t tag = tag_len(pk), caplen = pk->caplen + tag;
	uint8_t *p = put32(buf, PCAPNG_EPB);
	p = put32(p, 0);
	p = put32(p, pk->iface_id);
	p = put32(p, (uint32_t)(pk->ts_us >> 32));
	p = put32(p, (uint32_t)pk->ts_us);
	p = put32(p, caplen);
	p = put32(p, pk->origlen + tag);
	if (tag) {
		memcpy(p, pk->data, 12);
		memcpy(p + 12, pk->vlan_tag, 4);
		memcpy(p + 16, pk->data + 12, pk->caplen - 12);
	} else if (pk->caplen) {
		memcpy(p, pk->data, pk->caplen);
	}
	memset(p + caplen, 0, pad4(caplen) - caplen);
	p += pad4(caplen);
	int had = 0;
	if (pk->epb_flags) {
		p = put_opt(p, EPB_FLAGS, &pk->epb_flags, 4);
		had = 1;
	}
	if (pk->comment && *pk->comment) {
		p = put_str_opt(p, OPT_COMMENT, pk->comment);
		had = 1;
	}
	return finish(buf, p, had);
}
