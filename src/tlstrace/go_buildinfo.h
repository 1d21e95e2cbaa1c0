/* The Go toolchain version of an executable, from its .go.buildinfo
 * section (pure). Go 1.18 and later store it inline after a 32-byte
 * header: the magic "\xff Go buildinf:", the pointer size, a flags byte
 * (bit 1: inline strings), padding, then a uvarint length and the text
 * ("go1.19.8"). Older toolchains store pointers instead: reported as
 * unknown, since they predate the register ABI on arm64 and tlstrace
 * reads arguments from registers. */
#ifndef NF_GO_BUILDINFO_H
#define NF_GO_BUILDINFO_H
#include <stddef.h>
#include <stdint.h>

struct tt_go_version {
	unsigned major, minor;   /* 1, 19 */
	char text[32];           /* "go1.19.8", NUL-terminated, maybe cut */
};

/* 0 with *v set; -EINVAL for a section that is not build info;
 * -ENOTSUP for the pointer form or a version that is not "goM.N...". */
int tt_go_buildinfo_version(const uint8_t *sec, size_t len, struct tt_go_version *v);
/* 1 when Go passes arguments in registers on this architecture
 * (x86_64 from 1.17, arm64 from 1.18). arm64: 0 for x86_64, 1 for arm64. */
int tt_go_has_regabi(const struct tt_go_version *v, int arm64);

#endif
