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
	   -- 1.8: an order's expiry is not a command about its account
	   AND c.kind::text <> 'expire_order'
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
