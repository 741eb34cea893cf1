/*
 * exchange_feed.h
 *		The market-data feed: journal records as book increments, and their
 *		binary encoding in MoldUDP64 packets (docs/market-data-feed.md).
 *
 * Three layers, each usable without the next:
 *
 *	1. pgx_feed_from_record(): one journal record (exchange_wire.h) -> at most
 *	   one pgx_feed_msg, a plain struct.  This is THE translation of events into
 *	   public book increments (add, execute, replace, delete, status); matchd
 *	   sends it as binary, the extension may publish the same structs as JSON.
 *	2. pgx_feed_encode() / pgx_feed_decode(): one message as a MoldUDP64
 *	   message block (length u16, then the message), big-endian like ITCH.
 *	3. pgx_feed_encode_header() / pgx_feed_decode_header(): the MoldUDP64
 *	   packet header (session, sequence number of the first message, count).
 *
 * Like exchange_wire.h this is plain C11 without allocation or stdio, so it
 * compiles in the daemon and in a PostgreSQL backend alike.
 *
 * The translation is stateless: every record carries what its message needs,
 * and an order's later messages name it by id only (the subscriber knows its
 * symbol, side and price from its add).  Records that do not change a public
 * book translate to nothing: commands (idx 0), rejections, the answers to
 * reference data, and cancels of an incoming order's remainder that never
 * rested (ioc_remainder, market_remainder, no_liquidity, fok_not_fillable).
 */
#ifndef EXCHANGE_FEED_H
#define EXCHANGE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exchange_wire.h"

#define PGX_FEED_SESSION_LEN 10      /* MoldUDP64: ten ASCII bytes */
#define PGX_FEED_HEADER      20      /* session, sequence u64, count u16 */
#define PGX_FEED_SYMBOL_LEN  16      /* NUL-padded; the SQL allows 1..16 bytes */
#define PGX_FEED_COUNT_END   0xFFFFu /* count of the end-of-session packet */
#define PGX_FEED_COUNT_MAX   0xFFFEu /* messages in one packet at most */
/* Bytes before a message's own fields: length u16, type, journal seq, idx, ts. */
#define PGX_FEED_COMMON (2 + 1 + 8 + 4 + 8)
/* The largest message block (an execution), length field included. */
#define PGX_FEED_BLOCK_MAX (PGX_FEED_COMMON + 6 * 8 + 1 + PGX_FEED_SYMBOL_LEN)
/* Largest UDP payload over IPv4 (65535 - 20 - 8). */
#define PGX_FEED_PACKET_MAX 65507

/* Message types: ASCII letters, as in ITCH. */
enum
{
	PGX_FEED_SYSTEM = 'S',  /* the feed itself: session start, batch end, session end */
	PGX_FEED_STATUS = 'H',  /* a symbol's session: open, closed, halted */
	PGX_FEED_ADD = 'A',     /* an order rests (or its remainder does) */
	PGX_FEED_EXECUTE = 'E', /* a trade: the resting order executed */
	PGX_FEED_REPLACE = 'U', /* an order's price or quantity changed */
	PGX_FEED_DELETE = 'D'   /* an order left the book: canceled or expired */
};

/* PGX_FEED_SYSTEM codes; journal_seq says where the journal stands. */
enum
{
	PGX_FEED_SYS_START = 'O',      /* first message of a session: journal seqs up
	                                * to journal_seq are not on this session */
	PGX_FEED_SYS_CHECKPOINT = 'J', /* the batch ending at journal_seq is complete */
	PGX_FEED_SYS_END = 'C'         /* last message of the session (clean stop) */
};

/* PGX_FEED_STATUS codes */
enum
{
	PGX_FEED_ST_OPEN = 'O',
	PGX_FEED_ST_CLOSED = 'C',
	PGX_FEED_ST_HALTED = 'H'
};

/* PGX_FEED_DELETE reasons */
enum
{
	PGX_FEED_DEL_CANCELED = 'U',   /* the owner canceled it */
	PGX_FEED_DEL_STP_OLDEST = 'S', /* self-trade prevention: the resting order */
	PGX_FEED_DEL_STP_NEWEST = 'N', /* self-trade prevention: the aggressor's rest */
	PGX_FEED_DEL_EXPIRED = 'X',    /* a day order at the close */
	PGX_FEED_DEL_OTHER = '?'       /* a reason this version does not name */
};

/* PGX_FEED_REPLACE flags */
#define PGX_FEED_KEEPS_PRIORITY                                                          \
	0x01 /* quantity down in place; else last at its level                               \
	      */

/* Wire sides */
#define PGX_FEED_BUY  'B'
#define PGX_FEED_SELL 'S'

/*
 * One feed message.  Every message carries the journal position of what it
 * came from (seq, idx of the record; ts of its command, microseconds since
 * 2000-01-01 UTC), so a subscriber holding a snapshot "as of seq S" applies
 * exactly the messages with journal_seq > S.  Fields by type (others zero):
 *
 *	S: code; journal_seq = the position (see the codes), idx 0
 *	H: symbol, code (PGX_FEED_ST_*)
 *	A: symbol, side, order_id, price, quantity (open quantity resting)
 *	E: symbol, side (the aggressor's), order_id (the resting maker), price
 *	   (the maker's: the trade price), quantity (executed), remaining (the
 *	   maker's open quantity after it, 0 = gone), contra_order_id (the
 *	   aggressor), contra_remaining (the aggressor's open quantity after it:
 *	   a re-priced order trades while it is in the book, so a subscriber that
 *	   holds the aggressor sets it, and drops it at 0)
 *	U: order_id, price, quantity (new open quantity), code (PGX_FEED_KEEPS_
 *	   PRIORITY or 0); symbol and side are filled by the translation but not
 *	   sent
 *	D: order_id, quantity (open quantity removed), code (PGX_FEED_DEL_*);
 *	   symbol and side as for U
 *
 * side is PGX_SIDE_BUY / PGX_SIDE_SELL as in exchange_wire.h; symbol is
 * NUL-padded and not terminated when it is 16 bytes long.
 */
typedef struct pgx_feed_msg
{
	uint8_t type;
	uint8_t side;
	uint8_t code;
	int32_t journal_idx;
	int64_t journal_seq;
	int64_t ts;
	int64_t order_id;
	int64_t price;
	int64_t quantity;
	int64_t remaining;
	int64_t contra_order_id;
	int64_t contra_remaining;
	char symbol[PGX_FEED_SYMBOL_LEN];
} pgx_feed_msg;

/* The MoldUDP64 packet header.  count 0 is a heartbeat (sequence = the next
 * message's), PGX_FEED_COUNT_END the end of the session. */
typedef struct pgx_feed_header
{
	char session[PGX_FEED_SESSION_LEN];
	uint64_t sequence;
	uint16_t count;
} pgx_feed_header;

/* ---- translation ---------------------------------------------------------- */

/* At most this many messages per record (today one; the API allows more). */
#define PGX_FEED_PER_RECORD 1

/* Why a record does not translate (never expected from matchd's journal). */
#define PGX_FEED_EFIELD  (-1) /* a field its kind always carries is NULL */
#define PGX_FEED_ESYMBOL (-2) /* no symbol, or longer than 16 bytes */

static inline bool
pgx_feed_str_is(pgx_str s, const char *text)
{
	size_t n = strlen(text);

	return s.len != PGX_STR_NULL && s.len == n && memcmp(s.ptr, text, n) == 0;
}

static inline bool
pgx_feed_has(const pgx_record *r, int field)
{
	return (r->present >> field) & 1;
}

/* Starts *m from r: journal position, side, symbol; false when the symbol
 * does not fit. */
static inline bool
pgx_feed_init(pgx_feed_msg *m, uint8_t type, const pgx_record *r)
{
	pgx_str sym = r->strs[PGX_S_SYMBOL];

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->journal_seq = r->seq;
	m->journal_idx = r->idx;
	m->ts = r->ts;
	m->side = r->side;
	if (sym.len == PGX_STR_NULL || sym.len == 0 || sym.len > PGX_FEED_SYMBOL_LEN)
		return false;
	memcpy(m->symbol, sym.ptr, sym.len);
	return true;
}

/* Whether every int field in mask is present, and the side is a side. */
static inline bool
pgx_feed_order_fields(const pgx_record *r, unsigned mask)
{
	return (r->present & mask) == mask &&
	       (r->side == PGX_SIDE_BUY || r->side == PGX_SIDE_SELL);
}

#define PGX_FEED_F(f) (1u << (f))

/* The reason of a deletion, from the record's reason text. */
static inline uint8_t
pgx_feed_delete_reason(const pgx_record *r)
{
	pgx_str why = r->strs[PGX_S_REASON];

	if (r->kind == PGX_KIND_EXPIRED)
		return PGX_FEED_DEL_EXPIRED;
	if (pgx_feed_str_is(why, "user_cancel"))
		return PGX_FEED_DEL_CANCELED;
	if (pgx_feed_str_is(why, "stp_cancel_oldest"))
		return PGX_FEED_DEL_STP_OLDEST;
	if (pgx_feed_str_is(why, "stp_cancel_newest"))
		return PGX_FEED_DEL_STP_NEWEST;
	return PGX_FEED_DEL_OTHER;
}

/* Cancels of an incoming order that never rested: no book ever held it. */
static inline bool
pgx_feed_never_rested(const pgx_record *r)
{
	pgx_str why = r->strs[PGX_S_REASON];

	return r->kind == PGX_KIND_CANCELED && (pgx_feed_str_is(why, "ioc_remainder") ||
	                                        pgx_feed_str_is(why, "market_remainder") ||
	                                        pgx_feed_str_is(why, "no_liquidity") ||
	                                        pgx_feed_str_is(why, "fok_not_fillable"));
}

/*
 * Translates one journal record into out[0 .. n) and returns n (0 or 1), or
 * PGX_FEED_EFIELD / PGX_FEED_ESYMBOL.  See docs/market-data-feed.md for why
 * each event maps as it does; in short:
 *	accepted with an order        -> A (the remaining quantity rests)
 *	accepted, no order, reason open/closed/halted -> H (a session change)
 *	trade                         -> E
 *	amended                       -> U (priority_kept: in place)
 *	canceled (once rested), expired -> D
 *	anything about a waiting stop, triggered -> nothing (a triggered stop
 *	                                 shows by its trades and its accepted rest)
 *	anything else                 -> nothing
 */
static inline int
pgx_feed_from_record(const pgx_record *r, pgx_feed_msg *out)
{
	const unsigned order = PGX_FEED_F(PGX_F_ORDER_ID) | PGX_FEED_F(PGX_F_PRICE) |
	                       PGX_FEED_F(PGX_F_REMAINING);
	pgx_feed_msg *m = out;
	pgx_str why = r->strs[PGX_S_REASON];

	if (r->idx < 1)
		return 0; /* a command changes nothing by itself: its events do */
	if (pgx_record_is_waiting_stop(r))
		return 0; /* a stop in the stop book: no book shows it until it triggers */
	switch (r->kind)
	{
		case PGX_KIND_ACCEPTED:
			if (!pgx_feed_has(r, PGX_F_ORDER_ID))
			{
				uint8_t st = pgx_feed_str_is(why, "open")     ? PGX_FEED_ST_OPEN
				             : pgx_feed_str_is(why, "closed") ? PGX_FEED_ST_CLOSED
				             : pgx_feed_str_is(why, "halted") ? PGX_FEED_ST_HALTED
				                                              : 0;

				if (st == 0)
					return 0; /* reference data or an account accepted */
				if (!pgx_feed_init(m, PGX_FEED_STATUS, r))
					return PGX_FEED_ESYMBOL;
				m->code = st;
				return 1;
			}
			if (!pgx_feed_order_fields(r, order))
				return PGX_FEED_EFIELD;
			if (!pgx_feed_init(m, PGX_FEED_ADD, r))
				return PGX_FEED_ESYMBOL;
			m->order_id = r->ints[PGX_F_ORDER_ID];
			m->price = r->ints[PGX_F_PRICE];
			m->quantity = r->ints[PGX_F_REMAINING];
			return 1;
		case PGX_KIND_TRADE:
			if (!pgx_feed_order_fields(r, order | PGX_FEED_F(PGX_F_QUANTITY) |
			                                  PGX_FEED_F(PGX_F_CONTRA_ORDER_ID) |
			                                  PGX_FEED_F(PGX_F_CONTRA_REMAINING)))
				return PGX_FEED_EFIELD;
			if (!pgx_feed_init(m, PGX_FEED_EXECUTE, r))
				return PGX_FEED_ESYMBOL;
			/* the record is the taker's; the book's subject is the maker */
			m->order_id = r->ints[PGX_F_CONTRA_ORDER_ID];
			m->remaining = r->ints[PGX_F_CONTRA_REMAINING];
			m->price = r->ints[PGX_F_PRICE];
			m->quantity = r->ints[PGX_F_QUANTITY];
			m->contra_order_id = r->ints[PGX_F_ORDER_ID];
			m->contra_remaining = r->ints[PGX_F_REMAINING];
			return 1;
		case PGX_KIND_AMENDED:
			if (!pgx_feed_order_fields(r, order))
				return PGX_FEED_EFIELD;
			if (!pgx_feed_init(m, PGX_FEED_REPLACE, r))
				return PGX_FEED_ESYMBOL;
			m->order_id = r->ints[PGX_F_ORDER_ID];
			m->price = r->ints[PGX_F_PRICE];
			m->quantity = r->ints[PGX_F_REMAINING];
			m->code = pgx_feed_str_is(why, "priority_kept") ? PGX_FEED_KEEPS_PRIORITY : 0;
			return 1;
		case PGX_KIND_CANCELED:
		case PGX_KIND_EXPIRED:
			if (pgx_feed_never_rested(r))
				return 0;
			if (!pgx_feed_order_fields(r, PGX_FEED_F(PGX_F_ORDER_ID) |
			                                  PGX_FEED_F(PGX_F_QUANTITY)))
				return PGX_FEED_EFIELD;
			if (!pgx_feed_init(m, PGX_FEED_DELETE, r))
				return PGX_FEED_ESYMBOL;
			m->order_id = r->ints[PGX_F_ORDER_ID];
			m->quantity = r->ints[PGX_F_QUANTITY];
			m->code = pgx_feed_delete_reason(r);
			return 1;
	}
	return 0; /* rejected, and the answers to reference data */
}

/* A system message (not from a record): the feed's own position marks. */
static inline void
pgx_feed_system(pgx_feed_msg *m, uint8_t code, int64_t journal_seq, int64_t ts)
{
	memset(m, 0, sizeof(*m));
	m->type = PGX_FEED_SYSTEM;
	m->code = code;
	m->journal_seq = journal_seq;
	m->ts = ts;
}

/* ---- big-endian primitives (network order, as ITCH and MoldUDP64) ------------ */

static inline void
pgx_feed_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pgx_feed_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void
pgx_feed_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint16_t
pgx_feed_get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
pgx_feed_get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t
pgx_feed_get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- messages ------------------------------------------------------------- */

/* Bytes of a message block of this type, its length field included; 0 for a
 * type this version does not know. */
static inline size_t
pgx_feed_block_size(uint8_t type)
{
	switch (type)
	{
		case PGX_FEED_SYSTEM:
			return PGX_FEED_COMMON + 1;
		case PGX_FEED_STATUS:
			return PGX_FEED_COMMON + PGX_FEED_SYMBOL_LEN + 1;
		case PGX_FEED_ADD:
			return PGX_FEED_COMMON + 8 + 1 + 8 + PGX_FEED_SYMBOL_LEN + 8;
		case PGX_FEED_EXECUTE:
			return PGX_FEED_BLOCK_MAX;
		case PGX_FEED_REPLACE:
			return PGX_FEED_COMMON + 8 + 8 + 8 + 1;
		case PGX_FEED_DELETE:
			return PGX_FEED_COMMON + 8 + 8 + 1;
	}
	return 0;
}

static inline uint8_t
pgx_feed_wire_side(uint8_t side)
{
	return side == PGX_SIDE_BUY ? PGX_FEED_BUY : PGX_FEED_SELL;
}

/*
 * Encodes m as a message block at buf (pgx_feed_block_size(m->type) bytes);
 * returns the bytes written, or 0 for an unknown type.  Layouts (offsets from
 * the type byte; docs/market-data-feed.md has the tables):
 *	common	type u8 | journal_seq u64 | journal_idx u32 | ts u64
 *	S		code u8
 *	H		symbol[16] | code u8
 *	A		order_id u64 | side u8 | quantity u64 | symbol[16] | price i64
 *	E		order_id u64 | quantity u64 | remaining u64 | price i64
 *			| contra_order_id u64 | contra_remaining u64 | side u8 | symbol[16]
 *	U		order_id u64 | price i64 | quantity u64 | code u8
 *	D		order_id u64 | quantity u64 | code u8
 */
static inline size_t
pgx_feed_encode(const pgx_feed_msg *m, uint8_t *buf)
{
	size_t size = pgx_feed_block_size(m->type);
	uint8_t *p = buf + 2;

	if (size == 0)
		return 0;
	pgx_feed_put_u16(buf, (uint16_t)(size - 2));
	*p++ = m->type;
	pgx_feed_put_u64(p, (uint64_t)m->journal_seq);
	pgx_feed_put_u32(p + 8, (uint32_t)m->journal_idx);
	pgx_feed_put_u64(p + 12, (uint64_t)m->ts);
	p += 20;
	switch (m->type)
	{
		case PGX_FEED_SYSTEM:
			*p = m->code;
			break;
		case PGX_FEED_STATUS:
			memcpy(p, m->symbol, PGX_FEED_SYMBOL_LEN);
			p[PGX_FEED_SYMBOL_LEN] = m->code;
			break;
		case PGX_FEED_ADD:
			pgx_feed_put_u64(p, (uint64_t)m->order_id);
			p[8] = pgx_feed_wire_side(m->side);
			pgx_feed_put_u64(p + 9, (uint64_t)m->quantity);
			memcpy(p + 17, m->symbol, PGX_FEED_SYMBOL_LEN);
			pgx_feed_put_u64(p + 17 + PGX_FEED_SYMBOL_LEN, (uint64_t)m->price);
			break;
		case PGX_FEED_EXECUTE:
			pgx_feed_put_u64(p, (uint64_t)m->order_id);
			pgx_feed_put_u64(p + 8, (uint64_t)m->quantity);
			pgx_feed_put_u64(p + 16, (uint64_t)m->remaining);
			pgx_feed_put_u64(p + 24, (uint64_t)m->price);
			pgx_feed_put_u64(p + 32, (uint64_t)m->contra_order_id);
			pgx_feed_put_u64(p + 40, (uint64_t)m->contra_remaining);
			p[48] = pgx_feed_wire_side(m->side);
			memcpy(p + 49, m->symbol, PGX_FEED_SYMBOL_LEN);
			break;
		case PGX_FEED_REPLACE:
			pgx_feed_put_u64(p, (uint64_t)m->order_id);
			pgx_feed_put_u64(p + 8, (uint64_t)m->price);
			pgx_feed_put_u64(p + 16, (uint64_t)m->quantity);
			p[24] = m->code;
			break;
		case PGX_FEED_DELETE:
			pgx_feed_put_u64(p, (uint64_t)m->order_id);
			pgx_feed_put_u64(p + 8, (uint64_t)m->quantity);
			p[16] = m->code;
			break;
	}
	return size;
}

typedef enum pgx_feed_status
{
	PGX_FEED_OK = 0,
	PGX_FEED_SHORT,   /* the block runs past the end of the packet */
	PGX_FEED_UNKNOWN, /* a type this version does not know: skip *used bytes */
	PGX_FEED_LENGTH,  /* a known type with a length that does not match */
	PGX_FEED_VALUE    /* a side or code out of range */
} pgx_feed_status;

/*
 * Whether a wire symbol is one the sender can write: 1 to 16 bytes, then NUL
 * padding only.  Bytes after a NUL would make two books of one name (the
 * subscriber names a symbol by its bytes up to the NUL).
 */
static inline bool
pgx_feed_symbol_ok(const uint8_t *sym)
{
	size_t n = 0;

	while (n < PGX_FEED_SYMBOL_LEN && sym[n] != 0)
		n++;
	if (n == 0)
		return false;
	for (size_t i = n; i < PGX_FEED_SYMBOL_LEN; i++)
		if (sym[i] != 0)
			return false;
	return true;
}

static inline bool
pgx_feed_read_side(uint8_t wire, uint8_t *side)
{
	if (wire != PGX_FEED_BUY && wire != PGX_FEED_SELL)
		return false;
	*side = wire == PGX_FEED_BUY ? PGX_SIDE_BUY : PGX_SIDE_SELL;
	return true;
}

/*
 * Decodes the message block at buf[0 .. avail) into *m and sets *used to the
 * block's length (also for PGX_FEED_UNKNOWN, so that a reader can skip types
 * added later).  U and D come back without symbol and side.  A symbol that
 * is empty or has bytes after its NUL padding, or a quantity (quantity,
 * remaining, contra_remaining) above INT64_MAX, is PGX_FEED_VALUE.
 */
static inline pgx_feed_status
pgx_feed_decode(const uint8_t *buf, size_t avail, pgx_feed_msg *m, size_t *used)
{
	const uint8_t *p = buf + 2;
	size_t size, want;
	bool ok = true;

	if (avail < 2 || (size = 2 + (size_t)pgx_feed_get_u16(buf)) > avail)
		return PGX_FEED_SHORT;
	*used = size;
	if (size < 3)
		return PGX_FEED_LENGTH;
	memset(m, 0, sizeof(*m));
	m->type = *p++;
	if ((want = pgx_feed_block_size(m->type)) == 0)
		return PGX_FEED_UNKNOWN;
	if (size != want)
		return PGX_FEED_LENGTH;
	m->journal_seq = (int64_t)pgx_feed_get_u64(p);
	m->journal_idx = (int32_t)pgx_feed_get_u32(p + 8);
	m->ts = (int64_t)pgx_feed_get_u64(p + 12);
	p += 20;
	switch (m->type)
	{
		case PGX_FEED_SYSTEM:
			m->code = *p;
			ok = m->code == PGX_FEED_SYS_START || m->code == PGX_FEED_SYS_CHECKPOINT ||
			     m->code == PGX_FEED_SYS_END;
			break;
		case PGX_FEED_STATUS:
			memcpy(m->symbol, p, PGX_FEED_SYMBOL_LEN);
			m->code = p[PGX_FEED_SYMBOL_LEN];
			ok = (m->code == PGX_FEED_ST_OPEN || m->code == PGX_FEED_ST_CLOSED ||
			      m->code == PGX_FEED_ST_HALTED) &&
			     pgx_feed_symbol_ok(p);
			break;
		case PGX_FEED_ADD:
			m->order_id = (int64_t)pgx_feed_get_u64(p);
			ok = pgx_feed_read_side(p[8], &m->side);
			m->quantity = (int64_t)pgx_feed_get_u64(p + 9);
			memcpy(m->symbol, p + 17, PGX_FEED_SYMBOL_LEN);
			m->price = (int64_t)pgx_feed_get_u64(p + 17 + PGX_FEED_SYMBOL_LEN);
			ok = ok && pgx_feed_symbol_ok(p + 17);
			break;
		case PGX_FEED_EXECUTE:
			m->order_id = (int64_t)pgx_feed_get_u64(p);
			m->quantity = (int64_t)pgx_feed_get_u64(p + 8);
			m->remaining = (int64_t)pgx_feed_get_u64(p + 16);
			m->price = (int64_t)pgx_feed_get_u64(p + 24);
			m->contra_order_id = (int64_t)pgx_feed_get_u64(p + 32);
			m->contra_remaining = (int64_t)pgx_feed_get_u64(p + 40);
			ok = pgx_feed_read_side(p[48], &m->side) && pgx_feed_symbol_ok(p + 49);
			memcpy(m->symbol, p + 49, PGX_FEED_SYMBOL_LEN);
			break;
		case PGX_FEED_REPLACE:
			m->order_id = (int64_t)pgx_feed_get_u64(p);
			m->price = (int64_t)pgx_feed_get_u64(p + 8);
			m->quantity = (int64_t)pgx_feed_get_u64(p + 16);
			m->code = p[24];
			ok = (m->code & ~PGX_FEED_KEEPS_PRIORITY) == 0;
			break;
		case PGX_FEED_DELETE:
			m->order_id = (int64_t)pgx_feed_get_u64(p);
			m->quantity = (int64_t)pgx_feed_get_u64(p + 8);
			m->code = p[16];
			ok = m->code == PGX_FEED_DEL_CANCELED || m->code == PGX_FEED_DEL_STP_OLDEST ||
			     m->code == PGX_FEED_DEL_STP_NEWEST || m->code == PGX_FEED_DEL_EXPIRED ||
			     m->code == PGX_FEED_DEL_OTHER;
			break;
	}
	/* quantities travel as u64 and are never above INT64_MAX (the core's
	 * are far below): a larger one is no quantity the sender writes */
	if (m->quantity < 0 || m->remaining < 0 || m->contra_remaining < 0)
		ok = false;
	return ok ? PGX_FEED_OK : PGX_FEED_VALUE;
}

/* ---- packets -------------------------------------------------------------- */

static inline void
pgx_feed_encode_header(uint8_t *buf, const pgx_feed_header *h)
{
	memcpy(buf, h->session, PGX_FEED_SESSION_LEN);
	pgx_feed_put_u64(buf + PGX_FEED_SESSION_LEN, h->sequence);
	pgx_feed_put_u16(buf + PGX_FEED_SESSION_LEN + 8, h->count);
}

/*
 * Reads a packet header; false when the packet is shorter than one, or its
 * sequence numbers are impossible: a session numbers messages from 1, and the
 * number after the packet's last message (sequence + count, what a
 * subscriber expects next) must not wrap past 2^64 - 1 (it would take the
 * wrapped numbers as a new start).
 */
static inline bool
pgx_feed_decode_header(const uint8_t *buf, size_t len, pgx_feed_header *h)
{
	uint64_t n;

	if (len < PGX_FEED_HEADER)
		return false;
	memcpy(h->session, buf, PGX_FEED_SESSION_LEN);
	h->sequence = pgx_feed_get_u64(buf + PGX_FEED_SESSION_LEN);
	h->count = pgx_feed_get_u16(buf + PGX_FEED_SESSION_LEN + 8);
	n = h->count == PGX_FEED_COUNT_END ? 0 : h->count;
	return h->sequence >= 1 && h->sequence <= UINT64_MAX - n;
}

#endif /* EXCHANGE_FEED_H */
