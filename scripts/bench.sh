#!/usr/bin/env bash
# make bench: every benchmark in short mode (BENCH_MODE=long for the long one),
# each with its baseline in the same run.  Prints "BENCH <name> <value> <unit>".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
make -s >/dev/null
$SUDO make -s install >/dev/null
make -s bench-programs >/dev/null

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), mode ${BENCH_MODE:-short}"

# the matching core (no database)
if [ -f daemon/Makefile ]; then
	make -s -C daemon bench | grep '^BENCH'
fi

# the journal, against a throwaway cluster
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
trap 'bash scripts/cluster.sh destroy "$scratch" >/dev/null 2>&1 || true' EXIT
PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
# shellcheck disable=SC1091
. "$scratch/env"
psql -X -q -d postgres -c 'CREATE DATABASE exchange'
psql -X -q -c 'CREATE EXTENSION exchange'
build/bench/journal_append
