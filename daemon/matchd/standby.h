/*
 * standby.h - a hot standby: tails the stream into its pipeline until the
 * lease is open to it.
 *
 * The standby never writes: it LISTENs on exchange_journal (append_batch
 * notifies {stream, epoch, first_seq, last_seq} when a batch commits), reads
 * what committed with exchange.read_batch and replays it through pl_replay,
 * which verifies every record byte for byte - the same check as recovery, so
 * its books, wallets and limits are the leader's, proven.  Every poll_ms it
 * asks exchange.lease_open whether it may lead; every heartbeat_ms it reports
 * its position (exchange.report_member).  A lost connection is re-made with
 * back-off and LISTEN is issued again (a notification missed meanwhile costs
 * nothing: the next read_batch starts from the last applied seq).
 *
 * Lag (reported and logged):
 *   applied_seq     the last seq replayed;
 *   lag_events      the newest committed seq the standby knows of (the
 *                   notifications' last_seq, or what it read) minus applied_seq;
 *   apply_delay_ms  wall clock when the newest record was applied minus that
 *                   record's sequencer timestamp: how far behind the leader's
 *                   sequencer the standby's state was when it last moved (the
 *                   commit, the notification and the replay; clocks of the two
 *                   hosts must agree for it to be meaningful across machines).
 */
#ifndef MJ_STANDBY_H
#define MJ_STANDBY_H

#include <stdint.h>

#include "ha.h"
#include "pipeline.h"

enum standby_outcome
{
	STANDBY_PROMOTE = 1, /* the lease is open to this node: acquire it */
	STANDBY_STOP = 2,    /* SIGTERM / SIGINT */
	STANDBY_DIVERGED = 3 /* replay differs from the journal: exit 4 */
};

typedef struct standby_opts
{
	int signal_fd; /* a signalfd for SIGTERM/SIGINT */
	/* after handing the stream over: do not take it back before this
	 * (CLOCK_MONOTONIC µs) unless the epoch moved past hold_epoch */
	uint64_t hold_until_us;
	int64_t hold_epoch;
} standby_opts;

/*
 * Tails stream stream_id (0: it does not exist yet, then the lease is open at
 * once) into pl.  Returns an enum standby_outcome; *open_us is when the lease
 * was seen open (CLOCK_MONOTONIC).  message says why on STANDBY_DIVERGED.
 */
int standby_run(const ha_config *cfg, const standby_opts *opts, int stream_id,
                pipeline *pl, uint64_t *open_us, char *message, size_t size);

#endif
