#!/usr/bin/env bash
# End to end: brokers trade through libpq against a throwaway cluster and a
# real matchd (regress/e2e/order_entry.c holds the checks).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
client=$(build_client order_entry)
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE e2e_broker_x LOGIN IN ROLE exchange_broker;
CREATE ROLE e2e_broker_y LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('E2E', 0.01, 5, 'USD', 10.00, 'end-to-end test symbol');
SELECT account FROM exchange.open_account('X1', 'e2e_broker_x', 'verified');
SELECT account FROM exchange.open_account('Y1', 'e2e_broker_y', 'verified');
SQL
stack_fund E2E X1 Y1
"$client" || fail "order entry checks"
# matchd restarts and replays the day to the same book
matchd_restart_same_state
sanitizer_clean
echo "ok order_entry ($RESTART_HASHES after restart)"
