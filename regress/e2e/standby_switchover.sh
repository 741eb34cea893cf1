#!/usr/bin/env bash
# Clean switchover under load: leader a, standby b; CALL exchange.switchover
# hands the stream to b: a refuses new requests (PX043, retried by the
# extension at b), commits and answers what it holds, releases the lease and
# stands by from its own last seq; b leads at epoch + 1.  Then back to a (its
# state stayed hot and verified).  Every acknowledged order is in the journal
# exactly once, the brokers see no error at all (no PX041: a clean handover
# answers what it holds), the journal is gapless, and the last leader's state
# equals a fresh replay.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
# brokers with client order ids that resolve a fate-unknown order before resending
client=$(load_client) || fail "bench/order_load does not build"
threads=3
trap 'kill "${cpid:-0}" 2>/dev/null || true; for n in a b c; do matchd_node $n kill >/dev/null 2>&1 || true; done; stack_cleanup' EXIT
matchd_node a start --lease-ms 1000 >/dev/null || fail "leader a did not start"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL || fail "setup"
SET client_min_messages = warning;
CREATE ROLE crash_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('CRASH', 0.01, 1, 'USD', 100.00);
SELECT (exchange.open_account('CR' || lpad(i::text, 3, '0'), 'crash_broker', 'verified')).account FROM generate_series(0, $threads - 1) i;
SQL
stack_fund CRASH $(seq -f 'CR%03g' 0 $((threads - 1)))
matchd_node b start --standby --lease-ms 1000 >/dev/null || fail "standby b did not start"
wait_until 30 "standby b is not tailing a" grep -q 'standby: node "b" tailing' "$STACK/matchd-b.log"
# the client trades until told to stop (acks.txt.stop); each step below waits
# for acknowledgements from the node that leads now
"$client" --closed-loop --connections "$threads" --brokers crash_broker --symbols CRASH \
	--account-prefix CR --duration 300 \
	--fate-log "$STACK/acks.txt" --stop-file "$STACK/acks.txt.stop" >"$STACK/client.out" &
cpid=$!
# acked_after NS N: at least N orders acknowledged after wall-clock NS
acked_after() { [ "$(acks_since "$STACK/acks.txt" "$1")" -ge "$2" ]; }
wait_until 60 "no order acknowledged by leader a" acked_after 0 200
# a -> b with the procedure (it waits for the new leader), b -> a with
# request_switchover and a poll of matchd_leader (what the procedure does)
t0=$(date +%s%3N)
out=$(psql -X -Atq -v ON_ERROR_STOP=1 -c "CALL exchange.switchover('main', 'b', 10000)" 2>&1) ||
	fail "CALL exchange.switchover to b: $out"
echo "$out" | grep -q 'is led by node "b"' || fail "switchover to b said: $out"
[ "$(q "SELECT node || ' ' || lease_state FROM exchange.matchd_leader('main')")" = "b held" ] ||
	fail "after CALL switchover: $(q "SELECT * FROM exchange.matchd_leader('main')")"
echo "switchover to b (CALL): $out; $(($(date +%s%3N) - t0)) ms"
now=$(date +%s%N)
wait_until 60 "no order acknowledged by the new leader b" acked_after "$now" 200
t0=$(date +%s%3N)
out=$(q "SELECT exchange.request_switchover('main', 'a')" 2>&1) || fail "switchover to a: $out"
for _ in $(seq 500); do
	leader=$(q "SELECT node || ' ' || lease_state FROM exchange.matchd_leader('main')")
	[ "$leader" = "a held" ] && break
	sleep 0.01
done
[ "$leader" = "a held" ] || fail "after the switchover to a: $leader"
echo "switchover to a: led by a after $(($(date +%s%3N) - t0)) ms"
now=$(date +%s%N)
wait_until 60 "no order acknowledged by a after the switch back" acked_after "$now" 200
touch "$STACK/acks.txt.stop"
wait "$cpid" || fail "client failed"
cat "$STACK/client.out"
# a planned handover answers every request: no fate unknown (PX041), no error
grep -q ' 0 fate unknown .*), 0 other errors, ' "$STACK/client.out" ||
	fail "the brokers saw errors in a planned switchover: $(cat "$STACK/client.out")"
grep -q "switchover: handed the stream over" "$STACK/matchd-a.log" || fail "a did not hand over"
grep -q "switchover: handed the stream over" "$STACK/matchd-b.log" || fail "b did not hand back"
grep -q "standby: node \"a\" tailing" "$STACK/matchd-a.log" || fail "a did not stand by after handing over"
roles=$(q "SELECT string_agg(node || ':' || role || ':' || alive, ' ' ORDER BY node) FROM exchange.matchd_nodes('main')")
echo "members: $roles"
[ "$roles" = "a:leader:true b:standby:true" ] || fail "members after switching back: $roles"

awk '$1 == "ACK" {print $2 "\t" $3}' "$STACK/acks.txt" >"$STACK/acks.tsv"
res=$(psql -X -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (order_id bigint, clordid text);
\copy acks FROM '$STACK/acks.tsv'
SELECT format('%s acks; missing/duplicated %s; gapless %s; epochs %s',
  (SELECT count(*) FROM acks),
  (SELECT count(*) FROM acks a WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.kind = 'new_order' AND j.order_id = a.order_id) <> 1),
  (SELECT count(DISTINCT seq) = max(seq) AND max(seq) = (SELECT last_seq FROM exchange.streams WHERE name = 'main')
     FROM exchange.journal),
  (SELECT string_agg(DISTINCT epoch::text, ',') FROM exchange.journal));
SQL
) || fail "verification query"
echo "$res"
echo "$res" | grep -q 'missing/duplicated 0; gapless t; epochs 1,2,3' || fail "journal: $res"

matchd_node b stop >/dev/null
matchd_node a stop >/dev/null || fail "a did not stop cleanly"
h1=$(grep 'stopped cleanly' "$STACK/matchd-a.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
matchd_node c start --replay-from-start >/dev/null || fail "c did not start"
h2=$(grep 'replayed' "$STACK/matchd-c.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "a's state ($h1) differs from a fresh replay ($h2)"
matchd_node c stop >/dev/null
sanitizer_clean
echo "ok standby_switchover: a -> b -> a under load; $res"
