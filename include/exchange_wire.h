/*
 * exchange_wire.h
 *		The one wire format shared by the `exchange` extension and `matchd`.
 *
 * A journal batch is what the daemon appends in one call of
 * exchange.append_batch() and what exchange.read_batch() gives back: a header and
 * a run of records, each record one row of exchange.journal.  The format is
 * explicit little-endian with no padding, so that a batch read back from the
 * database is byte for byte the batch that was appended; replay verification in
 * the daemon compares bytes, not structs.
 *
 *	batch	:= magic u32 "PJX1" | version u16 | reserved u16 (0) | count u32 | record*
 *	record	:= length u16 (whole record, this field included)
 *			   kind u8 | side u8 | order_type u8 | time_in_force u8 | status u8
 *			   present u8 (bit i set: int field i below is not NULL)
 *			   seq i64 | idx i32 | trading_day i32 (days since 2000-01-01)
 *			   ts i64 (microseconds since 2000-01-01 00:00 UTC, as timestamptz)
 *			   order_id i64 | price i64 (ticks) | quantity i64 | remaining i64
 *			   contra_order_id i64 | contra_remaining i64 | amount i64 (minor units)
 *			   symbol str | account str | contra_account str | reason str
 *			   client_order_id str | detail str (JSON text)
 *	str		:= length u16 (0xFFFF = NULL) | bytes (UTF-8, no terminator)
 *
 * Enumerations travel as small integers; 0 means NULL.  Their order is the order
 * of the labels of the SQL enum types, which the extension maps by label, so
 * a later version may append labels but never reorder them.
 *
 * This header is plain C11 with no PostgreSQL or libc allocation: both the
 * backend (palloc'd buffers) and the daemon (its own buffers) use it.
 */
#ifndef EXCHANGE_WIRE_H
#define EXCHANGE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PGX_BATCH_MAGIC   0x31584A50u /* "PJX1" read as little-endian bytes */
#define PGX_BATCH_VERSION 1
#define PGX_BATCH_HEADER  12
#define PGX_STR_NULL      0xFFFFu
#define PGX_STR_MAX       0xFFFEu

/* Fixed part of a record, before its strings. */
#define PGX_RECORD_FIXED (2 + 6 + 8 + 4 + 4 + 8 + 7 * 8)
/* Largest possible record: fixed part and six strings at their maximum. */
#define PGX_RECORD_MAX 0xFFFFu

/*
 * SQLSTATEs the sequencer raises (class PX); the daemon acts on them: a stale
 * epoch means another writer took the stream over, so stop acknowledging.
 */
#define PGX_SQLSTATE_STALE_EPOCH     "PX001"
#define PGX_SQLSTATE_SEQ_GAP         "PX002"
#define PGX_SQLSTATE_DUPLICATE_SEQ   "PX003"
#define PGX_SQLSTATE_UNKNOWN_STREAM  "PX004"
#define PGX_SQLSTATE_MALFORMED_BATCH "PX005"
#define PGX_SQLSTATE_DAY_REGRESSION  "PX006"
#define PGX_SQLSTATE_PRICE_OFF_TICK  "PX010"

/* exchange.event_kind, in label order (1-based; 0 is invalid). */
typedef enum pgx_kind
{
	/* commands: idx 0 of a seq, what the sequencer stamped */
	PGX_KIND_NEW_ORDER = 1,
	PGX_KIND_CANCEL_ORDER,
	PGX_KIND_AMEND_ORDER,
	PGX_KIND_ADD_SYMBOL,
	PGX_KIND_OPEN_ACCOUNT,
	PGX_KIND_MARKET_OPEN,
	PGX_KIND_MARKET_CLOSE,
	PGX_KIND_HALT,
	PGX_KIND_RESUME,
	/* events: idx 1.. of a seq, what the engine answered */
	PGX_KIND_ACCEPTED,
	PGX_KIND_REJECTED,
	PGX_KIND_TRADE,
	PGX_KIND_CANCELED,
	PGX_KIND_AMENDED,
	PGX_KIND_EXPIRED,
	/* commands of the order manager (extension 1.2), appended after the events
	 * so that the wire numbers of 1.0 and 1.1 never change */
	PGX_KIND_SET_KYC,            /* account; detail {"kyc_status", "reason"} */
	PGX_KIND_SUSPEND_ACCOUNT,    /* account; detail {"reason"} */
	PGX_KIND_RESUME_ACCOUNT,     /* account; detail {"reason"} */
	PGX_KIND_DEPOSIT,            /* account, amount; detail {"currency"} */
	PGX_KIND_WITHDRAW,           /* account, amount; detail {"currency"} */
	PGX_KIND_CREDIT_SHARES,      /* account, symbol, quantity */
	PGX_KIND_DEBIT_SHARES,       /* account, symbol, quantity */
	PGX_KIND_SET_ACCOUNT_LIMITS, /* account; detail: the limits that change */
	PGX_KIND_SET_SYMBOL_LIMITS,  /* symbol; detail: the parameters that change */
	/* extension 1.8: every open order of account (of symbol, when given; NULL:
	 * all symbols), canceled by one sequenced command; its events are one
	 * canceled (reason user_cancel) per order, in book order (symbols in
	 * listing order, bids then asks, best price first, oldest first) */
	PGX_KIND_MASS_CANCEL,
	/* 1.8: a good-till-date order whose expire time has come, injected by
	 * matchd's sequencer (never accepted from a client): order_id, symbol and
	 * the order's account */
	PGX_KIND_EXPIRE_ORDER,
	/* event (1.9): a stop order's trigger was reached by the last trade
	 * price; it leaves the stop book and enters as a market (stop) or limit
	 * (stop_limit) order: order_id, price = its stop price, quantity =
	 * remaining = what enters; its trades, rest or cancel follow */
	PGX_KIND_TRIGGERED,
	PGX_KIND__COUNT
} pgx_kind;

/* The events of 1.0 in one range; later events follow the commands. */
#define PGX_KIND_FIRST_EVENT PGX_KIND_ACCEPTED
#define PGX_KIND_LAST_EVENT  PGX_KIND_EXPIRED

static inline bool
pgx_kind_is_event(int kind)
{
	return (kind >= PGX_KIND_FIRST_EVENT && kind <= PGX_KIND_LAST_EVENT) ||
	       kind == PGX_KIND_TRIGGERED;
}

static inline bool
pgx_kind_is_command(int kind)
{
	return kind >= PGX_KIND_NEW_ORDER && kind < PGX_KIND__COUNT &&
	       !pgx_kind_is_event(kind);
}

/* Commands about orders; every other command is reference data (projected
 * into SQL tables by exchange.project_reference_data). */
static inline bool
pgx_kind_is_order_command(int kind)
{
	return kind == PGX_KIND_NEW_ORDER || kind == PGX_KIND_CANCEL_ORDER ||
	       kind == PGX_KIND_AMEND_ORDER || kind == PGX_KIND_MASS_CANCEL ||
	       kind == PGX_KIND_EXPIRE_ORDER;
}

/* exchange.side, exchange.order_type, exchange.time_in_force, exchange.order_status */
enum
{
	PGX_SIDE_BUY = 1,
	PGX_SIDE_SELL,
	PGX_SIDE__COUNT
};
enum
{
	PGX_TYPE_LIMIT = 1,
	PGX_TYPE_MARKET,
	PGX_TYPE_STOP,       /* 1.9: detail "stop_price"; market once triggered */
	PGX_TYPE_STOP_LIMIT, /* 1.9: detail "stop_price"; limit once triggered */
	PGX_TYPE__COUNT
};
enum
{
	PGX_TIF_DAY = 1,
	PGX_TIF_GTC,
	PGX_TIF_IOC,
	PGX_TIF_FOK,
	PGX_TIF_GTD,      /* 1.8: good till date, detail "expire_time" */
	PGX_TIF_AT_OPEN,  /* 1.8 label; auctions only, not accepted yet (0A000) */
	PGX_TIF_AT_CLOSE, /* 1.8 label; auctions only, not accepted yet (0A000) */
	PGX_TIF__COUNT
};
enum
{
	PGX_STATUS_NEW = 1,
	PGX_STATUS_PARTIALLY_FILLED,
	PGX_STATUS_FILLED,
	PGX_STATUS_CANCELED,
	PGX_STATUS_REJECTED,
	PGX_STATUS_EXPIRED,
	PGX_STATUS__COUNT
};

/*
 * Options of a new_order (1.8) travel in its detail, a flat JSON object,
 * and stay there in the journal: "post_only": true (never takes liquidity;
 * refused when it would cross), "expire_time": microseconds since
 * 2000-01-01 UTC as an integer (time_in_force gtd only, required there),
 * and (1.9) "stop_price": ticks, an integer (order types stop and stop_limit
 * only, required there).  The events about a stop that waits in the stop
 * book (accepted, amended, canceled, expired before its trigger) carry the
 * detail {"stop": true}: no book ever shows it, so feeds leave it alone.
 */
#define PGX_DETAIL_POST_ONLY   "post_only"
#define PGX_DETAIL_EXPIRE_TIME "expire_time"
#define PGX_DETAIL_STOP_PRICE  "stop_price"
#define PGX_DETAIL_STOP        "stop"
/* the whole detail of such an event, byte for byte as matchd writes it */
#define PGX_DETAIL_STOP_EVENT "{\"" PGX_DETAIL_STOP "\": true}"

/* The nullable integer fields, in wire order; bit i of `present`. */
enum
{
	PGX_F_ORDER_ID = 0,
	PGX_F_PRICE,
	PGX_F_QUANTITY,
	PGX_F_REMAINING,
	PGX_F_CONTRA_ORDER_ID,
	PGX_F_CONTRA_REMAINING,
	PGX_F_AMOUNT,
	PGX_F__COUNT
};

/* The string fields, in wire order. */
enum
{
	PGX_S_SYMBOL = 0,
	PGX_S_ACCOUNT,
	PGX_S_CONTRA_ACCOUNT,
	PGX_S_REASON,
	PGX_S_CLIENT_ORDER_ID,
	PGX_S_DETAIL,
	PGX_S__COUNT
};

/* A string field: points into the batch when decoded; len is PGX_STR_NULL for NULL. */
typedef struct pgx_str
{
	const char *ptr;
	uint16_t len;
} pgx_str;

/* One journal record, decoded. */
typedef struct pgx_record
{
	uint8_t kind;
	uint8_t side;
	uint8_t order_type;
	uint8_t time_in_force;
	uint8_t status;
	uint8_t present;
	int64_t seq;
	int32_t idx;
	int32_t trading_day;
	int64_t ts;
	int64_t ints[PGX_F__COUNT];
	pgx_str strs[PGX_S__COUNT];
} pgx_record;

/* Is r an event about a stop waiting in the stop book (never in a book)? */
static inline bool
pgx_record_is_waiting_stop(const pgx_record *r)
{
	return r->idx >= 1 &&
	       r->strs[PGX_S_DETAIL].len == sizeof(PGX_DETAIL_STOP_EVENT) - 1 &&
	       memcmp(r->strs[PGX_S_DETAIL].ptr, PGX_DETAIL_STOP_EVENT,
	              sizeof(PGX_DETAIL_STOP_EVENT) - 1) == 0 &&
	       (r->kind == PGX_KIND_ACCEPTED || r->kind == PGX_KIND_AMENDED ||
	        r->kind == PGX_KIND_CANCELED || r->kind == PGX_KIND_EXPIRED);
}

/* Why a batch failed to decode; pgx_decode_error() names it. */
typedef enum pgx_decode_status
{
	PGX_DECODE_OK = 0,
	PGX_DECODE_SHORT,    /* buffer ends inside the header or a record */
	PGX_DECODE_MAGIC,    /* not a journal batch */
	PGX_DECODE_VERSION,  /* a version this build does not read */
	PGX_DECODE_LENGTH,   /* a record's length disagrees with its fields */
	PGX_DECODE_TRAILING, /* bytes after the last record */
	PGX_DECODE_ENUM,     /* an enumeration value out of range */
	PGX_DECODE_CANONICAL /* a NULL integer field carries a value */
} pgx_decode_status;

static inline const char *
pgx_decode_error(pgx_decode_status st)
{
	switch (st)
	{
		case PGX_DECODE_OK:
			return "ok";
		case PGX_DECODE_SHORT:
			return "batch is truncated";
		case PGX_DECODE_MAGIC:
			return "not a journal batch (bad magic)";
		case PGX_DECODE_VERSION:
			return "unsupported journal batch version";
		case PGX_DECODE_LENGTH:
			return "record length does not match its contents";
		case PGX_DECODE_TRAILING:
			return "bytes after the last record";
		case PGX_DECODE_ENUM:
			return "enumeration value out of range";
		case PGX_DECODE_CANONICAL:
			return "a NULL integer field carries a value";
	}
	return "unknown decode error";
}

/* ---- little-endian primitives ------------------------------------------ */

static inline void
pgx_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
pgx_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
pgx_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t
pgx_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
pgx_get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t
pgx_get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ---- encoding ------------------------------------------------------------ */

/* Bytes that pgx_encode_record() will write for rec. */
static inline size_t
pgx_record_size(const pgx_record *rec)
{
	size_t n = PGX_RECORD_FIXED;

	for (int i = 0; i < PGX_S__COUNT; i++)
		n += 2 + (rec->strs[i].len == PGX_STR_NULL ? 0 : rec->strs[i].len);
	return n;
}

/* Writes the batch header for `count` records into buf[0..PGX_BATCH_HEADER). */
static inline void
pgx_encode_header(uint8_t *buf, uint32_t count)
{
	pgx_put_u32(buf, PGX_BATCH_MAGIC);
	pgx_put_u16(buf + 4, PGX_BATCH_VERSION);
	pgx_put_u16(buf + 6, 0);
	pgx_put_u32(buf + 8, count);
}

/*
 * Encodes rec at buf, which must hold pgx_record_size(rec) bytes; returns the
 * bytes written, or 0 when the record would exceed PGX_RECORD_MAX.  NULL ints are
 * written as 0 so that equal records always encode to equal bytes.
 */
static inline size_t
pgx_encode_record(uint8_t *buf, const pgx_record *rec)
{
	size_t size = pgx_record_size(rec);
	uint8_t *p = buf;

	if (size > PGX_RECORD_MAX)
		return 0;
	pgx_put_u16(p, (uint16_t)size);
	p += 2;
	*p++ = rec->kind;
	*p++ = rec->side;
	*p++ = rec->order_type;
	*p++ = rec->time_in_force;
	*p++ = rec->status;
	*p++ = rec->present;
	pgx_put_u64(p, (uint64_t)rec->seq);
	p += 8;
	pgx_put_u32(p, (uint32_t)rec->idx);
	p += 4;
	pgx_put_u32(p, (uint32_t)rec->trading_day);
	p += 4;
	pgx_put_u64(p, (uint64_t)rec->ts);
	p += 8;
	for (int i = 0; i < PGX_F__COUNT; i++)
	{
		bool present = (rec->present >> i) & 1;

		pgx_put_u64(p, present ? (uint64_t)rec->ints[i] : 0);
		p += 8;
	}
	for (int i = 0; i < PGX_S__COUNT; i++)
	{
		uint16_t len = rec->strs[i].len;

		pgx_put_u16(p, len);
		p += 2;
		if (len != PGX_STR_NULL && len > 0)
		{
			memcpy(p, rec->strs[i].ptr, len);
			p += len;
		}
	}
	return (size_t)(p - buf);
}

/* ---- decoding ------------------------------------------------------------ */

/* Reads the header; on success *count is the number of records that follow. */
static inline pgx_decode_status
pgx_decode_header(const uint8_t *buf, size_t len, uint32_t *count)
{
	if (len < PGX_BATCH_HEADER)
		return PGX_DECODE_SHORT;
	if (pgx_get_u32(buf) != PGX_BATCH_MAGIC)
		return PGX_DECODE_MAGIC;
	if (pgx_get_u16(buf + 4) != PGX_BATCH_VERSION || pgx_get_u16(buf + 6) != 0)
		return PGX_DECODE_VERSION;
	*count = pgx_get_u32(buf + 8);
	return PGX_DECODE_OK;
}

/*
 * Decodes the record at buf[0..avail) into *rec (strings point into buf) and sets
 * *used to its length.  Validates lengths and enumeration ranges only; sequencing
 * rules are the caller's.
 */
static inline pgx_decode_status
pgx_decode_record(const uint8_t *buf, size_t avail, pgx_record *rec, size_t *used)
{
	const uint8_t *p = buf;
	const uint8_t *end;
	uint16_t size;

	if (avail < PGX_RECORD_FIXED)
		return PGX_DECODE_SHORT;
	size = pgx_get_u16(p);
	if (size > avail)
		return PGX_DECODE_SHORT;
	if (size < PGX_RECORD_FIXED + 2 * PGX_S__COUNT)
		return PGX_DECODE_LENGTH;
	end = buf + size;
	p += 2;
	rec->kind = *p++;
	rec->side = *p++;
	rec->order_type = *p++;
	rec->time_in_force = *p++;
	rec->status = *p++;
	rec->present = *p++;
	if (rec->kind == 0 || rec->kind >= PGX_KIND__COUNT || rec->side >= PGX_SIDE__COUNT ||
	    rec->order_type >= PGX_TYPE__COUNT || rec->time_in_force >= PGX_TIF__COUNT ||
	    rec->status >= PGX_STATUS__COUNT || (rec->present >> PGX_F__COUNT) != 0)
		return PGX_DECODE_ENUM;
	rec->seq = (int64_t)pgx_get_u64(p);
	p += 8;
	rec->idx = (int32_t)pgx_get_u32(p);
	p += 4;
	rec->trading_day = (int32_t)pgx_get_u32(p);
	p += 4;
	rec->ts = (int64_t)pgx_get_u64(p);
	p += 8;
	for (int i = 0; i < PGX_F__COUNT; i++)
	{
		rec->ints[i] = (int64_t)pgx_get_u64(p);
		p += 8;
		/* one value, one encoding: what is read back must equal what was written */
		if (!((rec->present >> i) & 1) && rec->ints[i] != 0)
			return PGX_DECODE_CANONICAL;
	}
	for (int i = 0; i < PGX_S__COUNT; i++)
	{
		uint16_t len;

		if (end - p < 2)
			return PGX_DECODE_LENGTH;
		len = pgx_get_u16(p);
		p += 2;
		rec->strs[i].len = len;
		rec->strs[i].ptr = NULL;
		if (len == PGX_STR_NULL)
			continue;
		if (end - p < len)
			return PGX_DECODE_LENGTH;
		rec->strs[i].ptr = (const char *)p;
		p += len;
	}
	if (p != end)
		return PGX_DECODE_LENGTH;
	*used = size;
	return PGX_DECODE_OK;
}

/* ======================================================================== */
/*
 * The order-entry protocol: the extension's order functions talk to matchd
 * over a Unix stream socket (path: GUC exchange.matchd_socket).  Each backend
 * keeps one connection and sends one request at a time; matchd answers every
 * request exactly once (matched by request_id) and, for a sequenced command,
 * only after the journal batch holding its records has committed: an answer
 * is an acknowledgement, what it reports is durable.  Refusals (outcome
 * ERROR) are answered at once.
 *
 *	frame	 := length u32 (whole frame, this field included) | type u16 | flags u16 (0)
 *				request_id u64 | body
 *	request  := role str | record
 *	response := outcome u8 | sqlstate 5 bytes | status u8
 *				seq i64 | order_id i64 | created_ts i64 | filled i64 | remaining i64
 *				reason str | message str
 *
 * A request's record is a journal record (the batch encoding above) holding
 * one command: kind new_order, cancel_order, amend_order, mass_cancel,
 * add_symbol or open_account (or the order manager's administration), with
 * seq, idx, trading_day and ts 0 (the sequencer stamps them) and no order id
 * for new_order (the sequencer assigns it).  role is
 * the PostgreSQL role the extension authenticated and checked against the
 * account; matchd records it, it never comes from the caller's arguments.
 *
 * outcome DONE: the command was sequenced and committed; status is the
 * order's status after it (or, for reference data, new = accepted and
 * rejected), reason why it is not live (reject, cancel or expiry reason) or
 * NULL; sqlstate is "00000", except when the order manager refused the
 * command (see PX050.. below): then the status is rejected and sqlstate and
 * message say why.  outcome ERROR: nothing was sequenced; sqlstate and
 * message say why.  A mass_cancel's answer: status canceled, order_id 0,
 * remaining = the number of orders it canceled (0: none was open), created_ts
 * its sequencer timestamp; the orders are its journaled events.
 *
 * market_open may carry a trading_day (the session's date in the market's
 * time zone); matchd opens the session on the later of it and its own day.
 */
#define PGX_FRAME_HEADER   16
#define PGX_FRAME_MAX      (PGX_FRAME_HEADER + 2 + 64 + PGX_RECORD_MAX)
#define PGX_RESPONSE_FIXED (1 + 5 + 1 + 5 * 8)
#define PGX_MD_REPLY_MAX   (64u << 20) /* bytes of a market-data reply frame */

enum
{
	PGX_MSG_REQUEST = 1,
	PGX_MSG_RESPONSE = 2,
	PGX_MSG_MD_QUERY = 3, /* market data, below */
	PGX_MSG_MD_REPLY = 4,
	PGX_MSG_SUBSCRIBE = 5, /* the order-event stream, below */
	PGX_MSG_EVENTS = 6
};

/*
 * The order-event stream (the FIX gateway, daemon/gateway/gatewayd.c): a
 * trusted client that multiplexes many brokers' requests over one
 * connection (each request answered by its request_id, as above) also needs
 * what happens later to the orders it entered - fills against other
 * brokers' orders, expiries, cancels by the exchange.
 *
 *	subscribe := header(PGX_MSG_SUBSCRIBE, request_id 0) | role str*
 *	events    := header(PGX_MSG_EVENTS, request_id = the batch's last seq)
 *				 | batch (the PJX1 batch above, as appended)
 *
 * After a subscribe, matchd sends every journal batch it commits on that
 * connection, after the batch's answers and never before its commit (what
 * it shows is durable), until the connection closes.  The roles name the
 * brokers the subscriber serves (logged; the subscriber filters by the order
 * ids it knows, because a resting order's later trade does not name the role
 * that entered it).  A subscriber that reconnects subscribes again and reads
 * what it missed from the journal (exchange.read_batch).  Like a request,
 * this needs the socket (0600, the server's OS user): only trusted local
 * components reach it.  An events frame may be up to PGX_MD_REPLY_MAX bytes.
 */

enum
{
	PGX_OUTCOME_DONE = 0,
	PGX_OUTCOME_ERROR = 1
};

/* Errors of order entry (class PX); the SQL reference lists when each occurs. */
#define PGX_SQLSTATE_BAD_PRICE       "PX011" /* price missing or not allowed for the type */
#define PGX_SQLSTATE_BAD_QUANTITY    "PX012" /* quantity not positive or above the limit */
#define PGX_SQLSTATE_OFF_LOT         "PX013" /* quantity not a multiple of the lot size */
#define PGX_SQLSTATE_UNKNOWN_SYMBOL  "PX020"
#define PGX_SQLSTATE_UNKNOWN_ACCOUNT "PX021"
#define PGX_SQLSTATE_SYMBOL_EXISTS   "PX022"
#define PGX_SQLSTATE_ACCOUNT_EXISTS  "PX023"
#define PGX_SQLSTATE_UNKNOWN_ORDER   "PX030" /* not open, or not this account's */
#define PGX_SQLSTATE_UNAVAILABLE     "PX040" /* matchd down, refusing, or shutting down */
#define PGX_SQLSTATE_FATE_UNKNOWN    "PX041" /* sent, but no answer: look it up */
#define PGX_SQLSTATE_PROTOCOL        "PX042" /* a malformed frame */
/*
 * Not the leader: this matchd refused the request without doing anything -
 * it is a standby, its lease lapsed on its own clock (the self-fence), or it
 * is handing the stream over (switchover).  Nothing was sequenced or
 * journaled, so the caller may re-discover the leader and send it again.
 */
#define PGX_SQLSTATE_NOT_LEADER "PX043"
/*
 * The goodbye: an error response (PX043 handing over, PX040 stopping) with
 * this request id, which no request uses, sent unasked on every connection
 * when matchd stops leading.  Nothing read on the connection after it is
 * sequenced (matchd answers each such request with the same refusal until
 * the client closes or a drain of a second ends), so a client that finds it
 * where an answer should be knows its request was not acted on and may send
 * it to the leader; an idle client finds its connection readable and opens
 * a new one before sending.  A planned handover thus leaves no request with
 * an unknown fate.
 */
#define PGX_REQUEST_ID_GOODBYE 0
#define PGX_SQLSTATE_CAPACITY  "53400" /* a fixed capacity of matchd is full */

/*
 * Refusals of the order manager.  Except for PX076 (rate limited: refused
 * before the sequencer, nothing journaled, so a flood cannot fill the
 * journal) each is journaled: the command at idx 0 and a `rejected` event
 * with the reason code below at idx 1; state does not change.  The response
 * is outcome DONE, status rejected, with this SQLSTATE and a message; the
 * extension raises it as an ERROR (the DETAIL names the seq).  Engine
 * outcomes (fok not fillable, no liquidity) keep sqlstate "00000" and come
 * back as a row with status rejected.
 */
#define PGX_SQLSTATE_MARKET_CLOSED       "PX050" /* market_closed */
#define PGX_SQLSTATE_SYMBOL_HALTED       "PX051" /* symbol_halted */
#define PGX_SQLSTATE_KYC_NOT_VERIFIED    "PX052" /* kyc_not_verified */
#define PGX_SQLSTATE_ACCOUNT_SUSPENDED   "PX053" /* account_suspended */
#define PGX_SQLSTATE_BAD_STATE           "PX054" /* bad_session_op, already_halted, ... */
#define PGX_SQLSTATE_INSUFFICIENT_FUNDS  "PX060" /* insufficient_funds */
#define PGX_SQLSTATE_INSUFFICIENT_SHARES "PX061" /* insufficient_shares */
#define PGX_SQLSTATE_BAD_AMOUNT          "PX062" /* bad_amount: zero, negative, overflow */
#define PGX_SQLSTATE_UNKNOWN_CURRENCY    "PX063" /* a currency no symbol or deposit uses */
#define PGX_SQLSTATE_MAX_ORDER_QTY       "PX070" /* max_order_quantity */
#define PGX_SQLSTATE_MAX_ORDER_NOTIONAL  "PX071" /* max_order_notional */
#define PGX_SQLSTATE_MAX_DAILY_NOTIONAL  "PX072" /* max_daily_notional */
#define PGX_SQLSTATE_MAX_OPEN_ORDERS     "PX073" /* max_open_orders */
#define PGX_SQLSTATE_PRICE_BAND          "PX074" /* price_band */
#define PGX_SQLSTATE_NO_COLLAR           "PX075" /* no_collar: market buy, no reference */
#define PGX_SQLSTATE_RATE_LIMITED        "PX076" /* not journaled */
/* duplicate_client_order_id: the account already used this non-empty
 * client_order_id in the current trading day (from the first command after
 * the accepted market_close that ended the previous day); journaled as
 * rejected, the message names the earlier order (its id, which is its seq) */
#define PGX_SQLSTATE_DUPLICATE_CLORDID "PX077"

/*
 * Risk defaults of an account and a symbol until set_account_limits /
 * set_symbol_limits change them.  They are part of replay (a journal replays
 * to the same state only with the same defaults), so they are constants of
 * the wire contract, shown in SQL by exchange.risk_limits.
 */
#define PGX_DEFAULT_MAX_ORDER_QUANTITY 1000000LL   /* shares */
#define PGX_DEFAULT_MAX_ORDER_NOTIONAL 100000000LL /* minor units: 1,000,000.00 */
#define PGX_DEFAULT_MAX_DAILY_NOTIONAL 100000000LL /* minor units: 1,000,000.00 */
#define PGX_DEFAULT_MAX_OPEN_ORDERS    1000LL
#define PGX_DEFAULT_ORDERS_PER_SECOND  200LL
#define PGX_DEFAULT_BURST              400LL
#define PGX_DEFAULT_PRICE_BAND_BPS     1000LL /* +-10% around the reference price */
#define PGX_DEFAULT_MARKET_COLLAR_BPS  500LL  /* market orders trade within +-5% */
#define PGX_DEFAULT_FEE_BPS            0LL

typedef struct pgx_response
{
	uint8_t outcome;
	char sqlstate[5];
	uint8_t status;
	int64_t seq;
	int64_t order_id;
	int64_t created_ts; /* microseconds since 2000-01-01 UTC (a TimestampTz) */
	int64_t filled;
	int64_t remaining;
	pgx_str reason;
	pgx_str message;
} pgx_response;

static inline void
pgx_encode_frame_header(uint8_t *buf, uint32_t length, uint16_t type, uint64_t request_id)
{
	pgx_put_u32(buf, length);
	pgx_put_u16(buf + 4, type);
	pgx_put_u16(buf + 6, 0);
	pgx_put_u64(buf + 8, request_id);
}

/* Reads a frame header from buf (at least PGX_FRAME_HEADER bytes); false when
 * the length is impossible (then the connection must be dropped).  Requests
 * and responses are at most PGX_FRAME_MAX bytes; a market-data reply may be
 * up to PGX_MD_REPLY_MAX (only the extension reads those). */
static inline bool
pgx_decode_frame_header(const uint8_t *buf, uint32_t *length, uint16_t *type,
                        uint64_t *request_id)
{
	*length = pgx_get_u32(buf);
	*type = pgx_get_u16(buf + 4);
	*request_id = pgx_get_u64(buf + 8);
	return *length >= PGX_FRAME_HEADER &&
	       *length <= (*type == PGX_MSG_MD_REPLY || *type == PGX_MSG_EVENTS
	                       ? PGX_MD_REPLY_MAX
	                       : PGX_FRAME_MAX) &&
	       pgx_get_u16(buf + 6) == 0;
}

static inline size_t
pgx_put_str(uint8_t *p, pgx_str s)
{
	pgx_put_u16(p, s.len);
	if (s.len == PGX_STR_NULL || s.len == 0)
		return 2;
	memcpy(p + 2, s.ptr, s.len);
	return 2 + (size_t)s.len;
}

/* Reads a string at *p (advanced) before end; false when it does not fit. */
static inline bool
pgx_take_str(const uint8_t **p, const uint8_t *end, pgx_str *s)
{
	if (end - *p < 2)
		return false;
	s->len = pgx_get_u16(*p);
	*p += 2;
	s->ptr = NULL;
	if (s->len == PGX_STR_NULL)
		return true;
	if (end - *p < s->len)
		return false;
	s->ptr = (const char *)*p;
	*p += s->len;
	return true;
}

/*
 * Encodes a request into buf (PGX_FRAME_MAX bytes); returns the frame length,
 * or 0 when the role is too long or the record does not encode.
 */
static inline size_t
pgx_encode_request(uint8_t *buf, uint64_t request_id, pgx_str role, const pgx_record *rec)
{
	size_t off = PGX_FRAME_HEADER;
	size_t n;

	if (role.len == PGX_STR_NULL || role.len > 64)
		return 0;
	off += pgx_put_str(buf + off, role);
	if ((n = pgx_encode_record(buf + off, rec)) == 0)
		return 0;
	off += n;
	pgx_encode_frame_header(buf, (uint32_t)off, PGX_MSG_REQUEST, request_id);
	return off;
}

/*
 * Whether s is text as the wire carries it (str above): well-formed UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF) without NUL,
 * which no PostgreSQL text holds.  NULL is text.
 */
static inline bool
pgx_str_is_text(pgx_str s)
{
	const uint8_t *p = (const uint8_t *)s.ptr;
	uint16_t i = 0;

	if (s.len == PGX_STR_NULL)
		return true;
	while (i < s.len)
	{
		uint8_t c = p[i];
		int n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1Fu;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0Fu;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07u;
		else
			return false;
		if (s.len - i <= n)
			return false;
		for (int k = 1; k <= n; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3Fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i = (uint16_t)(i + n + 1);
	}
	return true;
}

/* ---- JSON details of requests ---------------------------------------------- */

#define PGX_JSON_MAX_DEPTH 64

/* Whitespace of a request's detail: space, tab and newline (what the
 * extension's jsonb text has; matchd splices details after them). */
static inline const char *
pgx_json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	return p;
}

/* Past the JSON string at p (RFC 8259, 7), or NULL. */
static inline const char *
pgx_json_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++)
	{
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		if (++p >= end)
			return NULL;
		if (*p == 'u')
		{
			for (int k = 0; k < 4; k++)
				if (++p >= end || !((*p >= '0' && *p <= '9') ||
				                    (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
					return NULL;
		}
		else if (*p != '"' && *p != '\\' && *p != '/' && *p != 'b' && *p != 'f' &&
		         *p != 'n' && *p != 'r' && *p != 't')
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

/* Past the digits at p (at least one), or NULL. */
static inline const char *
pgx_json_digits(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* Past the number or literal at p (RFC 8259, 3 and 6), or NULL. */
static inline const char *
pgx_json_scalar(const char *p, const char *end)
{
	static const char *const literals[] = {"true", "false", "null"};

	for (int i = 0; i < 3; i++)
	{
		size_t n = strlen(literals[i]);

		if ((size_t)(end - p) >= n && memcmp(p, literals[i], n) == 0)
			return p + n;
	}
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((p = pgx_json_digits(p, end)) == NULL)
		return NULL;
	if (p < end && *p == '.' && (p = pgx_json_digits(p + 1, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((p = pgx_json_digits(p, end)) == NULL)
			return NULL;
	}
	return p;
}

/*
 * Whether s is one JSON object (RFC 8259; nesting at most PGX_JSON_MAX_DEPTH,
 * whitespace as pgx_json_ws): what a request's detail must be, since matchd
 * splices its members into the journal's detail, which append_batch parses
 * as json.
 */
static inline bool
pgx_json_is_object(pgx_str s)
{
	const char *p = s.ptr, *end = s.ptr + s.len;
	char stack[PGX_JSON_MAX_DEPTH];
	int depth = 0;

	if (s.len == PGX_STR_NULL)
		return false;
	p = pgx_json_ws(p, end);
	if (p >= end || *p != '{')
		return false;
	for (;;)
	{
		/* p is at a value */
		if (p >= end)
			return false;
		if (*p == '{' || *p == '[')
		{
			if (depth == PGX_JSON_MAX_DEPTH)
				return false;
			stack[depth++] = *p == '{' ? '}' : ']';
			p = pgx_json_ws(p + 1, end);
			if (p < end && *p == stack[depth - 1])
			{
				depth--;
				p++;
			}
			else
				goto element;
		}
		else if ((p = *p == '"' ? pgx_json_string(p, end) : pgx_json_scalar(p, end)) ==
		         NULL)
			return false;
		/* after a value: a comma, the end of its container, or the end */
		for (;;)
		{
			p = pgx_json_ws(p, end);
			if (depth == 0)
				return p == end;
			if (p < end && *p == ',')
			{
				p = pgx_json_ws(p + 1, end);
				break;
			}
			if (p < end && *p == stack[depth - 1])
			{
				depth--;
				p++;
				continue;
			}
			return false;
		}
	element:
		/* an element of the container on top: a member "name": value in an object */
		if (stack[depth - 1] == '}')
		{
			if ((p = pgx_json_string(p, end)) == NULL)
				return false;
			p = pgx_json_ws(p, end);
			if (p >= end || *p != ':')
				return false;
			p = pgx_json_ws(p + 1, end);
		}
	}
}

/*
 * Decodes a request body (after the frame header); false when malformed.
 * Every string, the role included, must be text (pgx_str_is_text) and the
 * detail, when not NULL or empty, one JSON object (pgx_json_is_object):
 * matchd copies them into the journal, and a batch with a string PostgreSQL
 * cannot store, or a detail that is not JSON, would be refused by
 * append_batch with every other request in it.
 */
static inline bool
pgx_decode_request(const uint8_t *body, size_t len, pgx_str *role, pgx_record *rec)
{
	const uint8_t *p = body;
	const uint8_t *end = body + len;
	size_t used;

	if (!pgx_take_str(&p, end, role) || role->len == PGX_STR_NULL ||
	    !pgx_str_is_text(*role))
		return false;
	if (pgx_decode_record(p, (size_t)(end - p), rec, &used) != PGX_DECODE_OK)
		return false;
	for (int i = 0; i < PGX_S__COUNT; i++)
		if (!pgx_str_is_text(rec->strs[i]))
			return false;
	if (rec->strs[PGX_S_DETAIL].len != PGX_STR_NULL && rec->strs[PGX_S_DETAIL].len > 0 &&
	    !pgx_json_is_object(rec->strs[PGX_S_DETAIL]))
		return false;
	return p + used == end && pgx_kind_is_command(rec->kind);
}

/* Bytes pgx_encode_response() writes for r. */
static inline size_t
pgx_response_size(const pgx_response *r)
{
	size_t n = PGX_FRAME_HEADER + PGX_RESPONSE_FIXED + 4;

	n += r->reason.len == PGX_STR_NULL ? 0 : r->reason.len;
	n += r->message.len == PGX_STR_NULL ? 0 : r->message.len;
	return n;
}

/* Encodes a response frame into buf (pgx_response_size(r) bytes); returns its length. */
static inline size_t
pgx_encode_response(uint8_t *buf, uint64_t request_id, const pgx_response *r)
{
	uint8_t *p = buf + PGX_FRAME_HEADER;
	const int64_t ints[5] = {r->seq, r->order_id, r->created_ts, r->filled, r->remaining};

	*p++ = r->outcome;
	memcpy(p, r->sqlstate, 5);
	p += 5;
	*p++ = r->status;
	for (int i = 0; i < 5; i++, p += 8)
		pgx_put_u64(p, (uint64_t)ints[i]);
	p += pgx_put_str(p, r->reason);
	p += pgx_put_str(p, r->message);
	pgx_encode_frame_header(buf, (uint32_t)(p - buf), PGX_MSG_RESPONSE, request_id);
	return (size_t)(p - buf);
}

/* Decodes a response body (after the frame header); strings point into body. */
static inline bool
pgx_decode_response(const uint8_t *body, size_t len, pgx_response *r)
{
	const uint8_t *p = body;
	const uint8_t *end = body + len;
	int64_t *ints[5] = {&r->seq, &r->order_id, &r->created_ts, &r->filled, &r->remaining};

	if (len < PGX_RESPONSE_FIXED)
		return false;
	r->outcome = *p++;
	memcpy(r->sqlstate, p, 5);
	p += 5;
	r->status = *p++;
	for (int i = 0; i < 5; i++, p += 8)
		*ints[i] = (int64_t)pgx_get_u64(p);
	if (!pgx_take_str(&p, end, &r->reason) || !pgx_take_str(&p, end, &r->message))
		return false;
	return p == end && r->outcome <= PGX_OUTCOME_ERROR && r->status < PGX_STATUS__COUNT;
}

/* ======================================================================== */
/*
 * The wallet projection: with each journal batch matchd sends the final
 * balances of every wallet entry the batch changed, and append_batch writes
 * them into exchange.wallets / exchange.positions / exchange.fees_collected in
 * the same transaction (the projection is derived state: replaying the
 * journal recomputes it).  Values are absolute, not deltas, so applying an
 * entry twice is harmless.
 *
 *	wallets	:= magic u32 "PWL1" | count u32 | entry*
 *	entry	:= asset u8 (PGX_ASSET_*) | account str (NULL for fees)
 *			   | code str (currency for cash and fees, symbol for shares)
 *			   | available i64 | held i64 (0 for fees) | seq i64 (last change)
 *
 * Cash is in the currency's minor unit, shares in shares.
 */
#define PGX_WALLETS_MAGIC  0x314C5750u /* "PWL1" */
#define PGX_WALLETS_HEADER 8

enum
{
	PGX_ASSET_CASH = 1,
	PGX_ASSET_SHARES = 2,
	PGX_ASSET_FEES = 3
};

typedef struct pgx_wallet_entry
{
	uint8_t asset;
	pgx_str account;
	pgx_str code;
	int64_t available;
	int64_t held;
	int64_t seq;
} pgx_wallet_entry;

static inline size_t
pgx_wallet_entry_size(const pgx_wallet_entry *e)
{
	return 1 + 2 + (e->account.len == PGX_STR_NULL ? 0 : e->account.len) + 2 +
	       (e->code.len == PGX_STR_NULL ? 0 : e->code.len) + 3 * 8;
}

static inline void
pgx_encode_wallets_header(uint8_t *buf, uint32_t count)
{
	pgx_put_u32(buf, PGX_WALLETS_MAGIC);
	pgx_put_u32(buf + 4, count);
}

/* Writes e at buf (pgx_wallet_entry_size(e) bytes); returns the bytes written. */
static inline size_t
pgx_encode_wallet_entry(uint8_t *buf, const pgx_wallet_entry *e)
{
	uint8_t *p = buf;

	*p++ = e->asset;
	p += pgx_put_str(p, e->account);
	p += pgx_put_str(p, e->code);
	pgx_put_u64(p, (uint64_t)e->available);
	pgx_put_u64(p + 8, (uint64_t)e->held);
	pgx_put_u64(p + 16, (uint64_t)e->seq);
	return (size_t)(p + 24 - buf);
}

/* Reads the header; *count entries follow. */
static inline bool
pgx_decode_wallets_header(const uint8_t *buf, size_t len, uint32_t *count)
{
	if (len < PGX_WALLETS_HEADER || pgx_get_u32(buf) != PGX_WALLETS_MAGIC)
		return false;
	*count = pgx_get_u32(buf + 4);
	return true;
}

/* Decodes the entry at *p (advanced past it); strings point into the buffer. */
static inline bool
pgx_decode_wallet_entry(const uint8_t **p, const uint8_t *end, pgx_wallet_entry *e)
{
	if (end - *p < 1)
		return false;
	e->asset = *(*p)++;
	if (e->asset < PGX_ASSET_CASH || e->asset > PGX_ASSET_FEES ||
	    !pgx_take_str(p, end, &e->account) || !pgx_take_str(p, end, &e->code) ||
	    end - *p < 24)
		return false;
	e->available = (int64_t)pgx_get_u64(*p);
	e->held = (int64_t)pgx_get_u64(*p + 8);
	e->seq = (int64_t)pgx_get_u64(*p + 16);
	*p += 24;
	return true;
}

/* ======================================================================== */
/*
 * Market-data queries: the extension asks matchd for the live book of a
 * symbol (L1, L2, L3) or the recent candles it keeps in ring buffers.
 *
 *	query	:= header(PGX_MSG_MD_QUERY) | what u8 | depth u32 | resolution u32
 *			   | symbol str
 *	reply	:= header(PGX_MSG_MD_REPLY) | outcome u8 | sqlstate 5 | message str
 *			   | as_of_seq i64 | as_of_ts i64 | status u8 (mc_status of the
 *			   symbol: 0 closed, 1 open, 2 halted) | rows u32 | row*
 *
 * The reply describes the state after every command up to and including
 * as_of_seq (as_of_ts is that command's time), and matchd sends it only once
 * as_of_seq has committed: a snapshot never shows what the journal might
 * still lose, and a subscriber can apply feed increments with seq > as_of_seq
 * to it.  Prices are ticks of the symbol, quantities shares.  outcome ERROR
 * (unknown symbol PX020, unsupported resolution 22023, ...) carries no rows.
 *
 *	L1 row		:= bid_price i64 | bid_qty i64 | bid_orders u32 | ask_price i64
 *				   | ask_qty i64 | ask_orders u32 | last_price i64 | last_qty i64
 *				   | last_ts i64 | last_seq i64		(0s for a missing side/trade)
 *	L2 row		:= side u8 | level u32 | price i64 | qty i64 | orders u32
 *				   (bids best first, then asks best first; depth levels a side)
 *	L3 row		:= side u8 | level u32 | price i64 | order_id i64 | qty i64
 *				   | entered_ts i64 | account str	(queue order within a level)
 *	candle row	:= bucket_ts i64 | open i64 | high i64 | low i64 | close i64
 *				   | volume i64 | trades i64 | notional_hi i64 | notional_lo u64
 *				   (notional = sum(price * qty) in ticks x shares, 128 bits;
 *				   oldest bucket first; buckets without trades are left out)
 *
 * resolution is in seconds, only for candles (matchd keeps 1, 60 and 3600).
 */
enum
{
	PGX_MD_L1 = 1,
	PGX_MD_L2 = 2,
	PGX_MD_L3 = 3,
	PGX_MD_CANDLES = 4
};

#define PGX_MD_REPLY_FIXED (1 + 5 + 2 + 8 + 8 + 1 + 4) /* with an empty message */
#define PGX_MD_L1_ROW      (8 + 8 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8)
#define PGX_MD_L2_ROW      (1 + 4 + 8 + 8 + 4)
#define PGX_MD_L3_ROW_MIN  (1 + 4 + 8 + 8 + 8 + 8 + 2)
#define PGX_MD_CANDLE_ROW  (9 * 8)
#define PGX_MD_MAX_DEPTH   100000

typedef struct pgx_md_query
{
	uint8_t what;
	uint32_t depth;
	uint32_t resolution;
	pgx_str symbol;
} pgx_md_query;

typedef struct pgx_md_reply
{
	uint8_t outcome;
	char sqlstate[5];
	pgx_str message;
	int64_t as_of_seq;
	int64_t as_of_ts;
	uint8_t status;
	uint32_t rows;
	const uint8_t *row; /* the first row; rows follow back to back */
	const uint8_t *end;
} pgx_md_reply;

typedef struct pgx_md_level
{
	uint8_t side;
	uint32_t level;
	int64_t price;
	int64_t qty;
	uint32_t orders;
} pgx_md_level;

typedef struct pgx_md_order
{
	uint8_t side;
	uint32_t level;
	int64_t price;
	int64_t order_id;
	int64_t qty;
	int64_t entered_ts;
	pgx_str account;
} pgx_md_order;

typedef struct pgx_md_candle
{
	int64_t bucket_ts;
	int64_t open, high, low, close;
	int64_t volume;
	int64_t trades;
	int64_t notional_hi; /* notional = hi * 2^64 + lo */
	uint64_t notional_lo;
} pgx_md_candle;

typedef struct pgx_md_l1
{
	int64_t bid_price, bid_qty;
	uint32_t bid_orders;
	int64_t ask_price, ask_qty;
	uint32_t ask_orders;
	int64_t last_price, last_qty, last_ts, last_seq;
} pgx_md_l1;

/* Encodes a query frame into buf (PGX_FRAME_MAX bytes); 0 when the symbol is
 * too long. */
static inline size_t
pgx_encode_md_query(uint8_t *buf, uint64_t request_id, const pgx_md_query *q)
{
	uint8_t *p = buf + PGX_FRAME_HEADER;

	if (q->symbol.len == PGX_STR_NULL || q->symbol.len > 64)
		return 0;
	*p++ = q->what;
	pgx_put_u32(p, q->depth);
	pgx_put_u32(p + 4, q->resolution);
	p += 8;
	p += pgx_put_str(p, q->symbol);
	pgx_encode_frame_header(buf, (uint32_t)(p - buf), PGX_MSG_MD_QUERY, request_id);
	return (size_t)(p - buf);
}

static inline bool
pgx_decode_md_query(const uint8_t *body, size_t len, pgx_md_query *q)
{
	const uint8_t *p = body + 9;
	const uint8_t *end = body + len;

	if (len < 9)
		return false;
	q->what = body[0];
	q->depth = pgx_get_u32(body + 1);
	q->resolution = pgx_get_u32(body + 5);
	if (!pgx_take_str(&p, end, &q->symbol) || p != end)
		return false;
	return q->what >= PGX_MD_L1 && q->what <= PGX_MD_CANDLES &&
	       q->symbol.len != PGX_STR_NULL && q->symbol.len <= 64;
}

/*
 * The fixed part of a reply at buf + PGX_FRAME_HEADER; the caller appends
 * r->rows rows and then writes the frame header with the total length
 * (pgx_encode_frame_header(buf, len, PGX_MSG_MD_REPLY, id)).  Returns the
 * offset of the first row.  buf must have room for PGX_FRAME_HEADER +
 * PGX_MD_REPLY_FIXED + the message.
 */
static inline size_t
pgx_encode_md_reply_head(uint8_t *buf, const pgx_md_reply *r)
{
	uint8_t *p = buf + PGX_FRAME_HEADER;

	*p++ = r->outcome;
	memcpy(p, r->sqlstate, 5);
	p += 5;
	p += pgx_put_str(p, r->message);
	pgx_put_u64(p, (uint64_t)r->as_of_seq);
	pgx_put_u64(p + 8, (uint64_t)r->as_of_ts);
	p[16] = r->status;
	pgx_put_u32(p + 17, r->rows);
	return (size_t)(p + 21 - buf);
}

/* Rewrites the row count of an encoded reply (rows are counted as written). */
static inline void
pgx_md_reply_set_rows(uint8_t *buf, size_t first_row, uint32_t rows)
{
	pgx_put_u32(buf + first_row - 4, rows);
}

static inline size_t
pgx_encode_md_l1(uint8_t *p, const pgx_md_l1 *l)
{
	pgx_put_u64(p, (uint64_t)l->bid_price);
	pgx_put_u64(p + 8, (uint64_t)l->bid_qty);
	pgx_put_u32(p + 16, l->bid_orders);
	pgx_put_u64(p + 20, (uint64_t)l->ask_price);
	pgx_put_u64(p + 28, (uint64_t)l->ask_qty);
	pgx_put_u32(p + 36, l->ask_orders);
	pgx_put_u64(p + 40, (uint64_t)l->last_price);
	pgx_put_u64(p + 48, (uint64_t)l->last_qty);
	pgx_put_u64(p + 56, (uint64_t)l->last_ts);
	pgx_put_u64(p + 64, (uint64_t)l->last_seq);
	return PGX_MD_L1_ROW;
}

static inline size_t
pgx_encode_md_level(uint8_t *p, const pgx_md_level *l)
{
	p[0] = l->side;
	pgx_put_u32(p + 1, l->level);
	pgx_put_u64(p + 5, (uint64_t)l->price);
	pgx_put_u64(p + 13, (uint64_t)l->qty);
	pgx_put_u32(p + 21, l->orders);
	return PGX_MD_L2_ROW;
}

static inline size_t
pgx_md_order_size(const pgx_md_order *o)
{
	return PGX_MD_L3_ROW_MIN + (o->account.len == PGX_STR_NULL ? 0 : o->account.len);
}

static inline size_t
pgx_encode_md_order(uint8_t *p, const pgx_md_order *o)
{
	p[0] = o->side;
	pgx_put_u32(p + 1, o->level);
	pgx_put_u64(p + 5, (uint64_t)o->price);
	pgx_put_u64(p + 13, (uint64_t)o->order_id);
	pgx_put_u64(p + 21, (uint64_t)o->qty);
	pgx_put_u64(p + 29, (uint64_t)o->entered_ts);
	return 37 + pgx_put_str(p + 37, o->account);
}

static inline size_t
pgx_encode_md_candle(uint8_t *p, const pgx_md_candle *c)
{
	const int64_t v[8] = {c->bucket_ts, c->open,   c->high,   c->low,
	                      c->close,     c->volume, c->trades, c->notional_hi};

	for (int i = 0; i < 8; i++)
		pgx_put_u64(p + 8 * i, (uint64_t)v[i]);
	pgx_put_u64(p + 64, c->notional_lo);
	return PGX_MD_CANDLE_ROW;
}

/* Decodes the fixed part of a reply body (after the frame header). */
static inline bool
pgx_decode_md_reply(const uint8_t *body, size_t len, pgx_md_reply *r)
{
	const uint8_t *p = body + 6;
	const uint8_t *end = body + len;

	if (len < PGX_MD_REPLY_FIXED)
		return false;
	r->outcome = body[0];
	memcpy(r->sqlstate, body + 1, 5);
	if (!pgx_take_str(&p, end, &r->message) || end - p < 21)
		return false;
	r->as_of_seq = (int64_t)pgx_get_u64(p);
	r->as_of_ts = (int64_t)pgx_get_u64(p + 8);
	r->status = p[16];
	r->rows = pgx_get_u32(p + 17);
	r->row = p + 21;
	r->end = end;
	return r->outcome <= PGX_OUTCOME_ERROR;
}

/* Row decoders: each reads the row at *p (advanced); false when it does not fit. */
static inline bool
pgx_decode_md_l1(const uint8_t **p, const uint8_t *end, pgx_md_l1 *l)
{
	const uint8_t *q = *p;

	if (end - q < PGX_MD_L1_ROW)
		return false;
	l->bid_price = (int64_t)pgx_get_u64(q);
	l->bid_qty = (int64_t)pgx_get_u64(q + 8);
	l->bid_orders = pgx_get_u32(q + 16);
	l->ask_price = (int64_t)pgx_get_u64(q + 20);
	l->ask_qty = (int64_t)pgx_get_u64(q + 28);
	l->ask_orders = pgx_get_u32(q + 36);
	l->last_price = (int64_t)pgx_get_u64(q + 40);
	l->last_qty = (int64_t)pgx_get_u64(q + 48);
	l->last_ts = (int64_t)pgx_get_u64(q + 56);
	l->last_seq = (int64_t)pgx_get_u64(q + 64);
	*p = q + PGX_MD_L1_ROW;
	return true;
}

static inline bool
pgx_decode_md_level(const uint8_t **p, const uint8_t *end, pgx_md_level *l)
{
	const uint8_t *q = *p;

	if (end - q < PGX_MD_L2_ROW)
		return false;
	l->side = q[0];
	l->level = pgx_get_u32(q + 1);
	l->price = (int64_t)pgx_get_u64(q + 5);
	l->qty = (int64_t)pgx_get_u64(q + 13);
	l->orders = pgx_get_u32(q + 21);
	*p = q + PGX_MD_L2_ROW;
	return l->side == PGX_SIDE_BUY || l->side == PGX_SIDE_SELL;
}

static inline bool
pgx_decode_md_order(const uint8_t **p, const uint8_t *end, pgx_md_order *o)
{
	const uint8_t *q = *p;

	if (end - q < PGX_MD_L3_ROW_MIN)
		return false;
	o->side = q[0];
	o->level = pgx_get_u32(q + 1);
	o->price = (int64_t)pgx_get_u64(q + 5);
	o->order_id = (int64_t)pgx_get_u64(q + 13);
	o->qty = (int64_t)pgx_get_u64(q + 21);
	o->entered_ts = (int64_t)pgx_get_u64(q + 29);
	q += 37;
	if (!pgx_take_str(&q, end, &o->account))
		return false;
	*p = q;
	return o->side == PGX_SIDE_BUY || o->side == PGX_SIDE_SELL;
}

static inline bool
pgx_decode_md_candle(const uint8_t **p, const uint8_t *end, pgx_md_candle *c)
{
	int64_t *v[8] = {&c->bucket_ts, &c->open,   &c->high,   &c->low,
	                 &c->close,     &c->volume, &c->trades, &c->notional_hi};
	const uint8_t *q = *p;

	if (end - q < PGX_MD_CANDLE_ROW)
		return false;
	for (int i = 0; i < 8; i++)
		*v[i] = (int64_t)pgx_get_u64(q + 8 * i);
	c->notional_lo = pgx_get_u64(q + 64);
	*p = q + PGX_MD_CANDLE_ROW;
	return true;
}

#endif /* EXCHANGE_WIRE_H */
