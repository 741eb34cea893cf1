/*
 * engine.h - the matching core's public API.
 *
 * The engine holds the books of many symbols and applies sequenced commands
 * to them, writing events to a sink.  It is pure: no I/O, no clock (time
 * arrives inside commands), no randomness, and no memory allocation after
 * mc_engine_create / mc_engine_add_symbol.  Applying the same commands to two
 * engines created with the same configuration yields byte-identical events
 * and equal state hashes; that is what journal replay and failover rely on.
 *
 * Not thread-safe by design: one engine belongs to one thread (the daemon's
 * single writer), which is what makes its output deterministic.
 */
#ifndef MC_ENGINE_H
#define MC_ENGINE_H

#include <stdint.h>

#include "alloc.h"
#include "commands.h"
#include "events.h"

typedef struct mc_engine mc_engine;

/* Self-trade prevention: what happens when an incoming order would trade
 * with a resting order of the same account. */
enum mc_stp_policy
{
	MC_STP_CANCEL_OLDEST = 1, /* cancel the resting order, keep matching */
	MC_STP_CANCEL_NEWEST = 2  /* cancel the incoming remainder, stop */
};

typedef struct mc_engine_config
{
	uint32_t max_symbols;          /* symbol ids are 0 .. max_symbols - 1 */
	uint32_t max_orders;           /* resting orders, all symbols together */
	uint32_t max_levels;           /* price levels, all symbols and sides together */
	const mc_allocator *allocator; /* NULL: calloc/free */
} mc_engine_config;

typedef struct mc_symbol_config
{
	uint8_t stp;         /* mc_stp_policy; 0 means cancel oldest */
	uint32_t max_orders; /* resting orders of this symbol; 0 = engine limit */
	uint32_t max_levels; /* levels per side; 0 = engine limit (sizes arrays) */
	/* Ticks around the first price seen that get O(1) level lookup (rounded
	 * up to a power of two, at most 2^18; 0 = 4096).  Prices outside still
	 * work, through a sorted array.  Speed only: never changes results. */
	uint32_t price_window;
} mc_symbol_config;

/* Best bid and ask; a missing side has price 0, qty 0, count 0. */
typedef struct mc_l1
{
	int64_t bid_price;
	int64_t bid_qty;
	int64_t ask_price;
	int64_t ask_qty;
	uint32_t bid_count;
	uint32_t ask_count;
} mc_l1;

typedef struct mc_level_info
{
	int64_t price;
	int64_t qty; /* total open quantity */
	uint32_t count;
	uint32_t pad;
} mc_level_info;

typedef struct mc_order_info
{
	uint64_t id;
	uint64_t timestamp;
	int64_t price;
	int64_t qty;
	int64_t leaves;
	int64_t filled;
	uint32_t symbol;
	uint32_t account;
	uint8_t side;
	uint8_t type;
	uint8_t tif;
	uint8_t flags; /* MC_CMDF_POST_ONLY */
	uint32_t tag;  /* mc_engine_order only (0 elsewhere): the order's tag */
	char client_order_id[MC_CLORDID_LEN];
	uint64_t expire_time; /* GTD only, else 0 */
	int64_t stop_price;   /* stop types only, else 0 */
	uint8_t waiting;      /* a stop that has not triggered (never in L2/L3) */
	uint8_t pad2[7];
} mc_order_info;

/* Allocates pools and the order index.  NULL if memory is short or the
 * configuration is empty. */
mc_engine *mc_engine_create(const mc_engine_config *cfg);
void mc_engine_destroy(mc_engine *e);

/*
 * Adds a symbol (status closed).  Allocates its two level arrays, so it
 * belongs to start-up or to a rare administrative step, never the hot path.
 * Returns MC_R_NONE, MC_R_UNKNOWN_SYMBOL (id out of range), MC_R_SYMBOL_EXISTS
 * or MC_R_BAD_COMMAND (bad config / no memory).
 */
int mc_engine_add_symbol(mc_engine *e, uint32_t symbol, const mc_symbol_config *cfg);

/* Applies one command; its events are appended to sink with (seq, idx). */
void mc_engine_apply(mc_engine *e, const mc_command *cmd, mc_sink *sink);
/*
 * mc_engine_apply, and a new order that rests keeps tag (mc_engine_apply
 * gives 0) for mc_engine_order to return: the order manager's ledger slot, so
 * that it finds its entry without a lookup of its own.  The tag is not state:
 * it is in no event, hash or snapshot (a loaded order's is 0), and it never
 * changes what the core does.
 */
void mc_engine_apply_tagged(mc_engine *e, const mc_command *cmd, uint32_t tag,
                            mc_sink *sink);

/* Queries: read-only, no events.  Return -1 for an unknown symbol. */
int mc_engine_l1(const mc_engine *e, uint32_t symbol, mc_l1 *out);
/* Up to depth levels of one side, best first; returns how many. */
int mc_engine_l2(const mc_engine *e, uint32_t symbol, int side, mc_level_info *out,
                 int depth);
/* Every resting order of one side, best level first and queue order within a
 * level; writes at most cap and returns the total number (may exceed cap). */
int mc_engine_l3(const mc_engine *e, uint32_t symbol, int side, mc_order_info *out,
                 int cap);
/* A resting order by id; 1 if found, 0 otherwise. */
int mc_engine_order(const mc_engine *e, uint64_t order_id, mc_order_info *out);
/* The symbol's mc_status, or -1. */
int mc_engine_status(const mc_engine *e, uint32_t symbol);
/*
 * The GTD order that expires first: smallest expire_time, then smallest id.
 * 1 and *order_id, *expire_time set when a GTD order rests, else 0.  O(1):
 * the sequencer asks after each command and injects MC_CMD_EXPIRE when the
 * time has come.
 */
int mc_engine_next_expiry(const mc_engine *e, uint64_t *order_id, uint64_t *expire_time);
/* Resting orders / levels in use over all symbols (pool occupancy). */
uint32_t mc_engine_order_count(const mc_engine *e);
uint32_t mc_engine_level_count(const mc_engine *e);

/*
 * 64-bit hash of the whole book state in a canonical order (symbols by id,
 * bids then asks, levels best first, orders in queue order; every field that
 * affects future output).  It does not depend on pool slot addresses, so two
 * engines that reached the same state by different histories hash equal;
 * recovery compares it after replay.  The exact byte sequence hashed is
 * described in hash.c.
 */
uint64_t mc_engine_hash(const mc_engine *e);

/*
 * Snapshots (snap.c): the books as bytes, for recovery that starts after a
 * saved state instead of at seq 1.  The bytes cover everything the state hash
 * does - per symbol its status, STP policy and limits, every resting order in
 * queue order with all its fields - and the price window size; they are a
 * function of the state alone (symbols by id, levels worst to best, orders
 * in queue order), not of pool slots or the window's anchor, so equal states
 * give equal bytes.  No I/O, no allocation on save; load allocates only
 * through mc_engine_add_symbol, as start-up does.
 */
#define MC_SNAP_FORMAT 2 /* the core section's own layout version (1 still loads) */

enum mc_snap_status
{
	MC_SNAP_OK = 0,
	MC_SNAP_TRUNCATED = -1, /* the bytes end early */
	MC_SNAP_VERSION = -2,   /* written by another layout version */
	MC_SNAP_MALFORMED = -3, /* a value out of range, out of order, or trailing bytes */
	MC_SNAP_CAPACITY = -4,  /* does not fit this engine's pools or symbol ids */
	MC_SNAP_NOT_EMPTY = -5, /* load needs an engine without symbols */
	MC_SNAP_DUPLICATE = -6, /* an order id appears twice */
	MC_SNAP_NO_MEMORY = -7
};

/* Writes the books into buf when they fit in cap; returns the size they need
 * (call with buf NULL, cap 0 to measure). */
size_t mc_engine_save(const mc_engine *e, uint8_t *buf, size_t cap);
/* The same in an older format (1), to compare with a section saved in it;
 * 0 when that format cannot hold the state (post-only, GTD, stops). */
size_t mc_engine_save_format(const mc_engine *e, uint8_t *buf, size_t cap,
                             uint32_t format);
/*
 * Loads books saved by mc_engine_save into e, which must have no symbols and
 * no orders.  Everything is validated before anything changes; on any error
 * e is left as it was (empty).  Returns MC_SNAP_OK or an mc_snap_status.
 */
int mc_engine_load(mc_engine *e, const uint8_t *buf, size_t len);
const char *mc_snap_error(int status);

#endif
