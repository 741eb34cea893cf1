-- exchange--1.2--1.3.sql
-- Market data (issue 6): candles.  An exact OHLCV type, exchange.candle, with
-- the aggregates candle_agg() and rollup(); 1-minute candles kept by
-- append_batch() in the transaction that appends the trades; and
-- exchange.candles() for any resolution from 1 second to 1 day.
-- CREATE EXTENSION runs 1.0, 1.0--1.1, 1.1--1.2 and then this script; ALTER
-- EXTENSION exchange UPDATE runs this script on a 1.2 database.
-- See docs/candles.md.

\echo Use "ALTER EXTENSION exchange UPDATE TO '1.3'" to load this file. \quit

------------------------------------------------------------------------------
-- The candle type (C): prices exact at one decimal scale, int64 volume and
-- trade count, int128 notional, and the time and seq of the open, high, low
-- and close trades, so that candles merge exactly.
------------------------------------------------------------------------------
CREATE TYPE @extschema@.candle;

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
COMMENT ON TYPE @extschema@.candle IS
	'An exact OHLCV candle: open, high, low and close prices (numeric, at the largest scale of the prices it saw), volume, trade count, notional (sum of price * quantity) and the time and seq of the open, high, low and close trades.  Built by candle_agg(), merged by rollup() and candle_merge(); see docs/candles.md.';

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

------------------------------------------------------------------------------
-- 1-minute candles, kept by append_batch from each batch's trades.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.candles_1m (
	stream		int NOT NULL REFERENCES @extschema@.streams,
	symbol		text NOT NULL,
	bucket		timestamptz NOT NULL
				CHECK (pg_catalog.date_bin('1 minute', bucket, '2000-01-01 00:00:00+00') = bucket),
	candle		@extschema@.candle NOT NULL,
	updated_seq	bigint NOT NULL,
	PRIMARY KEY (stream, symbol, bucket)
);
COMMENT ON TABLE @extschema@.candles_1m IS
	'1-minute candles of every listed symbol''s trades: a projection of the journal written by append_batch in the transaction that appends the trades (project_candles), so that exchange.candles() at whole minutes reads minutes instead of trades.  One row per stream, symbol and UTC minute that has trades.';
COMMENT ON COLUMN @extschema@.candles_1m.stream IS 'Stream whose journal holds the trades (the symbol''s, exchange.symbols.stream).';
COMMENT ON COLUMN @extschema@.candles_1m.symbol IS 'Symbol traded.';
COMMENT ON COLUMN @extschema@.candles_1m.bucket IS 'Start of the minute (UTC; date_bin(''1 minute'', ts, ''2000-01-01 00:00 UTC'')).';
COMMENT ON COLUMN @extschema@.candles_1m.candle IS
	'The candle of the minute''s trades: price = ticks_to_price(price, tick_size), seq = the taker execution id seq * 2^21 + idx * 2.';
COMMENT ON COLUMN @extschema@.candles_1m.updated_seq IS 'Seq of the last command whose trades were merged into the row.';
COMMENT ON INDEX @extschema@.candles_1m_pkey IS 'One candle per stream, symbol and minute; candles() scans a symbol''s range of minutes.';

CREATE FUNCTION @extschema@.project_candles(p_stream int, p_batch bytea)
RETURNS int
AS 'MODULE_PATHNAME', 'exchange_project_candles'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.project_candles(int, bytea) IS
	'Internal to append_batch (granted to no one): merges the batch''s trades (of symbols listed in the stream, with a positive price and quantity) into candles_1m, one row per symbol and minute.  Returns the number of rows written.';

-- trades journaled before 1.3
INSERT INTO @extschema@.candles_1m (stream, symbol, bucket, candle, updated_seq)
SELECT j.stream, j.symbol, pg_catalog.date_bin('1 minute', j.ts, '2000-01-01 00:00:00+00'),
	   @extschema@.candle_agg(j.ts, @extschema@.ticks_to_price(j.price, s.tick_size), j.quantity,
							  j.seq * 2097152 + j.idx * 2),
	   max(j.seq)
  FROM @extschema@.journal j
  JOIN @extschema@.symbols s ON s.symbol = j.symbol AND s.stream = j.stream
 WHERE j.kind = 'trade' AND j.idx > 0 AND j.price > 0 AND j.quantity > 0
 GROUP BY 1, 2, 3;

------------------------------------------------------------------------------
-- Appending: the batch's trades into candles_1m (one line more than 1.2).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
	p_batch bytea, p_wallets bytea)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		@extschema@.streams;
	b		record;
	d		record;
BEGIN
	IF p_stream IS NULL OR p_epoch IS NULL OR p_first_seq IS NULL OR p_batch IS NULL THEN
		RAISE EXCEPTION 'append_batch: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	-- Appends to one stream serialize here, so commit order is seq order.
	SELECT * INTO s FROM @extschema@.streams WHERE stream = p_stream FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'stream % does not exist', p_stream
			USING ERRCODE = 'PX004', HINT = 'Call exchange.take_over_stream() first.';
	END IF;
	IF p_epoch < s.epoch THEN
		RAISE EXCEPTION 'stale epoch % for stream "%": the stream is at epoch %', p_epoch, s.name, s.epoch
			USING ERRCODE = 'PX001',
				  DETAIL = 'Another writer took the stream over; this writer is fenced off.';
	ELSIF p_epoch <> s.epoch THEN
		RAISE EXCEPTION 'epoch % for stream "%" was never issued: the stream is at epoch %', p_epoch, s.name, s.epoch
			USING ERRCODE = 'PX001', HINT = 'Call exchange.take_over_stream() for an epoch.';
	END IF;
	IF p_first_seq <= s.last_seq THEN
		RAISE EXCEPTION 'duplicate seq %: stream "%" has committed up to seq %', p_first_seq, s.name, s.last_seq
			USING ERRCODE = 'PX003';
	END IF;
	IF p_first_seq > s.last_seq + 1 THEN
		RAISE EXCEPTION 'seq gap: batch starts at seq % but stream "%" expects seq %', p_first_seq, s.name, s.last_seq + 1
			USING ERRCODE = 'PX002';
	END IF;

	b := @extschema@.batch_summary(p_batch);
	IF b.first_seq <> p_first_seq THEN
		RAISE EXCEPTION 'malformed journal batch: first record has seq %, the call says %', b.first_seq, p_first_seq
			USING ERRCODE = 'PX005';
	END IF;
	IF b.first_day < s.last_trading_day THEN
		RAISE EXCEPTION 'trading day % is before the stream''s current day %', b.first_day, s.last_trading_day
			USING ERRCODE = 'PX006';
	END IF;

	PERFORM @extschema@.journal_partition(b.first_day);
	IF b.last_day <> b.first_day THEN
		PERFORM @extschema@.journal_partition(day::date)
		   FROM generate_series(b.first_day + 1, b.last_day, interval '1 day') AS day;
	END IF;

	PERFORM @extschema@.journal_insert(p_batch, p_stream, p_epoch);

	-- matchd's wallets after the batch (absolute values), in the same transaction
	IF p_wallets IS NOT NULL THEN
		PERFORM @extschema@.project_wallets(p_stream, p_wallets);
	END IF;

	IF b.first_day = b.last_day THEN
		INSERT INTO @extschema@.journal_days AS j VALUES
			(p_stream, b.first_day, b.first_seq, b.last_seq, b.commands, b.records)
		ON CONFLICT (stream, trading_day) DO UPDATE
			SET last_seq = excluded.last_seq, commands = j.commands + excluded.commands,
				records = j.records + excluded.records;
	ELSE
		FOR d IN SELECT trading_day, min(seq) AS first_seq, max(seq) AS last_seq,
						count(*) FILTER (WHERE idx = 0) AS commands, count(*) AS records
				   FROM @extschema@.journal
				  WHERE stream = p_stream AND seq BETWEEN b.first_seq AND b.last_seq
				  GROUP BY trading_day
		LOOP
			INSERT INTO @extschema@.journal_days AS j VALUES
				(p_stream, d.trading_day, d.first_seq, d.last_seq, d.commands, d.records)
			ON CONFLICT (stream, trading_day) DO UPDATE
				SET last_seq = excluded.last_seq, commands = j.commands + excluded.commands,
					records = j.records + excluded.records;
		END LOOP;
	END IF;

	IF b.reference_data THEN
		PERFORM @extschema@.project_reference_data(p_stream, b.first_seq, b.last_seq);
	END IF;

	-- Executions and book changes, after the projection so that a symbol listed
	-- in this batch has its book version; delivered at commit like the rest.
	PERFORM @extschema@.publish_batch(p_batch, p_stream);

	-- Market data (1.3): the batch's trades into the 1-minute candles, in the
	-- same transaction, after the projection so that a symbol listed in this
	-- batch has its tick size.
	PERFORM @extschema@.project_candles(p_stream, p_batch);

	UPDATE @extschema@.streams
	   SET last_seq = b.last_seq, records = records + b.records, last_trading_day = b.last_day,
		   last_ts = b.last_ts,
		   appended_at = pg_catalog.now()
	 WHERE stream = p_stream;

	-- Delivered exactly when this transaction commits, never before.
	PERFORM pg_catalog.pg_notify('exchange_journal',
		pg_catalog.json_build_object('stream', p_stream, 'epoch', p_epoch,
									 'first_seq', b.first_seq, 'last_seq', b.last_seq)::text);
	RETURN b.last_seq;
END
$$;
COMMENT ON FUNCTION @extschema@.append_batch(int, bigint, bigint, bytea, bytea) IS
	'Appends a batch of journal records to a stream, all or nothing, with matchd''s wallet projection (PWL1, NULL: none) written into wallets, positions and fees_collected in the same transaction.  Rejects a stale epoch (PX001), a seq gap (PX002), a duplicate seq (PX003), an unknown stream (PX004), a malformed batch or wallet projection (PX005) and an earlier trading day (PX006).  Projects accepted reference-data commands and the trades into candles_1m; notifies, on commit, exchange_journal, exchange_executions and exchange_book_<SYMBOL>.  Returns the last seq appended.';

------------------------------------------------------------------------------
-- Candles of any resolution from 1 second to 1 day.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.candles(symbol text, resolution interval,
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

	IF usecs = 60000000 THEN
		RETURN QUERY
		SELECT m.bucket, @extschema@.open(m.candle), @extschema@.high(m.candle),
			   @extschema@.low(m.candle), @extschema@.close(m.candle),
			   @extschema@.volume(m.candle), @extschema@.trade_count(m.candle),
			   @extschema@.vwap(m.candle)
		  FROM @extschema@.candles_1m m
		 WHERE m.stream = s AND m.symbol = candles.symbol AND m.bucket >= lo AND m.bucket < hi
		 ORDER BY m.bucket;
	ELSIF usecs % 60000000 = 0 THEN
		-- whole minutes: roll the 1-minute candles up (the origin is on a minute)
		RETURN QUERY
		SELECT r.b, @extschema@.open(r.c), @extschema@.high(r.c), @extschema@.low(r.c),
			   @extschema@.close(r.c), @extschema@.volume(r.c), @extschema@.trade_count(r.c),
			   @extschema@.vwap(r.c)
		  FROM (SELECT date_bin(candles.resolution, m.bucket, origin) AS b,
					   @extschema@.rollup(m.candle) AS c
				  FROM @extschema@.candles_1m m
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
				  FROM @extschema@.journal j
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
-- pg_dump keeps the 1-minute candles like the other projections.
------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('@extschema@.candles_1m', '');

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
