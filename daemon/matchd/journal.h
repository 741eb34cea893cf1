/*
 * journal.h - matchd's journal writer: a thread that appends finished batches
 * through exchange.append_batch(), one at a time (group commit: while one
 * batch commits, the next one fills).
 *
 * The writer owns its libpq connection.  When the connection breaks (the
 * server restarted, failed over, or killed the backend) it reconnects with
 * back-off and asks the sequencer where the stream is: a batch that committed
 * before the break is not sent again, one that did not is; a new epoch means
 * another matchd took the stream over, and this one is fenced off.  A fenced
 * writer or any error it cannot explain is fatal: the daemon must exit
 * without acknowledging anything more.
 */
#ifndef MJ_JOURNAL_H
#define MJ_JOURNAL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "batchbuf.h"

enum journal_result
{
	JOURNAL_BUSY = 0,      /* a batch is being appended */
	JOURNAL_COMMITTED = 1, /* the last batch committed */
	JOURNAL_FENCED = 2,    /* another writer holds the stream (PX001): exit */
	JOURNAL_FAILED = 3     /* an error the writer cannot recover from: exit */
};

typedef struct journal journal;

/*
 * Starts the writer thread with conn (taken over; it must not be used by the
 * caller any more).  conninfo is used to reconnect.  done_fd is written (8
 * bytes, an eventfd increment) whenever a batch finishes.  NULL on failure.
 */
journal *journal_start(PGconn *conn, const char *conninfo, int stream, int64_t epoch,
                       int done_fd);
/*
 * Hands a finished batch (bb_finish done) to the writer, with the wallet
 * projection of its commands (PWL1, NULL for none), which append_batch writes
 * in the same transaction.  The writer must be idle; both buffers must stay
 * untouched until the batch is done.
 */
void journal_submit(journal *j, const batchbuf *bb, const uint8_t *wallets,
                    size_t wallets_len);
/* JOURNAL_BUSY while a batch is in flight, else the outcome of the last one
 * (after which the writer is idle again); message explains a failure. */
int journal_poll(journal *j, char *message, size_t size);
int journal_idle(journal *j);
/* CLOCK_MONOTONIC microseconds at which the last batch finished. */
uint64_t journal_done_us(journal *j);
/* Stops the thread (it must be idle) and closes the connection. */
void journal_stop(journal *j);

/* Statistics since start. */
typedef struct journal_stats
{
	uint64_t batches;
	uint64_t records;
	uint64_t reconnects;
	uint64_t append_us_total; /* append_batch round trips: execute and commit */
	uint64_t wake_us_total;   /* from journal_submit to the writer's start */
} journal_stats;
void journal_get_stats(journal *j, journal_stats *out);

#endif
