-- exchange--1.0.sql
-- The exchange's system of record: types, reference data, the journal and its
-- sequencer.  See docs/architecture.md for how these fit with matchd.

\echo Use "CREATE EXTENSION exchange" to load this file. \quit

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
	'accepted', 'rejected', 'trade', 'canceled', 'amended', 'expired');
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).';

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
COMMENT ON TABLE @extschema@.journal_days IS
	'Per stream and trading day: the seq range and record counts the sequencer appended, against which archival verifies a day.';
COMMENT ON COLUMN @extschema@.journal_days.first_seq IS 'First seq of the day in this stream.';
COMMENT ON COLUMN @extschema@.journal_days.last_seq IS 'Last seq of the day in this stream.';
COMMENT ON COLUMN @extschema@.journal_days.commands IS 'Commands (idx 0 records) of the day; equals last_seq - first_seq + 1.';
COMMENT ON COLUMN @extschema@.journal_days.records IS 'All records (commands and events) of the day.';

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

CREATE INDEX journal_ts_brin ON @extschema@.journal USING brin (ts);
CREATE INDEX journal_order_id ON @extschema@.journal (order_id) WHERE order_id IS NOT NULL;
COMMENT ON INDEX @extschema@.journal_ts_brin IS 'Time-range scans of a day (reports, candles).';
COMMENT ON INDEX @extschema@.journal_order_id IS 'Point lookups of one order''s history.';

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
	listed_at		timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.symbols IS
	'Listed symbols: a projection of add_symbol, halt and resume commands in the journal.  The tick size of a symbol never changes (relist to change it).';
COMMENT ON COLUMN @extschema@.symbols.tick_size IS 'Smallest price increment; journal prices are integer multiples of it.';
COMMENT ON COLUMN @extschema@.symbols.lot_size IS 'Quantities must be multiples of this many shares.';
COMMENT ON COLUMN @extschema@.symbols.currency IS 'ISO 4217 currency of prices and settlement.';
COMMENT ON COLUMN @extschema@.symbols.reference_price IS 'Reference price for price bands before the first trade.';
COMMENT ON COLUMN @extschema@.symbols.description IS 'Name of the instrument, for people.';
COMMENT ON COLUMN @extschema@.symbols.status IS 'active or halted.';
COMMENT ON COLUMN @extschema@.symbols.stream IS 'Stream (matching shard) that trades the symbol.';
COMMENT ON COLUMN @extschema@.symbols.listed_seq IS 'Seq of the add_symbol command.';
COMMENT ON COLUMN @extschema@.symbols.listed_at IS 'Sequencer time of the add_symbol command.';

CREATE TABLE @extschema@.accounts (
	account		text PRIMARY KEY CHECK (account ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
	broker		name NOT NULL,
	kyc_status	@extschema@.kyc_status NOT NULL DEFAULT 'pending',
	stream		int NOT NULL REFERENCES @extschema@.streams,
	opened_seq	bigint NOT NULL,
	opened_at	timestamptz NOT NULL
);
CREATE INDEX accounts_broker ON @extschema@.accounts (broker);
COMMENT ON TABLE @extschema@.accounts IS
	'Trading accounts: a projection of open_account commands.  Each belongs to the login role of one broker.';
COMMENT ON COLUMN @extschema@.accounts.broker IS 'Role name of the broker that owns the account; members of that role act for it.';
COMMENT ON COLUMN @extschema@.accounts.kyc_status IS 'Know-your-client state.';
COMMENT ON COLUMN @extschema@.accounts.opened_seq IS 'Seq of the open_account command.';
COMMENT ON COLUMN @extschema@.accounts.opened_at IS 'Sequencer time of the open_account command.';
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

ALTER TABLE @extschema@.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_staff ON @extschema@.accounts FOR SELECT
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba USING (true);
CREATE POLICY accounts_broker ON @extschema@.accounts FOR SELECT
	TO exchange_broker USING (@extschema@.is_account_owner(broker));
COMMENT ON POLICY accounts_staff ON @extschema@.accounts IS 'Exchange staff and the engine see every account.';
COMMENT ON POLICY accounts_broker ON @extschema@.accounts IS 'A broker sees only the accounts its role owns.';

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
CREATE FUNCTION @extschema@.journal_partition(p_day date)
RETURNS regclass
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	part text := pg_catalog.format('journal_%s', pg_catalog.to_char(p_day, 'YYYYMMDD'));
	rel regclass := pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', part));
BEGIN
	IF rel IS NULL THEN
		EXECUTE pg_catalog.format(
			'CREATE TABLE @extschema@.%I PARTITION OF @extschema@.journal FOR VALUES FROM (%L) TO (%L)',
			part, p_day, p_day + 1);
		EXECUTE pg_catalog.format('COMMENT ON TABLE @extschema@.%I IS %L', part,
			pg_catalog.format('Journal partition of trading day %s.', p_day));
		rel := pg_catalog.format('@extschema@.%I', part)::regclass;
	END IF;
	RETURN rel;
END
$$;
COMMENT ON FUNCTION @extschema@.journal_partition(date) IS
	'The journal partition of a trading day, created when missing.';

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

CREATE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
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
	'Appends a batch of journal records to a stream, all or nothing.  Rejects a stale epoch (PX001), a seq gap (PX002), a duplicate seq (PX003), an unknown stream (PX004), a malformed batch (PX005) and an earlier trading day (PX006).  Notifies channel exchange_journal on commit.  Returns the last seq appended.';

CREATE FUNCTION @extschema@.project_reference_data(p_stream int, p_first_seq bigint, p_last_seq bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	-- Only commands the engine accepted change reference data.
	FOR c IN
		SELECT cmd.*
		  FROM @extschema@.journal cmd
		 WHERE cmd.stream = p_stream AND cmd.seq BETWEEN p_first_seq AND p_last_seq AND cmd.idx = 0
		   AND cmd.kind IN ('add_symbol', 'open_account', 'halt', 'resume')
		   AND EXISTS (SELECT 1 FROM @extschema@.journal ev
						WHERE ev.stream = cmd.stream AND ev.seq = cmd.seq AND ev.idx > 0
						  AND ev.trading_day = cmd.trading_day AND ev.kind = 'accepted')
		 ORDER BY cmd.seq
	LOOP
		CASE c.kind
		WHEN 'add_symbol' THEN
			INSERT INTO @extschema@.symbols (symbol, tick_size, lot_size, currency, reference_price,
											 description, stream, listed_seq, listed_at)
			VALUES (c.symbol, (c.detail->>'tick_size')::numeric,
					coalesce((c.detail->>'lot_size')::bigint, 1),
					coalesce(c.detail->>'currency', 'USD'),
					(c.detail->>'reference_price')::numeric, c.detail->>'description',
					p_stream, c.seq, c.ts);
		WHEN 'open_account' THEN
			INSERT INTO @extschema@.accounts (account, broker, kyc_status, stream, opened_seq, opened_at)
			VALUES (c.account, c.detail->>'broker',
					coalesce(c.detail->>'kyc_status', 'pending')::@extschema@.kyc_status,
					p_stream, c.seq, c.ts);
		WHEN 'halt' THEN
			UPDATE @extschema@.symbols SET status = 'halted' WHERE symbol = c.symbol;
		WHEN 'resume' THEN
			UPDATE @extschema@.symbols SET status = 'active' WHERE symbol = c.symbol;
		END CASE;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.project_reference_data(int, bigint, bigint) IS
	'Applies the accepted reference-data commands of a seq range to symbols and accounts (called by append_batch in the same transaction).';

CREATE FUNCTION @extschema@.read_stream(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS SETOF @extschema@.journal
LANGUAGE sql STABLE
AS $$
	-- seq is gapless, so the next n commands are exactly the range (after, after + n].
	SELECT * FROM @extschema@.journal
	 WHERE stream = p_stream AND seq > p_after_seq AND seq <= p_after_seq + p_max_commands
	 ORDER BY seq, idx
$$;
COMMENT ON FUNCTION @extschema@.read_stream(int, bigint, int) IS
	'The records of the next p_max_commands commands after p_after_seq, in (seq, idx) order.  A reader that tails with the last seq it saw never skips a record, because appends commit in seq order.';

CREATE FUNCTION @extschema@.read_batch(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS bytea
LANGUAGE sql STABLE
AS $$
	SELECT @extschema@.encode_batch(coalesce(array_agg(
			ROW(seq, idx, trading_day, ts, kind, symbol, account, order_id, side, order_type,
				time_in_force, price, quantity, remaining, status, contra_order_id,
				contra_account, contra_remaining, amount, reason, client_order_id,
				detail)::@extschema@.journal_record ORDER BY seq, idx), '{}'))
	  FROM @extschema@.journal
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

CREATE VIEW @extschema@.journal_prices WITH (security_barrier) AS
	SELECT j.*, @extschema@.ticks_to_price(j.price, s.tick_size) AS price_numeric,
		   s.currency
	  FROM @extschema@.journal j
	  LEFT JOIN @extschema@.symbols s USING (symbol);
COMMENT ON VIEW @extschema@.journal_prices IS
	'The journal with prices as numeric in the symbol''s currency (price_numeric) for analysts.';

-- pg_dump keeps the data of these extension tables (journal partitions are
-- created at run time, are not extension members, and are dumped as tables).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.streams', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.journal_days', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.symbols', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.accounts', '');

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
