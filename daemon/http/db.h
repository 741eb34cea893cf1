/*
 * db.h - the REST daemon's PostgreSQL connections.
 *
 * The daemon logs in as its own role (--conninfo: pgx_httpd, a member of
 * exchange_rest).  A broker's requests run on connections that did
 * SET ROLE <broker> once, after the broker's credentials were checked
 * (auth.c): one pool of idle connections per broker role, so every read and
 * every order runs as that role and row-level security is the one guard.
 * Anonymous requests (public market data) run on connections that kept the
 * daemon's own role (pool ""), which may read the book's top and levels,
 * candles and symbols only.  A role has at most --pool-max connections at
 * once: a burst of requests queues for them instead of exhausting
 * PostgreSQL's max_connections.  Thread-safe.
 */
#ifndef HTTPD_DB_H
#define HTTPD_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#define DB_ROLE_MAX 64

/*
 * max_idle_per_role: idle connections kept; max_open_per_role: connections a
 * role may have at once (a request beyond waits up to 5 s for one, then 503).
 */
void db_init(const char *conninfo, int max_idle_per_role, int max_open_per_role,
             int statement_timeout_ms);
void db_shutdown(void);

/*
 * A connection acting as role ("" = the daemon's own).  NULL on failure with
 * the SQLSTATE (5 chars + NUL; "08006" when PostgreSQL cannot be reached) and
 * a message.
 */
PGconn *db_take(const char *role, char sqlstate[6], char *msg, size_t size);
/* back to the pool of role (closed when broken or the pool is full) */
void db_give(const char *role, PGconn *c);
/* a fresh connection as the daemon's own role, not pooled (the stream listener) */
PGconn *db_connect_plain(char *msg, size_t size);

/* counts for the log */
void db_stats(unsigned long *opened, unsigned long *reused);

#endif
