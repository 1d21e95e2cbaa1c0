/* Files that hold captured data: other people's traffic and plaintext. */
#ifndef NF_CAPTURE_FILE_H
#define NF_CAPTURE_FILE_H

/* Open path for writing a capture: "-" is stdout (1); otherwise created
 * 0600 (truncated if it exists), never through a symlink (O_NOFOLLOW: a
 * link another user planted is refused with ELOOP). The fd, or -errno. */
int nf_capture_open(const char *path);

#endif
