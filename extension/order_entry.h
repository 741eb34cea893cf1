/*
 * order_entry.h
 *		What the functions that send commands to matchd share (order_entry.c):
 *		lookups as the extension's owner, the per-backend reference cache,
 *		argument checks, request records and reading back what a command changed.
 *
 * order_entry.c holds the order functions and add_symbol/open_account;
 * order_manager.c the order manager's commands of 1.2 (accounts, cash and
 * shares, limits, halts, the session).
 */
#ifndef EXCHANGE_ORDER_ENTRY_H
#define EXCHANGE_ORDER_ENTRY_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/numeric.h"

#include "exchange_wire.h"
#include "matchd_client.h"

/* A query run as the extension's owner; prepared on first use and kept. */
typedef struct Lookup
{
	const char *sql;
	int nargs;
	Oid argtypes[3];
	SPIPlanPtr plan;
} Lookup;

/* the owner of the called function (the extension's owner), cached per call site */
extern Oid oe_function_owner(FunctionCallInfo fcinfo);
/* runs q as owner with the latest snapshot, each(row) on up to limit rows (0: all) */
extern uint64 oe_query_as_owner(Oid owner, Lookup *q, Datum *args, long limit,
                                void (*each)(HeapTuple row, TupleDesc td, void *arg),
                                void *arg);
/* runs q as owner with the latest snapshot; copies the first nout columns of its row */
extern bool oe_lookup(Oid owner, Lookup *q, Datum *args, Datum *out, bool *outnull,
                      int nout);
/* the row q finds (its only column), or an error naming what matchd accepted at seq */
extern Datum oe_read_back(Oid owner, Lookup *q, Datum *args, const char *what,
                          const char *name, int64 seq);

/* cached reference data: false when there is no such account or symbol */
extern bool oe_lookup_account(Oid owner, const char *account, NameData *broker);
/* the account exists and its broker is the current user or a role it is a member of */
extern bool oe_caller_owns_account(Oid owner, const char *account);
extern bool oe_lookup_symbol(Oid owner, const char *symbol, Numeric *tick_size,
                             int64 *lot_size);
/* minor digits of a listed currency: 22023 malformed, PX063 not in exchange.currencies */
extern int oe_currency_digits(Oid owner, const char *currency);

/* 22004 for the first NULL argument whose name is not NULL */
extern void oe_require_args(FunctionCallInfo fcinfo, const char *const *names, int n);
extern void oe_check_lot(const char *symbol, int64 quantity, int64 lot_size);

extern int oe_numeric_cmp(Numeric a, Numeric b);
extern bool oe_numeric_positive(Numeric n);
extern bool oe_numeric_is_zero(Numeric n);
extern char *oe_numeric_text(Numeric n);
extern int64 oe_pow10(int digits);

extern char *oe_caller_name(void);
extern char *oe_enum_label(Datum value);

extern void oe_record_init(pgx_record *rec, uint8 kind);
extern void oe_record_str(pgx_record *rec, int field, const char *s);
extern void oe_record_int(pgx_record *rec, int field, int64 v);

/* raises the error a reference command's rejection (status rejected) stands for */
extern void oe_check_reference_answer(const MatchdAnswer *a, const char *what,
                                      const char *name);

#endif /* EXCHANGE_ORDER_ENTRY_H */
