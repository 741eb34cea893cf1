/*
 * om_orders.c - the order manager's ledger of open orders: a new order's
 * checks, hold and entry into the ledger (om_new_order), an amend's checks
 * (om_check_amend), and the ledger's own bookkeeping.
 *
 * Contract: an order is in the ledger from its accepted new_order command
 * until the event that ends it (om_settle.c), holding exactly what its leaves
 * need at its hold price; the ledger's slots come from a free list sized at
 * om_create (max_orders + 1, the one in flight), lowest first, so its layout
 * is the same on every replay.  A refused order changes nothing but the day's
 * client order ids (taken first, accepted or refused alike).
 */
#include "om_internal.h"

/* Bytes of a NUL-padded client order id (16 when it fills the field). */
static int
id_len(const char id[MC_CLORDID_LEN])
{
	int n = 0;

	while (n < MC_CLORDID_LEN && id[n] != 0)
		n++;
	return n;
}

/*
 * Takes the new order's client order id (c has one) for the rest of the
 * trading day: 0; -1 with *f when the account already took it today;
 * OM_OUT_OF_MEMORY when the set cannot grow.
 */
static int
take_clordid(om *m, const mc_command *c, int64_t seq, om_refusal *f)
{
	int64_t first = 0;
	int rc = cl_take(&m->clordids, c->account, c->client_order_id, seq, &first);

	if (rc < 0)
		return OM_OUT_OF_MEMORY;
	if (rc > 0)
		return om_refuse(f, MC_R_DUPLICATE_CLORDID, "duplicate_client_order_id",
		                 PGX_SQLSTATE_DUPLICATE_CLORDID,
		                 "duplicate client order id \"%.*s\": the account already used "
		                 "it today for order %lld",
		                 id_len(c->client_order_id), c->client_order_id,
		                 (long long)first);
	return 0;
}

/*
 * The price a new order may trade at, at worst: what it holds and counts (a
 * limit, the collar of a market order, 0 for a market sell without one).  A
 * stop's collar is taken around its stop price, the price it enters at; a
 * stop-limit holds its limit.  1 with *price set; 0 when the core will reject
 * the order, so there is nothing to hold; -1 with *f when the order manager
 * refuses it.
 */
static int
worst_price(const om_symbol *s, const mc_command *c, int market, int64_t *price,
            om_refusal *f)
{
	int stop = c->type == MC_STOP || c->type == MC_STOP_LIMIT;
	int64_t around = c->type == MC_STOP ? c->stop_price : s->reference;

	if (stop && (c->stop_price <= 0 || c->stop_price > MC_MAX_PRICE))
		return 0; /* the core rejects it */
	if (!market)
	{
		if (c->price <= 0 || c->price > MC_MAX_PRICE)
			return 0; /* the core rejects it */
		if (om_check_band(s, c->price, f) != 0)
			return -1;
		*price = c->price;
	}
	else if (around > 0 && s->collar_bps > 0)
	{
		int64_t width = fee_of(around, s->collar_bps, 0);

		*price = c->side == MC_BUY ? around + width : around - width;
		if (*price < 1)
			*price = 1;
	}
	else if (c->side == MC_BUY)
		return stop ? om_refuse(f, MC_R_NO_COLLAR, "no_collar", PGX_SQLSTATE_NO_COLLAR,
		                        "a stop buy needs a collar: the symbol has no market "
		                        "collar; send a stop_limit order")
		            : om_refuse(f, MC_R_NO_COLLAR, "no_collar", PGX_SQLSTATE_NO_COLLAR,
		                        "a market buy needs a collar: the symbol has no "
		                        "reference price or no market collar; send a limit "
		                        "order");
	else
		*price = 0; /* a market sell without a collar: shares are all it risks */
	return 1;
}

/* Registers a new order holding hold at price in the ledger (a slot is always
 * free: max_orders + 1). */
static void
ledger_add(om *m, const mc_command *c, const om_symbol *s, int market, int64_t price,
           int64_t hold)
{
	uint32_t slot = m->free_orders[--m->nfree];
	om_order *o = &m->orders[slot];

	o->id = c->order_id;
	o->account = c->account;
	o->symbol = c->symbol;
	o->side = c->side;
	o->market = (uint8_t)market;
	o->maker_bps = (int16_t)s->maker_bps; /* 0..BPS */
	o->taker_bps = (int16_t)s->taker_bps;
	o->price = price;
	o->leaves = c->qty;
	o->ordered = c->qty;
	o->held = hold;
	om_ledger_index(m, slot);
	m->new_tag = slot + 1;
	m->cached_id = o->id; /* its events come next */
	m->cached_slot = slot;
}

int
om_new_order(om *m, mc_command *c, int64_t seq, om_refusal *f)
{
	om_account *a;
	om_symbol *s;
	int64_t price = 0, n, hold;
	int market = c->type == MC_MARKET || c->type == MC_STOP;
	int rc;

	m->new_tag = 0;
	m->rested_id = 0; /* the first order the core accepts from now on is this one */
	if (c->account >= m->cfg.max_accounts || c->symbol >= m->cfg.max_symbols ||
	    !m->accounts[c->account].opened || !m->symbols[c->symbol].listed)
		return om_refuse(f, MC_R_BAD_COMMAND, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "unknown account or symbol");
	a = &m->accounts[c->account];
	s = &m->symbols[c->symbol];
	/*
	 * First, so that a resent order is refused whatever else changed since:
	 * every new order with a client order id takes it for the rest of the
	 * trading day, whether the order manager accepts or rejects it.
	 */
	if (c->client_order_id[0] != 0 && (rc = take_clordid(m, c, seq, f)) != 0)
		return rc;
	if (om_check_trading(m, a, s, f) != 0 || om_check_quantity(a, c->qty, f) != 0)
		return -1;
	if (c->qty <= 0 || c->qty > MC_MAX_QTY ||
	    (market && c->tif != MC_IOC && c->tif != MC_FOK))
		return 0; /* the core rejects it; nothing to hold */
	if ((rc = worst_price(s, c, market, &price, f)) <= 0)
		return rc;
	n = notional(price, s->tick_value, c->qty);
	if (om_check_notional(a, n, f) != 0 ||
	    om_check_open_orders(&m->account_orders[c->account], f) != 0 ||
	    om_check_daily(a, m->day, n, f) != 0)
		return -1;
	if ((hold = om_take_hold(m, c, s, price, seq, f)) < 0)
		return -1;
	ledger_add(m, c, s, market, price, hold);
	m->account_orders[c->account].open++;
	a->open_notional += n;

	/* the core sees a market order with a collar as a limit at the collar,
	 * and a stop with one as a stop-limit there: it never trades beyond
	 * what it holds */
	if (market && price > 0)
	{
		c->type = c->type == MC_STOP ? MC_STOP_LIMIT : MC_LIMIT;
		c->price = price;
	}
	return 0;
}

uint32_t
om_order_tag(const om *m)
{
	return m->new_tag;
}

void
om_hint(om *m, const mc_order_info *info)
{
	uint32_t tag = info->tag;

	/* prefetches: memory-level parallelism with the ledger entry's load */
	if (info->account < m->cfg.max_accounts && info->symbol < m->cfg.max_symbols)
	{
		__builtin_prefetch(&m->accounts[info->account], 1);
		if (info->side == MC_BUY)
			__builtin_prefetch(
			    cash_of(m, info->account, m->symbols[info->symbol].currency), 1);
	}
	if (tag != 0 && tag <= m->cfg.max_orders + 1 && info->id != 0 &&
	    m->orders[tag - 1].id == info->id)
	{
		m->cached_id = info->id;
		m->cached_slot = tag - 1;
	}
}

int
om_check_amend(om *m, const mc_command *c, om_refusal *f)
{
	const om_order *o = order_of(m, c->order_id);
	const om_account *a;
	const om_symbol *s;
	int64_t n_old, n_new;

	if (o == NULL || o->account != c->account)
		return 0; /* not an open order of the account: the core answers */
	a = &m->accounts[o->account];
	s = &m->symbols[o->symbol];
	if (om_check_trading(m, a, s, f) != 0)
		return -1;
	/* a market sell stop without a collar has no price (0), and keeps none */
	if (c->qty <= 0 || c->qty > MC_MAX_QTY || c->price < 0 || c->price > MC_MAX_PRICE ||
	    (c->price == 0 && !(o->market && o->price == 0)))
		return 0; /* the core rejects it */
	if (om_check_quantity(a, c->qty, f) != 0 ||
	    (c->price != o->price && om_check_band(s, c->price, f) != 0))
		return -1;
	n_old = notional(o->price, s->tick_value, o->leaves);
	n_new = notional(c->price, s->tick_value, c->qty);
	if (om_check_notional(a, n_new, f) != 0)
		return -1;
	if (n_new > n_old && om_check_daily(a, m->day, n_new - n_old, f) != 0)
		return -1;
	if (o->side == MC_BUY)
	{
		const om_entry *cash =
		    &m->cash[(size_t)o->account * OM_MAX_CURRENCIES + s->currency];
		int64_t need =
		    buy_hold(c->price, s->tick_value, c->qty, o->maker_bps, o->taker_bps) -
		    o->held;

		if (need > 0 && need > cash->available) /* a smaller hold reads no cash */
			return om_refuse(f, MC_R_INSUFFICIENT_FUNDS, "insufficient_funds",
			                 PGX_SQLSTATE_INSUFFICIENT_FUNDS,
			                 "insufficient funds: the amend needs %lld %s more (minor "
			                 "units) and the account has %lld available",
			                 (long long)need, m->currencies[s->currency],
			                 (long long)cash->available);
	}
	else if (c->qty > o->leaves)
	{
		uint32_t index;
		om_position *p = om_position_of(m, o->account, o->symbol, 0, &index);

		if (p == NULL || p->e.available < c->qty - o->leaves)
			return om_refuse(
			    f, MC_R_INSUFFICIENT_SHARES, "insufficient_shares",
			    PGX_SQLSTATE_INSUFFICIENT_SHARES,
			    "insufficient shares: the amend needs %lld more and %lld are "
			    "available",
			    (long long)(c->qty - o->leaves), p ? (long long)p->e.available : 0LL);
	}
	return 0;
}

/* Puts the order in slot into the ledger's map (growing its prefix first
 * when it is half full: then every other order is put again). */
void
om_ledger_index(om *m, uint32_t slot)
{
	if (om_map_grow(&m->order_map))
		for (uint32_t k = 0; k <= m->cfg.max_orders; k++)
			if (m->orders[k].id != 0 && k != slot)
				om_map_put(&m->order_map, m->orders[k].id, k);
	om_map_put(&m->order_map, m->orders[slot].id, slot);
}

/* Takes an order out of the ledger (its holds are the caller's). */
void
om_forget(om *m, om_order *o)
{
	uint32_t slot = (uint32_t)(o - m->orders);

	m->account_orders[o->account].open--;
	om_map_del(&m->order_map, o->id);
	if (m->cached_id == o->id)
		m->cached_id = 0;
	memset(o, 0, sizeof(*o));
	m->free_orders[m->nfree++] = slot;
}

int
om_order_is_market(om *m, uint64_t order_id)
{
	const om_order *o = order_of(m, order_id);

	if (o == NULL || !o->market)
		return 0;
	return o->leaves == o->ordered ? 2 : 1;
}

uint32_t
om_open_orders(const om *m)
{
	return m->cfg.max_orders + 1 - m->nfree;
}
