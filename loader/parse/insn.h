/* Instruction boundaries and returns of one function's machine code
 * (pure: no syscalls, no allocation), for tlstrace's uprobes on every
 * return of a Go function (a uretprobe rewrites the return address on the
 * stack, which Go's stack growth and traceback cannot stand).
 *
 * x86-64: a length decoder for 64-bit mode (legacy prefixes, REX, the
 * one-, two- and three-byte maps, VEX, EVEX, AMD's XOP). It knows the
 * layout of each instruction, not its meaning; an opcode it does not know,
 * one that is invalid in 64-bit mode, AMD's 3DNow!, VIA PadLock, and
 * anything longer than 15 bytes are undecodable. VEX, EVEX and XOP opcodes
 * are checked by map only: within a map they all have one layout. FWAIT
 * (9B) is an instruction of its own, as the CPU runs it (objdump shows it
 * as part of a following x87 one). arm64: fixed 4-byte little-endian
 * words. */
#ifndef NF_INSN_H
#define NF_INSN_H
#include <stddef.h>
#include <stdint.h>

enum { NF_ARCH_X86_64 = 1, NF_ARCH_ARM64 = 2 };

/* Length in bytes (1..15) of the x86-64 instruction at p, or -1 when it is
 * invalid or unknown or does not end within avail bytes. Reads no byte at
 * or past p + avail. */
int nf_x86_insn_len(const uint8_t *p, size_t avail);

/* The offsets of the returns in code[0..len), decoding linearly from
 * offset 0: x86-64 near RET (C3, C2 iw; the offset is the instruction's
 * first byte, prefixes such as F3 "rep ret" included); arm64 RET Xn, RETAA
 * and RETAB. The first max are stored in offs (NULL when max is 0); the
 * return is the count of all of them, or -1 when an instruction cannot be
 * decoded or ends past len (x86-64), len is not a multiple of 4 (arm64),
 * len is over INT_MAX, or arch is unknown. Nothing past an undecodable
 * instruction is guessed at. */
int nf_find_rets(int arch, const uint8_t *code, size_t len, uint32_t *offs, size_t max);

#endif
