/*
 * lease.h - the leader's lease: acquire it (epoch + 1), renew it from a
 * heartbeat thread on its own connection, release it at a clean stop or a
 * switchover.
 *
 * Safety never rests on the lease: an acknowledgement leaves only after an
 * append carrying the current epoch committed (journal.c), and a new leader's
 * acquire_lease raises the epoch before it appends anything.  The lease adds
 * liveness (a standby knows when to take over) and the self-fence: the main
 * thread refuses requests (PX043) once lease-ms have passed on CLOCK_MONOTONIC
 * since the start of the last successful renewal, so a paused or cut-off
 * leader stops answering at the latest when its lease can expire in
 * PostgreSQL (the server's expiry is set after that start).
 */
#ifndef MJ_LEASE_H
#define MJ_LEASE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "ha.h"
#include "recovery.h"

#define LEASE_HELD        1 /* PX008: another node holds it (message names it) */
#define LEASE_UNSUPPORTED 2 /* the extension has no acquire_lease (before 1.6) */

/*
 * exchange.acquire_lease on conn: 0 with info's stream, epoch and target (the
 * last committed seq) set; LEASE_HELD; LEASE_UNSUPPORTED; -1 on any other
 * error.  message says why.
 */
int lease_acquire(PGconn *conn, const ha_config *cfg, recovery_info *info, char *message,
                  size_t size);

typedef struct lease lease;

/*
 * Starts the heartbeat thread: renew_lease every heartbeat_ms (the first at
 * once), then report_member as the leader.  granted_us (CLOCK_MONOTONIC, µs)
 * is when the acquire started: the lease counts from there.  A renewal
 * refused with PX001 (someone else leads now) exits the process with status 3
 * at once.  When renew_lease names a node to hand over to, wake_fd (an
 * eventfd) is written and lease_handover returns the name.  NULL when the
 * thread cannot start.
 */
lease *lease_start(const ha_config *cfg, int stream, int64_t epoch, uint64_t granted_us,
                   int wake_fd);
/* The self-fence: 1 while the last successful renewal started less than
 * lease_ms ago. */
int lease_valid(lease *l);
/* Waits (up to timeout_ms) until lease_valid: a leader whose recovery took
 * longer than the lease serves only after its first renewal.  Returns
 * lease_valid. */
int lease_wait_valid(lease *l, unsigned timeout_ms);
/* The node an operator asked to hand over to, or NULL. */
const char *lease_handover(lease *l);
/* The last committed seq, for the membership report. */
void lease_set_applied(lease *l, int64_t seq);
/* Stops the heartbeat; with release, ends the lease now (release_lease) so
 * that a standby takes over at once.  0, or -1 when it could not release. */
int lease_stop(lease *l, int release);

#endif
