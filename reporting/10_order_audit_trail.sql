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
		   r.client_order_id,
		   -- (1.9) the options of a new order, from its command's detail; a
		   -- triggered event's price is its stop price
		   @extschema@.ticks_to_price(r.stop_ticks, s.tick_size) AS stop_price,
		   r.post_only, r.expire_time
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
				   j.client_order_id,
				   CASE WHEN j.kind = 'new_order' THEN (j.detail ->> 'stop_price')::bigint
						-- as text: ALTER EXTENSION UPDATE adds the label in this
						-- same transaction, where it cannot be used as a value yet
						WHEN j.kind::text = 'triggered' THEN j.price END AS stop_ticks,
				   j.post_only, j.expire_time
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
				   NULL, 'maker', j.seq * 2097152 + j.idx * 2 + 1, j.account, NULL,
				   NULL::bigint, NULL::boolean, NULL::timestamptz
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
COMMENT ON COLUMN @extschema@.order_records.order_type IS 'Order type as the record states it (maker rows: limit, the type of every resting order; a triggered stop_limit rests as a limit).';
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
COMMENT ON COLUMN @extschema@.order_records.stop_price IS '(1.9) Stop price in the symbol''s currency: of a stop or stop_limit new_order command (its detail), and of its triggered event; else NULL.';
COMMENT ON COLUMN @extschema@.order_records.post_only IS '(1.9) new_order commands: true for a post-only order, else NULL.';
COMMENT ON COLUMN @extschema@.order_records.expire_time IS '(1.9) new_order commands: the expire time of a good-till-date order, else NULL.';

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
