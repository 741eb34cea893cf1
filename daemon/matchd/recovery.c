/*
 * recovery.c - take over, load reference data, replay and verify.
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

/* Runs one name query and loads every name it returns; the count, or -1. */
static int
load_names(PGconn *conn, const char *sql, const char *const *params,
           int (*load)(pipeline *, const char *, pl_error *), pipeline *pl, char *message,
           size_t size)
{
	PGresult *res = query(conn, sql, 2, params, 0, message, size);
	pl_error err;
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		if (load(pl, PQgetvalue(res, i, 0), &err) != 0)
		{
			snprintf(message, size, "%s", err.message);
			n = -1;
			break;
		}
	PQclear(res);
	return n;
}

/* Loads the names listed before the replayed range. */
static int
load_reference(PGconn *conn, pipeline *pl, recovery_info *info, char *message,
               size_t size)
{
	char stream[16], upto[24];
	const char *params[2] = {stream, upto};
	int symbols, accounts;

	snprintf(stream, sizeof(stream), "%d", info->stream);
	snprintf(upto, sizeof(upto), "%" PRId64, info->from_seq);
	symbols = load_names(conn,
	                     "SELECT symbol FROM exchange.symbols WHERE stream = $1::int "
	                     "AND listed_seq <= $2::bigint ORDER BY listed_seq",
	                     params, pl_load_symbol, pl, message, size);
	if (symbols < 0)
		return -1;
	accounts = load_names(conn,
	                      "SELECT account FROM exchange.accounts WHERE stream = $1::int "
	                      "AND opened_seq <= $2::bigint ORDER BY opened_seq",
	                      params, pl_load_account, pl, message, size);
	if (accounts < 0)
		return -1;
	info->symbols = (uint32_t)symbols;
	info->accounts = (uint32_t)accounts;
	return 0;
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

	/* the open trading day: replay starts at its first seq */
	snprintf(stream, sizeof(stream), "%d", info->stream);
	params[0] = stream;
	res = query(
	    conn,
	    "SELECT s.last_trading_day, d.first_seq, "
	    "(extract(epoch FROM s.last_ts - '2000-01-01 00:00:00+00') * 1000000)::bigint "
	    "FROM exchange.streams s LEFT JOIN exchange.journal_days d "
	    "ON d.stream = s.stream AND d.trading_day = s.last_trading_day "
	    "WHERE s.stream = $1::int",
	    1, params, 0, message, size);
	if (res == NULL)
		return -1;
	info->journal_day = PQgetisnull(res, 0, 0) ? -1 : day_of(PQgetvalue(res, 0, 0));
	info->from_seq =
	    PQgetisnull(res, 0, 1) ? target : strtoll(PQgetvalue(res, 0, 1), NULL, 10) - 1;
	if (!PQgetisnull(res, 0, 2))
		last_ts = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);

	if (load_reference(conn, pl, info, message, size) != 0)
		return -1;
	if (bb_init(&out, 1 << 20) != 0)
		return snprintf(message, size, "out of memory"), -1;

	info->last_seq = info->from_seq;
	pl_set_position(pl, info->from_seq, 0,
	                info->journal_day < 0 ? today : info->journal_day);
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
	 * New commands go to today's trading day, unless orders still rest from
	 * the journal's day: they belong to it until a close expires them (the
	 * trading-hours issue brings the close), and replay starts at that day.
	 */
	info->trading_day = info->journal_day < 0 ? today
	                    : info->journal_day >= today || pl_open_orders(pl) > 0
	                        ? info->journal_day
	                        : today;
	pl_set_position(pl, info->last_seq, last_ts, info->trading_day);
	info->state_hash = pl_state_hash(pl);
	return 0;
}
