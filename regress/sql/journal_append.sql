-- Appending batches through the sequencer: epochs, seqs, partitions, day counts.
SET timezone = 'UTC';

SELECT * FROM exchange.take_over_stream('append_test');
SELECT stream AS s FROM exchange.streams WHERE name = 'append_test' \gset

-- a first batch: two commands, one with two events
SELECT exchange.append_batch(:s, 1, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'new_order', '2026-11-23 14:30:00+00', symbol => 'AAPL',
        account => 'a1', order_id => 1, side => 'sell', order_type => 'limit',
        time_in_force => 'day', price => 10000, quantity => 100),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 14:30:00+00', symbol => 'AAPL',
        account => 'a1', order_id => 1, remaining => 100, status => 'new'),
    exchange.make_record(2, 0, 'new_order', '2026-11-23 14:30:01+00', symbol => 'AAPL',
        account => 'a2', order_id => 2, side => 'buy', order_type => 'limit',
        time_in_force => 'ioc', price => 10000, quantity => 40),
    exchange.make_record(2, 1, 'trade', '2026-11-23 14:30:01+00', symbol => 'AAPL',
        account => 'a2', order_id => 2, side => 'buy', price => 10000, quantity => 40,
        remaining => 0, status => 'filled', contra_order_id => 1, contra_account => 'a1',
        contra_remaining => 60)])) AS last_seq;

SELECT stream = :s AS same_stream, seq, idx, epoch, trading_day, ts, kind, symbol, account,
       order_id, side, order_type, time_in_force, price, quantity, remaining, status,
       contra_order_id, contra_account, contra_remaining
  FROM exchange.journal WHERE stream = :s ORDER BY seq, idx;

-- the next batch continues at seq 3; a new trading day gets its own partition
SELECT exchange.append_batch(:s, 1, 3, exchange.encode_batch(ARRAY[
    exchange.make_record(3, 0, 'market_close', '2026-11-23 21:00:00+00'),
    exchange.make_record(3, 1, 'expired', '2026-11-23 21:00:00+00', order_id => 1,
        quantity => 60, remaining => 0, status => 'expired', reason => 'market_close'),
    exchange.make_record(4, 0, 'market_open', '2026-11-24 14:30:00+00')])) AS last_seq;

SELECT tableoid::regclass AS partition, count(*) FROM exchange.journal
 WHERE stream = :s GROUP BY 1 ORDER BY 1;
SELECT trading_day, first_seq, last_seq, commands, records
  FROM exchange.journal_days WHERE stream = :s ORDER BY trading_day;
SELECT epoch, last_seq, last_trading_day, last_ts, records
  FROM exchange.streams WHERE stream = :s;
SELECT * FROM exchange.stream_position(:s);

-- a take-over increments the epoch and continues from the last seq
SELECT epoch, last_seq FROM exchange.take_over_stream('append_test');
SELECT exchange.append_batch(:s, 2, 5, exchange.encode_batch(ARRAY[
    exchange.make_record(5, 0, 'cancel_order', '2026-11-24 14:31:00+00', account => 'a2',
        order_id => 99),
    exchange.make_record(5, 1, 'rejected', '2026-11-24 14:31:00+00', account => 'a2',
        order_id => 99, reason => 'unknown_order')])) AS last_seq;
SELECT seq, idx, epoch, kind FROM exchange.journal WHERE stream = :s AND seq >= 4 ORDER BY seq, idx;

-- a batch of 10,000 commands is one call and lands whole
SELECT exchange.append_batch(:s, 2, 6, exchange.encode_batch(array_agg(
    exchange.make_record(g, 0, 'new_order', '2026-11-24 15:00:00+00'::timestamptz + g * interval '1 ms',
        symbol => 'AAPL', account => 'a' || (g % 7), order_id => g, side => 'buy',
        order_type => 'limit', time_in_force => 'gtc', price => 9000 + g % 50, quantity => 100)
    ORDER BY g))) AS last_seq
  FROM generate_series(6, 10005) g;
SELECT count(*), min(seq), max(seq), count(DISTINCT seq) FROM exchange.journal
 WHERE stream = :s AND trading_day = '2026-11-24';
SELECT trading_day, first_seq, last_seq, commands, records
  FROM exchange.journal_days WHERE stream = :s ORDER BY trading_day;

-- a batch spanning two days updates both day rows and creates the partition
SELECT exchange.append_batch(:s, 2, 10006, exchange.encode_batch(ARRAY[
    exchange.make_record(10006, 0, 'market_close', '2026-11-24 21:00:00+00'),
    exchange.make_record(10007, 0, 'market_open', '2026-11-25 14:30:00+00'),
    exchange.make_record(10008, 0, 'halt', '2026-11-25 14:31:00+00', symbol => 'ZZZ'),
    exchange.make_record(10008, 1, 'rejected', '2026-11-25 14:31:00+00', symbol => 'ZZZ',
        reason => 'unknown_symbol')])) AS last_seq;
SELECT trading_day, first_seq, last_seq, commands, records
  FROM exchange.journal_days WHERE stream = :s ORDER BY trading_day;
-- the day counts always agree with the journal itself
SELECT d.trading_day, d.commands = j.commands AND d.records = j.records
       AND d.first_seq = j.first_seq AND d.last_seq = j.last_seq AS consistent
  FROM exchange.journal_days d
  JOIN (SELECT trading_day, count(*) FILTER (WHERE idx = 0) AS commands, count(*) AS records,
               min(seq) AS first_seq, max(seq) AS last_seq
          FROM exchange.journal WHERE stream = :s GROUP BY 1) j USING (trading_day)
 WHERE d.stream = :s ORDER BY 1;
