/*
 * batch_decode.h
 *		The byte-level reading of what append_batch() is given, without
 *		PostgreSQL: journal batches with their sequencing rules (batch.c's
 *		BatchReader) and wallet projections (wallets.c).
 *
 * batch.c and wallets.c call these and raise PX005 with the message they
 * return; fuzz/ calls them directly.  Plain C11 (no palloc, no ereport): an
 * error is a static message string, and a reader that fails is left as it was
 * before the failing call, so the caller's error detail (record n of count,
 * byte offset) describes where it stopped.  Checks that need the database
 * (the encoding of text, JSON syntax, enum labels) stay in the callers; text
 * validity of wallet strings is asked of a callback.
 */
#ifndef EXCHANGE_BATCH_DECODE_H
#define EXCHANGE_BATCH_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_wire.h"

/*
 * The ranges of timestamptz and date (PostgreSQL's IS_VALID_TIMESTAMP and
 * IS_VALID_DATE, datatype/timestamp.h); batch.c checks at compile time that
 * they still agree.
 */
#define PGX_TS_MIN   INT64_C(-211813488000000000) /* MIN_TIMESTAMP */
#define PGX_TS_END   INT64_C(9223371331200000000) /* END_TIMESTAMP */
#define PGX_DATE_MIN (0 - 2451545)                /* DATETIME_MIN_JULIAN - epoch */
#define PGX_DATE_END (2147483494 - 2451545)       /* DATE_END_JULIAN - epoch */

static inline bool
pgx_valid_ts(int64_t ts)
{
	return PGX_TS_MIN <= ts && ts < PGX_TS_END;
}

static inline bool
pgx_valid_date(int32_t day)
{
	return PGX_DATE_MIN <= day && day < PGX_DATE_END;
}

/* ---- journal batches ------------------------------------------------------- */

/* A batch being read, record by record, with its sequencing rules checked. */
typedef struct pgx_batch_reader
{
	const uint8_t *buf;
	size_t len;
	size_t off;
	uint32_t count;  /* records the header announces */
	uint32_t n;      /* records read so far */
	pgx_record prev; /* the record read before the current one */
} pgx_batch_reader;

/* Starts reading buf[0..len); NULL, or why the header is refused. */
static inline const char *
pgx_batch_reader_init(pgx_batch_reader *r, const uint8_t *buf, size_t len)
{
	pgx_decode_status st;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	st = pgx_decode_header(r->buf, r->len, &r->count);
	if (st != PGX_DECODE_OK)
		return pgx_decode_error(st);
	if (r->count == 0)
		return "empty batch";
	r->off = PGX_BATCH_HEADER;
	return NULL;
}

/*
 * Reads the next record into *rec and checks it against the previous one:
 * a batch is a run of whole commands, each an idx 0 command record followed by
 * its events at idx 1, 2, ... with the command's timestamp and trading day, and
 * consecutive commands have consecutive seqs and non-decreasing days.
 *
 * 1: a record; 0: the end of the batch; -1: *why says what is wrong and
 * *rec_known whether *rec is the record at fault (its seq and idx decoded)
 * or the bytes did not decode.  The reader does not move on an error.
 */
static inline int
pgx_batch_reader_next(pgx_batch_reader *r, pgx_record *rec, const char **why,
                      bool *rec_known)
{
	pgx_decode_status st;
	size_t used;

	*rec_known = false;
	if (r->n == r->count)
	{
		if (r->off != r->len)
			return *why = pgx_decode_error(PGX_DECODE_TRAILING), -1;
		return 0;
	}
	st = pgx_decode_record(r->buf + r->off, r->len - r->off, rec, &used);
	if (st != PGX_DECODE_OK)
		return *why = pgx_decode_error(st), -1;

	*rec_known = true;
	if (rec->seq < 1)
		return *why = "seq must be positive", -1;
	if (rec->idx == 0)
	{
		if (!pgx_kind_is_command(rec->kind))
			return *why = "idx 0 must hold a command", -1;
		/* (nothing follows INT64_MAX: prev.seq + 1 would overflow) */
		if (r->n > 0 && (r->prev.seq == INT64_MAX || rec->seq != r->prev.seq + 1))
			return *why = "seqs within a batch must be consecutive", -1;
		if (r->n > 0 && rec->trading_day < r->prev.trading_day)
			return *why = "trading day goes backwards", -1;
	}
	else
	{
		if (r->n == 0)
			return *why = "a batch must start with a command (idx 0)", -1;
		if (!pgx_kind_is_event(rec->kind))
			return *why = "idx above 0 must hold an event", -1;
		if (rec->seq != r->prev.seq || rec->idx != r->prev.idx + 1)
			return *why = "events must follow their command at idx 1, 2, ...", -1;
		if (rec->ts != r->prev.ts || rec->trading_day != r->prev.trading_day)
			return *why = "events must carry their command's timestamp and day", -1;
	}
	if (!pgx_valid_ts(rec->ts) || !pgx_valid_date(rec->trading_day))
		return *why = "timestamp or trading day out of range", -1;

	r->off += used;
	r->n++;
	r->prev = *rec;
	return 1;
}

/* ---- wallet projections ------------------------------------------------------ */

/* Whether s (len bytes, not NUL-terminated) is valid text in the database's
 * encoding. */
typedef bool (*pgx_text_check)(const char *s, size_t len);

/* A decoded entry and its position in the buffer (the later of a wallet wins). */
typedef struct pgx_wallet_slot
{
	pgx_wallet_entry e;
	uint32_t position;
} pgx_wallet_slot;

/* Each entry has at least 1 + 2 + 2 + 24 bytes: the count cannot lie by much. */
#define PGX_WALLET_ENTRY_MIN 29

/*
 * Reads the header of buf[0..len): *count entries follow at buf + *off.  NULL,
 * or why ("truncated header", "bad magic (not PWL1)", or "announced": the
 * count does not fit the bytes, for which the caller prints the numbers).
 */
static inline const char *
pgx_wallets_begin(const uint8_t *buf, size_t len, uint32_t *count, size_t *off)
{
	if (!pgx_decode_wallets_header(buf, len, count))
		return len < PGX_WALLETS_HEADER ? "truncated header" : "bad magic (not PWL1)";
	*off = PGX_WALLETS_HEADER;
	if ((uint64_t)*count * PGX_WALLET_ENTRY_MIN > (uint64_t)(len - PGX_WALLETS_HEADER))
		return "announced";
	return NULL;
}

static inline bool
pgx_wallet_text(const pgx_str *s, pgx_text_check valid)
{
	return s->len != PGX_STR_NULL && s->len > 0 && valid(s->ptr, s->len);
}

/*
 * Decodes and checks the entry at buf + *off (advanced past it) before
 * buf + len; NULL, or why (then *off is unchanged).
 */
static inline const char *
pgx_wallets_entry(const uint8_t *buf, size_t len, size_t *off, pgx_wallet_entry *e,
                  pgx_text_check valid)
{
	const uint8_t *p = buf + *off;

	if (!pgx_decode_wallet_entry(&p, buf + len, e))
		return "entry is truncated or of an unknown asset";
	if (!pgx_wallet_text(&e->code, valid))
		return "code is missing or not valid text";
	if (e->asset == PGX_ASSET_FEES)
	{
		if (e->account.len != PGX_STR_NULL)
			return "a fee entry has an account";
		if (e->held != 0)
			return "a fee entry holds an amount";
	}
	else if (!pgx_wallet_text(&e->account, valid))
		return "account is missing or not valid text";
	*off = (size_t)(p - buf);
	return NULL;
}

/* NULL sorts before every string, then bytewise, then shorter first. */
static inline int
pgx_wallet_compare_str(const pgx_str *a, const pgx_str *b)
{
	int alen = a->len == PGX_STR_NULL ? -1 : a->len;
	int blen = b->len == PGX_STR_NULL ? -1 : b->len;
	int c;

	if (alen < 0 || blen < 0)
		return (alen > blen) - (alen < blen);
	c = memcmp(a->ptr, b->ptr, (size_t)(alen < blen ? alen : blen));
	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* Whether a and b are entries of the same wallet (asset, account, code). */
static inline bool
pgx_wallet_same(const pgx_wallet_entry *a, const pgx_wallet_entry *b)
{
	return a->asset == b->asset &&
	       pgx_wallet_compare_str(&a->account, &b->account) == 0 &&
	       pgx_wallet_compare_str(&a->code, &b->code) == 0;
}

/* by wallet (asset, account, code), then by position in the buffer */
static inline int
pgx_wallet_compare_slots(const void *x, const void *y)
{
	const pgx_wallet_slot *a = x;
	const pgx_wallet_slot *b = y;
	int c;

	if (a->e.asset != b->e.asset)
		return a->e.asset < b->e.asset ? -1 : 1;
	if ((c = pgx_wallet_compare_str(&a->e.account, &b->e.account)) != 0)
		return c;
	if ((c = pgx_wallet_compare_str(&a->e.code, &b->e.code)) != 0)
		return c;
	return (a->position > b->position) - (a->position < b->position);
}

/*
 * Reduces slots[0..count) to one entry per wallet, the latest (the highest
 * position), sorted by wallet so that writers lock rows in the same order;
 * returns how many are left at the front of slots.
 */
static inline uint32_t
pgx_wallets_reduce(pgx_wallet_slot *slots, uint32_t count)
{
	uint32_t n = 0;

	if (count == 0)
		return 0;
	qsort(slots, count, sizeof(*slots), pgx_wallet_compare_slots);
	for (uint32_t i = 0; i < count; i++)
	{
		if (i + 1 < count && pgx_wallet_same(&slots[i].e, &slots[i + 1].e))
			continue;
		slots[n++] = slots[i];
	}
	return n;
}

#endif /* EXCHANGE_BATCH_DECODE_H */
