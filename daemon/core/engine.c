/*
 * engine.c - command validation and dispatch, sessions, queries.
 *
 * A command is checked completely before anything changes, so a rejection
 * never leaves a half-applied state: that includes capacity (a restable order
 * must find an order slot and, for a new price, a level slot up front).
 */
#include "internal.h"

#include <string.h>

mc_engine *
mc_engine_create(const mc_engine_config *cfg)
{
	const mc_allocator *a = cfg->allocator ? cfg->allocator : &mc_default_allocator;
	mc_engine *e;

	if (cfg->max_symbols == 0 || cfg->max_orders == 0 || cfg->max_levels == 0)
		return NULL;
	e = a->alloc(a->ctx, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	e->alloc = *a;
	e->books = a->alloc(a->ctx, sizeof(mc_book) * (size_t)cfg->max_symbols);
	if (e->books == NULL ||
	    mc_pool_init(&e->orders, sizeof(mc_order), cfg->max_orders, a) != 0 ||
	    mc_pool_init(&e->levels, sizeof(mc_level), cfg->max_levels, a) != 0 ||
	    mc_index_init(&e->index, cfg->max_orders, a) != 0 ||
	    (e->gtd = a->alloc(a->ctx, sizeof(mc_order *) * (size_t)cfg->max_orders)) == NULL)
	{
		mc_engine_destroy(e);
		return NULL;
	}
	return e;
}

void
mc_engine_destroy(mc_engine *e)
{
	mc_allocator a;

	if (e == NULL)
		return;
	a = e->alloc;
	if (e->books)
	{
		for (uint32_t i = 0; i < e->cfg.max_symbols; i++)
		{
			if (e->books[i].in_use)
			{
				mc_side_free(&e->books[i].bids, &a);
				mc_side_free(&e->books[i].asks, &a);
				mc_side_free(&e->books[i].stop_buys, &a);
				mc_side_free(&e->books[i].stop_sells, &a);
			}
		}
		a.release(a.ctx, e->books);
	}
	mc_pool_free(&e->orders, &a);
	mc_pool_free(&e->levels, &a);
	mc_index_free(&e->index, &a);
	if (e->gtd)
		a.release(a.ctx, e->gtd);
	a.release(a.ctx, e);
}

int
mc_engine_add_symbol(mc_engine *e, uint32_t symbol, const mc_symbol_config *cfg)
{
	mc_book *b;
	uint32_t levels;

	if (symbol >= e->cfg.max_symbols)
		return MC_R_UNKNOWN_SYMBOL;
	b = &e->books[symbol];
	if (b->in_use)
		return MC_R_SYMBOL_EXISTS;
	if (cfg->stp != 0 && cfg->stp != MC_STP_CANCEL_OLDEST &&
	    cfg->stp != MC_STP_CANCEL_NEWEST)
		return MC_R_BAD_COMMAND;
	levels = cfg->max_levels ? cfg->max_levels : e->cfg.max_levels;
	if (mc_side_init(&b->bids, MC_BUY, levels, cfg->price_window, &e->alloc) != 0)
		return MC_R_BAD_COMMAND;
	if (mc_side_init(&b->asks, MC_SELL, levels, cfg->price_window, &e->alloc) != 0)
	{
		mc_side_free(&b->bids, &e->alloc);
		return MC_R_BAD_COMMAND;
	}
	/* buy stops trigger lowest first: ranked like asks; sell stops like bids */
	if (mc_side_init(&b->stop_buys, MC_SELL, levels, cfg->price_window, &e->alloc) != 0 ||
	    mc_side_init(&b->stop_sells, MC_BUY, levels, cfg->price_window, &e->alloc) != 0)
	{
		mc_side_free(&b->bids, &e->alloc);
		mc_side_free(&b->asks, &e->alloc);
		mc_side_free(&b->stop_buys, &e->alloc);
		return MC_R_BAD_COMMAND;
	}
	b->symbol = symbol;
	b->last_price = 0;
	b->n_orders = 0;
	b->max_orders = cfg->max_orders ? cfg->max_orders : e->cfg.max_orders;
	b->stp = cfg->stp ? cfg->stp : MC_STP_CANCEL_OLDEST;
	b->status = MC_STATUS_CLOSED;
	b->in_use = 1;
	return MC_R_NONE;
}

static mc_book *
book_of(const mc_engine *e, uint32_t symbol)
{
	if (symbol >= e->cfg.max_symbols || !e->books[symbol].in_use)
		return NULL;
	return &e->books[symbol];
}

/* ---------------------------------------------------------------- events */

mc_event *
mc_emit(mc_engine *e, int kind, uint32_t symbol)
{
	mc_sink *s = e->sink;
	mc_event *ev;

	if (s->n == s->cap && s->flush)
	{
		s->flush(s->ctx, s->buf, s->n);
		s->n = 0;
	}
	if (s->n < s->cap)
		ev = &s->buf[s->n++];
	else
	{
		/* no room and no flush: a caller bug.  Count the loss and give the
		 * writer a scratch event, so the matching itself stays intact. */
		s->dropped++;
		ev = &e->scratch;
	}
	memset(ev, 0, sizeof(*ev));
	ev->seq = e->seq;
	ev->timestamp = e->ts;
	ev->idx = e->idx++;
	ev->symbol = symbol;
	ev->kind = (uint8_t)kind;
	return ev;
}

static void
reject(mc_engine *e, const mc_command *c, int reason)
{
	mc_event *ev = mc_emit(e, MC_EV_REJECTED, c->symbol);

	ev->order_id = c->order_id;
	ev->account = c->account;
	ev->side = c->side;
	ev->price = c->price;
	ev->qty = c->qty;
	ev->reason = (uint8_t)reason;
}

/* An event about a resting order; returned so a caller can add its own fields. */
static mc_event *
emit_order_event(mc_engine *e, int kind, const mc_order *o, int64_t qty, int reason)
{
	mc_event *ev = mc_emit(e, kind, o->symbol);

	ev->order_id = o->id;
	ev->account = o->account;
	ev->side = o->side;
	ev->price = o->price;
	ev->qty = qty;
	ev->reason = (uint8_t)reason;
	/* what happens to a stop still in the stop book never touches the book */
	ev->flags = o->waiting ? MC_EVF_STOP : 0;
	return ev;
}

/* -------------------------------------------------------------- capacity */

/*
 * Can an order of this symbol rest at price?  Checked before any matching so
 * that a full pool rejects the whole command.  It is deliberately
 * conservative: an order that would have traded completely is rejected too,
 * because knowing that would require matching first.
 */
static int
capacity_in(const mc_engine *e, const mc_book *b, const mc_side_book *s, int64_t price,
            int need_order)
{
	if (need_order)
	{
		if (b->n_orders >= b->max_orders)
			return MC_R_SYMBOL_ORDER_LIMIT;
		if (mc_pool_full(&e->orders))
			return MC_R_ORDER_POOL_FULL;
	}
	if (mc_side_find(s, price) == NULL)
	{
		if (s->n >= s->cap)
			return MC_R_SYMBOL_LEVEL_LIMIT;
		if (mc_pool_full(&e->levels))
			return MC_R_LEVEL_POOL_FULL;
	}
	return MC_R_NONE;
}

static int
capacity_reason(const mc_engine *e, const mc_book *b, int side, int64_t price,
                int need_order)
{
	return capacity_in(e, b, side == MC_BUY ? &b->bids : &b->asks, price, need_order);
}

/* Appends o to the tail of the level at price of side book s. */
static void
append_at(mc_engine *e, mc_side_book *s, int64_t price, mc_order *o)
{
	mc_level *lvl = mc_side_find(s, price);

	if (lvl == NULL)
	{
		lvl = mc_pool_get(&e->levels); /* capacity checked up front */
		lvl->head = lvl->tail = NULL;
		lvl->price = price;
		lvl->total = 0;
		lvl->count = 0;
		mc_side_insert(s, lvl);
	}
	mc_level_append(lvl, o);
}

/* Appends o (fields set, leaves > 0) to the tail of its price level. */
static void
rest_order(mc_engine *e, mc_book *b, mc_order *o)
{
	append_at(e, mc_book_side(b, o->side), o->price, o);
}

/* ------------------------------------------------------------- new order */

static int
validate_new(const mc_command *c)
{
	if (c->order_id == 0)
		return MC_R_BAD_ORDER_ID;
	if (c->side != MC_BUY && c->side != MC_SELL)
		return MC_R_BAD_SIDE;
	if (c->type < MC_LIMIT || c->type > MC_STOP_LIMIT)
		return MC_R_BAD_TYPE;
	if (c->tif < MC_DAY || c->tif > MC_GTD)
		return MC_R_BAD_TIF;
	/* a market order never rests, so a resting time in force makes no sense
	 * (a stop enters as a market order) */
	if ((c->type == MC_MARKET || c->type == MC_STOP) && c->tif != MC_IOC &&
	    c->tif != MC_FOK)
		return MC_R_BAD_TIF;
	if ((c->flags & ~MC_CMDF_POST_ONLY) != 0)
		return MC_R_BAD_COMMAND;
	/* post-only means "rest or nothing": only for limit orders that may rest */
	if ((c->flags & MC_CMDF_POST_ONLY) && (c->tif == MC_IOC || c->tif == MC_FOK))
		return MC_R_BAD_TIF;
	if ((c->flags & MC_CMDF_POST_ONLY) && c->type != MC_LIMIT)
		return MC_R_BAD_TYPE;
	if ((c->type == MC_LIMIT || c->type == MC_STOP_LIMIT) &&
	    (c->price <= 0 || c->price > MC_MAX_PRICE))
		return MC_R_BAD_PRICE;
	if (c->type == MC_STOP || c->type == MC_STOP_LIMIT
	        ? c->stop_price <= 0 || c->stop_price > MC_MAX_PRICE
	        : c->stop_price != 0)
		return MC_R_BAD_STOP_PRICE;
	if (c->qty <= 0 || c->qty > MC_MAX_QTY)
		return MC_R_BAD_QTY;
	if (c->tif == MC_GTD ? c->expire_time <= c->timestamp : c->expire_time != 0)
		return MC_R_BAD_EXPIRE_TIME;
	return MC_R_NONE;
}

/* Would a limit order at price on side trade with the opposite best level
 * (whoever's orders rest there)? */
static int
would_cross(const mc_book *b, int side, int64_t price)
{
	const mc_level *best = side == MC_BUY ? b->asks.best : b->bids.best;

	if (best == NULL)
		return 0;
	return side == MC_BUY ? best->price <= price : best->price >= price;
}

/* Has the last trade reached a stop at stop_price of side (a buy stop at or
 * below it, a sell stop at or above it)?  Never before the first trade. */
static int
stop_triggered(const mc_book *b, int side, int64_t stop_price)
{
	if (b->last_price == 0)
		return 0;
	return side == MC_BUY ? b->last_price >= stop_price : b->last_price <= stop_price;
}

/* Why a new order must be rejected, checking everything before any change. */
static int
new_order_reason(const mc_engine *e, const mc_book *b, const mc_command *c, int restable)
{
	int r;

	if (b == NULL)
		return MC_R_UNKNOWN_SYMBOL;
	if ((r = validate_new(c)) != MC_R_NONE)
		return r;
	if (b->status == MC_STATUS_CLOSED)
		return MC_R_SESSION_CLOSED;
	if (b->status == MC_STATUS_HALTED)
		return MC_R_HALTED;
	if (mc_index_get(&e->index, c->order_id) != NULL)
		return MC_R_DUPLICATE_ID;
	if ((c->flags & MC_CMDF_POST_ONLY) && would_cross(b, c->side, c->price))
		return MC_R_POST_ONLY_WOULD_CROSS;
	if (c->type == MC_STOP || c->type == MC_STOP_LIMIT)
	{
		if (stop_triggered(b, c->side, c->stop_price))
			return MC_R_STOP_WOULD_TRIGGER;
		/* it waits in the stop book: an order slot and a stop level */
		return capacity_in(e, b, c->side == MC_BUY ? &b->stop_buys : &b->stop_sells,
		                   c->stop_price, 1);
	}
	if (restable)
		return capacity_reason(e, b, c->side, c->price, 1);
	return MC_R_NONE;
}

/* The incoming order's open quantity is canceled (it never rests). */
static void
cancel_taker(mc_engine *e, const mc_book *b, const mc_taker *t, int reason)
{
	mc_event *ev = mc_emit(e, MC_EV_CANCELED, b->symbol);

	ev->order_id = t->id;
	ev->account = t->account;
	ev->side = t->side;
	ev->price = t->price;
	ev->qty = t->leaves;
	ev->reason = (uint8_t)reason;
}

/*
 * An incoming taker (a new order, a triggered stop) against the book: -1
 * when it is done (filled, or STP canceled its rest), MC_R_NONE when what is
 * left rests (restable), else the reason its rest is canceled.
 */
static int
enter(mc_engine *e, mc_book *b, mc_taker *t, int restable)
{
	if (t->type == MC_MARKET && mc_book_opposite(b, t->side)->n == 0)
		return MC_R_NO_LIQUIDITY;
	if (t->tif == MC_FOK && !mc_fok_fillable(b, t))
		return MC_R_FOK_NOT_FILLABLE;
	if (mc_match(e, b, t) || t->leaves == 0)
		return -1;
	if (!restable)
		return t->type == MC_MARKET ? MC_R_MARKET_REMAINDER : MC_R_IOC_REMAINDER;
	return MC_R_NONE;
}

/* A stop order waits, invisible, at its stop price (its slots checked). */
static void
new_stop(mc_engine *e, mc_book *b, const mc_command *c)
{
	mc_order *o = mc_pool_get(&e->orders);
	mc_event *ev;

	o->id = c->order_id;
	o->timestamp = c->timestamp;
	o->price = c->type == MC_STOP_LIMIT ? c->price : 0;
	o->stop_price = c->stop_price;
	o->qty = o->leaves = c->qty;
	o->filled = 0;
	o->symbol = c->symbol;
	o->account = c->account;
	o->side = c->side;
	o->type = c->type;
	o->tif = c->tif;
	o->flags = c->flags;
	o->expire_time = c->expire_time;
	o->waiting = 1;
	o->tag = e->tag;
	memcpy(o->client_order_id, c->client_order_id, MC_CLORDID_LEN);
	append_at(e, mc_stop_side(b, o->side), o->stop_price, o);
	mc_index_put(&e->index, o->id, o);
	if (o->tif == MC_GTD)
		mc_gtd_push(e, o);
	b->n_orders++;
	ev = mc_emit(e, MC_EV_ACCEPTED, b->symbol);
	ev->order_id = o->id;
	ev->account = o->account;
	ev->side = o->side;
	ev->price = o->price;
	ev->qty = o->qty;
	ev->leaves = o->leaves;
	ev->flags = MC_EVF_STOP;
}

/*
 * A stop whose trigger was reached enters the market: it leaves the stop
 * book and trades like a new market (MC_STOP) or limit (MC_STOP_LIMIT)
 * order with its time in force, then rests or is canceled like one.  Its
 * order slot is its own already; a stop-limit that rests may need a new
 * price level, and when there is no level slot its rest is canceled
 * (STOP_NO_LEVEL): a trigger cannot be refused, it happened.
 */
static void
trigger(mc_engine *e, mc_book *b, mc_order *o)
{
	mc_side_book *s = mc_stop_side(b, o->side);
	mc_level *lvl = o->level;
	int restable = o->type == MC_STOP_LIMIT &&
	               (o->tif == MC_DAY || o->tif == MC_GTC || o->tif == MC_GTD);
	mc_taker t;
	mc_event *ev;
	int r;

	mc_level_unlink(lvl, o);
	if (lvl->count == 0)
	{
		mc_side_remove(s, lvl);
		mc_pool_put(&e->levels, lvl);
	}
	o->waiting = 0;
	ev = mc_emit(e, MC_EV_TRIGGERED, b->symbol);
	ev->order_id = o->id;
	ev->account = o->account;
	ev->side = o->side;
	ev->price = o->stop_price;
	ev->qty = o->leaves;
	ev->leaves = o->leaves;

	t.id = o->id;
	t.account = o->account;
	t.side = o->side;
	t.type = o->type == MC_STOP ? MC_MARKET : MC_LIMIT;
	t.tif = o->tif;
	t.price = o->price;
	t.leaves = o->leaves;
	r = enter(e, b, &t, restable);
	if (r == MC_R_NONE && capacity_reason(e, b, o->side, o->price, 0) != MC_R_NONE)
		r = MC_R_STOP_NO_LEVEL;
	o->filled += o->leaves - t.leaves;
	o->leaves = t.leaves;
	if (r > 0)
		cancel_taker(e, b, &t, r);
	if (r != MC_R_NONE)
	{
		mc_drop_order(e, b, o);
		return;
	}
	rest_order(e, b, o);
	ev = mc_emit(e, MC_EV_ACCEPTED, b->symbol);
	ev->order_id = o->id;
	ev->account = o->account;
	ev->side = o->side;
	ev->price = o->price;
	ev->qty = o->qty;
	ev->leaves = o->leaves;
}

/*
 * After a command, the stops its trades reached fire, one at a time, each
 * seeing the last trade price the ones before it left (a cascade): a
 * triggered buy stop before a triggered sell stop, buy stops lowest stop
 * price first, sell stops highest first, and at one stop price the oldest
 * first.  It ends because every firing takes a stop out of the stop book.
 */
static void
fire_stops(mc_engine *e, mc_book *b)
{
	while (b->last_price != 0)
	{
		mc_level *lb = b->stop_buys.best, *ls = b->stop_sells.best;

		if (lb != NULL && lb->price <= b->last_price)
			trigger(e, b, lb->head);
		else if (ls != NULL && ls->price >= b->last_price)
			trigger(e, b, ls->head);
		else
			break;
	}
}

static void
new_order(mc_engine *e, const mc_command *c)
{
	mc_book *b = book_of(e, c->symbol);
	int restable =
	    c->type == MC_LIMIT && (c->tif == MC_DAY || c->tif == MC_GTC || c->tif == MC_GTD);
	mc_taker t;
	mc_order *o;
	mc_event *ev;
	int r;

	if ((r = new_order_reason(e, b, c, restable)) != MC_R_NONE)
	{
		reject(e, c, r);
		return;
	}
	if (c->type == MC_STOP || c->type == MC_STOP_LIMIT)
	{
		new_stop(e, b, c);
		return;
	}

	t.id = c->order_id;
	t.account = c->account;
	t.side = c->side;
	t.type = c->type;
	t.tif = c->tif;
	t.price = c->type == MC_LIMIT ? c->price : 0; /* events show 0 for market */
	t.leaves = c->qty;

	if ((r = enter(e, b, &t, restable)) < 0)
		return; /* filled, or STP canceled the rest */
	if (r != MC_R_NONE)
	{
		cancel_taker(e, b, &t, r);
		return;
	}

	o = mc_pool_get(&e->orders); /* capacity checked up front */
	o->id = c->order_id;
	o->timestamp = c->timestamp;
	o->price = c->price;
	o->qty = c->qty;
	o->leaves = t.leaves;
	o->filled = c->qty - t.leaves;
	o->symbol = c->symbol;
	o->account = c->account;
	o->side = c->side;
	o->type = c->type;
	o->tif = c->tif;
	o->flags = c->flags;
	o->expire_time = c->expire_time;
	o->stop_price = 0;
	o->waiting = 0;
	o->tag = e->tag;
	memcpy(o->client_order_id, c->client_order_id, MC_CLORDID_LEN);
	rest_order(e, b, o);
	mc_index_put(&e->index, o->id, o);
	if (o->tif == MC_GTD)
		mc_gtd_push(e, o);
	b->n_orders++;

	ev = mc_emit(e, MC_EV_ACCEPTED, b->symbol);
	ev->order_id = o->id;
	ev->account = o->account;
	ev->side = o->side;
	ev->price = o->price;
	ev->qty = o->qty;
	ev->leaves = o->leaves;
}

static void
apply_new(mc_engine *e, const mc_command *c)
{
	mc_book *b = book_of(e, c->symbol);

	new_order(e, c);
	if (b != NULL)
		fire_stops(e, b);
}

/* ---------------------------------------------------------------- cancel */

static void
apply_cancel(mc_engine *e, const mc_command *c)
{
	mc_order *o = mc_index_get(&e->index, c->order_id);
	mc_book *b;

	if (o == NULL)
	{
		reject(e, c, MC_R_UNKNOWN_ORDER);
		return;
	}
	if (o->account != c->account)
	{
		reject(e, c, MC_R_NOT_OWNER);
		return;
	}
	b = &e->books[o->symbol];
	emit_order_event(e, MC_EV_CANCELED, o, o->leaves, MC_R_USER_CANCEL);
	mc_remove_order(e, b, o);
}

/* ----------------------------------------------------------------- amend */

/*
 * Quantity down at the same price keeps the order's place in the queue;
 * anything else (a price change, a quantity increase) sends it to the back
 * of its (new) level.  A new price may cross the spread: the order then
 * trades as a taker first, exactly like a new order, and rests the remainder.
 */
/* Why an amend of o must be rejected (o may be NULL). */
static int
amend_reason(const mc_engine *e, const mc_order *o, const mc_command *c)
{
	const mc_book *b;

	if (o == NULL)
		return MC_R_UNKNOWN_ORDER;
	if (o->account != c->account)
		return MC_R_NOT_OWNER;
	b = &e->books[o->symbol];
	if (b->status == MC_STATUS_CLOSED)
		return MC_R_SESSION_CLOSED;
	if (b->status == MC_STATUS_HALTED)
		return MC_R_HALTED;
	if (o->waiting)
	{
		/* a stop not triggered yet: its quantity, and a stop-limit's limit
		 * price (a stop has none: price 0); the stop price stays */
		if (o->type == MC_STOP ? c->price != 0 : c->price <= 0 || c->price > MC_MAX_PRICE)
			return MC_R_BAD_PRICE;
		if (c->qty <= 0 || c->qty > MC_MAX_QTY)
			return MC_R_BAD_QTY;
		return MC_R_NONE;
	}
	if (c->price <= 0 || c->price > MC_MAX_PRICE)
		return MC_R_BAD_PRICE;
	if (c->qty <= 0 || c->qty > MC_MAX_QTY)
		return MC_R_BAD_QTY;
	/* a post-only order stays post-only: an amend may not make it take */
	if ((o->flags & MC_CMDF_POST_ONLY) && would_cross(b, o->side, c->price))
		return MC_R_POST_ONLY_WOULD_CROSS;
	if (c->price != o->price)
		return capacity_reason(e, b, o->side, c->price, 0);
	return MC_R_NONE;
}

static void
emit_amended(mc_engine *e, const mc_order *o, int flags)
{
	mc_event *ev = emit_order_event(e, MC_EV_AMENDED, o, o->leaves, MC_R_NONE);

	ev->leaves = o->leaves;
	ev->flags |= (uint8_t)flags;
}

static void amend_order(mc_engine *e, const mc_command *c);

static void
apply_amend(mc_engine *e, const mc_command *c)
{
	mc_order *o = mc_index_get(&e->index, c->order_id);
	mc_book *b = o ? &e->books[o->symbol] : NULL; /* o may go */

	amend_order(e, c);
	if (b != NULL)
		fire_stops(e, b);
}

static void
amend_order(mc_engine *e, const mc_command *c)
{
	mc_order *o = mc_index_get(&e->index, c->order_id);
	mc_book *b;
	mc_level *lvl;
	mc_taker t;
	int r;

	if ((r = amend_reason(e, o, c)) != MC_R_NONE)
	{
		reject(e, c, r);
		return;
	}
	b = &e->books[o->symbol];
	lvl = o->level;

	if (o->waiting)
	{
		/* in the stop book it never trades; within its stop price's queue
		 * the book's rules of priority: quantity down at the same (limit)
		 * price keeps its place, anything else goes to the back */
		if (c->price == o->price && c->qty <= o->leaves)
		{
			lvl->total -= o->leaves - c->qty;
			o->qty -= o->leaves - c->qty;
			o->leaves = c->qty;
			emit_amended(e, o, MC_EVF_PRIORITY_KEPT);
			return;
		}
		mc_level_unlink(lvl, o);
		o->qty = o->filled + c->qty;
		o->leaves = c->qty;
		o->price = c->price;
		mc_level_append(lvl, o);
		emit_amended(e, o, MC_EVF_PRIORITY_LOST);
		return;
	}
	if (c->price == o->price && c->qty <= o->leaves)
	{
		/* quantity down (or unchanged): same place in the queue */
		lvl->total -= o->leaves - c->qty;
		o->qty -= o->leaves - c->qty;
		o->leaves = c->qty;
		emit_amended(e, o, MC_EVF_PRIORITY_KEPT);
		return;
	}
	if (c->price == o->price)
	{
		/* quantity up: to the back of the same level */
		mc_level_unlink(lvl, o);
		o->qty += c->qty - o->leaves;
		o->leaves = c->qty;
		mc_level_append(lvl, o);
		emit_amended(e, o, MC_EVF_PRIORITY_LOST);
		return;
	}

	/* new price: out of the book (keeping its id), match, rest the rest */
	mc_level_unlink(lvl, o);
	if (lvl->count == 0)
	{
		mc_side_remove(mc_book_side(b, o->side), lvl);
		mc_pool_put(&e->levels, lvl);
	}
	o->qty = o->filled + c->qty;
	o->leaves = c->qty;
	o->price = c->price;
	emit_amended(e, o, MC_EVF_PRIORITY_LOST);

	t.id = o->id;
	t.account = o->account;
	t.side = o->side;
	t.type = MC_LIMIT;
	t.tif = o->tif;
	t.price = o->price;
	t.leaves = o->leaves;
	mc_match(e, b, &t);
	o->filled += o->leaves - t.leaves;
	o->leaves = t.leaves;
	if (o->leaves > 0)
		rest_order(e, b, o);
	else
	{
		/* filled, or STP canceled it, while re-priced: it is gone */
		mc_drop_order(e, b, o);
	}
}

/* ---------------------------------------------------------------- expire */

/*
 * A GTD order's time has come.  The sequencer sends this (asking
 * mc_engine_next_expiry), so the core needs no clock; it only checks that the
 * command's own timestamp has reached the order's expire_time, which makes an
 * early expiry impossible whatever sends it.  Allowed in every session status,
 * like a cancel.
 */
static void
apply_expire(mc_engine *e, const mc_command *c)
{
	mc_order *o = mc_index_get(&e->index, c->order_id);

	if (o == NULL)
	{
		reject(e, c, MC_R_UNKNOWN_ORDER);
		return;
	}
	if (o->tif != MC_GTD || o->expire_time > c->timestamp)
	{
		reject(e, c, MC_R_NOT_EXPIRED);
		return;
	}
	emit_order_event(e, MC_EV_EXPIRED, o, o->leaves, MC_R_GTD_EXPIRED);
	mc_remove_order(e, &e->books[o->symbol], o);
}

/* --------------------------------------------------------------- session */

/* Day orders expire at the close: bids best first, then asks, queue order. */
static void
expire_day_orders(mc_engine *e, mc_book *b)
{
	mc_side_book *sides[4] = {&b->bids, &b->asks, &b->stop_buys, &b->stop_sells};

	for (int k = 0; k < 4; k++)
	{
		mc_side_book *s = sides[k];

		for (mc_level *lvl = s->best; lvl != NULL;)
		{
			mc_level *worse = lvl->worse; /* lvl may be freed below */
			mc_order *o = lvl->head;

			while (o != NULL)
			{
				mc_order *next = o->next;

				if (o->tif == MC_DAY)
				{
					emit_order_event(e, MC_EV_EXPIRED, o, o->leaves, MC_R_DAY_EXPIRED);
					mc_remove_order(e, b, o);
				}
				o = next;
			}
			lvl = worse;
		}
	}
}

static void
apply_session(mc_engine *e, const mc_command *c)
{
	mc_book *b = book_of(e, c->symbol);
	int from, to;
	mc_event *ev;

	if (b == NULL)
	{
		reject(e, c, MC_R_UNKNOWN_SYMBOL);
		return;
	}
	from = b->status;
	switch (c->session)
	{
		case MC_SESSION_OPEN:
			if (from != MC_STATUS_CLOSED)
			{
				reject(e, c, MC_R_BAD_SESSION_OP);
				return;
			}
			to = MC_STATUS_OPEN;
			break;
		case MC_SESSION_CLOSE:
			if (from == MC_STATUS_CLOSED)
			{
				reject(e, c, MC_R_BAD_SESSION_OP);
				return;
			}
			to = MC_STATUS_CLOSED;
			break;
		case MC_SESSION_HALT:
			if (from != MC_STATUS_OPEN)
			{
				reject(e, c, MC_R_BAD_SESSION_OP);
				return;
			}
			to = MC_STATUS_HALTED;
			break;
		case MC_SESSION_RESUME:
			if (from != MC_STATUS_HALTED)
			{
				reject(e, c, MC_R_BAD_SESSION_OP);
				return;
			}
			to = MC_STATUS_OPEN;
			break;
		default:
		{
			reject(e, c, MC_R_BAD_SESSION_OP);
			return;
		}
	}
	b->status = (uint8_t)to;
	ev = mc_emit(e, MC_EV_SESSION, b->symbol);
	ev->flags = (uint8_t)to;
	if (c->session == MC_SESSION_CLOSE)
		expire_day_orders(e, b);
}

/* ------------------------------------------------------------- dispatch */

void
mc_engine_apply(mc_engine *e, const mc_command *c, mc_sink *sink)
{
	mc_engine_apply_tagged(e, c, 0, sink);
}

void
mc_engine_apply_tagged(mc_engine *e, const mc_command *c, uint32_t tag, mc_sink *sink)
{
	e->tag = tag;
	e->sink = sink;
	e->seq = c->seq;
	e->ts = c->timestamp;
	e->idx = 0;
	switch (c->kind)
	{
		case MC_CMD_NEW:
			apply_new(e, c);
			break;
		case MC_CMD_CANCEL:
			apply_cancel(e, c);
			break;
		case MC_CMD_AMEND:
			apply_amend(e, c);
			break;
		case MC_CMD_SESSION:
			apply_session(e, c);
			break;
		case MC_CMD_EXPIRE:
			apply_expire(e, c);
			break;
		default:
			reject(e, c, MC_R_BAD_COMMAND);
			break;
	}
	e->sink = NULL;
}

/* --------------------------------------------------------------- queries */

int
mc_engine_l1(const mc_engine *e, uint32_t symbol, mc_l1 *out)
{
	const mc_book *b = book_of(e, symbol);
	const mc_level *bid, *ask;

	if (b == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	bid = mc_side_best(&b->bids);
	ask = mc_side_best(&b->asks);
	if (bid)
	{
		out->bid_price = bid->price;
		out->bid_qty = bid->total;
		out->bid_count = bid->count;
	}
	if (ask)
	{
		out->ask_price = ask->price;
		out->ask_qty = ask->total;
		out->ask_count = ask->count;
	}
	return 0;
}

int
mc_engine_l2(const mc_engine *e, uint32_t symbol, int side, mc_level_info *out, int depth)
{
	const mc_book *b = book_of(e, symbol);
	const mc_side_book *s;
	int n = 0;

	if (b == NULL)
		return -1;
	s = side == MC_BUY ? &b->bids : &b->asks;
	for (const mc_level *lvl = s->best; lvl && n < depth; lvl = lvl->worse, n++)
	{
		memset(&out[n], 0, sizeof(out[n]));
		out[n].price = lvl->price;
		out[n].qty = lvl->total;
		out[n].count = lvl->count;
	}
	return n;
}

static void
fill_info(mc_order_info *out, const mc_order *o)
{
	memset(out, 0, sizeof(*out));
	out->id = o->id;
	out->timestamp = o->timestamp;
	out->price = o->price;
	out->qty = o->qty;
	out->leaves = o->leaves;
	out->filled = o->filled;
	out->symbol = o->symbol;
	out->account = o->account;
	out->side = o->side;
	out->type = o->type;
	out->tif = o->tif;
	out->flags = o->flags;
	out->expire_time = o->expire_time;
	out->stop_price = o->stop_price;
	out->waiting = o->waiting;
	memcpy(out->client_order_id, o->client_order_id, MC_CLORDID_LEN);
}

int
mc_engine_l3(const mc_engine *e, uint32_t symbol, int side, mc_order_info *out, int cap)
{
	const mc_book *b = book_of(e, symbol);
	const mc_side_book *s;
	int n = 0;

	if (b == NULL)
		return -1;
	s = side == MC_BUY ? &b->bids : &b->asks;
	for (const mc_level *lvl = s->best; lvl; lvl = lvl->worse)
		for (const mc_order *o = lvl->head; o; o = o->next, n++)
			if (n < cap)
				fill_info(&out[n], o);
	return n;
}

int
mc_engine_order(const mc_engine *e, uint64_t order_id, mc_order_info *out)
{
	const mc_order *o = mc_index_get(&e->index, order_id);

	if (o == NULL)
		return 0;
	fill_info(out, o);
	out->tag = o->tag;
	return 1;
}

int
mc_engine_status(const mc_engine *e, uint32_t symbol)
{
	const mc_book *b = book_of(e, symbol);

	return b ? b->status : -1;
}

uint32_t
mc_engine_order_count(const mc_engine *e)
{
	return e->orders.used;
}

uint32_t
mc_engine_level_count(const mc_engine *e)
{
	return e->levels.used;
}
