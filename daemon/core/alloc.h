/*
 * alloc.h - the only way the core gets memory.
 *
 * The core allocates only while it is set up (engine and symbol creation).
 * Routing that through a hook lets the daemon use its own memory (huge pages,
 * a pre-touched arena) and lets the tests prove nothing is allocated while
 * commands run.
 */
#ifndef MC_ALLOC_H
#define MC_ALLOC_H

#include <stddef.h>

typedef struct mc_allocator
{
	void *(*alloc)(void *ctx, size_t size); /* zeroed memory or NULL */
	void (*release)(void *ctx, void *p);
	void *ctx;
} mc_allocator;

/* calloc/free; used when the config gives no allocator */
extern const mc_allocator mc_default_allocator;

#endif
