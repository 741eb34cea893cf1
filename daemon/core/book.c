/* book.c - sorted level arrays of one side of a book; see book.h. */
#include "book.h"

#include <string.h>

/* first index whose rank is >= r */
static inline uint32_t
lower_bound(const mc_side_book *s, int64_t r)
{
	const int64_t *base = s->rank;
	uint32_t len = s->n;

	if (len == 0)
		return 0;
	/*
	 * Branch-free binary search (the compiler emits a conditional move): a
	 * mispredicted branch per step would cost more than the comparisons.
	 */
	while (len > 1)
	{
		uint32_t half = len / 2;

		base += base[half - 1] < r ? half : 0;
		len -= half;
	}
	return (uint32_t)(base - s->rank) + (*base < r);
}

mc_level *
mc_side_find(const mc_side_book *s, int64_t price)
{
	int64_t r = mc_rank(s->side, price);
	uint32_t i;

	/* most activity is at the top of the book: try the best level first */
	if (s->n && s->rank[s->n - 1] == r)
		return s->lv[s->n - 1];
	i = lower_bound(s, r);
	if (i < s->n && s->rank[i] == r)
		return s->lv[i];
	return NULL;
}

void
mc_side_insert(mc_side_book *s, mc_level *lvl)
{
	int64_t r = mc_rank(s->side, lvl->price);
	uint32_t i = lower_bound(s, r);
	size_t tail = (size_t)(s->n - i);

	memmove(&s->lv[i + 1], &s->lv[i], tail * sizeof(s->lv[0]));
	memmove(&s->rank[i + 1], &s->rank[i], tail * sizeof(s->rank[0]));
	s->lv[i] = lvl;
	s->rank[i] = r;
	s->n++;
}

void
mc_side_remove(mc_side_book *s, mc_level *lvl)
{
	uint32_t i;
	size_t tail;

	if (s->lv[s->n - 1] == lvl)
	{
		s->n--;
		return;
	}
	i = lower_bound(s, mc_rank(s->side, lvl->price));
	tail = (size_t)(s->n - i - 1);
	memmove(&s->lv[i], &s->lv[i + 1], tail * sizeof(s->lv[0]));
	memmove(&s->rank[i], &s->rank[i + 1], tail * sizeof(s->rank[0]));
	s->n--;
}
