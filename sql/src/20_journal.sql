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
	-- 1.8: a new order's options, typed (derived from detail at the append)
	post_only			boolean,
	expire_time			timestamptz,
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
COMMENT ON COLUMN @extschema@.journal.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
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
	detail				json,
	post_only			boolean,
	expire_time			timestamptz
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
			   reason, client_order_id, detail, NULL::boolean, NULL::timestamptz)::@extschema@.journal_record
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
				detail, post_only, expire_time)::@extschema@.journal_record ORDER BY seq, idx), '{}'))
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
-- (1.8) in C, extension/append.c: the same checks, errors, projections and
-- notifications in the same order as the PL/pgSQL body of 1.1 to 1.7, in one
-- pass and three prepared statements (the stream's row lock, the day's
-- counters, the stream's position); journal_partition and
-- project_reference_data run only when a day's partitions are missing or the
-- batch has reference-data commands.
CREATE OR REPLACE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
	p_batch bytea, p_wallets bytea)
RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_append_batch'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
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
