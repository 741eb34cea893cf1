/*
 * fixorder.h - the FIX 4.4 application messages of order entry, pure:
 * decoding NewOrderSingle(D), OrderCancelRequest(F),
 * OrderCancelReplaceRequest(G) and OrderStatusRequest(H) into what a request
 * of include/exchange_wire.h needs, and encoding ExecutionReport(8) and
 * OrderCancelReject(9) from the event data.
 *
 * Contract of fixo_decode: either the message is valid for the profile and
 * *o is filled (strings point into the message), or *r says precisely why
 * not and how to answer:
 *   - FIXO_REJ_SESSION: a Reject(3), r->reason a SessionRejectReason, r->tag
 *     the tag (a required tag missing, a value that is not of its type, an
 *     enumeration value the profile does not have);
 *   - FIXO_REJ_ORDER: an ExecutionReport(8) ExecType=8 OrdStatus=8 with
 *     OrdRejReason(103) r->reason (D: the order's own rules, as the SQL
 *     function submit_order checks them, with its SQLSTATE and text);
 *   - FIXO_REJ_CANCEL: an OrderCancelReject(9) with CxlRejReason(102)
 *     r->reason (F, G).
 * Nothing else happens on a refusal.  Prices are decimal strings converted
 * exactly to ticks of the symbol's tick size (given by the caller's lookup as
 * an integer at a decimal scale: 0.01 is {1, 2}); a price off the tick grid
 * or with more decimals than the grid is refused, never rounded.
 *
 * OrderQty of a replace is the order's new total quantity (FIX); matchd's
 * amend takes the new open quantity: fixo_amend_record subtracts what the
 * caller knows is filled.
 *
 * The order types of extension 1.9 and the options of 1.8 (docs/fix.md):
 * OrdType 3 (stop) and 4 (stop limit) with StopPx(99), ExecInst(18) 6
 * (participate don't initiate) as post-only, TimeInForce 6 (good till date)
 * with ExpireTime(126).  matchd takes the stop price, the post-only flag and
 * the expire time in the new order's detail (a flat JSON object,
 * fixo_new_detail), as the extension's submit_order sends them.
 *
 * The events of the order-event stream become ExecutionReports through
 * fixo_state (what the gateway knows of one of its orders) and
 * fixo_on_event, so that the mapping is pure and tested apart from the
 * daemon.  A stop's trigger is reported as ExecType D (Restated) with
 * ExecRestatementReason(378) 8: FIX 4.4 has no ExecType for it (the
 * "Triggered or activated by system" value L is FIX 5.0 SP1; QuickFIX's
 * FIX44.xml lists 150 only up to I), and a counterparty that validates
 * with the FIX 4.4 dictionary would reject every report carrying L.
 */
#ifndef FIX_FIXORDER_H
#define FIX_FIXORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "exchange_wire.h"
#include "fixmsg.h"

#define FIXO_CLORDID_MAX 16           /* bytes: the matching core's field (as SQL) */
#define FIXO_ACCOUNT_MAX 64           /* bytes */
#define FIXO_SYMBOL_MAX  32           /* bytes */
#define FIXO_MAX_QTY     1000000000LL /* as the extension's EXCHANGE_MAX_QUANTITY */
/* UTCTimestamps are microseconds since 1970; the journal's (expire_time,
 * ts) since 2000-01-01 UTC, as PostgreSQL's timestamptz */
#define FIXO_PG_EPOCH_US 946684800000000LL
/* ExecID(17): unique per session - the journal record's (seq, idx), and which
 * side of a trade it reports (a trade between two orders of one session gives
 * each its own ExecID) */
#define FIXO_EXEC_ID(seq, idx, maker)                                                    \
	((((int64_t)(seq)) * 20000 + (int64_t)(idx)) * 2 + (maker))
/* ExecRestatementReason(378) 8, market (exchange) option: a stop's trigger */
#define FIXO_RESTATED_TRIGGERED 8

/* OrdRejReason(103) and CxlRejReason(102), FIX 4.4 values */
enum
{
	FIXO_ORR_BROKER = 0,
	FIXO_ORR_UNKNOWN_SYMBOL = 1,
	FIXO_ORR_EXCHANGE_CLOSED = 2,
	FIXO_ORR_EXCEEDS_LIMIT = 3,
	FIXO_ORR_UNKNOWN_ORDER = 5,
	FIXO_ORR_DUPLICATE = 6,
	FIXO_ORR_UNSUPPORTED = 11,
	FIXO_ORR_INCORRECT_QTY = 13,
	FIXO_ORR_UNKNOWN_ACCOUNT = 15,
	FIXO_ORR_OTHER = 99
};
enum
{
	FIXO_CRR_TOO_LATE = 0,
	FIXO_CRR_UNKNOWN_ORDER = 1,
	FIXO_CRR_BROKER = 2,
	FIXO_CRR_DUPLICATE_CLORDID = 6,
	FIXO_CRR_OTHER = 99
};

typedef enum fixo_rej_kind
{
	FIXO_REJ_NONE = 0,
	FIXO_REJ_SESSION,
	FIXO_REJ_ORDER,
	FIXO_REJ_CANCEL
} fixo_rej_kind;

typedef struct fixo_reject
{
	fixo_rej_kind kind;
	int reason;           /* 373, 103 or 102 by kind */
	int tag;              /* the tag concerned, 0 when none */
	const char *sqlstate; /* the SQL API's SQLSTATE for the same refusal, or NULL */
	char text[160];
} fixo_reject;

/* A symbol's price grid: tick size = units * 10^-scale (units > 0, scale 0..9). */
typedef struct fixo_tick
{
	int64_t units;
	int scale;
} fixo_tick;

/* The symbols the caller knows: false when sym is not one. */
typedef bool (*fixo_tick_lookup)(void *ctx, const char *sym, size_t len, fixo_tick *out);

typedef struct fixo_order
{
	char msgtype; /* 'D', 'F', 'G', 'H' */
	pgx_str clordid, orig_clordid, account, symbol;
	int64_t order_id;                  /* OrderID(37) as matchd's id; 0 when absent */
	uint8_t side;                      /* PGX_SIDE_* */
	uint8_t order_type, time_in_force; /* PGX_TYPE_*, PGX_TIF_* (D, G) */
	int64_t quantity;                  /* OrderQty (D, G) */
	bool has_price;
	int64_t price; /* ticks */
	bool has_stop_px;
	int64_t stop_px;       /* StopPx(99), ticks (D, G: order types stop, stop_limit) */
	bool post_only;        /* ExecInst(18) has 6 (D, G) */
	bool has_expire;       /* ExpireTime(126) (D, G: time in force gtd) */
	int64_t expire_us;     /* us since 1970 */
	int64_t transact_time; /* us since 1970 (D, F, G) */
	fixo_tick tick;
} fixo_order;

/* Decodes an application message of the four types (others: false with
 * FIXO_REJ_NONE, for a BusinessMessageReject by the caller). */
bool fixo_decode(const fix_msg *m, fixo_tick_lookup lookup, void *ctx, fixo_order *o,
                 fixo_reject *r);

/* What fixo_decode cannot check without a clock: a D's ExpireTime must be
 * after now_us (us since 1970), as submit_order requires of expire_time;
 * false with *r (ER rej) when it is not. */
bool fixo_check_expire(const fixo_order *o, int64_t now_us, fixo_reject *r);

/* The request records, as the extension's submit_order, cancel_order and
 * amend_order build them (strings point into the order's message). */
void fixo_new_record(const fixo_order *o, pgx_record *rec);
/* The new order's detail in buf: {"fix_session": session} and the options
 * that apply, as submit_order writes them ("post_only": true,
 * "expire_time": us since 2000, "stop_price": ticks).  Returns its length,
 * or 0 when it does not fit or session is not a plain CompID (letters,
 * digits, _ . -; nothing to escape). */
size_t fixo_new_detail(const fixo_order *o, const char *session, char *buf, size_t cap);
/* F (needs the order id: o->order_id, or the id the caller found for
 * OrigClOrdID): false without one. */
bool fixo_cancel_record(const fixo_order *o, int64_t order_id, pgx_record *rec);
/* G: new open quantity = OrderQty - filled; false with *r (cancel reject)
 * when that is not positive. */
bool fixo_amend_record(const fixo_order *o, int64_t order_id, int64_t filled,
                       pgx_record *rec, fixo_reject *r);

/* ---- outgoing ------------------------------------------------------------------------
 */

/* What an ExecutionReport tells (strings need not be terminated). */
typedef struct fixo_exec
{
	char exec_type;   /* 150: '0' new, 'F' trade, '4' canceled, '5' replaced,
	                     '8' rejected, 'C' expired, 'I' order status */
	char ord_status;  /* 39 */
	int64_t order_id; /* 37; 0: "NONE" (a rejected order never had one) */
	int64_t exec_id;  /* 17 */
	pgx_str clordid, orig_clordid, account, symbol;
	uint8_t side;
	int64_t order_qty, cum_qty, leaves_qty;
	int64_t px_qty; /* sum of price (ticks) * quantity of the fills, for AvgPx */
	int64_t last_px, last_qty; /* ticks, shares (trades only: last_qty > 0) */
	bool has_price;
	int64_t price; /* ticks */
	fixo_tick tick;
	int ord_rej_reason; /* 103 when >= 0 */
	const char *text;   /* 58 or NULL */
	int64_t transact_time;
	/* what the order is, echoed (0/false: not written) */
	char ord_type; /* 40 */
	char tif;      /* 59 */
	bool has_stop_px;
	int64_t stop_px;        /* 99, ticks */
	bool post_only;         /* 18=6 */
	int64_t expire_us;      /* 126 when > 0, us since 1970 */
	int restatement_reason; /* 378 when > 0 (only with exec_type 'D') */
} fixo_exec;

/* OrdType(40) and TimeInForce(59) of the wire's order type and time in
 * force; 0 for none. */
char fixo_ord_type_char(int pgx_type);
char fixo_tif_char(int pgx_tif);

/* The order status of an exchange_wire status and cumulative quantity. */
char fixo_ord_status(int pgx_status, int64_t cum_qty);

/* Adds the body of an ExecutionReport to b (begun as "8"); false when a value
 * cannot be written (a price that overflows at the grid's scale). */
bool fixo_exec_report(fix_builder *b, const fixo_exec *e);
/* The body of an OrderCancelReject(9). */
void fixo_cancel_reject(fix_builder *b, int64_t order_id, pgx_str clordid,
                        pgx_str orig_clordid, char ord_status, char response_to,
                        int reason, const char *text);

/* Ticks as the grid's decimal text (scale decimals); 0 on overflow. */
size_t fixo_format_price(char *buf, int64_t ticks, fixo_tick tick);
/* A Price field as ticks: FIX_V_OK, FIX_V_FORMAT, FIX_V_RANGE, FIX_V_PRECISION
 * (more decimals than the grid's scale or not a whole number of ticks). */
int fixo_parse_price(const fix_field *f, fixo_tick tick, int64_t *ticks);

/* The rejection answer for a refusal of the order manager (an SQLSTATE of
 * exchange_wire.h): OrdRejReason. */
int fixo_ord_rej_reason(const char *sqlstate);

/* ---- the gateway's orders and the order-event stream -------------------------------
 */

/* What the gateway knows of one order it entered (strings terminated). */
typedef struct fixo_state
{
	int64_t id; /* matchd's order id; 0 until acknowledged */
	char clordid[FIXO_CLORDID_MAX + 1];
	char account[FIXO_ACCOUNT_MAX + 1];
	char symbol[FIXO_SYMBOL_MAX + 1];
	uint8_t side, type, tif; /* PGX_SIDE_*, PGX_TYPE_*, PGX_TIF_* */
	bool open;
	bool has_price;
	int64_t price;      /* the limit, ticks */
	int64_t stop_price; /* ticks; 0: not a stop */
	bool waiting;       /* a stop whose trigger has not been reached */
	bool post_only;
	int64_t expire_us; /* gtd: us since 1970; 0: none */
	int64_t qty, cum, leaves, px_qty;
	fixo_tick tick;
} fixo_state;

/* The state of a NewOrderSingle just decoded (not yet acknowledged). */
void fixo_state_init(fixo_state *s, const fixo_order *o);
/* An ExecutionReport of s as it stands (ExecType exec_type; OrdStatus from
 * its state: 0/1 open, 2 filled, 4 canceled). */
void fixo_exec_of(const fixo_state *s, char exec_type, int64_t exec_id, int64_t now_us,
                  fixo_exec *e);
/*
 * One record of the order-event stream that names s (its order_id, or its
 * contra_order_id for a trade in which it is the maker), applied to s.
 * true with *e when the session gets an ExecutionReport for it:
 *   trade -> F with LastQty/LastPx (the order closes when nothing remains);
 *   triggered -> D (Restated, 378=8): the stop left the stop book and entered
 *     as a market or limit order, its trades and rest or cancel follow;
 *   canceled -> 4, expired -> C, with the reason as Text (text, textcap).
 * false for what needs no report: accepted (the New went out with the
 * answer to the request; the second accepted of a triggered stop-limit that
 * rests is its rest, which the Restated report already told), amended (the
 * answer to the replace reports it), and records about other orders or a
 * closed one.
 */
bool fixo_on_event(fixo_state *s, const pgx_record *r, int64_t now_us, fixo_exec *e,
                   char *text, size_t textcap);

#endif
