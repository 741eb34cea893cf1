/*
 * om_risk.c - the order manager's risk limits: the account's and the symbol's
 * parameters as set by commands (set_account_limits, set_symbol_limits), and
 * the pre-trade checks of a new order or an amend.
 *
 * Contract: a check reads state and never changes it; each returns 0, or -1
 * with the refusal (reason code, SQLSTATE, a message a broker can act on).
 * om_orders.c calls them in the documented order (docs/architecture.md, "The
 * order manager"): market open, symbol not halted, KYC verified, account not
 * suspended, order quantity, price band, (collar), order notional, open
 * orders, daily notional; cash and shares are om_wallets.c's.
 */
#include "jsonkv.h"
#include "om_internal.h"

/* Reads one optional integer member into *v, checking its range. */
static int
limit_member(pgx_str detail, const char *key, int64_t lo, int64_t hi, int64_t *v,
             int *changed, om_refusal *f)
{
	int64_t x;
	int rc = jkv_int(detail, key, &x);

	if (rc == JKV_ABSENT)
		return 0;
	if (rc != JKV_FOUND || x < lo || x > hi)
		return om_refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "%s must be an integer from %lld to %lld", key, (long long)lo,
		                 (long long)hi);
	*v = x;
	(*changed)++;
	return 0;
}

int
om_set_account_limits(om *m, uint32_t acct, pgx_str detail, om_refusal *f)
{
	om_limits l = m->accounts[acct].lim;
	int changed = 0;

	if (limit_member(detail, "max_order_quantity", 1, MC_MAX_QTY, &l.max_order_quantity,
	                 &changed, f) ||
	    limit_member(detail, "max_order_notional", 1, AMOUNT_MAX, &l.max_order_notional,
	                 &changed, f) ||
	    limit_member(detail, "max_daily_notional", 1, AMOUNT_MAX, &l.max_daily_notional,
	                 &changed, f) ||
	    limit_member(detail, "max_open_orders", 1, 100000000, &l.max_open_orders,
	                 &changed, f) ||
	    limit_member(detail, "orders_per_second", 1, 1000000, &l.orders_per_second,
	                 &changed, f) ||
	    limit_member(detail, "burst", 1, 1000000, &l.burst, &changed, f))
		return -1;
	if (changed == 0)
		return om_refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "no limit to change");
	m->accounts[acct].lim = l;
	return 0;
}

int
om_set_symbol_limits(om *m, uint32_t sym, pgx_str detail, om_refusal *f)
{
	om_symbol s = m->symbols[sym];
	int changed = 0;

	if (limit_member(detail, "price_band_bps", 0, BPS, &s.band_bps, &changed, f) ||
	    limit_member(detail, "market_collar_bps", 0, BPS, &s.collar_bps, &changed, f) ||
	    limit_member(detail, "maker_fee_bps", 0, BPS, &s.maker_bps, &changed, f) ||
	    limit_member(detail, "taker_fee_bps", 0, BPS, &s.taker_bps, &changed, f) ||
	    limit_member(detail, "reference_price", 1, MC_MAX_PRICE, &s.reference, &changed,
	                 f))
		return -1;
	if (changed == 0)
		return om_refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		                 "no parameter to change");
	m->symbols[sym] = s;
	return 0;
}

/* Common to new orders and amends: may this account trade this symbol now? */
int
om_check_trading(const om *m, const om_account *a, const om_symbol *s, om_refusal *f)
{
	if (!m->market_open)
		return om_refuse(f, MC_R_MARKET_CLOSED, "market_closed",
		                 PGX_SQLSTATE_MARKET_CLOSED,
		                 "market closed: orders are accepted between the open and the "
		                 "close; see exchange.market_status()");
	if (s->halted)
		return om_refuse(f, MC_R_SYMBOL_HALTED, "symbol_halted",
		                 PGX_SQLSTATE_SYMBOL_HALTED,
		                 "the symbol is halted: only cancels are accepted");
	if (a->kyc != OM_KYC_VERIFIED)
		return om_refuse(f, MC_R_KYC_NOT_VERIFIED, "kyc_not_verified",
		                 PGX_SQLSTATE_KYC_NOT_VERIFIED,
		                 "the account's KYC status is %s: only verified accounts may "
		                 "place orders",
		                 om_kyc_name(a->kyc));
	if (a->suspended)
		return om_refuse(
		    f, MC_R_ACCOUNT_SUSPENDED, "account_suspended",
		    PGX_SQLSTATE_ACCOUNT_SUSPENDED,
		    "the account is suspended from trading: only cancels are accepted");
	return 0;
}

int
om_check_quantity(const om_account *a, int64_t qty, om_refusal *f)
{
	if (qty <= a->lim.max_order_quantity)
		return 0;
	return om_refuse(f, MC_R_MAX_ORDER_QUANTITY, "max_order_quantity",
	                 PGX_SQLSTATE_MAX_ORDER_QTY,
	                 "order quantity %lld is above the account's limit of %lld",
	                 (long long)qty, (long long)a->lim.max_order_quantity);
}

int
om_check_band(const om_symbol *s, int64_t price, om_refusal *f)
{
	int64_t width, lo, hi;

	if (s->reference <= 0 || s->band_bps <= 0)
		return 0;
	width = fee_of(s->reference, s->band_bps, 0);
	lo = s->reference - width;
	hi = s->reference + width;
	if (price >= lo && price <= hi)
		return 0;
	return om_refuse(f, MC_R_PRICE_BAND, "price_band", PGX_SQLSTATE_PRICE_BAND,
	                 "price %lld ticks is outside the price band %lld..%lld ticks "
	                 "(reference %lld +- %lld bps)",
	                 (long long)price, (long long)lo, (long long)hi,
	                 (long long)s->reference, (long long)s->band_bps);
}

/* n: the order's notional, or -1 when it would pass AMOUNT_MAX (notional()). */
int
om_check_notional(const om_account *a, int64_t n, om_refusal *f)
{
	if (n >= 0 && n <= a->lim.max_order_notional)
		return 0;
	return om_refuse(
	    f, MC_R_MAX_ORDER_NOTIONAL, "max_order_notional", PGX_SQLSTATE_MAX_ORDER_NOTIONAL,
	    "order notional %lld is above the account's limit of %lld (minor "
	    "units)",
	    (long long)(n < 0 ? AMOUNT_MAX : n), (long long)a->lim.max_order_notional);
}

int
om_check_open_orders(const om_account *a, om_refusal *f)
{
	if (a->open_orders < a->lim.max_open_orders)
		return 0;
	return om_refuse(
	    f, MC_R_MAX_OPEN_ORDERS, "max_open_orders", PGX_SQLSTATE_MAX_OPEN_ORDERS,
	    "the account has %lld open orders, its limit", (long long)a->open_orders);
}

/* Daily notional: traded today plus open orders plus this one, against the limit. */
int
om_check_daily(const om_account *a, int32_t day, int64_t add, om_refusal *f)
{
	int64_t filled = a->day == day ? a->day_filled : 0;
	int64_t used = filled + a->open_notional;

	if (add <= a->lim.max_daily_notional - used)
		return 0;
	return om_refuse(
	    f, MC_R_MAX_DAILY_NOTIONAL, "max_daily_notional", PGX_SQLSTATE_MAX_DAILY_NOTIONAL,
	    "daily notional limit: %lld traded today and %lld in open orders plus "
	    "this order's %lld would pass the account's %lld (minor units)",
	    (long long)filled, (long long)a->open_notional, (long long)add,
	    (long long)a->lim.max_daily_notional);
}
