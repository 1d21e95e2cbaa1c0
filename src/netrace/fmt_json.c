/* One event as one JSON object per line; keys as documented in README. */
#include "nr_fmt.h"

static const char *const tcp_flag_names[8] = { "FIN", "SYN", "RST", "PSH",
					       "ACK", "URG", "ECE", "CWR" };

static void key(struct strbuf *b, const char *k)
{
	sb_puts(b, ",\"");
	sb_puts(b, k);
	sb_puts(b, "\":");
}

static void key_str(struct strbuf *b, const char *k, const char *v)
{
	key(b, k);
	sb_putc(b, '"');
	sb_puts(b, v);
	sb_putc(b, '"');
}

static void key_u(struct strbuf *b, const char *k, uint64_t v)
{
	key(b, k);
	sb_putu(b, v);
}

/* Interface names are kernel names (no quotes or control bytes expected),
 * but escape anyway so the line stays valid JSON. */
static void put_json_str(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	sb_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			sb_putn(b, esc, sizeof(esc));
		} else {
			sb_putc(b, (char)c);
		}
	}
	sb_putc(b, '"');
}

static void put_addr_str(struct strbuf *b, const char *k, const uint8_t *a, int family)
{
	key(b, k);
	sb_putc(b, '"');
	nf_put_addr(b, a, family);
	sb_putc(b, '"');
}

int nr_fmt_json(char *buf, size_t cap, const struct nr_event *ev, const char *ifname,
		uint64_t realtime_ns)
{
	struct strbuf b;
	char num[4];
	sb_init(&b, buf, cap);
	sb_puts(&b, "{\"ts\":\"");
	nf_put_rfc3339(&b, realtime_ns);
	sb_puts(&b, "\",\"iface\":");
	put_json_str(&b, ifname);
	key_u(&b, "ifindex", ev->ifindex);
	key_str(&b, "dir", ev->dir == NR_EGRESS ? "egress" : "ingress");
	key_str(&b, "family", ev->family == 6 ? "ipv6" : "ipv4");
	key_str(&b, "proto", nf_proto_name(ev->proto, num));
	put_addr_str(&b, "src", ev->saddr, ev->family);
	put_addr_str(&b, "dst", ev->daddr, ev->family);
	if (ev->flags & NR_F_PORTS) {
		key_u(&b, "sport", ev->sport);
		key_u(&b, "dport", ev->dport);
	}
	key_u(&b, "len", ev->ip_len);
	key_u(&b, "ttl", ev->ttl);
	if (ev->flags & NR_F_TCPFLAGS) {
		key(&b, "tcp_flags");
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
		key_u(&b, "icmp_type", ev->icmp_type);
		key_u(&b, "icmp_code", ev->icmp_code);
	}
	if (ev->flags & NR_F_VLAN)
		key_u(&b, "vlan", ev->vlan_tci & 0x0fff);
	if (ev->supp_pkts) {
		key_u(&b, "suppressed_packets", ev->supp_pkts);
		key_u(&b, "suppressed_bytes", ev->supp_bytes);
	}
	sb_puts(&b, "}\n");
	return sb_finish(&b);
}
