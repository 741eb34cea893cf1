/*
 * recovery.c - take over (or locate), replay the stream and verify it.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "recovery.h"
#include "sha256.h"
#include "snapshot.h"

#define REPLAY_CHUNK 20000 /* commands per read_batch call */

/* Runs a query with text parameters; NULL (message set) unless it returned rows. */
static PGresult *
query(PGconn *conn, const char *sql, int n, const char *const *params, int binary,
      char *message, size_t size)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, binary);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(message, size, "%s: %s", sql, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

static int32_t
day_of(const char *iso_date)
{
	/* days since 2000-01-01 of YYYY-MM-DD (proleptic Gregorian) */
	int y, m, d;

	if (sscanf(iso_date, "%d-%d-%d", &y, &m, &d) != 3)
		return -1;
	y -= m <= 2;
	{
		int era = (y >= 0 ? y : y - 399) / 400;
		int yoe = y - era * 400;
		int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		return era * 146097 + doe - 719468 - 10957; /* 1970 -> 2000 */
	}
}

/* milliseconds of CLOCK_MONOTONIC, for the log */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t
int8_of(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (uint8_t)p[i];
	return (int64_t)v;
}

/*
 * The latest snapshot at or before target, checked (state_sha256, then the
 * blob's own checksum and every value) and loaded into a new pipeline that
 * replaces *pl.  0 with info->snapshot_seq = 0 when there is none.
 */
static int
load_latest(PGconn *conn, const char *stream, int64_t target, const pl_config *cfg,
            pipeline **pl, recovery_info *info, char *message, size_t size)
{
	char at_most[24], why[512];
	const char *params[2] = {stream, at_most};
	uint8_t digest[SHA256_LEN];
	double t0 = now_ms();
	const uint8_t *state;
	pipeline *loaded;
	PGresult *res;
	int64_t seq;
	size_t len;

	snprintf(at_most, sizeof(at_most), "%" PRId64, target);
	res = query(conn,
	            "SELECT seq, state, state_sha256, epoch, trading_day::text "
	            "FROM exchange.latest_snapshot($1::int, $2::bigint)",
	            2, params, 1, message, size);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		return 0;
	}
	seq = int8_of(PQgetvalue(res, 0, 0));
	state = (const uint8_t *)PQgetvalue(res, 0, 1);
	len = (size_t)PQgetlength(res, 0, 1);
	sha256(state, len, digest);
	if (PQgetlength(res, 0, 2) != SHA256_LEN ||
	    memcmp(digest, PQgetvalue(res, 0, 2), SHA256_LEN) != 0)
	{
		snprintf(message, size,
		         "the snapshot of seq %" PRId64 " (%zu bytes) does not match its "
		         "state_sha256: it was altered or damaged in exchange.engine_snapshots; "
		         "refusing to start from it",
		         seq, len);
		PQclear(res);
		return RECOVERY_BAD_SNAPSHOT;
	}
	if ((loaded = snap_load(cfg, state, len, why, sizeof(why))) == NULL)
	{
		snprintf(message, size,
		         "the snapshot of seq %" PRId64 " (%zu bytes) does not load: %s; "
		         "refusing to start from it",
		         seq, len, why);
		PQclear(res);
		return RECOVERY_BAD_SNAPSHOT;
	}
	if (pl_last_seq(loaded) != seq)
	{
		snprintf(message, size,
		         "the snapshot saved as seq %" PRId64
		         " holds the state after seq %" PRId64 "; refusing to start from it",
		         seq, pl_last_seq(loaded));
		pl_destroy(loaded);
		PQclear(res);
		return RECOVERY_BAD_SNAPSHOT;
	}
	pl_destroy(*pl);
	*pl = loaded;
	info->snapshot_seq = seq;
	info->snapshot_bytes = len;
	info->snapshot_load_ms = now_ms() - t0;
	mlog(LOG_INFO,
	     "loaded the snapshot of seq %" PRId64 " (trading day %s, saved at epoch %" PRId64
	     ", %zu "
	     "bytes) in %.1f ms: %u symbols, %u accounts, %u open orders, state hash "
	     "%016" PRIx64,
	     seq, PQgetvalue(res, 0, 4), int8_of(PQgetvalue(res, 0, 3)), len,
	     info->snapshot_load_ms, pl_symbols(loaded), pl_accounts(loaded),
	     pl_open_orders(loaded), pl_state_hash(loaded));
	PQclear(res);
	return 0;
}

/* --replay-from-start: the state after seq (just replayed) against the saved
 * snapshot of that seq. */
static int
verify_snapshot(PGconn *conn, const char *stream, int64_t seq, const pipeline *pl,
                char *message, size_t size)
{
	char seqtxt[24];
	const char *params[2] = {stream, seqtxt};
	PGresult *res;
	uint8_t *mine;
	size_t len;
	int same;

	snprintf(seqtxt, sizeof(seqtxt), "%" PRId64, seq);
	res = query(conn,
	            "SELECT state FROM exchange.engine_snapshots "
	            "WHERE stream = $1::int AND seq = $2::bigint",
	            2, params, 1, message, size);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
	{
		PQclear(res);
		return snprintf(message, size, "the snapshot of seq %" PRId64 " disappeared",
		                seq),
		       -1;
	}
	/* a snapshot of an older version is compared in its own encoding */
	if (snap_save_as(pl,
	                 snap_version((const uint8_t *)PQgetvalue(res, 0, 0),
	                              (size_t)PQgetlength(res, 0, 0)) == 1
	                     ? 1
	                     : SNAP_VERSION,
	                 &mine, &len) != 0)
	{
		PQclear(res);
		return snprintf(message, size,
		                "cannot encode the state at seq %" PRId64
		                " (out of memory, or it does not fit the saved snapshot's "
		                "version)",
		                seq),
		       -1;
	}
	same = (size_t)PQgetlength(res, 0, 0) == len &&
	       memcmp(PQgetvalue(res, 0, 0), mine, len) == 0;
	if (!same)
		snprintf(message, size,
		         "the state replayed to seq %" PRId64 " (%zu bytes) differs from the "
		         "snapshot saved for that seq (%d bytes): replay is not deterministic or "
		         "the snapshot was altered; refusing to serve",
		         seq, len, PQgetlength(res, 0, 0));
	else
		mlog(LOG_INFO,
		     "replayed state at seq %" PRId64 " equals the saved snapshot (%zu bytes)",
		     seq, len);
	free(mine);
	PQclear(res);
	return same ? 0 : RECOVERY_DIVERGED;
}

int
recovery_take_over(PGconn *conn, const char *stream_name, recovery_info *info,
                   char *message, size_t size)
{
	const char *params[1] = {stream_name};
	PGresult *res;

	memset(info, 0, sizeof(*info));
	res = query(conn, "SELECT stream, epoch, last_seq FROM exchange.take_over_stream($1)",
	            1, params, 0, message, size);
	if (res == NULL)
		return -1;
	info->stream = atoi(PQgetvalue(res, 0, 0));
	info->epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	info->target = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	mlog(LOG_INFO,
	     "took over stream \"%s\" (id %d) at epoch %" PRId64 ", last seq %" PRId64,
	     stream_name, info->stream, info->epoch, info->target);
	return 0;
}

int
recovery_locate(PGconn *conn, const char *stream_name, recovery_info *info, char *message,
                size_t size)
{
	const char *params[1] = {stream_name};
	PGresult *res;

	memset(info, 0, sizeof(*info));
	res = query(conn,
	            "SELECT stream, epoch, last_seq FROM exchange.streams WHERE name = $1", 1,
	            params, 0, message, size);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		return PQclear(res), 1;
	info->stream = atoi(PQgetvalue(res, 0, 0));
	info->epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	info->target = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	return 0;
}

int
recovery_position(PGconn *conn, int32_t today, pipeline *pl, recovery_info *info,
                  char *message, size_t size)
{
	char stream[16];
	const char *params[1] = {stream};
	PGresult *res;
	int64_t last_ts = 0;

	snprintf(stream, sizeof(stream), "%d", info->stream);
	res = query(conn,
	            "SELECT s.last_trading_day, "
	            "(extract(epoch FROM s.last_ts - '2000-01-01 00:00:00+00') * "
	            "1000000)::bigint FROM exchange.streams s WHERE s.stream = $1::int",
	            1, params, 0, message, size);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		return PQclear(res), snprintf(message, size, "stream %d is gone", info->stream),
		       -1;
	info->journal_day = PQgetisnull(res, 0, 0) ? -1 : day_of(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		last_ts = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);

	/*
	 * The pipeline's day is the journal's (the day after a close); while the
	 * market is closed the sequencer moves it on to today by itself.
	 */
	info->trading_day = info->journal_day < 0 ? today : pl_trading_day(pl);
	info->last_seq = pl_last_seq(pl);
	pl_set_position(pl, info->last_seq, last_ts, info->trading_day);
	info->symbols = pl_symbols(pl);
	info->accounts = pl_accounts(pl);
	info->state_hash = pl_state_hash(pl);
	return 0;
}

int
recovery_replay(PGconn *conn, int stream_id, pipeline *pl, int64_t target,
                batchbuf *scratch, int64_t *commands, int64_t *records, char *message,
                size_t size)
{
	char stream[16], after[24], chunk[24];
	const char *params[3] = {stream, after, chunk};
	pl_error err;

	snprintf(stream, sizeof(stream), "%d", stream_id);
	while (pl_last_seq(pl) < target)
	{
		int64_t want = target - pl_last_seq(pl), n;
		PGresult *res;

		snprintf(after, sizeof(after), "%" PRId64, pl_last_seq(pl));
		snprintf(chunk, sizeof(chunk), "%" PRId64,
		         want < REPLAY_CHUNK ? want : REPLAY_CHUNK);
		res = query(conn, "SELECT exchange.read_batch($1::int, $2::bigint, $3::int)", 3,
		            params, 1, message, size);
		if (res == NULL)
			return -1;
		n = pl_replay(pl, (const uint8_t *)PQgetvalue(res, 0, 0),
		              (size_t)PQgetlength(res, 0, 0), scratch, records, &err);
		PQclear(res);
		if (n < 0)
			return snprintf(message, size, "%s", err.message),
			       n == PL_REPLAY_DIVERGED ? RECOVERY_DIVERGED : -1;
		if (n == 0)
			return 0; /* nothing more committed (yet) */
		*commands += n;
	}
	return 0;
}

int
recovery_run(PGconn *conn, int32_t today, const pl_config *cfg, int from_start,
             pipeline **plp, recovery_info *info, char *message, size_t size)
{
	const char *params[3];
	char stream[16], after[24], chunk[24], target_txt[24];
	PGresult *res;
	batchbuf out;
	int64_t target = info->target;
	int64_t *checks = NULL; /* --replay-from-start: the saved snapshots' seqs */
	int nchecks = 0, next_check = 0, rc;
	pl_error err;

	snprintf(stream, sizeof(stream), "%d", info->stream);
	params[0] = stream;

	/*
	 * Wallets, limits and gtc orders carry over from day to day: the state is
	 * the latest snapshot (saved after a close) plus the journal after it, or
	 * the whole journal when there is no snapshot.  Archived days before the
	 * snapshot may be gone from the cluster; the journal after it must not be.
	 */
	if (!from_start &&
	    (rc = load_latest(conn, stream, target, cfg, plp, info, message, size)) != 0)
		return rc;
	if (*plp == NULL)
	{
		/* no snapshot: a fresh pipeline for the whole stream */
		if ((*plp = pl_create(cfg)) == NULL)
			return snprintf(message, size,
			                "cannot allocate the matching core (--max-orders %u, "
			                "--max-levels %u)",
			                cfg->max_orders, cfg->max_levels),
			       -1;
		pl_set_position(*plp, 0, 0, today);
	}
	if (from_start)
	{
		snprintf(target_txt, sizeof(target_txt), "%" PRId64, target);
		params[1] = target_txt;
		res = query(conn,
		            "SELECT seq FROM exchange.engine_snapshots "
		            "WHERE stream = $1::int AND seq <= $2::bigint ORDER BY seq",
		            2, params, 0, message, size);
		if (res == NULL)
			return -1;
		nchecks = PQntuples(res);
		if (nchecks > 0 && (checks = calloc((size_t)nchecks, sizeof(int64_t))) == NULL)
			return PQclear(res), snprintf(message, size, "out of memory"), -1;
		for (int i = 0; i < nchecks; i++)
			checks[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		PQclear(res);
		mlog(LOG_INFO,
		     "--replay-from-start: replaying the whole stream, checking %d saved "
		     "snapshots on the way",
		     nchecks);
	}
	info->from_seq = info->snapshot_seq;
	info->last_seq = info->snapshot_seq;

	if (bb_init(&out, 1 << 20) != 0)
		return free(checks), snprintf(message, size, "out of memory"), -1;
	rc = 0;
	while (info->last_seq < target)
	{
		int64_t n, want = REPLAY_CHUNK;

		/* stop at the next saved snapshot's seq to compare the state there */
		if (next_check < nchecks && checks[next_check] - info->last_seq < want)
			want = checks[next_check] - info->last_seq;
		snprintf(after, sizeof(after), "%" PRId64, info->last_seq);
		snprintf(chunk, sizeof(chunk), "%" PRId64, want);
		params[1] = after;
		params[2] = chunk;
		res = query(conn, "SELECT exchange.read_batch($1::int, $2::bigint, $3::int)", 3,
		            params, 1, message, size);
		if (res == NULL)
		{
			rc = -1;
			break;
		}
		n = pl_replay(*plp, (const uint8_t *)PQgetvalue(res, 0, 0),
		              (size_t)PQgetlength(res, 0, 0), &out, &info->replayed_records,
		              &err);
		PQclear(res);
		if (n < 0)
		{
			snprintf(message, size, "%s%s", err.message,
			         n == PL_REPLAY_DIVERGED
			             ? "; refusing to serve from an unverified book"
			             : (info->snapshot_seq == 0 && info->last_seq == 0
			                    ? " (the journal does not start at seq 1: archived days "
			                      "were dropped and there is no snapshot to start from)"
			                    : ""));
			rc = n == PL_REPLAY_DIVERGED ? RECOVERY_DIVERGED : -1;
			break;
		}
		info->last_seq = pl_last_seq(*plp);
		if (n == 0)
		{
			snprintf(message, size,
			         "the journal has no command after seq %" PRId64
			         " but the sequencer says %" PRId64 "%s",
			         info->last_seq, target,
			         info->snapshot_seq == 0
			             ? " (if archived days were dropped, only a snapshot leads back: "
			               "start without --replay-from-start)"
			             : "");
			rc = -1;
			break;
		}
		info->replayed_commands += n;
		while (next_check < nchecks && checks[next_check] <= info->last_seq)
		{
			if (checks[next_check] == info->last_seq)
			{
				if ((rc = verify_snapshot(conn, stream, info->last_seq, *plp, message,
				                          size)) != 0)
					break;
				info->snapshots_verified++;
			}
			next_check++;
		}
		if (rc != 0)
			break;
	}
	bb_free(&out);
	free(checks);
	if (rc != 0)
		return rc;
	return recovery_position(conn, today, *plp, info, message, size);
}
