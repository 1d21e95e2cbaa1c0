#include "caps.h"
#include "sys.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nf_parse_cap_eff(const char *status, uint64_t *eff)
{
	for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "CapEff:", 7))
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 16);
		if (end == p || errno || (*end && *end != '\n'))
			return -EINVAL;
		*eff = v;
		return 0;
	}
	return -EINVAL;
}

uint64_t nf_cap_eff(void)
{
	size_t len;
	int err;
	uint64_t eff = ~0ull;
	char *s = nf_sys_read_file("/proc/self/status", &len, &err);
	if (s && nf_parse_cap_eff(s, &eff) < 0)
		eff = ~0ull;
	free(s);
	return eff;
}

int nf_caps_allow(uint64_t mask)
{
	uint64_t eff = nf_cap_eff();
	return (eff & NF_CAP(NF_CAP_SYS_ADMIN)) || (eff & mask) == mask;
}
