/*
 * failover_client.c - brokers that keep trading through matchd failovers and
 * write down what they were told, for the drills to check against the
 * journal afterwards.
 *
 * Every order carries a client order id unique to the run ("<thread>-<n>").
 * Each thread logs, with the wall-clock time in ns (CLOCK_REALTIME, the
 * clock the drill stamps its kills with):
 *
 *	ACK <order_id> <client_order_id> <ns>         submit_order answered
 *	UNKNOWN <client_order_id> <ns>                PX041: sent, no answer
 *	FOUND <order_id> <client_order_id> <outcome>  ... and client_order() has it
 *	ABSENT <client_order_id>                      ... and it does not: sent again
 *	DUPLICATE <client_order_id>                   PX077 on a resubmission
 *
 * After PX041 the broker does what a real one must: look the order up by its
 * client order id, and only when it is absent send it again with the same id
 * (never a silent duplicate: matchd would refuse a used id with PX077).
 * Other errors (PX040 no leader, PX043, lost connections) are counted and
 * the order is dropped (it never reached a matchd that acted on it).
 *
 * Usage: failover_client SECONDS THREADS OUTFILE SYMBOL ACCOUNT_PREFIX
 * (connection from the PG* variables; the role is PGX_BROKER or "ha_broker").
 * It stops after SECONDS, or earlier once the file OUTFILE.stop exists.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static int seconds, threads;
static const char *symbol, *prefix;
static char stopfile[4096];
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static long acks, unknown, found, absent, duplicates, errors;

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static PGconn *
connect_broker(void)
{
	const char *keys[] = {"user", NULL};
	const char *vals[] = {getenv("PGX_BROKER") ? getenv("PGX_BROKER") : "ha_broker",
	                      NULL};

	for (;;)
	{
		PGconn *c = PQconnectdbParams(keys, vals, 1);

		if (PQstatus(c) == CONNECTION_OK)
			return c;
		PQfinish(c);
		usleep(50000);
	}
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

static void
count(long *what)
{
	pthread_mutex_lock(&out_lock);
	(*what)++;
	pthread_mutex_unlock(&out_lock);
}

static const char *
sqlstate(const PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s ? s : "";
}

/* Sends the order; returns its result (the caller clears it). */
static PGresult *
submit(PGconn *c, const char *account, const char *side, const char *qty,
       const char *price, const char *clordid)
{
	const char *params[6] = {account, symbol, side, qty, price, clordid};

	return PQexecParams(c,
	                    "SELECT id FROM exchange.submit_order($1, $2, $3::exchange.side, "
	                    "$4::bigint, $5::numeric, client_order_id => $6)",
	                    6, NULL, params, NULL, NULL, 0);
}

/* PX041: where is the order?  FOUND, or ABSENT and sent once more. */
static void
resolve_unknown(PGconn **c, const char *account, const char *side, const char *qty,
                const char *price, const char *clordid)
{
	const char *params[2] = {account, clordid};
	PGresult *r;

	for (int tries = 0;; tries++)
	{
		r = PQexecParams(*c,
		                 "SELECT order_id, outcome FROM exchange.client_order($1, $2)", 2,
		                 NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			break;
		PQclear(r);
		if (PQstatus(*c) != CONNECTION_OK)
		{
			PQfinish(*c);
			*c = connect_broker();
		}
		if (tries > 100)
			return;
		usleep(20000);
	}
	if (PQntuples(r) > 0)
	{
		note("FOUND %s %s %s\n", PQgetvalue(r, 0, 0), clordid, PQgetvalue(r, 0, 1));
		count(&found);
		PQclear(r);
		return;
	}
	PQclear(r);
	note("ABSENT %s\n", clordid);
	count(&absent);
	r = submit(*c, account, side, qty, price, clordid);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
	{
		note("ACK %s %s %lld\n", PQgetvalue(r, 0, 0), clordid, wall_ns());
		count(&acks);
	}
	else if (strcmp(sqlstate(r), "PX077") == 0)
	{
		note("DUPLICATE %s\n", clordid);
		count(&duplicates);
	}
	else
		count(&errors);
	PQclear(r);
}

static void *
worker(void *arg)
{
	int me = (int)(long)arg;
	char account[32], qty[16], price[16], clordid[32];
	unsigned seed = (unsigned)me * 7919u + 1;
	PGconn *c = connect_broker();
	double end = mono() + seconds;

	snprintf(account, sizeof(account), "%s%d", prefix, me);
	for (long n = 0; mono() < end && access(stopfile, F_OK) != 0; n++)
	{
		const char *side = rand_r(&seed) % 2 ? "buy" : "sell";
		PGresult *r;

		snprintf(qty, sizeof(qty), "%d", 1 + rand_r(&seed) % 20);
		snprintf(price, sizeof(price), "%d.%02d", 99 + rand_r(&seed) % 3,
		         rand_r(&seed) % 100);
		snprintf(clordid, sizeof(clordid), "%d-%ld", me, n);
		r = submit(c, account, side, qty, price, clordid);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
		{
			note("ACK %s %s %lld\n", PQgetvalue(r, 0, 0), clordid, wall_ns());
			count(&acks);
		}
		else if (strcmp(sqlstate(r), "PX041") == 0)
		{
			note("UNKNOWN %s %lld\n", clordid, wall_ns());
			count(&unknown);
			PQclear(r);
			r = NULL;
			resolve_unknown(&c, account, side, qty, price, clordid);
		}
		else
		{
			count(&errors);
			if (getenv("PGX_VERBOSE"))
				fprintf(stderr, "%s: %s", sqlstate(r), PQresultErrorMessage(r));
		}
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK)
		{
			PQfinish(c);
			c = connect_broker();
		}
	}
	PQfinish(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[64];

	if (argc != 6 || (seconds = atoi(argv[1])) <= 0 || (threads = atoi(argv[2])) <= 0 ||
	    threads > 64)
	{
		fprintf(stderr,
		        "usage: failover_client SECONDS THREADS OUTFILE SYMBOL ACCOUNT_PREFIX\n");
		return 2;
	}
	symbol = argv[4];
	prefix = argv[5];
	snprintf(stopfile, sizeof(stopfile), "%s.stop", argv[3]);
	if ((out = fopen(argv[3], "w")) == NULL)
		return perror(argv[3]), 2;
	setvbuf(out, NULL, _IOLBF, 0);
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(long)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	fclose(out);
	printf("failover_client: %ld acknowledged, %ld fate unknown (%ld found, %ld absent "
	       "and sent again, %ld refused as duplicates), %ld other errors\n",
	       acks, unknown, found, absent, duplicates, errors);
	return acks > 0 ? 0 : 1;
}
