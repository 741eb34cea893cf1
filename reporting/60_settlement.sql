------------------------------------------------------------------------------
-- Reports (issue 7), part 6: what each account settles for a trading day.
--
-- Per account and currency, the net cash of the day's executions (sells:
-- notional - fee received, buys: notional + fee paid); per account and
-- symbol, the net shares (bought received, sold delivered); and, for staff
-- only, the exchange's fee income per currency as its own row.  Invariants
-- (regress/sql/reports.sql, regress/e2e/reports.sh): per currency the
-- accounts' nets plus the fee income sum to zero; per symbol the accounts'
-- share nets sum to zero.  Deposits, withdrawals, credits and debits are not
-- trades and do not settle here (see positions_eod()).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.settlement_report(trading_day date)
RETURNS TABLE (trading_day date, party text, account text, asset_type text, asset text,
	executions bigint, received numeric, delivered numeric, net numeric, instruction text)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('settlement_report', $1, true);
	WITH sides AS (
		SELECT e.account, e.symbol, e.currency, e.side, e.quantity, e.fee_minor,
			   e.net_cash_minor
		  FROM @extschema@.execution_sides e
		 WHERE e.trading_day = $1
	), nets AS (
		SELECT 'account' AS party, s.account, 'cash' AS asset_type, s.currency AS asset,
			   count(*) AS executions,
			   coalesce(sum(s.net_cash_minor) FILTER (WHERE s.side = 'sell'), 0) AS received,
			   coalesce(-sum(s.net_cash_minor) FILTER (WHERE s.side = 'buy'), 0) AS delivered
		  FROM sides s GROUP BY s.account, s.currency
		UNION ALL
		SELECT 'account', s.account, 'shares', s.symbol, count(*),
			   coalesce(sum(s.quantity) FILTER (WHERE s.side = 'buy'), 0),
			   coalesce(sum(s.quantity) FILTER (WHERE s.side = 'sell'), 0)
		  FROM sides s GROUP BY s.account, s.symbol
		UNION ALL
		-- the fees of every side, which only staff see all of
		SELECT 'exchange', NULL, 'cash', s.currency, count(*) FILTER (WHERE s.fee_minor <> 0),
			   sum(s.fee_minor), 0
		  FROM sides s
		 WHERE (SELECT @extschema@.is_staff())
		 GROUP BY s.currency
	)
	SELECT $1, n.party, n.account, n.asset_type, n.asset, n.executions,
		   @extschema@.minor_to_amount(n.received::bigint, coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(n.delivered::bigint, coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount((n.received - n.delivered)::bigint, coalesce(c.minor_digits, 0)),
		   CASE WHEN n.received > n.delivered THEN 'receive'
				WHEN n.received = n.delivered THEN 'none'
				WHEN n.asset_type = 'cash' THEN 'pay'
				ELSE 'deliver' END
	  FROM nets n
	  LEFT JOIN @extschema@.currencies c ON n.asset_type = 'cash' AND c.currency = n.asset
	 ORDER BY n.party, n.account, n.asset_type, n.asset
$$;
COMMENT ON FUNCTION @extschema@.settlement_report(date) IS
	'What settles for the executions of a trading day.  party account: per account and currency (asset_type cash) the cash received from sales (notional - fee) and delivered for purchases (notional + fee), and per account and symbol (asset_type shares) the shares received (bought) and delivered (sold); net = received - delivered, instruction receive, pay (cash) / deliver (shares) or none.  party exchange (staff only, account NULL): the fee income per currency (executions: the sides that paid a fee).  Per currency the nets of all rows sum to zero, per symbol too.  A broker sees only its own accounts'' rows.  22004 NULL trading_day.';

REVOKE ALL ON FUNCTION @extschema@.settlement_report(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.settlement_report(date)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
