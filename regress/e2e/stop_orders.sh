#!/usr/bin/env bash
# Stop and stop-limit orders (1.9) end to end, through SQL and a real matchd:
# held at entry (a stop-limit at its limit, a stop at the market collar
# around its stop price, a sell in shares), in no book while they wait,
# amended and canceled while they wait, refused when the last trade has
# reached the stop already; one buy's trade fires a stop-limit whose own
# trade fires a stop in the same command (a cascade), journaled as
# `triggered` events; the books rebuilt from the journal and the priority
# audit leave the waiting stops out; a restart replays all of it to the same
# books and order manager (state hashes).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE so_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('STP', 0.01, 1, 'USD', 10.00);
SELECT account FROM exchange.open_account('B1', 'so_broker', 'verified');
SELECT account FROM exchange.open_account('S1', 'so_broker', 'verified');
SELECT 1 FROM exchange.deposit('B1', 10000.00);
SELECT 1 FROM exchange.credit_shares('S1', 'STP', 1000);
SELECT exchange.open_market();
SQL
as_broker() { psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE so_broker" -c "$1"; }
bal() { q "SELECT available || '/' || held FROM exchange.balances('$1') WHERE asset = '$2'"; }
in_l3() { q "SELECT count(*) FROM exchange.order_book_l3('STP', 100) WHERE order_id = $1"; }

# a first trade: the last price is 10.00
as_broker "SELECT status FROM exchange.submit_order('S1', 'STP', 'sell', 1, 10.00, time_in_force => 'gtc')" |
	grep -qx new || fail "the first sell"
as_broker "SELECT status FROM exchange.submit_order('B1', 'STP', 'buy', 1, 10.00, time_in_force => 'ioc')" |
	grep -qx filled || fail "the first trade"
[ "$(bal B1 USD)" = "9990.00/0.00" ] || fail "after the first trade: $(bal B1 USD)"

# buy stop-limit 12, stop 10.10, limit 10.20: holds 122.40, in no book
sl=$(as_broker "SELECT id FROM exchange.submit_order('B1', 'STP', 'buy', 12, 10.20, 'stop_limit', 'gtc', stop_price => 10.10)")
[ -n "$sl" ] || fail "the stop-limit"
[ "$(bal B1 USD)" = "9867.60/122.40" ] || fail "the stop-limit's hold: $(bal B1 USD)"
[ "$(in_l3 "$sl")" = 0 ] || fail "a waiting stop-limit is in order_book_l3"
[ "$(q "SELECT detail->>'stop_price' FROM exchange.journal WHERE order_id = $sl AND kind = 'new_order'")" = 1010 ] ||
	fail "the journal's stop price (ticks) of the new order"
[ "$(q "SELECT detail->>'stop' FROM exchange.journal WHERE order_id = $sl AND kind = 'accepted'")" = true ] ||
	fail "the accepted record of a waiting stop does not say so"
[ "$(as_broker "SELECT stop_price FROM exchange.order_records WHERE order_id = $sl AND kind = 'new_order'")" = 10.10 ] ||
	fail "order_records does not show the broker its stop price"
# quantity down while it waits: it keeps its place, the hold shrinks
row=$(as_broker "SELECT status || ' ' || remaining_quantity FROM exchange.amend_order('B1', $sl, 10)")
[ "$row" = "new 10" ] || fail "amend of the waiting stop-limit: $row"
[ "$(bal B1 USD)" = "9888.00/102.00" ] || fail "the amended stop-limit's hold: $(bal B1 USD)"
[ "$(q "SELECT reason || ' ' || (detail->>'stop') FROM exchange.journal WHERE order_id = $sl AND kind = 'amended'")" = "priority_kept true" ] ||
	fail "the amended record of a waiting stop"

# buy stop 4, stop 10.15: held at the collar 10.15 + 5% = 10.65 (42.60)
st=$(as_broker "SELECT id FROM exchange.submit_order('B1', 'STP', 'buy', 4, NULL, 'stop', stop_price => 10.15)")
[ -n "$st" ] || fail "the stop"
[ "$(bal B1 USD)" = "9845.40/144.60" ] || fail "the stop's hold: $(bal B1 USD)"
err=$(as_broker "SELECT status FROM exchange.amend_order('B1', $st, 4, 10.30)" 2>&1 || true)
case "$err" in *"has no limit price to amend"*) ;; *) fail "a stop's price amended: $err" ;; esac

# sell stop 7, stop 9.90: holds shares; canceled before it fires
ss=$(as_broker "SELECT id FROM exchange.submit_order('S1', 'STP', 'sell', 7, NULL, 'stop', 'ioc', stop_price => 9.90)")
[ "$(bal S1 STP)" = "992/7" ] || fail "the sell stop's hold: $(bal S1 STP)"
as_broker "SELECT status FROM exchange.cancel_order('S1', $ss)" | grep -qx canceled || fail "cancel of the sell stop"
[ "$(bal S1 STP)" = "999/0" ] || fail "the canceled sell stop still holds: $(bal S1 STP)"
[ "$(q "SELECT detail->>'stop' FROM exchange.journal WHERE order_id = $ss AND kind = 'canceled'")" = true ] ||
	fail "the canceled record of a waiting stop does not say so"

# a buy stop at the last price would fire at once: rejected, nothing held
row=$(as_broker "SELECT status || ' ' || reject_reason FROM exchange.submit_order('B1', 'STP', 'buy', 1, 10.00, 'stop_limit', stop_price => 10.00)")
[ "$row" = "rejected stop_would_trigger" ] || fail "a stop already reached: $row"
[ "$(bal B1 USD)" = "9845.40/144.60" ] || fail "a rejected stop holds: $(bal B1 USD)"

# asks 5 @10.10 and 20 @10.16; a buy of 5 @10.10 reaches the stop-limit's
# 10.10, which buys 10 @10.16, which reaches the stop's 10.15: it buys 4 @10.16
as_broker "SELECT status FROM exchange.submit_order('S1', 'STP', 'sell', 5, 10.10, time_in_force => 'gtc')" | grep -qx new || fail "ask 10.10"
as_broker "SELECT status FROM exchange.submit_order('S1', 'STP', 'sell', 20, 10.16, time_in_force => 'gtc')" | grep -qx new || fail "ask 10.16"
row=$(as_broker "SELECT status || ' ' || filled_quantity FROM exchange.submit_order('B1', 'STP', 'buy', 5, 10.10, time_in_force => 'ioc')")
[ "$row" = "filled 5" ] || fail "the buy that fires the stops: $row"
seq=$(q "SELECT seq FROM exchange.journal WHERE kind = 'triggered' AND order_id = $sl")
[ -n "$seq" ] || fail "no triggered record of the stop-limit"
[ "$(q "SELECT string_agg(order_id::text || '@' || price, ' ' ORDER BY idx) FROM exchange.journal WHERE seq = $seq AND kind = 'triggered'")" = "$sl@1010 $st@1015" ] ||
	fail "the cascade: $(q "SELECT string_agg(order_id::text || '@' || price, ' ' ORDER BY idx) FROM exchange.journal WHERE seq = $seq AND kind = 'triggered'")"
[ "$(q "SELECT string_agg(order_id::text || ':' || quantity || '@' || price, ' ' ORDER BY idx) FROM exchange.journal WHERE seq = $seq AND kind = 'trade'")" = "$((seq)):5@1010 $sl:10@1016 $st:4@1016" ] ||
	fail "the cascade's trades: $(q "SELECT string_agg(order_id::text || ':' || quantity || '@' || price, ' ' ORDER BY idx) FROM exchange.journal WHERE seq = $seq AND kind = 'trade'")"
# B1 paid 10.00 + 50.50 + 101.60 + 40.64 and holds nothing; owns 20 shares
[ "$(bal B1 USD)" = "9797.26/0.00" ] || fail "after the cascade: $(bal B1 USD)"
[ "$(bal B1 STP)" = "20/0" ] || fail "B1's shares: $(bal B1 STP)"
[ "$(bal S1 STP)" = "974/6" ] || fail "S1's shares: $(bal S1 STP)"

[ "$(as_broker "SELECT string_agg(kind || ' ' || stop_price, ', ' ORDER BY seq, idx) FROM exchange.order_records WHERE order_id = $st AND stop_price IS NOT NULL")" = "new_order 10.15, triggered 10.15" ] ||
	fail "order_records' stop prices of the stop"
# the journal's books and the priority audit leave the waiting stops out
[ "$(q "SELECT count(*) FROM exchange.journal_book('STP', $seq - 1) WHERE order_id IN ($sl, $st, $ss)")" = 0 ] ||
	fail "journal_book shows a waiting stop"
[ "$(q "SELECT count(*) FROM exchange.resting_orders(current_date - 1, current_date + 1, 'STP') WHERE order_id IN ($sl, $st, $ss)")" = 0 ] ||
	fail "resting_orders shows a waiting stop"
[ "$(q "SELECT count(*) FROM exchange.priority_violations(current_date - 1, current_date + 1, 'STP')")" = 0 ] ||
	fail "priority audit: $(q "SELECT * FROM exchange.priority_violations(current_date - 1, current_date + 1, 'STP')")"

# a restart replays the stream, the triggers included, to the same state
matchd_stop
h1=$(grep 'stopped cleanly' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
matchd_start
h2=$(grep 'replayed' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "replayed state differs: $h1 vs $h2"
sanitizer_clean
echo "ok stop_orders ($h1)"
