/*
 * feedbook.c - the feed's sequence state and the books it rebuilds; see
 * feedbook.h.
 *
 * A book is kept the way the matching core keeps it, so that equal means
 * equal: per symbol and side a price-sorted array of levels (best first),
 * per level a FIFO list of orders, and an index from order id to order
 * (open addressing with backward-shift deletion).  It is written apart from
 * the core's book on purpose: test_feed compares the two, and a bug shared
 * by both would prove nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "feedbook.h"

/* ---- the stream ------------------------------------------------------------- */

void
fb_stream_init(fb_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->next_seq = 1;
}

static void
note_gap(fb_stream *s, fb_report *r, uint64_t from, uint64_t to)
{
	s->gaps++;
	s->missed += to - from + 1;
	r->gap = 1;
	r->gap_from = from;
	r->gap_to = to;
}

/* The journal position a system message gives; a session must start where
 * the last one left off, or batches were lost in between. */
static void
system_message(fb_stream *s, const pgx_feed_msg *m, fb_report *r)
{
	if (m->code == PGX_FEED_SYS_START && s->journal_known &&
	    m->journal_seq != s->journal_seq)
	{
		s->journal_gaps++;
		r->journal_gap = 1;
		r->journal_expected = s->journal_seq;
		r->journal_got = m->journal_seq;
	}
	if (m->code == PGX_FEED_SYS_START || m->code == PGX_FEED_SYS_CHECKPOINT)
	{
		s->journal_known = 1;
		s->journal_seq = m->journal_seq;
	}
}

void
fb_stream_packet(fb_stream *s, const uint8_t *buf, size_t len, fb_message_fn fn,
                 void *ctx, fb_report *r)
{
	pgx_feed_header h;
	const uint8_t *p = buf + PGX_FEED_HEADER, *end = buf + len;
	uint64_t seq;

	memset(r, 0, sizeof(*r));
	if (!pgx_feed_decode_header(buf, len, &h))
	{
		s->malformed++;
		r->malformed = 1;
		return;
	}
	s->packets++;
	if (!s->have_session || memcmp(h.session, s->session, PGX_FEED_SESSION_LEN) != 0)
	{
		/* a session numbers its messages from 1 */
		memcpy(s->session, h.session, PGX_FEED_SESSION_LEN);
		s->have_session = 1;
		s->next_seq = 1;
		s->ended = 0;
		s->sessions++;
		r->new_session = 1;
	}
	if (h.count == 0 || h.count == PGX_FEED_COUNT_END)
	{
		/* sequence is the next message's: anything before it that we lack is lost */
		if (h.sequence > s->next_seq)
		{
			note_gap(s, r, s->next_seq, h.sequence - 1);
			s->next_seq = h.sequence;
		}
		if (h.count == 0)
			s->heartbeats++, r->heartbeat = 1;
		else
			s->ended = 1, r->end = 1;
		if (len != PGX_FEED_HEADER)
			s->malformed++, r->malformed = 1;
		return;
	}
	if (h.sequence > s->next_seq)
	{
		note_gap(s, r, s->next_seq, h.sequence - 1);
		s->next_seq = h.sequence;
	}
	seq = h.sequence;
	for (uint16_t i = 0; i < h.count; i++, seq++)
	{
		pgx_feed_msg m;
		size_t used;
		pgx_feed_status st = pgx_feed_decode(p, (size_t)(end - p), &m, &used);

		if (st == PGX_FEED_SHORT || st == PGX_FEED_LENGTH || st == PGX_FEED_VALUE)
		{
			/* the rest of the packet cannot be trusted: the next packet shows a gap */
			s->malformed++;
			r->malformed = 1;
			return;
		}
		p += used;
		if (seq < s->next_seq)
		{
			s->duplicates++;
			continue;
		}
		s->next_seq = seq + 1;
		s->messages++;
		if (st == PGX_FEED_UNKNOWN)
		{
			s->unknown++;
			continue;
		}
		if (m.type == PGX_FEED_SYSTEM)
			system_message(s, &m, r);
		if (fn)
			fn(ctx, seq, &m);
	}
	if (p != end)
		s->malformed++, r->malformed = 1;
}

/* ---- the books -------------------------------------------------------------- */

typedef struct fb_order fb_order;
typedef struct fb_level fb_level;
typedef struct fb_symbol fb_symbol;

struct fb_order
{
	int64_t id;
	int64_t quantity;
	fb_level *level;
	fb_symbol *symbol;
	fb_order *prev, *next;
	uint8_t side;
};

struct fb_level
{
	int64_t price;
	fb_order *head, *tail;
};

typedef struct fb_side
{
	fb_level **levels; /* best first */
	size_t n, cap;
} fb_side;

struct fb_symbol
{
	char name[PGX_FEED_SYMBOL_LEN + 1];
	uint8_t status;
	fb_side sides[2]; /* [0] bids, [1] asks */
};

struct fb_book
{
	fb_symbol **symbols; /* sorted by name */
	uint32_t nsymbols, symbols_cap;
	fb_order **slots; /* order index, a power of two, load <= 1/2 */
	size_t nslots, norders;
	uint64_t anomalies, deletes_unknown;
	char last_anomaly[256];
};

static void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (q == NULL)
	{
		fputs("feedbook: out of memory\n", stderr);
		abort();
	}
	return q;
}

fb_book *
fb_create(void)
{
	fb_book *b = xrealloc(NULL, sizeof(*b));

	memset(b, 0, sizeof(*b));
	b->nslots = 1024;
	b->slots = xrealloc(NULL, b->nslots * sizeof(*b->slots));
	memset(b->slots, 0, b->nslots * sizeof(*b->slots));
	return b;
}

void
fb_destroy(fb_book *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nslots; i++)
		free(b->slots[i]);
	for (uint32_t i = 0; i < b->nsymbols; i++)
	{
		for (int k = 0; k < 2; k++)
		{
			for (size_t l = 0; l < b->symbols[i]->sides[k].n; l++)
				free(b->symbols[i]->sides[k].levels[l]);
			free(b->symbols[i]->sides[k].levels);
		}
		free(b->symbols[i]);
	}
	free(b->symbols);
	free(b->slots);
	free(b);
}

static int anomaly(fb_book *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
anomaly(fb_book *b, const char *fmt, ...)
{
	va_list ap;

	b->anomalies++;
	va_start(ap, fmt);
	vsnprintf(b->last_anomaly, sizeof(b->last_anomaly), fmt, ap);
	va_end(ap);
	return -1;
}

uint64_t
fb_anomalies(const fb_book *b)
{
	return b->anomalies;
}

const char *
fb_last_anomaly(const fb_book *b)
{
	return b->last_anomaly;
}

uint64_t
fb_deletes_unknown(const fb_book *b)
{
	return b->deletes_unknown;
}

uint64_t
fb_order_count(const fb_book *b)
{
	return b->norders;
}

/* ---- order index ------------------------------------------------------------ */

static size_t
slot_of(const fb_book *b, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 32) & (b->nslots - 1);
}

static fb_order *
find_order(const fb_book *b, int64_t id)
{
	for (size_t i = slot_of(b, id);; i = (i + 1) & (b->nslots - 1))
	{
		if (b->slots[i] == NULL)
			return NULL;
		if (b->slots[i]->id == id)
			return b->slots[i];
	}
}

static void
put_slot(fb_order **slots, size_t nslots, size_t start, fb_order *o)
{
	size_t i = start;

	while (slots[i] != NULL)
		i = (i + 1) & (nslots - 1);
	slots[i] = o;
}

static void
index_put(fb_book *b, fb_order *o)
{
	if (2 * (b->norders + 1) > b->nslots)
	{
		size_t n = b->nslots * 2;
		fb_order **slots = xrealloc(NULL, n * sizeof(*slots));
		fb_order **old = b->slots;
		size_t old_n = b->nslots;

		memset(slots, 0, n * sizeof(*slots));
		b->slots = slots;
		b->nslots = n;
		for (size_t i = 0; i < old_n; i++)
			if (old[i])
				put_slot(slots, n, slot_of(b, old[i]->id), old[i]);
		free(old);
	}
	put_slot(b->slots, b->nslots, slot_of(b, o->id), o);
	b->norders++;
}

/* Backward-shift deletion: later entries of the probe run move up, so
 * lookups never need tombstones. */
static void
index_del(fb_book *b, int64_t id)
{
	size_t mask = b->nslots - 1, i = slot_of(b, id);

	while (b->slots[i]->id != id)
		i = (i + 1) & mask;
	b->slots[i] = NULL;
	for (size_t j = (i + 1) & mask; b->slots[j] != NULL; j = (j + 1) & mask)
	{
		size_t home = slot_of(b, b->slots[j]->id);

		/* move j into the hole at i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask))
		{
			b->slots[i] = b->slots[j];
			b->slots[j] = NULL;
			i = j;
		}
	}
	b->norders--;
}

/* ---- symbols and levels ----------------------------------------------------- */

/* Index of the symbol named name (16 bytes, NUL-padded), or where it would go. */
static uint32_t
symbol_pos(const fb_book *b, const char *name, int *found)
{
	uint32_t lo = 0, hi = b->nsymbols;

	*found = 0;
	while (lo < hi)
	{
		uint32_t mid = (lo + hi) / 2;
		int c = memcmp(b->symbols[mid]->name, name, PGX_FEED_SYMBOL_LEN);

		if (c == 0)
			return *found = 1, mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static fb_symbol *
find_symbol(const fb_book *b, const char *symbol)
{
	char name[PGX_FEED_SYMBOL_LEN] = {0};
	int found;
	uint32_t i;

	memcpy(name, symbol, strnlen(symbol, PGX_FEED_SYMBOL_LEN));
	i = symbol_pos(b, name, &found);
	return found ? b->symbols[i] : NULL;
}

static fb_symbol *
get_symbol(fb_book *b, const char name[PGX_FEED_SYMBOL_LEN])
{
	int found;
	uint32_t i = symbol_pos(b, name, &found);
	fb_symbol *s;

	if (found)
		return b->symbols[i];
	if (b->nsymbols == b->symbols_cap)
	{
		b->symbols_cap = b->symbols_cap ? 2 * b->symbols_cap : 16;
		b->symbols = xrealloc(b->symbols, b->symbols_cap * sizeof(*b->symbols));
	}
	s = xrealloc(NULL, sizeof(*s));
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, PGX_FEED_SYMBOL_LEN);
	s->status = PGX_FEED_ST_CLOSED; /* a symbol starts closed */
	memmove(b->symbols + i + 1, b->symbols + i, (b->nsymbols - i) * sizeof(*b->symbols));
	b->symbols[i] = s;
	b->nsymbols++;
	return s;
}

static fb_side *
side_of(fb_symbol *s, int side)
{
	return &s->sides[side == PGX_SIDE_BUY ? 0 : 1];
}

/* Whether price a is better than b on this side. */
static int
better(int side, int64_t a, int64_t b)
{
	return side == PGX_SIDE_BUY ? a > b : a < b;
}

/* Index of the level at price, or where it would go (best first). */
static size_t
level_pos(const fb_side *s, int side, int64_t price, int *found)
{
	size_t lo = 0, hi = s->n;

	*found = 0;
	while (lo < hi)
	{
		size_t mid = (lo + hi) / 2;

		if (s->levels[mid]->price == price)
			return *found = 1, mid;
		if (better(side, s->levels[mid]->price, price))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Appends o at the tail of its price level (created when new). */
static void
rest(fb_order *o, int64_t price)
{
	fb_side *s = side_of(o->symbol, o->side);
	int found;
	size_t i = level_pos(s, o->side, price, &found);
	fb_level *lvl;

	if (found)
		lvl = s->levels[i];
	else
	{
		if (s->n == s->cap)
		{
			s->cap = s->cap ? 2 * s->cap : 16;
			s->levels = xrealloc(s->levels, s->cap * sizeof(*s->levels));
		}
		lvl = xrealloc(NULL, sizeof(*lvl));
		lvl->price = price;
		lvl->head = lvl->tail = NULL;
		memmove(s->levels + i + 1, s->levels + i, (s->n - i) * sizeof(*s->levels));
		s->levels[i] = lvl;
		s->n++;
	}
	o->level = lvl;
	o->next = NULL;
	o->prev = lvl->tail;
	if (lvl->tail)
		lvl->tail->next = o;
	else
		lvl->head = o;
	lvl->tail = o;
}

/* Takes o out of its level (freeing the level when it empties). */
static void
unlink_order(fb_order *o)
{
	fb_level *lvl = o->level;

	if (o->prev)
		o->prev->next = o->next;
	else
		lvl->head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	else
		lvl->tail = o->prev;
	if (lvl->head == NULL)
	{
		fb_side *s = side_of(o->symbol, o->side);
		int found;
		size_t i = level_pos(s, o->side, lvl->price, &found);

		memmove(s->levels + i, s->levels + i + 1, (s->n - i - 1) * sizeof(*s->levels));
		s->n--;
		free(lvl);
	}
	o->level = NULL;
}

static void
remove_order(fb_book *b, fb_order *o)
{
	unlink_order(o);
	index_del(b, o->id);
	free(o);
}

/* ---- messages --------------------------------------------------------------- */

static int
apply_add(fb_book *b, const pgx_feed_msg *m)
{
	fb_order *o;

	if (find_order(b, m->order_id) != NULL)
		return anomaly(b, "add of order %lld, which the book already holds",
		               (long long)m->order_id);
	if (m->quantity <= 0 || m->price <= 0 || m->symbol[0] == '\0')
		return anomaly(b, "add of order %lld with quantity %lld at %lld",
		               (long long)m->order_id, (long long)m->quantity,
		               (long long)m->price);
	o = xrealloc(NULL, sizeof(*o));
	memset(o, 0, sizeof(*o));
	o->id = m->order_id;
	o->quantity = m->quantity;
	o->side = m->side;
	o->symbol = get_symbol(b, m->symbol);
	rest(o, m->price);
	index_put(b, o);
	return 0;
}

/* Sets o's open quantity after executing qty (removing it at 0); -1 when the
 * numbers do not add up. */
static int
executed(fb_book *b, fb_order *o, int64_t qty, int64_t remaining, const char *role)
{
	int rc = 0;

	if (o->quantity - qty != remaining || remaining < 0)
		rc = anomaly(
		    b, "%s order %lld had %lld open, executed %lld, the feed says %lld left",
		    role, (long long)o->id, (long long)o->quantity, (long long)qty,
		    (long long)remaining);
	if (remaining <= 0)
		remove_order(b, o);
	else
		o->quantity = remaining;
	return rc;
}

static int
apply_execute(fb_book *b, const pgx_feed_msg *m)
{
	fb_order *maker = find_order(b, m->order_id), *taker;
	int rc = 0;

	if (maker == NULL)
		return anomaly(b, "execution of order %lld, which the book does not hold",
		               (long long)m->order_id);
	if (maker->level->price != m->price || maker->side == m->side)
		rc = anomaly(b, "execution of order %lld at %lld; it rests at %lld",
		             (long long)m->order_id, (long long)m->price,
		             (long long)maker->level->price);
	if (executed(b, maker, m->quantity, m->remaining, "resting") != 0)
		rc = -1;
	/* a re-priced order trades from inside the book: keep it up to date */
	if ((taker = find_order(b, m->contra_order_id)) != NULL &&
	    executed(b, taker, m->quantity, m->contra_remaining, "aggressing") != 0)
		rc = -1;
	return rc;
}

static int
apply_replace(fb_book *b, const pgx_feed_msg *m)
{
	fb_order *o = find_order(b, m->order_id);

	if (o == NULL)
		return anomaly(b, "replace of order %lld, which the book does not hold",
		               (long long)m->order_id);
	if (m->quantity <= 0 || m->price <= 0)
		return anomaly(b, "replace of order %lld with quantity %lld at %lld",
		               (long long)m->order_id, (long long)m->quantity,
		               (long long)m->price);
	if (m->code & PGX_FEED_KEEPS_PRIORITY)
	{
		if (m->price != o->level->price || m->quantity > o->quantity)
			return anomaly(b,
			               "in-place replace of order %lld to %lld at %lld; it has %lld "
			               "at %lld",
			               (long long)o->id, (long long)m->quantity, (long long)m->price,
			               (long long)o->quantity, (long long)o->level->price);
		o->quantity = m->quantity;
		return 0;
	}
	/* priority lost: last in the queue at its (maybe new) price */
	unlink_order(o);
	o->quantity = m->quantity;
	rest(o, m->price);
	return 0;
}

int
fb_apply(fb_book *b, const pgx_feed_msg *m)
{
	fb_order *o;

	switch (m->type)
	{
		case PGX_FEED_ADD:
			return apply_add(b, m);
		case PGX_FEED_EXECUTE:
			return apply_execute(b, m);
		case PGX_FEED_REPLACE:
			return apply_replace(b, m);
		case PGX_FEED_DELETE:
			if ((o = find_order(b, m->order_id)) == NULL)
				b->deletes_unknown++;
			else
				remove_order(b, o);
			return 0;
		case PGX_FEED_STATUS:
			get_symbol(b, m->symbol)->status = m->code;
			return 0;
	}
	return 0;
}

/* ---- queries ---------------------------------------------------------------- */

uint32_t
fb_symbol_count(const fb_book *b)
{
	return b->nsymbols;
}

const char *
fb_symbol_name(const fb_book *b, uint32_t i)
{
	return i < b->nsymbols ? b->symbols[i]->name : NULL;
}

int
fb_symbol_status(const fb_book *b, const char *symbol)
{
	fb_symbol *s = find_symbol(b, symbol);

	return s ? s->status : PGX_FEED_ST_CLOSED;
}

int
fb_find(const fb_book *b, int64_t id, fb_entry *out, int *side)
{
	const fb_order *o = find_order(b, id);
	const fb_side *sd;
	int found;

	if (o == NULL)
		return 0;
	sd = side_of(o->symbol, o->side);
	*out = (fb_entry){o->id, o->level->price, o->quantity,
	                  (uint32_t)level_pos(sd, o->side, o->level->price, &found) + 1};
	*side = o->side;
	return 1;
}

size_t
fb_l3(const fb_book *b, const char *symbol, int side, fb_entry *out, size_t cap)
{
	fb_symbol *s = find_symbol(b, symbol);
	const fb_side *sd;
	size_t n = 0;

	if (s == NULL)
		return 0;
	sd = side_of(s, side);
	for (size_t l = 0; l < sd->n; l++)
		for (const fb_order *o = sd->levels[l]->head; o; o = o->next, n++)
			if (n < cap)
				out[n] = (fb_entry){o->id, sd->levels[l]->price, o->quantity,
				                    (uint32_t)(l + 1)};
	return n;
}

void
fb_dump(const fb_book *b, const fb_stream *s, FILE *out)
{
	static const char *const names[] = {"buy", "sell"};

	fprintf(out,
	        "# pgx-feedsub book: session %.10s, next message %llu, journal seq %lld\n",
	        s->have_session ? s->session : "(none)    ", (unsigned long long)s->next_seq,
	        (long long)(s->journal_known ? s->journal_seq : -1));
	fprintf(out,
	        "# %llu orders; %llu gaps (%llu messages missed), %llu journal gaps, %llu "
	        "anomalies\n",
	        (unsigned long long)b->norders, (unsigned long long)s->gaps,
	        (unsigned long long)s->missed, (unsigned long long)s->journal_gaps,
	        (unsigned long long)b->anomalies);
	fprintf(out, "# symbol side level price_ticks order_id quantity\n");
	for (uint32_t i = 0; i < b->nsymbols; i++)
	{
		const fb_symbol *sym = b->symbols[i];

		for (int k = 0; k < 2; k++)
			for (size_t l = 0; l < sym->sides[k].n; l++)
			{
				const fb_level *lvl = sym->sides[k].levels[l];

				for (const fb_order *o = lvl->head; o; o = o->next)
					fprintf(out, "%s %s %zu %lld %lld %lld\n", sym->name, names[k], l + 1,
					        (long long)lvl->price, (long long)o->id,
					        (long long)o->quantity);
			}
	}
}
