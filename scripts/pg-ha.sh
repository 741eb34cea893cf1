#!/usr/bin/env bash
# PostgreSQL high availability for a local drill: a pg_auto_failover monitor and
# two data nodes (a primary and a synchronous standby) on this machine, each in
# DIR/<name>, managed by pg_autoctl from Debian's packages (docs/postgres-ha.md).
#
#   scripts/pg-ha.sh start   DIR   create (first time) and start everything; idempotent
#   scripts/pg-ha.sh status  DIR   the monitor's view and the primary's replication
#   scripts/pg-ha.sh primary DIR   name of the node that is primary now (exit 3 if none)
#   scripts/pg-ha.sh wait    DIR [SECONDS]   until one primary and every standby is in sync
#   scripts/pg-ha.sh psql    DIR NODE [psql args]   psql to that node's database exchange
#   scripts/pg-ha.sh failover DIR  planned: pg_autoctl perform failover (switchover)
#   scripts/pg-ha.sh kill-primary DIR [--postgres-only]
#                                  drill: SIGKILL the primary node (its pg_autoctl keeper,
#                                  its postmaster and every backend), as if the machine died;
#                                  --postgres-only kills just the postmaster and its children
#                                  (the keeper then restarts PostgreSQL in place: no failover);
#                                  prints the node's name and the time of the kill (ms since 1970)
#   scripts/pg-ha.sh stop    DIR   stop every pg_autoctl service (and so PostgreSQL); keep data
#   scripts/pg-ha.sh destroy DIR   stop and remove DIR
#
# Layout: DIR/monitor, DIR/node1, DIR/node2, each with data/ (PGDATA), run/ (the
# Unix socket, mode 0700), config/ share/ rt/ (pg_autoctl's XDG directories, so that
# nothing lands in a home directory or /tmp) and pg_autoctl.log.  DIR/run holds
# matchd's socket (exchange.matchd_socket of every node).  DIR/env is for sourcing:
# PGHOST/PGPORT list both nodes with PGTARGETSESSIONATTRS=read-write, so libpq
# connects to whichever is primary; PGX_CONNINFO is the same as one string, and
# PGX_MATCHD_SOCKET / PGX_MATCHD_CONNINFO are read by scripts/matchd.sh.
#
# TCP on 127.0.0.1 only (the monitor's health checks and replication need it),
# ports PGX_HA_PORT (monitor), +1, +2 (nodes); default: a free base derived
# from DIR.  Authentication: trust on the private sockets, and on 127.0.0.1
# only for pg_auto_failover's own roles (autoctl_node, pgautofailover_monitor,
# pgautofailover_replicator) and postgres on database exchange; no TLS.  That is
# a drill on one machine; production changes are in docs/postgres-ha.md.
#
# Replication is synchronous: the primary's synchronous_standby_names names the
# standby and synchronous_commit is on, so a commit returns only once the standby
# has flushed it.  PGX_HA_NODES=3 adds a second standby and sets
# number-sync-standbys 1 (with two nodes pg_auto_failover allows only 0, which
# still waits for the one standby while it is healthy; see the doc).
#
# Failover timings are shortened for drills (monitor GUCs pgautofailover.*,
# keeper timeouts); PGX_HA_PRODUCTION_TIMEOUTS=1 keeps pg_auto_failover's defaults.
# As root, everything runs as the system user pgexchange (as scripts/cluster.sh).
set -euo pipefail

usage() {
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
cmd=${1:-}
if [ -z "$cmd" ] || [ -z "${2:-}" ]; then usage; fi
if [ "$cmd" = start ]; then
	mkdir -p "$2"
elif [ ! -d "$2" ]; then
	[ "$cmd" = destroy ] && exit 0
	echo "pg-ha: no formation in $2" >&2
	exit 3
fi
dir=$(cd "$2" && pwd)
shift 2

bindir=$(pg_config --bindir)
# the number of data nodes is chosen at creation and kept in DIR/ports
if [ -s "$dir/ports" ]; then
	nodes=$(grep -c '^node' "$dir/ports")
else
	nodes=${PGX_HA_NODES:-2}
fi
case $nodes in 2 | 3) ;; *) echo "pg-ha: PGX_HA_NODES must be 2 or 3" >&2; exit 2 ;; esac
names=(monitor)
for i in $(seq 1 "$nodes"); do names+=("node$i"); done

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id pgexchange >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin pgexchange
	local p=$dir
	while [ "$p" != / ]; do
		chmod o+x "$p" 2>/dev/null || true
		p=$(dirname "$p")
	done
	chown pgexchange: "$dir"
}

# the socket directory of a node (short private fallback when DIR is too deep)
sockdir() {
	local d=$dir/$1/run
	if [ $(( ${#d} + 20 )) -gt 100 ]; then
		d=/tmp/pgx-ha-$(printf '%s' "$dir" | md5sum | cut -c1-10)-$1
	fi
	echo "$d"
}
matchd_dir() {
	local d=$dir/run
	if [ $(( ${#d} + 20 )) -gt 100 ]; then
		d=/tmp/pgx-ha-$(printf '%s' "$dir" | md5sum | cut -c1-10)-matchd
	fi
	echo "$d"
}

# ports: monitor, node1, node2[, node3]; chosen once and kept in DIR/ports
port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
ports() {
	if [ ! -s "$dir/ports" ]; then
		local base=${PGX_HA_PORT:-} k ok
		if [ -z "$base" ]; then
			base=$((20000 + 0x$(printf '%s' "$dir" | md5sum | cut -c1-4) % 20000 / 4 * 4))
			for _ in $(seq 1 50); do
				ok=1
				for k in $(seq 0 "$nodes"); do port_free $((base + k)) || ok=0; done
				[ $ok = 1 ] && break
				base=$((base + 4))
			done
		fi
		for k in $(seq 0 "$nodes"); do echo "${names[$k]} $((base + k))"; done >"$dir/ports"
	fi
	cat "$dir/ports"
}
port_of() { ports | awk -v n="$1" '$1 == n {print $2}'; }

# pg_autoctl for node NAME, in a clean environment (a sourced DIR/env or the
# caller's PG* variables must not leak into pg_auto_failover's own connections)
autoctl() {
	local name=$1
	shift
	as_owner env -i PATH="$bindir:/usr/bin:/bin:/usr/sbin:/sbin" LANG=C.UTF-8 \
		HOME="$dir/$name" XDG_CONFIG_HOME="$dir/$name/config" XDG_DATA_HOME="$dir/$name/share" \
		XDG_RUNTIME_DIR="$dir/$name/rt" PG_REGRESS_SOCK_DIR="$(sockdir "$name")" \
		PGHOST="$(sockdir "$name")" PGPORT="$(port_of "$name")" PGUSER=postgres \
		pg_autoctl "$@"
}

# psql to NAME's PostgreSQL as postgres over its socket
nsql() {
	local name=$1
	shift
	env -u PGTARGETSESSIONATTRS -u PGSERVICE psql -X -Atq -h "$(sockdir "$name")" \
		-p "$(port_of "$name")" -U postgres "$@"
}
msql() { nsql monitor -d pg_auto_failover -v ON_ERROR_STOP=1 -c "$1"; }

pidfile() { echo "$dir/$1/rt/pg_autoctl$dir/$1/data/pg_autoctl.pid"; }
keeper_pid() {
	local f p
	f=$(pidfile "$1")
	[ -f "$f" ] || return 1
	p=$(head -1 "$f")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}
postmaster_pid() {
	local f=$dir/$1/data/postmaster.pid p
	[ -f "$f" ] || return 1
	p=$(head -1 "$f")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

prepare_dirs() {
	local name=$1 d
	for d in "$dir/$name" "$dir/$name/config" "$dir/$name/share" "$dir/$name/rt" "$(sockdir "$name")"; do
		mkdir -p "$d"
		[ "$(id -u)" -eq 0 ] && chown pgexchange: "$d"
	done
	chmod 700 "$dir/$name/rt" "$(sockdir "$name")"
	touch "$dir/$name/pg_autoctl.log"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$dir/$name/pg_autoctl.log"
	return 0
}

# initdb with our own pg_hba.conf (local trust only; pg_autoctl appends its
# 127.0.0.1 rules for its roles) and our settings after pg_auto_failover's
# include, so that they win over its "basic tuning" (6 GB of shared_buffers
# on this machine, per instance)
initdb_node() {
	local name=$1
	if [ -f "$dir/$name/data/PG_VERSION" ]; then
		cat >/dev/null
		return 0
	fi
	as_owner "$bindir/initdb" -D "$dir/$name/data" -U postgres --auth-local=trust \
		--auth-host=reject -E UTF8 --locale=C.UTF-8 >"$dir/$name/initdb.log" 2>&1 ||
		{ cat "$dir/$name/initdb.log" >&2; exit 1; }
	# pg_autoctl opens 127.0.0.1 to its replicator for --dbname only, but runs
	# pg_rewind (which rejoins a failed primary) against database postgres
	printf '%s\n' 'local all all trust' 'local replication all trust' \
		'host postgres pgautofailover_replicator 127.0.0.1/32 trust' |
		as_owner tee "$dir/$name/data/pg_hba.conf" >/dev/null
	{
		echo "# pgexchange (scripts/pg-ha.sh)"
		cat
	} | as_owner tee -a "$dir/$name/data/postgresql.conf" >/dev/null
}

monitor_settings() {
	if [ -n "${PGX_HA_PRODUCTION_TIMEOUTS:-}" ]; then
		return 0
	fi
	# drill timings: a dead primary is noticed within ~2 s, and the monitor waits
	# 4 s (more than the keepers' network_partition_timeout of 3 s, after which an
	# isolated primary demotes itself) before it promotes the standby
	printf '%s\n' \
		"pgautofailover.health_check_period = 1000" \
		"pgautofailover.health_check_timeout = 1000" \
		"pgautofailover.health_check_max_retries = 1" \
		"pgautofailover.health_check_retry_delay = 500" \
		"pgautofailover.node_considered_unhealthy_timeout = 2000" \
		"pgautofailover.primary_demote_timeout = 4000"
}

launch() {
	local name=$1
	keeper_pid "$name" >/dev/null && return 0
	# setsid: its own session, away from the caller's terminal and signals
	as_owner env -i PATH="$bindir:/usr/bin:/bin:/usr/sbin:/sbin" LANG=C.UTF-8 \
		HOME="$dir/$name" XDG_CONFIG_HOME="$dir/$name/config" XDG_DATA_HOME="$dir/$name/share" \
		XDG_RUNTIME_DIR="$dir/$name/rt" PG_REGRESS_SOCK_DIR="$(sockdir "$name")" \
		PGHOST="$(sockdir "$name")" PGPORT="$(port_of "$name")" PGUSER=postgres \
		setsid pg_autoctl run --pgdata "$dir/$name/data" >>"$dir/$name/pg_autoctl.log" 2>&1 </dev/null &
	for _ in $(seq 1 300); do
		keeper_pid "$name" >/dev/null && return 0
		sleep 0.1
	done
	echo "pg-ha: pg_autoctl for $name did not start; see $dir/$name/pg_autoctl.log" >&2
	tail -20 "$dir/$name/pg_autoctl.log" >&2
	exit 1
}

start_monitor() {
	prepare_dirs monitor
	if [ ! -f "$dir/monitor/created" ]; then
		printf '%s\n' "shared_buffers = 32MB" "max_connections = 50" "$(monitor_settings)" |
			initdb_node monitor
		autoctl monitor create monitor --pgctl "$bindir/pg_ctl" --pgdata "$dir/monitor/data" \
			--pgport "$(port_of monitor)" --hostname 127.0.0.1 --listen 127.0.0.1 \
			--auth trust --no-ssl --ssl-mode disable >>"$dir/monitor/pg_autoctl.log" 2>&1 ||
			{ tail -20 "$dir/monitor/pg_autoctl.log" >&2; exit 1; }
		touch "$dir/monitor/created"
	fi
	launch monitor
	wait_sql monitor pg_auto_failover
}

monitor_uri() { echo "postgres://autoctl_node@127.0.0.1:$(port_of monitor)/pg_auto_failover?sslmode=disable"; }

wait_sql() {
	for _ in $(seq 1 300); do
		nsql "$1" -d "$2" -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "pg-ha: $1 does not answer; see $dir/$1/pg_autoctl.log" >&2
	tail -20 "$dir/$1/pg_autoctl.log" >&2
	exit 1
}

start_node() {
	local name=$1 first=$2
	prepare_dirs "$name"
	if [ ! -f "$dir/$name/created" ]; then
		if [ "$first" = 1 ]; then
			# the first node starts as the primary, from our own initdb; the others
			# are copies of it (pg_basebackup), settings included
			printf '%s\n' "max_connections = 200" "shared_buffers = 256MB" \
				"wal_level = replica" "max_wal_size = 4GB" "max_prepared_transactions = 10" \
				"log_line_prefix = '%m [%p] %q%u@%d '" \
				"archive_mode = on" "archive_command = '/bin/true'  # scripts/backup.sh setup sets pgBackRest's" \
				"exchange.matchd_socket = '$(matchd_dir)/matchd.sock'" | initdb_node "$name"
		fi
		# a failed earlier attempt is continued by pg_autoctl itself
		autoctl "$name" create postgres --pgctl "$bindir/pg_ctl" --pgdata "$dir/$name/data" \
			--pgport "$(port_of "$name")" --listen 127.0.0.1 --hostname 127.0.0.1 \
			--username postgres --dbname exchange --name "$name" --monitor "$(monitor_uri)" \
			--auth trust --no-ssl --ssl-mode disable --replication-quorum true \
			>>"$dir/$name/pg_autoctl.log" 2>&1 ||
			{ tail -30 "$dir/$name/pg_autoctl.log" >&2; exit 1; }
		if [ -z "${PGX_HA_PRODUCTION_TIMEOUTS:-}" ]; then
			autoctl "$name" config set --pgdata "$dir/$name/data" \
				timeout.network_partition_timeout 3 >/dev/null
		fi
		touch "$dir/$name/created"
	fi
	launch "$name"
}

# the node the monitor has as primary (goal and reported state agree)
primary() {
	msql "SELECT nodename FROM pgautofailover.node
	       WHERE reportedstate IN ('single', 'primary', 'wait_primary')
	         AND goalstate = reportedstate ORDER BY nodeid LIMIT 1" 2>/dev/null
}

# ready: one primary, every other node a secondary, and the primary's
# synchronous_standby_names set
wait_ready() {
	local limit=${1:-120} p n sync
	for _ in $(seq 1 $((limit * 5))); do
		n=$(msql "SELECT count(*) FROM pgautofailover.node
		           WHERE reportedstate = 'secondary' AND goalstate = 'secondary'" 2>/dev/null || echo 0)
		p=$(primary || true)
		if [ -n "$p" ] && [ "$n" = $((nodes - 1)) ]; then
			sync=$(nsql "$p" -d postgres -c 'SHOW synchronous_standby_names' 2>/dev/null || true)
			[ -n "$sync" ] && return 0
		fi
		sleep 0.2
	done
	echo "pg-ha: the formation is not ready after ${limit} s:" >&2
	autoctl monitor show state --pgdata "$dir/monitor/data" >&2 || true
	return 1
}

write_env() {
	local hosts="" portlist="" i
	for i in $(seq 1 "$nodes"); do
		hosts+="${hosts:+,}$(sockdir "node$i")"
		portlist+="${portlist:+,}$(port_of "node$i")"
	done
	{
		echo "# source this file: . $dir/env   (scripts/pg-ha.sh: libpq finds the primary)"
		echo "export PGHOST=$hosts"
		echo "export PGPORT=$portlist"
		echo "export PGDATABASE=exchange"
		echo "export PGUSER=postgres"
		echo "export PGTARGETSESSIONATTRS=read-write"
		echo "export PGX_CONNINFO='host=$hosts port=$portlist dbname=exchange target_session_attrs=read-write'"
		echo "export PGX_HA_MONITOR='$(monitor_uri)'"
		echo "# read by scripts/matchd.sh"
		echo "export PGX_MATCHD_SOCKET=$(matchd_dir)/matchd.sock"
		echo "export PGX_MATCHD_CONNINFO='host=$hosts port=$portlist dbname=exchange user=matchd target_session_attrs=read-write'"
	} >"$dir/env"
}

start() {
	command -v pg_autoctl >/dev/null ||
		{ echo "pg-ha: pg_autoctl is missing (scripts/deps.sh installs it)" >&2; exit 1; }
	ensure_user
	ports >/dev/null
	local m
	m=$(matchd_dir)
	mkdir -p "$m"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$m"
	chmod 700 "$m"
	local i p
	# a restart: PostgreSQL of every node first (as pg_autoctl would start it),
	# then the monitor, then the keepers.  A keeper does not start without its
	# monitor, and a keeper that reports "PostgreSQL not running" makes the
	# monitor fail over from that primary at once (no grace period applies).
	if [ -f "$dir/monitor/created" ] && ! keeper_pid monitor >/dev/null; then
		for i in $(seq 1 "$nodes"); do
			if [ ! -f "$dir/node$i/created" ] || postmaster_pid "node$i" >/dev/null; then continue; fi
			as_owner "$bindir/pg_ctl" -D "$dir/node$i/data" -l "$dir/node$i/data/startup.log" -w -t 120 \
				-o "-p $(port_of "node$i") -h 127.0.0.1 -k $(sockdir "node$i")" start >/dev/null ||
				{ echo "pg-ha: PostgreSQL of node$i does not start" >&2; exit 1; }
		done
	fi
	start_monitor
	# a node coming back to a running formation rejoins by pg_rewind, or else by
	# pg_basebackup, which waits for a spread checkpoint of the primary (minutes
	# after a busy while): a checkpoint now leaves that one little to write
	p=$(primary || true)
	for i in $(seq 1 "$nodes"); do
		if [ -n "$p" ] && [ -f "$dir/node$i/created" ] && ! keeper_pid "node$i" >/dev/null; then
			nsql "$p" -d postgres -c CHECKPOINT >/dev/null 2>&1 || true
			break
		fi
	done
	for i in $(seq 1 "$nodes"); do
		start_node "node$i" "$i"
		# the next node clones a primary that its keeper has made ready
		if [ "$i" = 1 ] && [ ! -f "$dir/node2/created" ]; then
			for _ in $(seq 1 300); do
				[ -n "$(primary || true)" ] && break
				sleep 0.2
			done
		fi
	done
	wait_ready 180
	if [ "$nodes" -ge 3 ]; then
		[ "$(msql "SELECT number_sync_standbys FROM pgautofailover.formation WHERE formationid = 'default'")" = 1 ] ||
			autoctl node1 set formation number-sync-standbys 1 --pgdata "$dir/node1/data" >/dev/null
		wait_ready 60
	fi
	p=$(primary)
	# one archive_command on every node (scripts/backup.sh sets it; a node that was
	# down then, or came back by pg_rewind, may hold another): whichever node is
	# promoted next must archive into the same repository
	local ac n
	ac=$(nsql "$p" -d postgres -c 'SHOW archive_command')
	for n in "${names[@]:1}"; do
		[ "$n" = "$p" ] && continue
		if [ "$(nsql "$n" -d postgres -c 'SHOW archive_command')" != "$ac" ]; then
			nsql "$n" -d postgres -c "ALTER SYSTEM SET archive_command = '${ac//\'/\'\'}'" \
				-c 'SELECT pg_reload_conf()' >/dev/null
		fi
	done
	nsql "$p" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'exchange'" | grep -q 1 ||
		nsql "$p" -d postgres -c "CREATE DATABASE exchange"
	# shellcheck disable=SC2016
	nsql "$p" -d exchange -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION IF NOT EXISTS exchange${PGX_EXTENSION_VERSION:+ VERSION '$PGX_EXTENSION_VERSION'}"
	write_env
}

status() {
	[ -f "$dir/monitor/created" ] || { echo "no pg-ha formation in $dir"; exit 3; }
	local name p
	for name in "${names[@]}"; do
		if keeper_pid "$name" >/dev/null; then
			echo "$name: pg_autoctl running (pid $(keeper_pid "$name")), port $(port_of "$name")"
		else
			echo "$name: pg_autoctl stopped"
		fi
	done
	keeper_pid monitor >/dev/null || exit 3
	autoctl monitor show state --pgdata "$dir/monitor/data"
	p=$(primary || true)
	[ -n "$p" ] || { echo "no primary"; exit 3; }
	echo "primary $p: synchronous_standby_names = $(nsql "$p" -d postgres -c 'SHOW synchronous_standby_names')," \
		"synchronous_commit = $(nsql "$p" -d postgres -c 'SHOW synchronous_commit')"
	nsql "$p" -d postgres -c "SELECT application_name || ': ' || state || ', ' || sync_state ||
		', flush lag ' || coalesce(flush_lag::text, '0') FROM pg_stat_replication"
}

stop_one() {
	local name=$1 p pm kids
	p=$(keeper_pid "$name" || true)
	if [ -n "$p" ]; then
		kids=$(pgrep -P "$p" | tr '\n' ' ' || true)
		kill -TERM "$p" 2>/dev/null || true
		for _ in $(seq 1 300); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		# a keeper that would not stop: it and its services, none left orphaned
		# shellcheck disable=SC2086
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" $kids 2>/dev/null
	fi
	# PostgreSQL left behind (a killed keeper, a crash): stop it too
	if [ -f "$dir/$name/data/PG_VERSION" ] && pm=$(postmaster_pid "$name"); then
		as_owner "$bindir/pg_ctl" -D "$dir/$name/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			kill -KILL "$pm" 2>/dev/null || true
	fi
	return 0
}

stop() {
	# the monitor first (nothing is orchestrated while the nodes stop), then the
	# primary (a standby never promotes itself), then the standbys
	local name p
	p=$(primary 2>/dev/null || true)
	stop_one monitor
	[ -n "$p" ] && stop_one "$p"
	for name in "${names[@]}"; do stop_one "$name"; done
}

# every process of a node at once, as a crash of its machine would
kill_primary() {
	local p=$1 mode=${2:-} pids="" k pm
	pm=$(postmaster_pid "$p" || true)
	[ -n "$pm" ] && pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
	if [ "$mode" != --postgres-only ]; then
		k=$(keeper_pid "$p" || true)
		[ -n "$k" ] && pids="$pids $k $(pgrep -P "$k" | tr '\n' ' ')"
	fi
	[ -n "${pids// /}" ] || { echo "pg-ha: nothing to kill on $p" >&2; exit 1; }
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	echo "$p $(date +%s%3N)"
}

case $cmd in
start) start ;;
status) status ;;
primary)
	p=$(primary || true)
	[ -n "$p" ] || exit 3
	echo "$p"
	;;
wait) wait_ready "${1:-120}" ;;
psql)
	n=${1:?usage: pg-ha.sh psql DIR NODE [psql args]}
	shift
	[ -n "$(port_of "$n")" ] || { echo "pg-ha: no node $n" >&2; exit 2; }
	exec env -u PGTARGETSESSIONATTRS psql -X -h "$(sockdir "$n")" -p "$(port_of "$n")" -U postgres -d exchange "$@"
	;;
failover)
	wait_ready 60
	autoctl monitor perform failover --pgdata "$dir/monitor/data" --wait 120
	wait_ready 120
	echo "primary: $(primary)"
	;;
kill-primary)
	p=$(primary || true)
	[ -n "$p" ] || { echo "pg-ha: no primary to kill" >&2; exit 1; }
	kill_primary "$p" "${1:-}"
	;;
stop) [ -d "$dir/monitor" ] && stop ;;
destroy)
	if [ -f "$dir/env" ] && [ -f "$dir/matchd.pid" ]; then
		kill -KILL "$(cat "$dir/matchd.pid")" 2>/dev/null || true
	fi
	[ -f "$dir/ports" ] && stop
	for name in "${names[@]}" node3 matchd; do
		case $(sockdir "$name") in /tmp/pgx-ha-*) rm -rf "$(sockdir "$name")" ;; esac
	done
	case $(matchd_dir) in /tmp/pgx-ha-*) rm -rf "$(matchd_dir)" ;; esac
	rm -rf "$dir"
	;;
*) usage ;;
esac
