/*
 * candle.c
 *		The exchange.candle type (exact OHLCV), its aggregates candle_agg() and
 *		rollup(), and its accessors.
 *
 * Prices arrive as numeric.  Decoding a numeric through PostgreSQL's own
 * functions costs a detoast copy and a conversion per row, so the aggregate
 * reads the numeric's varlena directly (candle_decode_numeric below): that
 * format is what pg_upgrade carries over unchanged between major versions,
 * so it is stable.  The result is checked against numeric arithmetic over
 * random values in regress/sql/candles.sql.
 *
 * Text form (what candle_out prints and candle_in reads; prices at the
 * candle's scale, times in ISO 8601 at UTC, the seq of each trade):
 *
 *	open 10.50 at 2026-11-23T14:30:00+00:00 seq 4194306, high 10.75 at ... seq ...,
 *	low 10.25 at ... seq ..., close 10.60 at ... seq ..., volume 1200, trades 7,
 *	notional 12650.00
 *
 * See candle.h for the order of trades and docs/candles.md for the rules.
 */
#include "postgres.h"

#include <limits.h>

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "candle.h"

PG_FUNCTION_INFO_V1(exchange_candle_in);
PG_FUNCTION_INFO_V1(exchange_candle_out);
PG_FUNCTION_INFO_V1(exchange_candle_recv);
PG_FUNCTION_INFO_V1(exchange_candle_send);
PG_FUNCTION_INFO_V1(exchange_candle_agg_trans);
PG_FUNCTION_INFO_V1(exchange_candle_rollup_trans);
PG_FUNCTION_INFO_V1(exchange_candle_combine);
PG_FUNCTION_INFO_V1(exchange_candle_serialize);
PG_FUNCTION_INFO_V1(exchange_candle_deserialize);
PG_FUNCTION_INFO_V1(exchange_candle_final);
PG_FUNCTION_INFO_V1(exchange_candle_merge);
PG_FUNCTION_INFO_V1(exchange_candle_eq);
PG_FUNCTION_INFO_V1(exchange_candle_open);
PG_FUNCTION_INFO_V1(exchange_candle_high);
PG_FUNCTION_INFO_V1(exchange_candle_low);
PG_FUNCTION_INFO_V1(exchange_candle_close);
PG_FUNCTION_INFO_V1(exchange_candle_volume);
PG_FUNCTION_INFO_V1(exchange_candle_trade_count);
PG_FUNCTION_INFO_V1(exchange_candle_notional);
PG_FUNCTION_INFO_V1(exchange_candle_vwap);
PG_FUNCTION_INFO_V1(exchange_candle_open_time);
PG_FUNCTION_INFO_V1(exchange_candle_high_time);
PG_FUNCTION_INFO_V1(exchange_candle_low_time);
PG_FUNCTION_INFO_V1(exchange_candle_close_time);

/* extra decimals of the vwap beyond the prices' */
#define VWAP_EXTRA_SCALE 4

const int64 candle_pow10[CANDLE_MAX_SCALE + 1] = {1,
                                                  INT64CONST(10),
                                                  INT64CONST(100),
                                                  INT64CONST(1000),
                                                  INT64CONST(10000),
                                                  INT64CONST(100000),
                                                  INT64CONST(1000000),
                                                  INT64CONST(10000000),
                                                  INT64CONST(100000000),
                                                  INT64CONST(1000000000),
                                                  INT64CONST(10000000000),
                                                  INT64CONST(100000000000),
                                                  INT64CONST(1000000000000),
                                                  INT64CONST(10000000000000),
                                                  INT64CONST(100000000000000),
                                                  INT64CONST(1000000000000000),
                                                  INT64CONST(10000000000000000),
                                                  INT64CONST(100000000000000000),
                                                  INT64CONST(1000000000000000000)};

/* ---- decoding numeric ----------------------------------------------------------
 *
 * The varlena of a numeric (src/backend/utils/adt/numeric.c, unchanged since
 * PostgreSQL 9.1 apart from the infinities of 14) holds, after the varlena
 * header, a uint16 header and then base-10000 digits (int16 each, most
 * significant first):
 *
 *	header & 0xC000 == 0xC000	special: 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity
 *	header & 0xC000 == 0x8000	short: sign 0x2000 (negative), display scale
 *								(header & 0x1F80) >> 7, weight in the low 7 bits
 *								(two's complement: 0x40 is the sign)
 *	otherwise					long: sign 0x4000 (negative), display scale
 *								header & 0x3FFF, then an int16 weight
 *
 * The value is sum(digit[i] * 10000^(weight - i)); a zero has no digits.
 * Digits beyond the display scale are zero (numeric rounds to it), but the
 * decoder does not rely on it: it keeps every non-zero digit.
 */
#define NUM_SPECIAL_MASK  0xC000
#define NUM_SPECIAL       0xC000
#define NUM_SHORT         0x8000
#define NUM_LONG_NEGATIVE 0x4000
#define NUM_NAN           0xC000
#define NUM_EXT_MASK      0xF000
#define NUM_SHORT_NEG     0x2000
#define NUM_SHORT_DSCALE  0x1F80
#define NUM_SHORT_WSIGN   0x0040
#define NUM_SHORT_WEIGHT  0x003F
#define NUM_LONG_DSCALE   0x3FFF
#define NUM_BASE          10000
#define NUM_BASE_DIGITS   4

static inline uint64
numeric_digit(const char *digits, int i)
{
	int16 d;

	memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
	if (unlikely(d < 0 || d >= NUM_BASE))
		elog(ERROR, "corrupt numeric digit %d", d);
	return (uint64)d;
}

/* m := m / 10^k when that is exact (constant divisors for the usual k) */
static inline bool
divide_exactly(uint64 *m, int k)
{
	uint64 q;

	switch (k)
	{
		case 1:
			q = *m / 10;
			break;
		case 2:
			q = *m / 100;
			break;
		case 3:
			q = *m / 1000;
			break;
		default:
			q = *m / (uint64)candle_pow10[k];
			break;
	}
	if (q * (uint64)candle_pow10[k] != *m)
		return false;
	*m = q;
	return true;
}

/*
 * m * 10^-frac as a mantissa at the display scale dscale: trailing zero
 * base-10000 digits are not stored (1.2E+8 is one digit, frac -8), and the
 * last stored digit stands for up to 3 decimals beyond the display scale.
 */
static CandleNumeric
finish_decimal(uint64 m, int frac, int dscale, int64 *mantissa, int *scale)
{
	if (frac < 0)
	{
		if (frac < -CANDLE_MAX_SCALE || m > (uint64)PG_INT64_MAX / candle_pow10[-frac])
			return CANDLE_NUMERIC_RANGE;
		m *= candle_pow10[-frac];
		frac = 0;
	}
	if (frac > dscale)
	{
		if (frac - dscale <= CANDLE_MAX_SCALE && divide_exactly(&m, frac - dscale))
			frac = dscale;
		else
		{
			/* non-zero digits beyond the display scale (no numeric PostgreSQL
			 * made): keep them */
			while (frac > dscale && m % 10 == 0)
			{
				m /= 10;
				frac--;
			}
		}
	}
	if (frac > CANDLE_MAX_SCALE || dscale > CANDLE_MAX_SCALE)
		return CANDLE_NUMERIC_RANGE;
	if (frac < dscale)
	{
		if (m > (uint64)PG_INT64_MAX / candle_pow10[dscale - frac])
			return CANDLE_NUMERIC_RANGE;
		m *= candle_pow10[dscale - frac];
		frac = dscale;
	}
	if (m > (uint64)PG_INT64_MAX)
		return CANDLE_NUMERIC_RANGE;
	*mantissa = (int64)m;
	*scale = frac;
	return CANDLE_NUMERIC_OK;
}

/*
 * The value of a numeric datum as mantissa * 10^-scale, with scale its display
 * scale (more only if it holds non-zero digits beyond it).  Only positive
 * values below 2^63 units of its scale, with at most CANDLE_MAX_SCALE
 * decimals, decode; the status says why another did not.
 */
CandleNumeric
candle_decode_numeric(Datum value, int64 *mantissa, int *scale)
{
	struct varlena *v = (struct varlena *)DatumGetPointer(value);
	const char *p;
	size_t len;
	uint16 header;
	int dscale;
	int weight;
	int ndigits;
	int frac; /* decimals the digits stand for */
	uint128 acc = 0;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = pg_detoast_datum(v);
	if (VARATT_IS_SHORT(v))
	{
		p = VARDATA_SHORT(v);
		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;
	}
	else
	{
		p = VARDATA(v);
		len = VARSIZE(v) - VARHDRSZ;
	}
	if (len < sizeof(uint16))
		elog(ERROR, "corrupt numeric value of %zu bytes", len);
	memcpy(&header, p, sizeof(uint16));
	if ((header & NUM_SPECIAL_MASK) == NUM_SPECIAL)
		return (header & NUM_EXT_MASK) == NUM_NAN ? CANDLE_NUMERIC_NAN
		                                          : CANDLE_NUMERIC_INFINITE;
	if ((header & NUM_SPECIAL_MASK) == NUM_SHORT)
	{
		if (header & NUM_SHORT_NEG)
			return CANDLE_NUMERIC_NOT_POSITIVE;
		dscale = (header & NUM_SHORT_DSCALE) >> 7;
		weight = (header & NUM_SHORT_WEIGHT) - ((header & NUM_SHORT_WSIGN) ? 64 : 0);
		p += sizeof(uint16);
		len -= sizeof(uint16);
	}
	else
	{
		int16 w;

		if (len < 2 * sizeof(uint16))
			elog(ERROR, "corrupt numeric value of %zu bytes", len);
		if (header & NUM_LONG_NEGATIVE)
			return CANDLE_NUMERIC_NOT_POSITIVE;
		dscale = header & NUM_LONG_DSCALE;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		p += 2 * sizeof(uint16);
		len -= 2 * sizeof(uint16);
	}
	ndigits = (int)(len / sizeof(int16));
	if (ndigits == 0)
		return CANDLE_NUMERIC_NOT_POSITIVE; /* zero */

	/*
	 * The digits as one integer standing for frac decimals: in 64 bits up to
	 * four digits (16 decimal digits, every usual price), else in 128 bits.
	 */
	frac = NUM_BASE_DIGITS * (ndigits - 1 - weight);
	if (ndigits <= 4)
	{
		uint64 m = 0;

		for (int i = 0; i < ndigits; i++)
			m = m * NUM_BASE + numeric_digit(p, i);
		return finish_decimal(m, frac, dscale, mantissa, scale);
	}
	for (int i = 0; i < ndigits; i++)
	{
		/* below 10^30 * 10^4 the digits fit; such a value cannot fit anyway */
		if (acc >= (uint128)candle_pow10[15] * (uint128)candle_pow10[15])
			return CANDLE_NUMERIC_RANGE;
		acc = acc * NUM_BASE + numeric_digit(p, i);
	}
	/* decimals beyond the display scale are zero in any numeric PostgreSQL made */
	while (acc > (uint128)PG_UINT64_MAX && frac > dscale && acc % 10 == 0)
	{
		acc /= 10;
		frac--;
	}
	if (acc > (uint128)PG_UINT64_MAX)
		return CANDLE_NUMERIC_RANGE;
	return finish_decimal((uint64)acc, frac, dscale, mantissa, scale);
}

static char *
numeric_text(Datum value)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, value));
}

/* Raises the error a price that did not decode deserves. */
void
candle_check_price(CandleNumeric status, Datum value)
{
	if (status == CANDLE_NUMERIC_OK)
		return;
	if (status == CANDLE_NUMERIC_RANGE)
		ereport(ERROR,
		        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		         errmsg("price %s does not fit in a candle", numeric_text(value)),
		         errdetail("A candle keeps a price exactly as a 64-bit integer number of "
		                   "units of its last decimal: at most %d decimals, and below "
		                   "2^63 units.",
		                   CANDLE_MAX_SCALE)));
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("price must be a positive finite number, not %s",
	                       numeric_text(value))));
}

/* ---- building and merging --------------------------------------------------------- */

static void
pg_attribute_noreturn() out_of_range(const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
	                errmsg("candle %s is out of range", what)));
}

/* Raises c's scale to `scale` (> c->scale); false, c unchanged, on overflow. */
static bool
rescale(Candle *c, int scale)
{
	int64 f = candle_pow10[scale - c->scale];
	int64 open, high, low, close;
	int128 notional;

	if (pg_mul_s64_overflow(c->open, f, &open) ||
	    pg_mul_s64_overflow(c->high, f, &high) || pg_mul_s64_overflow(c->low, f, &low) ||
	    pg_mul_s64_overflow(c->close, f, &close) ||
	    __builtin_mul_overflow(c->notional, (int128)f, &notional))
		return false;
	c->open = open;
	c->high = high;
	c->low = low;
	c->close = close;
	c->notional = notional;
	c->scale = scale;
	return true;
}

static void
rescale_or_error(Candle *c, int scale)
{
	if (!rescale(c, scale))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("candle prices do not fit at %d decimals", scale),
		                errdetail("A price with %d decimals joined the candle; its other "
		                          "prices must then stay below 2^63 units of 10^-%d.",
		                          scale, scale)));
}

static inline bool
key_less(TimestampTz ts, int64 seq, const CandleKey *k)
{
	return ts < k->ts || (ts == k->ts && seq < k->seq);
}

/* (ts, seq, price) < (k, kprice): the order of trades */
static inline bool
trade_less(TimestampTz ts, int64 seq, int64 price, const CandleKey *k, int64 kprice)
{
	return ts < k->ts ||
	       (ts == k->ts && (seq < k->seq || (seq == k->seq && price < kprice)));
}

void
candle_first(Candle *c, int scale, int64 price, int64 quantity, TimestampTz ts, int64 seq)
{
	c->scale = scale;
	c->open = c->high = c->low = c->close = price;
	c->volume = quantity;
	c->trades = 1;
	c->notional = (int128)price * quantity;
	c->open_at.ts = c->high_at.ts = c->low_at.ts = c->close_at.ts = ts;
	c->open_at.seq = c->high_at.seq = c->low_at.seq = c->close_at.seq = seq;
}

/* Adds one trade (price at `scale` decimals, quantity > 0). */
void
candle_add(Candle *c, int scale, int64 price, int64 quantity, TimestampTz ts, int64 seq)
{
	CandleKey key = {ts, seq};

	if (unlikely(scale != c->scale))
	{
		if (scale > c->scale)
			rescale_or_error(c, scale);
		else if (pg_mul_s64_overflow(price, candle_pow10[c->scale - scale], &price))
			ereport(ERROR,
			        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			         errmsg("a price does not fit at the candle's %d decimals", c->scale),
			         errdetail("Prices with %d decimals joined the candle; every price "
			                   "must then stay below 2^63 units of 10^-%d.",
			                   c->scale, c->scale)));
	}
	if (trade_less(ts, seq, price, &c->open_at, c->open))
	{
		c->open = price;
		c->open_at.ts = ts;
		c->open_at.seq = seq;
	}
	if (trade_less(c->close_at.ts, c->close_at.seq, c->close, &key, price))
	{
		c->close = price;
		c->close_at.ts = ts;
		c->close_at.seq = seq;
	}
	if (price > c->high || (price == c->high && key_less(ts, seq, &c->high_at)))
	{
		c->high = price;
		c->high_at.ts = ts;
		c->high_at.seq = seq;
	}
	if (price < c->low || (price == c->low && key_less(ts, seq, &c->low_at)))
	{
		c->low = price;
		c->low_at.ts = ts;
		c->low_at.seq = seq;
	}
	if (pg_add_s64_overflow(c->volume, quantity, &c->volume))
		out_of_range("volume");
	c->trades++;
	/* price and quantity are below 2^63: the product fits, the sum may not */
	if (__builtin_add_overflow(c->notional, (int128)price * quantity, &c->notional))
		out_of_range("notional");
}

/* into := the candle of the trades of both. */
void
candle_merge(Candle *into, const Candle *other)
{
	Candle o = *other;

	if (o.scale < into->scale)
		rescale_or_error(&o, into->scale);
	else if (o.scale > into->scale)
		rescale_or_error(into, o.scale);
	if (trade_less(o.open_at.ts, o.open_at.seq, o.open, &into->open_at, into->open))
	{
		into->open = o.open;
		into->open_at = o.open_at;
	}
	if (trade_less(into->close_at.ts, into->close_at.seq, into->close, &o.close_at,
	               o.close))
	{
		into->close = o.close;
		into->close_at = o.close_at;
	}
	if (o.high > into->high ||
	    (o.high == into->high && key_less(o.high_at.ts, o.high_at.seq, &into->high_at)))
	{
		into->high = o.high;
		into->high_at = o.high_at;
	}
	if (o.low < into->low ||
	    (o.low == into->low && key_less(o.low_at.ts, o.low_at.seq, &into->low_at)))
	{
		into->low = o.low;
		into->low_at = o.low_at;
	}
	if (pg_add_s64_overflow(into->volume, o.volume, &into->volume))
		out_of_range("volume");
	if (pg_add_s64_overflow(into->trades, o.trades, &into->trades))
		out_of_range("trade count");
	if (__builtin_add_overflow(into->notional, o.notional, &into->notional))
		out_of_range("notional");
}

/* ---- the SQL value ---------------------------------------------------------------- */

CandleValue *
candle_pack(const Candle *c)
{
	CandleValue *v = palloc0(sizeof(CandleValue));

	SET_VARSIZE(v, sizeof(CandleValue));
	v->version = CANDLE_VERSION;
	v->scale = (int16)c->scale;
	v->open = c->open;
	v->high = c->high;
	v->low = c->low;
	v->close = c->close;
	v->volume = c->volume;
	v->trades = c->trades;
	v->notional_hi = (int64)(c->notional >> 64);
	v->notional_lo = (uint64)c->notional;
	v->open_at = c->open_at;
	v->high_at = c->high_at;
	v->low_at = c->low_at;
	v->close_at = c->close_at;
	return v;
}

void
candle_unpack(const CandleValue *v, Candle *c)
{
	c->scale = v->scale;
	c->open = v->open;
	c->high = v->high;
	c->low = v->low;
	c->close = v->close;
	c->volume = v->volume;
	c->trades = v->trades;
	c->notional = (int128)(((uint128)(uint64)v->notional_hi << 64) | v->notional_lo);
	c->open_at = v->open_at;
	c->high_at = v->high_at;
	c->low_at = v->low_at;
	c->close_at = v->close_at;
}

/* The candle argument n, checked to be one of ours. */
static const CandleValue *
arg_candle(FunctionCallInfo fcinfo, int n)
{
	const CandleValue *v = (const CandleValue *)PG_DETOAST_DATUM(PG_GETARG_DATUM(n));

	if (VARSIZE(v) != sizeof(CandleValue) || v->version != CANDLE_VERSION)
		elog(ERROR, "corrupt candle value (%u bytes, version %d)", VARSIZE(v),
		     v->version);
	return v;
}

static void
arg_unpack(FunctionCallInfo fcinfo, int n, Candle *c)
{
	candle_unpack(arg_candle(fcinfo, n), c);
}

/*
 * Why c cannot be the candle of any trades, or NULL when it can be: what text
 * and binary input check, so that no stored candle breaks the rules the
 * aggregates keep.
 */
static const char *
candle_inconsistency(const Candle *c)
{
	if (c->scale < 0 || c->scale > CANDLE_MAX_SCALE)
		return psprintf("the scale must be between 0 and %d", CANDLE_MAX_SCALE);
	if (c->low <= 0)
		return "prices must be positive";
	if (c->low > c->high || c->open < c->low || c->open > c->high || c->close < c->low ||
	    c->close > c->high)
		return "open and close must lie between low and high";
	if (c->trades < 1 || c->volume < c->trades)
		return "there must be at least one trade, and no more trades than the volume";
	if (c->notional < (int128)c->low * c->volume ||
	    c->notional > (int128)c->high * c->volume)
		return "the notional must lie between low * volume and high * volume";
	if (TIMESTAMP_NOT_FINITE(c->open_at.ts) || TIMESTAMP_NOT_FINITE(c->high_at.ts) ||
	    TIMESTAMP_NOT_FINITE(c->low_at.ts) || TIMESTAMP_NOT_FINITE(c->close_at.ts))
		return "times must be finite";
	if (trade_less(c->close_at.ts, c->close_at.seq, c->close, &c->open_at, c->open))
		return "the open must not come after the close";
	if (key_less(c->high_at.ts, c->high_at.seq, &c->open_at) ||
	    key_less(c->close_at.ts, c->close_at.seq, &c->high_at) ||
	    key_less(c->low_at.ts, c->low_at.seq, &c->open_at) ||
	    key_less(c->close_at.ts, c->close_at.seq, &c->low_at))
		return "the high and the low must lie between the open and the close";
	if (c->trades == 1 &&
	    (c->high != c->low || c->notional != (int128)c->open * c->volume ||
	     key_less(c->open_at.ts, c->open_at.seq, &c->close_at)))
		return "a single trade has one price and one time";
	return NULL;
}

static void
check_consistent(const Candle *c, int sqlstate, const char *input)
{
	const char *why = candle_inconsistency(c);

	if (why != NULL)
		ereport(ERROR, (errcode(sqlstate),
		                input ? errmsg("invalid candle: \"%s\"", input)
		                      : errmsg("invalid candle in binary input"),
		                errdetail("In a candle, %s.", why)));
}

/* ---- text I/O ------------------------------------------------------------------- */

/* mantissa * 10^-scale in plain decimal (mantissa >= 0) */
static void
append_decimal(StringInfo buf, int128 mantissa, int scale)
{
	char digits[48];
	int n = 0;

	do
	{
		digits[n++] = (char)('0' + (int)(mantissa % 10));
		mantissa /= 10;
	} while (mantissa > 0 || n <= scale);
	while (n-- > 0)
	{
		appendStringInfoChar(buf, digits[n]);
		if (n == scale && n > 0)
			appendStringInfoChar(buf, '.');
	}
}

static void
append_time(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t fsec;
	char text[MAXDATELEN + 1];

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
		                errmsg("timestamp out of range")));
	tm.tm_isdst = 0; /* a zone is known: UTC, printed as +00:00 */
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_XSD_DATES, text);
	appendStringInfoString(buf, text);
}

static const char *const event_names[4] = {"open", "high", "low", "close"};

Datum
exchange_candle_out(PG_FUNCTION_ARGS)
{
	Candle c;
	StringInfoData buf;
	const CandleKey *keys[4] = {&c.open_at, &c.high_at, &c.low_at, &c.close_at};

	arg_unpack(fcinfo, 0, &c);
	initStringInfo(&buf);
	for (int i = 0; i < 4; i++)
	{
		int64 price = i == 0 ? c.open : i == 1 ? c.high : i == 2 ? c.low : c.close;

		appendStringInfo(&buf, "%s ", event_names[i]);
		append_decimal(&buf, price, c.scale);
		appendStringInfoString(&buf, " at ");
		append_time(&buf, keys[i]->ts);
		appendStringInfo(&buf, " seq " INT64_FORMAT ", ", keys[i]->seq);
	}
	appendStringInfo(&buf, "volume " INT64_FORMAT ", trades " INT64_FORMAT ", notional ",
	                 c.volume, c.trades);
	append_decimal(&buf, c.notional, c.scale);
	PG_RETURN_CSTRING(buf.data);
}

typedef struct Parser
{
	const char *input;
	const char *p;
} Parser;

static void
pg_attribute_noreturn() syntax_error(const Parser *ps, const char *expected)
{
	/* where it went wrong: the next few characters */
	int shown = pg_mbcliplen(ps->p, strlen(ps->p), 24);

	ereport(ERROR,
	        (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
	         errmsg("invalid input syntax for type candle: \"%s\"", ps->input),
	         errdetail("Expected %s at \"%.*s%s\".", expected, shown, ps->p,
	                   ps->p[shown] != '\0' ? "..." : ""),
	         errhint("A candle reads: open P at T seq N, high P at T seq N, low P at T "
	                 "seq N, close P at T seq N, volume V, trades K, notional X.")));
}

static void
skip_spaces(Parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static void
expect(Parser *ps, const char *word)
{
	size_t len = strlen(word);

	skip_spaces(ps);
	if (strncmp(ps->p, word, len) != 0)
		syntax_error(ps, psprintf("\"%s\"", word));
	ps->p += len;
}

/* the next run of characters up to a space, a comma or the end */
static char *
token(Parser *ps, const char *what)
{
	const char *start;

	skip_spaces(ps);
	start = ps->p;
	while (*ps->p != '\0' && *ps->p != ' ' && *ps->p != ',' && *ps->p != '\t' &&
	       *ps->p != '\n' && *ps->p != '\r')
		ps->p++;
	if (ps->p == start)
		syntax_error(ps, what);
	return pnstrdup(start, ps->p - start);
}

/* An unsigned decimal (digits, at most one point) as mantissa and scale. */
static void
parse_decimal(Parser *ps, const char *what, int128 *mantissa, int *scale)
{
	const char *start;
	char *text;
	int128 m = 0;
	int digits = 0;
	int decimals = -1;

	skip_spaces(ps);
	start = ps->p;
	text = token(ps, what);

	for (const char *s = text; *s; s++)
	{
		if (*s == '.' && decimals < 0)
		{
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || digits >= 36)
		{
			ps->p = start;
			syntax_error(ps, what);
		}
		m = m * 10 + (*s - '0');
		digits++;
		if (decimals >= 0)
			decimals++;
	}
	if (digits == 0 || decimals > CANDLE_MAX_SCALE)
	{
		ps->p = start;
		syntax_error(ps, what);
	}
	*mantissa = m;
	*scale = decimals < 0 ? 0 : decimals;
}

static int64
parse_int64(Parser *ps, const char *what)
{
	const char *start;
	char *text;
	char *end;
	long long v;

	skip_spaces(ps);
	start = ps->p;
	text = token(ps, what);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0)
	{
		ps->p = start;
		syntax_error(ps, what);
	}
	return (int64)v;
}

/* The text between "at " and " seq", parsed as timestamptz. */
static TimestampTz
parse_time(Parser *ps)
{
	const char *end;
	char *text;

	skip_spaces(ps);
	end = strstr(ps->p, " seq ");
	if (end == NULL || end == ps->p)
		syntax_error(ps, "a timestamp followed by \" seq \"");
	text = pnstrdup(ps->p, end - ps->p);
	ps->p = end;
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
	                                               ObjectIdGetDatum(InvalidOid),
	                                               Int32GetDatum(-1)));
}

/* Brings a parsed mantissa at `from` decimals to `to` (>= from) decimals. */
static int128
at_scale(const Parser *ps, int128 m, int from, int to, int64 limit)
{
	int128 r;

	if (__builtin_mul_overflow(m, (int128)candle_pow10[to - from], &r) || r > limit)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("value out of range in candle: \"%s\"", ps->input)));
	return r;
}

Datum
exchange_candle_in(PG_FUNCTION_ARGS)
{
	char *input = PG_GETARG_CSTRING(0);
	Parser ps = {input, input};
	Candle c;
	int128 prices[4];
	int scales[4];
	CandleKey *keys[4] = {&c.open_at, &c.high_at, &c.low_at, &c.close_at};
	int128 notional;
	int notional_scale;

	memset(&c, 0, sizeof(c));
	c.scale = 0;
	for (int i = 0; i < 4; i++)
	{
		if (i > 0)
			expect(&ps, ",");
		expect(&ps, event_names[i]);
		parse_decimal(&ps, psprintf("the %s price", event_names[i]), &prices[i],
		              &scales[i]);
		expect(&ps, "at");
		keys[i]->ts = parse_time(&ps);
		expect(&ps, "seq");
		keys[i]->seq = parse_int64(&ps, "a seq (bigint)");
		c.scale = Max(c.scale, scales[i]);
	}
	expect(&ps, ",");
	expect(&ps, "volume");
	c.volume = parse_int64(&ps, "the volume (bigint)");
	expect(&ps, ",");
	expect(&ps, "trades");
	c.trades = parse_int64(&ps, "the number of trades (bigint)");
	expect(&ps, ",");
	expect(&ps, "notional");
	parse_decimal(&ps, "the notional", &notional, &notional_scale);
	skip_spaces(&ps);
	if (*ps.p != '\0')
		syntax_error(&ps, "the end of the candle");
	if (notional_scale > c.scale)
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid candle: \"%s\"", input),
		                errdetail("The notional has more decimals than the prices.")));

	c.open = (int64)at_scale(&ps, prices[0], scales[0], c.scale, PG_INT64_MAX);
	c.high = (int64)at_scale(&ps, prices[1], scales[1], c.scale, PG_INT64_MAX);
	c.low = (int64)at_scale(&ps, prices[2], scales[2], c.scale, PG_INT64_MAX);
	c.close = (int64)at_scale(&ps, prices[3], scales[3], c.scale, PG_INT64_MAX);
	if (__builtin_mul_overflow(notional, (int128)candle_pow10[c.scale - notional_scale],
	                           &c.notional))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("value out of range in candle: \"%s\"", input)));
	check_consistent(&c, ERRCODE_INVALID_TEXT_REPRESENTATION, input);
	PG_RETURN_POINTER(candle_pack(&c));
}

/* ---- binary I/O: version byte, scale, then every field as int64 ------------------ */

Datum
exchange_candle_send(PG_FUNCTION_ARGS)
{
	const CandleValue *v = arg_candle(fcinfo, 0);
	const CandleKey *keys[4] = {&v->open_at, &v->high_at, &v->low_at, &v->close_at};
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CANDLE_VERSION);
	pq_sendint16(&buf, (uint16)v->scale);
	pq_sendint64(&buf, v->open);
	pq_sendint64(&buf, v->high);
	pq_sendint64(&buf, v->low);
	pq_sendint64(&buf, v->close);
	pq_sendint64(&buf, v->volume);
	pq_sendint64(&buf, v->trades);
	pq_sendint64(&buf, v->notional_hi);
	pq_sendint64(&buf, (int64)v->notional_lo);
	for (int i = 0; i < 4; i++)
	{
		pq_sendint64(&buf, keys[i]->ts);
		pq_sendint64(&buf, keys[i]->seq);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
exchange_candle_recv(PG_FUNCTION_ARGS)
{
	StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
	CandleValue v;
	CandleKey *keys[4] = {&v.open_at, &v.high_at, &v.low_at, &v.close_at};
	Candle c;
	int version = pq_getmsgbyte(buf);

	if (version != CANDLE_VERSION)
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
		                errmsg("unsupported binary candle version %d", version)));
	v.scale = (int16)pq_getmsgint(buf, 2);
	v.open = pq_getmsgint64(buf);
	v.high = pq_getmsgint64(buf);
	v.low = pq_getmsgint64(buf);
	v.close = pq_getmsgint64(buf);
	v.volume = pq_getmsgint64(buf);
	v.trades = pq_getmsgint64(buf);
	v.notional_hi = pq_getmsgint64(buf);
	v.notional_lo = (uint64)pq_getmsgint64(buf);
	for (int i = 0; i < 4; i++)
	{
		keys[i]->ts = pq_getmsgint64(buf);
		keys[i]->seq = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	candle_unpack(&v, &c);
	check_consistent(&c, ERRCODE_INVALID_BINARY_REPRESENTATION, NULL);
	PG_RETURN_POINTER(candle_pack(&c));
}

/* ---- the aggregates ------------------------------------------------------------- */

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return aggcxt;
}

/*
 * candle_agg_trans(state internal, ts timestamptz, price numeric, quantity bigint
 *					[, seq bigint]) returns internal
 *
 * A row with a NULL argument is skipped.  Without seq, every trade's seq is 0.
 */
Datum
exchange_candle_agg_trans(PG_FUNCTION_ARGS)
{
	Candle *st = PG_ARGISNULL(0) ? NULL : (Candle *)PG_GETARG_POINTER(0);
	bool with_seq = PG_NARGS() > 4;
	TimestampTz ts;
	int64 quantity;
	int64 seq = 0;
	int64 price;
	int scale;
	CandleNumeric status;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
	    (with_seq && PG_ARGISNULL(4)))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	ts = PG_GETARG_TIMESTAMPTZ(1);
	quantity = PG_GETARG_INT64(3);
	if (with_seq)
		seq = PG_GETARG_INT64(4);
	if (unlikely(TIMESTAMP_NOT_FINITE(ts)))
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
		                errmsg("a trade's timestamp must be finite")));
	if (unlikely(quantity <= 0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("a trade's quantity must be positive, not " INT64_FORMAT,
		                       quantity)));
	status = candle_decode_numeric(PG_GETARG_DATUM(2), &price, &scale);
	if (unlikely(status != CANDLE_NUMERIC_OK))
		candle_check_price(status, PG_GETARG_DATUM(2));

	/* the state lives in the aggregate's context (a state exists only there) */
	if (st == NULL)
	{
		st = MemoryContextAlloc(agg_context(fcinfo, "candle_agg_trans"), sizeof(Candle));
		candle_first(st, scale, price, quantity, ts, seq);
	}
	else
		candle_add(st, scale, price, quantity, ts, seq);
	PG_RETURN_POINTER(st);
}

/* candle_rollup_trans(state internal, c candle) returns internal */
Datum
exchange_candle_rollup_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "candle_rollup_trans");
	Candle *st = PG_ARGISNULL(0) ? NULL : (Candle *)PG_GETARG_POINTER(0);
	Candle c;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	arg_unpack(fcinfo, 1, &c);
	if (st == NULL)
	{
		st = MemoryContextAlloc(aggcxt, sizeof(Candle));
		*st = c;
	}
	else
		candle_merge(st, &c);
	PG_RETURN_POINTER(st);
}

/* candle_combine(a internal, b internal) returns internal: a := a + b */
Datum
exchange_candle_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "candle_combine");
	Candle *a = PG_ARGISNULL(0) ? NULL : (Candle *)PG_GETARG_POINTER(0);
	Candle *b = PG_ARGISNULL(1) ? NULL : (Candle *)PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggcxt, sizeof(Candle));
		*a = *b;
	}
	else
		candle_merge(a, b);
	PG_RETURN_POINTER(a);
}

/* candle_serialize(internal) returns bytea: the candle value itself */
Datum
exchange_candle_serialize(PG_FUNCTION_ARGS)
{
	(void)agg_context(fcinfo, "candle_serialize");
	PG_RETURN_POINTER(candle_pack((Candle *)PG_GETARG_POINTER(0)));
}

/* candle_deserialize(bytea, internal) returns internal */
Datum
exchange_candle_deserialize(PG_FUNCTION_ARGS)
{
	Candle *st;

	(void)agg_context(fcinfo, "candle_deserialize");
	st = palloc(sizeof(Candle));
	arg_unpack(fcinfo, 0, st);
	PG_RETURN_POINTER(st);
}

/* candle_final(internal) returns candle */
Datum
exchange_candle_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(candle_pack((Candle *)PG_GETARG_POINTER(0)));
}

/* candle_merge(a candle, b candle) returns candle */
Datum
exchange_candle_merge(PG_FUNCTION_ARGS)
{
	Candle a;
	Candle b;

	arg_unpack(fcinfo, 0, &a);
	arg_unpack(fcinfo, 1, &b);
	candle_merge(&a, &b);
	PG_RETURN_POINTER(candle_pack(&a));
}

/* candle_eq(a candle, b candle) returns boolean; prices compare as numbers */
Datum
exchange_candle_eq(PG_FUNCTION_ARGS)
{
	Candle a;
	Candle b;

	arg_unpack(fcinfo, 0, &a);
	arg_unpack(fcinfo, 1, &b);
	/* a candle that cannot be brought to the other's scale differs from it */
	if ((a.scale < b.scale && !rescale(&a, b.scale)) ||
	    (b.scale < a.scale && !rescale(&b, a.scale)))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(a.open == b.open && a.high == b.high && a.low == b.low &&
	               a.close == b.close && a.volume == b.volume && a.trades == b.trades &&
	               a.notional == b.notional && a.open_at.ts == b.open_at.ts &&
	               a.open_at.seq == b.open_at.seq && a.high_at.ts == b.high_at.ts &&
	               a.high_at.seq == b.high_at.seq && a.low_at.ts == b.low_at.ts &&
	               a.low_at.seq == b.low_at.seq && a.close_at.ts == b.close_at.ts &&
	               a.close_at.seq == b.close_at.seq);
}

/* ---- accessors -------------------------------------------------------------------- */

/* mantissa * 10^-scale as numeric, with that display scale */
static Datum
numeric_of(int128 mantissa, int scale)
{
	StringInfoData buf;

	if (mantissa <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64)mantissa, scale));
	initStringInfo(&buf);
	append_decimal(&buf, mantissa, scale);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf.data),
	                           ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* one accessor per price and per time: open(c) .. close_time(c) */
#define PRICE_ACCESSOR(fn, field)                                                        \
	Datum fn(PG_FUNCTION_ARGS)                                                           \
	{                                                                                    \
		const CandleValue *v = arg_candle(fcinfo, 0);                                    \
                                                                                         \
		return numeric_of(v->field, v->scale);                                           \
	}
#define TIME_ACCESSOR(fn, field)                                                         \
	Datum fn(PG_FUNCTION_ARGS)                                                           \
	{                                                                                    \
		return TimestampTzGetDatum(arg_candle(fcinfo, 0)->field.ts);                     \
	}

PRICE_ACCESSOR(exchange_candle_open, open)
PRICE_ACCESSOR(exchange_candle_high, high)
PRICE_ACCESSOR(exchange_candle_low, low)
PRICE_ACCESSOR(exchange_candle_close, close)
TIME_ACCESSOR(exchange_candle_open_time, open_at)
TIME_ACCESSOR(exchange_candle_high_time, high_at)
TIME_ACCESSOR(exchange_candle_low_time, low_at)
TIME_ACCESSOR(exchange_candle_close_time, close_at)

Datum
exchange_candle_volume(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(arg_candle(fcinfo, 0)->volume);
}

Datum
exchange_candle_trade_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(arg_candle(fcinfo, 0)->trades);
}

Datum
exchange_candle_notional(PG_FUNCTION_ARGS)
{
	Candle c;

	arg_unpack(fcinfo, 0, &c);
	return numeric_of(c.notional, c.scale);
}

/*
 * notional / volume, rounded half away from zero to VWAP_EXTRA_SCALE more
 * decimals than the prices.  The quotient is at most the high price, so
 * quotient * 10^4 and remainder * 10^4 both fit in 128 bits.
 */
Datum
exchange_candle_vwap(PG_FUNCTION_ARGS)
{
	Candle c;
	int128 quotient;
	int128 fraction;
	int128 rest;
	const int64 unit = candle_pow10[VWAP_EXTRA_SCALE];

	arg_unpack(fcinfo, 0, &c);
	quotient = c.notional / c.volume;
	fraction = (c.notional % c.volume) * unit;
	rest = fraction % c.volume;
	fraction /= c.volume;
	if (2 * rest >= c.volume)
		fraction++;
	return numeric_of(quotient * unit + fraction, c.scale + VWAP_EXTRA_SCALE);
}
