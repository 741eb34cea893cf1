/*
 * batchbuf.c - a journal batch being built.
 */
#include <stdlib.h>

#include "batchbuf.h"

int
bb_init(batchbuf *b, size_t initial_cap)
{
	memset(b, 0, sizeof(*b));
	if (initial_cap < PGX_BATCH_HEADER + PGX_RECORD_MAX)
		initial_cap = PGX_BATCH_HEADER + PGX_RECORD_MAX;
	b->buf = malloc(initial_cap);
	if (b->buf == NULL)
		return -1;
	b->cap = initial_cap;
	bb_reset(b);
	return 0;
}

void
bb_free(batchbuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void
bb_reset(batchbuf *b)
{
	b->len = PGX_BATCH_HEADER;
	b->records = 0;
	b->commands = 0;
	b->first_seq = 0;
	b->last_seq = 0;
}

int
bb_append(batchbuf *b, const pgx_record *rec)
{
	size_t need = pgx_record_size(rec);

	if (need > PGX_RECORD_MAX)
		return -1;
	if (b->len + need > b->cap)
	{
		size_t cap = b->cap * 2;
		uint8_t *p;

		while (cap < b->len + need)
			cap *= 2;
		if ((p = realloc(b->buf, cap)) == NULL)
			return -1;
		b->buf = p;
		b->cap = cap;
	}
	b->len += pgx_encode_record(b->buf + b->len, rec);
	b->records++;
	if (rec->idx == 0)
	{
		if (b->commands++ == 0)
			b->first_seq = rec->seq;
		b->last_seq = rec->seq;
	}
	return 0;
}

void
bb_finish(batchbuf *b)
{
	pgx_encode_header(b->buf, b->records);
}
