/*
 * plreq.h - request records for the pipeline's tests (test-only code): a
 * record per command as the extension sends it, before pl_stamp.
 */
#ifndef MJ_PLREQ_H
#define MJ_PLREQ_H

#include <stdint.h>

#include "exchange_wire.h"

pgx_str s_(const char *s);
pgx_record req_blank(int kind);
void put(pgx_record *r, int field, int64_t v);
pgx_record req_new(const char *sym, const char *acct, int side, int type, int tif,
                   int64_t price, int64_t qty);
pgx_record req_cancel(const char *acct, int64_t id);
/* mass_cancel of acct's open orders, of sym (NULL: all symbols) */
pgx_record req_mass_cancel(const char *acct, const char *sym);
pgx_record req_amend(const char *acct, int64_t id, int64_t qty, int64_t price);
/* A symbol trading around 100.00 (ticks of 0.01 = 1 cent) in USD. */
pgx_record req_symbol(const char *sym);
pgx_record req_account(const char *acct);
/* An account command with a detail (set_kyc, suspend, limits, ...). */
pgx_record req_admin(int kind, const char *acct, const char *sym, const char *detail);
/* deposit / withdraw; the currency's detail lives until the next call */
pgx_record req_cash(int kind, const char *acct, int64_t amount, const char *currency);
pgx_record req_shares(int kind, const char *acct, const char *sym, int64_t qty);

/* The symbols and accounts req_random draws from (a test lists and funds them). */
#define REQ_NSYMBOLS  4
#define REQ_NACCOUNTS 6
extern const char *const req_symbols[REQ_NSYMBOLS];
extern const char *const req_accounts[REQ_NACCOUNTS];

/*
 * How often req_random draws each kind: cumulative thresholds in thousandths
 * (a draw below new_order is a new order, then below cancel a cancel, and so
 * on; at or above open, a market close).  Without open orders, a cancel or
 * amend draw becomes a new order.
 */
typedef struct req_mix
{
	int new_order, cancel, amend, deposit, withdraw, credit, debit, kyc, suspend,
	    account_limits, symbol_limits, halt, open;
} req_mix;

/*
 * A random command of any kind a broker or an administrator may send: orders
 * of every type and time in force (accounts trade with themselves, so STP
 * happens), amends and cancels of ids[0..nids), mass cancels, cash, shares, KYC,
 * suspensions, limits (rate limits included), fees and bands, halts, and the
 * market's open and close.  The detail it returns lives until the next call.
 */
pgx_record req_random(uint64_t *seed, const req_mix *mix, const int64_t *ids, int nids);

#endif
