/*
 * fix.c - fuzzes the FIX 4.4 gateway's pure layers (daemon/gateway/): the
 * bytes of one broker connection are cut by fix_parse, every message is fed
 * to a session (fixsession.c) on a clock that advances a second a message,
 * and every application message it delivers is decoded by fixo_decode
 * (fixorder.c) and answered as the gateway will answer it.
 *
 * Input: the bytes of one connection, as they arrive.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - framing: FIX_OK consumes the message's raw_len bytes, at most what was
 *     there; FIX_GARBLED drops at least one byte and never more than there
 *     is; every proper prefix of a whole message is FIX_NEED_MORE (a message
 *     is handed over only when whole, however the reads split it); fields
 *     point inside the message;
 *   - a parsed message without a field-level fault re-serializes through the
 *     builder to exactly its bytes (one message, one encoding);
 *   - the session: everything it sends parses as a valid FIX 4.4 message from
 *     PGX to DEMO_BROKER_A; messages that are not resent (no PossDupFlag) have
 *     strictly increasing MsgSeqNum (1 again only on a ResetSeqNumFlag Logon);
 *     resent ones carry an old number; it delivers only application types,
 *     only while logged on; after a disconnect it sends nothing more;
 *   - orders: an accepted order's values are in the profile (side, type,
 *     time in force, 1 <= quantity <= 10^9, a limit has a positive price, a
 *     market order none and never gtc/day); its price re-formats on the grid
 *     and parses back to the same ticks; the ExecutionReport answering it
 *     carries its ClOrdID, Account, Symbol, Side, OrderQty and the same price
 *     in ticks; its request record encodes and
 *     decodes (exchange_wire.h) to the same bytes; a refusal always says
 *     why (a kind and a text), and the ExecutionReport or Reject answering it
 *     is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_wire.h"
#include "fixmsg.h"
#include "fixorder.h"
#include "fixsession.h"
#include "fuzzutil.h"

#define T0       1796635800000000LL /* 2026-12-07 09:30:00 UTC, the seeds' time */
#define STORE    32
#define STORE_SZ 2048

static struct
{
	fix_session s;
	int64_t now;
	int64_t max_new; /* highest MsgSeqNum sent without PossDupFlag */
	bool auth_asked, auth_ok, disconnected;
	char store[STORE][STORE_SZ];
	size_t store_len[STORE];
	int64_t store_seq[STORE];
	int64_t exec_id;
	char last[FIX_SESSION_OUT]; /* the last message sent */
	size_t last_len;
} F;

static char rebuild[FIX_BODY_MAX + 64];

static void
check_fields(const fix_msg *m)
{
	for (int i = 0; i < m->nfields; i++)
		FZ_CHECK(m->f[i].val >= m->raw &&
		             m->f[i].val + m->f[i].len <= m->raw + m->raw_len,
		         "field %d of tag %d points outside the message", i, m->f[i].tag);
}

/* Re-serializes m's fields: must give its bytes. */
static void
check_round_trip(const fix_msg *m)
{
	char type[8];
	fix_builder b;
	size_t n;

	if (m->bad_reason != FIX_NO_REASON || m->f[2].len >= sizeof(type))
		return;
	memcpy(type, m->f[2].val, m->f[2].len);
	type[m->f[2].len] = '\0';
	fix_build_begin(&b, rebuild, sizeof(rebuild), type);
	for (int i = 3; i < m->nfields - 1; i++)
		fix_add(&b, m->f[i].tag, m->f[i].val, m->f[i].len);
	n = fix_build_end(&b);
	FZ_CHECK(n == m->raw_len, "a message of %zu bytes re-serializes to %zu", m->raw_len,
	         n);
	FZ_CHECK(memcmp(rebuild, m->raw, n) == 0, "a message re-serializes to other bytes");
}

static void
on_send(void *ctx, const char *bytes, size_t len)
{
	fix_msg m;
	size_t used;
	const fix_field *seqf, *s49, *s56;
	int64_t seq;

	(void)ctx;
	FZ_CHECK(!F.disconnected, "sent after the disconnect");
	FZ_CHECK(len <= sizeof(F.last), "sent %zu bytes", len);
	memcpy(F.last, bytes, len);
	F.last_len = len;
	FZ_CHECK(fix_parse(bytes, len, &m, &used) == FIX_OK && used == len &&
	             m.bad_reason == FIX_NO_REASON,
	         "the session sent an invalid message");
	seqf = fix_get(&m, 34);
	s49 = fix_get(&m, 49);
	s56 = fix_get(&m, 56);
	FZ_CHECK(seqf && fix_val_uint(seqf, &seq) == 0 && seq >= 1, "sent without MsgSeqNum");
	FZ_CHECK(s49 && s49->len == 3 && memcmp(s49->val, "PGX", 3) == 0 && s56 &&
	             s56->len == 13 && memcmp(s56->val, "DEMO_BROKER_A", 13) == 0,
	         "sent with other CompIDs");
	FZ_CHECK(fix_get(&m, 52) != NULL, "sent without SendingTime");
	if (fix_is_type(&m, "A") && fix_get(&m, 141) != NULL)
		F.max_new = 0;
	if (fix_get(&m, 43) == NULL)
	{
		FZ_CHECK(seq > F.max_new, "MsgSeqNum %lld sent after %lld", (long long)seq,
		         (long long)F.max_new);
		F.max_new = seq;
	}
	else
		FZ_CHECK(seq <= F.max_new, "a resent message with the new MsgSeqNum %lld",
		         (long long)seq);
}

static void deliver(void *ctx, const fix_msg *m);

static void
on_auth(void *ctx, const char *u, size_t ul, const char *p, size_t pl)
{
	(void)ctx;
	(void)u;
	(void)ul;
	F.auth_asked = true;
	F.auth_ok = p != NULL && pl == 6 && memcmp(p, "secret", 6) == 0;
}

static void
on_persist(void *ctx, int64_t in, int64_t out)
{
	(void)ctx;
	FZ_CHECK(in >= 1 && out >= 1, "persisted %lld/%lld", (long long)in, (long long)out);
}

static void
on_store(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	int i = (int)(seq % STORE);

	(void)ctx;
	if (len > STORE_SZ)
		return;
	memcpy(F.store[i], bytes, len);
	F.store_len[i] = len;
	F.store_seq[i] = seq;
}

static bool
on_stored(void *ctx, int64_t seq, const char **bytes, size_t *len)
{
	int i = (int)(seq % STORE);

	(void)ctx;
	if (seq < 1 || F.store_seq[i] != seq || F.store_len[i] == 0)
		return false;
	*bytes = F.store[i];
	*len = F.store_len[i];
	return true;
}

static void
on_disconnect(void *ctx, const char *why)
{
	(void)ctx;
	FZ_CHECK(!F.disconnected, "disconnected twice");
	FZ_CHECK(why != NULL && why[0] != '\0', "a disconnect without a reason");
	F.disconnected = true;
}

static bool
lookup(void *ctx, const char *sym, size_t len, fixo_tick *out)
{
	(void)ctx;
	if (len == 4 && memcmp(sym, "ACME", 4) == 0)
		*out = (fixo_tick){1, 2};
	else if (len == 4 && memcmp(sym, "BOND", 4) == 0)
		*out = (fixo_tick){5, 3};
	else
		return false;
	return true;
}

static void
check_str(pgx_str s, const fix_msg *m, const char *what)
{
	if (s.len == PGX_STR_NULL)
		return;
	FZ_CHECK(s.len > 0 && s.ptr >= m->raw && s.ptr + s.len <= m->raw + m->raw_len,
	         "%s points outside the message", what);
}

static void
check_record(const pgx_record *rec)
{
	static uint8_t a[PGX_FRAME_MAX], b2[PGX_FRAME_MAX];
	pgx_str role = {"demo_broker_a", 13}, role2;
	pgx_record back;
	size_t n = pgx_encode_request(a, 1, role, rec), n2;

	FZ_CHECK(n > 0, "a request record does not encode");
	FZ_CHECK(
	    pgx_decode_request(a + PGX_FRAME_HEADER, n - PGX_FRAME_HEADER, &role2, &back),
	    "a request record does not decode");
	n2 = pgx_encode_request(b2, 1, role2, &back);
	FZ_CHECK(n2 == n && memcmp(a, b2, n) == 0, "a request record re-encodes differently");
}

static bool
same(const fix_field *f, pgx_str s)
{
	if (s.len == PGX_STR_NULL)
		return f == NULL;
	return f != NULL && f->len == s.len && memcmp(f->val, s.ptr, s.len) == 0;
}

/* The ExecutionReport just sent says what the order said: the same ids,
 * symbol, side, quantity and (on the grid) price. */
static void
check_report(const fixo_order *o)
{
	fix_msg m;
	size_t used;
	const fix_field *px, *qty, *side;
	int64_t v;

	FZ_CHECK(fix_parse(F.last, F.last_len, &m, &used) == FIX_OK && fix_is_type(&m, "8"),
	         "the last message sent is not the ExecutionReport");
	FZ_CHECK(same(fix_get(&m, 11), o->clordid) &&
	             same(fix_get(&m, 41), o->orig_clordid) &&
	             same(fix_get(&m, 1), o->account) && same(fix_get(&m, 55), o->symbol),
	         "the ExecutionReport's ids, account or symbol differ from the order's");
	side = fix_get(&m, 54);
	FZ_CHECK(side && side->len == 1 &&
	             side->val[0] == (o->side == PGX_SIDE_SELL ? '2' : '1'),
	         "the ExecutionReport's side differs");
	qty = fix_get(&m, 38);
	FZ_CHECK(o->quantity <= 0 || (qty && fix_val_uint(qty, &v) == 0 && v == o->quantity),
	         "the ExecutionReport's OrderQty differs");
	px = fix_get(&m, 44);
	FZ_CHECK(o->has_price == (px != NULL), "the ExecutionReport's Price is %s",
	         px ? "there" : "missing");
	if (px != NULL)
		FZ_CHECK(fixo_parse_price(px, o->tick, &v) == FIX_V_OK && v == o->price,
		         "the ExecutionReport's Price %.*s is not %lld ticks", (int)px->len,
		         px->val, (long long)o->price);
	px = fix_get(&m, 99);
	FZ_CHECK(o->has_stop_px == (px != NULL), "the ExecutionReport's StopPx is %s",
	         px ? "there" : "missing");
	if (px != NULL)
		FZ_CHECK(fixo_parse_price(px, o->tick, &v) == FIX_V_OK && v == o->stop_px,
		         "the ExecutionReport's StopPx %.*s is not %lld ticks", (int)px->len,
		         px->val, (long long)o->stop_px);
}

static void
answer_order(const fixo_order *o, const fixo_reject *r, bool ok)
{
	fix_builder b;
	fixo_exec e;
	char px[32];

	if (fix_session_begin_app(&F.s, &b, "8", F.now) == NULL)
		return;
	memset(&e, 0, sizeof(e));
	e.exec_type = ok ? '0' : '8';
	e.ord_status = ok ? '0' : '8';
	e.exec_id = ++F.exec_id;
	e.clordid = o->clordid;
	e.orig_clordid = o->orig_clordid;
	e.account = o->account;
	e.symbol = o->symbol;
	e.side = o->side;
	e.order_qty = o->quantity;
	e.leaves_qty = ok ? o->quantity : 0;
	e.has_price = o->has_price;
	e.price = o->price;
	e.has_stop_px = o->has_stop_px;
	e.stop_px = o->stop_px;
	e.tick = o->tick.units > 0 ? o->tick : (fixo_tick){1, 2};
	e.ord_rej_reason = ok ? -1 : r->reason;
	e.text = ok ? NULL : r->text;
	e.transact_time = F.now;
	if (!fixo_exec_report(&b, &e))
		return;
	FZ_CHECK(fix_session_end_app(&F.s, &b, F.now), "an ExecutionReport was not sent");
	check_report(o);
	if (ok && o->has_price)
	{
		fix_field f = {44, 0, px};
		int64_t back;

		f.len = (uint32_t)fixo_format_price(px, o->price, o->tick);
		FZ_CHECK(f.len > 0 && fixo_parse_price(&f, o->tick, &back) == FIX_V_OK &&
		             back == o->price,
		         "price %lld ticks does not come back from its text",
		         (long long)o->price);
	}
}

static void
deliver(void *ctx, const fix_msg *m)
{
	fixo_order o;
	fixo_reject r;
	pgx_record rec;
	bool ok;

	(void)ctx;
	FZ_CHECK(F.s.state == FIX_ST_ACTIVE, "delivered while not logged on");
	FZ_CHECK(!fix_msgtype_admin(m->f[2].val, m->f[2].len), "delivered an admin message");
	FZ_CHECK(m->bad_reason == FIX_NO_REASON, "delivered an invalid message");
	ok = fixo_decode(m, lookup, NULL, &o, &r);
	if (!ok && r.kind == FIXO_REJ_NONE)
	{
		fix_session_business_reject(&F.s, m, 3, NULL, "unsupported message type", F.now);
		return;
	}
	if (!ok)
	{
		FZ_CHECK(r.text[0] != '\0', "a refusal without a text");
		if (r.kind == FIXO_REJ_SESSION)
			fix_session_reject(&F.s, m, r.reason, r.tag, r.text, F.now);
		else if (r.kind == FIXO_REJ_ORDER)
			answer_order(&o, &r, false);
		else
		{
			fix_builder b;

			if (fix_session_begin_app(&F.s, &b, "9", F.now) != NULL)
			{
				fixo_cancel_reject(&b, o.order_id, o.clordid, o.orig_clordid, '8',
				                   o.msgtype == 'F' ? '1' : '2', r.reason, r.text);
				FZ_CHECK(fix_session_end_app(&F.s, &b, F.now),
				         "an OrderCancelReject was not sent");
			}
		}
		return;
	}
	check_str(o.clordid, m, "ClOrdID");
	check_str(o.orig_clordid, m, "OrigClOrdID");
	check_str(o.account, m, "Account");
	check_str(o.symbol, m, "Symbol");
	FZ_CHECK(o.side == PGX_SIDE_BUY || o.side == PGX_SIDE_SELL, "side %d", o.side);
	if (o.msgtype == 'D' || o.msgtype == 'G')
	{
		FZ_CHECK(o.quantity >= 1 && o.quantity <= FIXO_MAX_QTY, "quantity %lld",
		         (long long)o.quantity);
		bool limit =
		    o.order_type == PGX_TYPE_LIMIT || o.order_type == PGX_TYPE_STOP_LIMIT;
		bool stop = o.order_type == PGX_TYPE_STOP || o.order_type == PGX_TYPE_STOP_LIMIT;

		FZ_CHECK(o.order_type >= PGX_TYPE_LIMIT && o.order_type < PGX_TYPE__COUNT,
		         "order type %d", o.order_type);
		FZ_CHECK(o.time_in_force >= PGX_TIF_DAY && o.time_in_force <= PGX_TIF_GTD,
		         "time in force %d", o.time_in_force);
		if (limit)
			FZ_CHECK(o.has_price && o.price > 0,
			         "a limit order without a positive price");
		else
			FZ_CHECK(!o.has_price && o.time_in_force != PGX_TIF_GTC &&
			             o.time_in_force != PGX_TIF_GTD && o.time_in_force != PGX_TIF_DAY,
			         "a market order with a price, or resting");
		FZ_CHECK(stop == (o.has_stop_px && o.stop_px > 0),
		         "a stop without a positive stop price, or a stop price on another type");
		FZ_CHECK(!o.post_only ||
		             (o.order_type == PGX_TYPE_LIMIT &&
		              (o.time_in_force == PGX_TIF_DAY || o.time_in_force == PGX_TIF_GTC ||
		               o.time_in_force == PGX_TIF_GTD)),
		         "post-only on an order that cannot rest");
		FZ_CHECK((o.time_in_force == PGX_TIF_GTD) == o.has_expire,
		         "an expire time without gtd, or gtd without one");
	}
	if (o.msgtype == 'D')
	{
		char detail[160];
		size_t n = fixo_new_detail(&o, "DEMO_BROKER_A", detail, sizeof(detail));

		fixo_new_record(&o, &rec);
		check_record(&rec);
		/* the options travel in a detail matchd must be able to read */
		FZ_CHECK(n > 0, "a new order's detail does not fit");
		rec.strs[PGX_S_DETAIL] = (pgx_str){detail, (uint16_t)n};
		FZ_CHECK(pgx_json_is_object(rec.strs[PGX_S_DETAIL]),
		         "a new order's detail is not a JSON object: %s", detail);
		check_record(&rec);
		answer_order(&o, &r, true);
	}
	else if (o.msgtype == 'F' && fixo_cancel_record(&o, o.order_id, &rec))
		check_record(&rec);
	else if (o.msgtype == 'G' &&
	         fixo_amend_record(&o, o.order_id ? o.order_id : 1, o.quantity / 2, &rec, &r))
		check_record(&rec);
}

static const fix_session_app APP = {NULL,       on_send,  deliver,   on_auth,
                                    on_persist, on_store, on_stored, on_disconnect};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	fix_session_config cfg;
	size_t off = 0;

	memset(&F.store_len, 0, sizeof(F.store_len));
	memset(&F.store_seq, 0, sizeof(F.store_seq));
	F.now = T0;
	F.max_new = 0;
	F.auth_asked = F.auth_ok = F.disconnected = false;
	F.exec_id = 0;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.our_comp_id, "PGX");
	strcpy(cfg.their_comp_id, "DEMO_BROKER_A");
	cfg.logon_timeout_us = 60 * 1000000LL;
	fix_session_start(&F.s, &cfg, &APP, 1, 1, F.now);

	while (off < size)
	{
		fix_msg m;
		size_t used = 0, left = size - off;
		fix_parse_rc rc = fix_parse(buf + off, left, &m, &used);

		if (rc == FIX_NEED_MORE)
			break;
		if (rc == FIX_GARBLED)
		{
			FZ_CHECK(used >= 1 && used <= left, "garbled: drops %zu of %zu", used, left);
			off += used;
			continue;
		}
		FZ_CHECK(used == m.raw_len && used <= left && m.raw == buf + off,
		         "message of %zu bytes, %zu used, %zu there", m.raw_len, used, left);
		/* 35 may be lost to a field fault ("35=" empty): then it is marked */
		FZ_CHECK(m.nfields >= 3 && m.f[0].tag == 8 && m.f[1].tag == 9 &&
		             m.f[m.nfields - 1].tag == 10,
		         "a message without its 8, 9 and 10");
		FZ_CHECK(m.bad_reason != FIX_NO_REASON || (m.nfields >= 4 && m.f[2].tag == 35),
		         "a valid message without MsgType third");
		check_fields(&m);
		/* only whole messages: every proper prefix needs more (checked on a
		 * sample of lengths, all of them for short messages) */
		for (size_t k = 0; k<used; k += used> 64 ? used / 16 + 1 : 1)
		{
			fix_msg p;
			size_t u;

			FZ_CHECK(fix_parse(buf + off, k, &p, &u) == FIX_NEED_MORE,
			         "a prefix of %zu of a %zu-byte message is not NEED_MORE", k, used);
		}
		check_round_trip(&m);
		off += used;

		F.now += 1000000;
		F.auth_asked = false;
		fix_session_on_message(&F.s, &m, F.now);
		if (F.auth_asked)
			fix_session_logon_result(&F.s, F.auth_ok, "invalid username or password",
			                         F.now);
		fix_session_on_timer(&F.s, F.now);
	}
	/* the rest of the day: heartbeats, test requests, timeouts */
	for (int i = 0; i < 4 && !F.disconnected; i++)
	{
		F.now += 40 * 1000000LL;
		fix_session_on_timer(&F.s, F.now);
	}
	return 0;
}
