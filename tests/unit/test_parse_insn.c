/* The instruction decoder (loader/parse/insn.c) against objdump's reading
 * of code built at test time (tests/unit/insn_truth.sh: the fixture
 * tests/fixtures/insn/shapes.c by gcc and clang for x86-64, with AVX2 and
 * AVX-512 builds, and for arm64; the Go program tests/fixtures/host/
 * gotls.go for amd64 and arm64 when go is installed; the system's
 * libc.so.6, whose string functions are hand-written): every function's
 * instruction boundaries, decoding linearly from its symbol, and its
 * returns. Then hand-checked encodings (each also what objdump says, but
 * where noted), invalid ones, every truncation, the 15-byte limit, and
 * random bytes in buffers of their exact size (ASan sees any read past). */
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/wait.h>
#include "parse/insn.h"
#include "elf_walk.h"
#include "t.h"
#include "t_data.h"


/* nf_x86_insn_len over a heap copy of exactly avail bytes. */
static int len_exact(const uint8_t *p, size_t avail)
{
	uint8_t *b = malloc(avail ? avail : 1);
	if (!b)
		return -2;
	memcpy(b, p, avail);
	int r = nf_x86_insn_len(b, avail);
	free(b);
	return r;
}

/* Every avail below n: -1; n and more: n. */
static int truncations_ok(const uint8_t *p, size_t n, size_t have)
{
	for (size_t a = 0; a <= have; a++)
		if (len_exact(p, a) != (a < n ? -1 : (int)n))
			return 0;
	return 1;
}

/* ---- hand-checked x86-64 encodings ------------------------------------ */

/* Each a whole instruction. objdump reads each as one, but the last three
 * lines (it prints a REX that a prefix voids, and prefixes past a count,
 * as instructions of their own; the CPU decodes one instruction). */
static const char *const x86_good[] = {
	"c3", "c2 08 00", "f3 c3", "f2 c3", "66 c3", "2e c3", "cb", "ca 10 00",
	"cc", "90", "f3 90",
	/* nops of every length compilers pad with */
	"0f 1f 00", "0f 1f 40 00", "0f 1f 44 00 00", "66 0f 1f 44 00 00",
	"0f 1f 80 00 00 00 00", "0f 1f 84 00 00 00 00 00", "66 0f 1f 84 00 00 00 00 00",
	"66 2e 0f 1f 84 00 00 00 00 00", "66 66 2e 0f 1f 84 00 00 00 00 00",
	"f3 0f 1e fa",                                 /* endbr64 */
	"c8 20 00 01",                                 /* enter imm16, imm8 */
	/* group 3: /0 and /1 take an immediate */
	"f6 40 03 7f", "f6 d8", "f7 04 24 78 56 34 12", "66 f7 c1 34 12",
	"f7 4d 10 11 22 33 44", "f7 d1", "48 f7 f1",
	/* moffs: 8 bytes, 4 with 67 */
	"a0 88 77 66 55 44 33 22 11", "48 a3 88 77 66 55 44 33 22 11",
	"67 a1 44 33 22 11", "67 a2 44 33 22 11",
	/* mov r, imm: imm64 with REX.W, 66 shrinks imm32, REX.W beats 66 */
	"b8 78 56 34 12", "66 b8 34 12", "48 b8 88 77 66 55 44 33 22 11",
	"49 bb 88 77 66 55 44 33 22 11", "66 48 b8 88 77 66 55 44 33 22 11",
	"66 48 c7 c0 01 02 03 04", "66 c7 00 34 12",
	"05 44 33 22 11", "66 05 22 11", "48 05 44 33 22 11",
	"68 44 33 22 11", "6a 03", "66 68 34 12", "69 c8 67 45 23 01", "4d 6b 45 00 03",
	"80 c1 7f", "81 c1 44 33 22 11", "83 c1 7f", "c0 e0 03", "c1 64 24 08 03",
	"c6 00 7f", "c7 44 24 08 44 33 22 11",
	"c7 f8 00 00 00 00", "c6 f8 33",               /* xbegin rel32, xabort imm8 */
	/* branches */
	"e8 00 00 00 00", "e9 00 00 00 00", "eb fe", "74 00", "7f 10", "e3 fe",
	"e2 fe", "67 e3 fe", "cd 80", "e4 60", "e6 80",
	"0f 84 00 00 00 00", "0f 8f 10 00 00 00",
	"0f 05", "0f 07", "0f 0b", "0f a2", "0f 31", "0f b9 00", "0f ff 00",
	"f3 0f b8 c1", "f3 48 0f b8 47 08",            /* popcnt */
	/* ModRM, SIB, displacements; 67 keeps the forms */
	"8b 04 24", "8b 04 25 44 33 22 11", "8b 05 44 33 22 11", "8b 44 24 08",
	"8b 84 24 00 01 00 00", "8b 45 00", "8b 85 00 01 00 00", "8b 04 8d 00 00 00 00",
	"42 8b 04 a5 00 00 00 00", "67 8b 04 58", "67 8b 05 44 33 22 11",
	"67 8b 04 25 44 33 22 11", "8d 05 44 33 22 11",
	"0f 20 c0", "0f 22 d8", "0f 23 f8",            /* mov cr/dr */
	/* 0F map immediates */
	"0f 70 ca 1b", "66 0f 70 d1 1b", "66 0f 73 fd 08", "0f 71 d0 03", "0f c2 c1 02",
	"f2 0f c2 58 10 05", "66 0f c4 c8 03", "66 0f c5 c1 02", "0f c6 38 44",
	"0f a4 03 05", "48 0f ac ca 3c", "0f a5 c2", "0f ba 60 10 03", "48 0f ba e8 3f",
	"0f af c1", "0f b6 08", "48 0f be d0", "0f 44 44 24 10", "0f 95 c0",
	"0f 18 4f 40", "0f 0d 0f", "0f ae f0", "0f ae 38", "0f c7 f0", "0f 01 d0",
	"0f 01 f9", "48 0f c7 0e", "0f c8", "41 0f c9",
	/* three-byte maps */
	"66 0f 38 00 c1", "66 0f 38 17 ca", "0f 38 f0 07", "f2 48 0f 38 f1 08",
	"66 48 0f 38 f6 c8", "0f 38 c8 ca", "66 0f 38 dc ca",
	"66 0f 3a 0f d1 03", "66 48 0f 3a 16 c8 01", "66 0f 3a 44 d1 11",
	"66 0f 3a 63 0f 0c", "66 0f 3a df d1 01", "0f 3a cc d1 03",
	/* 0F 78/79: SSE4a with 66/F2, VMREAD without */
	"66 0f 78 c1 08 04", "f2 0f 79 ca", "f2 0f 78 d1 04 08", "0f 78 c1",
	"66 0f 6f 05 10 00 00 00", "44 0f 11 3c 88", "0f ef c8", "0f 77",
	/* VEX: map 1's imm8 opcodes, map 3, vzeroupper without ModRM */
	"c5 f8 77", "c5 fc 77", "c5 ec 58 d9", "c5 fd 70 d1 4e", "c5 f5 73 d1 07",
	"c5 f4 c2 d9 01", "c5 f1 c4 d0 01", "c5 f9 c5 c1 01", "c5 f4 c6 50 20 1b",
	"c4 63 fd 00 e1 1b", "c4 e3 75 46 14 d8 21", "c4 e3 6d 02 d9 f0",
	"c4 e2 6d b8 d9", "c4 e2 7d 58 d1", "c4 e2 6d 92 1c 90", "c4 e2 f1 f7 cb",
	"c4 e3 fb f0 d8 0d", "c4 e2 e0 f2 08", "c5 f8 93 c1", "c5 ec 41 d9",
	/* EVEX: the same rule by map; 5 and 6 are FP16's */
	"62 f1 6c c9 58 d9", "62 f1 6c 58 58 18", "62 f1 7d 48 70 d1 4e",
	"62 f1 ed 48 73 50 01 07", "62 f1 6c 48 c2 d9 01", "62 f3 6d 48 25 d9 96",
	"62 f3 fd 48 3b ca 01", "62 61 fe 48 6f b4 24 00 10 00 00", "62 f2 6d 48 7d d9",
	"62 f5 6e 08 58 d9", "62 f3 7c 48 66 d1 03", "62 f5 7c 48 7d d1",
	/* XOP: map 8 imm8, map 9 none, map A imm32; 8F with reg 0 is POP */
	"8f e8 60 a2 e2 10", "8f e8 78 c0 d1 03", "8f e9 70 90 da", "8f e9 7c 80 50 10",
	"8f ea 78 10 d8 34 12 00 00", "8f ea f8 10 4c 98 08 34 12 00 00",
	"8f e9 60 01 c8", "8f ea 60 12 c0 44 33 22 11", "8f 40 08", "8f c0",
	/* prefixes */
	"f0 48 0f b1 0a", "f0 64 0f c1 04 25 10 00 00 00", "65 48 8b 04 25 28 00 00 00",
	"f3 a4", "f2 ae", "f3 48 ab", "66 a7", "ad", "ec", "ed", "f1", "f4", "9b",
	/* x87 */
	"db 6c 24 10", "db 38", "de c1", "df e0", "d9 ee",
	"8c d8", "8e c0", "3e ff e0", "ff 50 10", "ff 24 c5 78 56 34 12", "ff 00",
	"fe c8", "8f 40 08", "ff 70 10", "48 63 c1",
	/* objdump splits these */
	"48 66 b8 34 12",
	"26 2e 36 3e 64 65 66 67 f0 f2 f3 26 2e 36 90",
	"48 48 48 48 48 48 48 48 48 48 48 48 48 48 90",
};

/* Undecodable: invalid in 64-bit mode, undefined, 3DNow! and VIA PadLock
 * (objdump names these two), a prefix before VEX/EVEX/XOP (#UD; objdump
 * prints it), VEX/EVEX/XOP maps that do not exist. */
static const char *const x86_bad[] = {
	"06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61",
	"82 c0 01", "9a 00 00 00 00 00 00", "ce", "d4 0a", "d5 0a", "d6",
	"ea 00 00 00 00 00 00", "0f 04", "0f 0a", "0f 0c", "0f 0f c1 b4", "0f 24 c0",
	"0f 26 c0", "0f 36", "0f 39", "0f 3b", "0f a6 c0", "0f a7 c0", "0f 7a",
	"0f b8 c1", "66 0f 38 0c c1", "0f 38 50 c1", "66 0f 3a 00 c1 00",
	"8f 60 08", "8f eb 78 10 c0", "8f ff 78 10 c0", "66 8f e9 78 80 d1",
	"48 8f e9 78 80 d1", "fe d0", "ff f8", "c6 c8 00", "c7 c8 00 00 00 00",
	"66 c5 f8 77", "48 c5 f8 77", "f3 c5 f8 77", "f0 62 f1 6c 48 58 d9",
	"c4 e0 78 10 c0", "c4 e4 78 10 c0", "c4 ff 78 10 c0", "62 f4 7c 48 58 c0",
	"62 f0 7c 48 58 c0", "62 f7 7c 48 58 c0", "62 f1 78 48 58 c0",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_x86_hand(void)
{
	uint8_t b[32];

	T_CASE("x86 lengths: prefixes, every map, VEX, EVEX, odd immediates; every truncation") {
		for (size_t i = 0; i < NELEM(x86_good); i++) {
			size_t n = t_unhex(x86_good[i], b, sizeof(b));
			memset(b + n, 0x90, sizeof(b) - n); /* more bytes after it change nothing */
			if (nf_x86_insn_len(b, sizeof(b)) != (int)n)
				t_failf("%s: %d, want %zu", x86_good[i], nf_x86_insn_len(b, sizeof(b)), n);
			else if (!truncations_ok(b, n, n + 2))
				t_failf("%s: a truncation is not -1, or a whole one not %zu", x86_good[i], n);
		}
	}
	T_CASE("x86 invalid, unknown and #UD encodings are -1") {
		for (size_t i = 0; i < NELEM(x86_bad); i++) {
			size_t n = t_unhex(x86_bad[i], b, sizeof(b));
			memset(b + n, 0, sizeof(b) - n);
			if (nf_x86_insn_len(b, sizeof(b)) != -1)
				t_failf("%s: %d, want -1", x86_bad[i], nf_x86_insn_len(b, sizeof(b)));
		}
	}
	T_CASE("x86 15-byte limit: 14 prefixes fit, 15 do not, nor 16 bytes of prefixes and operands") {
		memset(b, 0x66, sizeof(b));
		b[14] = 0x90;
		CHECK_EQ(nf_x86_insn_len(b, sizeof(b)), 15);
		b[14] = 0x66;
		b[15] = 0x90;
		CHECK_EQ(nf_x86_insn_len(b, sizeof(b)), -1);
		memset(b, 0x2e, sizeof(b));
		CHECK_EQ(nf_x86_insn_len(b, sizeof(b)), -1); /* prefixes only */
		/* 12 × 66, then add ax, imm16: 15; 13 × 66: 16 */
		memset(b, 0x66, 12);
		memcpy(b + 12, "\x05\x11\x22", 3);
		CHECK_EQ(nf_x86_insn_len(b, 15), 15);
		memset(b, 0x66, 13);
		memcpy(b + 13, "\x05\x11\x22", 3);
		CHECK_EQ(nf_x86_insn_len(b, sizeof(b)), -1);
		/* the longest nop with 6 more prefixes: 17 */
		size_t n = t_unhex("66 66 66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", b, sizeof(b));
		CHECK_EQ(n, 17);
		CHECK_EQ(nf_x86_insn_len(b, n), -1);
		CHECK_EQ(nf_x86_insn_len(b + 2, n - 2), 15);
		CHECK_EQ(nf_x86_insn_len(b, 0), -1);
	}
}

/* ---- returns ---------------------------------------------------------- */

static int rets(int arch, const char *hex, uint32_t *offs, size_t max)
{
	uint8_t b[256];
	size_t n = t_unhex(hex, b, sizeof(b));
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return -2;
	memcpy(copy, b, n);
	int r = nf_find_rets(arch, copy, n, offs, max);
	free(copy);
	return r;
}

static void test_rets(void)
{
	uint32_t o[8];

	T_CASE("x86 rets: C3, C2 iw, rep ret at its prefix; lret and padding are not") {
		memset(o, 0xff, sizeof(o));
		/* push rbp; mov rbp,rsp; ret; nop; rep ret; int3; ret 8; lret; bnd ret */
		CHECK_EQ(rets(NF_ARCH_X86_64, "55 48 89 e5 c3 90 f3 c3 cc c2 08 00 cb f2 c3", o, 8), 4);
		CHECK_EQ(o[0], 4);
		CHECK_EQ(o[1], 6);
		CHECK_EQ(o[2], 9);
		CHECK_EQ(o[3], 13);
		CHECK_EQ(o[4], 0xffffffff);
		/* C3 bytes inside other instructions are not returns */
		CHECK_EQ(rets(NF_ARCH_X86_64, "b8 c3 c3 c3 c3 48 8d 05 c3 00 00 00 c2 c3 00", o, 8), 1);
		CHECK_EQ(o[0], 12);
	}
	T_CASE("x86 rets: more than max stored as max, the count still whole; none; empty") {
		memset(o, 0xff, sizeof(o));
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 c3 90 c3 c3", o, 2), 4);
		CHECK_EQ(o[0], 0);
		CHECK_EQ(o[1], 1);
		CHECK_EQ(o[2], 0xffffffff);
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 c3 90 c3 c3", NULL, 0), 4);
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 c3", NULL, 5), 2); /* NULL offs: nothing stored */
		CHECK_EQ(rets(NF_ARCH_X86_64, "90 cc 0f 1f 00", o, 8), 0);
		CHECK_EQ(nf_find_rets(NF_ARCH_X86_64, NULL, 0, NULL, 0), 0);
		CHECK_EQ(nf_find_rets(NF_ARCH_ARM64, NULL, 0, o, 8), 0);
	}
	T_CASE("x86 rets: -1 at an undecodable byte or an instruction past the end") {
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 06 c3", o, 8), -1);
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 e8 00 00", o, 8), -1);
		CHECK_EQ(rets(NF_ARCH_X86_64, "c3 c2 08", o, 8), -1);
		CHECK_EQ(nf_find_rets(3, (const uint8_t *)"\xc3", 1, o, 8), -1);
		CHECK_EQ(nf_find_rets(NF_ARCH_X86_64, NULL, 4, o, 8), -1);
	}
	T_CASE("arm64 rets: RET, RET Xn, RETAA, RETAB; not BR, BLR, ERET, B; length a multiple of 4") {
		memset(o, 0xff, sizeof(o));
		const char *words =
			"c0 03 5f d6 " /* 0  ret */
			"20 00 5f d6 " /* 4  ret x1 */
			"c0 03 1f d6 " /* 8  br x30 */
			"c0 03 3f d6 " /* 12 blr x30 */
			"e0 03 9f d6 " /* 16 eret */
			"ff 0b 5f d6 " /* 20 retaa */
			"ff 0f 5f d6 " /* 24 retab */
			"01 00 5f d6 " /* 28 ret's bits but Rm: unallocated */
			"00 00 00 14 " /* 32 b */
			"00 00 00 94 " /* 36 bl */
			"1f 20 03 d5 " /* 40 nop */
			"d6 5f 03 c0 " /* 44 ret, big-endian: not one */
			"00 00 5f d6"; /* 48 ret x0 */
		CHECK_EQ(rets(NF_ARCH_ARM64, words, o, 8), 5);
		CHECK_EQ(o[0], 0);
		CHECK_EQ(o[1], 4);
		CHECK_EQ(o[2], 20);
		CHECK_EQ(o[3], 24);
		CHECK_EQ(o[4], 48);
		CHECK_EQ(o[5], 0xffffffff);
		CHECK_EQ(rets(NF_ARCH_ARM64, words, o, 1), 5);
		CHECK_EQ(rets(NF_ARCH_ARM64, "c0 03 5f d6 c0 03 5f", o, 8), -1);
		CHECK_EQ(rets(NF_ARCH_ARM64, "c0 03", o, 8), -1);
		CHECK_EQ(rets(NF_ARCH_ARM64, "c0 03 5f d6 c0", o, 8), -1);
	}
}

/* ---- random bytes ----------------------------------------------------- */

/* Bytes that start instructions of many kinds more often than chance. */
static uint8_t rand_byte(void)
{
	static const uint8_t hot[] = { 0x0f, 0x38, 0x3a, 0x66, 0x67, 0xf2, 0xf3, 0x48,
				       0xc4, 0xc5, 0x62, 0xf6, 0xf7, 0xa1, 0xb8, 0xc8 };
	uint32_t r = t_rand();
	return r & 0x300 ? (uint8_t)r : hot[(r >> 4) % sizeof(hot)];
}

static void test_random(void)
{
	T_CASE("x86 random bytes: -1 or 1..15, the same for every avail that holds it, -1 for less") {
		uint8_t b[20];
		int decoded = 0;
		for (int i = 0; i < 20000 && !t_failed_in_case; i++) {
			for (size_t k = 0; k < sizeof(b); k++)
				b[k] = rand_byte();
			int n = len_exact(b, sizeof(b));
			if (n == -1)
				continue;
			decoded++;
			if (n < 1 || n > 15 || !truncations_ok(b, (size_t)n, sizeof(b)))
				t_failf("bytes %02x %02x %02x %02x %02x %02x: %d, or a truncation differs",
				     b[0], b[1], b[2], b[3], b[4], b[5], n);
		}
		CHECK(decoded > 10000);
	}
	T_CASE("x86 rets over random bytes: -1, or ascending offsets of C3/C2 instructions") {
		uint8_t b[64];
		uint32_t o[64];
		int whole = 0;
		for (int i = 0; i < 20000 && !t_failed_in_case; i++) {
			size_t len = t_rand() % sizeof(b);
			for (size_t k = 0; k < len; k++)
				b[k] = (t_rand() & 3) ? rand_byte() : 0xc3;
			uint8_t *copy = malloc(len ? len : 1);
			REQUIRE(copy);
			memcpy(copy, b, len);
			int n = nf_find_rets(NF_ARCH_X86_64, copy, len, o, 64);
			free(copy);
			whole += n >= 0;
			for (int k = 0; k < n; k++) {
				int l = nf_x86_insn_len(b + o[k], len - o[k]);
				if ((k && o[k] <= o[k - 1]) || o[k] >= len || l < 1)
					t_failf("offset %u of %d", o[k], n);
			}
		}
		CHECK(whole > 100);
	}
}

/* ---- objdump's reading of built code ---------------------------------- */

struct fn {
	uint64_t start, end;   /* end: the next function's start, or .text's end */
	char *name;
	size_t insn, ninsn;    /* into truth.insns */
	size_t ret, nret;      /* into truth.rets */
	int bad;               /* objdump could not decode all of it */
};

struct truth {
	struct fn *fns;
	size_t nfns, capfns;
	uint64_t *insns, *rets;
	uint8_t *bad;          /* per insn: an X line */
	size_t ninsns, capinsns, nrets, caprets;
	uint8_t *elf;
	size_t elf_len;
	const uint8_t *text;   /* .text's bytes */
	uint64_t text_addr, text_size;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 1024;
	void *np = realloc(*p, c * size);
	if (!np)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

static int add_fn(struct truth *t, uint64_t addr, const char *name)
{
	if (grow((void **)&t->fns, &t->capfns, t->nfns, sizeof(*t->fns)))
		return -1;
	struct fn *f = &t->fns[t->nfns++];
	*f = (struct fn){ .start = addr, .name = strdup(name), .insn = t->ninsns, .ret = t->nrets };
	return f->name ? 0 : -1;
}

static int add_insn(struct truth *t, uint64_t addr, int bad)
{
	size_t cap = t->capinsns;
	if (grow((void **)&t->insns, &t->capinsns, t->ninsns, sizeof(*t->insns)) ||
	    (cap != t->capinsns && !(t->bad = realloc(t->bad, t->capinsns))))
		return -1;
	t->bad[t->ninsns] = (uint8_t)bad;
	t->insns[t->ninsns++] = addr;
	struct fn *f = &t->fns[t->nfns - 1];
	f->ninsn++;
	f->bad |= bad;
	return 0;
}

static int add_ret(struct truth *t, uint64_t addr)
{
	if (grow((void **)&t->rets, &t->caprets, t->nrets, sizeof(*t->rets)))
		return -1;
	t->rets[t->nrets++] = addr;
	t->fns[t->nfns - 1].nret++;
	return 0;
}

static int read_truth(struct truth *t, const char *path)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int r = in ? 0 : -1;
	while (!r && getline(&line, &cap, in) > 0) {
		char *end;
		line[strcspn(line, "\n")] = 0;
		uint64_t addr = strtoull(line + 2, &end, 16);
		if (line[0] == 'F')
			r = add_fn(t, addr, *end ? end + 1 : "?");
		else if (!t->nfns)
			r = -1; /* an instruction before any symbol */
		else if (line[0] == 'I' || line[0] == 'X')
			r = add_insn(t, addr, line[0] == 'X');
		else if (line[0] == 'R')
			r = add_ret(t, addr);
	}
	free(line);
	if (in)
		fclose(in);
	return r;
}

/* .text of the fixture; each function's end. */
static int read_text(struct truth *t, const char *path)
{
	t->elf = t_read_file(path, &t->elf_len);
	if (!t->elf || t->elf_len < sizeof(Elf64_Ehdr) || memcmp(t->elf, ELFMAG, SELFMAG))
		return -1;
	const Elf64_Shdr *s = ew_sec(t->elf, ".text");
	if (!s || s->sh_offset + s->sh_size > t->elf_len)
		return -1;
	t->text = t->elf + s->sh_offset;
	t->text_addr = s->sh_addr;
	t->text_size = s->sh_size;
	for (size_t i = 0; i < t->nfns; i++) {
		t->fns[i].end = i + 1 < t->nfns ? t->fns[i + 1].start : t->text_addr + t->text_size;
		if (t->fns[i].start < t->text_addr || t->fns[i].end < t->fns[i].start ||
		    t->fns[i].end > t->text_addr + t->text_size)
			return -1;
	}
	return 0;
}

static void free_truth(struct truth *t)
{
	for (size_t i = 0; i < t->nfns; i++)
		free(t->fns[i].name);
	free(t->fns);
	free(t->insns);
	free(t->rets);
	free(t->bad);
	free(t->elf);
	memset(t, 0, sizeof(*t));
}

/* Prints no more than this many disagreements a fixture. */
#define MAX_FAILS 10

struct tally {
	size_t fns, insns, rets, bad_fns, fails;
};

static void mismatch(struct tally *n, const struct truth *t, const struct fn *f,
		     uint64_t at, const char *what)
{
	if (n->fails++ >= MAX_FAILS)
		return;
	const uint8_t *p = t->text + (at - t->text_addr);
	size_t left = f->end - at;
	t_failf("%s at %#" PRIx64 " (+%#" PRIx64 "): %s; bytes %02x %02x %02x %02x %02x %02x",
	     f->name, at, at - f->start, what, left > 0 ? p[0] : 0, left > 1 ? p[1] : 0,
	     left > 2 ? p[2] : 0, left > 3 ? p[3] : 0, left > 4 ? p[4] : 0, left > 5 ? p[5] : 0);
}

/* Linear decoding from the function's start gives objdump's boundaries
 * (up to the first bytes objdump cannot decode, where there are some). */
static int x86_boundaries(const struct truth *t, const struct fn *f, struct tally *n)
{
	uint64_t at = f->start;
	for (size_t i = f->insn; i < f->insn + f->ninsn; i++) {
		if (t->insns[i] != at) {
			mismatch(n, t, f, at, "objdump starts an instruction elsewhere");
			return -1;
		}
		if (t->bad[i])
			return 0;
		int l = nf_x86_insn_len(t->text + (at - t->text_addr), f->end - at);
		if (l < 0) {
			mismatch(n, t, f, at, "not decoded");
			return -1;
		}
		at += (uint64_t)l;
	}
	if (at != f->end) {
		mismatch(n, t, f, at, "the last instruction does not end at the function's end");
		return -1;
	}
	return 0;
}

/* nf_find_rets over the function gives objdump's returns. */
static void same_rets(const struct truth *t, const struct fn *f, int arch, struct tally *n)
{
	size_t len = f->end - f->start, max = f->nret + 1;
	uint32_t *o = malloc(max * sizeof(*o));
	if (!o)
		return;
	int r = nf_find_rets(arch, t->text + (f->start - t->text_addr), len, o, max);
	if (r != (int)f->nret) {
		char why[64];
		snprintf(why, sizeof(why), "%d returns, objdump has %zu", r, f->nret);
		mismatch(n, t, f, f->start, why);
	} else {
		for (int i = 0; i < r; i++)
			if (f->start + o[i] != t->rets[f->ret + (size_t)i])
				mismatch(n, t, f, f->start + o[i], "objdump has no return here");
	}
	free(o);
}

/* arm64: objdump's instructions are the function's words, one after the
 * other (a check of the fixture); the returns must be the same. */
static int arm64_words(const struct truth *t, const struct fn *f, struct tally *n)
{
	if ((f->end - f->start) % 4 || f->ninsn != (f->end - f->start) / 4) {
		mismatch(n, t, f, f->start, "not whole words, or objdump skipped some");
		return -1;
	}
	for (size_t i = 0; i < f->ninsn; i++)
		if (t->insns[f->insn + i] != f->start + 4 * i) {
			mismatch(n, t, f, t->insns[f->insn + i], "objdump's word is not the next one");
			return -1;
		}
	return 0;
}

static void compare_fn(const struct truth *t, const struct fn *f, int arch, struct tally *n)
{
	n->fns++;
	n->insns += f->ninsn;
	n->rets += f->nret;
	if (arch == NF_ARCH_X86_64 ? x86_boundaries(t, f, n) : arm64_words(t, f, n))
		return;
	if (f->bad && arch == NF_ARCH_X86_64) {
		n->bad_fns++; /* compared up to objdump's (bad): no whole to walk */
		return;
	}
	same_rets(t, f, arch, n);
}

static const struct fn *find_fn(const struct truth *t, const char *name)
{
	for (size_t i = 0; i < t->nfns; i++)
		if (!strcmp(t->fns[i].name, name))
			return &t->fns[i];
	return NULL;
}

static size_t count_prefix(const struct truth *t, const char *prefix)
{
	size_t k = 0;
	for (size_t i = 0; i < t->nfns; i++)
		k += !strncmp(t->fns[i].name, prefix, strlen(prefix));
	return k;
}

/* The functions tlstrace probes: each found, decoded whole, with returns. */
static void test_go_targets(const struct truth *t, const char *kind, int arch)
{
	static const char *const names[] = { "crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).Write" };
	char title[200];
	for (size_t i = 0; i < NELEM(names); i++) {
		const struct fn *f = find_fn(t, names[i]);
		snprintf(title, sizeof(title), "%s: %s: %zu instructions, %zu returns as objdump reads them",
			 kind, names[i], f ? f->ninsn : 0, f ? f->nret : 0);
		T_CASE(title) {
			struct tally n = { 0 };
			REQUIRE(f != NULL);
			CHECK(f->nret > 0 && !f->bad);
			compare_fn(t, f, arch, &n);
		}
	}
}

/* Runs tests/unit/insn_truth.sh KIND DIR: 0 built, 1 skipped (why in
 * why), -1 failed. */
static int build_truth(const char *kind, const char *dir, char *why, size_t whylen)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sh tests/unit/insn_truth.sh %s %s", kind, dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	why[0] = 0;
	if (!fgets(why, (int)whylen, p))
		why[0] = 0;
	why[strcspn(why, "\n")] = 0;
	int st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2 && !strncmp(why, "SKIP ", 5)) {
		memmove(why, why + 5, strlen(why + 5) + 1);
		return 1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void test_fixture(const char *dir, const char *kind, int arch)
{
	char path[512], why[256], title[300], label[64];
	struct truth t = { 0 };

	snprintf(label, sizeof(label), "%s %s", arch == NF_ARCH_X86_64 ? "x86-64" : "arm64", kind);
	int b = build_truth(kind, dir, why, sizeof(why));
	if (b == 1) {
		t_skip(label, why);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.truth", dir, kind);
	int ok = b == 0 && !read_truth(&t, path);
	snprintf(path, sizeof(path), "%s/%s.elf", dir, kind);
	ok = ok && !read_text(&t, path);
	char pkgs[80] = "";
	if (!strncmp(kind, "go", 2))
		snprintf(pkgs, sizeof(pkgs), " (%zu in runtime, %zu in crypto/tls)",
			 count_prefix(&t, "runtime."), count_prefix(&t, "crypto/tls."));
	snprintf(title, sizeof(title), "%s: %zu functions%s, %zu instructions, %zu returns "
		 "as objdump reads them", label, t.nfns, pkgs, t.ninsns, t.nrets);
	T_CASE(title) {
		REQUIRE(ok);
		REQUIRE(t.nfns > 10 && t.nrets > 10);
		struct tally n = { 0 };
		for (size_t i = 0; i < t.nfns; i++)
			compare_fn(&t, &t.fns[i], arch, &n);
		CHECK_EQ(n.fails, 0);
		if (n.bad_fns)
			printf("# %s: %zu functions hold bytes objdump cannot decode: compared up to them\n",
			       label, n.bad_fns);
		CHECK(n.bad_fns * 100 <= n.fns); /* data in code is rare */
	}
	if (ok && !strncmp(kind, "go", 2))
		test_go_targets(&t, label, arch);
	free_truth(&t);
}

static void test_fixtures(void)
{
	static const struct { const char *kind; int arch; } kinds[] = {
		{ "gcc", NF_ARCH_X86_64 }, { "clang", NF_ARCH_X86_64 },
		{ "gcc-v3", NF_ARCH_X86_64 }, { "clang-avx512", NF_ARCH_X86_64 },
		{ "go", NF_ARCH_X86_64 }, { "libc", NF_ARCH_X86_64 },
		{ "arm64-gcc", NF_ARCH_ARM64 }, { "arm64-clang", NF_ARCH_ARM64 },
		{ "go-arm64", NF_ARCH_ARM64 },
	};
	char dir[] = "/tmp/nf_insn.XXXXXX", cmd[64];
	if (!mkdtemp(dir)) {
		T_CASE("a directory for the fixtures") CHECK(0);
		return;
	}
	for (size_t i = 0; i < NELEM(kinds); i++)
		test_fixture(dir, kinds[i].kind, kinds[i].arch);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	t_rand_seed();
	test_x86_hand();
	test_rets();
	test_random();
	test_fixtures();
	return t_summary();
}
