/*
 * pg_failover_client.c - brokers that keep submitting and cancelling orders while
 * the drill kills the PostgreSQL primary (regress/chaos/pg_failover.sh).  An
 * adaptation of regress/e2e/crash_client.c that stamps every line with the wall
 * clock (CLOCK_REALTIME, ms), so that the drill can tell what was acknowledged
 * before and after the kill:
 *
 *	ACK <order_id> <filled_quantity> <status> <ms> <port>   (submit_order answered
 *	                                                  by the server on that port)
 *	CANCELED <order_id> <ms>                         (cancel_order answered)
 *	ERR <ms> <sqlstate or "conn">                    (anything else; never an ack)
 *
 * Connections come from the PG* environment (the pg-ha env file: both nodes'
 * sockets with PGTARGETSESSIONATTRS=read-write, so libpq finds the primary); a
 * lost connection is reopened every 50 ms until it succeeds.
 * Usage: pg_failover_client SECONDS THREADS OUTFILE
 * It stops after SECONDS, or earlier once the file OUTFILE.stop exists (the
 * drill decides when it has seen enough, not a fixed duration).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static int seconds, threads;
static char stopfile[4096];
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static long acks, errors, reconnects;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static PGconn *
connect_broker(double end)
{
	const char *keys[] = {"user", "connect_timeout", NULL};
	const char *vals[] = {"chaos_broker", "2", NULL};

	for (;;)
	{
		PGconn *c = PQconnectdbParams(keys, vals, 0);

		if (PQstatus(c) == CONNECTION_OK || now() >= end)
			return c;
		PQfinish(c);
		usleep(50000);
	}
}

static void
note(const char *line)
{
	pthread_mutex_lock(&out_lock);
	fputs(line, out);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

static void *
worker(void *arg)
{
	int me = (int)(long)arg;
	char account[16], qty[16], price[16], id[32];
	const char *side;
	long open_ids[64];
	int nopen = 0;
	unsigned seed = (unsigned)me * 7919u + 1;
	double end = now() + seconds;
	PGconn *c = connect_broker(end);

	snprintf(account, sizeof(account), "CH%d", me);
	while (now() < end && access(stopfile, F_OK) != 0)
	{
		const char *params[5];
		PGresult *r;
		char line[160];
		int cancel = nopen > 0 && rand_r(&seed) % 4 == 0;

		if (cancel)
		{
			int k = rand_r(&seed) % nopen;

			snprintf(id, sizeof(id), "%ld", open_ids[k]);
			open_ids[k] = open_ids[--nopen];
			params[0] = account;
			params[1] = id;
			r = PQexecParams(c,
			                 "SELECT status FROM exchange.cancel_order($1, $2::bigint)",
			                 2, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(r) == PGRES_TUPLES_OK)
			{
				snprintf(line, sizeof(line), "CANCELED %s %lld\n", id, wall_ms());
				note(line);
			}
		}
		else
		{
			side = rand_r(&seed) % 2 ? "buy" : "sell";
			snprintf(qty, sizeof(qty), "%d", 1 + rand_r(&seed) % 20);
			snprintf(price, sizeof(price), "%d.%02d", 99 + rand_r(&seed) % 3,
			         rand_r(&seed) % 100);
			params[0] = account;
			params[1] = side;
			params[2] = qty;
			params[3] = price;
			r = PQexecParams(
			    c,
			    "SELECT id, filled_quantity, status, remaining_quantity FROM "
			    "exchange.submit_order($1, 'CHAOS', $2::exchange.side, $3::bigint, "
			    "$4::numeric)",
			    4, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(r) == PGRES_TUPLES_OK)
			{
				snprintf(line, sizeof(line), "ACK %s %s %s %lld %s\n", PQgetvalue(r, 0, 0),
				         PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), wall_ms(), PQport(c));
				note(line);
				if (atol(PQgetvalue(r, 0, 3)) > 0 && nopen < 64)
					open_ids[nopen++] = atol(PQgetvalue(r, 0, 0));
			}
		}
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			snprintf(line, sizeof(line), "ERR %lld %s\n", wall_ms(), state ? state : "conn");
			note(line);
		}
		pthread_mutex_lock(&out_lock);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			acks++;
		else
			errors++;
		pthread_mutex_unlock(&out_lock);
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK)
		{
			PQfinish(c);
			c = connect_broker(end);
			pthread_mutex_lock(&out_lock);
			reconnects++;
			pthread_mutex_unlock(&out_lock);
		}
	}
	PQfinish(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[64];

	if (argc != 4 || (seconds = atoi(argv[1])) <= 0 || (threads = atoi(argv[2])) <= 0 ||
	    threads > 64)
	{
		fprintf(stderr, "usage: pg_failover_client SECONDS THREADS OUTFILE\n");
		return 2;
	}
	snprintf(stopfile, sizeof(stopfile), "%s.stop", argv[3]);
	if ((out = fopen(argv[3], "w")) == NULL)
		return perror(argv[3]), 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(long)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	fclose(out);
	printf("pg_failover_client: %ld acknowledged, %ld errors, %ld reconnects\n", acks, errors,
	       reconnects);
	return acks > 0 ? 0 : 1;
}
