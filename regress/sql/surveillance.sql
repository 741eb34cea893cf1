-- Market surveillance and the price-time priority audit over a crafted journal
-- (no matchd) with known answers.  Day A (2026-11-23) is clean -- including
-- look-alikes of violations that are legitimate: an amend that kept priority
-- (size decrease), one that lost it (size increase), an order filled earlier
-- in the same sweep, an STP-cancelled order, an IOC remainder, a day order
-- expired at the close -- and every report is empty.  Day B (2026-11-24)
-- holds injected cases: a same-account and a same-broker wash trade, a spoof
-- and a layering pattern, marking the close, an order-to-trade outlier, and
-- priority violations of both kinds (plus a trade against an order that was
-- not resting, and one away from the maker's price).
SET client_min_messages = warning;
-- A database of its own: the reports read every stream of a day, and other
-- tests journal the same days in the shared regression database.
SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_surveillance;
\c regress_surveillance
SET client_min_messages = warning;
CREATE EXTENSION exchange;
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('surveillance_test') \gset

-- one order command, and one resting (command + accepted)
CREATE FUNCTION pg_temp.new_order(s bigint, ts timestamptz, acct text, sym text,
	sd exchange.side, px bigint, qty bigint, tif exchange.time_in_force DEFAULT 'gtc')
RETURNS exchange.journal_record LANGUAGE sql AS $$
	SELECT exchange.make_record(s, 0, 'new_order', ts, symbol => sym, account => acct,
		order_id => s, side => sd, order_type => 'limit', time_in_force => tif, price => px,
		quantity => qty)
$$;
CREATE FUNCTION pg_temp.rest(s bigint, ts timestamptz, acct text, sym text,
	sd exchange.side, px bigint, qty bigint, tif exchange.time_in_force DEFAULT 'gtc')
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[pg_temp.new_order(s, ts, acct, sym, sd, px, qty, tif),
		exchange.make_record(s, 1, 'accepted', ts, symbol => sym, account => acct,
			order_id => s, side => sd, price => px, quantity => qty, remaining => qty,
			status => 'new')]
$$;
-- one execution: the taker (order, account, side, remaining) and the maker
CREATE FUNCTION pg_temp.trade(s bigint, i int, ts timestamptz, sym text, acct text,
	oid bigint, sd exchange.side, px bigint, qty bigint, rem bigint, m_oid bigint,
	m_acct text, m_rem bigint)
RETURNS exchange.journal_record LANGUAGE sql AS $$
	SELECT exchange.make_record(s, i, 'trade', ts, symbol => sym, account => acct,
		order_id => oid, side => sd, price => px, quantity => qty, remaining => rem,
		status => CASE WHEN rem = 0 THEN 'filled' ELSE 'partially_filled' END::exchange.order_status,
		contra_order_id => m_oid, contra_account => m_acct, contra_remaining => m_rem)
$$;
-- an IOC order that trades once and is done
CREATE FUNCTION pg_temp.ioc(s bigint, ts timestamptz, acct text, sym text, sd exchange.side,
	px bigint, qty bigint, m_oid bigint, m_acct text, m_rem bigint, trade_px bigint DEFAULT NULL)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[pg_temp.new_order(s, ts, acct, sym, sd, px, qty, 'ioc'),
		pg_temp.trade(s, 1, ts, sym, acct, s, sd, coalesce(trade_px, px), qty, 0, m_oid, m_acct, m_rem)]
$$;
-- the owner cancels an order
CREATE FUNCTION pg_temp.cancel(s bigint, ts timestamptz, acct text, sym text, oid bigint,
	sd exchange.side, px bigint, qty bigint)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[exchange.make_record(s, 0, 'cancel_order', ts, symbol => sym, account => acct,
			order_id => oid),
		exchange.make_record(s, 1, 'canceled', ts, symbol => sym, account => acct,
			order_id => oid, side => sd, price => px, quantity => qty, remaining => 0,
			status => 'canceled', reason => 'user_cancel')]
$$;
-- the market opens or closes: one accepted status event per symbol
CREATE FUNCTION pg_temp.session(s bigint, ts timestamptz, k exchange.event_kind, status text,
	first_idx int DEFAULT 1)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[exchange.make_record(s, 0, k, ts)]
		|| array_agg(exchange.make_record(s, (first_idx + n - 1)::int, 'accepted', ts, symbol => sym,
						reason => status) ORDER BY n)
	  FROM unnest(ARRAY['SVA', 'SVB', 'SVC']) WITH ORDINALITY AS x (sym, n)
$$;

------------------------------------------------------------------------------
-- Day A, 2026-11-23: reference data, then clean trading in SVA
------------------------------------------------------------------------------
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'SVA',
		detail => '{"tick_size": 0.01}'),
	exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'SVA'),
	exchange.make_record(2, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'SVB',
		detail => '{"tick_size": 0.01}'),
	exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'SVB'),
	exchange.make_record(3, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'SVC',
		detail => '{"tick_size": 0.01}'),
	exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'SVC')]
	|| (SELECT array_agg(r ORDER BY (r).seq, (r).idx)
		  FROM (VALUES (4, 'a1', 'brk_one'), (5, 'a2', 'brk_one'), (6, 'b1', 'brk_two'),
					   (7, 'b2', 'brk_two'), (8, 'c1', 'brk_three')) AS a (s, acct, broker),
			   LATERAL (VALUES
					(exchange.make_record(a.s, 0, 'open_account', '2026-11-23 13:00+00',
						account => a.acct, detail => json_build_object('broker', a.broker))),
					(exchange.make_record(a.s, 1, 'accepted', '2026-11-23 13:00+00',
						account => a.acct))) AS x (r))
	|| pg_temp.session(9, '2026-11-23 13:30+00', 'market_open', 'open')));
SELECT account, broker FROM exchange.accounts ORDER BY account;

SELECT exchange.append_batch(:s, :e, 10, exchange.encode_batch(
	-- bids 10.00 x 100 (a1), 10.00 x 50 (b1, behind), 9.99 x 40 (c1); ask 10.05 x 30 (b2)
	pg_temp.rest(10, '2026-11-23 14:00:10+00', 'a1', 'SVA', 'buy', 1000, 100)
	|| pg_temp.rest(11, '2026-11-23 14:00:11+00', 'b1', 'SVA', 'buy', 1000, 50)
	|| pg_temp.rest(12, '2026-11-23 14:00:12+00', 'c1', 'SVA', 'buy', 999, 40)
	|| pg_temp.rest(13, '2026-11-23 14:00:13+00', 'b2', 'SVA', 'sell', 1005, 30)
	-- 14: order 10 down to 80 keeps its place ...
	|| ARRAY[exchange.make_record(14, 0, 'amend_order', '2026-11-23 14:00:14+00', symbol => 'SVA',
			account => 'a1', order_id => 10, quantity => 80),
		exchange.make_record(14, 1, 'amended', '2026-11-23 14:00:14+00', symbol => 'SVA',
			account => 'a1', order_id => 10, side => 'buy', price => 1000, quantity => 80,
			remaining => 80, reason => 'priority_kept')]
	-- ... so 15: a sell of 60 at 10.00 fills order 10 before order 11
	|| ARRAY[pg_temp.new_order(15, '2026-11-23 14:00:15+00', 'c1', 'SVA', 'sell', 1000, 60),
		pg_temp.trade(15, 1, '2026-11-23 14:00:15+00', 'SVA', 'c1', 15, 'sell', 1000, 60, 0, 10, 'a1', 20)]
	-- 16: order 10 up to 70 loses it: behind order 11 at the amend
	|| ARRAY[exchange.make_record(16, 0, 'amend_order', '2026-11-23 14:00:16+00', symbol => 'SVA',
			account => 'a1', order_id => 10, quantity => 70),
		exchange.make_record(16, 1, 'amended', '2026-11-23 14:00:16+00', symbol => 'SVA',
			account => 'a1', order_id => 10, side => 'buy', price => 1000, quantity => 70,
			remaining => 70, reason => 'priority_lost')]
	-- 17: a sell of 60 fills order 11 (50), then 10 of order 10
	|| ARRAY[pg_temp.new_order(17, '2026-11-23 14:00:17+00', 'c1', 'SVA', 'sell', 1000, 60),
		pg_temp.trade(17, 1, '2026-11-23 14:00:17+00', 'SVA', 'c1', 17, 'sell', 1000, 50, 10, 11, 'b1', 0),
		pg_temp.trade(17, 2, '2026-11-23 14:00:17+00', 'SVA', 'c1', 17, 'sell', 1000, 10, 0, 10, 'a1', 60)]
	-- 18: ask 10.06 x 20 (b1); 19: an IOC buy of 40 at 10.06 fills the 10.05 ask
	-- whole, then 10 at 10.06: the better ask was filled earlier in the sweep
	|| pg_temp.rest(18, '2026-11-23 14:00:18+00', 'b1', 'SVA', 'sell', 1006, 20)
	|| ARRAY[pg_temp.new_order(19, '2026-11-23 14:00:19+00', 'a2', 'SVA', 'buy', 1006, 40, 'ioc'),
		pg_temp.trade(19, 1, '2026-11-23 14:00:19+00', 'SVA', 'a2', 19, 'buy', 1005, 30, 10, 13, 'b2', 0),
		pg_temp.trade(19, 2, '2026-11-23 14:00:19+00', 'SVA', 'a2', 19, 'buy', 1006, 10, 0, 18, 'b1', 10)]
	-- 20, 21: asks 10.07 x 10 (c1), then (b1); 22: c1 buys 20 at 10.07: 10 at
	-- 10.06, its own 10.07 ask is cancelled by STP, then b1's behind it
	|| pg_temp.rest(20, '2026-11-23 14:00:20+00', 'c1', 'SVA', 'sell', 1007, 10)
	|| pg_temp.rest(21, '2026-11-23 14:00:21+00', 'b1', 'SVA', 'sell', 1007, 10)
	|| ARRAY[pg_temp.new_order(22, '2026-11-23 14:00:22+00', 'c1', 'SVA', 'buy', 1007, 20, 'ioc'),
		pg_temp.trade(22, 1, '2026-11-23 14:00:22+00', 'SVA', 'c1', 22, 'buy', 1006, 10, 10, 18, 'b1', 0),
		exchange.make_record(22, 2, 'canceled', '2026-11-23 14:00:22+00', symbol => 'SVA',
			account => 'c1', order_id => 20, side => 'sell', price => 1007, quantity => 10,
			remaining => 0, status => 'canceled', reason => 'stp_cancel_oldest'),
		pg_temp.trade(22, 3, '2026-11-23 14:00:22+00', 'SVA', 'c1', 22, 'buy', 1007, 10, 0, 21, 'b1', 0)]
	-- 23: an IOC that finds nothing never rests; 24: a day ask 10.08 x 25 (b2)
	|| ARRAY[pg_temp.new_order(23, '2026-11-23 14:00:23+00', 'a2', 'SVA', 'buy', 990, 5, 'ioc'),
		exchange.make_record(23, 1, 'canceled', '2026-11-23 14:00:23+00', symbol => 'SVA',
			account => 'a2', order_id => 23, side => 'buy', price => 990, quantity => 5,
			remaining => 0, status => 'canceled', reason => 'ioc_remainder')]
	|| pg_temp.rest(24, '2026-11-23 14:00:24+00', 'b2', 'SVA', 'sell', 1008, 25, 'day')
	-- 25: the close expires the day order; gtc bids 10 and 12 stay for day B
	|| ARRAY[exchange.make_record(25, 0, 'market_close', '2026-11-23 21:00+00'),
		exchange.make_record(25, 1, 'expired', '2026-11-23 21:00+00', symbol => 'SVA',
			account => 'b2', order_id => 24, side => 'sell', price => 1008, quantity => 25,
			remaining => 0, status => 'expired', reason => 'day_expired')]
	|| (pg_temp.session(25, '2026-11-23 21:00+00', 'market_close', 'closed', 2))[2:]));

-- The episodes of day A's orders: 10 has two (the kept amend is no new one,
-- the lost amend is), 20 left by STP, the IOCs 19, 22, 23 never rested, 24
-- expired; 10 and 12 still rest after the day.
SELECT order_id, account, side, price, quantity, priority_seq AS p_seq, priority_idx AS p_idx,
	   entered_day, left_seq, left_idx, left_day, left_by, left_reason
  FROM exchange.resting_orders('2026-11-23')
 ORDER BY order_id, priority_seq;

-- the clean day: every report is empty, with their defaults
SELECT * FROM exchange.priority_violations('2026-11-23');
SELECT * FROM exchange.wash_trades('2026-11-23');
SELECT * FROM exchange.spoofing_alerts('2026-11-23');
SELECT * FROM exchange.marking_the_close('2026-11-23');
SELECT * FROM exchange.order_to_trade_ratios('2026-11-23');
-- not for want of data: day A's ratios, unflagged
SELECT trading_day, account, broker, new_orders, cancels, amends, messages, executions, ratio,
	   day_median_ratio, flagged, flagged_by
  FROM exchange.order_to_trade_ratios('2026-11-23', only_flagged => false);

------------------------------------------------------------------------------
-- Day B, 2026-11-24
------------------------------------------------------------------------------
SELECT exchange.append_batch(:s, :e, 26, exchange.encode_batch(
	pg_temp.session(26, '2026-11-24 13:30+00', 'market_open', 'open')
	-- asks 10.05 x 10: b1 (27), then c1 (28)
	|| pg_temp.rest(27, '2026-11-24 14:00:27+00', 'b1', 'SVA', 'sell', 1005, 10)
	|| pg_temp.rest(28, '2026-11-24 14:00:28+00', 'c1', 'SVA', 'sell', 1005, 10)
	-- INJECTED 29: a sell at 9.99 trades with c1's 9.99 bid (12) while a1's
	-- 10.00 bid (10, resting since day A) is better: better_price
	|| pg_temp.ioc(29, '2026-11-24 14:00:29+00', 'b2', 'SVA', 'sell', 999, 5, 12, 'c1', 35)
	-- INJECTED 30: a buy at 10.05 trades with c1's ask (28) while b1's (27)
	-- has earlier time priority at the same price: earlier_time
	|| pg_temp.ioc(30, '2026-11-24 14:00:30+00', 'a2', 'SVA', 'buy', 1005, 5, 28, 'c1', 5)
	-- 31: a legitimate sell into the best bid
	|| pg_temp.ioc(31, '2026-11-24 14:00:31+00', 'b2', 'SVA', 'sell', 1000, 10, 10, 'a1', 50)
	-- INJECTED 32: a1 sells to its own bid: same account (STP would cancel it)
	|| pg_temp.ioc(32, '2026-11-24 14:00:32+00', 'a1', 'SVA', 'sell', 1000, 5, 10, 'a1', 45)
	-- 33: a2 sells to a1: two accounts of broker brk_one
	|| pg_temp.ioc(33, '2026-11-24 14:00:33+00', 'a2', 'SVA', 'sell', 1000, 5, 10, 'a1', 40)
	-- SPOOF: 34 b1 bids 500 at the touch (10.00), 35 sells 20 into the bids
	-- (a1's, ahead), 36 cancels the bid 2 s after placing it; 37 sells again
	-- 7 s after the cancel (outside the default 5 s window)
	|| pg_temp.rest(34, '2026-11-24 14:01:00+00', 'b1', 'SVA', 'buy', 1000, 500)
	|| pg_temp.ioc(35, '2026-11-24 14:01:01+00', 'b1', 'SVA', 'sell', 1000, 20, 10, 'a1', 20)
	|| pg_temp.cancel(36, '2026-11-24 14:01:02+00', 'b1', 'SVA', 34, 'buy', 1000, 500)
	|| pg_temp.ioc(37, '2026-11-24 14:01:09+00', 'b1', 'SVA', 'sell', 1000, 5, 10, 'a1', 15)
	-- look-alike: b2 bids 300 three ticks below the touch, sells, cancels
	-- after 30 s (too deep and too long for the defaults)
	|| pg_temp.rest(38, '2026-11-24 14:01:10+00', 'b2', 'SVA', 'buy', 997, 300)
	|| pg_temp.ioc(39, '2026-11-24 14:01:11+00', 'b2', 'SVA', 'sell', 1000, 5, 10, 'a1', 10)
	|| pg_temp.cancel(40, '2026-11-24 14:01:40+00', 'b2', 'SVA', 38, 'buy', 997, 300)
	-- look-alike: a2 bids 400 at the touch and cancels after 2 s without
	-- trading the other side
	|| pg_temp.rest(41, '2026-11-24 14:02:00+00', 'a2', 'SVA', 'buy', 1000, 400)
	|| pg_temp.cancel(42, '2026-11-24 14:02:02+00', 'a2', 'SVA', 41, 'buy', 1000, 400)
	-- LAYERING in SVB: bid 10.00 (a1), ask 10.03 (b2); c1 layers asks of 200
	-- at 10.03, 10.04, 10.05, buys 10 at 10.03 (b2's ask, first in line),
	-- cancels the three 4 s after each was placed
	|| pg_temp.rest(43, '2026-11-24 14:10:00+00', 'a1', 'SVB', 'buy', 1000, 10)
	|| pg_temp.rest(44, '2026-11-24 14:10:01+00', 'b2', 'SVB', 'sell', 1003, 10)
	|| pg_temp.rest(45, '2026-11-24 14:10:02+00', 'c1', 'SVB', 'sell', 1003, 200)
	|| pg_temp.rest(46, '2026-11-24 14:10:03+00', 'c1', 'SVB', 'sell', 1004, 200)
	|| pg_temp.rest(47, '2026-11-24 14:10:04+00', 'c1', 'SVB', 'sell', 1005, 200)
	|| pg_temp.ioc(48, '2026-11-24 14:10:05+00', 'c1', 'SVB', 'buy', 1003, 10, 44, 'b2', 0)
	|| pg_temp.cancel(49, '2026-11-24 14:10:06+00', 'c1', 'SVB', 45, 'sell', 1003, 200)
	|| pg_temp.cancel(50, '2026-11-24 14:10:07+00', 'c1', 'SVB', 46, 'sell', 1004, 200)
	|| pg_temp.cancel(51, '2026-11-24 14:10:08+00', 'c1', 'SVB', 47, 'sell', 1005, 200)));

-- ORDER-TO-TRADE: a2 places and cancels sixty 1-lot SVC bids (120 messages)
SELECT exchange.append_batch(:s, :e, 52, exchange.encode_batch(
	(SELECT array_agg(r ORDER BY (r).seq, (r).idx)
	   FROM generate_series(0, 59) AS g (n),
			LATERAL unnest(pg_temp.rest(52 + 2 * n, '2026-11-24 15:00+00'::timestamptz + n * interval '1 s',
						   'a2', 'SVC', 'buy', 500, 1)
					|| pg_temp.cancel(53 + 2 * n, '2026-11-24 15:00:00.5+00'::timestamptz + n * interval '1 s',
						   'a2', 'SVC', 52 + 2 * n, 'buy', 500, 1)) AS r)));

SELECT exchange.append_batch(:s, :e, 172, exchange.encode_batch(
	-- INJECTED 172: a trade against b1's bid 34, cancelled at 36: no such maker
	pg_temp.ioc(172, '2026-11-24 16:00:00+00', 'c1', 'SVA', 'sell', 1000, 5, 34, 'b1', 495)
	-- INJECTED 173: a trade with a1's 10.00 bid at 9.99, not at the maker's price
	|| pg_temp.ioc(173, '2026-11-24 16:00:01+00', 'b2', 'SVA', 'sell', 999, 5, 10, 'a1', 5, 999)
	-- MARKING THE CLOSE in SVB: last trade before the window 10.03 (seq 48);
	-- in the last 5 minutes a1 buys 5 at 10.10, then c1 buys 20 through 10.15
	-- to 10.20, the closing price
	|| pg_temp.rest(174, '2026-11-24 20:56:00+00', 'b2', 'SVB', 'sell', 1010, 5)
	|| pg_temp.ioc(175, '2026-11-24 20:56:10+00', 'a1', 'SVB', 'buy', 1010, 5, 174, 'b2', 0)
	|| pg_temp.rest(176, '2026-11-24 20:56:20+00', 'b2', 'SVB', 'sell', 1015, 10)
	|| pg_temp.rest(177, '2026-11-24 20:56:30+00', 'b2', 'SVB', 'sell', 1020, 10)
	|| ARRAY[pg_temp.new_order(178, '2026-11-24 20:57:00+00', 'c1', 'SVB', 'buy', 1020, 20, 'ioc'),
		pg_temp.trade(178, 1, '2026-11-24 20:57:00+00', 'SVB', 'c1', 178, 'buy', 1015, 10, 10, 176, 'b2', 0),
		pg_temp.trade(178, 2, '2026-11-24 20:57:00+00', 'SVB', 'c1', 178, 'buy', 1020, 10, 0, 177, 'b2', 0)]
	|| pg_temp.session(179, '2026-11-24 21:00+00', 'market_close', 'closed')));

------------------------------------------------------------------------------
-- Priority audit
------------------------------------------------------------------------------
-- day B: the two injected violations (the first bypassed order named), the
-- trade against an order that had left, the trade away from the maker's price
SELECT seq, idx, symbol, price, quantity, taker_order_id, taker_account, maker_order_id,
	   maker_account, maker_price, maker_priority_seq AS m_pseq, maker_priority_idx AS m_pidx,
	   bypassed_order_id AS byp, bypassed_account AS byp_acct, bypassed_price AS byp_price,
	   bypassed_priority_seq AS b_pseq, bypassed_priority_idx AS b_pidx, rule
  FROM exchange.priority_violations('2026-11-24');
-- both days: the same (day A stays clean); one symbol; a day without trades
SELECT trading_day, seq, idx, rule FROM exchange.priority_violations('2026-11-23', '2026-11-24');
SELECT seq, rule FROM exchange.priority_violations('2026-11-23', '2026-11-24', 'SVB');
SELECT count(*) FROM exchange.priority_violations('2026-11-25');
-- the better_price violation is seen only because order 10 rests from day A:
-- its episodes as of day B
SELECT order_id, price, priority_seq, priority_idx, entered_day, left_seq, left_by
  FROM exchange.resting_orders('2026-11-24', only_symbol => 'SVA')
 WHERE order_id IN (10, 12) ORDER BY order_id, priority_seq;
-- the episodes agree with the book journal_book rebuilds after every seq of
-- SVA, up to the injected trade 172 against a cancelled order, which
-- journal_book (no audit) takes for a fill that leaves the order resting
SELECT min(seq), max(seq), count(*) AS seqs_differing
  FROM generate_series(9, 179) AS g (seq)
 WHERE EXISTS (
		(SELECT order_id, price_ticks, priority_seq, priority_idx FROM exchange.journal_book('SVA', g.seq)
		 EXCEPT
		 SELECT order_id, price_ticks, priority_seq, priority_idx
		   FROM exchange.resting_orders('2026-11-23', '2026-11-24', 'SVA')
		  WHERE priority_seq <= g.seq AND (left_seq IS NULL OR left_seq > g.seq))
		UNION ALL
		(SELECT order_id, price_ticks, priority_seq, priority_idx
		   FROM exchange.resting_orders('2026-11-23', '2026-11-24', 'SVA')
		  WHERE priority_seq <= g.seq AND (left_seq IS NULL OR left_seq > g.seq)
		 EXCEPT
		 SELECT order_id, price_ticks, priority_seq, priority_idx FROM exchange.journal_book('SVA', g.seq)));

------------------------------------------------------------------------------
-- Wash trades
------------------------------------------------------------------------------
SELECT trading_day, executed_at, seq, idx, symbol, price, quantity, buy_account, buy_order_id,
	   sell_account, sell_order_id, buy_broker, sell_broker, category
  FROM exchange.wash_trades('2026-11-24');
SELECT seq, category FROM exchange.wash_trades('2026-11-23', '2026-11-24', include_same_broker => false);
SELECT count(*) FROM exchange.wash_trades('2026-11-24', only_symbol => 'SVB');

------------------------------------------------------------------------------
-- Spoofing and layering
------------------------------------------------------------------------------
SELECT trading_day, symbol, account, order_id, side, price, quantity, median_quantity,
	   touch_price, ticks_from_touch, entered_at, canceled_at, lifetime, opposite_trades,
	   opposite_quantity, layered_orders, category
  FROM exchange.spoofing_alerts('2026-11-24');
-- the sale 7 s after the cancel counts with a 10 s window
SELECT order_id, opposite_trades, opposite_quantity, category
  FROM exchange.spoofing_alerts('2026-11-24', trade_window => '10 seconds', only_symbol => 'SVA');
-- b2's bid: 3 ticks behind, 30 s: both limits must allow it
SELECT order_id, ticks_from_touch, lifetime FROM exchange.spoofing_alerts('2026-11-24',
	max_lifetime => '1 minute', only_symbol => 'SVA');
SELECT order_id, ticks_from_touch, lifetime FROM exchange.spoofing_alerts('2026-11-24',
	max_ticks_from_touch => 3, only_symbol => 'SVA');
SELECT order_id, ticks_from_touch, lifetime, category FROM exchange.spoofing_alerts('2026-11-24',
	max_lifetime => '1 minute', max_ticks_from_touch => 3, only_symbol => 'SVA');
-- sizes: 500 >= 100 x median 5; not >= 101 x 5; min_quantity alone; the layers are
-- spoofing when 4 layers are required; 1 tick from the touch leaves the 10.05 layer out
SELECT order_id, quantity FROM exchange.spoofing_alerts('2026-11-24', size_multiple => 100, only_symbol => 'SVA');
SELECT order_id, quantity FROM exchange.spoofing_alerts('2026-11-24', size_multiple => 101, only_symbol => 'SVA');
SELECT order_id, quantity FROM exchange.spoofing_alerts('2026-11-24', min_quantity => 201,
	size_multiple => NULL);
SELECT order_id, layered_orders, category FROM exchange.spoofing_alerts('2026-11-24',
	layering_min_orders => 4, only_symbol => 'SVB');
SELECT order_id, ticks_from_touch, layered_orders, category FROM exchange.spoofing_alerts('2026-11-24',
	max_ticks_from_touch => 1, only_symbol => 'SVB');

------------------------------------------------------------------------------
-- Marking the close
------------------------------------------------------------------------------
SELECT * FROM exchange.marking_the_close('2026-11-24');
-- a1's 5 of 25 is a share of 0.2
SELECT symbol, account, aggressive_volume, share, did_closing_trade
  FROM exchange.marking_the_close('2026-11-24', min_share => 0.2);
-- a move of 169.49 bps is below 170; a window of 3 min 45 s starts after a1's
-- trade, which sets the price before it
SELECT count(*) FROM exchange.marking_the_close('2026-11-24', min_move_bps => 170);
SELECT symbol, window_start, pre_window_price, close_price, move_bps, window_trades, window_volume,
	   account, share
  FROM exchange.marking_the_close('2026-11-24', close_window => '3 minutes 45 seconds', min_share => 0.2);

------------------------------------------------------------------------------
-- Order-to-trade ratios
------------------------------------------------------------------------------
SELECT * FROM exchange.order_to_trade_ratios('2026-11-24');
SELECT account, messages, executions, ratio, day_median_ratio, flagged, flagged_by
  FROM exchange.order_to_trade_ratios('2026-11-24', only_flagged => false);
-- the thresholds: more messages required; a higher ratio; the median criterion alone
SELECT count(*) FROM exchange.order_to_trade_ratios('2026-11-24', min_messages => 125);
SELECT account, flagged_by FROM exchange.order_to_trade_ratios('2026-11-24', max_ratio => 100);
SELECT account, flagged_by FROM exchange.order_to_trade_ratios('2026-11-24', max_ratio => NULL,
	median_multiple => 30);
SELECT account, messages, ratio, flagged_by FROM exchange.order_to_trade_ratios('2026-11-24',
	min_messages => 5, max_ratio => 1.5, median_multiple => NULL);

------------------------------------------------------------------------------
-- Bad arguments: a clear error, nothing else
------------------------------------------------------------------------------
\set VERBOSITY sqlstate
SELECT * FROM exchange.priority_violations(NULL);
SELECT * FROM exchange.priority_violations('2026-11-24', '2026-11-23');
SELECT * FROM exchange.priority_violations('2026-11-24', only_symbol => 'NOPE');
SELECT * FROM exchange.resting_orders(NULL);
SELECT * FROM exchange.wash_trades('2026-11-24', include_same_broker => NULL);
SELECT * FROM exchange.spoofing_alerts('2026-11-24', min_quantity => NULL, size_multiple => NULL);
SELECT * FROM exchange.spoofing_alerts('2026-11-24', max_ticks_from_touch => -1);
SELECT * FROM exchange.spoofing_alerts('2026-11-24', max_lifetime => '0 s');
SELECT * FROM exchange.spoofing_alerts('2026-11-24', layering_min_orders => 1);
SELECT * FROM exchange.spoofing_alerts('2026-11-24', trade_window => NULL);
SELECT * FROM exchange.marking_the_close('2026-11-24', min_share => 1.5);
SELECT * FROM exchange.marking_the_close('2026-11-24', close_window => '-5 minutes');
SELECT * FROM exchange.marking_the_close('2026-11-24', min_move_bps => NULL);
SELECT * FROM exchange.order_to_trade_ratios('2026-11-24', min_messages => 0);
SELECT * FROM exchange.order_to_trade_ratios('2026-11-24', max_ratio => 0);
SELECT * FROM exchange.order_to_trade_ratios('2026-11-24', only_flagged => NULL);
\set VERBOSITY default

\c :regress_db
DROP DATABASE regress_surveillance;
