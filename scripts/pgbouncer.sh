#!/usr/bin/env bash
# PgBouncer in front of a private cluster made by scripts/cluster.sh.
#
#   scripts/pgbouncer.sh start  DIR   configure (first time) and start; idempotent
#   scripts/pgbouncer.sh stop   DIR   stop (SIGTERM, then SIGKILL after 30 s)
#   scripts/pgbouncer.sh status DIR
#   scripts/pgbouncer.sh reload DIR   re-read DIR/pgbouncer/pgbouncer.ini (SIGHUP)
#
# Transaction pooling (docs/operations.md, "PgBouncer"): a client holds a server
# connection only for the length of a transaction, so many clients share few
# backends.  Each (database, user) pair has its own pool: a server connection is
# logged in as the client's own role and is never handed to a client of another
# role, which is what keeps one broker from acting as another.
#
# It listens on a Unix socket in DIR/pgbouncer/run (PGX_BOUNCER_PORT names it,
# default 6432) and, with PGX_BOUNCER_TCP_PORT set, on 127.0.0.1 too with
# scram-sha-256 (the passwords are looked up in the database through
# pgbouncer.user_lookup(), a SECURITY DEFINER function the script installs).
# Local connections are trusted, as the cluster's own socket is.  It connects to
# PostgreSQL over the cluster's socket.  DIR/pgbouncer/env sets PGHOST/PGPORT for
# clients; the log is DIR/pgbouncer/pgbouncer.log.  Under root it runs as the
# cluster's OS user (pgexchange) with the file-descriptor limit raised.
#
# Sizes (environment, read when the configuration is first written):
#   PGX_BOUNCER_MAX_CLIENTS  max_client_conn      (default 12000)
#   PGX_BOUNCER_POOL         default_pool_size    (default 4 per database and role)
#   PGX_BOUNCER_MAX_DB       max_db_connections   (default 80 server connections)
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:?usage: pgbouncer.sh start|stop|status|reload DIR}
dir=$(cd "${2:?usage: pgbouncer.sh start|stop|status|reload DIR}" && pwd)
# shellcheck disable=SC1091
. "$dir/env"
bdir=$dir/pgbouncer
ini=$bdir/pgbouncer.ini
pidfile=$bdir/pgbouncer.pid
log=$bdir/pgbouncer.log
port=${PGX_BOUNCER_PORT:-6432}
run=$bdir/run
# Unix socket paths are limited to 107 bytes; fall back to a short private path.
if [ $((${#run} + 20)) -gt 100 ]; then
	run=/tmp/pgx-bouncer-$(printf '%s' "$dir" | md5sum | cut -c1-12)
fi
nofile=${PGX_BOUNCER_NOFILE:-65536}

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"

# pid, running, stop_daemon
# shellcheck disable=SC1091
. scripts/lib/daemon.sh

# The role pgbouncer looks passwords up with, and the function it calls: only
# login roles, never a superuser (a superuser connects to PostgreSQL directly).
setup_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgbouncer_auth') THEN
		CREATE ROLE pgbouncer_auth LOGIN;
	END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS pgbouncer AUTHORIZATION postgres;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer_auth;
CREATE OR REPLACE FUNCTION pgbouncer.user_lookup(p_user text, OUT usename text, OUT passwd text)
RETURNS record LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $f$ SELECT rolname::text, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END
	FROM pg_authid WHERE rolname = p_user AND rolcanlogin AND NOT rolsuper $f$;
REVOKE ALL ON FUNCTION pgbouncer.user_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.user_lookup(text) TO pgbouncer_auth;
COMMENT ON SCHEMA pgbouncer IS
	'PgBouncer''s auth_query lookup (scripts/pgbouncer.sh); usable by pgbouncer_auth only.';
COMMENT ON FUNCTION pgbouncer.user_lookup(text) IS
	'PgBouncer''s auth_query: the name and password hash of a login role that is not a superuser (NULL password once expired), so that PgBouncer authenticates brokers against PostgreSQL''s own roles without a second user list.';
SQL
}

configure() {
	mkdir -p "$bdir" "$run"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$bdir" "$run"
	chmod 700 "$run"
	[ -f "$ini" ] && return 0
	local listen=""
	[ -n "${PGX_BOUNCER_TCP_PORT:-}" ] && listen=127.0.0.1
	# local: trusted like the cluster's socket (whoever can reach the directory);
	# TCP: SCRAM against the role's password in pg_authid
	cat >"$bdir/hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 scram-sha-256
HBA
	# the auth user needs no password (trust on the cluster's socket); postgres
	# for the admin console (SHOW POOLS ...), trusted on the local socket only
	printf '"pgbouncer_auth" ""\n"postgres" ""\n' >"$bdir/userlist.txt"
	cat >"$ini" <<INI
; pgexchange: written by scripts/pgbouncer.sh (edit, then pgbouncer.sh reload)
[databases]
* = host=$PGHOST port=$PGPORT auth_user=pgbouncer_auth

[pgbouncer]
pool_mode = transaction
listen_addr = $listen
listen_port = ${PGX_BOUNCER_TCP_PORT:-$port}
unix_socket_dir = $run
unix_socket_mode = 0700
auth_type = hba
auth_hba_file = $bdir/hba.conf
auth_file = $bdir/userlist.txt
auth_query = SELECT usename, passwd FROM pgbouncer.user_lookup(\$1)
admin_users = postgres
stats_users = postgres
max_client_conn = ${PGX_BOUNCER_MAX_CLIENTS:-12000}
default_pool_size = ${PGX_BOUNCER_POOL:-4}
max_db_connections = ${PGX_BOUNCER_MAX_DB:-80}
reserve_pool_size = 0
; transaction mode resets nothing between clients (server_reset_query runs
; only in session mode): session state must not be used, see docs/operations.md
server_check_delay = 10
server_lifetime = 3600
server_idle_timeout = 600
query_wait_timeout = 120
listen_backlog = 4096
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
stats_period = 60
logfile = $log
pidfile = $pidfile
INI
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$ini" "$bdir/hba.conf" "$bdir/userlist.txt"
	return 0
}

write_env() {
	{
		echo "# source this file to connect through PgBouncer: . $bdir/env"
		echo "export PGHOST=$run"
		echo "export PGPORT=$port"
		echo "export PGDATABASE=$PGDATABASE"
		echo "export PGUSER=$PGUSER"
	} >"$bdir/env"
}

start() {
	if running; then
		echo "pgbouncer is already running (pid $(pid))"
		return 0
	fi
	command -v pgbouncer >/dev/null || bash scripts/deps.sh
	setup_sql
	configure
	rm -f "$pidfile"
	[ "$(id -u)" -eq 0 ] && touch "$log" && chown pgexchange: "$log"
	# one descriptor per client and per server connection, and some: root raises
	# the hard limit, the server's user its soft limit (runuser's PAM session
	# resets the soft one)
	ulimit -Hn "$nofile" 2>/dev/null || true
	as_owner bash -c 'ulimit -n "$(ulimit -Hn)"; exec pgbouncer -d -q "$1"' pgbouncer "$ini"
	for _ in $(seq 1 100); do
		if running && [ -S "$run/.s.PGSQL.$port" ]; then
			write_env
			echo "pgbouncer is running (pid $(pid), socket $run/.s.PGSQL.$port, transaction pooling)"
			return 0
		fi
		sleep 0.1
	done
	echo "pgbouncer did not start; last lines of $log:" >&2
	tail -5 "$log" >&2
	return 1
}

case $cmd in
start) start ;;
stop) stop_daemon pgbouncer ;;
reload) running && kill -HUP "$(pid)" ;;
status)
	if running; then echo "pgbouncer is running (pid $(pid))"; else echo "pgbouncer is not running"; exit 3; fi
	;;
*)
	echo "usage: pgbouncer.sh start|stop|status|reload DIR" >&2
	exit 2
	;;
esac
