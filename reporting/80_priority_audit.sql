------------------------------------------------------------------------------
-- Surveillance (3): the price-time priority audit.  From the journal alone:
-- at every trade, the maker that traded was the first order of its side of
-- the book (best price, then earliest time priority) among the orders resting
-- at that moment (seq, idx).  Orders filled or cancelled (STP) earlier in the
-- same command have left by then; an empty answer is the proof of fair
-- matching.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.priority_violations(start_day date, end_day date DEFAULT NULL,
	only_symbol text DEFAULT NULL)
RETURNS TABLE (trading_day date, stream int, seq bigint, idx int, executed_at timestamptz,
	symbol text, price numeric, quantity bigint, taker_order_id bigint, taker_account text,
	maker_order_id bigint, maker_account text, maker_price numeric, maker_priority_seq bigint,
	maker_priority_idx int, bypassed_order_id bigint, bypassed_account text,
	bypassed_price numeric, bypassed_priority_seq bigint, bypassed_priority_idx int, rule text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, only_symbol);
	first_day date := start_day;
BEGIN
	-- Keys: seq * 2^21 + idx (as execution ids).  An episode [fk, tk] rests
	-- strictly after fk (its accepted or re-pricing amend) up to tk (the
	-- record that ended it; open: the largest bigint).  Ranking on a side:
	-- better price first (asks: lower, bids: higher), then lower fk.
	--
	-- Set-based, no replay:
	-- * earlier_time: in a level sorted by fk, the orders ahead of the maker
	--   are the preceding episodes; one of them still rests at the trade iff
	--   the largest tk among them is beyond the trade (a running max).
	-- * better_price: a level is occupied during its "islands" (unions of
	--   its overlapping episodes); for each maker price p of a side, the
	--   islands of strictly better levels, merged in time with the trades
	--   at p, cover a trade iff the running max of their ends passes it.
	-- Only for the (rare) violating trades are the bypassed orders looked up.
	RETURN QUERY
	WITH ep AS MATERIALIZED (
		SELECT r.stream, r.symbol, r.order_id, r.account, r.side, r.price_ticks, r.price,
			   r.priority_seq, r.priority_idx,
			   r.priority_seq * 2097152 + r.priority_idx AS fk,
			   coalesce(r.left_seq * 2097152 + r.left_idx, 9223372036854775807) AS tk
		  FROM @extschema@.resting_orders(first_day, last_day, only_symbol) r
	), lvl AS MATERIALIZED (
		SELECT e.*,
			   max(e.tk) OVER (PARTITION BY e.stream, e.symbol, e.side, e.price_ticks ORDER BY e.fk
							   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ahead_tk
		  FROM ep e
	), isl AS MATERIALIZED (
		SELECT x.stream, x.symbol, x.side, x.price_ticks, min(x.fk) AS fk, max(x.tk) AS tk
		  FROM (SELECT l.stream, l.symbol, l.side, l.price_ticks, l.fk, l.tk,
					   sum(CASE WHEN l.ahead_tk IS NULL OR l.fk > l.ahead_tk THEN 1 ELSE 0 END)
						   OVER (PARTITION BY l.stream, l.symbol, l.side, l.price_ticks ORDER BY l.fk)
						   AS island
				  FROM lvl l) x
		 GROUP BY x.stream, x.symbol, x.side, x.price_ticks, x.island
	), tr AS MATERIALIZED (
		SELECT j.stream, j.seq, j.idx, j.seq * 2097152 + j.idx AS k, j.trading_day, j.ts,
			   j.symbol, j.price, j.quantity, j.order_id, j.account, j.contra_order_id,
			   j.contra_account, CASE j.side WHEN 'buy' THEN 'sell'::@extschema@.side
						   ELSE 'buy'::@extschema@.side END AS mside,
			   m.order_id AS m_oid, m.account AS m_account, m.price_ticks AS m_price,
			   m.price AS m_price_num, m.priority_seq AS m_pseq, m.priority_idx AS m_pidx,
			   m.fk AS m_fk, m.ahead_tk AS m_ahead_tk
		  FROM @extschema@.journal_history j
		  LEFT JOIN lvl m
				 ON m.stream = j.stream AND m.order_id = j.contra_order_id
				AND m.symbol = j.symbol AND m.side <> j.side
				AND m.fk < j.seq * 2097152 + j.idx AND m.tk >= j.seq * 2097152 + j.idx
		 WHERE j.trading_day BETWEEN first_day AND last_day AND j.kind = 'trade'
		   AND (only_symbol IS NULL OR j.symbol = only_symbol)
	), cover AS (
		SELECT c.stream, c.k, c.tk IS NULL AS is_trade,
			   max(c.tk) OVER (PARTITION BY c.stream, c.symbol, c.side, c.p ORDER BY c.k
							   ROWS UNBOUNDED PRECEDING) AS covered_to
		  FROM (SELECT th.stream, th.symbol, th.side, th.p, i.fk AS k, i.tk
				  FROM (SELECT DISTINCT t.stream, t.symbol, t.mside AS side, t.m_price AS p
						  FROM tr t WHERE t.m_oid IS NOT NULL) th
				  JOIN isl i ON i.stream = th.stream AND i.symbol = th.symbol AND i.side = th.side
							AND CASE th.side WHEN 'sell' THEN i.price_ticks < th.p
											 ELSE i.price_ticks > th.p END
				UNION ALL
				SELECT t.stream, t.symbol, t.mside, t.m_price, t.k, NULL
				  FROM tr t WHERE t.m_oid IS NOT NULL) c
	), viol AS MATERIALIZED (
		SELECT t.*, coalesce(cv.covered_to > t.k, false) AS better,
			   coalesce(t.m_ahead_tk > t.k, false) AS earlier
		  FROM tr t
		  LEFT JOIN cover cv ON cv.stream = t.stream AND cv.k = t.k AND cv.is_trade
		 WHERE t.m_oid IS NULL OR t.m_price <> t.price OR cv.covered_to > t.k
			OR t.m_ahead_tk > t.k
	), target AS (
		-- the level the first bypassed order rests at: the best occupied
		-- level better than the maker's, else the maker's own
		SELECT v.stream, v.k, v.symbol, v.mside, v.m_oid, v.m_fk, v.m_price,
			   coalesce((SELECT i.price_ticks FROM isl i
						  WHERE v.better AND i.stream = v.stream AND i.symbol = v.symbol
							AND i.side = v.mside AND i.fk < v.k AND i.tk > v.k
							AND CASE v.mside WHEN 'sell' THEN i.price_ticks < v.m_price
											 ELSE i.price_ticks > v.m_price END
						  ORDER BY CASE v.mside WHEN 'sell' THEN i.price_ticks
												ELSE -i.price_ticks END
						  LIMIT 1), v.m_price) AS p
		  FROM viol v
		 WHERE v.better OR v.earlier
	), bypassed AS (
		SELECT DISTINCT ON (g.stream, g.k) g.stream, g.k, e.order_id, e.account, e.price,
			   e.price_ticks, e.priority_seq, e.priority_idx
		  FROM target g
		  JOIN ep e ON e.stream = g.stream AND e.symbol = g.symbol AND e.side = g.mside
				   AND e.price_ticks = g.p AND e.fk < g.k AND e.tk > g.k
				   AND e.order_id <> g.m_oid AND (g.p <> g.m_price OR e.fk < g.m_fk)
		 ORDER BY g.stream, g.k, e.fk
	)
	SELECT v.trading_day, v.stream, v.seq, v.idx, v.ts, v.symbol,
		   @extschema@.ticks_to_price(v.price, s.tick_size), v.quantity, v.order_id, v.account,
		   v.contra_order_id, v.contra_account, v.m_price_num, v.m_pseq, v.m_pidx,
		   b.order_id, b.account, b.price, b.priority_seq, b.priority_idx, r.rule
	  FROM viol v
	  LEFT JOIN bypassed b ON b.stream = v.stream AND b.k = v.k
	  LEFT JOIN @extschema@.symbols s ON s.symbol = v.symbol
	 CROSS JOIN LATERAL (VALUES
			(1, CASE WHEN v.m_oid IS NULL THEN 'maker_not_resting' END),
			(2, CASE WHEN v.m_oid IS NOT NULL AND v.m_price <> v.price THEN 'wrong_price' END),
			(3, CASE WHEN b.order_id IS NULL THEN NULL
					 WHEN b.price_ticks <> v.m_price THEN 'better_price'
					 ELSE 'earlier_time' END)) AS r (n, rule)
	 WHERE r.rule IS NOT NULL
	 ORDER BY v.trading_day, v.stream, v.seq, v.idx, r.n;
END
$$;
COMMENT ON FUNCTION @extschema@.priority_violations(date, date, text) IS
	'The price-time priority audit of trading days start_day..end_day (end_day NULL: start_day alone), from journal_history alone (no matchd): for every trade at its (seq, idx), the maker that traded must be the first order of its side of the book at that moment among the orders resting then (resting_orders(): an order rests from `accepted`; a kept-priority amend keeps its place, a priority_lost amend moves it to the back at the amend''s seq/idx; orders filled or cancelled earlier in the same command, e.g. by STP, have left; IOC/FOK/market remainders never rest).  One row per violated rule of a trade: better_price (an order at a better price rested and was passed over), earlier_time (an order at the maker''s price with earlier time priority rested and was passed over) -- bypassed_* name the first order that should have traded; maker_not_resting (the contra order was not resting on that side of that symbol at the trade: no priority to compare); wrong_price (the execution price is not the maker''s resting price).  Empty = every trade respected price-time priority.  only_symbol NULL: every symbol.  Errors: 22004 start_day NULL, 22023 end_day before start_day, PX020 unknown symbol.  Compliance, admin and dba only.';

REVOKE ALL ON FUNCTION @extschema@.priority_violations(date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.priority_violations(date, date, text)
	TO exchange_compliance, exchange_admin, exchange_dba;
