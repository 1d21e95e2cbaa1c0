/* Diagnostics to stderr, in text or JSON, filtered by level. */
#ifndef NF_LOG_H
#define NF_LOG_H

enum nf_log_level { NF_LOG_ERROR, NF_LOG_WARN, NF_LOG_INFO, NF_LOG_DEBUG, NF_LOG_TRACE };

extern int nf_log_level;   /* messages above this level are dropped */
extern int nf_log_json;    /* 1: one JSON object per line */

void nf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse "error".."trace" / "text","json"; return 0, or -1 if unknown. */
int nf_log_parse_level(const char *s);
int nf_log_parse_format(const char *s);

#define nf_err(...) nf_log(NF_LOG_ERROR, __VA_ARGS__)
#define nf_warn(...) nf_log(NF_LOG_WARN, __VA_ARGS__)
#define nf_info(...) nf_log(NF_LOG_INFO, __VA_ARGS__)
#define nf_debug(...) nf_log(NF_LOG_DEBUG, __VA_ARGS__)

/* Last error text set by loader functions that fail (one line). */
void nf_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *nf_lasterr(void);

#endif
