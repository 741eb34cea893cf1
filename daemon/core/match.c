/*
 * match.c - price-time matching of one incoming order against a book.
 *
 * The taker walks the opposite side from the best level down, and each level
 * from its head (oldest) to its tail, while its price crosses.  Every maker
 * fill is one TRADE event at the maker's price.  Self-trade prevention is
 * decided per resting order as the taker reaches it, so an STP cancel happens
 * exactly where a trade would have.
 */
#include "internal.h"

static inline int
crosses(const mc_taker *t, int64_t level_price)
{
	if (t->type == MC_MARKET)
		return 1;
	return t->side == MC_BUY ? level_price <= t->price : level_price >= t->price;
}

void
mc_drop_order(mc_engine *e, mc_book *b, mc_order *o)
{
	if (o->tif == MC_GTD)
		mc_gtd_remove(e, o);
	mc_index_del(&e->index, o->id);
	b->n_orders--;
	mc_pool_put(&e->orders, o);
}

void
mc_remove_order(mc_engine *e, mc_book *b, mc_order *o)
{
	mc_level *lvl = o->level;

	mc_level_unlink(lvl, o);
	if (lvl->count == 0)
	{
		mc_side_remove(o->waiting ? mc_stop_side(b, o->side) : mc_book_side(b, o->side),
		               lvl);
		mc_pool_put(&e->levels, lvl);
	}
	mc_drop_order(e, b, o);
}

/*
 * Mirrors mc_match without changing anything: under cancel-oldest the
 * taker's own orders would be canceled, not traded, so they do not count;
 * under cancel-newest the first own order ends the taker, so only what lies
 * before it counts.  This keeps a FOK that cannot fill from touching the book.
 */
int
mc_fok_fillable(const mc_book *b, const mc_taker *t)
{
	const mc_side_book *opp = t->side == MC_BUY ? &b->asks : &b->bids;
	int64_t avail = 0;

	for (const mc_level *lvl = opp->best; lvl; lvl = lvl->worse)
	{
		if (!crosses(t, lvl->price))
			break;
		for (const mc_order *o = lvl->head; o; o = o->next)
		{
			if (o->account == t->account)
			{
				if (b->stp == MC_STP_CANCEL_NEWEST)
					return 0;
				continue;
			}
			avail += o->leaves;
			if (avail >= t->leaves)
				return 1;
		}
	}
	return 0;
}

static void
emit_trade(mc_engine *e, const mc_book *b, const mc_taker *t, const mc_order *m,
           int64_t price, int64_t q)
{
	mc_event *ev = mc_emit(e, MC_EV_TRADE, b->symbol);

	ev->order_id = t->id;
	ev->account = t->account;
	ev->side = t->side;
	ev->maker_order_id = m->id;
	ev->maker_account = m->account;
	ev->price = price;
	ev->qty = q;
	ev->leaves = t->leaves;
	ev->maker_leaves = m->leaves;
}

static void
emit_cancel(mc_engine *e, const mc_book *b, uint64_t id, uint32_t account, int side,
            int64_t price, int64_t q, int reason)
{
	mc_event *ev = mc_emit(e, MC_EV_CANCELED, b->symbol);

	ev->order_id = id;
	ev->account = account;
	ev->side = (uint8_t)side;
	ev->price = price;
	ev->qty = q;
	ev->reason = (uint8_t)reason;
}

int
mc_match(mc_engine *e, mc_book *b, mc_taker *t)
{
	mc_side_book *opp = mc_book_opposite(b, t->side);

	while (t->leaves > 0 && opp->best != NULL)
	{
		mc_level *lvl = opp->best;
		int64_t price = lvl->price;
		mc_order *o;

		if (!crosses(t, price))
			break;
		o = lvl->head;
		while (o != NULL && t->leaves > 0)
		{
			/* read next first: o (and even lvl) may go back to the pool */
			mc_order *next = o->next;

			if (o->account == t->account)
			{
				if (b->stp == MC_STP_CANCEL_NEWEST)
				{
					emit_cancel(e, b, t->id, t->account, t->side,
					            t->type == MC_LIMIT ? t->price : 0, t->leaves,
					            MC_R_STP_CANCEL_NEWEST);
					t->leaves = 0;
					return 1;
				}
				emit_cancel(e, b, o->id, o->account, o->side, o->price, o->leaves,
				            MC_R_STP_CANCEL_OLDEST);
				mc_remove_order(e, b, o);
			}
			else
			{
				int64_t q = o->leaves < t->leaves ? o->leaves : t->leaves;

				o->leaves -= q;
				o->filled += q;
				lvl->total -= q;
				t->leaves -= q;
				b->last_price = price;
				emit_trade(e, b, t, o, price, q);
				if (o->leaves == 0)
					mc_remove_order(e, b, o);
			}
			o = next;
		}
	}
	return 0;
}
