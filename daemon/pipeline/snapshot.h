/*
 * snapshot.h - matchd's whole state after a seq, as one self-checking blob.
 *
 * Recovery normally replays the journal from seq 1.  Once closed trading days
 * are archived and dropped that is impossible, so after each accepted
 * market_close matchd saves its state (exchange.save_snapshot) and recovery
 * loads the latest one and replays only what follows.
 *
 * Format (little-endian, core/serial.h):
 *
 *   "PGXSNAP\0"            8 bytes magic
 *   u32 version            SNAP_VERSION (3); version 1 (before client order
 *                          ids: its OMGR section has format 1) still loads,
 *                          with an empty set - exact, because a snapshot is
 *                          taken right after the close that empties it;
 *                          versions 1 and 2 have BOOK format 1 (before
 *                          post-only, GTD and stops), 3 has BOOK format 2;
 *                          anything else is refused
 *   u32 sections           4
 *   per section: 4-byte tag, u64 length    (the section table)
 *   the sections, in table order:
 *     "PIPE"  the capacities it was taken with (--max-*), the sequencer's
 *             position (last seq, last ts, trading day), the last open/close
 *     "NAME"  symbol and account names in id order
 *     "BOOK"  the core's books (mc_engine_save)
 *     "OMGR"  the order manager (om_save)
 *   SHA-256 of everything above (32 bytes)
 *
 * The bytes are a function of the state alone: full replay, live processing
 * and loading an earlier snapshot and replaying reach equal bytes after the
 * same seq (test_snapshot).  Left out, and empty after a load: the market-data
 * rings (recent trades and candles, mdata.c) and the wallet entries waiting
 * for the projection (already in the journal batch that changed them).
 *
 * Pure (no I/O); snap_save allocates the blob, snap_load a new pipeline.
 */
#ifndef MJ_SNAPSHOT_H
#define MJ_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

#define SNAP_MAGIC   "PGXSNAP"
#define SNAP_VERSION 3

/* The state of pl as a new malloc'ed blob (*buf, *len); 0, or -1 when out
 * of memory. */
int snap_save(const pipeline *pl, uint8_t **buf, size_t *len);
/* snap_save in an older version (to compare with a snapshot saved in it);
 * -1 also when the state does not fit that version. */
int snap_save_as(const pipeline *pl, uint32_t version, uint8_t **buf, size_t *len);
/* The version a blob says it has (0: not a snapshot). */
uint32_t snap_version(const uint8_t *buf, size_t len);

/*
 * A new pipeline of capacities cfg holding the state in buf, after checking
 * the magic, the version, the section table, the SHA-256 trailer and every
 * value.  NULL with why set when anything is wrong: nothing half-loaded is
 * ever returned.  The capacities that shape the state (--max-orders and
 * --max-levels, which set every symbol's limits) must equal the snapshot's;
 * the others must hold what it holds.
 */
pipeline *snap_load(const pl_config *cfg, const uint8_t *buf, size_t len, char *why,
                    size_t size);

#endif
