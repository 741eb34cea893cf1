#!/usr/bin/env bash
# Baskets through libpq (exchange.submit_orders) against one order at a time
# (exchange.submit_order), on one connection, with pgbench (PostgreSQL's own
# load tool, so the client is no home-made code): durable orders/s at 1, 10,
# 100, 1,000 and 10,000 orders per call, each against the single-call rate of
# the same run (the lone order's latency is bench/lone_order.sh).  Every
# basket alternates a buy of one account and a sell of another at one price,
# so that the orders trade and the book stays small; an order counts when its
# row says 00000 (pgbench aborts on any error).
# Run by scripts/bench.sh inside a throwaway cluster (PG* set, matchd running).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: baskets.sh STACKDIR}
if [ "${BENCH_MODE:-short}" = long ]; then secs=20; else secs=3; fi

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v broker=basket_broker -v symbol=BSK \
	-v buyer=BK-B -v seller=BK-S -f bench/two_accounts.sql
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL'
-- the bench's basket of :n orders, half buys of BK-B, half sells of BK-S at 100.00
CREATE FUNCTION public.bench_basket(n int) RETURNS exchange.order_request[] LANGUAGE sql AS $$
	SELECT array_agg(CASE WHEN i % 2 = 0
				THEN ('BK-B', 'BSK', 'buy', 1, 100.00, NULL, NULL, NULL)::exchange.order_request
				ELSE ('BK-S', 'BSK', 'sell', 1, 100.00, NULL, NULL, NULL)::exchange.order_request END)
	  FROM generate_series(1, n) i $$;
GRANT EXECUTE ON FUNCTION public.bench_basket(int) TO basket_broker;
SQL

cat >"$dir/single.sql" <<'SQL'
\set side random(0, 1)
SELECT status FROM exchange.submit_order(CASE WHEN :side = 0 THEN 'BK-B' ELSE 'BK-S' END, 'BSK',
	(CASE WHEN :side = 0 THEN 'buy' ELSE 'sell' END)::exchange.side, 1, 100.00);
SQL
# the basket is built by the server (bench_basket) so that the client's cost is
# the call, as for a broker that binds one prepared array
cat >"$dir/basket.sql" <<'SQL'
SELECT count(*) FILTER (WHERE sqlstate = '00000') FROM exchange.submit_orders(public.bench_basket(:n));
SQL
cat >"$dir/build.sql" <<'SQL'
SELECT cardinality(public.bench_basket(:n));
SQL

# pgbench FILE SECONDS [ARGS]: transactions per second
tps() {
	local f=$1 t=$2
	shift 2
	PGUSER=basket_broker pgbench -n -M prepared -c 1 -j 1 -T "$t" -f "$f" "$@" 2>/dev/null |
		awk '/^tps = / {print $3}'
}

single=$(tps "$dir/single.sql" "$secs")
echo "BENCH basket_single_call_orders_per_s $single orders/s"
# cpu_of PID...: user+system clock ticks of the processes (all their threads)
cpu_of() {
	local p t=0 v
	for p in "$@"; do
		# a process may end between the listing and the read: it counts 0
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
pids_of() { psql -X -Atq -c "SELECT pid FROM pg_stat_activity WHERE $1" | paste -sd' '; }
for n in 1 10 100 1000 10000; do
	if [ "$n" = 10000 ]; then
		# where the time goes at the largest basket: CPU of each part per order
		journal_pids=$(pids_of "usename = 'matchd'")
		wal_pids=$(pids_of "backend_type = 'walwriter'")
		matchd_pid=$(cat "$dir/matchd.pid")
		before_j=$(cpu_of $journal_pids) before_w=$(cpu_of $wal_pids) before_m=$(cpu_of "$matchd_pid")
		before_all=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat)
	fi
	if [ "$n" = 10000 ]; then
		# the basket's own backend lives only as long as pgbench: sample it
		(
			last=0 pid=""
			while [ ! -f "$dir/bench.done" ]; do
				[ -n "$pid" ] || pid=$(pids_of "usename = 'basket_broker' AND pid <> pg_backend_pid()")
				[ -n "$pid" ] && last=$(cpu_of $pid)
				sleep 0.2
			done
			echo "$last" >"$dir/backend.cpu"
		) &
		sampler=$!
	fi
	calls=$(tps "$dir/basket.sql" "$secs" -D n="$n")
	if [ "$n" = 10000 ]; then
		touch "$dir/bench.done"
		wait "$sampler"
	fi
	build=$(tps "$dir/build.sql" 2 -D n="$n")
	rate=$(awk -v c="$calls" -v n="$n" 'BEGIN {printf "%.0f", c * n}')
	echo "BENCH basket_${n}_orders_per_s $rate orders/s"
	echo "BENCH basket_${n}_vs_single_call $(awk -v r="$rate" -v s="$single" 'BEGIN {printf "%.2f", r / s}') x"
	echo "# basket of $n: $calls calls/s; building the array alone: $(awk -v b="$build" -v n="$n" 'BEGIN {printf "%.0f", b * n}') orders/s"
	if [ "$n" = 10000 ]; then
		orders=$(awk -v c="$calls" -v n="$n" -v t="$secs" 'BEGIN {printf "%.0f", c * n * t}')
		hz=$(getconf CLK_TCK)
		us() { awk -v d="$1" -v o="$orders" -v hz="$hz" 'BEGIN {printf "%.2f", d / hz * 1e6 / o}'; }
		echo "# basket of 10000, CPU per order: the basket's backend $(us "$(cat "$dir/backend.cpu")") us, matchd $(us $(($(cpu_of "$matchd_pid") - before_m))) us," \
			"matchd's journal backend $(us $(($(cpu_of $journal_pids) - before_j))) us," \
			"walwriter $(us $(($(cpu_of $wal_pids) - before_w))) us," \
			"the whole machine $(us $(($(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat) - before_all))) us"
	fi
done
# every order the benchmark sent is in the journal and was answered 00000:
# pgbench counts only calls that succeeded, and the rows checked each order
journaled=$(psql -X -Atq -c "SELECT count(*) FROM exchange.journal WHERE idx = 0 AND kind = 'new_order' AND account LIKE 'BK-%'")
echo "# basket bench: $journaled orders journaled in all"

