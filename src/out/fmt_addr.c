/* Addresses, protocol names and timestamps as text. */
#include "fmt.h"
#include <string.h>

void nf_put_ip4(struct strbuf *b, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		if (i)
			sb_putc(b, '.');
		sb_putu(b, a[i]);
	}
}

static void put_hex16(struct strbuf *b, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[4];
	int n = 0;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xf;
		if (d || n || shift == 0)
			tmp[n++] = hex[d];
	}
	sb_putn(b, tmp, (size_t)n);
}

/* The longest run of >= 2 zero groups (first on ties): *start, or -1. */
static int longest_zero_run(const unsigned g[8], int *len)
{
	int best = -1, best_len = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		return -1;
	*len = best_len;
	return best;
}

void nf_put_ip6(struct strbuf *b, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(a, mapped, sizeof(mapped))) {
		sb_puts(b, "::ffff:");
		nf_put_ip4(b, a + 12);
		return;
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	int run_len = 0, run = longest_zero_run(g, &run_len);
	for (int i = 0; i < 8; i++) {
		if (i == run) {
			sb_puts(b, "::");
			i += run_len - 1;
			continue;
		}
		if (i && i != run + run_len)
			sb_putc(b, ':');
		put_hex16(b, g[i]);
	}
}

void nf_put_addr(struct strbuf *b, const uint8_t *a, int family)
{
	if (family == 6)
		nf_put_ip6(b, a);
	else
		nf_put_ip4(b, a);
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD" of a day since the epoch, into out[11]. */
static void put_date(char out[11], int64_t day)
{
	struct strbuf d;
	int64_t y;
	unsigned mo, dd;
	civil_from_days(day, &y, &mo, &dd);
	sb_init(&d, out, 11);
	sb_putu_pad(&d, (uint64_t)y, 4);
	sb_putc(&d, '-');
	sb_putu_pad(&d, mo, 2);
	sb_putc(&d, '-');
	sb_putu_pad(&d, dd, 2);
	sb_finish(&d);
}

void nf_put_rfc3339(struct strbuf *b, uint64_t ns)
{
	/* Events of one day share its date: computed once per day. The
	 * output paths that call this run on one thread. */
	static int64_t cached_day = -1;
	static char cached_date[11];
	uint64_t secs = ns / 1000000000ULL;
	int64_t day = (int64_t)(secs / 86400);
	if (day != cached_day) {
		put_date(cached_date, day);
		cached_day = day;
	}
	unsigned sod = (unsigned)(secs % 86400);
	sb_putn(b, cached_date, 10);
	sb_putc(b, 'T');
	sb_putu_pad(b, sod / 3600, 2);
	sb_putc(b, ':');
	sb_putu_pad(b, sod / 60 % 60, 2);
	sb_putc(b, ':');
	sb_putu_pad(b, sod % 60, 2);
	sb_putc(b, '.');
	sb_putu_pad(b, ns / 1000 % 1000000, 6);
	sb_putc(b, 'Z');
}

const char *nf_proto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	struct strbuf b;
	sb_init(&b, buf, 4);
	sb_putu(&b, proto);
	return buf;
}
