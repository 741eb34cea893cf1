------------------------------------------------------------------------------
-- Reports (issue 7), part 3: the per-account daily summary of order activity
-- and executions.
--
-- Definitions (docs/reports.md):
--   orders_entered  new_order commands of the account (whatever their outcome)
--   cancels         cancel_order commands; amends: amend_order commands
--   rejected        order events `rejected` (new orders and amends refused by
--                   the order manager or the engine)
--   order_messages  orders_entered + cancels + amends
--   fills           execution sides of the account (as taker and as maker)
--   order_to_trade_ratio  order_messages / fills, rounded to 4 decimals;
--                   NULL when there was no fill
-- Money columns are in the currency of the symbols concerned: one row per
-- trading day, account and currency.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.daily_account_summary(trading_day date DEFAULT NULL,
	account text DEFAULT NULL)
RETURNS TABLE (trading_day date, account text, currency text, orders_entered bigint,
	cancels bigint, amends bigint, rejected bigint, order_messages bigint, fills bigint,
	buy_quantity bigint, sell_quantity bigint, bought_notional numeric, sold_notional numeric,
	fees numeric, net_cash numeric, order_to_trade_ratio numeric)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('daily_account_summary', $1, false, $2);
	WITH msgs AS (
		SELECT r.trading_day, r.account, s.currency,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'new_order') AS entered,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'cancel_order') AS cancels,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'amend_order') AS amends,
			   count(*) FILTER (WHERE r.kind = 'rejected') AS rejected
		  FROM @extschema@.order_records r
		  LEFT JOIN @extschema@.symbols s ON s.symbol = r.symbol
		 WHERE (r.idx = 0 OR r.kind = 'rejected')
		   AND ($1 IS NULL OR r.trading_day = $1)
		   AND ($2 IS NULL OR r.account = $2)
		 GROUP BY r.trading_day, r.account, s.currency
	), fills AS (
		SELECT e.trading_day, e.account, e.currency, count(*) AS fills,
			   coalesce(sum(e.quantity) FILTER (WHERE e.side = 'buy'), 0) AS buy_quantity,
			   coalesce(sum(e.quantity) FILTER (WHERE e.side = 'sell'), 0) AS sell_quantity,
			   coalesce(sum(e.notional_minor) FILTER (WHERE e.side = 'buy'), 0) AS bought,
			   coalesce(sum(e.notional_minor) FILTER (WHERE e.side = 'sell'), 0) AS sold,
			   sum(e.fee_minor) AS fees, sum(e.net_cash_minor) AS net_cash
		  FROM @extschema@.execution_sides e
		 WHERE ($1 IS NULL OR e.trading_day = $1)
		   AND ($2 IS NULL OR e.account = $2)
		 GROUP BY e.trading_day, e.account, e.currency
	)
	SELECT d.trading_day, d.account, d.currency,
		   coalesce(m.entered, 0), coalesce(m.cancels, 0), coalesce(m.amends, 0),
		   coalesce(m.rejected, 0),
		   coalesce(m.entered + m.cancels + m.amends, 0),
		   coalesce(f.fills, 0), coalesce(f.buy_quantity, 0)::bigint,
		   coalesce(f.sell_quantity, 0)::bigint,
		   @extschema@.minor_to_amount(coalesce(f.bought, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.sold, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.fees, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.net_cash, 0)::bigint, c.minor_digits),
		   CASE WHEN f.fills > 0
				THEN round(coalesce(m.entered + m.cancels + m.amends, 0)::numeric / f.fills, 4) END
	  FROM (SELECT trading_day, account, currency FROM msgs
			UNION
			SELECT trading_day, account, currency FROM fills) d
	  LEFT JOIN msgs m ON m.trading_day = d.trading_day AND m.account = d.account
					  AND m.currency IS NOT DISTINCT FROM d.currency
	  LEFT JOIN fills f ON f.trading_day = d.trading_day AND f.account = d.account
					   AND f.currency IS NOT DISTINCT FROM d.currency
	  LEFT JOIN @extschema@.currencies c ON c.currency = d.currency
	 ORDER BY d.trading_day, d.account, d.currency
$$;
COMMENT ON FUNCTION @extschema@.daily_account_summary(date, text) IS
	'Per trading day (NULL: every day), account (NULL: every account the caller may see) and currency of the symbols concerned: orders_entered (new_order commands, whatever their outcome), cancels (cancel_order commands), amends (amend_order commands), rejected (orders and amends refused: rejected events), order_messages = orders_entered + cancels + amends, fills (execution sides, as taker or maker), shares bought and sold, notional bought and sold, fees and net cash (exchange.execution_sides), and order_to_trade_ratio = order_messages / fills rounded to 4 decimals (NULL without fills).  A broker sees only its own accounts.  PX021 / 42501 unknown account (or not the caller''s).';

REVOKE ALL ON FUNCTION @extschema@.daily_account_summary(date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.daily_account_summary(date, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
