#!/usr/bin/env bash
# The FIX gateway (daemon/gateway/gatewayd.c) beside a stack made by
# scripts/cluster.sh and scripts/matchd.sh.
#
#   scripts/gatewayd.sh start  DIR [gatewayd flags...]  start (idempotent); waits until it listens
#   scripts/gatewayd.sh stop   DIR                      SIGTERM, wait for the clean exit
#   scripts/gatewayd.sh kill   DIR                      SIGKILL (restart drills)
#   scripts/gatewayd.sh pid    DIR                      print the pid
#   scripts/gatewayd.sh status DIR
#   scripts/gatewayd.sh setup  DIR                      roles, logon database, pg_hba.conf only
#
# The port is $PGX_FIX_PORT, else the one in DIR/env, else 9878; it is written to
# DIR/env.  Like matchd the gateway runs as the cluster's owner (user pgexchange
# under root): matchd's socket is 0600, only that user reaches it, and that is
# how matchd knows the gateway is trusted (docs/fix.md, "Authentication").
# It connects to PostgreSQL as the login role `gatewayd` (in exchange_engine).
# A Logon is checked by opening a connection as the broker role with its
# password to the database pgx_fix_logon, for which setup puts a scram-sha-256
# line at the top of pg_hba.conf (every other local connection stays trust).
# Logs to DIR/gatewayd.log.  PGX_GATEWAYD_BIN picks another build (the
# sanitized one: daemon/build/asan/bin/gatewayd).
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:?usage: gatewayd.sh start|stop|kill|pid|status|setup DIR}
dir=$(cd "${2:?usage: gatewayd.sh start|stop|kill|pid|status|setup DIR}" && pwd)
shift 2
# shellcheck disable=SC1091
. "$dir/env"
pidfile=$dir/gatewayd.pid
log=$dir/gatewayd.log
sock=${PGX_MATCHD_SOCKET:-$PGHOST/matchd.sock}
port=${PGX_FIX_PORT:-9878}

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"

# pid, running, stop_daemon; logon_db_setup
# shellcheck disable=SC1091
. scripts/lib/daemon.sh
# shellcheck disable=SC1091
. scripts/lib/logon_db.sh

setup() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatewayd') THEN
		CREATE ROLE gatewayd LOGIN;
	END IF;
END $$;
GRANT exchange_engine TO gatewayd;
SQL
	logon_db_setup
	write_port
}

# cluster.sh rewrites DIR/env at every start: say the port again when it is missing
write_port() {
	grep -q '^export PGX_FIX_PORT=' "$dir/env" ||
		echo "export PGX_FIX_PORT=$port" >>"$dir/env"
}

start() {
	if running; then
		write_port
		echo "gatewayd is already running (pid $(pid), port $port)"
		return 0
	fi
	setup >/dev/null
	mkdir -p "$dir/bin"
	install -m 0755 "${PGX_GATEWAYD_BIN:-daemon/build/bin/gatewayd}" "$dir/bin/gatewayd"
	rm -f "$pidfile"
	if [ "$(id -u)" -eq 0 ]; then
		touch "$log" && chown pgexchange: "$log" "$dir/bin" "$dir"
	fi
	as_owner nohup "$dir/bin/gatewayd" --port "$port" --matchd-socket "$sock" \
		--conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=gatewayd" \
		--auth-conninfo "host=$PGHOST port=$PGPORT dbname=pgx_fix_logon" \
		--pidfile "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
	local child=$!
	for _ in $(seq 1 300); do
		if [ -f "$pidfile" ]; then
			echo "gatewayd is running (pid $(pid), FIX on 127.0.0.1:$port)"
			return 0
		fi
		if ! kill -0 "$child" 2>/dev/null; then
			echo "gatewayd failed to start; last lines of $log:" >&2
			tail -5 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "gatewayd did not become ready within 30 s; see $log" >&2
	return 1
}

stop() { stop_daemon gatewayd; }

case $cmd in
start) start "$@" ;;
stop) stop ;;
kill) kill_daemon ;;
pid) running && pid ;;
status)
	if running; then echo "gatewayd is running (pid $(pid), port $port)"; else echo "gatewayd is not running"; exit 3; fi
	;;
setup) setup ;;
*)
	echo "usage: gatewayd.sh start|stop|kill|pid|status|setup DIR" >&2
	exit 2
	;;
esac
