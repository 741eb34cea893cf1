/*
 * book.h - one symbol's order book: price levels and FIFO queues.
 *
 * Levels of a side form a doubly linked list in price order (best first), so
 * the best level is O(1), walking levels in price order is trivial and
 * removing a level is O(1).  To find a level by price, and the neighbour a
 * new level is linked next to, each side has two indexes:
 *
 *   - a price window: a direct array of 2^k tick slots (per-symbol config,
 *     default 4096) anchored where the side's first level appeared, with a
 *     three-level bitmap of occupied slots.  Find, insert and remove are
 *     O(1): the neighbour is the next set bit (a few count-leading-zeros).
 *   - far levels, outside the window: a sorted array searched by binary
 *     search (O(log L)), with memmove on insert/remove.  It keeps any price
 *     legal without a price band; busy books live in the window.
 *
 * Within a level orders form an intrusive doubly linked list in time
 * priority, so unlinking an order (cancel, fill, amend) is O(1).
 *
 * Where a level is indexed never changes results - only speed - so it is
 * not part of the canonical state hash.  The book owns no order or level
 * memory: they come from the engine's pools.  Matching lives in match.c.
 */
#ifndef MC_BOOK_H
#define MC_BOOK_H

#include <stdint.h>

#include "commands.h"
#include "pool.h"

typedef struct mc_level mc_level;

typedef struct mc_order
{
	struct mc_order *prev; /* toward the head (older) */
	struct mc_order *next; /* toward the tail (newer) */
	mc_level *level;
	uint64_t id;
	uint64_t timestamp; /* when it entered (sequencer time) */
	int64_t price;
	int64_t qty;    /* original quantity, adjusted by amends: filled + leaves */
	int64_t leaves; /* open quantity */
	int64_t filled;
	uint32_t symbol;
	uint32_t account;
	uint32_t tag; /* the caller's, opaque: not state (mc_engine_apply_tagged) */
	uint8_t side;
	uint8_t type;
	uint8_t tif;
	uint8_t flags; /* MC_CMDF_POST_ONLY */
	char client_order_id[MC_CLORDID_LEN];
	uint64_t expire_time; /* GTD only, else 0 */
	int64_t stop_price;   /* MC_STOP, MC_STOP_LIMIT, else 0 */
	uint32_t heap_pos;    /* GTD only: slot in the engine's expiry heap (not state) */
	uint8_t waiting;      /* a stop in the stop book, not triggered yet */
} mc_order;

struct mc_level
{
	mc_order *head; /* oldest: trades first */
	mc_order *tail;
	mc_level *better; /* neighbours in price order */
	mc_level *worse;
	int64_t price;
	int64_t total; /* sum of leaves */
	uint32_t count;
	uint8_t in_window; /* indexed in the window (else in the far array) */
};

#define MC_WINDOW_DEFAULT 4096
#define MC_WINDOW_MAX     (1u << 18) /* three bitmap levels of 64 */

typedef struct mc_side_book
{
	mc_level *best; /* head of the price-ordered list */
	mc_level *worst;
	uint32_t n;   /* levels */
	uint32_t cap; /* per-side level limit of the symbol */
	uint8_t side;
	uint8_t anchored; /* window placed (at the first level) */

	/* window: ranks [base, base + window) */
	int64_t base;
	uint32_t window;
	mc_level **slot;
	uint64_t *bits; /* window / 64 words */
	uint64_t l1[64];
	uint64_t l2;

	/* far levels, sorted by rank ascending */
	mc_level **far;
	int64_t *far_rank;
	uint32_t far_n;
} mc_side_book;

typedef struct mc_book
{
	mc_side_book bids;
	mc_side_book asks;
	/* stops that wait, by stop price: buys trigger lowest first (ranked as
	 * asks), sells highest first (ranked as bids); queue order = time */
	mc_side_book stop_buys;
	mc_side_book stop_sells;
	int64_t last_price; /* of the last trade, 0 before the first */
	uint32_t symbol;
	uint32_t n_orders;   /* resting orders */
	uint32_t max_orders; /* per-symbol limit on resting orders */
	uint8_t in_use;
	uint8_t status; /* mc_status */
	uint8_t stp;    /* mc_stp_policy */
} mc_book;

static inline mc_side_book *
mc_book_side(mc_book *b, int side)
{
	return side == MC_BUY ? &b->bids : &b->asks;
}

/* The stop book of one side (where o->waiting orders live). */
static inline mc_side_book *
mc_stop_side(mc_book *b, int side)
{
	return side == MC_BUY ? &b->stop_buys : &b->stop_sells;
}

static inline mc_side_book *
mc_book_opposite(mc_book *b, int side)
{
	return side == MC_BUY ? &b->asks : &b->bids;
}

static inline mc_level *
mc_side_best(const mc_side_book *s)
{
	return s->best;
}

/*
 * Rank orders levels so that a bigger rank is a better price: the price for
 * bids, minus the price for asks.
 */
static inline int64_t
mc_rank(int side, int64_t price)
{
	return side == MC_BUY ? price : -price;
}

/* Is `a` a better price than `b` on this side (higher bid, lower ask)? */
static inline int
mc_better(int side, int64_t a, int64_t b)
{
	return side == MC_BUY ? a > b : a < b;
}

/* Allocates the side's indexes: cap levels at most, window ticks (rounded up
 * to a power of two in [64, MC_WINDOW_MAX]; 0 = default).  0 ok, -1 no memory. */
int mc_side_init(mc_side_book *s, int side, uint32_t cap, uint32_t window,
                 const mc_allocator *a);
void mc_side_free(mc_side_book *s, const mc_allocator *a);

/* The level at price, or NULL.  O(1) in the window, O(log L) outside. */
mc_level *mc_side_find(const mc_side_book *s, int64_t price);

/* Links a fresh (empty) level with lvl->price set into place; the caller
 * checked s->n < s->cap and that no level with that price exists. */
void mc_side_insert(mc_side_book *s, mc_level *lvl);

/* Unlinks an (empty) level; the caller returns it to the pool. */
void mc_side_remove(mc_side_book *s, mc_level *lvl);

/* Append o to the tail of lvl (last in time priority). O(1). */
static inline void
mc_level_append(mc_level *lvl, mc_order *o)
{
	o->level = lvl;
	o->next = NULL;
	o->prev = lvl->tail;
	if (lvl->tail)
		lvl->tail->next = o;
	else
		lvl->head = o;
	lvl->tail = o;
	lvl->total += o->leaves;
	lvl->count++;
}

/* Unlink o from its level (level totals updated). O(1). */
static inline void
mc_level_unlink(mc_level *lvl, mc_order *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		lvl->head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	else
		lvl->tail = o->prev;
	lvl->total -= o->leaves;
	lvl->count--;
	o->prev = o->next = NULL;
	o->level = NULL;
}

#endif
