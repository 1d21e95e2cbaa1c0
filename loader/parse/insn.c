/* Instruction lengths (x86-64, 64-bit mode) and returns (x86-64, arm64).
 *
 * An x86 instruction is: legacy prefixes, an optional REX (40-4F, only
 * when it comes last), the opcode (one byte, 0F xx, 0F 38 xx or 0F 3A xx;
 * or a VEX/EVEX prefix that names the map itself), then ModRM, SIB,
 * displacement and immediate as the opcode says. Each opcode map is a
 * table of one-letter classes (Intel SDM vol. 2, appendix A), read by one
 * routine that knows what each class adds after the opcode. */
#include <limits.h>
#include "insn.h"

#define X86_MAX_LEN 15 /* longer is #GP, however valid its bytes */

/* The classes: what follows the opcode.
 *   .  nothing                  x  invalid in 64-bit mode, or unknown
 *   m  ModRM                    r  ModRM, always a register (no SIB/disp)
 *   b  imm8 or rel8             B  ModRM, imm8
 *   w  imm16                    e  imm16, imm8 (ENTER)
 *   z  imm16/32 (16 with 66)    Z  ModRM, imm16/32
 *   d  rel32 (66 ignored)       v  imm16/32/64 (64 with REX.W: mov r64, imm64)
 *   o  moffs: 8 bytes, 4 with 67 (A0-A3 carry an address, not a ModRM)
 *   g  ModRM, imm8 for /0 and /1 (F6: test r/m8, imm8)
 *   G  ModRM, imm16/32 for /0 and /1 (F7)
 *   y  ModRM, two imm8 with 66 or F2 (0F 78: SSE4a EXTRQ/INSERTQ, else VMREAD)
 *   q  ModRM, with F3 only (0F B8: POPCNT; without F3 it is IA-64's JMPE)
 *   p  a prefix (never looked up: the prefix loop takes it)
 *   2  0F: the two-byte map     3  0F 38 (three-byte map, ModRM, no imm)
 *   4  0F 3A (ModRM, imm8)      V  VEX (C4, C5) or EVEX (62)
 *   X  8F: POP r/m, or AMD's XOP prefix
 */
static const char map_1byte[] =
	/*0123456789abcdef */
	"mmmmbzxxmmmmbzx2" /* 0 06/07/0E push/pop seg: invalid in 64-bit */
	"mmmmbzxxmmmmbzxx" /* 1 */
	"mmmmbzpxmmmmbzpx" /* 2 27/2F daa/das */
	"mmmmbzpxmmmmbzpx" /* 3 37/3F aaa/aas */
	"pppppppppppppppp" /* 4 REX */
	"................" /* 5 push/pop r64 */
	"xxVmppppzZbB...." /* 6 60/61 pusha/popa; 62 EVEX; 63 movsxd */
	"bbbbbbbbbbbbbbbb" /* 7 jcc rel8 */
	"BZxBmmmmmmmmmmmX" /* 8 82 is 80's alias, invalid in 64-bit */
	"..........x....." /* 9 9A call far */
	"oooo....bz......" /* A */
	"bbbbbbbbvvvvvvvv" /* B */
	"BBw.VVBZe.w..bx." /* C C2/CA ret imm16; C4/C5 VEX; C8 enter; CE into */
	"mmmmxxx.mmmmmmmm" /* D D4-D6 aam/aad/salc; D8-DF x87 */
	"bbbbbbbbddxb...." /* E E0-E3 loop/jrcxz; EA jmp far */
	"p.pp..gG......mm"; /* F */

static const char map_0f[] =
	/*0123456789abcdef */
	"mmmmx.....x.xm.x" /* 0 05 syscall, 0B ud2, 0F 3DNow! (not decoded) */
	"mmmmmmmmmmmmmmmm" /* 1 18-1F prefetch, hint nops, endbr */
	"rrrrxxxxmmmmmmmm" /* 2 20-23 mov cr/dr: mod is ignored */
	"......x.3x4xxxxx" /* 3 */
	"mmmmmmmmmmmmmmmm" /* 4 cmovcc */
	"mmmmmmmmmmmmmmmm" /* 5 */
	"mmmmmmmmmmmmmmmm" /* 6 */
	"BBBBmmm.ymxxmmmm" /* 7 70-73 pshuf/shift imm8; 77 emms */
	"dddddddddddddddd" /* 8 jcc rel32 */
	"mmmmmmmmmmmmmmmm" /* 9 setcc */
	"...mBmxx...mBmmm" /* A A4/AC shld/shrd imm8 */
	"mmmmmmmmqmBmmmmm" /* B BA bt* imm8 */
	"mmBmBBBm........" /* C C2 cmpps, C4 pinsrw, C5 pextrw, C6 shufps; bswap */
	"mmmmmmmmmmmmmmmm" /* D */
	"mmmmmmmmmmmmmmmm" /* E */
	"mmmmmmmmmmmmmmmm"; /* F FF ud0 */

/* 0F 38: the opcodes with a legacy (non-VEX) encoding; ModRM, no imm. */
static const char map_0f38[] =
	/*0123456789abcdef */
	"mmmmmmmmmmmmxxxx" /* 0 SSSE3 */
	"mxxxmmxmxxxxmmmx" /* 1 */
	"mmmmmmxxmmmmxxxx" /* 2 SSE4.1 */
	"mmmmmmxmmmmmmmmm" /* 3 */
	"mmxxxxxxxxxxxxxx" /* 4 */
	"xxxxxxxxxxxxxxxx" /* 5 */
	"xxxxxxxxxxxxxxxx" /* 6 */
	"xxxxxxxxxxxxxxxx" /* 7 */
	"mmmxxxxxxxxxxxxx" /* 8 invept, invvpid, invpcid */
	"xxxxxxxxxxxxxxxx" /* 9 */
	"xxxxxxxxxxxxxxxx" /* A */
	"xxxxxxxxxxxxxxxx" /* B */
	"xxxxxxxxmmmmmmxm" /* C SHA, CF gf2p8mulb */
	"xxxxxxxxmxxmmmmm" /* D Key Locker, AES */
	"xxxxxxxxxxxxxxxx" /* E */
	"mmxxxmmxmmmmmxxx"; /* F movbe/crc32, adcx/adox, wrss, movdir*, enqcmd */

/* 0F 3A: ModRM and imm8 each. */
static const char map_0f3a[] =
	/*0123456789abcdef */
	"xxxxxxxxBBBBBBBB" /* 0 round, blend, palignr */
	"xxxxBBBBxxxxxxxx" /* 1 pextr*, extractps */
	"BBBxxxxxxxxxxxxx" /* 2 pinsr*, insertps */
	"xxxxxxxxxxxxxxxx" /* 3 */
	"BBBxBxxxxxxxxxxx" /* 4 dpps, dppd, mpsadbw, pclmulqdq */
	"xxxxxxxxxxxxxxxx" /* 5 */
	"BBBBxxxxxxxxxxxx" /* 6 pcmpestr*, pcmpistr* */
	"xxxxxxxxxxxxxxxx" /* 7 */
	"xxxxxxxxxxxxxxxx" /* 8 */
	"xxxxxxxxxxxxxxxx" /* 9 */
	"xxxxxxxxxxxxxxxx" /* A */
	"xxxxxxxxxxxxxxxx" /* B */
	"xxxxxxxxxxxxBxBB" /* C sha1rnds4, gf2p8affine* */
	"xxxxxxxxxxxxxxxB" /* D aeskeygenassist */
	"xxxxxxxxxxxxxxxx" /* E */
	"xxxxxxxxxxxxxxxx"; /* F */

/* 16 rows of 16, and the NUL. */
_Static_assert(sizeof(map_1byte) == 257 && sizeof(map_0f) == 257 &&
	       sizeof(map_0f38) == 257 && sizeof(map_0f3a) == 257, "a map has 256 classes");

enum { P66 = 1, P67 = 2, PF2 = 4, PF3 = 8, PF0 = 16, PSEG = 32 };

/* Where the opcode is (the returns are map 0's C3 and C2). */
enum { MAP_1BYTE, MAP_0F, MAP_0F38, MAP_0F3A, MAP_VEX };

struct cur {
	const uint8_t *p;
	size_t n;       /* min(avail, 15): a read past it fails either way */
	size_t i;
	unsigned pfx;   /* P* */
	int rex;        /* the REX byte right before the opcode, else 0 */
	int map;
	int op;
};

static int next(struct cur *c)
{
	return c->i < c->n ? c->p[c->i++] : -1;
}

static int skip(struct cur *c, size_t k)
{
	if (k > c->n - c->i)
		return -1;
	c->i += k;
	return 0;
}

static unsigned legacy_prefix(int b)
{
	switch (b) {
	case 0x66: return P66;
	case 0x67: return P67;
	case 0xf2: return PF2;
	case 0xf3: return PF3;
	case 0xf0: return PF0;
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		return PSEG;
	}
	return 0;
}

/* The prefixes, then the first opcode byte (in c->op). A REX counts only
 * when nothing but the opcode follows it; a prefix after it voids it. */
static int prefixes(struct cur *c)
{
	for (;;) {
		int b = next(c);
		if (b < 0)
			return -1;
		if ((b & 0xf0) == 0x40) {
			c->rex = b;
		} else if (legacy_prefix(b)) {
			c->pfx |= legacy_prefix(b);
			c->rex = 0;
		} else {
			c->op = b;
			return 0;
		}
	}
}

/* ModRM, SIB and displacement; the ModRM byte, or -1. In 64-bit mode the
 * 67 prefix (32-bit addresses) keeps these forms: only 16-bit addressing
 * has others, and 64-bit mode has none. mod 0 rm 5 is RIP-relative. */
static int modrm(struct cur *c)
{
	int m = next(c);
	if (m < 0)
		return -1;
	int mod = m >> 6, rm = m & 7;
	size_t disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (mod != 3 && rm == 4) {
		int sib = next(c);
		if (sib < 0)
			return -1;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		disp = 4;
	}
	return skip(c, disp) ? -1 : m;
}

/* imm16/32: 66 makes it 16 bits, unless REX.W asks for 64-bit operands
 * (whose immediates are 32 bits, sign-extended). */
static size_t imm_z(const struct cur *c)
{
	return (c->pfx & P66) && !(c->rex & 8) ? 2 : 4;
}

/* One-byte opcodes whose ModRM.reg is an opcode extension with holes.
 * C6 F8 / C7 F8 are XABORT and XBEGIN. */
static int group_ok(int op, int m)
{
	int reg = (m >> 3) & 7;
	switch (op) {
	case 0x8f: return reg == 0;
	case 0xc6: case 0xc7: return reg == 0 || m == 0xf8;
	case 0xfe: return reg < 2;
	case 0xff: return reg != 7;
	}
	return 1;
}

/* ModRM then an immediate of imm bytes. */
static int modrm_imm(struct cur *c, size_t imm)
{
	int m = modrm(c);
	if (m < 0 || (c->map == MAP_1BYTE && !group_ok(c->op, m)))
		return -1;
	return skip(c, imm);
}

/* F6/F7: /0 and /1 (TEST) take an immediate, the rest of group 3 none. */
static int group3(struct cur *c, size_t imm)
{
	int m = modrm(c);
	if (m < 0)
		return -1;
	return ((m >> 3) & 7) < 2 ? skip(c, imm) : 0;
}

static int escape(struct cur *c, int map, const char *table);
static int vex(struct cur *c);
static int xop(struct cur *c);

/* What follows an opcode of class cls; 0 or -1. */
static int operands(struct cur *c, char cls)
{
	switch (cls) {
	case '.': return 0;
	case 'm': return modrm_imm(c, 0);
	case 'r': return skip(c, 1);
	case 'b': return skip(c, 1);
	case 'B': return modrm_imm(c, 1);
	case 'w': return skip(c, 2);
	case 'e': return skip(c, 3);
	case 'z': return skip(c, imm_z(c));
	case 'Z': return modrm_imm(c, imm_z(c));
	/* Intel ignores 66 on near branches in 64-bit mode (AMD would take
	 * rel16); compilers never emit it. */
	case 'd': return skip(c, 4);
	case 'v': return skip(c, c->rex & 8 ? 8 : imm_z(c));
	case 'o': return skip(c, c->pfx & P67 ? 4 : 8);
	case 'g': return group3(c, 1);
	case 'G': return group3(c, imm_z(c));
	case 'y': return modrm_imm(c, c->pfx & (P66 | PF2) ? 2 : 0);
	case 'q': return c->pfx & PF3 ? modrm_imm(c, 0) : -1;
	case '2': return escape(c, MAP_0F, map_0f);
	case '3': return escape(c, MAP_0F38, map_0f38);
	case '4': return escape(c, MAP_0F3A, map_0f3a);
	case 'V': return vex(c);
	case 'X': return xop(c);
	}
	return -1; /* 'x', and 'p' that the prefix loop already took */
}

/* The next opcode byte, looked up in the map it selects. */
static int escape(struct cur *c, int map, const char *table)
{
	int op = next(c);
	if (op < 0)
		return -1;
	c->map = map;
	c->op = op;
	return operands(c, table[op]);
}

/* VEX.map 1 (0F) opcodes with an imm8 (map 3, 0F 3A, has one always):
 * vpshufd/hw/lw, the shift-by-immediate groups, vcmpps, vpinsrw, vpextrw,
 * vshufps. EVEX uses the same rule. */
static int vex_map1_imm8(int op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 ||
	       op == 0xc5 || op == 0xc6;
}

/* The payload bytes of VEX (C5: 1, C4: 2) or EVEX (62: 3); the map, or -1.
 * In 64-bit mode these bytes are always VEX/EVEX (LES, LDS and BOUND are
 * gone), and the map's leading bytes are implied. */
static int vex_map(struct cur *c, int lead)
{
	if (lead == 0xc5)
		return skip(c, 1) ? -1 : 1;
	int p0 = next(c);
	if (p0 < 0)
		return -1;
	if (lead == 0xc4) {
		int map = p0 & 0x1f;
		return skip(c, 1) || map < 1 || map > 3 ? -1 : map;
	}
	int p1 = next(c);
	if (p1 < 0 || !(p1 & 4) || skip(c, 1)) /* P1 bit 2 is a fixed 1 */
		return -1;
	int map = p0 & 7; /* 5 and 6 are AVX512-FP16's; 4 and 7 undefined */
	return map == 0 || map == 4 || map == 7 ? -1 : map;
}

/* 66, F2, F3, F0 or REX before VEX, EVEX or XOP is #UD: the payload
 * holds what they would say. */
static int vex_prefixes_ok(const struct cur *c)
{
	return !(c->pfx & (P66 | PF2 | PF3 | PF0)) && !c->rex;
}

/* VEX/EVEX: the payload, the opcode, ModRM (every one has it but VEX's
 * 0F 77, vzeroupper/vzeroall), and an imm8 where the map says so. */
static int vex(struct cur *c)
{
	int lead = c->op;
	if (!vex_prefixes_ok(c))
		return -1;
	int map = vex_map(c, lead);
	int op = next(c);
	if (map < 0 || op < 0)
		return -1;
	c->map = MAP_VEX;
	c->op = op;
	if (lead != 0x62 && map == 1 && op == 0x77)
		return 0;
	if (modrm(c) < 0)
		return -1;
	return skip(c, map == 3 || (map == 1 && vex_map1_imm8(op)) ? 1 : 0);
}

/* 8F: a byte whose low five bits (XOP's map) are 8 or more cannot be POP's
 * ModRM (its reg field would not be 0), so it starts XOP: two payload
 * bytes as VEX's C4, the opcode, ModRM, then imm8 in map 8, none in map
 * 9, imm32 in map 0Ah (TBM's BEXTR, LWP). */
static int xop(struct cur *c)
{
	if (c->i < c->n && (c->p[c->i] & 0x1f) < 8)
		return modrm_imm(c, 0);
	int p0 = next(c);
	int map = p0 & 0x1f;
	if (p0 < 0 || !vex_prefixes_ok(c) || map > 10 || skip(c, 1))
		return -1;
	int op = next(c);
	if (op < 0 || modrm(c) < 0)
		return -1;
	c->map = MAP_VEX;
	c->op = op;
	return skip(c, map == 8 ? 1 : map == 10 ? 4 : 0);
}

/* Decodes one instruction into c; its length, or -1. */
static int x86_decode(struct cur *c, const uint8_t *p, size_t avail)
{
	*c = (struct cur){ .p = p, .n = avail < X86_MAX_LEN ? avail : X86_MAX_LEN };
	if (prefixes(c) || operands(c, map_1byte[c->op]))
		return -1;
	return (int)c->i;
}

int nf_x86_insn_len(const uint8_t *p, size_t avail)
{
	struct cur c;
	return x86_decode(&c, p, avail);
}

/* Counts a return at off; stores it while there is room. */
static void found(uint32_t off, uint32_t *offs, size_t max, size_t *n)
{
	if (*n < max)
		offs[*n] = off;
	(*n)++;
}

static int x86_rets(const uint8_t *code, size_t len, uint32_t *offs, size_t max)
{
	size_t n = 0;
	for (size_t off = 0; off < len;) {
		struct cur c;
		int l = x86_decode(&c, code + off, len - off);
		if (l < 0)
			return -1;
		if (c.map == MAP_1BYTE && (c.op == 0xc3 || c.op == 0xc2))
			found((uint32_t)off, offs, max, &n);
		off += (size_t)l;
	}
	return (int)n;
}

/* RET Xn: D65F0000 | n << 5. RETAA/RETAB (pointer authentication) are
 * D65F0BFF and D65F0FFF. */
static int arm64_is_ret(uint32_t w)
{
	return (w & 0xfffffc1f) == 0xd65f0000 || w == 0xd65f0bff || w == 0xd65f0fff;
}

static int arm64_rets(const uint8_t *code, size_t len, uint32_t *offs, size_t max)
{
	size_t n = 0;
	if (len % 4)
		return -1;
	for (size_t off = 0; off < len; off += 4) {
		const uint8_t *b = code + off;
		uint32_t w = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		if (arm64_is_ret(w))
			found((uint32_t)off, offs, max, &n);
	}
	return (int)n;
}

int nf_find_rets(int arch, const uint8_t *code, size_t len, uint32_t *offs, size_t max)
{
	if (len > INT_MAX || (len && !code))
		return -1;
	if (!offs)
		max = 0;
	switch (arch) {
	case NF_ARCH_X86_64: return x86_rets(code, len, offs, max);
	case NF_ARCH_ARM64: return arm64_rets(code, len, offs, max);
	}
	return -1;
}
