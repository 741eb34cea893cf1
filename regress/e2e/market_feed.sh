#!/usr/bin/env bash
# The UDP market-data feed end to end: pgx-feedsub joins before matchd starts,
# a random run of orders, cancels and amends goes through SQL, and the book the
# subscriber rebuilt from the packets alone equals exchange.order_book_l3, order
# for order in queue order; again after a restart of matchd (a new feed session
# that continues the journal without a gap).  Unicast on loopback: every
# subscriber of a multicast group gets the same packet (docs/market-data-feed.md).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
bin=$top/daemon/build/bin/pgx-feedsub
[ "${PGX_MATCHD_BIN:-}" = daemon/build/asan/bin/matchd ] && bin=$top/daemon/build/asan/bin/pgx-feedsub
make -s -C "$top/daemon" "${bin#"$top"/daemon/}" >/dev/null
addr=127.0.0.1:$((20000 + RANDOM % 20000))
seed=${PGX_SEED:-$RANDOM}
echo "seed $seed (PGX_SEED to repeat), feed $addr"

"$bin" --dump "$STACK/book.txt" "$addr" >"$STACK/feed.log" 2>"$STACK/feedsub.err" &
sub=$!
matchd_start --feed "$addr"
stack_market fb_broker FEEDX F1 F2 F3
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -f regress/e2e/lib/random_orders.sql || fail "setup"

# the subscriber's book once it has every batch up to the journal's last seq
same_book() { # what
	local last js
	last=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")
	for _ in $(seq 100); do
		kill -USR1 "$sub"
		sleep 0.1
		js=$(sed -n 's/.*journal seq \([0-9-]*\).*/\1/p' "$STACK/book.txt" 2>/dev/null | head -1)
		[ "${js:-0}" -ge "$last" ] && break
	done
	[ "${js:-0}" -ge "$last" ] || fail "$1: the feed never reached journal seq $last (at ${js:-none})"
	psql -X -Atq -F' ' -c "SELECT 'FEEDX', side, level, (price / 0.01)::bigint, order_id, quantity
		FROM exchange.order_book_l3('FEEDX', 100000) ORDER BY side, level, queue_position" >"$STACK/sql.txt"
	grep -v '^#' "$STACK/book.txt" >"$STACK/feed.txt" || true
	diff -u "$STACK/sql.txt" "$STACK/feed.txt" || fail "$1: the feed's book differs from order_book_l3"
	echo "$1: $(wc -l <"$STACK/sql.txt") resting orders equal up to journal seq $last"
}

q "CALL public.random_run($seed / 32768.0, 800, 0, 'FEEDX', ARRAY['F1', 'F2', 'F3'])" >/dev/null ||
	fail "random run"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE symbol = 'FEEDX' AND kind = 'trade'")" -ge 20 ] ||
	fail "the run hardly traded"
same_book "after the run"

matchd_stop
matchd_start --feed "$addr"
q "CALL public.random_run(($seed + 1) / 32768.0, 200, 0, 'FEEDX', ARRAY['F1', 'F2', 'F3'])" >/dev/null ||
	fail "random run after the restart"
same_book "after a restart"

# the close expires the day orders on the feed too
q "SELECT 1 FROM exchange.close_market()" >/dev/null
same_book "after the close"
matchd_stop
kill -TERM "$sub"
rc=0
wait "$sub" || rc=$?
cat "$STACK/feedsub.err"
[ $rc -eq 0 ] || fail "pgx-feedsub exited $rc (a gap or a malformed packet)"
if grep -qE 'AddressSanitizer|runtime error:' "$STACK/feedsub.err"; then
	fail "pgx-feedsub reported a sanitizer error"
fi
sanitizer_clean
echo "ok"
