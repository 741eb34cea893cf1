-- exchange.executions() and exchange.execution_log: one row per side of each
-- journal trade, prices in numeric, filters, row-level security; book versions.
SET timezone = 'UTC';

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_broker_a') THEN
        CREATE ROLE regress_ex_broker_a LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_broker_b') THEN
        CREATE ROLE regress_ex_broker_b LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_desk_a') THEN
        CREATE ROLE regress_ex_desk_a LOGIN IN ROLE regress_ex_broker_a;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_analyst') THEN
        CREATE ROLE regress_ex_analyst LOGIN IN ROLE exchange_compliance;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_admin') THEN
        CREATE ROLE regress_ex_admin LOGIN IN ROLE exchange_admin;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_ex_nobody') THEN
        CREATE ROLE regress_ex_nobody LOGIN;
    END IF;
END $$;

SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('executions_test') \gset

-- listings and accounts
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'EXA',
        detail => '{"tick_size": 0.05, "lot_size": 10}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'EXA'),
    exchange.make_record(2, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'EXB',
        detail => '{"tick_size": 0.0001}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'EXB'),
    exchange.make_record(3, 0, 'open_account', '2026-11-23 13:00+00', account => 'ex-a1',
        detail => '{"broker": "regress_ex_broker_a"}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', account => 'ex-a1'),
    exchange.make_record(4, 0, 'open_account', '2026-11-23 13:00+00', account => 'ex-a2',
        detail => '{"broker": "regress_ex_broker_a"}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:00+00', account => 'ex-a2'),
    exchange.make_record(5, 0, 'open_account', '2026-11-23 13:00+00', account => 'ex-b1',
        detail => '{"broker": "regress_ex_broker_b"}'),
    exchange.make_record(5, 1, 'accepted', '2026-11-23 13:00+00', account => 'ex-b1')]));
SELECT symbol, book_version, book_seq FROM exchange.symbols WHERE stream = :s ORDER BY symbol;

-- two resting sells, then a market buy that takes both (two trades in one seq)
SELECT exchange.append_batch(:s, :e, 6, exchange.encode_batch(ARRAY[
    exchange.make_record(6, 0, 'new_order', '2026-11-23 14:00+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 6, side => 'sell', order_type => 'limit', time_in_force => 'day', price => 250, quantity => 100),
    exchange.make_record(6, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 6, side => 'sell', price => 250, quantity => 100, remaining => 100, status => 'new'),
    exchange.make_record(7, 0, 'new_order', '2026-11-23 14:01+00', symbol => 'EXA', account => 'ex-a1',
        order_id => 7, side => 'sell', order_type => 'limit', time_in_force => 'gtc', price => 251, quantity => 50),
    exchange.make_record(7, 1, 'accepted', '2026-11-23 14:01+00', symbol => 'EXA', account => 'ex-a1',
        order_id => 7, side => 'sell', price => 251, quantity => 50, remaining => 50, status => 'new'),
    exchange.make_record(8, 0, 'new_order', '2026-11-23 14:02+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 8, side => 'buy', order_type => 'market', time_in_force => 'ioc', quantity => 120),
    exchange.make_record(8, 1, 'trade', '2026-11-23 14:02+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 8, side => 'buy', price => 250, quantity => 100, remaining => 20,
        status => 'partially_filled', contra_order_id => 6, contra_account => 'ex-b1', contra_remaining => 0),
    exchange.make_record(8, 2, 'trade', '2026-11-23 14:02+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 8, side => 'buy', price => 251, quantity => 20, remaining => 0,
        status => 'filled', contra_order_id => 7, contra_account => 'ex-a1', contra_remaining => 30)]));

-- later: a limit buy crosses ex-a1's rest; then an amend that crosses (the taker
-- is a resting order, so a limit order); a rejected order changes no book
SELECT exchange.append_batch(:s, :e, 9, exchange.encode_batch(ARRAY[
    exchange.make_record(9, 0, 'new_order', '2026-11-23 15:00+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 9, side => 'buy', order_type => 'limit', time_in_force => 'day', price => 252, quantity => 30),
    exchange.make_record(9, 1, 'trade', '2026-11-23 15:00+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 9, side => 'buy', price => 251, quantity => 30, remaining => 0,
        status => 'filled', contra_order_id => 7, contra_account => 'ex-a1', contra_remaining => 0),
    exchange.make_record(10, 0, 'new_order', '2026-11-23 15:01+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 10, side => 'sell', order_type => 'limit', time_in_force => 'day', price => 260, quantity => 10),
    exchange.make_record(10, 1, 'accepted', '2026-11-23 15:01+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 10, side => 'sell', price => 260, quantity => 10, remaining => 10, status => 'new'),
    exchange.make_record(11, 0, 'new_order', '2026-11-23 15:02+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 11, side => 'buy', order_type => 'limit', time_in_force => 'day', price => 255, quantity => 10),
    exchange.make_record(11, 1, 'accepted', '2026-11-23 15:02+00', symbol => 'EXA', account => 'ex-b1',
        order_id => 11, side => 'buy', price => 255, quantity => 10, remaining => 10, status => 'new'),
    exchange.make_record(12, 0, 'amend_order', '2026-11-23 15:03+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 10, price => 255, quantity => 10),
    exchange.make_record(12, 1, 'amended', '2026-11-23 15:03+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 10, side => 'sell', price => 255, quantity => 10, reason => 'priority_lost'),
    exchange.make_record(12, 2, 'trade', '2026-11-23 15:03+00', symbol => 'EXA', account => 'ex-a2',
        order_id => 10, side => 'sell', price => 255, quantity => 10, remaining => 0,
        status => 'filled', contra_order_id => 11, contra_account => 'ex-b1', contra_remaining => 0),
    exchange.make_record(13, 0, 'new_order', '2026-11-23 15:04+00', symbol => 'EXB', account => 'ex-a1',
        order_id => 13, side => 'buy', order_type => 'limit', time_in_force => 'day', price => 12345, quantity => 7),
    exchange.make_record(13, 1, 'rejected', '2026-11-23 15:04+00', symbol => 'EXB', account => 'ex-a1',
        order_id => 13, side => 'buy', price => 12345, quantity => 7, reason => 'session_closed', status => 'rejected')]));

-- a trade of the other symbol, for the symbol filter
SELECT exchange.append_batch(:s, :e, 14, exchange.encode_batch(ARRAY[
    exchange.make_record(14, 0, 'new_order', '2026-11-23 16:00+00', symbol => 'EXB', account => 'ex-a1',
        order_id => 14, side => 'sell', order_type => 'limit', time_in_force => 'day', price => 12345, quantity => 7),
    exchange.make_record(14, 1, 'accepted', '2026-11-23 16:00+00', symbol => 'EXB', account => 'ex-a1',
        order_id => 14, side => 'sell', price => 12345, quantity => 7, remaining => 7, status => 'new'),
    exchange.make_record(15, 0, 'new_order', '2026-11-23 16:01+00', symbol => 'EXB', account => 'ex-b1',
        order_id => 15, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 12346, quantity => 7),
    exchange.make_record(15, 1, 'trade', '2026-11-23 16:01+00', symbol => 'EXB', account => 'ex-b1',
        order_id => 15, side => 'buy', price => 12345, quantity => 7, remaining => 0,
        status => 'filled', contra_order_id => 14, contra_account => 'ex-a1', contra_remaining => 0)]));

-- every side of every trade, in journal order, taker before maker
SELECT * FROM exchange.executions('EXA');
SELECT * FROM exchange.executions('EXB');
SELECT count(*) AS unknown_symbol FROM exchange.executions('NOPE');
-- id = seq * 2^21 + idx * 2 + (0 taker | 1 maker), unique
SELECT bool_and(id = seq * 2097152 + idx * 2 + is_maker::int) AS id_formula,
       count(DISTINCT id) = count(*) AS ids_unique
  FROM exchange.execution_log WHERE stream = :s;
-- filters: one order's fills (either side), a time window [start, end)
SELECT id, order_id, side, price, quantity, account FROM exchange.executions('EXA', order_id => 7);
SELECT id, order_id, side, price, quantity, account FROM exchange.executions('EXA', order_id => 8);
SELECT seq, order_id, account FROM exchange.executions('EXA', start_time => '2026-11-23 15:00+00');
SELECT seq, order_id, account FROM exchange.executions('EXA', end_time => '2026-11-23 15:00+00');
SELECT seq, order_id, account FROM exchange.executions('EXA', NULL, '2026-11-23 14:02+00', '2026-11-23 15:03+00');
SELECT count(*) AS outside_window FROM exchange.executions('EXA', start_time => '2026-11-24 00:00+00');

-- book versions: one per batch that changed the symbol's book; a rejection is no change
SELECT symbol, book_version, book_seq FROM exchange.symbols WHERE stream = :s ORDER BY symbol;

-- row-level security: a broker sees only its own accounts' executions
SET ROLE regress_ex_broker_a;
SELECT id, order_id, side, price, account FROM exchange.executions('EXA');
SELECT id, order_id, side, price, account FROM exchange.executions('EXB');
SELECT count(*) AS b1_rows_seen_by_a FROM exchange.execution_log WHERE account = 'ex-b1';
RESET ROLE;
SET ROLE regress_ex_desk_a;
SELECT count(*) AS desk_of_a_rows, count(*) FILTER (WHERE account LIKE 'ex-a%') AS own
  FROM exchange.executions('EXA');
RESET ROLE;
SET ROLE regress_ex_broker_b;
SELECT id, order_id, side, price, account FROM exchange.executions('EXA');
SELECT id, order_id, side, price, account FROM exchange.executions('EXA', order_id => 8);
-- a leaky function cannot see rows past the view's filter (security_barrier)
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'leak saw %', $1;
    RETURN true;
END $$;
SELECT count(*) FROM exchange.execution_log WHERE pg_temp.leak(account);
RESET ROLE;
SET ROLE regress_ex_analyst;
SELECT count(*) AS compliance_sees FROM exchange.executions('EXA');
RESET ROLE;
SET ROLE regress_ex_admin;
SELECT count(*) AS admin_sees FROM exchange.executions('EXA');
RESET ROLE;
SET ROLE regress_ex_nobody;
SELECT count(*) FROM exchange.executions('EXA');
RESET ROLE;

-- the trade index covers every partition
SELECT count(*) > 0 AS index_on_partitions
  FROM pg_inherits i WHERE i.inhparent = 'exchange.journal_trades'::regclass;
SELECT pg_get_indexdef('exchange.journal_trades'::regclass);
