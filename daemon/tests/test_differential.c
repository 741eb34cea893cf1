/*
 * test_differential.c - the core against the naive reference engine.
 *
 * Random command streams (new/cancel/amend/session, all order types and
 * times in force, prices clustered around a mid so trades are frequent, a
 * few accounts so self-trade prevention triggers, symbols with both STP
 * policies and tight per-symbol limits) go through both engines; every
 * command's events must be identical, and so must the L1/L3 books, order
 * lookups and state hashes.
 *
 * The generator aims most cancels and amends at orders that rest in the
 * naive engine at that moment, so the stream is a function of the seed and
 * the (deterministic) state.  Seeds: PGX_SEED sets the base seed (printed on every run),
 * PGX_DIFF_SEEDS and PGX_DIFF_COMMANDS override how many seeds and commands per seed.  On
 * a mismatch the test prints the seed and a shrunk command sequence that still reproduces
 * it.
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
#include "naive.h"
#include "testutil.h"

#ifdef MC_SANITIZED
#define DEFAULT_SEEDS    50
#define DEFAULT_COMMANDS 10000
#else
#define DEFAULT_SEEDS    200
#define DEFAULT_COMMANDS 10000
#endif

#define NSYM       4 /* ids 0..3; 3 is never added, so it is "unknown" */
#define MID        1000
#define RECENT     512
#define L3_EVERY   16
#define MAX_SHRINK 3000

typedef struct setup
{
	mc_engine_config ecfg;
	mc_symbol_config scfg[3];
} setup;

/* Every fourth seed runs with tiny pools so exhaustion paths are compared. */
static setup
setup_for(uint64_t seed)
{
	setup s;
	int tight = seed % 4 == 3;

	memset(&s, 0, sizeof(s));
	s.ecfg.max_symbols = NSYM;
	s.ecfg.max_orders = tight ? 32 : 100000;
	s.ecfg.max_levels = tight ? 16 : 100000;
	s.scfg[0].stp = MC_STP_CANCEL_OLDEST;
	s.scfg[1].stp = MC_STP_CANCEL_NEWEST;
	s.scfg[2].stp = MC_STP_CANCEL_OLDEST;
	s.scfg[2].max_orders = 25;
	s.scfg[2].max_levels = 6;
	/* small price windows so levels also live (and move) outside them */
	s.scfg[0].price_window = seed % 2 ? 0 : 64;
	s.scfg[1].price_window = 64;
	s.scfg[2].price_window = 64;
	return s;
}

/* ------------------------------------------------------------ generator */

typedef struct gen
{
	uint64_t rng;
	uint64_t seq;
	uint64_t next_id;
	int status[NSYM]; /* the generator's own view, to choose mostly valid ops */
	uint64_t recent_id[RECENT];
	uint32_t recent_acct[RECENT];
	uint32_t n_recent;
} gen;

static void
gen_init(gen *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->next_id = 1;
}

static int64_t
gen_price(gen *g, int side)
{
	/* buys just below the mid, sells just above, overlapping by a few ticks */
	int64_t off = (int64_t)rng_below(&g->rng, 9) - 2;

	if (rng_below(&g->rng, 20) == 0)
		off += (int64_t)rng_below(&g->rng, 90); /* far levels, outside a window */
	return side == MC_BUY ? MID - off : MID + off;
}

static void
pick_recent(gen *g, uint64_t *id, uint32_t *acct)
{
	if (g->n_recent == 0)
	{
		*id = 1;
		*acct = 1;
		return;
	}
	{
		uint32_t n = g->n_recent < RECENT ? g->n_recent : RECENT;
		/* favour the newest ids: they are the likeliest to still rest */
		uint32_t back = (uint32_t)rng_below(&g->rng, rng_below(&g->rng, 4) ? 24 : n);
		uint32_t k = (g->n_recent - 1 - back % n) % RECENT;

		*id = g->recent_id[k];
		*acct = g->recent_acct[k];
	}
}

static mc_command
gen_next(gen *g, const naive *live)
{
	uint64_t seq = ++g->seq;
	uint64_t r = rng_below(&g->rng, 100);
	mc_command c;

	if (seq <= 3) /* start with every symbol open */
	{
		g->status[seq - 1] = MC_STATUS_OPEN;
		return cmd_session(seq, (uint32_t)seq - 1, MC_SESSION_OPEN);
	}
	{
		/* the sequencer's part: a GTD order whose time has come expires
		 * (usually at once; sometimes a few commands late, as a busy
		 * sequencer may be) */
		uint64_t id, at;
		mc_command x = cmd_expire(seq, 0);

		if (naive_next_expiry(live, &id, &at) && at <= x.timestamp &&
		    rng_below(&g->rng, 4) != 0)
		{
			x.order_id = id;
			return x;
		}
	}

	if (r < 2)
	{
		uint32_t sym = (uint32_t)rng_below(&g->rng, 3);
		int st = g->status[sym], op;
		uint64_t x = rng_below(&g->rng, 10);

		if (x == 0)
			op = 1 + (int)rng_below(&g->rng, 5); /* anything, maybe invalid */
		else if (st == MC_STATUS_CLOSED)
			op = MC_SESSION_OPEN;
		else if (st == MC_STATUS_OPEN) /* mostly stay open: an invalid re-open */
			op = x < 2 ? MC_SESSION_HALT : x < 3 ? MC_SESSION_CLOSE : MC_SESSION_OPEN;
		else
			op = x < 8 ? MC_SESSION_RESUME : MC_SESSION_CLOSE;
		c = cmd_session(seq, sym, op);
		if (op == MC_SESSION_OPEN && st == MC_STATUS_CLOSED)
			g->status[sym] = MC_STATUS_OPEN;
		else if (op == MC_SESSION_CLOSE && st != MC_STATUS_CLOSED)
			g->status[sym] = MC_STATUS_CLOSED;
		else if (op == MC_SESSION_HALT && st == MC_STATUS_OPEN)
			g->status[sym] = MC_STATUS_HALTED;
		else if (op == MC_SESSION_RESUME && st == MC_STATUS_HALTED)
			g->status[sym] = MC_STATUS_OPEN;
		return c;
	}
	if (r < 60)
	{
		uint32_t sym = rng_below(&g->rng, 100) == 0 ? 3 : (uint32_t)rng_below(&g->rng, 3);
		uint32_t acct = 1 + (uint32_t)rng_below(&g->rng, 4);
		int side = rng_below(&g->rng, 2) ? MC_BUY : MC_SELL;
		uint64_t ty = rng_below(&g->rng, 100);
		/* 10% market, 5% stop, 5% stop-limit, the rest limit */
		int type = ty < 10   ? MC_MARKET
		           : ty < 15 ? MC_STOP
		           : ty < 20 ? MC_STOP_LIMIT
		                     : MC_LIMIT;
		uint64_t t = rng_below(&g->rng, 100);
		int tif;
		int64_t qty = 1 + (int64_t)rng_below(&g->rng, 20);
		uint64_t id = g->next_id++;

		if (type == MC_LIMIT || type == MC_STOP_LIMIT)
			tif = t < 30   ? MC_DAY
			      : t < 60 ? MC_GTC
			      : t < 70 ? MC_GTD
			      : t < 85 ? MC_IOC
			               : MC_FOK;
		else
			tif = t < 60 ? MC_IOC : t < 95 ? MC_FOK : MC_DAY;
		if (rng_below(&g->rng, 10) == 0)
			qty *= 5;
		c = cmd_new(seq, id, sym, acct, side, type, tif,
		            type == MC_LIMIT || type == MC_STOP_LIMIT ? gen_price(g, side) : 0,
		            qty);
		/* stops: a buy's trigger a little above the mid, a sell's below, so
		 * that trades around the mid reach them (and some already have) */
		if (type == MC_STOP || type == MC_STOP_LIMIT)
			c.stop_price = side == MC_BUY ? MID - 1 + (int64_t)rng_below(&g->rng, 6)
			                              : MID + 1 - (int64_t)rng_below(&g->rng, 6);
		/* post-only: mostly on orders that may rest, sometimes not (BAD_TIF) */
		if (rng_below(&g->rng, 8) == 0 && (tif == MC_DAY || tif == MC_GTC ||
		                                   tif == MC_GTD || rng_below(&g->rng, 10) == 0))
			c.flags = MC_CMDF_POST_ONLY;
		/* GTD: expires 1..300 commands later (10 us per command) */
		if (tif == MC_GTD)
			c.expire_time = c.timestamp + 10 * (1 + rng_below(&g->rng, 300));
		switch (rng_below(&g->rng, 200))
		{
			case 0:
				c.qty = 0;
				break;
			case 1:
				c.price = -c.price;
				break;
			case 2:
				c.side = 7;
				break;
			case 3:
				c.tif = 9;
				break;
			case 4:
				c.order_id = 0;
				break;
			case 6: /* an expire time on the wrong tif, or one already past */
				c.expire_time = c.tif == MC_GTD ? c.timestamp - rng_below(&g->rng, 2) * 10
				                                : c.timestamp + 100;
				break;
			case 7:
				c.flags = 0x80; /* an unknown flag */
				break;
			case 8: /* a stop price on another type, or none on a stop */
				c.stop_price = c.stop_price ? 0 : MID;
				break;
			case 5:
				if (g->n_recent) /* reuse an id: duplicate if it still rests */
				{
					uint32_t a;

					pick_recent(g, &c.order_id, &a);
				}
				break;
		}
		g->recent_id[g->n_recent % RECENT] = c.order_id;
		g->recent_acct[g->n_recent % RECENT] = acct;
		g->n_recent++;
		return c;
	}
	{
		uint64_t id;
		uint32_t acct;

		/* mostly live orders; sometimes recent ids that may be gone */
		if (rng_below(&g->rng, 5) == 0 ||
		    !naive_pick_live(live, rng_next(&g->rng), &id, &acct))
			pick_recent(g, &id, &acct);
		if (rng_below(&g->rng, 12) == 0)
			acct = 1 + (uint32_t)rng_below(&g->rng, 4); /* maybe not the owner */
		if (r < 70)
			return rng_below(&g->rng, 40) == 0 ? cmd_expire(seq, id) /* not due */
			                                   : cmd_cancel(seq, id, acct);
		{
			uint64_t x = rng_below(&g->rng, 10);
			int side = rng_below(&g->rng, 2) ? MC_BUY : MC_SELL;
			int64_t price = x < 4 ? 0 : gen_price(g, side);
			int64_t qty = 1 + (int64_t)rng_below(&g->rng, 25);

			c = cmd_amend(seq, id, acct, price, qty);
			if (price == 0)
			{
				/* "same price" amends need the current price: the command
				 * carries a marker the runner resolves (see resolve_amend) */
				c.price = -1;
			}
			if (rng_below(&g->rng, 100) == 0)
				c.qty = 0;
			return c;
		}
	}
}

/*
 * Amends at the same price exercise the priority rules, but the generator
 * does not know an order's price.  It writes price -1 and the runner fills
 * in the price the order has in the naive engine before both engines see
 * the command, so the stream stays a pure function of the seed plus state.
 * (Unknown order: price stays -1, which both engines must reject.)
 */
static void
resolve_amend(const naive *n, mc_command *c)
{
	mc_order_info o;

	if (c->kind == MC_CMD_AMEND && c->price == -1 && naive_order(n, c->order_id, &o))
		c->price = o.price;
}

/* ------------------------------------------------------------ comparison */

typedef struct pair
{
	mc_engine *core;
	naive *ref;
	evlog ev_core;
	evlog ev_ref;
} pair;

static void
pair_init(pair *p, const setup *s)
{
	memset(p, 0, sizeof(*p));
	p->core = mc_engine_create(&s->ecfg);
	p->ref = naive_create(&s->ecfg);
	assert_non_null(p->core);
	for (uint32_t i = 0; i < 3; i++)
	{
		assert_int_equal(mc_engine_add_symbol(p->core, i, &s->scfg[i]), MC_R_NONE);
		assert_int_equal(naive_add_symbol(p->ref, i, &s->scfg[i]), MC_R_NONE);
	}
}

static void
pair_free(pair *p)
{
	mc_engine_destroy(p->core);
	naive_destroy(p->ref);
	evlog_free(&p->ev_core);
	evlog_free(&p->ev_ref);
}

/* Compares the books; returns 0 if equal, else prints (if verbose) and -1. */
static int
compare_books(pair *p, int verbose)
{
	static mc_order_info a[4096], b[4096];

	for (uint32_t sym = 0; sym < 3; sym++)
	{
		mc_l1 la, lb;

		mc_engine_l1(p->core, sym, &la);
		naive_l1(p->ref, sym, &lb);
		if (memcmp(&la, &lb, sizeof(la)) != 0)
		{
			if (verbose)
				fprintf(stderr, "L1 differs on symbol %u\n", sym);
			return -1;
		}
		for (int side = MC_BUY; side <= MC_SELL; side++)
		{
			int na = mc_engine_l3(p->core, sym, side, a, 4096);
			int nb = naive_l3(p->ref, sym, side, b, 4096);

			if (na != nb || na > 4096 || memcmp(a, b, sizeof(a[0]) * (size_t)na) != 0)
			{
				if (verbose)
					fprintf(stderr, "L3 differs on symbol %u side %d (%d vs %d orders)\n",
					        sym, side, na, nb);
				return -1;
			}
		}
	}
	if (mc_engine_hash(p->core) != naive_hash(p->ref))
	{
		if (verbose)
			fprintf(stderr, "state hash differs\n");
		return -1;
	}
	return 0;
}

/* Applies one command to both; 0 if the events match. */
static int
step(pair *p, mc_command *c, int verbose)
{
	resolve_amend(p->ref, c);
	evlog_clear(&p->ev_core);
	evlog_clear(&p->ev_ref);
	core_apply(p->core, c, &p->ev_core);
	naive_apply(p->ref, c, &p->ev_ref);
	if (p->ev_core.n == p->ev_ref.n &&
	    memcmp(p->ev_core.ev, p->ev_ref.ev, p->ev_core.n * sizeof(mc_event)) == 0)
	{
		{
			uint64_t ia = 0, ta = 0, ib = 0, tb = 0;
			int ha = mc_engine_next_expiry(p->core, &ia, &ta);
			int hb = naive_next_expiry(p->ref, &ib, &tb);

			if (ha != hb || ia != ib || ta != tb)
			{
				if (verbose)
					fprintf(stderr, "next expiry differs: %d %llu@%llu vs %d %llu@%llu\n",
					        ha, (unsigned long long)ia, (unsigned long long)ta, hb,
					        (unsigned long long)ib, (unsigned long long)tb);
				return -1;
			}
		}
		if (c->kind == MC_CMD_AMEND || c->kind == MC_CMD_CANCEL ||
		    c->kind == MC_CMD_EXPIRE)
		{
			mc_order_info a, b;
			int fa = mc_engine_order(p->core, c->order_id, &a);
			int fb = naive_order(p->ref, c->order_id, &b);

			if (fa != fb || (fa && memcmp(&a, &b, sizeof(a)) != 0))
			{
				if (verbose)
					fprintf(stderr, "order lookup differs for id %llu\n",
					        (unsigned long long)c->order_id);
				return -1;
			}
		}
		return 0;
	}
	if (verbose)
	{
		fprintf(stderr, "events differ for command:\n");
		fprint_command(stderr, c);
		fprintf(stderr, " core:\n");
		for (size_t i = 0; i < p->ev_core.n; i++)
			fprint_event(stderr, &p->ev_core.ev[i]);
		fprintf(stderr, " naive:\n");
		for (size_t i = 0; i < p->ev_ref.n; i++)
			fprint_event(stderr, &p->ev_ref.ev[i]);
	}
	return -1;
}

/*
 * Runs cmds through a fresh pair; returns the index of the first command
 * after which the engines disagree, or -1.  every: compare books after every
 * `every` commands (and at the end).  cmds may be rewritten (amend prices).
 */
static long
first_divergence(const setup *s, mc_command *cmds, size_t n, int every, int verbose)
{
	pair p;
	long bad = -1;

	pair_init(&p, s);
	for (size_t i = 0; i < n && bad < 0; i++)
	{
		if (step(&p, &cmds[i], verbose) != 0)
			bad = (long)i;
		else if ((i % (size_t)every == 0 || i + 1 == n) &&
		         compare_books(&p, verbose) != 0)
			bad = (long)i;
	}
	pair_free(&p);
	return bad;
}

/*
 * Shrinks a failing sequence: cut it after the first divergence, then drop
 * single commands (newest first) as long as the rest still diverges.  The
 * result is 1-minimal: removing any one remaining command makes it pass.
 */
static size_t
shrink(const setup *s, mc_command *cmds, size_t n)
{
	mc_command *tmp = malloc(sizeof(mc_command) * (n + 1));
	long bad = first_divergence(s, cmds, n, 1, 0);
	int progress = 1;

	if (bad < 0)
	{
		free(tmp);
		return n;
	}
	n = (size_t)bad + 1;
	while (progress && n <= MAX_SHRINK)
	{
		progress = 0;
		for (size_t i = n; i-- > 0;)
		{
			size_t m = 0;

			for (size_t j = 0; j < n; j++)
				if (j != i)
					tmp[m++] = cmds[j];
			bad = first_divergence(s, tmp, m, 1, 0);
			if (bad >= 0)
			{
				n = (size_t)bad + 1;
				memcpy(cmds, tmp, sizeof(mc_command) * n);
				progress = 1;
				if (i > n)
					i = n;
			}
		}
	}
	free(tmp);
	return n;
}

/* Generates and checks one seed; on failure prints the reproduction and
 * returns the shrunk length (>0); returns 0 when the engines agree. */
/* how often each event kind / reason / amend flag occurred, all seeds */
static uint64_t seen_kind[16], seen_reason[64], seen_flags[8];

static size_t
run_seed(uint64_t seed, size_t ncmd, uint64_t *trades)
{
	setup s = setup_for(seed);
	mc_command *cmds = malloc(sizeof(mc_command) * ncmd);
	gen g;
	pair p;
	long bad = -1;
	size_t result = 0;

	gen_init(&g, seed);
	pair_init(&p, &s);
	for (size_t i = 0; i < ncmd && bad < 0; i++)
	{
		cmds[i] = gen_next(&g, p.ref);
		if (step(&p, &cmds[i], 0) != 0)
			bad = (long)i;
		else if ((i % L3_EVERY == 0 || i + 1 == ncmd) && compare_books(&p, 0) != 0)
			bad = (long)i;
		for (size_t k = 0; k < p.ev_core.n; k++)
		{
			const mc_event *ev = &p.ev_core.ev[k];

			*trades += ev->kind == MC_EV_TRADE;
			seen_kind[ev->kind & 15]++;
			seen_reason[ev->reason & 63]++;
			if (ev->kind == MC_EV_AMENDED)
				seen_flags[ev->flags & 3]++;
			if (ev->kind == MC_EV_ACCEPTED)
				seen_flags[ev->flags & 7]++;
		}
	}
	pair_free(&p);
	if (bad >= 0)
	{
		size_t n;

		fprintf(stderr, "MISMATCH: seed %llu (PGX_SEED=%llu), first at command %ld\n",
		        (unsigned long long)seed, (unsigned long long)seed, bad);
		n = shrink(&s, cmds, (size_t)bad + 1);
		fprintf(stderr, "reproduced by these %zu commands:\n", n);
		for (size_t i = 0; i < n; i++)
			fprint_command(stderr, &cmds[i]);
		first_divergence(&s, cmds, n, 1, 1);
		result = n;
	}
	free(cmds);
	return result;
}

static uint64_t
env_count(const char *name, uint64_t dflt)
{
	return env_seed(name, dflt);
}

static void
test_random_streams(void **state)
{
	uint64_t base = env_seed("PGX_SEED", 20261123);
	uint64_t seeds = env_count("PGX_DIFF_SEEDS", DEFAULT_SEEDS);
	uint64_t ncmd = env_count("PGX_DIFF_COMMANDS", DEFAULT_COMMANDS);
	uint64_t trades = 0;
	size_t failures = 0;

	(void)state;
	printf("differential: PGX_SEED=%llu seeds=%llu commands/seed=%llu total=%llu\n",
	       (unsigned long long)base, (unsigned long long)seeds, (unsigned long long)ncmd,
	       (unsigned long long)(seeds * ncmd));
	for (uint64_t i = 0; i < seeds && failures == 0; i++)
		failures += run_seed(base + i, ncmd, &trades) != 0;
	printf("differential: %llu trades compared\n", (unsigned long long)trades);
	assert_int_equal(failures, 0);
	for (int k = 1; k <= MC_EV_TRIGGERED; k++)
		printf("differential: %-9s %llu\n", mc_event_kind_name(k),
		       (unsigned long long)seen_kind[k]);
	for (int r = 1; r < 64; r++)
		if (seen_reason[r])
			printf("differential: %-19s %llu\n", mc_reason_name(r),
			       (unsigned long long)seen_reason[r]);
	/* the streams must actually exercise every rule they are meant to test */
	assert_true(trades > seeds * ncmd / 20);
	{
		static const int must[] = {MC_R_UNKNOWN_SYMBOL,
		                           MC_R_SESSION_CLOSED,
		                           MC_R_HALTED,
		                           MC_R_BAD_SIDE,
		                           MC_R_BAD_TIF,
		                           MC_R_BAD_PRICE,
		                           MC_R_BAD_QTY,
		                           MC_R_BAD_ORDER_ID,
		                           MC_R_DUPLICATE_ID,
		                           MC_R_UNKNOWN_ORDER,
		                           MC_R_NOT_OWNER,
		                           MC_R_ORDER_POOL_FULL,
		                           MC_R_LEVEL_POOL_FULL,
		                           MC_R_SYMBOL_ORDER_LIMIT,
		                           MC_R_SYMBOL_LEVEL_LIMIT,
		                           MC_R_BAD_SESSION_OP,
		                           MC_R_USER_CANCEL,
		                           MC_R_IOC_REMAINDER,
		                           MC_R_MARKET_REMAINDER,
		                           MC_R_NO_LIQUIDITY,
		                           MC_R_FOK_NOT_FILLABLE,
		                           MC_R_STP_CANCEL_OLDEST,
		                           MC_R_STP_CANCEL_NEWEST,
		                           MC_R_DAY_EXPIRED,
		                           MC_R_BAD_COMMAND,
		                           MC_R_POST_ONLY_WOULD_CROSS,
		                           MC_R_BAD_EXPIRE_TIME,
		                           MC_R_NOT_EXPIRED,
		                           MC_R_GTD_EXPIRED,
		                           MC_R_BAD_STOP_PRICE,
		                           MC_R_STOP_WOULD_TRIGGER};

		for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		{
			if (seen_reason[must[i]] == 0)
				printf("differential: never saw %s\n", mc_reason_name(must[i]));
			assert_true(seen_reason[must[i]] > 0);
		}
		assert_true(seen_kind[MC_EV_TRIGGERED] > 0);
		assert_true(seen_flags[MC_EVF_STOP] > 0);
		assert_true(seen_flags[MC_EVF_PRIORITY_KEPT] > 0);
		assert_true(seen_flags[MC_EVF_PRIORITY_LOST] > 0);
	}
}

/* The differential test must be able to fail: break FIFO in the naive
 * engine and check the mismatch is found and shrunk to a handful. */
static void
test_detects_injected_bug(void **state)
{
	uint64_t trades = 0;
	size_t n;

	(void)state;
	naive_bug = 1;
	fprintf(stderr, "(expected mismatch report follows: injected FIFO bug)\n");
	n = run_seed(7, 3000, &trades);
	naive_bug = 0;
	assert_true(n > 0);
	/* open + two resting orders at one price + one taker */
	assert_true(n <= 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detects_injected_bug),
	    cmocka_unit_test(test_random_streams),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
