/*
 * ha.h - what the leader's lease (lease.c) and the standby (standby.c) share:
 * the node's identity and timing, and libpq helpers that survive a
 * PostgreSQL restart or failover.
 *
 * The lease lives in PostgreSQL (exchange.acquire_lease / renew_lease /
 * release_lease / lease_open, extension 1.6): a lease names the node that
 * may lead a stream, its endpoint (matchd's socket) and the epoch it took
 * with it.  The epoch is the fencing token append_batch checks, so a lease
 * only decides who *tries* to lead; who can *write* is decided by the epoch.
 * See docs/high-availability.md.
 */
#ifndef MJ_HA_H
#define MJ_HA_H

#include <stdint.h>

#include <libpq-fe.h>

typedef struct ha_config
{
	const char *conninfo;
	const char *stream_name;
	const char *node;     /* --node: this matchd's name in the lease */
	const char *endpoint; /* --socket: where the extension finds the leader */
	uint32_t lease_ms;    /* --lease-ms */
	uint32_t heartbeat_ms;
	uint32_t poll_ms; /* standby: how often it asks whether the lease is open */
} ha_config;

uint64_t ha_mono_us(void);
/* Wall clock, microseconds since 2000-01-01 UTC (the journal's timestamps). */
int64_t ha_wall_ts(void);

/*
 * Connects (conninfo), retrying with back-off (50 ms doubling to 1 s) until
 * it works or *stop becomes non-zero (then NULL).  what names the connection
 * in the log.  A multi-host conninfo with target_session_attrs=read-write
 * finds the new primary after a failover.
 */
PGconn *ha_connect(const char *conninfo, const char *what, volatile int *stop);
/* Whether an error means the connection (or the server) went away. */
int ha_connection_lost(PGconn *conn, const PGresult *res);
/* The SQLSTATE of a result ("" when none). */
const char *ha_sqlstate(const PGresult *res);

#endif
