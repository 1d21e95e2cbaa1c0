/* What both formats share: the size bound, and the fields they derive. */
#include "tt_fmt_int.h"
#include <string.h>
#include "out/base64.h"
#include "tt_http.h"

/* Everything but the payload, at its longest: two IPv6 addresses, 20-digit
 * numbers, a 15-byte comm and a TT_FMT_LIB_MAX library name each escaped
 * at 6 bytes a byte (JSON's \u00XX): under 1000. */
#define FIXED_MAX 1024
/* The decoded HTTP (tt_http.h) adds at most TT_HTTP_OUT_MAX. */
/* A hex dump line: 16-digit offset, 39 of hex, 2 spaces, 16 of text, '\n'. */
#define HEX_LINE_MAX 80

size_t tt_fmt_size(size_t data_len, int hex)
{
	size_t text = hex ? (data_len / 16 + 1) * HEX_LINE_MAX : 4 * data_len + 1;
	size_t json = nf_base64_len(data_len);
	return FIXED_MAX + TT_HTTP_OUT_MAX + (text > json ? text : json);
}

const char *tt_fmt_dir(const struct tt_event *ev)
{
	return ev->call->flags & TT_F_WRITE ? "write" : "read";
}

size_t tt_fmt_comm_len(const struct tt_event *ev)
{
	return strnlen(ev->call->comm, TT_COMM_LEN);
}

const char *tt_fmt_lib(const struct tt_event *ev, size_t *len)
{
	const char *lib = ev->lib ? ev->lib : "unknown";
	*len = strnlen(lib, TT_FMT_LIB_MAX);
	return lib;
}
