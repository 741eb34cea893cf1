/*
 * journal.c - the journal writer thread.  See journal.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

#define APPEND_SQL                                                                       \
	"SELECT exchange.append_batch($1::int, $2::bigint, $3::bigint, $4::bytea, "          \
	"$5::bytea)"

struct journal
{
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	PGconn *conn;
	char *conninfo;
	int stream;
	int64_t epoch;
	int done_fd;

	/* guarded by lock */
	const batchbuf *pending; /* the batch in flight, NULL when idle */
	const uint8_t *wallets;  /* its wallet projection (PWL1) or NULL */
	size_t wallets_len;
	int result;            /* enum journal_result of the last batch */
	uint64_t submitted_us; /* when the batch in flight was handed over */
	uint64_t done_us;      /* when the last batch finished */
	int stopping;
	char message[512];
	journal_stats stats;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
prepare(journal *j)
{
	PGresult *res = PQprepare(j->conn, "append", APPEND_SQL, 5, NULL);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		mlog(LOG_WARN, "cannot prepare the append statement: %s",
		     PQerrorMessage(j->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connection-level trouble (retry after reconnecting) rather than a refusal. */
static int
connection_lost(PGconn *conn, const char *sqlstate)
{
	if (PQstatus(conn) == CONNECTION_BAD)
		return 1;
	if (sqlstate == NULL)
		return 1;
	/* 08: connection exception; 57P01-03: shutdown, crash recovery, cannot connect now */
	return strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P0", 4) == 0;
}

/*
 * Reconnects until it works or the daemon stops.  The delay between tries
 * stays short (25, 50, 100, then every 200 ms): a PostgreSQL failover makes
 * the new primary writable after seconds, and every moment between that and
 * matchd's next try is a moment no order can be acknowledged; a try against
 * a host that is down costs one refused connection, not load.
 */
#define RECONNECT_DELAY_MAX_MS 200

static void
reconnect(journal *j)
{
	unsigned delay_ms = 25;

	for (int attempt = 1;; attempt++)
	{
		PQfinish(j->conn);
		j->conn = PQconnectdb(j->conninfo);
		if (PQstatus(j->conn) == CONNECTION_OK && prepare(j) == 0)
		{
			mlog(LOG_INFO, "journal connection re-established after %d attempt(s)",
			     attempt);
			j->stats.reconnects++;
			return;
		}
		if (attempt == 1 || attempt % 50 == 0) /* every 10 s */
			mlog(LOG_WARN, "journal connection lost; reconnecting (attempt %d): %s",
			     attempt, PQerrorMessage(j->conn));
		usleep(delay_ms * 1000u);
		if (delay_ms * 2 <= RECONNECT_DELAY_MAX_MS)
			delay_ms *= 2;
		else
			delay_ms = RECONNECT_DELAY_MAX_MS;
	}
}

/* The stream's epoch and last committed seq; 0 or -1 when the query failed. */
static int
position(journal *j, int64_t *epoch, int64_t *last_seq)
{
	char stream[16];
	const char *params[1] = {stream};
	PGresult *res;
	int rc = -1;

	snprintf(stream, sizeof(stream), "%d", j->stream);
	res = PQexecParams(j->conn,
	                   "SELECT epoch, last_seq FROM exchange.stream_position($1::int)", 1,
	                   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		*epoch = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*last_seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* One batch, until it is known to be committed or cannot be. */
static int
append(journal *j, const batchbuf *bb, const uint8_t *wallets, size_t wallets_len,
       char *msg, size_t size)
{
	char stream[16], epoch[24], first[24];
	const char *values[5] = {stream, epoch, first, (const char *)bb->buf,
	                         (const char *)wallets};
	int lengths[5] = {0, 0, 0, (int)bb->len, (int)wallets_len};
	const int formats[5] = {0, 0, 0, 1, 1};
	int retried = 0;

	snprintf(stream, sizeof(stream), "%d", j->stream);
	snprintf(epoch, sizeof(epoch), "%" PRId64, j->epoch);
	snprintf(first, sizeof(first), "%" PRId64, bb->first_seq);

	for (;;)
	{
		PGresult *res = PQexecPrepared(j->conn, "append", 5, values, lengths, formats, 0);
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		int64_t at_epoch, last_seq;

		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			PQclear(res);
			return JOURNAL_COMMITTED;
		}
		if (state && strcmp(state, "PX001") == 0)
		{
			snprintf(msg, size, "fenced off: %s", PQresultErrorMessage(res));
			PQclear(res);
			return JOURNAL_FENCED;
		}
		/* PX002/PX003 after a retry: the first attempt may have committed after all */
		if (!connection_lost(j->conn, state) &&
		    !(retried && state &&
		      (strcmp(state, "PX002") == 0 || strcmp(state, "PX003") == 0)))
		{
			snprintf(msg, size, "append of seq %" PRId64 "..%" PRId64 " failed (%s): %s",
			         bb->first_seq, bb->last_seq, state ? state : "?",
			         PQresultErrorMessage(res));
			PQclear(res);
			return JOURNAL_FAILED;
		}
		mlog(LOG_WARN, "append of seq %" PRId64 "..%" PRId64 " interrupted (%s): %s",
		     bb->first_seq, bb->last_seq, state ? state : "connection lost",
		     PQerrorMessage(j->conn));
		PQclear(res);
		if (PQstatus(j->conn) == CONNECTION_BAD ||
		    (state && strncmp(state, "57P0", 4) == 0))
			reconnect(j);
		while (position(j, &at_epoch, &last_seq) != 0)
			reconnect(j);
		if (at_epoch != j->epoch)
		{
			snprintf(msg, size,
			         "fenced off: the stream is at epoch %" PRId64 ", not %" PRId64,
			         at_epoch, j->epoch);
			return JOURNAL_FENCED;
		}
		if (last_seq >= bb->last_seq)
		{
			mlog(LOG_INFO, "seq %" PRId64 "..%" PRId64 " had committed before the break",
			     bb->first_seq, bb->last_seq);
			return JOURNAL_COMMITTED;
		}
		if (last_seq != bb->first_seq - 1)
		{
			snprintf(msg, size,
			         "the stream is at seq %" PRId64 ", which neither precedes nor "
			         "includes the batch %" PRId64 "..%" PRId64,
			         last_seq, bb->first_seq, bb->last_seq);
			return JOURNAL_FAILED;
		}
		retried = 1;
	}
}

static void *
writer_main(void *arg)
{
	journal *j = arg;

	pthread_mutex_lock(&j->lock);
	for (;;)
	{
		const batchbuf *bb;
		const uint8_t *wallets;
		size_t wallets_len;
		uint64_t t0, one = 1;
		int result;
		char msg[512] = "";

		while (j->pending == NULL && !j->stopping)
			pthread_cond_wait(&j->wake, &j->lock);
		if (j->pending == NULL)
			break;
		bb = j->pending;
		wallets = j->wallets;
		wallets_len = j->wallets_len;
		t0 = now_us();
		j->stats.wake_us_total += t0 - j->submitted_us;
		pthread_mutex_unlock(&j->lock);

		result = append(j, bb, wallets, wallets_len, msg, sizeof(msg));

		pthread_mutex_lock(&j->lock);
		j->done_us = now_us();
		j->stats.append_us_total += j->done_us - t0;
		if (result == JOURNAL_COMMITTED)
		{
			j->stats.batches++;
			j->stats.records += bb->records;
		}
		j->result = result;
		memcpy(j->message, msg, sizeof(msg));
		j->pending = NULL;
		(void)!write(j->done_fd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

journal *
journal_start(PGconn *conn, const char *conninfo, int stream, int64_t epoch, int done_fd)
{
	journal *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->conn = conn;
	j->conninfo = strdup(conninfo);
	j->stream = stream;
	j->epoch = epoch;
	j->done_fd = done_fd;
	j->result = JOURNAL_COMMITTED;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	if (j->conninfo == NULL || prepare(j) != 0 ||
	    pthread_create(&j->thread, NULL, writer_main, j) != 0)
	{
		free(j->conninfo);
		free(j);
		return NULL;
	}
	return j;
}

void
journal_submit(journal *j, const batchbuf *bb, const uint8_t *wallets, size_t wallets_len)
{
	pthread_mutex_lock(&j->lock);
	j->pending = bb;
	j->wallets = wallets;
	j->wallets_len = wallets_len;
	j->result = JOURNAL_BUSY;
	j->submitted_us = now_us();
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
}

int
journal_poll(journal *j, char *message, size_t size)
{
	int result;

	pthread_mutex_lock(&j->lock);
	result = j->pending ? JOURNAL_BUSY : j->result;
	if (message && size)
		snprintf(message, size, "%s", j->message);
	pthread_mutex_unlock(&j->lock);
	return result;
}

uint64_t
journal_done_us(journal *j)
{
	uint64_t t;

	pthread_mutex_lock(&j->lock);
	t = j->done_us;
	pthread_mutex_unlock(&j->lock);
	return t;
}

int
journal_idle(journal *j)
{
	int idle;

	pthread_mutex_lock(&j->lock);
	idle = j->pending == NULL;
	pthread_mutex_unlock(&j->lock);
	return idle;
}

void
journal_get_stats(journal *j, journal_stats *out)
{
	pthread_mutex_lock(&j->lock);
	*out = j->stats;
	pthread_mutex_unlock(&j->lock);
}

void
journal_stop(journal *j)
{
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	PQfinish(j->conn);
	free(j->conninfo);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	free(j);
}
