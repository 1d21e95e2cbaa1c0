/* HPACK: one decoder through a sequence of operations (fuzz.h framing);
 * ctl & 3: 0 decode a header block, 1 set the limit (the first four bytes,
 * little-endian), 2 desync, 3 assume fresh. The first byte of the input
 * picks the start state (known or joined mid-connection). After each
 * block every dynamic entry is read back; each block also goes through
 * the Huffman decoder alone. */
#include <string.h>
#include "fuzz.h"
#include "tlstrace/hpack.h"

static void entries(const struct nf_hpack *d)
{
	struct nf_hpack_field f;
	uint32_t n = nf_hpack_count(d);
	for (uint32_t i = 0; i <= n; i++)
		nf_hpack_entry(d, i, &f);
	nf_hpack_size(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct fz in = { data, size };
	struct nf_hpack d;
	struct nf_hpack_field fields[32];
	static char buf[2048];
	static uint8_t huff[4096];
	struct nf_hpack_out out;
	struct fz_op op;

	nf_hpack_init(&d, fz_u8(&in) & 1);
	nf_hpack_out_init(&out, fields, 32, buf, sizeof(buf));
	while (fz_next(&in, &op)) {
		uint32_t v = 0;
		size_t hl;
		switch (op.ctl & 3) {
		case 0:
			nf_hpack_strerror(nf_hpack_decode(&d, op.data, op.len, &out));
			entries(&d);
			nf_huff_decode(op.data, op.len, huff, sizeof(huff), &hl);
			break;
		case 1:
			memcpy(&v, op.data, op.len < 4 ? op.len : 4);
			nf_hpack_set_limit(&d, v);
			break;
		case 2:
			nf_hpack_desync(&d);
			break;
		default:
			nf_hpack_assume_fresh(&d);
		}
	}
	nf_hpack_free(&d);
	return 0;
}
