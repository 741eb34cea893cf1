/*
 * records.h - the matching core's commands and events as journal records.
 *
 * matchd journals every sequenced command (idx 0) and the events the core
 * produced for it (idx 1..n) as rows of exchange.journal, in the wire format of
 * include/exchange_wire.h.  On start it reads the journal back, turns the
 * command records into mc_commands for replay, and checks that the core's new
 * events turn into exactly the journaled records.  Both directions live here,
 * so that the translation is one function each way and the round trip
 * (struct -> record -> struct) is the identity, which test_records proves.
 *
 * The core speaks in integer symbol and account ids; the journal in names.
 * The caller supplies the mapping (mj_names).  Pure: no I/O, no allocation.
 */
#ifndef MJ_RECORDS_H
#define MJ_RECORDS_H

#include <stdint.h>

#include "commands.h"
#include "events.h"
#include "exchange_wire.h"

/* Id <-> name of symbols and accounts.  Names returned must stay valid while
 * the records that point at them are in use. */
typedef struct mj_names
{
	const char *(*symbol_name)(void *ctx, uint32_t id);
	const char *(*account_name)(void *ctx, uint32_t id);
	/* 0 and *id set when the name is known, -1 otherwise */
	int (*symbol_id)(void *ctx, const char *name, uint16_t len, uint32_t *id);
	int (*account_id)(void *ctx, const char *name, uint16_t len, uint32_t *id);
	void *ctx;
} mj_names;

/* Translation failures (never expected from well-formed input). */
enum mj_status
{
	MJ_OK = 0,
	MJ_UNKNOWN_KIND = -1,   /* a command/event/record kind with no counterpart */
	MJ_UNKNOWN_NAME = -2,   /* a symbol or account id/name the mapping lacks */
	MJ_UNKNOWN_REASON = -3, /* a reason code or text with no counterpart */
	MJ_BAD_FIELD = -4       /* a field out of range for the struct */
};

/* Building records: a record of kind with every field NULL / zero; a string
 * (NULL -> SQL NULL); a present integer field. */
void mj_record_init(pgx_record *r, uint8_t kind, uint64_t seq, int32_t idx, uint64_t ts,
                    int32_t day);
pgx_str mj_str(const char *s);
void mj_set_int(pgx_record *r, int field, int64_t v);

/* The journal's reason text of a core reason code ("unknown_symbol"), or NULL. */
const char *mj_reason_text(int reason);

/* Command -> its idx 0 record (strings point into c and the names). */
int mj_command_record(const mc_command *c, int32_t trading_day, const mj_names *names,
                      pgx_record *out);
/* Event -> its record (idx = ev->idx + 1: the command holds idx 0). */
int mj_event_record(const mc_event *ev, int32_t trading_day, const mj_names *names,
                    pgx_record *out);
/* A new order's options (1.8, 1.9), as its detail carries them. */
typedef struct mj_order_options
{
	int post_only;       /* never takes liquidity */
	int64_t expire_time; /* gtd: sequencer microseconds; 0: none */
	int64_t stop_price;  /* stop, stop_limit: ticks; 0: none */
} mj_order_options;

/*
 * A new order's options (post-only flag, GTD expire time, stop price) as
 * the detail that carries them in the journal (PGX_DETAIL_* in
 * exchange_wire.h), in buf; NULL when it has none.  The sequencer journals
 * the request's detail (with the role); this gives the same keys for
 * records built from commands.
 */
int mj_new_order_detail(const mc_command *c, char *buf, size_t cap, pgx_str *out);
/* Reads those options from a detail: MJ_OK (absent ones are 0/false) or
 * MJ_BAD_FIELD when a key has the wrong type or a negative value. */
int mj_new_order_options(pgx_str detail, mj_order_options *o);
/* Record (idx 0) -> the command to replay. */
int mj_record_command(const pgx_record *r, const mj_names *names, mc_command *out);
/* Record (idx > 0) -> the event it journals, to compare with a replay's. */
int mj_record_event(const pgx_record *r, const mj_names *names, mc_event *out);

#endif
