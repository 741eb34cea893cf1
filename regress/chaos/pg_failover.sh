#!/usr/bin/env bash
# Chaos drill: kill the PostgreSQL primary under load with a synchronous standby
# set up (scripts/pg-ha.sh: pg_auto_failover, two data nodes).  Brokers keep
# submitting and cancelling orders through the multi-host conninfo while the
# primary node dies by SIGKILL (keeper, postmaster and backends at once, as if
# its machine crashed); pg_auto_failover promotes the standby; matchd's journal
# writer reconnects through its own multi-host conninfo and trading resumes.
#
# Then: every acknowledged order and cancel is in the new primary's journal
# exactly once with what the acknowledgement said (RPO 0), seqs are gapless,
# matchd is still the same process and its state equals a fresh replay of the
# journal, and the old primary rejoins as a synchronous standby with the same
# journal.  Prints "CHAOS <name> <value> <unit>" figures and ends with
# "PASS pg_failover" or "FAIL pg_failover: why" (exit 1).
#
#   PGX_CHAOS_SECONDS   longest load duration (default 120; the kill comes once
#                       1,000 orders are acknowledged, the load stops once the
#                       new primary has acknowledged 1,000 more)
#   PGX_CHAOS_THREADS   broker connections (default 4)
#   PGX_CHAOS_KEEP=1    keep the directory (and stop, not destroy, the stack)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
name=pg_failover
seconds=${PGX_CHAOS_SECONDS:-120}
threads=${PGX_CHAOS_THREADS:-4}
STACK=$(mktemp -d /tmp/pgx-chaos.XXXXXX)
ha() { bash "$top/scripts/pg-ha.sh" "$@"; }
cpid=""
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	if [ -n "${PGX_CHAOS_KEEP:-}" ]; then
		bash "$top/scripts/matchd.sh" stop "$STACK" >/dev/null 2>&1 || true
		ha stop "$STACK" >/dev/null 2>&1 || true
		echo "kept $STACK"
	else
		ha destroy "$STACK" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

fail() {
	echo "--- matchd.log (last 25 lines)"
	tail -25 "$STACK/matchd.log" 2>/dev/null || true
	ha status "$STACK" 2>/dev/null || true
	echo "FAIL $name: $*"
	exit 1
}
ms() { date +%s%3N; }
secs() { echo "scale=2; $1 / 1000" | bc | sed 's/^\./0./'; }
jq1() { ha psql "$STACK" "$1" -Atq -v ON_ERROR_STOP=1 -c "$2"; }

# --- the stack: pg_auto_failover formation, extension, matchd, a market
make -s -C daemon matchd >/dev/null || fail "building matchd"
make -s -C bench >/dev/null || fail "building the load client (bench/order_load)"
t0=$(ms)
ha start "$STACK" >/dev/null || fail "pg-ha start"
echo "formation up in $(secs $(($(ms) - t0))) s: $(ha primary "$STACK") primary, synchronous standby"
# shellcheck disable=SC1091
. "$STACK/env"
bash scripts/matchd.sh start "$STACK" >/dev/null || fail "matchd start"
mpid=$(cat "$STACK/matchd.pid")
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL || fail "market setup"
SET client_min_messages = warning;
CREATE ROLE chaos_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('CHAOS', 0.01, 1, 'USD', 100.00);
SELECT (exchange.open_account(a, 'chaos_broker', 'verified')).account
  FROM generate_series(0, $threads - 1) i, LATERAL (SELECT 'CH' || lpad(i::text, 3, '0') AS a) n;
SELECT exchange.deposit(a, 10000000.00, 'USD'),
       exchange.credit_shares(a, 'CHAOS', 1000000),
       exchange.set_account_limits(a, max_order_notional => 100000000,
           max_daily_notional => 1000000000, max_open_orders => 100000,
           orders_per_second => 100000, burst => 100000)
  FROM generate_series(0, $threads - 1) i, LATERAL (SELECT 'CH' || lpad(i::text, 3, '0') AS a) n;
SELECT exchange.open_market();
SQL

# --- load, then kill the primary node
# brokers that submit and cancel (a quarter of their calls) through the
# multi-host conninfo until the stop file (or PGX_CHAOS_SECONDS); the fate log's
# lines are "ACK order_id client_order_id ns filled status port"
build/bench/order_load --closed-loop --connections "$threads" --brokers chaos_broker \
	--symbols CHAOS --account-prefix CH --cancel-pct 25 --duration "$seconds" \
	--fate-log "$STACK/acks.txt" --stop-file "$STACK/acks.txt.stop" >"$STACK/client.out" &
cpid=$!
# acks_after PORT MS: orders acknowledged by the server on PORT after MS
acks_after() { awk -v p="$1" -v t="$2" '$1 == "ACK" && (p == "" || $7 == p) && $4 / 1e6 > t {n++} END {print n + 0}' "$STACK/acks.txt"; }
for _ in $(seq 1 1200); do
	[ "$(acks_after "" 0)" -ge 1000 ] && break
	kill -0 "$cpid" 2>/dev/null || fail "load client ended early: $(cat "$STACK/client.out")"
	sleep 0.05
done
old=$(ha primary "$STACK") || fail "no primary before the kill"
new=$(awk -v o="$old" '$1 ~ /^node/ && $1 != o {print $1; exit}' "$STACK/ports")
new_port=$(awk -v n="$new" '$1 == n {print $2}' "$STACK/ports")
before=$(grep -c '^ACK' "$STACK/acks.txt" || true)
[ "$before" -gt 0 ] || fail "no order acknowledged before the kill"
read -r killed t_kill < <(ha kill-primary "$STACK") || fail "kill-primary"
[ "$killed" = "$old" ] || fail "killed $killed, expected $old"
echo "killed $old (keeper, postmaster, backends) with $before orders acknowledged; waiting for $new"
# promoted: out of recovery; writable: pg_auto_failover lifts default_transaction_read_only
# only once the old primary is taken as demoted (wait_primary), and only then does
# target_session_attrs=read-write (brokers, matchd) accept the node
t_prom="" t_rw=""
while [ $(($(ms) - t_kill)) -lt 60000 ]; do
	st=$(jq1 "$new" "SELECT pg_is_in_recovery()::text || ' ' || current_setting('transaction_read_only')" 2>/dev/null || true)
	[ -z "$t_prom" ] && [ "${st%% *}" = false ] && t_prom=$(ms)
	if [ "$st" = "false off" ]; then
		t_rw=$(ms)
		break
	fi
	sleep 0.05
done
[ -n "$t_rw" ] || fail "$new was not promoted and writable within 60 s ($st)"
echo "$new is out of recovery $(secs $((t_prom - t_kill))) s and writable $(secs $((t_rw - t_kill))) s after the kill"
for _ in $(seq 1 1200); do
	[ "$(acks_after "$new_port" "$t_rw")" -ge 1000 ] && break
	kill -0 "$cpid" 2>/dev/null || break
	sleep 0.05
done
touch "$STACK/acks.txt.stop"
wait "$cpid" || { cpid=""; fail "load client: $(cat "$STACK/client.out")"; }
cpid=""
cat "$STACK/client.out"

# --- did matchd survive and resume?
kill -0 "$mpid" 2>/dev/null ||
	fail "matchd (pid $mpid) died during the failover; see matchd.log above"
grep -q "journal connection re-established" "$STACK/matchd.log" ||
	fail "matchd's journal writer never reconnected"
t_rec=$(grep -m1 "journal connection re-established" "$STACK/matchd.log" | awk '{print $1}')
t_rec=$(date -d "$t_rec" +%s%3N)
# the first acknowledgement served by the new primary
first_after=$(awk -v p="$new_port" '$1 == "ACK" && $7 == p && (m == "" || $4 < m) {m = $4} END {if (m != "") printf "%.0f\n", int(m / 1e6)}' "$STACK/acks.txt")
after=$(awk -v p="$new_port" '$1 == "ACK" && $7 == p' "$STACK/acks.txt" | wc -l)
late=$(awk -v p="$new_port" -v k="$t_kill" '$1 == "ACK" && $7 != p && $4 / 1e6 > k' "$STACK/acks.txt" | wc -l)
[ -n "$first_after" ] ||
	fail "no order acknowledged after the kill (matchd did not resume); errors: $(awk '$1 == "ERR" {print $3}' "$STACK/acks.txt" | sort | uniq -c | tr '\n' ' ')"
echo "$after orders acknowledged by $new; $late answers of $old read after the kill (sent before it)"

# --- every acknowledgement in the new primary's journal, exactly once
awk '$1 == "ACK" {print $2 "\t" $5 "\t" $6}' "$STACK/acks.txt" >"$STACK/acks.tsv"
awk '$1 == "CANCELED" {print $2}' "$STACK/acks.txt" >"$STACK/cancels.tsv"
res=$(ha psql "$STACK" "$new" -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (order_id bigint, filled bigint, status text);
CREATE TEMP TABLE cancels (order_id bigint);
\copy acks FROM '$STACK/acks.tsv'
\copy cancels FROM '$STACK/cancels.tsv'
SELECT format('%s acks %s cancels; missing/duplicated %s; wrong fill %s; cancels missing %s; gapless %s; days agree %s',
  (SELECT count(*) FROM acks), (SELECT count(*) FROM cancels),
  (SELECT count(*) FROM acks a WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.kind = 'new_order' AND j.order_id = a.order_id) <> 1),
  (SELECT count(*) FROM acks a WHERE a.filled <> coalesce((SELECT sum(quantity) FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = a.order_id AND j.kind = 'trade'), 0)),
  (SELECT count(*) FROM cancels c WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.order_id = c.order_id AND j.kind = 'canceled' AND j.reason = 'user_cancel') <> 1),
  (SELECT count(DISTINCT seq) = max(seq) AND max(seq) = (SELECT last_seq FROM exchange.streams WHERE name = 'main')
     FROM exchange.journal),
  (SELECT sum(records) FROM exchange.journal_days) = (SELECT count(*) FROM exchange.journal));
SQL
) || fail "verification query"
echo "$res"
echo "$res" | grep -q 'missing/duplicated 0; wrong fill 0; cancels missing 0; gapless t; days agree t' ||
	fail "journal does not match the acknowledgements: $res"

# --- matchd's book equals a fresh replay of the new primary's journal
bash scripts/matchd.sh stop "$STACK" >/dev/null || fail "matchd did not stop cleanly"
h1=$(grep 'stopped cleanly' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*' || true)
bash scripts/matchd.sh start "$STACK" >/dev/null || fail "matchd restart after the failover"
h2=$(grep 'replayed' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*' || true)
if [ -z "$h1" ] || [ "$h1" != "$h2" ]; then
	fail "matchd's state ($h1) differs from a replay of the journal ($h2)"
fi

# --- the old primary rejoins as a synchronous standby with the same journal
t_rj=$(ms)
ha start "$STACK" >/dev/null || fail "$old did not rejoin"
rejoin=$(($(ms) - t_rj))
[ "$(ha primary "$STACK")" = "$new" ] || fail "the primary moved again during the rejoin"
sync=$(jq1 "$new" "SELECT sync_state FROM pg_stat_replication WHERE application_name LIKE 'pgautofailover_standby_%'")
[ "$sync" = quorum ] || [ "$sync" = sync ] || fail "$old is back but not synchronous ($sync)"
want=$(jq1 "$new" "SELECT count(*) || '/' || max(seq) FROM exchange.journal")
got=""
for _ in $(seq 1 100); do
	got=$(jq1 "$old" "SELECT count(*) || '/' || max(seq) FROM exchange.journal" 2>/dev/null || true)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
[ "$got" = "$want" ] || fail "rejoined $old has journal rows/last seq $got, the primary $want"

echo "CHAOS pg_failover_promotion $(secs $((t_prom - t_kill))) s"
echo "CHAOS pg_failover_writable $(secs $((t_rw - t_kill))) s"
echo "CHAOS pg_failover_matchd_reconnect $(secs $((t_rec - t_kill))) s"
echo "CHAOS pg_failover_order_rto $(secs $((first_after - t_kill))) s"
echo "CHAOS pg_failover_first_ack_after_writable $(secs $((first_after - t_rw))) s"
echo "CHAOS pg_failover_acks_before_kill $before orders"
echo "CHAOS pg_failover_acks_after_kill $after orders"
echo "CHAOS pg_failover_acks_lost 0 orders"
echo "CHAOS pg_failover_rejoin $(secs "$rejoin") s"
# the goal: the first order acknowledged within PGX_WRITABLE_RTO_MS (1 s) of
# the new primary accepting writes (matchd's reconnect back-off is the part
# of this that is ours)
[ $((first_after - t_rw)) -le "${PGX_WRITABLE_RTO_MS:-1000}" ] ||
	fail "first order acknowledged $(secs $((first_after - t_rw))) s after the new primary became writable (goal ${PGX_WRITABLE_RTO_MS:-1000} ms)"
echo "PASS $name"
