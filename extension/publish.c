/*
 * publish.c
 *		Real-time notifications of a journal batch, delivered at its commit.
 *
 * append_batch() calls publish_batch() in the transaction that appends the
 * batch, so listeners hear of it exactly when it commits and never of a batch
 * that rolled back.  Two kinds of channel:
 *
 *	exchange_executions		one notification per side of every trade:
 *		{"seq":S,"idx":I,"symbol":"X","account":"A","order_id":N,"side":"buy"}
 *	exchange_book_<SYMBOL>	per symbol whose book the batch changed (an
 *		event other than `rejected` naming the symbol, of an order, listing or
 *		session command), the book's increments:
 *		{"symbol":"X","version":V,"seq":S,"part":P,"parts":N,"events":[...]}
 *
 * LISTEN is not access-controlled in PostgreSQL, so payloads carry only public
 * market data and identifiers; who traded comes from exchange.executions(),
 * which shows a broker only its own accounts.  V is the symbol's book version
 * (symbols.book_version), incremented once per batch that changed the book,
 * and S the last seq of the batch for the symbol (symbols.book_seq).  The
 * events are the feed's messages (include/exchange_feed.h, the same
 * translation matchd multicasts): add, execute, replace, delete and status,
 * each with the seq and idx of its journal record.  A payload is limited to
 * 8000 bytes, so a large batch is split into N parts of one version.
 *
 * Snapshot + increments: LISTEN first, then read exchange.order_book_l3()
 * (its as_of_seq); apply every event with seq > as_of_seq.  A version that
 * jumps by more than one, or a missing part, means a notification was missed:
 * take a new snapshot.
 */
#include "postgres.h"

#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "batch.h"
#include "exchange.h"
#include "exchange_feed.h"

PG_FUNCTION_INFO_V1(exchange_publish_batch);

#define EXECUTIONS_CHANNEL "exchange_executions"
#define BOOK_CHANNEL       "exchange_book_"

/* Payloads stay below PostgreSQL's limit (NOTIFY_PAYLOAD_MAX_LENGTH, 7999). */
#define PAYLOAD_MAX 7800

/* A symbol whose book the batch changed. */
typedef struct BookTouch
{
	char symbol[NAMEDATALEN]; /* hash key */
	int64 last_seq;
	int position; /* order of first appearance in the batch */
	List *events; /* pgx_feed_msg *, in journal order */
} BookTouch;

static SPIPlanPtr bump_plan = NULL;

static void
append_json_str(StringInfo buf, const pgx_str *s)
{
	if (s->len == PGX_STR_NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, pnstrdup(s->ptr, s->len));
}

static void
append_json_int(StringInfo buf, const pgx_record *rec, int field)
{
	if ((rec->present >> field) & 1)
		appendStringInfo(buf, INT64_FORMAT, rec->ints[field]);
	else
		appendStringInfoString(buf, "null");
}

/* One side of a trade: the taker's (the row's order) or the maker's (contra). */
static void
notify_execution(StringInfo buf, const pgx_record *rec, bool maker)
{
	int side = rec->side;

	if (maker && side != 0)
		side = side == PGX_SIDE_BUY ? PGX_SIDE_SELL : PGX_SIDE_BUY;
	resetStringInfo(buf);
	appendStringInfo(buf, "{\"seq\":" INT64_FORMAT ",\"idx\":%d,\"symbol\":", rec->seq,
	                 rec->idx);
	append_json_str(buf, &rec->strs[PGX_S_SYMBOL]);
	appendStringInfoString(buf, ",\"account\":");
	append_json_str(buf, &rec->strs[maker ? PGX_S_CONTRA_ACCOUNT : PGX_S_ACCOUNT]);
	appendStringInfoString(buf, ",\"order_id\":");
	append_json_int(buf, rec, maker ? PGX_F_CONTRA_ORDER_ID : PGX_F_ORDER_ID);
	appendStringInfoString(buf, ",\"side\":");
	if (side != 0)
		appendStringInfo(buf, "\"%s\"", exchange_side_labels[side]);
	else
		appendStringInfoString(buf, "null");
	appendStringInfoChar(buf, '}');
	Async_Notify(EXECUTIONS_CHANNEL, buf->data);
}

/* Increments the book version of a listed symbol of the stream; false if none. */
static bool
bump_book_version(const char *symbol, int32 stream, int64 last_seq, int64 *version,
                  Numeric *tick_size)
{
	Datum args[3];
	bool isnull;
	int rc;

	if (bump_plan == NULL)
	{
		Oid argtypes[3] = {TEXTOID, INT8OID, INT4OID};
		SPIPlanPtr plan = SPI_prepare(
		    "UPDATE exchange.symbols SET book_version = book_version "
		    "OPERATOR(pg_catalog.+) 1, "
		    "book_seq = $2 "
		    "WHERE symbol OPERATOR(pg_catalog.=) $1 AND stream OPERATOR(pg_catalog.=) $3 "
		    "RETURNING book_version, tick_size",
		    3, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		bump_plan = plan;
	}
	args[0] = CStringGetTextDatum(symbol);
	args[1] = Int64GetDatum(last_seq);
	args[2] = Int32GetDatum(stream);
	rc = SPI_execute_plan(bump_plan, args, NULL, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "updating the book version failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	*version = DatumGetInt64(
	    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		return false;
	/* copied out of SPI's memory, which SPI_finish releases */
	*tick_size = DatumGetNumericCopy(
	    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return !isnull;
}

/* One feed message as a JSON object; prices in the symbol's currency. */
static void
append_event(StringInfo buf, const pgx_feed_msg *m, Numeric tick_size)
{
	static const char *const statuses[] = {[PGX_FEED_ST_OPEN] = "open",
	                                       [PGX_FEED_ST_CLOSED] = "closed",
	                                       [PGX_FEED_ST_HALTED] = "halted"};
	char *price = NULL;

	if (m->type == PGX_FEED_ADD || m->type == PGX_FEED_EXECUTE ||
	    m->type == PGX_FEED_REPLACE)
		price = DatumGetCString(DirectFunctionCall1(
		    numeric_out,
		    NumericGetDatum(exchange_ticks_to_numeric(m->price, tick_size))));
	appendStringInfo(buf, "{\"seq\":" INT64_FORMAT ",\"idx\":%d,", m->journal_seq,
	                 m->journal_idx);
	switch (m->type)
	{
		case PGX_FEED_ADD:
			appendStringInfo(
			    buf,
			    "\"type\":\"add\",\"order_id\":" INT64_FORMAT
			    ",\"side\":\"%s\",\"price\":%s,\"quantity\":" INT64_FORMAT "}",
			    m->order_id, exchange_side_labels[m->side], price, m->quantity);
			break;
		case PGX_FEED_EXECUTE:
			appendStringInfo(
			    buf,
			    "\"type\":\"execute\",\"order_id\":" INT64_FORMAT
			    ",\"price\":%s,\"quantity\":" INT64_FORMAT ",\"remaining\":" INT64_FORMAT
			    ",\"aggressor_id\":" INT64_FORMAT
			    ",\"aggressor_side\":\"%s\",\"aggressor_remaining\":" INT64_FORMAT "}",
			    m->order_id, price, m->quantity, m->remaining, m->contra_order_id,
			    exchange_side_labels[m->side], m->contra_remaining);
			break;
		case PGX_FEED_REPLACE:
			appendStringInfo(buf,
			                 "\"type\":\"replace\",\"order_id\":" INT64_FORMAT
			                 ",\"price\":%s,\"quantity\":" INT64_FORMAT
			                 ",\"keeps_priority\":%s}",
			                 m->order_id, price, m->quantity,
			                 (m->code & PGX_FEED_KEEPS_PRIORITY) ? "true" : "false");
			break;
		case PGX_FEED_DELETE:
			appendStringInfo(buf,
			                 "\"type\":\"delete\",\"order_id\":" INT64_FORMAT
			                 ",\"quantity\":" INT64_FORMAT ",\"reason\":\"%s\"}",
			                 m->order_id, m->quantity,
			                 m->code == PGX_FEED_DEL_EXPIRED ? "expired" : "canceled");
			break;
		case PGX_FEED_STATUS:
			appendStringInfo(buf, "\"type\":\"status\",\"status\":\"%s\"}",
			                 statuses[m->code]);
			break;
	}
}

/*
 * Queues the notifications of one symbol's increments: the events split into
 * parts that each fit a payload, all with the same version.
 */
static int
notify_book(BookTouch *t, int64 version, Numeric tick_size, StringInfo buf)
{
	char channel[NAMEDATALEN];
	List *parts = NIL;
	StringInfoData events;
	ListCell *lc;
	int part = 0;
	char *head;
	size_t head_len;

	snprintf(channel, sizeof(channel), BOOK_CHANNEL "%s", t->symbol);
	resetStringInfo(buf);
	appendStringInfoString(buf, "{\"symbol\":");
	escape_json(buf, t->symbol);
	appendStringInfo(buf, ",\"version\":" INT64_FORMAT ",\"seq\":" INT64_FORMAT, version,
	                 t->last_seq);
	head = pstrdup(buf->data);
	/* room for ,"part":P,"parts":N,"events":[ ... ]} */
	head_len = strlen(head) + 48;

	initStringInfo(&events);
	foreach (lc, t->events)
	{
		const pgx_feed_msg *m = lfirst(lc);
		int before = events.len;

		if (events.len > 0)
			appendStringInfoChar(&events, ',');
		append_event(&events, m, tick_size);
		if (head_len + events.len > PAYLOAD_MAX && before > 0)
		{
			/* this event starts the next part */
			char *next = pstrdup(events.data + before + 1);

			events.data[before] = '\0';
			parts = lappend(parts, pstrdup(events.data));
			resetStringInfo(&events);
			appendStringInfoString(&events, next);
		}
	}
	parts = lappend(parts, pstrdup(events.data));
	foreach (lc, parts)
	{
		resetStringInfo(buf);
		appendStringInfo(buf, "%s,\"part\":%d,\"parts\":%d,\"events\":[%s]}", head,
		                 ++part, list_length(parts), (char *)lfirst(lc));
		Async_Notify(channel, buf->data);
	}
	return part;
}

/*
 * Whether the events of a command may change a book: the order commands and
 * the session and listing commands.  The order manager's commands (1.2: KYC,
 * cash, shares, limits) name accounts and symbols but never touch a book.
 */
static bool
command_may_change_book(uint8 kind)
{
	switch (kind)
	{
		case PGX_KIND_NEW_ORDER:
		case PGX_KIND_CANCEL_ORDER:
		case PGX_KIND_AMEND_ORDER:
		case PGX_KIND_ADD_SYMBOL:
		case PGX_KIND_MARKET_OPEN:
		case PGX_KIND_MARKET_CLOSE:
		case PGX_KIND_HALT:
		case PGX_KIND_RESUME:
			return true;
	}
	return false;
}

static int
compare_touch_position(const void *a, const void *b)
{
	const BookTouch *x = *(BookTouch *const *)a;
	const BookTouch *y = *(BookTouch *const *)b;

	return (x->position > y->position) - (x->position < y->position);
}

/*
 * publish_batch(batch bytea, stream int) returns int
 *
 * Queues the notifications of a batch (sent when the transaction commits) and
 * advances the book version of every listed symbol of the stream the batch
 * changed.  Returns the number of notifications queued.  Internal to
 * append_batch(), which calls it after the projection of reference data, so a
 * symbol listed in the same batch has its version.
 */
Datum
exchange_publish_batch(PG_FUNCTION_ARGS)
{
	bytea *batch = PG_GETARG_BYTEA_PP(0);
	int32 stream = PG_GETARG_INT32(1);
	HASHCTL ctl;
	HTAB *touched;
	HASH_SEQ_STATUS seq;
	BookTouch *t;
	BookTouch **ordered;
	int ntouched = 0;
	int notified = 0;
	uint8 command = 0;
	BatchReader r;
	pgx_record rec;
	StringInfoData buf;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(BookTouch);
	ctl.hcxt = CurrentMemoryContext;
	touched = hash_create("publish_batch symbols", 16, &ctl,
	                      HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	initStringInfo(&buf);

	batch_reader_init(&r, batch);
	while (batch_reader_next(&r, &rec))
	{
		const pgx_str *sym = &rec.strs[PGX_S_SYMBOL];
		char key[NAMEDATALEN];
		bool found;

		if (rec.idx == 0)
		{
			command = rec.kind;
			continue;
		}
		if (!command_may_change_book(command))
			continue;
		if (rec.kind == PGX_KIND_TRADE)
		{
			notify_execution(&buf, &rec, false);
			notify_execution(&buf, &rec, true);
			notified += 2;
		}
		/* listed symbols have at most 16 characters; longer ones have no book */
		if (rec.kind == PGX_KIND_REJECTED || sym->len == PGX_STR_NULL || sym->len == 0 ||
		    sym->len >= NAMEDATALEN)
			continue;
		memcpy(key, sym->ptr, sym->len);
		key[sym->len] = '\0';
		t = hash_search(touched, key, HASH_ENTER, &found);
		if (!found)
		{
			t->position = ntouched++;
			t->events = NIL;
		}
		t->last_seq = rec.seq;
		{
			pgx_feed_msg m;
			int n = pgx_feed_from_record(&rec, &m);

			if (n == 1)
			{
				pgx_feed_msg *copy = palloc(sizeof(m));

				memcpy(copy, &m, sizeof(m));
				t->events = lappend(t->events, copy);
			}
			else if (n < 0)
				/* hand-made journals (tests, tools) may omit fields matchd
				 * always writes: the batch is valid, it has no increment */
				ereport(DEBUG1,
				        (errmsg("seq " INT64_FORMAT " idx %d of symbol \"%s\" has no "
				                "market-data increment (%s)",
				                rec.seq, rec.idx, key,
				                n == PGX_FEED_EFIELD ? "a field is missing"
				                                     : "symbol too long")));
		}
	}
	if (ntouched == 0)
		PG_RETURN_INT32(notified);

	/* versions and notifications in the order the symbols appear in the batch */
	ordered = palloc(sizeof(BookTouch *) * ntouched);
	hash_seq_init(&seq, touched);
	for (int i = 0; (t = hash_seq_search(&seq)) != NULL; i++)
		ordered[i] = t;
	qsort(ordered, ntouched, sizeof(BookTouch *), compare_touch_position);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (int i = 0; i < ntouched; i++)
	{
		int64 version;
		Numeric tick_size;

		t = ordered[i];
		if (!bump_book_version(t->symbol, stream, t->last_seq, &version, &tick_size))
			continue;
		notified += notify_book(t, version, tick_size, &buf);
	}
	SPI_finish();
	PG_RETURN_INT32(notified);
}
