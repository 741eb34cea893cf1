/*
 * commands.h - what goes into the matching core.
 *
 * Every state change of the core arrives as one mc_command, already stamped by
 * the sequencer (seq, timestamp, order id).  The struct is fixed-size, has no
 * pointers and no implicit padding, so the daemon can journal it as raw bytes
 * and replay it later: replaying the same commands gives the same events.
 */
#ifndef MC_COMMANDS_H
#define MC_COMMANDS_H

#include <stdint.h>

/* Client order ids are opaque to the core; a fixed array keeps the command
 * plain (no pointers) so it can be journaled byte for byte. */
#define MC_CLORDID_LEN 16

/* Upper bounds keep every sum in int64 without overflow checks on the hot
 * path: 2^32 orders of at most 1e9 shares fit in a level total. */
#define MC_MAX_QTY   1000000000LL
#define MC_MAX_PRICE 1000000000000000LL

/* Enumerations are stored as uint8_t in the structs (fixed size on every
 * ABI); zero is never valid so an all-zero command is always rejected. */
enum mc_side
{
	MC_BUY = 1,
	MC_SELL = 2
};

enum mc_order_type
{
	MC_LIMIT = 1,
	MC_MARKET = 2,
	/* rest invisibly until the last trade price reaches stop_price, then
	 * enter as a market order (MC_STOP, IOC or FOK) or a limit order at
	 * price (MC_STOP_LIMIT, any time in force) */
	MC_STOP = 3,
	MC_STOP_LIMIT = 4
};

enum mc_tif
{
	MC_DAY = 1, /* rests until canceled or the session closes */
	MC_GTC = 2, /* rests until canceled; survives the close */
	MC_IOC = 3, /* trades what it can now, the rest is canceled */
	MC_FOK = 4, /* trades fully now or not at all */
	/* good till date: rests like GTC until its expire_time; the sequencer then
	 * sends MC_CMD_EXPIRE for it (the core never reads a clock) */
	MC_GTD = 5
};

enum mc_cmd_kind
{
	MC_CMD_NEW = 1,
	MC_CMD_CANCEL = 2,
	MC_CMD_AMEND = 3,
	MC_CMD_SESSION = 4,
	MC_CMD_EXPIRE = 5 /* a GTD order whose expire_time has come (sequencer) */
};

/* mc_command.flags */
#define MC_CMDF_POST_ONLY 0x01 /* NEW: never takes liquidity (rejected if it would) */

enum mc_session_op
{
	MC_SESSION_OPEN = 1,
	MC_SESSION_CLOSE = 2, /* day orders expire */
	MC_SESSION_HALT = 3,  /* new orders and amends rejected, cancels allowed */
	MC_SESSION_RESUME = 4
};

/* A symbol's trading status; a symbol starts closed. */
enum mc_status
{
	MC_STATUS_CLOSED = 0,
	MC_STATUS_OPEN = 1,
	MC_STATUS_HALTED = 2
};

/*
 * One sequenced command.  Which fields matter depends on kind:
 *   NEW:     order_id (assigned by the sequencer, never 0), symbol, account,
 *            side, type, tif, price (limit only, ticks), qty, client_order_id
 *   CANCEL:  order_id, account (must own the order)
 *   AMEND:   order_id, account, price (new limit price), qty (new remaining
 *            quantity, i.e. what is still open, not the original size)
 *   SESSION: symbol, session (an mc_session_op)
 *   EXPIRE:  order_id; the command's timestamp must be at or after the
 *            order's expire_time (injected by the sequencer, never a client)
 * NEW also uses flags (MC_CMDF_POST_ONLY), for tif GTD only expire_time
 * (sequencer microseconds, after the command's timestamp) and, for the stop
 * types only, stop_price (ticks).  An AMEND of a stop that has not triggered
 * changes its quantity and (stop-limit) its limit price; price 0 for a stop.
 * seq and timestamp are always set by the sequencer and copied to every event.
 */
typedef struct mc_command
{
	uint64_t seq;
	uint64_t timestamp; /* sequencer time; the core has no clock */
	uint64_t order_id;
	int64_t price; /* ticks */
	int64_t qty;   /* shares */
	uint32_t symbol;
	uint32_t account;
	uint8_t kind;
	uint8_t side;
	uint8_t type;
	uint8_t tif;
	uint8_t session;
	uint8_t flags;  /* MC_CMDF_* */
	uint8_t pad[2]; /* keep zero: the journal stores the raw bytes */
	char client_order_id[MC_CLORDID_LEN];
	uint64_t expire_time; /* GTD only: when the order expires (sequencer time) */
	int64_t stop_price;   /* MC_STOP, MC_STOP_LIMIT only: the trigger (ticks) */
} mc_command;

_Static_assert(sizeof(mc_command) == 88, "mc_command must stay fixed-size");

#endif
