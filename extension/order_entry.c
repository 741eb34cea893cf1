/*
 * order_entry.c
 *		The order functions (submit_order, cancel_order, amend_order) and the
 *		reference-data functions (add_symbol, open_account): validate, send one
 *		command to matchd, return what it answered.
 *
 * Bad input never reaches matchd: every argument is checked here first, each
 * failure with its own SQLSTATE (docs/sql-reference.md lists them).  The
 * account must belong to the calling role (current_user, so SET ROLE counts,
 * or a role it is a member of); the role sent to matchd is that role, never an
 * argument.
 *
 * These functions are not transactional: matchd sequences and journals the
 * command in its own transaction and answers only after that committed, so the
 * command stands even if the caller's transaction rolls back.
 *
 * The lookups of accounts, symbols and orders run as the extension's owner
 * (not subject to the caller's row-level security) with the latest snapshot
 * (reference data is current state, whatever the caller's isolation level), and
 * positive answers are cached for the life of the backend: an account's broker
 * and a symbol's tick and lot sizes never change.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "batch.h"
#include "exchange.h"
#include "matchd_client.h"
#include "order_entry.h"

PG_FUNCTION_INFO_V1(exchange_submit_order);
PG_FUNCTION_INFO_V1(exchange_cancel_order);
PG_FUNCTION_INFO_V1(exchange_cancel_all);
PG_FUNCTION_INFO_V1(exchange_amend_order);
PG_FUNCTION_INFO_V1(exchange_submit_orders);
PG_FUNCTION_INFO_V1(exchange_cancel_orders);
PG_FUNCTION_INFO_V1(exchange_add_symbol);
PG_FUNCTION_INFO_V1(exchange_open_account);

#define CLIENT_ORDER_ID_MAX 16   /* bytes; the matching core's fixed field */
#define DESCRIPTION_MAX     1000 /* bytes */

static const char *const order_fate_hint =
    "Look the order up before sending it again: exchange.executions() shows its fills, "
    "exchange.journal its records (by client_order_id).";
static const char *const command_fate_hint =
    "Look it up in exchange.symbols or exchange.accounts before sending it again.";

/* ---- lookups as the extension's owner ----------------------------------------- */

typedef enum LookupKind
{
	LOOKUP_ACCOUNT,      /* broker of an account */
	LOOKUP_SYMBOL,       /* tick_size and lot_size of a symbol */
	LOOKUP_ORDER_SYMBOL, /* symbol of an account's order */
	LOOKUP_SYMBOL_ROW,   /* a whole exchange.symbols row */
	LOOKUP_ACCOUNT_ROW,  /* a whole exchange.accounts row */
	LOOKUP_CURRENCY,     /* minor_digits of a currency */
	LOOKUP__COUNT
} LookupKind;

static Lookup lookups[LOOKUP__COUNT] = {
    [LOOKUP_ACCOUNT] = {"SELECT broker FROM exchange.accounts "
                        "WHERE account OPERATOR(pg_catalog.=) $1",
                        1,
                        {TEXTOID}},
    [LOOKUP_SYMBOL] = {"SELECT tick_size, lot_size FROM exchange.symbols "
                       "WHERE symbol OPERATOR(pg_catalog.=) $1",
                       1,
                       {TEXTOID}},
    [LOOKUP_ORDER_SYMBOL] = {"SELECT symbol FROM exchange.journal "
                             "WHERE order_id OPERATOR(pg_catalog.=) $1 "
                             "AND account OPERATOR(pg_catalog.=) $2 "
                             "AND idx OPERATOR(pg_catalog.=) 0 "
                             "AND kind OPERATOR(pg_catalog.=) "
                             "'new_order'::exchange.event_kind LIMIT 1",
                             2,
                             {INT8OID, TEXTOID}},
    [LOOKUP_SYMBOL_ROW] = {"SELECT s FROM exchange.symbols s "
                           "WHERE s.symbol OPERATOR(pg_catalog.=) $1",
                           1,
                           {TEXTOID}},
    [LOOKUP_ACCOUNT_ROW] = {"SELECT a FROM exchange.accounts a "
                            "WHERE a.account OPERATOR(pg_catalog.=) $1",
                            1,
                            {TEXTOID}},
    [LOOKUP_CURRENCY] = {"SELECT minor_digits FROM exchange.currencies "
                         "WHERE currency OPERATOR(pg_catalog.=) $1",
                         1,
                         {TEXTOID}},
};

/*
 * Runs query q as `owner` with the latest snapshot, at most `limit` rows (0:
 * all), calling each(row, arg) on every row inside SPI; the number of rows.
 */
uint64
oe_query_as_owner(Oid owner, Lookup *q, Datum *args, long limit,
                  void (*each)(HeapTuple row, TupleDesc td, void *arg), void *arg)
{
	Oid save_userid;
	int save_sec;
	volatile uint64 rows = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		int rc;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (q->plan == NULL)
		{
			SPIPlanPtr plan = SPI_prepare(q->sql, q->nargs, q->argtypes);

			if (plan == NULL)
				elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
			SPI_keepplan(plan);
			q->plan = plan;
		}
		rc = SPI_execute_snapshot(q->plan, args, NULL, GetLatestSnapshot(),
		                          InvalidSnapshot, false, false, limit);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "lookup failed: %s", SPI_result_code_string(rc));
		rows = SPI_processed;
		for (uint64 i = 0; i < SPI_processed; i++)
			each(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, arg);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	return rows;
}

/* oe_lookup's row: its first columns, copied out of SPI's memory */
typedef struct FirstColumns
{
	Datum *out;
	bool *outnull;
	int nout;
} FirstColumns;

static void
copy_first_columns(HeapTuple tup, TupleDesc td, void *arg)
{
	FirstColumns *f = arg;

	for (int i = 0; i < f->nout; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		Datum d = SPI_getbinval(tup, td, i + 1, &f->outnull[i]);

		f->out[i] =
		    f->outnull[i] ? (Datum)0 : SPI_datumTransfer(d, att->attbyval, att->attlen);
	}
}

/*
 * Runs a lookup as `owner` with the latest snapshot; when it finds a row,
 * copies its first `nout` columns into out/outnull (in the caller's memory
 * context) and returns true.
 */
bool
oe_lookup(Oid owner, Lookup *q, Datum *args, Datum *out, bool *outnull, int nout)
{
	FirstColumns f = {out, outnull, nout};

	return oe_query_as_owner(owner, q, args, 1, copy_first_columns, &f) > 0;
}

static bool
run_lookup(Oid owner, LookupKind kind, Datum *args, Datum *out, bool *outnull, int nout)
{
	return oe_lookup(owner, &lookups[kind], args, out, outnull, nout);
}

/* The owner of the called function: the extension's owner. */
Oid
oe_function_owner(FunctionCallInfo fcinfo)
{
	FmgrInfo *flinfo = fcinfo->flinfo;
	HeapTuple tup;
	Oid *owner = flinfo->fn_extra;

	/* once per call site, not once per order */
	if (owner != NULL)
		return *owner;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(flinfo->fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", flinfo->fn_oid);
	owner = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(Oid));
	*owner = ((Form_pg_proc)GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	flinfo->fn_extra = owner;
	return *owner;
}

/* ---- the per-backend cache of accounts and symbols --------------------------------- */

typedef struct AccountEntry
{
	char account[NAMEDATALEN]; /* key */
	NameData broker;
} AccountEntry;

typedef struct SymbolEntry
{
	char symbol[NAMEDATALEN]; /* key */
	Numeric tick_size;        /* in cache_cxt */
	int64 lot_size;
} SymbolEntry;

static MemoryContext cache_cxt = NULL;
static HTAB *account_cache = NULL;
static HTAB *symbol_cache = NULL;
static bool cache_stale = false;

/*
 * A relcache invalidation of the whole cache or of any relation (TRUNCATE,
 * DROP EXTENSION, ALTER TABLE of symbols or accounts among them) drops the
 * cache at the next lookup.  Nothing is freed here: a lookup in progress may
 * hold an entry.
 */
static void
cache_invalidate(Datum arg, Oid relid)
{
	cache_stale = true;
}

static void
cache_prepare(void)
{
	HASHCTL ctl;

	if (cache_cxt == NULL)
	{
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "exchange reference cache",
		                                  ALLOCSET_SMALL_SIZES);
		CacheRegisterRelcacheCallback(cache_invalidate, (Datum)0);
	}
	if (cache_stale)
	{
		MemoryContextReset(cache_cxt);
		account_cache = symbol_cache = NULL;
		cache_stale = false;
	}
	if (account_cache != NULL)
		return;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.hcxt = cache_cxt;
	ctl.entrysize = sizeof(AccountEntry);
	account_cache = hash_create("exchange accounts", 64, &ctl,
	                            HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	ctl.entrysize = sizeof(SymbolEntry);
	symbol_cache = hash_create("exchange symbols", 64, &ctl,
	                           HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/* The broker role of an account; false when there is no such account. */
bool
oe_lookup_account(Oid owner, const char *account, NameData *broker)
{
	AccountEntry *e;
	Datum arg, out;
	bool isnull;

	if (strlen(account) >= NAMEDATALEN)
		return false; /* longer than any account name */
	cache_prepare();
	e = hash_search(account_cache, account, HASH_FIND, NULL);
	if (e != NULL)
	{
		*broker = e->broker;
		return true;
	}
	arg = CStringGetTextDatum(account);
	if (!run_lookup(owner, LOOKUP_ACCOUNT, &arg, &out, &isnull, 1) || isnull)
		return false;
	namestrcpy(broker, NameStr(*DatumGetName(out)));
	cache_prepare();
	e = hash_search(account_cache, account, HASH_ENTER, NULL);
	e->broker = *broker;
	return true;
}

/* Tick size (copied to the current context) and lot size of a listed symbol. */
bool
oe_lookup_symbol(Oid owner, const char *symbol, Numeric *tick_size, int64 *lot_size)
{
	SymbolEntry *e;
	Datum arg, out[2];
	bool isnull[2];

	if (strlen(symbol) >= NAMEDATALEN)
		return false;
	cache_prepare();
	e = hash_search(symbol_cache, symbol, HASH_FIND, NULL);
	if (e == NULL)
	{
		Numeric tick;

		arg = CStringGetTextDatum(symbol);
		if (!run_lookup(owner, LOOKUP_SYMBOL, &arg, out, isnull, 2) || isnull[0] ||
		    isnull[1])
			return false;
		tick = DatumGetNumeric(out[0]);
		cache_prepare();
		e = hash_search(symbol_cache, symbol, HASH_ENTER, NULL);
		e->tick_size = MemoryContextAlloc(cache_cxt, VARSIZE(tick));
		memcpy(e->tick_size, tick, VARSIZE(tick));
		e->lot_size = DatumGetInt64(out[1]);
	}
	*tick_size = palloc(VARSIZE(e->tick_size));
	memcpy(*tick_size, e->tick_size, VARSIZE(e->tick_size));
	*lot_size = e->lot_size;
	return true;
}

/* ---- argument checks ------------------------------------------------------------- */

void
oe_require_args(FunctionCallInfo fcinfo, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && PG_ARGISNULL(i))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("%s must not be NULL", names[i])));
}

static void
check_quantity(int64 quantity)
{
	if (quantity <= 0 || quantity > EXCHANGE_MAX_QUANTITY)
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_QUANTITY),
		                errmsg("quantity must be between 1 and " INT64_FORMAT
		                       ", not " INT64_FORMAT,
		                       EXCHANGE_MAX_QUANTITY, quantity)));
}

bool
oe_numeric_positive(Numeric n)
{
	return !numeric_is_nan(n) && !numeric_is_inf(n) &&
	       oe_numeric_cmp(n, int64_to_numeric(0)) > 0;
}

int
oe_numeric_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(
	    DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

bool
oe_numeric_is_zero(Numeric n)
{
	return oe_numeric_cmp(n, int64_to_numeric(0)) == 0;
}

/* 10^digits for the minor digits of a currency (0..6) */
int64
oe_pow10(int digits)
{
	int64 p = 1;

	Assert(digits >= 0 && digits <= 18);
	while (digits-- > 0)
		p *= 10;
	return p;
}

char *
oe_numeric_text(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

static void
check_price_positive(Numeric price)
{
	if (!oe_numeric_positive(price))
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_PRICE),
		                errmsg("price must be a positive number, not %s",
		                       oe_numeric_text(price))));
}

/* The current user's name: who calls, for the messages and for matchd. */
char *
oe_caller_name(void)
{
	return GetUserNameFromId(GetUserId(), false);
}

/* Whether the account exists and belongs to the calling role or a role it is
 * a member of. */
bool
oe_caller_owns_account(Oid owner, const char *account)
{
	NameData broker;
	Oid broker_oid;

	if (!oe_lookup_account(owner, account, &broker))
		return false;
	broker_oid = get_role_oid(NameStr(broker), true);
	return OidIsValid(broker_oid) && is_member_of_role(GetUserId(), broker_oid);
}

/*
 * The account must be the caller's (oe_caller_owns_account).  One message for
 * "no such account" and "not yours", so that a broker learns nothing of other
 * brokers' accounts.
 */
static void
check_account_owner(Oid owner, const char *account)
{
	if (!oe_caller_owns_account(owner, account))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("account \"%s\" does not exist or does not belong to role \"%s\"",
		                account, oe_caller_name())));
}

void
oe_check_lot(const char *symbol, int64 quantity, int64 lot_size)
{
	if (quantity % lot_size != 0)
		ereport(ERROR, (errcode(ERRCODE_PGX_OFF_LOT),
		                errmsg("quantity " INT64_FORMAT
		                       " is not a multiple of the lot size " INT64_FORMAT
		                       " of symbol \"%s\"",
		                       quantity, lot_size, symbol)));
}

static void
pg_attribute_noreturn() unknown_order(int64 order_id, const char *account)
{
	ereport(ERROR,
	        (errcode(ERRCODE_PGX_UNKNOWN_ORDER),
	         errmsg("order " INT64_FORMAT " is not an open order of account \"%s\"",
	                order_id, account)));
}

/* The wire number of a value of one of our enum types. */
static uint8
enum_to_wire(Datum value, const char *const *labels, int nlabels)
{
	HeapTuple tup = SearchSysCache1(ENUMOID, value);
	const char *label;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for enum value %u", DatumGetObjectId(value));
	label = NameStr(((Form_pg_enum)GETSTRUCT(tup))->enumlabel);
	for (int i = 1; i < nlabels; i++)
		if (strcmp(labels[i], label) == 0)
		{
			ReleaseSysCache(tup);
			return (uint8)i;
		}
	elog(ERROR, "enum label \"%s\" has no wire number", label);
}

/* The label of a value of one of our enum types (palloc'd). */
char *
oe_enum_label(Datum value)
{
	HeapTuple tup = SearchSysCache1(ENUMOID, value);
	char *label;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for enum value %u", DatumGetObjectId(value));
	label = pstrdup(NameStr(((Form_pg_enum)GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	return label;
}

void
oe_record_init(pgx_record *rec, uint8 kind)
{
	memset(rec, 0, sizeof(*rec));
	for (int i = 0; i < PGX_S__COUNT; i++)
		rec->strs[i].len = PGX_STR_NULL;
	rec->kind = kind;
}

void
oe_record_str(pgx_record *rec, int field, const char *s)
{
	size_t len = strlen(s);

	Assert(len <= PGX_STR_MAX);
	rec->strs[field].ptr = s;
	rec->strs[field].len = (uint16)len;
}

void
oe_record_int(pgx_record *rec, int field, int64 v)
{
	rec->ints[field] = v;
	rec->present |= (uint8)(1u << field);
}

/* ---- the order functions' result row --------------------------------------------- */

/* The Datum of an order_status label, for a result row's attribute attno. */
static Datum
status_datum(TupleDesc td, int attno, uint8 status)
{
	Oid status_type = TupleDescAttr(td, attno)->atttypid;
	HeapTuple tup;
	Datum d;

	if (status == 0 || status >= PGX_STATUS__COUNT)
		elog(ERROR, "order status %u out of range", status);
	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(status_type),
	                      CStringGetDatum(exchange_status_labels[status]));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "order_status has no label \"%s\"", exchange_status_labels[status]);
	d = ObjectIdGetDatum(((Form_pg_enum)GETSTRUCT(tup))->oid);
	ReleaseSysCache(tup);
	return d;
}

/*
 * Puts matchd's answer as the one row (id, creation_time, filled_quantity,
 * remaining_quantity, status, reject_reason) of a materialized result.
 */
static void
return_order_row(FunctionCallInfo fcinfo, const MatchdAnswer *a)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	TupleDesc td = rsinfo->setDesc;
	Datum values[6];
	bool nulls[6] = {0};

	values[0] = Int64GetDatum(a->order_id);
	values[1] = TimestampTzGetDatum(a->created_ts);
	values[2] = Int64GetDatum(a->filled);
	values[3] = Int64GetDatum(a->remaining);
	values[4] = status_datum(td, 4, a->status);
	if (a->reason != NULL)
		values[5] = CStringGetTextDatum(a->reason);
	else
		nulls[5] = true;
	tuplestore_putvalues(rsinfo->setResult, td, values, nulls);
}

/* ---- submit_order ------------------------------------------------------------------ */

/* A new order's arguments, as submit_order and submit_orders take them. */
typedef struct NewOrderArgs
{
	char *account, *symbol, *client_order_id; /* client_order_id may be NULL */
	uint8 side, type, tif;
	int64 quantity;
	Numeric price; /* NULL: none */
	/* 1.8 (submit_order only; NULL/false in a basket) */
	Numeric stop_price;      /* NULL: none */
	bool has_display;        /* display_quantity given */
	bool post_only;          /* never takes liquidity */
	bool has_expire;         /* expire_time given */
	TimestampTz expire_time; /* gtd only */
} NewOrderArgs;

/* The 1.8 options of a new order: what is not supported yet, and the rules
 * of post-only and good-till-date (the core checks them again). */
static void
check_order_options(const NewOrderArgs *a)
{
	bool stop = a->type == PGX_TYPE_STOP || a->type == PGX_TYPE_STOP_LIMIT;

	if (stop && a->stop_price == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("a %s order needs a stop_price",
		                       a->type == PGX_TYPE_STOP ? "stop" : "stop_limit")));
	if (!stop && a->stop_price != NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("stop_price is only for order types stop and stop_limit")));
	if (a->stop_price != NULL && !oe_numeric_positive(a->stop_price))
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_PRICE),
		                errmsg("stop_price must be a positive number, not %s",
		                       oe_numeric_text(a->stop_price))));
	if (a->has_display)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("reserve (iceberg) orders with display_quantity are not "
		                       "supported yet")));
	if (a->tif == PGX_TIF_AT_OPEN || a->tif == PGX_TIF_AT_CLOSE)
		ereport(
		    ERROR,
		    (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		     errmsg("time_in_force %s is for the auctions, which are not supported yet",
		            a->tif == PGX_TIF_AT_OPEN ? "at_open" : "at_close")));
	if (a->post_only &&
	    (a->type != PGX_TYPE_LIMIT ||
	     (a->tif != PGX_TIF_DAY && a->tif != PGX_TIF_GTC && a->tif != PGX_TIF_GTD)))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("a post-only order must be a limit order that may rest"),
		                errhint("Use time_in_force day, gtc or gtd.")));
	if (a->tif == PGX_TIF_GTD && !a->has_expire)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("a good-till-date order needs an expire_time")));
	if (a->tif != PGX_TIF_GTD && a->has_expire)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("expire_time is only for time_in_force gtd")));
	if (a->has_expire && a->expire_time <= GetCurrentTimestamp())
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("expire_time %s has passed already",
		                       timestamptz_to_str(a->expire_time))));
}

/* The options as the new_order's detail ({"post_only": true, "expire_time": us,
 * "stop_price": ticks}, the keys present that apply), or NULL when there are
 * none. */
static char *
order_options_detail(const NewOrderArgs *a, int64 stop_ticks)
{
	StringInfoData buf;
	const char *sep = "";

	if (!a->post_only && !a->has_expire && a->stop_price == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	if (a->post_only)
	{
		appendStringInfoString(&buf, "\"" PGX_DETAIL_POST_ONLY "\": true");
		sep = ", ";
	}
	if (a->has_expire)
	{
		appendStringInfo(&buf, "%s\"" PGX_DETAIL_EXPIRE_TIME "\": " INT64_FORMAT, sep,
		                 (int64)a->expire_time);
		sep = ", ";
	}
	if (a->stop_price != NULL)
		appendStringInfo(&buf, "%s\"" PGX_DETAIL_STOP_PRICE "\": " INT64_FORMAT, sep,
		                 stop_ticks);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * Checks a new order as submit_order does (raising its errors) and encodes it
 * into rec, whose strings point into a.
 */
static void
build_new_order(Oid owner, NewOrderArgs *a, pgx_record *rec)
{
	int64 lot_size, ticks = 0, stop_ticks = 0;
	Numeric tick_size;
	bool limit = a->type == PGX_TYPE_LIMIT || a->type == PGX_TYPE_STOP_LIMIT;

	check_quantity(a->quantity);
	if (limit && a->price == NULL)
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_PRICE),
		                errmsg("a %s order needs a price",
		                       a->type == PGX_TYPE_LIMIT ? "limit" : "stop_limit")));
	if (!limit && a->price != NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_BAD_PRICE),
		         errmsg("a %s order has no price",
		                a->type == PGX_TYPE_MARKET ? "market" : "stop"),
		         errhint(a->type == PGX_TYPE_MARKET
		                     ? "Leave price NULL, or send a limit order at that price."
		                     : "Leave price NULL, or send a stop_limit order with that "
		                       "limit price.")));
	if (a->price != NULL)
		check_price_positive(a->price);
	check_order_options(a);
	if (a->type == PGX_TYPE_MARKET || a->type == PGX_TYPE_STOP)
	{
		/* a market order never rests: it trades now or not at all (a stop
		 * waits for its trigger, then enters as a market order) */
		if (a->tif == PGX_TIF_GTC || a->tif == PGX_TIF_GTD)
			ereport(ERROR,
			        (errcode(ERRCODE_PGX_BAD_PRICE),
			         errmsg("a %s order cannot be good till %s",
			                a->type == PGX_TYPE_MARKET ? "market" : "stop",
			                a->tif == PGX_TIF_GTC ? "cancelled" : "date"),
			         errhint("Market orders never rest; use time_in_force ioc or fok "
			                 "(day, the default, is sent as ioc).")));
		if (a->tif == PGX_TIF_DAY)
			a->tif = PGX_TIF_IOC;
	}
	if (a->client_order_id != NULL && strlen(a->client_order_id) > CLIENT_ORDER_ID_MAX)
		ereport(ERROR,
		        (errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
		         errmsg("client_order_id is longer than %d bytes", CLIENT_ORDER_ID_MAX)));
	if (a->client_order_id != NULL && a->client_order_id[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("client_order_id must not be empty"),
		                errhint("Leave it NULL when there is none.")));

	check_account_owner(owner, a->account);
	if (!oe_lookup_symbol(owner, a->symbol, &tick_size, &lot_size))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_SYMBOL),
		                errmsg("unknown symbol \"%s\"", a->symbol)));
	oe_check_lot(a->symbol, a->quantity, lot_size);
	if (a->price != NULL)
		ticks = exchange_numeric_to_ticks(a->price, tick_size);
	if (a->stop_price != NULL)
		stop_ticks = exchange_numeric_to_ticks(a->stop_price, tick_size);

	oe_record_init(rec, PGX_KIND_NEW_ORDER);
	oe_record_str(rec, PGX_S_SYMBOL, a->symbol);
	oe_record_str(rec, PGX_S_ACCOUNT, a->account);
	rec->side = a->side;
	rec->order_type = a->type;
	rec->time_in_force = a->tif;
	if (limit)
		oe_record_int(rec, PGX_F_PRICE, ticks);
	oe_record_int(rec, PGX_F_QUANTITY, a->quantity);
	if (a->client_order_id != NULL)
		oe_record_str(rec, PGX_S_CLIENT_ORDER_ID, a->client_order_id);
	{
		char *detail = order_options_detail(a, stop_ticks);

		if (detail != NULL)
			oe_record_str(rec, PGX_S_DETAIL, detail);
	}
}

/*
 * submit_order(account text, symbol text, side side, quantity bigint,
 *				price numeric DEFAULT NULL, order_type order_type DEFAULT 'limit',
 *				time_in_force time_in_force DEFAULT 'day',
 *				client_order_id text DEFAULT NULL, stop_price numeric DEFAULT NULL,
 *				display_quantity bigint DEFAULT NULL, post_only boolean DEFAULT false,
 *				expire_time timestamptz DEFAULT NULL)
 * returns table (id, creation_time, filled_quantity, remaining_quantity, status,
 *				  reject_reason)
 *
 * The four 1.8 arguments are optional; a 1.7 catalog's eight-argument
 * function calls this too (PG_NARGS() == 8).
 */
Datum
exchange_submit_order(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account",       "symbol", "side",
	                                    "quantity",      NULL,     "order_type",
	                                    "time_in_force", NULL};
	Oid owner = oe_function_owner(fcinfo);
	NewOrderArgs a = {0};
	pgx_record rec;
	MatchdAnswer answer;

	/* a set-returning context, checked before anything is sent */
	InitMaterializedSRF(fcinfo, 0);
	oe_require_args(fcinfo, names, lengthof(names));
	a.account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a.symbol = text_to_cstring(PG_GETARG_TEXT_PP(1));
	a.side = enum_to_wire(PG_GETARG_DATUM(2), exchange_side_labels, PGX_SIDE__COUNT);
	a.quantity = PG_GETARG_INT64(3);
	if (!PG_ARGISNULL(4))
		a.price = PG_GETARG_NUMERIC(4);
	a.type = enum_to_wire(PG_GETARG_DATUM(5), exchange_type_labels, PGX_TYPE__COUNT);
	a.tif = enum_to_wire(PG_GETARG_DATUM(6), exchange_tif_labels, PGX_TIF__COUNT);
	if (!PG_ARGISNULL(7))
		a.client_order_id = text_to_cstring(PG_GETARG_TEXT_PP(7));
	if (PG_NARGS() >= 12)
	{
		if (!PG_ARGISNULL(8))
			a.stop_price = PG_GETARG_NUMERIC(8);
		a.has_display = !PG_ARGISNULL(9);
		if (PG_ARGISNULL(10))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("post_only must not be NULL")));
		a.post_only = PG_GETARG_BOOL(10);
		a.has_expire = !PG_ARGISNULL(11);
		if (a.has_expire)
			a.expire_time = PG_GETARG_TIMESTAMPTZ(11);
	}

	build_new_order(owner, &a, &rec);
	matchd_call(oe_caller_name(), &rec, "order", order_fate_hint, &answer);
	return_order_row(fcinfo, &answer);
	return (Datum)0;
}

/* ---- cancel_order ------------------------------------------------------------------ */

/* cancel_order(account text, order_id bigint) returns the same table */
Datum
exchange_cancel_order(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", "order_id"};
	Oid owner = oe_function_owner(fcinfo);
	char *account;
	int64 order_id;
	pgx_record rec;
	MatchdAnswer answer;

	InitMaterializedSRF(fcinfo, 0);
	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	order_id = PG_GETARG_INT64(1);

	check_account_owner(owner, account);
	if (order_id <= 0)
		unknown_order(order_id, account);

	oe_record_init(&rec, PGX_KIND_CANCEL_ORDER);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	oe_record_int(&rec, PGX_F_ORDER_ID, order_id);
	matchd_call(oe_caller_name(), &rec, "cancel request", order_fate_hint, &answer);
	return_order_row(fcinfo, &answer);
	return (Datum)0;
}

/* ---- cancel_all: a mass cancel ----------------------------------------------------- */

/* The orders a mass cancel (seq, account, ts) canceled, from its journaled events. */
static Lookup mass_cancel_rows = {
    "SELECT e.order_id, e.symbol, e.side, e.price_numeric, e.quantity "
    "FROM exchange.journal c JOIN exchange.journal_prices e "
    "ON e.stream OPERATOR(pg_catalog.=) c.stream AND e.seq OPERATOR(pg_catalog.=) c.seq "
    "AND e.trading_day OPERATOR(pg_catalog.=) c.trading_day "
    "AND e.idx OPERATOR(pg_catalog.>) 0 "
    "AND e.kind OPERATOR(pg_catalog.=) 'canceled'::exchange.event_kind "
    "WHERE c.seq OPERATOR(pg_catalog.=) $1 AND c.idx OPERATOR(pg_catalog.=) 0 "
    "AND c.kind OPERATOR(pg_catalog.=) 'mass_cancel'::exchange.event_kind "
    "AND c.account OPERATOR(pg_catalog.=) $2 AND c.ts OPERATOR(pg_catalog.=) $3 "
    "ORDER BY e.idx",
    3,
    {INT8OID, TEXTOID, TIMESTAMPTZOID}};

/* one canceled order into the result (the tuplestore copies the row) */
static void
put_canceled_order(HeapTuple tup, TupleDesc td, void *arg)
{
	ReturnSetInfo *rsinfo = arg;
	Datum values[5];
	bool nulls[5];

	heap_deform_tuple(tup, td, values, nulls);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Puts the canceled orders of a committed mass cancel into the result, read
 * as the extension's owner with the latest snapshot; matchd's count must be
 * what the journal shows.
 */
static void
return_mass_cancel_rows(FunctionCallInfo fcinfo, Oid owner, const char *account,
                        const MatchdAnswer *a)
{
	Datum args[3] = {Int64GetDatum(a->seq), CStringGetTextDatum(account),
	                 TimestampTzGetDatum(a->created_ts)};
	uint64 rows = oe_query_as_owner(owner, &mass_cancel_rows, args, 0, put_canceled_order,
	                                fcinfo->resultinfo);

	if (rows != (uint64)a->remaining)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("matchd canceled " INT64_FORMAT
		                       " orders of account \"%s\" at seq " INT64_FORMAT
		                       " but this database shows " UINT64_FORMAT,
		                       a->remaining, account, a->seq, rows),
		                errhint("Check that matchd journals into this database.")));
}

/*
 * cancel_all(account text, symbol text DEFAULT NULL) returns table (id,
 * order_symbol, side, price, canceled_quantity): every open order of the
 * account (of symbol), canceled by one sequenced command (mass_cancel); one
 * row per canceled order, in the order matchd canceled them.
 */
Datum
exchange_cancel_all(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", NULL};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *symbol = NULL;
	Numeric tick_size;
	int64 lot_size;
	pgx_record rec;
	MatchdAnswer answer;

	InitMaterializedSRF(fcinfo, 0);
	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		symbol = text_to_cstring(PG_GETARG_TEXT_PP(1));

	check_account_owner(owner, account);
	if (symbol != NULL && !oe_lookup_symbol(owner, symbol, &tick_size, &lot_size))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_SYMBOL),
		                errmsg("unknown symbol \"%s\"", symbol)));

	oe_record_init(&rec, PGX_KIND_MASS_CANCEL);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	if (symbol != NULL)
		oe_record_str(&rec, PGX_S_SYMBOL, symbol);
	matchd_call(oe_caller_name(), &rec, "mass cancel", order_fate_hint, &answer);
	return_mass_cancel_rows(fcinfo, owner, account, &answer);
	return (Datum)0;
}

/* ---- amend_order ------------------------------------------------------------------- */

/*
 * amend_order(account text, order_id bigint, quantity bigint,
 *			   price numeric DEFAULT NULL) returns the same table
 *
 * quantity is the new open (remaining) quantity; a NULL price keeps the price.
 */
Datum
exchange_amend_order(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", "order_id", "quantity", NULL};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *symbol;
	int64 order_id, quantity, lot_size, ticks = 0;
	Numeric price = NULL, tick_size;
	Datum args[2], out;
	bool isnull;
	pgx_record rec;
	MatchdAnswer answer;

	InitMaterializedSRF(fcinfo, 0);
	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	order_id = PG_GETARG_INT64(1);
	quantity = PG_GETARG_INT64(2);
	if (!PG_ARGISNULL(3))
		price = PG_GETARG_NUMERIC(3);

	check_quantity(quantity);
	if (price != NULL)
		check_price_positive(price);
	check_account_owner(owner, account);
	if (order_id <= 0)
		unknown_order(order_id, account);

	/* the order's symbol, for its lot and tick sizes: from its new_order record */
	args[0] = Int64GetDatum(order_id);
	args[1] = CStringGetTextDatum(account);
	if (!run_lookup(owner, LOOKUP_ORDER_SYMBOL, args, &out, &isnull, 1) || isnull)
		unknown_order(order_id, account);
	symbol = TextDatumGetCString(out);
	if (!oe_lookup_symbol(owner, symbol, &tick_size, &lot_size))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_SYMBOL),
		                errmsg("unknown symbol \"%s\"", symbol)));
	oe_check_lot(symbol, quantity, lot_size);
	if (price != NULL)
		ticks = exchange_numeric_to_ticks(price, tick_size);

	oe_record_init(&rec, PGX_KIND_AMEND_ORDER);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	oe_record_int(&rec, PGX_F_ORDER_ID, order_id);
	oe_record_int(&rec, PGX_F_QUANTITY, quantity);
	if (price != NULL)
		oe_record_int(&rec, PGX_F_PRICE, ticks);
	matchd_call(oe_caller_name(), &rec, "amendment", order_fate_hint, &answer);
	return_order_row(fcinfo, &answer);
	return (Datum)0;
}

/* ---- baskets: submit_orders, cancel_orders ----------------------------------------
 *
 * Each order of a basket is judged on its own, exactly as if it were sent
 * alone: the argument checks first (a failing one refuses that order only,
 * nothing is sent for it), then one pipelined exchange with matchd for all
 * that passed (matchd_call_many), sequenced in the basket's order.  One row
 * per order comes back, in order, with its SQLSTATE and message instead of
 * an error.  What fails the whole call is only what concerns the call: a
 * NULL or multi-dimensional array, an account that is not the caller's for
 * cancel_orders, no lease to find matchd by, an interrupt.
 */

/* Most orders in one call: a basket's answers are materialized in memory. */
#define BASKET_MAX 1000000

/* Runs judge(arg) in a subtransaction; on error, refuses the item with the
 * error's SQLSTATE and message (the subtransaction undoes what judge did). */
static void
judge_safely(void (*judge)(void *), void *arg, MatchdItem *it)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		judge(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		/* a cancel or a shutdown is the call's, not the order's */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
		    ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES)
			ReThrowError(edata);
		it->request = NULL;
		strlcpy(it->sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(it->sqlstate));
		it->message = pstrdup(edata->message);
		it->journaled = false;
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/* The elements of a one-dimensional array argument (PG_ARGISNULL checked). */
static int
basket_elements(FunctionCallInfo fcinfo, int argno, const char *name, Datum **elems,
                bool **nulls)
{
	ArrayType *arr;
	int16 typlen;
	bool typbyval;
	char typalign;
	int n;

	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("%s must not be NULL", name)));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
		                errmsg("%s must be a one-dimensional array", name)));
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign, elems, nulls,
	                  &n);
	if (n > BASKET_MAX)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("%s has %d elements; one call takes at most %d", name, n,
		                       BASKET_MAX),
		                errhint("Send the basket in several calls.")));
	return n;
}

/*
 * One row of a basket's result: (ordinal, id, creation_time, filled_quantity,
 * remaining_quantity, status, reject_reason, sqlstate, message).  An accepted
 * order has sqlstate 00000 and no message; a refused one status rejected, no
 * id, its SQLSTATE and message (which names the journal's seq when the order
 * manager journaled the refusal) and the order manager's reason code.
 */
static void
put_basket_row(FunctionCallInfo fcinfo, int ordinal, const MatchdItem *it, Datum rejected)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	TupleDesc td = rsinfo->setDesc;
	Datum values[9] = {0};
	bool nulls[9] = {0};
	bool accepted = strcmp(it->sqlstate, "00000") == 0;

	values[0] = Int32GetDatum(ordinal);
	if (accepted)
	{
		values[1] = Int64GetDatum(it->answer.order_id);
		values[2] = TimestampTzGetDatum(it->answer.created_ts);
		values[3] = Int64GetDatum(it->answer.filled);
		values[4] = Int64GetDatum(it->answer.remaining);
		values[5] = status_datum(td, 5, it->answer.status);
		nulls[8] = true;
	}
	else
	{
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
		values[5] = rejected;
		values[8] = CStringGetTextDatum(
		    it->journaled
		        ? psprintf("%s (journaled at seq " INT64_FORMAT " as rejected)",
		                   it->message != NULL ? it->message : "refused", it->answer.seq)
		        : (it->message != NULL ? it->message : "refused"));
	}
	if (it->answer.reason != NULL)
		values[6] = CStringGetTextDatum(it->answer.reason);
	else
		nulls[6] = true;
	values[7] = CStringGetTextDatum(it->sqlstate);
	tuplestore_putvalues(rsinfo->setResult, td, values, nulls);
}

static void
put_basket_rows(FunctionCallInfo fcinfo, const MatchdItem *items, int n)
{
	TupleDesc td = ((ReturnSetInfo *)fcinfo->resultinfo)->setDesc;
	Datum rejected = status_datum(td, 5, PGX_STATUS_REJECTED);

	for (int i = 0; i < n; i++)
		put_basket_row(fcinfo, i + 1, &items[i], rejected);
}

/* One order of submit_orders, judged in its own subtransaction. */
typedef struct BasketOrder
{
	Oid owner;
	TupleDesc desc; /* of exchange.order_request */
	HeapTupleHeader row;
	NewOrderArgs args;
	pgx_record rec;
} BasketOrder;

static void
judge_basket_order(void *arg)
{
	static const char *const names[] = {"account", "symbol", "side", "quantity",
	                                    NULL,      NULL,     NULL,   NULL};
	BasketOrder *o = arg;
	HeapTupleData tuple;
	Datum v[8];
	bool isnull[8];

	if (o->desc->natts != 8)
		elog(ERROR, "exchange.order_request has %d attributes, not 8", o->desc->natts);
	tuple.t_len = HeapTupleHeaderGetDatumLength(o->row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = o->row;
	heap_deform_tuple(&tuple, o->desc, v, isnull);
	for (int i = 0; i < 8; i++)
		if (names[i] != NULL && isnull[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("%s must not be NULL", names[i])));
	o->args.account = TextDatumGetCString(v[0]);
	o->args.symbol = TextDatumGetCString(v[1]);
	o->args.side = enum_to_wire(v[2], exchange_side_labels, PGX_SIDE__COUNT);
	o->args.quantity = DatumGetInt64(v[3]);
	o->args.price = isnull[4] ? NULL : DatumGetNumericCopy(v[4]);
	o->args.type = isnull[5] ? PGX_TYPE_LIMIT
	                         : enum_to_wire(v[5], exchange_type_labels, PGX_TYPE__COUNT);
	o->args.tif =
	    isnull[6] ? PGX_TIF_DAY : enum_to_wire(v[6], exchange_tif_labels, PGX_TIF__COUNT);
	o->args.client_order_id = isnull[7] ? NULL : TextDatumGetCString(v[7]);
	build_new_order(o->owner, &o->args, &o->rec);
}

/*
 * submit_orders(orders order_request[]) returns table (ordinal, id,
 *				 creation_time, filled_quantity, remaining_quantity, status,
 *				 reject_reason, sqlstate, message)
 */
Datum
exchange_submit_orders(PG_FUNCTION_ARGS)
{
	Oid owner = oe_function_owner(fcinfo);
	Datum *elems;
	bool *enulls;
	int n;
	MatchdItem *items;
	BasketOrder *orders;
	TupleDesc desc = NULL;

	InitMaterializedSRF(fcinfo, 0);
	n = basket_elements(fcinfo, 0, "orders", &elems, &enulls);
	items = palloc0(sizeof(MatchdItem) * Max(n, 1));
	orders = palloc0(sizeof(BasketOrder) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (enulls[i])
		{
			strlcpy(items[i].sqlstate, "22004", sizeof(items[i].sqlstate));
			items[i].message = psprintf("order %d of the basket is NULL", i + 1);
			continue;
		}
		orders[i].owner = owner;
		orders[i].row = DatumGetHeapTupleHeader(elems[i]);
		if (desc == NULL)
			desc = lookup_rowtype_tupdesc_copy(HeapTupleHeaderGetTypeId(orders[i].row),
			                                   HeapTupleHeaderGetTypMod(orders[i].row));
		orders[i].desc = desc;
		items[i].request = &orders[i].rec;
		judge_safely(judge_basket_order, &orders[i], &items[i]);
	}
	matchd_call_many(oe_caller_name(), items, n, "order", order_fate_hint);
	put_basket_rows(fcinfo, items, n);
	return (Datum)0;
}

/*
 * cancel_orders(account text, order_ids bigint[]) returns the same table as
 * submit_orders: each id is cancelled on its own, PX030 for one that is not an
 * open order of the account.
 */
Datum
exchange_cancel_orders(PG_FUNCTION_ARGS)
{
	Oid owner = oe_function_owner(fcinfo);
	char *account;
	Datum *elems;
	bool *enulls;
	int n;
	MatchdItem *items;
	pgx_record *recs;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("account must not be NULL")));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_account_owner(owner, account);
	n = basket_elements(fcinfo, 1, "order_ids", &elems, &enulls);
	items = palloc0(sizeof(MatchdItem) * Max(n, 1));
	recs = palloc0(sizeof(pgx_record) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int64 order_id = enulls[i] ? 0 : DatumGetInt64(elems[i]);

		if (enulls[i])
		{
			strlcpy(items[i].sqlstate, "22004", sizeof(items[i].sqlstate));
			items[i].message = psprintf("order id %d of the list is NULL", i + 1);
			continue;
		}
		if (order_id <= 0)
		{
			strlcpy(items[i].sqlstate, unpack_sql_state(ERRCODE_PGX_UNKNOWN_ORDER),
			        sizeof(items[i].sqlstate));
			items[i].message =
			    psprintf("order " INT64_FORMAT " is not an open order of account \"%s\"",
			             order_id, account);
			continue;
		}
		oe_record_init(&recs[i], PGX_KIND_CANCEL_ORDER);
		oe_record_str(&recs[i], PGX_S_ACCOUNT, account);
		oe_record_int(&recs[i], PGX_F_ORDER_ID, order_id);
		items[i].request = &recs[i];
	}
	matchd_call_many(oe_caller_name(), items, n, "cancel request", order_fate_hint);
	put_basket_rows(fcinfo, items, n);
	return (Datum)0;
}

/* ---- reference data ------------------------------------------------------------------
 */

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z');
}

/* ^[A-Z][A-Z0-9.]{0,15}$ */
static bool
valid_symbol(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 16 || !is_upper(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_upper(s[i]) && !is_digit(s[i]) && s[i] != '.')
			return false;
	return true;
}

/* ^[A-Z]{3}$ */
static bool
valid_currency(const char *s)
{
	return strlen(s) == 3 && is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]);
}

/* ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ */
static bool
valid_account(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 63 || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/*
 * The minor digits of a currency of exchange.currencies: 22023 for a code that
 * is not ISO 4217 shaped, PX063 for one the exchange does not list.
 */
int
oe_currency_digits(Oid owner, const char *currency)
{
	Datum arg, out;
	bool isnull;

	if (!valid_currency(currency))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("invalid currency \"%s\"", currency),
		                errdetail("A currency is an ISO 4217 code: three letters A-Z.")));
	arg = CStringGetTextDatum(currency);
	if (!run_lookup(owner, LOOKUP_CURRENCY, &arg, &out, &isnull, 1) || isnull)
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_CURRENCY),
		                errmsg("unknown currency \"%s\"", currency),
		                errhint("exchange.currencies lists the currencies the exchange "
		                        "settles in; an admin may add one there.")));
	return DatumGetInt32(out);
}

/*
 * A reference-data command that matchd sequenced but rejected with SQLSTATE
 * "00000" (the order manager's refusals carry their own and are raised by
 * matchd_call): the reason code names the error.
 */
void
oe_check_reference_answer(const MatchdAnswer *a, const char *what, const char *name)
{
	static const struct
	{
		const char *reason;
		const char *sqlstate;
	} codes[] = {
	    {"symbol_exists", "PX022"},
	    {"account_exists", "PX023"},
	    {"unknown_symbol", PGX_SQLSTATE_UNKNOWN_SYMBOL},
	    {"unknown_account", PGX_SQLSTATE_UNKNOWN_ACCOUNT},
	    {"market_closed", PGX_SQLSTATE_MARKET_CLOSED},
	    {"symbol_halted", PGX_SQLSTATE_SYMBOL_HALTED},
	    {"kyc_not_verified", PGX_SQLSTATE_KYC_NOT_VERIFIED},
	    {"account_suspended", PGX_SQLSTATE_ACCOUNT_SUSPENDED},
	    {"bad_state", PGX_SQLSTATE_BAD_STATE},
	    {"bad_session_op", PGX_SQLSTATE_BAD_STATE},
	    {"insufficient_funds", PGX_SQLSTATE_INSUFFICIENT_FUNDS},
	    {"insufficient_shares", PGX_SQLSTATE_INSUFFICIENT_SHARES},
	    {"bad_amount", PGX_SQLSTATE_BAD_AMOUNT},
	    {"unknown_currency", PGX_SQLSTATE_UNKNOWN_CURRENCY},
	};
	int code = ERRCODE_INVALID_PARAMETER_VALUE;

	if (a->status != PGX_STATUS_REJECTED)
		return;
	for (int i = 0; a->reason != NULL && i < lengthof(codes); i++)
		if (strcmp(a->reason, codes[i].reason) == 0)
			code = PGX_ERRCODE(codes[i].sqlstate);
	ereport(ERROR, (errcode(code),
	                errmsg("the matching engine rejected %s \"%s\": %s", what, name,
	                       a->reason != NULL ? a->reason : "no reason given"),
	                errdetail("The command was journaled at seq " INT64_FORMAT
	                          " as rejected; nothing changed.",
	                          a->seq)));
}

/*
 * The row a reference-data command changed, read with the latest snapshot by
 * lookup q (one output column: the row).
 */
Datum
oe_read_back(Oid owner, Lookup *q, Datum *args, const char *what, const char *name,
             int64 seq)
{
	Datum row;
	bool isnull;

	if (!oe_lookup(owner, q, args, &row, &isnull, 1) || isnull)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("matchd accepted %s \"%s\" at seq " INT64_FORMAT
		                       " but this database does not show it",
		                       what, name, seq),
		                errhint("Check that matchd journals into this database.")));
	return row;
}

static Datum
read_back(Oid owner, LookupKind kind, const char *what, const char *name, int64 seq)
{
	Datum arg = CStringGetTextDatum(name);

	return oe_read_back(owner, &lookups[kind], &arg, what, name, seq);
}

/*
 * The value of one tick of one share in the currency's minor unit:
 * tick_size * 10^minor_digits, which must be a whole number (PX010: a tick
 * finer than a cent cannot be settled exactly) and fit in bigint.
 */
static int64
tick_value_of(Numeric tick_size, const char *currency, int minor_digits)
{
	Numeric scaled, fraction;

	scaled = DatumGetNumeric(
	    DirectFunctionCall2(numeric_mul, NumericGetDatum(tick_size),
	                        NumericGetDatum(int64_to_numeric(oe_pow10(minor_digits)))));
	fraction = DatumGetNumeric(DirectFunctionCall2(numeric_mod, NumericGetDatum(scaled),
	                                               NumericGetDatum(int64_to_numeric(1))));
	if (!oe_numeric_is_zero(fraction))
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_PRICE_OFF_TICK),
		         errmsg("tick size %s is finer than the currency's minor unit",
		                oe_numeric_text(tick_size)),
		         errdetail("%s has %d minor digits; a tick must be a whole number of "
		                   "them so that every trade settles exactly.",
		                   currency, minor_digits)));
	if (oe_numeric_cmp(scaled, int64_to_numeric(PG_INT64_MAX)) > 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("tick size %s is too large", oe_numeric_text(tick_size))));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scaled)));
}

/*
 * add_symbol(symbol text, tick_size numeric, lot_size bigint DEFAULT 1,
 *			  currency text DEFAULT 'USD', reference_price numeric DEFAULT NULL,
 *			  description text DEFAULT NULL) returns exchange.symbols
 */
Datum
exchange_add_symbol(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"symbol",   "tick_size", "lot_size",
	                                    "currency", NULL,        NULL};
	Oid owner = oe_function_owner(fcinfo);
	char *symbol, *currency, *description = NULL;
	Numeric tick_size, reference_price = NULL;
	int64 lot_size, tick_value, reference_ticks = 0;
	StringInfoData detail;
	pgx_record rec;
	MatchdAnswer answer;

	oe_require_args(fcinfo, names, lengthof(names));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	tick_size = PG_GETARG_NUMERIC(1);
	lot_size = PG_GETARG_INT64(2);
	currency = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (!PG_ARGISNULL(4))
		reference_price = PG_GETARG_NUMERIC(4);
	if (!PG_ARGISNULL(5))
		description = text_to_cstring(PG_GETARG_TEXT_PP(5));

	if (!valid_symbol(symbol))
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("invalid symbol \"%s\"", symbol),
		         errdetail("A symbol is 1 to 16 of A-Z, 0-9 and '.', starting with a "
		                   "letter.")));
	if (!oe_numeric_positive(tick_size))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("tick size must be a positive number, not %s",
		                       oe_numeric_text(tick_size))));
	if (lot_size <= 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("lot size must be positive, not " INT64_FORMAT, lot_size)));
	if (!valid_currency(currency))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("invalid currency \"%s\"", currency),
		                errdetail("A currency is an ISO 4217 code: three letters A-Z.")));
	if (reference_price != NULL)
	{
		if (!oe_numeric_positive(reference_price))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("reference price must be a positive number, not %s",
			                       oe_numeric_text(reference_price))));
		reference_ticks = exchange_numeric_to_ticks(reference_price, tick_size);
	}
	if (description != NULL && strlen(description) > DESCRIPTION_MAX)
		ereport(ERROR, (errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
		                errmsg("description is longer than %d bytes", DESCRIPTION_MAX)));
	tick_value = tick_value_of(tick_size, currency, oe_currency_digits(owner, currency));

	/* the detail project_reference_data() reads back */
	initStringInfo(&detail);
	appendStringInfo(&detail,
	                 "{\"tick_size\": %s, \"lot_size\": " INT64_FORMAT ", \"currency\": ",
	                 oe_numeric_text(tick_size), lot_size);
	escape_json(&detail, currency);
	appendStringInfo(&detail, ", \"reference_price\": %s, \"description\": ",
	                 reference_price != NULL ? oe_numeric_text(reference_price) : "null");
	if (description != NULL)
		escape_json(&detail, description);
	else
		appendStringInfoString(&detail, "null");
	appendStringInfo(
	    &detail, ", \"tick_value\": " INT64_FORMAT ", \"reference_ticks\": ", tick_value);
	if (reference_price != NULL)
		appendStringInfo(&detail, INT64_FORMAT, reference_ticks);
	else
		appendStringInfoString(&detail, "null");
	appendStringInfoChar(&detail, '}');

	oe_record_init(&rec, PGX_KIND_ADD_SYMBOL);
	oe_record_str(&rec, PGX_S_SYMBOL, symbol);
	oe_record_str(&rec, PGX_S_DETAIL, detail.data);
	matchd_call(oe_caller_name(), &rec, "command", command_fate_hint, &answer);
	oe_check_reference_answer(&answer, "symbol", symbol);
	PG_RETURN_DATUM(read_back(owner, LOOKUP_SYMBOL_ROW, "symbol", symbol, answer.seq));
}

/*
 * open_account(account text, broker regrole,
 *				kyc_status exchange.kyc_status DEFAULT 'pending')
 * returns exchange.accounts
 *
 * (1.1 had no kyc_status: a database not yet updated calls with two arguments.)
 */
Datum
exchange_open_account(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", "broker", "kyc_status"};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *broker, *kyc_status = "pending";
	Oid broker_oid, broker_group;
	StringInfoData detail;
	pgx_record rec;
	MatchdAnswer answer;

	oe_require_args(fcinfo, names, Min(PG_NARGS(), lengthof(names)));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	broker_oid = PG_GETARG_OID(1);
	if (PG_NARGS() > 2)
		kyc_status = oe_enum_label(PG_GETARG_DATUM(2));

	if (!valid_account(account))
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("invalid account \"%s\"", account),
		         errdetail("An account is 1 to 63 of A-Z, a-z, 0-9, '_', '.' and '-', "
		                   "starting with a letter or digit.")));
	broker = GetUserNameFromId(broker_oid, true);
	if (broker == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("role with OID %u does not exist", broker_oid)));
	broker_group = get_role_oid("exchange_broker", false);
	if (broker_oid == broker_group ||
	    !is_member_of_role_nosuper(broker_oid, broker_group))
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("role \"%s\" is not a broker", broker),
		         errdetail("An account belongs to a broker's own role, a member of "
		                   "exchange_broker (not exchange_broker itself).")));

	initStringInfo(&detail);
	appendStringInfoString(&detail, "{\"broker\": ");
	escape_json(&detail, broker);
	appendStringInfoString(&detail, ", \"kyc_status\": ");
	escape_json(&detail, kyc_status);
	appendStringInfoChar(&detail, '}');

	oe_record_init(&rec, PGX_KIND_OPEN_ACCOUNT);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	oe_record_str(&rec, PGX_S_DETAIL, detail.data);
	matchd_call(oe_caller_name(), &rec, "command", command_fate_hint, &answer);
	oe_check_reference_answer(&answer, "account", account);
	PG_RETURN_DATUM(read_back(owner, LOOKUP_ACCOUNT_ROW, "account", account, answer.seq));
}
