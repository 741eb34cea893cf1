-- exchange--1.0--1.1.sql
-- Order entry through matchd (issue 4): the order and reference-data functions,
-- executions, and real-time notifications of every appended batch.
-- CREATE EXTENSION runs 1.0 and then this script; ALTER EXTENSION exchange
-- UPDATE runs this script on a 1.0 database.

\echo Use "ALTER EXTENSION exchange UPDATE TO '1.1'" to load this file. \quit

------------------------------------------------------------------------------
-- Book versions: per symbol, a counter of the batches that changed its book,
-- carried by the exchange_book_<SYMBOL> notifications so that a subscriber
-- notices a missed one.
------------------------------------------------------------------------------
ALTER TABLE @extschema@.symbols
	ADD COLUMN book_version bigint NOT NULL DEFAULT 0,
	ADD COLUMN book_seq bigint;
COMMENT ON COLUMN @extschema@.symbols.book_version IS
	'Number of committed journal batches that changed the symbol''s book; sent in the exchange_book_<SYMBOL> notification (a jump of more than 1 means a missed notification).';
COMMENT ON COLUMN @extschema@.symbols.book_seq IS
	'Last seq of the last batch that changed the symbol''s book (NULL: none yet).';

------------------------------------------------------------------------------
-- Executions: trades by symbol and time.
------------------------------------------------------------------------------
CREATE INDEX journal_trades ON @extschema@.journal (symbol, ts) WHERE kind = 'trade';
COMMENT ON INDEX @extschema@.journal_trades IS
	'Trades of a symbol by time (exchange.executions()).';

------------------------------------------------------------------------------
-- Notifications of a batch (C), called by append_batch.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.publish_batch(batch bytea, stream int)
RETURNS int
AS 'MODULE_PATHNAME', 'exchange_publish_batch'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.publish_batch(bytea, int) IS
	'Internal to append_batch (granted to no one): queues the batch''s notifications (channel exchange_executions: one per side of each trade; exchange_book_<SYMBOL>: one per symbol whose book changed, with its incremented book_version), delivered at commit.  Returns the number of notifications.';

CREATE OR REPLACE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
	p_batch bytea)
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
COMMENT ON FUNCTION @extschema@.append_batch(int, bigint, bigint, bytea) IS
	'Appends a batch of journal records to a stream, all or nothing.  Rejects a stale epoch (PX001), a seq gap (PX002), a duplicate seq (PX003), an unknown stream (PX004), a malformed batch (PX005) and an earlier trading day (PX006).  Notifies, on commit, channel exchange_journal (the batch), exchange_executions (each side of each trade) and exchange_book_<SYMBOL> (each symbol whose book changed).  Returns the last seq appended.';

------------------------------------------------------------------------------
-- Order entry (C): validate, send to matchd, return its answer.  Not
-- transactional: a command takes effect when matchd answers, even if the
-- caller's transaction later rolls back.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.submit_order(account text, symbol text, side @extschema@.side,
	quantity bigint, price numeric DEFAULT NULL,
	order_type @extschema@.order_type DEFAULT 'limit',
	time_in_force @extschema@.time_in_force DEFAULT 'day',
	client_order_id text DEFAULT NULL)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_submit_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text) IS
	'Sends a new order for an account of the calling role to matchd and returns it right after its own matching (id, creation_time, filled and remaining quantity, status, reject_reason).  Not transactional: it stands even if the caller''s transaction rolls back.  A market order''s day time in force is sent as ioc.  Errors: 22004, 22001/22023 (client_order_id), PX012, PX011, PX013, PX010, PX020, 42501, PX040, PX041, PX042.';

CREATE FUNCTION @extschema@.cancel_order(account text, order_id bigint)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_cancel_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.cancel_order(text, bigint) IS
	'Cancels an open order of an account of the calling role through matchd and returns the order''s row.  Not transactional.  PX030 for an order that is not open or not the account''s.';

CREATE FUNCTION @extschema@.amend_order(account text, order_id bigint, quantity bigint,
	price numeric DEFAULT NULL)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_amend_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.amend_order(text, bigint, bigint, numeric) IS
	'Changes an open order of an account of the calling role through matchd: quantity is the new open (remaining) quantity, a NULL price keeps the price.  Returns the order''s row.  Not transactional.';

CREATE FUNCTION @extschema@.add_symbol(symbol text, tick_size numeric, lot_size bigint DEFAULT 1,
	currency text DEFAULT 'USD', reference_price numeric DEFAULT NULL,
	description text DEFAULT NULL)
RETURNS @extschema@.symbols
AS 'MODULE_PATHNAME', 'exchange_add_symbol'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.add_symbol(text, numeric, bigint, text, numeric, text) IS
	'Lists a symbol through matchd (a sequenced add_symbol command) and returns its exchange.symbols row.  Not transactional.  PX022 when it is already listed.';

CREATE FUNCTION @extschema@.open_account(account text, broker regrole)
RETURNS @extschema@.accounts
AS 'MODULE_PATHNAME', 'exchange_open_account'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.open_account(text, regrole) IS
	'Opens an account owned by a broker role (a member of exchange_broker) through matchd (a sequenced open_account command) and returns its exchange.accounts row.  Not transactional.  PX023 when it exists.';

------------------------------------------------------------------------------
-- Executions: one row per side of each journal trade.  A broker sees only the
-- rows of the accounts its role owns; exchange staff and the engine see all.
------------------------------------------------------------------------------
CREATE VIEW @extschema@.execution_log WITH (security_barrier) AS
	SELECT t.seq * 2097152 + t.idx * 2 + x.maker AS id,
		   x.order_id, t.symbol, x.side,
		   @extschema@.ticks_to_price(t.price, s.tick_size) AS price,
		   x.order_type, t.quantity, t.ts AS executed_at, x.account, t.seq,
		   t.stream, t.idx, x.maker = 1 AS is_maker
	  FROM @extschema@.journal t
	  LEFT JOIN @extschema@.symbols s ON s.symbol = t.symbol
	  LEFT JOIN @extschema@.journal c
			 ON c.stream = t.stream AND c.seq = t.seq AND c.idx = 0
			AND c.trading_day = t.trading_day
	 CROSS JOIN LATERAL (VALUES
			(0, t.order_id, t.account, t.side,
			 -- an amend that crosses trades a resting order, always a limit order
			 CASE WHEN c.kind = 'new_order' THEN c.order_type ELSE 'limit' END),
			(1, t.contra_order_id, t.contra_account,
			 CASE t.side WHEN 'buy' THEN 'sell'::@extschema@.side
						 WHEN 'sell' THEN 'buy'::@extschema@.side END,
			 'limit'::@extschema@.order_type)
		) AS x (maker, order_id, account, side, order_type)
	  LEFT JOIN @extschema@.accounts a ON a.account = x.account
	 WHERE t.kind = 'trade'
	   AND ((SELECT pg_catalog.pg_has_role('exchange_admin', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_compliance', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_dba', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_engine', 'MEMBER'))
			OR @extschema@.is_account_owner(a.broker));
COMMENT ON VIEW @extschema@.execution_log IS
	'Execution records: one row per side of each journal trade (taker: the trade''s order, account and side, order type from its command; maker: the contra order and account, the opposite side, order type limit), price in numeric.  id = seq * 2^21 + idx * 2 + (0 taker, 1 maker), unique within a stream.  A broker sees only rows of the accounts its role owns; admin, compliance, dba and the engine see every row.';

CREATE FUNCTION @extschema@.executions(symbol text, order_id bigint DEFAULT NULL,
	start_time timestamptz DEFAULT NULL, end_time timestamptz DEFAULT NULL)
RETURNS TABLE (id bigint, order_id bigint, symbol text, side @extschema@.side, price numeric,
	order_type @extschema@.order_type, quantity bigint, executed_at timestamptz,
	account text, seq bigint)
LANGUAGE sql STABLE
AS $$
	SELECT e.id, e.order_id, e.symbol, e.side, e.price, e.order_type, e.quantity,
		   e.executed_at, e.account, e.seq
	  FROM @extschema@.execution_log e
	 WHERE e.symbol = $1
	   AND ($2 IS NULL OR e.order_id = $2)
	   AND e.executed_at >= coalesce($3, '-infinity'::timestamptz)
	   AND e.executed_at < coalesce($4, 'infinity'::timestamptz)
	 ORDER BY e.seq, e.idx, e.is_maker
$$;
COMMENT ON FUNCTION @extschema@.executions(text, bigint, timestamptz, timestamptz) IS
	'Execution records of a symbol, optionally of one order and in [start_time, end_time), in journal order (seq, idx, taker before maker).  Row-level security of execution_log applies: a broker sees only its own accounts'' executions.';

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION @extschema@.publish_batch(bytea, int),
	@extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text),
	@extschema@.cancel_order(text, bigint),
	@extschema@.amend_order(text, bigint, bigint, numeric),
	@extschema@.add_symbol(text, numeric, bigint, text, numeric, text),
	@extschema@.open_account(text, regrole),
	@extschema@.executions(text, bigint, timestamptz, timestamptz)
	FROM PUBLIC;
REVOKE ALL ON @extschema@.execution_log FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	@extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text),
	@extschema@.cancel_order(text, bigint),
	@extschema@.amend_order(text, bigint, bigint, numeric)
	TO exchange_broker;
GRANT EXECUTE ON FUNCTION @extschema@.add_symbol(text, numeric, bigint, text, numeric, text),
	@extschema@.open_account(text, regrole)
	TO exchange_admin;
GRANT SELECT ON @extschema@.execution_log
	TO exchange_broker, exchange_compliance, exchange_admin, exchange_dba, exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.executions(text, bigint, timestamptz, timestamptz)
	TO exchange_broker, exchange_compliance, exchange_admin, exchange_dba, exchange_engine;

-- Objects of 1.0 that had no comment of their own.
COMMENT ON COLUMN @extschema@.symbols.symbol IS 'Ticker: an upper-case letter, then up to 15 upper-case letters, digits or dots.';
COMMENT ON SEQUENCE @extschema@.streams_stream_seq IS 'Identity of exchange.streams.stream.';
COMMENT ON INDEX @extschema@.streams_pkey IS 'One row per stream id.';
COMMENT ON INDEX @extschema@.streams_name_key IS 'Stream names are unique: take_over_stream finds a stream by name.';
COMMENT ON INDEX @extschema@.journal_days_pkey IS 'One row per stream and trading day.';
COMMENT ON INDEX @extschema@.symbols_pkey IS 'One row per listed symbol.';
COMMENT ON INDEX @extschema@.accounts_pkey IS 'One row per account.';
COMMENT ON INDEX @extschema@.journal_pkey IS 'One row per (stream, seq, idx) of a trading day: the journal is append-only and gapless.';
COMMENT ON COLUMN @extschema@.journal_days.stream IS 'Stream whose day this is.';
COMMENT ON COLUMN @extschema@.journal_days.trading_day IS 'Trading day (the journal partition journal_YYYYMMDD).';
COMMENT ON COLUMN @extschema@.accounts.account IS 'Account id: a letter or digit, then up to 62 letters, digits, _ . or -.';
COMMENT ON COLUMN @extschema@.accounts.stream IS 'Stream (matching shard) whose journal opened the account.';
COMMENT ON COLUMN @extschema@.execution_log.id IS 'Execution id: seq * 2^21 + idx * 2 + (0 taker, 1 maker); unique within a stream.';
COMMENT ON COLUMN @extschema@.execution_log.order_id IS 'Order executed (this side''s).';
COMMENT ON COLUMN @extschema@.execution_log.symbol IS 'Symbol traded.';
COMMENT ON COLUMN @extschema@.execution_log.side IS 'This side: buy or sell.';
COMMENT ON COLUMN @extschema@.execution_log.price IS 'Execution price in the symbol''s currency (the maker''s price).';
COMMENT ON COLUMN @extschema@.execution_log.order_type IS 'Type of this side''s order (a maker is always limit).';
COMMENT ON COLUMN @extschema@.execution_log.quantity IS 'Shares executed.';
COMMENT ON COLUMN @extschema@.execution_log.executed_at IS 'Sequencer time of the trade.';
COMMENT ON COLUMN @extschema@.execution_log.account IS 'Account of this side.';
COMMENT ON COLUMN @extschema@.execution_log.seq IS 'Seq of the command that traded (the taker''s).';
COMMENT ON COLUMN @extschema@.execution_log.stream IS 'Stream of the journal row.';
COMMENT ON COLUMN @extschema@.execution_log.idx IS 'idx of the trade event within its seq.';
COMMENT ON COLUMN @extschema@.execution_log.is_maker IS 'True for the resting (maker) side.';
