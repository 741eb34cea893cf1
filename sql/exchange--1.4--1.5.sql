-- from sql/parts/1.5-base.sql
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

-- from reporting/10_order_audit_trail.sql
------------------------------------------------------------------------------
-- Reports (issue 7), part 1: what every report shares, and the audit trail of
-- one order.
--
-- Row scoping, the same in every report: a report view is a security_barrier
-- view owned by the extension, so it reads the journal (exchange.journal_history,
-- live and archived days alike) with its owner's privileges, and keeps a row
-- only when (SELECT is_staff()) OR is_account_owner(<broker of the row's
-- account>).  current_user inside a view is still the caller, so a broker sees
-- exactly the rows of the accounts its role owns; staff (admin, compliance,
-- dba, the engine) see all.  The report functions are LANGUAGE sql, SECURITY
-- INVOKER, over these views (never SECURITY DEFINER: is_account_owner tests
-- current_user, which a definer function would replace).
--
-- The journal's new event_kind labels of 1.2 (deposit, ...) may not be
-- evaluated while CREATE EXTENSION runs (one transaction): views compare
-- kind::text with them; function bodies are parsed only when called.
------------------------------------------------------------------------------

-- The checks of the report functions' arguments: each report function is
-- two SQL statements, this check and then its query, so that a bad argument
-- is an error even where the query would simply match nothing (a NULL day
-- makes the planner drop the whole query).  Runs as the caller: row-level
-- security of exchange.accounts applies, so "not yours" and "does not exist"
-- are one answer for a broker.
CREATE FUNCTION @extschema@.report_arguments(p_report text, p_trading_day date,
	p_day_required boolean, p_account text DEFAULT NULL, p_symbol text DEFAULT NULL,
	p_from_day date DEFAULT NULL, p_to_day date DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_day_required AND p_trading_day IS NULL THEN
		RAISE EXCEPTION '%: trading_day must not be NULL', p_report
			USING ERRCODE = '22004';
	END IF;
	IF p_from_day > p_to_day THEN
		RAISE EXCEPTION '%: from_day % is after to_day %', p_report, p_from_day, p_to_day
			USING ERRCODE = '22023';
	END IF;
	IF p_account IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.accounts a WHERE a.account = p_account) THEN
		IF @extschema@.is_staff() THEN
			RAISE EXCEPTION '%: unknown account "%"', p_report, p_account
				USING ERRCODE = 'PX021';
		END IF;
		RAISE EXCEPTION '%: account "%" does not exist or does not belong to role "%"',
			p_report, p_account, current_user
			USING ERRCODE = '42501';
	END IF;
	IF p_symbol IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.symbols s WHERE s.symbol = p_symbol) THEN
		RAISE EXCEPTION '%: unknown symbol "%"', p_report, p_symbol
			USING ERRCODE = 'PX020';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.report_arguments(text, date, boolean, text, text, date, date) IS
	'Internal to the report functions (their first statement, run as the caller): true, or raises 22004 for a NULL trading day where one is required, 22023 when from_day is after to_day, PX021 for an account unknown to staff, 42501 for an account that does not exist or is not the calling broker''s (one answer for both), PX020 for an unknown symbol.';

------------------------------------------------------------------------------
-- Every record of every order's life.
------------------------------------------------------------------------------
CREATE VIEW @extschema@.order_records WITH (security_barrier) AS
	SELECT r.stream, st.name AS stream_name, r.order_id, r.seq, r.idx, r.trading_day, r.ts,
		   r.kind, r.account, r.requested_by, r.symbol, r.side, r.order_type,
		   r.time_in_force, @extschema@.ticks_to_price(r.price, s.tick_size) AS price,
		   r.price AS price_ticks, r.quantity, r.remaining, r.status, r.reason, r.liquidity,
		   r.execution_id,
		   CASE WHEN (SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(ca.broker)
				THEN r.counterparty END AS counterparty,
		   r.client_order_id
	  FROM (
			-- the order's commands (new_order: order_id = its seq; cancel_order,
			-- amend_order) and the events about it, as the taker in trades
			SELECT j.stream, j.order_id, j.seq, j.idx, j.trading_day, j.ts, j.kind,
				   j.account, CASE WHEN j.idx = 0 THEN j.detail ->> 'role' END AS requested_by,
				   j.symbol, j.side, j.order_type, j.time_in_force, j.price, j.quantity,
				   j.remaining, j.status, j.reason,
				   CASE WHEN j.kind = 'trade' THEN 'taker' END AS liquidity,
				   CASE WHEN j.kind = 'trade' THEN j.seq * 2097152 + j.idx * 2 END AS execution_id,
				   CASE WHEN j.kind = 'trade' THEN j.contra_account END AS counterparty,
				   j.client_order_id
			  FROM @extschema@.journal_history j
			 WHERE j.order_id IS NOT NULL
			UNION ALL
			-- the trades in which it was the resting (maker) order
			SELECT j.stream, j.contra_order_id, j.seq, j.idx, j.trading_day, j.ts, j.kind,
				   j.contra_account, NULL, j.symbol,
				   CASE j.side WHEN 'buy' THEN 'sell'::@extschema@.side
							   WHEN 'sell' THEN 'buy'::@extschema@.side END,
				   'limit'::@extschema@.order_type, NULL, j.price, j.quantity,
				   j.contra_remaining,
				   CASE WHEN j.contra_remaining = 0 THEN 'filled'::@extschema@.order_status
						ELSE 'partially_filled'::@extschema@.order_status END,
				   NULL, 'maker', j.seq * 2097152 + j.idx * 2 + 1, j.account, NULL
			  FROM @extschema@.journal_history j
			 WHERE j.contra_order_id IS NOT NULL AND j.kind = 'trade'
		   ) r
	  JOIN @extschema@.streams st ON st.stream = r.stream
	  LEFT JOIN @extschema@.symbols s ON s.symbol = r.symbol
	  LEFT JOIN @extschema@.accounts a ON a.account = r.account
	  LEFT JOIN @extschema@.accounts ca ON ca.account = r.counterparty
	 WHERE (SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(a.broker);
COMMENT ON VIEW @extschema@.order_records IS
	'Every journal record of every order''s life, one row per record (order_audit_trail() shows one order''s): its new_order command (order_id = the command''s seq), the cancel_order and amend_order commands for it, every event with its order_id (accepted, rejected, amended, canceled, expired, and the trades in which it was the incoming, taker order), and the trades in which it was the resting, maker order (from the trade''s contra columns).  A broker sees only the rows of the accounts its role owns, and a counterparty only when it owns that account too; staff see all.';
COMMENT ON COLUMN @extschema@.order_records.stream IS 'Stream (matching daemon log) of the record; order ids are unique within a stream.';
COMMENT ON COLUMN @extschema@.order_records.stream_name IS 'Name of the stream (exchange.streams.name), e.g. main.';
COMMENT ON COLUMN @extschema@.order_records.order_id IS 'The order the record belongs to (the seq of its new_order command).';
COMMENT ON COLUMN @extschema@.order_records.seq IS 'Seq of the record: the command''s sequence number.';
COMMENT ON COLUMN @extschema@.order_records.idx IS 'idx of the record within its seq: 0 the command, 1.. its events.';
COMMENT ON COLUMN @extschema@.order_records.trading_day IS 'Trading day of the record.';
COMMENT ON COLUMN @extschema@.order_records.ts IS 'Sequencer time of the record''s command.';
COMMENT ON COLUMN @extschema@.order_records.kind IS 'Record kind: new_order, cancel_order, amend_order (commands), accepted, rejected, trade, canceled, amended, expired (events).';
COMMENT ON COLUMN @extschema@.order_records.account IS 'Account of the order.';
COMMENT ON COLUMN @extschema@.order_records.requested_by IS 'Commands only: the role that sent the command (recorded by matchd in the command''s detail); NULL for events.';
COMMENT ON COLUMN @extschema@.order_records.symbol IS 'Symbol of the order.';
COMMENT ON COLUMN @extschema@.order_records.side IS 'Side of the order (maker rows: the opposite of the trade''s taker side).';
COMMENT ON COLUMN @extschema@.order_records.order_type IS 'Order type as the record states it (maker rows: limit, the only type that rests).';
COMMENT ON COLUMN @extschema@.order_records.time_in_force IS 'Time in force as the record states it (new_order commands and the events that carry it).';
COMMENT ON COLUMN @extschema@.order_records.price IS 'Price in the symbol''s currency: the limit price of commands, accepted and amended events, the execution price of trades.';
COMMENT ON COLUMN @extschema@.order_records.price_ticks IS 'The same price in ticks of the symbol, as journaled.';
COMMENT ON COLUMN @extschema@.order_records.quantity IS 'Shares: ordered (commands), executed (trades), affected (amended, canceled, expired).';
COMMENT ON COLUMN @extschema@.order_records.remaining IS 'Open quantity of the order after the record (maker rows: the trade''s contra_remaining).';
COMMENT ON COLUMN @extschema@.order_records.status IS 'Status of the order after the record (maker rows: filled when nothing remains, else partially_filled).';
COMMENT ON COLUMN @extschema@.order_records.reason IS 'Reason code of a rejection, cancel or expiry, or priority_kept / priority_lost of an amend.';
COMMENT ON COLUMN @extschema@.order_records.liquidity IS 'Trades: taker (the order was the incoming one) or maker (it was resting); NULL for other records.';
COMMENT ON COLUMN @extschema@.order_records.execution_id IS 'Trades: the execution id of the order''s side, seq * 2^21 + idx * 2 + (0 taker, 1 maker), as exchange.execution_log.id.';
COMMENT ON COLUMN @extschema@.order_records.counterparty IS 'Trades: the other side''s account, when the caller may see that account (staff, or the broker owning it); else NULL.';
COMMENT ON COLUMN @extschema@.order_records.client_order_id IS 'The broker''s own id as this record carries it (new_order commands); order_audit_trail() shows the order''s on every row.';

-- Answers an empty audit trail with the reason, as the caller.
CREATE FUNCTION @extschema@.report_order_exists(p_order_id bigint, p_stream text)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_order_id IS NULL OR p_stream IS NULL THEN
		RAISE EXCEPTION 'order_audit_trail: order_id and stream must not be NULL'
			USING ERRCODE = '22004';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM @extschema@.order_records r
					WHERE r.stream_name = p_stream AND r.order_id = p_order_id) THEN
		-- PX004 when the stream does not exist
		PERFORM 1 FROM @extschema@.market_status(p_stream);
		RAISE EXCEPTION 'order % of stream "%" does not exist or is not an order of an account of role "%"',
			p_order_id, p_stream, current_user
			USING ERRCODE = 'PX030';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.report_order_exists(bigint, text) IS
	'Internal to order_audit_trail() (its first statement, run as the caller): true when the caller may see at least one record of the order; else raises 22004 for a NULL argument, PX004 for an unknown stream, PX030 for an order that does not exist or is not one of the calling broker''s (one answer for both).';

CREATE FUNCTION @extschema@.order_audit_trail(order_id bigint, stream text DEFAULT 'main')
RETURNS TABLE (seq bigint, idx int, ts timestamptz, trading_day date,
	kind @extschema@.event_kind, account text, requested_by text, symbol text,
	side @extschema@.side, order_type @extschema@.order_type,
	time_in_force @extschema@.time_in_force, price numeric, quantity bigint,
	remaining bigint, status @extschema@.order_status, reason text, liquidity text,
	execution_id bigint, counterparty text, client_order_id text)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_order_exists($1, $2);
	SELECT r.seq, r.idx, r.ts, r.trading_day, r.kind, r.account, r.requested_by, r.symbol,
		   r.side, r.order_type, r.time_in_force, r.price, r.quantity, r.remaining, r.status,
		   r.reason, r.liquidity, r.execution_id, r.counterparty,
		   coalesce(r.client_order_id,
					max(r.client_order_id) FILTER (WHERE r.kind = 'new_order') OVER ())
	  FROM @extschema@.order_records r
	 WHERE r.stream_name = $2 AND r.order_id = $1
	 ORDER BY r.seq, r.idx
$$;
COMMENT ON FUNCTION @extschema@.order_audit_trail(bigint, text) IS
	'The life of one order of a stream (default main), every record in journal order (seq, idx): its new_order command, cancel and amend commands with the role that sent them (requested_by), and every event (accepted, rejected, amended, canceled, expired, trades as taker or as maker with the remaining quantity after each), with the order''s client_order_id on every row.  See exchange.order_records for the columns.  A broker sees only its own accounts'' orders.  22004 NULL argument, PX004 unknown stream, PX030 no such order (or not the caller''s).';

REVOKE ALL ON @extschema@.order_records FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.report_arguments(text, date, boolean, text, text, date, date),
	@extschema@.report_order_exists(bigint, text),
	@extschema@.order_audit_trail(bigint, text)
	FROM PUBLIC;
GRANT SELECT ON @extschema@.order_records
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.report_arguments(text, date, boolean, text, text, date, date),
	@extschema@.report_order_exists(bigint, text),
	@extschema@.order_audit_trail(bigint, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;

-- from reporting/20_trade_blotter.sql
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

-- from reporting/30_daily_summary.sql
------------------------------------------------------------------------------
-- Reports (issue 7), part 3: the per-account daily summary of order activity
-- and executions.
--
-- Definitions (docs/reports.md):
--   orders_entered  new_order commands of the account (whatever their outcome)
--   cancels         cancel_order commands; amends: amend_order commands
--   rejected        order events `rejected` (new orders and amends refused by
--                   the order manager or the engine)
--   order_messages  orders_entered + cancels + amends
--   fills           execution sides of the account (as taker and as maker)
--   order_to_trade_ratio  order_messages / fills, rounded to 4 decimals;
--                   NULL when there was no fill
-- Money columns are in the currency of the symbols concerned: one row per
-- trading day, account and currency.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.daily_account_summary(trading_day date DEFAULT NULL,
	account text DEFAULT NULL)
RETURNS TABLE (trading_day date, account text, currency text, orders_entered bigint,
	cancels bigint, amends bigint, rejected bigint, order_messages bigint, fills bigint,
	buy_quantity bigint, sell_quantity bigint, bought_notional numeric, sold_notional numeric,
	fees numeric, net_cash numeric, order_to_trade_ratio numeric)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('daily_account_summary', $1, false, $2);
	WITH msgs AS (
		SELECT r.trading_day, r.account, s.currency,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'new_order') AS entered,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'cancel_order') AS cancels,
			   count(*) FILTER (WHERE r.idx = 0 AND r.kind = 'amend_order') AS amends,
			   count(*) FILTER (WHERE r.kind = 'rejected') AS rejected
		  FROM @extschema@.order_records r
		  LEFT JOIN @extschema@.symbols s ON s.symbol = r.symbol
		 WHERE (r.idx = 0 OR r.kind = 'rejected')
		   AND ($1 IS NULL OR r.trading_day = $1)
		   AND ($2 IS NULL OR r.account = $2)
		 GROUP BY r.trading_day, r.account, s.currency
	), fills AS (
		SELECT e.trading_day, e.account, e.currency, count(*) AS fills,
			   coalesce(sum(e.quantity) FILTER (WHERE e.side = 'buy'), 0) AS buy_quantity,
			   coalesce(sum(e.quantity) FILTER (WHERE e.side = 'sell'), 0) AS sell_quantity,
			   coalesce(sum(e.notional_minor) FILTER (WHERE e.side = 'buy'), 0) AS bought,
			   coalesce(sum(e.notional_minor) FILTER (WHERE e.side = 'sell'), 0) AS sold,
			   sum(e.fee_minor) AS fees, sum(e.net_cash_minor) AS net_cash
		  FROM @extschema@.execution_sides e
		 WHERE ($1 IS NULL OR e.trading_day = $1)
		   AND ($2 IS NULL OR e.account = $2)
		 GROUP BY e.trading_day, e.account, e.currency
	)
	SELECT d.trading_day, d.account, d.currency,
		   coalesce(m.entered, 0), coalesce(m.cancels, 0), coalesce(m.amends, 0),
		   coalesce(m.rejected, 0),
		   coalesce(m.entered + m.cancels + m.amends, 0),
		   coalesce(f.fills, 0), coalesce(f.buy_quantity, 0)::bigint,
		   coalesce(f.sell_quantity, 0)::bigint,
		   @extschema@.minor_to_amount(coalesce(f.bought, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.sold, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.fees, 0)::bigint, c.minor_digits),
		   @extschema@.minor_to_amount(coalesce(f.net_cash, 0)::bigint, c.minor_digits),
		   CASE WHEN f.fills > 0
				THEN round(coalesce(m.entered + m.cancels + m.amends, 0)::numeric / f.fills, 4) END
	  FROM (SELECT trading_day, account, currency FROM msgs
			UNION
			SELECT trading_day, account, currency FROM fills) d
	  LEFT JOIN msgs m ON m.trading_day = d.trading_day AND m.account = d.account
					  AND m.currency IS NOT DISTINCT FROM d.currency
	  LEFT JOIN fills f ON f.trading_day = d.trading_day AND f.account = d.account
					   AND f.currency IS NOT DISTINCT FROM d.currency
	  LEFT JOIN @extschema@.currencies c ON c.currency = d.currency
	 ORDER BY d.trading_day, d.account, d.currency
$$;
COMMENT ON FUNCTION @extschema@.daily_account_summary(date, text) IS
	'Per trading day (NULL: every day), account (NULL: every account the caller may see) and currency of the symbols concerned: orders_entered (new_order commands, whatever their outcome), cancels (cancel_order commands), amends (amend_order commands), rejected (orders and amends refused: rejected events), order_messages = orders_entered + cancels + amends, fills (execution sides, as taker or maker), shares bought and sold, notional bought and sold, fees and net cash (exchange.execution_sides), and order_to_trade_ratio = order_messages / fills rounded to 4 decimals (NULL without fills).  A broker sees only its own accounts.  PX021 / 42501 unknown account (or not the caller''s).';

REVOKE ALL ON FUNCTION @extschema@.daily_account_summary(date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.daily_account_summary(date, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;

-- from reporting/40_positions_eod.sql
------------------------------------------------------------------------------
-- Reports (issue 7), part 4: the ledger of every account's cash and shares,
-- and positions and cash at the end of a trading day, from the journal alone.
--
-- What changes an account's holdings: accepted deposit / withdraw (cash) and
-- credit_shares / debit_shares (shares) commands (accepted: their idx 1 event
-- is `accepted`; a rejected one changed nothing), and each side of a trade
-- (shares +/- quantity, cash -/+ notional, minus its fee).  Holds of open
-- orders move cash and shares between available and held only: they change
-- no total, so they are not in the ledger.
------------------------------------------------------------------------------
CREATE VIEW @extschema@.account_ledger WITH (security_barrier) AS
	SELECT l.stream, l.trading_day, l.ts, l.seq, l.idx, l.account, l.asset_type, l.asset,
		   l.movement, l.units,
		   CASE l.asset_type WHEN 'cash' THEN @extschema@.minor_to_amount(l.units, c.minor_digits)
				ELSE l.units::numeric END AS change,
		   l.symbol, l.execution_id
	  FROM (
			SELECT x.stream, x.trading_day, x.ts, x.seq, x.idx, x.account,
				   CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN 'cash' ELSE 'shares' END AS asset_type,
				   CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN x.detail ->> 'currency'
						ELSE x.symbol END AS asset,
				   CASE x.kind::text WHEN 'deposit' THEN 'deposit' WHEN 'withdraw' THEN 'withdrawal'
						WHEN 'credit_shares' THEN 'share_credit' ELSE 'share_debit' END AS movement,
				   CASE WHEN x.kind::text IN ('deposit', 'credit_shares') THEN 1 ELSE -1 END
					 * CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN x.amount
							ELSE x.quantity END AS units,
				   CASE WHEN x.kind::text IN ('credit_shares', 'debit_shares') THEN x.symbol END AS symbol,
				   NULL::bigint AS execution_id
			  FROM @extschema@.journal_history x
			  LEFT JOIN @extschema@.accounts a ON a.account = x.account
			 WHERE x.idx = 0 AND x.kind > 'expired'
			   AND x.kind::text IN ('deposit', 'withdraw', 'credit_shares', 'debit_shares')
			   AND EXISTS (SELECT 1 FROM @extschema@.journal_history ev
							WHERE ev.stream = x.stream AND ev.seq = x.seq AND ev.idx = 1
							  AND ev.trading_day = x.trading_day AND ev.kind = 'accepted')
			   AND ((SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(a.broker))
			UNION ALL
			-- each side of a trade: its shares, its cash at the notional, its fee
			SELECT e.stream, e.trading_day, e.executed_at, e.seq, e.idx, e.account, m.asset_type,
				   m.asset, m.movement, m.units, e.symbol, e.execution_id
			  FROM @extschema@.execution_sides e
			 CROSS JOIN LATERAL (VALUES
					('shares', e.symbol, e.side::text,
					 CASE e.side WHEN 'buy' THEN e.quantity ELSE -e.quantity END),
					('cash', e.currency, e.side::text,
					 CASE e.side WHEN 'buy' THEN -e.notional_minor ELSE e.notional_minor END),
					('cash', e.currency, 'fee', -e.fee_minor)
				) AS m (asset_type, asset, movement, units)
			 WHERE m.movement <> 'fee' OR m.units <> 0
		   ) l
	  LEFT JOIN @extschema@.currencies c ON l.asset_type = 'cash' AND c.currency = l.asset;
COMMENT ON VIEW @extschema@.account_ledger IS
	'Every change of an account''s cash or shares, from the journal alone (live and archived days): accepted deposits and withdrawals (cash), accepted credit_shares and debit_shares (shares), and for each side of a trade its shares (buy +quantity, sell -quantity), its cash at the notional (buy -notional, sell +notional) and its fee (-fee, when one was due).  Summed up to a day, it is the account''s holdings at the end of that day (positions_eod()).  A broker sees only the accounts its role owns; staff see all.';
COMMENT ON COLUMN @extschema@.account_ledger.stream IS 'Stream of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.trading_day IS 'Trading day of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.ts IS 'Sequencer time of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.seq IS 'Seq of the command.';
COMMENT ON COLUMN @extschema@.account_ledger.idx IS 'idx of the record: 0 for deposits, withdrawals, credits and debits; the trade event''s for trades.';
COMMENT ON COLUMN @extschema@.account_ledger.account IS 'Account whose holdings change.';
COMMENT ON COLUMN @extschema@.account_ledger.asset_type IS 'cash or shares.';
COMMENT ON COLUMN @extschema@.account_ledger.asset IS 'The currency (cash) or the symbol (shares).';
COMMENT ON COLUMN @extschema@.account_ledger.movement IS 'deposit, withdrawal, share_credit, share_debit, buy, sell (the trade''s shares and cash at the notional) or fee.';
COMMENT ON COLUMN @extschema@.account_ledger.units IS 'Signed change in minor units of the currency (cash) or in shares.';
COMMENT ON COLUMN @extschema@.account_ledger.change IS 'The same change in the currency (exact, with its minor digits) or in shares.';
COMMENT ON COLUMN @extschema@.account_ledger.symbol IS 'Symbol of a trade, credit or debit of shares; NULL for deposits and withdrawals.';
COMMENT ON COLUMN @extschema@.account_ledger.execution_id IS 'Trades: the execution id of the account''s side (execution_sides.execution_id).';

CREATE FUNCTION @extschema@.positions_eod(trading_day date, account text DEFAULT NULL)
RETURNS TABLE (trading_day date, account text, asset_type text, asset text,
	opening numeric, change numeric, closing numeric, movements bigint)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('positions_eod', $1, true, $2);
	SELECT $1, l.account, l.asset_type, l.asset,
		   @extschema@.minor_to_amount(coalesce(sum(l.units) FILTER (WHERE l.trading_day < $1), 0)::bigint,
									   coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(coalesce(sum(l.units) FILTER (WHERE l.trading_day = $1), 0)::bigint,
									   coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(sum(l.units)::bigint, coalesce(c.minor_digits, 0)),
		   count(*) FILTER (WHERE l.trading_day = $1)
	  FROM @extschema@.account_ledger l
	  LEFT JOIN @extschema@.currencies c ON l.asset_type = 'cash' AND c.currency = l.asset
	 WHERE l.trading_day <= $1
	   AND ($2 IS NULL OR l.account = $2)
	 GROUP BY l.account, l.asset_type, l.asset, c.minor_digits
	 ORDER BY l.account, l.asset_type, l.asset
$$;
COMMENT ON FUNCTION @extschema@.positions_eod(date, text) IS
	'Cash per currency and shares per symbol of each account (or of one) at the end of a trading day, from the journal alone (the sum of exchange.account_ledger up to that day): opening (end of the previous days), the day''s change, closing = opening + change, and the number of ledger movements of the day.  One row per account and asset it ever held up to that day, zero included.  Closing totals are available + held: after the last day they equal exchange.balances() totals.  A broker sees only its own accounts.  22004 NULL trading_day, PX021 / 42501 unknown account (or not the caller''s).';

REVOKE ALL ON @extschema@.account_ledger FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.positions_eod(date, text) FROM PUBLIC;
GRANT SELECT ON @extschema@.account_ledger
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.positions_eod(date, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;

-- from reporting/50_tax_lots.sql
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

-- from reporting/60_settlement.sql
------------------------------------------------------------------------------
-- Reports (issue 7), part 6: what each account settles for a trading day.
--
-- Per account and currency, the net cash of the day's executions (sells:
-- notional - fee received, buys: notional + fee paid); per account and
-- symbol, the net shares (bought received, sold delivered); and, for staff
-- only, the exchange's fee income per currency as its own row.  Invariants
-- (regress/sql/reports.sql, regress/e2e/reports.sh): per currency the
-- accounts' nets plus the fee income sum to zero; per symbol the accounts'
-- share nets sum to zero.  Deposits, withdrawals, credits and debits are not
-- trades and do not settle here (see positions_eod()).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.settlement_report(trading_day date)
RETURNS TABLE (trading_day date, party text, account text, asset_type text, asset text,
	executions bigint, received numeric, delivered numeric, net numeric, instruction text)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('settlement_report', $1, true);
	WITH sides AS (
		SELECT e.account, e.symbol, e.currency, e.side, e.quantity, e.fee_minor,
			   e.net_cash_minor
		  FROM @extschema@.execution_sides e
		 WHERE e.trading_day = $1
	), nets AS (
		SELECT 'account' AS party, s.account, 'cash' AS asset_type, s.currency AS asset,
			   count(*) AS executions,
			   coalesce(sum(s.net_cash_minor) FILTER (WHERE s.side = 'sell'), 0) AS received,
			   coalesce(-sum(s.net_cash_minor) FILTER (WHERE s.side = 'buy'), 0) AS delivered
		  FROM sides s GROUP BY s.account, s.currency
		UNION ALL
		SELECT 'account', s.account, 'shares', s.symbol, count(*),
			   coalesce(sum(s.quantity) FILTER (WHERE s.side = 'buy'), 0),
			   coalesce(sum(s.quantity) FILTER (WHERE s.side = 'sell'), 0)
		  FROM sides s GROUP BY s.account, s.symbol
		UNION ALL
		-- the fees of every side, which only staff see all of
		SELECT 'exchange', NULL, 'cash', s.currency, count(*) FILTER (WHERE s.fee_minor <> 0),
			   sum(s.fee_minor), 0
		  FROM sides s
		 WHERE (SELECT @extschema@.is_staff())
		 GROUP BY s.currency
	)
	SELECT $1, n.party, n.account, n.asset_type, n.asset, n.executions,
		   @extschema@.minor_to_amount(n.received::bigint, coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(n.delivered::bigint, coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount((n.received - n.delivered)::bigint, coalesce(c.minor_digits, 0)),
		   CASE WHEN n.received > n.delivered THEN 'receive'
				WHEN n.received = n.delivered THEN 'none'
				WHEN n.asset_type = 'cash' THEN 'pay'
				ELSE 'deliver' END
	  FROM nets n
	  LEFT JOIN @extschema@.currencies c ON n.asset_type = 'cash' AND c.currency = n.asset
	 ORDER BY n.party, n.account, n.asset_type, n.asset
$$;
COMMENT ON FUNCTION @extschema@.settlement_report(date) IS
	'What settles for the executions of a trading day.  party account: per account and currency (asset_type cash) the cash received from sales (notional - fee) and delivered for purchases (notional + fee), and per account and symbol (asset_type shares) the shares received (bought) and delivered (sold); net = received - delivered, instruction receive, pay (cash) / deliver (shares) or none.  party exchange (staff only, account NULL): the fee income per currency (executions: the sides that paid a fee).  Per currency the nets of all rows sum to zero, per symbol too.  A broker sees only its own accounts'' rows.  22004 NULL trading_day.';

REVOKE ALL ON FUNCTION @extschema@.settlement_report(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.settlement_report(date)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;

-- from reporting/70_resting_orders.sql
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
	'Every episode of an order in the book that overlaps trading days start_day..end_day (end_day NULL: start_day alone), rebuilt from journal_history alone: an episode begins when the order rests (`accepted`: priority = that record''s seq/idx) or is re-priced (an amend with reason priority_lost: the back of the queue at the amend''s seq/idx; a re-priced order may trade as the taker and rest without a new `accepted`) and ends at its next re-pricing or when it leaves the book (a trade as taker or maker that leaves 0, a cancel, an expiry).  Amends that keep priority and partial fills do not end an episode; IOC/FOK/market remainders never rest.  Orders resting from earlier days (gtc) are found by reading the days before start_day.  Columns: price in ticks and numeric, quantity open when the episode began, priority_seq/idx (= where it began), left_seq/idx/at/day/by/reason (the record that ended it: trade (left_reason filled), canceled or expired with their reason, amended = re-priced; NULL: still resting after end_day).  only_symbol NULL: every symbol.  Errors: 22004 start_day NULL, 22023 end_day before start_day, PX020 unknown symbol.  Compliance, admin and dba only.';

REVOKE ALL ON FUNCTION @extschema@.surveillance_period(date, date, text),
	@extschema@.resting_orders(date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.surveillance_period(date, date, text),
	@extschema@.resting_orders(date, date, text)
	TO exchange_compliance, exchange_admin, exchange_dba;

-- from reporting/75_surveillance.sql
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

-- from reporting/80_priority_audit.sql
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

-- from sql/parts/1.5-archive.sql
------------------------------------------------------------------------------
-- 1-minute candles partitioned by trading day, like the journal, so that a
-- closed day's candles leave the live tables with its journal.  The rows are
-- recomputed from the journal (they now carry the trades' trading day).
------------------------------------------------------------------------------
ALTER TABLE @extschema@.candles_1m RENAME TO candles_1m_before_1_5;
ALTER EXTENSION exchange DROP TABLE @extschema@.candles_1m_before_1_5;
DROP TABLE @extschema@.candles_1m_before_1_5;

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
COMMENT ON INDEX @extschema@.candles_1m_pkey IS 'One candle per stream, symbol, minute and trading day; candles() scans a symbol''s range of minutes.';

CREATE TABLE exchange_archive.candles_1m (LIKE @extschema@.candles_1m INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
	PARTITION BY RANGE (trading_day);
ALTER TABLE exchange_archive.candles_1m ADD PRIMARY KEY (stream, symbol, bucket, trading_day);
CREATE TRIGGER candles_1m_read_only BEFORE INSERT OR UPDATE OR DELETE ON exchange_archive.candles_1m
	FOR EACH ROW EXECUTE FUNCTION exchange_archive.refuse_write();
COMMENT ON TABLE exchange_archive.candles_1m IS
	'The 1-minute candles of archived trading days: partitions candles_1m_YYYYMMDD detached from exchange.candles_1m, read-only.';
COMMENT ON INDEX exchange_archive.candles_1m_pkey IS 'As exchange.candles_1m_pkey.';
COMMENT ON TRIGGER candles_1m_read_only ON exchange_archive.candles_1m IS
	'Archived candles never change (cloned to every attached partition).';

CREATE VIEW @extschema@.candles_1m_history AS
	SELECT * FROM @extschema@.candles_1m
	UNION ALL
	SELECT * FROM exchange_archive.candles_1m;
COMMENT ON VIEW @extschema@.candles_1m_history IS
	'The 1-minute candles of every trading day, live and archived (columns of exchange.candles_1m).';

------------------------------------------------------------------------------
-- A day's partitions: the journal's and the candles', created together.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.journal_partition(p_day date)
RETURNS regclass
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	suffix	text := pg_catalog.to_char(p_day, 'YYYYMMDD');
	part	text := 'journal_' || suffix;
	cpart	text := 'candles_1m_' || suffix;
	rel		regclass := pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', part));
BEGIN
	IF rel IS NULL THEN
		-- an archived day never comes back to the live journal
		IF EXISTS (SELECT 1 FROM @extschema@.archived_days a WHERE a.trading_day = p_day) THEN
			RAISE EXCEPTION 'trading day % is archived', p_day
				USING ERRCODE = 'PX006', DETAIL = 'A stream never writes an archived day.';
		END IF;
		EXECUTE pg_catalog.format(
			'CREATE TABLE @extschema@.%I PARTITION OF @extschema@.journal FOR VALUES FROM (%L) TO (%L)',
			part, p_day, p_day + 1);
		EXECUTE pg_catalog.format('COMMENT ON TABLE @extschema@.%I IS %L', part,
			pg_catalog.format('Journal partition of trading day %s.', p_day));
		rel := pg_catalog.format('@extschema@.%I', part)::regclass;
	END IF;
	IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', cpart)) IS NULL THEN
		EXECUTE pg_catalog.format(
			'CREATE TABLE @extschema@.%I PARTITION OF @extschema@.candles_1m FOR VALUES FROM (%L) TO (%L)',
			cpart, p_day, p_day + 1);
		EXECUTE pg_catalog.format('COMMENT ON TABLE @extschema@.%I IS %L', cpart,
			pg_catalog.format('1-minute candles of trading day %s.', p_day));
	END IF;
	RETURN rel;
END
$$;
COMMENT ON FUNCTION @extschema@.journal_partition(date) IS
	'The journal partition of a trading day, created when missing together with the day''s candles_1m partition; PX006 for an archived day.';

------------------------------------------------------------------------------
-- The archive catalog: what archive_trading_day did, and what the DBA's
-- export (scripts/archive-day.sh) did after it.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.archived_days (
	trading_day		date PRIMARY KEY,
	streams			int[] NOT NULL,
	first_seq		bigint[] NOT NULL,
	last_seq		bigint[] NOT NULL,
	commands		bigint NOT NULL,
	records			bigint NOT NULL,
	journal_sha256	bytea NOT NULL,
	candle_rows		bigint NOT NULL,
	candles_sha256	bytea NOT NULL,
	journal_table	text NOT NULL,
	candles_table	text NOT NULL,
	archived_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	archived_by		name NOT NULL,
	export_file		text,
	export_sha256	text CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
	exported_at		timestamptz,
	verified_at		timestamptz,
	dropped_at		timestamptz,
	dropped_by		name,
	restored_at		timestamptz,
	CHECK (cardinality(streams) = cardinality(first_seq) AND cardinality(streams) = cardinality(last_seq)),
	CHECK (dropped_at IS NULL OR verified_at IS NOT NULL)
);
COMMENT ON TABLE @extschema@.archived_days IS
	'The archive catalog: one row per trading day moved to exchange_archive by archive_trading_day(), with the verified counts and checksums of its journal and candles, and what scripts/archive-day.sh did later (export, verification by restore, drop, restore).';
COMMENT ON COLUMN @extschema@.archived_days.trading_day IS 'The trading day archived.';
COMMENT ON COLUMN @extschema@.archived_days.streams IS 'Streams with records on that day (journal_days), in order.';
COMMENT ON COLUMN @extschema@.archived_days.first_seq IS 'First seq of the day of each stream (same order as streams).';
COMMENT ON COLUMN @extschema@.archived_days.last_seq IS 'Last seq of the day of each stream.';
COMMENT ON COLUMN @extschema@.archived_days.commands IS 'Commands (idx 0) of the day, all streams; equal to the sequencer''s journal_days.';
COMMENT ON COLUMN @extschema@.archived_days.records IS 'All records of the day, all streams; equal to journal_days.';
COMMENT ON COLUMN @extschema@.archived_days.journal_sha256 IS 'journal_day_checksum() of the day when it was archived.';
COMMENT ON COLUMN @extschema@.archived_days.candle_rows IS 'Rows of the day''s candles_1m partition.';
COMMENT ON COLUMN @extschema@.archived_days.candles_sha256 IS 'candles_day_checksum() of the day when it was archived.';
COMMENT ON COLUMN @extschema@.archived_days.journal_table IS 'The archived journal partition (exchange_archive.journal_YYYYMMDD).';
COMMENT ON COLUMN @extschema@.archived_days.candles_table IS 'The archived candles partition (exchange_archive.candles_1m_YYYYMMDD).';
COMMENT ON COLUMN @extschema@.archived_days.archived_at IS 'When archive_trading_day() ran.';
COMMENT ON COLUMN @extschema@.archived_days.archived_by IS 'Session user that ran it.';
COMMENT ON COLUMN @extschema@.archived_days.export_file IS 'The pg_dump (custom format) file the DBA script wrote.';
COMMENT ON COLUMN @extschema@.archived_days.export_sha256 IS 'SHA-256 of that file (hex).';
COMMENT ON COLUMN @extschema@.archived_days.exported_at IS 'When the export was recorded.';
COMMENT ON COLUMN @extschema@.archived_days.verified_at IS 'When the export was restored into a scratch database and its counts and checksums matched this arch.';
COMMENT ON COLUMN @extschema@.archived_days.dropped_at IS 'When drop_archived_day() removed the day from the cluster (NULL: still here).';
COMMENT ON COLUMN @extschema@.archived_days.dropped_by IS 'Session user that dropped it.';
COMMENT ON COLUMN @extschema@.archived_days.restored_at IS 'When a dropped day was last restored from its export and verified (restore_archived_day()).';
COMMENT ON INDEX @extschema@.archived_days_pkey IS 'A trading day is archived once.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.archived_days', '');

------------------------------------------------------------------------------
-- Checksums of a day: SHA-256 over the SHA-256 of each row's JSON, in key
-- order.  The JSON is rendered with the time zone pinned to UTC, so the same
-- rows give the same bytes in any session and any database (the restore check
-- of the DBA script computes it in a scratch database).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.journal_day_checksum(p_day date)
RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
	SELECT sha256(coalesce(string_agg(sha256(convert_to(row_to_json(r)::text, 'UTF8')), ''::bytea
									  ORDER BY r.stream, r.seq, r.idx), ''::bytea))
	  FROM (SELECT j.stream, j.seq, j.idx, j.epoch, j.trading_day, j.ts, j.kind, j.symbol,
				   j.account, j.order_id, j.side, j.order_type, j.time_in_force, j.price,
				   j.quantity, j.remaining, j.status, j.contra_order_id, j.contra_account,
				   j.contra_remaining, j.amount, j.reason, j.client_order_id, j.detail
			  FROM @extschema@.journal_history j
			 WHERE j.trading_day = p_day) r
$$;
COMMENT ON FUNCTION @extschema@.journal_day_checksum(date) IS
	'SHA-256 of a trading day''s journal, live or archived: sha256 of the concatenated sha256 of each record''s JSON (all columns, time zone UTC), in (stream, seq, idx) order.  Equal days give equal checksums in any database.';

CREATE FUNCTION @extschema@.candles_day_checksum(p_day date)
RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
	SELECT sha256(coalesce(string_agg(sha256(convert_to(row_to_json(r)::text, 'UTF8')), ''::bytea
									  ORDER BY r.stream, r.symbol, r.bucket), ''::bytea))
	  FROM (SELECT c.stream, c.symbol, c.bucket, c.trading_day, c.candle, c.updated_seq
			  FROM @extschema@.candles_1m_history c
			 WHERE c.trading_day = p_day) r
$$;
COMMENT ON FUNCTION @extschema@.candles_day_checksum(date) IS
	'SHA-256 of a trading day''s 1-minute candles, live or archived, computed like journal_day_checksum in (stream, symbol, bucket) order.';

------------------------------------------------------------------------------
-- Closing a trading day into the archive.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.archive_trading_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	suffix	text := pg_catalog.to_char(p_day, 'YYYYMMDD');
	jpart	text := 'journal_' || suffix;
	cpart	text := 'candles_1m_' || suffix;
	st		record;
	v		record;
	arch		@extschema@.archived_days;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'archive_trading_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.archived_days a WHERE a.trading_day = p_day) THEN
		RAISE EXCEPTION 'trading day % is already archived', p_day USING ERRCODE = 'PX082';
	END IF;
	IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', jpart)) IS NULL
	   OR NOT EXISTS (SELECT 1 FROM @extschema@.journal_days d WHERE d.trading_day = p_day) THEN
		RAISE EXCEPTION 'there is no journal of trading day %', p_day USING ERRCODE = 'PX084';
	END IF;

	-- The day's writers wait until the day is archived (appends lock their
	-- stream's row first), so nothing is added to it while it is verified.
	PERFORM 1 FROM @extschema@.streams s
	  WHERE s.stream IN (SELECT d.stream FROM @extschema@.journal_days d WHERE d.trading_day = p_day)
	  ORDER BY s.stream FOR UPDATE;

	-- Closed: no open session of that day or before, and either an accepted
	-- close on the day (matchd stamps what follows with the next day) or a
	-- later day already begun (append_batch refuses earlier days: PX006).
	FOR st IN
		SELECT s.stream, s.name, s.last_trading_day, ms.is_open, ms.trading_day AS session_day,
			   -- a close not rejected (as project_reference_data counts it)
			   EXISTS (SELECT 1 FROM @extschema@.journal c
						WHERE c.stream = s.stream AND c.trading_day = p_day AND c.idx = 0
						  AND c.kind = 'market_close' AND c.symbol IS NULL
						  AND NOT EXISTS (SELECT 1 FROM @extschema@.journal ev
										   WHERE ev.stream = c.stream AND ev.seq = c.seq
											 AND ev.trading_day = c.trading_day AND ev.idx > 0
											 AND ev.kind = 'rejected')) AS closed_on_day
		  FROM @extschema@.journal_days d
		  JOIN @extschema@.streams s ON s.stream = d.stream
		  LEFT JOIN @extschema@.market_state ms ON ms.stream = d.stream
		 WHERE d.trading_day = p_day
		 ORDER BY s.stream
	LOOP
		IF st.is_open AND st.session_day <= p_day THEN
			RAISE EXCEPTION 'trading day % is open in stream "%"', p_day, st.name
				USING ERRCODE = 'PX080', HINT = 'Archive a day after its close (exchange.close_market()).';
		END IF;
		IF NOT (st.last_trading_day > p_day OR st.closed_on_day) THEN
			RAISE EXCEPTION 'trading day % of stream "%" is not closed', p_day, st.name
				USING ERRCODE = 'PX080',
					  DETAIL = 'It has no accepted market_close and no later trading day has begun, so matchd may still journal commands on it.';
		END IF;
	END LOOP;

	-- Gapless, and as counted by the sequencer: every seq of the day's range
	-- once, with idx 0 .. n-1, following the stream's previous day.
	FOR v IN
		WITH per_seq AS (
			SELECT j.stream, j.seq, count(*) AS n, min(j.idx) AS lo, max(j.idx) AS hi,
				   count(*) FILTER (WHERE j.idx = 0) AS cmds
			  FROM @extschema@.journal j
			 WHERE j.trading_day = p_day
			 GROUP BY j.stream, j.seq
		), per_stream AS (
			SELECT p.stream, min(p.seq) AS first_seq, max(p.seq) AS last_seq, count(*) AS seqs,
				   sum(p.cmds) AS commands, sum(p.n) AS records,
				   bool_and(p.lo = 0 AND p.hi = p.n - 1 AND p.cmds = 1) AS idx_ok
			  FROM per_seq p
			 GROUP BY p.stream
		), expected AS (
			SELECT d.*, (SELECT max(e.last_seq) FROM @extschema@.journal_days e
						  WHERE e.stream = d.stream AND e.trading_day < p_day) AS previous_last
			  FROM @extschema@.journal_days d
			 WHERE d.trading_day = p_day
		)
		SELECT coalesce(e.stream, a.stream) AS stream, e.first_seq AS e_first, e.last_seq AS e_last,
			   e.commands AS e_commands, e.records AS e_records, e.previous_last,
			   a.first_seq AS a_first, a.last_seq AS a_last, a.seqs, a.commands AS a_commands,
			   a.records AS a_records, a.idx_ok
		  FROM expected e FULL JOIN per_stream a ON a.stream = e.stream
		 ORDER BY 1
	LOOP
		IF v.e_first IS NULL OR v.a_first IS NULL
		   OR v.a_first <> v.e_first OR v.a_last <> v.e_last
		   OR v.a_commands <> v.e_commands OR v.a_records <> v.e_records
		   OR v.seqs <> v.a_last - v.a_first + 1 OR NOT v.idx_ok
		   OR v.e_first <> coalesce(v.previous_last, 0) + 1 THEN
			RAISE EXCEPTION 'the journal of trading day % in stream "%" does not verify', p_day,
				(SELECT x.name FROM @extschema@.streams x WHERE x.stream = v.stream)
				USING ERRCODE = 'PX081',
					  DETAIL = pg_catalog.format(
						'sequencer: seqs %s..%s, %s commands, %s records, previous day ends at %s; journal: seqs %s..%s (%s distinct), %s commands, %s records, idx contiguous: %s',
						v.e_first, v.e_last, v.e_commands, v.e_records, coalesce(v.previous_last, 0),
						v.a_first, v.a_last, v.seqs, v.a_commands, v.a_records, v.idx_ok),
					  HINT = 'Nothing was archived.  Investigate before archiving: the journal must equal what the sequencer appended.';
		END IF;
	END LOOP;

	SELECT p_day, array_agg(d.stream ORDER BY d.stream), array_agg(d.first_seq ORDER BY d.stream),
		   array_agg(d.last_seq ORDER BY d.stream), sum(d.commands), sum(d.records)
	  INTO arch.trading_day, arch.streams, arch.first_seq, arch.last_seq, arch.commands, arch.records
	  FROM @extschema@.journal_days d
	 WHERE d.trading_day = p_day;
	arch.journal_sha256 := @extschema@.journal_day_checksum(p_day);
	arch.candles_sha256 := @extschema@.candles_day_checksum(p_day);
	SELECT count(*) INTO arch.candle_rows FROM @extschema@.candles_1m c WHERE c.trading_day = p_day;
	arch.journal_table := 'exchange_archive.' || pg_catalog.quote_ident(jpart);
	arch.candles_table := 'exchange_archive.' || pg_catalog.quote_ident(cpart);
	arch.archived_at := pg_catalog.now();
	arch.archived_by := session_user;

	-- Move the partitions: detach, into the archive schema, attach there
	-- (their indexes, BRIN included, attach to the archive's), read-only.
	PERFORM @extschema@.journal_partition(p_day); -- the candles partition may be missing
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.journal DETACH PARTITION @extschema@.%I', jpart);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I SET SCHEMA exchange_archive', jpart);
	EXECUTE pg_catalog.format(
		'ALTER TABLE exchange_archive.journal ATTACH PARTITION exchange_archive.%I FOR VALUES FROM (%L) TO (%L)',
		jpart, p_day, p_day + 1);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.candles_1m DETACH PARTITION @extschema@.%I', cpart);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I SET SCHEMA exchange_archive', cpart);
	EXECUTE pg_catalog.format(
		'ALTER TABLE exchange_archive.candles_1m ATTACH PARTITION exchange_archive.%I FOR VALUES FROM (%L) TO (%L)',
		cpart, p_day, p_day + 1);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON exchange_archive.%I FOR EACH STATEMENT EXECUTE FUNCTION exchange_archive.refuse_write()',
		jpart);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON exchange_archive.%I FOR EACH STATEMENT EXECUTE FUNCTION exchange_archive.refuse_write()',
		cpart);
	EXECUTE pg_catalog.format('REVOKE ALL ON exchange_archive.%I, exchange_archive.%I FROM PUBLIC', jpart, cpart);
	EXECUTE pg_catalog.format(
		'GRANT SELECT ON exchange_archive.%I, exchange_archive.%I TO exchange_engine, exchange_compliance, exchange_dba',
		jpart, cpart);
	EXECUTE pg_catalog.format('COMMENT ON TABLE exchange_archive.%I IS %L', jpart,
		pg_catalog.format('Archived journal of trading day %s (read-only; see exchange.archived_days).', p_day));
	EXECUTE pg_catalog.format('COMMENT ON TABLE exchange_archive.%I IS %L', cpart,
		pg_catalog.format('Archived 1-minute candles of trading day %s (read-only).', p_day));

	-- Seal the day: a stream still at it moves on, so that append_batch
	-- refuses it (PX006) even to a writer that did not see the close.
	UPDATE @extschema@.streams s SET last_trading_day = p_day + 1
	 WHERE s.stream = ANY (arch.streams) AND s.last_trading_day <= p_day;

	INSERT INTO @extschema@.archived_days SELECT arch.*;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.archive_trading_day(date) IS
	'Closes a trading day into the archive (exchange_dba): refuses while it is open or may still be journaled (PX080); verifies that its journal is gapless and matches the sequencer''s journal_days (PX081, nothing changed); detaches its journal and candles_1m partitions into exchange_archive, read-only with their indexes (BRIN included); seals the day against appends; records counts and checksums in archived_days and returns that arch.  PX082 already archived, PX084 no journal for the day, 22004.  Reports read journal_history, so their results do not change.';

CREATE FUNCTION @extschema@.record_archive_export(p_day date, p_file text, p_sha256 text,
	p_journal_sha256 bytea, p_candles_sha256 bytea)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch @extschema@.archived_days;
BEGIN
	IF p_day IS NULL OR p_file IS NULL OR p_sha256 IS NULL OR p_journal_sha256 IS NULL
	   OR p_candles_sha256 IS NULL THEN
		RAISE EXCEPTION 'record_archive_export: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF p_sha256 !~ '^[0-9a-f]{64}$' THEN
		RAISE EXCEPTION 'not a SHA-256 in hex: "%"', p_sha256 USING ERRCODE = '22023';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'trading day % is not archived', p_day USING ERRCODE = 'PX082';
	END IF;
	-- the checksums the restore produced must be the ones archived
	IF p_journal_sha256 <> arch.journal_sha256 OR p_candles_sha256 <> arch.candles_sha256 THEN
		RAISE EXCEPTION 'the restored export of trading day % does not match the archive', p_day
			USING ERRCODE = 'PX081',
				  DETAIL = pg_catalog.format('journal %s (archived %s), candles %s (archived %s)',
					pg_catalog.encode(p_journal_sha256, 'hex'), pg_catalog.encode(arch.journal_sha256, 'hex'),
					pg_catalog.encode(p_candles_sha256, 'hex'), pg_catalog.encode(arch.candles_sha256, 'hex'));
	END IF;
	UPDATE @extschema@.archived_days a
	   SET export_file = p_file, export_sha256 = p_sha256, exported_at = pg_catalog.now(),
		   verified_at = pg_catalog.now()
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.record_archive_export(date, text, text, bytea, bytea) IS
	'Records (exchange_dba; called by scripts/archive-day.sh) that an archived day was exported to p_file with SHA-256 p_sha256 and that restoring it into a scratch database gave the archived checksums, which it checks again (PX081 on a mismatch).  PX082 not archived, 22023 bad hex, 22004.';

CREATE FUNCTION @extschema@.drop_archived_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch		@extschema@.archived_days;
	i		int;
	snap	bigint;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'drop_archived_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'trading day % is not archived', p_day USING ERRCODE = 'PX082';
	END IF;
	IF arch.dropped_at IS NOT NULL THEN
		RAISE EXCEPTION 'trading day % was dropped already', p_day USING ERRCODE = 'PX082',
			  HINT = 'exchange.archived_days says when and by whom; scripts/archive-day.sh --restore brings it back.';
	END IF;
	IF arch.verified_at IS NULL THEN
		RAISE EXCEPTION 'trading day % has no verified export', p_day
			USING ERRCODE = 'PX083', HINT = 'Run scripts/archive-day.sh first: it exports, restores and verifies the day.';
	END IF;
	-- matchd must not need the day to recover: a snapshot of each of its
	-- streams at or after the day's last seq
	FOR i IN 1 .. cardinality(arch.streams) LOOP
		SELECT max(e.seq) INTO snap FROM @extschema@.engine_snapshots e
		 WHERE e.stream = arch.streams[i] AND e.seq >= arch.last_seq[i];
		IF snap IS NULL THEN
			RAISE EXCEPTION 'matchd of stream "%" would need trading day % to recover',
				(SELECT x.name FROM @extschema@.streams x WHERE x.stream = arch.streams[i]), p_day
				USING ERRCODE = 'PX083',
					  DETAIL = pg_catalog.format('No engine snapshot at or after seq %s (the day''s last).', arch.last_seq[i]),
					  HINT = 'matchd saves a snapshot after each close; wait for it, or keep the day.';
		END IF;
	END LOOP;
	EXECUTE 'DROP TABLE ' || arch.journal_table || ', ' || arch.candles_table;
	UPDATE @extschema@.archived_days a SET dropped_at = pg_catalog.now(), dropped_by = session_user
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.drop_archived_day(date) IS
	'Drops an archived day''s tables from the cluster (exchange_dba), only once its export is verified (PX083) and only when matchd no longer needs it: every stream of the day has an engine snapshot at or after the day''s last seq (PX083).  The catalog arch stays, with dropped_at.  PX082 not archived or already dropped, 22004.';

CREATE FUNCTION @extschema@.restore_archived_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch @extschema@.archived_days;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'restore_archived_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND OR arch.dropped_at IS NULL THEN
		RAISE EXCEPTION 'trading day % is not a dropped archived day', p_day USING ERRCODE = 'PX082';
	END IF;
	IF pg_catalog.to_regclass(arch.journal_table) IS NULL OR pg_catalog.to_regclass(arch.candles_table) IS NULL THEN
		RAISE EXCEPTION 'the tables of trading day % are not restored', p_day
			USING ERRCODE = 'PX082', HINT = 'pg_restore the export first (scripts/archive-day.sh --restore).';
	END IF;
	IF @extschema@.journal_day_checksum(p_day) <> arch.journal_sha256
	   OR @extschema@.candles_day_checksum(p_day) <> arch.candles_sha256 THEN
		RAISE EXCEPTION 'the restored trading day % does not match the archive', p_day USING ERRCODE = 'PX081';
	END IF;
	UPDATE @extschema@.archived_days a
	   SET dropped_at = NULL, dropped_by = NULL, restored_at = pg_catalog.now()
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.restore_archived_day(date) IS
	'After pg_restore of a dropped day''s export (exchange_dba): checks the restored journal and candles against the archived checksums (PX081) and marks the day present again.  PX082 not dropped or tables missing, 22004.';

------------------------------------------------------------------------------
-- Candles read every day, live and archived.
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

------------------------------------------------------------------------------
-- The candles of the days journaled before 1.5, in their days' partitions.
------------------------------------------------------------------------------
-- Created by this script, they would become members of the extension (and
-- pg_dump would leave their rows out): they are released at once, like the
-- partitions append_batch creates.
DO $partitions$
DECLARE
	day date;
BEGIN
	FOR day IN SELECT DISTINCT d.trading_day FROM @extschema@.journal_days d ORDER BY 1 LOOP
		PERFORM @extschema@.journal_partition(day);
		EXECUTE pg_catalog.format('ALTER EXTENSION exchange DROP TABLE @extschema@.%I',
								  'candles_1m_' || pg_catalog.to_char(day, 'YYYYMMDD'));
	END LOOP;
END
$partitions$;
INSERT INTO @extschema@.candles_1m (stream, symbol, bucket, trading_day, candle, updated_seq)
SELECT j.stream, j.symbol, pg_catalog.date_bin('1 minute', j.ts, '2000-01-01 00:00:00+00'),
	   j.trading_day,
	   @extschema@.candle_agg(j.ts, @extschema@.ticks_to_price(j.price, s.tick_size), j.quantity,
							  j.seq * 2097152 + j.idx * 2),
	   max(j.seq)
  FROM @extschema@.journal j
  JOIN @extschema@.symbols s ON s.symbol = j.symbol AND s.stream = j.stream
 WHERE j.kind = 'trade' AND j.idx > 0 AND j.price > 0 AND j.quantity > 0
 GROUP BY 1, 2, 3, 4;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.candles_1m', '');

------------------------------------------------------------------------------
-- The columns of the views and archive tables that repeat the journal's and
-- the candles' mean what they mean there: their comments are copied.
------------------------------------------------------------------------------
DO $comments$
DECLARE
	c record;
BEGIN
	FOR c IN
		SELECT t.rel, a.attname, pg_catalog.col_description(t.src, a.attnum) AS text
		  FROM (VALUES ('@extschema@.journal_history', '@extschema@.journal'::regclass),
					   ('@extschema@.journal_prices', '@extschema@.journal'::regclass),
					   ('exchange_archive.journal', '@extschema@.journal'::regclass),
					   ('@extschema@.candles_1m_history', '@extschema@.candles_1m'::regclass),
					   ('exchange_archive.candles_1m', '@extschema@.candles_1m'::regclass)) t (rel, src)
		  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.src AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE pg_catalog.col_description(t.src, a.attnum) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', c.rel, c.attname, c.text);
	END LOOP;
END
$comments$;
COMMENT ON COLUMN @extschema@.journal_prices.price_numeric IS
	'price in the symbol''s currency: ticks_to_price(price, tick_size) (NULL without a price or a listed symbol).';
COMMENT ON COLUMN @extschema@.journal_prices.currency IS 'Currency of the symbol''s prices.';

------------------------------------------------------------------------------
-- Privileges: archival is exchange_dba's; the catalog and the checksums are
-- for staff; the archived rows are read like the live ones.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA exchange_archive FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exchange_archive FROM PUBLIC;
GRANT SELECT ON @extschema@.candles_1m, @extschema@.candles_1m_history
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT SELECT ON exchange_archive.candles_1m TO exchange_engine, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.archived_days TO exchange_admin, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.journal_day_checksum(date),
	@extschema@.candles_day_checksum(date)
	TO exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.archive_trading_day(date),
	@extschema@.record_archive_export(date, text, text, bytea, bytea),
	@extschema@.drop_archived_day(date),
	@extschema@.restore_archived_day(date)
	TO exchange_dba;

