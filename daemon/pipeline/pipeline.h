/*
 * pipeline.h - matchd's business logic: order manager, sequencer, matching
 * core and journal records, in one deterministic step per command.
 *
 *	request --pl_stamp--> command record --pl_apply--> records in a batch
 *	                                                   + the order's outcome
 *
 * pl_stamp is the live half: it checks a request against what matchd knows
 * (names, open orders), runs the order manager hook, and stamps it as the
 * sequencer (seq, timestamp, trading day, order id).  pl_apply is shared by
 * live traffic and recovery: it turns a stamped command record into the
 * command's records (the command at idx 0, its events at idx 1..).  Replay
 * feeds the journal's command records to pl_apply and compares the bytes it
 * produces with the journal's, so live and replay cannot drift apart.
 *
 * Pure like the core (no I/O, no clock: the caller passes the time); memory
 * is allocated at pl_create, at reference-data changes and when a batch
 * buffer grows, never per order.
 */
#ifndef MJ_PIPELINE_H
#define MJ_PIPELINE_H

#include <stdint.h>

#include "batchbuf.h"
#include "engine.h"
#include "exchange_wire.h"
#include "names.h"

typedef struct pl_config
{
	uint32_t max_symbols;
	uint32_t max_accounts;
	uint32_t max_orders;    /* resting orders, all symbols */
	uint32_t max_levels;    /* price levels, all symbols and sides */
	uint32_t max_positions; /* (account, symbol) share positions */
} pl_config;

/* Why a request was refused before sequencing (nothing was journaled). */
typedef struct pl_error
{
	char sqlstate[6];
	char message[256];
} pl_error;

/* The order after its command, as the order functions report it. */
typedef struct pl_result
{
	int64_t seq;
	int64_t order_id;
	int64_t created_ts;
	int64_t filled;
	int64_t remaining;
	uint8_t status;     /* PGX_STATUS_*; for reference data new (accepted) or rejected */
	const char *reason; /* static text or NULL */
	/* "00000", or why the order manager refused the command (status rejected) */
	char sqlstate[6];
	char message[224];
} pl_result;

typedef struct pipeline pipeline;

pipeline *pl_create(const pl_config *cfg);
void pl_destroy(pipeline *pl);

/* Sequencer position: the last seq and timestamp journaled, the trading day. */
void pl_set_position(pipeline *pl, int64_t last_seq, int64_t last_ts, int32_t day);
int64_t pl_last_seq(const pipeline *pl);
int32_t pl_trading_day(const pipeline *pl);

/*
 * Live: checks a request (decoded from the protocol) and stamps it into the
 * command record *cmd, taking the next seq.  now_ts is the wall clock in
 * microseconds since 2000-01-01; the sequencer never goes backwards.  Strings
 * of *cmd point into req, role and the pipeline (valid until the next call).
 * 0, or -1 with *err set and nothing consumed.
 */
int pl_stamp(pipeline *pl, pgx_str role, const pgx_record *req, int64_t now_ts,
             pgx_record *cmd, pl_error *err);

/*
 * The sequencer's expiry of good-till-date orders: when the GTD order that
 * expires first is due at now_ts, stamps an expire_order command for it into
 * *cmd (journaled under role) and returns 1; 0 when none is due; -1 with
 * *err.  matchd calls it until it returns 0 and applies each command.
 */
int pl_stamp_expiry(pipeline *pl, pgx_str role, int64_t now_ts, pgx_record *cmd,
                    pl_error *err);

/*
 * Applies a stamped command record: appends it and its events to out and
 * fills *res (may be NULL).  0, or -1 with *err set when the record cannot be
 * applied or encoded (a corrupt journal or out of memory: fatal for matchd).
 */
int pl_apply(pipeline *pl, const pgx_record *cmd, batchbuf *out, pl_result *res,
             pl_error *err);

/*
 * Replays one journal batch (the bytes of exchange.read_batch): each command
 * record, which must continue at the last seq + 1, goes through pl_apply into
 * scratch, and the records produced must equal the journal's byte for byte.
 * Returns the commands replayed (*records counts their records), or
 * PL_REPLAY_MALFORMED / PL_REPLAY_DIVERGED with *err naming the seq.
 */
#define PL_REPLAY_MALFORMED (-1)
#define PL_REPLAY_DIVERGED  (-2)
int64_t pl_replay(pipeline *pl, const uint8_t *batch, size_t len, batchbuf *scratch,
                  int64_t *records, pl_error *err);

/* The core's state hash (books only), for logs and recovery checks. */
uint64_t pl_state_hash(const pipeline *pl);
/* The order manager's state hash (accounts, limits, wallets, holds, session). */
uint64_t pl_om_hash(const pipeline *pl);
/* The order manager, read-only (balances and invariants for tests and logs). */
const struct om *pl_om(const pipeline *pl);
int pl_market_open(const pipeline *pl);
/* The names of symbols and accounts (ids of the core and the order manager). */
const mj_registry *pl_names(const pipeline *pl);
/* Read-only views for market-data queries (mdquery.c). */
const mc_engine *pl_engine(const pipeline *pl);
const struct md *pl_md(const pipeline *pl);
/* Sequencer time of the last stamped command. */
int64_t pl_last_ts(const pipeline *pl);

/*
 * The wallet entries changed since the last call, as a PWL1 payload for the
 * journal batch that holds their commands (see exchange_wire.h).  *buf grows
 * as needed.  Returns the entries, or -1 when out of memory.
 */
int pl_flush_wallets(pipeline *pl, uint8_t **buf, size_t *cap, size_t *len);

/*
 * The scheduler's question: the schedule's latest boundary (an open when
 * is_open, else a close) is at boundary_ts; should matchd inject it now?
 * Yes when the market is in the other state and nothing (a manual open or
 * close, or this very boundary) changed the session since the boundary.
 */
int pl_schedule_due(const pipeline *pl, int64_t boundary_ts, int is_open);
/*
 * For snapshot.c: the pipeline's own state besides its parts (the sequencer's
 * position and the time of the last open or close), and write access to the
 * parts of a pipeline that a snapshot restores into.
 */
typedef struct pl_state
{
	int64_t last_seq;
	int64_t last_ts;
	int64_t session_ts;
	int32_t day;
} pl_state;
void pl_get_state(const pipeline *pl, pl_state *st);
void pl_set_state(pipeline *pl, const pl_state *st);
const pl_config *pl_get_config(const pipeline *pl);
mc_engine *pl_engine_rw(pipeline *pl);
struct om *pl_om_rw(pipeline *pl);
struct md *pl_md_rw(pipeline *pl);
mj_registry *pl_names_rw(pipeline *pl);

/* Resting orders in the book, all symbols. */
uint32_t pl_open_orders(const pipeline *pl);
/* Symbols and accounts known. */
uint32_t pl_symbols(const pipeline *pl);
uint32_t pl_accounts(const pipeline *pl);

#endif
