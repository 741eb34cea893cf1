#!/usr/bin/env bash
# End to end (1.8): exchange.cancel_all() against a real matchd.  A broker's
# account rests orders in two symbols beside another broker's order; the other
# broker cannot mass-cancel it (42501, nothing changes); the owner cancels one
# symbol's orders, then the rest, each by one sequenced command whose journal
# holds exactly those cancels, in book order, with the holds released; the
# other broker's order is untouched; matchd replays the day to the same state.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE e2e_mc_x LOGIN IN ROLE exchange_broker;
CREATE ROLE e2e_mc_y LOGIN IN ROLE exchange_broker;
SELECT symbol FROM exchange.add_symbol('MCA', 0.01);
SELECT symbol FROM exchange.add_symbol('MCB', 0.01);
SELECT account FROM exchange.open_account('MX1', 'e2e_mc_x', 'verified');
SELECT account FROM exchange.open_account('MY1', 'e2e_mc_y', 'verified');
SQL
stack_fund MCA MX1 MY1
stack_fund MCB MX1
x() { PGUSER=e2e_mc_x q "$1"; }
y() { PGUSER=e2e_mc_y q "$1"; }
order() { q "SELECT id FROM exchange.submit_order($1)"; }
held() { q "SELECT held FROM exchange.wallets WHERE account = '$1' AND currency = 'USD'"; }

a1=$(PGUSER=e2e_mc_x order "'MX1', 'MCA', 'buy', 100, 9.90")
a2=$(PGUSER=e2e_mc_x order "'MX1', 'MCA', 'buy', 100, 9.80, time_in_force => 'gtc'")
a3=$(PGUSER=e2e_mc_x order "'MX1', 'MCA', 'buy', 50, 9.90")
b1=$(PGUSER=e2e_mc_x order "'MX1', 'MCB', 'sell', 10, 11.00")
y1=$(PGUSER=e2e_mc_y order "'MY1', 'MCA', 'buy', 5, 9.70")
[ "$(held MX1)" = 246500 ] || fail "MX1 holds $(held MX1), not 246500"
last_seq() { q "SELECT last_seq FROM exchange.streams"; }
seq0=$(last_seq)

# another broker: refused before anything is sent, nothing sequenced
out=$(y "SELECT count(*) FROM exchange.cancel_all('MX1')" 2>&1) && fail "broker y mass-canceled MX1: $out"
echo "$out" | grep -q 'does not exist or does not belong to role "e2e_mc_y"' || fail "refusal: $out"
[ "$(last_seq)" = "$seq0" ] || fail "a refused mass cancel was sequenced"
out=$(x "SELECT count(*) FROM exchange.cancel_all('MX1', 'NOPE')" 2>&1) && fail "unknown symbol: $out"
echo "$out" | grep -q 'unknown symbol "NOPE"' || fail "unknown symbol: $out"

# one symbol: one command, its cancels in book order (best price, then oldest)
rows=$(x "SELECT string_agg(id || ':' || order_symbol || ':' || side || ':' || price || ':' || canceled_quantity, ' ' ORDER BY ordinality)
            FROM exchange.cancel_all('MX1', 'MCA') WITH ORDINALITY")
[ "$rows" = "$a1:MCA:buy:9.90:100 $a3:MCA:buy:9.90:50 $a2:MCA:buy:9.80:100" ] ||
	fail "cancel_all(MX1, MCA) returned: $rows"
seq1=$(last_seq)
[ "$seq1" = $((seq0 + 1)) ] || fail "the mass cancel took seqs $seq0..$seq1, not one"
journal=$(q "SELECT string_agg(idx || ' ' || kind || ' ' || coalesce(order_id::text, '-') || ' ' || coalesce(reason, '-'), ', ' ORDER BY idx)
               FROM exchange.journal WHERE seq = $seq1")
[ "$journal" = "0 mass_cancel - -, 1 canceled $a1 user_cancel, 2 canceled $a3 user_cancel, 3 canceled $a2 user_cancel" ] ||
	fail "journal of seq $seq1: $journal"
[ "$(q "SELECT account || ' ' || symbol || ' ' || (detail->>'role') FROM exchange.journal WHERE seq = $seq1 AND idx = 0")" = "MX1 MCA e2e_mc_x" ] ||
	fail "the command record does not name the account, symbol and role"
[ "$(held MX1)" = 0 ] || fail "MX1 still holds $(held MX1) after its buys were canceled"

# the rest: the MCB sell; then nothing is open, and a mass cancel still answers
[ "$(x "SELECT string_agg(id::text, ' ') FROM exchange.cancel_all('MX1')")" = "$b1" ] ||
	fail "cancel_all(MX1) did not cancel the MCB sell"
[ "$(x "SELECT count(*) FROM exchange.cancel_all('MX1')")" = 0 ] || fail "a second cancel_all found orders"
[ "$(last_seq)" = $((seq1 + 2)) ] || fail "the later mass cancels are not one seq each"
# the other broker's order was never touched
[ "$(q "SELECT count(*) FROM exchange.journal WHERE order_id = $y1 AND kind = 'canceled'")" = 0 ] ||
	fail "MY1's order was canceled"
[ "$(y "SELECT string_agg(id::text, ' ') FROM exchange.cancel_all('MY1', 'MCA')")" = "$y1" ] ||
	fail "MY1's order was not open any more"
# the broker sees its mass cancels in its account log, the other broker does not
[ "$(x "SELECT count(*) FROM exchange.account_log WHERE kind = 'mass_cancel'")" = 3 ] ||
	fail "broker x does not see its 3 mass cancels in account_log"
[ "$(y "SELECT count(*) FROM exchange.account_log WHERE kind = 'mass_cancel' AND account = 'MX1'")" = 0 ] ||
	fail "broker y sees MX1's mass cancels"

# matchd restarts and replays the day (mass cancels included) to the same state
matchd_restart_same_state
sanitizer_clean
echo "ok mass_cancel ($RESTART_HASHES after restart)"
