/* Internal layout of struct nf_reader, shared by reader.c, ringbuf.c and
 * perfbuf.c. */
#ifndef NF_READER_INT_H
#define NF_READER_INT_H
#include "reader.h"

struct nf_perf_cpu {
	int fd;                    /* perf event, -1 if the CPU is offline */
	void *base;                /* 1 + 2^n pages */
	size_t map_len;
};

struct nf_reader {
	nf_event_fn fn;
	void *ctx;
	int epfd;
	uint32_t map_type;
	uint64_t lost;
	int stop;                  /* a callback's non-zero return */
	size_t page;
	/* ring buffer */
	void *cons;                /* consumer page, RW */
	void *prod;                /* producer page + 2 x data, RO */
	size_t data_len;           /* power of two */
	/* perf buffer */
	uint32_t wake_bytes;       /* 0: wake at every record */
	struct nf_perf_cpu *cpus;
	int ncpus;
	uint8_t *scratch;          /* copy of a record that wraps the ring end */
	size_t scratch_len;
};

/* The consumers return the number of records handed to r->fn; they stop
 * early, leaving r->stop set, when the callback returns non-zero. */
int nf_ringbuf_open(struct nf_reader *r, int map_fd);
int nf_ringbuf_consume(struct nf_reader *r);
void nf_ringbuf_close(struct nf_reader *r);

int nf_perfbuf_open(struct nf_reader *r, int map_fd);
/* Consume the ring of one CPU. */
int nf_perfbuf_consume(struct nf_reader *r, int cpu);
void nf_perfbuf_close(struct nf_reader *r);

/* Pages per CPU for the perf buffer data area (power of two). */
#define NF_PERF_PAGES 64

#endif
