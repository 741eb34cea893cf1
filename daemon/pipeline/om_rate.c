/*
 * om_rate.c - the per-account rate limit: a token bucket of orders_per_second
 * refilled continuously up to burst, in micro-tokens.
 *
 * Contract: the bucket runs on the sequencer's time, never a clock.  The check
 * is live only (pl_stamp: a refused order is not journaled, so a flood cannot
 * fill the journal); every journaled new order and amend takes a token at its
 * stamped time, in live traffic and replay alike, so replay rebuilds the
 * bucket exactly.
 */
#include "om_internal.h"

/* Micro-tokens of the account's bucket at ts. */
static int64_t
tokens_at(const om_account *a, int64_t ts)
{
	int64_t cap = a->lim.burst * MICRO;
	int64_t elapsed = ts > a->token_ts ? ts - a->token_ts : 0;

	/* a full refill takes burst / rate seconds: past that the bucket is full */
	if (elapsed >= cap / a->lim.orders_per_second + 1)
		return cap;
	return a->tokens + elapsed * a->lim.orders_per_second < cap
	           ? a->tokens + elapsed * a->lim.orders_per_second
	           : cap;
}

int
om_rate_check(const om *m, uint32_t acct, int64_t now_ts, om_refusal *f)
{
	const om_account *a = &m->accounts[acct];

	if (tokens_at(a, now_ts) >= MICRO)
		return 0;
	return om_refuse(f, 0, "rate_limited", PGX_SQLSTATE_RATE_LIMITED,
	                 "rate limited: the account may send %lld orders per second (burst "
	                 "%lld); try again shortly",
	                 (long long)a->lim.orders_per_second, (long long)a->lim.burst);
}

void
om_rate_take(om *m, uint32_t acct, int64_t ts)
{
	om_account *a = &m->accounts[acct];

	a->tokens = tokens_at(a, ts) - MICRO; /* may dip below 0 only in replay of
	                                         an old journal; it refills */
	if (ts > a->token_ts)
		a->token_ts = ts;
}
