------------------------------------------------------------------------------
-- Reports (issue 7), part 2: executions with their money, and the trade
-- blotter of a day.
--
-- Cash of a trade (minor units of the symbol's currency): notional = price
-- ticks * quantity * symbols.tick_value; the fee of each side is the trade's
-- detail ({"taker_fee": n, "maker_fee": n}; none: 0); the buyer pays
-- notional + its fee, the seller receives notional - its fee, the fees go to
-- the exchange.  The same numbers matchd's order manager books.
------------------------------------------------------------------------------
CREATE VIEW @extschema@.execution_sides WITH (security_barrier) AS
	SELECT t.stream, t.trading_day, t.ts AS executed_at, t.seq, t.idx,
		   t.seq * 2097152 + t.idx * 2 + x.maker AS execution_id,
		   x.account, t.symbol, x.side,
		   CASE x.maker WHEN 0 THEN 'taker' ELSE 'maker' END AS liquidity,
		   x.order_id,
		   (SELECT o.client_order_id FROM @extschema@.journal_history o
			 WHERE o.stream = t.stream AND o.seq = x.order_id AND o.idx = 0
			   AND o.kind = 'new_order'
			 LIMIT 1) AS client_order_id,
		   @extschema@.ticks_to_price(t.price, s.tick_size) AS price,
		   t.price AS price_ticks, t.quantity, s.currency,
		   @extschema@.minor_to_amount(m.notional, c.minor_digits) AS notional,
		   @extschema@.minor_to_amount(x.fee, c.minor_digits) AS fee,
		   @extschema@.minor_to_amount(m.net_cash, c.minor_digits) AS net_cash,
		   m.notional AS notional_minor, x.fee AS fee_minor, m.net_cash AS net_cash_minor,
		   CASE WHEN (SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(ca.broker)
				THEN x.contra_account END AS counterparty
	  FROM @extschema@.journal_history t
	  LEFT JOIN @extschema@.symbols s ON s.symbol = t.symbol
	  LEFT JOIN @extschema@.currencies c ON c.currency = s.currency
	 CROSS JOIN LATERAL (VALUES
			(0, t.order_id, t.account, t.side, t.contra_account,
			 coalesce((t.detail ->> 'taker_fee')::bigint, 0)),
			(1, t.contra_order_id, t.contra_account,
			 CASE t.side WHEN 'buy' THEN 'sell'::@extschema@.side
						 WHEN 'sell' THEN 'buy'::@extschema@.side END,
			 t.account, coalesce((t.detail ->> 'maker_fee')::bigint, 0))
		) AS x (maker, order_id, account, side, contra_account, fee)
	 CROSS JOIN LATERAL (
			SELECT t.price * t.quantity * s.tick_value AS notional,
				   CASE x.side WHEN 'buy' THEN -(t.price * t.quantity * s.tick_value + x.fee)
							   ELSE t.price * t.quantity * s.tick_value - x.fee END AS net_cash
		) AS m
	  LEFT JOIN @extschema@.accounts a ON a.account = x.account
	  LEFT JOIN @extschema@.accounts ca ON ca.account = x.contra_account
	 WHERE t.kind = 'trade'
	   AND ((SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(a.broker));
COMMENT ON VIEW @extschema@.execution_sides IS
	'One row per side of each journal trade (taker: the trade''s order and account; maker: its contra order and account) with its money in the symbol''s currency: notional = price ticks * quantity * tick value, the side''s fee (the trade''s detail), and net cash (buy: -(notional + fee), sell: notional - fee).  Reads live and archived days.  A broker sees only the rows of the accounts its role owns, and a counterparty only when it owns that account too; staff see all.';
COMMENT ON COLUMN @extschema@.execution_sides.stream IS 'Stream of the trade; execution ids are unique within a stream.';
COMMENT ON COLUMN @extschema@.execution_sides.trading_day IS 'Trading day of the trade.';
COMMENT ON COLUMN @extschema@.execution_sides.executed_at IS 'Sequencer time of the trade.';
COMMENT ON COLUMN @extschema@.execution_sides.seq IS 'Seq of the command that traded.';
COMMENT ON COLUMN @extschema@.execution_sides.idx IS 'idx of the trade event within its seq.';
COMMENT ON COLUMN @extschema@.execution_sides.execution_id IS 'seq * 2^21 + idx * 2 + (0 taker, 1 maker): exchange.execution_log.id.';
COMMENT ON COLUMN @extschema@.execution_sides.account IS 'Account of this side.';
COMMENT ON COLUMN @extschema@.execution_sides.symbol IS 'Symbol traded.';
COMMENT ON COLUMN @extschema@.execution_sides.side IS 'buy or sell: this side''s.';
COMMENT ON COLUMN @extschema@.execution_sides.liquidity IS 'taker (the incoming order) or maker (the resting order).';
COMMENT ON COLUMN @extschema@.execution_sides.order_id IS 'This side''s order.';
COMMENT ON COLUMN @extschema@.execution_sides.client_order_id IS 'The broker''s id of this side''s order (from its new_order command).';
COMMENT ON COLUMN @extschema@.execution_sides.price IS 'Execution price (the maker''s) in the currency.';
COMMENT ON COLUMN @extschema@.execution_sides.price_ticks IS 'Execution price in ticks, as journaled.';
COMMENT ON COLUMN @extschema@.execution_sides.quantity IS 'Shares executed.';
COMMENT ON COLUMN @extschema@.execution_sides.currency IS 'Currency of the symbol: of notional, fee and net cash.';
COMMENT ON COLUMN @extschema@.execution_sides.notional IS 'price * quantity in the currency (exact: price ticks * quantity * tick value minor units).';
COMMENT ON COLUMN @extschema@.execution_sides.fee IS 'This side''s fee in the currency (0 when none was due).';
COMMENT ON COLUMN @extschema@.execution_sides.net_cash IS 'Cash the side''s account received (positive) or paid (negative): buy -(notional + fee), sell notional - fee.';
COMMENT ON COLUMN @extschema@.execution_sides.notional_minor IS 'notional in minor units of the currency.';
COMMENT ON COLUMN @extschema@.execution_sides.fee_minor IS 'fee in minor units.';
COMMENT ON COLUMN @extschema@.execution_sides.net_cash_minor IS 'net_cash in minor units.';
COMMENT ON COLUMN @extschema@.execution_sides.counterparty IS 'The other side''s account when the caller may see it (staff, or the broker owning it); else NULL.';

CREATE FUNCTION @extschema@.trade_blotter(trading_day date, account text DEFAULT NULL,
	symbol text DEFAULT NULL)
RETURNS TABLE (executed_at timestamptz, stream int, seq bigint, idx int, execution_id bigint,
	account text, symbol text, side @extschema@.side, liquidity text, order_id bigint,
	client_order_id text, price numeric, quantity bigint, notional numeric, fee numeric,
	net_cash numeric, currency text, counterparty text)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('trade_blotter', $1, true, $2, $3);
	SELECT e.executed_at, e.stream, e.seq, e.idx, e.execution_id, e.account, e.symbol, e.side,
		   e.liquidity, e.order_id, e.client_order_id, e.price, e.quantity, e.notional, e.fee,
		   e.net_cash, e.currency, e.counterparty
	  FROM @extschema@.execution_sides e
	 WHERE e.trading_day = $1
	   AND ($2 IS NULL OR e.account = $2)
	   AND ($3 IS NULL OR e.symbol = $3)
	 ORDER BY e.executed_at, e.stream, e.seq, e.idx, e.execution_id
$$;
COMMENT ON FUNCTION @extschema@.trade_blotter(date, text, text) IS
	'The executions of a trading day, one row per side (see exchange.execution_sides for the columns), of one account and one symbol when given (NULL: all the caller may see), in journal order (time, stream, seq, idx, taker before maker).  A broker sees only its own accounts'' sides; counterparty is NULL unless the caller may see that account.  22004 NULL trading_day, PX021 / 42501 unknown account (or not the caller''s), PX020 unknown symbol.';

REVOKE ALL ON @extschema@.execution_sides FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.trade_blotter(date, text, text) FROM PUBLIC;
GRANT SELECT ON @extschema@.execution_sides
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.trade_blotter(date, text, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
