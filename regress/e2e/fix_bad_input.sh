#!/usr/bin/env bash
# The FIX gateway's bad-input drill (regress/e2e/fix_drill.py, a raw FIX
# speaker) against a real matchd and the sanitized gatewayd: garbage, a first
# message that is not a Logon, an unknown session, bad checksum, bad and absurd
# BodyLength, missing tags, an unknown MsgType, another broker's account, and
# 10,000 bad Logons from one address.  Each gets a Reject or Logout with a
# reason (or, for garbled bytes, is dropped as the FIX spec says); the gateway
# never crashes (same pid, no sanitizer report) and a good session trades
# before and after every step.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
fix_stack
stack_market fix_broker_a FXT FA1
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE fix_broker_b LOGIN IN ROLE exchange_broker;
CREATE ROLE fix_broker_c LOGIN IN ROLE exchange_broker;
SELECT account FROM exchange.open_account('FB1', 'fix_broker_b', 'verified');
ALTER ROLE fix_broker_a PASSWORD 'secret-a';
ALTER ROLE fix_broker_b PASSWORD 'secret-b';
ALTER ROLE fix_broker_c PASSWORD 'secret-c';
SELECT exchange.fix_add_session('FIX_BROKER_A', 'fix_broker_a');
SELECT exchange.fix_add_session('FIX_BROKER_B', 'fix_broker_b');
SELECT exchange.fix_add_session('FIX_BROKER_C', 'fix_broker_c');
SQL
stack_fund FXT FB1
gatewayd_start || fail "gatewayd did not start"
pid=$(bash "$top/scripts/gatewayd.sh" pid "$STACK")

cp "$top/regress/e2e/fix_drill.py" "$STACK/bin/fix_drill.py"
timeout 300 python3 "$STACK/bin/fix_drill.py" "$PGX_FIX_PORT" secret-a secret-b >"$STACK/drill.log" 2>&1 ||
	{ cat "$STACK/drill.log"; fail "the drill"; }
cat "$STACK/drill.log"
[ "$(bash "$top/scripts/gatewayd.sh" pid "$STACK")" = "$pid" ] || fail "gatewayd was restarted or died"
gatewayd_stop || fail "gatewayd did not stop cleanly"
sanitizer_clean
echo "ok fix_bad_input"
