/* Capture files: created 0600 whatever the umask allows more, truncated,
 * never opened through a symlink; "-" is stdout. Real files in a fresh
 * temporary directory. */
#include "t.h"
#include "out/capture_file.h"
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/nf_capture.XXXXXX", path[64], link[64], victim[64];
	if (!mkdtemp(dir)) {
		t_skip("capture file", "no temporary directory");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/cap.pcapng", dir);
	snprintf(link, sizeof(link), "%s/planted", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	umask(022);
	T_CASE("capture file: created 0600") {
		int fd = nf_capture_open(path);
		REQUIRE(fd > 2);
		struct stat st;
		CHECK_EQ(fstat(fd, &st), 0);
		CHECK_EQ(st.st_mode & 0777, 0600);
		CHECK_EQ(write(fd, "abc", 3), 3);
		close(fd);
	}
	T_CASE("capture file: an existing file is truncated") {
		int fd = nf_capture_open(path);
		REQUIRE(fd > 2);
		struct stat st;
		CHECK_EQ(fstat(fd, &st), 0);
		CHECK_EQ(st.st_size, 0);
		close(fd);
	}
	T_CASE("capture file: a planted symlink is refused and its target untouched") {
		FILE *f = fopen(victim, "w");
		REQUIRE(f != NULL);
		fputs("precious", f);
		fclose(f);
		REQUIRE(symlink(victim, link) == 0);
		CHECK_EQ(nf_capture_open(link), -ELOOP);
		struct stat st;
		CHECK_EQ(stat(victim, &st), 0);
		CHECK_EQ(st.st_size, 8);
	}
	T_CASE("capture file: - is stdout") {
		CHECK_EQ(nf_capture_open("-"), 1);
	}
	unlink(link);
	unlink(victim);
	unlink(path);
	rmdir(dir);
	return t_summary();
}
