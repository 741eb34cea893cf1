/*
 * archival.c
 *		The checksum of a trading day's journal (1.8), streamed over the wire
 *		encoding of its records.
 *
 * journal_day_checksum(day) reads the day's rows of exchange.journal_history
 * in (stream, seq, idx) order with one query whose rows go straight from the
 * executor to a DestReceiver (nothing is copied or kept), which feeds one SHA-256
 * with, for each row, its stream (4 bytes) and epoch (8 bytes), big-endian,
 * then the record as include/exchange_wire.h encodes it (pgx_encode_record:
 * every other column, strings and JSON detail byte for byte).  No text is
 * rendered and no per-row digest is kept: the same rows give the same bytes in
 * any session, time zone and database.  Days archived before 1.8 carry the
 * JSON checksum of journal_day_checksum_v1 (archived_days.checksum_version).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "nodes/params.h"
#include "utils/memutils.h"

#include "batch.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_journal_day_checksum);

static void
pg_attribute_noreturn() sha_failed(pg_cryptohash_ctx *ctx)
{
	ereport(ERROR,
	        (errcode(ERRCODE_INTERNAL_ERROR),
	         errmsg("SHA-256 of the journal day failed: %s", pg_cryptohash_error(ctx))));
}

static void
sha_update(pg_cryptohash_ctx *ctx, const uint8 *data, size_t len)
{
	if (pg_cryptohash_update(ctx, data, len) < 0)
		sha_failed(ctx);
}

/* Feeds one row of the journal (laid out as l, deformed) to ctx; buf grows as
 * needed. */
static void
hash_row(pg_cryptohash_ctx *ctx, const Layout *l, const Datum *values, const bool *nulls,
         int n, uint8 **buf, size_t *cap)
{
	pgx_record rec;
	uint8 head[12];
	uint32 stream_be = pg_hton32((uint32)DatumGetInt32(values[l->att_stream]));
	uint64 epoch_be = pg_hton64((uint64)DatumGetInt64(values[l->att_epoch]));
	size_t size;

	journal_record_from_values(l, values, nulls, n, &rec);
	size = pgx_record_size(&rec);
	if (size > *cap)
	{
		*cap = Max(size, *cap * 2);
		*buf = repalloc(*buf, *cap);
	}
	memcpy(head, &stream_be, 4);
	memcpy(head + 4, &epoch_be, 8);
	sha_update(ctx, head, sizeof(head));
	sha_update(ctx, *buf, pgx_encode_record(*buf, &rec));
}

/* The rows of the query, hashed as the executor hands them over (no copies). */
typedef struct HashReceiver
{
	DestReceiver pub;
	pg_cryptohash_ctx *ctx;
	MemoryContext outer, rows;
	Layout *layout;
	uint8 *buf;
	size_t cap;
	int n;
} HashReceiver;

static void
hash_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	HashReceiver *r = (HashReceiver *)self;

	r->layout = journal_layout(CreateTupleDescCopy(typeinfo), r->outer);
}

static bool
hash_receive(TupleTableSlot *slot, DestReceiver *self)
{
	HashReceiver *r = (HashReceiver *)self;
	MemoryContext old = MemoryContextSwitchTo(r->rows);

	slot_getallattrs(slot);
	hash_row(r->ctx, r->layout, slot->tts_values, slot->tts_isnull, r->n++, &r->buf,
	         &r->cap);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->rows);
	return true;
}

static void
hash_nothing(DestReceiver *self)
{
}

Datum
exchange_journal_day_checksum(PG_FUNCTION_ARGS)
{
	Oid argtypes[1] = {DATEOID};
	HashReceiver r = {.pub = {.receiveSlot = hash_receive,
	                          .rStartup = hash_startup,
	                          .rShutdown = hash_nothing,
	                          .rDestroy = hash_nothing,
	                          .mydest = DestNone},
	                  .cap = 256};
	SPIExecuteOptions options = {.read_only = true};
	uint8 digest[PG_SHA256_DIGEST_LENGTH];
	SPIPlanPtr plan;
	bytea *result;
	int rc;

	r.outer = CurrentMemoryContext;
	r.buf = palloc(r.cap);
	r.rows =
	    AllocSetContextCreate(r.outer, "journal_day_checksum row", ALLOCSET_SMALL_SIZES);
	r.ctx = pg_cryptohash_create(PG_SHA256);
	if (r.ctx == NULL || pg_cryptohash_init(r.ctx) < 0)
		sha_failed(r.ctx);
	options.params = makeParamList(1);
	options.params->numParams = 1;
	options.params->params[0] = (ParamExternData){.value = PG_GETARG_DATUM(0),
	                                              .isnull = false,
	                                              .pflags = PARAM_FLAG_CONST,
	                                              .ptype = DATEOID};
	options.dest = &r.pub;

	SPI_connect();
	plan = SPI_prepare("SELECT * FROM exchange.journal_history WHERE trading_day = $1 "
	                   "ORDER BY stream, seq, idx",
	                   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "journal_day_checksum: SPI_prepare failed: %s",
		     SPI_result_code_string(SPI_result));
	rc = SPI_execute_plan_extended(plan, &options);
	/* rows sent to a receiver of our own: SPI calls that a utility result */
	if (rc != SPI_OK_UTILITY && rc != SPI_OK_SELECT)
		elog(ERROR, "journal_day_checksum: the query failed: %s",
		     SPI_result_code_string(rc));
	SPI_finish();

	if (pg_cryptohash_final(r.ctx, digest, sizeof(digest)) < 0)
		sha_failed(r.ctx);
	pg_cryptohash_free(r.ctx);
	MemoryContextDelete(r.rows);
	result = palloc(VARHDRSZ + sizeof(digest));
	SET_VARSIZE(result, VARHDRSZ + sizeof(digest));
	memcpy(VARDATA(result), digest, sizeof(digest));
	PG_RETURN_BYTEA_P(result);
}
