/* The /proc/PID/maps parser (src/tlstrace/proc_maps.c): this test's own
 * /proc/self/maps against a second reading of the same bytes (sscanf) and
 * against what the test knows of itself (its executable and libc, by
 * address, path and stat), then crafted lines, truncations and byte flips. */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif
#include "log.h"
#include "tlstrace/proc_maps.h"
#include "t.h"

/* Fixed seed so failures reproduce; NF_FLIP_SEED picks another for fuzzing. */
static uint32_t rng = 0x6d617073;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A line's fields as the test writes them down to compare. */
struct want {
	uint64_t start, end, offset, inode;
	unsigned major, minor, perms;
	const char *path;      /* NULL: none */
	int deleted, pseudo;
};

static int parse_str(const char *s, struct nf_maps_line *m)
{
	return nf_maps_parse_line(s, strlen(s), m);
}

static int same_path(const struct nf_maps_line *m, const char *path)
{
	if (!path)
		return m->path == NULL && m->path_len == 0;
	return m->path && m->path_len == strlen(path) && !memcmp(m->path, path, m->path_len);
}

#define RXP (NF_MAPS_R | NF_MAPS_X)
#define RWP (NF_MAPS_R | NF_MAPS_W)

/* Lines as the kernel writes them (padding, names with spaces, deleted
 * files, kernel names, numbers at their limits) and their fields. */
static const struct good_line {
	const char *line;
	struct want w;
} good[] = {
	{ "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon",
	  { 0x400000, 0x452000, 0, 173521, 8, 2, RXP, "/usr/bin/dbus-daemon", 0, 0 } },
	{ "7f2c4a000000-7f2c4a021000 rw-s 0001f000 fd:01 9 /dev/shm/a b  c",
	  { 0x7f2c4a000000, 0x7f2c4a021000, 0x1f000, 9, 0xfd, 1, RWP | NF_MAPS_SHARED, "/dev/shm/a b  c", 0, 0 } },
	{ "7f00-8f00 r-xp 00001000 103:0a 42                         /opt/My Lib/libssl.so.3 ",
	  { 0x7f00, 0x8f00, 0x1000, 42, 0x103, 0xa, RXP, "/opt/My Lib/libssl.so.3 ", 0, 0 } },
	{ "7f00-8f00 r-xp 00001000 fe:00 77 /usr/lib/libssl.so.3 (deleted)",
	  { 0x7f00, 0x8f00, 0x1000, 77, 0xfe, 0, RXP, "/usr/lib/libssl.so.3", 1, 0 } },
	{ "7f00-8f00 rwxs 00000000 00:01 1025 /memfd:jit code (deleted)",
	  { 0x7f00, 0x8f00, 0, 1025, 0, 1, RWP | NF_MAPS_X | NF_MAPS_SHARED, "/memfd:jit code", 1, 0 } },
	{ "7f00-8f00 r--p 00000000 fe:00 77 /tmp/(deleted)",
	  { 0x7f00, 0x8f00, 0, 77, 0xfe, 0, NF_MAPS_R, "/tmp/(deleted)", 0, 0 } },
	{ "7ffd1b9af000-7ffd1b9d0000 rw-p 00000000 00:00 0",
	  { 0x7ffd1b9af000, 0x7ffd1b9d0000, 0, 0, 0, 0, RWP, NULL, 0, 0 } },
	{ "7ffd1b9af000-7ffd1b9d0000 rw-p 00000000 00:00 0 ",
	  { 0x7ffd1b9af000, 0x7ffd1b9d0000, 0, 0, 0, 0, RWP, NULL, 0, 0 } },
	{ "7ffd1b9af000-7ffd1b9d0000 ---p 00000000 00:00 0                          ",
	  { 0x7ffd1b9af000, 0x7ffd1b9d0000, 0, 0, 0, 0, 0, NULL, 0, 0 } },
	{ "7f466ebe2000-7f466ebe4000 r-xp 00000000 00:00 0                          [vdso]",
	  { 0x7f466ebe2000, 0x7f466ebe4000, 0, 0, 0, 0, RXP, "[vdso]", 0, 1 } },
	{ "5646d9255000-5646d9276000 rw-p 00000000 00:00 0 [heap]",
	  { 0x5646d9255000, 0x5646d9276000, 0, 0, 0, 0, RWP, "[heap]", 0, 1 } },
	{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
	  { 0xffffffffff600000, 0xffffffffff601000, 0, 0, 0, 0, NF_MAPS_X, "[vsyscall]", 0, 1 } },
	{ "1000-2000 rw-p 00000000 00:00 0 [anon:my pool]",
	  { 0x1000, 0x2000, 0, 0, 0, 0, RWP, "[anon:my pool]", 0, 1 } },
	{ "1000-2000 r--s 00000000 00:0f 1063 anon_inode:[perf_event]",
	  { 0x1000, 0x2000, 0, 1063, 0, 0xf, NF_MAPS_R | NF_MAPS_SHARED, "anon_inode:[perf_event]", 0, 1 } },
	{ "fffffffffffff000-ffffffffffffffff r--p ffffffffffffffff ffffffff:ffffffff 18446744073709551615 /x",
	  { 0xfffffffffffff000, UINT64_MAX, UINT64_MAX, UINT64_MAX, 0xffffffff, 0xffffffff, NF_MAPS_R, "/x", 0, 0 } },
	{ "00000000000000000000000000001000-0000000000000000000002000 r--p 0 0:0 00000000000000000007",
	  { 0x1000, 0x2000, 0, 7, 0, 0, NF_MAPS_R, NULL, 0, 0 } },
};

static int line_is(const char *s, const struct want *w)
{
	struct nf_maps_line m;
	return parse_str(s, &m) == 0 && m.start == w->start && m.end == w->end &&
	       m.offset == w->offset && m.inode == w->inode && m.dev_major == w->major &&
	       m.dev_minor == w->minor && m.perms == w->perms && same_path(&m, w->path) &&
	       m.deleted == w->deleted && m.pseudo == w->pseudo;
}

static void test_crafted(void)
{
	T_CASE("maps: crafted lines: paths with spaces, deleted, absent, kernel names, limits") {
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			if (!line_is(good[i].line, &good[i].w)) {
				printf("FAIL %s: \"%s\" (%s)\n", t_case, good[i].line, nf_lasterr());
				t_failed_in_case = 1;
			}
		}
	}
	T_CASE("maps: a number too large for its field is -ERANGE") {
		struct nf_maps_line m;
		CHECK_EQ(parse_str("10000000000000000-10000000000000001 r--p 0 0:0 0", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-10000000000000000 r--p 0 0:0 0", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-2000 r--p 10000000000000000 0:0 0", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-2000 r--p 0 100000000:0 0", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-2000 r--p 0 0:100000000 0", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-2000 r--p 0 0:0 18446744073709551616", &m), -ERANGE);
		CHECK_EQ(parse_str("1000-2000 r--p 0 0:0 99999999999999999999999", &m), -ERANGE);
		CHECK(strstr(nf_lasterr(), "inode") != NULL);
	}
	T_CASE("maps: malformed lines are -EINVAL with a message") {
		static const char *const bad[] = {
			"", " ", "garbage", "00400000 r-xp 00000000 08:02 1 /a",
			"00400000-00452000  r-xp 00000000 08:02 1 /a",   /* two spaces */
			"00400000-00452000\tr-xp 00000000 08:02 1 /a",   /* a tab */
			"00400000-00452000 rwzp 00000000 08:02 1 /a",
			"00400000-00452000 rwxq 00000000 08:02 1 /a",
			"00400000-00452000 xwrp 00000000 08:02 1 /a",
			"00400000-00452000 rwx 00000000 08:02 1 /a",
			"00400000-00452000 rwxp", "00400000-00452000 rw",
			"0040000A-00452000 r-xp 00000000 08:02 1 /a",    /* upper case */
			"0x400000-00452000 r-xp 00000000 08:02 1 /a",
			"-00400000-00452000 r-xp 00000000 08:02 1 /a",
			"00452000-00452000 r-xp 00000000 08:02 1 /a",    /* empty */
			"00452000-00400000 r-xp 00000000 08:02 1 /a",    /* backwards */
			"00400000-00452000 r-xp 00000000 0802 1 /a",
			"00400000-00452000 r-xp 00000000 08: 1 /a",
			"00400000-00452000 r-xp 00000000 :02 1 /a",
			"00400000-00452000 r-xp 00000000 08:02 /a",
			"00400000-00452000 r-xp 00000000 08:02",
			"00400000-00452000 r-xp 00000000 08:02 12x /a",
			"00400000-00452000 r-xp 00000000 08:02 1a /a",
			"00400000-00452000 r-xp 00000000 08:02 -1 /a",
			"00400000-00452000 r-xp 00000000 08:02 +1 /a",
			"00400000-00452000 r-xp 0000000g 08:02 1 /a",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct nf_maps_line m;
			nf_seterr("%s", "");
			int err = parse_str(bad[i], &m);
			if (err != -EINVAL || !strstr(nf_lasterr(), "bad maps line")) {
				printf("FAIL %s: \"%s\": %d (%s)\n", t_case, bad[i], err, nf_lasterr());
				t_failed_in_case = 1;
			}
		}
		struct nf_maps_line m;
		CHECK_EQ(nf_maps_parse_line("1000-2000 r--p 0 0:0 7 /a\0b", 27, &m), -EINVAL);
		CHECK_EQ(nf_maps_parse_line(NULL, 0, &m), -EINVAL);
	}
}

static const char crafted_maps[] =
	"1000-2000 r--p 00000000 fe:00 10 /usr/bin/app\n"
	"2000-3000 r-xp 00001000 fe:00 10 /usr/bin/app\n"
	"3000-4000 r--p 00000000 fe:00 20 /usr/lib/data only\n"
	"4000-5000 r-xp 00000000 fe:00 30 /usr/lib/libssl.so.3\n"
	"5000-6000 r-xp 00000000 00:00 0 [vdso]\n"
	"6000-7000 rw-p 00000000 00:00 0 \n"
	"7000-8000 r-xp 00000000 fe:00 30 /other/mount/libssl.so.3\n"  /* the same file again */
	"8000-9000 r-xp 00000000 fe:01 30 /usr/lib/libcrypto.so.3\n"   /* same inode, other device */
	"9000-a000 rwxp 00000000 fe:00 40 /tmp/jit (deleted)\n"
	"a000-b000 r-xp 00002000 fe:00 10 /usr/bin/app\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

static void test_iterate(void)
{
	T_CASE("maps: iterating a buffer; a bad line is reported by number and skipped") {
		struct nf_maps_iter it;
		struct nf_maps_line m;
		int n = 0, r;
		nf_maps_init(&it, crafted_maps, sizeof(crafted_maps) - 1);
		while ((r = nf_maps_next(&it, &m)) == 1)
			n++;
		CHECK_EQ(r, 0);
		CHECK_EQ(n, 11);
		CHECK_EQ(nf_maps_next(&it, &m), 0);

		static const char two_bad[] = "1000-2000 r--p 0 0:0 0\nbroken\n3000-4000 r--p 0 0:0 0 [x]\n\n";
		nf_maps_init(&it, two_bad, sizeof(two_bad) - 1);
		CHECK_EQ(nf_maps_next(&it, &m), 1);
		CHECK_EQ(nf_maps_next(&it, &m), -EINVAL);
		CHECK(strstr(nf_lasterr(), "line 2") != NULL);
		CHECK_EQ(nf_maps_next(&it, &m), 1);
		CHECK(same_path(&m, "[x]"));
		CHECK_EQ(nf_maps_next(&it, &m), -EINVAL);   /* an empty line */
		CHECK_EQ(it.lineno, 4);
		CHECK_EQ(nf_maps_next(&it, &m), 0);

		static const char cut[] = "1000-2000 r--p 0 0:0 0 /usr/lib/libssl.so.3\n3000-4000 r-xp 0 0:0 5 /usr/li";
		nf_maps_init(&it, cut, sizeof(cut) - 1);
		CHECK_EQ(nf_maps_next(&it, &m), 1);
		CHECK_EQ(nf_maps_next(&it, &m), -EINVAL);  /* not "/usr/li" */
		CHECK(strstr(nf_lasterr(), "no newline") != NULL);
		CHECK_EQ(nf_maps_next(&it, &m), 0);

		nf_maps_init(&it, "", 0);
		CHECK_EQ(nf_maps_next(&it, &m), 0);
		nf_maps_init(&it, NULL, 0);
		CHECK_EQ(nf_maps_next(&it, &m), 0);
	}
	T_CASE("maps: executable files, one per device and inode, first path kept") {
		struct nf_maps_file f[8];
		int n = nf_maps_exec_files(crafted_maps, sizeof(crafted_maps) - 1, f, 8);
		REQUIRE(n == 4);
		CHECK(f[0].inode == 10 && f[0].dev_major == 0xfe && f[0].dev_minor == 0);
		CHECK(f[0].path_len == 12 && !memcmp(f[0].path, "/usr/bin/app", 12) && !f[0].deleted);
		CHECK(f[1].inode == 30 && f[1].dev_minor == 0 && f[1].path_len == 20 &&
		      !memcmp(f[1].path, "/usr/lib/libssl.so.3", 20));
		CHECK(f[2].inode == 30 && f[2].dev_minor == 1 && f[2].path_len == 23 &&
		      !memcmp(f[2].path, "/usr/lib/libcrypto.so.3", 23));
		CHECK(f[3].inode == 40 && f[3].deleted && f[3].path_len == 8 && !memcmp(f[3].path, "/tmp/jit", 8));
		CHECK_EQ(nf_maps_exec_files(crafted_maps, sizeof(crafted_maps) - 1, f, 4), 4);
		CHECK_EQ(nf_maps_exec_files(crafted_maps, sizeof(crafted_maps) - 1, f, 3), -ENOSPC);
		CHECK_EQ(nf_maps_exec_files(crafted_maps, sizeof(crafted_maps) - 1, NULL, 0), -ENOSPC);
		CHECK_EQ(nf_maps_exec_files("1000-2000 r--p 0 0:0 0\n", 23, NULL, 0), 0);
		CHECK_EQ(nf_maps_exec_files("1000-2000 r-xp 0 0:0 0 /a\nxx\n", 29, f, 8), -EINVAL);
	}
}

/* ---- this process's own maps ---------------------------------------------- */

/* The buffer's lines, read a second way: sscanf on a NUL-terminated copy. */
static int scan_line(const char *line, size_t len, struct want *w, char *path, size_t cap)
{
	char copy[PATH_MAX + 256], perms[5];
	int at = 0;
	if (len >= sizeof(copy))
		return -1;
	memcpy(copy, line, len);
	copy[len] = 0;
	if (sscanf(copy, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n", &w->start, &w->end,
		   perms, &w->offset, &w->major, &w->minor, &w->inode, &at) != 7)
		return -1;
	w->perms = (perms[0] == 'r') | (perms[1] == 'w') << 1 | (perms[2] == 'x') << 2 | (perms[3] == 's') << 3;
	const char *p = copy + at;
	while (*p == ' ')
		p++;
	snprintf(path, cap, "%s", p);
	w->path = *p ? path : NULL;
	return 0;
}

/* The line of buf whose range holds addr. */
static int line_at(const char *buf, size_t len, uintptr_t addr, struct nf_maps_line *out)
{
	struct nf_maps_iter it;
	struct nf_maps_line m;
	nf_maps_init(&it, buf, len);
	while (nf_maps_next(&it, &m) == 1) {
		if (addr >= m.start && addr < m.end) {
			*out = m;
			return 0;
		}
	}
	return -1;
}

static int is_file(const struct nf_maps_line *m, const char *path)
{
	struct stat st;
	if (stat(path, &st))
		return 0;
	return m->inode == st.st_ino && m->dev_major == major(st.st_dev) && m->dev_minor == minor(st.st_dev);
}

static int listed(const struct nf_maps_file *f, int n, const struct nf_maps_line *m)
{
	for (int i = 0; i < n; i++)
		if (f[i].inode == m->inode && f[i].dev_major == m->dev_major && f[i].dev_minor == m->dev_minor)
			return i;
	return -1;
}

/* A function of this executable, so its address lies in the executable's text. */
static __attribute__((noinline)) int in_this_file(int x)
{
	return x * 3 + 1;
}

static void test_self(const char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	T_CASE("maps: /proc/self/maps field by field as sscanf reads the same bytes") {
		REQUIRE(len > 0 && buf[len - 1] == '\n');
		struct nf_maps_iter it;
		struct nf_maps_line m;
		const char *line = buf;
		int lines = 0, r;
		nf_maps_init(&it, buf, len);
		while ((r = nf_maps_next(&it, &m)) == 1) {
			const char *nl = memchr(line, '\n', (size_t)(buf + len - line));
			struct want w;
			char path[PATH_MAX + 256];
			if (!nl || scan_line(line, (size_t)(nl - line), &w, path, sizeof(path))) {
				CHECK(!"sscanf read the line");
				break;
			}
			CHECK(m.start == w.start && m.end == w.end && m.offset == w.offset && m.inode == w.inode);
			CHECK(m.dev_major == w.major && m.dev_minor == w.minor && m.perms == w.perms);
			CHECK(m.path ? w.path && !strncmp(m.path, w.path, m.path_len) : !w.path);
			CHECK(m.path == NULL || m.path_len + 10 * m.deleted == strlen(w.path));
			CHECK(m.path == NULL || m.pseudo == (w.path[0] != '/'));
			line = nl + 1;
			lines++;
		}
		CHECK_EQ(r, 0);
		CHECK(line == buf + len);
		CHECK(lines > 5);
	}
	T_CASE("maps: this executable's text is an r-x mapping of /proc/self/exe") {
		struct nf_maps_line m;
		REQUIRE(n > 0);
		exe[n] = 0;
		REQUIRE(line_at(buf, len, (uintptr_t)&in_this_file, &m) == 0);
		CHECK(m.perms & NF_MAPS_X);
		CHECK(!(m.perms & NF_MAPS_W));
		CHECK(same_path(&m, exe));
		/* Under valgrind, /proc/self/exe is valgrind's tool, not this test. */
		if (!getenv("NF_VALGRIND"))
			CHECK(is_file(&m, "/proc/self/exe"));
		CHECK(!m.pseudo && !m.deleted);
	}
#ifdef __GLIBC__
	T_CASE("maps: libc's text is an r-x mapping of the file dladdr names") {
		Dl_info info;
		struct nf_maps_line m;
		char real[PATH_MAX];
		/* gnu_get_libc_version: in libc itself, never a sanitizer's interceptor. */
		void *fn = (void *)(uintptr_t)&gnu_get_libc_version;
		REQUIRE(dladdr(fn, &info) && info.dli_fname && realpath(info.dli_fname, real));
		REQUIRE(line_at(buf, len, (uintptr_t)fn, &m) == 0);
		CHECK(m.perms & NF_MAPS_X);
		CHECK(same_path(&m, real));
		CHECK(is_file(&m, info.dli_fname));
	}
#else
	t_skip("maps: libc's text", "not glibc: no gnu_get_libc_version");
#endif
	T_CASE("maps: executable files of this process: complete, distinct, with exe and libc") {
		struct nf_maps_file f[1024];
		struct nf_maps_iter it;
		struct nf_maps_line m;
		int nf = nf_maps_exec_files(buf, len, f, 1024), last = -1;
		REQUIRE(nf >= 2);
		for (int i = 0; i < nf; i++) {
			CHECK(f[i].inode != 0 && f[i].path_len > 0 && f[i].path[0] == '/');
			for (int j = 0; j < i; j++)
				CHECK(f[i].inode != f[j].inode || f[i].dev_major != f[j].dev_major ||
				      f[i].dev_minor != f[j].dev_minor);
		}
		/* Every executable file mapping is listed, in order of first appearance. */
		nf_maps_init(&it, buf, len);
		while (nf_maps_next(&it, &m) == 1) {
			int at = listed(f, nf, &m);
			if ((m.perms & NF_MAPS_X) && m.path && !m.pseudo && m.inode) {
				CHECK(at >= 0 && at <= last + 1);
				if (at > last)
					last = at;
			}
		}
		CHECK_EQ(last, nf - 1);
		REQUIRE(line_at(buf, len, (uintptr_t)&in_this_file, &m) == 0);
		CHECK(listed(f, nf, &m) >= 0);
#ifdef __GLIBC__
		REQUIRE(line_at(buf, len, (uintptr_t)&gnu_get_libc_version, &m) == 0);
		CHECK(listed(f, nf, &m) >= 0);
#endif
		CHECK_EQ(nf_maps_exec_files(buf, len, f, (size_t)nf), nf);
		CHECK_EQ(nf_maps_exec_files(buf, len, f, (size_t)nf - 1), -ENOSPC);
	}
}

/* ---- malformed buffers -------------------------------------------------- */

static volatile size_t sink;

/* Walk a buffer to its end, going on after errors; read every path byte so
 * ASan sees a path reaching past the buffer. */
static int walk(const char *buf, size_t len, int *errors)
{
	struct nf_maps_iter it;
	struct nf_maps_line m;
	struct nf_maps_file f[64];
	int r, lines = 0;
	size_t sum = 0;
	*errors = 0;
	nf_maps_init(&it, buf, len);
	while ((r = nf_maps_next(&it, &m)) != 0) {
		if (r < 0) {
			(*errors)++;
			continue;
		}
		for (size_t i = 0; i < m.path_len + 10 * m.deleted; i++)
			sum += (uint8_t)m.path[i];
		lines++;
	}
	(void)nf_maps_exec_files(buf, len, f, 64);
	sink += sum;
	return lines;
}

static void test_malformed(const char *buf, size_t len)
{
	T_CASE("maps malformed: every truncation of /proc/self/maps fails exactly when cut inside a line") {
		int wrong = 0;
		for (size_t n = 0; n <= len; n++) {
			char *copy = malloc(n ? n : 1);  /* exact size: ASan catches a read past it */
			memcpy(copy, buf, n);
			int errors;
			walk(copy, n, &errors);
			int cut = n > 0 && buf[n - 1] != '\n';
			wrong += errors != cut;
			free(copy);
		}
		CHECK_EQ(wrong, 0);
	}
	T_CASE("maps malformed: random byte flips end in lines or clean errors") {
		char *copy = malloc(len);
		int lines = 0, errors = 0;
		for (int i = 0; i < 5000; i++) {
			memcpy(copy, buf, len);
			/* A flipped bit, or a byte set to anything (NUL, newline, space). */
			for (int k = 1 + (int)(next_rand() % 4); k > 0; k--) {
				size_t at = next_rand() % len;
				uint32_t r = next_rand();
				if (r & 1)
					copy[at] ^= (char)(1u << (r >> 1) % 8);
				else
					copy[at] = (char)(r >> 8);
			}
			int e;
			lines += walk(copy, len, &e);
			errors += e;
		}
		free(copy);
		CHECK(lines > 0 && errors > 0);
		fprintf(stderr, "maps flips: %d lines, %d errors (seed 0x%x)\n", lines, errors, rng);
	}
}

static const char nss_maps[] =
	"1000-2000 r--p 00000000 fe:00 10 /usr/bin/tstclnt\n"
	"7000-8000 r--p 00000000 fe:00 50 /usr/lib/x86_64-linux-gnu/libssl3.so\n"
	"8000-9000 r-xp 00001000 fe:00 50 /usr/lib/x86_64-linux-gnu/libssl3.so\n"
	"9000-a000 rw-p 00002000 fe:00 50 /usr/lib/x86_64-linux-gnu/libssl3.so\n"
	"a000-c000 rw-p 00000000 00:00 0 \n"                      /* its .bss */
	"d000-e000 rw-p 00000000 00:00 0 \n"                      /* not adjacent */
	"e000-f000 r-xp 00000000 fe:00 51 /usr/lib/x86_64-linux-gnu/libssl3.so.old\n"
	"f000-10000 r-xp 00000000 fe:00 52 /usr/lib/x86_64-linux-gnu/libssl.so.3\n";

static void test_lib_range(void)
{
	T_CASE("maps: a library's span, its .bss included, by file name") {
		uint64_t lo = 0, hi = 0;
		/* "libssl3.so.old" starts with the name too: it counts. */
		CHECK_EQ(nf_maps_lib_range(nss_maps, sizeof(nss_maps) - 1, "libssl3.so", &lo, &hi), 1);
		CHECK_EQ(lo, 0x7000);
		CHECK_EQ(hi, 0xf000);
		CHECK_EQ(nf_maps_lib_range(nss_maps, 4 * 54 + 10, "libssl3.so", &lo, &hi) < 0, 1);
		static const char two[] =
			"7000-8000 r--p 00000000 fe:00 50 /l/libssl3.so\n"
			"8000-9000 rw-p 00000000 00:00 0 \n"
			"9000-a000 rw-p 00000000 00:00 0 [heap]\n";
		CHECK_EQ(nf_maps_lib_range(two, sizeof(two) - 1, "libssl3.so", &lo, &hi), 1);
		CHECK_EQ(lo, 0x7000);
		CHECK_EQ(hi, 0x9000); /* [heap] is not the library's */
		CHECK_EQ(nf_maps_lib_range(nss_maps, sizeof(nss_maps) - 1, "libnss3.so", &lo, &hi), 0);
		CHECK_EQ(nf_maps_lib_range(two, sizeof(two) - 1, "ssl3.so", &lo, &hi), 0);
	}
}

static void test_lib_range_self(const char *buf, size_t len)
{
	T_CASE("maps: this test's libc spans its own data (stdout's FILE)") {
		Dl_info di;
		REQUIRE(dladdr((void *)stdout, &di) && di.dli_fname);
		const char *base = strrchr(di.dli_fname, '/');
		base = base ? base + 1 : di.dli_fname;
		uint64_t lo = 0, hi = 0;
		REQUIRE(nf_maps_lib_range(buf, len, base, &lo, &hi) == 1);
		CHECK_EQ(lo, (uint64_t)(uintptr_t)di.dli_fbase);
		CHECK(lo <= (uint64_t)(uintptr_t)stdout && (uint64_t)(uintptr_t)stdout < hi);
	}
}

int main(void)
{
	const char *seed = getenv("NF_FLIP_SEED");
	if (seed && strtoul(seed, NULL, 0))
		rng = (uint32_t)strtoul(seed, NULL, 0);
	(void)in_this_file(1);

	test_crafted();
	test_iterate();
	test_lib_range();
	size_t len;
	char *buf = t_read_file("/proc/self/maps", &len);
	if (!buf || !len) {
		t_skip("maps: /proc/self/maps", "cannot read /proc/self/maps");
	} else {
		test_self(buf, len);
		test_lib_range_self(buf, len);
		test_malformed(buf, len);
	}
	free(buf);
	return t_summary();
}
