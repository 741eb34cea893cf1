/*
 * recovery.h - matchd's start: take the stream over (a leader; or only locate
 * it: a standby), load the latest state snapshot (if any), replay the journal
 * after it through the pipeline and verify it.  The take-over is a separate
 * step (recovery_take_over, or the lease: lease.h), so that a standby can
 * recover without disturbing the leader and keep replaying (recovery_replay)
 * as the journal grows.
 *
 * Replay feeds each journaled command record to pl_apply and compares the
 * records it produces with the journal's, byte for byte.  Any difference
 * means the code or the journal changed under the daemon; it stops with the
 * first differing seq rather than serve from a book it cannot vouch for.
 */
#ifndef MJ_RECOVERY_H
#define MJ_RECOVERY_H

#include <stdint.h>

#include <libpq-fe.h>

#include "pipeline.h"

typedef struct recovery_info
{
	int stream;
	int64_t epoch;
	int64_t target;   /* the stream's last seq when located or taken over */
	int64_t last_seq; /* replayed up to */
	int64_t replayed_commands;
	int64_t replayed_records;
	int64_t from_seq;     /* replay started after this seq */
	int64_t snapshot_seq; /* the snapshot loaded (0: none, full replay) */
	size_t snapshot_bytes;
	double snapshot_load_ms;    /* fetch, check and load */
	int64_t snapshots_verified; /* --replay-from-start: snapshots compared */
	int32_t journal_day;        /* the stream's last trading day, or -1 */
	int32_t trading_day;        /* the day new commands get */
	uint32_t symbols;           /* loaded before replay */
	uint32_t accounts;
	uint64_t state_hash;
} recovery_info;

/*
 * Leader: exchange.take_over_stream (epoch + 1, the fencing token): sets
 * stream, epoch and target.  0, or -1 with message set.
 */
int recovery_take_over(PGconn *conn, const char *stream_name, recovery_info *info,
                       char *message, size_t size);
/*
 * Standby: the stream's id, epoch and last seq without taking it over; 1 when
 * the stream does not exist yet, 0, or -1 with message set.
 */
int recovery_locate(PGconn *conn, const char *stream_name, recovery_info *info,
                    char *message, size_t size);

/*
 * Loads the latest snapshot at or before info->target and replays the
 * journal up to info->target (info->stream and target set by one of the
 * above), then sets the sequencer's position (recovery_position).
 * 0, or -1 with message set (logged by the caller); RECOVERY_DIVERGED when
 * replay did not reproduce the journal (or, with from_start, a saved
 * snapshot); RECOVERY_BAD_SNAPSHOT when the latest snapshot does not check
 * or load.  *pl (NULL on entry) is set to the pipeline recovered: loaded
 * from the snapshot, or created (cfg) for a full replay.
 * from_start ignores snapshots for the start and replays the whole stream,
 * comparing its state with each saved snapshot as it passes its seq.
 */
#define RECOVERY_DIVERGED     (-2)
#define RECOVERY_BAD_SNAPSHOT (-3)
int recovery_run(PGconn *conn, int32_t today, const pl_config *cfg, int from_start,
                 pipeline **pl, recovery_info *info, char *message, size_t size);

/*
 * Replays what the journal holds after pl's last seq, up to target (INT64_MAX:
 * all there is), verifying it byte for byte; commands and records are added
 * to.  Stops early, returning 0, when the journal has nothing more.  0, -1
 * (message set) or RECOVERY_DIVERGED.
 */
int recovery_replay(PGconn *conn, int stream, pipeline *pl, int64_t target,
                    batchbuf *scratch, int64_t *commands, int64_t *records, char *message,
                    size_t size);

/*
 * After replay: the sequencer continues from the stream's last seq, time and
 * trading day (a standby calls it when it becomes the leader).  Sets
 * info's last_seq, journal_day, trading_day, symbols, accounts, state_hash.
 */
int recovery_position(PGconn *conn, int32_t today, pipeline *pl, recovery_info *info,
                      char *message, size_t size);

#endif
