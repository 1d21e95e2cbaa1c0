/* The HPACK Huffman code (RFC 7541 section 5.2 and Appendix B) and its
 * decoder.
 *
 * Appendix B's code is canonical: taking the symbols in order of code
 * length, then of symbol value, each code is the previous one plus one,
 * shifted left when the length grows. So the table below is the appendix
 * regrouped by length, and every code follows from it (nf_huff_code). The
 * unit test holds the appendix's own rows (code and length per symbol) and
 * checks that they agree with this table, that the lengths fill the code
 * space exactly (Kraft) and that no code prefixes another. */
#include "hpack.h"

#define HUFF_MAX_BITS 30
#define HUFF_EOS 256

/* How many codes have each length. */
static const uint8_t huff_count[HUFF_MAX_BITS + 1] = {
	[5] = 10, [6] = 26, [7] = 32, [8] = 6, [10] = 5, [11] = 3, [12] = 2,
	[13] = 6, [14] = 2, [15] = 3, [19] = 3, [20] = 8, [21] = 13, [22] = 26,
	[23] = 29, [24] = 12, [25] = 4, [26] = 15, [27] = 19, [28] = 29, [30] = 4,
};

/* The symbols in code order: by length, then by value. */
static const uint16_t huff_sym[HUFF_EOS + 1] = {
	/*  5 bits, 10 */ '0', '1', '2', 'a', 'c', 'e', 'i', 'o', 's', 't',
	/*  6 bits, 26 */ ' ', '%', '-', '.', '/', '3', '4', '5', '6', '7', '8',
		'9', '=', 'A', '_', 'b', 'd', 'f', 'g', 'h', 'l', 'm', 'n', 'p', 'r', 'u',
	/*  7 bits, 32 */ ':', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K',
		'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'Y', 'j', 'k',
		'q', 'v', 'w', 'x', 'y', 'z',
	/*  8 bits,  6 */ '&', '*', ',', ';', 'X', 'Z',
	/* 10 bits,  5 */ '!', '"', '(', ')', '?',
	/* 11 bits,  3 */ '\'', '+', '|',
	/* 12 bits,  2 */ '#', '>',
	/* 13 bits,  6 */ 0, '$', '@', '[', ']', '~',
	/* 14 bits,  2 */ '^', '}',
	/* 15 bits,  3 */ '<', '`', '{',
	/* 19 bits,  3 */ '\\', 195, 208,
	/* 20 bits,  8 */ 128, 130, 131, 162, 184, 194, 224, 226,
	/* 21 bits, 13 */ 153, 161, 167, 172, 176, 177, 179, 209, 216, 217, 227,
		229, 230,
	/* 22 bits, 26 */ 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164,
		169, 170, 173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233,
	/* 23 bits, 29 */ 1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150, 151,
		152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191, 197,
		231, 239,
	/* 24 bits, 12 */ 9, 142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237,
	/* 25 bits,  4 */ 199, 207, 234, 235,
	/* 26 bits, 15 */ 192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238,
		240, 242, 243, 255,
	/* 27 bits, 19 */ 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245,
		246, 247, 248, 250, 251, 252, 253, 254,
	/* 28 bits, 29 */ 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20,
		21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127, 220, 249,
	/* 30 bits,  4 */ 10, 13, 22, HUFF_EOS,
};

int nf_huff_code(unsigned sym, uint32_t *code, unsigned *bits)
{
	uint32_t c = 0;
	unsigned k = 0;
	for (unsigned len = 1; len <= HUFF_MAX_BITS; len++, c <<= 1) {
		for (unsigned i = 0; i < huff_count[len]; i++, k++, c++) {
			if (huff_sym[k] == sym) {
				*code = c;
				*bits = len;
				return 0;
			}
		}
	}
	return -1;
}

/* Walking the canonical code a bit at a time: the codes of each length are
 * a run of consecutive values starting at `first`, so a prefix that is
 * below first + count is complete, and its rank in the run picks the
 * symbol. At most 30 steps a symbol, and no table to build. */
struct huff_walk {
	uint32_t code, first;  /* the bits so far; the first code of this length */
	unsigned len, index;   /* bits so far; huff_sym index of `first` */
};

/* Feed one bit: a symbol, or -1 while the code is incomplete. */
static int walk_bit(struct huff_walk *w, unsigned bit)
{
	w->code = (w->code << 1) | bit;
	w->len++;
	unsigned n = huff_count[w->len];
	if (w->code - w->first < n) {
		int sym = huff_sym[w->index + (w->code - w->first)];
		*w = (struct huff_walk){ 0 };
		return sym;
	}
	w->index += n;
	w->first = (w->first + n) << 1;
	return -1;
}

int nf_huff_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	struct huff_walk w = { 0 };
	size_t o = 0;
	*out_len = 0;
	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			int sym = walk_bit(&w, (in[i] >> b) & 1);
			if (sym == HUFF_EOS)  /* 5.2: EOS in a string is an error */
				return NF_HPACK_E_HUFFMAN;
			if (sym < 0) {
				if (w.len >= HUFF_MAX_BITS)  /* cannot happen with a full code */
					return NF_HPACK_E_HUFFMAN;
				continue;
			}
			if (out) {
				if (o >= cap)
					return NF_HPACK_E_SPACE;
				out[o] = (uint8_t)sym;
			}
			o++;
		}
	}
	/* 5.2: what is left is padding, the start of EOS (all ones), shorter
	 * than a byte. */
	if (w.len > 7 || w.code != (1u << w.len) - 1)
		return NF_HPACK_E_HUFFMAN;
	*out_len = o;
	return 0;
}
