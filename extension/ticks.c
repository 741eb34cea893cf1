/*
 * ticks.c
 *		Exact conversions between SQL numeric prices and integer ticks.
 *
 * Everything below SQL counts prices in ticks of the symbol's tick size.  A
 * price that is not a whole number of ticks is an input error, never rounded:
 * rounding would silently change what a broker asked for.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_price_to_ticks);
PG_FUNCTION_INFO_V1(exchange_ticks_to_price);

static int
numeric_compare(Numeric a, Numeric b)
{
	return DatumGetInt32(
	    DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

static void
check_tick_size(Numeric tick_size)
{
	if (numeric_is_nan(tick_size) || numeric_is_inf(tick_size) ||
	    numeric_compare(tick_size, int64_to_numeric(0)) <= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("tick size must be a positive finite number, not %s",
		                       DatumGetCString(DirectFunctionCall1(
		                           numeric_out, NumericGetDatum(tick_size))))));
}

/*
 * price / tick_size exactly, for a positive finite tick_size: PX010 when that
 * is not a whole number of ticks, 22003 when it does not fit in bigint.  The
 * order functions validate prices with this before anything is sent.
 */
int64
exchange_numeric_to_ticks(Numeric price, Numeric tick_size)
{
	Numeric remainder;
	Numeric ticks;

	check_tick_size(tick_size);
	if (numeric_is_nan(price) || numeric_is_inf(price))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("price must be a finite number")));

	remainder = DatumGetNumeric(DirectFunctionCall2(numeric_mod, NumericGetDatum(price),
	                                                NumericGetDatum(tick_size)));
	if (numeric_compare(remainder, int64_to_numeric(0)) != 0)
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_PRICE_OFF_TICK),
		         errmsg("price %s is not a multiple of the tick size %s",
		                DatumGetCString(
		                    DirectFunctionCall1(numeric_out, NumericGetDatum(price))),
		                DatumGetCString(DirectFunctionCall1(numeric_out,
		                                                    NumericGetDatum(tick_size)))),
		         errhint("Prices are never rounded; send a price on the tick grid.")));

	ticks = DatumGetNumeric(DirectFunctionCall2(numeric_div_trunc, NumericGetDatum(price),
	                                            NumericGetDatum(tick_size)));
	if (numeric_compare(ticks, int64_to_numeric(PG_INT64_MAX)) > 0 ||
	    numeric_compare(ticks, int64_to_numeric(PG_INT64_MIN)) < 0)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("price is out of range: too many ticks for bigint")));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(ticks)));
}

/*
 * price_to_ticks(price numeric, tick_size numeric) returns bigint
 *
 * price / tick_size when that is a whole number that fits in bigint.
 */
Datum
exchange_price_to_ticks(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(
	    exchange_numeric_to_ticks(PG_GETARG_NUMERIC(0), PG_GETARG_NUMERIC(1)));
}

/*
 * ticks_to_price(ticks bigint, tick_size numeric) returns numeric
 *
 * ticks * tick_size, exact; the result has the scale of tick_size.
 */
Datum
exchange_ticks_to_price(PG_FUNCTION_ARGS)
{
	int64 ticks = PG_GETARG_INT64(0);
	Numeric tick_size = PG_GETARG_NUMERIC(1);

	check_tick_size(tick_size);
	PG_RETURN_NUMERIC(exchange_ticks_to_numeric(ticks, tick_size));
}

Numeric
exchange_ticks_to_numeric(int64 ticks, Numeric tick_size)
{
	return numeric_mul_opt_error(int64_to_numeric(ticks), tick_size, NULL);
}
