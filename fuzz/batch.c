/*
 * batch.c - fuzzes the journal batches append_batch() is given: the
 * extension's batch reader (extension/batch_decode.h, called by
 * extension/batch.c's batch_reader_init/next for batch_summary, batch_rows,
 * journal_insert, publish and candle_projection), which decodes records
 * with include/exchange_wire.h and checks the sequencing rules.
 *
 * Input: a batch (bytea contents), seeds from the tests' sessions.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - a failing call leaves the reader as it was (off, n, prev), so the
 *     PX005 detail names where it stopped, and the reader then stays at
 *     that error;
 *   - every record accepted satisfies the rules the reader promises (first
 *     at idx 0, consecutive seqs, events at idx 1, 2, ... with their
 *     command's ts and day, days non-decreasing, ts and day in range);
 *   - decode -> encode is the identity: the accepted records, encoded again
 *     (pgx_encode_header / pgx_encode_record, as encode_batch does), give
 *     back the input byte for byte; a batch is one encoding of its records.
 */
#include <stdlib.h>
#include <string.h>

#include "batch_decode.h"
#include "fuzzutil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pgx_batch_reader r, before;
	pgx_record rec, prev;
	const char *why;
	bool known;
	int rc;
	uint8_t *out;
	size_t off = PGX_BATCH_HEADER;

	if (pgx_batch_reader_init(&r, data, size) != NULL)
		return 0;
	if ((out = malloc(size)) == NULL)
		abort();
	pgx_encode_header(out, r.count);
	for (;;)
	{
		before = r;
		rc = pgx_batch_reader_next(&r, &rec, &why, &known);
		if (rc <= 0)
			break;
		FZ_CHECK(r.n == before.n + 1 && r.off > before.off && r.off <= size,
		         "the reader moved wrongly");
		if (before.n == 0)
			FZ_CHECK(rec.idx == 0, "a batch starting at idx %d", rec.idx);
		else if (rec.idx == 0)
			FZ_CHECK(rec.seq == prev.seq + 1 && rec.trading_day >= prev.trading_day,
			         "commands out of order");
		else
			FZ_CHECK(rec.seq == prev.seq && rec.idx == prev.idx + 1 &&
			             rec.ts == prev.ts && rec.trading_day == prev.trading_day,
			         "an event out of order");
		FZ_CHECK(pgx_valid_ts(rec.ts) && pgx_valid_date(rec.trading_day), "out of range");
		FZ_CHECK(pgx_record_size(&rec) == r.off - before.off, "record size disagrees");
		FZ_CHECK(pgx_encode_record(out + off, &rec) == r.off - before.off,
		         "record re-encodes to another length");
		off += r.off - before.off;
		prev = rec;
	}
	if (rc < 0)
	{
		FZ_CHECK(why != NULL && before.off == r.off && before.n == r.n &&
		             memcmp(&before.prev, &r.prev, sizeof(r.prev)) == 0,
		         "a failing call moved the reader");
		/* and it fails the same way again */
		FZ_CHECK(pgx_batch_reader_next(&r, &rec, &why, &known) < 0,
		         "the reader went on after an error");
	}
	else
	{
		FZ_CHECK(r.n == r.count && r.off == size && off == size,
		         "the batch ended early: %u of %u records, %zu of %zu bytes", r.n,
		         r.count, r.off, size);
		FZ_CHECK(memcmp(out, data, size) == 0, "the batch re-encodes to other bytes");
	}
	free(out);
	return 0;
}
