#!/usr/bin/env bash
# Chaos drill: backups and restores with pgBackRest (scripts/restore-drill.sh):
# a full and an incremental backup of a live exchange cluster, orders after
# them, a restore of the latest backup with the whole WAL archive replayed and a
# point-in-time restore, each into a new data directory on another port, and
# both equal to the source at their point (journal rows, last seq and gapless
# seqs per stream, the sequencer, journal_day_checksum, candles_day_checksum).
# Prints "CHAOS restore_drill_<what> <value> <unit>" and ends with
# "PASS restore_drill" or "FAIL restore_drill: why".  The drill removes its
# directory (a trap in scripts/restore-drill.sh) whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if bash scripts/restore-drill.sh 2>&1 | tee "$out"; then
	echo "PASS restore_drill"
else
	why=$(grep '^restore-drill: ' "$out" | tail -1 | sed 's/^restore-drill: //')
	echo "FAIL restore_drill: ${why:-scripts/restore-drill.sh failed (see above)}"
	exit 1
fi
