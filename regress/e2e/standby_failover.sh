#!/usr/bin/env bash
# Hot standby and automatic failover: leader a and standby b (--standby) on
# one stream; clients trade through a; b replays the journal as it commits
# (verified byte for byte) and reports its lag in exchange.stream_members.
# kill -9 of a: b sees the lease open (a's sessions are gone), acquires it
# with epoch + 1, replays the rest and serves.  The RTO is measured from the
# kill to the first order acknowledged through b.  Afterwards every
# acknowledged order is in the journal exactly once with what its
# acknowledgement said, the journal is gapless, and the state b ended with
# equals a fresh --replay-from-start of the journal (both hashes).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
client=$(load_client) || fail "bench/order_load does not build"
threads=3
ms() { date +%s%3N; }
trap 'kill "${cpid:-0}" 2>/dev/null || true; for n in a b c; do matchd_node $n kill >/dev/null 2>&1 || true; done; stack_cleanup' EXIT

matchd_node a start --lease-ms 1000 >/dev/null || fail "leader a did not start"
# exchange.matchd_socket stays empty: the extension finds the leader by its lease
[ -z "$(q "SELECT coalesce(current_setting('exchange.matchd_socket', true), '')")" ] || fail "exchange.matchd_socket is set"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL || fail "setup"
SET client_min_messages = warning;
CREATE ROLE crash_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('CRASH', 0.01, 1, 'USD', 100.00);
SELECT (exchange.open_account('CR' || lpad(i::text, 3, '0'), 'crash_broker', 'verified')).account FROM generate_series(0, $threads - 1) i;
SQL
stack_fund CRASH $(seq -f 'CR%03g' 0 $((threads - 1)))
matchd_node b start --standby --lease-ms 1000 >/dev/null || fail "standby b did not start"
[ -S "$PGHOST/matchd-b.sock" ] && fail "the standby opened its socket"

# the brokers trade (a quarter of their calls cancel a resting order) until
# the drill is over (the stop file below; 300 s at the most)
"$client" --closed-loop --connections "$threads" --brokers crash_broker --symbols CRASH \
	--account-prefix CR --cancel-pct 25 --duration 300 \
	--fate-log "$STACK/acks.txt" --stop-file "$STACK/acks.txt.stop" >"$STACK/client.out" &
cpid=$!
# the standby keeps up and says so (within 30 s, however busy the machine)
for _ in $(seq 300); do
	lagrow=$(q "SELECT role || ' ' || applied_seq || ' ' || lag_events || ' ' || coalesce(apply_delay_ms, -1)
	              || ' ' || (alive AND heartbeat_at > now() - interval '2 s') FROM exchange.matchd_nodes('main') WHERE node = 'b'")
	set -- $lagrow
	[ "${1:-}" = standby ] && [ "${2:-0}" -gt 100 ] && [ "${5:-}" = true ] &&
		grep -q "standby: applied seq" "$STACK/matchd-b.log" && break
	sleep 0.1
done
echo "standby b while trading (role applied_seq lag_events apply_delay_ms fresh): $lagrow"
set -- $lagrow
[ "${1:-}" = standby ] && [ "${2:-0}" -gt 0 ] && [ "${5:-}" = true ] || fail "no fresh lag report from b: $lagrow"
grep -q "standby: applied seq" "$STACK/matchd-b.log" || fail "b does not log its lag"

t0=$(ms)
matchd_node a kill >/dev/null
for _ in $(seq 300); do [ -S "$PGHOST/matchd-b.sock" ] && break; sleep 0.01; done
[ -S "$PGHOST/matchd-b.sock" ] || fail "b did not take over within 3 s: $(tail -5 "$STACK/matchd-b.log")"
t_ready=$(ms)
for _ in $(seq 500); do
	out=$(psql -X -Atq -U crash_broker -c "SELECT status FROM exchange.submit_order('CR000', 'CRASH', 'buy', 1, 98.00)" 2>"$STACK/rto.err") && break
	sleep 0.01
done
t1=$(ms)
[ -n "$out" ] || fail "no order acknowledged through b: $(cat "$STACK/rto.err"; tail -5 "$STACK/matchd-b.log")"
failover=$(grep -o 'failover time (lease seen open to ready) [0-9.]* ms' "$STACK/matchd-b.log" | grep -o '[0-9.]* ms')
echo "RTO: kill -9 of a to the first order acknowledged through b: $((t1 - t0)) ms (socket ready after $((t_ready - t0)) ms; b's failover time $failover)"
echo "RTO_MS $((t1 - t0)) READY_MS $((t_ready - t0)) FAILOVER $failover"
# orders flow through b (not only the one above) before the drill ends
before=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")
for _ in $(seq 300); do
	[ "$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")" -gt $((before + 100)) ] && break
	sleep 0.1
done
touch "$STACK/acks.txt.stop"
wait "$cpid" || fail "client failed"
cat "$STACK/client.out"
grep -q "took over as the leader at epoch" "$STACK/matchd-b.log" || fail "b did not log its take-over"

# ACK order_id client_order_id ns filled status port
awk '$1 == "ACK" {print $2 "\t" $5 "\t" $6}' "$STACK/acks.txt" >"$STACK/acks.tsv"
awk '$1 == "CANCELED" {print $2}' "$STACK/acks.txt" >"$STACK/cancels.tsv"
res=$(psql -X -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (order_id bigint, filled bigint, status text);
CREATE TEMP TABLE cancels (order_id bigint);
\copy acks FROM '$STACK/acks.tsv'
\copy cancels FROM '$STACK/cancels.tsv'
SELECT format('%s acks %s cancels; missing/duplicated %s; wrong fill %s; cancels missing %s; gapless %s; epochs %s',
  (SELECT count(*) FROM acks), (SELECT count(*) FROM cancels),
  (SELECT count(*) FROM acks a WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.kind = 'new_order' AND j.order_id = a.order_id) <> 1),
  (SELECT count(*) FROM acks a WHERE a.filled <> coalesce((SELECT sum(quantity) FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = a.order_id AND j.kind = 'trade'), 0)),
  (SELECT count(*) FROM cancels c WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.order_id = c.order_id AND j.kind = 'canceled' AND j.reason = 'user_cancel') <> 1),
  (SELECT count(DISTINCT seq) = max(seq) AND max(seq) = (SELECT last_seq FROM exchange.streams WHERE name = 'main')
     FROM exchange.journal),
  (SELECT string_agg(DISTINCT epoch::text, ',') FROM exchange.journal));
SQL
) || fail "verification query"
echo "$res"
echo "$res" | grep -q 'missing/duplicated 0; wrong fill 0; cancels missing 0; gapless t; epochs 1,2' ||
	fail "journal does not match the acknowledgements: $res"
n=$(grep -c '^ACK' "$STACK/acks.txt")
[ "$n" -gt 50 ] || fail "too few acknowledgements ($n)"

# b's state equals a fresh replay of the whole journal
matchd_node b stop >/dev/null || fail "b did not stop cleanly"
grep -q "released the lease" "$STACK/matchd-b.log" || fail "b did not release its lease at SIGTERM"
h1=$(grep 'stopped cleanly' "$STACK/matchd-b.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
matchd_node c start --replay-from-start >/dev/null || fail "c did not start after b's release: $(tail -3 "$STACK/matchd-c.log")"
h2=$(grep 'replayed' "$STACK/matchd-c.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "b's state ($h1) differs from a fresh replay ($h2)"
matchd_node c stop >/dev/null
sanitizer_clean
echo "ok standby_failover: $n acknowledged orders, RTO $((t1 - t0)) ms; $h1"
