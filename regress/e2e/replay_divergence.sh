#!/usr/bin/env bash
# matchd refuses to serve from a book it cannot vouch for: when the journal's
# events differ from what replaying its commands produces (here: a trade's
# quantity altered behind the sequencer's back), recovery stops with exit
# status 4 and names the first differing seq; restored, it starts again.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market div_broker DIV V1 V2
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "orders"
SET ROLE div_broker;
SELECT status FROM exchange.submit_order('V1', 'DIV', 'buy', 10, 5.00);
SELECT status FROM exchange.submit_order('V2', 'DIV', 'sell', 4, 5.00);
SQL
matchd_stop
seq=$(q "SELECT seq FROM exchange.journal WHERE kind = 'trade'")
[ -n "$seq" ] || fail "no trade to tamper with"
q "UPDATE exchange.journal SET quantity = quantity + 1 WHERE kind = 'trade'" >/dev/null
if matchd_start 2>/dev/null; then
	fail "matchd served a journal that does not replay"
fi
grep -q "replay diverged from the journal at seq $seq" "$STACK/matchd.log" ||
	fail "matchd did not name the diverging seq $seq"
[ -S "$PGHOST/matchd.sock" ] && fail "a socket was left for clients"
q "UPDATE exchange.journal SET quantity = quantity - 1 WHERE kind = 'trade'" >/dev/null
matchd_start || fail "matchd does not start on the restored journal"
sanitizer_clean
echo "ok replay_divergence (seq $seq)"
