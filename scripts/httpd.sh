#!/usr/bin/env bash
# The REST daemon pgx-httpd (daemon/http/, docs/rest.md) beside a stack made by
# scripts/cluster.sh and scripts/matchd.sh.
#
#   scripts/httpd.sh start  DIR [pgx-httpd flags...]  start (idempotent); waits until it listens
#   scripts/httpd.sh stop   DIR                       SIGTERM, wait for the clean exit
#   scripts/httpd.sh kill   DIR                       SIGKILL
#   scripts/httpd.sh pid    DIR                       print the pid
#   scripts/httpd.sh status DIR
#   scripts/httpd.sh setup  DIR                       role pgx_httpd, logon database, pg_hba.conf only
#
# The port is $PGX_HTTP_PORT, else the one in DIR/env, else 8080; it is written
# to DIR/env.  The daemon logs in as pgx_httpd (a member of exchange_rest: it
# may SET ROLE only to the brokers exchange.rest_enable enabled) and checks
# Basic passwords against the database pgx_fix_logon (scram-sha-256, shared
# with the FIX gateway, scripts/lib/logon_db.sh).  Static files: $PGX_HTTP_STATIC
# or web/ of the checkout.  Logs to DIR/httpd.log.  PGX_HTTPD_BIN picks
# another build (the sanitized one: daemon/build/asan/bin/pgx-httpd).
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:?usage: httpd.sh start|stop|kill|pid|status|setup DIR}
dir=$(cd "${2:?usage: httpd.sh start|stop|kill|pid|status|setup DIR}" && pwd)
shift 2
# shellcheck disable=SC1091
. "$dir/env"
pidfile=$dir/httpd.pid
log=$dir/httpd.log
port=${PGX_HTTP_PORT:-8080}

# as_owner; pid, running, stop_daemon; logon_db_setup
# shellcheck disable=SC1091
. scripts/lib/owner.sh
# shellcheck disable=SC1091
. scripts/lib/daemon.sh
# shellcheck disable=SC1091
. scripts/lib/logon_db.sh

setup() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgx_httpd') THEN
		CREATE ROLE pgx_httpd LOGIN;
	END IF;
END $$;
GRANT exchange_rest TO pgx_httpd;
SQL
	logon_db_setup
	write_port
}

# cluster.sh rewrites DIR/env at every start: say the port again when it is missing
write_port() {
	grep -q '^export PGX_HTTP_PORT=' "$dir/env" ||
		echo "export PGX_HTTP_PORT=$port" >>"$dir/env"
}

start() {
	if running; then
		write_port
		echo "pgx-httpd is already running (pid $(pid), port $port)"
		return 0
	fi
	setup >/dev/null
	mkdir -p "$dir/bin"
	install -m 0755 "${PGX_HTTPD_BIN:-daemon/build/bin/pgx-httpd}" "$dir/bin/pgx-httpd"
	install -m 0644 docs/openapi.json "$dir/openapi.json"
	rm -f "$pidfile"
	if [ "$(id -u)" -eq 0 ]; then
		touch "$log" && chown pgexchange: "$log" "$dir/bin" "$dir"
	fi
	as_owner nohup "$dir/bin/pgx-httpd" --port "$port" \
		--conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=pgx_httpd" \
		--auth-conninfo "host=$PGHOST port=$PGPORT dbname=pgx_fix_logon" \
		--static-dir "${PGX_HTTP_STATIC:-$(pwd)/web}" --openapi "$dir/openapi.json" \
		--pidfile "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
	local child=$!
	for _ in $(seq 1 300); do
		if [ -f "$pidfile" ]; then
			echo "pgx-httpd is running (pid $(pid), http://127.0.0.1:$port/)"
			return 0
		fi
		if ! kill -0 "$child" 2>/dev/null; then
			echo "pgx-httpd failed to start; last lines of $log:" >&2
			tail -5 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "pgx-httpd did not become ready within 30 s; see $log" >&2
	return 1
}

stop() { stop_daemon pgx-httpd; }

case $cmd in
start) start "$@" ;;
stop) stop ;;
kill) kill_daemon ;;
pid) running && pid ;;
status)
	if running; then echo "pgx-httpd is running (pid $(pid), port $port)"; else echo "pgx-httpd is not running"; exit 3; fi
	;;
setup) setup ;;
*)
	echo "usage: httpd.sh start|stop|kill|pid|status|setup DIR" >&2
	exit 2
	;;
esac
