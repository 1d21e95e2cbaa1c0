#include "t.h"
#include <stdarg.h>

int t_failed_in_case;
const char *t_case = "?";
static int passed, failed, skipped;

void t_begin(const char *name)
{
	t_case = name;
	t_failed_in_case = 0;
}

void t_end(void)
{
	if (t_failed_in_case) {
		failed++;
	} else {
		passed++;
		printf("PASS %s\n", t_case);
	}
	fflush(stdout);
}

void t_skip(const char *name, const char *why)
{
	skipped++;
	printf("SKIP %s: %s\n", name, why);
	fflush(stdout);
}

void t_failf(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL %s: ", t_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t_failed_in_case = 1;
}

int t_summary(void)
{
	return failed ? 1 : 0;
}

void *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

const char *t_fixture(const char *name)
{
	static char path[256];
	const char *dir = getenv("NF_FIXTURES"), *b = getenv("B");
	if (dir)
		snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, name);
	else /* the build dir tests/run.sh and make pass down */
		snprintf(path, sizeof(path), "%s/fixtures/%s.bpf.o", b && *b ? b : "build", name);
	return path;
}
