/*
 * gwdb.h - gatewayd's PostgreSQL side: the reference data it checks orders
 * against, the FIX sessions table, the write-behind store of sequence
 * numbers and outgoing messages, and the Logon check.
 *
 * Nothing here is on the order path: orders go to matchd over its socket.
 * Two threads talk to PostgreSQL so the event loop never waits for it:
 *   - the writer (one connection as the gateway's role): every
 *     GWDB_WRITE_MS it writes what the loop queued (next sequence numbers,
 *     outgoing application messages) in one transaction and one call of
 *     exchange.fix_store_many() (a block of messages per session,
 *     asynchronous commit), and every GWDB_RELOAD_MS it reads the sessions,
 *     symbols and accounts again;
 *   - the authenticator: a Logon's Username/Password are checked by opening
 *     a libpq connection as that role with that password (to the database
 *     of --auth-conninfo, where pg_hba.conf asks for scram-sha-256), so
 *     PostgreSQL is the only user store.
 * Results come back to the loop through an eventfd each (gwdb_*_fd).
 */
#ifndef GW_GWDB_H
#define GW_GWDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixorder.h"
#include "fixsession.h"

#define GWDB_RELOAD_MS 2000
#define GWDB_WRITE_MS  10
/*
 * While the gateway runs, the next outgoing MsgSeqNum it stores is this much
 * ahead of the real one; the last write of a clean stop stores the real one.
 * So after a crash (the last writes lost: the write-behind, or PostgreSQL's
 * asynchronous commit) the gateway starts above every number it may have
 * sent - never "MsgSeqNum too low" at the counterparty - and a
 * ResendRequest for the numbers it skipped gets a SequenceReset-GapFill.
 * A crash loses a number only if more than this many messages of one session
 * went out between two writes that committed.
 */
#define GWDB_SEQ_RESERVE 10000
#define GWDB_NAME_MAX    64

typedef struct gw_session_row
{
	char sender[FIX_COMPID_MAX + 1];
	char target[FIX_COMPID_MAX + 1];
	char broker[GWDB_NAME_MAX];
	bool cancel_on_disconnect;
	bool enabled;
	int64_t next_in, next_out;
} gw_session_row;

typedef struct gw_symbol_row
{
	char symbol[FIXO_SYMBOL_MAX + 1];
	fixo_tick tick;
	int64_t lot;
} gw_symbol_row;

/* account usable by a session: its broker role is a member of the account's broker */
typedef struct gw_account_row
{
	char sender[FIX_COMPID_MAX + 1];
	char account[FIXO_ACCOUNT_MAX + 1];
} gw_account_row;

typedef struct gw_refdata
{
	gw_session_row *sessions;
	uint32_t nsessions;
	gw_symbol_row *symbols;
	uint32_t nsymbols;
	gw_account_row *accounts;
	uint32_t naccounts;
	int stream;
} gw_refdata;

void gwdb_refdata_free(gw_refdata *r);

/* Blocking loads, for the start (conninfo: the gateway's own role). */
int gwdb_load_refdata(const char *conninfo, gw_refdata *out, char *msg, size_t size);

/* An outgoing message kept for resends (gwdb_load_messages). */
typedef void (*gwdb_msg_fn)(void *ctx, const char *sender, const char *target,
                            int64_t seq, const char *bytes, size_t len);
int gwdb_load_messages(const char *conninfo, gwdb_msg_fn fn, void *ctx, char *msg,
                       size_t size);

/* An order a session entered that is still open (exchange.fix_open_orders). */
typedef struct gw_open_order
{
	char sender[FIX_COMPID_MAX + 1];
	int64_t order_id;
	char clordid[FIXO_CLORDID_MAX + 1];
	char account[FIXO_ACCOUNT_MAX + 1];
	char symbol[FIXO_SYMBOL_MAX + 1];
	uint8_t side, order_type, tif;
	bool has_price;
	int64_t price, quantity, filled, remaining, px_qty;
	/* the new order's options (its journaled detail) and whether a stop
	 * still waits (no triggered record yet) */
	int64_t stop_price; /* ticks, 0: none */
	bool post_only, waiting;
	int64_t expire_us; /* us since 1970, 0: none */
} gw_open_order;
typedef void (*gwdb_order_fn)(void *ctx, const gw_open_order *o);
/* *as_of: the last journal seq the answer reflects. */
int gwdb_load_open_orders(const char *conninfo, gwdb_order_fn fn, void *ctx,
                          int64_t *as_of, char *msg, size_t size);

/* ---- the writer thread ---------------------------------------------------- */
int gwdb_writer_start(const char *conninfo, char *msg, size_t size);
/* Drains what is queued and stops. */
void gwdb_writer_stop(void);
/* A session's next numbers; exact: stored as they are (a clean stop's last
 * write), else next_out is stored GWDB_SEQ_RESERVE ahead. */
void gwdb_save_seqs(const char *sender, const char *target, int64_t next_in,
                    int64_t next_out, bool exact);
void gwdb_save_msg(const char *sender, const char *target, int64_t seq, const char *bytes,
                   size_t len);
/* readable when new reference data waits */
int gwdb_refdata_fd(void);
/* The newest reference data (the caller frees it), or false. */
bool gwdb_refdata_take(gw_refdata *out);
/* what the writer did: transactions, messages, failures */
void gwdb_writer_stats(uint64_t *txns, uint64_t *msgs, uint64_t *failures);

/* ---- the authenticator thread --------------------------------------------- */
int gwauth_start(const char *auth_conninfo, char *msg, size_t size);
void gwauth_stop(void);
/* Queues a check; false when the queue is full (the caller refuses the Logon). */
bool gwauth_submit(uint64_t token, const char *user, size_t ulen, const char *password,
                   size_t plen);
int gwauth_fd(void);
/* One verdict, or false when none waits. */
bool gwauth_take(uint64_t *token, bool *ok, char *why, size_t size);

#endif
