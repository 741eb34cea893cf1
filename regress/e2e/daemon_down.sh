#!/usr/bin/env bash
# matchd down or stuck: order functions fail within their timeout with a clear
# SQLSTATE, statement_timeout interrupts the wait, no backend is left hanging,
# and service resumes when matchd does.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market down_broker DOWN D1
order="SELECT status FROM exchange.submit_order('D1', 'DOWN', 'buy', 1, 1.00)"

# try SQL...: prints the SQLSTATE (or ok) and the elapsed milliseconds
try() {
	local t0 t1 out
	t0=$(date +%s%N)
	out=$(psql -X -Atq -U down_broker -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate "$@" 2>&1) && out=ok
	t1=$(date +%s%N)
	echo "$(echo "$out" | grep -oE 'ok|[0-9A-Z]{5}' | tail -1) $(((t1 - t0) / 1000000))"
}

matchd_stop
read -r st ms < <(try -c "$order")
echo "daemon down: $st in $ms ms"
[ "$st" = PX040 ] || fail "daemon down gave $st, not PX040"
[ "$ms" -lt 3000 ] || fail "daemon down took $ms ms"

matchd_start
pid=$(cat "$STACK/matchd.pid")
kill -STOP "$pid"
read -r st ms < <(try -c "SET exchange.matchd_timeout = 500" -c "$order")
echo "daemon stuck, timeout 500 ms: $st in $ms ms"
[ "$st" = PX041 ] || { kill -CONT "$pid"; fail "stuck daemon gave $st, not PX041"; }
[ "$ms" -ge 450 ] && [ "$ms" -lt 3000 ] || { kill -CONT "$pid"; fail "timeout took $ms ms"; }

read -r st ms < <(try -c "SET statement_timeout = 300" -c "$order")
echo "daemon stuck, statement_timeout 300 ms: $st in $ms ms"
[ "$st" = 57014 ] || { kill -CONT "$pid"; fail "statement_timeout gave $st, not 57014"; }
[ "$ms" -lt 3000 ] || { kill -CONT "$pid"; fail "cancel took $ms ms"; }

stuck=$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%submit_order%' AND pid <> pg_backend_pid()")
kill -CONT "$pid"
[ "$stuck" = 0 ] || fail "$stuck backends still waiting on matchd"

read -r st ms < <(try -c "$order" -c "$order")
echo "daemon back: $st in $ms ms"
[ "$st" = ok ] || fail "after SIGCONT: $st"
sanitizer_clean
echo "ok daemon_down"
