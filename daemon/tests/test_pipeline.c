/*
 * test_pipeline.c - matchd's business logic without I/O: requests are checked
 * and stamped, applied, journaled into batches, and replaying the journal's
 * command records through a fresh pipeline reproduces the journal byte for
 * byte (what matchd verifies at every start).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "om.h"
#include "pipeline.h"
#include "plreq.h"
#include "snapshot.h"
#include "testutil.h"

#define DAY 9823
#define T0  848766600000000LL

static const pl_config CFG = {.max_symbols = 8,
                              .max_accounts = 16,
                              .max_orders = 4096,
                              .max_levels = 1024,
                              .max_positions = 128};

/* Stamps and applies one request; returns 0 or -1 (then *err says why). */
static int
submit(pipeline *pl, batchbuf *bb, const pgx_record *req, int64_t ts, pl_result *res,
       pl_error *err)
{
	pgx_record cmd;

	if (pl_stamp(pl, s_("broker_a"), req, ts, &cmd, err) != 0)
		return -1;
	assert_int_equal(pl_apply(pl, &cmd, bb, res, err), 0);
	return 0;
}

static void
ok(pipeline *pl, batchbuf *bb, pgx_record r, int64_t ts)
{
	pl_result res;
	pl_error err;

	assert_int_equal(submit(pl, bb, &r, ts, &res, &err), 0);
	if (res.status != PGX_STATUS_NEW)
		fail_msg("kind %d: %s %s", r.kind, res.reason ? res.reason : "", res.message);
}

/*
 * AAPL at a reference of 100.00; A1 (verified) with 100,000.00 USD, B1
 * (verified) with 1,000 AAPL shares; the market open.  8 commands, 17 records.
 */
static pipeline *
setup_market(batchbuf *bb)
{
	pipeline *pl = pl_create(&CFG);

	assert_non_null(pl);
	pl_set_position(pl, 0, 0, DAY);
	ok(pl, bb, req_symbol("AAPL"), T0);
	ok(pl, bb, req_account("A1"), T0);
	ok(pl, bb, req_account("B1"), T0);
	ok(pl, bb, req_admin(PGX_KIND_SET_KYC, "A1", NULL, "{\"kyc_status\": \"verified\"}"),
	   T0);
	ok(pl, bb, req_admin(PGX_KIND_SET_KYC, "B1", NULL, "{\"kyc_status\": \"verified\"}"),
	   T0);
	ok(pl, bb, req_cash(PGX_KIND_DEPOSIT, "A1", 10000000, "USD"), T0);
	ok(pl, bb, req_shares(PGX_KIND_CREDIT_SHARES, "B1", "AAPL", 1000), T0);
	ok(pl, bb, req_blank(PGX_KIND_MARKET_OPEN), T0);
	return pl;
}

static void
assert_cash(pipeline *pl, const char *acct, int64_t available, int64_t held)
{
	uint32_t id;
	om_balance b;

	assert_int_equal(mj_table_find(&pl_names(pl)->accounts, acct, strlen(acct), &id), 0);
	assert_int_equal(om_cash_balance(pl_om(pl), id, s_("USD"), &b), 0);
	assert_int_equal(b.available, available);
	assert_int_equal(b.held, held);
}

static void
assert_shares(pipeline *pl, const char *acct, int64_t available, int64_t held)
{
	uint32_t id, sym;
	om_balance b;

	assert_int_equal(mj_table_find(&pl_names(pl)->accounts, acct, strlen(acct), &id), 0);
	assert_int_equal(mj_table_find(&pl_names(pl)->symbols, "AAPL", 4, &sym), 0);
	om_share_balance(pl_om(pl), id, sym, &b);
	assert_int_equal(b.available, available);
	assert_int_equal(b.held, held);
}

static void
assert_invariants(pipeline *pl)
{
	char why[256];

	if (om_check_invariants(pl_om(pl), why, sizeof(why)) != 0)
		fail_msg("invariant broken: %s", why);
}

static void
test_order_lifecycle(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r;
	int64_t buy_id;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	/* every command answered by accepted; the open also by AAPL's session */
	assert_int_equal(bb.commands, 8);
	assert_int_equal(bb.records, 8 * 2 + 1);

	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 100);
	assert_int_equal(submit(pl, &bb, &r, T0 + 5, &res, &err), 0);
	buy_id = res.order_id;
	assert_int_equal(buy_id, 9); /* the order id is its seq */
	assert_int_equal(res.status, PGX_STATUS_NEW);
	assert_int_equal(res.remaining, 100);
	assert_int_equal(res.created_ts, T0 + 5);
	assert_cash(pl, "A1", 10000000 - 1000000, 1000000); /* 100 x 100.00 held */

	/* a marketable sell: partially fills the buy, fully fills itself */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 9900, 30);
	assert_int_equal(submit(pl, &bb, &r, T0 + 6, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_FILLED);
	assert_int_equal(res.filled, 30);
	assert_int_equal(res.remaining, 0);
	assert_cash(pl, "A1", 9000000, 700000); /* 30 bought at the maker's 100.00 */
	assert_cash(pl, "B1", 300000, 0);
	assert_shares(pl, "A1", 30, 0);
	assert_shares(pl, "B1", 970, 0);

	/* the clock never goes backwards */
	r = req_amend("A1", buy_id, 50, 0);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), 0);
	assert_int_equal(res.created_ts, T0 + 5);
	assert_int_equal(res.status, PGX_STATUS_PARTIALLY_FILLED);
	assert_int_equal(res.filled, 30);
	assert_int_equal(res.remaining, 50);
	assert_string_equal(res.reason ? res.reason : "", "");
	assert_cash(pl, "A1", 9200000, 500000);

	/* another account cannot cancel it; the owner can */
	r = req_cancel("B1", buy_id);
	assert_int_equal(submit(pl, &bb, &r, T0 + 7, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_ORDER);
	r = req_cancel("A1", buy_id);
	assert_int_equal(submit(pl, &bb, &r, T0 + 7, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_int_equal(res.filled, 30);
	assert_int_equal(res.remaining, 0);
	assert_string_equal(res.reason, "user_cancel");
	assert_cash(pl, "A1", 9700000, 0);

	/* a market order into an empty book: canceled, nothing filled */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_MARKET, PGX_TIF_IOC, 0, 10);
	assert_int_equal(submit(pl, &bb, &r, T0 + 8, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_string_equal(res.reason, "no_liquidity");
	assert_shares(pl, "B1", 970, 0);

	/* a market order with day: the core rejects it, recorded as rejected */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_MARKET, PGX_TIF_DAY, 0, 10);
	assert_int_equal(submit(pl, &bb, &r, T0 + 9, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.reason, "bad_time_in_force");
	assert_string_equal(res.sqlstate, "00000");
	assert_int_equal(pl_open_orders(pl), 0);
	assert_invariants(pl);
	pl_destroy(pl);
	bb_free(&bb);
}

static void
test_refusals_take_no_seq(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r;
	int64_t seq;
	uint32_t records;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	seq = pl_last_seq(pl);
	records = bb.records;

	r = req_new("MSFT", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 1, 1);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_SYMBOL);
	r = req_new("AAPL", "ZZ", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 1, 1);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_ACCOUNT);
	r = req_cancel("A1", 999);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_ORDER);
	r = req_symbol("AAPL");
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_SYMBOL_EXISTS);
	r = req_account("A1");
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_ACCOUNT_EXISTS);
	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 1, 1);
	r.strs[PGX_S_CLIENT_ORDER_ID] = s_("this-id-is-longer-than-16");
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_PROTOCOL);
	r = req_blank(PGX_KIND_TRADE);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	r = req_cash(PGX_KIND_DEPOSIT, "ZZ", 100, "USD");
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_ACCOUNT);

	assert_int_equal(pl_last_seq(pl), seq);
	assert_int_equal(bb.records, records);
	pl_destroy(pl);
	bb_free(&bb);
}

static void
test_role_is_recorded(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl = pl_create(&CFG);
	pgx_record r = req_account("A1"), cmd;
	uint32_t n;
	size_t used;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 41, T0, DAY);
	assert_int_equal(pl_stamp(pl, s_("bro\"ker"), &r, T0, &cmd, &err), 0);
	assert_int_equal(cmd.seq, 42);
	assert_int_equal(pl_apply(pl, &cmd, &bb, &res, &err), 0);
	bb_finish(&bb);
	assert_int_equal(pgx_decode_header(bb.buf, bb.len, &n), PGX_DECODE_OK);
	assert_int_equal(pgx_decode_record(bb.buf + PGX_BATCH_HEADER,
	                                   bb.len - PGX_BATCH_HEADER, &r, &used),
	                 PGX_DECODE_OK);
	assert_int_equal(r.strs[PGX_S_DETAIL].len,
	                 strlen("{\"role\": \"bro\\\"ker\", \"broker\": \"b\\\"1\"}"));
	assert_memory_equal(r.strs[PGX_S_DETAIL].ptr,
	                    "{\"role\": \"bro\\\"ker\", \"broker\": \"b\\\"1\"}",
	                    r.strs[PGX_S_DETAIL].len);
	pl_destroy(pl);
	bb_free(&bb);
}

/* The offset of the first trade record in a batch, or 0. */
static size_t
first_trade(const uint8_t *batch, size_t len)
{
	size_t off = PGX_BATCH_HEADER, used;
	pgx_record r;

	while (off < len &&
	       pgx_decode_record(batch + off, len - off, &r, &used) == PGX_DECODE_OK)
	{
		if (r.kind == PGX_KIND_TRADE)
			return off;
		off += used;
	}
	return 0;
}

/* What a refused command must leave alone. */
typedef struct snapshot
{
	uint64_t book;
	om_balance cash[2], shares[2];
	uint32_t open_orders;
	uint32_t records;
	int64_t seq;
} snapshot;

static snapshot
snap(pipeline *pl, const batchbuf *bb)
{
	snapshot s;
	uint32_t sym = 0;
	const char *accts[2] = {"A1", "B1"};

	memset(&s, 0, sizeof(s));
	s.book = pl_state_hash(pl);
	s.open_orders = pl_open_orders(pl);
	s.records = bb->records;
	s.seq = pl_last_seq(pl);
	mj_table_find(&pl_names(pl)->symbols, "AAPL", 4, &sym);
	for (int i = 0; i < 2; i++)
	{
		uint32_t id = 0;

		mj_table_find(&pl_names(pl)->accounts, accts[i], 2, &id);
		om_cash_balance(pl_om(pl), id, s_("USD"), &s.cash[i]);
		om_share_balance(pl_om(pl), id, sym, &s.shares[i]);
	}
	return s;
}

/* Sends r, which the order manager must refuse with sqlstate and reason:
 * journaled as the command and one rejected event, nothing else changed. */
static void
refused(pipeline *pl, batchbuf *bb, pgx_record r, int64_t ts, const char *sqlstate,
        const char *reason)
{
	snapshot before = snap(pl, bb), after;
	pl_result res;
	pl_error err;

	assert_int_equal(submit(pl, bb, &r, ts, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.sqlstate, sqlstate);
	assert_string_equal(res.reason, reason);
	assert_true(strlen(res.message) > 10);
	after = snap(pl, bb);
	assert_int_equal(after.records, before.records + 2);
	assert_int_equal(after.seq, before.seq + 1);
	after.records = before.records;
	after.seq = before.seq;
	assert_memory_equal(&after, &before, sizeof(after));
	assert_invariants(pl);
}

static pgx_record
buy(const char *acct, int64_t price, int64_t qty, int tif)
{
	return req_new("AAPL", acct, PGX_SIDE_BUY, PGX_TYPE_LIMIT, tif, price, qty);
}

static void
test_order_manager_rules(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r;
	int64_t ts = T0, gtc_id;
	uint32_t records;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);

	/* price band: 10% around the reference of 100.00 */
	refused(pl, &bb, buy("A1", 11001, 1, PGX_TIF_DAY), ++ts, PGX_SQLSTATE_PRICE_BAND,
	        "price_band");
	/* funds: 2,000 x 100.00 = 200,000.00 > 100,000.00 */
	refused(pl, &bb, buy("A1", 10000, 2000, PGX_TIF_DAY), ++ts,
	        PGX_SQLSTATE_INSUFFICIENT_FUNDS, "insufficient_funds");
	/* shares: A1 has none */
	refused(pl, &bb,
	        req_new("AAPL", "A1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 1),
	        ++ts, PGX_SQLSTATE_INSUFFICIENT_SHARES, "insufficient_shares");
	/* per-account limits */
	ok(pl, &bb,
	   req_admin(PGX_KIND_SET_ACCOUNT_LIMITS, "A1", NULL,
	             "{\"max_order_quantity\": 50, \"max_order_notional\": 450000, "
	             "\"max_daily_notional\": 700000, \"max_open_orders\": 2}"),
	   ++ts);
	refused(pl, &bb, buy("A1", 10000, 51, PGX_TIF_DAY), ++ts, PGX_SQLSTATE_MAX_ORDER_QTY,
	        "max_order_quantity");
	refused(pl, &bb, buy("A1", 10000, 46, PGX_TIF_DAY), ++ts,
	        PGX_SQLSTATE_MAX_ORDER_NOTIONAL, "max_order_notional");
	ok(pl, &bb, buy("A1", 9000, 40, PGX_TIF_GTC), ++ts); /* 360,000 open */
	gtc_id = pl_last_seq(pl);
	refused(pl, &bb, buy("A1", 9000, 40, PGX_TIF_DAY), ++ts,
	        PGX_SQLSTATE_MAX_DAILY_NOTIONAL, "max_daily_notional");
	ok(pl, &bb, buy("A1", 9000, 10, PGX_TIF_DAY), ++ts); /* 450,000 open, 2 orders */
	refused(pl, &bb, buy("A1", 9000, 1, PGX_TIF_DAY), ++ts, PGX_SQLSTATE_MAX_OPEN_ORDERS,
	        "max_open_orders");
	assert_cash(pl, "A1", 10000000 - 450000, 450000);

	/* a withdrawal never takes held funds */
	refused(pl, &bb, req_cash(PGX_KIND_WITHDRAW, "A1", 10000000 - 450000 + 1, "USD"),
	        ++ts, PGX_SQLSTATE_INSUFFICIENT_FUNDS, "insufficient_funds");
	ok(pl, &bb, req_cash(PGX_KIND_WITHDRAW, "A1", 10000000 - 450000, "USD"), ++ts);
	assert_cash(pl, "A1", 0, 450000);
	refused(pl, &bb, req_shares(PGX_KIND_DEBIT_SHARES, "B1", "AAPL", 1001), ++ts,
	        PGX_SQLSTATE_INSUFFICIENT_SHARES, "insufficient_shares");

	/* a market buy needs a collar */
	ok(pl, &bb,
	   req_admin(PGX_KIND_SET_SYMBOL_LIMITS, NULL, "AAPL", "{\"market_collar_bps\": 0}"),
	   ++ts);
	refused(pl, &bb,
	        req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_MARKET, PGX_TIF_IOC, 0, 1), ++ts,
	        PGX_SQLSTATE_NO_COLLAR, "no_collar");

	/* KYC and suspension: orders refused, cancels allowed */
	ok(pl, &bb, req_admin(PGX_KIND_SET_KYC, "A1", NULL, "{\"kyc_status\": \"pending\"}"),
	   ++ts);
	refused(pl, &bb, buy("A1", 9000, 1, PGX_TIF_DAY), ++ts, PGX_SQLSTATE_KYC_NOT_VERIFIED,
	        "kyc_not_verified");
	ok(pl, &bb, req_admin(PGX_KIND_SET_KYC, "A1", NULL, "{\"kyc_status\": \"verified\"}"),
	   ++ts);
	ok(pl, &bb,
	   req_admin(PGX_KIND_SUSPEND_ACCOUNT, "A1", NULL, "{\"reason\": \"audit\"}"), ++ts);
	refused(pl, &bb, req_amend("A1", gtc_id, 41, 0), ++ts, PGX_SQLSTATE_ACCOUNT_SUSPENDED,
	        "account_suspended");
	refused(pl, &bb, req_admin(PGX_KIND_SUSPEND_ACCOUNT, "A1", NULL, "{}"), ++ts,
	        PGX_SQLSTATE_BAD_STATE, "bad_state");
	ok(pl, &bb, req_admin(PGX_KIND_RESUME_ACCOUNT, "A1", NULL, "{}"), ++ts);
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_GTC, 10500, 5), ++ts);
	assert_shares(pl, "B1", 995, 5);
	ok(pl, &bb, req_admin(PGX_KIND_SUSPEND_ACCOUNT, "B1", NULL, "{}"), ++ts);
	r = req_cancel("B1", pl_last_seq(pl) - 1);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_shares(pl, "B1", 1000, 0);
	ok(pl, &bb, req_admin(PGX_KIND_RESUME_ACCOUNT, "B1", NULL, "{}"), ++ts);

	/* halted symbol, then a closed market */
	ok(pl, &bb, req_admin(PGX_KIND_HALT, NULL, "AAPL", "{\"reason\": \"news\"}"), ++ts);
	refused(pl, &bb,
	        req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 1),
	        ++ts, PGX_SQLSTATE_SYMBOL_HALTED, "symbol_halted");
	ok(pl, &bb, req_admin(PGX_KIND_RESUME, NULL, "AAPL", "{}"), ++ts);

	/* the close expires the day order and releases its hold; gtc stays */
	records = bb.records;
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_CLOSE), ++ts);
	/* command, accepted, AAPL closed, the day order expired */
	assert_int_equal(bb.records, records + 4);
	assert_cash(pl, "A1", 90000, 360000);
	assert_int_equal(pl_open_orders(pl), 1);
	refused(pl, &bb,
	        req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 1),
	        ++ts, PGX_SQLSTATE_MARKET_CLOSED, "market_closed");
	/* the next command belongs to the next trading day */
	r = req_cash(PGX_KIND_DEPOSIT, "A1", 10000, "USD");
	{
		pgx_record cmd;

		assert_int_equal(pl_stamp(pl, s_("admin"), &r, ++ts, &cmd, &err), 0);
		assert_int_equal(cmd.trading_day, DAY + 1);
		assert_int_equal(pl_apply(pl, &cmd, &bb, &res, &err), 0);
	}
	r = req_blank(PGX_KIND_MARKET_OPEN);
	r.trading_day = DAY + 3;
	ok(pl, &bb, r, ++ts);
	assert_int_equal(pl_trading_day(pl), DAY + 3);

	/* fees: taker 30 bps, maker 10 bps; the gtc buy (maker) at 90.00 */
	ok(pl, &bb,
	   req_admin(
	       PGX_KIND_SET_SYMBOL_LIMITS, NULL, "AAPL",
	       "{\"maker_fee_bps\": 10, \"taker_fee_bps\": 30, \"reference_price\": 9000}"),
	   ++ts);
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_IOC, 9000, 40);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(res.filled, 40);
	/* notional 360,000; the gtc was entered without fees: the buyer pays none */
	assert_cash(pl, "A1", 100000, 0);
	assert_cash(pl, "B1", 360000 - 1080, 0); /* taker 30 bps */
	assert_shares(pl, "A1", 40, 0);
	assert_invariants(pl);

	/* rate limit: refused before the sequencer, nothing journaled */
	ok(pl, &bb,
	   req_admin(PGX_KIND_SET_ACCOUNT_LIMITS, "B1", NULL,
	             "{\"orders_per_second\": 1, \"burst\": 1}"),
	   ++ts);
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 9100, 1), ++ts);
	records = bb.records;
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 9100, 1);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_RATE_LIMITED);
	assert_int_equal(bb.records, records);
	assert_int_equal(submit(pl, &bb, &r, ts + 1000000, &res, &err), 0); /* refilled */
	assert_invariants(pl);
	pl_destroy(pl);
	bb_free(&bb);
}

/* Mostly orders, the market mostly open: a close is followed by an open soon. */
static const req_mix MIX = {.new_order = 520,
                            .cancel = 640,
                            .amend = 720,
                            .deposit = 790,
                            .withdraw = 830,
                            .credit = 870,
                            .debit = 900,
                            .kyc = 915,
                            .suspend = 945,
                            .account_limits = 960,
                            .symbol_limits = 975,
                            .halt = 985,
                            .open = 998};

/* Replays every batch of a journal through a fresh pipeline (as matchd's
 * recovery does); returns 0 with both state hashes, or -1 with *err. */
static int
replay_hashes(const pl_config *cfg, uint8_t **batches, size_t *lens, int nbatches,
              uint64_t *book, uint64_t *om_state, pl_error *err)
{
	pipeline *pl = pl_create(cfg);
	batchbuf out;
	int64_t records = 0;
	int rc = 0;

	assert_int_equal(bb_init(&out, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (int b = 0; b < nbatches && rc == 0; b++)
		if (pl_replay(pl, batches[b], lens[b], &out, &records, err) < 0)
			rc = -1;
	*book = pl_state_hash(pl);
	*om_state = pl_om_hash(pl);
	pl_destroy(pl);
	bb_free(&out);
	return rc;
}

/*
 * 100,000 random commands of every kind, from brokers and administrators:
 * after each, cash and fees balance deposits, shares balance credits, nothing
 * is negative and every hold is what the open orders need; the journal
 * replays to the same books and the same wallets, holds and limits.
 */
static pgx_record
with_clordid(pgx_record r, const char *id)
{
	r.strs[PGX_S_CLIENT_ORDER_ID] = s_(id);
	return r;
}

/* Replays bb (finished) into a fresh pipeline; its order manager's hash. */
static uint64_t
replayed_om_hash(batchbuf *bb)
{
	pipeline *rp = pl_create(&CFG);
	batchbuf scratch;
	int64_t records = 0;
	pl_error err;
	uint64_t h;

	pl_set_position(rp, 0, 0, DAY);
	assert_int_equal(bb_init(&scratch, 0), 0);
	bb_finish(bb);
	if (pl_replay(rp, bb->buf, bb->len, &scratch, &records, &err) < 0)
		fail_msg("replay: %s", err.message);
	h = pl_om_hash(rp);
	bb_free(&scratch);
	pl_destroy(rp);
	return h;
}

static pgx_record
with_detail(pgx_record r, const char *detail)
{
	r.strs[PGX_S_DETAIL] = s_(detail);
	return r;
}

/* The journal records of one order id, of one kind, after `from` records;
 * waiting: those about a stop in the stop book (or the others). */
static int
count_records(batchbuf *bb, uint32_t from, int64_t order_id, int kind, int waiting)
{
	const uint8_t *p;
	size_t left, used;
	uint32_t count = 0;
	pgx_record r;
	int n = 0;

	bb_finish(bb);
	assert_int_equal(pgx_decode_header(bb->buf, bb->len, &count), PGX_DECODE_OK);
	p = bb->buf + PGX_BATCH_HEADER;
	left = bb->len - PGX_BATCH_HEADER;
	for (uint32_t i = 0; i < count; i++, p += used, left -= used)
	{
		assert_int_equal(pgx_decode_record(p, left, &r, &used), PGX_DECODE_OK);
		if (i >= from && r.kind == kind && (r.present & 1) &&
		    r.ints[PGX_F_ORDER_ID] == order_id &&
		    pgx_record_is_waiting_stop(&r) == (waiting != 0))
			n++;
	}
	return n;
}

/*
 * Stop and stop-limit orders through the order manager: held at entry (a
 * stop-limit at its limit, a stop at the collar around its stop price, a sell
 * in shares), invisible until the last trade reaches the stop, then entering
 * as a limit (at the collar, for a stop) within what it holds; amended and
 * canceled while waiting; every event about a waiting stop says so in the
 * journal, and a replay gives the same wallets.
 */
static void
test_stop_orders(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r;
	int64_t stop_limit, stop_buy, stop_sell;
	uint32_t from;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	/* a first trade at 10000 gives the last price (and the reference) */
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_GTC, 10000, 1),
	   T0 + 1);
	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_IOC, 10000, 1);
	assert_int_equal(submit(pl, &bb, &r, T0 + 2, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_FILLED);
	assert_cash(pl, "A1", 10000000 - 10000, 0);

	/* buy stop-limit: stop 10100, limit 10200, 10 shares: holds 102,000 */
	r = with_detail(
	    req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_STOP_LIMIT, PGX_TIF_GTC, 10200, 10),
	    "{\"stop_price\": 10100}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 3, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_NEW);
	assert_int_equal(res.remaining, 10);
	stop_limit = res.order_id;
	assert_cash(pl, "A1", 9990000 - 102000, 102000);
	/* buy stop (market), stop 10150, 4 shares: the collar 10150 + 5% = 10657 */
	r = with_detail(req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_STOP, PGX_TIF_IOC, 0, 4),
	                "{\"stop_price\": 10150}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 4, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_NEW);
	stop_buy = res.order_id;
	assert_cash(pl, "A1", 9990000 - 102000 - 4 * 10657, 102000 + 4 * 10657);
	/* a stop has no limit price to amend; its quantity it has */
	r = req_amend("A1", stop_buy, 4, 10300);
	assert_int_equal(submit(pl, &bb, &r, T0 + 5, &res, &err), -1);
	assert_string_equal(err.sqlstate, "22023");
	r = req_amend("A1", stop_buy, 3, 0);
	assert_int_equal(submit(pl, &bb, &r, T0 + 5, &res, &err), 0);
	assert_cash(pl, "A1", 9990000 - 102000 - 3 * 10657, 102000 + 3 * 10657);
	/* sell stop, stop 9900: holds its shares; then canceled before it fires */
	r = with_detail(
	    req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_STOP, PGX_TIF_IOC, 0, 7),
	    "{\"stop_price\": 9900}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 6, &res, &err), 0);
	stop_sell = res.order_id;
	assert_shares(pl, "B1", 1000 - 1 - 7, 7);
	r = req_cancel("B1", stop_sell);
	assert_int_equal(submit(pl, &bb, &r, T0 + 7, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_shares(pl, "B1", 999, 0);
	/* a buy stop at or below the last price would trigger at once: rejected */
	r = with_detail(
	    req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_STOP_LIMIT, PGX_TIF_DAY, 10000, 1),
	    "{\"stop_price\": 10000}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 8, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.reason, "stop_would_trigger");
	assert_cash(pl, "A1", 9990000 - 102000 - 3 * 10657, 102000 + 3 * 10657);
	assert_invariants(pl);

	/* asks at 10100 (5) and 10160 (20); a buy of 5 at 10100 takes the first
	 * and the last price reaches 10100: the stop-limit fires and buys 10 at
	 * 10160 (its limit is 10200), and that trade fires the stop at 10150 in
	 * the same command (a cascade), which buys 3 at 10160 */
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_GTC, 10100, 5),
	   T0 + 9);
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_GTC, 10160, 20),
	   T0 + 10);
	from = bb.records;
	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_IOC, 10100, 5);
	assert_int_equal(submit(pl, &bb, &r, T0 + 11, &res, &err), 0);
	assert_int_equal(res.filled, 5);
	/* A1 bought 5 @10100, 10 @10160 (stop-limit), 3 @10160 (stop): both done */
	assert_cash(pl, "A1", 9990000 - 5 * 10100 - 13 * 10160, 0);
	assert_shares(pl, "B1", 999 - 5 - 20, 20 - 13);
	assert_int_equal(count_records(&bb, from, stop_limit, PGX_KIND_TRIGGERED, 0), 1);
	assert_int_equal(count_records(&bb, from, stop_buy, PGX_KIND_TRIGGERED, 0), 1);
	assert_int_equal(count_records(&bb, 0, stop_limit, PGX_KIND_ACCEPTED, 1), 1);
	assert_int_equal(count_records(&bb, 0, stop_buy, PGX_KIND_AMENDED, 1), 1);
	assert_int_equal(count_records(&bb, 0, stop_sell, PGX_KIND_CANCELED, 1), 1);
	assert_invariants(pl);
	assert_int_equal(replayed_om_hash(&bb), pl_om_hash(pl));
	pl_destroy(pl);
	bb_free(&bb);
}

/*
 * Post-only and good-till-date through the sequencer: the options travel in
 * the detail and stay in the journal, a post-only that would cross is
 * rejected (its hold released), a GTD order is expired by the sequencer's
 * own expire_order command once its time has come, and a replay reproduces
 * every byte.
 */
static void
test_post_only_and_gtd(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r, cmd;
	int64_t gtd_id;
	char detail[64];

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_GTC, 10100, 10),
	   T0 + 1);
	/* post-only at the ask would take: rejected, nothing held */
	r = with_detail(
	    req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10100, 5),
	    "{\"post_only\": true}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 2, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.reason, "post_only_would_cross");
	assert_cash(pl, "A1", 10000000, 0);
	/* below the ask it rests */
	r.ints[PGX_F_PRICE] = 10000;
	assert_int_equal(submit(pl, &bb, &r, T0 + 3, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_NEW);
	assert_cash(pl, "A1", 10000000 - 50000, 50000);
	/* a malformed option is refused before sequencing */
	r = with_detail(r, "{\"post_only\": 1}");
	assert_int_equal(submit(pl, &bb, &r, T0 + 3, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_PROTOCOL);
	/* a stop without its stop price is malformed; the auctions' times in
	 * force are not supported yet */
	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_STOP, PGX_TIF_IOC, 0, 5);
	assert_int_equal(submit(pl, &bb, &r, T0 + 3, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_PROTOCOL);
	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_AT_OPEN, 10000, 5);
	assert_int_equal(submit(pl, &bb, &r, T0 + 3, &res, &err), -1);
	assert_string_equal(err.sqlstate, "0A000");

	/* GTD: held at entry, expired by the sequencer when due */
	snprintf(detail, sizeof(detail), "{\"expire_time\": %lld}", (long long)(T0 + 100));
	r = with_detail(
	    req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_GTD, 9900, 10),
	    detail);
	assert_int_equal(submit(pl, &bb, &r, T0 + 4, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_NEW);
	gtd_id = res.order_id;
	assert_cash(pl, "A1", 10000000 - 50000 - 99000, 50000 + 99000);
	assert_int_equal(pl_stamp_expiry(pl, s_("matchd-sequencer"), T0 + 99, &cmd, &err), 0);
	assert_int_equal(pl_stamp_expiry(pl, s_("matchd-sequencer"), T0 + 100, &cmd, &err),
	                 1);
	assert_int_equal(cmd.kind, PGX_KIND_EXPIRE_ORDER);
	assert_int_equal(cmd.ints[PGX_F_ORDER_ID], gtd_id);
	assert_int_equal(pl_apply(pl, &cmd, &bb, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_EXPIRED);
	assert_string_equal(res.reason, "gtd_expired");
	assert_cash(pl, "A1", 10000000 - 50000, 50000);
	assert_int_equal(pl_stamp_expiry(pl, s_("matchd-sequencer"), T0 + 200, &cmd, &err),
	                 0);
	/* an expire time that has passed already: the core rejects it */
	r = with_detail(
	    req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_GTD, 9900, 10),
	    detail);
	assert_int_equal(submit(pl, &bb, &r, T0 + 300, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.reason, "bad_expire_time");
	/* the client cannot send the sequencer's command */
	r = req_blank(PGX_KIND_EXPIRE_ORDER);
	assert_int_equal(submit(pl, &bb, &r, T0 + 300, &res, &err), -1);
	assert_invariants(pl);
	assert_int_equal(replayed_om_hash(&bb), pl_om_hash(pl));
	pl_destroy(pl);
	bb_free(&bb);
}

/* A client order id is the account's for the trading day, used or refused. */
static void
test_client_order_ids(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl, *loaded;
	pgx_record r;
	int64_t ts = T0, first;
	uint64_t before;
	uint8_t *blob;
	size_t len;
	char why[256], expect[96];

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	assert_int_equal(om_clordids(pl_om(pl)), 0);

	before = pl_om_hash(pl);
	ok(pl, &bb, with_clordid(buy("A1", 9000, 1, PGX_TIF_GTC), "ORD-1"), ++ts);
	first = pl_last_seq(pl);
	assert_int_equal(om_clordids(pl_om(pl)), 1);
	assert_true(pl_om_hash(pl) != before); /* the set is state */

	/* the same account again: rejected, journaled, nothing else changes */
	r = with_clordid(buy("A1", 9100, 2, PGX_TIF_DAY), "ORD-1");
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.sqlstate, PGX_SQLSTATE_DUPLICATE_CLORDID);
	assert_string_equal(res.reason, "duplicate_client_order_id");
	snprintf(expect, sizeof(expect), "for order %lld", (long long)first);
	if (strstr(res.message, expect) == NULL || strstr(res.message, "ORD-1") == NULL)
		fail_msg("message \"%s\" does not name ORD-1 and order %lld", res.message,
		         (long long)first);
	assert_cash(pl, "A1", 10000000 - 9000, 9000);
	assert_int_equal(pl_open_orders(pl), 1);

	/* another account may use the same id */
	ok(pl, &bb,
	   with_clordid(
	       req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10500, 1),
	       "ORD-1"),
	   ++ts);
	/* an id taken by an order the order manager refused is taken all the same */
	r = with_clordid(buy("A1", 11001, 1, PGX_TIF_DAY), "ORD-2");
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_string_equal(res.reason, "price_band");
	r = with_clordid(buy("A1", 9000, 1, PGX_TIF_DAY), "ORD-2");
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_string_equal(res.reason, "duplicate_client_order_id");
	/* 16 bytes, the longest id, and no id at all are fine */
	ok(pl, &bb, with_clordid(buy("A1", 9000, 1, PGX_TIF_DAY), "0123456789ABCDEF"), ++ts);
	ok(pl, &bb, buy("A1", 9000, 1, PGX_TIF_DAY), ++ts);
	ok(pl, &bb, buy("A1", 9000, 1, PGX_TIF_DAY), ++ts);
	assert_int_equal(om_clordids(pl_om(pl)), 4);
	assert_invariants(pl);

	/* replay rebuilds the set: the same hash, byte-equal journal */
	assert_int_equal(replayed_om_hash(&bb), pl_om_hash(pl));

	/* a snapshot in the middle of the day carries it (version 2 only) */
	assert_int_equal(snap_save(pl, &blob, &len), 0);
	loaded = snap_load(&CFG, blob, len, why, sizeof(why));
	if (loaded == NULL)
		fail_msg("%s", why);
	free(blob);
	assert_int_equal(pl_om_hash(loaded), pl_om_hash(pl));
	r = with_clordid(buy("A1", 9000, 1, PGX_TIF_DAY), "0123456789ABCDEF");
	{
		batchbuf other; /* the loaded pipeline's own journal */

		assert_int_equal(bb_init(&other, 0), 0);
		assert_int_equal(submit(loaded, &other, &r, ts + 1, &res, &err), 0);
		assert_string_equal(res.reason, "duplicate_client_order_id");
		bb_free(&other);
	}
	pl_destroy(loaded);
	assert_int_equal(snap_save_as(pl, 1, &blob, &len), -1);

	/* the close ends the day: the ids are free again */
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_CLOSE), ++ts);
	assert_int_equal(om_clordids(pl_om(pl)), 0);
	/* the set is empty after a close: a version-1 snapshot holds that state */
	assert_int_equal(snap_save_as(pl, 1, &blob, &len), 0);
	assert_int_equal(snap_version(blob, len), 1);
	loaded = snap_load(&CFG, blob, len, why, sizeof(why));
	if (loaded == NULL)
		fail_msg("version 1: %s", why);
	free(blob);
	assert_int_equal(pl_om_hash(loaded), pl_om_hash(pl));
	pl_destroy(loaded);
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ++ts);
	ok(pl, &bb, with_clordid(buy("A1", 9000, 1, PGX_TIF_DAY), "ORD-1"), ++ts);
	ok(pl, &bb, with_clordid(buy("A1", 9000, 1, PGX_TIF_DAY), "ORD-2"), ++ts);
	assert_int_equal(replayed_om_hash(&bb), pl_om_hash(pl));
	pl_destroy(pl);
	bb_free(&bb);
}

static void
test_random_session_conserves_and_replays(void **state)
{
	const pl_config cfg = {.max_symbols = 8,
	                       .max_accounts = 16,
	                       .max_orders = 512,
	                       .max_levels = 512,
	                       .max_positions = 64};
	uint64_t seed = env_seed("PGX_SEED", 20261123);
	int ncommands = (int)env_seed("PGX_OM_COMMANDS", 100000);
	enum
	{
		MAX_BATCHES = 4096
	};
	uint8_t **batches = calloc(MAX_BATCHES, sizeof(*batches));
	size_t *lens = calloc(MAX_BATCHES, sizeof(*lens));
	int nb = 0;
	batchbuf bb;
	pipeline *pl;
	pl_result res;
	pl_error err;
	int64_t ts = T0;
	int64_t ids[256];
	int nids = 0, refused = 0, rejected = 0, tampered = 0;
	uint64_t book, om_state;

	(void)state;
	printf("# test_pipeline seed %llu (PGX_SEED to repeat), %d commands\n",
	       (unsigned long long)seed, ncommands);
	pl = pl_create(&cfg);
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (int i = 0; i < REQ_NSYMBOLS; i++)
	{
		pgx_record r = req_symbol(req_symbols[i]);

		if (i == 3)
			r.strs[PGX_S_DETAIL] = s_("{\"currency\": \"EUR\", \"tick_value\": 5, "
			                          "\"reference_ticks\": 10000}");
		ok(pl, &bb, r, ts);
	}
	for (int i = 0; i < REQ_NACCOUNTS; i++)
	{
		pgx_record r = req_account(req_accounts[i]);

		r.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\", \"kyc_status\": \"verified\"}");
		ok(pl, &bb, r, ts);
		ok(pl, &bb, req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "USD"), ts);
		ok(pl, &bb, req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "EUR"), ts);
		for (int k = 0; k < REQ_NSYMBOLS; k++)
			ok(pl, &bb,
			   req_shares(PGX_KIND_CREDIT_SHARES, req_accounts[i], req_symbols[k], 5000),
			   ts);
	}
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ts);
	for (int i = 0; i < ncommands; i++)
	{
		pgx_record r = req_random(&seed, &MIX, ids, nids);

		ts += (int64_t)rng_below(&seed, 4000);
		if (submit(pl, &bb, &r, ts, &res, &err) != 0)
			refused++;
		else
		{
			rejected += res.status == PGX_STATUS_REJECTED;
			if (r.kind == PGX_KIND_NEW_ORDER && res.remaining > 0)
				ids[nids++ % 256] = res.order_id, nids = nids > 256 ? 256 : nids;
		}
		assert_invariants(pl);
		assert_int_equal(om_open_orders(pl_om(pl)), pl_open_orders(pl));
		/* close a batch now and then, like group commit does */
		if (rng_below(&seed, 50) == 0 && nb < MAX_BATCHES - 1)
		{
			bb_finish(&bb);
			batches[nb] = malloc(bb.len);
			memcpy(batches[nb], bb.buf, bb.len);
			lens[nb++] = bb.len;
			bb_reset(&bb);
		}
	}
	bb_finish(&bb);
	batches[nb] = malloc(bb.len);
	memcpy(batches[nb], bb.buf, bb.len);
	lens[nb++] = bb.len;
	{
		int kinds[PGX_KIND__COUNT] = {0}, duplicates = 0;

		for (int k = 0; k < nb; k++)
		{
			size_t off = PGX_BATCH_HEADER, used;
			pgx_record rec;

			while (off < lens[k] && pgx_decode_record(batches[k] + off, lens[k] - off,
			                                          &rec, &used) == PGX_DECODE_OK)
			{
				kinds[rec.kind]++, off += used;
				duplicates +=
				    rec.kind == PGX_KIND_REJECTED && rec.strs[PGX_S_REASON].len == 25 &&
				    memcmp(rec.strs[PGX_S_REASON].ptr, "duplicate_client_order_id", 25) ==
				        0;
				if (getenv("PGX_DEBUG_REASONS") && rec.kind == PGX_KIND_REJECTED)
					printf("R %.*s\n", rec.strs[PGX_S_REASON].len,
					       rec.strs[PGX_S_REASON].ptr);
			}
		}
		printf("# records: %d trades, %d accepted, %d rejected, %d canceled, %d expired, "
		       "%d mass cancels\n",
		       kinds[PGX_KIND_TRADE], kinds[PGX_KIND_ACCEPTED], kinds[PGX_KIND_REJECTED],
		       kinds[PGX_KIND_CANCELED], kinds[PGX_KIND_EXPIRED],
		       kinds[PGX_KIND_MASS_CANCEL]);
		printf("# %d orders rejected as duplicate client order ids\n", duplicates);
		/* the run must exercise what it checks */
		assert_true(kinds[PGX_KIND_TRADE] > 1000);
		assert_true(duplicates > 100);
		assert_true(kinds[PGX_KIND_EXPIRED] > 0);
		assert_true(kinds[PGX_KIND_MASS_CANCEL] > 10);
	}
	printf("# %d batches, %d refused before the sequencer, %d rejected, %u open orders, "
	       "market %s\n",
	       nb, refused, rejected, pl_open_orders(pl),
	       pl_market_open(pl) ? "open" : "closed");
	assert_true(refused > 0);
	assert_true(rejected > 0);
	assert_int_equal(replay_hashes(&cfg, batches, lens, nb, &book, &om_state, &err), 0);
	assert_int_equal(book, pl_state_hash(pl));
	assert_int_equal(om_state, pl_om_hash(pl));

	/* an event altered behind the sequencer's back does not replay */
	for (int b = 0; b < nb && !tampered; b++)
	{
		size_t at = first_trade(batches[b], lens[b]);

		if (at == 0)
			continue;
		/* the quantity: length, 6 bytes of enums, seq, idx, day, ts, order_id, price */
		batches[b][at + 2 + 6 + 8 + 4 + 4 + 8 + 8 + 8]++;
		assert_int_equal(replay_hashes(&cfg, batches, lens, nb, &book, &om_state, &err),
		                 -1);
		assert_string_equal(err.sqlstate, "XX001");
		assert_non_null(strstr(err.message, "replay diverged from the journal at seq"));
		tampered = 1;
	}
	assert_true(tampered);
	for (int b = 0; b < nb; b++)
		free(batches[b]);
	free(batches);
	free(lens);
	pl_destroy(pl);
	bb_free(&bb);
}

/* The kind of the last command in bb and, for a mass cancel, its events'
 * order ids (up to cap; each must be a user_cancel); their count. */
static int
last_command_events(const batchbuf *bb, int *kind, int64_t *order_ids, int cap)
{
	size_t off = PGX_BATCH_HEADER, used;
	pgx_record rec;
	int n = 0;

	while (off < bb->len &&
	       pgx_decode_record(bb->buf + off, bb->len - off, &rec, &used) == PGX_DECODE_OK)
	{
		off += used;
		if (rec.idx == 0)
		{
			*kind = rec.kind;
			n = 0;
			continue;
		}
		if (*kind != PGX_KIND_MASS_CANCEL)
			continue;
		assert_int_equal(rec.kind, PGX_KIND_CANCELED);
		assert_int_equal(rec.strs[PGX_S_REASON].len, 11);
		assert_memory_equal(rec.strs[PGX_S_REASON].ptr, "user_cancel", 11);
		if (n < cap)
			order_ids[n] = rec.ints[PGX_F_ORDER_ID];
		n++;
	}
	return n;
}

/*
 * A mass cancel is one sequenced command: every open order of the account (of
 * one symbol) canceled, in book order, the holds released, other accounts'
 * orders untouched; nothing open is still a command; an unknown account or
 * symbol is refused before the sequencer; the journal replays.
 */
static void
test_mass_cancel(void **state)
{
	batchbuf bb;
	pl_result res;
	pl_error err;
	pipeline *pl;
	pgx_record r;
	int64_t ts = T0, ids[4], a99, a98, a99b, got[8];
	int64_t seq;
	int kind = 0;
	uint32_t records;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	pl = setup_market(&bb);
	ok(pl, &bb, req_symbol("MSFT"), ++ts);
	/* A1: three AAPL buys on two levels, one MSFT buy; B1: an AAPL sell */
	ok(pl, &bb, buy("A1", 9900, 10, PGX_TIF_DAY), ++ts);
	a99 = pl_last_seq(pl);
	ok(pl, &bb, buy("A1", 9800, 10, PGX_TIF_GTC), ++ts);
	a98 = pl_last_seq(pl);
	ok(pl, &bb, buy("A1", 9900, 5, PGX_TIF_DAY), ++ts);
	a99b = pl_last_seq(pl);
	ok(pl, &bb,
	   req_new("MSFT", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 1), ++ts);
	ok(pl, &bb,
	   req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10100, 7), ++ts);
	assert_int_equal(pl_open_orders(pl), 5);
	/* held: 10 x 99 + 10 x 98 + 5 x 99 + 1 x 100 (USD cents) */
	assert_cash(pl, "A1", 10000000 - 99000 - 98000 - 49500 - 10000,
	            99000 + 98000 + 49500 + 10000);

	/* refused before the sequencer: no seq, no record */
	seq = pl_last_seq(pl);
	records = bb.records;
	r = req_mass_cancel("ZZ", NULL);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_ACCOUNT);
	r = req_mass_cancel("A1", "NOPE");
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_UNKNOWN_SYMBOL);
	r = req_mass_cancel("A1", NULL);
	put(&r, PGX_F_ORDER_ID, a99);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), -1);
	assert_string_equal(err.sqlstate, PGX_SQLSTATE_PROTOCOL);
	assert_int_equal(pl_last_seq(pl), seq);
	assert_int_equal(bb.records, records);

	/* A1's AAPL orders: one seq, three cancels in book order (best first, oldest first)
	 */
	r = req_mass_cancel("A1", "AAPL");
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(pl_last_seq(pl), seq + 1);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_int_equal(res.remaining, 3);
	assert_int_equal(res.order_id, 0);
	assert_string_equal(res.sqlstate, "00000");
	assert_int_equal(last_command_events(&bb, &kind, got, 8), 3);
	assert_int_equal(kind, PGX_KIND_MASS_CANCEL);
	ids[0] = a99, ids[1] = a99b, ids[2] = a98;
	assert_memory_equal(got, ids, 3 * sizeof(int64_t));
	assert_int_equal(pl_open_orders(pl), 2);
	assert_cash(pl, "A1", 10000000 - 10000, 10000); /* only MSFT's hold is left */
	assert_invariants(pl);

	/* B1's sell is untouched: it still trades */
	r = buy("A1", 10100, 7, PGX_TIF_DAY);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_FILLED);
	assert_int_equal(pl_open_orders(pl), 1);
	assert_int_equal(res.filled, 7);

	/* every symbol: the MSFT buy; then nothing is open, still one seq */
	r = req_mass_cancel("A1", NULL);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(res.remaining, 1);
	assert_int_equal(last_command_events(&bb, &kind, got, 8), 1);
	assert_int_equal(pl_open_orders(pl), 0);
	seq = pl_last_seq(pl);
	r = req_mass_cancel("A1", NULL);
	assert_int_equal(submit(pl, &bb, &r, ++ts, &res, &err), 0);
	assert_int_equal(pl_last_seq(pl), seq + 1);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_int_equal(res.remaining, 0);
	assert_int_equal(last_command_events(&bb, &kind, got, 8), 0);
	assert_int_equal(kind, PGX_KIND_MASS_CANCEL);
	assert_cash(pl, "A1", 10000000 - 70700, 0);
	assert_invariants(pl);

	/* the journal replays byte for byte, to the same order manager */
	assert_int_equal(replayed_om_hash(&bb), pl_om_hash(pl));
	pl_destroy(pl);
	bb_free(&bb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_lifecycle),
	    cmocka_unit_test(test_refusals_take_no_seq),
	    cmocka_unit_test(test_order_manager_rules),
	    cmocka_unit_test(test_role_is_recorded),
	    cmocka_unit_test(test_client_order_ids),
	    cmocka_unit_test(test_mass_cancel),
	    cmocka_unit_test(test_post_only_and_gtd),
	    cmocka_unit_test(test_stop_orders),
	    cmocka_unit_test(test_random_session_conserves_and_replays),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
