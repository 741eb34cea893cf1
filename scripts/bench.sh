#!/usr/bin/env bash
# make bench: every benchmark in short mode (BENCH_MODE=long for the long one),
# each with its baseline in the same run.  Prints "BENCH <name> <value> <unit>".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
make -s >/dev/null
$SUDO make -s install >/dev/null
make -s bench-programs >/dev/null
make -s -C bench >/dev/null
long=false
[ "${BENCH_MODE:-short}" = long ] && long=true

# section NAME: the time of the section before it, so that where make bench
# spends its minutes shows in every run ("# bench section ... took N s")
section_name="" section_start=$SECONDS
section() {
	if [ -n "$section_name" ]; then
		echo "# bench section $section_name took $((SECONDS - section_start)) s"
	fi
	section_name=$1 section_start=$SECONDS
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), mode ${BENCH_MODE:-short}"

section core
# the matching core (no database)
if [ -f daemon/Makefile ]; then
	make -s -C daemon bench | grep '^BENCH'
fi

# throwaway clusters, always removed
scratches=()
cleanup() {
	local d
	for d in "${scratches[@]}"; do
		bash scripts/cluster.sh destroy "$d" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

section journal_append
# the journal, against a throwaway cluster
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
(
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	# shellcheck disable=SC1091
	. "$scratch/env"
	psql -X -q -d postgres -c 'CREATE DATABASE exchange'
	psql -X -q -c 'CREATE EXTENSION exchange'
	build/bench/journal_append
)
bash scripts/cluster.sh destroy "$scratch" >/dev/null

section candles
# Candles (bench/candles.sql), against a throwaway cluster: candle_agg against the
# fastest plain SQL over generated executions (1M in short mode, 10M in long mode),
# candles() over a day appended through append_batch against the journal's trades,
# and what the 1-minute projection costs an append.
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
(
	if $long; then
		rows=10000000 runs=5
	else
		rows=1000000 runs=3
	fi
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	# shellcheck disable=SC1091
	. "$scratch/env"
	psql -X -q -d postgres -c 'CREATE DATABASE exchange'
	psql -X -q -c 'CREATE EXTENSION exchange'
	psql -X -q -At -v ON_ERROR_STOP=1 -v rows="$rows" -v runs="$runs" -f bench/candles.sql
)
bash scripts/cluster.sh destroy "$scratch" >/dev/null

section archival
# Archival (bench/archival.sh): archive_trading_day() against copy + delete of a
# day, and the DBA script's export with its verification by restore.
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
(
	if $long; then
		records=1000000 runs=5
	else
		records=100000 runs=3
	fi
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	# shellcheck disable=SC1091
	. "$scratch/env"
	psql -X -q -d postgres -c 'CREATE DATABASE exchange'
	psql -X -q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION exchange'
	RECORDS=$records RUNS=$runs bash bench/archival.sh
)
bash scripts/cluster.sh destroy "$scratch" >/dev/null

section market_data
# Market-data queries (bench/market_data.sh): a cluster with matchd beside it, a
# resting book; the live L1/L2/L3 against a trivial SQL function, and the book
# rebuilt from the journal.
make -s -C daemon matchd >/dev/null
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
(
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	# shellcheck disable=SC1091
	. "$scratch/env"
	psql -X -q -d postgres -c 'CREATE DATABASE exchange'
	psql -X -q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION exchange'
	bash scripts/matchd.sh start "$scratch" >/dev/null
	bash bench/market_data.sh
	bash scripts/matchd.sh stop "$scratch" >/dev/null
)
bash scripts/cluster.sh destroy "$scratch" >/dev/null

section order_load
# Order entry through libpq (bench/order_load.c): a cluster of its own with matchd
# beside it, two broker roles with one account per connection, a few symbols;
# order functions against a trivial SQL function, then the step mode.
make -s -C daemon matchd >/dev/null
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
(
	if $long; then
		conns=64 rate=43000 warmup=5 duration=30
		steps=1000,2000,3000,4000,5000,6000,7000,8000,9000,10000,12000,15000,20000,30000,43000
		step_warmup=2 step_duration=10 slices=5 after=3
	else
		conns=64 rate=43000 warmup=1 duration=5
		steps=1000,2000,4000,8000,15000,30000,43000
		step_warmup=1 step_duration=3 slices=3 after=2
	fi
	symbols=BNA,BNB,BNC,BND
	PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	# shellcheck disable=SC1091
	. "$scratch/env"
	# one backend per connection, matchd's own, and room for psql
	need=$((conns + 20))
	if [ "$(psql -XAtq -d postgres -c 'SHOW max_connections')" -lt "$need" ]; then
		psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = $need"
		bash scripts/cluster.sh stop "$scratch" >/dev/null
		PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
	fi
	psql -X -q -d postgres -c 'CREATE DATABASE exchange'
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION exchange;
CREATE ROLE bench_broker_a LOGIN IN ROLE exchange_broker;
CREATE ROLE bench_broker_b LOGIN IN ROLE exchange_broker;
SQL
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -f bench/trivial_order.sql
	# debug logging: one line per group commit, for the batch sizes
	bash scripts/matchd.sh start "$scratch" --log-level debug >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -v symbols="$symbols" -v conns="$conns" <<'SQL' >/dev/null
SELECT exchange.add_symbol(s, 0.01, 1, 'USD', 100.00, 'order_load symbol')
  FROM unnest(string_to_array(:'symbols', ',')) AS s;
SELECT exchange.open_account(pg_catalog.format('bench-%s', lpad(i::text, 3, '0')),
		(CASE i % 2 WHEN 0 THEN 'bench_broker_a' ELSE 'bench_broker_b' END)::regrole,
		'verified')
  FROM generate_series(0, :conns - 1) AS i;
-- funds, shares and limits the load cannot exhaust: the order manager checks
-- every order, and none is refused
SELECT exchange.deposit(a.account, 1000000000.00, 'USD'),
	   exchange.set_account_limits(a.account, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 1000000, burst => 1000000)
  FROM exchange.accounts a WHERE a.account LIKE 'bench-%';
SELECT exchange.credit_shares(a.account, s, 100000000)
  FROM exchange.accounts a, unnest(string_to_array(:'symbols', ',')) AS s
 WHERE a.account LIKE 'bench-%';
SELECT exchange.open_market();
SQL
	status=0
	build/bench/order_load --connections "$conns" --rate "$rate" --warmup "$warmup" \
		--duration "$duration" --symbols "$symbols" \
		--brokers bench_broker_a,bench_broker_b --account-prefix bench- \
		--steps "$steps" --step-warmup "$step_warmup" --step-duration "$step_duration" \
		--step-slices "$slices" \
		--stop-after "$after" --matchd-pid "$(cat "$scratch/matchd.pid")" \
		--matchd-log "$scratch/matchd.log" || status=$?
	# a checkpoint or an fsync stall shows in the tail; say whether one ran
	echo "# checkpoints during the order-entry runs: $(grep -c 'checkpoint starting' "$scratch/postgresql.log" || true)"
	if [ "$status" -ne 0 ] || ! bash scripts/matchd.sh stop "$scratch" >/dev/null; then
		echo "order_load failed (status $status); last lines of matchd.log:" >&2
		grep -v DEBUG "$scratch/matchd.log" | tail -5 >&2
		exit 1
	fi
)

# with_matchd_stack SCRIPT: runs SCRIPT STACKDIR in a throwaway cluster
# with database exchange, the extension and matchd (stopped and removed after)
with_matchd_stack() {
	local script=$1 scratch
	scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
	scratches+=("$scratch")
	(
		PGX_DATABASE=exchange bash scripts/cluster.sh start "$scratch" >/dev/null
		# shellcheck disable=SC1091
		. "$scratch/env"
		psql -X -q -d postgres -c 'CREATE DATABASE exchange'
		psql -X -q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION exchange'
		bash scripts/matchd.sh start "$scratch" >/dev/null
		status=0
		bash "$script" "$scratch" || status=$?
		bash scripts/matchd.sh stop "$scratch" >/dev/null
		exit "$status"
	)
	bash scripts/cluster.sh destroy "$scratch" >/dev/null
}

section baskets
# Baskets (bench/baskets.sh): submit_orders at 1 to 10,000 orders per call
# against submit_order one at a time
with_matchd_stack bench/baskets.sh

section lone_order
# The lone order (bench/lone_order.sh): p50/p99 of one submit_order at a time
# against a trivial call, a durable commit and matchd's old group-commit timer
with_matchd_stack bench/lone_order.sh

section ddos
# A flood beside normal trading (bench/ddos.sh): one account at 10x its rate
# limit from 200 connections while 50 accounts trade, through PgBouncer; the 50
# accounts' p99 with and without the flood in the same run, and the flood's
# journal rows against its requests.
with_matchd_stack bench/ddos.sh

section fix
# The FIX gateway (bench/fix.sh, bench/fix_load.c): open-loop orders over 16
# FIX sessions through gatewayd to matchd at the goal's 43,000 orders/s, latency
# from each order's intended send time; then the SQL path (submit_order over
# libpq, bench/order_load.c) at the same offered rate in the same cluster.
make -s -C daemon matchd gatewayd >/dev/null
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
if $long; then
	DURATION=30 WARMUP=5 bash bench/fix.sh "$scratch"
else
	DURATION=5 WARMUP=1 bash bench/fix.sh "$scratch"
fi
bash scripts/cluster.sh destroy "$scratch" >/dev/null

section rest
# The REST API (bench/rest.sh, bench/rest_load.c): POST /v1/order round trip
# (p50, p99) and saturated orders/s, each against the SQL path (submit_order over
# libpq) measured by the same client code in the same cluster; and the fan-out
# of one symbol's stream to 1,000 subscribers: from submit_order's answer (the
# batch committed) to the last subscriber's increment.
scratch=$(mktemp -d /tmp/pgx-bench.XXXXXX)
scratches+=("$scratch")
if $long; then
	DURATION=30 WARMUP=5 ORDERS=100 bash bench/rest.sh "$scratch"
else
	DURATION=3 WARMUP=1 ORDERS=20 bash bench/rest.sh "$scratch"
fi
bash scripts/cluster.sh destroy "$scratch" >/dev/null
section end
echo "# bench total $SECONDS s"
