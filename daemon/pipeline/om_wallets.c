/*
 * om_wallets.c - the order manager's wallets: the currencies it knows, cash
 * per account and currency, share positions per account and symbol, the hold
 * a new order takes from them, their reads (tests, tools), and the projection
 * of changed entries to SQL (om_flush_wallets).
 *
 * Contract: a balance is {available, held} and never negative; cash changes
 * through deposits and withdrawals, shares through credits and debits, both
 * sequenced commands, and through orders (holds here, fills and releases in
 * om_settle.c).  Every change marks its entry dirty with the seq that changed
 * it, so that the journal batch carries the entry to exchange.wallets /
 * positions / fees_collected.  Conservation is checked in om_check.c.
 */
#include <stdlib.h>
#include <string.h>

#include "om_internal.h"

int
om_find_currency(const om *m, pgx_str code)
{
	if (code.len != 3)
		return -1;
	for (uint32_t i = 0; i < m->ncurrencies; i++)
		if (memcmp(m->currencies[i], code.ptr, 3) == 0)
			return (int)i;
	return -1;
}

/* The currency's index, registering it on first use; -1 when invalid or full. */
int
om_currency_index(om *m, pgx_str code)
{
	int i = om_find_currency(m, code);

	if (i >= 0)
		return i;
	if (code.len != 3 || m->ncurrencies >= OM_MAX_CURRENCIES)
		return -1;
	for (int k = 0; k < 3; k++)
		if (code.ptr[k] < 'A' || code.ptr[k] > 'Z')
			return -1;
	memcpy(m->currencies[m->ncurrencies], code.ptr, 3);
	m->currencies[m->ncurrencies][3] = '\0';
	return (int)m->ncurrencies++;
}

/* The position of (acct, sym), created when create is set; NULL if full. */
om_position *
om_position_of(om *m, uint32_t acct, uint32_t sym, int create, uint32_t *index)
{
	uint64_t key = (uint64_t)acct << 32 | sym;
	int64_t i = map_get(&m->position_map, key);

	if (i < 0)
	{
		if (!create || m->npositions >= m->cfg.max_positions)
			return NULL;
		if (om_map_grow(&m->position_map))
			for (uint32_t k = 0; k < m->npositions; k++)
				om_map_put(&m->position_map, m->positions[k].key, k);
		i = m->npositions++;
		m->positions[i].key = key;
		om_map_put(&m->position_map, key, (uint32_t)i);
	}
	*index = (uint32_t)i;
	return &m->positions[i];
}

int
om_cash(om *m, uint32_t acct, pgx_str currency, int64_t amount, int withdraw, int64_t seq,
        om_refusal *f)
{
	int cur = withdraw ? om_find_currency(m, currency) : om_currency_index(m, currency);
	om_entry *e;

	if (amount <= 0 || amount > AMOUNT_MAX)
		return om_refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
		                 "amount %lld is not a positive amount", (long long)amount);
	if (cur < 0 && withdraw)
		return om_refuse(f, 0, "insufficient_funds", PGX_SQLSTATE_INSUFFICIENT_FUNDS,
		                 "insufficient funds: nothing available in %.*s",
		                 currency.len == PGX_STR_NULL ? 0 : (int)currency.len,
		                 currency.len == PGX_STR_NULL ? "" : currency.ptr);
	if (cur < 0)
		return om_refuse(f, 0, "unknown_currency", PGX_SQLSTATE_UNKNOWN_CURRENCY,
		                 "currency not valid, or matchd already holds %d currencies",
		                 OM_MAX_CURRENCIES);
	e = cash_of(m, acct, cur);
	if (withdraw && e->available < amount)
		return om_refuse(f, 0, "insufficient_funds", PGX_SQLSTATE_INSUFFICIENT_FUNDS,
		                 "insufficient funds: withdrawing %lld but %lld %s available "
		                 "(minor units; %lld held by open orders)",
		                 (long long)amount, (long long)e->available, m->currencies[cur],
		                 (long long)e->held);
	if (!withdraw && (e->available + e->held > AMOUNT_MAX - amount ||
	                  m->deposited[cur] > AMOUNT_MAX - amount))
		return om_refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
		                 "the deposit would pass the largest balance matchd keeps");
	e->available += withdraw ? -amount : amount;
	m->deposited[cur] += withdraw ? -amount : amount;
	touch(m, e, cash_tag(acct, cur), seq);
	return 0;
}

int
om_shares(om *m, uint32_t acct, uint32_t sym, int64_t qty, int debit, int64_t seq,
          om_refusal *f)
{
	uint32_t index;
	om_position *p;

	if (qty <= 0 || qty > MC_MAX_QTY * 1000)
		return om_refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
		                 "quantity %lld is not a positive quantity", (long long)qty);
	p = om_position_of(m, acct, sym, !debit, &index);
	if (debit && (p == NULL || p->e.available < qty))
		return om_refuse(f, 0, "insufficient_shares", PGX_SQLSTATE_INSUFFICIENT_SHARES,
		                 "insufficient shares: debiting %lld but %lld available (%lld "
		                 "held by open orders)",
		                 (long long)qty, p ? (long long)p->e.available : 0LL,
		                 p ? (long long)p->e.held : 0LL);
	if (p == NULL)
		return om_refuse(f, 0, "capacity", PGX_SQLSTATE_CAPACITY,
		                 "matchd holds its maximum of %u share positions "
		                 "(--max-positions)",
		                 m->cfg.max_positions);
	p->e.available += debit ? -qty : qty;
	m->symbols[sym].credited += debit ? -qty : qty;
	touch(m, &p->e, DIRTY_SHARES | index, seq);
	return 0;
}

/*
 * Takes what a new order of c->qty at price (the worst it may trade at)
 * holds: for a buy, the notional plus the worst fee, rounded up, in cash; for
 * a sell, the shares.  The hold, or -1 with *f when the account has not
 * enough available.
 */
int64_t
om_take_hold(om *m, const mc_command *c, const om_symbol *s, int64_t price, int64_t seq,
             om_refusal *f)
{
	int64_t hold;

	if (c->side == MC_BUY)
	{
		om_entry *cash = cash_of(m, c->account, s->currency);

		hold = buy_hold(price, s->tick_value, c->qty, s->maker_bps, s->taker_bps);
		if (hold < 0 || hold > cash->available)
			return om_refuse(f, MC_R_INSUFFICIENT_FUNDS, "insufficient_funds",
			                 PGX_SQLSTATE_INSUFFICIENT_FUNDS,
			                 "insufficient funds: the order needs %lld %s (minor units, "
			                 "fees included) and the account has %lld available",
			                 (long long)(hold < 0 ? AMOUNT_MAX : hold),
			                 m->currencies[s->currency], (long long)cash->available);
		cash->available -= hold;
		cash->held += hold;
		touch(m, cash, cash_tag(c->account, s->currency), seq);
	}
	else
	{
		uint32_t index;
		om_position *p = om_position_of(m, c->account, c->symbol, 0, &index);

		if (p == NULL || p->e.available < c->qty)
			return om_refuse(f, MC_R_INSUFFICIENT_SHARES, "insufficient_shares",
			                 PGX_SQLSTATE_INSUFFICIENT_SHARES,
			                 "insufficient shares: selling %lld but %lld available",
			                 (long long)c->qty, p ? (long long)p->e.available : 0LL);
		hold = c->qty;
		p->e.available -= hold;
		p->e.held += hold;
		touch(m, &p->e, DIRTY_SHARES | index, seq);
	}
	return hold;
}

int
om_cash_balance(const om *m, uint32_t acct, pgx_str currency, om_balance *out)
{
	int cur = om_find_currency(m, currency);

	if (cur < 0 || acct >= m->cfg.max_accounts)
		return -1;
	out->available = m->cash[(size_t)acct * OM_MAX_CURRENCIES + cur].available;
	out->held = m->cash[(size_t)acct * OM_MAX_CURRENCIES + cur].held;
	return 0;
}

int
om_share_balance(const om *m, uint32_t acct, uint32_t sym, om_balance *out)
{
	int64_t i = map_get(&m->position_map, (uint64_t)acct << 32 | sym);

	if (i < 0)
	{
		out->available = out->held = 0;
		return -1;
	}
	out->available = m->positions[i].e.available;
	out->held = m->positions[i].e.held;
	return 0;
}

uint32_t
om_dirty(const om *m)
{
	return m->ndirty;
}

static pgx_str
str_of(const char *s)
{
	pgx_str r = {s, s ? (uint16_t)strlen(s) : PGX_STR_NULL};

	return r;
}

int
om_flush_wallets(om *m, const mj_names *names, uint8_t **buf, size_t *cap, size_t *len)
{
	uint32_t n = m->ndirty;

	*len = PGX_WALLETS_HEADER;
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t tag = m->dirty[i] & DIRTY_TAG, index = m->dirty[i] & ~DIRTY_TAG;
		pgx_wallet_entry e;
		om_entry *src;
		char code[4];
		size_t size;

		if (tag == DIRTY_CASH)
		{
			uint32_t acct = index / OM_MAX_CURRENCIES, cur = index % OM_MAX_CURRENCIES;

			src = &m->cash[index];
			e.asset = PGX_ASSET_CASH;
			e.account = str_of(names->account_name(names->ctx, acct));
			memcpy(code, m->currencies[cur], 4);
			e.code = str_of(code);
		}
		else if (tag == DIRTY_SHARES)
		{
			om_position *p = &m->positions[index];

			src = &p->e;
			e.asset = PGX_ASSET_SHARES;
			e.account = str_of(names->account_name(names->ctx, (uint32_t)(p->key >> 32)));
			e.code = str_of(names->symbol_name(names->ctx, (uint32_t)p->key));
		}
		else
		{
			src = &m->fees[index];
			e.asset = PGX_ASSET_FEES;
			e.account = str_of(NULL);
			memcpy(code, m->currencies[index], 4);
			e.code = str_of(code);
		}
		e.available = src->available;
		e.held = src->held;
		e.seq = src->seq;
		size = pgx_wallet_entry_size(&e);
		if (*len + size > *cap)
		{
			size_t want = (*cap ? *cap : 4096);
			uint8_t *grown;

			while (want < *len + size)
				want *= 2;
			if ((grown = realloc(*buf, want)) == NULL)
				return -1;
			*buf = grown;
			*cap = want;
		}
		*len += pgx_encode_wallet_entry(*buf + *len, &e);
		src->dirty = 0;
	}
	if (*cap < PGX_WALLETS_HEADER)
	{
		uint8_t *grown = realloc(*buf, 4096);

		if (grown == NULL)
			return -1;
		*buf = grown;
		*cap = 4096;
	}
	pgx_encode_wallets_header(*buf, n);
	m->ndirty = 0;
	return (int)n;
}
