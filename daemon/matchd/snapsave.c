/*
 * snapsave.c - the snapshot saver thread (see snapsave.h).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"
#include "snapsave.h"

struct snapsaver
{
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char *conninfo;
	int stream;
	int64_t epoch;
	/* guarded by lock */
	int stopping;
	uint8_t *blob; /* waiting, or NULL */
	size_t len;
	int64_t seq;
	snapsave_stats stats;
};

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* 0 when saved; the connection is dropped on failure (reconnect next time). */
static int
save_one(snapsaver *s, PGconn **conn, int64_t seq, const uint8_t *blob, size_t len)
{
	char stream[16], epoch[24], seqtxt[24];
	const char *values[4] = {stream, epoch, seqtxt, (const char *)blob};
	int lengths[4] = {0, 0, 0, (int)len};
	int formats[4] = {0, 0, 0, 1};
	uint64_t t0 = mono_us();
	PGresult *res;

	if (*conn == NULL || PQstatus(*conn) != CONNECTION_OK)
	{
		PQfinish(*conn);
		*conn = PQconnectdb(s->conninfo);
		if (PQstatus(*conn) != CONNECTION_OK)
		{
			mlog(LOG_WARN,
			     "snapshot of seq %" PRId64 " not saved: cannot connect: %s; the next "
			     "close will save a newer one",
			     seq, PQerrorMessage(*conn));
			PQfinish(*conn);
			*conn = NULL;
			return -1;
		}
	}
	snprintf(stream, sizeof(stream), "%d", s->stream);
	snprintf(epoch, sizeof(epoch), "%" PRId64, s->epoch);
	snprintf(seqtxt, sizeof(seqtxt), "%" PRId64, seq);
	res = PQexecParams(*conn,
	                   "SELECT exchange.save_snapshot($1::int, $2::bigint, $3::bigint, "
	                   "$4::bytea)",
	                   4, NULL, values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		mlog(strcmp(state ? state : "", "PX007") == 0 ? LOG_ERROR : LOG_WARN,
		     "snapshot of seq %" PRId64 " (%zu bytes) not saved: %s%s", seq, len,
		     PQresultErrorMessage(res),
		     strcmp(state ? state : "", "PX007") == 0
		         ? " (a different state was saved for the same seq: replay is not "
		           "deterministic; run matchd --replay-from-start to find out where)"
		         : "; the next close will save a newer one");
		PQclear(res);
		if (PQstatus(*conn) != CONNECTION_OK)
		{
			PQfinish(*conn);
			*conn = NULL;
		}
		return -1;
	}
	PQclear(res);
	mlog(LOG_INFO, "saved the snapshot of seq %" PRId64 " (%zu bytes) in %.1f ms", seq,
	     len, (double)(mono_us() - t0) / 1000.0);
	return 0;
}

static void *
saver_main(void *arg)
{
	snapsaver *s = arg;
	PGconn *conn = NULL;

	pthread_mutex_lock(&s->lock);
	for (;;)
	{
		uint8_t *blob;
		size_t len;
		int64_t seq;
		int rc;

		while (s->blob == NULL && !s->stopping)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->blob == NULL)
			break; /* stopping, nothing left */
		blob = s->blob, len = s->len, seq = s->seq;
		s->blob = NULL;
		pthread_mutex_unlock(&s->lock);
		rc = save_one(s, &conn, seq, blob, len);
		free(blob);
		pthread_mutex_lock(&s->lock);
		if (rc == 0)
			s->stats.saved++;
		else
			s->stats.failed++;
	}
	pthread_mutex_unlock(&s->lock);
	PQfinish(conn);
	return NULL;
}

snapsaver *
snapsaver_start(const char *conninfo, int stream, int64_t epoch)
{
	snapsaver *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->conninfo = strdup(conninfo ? conninfo : "");
	s->stream = stream;
	s->epoch = epoch;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (s->conninfo == NULL || pthread_create(&s->thread, NULL, saver_main, s) != 0)
	{
		free(s->conninfo);
		free(s);
		return NULL;
	}
	return s;
}

void
snapsaver_submit(snapsaver *s, int64_t seq, uint8_t *blob, size_t len)
{
	pthread_mutex_lock(&s->lock);
	if (s->blob != NULL)
	{
		mlog(LOG_WARN,
		     "snapshot of seq %" PRId64 " superseded by seq %" PRId64
		     " before it could be saved",
		     s->seq, seq);
		free(s->blob);
		s->stats.replaced++;
	}
	s->blob = blob;
	s->len = len;
	s->seq = seq;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
snapsaver_stop(snapsaver *s, snapsave_stats *stats)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (stats)
		*stats = s->stats;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->conninfo);
	free(s);
}
