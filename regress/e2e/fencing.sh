#!/usr/bin/env bash
# A second matchd on the same stream fences the first: the first's next append
# is rejected as stale (PX001), it exits without acknowledging, the order it
# held is reported as of unknown fate and is not in the journal; the second
# serves.  Both run with --force-take-over (take_over_stream, no lease): with
# a lease the first would learn of the take-over from its next renewal and
# exit before the order arrives (standby_zombie.sh covers that path).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start --force-take-over
stack_market fence_broker FENCE F1
first=$(cat "$STACK/matchd.pid")
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u pgexchange -- "$@"; else "$@"; fi; }
as_owner "$STACK/bin/matchd" --socket "$PGHOST/matchd-b.sock" \
	--conninfo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=matchd" --force-take-over \
	--pidfile "$STACK/matchd-b.pid" >"$STACK/matchd-b.log" 2>&1 &
# $! is runuser's pid under root, not matchd's: the pid file names the daemon
# (stack_cleanup kills it in any case: it runs from $STACK/bin)
disown $!
for _ in $(seq 300); do [ -S "$PGHOST/matchd-b.sock" ] && [ -s "$STACK/matchd-b.pid" ] && break; sleep 0.1; done
[ -S "$PGHOST/matchd-b.sock" ] || fail "second matchd did not start: $(cat "$STACK/matchd-b.log")"

out=$(psql -X -Atq -U fence_broker -v VERBOSITY=sqlstate \
	-c "SELECT status FROM exchange.submit_order('F1', 'FENCE', 'buy', 1, 1.00)" 2>&1 || true)
echo "order through the fenced matchd: $out"
echo "$out" | grep -q PX041 || fail "expected PX041 from the fenced matchd, got: $out"
for _ in $(seq 50); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
kill -0 "$first" 2>/dev/null && fail "the fenced matchd is still running"
grep -q "fenced off" "$STACK/matchd.log" || fail "the fenced matchd did not say why it stopped"
n=$(q "SELECT count(*) FROM exchange.journal WHERE account = 'F1' AND kind = 'new_order'")
[ "$n" = 0 ] || fail "the fenced matchd's order reached the journal ($n)"

q "ALTER SYSTEM SET exchange.matchd_socket = '$PGHOST/matchd-b.sock'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
out=$(psql -X -Atq -U fence_broker -c "SELECT status FROM exchange.submit_order('F1', 'FENCE', 'buy', 1, 1.00)" 2>&1)
[ "$out" = new ] || fail "the new matchd does not serve: $out"
sanitizer_clean
echo "ok fencing"
