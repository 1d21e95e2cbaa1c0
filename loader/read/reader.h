/* Event readers: BPF ring buffer (mmap + epoll, no syscall per event) or,
 * without ringbuf, one perf buffer per CPU. Same interface for both. */
#ifndef NF_READER_H
#define NF_READER_H
#include <stddef.h>
#include <stdint.h>

/* Called for each record; a non-zero return stops nf_reader_poll early and
 * is returned from it. data is valid only during the call. */
typedef int (*nf_event_fn)(void *ctx, const void *data, size_t len);

struct nf_reader;

/* map_fd is a BPF_MAP_TYPE_RINGBUF or BPF_MAP_TYPE_PERF_EVENT_ARRAY map
 * (map_type says which). NULL on error (nf_lasterr()). */
struct nf_reader *nf_reader_open(int map_fd, uint32_t map_type, nf_event_fn fn, void *ctx);
/* The same, but a perf buffer wakes the reader only once wake_bytes wait
 * on a CPU (at most half its buffer) instead of at every record, which
 * costs the kernel microseconds per record. Records below the mark are
 * read at the next poll, so poll with a timeout. Ring buffers ignore it:
 * their programs choose when to wake. */
struct nf_reader *nf_reader_open_batched(int map_fd, uint32_t map_type, nf_event_fn fn,
					 void *ctx, uint32_t wake_bytes);
/* Wait up to timeout_ms (-1 forever) and consume all that is ready.
 * Returns the number of records, a callback's non-zero value, or -errno
 * (-EINTR when a signal arrived). */
int nf_reader_poll(struct nf_reader *r, int timeout_ms);
/* Consume what is ready without waiting. */
int nf_reader_drain(struct nf_reader *r);
/* Records the kernel reported lost (perf buffer PERF_RECORD_LOST). Ring
 * buffer losses are counted by the programs themselves. */
uint64_t nf_reader_lost(const struct nf_reader *r);
int nf_reader_epoll_fd(const struct nf_reader *r);
void nf_reader_free(struct nf_reader *r);

#endif
