/* Ring and perf buffer readers over fake memory through a fake nf_sys;
 * also the possible-CPU list parser and the kernel name sanitiser. */
#include <sys/sysinfo.h>
#include "t.h"
#include "fake_sys.h"
#include "read/reader_int.h"
#include "kern/load.h"
#include "kern/kern_util.h"
#include "log.h"
#include "kern/sys.h"
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#define RING_DATA 4096u
#define NCPU 2
#define PERF_FD0 100

static size_t page;
static uint8_t *ring_cons, *ring_prod;        /* fake ring buffer mappings */
static uint8_t *perf_mem[NCPU];               /* fake perf mappings */
static size_t perf_len;
static int updates, upd_key[8], upd_val[8];   /* map updates seen */
static int enables, epoll_adds, munmaps, closes;
static uint32_t fake_max_entries;
static const char *possible = "0-1\n";
static size_t possible_off;

static long fake_bpf(int cmd, union bpf_attr *a, unsigned int size)
{
	(void)size;
	if (cmd == BPF_OBJ_GET_INFO_BY_FD) {
		struct bpf_map_info *info = (void *)(uintptr_t)a->info.info;
		info->max_entries = fake_max_entries;
		return 0;
	}
	if (cmd == BPF_MAP_UPDATE_ELEM && updates < 8) {
		upd_key[updates] = *(const int *)(uintptr_t)a->key;
		upd_val[updates++] = *(const int *)(uintptr_t)a->value;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static struct perf_event_attr last_attr;

static long fake_perf_open(struct perf_event_attr *attr, pid_t pid, int cpu, int g,
			   unsigned long flags)
{
	(void)pid, (void)g, (void)flags;
	last_attr = *attr;
	if (attr->type != PERF_TYPE_SOFTWARE || attr->config != PERF_COUNT_SW_BPF_OUTPUT ||
	    attr->sample_type != PERF_SAMPLE_RAW || attr->wakeup_events == 0) {
		errno = EINVAL;
		return -1;
	}
	return PERF_FD0 + cpu;
}

static void *fake_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)addr, (void)flags;
	if (fd >= PERF_FD0 && fd < PERF_FD0 + NCPU && len == perf_len && off == 0)
		return perf_mem[fd - PERF_FD0];
	if (fd == 7 && off == 0 && len == page && (prot & PROT_WRITE))
		return ring_cons;
	if (fd == 7 && off == (off_t)page && len == page + 2 * RING_DATA && !(prot & PROT_WRITE))
		return ring_prod;
	errno = EINVAL;
	return MAP_FAILED;
}

static int fake_munmap(void *a, size_t l) { (void)a, (void)l; munmaps++; return 0; }
static int fake_ioctl(int fd, unsigned long req, unsigned long arg)
{
	(void)fd, (void)arg;
	enables += req == PERF_EVENT_IOC_ENABLE;
	return 0;
}
static int fake_epoll_create(int flags) { (void)flags; return 50; }
static int fake_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	(void)ep, (void)fd, (void)ev;
	epoll_adds += op == EPOLL_CTL_ADD;
	return 0;
}
/* The perf CPUs that epoll reports ready (bit per CPU; the ring buffer's
 * map fd is reported as one event whatever it says); 0: a timeout. */
static unsigned ready_mask = ~0u;
static int fake_epoll_wait(int ep, struct epoll_event *evs, int max, int to)
{
	(void)ep, (void)to;
	int n = 0;
	for (int cpu = 0; cpu < NCPU && n < max; cpu++)
		if (ready_mask & (1u << cpu))
			evs[n++] = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)cpu };
	return n;
}
static int fake_close(int fd) { (void)fd; closes++; return 0; }
static int fake_open(const char *path, int flags, int mode)
{
	(void)flags, (void)mode;
	possible_off = 0;
	return strcmp(path, "/sys/devices/system/cpu/possible") ? (errno = ENOENT, -1) : 90;
}
static ssize_t fake_read(int fd, void *buf, size_t len)
{
	(void)fd;
	size_t n = strlen(possible + possible_off);
	n = n < len ? n : len;
	memcpy(buf, possible + possible_off, n);
	possible_off += n;
	return (ssize_t)n;
}

static struct nf_sys fake;

static void use_fake(void)
{
	t_fake_sys(&fake);
	fake.bpf = fake_bpf;
	fake.perf_event_open = fake_perf_open;
	fake.mmap = fake_mmap;
	fake.munmap = fake_munmap;
	fake.ioctl = fake_ioctl;
	fake.epoll_create1 = fake_epoll_create;
	fake.epoll_ctl = fake_epoll_ctl;
	fake.epoll_wait = fake_epoll_wait;
	fake.close = fake_close;
	fake.open = fake_open;
	fake.read = fake_read;
	t_use_sys(&fake);
	updates = enables = epoll_adds = munmaps = closes = 0;
}

/* What the callback saw. */
struct seen {
	int n;
	size_t len[16];
	uint8_t data[16][64];
	int stop_after;            /* return 1 after this many records (0: never) */
};

static int collect(void *ctx, const void *data, size_t len)
{
	struct seen *s = ctx;
	if (s->n < 16) {
		s->len[s->n] = len;
		memcpy(s->data[s->n], data, len < 64 ? len : 64);
	}
	s->n++;
	return s->stop_after && s->n == s->stop_after;
}

/* ---- ring buffer ------------------------------------------------------ */

static uint64_t *rb_cons(void) { return (uint64_t *)ring_cons; }
static uint64_t *rb_prod(void) { return (uint64_t *)ring_prod; }

/* Write one byte of the data area as the kernel's double mapping shows it. */
static void rb_put(uint64_t pos, uint8_t b)
{
	uint8_t *data = ring_prod + page;
	data[pos & (RING_DATA - 1)] = b;
	data[(pos & (RING_DATA - 1)) + RING_DATA] = b;
}

/* Append a record of len payload bytes (fill, fill+1, ...) at producer_pos. */
static void rb_record(uint32_t len, uint32_t flags, uint8_t fill)
{
	uint64_t pos = *rb_prod();
	uint32_t hdr = len | flags;
	for (int i = 0; i < 4; i++)
		rb_put(pos + i, (uint8_t)(hdr >> (8 * i)));
	for (uint32_t i = 0; i < len; i++)
		rb_put(pos + 8 + i, (uint8_t)(fill + i));
	*rb_prod() = pos + ((len + 8 + 7) & ~7u);
}

static int payload_ok(const uint8_t *p, size_t len, uint8_t fill)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(fill + i))
			return 0;
	return 1;
}

static struct nf_reader *ring_open(struct seen *s, uint64_t start)
{
	memset(ring_cons, 0, page);
	memset(ring_prod, 0, page + 2 * RING_DATA);
	*rb_cons() = *rb_prod() = start;
	memset(s, 0, sizeof(*s));
	fake_max_entries = RING_DATA;
	return nf_reader_open(7, BPF_MAP_TYPE_RINGBUF, collect, s);
}

static void test_ring(void)
{
	struct seen s;
	T_CASE("ring: records in order, discarded skipped, consumer advanced") {
		use_fake();
		struct nf_reader *r = ring_open(&s, 0);
		REQUIRE(r);
		CHECK_EQ(epoll_adds, 1);
		rb_record(16, 0, 0x10);
		rb_record(5, 1u << 30, 0x20); /* discarded */
		rb_record(13, 0, 0x30);
		CHECK_EQ(nf_reader_poll(r, 0), 2);
		CHECK_EQ(s.n, 2);
		CHECK_EQ(s.len[0], 16);
		CHECK(payload_ok(s.data[0], 16, 0x10));
		CHECK_EQ(s.len[1], 13);
		CHECK(payload_ok(s.data[1], 13, 0x30));
		CHECK_EQ(*rb_cons(), 24 + 16 + 24);
		CHECK_EQ(*rb_cons(), *rb_prod());
		CHECK_EQ(nf_reader_drain(r), 0);
		nf_reader_free(r);
		CHECK_EQ(munmaps, 2);
		CHECK_EQ(closes, 1); /* the epoll fd */
	}
	T_CASE("ring: busy record stops the reader until committed") {
		use_fake();
		struct nf_reader *r = ring_open(&s, 0);
		REQUIRE(r);
		rb_record(8, 0, 1);
		uint64_t busy_at = *rb_prod();
		rb_record(8, 1u << 31, 2);
		CHECK_EQ(nf_reader_drain(r), 1);
		CHECK_EQ(*rb_cons(), busy_at);
		rb_put(busy_at + 3, 0); /* commit: clear BUSY */
		CHECK_EQ(nf_reader_drain(r), 1);
		CHECK(payload_ok(s.data[1], 8, 2));
		CHECK_EQ(*rb_cons(), *rb_prod());
		nf_reader_free(r);
	}
	T_CASE("ring: record wrapping the data end arrives intact") {
		use_fake();
		struct nf_reader *r = ring_open(&s, 3 * RING_DATA - 16);
		REQUIRE(r);
		rb_record(40, 0, 0x40);
		rb_record(4, 0, 0x50);
		CHECK_EQ(nf_reader_drain(r), 2);
		CHECK_EQ(s.len[0], 40);
		CHECK(payload_ok(s.data[0], 40, 0x40));
		CHECK(payload_ok(s.data[1], 4, 0x50));
		CHECK_EQ(*rb_cons(), 3 * RING_DATA - 16 + 48 + 16);
		nf_reader_free(r);
	}
	T_CASE("ring: callback's non-zero return stops and is returned") {
		use_fake();
		struct nf_reader *r = ring_open(&s, 0);
		REQUIRE(r);
		s.stop_after = 1;
		rb_record(8, 0, 1);
		rb_record(8, 0, 2);
		CHECK_EQ(nf_reader_drain(r), 1);
		CHECK_EQ(s.n, 1);
		CHECK_EQ(*rb_cons(), 16); /* the first record is consumed */
		s.stop_after = 0;
		CHECK_EQ(nf_reader_drain(r), 1);
		CHECK(payload_ok(s.data[1], 8, 2));
		nf_reader_free(r);
	}
	T_CASE("ring: size not a power of two is refused") {
		use_fake();
		memset(&s, 0, sizeof(s));
		fake_max_entries = 3000;
		CHECK(nf_reader_open(7, BPF_MAP_TYPE_RINGBUF, collect, &s) == NULL);
		CHECK(strstr(nf_lasterr(), "power of two") != NULL);
		CHECK_EQ(closes, 1);
	}
}

/* ---- perf buffer ------------------------------------------------------ */

static struct perf_event_mmap_page *pmeta(int cpu) { return (void *)perf_mem[cpu]; }

static void perf_put(int cpu, const void *src, size_t len)
{
	size_t size = perf_len - page;
	uint8_t *ring = perf_mem[cpu] + page;
	uint64_t head = pmeta(cpu)->data_head;
	for (size_t i = 0; i < len; i++)
		ring[(head + i) % size] = ((const uint8_t *)src)[i];
	pmeta(cpu)->data_head = head + len;
}

static void perf_sample(int cpu, uint32_t len, uint8_t fill)
{
	uint8_t rec[128] = { 0 };
	uint32_t total = (uint32_t)((sizeof(struct perf_event_header) + 4 + len + 7) & ~7u);
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE, .size = (uint16_t)total };
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), &len, 4);
	for (uint32_t i = 0; i < len; i++)
		rec[sizeof(h) + 4 + i] = (uint8_t)(fill + i);
	perf_put(cpu, rec, total);
}

static void perf_lost(int cpu, uint64_t n)
{
	struct { struct perf_event_header h; uint64_t id, lost; } rec = {
		.h = { .type = PERF_RECORD_LOST, .size = sizeof(rec) }, .id = 1, .lost = n };
	perf_put(cpu, &rec, sizeof(rec));
}

static void test_perf(void)
{
	struct seen s;
	T_CASE("perf: one event per CPU, fds stored in the map, enabled, polled") {
		use_fake();
		memset(&s, 0, sizeof(s));
		fake_max_entries = NCPU;
		for (int i = 0; i < NCPU; i++)
			memset(perf_mem[i], 0, perf_len);
		struct nf_reader *r = nf_reader_open(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect, &s);
		REQUIRE(r);
		CHECK_EQ(updates, NCPU);
		CHECK_EQ(upd_key[0], 0);
		CHECK_EQ(upd_val[0], PERF_FD0);
		CHECK_EQ(upd_key[1], 1);
		CHECK_EQ(upd_val[1], PERF_FD0 + 1);
		CHECK_EQ(enables, NCPU);
		CHECK_EQ(epoll_adds, NCPU);
		CHECK_EQ(last_attr.watermark, 0);
		CHECK_EQ(last_attr.wakeup_events, 1);   /* a wakeup per record */

		perf_sample(1, 16, 0x10);
		perf_lost(1, 5);
		perf_sample(0, 3, 0x20);
		perf_lost(0, 2);
		CHECK_EQ(nf_reader_poll(r, 0), 2);
		CHECK_EQ(s.n, 2);
		CHECK_EQ(s.len[0], 3); /* CPU 0 first */
		CHECK(payload_ok(s.data[0], 3, 0x20));
		CHECK_EQ(s.len[1], 16);
		CHECK(payload_ok(s.data[1], 16, 0x10));
		CHECK_EQ(nf_reader_lost(r), 7);
		CHECK_EQ(pmeta(1)->data_tail, pmeta(1)->data_head);
		CHECK_EQ(pmeta(0)->data_tail, pmeta(0)->data_head);
		nf_reader_free(r);
		CHECK_EQ(munmaps, NCPU);
		CHECK_EQ(closes, NCPU + 2); /* perf fds, epoll, the sysfs file */
	}
	T_CASE("perf: a wakeup reads the CPUs epoll named; the others at a timeout or every 16th") {
		use_fake();
		memset(&s, 0, sizeof(s));
		fake_max_entries = NCPU;
		for (int i = 0; i < NCPU; i++)
			memset(perf_mem[i], 0, perf_len);
		struct nf_reader *r = nf_reader_open(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect, &s);
		REQUIRE(r);
		perf_sample(0, 8, 0x01);
		perf_sample(1, 9, 0x02);
		ready_mask = 2;                        /* CPU 1 only */
		CHECK_EQ(nf_reader_poll(r, 0), 1);
		CHECK_EQ(s.len[0], 9);
		CHECK(pmeta(0)->data_tail != pmeta(0)->data_head); /* CPU 0 waits */
		ready_mask = 0;                        /* a timeout: everything */
		CHECK_EQ(nf_reader_poll(r, 0), 1);
		CHECK_EQ(s.len[1], 8);
		ready_mask = 2;
		int got = 0;
		perf_sample(0, 5, 0x03);
		for (int i = 0; i < NF_FULL_DRAIN_EVERY; i++)
			got += nf_reader_poll(r, 0);
		CHECK_EQ(got, 1);                      /* CPU 0's, by the 16th wakeup */
		ready_mask = ~0u;
		nf_reader_free(r);
	}
	T_CASE("perf: batched wakeups at a byte mark, at most half the buffer") {
		use_fake();
		fake_max_entries = NCPU;
		struct nf_reader *r = nf_reader_open_batched(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect,
							     &s, 4096);
		REQUIRE(r);
		CHECK_EQ(last_attr.watermark, 1);
		CHECK_EQ(last_attr.wakeup_watermark, 4096);
		nf_reader_free(r);
		r = nf_reader_open_batched(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect, &s, 1u << 30);
		REQUIRE(r);
		CHECK_EQ(last_attr.wakeup_watermark, (perf_len - page) / 2);
		nf_reader_free(r);
	}
	T_CASE("perf: sample wrapping around the ring end arrives intact") {
		use_fake();
		memset(&s, 0, sizeof(s));
		fake_max_entries = NCPU;
		for (int i = 0; i < NCPU; i++)
			memset(perf_mem[i], 0, perf_len);
		uint64_t start = 3 * (perf_len - page) - 16; /* header fits, body wraps */
		pmeta(0)->data_head = pmeta(0)->data_tail = start;
		struct nf_reader *r = nf_reader_open(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect, &s);
		REQUIRE(r);
		perf_sample(0, 50, 0x33);
		perf_sample(0, 7, 0x44);
		CHECK_EQ(nf_reader_drain(r), 2);
		CHECK_EQ(s.len[0], 50);
		CHECK(payload_ok(s.data[0], 50, 0x33));
		CHECK_EQ(s.len[1], 7);
		CHECK(payload_ok(s.data[1], 7, 0x44));
		CHECK_EQ(pmeta(0)->data_tail, start + 64 + 24);
		nf_reader_free(r);
	}
	T_CASE("perf: only min(possible CPUs, map size) events") {
		use_fake();
		memset(&s, 0, sizeof(s));
		fake_max_entries = 1;
		struct nf_reader *r = nf_reader_open(8, BPF_MAP_TYPE_PERF_EVENT_ARRAY, collect, &s);
		REQUIRE(r);
		CHECK_EQ(updates, 1);
		nf_reader_free(r);
	}
}

static void test_parsers(void)
{
	T_CASE("possible CPUs: list parser") {
		CHECK_EQ(nf_parse_cpu_list("0\n"), 1);
		CHECK_EQ(nf_parse_cpu_list("0-3\n"), 4);
		CHECK_EQ(nf_parse_cpu_list("0,2-5"), 6);
		CHECK_EQ(nf_parse_cpu_list("0-1,7\n"), 8);
		CHECK_EQ(nf_parse_cpu_list(""), -EINVAL);
		CHECK_EQ(nf_parse_cpu_list("x"), -EINVAL);
		CHECK_EQ(nf_parse_cpu_list("3-1"), -EINVAL);
		CHECK_EQ(nf_parse_cpu_list("0-"), -EINVAL);
	}
	T_CASE("meminfo: MemTotal in bytes; this machine's against sysinfo") {
		static const char mi[] = "MemTotal:       24568320 kB\nMemFree:  1 kB\n";
		CHECK_EQ(nf_parse_meminfo_total(mi, sizeof(mi) - 1), 24568320ull << 10);
		static const char second[] = "Foo: 3 kB\nMemTotal: 128 kB\n";
		CHECK_EQ(nf_parse_meminfo_total(second, sizeof(second) - 1), 128 << 10);
		static const char inside[] = "XMemTotal: 128 kB\n";
		CHECK_EQ(nf_parse_meminfo_total(inside, sizeof(inside) - 1), 0);
		CHECK_EQ(nf_parse_meminfo_total("MemTotal: kB\n", 13), 0);
		CHECK_EQ(nf_parse_meminfo_total("MemTotal: 12", 12), 0); /* cut before its unit */
		CHECK_EQ(nf_parse_meminfo_total("MemTotal: 12 MB\n", 16), 0);
		CHECK_EQ(nf_parse_meminfo_total("", 0), 0);
		struct sysinfo si;
		t_real_sys();
		REQUIRE(sysinfo(&si) == 0);
		CHECK_EQ(nf_mem_total(), (uint64_t)si.totalram * si.mem_unit);
	}
	T_CASE("possible CPUs: read through nf_sys") {
		use_fake();
		possible = "0,2-5\n";
		CHECK_EQ(nf_possible_cpus(), 6);
		possible = "0-1\n";
		CHECK_EQ(closes, 1);
	}
	T_CASE("kernel object names: sanitised and cut at 15 bytes") {
		char n[BPF_OBJ_NAME_LEN];
		nf_obj_name(n, ".rodata");
		CHECK_STR(n, ".rodata");
		nf_obj_name(n, "a-b/c d");
		CHECK_STR(n, "a_b_c_d");
		nf_obj_name(n, "a_very_long_map_name_indeed");
		CHECK_STR(n, "a_very_long_map");
		nf_obj_name(n, "");
		CHECK_STR(n, "");
	}
}

int main(void)
{
	page = nf_page_size();
	perf_len = (1 + NF_PERF_PAGES) * page;
	ring_cons = calloc(1, page);
	ring_prod = calloc(1, page + 2 * RING_DATA);
	for (int i = 0; i < NCPU; i++)
		perf_mem[i] = calloc(1, perf_len);
	test_ring();
	test_perf();
	test_parsers();
	t_real_sys();
	free(ring_cons);
	free(ring_prod);
	for (int i = 0; i < NCPU; i++)
		free(perf_mem[i]);
	return t_summary();
}
