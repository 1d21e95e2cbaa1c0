/* Buffered event output: writes happen only in large chunks, partial
 * writes and EINTR are resumed, an error sticks and stops output; and the
 * monotonic -> realtime conversion of netrace timestamps. */
#include <errno.h>
#include <time.h>
#include "t.h"
#include "fake_sys.h"
#include "out/clock.h"
#include "out/outbuf.h"
#include "kern/sys.h"

static char sink[1 << 16];
static size_t sink_len;
static int writes, max_chunk, eintr_once, fail_with;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	(void)fd;
	writes++;
	if (eintr_once) {
		eintr_once = 0;
		errno = EINTR;
		return -1;
	}
	if (fail_with) {
		errno = fail_with;
		return -1;
	}
	if (max_chunk && len > (size_t)max_chunk)
		len = (size_t)max_chunk;
	memcpy(sink + sink_len, buf, len);
	sink_len += len;
	return (ssize_t)len;
}

static void reset(void)
{
	sink_len = 0;
	writes = max_chunk = eintr_once = fail_with = 0;
}

int main(void)
{
	struct nf_sys fake;
	t_fake_sys(&fake);
	fake.write = fake_write;
	t_use_sys(&fake);
	struct outbuf o;

	T_CASE("small records are batched until flush_at") {
		reset();
		REQUIRE(outbuf_init(&o, 1, 1024, 128) == 0);
		for (int i = 0; i < 100; i++)
			CHECK_EQ(outbuf_write(&o, "0123456789", 10), 0);
		CHECK_EQ(writes, 0);
		CHECK_EQ(outbuf_write(&o, "0123456789abcdefghijklmnopqrstuvwxyz", 36), 0);
		CHECK_EQ(writes, 1); /* 1036 >= 1024: one write */
		CHECK_EQ(sink_len, 1036);
		CHECK_EQ(outbuf_write(&o, "tail", 4), 0);
		CHECK_EQ(outbuf_close(&o), 0);
		CHECK_EQ(sink_len, 1040);
		CHECK(!memcmp(sink + 1036, "tail", 4));
		CHECK_EQ(o.bytes, 1040);
	}

	T_CASE("reserve and commit build records in place") {
		reset();
		REQUIRE(outbuf_init(&o, 1, 64, 32) == 0);
		char *p = outbuf_reserve(&o, 32);
		REQUIRE(p != NULL);
		memcpy(p, "abc", 3);
		outbuf_commit(&o, 3);
		CHECK(outbuf_reserve(&o, 97) == NULL); /* larger than the buffer */
		CHECK_EQ(outbuf_flush(&o), 0);
		CHECK_EQ(sink_len, 3);
		CHECK(!memcmp(sink, "abc", 3));
		outbuf_close(&o);
	}

	T_CASE("partial writes and EINTR are resumed") {
		reset();
		max_chunk = 7;
		eintr_once = 1;
		REQUIRE(outbuf_init(&o, 1, 4096, 64) == 0);
		char rec[50];
		for (int i = 0; i < 50; i++)
			rec[i] = (char)('A' + i % 26);
		CHECK_EQ(outbuf_write(&o, rec, 50), 0);
		CHECK_EQ(outbuf_flush(&o), 0);
		CHECK_EQ(sink_len, 50);
		CHECK(!memcmp(sink, rec, 50));
		CHECK_EQ(writes, 1 + 8); /* EINTR, then 7 * 7 + 1 */
		outbuf_close(&o);
	}

	T_CASE("a write error sticks") {
		reset();
		REQUIRE(outbuf_init(&o, 1, 16, 16) == 0);
		fail_with = EPIPE;
		CHECK_EQ(outbuf_write(&o, "0123456789abcdef", 16), -EPIPE);
		int before = writes;
		CHECK_EQ(outbuf_write(&o, "more", 4), -EPIPE);
		CHECK_EQ(outbuf_flush(&o), -EPIPE);
		CHECK_EQ(writes, before); /* nothing more is attempted */
		CHECK_EQ(outbuf_close(&o), -EPIPE);
	}
	T_CASE("a signal with the stop flag set ends a blocked write") {
		reset();
		volatile sig_atomic_t stop = 0;
		REQUIRE(outbuf_init(&o, 1, 1024, 64) == 0);
		o.stop = &stop;
		eintr_once = 1;
		CHECK_EQ(outbuf_write(&o, "abc", 3), 0);
		CHECK_EQ(outbuf_flush(&o), 0); /* EINTR without stop: retried */
		CHECK_EQ(sink_len, 3);
		stop = 2;
		eintr_once = 1;
		CHECK_EQ(outbuf_write(&o, "def", 3), 0);
		CHECK_EQ(outbuf_flush(&o), -EINTR);
		CHECK_EQ(sink_len, 3);
		outbuf_close(&o);
		/* a short write (interrupted after some bytes) with stop set */
		reset();
		REQUIRE(outbuf_init(&o, 1, 1024, 64) == 0);
		o.stop = &stop;
		max_chunk = 2;
		CHECK_EQ(outbuf_write(&o, "abcdef", 6), 0);
		CHECK_EQ(outbuf_flush(&o), -EINTR);
		CHECK_EQ(writes, 1);
		outbuf_close(&o);
	}
	t_real_sys();

	T_CASE("monotonic to realtime") {
		struct nr_clock c = { .offset_ns = 1795838706000000000LL - 5000000000LL };
		CHECK_EQ(nr_clock_to_real(&c, 5000000000ULL + 123456789ULL), 1795838706123456789ULL);
		/* a record's timestamp is any value: no signed overflow (UBSan) */
		CHECK(nr_clock_to_real(&c, (uint64_t)INT64_MAX) ==
		      (uint64_t)INT64_MAX + (uint64_t)c.offset_ns);
		struct timespec rt;
		nr_clock_sync(&c);
		uint64_t mono = nr_mono_ns();
		clock_gettime(CLOCK_REALTIME, &rt);
		int64_t now = (int64_t)rt.tv_sec * 1000000000LL + rt.tv_nsec;
		int64_t diff = (int64_t)nr_clock_to_real(&c, mono) - now;
		CHECK(diff < 50000000 && diff > -50000000); /* within 50 ms */
	}
	return t_summary();
}
