/*
 * hash.c - canonical hash of the engine state; see mc_engine_hash.
 *
 * Byte sequence (each value as 8 little-endian bytes unless noted):
 *   for each symbol in use, ascending id:
 *     symbol, status, stp, max_orders, n_orders, last trade price
 *     for the bids, the asks, the buy stops and the sell stops (stops waiting
 *     to trigger, levels by stop price in trigger order):
 *       side, number of levels, per-side level limit
 *       for each level, best first: price, total, count
 *         for each order, head to tail:
 *           id, account, side, type, tif, price, qty, leaves, filled,
 *           timestamp, client_order_id (16 raw bytes), flags, expire_time,
 *           stop_price, waiting
 * Pool occupancy is implied by the orders and levels listed.
 */
#include "hash.h"
#include "internal.h"

uint64_t
mc_engine_hash(const mc_engine *e)
{
	uint64_t h = MC_FNV_OFFSET;

	for (uint32_t sym = 0; sym < e->cfg.max_symbols; sym++)
	{
		const mc_book *b = &e->books[sym];

		if (!b->in_use)
			continue;
		h = mc_hash_u64(h, sym);
		h = mc_hash_u64(h, b->status);
		h = mc_hash_u64(h, b->stp);
		h = mc_hash_u64(h, b->max_orders);
		h = mc_hash_u64(h, b->n_orders);
		h = mc_hash_u64(h, (uint64_t)b->last_price);
		for (int k = 0; k < 4; k++)
		{
			const mc_side_book *s = k == 0   ? &b->bids
			                        : k == 1 ? &b->asks
			                        : k == 2 ? &b->stop_buys
			                                 : &b->stop_sells;

			h = mc_hash_u64(h, s->side);
			h = mc_hash_u64(h, s->n);
			h = mc_hash_u64(h, s->cap);
			for (const mc_level *lvl = s->best; lvl; lvl = lvl->worse)
			{
				h = mc_hash_u64(h, (uint64_t)lvl->price);
				h = mc_hash_u64(h, (uint64_t)lvl->total);
				h = mc_hash_u64(h, lvl->count);
				for (const mc_order *o = lvl->head; o; o = o->next)
				{
					h = mc_hash_u64(h, o->id);
					h = mc_hash_u64(h, o->account);
					h = mc_hash_u64(h, o->side);
					h = mc_hash_u64(h, o->type);
					h = mc_hash_u64(h, o->tif);
					h = mc_hash_u64(h, (uint64_t)o->price);
					h = mc_hash_u64(h, (uint64_t)o->qty);
					h = mc_hash_u64(h, (uint64_t)o->leaves);
					h = mc_hash_u64(h, (uint64_t)o->filled);
					h = mc_hash_u64(h, o->timestamp);
					h = mc_hash_bytes(h, o->client_order_id, MC_CLORDID_LEN);
					h = mc_hash_u64(h, o->flags);
					h = mc_hash_u64(h, o->expire_time);
					h = mc_hash_u64(h, (uint64_t)o->stop_price);
					h = mc_hash_u64(h, o->waiting);
				}
			}
		}
	}
	return h;
}
