/*
 * om_check.c - what replay and the tests verify of the order manager: its
 * state hash (om_hash, logged by matchd at start and stop and compared after
 * replays) and its invariants (conservation of cash and shares, nothing
 * negative, every hold what the open orders need).
 *
 * Contract: both read the state only.  The hash covers accounts, limits,
 * wallets, holds, the ledger and the session, and is independent of the
 * order of positions and ledger slots; changing what it covers changes every
 * recorded hash, so it is part of the format.
 */
#include <stdio.h>
#include <stdlib.h>

#include "om_internal.h"

static uint64_t
hash_entry(uint64_t h, const om_entry *e)
{
	return mc_hash_mix(h ^ mc_hash_mix((uint64_t)e->available * 31 + (uint64_t)e->held));
}

uint64_t
om_hash(const om *m)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)m->market_open;
	uint64_t orders = 0, positions = 0;

	for (uint32_t i = 0; i < m->cfg.max_accounts; i++)
	{
		const om_account *a = &m->accounts[i];

		if (!a->opened)
			continue;
		h = mc_hash_mix(h ^ ((uint64_t)i << 24 | (uint64_t)a->kyc << 8 | a->suspended));
		h = mc_hash_mix(h ^ (uint64_t)a->lim.max_order_quantity ^
		                mc_hash_mix((uint64_t)a->lim.max_order_notional) ^
		                mc_hash_mix((uint64_t)a->lim.max_daily_notional + 1) ^
		                mc_hash_mix((uint64_t)a->lim.max_open_orders + 2) ^
		                mc_hash_mix((uint64_t)a->lim.orders_per_second + 3) ^
		                mc_hash_mix((uint64_t)a->lim.burst + 4));
		h = mc_hash_mix(h ^ (uint64_t)a->tokens ^ mc_hash_mix((uint64_t)a->token_ts) ^
		                mc_hash_mix((uint64_t)a->open_orders + 5) ^
		                mc_hash_mix((uint64_t)a->open_notional + 6) ^
		                mc_hash_mix((uint64_t)a->day_filled + 7) ^
		                mc_hash_mix((uint64_t)a->day + 8));
		for (int c = 0; c < OM_MAX_CURRENCIES; c++)
			h = hash_entry(h, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]);
	}
	for (uint32_t i = 0; i < m->cfg.max_symbols; i++)
	{
		const om_symbol *s = &m->symbols[i];

		if (!s->listed)
			continue;
		h = mc_hash_mix(h ^ ((uint64_t)i << 16 | (uint64_t)s->halted << 8 | s->currency));
		h = mc_hash_mix(h ^ (uint64_t)s->tick_value ^
		                mc_hash_mix((uint64_t)s->reference) ^
		                mc_hash_mix((uint64_t)s->band_bps + 1) ^
		                mc_hash_mix((uint64_t)s->collar_bps + 2) ^
		                mc_hash_mix((uint64_t)s->maker_bps + 3) ^
		                mc_hash_mix((uint64_t)s->taker_bps + 4) ^
		                mc_hash_mix((uint64_t)s->credited + 5));
	}
	for (uint32_t c = 0; c < m->ncurrencies; c++)
		h = hash_entry(mc_hash_mix(h ^ (uint64_t)m->deposited[c]), &m->fees[c]);
	/* positions and orders: order-independent sums of per-entry hashes */
	for (uint32_t i = 0; i < m->npositions; i++)
		positions += hash_entry(m->positions[i].key, &m->positions[i].e);
	for (uint32_t i = 0; i <= m->cfg.max_orders; i++)
	{
		const om_order *o = &m->orders[i];

		if (o->id == 0)
			continue;
		orders += mc_hash_mix(
		    o->id ^ mc_hash_mix((uint64_t)o->price) ^
		    mc_hash_mix((uint64_t)o->leaves + 1) ^ mc_hash_mix((uint64_t)o->held + 2) ^
		    mc_hash_mix((uint64_t)o->maker_bps + 3) ^
		    mc_hash_mix((uint64_t)o->taker_bps + 4) ^ ((uint64_t)o->market << 40));
	}
	/* the day's client order ids; an empty set leaves the hash as it was */
	if (m->clordids.count > 0)
		h = mc_hash_mix(h ^ cl_hash(&m->clordids) ^ 0xc1);
	return mc_hash_mix(h ^ positions) ^ mc_hash_mix(orders + 0x51);
}

/* Cash: nothing negative, and per currency cash + fees = deposits - withdrawals. */
static int
check_cash(const om *m, char *why, size_t size)
{
	int64_t cash[OM_MAX_CURRENCIES] = {0};

	for (uint32_t a = 0; a < m->cfg.max_accounts; a++)
		for (uint32_t c = 0; c < OM_MAX_CURRENCIES; c++)
		{
			const om_entry *e = &m->cash[(size_t)a * OM_MAX_CURRENCIES + c];

			if (e->available < 0 || e->held < 0)
			{
				snprintf(why, size, "account %u currency %u: negative cash %lld/%lld", a,
				         c, (long long)e->available, (long long)e->held);
				return -1;
			}
			cash[c] += e->available + e->held;
		}
	for (uint32_t c = 0; c < m->ncurrencies; c++)
		if (cash[c] + m->fees[c].available != m->deposited[c])
		{
			snprintf(why, size,
			         "%s: cash %lld + fees %lld != deposits - withdrawals %lld",
			         m->currencies[c], (long long)cash[c],
			         (long long)m->fees[c].available, (long long)m->deposited[c]);
			return -1;
		}
	return 0;
}

/* Shares: nothing negative, and per symbol shares = credits - debits
 * (shares: max_symbols + 1 zeros, summed into). */
static int
check_shares(const om *m, int64_t *shares, char *why, size_t size)
{
	for (uint32_t i = 0; i < m->npositions; i++)
	{
		const om_entry *e = &m->positions[i].e;

		if (e->available < 0 || e->held < 0)
		{
			snprintf(why, size, "position %u: negative shares %lld/%lld", i,
			         (long long)e->available, (long long)e->held);
			return -1;
		}
		shares[(uint32_t)m->positions[i].key] += e->available + e->held;
	}
	for (uint32_t s = 0; s < m->cfg.max_symbols; s++)
		if (shares[s] != m->symbols[s].credited)
		{
			snprintf(why, size, "symbol %u: %lld shares held but %lld credited", s,
			         (long long)shares[s], (long long)m->symbols[s].credited);
			return -1;
		}
	return 0;
}

/* Every hold is exactly what the ledger's open orders need (held_shares:
 * npositions + 1 zeros, summed into). */
static int
check_holds(const om *m, int64_t *held_shares, char *why, size_t size)
{
	int64_t held[OM_MAX_CURRENCIES] = {0};

	for (uint32_t i = 0; i <= m->cfg.max_orders; i++)
	{
		const om_order *o = &m->orders[i];
		const om_symbol *s = &m->symbols[o->symbol];

		if (o->id == 0)
			continue;
		if (o->side == MC_BUY)
		{
			if (o->held !=
			    buy_hold(o->price, s->tick_value, o->leaves, o->maker_bps, o->taker_bps))
			{
				snprintf(why, size, "order %llu holds %lld for %lld leaves",
				         (unsigned long long)o->id, (long long)o->held,
				         (long long)o->leaves);
				return -1;
			}
			held[s->currency] += o->held;
		}
		else
		{
			int64_t p = map_get(&m->position_map, (uint64_t)o->account << 32 | o->symbol);

			if (p < 0 || o->held != o->leaves)
			{
				snprintf(why, size, "sell order %llu holds %lld for %lld leaves",
				         (unsigned long long)o->id, (long long)o->held,
				         (long long)o->leaves);
				return -1;
			}
			held_shares[p] += o->held;
		}
	}
	for (uint32_t c = 0; c < m->ncurrencies; c++)
	{
		int64_t sum = 0;

		for (uint32_t a = 0; a < m->cfg.max_accounts; a++)
			sum += m->cash[(size_t)a * OM_MAX_CURRENCIES + c].held;
		if (sum != held[c])
		{
			snprintf(why, size, "%s: %lld cash held, open buy orders need %lld",
			         m->currencies[c], (long long)sum, (long long)held[c]);
			return -1;
		}
	}
	for (uint32_t i = 0; i < m->npositions; i++)
		if (m->positions[i].e.held != held_shares[i])
		{
			snprintf(why, size, "position %u: %lld shares held, open sells need %lld", i,
			         (long long)m->positions[i].e.held, (long long)held_shares[i]);
			return -1;
		}
	return 0;
}

int
om_check_invariants(const om *m, char *why, size_t size)
{
	int64_t *shares = calloc(m->cfg.max_symbols + 1, sizeof(int64_t));
	int64_t *held_shares = calloc((size_t)m->npositions + 1, sizeof(int64_t));
	int rc = -1;

	if (shares == NULL || held_shares == NULL)
		snprintf(why, size, "out of memory");
	else if (check_cash(m, why, size) == 0 && check_shares(m, shares, why, size) == 0 &&
	         check_holds(m, held_shares, why, size) == 0)
		rc = 0;
	free(shares);
	free(held_shares);
	return rc;
}
