/*
 * test_core.c - unit tests of the matching core, one rule per test.
 *
 * Each test builds a small book by hand and checks the exact events and the
 * resulting book.  Symbol 0 uses STP cancel-oldest, symbol 1 cancel-newest,
 * symbol 2 is added but left closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "testutil.h"

enum
{
	BUY = MC_BUY,
	SELL = MC_SELL,
	LIM = MC_LIMIT,
	MKT = MC_MARKET
};

typedef struct fx
{
	mc_engine *e;
	evlog log; /* events of the last command */
	uint64_t seq;
} fx;

static fx F;

static mc_engine *
make_engine(uint32_t max_orders, uint32_t max_levels)
{
	mc_engine_config cfg = {4, max_orders, max_levels, NULL};
	mc_symbol_config oldest = {MC_STP_CANCEL_OLDEST, 0, 0, 0};
	mc_symbol_config newest = {MC_STP_CANCEL_NEWEST, 0, 0, 0};
	mc_engine *e = mc_engine_create(&cfg);

	assert_non_null(e);
	assert_int_equal(mc_engine_add_symbol(e, 0, &oldest), MC_R_NONE);
	assert_int_equal(mc_engine_add_symbol(e, 1, &newest), MC_R_NONE);
	assert_int_equal(mc_engine_add_symbol(e, 2, &oldest), MC_R_NONE);
	return e;
}

static const evlog *
run(const mc_command *c)
{
	evlog_clear(&F.log);
	core_apply(F.e, c, &F.log);
	return &F.log;
}

static const evlog *
do_new(uint32_t sym, uint64_t id, uint32_t acct, int side, int type, int tif,
       int64_t price, int64_t qty)
{
	mc_command c = cmd_new(++F.seq, id, sym, acct, side, type, tif, price, qty);

	return run(&c);
}

static const evlog *
do_cancel(uint64_t id, uint32_t acct)
{
	mc_command c = cmd_cancel(++F.seq, id, acct);

	return run(&c);
}

static const evlog *
do_amend(uint64_t id, uint32_t acct, int64_t price, int64_t qty)
{
	mc_command c = cmd_amend(++F.seq, id, acct, price, qty);

	return run(&c);
}

static const evlog *
do_session(uint32_t sym, int op)
{
	mc_command c = cmd_session(++F.seq, sym, op);

	return run(&c);
}

/* resting limit order on symbol 0 that must be accepted in full */
static void
rest(uint64_t id, uint32_t acct, int side, int64_t price, int64_t qty, int tif)
{
	const evlog *l = do_new(0, id, acct, side, LIM, tif, price, qty);

	assert_int_equal(l->n, 1);
	assert_int_equal(l->ev[0].kind, MC_EV_ACCEPTED);
	assert_int_equal(l->ev[0].leaves, qty);
}

static void
expect_trade(const mc_event *ev, uint64_t taker, uint64_t maker, int64_t price,
             int64_t qty, int64_t taker_left, int64_t maker_left)
{
	assert_int_equal(ev->kind, MC_EV_TRADE);
	assert_int_equal(ev->order_id, taker);
	assert_int_equal(ev->maker_order_id, maker);
	assert_int_equal(ev->price, price);
	assert_int_equal(ev->qty, qty);
	assert_int_equal(ev->leaves, taker_left);
	assert_int_equal(ev->maker_leaves, maker_left);
}

static void
expect_event(const mc_event *ev, int kind, uint64_t id, int reason)
{
	if (ev->kind != kind || ev->order_id != id || ev->reason != reason)
		fprint_event(stdout, ev);
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->order_id, id);
	assert_int_equal(ev->reason, reason);
}

/* queue of one side as "id,id,..." for compact assertions */
static const char *
queue(uint32_t sym, int side)
{
	static char buf[1024];
	mc_order_info o[64];
	int n = mc_engine_l3(F.e, sym, side, o, 64);
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && i < 64; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%llu@%lld", i ? "," : "",
		                        (unsigned long long)o[i].id, (long long)o[i].price);
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.e = make_engine(1000, 1000);
	do_session(0, MC_SESSION_OPEN);
	do_session(1, MC_SESSION_OPEN);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mc_engine_destroy(F.e);
	evlog_free(&F.log);
	return 0;
}

/* ------------------------------------------------------------------ tests */

/* A new order's tag stays with it while it rests (amends included) and is
 * returned by mc_engine_order only; it changes nothing else. */
static void
test_order_tag(void **state)
{
	mc_command c = cmd_new(++F.seq, 1, 0, 10, BUY, LIM, MC_GTC, 100, 5);
	mc_event ev[8];
	mc_sink sink = {ev, 8, 0, 0, NULL, NULL};
	mc_order_info oi;

	(void)state;
	mc_engine_apply_tagged(F.e, &c, 77, &sink);
	assert_int_equal(sink.n, 1);
	assert_int_equal(ev[0].kind, MC_EV_ACCEPTED);
	assert_int_equal(ev[0].pad, 0);
	rest(2, 11, BUY, 100, 7, MC_GTC); /* untagged */
	assert_int_equal(mc_engine_order(F.e, 1, &oi), 1);
	assert_int_equal(oi.tag, 77);
	assert_int_equal(mc_engine_order(F.e, 2, &oi), 1);
	assert_int_equal(oi.tag, 0);
	do_amend(1, 10, 101, 5); /* loses priority, moves level */
	assert_int_equal(mc_engine_order(F.e, 1, &oi), 1);
	assert_int_equal(oi.tag, 77);
	assert_int_equal(oi.price, 101);
	{
		mc_order_info l3[4];

		assert_int_equal(mc_engine_l3(F.e, 0, BUY, l3, 4), 2);
		assert_int_equal(l3[0].tag, 0); /* l3 does not show tags */
	}
}

static void
test_rest_and_queries(void **state)
{
	mc_l1 l1;
	mc_level_info lv[4];
	mc_order_info oi;

	(void)state;
	rest(1, 10, BUY, 100, 5, MC_GTC);
	rest(2, 11, BUY, 100, 7, MC_DAY);
	rest(3, 12, BUY, 99, 4, MC_GTC);
	rest(4, 13, SELL, 102, 6, MC_GTC);
	rest(5, 13, SELL, 103, 1, MC_GTC);

	assert_int_equal(mc_engine_l1(F.e, 0, &l1), 0);
	assert_int_equal(l1.bid_price, 100);
	assert_int_equal(l1.bid_qty, 12);
	assert_int_equal(l1.bid_count, 2);
	assert_int_equal(l1.ask_price, 102);
	assert_int_equal(l1.ask_qty, 6);

	assert_int_equal(mc_engine_l2(F.e, 0, BUY, lv, 4), 2);
	assert_int_equal(lv[0].price, 100);
	assert_int_equal(lv[0].qty, 12);
	assert_int_equal(lv[0].count, 2);
	assert_int_equal(lv[1].price, 99);
	assert_int_equal(mc_engine_l2(F.e, 0, SELL, lv, 1), 1); /* depth limit */
	assert_int_equal(lv[0].price, 102);

	assert_string_equal(queue(0, BUY), "1@100,2@100,3@99");
	assert_string_equal(queue(0, SELL), "4@102,5@103");

	assert_int_equal(mc_engine_order(F.e, 2, &oi), 1);
	assert_int_equal(oi.account, 11);
	assert_int_equal(oi.leaves, 7);
	assert_int_equal(oi.tif, MC_DAY);
	assert_string_equal(oi.client_order_id, "c2");
	assert_int_equal(mc_engine_order(F.e, 99, &oi), 0);

	assert_int_equal(mc_engine_l1(F.e, 3, &l1), -1); /* unknown symbol */
	assert_int_equal(mc_engine_order_count(F.e), 5);
	assert_int_equal(mc_engine_level_count(F.e), 4);
}

static void
test_fifo_within_level(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 100, 5, MC_GTC);
	rest(2, 11, SELL, 100, 5, MC_GTC);
	rest(3, 12, SELL, 100, 5, MC_GTC);
	l = do_new(0, 4, 20, BUY, LIM, MC_IOC, 100, 7);
	assert_int_equal(l->n, 2);
	expect_trade(&l->ev[0], 4, 1, 100, 5, 2, 0);
	expect_trade(&l->ev[1], 4, 2, 100, 2, 0, 3);
	assert_int_equal(l->ev[0].account, 20);
	assert_int_equal(l->ev[0].maker_account, 10);
	assert_int_equal(l->ev[0].side, BUY);
	assert_string_equal(queue(0, SELL), "2@100,3@100");
}

static void
test_partial_fills_across_levels(void **state)
{
	const evlog *l;
	mc_l1 l1;

	(void)state;
	rest(1, 10, SELL, 101, 3, MC_GTC);
	rest(2, 11, SELL, 102, 4, MC_GTC);
	rest(3, 12, SELL, 103, 5, MC_GTC);
	rest(4, 13, SELL, 104, 5, MC_GTC);
	/* buy 10 up to 103: 3@101, 4@102, 3@103, nothing left to rest */
	l = do_new(0, 5, 20, BUY, LIM, MC_GTC, 103, 10);
	assert_int_equal(l->n, 3);
	expect_trade(&l->ev[0], 5, 1, 101, 3, 7, 0);
	expect_trade(&l->ev[1], 5, 2, 102, 4, 3, 0);
	expect_trade(&l->ev[2], 5, 3, 103, 3, 0, 2);
	assert_string_equal(queue(0, SELL), "3@103,4@104");
	assert_string_equal(queue(0, BUY), "");
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.ask_price, 103);
	assert_int_equal(l1.ask_qty, 2);
	assert_int_equal(l1.bid_price, 0);
}

static void
test_marketable_limit_rests_remainder(void **state)
{
	const evlog *l;
	mc_order_info oi;

	(void)state;
	rest(1, 10, SELL, 101, 3, MC_GTC);
	rest(2, 10, SELL, 105, 3, MC_GTC);
	l = do_new(0, 3, 20, BUY, LIM, MC_DAY, 102, 8);
	assert_int_equal(l->n, 2);
	expect_trade(&l->ev[0], 3, 1, 101, 3, 5, 0);
	expect_event(&l->ev[1], MC_EV_ACCEPTED, 3, MC_R_NONE);
	assert_int_equal(l->ev[1].qty, 8);
	assert_int_equal(l->ev[1].leaves, 5);
	assert_int_equal(l->ev[1].price, 102);
	assert_string_equal(queue(0, BUY), "3@102");
	assert_int_equal(mc_engine_order(F.e, 3, &oi), 1);
	assert_int_equal(oi.filled, 3);
	assert_int_equal(oi.leaves, 5);
	assert_int_equal(oi.qty, 8);
}

static void
test_market_order_never_rests(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 101, 3, MC_GTC);
	rest(2, 10, SELL, 150, 2, MC_GTC);
	l = do_new(0, 3, 20, BUY, MKT, MC_IOC, 0, 10);
	assert_int_equal(l->n, 3);
	expect_trade(&l->ev[0], 3, 1, 101, 3, 7, 0);
	expect_trade(&l->ev[1], 3, 2, 150, 2, 5, 0); /* any price */
	expect_event(&l->ev[2], MC_EV_CANCELED, 3, MC_R_MARKET_REMAINDER);
	assert_int_equal(l->ev[2].qty, 5);
	assert_string_equal(queue(0, BUY), "");
	assert_int_equal(mc_engine_order_count(F.e), 0);
}

static void
test_market_against_empty_side(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 3, MC_GTC); /* same side only */
	l = do_new(0, 2, 20, BUY, MKT, MC_IOC, 0, 10);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_CANCELED, 2, MC_R_NO_LIQUIDITY);
	assert_int_equal(l->ev[0].qty, 10);
	/* market orders must be IOC or FOK */
	l = do_new(0, 3, 20, SELL, MKT, MC_GTC, 0, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 3, MC_R_BAD_TIF);
	assert_string_equal(queue(0, BUY), "1@100");
}

static void
test_ioc_remainder_canceled(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 4, MC_GTC);
	rest(2, 10, BUY, 98, 4, MC_GTC);
	l = do_new(0, 3, 20, SELL, LIM, MC_IOC, 99, 10);
	assert_int_equal(l->n, 2);
	expect_trade(&l->ev[0], 3, 1, 100, 4, 6, 0);
	expect_event(&l->ev[1], MC_EV_CANCELED, 3, MC_R_IOC_REMAINDER);
	assert_int_equal(l->ev[1].qty, 6);
	assert_string_equal(queue(0, BUY), "2@98");
	assert_string_equal(queue(0, SELL), "");
	/* IOC that cannot trade at all */
	l = do_new(0, 4, 20, SELL, LIM, MC_IOC, 99, 1);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_CANCELED, 4, MC_R_IOC_REMAINDER);
}

static void
test_fok_cannot_fill_leaves_book_unchanged(void **state)
{
	const evlog *l;
	uint64_t before;

	(void)state;
	rest(1, 10, SELL, 101, 3, MC_GTC);
	rest(2, 11, SELL, 102, 3, MC_GTC);
	rest(3, 12, SELL, 104, 9, MC_GTC);
	before = mc_engine_hash(F.e);
	/* 6 available up to 102, 7 wanted */
	l = do_new(0, 4, 20, BUY, LIM, MC_FOK, 102, 7);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_CANCELED, 4, MC_R_FOK_NOT_FILLABLE);
	assert_int_equal(l->ev[0].qty, 7);
	assert_true(mc_engine_hash(F.e) == before);
	/* a market FOK too big for the whole side */
	l = do_new(0, 5, 20, BUY, MKT, MC_FOK, 0, 16);
	expect_event(&l->ev[0], MC_EV_CANCELED, 5, MC_R_FOK_NOT_FILLABLE);
	assert_true(mc_engine_hash(F.e) == before);
	/* own orders do not count toward a FOK (they would be STP-canceled) */
	l = do_new(0, 6, 10, BUY, LIM, MC_FOK, 102, 4);
	expect_event(&l->ev[0], MC_EV_CANCELED, 6, MC_R_FOK_NOT_FILLABLE);
	assert_true(mc_engine_hash(F.e) == before);
}

static void
test_fok_fills_fully(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 101, 3, MC_GTC);
	rest(2, 11, SELL, 102, 3, MC_GTC);
	l = do_new(0, 3, 20, BUY, LIM, MC_FOK, 102, 6);
	assert_int_equal(l->n, 2);
	expect_trade(&l->ev[0], 3, 1, 101, 3, 3, 0);
	expect_trade(&l->ev[1], 3, 2, 102, 3, 0, 0);
	assert_int_equal(mc_engine_order_count(F.e), 0);
	assert_int_equal(mc_engine_level_count(F.e), 0);
}

static void
test_cancel_owner_only(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 5, MC_GTC);
	rest(2, 11, BUY, 100, 6, MC_GTC);
	l = do_cancel(1, 11);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_NOT_OWNER);
	assert_string_equal(queue(0, BUY), "1@100,2@100");
	l = do_cancel(1, 10);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_CANCELED, 1, MC_R_USER_CANCEL);
	assert_int_equal(l->ev[0].qty, 5);
	assert_int_equal(l->ev[0].account, 10);
	assert_string_equal(queue(0, BUY), "2@100");
	l = do_cancel(1, 10); /* already gone */
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_UNKNOWN_ORDER);
	l = do_cancel(2, 11); /* last order of the level: the level goes too */
	expect_event(&l->ev[0], MC_EV_CANCELED, 2, MC_R_USER_CANCEL);
	assert_int_equal(mc_engine_level_count(F.e), 0);
}

static void
test_amend_down_keeps_priority(void **state)
{
	const evlog *l;
	mc_l1 l1;

	(void)state;
	rest(1, 10, SELL, 100, 5, MC_GTC);
	rest(2, 11, SELL, 100, 5, MC_GTC);
	l = do_amend(1, 10, 100, 2);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_AMENDED, 1, MC_R_NONE);
	assert_int_equal(l->ev[0].flags, MC_EVF_PRIORITY_KEPT);
	assert_int_equal(l->ev[0].leaves, 2);
	assert_string_equal(queue(0, SELL), "1@100,2@100");
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.ask_qty, 7);
	l = do_new(0, 3, 20, BUY, LIM, MC_IOC, 100, 3);
	expect_trade(&l->ev[0], 3, 1, 100, 2, 1, 0);
	expect_trade(&l->ev[1], 3, 2, 100, 1, 0, 4);
}

static void
test_amend_up_loses_priority(void **state)
{
	const evlog *l;
	mc_order_info oi;

	(void)state;
	rest(1, 10, SELL, 100, 5, MC_GTC);
	rest(2, 11, SELL, 100, 5, MC_GTC);
	rest(3, 12, SELL, 100, 5, MC_GTC);
	l = do_amend(1, 10, 100, 6);
	expect_event(&l->ev[0], MC_EV_AMENDED, 1, MC_R_NONE);
	assert_int_equal(l->ev[0].flags, MC_EVF_PRIORITY_LOST);
	assert_string_equal(queue(0, SELL), "2@100,3@100,1@100");
	assert_int_equal(mc_engine_order(F.e, 1, &oi), 1);
	assert_int_equal(oi.qty, 6);
	assert_int_equal(oi.leaves, 6);
}

static void
test_amend_price_loses_priority(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 5, MC_GTC);
	rest(2, 11, BUY, 99, 5, MC_GTC);
	rest(3, 12, BUY, 100, 5, MC_GTC);
	/* 1 moves to 99: behind 2, which was there first */
	l = do_amend(1, 10, 99, 5);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->ev[0].flags, MC_EVF_PRIORITY_LOST);
	assert_int_equal(l->ev[0].price, 99);
	assert_string_equal(queue(0, BUY), "3@100,2@99,1@99");
	/* moving back to 100 puts it behind 3, even with less quantity */
	l = do_amend(1, 10, 100, 1);
	assert_string_equal(queue(0, BUY), "3@100,1@100,2@99");
	/* errors: not the owner, bad quantity, unknown order */
	l = do_amend(1, 11, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_NOT_OWNER);
	l = do_amend(1, 10, 100, 0);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_QTY);
	l = do_amend(1, 10, 0, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_PRICE);
	l = do_amend(77, 10, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 77, MC_R_UNKNOWN_ORDER);
}

static void
test_amend_across_spread_trades(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 102, 3, MC_GTC);
	rest(2, 11, BUY, 100, 5, MC_GTC);
	/* buy moved up to 102 takes the 3 and rests 2 at 102 */
	l = do_amend(2, 11, 102, 5);
	assert_int_equal(l->n, 2);
	expect_event(&l->ev[0], MC_EV_AMENDED, 2, MC_R_NONE);
	expect_trade(&l->ev[1], 2, 1, 102, 3, 2, 0);
	assert_string_equal(queue(0, BUY), "2@102");
	assert_string_equal(queue(0, SELL), "");
}

static void
test_stp_cancel_oldest(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 101, 2, MC_GTC); /* other account */
	rest(2, 20, SELL, 101, 3, MC_GTC); /* same account as the taker */
	rest(3, 11, SELL, 101, 4, MC_GTC);
	l = do_new(0, 4, 20, BUY, LIM, MC_GTC, 101, 5);
	assert_int_equal(l->n, 3);
	expect_trade(&l->ev[0], 4, 1, 101, 2, 3, 0);
	expect_event(&l->ev[1], MC_EV_CANCELED, 2, MC_R_STP_CANCEL_OLDEST);
	assert_int_equal(l->ev[1].qty, 3);
	assert_int_equal(l->ev[1].account, 20);
	expect_trade(&l->ev[2], 4, 3, 101, 3, 0, 1);
	assert_string_equal(queue(0, SELL), "3@101");
}

static void
test_stp_cancel_newest(void **state)
{
	const evlog *l;
	const uint32_t S = 1; /* cancel-newest symbol */

	(void)state;
	assert_int_equal(do_new(S, 1, 10, SELL, LIM, MC_GTC, 101, 2)->ev[0].kind,
	                 MC_EV_ACCEPTED);
	assert_int_equal(do_new(S, 2, 20, SELL, LIM, MC_GTC, 101, 3)->ev[0].kind,
	                 MC_EV_ACCEPTED);
	assert_int_equal(do_new(S, 3, 11, SELL, LIM, MC_GTC, 101, 4)->ev[0].kind,
	                 MC_EV_ACCEPTED);
	l = do_new(S, 4, 20, BUY, LIM, MC_GTC, 101, 5);
	assert_int_equal(l->n, 2);
	expect_trade(&l->ev[0], 4, 1, 101, 2, 3, 0);
	expect_event(&l->ev[1], MC_EV_CANCELED, 4, MC_R_STP_CANCEL_NEWEST);
	assert_int_equal(l->ev[1].qty, 3);
	/* the resting own order stays, the incoming does not rest */
	assert_string_equal(queue(S, SELL), "2@101,3@101");
	assert_string_equal(queue(S, BUY), "");
}

static void
test_halt_and_resume(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 5, MC_GTC);
	l = do_session(0, MC_SESSION_HALT);
	expect_event(&l->ev[0], MC_EV_SESSION, 0, MC_R_NONE);
	assert_int_equal(l->ev[0].flags, MC_STATUS_HALTED);
	assert_int_equal(mc_engine_status(F.e, 0), MC_STATUS_HALTED);
	l = do_new(0, 2, 10, SELL, LIM, MC_GTC, 100, 5);
	expect_event(&l->ev[0], MC_EV_REJECTED, 2, MC_R_HALTED);
	l = do_amend(1, 10, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_HALTED);
	l = do_session(0, MC_SESSION_HALT); /* already halted */
	expect_event(&l->ev[0], MC_EV_REJECTED, 0, MC_R_BAD_SESSION_OP);
	l = do_cancel(1, 10); /* cancels are allowed */
	expect_event(&l->ev[0], MC_EV_CANCELED, 1, MC_R_USER_CANCEL);
	l = do_session(0, MC_SESSION_RESUME);
	assert_int_equal(l->ev[0].flags, MC_STATUS_OPEN);
	rest(3, 10, BUY, 100, 5, MC_GTC);
}

static void
test_close_expires_day_keeps_gtc(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, BUY, 100, 5, MC_DAY);
	rest(2, 11, BUY, 100, 6, MC_GTC);
	rest(3, 12, BUY, 99, 7, MC_DAY);
	rest(4, 13, SELL, 105, 8, MC_DAY);
	rest(5, 14, SELL, 106, 9, MC_GTC);
	l = do_session(0, MC_SESSION_CLOSE);
	assert_int_equal(l->n, 4);
	assert_int_equal(l->ev[0].kind, MC_EV_SESSION);
	assert_int_equal(l->ev[0].flags, MC_STATUS_CLOSED);
	expect_event(&l->ev[1], MC_EV_EXPIRED, 1, MC_R_DAY_EXPIRED);
	assert_int_equal(l->ev[1].qty, 5);
	expect_event(&l->ev[2], MC_EV_EXPIRED, 3, MC_R_DAY_EXPIRED);
	expect_event(&l->ev[3], MC_EV_EXPIRED, 4, MC_R_DAY_EXPIRED);
	assert_string_equal(queue(0, BUY), "2@100");
	assert_string_equal(queue(0, SELL), "5@106");
	/* closed: orders and amends rejected, cancels allowed */
	l = do_new(0, 6, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 6, MC_R_SESSION_CLOSED);
	l = do_amend(2, 11, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 2, MC_R_SESSION_CLOSED);
	/* a symbol that never opened rejects too */
	l = do_new(2, 7, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 7, MC_R_SESSION_CLOSED);
	/* next day: the GTC orders are still there and trade */
	do_session(0, MC_SESSION_OPEN);
	l = do_new(0, 8, 20, SELL, LIM, MC_IOC, 100, 6);
	expect_trade(&l->ev[0], 8, 2, 100, 6, 0, 0);
	l = do_cancel(5, 14);
	expect_event(&l->ev[0], MC_EV_CANCELED, 5, MC_R_USER_CANCEL);
}

/* ------------------------------------------------- post-only and GTD */

static const evlog *
do_new_flags(uint32_t sym, uint64_t id, uint32_t acct, int side, int tif, int64_t price,
             int64_t qty, uint8_t flags, uint64_t expire_time)
{
	mc_command c = cmd_new(++F.seq, id, sym, acct, side, LIM, tif, price, qty);

	c.flags = flags;
	c.expire_time = expire_time;
	return run(&c);
}

/* timestamp testutil gives the command with sequence number seq */
#define TS(seq) (1000000 + (uint64_t)(seq)*10)

static void
test_post_only_would_cross_rejected(void **state)
{
	const evlog *l;
	uint64_t h;

	(void)state;
	rest(1, 10, SELL, 101, 5, MC_GTC);
	rest(2, 11, BUY, 99, 5, MC_GTC);
	h = mc_engine_hash(F.e);
	/* at the best ask: it would take, so it is refused and nothing changes */
	l = do_new_flags(0, 3, 12, BUY, MC_DAY, 101, 4, MC_CMDF_POST_ONLY, 0);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 3, MC_R_POST_ONLY_WOULD_CROSS);
	assert_int_equal(mc_engine_hash(F.e), h);
	/* through the spread on the other side too; own orders count as well */
	l = do_new_flags(0, 4, 11, SELL, MC_GTC, 98, 4, MC_CMDF_POST_ONLY, 0);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_POST_ONLY_WOULD_CROSS);
	/* inside the spread it rests, keeping the flag */
	l = do_new_flags(0, 5, 12, BUY, MC_DAY, 100, 4, MC_CMDF_POST_ONLY, 0);
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 5, MC_R_NONE);
	{
		mc_order_info oi;

		assert_int_equal(mc_engine_order(F.e, 5, &oi), 1);
		assert_int_equal(oi.flags, MC_CMDF_POST_ONLY);
	}
	/* an amend that would make it take is refused, the order stays as it was */
	l = do_amend(5, 12, 101, 4);
	expect_event(&l->ev[0], MC_EV_REJECTED, 5, MC_R_POST_ONLY_WOULD_CROSS);
	assert_string_equal(queue(0, BUY), "5@100,2@99");
	/* post-only as the maker: an incoming order takes it as usual */
	l = do_new(0, 6, 13, SELL, LIM, MC_IOC, 100, 4);
	expect_trade(&l->ev[0], 6, 5, 100, 4, 0, 0);
	/* post-only cannot be immediate */
	l = do_new_flags(0, 7, 12, BUY, MC_IOC, 100, 1, MC_CMDF_POST_ONLY, 0);
	expect_event(&l->ev[0], MC_EV_REJECTED, 7, MC_R_BAD_TIF);
	l = do_new_flags(0, 8, 12, BUY, MC_DAY, 100, 1, 0x40, 0);
	expect_event(&l->ev[0], MC_EV_REJECTED, 8, MC_R_BAD_COMMAND);
}

static void
test_gtd_expires(void **state)
{
	const evlog *l;
	uint64_t id, at;
	mc_command x;

	(void)state;
	assert_int_equal(mc_engine_next_expiry(F.e, &id, &at), 0);
	/* an expire time must lie after the command, and only GTD has one */
	l = do_new_flags(0, 1, 10, BUY, MC_GTD, 100, 5, 0, TS(F.seq + 1));
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_EXPIRE_TIME);
	l = do_new_flags(0, 2, 10, BUY, MC_GTC, 100, 5, 0, TS(F.seq + 10));
	expect_event(&l->ev[0], MC_EV_REJECTED, 2, MC_R_BAD_EXPIRE_TIME);
	/* three GTD orders; the later one of two equal times expires second */
	l = do_new_flags(0, 3, 10, BUY, MC_GTD, 100, 5, 0, TS(500));
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 3, MC_R_NONE);
	l = do_new_flags(0, 4, 11, SELL, MC_GTD, 105, 6, MC_CMDF_POST_ONLY, TS(300));
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 4, MC_R_NONE);
	l = do_new_flags(0, 5, 12, BUY, MC_GTD, 99, 7, 0, TS(300));
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 5, MC_R_NONE);
	assert_int_equal(mc_engine_next_expiry(F.e, &id, &at), 1);
	assert_int_equal(id, 4);
	assert_int_equal(at, TS(300));
	/* too early: the core checks the command's own time */
	x = cmd_expire(++F.seq, 4);
	l = run(&x);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_NOT_EXPIRED);
	/* GTD survives the close, like GTC */
	do_session(0, MC_SESSION_CLOSE);
	do_session(0, MC_SESSION_OPEN);
	assert_string_equal(queue(0, BUY), "3@100,5@99");
	/* a fill removes a GTD order from the expiry heap too */
	l = do_new(0, 6, 20, SELL, LIM, MC_IOC, 100, 5);
	expect_trade(&l->ev[0], 6, 3, 100, 5, 0, 0);
	/* at its time (even in a closed or halted session) it expires */
	F.seq = 299;
	x = cmd_expire(++F.seq, 4);
	l = run(&x);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_EXPIRED, 4, MC_R_GTD_EXPIRED);
	assert_int_equal(l->ev[0].qty, 6);
	assert_int_equal(mc_engine_next_expiry(F.e, &id, &at), 1);
	assert_int_equal(id, 5);
	x = cmd_expire(++F.seq, 5);
	l = run(&x);
	expect_event(&l->ev[0], MC_EV_EXPIRED, 5, MC_R_GTD_EXPIRED);
	assert_int_equal(mc_engine_next_expiry(F.e, &id, &at), 0);
	/* gone: a second expiry or a cancel finds nothing */
	l = run(&x);
	expect_event(&l->ev[0], MC_EV_REJECTED, 5, MC_R_UNKNOWN_ORDER);
	/* a GTC order is never expired */
	rest(7, 10, BUY, 98, 1, MC_GTC);
	x = cmd_expire(++F.seq, 7);
	l = run(&x);
	expect_event(&l->ev[0], MC_EV_REJECTED, 7, MC_R_NOT_EXPIRED);
	assert_int_equal(mc_engine_order_count(F.e), 1);
}

static const evlog *
do_stop(uint64_t id, uint32_t acct, int side, int type, int tif, int64_t price,
        int64_t stop, int64_t qty)
{
	mc_command c = cmd_new(++F.seq, id, 0, acct, side, type, tif, price, qty);

	c.stop_price = stop;
	return run(&c);
}

/* GTD and post-only orders survive a snapshot: same hash, same next expiry */
static void
test_gtd_post_only_snapshot(void **state)
{
	mc_engine_config cfg = {4, 1000, 1000, NULL};
	mc_engine *copy;
	uint8_t buf[4096];
	size_t len;
	uint64_t id, at, id2, at2;

	(void)state;
	do_new_flags(0, 1, 10, BUY, MC_GTD, 100, 5, MC_CMDF_POST_ONLY, TS(900));
	do_new_flags(0, 2, 11, BUY, MC_GTD, 100, 5, 0, TS(800));
	do_new_flags(0, 3, 11, SELL, MC_GTC, 101, 5, MC_CMDF_POST_ONLY, 0);
	/* a trade (the last price) and stops waiting on both sides */
	do_new(0, 7, 12, BUY, LIM, MC_IOC, 101, 1);
	do_stop(8, 12, BUY, MC_STOP_LIMIT, MC_GTC, 103, 102, 2);
	do_stop(9, 12, SELL, MC_STOP, MC_FOK, 0, 99, 2);
	len = mc_engine_save(F.e, buf, sizeof(buf));
	assert_true(len <= sizeof(buf));
	copy = mc_engine_create(&cfg);
	assert_int_equal(mc_engine_load(copy, buf, len), MC_SNAP_OK);
	assert_int_equal(mc_engine_hash(copy), mc_engine_hash(F.e));
	{
		mc_order_info a, b;

		assert_int_equal(mc_engine_order(copy, 8, &a), 1);
		assert_int_equal(mc_engine_order(F.e, 8, &b), 1);
		assert_memory_equal(&a, &b, offsetof(mc_order_info, tag));
		assert_int_equal(a.waiting, 1);
		assert_int_equal(a.stop_price, 102);
	}
	assert_int_equal(mc_engine_next_expiry(copy, &id, &at), 1);
	assert_int_equal(mc_engine_next_expiry(F.e, &id2, &at2), 1);
	assert_int_equal(id, 2);
	assert_int_equal(id, id2);
	assert_int_equal(at, at2);
	/* a GTD order without an expire time is malformed */
	{
		mc_engine *bad = mc_engine_create(&cfg);
		size_t off = len - 8; /* the last order's stop price: stop 9's, 99 */

		buf[off] = 1;
		assert_int_equal(mc_engine_load(bad, buf, len), MC_SNAP_MALFORMED);
		mc_engine_destroy(bad);
	}
	mc_engine_destroy(copy);
}

/* ------------------------------------------------------------- stops */

static void
test_stop_waits_invisibly(void **state)
{
	const evlog *l;
	mc_order_info oi;
	mc_l1 l1;

	(void)state;
	rest(1, 10, SELL, 101, 5, MC_GTC);
	l = do_stop(2, 11, BUY, MC_STOP, MC_IOC, 0, 102, 5);
	assert_int_equal(l->n, 1);
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 2, MC_R_NONE);
	assert_int_equal(l->ev[0].flags, MC_EVF_STOP);
	l = do_stop(3, 11, SELL, MC_STOP_LIMIT, MC_DAY, 95, 96, 5);
	expect_event(&l->ev[0], MC_EV_ACCEPTED, 3, MC_R_NONE);
	/* not in L1, L2 or L3; found by id, waiting */
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.bid_qty, 0);
	assert_string_equal(queue(0, BUY), "");
	assert_string_equal(queue(0, SELL), "1@101");
	assert_int_equal(mc_engine_order(F.e, 2, &oi), 1);
	assert_int_equal(oi.waiting, 1);
	assert_int_equal(oi.stop_price, 102);
	/* validation: stop prices, a stop's time in force, post-only */
	l = do_stop(4, 11, BUY, MC_STOP, MC_IOC, 0, 0, 5);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_BAD_STOP_PRICE);
	l = do_stop(4, 11, BUY, MC_LIMIT, MC_DAY, 100, 99, 5);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_BAD_STOP_PRICE);
	l = do_stop(4, 11, BUY, MC_STOP, MC_GTC, 0, 102, 5);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_BAD_TIF);
	/* after a trade at 101, a buy stop at or below 101 would trigger at once */
	l = do_new(0, 5, 12, BUY, LIM, MC_IOC, 101, 1);
	expect_trade(&l->ev[0], 5, 1, 101, 1, 0, 4);
	l = do_stop(6, 11, BUY, MC_STOP, MC_IOC, 0, 101, 5);
	expect_event(&l->ev[0], MC_EV_REJECTED, 6, MC_R_STOP_WOULD_TRIGGER);
	/* the close expires a DAY stop-limit that waits */
	l = do_session(0, MC_SESSION_CLOSE);
	expect_event(&l->ev[1], MC_EV_EXPIRED, 3, MC_R_DAY_EXPIRED);
	assert_int_equal(mc_engine_order(F.e, 3, &oi), 0);
	assert_int_equal(mc_engine_order(F.e, 2, &oi), 1);
}

/* A trade reaches a stop whose trades reach the next one: one command. */
static void
test_stop_cascade(void **state)
{
	const evlog *l;
	mc_order_info oi;

	(void)state;
	rest(1, 10, SELL, 101, 5, MC_GTC);
	rest(2, 10, SELL, 102, 5, MC_GTC);
	rest(3, 10, SELL, 103, 5, MC_GTC);
	do_stop(4, 11, BUY, MC_STOP, MC_IOC, 0, 101, 5);
	do_stop(5, 12, BUY, MC_STOP_LIMIT, MC_GTC, 103, 102, 7);
	do_stop(6, 13, BUY, MC_STOP_LIMIT, MC_GTC, 110, 105, 1); /* never reached */
	l = do_new(0, 7, 14, BUY, LIM, MC_IOC, 101, 1);
	/* 7 buys 1 @101: last 101 reaches stop 4, which buys 4 @101 and 1 @102:
	 * last 102 reaches stop-limit 5 (limit 103): 4 @102, 3 of 5 @103 */
	assert_int_equal(l->n, 7);
	expect_trade(&l->ev[0], 7, 1, 101, 1, 0, 4);
	expect_event(&l->ev[1], MC_EV_TRIGGERED, 4, MC_R_NONE);
	assert_int_equal(l->ev[1].price, 101);
	expect_trade(&l->ev[2], 4, 1, 101, 4, 1, 0);
	expect_trade(&l->ev[3], 4, 2, 102, 1, 0, 4);
	expect_event(&l->ev[4], MC_EV_TRIGGERED, 5, MC_R_NONE);
	expect_trade(&l->ev[5], 5, 2, 102, 4, 3, 0);
	expect_trade(&l->ev[6], 5, 3, 103, 3, 0, 2);
	/* 5 filled in full: nothing rests; 6 still waits */
	assert_int_equal(mc_engine_order(F.e, 5, &oi), 0);
	assert_int_equal(mc_engine_order(F.e, 6, &oi), 1);
	assert_int_equal(oi.waiting, 1);
	assert_string_equal(queue(0, SELL), "3@103");
}

static void
test_stop_cancel_and_amend_before_trigger(void **state)
{
	const evlog *l;
	mc_order_info oi;

	(void)state;
	rest(1, 10, SELL, 101, 10, MC_GTC);
	do_stop(2, 11, BUY, MC_STOP_LIMIT, MC_GTC, 101, 101, 3);
	do_stop(3, 12, BUY, MC_STOP_LIMIT, MC_GTC, 101, 101, 3);
	/* quantity down keeps 2 ahead of 3; a new limit price sends 2 behind */
	l = do_amend(2, 11, 101, 2);
	expect_event(&l->ev[0], MC_EV_AMENDED, 2, MC_R_NONE);
	/* every event of a waiting stop says so: it never touches the book */
	assert_int_equal(l->ev[0].flags, MC_EVF_STOP | MC_EVF_PRIORITY_KEPT);
	l = do_amend(2, 11, 102, 2);
	assert_int_equal(l->ev[0].flags, MC_EVF_STOP | MC_EVF_PRIORITY_LOST);
	assert_int_equal(mc_engine_order(F.e, 2, &oi), 1);
	assert_int_equal(oi.price, 102);
	assert_int_equal(oi.waiting, 1);
	/* a stop (market) has no limit price to amend */
	do_stop(4, 13, BUY, MC_STOP, MC_IOC, 0, 101, 1);
	l = do_amend(4, 13, 101, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_BAD_PRICE);
	l = do_amend(4, 13, 0, 2);
	expect_event(&l->ev[0], MC_EV_AMENDED, 4, MC_R_NONE);
	/* canceled before the trigger: it never fires */
	l = do_cancel(3, 12);
	expect_event(&l->ev[0], MC_EV_CANCELED, 3, MC_R_USER_CANCEL);
	assert_int_equal(l->ev[0].flags, MC_EVF_STOP);
	l = do_new(0, 5, 14, BUY, LIM, MC_IOC, 101, 1);
	/* 5 trades @101; then the stops at 101 in time order: 2 (it lost its
	 * place by its amend, but 3 is gone) was first, then 4 */
	expect_trade(&l->ev[0], 5, 1, 101, 1, 0, 9);
	expect_event(&l->ev[1], MC_EV_TRIGGERED, 2, MC_R_NONE);
	expect_trade(&l->ev[2], 2, 1, 101, 2, 0, 7);
	expect_event(&l->ev[3], MC_EV_TRIGGERED, 4, MC_R_NONE);
	expect_trade(&l->ev[4], 4, 1, 101, 2, 0, 5);
	assert_int_equal(l->n, 5);
}

static void
test_pool_exhaustion(void **state)
{
	/* 3 order slots and 2 level slots for the whole engine; the symbol's
	 * own limits are larger so the engine pools are what runs out */
	mc_engine_config cfg = {1, 3, 2, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 10, 10, 0};
	mc_engine *e = mc_engine_create(&cfg);
	mc_engine *saved = F.e;
	const evlog *l;

	(void)state;
	assert_int_equal(mc_engine_add_symbol(e, 0, &sc), MC_R_NONE);
	F.e = e;
	do_session(0, MC_SESSION_OPEN);
	rest(1, 10, BUY, 100, 1, MC_GTC);
	rest(2, 10, BUY, 99, 1, MC_GTC);
	/* both level slots used: a third price is rejected, an existing one is not */
	l = do_new(0, 3, 10, BUY, LIM, MC_GTC, 98, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 3, MC_R_LEVEL_POOL_FULL);
	rest(4, 10, BUY, 100, 1, MC_GTC);
	/* all three order slots used */
	l = do_new(0, 5, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 5, MC_R_ORDER_POOL_FULL);
	/* an IOC needs no slot and still trades */
	l = do_new(0, 6, 20, SELL, LIM, MC_IOC, 100, 1);
	expect_trade(&l->ev[0], 6, 1, 100, 1, 0, 0);
	/* the freed slot is reused */
	rest(7, 10, BUY, 99, 1, MC_GTC);
	/* amend to a new price needs a level slot */
	l = do_amend(7, 10, 97, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 7, MC_R_LEVEL_POOL_FULL);
	assert_string_equal(queue(0, BUY), "4@100,2@99,7@99");
	F.e = saved;
	mc_engine_destroy(e);
}

static void
test_symbol_limits(void **state)
{
	mc_engine_config cfg = {2, 100, 100, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 2, 1, 0};
	mc_engine *e = mc_engine_create(&cfg);
	mc_engine *saved = F.e;
	const evlog *l;

	(void)state;
	assert_int_equal(mc_engine_add_symbol(e, 0, &sc), MC_R_NONE);
	assert_int_equal(mc_engine_add_symbol(e, 0, &sc), MC_R_SYMBOL_EXISTS);
	assert_int_equal(mc_engine_add_symbol(e, 2, &sc), MC_R_UNKNOWN_SYMBOL);
	F.e = e;
	do_session(0, MC_SESSION_OPEN);
	rest(1, 10, BUY, 100, 1, MC_GTC);
	l = do_new(0, 2, 10, BUY, LIM, MC_GTC, 99, 1); /* one level per side */
	expect_event(&l->ev[0], MC_EV_REJECTED, 2, MC_R_SYMBOL_LEVEL_LIMIT);
	rest(3, 10, SELL, 101, 1, MC_GTC);              /* the other side has its own */
	l = do_new(0, 4, 10, BUY, LIM, MC_GTC, 100, 1); /* two orders per symbol */
	expect_event(&l->ev[0], MC_EV_REJECTED, 4, MC_R_SYMBOL_ORDER_LIMIT);
	F.e = saved;
	mc_engine_destroy(e);
}

static int
cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* the side's L2 prices must be exactly want[0..n) (best first) */
static void
expect_levels(int side, const int64_t *want, int n)
{
	mc_level_info lv[64];
	int got = mc_engine_l2(F.e, 0, side, lv, 64);

	assert_int_equal(got, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(lv[i].price, want[i]);
}

/*
 * Levels live in an O(1) price window (64 ticks here) or, outside it, in a
 * sorted array.  Order must be right across the boundary in every direction:
 * queries, best price after removals, and the order a sweep trades in.
 */
static void
test_price_window_and_far_levels(void **state)
{
	mc_engine_config cfg = {1, 1000, 1000, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 0, 0, 64};
	mc_engine *e = mc_engine_create(&cfg);
	mc_engine *saved = F.e;
	/* first bid anchors the bid window at ranks [968, 1032) */
	int64_t bids[] = {1000, 1031, 1032, 1100, 968, 967, 900, 1, 4000, 999, 1033, 1200};
	/* first ask anchors the ask window at prices (5968, 6032] */
	int64_t asks[] = {6000, 5969, 5968, 6032, 6033, 7000, 5001, 99999, 6001, 5967};
	int nb = (int)(sizeof(bids) / sizeof(bids[0]));
	int na = (int)(sizeof(asks) / sizeof(asks[0]));
	int64_t want[16];
	const evlog *l;
	mc_l1 l1;

	(void)state;
	assert_int_equal(mc_engine_add_symbol(e, 0, &sc), MC_R_NONE);
	F.e = e;
	do_session(0, MC_SESSION_OPEN);
	for (int i = 0; i < nb; i++)
		rest(100 + (uint64_t)i, 10, BUY, bids[i], 1 + i, MC_GTC);
	for (int i = 0; i < na; i++)
		rest(200 + (uint64_t)i, 11, SELL, asks[i], 1, MC_GTC);

	memcpy(want, bids, sizeof(bids));
	qsort(want, (size_t)nb, sizeof(int64_t), cmp_desc);
	expect_levels(BUY, want, nb);
	memcpy(want, asks, sizeof(asks));
	qsort(want, (size_t)na, sizeof(int64_t), cmp_desc);
	for (int i = 0; i < na / 2; i++) /* ascending for asks */
	{
		int64_t t = want[i];

		want[i] = want[na - 1 - i];
		want[na - 1 - i] = t;
	}
	expect_levels(SELL, want, na);

	/* remove levels in and out of the window; the best follows */
	do_cancel(108, 10); /* 4000, far above */
	do_cancel(111, 10); /* 1200 */
	do_cancel(103, 10); /* 1100 */
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.bid_price, 1033);
	do_cancel(110, 10); /* 1033, the last far level above */
	do_cancel(102, 10); /* 1032, first tick above the window */
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.bid_price, 1031); /* now from the window */
	do_cancel(206, 11);                   /* 5001, far below the ask window */
	do_cancel(209, 11);                   /* 5967 */
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.ask_price, 5968);
	/* a level can come back, elsewhere or in the same place */
	rest(300, 12, BUY, 1032, 1, MC_GTC);
	rest(301, 12, BUY, 1031, 1, MC_GTC);
	{
		int64_t b2[] = {1032, 1031, 1000, 999, 968, 967, 900, 1};

		expect_levels(BUY, b2, 8);
	}
	/* amend moves across the boundary both ways */
	do_amend(300, 12, 950, 1);  /* far -> window */
	do_amend(105, 10, 2000, 6); /* 967 (far) -> far above */
	{
		int64_t b3[] = {2000, 1031, 1000, 999, 968, 950, 900, 1};

		expect_levels(BUY, b3, 8);
	}
	/* a market sell sweeps every bid, best price first */
	l = do_new(0, 400, 20, SELL, MKT, MC_IOC, 0, 1000);
	{
		int64_t sweep[] = {2000, 1031, 1031, 1000, 999, 968, 950, 900, 1};
		size_t k = 0;

		for (size_t i = 0; i < l->n; i++)
			if (l->ev[i].kind == MC_EV_TRADE)
			{
				assert_true(k < 9);
				assert_int_equal(l->ev[i].price, sweep[k]);
				k++;
			}
		assert_int_equal(k, 9);
	}
	mc_engine_l1(F.e, 0, &l1);
	assert_int_equal(l1.bid_price, 0);
	assert_int_equal(mc_engine_l2(F.e, 0, BUY, NULL, 0), 0);
	F.e = saved;
	mc_engine_destroy(e);
}

static void
test_validation(void **state)
{
	const evlog *l;
	mc_command c;

	(void)state;
	l = do_new(3, 1, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_UNKNOWN_SYMBOL);
	l = do_new(9, 1, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_UNKNOWN_SYMBOL);
	l = do_new(0, 1, 10, 3, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_SIDE);
	l = do_new(0, 1, 10, BUY, 5, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_TYPE);
	l = do_new(0, 1, 10, BUY, LIM, 0, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_TIF);
	l = do_new(0, 1, 10, BUY, LIM, MC_GTC, 0, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_PRICE);
	l = do_new(0, 1, 10, BUY, LIM, MC_GTC, MC_MAX_PRICE + 1, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_PRICE);
	l = do_new(0, 1, 10, BUY, LIM, MC_GTC, 100, 0);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_QTY);
	l = do_new(0, 1, 10, BUY, LIM, MC_GTC, 100, MC_MAX_QTY + 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_QTY);
	l = do_new(0, 0, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 0, MC_R_BAD_ORDER_ID);
	rest(1, 10, BUY, 100, 1, MC_GTC);
	l = do_new(0, 1, 10, BUY, LIM, MC_GTC, 100, 1);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_DUPLICATE_ID);
	l = do_session(0, 9);
	expect_event(&l->ev[0], MC_EV_REJECTED, 0, MC_R_BAD_SESSION_OP);
	c = cmd_cancel(++F.seq, 1, 10);
	c.kind = 42;
	l = run(&c);
	expect_event(&l->ev[0], MC_EV_REJECTED, 1, MC_R_BAD_COMMAND);
	/* a rejection carries what was asked */
	l = do_new(0, 5, 33, SELL, LIM, MC_GTC, 100, 0);
	assert_int_equal(l->ev[0].account, 33);
	assert_int_equal(l->ev[0].side, SELL);
	assert_int_equal(l->ev[0].price, 100);
	assert_string_equal(queue(0, BUY), "1@100");
}

static void
test_seq_idx_order_events(void **state)
{
	const evlog *l;

	(void)state;
	rest(1, 10, SELL, 101, 1, MC_GTC);
	rest(2, 10, SELL, 102, 1, MC_GTC);
	l = do_new(0, 3, 20, BUY, MKT, MC_IOC, 0, 5);
	assert_int_equal(l->n, 3);
	for (size_t i = 0; i < l->n; i++)
	{
		assert_int_equal(l->ev[i].seq, F.seq);
		assert_int_equal(l->ev[i].idx, i);
		assert_int_equal(l->ev[i].timestamp, 1000000 + F.seq * 10);
		assert_int_equal(l->ev[i].symbol, 0);
	}
}

/* A buffer of 8 with flush: 20 maker fills arrive complete and in order. */
static void
test_sink_flush(void **state)
{
	const evlog *l;

	(void)state;
	for (uint64_t i = 1; i <= 20; i++)
		rest(i, 10, SELL, 100 + (int64_t)i, 1, MC_GTC);
	l = do_new(0, 21, 20, BUY, MKT, MC_IOC, 0, 20);
	assert_int_equal(l->n, 20);
	for (uint64_t i = 0; i < 20; i++)
	{
		assert_int_equal(l->ev[i].idx, i);
		assert_int_equal(l->ev[i].maker_order_id, i + 1);
	}
	/* without flush, overflow is counted, never written past the buffer */
	{
		mc_event buf[2];
		mc_sink sink = {buf, 2, 0, 0, NULL, NULL};
		mc_command c = cmd_session(++F.seq, 0, MC_SESSION_CLOSE);

		rest(30, 10, BUY, 10, 1, MC_DAY);
		rest(31, 10, BUY, 11, 1, MC_DAY);
		mc_engine_apply(F.e, &c, &sink);
		assert_int_equal(sink.n, 2);
		assert_int_equal(sink.dropped, 1);
	}
}

/* ----------------------------------------------- determinism and hashing */

/* a deterministic pseudo-random stream of valid-ish commands */
static size_t
random_stream(uint64_t seed, mc_command *out, size_t n)
{
	uint64_t rng = seed;

	out[0] = cmd_session(1, 0, MC_SESSION_OPEN);
	out[1] = cmd_session(2, 1, MC_SESSION_OPEN);
	for (size_t i = 2; i < n; i++)
	{
		uint64_t r = rng_below(&rng, 10);
		uint64_t id = 1 + rng_below(&rng, i);
		uint32_t acct = 1 + (uint32_t)rng_below(&rng, 3);
		int side = rng_below(&rng, 2) ? BUY : SELL;
		int64_t px = 100 + (int64_t)rng_below(&rng, 9) - 4;

		if (r < 6)
			out[i] = cmd_new(i + 1, i + 1, (uint32_t)rng_below(&rng, 2), acct, side,
			                 rng_below(&rng, 8) ? LIM : MKT,
			                 (int)(rng_below(&rng, 8) ? MC_GTC : MC_IOC), px,
			                 1 + (int64_t)rng_below(&rng, 9));
		else if (r < 8)
			out[i] = cmd_cancel(i + 1, id, acct);
		else
			out[i] = cmd_amend(i + 1, id, acct, px, 1 + (int64_t)rng_below(&rng, 9));
		if (out[i].type == MC_MARKET)
			out[i].tif = MC_IOC;
	}
	return n;
}

static void
test_determinism_byte_identical(void **state)
{
	enum
	{
		N = 20000
	};
	uint64_t seed = env_seed("PGX_SEED", 42);
	mc_command *cmds = malloc(sizeof(mc_command) * N);
	evlog a = {0}, b = {0};
	mc_engine *e1 = make_engine(5000, 5000);
	mc_engine *e2 = make_engine(5000, 5000);

	(void)state;
	printf("determinism: PGX_SEED=%llu\n", (unsigned long long)seed);
	random_stream(seed, cmds, N);
	/* interleave the two engines so no state can leak through ordering */
	for (size_t i = 0; i < N; i++)
	{
		core_apply(e1, &cmds[i], &a);
		core_apply(e2, &cmds[i], &b);
	}
	assert_true(a.n > N);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.ev, b.ev, a.n * sizeof(mc_event));
	assert_true(mc_engine_hash(e1) == mc_engine_hash(e2));
	assert_true(mc_engine_order_count(e1) > 0);
	mc_engine_destroy(e1);
	mc_engine_destroy(e2);
	evlog_free(&a);
	evlog_free(&b);
	free(cmds);
}

static void
test_hash_canonical(void **state)
{
	mc_engine *e1 = make_engine(100, 100);
	mc_engine *e2 = make_engine(100, 100);
	evlog junk = {0};
	mc_command c;
	uint64_t h1, h2;

	(void)state;
	/* e2 first churns its pools so the same orders land in other slots */
	c = cmd_session(1, 0, MC_SESSION_OPEN);
	core_apply(e1, &c, &junk);
	core_apply(e2, &c, &junk);
	for (uint64_t i = 0; i < 50; i++)
	{
		c = cmd_new(2, 1000 + i, 0, 9, BUY, LIM, MC_GTC, 50 + (int64_t)i, 1);
		core_apply(e2, &c, &junk);
	}
	for (uint64_t i = 0; i < 50; i += 2)
	{
		c = cmd_cancel(3, 1000 + i, 9);
		core_apply(e2, &c, &junk);
	}
	for (uint64_t i = 1; i < 50; i += 2)
	{
		c = cmd_cancel(3, 1000 + i, 9);
		core_apply(e2, &c, &junk);
	}
	/* now the same orders, same timestamps, into both */
	for (uint64_t i = 1; i <= 10; i++)
	{
		c = cmd_new(10 + i, i, 0, (uint32_t)i % 3, i % 2 ? BUY : SELL, LIM, MC_GTC,
		            i % 2 ? 90 + (int64_t)(i % 4) : 110 + (int64_t)(i % 4), (int64_t)i);
		core_apply(e1, &c, &junk);
		core_apply(e2, &c, &junk);
	}
	h1 = mc_engine_hash(e1);
	h2 = mc_engine_hash(e2);
	assert_true(h1 == h2);
	assert_true(mc_engine_hash(e1) == h1); /* queries do not change it */

	/* any change of state changes the hash... */
	c = cmd_amend(30, 3, 0, 93, 2); /* quantity down, keeps its place */
	core_apply(e1, &c, &junk);
	assert_true(mc_engine_hash(e1) != h1);
	/* ...including queue order alone: swap two orders' places at 91 */
	{
		mc_engine *x = make_engine(100, 100);
		mc_engine *y = make_engine(100, 100);
		mc_command o = cmd_session(1, 0, MC_SESSION_OPEN);
		mc_command p = cmd_new(2, 1, 0, 1, BUY, LIM, MC_GTC, 91, 1);
		mc_command q = cmd_new(2, 2, 0, 1, BUY, LIM, MC_GTC, 91, 1);

		core_apply(x, &o, &junk);
		core_apply(y, &o, &junk);
		core_apply(x, &p, &junk);
		core_apply(x, &q, &junk);
		core_apply(y, &q, &junk);
		core_apply(y, &p, &junk);
		assert_true(mc_engine_hash(x) != mc_engine_hash(y));
		/* and session status */
		o = cmd_session(3, 1, MC_SESSION_OPEN);
		h1 = mc_engine_hash(x);
		core_apply(x, &o, &junk);
		assert_true(mc_engine_hash(x) != h1);
		mc_engine_destroy(x);
		mc_engine_destroy(y);
	}
	mc_engine_destroy(e1);
	mc_engine_destroy(e2);
	evlog_free(&junk);
}

/* ------------------------------------------------------ no malloc after init */

static uint64_t alloc_calls;

static void *
counting_alloc(void *ctx, size_t size)
{
	(void)ctx;
	alloc_calls++;
	return calloc(1, size);
}

static void
counting_release(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void
test_no_allocation_after_init(void **state)
{
	enum
	{
		N = 50000
	};
	static mc_event buf[4096];
	mc_allocator a = {counting_alloc, counting_release, NULL};
	mc_engine_config cfg = {2, 2000, 2000, &a};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 0, 0, 0};
	mc_command *cmds = malloc(sizeof(mc_command) * N);
	mc_engine *e;
	uint64_t after_init, events = 0;

	(void)state;
	e = mc_engine_create(&cfg);
	assert_non_null(e);
	assert_int_equal(mc_engine_add_symbol(e, 0, &sc), MC_R_NONE);
	assert_int_equal(mc_engine_add_symbol(e, 1, &sc), MC_R_NONE);
	after_init = alloc_calls;
	assert_true(after_init > 0); /* the hook is really used */
	random_stream(7, cmds, N);
	for (size_t i = 0; i < N; i++)
	{
		mc_sink sink = {buf, 4096, 0, 0, NULL, NULL};

		mc_engine_apply(e, &cmds[i], &sink);
		events += sink.n;
		assert_int_equal(sink.dropped, 0);
	}
	assert_true(events > N);
	assert_int_equal(alloc_calls, after_init);
	mc_engine_destroy(e);
	free(cmds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rest_and_queries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_within_level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_fills_across_levels, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_marketable_limit_rests_remainder, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_market_order_never_rests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_market_against_empty_side, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ioc_remainder_canceled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fok_cannot_fill_leaves_book_unchanged, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fok_fills_fully, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_owner_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amend_down_keeps_priority, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amend_up_loses_priority, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amend_price_loses_priority, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amend_across_spread_trades, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stp_cancel_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stp_cancel_newest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_halt_and_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_post_only_would_cross_rejected, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_gtd_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gtd_post_only_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_waits_invisibly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_cascade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_cancel_and_amend_before_trigger, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_close_expires_day_keeps_gtc, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pool_exhaustion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symbol_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_price_window_and_far_levels, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_idx_order_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sink_flush, setup, teardown),
	    cmocka_unit_test(test_determinism_byte_identical),
	    cmocka_unit_test(test_hash_canonical),
	    cmocka_unit_test(test_no_allocation_after_init),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
