/* /proc/PID/net/tcp and tcp6 text: nf_pnet_find for both families, by the
 * inode of each line that parses and by one no line has. */
#include <string.h>
#include "fuzz.h"
#include "tlstrace/proc_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	const char *buf = (const char *)data;
	struct nf_pnet_sock s, t;
	for (int family = 4; family <= 6; family += 2) {
		int n = 0;
		for (size_t off = 0; off < size && n < 256; n++) {
			const char *nl = memchr(buf + off, '\n', size - off);
			size_t len = nl ? (size_t)(nl - (buf + off)) : size - off;
			if (nf_pnet_parse_line(buf + off, len, family, &s) == 0 && s.inode)
				nf_pnet_find(buf, size, family, s.inode, &t);
			off += len + 1;
		}
		nf_pnet_find(buf, size, family, UINT64_MAX, &t);
	}
	return 0;
}
