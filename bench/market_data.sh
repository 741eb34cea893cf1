#!/usr/bin/env bash
# Market-data queries through SQL (pgbench, 4 clients): the live book from
# matchd (L1, L2 depth 10, L3 depth 10) against a trivial SQL function with L2's
# result shape (the baseline), and the book rebuilt from the journal
# (order_book_l2_at, one client) for a book of a few thousand orders.
# Run by scripts/bench.sh inside a throwaway cluster with matchd beside it
# (PG* set, matchd running); BENCH_MODE=long runs longer.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=3
[ "${BENCH_MODE:-short}" = long ] && secs=20
orders=${BENCH_MD_ORDERS:-4000}

psql -X -q -v ON_ERROR_STOP=1 -v orders="$orders" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE ROLE bench_md LOGIN IN ROLE exchange_broker;
SELECT exchange.add_symbol('BMD', 0.01, 1, 'USD', 100.00);
SELECT exchange.open_account('bmd-1', 'bench_md', 'verified'),
	   exchange.open_account('bmd-2', 'bench_md', 'verified');
SELECT exchange.deposit(a, 1000000000.00, 'USD'),
	   exchange.credit_shares(a, 'BMD', 100000000),
	   exchange.set_account_limits(a, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 1000000, burst => 1000000)
  FROM unnest(ARRAY['bmd-1', 'bmd-2']) a;
SELECT exchange.open_market();
-- a resting book: bids 99.00..99.99 and asks 100.01..101.00, many orders a level
SELECT count(*) FROM generate_series(1, :orders) i,
	LATERAL exchange.submit_order(CASE i % 2 WHEN 0 THEN 'bmd-1' ELSE 'bmd-2' END, 'BMD',
		CASE i % 2 WHEN 0 THEN 'buy' ELSE 'sell' END::exchange.side, 1 + i % 50,
		CASE i % 2 WHEN 0 THEN 99.00 + (i % 100) / 100.0 ELSE 100.01 + (i % 100) / 100.0 END,
		time_in_force => 'gtc');
-- the baseline: L2's rows (20 levels) from constants
CREATE SCHEMA bench;
CREATE FUNCTION bench.trivial_book(symbol text, depth int)
RETURNS TABLE (side exchange.side, level int, price numeric, quantity bigint,
	order_count int, as_of_seq bigint)
LANGUAGE sql
AS $$ SELECT CASE WHEN i <= 10 THEN 'buy' ELSE 'sell' END::exchange.side, 1 + (i - 1) % 10,
		100.00 + i / 100.0, 100::bigint, 4, 1::bigint FROM generate_series(1, 20) i $$;
GRANT USAGE ON SCHEMA bench TO bench_md;
GRANT EXECUTE ON FUNCTION bench.trivial_book(text, int) TO bench_md;
SQL

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # name clients sql: prints the transactions per second
	echo "$3" >"$tmp/$1.sql"
	pgbench -n -U bench_md -c "$2" -j "$2" -T "$secs" -f "$tmp/$1.sql" 2>/dev/null |
		awk '/^tps = / {printf "%.2f", $3}'
}
last=$(psql -XAtq -c "SELECT max(seq) FROM exchange.journal")
trivial=$(run trivial 4 "SELECT * FROM bench.trivial_book('BMD', 10);")
l1=$(run l1 4 "SELECT * FROM exchange.order_book_l1('BMD');")
l2=$(run l2 4 "SELECT * FROM exchange.order_book_l2('BMD', 10);")
l3=$(run l3 4 "SELECT * FROM exchange.order_book_l3('BMD', 10);")
psql -X -q -c "GRANT exchange_compliance TO bench_md"
at=$(run l2_at 1 "SELECT * FROM exchange.order_book_l2_at('BMD', $last::bigint, 10);")
int() { awk -v x="$1" 'BEGIN {printf "%.0f", x}'; }
echo "BENCH md_trivial_sql $(int "$trivial") calls/s"
echo "BENCH md_l1 $(int "$l1") calls/s"
echo "BENCH md_l2 $(int "$l2") calls/s"
echo "BENCH md_l3 $(int "$l3") calls/s"
echo "BENCH md_l3_rows $(psql -XAtq -c "SELECT count(*) FROM exchange.order_book_l3('BMD', 10)") rows/call"
echo "BENCH md_l2_vs_trivial $(awk -v a="$l2" -v b="$trivial" 'BEGIN {printf "%.2f", a / b}') x"
echo "BENCH md_l2_at_journal $(awk -v t="$at" 'BEGIN {printf "%.1f", 1000 / t}') ms"
echo "BENCH md_l2_at_vs_live $(awk -v a="$at" -v b="$l2" 'BEGIN {printf "%.4f", a / b}') x"
echo "# book: $orders orders over 200 levels, journal up to seq $last"
