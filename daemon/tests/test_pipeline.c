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

#include "pipeline.h"
#include "testutil.h"

#define DAY 9823
#define T0  848766600000000LL

static const pl_config CFG = {
    .max_symbols = 8, .max_accounts = 16, .max_orders = 4096, .max_levels = 1024};

static pgx_str
s_(const char *s)
{
	pgx_str r = {s, s ? (uint16_t)strlen(s) : PGX_STR_NULL};

	return r;
}

static pgx_record
req_blank(int kind)
{
	pgx_record r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < PGX_S__COUNT; i++)
		r.strs[i].len = PGX_STR_NULL;
	r.kind = (uint8_t)kind;
	return r;
}

static void
put(pgx_record *r, int field, int64_t v)
{
	r->ints[field] = v;
	r->present |= (uint8_t)(1u << field);
}

static pgx_record
req_new(const char *sym, const char *acct, int side, int type, int tif, int64_t price,
        int64_t qty)
{
	pgx_record r = req_blank(PGX_KIND_NEW_ORDER);

	r.strs[PGX_S_SYMBOL] = s_(sym);
	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.side = (uint8_t)side;
	r.order_type = (uint8_t)type;
	r.time_in_force = (uint8_t)tif;
	if (type == PGX_TYPE_LIMIT)
		put(&r, PGX_F_PRICE, price);
	put(&r, PGX_F_QUANTITY, qty);
	return r;
}

static pgx_record
req_cancel(const char *acct, int64_t id)
{
	pgx_record r = req_blank(PGX_KIND_CANCEL_ORDER);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	put(&r, PGX_F_ORDER_ID, id);
	return r;
}

static pgx_record
req_amend(const char *acct, int64_t id, int64_t qty, int64_t price)
{
	pgx_record r = req_blank(PGX_KIND_AMEND_ORDER);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	put(&r, PGX_F_ORDER_ID, id);
	put(&r, PGX_F_QUANTITY, qty);
	if (price)
		put(&r, PGX_F_PRICE, price);
	return r;
}

static pgx_record
req_symbol(const char *sym)
{
	pgx_record r = req_blank(PGX_KIND_ADD_SYMBOL);

	r.strs[PGX_S_SYMBOL] = s_(sym);
	r.strs[PGX_S_DETAIL] = s_("{\"tick_size\": 0.01, \"lot_size\": 1}");
	return r;
}

static pgx_record
req_account(const char *acct)
{
	pgx_record r = req_blank(PGX_KIND_OPEN_ACCOUNT);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\\\"1\"}");
	return r;
}

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

static pipeline *
setup_market(batchbuf *bb)
{
	pipeline *pl = pl_create(&CFG);
	pl_result res;
	pl_error err;
	pgx_record r;

	assert_non_null(pl);
	pl_set_position(pl, 0, 0, DAY);
	r = req_symbol("AAPL");
	assert_int_equal(submit(pl, bb, &r, T0, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_NEW);
	r = req_account("A1");
	assert_int_equal(submit(pl, bb, &r, T0, &res, &err), 0);
	r = req_account("B1");
	assert_int_equal(submit(pl, bb, &r, T0, &res, &err), 0);
	return pl;
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
	/* add_symbol: command, accepted, session open; open_account: command, accepted */
	assert_int_equal(bb.commands, 3);
	assert_int_equal(bb.records, 3 + 2 + 2);

	r = req_new("AAPL", "A1", PGX_SIDE_BUY, PGX_TYPE_LIMIT, PGX_TIF_DAY, 10000, 100);
	assert_int_equal(submit(pl, &bb, &r, T0 + 5, &res, &err), 0);
	buy_id = res.order_id;
	assert_int_equal(buy_id, 4); /* the order id is its seq */
	assert_int_equal(res.status, PGX_STATUS_NEW);
	assert_int_equal(res.remaining, 100);
	assert_int_equal(res.created_ts, T0 + 5);

	/* a marketable sell: partially fills the buy, fully fills itself */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_LIMIT, PGX_TIF_DAY, 9900, 30);
	assert_int_equal(submit(pl, &bb, &r, T0 + 6, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_FILLED);
	assert_int_equal(res.filled, 30);
	assert_int_equal(res.remaining, 0);

	/* the clock never goes backwards */
	r = req_amend("A1", buy_id, 50, 0);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), 0);
	assert_int_equal(res.created_ts, T0 + 5);
	assert_int_equal(res.status, PGX_STATUS_PARTIALLY_FILLED);
	assert_int_equal(res.filled, 30);
	assert_int_equal(res.remaining, 50);
	assert_string_equal(res.reason ? res.reason : "", "");

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

	/* a market order into an empty book: canceled, nothing filled */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_MARKET, PGX_TIF_IOC, 0, 10);
	assert_int_equal(submit(pl, &bb, &r, T0 + 8, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_CANCELED);
	assert_string_equal(res.reason, "no_liquidity");

	/* a market order with day: the core rejects it, recorded as rejected */
	r = req_new("AAPL", "B1", PGX_SIDE_SELL, PGX_TYPE_MARKET, PGX_TIF_DAY, 0, 10);
	assert_int_equal(submit(pl, &bb, &r, T0 + 9, &res, &err), 0);
	assert_int_equal(res.status, PGX_STATUS_REJECTED);
	assert_string_equal(res.reason, "bad_time_in_force");
	assert_int_equal(pl_open_orders(pl), 0);
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
	r = req_blank(PGX_KIND_MARKET_OPEN);
	assert_int_equal(submit(pl, &bb, &r, T0, &res, &err), -1);

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

/* Replays every batch of journal through a fresh pipeline (as matchd's
 * recovery does); returns its hash, or 0 when a batch did not replay. */
static uint64_t
replay(uint8_t **batches, size_t *lens, int nbatches, pl_error *err)
{
	pipeline *pl = pl_create(&CFG);
	batchbuf out;
	int64_t records = 0, commands = 0;
	uint64_t h = 0;
	int b;

	assert_int_equal(bb_init(&out, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (b = 0; b < nbatches; b++)
	{
		int64_t n = pl_replay(pl, batches[b], lens[b], &out, &records, err);

		if (n < 0)
			break;
		commands += n;
	}
	if (b == nbatches)
	{
		assert_int_equal(commands, pl_last_seq(pl));
		h = pl_state_hash(pl);
	}
	pl_destroy(pl);
	bb_free(&out);
	return h;
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

static void
test_random_session_replays_byte_for_byte(void **state)
{
	static const char *syms[] = {"AAPL", "MSFT", "BRK.B"};
	static const char *accts[] = {"A1", "A2", "B1", "B2", "C1"};
	uint64_t seed = env_seed("PGX_SEED", 20261123);
	uint8_t *batches[512];
	size_t lens[512];
	int nb = 0;
	batchbuf bb;
	pipeline *pl;
	pl_result res;
	pl_error err;
	int64_t ts = T0;
	int64_t ids[256];
	int nids = 0, refused = 0, tampered = 0;

	(void)state;
	printf("# test_pipeline seed %llu (PGX_SEED to repeat)\n", (unsigned long long)seed);
	pl = pl_create(&CFG);
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (int i = 0; i < 3; i++)
	{
		pgx_record r = req_symbol(syms[i]);

		assert_int_equal(submit(pl, &bb, &r, ts, &res, &err), 0);
	}
	for (int i = 0; i < 5; i++)
	{
		pgx_record r = req_account(accts[i]);

		assert_int_equal(submit(pl, &bb, &r, ts, &res, &err), 0);
	}
	for (int i = 0; i < 20000; i++)
	{
		uint64_t dice = rng_below(&seed, 100);
		const char *acct = accts[rng_below(&seed, 5)];
		pgx_record r;

		ts += (int64_t)rng_below(&seed, 3);
		if (dice < 60 || nids == 0)
		{
			int market = rng_below(&seed, 10) == 0;

			r = req_new(syms[rng_below(&seed, 3)], acct, 1 + (int)rng_below(&seed, 2),
			            market ? PGX_TYPE_MARKET : PGX_TYPE_LIMIT,
			            market ? PGX_TIF_IOC : 1 + (int)rng_below(&seed, 4),
			            9990 + (int64_t)rng_below(&seed, 20),
			            1 + (int64_t)rng_below(&seed, 50));
		}
		else
		{
			int64_t id = ids[rng_below(&seed, (uint64_t)nids)];

			r = dice < 85
			        ? req_cancel(acct, id)
			        : req_amend(
			              acct, id, 1 + (int64_t)rng_below(&seed, 60),
			              rng_below(&seed, 2) ? 0 : 9990 + (int64_t)rng_below(&seed, 20));
		}
		if (submit(pl, &bb, &r, ts, &res, &err) != 0)
		{
			refused++;
			continue;
		}
		if (r.kind == PGX_KIND_NEW_ORDER && res.remaining > 0)
			ids[nids++ % 256] = res.order_id, nids = nids > 256 ? 256 : nids;
		/* close a batch now and then, like group commit does */
		if (rng_below(&seed, 50) == 0 && nb < 511)
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
	printf("# %d batches, %d refusals, %u open orders\n", nb, refused,
	       pl_open_orders(pl));
	assert_true(refused > 0);
	assert_int_equal(replay(batches, lens, nb, &err), pl_state_hash(pl));

	/* an event altered behind the sequencer's back does not replay */
	for (int b = 0; b < nb && !tampered; b++)
	{
		size_t at = first_trade(batches[b], lens[b]);

		if (at == 0)
			continue;
		/* the quantity: length, 6 bytes of enums, seq, idx, day, ts, order_id, price */
		batches[b][at + 2 + 6 + 8 + 4 + 4 + 8 + 8 + 8]++;
		assert_int_equal(replay(batches, lens, nb, &err), 0);
		assert_string_equal(err.sqlstate, "XX001");
		assert_non_null(strstr(err.message, "replay diverged from the journal at seq"));
		tampered = 1;
	}
	assert_true(tampered);
	for (int b = 0; b < nb; b++)
		free(batches[b]);
	pl_destroy(pl);
	bb_free(&bb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_lifecycle),
	    cmocka_unit_test(test_refusals_take_no_seq),
	    cmocka_unit_test(test_role_is_recorded),
	    cmocka_unit_test(test_random_session_replays_byte_for_byte),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
