/* book.c - level indexes of one side of a book; see book.h. */
#include "book.h"

#include <string.h>

static inline int
msb(uint64_t x)
{
	return 63 - __builtin_clzll(x);
}

/* ----------------------------------------------------------- window bitmap */

static inline void
bit_set(mc_side_book *s, uint32_t k)
{
	uint32_t w = k >> 6;

	s->bits[w] |= 1ULL << (k & 63);
	s->l1[w >> 6] |= 1ULL << (w & 63);
	s->l2 |= 1ULL << (w >> 6);
}

static inline void
bit_clear(mc_side_book *s, uint32_t k)
{
	uint32_t w = k >> 6;

	s->bits[w] &= ~(1ULL << (k & 63));
	if (s->bits[w] == 0)
	{
		s->l1[w >> 6] &= ~(1ULL << (w & 63));
		if (s->l1[w >> 6] == 0)
			s->l2 &= ~(1ULL << (w >> 6));
	}
}

/* highest set slot below k (k may equal window: "highest overall"), or -1 */
static inline int64_t
bit_prev(const mc_side_book *s, uint32_t k)
{
	uint32_t w = k >> 6, j;
	uint64_t m;

	if (k < s->window)
	{
		m = s->bits[w] & ((1ULL << (k & 63)) - 1);
		if (m)
			return (int64_t)((w << 6) | (uint32_t)msb(m));
	}
	else
		w = s->window >> 6; /* everything below */
	j = w >> 6;
	m = j < 64 ? s->l1[j] & ((1ULL << (w & 63)) - 1) : 0;
	if (m == 0)
	{
		uint64_t m2 = j >= 64 ? s->l2 : s->l2 & ((1ULL << j) - 1);

		if (m2 == 0)
			return -1;
		j = (uint32_t)msb(m2);
		m = s->l1[j];
	}
	w = (j << 6) | (uint32_t)msb(m);
	return (int64_t)((w << 6) | (uint32_t)msb(s->bits[w]));
}

/* ------------------------------------------------------------- far levels */

/* first far index whose rank is >= r */
static inline uint32_t
far_lower_bound(const mc_side_book *s, int64_t r)
{
	uint32_t lo = 0, len = s->far_n;

	while (len > 0)
	{
		uint32_t half = len / 2;

		if (s->far_rank[lo + half] < r)
		{
			lo += half + 1;
			len -= half + 1;
		}
		else
			len = half;
	}
	return lo;
}

/* ---------------------------------------------------------------- public */

int
mc_side_init(mc_side_book *s, int side, uint32_t cap, uint32_t window,
             const mc_allocator *a)
{
	uint32_t w = 64;

	memset(s, 0, sizeof(*s));
	if (window == 0)
		window = MC_WINDOW_DEFAULT;
	while (w < window && w < MC_WINDOW_MAX)
		w <<= 1;
	s->side = (uint8_t)side;
	s->cap = cap;
	s->window = w;
	s->slot = a->alloc(a->ctx, sizeof(mc_level *) * w);
	s->bits = a->alloc(a->ctx, sizeof(uint64_t) * (w / 64));
	s->far = a->alloc(a->ctx, sizeof(mc_level *) * (size_t)cap);
	s->far_rank = a->alloc(a->ctx, sizeof(int64_t) * (size_t)cap);
	if (!s->slot || !s->bits || !s->far || !s->far_rank)
	{
		mc_side_free(s, a);
		return -1;
	}
	/* touch every page now, not on the hot path (see mc_index_init) */
	memset(s->slot, 0, sizeof(mc_level *) * w);
	memset(s->bits, 0, sizeof(uint64_t) * (w / 64));
	memset(s->far, 0, sizeof(mc_level *) * (size_t)cap);
	memset(s->far_rank, 0, sizeof(int64_t) * (size_t)cap);
	return 0;
}

void
mc_side_free(mc_side_book *s, const mc_allocator *a)
{
	void *p[4] = {s->slot, s->bits, s->far, s->far_rank};

	for (int i = 0; i < 4; i++)
		if (p[i])
			a->release(a->ctx, p[i]);
	s->slot = NULL;
	s->bits = NULL;
	s->far = NULL;
	s->far_rank = NULL;
}

static inline int
in_window(const mc_side_book *s, int64_t r, uint32_t *k)
{
	if (!s->anchored || r < s->base || r - s->base >= (int64_t)s->window)
		return 0;
	*k = (uint32_t)(r - s->base);
	return 1;
}

mc_level *
mc_side_find(const mc_side_book *s, int64_t price)
{
	int64_t r = mc_rank(s->side, price);
	uint32_t k, i;

	if (in_window(s, r, &k))
		return s->slot[k];
	i = far_lower_bound(s, r);
	if (i < s->far_n && s->far_rank[i] == r)
		return s->far[i];
	return NULL;
}

void
mc_side_insert(mc_side_book *s, mc_level *lvl)
{
	int64_t r = mc_rank(s->side, lvl->price);
	mc_level *worse;
	uint32_t k;

	if (!s->anchored)
	{
		/* centre the window on the first price this side sees */
		s->base = r - (int64_t)(s->window / 2);
		s->anchored = 1;
	}
	if (in_window(s, r, &k))
	{
		int64_t p = bit_prev(s, k);

		lvl->in_window = 1;
		s->slot[k] = lvl;
		bit_set(s, k);
		if (p >= 0)
			worse = s->slot[p];
		else
		{
			/* nothing worse in the window: the best far level below it */
			uint32_t i = far_lower_bound(s, r);

			worse = i > 0 ? s->far[i - 1] : NULL;
		}
	}
	else
	{
		uint32_t i = far_lower_bound(s, r);
		size_t tail = (size_t)(s->far_n - i);

		lvl->in_window = 0;
		memmove(&s->far[i + 1], &s->far[i], tail * sizeof(s->far[0]));
		memmove(&s->far_rank[i + 1], &s->far_rank[i], tail * sizeof(s->far_rank[0]));
		s->far[i] = lvl;
		s->far_rank[i] = r;
		s->far_n++;
		worse = i > 0 ? s->far[i - 1] : NULL;
		/* above the window, the window's best may lie between */
		if (r >= s->base + (int64_t)s->window &&
		    (worse == NULL || s->far_rank[i - 1] < s->base))
		{
			int64_t p = bit_prev(s, s->window);

			if (p >= 0)
				worse = s->slot[p];
		}
	}

	if (worse == NULL)
	{
		lvl->better = s->worst;
		lvl->worse = NULL;
		if (s->worst)
			s->worst->worse = lvl;
		else
			s->best = lvl;
		s->worst = lvl;
	}
	else
	{
		lvl->worse = worse;
		lvl->better = worse->better;
		if (worse->better)
			worse->better->worse = lvl;
		else
			s->best = lvl;
		worse->better = lvl;
	}
	s->n++;
}

void
mc_side_remove(mc_side_book *s, mc_level *lvl)
{
	int64_t r = mc_rank(s->side, lvl->price);

	if (lvl->better)
		lvl->better->worse = lvl->worse;
	else
		s->best = lvl->worse;
	if (lvl->worse)
		lvl->worse->better = lvl->better;
	else
		s->worst = lvl->better;
	lvl->better = lvl->worse = NULL;

	if (lvl->in_window)
	{
		uint32_t k = (uint32_t)(r - s->base);

		s->slot[k] = NULL;
		bit_clear(s, k);
	}
	else
	{
		uint32_t i = far_lower_bound(s, r);
		size_t tail = (size_t)(s->far_n - i - 1);

		memmove(&s->far[i], &s->far[i + 1], tail * sizeof(s->far[0]));
		memmove(&s->far_rank[i], &s->far_rank[i + 1], tail * sizeof(s->far_rank[0]));
		s->far_n--;
	}
	/* an empty side re-anchors its window on the next price it sees, so a
	 * symbol whose prices drift does not end up all in far levels */
	if (--s->n == 0)
		s->anchored = 0;
}
