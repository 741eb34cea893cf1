/* index.c - order id hash table; see index.h. */
#include "index.h"

#include <string.h>

/* Fibonacci hashing: sequencer ids are dense and increasing, and the
 * multiply spreads neighbours over the table. */
static inline uint32_t
slot_of(const mc_index *ix, uint64_t id)
{
	return (uint32_t)((id * 0x9E3779B97F4A7C15ULL) >> 32) & ix->mask;
}

int
mc_index_init(mc_index *ix, uint32_t max_entries, const mc_allocator *a)
{
	uint64_t size = 16;

	while (size < (uint64_t)max_entries * 2)
		size <<= 1;
	ix->mask = (uint32_t)(size - 1);
	ix->count = 0;
	ix->slots = a->alloc(a->ctx, size * sizeof(mc_index_slot));
	if (ix->slots == NULL)
		return -1;
	/* touch every page now: a first-touch page fault on the hot path would
	 * be a latency spike in the middle of the trading day */
	memset(ix->slots, 0, size * sizeof(mc_index_slot));
	return 0;
}

void
mc_index_free(mc_index *ix, const mc_allocator *a)
{
	if (ix->slots)
		a->release(a->ctx, ix->slots);
	ix->slots = NULL;
}

mc_order *
mc_index_get(const mc_index *ix, uint64_t id)
{
	uint32_t i = slot_of(ix, id);

	if (id == 0)
		return NULL;
	while (ix->slots[i].key != 0)
	{
		if (ix->slots[i].key == id)
			return ix->slots[i].val;
		i = (i + 1) & ix->mask;
	}
	return NULL;
}

void
mc_index_put(mc_index *ix, uint64_t id, mc_order *o)
{
	uint32_t i = slot_of(ix, id);

	while (ix->slots[i].key != 0)
		i = (i + 1) & ix->mask;
	ix->slots[i].key = id;
	ix->slots[i].val = o;
	ix->count++;
}

void
mc_index_del(mc_index *ix, uint64_t id)
{
	uint32_t i = slot_of(ix, id);
	uint32_t j;

	while (ix->slots[i].key != id)
	{
		if (ix->slots[i].key == 0)
			return;
		i = (i + 1) & ix->mask;
	}
	/*
	 * Backward-shift deletion: walk the cluster after the hole and move back
	 * every entry whose home slot does not lie cyclically in (i, j], so no
	 * lookup ever stops early at the hole.
	 */
	j = i;
	for (;;)
	{
		uint32_t home;

		j = (j + 1) & ix->mask;
		if (ix->slots[j].key == 0)
			break;
		home = slot_of(ix, ix->slots[j].key);
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ix->slots[i] = ix->slots[j];
		i = j;
	}
	ix->slots[i].key = 0;
	ix->slots[i].val = NULL;
	ix->count--;
}
