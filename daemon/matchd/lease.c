/*
 * lease.c - the leader's lease and its heartbeat thread (see lease.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"
#include "log.h"

struct lease
{
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	ha_config cfg;
	int stream;
	int64_t epoch;
	int wake_fd;
	PGconn *conn;
	_Atomic uint64_t renewed_us; /* start of the last successful renewal */
	_Atomic int64_t applied;
	int handover_set;  /* guarded by lock */
	char handover[64]; /* guarded by lock */
	volatile int stopping;
	int reports_off; /* report_member is missing: stop asking */
};

int
lease_acquire(PGconn *conn, const ha_config *cfg, recovery_info *info, char *message,
              size_t size)
{
	char ms[16];
	const char *params[4] = {cfg->stream_name, cfg->node, cfg->endpoint, ms};
	PGresult *res;
	const char *state;

	memset(info, 0, sizeof(*info));
	snprintf(ms, sizeof(ms), "%u", cfg->lease_ms);
	res = PQexecParams(conn,
	                   "SELECT stream, epoch, last_seq "
	                   "FROM exchange.acquire_lease($1, $2, $3, $4::int)",
	                   4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		info->stream = atoi(PQgetvalue(res, 0, 0));
		info->epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		info->target = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		PQclear(res);
		mlog(LOG_INFO,
		     "acquired the lease of stream \"%s\" (id %d) as node \"%s\" for %u ms: "
		     "epoch %" PRId64 ", last seq %" PRId64,
		     cfg->stream_name, info->stream, cfg->node, cfg->lease_ms, info->epoch,
		     info->target);
		return 0;
	}
	state = ha_sqlstate(res);
	snprintf(message, size, "exchange.acquire_lease: %s%s%s", PQresultErrorMessage(res),
	         PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) ? " " : "",
	         PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
	             ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
	             : "");
	PQclear(res);
	if (strcmp(state, "PX008") == 0)
		return LEASE_HELD;
	if (strcmp(state, "42883") == 0)
		return LEASE_UNSUPPORTED;
	return -1;
}

static int
renew(lease *l)
{
	char stream[16], epoch[24], ms[16];
	const char *params[4] = {stream, l->cfg.node, epoch, ms};
	uint64_t t0 = ha_mono_us();
	PGresult *res;

	snprintf(stream, sizeof(stream), "%d", l->stream);
	snprintf(epoch, sizeof(epoch), "%" PRId64, l->epoch);
	snprintf(ms, sizeof(ms), "%u", l->cfg.lease_ms);
	res = PQexecParams(l->conn,
	                   "SELECT expires_at, handover_to "
	                   "FROM exchange.renew_lease($1::int, $2, $3::bigint, $4::int)",
	                   4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		atomic_store(&l->renewed_us, t0);
		if (!PQgetisnull(res, 0, 1))
		{
			uint64_t one = 1;
			int first;

			pthread_mutex_lock(&l->lock);
			first = !l->handover_set;
			l->handover_set = 1;
			snprintf(l->handover, sizeof(l->handover), "%s", PQgetvalue(res, 0, 1));
			pthread_mutex_unlock(&l->lock);
			if (first)
			{
				mlog(LOG_INFO, "switchover requested: handing the stream to \"%s\"",
				     PQgetvalue(res, 0, 1));
				(void)!write(l->wake_fd, &one, sizeof(one));
			}
		}
		PQclear(res);
		return 0;
	}
	if (strcmp(ha_sqlstate(res), "PX001") == 0)
	{
		/* another node leads with a newer epoch: nothing more may be answered */
		mlog(LOG_ERROR,
		     "fenced off: the lease is no longer ours (epoch %" PRId64 "): %s; exiting "
		     "without acknowledging anything more",
		     l->epoch, PQresultErrorMessage(res));
		_exit(3);
	}
	mlog(LOG_WARN, "lease renewal failed (%s): %s", ha_sqlstate(res),
	     PQresultErrorMessage(res));
	if (ha_connection_lost(l->conn, res))
	{
		PQfinish(l->conn);
		l->conn = NULL;
	}
	PQclear(res);
	return -1;
}

static void
report(lease *l)
{
	char stream[16], applied[24];
	/* a leader has no apply delay: NULL */
	const char *params[6] = {stream,          l->cfg.node, "leader",
	                         l->cfg.endpoint, applied,     NULL};
	PGresult *res;

	if (l->reports_off || l->conn == NULL)
		return;
	snprintf(stream, sizeof(stream), "%d", l->stream);
	snprintf(applied, sizeof(applied), "%" PRId64, atomic_load(&l->applied));
	res = PQexecParams(l->conn,
	                   "SELECT exchange.report_member($1::int, $2, $3, $4, $5::bigint, "
	                   "$6::int)",
	                   6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (strcmp(ha_sqlstate(res), "42883") == 0)
			l->reports_off = 1;
		mlog(LOG_WARN, "report_member: %s", PQresultErrorMessage(res));
	}
	PQclear(res);
}

static void *
heartbeat_main(void *arg)
{
	lease *l = arg;

	while (!l->stopping)
	{
		struct timespec until;

		if (l->conn == NULL)
			l->conn = ha_connect(l->cfg.conninfo, "lease heartbeat", &l->stopping);
		if (l->conn != NULL && renew(l) == 0)
			report(l);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)l->cfg.heartbeat_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&l->lock);
		while (!l->stopping &&
		       pthread_cond_timedwait(&l->wake, &l->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&l->lock);
	}
	return NULL;
}

lease *
lease_start(const ha_config *cfg, int stream, int64_t epoch, uint64_t granted_us,
            int wake_fd)
{
	lease *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->cfg = *cfg;
	l->stream = stream;
	l->epoch = epoch;
	l->wake_fd = wake_fd;
	atomic_store(&l->renewed_us, granted_us);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	if (pthread_create(&l->thread, NULL, heartbeat_main, l) != 0)
	{
		free(l);
		return NULL;
	}
	return l;
}

int
lease_valid(lease *l)
{
	return l == NULL ||
	       ha_mono_us() - atomic_load(&l->renewed_us) < (uint64_t)l->cfg.lease_ms * 1000u;
}

int
lease_wait_valid(lease *l, unsigned timeout_ms)
{
	uint64_t end = ha_mono_us() + (uint64_t)timeout_ms * 1000u;

	while (!lease_valid(l) && ha_mono_us() < end)
	{
		struct timespec ms = {.tv_nsec = 1000000L};

		nanosleep(&ms, NULL); /* the heartbeat renews at once after lease_start */
	}
	return lease_valid(l);
}

const char *
lease_handover(lease *l)
{
	const char *who;

	if (l == NULL)
		return NULL;
	pthread_mutex_lock(&l->lock);
	who = l->handover_set ? l->handover : NULL;
	pthread_mutex_unlock(&l->lock);
	return who;
}

void
lease_set_applied(lease *l, int64_t seq)
{
	if (l)
		atomic_store(&l->applied, seq);
}

int
lease_stop(lease *l, int release)
{
	int rc = 0;

	if (l == NULL)
		return 0;
	pthread_mutex_lock(&l->lock);
	l->stopping = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	if (release)
	{
		char stream[16], epoch[24];
		const char *params[3] = {stream, l->cfg.node, epoch};
		PGresult *res;

		if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK)
		{
			PQfinish(l->conn);
			l->conn = PQconnectdb(l->cfg.conninfo);
		}
		snprintf(stream, sizeof(stream), "%d", l->stream);
		snprintf(epoch, sizeof(epoch), "%" PRId64, l->epoch);
		res = PQexecParams(l->conn,
		                   "SELECT exchange.release_lease($1::int, $2, $3::bigint)", 3,
		                   NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't')
			mlog(LOG_INFO, "released the lease (epoch %" PRId64 ")", l->epoch);
		else
		{
			mlog(LOG_WARN, "could not release the lease (epoch %" PRId64 "): %s",
			     l->epoch,
			     PQresultStatus(res) == PGRES_TUPLES_OK ? "not held by this node any more"
			                                            : PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	PQfinish(l->conn);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->wake);
	free(l);
	return rc;
}
