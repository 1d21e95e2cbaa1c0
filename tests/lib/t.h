/* Minimal test harness. Each check prints one result line that tests/run.sh
 * counts: "PASS name", "FAIL name: why", "SKIP name: why". */
#ifndef NF_T_H
#define NF_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int t_failed_in_case;
extern const char *t_case;

void t_begin(const char *name);
void t_end(void);
void t_skip(const char *name, const char *why);
/* "FAIL <case>: <printf message>", and the current case fails. */
void t_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int t_summary(void); /* exit status for main */
/* Read a file whole (malloc'd); NULL on error. */
void *t_read_file(const char *path, size_t *len);
/* Path of a test fixture object: $NF_FIXTURES/NAME.bpf.o, else
 * $B/fixtures/NAME.bpf.o (B defaults to build). */
const char *t_fixture(const char *name);

#define T_CASE(name) for (int t_once_ = (t_begin(name), 1); t_once_; t_once_ = (t_end(), 0))

#define CHECK(cond) do { if (!(cond)) { \
	printf("FAIL %s: %s:%d: %s\n", t_case, __FILE__, __LINE__, #cond); \
	t_failed_in_case = 1; } } while (0)
#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { printf("FAIL %s: %s:%d: %s == %lld, want %lld\n", t_case, \
	__FILE__, __LINE__, #a, a_, b_); t_failed_in_case = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { printf("FAIL %s: %s:%d: %s == \"%s\", want \"%s\"\n", \
	t_case, __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	t_failed_in_case = 1; } } while (0)
/* Stop the current case (inside T_CASE) when a precondition fails. Not
 * wrapped in do/while: the break must leave T_CASE's loop, which skips the
 * loop's own t_end(), so call it here. */
#define REQUIRE(cond) if (!(cond)) { \
	printf("FAIL %s: %s:%d: required %s\n", t_case, __FILE__, __LINE__, #cond); \
	t_failed_in_case = 1; t_end(); break; } else (void)0

#endif
