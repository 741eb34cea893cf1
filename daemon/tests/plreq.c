/*
 * plreq.c - request records for the pipeline's tests: what the extension
 * would send to matchd for each command.
 */
#include <stdio.h>
#include <string.h>

#include "plreq.h"
#include "testutil.h"

pgx_str
s_(const char *s)
{
	pgx_str r = {s, s ? (uint16_t)strlen(s) : PGX_STR_NULL};

	return r;
}

pgx_record
req_blank(int kind)
{
	pgx_record r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < PGX_S__COUNT; i++)
		r.strs[i].len = PGX_STR_NULL;
	r.kind = (uint8_t)kind;
	return r;
}

void
put(pgx_record *r, int field, int64_t v)
{
	r->ints[field] = v;
	r->present |= (uint8_t)(1u << field);
}

pgx_record
req_new(const char *sym, const char *acct, int side, int type, int tif, int64_t price,
        int64_t qty)
{
	pgx_record r = req_blank(PGX_KIND_NEW_ORDER);

	r.strs[PGX_S_SYMBOL] = s_(sym);
	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.side = (uint8_t)side;
	r.order_type = (uint8_t)type;
	r.time_in_force = (uint8_t)tif;
	if (type == PGX_TYPE_LIMIT || type == PGX_TYPE_STOP_LIMIT)
		put(&r, PGX_F_PRICE, price);
	put(&r, PGX_F_QUANTITY, qty);
	return r;
}

pgx_record
req_cancel(const char *acct, int64_t id)
{
	pgx_record r = req_blank(PGX_KIND_CANCEL_ORDER);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	put(&r, PGX_F_ORDER_ID, id);
	return r;
}

pgx_record
req_mass_cancel(const char *acct, const char *sym)
{
	pgx_record r = req_blank(PGX_KIND_MASS_CANCEL);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	if (sym != NULL)
		r.strs[PGX_S_SYMBOL] = s_(sym);
	return r;
}

pgx_record
req_amend(const char *acct, int64_t id, int64_t qty, int64_t price)
{
	pgx_record r = req_blank(PGX_KIND_AMEND_ORDER);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	put(&r, PGX_F_ORDER_ID, id);
	put(&r, PGX_F_QUANTITY, qty);
	if (price)
		put(&r, PGX_F_PRICE, price);
	return r;
}

/* A symbol trading around 100.00 (ticks of 0.01 = 1 cent) in USD. */
pgx_record
req_symbol(const char *sym)
{
	pgx_record r = req_blank(PGX_KIND_ADD_SYMBOL);

	r.strs[PGX_S_SYMBOL] = s_(sym);
	r.strs[PGX_S_DETAIL] = s_("{\"tick_size\": 0.01, \"lot_size\": 1, \"currency\": "
	                          "\"USD\", \"tick_value\": 1, \"reference_ticks\": 10000}");
	return r;
}

pgx_record
req_account(const char *acct)
{
	pgx_record r = req_blank(PGX_KIND_OPEN_ACCOUNT);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\\\"1\"}");
	return r;
}

/* An account command with a detail (set_kyc, suspend, limits, ...). */
pgx_record
req_admin(int kind, const char *acct, const char *sym, const char *detail)
{
	pgx_record r = req_blank(kind);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.strs[PGX_S_SYMBOL] = s_(sym);
	r.strs[PGX_S_DETAIL] = s_(detail);
	return r;
}

pgx_record
req_cash(int kind, const char *acct, int64_t amount, const char *currency)
{
	static char detail[64]; /* the record points into it until the next call */
	pgx_record r = req_blank(kind);

	snprintf(detail, sizeof(detail), "{\"currency\": \"%s\"}", currency);
	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.strs[PGX_S_DETAIL] = s_(detail);
	put(&r, PGX_F_AMOUNT, amount);
	return r;
}

pgx_record
req_shares(int kind, const char *acct, const char *sym, int64_t qty)
{
	pgx_record r = req_blank(kind);

	r.strs[PGX_S_ACCOUNT] = s_(acct);
	r.strs[PGX_S_SYMBOL] = s_(sym);
	put(&r, PGX_F_QUANTITY, qty);
	return r;
}

const char *const req_symbols[REQ_NSYMBOLS] = {"AAPL", "MSFT", "BRK.B", "SAP"};
const char *const req_accounts[REQ_NACCOUNTS] = {"A1", "A2", "B1", "B2", "C1", "C2"};

/* client order ids req_random draws from; the longest fills all 16 bytes */
static const char *const clordids[40] = {"c0",  "c1",  "c2",
                                         "c3",  "c4",  "c5",
                                         "c6",  "c7",  "c8",
                                         "c9",  "c10", "c11",
                                         "c12", "c13", "c14",
                                         "c15", "c16", "c17",
                                         "c18", "c19", "c20",
                                         "c21", "c22", "c23",
                                         "c24", "c25", "c26",
                                         "c27", "c28", "c29",
                                         "c30", "c31", "c32",
                                         "c33", "c34", "c35",
                                         "c36", "c37", "0123456789ABCDEF",
                                         "x"};

pgx_record
req_random(uint64_t *seed, const req_mix *mix, const int64_t *ids, int nids)
{
	static const char *kyc[] = {"verified", "verified",  "verified",
	                            "verified", "verified",  "verified",
	                            "pending",  "suspended", "rejected"};
	static char detail[160];
	int dice = (int)rng_below(seed, 1000);
	const char *acct = req_accounts[rng_below(seed, REQ_NACCOUNTS)];
	const char *sym = req_symbols[rng_below(seed, REQ_NSYMBOLS)];

	if (dice < mix->new_order || (dice < mix->amend && nids == 0))
	{
		int market = rng_below(seed, 10) == 0;
		int far = rng_below(seed, 40) == 0; /* outside the band */
		int64_t price = 9960 + (int64_t)rng_below(seed, 80) + (far ? 2000 : 0);
		pgx_record r = req_new(
		    sym, acct, 1 + (int)rng_below(seed, 2),
		    market ? PGX_TYPE_MARKET : PGX_TYPE_LIMIT,
		    market ? PGX_TIF_IOC + (int)rng_below(seed, 2) : 1 + (int)rng_below(seed, 4),
		    price,
		    rng_below(seed, 200) == 0 ? 2000000 : 1 + (int64_t)rng_below(seed, 60));

		/* one order in four names a client order id from a small pool, so the
		 * same account reuses one within a day (duplicate_client_order_id) */
		if (rng_below(seed, 4) == 0)
			r.strs[PGX_S_CLIENT_ORDER_ID] = s_(clordids[rng_below(seed, 40)]);
		/* one in eight is a stop (market) or a stop-limit around the prices
		 * traded, so that stops wait, trigger, cascade and are amended */
		if (rng_below(seed, 8) == 0)
		{
			static char stop_detail[64];

			r.order_type = market ? PGX_TYPE_STOP : PGX_TYPE_STOP_LIMIT;
			snprintf(stop_detail, sizeof(stop_detail), "{\"stop_price\": %lld}",
			         (long long)(9960 + (int64_t)rng_below(seed, 80)));
			r.strs[PGX_S_DETAIL] = s_(stop_detail);
		}
		return r;
	}
	if (dice < mix->cancel)
	{
		/* one cancel in twenty is a mass cancel, of one symbol or of all */
		if (rng_below(seed, 20) == 0)
			return req_mass_cancel(acct, rng_below(seed, 2) ? sym : NULL);
		return req_cancel(acct, ids[rng_below(seed, (uint64_t)nids)]);
	}
	if (dice < mix->amend)
		return req_amend(acct, ids[rng_below(seed, (uint64_t)nids)],
		                 1 + (int64_t)rng_below(seed, 80),
		                 rng_below(seed, 2) ? 0 : 9960 + (int64_t)rng_below(seed, 80));
	if (dice < mix->deposit)
		return req_cash(PGX_KIND_DEPOSIT, acct, 1 + (int64_t)rng_below(seed, 3000000),
		                rng_below(seed, 4) ? "USD" : "EUR");
	if (dice < mix->withdraw)
		return req_cash(PGX_KIND_WITHDRAW, acct, 1 + (int64_t)rng_below(seed, 60000000),
		                rng_below(seed, 4) ? "USD" : "EUR");
	if (dice < mix->credit)
		return req_shares(PGX_KIND_CREDIT_SHARES, acct, sym,
		                  1 + (int64_t)rng_below(seed, 500));
	if (dice < mix->debit)
		return req_shares(PGX_KIND_DEBIT_SHARES, acct, sym,
		                  1 + (int64_t)rng_below(seed, 6000));
	if (dice < mix->kyc)
	{
		snprintf(detail, sizeof(detail), "{\"kyc_status\": \"%s\", \"reason\": null}",
		         kyc[rng_below(seed, 9)]);
		return req_admin(PGX_KIND_SET_KYC, acct, NULL, detail);
	}
	if (dice < mix->suspend)
		return req_admin(rng_below(seed, 5) == 0 ? PGX_KIND_SUSPEND_ACCOUNT
		                                         : PGX_KIND_RESUME_ACCOUNT,
		                 acct, NULL, "{}");
	if (dice < mix->account_limits)
	{
		snprintf(detail, sizeof(detail),
		         "{\"max_open_orders\": %d, \"max_daily_notional\": %lld, "
		         "\"orders_per_second\": %d, \"burst\": %d}",
		         1 + (int)rng_below(seed, 60),
		         100000LL + (long long)rng_below(seed, 50000000),
		         1 + (int)rng_below(seed, 1000), 1 + (int)rng_below(seed, 50));
		return req_admin(PGX_KIND_SET_ACCOUNT_LIMITS, acct, NULL, detail);
	}
	if (dice < mix->symbol_limits)
	{
		snprintf(detail, sizeof(detail),
		         "{\"maker_fee_bps\": %d, \"taker_fee_bps\": %d, \"price_band_bps\": %d, "
		         "\"market_collar_bps\": %d}",
		         (int)rng_below(seed, 30), (int)rng_below(seed, 60),
		         (int)rng_below(seed, 1500), (int)rng_below(seed, 800));
		return req_admin(PGX_KIND_SET_SYMBOL_LIMITS, NULL, sym, detail);
	}
	if (dice < mix->halt)
		return req_admin(rng_below(seed, 5) == 0 ? PGX_KIND_HALT : PGX_KIND_RESUME, NULL,
		                 sym, "{\"reason\": \"news\"}");
	return req_blank(dice < mix->open ? PGX_KIND_MARKET_OPEN : PGX_KIND_MARKET_CLOSE);
}
