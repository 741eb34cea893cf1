#!/usr/bin/env bash
# Chaos drill: kill -9 the leading matchd again and again (PGX_KILLS, default
# 20) at random moments while brokers trade, with a hot standby taking over
# each time and the killed node coming back as the next standby.
#
# Checks, after the run:
#   - every order acknowledged to a broker is in the journal exactly once,
#     under its client order id; no client order id was accepted twice (the
#     brokers resend an order whose fate was unknown only when
#     exchange.client_order() does not have it);
#   - the journal is gapless; each kill moved the lease to the other node at
#     a higher epoch;
#   - the state the last leader ends with equals a fresh replay of the whole
#     journal (state and order-manager hashes);
#   - RTO: from each kill (wall clock) to the first acknowledgement of an
#     order the next leader sequenced; every one within PGX_RTO_MS (default
#     1000).
# Prints CHAOS lines with the figures and ends with PASS or FAIL.
# shellcheck disable=SC1091
. "$(dirname "$0")/../e2e/lib/stack.sh"
name=matchd_failover
kills=${PGX_KILLS:-20}
rto_goal=${PGX_RTO_MS:-1000}
threads=${PGX_THREADS:-4}
lease_ms=${PGX_LEASE_MS:-1000}
fail() {
	echo "FAIL $name: $*"
	for n in a b c; do
		[ -f "$STACK/matchd-$n.log" ] && { echo "--- matchd-$n.log"; tail -15 "$STACK/matchd-$n.log"; }
	done
	exit 1
}
# the release build: RTO is a property of the daemon, not of the sanitizers
unset PGX_MATCHD_BIN
stack_up
make -s -C "$top/daemon" matchd >/dev/null

node() { # node NAME start|kill|stop [flags]
	local n=$1 cmd=$2
	shift 2
	PGX_MATCHD_NODE=$n bash "$top/scripts/matchd.sh" "$cmd" "$STACK" "$@" >/dev/null
}
leader() { q "SELECT coalesce(node, '') || ' ' || epoch || ' ' || lease_state FROM exchange.matchd_leader('main')"; }

node a start --lease-ms "$lease_ms" || fail "leader a did not start"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL || fail "setup"
SET client_min_messages = warning;
CREATE ROLE ha_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('HAX', 0.01, 1, 'USD', 100.00);
SELECT (exchange.open_account('HA' || lpad(i::text, 3, '0'), 'ha_broker', 'verified')).account FROM generate_series(0, $threads - 1) i;
SQL
stack_fund HAX $(seq -f 'HA%03g' 0 $((threads - 1)))
[ -z "$(q "SELECT coalesce(current_setting('exchange.matchd_socket', true), '')")" ] || fail "exchange.matchd_socket is set: the brokers would not follow the leader"
node b start --standby --lease-ms "$lease_ms" || fail "standby b did not start"

# a standby is hot when it reported itself alive and less than a second behind
wait_hot() { # NODE
	for _ in $(seq 1 300); do
		[ "$(q "SELECT count(*) FROM exchange.matchd_nodes('main') WHERE node = '$1' AND role = 'standby' AND alive AND lag_ms < 1000")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
wait_hot b || fail "standby b never caught up"

client=$(load_client) || fail "bench/order_load does not build"
seed=${PGX_SEED:-$RANDOM}
echo "$name seed $seed (PGX_SEED to repeat), $kills kills, lease $lease_ms ms, $threads brokers"
RANDOM=$seed
# the client trades until the stop file (acks.txt.stop) or 2 hours: a long
# drill outlasts any fixed duration (100 kills, each restart replaying the day)
"$client" --closed-loop --connections "$threads" --brokers ha_broker --symbols HAX \
	--account-prefix HA --duration 7200 \
	--fate-log "$STACK/acks.txt" --stop-file "$STACK/acks.txt.stop" >"$STACK/client.out" 2>&1 &
cpid=$!
# acked_after NS N: at least N orders acknowledged after wall-clock NS
acked_after() { [ "$(acks_since "$STACK/acks.txt" "$1")" -ge "$2" ]; }
wait_acked() { # NS N WHAT
	for _ in $(seq 1 1200); do
		acked_after "$1" "$2" && return 0
		sleep 0.05
	done
	fail "$3"
}
wait_acked 0 100 "no order acknowledged before the first kill"
: >"$STACK/kills.txt"
for i in $(seq 1 "$kills"); do
	sleep "0.$((RANDOM % 8 + 2))"
	read -r old old_epoch _ <<<"$(leader)"
	[ -n "$old" ] || fail "kill $i: nobody leads"
	new=$([ "$old" = a ] && echo b || echo a)
	pid=$(PGX_MATCHD_NODE=$old bash "$top/scripts/matchd.sh" pid "$STACK")
	# the clock is read right at the kill: acknowledgements before it are the old leader's
	t_kill=$(date +%s%N)
	kill -KILL "$pid"
	node "$old" kill # waits until it is gone
	echo "$t_kill $old $old_epoch" >>"$STACK/kills.txt"
	for _ in $(seq 1 200); do
		read -r who epoch state <<<"$(leader)"
		[ "$who" = "$new" ] && [ "$epoch" -gt "$old_epoch" ] && [ "$state" = held ] && break
		sleep 0.05
	done
	[ "$who" = "$new" ] || fail "kill $i: $new did not take over from $old ($who $epoch $state)"
	node "$old" start --standby --lease-ms "$lease_ms" || fail "kill $i: $old did not come back as a standby"
	wait_hot "$old" || fail "kill $i: $old did not catch up as the standby"
done
wait_acked "$(date +%s%N)" 100 "no order acknowledged after the last failover"
touch "$STACK/acks.txt.stop"
wait "$cpid" || fail "client failed: $(cat "$STACK/client.out")"
cat "$STACK/client.out"

# ---- the journal against what the brokers were told ------------------------------------
awk '$1 == "ACK" {print $2 "\t" $3 "\t" $4}' "$STACK/acks.txt" >"$STACK/acks.tsv"
awk '$1 == "FOUND" {print $2 "\t" $3}' "$STACK/acks.txt" >"$STACK/found.tsv"
res=$(psql -X -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (order_id bigint, clordid text, ns bigint);
CREATE TEMP TABLE found (order_id bigint, clordid text);
CREATE TEMP TABLE kills (ns bigint, node text, epoch bigint);
\copy acks FROM '$STACK/acks.tsv'
\copy found FROM '$STACK/found.tsv'
\copy kills FROM '$STACK/kills.txt' WITH (DELIMITER ' ')
SELECT format('acks %s; missing/duplicated %s; wrong client id %s; found missing %s; client ids accepted twice %s; gapless %s',
  (SELECT count(*) FROM acks),
  (SELECT count(*) FROM acks a WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = a.order_id AND j.idx = 0 AND j.kind = 'new_order') <> 1),
  (SELECT count(*) FROM acks a WHERE NOT EXISTS (SELECT 1 FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = a.order_id AND j.idx = 0 AND j.client_order_id = a.clordid)),
  (SELECT count(*) FROM found f WHERE NOT EXISTS (SELECT 1 FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = f.order_id AND j.idx = 0 AND j.client_order_id = f.clordid)),
  (SELECT count(*) FROM (SELECT j.account, j.client_order_id FROM exchange.journal j
       JOIN exchange.journal e ON e.stream = j.stream AND e.seq = j.seq AND e.idx = 1
      WHERE j.kind = 'new_order' AND j.client_order_id IS NOT NULL AND e.kind <> 'rejected'
      GROUP BY 1, 2 HAVING count(*) > 1) d),
  (SELECT count(DISTINCT seq) = max(seq) AND max(seq) = (SELECT last_seq FROM exchange.streams WHERE name = 'main')
     FROM exchange.journal));
-- RTO: each kill to the first acknowledgement of an order the next leader
-- sequenced (a later epoch: an answer the old leader sent just before the kill
-- may still be read after it)
SELECT 'RTO ' || string_agg(rto::text, ' ' ORDER BY k.ns) FROM (
  SELECT k.ns, ((SELECT min(a.ns) FROM acks a JOIN exchange.journal j
                   ON j.stream = 1 AND j.seq = a.order_id AND j.idx = 0
                  WHERE a.ns > k.ns AND j.epoch > k.epoch) - k.ns) / 1000000 AS rto
    FROM kills k) k;
SQL
) || fail "verification query"
echo "$res" | head -1
echo "$res" | head -1 | grep -q 'missing/duplicated 0; wrong client id 0; found missing 0; client ids accepted twice 0; gapless t' ||
	fail "journal does not match the acknowledgements: $res"
rtos=$(echo "$res" | sed -n 's/^RTO //p')
[ "$(echo "$rtos" | wc -w)" -eq "$kills" ] || fail "no acknowledgement after some kill: RTO '$rtos'"
sorted=$(echo "$rtos" | tr ' ' '\n' | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(echo "$sorted" | tail -1)
over=$(echo "$sorted" | awk -v g="$rto_goal" '$1 > g' | wc -l)
echo "RTO per kill (ms): $rtos"
echo "CHAOS matchd_failover_kills $kills count"
echo "CHAOS matchd_failover_rto_median $median ms"
echo "CHAOS matchd_failover_rto_max $max ms"
echo "CHAOS matchd_failover_rto_over_goal $over count"
echo "CHAOS matchd_failover_acks $(grep -c '^ACK' "$STACK/acks.txt") count"
echo "CHAOS matchd_failover_fate_unknown $(grep -c '^UNKNOWN' "$STACK/acks.txt") count"
grep -h "failover time" "$STACK"/matchd-*.log | grep -oE 'to ready\) [0-9.]+ ms' | grep -oE '[0-9.]+' | sort -n >"$STACK/takeover.txt" || true
[ -s "$STACK/takeover.txt" ] &&
	echo "CHAOS matchd_failover_takeover_median $(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$STACK/takeover.txt") ms"
[ "$over" -eq 0 ] || fail "$over of $kills failovers took longer than $rto_goal ms (max $max ms)"

# ---- the last leader's state equals a fresh replay --------------------------------------
read -r last _ <<<"$(leader)"
other=$([ "$last" = a ] && echo b || echo a)
node "$other" stop
node "$last" stop
h1=$(grep 'stopped cleanly' "$STACK/matchd-$last.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
node c start --replay-from-start --lease-ms "$lease_ms" || fail "fresh replay did not start"
h2=$(grep 'replayed' "$STACK/matchd-c.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
node c stop
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "the last leader's state ($h1) differs from a fresh replay ($h2)"
echo "PASS $name: $kills kills, RTO median $median ms, max $max ms; $h1"
