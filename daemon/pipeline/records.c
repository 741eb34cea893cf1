/*
 * records.c - the matching core's commands and events as journal records.
 *
 * Each command and event kind journals a fixed set of fields; every other
 * field of the struct must be zero (MJ_BAD_FIELD otherwise), so that decoding
 * fills zeros and the round trip is exact.  Choices a reader of the journal
 * sees:
 *   - prices of 0 (market orders, cancels) are NULL, as are enumerations of 0;
 *   - reasons are lower-case names of the core's codes ("fok_not_fillable");
 *   - an amend's priority outcome is its reason: "priority_kept"/"priority_lost";
 *   - a session change (open, close, halt, resume) is answered by an `accepted`
 *     record without an order whose reason is the symbol's new status
 *     ("open", "closed", "halted");
 *   - status is the order's status after the event, derived from the event.
 */
#include <stdio.h>
#include <string.h>

#include "jsonkv.h"
#include "records.h"

/* Reason codes by number; NULL where the core has none. */
static const char *const reason_texts[] = {
    [MC_R_UNKNOWN_SYMBOL] = "unknown_symbol",
    [MC_R_SESSION_CLOSED] = "session_closed",
    [MC_R_HALTED] = "halted",
    [MC_R_BAD_SIDE] = "bad_side",
    [MC_R_BAD_TYPE] = "bad_type",
    [MC_R_BAD_TIF] = "bad_time_in_force",
    [MC_R_BAD_PRICE] = "bad_price",
    [MC_R_BAD_QTY] = "bad_quantity",
    [MC_R_BAD_ORDER_ID] = "bad_order_id",
    [MC_R_DUPLICATE_ID] = "duplicate_order_id",
    [MC_R_UNKNOWN_ORDER] = "unknown_order",
    [MC_R_NOT_OWNER] = "not_owner",
    [MC_R_ORDER_POOL_FULL] = "order_pool_full",
    [MC_R_LEVEL_POOL_FULL] = "level_pool_full",
    [MC_R_SYMBOL_ORDER_LIMIT] = "symbol_order_limit",
    [MC_R_SYMBOL_LEVEL_LIMIT] = "symbol_level_limit",
    [MC_R_BAD_SESSION_OP] = "bad_session_op",
    [MC_R_BAD_COMMAND] = "bad_command",
    [MC_R_SYMBOL_EXISTS] = "symbol_exists",
    [MC_R_POST_ONLY_WOULD_CROSS] = "post_only_would_cross",
    [MC_R_BAD_EXPIRE_TIME] = "bad_expire_time",
    [MC_R_NOT_EXPIRED] = "not_expired",
    [MC_R_BAD_STOP_PRICE] = "bad_stop_price",
    [MC_R_STOP_WOULD_TRIGGER] = "stop_would_trigger",
    [MC_R_USER_CANCEL] = "user_cancel",
    [MC_R_IOC_REMAINDER] = "ioc_remainder",
    [MC_R_MARKET_REMAINDER] = "market_remainder",
    [MC_R_NO_LIQUIDITY] = "no_liquidity",
    [MC_R_FOK_NOT_FILLABLE] = "fok_not_fillable",
    [MC_R_STP_CANCEL_OLDEST] = "stp_cancel_oldest",
    [MC_R_STP_CANCEL_NEWEST] = "stp_cancel_newest",
    [MC_R_DAY_EXPIRED] = "day_expired",
    [MC_R_GTD_EXPIRED] = "gtd_expired",
    [MC_R_STOP_NO_LEVEL] = "stop_no_level",
    [MC_R_MARKET_CLOSED] = "market_closed",
    [MC_R_SYMBOL_HALTED] = "symbol_halted",
    [MC_R_KYC_NOT_VERIFIED] = "kyc_not_verified",
    [MC_R_ACCOUNT_SUSPENDED] = "account_suspended",
    [MC_R_INSUFFICIENT_FUNDS] = "insufficient_funds",
    [MC_R_INSUFFICIENT_SHARES] = "insufficient_shares",
    [MC_R_MAX_ORDER_QUANTITY] = "max_order_quantity",
    [MC_R_MAX_ORDER_NOTIONAL] = "max_order_notional",
    [MC_R_MAX_DAILY_NOTIONAL] = "max_daily_notional",
    [MC_R_MAX_OPEN_ORDERS] = "max_open_orders",
    [MC_R_PRICE_BAND] = "price_band",
    [MC_R_NO_COLLAR] = "no_collar",
    [MC_R_DUPLICATE_CLORDID] = "duplicate_client_order_id",
};
#define N_REASONS ((int)(sizeof(reason_texts) / sizeof(reason_texts[0])))

/* Session status (mc_status) by number, as a reason text. */
static const char *const status_texts[] = {[MC_STATUS_CLOSED] = "closed",
                                           [MC_STATUS_OPEN] = "open",
                                           [MC_STATUS_HALTED] = "halted"};
#define N_STATUSES 3

static const char PRIORITY_KEPT[] = "priority_kept";
static const char PRIORITY_LOST[] = "priority_lost";

const char *
mj_reason_text(int reason)
{
	return reason > 0 && reason < N_REASONS ? reason_texts[reason] : NULL;
}

pgx_str
mj_str(const char *s)
{
	pgx_str r = {s, s ? (uint16_t)strlen(s) : PGX_STR_NULL};

	return r;
}

static int
str_is(const pgx_str *s, const char *text)
{
	return s->len != PGX_STR_NULL && s->len == strlen(text) &&
	       memcmp(s->ptr, text, s->len) == 0;
}

/* Index of s in texts[0..n), or -1. */
static int
lookup_text(const pgx_str *s, const char *const *texts, int n)
{
	for (int i = 0; i < n; i++)
		if (texts[i] && str_is(s, texts[i]))
			return i;
	return -1;
}

void
mj_record_init(pgx_record *r, uint8_t kind, uint64_t seq, int32_t idx, uint64_t ts,
               int32_t day)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->seq = (int64_t)seq;
	r->idx = idx;
	r->ts = (int64_t)ts;
	r->trading_day = day;
	for (int i = 0; i < PGX_S__COUNT; i++)
		r->strs[i].len = PGX_STR_NULL;
}

void
mj_set_int(pgx_record *r, int field, int64_t v)
{
	r->ints[field] = v;
	r->present |= (uint8_t)(1u << field);
}

static int64_t
get_int(const pgx_record *r, int field)
{
	return ((r->present >> field) & 1) ? r->ints[field] : 0;
}

static int
set_symbol(pgx_record *r, const mj_names *n, uint32_t id)
{
	const char *name = n->symbol_name(n->ctx, id);

	if (name == NULL)
		return MJ_UNKNOWN_NAME;
	r->strs[PGX_S_SYMBOL] = mj_str(name);
	return MJ_OK;
}

static int
set_account(pgx_record *r, int field, const mj_names *n, uint32_t id)
{
	const char *name = n->account_name(n->ctx, id);

	if (name == NULL)
		return MJ_UNKNOWN_NAME;
	r->strs[field] = mj_str(name);
	return MJ_OK;
}

static int
get_symbol(const pgx_record *r, const mj_names *n, uint32_t *id)
{
	const pgx_str *s = &r->strs[PGX_S_SYMBOL];

	if (s->len == PGX_STR_NULL || n->symbol_id(n->ctx, s->ptr, s->len, id) != 0)
		return MJ_UNKNOWN_NAME;
	return MJ_OK;
}

static int
get_account(const pgx_record *r, int field, const mj_names *n, uint32_t *id)
{
	const pgx_str *s = &r->strs[field];

	if (s->len == PGX_STR_NULL || n->account_id(n->ctx, s->ptr, s->len, id) != 0)
		return MJ_UNKNOWN_NAME;
	return MJ_OK;
}

/* ---- commands ----------------------------------------------------------- */

/* Length of a client order id: up to its NUL, or the whole array. */
static uint16_t
clordid_len(const char *id)
{
	const char *nul = memchr(id, 0, MC_CLORDID_LEN);

	return (uint16_t)(nul ? nul - id : MC_CLORDID_LEN);
}

int
mj_command_record(const mc_command *c, int32_t day, const mj_names *n, pgx_record *r)
{
	static const uint8_t session_kinds[] = {[MC_SESSION_OPEN] = PGX_KIND_MARKET_OPEN,
	                                        [MC_SESSION_CLOSE] = PGX_KIND_MARKET_CLOSE,
	                                        [MC_SESSION_HALT] = PGX_KIND_HALT,
	                                        [MC_SESSION_RESUME] = PGX_KIND_RESUME};
	static const uint8_t zero_pad[sizeof(c->pad)] = {0};
	int rc = MJ_OK;

	if (memcmp(c->pad, zero_pad, sizeof(zero_pad)) != 0)
		return MJ_BAD_FIELD;
	switch (c->kind)
	{
		case MC_CMD_NEW:
			if (c->side < MC_BUY || c->side > MC_SELL || c->type < MC_LIMIT ||
			    c->type > MC_STOP_LIMIT || c->tif < MC_DAY || c->tif > MC_GTD ||
			    c->session)
				return MJ_BAD_FIELD;
			mj_record_init(r, PGX_KIND_NEW_ORDER, c->seq, 0, c->timestamp, day);
			r->side = c->side;
			r->order_type = c->type;
			r->time_in_force = c->tif;
			mj_set_int(r, PGX_F_ORDER_ID, (int64_t)c->order_id);
			if (!((c->type == MC_MARKET || c->type == MC_STOP) && c->price == 0))
				mj_set_int(r, PGX_F_PRICE, c->price);
			mj_set_int(r, PGX_F_QUANTITY, c->qty);
			r->strs[PGX_S_CLIENT_ORDER_ID].ptr = c->client_order_id;
			r->strs[PGX_S_CLIENT_ORDER_ID].len = clordid_len(c->client_order_id);
			/* bytes after the terminator would not survive the journal */
			for (size_t i = r->strs[PGX_S_CLIENT_ORDER_ID].len; i < MC_CLORDID_LEN; i++)
				if (c->client_order_id[i] != 0)
					return MJ_BAD_FIELD;
			if (r->strs[PGX_S_CLIENT_ORDER_ID].len == 0)
				r->strs[PGX_S_CLIENT_ORDER_ID] = mj_str(NULL);
			if ((rc = set_symbol(r, n, c->symbol)) == MJ_OK)
				rc = set_account(r, PGX_S_ACCOUNT, n, c->account);
			return rc;
		case MC_CMD_CANCEL:
		case MC_CMD_AMEND:
		case MC_CMD_EXPIRE:
			/* the symbol is the order's, so that a rejection is journaled under it */
			if (c->side || c->type || c->tif || c->session || c->client_order_id[0] ||
			    c->flags || c->expire_time || c->stop_price ||
			    (c->kind != MC_CMD_AMEND && (c->price || c->qty)))
				return MJ_BAD_FIELD;
			mj_record_init(r,
			               c->kind == MC_CMD_CANCEL  ? PGX_KIND_CANCEL_ORDER
			               : c->kind == MC_CMD_AMEND ? PGX_KIND_AMEND_ORDER
			                                         : PGX_KIND_EXPIRE_ORDER,
			               c->seq, 0, c->timestamp, day);
			mj_set_int(r, PGX_F_ORDER_ID, (int64_t)c->order_id);
			if (c->kind == MC_CMD_AMEND)
			{
				if (c->price != 0)
					mj_set_int(r, PGX_F_PRICE, c->price);
				mj_set_int(r, PGX_F_QUANTITY, c->qty);
			}
			if ((rc = set_symbol(r, n, c->symbol)) == MJ_OK)
				rc = set_account(r, PGX_S_ACCOUNT, n, c->account);
			return rc;
		case MC_CMD_SESSION:
			if (c->session < MC_SESSION_OPEN || c->session > MC_SESSION_RESUME)
				return MJ_UNKNOWN_KIND;
			if (c->order_id || c->price || c->qty || c->account || c->side || c->type ||
			    c->tif || c->client_order_id[0] || c->flags || c->expire_time ||
			    c->stop_price)
				return MJ_BAD_FIELD;
			mj_record_init(r, session_kinds[c->session], c->seq, 0, c->timestamp, day);
			return set_symbol(r, n, c->symbol);
	}
	return MJ_UNKNOWN_KIND;
}

int
mj_new_order_detail(const mc_command *c, char *buf, size_t cap, pgx_str *out)
{
	size_t used = 0;
	int n = 0;

	if (!c->flags && !c->expire_time && !c->stop_price)
	{
		*out = mj_str(NULL);
		return MJ_OK;
	}
	if ((c->flags & ~MC_CMDF_POST_ONLY) || c->stop_price < 0 || cap < 2)
		return MJ_BAD_FIELD;
	buf[used++] = '{';
	if (c->flags)
		n = snprintf(buf + used, cap - used, "\"" PGX_DETAIL_POST_ONLY "\": true");
	if (n >= 0 && (used += (size_t)n) < cap && c->expire_time)
		n = snprintf(buf + used, cap - used, "%s\"" PGX_DETAIL_EXPIRE_TIME "\": %llu",
		             used > 1 ? ", " : "", (unsigned long long)c->expire_time);
	else
		n = 0;
	if (n >= 0 && (used += (size_t)n) < cap && c->stop_price)
		n = snprintf(buf + used, cap - used, "%s\"" PGX_DETAIL_STOP_PRICE "\": %lld",
		             used > 1 ? ", " : "", (long long)c->stop_price);
	else
		n = 0;
	if (n < 0 || (used += (size_t)n) + 1 >= cap)
		return MJ_BAD_FIELD;
	buf[used++] = '}';
	buf[used] = '\0';
	out->ptr = buf;
	out->len = (uint16_t)used;
	return MJ_OK;
}

int
mj_new_order_options(pgx_str detail, mj_order_options *o)
{
	memset(o, 0, sizeof(*o));
	if (detail.len == PGX_STR_NULL)
		return MJ_OK;
	if (jkv_bool(detail, PGX_DETAIL_POST_ONLY, &o->post_only) == JKV_MALFORMED ||
	    jkv_int(detail, PGX_DETAIL_EXPIRE_TIME, &o->expire_time) == JKV_MALFORMED ||
	    jkv_int(detail, PGX_DETAIL_STOP_PRICE, &o->stop_price) == JKV_MALFORMED ||
	    o->expire_time < 0 || o->stop_price < 0)
		return MJ_BAD_FIELD;
	return MJ_OK;
}

/* The options a new order's detail carries (PGX_DETAIL_*) into c. */
static int
new_order_options(pgx_str detail, mc_command *c)
{
	mj_order_options o;

	if (mj_new_order_options(detail, &o) != MJ_OK)
		return MJ_BAD_FIELD;
	c->flags = o.post_only ? MC_CMDF_POST_ONLY : 0;
	c->expire_time = (uint64_t)o.expire_time;
	c->stop_price = o.stop_price;
	return MJ_OK;
}

int
mj_record_command(const pgx_record *r, const mj_names *n, mc_command *c)
{
	int rc = MJ_OK;

	memset(c, 0, sizeof(*c));
	c->seq = (uint64_t)r->seq;
	c->timestamp = (uint64_t)r->ts;
	switch (r->kind)
	{
		case PGX_KIND_NEW_ORDER:
			c->kind = MC_CMD_NEW;
			c->side = r->side;
			c->type = r->order_type;
			c->tif = r->time_in_force;
			c->order_id = (uint64_t)get_int(r, PGX_F_ORDER_ID);
			c->price = get_int(r, PGX_F_PRICE);
			c->qty = get_int(r, PGX_F_QUANTITY);
			if (r->strs[PGX_S_CLIENT_ORDER_ID].len != PGX_STR_NULL)
			{
				if (r->strs[PGX_S_CLIENT_ORDER_ID].len > MC_CLORDID_LEN)
					return MJ_BAD_FIELD;
				memcpy(c->client_order_id, r->strs[PGX_S_CLIENT_ORDER_ID].ptr,
				       r->strs[PGX_S_CLIENT_ORDER_ID].len);
			}
			if ((rc = new_order_options(r->strs[PGX_S_DETAIL], c)) != MJ_OK)
				return rc;
			if ((rc = get_symbol(r, n, &c->symbol)) == MJ_OK)
				rc = get_account(r, PGX_S_ACCOUNT, n, &c->account);
			return rc;
		case PGX_KIND_CANCEL_ORDER:
		case PGX_KIND_AMEND_ORDER:
		case PGX_KIND_EXPIRE_ORDER:
			c->kind = r->kind == PGX_KIND_CANCEL_ORDER  ? MC_CMD_CANCEL
			          : r->kind == PGX_KIND_AMEND_ORDER ? MC_CMD_AMEND
			                                            : MC_CMD_EXPIRE;
			c->order_id = (uint64_t)get_int(r, PGX_F_ORDER_ID);
			c->price = get_int(r, PGX_F_PRICE);
			c->qty = get_int(r, PGX_F_QUANTITY);
			if ((rc = get_symbol(r, n, &c->symbol)) == MJ_OK)
				rc = get_account(r, PGX_S_ACCOUNT, n, &c->account);
			return rc;
		case PGX_KIND_MARKET_OPEN:
		case PGX_KIND_MARKET_CLOSE:
		case PGX_KIND_HALT:
		case PGX_KIND_RESUME:
			c->kind = MC_CMD_SESSION;
			c->session = r->kind == PGX_KIND_MARKET_OPEN    ? MC_SESSION_OPEN
			             : r->kind == PGX_KIND_MARKET_CLOSE ? MC_SESSION_CLOSE
			             : r->kind == PGX_KIND_HALT         ? MC_SESSION_HALT
			                                                : MC_SESSION_RESUME;
			return get_symbol(r, n, &c->symbol);
	}
	return MJ_UNKNOWN_KIND;
}

/* ---- events ------------------------------------------------------------- */

/* The order's status after an event, from the event alone (0: not derivable). */
static uint8_t
status_after(const mc_event *ev)
{
	switch (ev->kind)
	{
		case MC_EV_ACCEPTED:
			return ev->leaves < ev->qty ? PGX_STATUS_PARTIALLY_FILLED : PGX_STATUS_NEW;
		case MC_EV_TRADE:
			return ev->leaves == 0 ? PGX_STATUS_FILLED : PGX_STATUS_PARTIALLY_FILLED;
		case MC_EV_REJECTED:
			return PGX_STATUS_REJECTED;
		case MC_EV_CANCELED:
			return PGX_STATUS_CANCELED;
		case MC_EV_EXPIRED:
			return PGX_STATUS_EXPIRED;
		case MC_EV_TRIGGERED: /* nothing fills while a stop waits */
			return PGX_STATUS_NEW;
	}
	return 0;
}

/* The detail of an event about a stop waiting in the stop book. */
static const char STOP_DETAIL[] = PGX_DETAIL_STOP_EVENT;

int
mj_event_record(const mc_event *ev, int32_t day, const mj_names *n, pgx_record *r)
{
	static const uint8_t kinds[] = {
	    [MC_EV_ACCEPTED] = PGX_KIND_ACCEPTED, [MC_EV_REJECTED] = PGX_KIND_REJECTED,
	    [MC_EV_TRADE] = PGX_KIND_TRADE,       [MC_EV_CANCELED] = PGX_KIND_CANCELED,
	    [MC_EV_AMENDED] = PGX_KIND_AMENDED,   [MC_EV_EXPIRED] = PGX_KIND_EXPIRED,
	    [MC_EV_SESSION] = PGX_KIND_ACCEPTED,  [MC_EV_TRIGGERED] = PGX_KIND_TRIGGERED};
	int rc;

	if (ev->kind < MC_EV_ACCEPTED || ev->kind > MC_EV_TRIGGERED)
		return MJ_UNKNOWN_KIND;
	if (ev->pad != 0 || ev->side > MC_SELL || ev->idx >= INT32_MAX)
		return MJ_BAD_FIELD;
	mj_record_init(r, kinds[ev->kind], ev->seq, (int32_t)ev->idx + 1, ev->timestamp, day);
	if ((rc = set_symbol(r, n, ev->symbol)) != MJ_OK)
		return rc;

	if (ev->kind == MC_EV_SESSION)
	{
		if (ev->flags >= N_STATUSES || ev->order_id || ev->account || ev->side ||
		    ev->price || ev->qty || ev->leaves || ev->reason || ev->maker_order_id ||
		    ev->maker_account || ev->maker_leaves)
			return MJ_BAD_FIELD;
		r->strs[PGX_S_REASON] = mj_str(status_texts[ev->flags]);
		return MJ_OK;
	}

	/* every order event names its order, account and side */
	r->side = ev->side;
	r->status = status_after(ev);
	mj_set_int(r, PGX_F_ORDER_ID, (int64_t)ev->order_id);
	if (ev->price != 0)
		mj_set_int(r, PGX_F_PRICE, ev->price);
	mj_set_int(r, PGX_F_QUANTITY, ev->qty);
	mj_set_int(r, PGX_F_REMAINING, ev->leaves);
	if ((rc = set_account(r, PGX_S_ACCOUNT, n, ev->account)) != MJ_OK)
		return rc;

	if (ev->kind == MC_EV_TRADE)
	{
		if (ev->reason || ev->flags)
			return MJ_BAD_FIELD;
		mj_set_int(r, PGX_F_CONTRA_ORDER_ID, (int64_t)ev->maker_order_id);
		mj_set_int(r, PGX_F_CONTRA_REMAINING, ev->maker_leaves);
		return set_account(r, PGX_S_CONTRA_ACCOUNT, n, ev->maker_account);
	}
	if (ev->maker_order_id || ev->maker_account || ev->maker_leaves)
		return MJ_BAD_FIELD;
	if (ev->flags & MC_EVF_STOP)
	{
		if (ev->kind == MC_EV_REJECTED || ev->kind == MC_EV_TRIGGERED)
			return MJ_BAD_FIELD;
		r->strs[PGX_S_DETAIL] = mj_str(STOP_DETAIL);
	}
	if (ev->kind == MC_EV_AMENDED)
	{
		int priority = ev->flags & ~MC_EVF_STOP;

		if (ev->reason ||
		    (priority != MC_EVF_PRIORITY_KEPT && priority != MC_EVF_PRIORITY_LOST))
			return MJ_BAD_FIELD;
		r->strs[PGX_S_REASON] =
		    mj_str(priority == MC_EVF_PRIORITY_KEPT ? PRIORITY_KEPT : PRIORITY_LOST);
		return MJ_OK;
	}
	if (ev->flags & ~MC_EVF_STOP)
		return MJ_BAD_FIELD;
	if (ev->kind == MC_EV_ACCEPTED || ev->kind == MC_EV_TRIGGERED)
		return ev->reason ? MJ_BAD_FIELD : MJ_OK;
	/* rejected, canceled, expired say why */
	if (mj_reason_text(ev->reason) == NULL)
		return MJ_UNKNOWN_REASON;
	r->strs[PGX_S_REASON] = mj_str(mj_reason_text(ev->reason));
	return MJ_OK;
}

int
mj_record_event(const pgx_record *r, const mj_names *n, mc_event *ev)
{
	const pgx_str *reason = &r->strs[PGX_S_REASON];
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (r->idx < 1)
		return MJ_BAD_FIELD;
	ev->seq = (uint64_t)r->seq;
	ev->idx = (uint32_t)(r->idx - 1);
	ev->timestamp = (uint64_t)r->ts;
	if ((rc = get_symbol(r, n, &ev->symbol)) != MJ_OK)
		return rc;

	/* a session change: accepted, no order, the new status as reason */
	if (r->kind == PGX_KIND_ACCEPTED && reason->len != PGX_STR_NULL)
	{
		int status = lookup_text(reason, status_texts, N_STATUSES);

		if (status < 0)
			return MJ_UNKNOWN_REASON;
		ev->kind = MC_EV_SESSION;
		ev->flags = (uint8_t)status;
		return MJ_OK;
	}

	switch (r->kind)
	{
		case PGX_KIND_ACCEPTED:
			ev->kind = MC_EV_ACCEPTED;
			break;
		case PGX_KIND_REJECTED:
			ev->kind = MC_EV_REJECTED;
			break;
		case PGX_KIND_TRADE:
			ev->kind = MC_EV_TRADE;
			break;
		case PGX_KIND_CANCELED:
			ev->kind = MC_EV_CANCELED;
			break;
		case PGX_KIND_AMENDED:
			ev->kind = MC_EV_AMENDED;
			break;
		case PGX_KIND_EXPIRED:
			ev->kind = MC_EV_EXPIRED;
			break;
		case PGX_KIND_TRIGGERED:
			ev->kind = MC_EV_TRIGGERED;
			break;
		default:
			return MJ_UNKNOWN_KIND;
	}
	if (ev->kind != MC_EV_TRADE && r->strs[PGX_S_DETAIL].len != PGX_STR_NULL)
	{
		int stop = 0;

		if (jkv_bool(r->strs[PGX_S_DETAIL], PGX_DETAIL_STOP, &stop) == JKV_MALFORMED)
			return MJ_BAD_FIELD;
		if (stop)
			ev->flags = MC_EVF_STOP;
	}
	ev->side = r->side;
	ev->order_id = (uint64_t)get_int(r, PGX_F_ORDER_ID);
	ev->price = get_int(r, PGX_F_PRICE);
	ev->qty = get_int(r, PGX_F_QUANTITY);
	ev->leaves = get_int(r, PGX_F_REMAINING);
	if ((rc = get_account(r, PGX_S_ACCOUNT, n, &ev->account)) != MJ_OK)
		return rc;

	switch (ev->kind)
	{
		case MC_EV_TRADE:
			ev->maker_order_id = (uint64_t)get_int(r, PGX_F_CONTRA_ORDER_ID);
			ev->maker_leaves = get_int(r, PGX_F_CONTRA_REMAINING);
			return get_account(r, PGX_S_CONTRA_ACCOUNT, n, &ev->maker_account);
		case MC_EV_AMENDED:
			if (str_is(reason, PRIORITY_KEPT))
				ev->flags |= MC_EVF_PRIORITY_KEPT;
			else if (str_is(reason, PRIORITY_LOST))
				ev->flags |= MC_EVF_PRIORITY_LOST;
			else
				return MJ_UNKNOWN_REASON;
			return MJ_OK;
		case MC_EV_ACCEPTED:
		case MC_EV_TRIGGERED:
			return MJ_OK;
		default:
		{
			int code = lookup_text(reason, reason_texts, N_REASONS);

			if (code < 0)
				return MJ_UNKNOWN_REASON;
			ev->reason = (uint8_t)code;
			return MJ_OK;
		}
	}
}
