/*
 * snapsave.h - saves matchd's snapshots in PostgreSQL, off the event loop.
 *
 * The matching thread serializes its state right after an accepted
 * market_close (so the state is exactly the one after that seq) and, once
 * the batch holding the close has committed, hands the bytes here: the seq is
 * committed, so exchange.save_snapshot accepts it.  This thread saves them on
 * its own connection; a failure (PostgreSQL away, a stale epoch, ...) is
 * logged and trading goes on - the next close saves a newer state.  A blob
 * handed over while the previous one still waits replaces it: only the
 * latest state matters to recovery.
 */
#ifndef MJ_SNAPSAVE_H
#define MJ_SNAPSAVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct snapsaver snapsaver;

typedef struct snapsave_stats
{
	uint64_t saved;
	uint64_t failed;
	uint64_t replaced; /* handed over but superseded before their turn */
} snapsave_stats;

/* NULL when the thread cannot start. */
snapsaver *snapsaver_start(const char *conninfo, int stream, int64_t epoch);
/* Takes ownership of blob (malloc'ed): the state after committed seq. */
void snapsaver_submit(snapsaver *s, int64_t seq, uint8_t *blob, size_t len);
/* Saves what waits, then stops the thread. */
void snapsaver_stop(snapsaver *s, snapsave_stats *stats);

#endif
