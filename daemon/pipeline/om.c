/*
 * om.c - the order manager (see om.h for the money model).
 *
 * Layout: accounts and symbols are arrays indexed by the registry's ids; cash
 * is a dense [account][currency] array; share positions and the ledger of
 * open orders are pools found through open-addressing maps.  Everything is
 * sized at om_create, except the day's client order ids (clordid.h: grown by
 * doubling, amortized, kept across days).  Changed wallet entries are remembered in a
 * dirty list for the SQL projection.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clordid.h"
#include "jsonkv.h"
#include "om.h"
#include "serial.h"

#define MICRO 1000000LL /* token bucket: micro-tokens per token */
#define BPS   10000LL
/* Holds and balances stay below 2^62, so sums of two never overflow. */
#define AMOUNT_MAX (INT64_C(1) << 62)

typedef struct om_limits
{
	int64_t max_order_quantity;
	int64_t max_order_notional;
	int64_t max_daily_notional;
	int64_t max_open_orders;
	int64_t orders_per_second;
	int64_t burst;
} om_limits;

typedef struct om_account
{
	uint8_t opened;
	uint8_t kyc;
	uint8_t suspended;
	om_limits lim;
	int64_t tokens;   /* micro-tokens at token_ts */
	int64_t token_ts; /* sequencer time of the last journaled order/amend */
	int64_t open_orders;
	int64_t open_notional; /* of the open orders, at their hold price */
	int64_t day_filled;    /* notional traded on trading day `day` */
	int32_t day;
} om_account;

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

typedef struct om_order
{
	uint64_t id;
	uint32_t account;
	uint32_t symbol;
	uint8_t side;
	uint8_t market;
	int64_t maker_bps; /* fee schedule in force at entry */
	int64_t taker_bps;
	int64_t price; /* hold price, ticks (limit, or the collar) */
	int64_t ordered;
	uint32_t position; /* index + 1 of the (account, symbol) position; 0 = none yet */
	int64_t leaves;    /* as the ledger knows it */
	int64_t held;      /* cash (buy) or shares (sell) held for leaves */
} om_order;

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
	om_account *accounts;
	om_symbol *symbols;
	char currencies[OM_MAX_CURRENCIES][4];
	uint32_t ncurrencies;
	int64_t deposited[OM_MAX_CURRENCIES]; /* deposits minus withdrawals */
	om_entry fees[OM_MAX_CURRENCIES];     /* available = fees collected */
	om_entry *cash;                       /* [account * OM_MAX_CURRENCIES + currency] */
	om_position *positions;
	uint32_t npositions;
	om_map position_map;
	om_order *orders;
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
	uint64_t rested_id; /* the last order the core accepted into the book */
	cl_set clordids;    /* (account, client order id) used this trading day */
};

/* ---- helpers ----------------------------------------------------------- */

static int refuse(om_refusal *f, uint8_t reason, const char *code, const char *sqlstate,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
refuse(om_refusal *f, uint8_t reason, const char *code, const char *sqlstate,
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

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int
map_init(om_map *m, uint32_t cap)
{
	uint32_t n = 16;

	while (n < 2 * (uint64_t)cap && n < (1u << 31))
		n <<= 1;
	m->slots = calloc(n, sizeof(*m->slots));
	m->max_mask = n - 1;
	m->mask = n < 1024 ? n - 1 : 1023;
	m->count = 0;
	return m->slots ? 0 : -1;
}

static void
map_free(om_map *m)
{
	free(m->slots);
}

/* The index stored for key, or -1. */
static int64_t
map_get(const om_map *m, uint64_t key)
{
	for (uint32_t i = (uint32_t)mix(key) & m->mask;; i = (i + 1) & m->mask)
	{
		if (m->slots[i].val == 0)
			return -1;
		if (m->slots[i].key == key)
			return (int64_t)m->slots[i].val - 1;
	}
}

/* key must be absent; the caller bounds the entries below the capacity. */
static void
map_put(om_map *m, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)mix(key) & m->mask;

	while (m->slots[i].val != 0)
		i = (i + 1) & m->mask;
	m->slots[i].key = key;
	m->slots[i].val = val + 1;
	m->count++;
}

/* Whether one more entry needs a larger prefix: then it is emptied and
 * doubled, and the caller puts every entry again. */
static int
map_grow(om_map *m)
{
	if (2 * ((uint64_t)m->count + 1) <= (uint64_t)m->mask + 1 || m->mask == m->max_mask)
		return 0;
	m->mask = m->mask * 2 + 1;
	memset(m->slots, 0, ((size_t)m->mask + 1) * sizeof(*m->slots));
	m->count = 0;
	return 1;
}

static void
map_del(om_map *m, uint64_t key)
{
	uint32_t i = (uint32_t)mix(key) & m->mask;

	while (m->slots[i].val != 0 && m->slots[i].key != key)
		i = (i + 1) & m->mask;
	if (m->slots[i].val == 0)
		return;
	m->count--;
	/* backward shift: move later entries of the cluster into the hole */
	for (uint32_t j = (i + 1) & m->mask; m->slots[j].val != 0; j = (j + 1) & m->mask)
	{
		uint32_t home = (uint32_t)mix(m->slots[j].key) & m->mask;

		/* j's entry may move to i when its home is not in (i, j] */
		if (((j - home) & m->mask) >= ((j - i) & m->mask))
		{
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].val = 0;
	m->slots[i].key = 0;
}

static void
touch(om *m, om_entry *e, uint32_t tagged, int64_t seq)
{
	e->seq = seq;
	if (!e->dirty && m->ndirty < m->dirty_cap)
	{
		e->dirty = 1;
		m->dirty[m->ndirty++] = tagged;
	}
}

static int
find_currency(const om *m, pgx_str code)
{
	if (code.len != 3)
		return -1;
	for (uint32_t i = 0; i < m->ncurrencies; i++)
		if (memcmp(m->currencies[i], code.ptr, 3) == 0)
			return (int)i;
	return -1;
}

/* The currency's index, registering it on first use; -1 when invalid or full. */
static int
currency_index(om *m, pgx_str code)
{
	int i = find_currency(m, code);

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

static om_entry *
cash_of(om *m, uint32_t acct, int cur)
{
	return &m->cash[(size_t)acct * OM_MAX_CURRENCIES + (size_t)cur];
}

static uint32_t
cash_tag(uint32_t acct, int cur)
{
	return DIRTY_CASH | (acct * OM_MAX_CURRENCIES + (uint32_t)cur);
}

/* The position of (acct, sym), created when create is set; NULL if full. */
static om_position *
position_of(om *m, uint32_t acct, uint32_t sym, int create, uint32_t *index)
{
	uint64_t key = (uint64_t)acct << 32 | sym;
	int64_t i = map_get(&m->position_map, key);

	if (i < 0)
	{
		if (!create || m->npositions >= m->cfg.max_positions)
			return NULL;
		if (map_grow(&m->position_map))
			for (uint32_t k = 0; k < m->npositions; k++)
				map_put(&m->position_map, m->positions[k].key, k);
		i = m->npositions++;
		m->positions[i].key = key;
		map_put(&m->position_map, key, (uint32_t)i);
	}
	*index = (uint32_t)i;
	return &m->positions[i];
}

/* price * tick_value * qty, or -1 when it would pass AMOUNT_MAX. */
static int64_t
notional(int64_t price, int64_t tick_value, int64_t qty)
{
	int64_t v;

	if (price < 0 || qty < 0 || __builtin_mul_overflow(price, tick_value, &v) ||
	    __builtin_mul_overflow(v, qty, &v) || v > AMOUNT_MAX)
		return -1;
	return v;
}

/* amount * bps / 10000, rounded down or up, without overflow (amount >= 0). */
static int64_t
fee_of(int64_t amount, int64_t bps, int round_up)
{
	int64_t q = amount / BPS, r = amount % BPS;
	int64_t f = q * bps + (r * bps) / BPS;

	return f + (round_up && (r * bps) % BPS != 0);
}

/* What a buy of leaves at price holds: notional plus the worst fee, rounded up. */
static int64_t
buy_hold(int64_t price, int64_t tick_value, int64_t leaves, int64_t maker_bps,
         int64_t taker_bps)
{
	int64_t n = notional(price, tick_value, leaves);

	if (n < 0)
		return -1;
	return n + fee_of(n, maker_bps > taker_bps ? maker_bps : taker_bps, 1);
}

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

/* ---- life cycle ---------------------------------------------------------- */

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
	    !m->free_orders || !m->dirty || map_init(&m->position_map, cfg->max_positions) ||
	    map_init(&m->order_map, orders))
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
	map_free(&m->position_map);
	map_free(&m->order_map);
	cl_free(&m->clordids);
	free(m);
}

/* ---- reference data -------------------------------------------------------- */

int
om_add_symbol(om *m, uint32_t sym, pgx_str currency, int64_t tick_value,
              int64_t reference_ticks, om_refusal *f)
{
	om_symbol *s = &m->symbols[sym];
	int cur = currency_index(m, currency);

	if (cur < 0)
		return refuse(f, 0, "unknown_currency", PGX_SQLSTATE_UNKNOWN_CURRENCY,
		              "currency \"%.*s\" is not valid or matchd already trades %d "
		              "currencies",
		              currency.len == PGX_STR_NULL ? 0 : (int)currency.len,
		              currency.len == PGX_STR_NULL ? "" : currency.ptr,
		              OM_MAX_CURRENCIES);
	if (tick_value < 1 || tick_value > 1000000000 || reference_ticks < 0)
		return refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
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

static const char *const kyc_labels[] = {NULL, "pending", "verified", "rejected",
                                         "suspended"};

int
om_kyc_level(pgx_str status)
{
	for (int k = OM_KYC_PENDING; k <= OM_KYC_SUSPENDED; k++)
		if (status.len == strlen(kyc_labels[k]) &&
		    memcmp(status.ptr, kyc_labels[k], status.len) == 0)
			return k;
	return -1;
}

int
om_set_kyc(om *m, uint32_t acct, pgx_str status, om_refusal *f)
{
	int k = om_kyc_level(status);

	if (k < 0)
		return refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL, "unknown KYC status");
	m->accounts[acct].kyc = (uint8_t)k;
	return 0;
}

int
om_suspend(om *m, uint32_t acct, int suspend, om_refusal *f)
{
	om_account *a = &m->accounts[acct];

	if (a->suspended == suspend)
		return refuse(f, 0, "bad_state", PGX_SQLSTATE_BAD_STATE,
		              suspend ? "the account is already suspended"
		                      : "the account is not suspended");
	a->suspended = (uint8_t)suspend;
	return 0;
}

int
om_cash(om *m, uint32_t acct, pgx_str currency, int64_t amount, int withdraw, int64_t seq,
        om_refusal *f)
{
	int cur = withdraw ? find_currency(m, currency) : currency_index(m, currency);
	om_entry *e;

	if (amount <= 0 || amount > AMOUNT_MAX)
		return refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
		              "amount %lld is not a positive amount", (long long)amount);
	if (cur < 0 && withdraw)
		return refuse(f, 0, "insufficient_funds", PGX_SQLSTATE_INSUFFICIENT_FUNDS,
		              "insufficient funds: nothing available in %.*s",
		              currency.len == PGX_STR_NULL ? 0 : (int)currency.len,
		              currency.len == PGX_STR_NULL ? "" : currency.ptr);
	if (cur < 0)
		return refuse(f, 0, "unknown_currency", PGX_SQLSTATE_UNKNOWN_CURRENCY,
		              "currency not valid, or matchd already holds %d currencies",
		              OM_MAX_CURRENCIES);
	e = cash_of(m, acct, cur);
	if (withdraw && e->available < amount)
		return refuse(f, 0, "insufficient_funds", PGX_SQLSTATE_INSUFFICIENT_FUNDS,
		              "insufficient funds: withdrawing %lld but %lld %s available "
		              "(minor units; %lld held by open orders)",
		              (long long)amount, (long long)e->available, m->currencies[cur],
		              (long long)e->held);
	if (!withdraw && (e->available + e->held > AMOUNT_MAX - amount ||
	                  m->deposited[cur] > AMOUNT_MAX - amount))
		return refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
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
		return refuse(f, 0, "bad_amount", PGX_SQLSTATE_BAD_AMOUNT,
		              "quantity %lld is not a positive quantity", (long long)qty);
	p = position_of(m, acct, sym, !debit, &index);
	if (debit && (p == NULL || p->e.available < qty))
		return refuse(f, 0, "insufficient_shares", PGX_SQLSTATE_INSUFFICIENT_SHARES,
		              "insufficient shares: debiting %lld but %lld available (%lld "
		              "held by open orders)",
		              (long long)qty, p ? (long long)p->e.available : 0LL,
		              p ? (long long)p->e.held : 0LL);
	if (p == NULL)
		return refuse(f, 0, "capacity", PGX_SQLSTATE_CAPACITY,
		              "matchd holds its maximum of %u share positions "
		              "(--max-positions)",
		              m->cfg.max_positions);
	p->e.available += debit ? -qty : qty;
	m->symbols[sym].credited += debit ? -qty : qty;
	touch(m, &p->e, DIRTY_SHARES | index, seq);
	return 0;
}

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
		return refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
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
		return refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL, "no limit to change");
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
		return refuse(f, 0, "bad_command", PGX_SQLSTATE_PROTOCOL,
		              "no parameter to change");
	m->symbols[sym] = s;
	return 0;
}

int
om_halt(om *m, uint32_t sym, int halt, om_refusal *f)
{
	om_symbol *s = &m->symbols[sym];

	if (s->halted == halt)
		return refuse(f, 0, "bad_state", PGX_SQLSTATE_BAD_STATE,
		              halt ? "the symbol is already halted" : "the symbol is not halted");
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

/* ---- orders ---------------------------------------------------------------- */

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
	return refuse(f, 0, "rate_limited", PGX_SQLSTATE_RATE_LIMITED,
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

/* Common to new orders and amends: may this account trade this symbol now? */
static int
check_trading(const om *m, const om_account *a, const om_symbol *s, om_refusal *f)
{
	if (!m->market_open)
		return refuse(f, MC_R_MARKET_CLOSED, "market_closed", PGX_SQLSTATE_MARKET_CLOSED,
		              "market closed: orders are accepted between the open and the "
		              "close; see exchange.market_status()");
	if (s->halted)
		return refuse(f, MC_R_SYMBOL_HALTED, "symbol_halted", PGX_SQLSTATE_SYMBOL_HALTED,
		              "the symbol is halted: only cancels are accepted");
	if (a->kyc != OM_KYC_VERIFIED)
		return refuse(
		    f, MC_R_KYC_NOT_VERIFIED, "kyc_not_verified", PGX_SQLSTATE_KYC_NOT_VERIFIED,
		    "the account's KYC status is %s: only verified accounts may "
		    "place orders",
		    a->kyc <= OM_KYC_SUSPENDED && kyc_labels[a->kyc] ? kyc_labels[a->kyc]
		                                                     : "unknown");
	if (a->suspended)
		return refuse(f, MC_R_ACCOUNT_SUSPENDED, "account_suspended",
		              PGX_SQLSTATE_ACCOUNT_SUSPENDED,
		              "the account is suspended from trading: only cancels are accepted");
	return 0;
}

static int
check_band(const om_symbol *s, int64_t price, om_refusal *f)
{
	int64_t width, lo, hi;

	if (s->reference <= 0 || s->band_bps <= 0)
		return 0;
	width = fee_of(s->reference, s->band_bps, 0);
	lo = s->reference - width;
	hi = s->reference + width;
	if (price >= lo && price <= hi)
		return 0;
	return refuse(f, MC_R_PRICE_BAND, "price_band", PGX_SQLSTATE_PRICE_BAND,
	              "price %lld ticks is outside the price band %lld..%lld ticks "
	              "(reference %lld +- %lld bps)",
	              (long long)price, (long long)lo, (long long)hi, (long long)s->reference,
	              (long long)s->band_bps);
}

/* Daily notional: traded today plus open orders plus this one, against the limit. */
static int
check_daily(const om_account *a, int32_t day, int64_t add, om_refusal *f)
{
	int64_t filled = a->day == day ? a->day_filled : 0;
	int64_t used = filled + a->open_notional;

	if (add <= a->lim.max_daily_notional - used)
		return 0;
	return refuse(f, MC_R_MAX_DAILY_NOTIONAL, "max_daily_notional",
	              PGX_SQLSTATE_MAX_DAILY_NOTIONAL,
	              "daily notional limit: %lld traded today and %lld in open orders plus "
	              "this order's %lld would pass the account's %lld (minor units)",
	              (long long)filled, (long long)a->open_notional, (long long)add,
	              (long long)a->lim.max_daily_notional);
}

static om_order *
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

/* The order's share position, found once and remembered. */
static om_position *
order_position(om *m, om_order *o, uint32_t *index)
{
	om_position *p;

	if (o->position != 0)
	{
		*index = o->position - 1;
		return &m->positions[o->position - 1];
	}
	if ((p = position_of(m, o->account, o->symbol, 1, index)) != NULL)
		o->position = *index + 1;
	return p;
}

/* Bytes of a NUL-padded client order id (16 when it fills the field). */
static int
id_len(const char id[MC_CLORDID_LEN])
{
	int n = 0;

	while (n < MC_CLORDID_LEN && id[n] != 0)
		n++;
	return n;
}

int
om_new_order(om *m, mc_command *c, int64_t seq, om_refusal *f)
{
	om_account *a;
	om_symbol *s;
	int64_t price, n, hold;
	int market = c->type == MC_MARKET;
	om_order *o;
	uint32_t slot;

	if (c->account >= m->cfg.max_accounts || c->symbol >= m->cfg.max_symbols ||
	    !m->accounts[c->account].opened || !m->symbols[c->symbol].listed)
		return refuse(f, MC_R_BAD_COMMAND, "bad_command", PGX_SQLSTATE_PROTOCOL,
		              "unknown account or symbol");
	a = &m->accounts[c->account];
	s = &m->symbols[c->symbol];
	/*
	 * First, so that a resent order is refused whatever else changed since:
	 * every new order with a client order id takes it for the rest of the
	 * trading day, whether the order manager accepts or rejects it.
	 */
	if (c->client_order_id[0] != 0)
	{
		int64_t first = cl_find(&m->clordids, c->account, c->client_order_id);

		if (first != 0)
			return refuse(f, MC_R_DUPLICATE_CLORDID, "duplicate_client_order_id",
			              PGX_SQLSTATE_DUPLICATE_CLORDID,
			              "duplicate client order id \"%.*s\": the account already used "
			              "it today for order %lld",
			              id_len(c->client_order_id), c->client_order_id,
			              (long long)first);
		if (cl_add(&m->clordids, c->account, c->client_order_id, seq) != 0)
			return OM_OUT_OF_MEMORY;
	}
	if (check_trading(m, a, s, f) != 0)
		return -1;
	if (c->qty > a->lim.max_order_quantity)
		return refuse(f, MC_R_MAX_ORDER_QUANTITY, "max_order_quantity",
		              PGX_SQLSTATE_MAX_ORDER_QTY,
		              "order quantity %lld is above the account's limit of %lld",
		              (long long)c->qty, (long long)a->lim.max_order_quantity);
	if (c->qty <= 0 || c->qty > MC_MAX_QTY ||
	    (market && c->tif != MC_IOC && c->tif != MC_FOK))
		return 0; /* the core rejects it; nothing to hold */

	/* the price the order may trade at, at worst: what it holds and counts */
	if (!market)
	{
		if (c->price <= 0 || c->price > MC_MAX_PRICE)
			return 0; /* the core rejects it */
		if (check_band(s, c->price, f) != 0)
			return -1;
		price = c->price;
	}
	else if (s->reference > 0 && s->collar_bps > 0)
	{
		int64_t width = fee_of(s->reference, s->collar_bps, 0);

		price = c->side == MC_BUY ? s->reference + width : s->reference - width;
		if (price < 1)
			price = 1;
	}
	else if (c->side == MC_BUY)
		return refuse(f, MC_R_NO_COLLAR, "no_collar", PGX_SQLSTATE_NO_COLLAR,
		              "a market buy needs a collar: the symbol has no reference price "
		              "or no market collar; send a limit order");
	else
		price = 0; /* a market sell without a collar: shares are all it risks */

	if ((n = notional(price, s->tick_value, c->qty)) < 0 || n > a->lim.max_order_notional)
		return refuse(f, MC_R_MAX_ORDER_NOTIONAL, "max_order_notional",
		              PGX_SQLSTATE_MAX_ORDER_NOTIONAL,
		              "order notional %lld is above the account's limit of %lld (minor "
		              "units)",
		              (long long)(n < 0 ? AMOUNT_MAX : n),
		              (long long)a->lim.max_order_notional);
	if (a->open_orders >= a->lim.max_open_orders)
		return refuse(
		    f, MC_R_MAX_OPEN_ORDERS, "max_open_orders", PGX_SQLSTATE_MAX_OPEN_ORDERS,
		    "the account has %lld open orders, its limit", (long long)a->open_orders);
	if (check_daily(a, m->day, n, f) != 0)
		return -1;

	if (c->side == MC_BUY)
	{
		om_entry *cash = cash_of(m, c->account, s->currency);

		hold = buy_hold(price, s->tick_value, c->qty, s->maker_bps, s->taker_bps);
		if (hold < 0 || hold > cash->available)
			return refuse(f, MC_R_INSUFFICIENT_FUNDS, "insufficient_funds",
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
		om_position *p = position_of(m, c->account, c->symbol, 0, &index);

		if (p == NULL || p->e.available < c->qty)
			return refuse(f, MC_R_INSUFFICIENT_SHARES, "insufficient_shares",
			              PGX_SQLSTATE_INSUFFICIENT_SHARES,
			              "insufficient shares: selling %lld but %lld available",
			              (long long)c->qty, p ? (long long)p->e.available : 0LL);
		hold = c->qty;
		p->e.available -= hold;
		p->e.held += hold;
		touch(m, &p->e, DIRTY_SHARES | index, seq);
	}

	/* register the order in the ledger (a slot is always free: max_orders + 1) */
	slot = m->free_orders[--m->nfree];
	o = &m->orders[slot];
	o->id = c->order_id;
	o->account = c->account;
	o->symbol = c->symbol;
	o->side = c->side;
	o->market = (uint8_t)market;
	o->maker_bps = s->maker_bps;
	o->taker_bps = s->taker_bps;
	o->price = price;
	o->leaves = c->qty;
	o->ordered = c->qty;
	o->held = hold;
	if (map_grow(&m->order_map))
		for (uint32_t k = 0; k <= m->cfg.max_orders; k++)
			if (m->orders[k].id != 0 && k != slot)
				map_put(&m->order_map, m->orders[k].id, k);
	map_put(&m->order_map, o->id, slot);
	a->open_orders++;
	a->open_notional += n;

	/* the core sees a market order with a collar as a limit at the collar */
	if (market && price > 0)
	{
		c->type = MC_LIMIT;
		c->price = price;
	}
	return 0;
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
	if (check_trading(m, a, s, f) != 0)
		return -1;
	if (c->qty <= 0 || c->qty > MC_MAX_QTY || c->price <= 0 || c->price > MC_MAX_PRICE)
		return 0; /* the core rejects it */
	if (c->qty > a->lim.max_order_quantity)
		return refuse(f, MC_R_MAX_ORDER_QUANTITY, "max_order_quantity",
		              PGX_SQLSTATE_MAX_ORDER_QTY,
		              "order quantity %lld is above the account's limit of %lld",
		              (long long)c->qty, (long long)a->lim.max_order_quantity);
	if (c->price != o->price && check_band(s, c->price, f) != 0)
		return -1;
	n_old = notional(o->price, s->tick_value, o->leaves);
	if ((n_new = notional(c->price, s->tick_value, c->qty)) < 0 ||
	    n_new > a->lim.max_order_notional)
		return refuse(f, MC_R_MAX_ORDER_NOTIONAL, "max_order_notional",
		              PGX_SQLSTATE_MAX_ORDER_NOTIONAL,
		              "order notional %lld is above the account's limit of %lld (minor "
		              "units)",
		              (long long)(n_new < 0 ? AMOUNT_MAX : n_new),
		              (long long)a->lim.max_order_notional);
	if (n_new > n_old && check_daily(a, m->day, n_new - n_old, f) != 0)
		return -1;
	if (o->side == MC_BUY)
	{
		const om_entry *cash =
		    &m->cash[(size_t)o->account * OM_MAX_CURRENCIES + s->currency];
		int64_t need =
		    buy_hold(c->price, s->tick_value, c->qty, o->maker_bps, o->taker_bps) -
		    o->held;

		if (need > cash->available)
			return refuse(f, MC_R_INSUFFICIENT_FUNDS, "insufficient_funds",
			              PGX_SQLSTATE_INSUFFICIENT_FUNDS,
			              "insufficient funds: the amend needs %lld %s more (minor "
			              "units) and the account has %lld available",
			              (long long)need, m->currencies[s->currency],
			              (long long)cash->available);
	}
	else if (c->qty > o->leaves)
	{
		uint32_t index;
		om_position *p = position_of(m, o->account, o->symbol, 0, &index);

		if (p == NULL || p->e.available < c->qty - o->leaves)
			return refuse(f, MC_R_INSUFFICIENT_SHARES, "insufficient_shares",
			              PGX_SQLSTATE_INSUFFICIENT_SHARES,
			              "insufficient shares: the amend needs %lld more and %lld are "
			              "available",
			              (long long)(c->qty - o->leaves),
			              p ? (long long)p->e.available : 0LL);
	}
	return 0;
}

/* Sets the order's hold to what leaves at price need, moving the difference. */
static void
rehold(om *m, om_order *o, int64_t leaves, int64_t price, int64_t seq)
{
	om_symbol *s = &m->symbols[o->symbol];
	om_account *a = &m->accounts[o->account];
	int64_t want;

	a->open_notional += notional(price, s->tick_value, leaves) -
	                    notional(o->price, s->tick_value, o->leaves);
	if (o->side == MC_BUY)
	{
		om_entry *cash = cash_of(m, o->account, s->currency);

		want = buy_hold(price, s->tick_value, leaves, o->maker_bps, o->taker_bps);
		cash->available += o->held - want;
		cash->held += want - o->held;
		touch(m, cash, cash_tag(o->account, s->currency), seq);
	}
	else
	{
		uint32_t index;
		om_position *p = order_position(m, o, &index);

		want = leaves;
		p->e.available += o->held - want;
		p->e.held += want - o->held;
		touch(m, &p->e, DIRTY_SHARES | index, seq);
	}
	o->held = want;
	o->leaves = leaves;
	o->price = price;
}

static void
forget(om *m, om_order *o)
{
	uint32_t slot = (uint32_t)(o - m->orders);

	m->accounts[o->account].open_orders--;
	map_del(&m->order_map, o->id);
	if (m->cached_id == o->id)
		m->cached_id = 0;
	memset(o, 0, sizeof(*o));
	m->free_orders[m->nfree++] = slot;
}

/* Releases everything the order holds and forgets it. */
static void
release(om *m, om_order *o, int64_t seq)
{
	rehold(m, o, 0, o->price, seq);
	forget(m, o);
}

/* One side of a fill: qty at price (ticks), leaves after it. */
static int64_t
settle(om *m, om_order *o, int64_t qty, int64_t price, int64_t leaves, int maker,
       int64_t seq)
{
	om_symbol *s = &m->symbols[o->symbol];
	om_account *a = &m->accounts[o->account];
	om_entry *cash = cash_of(m, o->account, s->currency);
	int64_t n = notional(price, s->tick_value, qty);
	int64_t fee = fee_of(n, maker ? o->maker_bps : o->taker_bps, 0);
	uint32_t index;
	om_position *p = order_position(m, o, &index);

	/* the hold shrinks to what the leaves need; the fill is paid from it */
	rehold(m, o, leaves, o->price, seq);
	if (o->side == MC_BUY)
	{
		cash->available -= n + fee;
		p->e.available += qty;
	}
	else
	{
		/* the shares sold leave with the hold that rehold returned */
		p->e.available -= qty;
		cash->available += n - fee;
	}
	touch(m, cash, cash_tag(o->account, s->currency), seq);
	touch(m, &p->e, DIRTY_SHARES | index, seq);
	m->fees[s->currency].available += fee;
	touch(m, &m->fees[s->currency], DIRTY_FEES | s->currency, seq);
	if (a->day != m->day)
	{
		a->day = m->day;
		a->day_filled = 0;
	}
	a->day_filled += n;
	if (leaves == 0)
		forget(m, o);
	return fee;
}

void
om_on_event(om *m, const mc_event *ev, int64_t seq, om_fill *fill)
{
	om_order *o = order_of(m, ev->order_id);

	switch (ev->kind)
	{
		case MC_EV_TRADE:
		{
			om_order *maker = order_of(m, ev->maker_order_id);
			const om_symbol *s = &m->symbols[ev->symbol];
			int64_t n = notional(ev->price, s->tick_value, ev->qty);

			if (fill)
			{
				fill->notional = n;
				fill->taker_fee = 0;
				fill->maker_fee = 0;
			}
			m->symbols[ev->symbol].reference = ev->price;
			if (o)
			{
				int64_t fee = settle(m, o, ev->qty, ev->price, ev->leaves, 0, seq);

				if (fill)
					fill->taker_fee = fee;
			}
			if (maker)
			{
				int64_t fee =
				    settle(m, maker, ev->qty, ev->price, ev->maker_leaves, 1, seq);

				if (fill)
					fill->maker_fee = fee;
			}
			break;
		}
		case MC_EV_AMENDED:
			if (o)
				rehold(m, o, ev->leaves, ev->price, seq);
			break;
		case MC_EV_ACCEPTED:
			m->rested_id = ev->order_id;
			break;
		case MC_EV_CANCELED:
		case MC_EV_EXPIRED:
			if (o)
				release(m, o, seq);
			break;
		/* a rejected new order is released by om_after_new; a rejected amend
		 * or cancel leaves its order as it was */
		default:
			break;
	}
}

void
om_after_new(om *m, uint64_t order_id, int64_t seq)
{
	om_order *o = order_of(m, order_id);

	/* the core accepts what rests; anything else it filled, canceled or
	 * rejected, and a rejection has no event the ledger acts on */
	if (o != NULL && m->rested_id != order_id)
		release(m, o, seq);
}

uint32_t
om_open_orders(const om *m)
{
	return m->cfg.max_orders + 1 - m->nfree;
}

int
om_order_is_market(om *m, uint64_t order_id)
{
	const om_order *o = order_of(m, order_id);

	if (o == NULL || !o->market)
		return 0;
	return o->leaves == o->ordered ? 2 : 1;
}

/* ---- projection ------------------------------------------------------------- */

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

/* ---- state hash and checks --------------------------------------------------- */

static uint64_t
hash_entry(uint64_t h, const om_entry *e)
{
	return mix(h ^ mix((uint64_t)e->available * 31 + (uint64_t)e->held));
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
		h = mix(h ^ ((uint64_t)i << 24 | (uint64_t)a->kyc << 8 | a->suspended));
		h = mix(h ^ (uint64_t)a->lim.max_order_quantity ^
		        mix((uint64_t)a->lim.max_order_notional) ^
		        mix((uint64_t)a->lim.max_daily_notional + 1) ^
		        mix((uint64_t)a->lim.max_open_orders + 2) ^
		        mix((uint64_t)a->lim.orders_per_second + 3) ^
		        mix((uint64_t)a->lim.burst + 4));
		h = mix(h ^ (uint64_t)a->tokens ^ mix((uint64_t)a->token_ts) ^
		        mix((uint64_t)a->open_orders + 5) ^ mix((uint64_t)a->open_notional + 6) ^
		        mix((uint64_t)a->day_filled + 7) ^ mix((uint64_t)a->day + 8));
		for (int c = 0; c < OM_MAX_CURRENCIES; c++)
			h = hash_entry(h, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]);
	}
	for (uint32_t i = 0; i < m->cfg.max_symbols; i++)
	{
		const om_symbol *s = &m->symbols[i];

		if (!s->listed)
			continue;
		h = mix(h ^ ((uint64_t)i << 16 | (uint64_t)s->halted << 8 | s->currency));
		h = mix(h ^ (uint64_t)s->tick_value ^ mix((uint64_t)s->reference) ^
		        mix((uint64_t)s->band_bps + 1) ^ mix((uint64_t)s->collar_bps + 2) ^
		        mix((uint64_t)s->maker_bps + 3) ^ mix((uint64_t)s->taker_bps + 4) ^
		        mix((uint64_t)s->credited + 5));
	}
	for (uint32_t c = 0; c < m->ncurrencies; c++)
		h = hash_entry(mix(h ^ (uint64_t)m->deposited[c]), &m->fees[c]);
	/* positions and orders: order-independent sums of per-entry hashes */
	for (uint32_t i = 0; i < m->npositions; i++)
		positions += hash_entry(m->positions[i].key, &m->positions[i].e);
	for (uint32_t i = 0; i <= m->cfg.max_orders; i++)
	{
		const om_order *o = &m->orders[i];

		if (o->id == 0)
			continue;
		orders += mix(o->id ^ mix((uint64_t)o->price) ^ mix((uint64_t)o->leaves + 1) ^
		              mix((uint64_t)o->held + 2) ^ mix((uint64_t)o->maker_bps + 3) ^
		              mix((uint64_t)o->taker_bps + 4) ^ ((uint64_t)o->market << 40));
	}
	/* the day's client order ids; an empty set leaves the hash as it was */
	if (m->clordids.count > 0)
		h = mix(h ^ cl_hash(&m->clordids) ^ 0xc1);
	return mix(h ^ positions) ^ mix(orders + 0x51);
}

int
om_cash_balance(const om *m, uint32_t acct, pgx_str currency, om_balance *out)
{
	int cur = find_currency(m, currency);

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

int
om_check_invariants(const om *m, char *why, size_t size)
{
	int64_t cash[OM_MAX_CURRENCIES] = {0}, held[OM_MAX_CURRENCIES] = {0};
	int64_t *shares = calloc(m->cfg.max_symbols + 1, sizeof(int64_t));
	int64_t *held_shares = calloc((size_t)m->npositions + 1, sizeof(int64_t));
	int rc = -1;

	if (shares == NULL || held_shares == NULL)
	{
		snprintf(why, size, "out of memory");
		goto out;
	}
	for (uint32_t a = 0; a < m->cfg.max_accounts; a++)
		for (uint32_t c = 0; c < OM_MAX_CURRENCIES; c++)
		{
			const om_entry *e = &m->cash[(size_t)a * OM_MAX_CURRENCIES + c];

			if (e->available < 0 || e->held < 0)
			{
				snprintf(why, size, "account %u currency %u: negative cash %lld/%lld", a,
				         c, (long long)e->available, (long long)e->held);
				goto out;
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
			goto out;
		}
	for (uint32_t i = 0; i < m->npositions; i++)
	{
		const om_entry *e = &m->positions[i].e;

		if (e->available < 0 || e->held < 0)
		{
			snprintf(why, size, "position %u: negative shares %lld/%lld", i,
			         (long long)e->available, (long long)e->held);
			goto out;
		}
		shares[(uint32_t)m->positions[i].key] += e->available + e->held;
	}
	for (uint32_t s = 0; s < m->cfg.max_symbols; s++)
		if (shares[s] != m->symbols[s].credited)
		{
			snprintf(why, size, "symbol %u: %lld shares held but %lld credited", s,
			         (long long)shares[s], (long long)m->symbols[s].credited);
			goto out;
		}
	/* every hold is exactly what the ledger's open orders need */
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
				goto out;
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
				goto out;
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
			goto out;
		}
	}
	for (uint32_t i = 0; i < m->npositions; i++)
		if (m->positions[i].e.held != held_shares[i])
		{
			snprintf(why, size, "position %u: %lld shares held, open sells need %lld", i,
			         (long long)m->positions[i].e.held, (long long)held_shares[i]);
			goto out;
		}
	rc = 0;
out:
	free(shares);
	free(held_shares);
	return rc;
}

/* ---- snapshots ---------------------------------------------------------------- */

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

size_t
om_save_format(const om *m, uint8_t *buf, size_t cap, uint32_t format)
{
	mc_wbuf w = {buf, cap, 0};
	uint32_t nsym = 0, nacct = 0, norders = om_open_orders(m), n = 0;
	uint64_t *ledger = NULL; /* (id, slot) pairs, by id */

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

	mc_put_u32(&w, nsym);
	for (uint32_t i = 0; i < nsym; i++)
	{
		const om_symbol *s = &m->symbols[i];

		mc_put_u8(&w, s->listed);
		mc_put_u8(&w, s->halted);
		mc_put_u8(&w, s->currency);
		mc_put_i64(&w, s->tick_value);
		mc_put_i64(&w, s->reference);
		mc_put_i64(&w, s->band_bps);
		mc_put_i64(&w, s->collar_bps);
		mc_put_i64(&w, s->maker_bps);
		mc_put_i64(&w, s->taker_bps);
		mc_put_i64(&w, s->credited);
	}

	mc_put_u32(&w, nacct);
	for (uint32_t i = 0; i < nacct; i++)
	{
		const om_account *a = &m->accounts[i];

		mc_put_u8(&w, a->opened);
		mc_put_u8(&w, a->kyc);
		mc_put_u8(&w, a->suspended);
		mc_put_i64(&w, a->lim.max_order_quantity);
		mc_put_i64(&w, a->lim.max_order_notional);
		mc_put_i64(&w, a->lim.max_daily_notional);
		mc_put_i64(&w, a->lim.max_open_orders);
		mc_put_i64(&w, a->lim.orders_per_second);
		mc_put_i64(&w, a->lim.burst);
		mc_put_i64(&w, a->tokens);
		mc_put_i64(&w, a->token_ts);
		mc_put_i64(&w, a->open_orders);
		mc_put_i64(&w, a->open_notional);
		mc_put_i64(&w, a->day_filled);
		mc_put_u32(&w, (uint32_t)a->day);
		/* currencies beyond ncurrencies are never touched: always zero */
		for (uint32_t c = 0; c < m->ncurrencies; c++)
			save_entry(&w, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]);
	}

	/* creation order: a position's index is part of the ledger's records */
	mc_put_u32(&w, m->npositions);
	for (uint32_t i = 0; i < m->npositions; i++)
	{
		mc_put_u64(&w, m->positions[i].key);
		save_entry(&w, &m->positions[i].e);
	}

	/* the ledger by id: slots depend on history, ids do not */
	mc_put_u32(&w, norders);
	if (buf != NULL && norders > 0)
	{
		if ((ledger = malloc(sizeof(uint64_t) * 2 * norders)) == NULL)
			return (size_t)-1;
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

		mc_put_u64(&w, o->id);
		mc_put_u32(&w, o->account);
		mc_put_u32(&w, o->symbol);
		mc_put_u8(&w, o->side);
		mc_put_u8(&w, o->market);
		mc_put_i64(&w, o->maker_bps);
		mc_put_i64(&w, o->taker_bps);
		mc_put_i64(&w, o->price);
		mc_put_i64(&w, o->ordered);
		mc_put_u32(&w, o->position);
		mc_put_i64(&w, o->leaves);
		mc_put_i64(&w, o->held);
	}
	free(ledger);
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

int
om_load(om *m, const uint8_t *buf, size_t len, char *why, size_t size)
{
	mc_rbuf r = {buf, len, 0, 0};
	uint32_t nsym, nacct, npos, norders;
	uint64_t prev_id = 0;
	uint32_t format;

#define TRUNC()                                                                          \
	do                                                                                   \
	{                                                                                    \
		if (r.bad)                                                                       \
			return snap_fail(why, size, "order manager section ends early");             \
	} while (0)

	if (m->ncurrencies != 0 || m->npositions != 0 || m->nfree != m->cfg.max_orders + 1)
		return snap_fail(why, size, "order manager is not fresh");
	/*
	 * Format 1 (before client order ids) loads with an empty set: snapshots
	 * are taken right after an accepted close, which empties it.
	 */
	format = mc_get_u32(&r);
	if (r.bad)
		return snap_fail(why, size, "order manager section ends early");
	if (format != 1 && format != OM_SNAP_FORMAT)
		return snap_fail(why, size,
		                 "order manager section has format %u; this matchd "
		                 "reads 1 and %d",
		                 format, OM_SNAP_FORMAT);
	m->market_open = mc_get_u8(&r);
	m->day = (int32_t)mc_get_u32(&r);
	m->rested_id = mc_get_u64(&r);
	TRUNC();
	if (m->market_open > 1)
		return snap_fail(why, size, "market session %d is not 0 or 1", m->market_open);

	m->ncurrencies = mc_get_u32(&r);
	TRUNC();
	if (m->ncurrencies > OM_MAX_CURRENCIES)
		return snap_fail(why, size, "%u currencies (at most %d)", m->ncurrencies,
		                 OM_MAX_CURRENCIES);
	for (uint32_t c = 0; c < m->ncurrencies; c++)
	{
		const uint8_t *code = mc_get_bytes(&r, 3);

		m->deposited[c] = mc_get_i64(&r);
		if (!load_entry(&r, &m->fees[c]))
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

	nsym = mc_get_u32(&r);
	TRUNC();
	if (nsym > m->cfg.max_symbols)
		return snap_fail(why, size, "%u symbols, --max-symbols is %u", nsym,
		                 m->cfg.max_symbols);
	for (uint32_t i = 0; i < nsym; i++)
	{
		om_symbol *s = &m->symbols[i];

		s->listed = mc_get_u8(&r);
		s->halted = mc_get_u8(&r);
		s->currency = mc_get_u8(&r);
		s->tick_value = mc_get_i64(&r);
		s->reference = mc_get_i64(&r);
		s->band_bps = mc_get_i64(&r);
		s->collar_bps = mc_get_i64(&r);
		s->maker_bps = mc_get_i64(&r);
		s->taker_bps = mc_get_i64(&r);
		s->credited = mc_get_i64(&r);
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

	nacct = mc_get_u32(&r);
	TRUNC();
	if (nacct > m->cfg.max_accounts)
		return snap_fail(why, size, "%u accounts, --max-accounts is %u", nacct,
		                 m->cfg.max_accounts);
	for (uint32_t i = 0; i < nacct; i++)
	{
		om_account *a = &m->accounts[i];
		const om_limits *l = &a->lim;

		a->opened = mc_get_u8(&r);
		a->kyc = mc_get_u8(&r);
		a->suspended = mc_get_u8(&r);
		a->lim.max_order_quantity = mc_get_i64(&r);
		a->lim.max_order_notional = mc_get_i64(&r);
		a->lim.max_daily_notional = mc_get_i64(&r);
		a->lim.max_open_orders = mc_get_i64(&r);
		a->lim.orders_per_second = mc_get_i64(&r);
		a->lim.burst = mc_get_i64(&r);
		a->tokens = mc_get_i64(&r);
		a->token_ts = mc_get_i64(&r);
		a->open_orders = mc_get_i64(&r);
		a->open_notional = mc_get_i64(&r);
		a->day_filled = mc_get_i64(&r);
		a->day = (int32_t)mc_get_u32(&r);
		for (uint32_t c = 0; c < m->ncurrencies; c++)
			if (!load_entry(&r, &m->cash[(size_t)i * OM_MAX_CURRENCIES + c]))
				return r.bad ? snap_fail(why, size, "order manager section ends early")
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

	npos = mc_get_u32(&r);
	TRUNC();
	if (npos > m->cfg.max_positions)
		return snap_fail(why, size, "%u share positions, --max-positions is %u", npos,
		                 m->cfg.max_positions);
	for (uint32_t i = 0; i < npos; i++)
	{
		uint64_t key = mc_get_u64(&r);
		uint32_t index;
		om_position *p;

		if (!load_entry(&r, &m->positions[i].e))
			return r.bad ? snap_fail(why, size, "order manager section ends early")
			             : snap_fail(why, size, "position %u: shares out of range", i);
		if ((key >> 32) >= nacct || (uint32_t)key >= nsym ||
		    !m->accounts[key >> 32].opened || !m->symbols[(uint32_t)key].listed)
			return snap_fail(why, size, "position %u: unknown account or symbol", i);
		if (map_get(&m->position_map, key) >= 0)
			return snap_fail(why, size, "position %u: twice", i);
		p = position_of(m, (uint32_t)(key >> 32), (uint32_t)key, 1, &index);
		if (p == NULL || index != i)
			return snap_fail(why, size, "position %u: does not fit", i);
		p->e = m->positions[i].e;
	}

	norders = mc_get_u32(&r);
	TRUNC();
	if (norders > m->cfg.max_orders)
		return snap_fail(why, size, "%u open orders, --max-orders is %u", norders,
		                 m->cfg.max_orders);
	for (uint32_t i = 0; i < norders; i++)
	{
		uint32_t slot = m->free_orders[--m->nfree];
		om_order *o = &m->orders[slot];

		o->id = mc_get_u64(&r);
		o->account = mc_get_u32(&r);
		o->symbol = mc_get_u32(&r);
		o->side = mc_get_u8(&r);
		o->market = mc_get_u8(&r);
		o->maker_bps = mc_get_i64(&r);
		o->taker_bps = mc_get_i64(&r);
		o->price = mc_get_i64(&r);
		o->ordered = mc_get_i64(&r);
		o->position = mc_get_u32(&r);
		o->leaves = mc_get_i64(&r);
		o->held = mc_get_i64(&r);
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
		if (map_grow(&m->order_map))
			for (uint32_t k = 0; k <= m->cfg.max_orders; k++)
				if (m->orders[k].id != 0 && k != slot)
					map_put(&m->order_map, m->orders[k].id, k);
		map_put(&m->order_map, o->id, slot);
	}
	if (format >= 2 && cl_load(&m->clordids, &r, nacct, why, size) != 0)
		return -1;
	if (r.off != r.len)
		return snap_fail(why, size, "order manager section has %zu trailing bytes",
		                 r.len - r.off);
	return 0;
#undef TRUNC
}
