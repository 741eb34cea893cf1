/*
 * om_snap.c - the order manager's state as snapshot bytes and back (om_save,
 * om_load; the layout is in om.h).
 *
 * Contract: equal states save equal bytes (the ledger is written by order id,
 * not by slot; pending projection entries and caches are not state); a load
 * into a fresh order manager validates every value against its capacities and
 * accepts one encoding per state, so save(load(x)) == x.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "om_internal.h"

static void
save_entry(mc_wbuf *w, const om_entry *e)
{
	mc_put_i64(w, e->available);
	mc_put_i64(w, e->held);
	mc_put_i64(w, e->seq);
}

static int
cmp_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
om_save(const om *m, uint8_t *buf, size_t cap)
{
	return om_save_format(m, buf, cap, OM_SNAP_FORMAT);
}

/* Symbols 0..nsym - 1 (nsym: one past the last listed). */
static void
save_symbols(const om *m, mc_wbuf *w, uint32_t nsym)
{
	mc_put_u32(w, nsym);
	for (uint32_t i = 0; i < nsym; i++)
	{
		const om_symbol *s = &m->symbols[i];

		mc_put_u8(w, s->listed);
		mc_put_u8(w, s->halted);
		mc_put_u8(w, s->currency);
		mc_put_i64(w, s->tick_value);
		mc_put_i64(w, s->reference);
		mc_put_i64(w, s->band_bps);
		mc_put_i64(w, s->collar_bps);
		mc_put_i64(w, s->maker_bps);
		mc_put_i64(w, s->taker_bps);
		mc_put_i64(w, s->credited);
	}
}

/* Accounts 0..nacct - 1 (nacct: one past the last opened), with their cash. */
static void
save_accounts(const om *m, mc_wbuf *w, uint32_t nacct)
{
	mc_put_u32(w, nacct);
	for (uint32_t i = 0; i < nacct; i++)
	{
		const om_account *a = &m->accounts[i];

		mc_put_u8(w, a->opened);
		mc_put_u8(w, a->kyc);
		mc_put_u8(w, a->suspended);
		mc_put_i64(w, a->lim.max_order_quantity);
		mc_put_i64(w, a->lim.max_order_notional);
		mc_put_i64(w, a->lim.max_daily_notional);
		mc_put_i64(w, a->lim.max_open_orders);
		mc_put_i64(w, a->lim.orders_per_second);
		mc_put_i64(w, a->lim.burst);
		mc_put_i64(w, a->tokens);
		mc_put_i64(w, a->token_ts);
		mc_put_i64(w, a->open_orders);
		mc_put_i64(w, a->open_notional);
		mc_put_i64(w, a->day_filled);
		mc_put_u32(w, (uint32_t)a->day);
		/* currencies beyond ncurrencies are never touched: always zero */
		for (uint32_t c = 0; c < m->ncurrencies; c++)
			save_entry(w, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]);
	}
}

/*
 * The ledger by id: slots depend on history, ids do not.  0, or -1 when out
 * of memory (writing, not measuring, sorts the ledger in a temporary array).
 */
static int
save_ledger(const om *m, mc_wbuf *w)
{
	uint32_t norders = om_open_orders(m), n = 0;
	uint64_t *ledger = NULL; /* (id, slot) pairs, by id */

	mc_put_u32(w, norders);
	if (w->p != NULL && norders > 0)
	{
		if ((ledger = malloc(sizeof(uint64_t) * 2 * norders)) == NULL)
			return -1;
		for (uint32_t k = 0; k <= m->cfg.max_orders && n < norders; k++)
			if (m->orders[k].id != 0)
			{
				ledger[2 * n] = m->orders[k].id;
				ledger[2 * n + 1] = k;
				n++;
			}
		qsort(ledger, n, 2 * sizeof(uint64_t), cmp_ids);
	}
	for (uint32_t i = 0; i < norders; i++)
	{
		const om_order *o = ledger ? &m->orders[ledger[2 * i + 1]] : &m->orders[0];

		mc_put_u64(w, o->id);
		mc_put_u32(w, o->account);
		mc_put_u32(w, o->symbol);
		mc_put_u8(w, o->side);
		mc_put_u8(w, o->market);
		mc_put_i64(w, o->maker_bps);
		mc_put_i64(w, o->taker_bps);
		mc_put_i64(w, o->price);
		mc_put_i64(w, o->ordered);
		mc_put_u32(w, o->position);
		mc_put_i64(w, o->leaves);
		mc_put_i64(w, o->held);
	}
	free(ledger);
	return 0;
}

size_t
om_save_format(const om *m, uint8_t *buf, size_t cap, uint32_t format)
{
	mc_wbuf w = {buf, cap, 0};
	uint32_t nsym = 0, nacct = 0;

	for (uint32_t i = 0; i < m->cfg.max_symbols; i++)
		if (m->symbols[i].listed)
			nsym = i + 1;
	for (uint32_t i = 0; i < m->cfg.max_accounts; i++)
		if (m->accounts[i].opened)
			nacct = i + 1;

	/* format 1 has no client order ids: it can only hold an empty set */
	if (format != OM_SNAP_FORMAT && (format != 1 || m->clordids.count != 0))
		return (size_t)-1;
	mc_put_u32(&w, format);
	mc_put_u8(&w, (uint8_t)m->market_open);
	mc_put_u32(&w, (uint32_t)m->day);
	mc_put_u64(&w, m->rested_id);

	mc_put_u32(&w, m->ncurrencies);
	for (uint32_t c = 0; c < m->ncurrencies; c++)
	{
		mc_put_bytes(&w, m->currencies[c], 3);
		mc_put_i64(&w, m->deposited[c]);
		save_entry(&w, &m->fees[c]);
	}

	save_symbols(m, &w, nsym);
	save_accounts(m, &w, nacct);
	/* creation order: a position's index is part of the ledger's records */
	mc_put_u32(&w, m->npositions);
	for (uint32_t i = 0; i < m->npositions; i++)
	{
		mc_put_u64(&w, m->positions[i].key);
		save_entry(&w, &m->positions[i].e);
	}

	if (save_ledger(m, &w) != 0)
		return (size_t)-1;
	if (format >= 2)
		cl_save(&m->clordids, &w);
	return w.len;
}

static int snap_fail(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
snap_fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
load_entry(mc_rbuf *r, om_entry *e)
{
	e->available = mc_get_i64(r);
	e->held = mc_get_i64(r);
	e->seq = mc_get_i64(r);
	e->dirty = 0;
	return e->available >= 0 && e->held >= 0 && e->available <= AMOUNT_MAX &&
	       e->held <= AMOUNT_MAX && e->seq >= 0;
}

static int
in_range(int64_t v, int64_t lo, int64_t hi)
{
	return v >= lo && v <= hi;
}

/* In the load_* sections below: a read ran past the end of the section. */
#define TRUNC()                                                                          \
	do                                                                                   \
	{                                                                                    \
		if (r->bad)                                                                      \
			return snap_fail(why, size, "order manager section ends early");             \
	} while (0)

/* The format, the session and the trading day. */
static int
load_session(om *m, mc_rbuf *r, uint32_t *format_out, char *why, size_t size)
{
	uint32_t format;

	/*
	 * Format 1 (before client order ids) loads with an empty set: snapshots
	 * are taken right after an accepted close, which empties it.
	 */
	format = mc_get_u32(r);
	if (r->bad)
		return snap_fail(why, size, "order manager section ends early");
	if (format != 1 && format != OM_SNAP_FORMAT)
		return snap_fail(why, size,
		                 "order manager section has format %u; this matchd "
		                 "reads 1 and %d",
		                 format, OM_SNAP_FORMAT);
	m->market_open = mc_get_u8(r);
	m->day = (int32_t)mc_get_u32(r);
	m->rested_id = mc_get_u64(r);
	TRUNC();
	if (m->market_open > 1)
		return snap_fail(why, size, "market session %d is not 0 or 1", m->market_open);
	*format_out = format;
	return 0;
}

/* The currencies, with their deposits and fees. */
static int
load_currencies(om *m, mc_rbuf *r, char *why, size_t size)
{
	m->ncurrencies = mc_get_u32(r);
	TRUNC();
	if (m->ncurrencies > OM_MAX_CURRENCIES)
		return snap_fail(why, size, "%u currencies (at most %d)", m->ncurrencies,
		                 OM_MAX_CURRENCIES);
	for (uint32_t c = 0; c < m->ncurrencies; c++)
	{
		const uint8_t *code = mc_get_bytes(r, 3);

		m->deposited[c] = mc_get_i64(r);
		if (!load_entry(r, &m->fees[c]))
			return snap_fail(why, size, "currency %u: fees out of range", c);
		TRUNC();
		for (int k = 0; k < 3; k++)
			if (code[k] < 'A' || code[k] > 'Z')
				return snap_fail(why, size, "currency %u: code is not A-Z", c);
		memcpy(m->currencies[c], code, 3);
		m->currencies[c][3] = '\0';
		for (uint32_t k = 0; k < c; k++)
			if (memcmp(m->currencies[k], code, 3) == 0)
				return snap_fail(why, size, "currency %s twice", m->currencies[c]);
		if (!in_range(m->deposited[c], 0, AMOUNT_MAX))
			return snap_fail(why, size, "currency %s: deposits out of range",
			                 m->currencies[c]);
	}
	return 0;
}

/* The symbols; *nsym_out: how many. */
static int
load_symbols(om *m, mc_rbuf *r, uint32_t *nsym_out, char *why, size_t size)
{
	uint32_t nsym;

	nsym = mc_get_u32(r);
	TRUNC();
	if (nsym > m->cfg.max_symbols)
		return snap_fail(why, size, "%u symbols, --max-symbols is %u", nsym,
		                 m->cfg.max_symbols);
	for (uint32_t i = 0; i < nsym; i++)
	{
		om_symbol *s = &m->symbols[i];

		s->listed = mc_get_u8(r);
		s->halted = mc_get_u8(r);
		s->currency = mc_get_u8(r);
		s->tick_value = mc_get_i64(r);
		s->reference = mc_get_i64(r);
		s->band_bps = mc_get_i64(r);
		s->collar_bps = mc_get_i64(r);
		s->maker_bps = mc_get_i64(r);
		s->taker_bps = mc_get_i64(r);
		s->credited = mc_get_i64(r);
		TRUNC();
		if (s->listed > 1 || s->halted > 1 || (i == nsym - 1 && !s->listed))
			return snap_fail(why, size, "symbol %u: bad flags", i);
		/* an id never listed is all zeros: one encoding per state */
		if (!s->listed &&
		    (s->halted || s->currency || s->tick_value || s->reference || s->band_bps ||
		     s->collar_bps || s->maker_bps || s->taker_bps || s->credited))
			return snap_fail(why, size, "symbol %u: not listed but not empty", i);
		if (s->listed &&
		    (s->currency >= m->ncurrencies || !in_range(s->tick_value, 1, 1000000000) ||
		     !in_range(s->reference, 0, MC_MAX_PRICE) || !in_range(s->band_bps, 0, BPS) ||
		     !in_range(s->collar_bps, 0, BPS) || !in_range(s->maker_bps, 0, BPS) ||
		     !in_range(s->taker_bps, 0, BPS) || !in_range(s->credited, 0, AMOUNT_MAX)))
			return snap_fail(why, size, "symbol %u: parameter out of range", i);
	}
	*nsym_out = nsym;
	return 0;
}

/* The accounts and their cash; *nacct_out: how many. */
static int
load_accounts(om *m, mc_rbuf *r, uint32_t *nacct_out, char *why, size_t size)
{
	uint32_t nacct;

	nacct = mc_get_u32(r);
	TRUNC();
	if (nacct > m->cfg.max_accounts)
		return snap_fail(why, size, "%u accounts, --max-accounts is %u", nacct,
		                 m->cfg.max_accounts);
	for (uint32_t i = 0; i < nacct; i++)
	{
		om_account *a = &m->accounts[i];
		const om_limits *l = &a->lim;

		a->opened = mc_get_u8(r);
		a->kyc = mc_get_u8(r);
		a->suspended = mc_get_u8(r);
		a->lim.max_order_quantity = mc_get_i64(r);
		a->lim.max_order_notional = mc_get_i64(r);
		a->lim.max_daily_notional = mc_get_i64(r);
		a->lim.max_open_orders = mc_get_i64(r);
		a->lim.orders_per_second = mc_get_i64(r);
		a->lim.burst = mc_get_i64(r);
		a->tokens = mc_get_i64(r);
		a->token_ts = mc_get_i64(r);
		a->open_orders = mc_get_i64(r);
		a->open_notional = mc_get_i64(r);
		a->day_filled = mc_get_i64(r);
		a->day = (int32_t)mc_get_u32(r);
		for (uint32_t c = 0; c < m->ncurrencies; c++)
			if (!load_entry(r, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]))
				return r->bad ? snap_fail(why, size, "order manager section ends early")
				              : snap_fail(why, size, "account %u: cash out of range", i);
		TRUNC();
		if (a->opened > 1 || a->suspended > 1 || (i == nacct - 1 && !a->opened))
			return snap_fail(why, size, "account %u: bad flags", i);
		if (!a->opened)
		{
			/* an id never opened is all zeros: one encoding per state */
			int64_t any = a->kyc | a->suspended | a->lim.max_order_quantity |
			              a->lim.max_order_notional | a->lim.max_daily_notional |
			              a->lim.max_open_orders | a->lim.orders_per_second |
			              a->lim.burst | a->tokens | a->token_ts | a->open_orders |
			              a->open_notional | a->day_filled | a->day;

			for (uint32_t c = 0; c < m->ncurrencies; c++)
			{
				const om_entry *e = &m->cash[(size_t)i * OM_MAX_CURRENCIES + c];

				any |= e->available | e->held | e->seq;
			}
			if (any != 0)
				return snap_fail(why, size, "account %u: not opened but not empty", i);
		}
		if (a->opened &&
		    (a->kyc < OM_KYC_PENDING || a->kyc > OM_KYC_SUSPENDED ||
		     !in_range(l->max_order_quantity, 1, MC_MAX_QTY) ||
		     !in_range(l->max_order_notional, 1, AMOUNT_MAX) ||
		     !in_range(l->max_daily_notional, 1, AMOUNT_MAX) ||
		     !in_range(l->max_open_orders, 1, 100000000) ||
		     !in_range(l->orders_per_second, 1, 1000000) ||
		     !in_range(l->burst, 1, 1000000) || !in_range(a->open_orders, 0, 100000000) ||
		     !in_range(a->open_notional, 0, AMOUNT_MAX) ||
		     !in_range(a->day_filled, 0, INT64_MAX) ||
		     !in_range(a->tokens, -AMOUNT_MAX, AMOUNT_MAX)))
			return snap_fail(why, size, "account %u: value out of range", i);
	}
	*nacct_out = nacct;
	return 0;
}

/* The share positions, in creation order; *npos_out: how many. */
static int
load_positions(om *m, mc_rbuf *r, uint32_t nacct, uint32_t nsym, uint32_t *npos_out,
               char *why, size_t size)
{
	uint32_t npos;

	npos = mc_get_u32(r);
	TRUNC();
	if (npos > m->cfg.max_positions)
		return snap_fail(why, size, "%u share positions, --max-positions is %u", npos,
		                 m->cfg.max_positions);
	for (uint32_t i = 0; i < npos; i++)
	{
		uint64_t key = mc_get_u64(r);
		uint32_t index;
		om_position *p;

		if (!load_entry(r, &m->positions[i].e))
			return r->bad ? snap_fail(why, size, "order manager section ends early")
			              : snap_fail(why, size, "position %u: shares out of range", i);
		if ((key >> 32) >= nacct || (uint32_t)key >= nsym ||
		    !m->accounts[key >> 32].opened || !m->symbols[(uint32_t)key].listed)
			return snap_fail(why, size, "position %u: unknown account or symbol", i);
		if (map_get(&m->position_map, key) >= 0)
			return snap_fail(why, size, "position %u: twice", i);
		p = om_position_of(m, (uint32_t)(key >> 32), (uint32_t)key, 1, &index);
		if (p == NULL || index != i)
			return snap_fail(why, size, "position %u: does not fit", i);
		p->e = m->positions[i].e;
	}
	*npos_out = npos;
	return 0;
}

/* The ledger of open orders, by id. */
static int
load_ledger(om *m, mc_rbuf *r, uint32_t nacct, uint32_t nsym, uint32_t npos, char *why,
            size_t size)
{
	uint32_t norders;
	uint64_t prev_id = 0;

	norders = mc_get_u32(r);
	TRUNC();
	if (norders > m->cfg.max_orders)
		return snap_fail(why, size, "%u open orders, --max-orders is %u", norders,
		                 m->cfg.max_orders);
	for (uint32_t i = 0; i < norders; i++)
	{
		uint32_t slot = m->free_orders[--m->nfree];
		om_order *o = &m->orders[slot];

		o->id = mc_get_u64(r);
		o->account = mc_get_u32(r);
		o->symbol = mc_get_u32(r);
		o->side = mc_get_u8(r);
		o->market = mc_get_u8(r);
		o->maker_bps = mc_get_i64(r);
		o->taker_bps = mc_get_i64(r);
		o->price = mc_get_i64(r);
		o->ordered = mc_get_i64(r);
		o->position = mc_get_u32(r);
		o->leaves = mc_get_i64(r);
		o->held = mc_get_i64(r);
		TRUNC();
		if (o->id <= prev_id)
			return snap_fail(why, size, "open orders out of order at id %llu",
			                 (unsigned long long)o->id);
		prev_id = o->id;
		if (o->account >= nacct || !m->accounts[o->account].opened || o->symbol >= nsym ||
		    !m->symbols[o->symbol].listed || (o->side != MC_BUY && o->side != MC_SELL) ||
		    o->market > 1 || !in_range(o->maker_bps, 0, BPS) ||
		    !in_range(o->taker_bps, 0, BPS) || !in_range(o->price, 0, MC_MAX_PRICE) ||
		    !in_range(o->ordered, 1, MC_MAX_QTY) || !in_range(o->leaves, 0, MC_MAX_QTY) ||
		    !in_range(o->held, 0, AMOUNT_MAX) || o->position > npos ||
		    (o->position != 0 && m->positions[o->position - 1].key !=
		                             ((uint64_t)o->account << 32 | o->symbol)))
			return snap_fail(why, size, "open order %llu: value out of range",
			                 (unsigned long long)o->id);
		om_ledger_index(m, slot);
	}
	return 0;
}

int
om_load(om *m, const uint8_t *buf, size_t len, char *why, size_t size)
{
	mc_rbuf r = {buf, len, 0, 0};
	uint32_t format = 0, nsym = 0, nacct = 0, npos = 0;

	if (m->ncurrencies != 0 || m->npositions != 0 || m->nfree != m->cfg.max_orders + 1)
		return snap_fail(why, size, "order manager is not fresh");
	if (load_session(m, &r, &format, why, size) != 0 ||
	    load_currencies(m, &r, why, size) != 0 ||
	    load_symbols(m, &r, &nsym, why, size) != 0 ||
	    load_accounts(m, &r, &nacct, why, size) != 0 ||
	    load_positions(m, &r, nacct, nsym, &npos, why, size) != 0 ||
	    load_ledger(m, &r, nacct, nsym, npos, why, size) != 0)
		return -1;
	if (format >= 2 && cl_load(&m->clordids, &r, nacct, why, size) != 0)
		return -1;
	if (r.off != r.len)
		return snap_fail(why, size, "order manager section has %zu trailing bytes",
		                 r.len - r.off);
	return 0;
}

#undef TRUNC
