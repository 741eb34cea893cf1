/*
 * plreq.c - request records for the pipeline's tests: what the extension
 * would send to matchd for each command.
 */
#include <stdio.h>
#include <string.h>

#include "plreq.h"

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
	if (type == PGX_TYPE_LIMIT)
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
