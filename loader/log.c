#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int nf_log_level = NF_LOG_INFO;
int nf_log_json;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };
static char lasterr[512];

int nf_log_parse_level(const char *s)
{
	for (int i = 0; i <= NF_LOG_TRACE; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			nf_log_level = i;
			return 0;
		}
	}
	return -1;
}

int nf_log_parse_format(const char *s)
{
	if (strcmp(s, "text") == 0 || strcmp(s, "json") == 0) {
		nf_log_json = s[0] == 'j';
		return 0;
	}
	return -1;
}

/* JSON string body: escape quotes, backslashes and control bytes. */
static void put_json_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void nf_log(int level, const char *fmt, ...)
{
	if (level > nf_log_level)
		return;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (nf_log_json) {
		struct timespec ts;
		struct tm tm;
		char when[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "{\"ts\":\"%s.%06ldZ\",\"level\":\"%s\",\"msg\":\"", when,
			ts.tv_nsec / 1000, level_names[level]);
		put_json_escaped(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		if (level == NF_LOG_INFO)
			fprintf(stderr, "nflux: %s\n", msg);
		else
			fprintf(stderr, "nflux: %s: %s\n", level_names[level], msg);
	}
}

void nf_seterr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lasterr, sizeof(lasterr), fmt, ap);
	va_end(ap);
}

const char *nf_lasterr(void)
{
	return lasterr[0] ? lasterr : "unknown error";
}
