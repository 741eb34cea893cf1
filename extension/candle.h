/*
 * candle.h
 *		Exact OHLCV candles: the in-memory candle shared by the type and its
 *		aggregates (candle.c) and by the 1-minute projection
 *		(candle_projection.c).
 *
 * A candle keeps its prices as int64 mantissas at one decimal scale (the
 * largest display scale of the prices it saw, at most CANDLE_MAX_SCALE), its
 * volume and trade count as int64 and its notional, sum(price * quantity), as
 * an int128 mantissa at the same scale: everything is exact, and merging two
 * candles gives exactly the candle of the union of their trades.
 *
 * Trades are totally ordered by their key (ts, seq) and then by price: the
 * open is the least trade, the close the greatest; the high is the greatest
 * price and high_at the least key among the trades at that price (the first
 * time the high was reached), the low likewise.  Since every choice is a
 * minimum or maximum of a total order, the result depends on neither row
 * order nor how the trades were split before merging.
 */
#ifndef EXCHANGE_CANDLE_H
#define EXCHANGE_CANDLE_H

#include "postgres.h"

#include "datatype/timestamp.h"

#ifndef HAVE_INT128
#error "candles need a 128-bit integer type for the notional"
#endif

/* price * 10^scale must fit in int64; 18 decimals always leave room for 9.2 */
#define CANDLE_MAX_SCALE 18

/* the layout of CandleValue and of the binary form (send/recv) */
#define CANDLE_VERSION 1

typedef struct CandleKey
{
	TimestampTz ts;
	int64 seq;
} CandleKey;

/* A candle in memory, the transition state of the aggregates. */
typedef struct Candle
{
	int scale; /* decimals of every price mantissa and of the notional */
	int64 open, high, low, close;
	int64 volume; /* sum of quantities */
	int64 trades; /* number of trades */
	int128 notional;
	CandleKey open_at, high_at, low_at, close_at;
} Candle;

/*
 * The SQL value exchange.candle: a varlena of fixed layout (int64 fields at
 * 8-byte offsets, the type is aligned 'double', storage plain).
 */
typedef struct CandleValue
{
	int32 vl_len_;
	uint8 version;
	uint8 reserved;
	int16 scale;
	int64 open, high, low, close;
	int64 volume, trades;
	int64 notional_hi;
	uint64 notional_lo;
	CandleKey open_at, high_at, low_at, close_at;
} CandleValue;

/* What decoding a numeric found. */
typedef enum CandleNumeric
{
	CANDLE_NUMERIC_OK = 0,
	CANDLE_NUMERIC_NAN,
	CANDLE_NUMERIC_INFINITE,
	CANDLE_NUMERIC_NOT_POSITIVE,
	CANDLE_NUMERIC_RANGE /* more than CANDLE_MAX_SCALE decimals, or >= 2^63 units */
} CandleNumeric;

extern const int64 candle_pow10[CANDLE_MAX_SCALE + 1];

/* numeric datum -> mantissa at its display scale (candle.c) */
extern CandleNumeric candle_decode_numeric(Datum value, int64 *mantissa, int *scale);
extern void candle_check_price(CandleNumeric status, Datum value);

/* building and merging (candle.c) */
extern void candle_first(Candle *c, int scale, int64 price, int64 quantity,
                         TimestampTz ts, int64 seq);
extern void candle_add(Candle *c, int scale, int64 price, int64 quantity, TimestampTz ts,
                       int64 seq);
extern void candle_merge(Candle *into, const Candle *other);

/* the SQL value (candle.c) */
extern CandleValue *candle_pack(const Candle *c);
extern void candle_unpack(const CandleValue *v, Candle *c);

#endif /* EXCHANGE_CANDLE_H */
