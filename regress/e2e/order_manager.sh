#!/usr/bin/env bash
# The order manager end to end, through SQL and a real matchd: every rule
# refuses with its SQLSTATE and changes no balance; concurrent brokers cannot
# spend the same cash twice; the schedule opens and closes the market (day
# orders expire and release their holds, gtc orders stay); the SQL wallet
# projection equals what matchd holds after a restart (order manager hash).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start --schedule-interval-ms 200

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE om_broker LOGIN IN ROLE exchange_broker;
CREATE ROLE om_other LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('OMT', 0.01, 1, 'USD', 10.00);
SELECT account FROM exchange.open_account('O1', 'om_broker', 'verified');
SELECT account FROM exchange.open_account('O2', 'om_broker');
SELECT account FROM exchange.open_account('S1', 'om_broker', 'verified');
SELECT account FROM exchange.open_account('P1', 'om_other', 'verified');
SELECT 1 FROM exchange.deposit('O1', 1000.00);
SELECT 1 FROM exchange.credit_shares('S1', 'OMT', 500);
-- run a statement, give its SQLSTATE (00000 when it succeeds)
CREATE FUNCTION public.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION public.sqlstate_of(text) TO PUBLIC;
SQL

# balances of every account, as one line (compared before and after refusals)
balances() { q "SELECT string_agg(format('%s/%s:%s+%s', account, asset, available, held), ' ' ORDER BY account, asset) FROM exchange.balances()"; }
# expect STATE SQL: the statement, run as om_broker, fails with STATE
expect() {
	local want=$1 sql=$2 got
	got=$(psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE om_broker" -c "SELECT public.sqlstate_of(\$q\$$sql\$q\$)") ||
		fail "cannot run: $sql"
	[ "$got" = "$want" ] || fail "expected $want, got $got: $sql"
}

before=$(balances)
expect PX050 "SELECT exchange.submit_order('O1', 'OMT', 'buy', 10, 10.00)"
q "SELECT exchange.open_market()" >/dev/null
expect PX052 "SELECT exchange.submit_order('O2', 'OMT', 'buy', 10, 10.00)"
expect PX060 "SELECT exchange.submit_order('O1', 'OMT', 'buy', 101, 10.00)"
expect PX061 "SELECT exchange.submit_order('O1', 'OMT', 'sell', 1, 10.00)"
expect PX074 "SELECT exchange.submit_order('O1', 'OMT', 'buy', 1, 11.50)"
expect 42501 "SELECT exchange.submit_order('P1', 'OMT', 'buy', 1, 10.00)"
[ "$(balances)" = "$before" ] || fail "a refusal changed a balance: $before -> $(balances)"
n=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'rejected' AND account IN ('O1', 'O2')")
[ "$n" -ge 5 ] || fail "refusals are not journaled ($n rejected events)"
reason=$(q "SELECT reason FROM exchange.journal WHERE kind = 'rejected' AND account = 'O1' ORDER BY seq DESC LIMIT 1")
[ "$reason" = "price_band" ] || fail "last rejection reason is $reason"

# a withdrawal never takes held funds
expect 00000 "SELECT exchange.submit_order('O1', 'OMT', 'buy', 60, 10.00, time_in_force => 'gtc')"
[ "$(q "SELECT available || '/' || held FROM exchange.balances('O1') WHERE asset = 'USD'")" = "400.00/600.00" ] ||
	fail "hold of 600.00: $(q "SELECT * FROM exchange.balances('O1')")"
state=$(psql -X -Atq -c "SELECT public.sqlstate_of(\$\$SELECT exchange.withdraw('O1', 400.01)\$\$)")
[ "$state" = "PX060" ] || fail "withdrawal of held funds: $state"

# concurrent brokers (20 sessions) cannot double-spend O1's last 400.00:
# each buy holds 50.00, so exactly 8 are accepted
for i in $(seq 1 20); do
	psql -X -Atq -c "SET ROLE om_broker" \
		-c "SELECT public.sqlstate_of(\$q\$SELECT exchange.submit_order('O1', 'OMT', 'buy', 5, 10.00, time_in_force => 'gtc')\$q\$)" \
		>"$STACK/spend.$i" 2>&1 &
done
wait
ok=$(cat "$STACK"/spend.* | grep -c '^00000$')
no=$(cat "$STACK"/spend.* | grep -c '^PX060$')
[ "$ok" = 8 ] && [ "$no" = 12 ] || fail "double spend: $ok accepted, $no refused ($(cat "$STACK"/spend.* | sort | uniq -c))"
[ "$(q "SELECT available || '/' || held FROM exchange.balances('O1') WHERE asset = 'USD'")" = "0.00/1000.00" ] ||
	fail "after the race: $(q "SELECT * FROM exchange.balances('O1')")"

# a trade moves cash and shares; the projection agrees with the journal
expect 00000 "SELECT exchange.submit_order('S1', 'OMT', 'sell', 20, 9.90)"
[ "$(q "SELECT available || '/' || held FROM exchange.balances('S1') WHERE asset = 'USD'")" = "200.00/0.00" ] ||
	fail "seller's cash: $(q "SELECT * FROM exchange.balances('S1')")"
[ "$(q "SELECT available || '/' || held FROM exchange.balances('O1') WHERE asset = 'OMT'")" = "20/0" ] ||
	fail "buyer's shares: $(q "SELECT * FROM exchange.balances('O1')")"
[ "$(q "SELECT sum(available + held) FROM exchange.wallets WHERE currency = 'USD'")" = 100000 ] ||
	fail "cash is not conserved: $(q "SELECT sum(available + held) FROM exchange.wallets")"

# trading hours: a schedule that opens in 2 s and closes 3 s later (UTC,
# every day); matchd opens and closes by itself, the day order expires
q "SELECT exchange.close_market()" >/dev/null
while [ "$(q "SELECT (now() AT TIME ZONE 'UTC')::time > '23:59:40'")" = t ]; do sleep 5; done
q "SELECT exchange.set_market_schedule('UTC', ((now() AT TIME ZONE 'UTC') + interval '2 s')::time(0),
	((now() AT TIME ZONE 'UTC') + interval '5 s')::time(0), '{1,2,3,4,5,6,7}')" >/dev/null
for _ in $(seq 1 40); do
	[ "$(q "SELECT is_open FROM exchange.market_status()")" = t ] && break
	sleep 0.2
done
[ "$(q "SELECT is_open FROM exchange.market_status()")" = t ] || fail "the schedule did not open the market"
expect 00000 "SELECT exchange.submit_order('S1', 'OMT', 'sell', 10, 10.50)"
for _ in $(seq 1 60); do
	[ "$(q "SELECT is_open FROM exchange.market_status()")" = f ] && break
	sleep 0.2
done
[ "$(q "SELECT is_open FROM exchange.market_status()")" = f ] || fail "the schedule did not close the market"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE kind IN ('market_open', 'market_close') AND detail->>'role' = 'matchd-scheduler'")" = 2 ] ||
	fail "the scheduler's open and close are not journaled"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'expired' AND account = 'S1'")" = 1 ] ||
	fail "the day order did not expire at the close"
[ "$(q "SELECT held FROM exchange.balances('S1') WHERE asset = 'OMT'")" = 0 ] ||
	fail "the expired order still holds shares"
[ "$(q "SELECT held FROM exchange.balances('O1') WHERE asset = 'USD'")" != 0.00 ] ||
	fail "the gtc orders did not stay"
expect PX050 "SELECT exchange.submit_order('S1', 'OMT', 'sell', 1, 10.00)"

# a restart replays the whole stream to the same wallets, holds and limits
matchd_stop
h1=$(grep 'stopped cleanly' "$STACK/matchd.log" | tail -1 | grep -o 'order manager hash [0-9a-f]*')
matchd_start
h2=$(grep 'replayed' "$STACK/matchd.log" | tail -1 | grep -o 'order manager hash [0-9a-f]*')
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "replayed order manager differs: $h1 vs $h2"
sanitizer_clean
echo "ok order_manager ($h1)"
