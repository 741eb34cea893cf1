/*
 * mdquery.c - market-data replies from the books and the candle rings (see
 * mdquery.h).  Queries allocate only when their scratch must grow; they run
 * on matchd's main thread between commands, so what they read is one
 * consistent state.
 */
#include <stdlib.h>
#include <string.h>

#include "mdquery.h"
#include "records.h"

#define ERR_MESSAGE_MAX 200

void
mdq_scratch_free(mdq_scratch *s)
{
	free(s->buf);
	free(s->levels);
	free(s->orders);
	free(s->candles);
	memset(s, 0, sizeof(*s));
}

/* Grows *p to at least n elements of size sz; 0, or -1 when out of memory. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((q = realloc(*p, c * sz)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static size_t
error_reply(mdq_scratch *s, uint64_t request_id, const char *sqlstate,
            const char *message)
{
	pgx_md_reply r = {.outcome = PGX_OUTCOME_ERROR};
	size_t len;

	memcpy(r.sqlstate, sqlstate, 5);
	r.message = mj_str(message); /* one of the constants below */
	if (grow((void **)&s->buf, &s->cap,
	         PGX_FRAME_HEADER + PGX_MD_REPLY_FIXED + ERR_MESSAGE_MAX, 1) != 0)
		return 0;
	len = pgx_encode_md_reply_head(s->buf, &r);
	pgx_encode_frame_header(s->buf, (uint32_t)len, PGX_MSG_MD_REPLY, request_id);
	return len;
}

/* Levels of one side into s->levels[at..); returns how many. */
static int
side_levels(const pipeline *pl, uint32_t sym, int side, uint32_t depth, mdq_scratch *s,
            size_t at)
{
	if (grow((void **)&s->levels, &s->levels_cap, at + depth, sizeof(mc_level_info)) != 0)
		return -1;
	return mc_engine_l2(pl_engine(pl), sym, side, s->levels + at, (int)depth);
}

/* Appends the L3 rows of one side (its first n levels in s->levels[lv..]). */
static int
side_orders(const pipeline *pl, uint32_t sym, int side, const mc_level_info *lv, int n,
            mdq_scratch *s, size_t *off, uint32_t *rows)
{
	const mj_registry *names = pl_names(pl);
	size_t want = 0;
	int got, level = 0;
	uint32_t left;

	for (int i = 0; i < n; i++)
		want += lv[i].count;
	if (want == 0)
		return 0;
	if (grow((void **)&s->orders, &s->orders_cap, want, sizeof(mc_order_info)) != 0)
		return -1;
	got = mc_engine_l3(pl_engine(pl), sym, side, s->orders, (int)want);
	if (got > (int)want)
		got = (int)want; /* orders of deeper levels are not asked for */
	left = n > 0 ? lv[0].count : 0;
	for (int i = 0; i < got; i++)
	{
		const mc_order_info *o = &s->orders[i];
		const char *acct = mj_table_name(&names->accounts, o->account);
		pgx_md_order row;

		while (left == 0 && level + 1 < n)
			left = lv[++level].count;
		left--;
		row = (pgx_md_order){.side = o->side,
		                     .level = (uint32_t)level + 1,
		                     .price = o->price,
		                     .order_id = (int64_t)o->id,
		                     .qty = o->leaves,
		                     .entered_ts = (int64_t)o->timestamp,
		                     .account = mj_str(acct)};
		if (grow((void **)&s->buf, &s->cap, *off + pgx_md_order_size(&row), 1) != 0)
			return -1;
		*off += pgx_encode_md_order(s->buf + *off, &row);
		(*rows)++;
	}
	return 0;
}

size_t
mdq_reply(const pipeline *pl, uint64_t request_id, const pgx_md_query *q, mdq_scratch *s,
          int *is_error)
{
	const mj_registry *names = pl_names(pl);
	pgx_md_reply head = {.outcome = PGX_OUTCOME_DONE};
	uint32_t sym, rows = 0;
	size_t off, first;
	int r = -1;

	*is_error = 1;
	if (mj_table_find(&names->symbols, q->symbol.ptr, q->symbol.len, &sym) != 0)
		return error_reply(s, request_id, PGX_SQLSTATE_UNKNOWN_SYMBOL,
		                   "matchd does not list this symbol");
	if ((q->what == PGX_MD_L2 || q->what == PGX_MD_L3) &&
	    (q->depth < 1 || q->depth > PGX_MD_MAX_DEPTH))
		return error_reply(s, request_id, "22023", "depth must be between 1 and 100000");
	if (q->what == PGX_MD_CANDLES && (r = md_resolution_index(q->resolution)) < 0)
		return error_reply(s, request_id, "22023",
		                   "matchd keeps candles of 1 second, 1 minute and 1 hour only");
	*is_error = 0;

	memcpy(head.sqlstate, "00000", 5);
	head.message = mj_str(NULL);
	head.as_of_seq = pl_last_seq(pl);
	head.as_of_ts = pl_last_ts(pl);
	head.status = (uint8_t)mc_engine_status(pl_engine(pl), sym);
	if (grow((void **)&s->buf, &s->cap, PGX_FRAME_HEADER + PGX_MD_REPLY_FIXED + 4096,
	         1) != 0)
		return 0;
	first = off = pgx_encode_md_reply_head(s->buf, &head);

	switch (q->what)
	{
		case PGX_MD_L1:
		{
			mc_l1 b;
			md_last_trade t = md_last(pl_md(pl), sym);
			pgx_md_l1 l1;

			mc_engine_l1(pl_engine(pl), sym, &b);
			l1 = (pgx_md_l1){b.bid_price, b.bid_qty, b.bid_count, b.ask_price, b.ask_qty,
			                 b.ask_count, t.price,   t.qty,       t.ts,        t.seq};
			off += pgx_encode_md_l1(s->buf + off, &l1);
			rows = 1;
			break;
		}
		case PGX_MD_L2:
		case PGX_MD_L3:
		{
			int nb = side_levels(pl, sym, MC_BUY, q->depth, s, 0);
			int na = nb < 0 ? -1 : side_levels(pl, sym, MC_SELL, q->depth, s, (size_t)nb);

			if (na < 0)
				return 0;
			if (q->what == PGX_MD_L3)
			{
				if (side_orders(pl, sym, MC_BUY, s->levels, nb, s, &off, &rows) != 0 ||
				    side_orders(pl, sym, MC_SELL, s->levels + nb, na, s, &off, &rows) !=
				        0)
					return 0;
				break;
			}
			if (grow((void **)&s->buf, &s->cap, off + (size_t)(nb + na) * PGX_MD_L2_ROW,
			         1) != 0)
				return 0;
			for (int i = 0; i < nb + na; i++)
			{
				const mc_level_info *l = &s->levels[i];
				pgx_md_level row = {.side = i < nb ? MC_BUY : MC_SELL,
				                    .level = (uint32_t)(i < nb ? i : i - nb) + 1,
				                    .price = l->price,
				                    .qty = l->qty,
				                    .orders = l->count};

				off += pgx_encode_md_level(s->buf + off, &row);
				rows++;
			}
			break;
		}
		case PGX_MD_CANDLES:
		{
			int n;

			if (grow((void **)&s->candles, &s->candles_cap, md_ring_slots[r],
			         sizeof(md_candle)) != 0 ||
			    grow((void **)&s->buf, &s->cap,
			         off + (size_t)md_ring_slots[r] * PGX_MD_CANDLE_ROW, 1) != 0)
				return 0;
			n = md_candles(pl_md(pl), sym, r, s->candles, (int)md_ring_slots[r]);
			for (int i = 0; i < n; i++)
			{
				const md_candle *c = &s->candles[i];
				unsigned __int128 u = (unsigned __int128)c->notional;
				pgx_md_candle row = {
				    c->bucket_ts, c->open,   c->high,   c->low,
				    c->close,     c->volume, c->trades, (int64_t)(c->notional >> 64),
				    (uint64_t)u};

				off += pgx_encode_md_candle(s->buf + off, &row);
				rows++;
			}
			break;
		}
	}
	pgx_md_reply_set_rows(s->buf, first, rows);
	pgx_encode_frame_header(s->buf, (uint32_t)off, PGX_MSG_MD_REPLY, request_id);
	return off;
}
