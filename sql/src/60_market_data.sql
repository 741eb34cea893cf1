-- sql/src/60_market_data.sql: market data.  The exact candle type and its
-- aggregates (candle_agg, rollup), 1-minute candles kept by append_batch,
-- candles() at any resolution, the live book asked of matchd, and the book as
-- of any past seq or time rebuilt from the journal.  See docs/candles.md.

------------------------------------------------------------------------------
-- The candle type (C): prices exact at one decimal scale, int64 volume and
-- trade count, int128 notional, and the time and seq of the open, high, low
-- and close trades, so that candles merge exactly.
------------------------------------------------------------------------------
CREATE TYPE @extschema@.candle;
COMMENT ON TYPE @extschema@.candle IS
	'An exact OHLCV candle: open, high, low and close prices (numeric, at the largest scale of the prices it saw), volume, trade count, notional (sum of price * quantity) and the time and seq of the open, high, low and close trades.  Built by candle_agg(), merged by rollup() and candle_merge(); see docs/candles.md.';

CREATE FUNCTION @extschema@.candle_in(cstring)
RETURNS @extschema@.candle
AS 'MODULE_PATHNAME', 'exchange_candle_in'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_in(cstring) IS
	'Text input of exchange.candle: "open P at T seq N, high P at T seq N, low P at T seq N, close P at T seq N, volume V, trades K, notional X" (T any timestamptz, hence STABLE).  22P02 when malformed or when no trades could give that candle.';

CREATE FUNCTION @extschema@.candle_out(@extschema@.candle)
RETURNS cstring
AS 'MODULE_PATHNAME', 'exchange_candle_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_out(@extschema@.candle) IS
	'Text output of exchange.candle: prices at the candle''s scale, times in ISO 8601 at UTC; candle_in reads it back exactly.';

CREATE FUNCTION @extschema@.candle_recv(internal)
RETURNS @extschema@.candle
AS 'MODULE_PATHNAME', 'exchange_candle_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_recv(internal) IS
	'Binary input of exchange.candle (version byte, scale, then int64 fields); 22P03 when inconsistent.';

CREATE FUNCTION @extschema@.candle_send(@extschema@.candle)
RETURNS bytea
AS 'MODULE_PATHNAME', 'exchange_candle_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_send(@extschema@.candle) IS
	'Binary output of exchange.candle.';

CREATE TYPE @extschema@.candle (
	INPUT = @extschema@.candle_in,
	OUTPUT = @extschema@.candle_out,
	RECEIVE = @extschema@.candle_recv,
	SEND = @extschema@.candle_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

------------------------------------------------------------------------------
-- Accessors, merging and equality.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.open(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.open(@extschema@.candle) IS
	'Price of the first trade of the candle: the least by (ts, seq, price).';
CREATE FUNCTION @extschema@.high(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_high' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.high(@extschema@.candle) IS 'Highest price of the candle.';
CREATE FUNCTION @extschema@.low(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_low' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.low(@extschema@.candle) IS 'Lowest price of the candle.';
CREATE FUNCTION @extschema@.close(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_close' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.close(@extschema@.candle) IS
	'Price of the last trade of the candle: the greatest by (ts, seq, price).';
CREATE FUNCTION @extschema@.volume(c @extschema@.candle) RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_candle_volume' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.volume(@extschema@.candle) IS 'Sum of the quantities of the candle''s trades.';
CREATE FUNCTION @extschema@.trade_count(c @extschema@.candle) RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_candle_trade_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.trade_count(@extschema@.candle) IS 'Number of trades in the candle.';
CREATE FUNCTION @extschema@.notional(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_notional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.notional(@extschema@.candle) IS
	'Sum of price * quantity over the candle''s trades, exact, at the scale of its prices.';
CREATE FUNCTION @extschema@.vwap(c @extschema@.candle) RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_candle_vwap' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.vwap(@extschema@.candle) IS
	'Volume-weighted average price, notional / volume, rounded half away from zero to 4 more decimals than the prices.';
CREATE FUNCTION @extschema@.open_time(c @extschema@.candle) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'exchange_candle_open_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.open_time(@extschema@.candle) IS 'Time of the first trade.';
CREATE FUNCTION @extschema@.high_time(c @extschema@.candle) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'exchange_candle_high_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.high_time(@extschema@.candle) IS
	'Time of the first trade at the high price (least (ts, seq) among them).';
CREATE FUNCTION @extschema@.low_time(c @extschema@.candle) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'exchange_candle_low_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.low_time(@extschema@.candle) IS
	'Time of the first trade at the low price (least (ts, seq) among them).';
CREATE FUNCTION @extschema@.close_time(c @extschema@.candle) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'exchange_candle_close_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.close_time(@extschema@.candle) IS 'Time of the last trade.';

CREATE FUNCTION @extschema@.candle_merge(a @extschema@.candle, b @extschema@.candle)
RETURNS @extschema@.candle
AS 'MODULE_PATHNAME', 'exchange_candle_merge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_merge(@extschema@.candle, @extschema@.candle) IS
	'The candle of the trades of both candles, exactly (what rollup() does for two); 22003 when the merged prices no longer fit in 64 bits at the larger scale.';

CREATE FUNCTION @extschema@.candle_eq(a @extschema@.candle, b @extschema@.candle)
RETURNS boolean
AS 'MODULE_PATHNAME', 'exchange_candle_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_eq(@extschema@.candle, @extschema@.candle) IS
	'Whether two candles have equal fields, prices compared as numbers (10.5 = 10.50): the = operator.';

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.candle,
	RIGHTARG = @extschema@.candle,
	FUNCTION = @extschema@.candle_eq,
	COMMUTATOR = OPERATOR(@extschema@.=)
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.candle, @extschema@.candle) IS
	'Candles with equal fields (prices compared as numbers).';

------------------------------------------------------------------------------
-- The aggregates: an internal transition state (the candle in C), parallel
-- safe with combine, serialize and deserialize functions shared by both.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.candle_agg_trans(internal, timestamptz, numeric, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'exchange_candle_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_agg_trans(internal, timestamptz, numeric, bigint) IS
	'Transition function of candle_agg(ts, price, quantity): adds a trade with seq 0.';

CREATE FUNCTION @extschema@.candle_agg_trans(internal, timestamptz, numeric, bigint, bigint)
RETURNS internal
AS 'MODULE_PATHNAME', 'exchange_candle_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_agg_trans(internal, timestamptz, numeric, bigint, bigint) IS
	'Transition function of candle_agg(ts, price, quantity, seq): adds a trade.';

CREATE FUNCTION @extschema@.candle_rollup_trans(internal, @extschema@.candle)
RETURNS internal
AS 'MODULE_PATHNAME', 'exchange_candle_rollup_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_rollup_trans(internal, @extschema@.candle) IS
	'Transition function of rollup(candle): merges a candle.';

CREATE FUNCTION @extschema@.candle_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'exchange_candle_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_combine(internal, internal) IS
	'Combine function of candle_agg and rollup (parallel aggregation): merges two partial candles.';

CREATE FUNCTION @extschema@.candle_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'exchange_candle_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_serialize(internal) IS
	'Serialization function of candle_agg and rollup: a partial candle as bytea for parallel workers.';

CREATE FUNCTION @extschema@.candle_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'exchange_candle_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_deserialize(bytea, internal) IS
	'Deserialization function of candle_agg and rollup.';

CREATE FUNCTION @extschema@.candle_final(internal)
RETURNS @extschema@.candle
AS 'MODULE_PATHNAME', 'exchange_candle_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.candle_final(internal) IS
	'Final function of candle_agg and rollup: the candle of the state.';

CREATE AGGREGATE @extschema@.candle_agg(ts timestamptz, price numeric, quantity bigint) (
	SFUNC = @extschema@.candle_agg_trans,
	STYPE = internal,
	SSPACE = 144,
	FINALFUNC = @extschema@.candle_final,
	COMBINEFUNC = @extschema@.candle_combine,
	SERIALFUNC = @extschema@.candle_serialize,
	DESERIALFUNC = @extschema@.candle_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.candle_agg(timestamptz, numeric, bigint) IS
	'The exact candle of trades (ts, price, quantity), every seq 0: trades are ordered by (ts, price), whatever the row order.  Rows with a NULL are skipped; no row gives NULL.  22023 quantity not positive or price not a positive finite number, 22008 infinite ts, 22003 a price beyond 18 decimals or 2^63 units, or a volume beyond bigint.';

CREATE AGGREGATE @extschema@.candle_agg(ts timestamptz, price numeric, quantity bigint, seq bigint) (
	SFUNC = @extschema@.candle_agg_trans,
	STYPE = internal,
	SSPACE = 144,
	FINALFUNC = @extschema@.candle_final,
	COMBINEFUNC = @extschema@.candle_combine,
	SERIALFUNC = @extschema@.candle_serialize,
	DESERIALFUNC = @extschema@.candle_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.candle_agg(timestamptz, numeric, bigint, bigint) IS
	'The exact candle of trades (ts, price, quantity, seq): trades are ordered by (ts, seq, price), so ties on ts are broken by seq and the result does not depend on row order.  Rows with a NULL are skipped; no row gives NULL.  Errors as candle_agg(ts, price, quantity).';

CREATE AGGREGATE @extschema@.rollup(@extschema@.candle) (
	SFUNC = @extschema@.candle_rollup_trans,
	STYPE = internal,
	SSPACE = 144,
	FINALFUNC = @extschema@.candle_final,
	COMBINEFUNC = @extschema@.candle_combine,
	SERIALFUNC = @extschema@.candle_serialize,
	DESERIALFUNC = @extschema@.candle_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rollup(@extschema@.candle) IS
	'Merges candles exactly (minutes into hours into days): the candle of all their trades.  NULLs are skipped.';

CREATE TABLE @extschema@.candles_1m (
	stream		int NOT NULL,
	symbol		text NOT NULL,
	bucket		timestamptz NOT NULL
				CHECK (pg_catalog.date_bin('1 minute', bucket, '2000-01-01 00:00:00+00') = bucket),
	trading_day	date NOT NULL,
	candle		@extschema@.candle NOT NULL,
	updated_seq	bigint NOT NULL,
	PRIMARY KEY (stream, symbol, bucket, trading_day)
) PARTITION BY RANGE (trading_day);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.candles_1m', '');
COMMENT ON TABLE @extschema@.candles_1m IS
	'1-minute candles of every listed symbol''s trades: a projection of the journal written by append_batch in the transaction that appends the trades (project_candles), so that exchange.candles() at whole minutes reads minutes instead of trades.  One row per stream, symbol, UTC minute and trading day that has trades; partitioned by trading day (candles_1m_YYYYMMDD) like the journal, and archived with it.';
COMMENT ON COLUMN @extschema@.candles_1m.stream IS 'Stream whose journal holds the trades (the symbol''s, exchange.symbols.stream).';
COMMENT ON COLUMN @extschema@.candles_1m.symbol IS 'Symbol traded.';
COMMENT ON COLUMN @extschema@.candles_1m.bucket IS 'Start of the minute (UTC; date_bin(''1 minute'', ts, ''2000-01-01 00:00 UTC'')).';
COMMENT ON COLUMN @extschema@.candles_1m.trading_day IS
	'Trading day of the trades (partition key); a minute that straddles a close and the next open is one row per day.';
COMMENT ON COLUMN @extschema@.candles_1m.candle IS
	'The candle of the minute''s trades: price = ticks_to_price(price, tick_size), seq = the taker execution id seq * 2^21 + idx * 2.';
COMMENT ON COLUMN @extschema@.candles_1m.updated_seq IS 'Seq of the last command whose trades were merged into the row.';

CREATE TABLE exchange_archive.candles_1m (LIKE @extschema@.candles_1m INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
	PARTITION BY RANGE (trading_day);
ALTER TABLE exchange_archive.candles_1m ADD PRIMARY KEY (stream, symbol, bucket, trading_day);
COMMENT ON TABLE exchange_archive.candles_1m IS
	'The 1-minute candles of archived trading days: partitions candles_1m_YYYYMMDD detached from exchange.candles_1m, read-only.';
CREATE TRIGGER candles_1m_read_only BEFORE INSERT OR UPDATE OR DELETE ON exchange_archive.candles_1m
	FOR EACH ROW EXECUTE FUNCTION exchange_archive.refuse_write();
COMMENT ON INDEX exchange_archive.candles_1m_pkey IS 'As exchange.candles_1m_pkey.';
COMMENT ON TRIGGER candles_1m_read_only ON exchange_archive.candles_1m IS
	'Archived candles never change (cloned to every attached partition).';

CREATE VIEW @extschema@.candles_1m_history AS
	SELECT * FROM @extschema@.candles_1m
	UNION ALL
	SELECT * FROM exchange_archive.candles_1m;
COMMENT ON VIEW @extschema@.candles_1m_history IS
	'The 1-minute candles of every trading day, live and archived (columns of exchange.candles_1m).';
COMMENT ON INDEX @extschema@.candles_1m_pkey IS 'One candle per stream, symbol, minute and trading day; candles() scans a symbol''s range of minutes.';

CREATE FUNCTION @extschema@.project_candles(p_stream int, p_batch bytea)
RETURNS int
AS 'MODULE_PATHNAME', 'exchange_project_candles'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.project_candles(int, bytea) IS
	'Internal to append_batch (granted to no one): merges the batch''s trades (of symbols listed in the stream, with a positive price and quantity) into candles_1m, one row per symbol and minute.  Returns the number of rows written.';

------------------------------------------------------------------------------
-- Candles of any resolution from 1 second to 1 day.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.candles(symbol text, resolution interval,
	start_time timestamptz DEFAULT NULL, end_time timestamptz DEFAULT NULL)
RETURNS TABLE (bucket_start timestamptz, open numeric, high numeric, low numeric,
	close numeric, volume bigint, trade_count bigint, vwap numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- buckets are date_bin(resolution, ts, origin)
	origin		constant timestamptz := '2000-01-01 00:00:00+00';
	usecs		numeric;
	s			int;
	tick		numeric;
	lo			timestamptz := '-infinity';
	hi			timestamptz := 'infinity';
BEGIN
	IF candles.symbol IS NULL OR candles.resolution IS NULL THEN
		RAISE EXCEPTION 'candles: symbol and resolution must not be NULL' USING ERRCODE = '22004';
	END IF;
	usecs := extract(epoch FROM candles.resolution) * 1000000;
	IF extract(year FROM candles.resolution) <> 0 OR extract(month FROM candles.resolution) <> 0
	   OR usecs < 1000000 OR usecs > 86400000000 THEN
		RAISE EXCEPTION 'candle resolution must be from 1 second to 1 day, not %', candles.resolution
			USING ERRCODE = '22023',
				  HINT = 'Months and years are not a fixed length: use days, hours, minutes or seconds.';
	END IF;
	SELECT sy.stream, sy.tick_size INTO s, tick
	  FROM @extschema@.symbols sy WHERE sy.symbol = candles.symbol;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown symbol "%"', candles.symbol USING ERRCODE = 'PX020';
	END IF;
	-- the buckets that start in [start_time, end_time), each whole
	IF candles.start_time IS NOT NULL AND candles.start_time > '-infinity' THEN
		lo := CASE WHEN isfinite(candles.start_time)
				   THEN date_bin(candles.resolution, candles.start_time, origin) END;
		IF lo IS NULL THEN
			RETURN;
		ELSIF lo < candles.start_time THEN
			lo := lo + candles.resolution;
		END IF;
	END IF;
	IF candles.end_time IS NOT NULL AND candles.end_time < 'infinity' THEN
		IF NOT isfinite(candles.end_time) THEN
			RETURN;
		END IF;
		hi := date_bin(candles.resolution, candles.end_time, origin);
		IF hi < candles.end_time THEN
			hi := hi + candles.resolution;
		END IF;
	END IF;

	IF usecs % 60000000 = 0 THEN
		-- whole minutes: roll the 1-minute candles up (the origin is on a
		-- minute); a minute is one row per trading day it straddles
		RETURN QUERY
		SELECT r.b, @extschema@.open(r.c), @extschema@.high(r.c), @extschema@.low(r.c),
			   @extschema@.close(r.c), @extschema@.volume(r.c), @extschema@.trade_count(r.c),
			   @extschema@.vwap(r.c)
		  FROM (SELECT date_bin(candles.resolution, m.bucket, origin) AS b,
					   @extschema@.rollup(m.candle) AS c
				  FROM @extschema@.candles_1m_history m
				 WHERE m.stream = s AND m.symbol = candles.symbol
				   AND m.bucket >= lo AND m.bucket < hi
				 GROUP BY 1) r
		 ORDER BY r.b;
	ELSE
		-- seconds: from the journal's trades, with the projection's rules
		RETURN QUERY
		SELECT r.b, @extschema@.open(r.c), @extschema@.high(r.c), @extschema@.low(r.c),
			   @extschema@.close(r.c), @extschema@.volume(r.c), @extschema@.trade_count(r.c),
			   @extschema@.vwap(r.c)
		  FROM (SELECT date_bin(candles.resolution, j.ts, origin) AS b,
					   @extschema@.candle_agg(j.ts, @extschema@.ticks_to_price(j.price, tick),
											  j.quantity, j.seq * 2097152 + j.idx * 2) AS c
				  FROM @extschema@.journal_history j
				 WHERE j.kind = 'trade' AND j.symbol = candles.symbol AND j.stream = s
				   AND j.ts >= lo AND j.ts < hi
				   AND j.idx > 0 AND j.price > 0 AND j.quantity > 0
				 GROUP BY 1) r
		 ORDER BY r.b;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.candles(text, interval, timestamptz, timestamptz) IS
	'Candles of a symbol''s trades (in its stream) at a resolution from 1 second to 1 day: one row per bucket date_bin(resolution, ts, 2000-01-01 00:00 UTC) that starts in [start_time, end_time) (NULL: unbounded) and has trades, in time order; buckets without trades are omitted.  Whole minutes are rolled up from candles_1m, other resolutions computed from the journal''s trades.  22004, 22023 resolution out of range or with months, PX020 unknown symbol.';

------------------------------------------------------------------------------
-- Privileges: market data is public to every role of the exchange (not to
-- PUBLIC); project_candles and the aggregates' support functions to no one.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;

GRANT SELECT ON @extschema@.candles_1m
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.candle_agg(timestamptz, numeric, bigint),
	@extschema@.candle_agg(timestamptz, numeric, bigint, bigint),
	@extschema@.rollup(@extschema@.candle),
	@extschema@.candle_merge(@extschema@.candle, @extschema@.candle),
	@extschema@.candle_eq(@extschema@.candle, @extschema@.candle),
	@extschema@.open(@extschema@.candle),
	@extschema@.high(@extschema@.candle),
	@extschema@.low(@extschema@.candle),
	@extschema@.close(@extschema@.candle),
	@extschema@.volume(@extschema@.candle),
	@extschema@.trade_count(@extschema@.candle),
	@extschema@.notional(@extschema@.candle),
	@extschema@.vwap(@extschema@.candle),
	@extschema@.open_time(@extschema@.candle),
	@extschema@.high_time(@extschema@.candle),
	@extschema@.low_time(@extschema@.candle),
	@extschema@.close_time(@extschema@.candle),
	@extschema@.candles(text, interval, timestamptz, timestamptz)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
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
CREATE OR REPLACE FUNCTION @extschema@.journal_book(p_symbol text, p_as_of_seq bigint)
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
		  FROM @extschema@.journal_history j JOIN s ON j.stream = s.stream
		 WHERE j.symbol = p_symbol AND j.seq <= p_as_of_seq AND j.idx > 0
		   AND j.order_id IS NOT NULL
		   AND j.kind IN ('accepted', 'amended', 'trade', 'canceled', 'expired')
		   -- (1.9) not about a stop waiting in the stop book: such records
		   -- alone carry a detail ({"stop": true}) among these kinds
		   AND (j.kind = 'trade' OR j.detail IS NULL)
		UNION ALL
		SELECT j.contra_order_id, j.seq, j.idx, 'trade', NULL, j.price, j.contra_remaining,
			   NULL, j.contra_account, j.ts
		  FROM @extschema@.journal_history j JOIN s ON j.stream = s.stream
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
	'Every order of a symbol resting after seq p_as_of_seq of the symbol''s stream, rebuilt from the journal alone (no matchd): side, price in ticks, open quantity, entry time, account and its time priority (the seq/idx of its latest accepted or priority-losing amend).  Stop orders waiting for their trigger are in no book (their records carry the detail {"stop": true}); a triggered stop-limit that rests enters at its accepted record.  The building block of order_book_l3_at/order_book_l2_at.';

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
