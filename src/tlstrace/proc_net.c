/* /proc/PID/net/tcp and tcp6 parser. The kernel writes each line as
 * "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu ..."
 * (tcp6: "%08X%08X%08X%08X" for each address), padded with spaces. The
 * line is split at blanks into tokens; a token we read must have exactly
 * the width the kernel prints, so a cut or overlong field is caught. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "proc_net.h"

/* sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode */
#define NTOKENS 10
#define TOK_SL 0
#define TOK_LOCAL 1
#define TOK_REMOTE 2
#define TOK_STATE 3
#define TOK_INODE 9

struct token {
	const char *p;
	size_t n;
};

static int blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The first NTOKENS blank-separated tokens of s[0..len); -EINVAL if fewer. */
static int split(const char *s, size_t len, struct token *t)
{
	size_t i = 0;

	for (int k = 0; k < NTOKENS; k++) {
		while (i < len && blank(s[i]))
			i++;
		if (i == len)
			return -EINVAL;
		t[k].p = s + i;
		while (i < len && !blank(s[i]))
			i++;
		t[k].n = (size_t)(s + i - t[k].p);
	}
	return 0;
}

/* Exactly width hex digits at s (width <= 8); either case. */
static int hex_exact(const char *s, size_t width, uint32_t *v)
{
	static const char digits[] = "0123456789ABCDEF";

	*v = 0;
	for (size_t i = 0; i < width; i++) {
		/* strchr finds the terminator for a NUL: not a digit. */
		const char *d = s[i] ? strchr(digits, toupper((unsigned char)s[i])) : NULL;
		if (!d)
			return -EINVAL;
		*v = *v << 4 | (uint32_t)(d - digits);
	}
	return 0;
}

/* "WORDS:PORT": nwords 8-digit words, each the host-order reading of four
 * address bytes, so storing it back in host order gives the bytes. */
static int endpoint(const struct token *t, int nwords, uint8_t *addr, uint16_t *port)
{
	size_t alen = (size_t)nwords * 8;
	uint32_t v;

	if (t->n != alen + 5 || t->p[alen] != ':')
		return -EINVAL;
	for (int w = 0; w < nwords; w++) {
		if (hex_exact(t->p + w * 8, 8, &v))
			return -EINVAL;
		memcpy(addr + w * 4, &v, 4);
	}
	if (hex_exact(t->p + alen + 1, 4, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Decimal digits, then ':' (the slot number; its value is not needed). */
static int slot(const struct token *t)
{
	if (t->n < 2 || t->p[t->n - 1] != ':')
		return -EINVAL;
	for (size_t i = 0; i + 1 < t->n; i++)
		if (t->p[i] < '0' || t->p[i] > '9')
			return -EINVAL;
	return 0;
}

static int decimal_u64(const struct token *t, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < t->n; i++) {
		unsigned d = (unsigned)(t->p[i] - '0');
		if (d > 9)
			return -EINVAL;
		if (*v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*v = *v * 10 + d;
	}
	return 0;
}

static int v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };
	return !memcmp(a, prefix, sizeof(prefix));
}

/* Both ends mapped: the socket carries IPv4; keep the last four bytes. */
static void unmap(struct nf_pnet_sock *o)
{
	if (!v4mapped(o->local) || !v4mapped(o->remote))
		return;
	memmove(o->local, o->local + 12, 4);
	memmove(o->remote, o->remote + 12, 4);
	memset(o->local + 4, 0, 12);
	memset(o->remote + 4, 0, 12);
	o->family = 4;
	o->v4mapped = 1;
}

static int parse(const char *s, size_t len, int family, struct nf_pnet_sock *o)
{
	struct token t[NTOKENS];
	int nwords = family == 6 ? 4 : 1;
	uint32_t state;

	if ((family != 4 && family != 6) || !s || split(s, len, t) ||
	    slot(&t[TOK_SL]) ||
	    endpoint(&t[TOK_LOCAL], nwords, o->local, &o->lport) ||
	    endpoint(&t[TOK_REMOTE], nwords, o->remote, &o->rport) ||
	    t[TOK_STATE].n != 2 || hex_exact(t[TOK_STATE].p, 2, &state))
		return -EINVAL;
	o->state = (uint8_t)state;
	o->family = (uint8_t)family;
	if (family == 6)
		unmap(o);
	return decimal_u64(&t[TOK_INODE], &o->inode);
}

int nf_pnet_parse_line(const char *s, size_t len, int family, struct nf_pnet_sock *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = parse(s, len, family, out)))
		memset(out, 0, sizeof(*out));
	return err;
}

int nf_pnet_find(const char *buf, size_t len, int family, uint64_t inode,
		 struct nf_pnet_sock *out)
{
	const char *p = buf, *end = buf ? buf + len : buf;
	const char *nl;

	if (!inode)
		return 0;
	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		if (!nf_pnet_parse_line(p, (size_t)(nl - p), family, out) && out->inode == inode)
			return 1;
	memset(out, 0, sizeof(*out));
	return 0;
}
