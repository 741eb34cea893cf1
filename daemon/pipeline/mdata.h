/*
 * mdata.h - matchd's market-data state beside the books: each symbol's last
 * trade and its recent candles, in fixed-size ring buffers.
 *
 * The seed keeps candlestick charts in ring buffers so that memory stays
 * bounded however long the market runs: a ring of N slots holds the last N
 * buckets of one resolution, and a trade in a new bucket overwrites the
 * oldest.  Older candles live in PostgreSQL (exchange.candles_1m), so a ring
 * only has to cover the current session.
 *
 * Pure like the pipeline that feeds it (trades arrive with their sequencer
 * time): replaying the journal rebuilds the rings exactly.  Rings are
 * allocated when a symbol is listed, never per trade.
 */
#ifndef MJ_MDATA_H
#define MJ_MDATA_H

#include <stdint.h>

/* Resolutions kept, in seconds, and how many buckets each ring holds. */
#define MD_RESOLUTIONS 3
extern const uint32_t md_resolution_seconds[MD_RESOLUTIONS]; /* 1, 60, 3600 */
extern const uint32_t md_ring_slots[MD_RESOLUTIONS];         /* 900, 1440, 168 */

/* One bucket's candle; prices in ticks.  trades == 0: an empty slot. */
typedef struct md_candle
{
	int64_t bucket_ts; /* start of the bucket, microseconds since 2000-01-01 UTC */
	int64_t open, high, low, close;
	int64_t volume;
	int64_t trades;
	__int128 notional; /* sum of price * qty */
} md_candle;

typedef struct md_last_trade
{
	int64_t price, qty, ts, seq; /* all 0 before the first trade */
} md_last_trade;

typedef struct md md;

md *md_create(uint32_t max_symbols);
void md_destroy(md *m);
/* Allocates (or clears) the rings of a symbol id; 0, or -1 when out of memory. */
int md_add_symbol(md *m, uint32_t symbol);
/* A trade of symbol at sequencer time ts (not earlier than the last one's). */
void md_trade(md *m, uint32_t symbol, int64_t price, int64_t qty, int64_t ts,
              int64_t seq);
/* The symbol's last trade (zeros before the first). */
md_last_trade md_last(const md *m, uint32_t symbol);
/* Index of a kept resolution in seconds, or -1. */
int md_resolution_index(uint32_t seconds);
/*
 * The symbol's candles of resolution index r that the ring still holds,
 * oldest first, without empty buckets; writes at most cap (the ring's slot
 * count is enough) and returns how many.
 */
int md_candles(const md *m, uint32_t symbol, int r, md_candle *out, int cap);

#endif
