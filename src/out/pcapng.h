/* pcapng blocks (pure): section header, interface description and
 * enhanced packet blocks, in host byte order as the format allows. */
#ifndef NF_PCAPNG_H
#define NF_PCAPNG_H
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_MAGIC 0x1A2B3C4Du
#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_LINKTYPE_RAW 101
/* epb_flags direction bits */
#define PCAPNG_EPB_INBOUND 1u
#define PCAPNG_EPB_OUTBOUND 2u

struct pcapng_pkt {
	uint32_t iface_id;
	uint64_t ts_us;            /* if_tsresol default: microseconds */
	const uint8_t *data;
	uint32_t caplen, origlen;
	uint32_t epb_flags;        /* 0: no epb_flags option */
	/* A VLAN tag (TPID + TCI, network order) to put back after the MAC
	 * addresses, as libpcap does for tags stripped on receive; or NULL. */
	const uint8_t *vlan_tag;
	const char *comment;       /* opt_comment, or NULL */
};

/* Each returns the block length written, or 0 if cap is too small. */
size_t pcapng_shb(uint8_t *buf, size_t cap, const char *user_appl);
size_t pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		  const char *if_name);
/* The same with an if_description option too (NULL or "": none). */
size_t pcapng_idb_desc(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		       const char *if_name, const char *if_description);
size_t pcapng_epb(uint8_t *buf, size_t cap, const struct pcapng_pkt *p);
/* The length pcapng_epb needs for p. */
size_t pcapng_epb_len(const struct pcapng_pkt *p);

#endif
