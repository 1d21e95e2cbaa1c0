#include "capture_file.h"
#include "kern/sys.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>

int nf_capture_open(const char *path)
{
	if (!strcmp(path, "-"))
		return 1;
	int fd = nf_sys->open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}
