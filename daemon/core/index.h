/*
 * index.h - order id -> resting order, for O(1) cancel and amend.
 *
 * Open addressing with linear probing over a power-of-two table at most half
 * full (sized from the order pool at start, so it never grows).  Deletion
 * shifts the following entries back instead of leaving tombstones, so probe
 * lengths do not degrade over a long trading day.  Order id 0 marks an empty
 * slot, which is why the sequencer never assigns it.
 */
#ifndef MC_INDEX_H
#define MC_INDEX_H

#include <stdint.h>

#include "alloc.h"
#include "book.h"

/* key and value side by side: a lookup touches one cache line */
typedef struct mc_index_slot
{
	uint64_t key;
	mc_order *val;
} mc_index_slot;

typedef struct mc_index
{
	mc_index_slot *slots;
	uint32_t mask;
	uint32_t count;
} mc_index;

/* Room for at least max_entries with load factor <= 1/2. 0 ok, -1 no memory. */
int mc_index_init(mc_index *ix, uint32_t max_entries, const mc_allocator *a);
void mc_index_free(mc_index *ix, const mc_allocator *a);

mc_order *mc_index_get(const mc_index *ix, uint64_t id);
/* id must not be present and the table must have room (pool-bounded). */
void mc_index_put(mc_index *ix, uint64_t id, mc_order *o);
void mc_index_del(mc_index *ix, uint64_t id);

#endif
