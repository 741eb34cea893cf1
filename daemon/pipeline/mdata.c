/*
 * mdata.c - last trades and candle rings per symbol (see mdata.h).
 *
 * A ring of N slots for resolution R stores bucket b = floor(ts / R) in slot
 * b mod N.  A slot whose bucket is not b holds an older bucket: the trade
 * starts the slot afresh, overwriting it.  A query walks the N buckets up to
 * the newest one traded and keeps the slots that still hold their bucket, so
 * a bucket without trades, or one overwritten, never shows.  Buckets start at
 * multiples of R from 2000-01-01 00:00 UTC (PostgreSQL's epoch), the origin
 * exchange.candles() uses, so both give the same buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "mdata.h"

#define US_PER_SECOND 1000000LL

const uint32_t md_resolution_seconds[MD_RESOLUTIONS] = {1, 60, 3600};
const uint32_t md_ring_slots[MD_RESOLUTIONS] = {900, 1440, 168};

typedef struct md_symbol
{
	md_last_trade last;
	int64_t newest[MD_RESOLUTIONS]; /* newest bucket number traded, -1 for none */
	md_candle *ring[MD_RESOLUTIONS];
} md_symbol;

struct md
{
	uint32_t max_symbols;
	md_symbol *symbols;
};

md *
md_create(uint32_t max_symbols)
{
	md *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->max_symbols = max_symbols;
	if ((m->symbols = calloc(max_symbols, sizeof(md_symbol))) == NULL)
	{
		free(m);
		return NULL;
	}
	return m;
}

void
md_destroy(md *m)
{
	if (m == NULL)
		return;
	for (uint32_t s = 0; s < m->max_symbols; s++)
		for (int r = 0; r < MD_RESOLUTIONS; r++)
			free(m->symbols[s].ring[r]);
	free(m->symbols);
	free(m);
}

int
md_add_symbol(md *m, uint32_t symbol)
{
	md_symbol *s;

	if (symbol >= m->max_symbols)
		return -1;
	s = &m->symbols[symbol];
	memset(&s->last, 0, sizeof(s->last));
	for (int r = 0; r < MD_RESOLUTIONS; r++)
	{
		if (s->ring[r] == NULL &&
		    (s->ring[r] = calloc(md_ring_slots[r], sizeof(md_candle))) == NULL)
			return -1;
		memset(s->ring[r], 0, md_ring_slots[r] * sizeof(md_candle));
		s->newest[r] = -1;
	}
	return 0;
}

/* floor(ts / width) for any sign of ts */
static int64_t
bucket_of(int64_t ts, int64_t width)
{
	int64_t q = ts / width;

	return (ts % width != 0 && ts < 0) ? q - 1 : q;
}

void
md_trade(md *m, uint32_t symbol, int64_t price, int64_t qty, int64_t ts, int64_t seq)
{
	md_symbol *s;

	if (symbol >= m->max_symbols || m->symbols[symbol].ring[0] == NULL)
		return;
	s = &m->symbols[symbol];
	s->last = (md_last_trade){price, qty, ts, seq};
	for (int r = 0; r < MD_RESOLUTIONS; r++)
	{
		int64_t width = (int64_t)md_resolution_seconds[r] * US_PER_SECOND;
		int64_t b = bucket_of(ts, width);
		md_candle *c = &s->ring[r][(uint64_t)b % md_ring_slots[r]];

		if (c->trades == 0 || c->bucket_ts != b * width)
		{
			*c = (md_candle){
			    .bucket_ts = b * width, .open = price, .high = price, .low = price};
		}
		if (price > c->high)
			c->high = price;
		if (price < c->low)
			c->low = price;
		c->close = price;
		c->volume += qty;
		c->trades++;
		c->notional += (__int128)price * qty;
		if (b > s->newest[r])
			s->newest[r] = b;
	}
}

md_last_trade
md_last(const md *m, uint32_t symbol)
{
	md_last_trade none = {0, 0, 0, 0};

	return symbol < m->max_symbols ? m->symbols[symbol].last : none;
}

int
md_resolution_index(uint32_t seconds)
{
	for (int r = 0; r < MD_RESOLUTIONS; r++)
		if (md_resolution_seconds[r] == seconds)
			return r;
	return -1;
}

int
md_candles(const md *m, uint32_t symbol, int r, md_candle *out, int cap)
{
	const md_symbol *s;
	int64_t width, n, first;
	int k = 0;

	if (symbol >= m->max_symbols || r < 0 || r >= MD_RESOLUTIONS)
		return 0;
	s = &m->symbols[symbol];
	if (s->ring[r] == NULL || s->newest[r] < 0)
		return 0;
	width = (int64_t)md_resolution_seconds[r] * US_PER_SECOND;
	n = md_ring_slots[r];
	first = s->newest[r] - n + 1;
	for (int64_t b = first; b <= s->newest[r] && k < cap; b++)
	{
		const md_candle *c = &s->ring[r][(uint64_t)b % (uint64_t)n];

		if (c->trades > 0 && c->bucket_ts == b * width)
			out[k++] = *c;
	}
	return k;
}
