/*
 * pool.h - fixed-capacity object pool.
 *
 * Orders and price levels come from pools sized once at start, so the hot
 * path never calls malloc and a full pool is an ordinary, deterministic
 * rejection instead of an out-of-memory surprise.  Free slots form an
 * intrusive LIFO list threaded through the first bytes of each free object.
 */
#ifndef MC_POOL_H
#define MC_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct mc_pool
{
	unsigned char *mem;
	void *free_head;
	size_t elem_size;
	uint32_t cap;
	uint32_t used;
} mc_pool;

/* Allocates cap objects of elem_size bytes (elem_size >= sizeof(void *)).
 * Returns 0 on success, -1 if memory is short. */
int mc_pool_init(mc_pool *p, size_t elem_size, uint32_t cap, const mc_allocator *a);
void mc_pool_free(mc_pool *p, const mc_allocator *a);

/* O(1).  NULL when the pool is full. */
static inline void *
mc_pool_get(mc_pool *p)
{
	void *obj = p->free_head;

	if (obj == NULL)
		return NULL;
	p->free_head = *(void **)obj;
	p->used++;
	return obj;
}

/* O(1).  obj must come from this pool. */
static inline void
mc_pool_put(mc_pool *p, void *obj)
{
	*(void **)obj = p->free_head;
	p->free_head = obj;
	p->used--;
}

static inline int
mc_pool_full(const mc_pool *p)
{
	return p->used == p->cap;
}

#endif
