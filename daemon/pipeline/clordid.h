/*
 * clordid.h - the client order ids each account used in the current trading
 * day, for the order manager's de-duplication (a repeated id is rejected as
 * duplicate_client_order_id, PX077).
 *
 * Deterministic like the rest of the order manager: entries live in an array
 * in the order they were added (seq order), and a hash index over that array
 * only speeds up lookups.  The hash and the snapshot walk the array, so they
 * depend on the set's history alone, never on the index's capacity or
 * placement: a set loaded from a snapshot and one rebuilt by replay hash and
 * save alike.
 *
 * Memory: the set has no natural bound (a day may carry any number of
 * orders), so both the array and the index grow by doubling - an amortized
 * O(1) realloc, one per doubling, never one per order - and keep their
 * memory when the day ends (cl_clear), so a steady day allocates nothing
 * after the first.  Each entry is 32 bytes; the index 4 bytes per slot at a
 * load of at most 1/2, about 40 bytes per distinct id in all.
 */
#ifndef MJ_CLORDID_H
#define MJ_CLORDID_H

#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "serial.h"

typedef struct cl_entry
{
	uint32_t account;
	char id[MC_CLORDID_LEN]; /* NUL-padded; all 16 bytes when the id has 16 */
	int64_t seq;             /* the new_order that first used it (its order id) */
} cl_entry;

typedef struct cl_set
{
	cl_entry *entries; /* in the order they were added */
	uint32_t count, cap;
	uint32_t *index; /* entry + 1; 0 = empty slot */
	uint32_t mask;   /* index slots - 1 (0 with no index yet) */
} cl_set;

void cl_init(cl_set *s);
void cl_free(cl_set *s);
/* The seq that first used (account, id) in the set, or 0. */
int64_t cl_find(const cl_set *s, uint32_t account, const char id[MC_CLORDID_LEN]);
/* Adds a pair that cl_find does not know; 0, or -1 when out of memory (the
 * set is unchanged then). */
int cl_add(cl_set *s, uint32_t account, const char id[MC_CLORDID_LEN], int64_t seq);
/* The day is over: empty, keeping the memory. */
void cl_clear(cl_set *s);
/* A hash of the entries in order (0 for an empty set). */
uint64_t cl_hash(const cl_set *s);
/*
 * Snapshot encoding: u32 count, then per entry u32 account, 16 id bytes, i64
 * seq.  cl_load reads into an empty set and checks every entry (account below
 * max_accounts, a non-empty NUL-padded id, seqs increasing, no pair twice);
 * 0, or -1 with why set.
 */
void cl_save(const cl_set *s, mc_wbuf *w);
int cl_load(cl_set *s, mc_rbuf *r, uint32_t max_accounts, char *why, size_t size);

#endif
