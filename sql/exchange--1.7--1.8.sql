-- exchange 1.7 -> 1.8: new order types in the matching core (issue 21),
-- first post-only and good-till-date (docs/matching-core.md).
--
-- Labels appended to the enumerations (their wire numbers follow label
-- order, include/exchange_wire.h): order_type stop and stop_limit,
-- time_in_force gtd, at_open and at_close, event_kind expire_order (the
-- sequencer's expiry of a gtd order).  stop, stop_limit, at_open and
-- at_close are reserved: matchd and submit_order refuse them (0A000) until
-- the stop orders and the auctions exist.
--
-- submit_order gains the named, optional arguments stop_price,
-- display_quantity, post_only and expire_time.  CREATE OR REPLACE cannot
-- add arguments (it would create a second function beside the first, and a
-- call with the old arguments would be ambiguous between the two), so the
-- old one is dropped and the new one created with its comment and
-- privileges; calls with the old arguments (positional or named) are
-- unchanged.
--
-- The journal gains two typed columns, post_only and expire_time, that
-- append_batch fills from a new order's detail (the detail stays the
-- record's truth: it travels in the batch); exchange_archive.journal and
-- journal_record follow, journal_history shows them (CREATE OR REPLACE VIEW
-- may append columns), make_record and read_batch build the longer record.
-- Rows appended before 1.8 keep NULL there (no new order had options).
--
-- account_log leaves out expire_order (a label after 'expired', but a
-- command about an order, not an account).  The current definitions are in
-- sql/src/10_roles_types.sql, 40_order_entry.sql and 50_order_manager.sql.
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.8'" to load this file. \quit

-- a new label cannot be used in the transaction that adds it: nothing below
-- uses one as a value of the type (account_log compares the label as text)
ALTER TYPE @extschema@.order_type ADD VALUE 'stop';
ALTER TYPE @extschema@.order_type ADD VALUE 'stop_limit';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'gtd';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'at_open';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'at_close';
ALTER TYPE @extschema@.event_kind ADD VALUE 'expire_order';
COMMENT ON TYPE @extschema@.order_type IS
	'limit: trades at its price or better and may rest; market: trades at the best prices available and never rests; stop, stop_limit (1.8): reserved for stop orders, not accepted yet (0A000).';
COMMENT ON TYPE @extschema@.time_in_force IS
	'day: expires at the close; gtc: good till cancelled; ioc: immediate or cancel; fok: fill or kill (all at once or nothing); gtd (1.8): good till its expire_time, then expired by matchd''s sequencer; at_open, at_close (1.8): reserved for the auctions, not accepted yet (0A000).';
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order, then expire_order (1.8: the sequencer expires a good-till-date order).';

DROP FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric,
	@extschema@.order_type, @extschema@.time_in_force, text);
CREATE FUNCTION @extschema@.submit_order(account text, symbol text, side @extschema@.side,
	quantity bigint, price numeric DEFAULT NULL,
	order_type @extschema@.order_type DEFAULT 'limit',
	time_in_force @extschema@.time_in_force DEFAULT 'day',
	client_order_id text DEFAULT NULL,
	stop_price numeric DEFAULT NULL,
	display_quantity bigint DEFAULT NULL,
	post_only boolean DEFAULT false,
	expire_time timestamptz DEFAULT NULL)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_submit_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) IS
	'Sends a new order for an account of the calling role to matchd and returns it right after its own matching (id, creation_time, filled and remaining quantity, status, reject_reason).  Not transactional: it stands even if the caller''s transaction rolls back.  A market order''s day time in force is sent as ioc.  post_only: the order never takes liquidity; one that would cross is rejected (reject_reason post_only_would_cross), an amend of it too.  expire_time: required for time_in_force gtd and only there; matchd expires the order then (status expired, reject_reason gtd_expired).  stop_price, display_quantity, order types stop and stop_limit, times in force at_open and at_close: not supported yet (0A000).  Errors: 22004, 22001/22023 (client_order_id), 22023 (post_only, expire_time), 0A000, PX012, PX011, PX013, PX010, PX020, 42501, PX040, PX041, PX042.';
REVOKE ALL ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) TO exchange_broker;

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


ALTER TABLE @extschema@.journal ADD COLUMN post_only boolean, ADD COLUMN expire_time timestamptz;
ALTER TABLE exchange_archive.journal ADD COLUMN post_only boolean,
	ADD COLUMN expire_time timestamptz;
COMMENT ON COLUMN @extschema@.journal.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
ALTER TYPE @extschema@.journal_record ADD ATTRIBUTE post_only boolean,
	ADD ATTRIBUTE expire_time timestamptz;
CREATE OR REPLACE VIEW @extschema@.journal_history AS
	SELECT * FROM @extschema@.journal
	UNION ALL
	SELECT * FROM exchange_archive.journal;
CREATE OR REPLACE FUNCTION @extschema@.make_record(
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
COMMENT ON COLUMN @extschema@.journal_history.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal_history.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
COMMENT ON COLUMN @extschema@.journal_prices.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal_prices.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
COMMENT ON COLUMN exchange_archive.journal.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN exchange_archive.journal.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
