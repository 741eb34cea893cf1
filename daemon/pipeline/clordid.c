/*
 * clordid.c - the set of (account, client order id) of the trading day; see
 * clordid.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clordid.h"
#include "hash.h"

static uint64_t
key_hash(uint32_t account, const char id[MC_CLORDID_LEN])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return mc_hash_mix(mc_hash_mix(a ^ ((uint64_t)account << 1)) ^ b);
}

void
cl_init(cl_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
cl_free(cl_set *s)
{
	free(s->entries);
	free(s->index);
	memset(s, 0, sizeof(*s));
}

int64_t
cl_find(const cl_set *s, uint32_t account, const char id[MC_CLORDID_LEN])
{
	if (s->count == 0)
		return 0;
	for (uint32_t i = (uint32_t)key_hash(account, id) & s->mask;; i = (i + 1) & s->mask)
	{
		const cl_entry *e;

		if (s->index[i] == 0)
			return 0;
		e = &s->entries[s->index[i] - 1];
		if (e->account == account && memcmp(e->id, id, MC_CLORDID_LEN) == 0)
			return e->seq;
	}
}

static void
index_put(cl_set *s, uint32_t entry)
{
	const cl_entry *e = &s->entries[entry];
	uint32_t i = (uint32_t)key_hash(e->account, e->id) & s->mask;

	while (s->index[i] != 0)
		i = (i + 1) & s->mask;
	s->index[i] = entry + 1;
}

/* Room for one more entry at a load of at most 1/2; -1 when out of memory. */
static int
reserve(cl_set *s)
{
	if (s->count == s->cap)
	{
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		cl_entry *p;

		if (cap <= s->cap || (p = realloc(s->entries, (size_t)cap * sizeof(*p))) == NULL)
			return -1;
		s->entries = p;
		s->cap = cap;
	}
	if (s->index == NULL || 2 * ((uint64_t)s->count + 1) > (uint64_t)s->mask + 1)
	{
		uint64_t slots = s->index ? ((uint64_t)s->mask + 1) * 2 : 2048;
		uint32_t *p;

		if (slots > (1ull << 31) || (p = calloc(slots, sizeof(*p))) == NULL)
			return -1;
		free(s->index);
		s->index = p;
		s->mask = (uint32_t)(slots - 1);
		for (uint32_t k = 0; k < s->count; k++)
			index_put(s, k);
	}
	return 0;
}

int
cl_add(cl_set *s, uint32_t account, const char id[MC_CLORDID_LEN], int64_t seq)
{
	cl_entry *e;

	if (reserve(s) != 0)
		return -1;
	e = &s->entries[s->count];
	memset(e, 0, sizeof(*e));
	e->account = account;
	memcpy(e->id, id, MC_CLORDID_LEN);
	e->seq = seq;
	index_put(s, s->count++);
	return 0;
}

void
cl_clear(cl_set *s)
{
	if (s->count == 0)
		return;
	memset(s->index, 0, ((size_t)s->mask + 1) * sizeof(*s->index));
	s->count = 0;
}

uint64_t
cl_hash(const cl_set *s)
{
	uint64_t h = 0;

	for (uint32_t i = 0; i < s->count; i++)
	{
		const cl_entry *e = &s->entries[i];

		h = mc_hash_mix(h ^ key_hash(e->account, e->id) ^
		                mc_hash_mix((uint64_t)e->seq + i));
	}
	return h;
}

void
cl_save(const cl_set *s, mc_wbuf *w)
{
	mc_put_u32(w, s->count);
	for (uint32_t i = 0; i < s->count; i++)
	{
		mc_put_u32(w, s->entries[i].account);
		mc_put_bytes(w, s->entries[i].id, MC_CLORDID_LEN);
		mc_put_i64(w, s->entries[i].seq);
	}
}

int
cl_load(cl_set *s, mc_rbuf *r, uint32_t max_accounts, char *why, size_t size)
{
	uint32_t n = mc_get_u32(r);
	int64_t prev = 0;

	if (r->bad)
		return snprintf(why, size, "client order ids: section ends early"), -1;
	if (s->count != 0)
		return snprintf(why, size, "client order ids: set is not empty"), -1;
	/* each entry takes 28 bytes: a count the bytes cannot hold is a lie */
	if ((uint64_t)n * 28 > r->len - r->off)
		return snprintf(why, size, "client order ids: %u entries do not fit", n), -1;
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t account = mc_get_u32(r);
		const uint8_t *id = mc_get_bytes(r, MC_CLORDID_LEN);
		int64_t seq = mc_get_i64(r);
		char key[MC_CLORDID_LEN];
		int len = 0;

		if (r->bad)
			return snprintf(why, size, "client order ids: section ends early"), -1;
		memcpy(key, id, MC_CLORDID_LEN);
		while (len < MC_CLORDID_LEN && key[len] != 0)
			len++;
		for (int k = len; k < MC_CLORDID_LEN; k++)
			if (key[k] != 0)
				len = -1;
		if (account >= max_accounts || len <= 0 || seq <= prev)
			return snprintf(why, size, "client order id %u: value out of range", i), -1;
		if (cl_find(s, account, key) != 0)
			return snprintf(why, size, "client order id %u: twice", i), -1;
		if (cl_add(s, account, key, seq) != 0)
			return snprintf(why, size, "client order ids: out of memory"), -1;
		prev = seq;
	}
	return 0;
}
