-- exchange 1.3 -> 1.4: market data from matchd (the live L1/L2/L3 book, its
-- recent candles) and the book as of any past seq or time, rebuilt from the
-- journal for compliance.
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.4'" to load this file. \quit

------------------------------------------------------------------------------
-- The live book, asked of matchd (extension/market_data.c).  Every row carries
-- as_of_seq: the state after the commands up to it, sent only once they have
-- committed.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.order_book_l1(symbol text)
RETURNS TABLE (bid_price numeric, bid_quantity bigint, bid_orders int,
	ask_price numeric, ask_quantity bigint, ask_orders int,
	last_price numeric, last_quantity bigint, last_time timestamptz,
	status text, as_of_seq bigint, as_of_time timestamptz)
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'exchange_order_book_l1';
COMMENT ON FUNCTION @extschema@.order_book_l1(text) IS
	'Top of the live book of a symbol, from matchd: best bid and ask (price, total quantity, number of orders; NULL for an empty side), the last trade (NULL before the first since matchd started its replay), the symbol''s status (open, closed, halted), and as_of_seq/as_of_time: the last command the snapshot includes, committed.  PX020 for an unknown symbol, PX040 when matchd is unavailable.';

CREATE FUNCTION @extschema@.order_book_l2(symbol text, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, price numeric, quantity bigint,
	order_count int, as_of_seq bigint)
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'exchange_order_book_l2';
COMMENT ON FUNCTION @extschema@.order_book_l2(text, int) IS
	'Price levels of the live book of a symbol, from matchd: up to depth levels a side (1..100000), bids best (highest) first, then asks best (lowest) first; level 1 is the best; quantity is the open quantity of the level and order_count its orders.  as_of_seq: the last command the snapshot includes, committed.  22023 for a bad depth, PX020 unknown symbol, PX040 matchd unavailable.';

CREATE FUNCTION @extschema@.order_book_l2_json(symbol text, depth int DEFAULT 10)
RETURNS json
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'exchange_order_book_l2_json';
COMMENT ON FUNCTION @extschema@.order_book_l2_json(text, int) IS
	'The live L2 book as one JSON value shaped like the seed''s GET /v1/marketdata/orderBook/L2 response: {"symbol": S, "as_of_seq": N, "bids": [[price, quantity], ...], "asks": [[price, quantity], ...]}, best first.  Same arguments and errors as order_book_l2.';

CREATE FUNCTION @extschema@.order_book_l3(symbol text, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, queue_position int, price numeric,
	order_id bigint, quantity bigint, entered_at timestamptz, account text,
	as_of_seq bigint)
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'exchange_order_book_l3';
COMMENT ON FUNCTION @extschema@.order_book_l3(text, int) IS
	'Every resting order of the first depth levels of each side of the live book, from matchd: bids best first, then asks, each level in queue (time priority) order, queue_position 1 first.  quantity is the open quantity.  account is shown only to the brokers owning it and to the exchange''s staff roles (admin, compliance, dba, engine); other brokers see NULL.  as_of_seq: the last command included, committed.  Errors as order_book_l2.';

CREATE FUNCTION @extschema@.matchd_candles(symbol text, resolution_seconds int)
RETURNS TABLE (bucket_start timestamptz, open_ticks bigint, high_ticks bigint,
	low_ticks bigint, close_ticks bigint, volume bigint, trade_count bigint,
	notional_ticks numeric, as_of_seq bigint)
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'exchange_matchd_candles';
COMMENT ON FUNCTION @extschema@.matchd_candles(text, int) IS
	'The candles matchd keeps in its fixed-size ring of one resolution (1 s: the last 900 buckets, 60 s: 1,440, 3,600 s: 168) for a symbol, oldest first, buckets without trades left out; prices in ticks, notional_ticks = sum(price_ticks * quantity).  live_candles() gives them in prices.  22023 for another resolution.';

CREATE FUNCTION @extschema@.live_candles(symbol text, resolution interval)
RETURNS TABLE (bucket_start timestamptz, open numeric, high numeric, low numeric,
	close numeric, volume bigint, trade_count bigint, vwap numeric, as_of_seq bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	tick numeric := @extschema@.tick_size(live_candles.symbol); -- PX020 when unknown
	s int := scale(tick);
	mantissa numeric := tick * power(10::numeric, s); -- tick = mantissa * 10^-s
BEGIN
	IF resolution IS NULL OR resolution NOT IN (interval '1 second', interval '1 minute',
												  interval '1 hour') THEN
		RAISE EXCEPTION 'matchd keeps candles of 1 second, 1 minute and 1 hour, not of %',
			resolution USING ERRCODE = 'invalid_parameter_value',
			HINT = 'exchange.candles() answers any resolution from the database.';
	END IF;
	-- vwap as exchange.vwap(candle) rounds it: half away from zero, 4 decimals
	-- more than the prices (here exactly, in integers of 10^-(s+4))
	RETURN QUERY
	SELECT c.bucket_start, @extschema@.ticks_to_price(c.open_ticks, tick),
		   @extschema@.ticks_to_price(c.high_ticks, tick),
		   @extschema@.ticks_to_price(c.low_ticks, tick),
		   @extschema@.ticks_to_price(c.close_ticks, tick), c.volume, c.trade_count,
		   round(div(2 * c.notional_ticks * mantissa * 10000 + c.volume, 2 * c.volume)
				 / power(10::numeric, s + 4), s + 4),
		   c.as_of_seq
	  FROM @extschema@.matchd_candles(live_candles.symbol,
			extract(epoch FROM resolution)::int) c;
END $$;
COMMENT ON FUNCTION @extschema@.live_candles(text, interval) IS
	'The recent candles of a symbol that matchd keeps in memory (ring buffers of the current session: 1 second x 900, 1 minute x 1,440, 1 hour x 168), oldest first, buckets without trades omitted; the same buckets and values as exchange.candles() gives for them once committed.  as_of_seq: the last command included, committed.  22023 for another resolution, PX020 unknown symbol, PX040 matchd unavailable.';

------------------------------------------------------------------------------
-- The book as of a past seq or time, rebuilt from the journal alone.
--
-- An order rests after seq S when the last event that concerns it (as the
-- order of an event, or as the maker of a trade) at or before S left it open:
-- accepted (it rested), amended (its new price and quantity) or a trade with
-- quantity left.  A new order's own trades come before its accepted/canceled
-- event in the same seq, so they are never its last event at a seq boundary;
-- a re-priced order (amended, priority lost) may trade as the taker while it
-- stands in the book, and its remainder rests with no new accepted event.  Its
-- place in the queue is its latest accepted or priority-losing amend.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.journal_book(p_symbol text, p_as_of_seq bigint)
RETURNS TABLE (side @extschema@.side, price_ticks bigint, order_id bigint,
	quantity bigint, entered_at timestamptz, account text, priority_seq bigint,
	priority_idx int)
LANGUAGE sql STABLE
AS $$
	WITH s AS (
		SELECT sy.stream FROM @extschema@.symbols sy WHERE sy.symbol = p_symbol
	), ev AS (
		SELECT j.order_id AS oid, j.seq, j.idx, j.kind, j.side, j.price, j.remaining AS qty,
			   j.reason, j.account, j.ts
		  FROM @extschema@.journal j JOIN s ON j.stream = s.stream
		 WHERE j.symbol = p_symbol AND j.seq <= p_as_of_seq AND j.idx > 0
		   AND j.order_id IS NOT NULL
		   AND j.kind IN ('accepted', 'amended', 'trade', 'canceled', 'expired')
		UNION ALL
		SELECT j.contra_order_id, j.seq, j.idx, 'trade', NULL, j.price, j.contra_remaining,
			   NULL, j.contra_account, j.ts
		  FROM @extschema@.journal j JOIN s ON j.stream = s.stream
		 WHERE j.symbol = p_symbol AND j.seq <= p_as_of_seq AND j.kind = 'trade'
	), per_order AS (
		-- one pass: each order's last event, last price, queue key (seq * 2^21 +
		-- idx, as execution ids) and entry
		SELECT ev.oid,
			   (array_agg(ev.kind ORDER BY ev.seq DESC, ev.idx DESC))[1] AS last_kind,
			   (array_agg(ev.qty ORDER BY ev.seq DESC, ev.idx DESC))[1] AS last_qty,
			   (array_agg(ev.price ORDER BY ev.seq DESC, ev.idx DESC)
					FILTER (WHERE ev.kind IN ('accepted', 'amended')))[1] AS price,
			   max(ev.seq * 2097152 + ev.idx)
					FILTER (WHERE ev.kind = 'accepted'
							   OR (ev.kind = 'amended' AND ev.reason = 'priority_lost')) AS queue_key,
			   (array_agg(ev.side ORDER BY ev.seq, ev.idx) FILTER (WHERE ev.kind = 'accepted'))[1] AS side,
			   (array_agg(ev.account ORDER BY ev.seq, ev.idx) FILTER (WHERE ev.kind = 'accepted'))[1] AS account,
			   min(ev.ts) FILTER (WHERE ev.kind = 'accepted') AS entered_at
		  FROM ev
		 GROUP BY ev.oid
	)
	SELECT o.side, o.price, o.oid, o.last_qty, o.entered_at, o.account,
		   o.queue_key / 2097152, (o.queue_key % 2097152)::int
	  FROM per_order o
	 WHERE o.last_kind IN ('accepted', 'amended', 'trade') AND o.last_qty > 0
	   AND o.queue_key IS NOT NULL
$$;
COMMENT ON FUNCTION @extschema@.journal_book(text, bigint) IS
	'Every order of a symbol resting after seq p_as_of_seq of the symbol''s stream, rebuilt from the journal alone (no matchd): side, price in ticks, open quantity, entry time, account and its time priority (the seq/idx of its latest accepted or priority-losing amend).  The building block of order_book_l3_at/order_book_l2_at.';

CREATE FUNCTION @extschema@.order_book_l3_at(symbol text, at_seq bigint, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, queue_position int, price numeric,
	order_id bigint, quantity bigint, entered_at timestamptz, account text,
	as_of_seq bigint)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	tick numeric := @extschema@.tick_size(order_book_l3_at.symbol); -- PX020 when unknown
BEGIN
	IF depth IS NULL OR depth < 1 THEN
		RAISE EXCEPTION 'depth must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT b.side, b.level::int, b.pos::int, @extschema@.ticks_to_price(b.price_ticks, tick),
		   b.order_id, b.quantity, b.entered_at, b.account, order_book_l3_at.at_seq
	  FROM (SELECT jb.*,
				   dense_rank() OVER (PARTITION BY jb.side ORDER BY CASE jb.side WHEN 'buy'
						THEN -jb.price_ticks ELSE jb.price_ticks END) AS level,
				   row_number() OVER (PARTITION BY jb.side, jb.price_ticks
						ORDER BY jb.priority_seq, jb.priority_idx) AS pos
			  FROM @extschema@.journal_book(order_book_l3_at.symbol, order_book_l3_at.at_seq) jb) b
	 WHERE b.level <= depth
	 ORDER BY b.side, b.level, b.pos;
END $$;
COMMENT ON FUNCTION @extschema@.order_book_l3_at(text, bigint, int) IS
	'The L3 book of a symbol as it was after seq at_seq (as_of_seq in the rows), rebuilt from the journal (same rows as order_book_l3 had then, accounts always shown): for compliance, readers of the journal only.  PX020 for an unknown symbol.';

CREATE FUNCTION @extschema@.order_book_l3_at(symbol text, as_of timestamptz, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, queue_position int, price numeric,
	order_id bigint, quantity bigint, entered_at timestamptz, account text,
	as_of_seq bigint)
LANGUAGE sql STABLE
AS $$
	SELECT * FROM @extschema@.order_book_l3_at($1,
		coalesce((SELECT max(j.seq) FROM @extschema@.journal j
				   JOIN @extschema@.symbols sy ON sy.stream = j.stream
				  WHERE sy.symbol = $1 AND j.ts <= $2), 0), $3)
$$;
COMMENT ON FUNCTION @extschema@.order_book_l3_at(text, timestamptz, int) IS
	'The L3 book of a symbol as it was at a time: after the last command stamped at or before as_of.';

CREATE FUNCTION @extschema@.order_book_l2_at(symbol text, at_seq bigint, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, price numeric, quantity bigint,
	order_count int, as_of_seq bigint)
LANGUAGE sql STABLE
AS $$
	SELECT b.side, b.level, b.price, sum(b.quantity)::bigint, count(*)::int, $2
	  FROM @extschema@.order_book_l3_at($1, $2, $3) b
	 GROUP BY b.side, b.level, b.price
	 ORDER BY b.side, b.level
$$;
COMMENT ON FUNCTION @extschema@.order_book_l2_at(text, bigint, int) IS
	'The L2 book of a symbol as it was after seq at_seq, rebuilt from the journal (the levels of order_book_l3_at).';

CREATE FUNCTION @extschema@.order_book_l2_at(symbol text, as_of timestamptz, depth int DEFAULT 10)
RETURNS TABLE (side @extschema@.side, level int, price numeric, quantity bigint,
	order_count int, as_of_seq bigint)
LANGUAGE sql STABLE
AS $$
	SELECT b.side, b.level, b.price, sum(b.quantity)::bigint, count(*)::int, min(b.as_of_seq)
	  FROM @extschema@.order_book_l3_at($1, $2, $3) b
	 GROUP BY b.side, b.level, b.price
	 ORDER BY b.side, b.level
$$;
COMMENT ON FUNCTION @extschema@.order_book_l2_at(text, timestamptz, int) IS
	'The L2 book of a symbol as it was at a time (the levels of order_book_l3_at).';

------------------------------------------------------------------------------
-- Privileges: the live book is public market data (every role of the
-- extension); the rebuilt past book reads the journal, for its readers.
------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION @extschema@.order_book_l1(text),
	@extschema@.order_book_l2(text, int),
	@extschema@.order_book_l2_json(text, int),
	@extschema@.order_book_l3(text, int),
	@extschema@.matchd_candles(text, int),
	@extschema@.live_candles(text, interval),
	@extschema@.journal_book(text, bigint),
	@extschema@.order_book_l3_at(text, bigint, int),
	@extschema@.order_book_l3_at(text, timestamptz, int),
	@extschema@.order_book_l2_at(text, bigint, int),
	@extschema@.order_book_l2_at(text, timestamptz, int)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.order_book_l1(text),
	@extschema@.order_book_l2(text, int),
	@extschema@.order_book_l2_json(text, int),
	@extschema@.order_book_l3(text, int),
	@extschema@.matchd_candles(text, int),
	@extschema@.live_candles(text, interval)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.journal_book(text, bigint),
	@extschema@.order_book_l3_at(text, bigint, int),
	@extschema@.order_book_l3_at(text, timestamptz, int),
	@extschema@.order_book_l2_at(text, bigint, int),
	@extschema@.order_book_l2_at(text, timestamptz, int)
	TO exchange_engine, exchange_compliance, exchange_dba;
