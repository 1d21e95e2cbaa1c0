/* NFZ1 (loader/unpack.h): nf_unpack over the input as a packed blob, into
 * a buffer of its declared length (capped: a larger one must give
 * -ENOSPC) and, after a success, one byte short; then the input as data
 * through the packer (tools/pack.c, included) and back, which must give it
 * whole. Seeds: the packed objects of the build. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "unpack.h"
#define NFZ_NO_MAIN
#include "../../tools/pack.c"

#define FZ_OUT_CAP (256u << 10)
#define FZ_PACK_MAX 512

static void decode(const uint8_t *data, size_t size)
{
	size_t n, len = 0;
	if (nf_unpack_size(data, size, &n))
		return;
	size_t cap = n < FZ_OUT_CAP ? n : FZ_OUT_CAP;
	uint8_t *out = malloc(cap ? cap : 1);
	if (!out)
		return;
	int err = nf_unpack(data, size, out, cap, &len);
	if (err != 0 && err != -EINVAL && err != -ENOSPC)
		abort();
	if ((n > cap) != (err == -ENOSPC))
		abort();
	if (!err && (len != n || (n && nf_unpack(data, size, out, n - 1, &len) != -ENOSPC)))
		abort();
	free(out);
}

static void round_trip(const uint8_t *data, size_t size)
{
	uint8_t *packed, *back;
	size_t plen, n = 0;
	if (size > FZ_PACK_MAX || nfz_pack(data, size, &packed, &plen))
		return;
	back = malloc(size ? size : 1);
	if (!back || nf_unpack(packed, plen, back, size, &n) || n != size || memcmp(back, data, size))
		abort();
	free(back);
	free(packed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	decode(data, size);
	round_trip(data, size);
	return 0;
}
