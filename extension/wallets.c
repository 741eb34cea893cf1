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

#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_project_wallets);
PG_FUNCTION_INFO_V1(exchange_encode_wallets);

static const char *const asset_labels[] = {NULL, "cash", "shares", "fees"};

/* ---- project_wallets(p_stream int, p_wallets bytea) ------------------------------ */

typedef struct Entry
{
	pgx_wallet_entry e;
	uint32 position; /* in the buffer: the later entry of a wallet wins */
} Entry;

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
valid_text(const pgx_str *s)
{
	return s->len != PGX_STR_NULL && s->len > 0 &&
	       pg_verify_mbstr(GetDatabaseEncoding(), s->ptr, s->len, true);
}

static int
compare_str(const pgx_str *a, const pgx_str *b)
{
	int alen = a->len == PGX_STR_NULL ? -1 : a->len;
	int blen = b->len == PGX_STR_NULL ? -1 : b->len;
	int c;

	if (alen < 0 || blen < 0)
		return (alen > blen) - (alen < blen);
	c = memcmp(a->ptr, b->ptr, Min(alen, blen));
	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* by wallet (asset, account, code), then by position in the buffer */
static int
compare_entries(const void *x, const void *y)
{
	const Entry *a = x;
	const Entry *b = y;
	int c;

	if (a->e.asset != b->e.asset)
		return a->e.asset < b->e.asset ? -1 : 1;
	if ((c = compare_str(&a->e.account, &b->e.account)) != 0)
		return c;
	if ((c = compare_str(&a->e.code, &b->e.code)) != 0)
		return c;
	return (a->position > b->position) - (a->position < b->position);
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
	const uint8 *end = p + VARSIZE_ANY_EXHDR(buf);
	uint32 count;
	Entry *entries;
	int n = 0;

	if (!pgx_decode_wallets_header(p, (size_t)(end - p), &count))
		ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		                errmsg("malformed wallet projection: %s",
		                       end - p < PGX_WALLETS_HEADER ? "truncated header"
		                                                    : "bad magic (not PWL1)")));
	p += PGX_WALLETS_HEADER;
	/* each entry has at least 1 + 2 + 2 + 24 bytes: the count cannot lie by much */
	if ((uint64)count * 29 > (uint64)(end - p))
		ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		                errmsg("malformed wallet projection: %u entries announced in %zu "
		                       "bytes",
		                       count, (size_t)(end - p))));
	entries = palloc(sizeof(Entry) * Max(count, 1));
	for (uint32 i = 0; i < count; i++)
	{
		pgx_wallet_entry *e = &entries[i].e;

		if (!pgx_decode_wallet_entry(&p, end, e))
			malformed(i, count, "entry is truncated or of an unknown asset");
		entries[i].position = i;
		if (!valid_text(&e->code))
			malformed(i, count, "code is missing or not valid text");
		if (e->asset == PGX_ASSET_FEES)
		{
			if (e->account.len != PGX_STR_NULL)
				malformed(i, count, "a fee entry has an account");
			if (e->held != 0)
				malformed(i, count, "a fee entry holds an amount");
		}
		else if (!valid_text(&e->account))
			malformed(i, count, "account is missing or not valid text");
	}
	if (p != end)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		         errmsg("malformed wallet projection: bytes after the last entry")));
	if (count == 0)
		PG_RETURN_INT32(0);

	/* one entry per wallet, the latest */
	qsort(entries, count, sizeof(Entry), compare_entries);
	for (uint32 i = 0; i < count; i++)
	{
		if (i + 1 < count && entries[i].e.asset == entries[i + 1].e.asset &&
		    compare_str(&entries[i].e.account, &entries[i + 1].e.account) == 0 &&
		    compare_str(&entries[i].e.code, &entries[i + 1].e.code) == 0)
			continue;
		entries[n++] = entries[i];
	}

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
