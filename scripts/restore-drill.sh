#!/usr/bin/env bash
# Restore drill: proves that the pgBackRest backups and WAL archive of a live
# exchange cluster restore to exactly what the cluster held.
#
#   scripts/restore-drill.sh [WORKDIR]
#
# In WORKDIR (default: a new /tmp/pgx-restore.XXXXXX, removed at the end):
#  1. a private cluster (scripts/cluster.sh) with the extension and matchd, a
#     symbol and two accounts; orders through exchange.submit_order (psql)
#  2. scripts/backup.sh setup (archiving to WORKDIR/src/backup), a full backup,
#     more orders, an incremental backup, more orders; then a point in time T
#     (the server's clock, all quiet) whose journal state is recorded, and more
#     orders after T
#  3. restore the latest backup into a NEW data directory and replay the whole
#     archive; restore again, to T (PITR); start each on another port
#  4. each restored cluster must equal the source at that point: per stream the
#     journal's rows, last seq and gaplessness, exchange.streams, and for every
#     trading day exchange.journal_day_checksum() and candles_day_checksum()
#
# Prints the timings (backup, restore, replay) as "CHAOS restore_drill_<what>
# <value> <unit>" lines and exits 1 on any difference.  PGX_DRILL_ORDERS sets
# the orders of each load phase (default 3000).  Runs as root (the servers then
# run as pgexchange) or as a normal user.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
orders=${PGX_DRILL_ORDERS:-3000}
if [ -n "${1:-}" ]; then
	mkdir -p "$1"
	work=$(cd "$1" && pwd -P)
	keep=1
else
	work=$(mktemp -d /tmp/pgx-restore.XXXXXX)
	keep=""
fi
src=$work/src
bindir=$(pg_config --bindir)
# the restored servers write their logs here
if [ "$(id -u)" -eq 0 ]; then
	id pgexchange >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pgexchange
	chown pgexchange: "$work"
fi

# as_owner
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib/owner.sh"
restored=()
r_ms=0 p_ms=0
cleanup() {
	local r
	for r in "${restored[@]}"; do
		as_owner "$bindir/pg_ctl" -D "$r" -m immediate -w stop >/dev/null 2>&1 || true
	done
	bash "$top/scripts/matchd.sh" kill "$src" >/dev/null 2>&1 || true
	if [ -n "$keep" ]; then
		bash "$top/scripts/cluster.sh" stop "$src" >/dev/null 2>&1 || true
	else
		bash "$top/scripts/cluster.sh" destroy "$src" >/dev/null 2>&1 || true
		rm -rf "$work"
	fi
}
trap cleanup EXIT
die() {
	echo "restore-drill: $*" >&2
	exit 1
}
ms() { date +%s%3N; }
secs() { echo "scale=2; $1 / 1000" | bc | sed 's/^\./0./'; }

# the state the restore must reproduce, one line per fact
state() {
	psql -X -Atq -v ON_ERROR_STOP=1 "$@" <<'SQL'
SELECT 'stream ' || stream || ': ' || count(*) || ' rows, last seq ' || max(seq) ||
       CASE WHEN count(DISTINCT seq) = max(seq) THEN ', gapless' ELSE ', GAPS' END
  FROM exchange.journal GROUP BY stream ORDER BY stream;
SELECT 'sequencer ' || name || ': epoch ' || epoch || ', last seq ' || last_seq || ', records ' || records
  FROM exchange.streams ORDER BY name;
SELECT 'day ' || trading_day || ': journal ' || encode(exchange.journal_day_checksum(trading_day), 'hex') ||
       ', candles ' || encode(exchange.candles_day_checksum(trading_day), 'hex')
  FROM (SELECT DISTINCT trading_day FROM exchange.journal_days) d ORDER BY trading_day;
SQL
}

# orders N: N orders alternating between a buyer and a seller (many trade)
load() {
	psql -X -Atq -v ON_ERROR_STOP=1 -U rd_broker >/dev/null <<SQL || die "orders failed"
SELECT count(o.id)
  FROM generate_series(1, $1) g,
       LATERAL exchange.submit_order(CASE WHEN g % 2 = 0 THEN 'RD1' ELSE 'RD2' END, 'RSTR',
               (CASE WHEN g % 2 = 0 THEN 'buy' ELSE 'sell' END)::exchange.side,
               1 + g % 9, 99.50 + (g % 100) / 100.0) o;
SQL
}

# restore_and_start NAME PORT [pgbackrest restore options]: restored data directory
# WORK/NAME, socket WORK/NAME-run, started on PORT; sets r_ms and p_ms, the
# restore and the replay (start until out of recovery) times
restore_and_start() {
	local name=$1 port=$2 t0 t1 t2 run=$work/$1-run
	shift 2
	t0=$(ms)
	bash scripts/backup.sh restore "$src" "$work/$name" "$@" >"$work/$name-restore.log" 2>&1 ||
		{ cat "$work/$name-restore.log" >&2; die "pgbackrest restore into $name failed"; }
	t1=$(ms)
	restored+=("$work/$name")
	mkdir -p "$run"
	chmod 700 "$run"
	[ "$(id -u)" -eq 0 ] && chown pgexchange: "$run"
	# archive_mode off (also set by the restore): it must not archive into the source's repository
	as_owner "$bindir/pg_ctl" -D "$work/$name" -l "$work/$name.log" -w -t 600 \
		-o "-c port=$port -c unix_socket_directories=$run -c listen_addresses='' -c archive_mode=off" \
		start >/dev/null || { tail -20 "$work/$name.log" >&2; die "restored $name does not start"; }
	for _ in $(seq 1 6000); do
		[ "$(psql -X -Atq -h "$run" -p "$port" -U postgres -d exchange -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
		sleep 0.1
	done
	[ "$(psql -X -Atq -h "$run" -p "$port" -U postgres -d exchange -c 'SELECT pg_is_in_recovery()')" = f ] ||
		{ tail -20 "$work/$name.log" >&2; die "restored $name is still in recovery after 600 s"; }
	t2=$(ms)
	r_ms=$((t1 - t0)) p_ms=$((t2 - t1))
}

# --- 1. the source: cluster, extension, matchd, a market
make -s -C daemon matchd >/dev/null || die "building matchd"
PGX_DATABASE=exchange bash scripts/cluster.sh start "$src" >/dev/null
# shellcheck disable=SC1091
. "$src/env"
port=${PGPORT}
psql -X -q -d postgres -c "SELECT 1" >/dev/null
psql -X -Atq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'exchange'" | grep -q 1 ||
	psql -X -q -d postgres -c "CREATE DATABASE exchange"
psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS exchange"
bash scripts/matchd.sh start "$src" >/dev/null || die "matchd does not start"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || die "market setup"
SET client_min_messages = warning;
CREATE ROLE rd_broker LOGIN IN ROLE exchange_broker;
SELECT exchange.add_symbol('RSTR', 0.01, 1, 'USD', 100.00);
SELECT exchange.open_account(a, 'rd_broker', 'verified'),
       exchange.deposit(a, 100000000.00, 'USD'),
       exchange.credit_shares(a, 'RSTR', 10000000),
       exchange.set_account_limits(a, max_order_notional => 100000000,
           max_daily_notional => 10000000000, max_open_orders => 100000,
           orders_per_second => 100000, burst => 100000)
  FROM unnest(ARRAY['RD1', 'RD2']) a;
SELECT exchange.open_market();
SQL
load "$orders"

# --- 2. archiving, backups, more orders, the point in time T
t0=$(ms)
bash scripts/backup.sh setup "$src" >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; die "backup setup"; }
t_setup=$(($(ms) - t0))
# matchd reconnects by itself after the restart for archive_mode
load 10
t0=$(ms)
bash scripts/backup.sh full "$src" || die "full backup"
t_full=$(($(ms) - t0))
load "$orders"
t0=$(ms)
bash scripts/backup.sh incr "$src" || die "incremental backup"
t_incr=$(($(ms) - t0))
load "$orders"
target=$(psql -X -Atq -c "SELECT clock_timestamp()")
state >"$work/state-target.txt"
sleep 0.5
load "$orders"
state >"$work/state-end.txt"
bash scripts/backup.sh check "$src" || die "WAL archive check"
bash scripts/backup.sh info "$src" | sed 's/^/  /'
echo "target of the point-in-time restore: $target"

# --- 3. and 4. restore, replay, compare
fail=0
compare() {
	local name=$1 want=$2 got=$work/$1-state.txt run=$work/$1-run port=$3
	state -h "$run" -p "$port" -U postgres -d exchange >"$got"
	if diff -u "$want" "$got" >"$work/$name.diff"; then
		echo "$name: equal to the source"
		sed 's/^/  /' "$got"
	else
		echo "$name: DIFFERS from the source:"
		cat "$work/$name.diff"
		fail=1
	fi
}
restore_and_start latest $((port + 1))
r_end=$r_ms p_end=$p_ms
compare latest "$work/state-end.txt" $((port + 1))
restore_and_start pitr $((port + 2)) --type=time "--target=$target" --target-action=promote
r_pitr=$r_ms p_pitr=$p_ms
compare pitr "$work/state-target.txt" $((port + 2))
grep -q "recovery stopping before commit" "$work/pitr.log" ||
	{ echo "pitr: recovery did not stop at the target (see $work/pitr.log)"; fail=1; }

size=$(du -sk "$src/backup/repo" | cut -f1)
db=$(psql -X -Atq -c "SELECT pg_database_size('exchange') / 1024")
echo "CHAOS restore_drill_setup $(secs "$t_setup") s"
echo "CHAOS restore_drill_full_backup $(secs "$t_full") s"
echo "CHAOS restore_drill_incr_backup $(secs "$t_incr") s"
echo "CHAOS restore_drill_restore_latest $(secs "$r_end") s"
echo "CHAOS restore_drill_replay_latest $(secs "$p_end") s"
echo "CHAOS restore_drill_restore_pitr $(secs "$r_pitr") s"
echo "CHAOS restore_drill_replay_pitr $(secs "$p_pitr") s"
echo "CHAOS restore_drill_database_size $((db / 1024)) MB"
echo "CHAOS restore_drill_repository_size $((size / 1024)) MB"
[ $fail = 0 ] || die "a restored cluster differs from the source"
echo "restore-drill: both restores equal the source"
