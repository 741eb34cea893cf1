/*
 * journal_append.c
 *		Journal append throughput through the sequencer, against a plain INSERT.
 *
 * For batches of 1, 100 and 10,000 records it appends through
 * exchange.append_batch() (binary parameters, one call per batch, one
 * transaction per batch: the daemon's group commit) and, in the same run on the
 * same connection, inserts the same records with one multi-row INSERT per batch
 * into an identical table without indexes.  Rounds alternate between the two so
 * that noise on this shared machine hits both alike; each figure is the median of
 * the rounds.  Connection settings come from the usual PG* variables.
 *
 * Prints "BENCH <name> <value> <unit>" lines:
 *	journal_append_b<N>			 events/s through append_batch
 *	plain_insert_b<N>			 events/s through the multi-row INSERT
 *	journal_append_vs_plain_b<N> throughput ratio (1.0 = as fast as the plain insert)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "exchange_wire.h"

#define POSTGRES_EPOCH_UNIX_US INT64_C(946684800000000)

static PGconn *conn;

static void
die(const char *what, PGresult *res)
{
	fprintf(stderr, "journal_append: %s: %s", what,
	        res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	exit(1);
}

static void
exec_ok(const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, res);
	PQclear(res);
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The records of one batch: commands and their events as the engine writes
 * them; a new order followed by its acceptance, with realistic field widths.
 */
typedef struct Batch
{
	int nrec;
	pgx_record *recs;
	char (*accounts)[16];
	uint8_t *wire;
	size_t wire_len;
	char *insert_sql;
} Batch;

static void
fill_batch(Batch *b, int nrec, int64_t first_seq, int32_t day, int64_t ts0)
{
	static const char *symbols[] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOG"};
	int64_t seq = first_seq - 1;

	b->nrec = nrec;
	for (int i = 0; i < nrec; i++)
	{
		pgx_record *r = &b->recs[i];
		int idx = (i % 2 == 0) ? 0 : 1;

		memset(r, 0, sizeof(*r));
		if (idx == 0)
			seq++;
		snprintf(b->accounts[i], sizeof(b->accounts[i]), "acct-%04" PRId64, seq % 1000);
		r->seq = seq;
		r->idx = idx;
		r->trading_day = day;
		r->ts = ts0 + seq;
		r->strs[PGX_S_SYMBOL].ptr = symbols[seq % 5];
		r->strs[PGX_S_SYMBOL].len = (uint16_t)strlen(symbols[seq % 5]);
		r->strs[PGX_S_ACCOUNT].ptr = b->accounts[i];
		r->strs[PGX_S_ACCOUNT].len = (uint16_t)strlen(b->accounts[i]);
		for (int s = PGX_S_CONTRA_ACCOUNT; s < PGX_S__COUNT; s++)
			r->strs[s].len = PGX_STR_NULL;
		r->ints[PGX_F_ORDER_ID] = seq;
		r->ints[PGX_F_PRICE] = 10000 + seq % 50;
		r->ints[PGX_F_QUANTITY] = 100 * (1 + seq % 5);
		r->present =
		    (1u << PGX_F_ORDER_ID) | (1u << PGX_F_PRICE) | (1u << PGX_F_QUANTITY);
		if (idx == 0)
		{
			r->kind = PGX_KIND_NEW_ORDER;
			r->side = (uint8_t)(1 + seq % 2);
			r->order_type = PGX_TYPE_LIMIT;
			r->time_in_force = PGX_TIF_DAY;
		}
		else
		{
			r->kind = PGX_KIND_ACCEPTED;
			r->status = PGX_STATUS_NEW;
			r->ints[PGX_F_REMAINING] = r->ints[PGX_F_QUANTITY];
			r->present |= 1u << PGX_F_REMAINING;
		}
	}
}

/* The batch in the wire format, for append_batch. */
static void
encode_wire(Batch *b)
{
	size_t off = PGX_BATCH_HEADER;

	pgx_encode_header(b->wire, (uint32_t)b->nrec);
	for (int i = 0; i < b->nrec; i++)
		off += pgx_encode_record(b->wire + off, &b->recs[i]);
	b->wire_len = off;
}

/* The same rows as one multi-row INSERT, for the baseline. */
static void
build_insert_sql(Batch *b)
{
	int nrec = b->nrec;
	size_t sql_cap, sql_len = 0;

	sql_cap = 128 + (size_t)nrec * 256;
	b->insert_sql = realloc(b->insert_sql, sql_cap);
	sql_len +=
	    (size_t)snprintf(b->insert_sql, sql_cap, "INSERT INTO bench_plain VALUES ");
	for (int i = 0; i < nrec; i++)
	{
		const pgx_record *r = &b->recs[i];
		static const char *kinds[] = {
		    [PGX_KIND_NEW_ORDER] = "new_order", [PGX_KIND_ACCEPTED] = "accepted"};
		char side[16] = "NULL", type[16] = "NULL", tif[16] = "NULL", status[16] = "NULL",
		     remaining[24] = "NULL";

		if (r->side)
			snprintf(side, sizeof(side), "'%s'",
			         r->side == PGX_SIDE_BUY ? "buy" : "sell");
		if (r->order_type)
			snprintf(type, sizeof(type), "'limit'");
		if (r->time_in_force)
			snprintf(tif, sizeof(tif), "'day'");
		if (r->status)
			snprintf(status, sizeof(status), "'new'");
		if ((r->present >> PGX_F_REMAINING) & 1)
			snprintf(remaining, sizeof(remaining), "%" PRId64, r->ints[PGX_F_REMAINING]);
		sql_len += (size_t)snprintf(
		    b->insert_sql + sql_len, sql_cap - sql_len,
		    "%s(1,%" PRId64 ",%d,1,'%s','%s','%s','%.*s','%s',%" PRId64
		    ",%s,%s,%s,%" PRId64 ",%" PRId64 ",%s,%s,NULL,NULL,NULL,NULL,NULL,NULL,NULL)",
		    i ? "," : "", r->seq, r->idx, "2026-11-23", "2026-11-23 14:30:00+00",
		    kinds[r->kind], r->strs[PGX_S_SYMBOL].len, r->strs[PGX_S_SYMBOL].ptr,
		    b->accounts[i], r->ints[PGX_F_ORDER_ID], side, type, tif,
		    r->ints[PGX_F_PRICE], r->ints[PGX_F_QUANTITY], remaining, status);
	}
}

static int64_t
append_once(int stream, int64_t epoch, int64_t first_seq, const Batch *b)
{
	uint32_t stream_be = htobe32((uint32_t)stream);
	uint64_t epoch_be = htobe64((uint64_t)epoch), seq_be = htobe64((uint64_t)first_seq);
	const char *values[4] = {(const char *)&stream_be, (const char *)&epoch_be,
	                         (const char *)&seq_be, (const char *)b->wire};
	int lengths[4] = {4, 8, 8, (int)b->wire_len};
	int formats[4] = {1, 1, 1, 1};
	PGresult *res = PQexecPrepared(conn, "append", 4, values, lengths, formats, 0);
	int64_t last;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("append_batch", res);
	last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return last;
}

int
main(int argc, char **argv)
{
	const char *mode = getenv("BENCH_MODE");
	bool long_mode = mode && strcmp(mode, "long") == 0;
	int sizes[] = {1, 100, 10000};
	/* records per round for each batch size: enough batches to time reliably */
	int per_round_short[] = {400, 20000, 100000};
	int per_round_long[] = {2000, 100000, 1000000};
	int rounds = long_mode ? 7 : 3; /* medians of 3 in short mode */
	int stream;
	int64_t epoch, seq = 0;
	int32_t day = 9823; /* 2026-11-23 as days since 2000-01-01 */
	int64_t ts0 = INT64_C(848759400000000);
	PGresult *res;
	Batch b = {0};

	(void)argc;
	(void)argv;
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
		die("connect", NULL);
	exec_ok("SET client_min_messages = warning");
	exec_ok("DROP TABLE IF EXISTS bench_plain");
	/* identical columns, no indexes, no partitioning */
	exec_ok("CREATE TABLE bench_plain (LIKE exchange.journal)");
	res = PQexec(conn, "SELECT stream, epoch, last_seq FROM "
	                   "exchange.take_over_stream('bench_' || pg_backend_pid())");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("take_over_stream", res);
	stream = atoi(PQgetvalue(res, 0, 0));
	epoch = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	seq = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	res = PQprepare(conn, "append", "SELECT exchange.append_batch($1, $2, $3, $4)", 4,
	                NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("prepare", res);
	PQclear(res);

	b.recs = calloc(10000, sizeof(pgx_record));
	b.accounts = calloc(10000, sizeof(*b.accounts));
	b.wire = malloc(PGX_BATCH_HEADER + 10000 * 256);

	for (int s = 0; s < 3; s++)
	{
		int size = sizes[s];
		int nbatches = (long_mode ? per_round_long[s] : per_round_short[s]) / size;
		double journal_rate[16], plain_rate[16], ratio[16];

		/* warm up both paths (partition creation, plan caching) */
		fill_batch(&b, size, seq + 1, day, ts0);
		encode_wire(&b);
		seq = append_once(stream, epoch, seq + 1, &b);
		build_insert_sql(&b);
		exec_ok(b.insert_sql);

		for (int r = 0; r < rounds; r++)
		{
			double t0, t_journal = 0, t_plain = 0;

			for (int i = 0; i < nbatches; i++)
			{
				/* encoding is the client's cost and part of each path */
				t0 = now_sec();
				fill_batch(&b, size, seq + 1, day, ts0);
				encode_wire(&b);
				seq = append_once(stream, epoch, seq + 1, &b);
				t_journal += now_sec() - t0;

				t0 = now_sec();
				fill_batch(&b, size, seq + 1, day, ts0);
				build_insert_sql(&b);
				exec_ok(b.insert_sql);
				t_plain += now_sec() - t0;
			}
			journal_rate[r] = (double)nbatches * size / t_journal;
			plain_rate[r] = (double)nbatches * size / t_plain;
			ratio[r] = journal_rate[r] / plain_rate[r];
		}
		printf("BENCH journal_append_b%d %.0f events/s\n", size,
		       median(journal_rate, rounds));
		printf("BENCH plain_insert_b%d %.0f events/s\n", size,
		       median(plain_rate, rounds));
		printf("BENCH journal_append_vs_plain_b%d %.2f x\n", size, median(ratio, rounds));
		fflush(stdout);
	}

	exec_ok("DROP TABLE bench_plain");
	PQfinish(conn);
	return 0;
}
