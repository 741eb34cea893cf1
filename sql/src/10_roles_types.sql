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

CREATE TYPE @extschema@.order_type AS ENUM ('limit', 'market', 'stop', 'stop_limit');
COMMENT ON TYPE @extschema@.order_type IS
	'limit: trades at its price or better and may rest; market: trades at the best prices available and never rests; stop, stop_limit (1.8): reserved for stop orders, not accepted yet (0A000).';

CREATE TYPE @extschema@.time_in_force AS ENUM ('day', 'gtc', 'ioc', 'fok', 'gtd', 'at_open', 'at_close');
COMMENT ON TYPE @extschema@.time_in_force IS
	'day: expires at the close; gtc: good till cancelled; ioc: immediate or cancel; fok: fill or kill (all at once or nothing); gtd (1.8): good till its expire_time, then expired by matchd''s sequencer; at_open, at_close (1.8): reserved for the auctions, not accepted yet (0A000).';

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
	'credit_shares', 'debit_shares', 'set_account_limits', 'set_symbol_limits',
	-- 1.8: every open order of an account (of one symbol), one command (25)
	'mass_cancel',
	-- 1.8: matchd's sequencer expires a good-till-date order (26)
	'expire_order',
	-- 1.9: an event: a stop order's trigger was reached, it enters (27)
	'triggered');
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order, then mass_cancel (1.8), expire_order (1.8: the sequencer expires a good-till-date order) and the event triggered (1.9: the last trade price reached a stop order''s stop price, which is the record''s price; the order''s trades, rest or cancel follow).';

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
