/*
 * om_accounts.c - the order manager's reference data: accounts (opened, KYC,
 * suspension, default limits) and symbols (listing, currency, tick value,
 * halts).
 *
 * Contract: every change here is a sequenced command (add_symbol,
 * open_account, set_kyc, suspend_account, halt, resume) applied by the
 * pipeline; ids are the name registry's, checked by the caller.  A refusal
 * (already suspended, unknown KYC label, ...) changes nothing.
 */
#include <string.h>

#include "om_internal.h"

static const char *const kyc_labels[] = {NULL, "pending", "verified", "rejected",
                                         "suspended"};

static void
default_limits(om_limits *l)
{
	l->max_order_quantity = PGX_DEFAULT_MAX_ORDER_QUANTITY;
	l->max_order_notional = PGX_DEFAULT_MAX_ORDER_NOTIONAL;
	l->max_daily_notional = PGX_DEFAULT_MAX_DAILY_NOTIONAL;
	l->max_open_orders = PGX_DEFAULT_MAX_OPEN_ORDERS;
	l->orders_per_second = PGX_DEFAULT_ORDERS_PER_SECOND;
	l->burst = PGX_DEFAULT_BURST;
}

int
om_add_symbol(om *m, uint32_t sym, pgx_str currency, int64_t tick_value,
              int64_t reference_ticks, om_refusal *f)
{
	om_symbol *s = &m->symbols[sym];
	int cur = om_currency_index(m, currency);

	if (cur < 0)
		return om_refuse(f, 0, "unknown_currency", PGX_SQLSTATE_UNKNOWN_CURRENCY,
		                 "currency \"%.*s\" is not valid or matchd already trades %d "
		                 "currencies",
		                 currency.len == PGX_STR_NULL ? 0 : (int)currency.len,
		                 currency.len == PGX_STR_NULL ? "" : currency.ptr,
		                 OM_MAX_CURRENCIES);
	if (tick_value < 1 || tick_value > 1000000000 || reference_ticks < 0)
		return om_refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "tick value %lld or reference %lld out of range",
		                 (long long)tick_value, (long long)reference_ticks);
	memset(s, 0, sizeof(*s));
	s->listed = 1;
	s->currency = (uint8_t)cur;
	s->tick_value = tick_value;
	s->reference = reference_ticks;
	s->band_bps = PGX_DEFAULT_PRICE_BAND_BPS;
	s->collar_bps = PGX_DEFAULT_MARKET_COLLAR_BPS;
	s->maker_bps = PGX_DEFAULT_FEE_BPS;
	s->taker_bps = PGX_DEFAULT_FEE_BPS;
	return 0;
}

void
om_add_account(om *m, uint32_t acct, int kyc)
{
	om_account *a = &m->accounts[acct];

	memset(a, 0, sizeof(*a));
	a->opened = 1;
	a->kyc = (uint8_t)kyc;
	default_limits(&a->lim);
	a->tokens = a->lim.burst * MICRO;
}

int
om_kyc_level(pgx_str status)
{
	for (int k = OM_KYC_PENDING; k <= OM_KYC_SUSPENDED; k++)
		if (status.len == strlen(kyc_labels[k]) &&
		    memcmp(status.ptr, kyc_labels[k], status.len) == 0)
			return k;
	return -1;
}

const char *
om_kyc_name(uint8_t kyc)
{
	return kyc <= OM_KYC_SUSPENDED && kyc_labels[kyc] ? kyc_labels[kyc] : "unknown";
}

int
om_set_kyc(om *m, uint32_t acct, pgx_str status, om_refusal *f)
{
	int k = om_kyc_level(status);

	if (k < 0)
		return om_refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "unknown KYC status");
	m->accounts[acct].kyc = (uint8_t)k;
	return 0;
}

int
om_suspend(om *m, uint32_t acct, int suspend, om_refusal *f)
{
	om_account *a = &m->accounts[acct];

	if (a->suspended == suspend)
		return om_refuse(f, 0, "bad_state", PGX_SQLSTATE_BAD_STATE,
		                 suspend ? "the account is already suspended"
		                         : "the account is not suspended");
	a->suspended = (uint8_t)suspend;
	return 0;
}

int
om_halt(om *m, uint32_t sym, int halt, om_refusal *f)
{
	om_symbol *s = &m->symbols[sym];

	if (s->halted == halt)
		return om_refuse(f, 0, "bad_state", PGX_SQLSTATE_BAD_STATE,
		                 halt ? "the symbol is already halted"
		                      : "the symbol is not halted");
	s->halted = (uint8_t)halt;
	return 0;
}

int
om_symbol_halted(const om *m, uint32_t sym)
{
	return m->symbols[sym].halted;
}

int
om_account_opened(const om *m, uint32_t acct)
{
	return acct < m->cfg.max_accounts && m->accounts[acct].opened;
}

int
om_symbol_listed(const om *m, uint32_t sym)
{
	return sym < m->cfg.max_symbols && m->symbols[sym].listed;
}
