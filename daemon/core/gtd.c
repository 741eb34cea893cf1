/*
 * gtd.c - the expiry heap of good-till-date orders.
 *
 * A binary min-heap of the resting GTD orders ordered by (expire_time, id),
 * in an array of max_orders slots allocated at mc_engine_create; each order
 * keeps its slot (heap_pos) so that a cancel or fill removes it in O(log n).
 * The key is a total order, so the first order to expire is the same in
 * every engine that holds the same orders: mc_engine_next_expiry answers the
 * sequencer, which injects MC_CMD_EXPIRE; the core itself never reads a clock.
 */
#include "internal.h"

static inline int
earlier(const mc_order *a, const mc_order *b)
{
	if (a->expire_time != b->expire_time)
		return a->expire_time < b->expire_time;
	return a->id < b->id;
}

static inline void
place(mc_engine *e, uint32_t i, mc_order *o)
{
	e->gtd[i] = o;
	o->heap_pos = i;
}

static void
sift_up(mc_engine *e, uint32_t i)
{
	mc_order *o = e->gtd[i];

	while (i > 0)
	{
		uint32_t parent = (i - 1) / 2;

		if (!earlier(o, e->gtd[parent]))
			break;
		place(e, i, e->gtd[parent]);
		i = parent;
	}
	place(e, i, o);
}

static void
sift_down(mc_engine *e, uint32_t i)
{
	mc_order *o = e->gtd[i];

	for (;;)
	{
		uint32_t c = 2 * i + 1;

		if (c >= e->gtd_n)
			break;
		if (c + 1 < e->gtd_n && earlier(e->gtd[c + 1], e->gtd[c]))
			c++;
		if (!earlier(e->gtd[c], o))
			break;
		place(e, i, e->gtd[c]);
		i = c;
	}
	place(e, i, o);
}

void
mc_gtd_push(mc_engine *e, mc_order *o)
{
	/* one slot per pooled order: it cannot overflow */
	place(e, e->gtd_n++, o);
	sift_up(e, o->heap_pos);
}

void
mc_gtd_remove(mc_engine *e, mc_order *o)
{
	uint32_t i = o->heap_pos;
	mc_order *last = e->gtd[--e->gtd_n];

	if (i == e->gtd_n)
		return;
	place(e, i, last);
	sift_up(e, i);
	sift_down(e, last->heap_pos);
}

int
mc_engine_next_expiry(const mc_engine *e, uint64_t *order_id, uint64_t *expire_time)
{
	if (e->gtd_n == 0)
		return 0;
	*order_id = e->gtd[0]->id;
	*expire_time = e->gtd[0]->expire_time;
	return 1;
}
