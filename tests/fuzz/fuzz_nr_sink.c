/* netrace's userspace side of the packet path. The packets themselves are
 * decoded in the kernel (bpf/netrace.bpf.c); userspace decodes the records
 * the kernel sends (struct nr_event and the captured bytes after it) and
 * formats them: nr_sink_event in text, JSON and pcapng (fmt_text.c,
 * fmt_json.c, pcapng.c) over a fake nf_sys write. The first byte picks the
 * format, the second a -c limit; each operation (fuzz.h framing) is one
 * record, at whatever alignment it lands. */
#include "fuzz.h"
#include "fake_sys.h"
#include "netrace/nr_sink.h"

static size_t written;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	(void)fd, (void)buf;
	written += len;
	return (ssize_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nf_sys fake;
	static const struct nr_iface_ent ifs[3] = {
		{ 1, "lo", 0 }, { 4, "veth\"0\\", 0 }, { 7, "wg\x01", 1 },
	};
	fz_quiet();
	if (!fake.write) {
		t_fake_sys(&fake);
		fake.write = fake_write;
		t_use_sys(&fake);
	}
	struct fz in = { data, size };
	struct fz_op op;
	enum nr_format fmt = (enum nr_format)(fz_u8(&in) % 3);
	uint64_t limit = fz_u8(&in);
	struct nr_sink s;
	if (nr_sink_open(&s, fmt, 1, ifs, 3, 65535, limit) != 0) {
		nr_sink_close(&s);
		return 0;
	}
	while (fz_next(&in, &op) && nr_sink_event(&s, op.data, op.len) == 0)
		;
	nr_sink_close(&s);
	return 0;
}
