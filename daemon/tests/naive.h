/*
 * naive.h - a deliberately simple reference matching engine (test-only).
 *
 * Same commands, same events, same queries as the core, implemented the
 * obvious way: each symbol is one unsorted array of resting orders with an
 * arrival stamp, and every decision ("who trades next?") is a linear scan
 * for the best price and then the smallest stamp.  Slow, allocating, and
 * easy to check by eye; the differential test holds the core to it.
 */
#ifndef MC_NAIVE_H
#define MC_NAIVE_H

#include <stdint.h>

#include "engine.h"
#include "testutil.h"

typedef struct naive naive;

naive *naive_create(const mc_engine_config *cfg);
void naive_destroy(naive *n);
int naive_add_symbol(naive *n, uint32_t symbol, const mc_symbol_config *cfg);
void naive_apply(naive *n, const mc_command *cmd, evlog *out);
int naive_l1(const naive *n, uint32_t symbol, mc_l1 *out);
int naive_l3(const naive *n, uint32_t symbol, int side, mc_order_info *out, int cap);
int naive_order(const naive *n, uint64_t id, mc_order_info *out);
uint64_t naive_hash(const naive *n);
/* The GTD order to expire first (smallest expire_time, then id); 0 if none. */
int naive_next_expiry(const naive *n, uint64_t *order_id, uint64_t *expire_time);
/* The r-th (mod count) resting order over all symbols; 0 if the book is
 * empty.  Lets random tests aim cancels and amends at live orders. */
int naive_pick_live(const naive *n, uint64_t r, uint64_t *id, uint32_t *account);

/*
 * Fault injection, to prove the differential test can fail: 1 = FIFO is
 * broken (the newest order at a price trades first).  0 in normal runs.
 */
extern int naive_bug;

#endif
