/*
 * fixorder.c - FIX 4.4 order entry messages <-> exchange_wire requests and
 * events (contract in fixorder.h).
 *
 * The checks of a NewOrderSingle are the SQL function submit_order's, in its
 * order and with its texts and SQLSTATEs, so that a broker sees the same
 * refusal through either door; what FIX adds (tag syntax, enumerations) is a
 * session-level Reject before any of them.
 */
#include "fixorder.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(fixo_reject *r, fixo_rej_kind kind, int reason, int tag,
                 const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static bool
fail(fixo_reject *r, fixo_rej_kind kind, int reason, int tag, const char *sqlstate,
     const char *fmt, ...)
{
	va_list ap;

	r->kind = kind;
	r->reason = reason;
	r->tag = tag;
	r->sqlstate = sqlstate;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	return false;
}

static pgx_str
str_of(const fix_field *f)
{
	pgx_str s = {f->val, (uint16_t)f->len};

	return s;
}

/* A required string field of at most max bytes (FIX values are never empty). */
static bool
get_str(const fix_msg *m, int tag, const char *name, size_t max, bool required,
        pgx_str *out, fixo_reject *r)
{
	const fix_field *f = fix_get(m, tag);

	if (f == NULL)
	{
		if (!required)
			return true;
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, tag, NULL,
		            "required tag %s(%d) missing", name, tag);
	}
	if (f->len > max)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_VALUE_INCORRECT, tag, NULL,
		            "%s(%d) is longer than %zu bytes", name, tag, max);
	/* matchd takes only text (UTF-8, no NUL) into the journal; it would
	 * refuse the whole request frame otherwise */
	if (!pgx_str_is_text(str_of(f)))
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, tag, NULL,
		            "%s(%d) is not UTF-8 text", name, tag);
	*out = str_of(f);
	return true;
}

static bool
get_side(const fix_msg *m, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 54);
	char c;

	if (f == NULL)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, 54, NULL,
		            "required tag Side(54) missing");
	if (fix_val_char(f, &c) != 0 || (c != '1' && c != '2'))
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_VALUE_INCORRECT, 54, NULL,
		            "Side(54) must be 1 (buy) or 2 (sell)");
	o->side = c == '1' ? PGX_SIDE_BUY : PGX_SIDE_SELL;
	return true;
}

static bool
get_time(const fix_msg *m, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 60);

	if (f == NULL)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, 60, NULL,
		            "required tag TransactTime(60) missing");
	if (fix_val_utc(f, &o->transact_time) != 0)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 60, NULL,
		            "TransactTime(60) is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])");
	return true;
}

static bool
get_order_id(const fix_msg *m, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 37);

	o->order_id = 0;
	if (f == NULL)
		return true;
	if (fix_val_uint(f, &o->order_id) != 0 || o->order_id == 0)
	{
		o->order_id = 0;
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 37, NULL,
		            "OrderID(37) must be the exchange's order id, a positive integer");
	}
	return true;
}

static bool
get_qty(const fix_msg *m, fixo_rej_kind kind, int reason, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 38);
	int rc;

	if (f == NULL)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, 38, NULL,
		            "required tag OrderQty(38) missing");
	rc = fix_val_decimal(f, 0, &o->quantity);
	if (rc == FIX_V_FORMAT)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 38, NULL,
		            "OrderQty(38) is not a number");
	if (rc != FIX_V_OK || o->quantity <= 0 || o->quantity > FIXO_MAX_QTY)
		return fail(r, kind, reason, 38, PGX_SQLSTATE_BAD_QUANTITY,
		            "quantity must be between 1 and %lld, not %.*s",
		            (long long)FIXO_MAX_QTY, (int)(f->len > 24 ? 24 : f->len), f->val);
	return true;
}

static bool
get_price(const fix_msg *m, fixo_rej_kind kind, int reason, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 44);
	char tick[32];
	int rc;

	o->has_price = false;
	if (f == NULL)
		return true;
	rc = fixo_parse_price(f, o->tick, &o->price);
	if (rc == FIX_V_FORMAT)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 44, NULL,
		            "Price(44) is not a decimal number");
	if (rc == FIX_V_OK && o->price <= 0)
		return fail(r, kind, reason, 44, PGX_SQLSTATE_BAD_PRICE,
		            "price must be positive, not %.*s", (int)(f->len > 24 ? 24 : f->len),
		            f->val);
	if (rc == FIX_V_RANGE)
		return fail(r, kind, reason, 44, PGX_SQLSTATE_BAD_PRICE,
		            "price %.*s is out of range", (int)(f->len > 24 ? 24 : f->len),
		            f->val);
	tick[fix_format_decimal(tick, o->tick.units, o->tick.scale)] = '\0';
	if (rc == FIX_V_PRECISION)
		return fail(r, kind, reason, 44, PGX_SQLSTATE_PRICE_OFF_TICK,
		            "price %.*s is not a multiple of the tick size %s",
		            (int)(f->len > 24 ? 24 : f->len), f->val, tick);
	o->has_price = true;
	return true;
}

/* OrdType and TimeInForce of D and G, and the rules between them and Price. */
static bool
get_type_tif(const fix_msg *m, fixo_rej_kind kind, int unsupported, int bad_price,
             fixo_order *o, fixo_reject *r)
{
	const fix_field *ft = fix_get(m, 40), *fq = fix_get(m, 59);
	char t, q = '0';

	if (ft == NULL)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, 40, NULL,
		            "required tag OrdType(40) missing");
	if (fix_val_char(ft, &t) != 0)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 40, NULL,
		            "OrdType(40) must be one character");
	if (t != '1' && t != '2')
		return fail(r, kind, unsupported, 40, NULL,
		            "OrdType(40) %c is not supported: 1 (market) or 2 (limit)", t);
	if (fq != NULL && fix_val_char(fq, &q) != 0)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 59, NULL,
		            "TimeInForce(59) must be one character");
	switch (q)
	{
		case '0':
			o->time_in_force = PGX_TIF_DAY;
			break;
		case '1':
			o->time_in_force = PGX_TIF_GTC;
			break;
		case '3':
			o->time_in_force = PGX_TIF_IOC;
			break;
		case '4':
			o->time_in_force = PGX_TIF_FOK;
			break;
		default:
			return fail(r, kind, unsupported, 59, NULL,
			            "TimeInForce(59) %c is not supported: 0 (day), 1 (good till "
			            "cancel), 3 (immediate or cancel) or 4 (fill or kill)",
			            q);
	}
	o->order_type = t == '2' ? PGX_TYPE_LIMIT : PGX_TYPE_MARKET;
	if (o->order_type == PGX_TYPE_LIMIT && !o->has_price)
		return fail(r, kind, bad_price, 44, PGX_SQLSTATE_BAD_PRICE,
		            "a limit order needs a price");
	if (o->order_type == PGX_TYPE_MARKET)
	{
		if (o->has_price)
			return fail(r, kind, bad_price, 44, PGX_SQLSTATE_BAD_PRICE,
			            "a market order has no price");
		/* a market order never rests: it trades now or not at all */
		if (o->time_in_force == PGX_TIF_GTC)
			return fail(r, kind, bad_price, 59, PGX_SQLSTATE_BAD_PRICE,
			            "a market order cannot be good till cancelled");
		if (o->time_in_force == PGX_TIF_DAY)
			o->time_in_force = PGX_TIF_IOC;
	}
	return true;
}

static bool
get_symbol(const fix_msg *m, fixo_tick_lookup lookup, void *ctx, fixo_rej_kind kind,
           int reason, fixo_order *o, fixo_reject *r)
{
	if (!get_str(m, 55, "Symbol", FIXO_SYMBOL_MAX, true, &o->symbol, r))
		return false;
	if (!lookup(ctx, o->symbol.ptr, o->symbol.len, &o->tick) || o->tick.units <= 0 ||
	    o->tick.scale < 0 || o->tick.scale > 9)
		return fail(r, kind, reason, 55, PGX_SQLSTATE_UNKNOWN_SYMBOL,
		            "unknown symbol \"%.*s\"", (int)o->symbol.len, o->symbol.ptr);
	return true;
}

bool
fixo_decode(const fix_msg *m, fixo_tick_lookup lookup, void *ctx, fixo_order *o,
            fixo_reject *r)
{
	const fix_field *type = m->nfields > 2 ? &m->f[2] : NULL;
	static const pgx_str none = {NULL, PGX_STR_NULL};

	memset(o, 0, sizeof(*o));
	o->clordid = o->orig_clordid = o->account = o->symbol = none;
	memset(r, 0, sizeof(*r));
	if (type == NULL || type->tag != 35 || type->len != 1 ||
	    strchr("DFGH", type->val[0]) == NULL)
		return false;
	o->msgtype = type->val[0];
	if (!get_str(m, 11, "ClOrdID", FIXO_CLORDID_MAX, true, &o->clordid, r) ||
	    !get_str(m, 1, "Account", FIXO_ACCOUNT_MAX, o->msgtype != 'H', &o->account, r) ||
	    !get_side(m, o, r))
		return false;
	switch (o->msgtype)
	{
		case 'D':
			return get_symbol(m, lookup, ctx, FIXO_REJ_ORDER, FIXO_ORR_UNKNOWN_SYMBOL, o,
			                  r) &&
			       get_time(m, o, r) &&
			       get_qty(m, FIXO_REJ_ORDER, FIXO_ORR_INCORRECT_QTY, o, r) &&
			       get_price(m, FIXO_REJ_ORDER, FIXO_ORR_OTHER, o, r) &&
			       get_type_tif(m, FIXO_REJ_ORDER, FIXO_ORR_UNSUPPORTED, FIXO_ORR_OTHER,
			                    o, r);
		case 'F':
			return get_str(m, 41, "OrigClOrdID", FIXO_CLORDID_MAX, true, &o->orig_clordid,
			               r) &&
			       get_str(m, 55, "Symbol", FIXO_SYMBOL_MAX, true, &o->symbol, r) &&
			       get_time(m, o, r) && get_order_id(m, o, r);
		case 'G':
			return get_str(m, 41, "OrigClOrdID", FIXO_CLORDID_MAX, true, &o->orig_clordid,
			               r) &&
			       get_order_id(m, o, r) &&
			       get_symbol(m, lookup, ctx, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, o, r) &&
			       get_time(m, o, r) &&
			       get_qty(m, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, o, r) &&
			       get_price(m, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, o, r) &&
			       get_type_tif(m, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, FIXO_CRR_OTHER, o, r);
		default: /* 'H' */
			return get_str(m, 55, "Symbol", FIXO_SYMBOL_MAX, true, &o->symbol, r) &&
			       get_order_id(m, o, r);
	}
}

/* ---- request records --------------------------------------------------------------- */

static void
record_init(pgx_record *rec, int kind)
{
	memset(rec, 0, sizeof(*rec));
	for (int i = 0; i < PGX_S__COUNT; i++)
		rec->strs[i].len = PGX_STR_NULL;
	rec->kind = (uint8_t)kind;
}

static void
record_int(pgx_record *rec, int field, int64_t v)
{
	rec->ints[field] = v;
	rec->present |= (uint8_t)(1u << field);
}

void
fixo_new_record(const fixo_order *o, pgx_record *rec)
{
	record_init(rec, PGX_KIND_NEW_ORDER);
	rec->strs[PGX_S_SYMBOL] = o->symbol;
	rec->strs[PGX_S_ACCOUNT] = o->account;
	rec->side = o->side;
	rec->order_type = o->order_type;
	rec->time_in_force = o->time_in_force;
	if (o->order_type == PGX_TYPE_LIMIT)
		record_int(rec, PGX_F_PRICE, o->price);
	record_int(rec, PGX_F_QUANTITY, o->quantity);
	rec->strs[PGX_S_CLIENT_ORDER_ID] = o->clordid;
}

bool
fixo_cancel_record(const fixo_order *o, int64_t order_id, pgx_record *rec)
{
	if (order_id <= 0)
		return false;
	record_init(rec, PGX_KIND_CANCEL_ORDER);
	rec->strs[PGX_S_ACCOUNT] = o->account;
	record_int(rec, PGX_F_ORDER_ID, order_id);
	return true;
}

bool
fixo_amend_record(const fixo_order *o, int64_t order_id, int64_t filled, pgx_record *rec,
                  fixo_reject *r)
{
	if (order_id <= 0)
		return fail(r, FIXO_REJ_CANCEL, FIXO_CRR_UNKNOWN_ORDER, 41,
		            PGX_SQLSTATE_UNKNOWN_ORDER, "unknown order");
	if (filled < 0 || o->quantity <= filled)
		return fail(r, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, 38, PGX_SQLSTATE_BAD_QUANTITY,
		            "OrderQty(38) %lld is not above the %lld already filled",
		            (long long)o->quantity, (long long)filled);
	record_init(rec, PGX_KIND_AMEND_ORDER);
	rec->strs[PGX_S_ACCOUNT] = o->account;
	record_int(rec, PGX_F_ORDER_ID, order_id);
	record_int(rec, PGX_F_QUANTITY, o->quantity - filled);
	if (o->has_price)
		record_int(rec, PGX_F_PRICE, o->price);
	return true;
}

/* ---- prices ------------------------------------------------------------------------ */

int
fixo_parse_price(const fix_field *f, fixo_tick tick, int64_t *ticks)
{
	int64_t v;
	int rc;

	if (tick.units <= 0 || tick.scale < 0 || tick.scale > 9)
		return FIX_V_RANGE;
	rc = fix_val_decimal(f, tick.scale, &v);
	if (rc != FIX_V_OK)
		return rc;
	if (v % tick.units != 0)
		return FIX_V_PRECISION;
	*ticks = v / tick.units;
	return FIX_V_OK;
}

size_t
fixo_format_price(char *buf, int64_t ticks, fixo_tick tick)
{
	if (tick.units <= 0 || tick.scale < 0 || tick.scale > 9 ||
	    (ticks > 0 && ticks > INT64_MAX / tick.units) ||
	    (ticks < 0 && ticks < -(INT64_MAX / tick.units)))
		return 0;
	return fix_format_decimal(buf, ticks * tick.units, tick.scale);
}

/* ---- outgoing ---------------------------------------------------------------------- */

char
fixo_ord_status(int pgx_status, int64_t cum_qty)
{
	switch (pgx_status)
	{
		case PGX_STATUS_NEW:
			return '0';
		case PGX_STATUS_PARTIALLY_FILLED:
			return '1';
		case PGX_STATUS_FILLED:
			return '2';
		case PGX_STATUS_CANCELED:
			return '4';
		case PGX_STATUS_REJECTED:
			return '8';
		case PGX_STATUS_EXPIRED:
			return 'C';
	}
	return cum_qty > 0 ? '1' : '0';
}

static void
add_pgx_str(fix_builder *b, int tag, pgx_str s)
{
	if (s.len != PGX_STR_NULL && s.len > 0)
		fix_add(b, tag, s.ptr, s.len);
}

/* AvgPx: px_qty / cum_qty ticks, with 4 decimals beyond the grid's scale,
 * truncated (integer long division; AvgPx is information, not a price). */
static bool
add_avg_px(fix_builder *b, const fixo_exec *e)
{
	int64_t q, rem, v;
	int extra = 4;

	if (e->cum_qty <= 0 || e->px_qty <= 0)
	{
		fix_add_decimal(b, 6, 0, 0);
		return true;
	}
	q = e->px_qty / e->cum_qty;
	rem = e->px_qty % e->cum_qty;
	if (q > INT64_MAX / 10000 / e->tick.units)
		return false;
	v = q;
	for (int i = 0; i < extra; i++)
	{
		int64_t d;

		/* rem < cum_qty <= FIXO_MAX_QTY: rem * 10 fits */
		d = rem * 10 / e->cum_qty;
		rem = rem * 10 % e->cum_qty;
		v = v * 10 + d;
	}
	fix_add_decimal(b, 6, v * e->tick.units, e->tick.scale + extra);
	return true;
}

static bool
add_price(fix_builder *b, int tag, int64_t ticks, fixo_tick tick)
{
	char buf[32];
	size_t n = fixo_format_price(buf, ticks, tick);

	if (n == 0)
		return false;
	fix_add(b, tag, buf, n);
	return true;
}

bool
fixo_exec_report(fix_builder *b, const fixo_exec *e)
{
	if (e->order_id > 0)
		fix_add_int(b, 37, e->order_id);
	else
		fix_add_str(b, 37, "NONE");
	add_pgx_str(b, 11, e->clordid);
	add_pgx_str(b, 41, e->orig_clordid);
	fix_add_int(b, 17, e->exec_id);
	fix_add_char(b, 150, e->exec_type);
	fix_add_char(b, 39, e->ord_status);
	if (e->ord_rej_reason >= 0)
		fix_add_int(b, 103, e->ord_rej_reason);
	add_pgx_str(b, 1, e->account);
	add_pgx_str(b, 55, e->symbol);
	fix_add_char(b, 54, e->side == PGX_SIDE_SELL ? '2' : '1');
	if (e->order_qty > 0)
		fix_add_int(b, 38, e->order_qty);
	if (e->has_price && !add_price(b, 44, e->price, e->tick))
		return false;
	if (e->last_qty > 0)
	{
		fix_add_int(b, 32, e->last_qty);
		if (!add_price(b, 31, e->last_px, e->tick))
			return false;
	}
	fix_add_int(b, 151, e->leaves_qty);
	fix_add_int(b, 14, e->cum_qty);
	if (!add_avg_px(b, e))
		return false;
	fix_add_utc(b, 60, e->transact_time);
	if (e->text != NULL && e->text[0] != '\0')
		fix_add_str(b, 58, e->text);
	return !b->overflow;
}

void
fixo_cancel_reject(fix_builder *b, int64_t order_id, pgx_str clordid,
                   pgx_str orig_clordid, char ord_status, char response_to, int reason,
                   const char *text)
{
	if (order_id > 0)
		fix_add_int(b, 37, order_id);
	else
		fix_add_str(b, 37, "NONE");
	add_pgx_str(b, 11, clordid);
	add_pgx_str(b, 41, orig_clordid);
	fix_add_char(b, 39, ord_status);
	fix_add_char(b, 434, response_to);
	fix_add_int(b, 102, reason);
	if (text != NULL && text[0] != '\0')
		fix_add_str(b, 58, text);
}

int
fixo_ord_rej_reason(const char *sqlstate)
{
	static const struct
	{
		const char *state;
		int reason;
	} map[] = {
	    {PGX_SQLSTATE_UNKNOWN_SYMBOL, FIXO_ORR_UNKNOWN_SYMBOL},
	    {PGX_SQLSTATE_UNKNOWN_ACCOUNT, FIXO_ORR_UNKNOWN_ACCOUNT},
	    {PGX_SQLSTATE_UNKNOWN_ORDER, FIXO_ORR_UNKNOWN_ORDER},
	    {PGX_SQLSTATE_MARKET_CLOSED, FIXO_ORR_EXCHANGE_CLOSED},
	    {PGX_SQLSTATE_BAD_QUANTITY, FIXO_ORR_INCORRECT_QTY},
	    {PGX_SQLSTATE_OFF_LOT, FIXO_ORR_INCORRECT_QTY},
	    {PGX_SQLSTATE_INSUFFICIENT_FUNDS, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_INSUFFICIENT_SHARES, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_MAX_ORDER_QTY, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_MAX_ORDER_NOTIONAL, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_MAX_DAILY_NOTIONAL, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_MAX_OPEN_ORDERS, FIXO_ORR_EXCEEDS_LIMIT},
	    {PGX_SQLSTATE_DUPLICATE_CLORDID, FIXO_ORR_DUPLICATE},
	};

	if (sqlstate == NULL)
		return FIXO_ORR_OTHER;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (memcmp(sqlstate, map[i].state, 5) == 0)
			return map[i].reason;
	return FIXO_ORR_OTHER;
}
