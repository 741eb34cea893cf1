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

-- The journal's columns by name, price_numeric and currency, then (1.8) the
-- columns added to the journal since, so that an upgraded view (which can
-- only grow at its end) and a fresh one are the same.
CREATE OR REPLACE VIEW @extschema@.journal_prices WITH (security_barrier) AS
	SELECT j.stream, j.seq, j.idx, j.epoch, j.trading_day, j.ts, j.kind, j.symbol, j.account,
		   j.order_id, j.side, j.order_type, j.time_in_force, j.price, j.quantity, j.remaining,
		   j.status, j.contra_order_id, j.contra_account, j.contra_remaining, j.amount,
		   j.reason, j.client_order_id, j.detail,
		   @extschema@.ticks_to_price(j.price, s.tick_size) AS price_numeric,
		   s.currency, j.post_only, j.expire_time
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
