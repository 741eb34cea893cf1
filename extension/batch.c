/*
 * batch.c
 *		The journal batch codec: bytea batches (include/exchange_wire.h) to
 *		journal rows and back.
 *
 * append_batch() hands the daemon's batch to batch_summary(), which checks the
 * sequencing rules of a batch, and to batch_rows(), which turns it into rows for
 * one INSERT ... SELECT: one statement however many records, and no text parsing
 * of numbers on the way in.  encode_batch() is the inverse, used by read_batch()
 * so that the daemon can replay and compare bytes.
 *
 * Columns are found by name and enumeration labels by name, so the SQL types may
 * gain columns or labels in later versions without breaking the wire numbers.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "../daemon/pipeline/jsonkv.h"
#include "batch.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_batch_summary);
PG_FUNCTION_INFO_V1(exchange_batch_rows);
PG_FUNCTION_INFO_V1(exchange_encode_batch);

/* ---- labels of the SQL enumerations, indexed by wire number ---------------- */

const char *const exchange_kind_labels[PGX_KIND__COUNT] = {
    NULL, "new_order", "cancel_order", "amend_order", "add_symbol", "open_account",
    "market_open", "market_close", "halt", "resume", "accepted", "rejected", "trade",
    "canceled", "amended", "expired",
    /* 1.2: the order manager's commands */
    "set_kyc", "suspend_account", "resume_account", "deposit", "withdraw",
    "credit_shares", "debit_shares", "set_account_limits", "set_symbol_limits",
    /* 1.8: a mass cancel; the sequencer's expiry of a good-till-date order */
    "mass_cancel", "expire_order",
    /* 1.9: an event, a stop order's trigger reached */
    "triggered"};
const char *const exchange_side_labels[PGX_SIDE__COUNT] = {NULL, "buy", "sell"};
const char *const exchange_type_labels[PGX_TYPE__COUNT] = {NULL, "limit", "market",
                                                           "stop", "stop_limit"};
const char *const exchange_tif_labels[PGX_TIF__COUNT] = {
    NULL, "day", "gtc", "ioc", "fok", "gtd", "at_open", "at_close"};
const char *const exchange_status_labels[PGX_STATUS__COUNT] = {
    NULL, "new", "partially_filled", "filled", "canceled", "rejected", "expired"};

#define MAX_ENUM_LABELS PGX_KIND__COUNT

static const char *const enum_columns[E__COUNT] = {"kind", "side", "order_type",
                                                   "time_in_force", "status"};
static const char *const int_columns[PGX_F__COUNT] = {
    "order_id",         "price", "quantity", "remaining", "contra_order_id",
    "contra_remaining", "amount"};
static const char *const str_columns[PGX_S__COUNT] = {
    "symbol", "account", "contra_account", "reason", "client_order_id", "detail"};

static int
find_column(TupleDesc td, const char *name, bool required)
{
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i;
	}
	if (required)
		elog(ERROR, "journal row type has no column \"%s\"", name);
	return -1;
}

static void
build_enum_map(EnumMap *map, Oid enum_type, const char *const *labels, int nlabels)
{
	map->labels = labels;
	map->nlabels = nlabels;
	map->values[0] = InvalidOid;
	for (int i = 1; i < nlabels; i++)
	{
		HeapTuple tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(enum_type),
		                                CStringGetDatum(labels[i]));

		/*
		 * A label of a later version than the database's (the library was
		 * installed, ALTER EXTENSION UPDATE not yet run) maps to InvalidOid:
		 * records of the older kinds still read and write.
		 */
		if (!HeapTupleIsValid(tup))
		{
			map->values[i] = InvalidOid;
			continue;
		}
		map->values[i] = ((Form_pg_enum)GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
}

/* The wire number of an enum value, or 0 when it is not one of ours. */
static uint8
enum_to_wire(const EnumMap *map, Oid value)
{
	for (int i = 1; i < map->nlabels; i++)
		if (OidIsValid(map->values[i]) && map->values[i] == value)
			return (uint8)i;
	return 0;
}

Layout *
journal_layout(TupleDesc td, MemoryContext mcxt)
{
	static const char *const *const label_sets[E__COUNT] = {
	    exchange_kind_labels, exchange_side_labels, exchange_type_labels,
	    exchange_tif_labels, exchange_status_labels};
	static const int label_counts[E__COUNT] = {PGX_KIND__COUNT, PGX_SIDE__COUNT,
	                                           PGX_TYPE__COUNT, PGX_TIF__COUNT,
	                                           PGX_STATUS__COUNT};
	Layout *l = MemoryContextAllocZero(mcxt, sizeof(Layout));

	l->tupdesc = td;
	l->natts = td->natts;
	l->att_stream = find_column(td, "stream", false);
	l->att_epoch = find_column(td, "epoch", false);
	l->att_seq = find_column(td, "seq", true);
	l->att_idx = find_column(td, "idx", true);
	l->att_day = find_column(td, "trading_day", true);
	l->att_ts = find_column(td, "ts", true);
	l->att_post_only = find_column(td, "post_only", false);
	l->att_expire_time = find_column(td, "expire_time", false);
	for (int i = 0; i < E__COUNT; i++)
	{
		l->att_enum[i] = find_column(td, enum_columns[i], true);
		build_enum_map(&l->enums[i], TupleDescAttr(td, l->att_enum[i])->atttypid,
		               label_sets[i], label_counts[i]);
	}
	for (int i = 0; i < PGX_F__COUNT; i++)
		l->att_int[i] = find_column(td, int_columns[i], true);
	for (int i = 0; i < PGX_S__COUNT; i++)
		l->att_str[i] = find_column(td, str_columns[i], true);
	return l;
}

/* ---- reading a batch with its sequencing rules ----------------------------- */

static void
pg_attribute_noreturn()
    malformed(const BatchReader *r, const pgx_record *rec, const char *why)
{
	if (rec)
		ereport(ERROR, (errcode(ERRCODE_PGX_MALFORMED_BATCH),
		                errmsg("malformed journal batch: %s", why),
		                errdetail("At record %u of %u (seq " INT64_FORMAT ", idx %d).",
		                          r->n + 1, r->count, rec->seq, rec->idx)));
	ereport(
	    ERROR,
	    (errcode(ERRCODE_PGX_MALFORMED_BATCH), errmsg("malformed journal batch: %s", why),
	     errdetail("At record %u of %u, byte offset %zu.", r->n + 1, r->count, r->off)));
}

/* The decoder's ranges are PostgreSQL's (batch_decode.h). */
StaticAssertDecl(PGX_TS_MIN == MIN_TIMESTAMP && PGX_TS_END == END_TIMESTAMP,
                 "timestamptz range");
StaticAssertDecl(PGX_DATE_MIN == DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE &&
                     PGX_DATE_END == DATE_END_JULIAN - POSTGRES_EPOCH_JDATE,
                 "date range");

void
batch_reader_init(BatchReader *r, bytea *batch)
{
	const char *why = pgx_batch_reader_init(r, (const uint8 *)VARDATA_ANY(batch),
	                                        VARSIZE_ANY_EXHDR(batch));

	if (why != NULL)
		malformed(r, NULL, why);
}

/*
 * Reads the next record into *rec (false at the end), raising PX005 when the
 * bytes or the sequencing rules (pgx_batch_reader_next) are wrong.
 */
bool
batch_reader_next(BatchReader *r, pgx_record *rec)
{
	const char *why;
	bool rec_known;
	int rc = pgx_batch_reader_next(r, rec, &why, &rec_known);

	if (rc < 0)
		malformed(r, rec_known ? rec : NULL, why);
	return rc > 0;
}

/* ---- batch_summary(batch bytea) ---------------------------------------------- */

/* Validates a batch (PX005) and summarises it. */
void
batch_summarize(bytea *batch, BatchSummary *out)
{
	BatchReader r;
	pgx_record rec;

	memset(out, 0, sizeof(*out));
	batch_reader_init(&r, batch);
	while (batch_reader_next(&r, &rec))
	{
		if (rec.idx != 0)
			continue;
		if (out->commands++ == 0)
		{
			out->first_seq = rec.seq;
			out->first_day = rec.trading_day;
		}
		/* every command but an order's changes something project_reference_data keeps */
		if (!pgx_kind_is_order_command(rec.kind))
			out->reference_data = true;
	}
	out->last_seq = r.prev.seq;
	out->records = (int32)r.n;
	out->last_day = r.prev.trading_day;
	out->last_ts = r.prev.ts;
}

Datum
exchange_batch_summary(PG_FUNCTION_ARGS)
{
	BatchSummary sum;
	TupleDesc td;
	Datum values[8];
	bool nulls[8] = {0};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "batch_summary must return a composite");
	td = BlessTupleDesc(td);
	batch_summarize(PG_GETARG_BYTEA_PP(0), &sum);
	values[0] = Int64GetDatum(sum.first_seq);
	values[1] = Int64GetDatum(sum.last_seq);
	values[2] = Int32GetDatum(sum.commands);
	values[3] = Int32GetDatum(sum.records);
	values[4] = DateADTGetDatum(sum.first_day);
	values[5] = DateADTGetDatum(sum.last_day);
	values[6] = TimestampTzGetDatum(sum.last_ts);
	values[7] = BoolGetDatum(sum.reference_data);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/* ---- batch_rows(batch bytea, stream int, epoch bigint) ----------------------- */

static Datum
string_datum(const pgx_str *s, bool is_json)
{
	pg_verify_mbstr(GetDatabaseEncoding(), s->ptr, s->len, false);
	if (is_json)
		return DirectFunctionCall1(json_in, CStringGetDatum(pnstrdup(s->ptr, s->len)));
	return PointerGetDatum(cstring_to_text_with_len(s->ptr, s->len));
}

/*
 * The typed columns of a new order's options (1.8): post_only true when its
 * detail says so (NULL otherwise), expire_time from the detail's
 * microseconds.  The detail stays the record's truth (it travels in the
 * batch); these are derived from it, so encoding a row ignores them.  A
 * detail matchd could not have written leaves them NULL.
 */
static void
order_option_values(const Layout *l, pgx_str detail, Datum *values, bool *nulls)
{
	int post_only;
	int64_t expire_time;

	if (l->att_post_only >= 0 &&
	    jkv_bool(detail, PGX_DETAIL_POST_ONLY, &post_only) == JKV_FOUND && post_only)
	{
		values[l->att_post_only] = BoolGetDatum(true);
		nulls[l->att_post_only] = false;
	}
	if (l->att_expire_time >= 0 &&
	    jkv_int(detail, PGX_DETAIL_EXPIRE_TIME, &expire_time) == JKV_FOUND &&
	    IS_VALID_TIMESTAMP(expire_time))
	{
		values[l->att_expire_time] = TimestampTzGetDatum(expire_time);
		nulls[l->att_expire_time] = false;
	}
}

/*
 * Fills values/nulls (natts long) with the journal row of rec.  Strings are
 * allocated in the current memory context.
 */
void
journal_values(const Layout *l, const pgx_record *rec, int32 stream, int64 epoch,
               Datum *values, bool *nulls)
{
	uint8 enum_wire[E__COUNT] = {rec->kind, rec->side, rec->order_type,
	                             rec->time_in_force, rec->status};

	memset(nulls, true, sizeof(bool) * l->natts);
	values[l->att_stream] = Int32GetDatum(stream);
	values[l->att_epoch] = Int64GetDatum(epoch);
	values[l->att_seq] = Int64GetDatum(rec->seq);
	values[l->att_idx] = Int32GetDatum(rec->idx);
	values[l->att_day] = DateADTGetDatum(rec->trading_day);
	values[l->att_ts] = TimestampTzGetDatum(rec->ts);
	nulls[l->att_stream] = nulls[l->att_epoch] = nulls[l->att_seq] = false;
	nulls[l->att_idx] = nulls[l->att_day] = nulls[l->att_ts] = false;
	for (int i = 0; i < E__COUNT; i++)
	{
		if (enum_wire[i] == 0)
			continue;
		if (!OidIsValid(l->enums[i].values[enum_wire[i]]))
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			         errmsg("%s \"%s\" of seq " INT64_FORMAT
			                " is not known to this database's exchange extension",
			                enum_columns[i], l->enums[i].labels[enum_wire[i]], rec->seq),
			         errhint("Run ALTER EXTENSION exchange UPDATE.")));
		values[l->att_enum[i]] = ObjectIdGetDatum(l->enums[i].values[enum_wire[i]]);
		nulls[l->att_enum[i]] = false;
	}
	for (int i = 0; i < PGX_F__COUNT; i++)
	{
		if (!((rec->present >> i) & 1))
			continue;
		values[l->att_int[i]] = Int64GetDatum(rec->ints[i]);
		nulls[l->att_int[i]] = false;
	}
	for (int i = 0; i < PGX_S__COUNT; i++)
	{
		if (rec->strs[i].len == PGX_STR_NULL)
			continue;
		values[l->att_str[i]] = string_datum(&rec->strs[i], i == PGX_S_DETAIL);
		nulls[l->att_str[i]] = false;
	}
	if (rec->kind == PGX_KIND_NEW_ORDER && rec->strs[PGX_S_DETAIL].len != PGX_STR_NULL)
		order_option_values(l, rec->strs[PGX_S_DETAIL], values, nulls);
}

Datum
exchange_batch_rows(PG_FUNCTION_ARGS)
{
	bytea *batch = PG_GETARG_BYTEA_PP(0);
	int32 stream = PG_GETARG_INT32(1);
	int64 epoch = PG_GETARG_INT64(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Layout *l;
	BatchReader r;
	pgx_record rec;
	Datum *values;
	bool *nulls;
	MemoryContext tmp;

	InitMaterializedSRF(fcinfo, 0);
	l = journal_layout(rsinfo->setDesc, CurrentMemoryContext);
	if (l->att_stream < 0 || l->att_epoch < 0)
		elog(ERROR, "batch_rows must return exchange.journal rows");
	values = palloc(sizeof(Datum) * l->natts);
	nulls = palloc(sizeof(bool) * l->natts);
	tmp =
	    AllocSetContextCreate(CurrentMemoryContext, "batch_rows", ALLOCSET_DEFAULT_SIZES);

	batch_reader_init(&r, batch);
	while (batch_reader_next(&r, &rec))
	{
		MemoryContext old = MemoryContextSwitchTo(tmp);
		journal_values(l, &rec, stream, epoch, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
	}
	MemoryContextDelete(tmp);
	return (Datum)0;
}

/* ---- encode_batch(records exchange.journal_record[]) ------------------------- */

static void
pg_attribute_noreturn() bad_record(int n, const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("cannot encode journal record %d: %s", n + 1, why)));
}

static int64
required_int(const Layout *l, const Datum *values, const bool *nulls, int att, int n,
             const char *name)
{
	if (nulls[att])
		bad_record(n, psprintf("%s must not be NULL", name));
	switch (TupleDescAttr(l->tupdesc, att)->atttypid)
	{
		case INT4OID:
			return DatumGetInt32(values[att]);
		case DATEOID:
			return DatumGetDateADT(values[att]);
		default:
			return DatumGetInt64(values[att]);
	}
}

/*
 * The wire record (without stream and epoch) of a row of exchange.journal or
 * exchange.journal_record laid out as l, given deformed (heap_deform_tuple);
 * strings point into the row.  n numbers the record in errors.
 */
void
journal_record_from_values(const Layout *l, const Datum *values, const bool *nulls, int n,
                           pgx_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = required_int(l, values, nulls, l->att_seq, n, "seq");
	rec->idx = (int32)required_int(l, values, nulls, l->att_idx, n, "idx");
	rec->trading_day =
	    (int32)required_int(l, values, nulls, l->att_day, n, "trading_day");
	rec->ts = required_int(l, values, nulls, l->att_ts, n, "ts");
	for (int i = 0; i < E__COUNT; i++)
	{
		bool isnull = nulls[l->att_enum[i]];
		uint8 w =
		    isnull ? 0
		           : enum_to_wire(&l->enums[i], DatumGetObjectId(values[l->att_enum[i]]));

		if (!isnull && w == 0)
			bad_record(n, psprintf("%s has a value this version cannot encode",
			                       enum_columns[i]));
		if (i == E_KIND && w == 0)
			bad_record(n, "kind must not be NULL");
		switch (i)
		{
			case E_KIND:
				rec->kind = w;
				break;
			case E_SIDE:
				rec->side = w;
				break;
			case E_TYPE:
				rec->order_type = w;
				break;
			case E_TIF:
				rec->time_in_force = w;
				break;
			case E_STATUS:
				rec->status = w;
				break;
		}
	}
	for (int i = 0; i < PGX_F__COUNT; i++)
	{
		if (!nulls[l->att_int[i]])
		{
			rec->ints[i] = DatumGetInt64(values[l->att_int[i]]);
			rec->present |= (uint8)(1u << i);
		}
	}
	for (int i = 0; i < PGX_S__COUNT; i++)
	{
		rec->strs[i].len = PGX_STR_NULL;
		if (!nulls[l->att_str[i]])
		{
			text *t = DatumGetTextPP(values[l->att_str[i]]);
			size_t len = VARSIZE_ANY_EXHDR(t);

			if (len > PGX_STR_MAX)
				bad_record(n, psprintf("%s is longer than %u bytes", str_columns[i],
				                       PGX_STR_MAX));
			rec->strs[i].ptr = VARDATA_ANY(t);
			rec->strs[i].len = (uint16)len;
		}
	}
}

Datum
exchange_encode_batch(PG_FUNCTION_ARGS)
{
	ArrayType *arr = PG_GETARG_ARRAYTYPE_P(0);
	Oid elemtype = ARR_ELEMTYPE(arr);
	TupleDesc td;
	Layout *l;
	Datum *elems;
	bool *elem_nulls;
	int nelems;
	pgx_record *recs;
	Datum *values;
	bool *nulls;
	size_t total = VARHDRSZ + PGX_BATCH_HEADER;
	bytea *result;
	uint8 *p;
	int16 typlen;
	bool typbyval;
	char typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &elem_nulls,
	                  &nelems);
	td = lookup_rowtype_tupdesc_copy(elemtype, -1);
	l = journal_layout(td, CurrentMemoryContext);
	values = palloc(sizeof(Datum) * td->natts);
	nulls = palloc(sizeof(bool) * td->natts);
	recs = palloc0(sizeof(pgx_record) * Max(nelems, 1));

	for (int n = 0; n < nelems; n++)
	{
		pgx_record *rec = &recs[n];
		HeapTupleHeader hdr;
		HeapTupleData tup;
		size_t size;

		if (elem_nulls[n])
			bad_record(n, "the record is NULL");
		hdr = DatumGetHeapTupleHeader(elems[n]);
		tup.t_len = HeapTupleHeaderGetDatumLength(hdr);
		tup.t_data = hdr;
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;

		heap_deform_tuple(&tup, td, values, nulls);
		journal_record_from_values(l, values, nulls, n, rec);
		size = pgx_record_size(rec);
		if (size > PGX_RECORD_MAX)
			bad_record(n, "the record is longer than 65535 bytes");
		total += size;
	}
	if (total > MaxAllocSize)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("journal batch of %d records is too large", nelems)));

	result = palloc(total);
	SET_VARSIZE(result, total);
	p = (uint8 *)VARDATA(result);
	pgx_encode_header(p, (uint32)nelems);
	p += PGX_BATCH_HEADER;
	for (int n = 0; n < nelems; n++)
		p += pgx_encode_record(p, &recs[n]);
	Assert(p == (uint8 *)result + total);
	PG_RETURN_BYTEA_P(result);
}
