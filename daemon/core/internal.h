/*
 * internal.h - engine internals shared by engine.c, match.c and hash.c.
 * Not part of the public API.
 */
#ifndef MC_INTERNAL_H
#define MC_INTERNAL_H

#include "book.h"
#include "engine.h"
#include "index.h"
#include "pool.h"

struct mc_engine
{
	mc_engine_config cfg;
	mc_allocator alloc;
	mc_pool orders;
	mc_pool levels;
	mc_index index;
	mc_book *books; /* max_symbols entries, indexed by symbol id */
	/* resting GTD orders, a binary min-heap on (expire_time, id) with
	 * max_orders slots: where they are is speed only, not state */
	mc_order **gtd;
	uint32_t gtd_n;

	/* the command being applied: stamped onto every event */
	mc_sink *sink;
	uint64_t seq;
	uint64_t ts;
	uint32_t idx;
	uint32_t tag;     /* of the command's new order (mc_engine_apply_tagged) */
	mc_event scratch; /* written when a sink without flush is full */
};

/* A fresh event for the current command, zeroed except seq/idx/ts/symbol. */
mc_event *mc_emit(mc_engine *e, int kind, uint32_t symbol);

/* Taker state while an incoming (or re-priced) order matches. */
typedef struct mc_taker
{
	uint64_t id;
	uint32_t account;
	uint8_t side;
	uint8_t type;
	uint8_t tif;
	int64_t price; /* limit price; ignored for market orders */
	int64_t leaves;
} mc_taker;

/* Could t trade its full quantity now (respecting STP)? Read-only. */
int mc_fok_fillable(const mc_book *b, const mc_taker *t);

/*
 * Matches t against the opposite side, emitting trades and STP cancels.
 * Returns 1 if self-trade prevention canceled the taker's remainder (its
 * CANCELED event already emitted), 0 otherwise; t->leaves is what is left.
 */
int mc_match(mc_engine *e, mc_book *b, mc_taker *t);

/* The expiry heap (gtd.c): o is a resting GTD order. O(log n). */
void mc_gtd_push(mc_engine *e, mc_order *o);
void mc_gtd_remove(mc_engine *e, mc_order *o);

/* An order out of every level goes: index, expiry heap, count, pool. */
void mc_drop_order(mc_engine *e, mc_book *b, mc_order *o);

/* Removes a resting order entirely: level, index, expiry heap, pool. */
void mc_remove_order(mc_engine *e, mc_book *b, mc_order *o);

#endif
