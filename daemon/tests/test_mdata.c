/*
 * test_mdata.c - matchd's market data: the candle rings against candles
 * computed naively from every trade, and the L1/L2/L3 replies (decoded from
 * their wire form) against a book rebuilt independently from the journal
 * records the pipeline produced, after a random session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mdata.h"
#include "mdquery.h"
#include "pipeline.h"
#include "plreq.h"
#include "testutil.h"

#define DAY 9823
#define T0  848766600000000LL /* 2026-11-23 14:30 UTC, microseconds since 2000 */

/* ---- candle rings ---------------------------------------------------------- */

typedef struct trade
{
	int64_t price, qty, ts;
} trade;

/* The candles of buckets [first, last] of width w, from every trade. */
static int
naive_candles(const trade *t, int n, int64_t w, int64_t first, int64_t last,
              md_candle *out)
{
	int k = 0;

	for (int i = 0; i < n; i++)
	{
		int64_t b = t[i].ts / w;

		if (b < first || b > last)
			continue;
		if (k == 0 || out[k - 1].bucket_ts != b * w)
			out[k++] = (md_candle){.bucket_ts = b * w,
			                       .open = t[i].price,
			                       .high = t[i].price,
			                       .low = t[i].price};
		md_candle *c = &out[k - 1];
		if (t[i].price > c->high)
			c->high = t[i].price;
		if (t[i].price < c->low)
			c->low = t[i].price;
		c->close = t[i].price;
		c->volume += t[i].qty;
		c->trades++;
		c->notional += (__int128)t[i].price * t[i].qty;
	}
	return k;
}

static void
test_rings_match_naive_candles(void **state)
{
	uint64_t seed = env_seed("PGX_SEED", 20261123);
	enum
	{
		N = 60000
	};
	trade *t = calloc(N, sizeof(*t));
	md_candle *want = calloc(2000, sizeof(md_candle));
	md_candle *got = calloc(2000, sizeof(md_candle));
	md *m = md_create(4);
	int64_t ts = T0;

	(void)state;
	printf("# test_rings_match_naive_candles seed %llu (PGX_SEED to repeat)\n",
	       (unsigned long long)seed);
	assert_non_null(m);
	assert_int_equal(md_add_symbol(m, 2), 0);
	assert_int_equal(md_candles(m, 2, 0, got, 2000), 0);
	for (int i = 0; i < N; i++)
	{
		uint64_t gap = rng_below(&seed, 1000);

		/* mostly dense trading, sometimes quiet seconds, minutes, hours */
		ts += gap < 900   ? (int64_t)rng_below(&seed, 300000)
		      : gap < 990 ? (int64_t)rng_below(&seed, 120000000)
		                  : (int64_t)rng_below(&seed, 20000000000LL);
		t[i] = (trade){9000 + (int64_t)rng_below(&seed, 2000),
		               1 + (int64_t)rng_below(&seed, 5000), ts};
		md_trade(m, 2, t[i].price, t[i].qty, ts, i + 1);
		if (i % 997 != 0 && i != N - 1)
			continue;
		for (int r = 0; r < MD_RESOLUTIONS; r++)
		{
			int64_t w = (int64_t)md_resolution_seconds[r] * 1000000;
			int64_t last = ts / w;
			int nw = naive_candles(t, i + 1, w, last - md_ring_slots[r] + 1, last, want);
			int ng = md_candles(m, 2, r, got, 2000);

			assert_int_equal(ng, nw);
			for (int k = 0; k < nw; k++)
				if (memcmp(&got[k], &want[k], sizeof(md_candle)) != 0)
					fail_msg("trade %d resolution %us candle %d (bucket %lld) differs", i,
					         md_resolution_seconds[r], k, (long long)want[k].bucket_ts);
		}
		md_last_trade lt = md_last(m, 2);
		assert_int_equal(lt.price, t[i].price);
		assert_int_equal(lt.seq, i + 1);
	}
	/* other symbols saw nothing; unknown ids and resolutions are empty */
	assert_int_equal(md_candles(m, 1, 0, got, 2000), 0);
	assert_int_equal(md_candles(m, 9, 0, got, 2000), 0);
	assert_int_equal(md_resolution_index(300), -1);
	assert_int_equal(md_resolution_index(60), 1);
	md_destroy(m);
	free(t);
	free(want);
	free(got);
}

/* ---- the book, rebuilt from the journal ------------------------------------ */

typedef struct jorder
{
	int64_t id, price, qty, prio_seq, prio_idx;
	uint8_t side;
	char account[16];
	int live;
} jorder;

typedef struct jbook
{
	jorder *o;
	int n, cap;
} jbook;

static jorder *
jfind(jbook *b, int64_t id)
{
	for (int i = 0; i < b->n; i++)
		if (b->o[i].live && b->o[i].id == id)
			return &b->o[i];
	return NULL;
}

static int
str_is(pgx_str s, const char *text)
{
	return s.len != PGX_STR_NULL && s.len == strlen(text) &&
	       memcmp(s.ptr, text, s.len) == 0;
}

/* Applies one journal event of the symbol to the rebuilt book. */
static void
japply(jbook *b, const pgx_record *r)
{
	jorder *o;

	switch (r->kind)
	{
		case PGX_KIND_ACCEPTED:
			if (!((r->present >> PGX_F_ORDER_ID) & 1))
				return; /* a session change */
			if (b->n == b->cap)
			{
				b->cap = b->cap ? b->cap * 2 : 256;
				b->o = realloc(b->o, (size_t)b->cap * sizeof(jorder));
			}
			o = &b->o[b->n++];
			memset(o, 0, sizeof(*o));
			o->id = r->ints[PGX_F_ORDER_ID];
			o->price = r->ints[PGX_F_PRICE];
			o->qty = r->ints[PGX_F_REMAINING];
			o->prio_seq = r->seq;
			o->prio_idx = r->idx;
			o->side = r->side;
			memcpy(o->account, r->strs[PGX_S_ACCOUNT].ptr, r->strs[PGX_S_ACCOUNT].len);
			o->live = o->qty > 0;
			return;
		case PGX_KIND_TRADE:
			if ((o = jfind(b, r->ints[PGX_F_CONTRA_ORDER_ID])) != NULL)
				o->live = (o->qty = r->ints[PGX_F_CONTRA_REMAINING]) > 0;
			/* a re-priced order trades as the taker while it stands in the book */
			if ((o = jfind(b, r->ints[PGX_F_ORDER_ID])) != NULL)
				o->live = (o->qty = r->ints[PGX_F_REMAINING]) > 0;
			return;
		case PGX_KIND_CANCELED:
		case PGX_KIND_EXPIRED:
			if ((o = jfind(b, r->ints[PGX_F_ORDER_ID])) != NULL)
				o->live = 0;
			return;
		case PGX_KIND_AMENDED:
			if ((o = jfind(b, r->ints[PGX_F_ORDER_ID])) == NULL)
				return;
			o->price = r->ints[PGX_F_PRICE];
			o->live = (o->qty = r->ints[PGX_F_REMAINING]) > 0;
			if (str_is(r->strs[PGX_S_REASON], "priority_lost"))
			{
				o->prio_seq = r->seq;
				o->prio_idx = r->idx;
			}
			return;
	}
}

/* Book order: bids high to low, asks low to high, then time priority. */
static int
jcmp(const void *pa, const void *pb)
{
	const jorder *a = pa, *b = pb;

	if (a->live != b->live)
		return b->live - a->live;
	if (a->side != b->side)
		return a->side - b->side;
	if (a->price != b->price)
		return (a->side == PGX_SIDE_BUY) == (a->price > b->price) ? -1 : 1;
	if (a->prio_seq != b->prio_seq)
		return a->prio_seq < b->prio_seq ? -1 : 1;
	return a->prio_idx < b->prio_idx ? -1 : a->prio_idx > b->prio_idx;
}

/* Feeds a batch's events of one symbol to the rebuilt book. */
static void
jfeed(jbook *b, const batchbuf *bb, const char *sym)
{
	const uint8_t *p = bb->buf + PGX_BATCH_HEADER, *end = bb->buf + bb->len;

	while (p < end)
	{
		pgx_record r = {0};
		size_t used = 0;

		assert_int_equal(pgx_decode_record(p, (size_t)(end - p), &r, &used),
		                 PGX_DECODE_OK);
		p += used;
		if (r.idx > 0 && str_is(r.strs[PGX_S_SYMBOL], sym))
			japply(b, &r);
	}
}

static pgx_md_reply
query(pipeline *pl, mdq_scratch *s, int what, const char *sym, uint32_t depth,
      uint32_t resolution)
{
	pgx_md_query q = {.what = (uint8_t)what, .depth = depth, .resolution = resolution};
	uint8_t qbuf[PGX_FRAME_MAX];
	uint32_t length;
	uint16_t type;
	uint64_t id;
	pgx_md_reply r;
	size_t n;
	int is_error;

	/* the query travels through its own encoding, like the extension's */
	q.symbol = s_(sym);
	n = pgx_encode_md_query(qbuf, 7, &q);
	assert_true(n > 0);
	assert_true(pgx_decode_md_query(qbuf + PGX_FRAME_HEADER, n - PGX_FRAME_HEADER, &q));
	n = mdq_reply(pl, 7, &q, s, &is_error);
	assert_true(n > 0);
	assert_true(pgx_decode_frame_header(s->buf, &length, &type, &id));
	assert_int_equal(length, n);
	assert_int_equal(type, PGX_MSG_MD_REPLY);
	assert_int_equal(id, 7);
	assert_true(pgx_decode_md_reply(s->buf + PGX_FRAME_HEADER, n - PGX_FRAME_HEADER, &r));
	assert_int_equal(r.outcome == PGX_OUTCOME_ERROR, is_error);
	return r;
}

/* The replies of one symbol equal the rebuilt book, at every depth asked. */
static void
check_symbol(pipeline *pl, mdq_scratch *s, jbook *b, const char *sym)
{
	int live = 0, nb = 0;
	pgx_md_reply r;
	const uint8_t *p;

	qsort(b->o, (size_t)b->n, sizeof(jorder), jcmp);
	while (live < b->n && b->o[live].live)
		live++;
	b->n = live; /* drop what left the book */
	while (nb < live && b->o[nb].side == PGX_SIDE_BUY)
		nb++;

	/* L3 with a depth that covers everything: every order in queue order */
	r = query(pl, s, PGX_MD_L3, sym, PGX_MD_MAX_DEPTH, 0);
	assert_int_equal(r.outcome, PGX_OUTCOME_DONE);
	assert_int_equal(r.as_of_seq, pl_last_seq(pl));
	assert_int_equal(r.rows, live);
	p = r.row;
	for (int i = 0; i < live; i++)
	{
		pgx_md_order o = {0};

		assert_true(pgx_decode_md_order(&p, r.end, &o));
		assert_int_equal(o.order_id, b->o[i].id);
		assert_int_equal(o.side, b->o[i].side);
		assert_int_equal(o.price, b->o[i].price);
		assert_int_equal(o.qty, b->o[i].qty);
		assert_true(str_is(o.account, b->o[i].account));
	}
	assert_ptr_equal(p, r.end);

	/* L2 and depth-limited L3: levels aggregate the orders, best first */
	for (uint32_t depth = 1; depth <= 6; depth += 5)
	{
		pgx_md_reply l2 = query(pl, s, PGX_MD_L2, sym, depth, 0);
		const uint8_t *q2 = l2.row;
		int i = 0, rows3 = 0;
		int64_t best_bid = 0, best_ask = 0;

		for (int side = PGX_SIDE_BUY; side <= PGX_SIDE_SELL; side++)
		{
			int end = side == PGX_SIDE_BUY ? nb : live;

			for (uint32_t level = 1; level <= depth && i < end; level++)
			{
				pgx_md_level lv;
				int64_t qty = 0;
				uint32_t count = 0;
				int64_t price = b->o[i].price;

				for (; i < end && b->o[i].price == price; i++, count++)
					qty += b->o[i].qty;
				assert_true(pgx_decode_md_level(&q2, l2.end, &lv));
				assert_int_equal(lv.side, side);
				assert_int_equal(lv.level, level);
				assert_int_equal(lv.price, price);
				assert_int_equal(lv.qty, qty);
				assert_int_equal(lv.orders, count);
				rows3 += (int)count;
				if (level == 1)
					*(side == PGX_SIDE_BUY ? &best_bid : &best_ask) = price;
			}
			i = end;
		}
		assert_ptr_equal(q2, l2.end);
		assert_int_equal(query(pl, s, PGX_MD_L3, sym, depth, 0).rows, rows3);
		if (depth == 1)
		{
			pgx_md_reply l1 = query(pl, s, PGX_MD_L1, sym, 0, 0);
			const uint8_t *q1 = l1.row;
			pgx_md_l1 top;

			assert_int_equal(l1.rows, 1);
			assert_true(pgx_decode_md_l1(&q1, l1.end, &top));
			assert_int_equal(top.bid_price, best_bid);
			assert_int_equal(top.ask_price, best_ask);
		}
	}
}

static void
ok(pipeline *pl, batchbuf *bb, pgx_record r, int64_t ts)
{
	pgx_record cmd;
	pl_result res;
	pl_error err;

	assert_int_equal(pl_stamp(pl, s_("broker_a"), &r, ts, &cmd, &err), 0);
	assert_int_equal(pl_apply(pl, &cmd, bb, &res, &err), 0);
}

static void
test_replies_match_the_journal_book(void **state)
{
	static const char *syms[] = {"AAPL", "MSFT"};
	static const char *accts[] = {"A1", "A2", "B1", "B2"};
	const pl_config cfg = {.max_symbols = 4,
	                       .max_accounts = 8,
	                       .max_orders = 8192,
	                       .max_levels = 2048,
	                       .max_positions = 16};
	uint64_t seed = env_seed("PGX_SEED", 20261123);
	pipeline *pl = pl_create(&cfg);
	jbook books[2] = {{0}};
	mdq_scratch s = {0};
	int64_t ids[512];
	int owner[512];
	int nids = 0, accepted = 0, resting = 0;
	int64_t ts = T0, filled = 0;
	batchbuf bb;
	pgx_md_reply r;

	(void)state;
	printf("# test_replies_match_the_journal_book seed %llu (PGX_SEED to repeat)\n",
	       (unsigned long long)seed);
	assert_non_null(pl);
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (int i = 0; i < 2; i++)
		ok(pl, &bb, req_symbol(syms[i]), ts);
	for (int a = 0; a < 4; a++)
	{
		ok(pl, &bb, req_account(accts[a]), ts);
		ok(pl, &bb,
		   req_admin(PGX_KIND_SET_KYC, accts[a], NULL, "{\"kyc_status\": \"verified\"}"),
		   ts);
		ok(pl, &bb,
		   req_admin(
		       PGX_KIND_SET_ACCOUNT_LIMITS, accts[a], NULL,
		       "{\"max_open_orders\": 100000, \"max_daily_notional\": "
		       "1000000000000, \"orders_per_second\": 1000000, \"burst\": 1000000}"),
		   ts);
		ok(pl, &bb, req_cash(PGX_KIND_DEPOSIT, accts[a], 100000000000LL, "USD"), ts);
		for (int i = 0; i < 2; i++)
			ok(pl, &bb, req_shares(PGX_KIND_CREDIT_SHARES, accts[a], syms[i], 10000000),
			   ts);
	}
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ts);

	/* an unknown symbol, a bad depth and a resolution matchd does not keep */
	r = query(pl, &s, PGX_MD_L2, "NOPE", 10, 0);
	assert_memory_equal(r.sqlstate, PGX_SQLSTATE_UNKNOWN_SYMBOL, 5);
	assert_int_equal(r.rows, 0);
	assert_memory_equal(query(pl, &s, PGX_MD_L3, "AAPL", 0, 0).sqlstate, "22023", 5);
	assert_memory_equal(query(pl, &s, PGX_MD_CANDLES, "AAPL", 0, 300).sqlstate, "22023",
	                    5);

	for (int n = 0; n < 20000; n++)
	{
		uint64_t dice = rng_below(&seed, 100);
		int sym = (int)rng_below(&seed, 2);
		int acct = (int)rng_below(&seed, 4);
		pgx_record req;
		pgx_record cmd;
		pl_result res;
		pl_error err;

		ts += (int64_t)rng_below(&seed, 400000);
		if (dice < 60 || nids == 0)
		{
			int side = 1 + (int)rng_below(&seed, 2);

			/* mostly resting orders on either side of 100.00, some crossing */
			req = req_new(
			    syms[sym], accts[acct], side,
			    rng_below(&seed, 15) == 0 ? PGX_TYPE_MARKET : PGX_TYPE_LIMIT,
			    rng_below(&seed, 5) == 0 ? PGX_TIF_IOC : 1 + (int)rng_below(&seed, 2),
			    (side == PGX_SIDE_BUY ? 9950 : 9990) + (int64_t)rng_below(&seed, 60),
			    1 + (int64_t)rng_below(&seed, 50));
		}
		else
		{
			int k = (int)rng_below(&seed, (uint64_t)nids);

			req =
			    dice < 75
			        ? req_cancel(accts[owner[k]], ids[k])
			        : req_amend(
			              accts[owner[k]], ids[k], 1 + (int64_t)rng_below(&seed, 60),
			              rng_below(&seed, 2) ? 0 : 9960 + (int64_t)rng_below(&seed, 80));
		}
		if (req.kind == PGX_KIND_NEW_ORDER && req.order_type == PGX_TYPE_MARKET)
			req.time_in_force = PGX_TIF_IOC + (uint8_t)rng_below(&seed, 2);
		bb_reset(&bb);
		if (pl_stamp(pl, s_("broker_a"), &req, ts, &cmd, &err) != 0)
			continue; /* e.g. not the account's order */
		assert_int_equal(pl_apply(pl, &cmd, &bb, &res, &err), 0);
		if (req.kind == PGX_KIND_NEW_ORDER && res.remaining > 0)
		{
			int k = nids < 512 ? nids++ : (int)rng_below(&seed, 512);

			ids[k] = res.order_id;
			owner[k] = acct;
		}
		bb_finish(&bb);
		for (int i = 0; i < 2; i++)
			jfeed(&books[i], &bb, syms[i]);
		filled += res.filled;
		accepted += res.status != PGX_STATUS_REJECTED;
		if (n % 1000 == 999)
			for (int i = 0; i < 2; i++)
			{
				check_symbol(pl, &s, &books[i], syms[i]);
				resting = resting > books[i].n ? resting : books[i].n;
			}
	}
	printf("# %d commands accepted, %lld shares filled, up to %d orders resting\n",
	       accepted, (long long)filled, resting);
	/* the session must have exercised the book, not just refusals */
	assert_true(accepted > 15000);
	assert_true(filled > 30000);
	assert_true(resting > 100);
	/* the close expires day orders: the books keep only gtc orders */
	bb_reset(&bb);
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_CLOSE), ts);
	bb_finish(&bb);
	for (int i = 0; i < 2; i++)
	{
		jfeed(&books[i], &bb, syms[i]);
		check_symbol(pl, &s, &books[i], syms[i]);
		free(books[i].o);
	}
	/* the last trade and the minute candles come back through the wire too */
	r = query(pl, &s, PGX_MD_CANDLES, "AAPL", 0, 60);
	assert_true(r.rows > 0);
	{
		md_candle want[1440];
		uint32_t sym;
		const uint8_t *p = r.row;
		int n;

		assert_int_equal(mj_table_find(&pl_names(pl)->symbols, "AAPL", 4, &sym), 0);
		n = md_candles(pl_md(pl), sym, 1, want, 1440);
		assert_int_equal(r.rows, n);
		for (int i = 0; i < n; i++)
		{
			pgx_md_candle c = {0};

			assert_true(pgx_decode_md_candle(&p, r.end, &c));
			assert_int_equal(c.bucket_ts, want[i].bucket_ts);
			assert_int_equal(c.close, want[i].close);
			assert_int_equal(c.volume, want[i].volume);
			assert_true(((__int128)c.notional_hi << 64 | c.notional_lo) ==
			            want[i].notional);
		}
	}
	mdq_scratch_free(&s);
	bb_free(&bb);
	pl_destroy(pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rings_match_naive_candles),
	    cmocka_unit_test(test_replies_match_the_journal_book),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
