/* /proc/PID/maps parser. The kernel writes each line as
 * "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", then, if the mapping has a
 * name, spaces up to a fixed column and the name. Numbers are lowercase hex
 * of any width (the widths are minimums) except the decimal inode. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "proc_maps.h"
#include "log.h"

#define DELETED " (deleted)"
#define DELETED_LEN (sizeof(DELETED) - 1)

struct cursor {
	const char *p, *end;
	const char *why;   /* what was wrong, for the error message */
};

static int fail(struct cursor *c, const char *why, int err)
{
	c->why = why;
	return err;
}

static int digit(char ch, unsigned base)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (base == 16 && ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int number(struct cursor *c, unsigned base, uint64_t *v, const char *what)
{
	const char *start = c->p;
	int d;

	*v = 0;
	for (; c->p < c->end && (d = digit(*c->p, base)) >= 0; c->p++) {
		if (*v > (UINT64_MAX - (unsigned)d) / base)
			return fail(c, what, -ERANGE);
		*v = *v * base + (unsigned)d;
	}
	return c->p > start ? 0 : fail(c, what, -EINVAL);
}

static int expect(struct cursor *c, char ch, const char *what)
{
	if (c->p == c->end || *c->p != ch)
		return fail(c, what, -EINVAL);
	c->p++;
	return 0;
}

/* Four letters, each its own or '-', except the last: 'p' or 's'. Bit i
 * of the result is letter i, as NF_MAPS_R, _W, _X are numbered. */
static int perms(struct cursor *c, unsigned *out)
{
	static const char set[] = "rwx";

	if (c->end - c->p < 4)
		return fail(c, "perms", -EINVAL);
	*out = 0;
	for (int i = 0; i < 3; i++) {
		if (c->p[i] == set[i])
			*out |= 1u << i;
		else if (c->p[i] != '-')
			return fail(c, "perms", -EINVAL);
	}
	if (c->p[3] == 's')
		*out |= NF_MAPS_SHARED;
	else if (c->p[3] != 'p')
		return fail(c, "perms", -EINVAL);
	c->p += 4;
	return 0;
}

static int device(struct cursor *c, struct nf_maps_line *m)
{
	uint64_t major, minor;
	int err;

	if ((err = number(c, 16, &major, "device major")) ||
	    (err = expect(c, ':', "device")) ||
	    (err = number(c, 16, &minor, "device minor")))
		return err;
	if (major > UINT32_MAX || minor > UINT32_MAX)
		return fail(c, "device number", -ERANGE);
	m->dev_major = (uint32_t)major;
	m->dev_minor = (uint32_t)minor;
	return 0;
}

/* After the inode: nothing, or spaces then the name. The kernel pads with
 * spaces and ends a nameless line with one, so a blank rest is no name. */
static int name(struct cursor *c, struct nf_maps_line *m)
{
	if (c->p == c->end)
		return 0;
	if (*c->p != ' ')
		return fail(c, "inode", -EINVAL);
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p == c->end)
		return 0;
	m->path = c->p;
	m->path_len = (size_t)(c->end - c->p);
	/* Only an absolute path names a file: "[heap]", "[anon:x]" and
	 * "anon_inode:[perf_event]" are kernel names. */
	m->pseudo = *m->path != '/';
	if (m->path_len > DELETED_LEN &&
	    !memcmp(m->path + m->path_len - DELETED_LEN, DELETED, DELETED_LEN)) {
		m->path_len -= DELETED_LEN;
		m->deleted = 1;
	}
	return 0;
}

static int parse(struct cursor *c, struct nf_maps_line *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	if (c->p < c->end && memchr(c->p, 0, (size_t)(c->end - c->p)))
		return fail(c, "NUL byte", -EINVAL);
	if ((err = number(c, 16, &m->start, "start")) ||
	    (err = expect(c, '-', "start-end")) ||
	    (err = number(c, 16, &m->end, "end")) ||
	    (err = expect(c, ' ', "end")) ||
	    (err = perms(c, &m->perms)) ||
	    (err = expect(c, ' ', "perms")) ||
	    (err = number(c, 16, &m->offset, "offset")) ||
	    (err = expect(c, ' ', "offset")) ||
	    (err = device(c, m)) ||
	    (err = expect(c, ' ', "device")) ||
	    (err = number(c, 10, &m->inode, "inode")) ||
	    (err = name(c, m)))
		return err;
	if (m->start >= m->end)
		return fail(c, "start not below end", -EINVAL);
	return 0;
}

int nf_maps_parse_line(const char *s, size_t len, struct nf_maps_line *m)
{
	struct cursor c = { s, s ? s + len : s, NULL };
	int err = parse(&c, m);

	if (err)
		nf_seterr("bad maps line: %s", c.why);
	return err;
}

void nf_maps_init(struct nf_maps_iter *it, const char *buf, size_t len)
{
	it->p = buf;
	it->end = buf ? buf + len : buf; /* no arithmetic on NULL */
	it->lineno = 0;
}

int nf_maps_next(struct nf_maps_iter *it, struct nf_maps_line *m)
{
	if (it->p == it->end)
		return 0;
	const char *line = it->p, *nl = memchr(line, '\n', (size_t)(it->end - line));
	it->lineno++;
	if (!nl) {
		it->p = it->end;
		nf_seterr("maps line %u: no newline at its end (buffer cut short?)", it->lineno);
		return -EINVAL;
	}
	it->p = nl + 1;
	struct cursor c = { line, nl, NULL };
	int err = parse(&c, m);
	if (err) {
		nf_seterr("maps line %u: bad %s", it->lineno, c.why);
		return err;
	}
	return 1;
}

static int same_file(const struct nf_maps_file *f, const struct nf_maps_line *m)
{
	return f->inode == m->inode && f->dev_major == m->dev_major && f->dev_minor == m->dev_minor;
}

static int listed(const struct nf_maps_file *files, size_t n, const struct nf_maps_line *m)
{
	for (size_t i = 0; i < n; i++)
		if (same_file(&files[i], m))
			return 1;
	return 0;
}

int nf_maps_exec_files(const char *buf, size_t len, struct nf_maps_file *out, size_t cap)
{
	struct nf_maps_iter it;
	struct nf_maps_line m;
	size_t n = 0;
	int r;

	if (cap > INT_MAX)
		cap = INT_MAX; /* the count is returned as an int */
	nf_maps_init(&it, buf, len);
	while ((r = nf_maps_next(&it, &m)) > 0) {
		if (!(m.perms & NF_MAPS_X) || !m.path || m.pseudo || !m.inode || listed(out, n, &m))
			continue;
		if (n == cap) {
			nf_seterr("more than %zu executable files in maps", cap);
			return -ENOSPC;
		}
		out[n++] = (struct nf_maps_file){ m.dev_major, m.dev_minor, m.inode,
						  m.path, m.path_len, m.deleted };
	}
	return r < 0 ? r : (int)n;
}

static int basename_starts(const struct nf_maps_line *m, const char *name)
{
	size_t n = strlen(name), i = m->path_len;
	if (!m->path || m->pseudo)
		return 0;
	while (i > 0 && m->path[i - 1] != '/')
		i--;
	return m->path_len - i >= n && !memcmp(m->path + i, name, n);
}

int nf_maps_lib_range(const char *buf, size_t len, const char *name, uint64_t *lo, uint64_t *hi)
{
	struct nf_maps_iter it;
	struct nf_maps_line m;
	uint64_t last_end = 0;
	int found = 0, r;
	nf_maps_init(&it, buf, len);
	while ((r = nf_maps_next(&it, &m)) != 0) {
		if (r < 0)
			return r;
		if (basename_starts(&m, name)) {
			*lo = found && *lo < m.start ? *lo : m.start;
			*hi = found && *hi > m.end ? *hi : m.end;
			last_end = m.end;
			found = 1;
		} else if (found && !m.inode && !m.path && m.start == last_end && m.end > *hi) {
			*hi = m.end; /* the library's .bss, past its file */
		}
	}
	return found;
}
