/*
 * journal_insert.c
 *		Writes a journal batch straight into its trading days' partitions.
 *
 * append_batch() checks the fencing rules and then calls journal_insert(); this
 * is the part that must be fast.  An INSERT ... SELECT inserts row by row; here
 * the rows go to the heap in groups with table_multi_insert(), as COPY does (one
 * WAL record per page instead of one per row), and their index entries follow.
 * Rows are never routed one by one: records are sorted by trading day, so each
 * run of one day goes to that day's partition, which append_batch() created.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "batch.h"
#include "exchange.h"

PG_FUNCTION_INFO_V1(exchange_journal_insert);

/* Rows handed to table_multi_insert() at once, as COPY does. */
#define INSERT_GROUP 1000

/* The partition of one trading day being written. */
typedef struct DayWriter
{
	Relation rel;
	ResultRelInfo *rri;
	BulkInsertState
	    bistate; /* holds a pinned page of rel: never shared between relations */
	int32 day;
	TupleTableSlot *slots[INSERT_GROUP];
	int nslots; /* slots created */
	int nused;  /* slots filled and not yet written */
} DayWriter;

/* The partition of `day` (named journal_YYYYMMDD), checked to be the journal's. */
static Oid
day_partition(Oid nsp, Oid journal, int32 day)
{
	char name[NAMEDATALEN];
	int y, m, d;
	Oid part;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	snprintf(name, sizeof(name), "journal_%04d%02d%02d", y, m, d);
	part = get_relname_relid(name, nsp);
	if (!OidIsValid(part) || get_partition_parent(part, true) != journal)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("journal partition %s does not exist", name),
		                errhint("exchange.append_batch() creates it.")));
	return part;
}

static void
writer_open(DayWriter *w, Oid part, int32 day)
{
	w->rel = table_open(part, RowExclusiveLock);
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
	ExecOpenIndices(w->rri, false);
	w->bistate = GetBulkInsertState();
	w->day = day;
	w->nslots = 0;
	w->nused = 0;
}

/* Writes the filled slots: heap first, in one call, then their index entries. */
static void
writer_flush(DayWriter *w, EState *estate, CommandId cid, MemoryContext rows)
{
	if (w->nused == 0)
		return;
	table_multi_insert(w->rel, w->slots, w->nused, cid, 0, w->bistate);
	for (int i = 0; i < w->nused; i++)
	{
		if (w->rri->ri_NumIndices > 0)
			ExecInsertIndexTuples(w->rri, w->slots[i], estate, false, false, NULL, NIL);
		ExecClearTuple(w->slots[i]);
		ResetPerTupleExprContext(estate);
	}
	w->nused = 0;
	MemoryContextReset(rows);
}

static void
writer_close(DayWriter *w)
{
	for (int i = 0; i < w->nslots; i++)
		ExecDropSingleTupleTableSlot(w->slots[i]);
	ExecCloseIndices(w->rri);
	FreeBulkInsertState(w->bistate);
	table_finish_bulk_insert(w->rel, 0);
	table_close(w->rel, NoLock);
	w->rel = NULL;
}

/*
 * journal_insert(batch bytea, stream int, epoch bigint) returns bigint
 *
 * Inserts every record of a (valid) batch, stamped with stream and epoch, and
 * returns the number of rows.  Internal: only append_batch() may call it, after
 * its fencing checks; it is granted to no one.
 */
Datum
exchange_journal_insert(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(journal_insert_batch(PG_GETARG_BYTEA_PP(0), PG_GETARG_INT32(1),
	                                     PG_GETARG_INT64(2),
	                                     get_func_namespace(fcinfo->flinfo->fn_oid)));
}

/* journal_insert's work, for it and append_batch: the rows inserted. */
int64
journal_insert_batch(bytea *batch, int32 stream, int64 epoch, Oid nsp)
{
	Oid journal = get_relname_relid("journal", nsp);
	Relation parent;
	Layout *layout;
	EState *estate;
	CommandId cid = GetCurrentCommandId(true);
	MemoryContext rows, old;
	DayWriter w = {0};
	BatchReader r;
	pgx_record rec;
	int64 inserted = 0;

	if (!OidIsValid(journal))
		elog(ERROR, "exchange.journal does not exist");
	parent = table_open(journal, AccessShareLock);
	layout = journal_layout(RelationGetDescr(parent), CurrentMemoryContext);
	estate = CreateExecutorState();
	rows = AllocSetContextCreate(CurrentMemoryContext, "journal_insert rows",
	                             ALLOCSET_DEFAULT_SIZES);

	batch_reader_init(&r, batch);
	while (batch_reader_next(&r, &rec))
	{
		TupleTableSlot *slot;

		if (w.rel == NULL || rec.trading_day != w.day)
		{
			if (w.rel != NULL)
			{
				writer_flush(&w, estate, cid, rows);
				writer_close(&w);
			}
			writer_open(&w, day_partition(nsp, journal, rec.trading_day),
			            rec.trading_day);
		}
		if (w.nused == w.nslots)
			w.slots[w.nslots++] = table_slot_create(w.rel, NULL);
		slot = w.slots[w.nused++];
		ExecClearTuple(slot);
		old = MemoryContextSwitchTo(rows);
		journal_values(layout, &rec, stream, epoch, slot->tts_values, slot->tts_isnull);
		MemoryContextSwitchTo(old);
		ExecStoreVirtualTuple(slot);
		inserted++;
		if (w.nused == INSERT_GROUP)
			writer_flush(&w, estate, cid, rows);
	}
	if (w.rel != NULL)
	{
		writer_flush(&w, estate, cid, rows);
		writer_close(&w);
	}
	FreeExecutorState(estate);
	MemoryContextDelete(rows);
	table_close(parent, NoLock);
	return inserted;
}
