/* nf_unpack: the NFZ1 decoder (format: unpack.h). Every input byte is
 * read through rc_norm, which stops at in_len; every output byte is
 * written below the declared length, checked against out_cap first. */
#include "unpack.h"
#include <errno.h>

struct rc {
	const uint8_t *p, *end;
	uint32_t range, code;
	int err;                   /* read past the end */
};

__attribute__((noinline)) static void rc_norm(struct rc *r)
{
	while (r->range < (1u << 24)) {
		r->range <<= 8;
		r->code <<= 8;
		if (r->p < r->end)
			r->code |= *r->p++;
		else
			r->err = 1;
	}
}

__attribute__((noinline)) static unsigned rc_bit(struct rc *r, uint16_t *pr)
{
	rc_norm(r);
	uint32_t bound = (r->range >> NFZ_PROB_BITS) * *pr;
	if (r->code < bound) {
		r->range = bound;
		*pr = (uint16_t)(*pr + (((1u << NFZ_PROB_BITS) - *pr) >> NFZ_MOVE));
		return 0;
	}
	r->code -= bound;
	r->range -= bound;
	*pr = (uint16_t)(*pr - (*pr >> NFZ_MOVE));
	return 1;
}

/* An Elias gamma number >= 1; 0 when it has too many bits. */
__attribute__((noinline)) static uint32_t rc_num(struct rc *r, uint16_t *pr)
{
	uint32_t v = 0;
	unsigned i = 0;
	while (rc_bit(r, pr + 2 * i)) {
		if (i == NFZ_NUM_BITS)
			return 0;
		v |= rc_bit(r, pr + 2 * i + 1) << i;
		i++;
	}
	return v | 1u << i;
}

int nf_unpack_size(const uint8_t *in, size_t in_len, size_t *len)
{
	if (in_len < NFZ_MIN || in[0] != 'N' || in[1] != 'F' || in[2] != 'Z' || in[3] != '1')
		return -EINVAL;
	*len = (size_t)in[4] | (size_t)in[5] << 8 | (size_t)in[6] << 16 | (size_t)in[7] << 24;
	return 0;
}

int nf_unpack(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t n, pos = 0, dist = 0;
	int err = nf_unpack_size(in, in_len, &n);
	if (err)
		return err;
	if (n > out_cap)
		return -ENOSPC;
	uint16_t pr[NFZ_NPROBS];
	for (unsigned i = 0; i < NFZ_NPROBS; i++)
		pr[i] = NFZ_PROB_INIT;
	struct rc r = { in + NFZ_MIN, in + in_len, 0xffffffffu,
			(uint32_t)in[8] << 24 | (uint32_t)in[9] << 16 | (uint32_t)in[10] << 8 | in[11], 0 };
	unsigned pm = 1;
	while (pos < n && !r.err) {
		if (!rc_bit(&r, pr + NFZ_MATCH_CTX(pm, pos))) {
			uint16_t *lit = pr + NFZ_LIT_CTX(pos);
			unsigned c = 1;
			while (c < 256)
				c = 2 * c + rc_bit(&r, lit + c);
			out[pos++] = (uint8_t)c;
			pm = 0;
			continue;
		}
		if (pm || rc_bit(&r, pr + NFZ_P_REP))
			dist = rc_num(&r, pr + NFZ_P_DIST);
		size_t len = rc_num(&r, pr + NFZ_P_LEN);
		if (!dist || dist > pos || !len || len >= n - pos)
			return -EINVAL;
		for (len++; len; len--, pos++)
			out[pos] = out[pos - dist];
		pm = 1;
	}
	rc_norm(&r);
	if (r.err || r.p != r.end)
		return -EINVAL;
	*out_len = n;
	return 0;
}
