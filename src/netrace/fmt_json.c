/* One event as one JSON object per line; keys as documented in README. */
#include "nr_fmt.h"
#include "out/json.h"
#include <string.h>

static const char *const tcp_flag_names[8] = { "FIN", "SYN", "RST", "PSH",
					       "ACK", "URG", "ECE", "CWR" };

/* A value known to need no escaping (our own words). */
static void key_word(struct strbuf *b, const char *k, const char *v)
{
	nf_json_key(b, k);
	sb_putc(b, '"');
	sb_puts(b, v);
	sb_putc(b, '"');
}

void nr_json_iface(char out[NR_JSON_IFACE_MAX], const char *name)
{
	struct strbuf b;
	sb_init(&b, out, NR_JSON_IFACE_MAX);
	nf_json_str(&b, name, strlen(name));
	sb_finish(&b);
}

static void put_addr_str(struct strbuf *b, const char *k, const uint8_t *a, int family)
{
	nf_json_key(b, k);
	sb_putc(b, '"');
	nf_put_addr(b, a, family);
	sb_putc(b, '"');
}

int nr_fmt_json(char *buf, size_t cap, const struct nr_event *ev, const char *ifname_json,
		uint64_t realtime_ns)
{
	struct strbuf b;
	char num[4];
	sb_init(&b, buf, cap);
	sb_puts(&b, "{\"ts\":\"");
	nf_put_rfc3339(&b, realtime_ns);
	sb_puts(&b, "\",\"iface\":");
	sb_puts(&b, ifname_json);
	nf_json_key_u64(&b, "ifindex", ev->ifindex);
	key_word(&b, "dir", ev->dir == NR_EGRESS ? "egress" : "ingress");
	key_word(&b, "family", ev->family == 6 ? "ipv6" : "ipv4");
	key_word(&b, "proto", nf_proto_name(ev->proto, num));
	put_addr_str(&b, "src", ev->saddr, ev->family);
	put_addr_str(&b, "dst", ev->daddr, ev->family);
	if (ev->flags & NR_F_PORTS) {
		nf_json_key_u64(&b, "sport", ev->sport);
		nf_json_key_u64(&b, "dport", ev->dport);
	}
	nf_json_key_u64(&b, "len", ev->ip_len);
	nf_json_key_u64(&b, "ttl", ev->ttl);
	if (ev->flags & NR_F_TCPFLAGS) {
		nf_json_key(&b, "tcp_flags");
		sb_putc(&b, '[');
		for (int i = 0, n = 0; i < 8; i++) {
			if (!(ev->tcp_flags & (1u << i)))
				continue;
			if (n++)
				sb_putc(&b, ',');
			sb_putc(&b, '"');
			sb_puts(&b, tcp_flag_names[i]);
			sb_putc(&b, '"');
		}
		sb_putc(&b, ']');
	}
	if (ev->flags & NR_F_ICMP) {
		nf_json_key_u64(&b, "icmp_type", ev->icmp_type);
		nf_json_key_u64(&b, "icmp_code", ev->icmp_code);
	}
	if (ev->flags & NR_F_VLAN)
		nf_json_key_u64(&b, "vlan", ev->vlan_tci & 0x0fff);
	if (ev->supp_pkts) {
		nf_json_key_u64(&b, "suppressed_packets", ev->supp_pkts);
		nf_json_key_u64(&b, "suppressed_bytes", ev->supp_bytes);
	}
	sb_puts(&b, "}\n");
	return sb_finish(&b);
}
