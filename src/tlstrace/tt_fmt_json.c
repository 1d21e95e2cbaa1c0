/* One event as one JSON object per line (--log-format json). */
#include "tt_fmt_int.h"
#include "out/base64.h"
#include "out/fmt.h"
#include "out/json.h"

static void put_addr(struct strbuf *b, const char *name, const uint8_t *a, int family)
{
	nf_json_key(b, name);
	sb_putc(b, '"');
	nf_put_addr(b, a, family);
	sb_putc(b, '"');
}

/* Where the resolver found the connection: netrace's key names. */
static void put_endpoints(struct strbuf *b, const struct tt_addr *a)
{
	if (!a->known)
		return;
	put_addr(b, "src", a->src, a->family);
	put_addr(b, "dst", a->dst, a->family);
	nf_json_key_u64(b, "sport", a->sport);
	nf_json_key_u64(b, "dport", a->dport);
}

int tt_fmt_json(char *buf, size_t cap, const struct tt_event *ev)
{
	const struct tt_call *c = ev->call;
	size_t lib_len;
	const char *lib = tt_fmt_lib(ev, &lib_len);
	struct strbuf b;
	sb_init(&b, buf, cap);
	sb_puts(&b, "{\"ts\":\"");
	nf_put_rfc3339(&b, ev->realtime_ns);
	sb_putc(&b, '"');
	nf_json_key_u64(&b, "pid", c->pid_tgid >> 32);
	nf_json_key_u64(&b, "tid", (uint32_t)c->pid_tgid);
	nf_json_key(&b, "comm");
	nf_json_str(&b, c->comm, tt_fmt_comm_len(ev));
	nf_json_key(&b, "lib");
	nf_json_str(&b, lib, lib_len);
	nf_json_key_str(&b, "func", tt_func_name(c->func));
	nf_json_key_str(&b, "dir", tt_fmt_dir(ev));
	nf_json_key_u64(&b, "len", c->len);
	nf_json_key(&b, "data");
	sb_putc(&b, '"');
	nf_put_base64(&b, ev->data, ev->data_len);
	sb_putc(&b, '"');
	nf_json_key_bool(&b, "truncated", ev->data_len < c->len);
	if (ev->data_len < c->len)
		nf_json_key_u64(&b, "lost_bytes", c->len - ev->data_len);
	if (c->flags & TT_F_PEEK)
		nf_json_key_bool(&b, "peek", 1);
	nf_json_key_u64(&b, "conn", ev->conn_id);
	if (ev->fd >= 0)
		nf_json_key_u64(&b, "fd", (uint64_t)ev->fd);
	put_endpoints(&b, &ev->addr);
	if (ev->http) {
		nf_json_key(&b, "http");
		sb_putn(&b, ev->http, ev->http_len);
	}
	sb_puts(&b, "}\n");
	return sb_finish(&b);
}
