/*
 * crash_client.c - keeps submitting and cancelling orders from several
 * connections while the test kills matchd or restarts PostgreSQL, and writes
 * down every acknowledgement:
 *
 *	ACK <order_id> <filled_quantity> <status>      (submit_order answered)
 *	CANCELED <order_id>                            (cancel_order answered)
 *
 * Errors (PX040 unavailable, PX041 fate unknown, lost connections) are
 * counted by SQLSTATE, never written as acknowledgements; the test then
 * checks the journal against the file.  Usage: crash_client SECONDS THREADS
 * OUTFILE.  It stops at SIGTERM (the test decides when the drill is over) or
 * after SECONDS at the latest, so a test never waits on a fixed duration.
 *
 * Like a real broker it backs off for a moment when matchd is unavailable
 * (PX040): a loop that retries at once only starves the machine (and the
 * restarting matchd's replay) of CPU.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static int seconds, threads;
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static long acks, errors, reconnects;
static volatile sig_atomic_t stopping;

/* errors by SQLSTATE (the first kinds seen), printed at the end */
#define MAX_KINDS 16
static struct
{
	char sqlstate[6];
	long count;
	char example[160];
} kinds[MAX_KINDS];
static int nkinds;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* under out_lock */
static void
count_error(const PGresult *r)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	int k;

	if (st == NULL)
		st = "conn";
	for (k = 0; k < nkinds; k++)
		if (strcmp(kinds[k].sqlstate, st) == 0)
			break;
	if (k == nkinds)
	{
		if (nkinds == MAX_KINDS)
			return;
		snprintf(kinds[k].sqlstate, sizeof(kinds[k].sqlstate), "%s", st);
		snprintf(kinds[k].example, sizeof(kinds[k].example), "%s", PQresultErrorMessage(r));
		kinds[k].example[strcspn(kinds[k].example, "\n")] = '\0';
		nkinds++;
	}
	kinds[k].count++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static PGconn *
connect_broker(void)
{
	const char *keys[] = {"user", NULL};
	const char *vals[] = {"crash_broker", NULL};

	for (;;)
	{
		PGconn *c = PQconnectdbParams(keys, vals, 0);

		if (PQstatus(c) == CONNECTION_OK)
			return c;
		PQfinish(c);
		usleep(100000);
	}
}

static void
note(const char *line)
{
	pthread_mutex_lock(&out_lock);
	fputs(line, out);
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
	PGconn *c = connect_broker();
	double end = now() + seconds;

	snprintf(account, sizeof(account), "CR%d", me);
	while (!stopping && now() < end)
	{
		const char *params[5];
		PGresult *r;
		char line[128];
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
				snprintf(line, sizeof(line), "CANCELED %s\n", id);
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
			    "exchange.submit_order($1, 'CRASH', $2::exchange.side, $3::bigint, "
			    "$4::numeric)",
			    4, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(r) == PGRES_TUPLES_OK)
			{
				snprintf(line, sizeof(line), "ACK %s %s %s\n", PQgetvalue(r, 0, 0),
				         PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
				note(line);
				if (atol(PQgetvalue(r, 0, 3)) > 0 && nopen < 64)
					open_ids[nopen++] = atol(PQgetvalue(r, 0, 0));
			}
		}
		pthread_mutex_lock(&out_lock);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			acks++;
		else
		{
			errors++;
			count_error(r);
		}
		pthread_mutex_unlock(&out_lock);
		{
			const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			if (st != NULL && strcmp(st, "PX040") == 0)
				usleep(5000);
		}
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK)
		{
			PQfinish(c);
			c = connect_broker();
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
		fprintf(stderr, "usage: crash_client SECONDS THREADS OUTFILE\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	if ((out = fopen(argv[3], "w")) == NULL)
		return perror(argv[3]), 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(long)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	fclose(out);
	printf("crash_client: %ld acknowledged, %ld errors, %ld reconnects\n", acks, errors,
	       reconnects);
	for (int k = 0; k < nkinds; k++)
		printf("  %s x %ld: %s\n", kinds[k].sqlstate, kinds[k].count, kinds[k].example);
	return acks > 0 ? 0 : 1;
}
