/*
 * book.h - one symbol's order book: price levels and FIFO queues.
 *
 * Each side keeps its levels in a contiguous array sorted so that the BEST
 * level is the LAST element.  Best bid/ask is therefore O(1), a level is
 * found by binary search (O(log L)), and adding or removing a level moves
 * only the pointers of the levels better than it - near the top of the book,
 * where almost all activity is, that is a handful of pointers in one cache
 * line.  Within a level orders form an intrusive doubly linked list in time
 * priority, so unlinking an order (cancel, fill, amend) is O(1).
 *
 * The book owns no memory of its own except the two level arrays, which are
 * sized when the symbol is added; orders and levels come from the engine's
 * pools.  Nothing here emits events: matching lives in match.c.
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
	uint8_t side;
	uint8_t type;
	uint8_t tif;
	char client_order_id[MC_CLORDID_LEN];
} mc_order;

struct mc_level
{
	mc_order *head; /* oldest: trades first */
	mc_order *tail;
	int64_t price;
	int64_t total; /* sum of leaves */
	uint32_t count;
};

typedef struct mc_side_book
{
	mc_level **lv; /* sorted by rank ascending: lv[n - 1] is the best level */
	int64_t *rank; /* rank[i] = rank of lv[i]'s price, contiguous so binary
	                * search touches a few cache lines, not a level each step */
	uint32_t n;
	uint32_t cap; /* per-side level limit of the symbol */
	uint8_t side;
} mc_side_book;

typedef struct mc_book
{
	mc_side_book bids;
	mc_side_book asks;
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

static inline mc_side_book *
mc_book_opposite(mc_book *b, int side)
{
	return side == MC_BUY ? &b->asks : &b->bids;
}

static inline mc_level *
mc_side_best(const mc_side_book *s)
{
	return s->n ? s->lv[s->n - 1] : NULL;
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

/* The level at price, or NULL. O(log L). */
mc_level *mc_side_find(const mc_side_book *s, int64_t price);

/* Insert a fresh (empty) level from `lvl` at its sorted place; the caller
 * checked s->n < s->cap and that no level with that price exists. */
void mc_side_insert(mc_side_book *s, mc_level *lvl);

/* Remove an (empty) level from the array; the caller returns it to the pool. */
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
