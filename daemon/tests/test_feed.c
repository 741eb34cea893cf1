/*
 * test_feed.c - the market-data feed: message encoding, the translation of
 * journal records into book increments, the subscriber's sequence checks,
 * and the proof that matters: a book rebuilt from the feed alone equals the
 * matching core's book.
 *
 * The proofs send real packets: random sessions go through the core (and,
 * in the second, through matchd's whole pipeline with the order manager),
 * their journal batches through feed.c's sender over a UDP socket on
 * loopback, and what arrives through feedbook.c into a rebuilt book, which
 * must equal mc_engine_l3 (order ids, prices, quantities, queue order) for
 * every symbol and side after every batch.  PGX_SEED repeats a run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "batchbuf.h"
#include "engine.h"
#include "feed.h"
#include "feedbook.h"
#include "names.h"
#include "pipeline.h"
#include "plreq.h"
#include "records.h"
#include "testutil.h"

#define DAY 9823
#define T0  848766600000000LL

/* ---- messages ------------------------------------------------------------------ */

static pgx_feed_msg
msg(uint8_t type)
{
	pgx_feed_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.journal_seq = INT64_MAX - 1;
	m.journal_idx = INT32_MAX;
	m.ts = T0 + 123456;
	return m;
}

/* What decoding gives back: U and D travel without symbol and side. */
static pgx_feed_msg
on_the_wire(pgx_feed_msg m)
{
	if (m.type == PGX_FEED_REPLACE || m.type == PGX_FEED_DELETE)
	{
		memset(m.symbol, 0, sizeof(m.symbol));
		m.side = 0;
	}
	return m;
}

static void
test_encode_decode_every_kind(void **state)
{
	pgx_feed_msg all[8], back;
	uint8_t buf[PGX_FEED_BLOCK_MAX + 4];
	size_t used;

	(void)state;
	all[0] = msg(PGX_FEED_SYSTEM), all[0].code = PGX_FEED_SYS_CHECKPOINT;
	all[1] = msg(PGX_FEED_STATUS), all[1].code = PGX_FEED_ST_HALTED;
	memcpy(all[1].symbol, "ABCDEFGHIJKLMNOP", 16); /* the full width, no NUL */
	all[2] = msg(PGX_FEED_ADD);
	all[2].side = PGX_SIDE_SELL, all[2].order_id = INT64_MAX;
	all[2].price = 1000000000000000LL, all[2].quantity = 1000000000;
	memcpy(all[2].symbol, "BRK.B", 5);
	all[3] = msg(PGX_FEED_EXECUTE);
	all[3].side = PGX_SIDE_BUY, all[3].order_id = 7, all[3].quantity = 3;
	all[3].remaining = 0, all[3].price = 1, all[3].contra_order_id = 8;
	all[3].contra_remaining = 999999999;
	memcpy(all[3].symbol, "A", 1);
	all[4] = msg(PGX_FEED_REPLACE);
	all[4].order_id = 9, all[4].price = 10001, all[4].quantity = 5;
	all[4].code = PGX_FEED_KEEPS_PRIORITY, all[4].side = PGX_SIDE_BUY;
	memcpy(all[4].symbol, "X", 1);
	all[5] = msg(PGX_FEED_DELETE);
	all[5].order_id = 10, all[5].quantity = 6, all[5].code = PGX_FEED_DEL_EXPIRED;
	all[6] = msg(PGX_FEED_SYSTEM), all[6].code = PGX_FEED_SYS_START;
	all[7] = msg(PGX_FEED_DELETE), all[7].code = PGX_FEED_DEL_OTHER;

	for (int i = 0; i < 8; i++)
	{
		pgx_feed_msg want = on_the_wire(all[i]);
		size_t n = pgx_feed_encode(&all[i], buf);

		assert_int_equal(n, pgx_feed_block_size(all[i].type));
		assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_OK);
		assert_int_equal(used, n);
		assert_memory_equal(&back, &want, sizeof(want));
		/* one byte short is short, whichever byte is missing */
		assert_int_equal(pgx_feed_decode(buf, n - 1, &back, &used), PGX_FEED_SHORT);
	}
	/* the sizes docs/market-data-feed.md gives */
	assert_int_equal(pgx_feed_block_size(PGX_FEED_SYSTEM), 24);
	assert_int_equal(pgx_feed_block_size(PGX_FEED_STATUS), 40);
	assert_int_equal(pgx_feed_block_size(PGX_FEED_ADD), 64);
	assert_int_equal(pgx_feed_block_size(PGX_FEED_EXECUTE), 88);
	assert_int_equal(pgx_feed_block_size(PGX_FEED_REPLACE), 48);
	assert_int_equal(pgx_feed_block_size(PGX_FEED_DELETE), 40);
	assert_int_equal(pgx_feed_block_size('Z'), 0);
	assert_int_equal(pgx_feed_encode(&(pgx_feed_msg){.type = 'Z'}, buf), 0);
}

/* The byte layout of docs/market-data-feed.md, byte for byte. */
static void
test_golden_bytes(void **state)
{
	static const uint8_t add[] = {
	    0x00, 0x3E,                                     /* length 62 */
	    'A',                                            /* type */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, /* journal seq 258 */
	    0x00, 0x00, 0x00, 0x03,                         /* idx 3 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x42, 0x40, /* ts 1,000,000 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, /* order id 256 */
	    'B',                                            /* side */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, /* quantity 100 */
	    'A',  'A',  'P',  'L',  0,    0,    0,    0,    /* symbol */
	    0,    0,    0,    0,    0,    0,    0,    0,    /* */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x27, 0x10  /* price 10000 ticks */
	};
	static const uint8_t header[] = {'0', '0', '0', '0', '0', '0', '0', '0', '4', '2',
	                                 0,   0,   0,   0,   0,   0,   0,   7,   0,   3};
	pgx_feed_msg m = msg(PGX_FEED_ADD);
	pgx_feed_header h = {.sequence = 7, .count = 3}, back;
	uint8_t buf[sizeof(add)], hbuf[PGX_FEED_HEADER];

	(void)state;
	m.journal_seq = 258, m.journal_idx = 3, m.ts = 1000000;
	m.order_id = 256, m.side = PGX_SIDE_BUY, m.quantity = 100, m.price = 10000;
	memcpy(m.symbol, "AAPL", 4);
	assert_int_equal(pgx_feed_encode(&m, buf), sizeof(add));
	assert_memory_equal(buf, add, sizeof(add));
	memcpy(h.session, "0000000042", PGX_FEED_SESSION_LEN);
	pgx_feed_encode_header(hbuf, &h);
	assert_memory_equal(hbuf, header, sizeof(header));
	assert_true(pgx_feed_decode_header(hbuf, sizeof(hbuf), &back));
	assert_int_equal(back.sequence, 7);
	assert_int_equal(back.count, 3);
	assert_false(pgx_feed_decode_header(hbuf, PGX_FEED_HEADER - 1, &back));
	/*
	 * Regression (fuzz/corpus/feed/regress-sequence-wraps): sequence numbers
	 * start at 1 and the one after a packet (sequence + count) must not wrap
	 * past 2^64 - 1; a packet at 2^64 - 1 with messages set the subscriber's
	 * next sequence back to 1 within a session.
	 */
	h.sequence = 0;
	pgx_feed_encode_header(hbuf, &h);
	assert_false(pgx_feed_decode_header(hbuf, sizeof(hbuf), &back));
	h.sequence = UINT64_MAX - 3; /* 3 messages: the next is UINT64_MAX */
	pgx_feed_encode_header(hbuf, &h);
	assert_true(pgx_feed_decode_header(hbuf, sizeof(hbuf), &back));
	h.sequence = UINT64_MAX - 2;
	pgx_feed_encode_header(hbuf, &h);
	assert_false(pgx_feed_decode_header(hbuf, sizeof(hbuf), &back));
	h.sequence = UINT64_MAX, h.count = PGX_FEED_COUNT_END;
	pgx_feed_encode_header(hbuf, &h);
	assert_true(pgx_feed_decode_header(hbuf, sizeof(hbuf), &back));
}

static void
test_decode_rejects(void **state)
{
	pgx_feed_msg m = msg(PGX_FEED_ADD), back;
	uint8_t buf[PGX_FEED_BLOCK_MAX + 8];
	size_t n, used;

	(void)state;
	m.side = PGX_SIDE_BUY, m.order_id = 1, m.quantity = 1, m.price = 1;
	n = pgx_feed_encode(&m, buf);
	buf[2 + 1 + 20 + 8] = 'X'; /* the side */
	assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
	/* a known type with another length */
	n = pgx_feed_encode(&m, buf);
	buf[1]++;
	buf[n] = 0;
	assert_int_equal(pgx_feed_decode(buf, n + 1, &back, &used), PGX_FEED_LENGTH);
	/* a type of a later version: skipped by its length */
	buf[0] = 0, buf[1] = 5, buf[2] = 'Q';
	assert_int_equal(pgx_feed_decode(buf, 7, &back, &used), PGX_FEED_UNKNOWN);
	assert_int_equal(used, 7);
	/* codes out of range */
	m = msg(PGX_FEED_DELETE), m.code = 'Z';
	n = pgx_feed_encode(&m, buf);
	assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
	m = msg(PGX_FEED_SYSTEM), m.code = 'Z';
	n = pgx_feed_encode(&m, buf);
	assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
	m = msg(PGX_FEED_REPLACE), m.code = 2;
	n = pgx_feed_encode(&m, buf);
	assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
	buf[0] = 0, buf[1] = 0;
	assert_int_equal(pgx_feed_decode(buf, 2, &back, &used), PGX_FEED_LENGTH);
	/*
	 * Regression (fuzz/corpus/feed/regress-symbol-after-nul): a symbol with
	 * bytes after its NUL padding, or an empty one, is refused; it made two
	 * books that the subscriber lists under one name.
	 */
	{
		static const struct
		{
			uint8_t type;
			size_t off; /* of the symbol, from the block's start */
		} sym[] = {{PGX_FEED_ADD, 2 + 1 + 20 + 17},
		           {PGX_FEED_EXECUTE, 2 + 1 + 20 + 49},
		           {PGX_FEED_STATUS, 2 + 1 + 20}};

		for (size_t i = 0; i < sizeof(sym) / sizeof(sym[0]); i++)
		{
			m = msg(sym[i].type);
			m.side = PGX_SIDE_SELL, m.order_id = 1, m.quantity = 1, m.price = 1;
			m.code = PGX_FEED_ST_OPEN;
			memcpy(m.symbol, "AB", 2);
			n = pgx_feed_encode(&m, buf);
			assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_OK);
			buf[sym[i].off + 5] = 'X'; /* "AB\0\0\0X" */
			assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
			buf[sym[i].off + 5] = 0;
			buf[sym[i].off] = 0, buf[sym[i].off + 1] = 0; /* empty */
			assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
			memset(buf + sym[i].off, 'S', PGX_FEED_SYMBOL_LEN); /* 16 bytes, no NUL */
			assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_OK);
		}
	}
	/*
	 * Regression (fuzz/corpus/feed/regress-negative-quantity): a quantity
	 * above INT64_MAX (negative as int64) is refused; one made the
	 * subscriber's book overflow computing the quantity left (UBSan).
	 */
	{
		static const uint8_t types[] = {PGX_FEED_ADD, PGX_FEED_EXECUTE, PGX_FEED_REPLACE,
		                                PGX_FEED_DELETE};

		for (size_t i = 0; i < sizeof(types); i++)
			for (int f = 0; f < 3; f++)
			{
				m = msg(types[i]);
				m.side = PGX_SIDE_BUY, m.order_id = 1, m.quantity = 1, m.price = 1;
				memcpy(m.symbol, "AB", 2);
				if (f == 1 && types[i] != PGX_FEED_EXECUTE)
					continue;
				if (f == 2 && types[i] != PGX_FEED_EXECUTE)
					continue;
				*(f == 0   ? &m.quantity
				  : f == 1 ? &m.remaining
				           : &m.contra_remaining) = INT64_MIN + 2;
				n = pgx_feed_encode(&m, buf);
				assert_int_equal(pgx_feed_decode(buf, n, &back, &used), PGX_FEED_VALUE);
			}
	}
}

/* ---- translation ------------------------------------------------------------ */

static pgx_record
event(int kind, const char *sym, int side, const char *reason)
{
	pgx_record r;

	mj_record_init(&r, (uint8_t)kind, 41, 2, T0, DAY);
	r.side = (uint8_t)side;
	r.strs[PGX_S_SYMBOL] = mj_str(sym);
	r.strs[PGX_S_ACCOUNT] = mj_str("acct");
	r.strs[PGX_S_REASON] = mj_str(reason);
	return r;
}

static int
translate(const pgx_record *r, pgx_feed_msg *m)
{
	return pgx_feed_from_record(r, m);
}

static void
test_translation(void **state)
{
	pgx_feed_msg m;
	pgx_record r;

	(void)state;
	/* a resting order: its remaining quantity, not its original */
	r = event(PGX_KIND_ACCEPTED, "AAPL", PGX_SIDE_BUY, NULL);
	mj_set_int(&r, PGX_F_ORDER_ID, 41), mj_set_int(&r, PGX_F_PRICE, 10000);
	mj_set_int(&r, PGX_F_QUANTITY, 100), mj_set_int(&r, PGX_F_REMAINING, 70);
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.type, PGX_FEED_ADD);
	assert_int_equal(m.order_id, 41);
	assert_int_equal(m.price, 10000);
	assert_int_equal(m.quantity, 70);
	assert_int_equal(m.side, PGX_SIDE_BUY);
	assert_int_equal(m.journal_seq, 41);
	assert_int_equal(m.journal_idx, 2);
	assert_int_equal(m.ts, T0);
	assert_memory_equal(m.symbol, "AAPL\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* without its price it is not an order event matchd writes */
	r.present &= (uint8_t) ~(1u << PGX_F_PRICE), r.ints[PGX_F_PRICE] = 0;
	assert_int_equal(translate(&r, &m), PGX_FEED_EFIELD);

	/* a session change, and reference data accepted (nothing) */
	r = event(PGX_KIND_ACCEPTED, "AAPL", 0, "halted");
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.type, PGX_FEED_STATUS);
	assert_int_equal(m.code, PGX_FEED_ST_HALTED);
	r = event(PGX_KIND_ACCEPTED, "AAPL", 0, "open");
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.code, PGX_FEED_ST_OPEN);
	r = event(PGX_KIND_ACCEPTED, "AAPL", 0, "closed");
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.code, PGX_FEED_ST_CLOSED);
	r = event(PGX_KIND_ACCEPTED, NULL, 0, NULL); /* a deposit, an account */
	assert_int_equal(translate(&r, &m), 0);
	r = event(PGX_KIND_ACCEPTED, "AAPL", 0, NULL); /* add_symbol, limits */
	assert_int_equal(translate(&r, &m), 0);
	r = event(PGX_KIND_ACCEPTED, "ABCDEFGHIJKLMNOPQ", 0, "open"); /* 17 bytes */
	assert_int_equal(translate(&r, &m), PGX_FEED_ESYMBOL);

	/* a trade: the record is the taker's, the message the maker's */
	r = event(PGX_KIND_TRADE, "AAPL", PGX_SIDE_SELL, NULL);
	mj_set_int(&r, PGX_F_ORDER_ID, 50), mj_set_int(&r, PGX_F_PRICE, 10000);
	mj_set_int(&r, PGX_F_QUANTITY, 30), mj_set_int(&r, PGX_F_REMAINING, 5);
	mj_set_int(&r, PGX_F_CONTRA_ORDER_ID, 41), mj_set_int(&r, PGX_F_CONTRA_REMAINING, 40);
	mj_set_int(&r, PGX_F_AMOUNT, 300000);
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.type, PGX_FEED_EXECUTE);
	assert_int_equal(m.order_id, 41);
	assert_int_equal(m.remaining, 40);
	assert_int_equal(m.quantity, 30);
	assert_int_equal(m.price, 10000);
	assert_int_equal(m.contra_order_id, 50);
	assert_int_equal(m.contra_remaining, 5);
	assert_int_equal(m.side, PGX_SIDE_SELL);
	r.present &= (uint8_t) ~(1u << PGX_F_CONTRA_REMAINING),
	    r.ints[PGX_F_CONTRA_REMAINING] = 0;
	assert_int_equal(translate(&r, &m), PGX_FEED_EFIELD);

	/* amends: in place, or to the back of the (new) level */
	r = event(PGX_KIND_AMENDED, "AAPL", PGX_SIDE_BUY, "priority_kept");
	mj_set_int(&r, PGX_F_ORDER_ID, 41), mj_set_int(&r, PGX_F_PRICE, 10000);
	mj_set_int(&r, PGX_F_QUANTITY, 20), mj_set_int(&r, PGX_F_REMAINING, 20);
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.type, PGX_FEED_REPLACE);
	assert_int_equal(m.code, PGX_FEED_KEEPS_PRIORITY);
	assert_int_equal(m.quantity, 20);
	r.strs[PGX_S_REASON] = mj_str("priority_lost");
	assert_int_equal(translate(&r, &m), 1);
	assert_int_equal(m.code, 0);

	/* what leaves a book, and what never was in one */
	{
		static const struct
		{
			int kind;
			const char *reason;
			int n;
			uint8_t code;
		} cases[] = {
		    {PGX_KIND_CANCELED, "user_cancel", 1, PGX_FEED_DEL_CANCELED},
		    {PGX_KIND_CANCELED, "stp_cancel_oldest", 1, PGX_FEED_DEL_STP_OLDEST},
		    {PGX_KIND_CANCELED, "stp_cancel_newest", 1, PGX_FEED_DEL_STP_NEWEST},
		    {PGX_KIND_CANCELED, "some_future_reason", 1, PGX_FEED_DEL_OTHER},
		    {PGX_KIND_EXPIRED, "day_expired", 1, PGX_FEED_DEL_EXPIRED},
		    {PGX_KIND_CANCELED, "ioc_remainder", 0, 0},
		    {PGX_KIND_CANCELED, "market_remainder", 0, 0},
		    {PGX_KIND_CANCELED, "no_liquidity", 0, 0},
		    {PGX_KIND_CANCELED, "fok_not_fillable", 0, 0},
		    {PGX_KIND_REJECTED, "insufficient_funds", 0, 0},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			r = event(cases[i].kind, "AAPL", PGX_SIDE_SELL, cases[i].reason);
			mj_set_int(&r, PGX_F_ORDER_ID, 77), mj_set_int(&r, PGX_F_QUANTITY, 12);
			mj_set_int(&r, PGX_F_REMAINING, 0);
			assert_int_equal(translate(&r, &m), cases[i].n);
			if (cases[i].n == 1)
			{
				assert_int_equal(m.type, PGX_FEED_DELETE);
				assert_int_equal(m.order_id, 77);
				assert_int_equal(m.quantity, 12);
				assert_int_equal(m.code, cases[i].code);
			}
		}
	}

	/* commands change no book by themselves */
	r = event(PGX_KIND_NEW_ORDER, "AAPL", PGX_SIDE_BUY, NULL);
	r.idx = 0;
	mj_set_int(&r, PGX_F_ORDER_ID, 41), mj_set_int(&r, PGX_F_PRICE, 10000);
	mj_set_int(&r, PGX_F_QUANTITY, 100);
	assert_int_equal(translate(&r, &m), 0);
	r = event(PGX_KIND_MARKET_OPEN, NULL, 0, NULL);
	r.idx = 0;
	assert_int_equal(translate(&r, &m), 0);
}

/* ---- the subscriber's stream ---------------------------------------------------- */

typedef struct collected
{
	uint64_t seqs[64];
	int n;
} collected;

static void
collect(void *ctx, uint64_t seq, const pgx_feed_msg *m)
{
	collected *c = ctx;

	(void)m;
	c->seqs[c->n++] = seq;
}

/* A packet of `count` checkpoint messages (journal seqs js, js+1, ...). */
static size_t
make_packet(uint8_t *buf, const char *session, uint64_t seq, uint16_t count, int64_t js)
{
	pgx_feed_header h = {.sequence = seq, .count = count};
	size_t len = PGX_FEED_HEADER;

	memcpy(h.session, session, PGX_FEED_SESSION_LEN);
	pgx_feed_encode_header(buf, &h);
	for (uint16_t i = 0; i < count && count != PGX_FEED_COUNT_END; i++)
	{
		pgx_feed_msg m;

		pgx_feed_system(&m,
		                i == 0 && seq == 1 ? PGX_FEED_SYS_START : PGX_FEED_SYS_CHECKPOINT,
		                js + i, T0);
		len += pgx_feed_encode(&m, buf + len);
	}
	return len;
}

/* Makes a packet (as make_packet) and hands it to the stream. */
static void
deliver(fb_stream *s, collected *c, fb_report *r, const char *session, uint64_t seq,
        uint16_t count, int64_t js)
{
	uint8_t buf[1024];
	size_t n = make_packet(buf, session, seq, count, js);

	fb_stream_packet(s, buf, n, collect, c, r);
}

static void
test_stream_sequence(void **state)
{
	uint8_t buf[1024] = {0};
	fb_stream s;
	fb_report r;
	collected c = {.n = 0};
	size_t n;

	(void)state;
	fb_stream_init(&s);
	deliver(&s, &c, &r, "0000000001", 1, 2, 0);
	assert_true(r.new_session);
	assert_false(r.gap);
	assert_int_equal(c.n, 2);
	assert_int_equal(s.journal_seq, 1);
	/* the same packet again: duplicates, nothing delivered */
	deliver(&s, &c, &r, "0000000001", 1, 2, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(s.duplicates, 2);
	/* messages 3 and 4 lost: seen by the next packet */
	deliver(&s, &c, &r, "0000000001", 5, 1, 9);
	assert_true(r.gap);
	assert_int_equal(r.gap_from, 3);
	assert_int_equal(r.gap_to, 4);
	assert_int_equal(c.seqs[c.n - 1], 5);
	/* a heartbeat shows a lost tail */
	deliver(&s, &c, &r, "0000000001", 8, 0, 0);
	assert_true(r.heartbeat);
	assert_true(r.gap);
	assert_int_equal(r.gap_from, 6);
	assert_int_equal(r.gap_to, 7);
	/* a packet that overlaps what arrived: only the new messages */
	deliver(&s, &c, &r, "0000000001", 7, 3, 10);
	assert_false(r.gap);
	assert_int_equal(c.seqs[c.n - 2], 8);
	assert_int_equal(c.seqs[c.n - 1], 9);
	assert_int_equal(s.journal_seq, 12);
	deliver(&s, &c, &r, "0000000001", 10, PGX_FEED_COUNT_END, 0);
	assert_true(r.end);
	assert_true(s.ended);
	/* 7 came late, after the heartbeat had declared it lost: a duplicate */
	assert_int_equal(s.gaps, 2);
	assert_int_equal(s.missed, 2 + 2);
	assert_int_equal(s.duplicates, 3);
	/* a new session that starts where the journal left off */
	deliver(&s, &c, &r, "0000000002", 1, 1, 12);
	assert_true(r.new_session);
	assert_false(r.journal_gap);
	assert_false(r.gap);
	/* ... and one that does not: batches went unpublished in between */
	deliver(&s, &c, &r, "0000000003", 1, 1, 20);
	assert_true(r.journal_gap);
	assert_int_equal(r.journal_expected, 12);
	assert_int_equal(r.journal_got, 20);
	/* joining late: the first messages of the session are missing */
	fb_stream_init(&s);
	deliver(&s, &c, &r, "0000000003", 4, 1, 30);
	assert_true(r.gap);
	assert_int_equal(r.gap_from, 1);
	/* garbage */
	fb_stream_packet(&s, buf, 5, collect, &c, &r);
	assert_true(r.malformed);
	n = make_packet(buf, "0000000003", 5, 2, 30);
	fb_stream_packet(&s, buf, n - 3, collect, &c, &r);
	assert_true(r.malformed);
	assert_int_equal(s.malformed, 2);
}

/* ---- the book ---------------------------------------------------------------- */

static pgx_feed_msg
add_msg(const char *sym, int side, int64_t id, int64_t price, int64_t qty)
{
	pgx_feed_msg m = msg(PGX_FEED_ADD);

	memcpy(m.symbol, sym, strnlen(sym, PGX_FEED_SYMBOL_LEN));
	m.side = (uint8_t)side, m.order_id = id, m.price = price, m.quantity = qty;
	return m;
}

static void
assert_side(const fb_book *b, const char *sym, int side, const int64_t (*want)[4],
            size_t n)
{
	fb_entry got[16];

	assert_int_equal(fb_l3(b, sym, side, got, 16), n);
	for (size_t i = 0; i < n; i++)
	{
		assert_int_equal(got[i].order_id, want[i][0]);
		assert_int_equal(got[i].price, want[i][1]);
		assert_int_equal(got[i].quantity, want[i][2]);
		assert_int_equal(got[i].level, want[i][3]);
	}
}

static void
test_book_rules(void **state)
{
	fb_book *b = fb_create();
	pgx_feed_msg m;
	FILE *f;
	char text[1024];
	size_t n;

	(void)state;
	assert_int_equal(fb_apply(b, &(pgx_feed_msg){.type = PGX_FEED_STATUS,
	                                             .code = PGX_FEED_ST_OPEN,
	                                             .symbol = "AAPL"}),
	                 0);
	assert_int_equal(fb_symbol_status(b, "AAPL"), PGX_FEED_ST_OPEN);
	assert_int_equal(fb_symbol_status(b, "MSFT"), PGX_FEED_ST_CLOSED);
	assert_int_equal(fb_apply(b, (m = add_msg("AAPL", PGX_SIDE_BUY, 1, 100, 10), &m)), 0);
	assert_int_equal(fb_apply(b, (m = add_msg("AAPL", PGX_SIDE_BUY, 2, 101, 20), &m)), 0);
	assert_int_equal(fb_apply(b, (m = add_msg("AAPL", PGX_SIDE_BUY, 3, 100, 30), &m)), 0);
	assert_int_equal(fb_apply(b, (m = add_msg("AAPL", PGX_SIDE_SELL, 4, 103, 40), &m)),
	                 0);
	{
		static const int64_t bids[][4] = {
		    {2, 101, 20, 1}, {1, 100, 10, 2}, {3, 100, 30, 2}};

		assert_side(b, "AAPL", PGX_SIDE_BUY, bids, 3);
	}
	/* quantity down keeps the place; up (priority lost) goes last */
	m = msg(PGX_FEED_REPLACE), m.order_id = 1, m.price = 100, m.quantity = 5;
	m.code = PGX_FEED_KEEPS_PRIORITY;
	assert_int_equal(fb_apply(b, &m), 0);
	m.order_id = 1, m.quantity = 6, m.code = 0;
	assert_int_equal(fb_apply(b, &m), 0);
	{
		static const int64_t bids[][4] = {
		    {2, 101, 20, 1}, {3, 100, 30, 2}, {1, 100, 6, 2}};

		assert_side(b, "AAPL", PGX_SIDE_BUY, bids, 3);
	}
	/* order 3 re-priced across the spread trades from inside the book */
	m = msg(PGX_FEED_REPLACE), m.order_id = 3, m.price = 103, m.quantity = 50;
	assert_int_equal(fb_apply(b, &m), 0);
	m = msg(PGX_FEED_EXECUTE), m.order_id = 4, m.price = 103, m.quantity = 40;
	m.remaining = 0, m.contra_order_id = 3, m.contra_remaining = 10,
	m.side = PGX_SIDE_BUY;
	strcpy(m.symbol, "AAPL");
	assert_int_equal(fb_apply(b, &m), 0);
	{
		static const int64_t bids[][4] = {
		    {3, 103, 10, 1}, {2, 101, 20, 2}, {1, 100, 6, 3}};

		assert_side(b, "AAPL", PGX_SIDE_BUY, bids, 3);
		assert_side(b, "AAPL", PGX_SIDE_SELL, NULL, 0);
	}
	/* a delete of an order never rested is no anomaly */
	m = msg(PGX_FEED_DELETE), m.order_id = 99, m.quantity = 1;
	assert_int_equal(fb_apply(b, &m), 0);
	assert_int_equal(fb_deletes_unknown(b), 1);
	m.order_id = 2;
	assert_int_equal(fb_apply(b, &m), 0);
	assert_int_equal(fb_anomalies(b), 0);

	/* what does not add up is an anomaly */
	m = msg(PGX_FEED_EXECUTE), m.order_id = 1, m.price = 100, m.quantity = 2;
	m.remaining = 5, m.side = PGX_SIDE_SELL; /* 6 - 2 is 4 */
	assert_int_equal(fb_apply(b, &m), -1);
	assert_non_null(strstr(fb_last_anomaly(b), "order 1 had 6 open, executed 2"));
	m.order_id = 12345;
	assert_int_equal(fb_apply(b, &m), -1);
	assert_int_equal(fb_apply(b, (m = add_msg("AAPL", PGX_SIDE_BUY, 3, 100, 1), &m)), -1);
	m = msg(PGX_FEED_REPLACE), m.order_id = 3, m.price = 104, m.quantity = 1;
	m.code = PGX_FEED_KEEPS_PRIORITY;
	assert_int_equal(fb_apply(b, &m), -1);
	assert_int_equal(fb_anomalies(b), 4);

	/* the dump */
	assert_int_equal(fb_apply(b, (m = add_msg("A.B", PGX_SIDE_SELL, 8, 7, 1), &m)), 0);
	f = fmemopen(text, sizeof(text), "w");
	{
		fb_stream s;

		fb_stream_init(&s);
		fb_dump(b, &s, f);
	}
	fclose(f);
	n = strlen(text);
	assert_true(n > 0);
	assert_non_null(strstr(text, "\nA.B sell 1 7 8 1\nAAPL buy 1 103 3 10\nAAPL buy 2 "
	                             "100 1 5\n"));
	fb_destroy(b);
}

/* ---- real packets on loopback -------------------------------------------------------
 */

/* A UDP socket bound to addr (network order) on port (0: any); *port is set. */
static int
rx_open(uint32_t addr, uint16_t *port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
	socklen_t len = sizeof(sa);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = addr;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A subscriber: its socket, stream state and rebuilt book. */
typedef struct sub
{
	int fd;
	uint64_t packets;
	fb_stream stream;
	fb_book *book;
	/* what the messages exercised */
	uint64_t types[256], deletes[256], kept, lost, resting_aggressor;
	uint64_t deepest; /* most orders the book held after a batch */
} sub;

static void
sub_message(void *ctx, uint64_t seq, const pgx_feed_msg *m)
{
	sub *s = ctx;
	fb_entry e;
	int side;

	s->types[m->type]++;
	if (m->type == PGX_FEED_DELETE)
		s->deletes[m->code]++;
	if (m->type == PGX_FEED_REPLACE)
		*((m->code & PGX_FEED_KEEPS_PRIORITY) ? &s->kept : &s->lost) += 1;
	if (m->type == PGX_FEED_EXECUTE && fb_find(s->book, m->contra_order_id, &e, &side))
		s->resting_aggressor++;
	if (fb_apply(s->book, m) != 0)
		fail_msg("message %llu (journal seq %lld idx %d): %s", (unsigned long long)seq,
		         (long long)m->journal_seq, m->journal_idx, fb_last_anomaly(s->book));
}

/* Receives until `packets` packets in all have arrived (2 s at the most). */
static void
sub_receive(sub *s, uint64_t packets)
{
	static uint8_t buf[PGX_FEED_PACKET_MAX];

	while (s->packets < packets)
	{
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		ssize_t n;
		fb_report r;

		if (poll(&p, 1, 2000) != 1)
			fail_msg("%llu of %llu packets arrived", (unsigned long long)s->packets,
			         (unsigned long long)packets);
		n = recv(s->fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		s->packets++;
		fb_stream_packet(&s->stream, buf, (size_t)n, sub_message, s, &r);
		if (r.gap || r.malformed || r.journal_gap)
			fail_msg("packet %llu: gap %d (%llu..%llu) malformed %d journal gap %d",
			         (unsigned long long)s->packets, r.gap,
			         (unsigned long long)r.gap_from, (unsigned long long)r.gap_to,
			         r.malformed, r.journal_gap);
	}
}

static void
sub_open(sub *s, uint32_t addr, uint16_t *port)
{
	memset(s, 0, sizeof(*s));
	s->fd = rx_open(addr, port, 8 << 20);
	fb_stream_init(&s->stream);
	s->book = fb_create();
}

static void
sub_close(sub *s)
{
	close(s->fd);
	fb_destroy(s->book);
}

/* A feed to 127.0.0.1:port (unicast on loopback). */
static feed *
feed_to(const char *dest, const char *iface, int64_t epoch, int64_t journal_seq)
{
	feed_config c;
	char err[256];
	feed *f;

	feed_config_init(&c);
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, dest), 0);
	if (iface)
		assert_int_equal(feed_option(&c, FEED_OPT_IFACE, iface), 0);
	f = feed_create(&c, epoch, journal_seq, err, sizeof(err));
	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

static feed *
feed_local(uint16_t port, int64_t epoch)
{
	char dest[32];

	snprintf(dest, sizeof(dest), "127.0.0.1:%u", port);
	return feed_to(dest, NULL, epoch, 0);
}

static uint64_t
sent_packets(const feed *f)
{
	feed_stats st;

	feed_get_stats(f, &st);
	assert_int_equal(st.dropped_packets, 0);
	assert_int_equal(st.bad_records, 0);
	return st.packets;
}

/* The rebuilt book equals the core's, symbol by symbol, side by side. */
static void
assert_books_equal(const mc_engine *e, const fb_book *b, const mj_names *nm,
                   uint32_t nsymbols)
{
	static mc_order_info core[8192];
	static fb_entry feed_side[8192];
	static const int statuses[] = {[MC_STATUS_CLOSED] = PGX_FEED_ST_CLOSED,
	                               [MC_STATUS_OPEN] = PGX_FEED_ST_OPEN,
	                               [MC_STATUS_HALTED] = PGX_FEED_ST_HALTED};

	for (uint32_t sym = 0; sym < nsymbols; sym++)
	{
		const char *name = nm->symbol_name(nm->ctx, sym);

		assert_int_equal(fb_symbol_status(b, name), statuses[mc_engine_status(e, sym)]);
		for (int side = MC_BUY; side <= MC_SELL; side++)
		{
			int n = mc_engine_l3(e, sym, side, core, 8192);
			size_t m = fb_l3(b, name, side, feed_side, 8192);
			uint32_t level = 0;

			assert_true(n <= 8192);
			if ((size_t)n != m)
				fail_msg("%s side %d: the core holds %d orders, the feed's book %zu",
				         name, side, n, m);
			for (int i = 0; i < n; i++)
			{
				if (i == 0 || core[i].price != core[i - 1].price)
					level++;
				if (core[i].id != (uint64_t)feed_side[i].order_id ||
				    core[i].price != feed_side[i].price ||
				    core[i].leaves != feed_side[i].quantity ||
				    level != feed_side[i].level)
					fail_msg("%s side %d, order %d in queue order: core id %llu %lld at "
					         "%lld, feed id %lld %lld at %lld (level %u vs %u)",
					         name, side, i, (unsigned long long)core[i].id,
					         (long long)core[i].leaves, (long long)core[i].price,
					         (long long)feed_side[i].order_id,
					         (long long)feed_side[i].quantity,
					         (long long)feed_side[i].price, level, feed_side[i].level);
			}
		}
	}
}

/* Publishes a finished batch and lets the subscriber take it in. */
static void
publish(feed *f, sub *s, batchbuf *bb)
{
	bb_finish(bb);
	feed_publish(f, bb->buf, bb->len);
	sub_receive(s, sent_packets(f));
	assert_int_equal(s->stream.journal_seq, bb->last_seq);
	if (fb_order_count(s->book) > s->deepest)
		s->deepest = fb_order_count(s->book);
	bb_reset(bb);
}

/* ---- proof 1: the core ---------------------------------------------------------- */

#define CORE_SYMBOLS  3
#define CORE_ACCOUNTS 4

typedef struct live
{
	uint64_t id;
	uint32_t account;
} live;

typedef struct core_run
{
	mc_engine *e;
	mj_registry reg;
	mj_names nm;
	batchbuf bb;
	evlog log;
	uint64_t seq;
	live ids[512]; /* the latest restable orders (a ring) */
	uint32_t nids, next;
} core_run;

/* Applies c (seq and timestamp stamped here) and journals it with its events. */
static void
core_command(core_run *r, mc_command c)
{
	pgx_record rec;

	c.seq = ++r->seq;
	c.timestamp = (uint64_t)T0 + c.seq * 7;
	if (c.kind == MC_CMD_NEW)
		c.order_id = c.seq;
	assert_int_equal(mj_command_record(&c, DAY, &r->nm, &rec), MJ_OK);
	assert_int_equal(bb_append(&r->bb, &rec), 0);
	evlog_clear(&r->log);
	core_apply(r->e, &c, &r->log);
	for (size_t i = 0; i < r->log.n; i++)
	{
		assert_int_equal(mj_event_record(&r->log.ev[i], DAY, &r->nm, &rec), MJ_OK);
		assert_int_equal(bb_append(&r->bb, &rec), 0);
	}
	if (c.kind == MC_CMD_NEW && c.type == MC_LIMIT &&
	    (c.tif == MC_DAY || c.tif == MC_GTC))
	{
		r->ids[r->next++ % 512] = (live){c.order_id, c.account};
		r->nids = r->next < 512 ? r->next : 512;
	}
}

/* The price that crosses into the other side of sym by a few ticks, or 0. */
static int64_t
crossing_price(const mc_engine *e, uint32_t sym, int side, uint64_t *seed)
{
	mc_l1 l1;

	mc_engine_l1(e, sym, &l1);
	if (side == MC_BUY)
		return l1.ask_price ? l1.ask_price + (int64_t)rng_below(seed, 3) : 0;
	return l1.bid_price ? l1.bid_price - (int64_t)rng_below(seed, 3) : 0;
}

/*
 * A price around mid: mostly on the order's own side of the market, so a
 * book builds up (several orders a level), and one time in eight up to 8
 * ticks across it.
 */
static int64_t
random_price(int64_t mid, int side, uint64_t *seed)
{
	int64_t away = 1 + (int64_t)rng_below(seed, 8);

	if (rng_below(seed, 8) == 0)
		away = -(int64_t)rng_below(seed, 9);
	return side == MC_BUY ? mid - away : mid + away;
}

/* A resting order of the engine's, picked at random (from the first side
 * that holds any, starting at a random one); 0 when every book is empty. */
static int
pick_resting(const mc_engine *e, uint32_t nsymbols, uint64_t *seed, mc_order_info *out)
{
	static mc_order_info all[8192];
	uint32_t start = (uint32_t)rng_below(seed, 2 * nsymbols);

	for (uint32_t k = 0; k < 2 * nsymbols; k++)
	{
		uint32_t book = (start + k) % (2 * nsymbols);
		int n = mc_engine_l3(e, book / 2, 1 + (int)(book % 2), all, 8192);

		if (n > 0)
		{
			*out = all[rng_below(seed, (uint64_t)(n < 8192 ? n : 8192))];
			return 1;
		}
	}
	return 0;
}

static mc_command
core_random(core_run *r, uint64_t *seed)
{
	uint32_t sym = (uint32_t)rng_below(seed, CORE_SYMBOLS);
	uint32_t acct = (uint32_t)rng_below(seed, CORE_ACCOUNTS);
	int side = 1 + (int)rng_below(seed, 2);
	int64_t price = random_price(1000, side, seed);
	int64_t qty = 1 + (int64_t)rng_below(seed, 50);
	uint64_t dice = rng_below(seed, 1000);
	mc_order_info info;
	live l;

	if (dice < 380 || r->nids == 0)
		return cmd_new(0, 0, sym, acct, side, MC_LIMIT, 1 + (int)rng_below(seed, 2),
		               price, qty);
	if (dice < 450)
		return cmd_new(0, 0, sym, acct, side, MC_LIMIT, MC_IOC, price, qty);
	if (dice < 490)
		return cmd_new(0, 0, sym, acct, side, MC_LIMIT, MC_FOK, price, qty);
	if (dice < 540)
		return cmd_new(0, 0, sym, acct, side, MC_MARKET, MC_IOC + (int)rng_below(seed, 2),
		               0, qty);
	/* mostly an order in the book; now and then one that is gone */
	if (rng_below(seed, 8) != 0 && pick_resting(r->e, CORE_SYMBOLS, seed, &info))
		l = (live){info.id, info.account};
	else
		l = r->ids[rng_below(seed, r->nids)];
	/* mostly the owner; now and then someone else (rejected: not_owner) */
	if (rng_below(seed, 20) != 0)
		acct = l.account;
	if (dice < 670)
		return cmd_cancel(0, l.id, acct);
	if (dice < 900)
	{
		int variant = (int)rng_below(seed, 4);

		if (!mc_engine_order(r->e, l.id, &info))
			return cmd_amend(0, l.id, acct, price, qty); /* rejected: unknown */
		switch (variant)
		{
			case 0: /* down in place */
				return cmd_amend(0, l.id, acct, info.price,
				                 1 + (int64_t)rng_below(seed, (uint64_t)info.leaves));
			case 1: /* up in place: loses priority */
				return cmd_amend(0, l.id, acct, info.price, info.leaves + qty);
			case 2: /* elsewhere on its side, maybe crossing */
				return cmd_amend(0, l.id, acct, random_price(1000, info.side, seed), qty);
			default:
			{
				/* across the spread: trades from inside the book */
				int64_t cross = crossing_price(r->e, info.symbol, info.side, seed);

				return cmd_amend(0, l.id, acct, cross ? cross : price, qty + 20);
			}
		}
	}
	if (dice < 920)
		return cmd_session(0, sym, dice < 903 ? MC_SESSION_HALT : MC_SESSION_RESUME);
	if (dice < 922)
		return cmd_session(0, sym, MC_SESSION_CLOSE); /* day orders expire */
	if (dice < 980)
		return cmd_session(0, sym, MC_SESSION_OPEN);
	return cmd_new(0, 0, sym, acct, side, MC_LIMIT, MC_DAY, price, 0); /* rejected */
}

static void
test_random_core_session(void **state)
{
	static const char *const symbols[CORE_SYMBOLS] = {"AAPL", "BRK.B",
	                                                  "ABCDEFGHIJKLMNOP"};
	mc_engine_config ec = {
	    .max_symbols = CORE_SYMBOLS, .max_orders = 4096, .max_levels = 1024};
	uint64_t seed = env_seed("PGX_SEED", 20261207);
	int ncommands = (int)env_seed("PGX_FEED_COMMANDS", 100000), batches = 0, done = 0;
	core_run r;
	sub s;
	feed *f;
	uint16_t port = 0;
	uint32_t id;
	char name[16];

	(void)state;
	printf("# test_feed core session: seed %llu (PGX_SEED to repeat), %d commands\n",
	       (unsigned long long)seed, ncommands);
	memset(&r, 0, sizeof(r));
	assert_non_null(r.e = mc_engine_create(&ec));
	assert_int_equal(mj_registry_init(&r.reg, CORE_SYMBOLS, CORE_ACCOUNTS), 0);
	for (uint32_t i = 0; i < CORE_SYMBOLS; i++)
	{
		/* both self-trade policies; a narrow price window on the last */
		mc_symbol_config sc = {.stp =
		                           i == 1 ? MC_STP_CANCEL_NEWEST : MC_STP_CANCEL_OLDEST,
		                       .price_window = i == 2 ? 64 : 0};

		assert_int_equal(mc_engine_add_symbol(r.e, i, &sc), MC_R_NONE);
		assert_int_equal(
		    mj_table_add(&r.reg.symbols, symbols[i], (uint16_t)strlen(symbols[i]), &id),
		    MJ_NAME_ADDED);
	}
	for (uint32_t i = 0; i < CORE_ACCOUNTS; i++)
	{
		snprintf(name, sizeof(name), "acct-%u", i);
		assert_int_equal(mj_table_add(&r.reg.accounts, name, (uint16_t)strlen(name), &id),
		                 MJ_NAME_ADDED);
	}
	r.nm = mj_registry_names(&r.reg);
	assert_int_equal(bb_init(&r.bb, 0), 0);
	sub_open(&s, htonl(INADDR_LOOPBACK), &port);
	f = feed_local(port, 1);
	sub_receive(&s, sent_packets(f)); /* the session's start */

	for (uint32_t i = 0; i < CORE_SYMBOLS; i++)
		core_command(&r, cmd_session(0, i, MC_SESSION_OPEN));
	while (done < ncommands)
	{
		/* group commit: batches of 1 to 150 commands */
		int n = 1 + (int)rng_below(&seed, 150);

		for (int i = 0; i < n && done < ncommands; i++, done++)
			core_command(&r, core_random(&r, &seed));
		publish(f, &s, &r.bb);
		batches++;
		assert_books_equal(r.e, s.book, &r.nm, CORE_SYMBOLS);
	}
	/* the close expires every day order: the books agree on that too */
	for (uint32_t i = 0; i < CORE_SYMBOLS; i++)
		core_command(&r, cmd_session(0, i, MC_SESSION_CLOSE));
	publish(f, &s, &r.bb);
	assert_books_equal(r.e, s.book, &r.nm, CORE_SYMBOLS);
	assert_int_equal(fb_order_count(s.book), mc_engine_order_count(r.e));

	printf("# %d batches, %llu packets, %llu messages: %llu adds, %llu executions (%llu "
	       "by a re-priced order in the book), %llu replaces (%llu in place), %llu "
	       "deletes (%llu canceled, %llu self-trade oldest, %llu newest, %llu expired; "
	       "%llu of orders never rested), %llu status; up to %llu orders rested\n",
	       batches, (unsigned long long)s.packets, (unsigned long long)s.stream.messages,
	       (unsigned long long)s.types[PGX_FEED_ADD],
	       (unsigned long long)s.types[PGX_FEED_EXECUTE],
	       (unsigned long long)s.resting_aggressor,
	       (unsigned long long)s.types[PGX_FEED_REPLACE], (unsigned long long)s.kept,
	       (unsigned long long)s.types[PGX_FEED_DELETE],
	       (unsigned long long)s.deletes[PGX_FEED_DEL_CANCELED],
	       (unsigned long long)s.deletes[PGX_FEED_DEL_STP_OLDEST],
	       (unsigned long long)s.deletes[PGX_FEED_DEL_STP_NEWEST],
	       (unsigned long long)s.deletes[PGX_FEED_DEL_EXPIRED],
	       (unsigned long long)fb_deletes_unknown(s.book),
	       (unsigned long long)s.types[PGX_FEED_STATUS], (unsigned long long)s.deepest);
	/* the run must exercise what it claims to prove */
	assert_true(s.types[PGX_FEED_EXECUTE] > 1000);
	assert_true(s.resting_aggressor > 50);
	assert_true(s.kept > 100 && s.lost > 100);
	assert_true(s.deletes[PGX_FEED_DEL_CANCELED] > 100);
	assert_true(s.deletes[PGX_FEED_DEL_STP_OLDEST] > 10);
	assert_true(s.deletes[PGX_FEED_DEL_STP_NEWEST] > 10);
	assert_true(s.deletes[PGX_FEED_DEL_EXPIRED] > 10);
	assert_true(fb_deletes_unknown(s.book) > 0);
	assert_true(s.types[PGX_FEED_STATUS] > 50);
	assert_int_equal(s.stream.gaps, 0);

	feed_destroy(f);
	sub_close(&s);
	bb_free(&r.bb);
	evlog_free(&r.log);
	mj_registry_free(&r.reg);
	mc_engine_destroy(r.e);
}

/* ---- proof 2: matchd's pipeline, order manager included --------------------------- */

#define PL_SYMBOLS  3
#define PL_ACCOUNTS 6

static const char *const sym_names[PL_SYMBOLS] = {"AAPL", "MSFT", "SAP"};
static const char *const acct_names[PL_ACCOUNTS] = {"A1", "A2", "B1", "B2", "C1", "C2"};

typedef struct pl_order
{
	int64_t id;
	int acct;
} pl_order;

static int
pl_submit(pipeline *pl, batchbuf *bb, pgx_record req, int64_t ts, pl_result *res)
{
	pgx_record cmd;
	pl_error err;

	if (pl_stamp(pl, s_("broker"), &req, ts, &cmd, &err) != 0)
		return -1;
	assert_int_equal(pl_apply(pl, &cmd, bb, res, &err), 0);
	return 0;
}

static pgx_record
pl_random(pipeline *pl, uint64_t *seed, const pl_order *orders, int norders)
{
	int sym = (int)rng_below(seed, PL_SYMBOLS), acct = (int)rng_below(seed, PL_ACCOUNTS);
	int side = 1 + (int)rng_below(seed, 2);
	int64_t price = random_price(10000, side, seed);
	int64_t qty = 1 + (int64_t)rng_below(seed, 40);
	uint64_t dice = rng_below(seed, 1000);
	mc_order_info info;
	pl_order o;

	if (dice < 520 || norders == 0)
	{
		static const int tifs[] = {PGX_TIF_DAY, PGX_TIF_DAY, PGX_TIF_DAY, PGX_TIF_GTC,
		                           PGX_TIF_GTC, PGX_TIF_IOC, PGX_TIF_FOK};
		int market = rng_below(seed, 12) == 0;
		int tif =
		    market ? PGX_TIF_IOC + (int)rng_below(seed, 2) : tifs[rng_below(seed, 7)];

		return req_new(sym_names[sym], acct_names[acct], side,
		               market ? PGX_TYPE_MARKET : PGX_TYPE_LIMIT, tif, price, qty);
	}
	/* mostly an order in the book; now and then one that is gone */
	if (rng_below(seed, 8) != 0 && pick_resting(pl_engine(pl), PL_SYMBOLS, seed, &info))
		o = (pl_order){(int64_t)info.id, (int)info.account};
	else
		o = orders[rng_below(seed, (uint64_t)norders)];
	if (dice < 620)
		return req_cancel(acct_names[o.acct], o.id);
	if (dice < 900)
	{
		if (!mc_engine_order(pl_engine(pl), (uint64_t)o.id, &info))
			return req_cancel(acct_names[o.acct], o.id); /* refused: not open */
		switch (rng_below(seed, 4))
		{
			case 0:
				return req_amend(acct_names[o.acct], o.id,
				                 1 + (int64_t)rng_below(seed, (uint64_t)info.leaves), 0);
			case 1:
				return req_amend(acct_names[o.acct], o.id, info.leaves + qty, 0);
			case 2:
				return req_amend(acct_names[o.acct], o.id, qty,
				                 random_price(10000, info.side, seed));
			default:
			{
				int64_t cross =
				    crossing_price(pl_engine(pl), info.symbol, info.side, seed);

				return req_amend(acct_names[o.acct], o.id, qty + 10,
				                 cross ? cross : price);
			}
		}
	}
	if (dice < 930)
		return req_cash(PGX_KIND_DEPOSIT, acct_names[acct], 1000, "USD");
	if (dice < 960)
		return req_admin(dice < 933 ? PGX_KIND_HALT : PGX_KIND_RESUME, NULL,
		                 sym_names[sym], "{\"reason\": \"news\"}");
	/* the market is mostly open: a close is followed by an open soon */
	return req_blank(dice < 998 ? PGX_KIND_MARKET_OPEN : PGX_KIND_MARKET_CLOSE);
}

static void
test_random_pipeline_session(void **state)
{
	const pl_config cfg = {.max_symbols = 8,
	                       .max_accounts = 16,
	                       .max_orders = 4096,
	                       .max_levels = 1024,
	                       .max_positions = 64};
	uint64_t base = env_seed("PGX_SEED", 20261207), seed = base ^ 0x5eed;
	int ncommands = (int)env_seed("PGX_FEED_COMMANDS", 100000), norders = 0, batches = 0;
	int next = 0;
	pl_order orders[512];
	pipeline *pl = pl_create(&cfg);
	mj_names nm = mj_registry_names((mj_registry *)pl_names(pl));
	batchbuf bb;
	pl_result res;
	int64_t ts = T0;
	uint16_t port = 0;
	sub s;
	feed *f;

	(void)state;
	printf("# test_feed pipeline session: seed %llu (PGX_SEED to repeat), %d commands\n",
	       (unsigned long long)base, ncommands);
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	sub_open(&s, htonl(INADDR_LOOPBACK), &port);
	f = feed_local(port, 7);
	sub_receive(&s, sent_packets(f));
	for (int i = 0; i < PL_SYMBOLS; i++)
		assert_int_equal(pl_submit(pl, &bb, req_symbol(sym_names[i]), ts, &res), 0);
	for (int i = 0; i < PL_ACCOUNTS; i++)
	{
		pgx_record a = req_account(acct_names[i]);

		a.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\", \"kyc_status\": \"verified\"}");
		assert_int_equal(pl_submit(pl, &bb, a, ts, &res), 0);
		assert_int_equal(
		    pl_submit(
		        pl, &bb,
		        req_admin(PGX_KIND_SET_ACCOUNT_LIMITS, acct_names[i], NULL,
		                  "{\"max_daily_notional\": 1000000000000000, "
		                  "\"max_order_notional\": 1000000000000, \"orders_per_second\": "
		                  "1000000, \"burst\": 1000000}"),
		        ts, &res),
		    0);
		assert_int_equal(
		    pl_submit(pl, &bb,
		              req_cash(PGX_KIND_DEPOSIT, acct_names[i], 1000000000000LL, "USD"),
		              ts, &res),
		    0);
		for (int k = 0; k < PL_SYMBOLS; k++)
			assert_int_equal(pl_submit(pl, &bb,
			                           req_shares(PGX_KIND_CREDIT_SHARES, acct_names[i],
			                                      sym_names[k], 10000000),
			                           ts, &res),
			                 0);
	}
	assert_int_equal(pl_submit(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ts, &res), 0);
	publish(f, &s, &bb);
	assert_books_equal(pl_engine(pl), s.book, &nm, PL_SYMBOLS);

	for (int done = 0; done < ncommands;)
	{
		int n = 1 + (int)rng_below(&seed, 150);

		for (int i = 0; i < n && done < ncommands; i++, done++)
		{
			pgx_record req = pl_random(pl, &seed, orders, norders);

			ts += (int64_t)rng_below(&seed, 2000);
			if (pl_submit(pl, &bb, req, ts, &res) == 0 &&
			    req.kind == PGX_KIND_NEW_ORDER && res.remaining > 0 &&
			    res.status != PGX_STATUS_REJECTED)
			{
				uint32_t acct = 0;

				mj_table_find(&pl_names(pl)->accounts, req.strs[PGX_S_ACCOUNT].ptr,
				              req.strs[PGX_S_ACCOUNT].len, &acct);
				orders[next++ % 512] = (pl_order){res.order_id, (int)acct};
				norders = next < 512 ? next : 512;
			}
		}
		if (bb.commands > 0)
		{
			publish(f, &s, &bb);
			batches++;
		}
		assert_books_equal(pl_engine(pl), s.book, &nm, PL_SYMBOLS);
	}
	printf("# %d batches, %llu packets, %llu messages: %llu adds, %llu executions (%llu "
	       "by a re-priced order), %llu replaces, %llu deletes (%llu expired), %llu "
	       "status; up to %llu orders rested\n",
	       batches, (unsigned long long)s.packets, (unsigned long long)s.stream.messages,
	       (unsigned long long)s.types[PGX_FEED_ADD],
	       (unsigned long long)s.types[PGX_FEED_EXECUTE],
	       (unsigned long long)s.resting_aggressor,
	       (unsigned long long)s.types[PGX_FEED_REPLACE],
	       (unsigned long long)s.types[PGX_FEED_DELETE],
	       (unsigned long long)s.deletes[PGX_FEED_DEL_EXPIRED],
	       (unsigned long long)s.types[PGX_FEED_STATUS], (unsigned long long)s.deepest);
	assert_true(s.types[PGX_FEED_EXECUTE] > 1000);
	assert_true(s.resting_aggressor > 20);
	assert_true(s.deletes[PGX_FEED_DEL_EXPIRED] > 10);
	assert_true(s.types[PGX_FEED_STATUS] > 20);
	assert_int_equal(fb_order_count(s.book), pl_open_orders(pl));

	feed_destroy(f);
	sub_close(&s);
	bb_free(&bb);
	pl_destroy(pl);
}

/* ---- distribution ------------------------------------------------------------------ */

/* Two subscribers on one port get the very same packets, byte for byte. */
static void
two_subscribers(const char *group, const char *iface, uint32_t bind_addr)
{
	uint8_t a[2][2048];
	ssize_t n[2];
	uint16_t port = 0;
	int fd[2];
	char dest[64];
	feed *f;
	batchbuf bb;
	pgx_record r;

	fd[0] = rx_open(bind_addr, &port, 1 << 20);
	fd[1] = rx_open(bind_addr, &port, 1 << 20);
	if (IN_MULTICAST(ntohl(inet_addr(group))))
	{
		struct ip_mreq mreq = {.imr_multiaddr.s_addr = inet_addr(group),
		                       .imr_interface.s_addr = inet_addr(iface)};

		for (int i = 0; i < 2; i++)
			if (setsockopt(fd[i], IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) !=
			    0)
			{
				close(fd[0]), close(fd[1]);
				skip(); /* no multicast here */
			}
	}
	snprintf(dest, sizeof(dest), "%s:%u", group, port);
	f = feed_to(dest, iface, 3, 0);
	assert_int_equal(bb_init(&bb, 0), 0);
	r = event(PGX_KIND_ACCEPTED, "AAPL", 0, "open");
	r.idx = 1;
	assert_int_equal(bb_append(&bb, &r), 0);
	bb_finish(&bb);
	feed_publish(f, bb.buf, bb.len);
	for (int pkt = 0; pkt < 2; pkt++) /* the start, then the batch */
	{
		for (int i = 0; i < 2; i++)
		{
			struct pollfd p = {.fd = fd[i], .events = POLLIN};

			assert_int_equal(poll(&p, 1, 2000), 1);
			n[i] = recv(fd[i], a[i], sizeof(a[i]), 0);
			assert_true(n[i] > PGX_FEED_HEADER);
		}
		assert_int_equal(n[0], n[1]);
		assert_memory_equal(a[0], a[1], (size_t)n[0]);
		assert_memory_equal(a[0], "0000000003", PGX_FEED_SESSION_LEN);
	}
	feed_destroy(f);
	bb_free(&bb);
	close(fd[0]);
	close(fd[1]);
}

static void
test_multicast_on_loopback(void **state)
{
	(void)state;
	two_subscribers("239.255.77.1", "127.0.0.1", htonl(INADDR_ANY));
}

static void
test_broadcast_on_loopback(void **state)
{
	(void)state;
	two_subscribers("127.255.255.255", NULL, htonl(INADDR_ANY));
}

/* Idle: heartbeats carry the next sequence number; a clean stop ends the
 * session after a last system message. */
static void
test_heartbeat_and_end(void **state)
{
	feed_config c;
	char err[128];
	uint8_t buf[256];
	pgx_feed_header h;
	pgx_feed_msg m;
	uint16_t port = 0;
	int fd = rx_open(htonl(INADDR_LOOPBACK), &port, 1 << 20);
	feed *f;
	size_t used;
	ssize_t n;
	struct pollfd p = {.events = POLLIN};

	(void)state;
	feed_config_init(&c);
	snprintf((char *)buf, sizeof(buf), "127.0.0.1:%u", port);
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, (char *)buf), 0);
	assert_int_equal(feed_option(&c, FEED_OPT_HEARTBEAT, "20"), 0);
	assert_int_equal(feed_option(&c, FEED_OPT_SESSION, "TEST"), 0);
	assert_non_null(f = feed_create(&c, 99, 1234, err, sizeof(err)));
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(pgx_feed_decode_header(buf, (size_t)n, &h));
	assert_memory_equal(h.session, "TEST      ", PGX_FEED_SESSION_LEN);
	assert_int_equal(h.sequence, 1);
	assert_int_equal(h.count, 1);
	assert_int_equal(
	    pgx_feed_decode(buf + PGX_FEED_HEADER, (size_t)n - PGX_FEED_HEADER, &m, &used),
	    PGX_FEED_OK);
	assert_int_equal(m.type, PGX_FEED_SYSTEM);
	assert_int_equal(m.code, PGX_FEED_SYS_START);
	assert_int_equal(m.journal_seq, 1234);
	/* the first tick follows a packet: no heartbeat; the second does */
	p.fd = feed_timer_fd(f);
	for (int ticks = 0; ticks < 2; ticks++)
	{
		assert_int_equal(poll(&p, 1, 1000), 1);
		feed_tick(f);
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, PGX_FEED_HEADER);
	assert_true(pgx_feed_decode_header(buf, (size_t)n, &h));
	assert_int_equal(h.count, 0);
	assert_int_equal(h.sequence, 2);
	feed_destroy(f);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(pgx_feed_decode_header(buf, (size_t)n, &h));
	assert_int_equal(h.sequence, 2);
	assert_int_equal(h.count, 1);
	assert_int_equal(
	    pgx_feed_decode(buf + PGX_FEED_HEADER, (size_t)n - PGX_FEED_HEADER, &m, &used),
	    PGX_FEED_OK);
	assert_int_equal(m.code, PGX_FEED_SYS_END);
	assert_int_equal(m.journal_seq, 1234);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, PGX_FEED_HEADER);
	assert_true(pgx_feed_decode_header(buf, (size_t)n, &h));
	assert_int_equal(h.count, PGX_FEED_COUNT_END);
	assert_int_equal(h.sequence, 3);
	close(fd);
}

/* A subscriber that cannot keep up loses packets in its kernel queue: it
 * sees gaps, never a silently different book. */
static void
test_slow_subscriber_sees_gaps(void **state)
{
	static uint8_t buf[PGX_FEED_PACKET_MAX];
	uint16_t port = 0;
	int fd = rx_open(htonl(INADDR_LOOPBACK), &port, 1); /* the smallest queue */
	feed *f = feed_local(port, 5);
	batchbuf bb;
	fb_stream st;
	fb_report r;
	ssize_t n;

	(void)state;
	assert_int_equal(bb_init(&bb, 0), 0);
	for (int i = 1; i <= 2000; i++)
	{
		pgx_record rec;

		mj_record_init(&rec, PGX_KIND_CANCEL_ORDER, (uint64_t)i, 0, T0, DAY);
		rec.strs[PGX_S_SYMBOL] = mj_str("AAPL");
		assert_int_equal(bb_append(&bb, &rec), 0);
		rec = event(PGX_KIND_CANCELED, "AAPL", PGX_SIDE_BUY, "user_cancel");
		rec.seq = i, rec.idx = 1;
		mj_set_int(&rec, PGX_F_ORDER_ID, i), mj_set_int(&rec, PGX_F_QUANTITY, 1);
		assert_int_equal(bb_append(&bb, &rec), 0);
	}
	bb_finish(&bb);
	feed_publish(f, bb.buf, bb.len);
	feed_destroy(f); /* the end-of-session packet shows a lost tail too */
	fb_stream_init(&st);
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		fb_stream_packet(&st, buf, (size_t)n, NULL, NULL, &r);
	printf("# a queue of one packet: %llu of 2003 messages arrived, %llu gaps, %llu "
	       "missed\n",
	       (unsigned long long)st.messages, (unsigned long long)st.gaps,
	       (unsigned long long)st.missed);
	assert_true(st.gaps > 0);
	assert_int_equal(st.messages + st.missed, 2003); /* start, 2000, checkpoint, end */
	bb_free(&bb);
	close(fd);
}

static void
test_options(void **state)
{
	feed_config c;
	char err[256];

	(void)state;
	feed_config_init(&c);
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, "239.1.2.3"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, "localhost:1"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, "1.2.3.4:70000"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_TTL, "256"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_SESSION, "ELEVEN CHRS"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_SESSION, "A B"), -1);
	assert_int_equal(feed_option(&c, FEED_OPT_PACKET, "100"), -1);
	assert_int_equal(feed_config_check(&c), -1); /* --feed-* without --feed */
	assert_int_equal(feed_option(&c, FEED_OPT_ADDR, "239.1.2.3:31001"), 0);
	assert_int_equal(feed_config_check(&c), 0);
	/* an interface address this host does not have */
	assert_int_equal(feed_option(&c, FEED_OPT_IFACE, "192.0.2.254"), 0);
	assert_null(feed_create(&c, 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "multicast"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_decode_every_kind),
	    cmocka_unit_test(test_golden_bytes),
	    cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_translation),
	    cmocka_unit_test(test_stream_sequence),
	    cmocka_unit_test(test_book_rules),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_heartbeat_and_end),
	    cmocka_unit_test(test_multicast_on_loopback),
	    cmocka_unit_test(test_broadcast_on_loopback),
	    cmocka_unit_test(test_slow_subscriber_sees_gaps),
	    cmocka_unit_test(test_random_core_session),
	    cmocka_unit_test(test_random_pipeline_session),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
