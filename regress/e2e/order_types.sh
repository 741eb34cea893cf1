#!/usr/bin/env bash
# The 1.8 order types end to end, through SQL and a real matchd: a post-only
# order that would cross is rejected and holds nothing, one that does not
# rests; a good-till-date order holds at entry and is expired by matchd's
# sequencer (an expire_order command, role matchd-sequencer) once its time
# has come, releasing its hold; a restart replays all of it to the same books
# and order manager (state hashes).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start --schedule-interval-ms 200

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE ot_broker LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('OTY', 0.01, 1, 'USD', 10.00);
SELECT account FROM exchange.open_account('B1', 'ot_broker', 'verified');
SELECT account FROM exchange.open_account('S1', 'ot_broker', 'verified');
SELECT 1 FROM exchange.deposit('B1', 1000.00);
SELECT 1 FROM exchange.credit_shares('S1', 'OTY', 100);
SELECT exchange.open_market();
SQL
# run SQL as the broker, one row as text
as_broker() { psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE ot_broker" -c "$1"; }
usd() { q "SELECT available || '/' || held FROM exchange.balances('B1') WHERE asset = 'USD'"; }

as_broker "SELECT status FROM exchange.submit_order('S1', 'OTY', 'sell', 10, 10.10, time_in_force => 'gtc')" |
	grep -qx new || fail "the resting sell"
row=$(as_broker "SELECT status || ' ' || reject_reason FROM exchange.submit_order('B1', 'OTY', 'buy', 10, 10.10, post_only => true)")
[ "$row" = "rejected post_only_would_cross" ] || fail "post-only at the ask: $row"
[ "$(usd)" = "1000.00/0.00" ] || fail "a rejected post-only order holds cash: $(usd)"
row=$(as_broker "SELECT status FROM exchange.submit_order('B1', 'OTY', 'buy', 10, 10.00, post_only => true)")
[ "$row" = new ] || fail "post-only inside the spread: $row"
[ "$(usd)" = "900.00/100.00" ] || fail "the resting post-only order's hold: $(usd)"
[ "$(q "SELECT detail->>'post_only' FROM exchange.journal WHERE kind = 'new_order' AND account = 'B1' ORDER BY seq DESC LIMIT 1")" = true ] ||
	fail "post_only is not in the journal's detail"
[ "$(q "SELECT count(*) FILTER (WHERE post_only) || '/' || count(*) FROM exchange.journal WHERE kind = 'new_order' AND account = 'B1'")" = 2/2 ] ||
	fail "the journal's post_only column"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'new_order' AND account = 'S1' AND post_only IS NULL")" = 1 ] ||
	fail "post_only set on an order without it"

# good till 2 seconds from now: held at entry, expired by the sequencer
id=$(as_broker "SELECT id FROM exchange.submit_order('B1', 'OTY', 'buy', 5, 9.90, time_in_force => 'gtd', expire_time => clock_timestamp() + interval '2 s')")
[ -n "$id" ] || fail "the gtd order"
[ "$(usd)" = "850.50/149.50" ] || fail "the gtd order's hold: $(usd)"
[ "$(q "SELECT time_in_force FROM exchange.journal WHERE order_id = $id AND kind = 'new_order'")" = gtd ] ||
	fail "the journal's time_in_force"
[ "$(q "SELECT expire_time - ts BETWEEN interval '1 s' AND interval '3 s' FROM exchange.journal WHERE order_id = $id AND kind = 'new_order'")" = t ] ||
	fail "the journal's expire_time column: $(q "SELECT ts, expire_time FROM exchange.journal WHERE order_id = $id AND kind = 'new_order'")"
expired() { [ "$(q "SELECT count(*) FROM exchange.journal WHERE order_id = $id AND kind = 'expired' AND reason = 'gtd_expired'")" = 1 ]; }
wait_until 20 "the gtd order did not expire" expired
[ "$(q "SELECT detail->>'role' FROM exchange.journal WHERE order_id = $id AND kind = 'expire_order'")" = matchd-sequencer ] ||
	fail "the expiry is not the sequencer's expire_order command"
late=$(q "SELECT (e.ts >= n.expire_time)::text
	FROM exchange.journal e JOIN exchange.journal n ON n.order_id = e.order_id AND n.kind = 'new_order'
	WHERE e.order_id = $id AND e.kind = 'expire_order'")
[ "$late" = true ] || fail "expired before its expire_time"
[ "$(usd)" = "900.00/100.00" ] || fail "the expired order still holds cash: $(usd)"
[ "$(q "SELECT count(*) FROM exchange.account_log WHERE kind::text = 'expire_order'")" = 0 ] ||
	fail "account_log lists an order's expiry"

# a restart replays the stream, the expiry included, to the same state
matchd_stop
h1=$(grep 'stopped cleanly' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
grep -q '1 good-till-date expiries' "$STACK/matchd.log" || fail "matchd does not count the expiry"
matchd_start
h2=$(grep 'replayed' "$STACK/matchd.log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "replayed state differs: $h1 vs $h2"
sanitizer_clean
echo "ok order_types ($h1)"
