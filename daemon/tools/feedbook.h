/*
 * feedbook.h - a subscriber's view of the market-data feed: the sequence
 * state of the stream (sessions, gaps) and the L3 books rebuilt from the
 * messages (docs/market-data-feed.md).
 *
 * Two halves, used together by pgx-feedsub and by test_feed:
 *   fb_stream  takes packets as they arrive, checks session and sequence
 *              numbers and hands over each new message once, in order;
 *   fb_book    applies messages to per-symbol books: price levels best
 *              first, orders in queue order, as the matching core holds them.
 *
 * The book applies what the feed says and checks that it adds up (an
 * execution leaves the maker with its quantity minus the fill, a replaced
 * order exists, ...); anything that does not is an anomaly, counted and kept
 * for the report, because it means this book is not the exchange's.
 * Test and tool code: it allocates as the book grows.
 */
#ifndef FB_FEEDBOOK_H
#define FB_FEEDBOOK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exchange_feed.h"

/* ---- the stream ------------------------------------------------------------- */

typedef struct fb_stream
{
	int have_session;
	char session[PGX_FEED_SESSION_LEN];
	uint64_t next_seq;   /* the message expected next in this session */
	int journal_known;   /* a start or checkpoint message was seen */
	int64_t journal_seq; /* the journal position it gave */
	int ended;           /* the session's end-of-session packet arrived */

	uint64_t packets, heartbeats, messages, sessions;
	uint64_t gaps;         /* times messages were missing */
	uint64_t missed;       /* messages missing, all gaps together */
	uint64_t duplicates;   /* messages received again (skipped) */
	uint64_t journal_gaps; /* a session started elsewhere than the last ended */
	uint64_t malformed;    /* packets or messages that did not decode */
	uint64_t unknown;      /* messages of types this version skips */
} fb_stream;

/* What one packet brought besides its messages (for the subscriber's log). */
typedef struct fb_report
{
	int new_session; /* the packet began a session (the first, or a new one) */
	int gap;         /* messages gap_from .. gap_to never arrived */
	uint64_t gap_from, gap_to;
	int journal_gap;          /* the session starts at journal seq journal_got, not */
	int64_t journal_expected; /* where the last one ended */
	int64_t journal_got;
	int end;       /* end of session */
	int heartbeat; /* an empty packet */
	int malformed; /* the packet or one of its messages did not decode */
} fb_report;

/* Called once per new message, in sequence order. */
typedef void (*fb_message_fn)(void *ctx, uint64_t seq, const pgx_feed_msg *m);

void fb_stream_init(fb_stream *s);
/* Takes one UDP payload; fills *r (zeroed first). */
void fb_stream_packet(fb_stream *s, const uint8_t *buf, size_t len, fb_message_fn fn,
                      void *ctx, fb_report *r);

/* ---- the books -------------------------------------------------------------- */

typedef struct fb_book fb_book;

/* One resting order as fb_l3 lists it. */
typedef struct fb_entry
{
	int64_t order_id;
	int64_t price;
	int64_t quantity;
	uint32_t level; /* 1 = best */
} fb_entry;

fb_book *fb_create(void);
void fb_destroy(fb_book *b);

/* Applies one message (S messages change no book); returns 0, or -1 for an
 * anomaly (then fb_last_anomaly says what). */
int fb_apply(fb_book *b, const pgx_feed_msg *m);

uint64_t fb_anomalies(const fb_book *b);
const char *fb_last_anomaly(const fb_book *b);
/* Deletes of orders this book does not hold: expected (an aggressor's
 * remainder canceled by self-trade prevention never rested). */
uint64_t fb_deletes_unknown(const fb_book *b);
uint64_t fb_order_count(const fb_book *b);

/* Symbols known, sorted by name; symbol(i) is NUL-terminated. */
uint32_t fb_symbol_count(const fb_book *b);
const char *fb_symbol_name(const fb_book *b, uint32_t i);
/* A symbol's status (PGX_FEED_ST_*), PGX_FEED_ST_CLOSED before any status. */
int fb_symbol_status(const fb_book *b, const char *symbol);

/* Whether the book holds order id: 1 with *out (its level, price, quantity)
 * and *side set, else 0. */
int fb_find(const fb_book *b, int64_t id, fb_entry *out, int *side);

/*
 * One side (PGX_SIDE_BUY / PGX_SIDE_SELL) of a symbol, best level first and
 * queue order within a level: writes at most cap entries and returns how
 * many there are (0 for an unknown symbol).
 */
size_t fb_l3(const fb_book *b, const char *symbol, int side, fb_entry *out, size_t cap);

/*
 * The dump (docs/market-data-feed.md): comment lines starting with '#', then
 * one line per resting order, symbols by name, bids then asks:
 *	symbol side level price_ticks order_id quantity
 */
void fb_dump(const fb_book *b, const fb_stream *s, FILE *out);

#endif
