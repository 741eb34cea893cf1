/*
 * order_manager.c
 *		The order manager's commands (extension 1.2), each a sequenced command
 *		sent to matchd: KYC and suspension of accounts, deposits and withdrawals,
 *		credits and debits of shares, account and symbol limits, halts, and the
 *		market session; and exchange.default_limits(), the risk defaults that SQL
 *		and matchd share.
 *
 * As in order_entry.c every argument is checked before anything is sent, so
 * bad input never reaches matchd, and numbers cross into integers exactly or
 * not at all: cash in the currency's minor unit, prices in ticks, never
 * rounded.  The functions are the admin's (EXECUTE for exchange_admin only);
 * the role sent to matchd is the caller's.  Not transactional: a command stands
 * once matchd answered, whatever the caller's transaction does.
 *
 * Each returns what it changed, read back (as the extension's owner, with the
 * latest snapshot) from the projection append_batch wrote in the same
 * transaction as the command: the account, the balance, the limits, the
 * symbol, the market status.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "exchange.h"
#include "matchd_client.h"
#include "order_entry.h"

PG_FUNCTION_INFO_V1(exchange_set_kyc_status);
PG_FUNCTION_INFO_V1(exchange_suspend_account);
PG_FUNCTION_INFO_V1(exchange_resume_account);
PG_FUNCTION_INFO_V1(exchange_deposit);
PG_FUNCTION_INFO_V1(exchange_withdraw);
PG_FUNCTION_INFO_V1(exchange_credit_shares);
PG_FUNCTION_INFO_V1(exchange_debit_shares);
PG_FUNCTION_INFO_V1(exchange_set_account_limits);
PG_FUNCTION_INFO_V1(exchange_set_symbol_limits);
PG_FUNCTION_INFO_V1(exchange_halt_symbol);
PG_FUNCTION_INFO_V1(exchange_resume_symbol);
PG_FUNCTION_INFO_V1(exchange_open_market);
PG_FUNCTION_INFO_V1(exchange_close_market);
PG_FUNCTION_INFO_V1(exchange_default_limits);

#define REASON_MAX    1000 /* bytes */
#define BPS_MAX       10000
#define BASE_CURRENCY "USD" /* the currency of the notional limits */

static const char *const account_fate_hint =
    "Look it up in exchange.account_history() before sending it again.";
static const char *const symbol_fate_hint =
    "Look it up in exchange.symbols before sending it again.";
static const char *const market_fate_hint =
    "Look it up in exchange.market_status() before sending it again.";

/* ---- read-backs (one column: the row), run as the extension's owner ------------- */

static Lookup account_row = {"SELECT a FROM exchange.accounts a "
                             "WHERE a.account OPERATOR(pg_catalog.=) $1",
                             1,
                             {TEXTOID}};
static Lookup symbol_row = {"SELECT s FROM exchange.symbols s "
                            "WHERE s.symbol OPERATOR(pg_catalog.=) $1",
                            1,
                            {TEXTOID}};
/* balances() pins its search_path: it runs here as the owner */
static Lookup balance_row = {"SELECT b FROM exchange.balances($1) b "
                             "WHERE b.asset_type OPERATOR(pg_catalog.=) $2 "
                             "AND b.asset OPERATOR(pg_catalog.=) $3",
                             3,
                             {TEXTOID, TEXTOID, TEXTOID}};
/* the seq of the last change of a wallet or position: it must be the command's */
static Lookup wallet_seq = {"SELECT updated_seq FROM exchange.wallets "
                            "WHERE account OPERATOR(pg_catalog.=) $1 "
                            "AND currency OPERATOR(pg_catalog.=) $2",
                            2,
                            {TEXTOID, TEXTOID}};
static Lookup position_seq = {"SELECT updated_seq FROM exchange.positions "
                              "WHERE account OPERATOR(pg_catalog.=) $1 "
                              "AND symbol OPERATOR(pg_catalog.=) $2",
                              2,
                              {TEXTOID, TEXTOID}};
static Lookup risk_limits_row = {"SELECT r FROM exchange.risk_limits r "
                                 "WHERE r.account OPERATOR(pg_catalog.=) $1",
                                 1,
                                 {TEXTOID}};
/* the stream's id and today's date in its market's time zone (UTC: no schedule) */
static Lookup stream_today = {
    "SELECT s.stream, "
    "exchange.local_date(s.stream, pg_catalog.clock_timestamp()) "
    "FROM exchange.streams s "
    "WHERE s.name OPERATOR(pg_catalog.=) $1",
    1,
    {TEXTOID}};
static Lookup market_changed = {"SELECT changed_seq FROM exchange.market_state "
                                "WHERE stream OPERATOR(pg_catalog.=) $1",
                                1,
                                {INT4OID}};
#define MARKET_STATUS_COLUMNS 6
static Lookup market_status = {"SELECT * FROM exchange.market_status($1)", 1, {TEXTOID}};

/* ---- checks ---------------------------------------------------------------------- */

static void
require_account(Oid owner, const char *account)
{
	NameData broker;

	if (!oe_lookup_account(owner, account, &broker))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_ACCOUNT),
		                errmsg("unknown account \"%s\"", account)));
}

static void
require_symbol(Oid owner, const char *symbol, Numeric *tick_size, int64 *lot_size)
{
	if (!oe_lookup_symbol(owner, symbol, tick_size, lot_size))
		ereport(ERROR, (errcode(ERRCODE_PGX_UNKNOWN_SYMBOL),
		                errmsg("unknown symbol \"%s\"", symbol)));
}

/* The optional reason argument (NULL when not given). */
static char *
reason_arg(FunctionCallInfo fcinfo, int argno)
{
	char *reason;

	if (PG_ARGISNULL(argno))
		return NULL;
	reason = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strlen(reason) > REASON_MAX)
		ereport(ERROR, (errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
		                errmsg("reason is longer than %d bytes", REASON_MAX)));
	return reason;
}

/*
 * An amount of money in the minor unit of a currency with `digits` minor
 * digits: exact or an error (PX062), never rounded.  The caller checks the
 * sign first, with its own SQLSTATE.
 */
static int64
to_minor_units(Numeric amount, int digits, const char *name, const char *currency)
{
	Numeric scaled, fraction;

	if (numeric_is_nan(amount) || numeric_is_inf(amount))
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_AMOUNT),
		                errmsg("%s must be a finite number", name)));
	scaled = DatumGetNumeric(
	    DirectFunctionCall2(numeric_mul, NumericGetDatum(amount),
	                        NumericGetDatum(int64_to_numeric(oe_pow10(digits)))));
	fraction = DatumGetNumeric(DirectFunctionCall2(numeric_mod, NumericGetDatum(scaled),
	                                               NumericGetDatum(int64_to_numeric(1))));
	if (!oe_numeric_is_zero(fraction))
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_AMOUNT),
		                errmsg("%s %s has more decimals than %s's %d", name,
		                       oe_numeric_text(amount), currency, digits),
		                errhint("Amounts are never rounded; give a whole number of the "
		                        "currency's minor unit.")));
	if (oe_numeric_cmp(scaled, int64_to_numeric(PG_INT64_MAX)) > 0 ||
	    oe_numeric_cmp(scaled, int64_to_numeric(PG_INT64_MIN)) < 0)
		ereport(ERROR, (errcode(ERRCODE_PGX_BAD_AMOUNT),
		                errmsg("%s %s is out of range", name, oe_numeric_text(amount))));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(scaled)));
}

/* ---- the detail JSON ------------------------------------------------------------- */

static void
detail_key(StringInfo d, const char *key)
{
	appendStringInfoString(d, d->len > 1 ? ", " : "");
	escape_json(d, key);
	appendStringInfoString(d, ": ");
}

static void
detail_text(StringInfo d, const char *key, const char *value)
{
	detail_key(d, key);
	if (value != NULL)
		escape_json(d, value);
	else
		appendStringInfoString(d, "null");
}

static void
detail_int(StringInfo d, const char *key, int64 value)
{
	detail_key(d, key);
	appendStringInfo(d, INT64_FORMAT, value);
}

static void
detail_begin(StringInfo d)
{
	initStringInfo(d);
	appendStringInfoChar(d, '{');
}

static void
detail_end(StringInfo d, pgx_record *rec)
{
	appendStringInfoChar(d, '}');
	oe_record_str(rec, PGX_S_DETAIL, d->data);
}

/*
 * The balance a cash or shares command changed: account, asset type, asset.
 * The wallet must show the command (its last change at seq or later), else
 * matchd did not send the wallet projection to this database.
 */
static Datum
read_back_balance(Oid owner, const char *account, const char *asset, bool cash,
                  const char *what, int64 seq)
{
	Datum args[3];
	Datum last;
	bool isnull;

	args[0] = CStringGetTextDatum(account);
	args[1] = CStringGetTextDatum(asset);
	if (!oe_lookup(owner, cash ? &wallet_seq : &position_seq, args, &last, &isnull, 1) ||
	    isnull || DatumGetInt64(last) < seq)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("matchd accepted %s \"%s\" at seq " INT64_FORMAT
		                " but this database does not show it",
		                what, account, seq),
		         errdetail("exchange.%s shows no change of the account's %s since then.",
		                   cash ? "wallets" : "positions", asset),
		         errhint("Check that matchd journals into this database with its wallet "
		                 "projection.")));
	args[1] = CStringGetTextDatum(cash ? "cash" : "shares");
	args[2] = CStringGetTextDatum(asset);
	return oe_read_back(owner, &balance_row, args, what, account, seq);
}

/* Sends rec; returns only when matchd accepted it (else its error is raised). */
static void
send_command(const pgx_record *rec, const char *what, const char *name,
             const char *fate_hint, MatchdAnswer *answer)
{
	matchd_call(oe_caller_name(), rec, what, fate_hint, answer);
	oe_check_reference_answer(answer, what, name);
}

/* Sends rec about the account or symbol `name`; returns its row (lookup row) after. */
static Datum
command_row(Oid owner, const pgx_record *rec, const char *what, const char *name,
            const char *fate_hint, Lookup *row)
{
	MatchdAnswer answer;
	Datum arg;

	send_command(rec, what, name, fate_hint, &answer);
	arg = CStringGetTextDatum(name);
	return oe_read_back(owner, row, &arg, psprintf("the %s of", what), name, answer.seq);
}

/*
 * suspend_account / resume_account(account text, reason text DEFAULT NULL)
 * returns exchange.accounts, and halt_symbol / resume_symbol(symbol text, reason
 * text DEFAULT NULL) returns exchange.symbols: a command about one account or
 * symbol whose detail is {"reason": ...}.
 */
static Datum
reason_command(FunctionCallInfo fcinfo, uint8 kind, const char *what, bool of_symbol)
{
	static const char *const account_names[] = {"account", NULL};
	static const char *const symbol_names[] = {"symbol", NULL};
	Oid owner = oe_function_owner(fcinfo);
	char *name, *reason;
	Numeric tick_size;
	int64 lot_size;
	StringInfoData detail;
	pgx_record rec;

	oe_require_args(fcinfo, of_symbol ? symbol_names : account_names, 2);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	reason = reason_arg(fcinfo, 1);
	if (of_symbol)
		require_symbol(owner, name, &tick_size, &lot_size);
	else
		require_account(owner, name);

	oe_record_init(&rec, kind);
	oe_record_str(&rec, of_symbol ? PGX_S_SYMBOL : PGX_S_ACCOUNT, name);
	detail_begin(&detail);
	detail_text(&detail, "reason", reason);
	detail_end(&detail, &rec);
	PG_RETURN_DATUM(command_row(owner, &rec, what, name,
	                            of_symbol ? symbol_fate_hint : account_fate_hint,
	                            of_symbol ? &symbol_row : &account_row));
}

/* ---- accounts -------------------------------------------------------------------- */

/*
 * set_kyc_status(account text, status exchange.kyc_status, reason text DEFAULT NULL)
 * returns exchange.accounts
 */
Datum
exchange_set_kyc_status(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", "status", NULL};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *status, *reason;
	StringInfoData detail;
	pgx_record rec;

	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	status = oe_enum_label(PG_GETARG_DATUM(1));
	reason = reason_arg(fcinfo, 2);
	require_account(owner, account);

	oe_record_init(&rec, PGX_KIND_SET_KYC);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	detail_begin(&detail);
	detail_text(&detail, "kyc_status", status);
	detail_text(&detail, "reason", reason);
	detail_end(&detail, &rec);
	PG_RETURN_DATUM(
	    command_row(owner, &rec, "KYC change", account, account_fate_hint, &account_row));
}

Datum
exchange_suspend_account(PG_FUNCTION_ARGS)
{
	return reason_command(fcinfo, PGX_KIND_SUSPEND_ACCOUNT, "suspension", false);
}

Datum
exchange_resume_account(PG_FUNCTION_ARGS)
{
	return reason_command(fcinfo, PGX_KIND_RESUME_ACCOUNT, "resumption", false);
}

/* ---- cash and shares --------------------------------------------------------------- */

/*
 * deposit / withdraw(account text, amount numeric, currency text DEFAULT 'USD')
 * returns exchange.balance (the account's wallet in that currency)
 */
static Datum
cash_command(FunctionCallInfo fcinfo, uint8 kind, const char *what)
{
	static const char *const names[] = {"account", "amount", "currency"};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *currency;
	Numeric amount;
	int digits;
	int64 minor;
	StringInfoData detail;
	pgx_record rec;
	MatchdAnswer answer;

	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	amount = PG_GETARG_NUMERIC(1);
	currency = text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (!numeric_is_nan(amount) && !numeric_is_inf(amount) &&
	    !oe_numeric_positive(amount))
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_BAD_AMOUNT),
		         errmsg("amount must be positive, not %s", oe_numeric_text(amount))));
	digits = oe_currency_digits(owner, currency);
	minor = to_minor_units(amount, digits, "amount", currency);
	require_account(owner, account);

	oe_record_init(&rec, kind);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	oe_record_int(&rec, PGX_F_AMOUNT, minor);
	detail_begin(&detail);
	detail_text(&detail, "currency", currency);
	detail_end(&detail, &rec);
	send_command(&rec, what, account, account_fate_hint, &answer);

	PG_RETURN_DATUM(read_back_balance(owner, account, currency, true,
	                                  psprintf("the %s of %s of account", what, currency),
	                                  answer.seq));
}

Datum
exchange_deposit(PG_FUNCTION_ARGS)
{
	return cash_command(fcinfo, PGX_KIND_DEPOSIT, "deposit");
}

Datum
exchange_withdraw(PG_FUNCTION_ARGS)
{
	return cash_command(fcinfo, PGX_KIND_WITHDRAW, "withdrawal");
}

/*
 * credit_shares / debit_shares(account text, symbol text, quantity bigint)
 * returns exchange.balance (the account's position in the symbol)
 */
static Datum
shares_command(FunctionCallInfo fcinfo, uint8 kind, const char *what)
{
	static const char *const names[] = {"account", "symbol", "quantity"};
	Oid owner = oe_function_owner(fcinfo);
	char *account, *symbol;
	int64 quantity, lot_size;
	Numeric tick_size;
	pgx_record rec;
	MatchdAnswer answer;

	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(1));
	quantity = PG_GETARG_INT64(2);

	if (quantity <= 0)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_BAD_QUANTITY),
		         errmsg("quantity must be positive, not " INT64_FORMAT, quantity)));
	require_account(owner, account);
	require_symbol(owner, symbol, &tick_size, &lot_size);
	oe_check_lot(symbol, quantity, lot_size);

	oe_record_init(&rec, kind);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	oe_record_str(&rec, PGX_S_SYMBOL, symbol);
	oe_record_int(&rec, PGX_F_QUANTITY, quantity);
	send_command(&rec, what, account, account_fate_hint, &answer);

	PG_RETURN_DATUM(read_back_balance(owner, account, symbol, false,
	                                  psprintf("the %s of %s of account", what, symbol),
	                                  answer.seq));
}

Datum
exchange_credit_shares(PG_FUNCTION_ARGS)
{
	return shares_command(fcinfo, PGX_KIND_CREDIT_SHARES, "share credit");
}

Datum
exchange_debit_shares(PG_FUNCTION_ARGS)
{
	return shares_command(fcinfo, PGX_KIND_DEBIT_SHARES, "share debit");
}

/* ---- limits -------------------------------------------------------------------- */

static void
check_positive_limit(const char *name, int64 value, int64 max)
{
	if (value <= 0 || value > max)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("%s must be between 1 and " INT64_FORMAT ", not " INT64_FORMAT,
		                name, max, value)));
}

/*
 * set_account_limits(account text, max_order_quantity bigint DEFAULT NULL,
 *		max_order_notional numeric DEFAULT NULL, max_daily_notional numeric DEFAULT NULL,
 *		max_open_orders int DEFAULT NULL, orders_per_second int DEFAULT NULL,
 *		burst int DEFAULT NULL) returns exchange.risk_limits
 *
 * Only the limits given change; notionals are in USD and travel in cents.
 */
Datum
exchange_set_account_limits(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"account", NULL, NULL, NULL, NULL, NULL, NULL};
	static const char *const keys[] = {NULL,
	                                   "max_order_quantity",
	                                   "max_order_notional",
	                                   "max_daily_notional",
	                                   "max_open_orders",
	                                   "orders_per_second",
	                                   "burst"};
	Oid owner = oe_function_owner(fcinfo);
	char *account;
	int64 values[lengthof(keys)];
	bool given = false;
	int digits = -1;
	StringInfoData detail;
	pgx_record rec;

	oe_require_args(fcinfo, names, lengthof(names));
	account = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (int i = 1; i < lengthof(keys); i++)
	{
		if (PG_ARGISNULL(i))
			continue;
		given = true;
		switch (i)
		{
			case 1:
				values[i] = PG_GETARG_INT64(i);
				check_positive_limit(keys[i], values[i], EXCHANGE_MAX_QUANTITY);
				break;
			case 2:
			case 3:
			{
				Numeric n = PG_GETARG_NUMERIC(i);

				if (!numeric_is_nan(n) && !numeric_is_inf(n) && !oe_numeric_positive(n))
					ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					                errmsg("%s must be positive, not %s", keys[i],
					                       oe_numeric_text(n))));
				if (digits < 0)
					digits = oe_currency_digits(owner, BASE_CURRENCY);
				values[i] = to_minor_units(n, digits, keys[i], BASE_CURRENCY);
				break;
			}
			default:
				values[i] = PG_GETARG_INT32(i);
				check_positive_limit(keys[i], values[i], PG_INT32_MAX);
				break;
		}
	}
	if (!given)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("set_account_limits has nothing to change"),
		         errhint("Give at least one limit; the others keep their values.")));
	require_account(owner, account);

	oe_record_init(&rec, PGX_KIND_SET_ACCOUNT_LIMITS);
	oe_record_str(&rec, PGX_S_ACCOUNT, account);
	detail_begin(&detail);
	for (int i = 1; i < lengthof(keys); i++)
		if (!PG_ARGISNULL(i))
			detail_int(&detail, keys[i], values[i]);
	detail_end(&detail, &rec);
	PG_RETURN_DATUM(command_row(owner, &rec, "limit change", account, account_fate_hint,
	                            &risk_limits_row));
}

/*
 * set_symbol_limits(symbol text, price_band_bps int DEFAULT NULL,
 *		market_collar_bps int DEFAULT NULL, maker_fee_bps int DEFAULT NULL,
 *		taker_fee_bps int DEFAULT NULL, reference_price numeric DEFAULT NULL)
 * returns exchange.symbols
 *
 * Only the parameters given change; the reference price travels in ticks.
 */
Datum
exchange_set_symbol_limits(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"symbol", NULL, NULL, NULL, NULL, NULL};
	static const char *const keys[] = {NULL,
	                                   "price_band_bps",
	                                   "market_collar_bps",
	                                   "maker_fee_bps",
	                                   "taker_fee_bps",
	                                   "reference_price"};
	Oid owner = oe_function_owner(fcinfo);
	char *symbol;
	int64 values[lengthof(keys)];
	bool given = false;
	Numeric tick_size, reference_price = NULL;
	int64 lot_size;
	StringInfoData detail;
	pgx_record rec;

	oe_require_args(fcinfo, names, lengthof(names));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (int i = 1; i < 5; i++)
	{
		if (PG_ARGISNULL(i))
			continue;
		given = true;
		values[i] = PG_GETARG_INT32(i);
		if (values[i] < 0 || values[i] > BPS_MAX)
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("%s must be between 0 and %d basis points, not " INT64_FORMAT,
			                keys[i], BPS_MAX, values[i])));
	}
	if (!PG_ARGISNULL(5))
	{
		given = true;
		reference_price = PG_GETARG_NUMERIC(5);
		if (!oe_numeric_positive(reference_price))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("reference price must be a positive number, not %s",
			                       oe_numeric_text(reference_price))));
	}
	if (!given)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("set_symbol_limits has nothing to change"),
		                errhint("Give at least one parameter; the others keep their "
		                        "values.")));
	require_symbol(owner, symbol, &tick_size, &lot_size);
	if (reference_price != NULL)
		values[5] = exchange_numeric_to_ticks(reference_price, tick_size);

	oe_record_init(&rec, PGX_KIND_SET_SYMBOL_LIMITS);
	oe_record_str(&rec, PGX_S_SYMBOL, symbol);
	detail_begin(&detail);
	for (int i = 1; i < lengthof(keys); i++)
		if (!PG_ARGISNULL(i))
			detail_int(&detail, keys[i], values[i]);
	detail_end(&detail, &rec);
	PG_RETURN_DATUM(
	    command_row(owner, &rec, "limit change", symbol, symbol_fate_hint, &symbol_row));
}

/* ---- halts and the session --------------------------------------------------- */

Datum
exchange_halt_symbol(PG_FUNCTION_ARGS)
{
	return reason_command(fcinfo, PGX_KIND_HALT, "halt", true);
}

Datum
exchange_resume_symbol(PG_FUNCTION_ARGS)
{
	return reason_command(fcinfo, PGX_KIND_RESUME, "resumption", true);
}

/*
 * open_market() / close_market() returns the row of exchange.market_status()
 * for the stream exchange.matchd_stream names (the one matchd serves).
 * market_open carries today's date in the market's time zone as its trading day.
 */
static Datum
session_command(FunctionCallInfo fcinfo, uint8 kind, const char *what)
{
	Oid owner = oe_function_owner(fcinfo);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	const char *stream_name = exchange_matchd_stream;
	Datum arg, out[MARKET_STATUS_COLUMNS];
	bool isnull[MARKET_STATUS_COLUMNS];
	int32 stream;
	pgx_record rec;
	MatchdAnswer answer;

	InitMaterializedSRF(fcinfo, 0);
	arg = CStringGetTextDatum(stream_name);
	if (!oe_lookup(owner, &stream_today, &arg, out, isnull, 2) || isnull[0] || isnull[1])
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_UNKNOWN_STREAM),
		         errmsg("stream \"%s\" does not exist", stream_name),
		         errhint("exchange.matchd_stream names the stream of the matchd at "
		                 "exchange.matchd_socket; matchd creates it when it first "
		                 "starts.")));
	stream = DatumGetInt32(out[0]);

	oe_record_init(&rec, kind);
	if (kind == PGX_KIND_MARKET_OPEN)
		rec.trading_day = DatumGetDateADT(out[1]);
	send_command(&rec, what, stream_name, market_fate_hint, &answer);

	arg = Int32GetDatum(stream);
	if (!oe_lookup(owner, &market_changed, &arg, out, isnull, 1) || isnull[0] ||
	    DatumGetInt64(out[0]) < answer.seq)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("matchd accepted the %s of stream \"%s\" at seq " INT64_FORMAT
		                " but this database does not show it",
		                what, stream_name, answer.seq),
		         errhint("Check that matchd journals into this database and that "
		                 "exchange.matchd_stream names its stream.")));
	arg = CStringGetTextDatum(stream_name);
	if (!oe_lookup(owner, &market_status, &arg, out, isnull, MARKET_STATUS_COLUMNS))
		elog(ERROR, "exchange.market_status() returned no row");
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, isnull);
	return (Datum)0;
}

Datum
exchange_open_market(PG_FUNCTION_ARGS)
{
	return session_command(fcinfo, PGX_KIND_MARKET_OPEN, "market open");
}

Datum
exchange_close_market(PG_FUNCTION_ARGS)
{
	return session_command(fcinfo, PGX_KIND_MARKET_CLOSE, "market close");
}

/* ---- default_limits() ----------------------------------------------------------------
 */

/*
 * default_limits() returns the PGX_DEFAULT_* constants of exchange_wire.h: the
 * limits of an account or symbol that set_account_limits / set_symbol_limits
 * did not change.  matchd compiles the same constants (they are part of replay).
 */
Datum
exchange_default_limits(PG_FUNCTION_ARGS)
{
	TupleDesc td;
	Datum values[10];
	bool nulls[10] = {0};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "default_limits must return a composite");
	td = BlessTupleDesc(td);
	if (td->natts != lengthof(values))
		elog(ERROR, "default_limits returns %d columns, not %d", td->natts,
		     (int)lengthof(values));
	values[0] = Int64GetDatum(PGX_DEFAULT_MAX_ORDER_QUANTITY);
	values[1] = Int64GetDatum(PGX_DEFAULT_MAX_ORDER_NOTIONAL);
	values[2] = Int64GetDatum(PGX_DEFAULT_MAX_DAILY_NOTIONAL);
	values[3] = Int32GetDatum((int32)PGX_DEFAULT_MAX_OPEN_ORDERS);
	values[4] = Int32GetDatum((int32)PGX_DEFAULT_ORDERS_PER_SECOND);
	values[5] = Int32GetDatum((int32)PGX_DEFAULT_BURST);
	values[6] = Int32GetDatum((int32)PGX_DEFAULT_PRICE_BAND_BPS);
	values[7] = Int32GetDatum((int32)PGX_DEFAULT_MARKET_COLLAR_BPS);
	values[8] = Int32GetDatum((int32)PGX_DEFAULT_FEE_BPS);
	values[9] = Int32GetDatum((int32)PGX_DEFAULT_FEE_BPS);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
