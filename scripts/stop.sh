#!/usr/bin/env bash
# make stop: stop the local stack; the data in .exchange/ (or $PGX_HOME) is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${PGX_HOME:-$(pwd)/.exchange}
if [ ! -d "$home/data" ]; then
	echo "nothing to stop: no stack in $home"
	exit 0
fi
# the gateways first (the FIX one's message store writes what is queued), then
# matchd: it commits what is pending before the database goes away
[ -f "$home/env" ] && bash scripts/httpd.sh stop "$home" >/dev/null
[ -f "$home/env" ] && bash scripts/gatewayd.sh stop "$home" >/dev/null
[ -f "$home/env" ] && bash scripts/matchd.sh stop "$home" >/dev/null
bash scripts/cluster.sh stop "$home"
echo "pgexchange stopped (data kept in $home)."
