/*
 * batch.h
 *		The journal batch reader and the mapping of records to journal rows,
 *		shared by batch.c (the codec functions) and journal_insert.c (the append).
 */
#ifndef EXCHANGE_BATCH_H
#define EXCHANGE_BATCH_H

#include "postgres.h"

#include "access/tupdesc.h"

#include "batch_decode.h"
#include "exchange_wire.h"

#define MAX_ENUM_LABELS PGX_KIND__COUNT

/* One enumeration column: its wire labels and the pg_enum OIDs they map to. */
typedef struct EnumMap
{
	const char *const *labels;
	int nlabels;
	Oid values[MAX_ENUM_LABELS];
} EnumMap;

enum
{
	E_KIND,
	E_SIDE,
	E_TYPE,
	E_TIF,
	E_STATUS,
	E__COUNT
};

/*
 * Where each wire field lives in a row type (exchange.journal or
 * exchange.journal_record); attribute numbers are 0-based, -1 when absent.
 */
typedef struct Layout
{
	TupleDesc tupdesc;
	int natts;
	int att_stream, att_epoch, att_seq, att_idx, att_day, att_ts;
	int att_enum[E__COUNT];
	int att_int[PGX_F__COUNT];
	int att_str[PGX_S__COUNT];
	/* 1.8: a new order's options, typed, from its detail (-1: no such column) */
	int att_post_only, att_expire_time;
	EnumMap enums[E__COUNT];
} Layout;

/* A batch being read, record by record, with its sequencing rules checked
 * (the decoding itself is PG-free: batch_decode.h). */
typedef pgx_batch_reader BatchReader;

/* Labels of the SQL enumerations, indexed by wire number (0: none). */
extern const char *const exchange_kind_labels[PGX_KIND__COUNT];
extern const char *const exchange_side_labels[PGX_SIDE__COUNT];
extern const char *const exchange_type_labels[PGX_TYPE__COUNT];
extern const char *const exchange_tif_labels[PGX_TIF__COUNT];
extern const char *const exchange_status_labels[PGX_STATUS__COUNT];

/* What batch_summary() returns (append_batch's checks). */
typedef struct BatchSummary
{
	int64 first_seq, last_seq;
	int32 commands, records;
	int32 first_day, last_day; /* DateADT */
	int64 last_ts;             /* TimestampTz */
	bool reference_data;       /* a command other than an order's */
} BatchSummary;

extern void batch_reader_init(BatchReader *r, bytea *batch);
extern void batch_summarize(bytea *batch, BatchSummary *out);
/* journal_insert(): the batch's rows into the partitions of its days */
extern int64 journal_insert_batch(bytea *batch, int32 stream, int64 epoch, Oid nsp);
extern bool batch_reader_next(BatchReader *r, pgx_record *rec);
extern Layout *journal_layout(TupleDesc td, MemoryContext mcxt);
extern void journal_record_from_values(const Layout *l, const Datum *values,
                                       const bool *nulls, int n, pgx_record *rec);
extern void journal_values(const Layout *l, const pgx_record *rec, int32 stream,
                           int64 epoch, Datum *values, bool *nulls);

#endif /* EXCHANGE_BATCH_H */
