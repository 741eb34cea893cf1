#!/usr/bin/env bash
# The FIX gateway end to end with an independent initiator (QuickFIX,
# regress/e2e/fix_client.cpp) against a real matchd and gatewayd (sanitized
# builds): Logon checked by PostgreSQL (a bad password is refused with a
# reason), orders and their ExecutionReports, a fill between two FIX sessions
# and one between FIX and SQL (unsolicited fills of a resting order), cancel,
# replace, status, another broker's account refused with submit_order's text,
# a refusal of the order manager with the SQL text; the orders are ordinary
# journal rows with the broker role; a gateway crash (SIGKILL) and restart:
# the session logs on again with its persisted numbers, a resting order from
# before still gets its fills, and a ResendRequest is answered from the
# message store in PostgreSQL (PossDupFlag=Y); cancel on disconnect.  Stop
# orders and the 1.8 options: a stop limit placed over FIX waits (New with
# OrdType and StopPx), a replace may not move its stop price, it survives the
# gateway's restart and a FIX trade fires it: the session gets the trigger
# (ExecType D, Restated, 378=8) and then its fill, and no second New for its
# rest; a post-only that would cross is rejected with the text SQL gives; a
# post-only good-till-date order rests with its options echoed; a waiting stop
# is canceled.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
make -s -C "$top/daemon" gatewayd gatewayd-asan >/dev/null || fail "cannot build gatewayd"
export PGX_GATEWAYD_BIN=${PGX_GATEWAYD_BIN:-$top/daemon/build/asan/bin/gatewayd}
client=$(build_fix_client) || fail "cannot build the QuickFIX client"
# a copy under $STACK, so that the stack's cleanup ends it whatever happens
install -m 0755 "$client" "$STACK/bin/fix_client"
client=$STACK/bin/fix_client
export PGX_FIX_PORT
PGX_FIX_PORT=$(free_port)

stack_market fix_broker_a FXT FA1 FA2
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE fix_broker_b LOGIN IN ROLE exchange_broker;
CREATE ROLE fix_broker_c LOGIN IN ROLE exchange_broker;
SELECT account FROM exchange.open_account('FB1', 'fix_broker_b', 'verified');
ALTER ROLE fix_broker_a PASSWORD 'secret-a';
ALTER ROLE fix_broker_b PASSWORD 'secret-b';
ALTER ROLE fix_broker_c PASSWORD 'secret-c';
SELECT exchange.fix_add_session('FIX_BROKER_A', 'fix_broker_a');
SELECT exchange.fix_add_session('FIX_BROKER_B', 'fix_broker_b', cancel_on_disconnect => true);
SELECT exchange.fix_add_session('FIX_BROKER_C', 'fix_broker_c');
SQL
stack_fund FXT FB1
gatewayd_start || fail "gatewayd did not start"
grep -q "^export PGX_FIX_PORT=$PGX_FIX_PORT$" "$STACK/env" || fail "PGX_FIX_PORT not in env"

# the write-behind store has caught up with FIX_BROKER_A: its numbers were
# written and nothing was sent since (the store writes within milliseconds of
# a send; a crash inside that window is the documented limit, docs/fix.md)
cat >"$STACK/stored.sh" <<EOF
#!/usr/bin/env bash
. "$STACK/env"
for _ in \$(seq 1 200); do
	[ "\$(psql -X -Atq -c "SELECT count(*) FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A' AND next_out_seq >= \$1 AND updated_at < now() - interval '300 ms'")" -ge 1 ] && exit 0
	sleep 0.05
done
exit 1
EOF
chmod +x "$STACK/stored.sh"
# sql_is ROLE EXPECTED SQL: what SQL run as ROLE (NONE: the superuser) answers
cat >"$STACK/sql_is.sh" <<EOF
#!/usr/bin/env bash
. "$STACK/env"
got=\$(psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE \$1" -c "\$3" 2>&1)
[ "\$got" = "\$2" ] && exit 0
echo "SQL: \$3 gave '\$got', expected '\$2'" >&2
exit 1
EOF
chmod +x "$STACK/sql_is.sh"
expire=$(date -u -d '+1 day' +%Y%m%d-%H:%M:%S)
expire2=$(date -u -d '+2 days' +%Y%m%d-%H:%M:%S)

mkdir -p "$STACK/qf"
"$client" "$PGX_FIX_PORT" "$STACK/qf" FIX_BROKER_A:fix_broker_a:secret-a \
	FIX_BROKER_B:fix_broker_b:secret-b >"$STACK/client.log" 2>&1 <<EOF || { cat "$STACK/client.log" | tail -40; fail "the FIX scenario"; }
wait_logon FIX_BROKER_A
wait_logon FIX_BROKER_B
# a resting sell, partly filled by another session, then by SQL
order FIX_BROKER_A s1 FA1 FXT sell 100 10.00 gtc
expect FIX_BROKER_A 8 11=s1 150=0 39=0 151=100 14=0 1=FA1 55=FXT 54=2 38=100 44=10.00 37=*
order FIX_BROKER_B b1 FB1 FXT buy 30 10.00
expect FIX_BROKER_B 8 11=b1 150=0 39=0
expect FIX_BROKER_B 8 11=b1 150=F 39=2 32=30 31=10.00 14=30 151=0
expect FIX_BROKER_A 8 11=s1 150=F 39=1 32=30 31=10.00 14=30 151=70
run psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "SET ROLE fix_broker_b" -c "SELECT * FROM exchange.submit_order('FB1', 'FXT', 'buy', 20, 10.00)"
expect FIX_BROKER_A 8 11=s1 150=F 39=1 32=20 14=50 151=50
# replace, status, cancel
order FIX_BROKER_A r1 FA2 FXT buy 10 9.00
expect FIX_BROKER_A 8 11=r1 150=0
replace FIX_BROKER_A r2 r1 FA2 FXT buy 15 9.10
expect FIX_BROKER_A 8 11=r2 41=r1 150=5 39=0 38=15 44=9.10 151=15
status FIX_BROKER_A r2 FA2 FXT buy
expect FIX_BROKER_A 8 11=r2 150=I 39=0 151=15
cancel FIX_BROKER_A c1 r2 FA2 FXT buy
expect FIX_BROKER_A 8 11=c1 41=r2 150=4 39=4
cancel FIX_BROKER_A c2 r2 FA2 FXT buy
expect FIX_BROKER_A 9 11=c2 41=r2 102=1
# refusals: another broker's account, the order manager's limit, the tick grid
order FIX_BROKER_B x1 FA1 FXT buy 10 10.00
expect FIX_BROKER_B 8 11=x1 150=8 39=8 103=15 58=account+"FA1"+does+not+exist+or+does+not+belong+to+role+"fix_broker_b"
order FIX_BROKER_A x2 FA1 FXT buy 5000000 10.00
expect FIX_BROKER_A 8 11=x2 150=8 39=8 103=3 58=~above+the+account's+limit
order FIX_BROKER_A x3 FA1 FXT buy 10 10.005
expect FIX_BROKER_A 8 11=x3 150=8 39=8 58=price+10.005+is+not+a+multiple+of+the+tick+size+0.01
order FIX_BROKER_A x4 FA1 NOSUCH buy 10 10.00
expect FIX_BROKER_A 8 11=x4 150=8 39=8 103=1
# a stop limit waits (New, with its OrdType and StopPx; in no book); a replace
# may not move its stop price (matchd keeps it)
msg FIX_BROKER_A D 11=t1 1=FA2 55=FXT 54=1 60=now 38=30 40=4 44=10.20 99=10.10 59=1
expect FIX_BROKER_A 8 11=t1 150=0 39=0 40=4 44=10.20 99=10.10 59=1 151=30 14=0 37=*
run $STACK/sql_is.sh fix_broker_a 0 "SELECT count(*) FROM exchange.order_book_l3('FXT', 100) WHERE account = 'FA2'"
msg FIX_BROKER_A G 11=t1r 41=t1 1=FA2 55=FXT 54=1 60=now 38=30 40=4 44=10.20 99=10.12 59=1
expect FIX_BROKER_A 9 11=t1r 41=t1 434=2 102=99 58=~StopPx(99)+cannot+change
# the gateway crashes and comes back: same numbers, the resting order still tracked
run $STACK/stored.sh 16
run bash $top/scripts/gatewayd.sh kill $STACK
run bash $top/scripts/gatewayd.sh start $STACK >/dev/null
wait_logon FIX_BROKER_A
wait_logon FIX_BROKER_B
run psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "SET ROLE fix_broker_b" -c "SELECT * FROM exchange.submit_order('FB1', 'FXT', 'buy', 50, 10.00)"
expect FIX_BROKER_A 8 11=s1 150=F 39=2 32=50 14=100 151=0
# a ResendRequest after the restart is answered from PostgreSQL
set_next_target FIX_BROKER_A 2
status FIX_BROKER_A s1 FA1 FXT sell
expect FIX_BROKER_A 8 11=s1 150=0 43=Y 122=*
expect FIX_BROKER_A 8 11=s1 150=F 32=30 43=Y
expect FIX_BROKER_A 8 11=t1 150=0 99=10.10 43=Y
# cancel on disconnect (FIX_BROKER_B)
order FIX_BROKER_B d1 FB1 FXT buy 10 9.50 gtc
expect FIX_BROKER_B 8 11=d1 150=0
logout FIX_BROKER_B
run for i in \$(seq 1 200); do [ "\$(psql -X -Atq -c "SELECT count(*) FROM exchange.journal WHERE kind = 'canceled' AND account = 'FB1'")" -ge 1 ] && exit 0; sleep 0.05; done; exit 1
logon FIX_BROKER_B
wait_logon FIX_BROKER_B
expect FIX_BROKER_B 8 11=d1 150=4 39=4 58=cancel+on+disconnect
# asks from SQL (FA1): 5 @10.10 and 20 @10.16; the last trade is 10.00
run $STACK/sql_is.sh fix_broker_a new "SELECT status FROM exchange.submit_order('FA1', 'FXT', 'sell', 5, 10.10, time_in_force => 'gtc')"
run $STACK/sql_is.sh fix_broker_a new "SELECT status FROM exchange.submit_order('FA1', 'FXT', 'sell', 20, 10.16, time_in_force => 'gtc')"
# a post-only buy at the ask would cross: rejected, with the text SQL gives
msg FIX_BROKER_B D 11=p1 1=FB1 55=FXT 54=1 60=now 38=1 40=2 44=10.10 18=6
expect FIX_BROKER_B 8 11=p1 150=8 39=8 18=6 58=post_only_would_cross
run $STACK/sql_is.sh fix_broker_b "rejected post_only_would_cross" "SELECT status || ' ' || reject_reason FROM exchange.submit_order('FB1', 'FXT', 'buy', 1, 10.10, post_only => true)"
# a post-only good-till-date order below the ask rests, its options echoed
msg FIX_BROKER_B D 11=g1 1=FB1 55=FXT 54=1 60=now 38=1 40=2 44=9.00 18=6 59=6 126=$expire
expect FIX_BROKER_B 8 11=g1 150=0 39=0 40=2 18=6 59=6 126=*
# a replace keeps its options; it may not move the expire time
msg FIX_BROKER_B G 11=g1r 41=g1 1=FB1 55=FXT 54=1 60=now 38=1 40=2 44=9.00 18=6 59=6 126=$expire2
expect FIX_BROKER_B 9 11=g1r 41=g1 434=2 102=99 58=~ExpireTime(126)+cannot+change
msg FIX_BROKER_B G 11=g1q 41=g1 1=FB1 55=FXT 54=1 60=now 38=2 40=2 44=9.00 18=6 59=6 126=$expire
expect FIX_BROKER_B 8 11=g1q 41=g1 150=5 39=0 38=2 151=2 18=6 59=6 126=*
# a sell stop waits and is canceled before it fires
msg FIX_BROKER_B D 11=st1 1=FB1 55=FXT 54=2 60=now 38=3 40=3 99=9.50
expect FIX_BROKER_B 8 11=st1 150=0 39=0 40=3 99=9.50 59=3
cancel FIX_BROKER_B c3 st1 FB1 FXT sell
expect FIX_BROKER_B 8 11=c3 41=st1 150=4 39=4 40=3 99=9.50
# a FIX buy of 5 @10.10 takes the ask at 10.10; that last price reaches t1's
# stop (t1 was loaded from the journal by the restarted gateway): t1 enters at
# its limit 10.20, buys 20 @10.16 and rests 10 - the trigger first, then the fill
msg FIX_BROKER_B D 11=b2 1=FB1 55=FXT 54=1 60=now 38=5 40=2 44=10.10 59=3
expect FIX_BROKER_B 8 11=b2 150=F 39=2 32=5 31=10.10
expect_next FIX_BROKER_A 8 11=t1 150=D 39=0 378=8 40=4 44=10.20 99=10.10 151=30 14=0 58=~triggered
expect_next FIX_BROKER_A 8 11=t1 150=F 39=1 32=20 31=10.16 14=20 151=10 99=10.10
# its rest is a second accepted in the journal, and no second New over FIX
run $STACK/sql_is.sh NONE 2 "SELECT count(*) FROM exchange.journal WHERE kind = 'accepted' AND order_id = (SELECT seq FROM exchange.journal WHERE kind = 'new_order' AND client_order_id = 't1')"
none FIX_BROKER_A 8 11=t1 150=0
# an SQL sell fills the rest of the triggered stop limit
run $STACK/sql_is.sh fix_broker_b filled "SELECT status FROM exchange.submit_order('FB1', 'FXT', 'sell', 10, 10.20)"
expect_next FIX_BROKER_A 8 11=t1 150=F 39=2 32=10 31=10.20 14=30 151=0
none FIX_BROKER_A 8 11=t1 150=0
EOF

# a bad password, an unknown Username: Logout with the reason, nothing else
mkdir -p "$STACK/qf2"
"$client" "$PGX_FIX_PORT" "$STACK/qf2" FIX_BROKER_C:fix_broker_c:wrong >"$STACK/client2.log" 2>&1 <<EOF || { tail -20 "$STACK/client2.log"; fail "a bad password was not refused"; }
wait_logout FIX_BROKER_C logon refused: bad Username or Password
EOF
mkdir -p "$STACK/qf3"
"$client" "$PGX_FIX_PORT" "$STACK/qf3" FIX_BROKER_C:fix_broker_c:secret-c >"$STACK/client3.log" 2>&1 <<EOF || { tail -20 "$STACK/client3.log"; fail "the right password was refused"; }
wait_logon FIX_BROKER_C
EOF

# the orders are ordinary journal rows, recorded with the broker role that sent them
# (s1, r1, t1 and x2, which the order manager refused; x3 and x4 never left the
# gateway, as submit_order would not send them)
got=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'new_order' AND detail->>'fix_session' = 'FIX_BROKER_A' AND detail->>'role' = 'fix_broker_a'")
[ "$got" -eq 4 ] || fail "FIX_BROKER_A's orders are not journaled with role fix_broker_a ($got)"
got=$(q "SELECT client_order_id FROM exchange.journal WHERE kind = 'new_order' AND client_order_id = 's1' AND account = 'FA1'")
[ "$got" = s1 ] || fail "ClOrdID is not the client_order_id"
got=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'trade' AND (order_id IN (SELECT seq FROM exchange.journal WHERE client_order_id = 's1' AND kind = 'new_order') OR contra_order_id IN (SELECT seq FROM exchange.journal WHERE client_order_id = 's1' AND kind = 'new_order'))")
[ "$got" -eq 3 ] || fail "s1 should have 3 trades in the journal, has $got"
# the stop's and the options' detail is submit_order's, with the session
got=$(q "SELECT detail->>'fix_session' || ' ' || (detail->>'stop_price') FROM exchange.journal WHERE kind = 'new_order' AND client_order_id = 't1'")
[ "$got" = "FIX_BROKER_A 1010" ] || fail "t1's new_order detail: $got"
got=$(q "SELECT (detail->>'post_only') || ' ' || (detail->>'expire_time' IS NOT NULL)::text || ' ' || time_in_force FROM exchange.journal WHERE kind = 'new_order' AND client_order_id = 'g1'")
[ "$got" = "true true gtd" ] || fail "g1's new_order: $got"
got=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'triggered' AND order_id = (SELECT seq FROM exchange.journal WHERE kind = 'new_order' AND client_order_id = 't1')")
[ "$got" -eq 1 ] || fail "t1 was triggered $got times in the journal"
# the sequence numbers are persisted
got=$(q "SELECT next_out_seq > 10 AND next_in_seq > 10 FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A'")
[ "$got" = t ] || fail "FIX_BROKER_A's sequence numbers were not persisted"
grep -q "logon as FIX_BROKER_C refused by PostgreSQL" "$STACK/gatewayd.log" || fail "the refused logon is not logged"

gatewayd_stop || fail "gatewayd did not stop cleanly"
sanitizer_clean
echo "ok fix_gateway: logon, orders, fills FIX/FIX and FIX/SQL, cancel, replace, status, refusals, restart with resend, cancel on disconnect, bad password, a stop limit triggered over FIX (restated, then filled), post-only and gtd, a waiting stop canceled"
