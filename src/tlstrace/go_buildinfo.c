#include "go_buildinfo.h"
#include <errno.h>
#include <string.h>

#define MAGIC "\xff Go buildinf:"
#define MAGIC_LEN 14
#define HEADER_LEN 32
#define FLAG_INLINE 0x2

/* A uvarint at *pos (at most 10 bytes); 0, or -1 when cut or too long. */
static int uvarint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
		uint8_t b = p[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* "goM.N" then the end, '.', or a pre-release suffix ("go1.21rc2"). */
static int parse_version(const char *s, size_t n, struct tt_go_version *v)
{
	size_t i = 2;
	unsigned part[2] = { 0, 0 };
	if (n < 5 || memcmp(s, "go", 2))
		return -ENOTSUP;
	for (int k = 0; k < 2; k++) {
		size_t start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 6)
			part[k] = part[k] * 10 + (unsigned)(s[i++] - '0');
		if (i == start || (k == 0 && (i >= n || s[i++] != '.')))
			return -ENOTSUP;
	}
	v->major = part[0];
	v->minor = part[1];
	return 0;
}

int tt_go_buildinfo_version(const uint8_t *sec, size_t len, struct tt_go_version *v)
{
	memset(v, 0, sizeof(*v));
	if (!sec || len < HEADER_LEN || memcmp(sec, MAGIC, MAGIC_LEN))
		return -EINVAL;
	if (!(sec[MAGIC_LEN + 1] & FLAG_INLINE))
		return -ENOTSUP;
	size_t pos = HEADER_LEN;
	uint64_t n;
	if (uvarint(sec, len, &pos, &n) || n > len - pos)
		return -EINVAL;
	size_t keep = n < sizeof(v->text) - 1 ? (size_t)n : sizeof(v->text) - 1;
	memcpy(v->text, sec + pos, keep);
	return parse_version((const char *)sec + pos, (size_t)n, v);
}

int tt_go_has_regabi(const struct tt_go_version *v, int arm64)
{
	unsigned since = arm64 ? 18 : 17;
	return v->major > 1 || (v->major == 1 && v->minor >= since);
}
