/*
 * wallets.c
 *		The wallet projection (PWL1, include/exchange_wire.h): with each journal
 *		batch matchd sends the final balances of every wallet entry the batch
 *		changed, and append_batch() writes them, in the same transaction, into
 *		exchange.wallets (cash), exchange.positions (shares) and
 *		exchange.fees_collected (fees per stream and currency).
 *
 * Values are absolute, so an entry applied twice is harmless.  This runs once
 * per batch on the hot path: the entries are decoded, reduced to one per
 * wallet (the last one of the buffer wins: it is the latest state), sorted
 * (so that writers always lock rows in the same order), and written with at
 * most three statements per batch, each one INSERT ... ON CONFLICT DO UPDATE
 * over ROWS FROM (unnest(), ...) of arrays, from plans prepared once per backend.
 *
 * encode_wallets() is the inverse, for tests and tools.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "batch_decode.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_project_wallets);
PG_FUNCTION_INFO_V1(exchange_encode_wallets);

static const char *const asset_labels[] = {NULL, "cash", "shares", "fees"};

/* ---- project_wallets(p_stream int, p_wallets bytea) ------------------------------ */

typedef pgx_wallet_slot Entry;

typedef struct Upsert
{
	const char *sql;
	int nargs;
	Oid argtypes[5];
	SPIPlanPtr plan;
} Upsert;

/* one statement per table; $n are arrays, one element per wallet */
static Upsert upserts[] = {
    [PGX_ASSET_CASH] =
        {"INSERT INTO exchange.wallets AS w "
         "(account, currency, available, held, updated_seq) "
         "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
         "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)) "
         "ON CONFLICT (account, currency) DO UPDATE "
         "SET available = excluded.available, held = excluded.held, "
         "updated_seq = excluded.updated_seq",
         5,
         {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}},
    [PGX_ASSET_SHARES] =
        {"INSERT INTO exchange.positions AS p "
         "(account, symbol, available, held, updated_seq) "
         "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), "
         "pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
         "pg_catalog.unnest($5)) "
         "ON CONFLICT (account, symbol) DO UPDATE "
         "SET available = excluded.available, held = excluded.held, "
         "updated_seq = excluded.updated_seq",
         5,
         {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}},
    [PGX_ASSET_FEES] =
        {"INSERT INTO exchange.fees_collected AS f "
         "(stream, currency, amount, updated_seq) "
         "SELECT $1, u.currency, u.amount, u.seq "
         "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), "
         "pg_catalog.unnest($4)) AS u (currency, amount, seq) "
         "ON CONFLICT (stream, currency) DO UPDATE "
         "SET amount = excluded.amount, updated_seq = excluded.updated_seq",
         4,
         {INT4OID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID}},
};

static void
pg_attribute_noreturn() malformed(uint32 n, uint32 count, const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
	                errmsg("malformed wallet projection: %s", why),
	                errdetail("At entry %u of %u.", n + 1, count)));
}

static bool
valid_text(const char *s, size_t len)
{
	return pg_verify_mbstr(GetDatabaseEncoding(), s, (int)len, true);
}

static Datum
text_datum(const pgx_str *s)
{
	return PointerGetDatum(cstring_to_text_with_len(s->ptr, s->len));
}

static Datum
array_of(Datum *elems, int n, Oid elemtype)
{
	if (elemtype == TEXTOID)
		return PointerGetDatum(
		    construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	return PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
	                                       FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Writes the wallets of one asset, entries[0..n) (one per wallet). */
static void
upsert(uint8 asset, int32 stream, const Entry *entries, int n)
{
	Upsert *u = &upserts[asset];
	Datum *cols[5];
	Datum args[5];
	int rc;

	for (int c = 0; c < 5; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		const pgx_wallet_entry *e = &entries[i].e;

		if (asset == PGX_ASSET_FEES)
		{
			cols[0][i] = text_datum(&e->code);
			cols[1][i] = Int64GetDatum(e->available);
			cols[2][i] = Int64GetDatum(e->seq);
			continue;
		}
		cols[0][i] = text_datum(&e->account);
		cols[1][i] = text_datum(&e->code);
		cols[2][i] = Int64GetDatum(e->available);
		cols[3][i] = Int64GetDatum(e->held);
		cols[4][i] = Int64GetDatum(e->seq);
	}
	if (asset == PGX_ASSET_FEES)
	{
		args[0] = Int32GetDatum(stream);
		args[1] = array_of(cols[0], n, TEXTOID);
		args[2] = array_of(cols[1], n, INT8OID);
		args[3] = array_of(cols[2], n, INT8OID);
	}
	else
	{
		args[0] = array_of(cols[0], n, TEXTOID);
		args[1] = array_of(cols[1], n, TEXTOID);
		args[2] = array_of(cols[2], n, INT8OID);
		args[3] = array_of(cols[3], n, INT8OID);
		args[4] = array_of(cols[4], n, INT8OID);
	}
	if (u->plan == NULL)
	{
		SPIPlanPtr plan = SPI_prepare(u->sql, u->nargs, u->argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		u->plan = plan;
	}
	rc = SPI_execute_plan(u->plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "writing the %s projection failed: %s", asset_labels[asset],
		     SPI_result_code_string(rc));
}

/*
 * project_wallets(p_stream int, p_wallets bytea) returns int
 *
 * Applies a PWL1 buffer (PX005 when malformed: nothing is written) and returns
 * the number of wallets written.  Internal to append_batch(), granted to no one.
 */
Datum
exchange_project_wallets(PG_FUNCTION_ARGS)
{
	int32 stream = PG_GETARG_INT32(0);
	bytea *buf = PG_GETARG_BYTEA_PP(1);
	const uint8 *p = (const uint8 *)VARDATA_ANY(buf);
	size_t len = VARSIZE_ANY_EXHDR(buf);
	size_t off;
	const char *why;
	uint32 count;
	Entry *entries;
	int n = 0;

	/* the decoding is PG-free (batch_decode.h); the checks raise PX005 here */
	if ((why = pgx_wallets_begin(p, len, &count, &off)) != NULL)
	{
		if (strcmp(why, "announced") == 0)
			ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
			                errmsg("malformed wallet projection: %u entries announced "
			                       "in %zu bytes",
			                       count, len - PGX_WALLETS_HEADER)));
		ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		                errmsg("malformed wallet projection: %s", why)));
	}
	entries = palloc(sizeof(Entry) * Max(count, 1));
	for (uint32 i = 0; i < count; i++)
	{
		if ((why = pgx_wallets_entry(p, len, &off, &entries[i].e, valid_text)) != NULL)
			malformed(i, count, why);
		entries[i].position = i;
	}
	if (off != len)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		         errmsg("malformed wallet projection: bytes after the last entry")));
	if (count == 0)
		PG_RETURN_INT32(0);

	/* one entry per wallet, the latest, sorted by wallet */
	n = (int)pgx_wallets_reduce(entries, count);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (int i = 0; i < n;)
	{
		int j = i;

		while (j < n && entries[j].e.asset == entries[i].e.asset)
			j++;
		upsert(entries[i].e.asset, stream, entries + i, j - i);
		i = j;
	}
	SPI_finish();
	PG_RETURN_INT32(n);
}

/* ---- encode_wallets(entries exchange.wallet_entry[]) ------------------------------ */

static void
pg_attribute_noreturn() bad_entry(int n, const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("cannot encode wallet entry %d: %s", n + 1, why)));
}

static pgx_str
entry_str(HeapTuple tup, TupleDesc td, int attno, int n, const char *name)
{
	bool isnull;
	Datum d = heap_getattr(tup, attno, td, &isnull);
	pgx_str s = {NULL, PGX_STR_NULL};
	text *t;

	if (isnull)
		return s;
	t = DatumGetTextPP(d);
	if (VARSIZE_ANY_EXHDR(t) > PGX_STR_MAX)
		bad_entry(n, psprintf("%s is longer than %u bytes", name, PGX_STR_MAX));
	s.ptr = VARDATA_ANY(t);
	s.len = (uint16)VARSIZE_ANY_EXHDR(t);
	return s;
}

static int64
entry_int(HeapTuple tup, TupleDesc td, int attno, int n, const char *name)
{
	bool isnull;
	Datum d = heap_getattr(tup, attno, td, &isnull);

	if (isnull)
		bad_entry(n, psprintf("%s must not be NULL", name));
	return DatumGetInt64(d);
}

/*
 * encode_wallets(entries exchange.wallet_entry[]) returns bytea
 *
 * The PWL1 buffer of the entries, in array order: what matchd sends with a
 * batch.  exchange.wallet_entry is (asset text, account text, code text,
 * available bigint, held bigint, seq bigint), asset one of cash, shares, fees.
 */
Datum
exchange_encode_wallets(PG_FUNCTION_ARGS)
{
	ArrayType *arr = PG_GETARG_ARRAYTYPE_P(0);
	Oid elemtype = ARR_ELEMTYPE(arr);
	TupleDesc td;
	Datum *elems;
	bool *elem_nulls;
	int nelems;
	pgx_wallet_entry *entries;
	size_t total = VARHDRSZ + PGX_WALLETS_HEADER;
	int16 typlen;
	bool typbyval;
	char typalign;
	bytea *result;
	uint8 *p;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &elem_nulls,
	                  &nelems);
	td = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (td->natts != 6)
		elog(ERROR, "wallet_entry must have 6 columns");
	entries = palloc0(sizeof(pgx_wallet_entry) * Max(nelems, 1));
	for (int n = 0; n < nelems; n++)
	{
		pgx_wallet_entry *e = &entries[n];
		HeapTupleHeader hdr;
		HeapTupleData tup;
		pgx_str asset;

		if (elem_nulls[n])
			bad_entry(n, "the entry is NULL");
		hdr = DatumGetHeapTupleHeader(elems[n]);
		tup.t_len = HeapTupleHeaderGetDatumLength(hdr);
		tup.t_data = hdr;
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;

		asset = entry_str(&tup, td, 1, n, "asset");
		for (int a = PGX_ASSET_CASH; a <= PGX_ASSET_FEES; a++)
			if (asset.len == strlen(asset_labels[a]) &&
			    memcmp(asset.ptr, asset_labels[a], asset.len) == 0)
				e->asset = (uint8)a;
		if (e->asset == 0)
			bad_entry(n, "asset must be cash, shares or fees");
		e->account = entry_str(&tup, td, 2, n, "account");
		e->code = entry_str(&tup, td, 3, n, "code");
		e->available = entry_int(&tup, td, 4, n, "available");
		e->held = entry_int(&tup, td, 5, n, "held");
		e->seq = entry_int(&tup, td, 6, n, "seq");
		total += pgx_wallet_entry_size(e);
	}
	if (total > MaxAllocSize)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("wallet projection of %d entries is too large", nelems)));
	result = palloc(total);
	SET_VARSIZE(result, total);
	p = (uint8 *)VARDATA(result);
	pgx_encode_wallets_header(p, (uint32)nelems);
	p += PGX_WALLETS_HEADER;
	for (int n = 0; n < nelems; n++)
		p += pgx_encode_wallet_entry(p, &entries[n]);
	Assert(p == (uint8 *)result + total);
	PG_RETURN_BYTEA_P(result);
}
