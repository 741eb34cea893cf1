/*
 * standby.c - the hot standby's tail loop (see standby.h).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "jsonkv.h"
#include "log.h"
#include "recovery.h"
#include "standby.h"

#define LOG_EVERY_US 5000000u /* lag to the log at info level */

typedef struct tail
{
	const ha_config *cfg;
	int stream;
	pipeline *pl;
	PGconn *conn;
	batchbuf scratch;
	int64_t known_seq; /* newest committed seq heard of */
	int64_t delay_ms;  /* apply delay of the newest record applied */
	int64_t commands;  /* replayed since start */
	int64_t records;
	int reports_off;
	int fresh; /* (re)connected: notifications may have been missed */
} tail;

static int
listen_on(tail *t)
{
	PGresult *res = PQexec(t->conn, "LISTEN exchange_journal");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		mlog(LOG_WARN, "standby: LISTEN: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static void
connect_tail(tail *t)
{
	for (;;)
	{
		PQfinish(t->conn);
		t->conn = ha_connect(t->cfg->conninfo, "standby", NULL);
		if (listen_on(t) == 0)
		{
			t->fresh = 1;
			return;
		}
		usleep(100000);
	}
}

/* Notifications of our stream: the newest committed seq they announce. */
static void
drain_notifies(tail *t)
{
	PGnotify *n;

	while ((n = PQnotifies(t->conn)) != NULL)
	{
		pgx_str payload = {n->extra, (uint16_t)strnlen(n->extra, 1000)};
		int64_t stream = 0, last = 0;

		if (jkv_int(payload, "stream", &stream) == JKV_FOUND && stream == t->stream &&
		    jkv_int(payload, "last_seq", &last) == JKV_FOUND && last > t->known_seq)
			t->known_seq = last;
		PQfreemem(n);
	}
}

/* Replays what committed; 0, -1 (connection trouble) or RECOVERY_DIVERGED. */
static int
catch_up(tail *t, char *message, size_t size)
{
	int64_t before = pl_last_seq(t->pl);
	int rc;

	if (t->stream == 0)
		return 0;
	rc = recovery_replay(t->conn, t->stream, t->pl, INT64_MAX, &t->scratch, &t->commands,
	                     &t->records, message, size);
	if (rc == RECOVERY_DIVERGED)
		return rc;
	if (pl_last_seq(t->pl) > before)
	{
		t->delay_ms = (ha_wall_ts() - pl_last_ts(t->pl)) / 1000;
		if (pl_last_seq(t->pl) > t->known_seq)
			t->known_seq = pl_last_seq(t->pl);
	}
	if (rc != 0)
		mlog(LOG_WARN, "standby: reading the journal: %s", message);
	return rc;
}

/* 1 when the lease is open to this node, 0 when not, -1 on error. */
static int
lease_open(tail *t)
{
	char stream[16];
	const char *params[2] = {stream, t->cfg->node};
	PGresult *res;
	int open;

	if (t->stream == 0)
		return 1; /* no stream, no lease: acquire_lease creates both */
	snprintf(stream, sizeof(stream), "%d", t->stream);
	res = PQexecParams(t->conn, "SELECT exchange.lease_open($1::int, $2)", 2, NULL,
	                   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		mlog(LOG_WARN, "standby: lease_open: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	open = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return open;
}

static int64_t
stream_epoch(tail *t)
{
	char stream[16];
	const char *params[1] = {stream};
	PGresult *res;
	int64_t epoch = -1;

	snprintf(stream, sizeof(stream), "%d", t->stream);
	res = PQexecParams(t->conn, "SELECT epoch FROM exchange.stream_position($1::int)", 1,
	                   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		epoch = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return epoch;
}

static void
report(tail *t, int to_log)
{
	char stream[16], applied[24], delay[16];
	const char *params[6] = {stream,           t->cfg->node, "standby",
	                         t->cfg->endpoint, applied,      delay};
	int64_t lag = t->known_seq - pl_last_seq(t->pl);
	PGresult *res;

	snprintf(stream, sizeof(stream), "%d", t->stream);
	snprintf(applied, sizeof(applied), "%" PRId64, pl_last_seq(t->pl));
	snprintf(delay, sizeof(delay), "%" PRId64,
	         t->delay_ms < 0 ? 0 : (t->delay_ms > INT32_MAX ? INT32_MAX : t->delay_ms));
	mlog(to_log ? LOG_INFO : LOG_DEBUG,
	     "standby: applied seq %" PRId64 ", lag %" PRId64 " events, apply delay %" PRId64
	     " ms (%" PRId64 " commands replayed since start)",
	     pl_last_seq(t->pl), lag < 0 ? 0 : lag, t->delay_ms, t->commands);
	if (t->reports_off || t->stream == 0)
		return;
	res = PQexecParams(t->conn,
	                   "SELECT exchange.report_member($1::int, $2, $3, $4, $5::bigint, "
	                   "$6::int)",
	                   6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (strcmp(ha_sqlstate(res), "42883") == 0)
			t->reports_off = 1;
		mlog(LOG_WARN, "standby: report_member: %s", PQresultErrorMessage(res));
	}
	PQclear(res);
}

int
standby_run(const ha_config *cfg, const standby_opts *opts, int stream_id, pipeline *pl,
            uint64_t *open_us, char *message, size_t size)
{
	tail t = {.cfg = cfg, .stream = stream_id, .pl = pl};
	uint64_t next_poll = 0, next_report = 0, next_log = 0;
	int outcome = 0;

	if (bb_init(&t.scratch, 1 << 20) != 0)
		return snprintf(message, size, "out of memory"), STANDBY_DIVERGED;
	t.known_seq = pl_last_seq(pl);
	connect_tail(&t);
	mlog(LOG_INFO,
	     "standby: node \"%s\" tailing stream \"%s\" from seq %" PRId64
	     " (lease %u ms, poll %u ms, heartbeat %u ms)",
	     cfg->node, cfg->stream_name, pl_last_seq(pl), cfg->lease_ms, cfg->poll_ms,
	     cfg->heartbeat_ms);
	while (outcome == 0)
	{
		struct pollfd fds[2] = {{.fd = PQsocket(t.conn), .events = POLLIN},
		                        {.fd = opts->signal_fd, .events = POLLIN}};
		uint64_t now = ha_mono_us();
		int rc, wait_ms = next_poll > now ? (int)((next_poll - now) / 1000) : 0;

		if (poll(fds, 2, wait_ms) < 0)
			continue;
		if (fds[1].revents & POLLIN)
		{
			struct signalfd_siginfo si;

			while (read(opts->signal_fd, &si, sizeof(si)) == sizeof(si))
				mlog(LOG_INFO, "standby: %s: stopping", strsignal((int)si.ssi_signo));
			outcome = STANDBY_STOP;
			break;
		}
		if ((fds[0].revents & POLLIN) && !PQconsumeInput(t.conn))
		{
			mlog(LOG_WARN, "standby: connection lost: %s", PQerrorMessage(t.conn));
			connect_tail(&t);
		}
		drain_notifies(&t);
		/* read only when a commit was announced (or may have been missed) */
		rc = 0;
		if (t.fresh || t.known_seq > pl_last_seq(pl))
		{
			t.fresh = 0;
			rc = catch_up(&t, message, size);
		}
		if (rc == RECOVERY_DIVERGED)
		{
			outcome = STANDBY_DIVERGED;
			break;
		}
		if (rc != 0 || PQstatus(t.conn) != CONNECTION_OK)
		{
			connect_tail(&t);
			continue;
		}
		now = ha_mono_us();
		if (now >= next_report)
		{
			report(&t, now >= next_log);
			if (now >= next_log)
				next_log = now + LOG_EVERY_US;
			next_report = now + (uint64_t)cfg->heartbeat_ms * 1000u;
		}
		if (now >= next_poll)
		{
			next_poll = now + (uint64_t)cfg->poll_ms * 1000u;
			/* after our own switchover the lease is not ours to take back, unless
			 * the node it went to never took it */
			if (now < opts->hold_until_us && stream_epoch(&t) <= opts->hold_epoch)
				continue;
			if (lease_open(&t) == 1)
			{
				*open_us = ha_mono_us();
				/* whatever committed before: less to replay after acquiring */
				if ((rc = catch_up(&t, message, size)) == RECOVERY_DIVERGED)
					outcome = STANDBY_DIVERGED;
				else
					outcome = STANDBY_PROMOTE;
			}
		}
	}
	if (outcome != STANDBY_DIVERGED)
		mlog(LOG_INFO,
		     "standby: %s at seq %" PRId64 " (%" PRId64 " commands, %" PRId64
		     " records replayed while standing by)",
		     outcome == STANDBY_PROMOTE ? "the lease is open, taking over" : "stopped",
		     pl_last_seq(pl), t.commands, t.records);
	bb_free(&t.scratch);
	PQfinish(t.conn);
	return outcome;
}
