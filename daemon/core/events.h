/*
 * events.h - what comes out of the matching core.
 *
 * Each command produces zero or more events, written to a caller-provided
 * sink in order.  Every event carries the command's seq and a per-command
 * index idx (0, 1, 2, ...), so (seq, idx) totally orders the whole output
 * stream; this is what the output sequencer journals.  Like commands, events
 * are fixed-size plain structs without implicit padding, so two runs can be
 * compared with memcmp and journaled as raw bytes.
 */
#ifndef MC_EVENTS_H
#define MC_EVENTS_H

#include <stdint.h>

enum mc_event_kind
{
	MC_EV_ACCEPTED = 1, /* the order (or its remainder) now rests in the book */
	MC_EV_REJECTED = 2, /* the command did nothing; reason says why */
	MC_EV_TRADE = 3,    /* one maker fill; both sides' executions */
	MC_EV_CANCELED = 4, /* open quantity removed; reason says why */
	MC_EV_AMENDED = 5,  /* price/quantity changed; flags tell about priority */
	MC_EV_EXPIRED = 6,  /* a day order removed at the close, or a GTD order */
	MC_EV_SESSION = 7,  /* a symbol's status changed; flags = new mc_status */
	MC_EV_TRIGGERED = 8 /* a stop order's trigger was reached: it enters now */
};

/*
 * Reason codes.  Values below 32 explain a rejection (nothing changed); values
 * from 32 explain why open quantity was canceled or expired.  They are stable
 * numbers because they are journaled.
 */
enum mc_reason
{
	MC_R_NONE = 0,
	MC_R_UNKNOWN_SYMBOL = 1,
	MC_R_SESSION_CLOSED = 2,
	MC_R_HALTED = 3,
	MC_R_BAD_SIDE = 4,
	MC_R_BAD_TYPE = 5,
	MC_R_BAD_TIF = 6, /* also: market orders must be IOC or FOK */
	MC_R_BAD_PRICE = 7,
	MC_R_BAD_QTY = 8,
	MC_R_BAD_ORDER_ID = 9, /* order id 0 is reserved */
	MC_R_DUPLICATE_ID = 10,
	MC_R_UNKNOWN_ORDER = 11, /* not resting (never existed, filled or gone) */
	MC_R_NOT_OWNER = 12,
	MC_R_ORDER_POOL_FULL = 13,
	MC_R_LEVEL_POOL_FULL = 14,
	MC_R_SYMBOL_ORDER_LIMIT = 15,
	MC_R_SYMBOL_LEVEL_LIMIT = 16,
	MC_R_BAD_SESSION_OP = 17, /* unknown op or not valid in this status */
	MC_R_BAD_COMMAND = 18,
	MC_R_SYMBOL_EXISTS = 19, /* mc_engine_add_symbol only */
	/* a post-only order (or an amend of one) whose price would cross */
	MC_R_POST_ONLY_WOULD_CROSS = 20,
	/* GTD without an expire_time after the command, or one on another tif */
	MC_R_BAD_EXPIRE_TIME = 21,
	/* MC_CMD_EXPIRE of an order that is not GTD or whose time has not come */
	MC_R_NOT_EXPIRED = 22,
	/* a stop type without a stop price in range, or another type with one */
	MC_R_BAD_STOP_PRICE = 23,
	/* a stop whose stop price the last trade price has reached already */
	MC_R_STOP_WOULD_TRIGGER = 24,

	MC_R_USER_CANCEL = 32,
	MC_R_IOC_REMAINDER = 33,
	MC_R_MARKET_REMAINDER = 34,
	MC_R_NO_LIQUIDITY = 35, /* market order against an empty side */
	MC_R_FOK_NOT_FILLABLE = 36,
	MC_R_STP_CANCEL_OLDEST = 37, /* resting order canceled by self-trade prevention */
	MC_R_STP_CANCEL_NEWEST =
	    38, /* incoming remainder canceled by self-trade prevention */
	MC_R_DAY_EXPIRED = 39,
	MC_R_GTD_EXPIRED = 40,   /* a GTD order removed by MC_CMD_EXPIRE */
	MC_R_STOP_NO_LEVEL = 41, /* a triggered stop-limit's rest found no level slot */

	/* Refusals of the order manager (daemon/pipeline/om_*.c), never produced by the
	 * core: they share the numbering so that a rejection journals the same
	 * way whoever decided it. */
	MC_R_MARKET_CLOSED = 64,
	MC_R_SYMBOL_HALTED = 65,
	MC_R_KYC_NOT_VERIFIED = 66,
	MC_R_ACCOUNT_SUSPENDED = 67,
	MC_R_INSUFFICIENT_FUNDS = 68,
	MC_R_INSUFFICIENT_SHARES = 69,
	MC_R_MAX_ORDER_QUANTITY = 70,
	MC_R_MAX_ORDER_NOTIONAL = 71,
	MC_R_MAX_DAILY_NOTIONAL = 72,
	MC_R_MAX_OPEN_ORDERS = 73,
	MC_R_PRICE_BAND = 74,
	MC_R_NO_COLLAR = 75,
	/* the account already used the client order id this trading day */
	MC_R_DUPLICATE_CLORDID = 76
};

/* MC_EV_AMENDED flags */
#define MC_EVF_PRIORITY_KEPT 0x01 /* quantity down: same place in the queue */
#define MC_EVF_PRIORITY_LOST 0x02 /* price change or quantity up: last at its level */
/* A stop order waiting in the stop book, invisible, until it triggers: set on
 * every event about it while it waits (ACCEPTED, AMENDED, CANCELED, EXPIRED),
 * so that whoever keeps a book from the events knows to leave it alone */
#define MC_EVF_STOP 0x04

/*
 * One event.  Fields by kind (unused fields are zero):
 *   all:      seq, idx, timestamp (of the command), symbol
 *   ACCEPTED: order_id, account, side, price, qty (original), leaves (resting)
 *   REJECTED: order_id, account, side, price, qty as given; reason
 *   TRADE:    order_id/account/side = taker, maker_order_id/maker_account,
 *             price = maker's price, qty = traded, leaves = taker remaining,
 *             maker_leaves = maker remaining
 *   CANCELED: order_id, account, side, price, qty = quantity canceled, reason
 *   AMENDED:  order_id, account, side, price/qty = new price and remaining,
 *             leaves = remaining, flags = MC_EVF_PRIORITY_*
 *   EXPIRED:  like CANCELED, reason MC_R_DAY_EXPIRED or MC_R_GTD_EXPIRED
 *   SESSION:  flags = new mc_status
 *   TRIGGERED: order_id, account, side, price = the stop price, qty = leaves =
 *             what enters; its trades, rest or cancel follow
 */
typedef struct mc_event
{
	uint64_t seq;
	uint64_t timestamp;
	uint64_t order_id;
	uint64_t maker_order_id;
	int64_t price;
	int64_t qty;
	int64_t leaves;
	int64_t maker_leaves;
	uint32_t idx;
	uint32_t symbol;
	uint32_t account;
	uint32_t maker_account;
	uint8_t kind;
	uint8_t reason;
	uint8_t side;
	uint8_t flags;
	uint32_t pad;
} mc_event;

_Static_assert(sizeof(mc_event) == 88, "mc_event must stay fixed-size");

/*
 * Where events go.  The core appends to buf; when buf is full it calls flush
 * (if set) with everything so far and starts again at buf[0].  Without flush,
 * events past cap are counted in dropped (a caller bug: size the buffer for
 * the worst case or give a flush).  After a command, buf[0..n) holds its
 * events (or those since the last flush); the caller resets n.
 */
typedef struct mc_sink
{
	mc_event *buf;
	uint32_t cap;
	uint32_t n;
	uint64_t dropped;
	void (*flush)(void *ctx, const mc_event *ev, uint32_t n);
	void *ctx;
} mc_sink;

/* Stable names for logs and tests ("UNKNOWN_SYMBOL", "TRADE", ...). */
const char *mc_reason_name(int reason);
const char *mc_event_kind_name(int kind);

#endif
