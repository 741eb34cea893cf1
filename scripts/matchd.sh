#!/usr/bin/env bash
# matchd beside a private cluster made by scripts/cluster.sh.
#
#   scripts/matchd.sh start  DIR [matchd flags...]  start (idempotent); waits until it serves
#   scripts/matchd.sh stop   DIR                    SIGTERM, wait for the clean exit
#   scripts/matchd.sh kill   DIR                    SIGKILL (crash drills)
#   scripts/matchd.sh signal DIR SIG                send SIG (STOP/CONT: zombie drills)
#   scripts/matchd.sh pid    DIR                    print the pid
#   scripts/matchd.sh status DIR
#   scripts/matchd.sh setup  DIR                    role matchd + exchange.matchd_socket only
#
# The daemon runs as the cluster's owner (user pgexchange under root), so that
# its socket (0600, in the cluster's private socket directory) is reachable by
# the server's backends and nobody else.  It logs to DIR/matchd.log.
# PGX_MATCHD_BIN picks another build (the sanitized one: daemon/build/asan/bin/matchd).
#
# Several matchd per stack (high availability): PGX_MATCHD_NODE=b names the
# node (--node b) and gives it its own pid file DIR/matchd-b.pid, log
# DIR/matchd-b.log and socket $PGHOST/matchd-b.sock; without it, today's names
# (and the host name as the node).  `start DIR --standby` waits for the pid
# file only: a standby opens its socket when it becomes the leader.  Only the
# default node points exchange.matchd_socket at its socket (setup).
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:?usage: matchd.sh start|stop|kill|status|setup DIR}
dir=$(cd "${2:?usage: matchd.sh start|stop|kill|status|setup DIR}" && pwd)
shift 2
# shellcheck disable=SC1091
. "$dir/env"
node=${PGX_MATCHD_NODE:-}
suffix=${node:+-$node}
pidfile=$dir/matchd$suffix.pid
log=$dir/matchd$suffix.log
# pg-ha (scripts/pg-ha.sh): its env file names matchd's socket and a multi-host conninfo
sock=${PGX_MATCHD_SOCKET:-$PGHOST/matchd.sock}
sock=${sock%.sock}$suffix.sock

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"

# pid, running, stop_daemon
# shellcheck disable=SC1091
. scripts/lib/daemon.sh

# The login role matchd journals with, and where the extension finds it.
setup() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" <<SQL
SET client_min_messages = warning;
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'matchd') THEN
		CREATE ROLE matchd LOGIN;
	END IF;
END \$\$;
GRANT exchange_engine TO matchd;
-- the library defines the setting; PostgreSQL 15 wants it known for ALTER SYSTEM
LOAD 'exchange';
$([ -z "$node" ] && echo "ALTER SYSTEM SET exchange.matchd_socket = '$sock';")
SELECT pg_reload_conf();
SQL
}

start() {
	local arg standby=
	for arg in "$@"; do [ "$arg" = --standby ] && standby=1; done
	if running; then
		echo "matchd$suffix is already running (pid $(pid))"
		return 0
	fi
	setup >/dev/null
	# a copy the server's user can execute whatever the checkout's permissions
	mkdir -p "$dir/bin"
	install -m 0755 "${PGX_MATCHD_BIN:-daemon/build/bin/matchd}" "$dir/bin/matchd"
	rm -f "$pidfile"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$dir/bin" && touch "$log" && chown pgexchange: "$log"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$dir"
	as_owner nohup "$dir/bin/matchd" --socket "$sock" \
		--conninfo "${PGX_MATCHD_CONNINFO:-host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=matchd}" \
		--pidfile "$pidfile" ${node:+--node "$node"} "$@" >>"$log" 2>&1 </dev/null &
	local child=$!
	for _ in $(seq 1 600); do
		if { [ -n "$standby" ] || [ -S "$sock" ]; } && [ -f "$pidfile" ]; then
			echo "matchd$suffix is running (pid $(pid), ${standby:+standby, }socket $sock)"
			return 0
		fi
		if ! kill -0 "$child" 2>/dev/null; then
			echo "matchd failed to start; last lines of $log:" >&2
			tail -5 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "matchd did not become ready within 60 s; see $log" >&2
	return 1
}

case $cmd in
start) start "$@" ;;
stop) stop_daemon matchd ;;
kill) kill_daemon ;;
signal)
	running && kill -"${1:?usage: matchd.sh signal DIR SIG}" "$(pid)"
	;;
pid)
	running && pid
	;;
status)
	if running; then echo "matchd$suffix is running (pid $(pid))"; else echo "matchd$suffix is not running"; exit 3; fi
	;;
setup) setup ;;
*)
	echo "usage: matchd.sh start|stop|kill|signal|pid|status|setup DIR" >&2
	exit 2
	;;
esac
