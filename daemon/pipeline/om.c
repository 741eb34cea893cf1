/*
 * om.c - the order manager: its life cycle, the market's session and trading
 * day, and refusals (see om.h for the money model, om_internal.h for the parts).
 *
 * Layout: accounts and symbols are arrays indexed by the registry's ids; cash
 * is a dense [account][currency] array; share positions and the ledger of
 * open orders are pools found through open-addressing maps (om_map.c).
 * Everything is sized at om_create, except the day's client order ids
 * (clordid.h: grown by doubling, amortized, kept across days).  Changed wallet
 * entries are remembered in a dirty list for the SQL projection
 * (om_wallets.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "om_internal.h"

int
om_refuse(om_refusal *f, uint8_t reason, const char *code, const char *sqlstate,
          const char *fmt, ...)
{
	va_list ap;

	f->reason = reason;
	f->code = code;
	f->sqlstate = sqlstate;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return -1;
}

om *
om_create(const om_config *cfg)
{
	om *m = calloc(1, sizeof(*m));
	uint32_t orders = cfg->max_orders + 1; /* the one in flight */

	if (m == NULL)
		return NULL;
	m->cfg = *cfg;
	cl_init(&m->clordids);
	if ((uint64_t)cfg->max_accounts * OM_MAX_CURRENCIES >= (1u << 30) ||
	    cfg->max_positions >= (1u << 30))
		goto fail;
	m->dirty_cap =
	    cfg->max_accounts * OM_MAX_CURRENCIES + cfg->max_positions + OM_MAX_CURRENCIES;
	m->accounts = calloc(cfg->max_accounts, sizeof(*m->accounts));
	m->symbols = calloc(cfg->max_symbols, sizeof(*m->symbols));
	m->cash = calloc((size_t)cfg->max_accounts * OM_MAX_CURRENCIES, sizeof(*m->cash));
	m->positions =
	    calloc(cfg->max_positions ? cfg->max_positions : 1, sizeof(*m->positions));
	m->orders = calloc(orders, sizeof(*m->orders));
	m->free_orders = calloc(orders, sizeof(*m->free_orders));
	m->dirty = calloc(m->dirty_cap, sizeof(*m->dirty));
	if (!m->accounts || !m->symbols || !m->cash || !m->positions || !m->orders ||
	    !m->free_orders || !m->dirty ||
	    om_map_init(&m->position_map, cfg->max_positions) ||
	    om_map_init(&m->order_map, orders))
		goto fail;
	/* lowest slots first, so the ledger's layout is the same on every replay */
	for (uint32_t i = 0; i < orders; i++)
		m->free_orders[i] = orders - 1 - i;
	m->nfree = orders;
	return m;
fail:
	om_destroy(m);
	return NULL;
}

void
om_destroy(om *m)
{
	if (m == NULL)
		return;
	free(m->accounts);
	free(m->symbols);
	free(m->cash);
	free(m->positions);
	free(m->orders);
	free(m->free_orders);
	free(m->dirty);
	om_map_free(&m->position_map);
	om_map_free(&m->order_map);
	cl_free(&m->clordids);
	free(m);
}

int
om_market_open(const om *m)
{
	return m->market_open;
}

void
om_set_market_open(om *m, int open)
{
	m->market_open = open;
}

void
om_set_day(om *m, int32_t day)
{
	m->day = day;
}

void
om_end_day(om *m)
{
	cl_clear(&m->clordids);
}

uint32_t
om_clordids(const om *m)
{
	return m->clordids.count;
}
