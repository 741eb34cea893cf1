#!/usr/bin/env bash
# The REST API under load (bench/rest_load.c), with the SQL path measured by the
# same client code in the same run: a throwaway cluster with matchd and
# pgx-httpd (plain build), one symbol, one broker with one account per
# connection (funds, shares and limits the load cannot exhaust).
#   1. order round trip, one connection, closed loop: POST /v1/order vs
#      SELECT exchange.submit_order() over libpq (p50, p99);
#   2. saturated: $CONNS connections closed loop, both paths (orders/s);
#   3. SSE fan-out: $SUBS subscribers of the symbol's market stream, $ORDERS
#      orders one at a time: from submit_order's answer (its batch committed)
#      to the last subscriber's increment; the same to one subscriber first
#      (the baseline).
#   bash bench/rest.sh DIR     (DIR: a scratch directory; scripts/bench.sh gives one)
# FANOUT_ONLY=1: only 3.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
duration=${DURATION:-5} warmup=${WARMUP:-1} conns=${CONNS:-16} subs=${SUBS:-1000} orders=${ORDERS:-20}
ulimit -n 8192
PGX_DATABASE=exchange bash scripts/cluster.sh start "$dir" >/dev/null
# shellcheck disable=SC1091
. "$dir/env"
psql -X -q -d postgres -c 'CREATE DATABASE exchange'
psql -X -q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION exchange'
bash scripts/matchd.sh start "$dir" >/dev/null
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE ROLE rest_bench LOGIN PASSWORD 'bench-password' IN ROLE exchange_broker;
SELECT exchange.add_symbol('RLD', 0.01, 1, 'USD', 100.00, 'rest_load symbol');
SELECT exchange.open_account(a, 'rest_bench', 'verified'), exchange.deposit(a, 1000000000.00, 'USD'),
	   exchange.credit_shares(a, 'RLD', 100000000),
	   exchange.set_account_limits(a, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 1000000, burst => 1000000)
  FROM (SELECT format('RL%s', lpad(i::text, 3, '0')) FROM generate_series(0, 63) i
		UNION ALL SELECT 'RL999') AS v(a);
SELECT exchange.open_market();
SELECT exchange.rest_enable('rest_bench');
SQL
make -s -C daemon httpd >/dev/null
make -s -C bench >/dev/null
export PGX_HTTP_PORT
PGX_HTTP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash scripts/httpd.sh start "$dir" --per-ip $((subs + 100)) --max-connections $((subs + 200)) \
	--pool "$conns" >/dev/null
export REST_PORT=$PGX_HTTP_PORT REST_USER=rest_bench REST_PASSWORD=bench-password REST_ACCOUNT=RL \
	REST_SYMBOL=RLD PGUSER=rest_bench
status=0
load=build/bench/rest_load
common=(--duration "$duration" --warmup "$warmup")
out=$dir/rest_bench.out
[ -n "${FANOUT_ONLY:-}" ] || {
	$load orders --mode http --connections 1 --name rest_order_rtt "${common[@]}" || status=1
	$load orders --mode sql --connections 1 --name sql_order_rtt "${common[@]}" || status=1
	$load orders --mode http --connections "$conns" --name rest_order_saturated "${common[@]}" || status=1
	$load orders --mode sql --connections "$conns" --name sql_order_saturated "${common[@]}" || status=1
} | tee "$out"
v() { awk -v k="$1" '$1 == "BENCH" && $2 == k {print $3}' "$out"; }
[ -n "${FANOUT_ONLY:-}" ] || awk -v a="$(v rest_order_rtt_p50_us)" -v b="$(v sql_order_rtt_p50_us)" \
	-v c="$(v rest_order_saturated_orders_per_s)" -v d="$(v sql_order_saturated_orders_per_s)" 'BEGIN {
	if (b > 0) printf "BENCH rest_vs_sql_rtt_p50_ratio %.2f x\n", a / b
	if (d > 0) printf "BENCH rest_vs_sql_saturated_ratio %.2f x\n", c / d }'
# the fan-out's baseline: the same orders to one subscriber
PGOPTIONS="-c rest.account=RL999" $load fanout --subscribers 1 --orders "$orders" | tee -a "$out" || status=1
PGOPTIONS="-c rest.account=RL999" $load fanout --subscribers "$subs" --orders "$orders" | tee -a "$out" || status=1
awk -v a="$(v "rest_sse_fanout_${subs}_p50_ms")" -v b="$(v rest_sse_fanout_1_p50_ms)" 'BEGIN {
	if (b > 0) printf "BENCH rest_sse_fanout_vs_one_p50_ratio %.1f x\n", a / b }'
bash scripts/httpd.sh stop "$dir" >/dev/null || status=1
bash scripts/matchd.sh stop "$dir" >/dev/null || status=1
exit "$status"
