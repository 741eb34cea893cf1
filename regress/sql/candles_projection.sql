-- The 1-minute candles append_batch keeps (exchange.candles_1m, 1.3) and
-- exchange.candles(): hand-built batches with trades, the minute merged across
-- batches, what is left out, a rolled-back append, then random batches
-- checked against candle_agg over the journal and candles() at every kind of
-- resolution against plain SQL over the journal's trades.
SET timezone = 'UTC';
SET search_path = public, exchange;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_cd_broker') THEN
        CREATE ROLE regress_cd_broker LOGIN IN ROLE exchange_broker;
    END IF;
END $$;

CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- the candles of a stream's trades straight from the journal: what candles_1m must hold
CREATE FUNCTION pg_temp.journal_minutes(p_stream int)
RETURNS TABLE (symbol text, bucket timestamptz, candle exchange.candle) LANGUAGE sql AS $$
    SELECT j.symbol, date_bin('1 minute', j.ts, '2000-01-01'),
           exchange.candle_agg(j.ts, exchange.ticks_to_price(j.price, s.tick_size), j.quantity,
                               j.seq * 2097152 + j.idx * 2)
      FROM exchange.journal j JOIN exchange.symbols s ON s.symbol = j.symbol AND s.stream = j.stream
     WHERE j.stream = p_stream AND j.kind = 'trade' AND j.price > 0 AND j.quantity > 0
     GROUP BY 1, 2 $$;
CREATE FUNCTION pg_temp.projection_differs(p_stream int) RETURNS TABLE (minutes bigint, differing bigint)
LANGUAGE sql AS $$
    SELECT count(*), count(*) FILTER (WHERE m.candle::text IS DISTINCT FROM j.candle::text)
      FROM (SELECT * FROM exchange.candles_1m WHERE stream = p_stream) m
      FULL JOIN pg_temp.journal_minutes(p_stream) j USING (symbol, bucket) $$;

SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('candles_test') \gset

-- three listings (ticks 0.01, 0.05, 0.0001) and an account
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'CDA',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'CDA'),
    exchange.make_record(2, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'CDB',
        detail => '{"tick_size": 0.05, "lot_size": 10}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'CDB'),
    exchange.make_record(3, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'CDC',
        detail => '{"tick_size": 0.0001}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'CDC'),
    exchange.make_record(4, 0, 'open_account', '2026-11-23 13:00+00', account => 'cd-1',
        detail => '{"broker": "regress_cd_broker", "kyc_status": "verified"}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:00+00', account => 'cd-1')]));
SELECT count(*) AS candles_without_trades FROM exchange.candles_1m WHERE stream = :s;

-- a sell that sweeps two bids in one command (idx 1 at 10.01, idx 2 at 10.00: the
-- open is idx 1, though its price is higher), a trade at the last microsecond of
-- the minute and one at the next minute's first; a trade of a symbol nobody
-- listed, one without a price and a rejected order are no candle's (the trade
-- without a price is no valid journal record: what else reads it may warn)
SET client_min_messages = error;
SELECT exchange.append_batch(:s, :e, 5, exchange.encode_batch(ARRAY[
    exchange.make_record(5, 0, 'new_order', '2026-11-23 14:30:05+00', symbol => 'CDA', account => 'cd-1',
        order_id => 5, side => 'sell', order_type => 'limit', time_in_force => 'ioc', price => 1000, quantity => 30),
    exchange.make_record(5, 1, 'trade', '2026-11-23 14:30:05+00', symbol => 'CDA', account => 'cd-1',
        order_id => 5, side => 'sell', price => 1001, quantity => 10, remaining => 20,
        status => 'partially_filled', contra_order_id => 1, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(5, 2, 'trade', '2026-11-23 14:30:05+00', symbol => 'CDA', account => 'cd-1',
        order_id => 5, side => 'sell', price => 1000, quantity => 20, remaining => 0,
        status => 'filled', contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(6, 0, 'new_order', '2026-11-23 14:30:59.999999+00', symbol => 'CDA', account => 'cd-1',
        order_id => 6, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1003, quantity => 5),
    exchange.make_record(6, 1, 'trade', '2026-11-23 14:30:59.999999+00', symbol => 'CDA', account => 'cd-1',
        order_id => 6, side => 'buy', price => 1003, quantity => 5, remaining => 0,
        status => 'filled', contra_order_id => 3, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(7, 0, 'new_order', '2026-11-23 14:31:00+00', symbol => 'CDA', account => 'cd-1',
        order_id => 7, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1002, quantity => 7),
    exchange.make_record(7, 1, 'trade', '2026-11-23 14:31:00+00', symbol => 'CDA', account => 'cd-1',
        order_id => 7, side => 'buy', price => 1002, quantity => 7, remaining => 0,
        status => 'filled', contra_order_id => 3, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(8, 0, 'new_order', '2026-11-23 14:31:10+00', symbol => 'NOPE', account => 'cd-1',
        order_id => 8, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 5, quantity => 1),
    exchange.make_record(8, 1, 'trade', '2026-11-23 14:31:10+00', symbol => 'NOPE', account => 'cd-1',
        order_id => 8, side => 'buy', price => 5, quantity => 1, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(9, 0, 'new_order', '2026-11-23 14:31:20+00', symbol => 'CDB', account => 'cd-1',
        order_id => 9, side => 'buy', order_type => 'market', time_in_force => 'ioc', quantity => 10),
    exchange.make_record(9, 1, 'trade', '2026-11-23 14:31:20+00', symbol => 'CDB', account => 'cd-1',
        order_id => 9, side => 'buy', quantity => 10, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(10, 0, 'new_order', '2026-11-23 14:31:30+00', symbol => 'CDB', account => 'cd-1',
        order_id => 10, side => 'buy', order_type => 'limit', time_in_force => 'day', price => 200, quantity => 10),
    exchange.make_record(10, 1, 'rejected', '2026-11-23 14:31:30+00', symbol => 'CDB', account => 'cd-1',
        order_id => 10, side => 'buy', price => 200, quantity => 10, reason => 'market_closed', status => 'rejected')]));
RESET client_min_messages;
SELECT symbol, bucket, candle, updated_seq FROM exchange.candles_1m WHERE stream = :s ORDER BY symbol, bucket;

-- the next batch trades in minutes already begun: they merge (open and close
-- by time, the high reached first at 14:30:05 stays the high's time)
SELECT exchange.append_batch(:s, :e, 11, exchange.encode_batch(ARRAY[
    exchange.make_record(11, 0, 'new_order', '2026-11-23 14:30:40+00', symbol => 'CDA', account => 'cd-1',
        order_id => 11, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1003, quantity => 1),
    exchange.make_record(11, 1, 'trade', '2026-11-23 14:30:40+00', symbol => 'CDA', account => 'cd-1',
        order_id => 11, side => 'buy', price => 999, quantity => 1, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(12, 0, 'new_order', '2026-11-23 14:31:45+00', symbol => 'CDB', account => 'cd-1',
        order_id => 12, side => 'sell', order_type => 'limit', time_in_force => 'ioc', price => 2001, quantity => 30),
    exchange.make_record(12, 1, 'trade', '2026-11-23 14:31:45+00', symbol => 'CDB', account => 'cd-1',
        order_id => 12, side => 'sell', price => 2001, quantity => 30, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(13, 0, 'new_order', '2026-11-23 14:32:00+00', symbol => 'CDC', account => 'cd-1',
        order_id => 13, side => 'sell', order_type => 'limit', time_in_force => 'ioc', price => 1234567, quantity => 3),
    exchange.make_record(13, 1, 'trade', '2026-11-23 14:32:00+00', symbol => 'CDC', account => 'cd-1',
        order_id => 13, side => 'sell', price => 1234567, quantity => 3, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0)]));
SELECT symbol, bucket, candle, updated_seq FROM exchange.candles_1m WHERE stream = :s ORDER BY symbol, bucket;
SELECT * FROM pg_temp.projection_differs(:s);
-- each trade once: execution_log has two rows per trade (taker and maker), the
-- taker's id is the candle's seq
SELECT count(*) AS execution_rows, count(*) FILTER (WHERE NOT is_maker) AS trades
  FROM exchange.execution_log WHERE stream = :s AND symbol = 'CDA';
SELECT exchange.candle_agg(executed_at, price, quantity, id) FILTER (WHERE NOT is_maker)::text
       = (SELECT exchange.rollup(candle) FROM exchange.candles_1m WHERE stream = :s AND symbol = 'CDA')::text
       AS execution_log_agrees
  FROM exchange.execution_log WHERE stream = :s AND symbol = 'CDA';

-- an append that rolls back leaves the candles as they were; a refused one
-- (duplicate seq) changes nothing either
SELECT md5(string_agg(candle::text, ',' ORDER BY symbol, bucket)) AS before FROM exchange.candles_1m WHERE stream = :s \gset
BEGIN;
SELECT exchange.append_batch(:s, :e, 14, exchange.encode_batch(ARRAY[
    exchange.make_record(14, 0, 'new_order', '2026-11-23 14:30:50+00', symbol => 'CDA', account => 'cd-1',
        order_id => 14, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 2000, quantity => 1),
    exchange.make_record(14, 1, 'trade', '2026-11-23 14:30:50+00', symbol => 'CDA', account => 'cd-1',
        order_id => 14, side => 'buy', price => 2000, quantity => 1, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0)]));
SELECT exchange.high(candle) AS high_inside FROM exchange.candles_1m
 WHERE stream = :s AND symbol = 'CDA' AND bucket = '2026-11-23 14:30+00';
ROLLBACK;
SELECT pg_temp.try(format($q$SELECT exchange.append_batch(%s, %s, 13, exchange.encode_batch(ARRAY[
    exchange.make_record(13, 0, 'new_order', '2026-11-23 14:33:00+00', symbol => 'CDA', account => 'cd-1',
        order_id => 13, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 2000, quantity => 1),
    exchange.make_record(13, 1, 'trade', '2026-11-23 14:33:00+00', symbol => 'CDA', account => 'cd-1',
        order_id => 13, side => 'buy', price => 2000, quantity => 1, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0)]))$q$, :s, :e))
    AS duplicate;
SELECT md5(string_agg(candle::text, ',' ORDER BY symbol, bucket)) = :'before' AS unchanged
  FROM exchange.candles_1m WHERE stream = :s;

-- a symbol listed in another stream is not this stream's: its trades here have
-- no tick size of this stream and no candle
SELECT stream AS s2, epoch AS e2 FROM exchange.take_over_stream('candles_other') \gset
SELECT exchange.append_batch(:s2, :e2, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'new_order', '1999-12-31 23:59:59.5+00', symbol => 'CDA', account => 'cd-1',
        order_id => 1, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1000, quantity => 1),
    exchange.make_record(1, 1, 'trade', '1999-12-31 23:59:59.5+00', symbol => 'CDA', account => 'cd-1',
        order_id => 1, side => 'buy', price => 1000, quantity => 1, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0),
    exchange.make_record(2, 0, 'add_symbol', '1999-12-31 23:59:59.75+00', symbol => 'CDO',
        detail => '{"tick_size": 0.5}'),
    exchange.make_record(2, 1, 'accepted', '1999-12-31 23:59:59.75+00', symbol => 'CDO'),
    -- listed in this very batch: the projection runs after the listing; before
    -- 2000 the minute is still the floor of the time
    exchange.make_record(3, 0, 'new_order', '1999-12-31 23:59:59.9+00', symbol => 'CDO', account => 'cd-1',
        order_id => 3, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 7, quantity => 2),
    exchange.make_record(3, 1, 'trade', '1999-12-31 23:59:59.9+00', symbol => 'CDO', account => 'cd-1',
        order_id => 3, side => 'buy', price => 7, quantity => 2, remaining => 0, status => 'filled',
        contra_order_id => 2, contra_account => 'cd-1', contra_remaining => 0)]));
SELECT symbol, bucket, candle FROM exchange.candles_1m WHERE stream = :s2;
SELECT * FROM pg_temp.projection_differs(:s2);

-- ---- random batches --------------------------------------------------------------------
-- 150 batches of 1..21 commands, each with 0..3 trades (several executions of
-- one command share ts and seq), ties on ts across commands, gaps of minutes and
-- a night: minutes are begun in one batch and continued in the next
CREATE TEMP TABLE batches (first_seq bigint, last_seq bigint);
DO $$
DECLARE
    s       int := (SELECT stream FROM exchange.streams WHERE name = 'candles_test');
    e       bigint := (SELECT epoch FROM exchange.streams WHERE name = 'candles_test');
    q       bigint := (SELECT last_seq FROM exchange.streams WHERE name = 'candles_test');
    t       timestamptz := '2026-11-24 21:00:00+00';
    recs    exchange.journal_record[];
    first   bigint;
    sym     text;
    base    bigint;
    n       int;
BEGIN
    PERFORM setseed(0.23);
    FOR b IN 1..150 LOOP
        recs := '{}';
        first := q + 1;
        FOR c IN 0..(random() * 20)::int LOOP
            q := q + 1;
            t := t + (random() * 6000)::int * interval '1 ms'
                   + CASE WHEN random() < 0.03 THEN interval '41 minutes' ELSE interval '0' END;
            sym := (ARRAY['CDA', 'CDB', 'CDC'])[1 + (random() * 2)::int];
            base := CASE sym WHEN 'CDA' THEN 10000 WHEN 'CDB' THEN 2000 ELSE 1000000 END;
            recs := recs || exchange.make_record(q, 0, 'new_order', t, symbol => sym,
                account => 'cd-1', order_id => q, side => 'buy', order_type => 'limit',
                time_in_force => 'ioc', price => base + 50, quantity => 100);
            n := (random() * 3)::int;
            IF n = 0 THEN
                recs := recs || exchange.make_record(q, 1, 'canceled', t, symbol => sym,
                    account => 'cd-1', order_id => q, quantity => 100, remaining => 0,
                    side => 'buy', status => 'canceled', reason => 'ioc_remainder');
            END IF;
            FOR k IN 1..n LOOP
                recs := recs || exchange.make_record(q, k, 'trade', t, symbol => sym,
                    account => 'cd-1', order_id => q, side => 'buy',
                    price => base - 40 + (random() * 80)::int, quantity => 1 + (random() * 99)::int,
                    remaining => 0, status => 'filled', contra_order_id => 1,
                    contra_account => 'cd-1', contra_remaining => 0);
            END LOOP;
        END LOOP;
        PERFORM exchange.append_batch(s, e, first, exchange.encode_batch(recs));
        INSERT INTO batches VALUES (first, q);
    END LOOP;
END $$;
SELECT count(*) AS trades, count(DISTINCT seq) AS trading_commands, min(ts), max(ts)
  FROM exchange.journal WHERE stream = :s AND kind = 'trade' AND ts >= '2026-11-24';
SELECT count(*) AS minutes_split_across_batches
  FROM (SELECT j.symbol, date_bin('1 minute', j.ts, '2000-01-01')
          FROM exchange.journal j JOIN batches b ON j.seq BETWEEN b.first_seq AND b.last_seq
         WHERE j.stream = :s AND j.kind = 'trade'
         GROUP BY 1, 2 HAVING count(DISTINCT b.first_seq) > 1) x;
SELECT * FROM pg_temp.projection_differs(:s);

-- ---- candles() against plain SQL over the journal's trades ------------------------------
-- buckets date_bin(resolution, ts, 2000-01-01) that start in [start, end); first
-- and last by (ts, seq, idx), extremes, sums, vwap rounded half up at scale + 4
CREATE FUNCTION pg_temp.reference(sym text, res interval, lo timestamptz, hi timestamptz)
RETURNS TABLE (bucket_start timestamptz, open numeric, high numeric, low numeric, close numeric,
               volume numeric, trade_count bigint, vwap_units numeric, scale int) LANGUAGE sql AS $$
    SELECT b, o, h, l, c, v, n, div(2 * notional * 10::numeric ^ (sc + 4) + v, 2 * v), sc
      FROM (SELECT date_bin(res, j.ts, '2000-01-01') AS b,
                   (array_agg(j.price * s.tick_size ORDER BY j.ts, j.seq, j.idx))[1] AS o,
                   max(j.price * s.tick_size) AS h, min(j.price * s.tick_size) AS l,
                   (array_agg(j.price * s.tick_size ORDER BY j.ts DESC, j.seq DESC, j.idx DESC))[1] AS c,
                   sum(j.quantity) AS v, count(*) AS n, sum(j.price * s.tick_size * j.quantity) AS notional,
                   scale(s.tick_size) AS sc
              FROM exchange.journal j JOIN exchange.symbols s ON s.symbol = j.symbol AND s.stream = j.stream
             WHERE j.symbol = sym AND j.kind = 'trade' AND j.price > 0 AND j.quantity > 0
             GROUP BY 1, s.tick_size) x
     WHERE b >= coalesce(lo, '-infinity') AND b < coalesce(hi, 'infinity') $$;
CREATE FUNCTION pg_temp.compare(sym text, res interval, lo timestamptz, hi timestamptz)
RETURNS TABLE (buckets bigint, differing bigint) LANGUAGE sql AS $$
    SELECT count(*), count(*) FILTER (WHERE c.bucket_start IS NULL OR r.bucket_start IS NULL
               OR c.open <> r.open OR c.high <> r.high OR c.low <> r.low OR c.close <> r.close
               OR c.volume <> r.volume OR c.trade_count <> r.trade_count
               OR c.vwap * 10::numeric ^ (r.scale + 4) <> r.vwap_units
               OR scale(c.vwap) <> r.scale + 4 OR scale(c.open) <> r.scale)
      FROM exchange.candles(sym, res, lo, hi) c
      FULL JOIN pg_temp.reference(sym, res, lo, hi) r USING (bucket_start) $$;
SELECT sym, res, lo, hi, x.*
  FROM (VALUES ('1 minute'::interval), ('5 minutes'), ('7 minutes'), ('1 hour'), ('1 day'),
               ('1 second'), ('90 seconds'), ('2.5 seconds')) r(res),
       (VALUES ('CDA'), ('CDB'), ('CDC')) s(sym),
       (VALUES (NULL::timestamptz, NULL::timestamptz),
               ('2026-11-24 21:17:31+00', '2026-11-25 00:41:07.5+00')) w(lo, hi),
       LATERAL pg_temp.compare(sym, res, lo, hi) x
 ORDER BY sym, res, lo;

-- the buckets that start in [start, end), whole: 14:30 starts before 14:30:30
SELECT * FROM exchange.candles('CDA', '1 minute', '2026-11-23 14:30:30+00', '2026-11-23 14:32+00');
SELECT * FROM exchange.candles('CDA', '1 minute', '2026-11-23 14:30:00+00', '2026-11-23 14:31:00.000001+00');
SELECT * FROM exchange.candles('CDA', '1 day', NULL, '2026-11-24');
SELECT * FROM exchange.candles('CDA', '30 seconds', '2026-11-23', '2026-11-24');
-- nothing traded, nothing returned
SELECT count(*) AS empty_range FROM exchange.candles('CDA', '1 hour', '2026-11-23 16:00+00', '2026-11-23 17:00+00');
SELECT count(*) AS reversed_range FROM exchange.candles('CDA', '1 hour', '2026-11-25', '2026-11-24');
SELECT count(*) AS from_infinity FROM exchange.candles('CDA', '1 hour', 'infinity', NULL);
SELECT count(*) AS to_minus_infinity FROM exchange.candles('CDA', '1 hour', NULL, '-infinity');

-- market data is public to every role of the exchange: a broker reads the
-- candles of the journal it may not read itself
SET ROLE regress_cd_broker;
SELECT count(*) AS broker_minutes FROM exchange.candles('CDA', '1 minute');
SELECT count(*) AS broker_from_journal FROM exchange.candles('CDA', '90 seconds');
SELECT count(*) > 0 AS broker_reads_candles_1m FROM exchange.candles_1m;
SELECT pg_temp.try('SELECT count(*) FROM exchange.journal') AS broker_journal;
RESET ROLE;

-- errors
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$SELECT * FROM exchange.candles('CDA', '0.5 seconds')$$),
    ($$SELECT * FROM exchange.candles('CDA', '0 seconds')$$),
    ($$SELECT * FROM exchange.candles('CDA', '-1 minute')$$),
    ($$SELECT * FROM exchange.candles('CDA', '1 day 1 second')$$),
    ($$SELECT * FROM exchange.candles('CDA', '25 hours')$$),
    ($$SELECT * FROM exchange.candles('CDA', '1 month')$$),
    ($$SELECT * FROM exchange.candles('CDA', '1 year')$$),
    ($$SELECT * FROM exchange.candles('CDA', '1 mon -30 days')$$),
    ($$SELECT * FROM exchange.candles('CDA', NULL)$$),
    ($$SELECT * FROM exchange.candles(NULL, '1 minute')$$),
    ($$SELECT * FROM exchange.candles('NOPE', '1 minute')$$),
    ($$SELECT count(*) FROM exchange.candles('CDA', '1 second')$$),
    ($$SELECT count(*) FROM exchange.candles('CDA', '24 hours')$$)
  ) t(q);
