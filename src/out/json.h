/* JSON object members appended to a strbuf. The caller writes the '{'
 * and the first member itself; every member here starts with ','. */
#ifndef NF_JSON_H
#define NF_JSON_H
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

/* n bytes as a quoted JSON string: '"', '\\' and control bytes escaped;
 * valid UTF-8 is kept, a byte that is not is written as the code point of
 * the same value (\u00XX), so the line is always valid JSON. */
void nf_json_str(struct strbuf *b, const char *s, size_t n);
/* ,"name": (the value follows) */
void nf_json_key(struct strbuf *b, const char *name);
void nf_json_key_u64(struct strbuf *b, const char *name, uint64_t v);
void nf_json_key_bool(struct strbuf *b, const char *name, int v);
/* A NUL-terminated string value, escaped. */
void nf_json_key_str(struct strbuf *b, const char *name, const char *v);

#endif
