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

/* StopPx(99): a price on the grid like Price(44), never rounded. */
static bool
get_stop_px(const fix_msg *m, fixo_rej_kind kind, int reason, fixo_order *o,
            fixo_reject *r)
{
	const fix_field *f = fix_get(m, 99);
	char tick[32];
	int rc;

	o->has_stop_px = false;
	if (f == NULL)
		return true;
	rc = fixo_parse_price(f, o->tick, &o->stop_px);
	if (rc == FIX_V_FORMAT)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 99, NULL,
		            "StopPx(99) is not a decimal number");
	if (rc == FIX_V_OK && o->stop_px <= 0)
		return fail(r, kind, reason, 99, PGX_SQLSTATE_BAD_PRICE,
		            "stop price must be positive, not %.*s",
		            (int)(f->len > 24 ? 24 : f->len), f->val);
	if (rc == FIX_V_RANGE)
		return fail(r, kind, reason, 99, PGX_SQLSTATE_BAD_PRICE,
		            "stop price %.*s is out of range", (int)(f->len > 24 ? 24 : f->len),
		            f->val);
	tick[fix_format_decimal(tick, o->tick.units, o->tick.scale)] = '\0';
	if (rc == FIX_V_PRECISION)
		return fail(r, kind, reason, 99, PGX_SQLSTATE_PRICE_OFF_TICK,
		            "stop price %.*s is not a multiple of the tick size %s",
		            (int)(f->len > 24 ? 24 : f->len), f->val, tick);
	o->has_stop_px = true;
	return true;
}

/*
 * ExecInst(18), a MultipleValueString: values separated by single spaces.
 * 6 (participate don't initiate) is post-only; every other instruction is
 * refused rather than ignored, since the broker would believe it applied.
 */
static bool
get_exec_inst(const fix_msg *m, fixo_rej_kind kind, int unsupported, fixo_order *o,
              fixo_reject *r)
{
	const fix_field *f = fix_get(m, 18);

	o->post_only = false;
	if (f == NULL)
		return true;
	for (uint32_t i = 0; i < f->len; i++)
	{
		uint32_t j = i;

		while (j < f->len && f->val[j] != ' ')
			j++;
		if (j == i || (j < f->len && j + 1 == f->len))
			return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 18, NULL,
			            "ExecInst(18) must be values separated by single spaces");
		if (j - i != 1 || f->val[i] != '6')
			return fail(r, kind, unsupported, 18, NULL,
			            "ExecInst(18) %.*s is not supported: only 6 (participate don't "
			            "initiate: post-only)",
			            (int)(j - i > 8 ? 8 : j - i), f->val + i);
		o->post_only = true;
		i = j;
	}
	return true;
}

/* ExpireTime(126), a UTCTimestamp. */
static bool
get_expire(const fix_msg *m, fixo_order *o, fixo_reject *r)
{
	const fix_field *f = fix_get(m, 126);

	o->has_expire = false;
	if (f == NULL)
		return true;
	if (fix_val_utc(f, &o->expire_us) != 0)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 126, NULL,
		            "ExpireTime(126) is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])");
	o->has_expire = true;
	return true;
}

/*
 * OrdType and TimeInForce of D and G, and the rules between them, Price,
 * StopPx, ExecInst and ExpireTime: submit_order's rules, with its texts and
 * SQLSTATEs where the rule is the same (a limit price, a stop that trades
 * as a market order, post-only, good till date).
 */
static bool
get_type_tif(const fix_msg *m, fixo_rej_kind kind, int unsupported, int bad_price,
             fixo_order *o, fixo_reject *r)
{
	const fix_field *ft = fix_get(m, 40), *fq = fix_get(m, 59);
	char t, q = '0';
	bool limit, stop;
	const char *name;

	if (ft == NULL)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_REQUIRED_TAG_MISSING, 40, NULL,
		            "required tag OrdType(40) missing");
	if (fix_val_char(ft, &t) != 0)
		return fail(r, FIXO_REJ_SESSION, FIX_SRR_INCORRECT_FORMAT, 40, NULL,
		            "OrdType(40) must be one character");
	if (t < '1' || t > '4')
		return fail(r, kind, unsupported, 40, NULL,
		            "OrdType(40) %c is not supported: 1 (market), 2 (limit), 3 (stop) or "
		            "4 (stop limit)",
		            t);
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
		case '6':
			o->time_in_force = PGX_TIF_GTD;
			break;
		case '2':
		case '7':
			/* FIX 4.4 values the wire has labels for (at_open, at_close), but
			 * matchd refuses them until there are auctions */
			return fail(r, kind, unsupported, 59, "0A000",
			            "TimeInForce(59) %c (at the %s) is not supported: the exchange "
			            "has no auctions yet",
			            q, q == '2' ? "opening" : "close");
		default:
			return fail(r, kind, unsupported, 59, NULL,
			            "TimeInForce(59) %c is not supported: 0 (day), 1 (good till "
			            "cancel), 3 (immediate or cancel), 4 (fill or kill) or 6 (good "
			            "till date)",
			            q);
	}
	o->order_type = t == '1'   ? PGX_TYPE_MARKET
	                : t == '2' ? PGX_TYPE_LIMIT
	                : t == '3' ? PGX_TYPE_STOP
	                           : PGX_TYPE_STOP_LIMIT;
	limit = o->order_type == PGX_TYPE_LIMIT || o->order_type == PGX_TYPE_STOP_LIMIT;
	stop = o->order_type == PGX_TYPE_STOP || o->order_type == PGX_TYPE_STOP_LIMIT;
	name = o->order_type == PGX_TYPE_MARKET  ? "market"
	       : o->order_type == PGX_TYPE_LIMIT ? "limit"
	       : o->order_type == PGX_TYPE_STOP  ? "stop"
	                                         : "stop_limit";
	if (limit && !o->has_price)
		return fail(r, kind, bad_price, 44, PGX_SQLSTATE_BAD_PRICE,
		            "a %s order needs a price", name);
	if (!limit && o->has_price)
		return fail(r, kind, bad_price, 44, PGX_SQLSTATE_BAD_PRICE,
		            "a %s order has no price", name);
	if (stop && !o->has_stop_px)
		return fail(r, kind, bad_price, 99, "22004",
		            "a %s order needs a stop price: StopPx(99)", name);
	if (!stop && o->has_stop_px)
		return fail(r, kind, bad_price, 99, "22023",
		            "StopPx(99) is only for OrdType(40) 3 (stop) and 4 (stop limit)");
	if (o->post_only &&
	    (o->order_type != PGX_TYPE_LIMIT ||
	     (o->time_in_force != PGX_TIF_DAY && o->time_in_force != PGX_TIF_GTC &&
	      o->time_in_force != PGX_TIF_GTD)))
		return fail(r, kind, bad_price, 18, "22023",
		            "a post-only order must be a limit order that may rest");
	if (o->time_in_force == PGX_TIF_GTD && !o->has_expire)
		return fail(r, kind, bad_price, 126, "22004",
		            "a good-till-date order needs an expire time: ExpireTime(126)");
	if (o->time_in_force != PGX_TIF_GTD && o->has_expire)
		return fail(r, kind, bad_price, 126, "22023",
		            "ExpireTime(126) is only for TimeInForce(59) 6 (good till date)");
	if (!limit)
	{
		/* a market order never rests: it trades now or not at all (a stop
		 * waits for its trigger, then enters as a market order) */
		if (o->time_in_force == PGX_TIF_GTC || o->time_in_force == PGX_TIF_GTD)
			return fail(r, kind, bad_price, 59, PGX_SQLSTATE_BAD_PRICE,
			            "a %s order cannot be good till %s", name,
			            o->time_in_force == PGX_TIF_GTC ? "cancelled" : "date");
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
			       get_stop_px(m, FIXO_REJ_ORDER, FIXO_ORR_OTHER, o, r) &&
			       get_exec_inst(m, FIXO_REJ_ORDER, FIXO_ORR_UNSUPPORTED, o, r) &&
			       get_expire(m, o, r) &&
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
			       get_stop_px(m, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, o, r) &&
			       get_exec_inst(m, FIXO_REJ_CANCEL, FIXO_CRR_OTHER, o, r) &&
			       get_expire(m, o, r) &&
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
	if (o->order_type == PGX_TYPE_LIMIT || o->order_type == PGX_TYPE_STOP_LIMIT)
		record_int(rec, PGX_F_PRICE, o->price);
	record_int(rec, PGX_F_QUANTITY, o->quantity);
	rec->strs[PGX_S_CLIENT_ORDER_ID] = o->clordid;
}

size_t
fixo_new_detail(const fixo_order *o, const char *session, char *buf, size_t cap)
{
	size_t len = 0;
	int n;

	for (const char *p = session; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	/* the keys and formats of the extension's order_options_detail */
	n = snprintf(buf, cap, "{\"fix_session\": \"%s\"", session);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;
	if (o->post_only)
	{
		n = snprintf(buf + len, cap - len, ", \"" PGX_DETAIL_POST_ONLY "\": true");
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	if (o->has_expire)
	{
		n = snprintf(buf + len, cap - len, ", \"" PGX_DETAIL_EXPIRE_TIME "\": %lld",
		             (long long)(o->expire_us - FIXO_PG_EPOCH_US));
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	if (o->has_stop_px)
	{
		n = snprintf(buf + len, cap - len, ", \"" PGX_DETAIL_STOP_PRICE "\": %lld",
		             (long long)o->stop_px);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	if (len + 2 > cap)
		return 0;
	buf[len++] = '}';
	buf[len] = '\0';
	return len;
}

bool
fixo_check_expire(const fixo_order *o, int64_t now_us, fixo_reject *r)
{
	char when[32];
	size_t n;

	if (!o->has_expire || o->expire_us > now_us)
		return true;
	n = fix_format_utc(when, o->expire_us);
	when[n] = '\0';
	return fail(r, FIXO_REJ_ORDER, FIXO_ORR_OTHER, 126, "22023",
	            "ExpireTime(126) %s has passed already", n ? when : "(out of range)");
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
fixo_ord_type_char(int pgx_type)
{
	switch (pgx_type)
	{
		case PGX_TYPE_MARKET:
			return '1';
		case PGX_TYPE_LIMIT:
			return '2';
		case PGX_TYPE_STOP:
			return '3';
		case PGX_TYPE_STOP_LIMIT:
			return '4';
	}
	return 0;
}

char
fixo_tif_char(int pgx_tif)
{
	switch (pgx_tif)
	{
		case PGX_TIF_DAY:
			return '0';
		case PGX_TIF_GTC:
			return '1';
		case PGX_TIF_IOC:
			return '3';
		case PGX_TIF_FOK:
			return '4';
		case PGX_TIF_GTD:
			return '6';
		case PGX_TIF_AT_OPEN:
			return '2';
		case PGX_TIF_AT_CLOSE:
			return '7';
	}
	return 0;
}

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
	if (e->ord_type)
		fix_add_char(b, 40, e->ord_type);
	if (e->has_price && !add_price(b, 44, e->price, e->tick))
		return false;
	if (e->has_stop_px && !add_price(b, 99, e->stop_px, e->tick))
		return false;
	if (e->tif)
		fix_add_char(b, 59, e->tif);
	if (e->expire_us > 0)
		fix_add_utc(b, 126, e->expire_us);
	if (e->post_only)
		fix_add_char(b, 18, '6');
	if (e->restatement_reason > 0)
		fix_add_int(b, 378, e->restatement_reason);
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

/* ---- the gateway's orders and the order-event stream ------------------------------- */

static void
copy_pgx(char *dst, size_t size, pgx_str s)
{
	size_t n = s.len == PGX_STR_NULL ? 0 : s.len;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

void
fixo_state_init(fixo_state *s, const fixo_order *o)
{
	memset(s, 0, sizeof(*s));
	copy_pgx(s->clordid, sizeof(s->clordid), o->clordid);
	copy_pgx(s->account, sizeof(s->account), o->account);
	copy_pgx(s->symbol, sizeof(s->symbol), o->symbol);
	s->side = o->side;
	s->type = o->order_type;
	s->tif = o->time_in_force;
	s->has_price = o->has_price;
	s->price = o->price;
	s->stop_price = o->has_stop_px ? o->stop_px : 0;
	/* a new stop waits until the last trade reaches its stop price (matchd
	 * refuses one that the last trade has reached already) */
	s->waiting = o->has_stop_px;
	s->post_only = o->post_only;
	s->expire_us = o->has_expire ? o->expire_us : 0;
	s->qty = o->quantity;
	s->leaves = o->quantity;
	s->tick = o->tick;
}

static pgx_str
cstr_of(const char *s)
{
	pgx_str p = {s, (uint16_t)strlen(s)};

	return p;
}

void
fixo_exec_of(const fixo_state *s, char exec_type, int64_t exec_id, int64_t now_us,
             fixo_exec *e)
{
	memset(e, 0, sizeof(*e));
	e->exec_type = exec_type;
	e->order_id = s->id;
	e->exec_id = exec_id;
	e->clordid = cstr_of(s->clordid);
	e->orig_clordid.len = PGX_STR_NULL;
	e->account = cstr_of(s->account);
	e->symbol = cstr_of(s->symbol);
	e->side = s->side;
	e->order_qty = s->qty;
	e->cum_qty = s->cum;
	e->leaves_qty = s->leaves;
	e->px_qty = s->px_qty;
	e->has_price = s->has_price;
	e->price = s->price;
	e->tick = s->tick;
	e->ord_rej_reason = -1;
	e->transact_time = now_us;
	e->ord_type = fixo_ord_type_char(s->type);
	e->tif = fixo_tif_char(s->tif);
	e->has_stop_px = s->stop_price > 0;
	e->stop_px = s->stop_price;
	e->post_only = s->post_only;
	e->expire_us = s->expire_us;
	e->ord_status = fixo_ord_status(
	    s->open ? (s->cum > 0 ? PGX_STATUS_PARTIALLY_FILLED : PGX_STATUS_NEW)
	            : (s->leaves == 0 && s->cum == s->qty ? PGX_STATUS_FILLED
	                                                  : PGX_STATUS_CANCELED),
	    s->cum);
}

static bool
has(const pgx_record *r, int field)
{
	return (r->present >> field) & 1;
}

bool
fixo_on_event(fixo_state *s, const pgx_record *r, int64_t now_us, fixo_exec *e,
              char *text, size_t textcap)
{
	bool taker = has(r, PGX_F_ORDER_ID) && r->ints[PGX_F_ORDER_ID] == s->id;

	if (!s->open || s->id <= 0)
		return false;
	switch (r->kind)
	{
		case PGX_KIND_TRADE:
		{
			bool maker =
			    has(r, PGX_F_CONTRA_ORDER_ID) && r->ints[PGX_F_CONTRA_ORDER_ID] == s->id;
			int64_t qty = r->ints[PGX_F_QUANTITY], price = r->ints[PGX_F_PRICE];

			if (!taker && !maker)
				return false;
			s->cum += qty;
			s->px_qty += price * qty;
			s->leaves =
			    taker ? r->ints[PGX_F_REMAINING] : r->ints[PGX_F_CONTRA_REMAINING];
			/* a stop trades only once triggered */
			s->waiting = false;
			if (s->leaves == 0)
				s->open = false;
			fixo_exec_of(s, 'F', FIXO_EXEC_ID(r->seq, r->idx, taker ? 0 : 1), now_us, e);
			e->last_px = price;
			e->last_qty = qty;
			return true;
		}
		case PGX_KIND_TRIGGERED:
			if (!taker || !s->waiting)
				return false;
			s->waiting = false;
			if (has(r, PGX_F_REMAINING))
				s->leaves = r->ints[PGX_F_REMAINING];
			fixo_exec_of(s, 'D', FIXO_EXEC_ID(r->seq, r->idx, 0), now_us, e);
			e->restatement_reason = FIXO_RESTATED_TRIGGERED;
			{
				char px[32];
				size_t n = fixo_format_price(px, s->stop_price, s->tick);

				px[n] = '\0';
				snprintf(text, textcap,
				         "triggered: the last trade reached the stop price %s",
				         n ? px : "?");
			}
			e->text = text;
			return true;
		case PGX_KIND_CANCELED:
		case PGX_KIND_EXPIRED:
			if (!taker)
				return false;
			s->open = false;
			s->leaves = 0;
			fixo_exec_of(s, r->kind == PGX_KIND_EXPIRED ? 'C' : '4',
			             FIXO_EXEC_ID(r->seq, r->idx, 0), now_us, e);
			e->ord_status = r->kind == PGX_KIND_EXPIRED ? 'C' : '4';
			copy_pgx(text, textcap, r->strs[PGX_S_REASON]);
			e->text = text;
			return true;
		default:
			/* accepted: the New went out with the answer (a triggered
			 * stop-limit's second accepted is its rest, told by the Restated
			 * report); amended: the answer to the replace reports it */
			return false;
	}
}
