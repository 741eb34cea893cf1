/*
 * recovery.h - matchd's start: take the stream over, load the latest state
 * snapshot (if any), replay the journal after it through the pipeline and
 * verify it.
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
	int64_t last_seq;
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
int recovery_run(PGconn *conn, const char *stream_name, int32_t today,
                 const pl_config *cfg, int from_start, pipeline **pl, recovery_info *info,
                 char *message, size_t size);

#endif
