/*
 * ha.c - shared helpers of the lease and the standby (see ha.h).
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ha.h"
#include "log.h"

#define PG_EPOCH_US 946684800000000LL

uint64_t
ha_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
ha_wall_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - PG_EPOCH_US;
}

PGconn *
ha_connect(const char *conninfo, const char *what, volatile int *stop)
{
	unsigned delay_ms = 50;

	for (int attempt = 1;; attempt++)
	{
		PGconn *conn = PQconnectdb(conninfo);

		if (PQstatus(conn) == CONNECTION_OK)
		{
			if (attempt > 1)
				mlog(LOG_INFO, "%s connection re-established after %d attempt(s)", what,
				     attempt);
			return conn;
		}
		if (attempt == 1 || attempt % 20 == 0)
			mlog(LOG_WARN, "%s: cannot connect (attempt %d): %s", what, attempt,
			     PQerrorMessage(conn));
		PQfinish(conn);
		if (stop && *stop)
			return NULL;
		usleep(delay_ms * 1000u);
		if (delay_ms < 1000)
			delay_ms *= 2;
	}
}

const char *
ha_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

int
ha_connection_lost(PGconn *conn, const PGresult *res)
{
	const char *s = ha_sqlstate(res);

	if (PQstatus(conn) == CONNECTION_BAD || *s == '\0')
		return 1;
	/* 08: connection exception; 57P01-03: shutdown, crash recovery, cannot
	 * connect now; 25006: read-only transaction (we reached a standby server) */
	return strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0 ||
	       strcmp(s, "25006") == 0;
}
