/* What the two tlstrace formats share (tt_fmt.c). */
#ifndef NF_TT_FMT_INT_H
#define NF_TT_FMT_INT_H
#include <stddef.h>
#include "tt_fmt.h"

/* "read" or "write". */
const char *tt_fmt_dir(const struct tt_event *ev);
/* The comm's length: up to its NUL, at most TT_COMM_LEN. */
size_t tt_fmt_comm_len(const struct tt_event *ev);
/* ev->lib, or "unknown"; *len set to its printed length (at most
 * TT_FMT_LIB_MAX). */
const char *tt_fmt_lib(const struct tt_event *ev, size_t *len);

#endif
