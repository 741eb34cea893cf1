#!/usr/bin/env bash
# The lone order (issue 19): one broker, one submit_order at a time, 2,000 calls
# on one connection (pgbench, PostgreSQL's own client), p50/p99 from pgbench's
# per-call log; and in the same run the floors it is measured against:
#   - a trivial SQL call (SELECT 1) on the same kind of connection;
#   - one durable commit: a one-row INSERT, autocommit, synchronous_commit on
#     (what a transaction that writes anything costs here: its WAL flush);
#   - the lone order with matchd's group-commit timer of before 1.8
#     (--batch-delay-us 100; the default is now 0: a batch goes to the writer
#     as soon as it is free);
# and, from matchd's own counters (logged when it stops), where the order's
# time goes inside matchd: the wait before its batch is handed to the writer,
# the hand-over, the append_batch round trip (execute + commit), the way back.
# The two matchd settings alternate in 4 rounds of CALLS/4 calls each.
# Run by scripts/bench.sh inside a throwaway cluster (PG* set, matchd running).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: lone_order.sh STACKDIR}
calls=${LONE_CALLS:-2000}

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v broker=lone_broker -v symbol=LONE \
	-v buyer=LO-B -v seller=LO-S -f bench/two_accounts.sql
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.lone_commit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());
GRANT INSERT ON public.lone_commit TO lone_broker;
GRANT USAGE ON SEQUENCE public.lone_commit_id_seq TO lone_broker;
SQL

cat >"$dir/lone_order.sql" <<'SQL'
\set side random(0, 1)
SELECT status FROM exchange.submit_order(CASE WHEN :side = 0 THEN 'LO-B' ELSE 'LO-S' END, 'LONE',
	(CASE WHEN :side = 0 THEN 'buy' ELSE 'sell' END)::exchange.side, 1, 100.00);
SQL
echo 'SELECT 1;' >"$dir/lone_trivial.sql"
echo 'INSERT INTO public.lone_commit DEFAULT VALUES;' >"$dir/lone_commit.sql"

# CALLS calls of a pgbench script, one at a time, appended to DIR/NAME.calls
# (per-call latencies in us, from pgbench's log)
run_calls() {
	local name=$1 n=$2
	rm -f "$dir/pgbench-$name".*
	(cd "$dir" && PGUSER=lone_broker pgbench -n -M prepared -c 1 -j 1 -t "$n" \
		-f "$name.sql" --log --log-prefix="pgbench-$name" >/dev/null 2>&1)
	cat "$dir/pgbench-$name".* | awk '{print $3}' >>"$dir/$name.calls"
}
# p50 and p99 in ms of the calls gathered for NAME
p50_p99() {
	sort -n "$dir/$1.calls" | awk '{v[NR] = $1} END {
		printf "%.3f %.3f\n", v[int(NR * 0.50)] / 1000, v[int(NR * 0.99)] / 1000 }'
}
# matchd restarted with ARGS; the stop line's breakdown appended to DIR/LABEL.matchd
restart_matchd() {
	local label=$1
	shift
	bash scripts/matchd.sh stop "$dir" >/dev/null
	grep 'stopped cleanly' "$dir/matchd.log" | tail -1 | grep -o 'mean append.*answering)' \
		>>"$dir/$label.matchd" || true
	bash scripts/matchd.sh start "$dir" "$@" >/dev/null
}

rm -f "$dir"/*.calls "$dir"/*.matchd
# the machine is shared: the lone order with the default flags and with the old
# timer alternate in rounds, so that a busy minute hits both alike
rounds=4
per=$((calls / rounds))
for _ in $(seq "$rounds"); do
	run_calls lone_trivial "$per"
	run_calls lone_commit "$per"
	run_calls lone_order "$per"
	restart_matchd default --batch-delay-us 100
	cp "$dir/lone_order.sql" "$dir/lone_order_delay100.sql"
	run_calls lone_order_delay100 "$per"
	restart_matchd delay100
done
read -r t50 t99 < <(p50_p99 lone_trivial)
read -r c50 c99 < <(p50_p99 lone_commit)
read -r o50 o99 < <(p50_p99 lone_order)
read -r d50 d99 < <(p50_p99 lone_order_delay100)
sed 's/^/# matchd (default flags): /' "$dir/default.matchd"
sed 's/^/# matchd (--batch-delay-us 100): /' "$dir/delay100.matchd"
echo "BENCH lone_trivial_call_p50_ms $t50 ms"
echo "BENCH lone_durable_commit_p50_ms $c50 ms"
echo "BENCH lone_order_p50_ms $o50 ms"
echo "BENCH lone_order_p99_ms $o99 ms"
echo "BENCH lone_order_delay100_p50_ms $d50 ms"
echo "BENCH lone_order_vs_delay100 $(awk -v o="$o50" -v d="$d50" 'BEGIN {printf "%.2f", o / d}') x"
echo "BENCH lone_order_vs_durable_commit $(awk -v o="$o50" -v c="$c50" 'BEGIN {printf "%.2f", o / c}') x"
echo "# lone order: p99 trivial $t99 ms, durable commit $c99 ms, with --batch-delay-us 100 $d99 ms"
