/* One event as text: a tcpdump-like header line, then the payload as
 * escaped text or as a hex dump laid out as xxd's:
 *   00000000: 4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET / HTTP/1.1..  */
#include "tt_fmt_int.h"
#include "out/fmt.h"

static const char hex_digits[] = "0123456789abcdef";

/* Bytes kept as they are; newlines only in the payload (lines), spaces
 * only outside the header's fields. */
static int plain(unsigned char c, int lines, int spaces)
{
	if (c == '\n')
		return lines;
	if (c == ' ')
		return spaces;
	return c > ' ' && c < 0x7f && c != '\\';
}

static void put_escape(struct strbuf *b, unsigned char c)
{
	char esc[4] = { '\\', 'x', hex_digits[c >> 4], hex_digits[c & 15] };
	const char *named = c == '\n' ? "n" : c == '\r' ? "r" : c == '\t' ? "t" : c == '\\' ? "\\" : NULL;
	if (named) {
		esc[1] = named[0];
		sb_putn(b, esc, 2);
	} else {
		sb_putn(b, esc, sizeof(esc));
	}
}

/* Runs of plain bytes go out whole: a 4 MiB payload is mostly runs. */
static void put_escaped(struct strbuf *b, const uint8_t *s, size_t n, int lines, int spaces)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (plain(s[i], lines, spaces))
			continue;
		sb_putn(b, (const char *)s + run, i - run);
		put_escape(b, s[i]);
		run = i + 1;
	}
	sb_putn(b, (const char *)s + run, n - run);
}

static void put_payload_text(struct strbuf *b, const uint8_t *s, size_t n)
{
	put_escaped(b, s, n, 1, 1);
	if (s[n - 1] != '\n')
		sb_putc(b, '\n');
}

/* One line of up to 16 bytes at off: offset (8 hex digits, more past
 * 4 GiB), 8 groups of 2 bytes, 2 spaces, the bytes as text ('.' for the
 * unprintable); a short last line is padded so its text lines up. */
static void put_hex_line(struct strbuf *b, const uint8_t *s, size_t n, uint64_t off)
{
	char line[96];
	size_t k = 0;
	int digits = 8;
	while (digits < 16 && off >> (4 * digits))
		digits++;
	for (int d = digits - 1; d >= 0; d--)
		line[k++] = hex_digits[off >> (4 * d) & 15];
	line[k++] = ':';
	line[k++] = ' ';
	for (size_t j = 0; j < 16; j++) {
		line[k++] = j < n ? hex_digits[s[j] >> 4] : ' ';
		line[k++] = j < n ? hex_digits[s[j] & 15] : ' ';
		if (j & 1)
			line[k++] = ' ';
	}
	line[k++] = ' ';
	for (size_t j = 0; j < n; j++)
		line[k++] = s[j] >= ' ' && s[j] < 0x7f ? (char)s[j] : '.';
	line[k++] = '\n';
	sb_putn(b, line, k);
}

static void put_payload_hex(struct strbuf *b, const uint8_t *s, size_t n)
{
	for (size_t off = 0; off < n; off += 16)
		put_hex_line(b, s + off, n - off < 16 ? n - off : 16, off);
}

static void put_endpoint(struct strbuf *b, const uint8_t *a, int family, uint16_t port)
{
	nf_put_addr(b, a, family);
	sb_putc(b, '.');
	sb_putu(b, port);
}

static void put_header(struct strbuf *b, const struct tt_event *ev)
{
	const struct tt_call *c = ev->call;
	size_t lib_len;
	const char *lib = tt_fmt_lib(ev, &lib_len);
	nf_put_rfc3339(b, ev->realtime_ns);
	sb_putc(b, ' ');
	put_escaped(b, (const uint8_t *)c->comm, tt_fmt_comm_len(ev), 0, 0);
	sb_putc(b, ' ');
	sb_putu(b, c->pid_tgid >> 32);
	sb_putc(b, '/');
	sb_putu(b, (uint32_t)c->pid_tgid);
	sb_putc(b, ' ');
	put_escaped(b, (const uint8_t *)lib, lib_len, 0, 0);
	sb_putc(b, ' ');
	sb_puts(b, tt_func_name(c->func));
	sb_putc(b, ' ');
	sb_puts(b, tt_fmt_dir(ev));
	sb_puts(b, " len ");
	sb_putu(b, c->len);
	if (ev->addr.known) {
		sb_putc(b, ' ');
		put_endpoint(b, ev->addr.src, ev->addr.family, ev->addr.sport);
		sb_puts(b, " > ");
		put_endpoint(b, ev->addr.dst, ev->addr.family, ev->addr.dport);
	}
	if (ev->conn_id) {
		sb_puts(b, " conn ");
		sb_putu(b, ev->conn_id);
	}
	if (ev->data_len < c->len) {
		sb_puts(b, " truncated, ");
		sb_putu(b, c->len - ev->data_len);
		sb_puts(b, " bytes lost");
	}
	sb_putc(b, '\n');
}

int tt_fmt_text(char *buf, size_t cap, const struct tt_event *ev, int hex)
{
	struct strbuf b;
	sb_init(&b, buf, cap);
	size_t skip = ev->http ? ev->http_body_off : 0;
	const uint8_t *data = ev->data + skip;
	size_t n = skip < ev->data_len ? ev->data_len - skip : 0;
	put_header(&b, ev);
	if (ev->http)
		sb_putn(&b, ev->http, ev->http_len);
	if (n && hex)
		put_payload_hex(&b, data, n);
	else if (n)
		put_payload_text(&b, data, n);
	return sb_finish(&b);
}
