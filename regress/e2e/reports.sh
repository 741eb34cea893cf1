#!/usr/bin/env bash
# The reports (issue 7) against a real matchd session: random orders, cancels
# and amends from three accounts of two brokers on a symbol with fees, cash
# and shares moved in and out, the market closed.  Then, from the journal
# alone: positions_eod of the last day = matchd's own projection
# (balances(): available + held) for every account and asset; the settlement
# nets sum to zero per currency and symbol and its fee income adds up to
# fees_collected; FIFO lots acquired - disposed = open lots = the position;
# the trade blotter = execution_log for the day, its notional = the journal's
# (matchd's) and its fees = the trade's; a broker sees only its own rows.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market rp_one RPX R1 R2
stack_market rp_two RPY S1
stack_fund RPX S1
seed=${PGX_SEED:-$RANDOM}
n=${PGX_REPORTS_COMMANDS:-1500}
echo "seed $seed (PGX_SEED to repeat), $n commands"

q "SELECT 1 FROM exchange.set_symbol_limits('RPX', maker_fee_bps => 7, taker_fee_bps => 13)" >/dev/null ||
	fail "fees on RPX"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -f regress/e2e/lib/random_orders.sql || fail "setup"
q "CALL public.random_run($seed / 32768.0, $n, 0, 'RPX', ARRAY['R1', 'R2', 'S1'])" >/dev/null ||
	fail "random run"
# cash and shares in and out during the day, a refused one too
q "SELECT 1 FROM exchange.withdraw('R1', 1234.56, 'USD')" >/dev/null || fail "withdraw"
q "SELECT 1 FROM exchange.deposit('S1', 99.99, 'USD')" >/dev/null || fail "deposit"
q "SELECT 1 FROM exchange.debit_shares('R2', 'RPX', 17)" >/dev/null || fail "debit"
q "SELECT 1 FROM exchange.credit_shares('S1', 'RPX', 5)" >/dev/null || fail "credit"
q "SELECT 1 FROM exchange.withdraw('R2', 999999999.00, 'USD')" >/dev/null 2>&1 &&
	fail "an impossible withdrawal passed"
q "SELECT 1 FROM exchange.close_market()" >/dev/null || fail "close"

day=$(q "SELECT max(trading_day) FROM exchange.journal")
tday=$(q "SELECT max(trading_day) FROM exchange.journal WHERE kind = 'trade'")
trades=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'trade'")
fees=$(q "SELECT coalesce(sum(amount), 0) FROM exchange.fees_collected")
echo "days up to $day (trades on $tday): $trades trades, fees collected $fees"
[ "$trades" -ge 100 ] || fail "only $trades trades"
[ "$fees" != 0 ] || fail "no fee was charged"

# positions at the end of the last day = matchd's balances, every account and asset
diff=$(q "SELECT count(*) FROM (
	SELECT account, asset_type, asset, closing FROM exchange.positions_eod('$day')
	 WHERE closing <> 0 OR (account, asset) IN (SELECT account, asset FROM exchange.balances())
	EXCEPT ALL
	SELECT account, asset_type, asset, total FROM exchange.balances()) d")
back=$(q "SELECT count(*) FROM (
	SELECT account, asset_type, asset, total FROM exchange.balances()
	EXCEPT ALL
	SELECT account, asset_type, asset, closing FROM exchange.positions_eod('$day')) d")
n_bal=$(q "SELECT count(*) FROM exchange.balances()")
[ "$diff" = 0 ] && [ "$back" = 0 ] && [ "$n_bal" -ge 6 ] ||
	fail "positions_eod($day) and balances() differ: $diff rows only in positions_eod, $back only in balances ($n_bal balances)
$(q "SELECT * FROM exchange.positions_eod('$day') p FULL JOIN exchange.balances() b USING (account, asset_type, asset) WHERE p.closing IS DISTINCT FROM b.total")"
echo "positions_eod = balances(): $n_bal balances"

# settlement: per currency and per symbol the nets sum to zero; the fee
# income of every day adds up to what matchd collected
bad=$(q "SELECT count(*) FROM (SELECT asset_type, asset FROM exchange.settlement_report('$tday')
		 GROUP BY 1, 2 HAVING sum(net) <> 0) x")
rows=$(q "SELECT count(*) FROM exchange.settlement_report('$tday')")
[ "$bad" = 0 ] && [ "$rows" -ge 7 ] || fail "settlement of $tday does not net to zero ($bad assets, $rows rows)"
feesum=$(q "SELECT sum(s.net) = (SELECT sum(exchange.minor_to_amount(f.amount, c.minor_digits))
		  FROM exchange.fees_collected f JOIN exchange.currencies c USING (currency))
		FROM (SELECT DISTINCT trading_day FROM exchange.journal WHERE kind = 'trade') d,
			 exchange.settlement_report(d.trading_day) s WHERE s.party = 'exchange'")
[ "$feesum" = t ] || fail "the settlement's fee income is not fees_collected"

# FIFO lots: acquired - disposed = open lots = the position, per account and symbol
lots=$(q "SELECT count(*) FROM (
	SELECT m.account, m.symbol,
		   sum(m.quantity) FILTER (WHERE m.movement IN ('buy', 'credit'))
		   - coalesce(sum(m.quantity) FILTER (WHERE m.movement IN ('sell', 'debit')), 0) AS net
	  FROM exchange.tax_lot_movements m GROUP BY 1, 2) a
	FULL JOIN (SELECT account, symbol, sum(open_quantity) AS open FROM exchange.open_tax_lots() GROUP BY 1, 2) o
	  USING (account, symbol)
	FULL JOIN (SELECT account, asset AS symbol, closing FROM exchange.positions_eod('$day')
				WHERE asset_type = 'shares') p USING (account, symbol)
	WHERE a.net IS DISTINCT FROM o.open OR o.open IS DISTINCT FROM p.closing")
disp=$(q "SELECT (SELECT sum(quantity) FROM exchange.tax_lot_disposals())
			 = (SELECT sum(quantity) FROM exchange.tax_lot_movements WHERE movement IN ('sell', 'debit'))")
[ "$lots" = 0 ] && [ "$disp" = t ] || fail "tax lots do not add up ($lots accounts/symbols differ, disposals $disp)"
# every account began with 1,000,000 credited shares (basis unknown), which
# FIFO disposes of first: every sale is of unknown basis, every buy is still
# an open lot at its cost (notional + fee)
pnl=$(q "SELECT (SELECT sum(sold_quantity) || ' ' || sum(basis_unknown_quantity) || ' ' || sum(open_cost_basis)
				   FROM exchange.realized_pnl())
		 = (SELECT sum(quantity) FILTER (WHERE side = 'sell') || ' ' || sum(quantity) FILTER (WHERE side = 'sell')
				   || ' ' || -sum(net_cash) FILTER (WHERE side = 'buy')
			  FROM exchange.execution_sides)")
[ "$pnl" = t ] || fail "realized_pnl: $(q "SELECT * FROM exchange.realized_pnl()")"

# the blotter is execution_log for the day; notional and fees are matchd's
d1=$(q "SELECT count(*) FROM (
	(SELECT execution_id, account, side, price, quantity FROM exchange.trade_blotter('$tday')
	 EXCEPT ALL
	 SELECT id, account, side, price, quantity FROM exchange.execution_log
	  WHERE seq IN (SELECT seq FROM exchange.journal WHERE trading_day = '$tday'))
	UNION ALL
	(SELECT id, account, side, price, quantity FROM exchange.execution_log
	  WHERE seq IN (SELECT seq FROM exchange.journal WHERE trading_day = '$tday')
	 EXCEPT ALL
	 SELECT execution_id, account, side, price, quantity FROM exchange.trade_blotter('$tday'))) x")
nb=$(q "SELECT count(*) FROM exchange.trade_blotter('$tday')")
money=$(q "SELECT count(*) FROM exchange.trade_blotter('$tday') b
	JOIN exchange.journal j ON j.seq = b.seq AND j.idx = b.idx AND j.kind = 'trade'
	WHERE b.notional * 100 <> j.amount
	   OR b.fee * 100 <> coalesce((j.detail ->> CASE b.liquidity WHEN 'taker' THEN 'taker_fee' ELSE 'maker_fee' END)::bigint, 0)")
[ "$d1" = 0 ] && [ "$nb" = $((2 * trades)) ] && [ "$money" = 0 ] ||
	fail "blotter vs execution_log: $d1 rows differ, $nb rows for $trades trades, $money with other money"
echo "blotter = execution_log: $nb execution sides"

# the daily summary counts what the blotter and the journal hold
summ=$(q "SELECT count(*) FROM exchange.daily_account_summary('$tday') s
	WHERE s.fills <> (SELECT count(*) FROM exchange.trade_blotter('$tday', s.account))
	   OR s.orders_entered <> (SELECT count(*) FROM exchange.journal j WHERE j.trading_day = '$tday'
							   AND j.kind = 'new_order' AND j.account = s.account)")
[ "$summ" = 0 ] || fail "daily_account_summary disagrees with the blotter or the journal ($summ rows)"

# broker rp_two sees its account S1 only, everywhere; the audit trail of one
# of its orders is complete
as_two() { psql -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE rp_two" -c "$1"; }
seen=$(as_two "SELECT (SELECT count(*) FROM exchange.trade_blotter('$tday'))
	|| ' ' || (SELECT count(*) FROM exchange.trade_blotter('$tday') WHERE account <> 'S1')
	|| ' ' || (SELECT count(*) FROM exchange.positions_eod('$day') WHERE account <> 'S1')
	|| ' ' || (SELECT count(*) FROM exchange.settlement_report('$tday') WHERE account IS DISTINCT FROM 'S1')
	|| ' ' || (SELECT count(*) FROM exchange.trade_blotter('$tday') WHERE counterparty IS NOT NULL)")
own=$(q "SELECT count(*) FROM exchange.trade_blotter('$tday', 'S1')")
[ "$seen" = "$own 0 0 0 0" ] && [ "$own" -gt 0 ] || fail "rp_two's view: $seen (S1 has $own sides)"
oid=$(q "SELECT contra_order_id FROM exchange.journal WHERE kind = 'trade' AND contra_account = 'S1' LIMIT 1")
trail=$(as_two "SELECT count(*) FILTER (WHERE kind = 'new_order') || ' ' || count(*) FILTER (WHERE liquidity = 'maker')
		|| ' ' || count(*) FILTER (WHERE account <> 'S1') FROM exchange.order_audit_trail($oid)")
makers=$(q "SELECT count(*) FROM exchange.journal WHERE kind = 'trade' AND contra_order_id = $oid")
[ "$trail" = "1 $makers 0" ] || fail "audit trail of order $oid as rp_two: $trail (maker fills $makers)"

sanitizer_clean
echo "ok"
