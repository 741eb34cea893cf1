/*
 * market_data.c
 *		The live book and recent candles of a symbol, asked of matchd.
 *
 * matchd holds the books in memory; these functions send it one market-data
 * query (include/exchange_wire.h) over the backend's connection and turn the
 * reply into rows.  Every reply carries as_of_seq: the state after the
 * commands up to that seq, which matchd sends only once they have committed,
 * so a snapshot never shows what the journal could still lose, and a
 * subscriber can apply the feed's increments with seq > as_of_seq to it.
 *
 * L3 shows every order's id (as the feed does) but an account only to the
 * brokers who own it and to the exchange's staff roles.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "exchange.h"
#include "matchd_client.h"
#include "order_entry.h"

PG_FUNCTION_INFO_V1(exchange_order_book_l1);
PG_FUNCTION_INFO_V1(exchange_order_book_l2);
PG_FUNCTION_INFO_V1(exchange_order_book_l3);
PG_FUNCTION_INFO_V1(exchange_order_book_l2_json);
PG_FUNCTION_INFO_V1(exchange_matchd_candles);

static const char *const status_labels[] = {"closed", "open", "halted"};

/*
 * Checks the arguments, asks matchd and returns the symbol's tick size.
 * symbol NULL: 22004; not listed: PX020 (before anything is sent); depth
 * outside 1..100000: 22023.
 */
static Numeric
ask_matchd(FunctionCallInfo fcinfo, uint8 what, bool has_depth, uint32 resolution,
           pgx_md_reply *reply)
{
	static const char *const whats[] = {NULL, "L1 query", "L2 query", "L3 query",
	                                    "candle query"};
	pgx_md_query q = {.what = what, .resolution = resolution};
	char *symbol;
	Numeric tick_size;
	int64 lot_size;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("symbol must not be NULL")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (has_depth)
	{
		int32 depth;

		if (PG_ARGISNULL(1))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("depth must not be NULL")));
		depth = PG_GETARG_INT32(1);
		if (depth < 1 || depth > PGX_MD_MAX_DEPTH)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("depth must be between 1 and %d, not %d",
			                       PGX_MD_MAX_DEPTH, depth)));
		q.depth = (uint32)depth;
	}
	if (!oe_lookup_symbol(oe_function_owner(fcinfo), symbol, &tick_size, &lot_size))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_SYMBOL),
		                errmsg("symbol \"%s\" does not exist", symbol)));
	q.symbol.ptr = symbol;
	q.symbol.len = (uint16)strlen(symbol);
	matchd_query(&q, whats[what], reply);
	return tick_size;
}

static Datum
price_datum(int64 ticks, Numeric tick_size)
{
	return NumericGetDatum(exchange_ticks_to_numeric(ticks, tick_size));
}

/* The OID of an enum label of the type of result column col. */
static Datum
enum_datum(TupleDesc td, int col, const char *label)
{
	Oid type = TupleDescAttr(td, col)->atttypid;
	HeapTuple tup =
	    SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(type), CStringGetDatum(label));
	Oid oid;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "enum type %u has no label \"%s\"", type, label);
	oid = ((Form_pg_enum)GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	return ObjectIdGetDatum(oid);
}

static void
pg_attribute_noreturn() malformed_rows(const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_PGX_PROTOCOL),
	                errmsg("malformed market-data reply from matchd: %s", why)));
}

/* ---- order_book_l1 ------------------------------------------------------------- */

/*
 * order_book_l1(symbol text) returns table (bid_price, bid_quantity, bid_orders,
 *		ask_price, ask_quantity, ask_orders, last_price, last_quantity, last_time,
 *		status, as_of_seq, as_of_time)
 */
Datum
exchange_order_book_l1(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	pgx_md_reply r;
	pgx_md_l1 l;
	const uint8 *p;
	Numeric tick;
	Datum values[12];
	bool nulls[12] = {0};

	InitMaterializedSRF(fcinfo, 0);
	tick = ask_matchd(fcinfo, PGX_MD_L1, false, 0, &r);
	p = r.row;
	if (r.rows != 1 || !pgx_decode_md_l1(&p, r.end, &l) || r.status > 2)
		malformed_rows("L1");
	/* a missing side or trade has price 0: the core never rests a price <= 0 */
	values[0] = price_datum(l.bid_price, tick);
	values[1] = Int64GetDatum(l.bid_qty);
	values[2] = Int32GetDatum((int32)l.bid_orders);
	nulls[0] = nulls[1] = nulls[2] = l.bid_price == 0;
	values[3] = price_datum(l.ask_price, tick);
	values[4] = Int64GetDatum(l.ask_qty);
	values[5] = Int32GetDatum((int32)l.ask_orders);
	nulls[3] = nulls[4] = nulls[5] = l.ask_price == 0;
	values[6] = price_datum(l.last_price, tick);
	values[7] = Int64GetDatum(l.last_qty);
	values[8] = TimestampTzGetDatum(l.last_ts);
	nulls[6] = nulls[7] = nulls[8] = l.last_seq == 0;
	values[9] = CStringGetTextDatum(status_labels[r.status]);
	values[10] = Int64GetDatum(r.as_of_seq);
	values[11] = TimestampTzGetDatum(r.as_of_ts);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum)0;
}

/* ---- order_book_l2 / order_book_l2_json ---------------------------------------- */

/*
 * order_book_l2(symbol text, depth int DEFAULT 10) returns table (side, level,
 *		price, quantity, order_count, as_of_seq): bids best first, then asks.
 */
Datum
exchange_order_book_l2(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	pgx_md_reply r;
	const uint8 *p;
	Numeric tick;
	Datum side[3];

	InitMaterializedSRF(fcinfo, 0);
	tick = ask_matchd(fcinfo, PGX_MD_L2, true, 0, &r);
	side[PGX_SIDE_BUY] = enum_datum(rsinfo->setDesc, 0, "buy");
	side[PGX_SIDE_SELL] = enum_datum(rsinfo->setDesc, 0, "sell");
	p = r.row;
	for (uint32 i = 0; i < r.rows; i++)
	{
		pgx_md_level l;
		Datum values[6];
		bool nulls[6] = {0};

		if (!pgx_decode_md_level(&p, r.end, &l))
			malformed_rows("L2 level");
		values[0] = side[l.side];
		values[1] = Int32GetDatum((int32)l.level);
		values[2] = price_datum(l.price, tick);
		values[3] = Int64GetDatum(l.qty);
		values[4] = Int32GetDatum((int32)l.orders);
		values[5] = Int64GetDatum(r.as_of_seq);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (p != r.end)
		malformed_rows("bytes after the last level");
	return (Datum)0;
}

/*
 * order_book_l2_json(symbol text, depth int DEFAULT 10) returns json: the seed's
 * response, {"symbol": S, "as_of_seq": N, "bids": [[price, quantity], ...],
 * "asks": [...]}, best first; prices are JSON numbers in the symbol's currency.
 */
Datum
exchange_order_book_l2_json(PG_FUNCTION_ARGS)
{
	pgx_md_reply r;
	const uint8 *p;
	Numeric tick = ask_matchd(fcinfo, PGX_MD_L2, true, 0, &r);
	StringInfoData buf;
	int last_side = 0;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"symbol\": ");
	escape_json(&buf, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	appendStringInfo(&buf, ", \"as_of_seq\": " INT64_FORMAT ", \"bids\": [", r.as_of_seq);
	p = r.row;
	for (uint32 i = 0; i < r.rows; i++)
	{
		pgx_md_level l;

		if (!pgx_decode_md_level(&p, r.end, &l))
			malformed_rows("L2 level");
		if (l.side == PGX_SIDE_SELL && last_side != PGX_SIDE_SELL)
			appendStringInfoString(&buf, "], \"asks\": [");
		else if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(
		    &buf, "[%s, " INT64_FORMAT "]",
		    DatumGetCString(DirectFunctionCall1(numeric_out, price_datum(l.price, tick))),
		    l.qty);
		last_side = l.side;
	}
	if (last_side != PGX_SIDE_SELL)
		appendStringInfoString(&buf, "], \"asks\": [");
	appendStringInfoString(&buf, "]}");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* ---- order_book_l3 ------------------------------------------------------------- */

/* Whether the caller may see which account an order belongs to. */
typedef struct AccountSeen
{
	char account[NAMEDATALEN * 2]; /* hash key */
	bool visible;
} AccountSeen;

static bool
caller_is_staff(void)
{
	static const char *const staff[] = {"exchange_admin", "exchange_compliance",
	                                    "exchange_dba", "exchange_engine"};

	for (int i = 0; i < lengthof(staff); i++)
	{
		Oid role = get_role_oid(staff[i], true);

		if (OidIsValid(role) && is_member_of_role(GetUserId(), role))
			return true;
	}
	return false;
}

static bool
account_visible(Oid owner, HTAB *seen, pgx_str account)
{
	char key[NAMEDATALEN * 2] = {0};
	AccountSeen *e;
	bool found;

	if (account.len == PGX_STR_NULL || account.len >= sizeof(key))
		return false;
	memcpy(key, account.ptr, account.len);
	e = hash_search(seen, key, HASH_ENTER, &found);
	if (!found)
		e->visible = oe_caller_owns_account(owner, key);
	return e->visible;
}

/*
 * order_book_l3(symbol text, depth int DEFAULT 10) returns table (side, level,
 *		queue_position, price, order_id, quantity, entered_at, account, as_of_seq):
 *		every order of the first depth levels of each side, in queue order.
 */
Datum
exchange_order_book_l3(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Oid owner = oe_function_owner(fcinfo);
	bool staff = caller_is_staff();
	pgx_md_reply r;
	const uint8 *p;
	Numeric tick;
	Datum side[3];
	HASHCTL ctl = {0};
	HTAB *seen;
	int last_side = 0;
	uint32 last_level = 0;
	int32 position = 0;

	InitMaterializedSRF(fcinfo, 0);
	tick = ask_matchd(fcinfo, PGX_MD_L3, true, 0, &r);
	side[PGX_SIDE_BUY] = enum_datum(rsinfo->setDesc, 0, "buy");
	side[PGX_SIDE_SELL] = enum_datum(rsinfo->setDesc, 0, "sell");
	ctl.keysize = NAMEDATALEN * 2;
	ctl.entrysize = sizeof(AccountSeen);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("exchange L3 accounts", 64, &ctl,
	                   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	p = r.row;
	for (uint32 i = 0; i < r.rows; i++)
	{
		pgx_md_order o;
		Datum values[9];
		bool nulls[9] = {0};

		if (!pgx_decode_md_order(&p, r.end, &o))
			malformed_rows("L3 order");
		if (o.side != last_side || o.level != last_level)
			position = 0;
		last_side = o.side;
		last_level = o.level;
		values[0] = side[o.side];
		values[1] = Int32GetDatum((int32)o.level);
		values[2] = Int32GetDatum(++position);
		values[3] = price_datum(o.price, tick);
		values[4] = Int64GetDatum(o.order_id);
		values[5] = Int64GetDatum(o.qty);
		values[6] = TimestampTzGetDatum(o.entered_ts);
		if (staff || account_visible(owner, seen, o.account))
			values[7] =
			    PointerGetDatum(cstring_to_text_with_len(o.account.ptr, o.account.len));
		else
			nulls[7] = true;
		values[8] = Int64GetDatum(r.as_of_seq);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (p != r.end)
		malformed_rows("bytes after the last order");
	return (Datum)0;
}

static Numeric
numeric_text(const char *digits)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(digits),
	                                           ObjectIdGetDatum(InvalidOid),
	                                           Int32GetDatum(-1)));
}

/* ---- matchd_candles ---------------------------------------------------------------- */

/*
 * matchd_candles(symbol text, resolution_seconds int) returns table
 *		(bucket_start, open_ticks, high_ticks, low_ticks, close_ticks, volume,
 *		trade_count, notional_ticks, as_of_seq): the candles matchd's ring of that
 *		resolution holds (1, 60 or 3600 s), oldest first; exchange.live_candles()
 *		turns them into prices.
 */
Datum
exchange_matchd_candles(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	pgx_md_reply r;
	const uint8 *p;
	int32 seconds;
	Numeric two64 = numeric_text("18446744073709551616"); /* 2^64 */

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("resolution must not be NULL")));
	seconds = PG_GETARG_INT32(1);
	if (seconds != 1 && seconds != 60 && seconds != 3600)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("matchd keeps candles of 1 second, 1 minute and 1 hour, "
		                       "not of %d seconds",
		                       seconds)));
	(void)ask_matchd(fcinfo, PGX_MD_CANDLES, false, (uint32)seconds, &r);
	p = r.row;
	for (uint32 i = 0; i < r.rows; i++)
	{
		pgx_md_candle c;
		Datum values[9];
		bool nulls[9] = {0};
		Numeric hi, notional;

		if (!pgx_decode_md_candle(&p, r.end, &c))
			malformed_rows("candle");
		/* notional = hi * 2^64 + lo, exactly */
		hi = numeric_mul_opt_error(int64_to_numeric(c.notional_hi), two64, NULL);
		notional = numeric_add_opt_error(
		    hi, numeric_text(psprintf(UINT64_FORMAT, c.notional_lo)), NULL);
		values[0] = TimestampTzGetDatum(c.bucket_ts);
		values[1] = Int64GetDatum(c.open);
		values[2] = Int64GetDatum(c.high);
		values[3] = Int64GetDatum(c.low);
		values[4] = Int64GetDatum(c.close);
		values[5] = Int64GetDatum(c.volume);
		values[6] = Int64GetDatum(c.trades);
		values[7] = NumericGetDatum(notional);
		values[8] = Int64GetDatum(r.as_of_seq);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (p != r.end)
		malformed_rows("bytes after the last candle");
	return (Datum)0;
}
