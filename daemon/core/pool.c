/* pool.c - fixed-capacity object pool; see pool.h. */
#include "pool.h"

#include <stdlib.h>

static void *
default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void
default_release(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

const mc_allocator mc_default_allocator = {default_alloc, default_release, NULL};

int
mc_pool_init(mc_pool *p, size_t elem_size, uint32_t cap, const mc_allocator *a)
{
	/* round up so every object is aligned for its 8-byte fields */
	elem_size = (elem_size + 7) & ~(size_t)7;
	p->elem_size = elem_size;
	p->cap = cap;
	p->used = 0;
	p->free_head = NULL;
	p->mem = cap ? a->alloc(a->ctx, elem_size * (size_t)cap) : NULL;
	if (cap && p->mem == NULL)
		return -1;
	/* thread the free list so that the first get returns slot 0 */
	for (uint32_t i = cap; i > 0; i--)
	{
		void *obj = p->mem + (size_t)(i - 1) * elem_size;

		*(void **)obj = p->free_head;
		p->free_head = obj;
	}
	return 0;
}

void
mc_pool_free(mc_pool *p, const mc_allocator *a)
{
	if (p->mem)
		a->release(a->ctx, p->mem);
	p->mem = NULL;
	p->free_head = NULL;
	p->cap = p->used = 0;
}
