#!/usr/bin/env bash
# Crash drill: clients keep trading while matchd is killed with SIGKILL again
# and again, and PostgreSQL is restarted under load.  Afterwards every
# acknowledged order and cancel is in the journal exactly once with what the
# acknowledgement said, the journal is gapless, and the book matchd ended
# with equals a fresh replay of the journal (state hash).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
client=$(load_client) || fail "bench/order_load does not build"
threads=4
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL || fail "setup"
SET client_min_messages = warning;
CREATE ROLE crash_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('CRASH', 0.01, 1, 'USD', 100.00);
SELECT (exchange.open_account('CR' || lpad(i::text, 3, '0'), 'crash_broker', 'verified')).account FROM generate_series(0, $threads - 1) i;
SQL
stack_fund CRASH $(seq -f 'CR%03g' 0 $((threads - 1)))

seed=${PGX_SEED:-$RANDOM}
echo "crash_recovery seed $seed (PGX_SEED to repeat)"
RANDOM=$seed
# the brokers trade (a quarter of their calls cancel a resting order) until
# the drill is over (the stop file below; 300 s at the most)
"$client" --closed-loop --connections "$threads" --brokers crash_broker --symbols CRASH \
	--account-prefix CR --cancel-pct 25 --duration 300 \
	--fate-log "$STACK/acks.txt" --stop-file "$STACK/acks.txt.stop" >"$STACK/client.out" &
cpid=$!
trap 'kill -KILL $cpid 2>/dev/null || true; stack_cleanup' EXIT
# wait_seq_past N WHAT: the journal grows past seq N within 60 s (orders are
# being acknowledged again), else the test fails with WHAT
wait_seq_past() {
	local seq
	for _ in $(seq 600); do
		seq=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'" 2>/dev/null || echo 0)
		[ "${seq:-0}" -gt "$1" ] && return 0
		sleep 0.1
	done
	fail "$2 (journal still at seq ${seq:-?})"
}
wait_seq_past 0 "no order was sequenced at all"
kills=0
for _ in 1 2 3 4 5 6; do
	sleep "0.$((RANDOM % 9 + 1))"
	before=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")
	matchd_kill
	kills=$((kills + 1))
	matchd_start || fail "restart after kill -9"
	wait_seq_past "$before" "matchd serves nothing after restart $kills"
done
echo "restarting PostgreSQL under load"
bash "$top/scripts/cluster.sh" stop "$STACK" >/dev/null
bash "$top/scripts/cluster.sh" start "$STACK" >/dev/null
# the journal writer finds its connection gone at its next append, reconnects
# and says so; orders are acknowledged again after that
for _ in $(seq 600); do
	grep -q "journal connection re-established" "$STACK/matchd.log" && break
	sleep 0.1
done
grep -q "journal connection re-established" "$STACK/matchd.log" ||
	fail "matchd never re-established its journal connection after the PostgreSQL restart"
before=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")
wait_seq_past "$before" "matchd never came back after the PostgreSQL restart"
touch "$STACK/acks.txt.stop"
wait "$cpid" || fail "client failed: $(cat "$STACK/client.out")"
cat "$STACK/client.out"
grep -q '^ACK' "$STACK/acks.txt" || fail "no acknowledgements at all"
grep -Eq ', [1-9][0-9]* reconnects$' "$STACK/client.out" ||
	fail "the clients never lost their PostgreSQL connection: the restart did not happen under load"

# ACK order_id client_order_id ns filled status port
awk '$1 == "ACK" {print $2 "\t" $5 "\t" $6}' "$STACK/acks.txt" >"$STACK/acks.tsv"
awk '$1 == "CANCELED" {print $2}' "$STACK/acks.txt" >"$STACK/cancels.tsv"
res=$(psql -X -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (order_id bigint, filled bigint, status text);
CREATE TEMP TABLE cancels (order_id bigint);
-- the one stream of this stack (id 1): lets the seq lookups use the primary key
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

# the book matchd holds after all that equals a fresh replay of the journal
matchd_stop
h1=$(grep 'stopped cleanly' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
matchd_start
h2=$(grep 'replayed' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "book after recovery ($h1) differs from a fresh replay ($h2)"
sanitizer_clean
echo "ok crash_recovery: $kills kills of matchd and a PostgreSQL restart under load; $h1"
