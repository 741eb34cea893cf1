#!/usr/bin/env bash
# A zombie leader: a is SIGSTOPped past its lease; standby b sees the lease
# expire (database clock), takes over at epoch + 1 and serves.  A request sent
# to a while it was stopped never succeeds; after SIGCONT a exits with status
# 3 (fenced: its renewal is refused) and no journal row carries its epoch
# after the seq b took over at.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u pgexchange -- "$@"; else "$@"; fi; }
trap 'kill -CONT "${apid:-0}" "${parent:-0}" 2>/dev/null || true; kill -KILL "${apid:-0}" 2>/dev/null || true; matchd_node b kill >/dev/null 2>&1 || true; stack_cleanup' EXIT

# a runs as a child of this script, so that its exit status can be checked
matchd_node a setup >/dev/null
mkdir -p "$STACK/bin"
install -m 0755 "${PGX_MATCHD_BIN:-$top/daemon/build/bin/matchd}" "$STACK/bin/matchd"
[ "$(id -u)" -eq 0 ] && chown pgexchange: "$STACK/bin" "$STACK" && touch "$STACK/matchd-a.log" && chown pgexchange: "$STACK/matchd-a.log"
as_owner "$STACK/bin/matchd" --node a --socket "$PGHOST/matchd-a.sock" --lease-ms 1000 \
	--conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=matchd" \
	--pidfile "$STACK/matchd-a.pid" >>"$STACK/matchd-a.log" 2>&1 &
runner=$!
for _ in $(seq 300); do [ -S "$PGHOST/matchd-a.sock" ] && [ -f "$STACK/matchd-a.pid" ] && break; sleep 0.1; done
[ -S "$PGHOST/matchd-a.sock" ] || fail "a did not start: $(cat "$STACK/matchd-a.log")"
apid=$(cat "$STACK/matchd-a.pid")
parent=$(ps -o ppid= -p "$apid" | tr -d ' ') # runuser (as root), or the subshell
stack_market zb_broker ZOMB Z1 Z2
matchd_node b start --standby --lease-ms 1000 >/dev/null || fail "standby b did not start"
out=$(psql -X -Atq -U zb_broker -c "SELECT status FROM exchange.submit_order('Z1', 'ZOMB', 'buy', 1, 1.00)" 2>&1)
[ "$out" = new ] || fail "a does not serve: $out"
old_epoch=$(q "SELECT epoch FROM exchange.streams WHERE name = 'main'")

kill -STOP "$apid"
t0=$(date +%s%3N)
# a request to the zombie itself (its socket named explicitly), from Z2 only
psql -X -Atq -v VERBOSITY=sqlstate -c "LOAD 'exchange'" \
	-c "SET exchange.matchd_socket = '$PGHOST/matchd-a.sock'" -c "SET exchange.matchd_timeout = 10000" \
	-c "SET ROLE zb_broker" \
	-c "SELECT status FROM exchange.submit_order('Z2', 'ZOMB', 'buy', 1, 1.00)" >"$STACK/zombie.out" 2>&1 &
zreq=$!
for _ in $(seq 500); do [ -S "$PGHOST/matchd-b.sock" ] && break; sleep 0.01; done
[ -S "$PGHOST/matchd-b.sock" ] || fail "b did not take over: $(tail -5 "$STACK/matchd-b.log")"
echo "b took over $(($(date +%s%3N) - t0)) ms after a was stopped (lease 1000 ms)"
takeover=$(grep -o 'acquired the lease .* last seq [0-9]*' "$STACK/matchd-b.log" | tail -1 | grep -o '[0-9]*$')
new_epoch=$(q "SELECT epoch FROM exchange.streams WHERE name = 'main'")
[ "$new_epoch" -gt "$old_epoch" ] || fail "the epoch did not move ($old_epoch -> $new_epoch)"
for _ in $(seq 100); do
	out=$(psql -X -Atq -U zb_broker -c "SELECT status FROM exchange.submit_order('Z1', 'ZOMB', 'buy', 1, 1.00)" 2>&1) && break
	sleep 0.02
done
[ "$out" = new ] || fail "b does not serve: $out"

kill -CONT "$apid"
# runuser stops itself when its child stops (job control): wake it too
kill -CONT "$parent" 2>/dev/null || true
status=0
wait "$runner" || status=$?
wait "$zreq" || true
echo "a after SIGCONT: exit status $status; $(grep -m1 -o 'fenced off.*' "$STACK/matchd-a.log" | cut -c1-100)"
[ "$status" = 3 ] || fail "the zombie exited with $status, not 3: $(tail -5 "$STACK/matchd-a.log")"
echo "the request sent to the zombie: $(tr '\n' ' ' <"$STACK/zombie.out")"
grep -qE 'PX043|PX041|PX040' "$STACK/zombie.out" || fail "the request to the zombie did not fail as expected: $(cat "$STACK/zombie.out")"
grep -qx 'new' "$STACK/zombie.out" && fail "the zombie acknowledged an order"
n=$(q "SELECT count(*) FROM exchange.journal WHERE epoch = $old_epoch AND seq > $takeover")
[ "$n" = 0 ] || fail "$n journal rows of the old epoch after seq $takeover"
n=$(q "SELECT count(*) FROM exchange.journal WHERE account = 'Z2' AND kind = 'new_order'")
[ "$n" = 0 ] || fail "the zombie's order reached the journal ($n rows)"
sanitizer_clean
echo "ok standby_zombie: epoch $old_epoch -> $new_epoch at seq $takeover; the zombie exited 3"
