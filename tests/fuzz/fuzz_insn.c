/* The instruction decoder (parse/insn.h) over any bytes as a function's
 * code. x86-64: nf_find_rets, then a second linear walk by
 * nf_x86_insn_len must end exactly at the end and find the same returns
 * (the instructions whose opcode after the prefixes is C3 or C2);
 * the first instruction's length must not depend on how many bytes past it
 * there are, and every shorter avail must be -1. arm64: the returns of the
 * whole words, counted again here. A broken rule traps. */
#include <string.h>
#include "fuzz.h"
#include "parse/insn.h"

#define MAX_RETS 4096
static uint32_t offs[MAX_RETS];

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* The opcode byte after the legacy and REX prefixes. */
static uint8_t opcode(const uint8_t *p, size_t n)
{
	static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	size_t i = 0;
	while (i < n && ((p[i] & 0xf0) == 0x40 || memchr(pfx, p[i], sizeof(pfx))))
		i++;
	return i < n ? p[i] : 0;
}

static void first_insn(const uint8_t *p, size_t n)
{
	int l = nf_x86_insn_len(p, n);
	check(l == -1 || (l >= 1 && l <= 15 && (size_t)l <= n));
	if (l < 0)
		return;
	for (size_t a = 0; a < (size_t)l; a++)
		check(nf_x86_insn_len(p, a) == -1);
	check(nf_x86_insn_len(p, (size_t)l) == l);
}

static void x86(const uint8_t *p, size_t n)
{
	int r = nf_find_rets(NF_ARCH_X86_64, p, n, offs, MAX_RETS);
	size_t k = 0, off = 0;
	if (r < 0)
		return;
	while (off < n) {
		int l = nf_x86_insn_len(p + off, n - off);
		check(l > 0);
		/* after the prefixes C3 and C2 can only be the one-byte map's */
		uint8_t op = opcode(p + off, (size_t)l);
		if (op == 0xc3 || op == 0xc2) {
			check(k >= MAX_RETS || offs[k] == off);
			k++;
		}
		off += (size_t)l;
	}
	check(off == n && k == (size_t)r);
}

static void arm64(const uint8_t *p, size_t n)
{
	size_t whole = n & ~(size_t)3, k = 0;
	check(n == whole || nf_find_rets(NF_ARCH_ARM64, p, n, NULL, 0) == -1);
	int r = nf_find_rets(NF_ARCH_ARM64, p, whole, offs, MAX_RETS);
	for (size_t off = 0; off < whole; off += 4) {
		uint32_t w = p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
			     (uint32_t)p[off + 3] << 24;
		if ((w & 0xfffffc1f) == 0xd65f0000 || w == 0xd65f0bff || w == 0xd65f0fff) {
			check(k >= MAX_RETS || offs[k] == off);
			k++;
		}
	}
	check(r == (int)k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	first_insn(data, size);
	x86(data, size);
	arm64(data, size);
	return 0;
}
