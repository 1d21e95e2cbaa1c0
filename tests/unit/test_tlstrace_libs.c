/* Which TLS library a file holds (src/tlstrace/tt_funcs.c) and the Go
 * toolchain version of an executable (src/tlstrace/go_buildinfo.c):
 * crafted build-info sections and their truncations, then the real
 * libraries Debian installs (where present) and a Go program built at
 * test time (the Makefile's hostfix/go), against `go version`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "log.h"
#include "parse/elf_sym.h"
#include "tlstrace/go_buildinfo.h"
#include "tlstrace/tt_funcs.h"
#include "t.h"

/* A Go 1.18+ section: header, then uvarint lengths and the strings. */
static size_t inline_section(uint8_t *out, const char *version, uint8_t flags)
{
	memset(out, 0, 32);
	memcpy(out, "\xff Go buildinf:", 14);
	out[14] = 8;
	out[15] = flags;
	size_t n = strlen(version), pos = 32;
	out[pos++] = (uint8_t)n;
	memcpy(out + pos, version, n);
	pos += n;
	out[pos++] = 0; /* empty module info */
	return pos;
}

static void test_crafted(void)
{
	uint8_t sec[128];
	struct tt_go_version v;
	T_CASE("go: build info, inline form") {
		size_t n = inline_section(sec, "go1.19.8", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), 0);
		CHECK_EQ(v.major, 1);
		CHECK_EQ(v.minor, 19);
		CHECK_STR(v.text, "go1.19.8");
		CHECK(tt_go_has_regabi(&v, 0) && tt_go_has_regabi(&v, 1));
		n = inline_section(sec, "go1.21rc2", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), 0);
		CHECK_EQ(v.minor, 21);
		n = inline_section(sec, "go1.17", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), 0);
		CHECK(tt_go_has_regabi(&v, 0) && !tt_go_has_regabi(&v, 1));
		n = inline_section(sec, "go2.0", 2);
		CHECK(tt_go_buildinfo_version(sec, n, &v) == 0 && tt_go_has_regabi(&v, 1));
	}
	T_CASE("go: build info, rejected forms") {
		size_t n = inline_section(sec, "go1.19.8", 0);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -ENOTSUP); /* pointer form */
		n = inline_section(sec, "devel +abc", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -ENOTSUP);
		n = inline_section(sec, "go1.", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -ENOTSUP);
		n = inline_section(sec, "gox.19", 2);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -ENOTSUP);
		n = inline_section(sec, "go1.19", 2);
		sec[1] = 'g';
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -EINVAL);
		CHECK_EQ(tt_go_buildinfo_version(NULL, 0, &v), -EINVAL);
		n = inline_section(sec, "go1.19", 2);
		sec[32] = 0x80; /* a varint that never ends inside the section */
		memset(sec + 33, 0xff, n - 33);
		CHECK_EQ(tt_go_buildinfo_version(sec, n, &v), -EINVAL);
	}
	T_CASE("go: build info cut at every length is an error, never a read past it") {
		size_t n = inline_section(sec, "go1.19.8", 2);
		for (size_t len = 0; len < n - 1; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, sec, len);
			int r = tt_go_buildinfo_version(copy, len, &v);
			if (r != -EINVAL && r != -ENOTSUP) {
				printf("FAIL %s: %zu bytes gave %d\n", t_case, len, r);
				t_failed_in_case = 1;
			}
			free(copy);
		}
	}
}

/* A file mapped read-only, as discovery maps it. */
struct mapped {
	void *data;
	size_t len;
	struct nf_host_elf h;
};

static int map_elf(const char *path, struct mapped *m)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	m->len = (size_t)ftell(f);
	m->data = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
	fclose(f);
	if (m->data == MAP_FAILED)
		return -1;
	if (nf_host_elf_open(&m->h, m->data, m->len)) {
		munmap(m->data, m->len);
		return -1;
	}
	return 0;
}

static const char *multiarch(void)
{
#if defined(__x86_64__)
	return "x86_64-linux-gnu";
#elif defined(__aarch64__)
	return "aarch64-linux-gnu";
#else
	return "unknown";
#endif
}

static void check_lib(const char *name, const char *file, unsigned want)
{
	char path[256], cname[128];
	snprintf(path, sizeof(path), "/usr/lib/%s/%s", multiarch(), file);
	snprintf(cname, sizeof(cname), "libs: %s is %s and nothing else", file, name);
	struct mapped m;
	if (map_elf(path, &m)) {
		t_skip(cname, "not installed here");
		return;
	}
	T_CASE(cname) {
		CHECK_EQ(tt_file_libs(&m.h), want);
	}
	munmap(m.data, m.len);
}

static void test_real_libs(void)
{
	check_lib("openssl", "libssl.so.3", TT_LIB_BIT(TT_LIB_OPENSSL));
	check_lib("boringssl", "android/libssl.so.0", TT_LIB_BIT(TT_LIB_BORINGSSL));
	check_lib("gnutls", "libgnutls.so.30", TT_LIB_BIT(TT_LIB_GNUTLS));
	check_lib("nss (NSPR)", "libnspr4.so", TT_LIB_BIT(TT_LIB_NSS));
	check_lib("no TLS library", "libz.so.1", 0);
	/* NSS's libssl3: SSL_ImportFD shows which descriptors are TLS. */
	check_lib("nss (libssl3)", "libssl3.so", TT_LIB_BIT(TT_LIB_NSS));
}

static void test_go_binary(void)
{
	const char *b = getenv("B");
	char path[256], vpath[300];
	snprintf(path, sizeof(path), "%s/hostfix/go/gotls", b && *b ? b : "build");
	snprintf(vpath, sizeof(vpath), "%s.version", path);
	struct mapped m;
	size_t vlen;
	char *want = t_read_file(vpath, &vlen);
	if (!want || map_elf(path, &m)) {
		t_skip("libs: a Go program is go, with the version `go version` reads",
		       "no Go toolchain here (golang-go)");
		free(want);
		return;
	}
	T_CASE("libs: a Go program is go, with the version `go version` reads") {
		CHECK_EQ(tt_file_libs(&m.h), TT_LIB_BIT(TT_LIB_GO));
		int idx = nf_elf_find_sec(&m.h.elf, ".go.buildinfo");
		REQUIRE(idx > 0);
		size_t len = 0;
		const uint8_t *sec = nf_elf_sec_data(&m.h.elf, (uint32_t)idx, &len);
		struct tt_go_version v;
		REQUIRE(tt_go_buildinfo_version(sec, len, &v) == 0);
		/* `go version FILE` prints "FILE: go1.19.8" */
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(vlen < 511 ? vlen : 511), want);
		const char *colon = strstr(line, ": ");
		REQUIRE(colon);
		char got[64];
		snprintf(got, sizeof(got), ": %s\n", v.text);
		CHECK_STR(colon, got);
	}
	free(want);
	munmap(m.data, m.len);
}

int main(void)
{
	test_crafted();
	test_real_libs();
	test_go_binary();
	return t_summary();
}
