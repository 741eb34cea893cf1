/*
 * test_lobster.c - replay real NASDAQ order flow (LOBSTER sample) through
 * the core and measure how closely it reproduces what NASDAQ did.
 *
 * Data: PGX_LOBSTER_DIR, default <repo>/../shared/data/lobster (read in
 * place, never copied).  Without it the test is skipped, so machines without
 * ../shared still pass.  See that folder's README.md for the format.
 *
 * Replay (one symbol, tick = $0.01 = 100 LOBSTER price units):
 *   - the book before message 1 is orderbook row 1 with message 1 undone,
 *     seeded as one anonymous GTC order per level;
 *   - type 1 (new limit)      -> NEW limit GTC with the LOBSTER order id;
 *   - type 2 (partial cancel) -> AMEND quantity down (keeps priority), or
 *                                CANCEL when nothing is left;
 *   - type 3 (delete)         -> CANCEL;
 *     (orders placed before the sample are unknown: type 2/3 on them reduce
 *      the anonymous seed order at that price instead)
 *   - type 4 (visible execution) -> IOC on the other side at that price and
 *                                size, and we check which order it hits;
 *   - type 5 (hidden), 6 (cross), 7 (halt) are not replayed.
 * After every message L1 (and the 10 visible levels) are compared with the
 * orderbook file.  The test asserts that every type-4 execution on an order
 * we know traded against exactly that order first (price-time priority).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
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

#ifndef MC_REPO_ROOT
#define MC_REPO_ROOT "."
#endif

#define SEED_ID_BASE  1000000000000ULL /* anonymous seed orders */
#define TAKER_ID_BASE 2000000000000ULL /* replayed executions */
#define TICK          100
#define MAX_LEVELS    10

typedef struct msg
{
	uint64_t time_ns;
	int type;
	uint64_t id;
	int64_t size;
	int64_t price; /* LOBSTER units */
	int dir;
} msg;

typedef struct row
{
	int64_t v[4 * MAX_LEVELS]; /* ask px, ask size, bid px, bid size per level */
} row;

static char msg_path[8192], book_path[8192];

/* "34200.004241176" -> nanoseconds, without floating point */
static uint64_t
parse_time(const char *s)
{
	uint64_t sec = strtoull(s, NULL, 10), frac = 0;
	const char *dot = strchr(s, '.');
	int digits = 0;

	if (dot)
		for (const char *p = dot + 1; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			frac = frac * 10 + (uint64_t)(*p - '0');
	while (digits++ < 9)
		frac *= 10;
	return sec * 1000000000ULL + frac;
}

static size_t
load_messages(msg **out)
{
	FILE *f = fopen(msg_path, "r");
	char line[512];
	size_t n = 0, cap = 1024;
	msg *v = malloc(cap * sizeof(msg));

	while (f && fgets(line, sizeof(line), f))
	{
		char *p = line;
		msg m;

		m.time_ns = parse_time(p);
		p = strchr(p, ',') + 1;
		m.type = (int)strtol(p, &p, 10);
		m.id = strtoull(p + 1, &p, 10);
		m.size = strtoll(p + 1, &p, 10);
		m.price = strtoll(p + 1, &p, 10);
		m.dir = (int)strtol(p + 1, &p, 10);
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(msg));
		v[n++] = m;
	}
	if (f)
		fclose(f);
	*out = v;
	return n;
}

static size_t
load_rows(row **out)
{
	FILE *f = fopen(book_path, "r");
	char line[2048];
	size_t n = 0, cap = 1024;
	row *v = malloc(cap * sizeof(row));

	while (f && fgets(line, sizeof(line), f))
	{
		char *p = line;
		row r;

		memset(&r, 0, sizeof(r));
		for (int i = 0; i < 4 * MAX_LEVELS && *p && *p != '\n'; i++)
		{
			r.v[i] = strtoll(p, &p, 10);
			if (*p == ',')
				p++;
		}
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(row));
		v[n++] = r;
	}
	if (f)
		fclose(f);
	*out = v;
	return n;
}

/* Finds the message and orderbook files; 0 if the data is not there. */
static int
locate_data(void)
{
	const char *dir = getenv("PGX_LOBSTER_DIR");
	char def[2048];
	DIR *d;
	struct dirent *de;

	if (dir == NULL || *dir == '\0')
	{
		snprintf(def, sizeof(def), "%s/../shared/data/lobster", MC_REPO_ROOT);
		dir = def;
	}
	if (strlen(dir) > 2048)
		return 0;
	d = opendir(dir);
	if (d == NULL)
		return 0;
	msg_path[0] = book_path[0] = '\0';
	while ((de = readdir(d)) != NULL)
	{
		if (strstr(de->d_name, "_message_") && strstr(de->d_name, ".csv"))
			snprintf(msg_path, sizeof(msg_path), "%.2048s/%.255s", dir, de->d_name);
		if (strstr(de->d_name, "_orderbook_") && strstr(de->d_name, ".csv"))
			snprintf(book_path, sizeof(book_path), "%.2048s/%.255s", dir, de->d_name);
	}
	closedir(d);
	return msg_path[0] && book_path[0];
}

typedef struct replay
{
	mc_engine *e;
	evlog log;
	uint64_t seq;
	uint64_t ts;
} replay;

static const evlog *
apply(replay *r, mc_command *c)
{
	c->seq = ++r->seq;
	c->timestamp = r->ts;
	evlog_clear(&r->log);
	core_apply(r->e, c, &r->log);
	return &r->log;
}

/* the anonymous seed order resting at (side, price), or 0 */
static uint64_t
seed_order_at(replay *r, int side, int64_t ticks)
{
	static mc_order_info o[4096];
	int n = mc_engine_l3(r->e, 0, side, o, 4096);

	for (int i = 0; i < n && i < 4096; i++)
		if (o[i].price == ticks && o[i].id >= SEED_ID_BASE && o[i].id < TAKER_ID_BASE)
			return o[i].id;
	return 0;
}

/* reduce a resting order by size: amend down, or cancel if nothing is left */
static void
reduce(replay *r, uint64_t id, int64_t size)
{
	mc_order_info oi;
	mc_command c;

	if (!mc_engine_order(r->e, id, &oi))
		return;
	if (oi.leaves > size)
		c = cmd_amend(0, id, oi.account, oi.price, oi.leaves - size);
	else
		c = cmd_cancel(0, id, oi.account);
	apply(r, &c);
}

/* Does our book's top `levels` levels equal the file's row? */
static int
book_agrees(replay *r, const row *w, int levels)
{
	mc_level_info a[MAX_LEVELS], b[MAX_LEVELS];
	int na = mc_engine_l2(r->e, 0, MC_SELL, a, levels);
	int nb = mc_engine_l2(r->e, 0, MC_BUY, b, levels);

	for (int i = 0; i < levels; i++)
	{
		int64_t ap = w->v[4 * i], as = w->v[4 * i + 1];
		int64_t bp = w->v[4 * i + 2], bs = w->v[4 * i + 3];

		if (as == 0 ? i < na : (i >= na || a[i].price * TICK != ap || a[i].qty != as))
			return 0;
		if (bs == 0 ? i < nb : (i >= nb || b[i].price * TICK != bp || b[i].qty != bs))
			return 0;
	}
	return 1;
}

static void
test_lobster_replay(void **state)
{
	msg *m = NULL;
	row *w = NULL;
	size_t nm, nw;
	replay r;
	mc_engine_config cfg = {1, 100000, 100000, NULL};
	mc_symbol_config sc = {MC_STP_CANCEL_OLDEST, 0, 0, 0};
	int64_t seed_ask[MAX_LEVELS + 1][2], seed_bid[MAX_LEVELS + 1][2];
	int n_ask = 0, n_bid = 0;
	uint64_t n_exec = 0, exec_known = 0, exec_same = 0, exec_unknown = 0,
	         exec_unknown_seed = 0, exec_unknown_with_seed = 0, exec_full = 0, hidden = 0,
	         other = 0, l1_ok = 0, l2_ok = 0, new_crossed = 0;

	(void)state;
	if (!locate_data())
	{
		printf("lobster: data not found (set PGX_LOBSTER_DIR); skipping\n");
		skip();
	}
	nm = load_messages(&m);
	nw = load_rows(&w);
	printf("lobster: %s\nlobster: %zu messages, %zu book rows\n", msg_path, nm, nw);
	assert_true(nm > 0);
	assert_int_equal(nm, nw);

	/* the book before message 1 = row 1 with message 1 undone */
	for (int i = 0; i < MAX_LEVELS; i++)
	{
		if (w[0].v[4 * i + 1] > 0)
		{
			seed_ask[n_ask][0] = w[0].v[4 * i];
			seed_ask[n_ask++][1] = w[0].v[4 * i + 1];
		}
		if (w[0].v[4 * i + 3] > 0)
		{
			seed_bid[n_bid][0] = w[0].v[4 * i + 2];
			seed_bid[n_bid++][1] = w[0].v[4 * i + 3];
		}
	}
	{
		int64_t(*lv)[2] = m[0].dir == 1 ? seed_bid : seed_ask;
		int *n = m[0].dir == 1 ? &n_bid : &n_ask;
		int64_t delta = m[0].type == 1 ? -m[0].size : m[0].size;
		int found = 0;

		for (int i = 0; i < *n; i++)
			if (lv[i][0] == m[0].price)
			{
				lv[i][1] += delta;
				found = 1;
			}
		if (!found && delta > 0)
		{
			lv[*n][0] = m[0].price;
			lv[(*n)++][1] = delta;
		}
	}

	memset(&r, 0, sizeof(r));
	r.e = mc_engine_create(&cfg);
	assert_int_equal(mc_engine_add_symbol(r.e, 0, &sc), MC_R_NONE);
	r.ts = m[0].time_ns;
	{
		mc_command c = cmd_session(0, 0, MC_SESSION_OPEN);
		uint64_t k = 0;

		apply(&r, &c);
		for (int i = 0; i < n_bid; i++)
			if (seed_bid[i][1] > 0)
			{
				c = cmd_new(0, SEED_ID_BASE + k, 0, (uint32_t)(1000000 + k), MC_BUY,
				            MC_LIMIT, MC_GTC, seed_bid[i][0] / TICK, seed_bid[i][1]);
				k++;
				assert_int_equal(apply(&r, &c)->ev[0].kind, MC_EV_ACCEPTED);
			}
		for (int i = 0; i < n_ask; i++)
			if (seed_ask[i][1] > 0)
			{
				c = cmd_new(0, SEED_ID_BASE + k, 0, (uint32_t)(1000000 + k), MC_SELL,
				            MC_LIMIT, MC_GTC, seed_ask[i][0] / TICK, seed_ask[i][1]);
				k++;
				assert_int_equal(apply(&r, &c)->ev[0].kind, MC_EV_ACCEPTED);
			}
	}

	for (size_t k = 0; k < nm; k++)
	{
		const msg *x = &m[k];
		int side = x->dir == 1 ? MC_BUY : MC_SELL;
		int64_t ticks = x->price / TICK;
		mc_order_info oi;
		mc_command c;
		const evlog *l;

		r.ts = x->time_ns;
		assert_int_equal(x->price % TICK, 0);
		switch (x->type)
		{
			case 1:
				c = cmd_new(0, x->id, 0, (uint32_t)x->id, side, MC_LIMIT, MC_GTC, ticks,
				            x->size);
				l = apply(&r, &c);
				new_crossed += l->n > 0 && l->ev[0].kind == MC_EV_TRADE;
				break;
			case 2:
			case 3:
				if (mc_engine_order(r.e, x->id, &oi))
				{
					if (x->type == 3)
					{
						c = cmd_cancel(0, x->id, oi.account);
						apply(&r, &c);
					}
					else
						reduce(&r, x->id, x->size);
				}
				else
				{
					uint64_t s = seed_order_at(&r, side, ticks);

					if (s)
						reduce(&r, s, x->size);
				}
				break;
			case 4:
			{
				int known = mc_engine_order(r.e, x->id, &oi);
				uint64_t seed = known ? 0 : seed_order_at(&r, side, ticks);
				int64_t traded = 0;

				n_exec++;
				c = cmd_new(0, TAKER_ID_BASE + k, 0, 999,
				            side == MC_BUY ? MC_SELL : MC_BUY, MC_LIMIT, MC_IOC, ticks,
				            x->size);
				l = apply(&r, &c);
				for (size_t i = 0; i < l->n; i++)
					if (l->ev[i].kind == MC_EV_TRADE)
						traded += l->ev[i].qty;
				exec_full += traded == x->size;
				if (known)
				{
					exec_known++;
					/* every fill of this execution must come from that order */
					if (l->n > 0 && l->ev[0].kind == MC_EV_TRADE &&
					    l->ev[0].maker_order_id == x->id && l->ev[0].price == ticks &&
					    traded == x->size && l->ev[l->n - 1].kind == MC_EV_TRADE)
						exec_same++;
					else
					{
						printf("lobster: execution %zu on order %llu hit:\n", k + 1,
						       (unsigned long long)x->id);
						for (size_t i = 0; i < l->n; i++)
							fprint_event(stdout, &l->ev[i]);
					}
				}
				else
				{
					exec_unknown++;
					exec_unknown_with_seed += seed != 0;
					exec_unknown_seed += seed && l->n > 0 &&
					                     l->ev[0].kind == MC_EV_TRADE &&
					                     l->ev[0].maker_order_id == seed;
				}
				break;
			}
			case 5:
				hidden++;
				break;
			default:
				other++;
				break;
		}
		l1_ok += book_agrees(&r, &w[k], 1);
		l2_ok += book_agrees(&r, &w[k], MAX_LEVELS);
	}

	printf("lobster: executions (type 4): %llu; on orders the replay knows: %llu, "
	       "hit that same order: %llu; filled in full: %llu\n",
	       (unsigned long long)n_exec, (unsigned long long)exec_known,
	       (unsigned long long)exec_same, (unsigned long long)exec_full);
	printf("lobster: executions on orders the replay does not know: %llu; a seed order "
	       "rested at that price for %llu of them, and %llu hit it\n",
	       (unsigned long long)exec_unknown, (unsigned long long)exec_unknown_with_seed,
	       (unsigned long long)exec_unknown_seed);
	printf("lobster: L1 agrees with the orderbook file after %llu of %zu messages "
	       "(%.1f%%); all 10 levels agree after %llu (%.1f%%)\n",
	       (unsigned long long)l1_ok, nm, 100.0 * (double)l1_ok / (double)nm,
	       (unsigned long long)l2_ok, 100.0 * (double)l2_ok / (double)nm);
	printf("lobster: hidden executions skipped: %llu, other skipped: %llu, new orders "
	       "that crossed: %llu\n",
	       (unsigned long long)hidden, (unsigned long long)other,
	       (unsigned long long)new_crossed);

	assert_true(exec_known > 0);
	assert_int_equal(exec_same, exec_known);

	mc_engine_destroy(r.e);
	evlog_free(&r.log);
	free(m);
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lobster_replay),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
