/*
 * om.h - the order manager: accounts, KYC, wallets, risk checks, the market's
 * session and rate limits.
 *
 * The seed puts an order manager between the gateway and the sequencer.  Here
 * it is part of matchd's pure business logic, beside the matching core: the
 * pipeline asks it before a command reaches the core and tells it every event
 * the core produced.  Its state changes only through sequenced commands and
 * their events, so replaying the journal rebuilds it exactly (om_hash).
 *
 * Money model (integers only):
 *   - cash per account and currency, in the currency's minor unit: available
 *     and held; shares per account and symbol: available and held;
 *   - a symbol's tick_value says how many minor units one tick of price is
 *     worth per share, so notional = price (ticks) * tick_value * quantity;
 *   - a buy holds hold_for(leaves) = notional at its limit (market orders: at
 *     the collar) plus the worst-case fee rounded up; a sell holds its shares;
 *   - a fill moves notional from buyer to seller, each pays its fee (maker or
 *     taker bps, as in force when the order was entered, rounded down) to the
 *     exchange, and the buyer's unused hold for the filled part is released;
 *   - cancels, expiries and rejections release what the order still holds.
 * Conservation (tested): per currency, sum of cash + fees collected =
 * deposits - withdrawals; per symbol, shares = credits - debits.
 *
 * Memory is allocated at om_create only.
 */
#ifndef MJ_OM_H
#define MJ_OM_H

#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "engine.h"
#include "events.h"
#include "exchange_wire.h"
#include "records.h"

#define OM_MAX_CURRENCIES 8

/* exchange.kyc_status, in label order */
enum om_kyc
{
	OM_KYC_PENDING = 1,
	OM_KYC_VERIFIED = 2,
	OM_KYC_REJECTED = 3,
	OM_KYC_SUSPENDED = 4
};

typedef struct om_config
{
	uint32_t max_accounts;
	uint32_t max_symbols;
	uint32_t max_orders;    /* resting orders (one more is in flight) */
	uint32_t max_positions; /* (account, symbol) share positions */
} om_config;

/* Why the order manager refused a command. */
typedef struct om_refusal
{
	uint8_t reason;       /* MC_R_* (order commands) or 0 */
	const char *code;     /* reason text for the journal */
	const char *sqlstate; /* PGX_SQLSTATE_* */
	char message[224];
} om_refusal;

/* Cash effects of one trade, for its journal record. */
typedef struct om_fill
{
	int64_t notional; /* minor units the buyer paid the seller */
	int64_t taker_fee;
	int64_t maker_fee;
} om_fill;

typedef struct om om;

om *om_create(const om_config *cfg);
void om_destroy(om *m);

/* ---- reference data and administration (pl_apply) ---------------------- */

/* 0, or -1 with *f set (unknown currency table full, bad parameters). */
int om_add_symbol(om *m, uint32_t sym, pgx_str currency, int64_t tick_value,
                  int64_t reference_ticks, om_refusal *f);
void om_add_account(om *m, uint32_t acct, int kyc);

/* The om_kyc of a label of exchange.kyc_status ("verified"), or -1. */
int om_kyc_level(pgx_str status);
int om_set_kyc(om *m, uint32_t acct, pgx_str status, om_refusal *f);
int om_suspend(om *m, uint32_t acct, int suspend, om_refusal *f);
/* amount > 0; withdraw = 1 takes it out of available cash. */
int om_cash(om *m, uint32_t acct, pgx_str currency, int64_t amount, int withdraw,
            int64_t seq, om_refusal *f);
int om_shares(om *m, uint32_t acct, uint32_t sym, int64_t qty, int debit, int64_t seq,
              om_refusal *f);
int om_set_account_limits(om *m, uint32_t acct, pgx_str detail, om_refusal *f);
int om_set_symbol_limits(om *m, uint32_t sym, pgx_str detail, om_refusal *f);
int om_halt(om *m, uint32_t sym, int halt, om_refusal *f);
int om_symbol_halted(const om *m, uint32_t sym);
/* Whether an id is an opened account / a listed symbol (snapshot checks). */
int om_account_opened(const om *m, uint32_t acct);
int om_symbol_listed(const om *m, uint32_t sym);

/* The market's session (one per stream). */
int om_market_open(const om *m);
void om_set_market_open(om *m, int open);
/* The trading day of the command being applied (daily limits reset by it). */
void om_set_day(om *m, int32_t day);
/* An accepted market_close ended the trading day: client order ids may be
 * used again from the next command on. */
void om_end_day(om *m);
/* Client order ids taken in the current trading day. */
uint32_t om_clordids(const om *m);

/* ---- orders -------------------------------------------------------------- */

/* Live only (pl_stamp): 0 when the account may send an order at now_ts. */
int om_rate_check(const om *m, uint32_t acct, int64_t now_ts, om_refusal *f);
/* Every journaled new order and amend takes a token at its sequencer time. */
void om_rate_take(om *m, uint32_t acct, int64_t ts);

/*
 * Checks a new order (c as journaled).  On success the
 * order's hold is taken and it is registered, and *c may be rewritten for the
 * core (a market order becomes a limit at its collar).  -1 with *f otherwise.
 * A non-empty client order id is taken for the trading day first (accepted
 * or refused alike); one the account already took is refused
 * (duplicate_client_order_id, PX077).  OM_OUT_OF_MEMORY when the set of
 * client order ids cannot grow (fatal: nothing about the order changed).
 */
#define OM_OUT_OF_MEMORY (-2)
int om_new_order(om *m, mc_command *c, int64_t seq, om_refusal *f);
/* Checks an amend (new price and quantity in c) against the order's ledger. */
int om_check_amend(om *m, const mc_command *c, om_refusal *f);
/* Every event of the core, in order; *fill is set for trades (may be NULL). */
void om_on_event(om *m, const mc_event *ev, int64_t seq, om_fill *fill);
/* After a new order's command: forgets it unless the core accepted it into
 * the book (releasing what it still holds). */
void om_after_new(om *m, uint64_t order_id, int64_t seq);
/* Open orders in the ledger (equal to the core's resting orders). */
uint32_t om_open_orders(const om *m);
/* 0: not an open market order; 1: a market order with fills; 2: without. */
int om_order_is_market(om *m, uint64_t order_id);

/* ---- projection, state and checks --------------------------------------- */

/*
 * Encodes the wallet entries changed since the last call as a PWL1 payload
 * (exchange_wire.h) into buf (grown with realloc; never on the order path's
 * hot loop: once per journal batch) and forgets them.  Returns the entries,
 * or -1 when out of memory.
 */
int om_flush_wallets(om *m, const mj_names *names, uint8_t **buf, size_t *cap,
                     size_t *len);
/* Entries waiting for om_flush_wallets. */
uint32_t om_dirty(const om *m);

/* Hash of accounts, limits, wallets, holds, open-order ledger and session. */
uint64_t om_hash(const om *m);

/* Read access for tests and tools. */
typedef struct om_balance
{
	int64_t available;
	int64_t held;
} om_balance;
int om_cash_balance(const om *m, uint32_t acct, pgx_str currency, om_balance *out);
int om_share_balance(const om *m, uint32_t acct, uint32_t sym, om_balance *out);

/*
 * Checks the conservation invariant and that nothing is negative, and that
 * every hold equals what the open orders need.  0, or -1 with why set.
 */
int om_check_invariants(const om *m, char *why, size_t size);

/*
 * Snapshots: the order manager's state as bytes (core/serial.h encoding):
 * the session and day, currencies with deposits and fees, symbols (fees,
 * bands, reference prices), accounts (KYC, suspension, limits, token bucket,
 * daily notional, cash), share positions in creation order and the ledger of
 * open orders by id, then (format 2) the trading day's client order ids in
 * the order they were taken.  A function of the state alone, so equal states save
 * equal bytes; the wallet projection's pending entries (om_flush_wallets) and
 * lookup caches are not state and are left out.
 *
 * om_save writes into buf when the bytes fit in cap and returns their size
 * (buf NULL, cap 0 measures); (size_t)-1 when out of memory (it sorts the
 * ledger in a temporary array).  om_load needs a fresh om (om_create, nothing
 * applied) and validates every value against the om's capacities; 0, or -1
 * with why set, and then the om is half-filled and must be destroyed.
 */
#define OM_SNAP_FORMAT 2 /* 2: + the day's client order ids (clordid.h) */
size_t om_save(const om *m, uint8_t *buf, size_t cap);
/* om_save in an older format (1: without client order ids, only when the
 * set is empty), for comparing with snapshots saved in it; (size_t)-1 when
 * the state does not fit the format. */
size_t om_save_format(const om *m, uint8_t *buf, size_t cap, uint32_t format);
int om_load(om *m, const uint8_t *buf, size_t len, char *why, size_t size);

#endif
