/* Finding the TLS libraries and executables to probe: the files given on
 * the command line, the libraries /etc/ld.so.cache names, and every file a
 * process runs code from (/proc/PID/maps, opened through /proc/PID/root so
 * that a container's own copy is probed). One set of probes per file
 * (device and inode), attached for every process. */
#ifndef NF_TT_DISCOVER_H
#define NF_TT_DISCOVER_H
#include "tt_kern.h"

struct tt_disc;

struct tt_disc *tt_disc_new(struct tt_kern *k);
void tt_disc_free(struct tt_disc *d);
/* A file named on the command line by option opt ("--lib"): an error
 * (logged, naming opt, -errno) when it is
 * missing, not ELF, defines no probed function, or cannot be probed. */
int tt_disc_add_path(struct tt_disc *d, const char *opt, const char *path);
/* The TLS libraries (TT_LIB_BIT mask) the file at path holds; 0 when it
 * cannot be read or holds none (tt_disc_add_path says why). */
unsigned tt_disc_path_libs(const char *path);
/* Later scans only tell the kernel side where NSS lives in each process
 * (the files named on the command line are all that is probed). */
void tt_disc_set_named_only(struct tt_disc *d);
/* The TLS libraries of /etc/ld.so.cache (absent: said at info). */
void tt_disc_scan_cache(struct tt_disc *d);
/* The files process pid maps executable; every process for pid 0. Also
 * where it maps NSS's libssl3, when NSPR is probed. */
void tt_disc_scan_pid(struct tt_disc *d, int pid);
void tt_disc_scan_all(struct tt_disc *d);
/* Files examined, and probed. */
size_t tt_disc_examined(const struct tt_disc *d);
size_t tt_disc_probed(const struct tt_disc *d);

#endif
