/* The dynamic PMUs of uprobes and kprobes: their perf type and the config
 * bit of a return probe, read once from sysfs (through nf_sys) and cached,
 * like the feature probes. Also the small number parser the perf files
 * share. */
#include "perf_int.h"
#include "kern/sys.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PMU_DIR "/sys/bus/event_source/devices/"

static const char *const pmu_name[] = { "uprobe", "kprobe" };
static const char *const pmu_config[] = { "CONFIG_UPROBE_EVENTS", "CONFIG_KPROBE_EVENTS" };

struct pmu_cache {
	int read;
	int type_err, bit_err;  /* 0 or -errno of reading each file */
	struct nf_pmu pmu;
};
static struct pmu_cache cache[2];

int perf_parse_num(const char *s, const char **end, uint64_t *out)
{
	int base = 10;
	uint64_t v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p[2])
		base = 16, p += 2;
	for (const char *d = p;; p++) {
		int c = *p, digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else if (p == d)
			return -EINVAL;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base)
			return -EINVAL;
		v = v * (uint64_t)base + (uint64_t)digit;
	}
	*end = p;
	*out = v;
	return 0;
}

int perf_parse_line(const char *s, uint64_t *out)
{
	const char *end;

	if (s[0] < '0' || s[0] > '9' || perf_parse_num(s, &end, out))
		return -EINVAL;
	if (*end == '\n')
		end++;
	return *end ? -EINVAL : 0;
}

static int parse_upto(const char *s, uint64_t max)
{
	uint64_t v;

	return perf_parse_line(s, &v) || v > max ? -EINVAL : (int)v;
}

int nf_pmu_parse_type(const char *s)
{
	return parse_upto(s, 0x7fffffff);
}

/* "config:N": one bit of attr.config (a range "config:32-63" is a field). */
int nf_pmu_parse_bit(const char *s)
{
	if (strncmp(s, "config:", 7))
		return -EINVAL;
	return parse_upto(s + 7, 63);
}

static int read_file_num(const char *path, int (*parse)(const char *), int *out)
{
	size_t len;
	int err;
	char *s = nf_sys_read_file(path, &len, &err);

	if (!s)
		return err;
	int v = parse(s);

	free(s);
	if (v < 0)
		return v;
	*out = v;
	return 0;
}

static void pmu_read(enum nf_pmu_kind kind, struct pmu_cache *c)
{
	char path[96];

	snprintf(path, sizeof(path), PMU_DIR "%s/type", pmu_name[kind]);
	c->type_err = read_file_num(path, nf_pmu_parse_type, &c->pmu.type);
	snprintf(path, sizeof(path), PMU_DIR "%s/format/retprobe", pmu_name[kind]);
	c->bit_err = read_file_num(path, nf_pmu_parse_bit, &c->pmu.retprobe_bit);
	if (c->bit_err)
		c->pmu.retprobe_bit = -1;
	c->read = 1;
}

int nf_pmu_get(enum nf_pmu_kind kind, struct nf_pmu *out)
{
	struct pmu_cache *c = &cache[kind];
	const char *name = pmu_name[kind];

	if (!c->read)
		pmu_read(kind, c);
	if (c->type_err == -ENOENT)
		nf_seterr("the kernel has no %s PMU (no " PMU_DIR "%s/type; needs %s, 4.17+)",
			  name, name, pmu_config[kind]);
	else if (c->type_err == -EINVAL)
		nf_seterr("cannot read the %s PMU type: " PMU_DIR "%s/type is not a number", name, name);
	else if (c->type_err)
		nf_seterr("cannot read " PMU_DIR "%s/type: %s", name, strerror(-c->type_err));
	else
		*out = c->pmu;
	return c->type_err;
}

void nf_pmu_reset(void)
{
	memset(cache, 0, sizeof(cache));
}

int perf_pmu_config(enum nf_pmu_kind kind, int retprobe, struct perf_event_attr *attr)
{
	struct nf_pmu pmu;
	int r = nf_pmu_get(kind, &pmu);

	if (r)
		return r;
	attr->type = (uint32_t)pmu.type;
	if (!retprobe)
		return 0;
	if (pmu.retprobe_bit < 0) {
		int err = cache[kind].bit_err;

		nf_seterr("the %s PMU has no return probes (" PMU_DIR "%s/format/retprobe: %s)",
			  pmu_name[kind], pmu_name[kind],
			  err == -EINVAL ? "not config:N" : strerror(-err));
		return err;
	}
	attr->config |= 1ull << pmu.retprobe_bit;
	return 0;
}
