/* /proc/PID/maps text: every line through nf_maps_next (past errors, as
 * the discovery does not), each line alone through nf_maps_parse_line,
 * and nf_maps_exec_files into a small and a large table. */
#include <string.h>
#include "fuzz.h"
#include "tlstrace/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	const char *buf = (const char *)data;
	struct nf_maps_iter it;
	struct nf_maps_line m;
	nf_maps_init(&it, buf, size);
	for (int n = 0; n < 100000 && nf_maps_next(&it, &m) == 1; n++)
		;
	for (size_t off = 0; off < size;) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (buf + off)) : size - off;
		nf_maps_parse_line(buf + off, len, &m);
		off += len + 1;
	}
	struct nf_maps_file files[64];
	nf_maps_exec_files(buf, size, files, 1);
	nf_maps_exec_files(buf, size, files, 64);
	return 0;
}
