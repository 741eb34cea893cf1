-- exchange 1.4 -> 1.5: reports for compliance analysts, end-of-day archival and
-- matchd's state snapshots.
--
-- The Makefile assembles sql/exchange--1.4--1.5.sql from three parts, in order:
--   sql/parts/1.5-base.sql    the archive schema, the journal that spans live and
--                             archived days, who counts as staff, snapshots
--   reporting/*.sql           the reports (one file per report, in name order)
--   sql/parts/1.5-archive.sql closing a trading day into the archive
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.5'" to load this file. \quit

------------------------------------------------------------------------------
-- Who is exchange staff.  Views that brokers may read filter their rows with
-- (SELECT is_staff()) OR is_account_owner(broker): a view runs as its owner,
-- so the row-level security of the tables under it does not apply.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.is_staff()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_has_role('exchange_admin', 'MEMBER') OR pg_has_role('exchange_compliance', 'MEMBER')
		OR pg_has_role('exchange_dba', 'MEMBER') OR pg_has_role('exchange_engine', 'MEMBER')
$$;
COMMENT ON FUNCTION @extschema@.is_staff() IS
	'True when the current role is exchange staff or the engine (a member of exchange_admin, exchange_compliance, exchange_dba or exchange_engine): such roles see every account''s rows in the reports; a broker sees its own.';

------------------------------------------------------------------------------
-- The archive: closed trading days detached from the live journal (and its
-- derived tables) by archive_trading_day(), read-only, still queryable.
------------------------------------------------------------------------------
CREATE SCHEMA exchange_archive;
COMMENT ON SCHEMA exchange_archive IS
	'Closed trading days detached from the live tables by exchange.archive_trading_day(): read-only partitions of exchange_archive.journal and exchange_archive.candles_1m (see exchange.archived_days).';
REVOKE ALL ON SCHEMA exchange_archive FROM PUBLIC;
GRANT USAGE ON SCHEMA exchange_archive TO exchange_admin, exchange_engine, exchange_compliance,
	exchange_dba;

-- Rows of an archived day never change: every write is refused, whoever asks.
CREATE FUNCTION exchange_archive.refuse_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION '% of archived table %.% refused: an archived trading day is read-only',
		TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = '25006',
			  HINT = 'exchange.archive_trading_day() archived it; scripts/archive-day.sh exports, verifies and drops it.';
END
$$;
COMMENT ON FUNCTION exchange_archive.refuse_write() IS
	'Trigger function of the archive''s tables: refuses INSERT, UPDATE, DELETE and TRUNCATE (25006 read_only_sql_transaction).';

CREATE TABLE exchange_archive.journal (LIKE @extschema@.journal INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
	PARTITION BY RANGE (trading_day);
COMMENT ON TABLE exchange_archive.journal IS
	'The journal of archived trading days: the partitions journal_YYYYMMDD detached from exchange.journal, attached here read-only with their indexes.  exchange.journal_history spans both.';
-- the live journal's indexes, so that a detached partition's indexes attach
ALTER TABLE exchange_archive.journal ADD PRIMARY KEY (stream, seq, idx, trading_day);
CREATE INDEX ON exchange_archive.journal USING brin (ts);
CREATE INDEX ON exchange_archive.journal (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX ON exchange_archive.journal (symbol, ts) WHERE kind = 'trade';
CREATE INDEX ON exchange_archive.journal (account, seq)
	WHERE idx = 0 AND (kind = 'open_account' OR kind > 'expired');
CREATE TRIGGER journal_read_only BEFORE INSERT OR UPDATE OR DELETE ON exchange_archive.journal
	FOR EACH ROW EXECUTE FUNCTION exchange_archive.refuse_write();
COMMENT ON TRIGGER journal_read_only ON exchange_archive.journal IS
	'Archived journal rows never change (cloned to every attached partition).';
COMMENT ON INDEX exchange_archive.journal_pkey IS 'As exchange.journal_pkey: one row per (stream, seq, idx) of a day.';
COMMENT ON INDEX exchange_archive.journal_ts_idx IS 'As exchange.journal_ts_brin: time-range scans.';
COMMENT ON INDEX exchange_archive.journal_order_id_idx IS 'As exchange.journal_order_id: one order''s history.';
COMMENT ON INDEX exchange_archive.journal_symbol_ts_idx IS 'As exchange.journal_trades: a symbol''s trades in time.';
COMMENT ON INDEX exchange_archive.journal_account_seq_idx IS 'As exchange.journal_account_commands.';

-- the maker side of a trade: an order's fills as the resting order
CREATE INDEX journal_contra_order_id ON @extschema@.journal (contra_order_id)
	WHERE contra_order_id IS NOT NULL;
COMMENT ON INDEX @extschema@.journal_contra_order_id IS
	'Trades in which an order was the resting (maker) order: order_audit_trail().';
CREATE INDEX ON exchange_archive.journal (contra_order_id) WHERE contra_order_id IS NOT NULL;
COMMENT ON INDEX exchange_archive.journal_contra_order_id_idx IS 'As exchange.journal_contra_order_id.';

CREATE VIEW @extschema@.journal_history AS
	SELECT * FROM @extschema@.journal
	UNION ALL
	SELECT * FROM exchange_archive.journal;
COMMENT ON VIEW @extschema@.journal_history IS
	'The journal of every trading day, live (exchange.journal) and archived (exchange_archive.journal), with the journal''s columns.  Reports, replay and the rebuilt book read this, so archiving a day changes none of their results.';

------------------------------------------------------------------------------
-- What read the live journal reads every day now.  Same definitions as
-- before, over journal_history.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.read_stream(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS SETOF @extschema@.journal
LANGUAGE sql STABLE
AS $$
	-- seq is gapless, so the next n commands are exactly the range (after, after + n].
	SELECT * FROM @extschema@.journal_history
	 WHERE stream = p_stream AND seq > p_after_seq AND seq <= p_after_seq + p_max_commands
	 ORDER BY seq, idx
$$;

CREATE OR REPLACE FUNCTION @extschema@.read_batch(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS bytea
LANGUAGE sql STABLE
AS $$
	SELECT @extschema@.encode_batch(coalesce(array_agg(
			ROW(seq, idx, trading_day, ts, kind, symbol, account, order_id, side, order_type,
				time_in_force, price, quantity, remaining, status, contra_order_id,
				contra_account, contra_remaining, amount, reason, client_order_id,
				detail)::@extschema@.journal_record ORDER BY seq, idx), '{}'))
	  FROM @extschema@.journal_history
	 WHERE stream = p_stream AND seq > p_after_seq AND seq <= p_after_seq + p_max_commands
$$;

CREATE OR REPLACE VIEW @extschema@.journal_prices WITH (security_barrier) AS
	SELECT j.*, @extschema@.ticks_to_price(j.price, s.tick_size) AS price_numeric,
		   s.currency
	  FROM @extschema@.journal_history j
	  LEFT JOIN @extschema@.symbols s USING (symbol);

CREATE OR REPLACE VIEW @extschema@.execution_log WITH (security_barrier) AS
	SELECT t.seq * 2097152 + t.idx * 2 + x.maker AS id,
		   x.order_id, t.symbol, x.side,
		   @extschema@.ticks_to_price(t.price, s.tick_size) AS price,
		   x.order_type, t.quantity, t.ts AS executed_at, x.account, t.seq,
		   t.stream, t.idx, x.maker = 1 AS is_maker
	  FROM @extschema@.journal_history t
	  LEFT JOIN @extschema@.symbols s ON s.symbol = t.symbol
	  LEFT JOIN @extschema@.journal_history c
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

CREATE OR REPLACE VIEW @extschema@.account_log WITH (security_barrier) AS
	SELECT c.stream, c.seq, c.ts, c.trading_day, c.kind, c.account,
		   CASE WHEN r.seq IS NULL THEN 'accepted' ELSE 'rejected' END AS outcome,
		   r.reason,
		   CASE WHEN c.amount IS NOT NULL THEN c.detail ->> 'currency' ELSE c.symbol END AS asset,
		   coalesce(@extschema@.minor_to_amount(c.amount, cur.minor_digits),
					c.quantity::numeric) AS amount,
		   c.detail ->> 'role' AS requested_by,
		   c.detail
	  FROM @extschema@.journal_history c
	  LEFT JOIN @extschema@.accounts a ON a.account = c.account
	  LEFT JOIN @extschema@.currencies cur ON cur.currency = c.detail ->> 'currency'
	  LEFT JOIN LATERAL (
			SELECT ev.seq, ev.reason FROM @extschema@.journal_history ev
			 WHERE ev.stream = c.stream AND ev.seq = c.seq AND ev.trading_day = c.trading_day
			   AND ev.idx > 0 AND ev.kind = 'rejected'
			 LIMIT 1) r ON true
	 WHERE c.idx = 0 AND c.account IS NOT NULL
	   AND (c.kind = 'open_account' OR c.kind > 'expired')
	   AND ((SELECT pg_catalog.pg_has_role('exchange_admin', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_compliance', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_dba', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_engine', 'MEMBER'))
			OR @extschema@.is_account_owner(a.broker));

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

------------------------------------------------------------------------------
-- matchd's state snapshots: its whole state (books, order manager, wallets,
-- limits) after a seq, so that recovery replays only what follows and the
-- days before can leave the live cluster.  Written by matchd after the close.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.engine_snapshots (
	stream			int NOT NULL REFERENCES @extschema@.streams,
	seq				bigint NOT NULL CHECK (seq > 0),
	epoch			bigint NOT NULL,
	trading_day		date NOT NULL,
	taken_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	state			bytea NOT NULL,
	state_sha256	bytea NOT NULL,
	PRIMARY KEY (stream, seq)
);
COMMENT ON TABLE @extschema@.engine_snapshots IS
	'matchd''s state after a committed seq (its books, order manager, wallets and limits, in matchd''s own format), written by matchd after each close through save_snapshot().  Recovery loads the latest one and replays only the commands after it; archived days before it may then leave the cluster.';
COMMENT ON COLUMN @extschema@.engine_snapshots.stream IS 'Stream whose state this is.';
COMMENT ON COLUMN @extschema@.engine_snapshots.seq IS 'The state is the one after this committed seq.';
COMMENT ON COLUMN @extschema@.engine_snapshots.epoch IS 'Epoch of the writer that saved it.';
COMMENT ON COLUMN @extschema@.engine_snapshots.trading_day IS 'Trading day of seq.';
COMMENT ON COLUMN @extschema@.engine_snapshots.taken_at IS 'When it was saved.';
COMMENT ON COLUMN @extschema@.engine_snapshots.state IS 'The serialized state (matchd''s format; opaque to SQL).';
COMMENT ON COLUMN @extschema@.engine_snapshots.state_sha256 IS 'SHA-256 of state, checked by save_snapshot and by matchd when it loads it.';
COMMENT ON INDEX @extschema@.engine_snapshots_pkey IS 'One snapshot per stream and seq; recovery reads the latest.';

CREATE FUNCTION @extschema@.save_snapshot(p_stream int, p_epoch bigint, p_seq bigint, p_state bytea)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		@extschema@.streams;
	day		date;
	old		bytea;
BEGIN
	IF p_stream IS NULL OR p_epoch IS NULL OR p_seq IS NULL OR p_state IS NULL THEN
		RAISE EXCEPTION 'save_snapshot: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	-- against appends and take-overs: the epoch checked is the one in force
	SELECT * INTO s FROM @extschema@.streams WHERE stream = p_stream FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'stream % does not exist', p_stream USING ERRCODE = 'PX004';
	END IF;
	IF p_epoch <> s.epoch THEN
		RAISE EXCEPTION 'stale epoch % for stream "%": the stream is at epoch %', p_epoch, s.name, s.epoch
			USING ERRCODE = 'PX001', DETAIL = 'Only the current writer saves snapshots.';
	END IF;
	IF p_seq < 1 OR p_seq > s.last_seq THEN
		RAISE EXCEPTION 'seq % of stream "%" is not committed (last seq %)', p_seq, s.name, s.last_seq
			USING ERRCODE = '22023';
	END IF;
	SELECT j.trading_day INTO day FROM @extschema@.journal_history j
	 WHERE j.stream = p_stream AND j.seq = p_seq AND j.idx = 0;
	SELECT e.state INTO old FROM @extschema@.engine_snapshots e
	 WHERE e.stream = p_stream AND e.seq = p_seq;
	IF FOUND THEN
		-- the state after a seq is a function of the journal: a second snapshot
		-- of it must be the same bytes
		IF old <> p_state THEN
			RAISE EXCEPTION 'snapshot of stream "%" at seq % differs from the one saved before', s.name, p_seq
				USING ERRCODE = 'PX007',
					  DETAIL = 'Replay is not deterministic, or the state format changed without a new version.';
		END IF;
		RETURN;
	END IF;
	INSERT INTO @extschema@.engine_snapshots (stream, seq, epoch, trading_day, state, state_sha256)
	VALUES (p_stream, p_seq, p_epoch, day, p_state, pg_catalog.sha256(p_state));
END
$$;
COMMENT ON FUNCTION @extschema@.save_snapshot(int, bigint, bigint, bytea) IS
	'Saves matchd''s state after committed seq p_seq (the engine''s, called by matchd after a close).  22004 NULL argument, PX004 unknown stream, PX001 stale epoch, 22023 seq not committed, PX007 a different state was saved for the same seq before (saving the same bytes again does nothing).';

CREATE FUNCTION @extschema@.latest_snapshot(p_stream int, p_at_most_seq bigint DEFAULT NULL)
RETURNS TABLE (seq bigint, epoch bigint, trading_day date, state bytea, state_sha256 bytea)
LANGUAGE sql STABLE ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.seq, e.epoch, e.trading_day, e.state, e.state_sha256
	  FROM @extschema@.engine_snapshots e
	 WHERE e.stream = p_stream AND (p_at_most_seq IS NULL OR e.seq <= p_at_most_seq)
	 ORDER BY e.seq DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.latest_snapshot(int, bigint) IS
	'The latest snapshot of a stream at or before seq p_at_most_seq (NULL: the latest of all); no row when there is none.  matchd''s recovery starts from it.';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.engine_snapshots', '');

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA exchange_archive FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exchange_archive FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.is_staff()
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.journal_history, exchange_archive.journal
	TO exchange_engine, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.engine_snapshots TO exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.save_snapshot(int, bigint, bigint, bytea),
	@extschema@.latest_snapshot(int, bigint)
	TO exchange_engine;
