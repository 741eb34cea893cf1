/*
 * om_internal.h - the order manager's private layout, shared by its parts
 * (om*.c) and by nothing else; om.h is the public API.
 *
 * What each part owns (each file's top comment says more):
 *   om.c           life cycle, the market's session and trading day, refusals
 *   om_map.c       the u64 -> u32 open-addressing map of positions and orders
 *   om_accounts.c  reference data: accounts (KYC, suspension), symbols (listing,
 *                  halts)
 *   om_wallets.c   cash and share balances, the holds new orders take from
 *                  them, their reads and the SQL projection of changed entries
 *   om_risk.c      the limits set by commands and the pre-trade checks
 *   om_rate.c      the per-account token bucket (rate limit)
 *   om_orders.c    the ledger of open orders: new orders and amends in, and out
 *   om_settle.c    what the core's events do to the ledger and the wallets
 *   om_check.c     the state hash and the invariants
 *   om_snap.c      the state as snapshot bytes, and back
 *
 * The small helpers of the hot path (lookups, arithmetic of money) are static
 * inline here so that splitting the order manager into files costs no calls.
 */
#ifndef MJ_OM_INTERNAL_H
#define MJ_OM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "clordid.h"
#include "hash.h"
#include "om.h"

#define MICRO 1000000LL /* token bucket: micro-tokens per token */
#define BPS   10000LL
/* Holds and balances stay below 2^62, so sums of two never overflow. */
#define AMOUNT_MAX (INT64_C(1) << 62)

/* An account's limits as commands set them and snapshots carry them (the
 * account keeps them narrower: account_limits / set_limits below). */
typedef struct om_limits
{
	int64_t max_order_quantity;
	int64_t max_order_notional;
	int64_t max_daily_notional;
	int64_t max_open_orders;
	int64_t orders_per_second;
	int64_t burst;
} om_limits;

/*
 * An account: what a new order or an amend reads and writes (the rate limit's
 * bucket, KYC and suspension, the order and daily limits, open and traded
 * notional) in one 64-byte cache line, aligned.  The narrow fields hold what
 * their commands and om_load allow: orders_per_second and burst up to
 * 1,000,000, max_order_quantity up to MC_MAX_QTY.  The open-order count and
 * its limit, read by new orders and written when an order ends, are beside
 * it in om_account_orders.
 */
typedef struct om_account
{
	_Alignas(64) int64_t tokens; /* micro-tokens at token_ts */
	int64_t token_ts;            /* sequencer time of the last journaled order/amend */
	int64_t open_notional;       /* of the open orders, at their hold price */
	int64_t day_filled;          /* notional traded on trading day `day` */
	int64_t max_order_notional;
	int64_t max_daily_notional;
	int32_t day;
	int32_t max_order_quantity;
	uint32_t orders_per_second : 20;
	uint32_t kyc : 3;
	uint32_t suspended : 1;
	uint32_t opened : 1;
	uint32_t burst : 20;
} om_account;
_Static_assert(sizeof(om_account) == 64, "an account is one cache line");

typedef struct om_account_orders
{
	int32_t open;            /* open orders (at most max_open_orders' range) */
	int32_t max_open_orders; /* up to 100,000,000 */
} om_account_orders;

typedef struct om_symbol
{
	uint8_t listed;
	uint8_t halted;
	uint8_t currency;
	int64_t tick_value;
	int64_t reference; /* ticks: last trade, or the reference set; 0 = none */
	int64_t band_bps;
	int64_t collar_bps;
	int64_t maker_bps;
	int64_t taker_bps;
	int64_t credited; /* shares credited minus debited (conservation) */
} om_symbol;

typedef struct om_entry /* one cash or share balance */
{
	int64_t available;
	int64_t held;
	int64_t seq; /* last change */
	uint8_t dirty;
} om_entry;

typedef struct om_position
{
	uint64_t key; /* account << 32 | symbol */
	om_entry e;
} om_position;

/* An open order of the ledger: one 64-byte cache line, aligned. */
typedef struct om_order
{
	_Alignas(64) uint64_t id;
	int64_t price; /* hold price, ticks (limit, or the collar) */
	int64_t ordered;
	int64_t leaves; /* as the ledger knows it */
	int64_t held;   /* cash (buy) or shares (sell) held for leaves */
	uint32_t account;
	uint32_t symbol;
	uint32_t position; /* index + 1 of the (account, symbol) position; 0 = none yet */
	int16_t maker_bps; /* fee schedule in force at entry (0..BPS) */
	int16_t taker_bps;
	uint8_t side;
	uint8_t market;
} om_order;
_Static_assert(sizeof(om_order) == 64, "a ledger entry is one cache line");

/*
 * u64 -> u32 open addressing, linear probing, deletion by backward shift.
 * The slots for the largest capacity are allocated up front, but only a
 * power-of-two prefix is in use, doubled (and refilled by the caller from
 * its pool) when it is half full: a few thousand live orders then probe a
 * few cache lines instead of a table sized for a million.
 */
typedef struct om_slot
{
	uint64_t key;
	uint32_t val; /* index + 1; 0 = empty */
	uint32_t pad;
} om_slot;

typedef struct om_map
{
	om_slot *slots;
	uint32_t mask;     /* in use: mask + 1 slots */
	uint32_t max_mask; /* allocated */
	uint32_t count;
} om_map;

enum
{
	DIRTY_CASH = 0u << 30,
	DIRTY_SHARES = 1u << 30,
	DIRTY_FEES = 2u << 30,
	DIRTY_TAG = 3u << 30
};

struct om
{
	om_config cfg;
	om_account *accounts; /* 64-byte aligned, in accounts_mem */
	void *accounts_mem;
	om_account_orders *account_orders; /* beside accounts, same index */
	om_symbol *symbols;
	char currencies[OM_MAX_CURRENCIES][4];
	uint32_t ncurrencies;
	int64_t deposited[OM_MAX_CURRENCIES]; /* deposits minus withdrawals */
	om_entry fees[OM_MAX_CURRENCIES];     /* available = fees collected */
	om_entry *cash;                       /* [account * OM_MAX_CURRENCIES + currency] */
	om_position *positions;
	uint32_t npositions;
	om_map position_map;
	om_order *orders; /* 64-byte aligned, in orders_mem */
	void *orders_mem;
	uint32_t *free_orders;
	uint32_t nfree;
	om_map order_map;
	uint32_t *dirty;
	uint32_t ndirty;
	uint32_t dirty_cap;
	int market_open;
	int32_t day; /* the trading day of the command being applied */
	/* the last order found: a command's events are mostly about one order */
	uint64_t cached_id;
	uint32_t cached_slot;
	uint32_t new_tag;   /* om_order_tag: slot + 1 of the last registered order */
	uint64_t rested_id; /* the first order the core accepted since om_new_order */
	cl_set clordids;    /* (account, client order id) used this trading day */
};

/* ---- shared functions of the parts -------------------------------------- */

/* om.c: fills *f and returns -1, so that "return om_refuse(...)" refuses. */
int om_refuse(om_refusal *f, uint8_t reason, const char *code, const char *sqlstate,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* om_map.c; the lookup, map_get, is inline below */
int om_map_init(om_map *m, uint32_t cap);
void om_map_free(om_map *m);
void om_map_put(om_map *m, uint64_t key, uint32_t val);
int om_map_grow(om_map *m);
void om_map_del(om_map *m, uint64_t key);

/* om_accounts.c: the label of an om_kyc for messages ("unknown" if none) */
const char *om_kyc_name(uint8_t kyc);

/* om_wallets.c */
int om_find_currency(const om *m, pgx_str code);
int om_currency_index(om *m, pgx_str code);
om_position *om_position_of(om *m, uint32_t acct, uint32_t sym, int create,
                            uint32_t *index);
int64_t om_take_hold(om *m, const mc_command *c, const om_symbol *s, int64_t price,
                     int64_t seq, om_refusal *f);

/* om_risk.c: each 0, or -1 with *f */
int om_check_trading(const om *m, const om_account *a, const om_symbol *s, om_refusal *f);
int om_check_quantity(const om_account *a, int64_t qty, om_refusal *f);
int om_check_band(const om_symbol *s, int64_t price, om_refusal *f);
int om_check_notional(const om_account *a, int64_t n, om_refusal *f);
int om_check_open_orders(const om_account_orders *a, om_refusal *f);
int om_check_daily(const om_account *a, int32_t day, int64_t add, om_refusal *f);

/* om_orders.c */
void om_ledger_index(om *m, uint32_t slot);
void om_forget(om *m, om_order *o);

/* ---- inline helpers -------------------------------------------------------- */

static inline void
account_limits(const om *m, uint32_t acct, om_limits *l)
{
	const om_account *a = &m->accounts[acct];

	l->max_order_quantity = a->max_order_quantity;
	l->max_order_notional = a->max_order_notional;
	l->max_daily_notional = a->max_daily_notional;
	l->max_open_orders = m->account_orders[acct].max_open_orders;
	l->orders_per_second = a->orders_per_second;
	l->burst = a->burst;
}

/* l within the ranges om_set_account_limits and om_load check. */
static inline void
set_limits(om *m, uint32_t acct, const om_limits *l)
{
	om_account *a = &m->accounts[acct];

	a->max_order_quantity = (int32_t)l->max_order_quantity;
	a->max_order_notional = l->max_order_notional;
	a->max_daily_notional = l->max_daily_notional;
	m->account_orders[acct].max_open_orders = (int32_t)l->max_open_orders;
	a->orders_per_second = (uint32_t)l->orders_per_second;
	a->burst = (uint32_t)l->burst;
}

static inline void
touch(om *m, om_entry *e, uint32_t tagged, int64_t seq)
{
	e->seq = seq;
	if (!e->dirty && m->ndirty < m->dirty_cap)
	{
		e->dirty = 1;
		m->dirty[m->ndirty++] = tagged;
	}
}

static inline om_entry *
cash_of(om *m, uint32_t acct, int cur)
{
	return &m->cash[(size_t)acct * OM_MAX_CURRENCIES + (size_t)cur];
}

static inline uint32_t
cash_tag(uint32_t acct, int cur)
{
	return DIRTY_CASH | (acct * OM_MAX_CURRENCIES + (uint32_t)cur);
}

/* price * tick_value * qty, or -1 when it would pass AMOUNT_MAX. */
static inline int64_t
notional(int64_t price, int64_t tick_value, int64_t qty)
{
	int64_t v;

	if (price < 0 || qty < 0 || __builtin_mul_overflow(price, tick_value, &v) ||
	    __builtin_mul_overflow(v, qty, &v) || v > AMOUNT_MAX)
		return -1;
	return v;
}

/* amount * bps / 10000, rounded down or up, without overflow (amount >= 0). */
static inline int64_t
fee_of(int64_t amount, int64_t bps, int round_up)
{
	int64_t q = amount / BPS, r = amount % BPS;
	int64_t f = q * bps + (r * bps) / BPS;

	return f + (round_up && (r * bps) % BPS != 0);
}

/* What a buy of leaves at price holds: notional plus the worst fee, rounded up. */
static inline int64_t
buy_hold(int64_t price, int64_t tick_value, int64_t leaves, int64_t maker_bps,
         int64_t taker_bps)
{
	int64_t n = notional(price, tick_value, leaves);

	if (n < 0)
		return -1;
	return n + fee_of(n, maker_bps > taker_bps ? maker_bps : taker_bps, 1);
}

/* The index stored for key, or -1. */
static inline int64_t
map_get(const om_map *m, uint64_t key)
{
	for (uint32_t i = (uint32_t)mc_hash_mix(key) & m->mask;; i = (i + 1) & m->mask)
	{
		if (m->slots[i].val == 0)
			return -1;
		if (m->slots[i].key == key)
			return (int64_t)m->slots[i].val - 1;
	}
}

static inline om_order *
order_of(om *m, uint64_t id)
{
	int64_t i;

	if (id == m->cached_id && id != 0)
		return &m->orders[m->cached_slot];
	if ((i = map_get(&m->order_map, id)) < 0)
		return NULL;
	m->cached_id = id;
	m->cached_slot = (uint32_t)i;
	return &m->orders[i];
}

#endif
