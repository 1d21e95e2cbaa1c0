/* .BTF.ext parser: header, then per kind "rec_size, {sec, n, recs[n]}...". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_ext.h"
#include "log.h"

/* The fixed part of the header every version has, then the CO-RE part. */
struct ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t off[2 * NF_EXT_KINDS]; /* func off/len, line off/len, core off/len */
};

#define EXT_HDR_MIN (8 + 4 * 4)

static const uint32_t min_rec[NF_EXT_KINDS] = { 8, 16, 16 };

static int bad(const char *what)
{
	nf_seterr("bad .BTF.ext: %s", what);
	return -EINVAL;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static int parse_info(struct nf_ext_info *in, const uint8_t *p, size_t len,
		      enum nf_ext_kind kind, const struct nf_btf *btf)
{
	size_t pos = 4, cap = 0;

	if (len == 0)
		return 0;
	if (len < 4)
		return bad("sub-section too short");
	in->rec_size = rd32(p);
	if (in->rec_size < min_rec[kind] || in->rec_size % 4 || in->rec_size > 256)
		return bad("record size");
	while (pos < len) {
		if (len - pos < 8)
			return bad("truncated section header");
		uint32_t name = rd32(p + pos), n = rd32(p + pos + 4);
		const char *sec = nf_btf_str(btf, name);
		pos += 8;
		if (!sec || n == 0 || n > (len - pos) / in->rec_size)
			return bad("section name or record count");
		if (in->nsecs == cap) {
			cap = cap ? cap * 2 : 8;
			struct nf_ext_sec *ns = realloc(in->secs, cap * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			in->secs = ns;
		}
		in->secs[in->nsecs++] = (struct nf_ext_sec){ sec, p + pos, n };
		pos += (size_t)n * in->rec_size;
	}
	return 0;
}

int nf_btf_ext_parse(struct nf_btf_ext *ext, const void *data, size_t len,
		     const struct nf_btf *btf)
{
	struct ext_hdr h = { 0 };
	const uint8_t *p = data;
	int err = 0;

	memset(ext, 0, sizeof(*ext));
	if (len < EXT_HDR_MIN)
		return bad("shorter than its header");
	memcpy(&h, p, EXT_HDR_MIN);
	if (h.magic != BTF_MAGIC || h.version != 1)
		return bad("magic or version");
	if (h.hdr_len < EXT_HDR_MIN || h.hdr_len > len || h.hdr_len % 4)
		return bad("header length");
	memcpy(&h, p, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	size_t body = len - h.hdr_len;
	for (int k = 0; k < NF_EXT_KINDS && !err; k++) {
		uint32_t off = h.off[2 * k], sl = h.off[2 * k + 1];
		if (off > body || sl > body - off || off % 4)
			err = bad("sub-section out of range");
		else
			err = parse_info(&ext->info[k], p + h.hdr_len + off, sl, k, btf);
	}
	if (err)
		nf_btf_ext_free(ext);
	return err;
}

void nf_btf_ext_free(struct nf_btf_ext *ext)
{
	for (int k = 0; k < NF_EXT_KINDS; k++)
		free(ext->info[k].secs);
	memset(ext, 0, sizeof(*ext));
}

const struct nf_ext_sec *nf_btf_ext_find(const struct nf_btf_ext *ext,
					 enum nf_ext_kind kind, const char *sec)
{
	const struct nf_ext_info *in = &ext->info[kind];

	for (uint32_t i = 0; i < in->nsecs; i++)
		if (!strcmp(in->secs[i].sec, sec))
			return &in->secs[i];
	return NULL;
}
