/*
 * feed.c - fuzzes the market-data feed as a subscriber receives it: each
 * UDP payload goes through fb_stream_packet (daemon/tools/feedbook.c: the
 * MoldUDP64 header, sessions, sequence numbers, gaps, pgx_feed_decode of
 * include/exchange_feed.h) and every new message through fb_apply into the
 * rebuilt L3 books, as pgx-feedsub and test_feed do.
 *
 * Input: packets, each as a 2-byte little-endian length and its bytes (a
 * length beyond the input takes the rest).  Seeds: the packets matchd's
 * sender (daemon/matchd/feed.c) put on a loopback socket for the tests'
 * sessions (fuzz/seeds.c).
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - decode -> encode is the identity: every message block that decodes
 *     (PGX_FEED_OK) re-encodes (pgx_feed_encode) to exactly its bytes;
 *   - the stream hands over each message once: next_seq never moves back
 *     within a session, and the messages counted equal the messages handed
 *     over plus the unknown types skipped;
 *   - the books stay well-formed whatever the feed says (an anomaly is
 *     counted, never a corrupt book): per side, levels strictly best first,
 *     every price and open quantity positive, fb_find agrees with fb_l3,
 *     and the orders listed add up to fb_order_count.
 */
#include <stdlib.h>
#include <string.h>

#include "exchange_feed.h"
#include "feedbook.h"
#include "fuzzutil.h"

typedef struct ctx
{
	fb_book *book;
	uint64_t handed;
} ctx;

static void
on_message(void *arg, uint64_t seq, const pgx_feed_msg *m)
{
	ctx *c = arg;

	(void)seq;
	c->handed++;
	(void)fb_apply(c->book, m);
}

static void
round_trip(const uint8_t *pkt, size_t len)
{
	const uint8_t *p = pkt + PGX_FEED_HEADER, *end = pkt + len;
	uint8_t out[PGX_FEED_BLOCK_MAX];

	if (len < PGX_FEED_HEADER)
		return;
	while (p < end)
	{
		pgx_feed_msg m;
		size_t used;
		pgx_feed_status st = pgx_feed_decode(p, (size_t)(end - p), &m, &used);

		if (st == PGX_FEED_SHORT || st == PGX_FEED_LENGTH || st == PGX_FEED_VALUE)
			return;
		FZ_CHECK(used >= 2 && used <= (size_t)(end - p), "a block of %zu bytes", used);
		if (st == PGX_FEED_OK)
		{
			size_t n = pgx_feed_encode(&m, out);

			FZ_CHECK(n == used && memcmp(out, p, n) == 0,
			         "message '%c' re-encodes to other bytes", m.type);
		}
		p += used;
	}
}

static void
check_books(const fb_book *b)
{
	static fb_entry entries[4096];
	uint64_t total = 0;

	for (uint32_t i = 0; i < fb_symbol_count(b); i++)
	{
		const char *sym = fb_symbol_name(b, i);

		for (int side = PGX_SIDE_BUY; side <= PGX_SIDE_SELL; side++)
		{
			size_t n = fb_l3(b, sym, side, entries, 4096);

			total += n;
			for (size_t k = 0; k < n && k < 4096; k++)
			{
				fb_entry e = entries[k], f;
				int fside;

				FZ_CHECK(e.price > 0 && e.quantity > 0, "order %lld: %lld at %lld",
				         (long long)e.order_id, (long long)e.quantity,
				         (long long)e.price);
				if (k > 0)
				{
					fb_entry p = entries[k - 1];

					FZ_CHECK(e.level == p.level
					             ? e.price == p.price
					             : e.level == p.level + 1 &&
					                   (side == PGX_SIDE_BUY ? e.price < p.price
					                                         : e.price > p.price),
					         "levels out of order");
				}
				else
					FZ_CHECK(e.level == 1, "first level %u", e.level);
				FZ_CHECK(fb_find(b, e.order_id, &f, &fside) && fside == side &&
				             f.price == e.price && f.quantity == e.quantity &&
				             f.level == e.level,
				         "fb_find disagrees with fb_l3 on order %lld",
				         (long long)e.order_id);
			}
		}
	}
	FZ_CHECK(total == fb_order_count(b), "%llu orders listed, %llu counted",
	         (unsigned long long)total, (unsigned long long)fb_order_count(b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = {data, size, 0};
	fb_stream s;
	fb_report r;
	ctx c = {fb_create(), 0};

	if (c.book == NULL)
		abort();
	fb_stream_init(&s);
	while (in.off < in.len)
	{
		size_t want = fz_u16(&in), got;
		const uint8_t *pkt = fz_bytes(&in, want, &got);
		char session[PGX_FEED_SESSION_LEN];
		int had = s.have_session;
		uint64_t next = s.next_seq;

		memcpy(session, s.session, sizeof(session));
		/* the packet in a buffer of its own size, as recvmmsg leaves it */
		uint8_t *copy = malloc(got ? got : 1);

		if (copy == NULL)
			abort();
		memcpy(copy, pkt, got);
		round_trip(copy, got);
		fb_stream_packet(&s, copy, got, on_message, &c, &r);
		free(copy);
		if (had && memcmp(session, s.session, sizeof(session)) == 0)
			FZ_CHECK(s.next_seq >= next, "next_seq went back from %llu to %llu",
			         (unsigned long long)next, (unsigned long long)s.next_seq);
	}
	FZ_CHECK(s.messages == c.handed + s.unknown,
	         "%llu messages, %llu handed, %llu unknown", (unsigned long long)s.messages,
	         (unsigned long long)c.handed, (unsigned long long)s.unknown);
	check_books(c.book);
	fb_destroy(c.book);
	return 0;
}
