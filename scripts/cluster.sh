#!/usr/bin/env bash
# A private PostgreSQL 15 cluster in one directory: data, socket, log and env file.
#
#   scripts/cluster.sh start  DIR   create (first time) and start; idempotent
#   scripts/cluster.sh stop   DIR   stop, keep the data
#   scripts/cluster.sh status DIR
#   scripts/cluster.sh destroy DIR  stop and remove the directory
#
# Unix socket only (in DIR/run) unless PGX_TCP_PORT is set, then it also listens on
# 127.0.0.1:$PGX_TCP_PORT with scram-sha-256 and a generated password kept in
# DIR/pgpass. PostgreSQL refuses to run as root, so when started by root the server
# runs as the unprivileged system user "pgexchange", created on first use.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop|status|destroy DIR}
dir=${2:?usage: cluster.sh start|stop|status|destroy DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bindir=$(pg_config --bindir)
data=$dir/data
run=$dir/run
log=$dir/postgresql.log
# the port names the socket file; the server listens on TCP only when PGX_TCP_PORT is set
port=${PGX_TCP_PORT:-${PGX_PORT:-5432}}
listen=${PGX_TCP_PORT:+127.0.0.1}

# Unix socket paths are limited to 107 bytes; fall back to a short private path.
if [ $(( ${#run} + 20 )) -gt 100 ]; then
	run=/tmp/pgx-$(printf '%s' "$dir" | md5sum | cut -c1-12)
fi

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id pgexchange >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin pgexchange
	# the server user must be able to reach the directory through its parents
	local p=$dir
	while [ "$p" != / ]; do
		chmod o+x "$p" 2>/dev/null || true
		p=$(dirname "$p")
	done
	chown pgexchange: "$dir"
}

write_env() {
	local user=postgres
	{
		echo "# source this file: . $dir/env"
		echo "export PGHOST=$run"
		echo "export PGPORT=$port"
		echo "export PGDATABASE=${PGX_DATABASE:-exchange}"
		echo "export PGUSER=$user"
		if [ -n "${PGX_TCP_PORT:-}" ]; then
			echo "# TCP: PGHOST=127.0.0.1 PGPORT=$PGX_TCP_PORT with PGPASSFILE below"
			echo "export PGPASSFILE=$dir/pgpass"
		fi
	} >"$dir/env"
}

is_running() {
	as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
	ensure_user
	mkdir -p "$run"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$run"
	chmod 700 "$run"
	if [ ! -f "$data/PG_VERSION" ]; then
		as_owner "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
			--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$data/postgresql.conf" <<CONF
# pgexchange private cluster
listen_addresses = ''
unix_socket_directories = '$run'
port = $port
max_connections = 200
shared_buffers = 256MB
wal_level = replica
max_wal_size = 4GB
log_line_prefix = '%m [%p] %q%u@%d '
max_prepared_transactions = 10
CONF
	fi
	if [ -n "${PGX_TCP_PORT:-}" ]; then
		if [ ! -f "$dir/pgpass" ]; then
			pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
			echo "127.0.0.1:$PGX_TCP_PORT:*:postgres:$pw" >"$dir/pgpass"
			chmod 600 "$dir/pgpass"
			echo "$pw" >"$dir/.pw"
		fi
	fi
	if ! is_running; then
		as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
			-o "-c unix_socket_directories=$run -c port=$port -c listen_addresses='$listen'" start >/dev/null ||
			{ tail -20 "$log" >&2; exit 1; }
	fi
	if [ -n "${PGX_TCP_PORT:-}" ] && [ -f "$dir/.pw" ]; then
		PGHOST=$run PGPORT=$port psql -X -q -U postgres -d postgres \
			-c "ALTER ROLE postgres PASSWORD '$(cat "$dir/.pw")'" && rm -f "$dir/.pw"
	fi
	write_env
}

stop() {
	if [ -f "$data/PG_VERSION" ] && is_running; then
		as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
	fi
}

case $cmd in
	start) start ;;
	stop) stop ;;
	status) is_running && echo "running: $data" || { echo "stopped: $data"; exit 3; } ;;
	destroy)
		# a matchd beside the cluster (scripts/matchd.sh) goes first
		if [ -f "$dir/matchd.pid" ]; then
			kill -KILL "$(cat "$dir/matchd.pid")" 2>/dev/null || true
		fi
		# a FIX gateway beside it (scripts/gatewayd.sh)
		if [ -f "$dir/gatewayd.pid" ]; then
			kill -KILL "$(cat "$dir/gatewayd.pid")" 2>/dev/null || true
		fi
		# a REST server beside it (scripts/httpd.sh)
		if [ -f "$dir/httpd.pid" ]; then
			kill -KILL "$(cat "$dir/httpd.pid")" 2>/dev/null || true
		fi
		# and a PgBouncer in front of it (scripts/pgbouncer.sh)
		if [ -f "$dir/pgbouncer/pgbouncer.pid" ]; then
			kill -KILL "$(cat "$dir/pgbouncer/pgbouncer.pid")" 2>/dev/null || true
		fi
		stop || true
		rm -rf "$dir"
		case $run in /tmp/pgx-*) rm -rf "$run" ;; esac
		;;
	*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
