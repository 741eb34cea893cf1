/*
 * snap.c - the books as bytes (see mc_engine_save in engine.h).
 *
 * Layout (serial.h encoding: little-endian, no padding):
 *   u32 MC_SNAP_FORMAT, u32 symbols in use
 *   per symbol, ascending id:
 *     u32 id, u8 status, u8 stp, u32 max_orders, u32 levels per side,
 *     u32 price window (ticks), i64 last trade price (format 2)
 *     per side: bids, asks, and (format 2) buy stops, sell stops:
 *       u32 levels, i64 best price (0 when empty)
 *       per level, WORST first: i64 price (a stop's: its stop price), u32 orders
 *         per order, head (oldest) to tail:
 *           u64 id, u64 timestamp, i64 qty, i64 leaves, i64 filled,
 *           u32 account, u8 type, u8 tif, client order id (16 bytes),
 *           and (format 2) u8 flags, u64 expire_time, i64 limit price,
 *           i64 stop price
 * Format 1 (before post-only, GTD and stops) has none of the format-2
 * fields: it loads with no flags, expiries, stops or last trade price, as
 * those books had.
 *
 * Levels go worst first so that loading inserts each one next to the last
 * (far levels append at the end of their sorted array instead of memmoving
 * it every time); the best price comes first so the window is anchored where
 * the side trades.  Where a side's window is anchored is speed only and not
 * part of the bytes: a live book anchored on its first price and a loaded one
 * anchored on its best hold the same state and save the same bytes.
 *
 * Load validates everything in a first pass over the bytes without touching
 * the engine except its (empty) order index, used to find duplicate ids and
 * emptied again; only then the second pass builds, and its only possible
 * failure (memory for a symbol's level arrays) is undone.
 */
#include "internal.h"
#include "serial.h"

#include <string.h>

/* A side's levels from worst to best. */
/* The four side books of a symbol in snapshot order; the side of their orders. */
static mc_side_book *
side_k(mc_book *b, int k)
{
	return k == 0   ? &b->bids
	       : k == 1 ? &b->asks
	       : k == 2 ? &b->stop_buys
	                : &b->stop_sells;
}

static int
order_side_k(int k)
{
	return k == 0 || k == 2 ? MC_BUY : MC_SELL;
}

/* The ranking of side k's levels (stop buys trigger lowest first, like asks). */
static int
rank_side_k(int k)
{
	return k == 0 || k == 3 ? MC_BUY : MC_SELL;
}

static int
sides_of(uint32_t format)
{
	return format >= 2 ? 4 : 2;
}

static void
save_side(mc_wbuf *w, const mc_side_book *s, uint32_t format)
{
	mc_put_u32(w, s->n);
	mc_put_i64(w, s->best ? s->best->price : 0);
	for (const mc_level *lvl = s->worst; lvl; lvl = lvl->better)
	{
		mc_put_i64(w, lvl->price);
		mc_put_u32(w, lvl->count);
		for (const mc_order *o = lvl->head; o; o = o->next)
		{
			mc_put_u64(w, o->id);
			mc_put_u64(w, o->timestamp);
			mc_put_i64(w, o->qty);
			mc_put_i64(w, o->leaves);
			mc_put_i64(w, o->filled);
			mc_put_u32(w, o->account);
			mc_put_u8(w, o->type);
			mc_put_u8(w, o->tif);
			mc_put_bytes(w, o->client_order_id, MC_CLORDID_LEN);
			if (format < 2)
				continue;
			mc_put_u8(w, o->flags);
			mc_put_u64(w, o->expire_time);
			mc_put_i64(w, o->price);
			mc_put_i64(w, o->stop_price);
		}
	}
}

/* Can format 1 (before post-only, GTD and stops) hold side s's orders? */
static int
fits_format_1(const mc_side_book *s)
{
	for (const mc_level *lvl = s->best; lvl; lvl = lvl->worse)
		for (const mc_order *o = lvl->head; o; o = o->next)
			if (o->flags || o->expire_time || o->stop_price || o->type != MC_LIMIT)
				return 0;
	return 1;
}

size_t
mc_engine_save(const mc_engine *e, uint8_t *buf, size_t cap)
{
	return mc_engine_save_format(e, buf, cap, MC_SNAP_FORMAT);
}

size_t
mc_engine_save_format(const mc_engine *e, uint8_t *buf, size_t cap, uint32_t format)
{
	mc_wbuf w = {buf, cap, 0};
	uint32_t n = 0;

	if (format != MC_SNAP_FORMAT && format != 1)
		return 0;
	for (uint32_t sym = 0; format == 1 && sym < e->cfg.max_symbols; sym++)
	{
		const mc_book *b = &e->books[sym];

		if (b->in_use && (b->stop_buys.n || b->stop_sells.n || !fits_format_1(&b->bids) ||
		                  !fits_format_1(&b->asks)))
			return 0;
	}

	for (uint32_t sym = 0; sym < e->cfg.max_symbols; sym++)
		n += e->books[sym].in_use;
	mc_put_u32(&w, format);
	mc_put_u32(&w, n);
	for (uint32_t sym = 0; sym < e->cfg.max_symbols; sym++)
	{
		const mc_book *b = &e->books[sym];

		if (!b->in_use)
			continue;
		mc_put_u32(&w, sym);
		mc_put_u8(&w, b->status);
		mc_put_u8(&w, b->stp);
		mc_put_u32(&w, b->max_orders);
		mc_put_u32(&w, b->bids.cap);
		mc_put_u32(&w, b->bids.window);
		if (format >= 2)
			mc_put_i64(&w, b->last_price);
		for (int k = 0; k < sides_of(format); k++)
			save_side(&w, side_k((mc_book *)b, k), format);
	}
	return w.len;
}

/* ---- load ------------------------------------------------------------------ */

typedef struct sym_head
{
	uint32_t id;
	uint8_t status;
	uint8_t stp;
	uint32_t max_orders;
	uint32_t cap;
	uint32_t window;
	int64_t last_price;
} sym_head;

static void
read_head(mc_rbuf *r, sym_head *h, uint32_t format)
{
	h->id = mc_get_u32(r);
	h->status = mc_get_u8(r);
	h->stp = mc_get_u8(r);
	h->max_orders = mc_get_u32(r);
	h->cap = mc_get_u32(r);
	h->window = mc_get_u32(r);
	h->last_price = format >= 2 ? mc_get_i64(r) : 0;
}

/* Bytes of one order in a snapshot of that format. */
static size_t
order_bytes(uint32_t format)
{
	return 8 * 5 + 4 + 2 + MC_CLORDID_LEN + (format >= 2 ? 1 + 8 + 8 + 8 : 0);
}

static void
read_order(mc_rbuf *r, mc_order *o, uint32_t format)
{
	const uint8_t *clordid;

	o->id = mc_get_u64(r);
	o->timestamp = mc_get_u64(r);
	o->qty = mc_get_i64(r);
	o->leaves = mc_get_i64(r);
	o->filled = mc_get_i64(r);
	o->account = mc_get_u32(r);
	o->type = mc_get_u8(r);
	o->tif = mc_get_u8(r);
	clordid = mc_get_bytes(r, MC_CLORDID_LEN);
	if (clordid)
		memcpy(o->client_order_id, clordid, MC_CLORDID_LEN);
	o->flags = 0;
	o->expire_time = 0;
	o->price = 0;
	o->stop_price = 0;
	if (format >= 2)
	{
		o->flags = mc_get_u8(r);
		o->expire_time = mc_get_u64(r);
		o->price = mc_get_i64(r);
		o->stop_price = mc_get_i64(r);
	}
}

static int
valid_head(const mc_engine *e, const sym_head *h, int64_t prev_id)
{
	if ((int64_t)h->id <= prev_id)
		return MC_SNAP_MALFORMED;
	if (h->id >= e->cfg.max_symbols)
		return MC_SNAP_CAPACITY;
	if (h->status != MC_STATUS_CLOSED && h->status != MC_STATUS_OPEN &&
	    h->status != MC_STATUS_HALTED)
		return MC_SNAP_MALFORMED;
	if (h->stp != MC_STP_CANCEL_OLDEST && h->stp != MC_STP_CANCEL_NEWEST)
		return MC_SNAP_MALFORMED;
	/* a symbol's limits never exceed the engine's pools (they size its level
	 * arrays: a corrupt value must not make load allocate gigabytes) */
	if (h->max_orders > e->cfg.max_orders || h->cap > e->cfg.max_levels)
		return MC_SNAP_CAPACITY;
	if (h->last_price < 0 || h->last_price > MC_MAX_PRICE)
		return MC_SNAP_MALFORMED;
	if (h->max_orders == 0 || h->cap == 0 || h->window < 64 ||
	    h->window > MC_WINDOW_MAX || (h->window & (h->window - 1)) != 0)
		return MC_SNAP_MALFORMED;
	return MC_SNAP_OK;
}

/* An order of side k at a level of that price (the bytes' prices are checked
 * against the level: one encoding per state). */
static int
valid_order(const mc_order *o, int k, int64_t level_price)
{
	int rests = o->tif == MC_DAY || o->tif == MC_GTC || o->tif == MC_GTD;
	int stop_ok = o->stop_price >= 1 && o->stop_price <= MC_MAX_PRICE;

	if (o->id == 0 || o->leaves < 1 || o->leaves > MC_MAX_QTY || o->filled < 0 ||
	    o->filled > MC_MAX_QTY * (int64_t)1000000 || o->qty != o->leaves + o->filled)
		return 0;
	if (k < 2)
	{
		/* in the book: a limit order, or a stop-limit that triggered */
		if (o->price != level_price || !rests ||
		    !(o->type == MC_LIMIT ? o->stop_price == 0
		                          : o->type == MC_STOP_LIMIT && stop_ok))
			return 0;
	}
	else if (o->stop_price != level_price || o->filled != 0 ||
	         !(o->type == MC_STOP
	               ? o->price == 0 && (o->tif == MC_IOC || o->tif == MC_FOK)
	               : o->type == MC_STOP_LIMIT && o->price >= 1 &&
	                     o->price <= MC_MAX_PRICE && o->tif >= MC_DAY &&
	                     o->tif <= MC_GTD))
		return 0;
	if ((o->flags & ~MC_CMDF_POST_ONLY) != 0 ||
	    (o->tif == MC_GTD) != (o->expire_time != 0))
		return 0;
	return 1;
}

static void
clear_index(mc_index *ix)
{
	memset(ix->slots, 0, ((size_t)ix->mask + 1) * sizeof(*ix->slots));
	ix->count = 0;
}

/* Pass 1: everything checked, nothing built.  Duplicate ids are found with
 * the engine's order index, which the caller empties afterwards. */
static int
validate(mc_engine *e, mc_rbuf *r, uint32_t *format)
{
	uint64_t orders = 0, levels = 0;
	int64_t prev_id = -1;
	uint32_t nsyms;
	/* any non-NULL value marks an id as seen */
	mc_order *seen = (mc_order *)e->orders.mem;
	int rc;

	*format = mc_get_u32(r);
	if (*format != MC_SNAP_FORMAT && *format != 1)
		return r->bad ? MC_SNAP_TRUNCATED : MC_SNAP_VERSION;
	nsyms = mc_get_u32(r);
	if (r->bad)
		return MC_SNAP_TRUNCATED;
	if (nsyms > e->cfg.max_symbols)
		return MC_SNAP_CAPACITY;
	for (uint32_t k = 0; k < nsyms; k++)
	{
		sym_head h;
		uint64_t sym_orders = 0;

		read_head(r, &h, *format);
		if (r->bad)
			return MC_SNAP_TRUNCATED;
		if ((rc = valid_head(e, &h, prev_id)) != MC_SNAP_OK)
			return rc;
		prev_id = h.id;
		for (int k = 0; k < sides_of(*format); k++)
		{
			int side = rank_side_k(k);
			uint32_t nlevels = mc_get_u32(r);
			int64_t best = mc_get_i64(r), prev_price = 0;

			if (r->bad)
				return MC_SNAP_TRUNCATED;
			if (nlevels > h.cap)
				return MC_SNAP_CAPACITY;
			for (uint32_t l = 0; l < nlevels; l++)
			{
				int64_t price = mc_get_i64(r);
				uint32_t count = mc_get_u32(r);

				if (r->bad)
					return MC_SNAP_TRUNCATED;
				/* worst first: each level strictly better than the one before */
				if (price < 1 || price > MC_MAX_PRICE || count == 0 ||
				    (l > 0 && !mc_better(side, price, prev_price)))
					return MC_SNAP_MALFORMED;
				prev_price = price;
				if (++levels > e->levels.cap)
					return MC_SNAP_CAPACITY;
				for (uint32_t i = 0; i < count; i++)
				{
					mc_order o;

					read_order(r, &o, *format);
					if (r->bad)
						return MC_SNAP_TRUNCATED;
					if (*format < 2)
						o.price = price;
					if (!valid_order(&o, k, price))
						return MC_SNAP_MALFORMED;
					if (++orders > e->orders.cap)
						return MC_SNAP_CAPACITY;
					if (mc_index_get(&e->index, o.id) != NULL)
						return MC_SNAP_DUPLICATE;
					mc_index_put(&e->index, o.id, seen);
					sym_orders++;
				}
			}
			if (best != (nlevels ? prev_price : 0))
				return MC_SNAP_MALFORMED;
		}
		if (sym_orders > h.max_orders)
			return MC_SNAP_CAPACITY;
	}
	if (r->off != r->len)
		return MC_SNAP_MALFORMED;
	return MC_SNAP_OK;
}

/* Pass 2 for one side (the bytes are known good). */
static void
build_side(mc_engine *e, mc_book *b, int k, mc_rbuf *r, uint32_t format)
{
	mc_side_book *s = side_k(b, k);

	uint32_t nlevels = mc_get_u32(r);
	int64_t best = mc_get_i64(r);

	if (nlevels > 0)
	{
		/* centre the window on the best price, where the side trades */
		s->base = mc_rank(s->side, best) - (int64_t)(s->window / 2);
		s->anchored = 1;
	}
	for (uint32_t l = 0; l < nlevels; l++)
	{
		mc_level *lvl = mc_pool_get(&e->levels);
		uint32_t count;

		lvl->head = lvl->tail = NULL;
		lvl->better = lvl->worse = NULL;
		lvl->price = mc_get_i64(r);
		lvl->total = 0;
		lvl->count = 0;
		count = mc_get_u32(r);
		mc_side_insert(s, lvl);
		for (uint32_t i = 0; i < count; i++)
		{
			mc_order *o = mc_pool_get(&e->orders);

			memset(o, 0, sizeof(*o));
			read_order(r, o, format);
			if (format < 2)
				o->price = lvl->price;
			o->symbol = b->symbol;
			o->side = (uint8_t)order_side_k(k);
			o->waiting = k >= 2;
			mc_level_append(lvl, o);
			mc_index_put(&e->index, o->id, o);
			if (o->tif == MC_GTD)
				mc_gtd_push(e, o);
			b->n_orders++;
		}
	}
}

static void
drop_symbols(mc_engine *e)
{
	for (uint32_t i = 0; i < e->cfg.max_symbols; i++)
		if (e->books[i].in_use)
		{
			mc_side_free(&e->books[i].bids, &e->alloc);
			mc_side_free(&e->books[i].asks, &e->alloc);
			mc_side_free(&e->books[i].stop_buys, &e->alloc);
			mc_side_free(&e->books[i].stop_sells, &e->alloc);
			memset(&e->books[i], 0, sizeof(e->books[i]));
		}
}

int
mc_engine_load(mc_engine *e, const uint8_t *buf, size_t len)
{
	mc_rbuf r = {buf, len, 0, 0};
	uint32_t nsyms, format = 0;
	int rc;

	for (uint32_t i = 0; i < e->cfg.max_symbols; i++)
		if (e->books[i].in_use)
			return MC_SNAP_NOT_EMPTY;
	if (e->orders.used != 0 || e->levels.used != 0 || e->index.count != 0)
		return MC_SNAP_NOT_EMPTY;
	rc = validate(e, &r, &format);
	if (e->index.count != 0)
		clear_index(&e->index);
	if (rc != MC_SNAP_OK)
		return rc;

	/* the symbols first: their level arrays are the only allocation */
	r.off = 0;
	(void)mc_get_u32(&r);
	nsyms = mc_get_u32(&r);
	for (uint32_t k = 0; k < nsyms; k++)
	{
		sym_head h;
		mc_symbol_config sc;

		read_head(&r, &h, format);
		sc = (mc_symbol_config){.stp = h.stp,
		                        .max_orders = h.max_orders,
		                        .max_levels = h.cap,
		                        .price_window = h.window};
		if (mc_engine_add_symbol(e, h.id, &sc) != MC_R_NONE)
		{
			drop_symbols(e);
			return MC_SNAP_NO_MEMORY;
		}
		e->books[h.id].status = h.status;
		e->books[h.id].last_price = h.last_price;
		for (int k = 0; k < sides_of(format); k++)
		{
			uint32_t nlevels = mc_get_u32(&r);

			(void)mc_get_i64(&r);
			for (uint32_t l = 0; l < nlevels; l++)
			{
				uint32_t count;

				(void)mc_get_i64(&r);
				count = mc_get_u32(&r);
				r.off += (size_t)count * order_bytes(format);
			}
		}
	}

	r.off = 8;
	for (uint32_t k = 0; k < nsyms; k++)
	{
		sym_head h;
		mc_book *b;

		read_head(&r, &h, format);
		b = &e->books[h.id];
		for (int k = 0; k < sides_of(format); k++)
			build_side(e, b, k, &r, format);
	}
	return MC_SNAP_OK;
}

const char *
mc_snap_error(int status)
{
	switch (status)
	{
		case MC_SNAP_OK:
			return "ok";
		case MC_SNAP_TRUNCATED:
			return "the books' section ends early";
		case MC_SNAP_VERSION:
			return "the books' section has another layout version";
		case MC_SNAP_MALFORMED:
			return "the books' section holds a value out of range or out of order";
		case MC_SNAP_CAPACITY:
			return "the books do not fit this engine (--max-orders, --max-levels, "
			       "--max-symbols)";
		case MC_SNAP_NOT_EMPTY:
			return "the engine already holds books";
		case MC_SNAP_DUPLICATE:
			return "an order id appears twice in the books";
		case MC_SNAP_NO_MEMORY:
			return "out of memory for the books";
	}
	return "unknown snapshot error";
}
