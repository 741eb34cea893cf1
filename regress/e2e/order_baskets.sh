#!/usr/bin/env bash
# Baskets through SQL and a real matchd (exchange.submit_orders, cancel_orders):
# each order is judged on its own, exactly as the same order sent alone by
# submit_order (the same SQLSTATE); one row per order in the basket's order,
# sequenced in that order; another broker's account in a basket is refused
# without being touched; a 20,000-order basket is all journaled, and cancelled
# again in one call; and when matchd is killed in the middle of a basket, every
# order answered 00000 is in the journal, every order answered PX040 is not,
# and PX041 (fate unknown) is the only other answer.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market bk_broker BKT K1 K2
stack_market bk_other BKO X1

# as_broker SQL...: psql as bk_broker, values only
as_broker() { psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE bk_broker" "${@/#/-c}"; }

# The same eleven orders as one basket on account K1, and one by one on K2.
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
CREATE TABLE public.basket (n int, o exchange.order_request);
INSERT INTO public.basket VALUES
	(1, ('K1','BKT','buy',10,99.00,NULL,NULL,'c1')),
	(2, ('K1','BKT','sell',10,101.00,NULL,'gtc','c2')),
	(3, ('K1','BKT','buy',10,99.005,NULL,NULL,NULL)),          -- off the tick: PX010
	(4, ('X1','BKO','buy',10,99.00,NULL,NULL,NULL)),           -- another broker's: 42501
	(5, ('K1','BKT','buy',10,99.00,NULL,NULL,'c1')),           -- duplicate id: PX077
	(6, NULL),                                                 -- 22004
	(7, ('K1','BKT','buy',10,NULL,'limit',NULL,NULL)),         -- no price: PX011
	(8, ('K1','ZZZ','buy',1,1,NULL,NULL,NULL)),                -- unknown symbol: PX020
	(9, ('K1','BKT','buy',1,NULL,'market','ioc',NULL)),        -- no reference price: PX075
	(10, (NULL,'BKT','buy',1,1,NULL,NULL,NULL)),               -- 22004
	(11, ('K1','BKT','buy',0,99.00,NULL,NULL,NULL));           -- quantity 0: PX012
GRANT SELECT ON public.basket TO PUBLIC;
-- the SQLSTATE of a statement (00000 when it succeeds)
CREATE FUNCTION public.state_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN '00000'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$;
GRANT EXECUTE ON FUNCTION public.state_of(text) TO PUBLIC;
SQL

got=$(as_broker "SELECT string_agg(ordinal || ':' || sqlstate || ':' || status, ' ' ORDER BY ordinal)
	FROM exchange.submit_orders(ARRAY(SELECT o FROM public.basket ORDER BY n))") || fail "submit_orders failed"
alone=$(as_broker "SELECT string_agg(n || ':' || CASE WHEN o IS NULL THEN '22004' ELSE public.state_of(format(
	'SELECT * FROM exchange.submit_order(%L, %L, %L, %L, %L, %L, %L, %L)',
	CASE (o).account WHEN 'K1' THEN 'K2' ELSE (o).account END, (o).symbol, (o).side, (o).quantity,
	(o).price, coalesce((o).order_type, 'limit'), coalesce((o).time_in_force, 'day'),
	(o).client_order_id)) END, ' ' ORDER BY n) FROM public.basket")
echo "basket: $got"
echo "alone:  $alone"
[ "$(echo "$got" | sed -E 's/:[a-z]+( |$)/\1/g')" = "$alone" ] ||
	fail "a basket's orders are not judged as if sent alone"
want="1:00000:new 2:00000:new 3:PX010:rejected 4:42501:rejected 5:PX077:rejected 6:22004:rejected 7:PX011:rejected 8:PX020:rejected 9:PX075:rejected 10:22004:rejected 11:PX012:rejected"
[ "$got" = "$want" ] || fail "basket answers: want '$want'"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE account = 'X1' AND kind NOT IN ('open_account', 'deposit', 'credit_shares', 'set_account_limits', 'accepted')")" = 0 ] ||
	fail "a basket touched another broker's account"
# the journal has the basket's accepted and journaled-refused orders, in order
[ "$(q "SELECT string_agg(coalesce(client_order_id, '-'), ',' ORDER BY seq) FROM exchange.journal
	WHERE idx = 0 AND kind = 'new_order' AND account = 'K1'")" = "c1,c2,c1,-" ] ||
	fail "the journal does not hold the basket's orders in order"

# accepted orders are sequenced in the basket's order (ids rise with the ordinal)
[ "$(as_broker "SELECT bool_and(id > prev) FROM (SELECT id, lag(id, 1, 0::bigint) OVER (ORDER BY ordinal) prev
	FROM exchange.submit_orders(ARRAY(SELECT ('K1','BKT','buy',1,90.00 + i % 5,NULL,NULL,NULL)::exchange.order_request
	FROM generate_series(1, 300) i))) s")" = t ] || fail "a basket is not sequenced in its order"

# 20,000 orders in one call, all journaled; then all cancelled in one call
n=20000
held_before=$(q "SELECT held FROM exchange.balances('K1') WHERE asset = 'USD'")
out=$(as_broker "CREATE TEMP TABLE b AS SELECT * FROM exchange.submit_orders(ARRAY(
	SELECT ('K1','BKT','buy',1,80.00 + i % 10,NULL,'gtc','big-' || i)::exchange.order_request
	FROM generate_series(1, $n) i))" \
	"SELECT count(*) FILTER (WHERE sqlstate = '00000' AND status = 'new') FROM b" \
	"SELECT count(*) FILTER (WHERE sqlstate = '00000' AND status = 'canceled')
	  FROM exchange.cancel_orders('K1', ARRAY(SELECT id FROM b ORDER BY ordinal) || ARRAY[0::bigint, NULL])" \
	"SELECT string_agg(sqlstate, ',') FROM exchange.cancel_orders('K1', ARRAY[(SELECT min(id) FROM b), 0])") ||
	fail "the big basket failed"
echo "big basket: $(echo "$out" | tr '\n' ' ')"
[ "$out" = "$(printf '%s\n%s\n%s' "$n" "$n" "PX030,PX030")" ] || fail "big basket: accepted, cancelled, cancelled twice: $out"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE idx = 0 AND kind = 'new_order' AND account = 'K1' AND client_order_id LIKE 'big-%'")" = "$n" ] ||
	fail "not every order of the big basket is journaled"
[ "$(q "SELECT held FROM exchange.balances('K1') WHERE asset = 'USD'")" = "$held_before" ] ||
	fail "cancelled basket orders still hold cash"
# the other broker may not cancel on K1
[ "$(psql -X -Atq -c "SET ROLE bk_other" -c "SELECT public.state_of('SELECT * FROM exchange.cancel_orders(''K1'', ARRAY[1::bigint])')")" = 42501 ] ||
	fail "another broker's cancel_orders on K1 was not refused"

# matchd killed in the middle of a 200,000-order basket
n=200000
as_broker "COPY (SELECT ordinal, sqlstate FROM exchange.submit_orders(ARRAY(
	SELECT ('K2','BKT', CASE WHEN i % 2 = 0 THEN 'buy' ELSE 'sell' END, 1, 95.00 + i % 10,NULL,NULL,'kill-' || i)::exchange.order_request
	FROM generate_series(1, $n) i))) TO STDOUT" >"$STACK/kill.tsv" 2>"$STACK/kill.err" &
basket_pid=$!
journaled() { [ "$(q "SELECT count(*) >= 1000 FROM exchange.journal WHERE idx = 0 AND kind = 'new_order' AND client_order_id LIKE 'kill-%'")" = t ]; }
wait_until 120 "the killed basket's first orders in the journal" journaled
matchd_kill
wait "$basket_pid" || fail "the basket call failed when matchd died: $(cat "$STACK/kill.err")"
[ "$(wc -l <"$STACK/kill.tsv")" = "$n" ] || fail "$(wc -l <"$STACK/kill.tsv") rows for $n orders"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "CREATE TABLE public.kill (ordinal int, sqlstate text)" \
	-c "\\copy public.kill FROM '$STACK/kill.tsv'" || fail "loading the answers"
psql -X -q -o /dev/null -c "CREATE TABLE public.kill_journal AS SELECT substr(client_order_id, 6)::int AS ordinal
	FROM exchange.journal WHERE idx = 0 AND kind = 'new_order' AND client_order_id LIKE 'kill-%'"
q "SELECT sqlstate, count(*) FROM public.kill GROUP BY 1 ORDER BY 1" | tr '\n' ' '
echo
[ "$(q "SELECT count(*) FROM public.kill WHERE sqlstate NOT IN ('00000', 'PX041', 'PX040')")" = 0 ] ||
	fail "answers other than 00000, PX041, PX040 after the kill"
lost=$(q "SELECT count(*) FROM public.kill k WHERE sqlstate = '00000' AND NOT EXISTS (SELECT 1 FROM public.kill_journal j WHERE j.ordinal = k.ordinal)")
[ "$lost" = 0 ] || fail "$lost acknowledged basket orders are not in the journal"
phantom=$(q "SELECT count(*) FROM public.kill k WHERE sqlstate = 'PX040' AND EXISTS (SELECT 1 FROM public.kill_journal j WHERE j.ordinal = k.ordinal)")
[ "$phantom" = 0 ] || fail "$phantom orders answered PX040 (not sent) are in the journal"
[ "$(q "SELECT count(*) FROM public.kill WHERE sqlstate = '00000'")" -gt 0 ] || fail "nothing was acknowledged before the kill"
# and matchd comes back with the journal's state
matchd_start
after=$(as_broker "SELECT sqlstate || coalesce(' ' || message, '') FROM exchange.submit_orders(ARRAY[('K2','BKT','buy',1,100.00,NULL,NULL,NULL)]::exchange.order_request[])")
[ "$after" = 00000 ] ||
	fail "no order accepted after the restart: $after"
sanitizer_clean
echo "order_baskets: ok"
