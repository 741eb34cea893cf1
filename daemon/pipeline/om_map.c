/*
 * om_map.c - the order manager's u64 -> u32 map (share positions by (account,
 * symbol), the ledger's orders by id).
 *
 * Open addressing, linear probing, deletion by backward shift.  The slots for
 * the largest capacity are allocated up front (om_create), but only a
 * power-of-two prefix is in use, doubled (and refilled by the caller from its
 * pool) when it is half full: a few thousand live orders then probe a few
 * cache lines instead of a table sized for a million.  The lookup, map_get,
 * is inline in om_internal.h; nothing here allocates after om_map_init.
 */
#include <stdlib.h>
#include <string.h>

#include "om_internal.h"

int
om_map_init(om_map *m, uint32_t cap)
{
	uint32_t n = 16;

	while (n < 2 * (uint64_t)cap && n < (1u << 31))
		n <<= 1;
	m->slots = calloc(n, sizeof(*m->slots));
	m->max_mask = n - 1;
	m->mask = n < 1024 ? n - 1 : 1023;
	m->count = 0;
	return m->slots ? 0 : -1;
}

void
om_map_free(om_map *m)
{
	free(m->slots);
}

/* key must be absent; the caller bounds the entries below the capacity. */
void
om_map_put(om_map *m, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)mc_hash_mix(key) & m->mask;

	while (m->slots[i].val != 0)
		i = (i + 1) & m->mask;
	m->slots[i].key = key;
	m->slots[i].val = val + 1;
	m->count++;
}

/* Whether one more entry needs a larger prefix: then it is emptied and
 * doubled, and the caller puts every entry again. */
int
om_map_grow(om_map *m)
{
	if (2 * ((uint64_t)m->count + 1) <= (uint64_t)m->mask + 1 || m->mask == m->max_mask)
		return 0;
	m->mask = m->mask * 2 + 1;
	memset(m->slots, 0, ((size_t)m->mask + 1) * sizeof(*m->slots));
	m->count = 0;
	return 1;
}

void
om_map_del(om_map *m, uint64_t key)
{
	uint32_t i = (uint32_t)mc_hash_mix(key) & m->mask;

	while (m->slots[i].val != 0 && m->slots[i].key != key)
		i = (i + 1) & m->mask;
	if (m->slots[i].val == 0)
		return;
	m->count--;
	/* backward shift: move later entries of the cluster into the hole */
	for (uint32_t j = (i + 1) & m->mask; m->slots[j].val != 0; j = (j + 1) & m->mask)
	{
		uint32_t home = (uint32_t)mc_hash_mix(m->slots[j].key) & m->mask;

		/* j's entry may move to i when its home is not in (i, j] */
		if (((j - home) & m->mask) >= ((j - i) & m->mask))
		{
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].val = 0;
	m->slots[i].key = 0;
}
