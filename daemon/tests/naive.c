/*
 * naive.c - the reference engine; see naive.h.  Clarity over speed: every
 * rule is written as directly as possible, mirroring the contract in
 * engine.h and events.h rather than the core's code.
 */
#include "naive.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

int naive_bug = 0;

typedef struct nord
{
	mc_order_info o;
	uint64_t stamp; /* time priority: smaller trades first */
} nord;

typedef struct nsym
{
	int in_use;
	int status;
	int stp;
	uint32_t max_orders;
	uint32_t max_levels; /* per side */
	nord *v;
	size_t n, cap;
	/* stops waiting to trigger: never in the book (v) */
	nord *st;
	size_t n_st, cap_st;
	int64_t last; /* last trade price, 0 before the first */
} nsym;

struct naive
{
	mc_engine_config cfg;
	nsym *syms;
	uint64_t stamp;
	/* current command */
	evlog *out;
	uint64_t seq, ts;
	uint32_t idx;
};

naive *
naive_create(const mc_engine_config *cfg)
{
	naive *n = calloc(1, sizeof(*n));

	n->cfg = *cfg;
	n->syms = calloc(cfg->max_symbols, sizeof(nsym));
	return n;
}

void
naive_destroy(naive *n)
{
	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
	{
		free(n->syms[i].v);
		free(n->syms[i].st);
	}
	free(n->syms);
	free(n);
}

int
naive_add_symbol(naive *n, uint32_t symbol, const mc_symbol_config *cfg)
{
	nsym *s;

	if (symbol >= n->cfg.max_symbols)
		return MC_R_UNKNOWN_SYMBOL;
	s = &n->syms[symbol];
	if (s->in_use)
		return MC_R_SYMBOL_EXISTS;
	s->in_use = 1;
	s->status = MC_STATUS_CLOSED;
	s->stp = cfg->stp ? cfg->stp : MC_STP_CANCEL_OLDEST;
	s->max_orders = cfg->max_orders ? cfg->max_orders : n->cfg.max_orders;
	s->max_levels = cfg->max_levels ? cfg->max_levels : n->cfg.max_levels;
	return MC_R_NONE;
}

static nsym *
sym_of(const naive *n, uint32_t symbol)
{
	if (symbol >= n->cfg.max_symbols || !n->syms[symbol].in_use)
		return NULL;
	return &n->syms[symbol];
}

/* ------------------------------------------------------------- helpers */

static mc_event *
emit(naive *n, int kind, uint32_t symbol)
{
	mc_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.seq = n->seq;
	ev.timestamp = n->ts;
	ev.idx = n->idx++;
	ev.symbol = symbol;
	ev.kind = (uint8_t)kind;
	evlog_push(n->out, &ev);
	return &n->out->ev[n->out->n - 1];
}

static int
better(int side, int64_t a, int64_t b)
{
	return side == MC_BUY ? a > b : a < b;
}

/* does order x come before y in its side's priority (price, then time)? */
static int
before(const nord *x, const nord *y)
{
	if (x->o.price != y->o.price)
		return better(x->o.side, x->o.price, y->o.price);
	if (naive_bug == 1)
		return x->stamp > y->stamp;
	return x->stamp < y->stamp;
}

static int
cmp_priority(const void *a, const void *b)
{
	const nord *x = a, *y = b;

	if (x->o.side != y->o.side)
		return x->o.side - y->o.side; /* BUY (1) before SELL (2) */
	return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

/* the symbol's orders of one side, in priority order (caller frees) */
static nord *
sorted_side(const nsym *s, int side, size_t *count)
{
	nord *v = malloc((s->n + 1) * sizeof(nord));
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].o.side == side)
			v[k++] = s->v[i];
	qsort(v, k, sizeof(nord), cmp_priority);
	*count = k;
	return v;
}

static long
find(const nsym *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].o.id == id)
			return (long)i;
	return -1;
}

static void
erase(nsym *s, size_t i)
{
	s->v[i] = s->v[s->n - 1];
	s->n--;
}

/* distinct prices (stops: stop prices) of one side of an array of orders */
static size_t
distinct_in(const nord *v, size_t n, int side, int by_stop)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
	{
		int seen = 0;
		int64_t key = by_stop ? v[i].o.stop_price : v[i].o.price;

		if (v[i].o.side != side)
			continue;
		for (size_t j = 0; j < i; j++)
			if (v[j].o.side == side &&
			    (by_stop ? v[j].o.stop_price : v[j].o.price) == key)
				seen = 1;
		count += !seen;
	}
	return count;
}

static size_t
distinct_prices(const nsym *s, int side)
{
	return distinct_in(s->v, s->n, side, 0);
}

static int
has_price(const nsym *s, int side, int64_t price)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].o.side == side && s->v[i].o.price == price)
			return 1;
	return 0;
}

/* distinct stop prices of the stops of one side */
static size_t
distinct_stop_prices(const nsym *s, int side)
{
	return distinct_in(s->st, s->n_st, side, 1);
}

static int
has_stop_price(const nsym *s, int side, int64_t stop)
{
	for (size_t i = 0; i < s->n_st; i++)
		if (s->st[i].o.side == side && s->st[i].o.stop_price == stop)
			return 1;
	return 0;
}

static size_t
total_orders(const naive *n)
{
	size_t t = 0;

	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
		t += n->syms[i].n + n->syms[i].n_st;
	return t;
}

static size_t
total_levels(const naive *n)
{
	size_t t = 0;

	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
		t += distinct_prices(&n->syms[i], MC_BUY) +
		     distinct_prices(&n->syms[i], MC_SELL) +
		     distinct_stop_prices(&n->syms[i], MC_BUY) +
		     distinct_stop_prices(&n->syms[i], MC_SELL);
	return t;
}

/* the symbol holding order id (resting, or a waiting stop: *stop), or NULL;
 * *pos its index in v or st */
static nsym *
locate2(const naive *n, uint64_t id, long *pos, int *stop)
{
	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
	{
		const nsym *s = &n->syms[i];
		long p = find(s, id);

		if (p >= 0)
		{
			*pos = p;
			*stop = 0;
			return &n->syms[i];
		}
		for (size_t k = 0; k < s->n_st; k++)
			if (s->st[k].o.id == id)
			{
				*pos = (long)k;
				*stop = 1;
				return &n->syms[i];
			}
	}
	return NULL;
}

static nsym *
locate(const naive *n, uint64_t id, long *pos)
{
	int stop;

	return locate2(n, id, pos, &stop);
}

static int
reject(naive *n, const mc_command *c, int reason)
{
	mc_event *ev = emit(n, MC_EV_REJECTED, c->symbol);

	ev->order_id = c->order_id;
	ev->account = c->account;
	ev->side = c->side;
	ev->price = c->price;
	ev->qty = c->qty;
	ev->reason = (uint8_t)reason;
	return 0;
}

static int
cancel_event(naive *n, uint32_t sym, uint64_t id, uint32_t acct, int side, int64_t price,
             int64_t qty, int reason, int kind)
{
	mc_event *ev = emit(n, kind, sym);

	ev->order_id = id;
	ev->account = acct;
	ev->side = (uint8_t)side;
	ev->price = price;
	ev->qty = qty;
	ev->reason = (uint8_t)reason;
	return 0;
}

static int
capacity(const naive *n, const nsym *s, int side, int64_t price, int need_order)
{
	if (need_order)
	{
		if (s->n + s->n_st >= s->max_orders)
			return MC_R_SYMBOL_ORDER_LIMIT;
		if (total_orders(n) >= n->cfg.max_orders)
			return MC_R_ORDER_POOL_FULL;
	}
	/* a level holds at least one order, so there are never more levels than
	 * orders: when the orders alone are below a limit, skip counting levels */
	if (!has_price(s, side, price))
	{
		if (s->n >= s->max_levels && distinct_prices(s, side) >= s->max_levels)
			return MC_R_SYMBOL_LEVEL_LIMIT;
		if (total_orders(n) >= n->cfg.max_levels && total_levels(n) >= n->cfg.max_levels)
			return MC_R_LEVEL_POOL_FULL;
	}
	return MC_R_NONE;
}

/* Can a stop of this side wait at stop price `stop`? (its own stop level) */
static int
capacity_stop(const naive *n, const nsym *s, int side, int64_t stop)
{
	if (s->n + s->n_st >= s->max_orders)
		return MC_R_SYMBOL_ORDER_LIMIT;
	if (total_orders(n) >= n->cfg.max_orders)
		return MC_R_ORDER_POOL_FULL;
	if (!has_stop_price(s, side, stop))
	{
		if (distinct_stop_prices(s, side) >= s->max_levels)
			return MC_R_SYMBOL_LEVEL_LIMIT;
		if (total_orders(n) >= n->cfg.max_levels && total_levels(n) >= n->cfg.max_levels)
			return MC_R_LEVEL_POOL_FULL;
	}
	return MC_R_NONE;
}

/* ------------------------------------------------------------ matching */

typedef struct taker
{
	uint64_t id;
	uint32_t account;
	int side, type;
	int64_t price, leaves;
} taker;

static int
crosses(const taker *t, int64_t p)
{
	if (t->type == MC_MARKET)
		return 1;
	return t->side == MC_BUY ? p <= t->price : p >= t->price;
}

/* index of the opposite order that trades next, or -1 */
static long
next_maker(const nsym *s, const taker *t)
{
	int opp = t->side == MC_BUY ? MC_SELL : MC_BUY;
	long best = -1;

	for (size_t i = 0; i < s->n; i++)
	{
		const nord *x = &s->v[i];

		if (x->o.side != opp || !crosses(t, x->o.price))
			continue;
		if (best < 0 || before(x, &s->v[best]))
			best = (long)i;
	}
	return best;
}

static int
fok_fillable(const nsym *s, const taker *t)
{
	size_t k;
	nord *v = sorted_side(s, t->side == MC_BUY ? MC_SELL : MC_BUY, &k);
	int64_t avail = 0;
	int ok = 0;

	for (size_t i = 0; i < k && !ok; i++)
	{
		if (!crosses(t, v[i].o.price))
			break;
		if (v[i].o.account == t->account)
		{
			if (s->stp == MC_STP_CANCEL_NEWEST)
				break;
			continue;
		}
		avail += v[i].o.leaves;
		ok = avail >= t->leaves;
	}
	free(v);
	return ok;
}

/* 1 if STP canceled the taker */
static int
match(naive *n, nsym *s, uint32_t sym, taker *t)
{
	while (t->leaves > 0)
	{
		long i = next_maker(s, t);
		nord *m;

		if (i < 0)
			break;
		m = &s->v[i];
		if (m->o.account == t->account)
		{
			if (s->stp == MC_STP_CANCEL_NEWEST)
			{
				cancel_event(n, sym, t->id, t->account, t->side,
				             t->type == MC_LIMIT ? t->price : 0, t->leaves,
				             MC_R_STP_CANCEL_NEWEST, MC_EV_CANCELED);
				t->leaves = 0;
				return 1;
			}
			cancel_event(n, sym, m->o.id, m->o.account, m->o.side, m->o.price,
			             m->o.leaves, MC_R_STP_CANCEL_OLDEST, MC_EV_CANCELED);
			erase(s, (size_t)i);
			continue;
		}
		{
			int64_t q = m->o.leaves < t->leaves ? m->o.leaves : t->leaves;
			mc_event *ev;

			m->o.leaves -= q;
			m->o.filled += q;
			t->leaves -= q;
			s->last = m->o.price;
			ev = emit(n, MC_EV_TRADE, sym);
			ev->order_id = t->id;
			ev->account = t->account;
			ev->side = (uint8_t)t->side;
			ev->maker_order_id = m->o.id;
			ev->maker_account = m->o.account;
			ev->price = m->o.price;
			ev->qty = q;
			ev->leaves = t->leaves;
			ev->maker_leaves = m->o.leaves;
			if (m->o.leaves == 0)
				erase(s, (size_t)i);
		}
	}
	return 0;
}

static void
push(nsym *s, const nord *x)
{
	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(nord));
	}
	s->v[s->n++] = *x;
}

static void
push_stop(nsym *s, const nord *x)
{
	if (s->n_st == s->cap_st)
	{
		s->cap_st = s->cap_st ? s->cap_st * 2 : 64;
		s->st = realloc(s->st, s->cap_st * sizeof(nord));
	}
	s->st[s->n_st++] = *x;
}

/* does waiting stop x trigger before y (same side)? buys: lower stop price
 * first; sells: higher first; then older */
static int
stop_before(const nord *x, const nord *y)
{
	if (x->o.stop_price != y->o.stop_price)
		return x->o.side == MC_BUY ? x->o.stop_price < y->o.stop_price
		                           : x->o.stop_price > y->o.stop_price;
	return x->stamp < y->stamp;
}

/* the next stop of side to trigger at the last price, or -1 */
static long
next_stop(const nsym *s, int side)
{
	long best = -1;

	if (s->last == 0)
		return -1;
	for (size_t i = 0; i < s->n_st; i++)
	{
		const nord *x = &s->st[i];

		if (x->o.side != side ||
		    !(side == MC_BUY ? x->o.stop_price <= s->last : x->o.stop_price >= s->last))
			continue;
		if (best < 0 || stop_before(x, &s->st[best]))
			best = (long)i;
	}
	return best;
}

/* A triggered stop enters as a market (stop) or limit (stop-limit) order. */
static void
trigger(naive *n, nsym *s, uint32_t sym, long i)
{
	nord x = s->st[i];
	int restable = x.o.type == MC_STOP_LIMIT &&
	               (x.o.tif == MC_DAY || x.o.tif == MC_GTC || x.o.tif == MC_GTD);
	mc_event *ev;
	taker t;
	int r = MC_R_NONE;

	s->st[i] = s->st[--s->n_st];
	x.o.waiting = 0;
	ev = emit(n, MC_EV_TRIGGERED, sym);
	ev->order_id = x.o.id;
	ev->account = x.o.account;
	ev->side = x.o.side;
	ev->price = x.o.stop_price;
	ev->qty = x.o.leaves;
	ev->leaves = x.o.leaves;
	t.id = x.o.id;
	t.account = x.o.account;
	t.side = x.o.side;
	t.type = x.o.type == MC_STOP ? MC_MARKET : MC_LIMIT;
	t.price = x.o.price;
	t.leaves = x.o.leaves;
	if (t.type == MC_MARKET)
	{
		int any = 0;

		for (size_t k = 0; k < s->n; k++)
			any |= s->v[k].o.side != x.o.side;
		if (!any)
			r = MC_R_NO_LIQUIDITY;
	}
	if (r == MC_R_NONE && x.o.tif == MC_FOK && !fok_fillable(s, &t))
		r = MC_R_FOK_NOT_FILLABLE;
	else if (r == MC_R_NONE && (match(n, s, sym, &t) || t.leaves == 0))
		return;
	else if (r == MC_R_NONE && !restable)
		r = t.type == MC_MARKET ? MC_R_MARKET_REMAINDER : MC_R_IOC_REMAINDER;
	else if (r == MC_R_NONE && capacity(n, s, x.o.side, x.o.price, 0) != MC_R_NONE)
		r = MC_R_STOP_NO_LEVEL;
	if (r != MC_R_NONE)
	{
		cancel_event(n, sym, t.id, t.account, t.side, t.type == MC_LIMIT ? t.price : 0,
		             t.leaves, r, MC_EV_CANCELED);
		return;
	}
	x.o.filled += x.o.leaves - t.leaves;
	x.o.leaves = t.leaves;
	x.stamp = ++n->stamp;
	push(s, &x);
	ev = emit(n, MC_EV_ACCEPTED, sym);
	ev->order_id = x.o.id;
	ev->account = x.o.account;
	ev->side = x.o.side;
	ev->price = x.o.price;
	ev->qty = x.o.qty;
	ev->leaves = x.o.leaves;
}

/* the stops the command's trades reached, one at a time (buys first) */
static void
fire_stops(naive *n, uint32_t sym)
{
	nsym *s = sym_of(n, sym);
	long i;

	if (s == NULL)
		return;
	for (;;)
	{
		if ((i = next_stop(s, MC_BUY)) < 0 && (i = next_stop(s, MC_SELL)) < 0)
			break;
		trigger(n, s, sym, i);
	}
}

/* ------------------------------------------------------------ commands */

/* Is there an opposite order a limit order at price would trade with? */
static int
post_only_crosses(const nsym *s, int side, int64_t price)
{
	taker t = {.side = side, .type = MC_LIMIT, .price = price};

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].o.side != side && crosses(&t, s->v[i].o.price))
			return 1;
	return 0;
}

static int
new_order(naive *n, const mc_command *c)
{
	nsym *s = sym_of(n, c->symbol);
	int stop = c->type == MC_STOP || c->type == MC_STOP_LIMIT;
	int post_only = (c->flags & MC_CMDF_POST_ONLY) != 0;
	int restable =
	    c->type == MC_LIMIT && (c->tif == MC_DAY || c->tif == MC_GTC || c->tif == MC_GTD);
	int64_t price = c->type == MC_LIMIT ? c->price : 0;
	long dummy;
	int r;
	taker t;

	if (s == NULL)
		return reject(n, c, MC_R_UNKNOWN_SYMBOL);
	if (c->order_id == 0)
		return reject(n, c, MC_R_BAD_ORDER_ID);
	if (c->side != MC_BUY && c->side != MC_SELL)
		return reject(n, c, MC_R_BAD_SIDE);
	if (c->type != MC_LIMIT && c->type != MC_MARKET && !stop)
		return reject(n, c, MC_R_BAD_TYPE);
	if (c->tif < MC_DAY || c->tif > MC_GTD ||
	    ((c->type == MC_MARKET || c->type == MC_STOP) && c->tif != MC_IOC &&
	     c->tif != MC_FOK))
		return reject(n, c, MC_R_BAD_TIF);
	if (c->flags != 0 && c->flags != MC_CMDF_POST_ONLY)
		return reject(n, c, MC_R_BAD_COMMAND);
	if (post_only && (c->tif == MC_IOC || c->tif == MC_FOK))
		return reject(n, c, MC_R_BAD_TIF);
	if (post_only && c->type != MC_LIMIT)
		return reject(n, c, MC_R_BAD_TYPE);
	if ((c->type == MC_LIMIT || c->type == MC_STOP_LIMIT) &&
	    (c->price <= 0 || c->price > MC_MAX_PRICE))
		return reject(n, c, MC_R_BAD_PRICE);
	if (stop && (c->stop_price <= 0 || c->stop_price > MC_MAX_PRICE))
		return reject(n, c, MC_R_BAD_STOP_PRICE);
	if (!stop && c->stop_price != 0)
		return reject(n, c, MC_R_BAD_STOP_PRICE);
	if (c->qty <= 0 || c->qty > MC_MAX_QTY)
		return reject(n, c, MC_R_BAD_QTY);
	if (c->tif == MC_GTD && c->expire_time <= c->timestamp)
		return reject(n, c, MC_R_BAD_EXPIRE_TIME);
	if (c->tif != MC_GTD && c->expire_time != 0)
		return reject(n, c, MC_R_BAD_EXPIRE_TIME);
	if (s->status == MC_STATUS_CLOSED)
		return reject(n, c, MC_R_SESSION_CLOSED);
	if (s->status == MC_STATUS_HALTED)
		return reject(n, c, MC_R_HALTED);
	if (locate(n, c->order_id, &dummy) != NULL)
		return reject(n, c, MC_R_DUPLICATE_ID);
	if (post_only && post_only_crosses(s, c->side, c->price))
		return reject(n, c, MC_R_POST_ONLY_WOULD_CROSS);
	if (stop)
	{
		nord x;
		mc_event *ev;

		if (s->last != 0 &&
		    (c->side == MC_BUY ? s->last >= c->stop_price : s->last <= c->stop_price))
			return reject(n, c, MC_R_STOP_WOULD_TRIGGER);
		if ((r = capacity_stop(n, s, c->side, c->stop_price)) != MC_R_NONE)
			return reject(n, c, r);
		memset(&x, 0, sizeof(x));
		x.o.id = c->order_id;
		x.o.timestamp = c->timestamp;
		x.o.price = c->type == MC_STOP_LIMIT ? c->price : 0;
		x.o.stop_price = c->stop_price;
		x.o.qty = x.o.leaves = c->qty;
		x.o.symbol = c->symbol;
		x.o.account = c->account;
		x.o.side = c->side;
		x.o.type = c->type;
		x.o.tif = c->tif;
		x.o.flags = c->flags;
		x.o.expire_time = c->expire_time;
		x.o.waiting = 1;
		memcpy(x.o.client_order_id, c->client_order_id, MC_CLORDID_LEN);
		x.stamp = ++n->stamp;
		push_stop(s, &x);
		ev = emit(n, MC_EV_ACCEPTED, c->symbol);
		ev->order_id = x.o.id;
		ev->account = x.o.account;
		ev->side = x.o.side;
		ev->price = x.o.price;
		ev->qty = x.o.qty;
		ev->leaves = x.o.leaves;
		ev->flags = MC_EVF_STOP;
		return 0;
	}
	if (restable && (r = capacity(n, s, c->side, c->price, 1)) != MC_R_NONE)
		return reject(n, c, r);

	t.id = c->order_id;
	t.account = c->account;
	t.side = c->side;
	t.type = c->type;
	t.price = price;
	t.leaves = c->qty;

	if (c->type == MC_MARKET)
	{
		int any = 0;

		for (size_t i = 0; i < s->n; i++)
			any |= s->v[i].o.side != c->side;
		if (!any)
			return cancel_event(n, c->symbol, t.id, t.account, t.side, 0, t.leaves,
			                    MC_R_NO_LIQUIDITY, MC_EV_CANCELED);
	}
	if (c->tif == MC_FOK && !fok_fillable(s, &t))
		return cancel_event(n, c->symbol, t.id, t.account, t.side, price, t.leaves,
		                    MC_R_FOK_NOT_FILLABLE, MC_EV_CANCELED);
	if (match(n, s, c->symbol, &t) || t.leaves == 0)
		return 0;
	if (!restable)
		return cancel_event(n, c->symbol, t.id, t.account, t.side, price, t.leaves,
		                    c->type == MC_MARKET ? MC_R_MARKET_REMAINDER
		                                         : MC_R_IOC_REMAINDER,
		                    MC_EV_CANCELED);
	{
		nord x;
		mc_event *ev;

		memset(&x, 0, sizeof(x));
		x.o.id = c->order_id;
		x.o.timestamp = c->timestamp;
		x.o.price = c->price;
		x.o.qty = c->qty;
		x.o.leaves = t.leaves;
		x.o.filled = c->qty - t.leaves;
		x.o.symbol = c->symbol;
		x.o.account = c->account;
		x.o.side = c->side;
		x.o.type = c->type;
		x.o.tif = c->tif;
		x.o.flags = c->flags;
		x.o.expire_time = c->expire_time;
		memcpy(x.o.client_order_id, c->client_order_id, MC_CLORDID_LEN);
		x.stamp = ++n->stamp;
		push(s, &x);
		ev = emit(n, MC_EV_ACCEPTED, c->symbol);
		ev->order_id = x.o.id;
		ev->account = x.o.account;
		ev->side = x.o.side;
		ev->price = x.o.price;
		ev->qty = x.o.qty;
		ev->leaves = x.o.leaves;
	}
	return 0;
}

static int
apply_new(naive *n, const mc_command *c)
{
	new_order(n, c);
	fire_stops(n, c->symbol);
	return 0;
}

/* A cancel (by the owner) or a GTD expiry (when its time has come). */
static int
apply_cancel_or_expire(naive *n, const mc_command *c)
{
	int expire = c->kind == MC_CMD_EXPIRE;
	long i;
	int stop;
	nsym *s = locate2(n, c->order_id, &i, &stop);
	nord x;

	if (s == NULL)
		return reject(n, c, MC_R_UNKNOWN_ORDER);
	x = stop ? s->st[i] : s->v[i];
	if (!expire && x.o.account != c->account)
		return reject(n, c, MC_R_NOT_OWNER);
	if (expire && (x.o.tif != MC_GTD || c->timestamp < x.o.expire_time))
		return reject(n, c, MC_R_NOT_EXPIRED);
	cancel_event(n, x.o.symbol, x.o.id, x.o.account, x.o.side, x.o.price, x.o.leaves,
	             expire ? MC_R_GTD_EXPIRED : MC_R_USER_CANCEL,
	             expire ? MC_EV_EXPIRED : MC_EV_CANCELED);
	if (stop)
		n->out->ev[n->out->n - 1].flags = MC_EVF_STOP; /* never in the book */
	if (stop)
		s->st[i] = s->st[--s->n_st];
	else
		erase(s, (size_t)i);
	return 0;
}

static int
amend_order(naive *n, const mc_command *c)
{
	long i;
	int stop;
	nsym *s = locate2(n, c->order_id, &i, &stop);
	nord x;
	mc_event *ev;
	int r, kept;
	taker t;

	if (s == NULL)
		return reject(n, c, MC_R_UNKNOWN_ORDER);
	x = stop ? s->st[i] : s->v[i];
	if (x.o.account != c->account)
		return reject(n, c, MC_R_NOT_OWNER);
	if (s->status == MC_STATUS_CLOSED)
		return reject(n, c, MC_R_SESSION_CLOSED);
	if (s->status == MC_STATUS_HALTED)
		return reject(n, c, MC_R_HALTED);
	if (stop)
	{
		/* a waiting stop: quantity and (stop-limit) limit price; a stop's is 0 */
		if (x.o.type == MC_STOP ? c->price != 0
		                        : c->price <= 0 || c->price > MC_MAX_PRICE)
			return reject(n, c, MC_R_BAD_PRICE);
		if (c->qty <= 0 || c->qty > MC_MAX_QTY)
			return reject(n, c, MC_R_BAD_QTY);
		kept = c->price == x.o.price && c->qty <= x.o.leaves;
		x.o.qty = x.o.filled + c->qty;
		x.o.leaves = c->qty;
		x.o.price = c->price;
		if (!kept)
			x.stamp = ++n->stamp;
		s->st[i] = x;
		ev = emit(n, MC_EV_AMENDED, x.o.symbol);
		ev->order_id = x.o.id;
		ev->account = x.o.account;
		ev->side = x.o.side;
		ev->price = x.o.price;
		ev->qty = x.o.leaves;
		ev->leaves = x.o.leaves;
		ev->flags = MC_EVF_STOP | (kept ? MC_EVF_PRIORITY_KEPT : MC_EVF_PRIORITY_LOST);
		return 0;
	}
	if (c->price <= 0 || c->price > MC_MAX_PRICE)
		return reject(n, c, MC_R_BAD_PRICE);
	if (c->qty <= 0 || c->qty > MC_MAX_QTY)
		return reject(n, c, MC_R_BAD_QTY);
	if ((x.o.flags & MC_CMDF_POST_ONLY) && post_only_crosses(s, x.o.side, c->price))
		return reject(n, c, MC_R_POST_ONLY_WOULD_CROSS);
	if (c->price != x.o.price && (r = capacity(n, s, x.o.side, c->price, 0)) != MC_R_NONE)
		return reject(n, c, r);

	/* the rule: only "same price, quantity not up" keeps time priority */
	kept = c->price == x.o.price && c->qty <= x.o.leaves;
	erase(s, (size_t)i);
	x.o.qty = x.o.filled + c->qty;
	x.o.leaves = c->qty;
	x.o.price = c->price;
	if (!kept)
		x.stamp = ++n->stamp;
	ev = emit(n, MC_EV_AMENDED, x.o.symbol);
	ev->order_id = x.o.id;
	ev->account = x.o.account;
	ev->side = x.o.side;
	ev->price = x.o.price;
	ev->qty = x.o.leaves;
	ev->leaves = x.o.leaves;
	ev->flags = kept ? MC_EVF_PRIORITY_KEPT : MC_EVF_PRIORITY_LOST;

	/* a re-priced order may cross: it trades as a taker first */
	t.id = x.o.id;
	t.account = x.o.account;
	t.side = x.o.side;
	t.type = MC_LIMIT;
	t.price = x.o.price;
	t.leaves = x.o.leaves;
	match(n, s, x.o.symbol, &t);
	x.o.filled += x.o.leaves - t.leaves;
	x.o.leaves = t.leaves;
	if (x.o.leaves > 0)
		push(s, &x);
	return 0;
}

static int
apply_amend(naive *n, const mc_command *c)
{
	long i;
	nsym *s = locate(n, c->order_id, &i);
	uint32_t sym = s ? (uint32_t)(s - n->syms) : 0;

	amend_order(n, c);
	if (s != NULL)
		fire_stops(n, sym);
	return 0;
}

static int
apply_session(naive *n, const mc_command *c)
{
	nsym *s = sym_of(n, c->symbol);
	int to;
	mc_event *ev;

	if (s == NULL)
		return reject(n, c, MC_R_UNKNOWN_SYMBOL);
	if (c->session == MC_SESSION_OPEN && s->status == MC_STATUS_CLOSED)
		to = MC_STATUS_OPEN;
	else if (c->session == MC_SESSION_CLOSE && s->status != MC_STATUS_CLOSED)
		to = MC_STATUS_CLOSED;
	else if (c->session == MC_SESSION_HALT && s->status == MC_STATUS_OPEN)
		to = MC_STATUS_HALTED;
	else if (c->session == MC_SESSION_RESUME && s->status == MC_STATUS_HALTED)
		to = MC_STATUS_OPEN;
	else
		return reject(n, c, MC_R_BAD_SESSION_OP);
	s->status = to;
	ev = emit(n, MC_EV_SESSION, c->symbol);
	ev->flags = (uint8_t)to;
	if (to != MC_STATUS_CLOSED)
		return 0;
	for (int side = MC_BUY; side <= MC_SELL; side++)
	{
		size_t k;
		nord *v = sorted_side(s, side, &k);

		for (size_t j = 0; j < k; j++)
		{
			if (v[j].o.tif != MC_DAY)
				continue;
			cancel_event(n, c->symbol, v[j].o.id, v[j].o.account, v[j].o.side,
			             v[j].o.price, v[j].o.leaves, MC_R_DAY_EXPIRED, MC_EV_EXPIRED);
			erase(s, (size_t)find(s, v[j].o.id));
		}
		free(v);
	}
	/* then the waiting stops: buys, then sells, in trigger order */
	for (int side = MC_BUY; side <= MC_SELL; side++)
		for (;;)
		{
			long best = -1;

			for (size_t k = 0; k < s->n_st; k++)
				if (s->st[k].o.side == side && s->st[k].o.tif == MC_DAY &&
				    (best < 0 || stop_before(&s->st[k], &s->st[best])))
					best = (long)k;
			if (best < 0)
				break;
			cancel_event(n, c->symbol, s->st[best].o.id, s->st[best].o.account,
			             s->st[best].o.side, s->st[best].o.price, s->st[best].o.leaves,
			             MC_R_DAY_EXPIRED, MC_EV_EXPIRED);
			n->out->ev[n->out->n - 1].flags = MC_EVF_STOP;
			s->st[best] = s->st[--s->n_st];
		}
	return 0;
}

void
naive_apply(naive *n, const mc_command *c, evlog *out)
{
	n->out = out;
	n->seq = c->seq;
	n->ts = c->timestamp;
	n->idx = 0;
	if (c->kind == MC_CMD_NEW)
		apply_new(n, c);
	else if (c->kind == MC_CMD_CANCEL || c->kind == MC_CMD_EXPIRE)
		apply_cancel_or_expire(n, c);
	else if (c->kind == MC_CMD_AMEND)
		apply_amend(n, c);
	else if (c->kind == MC_CMD_SESSION)
		apply_session(n, c);
	else
		reject(n, c, MC_R_BAD_COMMAND);
}

/* -------------------------------------------------------------- queries */

int
naive_l3(const naive *n, uint32_t symbol, int side, mc_order_info *out, int cap)
{
	const nsym *s = sym_of(n, symbol);
	size_t k;
	nord *v;

	if (s == NULL)
		return -1;
	v = sorted_side(s, side, &k);
	for (size_t i = 0; i < k && (int)i < cap; i++)
		out[i] = v[i].o;
	free(v);
	return (int)k;
}

int
naive_l1(const naive *n, uint32_t symbol, mc_l1 *out)
{
	const nsym *s = sym_of(n, symbol);

	if (s == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	for (int side = MC_BUY; side <= MC_SELL; side++)
	{
		size_t k;
		nord *v = sorted_side(s, side, &k);
		int64_t qty = 0;
		uint32_t cnt = 0;

		for (size_t i = 0; i < k && v[i].o.price == v[0].o.price; i++)
		{
			qty += v[i].o.leaves;
			cnt++;
		}
		if (k && side == MC_BUY)
		{
			out->bid_price = v[0].o.price;
			out->bid_qty = qty;
			out->bid_count = cnt;
		}
		else if (k)
		{
			out->ask_price = v[0].o.price;
			out->ask_qty = qty;
			out->ask_count = cnt;
		}
		free(v);
	}
	return 0;
}

int
naive_order(const naive *n, uint64_t id, mc_order_info *out)
{
	long i;
	int stop;
	nsym *s = locate2(n, id, &i, &stop);

	if (s == NULL)
		return 0;
	*out = stop ? s->st[i].o : s->v[i].o;
	return 1;
}

/* the waiting stops of one side in trigger order (caller frees) */
static nord *
sorted_stops(const nsym *s, int side, size_t *count)
{
	nord *v = malloc((s->n_st + 1) * sizeof(nord));
	size_t k = 0;

	for (size_t i = 0; i < s->n_st; i++)
		if (s->st[i].o.side == side)
			v[k++] = s->st[i];
	/* insertion sort: obviously right, and these lists are short */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && stop_before(&v[j], &v[j - 1]); j--)
		{
			nord t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*count = k;
	return v;
}

/* The same canonical byte sequence as the core's hash.c, built from sorted
 * copies instead of the core's structures: bids, asks, buy stops (ranked as
 * asks: side 2), sell stops (ranked as bids: side 1). */
uint64_t
naive_hash(const naive *n)
{
	uint64_t h = MC_FNV_OFFSET;

	for (uint32_t sym = 0; sym < n->cfg.max_symbols; sym++)
	{
		const nsym *s = &n->syms[sym];

		if (!s->in_use)
			continue;
		h = mc_hash_u64(h, sym);
		h = mc_hash_u64(h, (uint64_t)s->status);
		h = mc_hash_u64(h, (uint64_t)s->stp);
		h = mc_hash_u64(h, s->max_orders);
		h = mc_hash_u64(h, s->n + s->n_st);
		h = mc_hash_u64(h, (uint64_t)s->last);
		for (int k = 0; k < 4; k++)
		{
			int side = k == 0 || k == 2 ? MC_BUY : MC_SELL;
			size_t cnt;
			nord *v = k < 2 ? sorted_side(s, side, &cnt) : sorted_stops(s, side, &cnt);

			h = mc_hash_u64(h, (uint64_t)(k == 0 || k == 3 ? MC_BUY : MC_SELL));
			h = mc_hash_u64(h, k < 2 ? distinct_prices(s, side)
			                         : distinct_stop_prices(s, side));
			h = mc_hash_u64(h, s->max_levels);
			for (size_t i = 0; i < cnt;)
			{
				size_t j = i;
				int64_t total = 0;
				int64_t key = k < 2 ? v[i].o.price : v[i].o.stop_price;

				while (j < cnt && (k < 2 ? v[j].o.price : v[j].o.stop_price) == key)
					total += v[j++].o.leaves;
				h = mc_hash_u64(h, (uint64_t)key);
				h = mc_hash_u64(h, (uint64_t)total);
				h = mc_hash_u64(h, j - i);
				for (; i < j; i++)
				{
					const mc_order_info *o = &v[i].o;

					h = mc_hash_u64(h, o->id);
					h = mc_hash_u64(h, o->account);
					h = mc_hash_u64(h, o->side);
					h = mc_hash_u64(h, o->type);
					h = mc_hash_u64(h, o->tif);
					h = mc_hash_u64(h, (uint64_t)o->price);
					h = mc_hash_u64(h, (uint64_t)o->qty);
					h = mc_hash_u64(h, (uint64_t)o->leaves);
					h = mc_hash_u64(h, (uint64_t)o->filled);
					h = mc_hash_u64(h, o->timestamp);
					h = mc_hash_bytes(h, o->client_order_id, MC_CLORDID_LEN);
					h = mc_hash_u64(h, o->flags);
					h = mc_hash_u64(h, o->expire_time);
					h = mc_hash_u64(h, (uint64_t)o->stop_price);
					h = mc_hash_u64(h, o->waiting);
				}
			}
			free(v);
		}
	}
	return h;
}

int
naive_pick_live(const naive *n, uint64_t r, uint64_t *id, uint32_t *account)
{
	size_t total = 0;

	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
		total += n->syms[i].n + n->syms[i].n_st;
	if (total == 0)
		return 0;
	r %= total;
	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
	{
		const nsym *s = &n->syms[i];

		if (r < s->n + s->n_st)
		{
			const mc_order_info *o = r < s->n ? &s->v[r].o : &s->st[r - s->n].o;

			*id = o->id;
			*account = o->account;
			return 1;
		}
		r -= s->n + s->n_st;
	}
	return 0;
}

int
naive_next_expiry(const naive *n, uint64_t *order_id, uint64_t *expire_time)
{
	const mc_order_info *first = NULL;

	for (uint32_t i = 0; i < n->cfg.max_symbols; i++)
		for (size_t k = 0; k < n->syms[i].n + n->syms[i].n_st; k++)
		{
			const nsym *s = &n->syms[i];
			const mc_order_info *o = k < s->n ? &s->v[k].o : &s->st[k - s->n].o;

			if (o->tif != MC_GTD)
				continue;
			if (first == NULL || o->expire_time < first->expire_time ||
			    (o->expire_time == first->expire_time && o->id < first->id))
				first = o;
		}
	if (first == NULL)
		return 0;
	*order_id = first->id;
	*expire_time = first->expire_time;
	return 1;
}
