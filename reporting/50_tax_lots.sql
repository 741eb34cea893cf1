------------------------------------------------------------------------------
-- Reports (issue 7), part 5: FIFO tax lots and realized P&L.
--
-- Per account and symbol, in journal order (ts, stream, seq, idx; within one
-- stream that is (seq, idx)):
--   lots       each buy execution (cost basis = notional + the buyer's fee)
--              and each accepted credit_shares (basis unknown: NULL)
--   disposals  each sell execution (proceeds = notional - the seller's fee)
--              and each accepted debit_shares (no proceeds: NULL)
-- The n-th share disposed comes from the n-th share acquired (FIFO).  Set
-- based: every lot and disposal covers a range [from, to) of the cumulative
-- quantity; the boundaries of both, sorted, cut the disposed range into
-- segments, each inside exactly one lot and one disposal.  A lot's cost is
-- split over its shares by cumulative rounding -- shares [a, b) of a lot of q
-- shares costing c carry round(c * b / q) - round(c * a / q), rounded half
-- away from zero in exact integer arithmetic -- so that the parts of a lot
-- always sum to its cost; proceeds likewise.  matchd never lets a position
-- go below zero; in a journal where more was disposed than acquired the
-- excess comes from no lot (lot columns and basis NULL).
------------------------------------------------------------------------------

-- round(total * b / q) - round(total * a / q), exact
CREATE FUNCTION @extschema@.allocate_part(total bigint, quantity bigint, from_share bigint,
	to_share bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT (sign($1) * (div(2 * abs($1::numeric) * $4 + $2, 2 * $2::numeric)
					   - div(2 * abs($1::numeric) * $3 + $2, 2 * $2::numeric)))::bigint
$$;
COMMENT ON FUNCTION @extschema@.allocate_part(bigint, bigint, bigint, bigint) IS
	'The part of total (minor units) carried by shares [from_share, to_share) of a quantity: round(total * to_share / quantity) - round(total * from_share / quantity), rounded half away from zero in exact integer arithmetic, so that the parts of consecutive ranges always sum exactly to total.  Used for the cost and proceeds of split tax lots.';

CREATE VIEW @extschema@.tax_lot_movements AS
	SELECT e.stream, e.trading_day, e.executed_at AS ts, e.seq, e.idx, e.account, e.symbol,
		   e.currency, CASE e.side WHEN 'buy' THEN 'buy' ELSE 'sell' END AS movement,
		   e.quantity,
		   CASE e.side WHEN 'buy' THEN e.notional_minor + e.fee_minor
				ELSE e.notional_minor - e.fee_minor END AS value_minor,
		   e.execution_id
	  FROM @extschema@.execution_sides e
	UNION ALL
	SELECT l.stream, l.trading_day, l.ts, l.seq, l.idx, l.account, l.asset, s.currency,
		   CASE l.movement WHEN 'share_credit' THEN 'credit' ELSE 'debit' END,
		   abs(l.units), NULL::bigint, NULL::bigint
	  FROM @extschema@.account_ledger l
	  LEFT JOIN @extschema@.symbols s ON s.symbol = l.asset
	 WHERE l.movement IN ('share_credit', 'share_debit');
COMMENT ON VIEW @extschema@.tax_lot_movements IS
	'What acquires or disposes of shares for the tax lots: buy executions (value: cost basis = notional + fee) and accepted credit_shares (basis unknown: NULL) acquire; sell executions (value: proceeds = notional - fee) and accepted debit_shares (no proceeds: NULL) dispose.  From exchange.execution_sides and exchange.account_ledger, whose row scoping applies (a broker sees its own accounts).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.stream IS 'Stream of the record.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.trading_day IS 'Trading day of the record.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.ts IS 'Sequencer time of the record.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.seq IS 'Seq of the command.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.idx IS 'idx of the record (the trade event''s; 0 for credits and debits).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.account IS 'Account acquiring or disposing.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.symbol IS 'Symbol of the shares.';
COMMENT ON COLUMN @extschema@.tax_lot_movements.currency IS 'Currency of the symbol (of value_minor).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.movement IS 'buy or credit (acquisitions: lots), sell or debit (disposals).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.quantity IS 'Shares acquired or disposed (positive).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.value_minor IS 'Minor units: cost basis of a buy (notional + fee), proceeds of a sell (notional - fee); NULL for credits (basis unknown) and debits (no proceeds).';
COMMENT ON COLUMN @extschema@.tax_lot_movements.execution_id IS 'Trades: the execution id of the account''s side.';

CREATE FUNCTION @extschema@.tax_lot_disposals(from_day date DEFAULT NULL,
	to_day date DEFAULT NULL, account text DEFAULT NULL, symbol text DEFAULT NULL)
RETURNS TABLE (account text, symbol text, currency text, lot_stream int, lot_seq bigint,
	lot_idx int, lot_acquired_at timestamptz, lot_trading_day date, lot_movement text,
	disposal_stream int, disposal_seq bigint, disposal_idx int, disposed_at timestamptz,
	disposal_trading_day date, disposal_movement text, quantity bigint, cost_basis numeric,
	proceeds numeric, gain numeric)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('tax_lot_disposals', NULL, false, $3, $4, $1, $2);
	WITH mv AS (
		-- n: one even number per lot and per disposal, increasing with the
		-- cumulative quantity within an account and symbol (one join key)
		SELECT m.*,
			   (sum(m.quantity) OVER w)::bigint AS q_to,
			   2 * row_number() OVER (ORDER BY m.account, m.symbol, m.movement IN ('buy', 'credit'),
										  m.ts, m.stream, m.seq, m.idx) AS n
		  FROM @extschema@.tax_lot_movements m
		 WHERE ($2 IS NULL OR m.trading_day <= $2)
		   AND ($3 IS NULL OR m.account = $3)
		   AND ($4 IS NULL OR m.symbol = $4)
		WINDOW w AS (PARTITION BY m.account, m.symbol, m.movement IN ('buy', 'credit')
					 ORDER BY m.ts, m.stream, m.seq, m.idx ROWS UNBOUNDED PRECEDING)
	), lots AS (
		SELECT mv.*, mv.q_to - mv.quantity AS q_from FROM mv WHERE mv.movement IN ('buy', 'credit')
	), disp AS (
		SELECT mv.*, mv.q_to - mv.quantity AS q_from FROM mv WHERE mv.movement IN ('sell', 'debit')
	), points AS (
		-- where each lot and each disposal starts ...
		SELECT l.account, l.symbol, l.q_from AS point, l.n AS lot_n, NULL::bigint AS disp_n
		  FROM lots l
		UNION ALL
		SELECT d.account, d.symbol, d.q_from, NULL, d.n FROM disp d
		UNION ALL
		-- ... where the lots end (what lies beyond comes from no lot: an odd
		-- n above the last lot's) and where the disposals end
		SELECT d.account, d.symbol, coalesce(x.q_to, 0), coalesce(x.n, 0) + 1, NULL
		  FROM (SELECT DISTINCT disp.account, disp.symbol FROM disp) d
		  LEFT JOIN (SELECT lots.account, lots.symbol, max(lots.q_to) AS q_to, max(lots.n) AS n
					   FROM lots GROUP BY lots.account, lots.symbol) x
				 ON x.account = d.account AND x.symbol = d.symbol
		UNION ALL
		SELECT disp.account, disp.symbol, max(disp.q_to), NULL, NULL
		  FROM disp GROUP BY disp.account, disp.symbol
	), segments AS (
		SELECT p.account, p.symbol, p.point AS s_from,
			   lead(p.point) OVER w AS s_to,
			   max(p.lot_n) OVER w AS lot_n,
			   max(p.disp_n) OVER w AS disp_n
		  FROM points p
		WINDOW w AS (PARTITION BY p.account, p.symbol ORDER BY p.point ROWS UNBOUNDED PRECEDING)
	)
	SELECT d.account, d.symbol, d.currency, l.stream, l.seq, l.idx, l.ts, l.trading_day,
		   l.movement, d.stream, d.seq, d.idx, d.ts, d.trading_day, d.movement,
		   s.s_to - s.s_from,
		   @extschema@.minor_to_amount(
			   @extschema@.allocate_part(l.value_minor, l.quantity, s.s_from - l.q_from,
										 s.s_to - l.q_from), c.minor_digits),
		   @extschema@.minor_to_amount(
			   @extschema@.allocate_part(d.value_minor, d.quantity, s.s_from - d.q_from,
										 s.s_to - d.q_from), c.minor_digits),
		   @extschema@.minor_to_amount(
			   @extschema@.allocate_part(d.value_minor, d.quantity, s.s_from - d.q_from,
										 s.s_to - d.q_from)
			   - @extschema@.allocate_part(l.value_minor, l.quantity, s.s_from - l.q_from,
										   s.s_to - l.q_from), c.minor_digits)
	  FROM segments s
	  JOIN disp d ON d.n = s.disp_n
	  LEFT JOIN lots l ON l.n = s.lot_n
	  LEFT JOIN @extschema@.currencies c ON c.currency = d.currency
	 WHERE s.s_to > s.s_from AND s.s_from < d.q_to
	   AND ($1 IS NULL OR d.trading_day >= $1)
	 ORDER BY d.account, d.symbol, d.ts, d.stream, d.seq, d.idx, s.s_from
$$;
COMMENT ON FUNCTION @extschema@.tax_lot_disposals(date, date, text, text) IS
	'Which tax lots each disposal of shares consumed, FIFO per account and symbol (docs/reports.md): one row per (disposal, lot) pair with the quantity taken from that lot, its cost basis (the lot''s cost split by cumulative rounding; NULL for a credit_shares lot, whose basis is unknown), the proceeds (the sale''s, split the same way; NULL for a debit_shares) and gain = proceeds - cost basis (NULL when either is unknown), in the symbol''s currency.  Disposals of trading days [from_day, to_day] (NULL: unbounded); lots from the whole history up to to_day.  Of one account and one symbol when given.  A broker sees only its own accounts.  22023 from_day after to_day, PX021 / 42501 unknown account (or not the caller''s), PX020 unknown symbol.';

CREATE FUNCTION @extschema@.open_tax_lots(as_of_day date DEFAULT NULL,
	account text DEFAULT NULL, symbol text DEFAULT NULL)
RETURNS TABLE (account text, symbol text, currency text, lot_stream int, lot_seq bigint,
	lot_idx int, lot_acquired_at timestamptz, lot_trading_day date, lot_movement text,
	lot_quantity bigint, open_quantity bigint, lot_cost_basis numeric, open_cost_basis numeric)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('open_tax_lots', NULL, false, $2, $3);
	WITH mv AS (
		SELECT m.*, (sum(m.quantity) OVER w)::bigint AS q_to
		  FROM @extschema@.tax_lot_movements m
		 WHERE ($1 IS NULL OR m.trading_day <= $1)
		   AND ($2 IS NULL OR m.account = $2)
		   AND ($3 IS NULL OR m.symbol = $3)
		WINDOW w AS (PARTITION BY m.account, m.symbol, m.movement IN ('buy', 'credit')
					 ORDER BY m.ts, m.stream, m.seq, m.idx ROWS UNBOUNDED PRECEDING)
	), disposed AS (
		SELECT mv.account, mv.symbol, sum(mv.quantity)::bigint AS quantity
		  FROM mv WHERE mv.movement IN ('sell', 'debit') GROUP BY mv.account, mv.symbol
	), lots AS (
		SELECT mv.*, mv.q_to - mv.quantity AS q_from, coalesce(d.quantity, 0) AS gone
		  FROM mv
		  LEFT JOIN disposed d ON d.account = mv.account AND d.symbol = mv.symbol
		 WHERE mv.movement IN ('buy', 'credit')
	)
	SELECT l.account, l.symbol, l.currency, l.stream, l.seq, l.idx, l.ts, l.trading_day,
		   l.movement, l.quantity, l.q_to - greatest(l.q_from, l.gone),
		   @extschema@.minor_to_amount(l.value_minor, c.minor_digits),
		   @extschema@.minor_to_amount(
			   @extschema@.allocate_part(l.value_minor, l.quantity,
										 greatest(l.q_from, l.gone) - l.q_from, l.quantity),
			   c.minor_digits)
	  FROM lots l
	  LEFT JOIN @extschema@.currencies c ON c.currency = l.currency
	 WHERE l.q_to > l.gone
	 ORDER BY l.account, l.symbol, l.ts, l.stream, l.seq, l.idx
$$;
COMMENT ON FUNCTION @extschema@.open_tax_lots(date, text, text) IS
	'The tax lots still (partly) held at the end of trading day as_of_day (NULL: now), FIFO per account and symbol: each lot''s original quantity and cost basis, and what is left of it with the cost basis of those shares (cumulative rounding, as tax_lot_disposals(); NULL for credit_shares lots, basis unknown).  Of one account and one symbol when given.  A broker sees only its own accounts.  PX021 / 42501 unknown account (or not the caller''s), PX020 unknown symbol.';

CREATE FUNCTION @extschema@.realized_pnl(from_day date DEFAULT NULL, to_day date DEFAULT NULL,
	account text DEFAULT NULL, symbol text DEFAULT NULL)
RETURNS TABLE (account text, symbol text, currency text, disposed_quantity bigint,
	sold_quantity bigint, debited_quantity bigint, proceeds numeric, cost_basis numeric,
	realized_gain numeric, basis_unknown_quantity bigint, open_quantity bigint,
	open_cost_basis numeric, open_basis_unknown_quantity bigint)
LANGUAGE sql STABLE
AS $$
	WITH d AS (
		SELECT t.account, t.symbol, t.currency,
			   sum(t.quantity)::bigint AS disposed,
			   coalesce(sum(t.quantity) FILTER (WHERE t.disposal_movement = 'sell'), 0)::bigint AS sold,
			   coalesce(sum(t.quantity) FILTER (WHERE t.disposal_movement = 'debit'), 0)::bigint AS debited,
			   sum(t.proceeds) AS proceeds,
			   sum(t.cost_basis) FILTER (WHERE t.disposal_movement = 'sell') AS cost_basis,
			   sum(t.gain) AS gain,
			   coalesce(sum(t.quantity) FILTER (WHERE t.disposal_movement = 'sell'
												  AND t.cost_basis IS NULL), 0)::bigint AS unknown
		  FROM @extschema@.tax_lot_disposals($1, $2, $3, $4) t
		 GROUP BY t.account, t.symbol, t.currency
	), o AS (
		SELECT l.account, l.symbol, l.currency, sum(l.open_quantity)::bigint AS open_quantity,
			   sum(l.open_cost_basis) AS open_cost,
			   coalesce(sum(l.open_quantity) FILTER (WHERE l.lot_cost_basis IS NULL), 0)::bigint AS open_unknown
		  FROM @extschema@.open_tax_lots($2, $3, $4) l
		 GROUP BY l.account, l.symbol, l.currency
	)
	SELECT coalesce(d.account, o.account), coalesce(d.symbol, o.symbol),
		   coalesce(d.currency, o.currency),
		   coalesce(d.disposed, 0), coalesce(d.sold, 0), coalesce(d.debited, 0),
		   d.proceeds, d.cost_basis, d.gain, coalesce(d.unknown, 0),
		   coalesce(o.open_quantity, 0), o.open_cost, coalesce(o.open_unknown, 0)
	  FROM d
	  FULL JOIN o ON o.account = d.account AND o.symbol = d.symbol
	 ORDER BY 1, 2
$$;
COMMENT ON FUNCTION @extschema@.realized_pnl(date, date, text, text) IS
	'Realized P&L per account and symbol from the FIFO tax lots (tax_lot_disposals()) of the disposals of trading days [from_day, to_day] (NULL: unbounded): shares disposed (sold, debited), proceeds of the sales, their cost basis where known, realized_gain = the sum of proceeds - cost basis over the sold shares whose basis is known (basis_unknown_quantity: sold shares from credit_shares lots, left out of the gain), and what is still held at the end of to_day (open_quantity, open_cost_basis of the shares with a known basis, open_basis_unknown_quantity).  A broker sees only its own accounts.  22023 from_day after to_day, PX021 / 42501, PX020.';

REVOKE ALL ON @extschema@.tax_lot_movements FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.allocate_part(bigint, bigint, bigint, bigint),
	@extschema@.tax_lot_disposals(date, date, text, text),
	@extschema@.open_tax_lots(date, text, text),
	@extschema@.realized_pnl(date, date, text, text)
	FROM PUBLIC;
GRANT SELECT ON @extschema@.tax_lot_movements
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.allocate_part(bigint, bigint, bigint, bigint),
	@extschema@.tax_lot_disposals(date, date, text, text),
	@extschema@.open_tax_lots(date, text, text),
	@extschema@.realized_pnl(date, date, text, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
