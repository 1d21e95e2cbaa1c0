/* pack IN OUT: compress a file into NFZ1 (loader/unpack.h), the form the
 * BPF objects are embedded in. A build-time host tool, never linked into
 * nflux; loader/unpack.c is the decoder.
 *
 * The parse is a price-driven shortest path over the file: at each
 * position a literal, the last distance again (after a literal), or any
 * match the hash chains find, at every length; each step's price comes
 * from the bit statistics of the previous pass's encoding. A few passes,
 * the smallest output kept. The unit tests include this file (NFZ_NO_MAIN)
 * to compress their own inputs. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unpack.h"

#define PK_DEPTH  1024  /* hash chain steps per position */
#define PK_NICE   273   /* a match this long is taken as it is */
#define PK_PASSES 4

/* ---- range encoder ---- */

struct pk_enc {
	uint8_t *buf;
	size_t len, cap;
	uint64_t low;
	uint32_t range;
	uint8_t cache;
	uint64_t pending;      /* bytes held back for a carry: cache and 0xff's */
	int started;           /* the first byte (always 0) is not stored */
	int oom;
	uint16_t pr[NFZ_NPROBS];
	uint32_t cnt[NFZ_NPROBS][2]; /* bits coded in each context, for prices */
};

static void pk_put(struct pk_enc *e, uint8_t b)
{
	if (!e->started) {
		e->started = 1;
		return;
	}
	if (e->len == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 4096;
		uint8_t *nb = realloc(e->buf, cap);
		if (!nb) {
			e->oom = 1;
			return;
		}
		e->buf = nb;
		e->cap = cap;
	}
	e->buf[e->len++] = b;
}

static void pk_shift_low(struct pk_enc *e)
{
	if ((uint32_t)e->low < 0xff000000u || (e->low >> 32)) {
		uint8_t carry = (uint8_t)(e->low >> 32), b = e->cache;
		do {
			pk_put(e, (uint8_t)(b + carry));
			b = 0xff;
		} while (--e->pending);
		e->cache = (uint8_t)(e->low >> 24);
	}
	e->pending++;
	e->low = (e->low & 0x00ffffffu) << 8;
}

static void pk_bit(struct pk_enc *e, unsigned ctx, unsigned bit)
{
	uint16_t *p = &e->pr[ctx];
	uint32_t bound = (e->range >> NFZ_PROB_BITS) * *p;
	e->cnt[ctx][bit]++;
	if (!bit) {
		e->range = bound;
		*p = (uint16_t)(*p + (((1u << NFZ_PROB_BITS) - *p) >> NFZ_MOVE));
	} else {
		e->low += bound;
		e->range -= bound;
		*p = (uint16_t)(*p - (*p >> NFZ_MOVE));
	}
	while (e->range < (1u << 24)) {
		e->range <<= 8;
		pk_shift_low(e);
	}
}

static void pk_num(struct pk_enc *e, unsigned ctx, uint32_t v)
{
	unsigned i = 0;
	for (; v >> (i + 1); i++) {
		pk_bit(e, ctx + 2 * i, 1);
		pk_bit(e, ctx + 2 * i + 1, (v >> i) & 1);
	}
	pk_bit(e, ctx + 2 * i, 0);
}

static void pk_init(struct pk_enc *e)
{
	memset(e, 0, sizeof(*e));
	e->range = 0xffffffffu;
	e->pending = 1;
	for (unsigned i = 0; i < NFZ_NPROBS; i++)
		e->pr[i] = NFZ_PROB_INIT;
}

static void pk_flush(struct pk_enc *e)
{
	for (int i = 0; i < 5; i++)
		pk_shift_low(e);
}

/* ---- the parse ---- */

struct pk_tok {
	uint32_t len;          /* 1: a literal */
	uint32_t dist;
};

struct pk_node {
	double cost;
	uint32_t from, len, dist;
	uint32_t last;         /* the last distance, arriving here */
	uint8_t pm;            /* arrived by a match */
};

struct pk_ctx {
	const uint8_t *in;
	size_t n;
	int32_t *head, *prev;  /* 2-byte hash chains */
	double price[NFZ_NPROBS][2];
	double len_price[PK_NICE + 1];
};

static uint32_t pk_common(const struct pk_ctx *c, size_t a, size_t b, size_t max)
{
	size_t k = 0;
	while (k < max && c->in[a + k] == c->in[b + k])
		k++;
	return (uint32_t)k;
}

static double pk_num_price(const struct pk_ctx *c, unsigned ctx, uint32_t v)
{
	double s = 0;
	unsigned i = 0;
	for (; v >> (i + 1); i++)
		s += c->price[ctx + 2 * i][1] + c->price[ctx + 2 * i + 1][(v >> i) & 1];
	return s + c->price[ctx + 2 * i][0];
}

/* -log2(x) for 0 < x <= 1, without libm (the unit tests link none). */
static double pk_bits(double x)
{
	double e = 0, y, y2, t, s = 0;
	while (x < 1) {
		x *= 2;
		e++;
	}
	/* x in [1, 2): ln x = 2 atanh((x - 1) / (x + 1)) */
	y = (x - 1) / (x + 1);
	y2 = y * y;
	t = y;
	for (int k = 1; k < 24; k += 2, t *= y2)
		s += t / k;
	return e - 2 * s / 0.69314718055994531;
}

static void pk_prices(struct pk_ctx *c, const struct pk_enc *stats)
{
	for (unsigned i = 0; i < NFZ_NPROBS; i++) {
		double n0 = stats ? stats->cnt[i][0] : 0, n1 = stats ? stats->cnt[i][1] : 0;
		if (n0 + n1 == 0) { /* unseen: a bit each */
			c->price[i][0] = c->price[i][1] = 1;
			continue;
		}
		c->price[i][0] = pk_bits((n0 + 0.4) / (n0 + n1 + 0.8));
		c->price[i][1] = pk_bits((n1 + 0.4) / (n0 + n1 + 0.8));
	}
	for (uint32_t l = NFZ_MIN_MATCH; l <= PK_NICE; l++)
		c->len_price[l] = pk_num_price(c, NFZ_P_LEN, l - 1);
}

static double pk_lit_price(const struct pk_ctx *c, size_t pos)
{
	unsigned ctx = NFZ_LIT_CTX(pos), v = c->in[pos] | 0x100;
	double s = 0;
	for (int b = 7; b >= 0; b--)
		s += c->price[ctx + (v >> (b + 1))][(v >> b) & 1];
	return s;
}

static double pk_len_price(const struct pk_ctx *c, uint32_t len)
{
	return len <= PK_NICE ? c->len_price[len] : pk_num_price(c, NFZ_P_LEN, len - 1);
}

static void pk_relax(struct pk_node *nd, size_t from, size_t to, double cost, uint32_t len,
		     uint32_t dist)
{
	if (cost < nd[to].cost) {
		nd[to].cost = cost;
		nd[to].from = (uint32_t)from;
		nd[to].len = len;
		nd[to].dist = dist;
		nd[to].last = len > 1 ? dist : nd[from].last;
		nd[to].pm = len > 1;
	}
}

/* The shortest path under c's prices, as tokens (*ntok of them). */
static struct pk_tok *pk_parse(struct pk_ctx *c, size_t *ntok)
{
	size_t n = c->n;
	struct pk_node *nd = malloc((n + 1) * sizeof(*nd));
	struct pk_tok *tok = NULL;
	if (!nd)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		nd[i].cost = 1e300;
	nd[0].cost = 0;
	nd[0].last = 0;
	nd[0].pm = 1;
	for (size_t i = 0; i < n; i++) {
		const struct pk_node *at = &nd[i];
		size_t max = n - i;
		double lit = at->cost + c->price[NFZ_MATCH_CTX(at->pm, i)][0] + pk_lit_price(c, i);
		pk_relax(nd, i, i + 1, lit, 1, 0);
		if (max < NFZ_MIN_MATCH)
			continue;
		double mbase = at->cost + c->price[NFZ_MATCH_CTX(at->pm, i)][1];
		uint32_t rlen = 0;
		if (!at->pm && at->last && at->last <= i) {
			rlen = pk_common(c, i, i - at->last, max);
			double base = mbase + c->price[NFZ_P_REP][0];
			if (rlen >= PK_NICE) {
				pk_relax(nd, i, i + rlen, base + pk_len_price(c, rlen), rlen, at->last);
				i += rlen - 1;
				continue;
			}
			for (uint32_t l = NFZ_MIN_MATCH; l <= rlen; l++)
				pk_relax(nd, i, i + l, base + c->len_price[l], l, at->last);
		}
		/* New distances: the nearest first, each kept for the lengths
		 * no nearer one reaches. */
		double nbase = mbase + (at->pm ? 0 : c->price[NFZ_P_REP][1]);
		uint32_t best = 1;
		int32_t j = c->prev[i];
		for (int d = 0; j >= 0 && d < PK_DEPTH; d++, j = c->prev[j]) {
			if (best >= max)
				break;
			uint32_t dist = (uint32_t)(i - (size_t)j);
			/* no longer than best, or the last distance (priced above) */
			if (c->in[i + best] != c->in[(size_t)j + best] || (!at->pm && dist == at->last))
				continue;
			uint32_t l = pk_common(c, i, (size_t)j, max < PK_NICE ? max : PK_NICE);
			if (l <= best)
				continue;
			double base = nbase + pk_num_price(c, NFZ_P_DIST, dist);
			if (l >= PK_NICE) {
				l = pk_common(c, i, (size_t)j, max);
				pk_relax(nd, i, i + l, base + pk_len_price(c, l), l, dist);
				best = l;
				break;
			}
			for (uint32_t k = best + 1; k <= l; k++)
				pk_relax(nd, i, i + k, base + c->len_price[k], k, dist);
			best = l;
		}
		if (best >= PK_NICE)
			i += best - 1;
	}
	size_t cnt = 0;
	for (size_t i = n; i > 0; i = nd[i].from)
		cnt++;
	tok = malloc((cnt ? cnt : 1) * sizeof(*tok));
	if (tok) {
		size_t k = cnt;
		for (size_t i = n; i > 0; i = nd[i].from) {
			tok[--k].len = nd[i].len;
			tok[k].dist = nd[i].dist;
		}
		*ntok = cnt;
	}
	free(nd);
	return tok;
}

/* The chains: prev[i] is the last position before i that starts with
 * the same two bytes, -1 if none. */
static void pk_chains(struct pk_ctx *c)
{
	for (size_t i = 0; i < 65536; i++)
		c->head[i] = -1;
	for (size_t i = 0; i < c->n; i++) {
		unsigned h = i + 1 < c->n ? (unsigned)(c->in[i] | c->in[i + 1] << 8) : 0;
		c->prev[i] = i + 1 < c->n ? c->head[h] : -1;
		if (i + 1 < c->n)
			c->head[h] = (int32_t)i;
	}
}

static void pk_encode(struct pk_enc *e, const uint8_t *in, const struct pk_tok *tok, size_t ntok)
{
	size_t pos = 0;
	uint32_t last = 0;
	unsigned pm = 1;
	pk_init(e);
	for (size_t t = 0; t < ntok; t++) {
		if (tok[t].len == 1) {
			unsigned ctx = NFZ_LIT_CTX(pos), v = in[pos] | 0x100;
			pk_bit(e, NFZ_MATCH_CTX(pm, pos), 0);
			for (int b = 7; b >= 0; b--)
				pk_bit(e, ctx + (v >> (b + 1)), (v >> b) & 1);
			pos++;
			pm = 0;
			continue;
		}
		pk_bit(e, NFZ_MATCH_CTX(pm, pos), 1);
		if (!pm)
			pk_bit(e, NFZ_P_REP, tok[t].dist != last);
		if (pm || tok[t].dist != last)
			pk_num(e, NFZ_P_DIST, tok[t].dist);
		pk_num(e, NFZ_P_LEN, tok[t].len - 1);
		last = tok[t].dist;
		pos += tok[t].len;
		pm = 1;
	}
	pk_flush(e);
}

/* Compress in[0..n) into a malloc'd NFZ1 blob. 0 or -errno. */
static int nfz_pack(const uint8_t *in, size_t n, uint8_t **out, size_t *out_len)
{
	if (n > 0xffffffffu)
		return -E2BIG;
	struct pk_ctx c = { .in = in, .n = n };
	struct pk_enc *e = malloc(sizeof(*e)), *stats = NULL;
	uint8_t *best = NULL;
	size_t best_len = 0;
	int err = 0;
	c.head = malloc(65536 * sizeof(*c.head));
	c.prev = malloc((n ? n : 1) * sizeof(*c.prev));
	if (!e || !c.head || !c.prev) {
		err = -ENOMEM;
		goto out;
	}
	pk_chains(&c);
	for (int pass = 0; pass < PK_PASSES && !err; pass++) {
		pk_prices(&c, stats);
		size_t ntok = 0;
		struct pk_tok *tok = pk_parse(&c, &ntok);
		if (!tok) {
			err = -ENOMEM;
			break;
		}
		pk_encode(e, in, tok, ntok);
		free(tok);
		if (!e->oom && (!best || e->len + NFZ_HDR < best_len)) {
			free(best);
			best_len = e->len + NFZ_HDR;
			if ((best = malloc(best_len))) {
				memcpy(best, NFZ_MAGIC, 4);
				for (int k = 0; k < 4; k++)
					best[4 + k] = (uint8_t)(n >> (8 * k));
				memcpy(best + NFZ_HDR, e->buf, e->len);
			}
		}
		free(e->buf);
		if (e->oom || !best) {
			err = -ENOMEM;
			break;
		}
		if (!stats && !(stats = malloc(sizeof(*stats)))) {
			err = -ENOMEM;
			break;
		}
		memcpy(stats, e, sizeof(*e));
		stats->buf = NULL;
	}
out:
	if (err) {
		free(best);
		best = NULL;
		best_len = 0;
	}
	*out = best;
	*out_len = best_len;
	free(stats);
	free(e);
	free(c.head);
	free(c.prev);
	return err;
}

#ifndef NFZ_NO_MAIN
int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: pack IN OUT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t cap = 1 << 16, n = 0, r;
	uint8_t *in = malloc(cap);
	while (in && (r = fread(in + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			uint8_t *ni = realloc(in, cap *= 2);
			if (!ni)
				free(in);
			in = ni;
		}
	}
	int rd_err = ferror(f);
	fclose(f);
	if (!in || rd_err) {
		fprintf(stderr, "%s: read failed\n", argv[1]);
		return 1;
	}
	uint8_t *out;
	size_t out_len;
	int err = nfz_pack(in, n, &out, &out_len);
	if (err) {
		fprintf(stderr, "pack %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	/* Check it: the decoder must give the input back. */
	uint8_t *back = malloc(n ? n : 1);
	size_t back_len = 0;
	if (!back || nf_unpack(out, out_len, back, n, &back_len) || back_len != n ||
	    memcmp(back, in, n)) {
		fprintf(stderr, "pack %s: the round trip failed\n", argv[1]);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	free(back);
	free(out);
	free(in);
	return 0;
}
#endif
