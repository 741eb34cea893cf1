/*
 * om_settle.c - what the core's events do to the order manager: fills move
 * cash and shares between the two sides and pay fees, amends re-hold, cancels
 * and expiries release, and a new order that did not rest is forgotten.
 *
 * Contract: every event of the core reaches om_on_event in order, in live
 * traffic and replay alike; a fill pays the maker's price, charges each side
 * its fee (bps in force when its order was entered, rounded down) into the
 * exchange's fees, and shrinks the hold to what the leaves still need.
 */
#include <string.h>

#include "om_internal.h"

/* The order's share position, found once and remembered. */
static om_position *
order_position(om *m, om_order *o, uint32_t *index)
{
	om_position *p;

	if (o->position != 0)
	{
		*index = o->position - 1;
		return &m->positions[o->position - 1];
	}
	if ((p = om_position_of(m, o->account, o->symbol, 1, index)) != NULL)
		o->position = *index + 1;
	return p;
}

/*
 * Sets the order's hold to what leaves at price need, moving the difference.
 * A hold that stays the same (a sell that only moves its price) leaves its
 * cash or share entry alone: not read, not marked changed.
 */
static void
rehold(om *m, om_order *o, int64_t leaves, int64_t price, int64_t seq)
{
	om_symbol *s = &m->symbols[o->symbol];
	om_account *a = &m->accounts[o->account];
	int64_t want;

	a->open_notional += notional(price, s->tick_value, leaves) -
	                    notional(o->price, s->tick_value, o->leaves);
	if (o->side == MC_BUY)
	{
		want = buy_hold(price, s->tick_value, leaves, o->maker_bps, o->taker_bps);
		if (want != o->held)
		{
			om_entry *cash = cash_of(m, o->account, s->currency);

			cash->available += o->held - want;
			cash->held += want - o->held;
			touch(m, cash, cash_tag(o->account, s->currency), seq);
		}
	}
	else if ((want = leaves) != o->held)
	{
		uint32_t index;
		om_position *p = order_position(m, o, &index);

		p->e.available += o->held - want;
		p->e.held += want - o->held;
		touch(m, &p->e, DIRTY_SHARES | index, seq);
	}
	o->held = want;
	o->leaves = leaves;
	o->price = price;
}

/* Releases everything the order holds and forgets it. */
static void
release(om *m, om_order *o, int64_t seq)
{
	rehold(m, o, 0, o->price, seq);
	om_forget(m, o);
}

/* One side of a fill: qty at price (ticks), leaves after it. */
static int64_t
settle(om *m, om_order *o, int64_t qty, int64_t price, int64_t leaves, int maker,
       int64_t seq)
{
	om_symbol *s = &m->symbols[o->symbol];
	om_account *a = &m->accounts[o->account];
	om_entry *cash = cash_of(m, o->account, s->currency);
	int64_t n = notional(price, s->tick_value, qty);
	int64_t fee = fee_of(n, maker ? o->maker_bps : o->taker_bps, 0);
	uint32_t index;
	om_position *p = order_position(m, o, &index);

	/* the hold shrinks to what the leaves need; the fill is paid from it */
	rehold(m, o, leaves, o->price, seq);
	if (o->side == MC_BUY)
	{
		cash->available -= n + fee;
		p->e.available += qty;
	}
	else
	{
		/* the shares sold leave with the hold that rehold returned */
		p->e.available -= qty;
		cash->available += n - fee;
	}
	touch(m, cash, cash_tag(o->account, s->currency), seq);
	touch(m, &p->e, DIRTY_SHARES | index, seq);
	m->fees[s->currency].available += fee;
	touch(m, &m->fees[s->currency], DIRTY_FEES | s->currency, seq);
	if (a->day != m->day)
	{
		a->day = m->day;
		a->day_filled = 0;
	}
	a->day_filled += n;
	if (leaves == 0)
		om_forget(m, o);
	return fee;
}

void
om_on_event(om *m, const mc_event *ev, int64_t seq, om_fill *fill)
{
	om_order *o = order_of(m, ev->order_id);

	switch (ev->kind)
	{
		case MC_EV_TRADE:
		{
			om_order *maker = order_of(m, ev->maker_order_id);
			const om_symbol *s = &m->symbols[ev->symbol];
			int64_t n = notional(ev->price, s->tick_value, ev->qty);

			if (fill)
			{
				fill->notional = n;
				fill->taker_fee = 0;
				fill->maker_fee = 0;
			}
			m->symbols[ev->symbol].reference = ev->price;
			if (o)
			{
				int64_t fee = settle(m, o, ev->qty, ev->price, ev->leaves, 0, seq);

				if (fill)
					fill->taker_fee = fee;
			}
			if (maker)
			{
				int64_t fee =
				    settle(m, maker, ev->qty, ev->price, ev->maker_leaves, 1, seq);

				if (fill)
					fill->maker_fee = fee;
			}
			break;
		}
		case MC_EV_AMENDED:
			if (o)
				rehold(m, o, ev->leaves, ev->price, seq);
			break;
		case MC_EV_ACCEPTED:
			/* the new order rests (or waits, a stop) before any stop it
			 * triggers does: the first one accepted is it */
			if (m->rested_id == 0)
				m->rested_id = ev->order_id;
			break;
		case MC_EV_CANCELED:
		case MC_EV_EXPIRED:
			if (o)
				release(m, o, seq);
			break;
		/* a rejected new order is released by om_after_new; a rejected amend
		 * or cancel leaves its order as it was */
		default:
			break;
	}
}

void
om_after_new(om *m, uint64_t order_id, int64_t seq)
{
	om_order *o = order_of(m, order_id);

	/* the core accepts what rests; anything else it filled, canceled or
	 * rejected, and a rejection has no event the ledger acts on */
	if (o != NULL && m->rested_id != order_id)
		release(m, o, seq);
}
