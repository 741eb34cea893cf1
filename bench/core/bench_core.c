/*
 * bench_core.c - throughput and latency of the matching core.
 *
 * Workload (modelled on the one exchange-core publishes): one symbol, a book
 * pre-filled with ~1,000 resting orders over ~750 price levels, then a
 * stream of roughly 9% GTC limit orders, 3% IOC orders, 6% cancels and 82%
 * amends that move an order's price or change its size; about 6% of
 * commands trade.  2,000 accounts, so self-trade prevention is rare.
 *
 * The stream is generated once, up front, by running a "shadow" core so the
 * generator knows which orders are live; the measured engines then replay
 * exactly that stream (same commands, fresh engine each repetition, the
 * pre-fill untimed).  Measurements, each repeated and reported as a median:
 *   core_throughput       1M commands, one clock read before and after
 *   core_latency_*        per command: CLOCK_MONOTONIC read before and after
 *                         each command, minus the median cost of an empty
 *                         pair of reads (timer_overhead), clamped at 0
 *   core_replay_10m_*     all 10M commands, one clock read before and after
 *   naive_throughput      the test-only naive engine on the same 1M commands
 *   core_newtypes_*       a second stream of 1M commands, the same mix but
 *                         with 10% of the new orders of the 1.8 types (a third
 *                         post-only, a third stop-limit, a third good-till-date, whose
 * expiries the generator injects as MC_CMD_EXPIRE the way matchd's sequencer does):
 * throughput and latency, and core_newtypes_ratio = its throughput / core_throughput
 *   core_om_throughput    the same 1M commands through matchd's order manager
 *                         and the core together, as matchd's pipeline runs them
 *                         (risk checks, rate limit, holds before the core; wallet
 *                         settlement of every event after it); every account is
 *                         verified and funded so that nothing is refused, and
 *                         om_overhead_ratio = core_om / core (issue 5: >= 0.80)
 * Output: "BENCH <name> <value> <unit>" lines; other lines start with '#'.
 * BENCH_MODE=long runs more repetitions and times latency over all 10M.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "naive.h"
#include "om.h"
#include "testutil.h"

#define MID        100000
#define SPREAD_LVL 750 /* price slots per side for resting orders */
#define PREFILL    1000
#define ACCOUNTS   2000
#define HIST_NS    100000 /* latency histogram range, 1 ns buckets */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median_dbl(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --------------------------------------------------------------- workload */

typedef struct workload
{
	mc_command *cmds;
	size_t n_prefill; /* cmds[0 .. n_prefill) set the book up (untimed) */
	size_t n;         /* total, prefill included */
	uint64_t trading; /* commands that produced at least one trade */
} workload;

typedef struct gen
{
	uint64_t rng;
	mc_engine *shadow;
	uint64_t *live; /* ids of resting orders */
	uint32_t *pos;  /* id -> index in live (+1), 0 = not live */
	size_t n_live;
	uint64_t next_id;
	uint64_t seq;
	int newtypes; /* 10% of new GTC orders post-only or GTD */
	uint64_t n_new, n_newtypes;
	uint64_t n_stops_waiting, n_triggered; /* stop-limits accepted, fired */
	mc_event buf[4096];
} gen;

static void
live_add(gen *g, uint64_t id)
{
	if (g->pos[id])
		return;
	g->live[g->n_live] = id;
	g->pos[id] = (uint32_t)++g->n_live;
}

static void
live_del(gen *g, uint64_t id)
{
	uint32_t p = g->pos[id];
	uint64_t last;

	if (p == 0)
		return;
	last = g->live[--g->n_live];
	g->live[p - 1] = last;
	g->pos[last] = p;
	g->pos[id] = 0;
}

/* Applies c to the shadow engine and keeps the live set in step. */
static int
shadow_apply(gen *g, const mc_command *c)
{
	mc_sink sink = {g->buf, 4096, 0, 0, NULL, NULL};
	int traded = 0;

	mc_engine_apply(g->shadow, c, &sink);
	for (uint32_t i = 0; i < sink.n; i++)
	{
		const mc_event *ev = &g->buf[i];

		switch (ev->kind)
		{
			case MC_EV_ACCEPTED:
				live_add(g, ev->order_id);
				g->n_stops_waiting += (ev->flags & MC_EVF_STOP) != 0;
				break;
			case MC_EV_TRIGGERED:
				g->n_triggered++;
				break;
			case MC_EV_TRADE:
				traded = 1;
				if (ev->maker_leaves == 0)
					live_del(g, ev->maker_order_id);
				if (ev->leaves == 0)
					live_del(g, ev->order_id);
				break;
			case MC_EV_CANCELED:
			case MC_EV_EXPIRED:
				live_del(g, ev->order_id);
				break;
		}
	}
	return traded;
}

static int64_t
best(gen *g, int side)
{
	mc_l1 l1;

	mc_engine_l1(g->shadow, 0, &l1);
	if (side == MC_BUY)
		return l1.bid_price ? l1.bid_price : MID - 1;
	return l1.ask_price ? l1.ask_price : MID + 1;
}

/* a passive price for side: inside its half of the book, never crossing */
static int64_t
passive_price(gen *g, int side)
{
	int64_t off = 1 + (int64_t)rng_below(&g->rng, SPREAD_LVL);

	if (side == MC_BUY)
	{
		int64_t p = MID - off, ask = best(g, MC_SELL);

		return p < ask ? p : ask - 1;
	}
	else
	{
		int64_t p = MID + off, bid = best(g, MC_BUY);

		return p > bid ? p : bid + 1;
	}
}

static mc_command
gen_command(gen *g)
{
	uint64_t r = rng_below(&g->rng, 100);
	uint64_t seq = ++g->seq;
	uint32_t acct = 1 + (uint32_t)rng_below(&g->rng, ACCOUNTS);
	int side = rng_below(&g->rng, 2) ? MC_BUY : MC_SELL;
	int opp = side == MC_BUY ? MC_SELL : MC_BUY;

	if (r < 12 || g->n_live < 2)
	{
		/*
		 * New order: 9% GTC, 3% IOC.  IOCs cross the spread but are small
		 * (mostly partial fills).  A fifth of the GTCs cross, half while the
		 * book holds more than PREFILL orders; with the crossing moves below
		 * this holds the book near PREFILL orders without draining it.
		 */
		int ioc = r >= 9 && r < 12;
		int cross = ioc || rng_below(&g->rng, g->n_live > PREFILL ? 2 : 5) == 0;
		int64_t qty = 1 + (int64_t)rng_below(&g->rng, ioc ? 30 : 100);
		int64_t px;

		if (cross)
		{
			int64_t b = best(g, opp);
			int64_t through = (int64_t)rng_below(&g->rng, 3);

			px = side == MC_BUY ? b + through : b - through;
		}
		else
			px = passive_price(g, side);
		{
			mc_command c = cmd_new(seq, g->next_id++, 0, acct, side, MC_LIMIT,
			                       ioc ? MC_IOC : MC_GTC, px, qty);

			g->n_new++;
			/* new orders are 9% GTC + 3% IOC of the commands: 2 GTCs in 15
			 * make 1.2% of commands, 10% of the new orders (make_workload
			 * prints the fraction reached) */
			if (g->newtypes && !ioc && rng_below(&g->rng, 15) < 2)
			{
				uint64_t k = rng_below(&g->rng, 3);

				g->n_newtypes++;
				if (k == 0)
					c.flags = MC_CMDF_POST_ONLY; /* a crossing one is rejected */
				else if (k == 1)
				{
					c.tif = MC_GTD; /* lives up to 20,000 commands */
					c.expire_time = c.timestamp + 10 * (1 + rng_below(&g->rng, 20000));
				}
				else
				{
					/* a stop-limit a few ticks through the opposite best: it
					 * waits, or is refused when the last trade reached it */
					int64_t o = best(g, opp), d = 1 + (int64_t)rng_below(&g->rng, 3);

					c.type = MC_STOP_LIMIT;
					c.stop_price = side == MC_BUY ? o + d : o - d;
					c.price = side == MC_BUY ? c.stop_price + 2 : c.stop_price - 2;
					if (c.price <= 0 || c.stop_price <= 0)
						c.price = c.stop_price = 1;
				}
			}
			return c;
		}
	}
	{
		uint64_t id = g->live[rng_below(&g->rng, g->n_live)];
		mc_order_info o;

		mc_engine_order(g->shadow, id, &o);
		if (r < 18)
			return cmd_cancel(seq, id, o.account);
		if (rng_below(&g->rng, 5) == 0)
		{
			/* size change: mostly down (keeps priority), sometimes up */
			int64_t q = rng_below(&g->rng, 10) < 7 && o.leaves > 1
			                ? 1 + (int64_t)rng_below(&g->rng, (uint64_t)o.leaves - 1)
			                : o.leaves + 1 + (int64_t)rng_below(&g->rng, 20);

			return cmd_amend(seq, id, o.account, o.price, q);
		}
		/* move: a few ticks, staying passive; while the book holds more than
		 * PREFILL orders, 1 in 6 moves to the opposite best and trades */
		{
			int64_t step = 1 + (int64_t)rng_below(&g->rng, 5);
			int64_t px = rng_below(&g->rng, 2) ? o.price + step : o.price - step;

			if (g->n_live > PREFILL && rng_below(&g->rng, 6) == 0)
				px = best(g, o.side == MC_BUY ? MC_SELL : MC_BUY);
			else if (o.side == MC_BUY && px >= best(g, MC_SELL))
				px = best(g, MC_SELL) - 1;
			else if (o.side == MC_SELL && px <= best(g, MC_BUY))
				px = best(g, MC_BUY) + 1;
			if (px <= 0)
				px = 1;
			return cmd_amend(seq, id, o.account, px, o.leaves);
		}
	}
}

static mc_engine *
new_engine(void)
{
	mc_engine_config cfg = {1, 1 << 16, 1 << 16, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 0, 0, 0};
	mc_engine *e = mc_engine_create(&cfg);

	if (e == NULL || mc_engine_add_symbol(e, 0, &sc) != MC_R_NONE)
	{
		fprintf(stderr, "bench: cannot create engine\n");
		exit(1);
	}
	return e;
}

static void
make_workload(workload *w, size_t n_cmds, uint64_t seed, int newtypes)
{
	gen *g = calloc(1, sizeof(gen));
	size_t cap = n_cmds + PREFILL + 1;

	g->rng = seed;
	g->newtypes = newtypes;
	g->shadow = new_engine();
	g->next_id = 1;
	/* ids are only consumed by new orders, so cap bounds them */
	g->live = calloc(cap + 1, sizeof(uint64_t));
	g->pos = calloc(cap + 1, sizeof(uint32_t));
	w->cmds = malloc(sizeof(mc_command) * cap);
	w->n = 0;
	w->trading = 0;

	w->cmds[w->n] = cmd_session(++g->seq, 0, MC_SESSION_OPEN);
	shadow_apply(g, &w->cmds[w->n++]);
	while (g->n_live < PREFILL)
	{
		int side = rng_below(&g->rng, 2) ? MC_BUY : MC_SELL;

		w->cmds[w->n] =
		    cmd_new(++g->seq, g->next_id++, 0, 1 + (uint32_t)rng_below(&g->rng, ACCOUNTS),
		            side, MC_LIMIT, MC_GTC, passive_price(g, side),
		            1 + (int64_t)rng_below(&g->rng, 100));
		shadow_apply(g, &w->cmds[w->n++]);
	}
	w->n_prefill = w->n;
	printf("# workload: prefill %zu orders on %u levels\n", g->n_live,
	       mc_engine_level_count(g->shadow));
	for (size_t i = 0; i < n_cmds; i++)
	{
		uint64_t id, at;

		/* the sequencer's part: a GTD order whose time has come expires */
		if (newtypes && mc_engine_next_expiry(g->shadow, &id, &at) &&
		    at <= cmd_expire(g->seq + 1, id).timestamp)
			w->cmds[w->n] = cmd_expire(++g->seq, id);
		else
			w->cmds[w->n] = gen_command(g);
		w->trading += (uint64_t)shadow_apply(g, &w->cmds[w->n++]);
	}
	if (newtypes)
		printf("# workload: %.1f%% of the new orders of the new types (post-only, gtd, "
		       "stop-limit)\n",
		       100.0 * (double)g->n_newtypes / (double)g->n_new);
	if (newtypes)
		printf("# workload: %llu stop-limits waited in the stop book, %llu triggered\n",
		       (unsigned long long)g->n_stops_waiting,
		       (unsigned long long)g->n_triggered);
	printf("# workload: %zu commands, %.2f%% traded; at the end %u resting orders on "
	       "%u levels\n",
	       n_cmds, 100.0 * (double)w->trading / (double)n_cmds,
	       mc_engine_order_count(g->shadow), mc_engine_level_count(g->shadow));
	{
		size_t kinds[MC_CMD_EXPIRE + 1] = {0}, gtc = 0, ioc = 0;

		for (size_t i = w->n_prefill; i < w->n; i++)
		{
			kinds[w->cmds[i].kind]++;
			gtc += w->cmds[i].kind == MC_CMD_NEW && w->cmds[i].tif == MC_GTC;
			ioc += w->cmds[i].kind == MC_CMD_NEW && w->cmds[i].tif == MC_IOC;
		}
		printf("# workload mix: gtc %.1f%% ioc %.1f%% cancel %.1f%% amend %.1f%%\n",
		       100.0 * (double)gtc / (double)n_cmds, 100.0 * (double)ioc / (double)n_cmds,
		       100.0 * (double)kinds[MC_CMD_CANCEL] / (double)n_cmds,
		       100.0 * (double)kinds[MC_CMD_AMEND] / (double)n_cmds);
	}
	mc_engine_destroy(g->shadow);
	free(g->live);
	free(g->pos);
	free(g);
}

/* ------------------------------------------------------------ measurement */

static mc_event sink_buf[4096];
static uint64_t sink_events;

static mc_engine *
prefilled(const workload *w)
{
	mc_engine *e = new_engine();
	mc_sink sink = {sink_buf, 4096, 0, 0, NULL, NULL};

	for (size_t i = 0; i < w->n_prefill; i++)
	{
		sink.n = 0;
		mc_engine_apply(e, &w->cmds[i], &sink);
	}
	return e;
}

/* commands per second over cmds[n_prefill .. n_prefill + n) */
static double
run_throughput(const workload *w, size_t n)
{
	mc_engine *e = prefilled(w);
	mc_sink sink = {sink_buf, 4096, 0, 0, NULL, NULL};
	const mc_command *c = w->cmds + w->n_prefill;
	uint64_t t0, t1, events = 0;

	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
	{
		sink.n = 0;
		mc_engine_apply(e, &c[i], &sink);
		events += sink.n;
	}
	t1 = now_ns();
	sink_events += events;
	mc_engine_destroy(e);
	return (double)n * 1e9 / (double)(t1 - t0);
}

static uint64_t
timer_overhead(void)
{
	enum
	{
		K = 200000
	};
	static uint64_t d[K];

	for (int i = 0; i < K; i++)
	{
		uint64_t a = now_ns();
		uint64_t b = now_ns();

		d[i] = b - a;
	}
	qsort(d, K, sizeof(uint64_t), cmp_u64);
	return d[K / 2];
}

typedef struct lat
{
	double p50, p99, p999, max;
} lat;

static double
hist_pct(const uint32_t *h, uint64_t total, double q, uint64_t max)
{
	uint64_t want = (uint64_t)((double)total * q), acc = 0;

	for (uint32_t i = 0; i < HIST_NS; i++)
	{
		acc += h[i];
		if (acc > want)
			return i;
	}
	return (double)max; /* beyond the histogram: report the max */
}

static lat
run_latency(const workload *w, size_t n, uint64_t overhead)
{
	static uint32_t hist[HIST_NS];
	mc_engine *e = prefilled(w);
	mc_sink sink = {sink_buf, 4096, 0, 0, NULL, NULL};
	const mc_command *c = w->cmds + w->n_prefill;
	uint64_t max = 0;
	lat r;

	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t t0, t1, d;

		sink.n = 0;
		t0 = now_ns();
		mc_engine_apply(e, &c[i], &sink);
		t1 = now_ns();
		d = t1 - t0 > overhead ? t1 - t0 - overhead : 0;
		if (d > max)
			max = d;
		hist[d < HIST_NS ? d : HIST_NS - 1]++;
	}
	mc_engine_destroy(e);
	r.p50 = hist_pct(hist, n, 0.50, max);
	r.p99 = hist_pct(hist, n, 0.99, max);
	r.p999 = hist_pct(hist, n, 0.999, max);
	r.max = (double)max;
	return r;
}

static double
run_naive(const workload *w, size_t n)
{
	mc_engine_config cfg = {1, 1 << 16, 1 << 16, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 0, 0, 0};
	naive *nv = naive_create(&cfg);
	evlog log = {0};
	uint64_t t0, t1;

	naive_add_symbol(nv, 0, &sc);
	for (size_t i = 0; i < w->n_prefill; i++)
	{
		evlog_clear(&log);
		naive_apply(nv, &w->cmds[i], &log);
	}
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
	{
		evlog_clear(&log);
		naive_apply(nv, &w->cmds[w->n_prefill + i], &log);
	}
	t1 = now_ns();
	naive_destroy(nv);
	evlog_free(&log);
	return (double)n * 1e9 / (double)(t1 - t0);
}

/* ------------------------------------------------------------ order manager */

static pgx_str
bstr(const char *s)
{
	pgx_str r = {s, (uint16_t)strlen(s)};

	return r;
}

/* An order manager for the workload: one symbol, every account verified,
 * funded and holding shares, limits far above what the workload needs. */
static om *
new_om(void)
{
	om_config cfg = {.max_accounts = ACCOUNTS + 1,
	                 .max_symbols = 1,
	                 .max_orders = 1 << 16,
	                 .max_positions = ACCOUNTS + 1};
	om *m = om_create(&cfg);
	om_refusal f;
	const char *limits = "{\"max_order_notional\": 1000000000000000, "
	                     "\"max_daily_notional\": 4000000000000000000, "
	                     "\"max_open_orders\": 1000000, \"orders_per_second\": 1000000, "
	                     "\"burst\": 1000000}";

	if (m == NULL || om_add_symbol(m, 0, bstr("USD"), 1, MID, &f) != 0)
	{
		fprintf(stderr, "bench: cannot create the order manager\n");
		exit(1);
	}
	for (uint32_t a = 0; a <= ACCOUNTS; a++)
	{
		om_add_account(m, a, OM_KYC_VERIFIED);
		if (om_set_account_limits(m, a, bstr(limits), &f) != 0 ||
		    om_cash(m, a, bstr("USD"), INT64_C(1) << 50, 0, 0, &f) != 0 ||
		    om_shares(m, a, 0, INT64_C(1) << 38, 0, 0, &f) != 0)
		{
			fprintf(stderr, "bench: cannot fund account %u: %s\n", a, f.message);
			exit(1);
		}
	}
	om_set_market_open(m, 1);
	return m;
}

static uint64_t om_refused;

/* One command through the order manager and the core, as pl_apply does
 * (with pl_stamp's rate check): a cancel or an amend asks the core for its
 * order first and hints the order manager with the order's tag, a new order
 * gives the core the tag of its ledger entry. */
static inline void
om_apply(om *m, mc_engine *e, const mc_command *in, mc_sink *sink, int64_t ts)
{
	mc_command c = *in;
	mc_order_info info;
	om_refusal f;

	sink->n = 0;
	if ((c.kind == MC_CMD_CANCEL || c.kind == MC_CMD_AMEND) &&
	    mc_engine_order(e, c.order_id, &info))
		om_hint(m, &info);
	if (c.kind == MC_CMD_NEW)
	{
		if (om_rate_check(m, c.account, ts, &f) != 0)
		{
			om_refused++;
			return;
		}
		om_rate_take(m, c.account, ts);
		if (om_new_order(m, &c, (int64_t)c.seq, &f) != 0)
		{
			om_refused++;
			return;
		}
	}
	else if (c.kind == MC_CMD_AMEND)
	{
		if (om_rate_check(m, c.account, ts, &f) != 0 || om_check_amend(m, &c, &f) != 0)
		{
			om_refused++;
			return;
		}
		om_rate_take(m, c.account, ts);
	}
	mc_engine_apply_tagged(e, &c, c.kind == MC_CMD_NEW ? om_order_tag(m) : 0, sink);
	for (uint32_t k = 0; k < sink->n; k++)
	{
		om_fill fill;

		om_on_event(m, &sink->buf[k], (int64_t)c.seq, &fill);
	}
	if (c.kind == MC_CMD_NEW)
		om_after_new(m, c.order_id, (int64_t)c.seq);
}

/* commands per second through the order manager and the core */
static double
run_om_throughput(const workload *w, size_t n)
{
	mc_engine *e = new_engine();
	om *m = new_om();
	mc_sink sink = {sink_buf, 4096, 0, 0, NULL, NULL};
	const mc_command *c = w->cmds;
	uint64_t t0, t1;
	int64_t ts = 1;

	for (size_t i = 0; i < w->n_prefill; i++)
		om_apply(m, e, &c[i], &sink, ts++);
	t0 = now_ns();
	for (size_t i = w->n_prefill; i < w->n_prefill + n; i++)
		om_apply(m, e, &c[i], &sink, ts++);
	t1 = now_ns();
	{
		char why[256];

		if (om_check_invariants(m, why, sizeof(why)) != 0)
		{
			fprintf(stderr, "bench: order manager invariant broken: %s\n", why);
			exit(1);
		}
	}
	mc_engine_destroy(e);
	om_destroy(m);
	return (double)n / ((double)(t1 - t0) / 1e9);
}

int
main(void)
{
	const char *mode = getenv("BENCH_MODE");
	int longmode = mode && strcmp(mode, "long") == 0;
	size_t n_short = 1000000, n_replay = 10000000;
	int reps_tp = longmode ? 11 : 5, reps_lat = longmode ? 5 : 3;
	int reps_replay = longmode ? 5 : 3, reps_naive = longmode ? 3 : 1;
	size_t n_lat = longmode ? n_replay : n_short;
	uint64_t seed = env_seed("PGX_SEED", 20261123);
	double tp[32], r10[16], nv[16], p50[16], p99[16], p999[16], pmax[16], omtp[16];
	uint64_t overhead;
	workload w;
	double newtypes_tp, newtypes_base, newtypes_p50, newtypes_p999, newtypes_max;
	uint64_t t_start = now_ns();

	setvbuf(stdout, NULL, _IOLBF, 0);
	{
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == 0)
			printf("# pinned to cpu %d\n", cpu);
	}
	printf("# mode %s, PGX_SEED=%llu\n", longmode ? "long" : "short",
	       (unsigned long long)seed);
	make_workload(&w, n_replay, seed, 0);
	printf("# trading commands in the first 1M: ");
	{
		/* count in the 1M window the throughput runs use */
		mc_engine *e = prefilled(&w);
		mc_sink sink = {sink_buf, 4096, 0, 0, NULL, NULL};
		uint64_t trading = 0;

		for (size_t i = 0; i < n_short; i++)
		{
			sink.n = 0;
			mc_engine_apply(e, &w.cmds[w.n_prefill + i], &sink);
			for (uint32_t k = 0; k < sink.n; k++)
				if (sink_buf[k].kind == MC_EV_TRADE)
				{
					trading++;
					break;
				}
		}
		mc_engine_destroy(e);
		printf("%.2f%%\n", 100.0 * (double)trading / (double)n_short);
		printf("BENCH core_trade_fraction %.2f %%\n",
		       100.0 * (double)trading / (double)n_short);
	}

	overhead = timer_overhead();
	printf("BENCH timer_overhead %llu ns\n", (unsigned long long)overhead);

	for (int i = 0; i < reps_tp; i++)
	{
		tp[i] = run_throughput(&w, n_short);
		printf("# core throughput rep %d: %.0f cmd/s\n", i + 1, tp[i]);
	}
	/* interleaved with the core alone, so that both see the same machine */
	for (int i = 0; i < reps_tp; i++)
	{
		omtp[i] = run_om_throughput(&w, n_short);
		printf("# core + order manager throughput rep %d: %.0f cmd/s (%llu refused)\n",
		       i + 1, omtp[i], (unsigned long long)om_refused);
		tp[reps_tp + i] = run_throughput(&w, n_short);
	}
	if (om_refused != 0)
	{
		fprintf(stderr, "bench: the order manager refused %llu commands\n",
		        (unsigned long long)om_refused);
		return 1;
	}
	for (int i = 0; i < reps_lat; i++)
	{
		lat l = run_latency(&w, n_lat, overhead);

		p50[i] = l.p50;
		p99[i] = l.p99;
		p999[i] = l.p999;
		pmax[i] = l.max;
		printf("# core latency rep %d over %zu cmds: p50 %.0f p99 %.0f p99.9 %.0f max "
		       "%.0f ns\n",
		       i + 1, n_lat, l.p50, l.p99, l.p999, l.max);
	}
	for (int i = 0; i < reps_replay; i++)
	{
		r10[i] = run_throughput(&w, n_replay);
		printf("# core 10M replay rep %d: %.0f cmd/s\n", i + 1, r10[i]);
	}
	for (int i = 0; i < reps_naive; i++)
	{
		nv[i] = run_naive(&w, n_short);
		printf("# naive throughput rep %d: %.0f cmd/s\n", i + 1, nv[i]);
	}
	/* the 1.8 order types: a stream of its own, interleaved with the
	 * baseline so that both see the same machine */
	{
		workload wn;
		double ntp[32], btp[32], n99[16], n50[16], nmax[16];

		make_workload(&wn, n_short, seed, 1);
		for (int i = 0; i < reps_tp; i++)
		{
			ntp[i] = run_throughput(&wn, n_short);
			btp[i] = run_throughput(&w, n_short);
			printf("# new-types throughput rep %d: %.0f cmd/s (baseline %.0f)\n", i + 1,
			       ntp[i], btp[i]);
		}
		for (int i = 0; i < reps_lat; i++)
		{
			lat l = run_latency(&wn, n_short, overhead);

			n50[i] = l.p50;
			n99[i] = l.p999;
			nmax[i] = l.max;
			printf("# new-types latency rep %d: p50 %.0f p99.9 %.0f max %.0f ns\n", i + 1,
			       l.p50, l.p999, l.max);
		}
		newtypes_tp = median_dbl(ntp, reps_tp);
		newtypes_base = median_dbl(btp, reps_tp);
		newtypes_p50 = median_dbl(n50, reps_lat);
		newtypes_p999 = median_dbl(n99, reps_lat);
		newtypes_max = median_dbl(nmax, reps_lat);
		free(wn.cmds);
	}

	{
		double core = median_dbl(tp, reps_tp), naive_tp = median_dbl(nv, reps_naive);
		double with_om = median_dbl(omtp, reps_tp);
		double core_again = median_dbl(tp + reps_tp, reps_tp);

		printf("BENCH core_throughput %.0f cmd/s\n", core);
		printf("BENCH core_latency_p50 %.0f ns\n", median_dbl(p50, reps_lat));
		printf("BENCH core_latency_p99 %.0f ns\n", median_dbl(p99, reps_lat));
		printf("BENCH core_latency_p99_9 %.0f ns\n", median_dbl(p999, reps_lat));
		printf("BENCH core_latency_max %.0f ns\n", median_dbl(pmax, reps_lat));
		printf("BENCH core_replay_10m_throughput %.0f cmd/s\n",
		       median_dbl(r10, reps_replay));
		printf("BENCH naive_throughput %.0f cmd/s\n", naive_tp);
		printf("BENCH core_vs_naive_ratio %.1f x\n", core / naive_tp);
		printf("BENCH core_om_throughput %.0f cmd/s\n", with_om);
		printf("BENCH om_overhead_ratio %.2f x\n", with_om / core_again);
		printf("BENCH core_newtypes_throughput %.0f cmd/s\n", newtypes_tp);
		printf("BENCH core_newtypes_latency_p50 %.0f ns\n", newtypes_p50);
		printf("BENCH core_newtypes_latency_p99_9 %.0f ns\n", newtypes_p999);
		printf("BENCH core_newtypes_latency_max %.0f ns\n", newtypes_max);
		printf("BENCH core_newtypes_ratio %.2f x\n", newtypes_tp / newtypes_base);
	}
	printf("# total bench time %.1f s\n", (double)(now_ns() - t_start) / 1e9);
	free(w.cmds);
	return 0;
}
