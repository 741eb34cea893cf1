/*
 * scheduler.c - polls the market's schedule (see scheduler.h).
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

#include <libpq-fe.h>

#include "log.h"
#include "scheduler.h"

#define POINT_SQL                                                                        \
	"SELECT (extract(epoch FROM boundary - '2000-01-01 00:00:00+00') * "                 \
	"1000000)::bigint, "                                                                 \
	"is_open, session_day - '2000-01-01'::date "                                         \
	"FROM exchange.scheduled_session($1::int, now())"

struct scheduler
{
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char *conninfo;
	int stream;
	uint32_t interval_ms;
	int wake_fd;
	int stopping;      /* guarded by lock */
	schedule_point pt; /* guarded by lock */
};

static int
poll_once(scheduler *s, PGconn *conn, schedule_point *pt)
{
	char stream[16];
	const char *params[1] = {stream};
	PGresult *res;

	snprintf(stream, sizeof(stream), "%d", s->stream);
	res = PQexecParams(conn, POINT_SQL, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		mlog(LOG_WARN, "scheduler: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	memset(pt, 0, sizeof(*pt));
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
	{
		pt->valid = 1;
		pt->boundary_ts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		pt->is_open = PQgetvalue(res, 0, 1)[0] == 't';
		pt->session_day = (int32_t)strtol(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	return 0;
}

static void *
scheduler_main(void *arg)
{
	scheduler *s = arg;
	PGconn *conn = NULL;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping)
	{
		schedule_point pt;
		struct timespec until;
		uint64_t one = 1;

		pthread_mutex_unlock(&s->lock);
		if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		{
			PQfinish(conn);
			conn = PQconnectdb(s->conninfo);
			if (PQstatus(conn) != CONNECTION_OK)
				mlog(LOG_WARN, "scheduler: cannot connect: %s", PQerrorMessage(conn));
		}
		if (PQstatus(conn) == CONNECTION_OK && poll_once(s, conn, &pt) == 0)
		{
			pthread_mutex_lock(&s->lock);
			s->pt = pt;
			pthread_mutex_unlock(&s->lock);
			(void)!write(s->wake_fd, &one, sizeof(one));
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += s->interval_ms / 1000;
		until.tv_nsec += (long)(s->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L)
		{
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->lock);
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->lock);
	PQfinish(conn);
	return NULL;
}

scheduler *
scheduler_start(const char *conninfo, int stream, uint32_t interval_ms, int wake_fd)
{
	scheduler *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->conninfo = strdup(conninfo ? conninfo : "");
	s->stream = stream;
	s->interval_ms = interval_ms ? interval_ms : 1000;
	s->wake_fd = wake_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (s->conninfo == NULL || pthread_create(&s->thread, NULL, scheduler_main, s) != 0)
	{
		free(s->conninfo);
		free(s);
		return NULL;
	}
	return s;
}

void
scheduler_get(scheduler *s, schedule_point *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->pt;
	pthread_mutex_unlock(&s->lock);
}

void
scheduler_stop(scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->conninfo);
	free(s);
}
