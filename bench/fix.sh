#!/usr/bin/env bash
# The FIX gateway under load (bench/fix_load.c), with the SQL path's baseline
# in the same run: a throwaway cluster with matchd and gatewayd beside it,
# $SESSIONS broker roles each with one FIX session and one account (funds,
# shares and limits the load cannot exhaust), four symbols.  fix_load offers
# $RATE orders/s open loop over the sessions; then order_load sends the same
# offered rate through exchange.submit_order() over libpq (64 connections) -
# the SQL path - and the trivial SQL function.
#   bash bench/fix.sh DIR     (DIR: a scratch directory; scripts/bench.sh gives one)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
rate=${RATE:-43000} sessions=${SESSIONS:-16} warmup=${WARMUP:-2} duration=${DURATION:-8}
symbols=FXA,FXB,FXC,FXD
PGX_DATABASE=exchange bash scripts/cluster.sh start "$dir" >/dev/null
# shellcheck disable=SC1091
. "$dir/env"
if [ "$(psql -XAtq -d postgres -c 'SHOW max_connections')" -lt 120 ]; then
	psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = 120"
	bash scripts/cluster.sh stop "$dir" >/dev/null
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$dir" >/dev/null
fi
psql -X -q -d postgres -c 'CREATE DATABASE exchange'
# EXT_VERSION: an earlier version of the extension (a baseline run with an
# earlier gatewayd, PGX_GATEWAYD_BIN); default: the current one
psql -X -q -c 'SET client_min_messages = warning' \
	-c "CREATE EXTENSION exchange${EXT_VERSION:+ VERSION '$EXT_VERSION'}"
# shellcheck disable=SC2086
bash scripts/matchd.sh start "$dir" ${MATCHD_FLAGS:-} >/dev/null
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v symbols="$symbols" -v n="$sessions" <<'SQL'
SET client_min_messages = warning;
SELECT exchange.add_symbol(s, 0.01, 1, 'USD', 100.00, 'fix_load symbol')
  FROM unnest(string_to_array(:'symbols', ',')) AS s;
DO $$
BEGIN
	FOR i IN 1..64 LOOP
		EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE exchange_broker',
			format('bench_fix_%s', lpad(i::text, 2, '0')), 'bench-password');
	END LOOP;
	CREATE ROLE bench_broker_a LOGIN IN ROLE exchange_broker;
	CREATE ROLE bench_broker_b LOGIN IN ROLE exchange_broker;
END $$;
SELECT exchange.open_account(format('FIXB%s', lpad(i::text, 2, '0')),
		format('bench_fix_%s', lpad(i::text, 2, '0'))::regrole, 'verified'),
	   exchange.fix_add_session(format('BENCH_FIX_%s', lpad(i::text, 2, '0')),
		format('bench_fix_%s', lpad(i::text, 2, '0'))::regrole)
  FROM generate_series(1, :n) AS i;
SELECT exchange.open_account(format('bench-%s', lpad(i::text, 3, '0')),
		(CASE i % 2 WHEN 0 THEN 'bench_broker_a' ELSE 'bench_broker_b' END)::regrole, 'verified')
  FROM generate_series(0, 63) AS i;
SELECT exchange.deposit(a.account, 1000000000.00, 'USD'),
	   exchange.set_account_limits(a.account, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 1000000, burst => 1000000)
  FROM exchange.accounts a;
SELECT exchange.credit_shares(a.account, s, 100000000)
  FROM exchange.accounts a, unnest(string_to_array(:'symbols', ',')) AS s;
SELECT exchange.open_market();
SQL
PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -f bench/trivial_order.sql
export PGX_FIX_PORT
PGX_FIX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash scripts/gatewayd.sh start "$dir" >/dev/null
status=0
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
gw=$(cat "$dir/gatewayd.pid") md=$(cat "$dir/matchd.pid")
# PostgreSQL's CPU by whom it serves: matchd's backends (the journal's appends),
# the gateway's (its message store), the rest (walwriter, checkpointer, ...)
pm=$(head -1 "$dir/data/postmaster.pid")
pg_cpu() { # usename, or '' for every backend and auxiliary process
	local pids p sum=0
	if [ -n "$1" ]; then
		pids=$(psql -XAtq -d postgres -c "SELECT pid FROM pg_stat_activity WHERE usename = '$1'")
	else
		pids=$(pgrep -P "$pm")
	fi
	for p in $pids; do sum=$((sum + $(cpu "$p" 2>/dev/null || echo 0))); done
	echo "$sum"
}
pj0=$(pg_cpu matchd) ps0=$(pg_cpu gatewayd) pa0=$(pg_cpu '')
g0=$(cpu "$gw") m0=$(cpu "$md") t0=$(date +%s%N)
# PERF_OUT=PREFIX: perf record -g of gatewayd and matchd during the FIX run
# (PREFIX.gatewayd.data, PREFIX.matchd.data; docs/benchmarks.md's breakdown)
perf_pids=()
if [ -n "${PERF_OUT:-}" ]; then
	for p in "gatewayd:$gw" "matchd:$md"; do
		perf record -q -g -F 999 -o "$PERF_OUT.${p%%:*}.data" -p "${p#*:}" \
			-- sleep "$(awk -v w="$warmup" -v d="$duration" 'BEGIN { print w + d }')" \
			2>/dev/null &
		perf_pids+=($!)
	done
fi
build/bench/fix_load --port "$PGX_FIX_PORT" --sessions "$sessions" --sender-prefix BENCH_FIX_ \
	--broker-prefix bench_fix_ --account-prefix FIXB --password bench-password \
	--symbols "$symbols" --rate "$rate" --warmup "$warmup" --duration "$duration" \
	--name fix_order_entry | tee "$dir/fix_load.out" || status=$?
g1=$(cpu "$gw") m1=$(cpu "$md") t1=$(date +%s%N)
pj1=$(pg_cpu matchd) ps1=$(pg_cpu gatewayd) pa1=$(pg_cpu '')
for p in "${perf_pids[@]}"; do wait "$p" || true; done
hz=$(getconf CLK_TCK)
sent=$(awk '$2 == "fix_order_entry_sent" { print $3 }' "$dir/fix_load.out")
gen=$(awk '$2 == "fix_order_entry_cpu_s" { print $3 }' "$dir/fix_load.out")
awk -v g=$((g1 - g0)) -v m=$((m1 - m0)) -v t=$((t1 - t0)) -v hz="$hz" \
	-v pj=$((pj1 - pj0)) -v ps=$((ps1 - ps0)) -v pa=$((pa1 - pa0)) -v n="${sent:-0}" \
	-v gen="${gen:-0}" 'BEGIN {
	printf "BENCH fix_gatewayd_cpu_pct %.0f %%\nBENCH fix_matchd_cpu_pct %.0f %%\n",
		100 * g / hz / (t / 1e9), 100 * m / hz / (t / 1e9)
	if (n > 0) {
		# CPU per order over the whole run (logon, warm-up, window, drain)
		printf "BENCH fix_cpu_us_per_order_gatewayd %.1f us\n", 1e6 * g / hz / n
		printf "BENCH fix_cpu_us_per_order_matchd %.1f us\n", 1e6 * m / hz / n
		printf "BENCH fix_cpu_us_per_order_pg_journal %.1f us\n", 1e6 * pj / hz / n
		printf "BENCH fix_cpu_us_per_order_pg_fix_store %.1f us\n", 1e6 * ps / hz / n
		printf "BENCH fix_cpu_us_per_order_pg_other %.1f us\n", 1e6 * (pa - pj - ps) / hz / n
		printf "BENCH fix_cpu_us_per_order_generator %.1f us\n", 1e6 * gen / n
	} }'
bash scripts/gatewayd.sh stop "$dir" >/dev/null || status=1
# the SQL path in the same run: submit_order through libpq at the same offered rate
# (SQL_PATH=0 leaves it out, for profiling runs)
[ "${SQL_PATH:-1}" = 0 ] || build/bench/order_load --connections 64 --rate "$rate" --warmup "$warmup" \
	--duration "$duration" --symbols "$symbols" --brokers bench_broker_a,bench_broker_b \
	--account-prefix bench- | grep -E '^(BENCH|#)' || status=$?
bash scripts/matchd.sh stop "$dir" >/dev/null || status=1
exit "$status"
