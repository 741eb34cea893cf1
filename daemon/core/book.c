/* book.c - sorted level arrays of one side of a book; see book.h. */
#include "book.h"

#include <string.h>

/*
 * Rank orders levels so that a bigger rank is a better price; the array is
 * sorted by rank ascending and the best level sits at the end, where inserts
 * and removals are cheapest.
 */
static inline int64_t
rank(int side, int64_t price)
{
	return side == MC_BUY ? price : -price;
}

/* first index whose rank is >= r */
static uint32_t
lower_bound(const mc_side_book *s, int64_t r)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi)
	{
		uint32_t mid = lo + (hi - lo) / 2;

		if (rank(s->side, s->lv[mid]->price) < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

mc_level *
mc_side_find(const mc_side_book *s, int64_t price)
{
	uint32_t i;

	/* most activity is at the top of the book: try the best level first */
	if (s->n && s->lv[s->n - 1]->price == price)
		return s->lv[s->n - 1];
	i = lower_bound(s, rank(s->side, price));
	if (i < s->n && s->lv[i]->price == price)
		return s->lv[i];
	return NULL;
}

void
mc_side_insert(mc_side_book *s, mc_level *lvl)
{
	uint32_t i = lower_bound(s, rank(s->side, lvl->price));

	memmove(&s->lv[i + 1], &s->lv[i], (size_t)(s->n - i) * sizeof(s->lv[0]));
	s->lv[i] = lvl;
	s->n++;
}

void
mc_side_remove(mc_side_book *s, mc_level *lvl)
{
	uint32_t i;

	if (s->lv[s->n - 1] == lvl)
	{
		s->n--;
		return;
	}
	i = lower_bound(s, rank(s->side, lvl->price));
	memmove(&s->lv[i], &s->lv[i + 1], (size_t)(s->n - i - 1) * sizeof(s->lv[0]));
	s->n--;
}
