#!/usr/bin/env bash
# Market data end to end, through SQL and a real matchd: after a random run of
# orders, cancels and amends, every live L3 snapshot taken during the run
# equals the book rebuilt from the journal as of the snapshot's seq
# (order_book_l3_at); L2, L1 and the JSON form agree with L3; another broker
# sees no account but its own; a snapshot waits for the commit of what it
# shows.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market md_broker MDX M1 M2 M3
stack_market md_other MDY N1
seed=${PGX_SEED:-$RANDOM}
echo "seed $seed (PGX_SEED to repeat)"

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -f regress/e2e/lib/random_orders.sql || fail "setup"

q "CALL public.random_run($seed / 32768.0, 600, 40, 'MDX', ARRAY['M1', 'M2', 'M3'])" >/dev/null ||
	fail "random run"
snaps=$(q "SELECT count(DISTINCT as_of_seq) FROM public.snaps")
rows=$(q "SELECT count(*) FROM public.snaps")
echo "$snaps snapshots, $rows order rows"
[ "$snaps" -ge 10 ] || fail "only $snaps snapshots"
[ "$rows" -ge 100 ] || fail "the books were nearly empty ($rows rows in all snapshots)"
trades=$(q "SELECT count(*) FROM exchange.journal WHERE symbol = 'MDX' AND kind = 'trade'")
amends=$(q "SELECT count(*) FROM exchange.journal WHERE symbol = 'MDX' AND kind = 'amended'")
echo "$trades trades, $amends amends"
[ "$trades" -ge 20 ] && [ "$amends" -ge 20 ] || fail "the run did not trade or amend enough"

# every live snapshot = the journal's book as of its seq, row for row
diff=$(q "SELECT count(*) FROM (
	SELECT s.as_of_seq, x.* FROM (SELECT DISTINCT as_of_seq FROM public.snaps) s,
		LATERAL (SELECT side, level, queue_position, price, order_id, quantity, entered_at, account
				   FROM exchange.order_book_l3_at('MDX', s.as_of_seq, 100000)) x
	EXCEPT ALL
	SELECT as_of_seq, side, level, queue_position, price, order_id, quantity, entered_at, account
	  FROM public.snaps) d")
back=$(q "SELECT count(*) FROM (
	SELECT as_of_seq, side, level, queue_position, price, order_id, quantity, entered_at, account
	  FROM public.snaps
	EXCEPT ALL
	SELECT s.as_of_seq, x.* FROM (SELECT DISTINCT as_of_seq FROM public.snaps) s,
		LATERAL (SELECT side, level, queue_position, price, order_id, quantity, entered_at, account
				   FROM exchange.order_book_l3_at('MDX', s.as_of_seq, 100000)) x) d")
[ "$diff" = 0 ] && [ "$back" = 0 ] ||
	fail "live snapshots and the journal's book differ ($diff rows only in the journal's, $back only live)"

# the current book: L2 = L3 aggregated = L2 rebuilt; L1 = level 1; JSON = L2
l2=$(q "SELECT string_agg(format('%s %s %s %s %s', side, level, price, quantity, order_count), ',' ORDER BY side, level)
		 FROM exchange.order_book_l2('MDX', 5)")
l3=$(q "SELECT string_agg(format('%s %s %s %s %s', side, level, price, qty, n), ',' ORDER BY side, level)
		 FROM (SELECT side, level, price, sum(quantity) qty, count(*) n
				 FROM exchange.order_book_l3('MDX', 5) GROUP BY 1, 2, 3) x")
at=$(q "SELECT string_agg(format('%s %s %s %s %s', side, level, price, quantity, order_count), ',' ORDER BY side, level)
		 FROM exchange.order_book_l2_at('MDX', (SELECT max(seq) FROM exchange.journal), 5)")
[ -n "$l2" ] && [ "$l2" = "$l3" ] && [ "$l2" = "$at" ] || fail "L2 $l2 / L3 $l3 / rebuilt $at"
l1=$(q "SELECT format('%s %s %s %s %s %s', bid_price, bid_quantity, bid_orders, ask_price, ask_quantity, ask_orders)
		 FROM exchange.order_book_l1('MDX')")
best=$(q "SELECT format('%s %s %s %s %s %s', b.price, b.quantity, b.order_count, a.price, a.quantity, a.order_count)
		  FROM exchange.order_book_l2('MDX', 1) b, exchange.order_book_l2('MDX', 1) a
		 WHERE b.side = 'buy' AND a.side = 'sell'")
[ "$l1" = "$best" ] || fail "L1 $l1 is not level 1 of L2 $best"
last=$(q "SELECT last_price = (SELECT exchange.to_price('MDX', price) FROM exchange.journal
			WHERE symbol = 'MDX' AND kind = 'trade' ORDER BY seq DESC, idx DESC LIMIT 1)
		  FROM exchange.order_book_l1('MDX')")
[ "$last" = t ] || fail "L1's last trade is not the journal's last trade"
json=$(q "SELECT (j->'bids')::text = (SELECT coalesce(json_agg(json_build_array(price, quantity) ORDER BY level), '[]')::text
			FROM exchange.order_book_l2('MDX', 5) WHERE side = 'buy')
		  AND (j->'asks')::text = (SELECT coalesce(json_agg(json_build_array(price, quantity) ORDER BY level), '[]')::text
			FROM exchange.order_book_l2('MDX', 5) WHERE side = 'sell')
		  FROM exchange.order_book_l2_json('MDX', 5) j")
[ "$json" = t ] || fail "the JSON book is not L2: $(q "SELECT exchange.order_book_l2_json('MDX', 5)")"

# another broker sees every order but no account of md_broker's; its own, yes
q "SELECT 1 FROM exchange.submit_order('N1', 'MDX', 'buy', 1, 9.45, time_in_force => 'gtc')" >/dev/null
seen=$(psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE md_other" -c "
	SELECT count(*) FILTER (WHERE account IS NOT NULL AND account <> 'N1') || ' '
		|| count(*) FILTER (WHERE account = 'N1') || ' ' || count(*)
	  FROM exchange.order_book_l3('MDX', 100000)")
total=$(q "SELECT count(*) FROM exchange.order_book_l3('MDX', 100000)")
[ "$seen" = "0 1 $total" ] || fail "md_other's view of accounts: $seen (of $total orders)"
# ... and cannot rebuild past books from the journal
psql -X -Atq -c "SET ROLE md_other" -c "SELECT * FROM exchange.order_book_l3_at('MDX', 1::bigint)" \
	>/dev/null 2>&1 && fail "a broker read the journal's book"

# errors: unknown symbol, bad depth; nothing reaches matchd for them
expect_error() { # STATE SQL: the statement fails with STATE
	local out
	out=$(psql -X -Atq -v VERBOSITY=verbose -c "$2" 2>&1) && fail "no error from $2"
	grep -q "^ERROR: *$1:" <<<"$out" || fail "expected $1 from $2: $out"
}
expect_error PX020 "SELECT * FROM exchange.order_book_l2('NOPE')"
expect_error 22023 "SELECT * FROM exchange.order_book_l3('MDX', 0)"
expect_error 22023 "SELECT * FROM exchange.matchd_candles('MDX', 300)"

# a snapshot is answered only once what it shows has committed: as_of_seq is
# never beyond the journal
ahead=$(q "SELECT (SELECT as_of_seq FROM exchange.order_book_l1('MDX')) - (SELECT max(seq) FROM exchange.journal)")
[ "$ahead" -le 0 ] || fail "a snapshot is $ahead seqs ahead of the journal"

# matchd's candle rings = exchange.candles() from the database, at every
# resolution it keeps; again after a restart (replay rebuilds the rings)
same_candles() {
	local res d n
	for res in '1 second' '1 minute' '1 hour'; do
		d=$(q "SELECT count(*) FROM (
			(SELECT bucket_start, open, high, low, close, volume, trade_count, vwap
			   FROM exchange.live_candles('MDX', '$res')
			 EXCEPT ALL SELECT * FROM exchange.candles('MDX', '$res'))
			UNION ALL
			(SELECT * FROM exchange.candles('MDX', '$res')
			 EXCEPT ALL SELECT bucket_start, open, high, low, close, volume, trade_count, vwap
			   FROM exchange.live_candles('MDX', '$res'))) x")
		n=$(q "SELECT count(*) FROM exchange.live_candles('MDX', '$res')")
		[ "$d" = 0 ] && [ "$n" -gt 0 ] || fail "$1: live candles of $res differ from candles() ($d rows, $n live)"
	done
}
same_candles "after the run"
matchd_stop
matchd_start
same_candles "after a restart"
echo "candles: $(q "SELECT count(*) FROM exchange.live_candles('MDX', '1 second')") one-second buckets equal"

# with matchd down, the live book is unavailable (PX040), the journal's remains
matchd_stop
expect_error PX040 "SELECT * FROM exchange.order_book_l1('MDX')"
n=$(q "SELECT count(*) FROM exchange.order_book_l3_at('MDX', (SELECT max(seq) FROM exchange.journal), 100000)")
[ "$n" = "$total" ] || fail "the rebuilt book has $n orders, the live one had $total"
sanitizer_clean
echo "ok"
