/* tlstrace command line: every option in each spelling, repeats and their
 * limits, bad values (each refused with exactly one line on stderr),
 * help; and the shared number parsers (out/args.h). */
#include <unistd.h>
#include "t.h"
#include "log.h"
#include "out/args.h"
#include "tlstrace/tt_opts.h"

/* stderr goes to a file while one parse runs: the lines it wrote. */
static int stderr_lines;

static int parse(struct tt_opts *o, int argc, char **argv)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	if (!tmp || saved < 0)
		return -99;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	int r = tt_opts_parse(o, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	stderr_lines = 0;
	for (int c; (c = fgetc(tmp)) != EOF;)
		stderr_lines += c == '\n';
	fclose(tmp);
	return r;
}

#define PARSE(o, ...) ({ char *v_[] = { "tlstrace", __VA_ARGS__, NULL }; \
	parse(o, (int)(sizeof(v_) / sizeof(v_[0])) - 1, v_); })
/* Refused, with one line of explanation. */
#define BAD(o, ...) do { CHECK_EQ(PARSE(o, __VA_ARGS__), -1); CHECK_EQ(stderr_lines, 1); } while (0)
#define GOOD(o, ...) do { CHECK_EQ(PARSE(o, __VA_ARGS__), 0); CHECK_EQ(stderr_lines, 0); } while (0)

/* argv of prefix "opt value" pairs, n times, values from vals (cycled). */
static int parse_repeated(struct tt_opts *o, const char *opt, const char *const *vals,
			  int nvals, int n)
{
	char *argv[2 * 80 + 2] = { "tlstrace" };
	int argc = 1;
	for (int i = 0; i < n; i++) {
		argv[argc++] = (char *)opt;
		argv[argc++] = (char *)vals[i % nvals];
	}
	argv[argc] = NULL;
	return parse(o, argc, argv);
}

int main(void)
{
	struct tt_opts o;
	nf_log_json = 0;

	T_CASE("defaults") {
		char *v[] = { "tlstrace", NULL };
		CHECK_EQ(parse(&o, 1, v), 0);
		CHECK_EQ(stderr_lines, 0);
		CHECK(o.openssl_path == NULL);
		CHECK_EQ(o.nlibs, 0);
		CHECK_EQ(o.nbinaries, 0);
		CHECK_EQ(o.npids, 0);
		CHECK_EQ(o.ncomms, 0);
		CHECK_EQ(o.max_bytes, TT_DEFAULT_MAX_BYTES);
		CHECK_EQ(o.count, 0);
		CHECK(!o.hex && o.http);
		CHECK(o.wfile == NULL);
	}

	T_CASE("every option, in each spelling") {
		GOOD(&o, "--openssl-path", "/usr/lib/libssl.so.3", "--lib", "/a/libssl.so",
		     "--lib=/b/libboringssl.so", "--binary", "/usr/bin/node", "--binary=/opt/envoy",
		     "-p", "42", "-p43", "--comm", "curl", "--comm=nginx: worker", "--max-bytes",
		     "65536", "-c", "10", "--hex", "--no-http", "-w", "out.pcapng");
		CHECK_STR(o.openssl_path, "/usr/lib/libssl.so.3");
		CHECK_EQ(o.nlibs, 2);
		CHECK_STR(o.libs[0], "/a/libssl.so");
		CHECK_STR(o.libs[1], "/b/libboringssl.so");
		CHECK_EQ(o.nbinaries, 2);
		CHECK_STR(o.binaries[0], "/usr/bin/node");
		CHECK_STR(o.binaries[1], "/opt/envoy");
		CHECK_EQ(o.npids, 2);
		CHECK_EQ(o.pids[0], 42);
		CHECK_EQ(o.pids[1], 43);
		CHECK_EQ(o.ncomms, 2);
		CHECK_STR(o.comms[0], "curl");
		CHECK_STR(o.comms[1], "nginx: worker");
		CHECK_EQ(o.max_bytes, 65536);
		CHECK_EQ(o.count, 10);
		CHECK(o.hex && !o.http);
		CHECK_STR(o.wfile, "out.pcapng");
		GOOD(&o, "--openssl-path=/x", "-c5", "--max-bytes=7", "-w-");
		CHECK_STR(o.openssl_path, "/x");
		CHECK_STR(o.wfile, "-");
		CHECK_EQ(o.count, 5);
		CHECK_EQ(o.max_bytes, 7);
	}

	T_CASE("--comm: NUL-padded to the kernel's 16 bytes, 15 at most") {
		GOOD(&o, "--comm", "123456789012345", "--comm", "a");
		CHECK_EQ(o.ncomms, 2);
		CHECK(!memcmp(o.comms[0], "123456789012345", 16)); /* the 16th byte is NUL */
		static const char a[TT_COMM_LEN] = "a";
		CHECK(!memcmp(o.comms[1], a, TT_COMM_LEN));
		BAD(&o, "--comm", "1234567890123456");
		BAD(&o, "--comm", "");
		BAD(&o, "--comm=");
	}

	T_CASE("--max-bytes: 1 to 4 MiB, K and M suffixes") {
		static const struct { const char *s; uint64_t v; } ok[] = {
			{ "1", 1 }, { "4194304", 4194304 }, { "4M", 4194304 }, { "4m", 4194304 },
			{ "64K", 65536 }, { "1k", 1024 }, { "4096K", 4194304 }, { "0001", 1 },
		};
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			GOOD(&o, "--max-bytes", (char *)ok[i].s);
			CHECK_EQ(o.max_bytes, ok[i].v);
		}
		static const char *const bad[] = { "0", "0K", "4194305", "5M", "4097K", "1G",
			"K", "-1", "+1", " 1", "1.5M", "1MB", "1 M", "", "18446744073709551616",
			"18014398509481984K" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			BAD(&o, "--max-bytes", (char *)bad[i]);
	}

	T_CASE("-p: process ids 1 to 2^22") {
		GOOD(&o, "-p", "1", "-p", "4194304");
		CHECK_EQ(o.pids[0], 1);
		CHECK_EQ(o.pids[1], 4194304);
		BAD(&o, "-p", "0");
		BAD(&o, "-p", "4194305");
		BAD(&o, "-p", "-1");
		BAD(&o, "-p", "12abc");
		BAD(&o, "-p", "self");
		BAD(&o, "-p", "");
		BAD(&o, "-p=5"); /* one-letter options take -p5 or -p 5 */
	}

	T_CASE("repeats up to their limits, and one more is refused") {
		static const char *const pids[] = { "100", "200", "300" };
		static const char *const comms[] = { "curl", "wget" };
		static const char *const paths[] = { "/lib/a.so", "/lib/b.so" };
		CHECK_EQ(parse_repeated(&o, "-p", pids, 3, TT_MAX_PIDS), 0);
		CHECK_EQ(o.npids, TT_MAX_PIDS);
		CHECK_EQ(o.pids[TT_MAX_PIDS - 1], 100 * (1 + (TT_MAX_PIDS - 1) % 3));
		CHECK_EQ(parse_repeated(&o, "-p", pids, 3, TT_MAX_PIDS + 1), -1);
		CHECK_EQ(stderr_lines, 1);
		CHECK_EQ(parse_repeated(&o, "--comm", comms, 2, TT_MAX_COMMS), 0);
		CHECK_EQ(o.ncomms, TT_MAX_COMMS);
		CHECK_STR(o.comms[TT_MAX_COMMS - 1], "wget");
		CHECK_EQ(parse_repeated(&o, "--comm", comms, 2, TT_MAX_COMMS + 1), -1);
		CHECK_EQ(stderr_lines, 1);
		CHECK_EQ(parse_repeated(&o, "--lib", paths, 2, TT_MAX_PATH_ARGS), 0);
		CHECK_EQ(o.nlibs, TT_MAX_PATH_ARGS);
		CHECK_EQ(parse_repeated(&o, "--lib", paths, 2, TT_MAX_PATH_ARGS + 1), -1);
		CHECK_EQ(stderr_lines, 1);
		CHECK_EQ(parse_repeated(&o, "--binary", paths, 2, TT_MAX_PATH_ARGS), 0);
		CHECK_EQ(o.nbinaries, TT_MAX_PATH_ARGS);
		CHECK_EQ(parse_repeated(&o, "--binary", paths, 2, TT_MAX_PATH_ARGS + 1), -1);
		CHECK_EQ(stderr_lines, 1);
	}

	T_CASE("help") {
		CHECK_EQ(PARSE(&o, "--help"), 1);
		CHECK_EQ(PARSE(&o, "-h"), 1);
		CHECK_EQ(PARSE(&o, "-p", "1", "--comm", "x", "-h"), 1);
		CHECK_EQ(stderr_lines, 0);
		CHECK(strstr(tt_usage, "--openssl-path") && strstr(tt_usage, "--max-bytes"));
	}

	T_CASE("bad input is refused with one line") {
		BAD(&o, "--openssl-path", "/a", "--openssl-path", "/b");
		BAD(&o, "--openssl-path", "");
		BAD(&o, "--lib", "");
		BAD(&o, "--binary=");
		BAD(&o, "-c", "0");
		BAD(&o, "-c", "-5");
		BAD(&o, "-c", "12x");
		BAD(&o, "-w", "");
		BAD(&o, "-w");
		BAD(&o, "--write", "out.pcapng"); /* netrace's spelling is -w only */
		BAD(&o, "--bogus");
		BAD(&o, "--hexdump");
		BAD(&o, "--library=/x");
		BAD(&o, "extra");
		BAD(&o, "-p");
		BAD(&o, "--comm");
		BAD(&o, "--max-bytes");
		BAD(&o, "--lib");
		BAD(&o, "-c");
	}

	T_CASE("out/args: numbers and sizes") {
		uint64_t v = 7;
		CHECK_EQ(nf_arg_u64("18446744073709551615", UINT64_MAX, &v), 0);
		CHECK(v == UINT64_MAX);
		CHECK_EQ(nf_arg_u64("18446744073709551616", UINT64_MAX, &v), -1);
		CHECK_EQ(nf_arg_u64("10", 9, &v), -1);
		CHECK_EQ(nf_arg_u64(NULL, 9, &v), -1);
		CHECK_EQ(nf_arg_u64(" -5", UINT64_MAX, &v), -1); /* strtoull would wrap it */
		CHECK_EQ(nf_arg_size("3M", UINT64_MAX, &v), 0);
		CHECK_EQ(v, 3 << 20);
		CHECK_EQ(nf_arg_size("17592186044415M", UINT64_MAX, &v), 0); /* 2^44 - 1 MiB */
		CHECK(v == (uint64_t)17592186044415ULL << 20);
		CHECK_EQ(nf_arg_size("17592186044416M", UINT64_MAX, &v), -1); /* 2^64: would wrap */
	}
	return t_summary();
}
