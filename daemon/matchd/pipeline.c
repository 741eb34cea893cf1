/*
 * pipeline.c - order manager, sequencer, core and records, one command at a
 * time.  See pipeline.h for the shape; the choices a journal reader sees:
 *   - an order's id is the seq of its new_order command (unique, increasing,
 *     and reproduced by replay without any extra state);
 *   - every command from the socket records the authenticated role in its
 *     detail ({"role": ...}), merged into the detail of reference data;
 *   - add_symbol is answered by `accepted` and the symbol's session opening
 *     (market always open until trading hours exist); open_account by
 *     `accepted`;
 *   - an amend without a price carries the order's current price, so the
 *     journaled command says exactly what was applied.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "om.h"
#include "pipeline.h"
#include "records.h"

#define SINK_CAP   1024
#define DETAIL_CAP (PGX_RECORD_MAX + 1)

struct pipeline
{
	pl_config cfg;
	mc_engine *engine;
	mj_registry names;
	mj_names nm;

	int64_t last_seq;
	int64_t last_ts;
	int32_t day;

	/* pl_apply's current command, for the sink's flush callback */
	mc_sink sink;
	mc_event events[SINK_CAP];
	batchbuf *out;
	pl_result *res;
	int idx_offset; /* added to event idx (reference data puts records first) */
	int failed;     /* an event did not translate or encode */
	/* fold of the events about the command's order into res */
	int rejected;
	uint8_t final_status; /* canceled / expired, or 0 */

	char detail[DETAIL_CAP]; /* pl_stamp's detail text */
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
	if ((pl->engine = mc_engine_create(&ec)) == NULL ||
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
	mj_registry_free(&pl->names);
	free(pl);
}

void
pl_set_position(pipeline *pl, int64_t last_seq, int64_t last_ts, int32_t day)
{
	pl->last_seq = last_seq;
	pl->last_ts = last_ts;
	pl->day = day;
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

/* Registers a symbol in the registry and the core and opens its session;
 * the session's events go to the sink (recorded by pl_apply, dropped at load). */
static int
add_symbol(pipeline *pl, pgx_str name, int64_t seq, int64_t ts, const char **why)
{
	mc_symbol_config sc = {0};
	uint32_t id = pl->names.symbols.count;
	mc_command open = {0};

	if (mj_table_find(&pl->names.symbols, name.ptr, name.len, &id) == 0)
		return *why = "symbol_exists", -1;
	if (pl->names.symbols.count >= pl->names.symbols.cap)
		return *why = "capacity", -1;
	if (name.len == 0 || name.len > MJ_NAME_MAX || memchr(name.ptr, 0, name.len))
		return *why = "bad_command", -1;
	id = pl->names.symbols.count;
	if (mc_engine_add_symbol(pl->engine, id, &sc) != MC_R_NONE)
		return *why = "capacity", -1;
	if (mj_table_add(&pl->names.symbols, name.ptr, name.len, &id) != MJ_NAME_ADDED)
		return *why = "bad_command", -1;
	open.seq = (uint64_t)seq;
	open.timestamp = (uint64_t)ts;
	open.kind = MC_CMD_SESSION;
	open.symbol = id;
	open.session = MC_SESSION_OPEN;
	mc_engine_apply(pl->engine, &open, &pl->sink);
	return 0;
}

static int
add_account(pipeline *pl, pgx_str name, const char **why)
{
	uint32_t id;
	int rc;

	if (name.len == 0 || name.len > MJ_NAME_MAX || memchr(name.ptr, 0, name.len))
		return *why = "bad_command", -1;
	rc = mj_table_add(&pl->names.accounts, name.ptr, name.len, &id);
	if (rc == MJ_NAME_EXISTS)
		return *why = "account_exists", -1;
	if (rc != MJ_NAME_ADDED)
		return *why = "capacity", -1;
	return 0;
}

int
pl_load_symbol(pipeline *pl, const char *name, pl_error *err)
{
	const char *why = NULL;
	int rc;

	pl->out = NULL; /* the opening at load is not journaled again */
	rc = add_symbol(pl, mj_str(name), 0, 0, &why);
	pl->sink.n = 0;
	if (rc != 0)
		set_error(err, PGX_SQLSTATE_CAPACITY, "cannot load symbol \"%s\": %s", name, why);
	return rc;
}

int
pl_load_account(pipeline *pl, const char *name, pl_error *err)
{
	const char *why = NULL;

	if (add_account(pl, mj_str(name), &why) != 0)
	{
		set_error(err, PGX_SQLSTATE_CAPACITY, "cannot load account \"%s\": %s", name,
		          why);
		return -1;
	}
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

int
pl_stamp(pipeline *pl, pgx_str role, const pgx_record *req, int64_t now_ts,
         pgx_record *cmd, pl_error *err)
{
	uint32_t sym, acct;
	mc_order_info info;

	mj_record_init(cmd, req->kind, 0, 0, 0, 0);

	switch (req->kind)
	{
		case PGX_KIND_NEW_ORDER:
			if (find_symbol(pl, req->strs[PGX_S_SYMBOL], &sym) != 0)
				return set_error(err, PGX_SQLSTATE_UNKNOWN_SYMBOL,
				                 "unknown symbol \"%.*s\"",
				                 STR_ARG(req->strs[PGX_S_SYMBOL])),
				       -1;
			if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
				return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT,
				                 "unknown account \"%.*s\"",
				                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
				       -1;
			if (!req->side || !req->order_type || !req->time_in_force ||
			    !has_int(req, PGX_F_QUANTITY) || has_int(req, PGX_F_ORDER_ID) ||
			    (req->strs[PGX_S_CLIENT_ORDER_ID].len != PGX_STR_NULL &&
			     (req->strs[PGX_S_CLIENT_ORDER_ID].len == 0 ||
			      req->strs[PGX_S_CLIENT_ORDER_ID].len > MC_CLORDID_LEN ||
			      memchr(req->strs[PGX_S_CLIENT_ORDER_ID].ptr, 0,
			             req->strs[PGX_S_CLIENT_ORDER_ID].len))))
				return set_error(err, PGX_SQLSTATE_PROTOCOL,
				                 "malformed new_order request"),
				       -1;
			cmd->side = req->side;
			cmd->order_type = req->order_type;
			cmd->time_in_force = req->time_in_force;
			copy_int(cmd, req, PGX_F_PRICE);
			copy_int(cmd, req, PGX_F_QUANTITY);
			cmd->strs[PGX_S_SYMBOL] = req->strs[PGX_S_SYMBOL];
			cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
			cmd->strs[PGX_S_CLIENT_ORDER_ID] = req->strs[PGX_S_CLIENT_ORDER_ID];
			break;

		case PGX_KIND_CANCEL_ORDER:
		case PGX_KIND_AMEND_ORDER:
			if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) != 0)
				return set_error(err, PGX_SQLSTATE_UNKNOWN_ACCOUNT,
				                 "unknown account \"%.*s\"",
				                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
				       -1;
			if (!has_int(req, PGX_F_ORDER_ID) ||
			    (req->kind == PGX_KIND_AMEND_ORDER && !has_int(req, PGX_F_QUANTITY)))
				return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed %s request",
				                 req->kind == PGX_KIND_CANCEL_ORDER ? "cancel" : "amend"),
				       -1;
			/* one answer for "no such order" and "not yours": nothing leaks */
			if (req->ints[PGX_F_ORDER_ID] <= 0 ||
			    !mc_engine_order(pl->engine, (uint64_t)req->ints[PGX_F_ORDER_ID],
			                     &info) ||
			    info.account != acct)
				return set_error(err, PGX_SQLSTATE_UNKNOWN_ORDER,
				                 "order %lld is not an open order of account \"%.*s\"",
				                 (long long)req->ints[PGX_F_ORDER_ID],
				                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
				       -1;
			cmd->strs[PGX_S_SYMBOL] =
			    mj_str(mj_table_name(&pl->names.symbols, info.symbol));
			cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
			mj_set_int(cmd, PGX_F_ORDER_ID, req->ints[PGX_F_ORDER_ID]);
			if (req->kind == PGX_KIND_AMEND_ORDER)
			{
				mj_set_int(cmd, PGX_F_PRICE,
				           has_int(req, PGX_F_PRICE) ? req->ints[PGX_F_PRICE]
				                                     : info.price);
				copy_int(cmd, req, PGX_F_QUANTITY);
			}
			break;

		case PGX_KIND_ADD_SYMBOL:
			if (req->strs[PGX_S_SYMBOL].len == PGX_STR_NULL ||
			    req->strs[PGX_S_SYMBOL].len == 0 ||
			    req->strs[PGX_S_SYMBOL].len > MJ_NAME_MAX)
				return set_error(err, PGX_SQLSTATE_PROTOCOL,
				                 "malformed add_symbol request"),
				       -1;
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
			break;

		case PGX_KIND_OPEN_ACCOUNT:
			if (req->strs[PGX_S_ACCOUNT].len == PGX_STR_NULL ||
			    req->strs[PGX_S_ACCOUNT].len == 0 ||
			    req->strs[PGX_S_ACCOUNT].len > MJ_NAME_MAX)
				return set_error(err, PGX_SQLSTATE_PROTOCOL,
				                 "malformed open_account request"),
				       -1;
			if (find_account(pl, req->strs[PGX_S_ACCOUNT], &acct) == 0)
				return set_error(err, PGX_SQLSTATE_ACCOUNT_EXISTS,
				                 "account \"%.*s\" already exists",
				                 STR_ARG(req->strs[PGX_S_ACCOUNT])),
				       -1;
			if (pl->names.accounts.count >= pl->names.accounts.cap)
				return set_error(
				           err, PGX_SQLSTATE_CAPACITY,
				           "matchd holds its maximum of %u accounts (--max-accounts)",
				           pl->names.accounts.cap),
				       -1;
			cmd->strs[PGX_S_ACCOUNT] = req->strs[PGX_S_ACCOUNT];
			break;

		default:
			return set_error(err, PGX_SQLSTATE_PROTOCOL,
			                 "command kind %d is not accepted from clients", req->kind),
			       -1;
	}

	if (om_check(role, req, err->sqlstate, err->message, sizeof(err->message)) != 0)
		return -1;
	if (stamp_detail(pl, role,
	                 req->kind == PGX_KIND_ADD_SYMBOL ||
	                         req->kind == PGX_KIND_OPEN_ACCOUNT
	                     ? req->strs[PGX_S_DETAIL]
	                     : mj_str(NULL),
	                 &cmd->strs[PGX_S_DETAIL]) != 0)
		return set_error(err, PGX_SQLSTATE_PROTOCOL, "malformed detail or role"), -1;

	/* the sequencer: next seq, a clock that never goes backwards */
	cmd->seq = ++pl->last_seq;
	pl->last_ts = now_ts > pl->last_ts ? now_ts : pl->last_ts;
	cmd->ts = pl->last_ts;
	cmd->trading_day = pl->day;
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

static void
sink_flush(void *ctx, const mc_event *ev, uint32_t n)
{
	pipeline *pl = ctx;
	pgx_record r;

	if (pl->out == NULL) /* loading reference data: nothing is recorded */
		return;
	for (uint32_t i = 0; i < n; i++)
	{
		if (mj_event_record(&ev[i], pl->day, &pl->nm, &r) != MJ_OK)
		{
			pl->failed = 1;
			continue;
		}
		r.idx += pl->idx_offset;
		if (bb_append(pl->out, &r) != 0)
			pl->failed = 1;
		if (pl->res)
			fold_event(pl, &ev[i]);
	}
}

/* A reference-data answer: accepted or rejected, without an order. */
static int
reference_record(pipeline *pl, const pgx_record *cmd, int accepted, const char *reason)
{
	pgx_record r;

	mj_record_init(&r, accepted ? PGX_KIND_ACCEPTED : PGX_KIND_REJECTED,
	               (uint64_t)cmd->seq, 1, (uint64_t)cmd->ts, cmd->trading_day);
	r.strs[PGX_S_SYMBOL] = cmd->strs[PGX_S_SYMBOL];
	r.strs[PGX_S_ACCOUNT] = cmd->strs[PGX_S_ACCOUNT];
	r.strs[PGX_S_REASON] = mj_str(reason);
	return bb_append(pl->out, &r);
}

int
pl_apply(pipeline *pl, const pgx_record *cmd, batchbuf *out, pl_result *res,
         pl_error *err)
{
	pl_result scratch;
	mc_command c;
	mc_order_info info;
	const char *why = NULL;
	int rc;

	if (res == NULL)
		res = &scratch;
	memset(res, 0, sizeof(*res));
	res->seq = cmd->seq;
	res->created_ts = cmd->ts;
	pl->out = out;
	pl->res = res;
	pl->idx_offset = 0;
	pl->failed = 0;
	pl->rejected = 0;
	pl->final_status = 0;
	pl->sink.n = 0;
	/* the journal's day and clock are the sequencer's from here on */
	pl->day = cmd->trading_day;
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

	switch (cmd->kind)
	{
		case PGX_KIND_ADD_SYMBOL:
			res->order_id = 0;
			if (add_symbol(pl, cmd->strs[PGX_S_SYMBOL], cmd->seq, cmd->ts, &why) != 0)
			{
				rc = reference_record(pl, cmd, 0, why);
				res->status = PGX_STATUS_REJECTED;
				res->reason = why;
				break;
			}
			/* accepted at idx 1, then the session's events */
			rc = reference_record(pl, cmd, 1, NULL);
			res->status = PGX_STATUS_NEW;
			pl->res = NULL;
			pl->idx_offset = 1;
			sink_flush(pl, pl->sink.buf, pl->sink.n);
			pl->sink.n = 0;
			break;

		case PGX_KIND_OPEN_ACCOUNT:
			rc = add_account(pl, cmd->strs[PGX_S_ACCOUNT], &why) == 0;
			res->status = rc ? PGX_STATUS_NEW : PGX_STATUS_REJECTED;
			res->reason = rc ? NULL : why;
			rc = reference_record(pl, cmd, rc, why);
			break;

		default:
			if ((rc = mj_record_command(cmd, &pl->nm, &c)) != MJ_OK)
				return set_error(err, PGX_SQLSTATE_MALFORMED_BATCH,
				                 "seq %lld: command does not translate (%d)",
				                 (long long)cmd->seq, rc),
				       -1;
			if (c.kind == MC_CMD_NEW)
				res->order_id = (int64_t)c.order_id;
			else if (c.kind == MC_CMD_CANCEL || c.kind == MC_CMD_AMEND)
			{
				res->order_id = (int64_t)c.order_id;
				if (mc_engine_order(pl->engine, c.order_id, &info))
				{
					res->created_ts = (int64_t)info.timestamp;
					res->filled = info.filled;
					res->remaining = info.leaves;
				}
			}
			mc_engine_apply(pl->engine, &c, &pl->sink);
			sink_flush(pl, pl->sink.buf, pl->sink.n);
			pl->sink.n = 0;
			rc = 0;
			if (c.kind == MC_CMD_NEW && pl->rejected)
				res->status = PGX_STATUS_REJECTED;
			else if (pl->final_status)
				res->status = pl->final_status;
			else if (res->remaining == 0 && res->filled > 0)
				res->status = PGX_STATUS_FILLED;
			else
				res->status =
				    res->filled > 0 ? PGX_STATUS_PARTIALLY_FILLED : PGX_STATUS_NEW;
			if (res->status == PGX_STATUS_REJECTED)
				res->remaining = 0;
			break;
	}
	pl->out = NULL;
	pl->res = NULL;
	if (rc != 0 || pl->failed)
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
