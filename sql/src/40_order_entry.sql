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
	'Sends a new order for an account of the calling role to matchd and returns it right after its own matching (id, creation_time, filled and remaining quantity, status, reject_reason).  Not transactional: it stands even if the caller''s transaction rolls back.  A market order''s day time in force is sent as ioc.  post_only: the order never takes liquidity; one that would cross is rejected (reject_reason post_only_would_cross), an amend of it too.  expire_time: required for time_in_force gtd and only there; matchd expires the order then (status expired, reject_reason gtd_expired).  order_type stop and stop_limit (1.9) need a stop_price (22004 without, 22023 on other types; on the tick, PX010): the order waits, in no book, until the last trade price reaches it (a buy at or above, a sell at or below), then enters as a market order (stop; ioc or fok, day sent as ioc; it trades within the market collar around its stop price, and a buy stop needs a collar: PX075 without) or as a limit order at price (stop_limit, any time in force); one whose stop the last trade has reached already is rejected (stop_would_trigger).  Its hold (cash at the limit or the collar, shares for a sell) is taken at entry; it can be amended (quantity; a stop_limit''s price) and canceled while it waits.  The stops reached by one command fire in that command: buy stops before sell stops, lowest buy stop and highest sell stop first, oldest first at one stop price, each seeing the last price the ones before it left (a cascade).  display_quantity, times in force at_open and at_close: not supported yet (0A000).  Errors: 22004, 22001/22023 (client_order_id), 22023 (post_only, expire_time, stop_price), 0A000, PX012, PX011, PX013, PX010, PX020, 42501, PX040, PX041, PX042.';

CREATE FUNCTION @extschema@.cancel_order(account text, order_id bigint)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_cancel_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.cancel_order(text, bigint) IS
	'Cancels an open order of an account of the calling role through matchd and returns the order''s row.  Not transactional.  PX030 for an order that is not open or not the account''s.';

CREATE FUNCTION @extschema@.cancel_all(account text, symbol text DEFAULT NULL)
RETURNS TABLE (id bigint, order_symbol text, side @extschema@.side, price numeric,
	canceled_quantity bigint)
AS 'MODULE_PATHNAME', 'exchange_cancel_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.cancel_all(text, text) IS
	'(1.8) Mass cancel: every open order of an account of the calling role (of one symbol, or of all when symbol is NULL) canceled by one sequenced command (journal kind mass_cancel, then one canceled event per order).  Returns one row per canceled order in the order matchd canceled them (symbols in listing order, bids then asks, best price first, oldest first); none when nothing was open.  Not transactional.  Errors: 22004, 42501 (not the caller''s account), PX020, PX040, PX041.';

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
	@extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz),
	@extschema@.cancel_order(text, bigint),
	@extschema@.cancel_all(text, text),
	@extschema@.amend_order(text, bigint, bigint, numeric),
	@extschema@.submit_orders(@extschema@.order_request[]),
	@extschema@.cancel_orders(text, bigint[]),
	@extschema@.add_symbol(text, numeric, bigint, text, numeric, text),
	@extschema@.executions(text, bigint, timestamptz, timestamptz)
	FROM PUBLIC;
REVOKE ALL ON @extschema@.execution_log FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	@extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz),
	@extschema@.cancel_order(text, bigint),
	@extschema@.cancel_all(text, text),
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
