#!/usr/bin/env bash
# Backups and the WAL archive with pgBackRest (Debian's pgbackrest), for a cluster
# made by scripts/cluster.sh or a formation made by scripts/pg-ha.sh in DIR.
#
#   scripts/backup.sh setup DIR            configure (DIR/backup/pgbackrest.conf), archive
#                                          every node's WAL (archive_command), create the stanza
#                                          and check that archiving works; idempotent
#   scripts/backup.sh full|diff|incr DIR   take a backup of that type (from the primary)
#   scripts/backup.sh info DIR             the backups and the archive's WAL range
#   scripts/backup.sh check DIR            switch WAL and wait until it is archived
#   scripts/backup.sh restore DIR TARGET [pgbackrest restore options]
#                                          restore into the new data directory TARGET (must not
#                                          exist), archive_mode off there; the default replays
#                                          the whole archive, e.g. --type=time
#                                          "--target=2026-01-02 10:00:00+00" --target-action=promote
#                                          stops at a point in time (PITR)
#
# The repository is DIR/backup/repo (PGX_BACKUP_DIR moves DIR/backup elsewhere):
# one stanza, "exchange", lz4, two full backups kept (their WAL with them).  For
# a pg-ha formation the stanza names every node (pg1, pg2...): pgBackRest backs up
# from whichever is primary, and after a failover the new primary archives its
# new timeline into the same stanza.  A cluster.sh cluster is restarted once, the
# first time, to turn archive_mode on (pg-ha nodes are created with it on).
# As root, pgBackRest runs as the system user pgexchange (the server's user).
set -euo pipefail

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
cmd=${1:-}
if [ -z "$cmd" ] || [ -z "${2:-}" ]; then usage; fi
dir=$(cd "$2" && pwd -P)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
b=${PGX_BACKUP_DIR:-$dir/backup}
conf=$b/pgbackrest.conf
stanza=exchange

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"
br() { as_owner pgbackrest --config="$conf" --stanza="$stanza" "$@"; }

# the servers: data directory, socket directory and port of each
datas=() hosts=() ports=()
if [ -f "$dir/ports" ] && [ -d "$dir/node1" ]; then
	kind=pg-ha
else
	kind=cluster
fi
[ -f "$dir/env" ] || { echo "backup: $dir/env is missing: start the cluster first" >&2; exit 1; }
# shellcheck disable=SC1091
IFS=, read -r -a hosts <<<"$(. "$dir/env" && echo "$PGHOST")"
# shellcheck disable=SC1091
IFS=, read -r -a ports <<<"$(. "$dir/env" && echo "$PGPORT")"
if [ "$kind" = pg-ha ]; then
	for i in "${!hosts[@]}"; do datas+=("$dir/node$((i + 1))/data"); done
else
	datas=("$dir/data")
fi

# psql to server number I as postgres, whatever the caller's environment
ssql() {
	local i=$1
	shift
	env -u PGTARGETSESSIONATTRS -u PGSERVICE psql -X -Atq -v ON_ERROR_STOP=1 \
		-h "${hosts[$i]}" -p "${ports[$i]}" -U postgres -d postgres "$@"
}

write_conf() {
	mkdir -p "$b"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$b"
	local tmp i
	tmp=$(mktemp)
	{
		echo "# written by scripts/backup.sh"
		echo "[global]"
		echo "repo1-path=$b/repo"
		echo "repo1-retention-full=2"
		echo "log-path=$b/log"
		echo "lock-path=$b/lock"
		echo "spool-path=$b/spool"
		echo "log-level-console=warn"
		echo "log-level-file=info"
		echo "compress-type=lz4"
		echo "process-max=2"
		echo "start-fast=y"
		echo
		echo "[$stanza]"
		for i in "${!datas[@]}"; do
			echo "pg$((i + 1))-path=${datas[$i]}"
			echo "pg$((i + 1))-socket-path=${hosts[$i]}"
			echo "pg$((i + 1))-port=${ports[$i]}"
			echo "pg$((i + 1))-user=postgres"
		done
	} >"$tmp"
	chmod 644 "$tmp"
	as_owner mkdir -p "$b/repo" "$b/log" "$b/lock" "$b/spool"
	as_owner cp "$tmp" "$conf"
	rm -f "$tmp"
}

setup() {
	write_conf
	local i restart=0 ac
	# PostgreSQL runs it through the shell in its data directory, which
	# archive-push wants as pg1-path: one command for every node, so that it
	# survives pg_rewind and pg_basebackup copying postgresql.auto.conf around
	# shellcheck disable=SC2016
	ac='pgbackrest --config='"$conf"' --stanza='"$stanza"' --pg1-path="$(pwd -P)" archive-push %p'
	for i in "${!datas[@]}"; do
		# a pg-ha node that is down (after a drill) is configured when it is back
		ssql "$i" -c 'SELECT 1' >/dev/null 2>&1 || { echo "backup: ${datas[$i]} is down; skipped" >&2; continue; }
		ssql "$i" -c "ALTER SYSTEM SET archive_command = '$ac'" -c 'SELECT pg_reload_conf()' >/dev/null
		if [ "$(ssql "$i" -c 'SHOW archive_mode')" = off ]; then
			ssql "$i" -c "ALTER SYSTEM SET archive_mode = on" >/dev/null
			restart=1
		fi
	done
	if [ $restart = 1 ]; then
		echo "backup: restarting PostgreSQL once for archive_mode = on" >&2
		if [ "$kind" = pg-ha ]; then
			bash "$here/pg-ha.sh" stop "$dir" && bash "$here/pg-ha.sh" start "$dir" >/dev/null
		else
			bash "$here/cluster.sh" stop "$dir" && bash "$here/cluster.sh" start "$dir"
		fi
	fi
	br stanza-create
	br check
}

restore() {
	local target=${1:?usage: backup.sh restore DIR TARGET [pgbackrest restore options]}
	shift
	[ -e "$target" ] && { echo "backup: $target exists; restore wants a new directory" >&2; exit 1; }
	mkdir -p "$target"
	target=$(cd "$target" && pwd)
	chmod 700 "$target"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$target"
	# archive_mode off: a restored copy must never push its own timeline into
	# the source's archive
	br --pg1-path="$target" --archive-mode=off restore "$@"
}

case $cmd in
setup) setup ;;
full | diff | incr) br --type="$cmd" backup ;;
info) br info ;;
check) br check ;;
restore) restore "$@" ;;
*) usage ;;
esac
