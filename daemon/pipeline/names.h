/*
 * names.h - matchd's registry of symbol and account names.
 *
 * The core knows symbols and accounts by dense integer ids (array indexes);
 * SQL and the journal know them by name.  A registry gives each new name the
 * next id and finds ids by name in O(1) (open addressing), with capacities
 * fixed at start: like the core's pools, it never grows silently.  Ids are
 * assigned in the order names are added, so replaying the journal's
 * add_symbol/open_account commands rebuilds the same ids.
 */
#ifndef MJ_NAMES_H
#define MJ_NAMES_H

#include <stdint.h>

#include "records.h"

#define MJ_NAME_MAX 63 /* bytes; the SQL checks allow at most 63 too */

typedef struct mj_table
{
	uint32_t cap;    /* names it can hold */
	uint32_t count;  /* names held: ids 0 .. count-1 */
	uint32_t nslots; /* hash slots, a power of two >= 2 * cap */
	char (*names)[MJ_NAME_MAX + 1];
	uint32_t *slots; /* id + 1, 0 = empty */
} mj_table;

typedef struct mj_registry
{
	mj_table symbols;
	mj_table accounts;
} mj_registry;

enum
{
	MJ_NAME_ADDED = 0,
	MJ_NAME_EXISTS = -1, /* already registered (its id is returned too) */
	MJ_NAME_FULL = -2,   /* capacity reached */
	MJ_NAME_INVALID = -3 /* empty, too long, or with a NUL byte */
};

/* Allocates both tables (start-up only); 0 on success, -1 when out of memory. */
int mj_registry_init(mj_registry *r, uint32_t max_symbols, uint32_t max_accounts);
void mj_registry_free(mj_registry *r);

/* Registers a name; sets *id to its (new or existing) id. */
int mj_table_add(mj_table *t, const char *name, uint16_t len, uint32_t *id);
/* 0 and *id when the name is known, -1 otherwise. */
int mj_table_find(const mj_table *t, const char *name, uint16_t len, uint32_t *id);
/* The name of an id, or NULL. */
const char *mj_table_name(const mj_table *t, uint32_t id);

/* The registry as the journal translation's name mapping. */
mj_names mj_registry_names(mj_registry *r);

#endif
