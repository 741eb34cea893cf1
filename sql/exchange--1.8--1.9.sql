-- exchange 1.8 -> 1.9: stop and stop-limit orders (issue 21).
--
-- submit_order's order types stop and stop_limit, with stop_price, are now
-- accepted (they were refused with 0A000): matchd's order manager holds for
-- them at entry and the core keeps them in its stop book until the last trade
-- price reaches the stop.  The journal gains the event kind `triggered`; the
-- events about a stop still waiting (accepted, amended, canceled, expired)
-- carry the detail {"stop": true}, so that the books rebuilt from the
-- journal (journal_book, resting_orders and the reports built on them, the
-- priority audit among them) leave waiting stops out.  The one current
-- definition is in sql/src/ (10, 40, 60) and reporting/70_resting_orders.sql.
--
-- order_records (reporting/10_order_audit_trail.sql), the brokers' view of
-- their orders' records, gains stop_price, post_only and expire_time (at the
-- end, so CREATE OR REPLACE keeps its grants and dependents).

ALTER TYPE @extschema@.event_kind ADD VALUE 'triggered';
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order, then mass_cancel (1.8), expire_order (1.8: the sequencer expires a good-till-date order) and the event triggered (1.9: the last trade price reached a stop order''s stop price, which is the record''s price; the order''s trades, rest or cancel follow).';

COMMENT ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) IS
	'Sends a new order for an account of the calling role to matchd and returns it right after its own matching (id, creation_time, filled and remaining quantity, status, reject_reason).  Not transactional: it stands even if the caller''s transaction rolls back.  A market order''s day time in force is sent as ioc.  post_only: the order never takes liquidity; one that would cross is rejected (reject_reason post_only_would_cross), an amend of it too.  expire_time: required for time_in_force gtd and only there; matchd expires the order then (status expired, reject_reason gtd_expired).  order_type stop and stop_limit (1.9) need a stop_price (22004 without, 22023 on other types; on the tick, PX010): the order waits, in no book, until the last trade price reaches it (a buy at or above, a sell at or below), then enters as a market order (stop; ioc or fok, day sent as ioc; it trades within the market collar around its stop price, and a buy stop needs a collar: PX075 without) or as a limit order at price (stop_limit, any time in force); one whose stop the last trade has reached already is rejected (stop_would_trigger).  Its hold (cash at the limit or the collar, shares for a sell) is taken at entry; it can be amended (quantity; a stop_limit''s price) and canceled while it waits.  The stops reached by one command fire in that command: buy stops before sell stops, lowest buy stop and highest sell stop first, oldest first at one stop price, each seeing the last price the ones before it left (a cascade).  display_quantity, times in force at_open and at_close: not supported yet (0A000).  Errors: 22004, 22001/22023 (client_order_id), 22023 (post_only, expire_time, stop_price), 0A000, PX012, PX011, PX013, PX010, PX020, 42501, PX040, PX041, PX042.';

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
		   -- (1.9) not about a stop waiting in the stop book: such records
		   -- alone carry a detail ({"stop": true}) among these kinds
		   AND (j.kind = 'trade' OR j.detail IS NULL)
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
	'Every order of a symbol resting after seq p_as_of_seq of the symbol''s stream, rebuilt from the journal alone (no matchd): side, price in ticks, open quantity, entry time, account and its time priority (the seq/idx of its latest accepted or priority-losing amend).  Stop orders waiting for their trigger are in no book (their records carry the detail {"stop": true}); a triggered stop-limit that rests enters at its accepted record.  The building block of order_book_l3_at/order_book_l2_at.';

CREATE OR REPLACE FUNCTION @extschema@.resting_orders(start_day date, end_day date DEFAULT NULL,
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
		   -- (1.9) a stop waiting in the stop book is in no book: its
		   -- records alone carry a detail among these kinds
		   AND (j.kind = 'trade' OR j.detail IS NULL)
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
	'Every episode of an order in the book that overlaps trading days start_day..end_day (end_day NULL: start_day alone), rebuilt from journal_history alone: an episode begins when the order rests (`accepted`: priority = that record''s seq/idx) or is re-priced (an amend with reason priority_lost: the back of the queue at the amend''s seq/idx; a re-priced order may trade as the taker and rest without a new `accepted`) and ends at its next re-pricing or when it leaves the book (a trade as taker or maker that leaves 0, a cancel, an expiry).  Amends that keep priority and partial fills do not end an episode; IOC/FOK/market remainders never rest; a stop order waiting for its trigger is in no book (its records carry the detail {"stop": true}), and a triggered stop-limit that rests begins an episode at its accepted record.  Orders resting from earlier days (gtc) are found by reading the days before start_day.  Columns: price in ticks and numeric, quantity open when the episode began, priority_seq/idx (= where it began), left_seq/idx/at/day/by/reason (the record that ended it: trade (left_reason filled), canceled or expired with their reason, amended = re-priced; NULL: still resting after end_day).  only_symbol NULL: every symbol.  Errors: 22004 start_day NULL, 22023 end_day before start_day, PX020 unknown symbol.  Compliance, admin and dba only.';

CREATE OR REPLACE VIEW @extschema@.order_records WITH (security_barrier) AS
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
