-- The book as of a past seq, rebuilt from the journal alone (journal_book,
-- order_book_l3_at, order_book_l2_at): time priority, amends that keep or lose
-- it, a re-priced order that trades as the taker and rests without a new
-- `accepted`, an IOC remainder that never rested, cancels and the close.
SET client_min_messages = warning;
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('market_data_test') \gset
SET exchange.matchd_stream = 'market_data_test';

-- seq 1..3: the symbol (tick 0.01) and two accounts
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'MDR',
		detail => '{"tick_size": 0.01}'),
	exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'MDR'),
	exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'r-a',
		detail => '{"broker": "postgres"}'),
	exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'r-a'),
	exchange.make_record(3, 0, 'open_account', '2026-11-23 13:00+00', account => 'r-b',
		detail => '{"broker": "postgres"}'),
	exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', account => 'r-b')]));

-- one order command and its events, the way matchd journals them
CREATE FUNCTION pg_temp.rest(s bigint, acct text, sd exchange.side, px bigint, qty bigint,
	tif exchange.time_in_force DEFAULT 'gtc')
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[
		exchange.make_record(s, 0, 'new_order', '2026-11-23 14:00+00'::timestamptz + s * interval '1 s',
			symbol => 'MDR', account => acct, order_id => s, side => sd, order_type => 'limit',
			time_in_force => tif, price => px, quantity => qty),
		exchange.make_record(s, 1, 'accepted', '2026-11-23 14:00+00'::timestamptz + s * interval '1 s',
			symbol => 'MDR', account => acct, order_id => s, side => sd, price => px,
			quantity => qty, remaining => qty, status => 'new')]
$$;

-- seq 4..6: bids 10.00 x 100 (r-a), 10.00 x 50 (r-b, behind it); ask 10.10 x 30
SELECT exchange.append_batch(:s, :e, 4, exchange.encode_batch(
	pg_temp.rest(4, 'r-a', 'buy', 1000, 100) || pg_temp.rest(5, 'r-b', 'buy', 1000, 50, 'day')
	|| pg_temp.rest(6, 'r-b', 'sell', 1010, 30)));
SELECT side, level, queue_position, price, order_id, quantity, account, as_of_seq
  FROM exchange.order_book_l3_at('MDR', 6::bigint);

-- seq 7: order 4 down to 80 keeps its place; seq 8: up to 120 goes behind order 5
SELECT exchange.append_batch(:s, :e, 7, exchange.encode_batch(ARRAY[
	exchange.make_record(7, 0, 'amend_order', '2026-11-23 14:00:07+00', symbol => 'MDR',
		account => 'r-a', order_id => 4, quantity => 80),
	exchange.make_record(7, 1, 'amended', '2026-11-23 14:00:07+00', symbol => 'MDR',
		account => 'r-a', order_id => 4, side => 'buy', price => 1000, quantity => 80,
		remaining => 80, reason => 'priority_kept'),
	exchange.make_record(8, 0, 'amend_order', '2026-11-23 14:00:08+00', symbol => 'MDR',
		account => 'r-a', order_id => 4, quantity => 120),
	exchange.make_record(8, 1, 'amended', '2026-11-23 14:00:08+00', symbol => 'MDR',
		account => 'r-a', order_id => 4, side => 'buy', price => 1000, quantity => 120,
		remaining => 120, reason => 'priority_lost')]));
SELECT side, level, queue_position, price, order_id, quantity
  FROM exchange.order_book_l3_at('MDR', 7::bigint);
SELECT side, level, queue_position, price, order_id, quantity
  FROM exchange.order_book_l3_at('MDR', 8::bigint);

-- seq 9: a sell of 60 at 10.00 fills order 5 (50) and 10 of order 4
SELECT exchange.append_batch(:s, :e, 9, exchange.encode_batch(ARRAY[
	exchange.make_record(9, 0, 'new_order', '2026-11-23 14:00:09+00', symbol => 'MDR',
		account => 'r-a', order_id => 9, side => 'sell', order_type => 'limit',
		time_in_force => 'day', price => 1000, quantity => 60),
	exchange.make_record(9, 1, 'trade', '2026-11-23 14:00:09+00', symbol => 'MDR',
		account => 'r-a', order_id => 9, side => 'sell', price => 1000, quantity => 50,
		remaining => 10, status => 'partially_filled', contra_order_id => 5,
		contra_account => 'r-b', contra_remaining => 0),
	exchange.make_record(9, 2, 'trade', '2026-11-23 14:00:09+00', symbol => 'MDR',
		account => 'r-a', order_id => 9, side => 'sell', price => 1000, quantity => 10,
		remaining => 0, status => 'filled', contra_order_id => 4,
		contra_account => 'r-a', contra_remaining => 110)]));
-- seq 10: the ask (order 6) re-priced to 10.00 x 130 trades 110 with order 4 as the
-- taker, and its remaining 20 rest at 10.00 with no new `accepted`
SELECT exchange.append_batch(:s, :e, 10, exchange.encode_batch(ARRAY[
	exchange.make_record(10, 0, 'amend_order', '2026-11-23 14:00:10+00', symbol => 'MDR',
		account => 'r-b', order_id => 6, price => 1000, quantity => 130),
	exchange.make_record(10, 1, 'amended', '2026-11-23 14:00:10+00', symbol => 'MDR',
		account => 'r-b', order_id => 6, side => 'sell', price => 1000, quantity => 130,
		remaining => 130, reason => 'priority_lost'),
	exchange.make_record(10, 2, 'trade', '2026-11-23 14:00:10+00', symbol => 'MDR',
		account => 'r-b', order_id => 6, side => 'sell', price => 1000, quantity => 110,
		remaining => 20, status => 'partially_filled', contra_order_id => 4,
		contra_account => 'r-a', contra_remaining => 0)]));
-- seq 11: an IOC buy at 9.90 finds nothing and never rests; seq 12: a day bid
SELECT exchange.append_batch(:s, :e, 11, exchange.encode_batch(ARRAY[
	exchange.make_record(11, 0, 'new_order', '2026-11-23 14:00:11+00', symbol => 'MDR',
		account => 'r-a', order_id => 11, side => 'buy', order_type => 'limit',
		time_in_force => 'ioc', price => 990, quantity => 5),
	exchange.make_record(11, 1, 'canceled', '2026-11-23 14:00:11+00', symbol => 'MDR',
		account => 'r-a', order_id => 11, side => 'buy', price => 990, quantity => 5,
		remaining => 0, status => 'canceled', reason => 'ioc_remainder')]
	|| pg_temp.rest(12, 'r-a', 'buy', 995, 7, 'day')));
SELECT side, level, queue_position, price, order_id, quantity, entered_at
  FROM exchange.order_book_l3_at('MDR', 9::bigint);
SELECT side, level, queue_position, price, order_id, quantity, entered_at
  FROM exchange.order_book_l3_at('MDR', 12::bigint);
SELECT * FROM exchange.order_book_l2_at('MDR', 12::bigint);
-- depth limits the levels; a time picks the last seq stamped at or before it
SELECT side, level, price, order_id FROM exchange.order_book_l3_at('MDR', 12::bigint, 1);
SELECT side, level, price, quantity, as_of_seq
  FROM exchange.order_book_l2_at('MDR', '2026-11-23 14:00:09.5+00'::timestamptz);

-- seq 13: order 6 canceled; seq 14: the close expires the day bid
SELECT exchange.append_batch(:s, :e, 13, exchange.encode_batch(ARRAY[
	exchange.make_record(13, 0, 'cancel_order', '2026-11-23 14:00:13+00', symbol => 'MDR',
		account => 'r-b', order_id => 6),
	exchange.make_record(13, 1, 'canceled', '2026-11-23 14:00:13+00', symbol => 'MDR',
		account => 'r-b', order_id => 6, side => 'sell', price => 1000, quantity => 20,
		remaining => 0, status => 'canceled', reason => 'user_cancel'),
	exchange.make_record(14, 0, 'market_close', '2026-11-23 21:00+00'),
	exchange.make_record(14, 1, 'expired', '2026-11-23 21:00+00', symbol => 'MDR',
		account => 'r-a', order_id => 12, side => 'buy', price => 995, quantity => 7,
		remaining => 0, status => 'expired', reason => 'day_expired'),
	exchange.make_record(14, 2, 'accepted', '2026-11-23 21:00+00', symbol => 'MDR',
		reason => 'closed')]));
SELECT count(*) AS resting_after_close FROM exchange.order_book_l3_at('MDR', 14::bigint);
SELECT count(*) AS resting_before_anything FROM exchange.order_book_l3_at('MDR', 3::bigint);

-- bad arguments
SELECT * FROM exchange.order_book_l3_at('NOPE', 14::bigint);
SELECT * FROM exchange.order_book_l2('MDR', 0);
SELECT * FROM exchange.matchd_candles('MDR', 5);
RESET exchange.matchd_stream;
