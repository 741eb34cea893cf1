#!/usr/bin/env bash
# A flood beside normal trading (bench/order_load.c --event-loop, through
# PgBouncer in transaction mode): 50 accounts (5 broker roles, one connection
# each) trade at 10 orders/s each, while one more account floods at 10 times its
# rate limit (orders_per_second = burst = BENCH_DDOS_LIMIT, default 100: 1,000
# calls/s) from 200 connections of its own broker role.  The run alternates
# windows without and with the flood (3 pairs of 5 s in short mode, 5 of 20 s in
# long mode), so that both see the same machine; the figure is the 50 accounts'
# p99 acknowledgement latency, the median of the flood windows' p99 over the
# median of the quiet windows' (goal: moves by less than 10%).  Then the journal:
# the flooding account's journaled new orders must be exactly the ones it was
# acknowledged (refusals, PX076, are not journaled), far fewer than it sent.
# Run by scripts/bench.sh inside a throwaway cluster (PG* set, matchd running,
# max_connections >= 100); starts and stops its own PgBouncer.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: ddos.sh STACKDIR}
limit=${BENCH_DDOS_LIMIT:-100}
flood_conns=${BENCH_DDOS_FLOOD_CONNECTIONS:-200}
accounts=50 brokers=5 rate=500
if [ "${BENCH_MODE:-short}" = long ]; then
	rounds=5 window=20 warmup=3
else
	rounds=3 window=5 warmup=1
fi
symbols=BDA,BDB
seed=${PGX_SEED:-$RANDOM}
echo "# ddos: seed $seed (PGX_SEED to repeat); $accounts accounts at $rate orders/s in all; one account flooding at $((10 * limit)) calls/s (limit $limit/s, burst $limit) from $flood_conns connections; $rounds rounds of ${window} s without and with the flood"

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v brokers="$brokers" -v accounts="$accounts" \
	-v symbols="$symbols" -v lim="$limit" <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I LOGIN IN ROLE exchange_broker', 'ddos_b' || b)
  FROM generate_series(0, :brokers - 1) b \gexec
CREATE ROLE ddos_flooder LOGIN IN ROLE exchange_broker;
SELECT exchange.add_symbol(s, 0.01, 1, 'USD', 100.00, 'ddos bench')
  FROM unnest(string_to_array(:'symbols', ',')) s;
SELECT exchange.open_account('DD-' || lpad(a::text, 3, '0'),
		('ddos_b' || (a % :brokers))::regrole, 'verified')
  FROM generate_series(0, :accounts - 1) a;
SELECT exchange.open_account('FLOOD', 'ddos_flooder', 'verified');
SELECT exchange.deposit(account, 1000000000.00, 'USD'),
	   exchange.set_account_limits(account, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => CASE account WHEN 'FLOOD' THEN :lim ELSE 100000 END,
		   burst => CASE account WHEN 'FLOOD' THEN :lim ELSE 100000 END)
  FROM exchange.accounts WHERE account LIKE 'DD-%' OR account = 'FLOOD';
SELECT exchange.credit_shares(a.account, s, 100000000)
  FROM exchange.accounts a, unnest(string_to_array(:'symbols', ',')) s
 WHERE a.account LIKE 'DD-%' OR a.account = 'FLOOD';
SELECT exchange.open_market() WHERE NOT (SELECT is_open FROM exchange.market_status());
SQL

cleanup() { bash scripts/pgbouncer.sh stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
PGX_BOUNCER_POOL=4 PGX_BOUNCER_MAX_DB=40 bash scripts/pgbouncer.sh start "$dir" >/dev/null
# shellcheck disable=SC1091
bhost=$(. "$dir/pgbouncer/env" && echo "$PGHOST")
# shellcheck disable=SC1091
bport=$(. "$dir/pgbouncer/env" && echo "$PGPORT")
status=0
PGHOST=$bhost PGPORT=$bport build/bench/order_load --event-loop --threads 2 \
	--connections "$accounts" --accounts "$accounts" \
	--brokers "$(seq -f 'ddos_b%g' 0 $((brokers - 1)) | paste -sd,)" --account-prefix DD- \
	--symbols "$symbols" --rate "$rate" --warmup "$warmup" --duration "$window" \
	--flood-connections "$flood_conns" --flood-account FLOOD --flood-broker ddos_flooder \
	--flood-rate $((10 * limit)) --flood-rounds "$rounds" --seed "$seed" \
	--matchd-pid "$(cat "$dir/matchd.pid")" --ack-log "$dir/ddos-acks.tsv" \
	>"$dir/ddos.out" || status=$?
grep -v '^BENCH ddos_\(lost\|connections_broken\)' "$dir/ddos.out"
[ "$status" -eq 0 ] || { echo "ddos: order_load failed (status $status)" >&2; exit 1; }
fig() { awk -v n="$1" '$1 == "BENCH" && $2 == n {print $3}' "$dir/ddos.out"; }
sent=$(fig ddos_flood_calls_sent_total)
acked=$(awk -F'\t' '$3 == "FLOOD"' "$dir/ddos-acks.tsv" | wc -l)
journaled=$(psql -X -Atq -c "SELECT count(*) FROM exchange.journal WHERE idx = 0 AND kind = 'new_order' AND account = 'FLOOD'")
echo "BENCH ddos_flood_requests_sent $sent calls"
echo "BENCH ddos_flood_acknowledged $acked orders"
echo "BENCH ddos_flood_journal_rows $journaled rows"
echo "BENCH ddos_flood_journaled_fraction $(awk -v j="$journaled" -v s="$sent" 'BEGIN {printf "%.3f", s ? j / s : 0}') x"
ratio=$(fig ddos_p99_ratio)
if awk -v r="$ratio" 'BEGIN {exit !(r < 1.10)}'; then
	echo "# ddos: goal met, the 50 accounts' p99 moved by less than 10% (ratio $ratio)"
else
	echo "# ddos: goal NOT met, the 50 accounts' p99 with the flood is $ratio x the p99 without"
fi
if [ "$journaled" -ne "$acked" ]; then
	echo "ddos: the flooding account has $journaled journaled orders but $acked acknowledged" >&2
	exit 1
fi
