------------------------------------------------------------------------------
-- Surveillance (1): the period check shared by the surveillance reports, and
-- every order's episodes in the book rebuilt from the journal alone, the
-- common ground of the priority audit (80_priority_audit.sql) and of the
-- spoofing test "near the top of the book" (75_surveillance.sql).
--
-- These are the exchange's confidential regulatory tools: SECURITY DEFINER
-- (they read journal_history as the extension's owner, so that
-- exchange_admin, which cannot read the journal, may run them too) and
-- executable by exchange_compliance, exchange_admin and exchange_dba only.
-- They run with jit = off: compiling their large one-off queries took
-- seconds (measured: the priority audit of a 72,000-order day 3.5 s with JIT,
-- 1.1 s without) and saved nothing.
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.surveillance_period(start_day date, end_day date, only_symbol text)
RETURNS date
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF start_day IS NULL THEN
		RAISE EXCEPTION 'start_day must not be NULL' USING ERRCODE = 'null_value_not_allowed',
			HINT = 'Give the first trading day of the period (end_day NULL means that day alone).';
	END IF;
	IF end_day < start_day THEN
		RAISE EXCEPTION 'end_day % is before start_day %', end_day, start_day
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF only_symbol IS NOT NULL THEN
		PERFORM @extschema@.tick_size(only_symbol); -- PX020 unknown symbol
	END IF;
	RETURN coalesce(end_day, start_day);
END
$$;
COMMENT ON FUNCTION @extschema@.surveillance_period(date, date, text) IS
	'Checks the period and symbol arguments shared by the surveillance reports and returns the last trading day of the period (end_day, or start_day when end_day is NULL).  22004 start_day NULL, 22023 end_day before start_day, PX020 unknown only_symbol (NULL: every symbol).';

CREATE FUNCTION @extschema@.resting_orders(start_day date, end_day date DEFAULT NULL,
	only_symbol text DEFAULT NULL)
RETURNS TABLE (stream int, symbol text, order_id bigint, account text, side @extschema@.side,
	price_ticks bigint, price numeric, quantity bigint, priority_seq bigint, priority_idx int,
	entered_at timestamptz, entered_day date, left_seq bigint, left_idx int,
	left_at timestamptz, left_day date, left_by @extschema@.event_kind, left_reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
ROWS 100000
SET search_path = pg_catalog, pg_temp
SET jit = off
-- its own plan (the journal scan unnesting makers and takers) whatever its
-- caller's setting (spoofing_alerts turns nested loops off)
SET enable_nestloop = on
AS $$
#variable_conflict use_column
DECLARE
	last_day date := @extschema@.surveillance_period(start_day, end_day, only_symbol);
	first_day date := start_day;
BEGIN
	-- Only the records where an episode begins or ends matter: an episode
	-- begins at `accepted` or at an amend that lost priority, and ends at the
	-- next such record of the order (re-priced: a new episode) or at a
	-- record that leaves it nothing open (a trade as the taker or as the
	-- maker leaving 0, a cancel, an expiry).  Sorted by order, the end of an
	-- episode is its start's successor: one sort, one window pass.  Ends
	-- without a start before them (an IOC remainder, a new order filled as
	-- the taker) belong to no episode.  seq * 2^21 + idx orders a stream as
	-- execution ids do.
	RETURN QUERY
	WITH bounds AS (
		SELECT j.stream, x.oid, j.seq * 2097152 + j.idx AS k, j.seq, j.idx, j.trading_day,
			   j.ts, j.kind, j.reason, j.symbol, j.side, j.price, x.qty, x.acct,
			   NOT x.maker AND (j.kind = 'accepted'
								OR (j.kind = 'amended' AND j.reason = 'priority_lost')) AS is_start
		  FROM @extschema@.journal_history j
		 CROSS JOIN LATERAL (VALUES (false, j.order_id, j.remaining, j.account),
									(true, j.contra_order_id, j.contra_remaining, j.contra_account)
			) AS x (maker, oid, qty, acct)
		 WHERE j.trading_day <= last_day AND j.idx > 0 AND j.order_id IS NOT NULL
		   AND j.kind IN ('accepted', 'amended', 'trade', 'canceled', 'expired')
		   -- (1.9) a stop waiting in the stop book is in no book: its
		   -- records alone carry a detail among these kinds
		   AND (j.kind = 'trade' OR j.detail IS NULL)
		   AND (only_symbol IS NULL OR j.symbol = only_symbol)
		   AND (NOT x.maker OR j.kind = 'trade')
		   AND (NOT x.maker AND (j.kind IN ('accepted', 'canceled', 'expired')
								 OR (j.kind = 'amended' AND j.reason = 'priority_lost'))
				OR x.qty = 0)
	), paired AS (
		SELECT b.*,
			   lead(b.k) OVER w AS end_k, lead(b.seq) OVER w AS end_seq,
			   lead(b.idx) OVER w AS end_idx, lead(b.ts) OVER w AS end_ts,
			   lead(b.trading_day) OVER w AS end_day,
			   lead(b.kind) OVER w AS end_kind,
			   lead(b.reason) OVER w AS end_reason
		  FROM bounds b
		WINDOW w AS (PARTITION BY b.stream, b.oid ORDER BY b.k)
	)
	SELECT p.stream, p.symbol, p.oid, p.acct, p.side, p.price,
		   @extschema@.ticks_to_price(p.price, s.tick_size), p.qty, p.seq, p.idx, p.ts,
		   p.trading_day, p.end_seq, p.end_idx, p.end_ts, p.end_day, p.end_kind,
		   CASE WHEN p.end_kind = 'trade' THEN 'filled' ELSE p.end_reason END
	  FROM paired p
	  LEFT JOIN @extschema@.symbols s ON s.symbol = p.symbol
	 WHERE p.is_start AND (p.end_day IS NULL OR p.end_day >= first_day);
END
$$;
COMMENT ON FUNCTION @extschema@.resting_orders(date, date, text) IS
	'Every episode of an order in the book that overlaps trading days start_day..end_day (end_day NULL: start_day alone), rebuilt from journal_history alone: an episode begins when the order rests (`accepted`: priority = that record''s seq/idx) or is re-priced (an amend with reason priority_lost: the back of the queue at the amend''s seq/idx; a re-priced order may trade as the taker and rest without a new `accepted`) and ends at its next re-pricing or when it leaves the book (a trade as taker or maker that leaves 0, a cancel, an expiry).  Amends that keep priority and partial fills do not end an episode; IOC/FOK/market remainders never rest; a stop order waiting for its trigger is in no book (its records carry the detail {"stop": true}), and a triggered stop-limit that rests begins an episode at its accepted record.  Orders resting from earlier days (gtc) are found by reading the days before start_day.  Columns: price in ticks and numeric, quantity open when the episode began, priority_seq/idx (= where it began), left_seq/idx/at/day/by/reason (the record that ended it: trade (left_reason filled), canceled or expired with their reason, amended = re-priced; NULL: still resting after end_day).  only_symbol NULL: every symbol.  Errors: 22004 start_day NULL, 22023 end_day before start_day, PX020 unknown symbol.  Compliance, admin and dba only.';

REVOKE ALL ON FUNCTION @extschema@.surveillance_period(date, date, text),
	@extschema@.resting_orders(date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.surveillance_period(date, date, text),
	@extschema@.resting_orders(date, date, text)
	TO exchange_compliance, exchange_admin, exchange_dba;
