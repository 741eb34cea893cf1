-- sql/exchange--1.7.sql: built by the Makefile from sql/src/*.sql and reporting/*.sql;
-- edit those (and add the delta to the next upgrade script), not this file.

\echo Use "CREATE EXTENSION exchange" to load this file. \quit

-- ==== sql/src/10_roles_types.sql
-- sql/src/10_roles_types.sql: the roles of the exchange, the enum types every
-- other file uses, who counts as staff, and the exact price <-> tick
-- conversions.  First of the current sources (see the Makefile): nothing here
-- uses a table.

------------------------------------------------------------------------------
-- Roles.  Roles are cluster-wide, so the extension creates them only when they
-- are missing and DROP EXTENSION leaves them (a DBA drops them by hand).
------------------------------------------------------------------------------
DO $roles$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
							 'exchange_compliance', 'exchange_dba']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$roles$;

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO exchange_admin, exchange_engine, exchange_broker,
	exchange_compliance, exchange_dba;

------------------------------------------------------------------------------
-- Types
------------------------------------------------------------------------------
CREATE TYPE @extschema@.side AS ENUM ('buy', 'sell');
COMMENT ON TYPE @extschema@.side IS 'Side of an order: buy or sell.';

CREATE TYPE @extschema@.order_type AS ENUM ('limit', 'market');
COMMENT ON TYPE @extschema@.order_type IS
	'limit: trades at its price or better and may rest; market: trades at the best prices available and never rests.';

CREATE TYPE @extschema@.time_in_force AS ENUM ('day', 'gtc', 'ioc', 'fok');
COMMENT ON TYPE @extschema@.time_in_force IS
	'day: expires at the close; gtc: good till cancelled; ioc: immediate or cancel; fok: fill or kill (all at once or nothing).';

CREATE TYPE @extschema@.order_status AS ENUM
	('new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired');
COMMENT ON TYPE @extschema@.order_status IS 'Lifecycle state of an order after an event.';

CREATE TYPE @extschema@.event_kind AS ENUM (
	-- commands (idx 0 of a seq): what the sequencer stamped
	'new_order', 'cancel_order', 'amend_order', 'add_symbol', 'open_account',
	'market_open', 'market_close', 'halt', 'resume',
	-- events (idx 1..): what the matching engine answered
	'accepted', 'rejected', 'trade', 'canceled', 'amended', 'expired',
	-- the order manager's commands, after the events so that the wire numbers
	-- of the labels above never changed (16..24, include/exchange_wire.h)
	'set_kyc', 'suspend_account', 'resume_account', 'deposit', 'withdraw',
	'credit_shares', 'debit_shares', 'set_account_limits', 'set_symbol_limits');
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order.';

CREATE TYPE @extschema@.kyc_status AS ENUM ('pending', 'verified', 'rejected', 'suspended');
COMMENT ON TYPE @extschema@.kyc_status IS 'Know-your-client state of an account; only verified accounts may trade.';

CREATE TYPE @extschema@.symbol_status AS ENUM ('active', 'halted');
COMMENT ON TYPE @extschema@.symbol_status IS 'Trading state of a listed symbol.';

------------------------------------------------------------------------------
-- Exact price <-> tick conversions (C).  Prices are numeric in SQL and integer
-- ticks everywhere else; off-grid prices are errors, never rounded.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.price_to_ticks(price numeric, tick_size numeric)
RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_price_to_ticks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.price_to_ticks(numeric, numeric) IS
	'Exact number of ticks in price; raises PX010 when price is not a multiple of tick_size.';

CREATE FUNCTION @extschema@.ticks_to_price(ticks bigint, tick_size numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'exchange_ticks_to_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ticks_to_price(bigint, numeric) IS
	'Price of a number of ticks, exactly ticks * tick_size, at the scale of tick_size.';

CREATE TYPE @extschema@.trading_status AS ENUM ('active', 'suspended');
COMMENT ON TYPE @extschema@.trading_status IS
	'Whether an account may trade: active, or suspended by the exchange (suspend_account / resume_account).';
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

-- ==== sql/src/20_journal.sql
-- sql/src/20_journal.sql: the sequencer and the journal.  Streams (one per
-- matching daemon, fenced by epoch), the append-only journal partitioned by
-- trading day, the archive of closed days it spans (exchange_archive,
-- journal_history), the batch codec of include/exchange_wire.h, and
-- append_batch with the projections it drives in the same transaction
-- (reference data, wallets, candles, notifications).

------------------------------------------------------------------------------
-- The sequencer: one row per stream (one matching daemon's log).
------------------------------------------------------------------------------
CREATE TABLE @extschema@.streams (
	stream				int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name				text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
	epoch				bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0),
	last_seq			bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
	last_trading_day	date,
	last_ts				timestamptz,
	records				bigint NOT NULL DEFAULT 0,
	writer				text,
	taken_over_at		timestamptz,
	appended_at			timestamptz
);

-- pg_dump keeps the data of these extension tables (journal partitions are
-- created at run time, are not extension members, and are dumped as tables).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.streams', '');
COMMENT ON TABLE @extschema@.streams IS
	'Sequencer state of each journal stream: the fencing epoch and the last committed seq.  Written only by the sequencer functions.';
COMMENT ON COLUMN @extschema@.streams.stream IS 'Stream id, as stored in every journal row.';
COMMENT ON COLUMN @extschema@.streams.name IS 'Stream name, e.g. the matching shard it logs (lower-case identifier).';
COMMENT ON COLUMN @extschema@.streams.epoch IS 'Fencing token: incremented by every take-over; appends must carry the current epoch.';
COMMENT ON COLUMN @extschema@.streams.last_seq IS 'Last committed seq; seqs 1..last_seq all exist (gapless).';
COMMENT ON COLUMN @extschema@.streams.last_trading_day IS 'Trading day of the last record; a stream never writes an earlier day.';
COMMENT ON COLUMN @extschema@.streams.last_ts IS 'Sequencer timestamp of the last record.';
COMMENT ON COLUMN @extschema@.streams.records IS 'Number of journal records (commands and events) in the stream.';
COMMENT ON COLUMN @extschema@.streams.writer IS 'application_name and backend pid of the writer that took the stream over last.';
COMMENT ON COLUMN @extschema@.streams.taken_over_at IS 'When the current epoch began.';
COMMENT ON COLUMN @extschema@.streams.appended_at IS 'Commit-time clock of the last append (transaction start time).';

CREATE TABLE @extschema@.journal_days (
	stream		int NOT NULL REFERENCES @extschema@.streams,
	trading_day	date NOT NULL,
	first_seq	bigint NOT NULL,
	last_seq	bigint NOT NULL,
	commands	bigint NOT NULL,
	records		bigint NOT NULL,
	PRIMARY KEY (stream, trading_day),
	CHECK (last_seq - first_seq + 1 = commands)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.journal_days', '');
COMMENT ON TABLE @extschema@.journal_days IS
	'Per stream and trading day: the seq range and record counts the sequencer appended, against which archival verifies a day.';
COMMENT ON COLUMN @extschema@.journal_days.first_seq IS 'First seq of the day in this stream.';
COMMENT ON COLUMN @extschema@.journal_days.last_seq IS 'Last seq of the day in this stream.';
COMMENT ON COLUMN @extschema@.journal_days.commands IS 'Commands (idx 0 records) of the day; equals last_seq - first_seq + 1.';
COMMENT ON COLUMN @extschema@.journal_days.records IS 'All records (commands and events) of the day.';
COMMENT ON COLUMN @extschema@.journal_days.stream IS 'Stream whose day this is.';
COMMENT ON COLUMN @extschema@.journal_days.trading_day IS 'Trading day (the journal partition journal_YYYYMMDD).';

------------------------------------------------------------------------------
-- The journal: append-only, partitioned by trading day.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.journal (
	stream				int NOT NULL,
	seq					bigint NOT NULL,
	idx					int NOT NULL,
	epoch				bigint NOT NULL,
	trading_day			date NOT NULL,
	ts					timestamptz NOT NULL,
	kind				@extschema@.event_kind NOT NULL,
	symbol				text,
	account				text,
	order_id			bigint,
	side				@extschema@.side,
	order_type			@extschema@.order_type,
	time_in_force		@extschema@.time_in_force,
	price				bigint,
	quantity			bigint,
	remaining			bigint,
	status				@extschema@.order_status,
	contra_order_id		bigint,
	contra_account		text,
	contra_remaining	bigint,
	amount				bigint,
	reason				text,
	client_order_id		text,
	detail				json,
	PRIMARY KEY (stream, seq, idx, trading_day)
) PARTITION BY RANGE (trading_day);

CREATE INDEX journal_ts_brin ON @extschema@.journal USING brin (ts);
CREATE INDEX journal_order_id ON @extschema@.journal (order_id) WHERE order_id IS NOT NULL;

------------------------------------------------------------------------------
-- Executions: trades by symbol and time.
------------------------------------------------------------------------------
CREATE INDEX journal_trades ON @extschema@.journal (symbol, ts) WHERE kind = 'trade';

CREATE INDEX journal_account_commands ON @extschema@.journal (account, seq)
	WHERE idx = 0 AND (kind = 'open_account' OR kind > 'expired');

-- the maker side of a trade: an order's fills as the resting order
CREATE INDEX journal_contra_order_id ON @extschema@.journal (contra_order_id)
	WHERE contra_order_id IS NOT NULL;

------------------------------------------------------------------------------
-- An order by the broker's own id: after PX041 (fate unknown) the broker
-- looks here before sending it again; matchd rejects a client_order_id the
-- account already used that trading day (PX077), never a silent duplicate.
------------------------------------------------------------------------------
CREATE INDEX journal_client_order_id ON @extschema@.journal (account, client_order_id)
	WHERE client_order_id IS NOT NULL;
COMMENT ON TABLE @extschema@.journal IS
	'The event-sourced log, the exchange''s truth: every sequenced command (idx 0) followed by the events the engine produced for it (idx 1..).  Append-only through append_batch(); one partition per trading day.';
COMMENT ON COLUMN @extschema@.journal.stream IS 'Stream (matching daemon log) the record belongs to; see exchange.streams.';
COMMENT ON COLUMN @extschema@.journal.seq IS 'Input sequence number stamped by the sequencer: gapless and strictly increasing per stream.';
COMMENT ON COLUMN @extschema@.journal.idx IS 'Output index within the seq: 0 is the command, 1..n its events in output order; (seq, idx) totally orders the stream.';
COMMENT ON COLUMN @extschema@.journal.epoch IS 'Epoch of the writer that appended the record (fencing token).';
COMMENT ON COLUMN @extschema@.journal.trading_day IS 'Trading day of the command; partition key.';
COMMENT ON COLUMN @extschema@.journal.ts IS 'Sequencer timestamp of the command; its events carry the same.';
COMMENT ON COLUMN @extschema@.journal.kind IS 'Command or event kind.';
COMMENT ON COLUMN @extschema@.journal.symbol IS 'Symbol the record concerns.';
COMMENT ON COLUMN @extschema@.journal.account IS 'Account of order_id (for trades: the taker''s).';
COMMENT ON COLUMN @extschema@.journal.order_id IS 'Order the record concerns (for trades: the incoming, taker order).';
COMMENT ON COLUMN @extschema@.journal.side IS 'Side of order_id.';
COMMENT ON COLUMN @extschema@.journal.order_type IS 'Order type of order_id.';
COMMENT ON COLUMN @extschema@.journal.time_in_force IS 'Time in force of order_id.';
COMMENT ON COLUMN @extschema@.journal.price IS 'Price in ticks of the symbol (trades: the execution price, the maker''s); see exchange.journal_prices for numeric prices.';
COMMENT ON COLUMN @extschema@.journal.quantity IS 'Quantity in shares: ordered (commands), executed (trade), affected (cancel, amend, expire).';
COMMENT ON COLUMN @extschema@.journal.remaining IS 'Open quantity of order_id after this record.';
COMMENT ON COLUMN @extschema@.journal.status IS 'Status of order_id after this record.';
COMMENT ON COLUMN @extschema@.journal.contra_order_id IS 'Trades: the resting (maker) order.';
COMMENT ON COLUMN @extschema@.journal.contra_account IS 'Trades: the maker''s account.';
COMMENT ON COLUMN @extschema@.journal.contra_remaining IS 'Trades: open quantity of the maker order after the fill.';
COMMENT ON COLUMN @extschema@.journal.amount IS 'Cash amounts in the currency''s minor unit (fees, deposits).';
COMMENT ON COLUMN @extschema@.journal.reason IS 'Reason code of a rejection, cancel or expiry.';
COMMENT ON COLUMN @extschema@.journal.client_order_id IS 'Broker''s own id for the order.';
COMMENT ON COLUMN @extschema@.journal.detail IS 'Further arguments of reference-data commands (JSON, kept byte for byte).';
COMMENT ON INDEX @extschema@.journal_ts_brin IS 'Time-range scans of a day (reports, candles).';
COMMENT ON INDEX @extschema@.journal_order_id IS 'Point lookups of one order''s history.';

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
-- the live journal's indexes, so that a detached partition's indexes attach
ALTER TABLE exchange_archive.journal ADD PRIMARY KEY (stream, seq, idx, trading_day);
CREATE INDEX ON exchange_archive.journal USING brin (ts);
CREATE INDEX ON exchange_archive.journal (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX ON exchange_archive.journal (symbol, ts) WHERE kind = 'trade';
CREATE INDEX ON exchange_archive.journal (account, seq)
	WHERE idx = 0 AND (kind = 'open_account' OR kind > 'expired');
CREATE INDEX ON exchange_archive.journal (contra_order_id) WHERE contra_order_id IS NOT NULL;
CREATE INDEX ON exchange_archive.journal (account, client_order_id)
	WHERE client_order_id IS NOT NULL;
COMMENT ON TABLE exchange_archive.journal IS
	'The journal of archived trading days: the partitions journal_YYYYMMDD detached from exchange.journal, attached here read-only with their indexes.  exchange.journal_history spans both.';
CREATE TRIGGER journal_read_only BEFORE INSERT OR UPDATE OR DELETE ON exchange_archive.journal
	FOR EACH ROW EXECUTE FUNCTION exchange_archive.refuse_write();
COMMENT ON TRIGGER journal_read_only ON exchange_archive.journal IS
	'Archived journal rows never change (cloned to every attached partition).';
COMMENT ON INDEX exchange_archive.journal_pkey IS 'As exchange.journal_pkey: one row per (stream, seq, idx) of a day.';
COMMENT ON INDEX exchange_archive.journal_ts_idx IS 'As exchange.journal_ts_brin: time-range scans.';
COMMENT ON INDEX exchange_archive.journal_order_id_idx IS 'As exchange.journal_order_id: one order''s history.';
COMMENT ON INDEX exchange_archive.journal_symbol_ts_idx IS 'As exchange.journal_trades: a symbol''s trades in time.';
COMMENT ON INDEX exchange_archive.journal_account_seq_idx IS 'As exchange.journal_account_commands.';
COMMENT ON INDEX @extschema@.journal_contra_order_id IS
	'Trades in which an order was the resting (maker) order: order_audit_trail().';
COMMENT ON INDEX exchange_archive.journal_contra_order_id_idx IS 'As exchange.journal_contra_order_id.';

CREATE VIEW @extschema@.journal_history AS
	SELECT * FROM @extschema@.journal
	UNION ALL
	SELECT * FROM exchange_archive.journal;
COMMENT ON VIEW @extschema@.journal_history IS
	'The journal of every trading day, live (exchange.journal) and archived (exchange_archive.journal), with the journal''s columns.  Reports, replay and the rebuilt book read this, so archiving a day changes none of their results.';

-- The wire fields of a record, without the stream and epoch the append adds.
CREATE TYPE @extschema@.journal_record AS (
	seq					bigint,
	idx					int,
	trading_day			date,
	ts					timestamptz,
	kind				@extschema@.event_kind,
	symbol				text,
	account				text,
	order_id			bigint,
	side				@extschema@.side,
	order_type			@extschema@.order_type,
	time_in_force		@extschema@.time_in_force,
	price				bigint,
	quantity			bigint,
	remaining			bigint,
	status				@extschema@.order_status,
	contra_order_id		bigint,
	contra_account		text,
	contra_remaining	bigint,
	amount				bigint,
	reason				text,
	client_order_id		text,
	detail				json
);
COMMENT ON TYPE @extschema@.journal_record IS
	'One journal record as it travels in a batch (the journal row without stream and epoch).';

------------------------------------------------------------------------------
-- Batch codec (C): the wire format of include/exchange_wire.h.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.batch_summary(batch bytea,
	OUT first_seq bigint, OUT last_seq bigint, OUT commands int, OUT records int,
	OUT first_day date, OUT last_day date, OUT last_ts timestamptz,
	OUT reference_data boolean)
AS 'MODULE_PATHNAME', 'exchange_batch_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.batch_summary(bytea) IS
	'Validates a journal batch (format, seq/idx contiguity, one timestamp and day per seq) and summarises it; raises PX005 when malformed.';

CREATE FUNCTION @extschema@.batch_rows(batch bytea, stream int, epoch bigint)
RETURNS SETOF @extschema@.journal
AS 'MODULE_PATHNAME', 'exchange_batch_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.batch_rows(bytea, int, bigint) IS
	'Decodes a journal batch into journal rows stamped with stream and epoch; raises PX005 when malformed.';

CREATE FUNCTION @extschema@.journal_insert(batch bytea, stream int, epoch bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_journal_insert'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.journal_insert(bytea, int, bigint) IS
	'Internal to append_batch (granted to no one): writes a validated batch into the partitions of its trading days with multi-row heap inserts.';

CREATE FUNCTION @extschema@.encode_batch(records @extschema@.journal_record[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'exchange_encode_batch'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.encode_batch(@extschema@.journal_record[]) IS
	'Encodes records, in array order, as a journal batch (the inverse of batch_rows).';

CREATE FUNCTION @extschema@.make_record(
	seq bigint, idx int, kind @extschema@.event_kind,
	ts timestamptz DEFAULT '2000-01-01 00:00:00+00', trading_day date DEFAULT NULL,
	symbol text DEFAULT NULL, account text DEFAULT NULL, order_id bigint DEFAULT NULL,
	side @extschema@.side DEFAULT NULL, order_type @extschema@.order_type DEFAULT NULL,
	time_in_force @extschema@.time_in_force DEFAULT NULL, price bigint DEFAULT NULL,
	quantity bigint DEFAULT NULL, remaining bigint DEFAULT NULL,
	status @extschema@.order_status DEFAULT NULL, contra_order_id bigint DEFAULT NULL,
	contra_account text DEFAULT NULL, contra_remaining bigint DEFAULT NULL,
	amount bigint DEFAULT NULL, reason text DEFAULT NULL, client_order_id text DEFAULT NULL,
	detail json DEFAULT NULL)
RETURNS @extschema@.journal_record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT ROW(seq, idx, coalesce(trading_day, (ts AT TIME ZONE 'UTC')::date), ts, kind,
			   symbol, account, order_id, side, order_type, time_in_force, price, quantity,
			   remaining, status, contra_order_id, contra_account, contra_remaining, amount,
			   reason, client_order_id, detail)::@extschema@.journal_record
$$;
COMMENT ON FUNCTION @extschema@.make_record(bigint, int, @extschema@.event_kind, timestamptz, date, text, text, bigint, @extschema@.side, @extschema@.order_type, @extschema@.time_in_force, bigint, bigint, bigint, @extschema@.order_status, bigint, text, bigint, bigint, text, text, json) IS
	'Builds a journal_record with named arguments (tests, tools); trading_day defaults to the UTC date of ts.';

------------------------------------------------------------------------------
-- Sequencer functions.
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

CREATE FUNCTION @extschema@.take_over_stream(p_name text,
	OUT stream int, OUT epoch bigint, OUT last_seq bigint)
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO @extschema@.streams AS s (name, epoch, writer, taken_over_at)
	VALUES (p_name, 1, pg_catalog.format('%s pid %s', pg_catalog.current_setting('application_name'), pg_catalog.pg_backend_pid()), pg_catalog.now())
	ON CONFLICT (name) DO UPDATE
		SET epoch = s.epoch + 1, writer = excluded.writer, taken_over_at = excluded.taken_over_at
	RETURNING s.stream, s.epoch, s.last_seq
$$;
COMMENT ON FUNCTION @extschema@.take_over_stream(text) IS
	'Makes the caller the writer of a stream (created on first use): increments and returns its epoch, the fencing token every later append must carry, with the last committed seq to continue from.';

CREATE OR REPLACE FUNCTION @extschema@.project_reference_data(p_stream int, p_first_seq bigint, p_last_seq bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c			record;
	d			json;
	first_day	date;
	last_day	date;
BEGIN
	-- the days of the range (append_batch counted them first): only their
	-- partitions are read
	SELECT min(j.trading_day), max(j.trading_day) INTO first_day, last_day
	  FROM @extschema@.journal_days j
	 WHERE j.stream = p_stream AND j.last_seq >= p_first_seq AND j.first_seq <= p_last_seq;
	-- Every command but an order's, unless rejected: a rejected command (by the
	-- order manager or the engine) changed nothing.
	FOR c IN
		SELECT cmd.*
		  FROM @extschema@.journal cmd
		 WHERE cmd.stream = p_stream AND cmd.seq BETWEEN p_first_seq AND p_last_seq AND cmd.idx = 0
		   AND cmd.trading_day BETWEEN first_day AND last_day
		   AND cmd.kind NOT IN ('new_order', 'cancel_order', 'amend_order')
		   AND NOT EXISTS (SELECT 1 FROM @extschema@.journal ev
							WHERE ev.stream = cmd.stream AND ev.seq = cmd.seq AND ev.idx > 0
							  AND ev.trading_day = cmd.trading_day AND ev.kind = 'rejected')
		 ORDER BY cmd.seq
	LOOP
		d := c.detail;
		CASE c.kind
		WHEN 'add_symbol' THEN
			INSERT INTO @extschema@.symbols (symbol, tick_size, lot_size, currency, reference_price,
											 description, stream, listed_seq, listed_at, tick_value)
			VALUES (c.symbol, (d->>'tick_size')::numeric,
					coalesce((d->>'lot_size')::bigint, 1),
					coalesce(d->>'currency', 'USD'),
					(d->>'reference_price')::numeric, d->>'description',
					p_stream, c.seq, c.ts,
					coalesce((d->>'tick_value')::bigint,
							 @extschema@.tick_value((d->>'tick_size')::numeric,
													coalesce(d->>'currency', 'USD'))));
		WHEN 'open_account' THEN
			INSERT INTO @extschema@.accounts (account, broker, kyc_status, stream, opened_seq, opened_at)
			VALUES (c.account, d->>'broker',
					coalesce(d->>'kyc_status', 'pending')::@extschema@.kyc_status,
					p_stream, c.seq, c.ts);
		WHEN 'halt', 'resume' THEN
			UPDATE @extschema@.symbols
			   SET status = CASE c.kind WHEN 'halt' THEN 'halted' ELSE 'active' END::@extschema@.symbol_status,
				   status_reason = d->>'reason'
			 WHERE symbol = c.symbol;
		WHEN 'market_open', 'market_close' THEN
			-- the whole market (1.1 journals may hold sessions of one symbol)
			IF c.symbol IS NULL THEN
				INSERT INTO @extschema@.market_state AS m (stream, is_open, trading_day, changed_seq, changed_at)
				VALUES (p_stream, c.kind = 'market_open', c.trading_day, c.seq, c.ts)
				ON CONFLICT (stream) DO UPDATE
					SET is_open = excluded.is_open, trading_day = excluded.trading_day,
						changed_seq = excluded.changed_seq, changed_at = excluded.changed_at;
			END IF;
		WHEN 'set_kyc' THEN
			UPDATE @extschema@.accounts
			   SET kyc_status = (d->>'kyc_status')::@extschema@.kyc_status, kyc_reason = d->>'reason'
			 WHERE account = c.account;
		WHEN 'suspend_account', 'resume_account' THEN
			UPDATE @extschema@.accounts
			   SET trading_status = CASE c.kind WHEN 'suspend_account' THEN 'suspended' ELSE 'active' END::@extschema@.trading_status,
				   status_reason = d->>'reason'
			 WHERE account = c.account;
		WHEN 'set_account_limits' THEN
			INSERT INTO @extschema@.account_limits AS l
				(account, max_order_quantity, max_order_notional, max_daily_notional,
				 max_open_orders, orders_per_second, burst, updated_seq, updated_at)
			VALUES (c.account, (d->>'max_order_quantity')::bigint, (d->>'max_order_notional')::bigint,
					(d->>'max_daily_notional')::bigint, (d->>'max_open_orders')::int,
					(d->>'orders_per_second')::int, (d->>'burst')::int, c.seq, c.ts)
			ON CONFLICT (account) DO UPDATE
				SET max_order_quantity = coalesce(excluded.max_order_quantity, l.max_order_quantity),
					max_order_notional = coalesce(excluded.max_order_notional, l.max_order_notional),
					max_daily_notional = coalesce(excluded.max_daily_notional, l.max_daily_notional),
					max_open_orders = coalesce(excluded.max_open_orders, l.max_open_orders),
					orders_per_second = coalesce(excluded.orders_per_second, l.orders_per_second),
					burst = coalesce(excluded.burst, l.burst),
					updated_seq = excluded.updated_seq, updated_at = excluded.updated_at;
		WHEN 'set_symbol_limits' THEN
			UPDATE @extschema@.symbols s
			   SET price_band_bps = coalesce((d->>'price_band_bps')::int, s.price_band_bps),
				   market_collar_bps = coalesce((d->>'market_collar_bps')::int, s.market_collar_bps),
				   maker_fee_bps = coalesce((d->>'maker_fee_bps')::int, s.maker_fee_bps),
				   taker_fee_bps = coalesce((d->>'taker_fee_bps')::int, s.taker_fee_bps),
				   reference_price = coalesce(@extschema@.ticks_to_price((d->>'reference_price')::bigint, s.tick_size),
											  s.reference_price)
			 WHERE s.symbol = c.symbol;
		ELSE
			-- deposit, withdraw, credit_shares, debit_shares: their state is the
			-- wallet projection (project_wallets); the journal holds the command
			NULL;
		END CASE;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.project_reference_data(int, bigint, bigint) IS
	'Applies the accepted (not rejected) reference-data commands of a seq range to symbols, accounts, account_limits and market_state (called by append_batch in the same transaction).';

CREATE OR REPLACE FUNCTION @extschema@.read_stream(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS SETOF @extschema@.journal
LANGUAGE sql STABLE
AS $$
	-- seq is gapless, so the next n commands are exactly the range (after, after + n].
	SELECT * FROM @extschema@.journal_history
	 WHERE stream = p_stream AND seq > p_after_seq AND seq <= p_after_seq + p_max_commands
	 ORDER BY seq, idx
$$;
COMMENT ON FUNCTION @extschema@.read_stream(int, bigint, int) IS
	'The records of the next p_max_commands commands after p_after_seq, in (seq, idx) order.  A reader that tails with the last seq it saw never skips a record, because appends commit in seq order.';

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
COMMENT ON FUNCTION @extschema@.read_batch(int, bigint, int) IS
	'Like read_stream, encoded as one journal batch: byte for byte what was appended (replay reads this).';

CREATE FUNCTION @extschema@.stream_position(p_stream int, OUT epoch bigint, OUT last_seq bigint)
LANGUAGE sql STABLE
AS $$
	SELECT epoch, last_seq FROM @extschema@.streams WHERE stream = p_stream
$$;
COMMENT ON FUNCTION @extschema@.stream_position(int) IS 'Current epoch and last committed seq of a stream.';

------------------------------------------------------------------------------
-- Notifications of a batch (C), called by append_batch.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.publish_batch(batch bytea, stream int)
RETURNS int
AS 'MODULE_PATHNAME', 'exchange_publish_batch'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.publish_batch(bytea, int) IS
	'Internal to append_batch (granted to no one): queues the batch''s notifications (channel exchange_executions: one per side of each trade; exchange_book_<SYMBOL>: one per symbol whose book changed, with its incremented book_version), delivered at commit.  Returns the number of notifications.';

------------------------------------------------------------------------------
-- Appending: the wallet projection, and every command but an order's is
-- reference data now (batch_summary).
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

CREATE OR REPLACE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
	p_batch bytea)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.append_batch(p_stream, p_epoch, p_first_seq, p_batch, NULL::bytea) $$;
COMMENT ON FUNCTION @extschema@.append_batch(int, bigint, bigint, bytea) IS
	'append_batch without a wallet projection (as matchd of 1.1 calls it): see append_batch(int, bigint, bigint, bytea, bytea).';

-- ==== sql/src/30_reference_data.sql
-- sql/src/30_reference_data.sql: reference data, projections of sequenced
-- commands: symbols, accounts (row-level security: a broker sees its own),
-- currencies; the journal with prices as numeric; the base privileges.

------------------------------------------------------------------------------
-- Reference data: projections of sequenced commands.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.symbols (
	symbol			text PRIMARY KEY CHECK (symbol ~ '^[A-Z][A-Z0-9.]{0,15}$'),
	tick_size		numeric NOT NULL CHECK (tick_size > 0),
	lot_size		bigint NOT NULL DEFAULT 1 CHECK (lot_size > 0),
	currency		text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
	reference_price	numeric,
	description		text,
	status			@extschema@.symbol_status NOT NULL DEFAULT 'active',
	stream			int NOT NULL REFERENCES @extschema@.streams,
	listed_seq		bigint NOT NULL,
	listed_at		timestamptz NOT NULL,
	-- per symbol, a counter of the batches that changed its book, carried by
	-- the exchange_book_<SYMBOL> notifications so that a subscriber notices a
	-- missed one
	book_version	bigint NOT NULL DEFAULT 0,
	book_seq		bigint,
	-- the order manager's reference data
	tick_value		bigint CHECK (tick_value > 0),
	status_reason	text,
	price_band_bps	int CHECK (price_band_bps BETWEEN 0 AND 10000),
	market_collar_bps int CHECK (market_collar_bps BETWEEN 0 AND 10000),
	maker_fee_bps	int CHECK (maker_fee_bps BETWEEN 0 AND 10000),
	taker_fee_bps	int CHECK (taker_fee_bps BETWEEN 0 AND 10000)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.symbols', '');
COMMENT ON TABLE @extschema@.symbols IS
	'Listed symbols: a projection of add_symbol, halt and resume commands in the journal.  The tick size of a symbol never changes (relist to change it).';
COMMENT ON COLUMN @extschema@.symbols.tick_size IS 'Smallest price increment; journal prices are integer multiples of it.';
COMMENT ON COLUMN @extschema@.symbols.lot_size IS 'Quantities must be multiples of this many shares.';
COMMENT ON COLUMN @extschema@.symbols.currency IS 'ISO 4217 currency of prices and settlement.';
COMMENT ON COLUMN @extschema@.symbols.reference_price IS
	'Reference price for price bands and market collars (add_symbol, set_symbol_limits).';
COMMENT ON COLUMN @extschema@.symbols.description IS 'Name of the instrument, for people.';
COMMENT ON COLUMN @extschema@.symbols.status IS 'active or halted.';
COMMENT ON COLUMN @extschema@.symbols.stream IS 'Stream (matching shard) that trades the symbol.';
COMMENT ON COLUMN @extschema@.symbols.listed_seq IS 'Seq of the add_symbol command.';
COMMENT ON COLUMN @extschema@.symbols.listed_at IS 'Sequencer time of the add_symbol command.';
COMMENT ON COLUMN @extschema@.symbols.book_version IS
	'Number of committed journal batches that changed the symbol''s book; sent in the exchange_book_<SYMBOL> notification (a jump of more than 1 means a missed notification).';
COMMENT ON COLUMN @extschema@.symbols.book_seq IS
	'Last seq of the last batch that changed the symbol''s book (NULL: none yet).';

COMMENT ON COLUMN @extschema@.symbols.symbol IS 'Ticker: an upper-case letter, then up to 15 upper-case letters, digits or dots.';
COMMENT ON COLUMN @extschema@.symbols.tick_value IS
	'Value of one tick of one share in minor units of the currency (tick_size * 10^minor_digits): notional = price ticks * quantity * tick_value.';
COMMENT ON COLUMN @extschema@.symbols.status_reason IS 'Reason given with the last halt or resumption.';
COMMENT ON COLUMN @extschema@.symbols.price_band_bps IS
	'Limit orders must be priced within this many basis points of the reference price (0: no band); NULL: the default of exchange.default_limits().';
COMMENT ON COLUMN @extschema@.symbols.market_collar_bps IS
	'Market orders trade only within this many basis points of the reference price (0: market buys are refused); NULL: the default.';
COMMENT ON COLUMN @extschema@.symbols.maker_fee_bps IS 'Fee of the resting side of a trade in basis points of its notional; NULL: the default.';
COMMENT ON COLUMN @extschema@.symbols.taker_fee_bps IS 'Fee of the incoming side of a trade in basis points of its notional; NULL: the default.';

CREATE TABLE @extschema@.accounts (
	account		text PRIMARY KEY CHECK (account ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
	broker		name NOT NULL,
	kyc_status	@extschema@.kyc_status NOT NULL DEFAULT 'pending',
	stream		int NOT NULL REFERENCES @extschema@.streams,
	opened_seq	bigint NOT NULL,
	opened_at	timestamptz NOT NULL,
	kyc_reason	text,
	trading_status @extschema@.trading_status NOT NULL DEFAULT 'active',
	status_reason text
);
CREATE INDEX accounts_broker ON @extschema@.accounts (broker);

ALTER TABLE @extschema@.accounts ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.accounts', '');
COMMENT ON TABLE @extschema@.accounts IS
	'Trading accounts: a projection of open_account commands.  Each belongs to the login role of one broker.';
COMMENT ON COLUMN @extschema@.accounts.broker IS 'Role name of the broker that owns the account; members of that role act for it.';
COMMENT ON COLUMN @extschema@.accounts.kyc_status IS 'Know-your-client state.';
COMMENT ON COLUMN @extschema@.accounts.opened_seq IS 'Seq of the open_account command.';
COMMENT ON COLUMN @extschema@.accounts.opened_at IS 'Sequencer time of the open_account command.';
COMMENT ON COLUMN @extschema@.accounts.account IS 'Account id: a letter or digit, then up to 62 letters, digits, _ . or -.';
COMMENT ON COLUMN @extschema@.accounts.stream IS 'Stream (matching shard) whose journal opened the account.';
COMMENT ON COLUMN @extschema@.accounts.kyc_reason IS 'Reason given with the last KYC change.';
COMMENT ON COLUMN @extschema@.accounts.trading_status IS 'active, or suspended by the exchange (no new orders).';
COMMENT ON COLUMN @extschema@.accounts.status_reason IS 'Reason given with the last suspension or resumption.';

CREATE OR REPLACE VIEW @extschema@.journal_prices WITH (security_barrier) AS
	SELECT j.*, @extschema@.ticks_to_price(j.price, s.tick_size) AS price_numeric,
		   s.currency
	  FROM @extschema@.journal_history j
	  LEFT JOIN @extschema@.symbols s USING (symbol);
COMMENT ON VIEW @extschema@.journal_prices IS
	'The journal with prices as numeric in the symbol''s currency (price_numeric) for analysts.';
COMMENT ON COLUMN @extschema@.journal_prices.price_numeric IS
	'price in the symbol''s currency: ticks_to_price(price, tick_size) (NULL without a price or a listed symbol).';
COMMENT ON COLUMN @extschema@.journal_prices.currency IS 'Currency of the symbol''s prices.';
COMMENT ON INDEX @extschema@.accounts_broker IS 'Row-level security and per-broker listings.';

CREATE FUNCTION @extschema@.tick_size(p_symbol text)
RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tick numeric;
BEGIN
	SELECT s.tick_size INTO tick FROM @extschema@.symbols s WHERE s.symbol = p_symbol;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown symbol "%"', p_symbol USING ERRCODE = 'PX020';
	END IF;
	RETURN tick;
END
$$;
COMMENT ON FUNCTION @extschema@.tick_size(text) IS
	'Tick size of a listed symbol; PX020 for an unknown symbol.';

CREATE FUNCTION @extschema@.to_ticks(p_symbol text, p_price numeric)
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT @extschema@.price_to_ticks(p_price, @extschema@.tick_size(p_symbol)) $$;
COMMENT ON FUNCTION @extschema@.to_ticks(text, numeric) IS
	'Exact ticks of a price for a listed symbol; PX020 for an unknown symbol, PX010 off the tick grid.';

CREATE FUNCTION @extschema@.to_price(p_symbol text, p_ticks bigint)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT @extschema@.ticks_to_price(p_ticks, @extschema@.tick_size(p_symbol)) $$;
COMMENT ON FUNCTION @extschema@.to_price(text, bigint) IS
	'Price of a number of ticks of a listed symbol; PX020 for an unknown symbol.';

CREATE FUNCTION @extschema@.is_account_owner(p_broker name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT p_broker = current_user
		OR EXISTS (SELECT 1 FROM pg_roles r
				   WHERE r.rolname = p_broker AND pg_has_role(current_user, r.oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION @extschema@.is_account_owner(name) IS
	'True when the current role is the broker role p_broker or a member of it (so SET ROLE counts).';
CREATE POLICY accounts_staff ON @extschema@.accounts FOR SELECT
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba USING (true);
CREATE POLICY accounts_broker ON @extschema@.accounts FOR SELECT
	TO exchange_broker USING (@extschema@.is_account_owner(broker));
COMMENT ON POLICY accounts_staff ON @extschema@.accounts IS 'Exchange staff and the engine see every account.';
COMMENT ON POLICY accounts_broker ON @extschema@.accounts IS 'A broker sees only the accounts its role owns.';

------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; the journal is written only through
-- append_batch, by exchange_engine.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;

GRANT SELECT ON @extschema@.journal, @extschema@.journal_prices, @extschema@.streams,
	@extschema@.journal_days TO exchange_engine, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.streams TO exchange_admin;
GRANT SELECT ON @extschema@.symbols TO exchange_admin, exchange_engine, exchange_broker,
	exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.accounts TO exchange_admin, exchange_engine, exchange_broker,
	exchange_compliance, exchange_dba;

GRANT EXECUTE ON FUNCTION @extschema@.price_to_ticks(numeric, numeric),
	@extschema@.ticks_to_price(bigint, numeric),
	@extschema@.tick_size(text),
	@extschema@.to_ticks(text, numeric),
	@extschema@.to_price(text, bigint),
	@extschema@.is_account_owner(name)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.take_over_stream(text),
	@extschema@.append_batch(int, bigint, bigint, bytea)
	TO exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.read_stream(int, bigint, int),
	@extschema@.read_batch(int, bigint, int),
	@extschema@.stream_position(int),
	@extschema@.batch_summary(bytea),
	@extschema@.batch_rows(bytea, int, bigint),
	@extschema@.encode_batch(@extschema@.journal_record[]),
	@extschema@.make_record(bigint, int, @extschema@.event_kind, timestamptz, date, text, text, bigint, @extschema@.side, @extschema@.order_type, @extschema@.time_in_force, bigint, bigint, bigint, @extschema@.order_status, bigint, text, bigint, bigint, text, text, json)
	TO exchange_engine, exchange_compliance, exchange_dba;

------------------------------------------------------------------------------
-- Currencies: how many minor units a currency has, for exact conversions of
-- cash between numeric (SQL) and integer minor units (journal, wire, engine).
------------------------------------------------------------------------------
CREATE TABLE @extschema@.currencies (
	currency		text PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
	minor_digits	int NOT NULL CHECK (minor_digits BETWEEN 0 AND 6)
);
INSERT INTO @extschema@.currencies VALUES
	('USD', 2), ('EUR', 2), ('GBP', 2), ('CHF', 2), ('JPY', 0), ('KRW', 0);

------------------------------------------------------------------------------
-- pg_dump keeps the data of the new tables (the seeded currencies come back
-- with CREATE EXTENSION).
------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('@extschema@.currencies',
	$$WHERE currency NOT IN ('USD', 'EUR', 'GBP', 'CHF', 'JPY', 'KRW')$$);
COMMENT ON TABLE @extschema@.currencies IS
	'Currencies the exchange settles in, with their minor unit.  Symbols are listed and cash is deposited only in these; exchange_admin may add more (the rows never change: stored amounts depend on them).';
COMMENT ON COLUMN @extschema@.currencies.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN @extschema@.currencies.minor_digits IS
	'Decimal digits of the minor unit (USD 2: cents; JPY 0); cash is stored as integer minor units.';

CREATE FUNCTION @extschema@.minor_to_amount(minor bigint, minor_digits int)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT round(minor::numeric * 10::numeric ^ (- minor_digits), minor_digits) $$;
COMMENT ON FUNCTION @extschema@.minor_to_amount(bigint, int) IS
	'An integer number of minor units as an exact numeric amount with minor_digits decimals (1234, 2 -> 12.34).';

CREATE FUNCTION @extschema@.tick_value(p_tick_size numeric, p_currency text)
RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT (p_tick_size * 10::numeric ^ c.minor_digits)::bigint
	  FROM @extschema@.currencies c
	 WHERE c.currency = p_currency
	   AND p_tick_size * 10::numeric ^ c.minor_digits >= 1
	   AND (p_tick_size * 10::numeric ^ c.minor_digits) % 1 = 0
$$;
COMMENT ON FUNCTION @extschema@.tick_value(numeric, text) IS
	'Value of one tick of one share in minor units of the currency (tick_size * 10^minor_digits); NULL when that is not a whole number or the currency is not listed.';

CREATE TABLE @extschema@.account_limits (
	account				text PRIMARY KEY REFERENCES @extschema@.accounts,
	max_order_quantity	bigint CHECK (max_order_quantity > 0),
	max_order_notional	bigint CHECK (max_order_notional > 0),
	max_daily_notional	bigint CHECK (max_daily_notional > 0),
	max_open_orders		int CHECK (max_open_orders > 0),
	orders_per_second	int CHECK (orders_per_second > 0),
	burst				int CHECK (burst > 0),
	updated_seq			bigint NOT NULL,
	updated_at			timestamptz NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.account_limits', '');
COMMENT ON TABLE @extschema@.account_limits IS
	'Risk limits set for an account: a projection of accepted set_account_limits commands.  NULL: the default (exchange.default_limits()); exchange.risk_limits shows the effective limits.';
COMMENT ON COLUMN @extschema@.account_limits.max_order_quantity IS 'Most shares in one order.';
COMMENT ON COLUMN @extschema@.account_limits.max_order_notional IS 'Largest notional of one order, in USD cents.';
COMMENT ON COLUMN @extschema@.account_limits.max_daily_notional IS 'Largest notional bought and sold in a trading day, in USD cents.';
COMMENT ON COLUMN @extschema@.account_limits.max_open_orders IS 'Most orders resting at once.';
COMMENT ON COLUMN @extschema@.account_limits.orders_per_second IS 'Sustained commands per second (token bucket rate).';
COMMENT ON COLUMN @extschema@.account_limits.burst IS 'Commands allowed in a burst (token bucket size).';
COMMENT ON COLUMN @extschema@.account_limits.updated_seq IS 'Seq of the last set_account_limits command applied.';
COMMENT ON COLUMN @extschema@.account_limits.updated_at IS 'Sequencer time of that command.';
COMMENT ON COLUMN @extschema@.account_limits.account IS 'Account the limits apply to.';

-- ==== sql/src/40_order_entry.sql
-- sql/src/40_order_entry.sql: the brokers' door through libpq: submit, cancel
-- and amend orders (C, through matchd; not transactional), executions, and the
-- lookup of an order by the broker's own id after a PX041.

COMMENT ON INDEX @extschema@.journal_trades IS
	'Trades of a symbol by time (exchange.executions()).';

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

------------------------------------------------------------------------------
-- Baskets (C): many orders or cancels in one call, pipelined to matchd.  Each
-- order is judged on its own, as if sent alone, in the basket's order; one
-- row per order comes back, with its SQLSTATE and message in place of an
-- error.  Not transactional, like the single calls.
------------------------------------------------------------------------------
CREATE TYPE @extschema@.order_request AS (
	account			text,
	symbol			text,
	side			@extschema@.side,
	quantity		bigint,
	price			numeric,
	order_type		@extschema@.order_type,
	time_in_force	@extschema@.time_in_force,
	client_order_id	text
);
COMMENT ON TYPE @extschema@.order_request IS
	'One order of a basket for exchange.submit_orders: the arguments of exchange.submit_order; a NULL order_type is limit, a NULL time_in_force day.';

CREATE FUNCTION @extschema@.submit_orders(orders @extschema@.order_request[])
RETURNS TABLE (ordinal int, id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text,
	sqlstate text, message text)
AS 'MODULE_PATHNAME', 'exchange_submit_orders'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.submit_orders(@extschema@.order_request[]) IS
	'Sends a basket of new orders (at most 1,000,000) for accounts of the calling role to matchd in one pipelined exchange and returns one row per order, in order (ordinal from 1): as exchange.submit_order would return it, with sqlstate 00000; or, for an order refused by the argument checks, matchd or the order manager, status rejected, no id, its SQLSTATE and message (PX041 when its fate is unknown: look it up by client_order_id).  Each order is judged on its own and sequenced in the basket''s order; one refusal never stops the others.  Not transactional.  Errors of the whole call: 22004 (NULL array), 2202E (more than one dimension), 54000 (too many orders).';

CREATE FUNCTION @extschema@.cancel_orders(account text, order_ids bigint[])
RETURNS TABLE (ordinal int, id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text,
	sqlstate text, message text)
AS 'MODULE_PATHNAME', 'exchange_cancel_orders'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.cancel_orders(text, bigint[]) IS
	'Cancels many open orders of one account of the calling role in one pipelined exchange with matchd; one row per id, in order, as exchange.submit_orders returns them (PX030 for an id that is not an open order of the account).  Not transactional.  Errors of the whole call: 22004, 42501 (not the caller''s account), 2202E, 54000.';

CREATE FUNCTION @extschema@.add_symbol(symbol text, tick_size numeric, lot_size bigint DEFAULT 1,
	currency text DEFAULT 'USD', reference_price numeric DEFAULT NULL,
	description text DEFAULT NULL)
RETURNS @extschema@.symbols
AS 'MODULE_PATHNAME', 'exchange_add_symbol'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.add_symbol(text, numeric, bigint, text, numeric, text) IS
	'Lists a symbol through matchd (a sequenced add_symbol command) and returns its exchange.symbols row.  Not transactional.  PX063 for a currency not in exchange.currencies, PX010 for a tick finer than the currency''s minor unit or a reference price off the tick grid, PX022 when it is already listed.';

------------------------------------------------------------------------------
-- Executions: one row per side of each journal trade.  A broker sees only the
-- rows of the accounts its role owns; exchange staff and the engine see all.
------------------------------------------------------------------------------
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
COMMENT ON VIEW @extschema@.execution_log IS
	'Execution records: one row per side of each journal trade (taker: the trade''s order, account and side, order type from its command; maker: the contra order and account, the opposite side, order type limit), price in numeric.  id = seq * 2^21 + idx * 2 + (0 taker, 1 maker), unique within a stream.  A broker sees only rows of the accounts its role owns; admin, compliance, dba and the engine see every row.';
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
	@extschema@.submit_orders(@extschema@.order_request[]),
	@extschema@.cancel_orders(text, bigint[]),
	@extschema@.add_symbol(text, numeric, bigint, text, numeric, text),
	@extschema@.executions(text, bigint, timestamptz, timestamptz)
	FROM PUBLIC;
REVOKE ALL ON @extschema@.execution_log FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	@extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text),
	@extschema@.cancel_order(text, bigint),
	@extschema@.amend_order(text, bigint, bigint, numeric),
	@extschema@.submit_orders(@extschema@.order_request[]),
	@extschema@.cancel_orders(text, bigint[])
	TO exchange_broker;
GRANT EXECUTE ON FUNCTION @extschema@.add_symbol(text, numeric, bigint, text, numeric, text)
	TO exchange_admin;
GRANT SELECT ON @extschema@.execution_log
	TO exchange_broker, exchange_compliance, exchange_admin, exchange_dba, exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.executions(text, bigint, timestamptz, timestamptz)
	TO exchange_broker, exchange_compliance, exchange_admin, exchange_dba, exchange_engine;
COMMENT ON SEQUENCE @extschema@.streams_stream_seq IS 'Identity of exchange.streams.stream.';
COMMENT ON INDEX @extschema@.streams_pkey IS 'One row per stream id.';
COMMENT ON INDEX @extschema@.streams_name_key IS 'Stream names are unique: take_over_stream finds a stream by name.';
COMMENT ON INDEX @extschema@.journal_days_pkey IS 'One row per stream and trading day.';
COMMENT ON INDEX @extschema@.symbols_pkey IS 'One row per listed symbol.';
COMMENT ON INDEX @extschema@.accounts_pkey IS 'One row per account.';
COMMENT ON INDEX @extschema@.journal_pkey IS 'One row per (stream, seq, idx) of a trading day: the journal is append-only and gapless.';
COMMENT ON INDEX @extschema@.journal_client_order_id IS
	'new_order commands by account and client order id: exchange.client_order().';

CREATE FUNCTION @extschema@.client_order(p_account text, p_client_order_id text)
RETURNS TABLE (order_id bigint, stream_name text, trading_day date, entered_at timestamptz,
	symbol text, side @extschema@.side, order_type @extschema@.order_type,
	time_in_force @extschema@.time_in_force, price numeric, quantity bigint,
	outcome text, reason text, status @extschema@.order_status, filled bigint,
	remaining bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- One order at a time: joined laterally through the security-barrier view,
-- the planner read the whole day's records (270 ms on a 60,000-record day);
-- by the order's id each lookup is an index scan.
DECLARE
	c	record;
	fe	record;
	lr	record;
BEGIN
	PERFORM @extschema@.report_arguments('client_order', NULL, false, p_account);
	FOR c IN SELECT r.stream, r.stream_name, r.order_id, r.trading_day, r.ts, r.symbol, r.side,
					r.order_type, r.time_in_force, r.price, r.quantity
			   FROM @extschema@.order_records r
			  WHERE r.account = p_account AND r.client_order_id = p_client_order_id
				AND r.kind = 'new_order' AND r.idx = 0
			  ORDER BY r.trading_day, r.order_id
	LOOP
		SELECT e.kind, e.reason INTO fe FROM @extschema@.order_records e
		 WHERE e.stream = c.stream AND e.order_id = c.order_id AND e.seq = c.order_id
		   AND e.idx = 1;
		SELECT e.status, e.remaining INTO lr FROM @extschema@.order_records e
		 WHERE e.stream = c.stream AND e.order_id = c.order_id AND e.idx > 0
		   AND e.status IS NOT NULL
		 ORDER BY e.seq DESC, e.idx DESC LIMIT 1;
		SELECT coalesce(sum(t.quantity), 0) INTO filled FROM @extschema@.order_records t
		 WHERE t.stream = c.stream AND t.order_id = c.order_id AND t.kind = 'trade';
		order_id := c.order_id;
		stream_name := c.stream_name;
		trading_day := c.trading_day;
		entered_at := c.ts;
		symbol := c.symbol;
		side := c.side;
		order_type := c.order_type;
		time_in_force := c.time_in_force;
		price := c.price;
		quantity := c.quantity;
		outcome := CASE WHEN fe.kind = 'rejected' THEN 'rejected' ELSE 'accepted' END;
		reason := fe.reason;
		status := lr.status;
		remaining := CASE WHEN lr.status = 'rejected' THEN 0 ELSE lr.remaining END;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.client_order(text, text) IS
	'The order(s) an account entered with a client_order_id (one per trading day at most: matchd rejects a reuse within a day with PX077): order id, when, what, whether the order manager accepted or rejected it (and why), its current status, filled and remaining quantity.  No row: the order was never sequenced, so it may be sent again (after a PX041, "fate unknown").  A broker may look up its own accounts only (42501 otherwise, as for an unknown account); PX021 unknown account for staff.';

-- ==== sql/src/45_fix_gateway.sql
------------------------------------------------------------------------------
-- sql/src/45_fix_gateway.sql: the FIX 4.4 gateway (gatewayd, docs/fix.md).
--
-- The gateway is stateless: what a FIX session needs across a restart lives
-- here.  exchange_admin configures sessions (fix_add_session and friends);
-- the gateway (a login role in exchange_engine) reads them, keeps their next
-- sequence numbers and the application messages it sent (for
-- ResendRequest) through fix_store(), and finds the orders its sessions
-- left open in the journal (fix_open_orders()).  Logons are checked by
-- PostgreSQL itself: the gateway opens a connection as the session's broker
-- role with the Password given, so there is no second user store.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.fix_sessions (
	sender_comp_id			text NOT NULL CHECK (sender_comp_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
	target_comp_id			text NOT NULL DEFAULT 'PGX' CHECK (target_comp_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
	broker					name NOT NULL,
	cancel_on_disconnect	boolean NOT NULL DEFAULT false,
	enabled					boolean NOT NULL DEFAULT true,
	next_in_seq				bigint NOT NULL DEFAULT 1 CHECK (next_in_seq >= 1),
	next_out_seq			bigint NOT NULL DEFAULT 1 CHECK (next_out_seq >= 1),
	created_at				timestamptz NOT NULL DEFAULT now(),
	updated_at				timestamptz,
	PRIMARY KEY (sender_comp_id, target_comp_id)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fix_sessions', '');
COMMENT ON TABLE @extschema@.fix_sessions IS
	'FIX sessions the gateway accepts: the counterparty''s SenderCompID and our TargetCompID, the broker role it acts as, its options and its next sequence numbers.';
COMMENT ON COLUMN @extschema@.fix_sessions.sender_comp_id IS 'SenderCompID(49) the counterparty sends (up to 32 letters, digits, _ . -).';
COMMENT ON COLUMN @extschema@.fix_sessions.target_comp_id IS 'TargetCompID(56) the counterparty sends: the exchange''s CompID, PGX by default.';
COMMENT ON COLUMN @extschema@.fix_sessions.broker IS 'The broker login role the session acts as: Username(553) of its Logon, checked with Password(554) by PostgreSQL, and the role its orders are journaled with.';
COMMENT ON COLUMN @extschema@.fix_sessions.cancel_on_disconnect IS 'Cancel the session''s open orders when its logged-on connection ends, by Logout or not (the cancels are journaled with the broker role).';
COMMENT ON COLUMN @extschema@.fix_sessions.enabled IS 'false: Logons are refused (the configuration is kept).';
COMMENT ON COLUMN @extschema@.fix_sessions.next_in_seq IS 'MsgSeqNum the gateway expects next from the counterparty (written behind by the gateway).';
COMMENT ON COLUMN @extschema@.fix_sessions.next_out_seq IS 'MsgSeqNum of the gateway''s next message to the counterparty (written behind by the gateway).';
COMMENT ON COLUMN @extschema@.fix_sessions.created_at IS 'When the session was configured.';
COMMENT ON COLUMN @extschema@.fix_sessions.updated_at IS 'When the gateway last wrote its sequence numbers.';

CREATE TABLE @extschema@.fix_messages (
	sender_comp_id	text NOT NULL,
	target_comp_id	text NOT NULL,
	seq				bigint NOT NULL CHECK (seq >= 1),
	message			text NOT NULL,
	stored_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (sender_comp_id, target_comp_id, seq),
	FOREIGN KEY (sender_comp_id, target_comp_id)
		REFERENCES @extschema@.fix_sessions ON DELETE CASCADE
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fix_messages', '');
COMMENT ON TABLE @extschema@.fix_messages IS
	'Application messages the gateway sent on each session, by MsgSeqNum, as sent (SOH-separated tag=value): a ResendRequest is answered from here after a gateway restart.';
COMMENT ON COLUMN @extschema@.fix_messages.sender_comp_id IS 'The session (its counterparty''s SenderCompID).';
COMMENT ON COLUMN @extschema@.fix_messages.target_comp_id IS 'The session (our CompID).';
COMMENT ON COLUMN @extschema@.fix_messages.seq IS 'MsgSeqNum(34) the message was sent with.';
COMMENT ON COLUMN @extschema@.fix_messages.message IS 'The whole message, 8= to 10=, SOH included.';
COMMENT ON COLUMN @extschema@.fix_messages.stored_at IS 'When the gateway wrote it (write-behind: a few milliseconds after sending).';

CREATE FUNCTION @extschema@.fix_add_session(sender_comp_id text, broker regrole,
	cancel_on_disconnect boolean DEFAULT false, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT pg_has_role(broker::oid, 'exchange_broker', 'MEMBER') THEN
		RAISE EXCEPTION 'role "%" is not a broker', broker::text
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'GRANT exchange_broker TO the role first.';
	END IF;
	INSERT INTO @extschema@.fix_sessions AS s (sender_comp_id, target_comp_id, broker, cancel_on_disconnect)
	VALUES (fix_add_session.sender_comp_id, fix_add_session.target_comp_id, broker::text,
			fix_add_session.cancel_on_disconnect)
	ON CONFLICT ON CONSTRAINT fix_sessions_pkey DO UPDATE
		SET broker = EXCLUDED.broker, cancel_on_disconnect = EXCLUDED.cancel_on_disconnect,
			enabled = true;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text) IS
	'Configures (or reconfigures) a FIX session: SenderCompID, the broker role it acts as, cancel on disconnect, our TargetCompID; the gateway sees it within 2 s.';

CREATE FUNCTION @extschema@.fix_disable_session(sender_comp_id text, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE @extschema@.fix_sessions s SET enabled = false
	 WHERE s.sender_comp_id = fix_disable_session.sender_comp_id
	   AND s.target_comp_id = fix_disable_session.target_comp_id;
$$;
COMMENT ON FUNCTION @extschema@.fix_disable_session(text, text) IS
	'Refuses the session''s next Logons (a logged-on connection stays until it ends).';

CREATE FUNCTION @extschema@.fix_reset_session(sender_comp_id text, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM @extschema@.fix_messages m
	 WHERE m.sender_comp_id = fix_reset_session.sender_comp_id
	   AND m.target_comp_id = fix_reset_session.target_comp_id;
	UPDATE @extschema@.fix_sessions s SET next_in_seq = 1, next_out_seq = 1, updated_at = now()
	 WHERE s.sender_comp_id = fix_reset_session.sender_comp_id
	   AND s.target_comp_id = fix_reset_session.target_comp_id;
$$;
COMMENT ON FUNCTION @extschema@.fix_reset_session(text, text) IS
	'Sets both sequence numbers of a session to 1 and forgets its sent messages (the start of a new FIX day; only while the gateway is stopped).';

CREATE FUNCTION @extschema@.fix_store(p_sender text, p_target text, p_next_in bigint,
	p_next_out bigint, p_seqs bigint[], p_messages text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_next_out IS NOT NULL THEN
		-- what was sent at or after the next number belongs to a session before a reset
		DELETE FROM @extschema@.fix_messages
		 WHERE sender_comp_id = p_sender AND target_comp_id = p_target AND seq >= p_next_out
		   AND seq <> ALL (coalesce(p_seqs, '{}'));
	END IF;
	INSERT INTO @extschema@.fix_messages (sender_comp_id, target_comp_id, seq, message)
	SELECT p_sender, p_target, s, m FROM unnest(p_seqs, p_messages) AS u(s, m)
	ON CONFLICT (sender_comp_id, target_comp_id, seq) DO UPDATE
		SET message = EXCLUDED.message, stored_at = EXCLUDED.stored_at;
	IF p_next_in IS NOT NULL THEN
		UPDATE @extschema@.fix_sessions
		   SET next_in_seq = p_next_in, next_out_seq = p_next_out, updated_at = now()
		 WHERE sender_comp_id = p_sender AND target_comp_id = p_target;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]) IS
	'The gateway''s write-behind: a session''s next sequence numbers (NULL: unchanged) and the application messages it sent, in one call.';

CREATE VIEW @extschema@.fix_session_accounts AS
	SELECT s.sender_comp_id, s.target_comp_id, a.account
	  FROM @extschema@.fix_sessions s
	  JOIN pg_catalog.pg_roles sr ON sr.rolname = s.broker
	  JOIN @extschema@.accounts a ON true
	  JOIN pg_catalog.pg_roles ar ON ar.rolname = a.broker
	 WHERE pg_catalog.pg_has_role(sr.oid, ar.oid, 'MEMBER');
COMMENT ON VIEW @extschema@.fix_session_accounts IS
	'The accounts each FIX session may trade: those whose broker role its broker role is (or is a member of), as submit_order checks current_user.';

CREATE FUNCTION @extschema@.fix_open_orders()
RETURNS TABLE (sender_comp_id text, order_id bigint, client_order_id text, account text,
	symbol text, side @extschema@.side, order_type @extschema@.order_type,
	time_in_force @extschema@.time_in_force, price bigint, quantity bigint, filled bigint,
	remaining bigint, px_qty bigint, as_of_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH pos AS (SELECT coalesce(max(st.last_seq), 0) AS as_of FROM @extschema@.streams st),
	o AS (
		SELECT j.detail->>'fix_session' AS sender, j.seq AS order_id, j.client_order_id,
			   j.account, j.symbol, j.side, j.order_type, j.time_in_force, j.price
		  FROM @extschema@.journal j
		 WHERE j.kind = 'new_order' AND j.idx = 0 AND j.detail->>'fix_session' IS NOT NULL
	)
	SELECT o.sender, o.order_id, o.client_order_id, o.account, o.symbol, o.side,
		   o.order_type, o.time_in_force, coalesce(am.price, o.price),
		   f.filled + last.remaining, f.filled, last.remaining, f.px_qty, pos.as_of
	  FROM o CROSS JOIN pos
	  CROSS JOIN LATERAL (
		SELECT e.kind, CASE WHEN e.order_id = o.order_id THEN e.remaining
							ELSE e.contra_remaining END AS remaining
		  FROM @extschema@.journal e
		 WHERE (e.order_id = o.order_id OR e.contra_order_id = o.order_id) AND e.idx > 0
		 ORDER BY e.seq DESC, e.idx DESC LIMIT 1) last
	  CROSS JOIN LATERAL (
		SELECT coalesce(sum(t.quantity), 0)::bigint AS filled,
			   coalesce(sum(t.price * t.quantity), 0)::bigint AS px_qty
		  FROM @extschema@.journal t
		 WHERE t.kind = 'trade' AND (t.order_id = o.order_id OR t.contra_order_id = o.order_id)) f
	  LEFT JOIN LATERAL (
		SELECT a.price FROM @extschema@.journal a
		 WHERE a.kind = 'amended' AND a.order_id = o.order_id
		 ORDER BY a.seq DESC LIMIT 1) am ON true
	 WHERE last.kind IN ('accepted', 'trade', 'amended') AND last.remaining > 0
	 ORDER BY o.order_id
$$;
COMMENT ON FUNCTION @extschema@.fix_open_orders() IS
	'Orders entered through the FIX gateway (detail fix_session) that are still open, with what is filled, as of the last committed seq: the gateway''s state after a restart.';

REVOKE ALL ON @extschema@.fix_sessions, @extschema@.fix_messages,
	@extschema@.fix_session_accounts FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text),
	@extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_open_orders() FROM PUBLIC;
GRANT SELECT ON @extschema@.fix_sessions TO exchange_admin, exchange_engine, exchange_compliance,
	exchange_dba;
GRANT SELECT ON @extschema@.fix_messages TO exchange_engine, exchange_compliance, exchange_dba;
-- the gateway's store appends messages with COPY (fix_store() deletes and numbers)
GRANT INSERT (sender_comp_id, target_comp_id, seq, message) ON @extschema@.fix_messages TO exchange_engine;
GRANT SELECT ON @extschema@.fix_session_accounts TO exchange_admin, exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text)
	TO exchange_admin;
GRANT EXECUTE ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_open_orders() TO exchange_engine;

-- ==== sql/src/50_order_manager.sql
-- sql/src/50_order_manager.sql: the SQL side of matchd's order manager: KYC
-- and suspensions, cash and shares (the wallet projection matchd sends with
-- each batch), risk limits, price bands and fees, halts, the market session
-- with its schedule and holidays, balances and account history.

------------------------------------------------------------------------------
-- Wallets: the projection matchd sends with each batch (PWL1), absolute values.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.wallets (
	account		text NOT NULL,
	currency	text NOT NULL,
	available	bigint NOT NULL,
	held		bigint NOT NULL,
	updated_seq	bigint NOT NULL,
	PRIMARY KEY (account, currency)
);

ALTER TABLE @extschema@.wallets ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.wallets', '');
COMMENT ON TABLE @extschema@.wallets IS
	'Cash of each account and currency in minor units, as matchd''s order manager holds it after the last batch that changed it (written by append_batch from the batch''s wallet projection; replaying the journal recomputes it).  exchange.balances() shows it in numeric.';
COMMENT ON COLUMN @extschema@.wallets.currency IS 'ISO 4217 code (exchange.currencies).';
COMMENT ON COLUMN @extschema@.wallets.available IS 'Cash free to buy with or withdraw, in minor units.';
COMMENT ON COLUMN @extschema@.wallets.held IS 'Cash reserved by open buy orders (with their fees), in minor units.';
COMMENT ON COLUMN @extschema@.wallets.updated_seq IS 'Seq of the last command that changed the wallet.';
COMMENT ON COLUMN @extschema@.wallets.account IS 'Account holding the cash.';

CREATE TABLE @extschema@.positions (
	account		text NOT NULL,
	symbol		text NOT NULL,
	available	bigint NOT NULL,
	held		bigint NOT NULL,
	updated_seq	bigint NOT NULL,
	PRIMARY KEY (account, symbol)
);
ALTER TABLE @extschema@.positions ENABLE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.positions', '');
COMMENT ON TABLE @extschema@.positions IS
	'Shares of each account and symbol, as matchd''s order manager holds them after the last batch that changed them (written by append_batch from the wallet projection).';
COMMENT ON COLUMN @extschema@.positions.available IS 'Shares free to sell or debit.';
COMMENT ON COLUMN @extschema@.positions.held IS 'Shares reserved by open sell orders.';
COMMENT ON COLUMN @extschema@.positions.updated_seq IS 'Seq of the last command that changed the position.';
COMMENT ON COLUMN @extschema@.positions.account IS 'Account holding the shares.';
COMMENT ON COLUMN @extschema@.positions.symbol IS 'Symbol of the shares.';

CREATE TABLE @extschema@.fees_collected (
	stream		int NOT NULL REFERENCES @extschema@.streams,
	currency	text NOT NULL,
	amount		bigint NOT NULL,
	updated_seq	bigint NOT NULL,
	PRIMARY KEY (stream, currency)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fees_collected', '');
COMMENT ON TABLE @extschema@.fees_collected IS
	'Trading fees the exchange collected per stream and currency, in minor units (written by append_batch from the wallet projection).';
COMMENT ON COLUMN @extschema@.fees_collected.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN @extschema@.fees_collected.amount IS 'Fees collected in the stream so far, in minor units.';
COMMENT ON COLUMN @extschema@.fees_collected.updated_seq IS 'Seq of the last command that collected a fee.';
COMMENT ON COLUMN @extschema@.fees_collected.stream IS 'Stream (matching daemon) that charged the fees.';
CREATE POLICY wallets_staff ON @extschema@.wallets FOR SELECT
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba USING (true);
CREATE POLICY wallets_broker ON @extschema@.wallets FOR SELECT TO exchange_broker
	USING (EXISTS (SELECT 1 FROM @extschema@.accounts a
					WHERE a.account = wallets.account AND @extschema@.is_account_owner(a.broker)));
COMMENT ON POLICY wallets_staff ON @extschema@.wallets IS 'Exchange staff and the engine see every wallet.';
COMMENT ON POLICY wallets_broker ON @extschema@.wallets IS 'A broker sees only the wallets of the accounts its role owns.';
CREATE POLICY positions_staff ON @extschema@.positions FOR SELECT
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba USING (true);
CREATE POLICY positions_broker ON @extschema@.positions FOR SELECT TO exchange_broker
	USING (EXISTS (SELECT 1 FROM @extschema@.accounts a
					WHERE a.account = positions.account AND @extschema@.is_account_owner(a.broker)));
COMMENT ON POLICY positions_staff ON @extschema@.positions IS 'Exchange staff and the engine see every position.';
COMMENT ON POLICY positions_broker ON @extschema@.positions IS 'A broker sees only the positions of the accounts its role owns.';

CREATE TYPE @extschema@.wallet_entry AS (
	asset		text,
	account		text,
	code		text,
	available	bigint,
	held		bigint,
	seq			bigint
);
COMMENT ON TYPE @extschema@.wallet_entry IS
	'One entry of a wallet projection (PWL1) as encode_wallets takes it: asset cash (code: currency), shares (code: symbol) or fees (no account, code: currency, held 0), absolute amounts in minor units or shares, seq of the last change.';

CREATE FUNCTION @extschema@.project_wallets(p_stream int, p_wallets bytea)
RETURNS int
AS 'MODULE_PATHNAME', 'exchange_project_wallets'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.project_wallets(int, bytea) IS
	'Internal to append_batch (granted to no one): writes a wallet projection (PWL1) into wallets, positions and fees_collected, one row per wallet, the last entry of a wallet winning; raises PX005 when malformed.  Returns the number of wallets written.';

CREATE FUNCTION @extschema@.encode_wallets(entries @extschema@.wallet_entry[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'exchange_encode_wallets'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.encode_wallets(@extschema@.wallet_entry[]) IS
	'Encodes entries, in array order, as a wallet projection (PWL1), as matchd sends it with a batch (tests, tools).';

------------------------------------------------------------------------------
-- The market session: its state (a projection of market_open/market_close),
-- the schedule and holidays matchd reads to open and close on time.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.market_state (
	stream		int PRIMARY KEY REFERENCES @extschema@.streams,
	is_open		boolean NOT NULL,
	trading_day	date NOT NULL,
	changed_seq	bigint NOT NULL,
	changed_at	timestamptz NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.market_state', '');
COMMENT ON TABLE @extschema@.market_state IS
	'Whether each stream''s market is open: a projection of accepted market_open and market_close commands (those without a symbol).';
COMMENT ON COLUMN @extschema@.market_state.is_open IS 'True between an accepted market_open and the next market_close.';
COMMENT ON COLUMN @extschema@.market_state.changed_seq IS 'Seq of the last market_open or market_close.';
COMMENT ON COLUMN @extschema@.market_state.changed_at IS 'Sequencer time of that command.';
COMMENT ON COLUMN @extschema@.market_state.stream IS 'Stream whose market session this is.';
COMMENT ON COLUMN @extschema@.market_state.trading_day IS 'Trading day of the last open or close.';

CREATE TABLE @extschema@.market_schedule (
	stream		int PRIMARY KEY REFERENCES @extschema@.streams,
	time_zone	text NOT NULL,
	open_time	time NOT NULL,
	close_time	time NOT NULL,
	weekdays	int[] NOT NULL DEFAULT '{1,2,3,4,5}'
				CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (close_time > open_time)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.market_schedule', '');
COMMENT ON TABLE @extschema@.market_schedule IS
	'Trading hours of a stream''s market (set_market_schedule): on the weekdays, from open_time to close_time local time in time_zone, except holidays.  Not sequenced: matchd reads it (scheduled_session) and sends market_open / market_close.';
COMMENT ON COLUMN @extschema@.market_schedule.time_zone IS 'IANA time zone of the market, e.g. America/New_York (pg_timezone_names).';
COMMENT ON COLUMN @extschema@.market_schedule.open_time IS 'Local wall time of the open.';
COMMENT ON COLUMN @extschema@.market_schedule.close_time IS 'Local wall time of the close (after the open, same day).';
COMMENT ON COLUMN @extschema@.market_schedule.weekdays IS 'ISO days of the week the market trades, 1 = Monday .. 7 = Sunday.';
COMMENT ON COLUMN @extschema@.market_schedule.updated_at IS 'When the schedule was last set.';
COMMENT ON COLUMN @extschema@.market_schedule.stream IS 'Stream (market) the schedule drives.';

CREATE TABLE @extschema@.market_holidays (
	stream		int NOT NULL REFERENCES @extschema@.streams,
	holiday		date NOT NULL,
	description	text,
	PRIMARY KEY (stream, holiday)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.market_holidays', '');
COMMENT ON TABLE @extschema@.market_holidays IS
	'Local dates on which a stream''s market does not open although its schedule says so (add_market_holiday).';
COMMENT ON COLUMN @extschema@.market_holidays.holiday IS 'Local date (in the schedule''s time zone) without a session.';
COMMENT ON COLUMN @extschema@.market_holidays.description IS 'What the holiday is, for people.';
COMMENT ON COLUMN @extschema@.market_holidays.stream IS 'Stream (market) closed on that date.';

CREATE FUNCTION @extschema@.local_date(p_stream int, p_at timestamptz)
RETURNS date
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT (p_at AT TIME ZONE coalesce(
		(SELECT ms.time_zone FROM @extschema@.market_schedule ms WHERE ms.stream = p_stream),
		'UTC'))::date
$$;
COMMENT ON FUNCTION @extschema@.local_date(int, timestamptz) IS
	'The date of an instant in the time zone of the stream''s market (UTC without a schedule): the trading day market_open carries.';

CREATE FUNCTION @extschema@.schedule_boundaries(p_stream int, p_first date, p_last date)
RETURNS TABLE (boundary timestamptz, is_open boolean, session_day date)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	-- local wall times become instants through AT TIME ZONE, so a session keeps
	-- its local hours across daylight-saving changes
	SELECT (d.day + t.at) AT TIME ZONE ms.time_zone, t.is_open, d.day
	  FROM @extschema@.market_schedule ms
	 CROSS JOIN LATERAL (SELECT p_first + k AS day
						   FROM generate_series(0, p_last - p_first) AS k) d
	 CROSS JOIN LATERAL (VALUES (ms.open_time, true), (ms.close_time, false)) AS t (at, is_open)
	 WHERE ms.stream = p_stream
	   AND extract(isodow FROM d.day)::int = ANY (ms.weekdays)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.market_holidays h
						WHERE h.stream = p_stream AND h.holiday = d.day)
	 ORDER BY 1
$$;
COMMENT ON FUNCTION @extschema@.schedule_boundaries(int, date, date) IS
	'Every scheduled open and close of the stream''s market on the local dates p_first .. p_last (trading weekdays, not holidays), in time order; nothing without a schedule.';

CREATE FUNCTION @extschema@.scheduled_session(p_stream int, p_at timestamptz)
RETURNS TABLE (boundary timestamptz, is_open boolean, session_day date)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT b.boundary, b.is_open, b.session_day
	  FROM @extschema@.schedule_boundaries(p_stream,
			   @extschema@.local_date(p_stream, p_at) - 14,
			   @extschema@.local_date(p_stream, p_at)) b
	 WHERE b.boundary <= p_at
	 ORDER BY b.boundary DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.scheduled_session(int, timestamptz) IS
	'The latest scheduled open or close of the stream''s market at or before p_at (looking back 14 days): its instant, whether it opens, and the session''s local date.  No row without a schedule (or without a session in 14 days).  matchd opens and closes the market by it.';

CREATE FUNCTION @extschema@.stream_id(p_name text)
RETURNS int
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	int;
BEGIN
	SELECT st.stream INTO s FROM @extschema@.streams st WHERE st.name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'stream "%" does not exist', p_name
			USING ERRCODE = 'PX004', HINT = 'matchd creates its stream when it first starts.';
	END IF;
	RETURN s;
END
$$;
COMMENT ON FUNCTION @extschema@.stream_id(text) IS
	'Internal to the market functions (granted to no one): the id of a stream by name; PX004 when there is none.';

CREATE FUNCTION @extschema@.market_status(stream text DEFAULT 'main')
RETURNS TABLE (is_open boolean, trading_day date, changed_at timestamptz,
	next_open timestamptz, next_close timestamptz, time_zone text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	int;
	today date;
BEGIN
	s := @extschema@.stream_id(market_status.stream);
	today := @extschema@.local_date(s, now());
	RETURN QUERY
	SELECT coalesce(m.is_open, false), m.trading_day, m.changed_at,
		   (SELECT min(b.boundary) FROM @extschema@.schedule_boundaries(s, today, today + 14) b
			 WHERE b.is_open AND b.boundary > now()),
		   (SELECT min(b.boundary) FROM @extschema@.schedule_boundaries(s, today, today + 14) b
			 WHERE NOT b.is_open AND b.boundary > now()),
		   ms.time_zone
	  FROM (SELECT s AS stream) x
	  LEFT JOIN @extschema@.market_state m ON m.stream = x.stream
	  LEFT JOIN @extschema@.market_schedule ms ON ms.stream = x.stream;
END
$$;
COMMENT ON FUNCTION @extschema@.market_status(text) IS
	'The market of a stream: whether it is open and since when (the last accepted market_open / market_close), its trading day, and from the schedule the next open and close within 14 days and the time zone (NULL without a schedule).  PX004 for an unknown stream.';

CREATE FUNCTION @extschema@.set_market_schedule(time_zone text, open_time time, close_time time,
	weekdays int[] DEFAULT '{1,2,3,4,5}', stream text DEFAULT 'main')
RETURNS @extschema@.market_schedule
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	int;
	r	@extschema@.market_schedule;
BEGIN
	IF time_zone IS NULL OR open_time IS NULL OR close_time IS NULL OR weekdays IS NULL
	   OR stream IS NULL THEN
		RAISE EXCEPTION 'set_market_schedule: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	s := @extschema@.stream_id(set_market_schedule.stream);
	IF NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = set_market_schedule.time_zone) THEN
		RAISE EXCEPTION 'unknown time zone "%"', set_market_schedule.time_zone
			USING ERRCODE = '22023', HINT = 'Use a name of pg_timezone_names, e.g. America/New_York.';
	END IF;
	IF close_time <= open_time THEN
		RAISE EXCEPTION 'the close (%) must come after the open (%) on the same day', close_time, open_time
			USING ERRCODE = '22023';
	END IF;
	IF cardinality(weekdays) = 0 OR array_ndims(weekdays) <> 1
	   OR EXISTS (SELECT 1 FROM unnest(weekdays) d WHERE d IS NULL OR d NOT BETWEEN 1 AND 7) THEN
		RAISE EXCEPTION 'weekdays must be ISO days of the week, 1 (Monday) to 7 (Sunday), at least one: %', weekdays
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.market_schedule AS m (stream, time_zone, open_time, close_time, weekdays, updated_at)
	VALUES (s, set_market_schedule.time_zone, open_time, close_time,
			(SELECT array_agg(DISTINCT d ORDER BY d) FROM unnest(weekdays) d), now())
	ON CONFLICT ON CONSTRAINT market_schedule_pkey DO UPDATE
		SET time_zone = excluded.time_zone, open_time = excluded.open_time,
			close_time = excluded.close_time, weekdays = excluded.weekdays,
			updated_at = excluded.updated_at
	RETURNING m.* INTO r;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.set_market_schedule(text, time, time, int[], text) IS
	'Sets the trading hours of a stream''s market (by stream name): local open and close times in a time zone of pg_timezone_names on ISO weekdays.  Not sequenced; matchd follows it.  22004, 22023 (time zone, times, weekdays), PX004.';

CREATE FUNCTION @extschema@.add_market_holiday(holiday date, description text DEFAULT NULL,
	stream text DEFAULT 'main')
RETURNS @extschema@.market_holidays
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	int;
	r	@extschema@.market_holidays;
BEGIN
	IF holiday IS NULL OR stream IS NULL THEN
		RAISE EXCEPTION 'add_market_holiday: holiday and stream must not be NULL' USING ERRCODE = '22004';
	END IF;
	s := @extschema@.stream_id(add_market_holiday.stream);
	INSERT INTO @extschema@.market_holidays AS h (stream, holiday, description)
	VALUES (s, add_market_holiday.holiday, add_market_holiday.description)
	ON CONFLICT ON CONSTRAINT market_holidays_pkey DO UPDATE SET description = excluded.description
	RETURNING h.* INTO r;
	RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.add_market_holiday(date, text, text) IS
	'Declares a local date on which the stream''s market does not open (again: replaces the description).  22004, PX004.';

CREATE FUNCTION @extschema@.remove_market_holiday(holiday date, stream text DEFAULT 'main')
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	int;
BEGIN
	IF holiday IS NULL OR stream IS NULL THEN
		RAISE EXCEPTION 'remove_market_holiday: holiday and stream must not be NULL' USING ERRCODE = '22004';
	END IF;
	s := @extschema@.stream_id(remove_market_holiday.stream);
	DELETE FROM @extschema@.market_holidays h
	 WHERE h.stream = s AND h.holiday = remove_market_holiday.holiday;
	RETURN FOUND;
END
$$;
COMMENT ON FUNCTION @extschema@.remove_market_holiday(date, text) IS
	'Removes a holiday of the stream''s market; true when there was one.  22004, PX004.';

------------------------------------------------------------------------------
-- Risk defaults (C: the constants matchd compiles) and the effective limits.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.default_limits(
	OUT max_order_quantity bigint, OUT max_order_notional bigint,
	OUT max_daily_notional bigint, OUT max_open_orders int, OUT orders_per_second int,
	OUT burst int, OUT price_band_bps int, OUT market_collar_bps int,
	OUT maker_fee_bps int, OUT taker_fee_bps int)
AS 'MODULE_PATHNAME', 'exchange_default_limits'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.default_limits() IS
	'The limits of an account or symbol that set_account_limits / set_symbol_limits did not change: the PGX_DEFAULT_* constants of exchange_wire.h, which matchd compiles too (notionals in USD cents).';

CREATE VIEW @extschema@.risk_limits WITH (security_barrier) AS
	SELECT a.account, a.broker,
		   coalesce(l.max_order_quantity, d.max_order_quantity) AS max_order_quantity,
		   @extschema@.minor_to_amount(coalesce(l.max_order_notional, d.max_order_notional),
									   c.minor_digits) AS max_order_notional,
		   @extschema@.minor_to_amount(coalesce(l.max_daily_notional, d.max_daily_notional),
									   c.minor_digits) AS max_daily_notional,
		   coalesce(l.max_open_orders, d.max_open_orders) AS max_open_orders,
		   coalesce(l.orders_per_second, d.orders_per_second) AS orders_per_second,
		   coalesce(l.burst, d.burst) AS burst,
		   c.currency AS notional_currency,
		   l.updated_seq, l.updated_at
	  FROM @extschema@.accounts a
	  LEFT JOIN @extschema@.account_limits l ON l.account = a.account
	 CROSS JOIN @extschema@.default_limits() d
	  JOIN @extschema@.currencies c ON c.currency = 'USD'
	 WHERE (SELECT pg_catalog.pg_has_role('exchange_admin', 'MEMBER')
				OR pg_catalog.pg_has_role('exchange_compliance', 'MEMBER')
				OR pg_catalog.pg_has_role('exchange_dba', 'MEMBER')
				OR pg_catalog.pg_has_role('exchange_engine', 'MEMBER'))
		OR @extschema@.is_account_owner(a.broker);
COMMENT ON VIEW @extschema@.risk_limits IS
	'The effective risk limits of each account: those set by set_account_limits, else the defaults (default_limits()); notionals in USD.  A broker sees only the accounts its role owns; staff and the engine see all.';
COMMENT ON COLUMN @extschema@.risk_limits.max_order_quantity IS 'Most shares in one order.';
COMMENT ON COLUMN @extschema@.risk_limits.max_order_notional IS 'Largest notional of one order, in notional_currency.';
COMMENT ON COLUMN @extschema@.risk_limits.max_daily_notional IS 'Largest notional traded in a trading day, in notional_currency.';
COMMENT ON COLUMN @extschema@.risk_limits.max_open_orders IS 'Most orders resting at once.';
COMMENT ON COLUMN @extschema@.risk_limits.orders_per_second IS 'Sustained commands per second.';
COMMENT ON COLUMN @extschema@.risk_limits.burst IS 'Commands allowed in a burst.';
COMMENT ON COLUMN @extschema@.risk_limits.notional_currency IS 'Currency of the notional limits (USD).';
COMMENT ON COLUMN @extschema@.risk_limits.updated_seq IS 'Seq of the last set_account_limits (NULL: all defaults).';
COMMENT ON COLUMN @extschema@.risk_limits.updated_at IS 'Sequencer time of that command.';
COMMENT ON COLUMN @extschema@.risk_limits.account IS 'Account the limits apply to.';
COMMENT ON COLUMN @extschema@.risk_limits.broker IS 'Broker role owning the account.';

------------------------------------------------------------------------------
-- Balances and the history of an account's commands.
------------------------------------------------------------------------------
CREATE TYPE @extschema@.balance AS (
	account		text,
	asset_type	text,
	asset		text,
	available	numeric,
	held		numeric,
	total		numeric
);
COMMENT ON TYPE @extschema@.balance IS
	'One balance of an account: asset_type cash (asset: the currency, amounts in it) or shares (asset: the symbol, amounts in shares); total = available + held.';

-- search_path pinned: the order manager's functions read balances as the
-- extension's owner with the caller's search_path
CREATE FUNCTION @extschema@.balances(account text DEFAULT NULL)
RETURNS SETOF @extschema@.balance
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT w.account, 'cash', w.currency,
		   @extschema@.minor_to_amount(w.available, c.minor_digits),
		   @extschema@.minor_to_amount(w.held, c.minor_digits),
		   @extschema@.minor_to_amount(w.available, c.minor_digits)
			 + @extschema@.minor_to_amount(w.held, c.minor_digits)
	  FROM @extschema@.wallets w
	  JOIN @extschema@.currencies c ON c.currency = w.currency
	 WHERE $1 IS NULL OR w.account = $1
	UNION ALL
	SELECT p.account, 'shares', p.symbol, p.available::numeric, p.held::numeric,
		   p.available::numeric + p.held::numeric
	  FROM @extschema@.positions p
	 WHERE $1 IS NULL OR p.account = $1
	 ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION @extschema@.balances(text) IS
	'Cash (in the currency, from wallets) and shares (from positions) of one account, or of every account the caller may see when account is NULL.  Row-level security applies: a broker sees only its own accounts.';
COMMENT ON INDEX @extschema@.journal_account_commands IS
	'The commands about an account (open_account and the order manager''s, labels after ''expired''): exchange.account_history().';

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
COMMENT ON VIEW @extschema@.account_log IS
	'The commands about accounts (open_account, set_kyc, suspend_account, resume_account, deposit, withdraw, credit_shares, debit_shares, set_account_limits) with their outcome.  A broker sees only the accounts its role owns; staff and the engine see all.';
COMMENT ON COLUMN @extschema@.account_log.outcome IS 'accepted, or rejected (by the order manager or the engine: see reason); a rejected command changed nothing.';
COMMENT ON COLUMN @extschema@.account_log.reason IS 'Reason code of a rejection (e.g. insufficient_funds).';
COMMENT ON COLUMN @extschema@.account_log.asset IS 'Currency of a deposit or withdrawal, symbol of a credit or debit of shares.';
COMMENT ON COLUMN @extschema@.account_log.amount IS 'Cash moved (in the currency) or shares moved.';
COMMENT ON COLUMN @extschema@.account_log.requested_by IS 'Role that sent the command (recorded by matchd).';
COMMENT ON COLUMN @extschema@.account_log.detail IS 'The command''s arguments (JSON, as journaled).';
COMMENT ON COLUMN @extschema@.account_log.stream IS 'Stream that journaled the command.';
COMMENT ON COLUMN @extschema@.account_log.seq IS 'Seq of the command.';
COMMENT ON COLUMN @extschema@.account_log.ts IS 'Sequencer time of the command.';
COMMENT ON COLUMN @extschema@.account_log.trading_day IS 'Trading day of the command.';
COMMENT ON COLUMN @extschema@.account_log.kind IS 'Command kind (open_account, deposit, set_kyc, ...).';
COMMENT ON COLUMN @extschema@.account_log.account IS 'Account the command concerns.';

CREATE FUNCTION @extschema@.account_history(account text)
RETURNS TABLE (stream int, seq bigint, ts timestamptz, kind @extschema@.event_kind,
	outcome text, reason text, asset text, amount numeric, requested_by text, detail json)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.stream, l.seq, l.ts, l.kind, l.outcome, l.reason, l.asset, l.amount,
		   l.requested_by, l.detail
	  FROM @extschema@.account_log l
	 WHERE l.account = $1
	 ORDER BY l.ts, l.stream, l.seq
$$;
COMMENT ON FUNCTION @extschema@.account_history(text) IS
	'Every command about an account, in time order, with its outcome (see account_log).  Row-level security of account_log applies: a broker sees only its own accounts'' history.';
CREATE FUNCTION @extschema@.open_account(account text, broker regrole,
	kyc_status @extschema@.kyc_status DEFAULT 'pending')
RETURNS @extschema@.accounts
AS 'MODULE_PATHNAME', 'exchange_open_account'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.open_account(text, regrole, @extschema@.kyc_status) IS
	'Opens an account owned by a broker role (a member of exchange_broker) with a KYC status (default pending: it may not trade until verified) through matchd and returns its exchange.accounts row.  Not transactional.  PX023 when it exists.';

CREATE FUNCTION @extschema@.set_kyc_status(account text, status @extschema@.kyc_status,
	reason text DEFAULT NULL)
RETURNS @extschema@.accounts
AS 'MODULE_PATHNAME', 'exchange_set_kyc_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.set_kyc_status(text, @extschema@.kyc_status, text) IS
	'Changes an account''s KYC status through matchd (set_kyc; only verified accounts trade) and returns its accounts row.  Not transactional.  PX021 unknown account.';

CREATE FUNCTION @extschema@.suspend_account(account text, reason text DEFAULT NULL)
RETURNS @extschema@.accounts
AS 'MODULE_PATHNAME', 'exchange_suspend_account'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.suspend_account(text, text) IS
	'Suspends an account through matchd (it may send no new orders) and returns its accounts row.  Not transactional.  PX021 unknown account, PX054 already suspended.';

CREATE FUNCTION @extschema@.resume_account(account text, reason text DEFAULT NULL)
RETURNS @extschema@.accounts
AS 'MODULE_PATHNAME', 'exchange_resume_account'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.resume_account(text, text) IS
	'Lifts an account''s suspension through matchd and returns its accounts row.  Not transactional.  PX021 unknown account, PX054 not suspended.';

CREATE FUNCTION @extschema@.deposit(account text, amount numeric, currency text DEFAULT 'USD')
RETURNS @extschema@.balance
AS 'MODULE_PATHNAME', 'exchange_deposit'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.deposit(text, numeric, text) IS
	'Credits cash to an account through matchd (amount in the currency, exact in its minor unit) and returns the account''s balance in that currency.  Not transactional.  PX062 amount not positive or not exact, PX063 unknown currency, PX021 unknown account.';

CREATE FUNCTION @extschema@.withdraw(account text, amount numeric, currency text DEFAULT 'USD')
RETURNS @extschema@.balance
AS 'MODULE_PATHNAME', 'exchange_withdraw'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.withdraw(text, numeric, text) IS
	'Debits available cash of an account through matchd and returns its balance in that currency.  Not transactional.  PX062, PX063, PX021; PX060 when the available cash is short.';

CREATE FUNCTION @extschema@.credit_shares(account text, symbol text, quantity bigint)
RETURNS @extschema@.balance
AS 'MODULE_PATHNAME', 'exchange_credit_shares'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.credit_shares(text, text, bigint) IS
	'Credits shares of a symbol to an account through matchd (e.g. a transfer in) and returns its position.  Not transactional.  PX012 quantity not positive, PX013 off the lot size, PX020, PX021.';

CREATE FUNCTION @extschema@.debit_shares(account text, symbol text, quantity bigint)
RETURNS @extschema@.balance
AS 'MODULE_PATHNAME', 'exchange_debit_shares'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.debit_shares(text, text, bigint) IS
	'Debits available shares of an account through matchd and returns its position.  Not transactional.  PX012, PX013, PX020, PX021; PX061 when the available shares are short.';

CREATE FUNCTION @extschema@.set_account_limits(account text,
	max_order_quantity bigint DEFAULT NULL, max_order_notional numeric DEFAULT NULL,
	max_daily_notional numeric DEFAULT NULL, max_open_orders int DEFAULT NULL,
	orders_per_second int DEFAULT NULL, burst int DEFAULT NULL)
RETURNS @extschema@.risk_limits
AS 'MODULE_PATHNAME', 'exchange_set_account_limits'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.set_account_limits(text, bigint, numeric, numeric, int, int, int) IS
	'Changes the given risk limits of an account through matchd (the others keep their values; notionals in USD) and returns its effective limits.  Not transactional.  22023 nothing to change or a limit out of range, PX062 a notional finer than a cent, PX021.';

CREATE FUNCTION @extschema@.set_symbol_limits(symbol text, price_band_bps int DEFAULT NULL,
	market_collar_bps int DEFAULT NULL, maker_fee_bps int DEFAULT NULL,
	taker_fee_bps int DEFAULT NULL, reference_price numeric DEFAULT NULL)
RETURNS @extschema@.symbols
AS 'MODULE_PATHNAME', 'exchange_set_symbol_limits'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.set_symbol_limits(text, int, int, int, int, numeric) IS
	'Changes the given price band, market collar, fees (basis points, 0..10000) and reference price of a symbol through matchd and returns its symbols row.  Not transactional.  22023, PX010 reference price off the tick grid, PX020.';

CREATE FUNCTION @extschema@.halt_symbol(symbol text, reason text DEFAULT NULL)
RETURNS @extschema@.symbols
AS 'MODULE_PATHNAME', 'exchange_halt_symbol'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.halt_symbol(text, text) IS
	'Halts trading in a symbol through matchd (a sequenced halt) and returns its symbols row.  Not transactional.  PX020, PX054 already halted.';

CREATE FUNCTION @extschema@.resume_symbol(symbol text, reason text DEFAULT NULL)
RETURNS @extschema@.symbols
AS 'MODULE_PATHNAME', 'exchange_resume_symbol'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.resume_symbol(text, text) IS
	'Resumes trading in a halted symbol through matchd and returns its symbols row.  Not transactional.  PX020, PX054 not halted.';

CREATE FUNCTION @extschema@.open_market()
RETURNS TABLE (is_open boolean, trading_day date, changed_at timestamptz,
	next_open timestamptz, next_close timestamptz, time_zone text)
AS 'MODULE_PATHNAME', 'exchange_open_market'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.open_market() IS
	'Opens the market of matchd''s stream (exchange.matchd_stream) now, with today''s date in the market''s time zone as trading day, and returns its market_status().  Not transactional.  PX004, PX054 already open.';

CREATE FUNCTION @extschema@.close_market()
RETURNS TABLE (is_open boolean, trading_day date, changed_at timestamptz,
	next_open timestamptz, next_close timestamptz, time_zone text)
AS 'MODULE_PATHNAME', 'exchange_close_market'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.close_market() IS
	'Closes the market of matchd''s stream now (day orders expire) and returns its market_status().  Not transactional.  PX004, PX054 already closed.';

------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; the order manager's commands and the
-- schedule for the admin; balances, limits and history for whoever may see
-- the account (brokers their own); the market's status and schedule for all.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;

GRANT SELECT ON @extschema@.currencies, @extschema@.market_state, @extschema@.market_schedule,
	@extschema@.market_holidays, @extschema@.risk_limits, @extschema@.account_log
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT INSERT ON @extschema@.currencies TO exchange_admin;
GRANT SELECT ON @extschema@.wallets, @extschema@.positions
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.fees_collected, @extschema@.account_limits
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba;

GRANT EXECUTE ON FUNCTION @extschema@.append_batch(int, bigint, bigint, bytea, bytea)
	TO exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.encode_wallets(@extschema@.wallet_entry[])
	TO exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.minor_to_amount(bigint, int),
	@extschema@.tick_value(numeric, text),
	@extschema@.default_limits(),
	@extschema@.local_date(int, timestamptz),
	@extschema@.schedule_boundaries(int, date, date),
	@extschema@.scheduled_session(int, timestamptz),
	@extschema@.market_status(text),
	@extschema@.balances(text),
	@extschema@.account_history(text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.open_account(text, regrole, @extschema@.kyc_status),
	@extschema@.set_kyc_status(text, @extschema@.kyc_status, text),
	@extschema@.suspend_account(text, text),
	@extschema@.resume_account(text, text),
	@extschema@.deposit(text, numeric, text),
	@extschema@.withdraw(text, numeric, text),
	@extschema@.credit_shares(text, text, bigint),
	@extschema@.debit_shares(text, text, bigint),
	@extschema@.set_account_limits(text, bigint, numeric, numeric, int, int, int),
	@extschema@.set_symbol_limits(text, int, int, int, int, numeric),
	@extschema@.halt_symbol(text, text),
	@extschema@.resume_symbol(text, text),
	@extschema@.open_market(),
	@extschema@.close_market(),
	@extschema@.set_market_schedule(text, time, time, int[], text),
	@extschema@.add_market_holiday(date, text, text),
	@extschema@.remove_market_holiday(date, text)
	TO exchange_admin;

------------------------------------------------------------------------------
-- Comments on the keys and the columns named after other objects.
------------------------------------------------------------------------------
COMMENT ON INDEX @extschema@.currencies_pkey IS 'One row per ISO 4217 code.';
COMMENT ON INDEX @extschema@.account_limits_pkey IS 'One row of limits per account.';
COMMENT ON INDEX @extschema@.wallets_pkey IS 'One cash balance per account and currency.';
COMMENT ON INDEX @extschema@.positions_pkey IS 'One share position per account and symbol.';
COMMENT ON INDEX @extschema@.fees_collected_pkey IS 'One fee total per stream and currency.';
COMMENT ON INDEX @extschema@.market_state_pkey IS 'One session state per stream.';
COMMENT ON INDEX @extschema@.market_schedule_pkey IS 'One schedule per stream (market).';
COMMENT ON INDEX @extschema@.market_holidays_pkey IS 'A date is a holiday of a stream at most once.';

-- ==== sql/src/60_market_data.sql
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

-- ==== sql/src/70_high_availability.sql
-- sql/src/70_high_availability.sql: what matchd keeps in PostgreSQL to
-- recover and fail over: its state snapshots, the stream's lease and members,
-- the lease protocol, where the order functions find the leader, and the
-- operators' view and switchover.  See docs/high-availability.md.

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

SELECT pg_catalog.pg_extension_config_dump('@extschema@.engine_snapshots', '');
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
------------------------------------------------------------------------------
-- The lease and the members.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.stream_leases (
	stream					int PRIMARY KEY REFERENCES @extschema@.streams,
	node					text NOT NULL,
	endpoint				text NOT NULL,
	epoch					bigint NOT NULL,
	leading_since			timestamptz NOT NULL,
	renewed_at				timestamptz NOT NULL,
	expires_at				timestamptz NOT NULL,
	lease_ms				int NOT NULL CHECK (lease_ms BETWEEN 50 AND 600000),
	holder_pid				int NOT NULL,
	holder_backend_start	timestamptz NOT NULL,
	handover_to				text,
	released_at				timestamptz
);
COMMENT ON TABLE @extschema@.stream_leases IS
	'The leader lease of each stream: which matchd node should lead it, at which epoch, until when.  Written only by acquire_lease, renew_lease, release_lease and request_switchover.  The lease is for liveness; safety is the epoch, which append_batch checks.';
COMMENT ON COLUMN @extschema@.stream_leases.stream IS 'The stream led.';
COMMENT ON COLUMN @extschema@.stream_leases.node IS 'Node name of the leading matchd (matchd --node).';
COMMENT ON COLUMN @extschema@.stream_leases.endpoint IS 'Where the leader serves the order functions: the path of its Unix socket (matchd --socket).  The extension connects there when exchange.matchd_socket is empty.';
COMMENT ON COLUMN @extschema@.stream_leases.epoch IS 'The stream epoch the leader acquired with the lease (its fencing token).';
COMMENT ON COLUMN @extschema@.stream_leases.leading_since IS 'When this node acquired the lease (database clock).';
COMMENT ON COLUMN @extschema@.stream_leases.renewed_at IS 'The last heartbeat (database clock).';
COMMENT ON COLUMN @extschema@.stream_leases.expires_at IS 'The lease lapses at this time unless renewed (database clock; the nodes'' clocks are never compared).';
COMMENT ON COLUMN @extschema@.stream_leases.lease_ms IS 'Length of the lease in milliseconds (matchd --lease-ms).';
COMMENT ON COLUMN @extschema@.stream_leases.holder_pid IS 'Backend pid of the session that last acquired or renewed the lease: when that session ends (the leader died and its connection closed), the lease is open at once, without waiting for expires_at.';
COMMENT ON COLUMN @extschema@.stream_leases.holder_backend_start IS 'Start time of that backend, so that a reused pid is not taken for it.';
COMMENT ON COLUMN @extschema@.stream_leases.handover_to IS 'A switchover asked for by an operator: the node the leader hands over to (NULL: none).';
COMMENT ON COLUMN @extschema@.stream_leases.released_at IS 'When the leader released the lease (clean stop or switchover); NULL while held.';

CREATE TABLE @extschema@.stream_members (
	stream			int NOT NULL REFERENCES @extschema@.streams,
	node			text NOT NULL,
	role			text NOT NULL CHECK (role IN ('leader', 'standby')),
	endpoint		text NOT NULL,
	applied_seq		bigint NOT NULL CHECK (applied_seq >= 0),
	apply_delay_ms	int,
	started_at		timestamptz NOT NULL,
	heartbeat_at	timestamptz NOT NULL,
	backend_pid		int NOT NULL,
	backend_start	timestamptz NOT NULL,
	PRIMARY KEY (stream, node)
);
COMMENT ON TABLE @extschema@.stream_members IS
	'Every matchd node of a stream as it last reported itself (report_member, every heartbeat): role, the seq its state has applied, its apply delay.  exchange.matchd_nodes() adds lag and liveness.';
COMMENT ON COLUMN @extschema@.stream_members.stream IS 'The stream.';
COMMENT ON COLUMN @extschema@.stream_members.node IS 'Node name (matchd --node).';
COMMENT ON COLUMN @extschema@.stream_members.role IS 'leader or standby, as the node last reported.';
COMMENT ON COLUMN @extschema@.stream_members.endpoint IS 'The node''s socket path (where it serves once it leads).';
COMMENT ON COLUMN @extschema@.stream_members.applied_seq IS 'The last seq the node''s in-memory state has applied.';
COMMENT ON COLUMN @extschema@.stream_members.apply_delay_ms IS 'Standby: wall-clock milliseconds from the sequencer timestamp of the newest applied record to its application (how stale the hot state was when last caught up); NULL for a leader.';
COMMENT ON COLUMN @extschema@.stream_members.started_at IS 'When the node first reported in this role.';
COMMENT ON COLUMN @extschema@.stream_members.heartbeat_at IS 'The last report (database clock).';
COMMENT ON COLUMN @extschema@.stream_members.backend_pid IS 'Backend pid of the reporting session (liveness: the session exists).';
COMMENT ON COLUMN @extschema@.stream_members.backend_start IS 'Start time of that backend.';

------------------------------------------------------------------------------
-- Internals.
------------------------------------------------------------------------------

-- Whether a backend (pid, start) still exists: the session of a process
-- that died ends as soon as the server sees its connection close.
CREATE FUNCTION @extschema@.session_alive(p_pid int, p_backend_start timestamptz)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_get_activity(p_pid) a
				   WHERE a.pid = p_pid AND a.backend_start = p_backend_start)
$$;
COMMENT ON FUNCTION @extschema@.session_alive(int, timestamptz) IS
	'Internal: true while the backend with this pid and start time exists.';

CREATE FUNCTION @extschema@.own_backend_start()
RETURNS timestamptz
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a
$$;
COMMENT ON FUNCTION @extschema@.own_backend_start() IS
	'Internal: the start time of the calling backend.';

-- The state of a lease as the database clock sees it now.
CREATE FUNCTION @extschema@.lease_state(l @extschema@.stream_leases, p_stream_epoch bigint)
RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN l.stream IS NULL THEN 'none'
		WHEN l.epoch <> p_stream_epoch THEN 'superseded'
		WHEN l.released_at IS NOT NULL THEN 'released'
		WHEN l.expires_at <= pg_catalog.clock_timestamp() THEN 'expired'
		WHEN NOT @extschema@.session_alive(l.holder_pid, l.holder_backend_start) THEN 'holder_gone'
		WHEN l.handover_to IS NOT NULL THEN 'handing_over'
		ELSE 'held' END
$$;
COMMENT ON FUNCTION @extschema@.lease_state(@extschema@.stream_leases, bigint) IS
	'Internal: none, held, handing_over (held; a switchover was asked for), released, expired, holder_gone (the session that renewed it ended) or superseded (the stream was taken over at another epoch, e.g. by take_over_stream).';

-- Whether acquire_lease would grant p_node the lease now.
CREATE FUNCTION @extschema@.lease_open_to(l @extschema@.stream_leases, p_stream_epoch bigint,
	p_node text)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN l.stream IS NULL THEN true
		-- a switchover reserves the released lease for its target for one lease period
		WHEN l.released_at IS NOT NULL AND l.handover_to IS NOT NULL
			 AND l.epoch = p_stream_epoch AND p_node <> l.handover_to
			 AND pg_catalog.clock_timestamp() < l.released_at + l.lease_ms * interval '1 ms'
			THEN false
		WHEN l.node = p_node THEN true
		ELSE @extschema@.lease_state(l, p_stream_epoch) NOT IN ('held', 'handing_over') END
$$;
COMMENT ON FUNCTION @extschema@.lease_open_to(@extschema@.stream_leases, bigint, text) IS
	'Internal: the lease may be acquired by p_node now: there is none, it is p_node''s own, or it was released, expired, lost its holder''s session or was superseded; a lease released for a switchover stays reserved to its target for one lease period.';

CREATE FUNCTION @extschema@.check_node(p_node text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_node IS NULL OR p_node !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$' THEN
		RAISE EXCEPTION '%: invalid node name "%"', p_what, p_node
			USING ERRCODE = '22023',
				  HINT = 'A node name is 1 to 63 letters, digits, "_", ".", ":" or "-", starting with a letter or digit.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_node(text, text) IS
	'Internal: raises 22023 unless p_node is a valid matchd node name.';

------------------------------------------------------------------------------
-- The lease protocol (matchd, as exchange_engine).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.acquire_lease(p_name text, p_node text, p_endpoint text,
	p_lease_ms int, OUT stream int, OUT epoch bigint, OUT last_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	@extschema@.streams;
	l	@extschema@.stream_leases;
BEGIN
	PERFORM @extschema@.check_node(p_node, 'acquire_lease');
	IF p_endpoint IS NULL OR p_endpoint = '' OR octet_length(p_endpoint) > 107 THEN
		RAISE EXCEPTION 'acquire_lease: the endpoint must be a Unix socket path of 1 to 107 bytes'
			USING ERRCODE = '22023';
	END IF;
	IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 50 AND 600000 THEN
		RAISE EXCEPTION 'acquire_lease: lease_ms must be between 50 and 600000, not %', p_lease_ms
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.streams (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
	-- the sequencer row first, as append_batch locks it: take-overs and appends serialize
	SELECT * INTO s FROM @extschema@.streams st WHERE st.name = p_name FOR UPDATE;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = s.stream FOR UPDATE;
	IF NOT @extschema@.lease_open_to(l, s.epoch, p_node) THEN
		IF l.released_at IS NOT NULL THEN
			RAISE EXCEPTION 'stream "%" is reserved for node "%" by a switchover', p_name, l.handover_to
				USING ERRCODE = 'PX008',
					  DETAIL = pg_catalog.format('Node %s released the lease at %s; node %s may take it first, for %s ms.',
												 l.node, l.released_at, l.handover_to, l.lease_ms);
		END IF;
		RAISE EXCEPTION 'stream "%" is led by node "%" at epoch % under a lease', p_name, l.node, l.epoch
			USING ERRCODE = 'PX008',
				  DETAIL = pg_catalog.format('The lease is %s until %s; it was last renewed at %s.',
											 @extschema@.lease_state(l, s.epoch), l.expires_at, l.renewed_at),
				  HINT = 'A standby takes over when the lease lapses; exchange.switchover() hands it over cleanly.';
	END IF;

	UPDATE @extschema@.streams st
	   SET epoch = st.epoch + 1,
		   writer = pg_catalog.format('%s node %s pid %s', pg_catalog.current_setting('application_name'),
									  p_node, pg_catalog.pg_backend_pid()),
		   taken_over_at = pg_catalog.now()
	 WHERE st.stream = s.stream
	RETURNING st.stream, st.epoch, st.last_seq INTO stream, epoch, last_seq;

	INSERT INTO @extschema@.stream_leases AS sl VALUES
		(stream, p_node, p_endpoint, epoch, pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(),
		 pg_catalog.clock_timestamp() + p_lease_ms * interval '1 ms', p_lease_ms,
		 pg_catalog.pg_backend_pid(), @extschema@.own_backend_start(), NULL, NULL)
	ON CONFLICT ON CONSTRAINT stream_leases_pkey DO UPDATE
		SET node = excluded.node, endpoint = excluded.endpoint, epoch = excluded.epoch,
			leading_since = excluded.leading_since, renewed_at = excluded.renewed_at,
			expires_at = excluded.expires_at, lease_ms = excluded.lease_ms,
			holder_pid = excluded.holder_pid, holder_backend_start = excluded.holder_backend_start,
			handover_to = NULL, released_at = NULL;
	-- the new leader is the leader member now; others read it from the lease
	PERFORM @extschema@.report_member(stream, p_node, 'leader', p_endpoint, last_seq, NULL);
	PERFORM pg_catalog.pg_notify('exchange_lease',
		pg_catalog.json_build_object('stream', stream, 'node', p_node, 'epoch', epoch,
									 'endpoint', p_endpoint)::text);
END
$$;
COMMENT ON FUNCTION @extschema@.acquire_lease(text, text, text, int) IS
	'matchd becoming the leader of a stream (created on first use): when the lease is open to p_node (none; its own; released, expired, its holder''s session gone, or superseded; a switchover''s target first), increments the stream''s epoch (fencing off the previous writer, as take_over_stream does) and records the lease (node, endpoint, lease_ms from now, the calling session as the holder).  Returns the stream, the new epoch and the last committed seq to catch up to.  PX008 when another node holds the lease; 22023 for a bad node name, endpoint or lease_ms.  Notifies exchange_lease on commit.';

CREATE FUNCTION @extschema@.renew_lease(p_stream int, p_node text, p_epoch bigint,
	p_lease_ms int, OUT expires_at timestamptz, OUT handover_to text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l			@extschema@.stream_leases;
	s_epoch		bigint;
	s_name		text;
BEGIN
	IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 50 AND 600000 THEN
		RAISE EXCEPTION 'renew_lease: lease_ms must be between 50 and 600000, not %', p_lease_ms
			USING ERRCODE = '22023';
	END IF;
	SELECT st.epoch, st.name INTO s_epoch, s_name FROM @extschema@.streams st WHERE st.stream = p_stream;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = p_stream FOR UPDATE;
	IF l.stream IS NULL OR l.node IS DISTINCT FROM p_node OR l.epoch <> p_epoch
	   OR s_epoch <> p_epoch OR l.released_at IS NOT NULL THEN
		RAISE EXCEPTION 'node "%" no longer leads stream "%": the lease is node "%"''s at epoch %, the stream at epoch %',
			p_node, coalesce(s_name, p_stream::text), l.node, l.epoch, s_epoch
			USING ERRCODE = 'PX001',
				  DETAIL = 'Another node took the stream over; this one is fenced off and must stop.';
	END IF;
	-- renewing after expiry is fine while nobody took the stream over: the epoch is unchanged
	UPDATE @extschema@.stream_leases sl
	   SET renewed_at = pg_catalog.clock_timestamp(),
		   expires_at = pg_catalog.clock_timestamp() + p_lease_ms * interval '1 ms',
		   lease_ms = p_lease_ms, holder_pid = pg_catalog.pg_backend_pid(),
		   holder_backend_start = @extschema@.own_backend_start()
	 WHERE sl.stream = p_stream
	RETURNING sl.expires_at, sl.handover_to INTO expires_at, handover_to;
END
$$;
COMMENT ON FUNCTION @extschema@.renew_lease(int, text, bigint, int) IS
	'The leader''s heartbeat: extends its lease to lease_ms from now and makes the calling session the holder''s (its end opens the lease at once).  PX001 when the lease is no longer (p_node, p_epoch): the caller was fenced off and must stop.  Returns the new expiry and handover_to, the node an operator asked to hand over to (NULL: none).';

CREATE FUNCTION @extschema@.release_lease(p_stream int, p_node text, p_epoch bigint)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE @extschema@.stream_leases sl
	   SET released_at = pg_catalog.clock_timestamp(), expires_at = pg_catalog.clock_timestamp()
	 WHERE sl.stream = p_stream AND sl.node = p_node AND sl.epoch = p_epoch
	   AND sl.released_at IS NULL;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM pg_catalog.pg_notify('exchange_lease',
		pg_catalog.json_build_object('stream', p_stream, 'node', p_node, 'epoch', p_epoch,
									 'released', true)::text);
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.release_lease(int, text, bigint) IS
	'The leader giving its lease up (clean stop, or a switchover after its last commit): a standby may acquire it at once (a switchover''s target first).  False when (p_node, p_epoch) does not hold it.  Notifies exchange_lease on commit.';

CREATE FUNCTION @extschema@.lease_open(p_stream int, p_node text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.lease_open_to(l, s.epoch, p_node)
	  FROM @extschema@.streams s
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE s.stream = p_stream
$$;
COMMENT ON FUNCTION @extschema@.lease_open(int, text) IS
	'Whether acquire_lease would grant p_node the stream''s lease now (what a standby polls; NULL for an unknown stream).';

CREATE FUNCTION @extschema@.report_member(p_stream int, p_node text, p_role text,
	p_endpoint text, p_applied_seq bigint, p_apply_delay_ms int)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_node(p_node, 'report_member');
	IF p_role IS NULL OR p_role NOT IN ('leader', 'standby') THEN
		RAISE EXCEPTION 'report_member: role must be leader or standby, not %', p_role
			USING ERRCODE = '22023';
	END IF;
	IF p_applied_seq IS NULL OR p_applied_seq < 0 OR p_endpoint IS NULL THEN
		RAISE EXCEPTION 'report_member: applied_seq must be >= 0 and endpoint not NULL'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.stream_members AS m VALUES
		(p_stream, p_node, p_role, p_endpoint, p_applied_seq, p_apply_delay_ms,
		 pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(), pg_catalog.pg_backend_pid(),
		 @extschema@.own_backend_start())
	ON CONFLICT (stream, node) DO UPDATE
		SET role = excluded.role, endpoint = excluded.endpoint,
			applied_seq = excluded.applied_seq, apply_delay_ms = excluded.apply_delay_ms,
			started_at = CASE WHEN m.role = excluded.role THEN m.started_at ELSE excluded.started_at END,
			heartbeat_at = excluded.heartbeat_at, backend_pid = excluded.backend_pid,
			backend_start = excluded.backend_start;
END
$$;
COMMENT ON FUNCTION @extschema@.report_member(int, text, text, text, bigint, int) IS
	'A matchd node''s heartbeat row in stream_members: its role, endpoint, applied seq and (standby) apply delay.  22023 for a bad node name, role or seq.';

------------------------------------------------------------------------------
-- Where the order functions find the leader (every role that calls them).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.leader_endpoint(p_name text, OUT endpoint text, OUT epoch bigint,
	OUT node text, OUT lease_state text)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.endpoint, l.epoch, l.node, @extschema@.lease_state(l, s.epoch)
	  FROM @extschema@.streams s
	  JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE s.name = p_name
$$;
COMMENT ON FUNCTION @extschema@.leader_endpoint(text) IS
	'The socket of the stream''s leader with its epoch, node and lease state (no row: no matchd ever led it under a lease).  The order functions call it when exchange.matchd_socket is empty, and again after a failed connection.';

------------------------------------------------------------------------------
-- Operators: who leads, since when, at which epoch, the standbys' lag, and a
-- clean switchover.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.matchd_leader(p_name text DEFAULT NULL)
RETURNS TABLE (stream_name text, node text, endpoint text, epoch bigint,
	leading_since timestamptz, lease_expires_at timestamptz, lease_state text,
	handover_to text, last_seq bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.name, l.node, l.endpoint, s.epoch, l.leading_since, l.expires_at,
		   @extschema@.lease_state(l, s.epoch), l.handover_to, s.last_seq
	  FROM @extschema@.streams s
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE p_name IS NULL OR s.name = p_name
	 ORDER BY s.name
$$;
COMMENT ON FUNCTION @extschema@.matchd_leader(text) IS
	'Who leads each stream (or p_name): node, endpoint, the stream''s epoch, since when, the lease''s expiry and state (none, held, handing_over, released, expired, holder_gone, superseded), a switchover under way, and the last committed seq.  NULL node: no matchd has led the stream under a lease.';

CREATE FUNCTION @extschema@.matchd_nodes(p_name text DEFAULT NULL)
RETURNS TABLE (stream_name text, node text, role text, endpoint text, is_leader boolean,
	alive boolean, applied_seq bigint, lag_events bigint, lag_ms bigint,
	apply_delay_ms int, heartbeat_at timestamptz, role_since timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.name, m.node, m.role, m.endpoint,
		   coalesce(l.node = m.node AND l.epoch = s.epoch AND l.released_at IS NULL, false),
		   @extschema@.session_alive(m.backend_pid, m.backend_start),
		   m.applied_seq, greatest(s.last_seq - m.applied_seq, 0),
		   CASE WHEN m.applied_seq >= s.last_seq THEN 0
				ELSE (SELECT (extract(epoch FROM pg_catalog.clock_timestamp() - j.ts) * 1000)::bigint
						FROM @extschema@.journal j
					   WHERE j.stream = s.stream AND j.seq = m.applied_seq + 1 AND j.idx = 0
					   LIMIT 1) END,
		   m.apply_delay_ms, m.heartbeat_at, m.started_at
	  FROM @extschema@.stream_members m
	  JOIN @extschema@.streams s ON s.stream = m.stream
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE p_name IS NULL OR s.name = p_name
	 ORDER BY s.name, m.role, m.node
$$;
COMMENT ON FUNCTION @extschema@.matchd_nodes(text) IS
	'Every matchd node of each stream (or p_name) as last reported: role, endpoint, whether it holds the lease now, whether its reporting session is alive, its applied seq, its lag behind the stream (lag_events; lag_ms: age of the oldest committed command it has not applied, 0 when caught up, as of its last report), its apply delay, its last heartbeat and since when it has had its role.';

CREATE FUNCTION @extschema@.request_switchover(p_name text, p_to_node text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		@extschema@.streams;
	l		@extschema@.stream_leases;
	target	text;
BEGIN
	SELECT * INTO s FROM @extschema@.streams st WHERE st.name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'request_switchover: unknown stream "%"', p_name USING ERRCODE = 'PX004';
	END IF;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = s.stream FOR UPDATE;
	IF @extschema@.lease_state(l, s.epoch) NOT IN ('held', 'handing_over') THEN
		RAISE EXCEPTION 'request_switchover: no matchd holds the lease of stream "%" (it is %)',
			p_name, @extschema@.lease_state(l, s.epoch)
			USING ERRCODE = 'PX009',
				  HINT = 'A standby takes over a lapsed lease by itself.';
	END IF;
	-- the target: the named node, or the most caught-up live standby
	SELECT m.node INTO target
	  FROM @extschema@.stream_members m
	 WHERE m.stream = s.stream AND m.role = 'standby' AND m.node <> l.node
	   AND (p_to_node IS NULL OR m.node = p_to_node)
	   AND @extschema@.session_alive(m.backend_pid, m.backend_start)
	 ORDER BY m.applied_seq DESC, m.heartbeat_at DESC
	 LIMIT 1;
	IF target IS NULL THEN
		RAISE EXCEPTION 'request_switchover: no live standby % to hand stream "%" over to',
			coalesce('"' || p_to_node || '"', ''), p_name
			USING ERRCODE = 'PX009',
				  HINT = 'Start matchd --standby on another node; exchange.matchd_nodes() lists them.';
	END IF;
	UPDATE @extschema@.stream_leases sl SET handover_to = target WHERE sl.stream = s.stream;
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.request_switchover(text, text) IS
	'Asks the leader of a stream to hand over to p_to_node (default: the most caught-up live standby); the leader sees it at its next heartbeat, stops taking requests, commits what it has, and releases the lease to the target.  Returns the target.  PX004 unknown stream; PX009 no lease held or no such live standby.  exchange.switchover() also waits for the new leader.';

-- No SET search_path: a procedure with one may not COMMIT; every name below is
-- qualified instead (operators resolve in pg_catalog first).
CREATE PROCEDURE @extschema@.switchover(p_name text, p_to_node text DEFAULT NULL,
	p_timeout_ms int DEFAULT 10000)
LANGUAGE plpgsql
AS $$
DECLARE
	target		text;
	old_epoch	bigint;
	started		timestamptz := pg_catalog.clock_timestamp();
	r			record;
BEGIN
	SELECT epoch INTO old_epoch FROM @extschema@.matchd_leader(p_name);
	target := @extschema@.request_switchover(p_name, p_to_node);
	COMMIT; -- the leader must see the request
	LOOP
		SELECT * INTO r FROM @extschema@.matchd_leader(p_name);
		IF r.node = target AND r.epoch > old_epoch AND r.lease_state = 'held' THEN
			RAISE NOTICE 'stream "%" is led by node "%" at epoch % after % ms', p_name, target,
				r.epoch, pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - started) * 1000);
			RETURN;
		END IF;
		IF pg_catalog.clock_timestamp() > started + p_timeout_ms * interval '1 ms' THEN
			RAISE EXCEPTION 'switchover of stream "%" to node "%" did not complete within % ms',
				p_name, target, p_timeout_ms
				USING ERRCODE = 'PX009',
					  DETAIL = pg_catalog.format('The lease is node %s''s at epoch %s (%s).',
												 r.node, r.epoch, r.lease_state);
		END IF;
		PERFORM pg_catalog.pg_sleep(0.01);
		COMMIT; -- a new snapshot for the next look
	END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.switchover(text, text, int) IS
	'A clean switchover (CALL it outside a transaction block): request_switchover(), then waits until the target leads at a new epoch, raising a NOTICE with the time it took; PX009 when it did not within p_timeout_ms.';

------------------------------------------------------------------------------
-- Privileges.
------------------------------------------------------------------------------
REVOKE ALL ON @extschema@.stream_leases, @extschema@.stream_members FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.session_alive(int, timestamptz),
	@extschema@.own_backend_start(),
	@extschema@.lease_state(@extschema@.stream_leases, bigint),
	@extschema@.lease_open_to(@extschema@.stream_leases, bigint, text),
	@extschema@.check_node(text, text),
	@extschema@.acquire_lease(text, text, text, int),
	@extschema@.renew_lease(int, text, bigint, int),
	@extschema@.release_lease(int, text, bigint),
	@extschema@.lease_open(int, text),
	@extschema@.report_member(int, text, text, text, bigint, int),
	@extschema@.leader_endpoint(text),
	@extschema@.matchd_leader(text),
	@extschema@.matchd_nodes(text),
	@extschema@.request_switchover(text, text),
	@extschema@.client_order(text, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.switchover(text, text, int) FROM PUBLIC;

GRANT SELECT ON @extschema@.stream_leases, @extschema@.stream_members
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.acquire_lease(text, text, text, int),
	@extschema@.renew_lease(int, text, bigint, int),
	@extschema@.release_lease(int, text, bigint),
	@extschema@.lease_open(int, text),
	@extschema@.report_member(int, text, text, text, bigint, int)
	TO exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.leader_endpoint(text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.matchd_leader(text), @extschema@.matchd_nodes(text)
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.request_switchover(text, text)
	TO exchange_admin, exchange_dba;
GRANT EXECUTE ON PROCEDURE @extschema@.switchover(text, text, int)
	TO exchange_admin, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.client_order(text, text)
	TO exchange_admin, exchange_broker, exchange_compliance, exchange_dba;

-- ==== sql/src/80_archival.sql
-- sql/src/80_archival.sql: closing a trading day into the archive: the
-- archive catalog, the day's checksums, archive_trading_day and what the DBA's
-- export does after it (scripts/archive-day.sh).  See docs/runbook.md.

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
SELECT pg_catalog.pg_extension_config_dump('@extschema@.archived_days', '');
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

-- ==== reporting/10_order_audit_trail.sql
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

-- ==== reporting/20_trade_blotter.sql
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

-- ==== reporting/30_daily_summary.sql
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

-- ==== reporting/40_positions_eod.sql
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

-- ==== reporting/50_tax_lots.sql
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

-- ==== reporting/60_settlement.sql
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

-- ==== reporting/70_resting_orders.sql
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

-- ==== reporting/75_surveillance.sql
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

-- ==== reporting/80_priority_audit.sql
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
