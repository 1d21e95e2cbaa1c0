#include "tt_event.h"

/* The probed functions' symbols, by enum tt_func. */
static const char *const func_names[TT_NFUNCS] = {
	[TT_SSL_WRITE] = "SSL_write",
	[TT_SSL_READ] = "SSL_read",
	[TT_SSL_WRITE_EX] = "SSL_write_ex",
	[TT_SSL_READ_EX] = "SSL_read_ex",
	[TT_SSL_PEEK] = "SSL_peek",
	[TT_SSL_PEEK_EX] = "SSL_peek_ex",
};

const char *tt_func_name(uint32_t func)
{
	return func < TT_NFUNCS && func_names[func] ? func_names[func] : "?";
}
