/*
 * recovery.c - take over, replay the stream and verify it.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "recovery.h"

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

int
recovery_run(PGconn *conn, const char *stream_name, int32_t today, pipeline *pl,
             recovery_info *info, char *message, size_t size)
{
	const char *params[3];
	char stream[16], after[24], chunk[16];
	PGresult *res;
	batchbuf out;
	int64_t last_ts = 0, target;
	pl_error err;

	memset(info, 0, sizeof(*info));
	params[0] = stream_name;
	res = query(conn, "SELECT stream, epoch, last_seq FROM exchange.take_over_stream($1)",
	            1, params, 0, message, size);
	if (res == NULL)
		return -1;
	info->stream = atoi(PQgetvalue(res, 0, 0));
	info->epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	target = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	mlog(LOG_INFO,
	     "took over stream \"%s\" (id %d) at epoch %" PRId64 ", last seq %" PRId64,
	     stream_name, info->stream, info->epoch, target);

	/*
	 * The whole stream replays: wallets, limits and gtc orders carry over from
	 * day to day, and only the journal holds them.  (Archival keeps what a
	 * replay needs; see docs/operations.md.)
	 */
	snprintf(stream, sizeof(stream), "%d", info->stream);
	params[0] = stream;
	res = query(conn,
	            "SELECT s.last_trading_day, "
	            "(extract(epoch FROM s.last_ts - '2000-01-01 00:00:00+00') * "
	            "1000000)::bigint FROM exchange.streams s WHERE s.stream = $1::int",
	            1, params, 0, message, size);
	if (res == NULL)
		return -1;
	info->journal_day = PQgetisnull(res, 0, 0) ? -1 : day_of(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		last_ts = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	info->from_seq = 0;

	if (bb_init(&out, 1 << 20) != 0)
		return snprintf(message, size, "out of memory"), -1;

	info->last_seq = 0;
	pl_set_position(pl, 0, 0, today);
	while (info->last_seq < target)
	{
		int64_t n;

		snprintf(after, sizeof(after), "%" PRId64, info->last_seq);
		snprintf(chunk, sizeof(chunk), "%d", REPLAY_CHUNK);
		params[1] = after;
		params[2] = chunk;
		res = query(conn, "SELECT exchange.read_batch($1::int, $2::bigint, $3::int)", 3,
		            params, 1, message, size);
		if (res == NULL)
			return bb_free(&out), -1;
		n = pl_replay(pl, (const uint8_t *)PQgetvalue(res, 0, 0),
		              (size_t)PQgetlength(res, 0, 0), &out, &info->replayed_records,
		              &err);
		PQclear(res);
		if (n < 0)
		{
			bb_free(&out);
			snprintf(message, size, "%s%s", err.message,
			         n == PL_REPLAY_DIVERGED
			             ? "; refusing to serve from an unverified book"
			             : "");
			return n == PL_REPLAY_DIVERGED ? RECOVERY_DIVERGED : -1;
		}
		info->last_seq = pl_last_seq(pl);
		if (n == 0)
		{
			bb_free(&out);
			return snprintf(message, size,
			                "the journal ends at seq %" PRId64
			                " but the sequencer says %" PRId64,
			                info->last_seq, target),
			       -1;
		}
		info->replayed_commands += n;
	}
	bb_free(&out);

	/*
	 * The pipeline's day is the journal's (the day after a close); while the
	 * market is closed the sequencer moves it on to today by itself.
	 */
	info->trading_day = info->journal_day < 0 ? today : pl_trading_day(pl);
	pl_set_position(pl, info->last_seq, last_ts, info->trading_day);
	info->symbols = pl_symbols(pl);
	info->accounts = pl_accounts(pl);
	info->state_hash = pl_state_hash(pl);
	return 0;
}
