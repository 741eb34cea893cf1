/*
 * pipeline.c - order manager, sequencer, core and records, one command at a
 * time.  See pipeline.h for the shape; the choices a journal reader sees:
 *   - an order's id is the seq of its new_order command (unique, increasing,
 *     and reproduced by replay without any extra state);
 *   - every command from the socket records the authenticated role in its
 *     detail ({"role": ...}), merged with the request's own detail (reference
 *     data's parameters; an order's origin, {"fix_session": ...} from the FIX
 *     gateway; the extension sends none with orders);
 *   - reference data and administration (add_symbol, open_account, KYC,
 *     wallets, limits, halts, the market's open and close) are answered by
 *     `accepted` or `rejected` (reason code) at idx 1, followed by the
 *     sessions they change (one `accepted` per symbol opened, closed, halted
 *     or resumed) and the day orders a close expires;
 *   - the order manager (om*.c) checks a new order or amend before the core;
 *     its refusal is journaled as the order's `rejected` event;
 *   - a trade record carries the notional (amount, minor units) and, when
 *     a fee is due, {"taker_fee": n, "maker_fee": n} as its detail;
 *   - the market_close command is the last of its trading day: what follows
 *     belongs to the next day (or, when it is later, the UTC date of the
 *     sequencer's clock) until an open names its session's day;
 *   - an amend without a price carries the order's current price, so the
 *     journaled command says exactly what was applied.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonkv.h"
#include "om.h"
#include "mdata.h"
#include "pipeline.h"
#include "records.h"

#define SINK_CAP   1024
#define DETAIL_CAP (PGX_RECORD_MAX + 1)
#define DAY_US     86400000000LL

struct pipeline
{
	pl_config cfg;
	mc_engine *engine;
	om *om;
	md *md; /* last trades and candle rings, beside the books */
	mj_registry names;
	mj_names nm;

	int64_t last_seq;
	int64_t last_ts;
	int32_t day;
	int64_t session_ts; /* sequencer time of the last open or close */

	/* pl_apply's current command, for the sink's flush callback */
	mc_sink sink;
	mc_event events[SINK_CAP];
	batchbuf *out;
	pl_result *res;
	int32_t next_idx; /* idx of the next event record of the command */
	int failed;       /* an event did not translate or encode */
	/* fold of the events about the command's order into res */
	int rejected;
	uint8_t final_status; /* canceled / expired, or 0 */

	char detail[DETAIL_CAP]; /* pl_stamp's detail text */
	char fill_detail[96];    /* a trade record's fees */

	/* a mass cancel's scratch: one side of one book */
	mc_order_info *side_orders;
	uint32_t side_cap;
};

static void set_error(pl_error *err, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(pl_error *err, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;

	memcpy(err->sqlstate, sqlstate, 5);
	err->sqlstate[5] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* printf-able view of a wire string (at most 63 bytes shown). */
#define STR_ARG(s)                                                                       \
	((s).len == PGX_STR_NULL ? 4 : ((s).len > 63 ? 63 : (int)(s).len)),                  \
	    ((s).len == PGX_STR_NULL ? "NULL" : (s).ptr)

static void sink_flush(void *ctx, const mc_event *ev, uint32_t n);

pipeline *
pl_create(const pl_config *cfg)
{
	mc_engine_config ec = {.max_symbols = cfg->max_symbols,
	                       .max_orders = cfg->max_orders,
	                       .max_levels = cfg->max_levels};
	pipeline *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pl->cfg = *cfg;
	om_config oc = {.max_accounts = cfg->max_accounts,
	                .max_symbols = cfg->max_symbols,
	                .max_orders = cfg->max_orders,
	                .max_positions = cfg->max_positions};
	if ((pl->engine = mc_engine_create(&ec)) == NULL ||
	    (pl->om = om_create(&oc)) == NULL ||
	    (pl->md = md_create(cfg->max_symbols)) == NULL ||
	    mj_registry_init(&pl->names, cfg->max_symbols, cfg->max_accounts) != 0)
	{
		pl_destroy(pl);
		return NULL;
	}
	pl->nm = mj_registry_names(&pl->names);
	pl->sink.buf = pl->events;
	pl->sink.cap = SINK_CAP;
	pl->sink.flush = sink_flush;
	pl->sink.ctx = pl;
	return pl;
}

void
pl_destroy(pipeline *pl)
{
	if (pl == NULL)
		return;
	mc_engine_destroy(pl->engine);
	om_destroy(pl->om);
	md_destroy(pl->md);
	mj_registry_free(&pl->names);
	free(pl->side_orders);
	free(pl);
}

void
pl_set_position(pipeline *pl, int64_t last_seq, int64_t last_ts, int32_t day)
{
	pl->last_seq = last_seq;
	pl->last_ts = last_ts;
	pl->day = day;
}

void
pl_get_state(const pipeline *pl, pl_state *st)
{
	st->last_seq = pl->last_seq;
	st->last_ts = pl->last_ts;
	st->session_ts = pl->session_ts;
	st->day = pl->day;
}

void
pl_set_state(pipeline *pl, const pl_state *st)
{
	pl->last_seq = st->last_seq;
	pl->last_ts = st->last_ts;
	pl->session_ts = st->session_ts;
	pl->day = st->day;
}

const pl_config *
pl_get_config(const pipeline *pl)
{
	return &pl->cfg;
}

mc_engine *
pl_engine_rw(pipeline *pl)
{
	return pl->engine;
}

om *
pl_om_rw(pipeline *pl)
{
	return pl->om;
}

md *
pl_md_rw(pipeline *pl)
{
	return pl->md;
}

mj_registry *
pl_names_rw(pipeline *pl)
{
	return &pl->names;
}

int64_t
pl_last_seq(const pipeline *pl)
{
	return pl->last_seq;
}

int32_t
pl_trading_day(const pipeline *pl)
{
	return pl->day;
}

uint64_t
pl_state_hash(const pipeline *pl)
{
	return mc_engine_hash(pl->engine);
}

uint64_t
pl_om_hash(const pipeline *pl)
{
	return om_hash(pl->om);
}

const om *
pl_om(const pipeline *pl)
{
	return pl->om;
}

int
pl_market_open(const pipeline *pl)
{
	return om_market_open(pl->om);
}

const mj_registry *
pl_names(const pipeline *pl)
{
	return &pl->names;
}

const mc_engine *
pl_engine(const pipeline *pl)
{
	return pl->engine;
}

const md *
pl_md(const pipeline *pl)
{
	return pl->md;
}

int64_t
pl_last_ts(const pipeline *pl)
{
	return pl->last_ts;
}

int
pl_flush_wallets(pipeline *pl, uint8_t **buf, size_t *cap, size_t *len)
{
	return om_flush_wallets(pl->om, &pl->nm, buf, cap, len);
}

int
pl_schedule_due(const pipeline *pl, int64_t boundary_ts, int is_open)
{
	return boundary_ts > pl->session_ts && om_market_open(pl->om) != !!is_open;
}

uint32_t
pl_open_orders(const pipeline *pl)
{
	return mc_engine_order_count(pl->engine);
}

uint32_t
pl_symbols(const pipeline *pl)
{
	return pl->names.symbols.count;
}

uint32_t
pl_accounts(const pipeline *pl)
{
	return pl->names.accounts.count;
}

/* ---- reference data ------------------------------------------------------ */

/* Applies a session operation to one symbol; its events go to the sink. */
static void
session_op(pipeline *pl, uint32_t sym, int op, int64_t seq, int64_t ts)
{
	mc_command c = {0};

	c.seq = (uint64_t)seq;
	c.timestamp = (uint64_t)ts;
	c.kind = MC_CMD_SESSION;
	c.symbol = sym;
	c.session = (uint8_t)op;
	mc_engine_apply(pl->engine, &c, &pl->sink);
	sink_flush(pl, pl->sink.buf, pl->sink.n);
	pl->sink.n = 0;
}

/*
 * Lists a symbol: the order manager's parameters from the detail (currency,
 * tick_value, reference_ticks; journals older than the order manager have
 * none: USD, 1, none), then the core and the registry.  The symbol's session
 * opens with it when the market is open.
 */
static int
add_symbol(pipeline *pl, const pgx_record *cmd, om_refusal *f)
{
	pgx_str name = cmd->strs[PGX_S_SYMBOL], detail = cmd->strs[PGX_S_DETAIL];
	pgx_str currency = mj_str("USD");
	int64_t tick_value = 1, reference = 0;
	mc_symbol_config sc = {0};
	uint32_t id;

	f->sqlstate = PGX_SQLSTATE_PROTOCOL;
	f->message[0] = '\0';
	if (mj_table_find(&pl->names.symbols, name.ptr, name.len, &id) == 0)
		return f->code = "symbol_exists", f->sqlstate = PGX_SQLSTATE_SYMBOL_EXISTS, -1;
	if (pl->names.symbols.count >= pl->names.symbols.cap)
		return f->code = "capacity", f->sqlstate = PGX_SQLSTATE_CAPACITY, -1;
	if (name.len == PGX_STR_NULL || name.len == 0 || name.len > MJ_NAME_MAX ||
	    memchr(name.ptr, 0, name.len) || jkv_str(detail, "currency", &currency) < 0 ||
	    jkv_int(detail, "tick_value", &tick_value) < 0 ||
	    jkv_int(detail, "reference_ticks", &reference) < 0)
		return f->code = "bad_command", -1;
	id = pl->names.symbols.count;
	/* first what can only fail for memory: the id is the next one either way */
	if (md_add_symbol(pl->md, id) != 0)
		return f->code = "capacity", f->sqlstate = PGX_SQLSTATE_CAPACITY, -1;
	if (om_add_symbol(pl->om, id, currency, tick_value, reference, f) != 0)
		return -1;
	if (mc_engine_add_symbol(pl->engine, id, &sc) != MC_R_NONE)
		return f->code = "capacity", f->sqlstate = PGX_SQLSTATE_CAPACITY, -1;
	if (mj_table_add(&pl->names.symbols, name.ptr, name.len, &id) != MJ_NAME_ADDED)
		return f->code = "bad_command", -1;
	return 0;
}

static int
add_account(pipeline *pl, const pgx_record *cmd, om_refusal *f)
{
	pgx_str name = cmd->strs[PGX_S_ACCOUNT], status;
	int level = OM_KYC_PENDING, rc;
	uint32_t id;

	f->sqlstate = PGX_SQLSTATE_PROTOCOL;
	f->message[0] = '\0';
	if (name.len == PGX_STR_NULL || name.len == 0 || name.len > MJ_NAME_MAX ||
	    memchr(name.ptr, 0, name.len))
		return f->code = "bad_command", -1;
	rc = jkv_str(cmd->strs[PGX_S_DETAIL], "kyc_status", &status);
	if (rc < 0)
		return f->code = "bad_command", -1;
	if (rc == JKV_FOUND && (level = om_kyc_level(status)) < 0)
		return f->code = "bad_command", -1;
	rc = mj_table_add(&pl->names.accounts, name.ptr, name.len, &id);
	if (rc == MJ_NAME_EXISTS)
		return f->code = "account_exists", f->sqlstate = PGX_SQLSTATE_ACCOUNT_EXISTS, -1;
	if (rc != MJ_NAME_ADDED)
		return f->code = "capacity", f->sqlstate = PGX_SQLSTATE_CAPACITY, -1;
	om_add_account(pl->om, id, level);
	return 0;
}

/* ---- stamping (live) ----------------------------------------------------- */

/* Appends s as a JSON string body (without quotes) to buf at *off. */
static int
json_escape(char *buf, size_t cap, size_t *off, pgx_str s)
{
	static const char hex[] = "0123456789abcdef";

	for (uint16_t i = 0; i < s.len; i++)
	{
		unsigned char ch = (unsigned char)s.ptr[i];

		if (*off + 6 >= cap)
			return -1;
		if (ch == '"' || ch == '\\')
		{
			buf[(*off)++] = '\\';
			buf[(*off)++] = (char)ch;
		}
		else if (ch < 0x20)
		{
			memcpy(buf + *off, "\\u00", 4);
			buf[*off + 4] = hex[ch >> 4];
			buf[*off + 5] = hex[ch & 15];
			*off += 6;
		}
		else
			buf[(*off)++] = (char)ch;
	}
	return 0;
}

/* detail := {"role": role} merged in front of the request's JSON object, if any. */
static int
stamp_detail(pipeline *pl, pgx_str role, pgx_str req_detail, pgx_str *out)
{
	size_t off = 0;
	const size_t cap = PGX_RECORD_MAX / 2; /* leaves room for the other fields */

	memcpy(pl->detail, "{\"role\": \"", 10);
	off = 10;
	if (json_escape(pl->detail, cap, &off, role) != 0)
		return -1;
	pl->detail[off++] = '"';
	if (req_detail.len != PGX_STR_NULL && req_detail.len > 0)
	{
		const char *p = req_detail.ptr;
		size_t n = req_detail.len;

		/* the extension sends an object: splice its members after role */
		while (n > 0 && (*p == ' ' || *p == '\n' || *p == '\t'))
			p++, n--;
		if (n < 2 || p[0] != '{' || p[n - 1] != '}')
			return -1;
		p++, n--;
		while (n > 0 && (*p == ' ' || *p == '\n' || *p == '\t'))
			p++, n--;
		if (n > 1) /* not "{}" */
		{
			if (off + 2 + n >= cap)
				return -1;
			memcpy(pl->detail + off, ", ", 2);
			memcpy(pl->detail + off + 2, p, n);
			off += 2 + n;
			out->ptr = pl->detail;
			out->len = (uint16_t)off;
			return 0;
		}
	}
	pl->detail[off++] = '}';
	out->ptr = pl->detail;
	out->len = (uint16_t)off;
	return 0;
}

static int
find_symbol(pipeline *pl, pgx_str s, uint32_t *id)
{
	return s.len == PGX_STR_NULL ? -1
	                             : mj_table_find(&pl->names.symbols, s.ptr, s.len, id);
}

static int
find_account(pipeline *pl, pgx_str s, uint32_t *id)
{
	return s.len == PGX_STR_NULL ? -1
	                             : mj_table_find(&pl->names.accounts, s.ptr, s.len, id);
}

static int
has_int(const pgx_record *r, int field)
{
	return (r->present >> field) & 1;
}

static void
copy_int(pgx_record *dst, const pgx_record *src, int field)
{
	if (has_int(src, field))
		mj_set_int(dst, field, src->ints[field]);
}

/*
 * Requests to commands: each checks a request from a client against the
 * current state and fills the command it becomes (pl_stamp then stamps it);
 * 0, or -1 with *err.  Nothing changes on a refusal.
 */

static int
to_new_order(pipeline *pl, const pgx_record *req, int64_t ts, pgx_record *cmd,
             pl_error *err)
{
	uint32_t sym, acct;
	om_refusal f;

	if (find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_SYMBOL])),
		       -1;
	if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT, "unknown account \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	if (!req->side || !req->order_type || !req->time_in_force ||
	    !has_int(req, PGX_F_QUANTITY) || has_int(req, PGX_F_ORDER_ID) ||
	    (req->strs[PGX_S_CLIENT_ORDER_ID].len != PGX_STR_NULL &&
	     (req->strs[PGX_S_CLIENT_ORDER_ID].len == 0 ||
	      req->strs[PGX_S_CLIENT_ORDER_ID].len > MC_CLORDID_LEN ||
	      memchr(req->strs[PGX_S_CLIENT_ORDER_ID].ptr, 0,
	             req->strs[PGX_S_CLIENT_ORDER_ID].len))))
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed new_order request"), -1;
	if (req->time_in_force == PGX_TIF_AT_OPEN || req->time_in_force == PGX_TIF_AT_CLOSE)
		return set_error(err, "0A000", "%s orders are not supported yet",
		                 req->time_in_force == PGX_TIF_AT_OPEN ? "at_open" : "at_close"),
		       -1;
	{
		mj_order_options o;
		int stop =
		    req->order_type == PGX_TYPE_STOP || req->order_type == PGX_TYPE_STOP_LIMIT;

		/* what the journal keeps must read back (mj_record_command) */
		if (mj_new_order_options(req->strs[PGX_S_DETAIL], &o) != MJ_OK ||
		    (stop && o.stop_price == 0) || (!stop && o.stop_price != 0))
			return set_error(err, PGX_SQLSTATE_PROTOCOL,
			                 "malformed new_order options (post_only, expire_time, "
			                 "stop_price)"),
			       -1;
	}
	if (om_rate_check(pl->om, acct, ts, &f) != 0)
		return set_error(err, f.sqlstate, "%s", f.message), -1;
	cmd->side = req->side;
	cmd->order_type = req->order_type;
	cmd->time_in_force = req->time_in_force;
	copy_int(cmd, req, PGX_F_PRICE);
	copy_int(cmd, req, PGX_F_QUANTITY);
	cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
	cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
	cmd->strs[PGX_S_CLIENT_ORDER_ID] = req->strs[PGX_S_CLIENT_ORDER_ID];
	return 0;
}

/* cancel_order, amend_order */
static int
to_order_change(pipeline *pl, const pgx_record *req, int64_t ts, pgx_record *cmd,
                pl_error *err)
{
	uint32_t acct;
	mc_order_info info;
	om_refusal f;

	if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT, "unknown account \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	if (!has_int(req, PGX_F_ORDER_ID) ||
	    (req->kind == PGX_KIND_AMEND_ORDER && !has_int(req, PGX_F_QUANTITY)))
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed %s request",
		                 req->kind == PGX_KIND_CANCEL_ORDER ? "cancel" : "amend"),
		       -1;
	/* one answer for "no such order" and "not yours": nothing leaks */
	if (req->ints[PGX_F_ORDER_ID] <= 0 ||
	    !mc_engine_order(pl->engine, (uint64_t)req->ints[PGX_F_ORDER_ID], &info) ||
	    info.account != acct)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_ORDER,
		                 "order %lld is not an open order of account \"%.*s\"",
		                 (long long)req->ints[PGX_F_ORDER_ID],
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	/* a stop (market) has no limit price: it keeps its collar (or none) */
	if (req->kind == PGX_KIND_AMEND_ORDER && info.waiting && has_int(req, PGX_F_PRICE) &&
	    req->ints[PGX_F_PRICE] != info.price && om_order_is_market(pl->om, info.id))
		return set_error(err, "22023",
		                 "order %lld is a stop order: it has no limit price to amend",
		                 (long long)info.id),
		       -1;
	/* cancels are never rate limited: they only take risk away */
	if (req->kind == PGX_KIND_AMEND_ORDER && om_rate_check(pl->om, acct, ts, &f) != 0)
		return set_error(err, f.sqlstate, "%s", f.message), -1;
	cmd->strs[PGX_S_SYMBOL] = mj_str(mj_table_name(&pl->names.symbols, info.symbol));
	cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
	mj_set_int(cmd, PGX_F_ORDER_ID, req->ints[PGX_F_ORDER_ID]);
	if (req->kind == PGX_KIND_AMEND_ORDER)
	{
		mj_set_int(cmd, PGX_F_PRICE,
		           has_int(req, PGX_F_PRICE) ? req->ints[PGX_F_PRICE] : info.price);
		copy_int(cmd, req, PGX_F_QUANTITY);
	}
	return 0;
}

/* mass_cancel: the account's open orders, of one symbol or of all */
static int
to_mass_cancel(pipeline *pl, const pgx_record *req, pgx_record *cmd, pl_error *err)
{
	uint32_t acct, sym;

	if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT, "unknown account \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	if (req->strs[PGX_S_SYMBOL].len != PGX_STR_NULL &&
	    find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_SYMBOL])),
		       -1;
	if (has_int(req, PGX_F_ORDER_ID))
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed mass_cancel request"), -1;
	/* never rate limited, like a cancel: it only takes risk away */
	cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
	cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
	return 0;
}

static int
to_add_symbol(pipeline *pl, const pgx_record *req, pgx_record *cmd, pl_error *err)
{
	uint32_t sym;

	if (req->strs[PGX_S_SYMBOL].len == PGX_STR_NULL || req->strs[PGX_S_SYMBOL].len == 0 ||
	    req->strs[PGX_S_SYMBOL].len > MJ_NAME_MAX)
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed add_symbol request"), -1;
	if (find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) == 0)
		return set_error(err, PGX_SQLSTATE_SYMBOL_EXISTS,
		                 "symbol \"%.*s\" is already listed",
		                 STR_ARG(req->strs[PGX_S_SYMBOL])),
		       -1;
	if (pl->names.symbols.count >= pl->names.symbols.cap)
		return set_error(err, PGX_SQLSTATE_CAPACITY,
		                 "matchd holds its maximum of %u symbols (--max-symbols)",
		                 pl->names.symbols.cap),
		       -1;
	cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
	return 0;
}

static int
to_open_account(pipeline *pl, const pgx_record *req, pgx_record *cmd, pl_error *err)
{
	uint32_t acct;

	if (req->strs[PGX_S_ACCOUNT].len == PGX_STR_NULL ||
	    req->strs[PGX_S_ACCOUNT].len == 0 || req->strs[PGX_S_ACCOUNT].len > MJ_NAME_MAX)
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed open_account request"),
		       -1;
	if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) == 0)
		return set_error(err, PGX_SQLSTATE_ACCOUNT_EXISTS,
		                 "account \"%.*s\" already exists",
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	if (pl->names.accounts.count >= pl->names.accounts.cap)
		return set_error(err, PGX_SQLSTATE_CAPACITY,
		                 "matchd holds its maximum of %u accounts (--max-accounts)",
		                 pl->names.accounts.cap),
		       -1;
	cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
	return 0;
}

/* set_kyc, suspend/resume_account, deposit, withdraw, credit/debit_shares,
 * set_account_limits */
static int
to_account_admin(pipeline *pl, const pgx_record *req, pgx_record *cmd, pl_error *err)
{
	uint32_t sym, acct;

	if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT, "unknown account \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
		       -1;
	if ((req->kind == PGX_KIND_CREDIT_SHARES || req->kind == PGX_KIND_DEBIT_SHARES) &&
	    find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_SYMBOL])),
		       -1;
	if (((req->kind == PGX_KIND_DEPOSIT || req->kind == PGX_KIND_WITHDRAW) &&
	     !has_int(req, PGX_F_AMOUNT)) ||
	    ((req->kind == PGX_KIND_CREDIT_SHARES || req->kind == PGX_KIND_DEBIT_SHARES) &&
	     !has_int(req, PGX_F_QUANTITY)))
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed request"), -1;
	cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
	if (req->kind == PGX_KIND_CREDIT_SHARES || req->kind == PGX_KIND_DEBIT_SHARES)
		cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
	copy_int(cmd, req, PGX_F_AMOUNT);
	copy_int(cmd, req, PGX_F_QUANTITY);
	return 0;
}

/* set_symbol_limits, halt, resume */
static int
to_symbol_admin(pipeline *pl, const pgx_record *req, pgx_record *cmd, pl_error *err)
{
	uint32_t sym;

	if (find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) != 0)
		return set_error(err, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"%.*s\"",
		                 STR_ARG(req->strs[PGX_S_SYMBOL])),
		       -1;
	cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
	return 0;
}

static int sequence(pipeline *pl, pgx_str role, pgx_str req_detail, int64_t ts,
                    int32_t day, pgx_record *cmd, pl_error *err);

int
pl_stamp(pipeline *pl, pgx_str role, const pgx_record *req, int64_t now_ts,
         pgx_record *cmd, pl_error *err)
{
	int64_t ts = now_ts > pl->last_ts ? now_ts : pl->last_ts;
	int32_t day = pl->day;
	int rc = 0;

	mj_record_init(cmd, req->kind, 0, 0, 0, 0);

	switch (req->kind)
	{
		case PGX_KIND_NEW_ORDER:
			rc = to_new_order(pl, req, ts, cmd, err);
			break;

		case PGX_KIND_CANCEL_ORDER:
		case PGX_KIND_AMEND_ORDER:
			rc = to_order_change(pl, req, ts, cmd, err);
			break;

		case PGX_KIND_MASS_CANCEL:
			rc = to_mass_cancel(pl, req, cmd, err);
			break;

		case PGX_KIND_ADD_SYMBOL:
			rc = to_add_symbol(pl, req, cmd, err);
			break;

		case PGX_KIND_OPEN_ACCOUNT:
			rc = to_open_account(pl, req, cmd, err);
			break;

		/* administration of an account */
		case PGX_KIND_SET_KYC:
		case PGX_KIND_SUSPEND_ACCOUNT:
		case PGX_KIND_RESUME_ACCOUNT:
		case PGX_KIND_DEPOSIT:
		case PGX_KIND_WITHDRAW:
		case PGX_KIND_CREDIT_SHARES:
		case PGX_KIND_DEBIT_SHARES:
		case PGX_KIND_SET_ACCOUNT_LIMITS:
			rc = to_account_admin(pl, req, cmd, err);
			break;

		/* administration of a symbol */
		case PGX_KIND_SET_SYMBOL_LIMITS:
		case PGX_KIND_HALT:
		case PGX_KIND_RESUME:
			rc = to_symbol_admin(pl, req, cmd, err);
			break;

		/* the market's session */
		case PGX_KIND_MARKET_OPEN:
			if (req->trading_day > day && !om_market_open(pl->om))
				day = req->trading_day;
			break;
		case PGX_KIND_MARKET_CLOSE:
			break;

		default:
			return set_error(err, PGX_SQLSTATE_PROTOCOL,
			                 "command kind %d is not accepted from clients", req->kind),
			       -1;
	}
	if (rc != 0)
		return -1;
	return sequence(pl, role, req->strs[PGX_S_DETAIL], ts, day, cmd, err);
}

/*
 * The sequencer's own command: the GTD order that expires first, once its
 * time (the clock never goes backwards) has come.  1 with *cmd stamped, 0
 * when nothing is due, -1 with *err.  The core checks the command's time
 * against the order's expire time, so replay expires exactly the same.
 */
int
pl_stamp_expiry(pipeline *pl, pgx_str role, int64_t now_ts, pgx_record *cmd,
                pl_error *err)
{
	int64_t ts = now_ts > pl->last_ts ? now_ts : pl->last_ts;
	uint64_t id, at;
	mc_order_info info;

	if (!mc_engine_next_expiry(pl->engine, &id, &at) || at > (uint64_t)ts ||
	    !mc_engine_order(pl->engine, id, &info))
		return 0;
	mj_record_init(cmd, PGX_KIND_EXPIRE_ORDER, 0, 0, 0, 0);
	cmd->strs[PGX_S_SYMBOL] = mj_str(mj_table_name(&pl->names.symbols, info.symbol));
	cmd->strs[PGX_S_ACCOUNT] = mj_str(mj_table_name(&pl->names.accounts, info.account));
	mj_set_int(cmd, PGX_F_ORDER_ID, (int64_t)id);
	if (sequence(pl, role, mj_str(NULL), ts, pl->day, cmd, err) != 0)
		return -1;
	return 1;
}

/* The sequencer's part of stamping: detail with the role, seq, time, day. */
static int
sequence(pipeline *pl, pgx_str role, pgx_str req_detail, int64_t ts, int32_t day,
         pgx_record *cmd, pl_error *err)
{
	if (stamp_detail(pl, role, req_detail, &cmd->strs[PGX_S_DETAIL]) != 0)
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed detail or role"), -1;

	/*
	 * The sequencer: next seq, a clock that never goes backwards, the trading
	 * day.  While the market is closed the day follows the calendar (UTC).
	 */
	if (!om_market_open(pl->om) && ts / DAY_US > day)
		day = (int32_t)(ts / DAY_US);
	cmd->seq = ++pl->last_seq;
	pl->last_ts = ts;
	cmd->ts = ts;
	cmd->trading_day = day;
	cmd->idx = 0;
	if (cmd->kind == PGX_KIND_NEW_ORDER)
		mj_set_int(cmd, PGX_F_ORDER_ID, cmd->seq);
	return 0;
}

/* ---- applying ------------------------------------------------------------ */

static void
fold_event(pipeline *pl, const mc_event *ev)
{
	pl_result *res = pl->res;
	uint64_t id = (uint64_t)res->order_id;

	if (res->order_id <= 0)
		return;
	if (ev->kind == MC_EV_TRADE && ev->maker_order_id == id)
	{
		res->filled += ev->qty;
		res->remaining = ev->maker_leaves;
		return;
	}
	if (ev->order_id != id)
		return;
	switch (ev->kind)
	{
		case MC_EV_ACCEPTED:
		case MC_EV_AMENDED:
			res->remaining = ev->leaves;
			break;
		case MC_EV_TRADE:
			res->filled += ev->qty;
			res->remaining = ev->leaves;
			break;
		case MC_EV_CANCELED:
		case MC_EV_EXPIRED:
			res->remaining = 0;
			pl->final_status =
			    ev->kind == MC_EV_CANCELED ? PGX_STATUS_CANCELED : PGX_STATUS_EXPIRED;
			res->reason = mj_reason_text(ev->reason);
			break;
		case MC_EV_REJECTED:
			pl->rejected = 1;
			res->reason = mj_reason_text(ev->reason);
			break;
	}
}

/* Records one event: the order manager settles it first (a trade's money). */
static void
record_event(pipeline *pl, const mc_event *in)
{
	mc_event ev = *in;
	om_fill fill = {0};
	pgx_record r;

	/* a market order reaches the core as a limit at its collar: its
	 * remainder is a market remainder all the same */
	if (ev.kind == MC_EV_CANCELED && ev.reason == MC_R_IOC_REMAINDER)
		switch (om_order_is_market(pl->om, ev.order_id))
		{
			case 1:
				ev.reason = MC_R_MARKET_REMAINDER;
				break;
			case 2:
				ev.reason = MC_R_NO_LIQUIDITY; /* nothing within the collar */
				break;
		}
	om_on_event(pl->om, &ev, pl->last_seq, &fill);
	if (mj_event_record(&ev, pl->day, &pl->nm, &r) != MJ_OK)
	{
		pl->failed = 1;
		return;
	}
	r.idx = pl->next_idx++;
	if (ev.kind == MC_EV_TRADE)
	{
		mj_set_int(&r, PGX_F_AMOUNT, fill.notional);
		if (fill.taker_fee || fill.maker_fee)
		{
			int n = snprintf(pl->fill_detail, sizeof(pl->fill_detail),
			                 "{\"taker_fee\": %lld, \"maker_fee\": %lld}",
			                 (long long)fill.taker_fee, (long long)fill.maker_fee);

			r.strs[PGX_S_DETAIL].ptr = pl->fill_detail;
			r.strs[PGX_S_DETAIL].len = (uint16_t)n;
		}
	}
	if (bb_append(pl->out, &r) != 0)
		pl->failed = 1;
	if (ev.kind == MC_EV_TRADE)
		md_trade(pl->md, ev.symbol, ev.price, ev.qty, (int64_t)ev.timestamp,
		         (int64_t)ev.seq);
	if (pl->res)
		fold_event(pl, &ev);
}

static void
sink_flush(void *ctx, const mc_event *ev, uint32_t n)
{
	pipeline *pl = ctx;

	for (uint32_t i = 0; i < n; i++)
		record_event(pl, &ev[i]);
}

/* A reference-data answer at idx 1: accepted, or rejected with a reason. */
static int
reference_record(pipeline *pl, const pgx_record *cmd, int accepted, const char *reason)
{
	pgx_record r;

	mj_record_init(&r, accepted ? PGX_KIND_ACCEPTED : PGX_KIND_REJECTED,
	               (uint64_t)cmd->seq, pl->next_idx++, (uint64_t)cmd->ts,
	               cmd->trading_day);
	r.strs[PGX_S_SYMBOL] = cmd->strs[PGX_S_SYMBOL];
	r.strs[PGX_S_ACCOUNT] = cmd->strs[PGX_S_ACCOUNT];
	r.strs[PGX_S_REASON] = mj_str(reason);
	if (cmd->kind == PGX_KIND_DEPOSIT || cmd->kind == PGX_KIND_WITHDRAW)
		copy_int(&r, cmd, PGX_F_AMOUNT);
	if (cmd->kind == PGX_KIND_CREDIT_SHARES || cmd->kind == PGX_KIND_DEBIT_SHARES)
		copy_int(&r, cmd, PGX_F_QUANTITY);
	return bb_append(pl->out, &r);
}

/* The order manager's refusal as the command's outcome. */
static void
refusal_result(pl_result *res, const om_refusal *f)
{
	res->status = PGX_STATUS_REJECTED;
	res->reason = f->code;
	if (f->sqlstate != NULL && f->message[0] != '\0')
	{
		memcpy(res->sqlstate, f->sqlstate, 5);
		res->sqlstate[5] = '\0';
		snprintf(res->message, sizeof(res->message), "%s", f->message);
	}
}

/* A refused order as the core would have rejected it, journaled the same way. */
static void
reject_order(pipeline *pl, const mc_command *c, const om_refusal *f)
{
	mc_event ev = {0};

	ev.seq = c->seq;
	ev.timestamp = c->timestamp;
	ev.kind = MC_EV_REJECTED;
	ev.symbol = c->symbol;
	ev.order_id = c->order_id;
	ev.account = c->account;
	ev.side = c->side;
	ev.price = c->price;
	ev.qty = c->qty;
	ev.reason = f->reason;
	record_event(pl, &ev);
}

/* Opens or closes the market: every symbol's session, in id order. */
static int
market_session(pipeline *pl, const pgx_record *cmd, int open, om_refusal *f)
{
	if (om_market_open(pl->om) == open)
	{
		f->reason = 0;
		f->code = "bad_state";
		f->sqlstate = PGX_SQLSTATE_BAD_STATE;
		snprintf(f->message, sizeof(f->message), "the market is already %s",
		         open ? "open" : "closed");
		return -1;
	}
	om_set_market_open(pl->om, open);
	pl->session_ts = cmd->ts;
	if (reference_record(pl, cmd, 1, NULL) != 0)
		pl->failed = 1;
	for (uint32_t sym = 0; sym < pl->names.symbols.count; sym++)
	{
		session_op(pl, sym, open ? MC_SESSION_OPEN : MC_SESSION_CLOSE, cmd->seq, cmd->ts);
		if (open && om_symbol_halted(pl->om, sym))
			session_op(pl, sym, MC_SESSION_HALT, cmd->seq, cmd->ts);
	}
	return 0;
}

/* Reference data and administration: 0 when accepted, -1 with *f. */
static int
apply_admin(pipeline *pl, const pgx_record *cmd, om_refusal *f)
{
	pgx_str detail = cmd->strs[PGX_S_DETAIL], text;
	uint32_t acct = 0, sym = 0, listed = pl->names.symbols.count;
	int halted;

	memset(f, 0, sizeof(*f));
	if (cmd->strs[PGX_S_ACCOUNT].len != PGX_STR_NULL &&
	    cmd->kind != PGX_KIND_OPEN_ACCOUNT &&
	    find_account(pl, cmd->strs[PGX_S_ACCOUNT], &acct) != 0)
		return f->code = "unknown_account", f->sqlstate = PGX_SQLSTATE_UNKNOWN_ACCOUNT,
		       -1;
	if (cmd->strs[PGX_S_SYMBOL].len != PGX_STR_NULL && cmd->kind != PGX_KIND_ADD_SYMBOL &&
	    find_symbol(pl, cmd->strs[PGX_S_SYMBOL], &sym) != 0)
		return f->code = "unknown_symbol", f->sqlstate = PGX_SQLSTATE_UNKNOWN_SYMBOL, -1;

	switch (cmd->kind)
	{
		case PGX_KIND_ADD_SYMBOL:
			if (add_symbol(pl, cmd, f) != 0)
				return -1;
			if (reference_record(pl, cmd, 1, NULL) != 0)
				pl->failed = 1;
			if (om_market_open(pl->om))
				session_op(pl, listed, MC_SESSION_OPEN, cmd->seq, cmd->ts);
			return 1; /* recorded */
		case PGX_KIND_OPEN_ACCOUNT:
			return add_account(pl, cmd, f);
		case PGX_KIND_SET_KYC:
			if (jkv_str(detail, "kyc_status", &text) != JKV_FOUND)
				return f->code = "bad_command", f->sqlstate = PGX_SQLSTATE_PROTOCOL, -1;
			return om_set_kyc(pl->om, acct, text, f);
		case PGX_KIND_SUSPEND_ACCOUNT:
		case PGX_KIND_RESUME_ACCOUNT:
			return om_suspend(pl->om, acct, cmd->kind == PGX_KIND_SUSPEND_ACCOUNT, f);
		case PGX_KIND_DEPOSIT:
		case PGX_KIND_WITHDRAW:
			if (jkv_str(detail, "currency", &text) != JKV_FOUND)
				return f->code = "bad_command", f->sqlstate = PGX_SQLSTATE_PROTOCOL, -1;
			return om_cash(pl->om, acct, text, cmd->ints[PGX_F_AMOUNT],
			               cmd->kind == PGX_KIND_WITHDRAW, cmd->seq, f);
		case PGX_KIND_CREDIT_SHARES:
		case PGX_KIND_DEBIT_SHARES:
			return om_shares(pl->om, acct, sym, cmd->ints[PGX_F_QUANTITY],
			                 cmd->kind == PGX_KIND_DEBIT_SHARES, cmd->seq, f);
		case PGX_KIND_SET_ACCOUNT_LIMITS:
			return om_set_account_limits(pl->om, acct, detail, f);
		case PGX_KIND_SET_SYMBOL_LIMITS:
			return om_set_symbol_limits(pl->om, sym, detail, f);
		case PGX_KIND_HALT:
		case PGX_KIND_RESUME:
			halted = cmd->kind == PGX_KIND_HALT;
			if (om_halt(pl->om, sym, halted, f) != 0)
				return -1;
			if (reference_record(pl, cmd, 1, NULL) != 0)
				pl->failed = 1;
			if (om_market_open(pl->om))
				session_op(pl, sym, halted ? MC_SESSION_HALT : MC_SESSION_RESUME,
				           cmd->seq, cmd->ts);
			return 1;
		case PGX_KIND_MARKET_OPEN:
		case PGX_KIND_MARKET_CLOSE:
			if (market_session(pl, cmd, cmd->kind == PGX_KIND_MARKET_OPEN, f) != 0)
				return -1;
			return 1;
	}
	return f->code = "bad_command", f->sqlstate = PGX_SQLSTATE_PROTOCOL, -1;
}

/* Cancels one open order of the command's account as part of the command. */
static void
cancel_for(pipeline *pl, const pgx_record *cmd, uint32_t acct, uint64_t order_id)
{
	mc_command c = {0};
	mc_order_info info;

	if (mc_engine_order(pl->engine, order_id, &info))
		om_hint(pl->om, &info);
	c.kind = MC_CMD_CANCEL;
	c.seq = (uint64_t)cmd->seq;
	c.timestamp = (uint64_t)cmd->ts;
	c.order_id = order_id;
	c.account = acct;
	mc_engine_apply_tagged(pl->engine, &c, 0, &pl->sink);
	sink_flush(pl, pl->sink.buf, pl->sink.n);
	pl->sink.n = 0;
}

/*
 * mass_cancel: every open order of the account (of one symbol), each
 * canceled by the core as a cancel of its own would be, all events under the
 * one seq, in book order: symbols by id, bids then asks, best level first,
 * oldest first.  The answer counts the orders (remaining).
 */
static int
apply_mass_cancel(pipeline *pl, const pgx_record *cmd, pl_result *res, pl_error *err)
{
	uint32_t acct, sym, first = 0, end = pl->names.symbols.count;
	int64_t canceled = 0;

	if (find_account(pl, cmd->strs[PGX_S_ACCOUNT], &acct) != 0 ||
	    (cmd->strs[PGX_S_SYMBOL].len != PGX_STR_NULL &&
	     find_symbol(pl, cmd->strs[PGX_S_SYMBOL], &sym) != 0))
		return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH,
		                 "seq %lld: mass_cancel of an unknown account or symbol",
		                 (long long)cmd->seq),
		       -1;
	if (cmd->strs[PGX_S_SYMBOL].len != PGX_STR_NULL)
		first = sym, end = sym + 1;
	for (uint32_t s = first; s < end; s++)
		for (int side = MC_BUY; side <= MC_SELL; side++)
		{
			int n = mc_engine_l3(pl->engine, s, side, NULL, 0);

			if (n <= 0)
				continue;
			if ((uint32_t)n > pl->side_cap)
			{
				mc_order_info *p = realloc(pl->side_orders, (size_t)n * sizeof(*p));

				if (p == NULL)
					return set_error(err, "53200",
					                 "seq %lld: out of memory for a mass cancel",
					                 (long long)cmd->seq),
					       -1;
				pl->side_orders = p;
				pl->side_cap = (uint32_t)n;
			}
			/* a copy of the side, so that canceling does not disturb the walk */
			mc_engine_l3(pl->engine, s, side, pl->side_orders, n);
			for (int i = 0; i < n; i++)
				if (pl->side_orders[i].account == acct)
				{
					cancel_for(pl, cmd, acct, pl->side_orders[i].id);
					canceled++;
				}
		}
	res->order_id = 0;
	res->status = PGX_STATUS_CANCELED;
	res->remaining = canceled;
	return 0;
}

/* New order, cancel or amend: the order manager, then the core. */
static int
apply_order(pipeline *pl, const pgx_record *cmd, pl_result *res, pl_error *err)
{
	mc_command c;
	mc_order_info info;
	om_refusal f;
	int rc, refused = 0;

	if (cmd->kind == PGX_KIND_MASS_CANCEL)
		return apply_mass_cancel(pl, cmd, res, err);

	if ((rc = mj_record_command(cmd, &pl->nm, &c)) != MJ_OK)
		return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH,
		                 "seq %lld: command does not translate (%d)", (long long)cmd->seq,
		                 rc),
		       -1;
	if (c.kind == MC_CMD_NEW)
	{
		res->order_id = (int64_t)c.order_id;
		om_rate_take(pl->om, c.account, cmd->ts);
		/* a refused order is left as journaled (only an accepted one is rewritten) */
		if ((rc = om_new_order(pl->om, &c, cmd->seq, &f)) == OM_OUT_OF_MEMORY)
			return set_error(err, "53200",
			                 "seq %lld: out of memory for the day's client order ids",
			                 (long long)cmd->seq),
			       -1;
		if (rc != 0)
		{
			reject_order(pl, &c, &f);
			refusal_result(res, &f);
			refused = 1;
		}
	}
	else if (c.kind == MC_CMD_CANCEL || c.kind == MC_CMD_AMEND || c.kind == MC_CMD_EXPIRE)
	{
		res->order_id = (int64_t)c.order_id;
		if (mc_engine_order(pl->engine, c.order_id, &info))
		{
			om_hint(pl->om, &info);
			res->created_ts = (int64_t)info.timestamp;
			res->filled = info.filled;
			res->remaining = info.leaves;
			if (c.kind == MC_CMD_AMEND)
			{
				om_rate_take(pl->om, c.account, cmd->ts);
				if (info.account == c.account && om_check_amend(pl->om, &c, &f) != 0)
				{
					reject_order(pl, &c, &f);
					refusal_result(res, &f);
					return 0; /* the order stays as it was */
				}
			}
		}
	}
	if (!refused)
	{
		mc_engine_apply_tagged(
		    pl->engine, &c, c.kind == MC_CMD_NEW ? om_order_tag(pl->om) : 0, &pl->sink);
		sink_flush(pl, pl->sink.buf, pl->sink.n);
		pl->sink.n = 0;
		if (c.kind == MC_CMD_NEW)
			om_after_new(pl->om, c.order_id, cmd->seq);
	}
	if (c.kind == MC_CMD_NEW && pl->rejected)
		res->status = PGX_STATUS_REJECTED;
	else if (pl->final_status)
		res->status = pl->final_status;
	else if (res->remaining == 0 && res->filled > 0)
		res->status = PGX_STATUS_FILLED;
	else
		res->status = res->filled > 0 ? PGX_STATUS_PARTIALLY_FILLED : PGX_STATUS_NEW;
	if (res->status == PGX_STATUS_REJECTED)
		res->remaining = 0;
	return 0;
}

int
pl_apply(pipeline *pl, const pgx_record *cmd, batchbuf *out, pl_result *res,
         pl_error *err)
{
	pl_result scratch;
	om_refusal f;
	int rc;

	if (res == NULL)
		res = &scratch;
	memset(res, 0, sizeof(*res));
	memcpy(res->sqlstate, "00000", 6);
	res->seq = cmd->seq;
	res->created_ts = cmd->ts;
	pl->out = out;
	pl->res = res;
	pl->next_idx = 1;
	pl->failed = 0;
	pl->rejected = 0;
	pl->final_status = 0;
	pl->sink.n = 0;
	/* the journal's day and clock are the sequencer's from here on */
	pl->day = cmd->trading_day;
	om_set_day(pl->om, cmd->trading_day);
	if (cmd->ts > pl->last_ts)
		pl->last_ts = cmd->ts;
	if (cmd->seq > pl->last_seq)
		pl->last_seq = cmd->seq;

	if (cmd->idx != 0 || !pgx_kind_is_command(cmd->kind))
		return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH,
		                 "seq %lld: not a command record", (long long)cmd->seq),
		       -1;
	if (bb_append(out, cmd) != 0)
		return set_error(err, "53200", "seq %lld: cannot append the command record",
		                 (long long)cmd->seq),
		       -1;

	if (pgx_kind_is_order_command(cmd->kind))
	{
		if (apply_order(pl, cmd, res, err) != 0)
			return -1;
	}
	else
	{
		/* the answer is about the command, not an order; only sessions and
		 * expiries (recorded by apply_admin) follow it */
		pl->res = NULL;
		rc = apply_admin(pl, cmd, &f);
		if (rc < 0)
		{
			if (reference_record(pl, cmd, 0, f.code) != 0)
				pl->failed = 1;
			refusal_result(res, &f);
		}
		else
		{
			if (rc == 0 && reference_record(pl, cmd, 1, NULL) != 0)
				pl->failed = 1;
			res->status = PGX_STATUS_NEW;
		}
		/* the close ends its trading day, and the scope of client order ids */
		if (rc >= 0 && cmd->kind == PGX_KIND_MARKET_CLOSE)
		{
			pl->day = cmd->trading_day + 1;
			om_end_day(pl->om);
		}
	}
	pl->out = NULL;
	pl->res = NULL;
	if (pl->failed)
		return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH,
		                 "seq %lld: an event did not translate or encode",
		                 (long long)cmd->seq),
		       -1;
	return 0;
}

/* ---- replay ---------------------------------------------------------------- */

int64_t
pl_replay(pipeline *pl, const uint8_t *batch, size_t len, batchbuf *scratch,
          int64_t *records, pl_error *err)
{
	const uint8_t *p = batch + PGX_BATCH_HEADER;
	const uint8_t *end = batch + len;
	uint32_t count;
	int64_t commands = 0;
	pgx_decode_status st = pgx_decode_header(batch, len, &count);

	if (st != PGX_DECODE_OK)
		return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH, "journal batch: %s",
		                 pgx_decode_error(st)),
		       PL_REPLAY_MALFORMED;
	while (p < end)
	{
		const uint8_t *group = p; /* one command and its events */
		pgx_record cmd, ev;
		size_t used, group_len;

		if ((st = pgx_decode_record(p, (size_t)(end - p), &cmd, &used)) != PGX_DECODE_OK)
			return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH, "journal batch: %s",
			                 pgx_decode_error(st)),
			       PL_REPLAY_MALFORMED;
		if (cmd.idx != 0 || cmd.seq != pl->last_seq + 1)
			return set_error(
			           err, PGX_SQLSTATE_MALFORMED_BATCH,
			           "journal out of order at seq %lld idx %d (expected seq %lld)",
			           (long long)cmd.seq, cmd.idx, (long long)pl->last_seq + 1),
			       PL_REPLAY_MALFORMED;
		for (p += used; p < end; p += used)
		{
			if ((st = pgx_decode_record(p, (size_t)(end - p), &ev, &used)) !=
			    PGX_DECODE_OK)
				return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH, "journal batch: %s",
				                 pgx_decode_error(st)),
				       PL_REPLAY_MALFORMED;
			if (ev.idx == 0)
				break;
		}
		group_len = (size_t)(p - group);
		bb_reset(scratch);
		if (pl_apply(pl, &cmd, scratch, NULL, err) != 0)
			return PL_REPLAY_DIVERGED;
		if (scratch->len - PGX_BATCH_HEADER != group_len ||
		    memcmp(scratch->buf + PGX_BATCH_HEADER, group, group_len) != 0)
			return set_error(
			           err, "XX001",
			           "replay diverged from the journal at seq %lld: the journal has "
			           "%zu bytes of records for it, replay produced %zu (%u records)",
			           (long long)cmd.seq, group_len, scratch->len - PGX_BATCH_HEADER,
			           scratch->records),
			       PL_REPLAY_DIVERGED;
		*records += scratch->records;
		commands++;
	}
	return commands;
}
