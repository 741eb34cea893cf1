/*
 * candle_projection.c
 *		The 1-minute candles, exchange.candles_1m, kept by append_batch() in the
 *		transaction that appends the trades.
 *
 * project_candles() reads the batch once, keeps its trades (kind trade,
 * idx > 0: one row per execution, however many sides it has), looks up the
 * tick size of their symbols in one statement, builds one candle per symbol
 * UTC minute and trading day in C, and writes them with one INSERT ... ON CONFLICT DO
 * UPDATE that merges a minute already begun by an earlier batch
 * (candle_merge is exact, so the result is the candle of all the minute's
 * trades whatever the batches were).  A batch without trades costs one pass
 * over its records and no statement.
 *
 * Since 1.5 candles_1m is partitioned by trading day like the journal, so
 * that a closed day's candles are archived with its journal; a minute whose
 * trades straddle a close and the next open (two trading days) is two rows,
 * which exchange.candles() rolls up exactly.
 *
 * A trade's price is ticks * tick_size of its symbol, as
 * exchange.ticks_to_price() computes it; its seq in the candle is the
 * execution id of its taker side, seq * 2^21 + idx * 2 (execution_log.id),
 * which orders the trades of one command.  A trade is left out when its
 * symbol is not listed in the stream (exchange.symbols.stream: no tick size)
 * or when it lacks a positive price or quantity; exchange.candles() reads the
 * journal with the same rules.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "batch.h"
#include "candle.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_project_candles);

#define MINUTE_USECS INT64CONST(60000000)
/* execution id = seq * 2^21 + idx * 2 (+ 1 for the maker's side) */
#define EXECUTION_ID_SEQ_FACTOR INT64CONST(2097152)

typedef struct Symbol
{
	char name[NAMEDATALEN]; /* hash key */
	int index;
	bool listed; /* in exchange.symbols of the stream, with a usable tick size */
	int scale;   /* the tick size as tick * 10^-scale */
	int64 tick;
} Symbol;

typedef struct Trade
{
	Symbol *symbol;
	TimestampTz ts;
	int32 day; /* trading day, days since 2000-01-01 (DateADT) */
	int64 id;  /* execution id, the candle's seq */
	int64 seq;
	int64 ticks;
	int64 quantity;
} Trade;

typedef struct MinuteKey
{
	int32 symbol; /* Symbol.index */
	int32 day;    /* trading day (DateADT) */
	TimestampTz bucket;
} MinuteKey;

typedef struct Minute
{
	MinuteKey key; /* hash key */
	Symbol *symbol;
	Candle candle;
	int64 last_seq;
} Minute;

static SPIPlanPtr tick_plan = NULL;
static SPIPlanPtr upsert_plan = NULL;
static Oid upsert_plan_type = InvalidOid;
static bool upsert_plan_by_day = false;

/* the OID of exchange.candle (looked up each call: the extension may be recreated) */
static Oid
candle_type(void)
{
	Oid nsp = get_namespace_oid("exchange", false);
	Oid typ = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("candle"),
	                          ObjectIdGetDatum(nsp));

	if (!OidIsValid(typ))
		elog(ERROR, "type exchange.candle does not exist");
	return typ;
}

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

/* Sets listed, scale and tick of every symbol listed in the stream. */
static void
lookup_ticks(int32 stream, Symbol **symbols, int nsymbols)
{
	Datum *names = palloc(sizeof(Datum) * nsymbols);
	Datum args[2];
	int rc;

	if (tick_plan == NULL)
	{
		Oid argtypes[2] = {INT4OID, TEXTARRAYOID};

		tick_plan = prepare("SELECT s.symbol, s.tick_size FROM exchange.symbols s "
		                    "WHERE s.stream OPERATOR(pg_catalog.=) $1 "
		                    "AND s.symbol OPERATOR(pg_catalog.=) ANY ($2)",
		                    2, argtypes);
	}
	for (int i = 0; i < nsymbols; i++)
		names[i] = CStringGetTextDatum(symbols[i]->name);
	args[0] = Int32GetDatum(stream);
	args[1] = PointerGetDatum(construct_array(names, nsymbols, TEXTOID, -1, false, 'i'));
	rc = SPI_execute_plan(tick_plan, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading tick sizes failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple tup = SPI_tuptable->vals[r];
		char *name = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		bool isnull;
		Datum tick = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

		for (int i = 0; i < nsymbols; i++)
			if (strcmp(symbols[i]->name, name) == 0 && !isnull)
				symbols[i]->listed =
				    candle_decode_numeric(tick, &symbols[i]->tick, &symbols[i]->scale) ==
				    CANDLE_NUMERIC_OK;
	}
}

/* A hash table in the current memory context (kind: HASH_STRINGS or HASH_BLOBS). */
static HTAB *
local_hash(const char *name, Size keysize, Size entrysize, int kind)
{
	HASHCTL ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | kind | HASH_CONTEXT);
}

static int
compare_minutes(const void *a, const void *b)
{
	const Minute *x = *(Minute *const *)a;
	const Minute *y = *(Minute *const *)b;
	int c = strcmp(x->symbol->name, y->symbol->name);

	if (c != 0)
		return c;
	if (x->key.bucket != y->key.bucket)
		return (x->key.bucket > y->key.bucket) - (x->key.bucket < y->key.bucket);
	return (x->key.day > y->key.day) - (x->key.day < y->key.day);
}

/* INSERT ... ON CONFLICT of the batch's minutes, in (symbol, bucket, day) order. */
static void
write_minutes(int32 stream, Minute **minutes, int n)
{
	Oid typ = candle_type();
	Datum *names = palloc(sizeof(Datum) * n);
	Datum *buckets = palloc(sizeof(Datum) * n);
	Datum *days = palloc(sizeof(Datum) * n);
	Datum *candles = palloc(sizeof(Datum) * n);
	Datum *seqs = palloc(sizeof(Datum) * n);
	Datum args[6];
	bool by_day;
	int rc;

	/*
	 * Until ALTER EXTENSION UPDATE reaches 1.5, candles_1m has no trading_day
	 * (and this library may already be the new one): write what the installed
	 * table has.
	 */
	by_day =
	    get_attnum(get_relname_relid("candles_1m", get_namespace_oid("exchange", false)),
	               "trading_day") != InvalidAttrNumber;
	if (upsert_plan == NULL || upsert_plan_type != typ || upsert_plan_by_day != by_day)
	{
		Oid argtypes[6] = {
		    INT4OID,      TEXTARRAYOID, TIMESTAMPTZARRAYOID, get_array_type(typ),
		    INT8ARRAYOID, DATEARRAYOID};

		if (upsert_plan != NULL)
			SPI_freeplan(upsert_plan);
		upsert_plan = NULL;
		upsert_plan =
		    by_day ? prepare(
		                 "INSERT INTO exchange.candles_1m AS c "
		                 "(stream, symbol, bucket, trading_day, candle, updated_seq) "
		                 "SELECT $1, u.symbol, u.bucket, u.day, u.candle, u.seq "
		                 "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), "
		                 "pg_catalog.unnest($6), pg_catalog.unnest($4), "
		                 "pg_catalog.unnest($5)) "
		                 "AS u (symbol, bucket, day, candle, seq) "
		                 "ON CONFLICT (stream, symbol, bucket, trading_day) DO UPDATE "
		                 "SET candle = exchange.candle_merge(c.candle, excluded.candle), "
		                 "updated_seq = excluded.updated_seq",
		                 6, argtypes)
		           : prepare(
		                 "INSERT INTO exchange.candles_1m AS c "
		                 "(stream, symbol, bucket, candle, updated_seq) "
		                 "SELECT $1, u.symbol, u.bucket, u.candle, u.seq "
		                 "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), "
		                 "pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u (symbol, "
		                 "bucket, "
		                 "candle, seq) "
		                 "ON CONFLICT (stream, symbol, bucket) DO UPDATE "
		                 "SET candle = exchange.candle_merge(c.candle, excluded.candle), "
		                 "updated_seq = excluded.updated_seq",
		                 5, argtypes);
		upsert_plan_type = typ;
		upsert_plan_by_day = by_day;
	}
	for (int i = 0; i < n; i++)
	{
		names[i] = CStringGetTextDatum(minutes[i]->symbol->name);
		buckets[i] = TimestampTzGetDatum(minutes[i]->key.bucket);
		days[i] = DateADTGetDatum(minutes[i]->key.day);
		candles[i] = PointerGetDatum(candle_pack(&minutes[i]->candle));
		seqs[i] = Int64GetDatum(minutes[i]->last_seq);
	}
	args[0] = Int32GetDatum(stream);
	args[1] = PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, 'i'));
	args[2] = PointerGetDatum(
	    construct_array(buckets, n, TIMESTAMPTZOID, sizeof(int64), FLOAT8PASSBYVAL, 'd'));
	args[3] = PointerGetDatum(construct_array(candles, n, typ, -1, false, 'd'));
	args[4] = PointerGetDatum(
	    construct_array(seqs, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, 'd'));
	args[5] =
	    PointerGetDatum(construct_array(days, n, DATEOID, sizeof(DateADT), true, 'i'));
	rc = SPI_execute_plan(upsert_plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "writing the 1-minute candles failed: %s",
		     SPI_result_code_string(rc));
}

/* The trade of rec, or false when it is not one a candle counts. */
static bool
read_trade(const pgx_record *rec, HTAB *symbols, int *nsymbols, Trade *t)
{
	const pgx_str *sym = &rec->strs[PGX_S_SYMBOL];
	char name[NAMEDATALEN];
	bool found;
	Symbol *s;

	if (rec->kind != PGX_KIND_TRADE || rec->idx == 0)
		return false;
	if (!((rec->present >> PGX_F_PRICE) & 1) || !((rec->present >> PGX_F_QUANTITY) & 1) ||
	    rec->ints[PGX_F_PRICE] <= 0 || rec->ints[PGX_F_QUANTITY] <= 0)
		return false;
	/* a listed symbol has at most 16 characters */
	if (sym->len == PGX_STR_NULL || sym->len == 0 || sym->len >= NAMEDATALEN ||
	    memchr(sym->ptr, '\0', sym->len) != NULL)
		return false;
	memcpy(name, sym->ptr, sym->len);
	name[sym->len] = '\0';
	s = hash_search(symbols, name, HASH_ENTER, &found);
	if (!found)
	{
		s->index = (*nsymbols)++;
		s->listed = false;
	}
	t->symbol = s;
	t->ts = rec->ts;
	t->day = rec->trading_day;
	t->seq = rec->seq;
	t->ticks = rec->ints[PGX_F_PRICE];
	t->quantity = rec->ints[PGX_F_QUANTITY];
	if (pg_mul_s64_overflow(rec->seq, EXECUTION_ID_SEQ_FACTOR, &t->id) ||
	    pg_add_s64_overflow(t->id, (int64)rec->idx * 2, &t->id))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("seq " INT64_FORMAT " is too large for an execution id",
		                       rec->seq)));
	return true;
}

/*
 * project_candles(p_stream int, p_batch bytea) returns int
 *
 * Merges the batch's trades into exchange.candles_1m and returns the number
 * of (symbol, minute) rows written.  Internal to append_batch(), which has
 * validated the batch; granted to no one.
 */
Datum
exchange_project_candles(PG_FUNCTION_ARGS)
{
	int32 stream = PG_GETARG_INT32(0);
	bytea *batch = PG_GETARG_BYTEA_PP(1);
	BatchReader r;
	pgx_record rec;
	HTAB *symbols;
	HTAB *minute_table;
	HASH_SEQ_STATUS it;
	Symbol *s;
	Symbol **by_index;
	Minute *m;
	Minute **minutes;
	Trade *trades = NULL;
	int ntrades = 0;
	int capacity = 0;
	int nsymbols = 0;
	int nminutes = 0;

	symbols =
	    local_hash("project_candles symbols", NAMEDATALEN, sizeof(Symbol), HASH_STRINGS);
	batch_reader_init(&r, batch);
	while (batch_reader_next(&r, &rec))
	{
		Trade t;

		if (!read_trade(&rec, symbols, &nsymbols, &t))
			continue;
		if (ntrades == capacity)
		{
			capacity = capacity == 0 ? 64 : capacity * 2;
			trades = trades == NULL ? palloc(sizeof(Trade) * capacity)
			                        : repalloc(trades, sizeof(Trade) * capacity);
		}
		trades[ntrades++] = t;
	}
	if (ntrades == 0)
		PG_RETURN_INT32(0);

	by_index = palloc(sizeof(Symbol *) * nsymbols);
	hash_seq_init(&it, symbols);
	while ((s = hash_seq_search(&it)) != NULL)
		by_index[s->index] = s;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lookup_ticks(stream, by_index, nsymbols);

	minute_table = local_hash("project_candles minutes", sizeof(MinuteKey),
	                          sizeof(Minute), HASH_BLOBS);
	for (int i = 0; i < ntrades; i++)
	{
		const Trade *t = &trades[i];
		MinuteKey key;
		int64 price;
		bool found;

		if (!t->symbol->listed)
			continue;
		if (pg_mul_s64_overflow(t->ticks, t->symbol->tick, &price))
			ereport(ERROR,
			        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			         errmsg("price of " INT64_FORMAT " ticks of %s does not fit in a "
			                "candle",
			                t->ticks, t->symbol->name)));
		memset(&key, 0, sizeof(key));
		key.symbol = t->symbol->index;
		key.day = t->day;
		/* the UTC minute: TimestampTz counts microseconds from 2000-01-01 00:00 UTC */
		key.bucket = t->ts - ((t->ts % MINUTE_USECS) + MINUTE_USECS) % MINUTE_USECS;
		m = hash_search(minute_table, &key, HASH_ENTER, &found);
		if (!found)
		{
			m->symbol = t->symbol;
			m->last_seq = t->seq;
			candle_first(&m->candle, t->symbol->scale, price, t->quantity, t->ts, t->id);
			nminutes++;
			continue;
		}
		candle_add(&m->candle, t->symbol->scale, price, t->quantity, t->ts, t->id);
		m->last_seq = Max(m->last_seq, t->seq);
	}
	if (nminutes > 0)
	{
		int i = 0;

		minutes = palloc(sizeof(Minute *) * nminutes);
		hash_seq_init(&it, minute_table);
		while ((m = hash_seq_search(&it)) != NULL)
			minutes[i++] = m;
		/* rows are locked in one order by every writer */
		qsort(minutes, nminutes, sizeof(Minute *), compare_minutes);
		write_minutes(stream, minutes, nminutes);
	}
	SPI_finish();
	PG_RETURN_INT32(nminutes);
}
