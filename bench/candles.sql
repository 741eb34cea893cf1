-- bench/candles.sql: candles (issue 6) against their baselines, in one run.
--
--   psql -X -q -At -v rows=N -v runs=R -f bench/candles.sql
--
-- against a database with the exchange extension (scripts/bench.sh makes a
-- throwaway cluster).  Prints "BENCH <name> <value> <unit>" lines and "#"
-- comments.  Times are measured in the server (clock_timestamp() around each
-- statement, planning included, no client round trip); each figure is the
-- median of its runs, and the two sides of a comparison alternate so that
-- noise on this shared machine hits both alike.
--
-- 1. candle_agg against the fastest plain SQL found (min/max of
--    ARRAY[epoch, seq, price] for open and close; array_agg(ORDER BY), window
--    functions and DISTINCT ON are slower, see docs/benchmarks.md) over :rows
--    generated executions (20 symbols over a 6.5-hour day), 1-minute buckets,
--    one process (no parallel workers), then candle_agg with 2 workers (a
--    Partial/Finalize plan, forced by zero parallel costs).
-- 2. A day of one symbol (a trade every 100..500 ms, 09:30-16:00 New York)
--    appended through append_batch; exchange.candles() at 1 minute and 1 hour
--    (20 calls each) against the same candles computed from the journal's
--    trades.
-- 3. What the 1-minute projection costs append_batch: project_candles by
--    itself against the whole append of the same batches.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET work_mem = '256MB';
CREATE SCHEMA bench;

-- medians (ms) of running a and b alternately n times each
CREATE FUNCTION bench.compare(a text, b text, n int, OUT a_ms numeric, OUT b_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    ta numeric[] := '{}';
    tb numeric[] := '{}';
    t0 timestamptz;
BEGIN
    FOR i IN 1..n LOOP
        t0 := clock_timestamp();
        EXECUTE a;
        ta := ta || (extract(epoch FROM clock_timestamp() - t0) * 1000);
        IF b IS NOT NULL THEN
            t0 := clock_timestamp();
            EXECUTE b;
            tb := tb || (extract(epoch FROM clock_timestamp() - t0) * 1000);
        END IF;
    END LOOP;
    a_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ta) x);
    b_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(tb) x);
END $$;

-- whether the plan of q has a node whose line contains what
CREATE FUNCTION bench.plan_has(q text, what text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF strpos(l, what) > 0 THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;

CREATE FUNCTION bench.line(name text, value numeric, unit text) RETURNS text
LANGUAGE sql AS $$ SELECT format('BENCH %s %s %s', name, value, unit) $$;

-- ---- 1. candle_agg against plain SQL -------------------------------------------------
CREATE UNLOGGED TABLE bench.executions (symbol int, ts timestamptz, price numeric,
    quantity bigint, seq bigint);
INSERT INTO bench.executions
SELECT i % 20, '2026-11-23 14:30:00+00'::timestamptz + (i / 20) * (interval '23400 s' / (:rows / 20)),
       (10000 + (i * 7919) % 2000)::numeric * 0.01, 1 + (i * 31) % 500, i
  FROM generate_series(0::bigint, :rows - 1) i;
VACUUM (FREEZE, ANALYZE) bench.executions;
SELECT format('# %s executions, %s symbols, %s one-minute candles', count(*), count(DISTINCT symbol),
              count(DISTINCT (symbol, date_bin('1 minute', ts, '2000-01-01'))))
  FROM bench.executions;

\set candle_q 'SELECT symbol, b, exchange.open(c), exchange.high(c), exchange.low(c), exchange.close(c), exchange.volume(c), exchange.trade_count(c), exchange.vwap(c) FROM (SELECT symbol, date_bin(''1 minute'', ts, ''2000-01-01'') AS b, exchange.candle_agg(ts, price, quantity, seq) AS c FROM bench.executions GROUP BY 1, 2) x'
\set sql_q 'SELECT symbol, date_bin(''1 minute'', ts, ''2000-01-01'') AS b, (min(ARRAY[extract(epoch FROM ts), seq, price]))[3] AS open, max(price) AS high, min(price) AS low, (max(ARRAY[extract(epoch FROM ts), seq, price]))[3] AS close, sum(quantity) AS volume, count(*) AS trades, round(sum(price * quantity) / sum(quantity), 6) AS vwap FROM bench.executions GROUP BY 1, 2'

-- the same candles both ways (one symbol; vwap is rounded alike but for ties)
SELECT format('# check: %s candles of symbol 0, %s differ in open/high/low/close/volume/trades',
              count(*), count(*) FILTER (WHERE a.open <> b.open OR a.high <> b.high OR a.low <> b.low
                                            OR a.close <> b.close OR a.volume <> b.volume
                                            OR a.trades <> b.trades))
  FROM (SELECT b, exchange.open(c) AS open, exchange.high(c) AS high, exchange.low(c) AS low,
               exchange.close(c) AS close, exchange.volume(c) AS volume,
               exchange.trade_count(c) AS trades
          FROM (SELECT date_bin('1 minute', ts, '2000-01-01') AS b,
                       exchange.candle_agg(ts, price, quantity, seq) AS c
                  FROM bench.executions WHERE symbol = 0 GROUP BY 1) x) a
  JOIN (SELECT date_bin('1 minute', ts, '2000-01-01') AS b,
               (min(ARRAY[extract(epoch FROM ts), seq, price]))[3] AS open, max(price) AS high,
               min(price) AS low, (max(ARRAY[extract(epoch FROM ts), seq, price]))[3] AS close,
               sum(quantity) AS volume, count(*) AS trades
          FROM bench.executions WHERE symbol = 0 GROUP BY 1) b USING (b);

SET max_parallel_workers_per_gather = 0;
SELECT * FROM bench.compare(:'candle_q', :'sql_q', :runs) \gset
SELECT bench.line(format('candle_agg_%sm', :rows / 1000000), round(:a_ms), 'ms');
SELECT bench.line(format('candle_sql_%sm', :rows / 1000000), round(:b_ms), 'ms');
SELECT bench.line('candle_agg_speedup', round(:b_ms / :a_ms, 2), 'x');
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT format('# check: with 2 workers the plan is a Partial and Finalize aggregate: %s',
              bench.plan_has(:'candle_q', 'Partial HashAggregate')
              AND bench.plan_has(:'candle_q', 'Finalize HashAggregate'));
SELECT * FROM bench.compare(:'candle_q', NULL, :runs) \gset
SELECT bench.line(format('candle_agg_%sm_2_workers', :rows / 1000000), round(:a_ms), 'ms');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
DROP TABLE bench.executions;

-- ---- 2. a day of one symbol through append_batch; candles() -------------------------
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('bench_candles') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 14:00+00', symbol => 'BCD',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'BCD')])) AS listed \gset
SELECT setseed(0.5) \gset
CREATE TABLE bench.day AS
SELECT row_number() OVER (ORDER BY ts) + 1 AS seq, ts, ticks, quantity FROM (
    SELECT '2026-11-23 14:30:00+00'::timestamptz + sum(gap) OVER (ORDER BY i) * interval '1 ms' AS ts,
           10000 + (200 * sin(i / 3000.0))::int + (random() * 10)::int AS ticks,
           100 * (1 + (random() * 9)::int) AS quantity
      FROM (SELECT i, 100 + (random() * 400)::int AS gap FROM generate_series(1, 100000) i) g) x
 WHERE ts < '2026-11-23 21:00:00+00';
-- batches of commands: a new order and its trade against a resting order (or,
-- without trades, its acceptance)
CREATE FUNCTION bench.records(lo bigint, hi bigint, sym text, trades boolean DEFAULT true)
RETURNS bytea LANGUAGE sql AS $$
    SELECT exchange.encode_batch(array_agg(r ORDER BY d.seq, k))
      FROM bench.day d, LATERAL (VALUES
          (0, exchange.make_record(d.seq, 0, 'new_order', d.ts, symbol => sym, account => 'bench-1',
               order_id => d.seq, side => 'buy', order_type => 'limit', time_in_force => 'ioc',
               price => d.ticks, quantity => d.quantity)),
          (1, CASE WHEN trades THEN
                  exchange.make_record(d.seq, 1, 'trade', d.ts, symbol => sym, account => 'bench-1',
                      order_id => d.seq, side => 'buy', price => d.ticks, quantity => d.quantity,
                      remaining => 0, status => 'filled', contra_order_id => 1,
                      contra_account => 'bench-2', contra_remaining => 1000000)
              ELSE
                  exchange.make_record(d.seq, 1, 'accepted', d.ts, symbol => sym, account => 'bench-1',
                      order_id => d.seq, side => 'buy', price => d.ticks, quantity => d.quantity,
                      remaining => d.quantity, status => 'new')
              END)) AS x(k, r)
     WHERE d.seq BETWEEN lo AND hi $$;
DO $$
DECLARE
    st exchange.streams := (SELECT s FROM exchange.streams s WHERE name = 'bench_candles');
BEGIN
    FOR lo IN 2..(SELECT max(seq) FROM bench.day) BY 500 LOOP
        PERFORM exchange.append_batch(st.stream, st.epoch, lo,
            bench.records(lo, least(lo + 499, (SELECT max(seq) FROM bench.day)), 'BCD'));
    END LOOP;
END $$;
SELECT format('# a day of BCD: %s trades appended in %s batches, %s minutes, %s to %s',
              count(*), ceil(count(*) / 500.0), (SELECT count(*) FROM exchange.candles_1m WHERE symbol = 'BCD'),
              min(ts), max(ts))
  FROM exchange.journal WHERE symbol = 'BCD' AND kind = 'trade';

\set day_from '''2026-11-23 00:00+00'''
\set day_to '''2026-11-24 00:00+00'''
\set journal_q 'SELECT b, exchange.open(c), exchange.high(c), exchange.low(c), exchange.close(c), exchange.volume(c), exchange.trade_count(c), exchange.vwap(c) FROM (SELECT date_bin(%L, j.ts, ''2000-01-01'') AS b, exchange.candle_agg(j.ts, exchange.ticks_to_price(j.price, s.tick_size), j.quantity, j.seq * 2097152 + j.idx * 2) AS c FROM exchange.journal j JOIN exchange.symbols s ON s.symbol = j.symbol AND s.stream = j.stream WHERE j.kind = ''trade'' AND j.symbol = ''BCD'' AND j.ts >= %L AND j.ts < %L AND j.idx > 0 AND j.price > 0 AND j.quantity > 0 GROUP BY 1) r ORDER BY b'
CREATE TEMP TABLE journal_minutes AS
SELECT * FROM (SELECT date_bin('1 minute', j.ts, '2000-01-01') AS b,
                      exchange.candle_agg(j.ts, exchange.ticks_to_price(j.price, s.tick_size), j.quantity,
                                          j.seq * 2097152 + j.idx * 2) AS c
                 FROM exchange.journal j JOIN exchange.symbols s ON s.symbol = j.symbol AND s.stream = j.stream
                WHERE j.kind = 'trade' AND j.symbol = 'BCD' GROUP BY 1) r;
SELECT format('# check: candles() at 1 minute and 1 hour against the journal: %s and %s differ',
              (SELECT count(*) FROM exchange.candles('BCD', '1 minute', :day_from, :day_to) c
                 FULL JOIN journal_minutes m ON m.b = c.bucket_start
                WHERE c.bucket_start IS NULL OR m.b IS NULL OR c.close <> exchange.close(m.c)
                   OR c.vwap <> exchange.vwap(m.c) OR c.volume <> exchange.volume(m.c)),
              (SELECT count(*) FROM exchange.candles('BCD', '1 hour', :day_from, :day_to) c
                 FULL JOIN (SELECT date_bin('1 hour', b, '2000-01-01') AS h, exchange.rollup(c) AS c
                              FROM journal_minutes GROUP BY 1) m ON m.h = c.bucket_start
                WHERE c.bucket_start IS NULL OR m.h IS NULL OR c.open <> exchange.open(m.c)
                   OR c.low <> exchange.low(m.c) OR c.vwap <> exchange.vwap(m.c)));

SELECT * FROM bench.compare(format($$SELECT count(*) FROM exchange.candles('BCD', '1 minute', %s, %s)$$, :'day_from', :'day_to'),
                            format(:'journal_q', '1 minute', :day_from, :day_to), 20) \gset
SELECT bench.line('candles_day_1m', round(:a_ms, 2), 'ms');
SELECT bench.line('candles_day_1m_from_journal', round(:b_ms, 2), 'ms');
SELECT bench.line('candles_day_1m_ratio', round(:b_ms / :a_ms, 1), 'x');
SELECT * FROM bench.compare(format($$SELECT count(*) FROM exchange.candles('BCD', '1 hour', %s, %s)$$, :'day_from', :'day_to'),
                            format(:'journal_q', '1 hour', :day_from, :day_to), 20) \gset
SELECT bench.line('candles_day_1h', round(:a_ms, 2), 'ms');
SELECT bench.line('candles_day_1h_from_journal', round(:b_ms, 2), 'ms');
SELECT bench.line('candles_day_1h_ratio', round(:b_ms / :a_ms, 1), 'x');

-- ---- 3. what the projection costs append_batch --------------------------------------
-- A stream with a listed symbol; 35 batches of 1,000 commands with a trade each
-- (2,000 records), then 35 with the acceptance instead of a trade.  The append
-- time of each batch, and project_candles by itself on one batch of each kind
-- (30 times, undone: the minutes exist by then, so the upsert merges as in
-- steady state).  Both in one transaction, without the commit.
DO $$
DECLARE
    w exchange.streams;
BEGIN
    PERFORM exchange.take_over_stream('bench_append');
    w := (SELECT s FROM exchange.streams s WHERE name = 'bench_append');
    PERFORM exchange.append_batch(w.stream, w.epoch, 1, exchange.encode_batch(ARRAY[
        exchange.make_record(1, 0, 'add_symbol', '2026-11-23 14:00+00', symbol => 'BCW', detail => '{"tick_size": 0.01}'),
        exchange.make_record(1, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'BCW')]));
END $$;
CREATE TABLE bench.cost_batches AS
SELECT k, lo, k < 35 AS trades, bench.records(lo, lo + 999, 'BCW', k < 35) AS batch
  FROM generate_series(0, 69) k, LATERAL (SELECT 2 + k * 1000 AS lo) x;
CREATE FUNCTION bench.append_cost(p_trades boolean, OUT append_ms numeric, OUT projection_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    w exchange.streams := (SELECT s FROM exchange.streams s WHERE name = 'bench_append');
    ta numeric[] := '{}';
    tp numeric[] := '{}';
    t0 timestamptz;
    b record;
    v bytea;
BEGIN
    FOR b IN SELECT * FROM bench.cost_batches WHERE trades = p_trades ORDER BY k LOOP
        -- a plain value in memory, as matchd's binary parameter arrives (not
        -- the table's compressed TOAST, which every reader would decompress)
        v := b.batch || ''::bytea;
        t0 := clock_timestamp();
        PERFORM exchange.append_batch(w.stream, w.epoch, b.lo, v, NULL);
        ta := ta || (extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    BEGIN
        FOR i IN 1..30 LOOP
            t0 := clock_timestamp();
            PERFORM exchange.project_candles(w.stream, v);
            tp := tp || (extract(epoch FROM clock_timestamp() - t0) * 1000);
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    append_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ta) x);
    projection_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(tp) x);
END $$;
SELECT * FROM bench.append_cost(true) \gset
SELECT bench.line('append_b2000_trades', round(:append_ms, 2), 'ms');
SELECT bench.line('project_candles_b2000_trades', round(:projection_ms, 3), 'ms');
SELECT bench.line('candles_projection_share_trades', round(100 * :projection_ms / :append_ms, 1), '%');
SELECT * FROM bench.append_cost(false) \gset
SELECT bench.line('append_b2000_no_trades', round(:append_ms, 2), 'ms');
SELECT bench.line('project_candles_b2000_no_trades', round(:projection_ms, 3), 'ms');
SELECT bench.line('candles_projection_share_no_trades', round(100 * :projection_ms / :append_ms, 1), '%');
SELECT format('# check: %s minutes of BCW in candles_1m, %s trades in them (%s appended)',
              count(*), sum(exchange.trade_count(candle)),
              (SELECT count(*) FROM exchange.journal WHERE symbol = 'BCW' AND kind = 'trade'))
  FROM exchange.candles_1m WHERE symbol = 'BCW';
