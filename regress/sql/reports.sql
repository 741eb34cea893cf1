-- The reports of 1.5 (reporting/*.sql) over a hand-made journal of two
-- trading days (no matchd), every figure worked out by hand below.
--
-- Symbols: RPA (tick 0.01 USD, tick value 1 cent), RPE (tick 0.05 EUR, tick
-- value 5 cents).  Accounts: rp-a1, rp-a2 (broker regress_rp_b1), rp-b
-- (broker regress_rp_b2).  Fees on RPA as matchd computes them (taker 10 bps,
-- maker 5 bps, rounded down), none on RPE (trades without a fee detail).
--
-- Day 1, 2030-06-03 (seq: what happens)
--   7-10  deposits: rp-a1 100,000.00 USD; rp-a2 5,000.00 EUR; rp-b 50,000.00
--         USD and 2,000.00 EUR.  11: a withdrawal of rp-b, rejected.
--   12-13 credit_shares: rp-b 300 RPA, rp-a2 100 RPE (lots of unknown basis)
--   14-15 rp-b rests sells of 100 @ 10.00 (order 14) and 100 @ 10.10 (15)
--   16    rp-a1 buys 150 @ 10.10 (day): a sweep of two levels
--           16.1  100 @ 10.00 vs 14: notional 1,000.00, fees 1.00 / 0.50
--           16.2   50 @ 10.10 vs 15: notional   505.00, fees 0.50 / 0.25
--                  (50.5 and 25.25 cents, rounded down)
--   17    rp-a1 rests a buy of 40 @ 9.90 (order 17); 18: amended to 60
--         (priority lost)
--   19    rp-b sells 25 @ 9.90 (ioc): 19.1 vs 17, notional 247.50, fees 0.24
--         (taker) / 0.12 (maker); 17 has 35 left
--   20    rp-a1 cancels 17 (35 canceled)
--   21    rp-a2 buys 10 RPA: rejected (no USD)
--   22-23 rp-a2 rests a sell of 60 RPE @ 20.00; rp-b buys them (ioc):
--         notional 400 ticks * 60 * 5 = 120,000 cents = 1,200.00 EUR, no fee
--   24    rp-a1 rests a day buy of 5 @ 9.50; 25: the close expires it
-- Day 2, 2030-06-04
--   27    deposit rp-a2 2,000.00 USD
--   28    rp-a1 rests a sell of 70 @ 10.20 (order 28)
--   29    rp-a2 buys 100 @ 10.20 (ioc): 29.1 50 @ 10.10 vs 15 (rp-b), notional
--         505.00, fees 0.50 / 0.25; 29.2 50 @ 10.20 vs 28 (rp-a1), notional
--         510.00, fees 0.51 / 0.25 (25.5 cents rounded down)
--   30    rp-b buys 80 @ 10.20: 30.1 20 vs 28 (filled), notional 204.00, fees
--         0.20 / 0.10; the other 60 rest (order 30)
--   31    rp-a1 sells 60 @ 10.20 (ioc): 31.1 vs 30, notional 612.00, fees
--         0.61 (taker) / 0.30 (maker)
--   32    debit_shares rp-a1 10 RPA; 33: a debit of 1000, rejected
--   34    withdraw rp-a1 100.00 USD; 35: the close
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_rp_b1') THEN
        CREATE ROLE regress_rp_b1 LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_rp_b2') THEN
        CREATE ROLE regress_rp_b2 LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_rp_analyst') THEN
        CREATE ROLE regress_rp_analyst LOGIN IN ROLE exchange_compliance;
    END IF;
END $$;

-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- one record of day 1 (d = 0) or day 2 (d = 1) at 13:30 + seq seconds
CREATE FUNCTION pg_temp.r(d int, seq bigint, idx int, kind exchange.event_kind,
    symbol text DEFAULT NULL, account text DEFAULT NULL, order_id bigint DEFAULT NULL,
    side exchange.side DEFAULT NULL, tif exchange.time_in_force DEFAULT NULL,
    price bigint DEFAULT NULL, quantity bigint DEFAULT NULL, remaining bigint DEFAULT NULL,
    status exchange.order_status DEFAULT NULL, contra_order_id bigint DEFAULT NULL,
    contra_account text DEFAULT NULL, contra_remaining bigint DEFAULT NULL,
    amount bigint DEFAULT NULL, reason text DEFAULT NULL, client_order_id text DEFAULT NULL,
    detail json DEFAULT NULL)
RETURNS exchange.journal_record LANGUAGE sql AS $$
    SELECT exchange.make_record(seq, idx, kind,
        '2030-06-03 13:30+00'::timestamptz + d * interval '1 day' + seq * interval '1 s',
        symbol => symbol, account => account, order_id => order_id, side => side,
        order_type => CASE WHEN kind = 'new_order' THEN 'limit'::exchange.order_type END,
        time_in_force => tif, price => price, quantity => quantity, remaining => remaining,
        status => status, contra_order_id => contra_order_id, contra_account => contra_account,
        contra_remaining => contra_remaining, amount => amount, reason => reason,
        client_order_id => client_order_id, detail => detail)
$$;
-- a new order that rests at once: its command and `accepted`
CREATE FUNCTION pg_temp.rest(d int, s bigint, acct text, sym text, sd exchange.side,
    px bigint, qty bigint, tif exchange.time_in_force, clid text)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
    SELECT ARRAY[
        pg_temp.r(d, s, 0, 'new_order', sym, acct, s, sd, tif, px, qty, client_order_id => clid,
            detail => json_build_object('role', CASE WHEN acct = 'rp-b' THEN 'regress_rp_b2'
                                                     ELSE 'regress_rp_b1' END)),
        pg_temp.r(d, s, 1, 'accepted', sym, acct, s, sd, tif, px, qty, qty, 'new')]
$$;
CREATE FUNCTION pg_temp.role(acct text) RETURNS json LANGUAGE sql AS $$
    SELECT json_build_object('role', CASE WHEN acct = 'rp-b' THEN 'regress_rp_b2' ELSE 'regress_rp_b1' END)
$$;

SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('reports_test') \gset

-- day 1: reference data, cash and shares
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    pg_temp.r(0, 1, 0, 'add_symbol', 'RPA', detail => '{"role": "exchange_admin", "tick_size": 0.01, "currency": "USD"}'),
    pg_temp.r(0, 1, 1, 'accepted', 'RPA'),
    pg_temp.r(0, 2, 0, 'add_symbol', 'RPE', detail => '{"role": "exchange_admin", "tick_size": 0.05, "currency": "EUR"}'),
    pg_temp.r(0, 2, 1, 'accepted', 'RPE'),
    pg_temp.r(0, 3, 0, 'open_account', account => 'rp-a1', detail => '{"role": "exchange_admin", "broker": "regress_rp_b1", "kyc_status": "verified"}'),
    pg_temp.r(0, 3, 1, 'accepted', account => 'rp-a1'),
    pg_temp.r(0, 4, 0, 'open_account', account => 'rp-a2', detail => '{"role": "exchange_admin", "broker": "regress_rp_b1", "kyc_status": "verified"}'),
    pg_temp.r(0, 4, 1, 'accepted', account => 'rp-a2'),
    pg_temp.r(0, 5, 0, 'open_account', account => 'rp-b', detail => '{"role": "exchange_admin", "broker": "regress_rp_b2", "kyc_status": "verified"}'),
    pg_temp.r(0, 5, 1, 'accepted', account => 'rp-b'),
    pg_temp.r(0, 6, 0, 'market_open', detail => '{"role": "exchange_admin"}'),
    pg_temp.r(0, 6, 1, 'accepted'),
    pg_temp.r(0, 7, 0, 'deposit', account => 'rp-a1', amount => 10000000, detail => '{"role": "exchange_admin", "currency": "USD"}'),
    pg_temp.r(0, 7, 1, 'accepted', account => 'rp-a1', amount => 10000000),
    pg_temp.r(0, 8, 0, 'deposit', account => 'rp-a2', amount => 500000, detail => '{"role": "exchange_admin", "currency": "EUR"}'),
    pg_temp.r(0, 8, 1, 'accepted', account => 'rp-a2', amount => 500000),
    pg_temp.r(0, 9, 0, 'deposit', account => 'rp-b', amount => 5000000, detail => '{"role": "exchange_admin", "currency": "USD"}'),
    pg_temp.r(0, 9, 1, 'accepted', account => 'rp-b', amount => 5000000),
    pg_temp.r(0, 10, 0, 'deposit', account => 'rp-b', amount => 200000, detail => '{"role": "exchange_admin", "currency": "EUR"}'),
    pg_temp.r(0, 10, 1, 'accepted', account => 'rp-b', amount => 200000),
    pg_temp.r(0, 11, 0, 'withdraw', account => 'rp-b', amount => 99999900, detail => '{"role": "exchange_admin", "currency": "USD"}'),
    pg_temp.r(0, 11, 1, 'rejected', account => 'rp-b', amount => 99999900, reason => 'insufficient_funds'),
    pg_temp.r(0, 12, 0, 'credit_shares', 'RPA', 'rp-b', quantity => 300, detail => '{"role": "exchange_admin"}'),
    pg_temp.r(0, 12, 1, 'accepted', 'RPA', 'rp-b', quantity => 300),
    pg_temp.r(0, 13, 0, 'credit_shares', 'RPE', 'rp-a2', quantity => 100, detail => '{"role": "exchange_admin"}'),
    pg_temp.r(0, 13, 1, 'accepted', 'RPE', 'rp-a2', quantity => 100)]));

-- day 1: orders
SELECT exchange.append_batch(:s, :e, 14, exchange.encode_batch(
    pg_temp.rest(0, 14, 'rp-b', 'RPA', 'sell', 1000, 100, 'gtc', 'b-s1')
    || pg_temp.rest(0, 15, 'rp-b', 'RPA', 'sell', 1010, 100, 'gtc', 'b-s2')
    || ARRAY[
    pg_temp.r(0, 16, 0, 'new_order', 'RPA', 'rp-a1', 16, 'buy', 'day', 1010, 150, client_order_id => 'a1-b1', detail => pg_temp.role('rp-a1')),
    pg_temp.r(0, 16, 1, 'trade', 'RPA', 'rp-a1', 16, 'buy', price => 1000, quantity => 100, remaining => 50,
        status => 'partially_filled', contra_order_id => 14, contra_account => 'rp-b', contra_remaining => 0,
        amount => 100000, detail => '{"taker_fee": 100, "maker_fee": 50}'),
    pg_temp.r(0, 16, 2, 'trade', 'RPA', 'rp-a1', 16, 'buy', price => 1010, quantity => 50, remaining => 0,
        status => 'filled', contra_order_id => 15, contra_account => 'rp-b', contra_remaining => 50,
        amount => 50500, detail => '{"taker_fee": 50, "maker_fee": 25}')]
    || pg_temp.rest(0, 17, 'rp-a1', 'RPA', 'buy', 990, 40, 'gtc', 'a1-b2')
    || ARRAY[
    pg_temp.r(0, 18, 0, 'amend_order', 'RPA', 'rp-a1', 17, price => 990, quantity => 60, detail => pg_temp.role('rp-a1')),
    pg_temp.r(0, 18, 1, 'amended', 'RPA', 'rp-a1', 17, 'buy', price => 990, quantity => 60, remaining => 60,
        status => 'new', reason => 'priority_lost'),
    pg_temp.r(0, 19, 0, 'new_order', 'RPA', 'rp-b', 19, 'sell', 'ioc', 990, 25, client_order_id => 'b-s3', detail => pg_temp.role('rp-b')),
    pg_temp.r(0, 19, 1, 'trade', 'RPA', 'rp-b', 19, 'sell', price => 990, quantity => 25, remaining => 0,
        status => 'filled', contra_order_id => 17, contra_account => 'rp-a1', contra_remaining => 35,
        amount => 24750, detail => '{"taker_fee": 24, "maker_fee": 12}'),
    pg_temp.r(0, 20, 0, 'cancel_order', 'RPA', 'rp-a1', 17, detail => pg_temp.role('rp-a1')),
    pg_temp.r(0, 20, 1, 'canceled', 'RPA', 'rp-a1', 17, 'buy', price => 990, quantity => 35, remaining => 0,
        status => 'canceled', reason => 'user_cancel'),
    pg_temp.r(0, 21, 0, 'new_order', 'RPA', 'rp-a2', 21, 'buy', 'gtc', 1010, 10, client_order_id => 'a2-b0', detail => pg_temp.role('rp-a2')),
    pg_temp.r(0, 21, 1, 'rejected', 'RPA', 'rp-a2', 21, 'buy', price => 1010, quantity => 10, remaining => 0,
        status => 'rejected', reason => 'insufficient_funds')]
    || pg_temp.rest(0, 22, 'rp-a2', 'RPE', 'sell', 400, 60, 'gtc', 'a2-s1')
    || ARRAY[
    pg_temp.r(0, 23, 0, 'new_order', 'RPE', 'rp-b', 23, 'buy', 'ioc', 400, 60, client_order_id => 'b-b0', detail => pg_temp.role('rp-b')),
    pg_temp.r(0, 23, 1, 'trade', 'RPE', 'rp-b', 23, 'buy', price => 400, quantity => 60, remaining => 0,
        status => 'filled', contra_order_id => 22, contra_account => 'rp-a2', contra_remaining => 0,
        amount => 120000)]
    || pg_temp.rest(0, 24, 'rp-a1', 'RPA', 'buy', 950, 5, 'day', 'a1-b3')
    || ARRAY[
    pg_temp.r(0, 25, 0, 'market_close', detail => '{"role": "exchange_admin"}'),
    pg_temp.r(0, 25, 1, 'accepted'),
    pg_temp.r(0, 25, 2, 'expired', 'RPA', 'rp-a1', 24, 'buy', price => 950, quantity => 5, remaining => 0,
        status => 'expired', reason => 'day_expired')]));

-- day 2
SELECT exchange.append_batch(:s, :e, 26, exchange.encode_batch(ARRAY[
    pg_temp.r(1, 26, 0, 'market_open', detail => '{"role": "exchange_admin"}'),
    pg_temp.r(1, 26, 1, 'accepted'),
    pg_temp.r(1, 27, 0, 'deposit', account => 'rp-a2', amount => 200000, detail => '{"role": "exchange_admin", "currency": "USD"}'),
    pg_temp.r(1, 27, 1, 'accepted', account => 'rp-a2', amount => 200000)]
    || pg_temp.rest(1, 28, 'rp-a1', 'RPA', 'sell', 1020, 70, 'gtc', 'a1-s1')
    || ARRAY[
    pg_temp.r(1, 29, 0, 'new_order', 'RPA', 'rp-a2', 29, 'buy', 'ioc', 1020, 100, client_order_id => 'a2-b1', detail => pg_temp.role('rp-a2')),
    pg_temp.r(1, 29, 1, 'trade', 'RPA', 'rp-a2', 29, 'buy', price => 1010, quantity => 50, remaining => 50,
        status => 'partially_filled', contra_order_id => 15, contra_account => 'rp-b', contra_remaining => 0,
        amount => 50500, detail => '{"taker_fee": 50, "maker_fee": 25}'),
    pg_temp.r(1, 29, 2, 'trade', 'RPA', 'rp-a2', 29, 'buy', price => 1020, quantity => 50, remaining => 0,
        status => 'filled', contra_order_id => 28, contra_account => 'rp-a1', contra_remaining => 20,
        amount => 51000, detail => '{"taker_fee": 51, "maker_fee": 25}'),
    pg_temp.r(1, 30, 0, 'new_order', 'RPA', 'rp-b', 30, 'buy', 'gtc', 1020, 80, client_order_id => 'b-b1', detail => pg_temp.role('rp-b')),
    pg_temp.r(1, 30, 1, 'trade', 'RPA', 'rp-b', 30, 'buy', price => 1020, quantity => 20, remaining => 60,
        status => 'partially_filled', contra_order_id => 28, contra_account => 'rp-a1', contra_remaining => 0,
        amount => 20400, detail => '{"taker_fee": 20, "maker_fee": 10}'),
    pg_temp.r(1, 30, 2, 'accepted', 'RPA', 'rp-b', 30, 'buy', price => 1020, quantity => 80, remaining => 60,
        status => 'partially_filled'),
    pg_temp.r(1, 31, 0, 'new_order', 'RPA', 'rp-a1', 31, 'sell', 'ioc', 1020, 60, client_order_id => 'a1-s2', detail => pg_temp.role('rp-a1')),
    pg_temp.r(1, 31, 1, 'trade', 'RPA', 'rp-a1', 31, 'sell', price => 1020, quantity => 60, remaining => 0,
        status => 'filled', contra_order_id => 30, contra_account => 'rp-b', contra_remaining => 0,
        amount => 61200, detail => '{"taker_fee": 61, "maker_fee": 30}'),
    pg_temp.r(1, 32, 0, 'debit_shares', 'RPA', 'rp-a1', quantity => 10, detail => '{"role": "exchange_admin"}'),
    pg_temp.r(1, 32, 1, 'accepted', 'RPA', 'rp-a1', quantity => 10),
    pg_temp.r(1, 33, 0, 'debit_shares', 'RPA', 'rp-a1', quantity => 1000, detail => '{"role": "exchange_admin"}'),
    pg_temp.r(1, 33, 1, 'rejected', 'RPA', 'rp-a1', quantity => 1000, reason => 'insufficient_shares'),
    pg_temp.r(1, 34, 0, 'withdraw', account => 'rp-a1', amount => 10000, detail => '{"role": "exchange_admin", "currency": "USD"}'),
    pg_temp.r(1, 34, 1, 'accepted', account => 'rp-a1', amount => 10000),
    pg_temp.r(1, 35, 0, 'market_close', detail => '{"role": "exchange_admin"}'),
    pg_temp.r(1, 35, 1, 'accepted')]));

------------------------------------------------------------------------------
-- 1. Order audit trail
------------------------------------------------------------------------------
-- order 15 (rp-b's 100 @ 10.10): rests on day 1, 50 filled as the maker of
-- the sweep 16.2 (50 left), the other 50 on day 2 by 29.1 (filled)
SELECT * FROM exchange.order_audit_trail(15, 'reports_test');
-- order 17: rests 40, amended to 60 (priority lost), 25 filled as maker by
-- 19.1 (35 left), canceled by rp-a1 (35)
SELECT seq, idx, kind, account, requested_by, side, order_type, time_in_force, price,
       quantity, remaining, status, reason, liquidity, execution_id, counterparty,
       client_order_id
  FROM exchange.order_audit_trail(17, 'reports_test');
-- order 16, the sweep: two trades as taker; order 21 rejected; 24 expired at
-- the close (trading day 1, requested_by only on commands)
SELECT seq, idx, trading_day, kind, requested_by, price, quantity, remaining, status, reason,
       liquidity, execution_id, counterparty, client_order_id
  FROM exchange.order_audit_trail(16, 'reports_test');
SELECT seq, idx, kind, status, reason, client_order_id FROM exchange.order_audit_trail(21, 'reports_test');
SELECT seq, idx, trading_day, kind, status, reason, client_order_id FROM exchange.order_audit_trail(24, 'reports_test');
-- order 30 on day 2: a taker trade, the rest rests, then filled as maker
SELECT seq, idx, kind, quantity, remaining, status, liquidity, counterparty
  FROM exchange.order_audit_trail(30, 'reports_test');
-- errors: unknown order, unknown stream, NULL
SELECT pg_temp.try($$SELECT * FROM exchange.order_audit_trail(9999, 'reports_test')$$);
SELECT pg_temp.try($$SELECT * FROM exchange.order_audit_trail(15, 'no_such_stream')$$);
SELECT pg_temp.try($$SELECT * FROM exchange.order_audit_trail(NULL, 'reports_test')$$);

------------------------------------------------------------------------------
-- 2. Trade blotter: one row per execution side
------------------------------------------------------------------------------
-- day 1: 16.1, 16.2, 19.1 (RPA) and 23.1 (RPE, no fee).  Net cash: buyer
-- -(notional + fee), seller notional - fee.  Execution id seq * 2^21 +
-- idx * 2 + (0 taker, 1 maker): 16.1 -> 33554434 / 33554435
SELECT executed_at, seq, idx, execution_id, account, symbol, side, liquidity, order_id,
       client_order_id, price, quantity, notional, fee, net_cash, currency, counterparty
  FROM exchange.trade_blotter('2030-06-03');
-- day 2, rp-a1 only
SELECT seq, idx, execution_id, side, liquidity, order_id, client_order_id, price, quantity,
       notional, fee, net_cash, counterparty
  FROM exchange.trade_blotter('2030-06-04', 'rp-a1');
-- day 2, one symbol that did not trade that day: nothing
SELECT count(*) FROM exchange.trade_blotter('2030-06-04', symbol => 'RPE');
-- the blotter's ids are execution_log's
SELECT count(*) AS blotter_rows,
       count(*) FILTER (WHERE l.id IS NULL) AS not_in_execution_log
  FROM exchange.trade_blotter('2030-06-04') b
  LEFT JOIN exchange.execution_log l ON l.id = b.execution_id AND l.stream = b.stream
       AND l.account = b.account;
SELECT pg_temp.try($$SELECT * FROM exchange.trade_blotter(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM exchange.trade_blotter('2030-06-03', 'rp-nobody')$$);
SELECT pg_temp.try($$SELECT * FROM exchange.trade_blotter('2030-06-03', symbol => 'NOPE')$$);

------------------------------------------------------------------------------
-- 3. Daily summary
------------------------------------------------------------------------------
-- day 1
--   rp-a1 USD: orders 16, 17, 24 (3), amend 18, cancel 20: 5 messages; fills
--     16.1, 16.2 (taker), 19.1 (maker): 3; bought 175 for 1,752.50, fees
--     1.00 + 0.50 + 0.12 = 1.62, net -1,754.12; OTR 5 / 3 = 1.6667
--   rp-a2 EUR: order 22, fill 23.1 (maker): sold 60 for 1,200.00; OTR 1
--   rp-a2 USD: order 21, rejected; no fill: OTR NULL
--   rp-b EUR: order 23, bought 60 for 1,200.00
--   rp-b USD: orders 14, 15, 19; fills 16.1, 16.2 (maker), 19.1 (taker):
--     sold 175 for 1,752.50, fees 0.50 + 0.25 + 0.24 = 0.99, net 1,751.51
-- day 2
--   rp-a1: orders 28, 31; fills 29.2, 30.1 (maker), 31.1: sold 130 for
--     1,326.00, fees 0.25 + 0.10 + 0.61 = 0.96, net 1,325.04; OTR 0.6667
--   rp-a2: order 29; fills 29.1, 29.2: bought 100 for 1,015.00, fees 1.01,
--     net -1,016.01; OTR 0.5
--   rp-b: order 30; fills 29.1 (maker, sell 50 for 505.00), 30.1 (taker,
--     buy 20), 31.1 (maker, buy 60): bought 80 for 816.00, fees 0.25 + 0.20
--     + 0.30 = 0.75, net 504.75 - 204.20 - 612.30 = -311.75; OTR 0.3333
SELECT * FROM exchange.daily_account_summary() WHERE account LIKE 'rp-%';
SELECT account, currency, order_messages, fills, order_to_trade_ratio
  FROM exchange.daily_account_summary('2030-06-04', 'rp-b');

------------------------------------------------------------------------------
-- 4. Positions and cash at the end of each day
------------------------------------------------------------------------------
-- rp-a1 USD: 100,000.00 - 1,000.00 - 1.00 - 505.00 - 0.50 - 247.50 - 0.12
--   = 98,245.88 after day 1; day 2: + 509.75 + 203.90 + 611.39 - 100.00
--   = +1,225.04 -> 99,470.92.  RPA: +175, then -50 -20 -60 -10 -> 35
-- rp-a2 EUR: 5,000.00 + 1,200.00 = 6,200.00; RPE 100 - 60 = 40; day 2 USD
--   2,000.00 - 505.50 - 510.51 = 983.99, RPA +100
-- rp-b USD: 50,000.00 + 999.50 + 504.75 + 247.26 = 51,751.51 (the rejected
--   withdrawal changes nothing); day 2: + 504.75 - 204.20 - 612.30 = -311.75
--   -> 51,439.76.  EUR 2,000.00 - 1,200.00 = 800.00.  RPA 300 - 175 = 125,
--   then -50 + 20 + 60 -> 155.  RPE 60
SELECT * FROM exchange.positions_eod('2030-06-03') WHERE account LIKE 'rp-%';
SELECT * FROM exchange.positions_eod('2030-06-04') WHERE account LIKE 'rp-%';
SELECT * FROM exchange.positions_eod('2030-06-04', 'rp-a1');
-- a day before anything: no rows; the ledger of rp-a1's day 2
SELECT count(*) FROM exchange.positions_eod('2030-06-02') WHERE account LIKE 'rp-%';
SELECT seq, idx, asset_type, asset, movement, units, change, symbol, execution_id
  FROM exchange.account_ledger WHERE account = 'rp-a1' AND trading_day = '2030-06-04'
 ORDER BY seq, idx, asset_type, movement;
SELECT pg_temp.try($$SELECT * FROM exchange.positions_eod(NULL)$$);

------------------------------------------------------------------------------
-- 5. FIFO tax lots
------------------------------------------------------------------------------
-- rp-a1 RPA lots: L1 16.1 100 sh, cost 1,000.00 + 1.00 = 1,001.00;
--   L2 16.2 50 sh, cost 505.00 + 0.50 = 505.50; L3 19.1 25 sh, cost 247.62
-- disposals (cumulative shares):
--   29.2  50 [0, 50)    from L1: cost round(100100 * 50/100) = 500.50,
--                       proceeds 510.00 - 0.25 = 509.75, gain 9.25
--   30.1  20 [50, 70)   from L1: cost 70070 - 50050 = 200.20, proceeds
--                       203.90, gain 3.70
--   31.1  60 [70, 130)  proceeds 612.00 - 0.61 = 611.39 split over 60:
--           30 from L1 [70, 100): cost 100100 - 70070 = 300.30, proceeds
--                       round(61139 * 30/60) = round(30569.5) = 305.70
--                       (half away from zero), gain 5.40
--           30 from L2 [0, 30): cost round(50550 * 30/50) = 303.30, proceeds
--                       61139 - 30570 = 305.69, gain 2.39
--   32    10 [130, 140) debit from L2 [30, 40): cost 40440 - 30330 = 101.10,
--                       no proceeds, no gain
--   open: L2 [40, 50) 10 sh costing 505.50 - 404.40 = 101.10, L3 25 sh 247.62
-- rp-b RPA: all 225 shares sold (16.1, 16.2, 19.1, 29.1) come from the 300
--   credited (basis unknown): cost and gain NULL; open: 75 of the credit,
--   30.1 20 sh (204.00 + 0.20) and 31.1 60 sh (612.00 + 0.30)
-- rp-a2 RPE: the 60 sold come from the 100 credited (unknown); 40 open
SELECT account, symbol, currency, lot_seq, lot_idx, lot_acquired_at, lot_trading_day,
       lot_movement, disposal_seq, disposal_idx, disposed_at, disposal_trading_day,
       disposal_movement, quantity, cost_basis, proceeds, gain
  FROM exchange.tax_lot_disposals() WHERE account LIKE 'rp-%';
SELECT account, symbol, currency, lot_seq, lot_idx, lot_acquired_at, lot_trading_day,
       lot_movement, lot_quantity, open_quantity, lot_cost_basis, open_cost_basis
  FROM exchange.open_tax_lots() WHERE account LIKE 'rp-%';
-- realized: rp-a1 RPA proceeds 1,325.04, cost 1,304.30, gain 20.74 (the
--   debit's 10 shares are disposed but not sold); rp-b RPA proceeds
--   2,256.26 of 225 shares of unknown basis, no gain
SELECT * FROM exchange.realized_pnl() WHERE account LIKE 'rp-%';
-- day 2 only: rp-b's one sale 29.1; rp-a1's lots are still those of day 1
SELECT account, symbol, disposed_quantity, sold_quantity, proceeds, cost_basis,
       realized_gain, basis_unknown_quantity, open_quantity, open_cost_basis
  FROM exchange.realized_pnl('2030-06-04', '2030-06-04') WHERE account LIKE 'rp-%';
-- as of day 1: rp-a1 holds all three lots whole
SELECT account, symbol, lot_seq, lot_idx, lot_quantity, open_quantity, open_cost_basis
  FROM exchange.open_tax_lots('2030-06-03', 'rp-a1');
-- the parts of a split lot sum to its cost; lots bought - disposed = position
SELECT l.lot_seq, l.lot_idx,
       sum(l.cost_basis) + coalesce(min(o.open_cost_basis), 0) AS cost_of_parts
  FROM exchange.tax_lot_disposals(account => 'rp-a1') l
  LEFT JOIN exchange.open_tax_lots(account => 'rp-a1') o
       ON o.lot_seq = l.lot_seq AND o.lot_idx = l.lot_idx
 GROUP BY l.lot_seq, l.lot_idx ORDER BY 1, 2;
SELECT p.account, p.asset, p.closing, coalesce(sum(o.open_quantity), 0) AS open_lots
  FROM exchange.positions_eod('2030-06-04') p
  LEFT JOIN exchange.open_tax_lots('2030-06-04') o ON o.account = p.account AND o.symbol = p.asset
 WHERE p.asset_type = 'shares' AND p.account LIKE 'rp-%'
 GROUP BY p.account, p.asset, p.closing ORDER BY 1, 2;
-- cumulative rounding: the parts of 100 over 3 shares are 33, 34, 33
SELECT exchange.allocate_part(100, 3, 0, 1), exchange.allocate_part(100, 3, 1, 2),
       exchange.allocate_part(100, 3, 2, 3);
SELECT pg_temp.try($$SELECT * FROM exchange.realized_pnl('2030-06-04', '2030-06-03')$$);

------------------------------------------------------------------------------
-- 6. Settlement
------------------------------------------------------------------------------
-- day 1 USD: rp-a1 pays 1,754.12, rp-b receives 1,751.51, fees 2.61 (1.00 +
--   0.50 + 0.50 + 0.25 + 0.24 + 0.12); EUR: rp-a2 receives and rp-b pays
--   1,200.00, fees 0.00.  Shares: RPA rp-a1 +175, rp-b -175; RPE rp-b +60,
--   rp-a2 -60
SELECT * FROM exchange.settlement_report('2030-06-03');
-- day 2 USD: rp-a1 receives 1,325.04, rp-a2 pays 1,016.01, rp-b pays 311.75
--   (receives 504.75, pays 816.50), fees 2.72
SELECT * FROM exchange.settlement_report('2030-06-04');
-- the invariants: per currency and per symbol the nets sum to zero
SELECT d, asset_type, asset, sum(net) AS total
  FROM (VALUES (date '2030-06-03'), ('2030-06-04')) v (d),
       exchange.settlement_report(d)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT pg_temp.try($$SELECT * FROM exchange.settlement_report(NULL)$$);

------------------------------------------------------------------------------
-- Brokers see their own accounts' rows only (counterparties of the other
-- broker masked); compliance sees all and can change nothing
------------------------------------------------------------------------------
SET ROLE regress_rp_b1;
SELECT seq, idx, kind, account, liquidity, counterparty FROM exchange.order_audit_trail(16, 'reports_test');
SELECT pg_temp.try($$SELECT * FROM exchange.order_audit_trail(15, 'reports_test')$$);
SELECT execution_id, account, side, net_cash, counterparty FROM exchange.trade_blotter('2030-06-04');
SELECT pg_temp.try($$SELECT * FROM exchange.trade_blotter('2030-06-04', 'rp-b')$$);
SELECT trading_day, account, currency, order_messages, fills FROM exchange.daily_account_summary();
SELECT account, asset_type, asset, closing FROM exchange.positions_eod('2030-06-04');
SELECT account, symbol, sold_quantity, realized_gain, open_quantity FROM exchange.realized_pnl();
SELECT party, account, asset_type, asset, net, instruction FROM exchange.settlement_report('2030-06-04');
RESET ROLE;
SET ROLE regress_rp_b2;
SELECT seq, idx, kind, account, liquidity, counterparty FROM exchange.order_audit_trail(15, 'reports_test');
SELECT party, account, asset_type, asset, net, instruction FROM exchange.settlement_report('2030-06-04');
SELECT count(*) AS lots_of_others FROM exchange.open_tax_lots() WHERE account <> 'rp-b';
RESET ROLE;
SET ROLE regress_rp_analyst;
SELECT count(*) AS analyst_sees FROM exchange.trade_blotter('2030-06-04');
SELECT pg_temp.try($$DELETE FROM exchange.account_ledger$$);
SELECT pg_temp.try($$INSERT INTO exchange.order_records (order_id) VALUES (1)$$);
RESET ROLE;
