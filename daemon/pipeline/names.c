/*
 * names.c - matchd's registry of symbol and account names (see names.h).
 */
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* FNV-1a: short keys, no adversary inside the daemon (names are validated in SQL). */
static uint32_t
hash_name(const char *s, uint16_t len)
{
	uint32_t h = 2166136261u;

	for (uint16_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int
table_init(mj_table *t, uint32_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->nslots = 4;
	while (t->nslots < 2 * cap)
		t->nslots *= 2;
	t->names = calloc(cap ? cap : 1, sizeof(*t->names));
	t->slots = calloc(t->nslots, sizeof(uint32_t));
	return t->names && t->slots ? 0 : -1;
}

static void
table_free(mj_table *t)
{
	free(t->names);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int
mj_registry_init(mj_registry *r, uint32_t max_symbols, uint32_t max_accounts)
{
	if (table_init(&r->symbols, max_symbols) == 0 &&
	    table_init(&r->accounts, max_accounts) == 0)
		return 0;
	mj_registry_free(r);
	return -1;
}

void
mj_registry_free(mj_registry *r)
{
	table_free(&r->symbols);
	table_free(&r->accounts);
}

/* The slot holding name, or the empty slot where it would go. */
static uint32_t
probe(const mj_table *t, const char *name, uint16_t len)
{
	uint32_t mask = t->nslots - 1;
	uint32_t i = hash_name(name, len) & mask;

	while (t->slots[i] != 0)
	{
		const char *held = t->names[t->slots[i] - 1];

		if (strlen(held) == len && memcmp(held, name, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

int
mj_table_add(mj_table *t, const char *name, uint16_t len, uint32_t *id)
{
	uint32_t slot;

	if (len == 0 || len > MJ_NAME_MAX || memchr(name, 0, len) != NULL)
		return MJ_NAME_INVALID;
	slot = probe(t, name, len);
	if (t->slots[slot] != 0)
	{
		*id = t->slots[slot] - 1;
		return MJ_NAME_EXISTS;
	}
	if (t->count == t->cap)
		return MJ_NAME_FULL;
	*id = t->count++;
	memcpy(t->names[*id], name, len);
	t->names[*id][len] = '\0';
	t->slots[slot] = *id + 1;
	return MJ_NAME_ADDED;
}

int
mj_table_find(const mj_table *t, const char *name, uint16_t len, uint32_t *id)
{
	uint32_t slot;

	if (len == 0 || len > MJ_NAME_MAX)
		return -1;
	slot = probe(t, name, len);
	if (t->slots[slot] == 0)
		return -1;
	*id = t->slots[slot] - 1;
	return 0;
}

const char *
mj_table_name(const mj_table *t, uint32_t id)
{
	return id < t->count ? t->names[id] : NULL;
}

static const char *
symbol_name(void *ctx, uint32_t id)
{
	return mj_table_name(&((mj_registry *)ctx)->symbols, id);
}

static const char *
account_name(void *ctx, uint32_t id)
{
	return mj_table_name(&((mj_registry *)ctx)->accounts, id);
}

static int
symbol_id(void *ctx, const char *name, uint16_t len, uint32_t *id)
{
	return mj_table_find(&((mj_registry *)ctx)->symbols, name, len, id);
}

static int
account_id(void *ctx, const char *name, uint16_t len, uint32_t *id)
{
	return mj_table_find(&((mj_registry *)ctx)->accounts, name, len, id);
}

mj_names
mj_registry_names(mj_registry *r)
{
	mj_names n = {symbol_name, account_name, symbol_id, account_id, r};

	return n;
}
