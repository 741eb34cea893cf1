/*
 * test_records.c - commands and events to journal records and back.
 *
 * What matchd's recovery relies on: a random session's commands and events,
 * turned into journal records and encoded as a wire batch, decode back to the
 * very same structs; and replaying the decoded commands through a fresh engine
 * re-encodes to the very same bytes.
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
#include "names.h"
#include "records.h"
#include "testutil.h"

#define N_SYMBOLS  4
#define N_ACCOUNTS 8
#define DAY        9823 /* 2026-11-23 */

/* The names, through matchd's own registry. */
static mj_registry registry;
static mj_names names;

static void
register_names(void)
{
	char name[16];
	uint32_t id;

	mj_registry_free(&registry);
	assert_int_equal(mj_registry_init(&registry, N_SYMBOLS, N_ACCOUNTS), 0);
	for (uint32_t s = 0; s < N_SYMBOLS; s++)
	{
		snprintf(name, sizeof(name), "SYM%u", s);
		assert_int_equal(
		    mj_table_add(&registry.symbols, name, (uint16_t)strlen(name), &id),
		    MJ_NAME_ADDED);
		assert_int_equal(id, s);
	}
	for (uint32_t a = 0; a < N_ACCOUNTS; a++)
	{
		snprintf(name, sizeof(name), "acct-%u", a);
		assert_int_equal(
		    mj_table_add(&registry.accounts, name, (uint16_t)strlen(name), &id),
		    MJ_NAME_ADDED);
		assert_int_equal(id, a);
	}
	names = mj_registry_names(&registry);
}

static mc_engine *
new_engine(void)
{
	mc_engine_config cfg = {N_SYMBOLS, 100000, 20000, NULL};
	mc_symbol_config sc = {0};
	mc_engine *e = mc_engine_create(&cfg);

	assert_non_null(e);
	for (uint32_t s = 0; s < N_SYMBOLS; s++)
	{
		sc.stp = (s % 2) ? MC_STP_CANCEL_NEWEST : MC_STP_CANCEL_OLDEST;
		assert_int_equal(mc_engine_add_symbol(e, s, &sc), MC_R_NONE);
	}
	return e;
}

/* A growable wire batch. */
typedef struct wire
{
	uint8_t *buf;
	size_t len, cap;
	uint32_t count;
} wire;

static void
wire_put(wire *w, const pgx_record *r)
{
	size_t need = pgx_record_size(r);

	if (w->len + need > w->cap)
	{
		w->cap = (w->len + need) * 2;
		w->buf = realloc(w->buf, w->cap);
		assert_non_null(w->buf);
	}
	assert_int_equal(pgx_encode_record(w->buf + w->len, r), need);
	w->len += need;
	w->count++;
}

/* Journals one command and its events into w, the way matchd will. */
static void
journal(wire *w, const mc_command *c, const evlog *log)
{
	pgx_record r;
	char detail[96];

	assert_int_equal(mj_command_record(c, DAY, &names, &r), MJ_OK);
	if (c->kind == MC_CMD_NEW)
		assert_int_equal(
		    mj_new_order_detail(c, detail, sizeof(detail), &r.strs[PGX_S_DETAIL]), MJ_OK);
	wire_put(w, &r);
	for (size_t i = 0; i < log->n; i++)
	{
		int rc = mj_event_record(&log->ev[i], DAY, &names, &r);

		if (rc != MJ_OK)
		{
			fprint_event(stderr, &log->ev[i]);
			fail_msg("event of seq %llu does not journal: %d",
			         (unsigned long long)log->ev[i].seq, rc);
		}
		wire_put(w, &r);
	}
}

/* A random session: orders of every type and time in force, cancels and
 * amends of recent orders, and now and then a halt, resume, close or open. */
static mc_command
random_command(uint64_t *rng, uint64_t seq, uint64_t *next_id, const mc_engine *e)
{
	static uint64_t recent[64];
	static int nrecent;
	uint64_t r = rng_below(rng, 100);
	uint32_t sym = (uint32_t)rng_below(rng, N_SYMBOLS);
	uint32_t acct = (uint32_t)rng_below(rng, N_ACCOUNTS);
	int side = rng_below(rng, 2) ? MC_BUY : MC_SELL;
	int64_t price = 1000 + (int64_t)rng_below(rng, 20) - (side == MC_BUY ? 3 : -3);
	int64_t qty = 1 + (int64_t)rng_below(rng, 500);
	mc_command c;

	if (seq == 1)
		nrecent = 0;
	if (r < 3)
	{
		static const int ops[] = {MC_SESSION_OPEN, MC_SESSION_CLOSE, MC_SESSION_HALT,
		                          MC_SESSION_RESUME};

		return cmd_session(seq, sym, ops[rng_below(rng, 4)]);
	}
	if (r < 60 || nrecent == 0)
	{
		static const int tifs[] = {MC_DAY, MC_GTC, MC_IOC, MC_FOK, MC_GTD};
		int market = rng_below(rng, 10) == 0;
		int tif =
		    market ? (rng_below(rng, 2) ? MC_IOC : MC_FOK) : tifs[rng_below(rng, 5)];
		uint64_t id = (*next_id)++;

		c = cmd_new(seq, id, sym, acct, side, market ? MC_MARKET : MC_LIMIT, tif,
		            market ? 0 : price, qty);
		if (rng_below(rng, 3) == 0)
			snprintf(c.client_order_id, MC_CLORDID_LEN, "cl-%llu",
			         (unsigned long long)id);
		if (!market && rng_below(rng, 5) == 0)
			c.flags = MC_CMDF_POST_ONLY;
		if (tif == MC_GTD)
			c.expire_time = c.timestamp + 10 * (1 + rng_below(rng, 500));
		/* one in eight a stop (the market ones) or a stop-limit, its stop a
		 * few ticks around the prices traded: they wait, fire and cascade */
		if (!c.flags && rng_below(rng, 8) == 0)
		{
			c.type = market ? MC_STOP : MC_STOP_LIMIT;
			c.stop_price = 995 + (int64_t)rng_below(rng, 10);
		}
		recent[nrecent++ % 64] = id;
		return c;
	}
	{
		uint64_t id = recent[rng_below(rng, (uint64_t)(nrecent < 64 ? nrecent : 64))];
		mc_order_info o;

		/* the order's own account and symbol when it rests (matchd knows them),
		 * otherwise a random one: a rejection */
		if (mc_engine_order(e, id, &o))
		{
			acct = rng_below(rng, 10) ? o.account : acct;
			sym = o.symbol;
		}
		if (r < 66)
			c = cmd_expire(seq, id); /* expires it if it is a GTD order now due */
		else if (r < 80)
			c = cmd_cancel(seq, id, acct);
		else
			c = cmd_amend(seq, id, acct, rng_below(rng, 2) ? price : 0, qty);
		c.symbol = sym;
		return c;
	}
}

static void
test_round_trip_and_replay(void **state)
{
	(void)state;
	uint64_t seed = env_seed("PGX_SEED", 0x5eed2026);
	uint64_t rng = seed, next_id = 1;
	const int n = 30000;
	mc_engine *live = new_engine(), *replay = new_engine();
	mc_command *cmds = calloc((size_t)n, sizeof(mc_command));
	evlog log = {0}, all = {0};
	wire w = {0}, again = {0};
	int seen[MC_EV_TRIGGERED + 1] = {0}, amended_kept = 0, amended_lost = 0;
	uint32_t count;
	size_t off = PGX_BATCH_HEADER, used = 0;
	int ncmd = 0, nev = 0;

	printf("test_round_trip_and_replay: seed %llu (PGX_SEED to repeat)\n",
	       (unsigned long long)seed);
	register_names();

	/* a live session, journaled */
	w.len = PGX_BATCH_HEADER;
	w.cap = 0;
	for (int i = 0; i < n; i++)
	{
		uint64_t seq = (uint64_t)i + 1;

		cmds[i] = i < N_SYMBOLS ? cmd_session(seq, (uint32_t)i, MC_SESSION_OPEN)
		                        : random_command(&rng, seq, &next_id, live);
		evlog_clear(&log);
		core_apply(live, &cmds[i], &log);
		journal(&w, &cmds[i], &log);
		for (size_t k = 0; k < log.n; k++)
		{
			evlog_push(&all, &log.ev[k]);
			seen[log.ev[k].kind]++;
			amended_kept += log.ev[k].kind == MC_EV_AMENDED &&
			                log.ev[k].flags == MC_EVF_PRIORITY_KEPT;
			amended_lost += log.ev[k].kind == MC_EV_AMENDED &&
			                log.ev[k].flags == MC_EVF_PRIORITY_LOST;
		}
	}
	if (w.cap < PGX_BATCH_HEADER)
		fail_msg("nothing journaled");
	pgx_encode_header(w.buf, w.count);

	/* the test means something only if every kind of event occurred */
	for (int k = MC_EV_ACCEPTED; k <= MC_EV_TRIGGERED; k++)
		if (seen[k] == 0)
			fail_msg("event kind %s never occurred", mc_event_kind_name(k));
	assert_true(amended_kept > 0 && amended_lost > 0);

	/* decode: every record back to the struct it came from */
	assert_int_equal(pgx_decode_header(w.buf, w.len, &count), PGX_DECODE_OK);
	assert_int_equal(count, w.count);
	for (uint32_t i = 0; i < count; i++)
	{
		pgx_record r;

		assert_int_equal(pgx_decode_record(w.buf + off, w.len - off, &r, &used),
		                 PGX_DECODE_OK);
		off += used;
		if (r.idx == 0)
		{
			mc_command c;

			assert_int_equal(mj_record_command(&r, &names, &c), MJ_OK);
			assert_memory_equal(&c, &cmds[ncmd], sizeof(c));
			ncmd++;
		}
		else
		{
			mc_event ev;

			assert_int_equal(mj_record_event(&r, &names, &ev), MJ_OK);
			assert_memory_equal(&ev, &all.ev[nev], sizeof(ev));
			nev++;
		}
	}
	assert_int_equal(off, w.len);
	assert_int_equal(ncmd, n);
	assert_int_equal((size_t)nev, all.n);

	/* replay the decoded commands into a fresh engine: the same bytes again */
	again.len = PGX_BATCH_HEADER;
	for (int i = 0; i < n; i++)
	{
		evlog_clear(&log);
		core_apply(replay, &cmds[i], &log);
		journal(&again, &cmds[i], &log);
	}
	pgx_encode_header(again.buf, again.count);
	assert_int_equal(again.len, w.len);
	assert_memory_equal(again.buf, w.buf, w.len);
	assert_true(mc_engine_hash(replay) == mc_engine_hash(live));

	printf("test_round_trip_and_replay: %d commands, %zu events, %u records, %zu bytes\n",
	       n, all.n, w.count, w.len);
	free(w.buf);
	free(again.buf);
	free(cmds);
	evlog_free(&log);
	evlog_free(&all);
	mc_engine_destroy(live);
	mc_engine_destroy(replay);
}

static void
test_rejects_what_would_not_survive(void **state)
{
	(void)state;
	pgx_record r;
	mc_command c;
	mc_event ev;

	register_names();

	c = cmd_new(1, 1, 0, 0, MC_BUY, MC_LIMIT, MC_DAY, 100, 10);
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_OK);
	c.pad[1] = 1;
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_BAD_FIELD);
	c = cmd_new(1, 1, 0, 0, MC_BUY, MC_LIMIT, MC_DAY, 100, 10);
	c.client_order_id[5] = 'x'; /* after the terminator at [0] */
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_BAD_FIELD);
	c = cmd_new(1, 1, 0, 0, 3, MC_LIMIT, MC_DAY, 100, 10); /* no such side */
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_BAD_FIELD);
	c = cmd_new(1, 1, N_SYMBOLS, 0, MC_BUY, MC_LIMIT, MC_DAY, 100, 10);
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_UNKNOWN_NAME);
	c = cmd_cancel(1, 1, 0);
	c.qty = 5; /* a cancel carries no quantity */
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_BAD_FIELD);
	c = cmd_session(1, 0, 9);
	assert_int_equal(mj_command_record(&c, DAY, &names, &r), MJ_UNKNOWN_KIND);

	memset(&ev, 0, sizeof(ev));
	ev.kind = MC_EV_CANCELED;
	ev.reason = 31; /* no such reason */
	assert_int_equal(mj_event_record(&ev, DAY, &names, &r), MJ_UNKNOWN_REASON);
	ev.reason = MC_R_USER_CANCEL;
	assert_int_equal(mj_event_record(&ev, DAY, &names, &r), MJ_OK);
	assert_int_equal(r.status, PGX_STATUS_CANCELED);
	assert_int_equal(r.idx, 1);
	/* a reason text the core does not know */
	r.strs[PGX_S_REASON].ptr = "gremlins";
	r.strs[PGX_S_REASON].len = 8;
	assert_int_equal(mj_record_event(&r, &names, &ev), MJ_UNKNOWN_REASON);
	r.strs[PGX_S_ACCOUNT].ptr = "nobody";
	r.strs[PGX_S_ACCOUNT].len = 6;
	r.strs[PGX_S_REASON].ptr = "user_cancel";
	r.strs[PGX_S_REASON].len = 11;
	assert_int_equal(mj_record_event(&r, &names, &ev), MJ_UNKNOWN_NAME);
	assert_string_equal(mj_reason_text(MC_R_FOK_NOT_FILLABLE), "fok_not_fillable");
	assert_null(mj_reason_text(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_and_replay),
	    cmocka_unit_test(test_rejects_what_would_not_survive),
	};

	int failed;

	test_output_to_stdout();
	failed = cmocka_run_group_tests_name("records", tests, NULL, NULL);
	mj_registry_free(&registry);
	return failed;
}
