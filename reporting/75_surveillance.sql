------------------------------------------------------------------------------
-- Surveillance (2): market-abuse indicators over the journal -- wash trades,
-- spoofing and layering, marking the close, order-to-trade ratio outliers.
-- Every one reads journal_history (live and archived days alike), takes the
-- period as start_day, end_day DEFAULT NULL (= start_day alone) and is
-- SECURITY DEFINER, executable by exchange_compliance, exchange_admin and
-- exchange_dba only (see 70_resting_orders.sql).  Prices are compared in
-- ticks and shown in numeric; ratios and shares are numeric.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.wash_trades(start_day date, end_day date DEFAULT NULL,
	include_same_broker boolean DEFAULT true, only_symbol text DEFAULT NULL)
RETURNS TABLE (trading_day date, executed_at timestamptz, stream int, seq bigint, idx int,
	symbol text, price numeric, quantity bigint, buy_account text, buy_order_id bigint,
	sell_account text, sell_order_id bigint, buy_broker name, sell_broker name, category text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, only_symbol);
	first_day date := start_day;
BEGIN
	IF include_same_broker IS NULL THEN
		RAISE EXCEPTION 'include_same_broker must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	RETURN QUERY
	SELECT t.trading_day, t.ts, t.stream, t.seq, t.idx, t.symbol,
		   @extschema@.ticks_to_price(t.price, s.tick_size), t.quantity,
		   CASE t.side WHEN 'buy' THEN t.account ELSE t.contra_account END,
		   CASE t.side WHEN 'buy' THEN t.order_id ELSE t.contra_order_id END,
		   CASE t.side WHEN 'buy' THEN t.contra_account ELSE t.account END,
		   CASE t.side WHEN 'buy' THEN t.contra_order_id ELSE t.order_id END,
		   CASE t.side WHEN 'buy' THEN ta.broker ELSE ma.broker END,
		   CASE t.side WHEN 'buy' THEN ma.broker ELSE ta.broker END,
		   CASE WHEN t.account = t.contra_account THEN 'same_account' ELSE 'same_broker' END
	  FROM @extschema@.journal_history t
	  LEFT JOIN @extschema@.accounts ta ON ta.account = t.account
	  LEFT JOIN @extschema@.accounts ma ON ma.account = t.contra_account
	  LEFT JOIN @extschema@.symbols s ON s.symbol = t.symbol
	 WHERE t.trading_day BETWEEN first_day AND last_day AND t.kind = 'trade'
	   AND (only_symbol IS NULL OR t.symbol = only_symbol)
	   AND (t.account = t.contra_account OR (include_same_broker AND ta.broker = ma.broker))
	 ORDER BY t.trading_day, t.stream, t.seq, t.idx;
END
$$;
COMMENT ON FUNCTION @extschema@.wash_trades(date, date, boolean, text) IS
	'Wash trades of trading days start_day..end_day (end_day NULL: start_day alone): trades whose buyer and seller are the same account (category same_account: matchd''s self-trade prevention is always on, so such a trade means STP failed or the journal was altered) or, when include_same_broker (default true), different accounts of the same broker (category same_broker: to be explained by the broker).  One row per trade in journal order: price, quantity, buy and sell accounts and orders (the taker or the maker, whichever bought or sold), their brokers.  only_symbol NULL: every symbol.  Errors: 22004 start_day or include_same_broker NULL, 22023 end_day before start_day, PX020 unknown symbol.  Compliance, admin and dba only.';

CREATE FUNCTION @extschema@.spoofing_alerts(start_day date, end_day date DEFAULT NULL,
	min_quantity bigint DEFAULT NULL, size_multiple numeric DEFAULT 5,
	max_ticks_from_touch int DEFAULT 2, max_lifetime interval DEFAULT '10 seconds',
	trade_window interval DEFAULT '5 seconds', layering_min_orders int DEFAULT 3,
	only_symbol text DEFAULT NULL)
RETURNS TABLE (trading_day date, stream int, symbol text, account text, order_id bigint,
	side @extschema@.side, price numeric, quantity bigint, median_quantity bigint,
	touch_price numeric, ticks_from_touch bigint, entered_at timestamptz,
	canceled_at timestamptz, lifetime interval, opposite_trades bigint,
	opposite_quantity bigint, layered_orders int, category text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the joins below are of whole intermediate results, without indexes, whose
-- sizes the planner cannot estimate (it assumes a row or so): a nested loop
-- would re-read one per row of the other
SET enable_nestloop = off
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, only_symbol);
	first_day date := start_day;
BEGIN
	IF min_quantity IS NULL AND size_multiple IS NULL THEN
		RAISE EXCEPTION 'min_quantity and size_multiple are both NULL: every order would be large'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give at least one of them (min_quantity => 1 to consider every order).';
	END IF;
	IF min_quantity < 1 OR size_multiple <= 0 OR max_ticks_from_touch < 0
	   OR max_lifetime <= interval '0' OR trade_window < interval '0' OR layering_min_orders < 2 THEN
		RAISE EXCEPTION 'spoofing_alerts: min_quantity must be >= 1, size_multiple > 0, max_ticks_from_touch >= 0, max_lifetime > 0, trade_window >= 0 and layering_min_orders >= 2'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF max_ticks_from_touch IS NULL OR max_lifetime IS NULL OR trade_window IS NULL
	   OR layering_min_orders IS NULL THEN
		RAISE EXCEPTION 'max_ticks_from_touch, max_lifetime, trade_window and layering_min_orders must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	RETURN QUERY
	WITH ep AS MATERIALIZED (
		SELECT r.*, r.priority_seq * 2097152 + r.priority_idx AS fk,
			   coalesce(r.left_seq * 2097152 + r.left_idx, 9223372036854775807) AS tk
		  FROM @extschema@.resting_orders(first_day, last_day, only_symbol) r
	), med AS MATERIALIZED (
		-- the symbol's median order size of the day (a quantity that was ordered)
		SELECT c.trading_day, c.stream, c.symbol,
			   percentile_disc(0.5) WITHIN GROUP (ORDER BY c.quantity) AS q
		  FROM @extschema@.journal_history c
		 WHERE c.trading_day BETWEEN first_day AND last_day AND c.idx = 0
		   AND c.kind = 'new_order' AND (only_symbol IS NULL OR c.symbol = only_symbol)
		 GROUP BY c.trading_day, c.stream, c.symbol
	), cand AS MATERIALIZED (
		-- large, cancelled by its owner within max_lifetime of resting there
		SELECT e.*, m.q AS median_q
		  FROM ep e
		  LEFT JOIN med m ON m.trading_day = e.entered_day AND m.stream = e.stream
						 AND m.symbol = e.symbol
		 WHERE e.entered_day BETWEEN first_day AND last_day
		   AND e.left_by = 'canceled' AND e.left_reason = 'user_cancel'
		   AND e.left_at - e.entered_at <= max_lifetime
		   AND (min_quantity IS NULL OR e.quantity >= min_quantity)
		   AND (size_multiple IS NULL OR e.quantity >= size_multiple * m.q)
	), fills AS MATERIALIZED (
		-- executions by account and side (taker and maker) of the candidates'
		-- accounts and symbols
		SELECT j.stream, j.symbol, x.acct, x.side, j.ts, j.quantity
		  FROM @extschema@.journal_history j
		 CROSS JOIN LATERAL (VALUES (j.account, j.side),
									(j.contra_account, CASE j.side WHEN 'buy' THEN 'sell'::@extschema@.side
																   ELSE 'buy'::@extschema@.side END)
			) AS x (acct, side)
		 WHERE j.trading_day BETWEEN first_day AND last_day AND j.kind = 'trade'
		   AND (j.stream, j.symbol, x.acct) IN (SELECT c.stream, c.symbol, c.account FROM cand c)
	), opposite AS MATERIALIZED (
		-- ... on the other side, from the entry to trade_window after the cancel
		SELECT c.stream, c.order_id, c.fk, count(*) AS cnt, sum(f.quantity)::bigint AS qty
		  FROM cand c
		  JOIN fills f ON f.stream = c.stream AND f.symbol = c.symbol AND f.acct = c.account
					  AND f.side <> c.side
		 WHERE f.ts >= c.entered_at AND f.ts <= c.left_at + trade_window
		 GROUP BY c.stream, c.order_id, c.fk
	), isl AS MATERIALIZED (
		-- when each price level of the remaining candidates' books was
		-- occupied: the unions of its overlapping episodes
		SELECT x.stream, x.symbol, x.side, x.price_ticks, min(x.fk) AS fk, max(x.tk) AS tk
		  FROM (SELECT y.*, sum(CASE WHEN y.ahead IS NULL OR y.fk > y.ahead THEN 1 ELSE 0 END)
								OVER (PARTITION BY y.stream, y.symbol, y.side, y.price_ticks
									  ORDER BY y.fk) AS island
				  FROM (SELECT e.stream, e.symbol, e.side, e.price_ticks, e.fk, e.tk,
							   max(e.tk) OVER (PARTITION BY e.stream, e.symbol, e.side, e.price_ticks
											   ORDER BY e.fk ROWS BETWEEN UNBOUNDED PRECEDING
																	 AND 1 PRECEDING) AS ahead
						  FROM ep e
						 WHERE (e.stream, e.symbol, e.side) IN (
								SELECT c.stream, c.symbol, c.side
								  FROM cand c JOIN opposite o ON o.stream = c.stream AND o.fk = c.fk)) y) x
		 GROUP BY x.stream, x.symbol, x.side, x.price_ticks, x.island
	), touched AS MATERIALIZED (
		-- the best price of its side just before it rested (itself excluded:
		-- a level it opened starts at its own key)
		SELECT c.stream, c.fk,
			   CASE c.side WHEN 'buy' THEN max(i.price_ticks) ELSE min(i.price_ticks) END AS touch
		  FROM cand c
		  JOIN opposite o ON o.stream = c.stream AND o.fk = c.fk
		  LEFT JOIN isl i ON i.stream = c.stream AND i.symbol = c.symbol AND i.side = c.side
						 AND i.fk < c.fk AND i.tk > c.fk
		 GROUP BY c.stream, c.fk, c.side
	), near AS MATERIALIZED (
		SELECT c.*, o.cnt, o.qty, t.touch,
			   CASE c.side WHEN 'buy' THEN t.touch - c.price_ticks
						   ELSE c.price_ticks - t.touch END AS dist
		  FROM cand c
		  JOIN opposite o ON o.stream = c.stream AND o.fk = c.fk
		  JOIN touched t ON t.stream = c.stream AND t.fk = c.fk
		 WHERE coalesce(CASE c.side WHEN 'buy' THEN t.touch - c.price_ticks
									ELSE c.price_ticks - t.touch END, 0) <= max_ticks_from_touch
	), layers AS (
		-- such orders of the same account and side resting at overlapping times
		SELECT n.stream, n.fk, count(*) AS n
		  FROM near n
		  JOIN near p ON p.stream = n.stream AND p.symbol = n.symbol AND p.account = n.account
					 AND p.side = n.side
		 WHERE p.fk < n.tk AND n.fk < p.tk
		 GROUP BY n.stream, n.fk
	)
	SELECT o.entered_day, o.stream, o.symbol, o.account, o.order_id, o.side, o.price,
		   o.quantity, o.median_q, @extschema@.ticks_to_price(o.touch, s.tick_size),
		   coalesce(o.dist, 0), o.entered_at, o.left_at, o.left_at - o.entered_at, o.cnt, o.qty,
		   l.n::int,
		   CASE WHEN l.n >= layering_min_orders THEN 'layering' ELSE 'spoofing' END
	  FROM near o
	  JOIN layers l ON l.stream = o.stream AND l.fk = o.fk
	  LEFT JOIN @extschema@.symbols s ON s.symbol = o.symbol
	 ORDER BY o.entered_day, o.stream, o.symbol, o.fk;
END
$$;
COMMENT ON FUNCTION @extschema@.spoofing_alerts(date, date, bigint, numeric, int, interval, interval, int, text) IS
	'Spoofing and layering indicators of trading days start_day..end_day (end_day NULL: start_day alone): resting orders (episodes of resting_orders() that began in the period) that were large (quantity >= min_quantity when given, and >= size_multiple x the median quantity of the symbol''s new orders that day when given; default 5 x the median), placed near the top of the book (at most max_ticks_from_touch ticks, default 2, behind the best price of their side just before they rested -- inside or at the touch, or on an empty side, counts as 0), cancelled by their owner (reason user_cancel) at most max_lifetime (default 10 s) after they rested, while the same account executed on the other side of the same symbol (as taker or maker) between the entry and trade_window (default 5 s) after the cancel.  One row per order: size, median, touch, distance in ticks, lifetime, the opposite executions (count, quantity); category layering when at least layering_min_orders (default 3) such orders of the account on the same side rested at overlapping times (layered_orders counts them, itself included), else spoofing.  Errors: 22004 a NULL start_day, max_ticks_from_touch, max_lifetime, trade_window or layering_min_orders; 22023 end_day before start_day, min_quantity and size_multiple both NULL, min_quantity < 1, size_multiple <= 0, max_ticks_from_touch < 0, max_lifetime <= 0, trade_window < 0, layering_min_orders < 2; PX020 unknown symbol.  Compliance, admin and dba only.';

CREATE FUNCTION @extschema@.marking_the_close(start_day date, end_day date DEFAULT NULL,
	close_window interval DEFAULT '5 minutes', min_move_bps numeric DEFAULT 50,
	min_share numeric DEFAULT 0.25, only_symbol text DEFAULT NULL)
RETURNS TABLE (trading_day date, stream int, symbol text, close_at timestamptz,
	window_start timestamptz, pre_window_price numeric, close_price numeric, move_bps numeric,
	window_trades bigint, window_volume bigint, account text, aggressive_volume bigint,
	share numeric, did_closing_trade boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, only_symbol);
	first_day date := start_day;
BEGIN
	IF close_window IS NULL OR min_move_bps IS NULL OR min_share IS NULL THEN
		RAISE EXCEPTION 'close_window, min_move_bps and min_share must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF close_window <= interval '0' OR min_move_bps < 0 OR min_share <= 0 OR min_share > 1 THEN
		RAISE EXCEPTION 'marking_the_close: close_window must be > 0, min_move_bps >= 0 and min_share in (0, 1]'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH closes AS (
		-- the day's last market_close that the engine accepted
		SELECT DISTINCT ON (c.stream, c.trading_day) c.stream, c.trading_day, c.seq, c.ts
		  FROM @extschema@.journal_history c
		 WHERE c.trading_day BETWEEN first_day AND last_day AND c.idx = 0
		   AND c.kind = 'market_close'
		   AND EXISTS (SELECT 1 FROM @extschema@.journal_history ev
						WHERE ev.stream = c.stream AND ev.trading_day = c.trading_day
						  AND ev.seq = c.seq AND ev.idx > 0 AND ev.kind = 'accepted')
		 ORDER BY c.stream, c.trading_day, c.seq DESC
	), win AS MATERIALIZED (
		SELECT cl.trading_day, cl.stream, cl.ts AS close_at, cl.ts - close_window AS wstart,
			   t.symbol, t.seq, t.idx, t.side, t.price, t.quantity, t.account, t.contra_account
		  FROM closes cl
		  JOIN @extschema@.journal_history t
			ON t.stream = cl.stream AND t.trading_day = cl.trading_day AND t.kind = 'trade'
		   AND t.seq < cl.seq AND t.ts >= cl.ts - close_window
		   AND (only_symbol IS NULL OR t.symbol = only_symbol)
	), per_symbol AS MATERIALIZED (
		SELECT w.trading_day, w.stream, w.symbol, w.close_at, w.wstart,
			   count(*) AS n, sum(w.quantity)::bigint AS vol,
			   (array_agg(w.price ORDER BY w.seq DESC, w.idx DESC))[1] AS close_px,
			   (array_agg(w.account ORDER BY w.seq DESC, w.idx DESC))[1] AS last_taker,
			   (array_agg(w.contra_account ORDER BY w.seq DESC, w.idx DESC))[1] AS last_maker
		  FROM win w
		 GROUP BY w.trading_day, w.stream, w.symbol, w.close_at, w.wstart
	), moved AS MATERIALIZED (
		SELECT ps.*, pre.price AS pre_px,
			   round((ps.close_px - pre.price) * 10000::numeric / pre.price, 2) AS bps,
			   CASE WHEN ps.close_px > pre.price THEN 'buy'::@extschema@.side
					ELSE 'sell'::@extschema@.side END AS dir
		  FROM per_symbol ps
		 CROSS JOIN LATERAL (
				SELECT p.price FROM @extschema@.journal_history p
				 WHERE p.kind = 'trade' AND p.symbol = ps.symbol AND p.stream = ps.stream
				   AND p.trading_day <= ps.trading_day AND p.ts < ps.wstart
				 ORDER BY p.ts DESC, p.seq DESC, p.idx DESC
				 LIMIT 1) pre
		 WHERE ps.close_px <> pre.price
		   AND abs(ps.close_px - pre.price) * 10000::numeric >= min_move_bps * pre.price
	)
	SELECT m.trading_day, m.stream, m.symbol, m.close_at, m.wstart,
		   @extschema@.ticks_to_price(m.pre_px, s.tick_size),
		   @extschema@.ticks_to_price(m.close_px, s.tick_size), m.bps, m.n, m.vol, a.account,
		   a.vol, round(a.vol::numeric / m.vol, 4),
		   a.account IN (m.last_taker, m.last_maker)
	  FROM moved m
	 CROSS JOIN LATERAL (
			SELECT w.account, sum(w.quantity)::bigint AS vol
			  FROM win w
			 WHERE w.trading_day = m.trading_day AND w.stream = m.stream AND w.symbol = m.symbol
			   AND w.side = m.dir
			 GROUP BY w.account) a
	  LEFT JOIN @extschema@.symbols s ON s.symbol = m.symbol
	 WHERE a.vol >= min_share * m.vol
	 ORDER BY m.trading_day, m.stream, m.symbol, a.vol DESC, a.account;
END
$$;
COMMENT ON FUNCTION @extschema@.marking_the_close(date, date, interval, numeric, numeric, text) IS
	'Marking the close, per trading day of start_day..end_day (end_day NULL: start_day alone) and symbol: the trades of the last close_window (default 5 minutes) before the day''s last accepted market_close (days without one are not assessed) that moved the closing price (the last trade before the close) by at least min_move_bps (default 50 basis points) from the last trade before the window (earlier days included; a symbol without one is not assessed), and the accounts whose aggressive (taker) volume in the direction of the move (buys when it rose, sells when it fell) is at least min_share (default 0.25) of the window''s volume.  One row per such account: prices, the move in basis points (rounded to 0.01), the window''s trades and volume, its volume and share (rounded to 0.0001), and whether it was a party (taker or maker) to the closing trade.  Errors: 22004 a NULL start_day, close_window, min_move_bps or min_share; 22023 end_day before start_day, close_window <= 0, min_move_bps < 0, min_share outside (0, 1]; PX020 unknown symbol.  Compliance, admin and dba only.';

CREATE FUNCTION @extschema@.order_to_trade_ratios(start_day date, end_day date DEFAULT NULL,
	min_messages int DEFAULT 100, max_ratio numeric DEFAULT 20, median_multiple numeric DEFAULT 5,
	only_flagged boolean DEFAULT true)
RETURNS TABLE (trading_day date, account text, broker name, new_orders bigint, cancels bigint,
	amends bigint, messages bigint, executions bigint, ratio numeric, day_median_ratio numeric,
	flagged boolean, flagged_by text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, NULL);
	first_day date := start_day;
BEGIN
	IF min_messages IS NULL OR only_flagged IS NULL THEN
		RAISE EXCEPTION 'min_messages and only_flagged must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF min_messages < 1 OR max_ratio <= 0 OR median_multiple <= 0 THEN
		RAISE EXCEPTION 'order_to_trade_ratios: min_messages must be >= 1, max_ratio and median_multiple > 0'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH msg AS (
		SELECT c.trading_day, c.account,
			   count(*) FILTER (WHERE c.kind = 'new_order') AS n_new,
			   count(*) FILTER (WHERE c.kind = 'cancel_order') AS n_cancel,
			   count(*) FILTER (WHERE c.kind = 'amend_order') AS n_amend
		  FROM @extschema@.journal_history c
		 WHERE c.trading_day BETWEEN first_day AND last_day AND c.idx = 0
		   AND c.kind IN ('new_order', 'cancel_order', 'amend_order') AND c.account IS NOT NULL
		 GROUP BY c.trading_day, c.account
	), fills AS (
		SELECT t.trading_day, x.acct, count(*) AS n
		  FROM @extschema@.journal_history t
		 CROSS JOIN LATERAL (VALUES (t.account), (t.contra_account)) AS x (acct)
		 WHERE t.trading_day BETWEEN first_day AND last_day AND t.kind = 'trade'
		 GROUP BY t.trading_day, x.acct
	), r AS (
		SELECT m.*, m.n_new + m.n_cancel + m.n_amend AS n_msg, coalesce(f.n, 0) AS n_exec,
			   CASE WHEN coalesce(f.n, 0) = 0 THEN 'Infinity'::numeric
					ELSE round((m.n_new + m.n_cancel + m.n_amend)::numeric / f.n, 2) END AS otr
		  FROM msg m
		  LEFT JOIN fills f ON f.trading_day = m.trading_day AND f.acct = m.account
	), med AS (
		SELECT r.trading_day, percentile_disc(0.5) WITHIN GROUP (ORDER BY r.otr) AS median
		  FROM r GROUP BY r.trading_day
	), judged AS (
		SELECT r.*, med.median,
			   array_remove(ARRAY[
					CASE WHEN r.n_msg >= min_messages AND r.otr >= max_ratio THEN 'max_ratio' END,
					CASE WHEN r.n_msg >= min_messages AND r.otr >= median_multiple * med.median
						 THEN 'median_multiple' END], NULL) AS why
		  FROM r JOIN med ON med.trading_day = r.trading_day
	)
	SELECT j.trading_day, j.account, a.broker, j.n_new, j.n_cancel, j.n_amend, j.n_msg, j.n_exec,
		   j.otr, j.median, cardinality(j.why) > 0, j.why
	  FROM judged j
	  LEFT JOIN @extschema@.accounts a ON a.account = j.account
	 WHERE NOT only_flagged OR cardinality(j.why) > 0
	 ORDER BY j.trading_day, j.otr DESC, j.account;
END
$$;
COMMENT ON FUNCTION @extschema@.order_to_trade_ratios(date, date, int, numeric, numeric, boolean) IS
	'Order-to-trade ratios per trading day of start_day..end_day (end_day NULL: start_day alone) and account, over every symbol: order messages (new_order, cancel_order and amend_order commands of the account, accepted or rejected), executions (trades in which the account was taker or maker), ratio = messages / executions rounded to 0.01 (Infinity when it never executed), the day''s median ratio over the accounts that sent messages.  flagged when messages >= min_messages (default 100) and the ratio >= max_ratio (default 20) or >= median_multiple (default 5) x the day''s median; flagged_by names the criteria met (NULL max_ratio or median_multiple: that criterion is off).  only_flagged (default true): the flagged rows only.  Errors: 22004 a NULL start_day, min_messages or only_flagged; 22023 end_day before start_day, min_messages < 1, max_ratio or median_multiple <= 0.  Compliance, admin and dba only.';

REVOKE ALL ON FUNCTION @extschema@.wash_trades(date, date, boolean, text),
	@extschema@.spoofing_alerts(date, date, bigint, numeric, int, interval, interval, int, text),
	@extschema@.marking_the_close(date, date, interval, numeric, numeric, text),
	@extschema@.order_to_trade_ratios(date, date, int, numeric, numeric, boolean)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.wash_trades(date, date, boolean, text),
	@extschema@.spoofing_alerts(date, date, bigint, numeric, int, interval, interval, int, text),
	@extschema@.marking_the_close(date, date, interval, numeric, numeric, text),
	@extschema@.order_to_trade_ratios(date, date, int, numeric, numeric, boolean)
	TO exchange_compliance, exchange_admin, exchange_dba;
