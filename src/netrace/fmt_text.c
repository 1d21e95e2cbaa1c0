/* One event as one text line, close to tcpdump's:
 * TS IFACE DIR FAMILY PROTO SRC[.PORT] > DST[.PORT] [frag] [flags [S.]]
 *   [type T code C] len N ttl N [vlan V] [suppressed P packets B bytes] */
#include "nr_fmt.h"

/* tcpdump's letters: S F R P U E W, and '.' for ACK. */
static void put_tcp_flags(struct strbuf *b, uint8_t f)
{
	static const struct { uint8_t bit; char c; } letters[] = {
		{ NR_TCP_SYN, 'S' }, { NR_TCP_FIN, 'F' }, { NR_TCP_RST, 'R' },
		{ NR_TCP_PSH, 'P' }, { NR_TCP_URG, 'U' }, { NR_TCP_ECE, 'E' },
		{ NR_TCP_CWR, 'W' }, { NR_TCP_ACK, '.' },
	};
	sb_puts(b, " flags [");
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (f & letters[i].bit)
			sb_putc(b, letters[i].c);
	if (!f)
		sb_puts(b, "none");
	sb_putc(b, ']');
}

static void put_endpoint(struct strbuf *b, const uint8_t *a, int family, int has_port,
			 uint16_t port)
{
	nf_put_addr(b, a, family);
	if (has_port) {
		sb_putc(b, '.');
		sb_putu(b, port);
	}
}

int nr_fmt_text(char *buf, size_t cap, const struct nr_event *ev, const char *ifname,
		uint64_t realtime_ns)
{
	struct strbuf b;
	char num[4];
	int ports = ev->flags & NR_F_PORTS;
	sb_init(&b, buf, cap);
	nf_put_rfc3339(&b, realtime_ns);
	sb_putc(&b, ' ');
	sb_puts(&b, ifname);
	sb_puts(&b, ev->dir == NR_EGRESS ? " egress " : " ingress ");
	sb_puts(&b, ev->family == 6 ? "ipv6 " : "ipv4 ");
	sb_puts(&b, nf_proto_name(ev->proto, num));
	sb_putc(&b, ' ');
	put_endpoint(&b, ev->saddr, ev->family, ports, ev->sport);
	sb_puts(&b, " > ");
	put_endpoint(&b, ev->daddr, ev->family, ports, ev->dport);
	if (ev->flags & NR_F_FRAG)
		sb_puts(&b, " frag");
	if (ev->flags & NR_F_TCPFLAGS)
		put_tcp_flags(&b, ev->tcp_flags);
	if (ev->flags & NR_F_ICMP) {
		sb_puts(&b, " type ");
		sb_putu(&b, ev->icmp_type);
		sb_puts(&b, " code ");
		sb_putu(&b, ev->icmp_code);
	}
	sb_puts(&b, " len ");
	sb_putu(&b, ev->ip_len);
	sb_puts(&b, " ttl ");
	sb_putu(&b, ev->ttl);
	if (ev->flags & NR_F_VLAN) {
		sb_puts(&b, " vlan ");
		sb_putu(&b, ev->vlan_tci & 0x0fff);
	}
	if (ev->supp_pkts) {
		sb_puts(&b, " suppressed ");
		sb_putu(&b, ev->supp_pkts);
		sb_puts(&b, " packets ");
		sb_putu(&b, ev->supp_bytes);
		sb_puts(&b, " bytes");
	}
	sb_putc(&b, '\n');
	return sb_finish(&b);
}
