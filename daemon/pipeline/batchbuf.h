/*
 * batchbuf.h - a journal batch being built: header, records, seq range.
 *
 * The pipeline appends each command's records here; the journal writer sends
 * the finished buffer to exchange.append_batch() as one bytea.  The buffer
 * grows by doubling and is reused batch after batch, so after warm-up
 * appending never allocates.
 */
#ifndef MJ_BATCHBUF_H
#define MJ_BATCHBUF_H

#include <stddef.h>
#include <stdint.h>

#include "exchange_wire.h"

typedef struct batchbuf
{
	uint8_t *buf;
	size_t len; /* bytes used, header included */
	size_t cap;
	uint32_t records;
	uint32_t commands;
	int64_t first_seq; /* of the first command; 0 when empty */
	int64_t last_seq;
} batchbuf;

/* 0, or -1 when out of memory. */
int bb_init(batchbuf *b, size_t initial_cap);
void bb_free(batchbuf *b);
/* Empties the buffer (keeps its memory). */
void bb_reset(batchbuf *b);
/* Appends one record (a command at idx 0 starts a new seq); 0, or -1 when
 * out of memory or the record does not encode. */
int bb_append(batchbuf *b, const pgx_record *rec);
/* Writes the header for the records so far; the batch is buf[0..len). */
void bb_finish(batchbuf *b);

#endif
