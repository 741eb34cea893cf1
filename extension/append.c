/*
 * append.c
 *		exchange.append_batch(stream, epoch, first_seq, batch, wallets) in C
 *		(1.8): the sequencer's append, one pass over the batch.
 *
 * What the PL/pgSQL body of 1.1 to 1.7 did, in the same order and with the
 * same errors, without its dozen statements' parse/plan/executor start per
 * batch: the stream's row locked (FOR UPDATE: appends to one stream
 * serialize, so commit order is seq order) and the fencing checks; the batch
 * validated and summarised (batch_summarize); the day partitions created only
 * when missing (journal_partition, by SPI); the rows written
 * (journal_insert_batch); the wallet projection, the day counters, the
 * reference-data projection (by SPI, only when the batch has such commands),
 * the notifications, the candles; the stream's position; the exchange_journal
 * notification.  The three statements that remain are prepared once per
 * backend.  Declared SECURITY DEFINER with a fixed search_path in SQL, as the
 * PL/pgSQL version was.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "access/xact.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "batch.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_append_batch);

/* the C functions append_batch drives, called directly */
extern PGDLLEXPORT Datum exchange_project_wallets(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum exchange_publish_batch(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum exchange_project_candles(PG_FUNCTION_ARGS);

typedef struct Stmt
{
	const char *sql;
	int nargs;
	Oid argtypes[6];
	SPIPlanPtr plan;
} Stmt;

static Stmt lock_stream = {
    "SELECT name, epoch, last_seq, last_trading_day FROM exchange.streams "
    "WHERE stream OPERATOR(pg_catalog.=) $1 FOR UPDATE",
    1,
    {INT4OID}};
static Stmt count_day = {
    "INSERT INTO exchange.journal_days AS j VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (stream, trading_day) DO UPDATE "
    "SET last_seq = excluded.last_seq, "
    "commands = j.commands OPERATOR(pg_catalog.+) excluded.commands, "
    "records = j.records OPERATOR(pg_catalog.+) excluded.records",
    6,
    {INT4OID, DATEOID, INT8OID, INT8OID, INT8OID, INT8OID}};
static Stmt count_days = {
    "INSERT INTO exchange.journal_days AS j "
    "SELECT $1, trading_day, min(seq), max(seq), "
    "count(*) FILTER (WHERE idx OPERATOR(pg_catalog.=) 0), count(*) "
    "FROM exchange.journal WHERE stream OPERATOR(pg_catalog.=) $1 "
    "AND seq BETWEEN $2 AND $3 GROUP BY trading_day "
    "ON CONFLICT (stream, trading_day) DO UPDATE "
    "SET last_seq = excluded.last_seq, "
    "commands = j.commands OPERATOR(pg_catalog.+) excluded.commands, "
    "records = j.records OPERATOR(pg_catalog.+) excluded.records",
    3,
    {INT4OID, INT8OID, INT8OID}};
static Stmt move_stream = {
    "UPDATE exchange.streams SET last_seq = $2, "
    "records = records OPERATOR(pg_catalog.+) $3, last_trading_day = $4, last_ts = $5, "
    "appended_at = pg_catalog.now() WHERE stream OPERATOR(pg_catalog.=) $1",
    5,
    {INT4OID, INT8OID, INT8OID, DATEOID, TIMESTAMPTZOID}};
static Stmt make_partition = {"SELECT exchange.journal_partition($1)", 1, {DATEOID}};
static Stmt project_reference = {
    "SELECT exchange.project_reference_data($1, $2, $3)", 3, {INT4OID, INT8OID, INT8OID}};

/* Runs a prepared statement (prepared on first use, kept); SPI's result code. */
static int
run(Stmt *s, Datum *args, int expect, long limit)
{
	int rc;

	if (s->plan == NULL)
	{
		SPIPlanPtr plan = SPI_prepare(s->sql, s->nargs, s->argtypes);

		if (plan == NULL)
			elog(ERROR, "append_batch: SPI_prepare failed: %s",
			     SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		s->plan = plan;
	}
	rc = SPI_execute_plan(s->plan, args, NULL, false, limit);
	if (rc != expect)
		elog(ERROR, "append_batch: \"%s\" failed: %s", s->sql,
		     SPI_result_code_string(rc));
	return rc;
}

/*
 * Calls a C projection as a statement of its own, as PERFORM did: it sees
 * what the statements before it wrote (a symbol listed in this batch).
 */
static void
project(PGFunction fn, Datum a, Datum b)
{
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	DirectFunctionCall2(fn, a, b);
	PopActiveSnapshot();
}

/* Whether the journal and candles_1m partitions of a day both exist. */
static bool
partitions_exist(Oid nsp, DateADT day)
{
	char journal[NAMEDATALEN], candles[NAMEDATALEN];
	int y, m, d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	snprintf(journal, sizeof(journal), "journal_%04d%02d%02d", y, m, d);
	snprintf(candles, sizeof(candles), "candles_1m_%04d%02d%02d", y, m, d);
	return OidIsValid(get_relname_relid(journal, nsp)) &&
	       OidIsValid(get_relname_relid(candles, nsp));
}

Datum
exchange_append_batch(PG_FUNCTION_ARGS)
{
	int32 stream;
	int64 epoch, first_seq, s_epoch, s_last_seq;
	bytea *batch, *wallets = NULL;
	bool isnull, day_isnull;
	DateADT s_day = 0;
	char *name;
	BatchSummary b;
	Oid nsp = get_namespace_oid("exchange", false);
	Datum args[6];
	HeapTuple row;
	TupleDesc td;
	char payload[160];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("append_batch: arguments must not be NULL")));
	stream = PG_GETARG_INT32(0);
	epoch = PG_GETARG_INT64(1);
	first_seq = PG_GETARG_INT64(2);
	batch = PG_GETARG_BYTEA_PP(3);
	if (!PG_ARGISNULL(4))
		wallets = PG_GETARG_BYTEA_PP(4);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "append_batch: SPI_connect failed");

	/* Appends to one stream serialize here, so commit order is seq order. */
	args[0] = Int32GetDatum(stream);
	run(&lock_stream, args, SPI_OK_SELECT, 0);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_STREAM),
		                errmsg("stream %d does not exist", stream),
		                errhint("Call exchange.take_over_stream() first.")));
	row = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	name = SPI_getvalue(row, td, 1);
	s_epoch = DatumGetInt64(SPI_getbinval(row, td, 2, &isnull));
	s_last_seq = DatumGetInt64(SPI_getbinval(row, td, 3, &isnull));
	{
		Datum d = SPI_getbinval(row, td, 4, &day_isnull);

		if (!day_isnull)
			s_day = DatumGetDateADT(d);
	}
	if (epoch < s_epoch)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_STALE_EPOCH),
		         errmsg("stale epoch " INT64_FORMAT " for stream \"%s\": the stream is "
		                "at epoch " INT64_FORMAT,
		                epoch, name, s_epoch),
		         errdetail("Another writer took the stream over; this writer is "
		                   "fenced off.")));
	if (epoch != s_epoch)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_STALE_EPOCH),
		         errmsg("epoch " INT64_FORMAT " for stream \"%s\" was never issued: "
		                "the stream is at epoch " INT64_FORMAT,
		                epoch, name, s_epoch),
		         errhint("Call exchange.take_over_stream() for an epoch.")));
	if (first_seq <= s_last_seq)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_DUPLICATE_SEQ),
		         errmsg("duplicate seq " INT64_FORMAT ": stream \"%s\" has committed "
		                "up to seq " INT64_FORMAT,
		                first_seq, name, s_last_seq)));
	if (first_seq > s_last_seq + 1)
		ereport(ERROR, (errcode(ERRCODE_PGX_SEQ_GAP),
		                errmsg("seq gap: batch starts at seq " INT64_FORMAT " but stream "
		                       "\"%s\" expects seq " INT64_FORMAT,
		                       first_seq, name, s_last_seq + 1)));

	batch_summarize(batch, &b);
	if (b.first_seq != first_seq)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		         errmsg("malformed journal batch: first record has seq " INT64_FORMAT
		                ", the call says " INT64_FORMAT,
		                b.first_seq, first_seq)));
	if (!day_isnull && b.first_day < s_day)
		ereport(ERROR, (errcode(ERRCODE_PGX_DAY_REGRESSION),
		                errmsg("trading day %s is before the stream's current day %s",
		                       DatumGetCString(DirectFunctionCall1(
		                           date_out, DateADTGetDatum(b.first_day))),
		                       DatumGetCString(DirectFunctionCall1(
		                           date_out, DateADTGetDatum(s_day))))));

	/* the day partitions, created when missing (an archived day: PX006) */
	for (DateADT day = b.first_day; day <= b.last_day; day++)
		if (!partitions_exist(nsp, day))
		{
			args[0] = DateADTGetDatum(day);
			run(&make_partition, args, SPI_OK_SELECT, 0);
		}

	journal_insert_batch(batch, stream, epoch, nsp);

	/* matchd's wallets after the batch (absolute values), in the same transaction */
	if (wallets != NULL)
		project(exchange_project_wallets, Int32GetDatum(stream),
		        PointerGetDatum(wallets));

	args[0] = Int32GetDatum(stream);
	if (b.first_day == b.last_day)
	{
		args[1] = DateADTGetDatum(b.first_day);
		args[2] = Int64GetDatum(b.first_seq);
		args[3] = Int64GetDatum(b.last_seq);
		args[4] = Int64GetDatum((int64)b.commands);
		args[5] = Int64GetDatum((int64)b.records);
		run(&count_day, args, SPI_OK_INSERT, 0);
	}
	else
	{
		args[1] = Int64GetDatum(b.first_seq);
		args[2] = Int64GetDatum(b.last_seq);
		run(&count_days, args, SPI_OK_INSERT, 0);
	}

	if (b.reference_data)
	{
		args[1] = Int64GetDatum(b.first_seq);
		args[2] = Int64GetDatum(b.last_seq);
		run(&project_reference, args, SPI_OK_SELECT, 0);
	}

	/*
	 * Executions and book changes, after the projection so that a symbol
	 * listed in this batch has its book version; then the trades into the
	 * 1-minute candles (a symbol listed here has its tick size).  Delivered
	 * or visible at commit like the rest.
	 */
	project(exchange_publish_batch, PointerGetDatum(batch), Int32GetDatum(stream));
	project(exchange_project_candles, Int32GetDatum(stream), PointerGetDatum(batch));

	args[1] = Int64GetDatum(b.last_seq);
	args[2] = Int64GetDatum((int64)b.records);
	args[3] = DateADTGetDatum(b.last_day);
	args[4] = TimestampTzGetDatum(b.last_ts);
	run(&move_stream, args, SPI_OK_UPDATE, 0);
	SPI_finish();

	/* Delivered exactly when this transaction commits, never before (as
	 * json_build_object renders it). */
	snprintf(payload, sizeof(payload),
	         "{\"stream\" : %d, \"epoch\" : " INT64_FORMAT
	         ", \"first_seq\" : " INT64_FORMAT ", \"last_seq\" : " INT64_FORMAT "}",
	         stream, epoch, b.first_seq, b.last_seq);
	Async_Notify("exchange_journal", payload);
	PG_RETURN_INT64(b.last_seq);
}
