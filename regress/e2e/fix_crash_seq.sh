#!/usr/bin/env bash
# A gateway killed before its message store wrote what it sent must not send
# those MsgSeqNums again (the counterparty would log out "MsgSeqNum too low"):
# the store keeps the next outgoing number GWDB_SEQ_RESERVE ahead while the
# gateway runs (daemon/gateway/gwdb.h).  The drill stalls the store (a row
# lock on the session, so the gateway's writes wait), has three orders
# acknowledged, SIGKILLs the gateway, ends the stalled write (its backend is
# terminated, so it never commits), restarts the gateway, and logs on again
# without a reset (regress/e2e/fix_crash_seq.py): the gateway's numbers go on
# above what was sent, the gap is filled, orders are acknowledged.  A clean
# stop then stores the real number, no reservation.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
fix_stack
stack_market fix_broker_a FXT FA1
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
ALTER ROLE fix_broker_a PASSWORD 'secret-a';
SELECT exchange.fix_add_session('FIX_BROKER_A', 'fix_broker_a');
SQL
gatewayd_start || fail "gatewayd did not start"
cp "$top/regress/e2e/fix_crash_seq.py" "$STACK/bin/fix_crash_seq.py"
mkdir -p "$STACK/drill"

python3 "$STACK/bin/fix_crash_seq.py" before "$PGX_FIX_PORT" secret-a "$STACK/drill" \
	>"$STACK/before.log" 2>&1 &
drill=$!
session() { q "SELECT $1 FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A'"; }
logged_on() { [ -e "$STACK/drill/logged_on" ]; }
logon_stored() { [ "$(session 'next_out_seq > 1')" = t ]; }
stall_holds() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stall' AND wait_event = 'PgSleep'")" -ge 1 ]; }
store_waits() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE usename = 'gatewayd' AND wait_event_type = 'Lock'")" -ge 1 ]; }
wait_until 30 "the session logs on" logged_on
# the Logon's numbers are written (with the reservation) before the stall
wait_until 30 "the Logon's numbers are stored" logon_stored
# the stall: a transaction holding the session's row (the store's writes need it)
psql -X -q -d "$PGDATABASE" -c "SET application_name = 'stall'" \
	-c "BEGIN; SELECT 1 FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A' FOR UPDATE; SELECT pg_sleep(120); COMMIT" \
	>/dev/null 2>&1 &
stall=$!
wait_until 30 "the stall holds the session's row" stall_holds
stored_before=$(session next_out_seq)
touch "$STACK/drill/locked"
wait "$drill" || { cat "$STACK/before.log"; fail "the orders before the crash"; }
cat "$STACK/before.log"
# the gateway's write waits for the lock: nothing of the orders is stored
wait_until 30 "the store's write waits for the stall" store_waits
[ "$(session next_out_seq)" = "$stored_before" ] ||
	fail "the store wrote despite the stall"
gatewayd_kill
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'gatewayd'" >/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stall'" >/dev/null
wait "$stall" 2>/dev/null || true # it was terminated
[ "$(session next_out_seq)" = "$stored_before" ] ||
	fail "the stalled write committed after all"

gatewayd_start || fail "gatewayd did not restart"
timeout 60 python3 "$STACK/bin/fix_crash_seq.py" after "$PGX_FIX_PORT" secret-a "$STACK/drill" \
	>"$STACK/after.log" 2>&1 || { cat "$STACK/after.log"; fail "after the restart"; }
cat "$STACK/after.log"
# a clean stop stores the real next number
gatewayd_stop || fail "gatewayd did not stop cleanly"
[ "$(session "next_out_seq < $stored_before + 10000")" = t ] ||
	fail "the clean stop left the reservation in fix_sessions ($(session next_out_seq))"
sanitizer_clean
echo "ok fix_crash_seq"
