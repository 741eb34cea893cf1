/*
 * hash.h - FNV-1a over explicitly little-endian integers.
 *
 * Used for the canonical state hash (mc_engine_hash).  Values are fed byte by
 * byte in a fixed order, never as raw struct memory, so the hash does not
 * depend on padding, pointers, pool slots or the host's byte order, and a
 * reference implementation (the test-only naive engine) can reproduce it.
 */
#ifndef MC_HASH_H
#define MC_HASH_H

#include <stdint.h>

#define MC_FNV_OFFSET 0xcbf29ce484222325ULL
#define MC_FNV_PRIME  0x100000001b3ULL

/*
 * The 64-bit finalizer of MurmurHash3: mixes every input bit into every output
 * bit.  For hash tables keyed by integers and for the order manager's and the
 * client-order-id table's state hashes (their values are not byte-streamed).
 */
static inline uint64_t
mc_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t
mc_hash_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++)
	{
		h ^= (v >> (8 * i)) & 0xff;
		h *= MC_FNV_PRIME;
	}
	return h;
}

static inline uint64_t
mc_hash_bytes(uint64_t h, const void *p, uint32_t n)
{
	const unsigned char *s = p;

	for (uint32_t i = 0; i < n; i++)
	{
		h ^= s[i];
		h *= MC_FNV_PRIME;
	}
	return h;
}

#endif
