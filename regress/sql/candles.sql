-- exchange.candle and its aggregates (1.3): the numeric decoder against numeric
-- arithmetic, candle_agg against a plain-SQL reference over random trades,
-- independence from row order, rollup of minutes into hours and days, parallel
-- plans, text and binary I/O, NULLs and every error with its SQLSTATE.
SET timezone = 'UTC';
-- the = operator of candles lives in the extension's schema
SET search_path = public, exchange;

-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- the same with the DETAIL instead of the message when there is one
CREATE FUNCTION pg_temp.why(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || CASE WHEN detail = '' THEN SQLERRM ELSE detail END;
END $$;

-- ---- a first candle ------------------------------------------------------------------
-- four trades; two at 14:30:01 (seq orders them), prices of scales 1 and 2
CREATE TEMP TABLE few (ts timestamptz, price numeric, quantity bigint, seq bigint);
INSERT INTO few VALUES
    ('2026-11-23 14:30:02.5+00', 10.60, 20, 4),
    ('2026-11-23 14:30:01+00', 10.2, 30, 3),
    ('2026-11-23 14:30:00+00', 10.50, 100, 1),
    ('2026-11-23 14:30:01+00', 10.75, 50, 2);
SELECT exchange.candle_agg(ts, price, quantity, seq) FROM few;
SELECT exchange.open(c), exchange.high(c), exchange.low(c), exchange.close(c),
       exchange.volume(c), exchange.trade_count(c), exchange.notional(c), exchange.vwap(c)
  FROM (SELECT exchange.candle_agg(ts, price, quantity, seq) AS c FROM few) x;
SELECT exchange.open_time(c), exchange.high_time(c), exchange.low_time(c), exchange.close_time(c)
  FROM (SELECT exchange.candle_agg(ts, price, quantity, seq) AS c FROM few) x;
-- without seq every trade's seq is 0: of the two trades at 14:30:01, seq puts
-- 10.75 first; without it the lower price comes first
SELECT exchange.open(c4) AS open_by_seq, exchange.close(c4) AS close_by_seq,
       exchange.open(c3) AS open_by_price, exchange.close(c3) AS close_by_price
  FROM (SELECT exchange.candle_agg(ts, price, quantity, seq) AS c4,
               exchange.candle_agg(ts, price, quantity) AS c3
          FROM few WHERE ts = '2026-11-23 14:30:01+00') x;
SELECT exchange.candle_agg(ts, price, quantity) FROM few;
-- no rows, or only rows with a NULL: no candle
SELECT exchange.candle_agg(ts, price, quantity, seq) IS NULL AS no_rows FROM few WHERE false;
SELECT exchange.candle_agg(ts, price, quantity, seq) AS nulls_skipped
  FROM (VALUES (NULL::timestamptz, 1.0, 1::bigint, 1::bigint),
               ('2026-11-23 14:00+00', NULL, 1, 1), ('2026-11-23 14:00+00', 1.0, NULL, 1),
               ('2026-11-23 14:00+00', 1.0, 1, NULL), ('2026-11-23 15:00+00', 2.5, 3, 9)) t(ts, price, quantity, seq);
SELECT exchange.candle_agg(ts, price, quantity, seq) IS NULL AS all_null
  FROM (VALUES (NULL::timestamptz, 1.0, 1::bigint, 1::bigint)) t(ts, price, quantity, seq);
-- a running candle (window aggregate): the state is not spent by the final function
SELECT seq, exchange.close(c) AS close_so_far, exchange.volume(c) AS volume_so_far
  FROM (SELECT seq, exchange.candle_agg(ts, price, quantity, seq) OVER (ORDER BY ts, seq) AS c FROM few) x
 ORDER BY seq;

-- ---- the numeric decoder against numeric arithmetic -------------------------------------
-- A price fits when it has at most 18 decimals and is below 2^63 units of its
-- last decimal (numeric arithmetic says so).
CREATE FUNCTION pg_temp.fits(v numeric) RETURNS boolean LANGUAGE sql AS $$
    SELECT scale(v) <= 18 AND v * 10::numeric ^ scale(v) < 2::numeric ^ 63 $$;
-- 60,000 positive numerics that fit: every scale 0..18 and magnitude, display
-- scales with trailing zeros, integers ending in zero base-10000 digits
-- (stored without them), tiny values (negative weights), products
SELECT setseed(0.31);
CREATE TEMP TABLE nums AS
SELECT i, v FROM (
    SELECT i, CASE i % 6
        WHEN 0 THEN round(random()::numeric * 10::numeric ^ (i % (19 - i % 19)), i % 19)
        WHEN 1 THEN round(random()::numeric * 10::numeric ^ (i % 10), i % 5) * 1.0000
        WHEN 2 THEN ((random() * 1000)::int * 10::numeric ^ (i % 16))::numeric(40, 0)
        WHEN 3 THEN round(random()::numeric * 100, 2) * round(random()::numeric * 100, 3)
        WHEN 4 THEN round(random()::numeric * 10::numeric ^ (-(i % 12)), 18)
        ELSE trunc(random()::numeric * 9223372036854775807 / 10::numeric ^ (i % 19), i % 19)
        END AS v
      FROM generate_series(1, 60000) i) x
 WHERE v > 0 AND pg_temp.fits(v);
SELECT count(*) AS values, count(DISTINCT scale(v)) AS scales, min(v) AS smallest,
       max(v) AS largest, count(*) FILTER (WHERE v = trunc(v) AND v >= 10000 AND v % 10000 = 0)
       AS ending_in_zero_digits FROM nums;
-- each value is its own one-trade candle: the prices and the notional come back exact
SELECT count(*) AS checked,
       count(*) FILTER (WHERE exchange.open(c) <> v OR scale(exchange.open(c)) <> scale(v)
                           OR exchange.close(c) <> v OR exchange.notional(c) <> v * 3
                           OR scale(exchange.notional(c)) <> scale(v)
                           OR exchange.vwap(c) <> v OR scale(exchange.vwap(c)) <> scale(v) + 4
                           OR c::text::exchange.candle::text <> c::text) AS mismatches
  FROM (SELECT v, exchange.candle_agg('2026-11-23 14:30+00', v, 3) AS c FROM nums GROUP BY i, v) x;
-- the limits: 2^63 - 1 units of the last decimal at several scales, 18 decimals
SELECT v, exchange.open(exchange.candle_agg('2026-11-23 14:30+00', v, 1)) = v AS exact
  FROM (VALUES (9223372036854775807::numeric), (922337203685477580.7), (9.223372036854775807),
               (0.000000000000000001), (1.000000000000000000), (120000000), (1e18)) t(v)
 GROUP BY v ORDER BY v;
-- around them: 22003 exactly when the value does not fit
SELECT setseed(0.47);
CREATE TEMP TABLE edge AS
SELECT (CASE WHEN k = 0 THEN t ELSE left(t, -k) || '.' || right(t, k) END)::numeric AS v
  FROM (SELECT i % 21 AS k,
               lpad(trunc(random()::numeric * 2::numeric ^ (61 + i % 4))::text, i % 21 + 1, '0') AS t
          FROM generate_series(1, 1000) i) x;
SELECT count(*) AS values, count(*) FILTER (WHERE pg_temp.fits(v)) AS fitting,
       count(*) FILTER (WHERE pg_temp.fits(v) <> (pg_temp.try(format(
           'SELECT exchange.candle_agg(now(), %s, 1)', v)) = 'ok')) AS mismatches,
       count(*) FILTER (WHERE NOT pg_temp.fits(v) AND pg_temp.try(format(
           'SELECT exchange.candle_agg(now(), %s, 1)', v)) NOT LIKE '22003: %') AS not_22003
  FROM edge;

-- ---- candle_agg against plain SQL over random trades ------------------------------------
-- 400 groups of 1..120 trades within 40 seconds (many ties on ts, and on
-- (ts, seq)), prices of scale 0..5 with one more decimal now and then
SELECT setseed(0.5);
CREATE TEMP TABLE trades AS
SELECT g AS grp, n,
       '2026-11-23 14:30:00+00'::timestamptz + (random() * 40)::int * interval '1 second' AS ts,
       round((0.5 + random() * 300)::numeric, g % 6 + (n % 9 = 0)::int) AS price,
       1 + (random() * 900)::bigint AS quantity,
       (random() * 25)::bigint AS seq
  FROM generate_series(1, 400) g, generate_series(1, 120) n
 WHERE n <= 1 + (g * 7919) % 120;
SELECT count(*) AS trades, count(DISTINCT grp) AS groups,
       count(*) - count(DISTINCT (grp, ts)) AS ts_ties,
       count(*) - count(DISTINCT (grp, ts, seq)) AS ts_seq_ties FROM trades;

-- the reference: first and last by (ts, seq, price), extremes and their first
-- time, sums; vwap = notional / volume rounded half up at scale + 4, in integers
CREATE TEMP TABLE ref AS
SELECT grp,
       (array_agg(price ORDER BY ts, seq, price))[1] AS open,
       (array_agg(ts ORDER BY ts, seq, price))[1] AS open_time,
       max(price) AS high,
       (array_agg(ts ORDER BY price DESC, ts, seq))[1] AS high_time,
       min(price) AS low,
       (array_agg(ts ORDER BY price, ts, seq))[1] AS low_time,
       (array_agg(price ORDER BY ts DESC, seq DESC, price DESC))[1] AS close,
       (array_agg(ts ORDER BY ts DESC, seq DESC, price DESC))[1] AS close_time,
       sum(quantity) AS volume, count(*) AS trades, sum(price * quantity) AS notional,
       max(scale(price)) AS scale
  FROM trades GROUP BY grp;
CREATE TEMP TABLE got AS
SELECT grp, exchange.candle_agg(ts, price, quantity, seq) AS c FROM trades GROUP BY grp;
CREATE FUNCTION pg_temp.mismatch(c exchange.candle, r ref) RETURNS boolean LANGUAGE sql AS $$
    SELECT exchange.open(c) <> r.open OR exchange.high(c) <> r.high OR exchange.low(c) <> r.low
        OR exchange.close(c) <> r.close OR exchange.volume(c) <> r.volume
        OR exchange.trade_count(c) <> r.trades OR exchange.notional(c) <> r.notional
        OR exchange.open_time(c) <> r.open_time OR exchange.high_time(c) <> r.high_time
        OR exchange.low_time(c) <> r.low_time OR exchange.close_time(c) <> r.close_time
        OR scale(exchange.open(c)) <> r.scale OR scale(exchange.notional(c)) <> r.scale
        OR scale(exchange.vwap(c)) <> r.scale + 4
        OR exchange.vwap(c) * 10::numeric ^ (r.scale + 4)
           <> div(2 * r.notional * 10::numeric ^ (r.scale + 4) + r.volume, 2 * r.volume) $$;
SELECT count(*) AS groups, count(*) FILTER (WHERE pg_temp.mismatch(g.c, r)) AS mismatching_groups
  FROM got g JOIN ref r USING (grp);
SELECT r.grp, r.open, r.high, r.low, r.close, r.volume, r.trades, exchange.vwap(g.c) AS vwap, g.c
  FROM got g JOIN ref r USING (grp) WHERE r.grp IN (1, 2, 3, 6) ORDER BY r.grp;

-- without seq: the order is (ts, price)
CREATE TEMP TABLE ref3 AS
SELECT grp,
       (array_agg(price ORDER BY ts, price))[1] AS open,
       (array_agg(ts ORDER BY ts, price))[1] AS open_time,
       max(price) AS high,
       (array_agg(ts ORDER BY price DESC, ts))[1] AS high_time,
       min(price) AS low,
       (array_agg(ts ORDER BY price, ts))[1] AS low_time,
       (array_agg(price ORDER BY ts DESC, price DESC))[1] AS close,
       (array_agg(ts ORDER BY ts DESC, price DESC))[1] AS close_time,
       sum(quantity) AS volume, count(*) AS trades, sum(price * quantity) AS notional,
       max(scale(price)) AS scale
  FROM trades GROUP BY grp;
SELECT count(*) AS groups, count(*) FILTER (WHERE pg_temp.mismatch(g.c, ROW(r.*)::ref)) AS mismatching_groups_without_seq
  FROM (SELECT grp, exchange.candle_agg(ts, price, quantity) AS c FROM trades GROUP BY grp) g
  JOIN ref3 r USING (grp);

-- ---- row order does not matter -----------------------------------------------------------
-- the same rows stored in three physical orders, and fed in random order
CREATE TEMP TABLE trades_desc AS SELECT * FROM trades ORDER BY ts DESC, seq DESC, price DESC;
CREATE TEMP TABLE trades_shuffled AS SELECT * FROM trades ORDER BY md5(n::text || grp::text);
SELECT count(*) AS groups,
       count(*) FILTER (WHERE a.c::text <> b.c::text OR a.c::text <> d.c::text
                           OR a.c::text <> e.c::text) AS differing_with_seq,
       count(*) FILTER (WHERE a.c3::text <> b.c3::text OR a.c3::text <> d.c3::text
                           OR a.c3::text <> e.c3::text) AS differing_without_seq
  FROM (SELECT grp, exchange.candle_agg(ts, price, quantity, seq) c, exchange.candle_agg(ts, price, quantity) c3
          FROM trades GROUP BY grp) a
  JOIN (SELECT grp, exchange.candle_agg(ts, price, quantity, seq) c, exchange.candle_agg(ts, price, quantity) c3
          FROM trades_desc GROUP BY grp) b USING (grp)
  JOIN (SELECT grp, exchange.candle_agg(ts, price, quantity, seq) c, exchange.candle_agg(ts, price, quantity) c3
          FROM trades_shuffled GROUP BY grp) d USING (grp)
  JOIN (SELECT grp, exchange.candle_agg(ts, price, quantity, seq ORDER BY random()) c,
               exchange.candle_agg(ts, price, quantity ORDER BY random()) c3
          FROM trades GROUP BY grp) e USING (grp);

-- ---- rollup: minutes into hours into days equal the direct candles ----------------------
-- two symbols over two days, a trade every ~4 s, prices at scale 2 and 4
SELECT setseed(0.9);
CREATE TEMP TABLE day_trades AS
SELECT s AS symbol,
       '2026-11-23 00:00:00+00'::timestamptz + (i * 4 + (random() * 3)::int) * interval '1 second'
           + (random() * 1000)::int * interval '1 ms' AS ts,
       round((50 + 10 * sin(i / 500.0) + random())::numeric, 2 * s) AS price,
       1 + (random() * 300)::bigint AS quantity, i::bigint AS seq
  FROM generate_series(1, 2) s, generate_series(0, 43199) i;
CREATE TEMP TABLE minutes AS
SELECT symbol, date_bin('1 minute', ts, '2000-01-01') AS m,
       exchange.candle_agg(ts, price, quantity, seq) AS c
  FROM day_trades GROUP BY 1, 2;
SELECT count(*) AS minute_candles FROM minutes;
SELECT count(*) AS hours,
       count(*) FILTER (WHERE NOT r.c OPERATOR(exchange.=) d.c OR r.c::text <> d.c::text) AS differing
  FROM (SELECT symbol, date_bin('1 hour', m, '2000-01-01') AS h, exchange.rollup(c) AS c
          FROM minutes GROUP BY 1, 2) r
  JOIN (SELECT symbol, date_bin('1 hour', ts, '2000-01-01') AS h,
               exchange.candle_agg(ts, price, quantity, seq) AS c
          FROM day_trades GROUP BY 1, 2) d USING (symbol, h);
SELECT count(*) AS days,
       count(*) FILTER (WHERE r.c::text <> d.c::text OR r.c::text <> rh.c::text) AS differing
  FROM (SELECT symbol, date_bin('1 day', m, '2000-01-01') AS day, exchange.rollup(c) AS c
          FROM minutes GROUP BY 1, 2) r
  JOIN (SELECT symbol, date_bin('1 day', h, '2000-01-01') AS day, exchange.rollup(c) AS c
          FROM (SELECT symbol, date_bin('1 hour', m, '2000-01-01') AS h, exchange.rollup(c) AS c
                  FROM minutes GROUP BY 1, 2) hours GROUP BY 1, 2) rh USING (symbol, day)
  JOIN (SELECT symbol, date_bin('1 day', ts, '2000-01-01') AS day,
               exchange.candle_agg(ts, price, quantity, seq) AS c
          FROM day_trades GROUP BY 1, 2) d USING (symbol, day);
SELECT symbol, day, exchange.open(c), exchange.high(c), exchange.low(c), exchange.close(c),
       exchange.volume(c), exchange.trade_count(c)
  FROM (SELECT symbol, date_bin('1 day', m, '2000-01-01') AS day, exchange.rollup(c) AS c
          FROM minutes GROUP BY 1, 2) r ORDER BY 1, 2;
-- candle_merge, two at a time, in any order, gives the same
WITH RECURSIVE ordered AS (
    SELECT row_number() OVER (ORDER BY md5(m::text)) AS k, c FROM minutes WHERE symbol = 1
), chain AS (
    SELECT k, c FROM ordered WHERE k = 1
    UNION ALL
    SELECT o.k, exchange.candle_merge(chain.c, o.c) FROM chain JOIN ordered o ON o.k = chain.k + 1
)
SELECT (SELECT c FROM chain ORDER BY k DESC LIMIT 1)::text
       = (SELECT exchange.candle_agg(ts, price, quantity, seq) FROM day_trades WHERE symbol = 1)::text
       AS merged_equals_direct;
-- rollup skips NULLs; of nothing it is NULL
SELECT exchange.rollup(c) IS NULL AS empty_rollup FROM minutes WHERE false;
SELECT exchange.rollup(c)::text = (SELECT exchange.rollup(c) FROM minutes WHERE symbol = 2)::text AS nulls_skipped
  FROM (SELECT c FROM minutes WHERE symbol = 2 UNION ALL SELECT NULL) x;

-- ---- parallel plans --------------------------------------------------------------------
-- a regular table (temporary ones are not read in parallel)
CREATE TABLE candles_parallel AS SELECT * FROM day_trades;
ANALYZE candles_parallel;
CREATE TEMP TABLE serial_result AS
SELECT symbol, date_bin('1 hour', ts, '2000-01-01') AS h,
       exchange.candle_agg(ts, price, quantity, seq) AS c
  FROM candles_parallel GROUP BY 1, 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT exchange.candle_agg(ts, price, quantity, seq) FROM candles_parallel;
SELECT exchange.candle_agg(ts, price, quantity, seq)::text
       = (SELECT exchange.rollup(c) FROM serial_result)::text AS parallel_equals_serial
  FROM candles_parallel;
EXPLAIN (COSTS OFF)
SELECT exchange.candle_agg(ts, price, quantity) FROM candles_parallel;
SELECT exchange.candle_agg(ts, price, quantity)::text
       = (SELECT exchange.candle_agg(ts, price, quantity) FROM day_trades)::text AS parallel_equals_serial
  FROM candles_parallel;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT symbol, date_bin('1 hour', ts, '2000-01-01') AS h,
       exchange.candle_agg(ts, price, quantity, seq) AS c
  FROM candles_parallel GROUP BY 1, 2;
SELECT count(*) AS hours, count(*) FILTER (WHERE p.c::text <> s.c::text) AS differing
  FROM (SELECT symbol, date_bin('1 hour', ts, '2000-01-01') AS h,
               exchange.candle_agg(ts, price, quantity, seq) AS c
          FROM candles_parallel GROUP BY 1, 2) p
  JOIN serial_result s USING (symbol, h);
RESET enable_hashagg;
-- rollup in parallel
CREATE TABLE candles_parallel_minutes AS SELECT * FROM minutes;
ANALYZE candles_parallel_minutes;
EXPLAIN (COSTS OFF) SELECT exchange.rollup(c) FROM candles_parallel_minutes;
SELECT exchange.rollup(c)::text = (SELECT exchange.rollup(c) FROM serial_result)::text AS parallel_rollup_equals_serial
  FROM candles_parallel_minutes;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE candles_parallel, candles_parallel_minutes;

-- ---- text and binary I/O --------------------------------------------------------------
-- text reads back exactly, whatever the session's time zone
SET timezone = 'America/New_York';
SELECT count(*) AS candles,
       count(*) FILTER (WHERE c::text::exchange.candle::text <> c::text
                           OR NOT c::text::exchange.candle OPERATOR(exchange.=) c) AS differing
  FROM (SELECT c FROM got UNION ALL SELECT c FROM minutes) x;
SET timezone = 'UTC';
-- equal prices at another scale are equal candles, not equal text
SELECT a OPERATOR(exchange.=) b AS equal, a::text = b::text AS same_text
  FROM (SELECT 'open 10.5 at 2026-11-23T14:30:00+00:00 seq 1, high 10.5 at 2026-11-23T14:30:00+00:00 seq 1, low 10.5 at 2026-11-23T14:30:00+00:00 seq 1, close 10.5 at 2026-11-23T14:30:00+00:00 seq 1, volume 2, trades 1, notional 21.0'::exchange.candle AS a,
               'open 10.50 at 2026-11-23 14:30:00+00 seq 1, high 10.50 at 2026-11-23 09:30:00-05 seq 1, low 10.50 at 2026-11-23T14:30:00Z seq 1, close 10.500 at 2026-11-23T14:30:00+00:00 seq 1, volume 2, trades 1, notional 21'::exchange.candle AS b) x;
-- binary: candle_send, and COPY BINARY through candle_recv (the file is built here)
SELECT exchange.candle_send(c) FROM got WHERE grp = 1;
CREATE FUNCTION pg_temp.copy_binary(rows bytea[]) RETURNS text LANGUAGE sql AS $$
    SELECT format('COPY candles_back FROM PROGRAM %L WITH (FORMAT binary)',
                  'echo ' || translate(encode(
                      '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
                      || (SELECT string_agg(r, ''::bytea) FROM unnest(rows) r)
                      || '\xffff'::bytea, 'base64'), E'\n', '') || ' | base64 -d') $$;
CREATE TEMP TABLE candles_back (grp int, c exchange.candle);
SELECT pg_temp.try(pg_temp.copy_binary(array_agg(int2send(2::int2) || int4send(4) || int4send(grp)
           || int4send(length(exchange.candle_send(c))) || exchange.candle_send(c)))) AS copy_binary
  FROM got;
SELECT count(*) AS copied, count(*) FILTER (WHERE b.c::text <> g.c::text) AS differing
  FROM candles_back b JOIN got g USING (grp);
-- an inconsistent binary candle (the open above the high) is refused
SELECT pg_temp.why(pg_temp.copy_binary(ARRAY[int2send(2::int2) || int4send(4) || int4send(0)
       || int4send(length(s)) || overlay(s placing int8send(
           (exchange.high(c) * 10::numeric ^ scale(exchange.high(c)))::bigint + 1) from 4 for 8)]))
  FROM got, LATERAL (SELECT exchange.candle_send(c) AS s) x WHERE grp = 1;
SELECT pg_temp.try(pg_temp.copy_binary(ARRAY[int2send(2::int2) || int4send(4) || int4send(0)
       || int4send(length(s)) || overlay(s placing '\x02'::bytea from 1 for 1)]))
  FROM got, LATERAL (SELECT exchange.candle_send(c) AS s) x WHERE grp = 1;

-- ---- errors: bad input changes nothing and says why -------------------------------------
SELECT q, pg_temp.try(q) FROM (VALUES
    ($$SELECT exchange.candle_agg(now(), 10.5, 0)$$),
    ($$SELECT exchange.candle_agg(now(), 10.5, -5, 1)$$),
    ($$SELECT exchange.candle_agg(now(), 0, 1)$$),
    ($$SELECT exchange.candle_agg(now(), -10.5, 1)$$),
    ($$SELECT exchange.candle_agg(now(), 'NaN', 1)$$),
    ($$SELECT exchange.candle_agg(now(), 'Infinity', 1)$$),
    ($$SELECT exchange.candle_agg(now(), '-Infinity', 1)$$),
    ($$SELECT exchange.candle_agg('infinity', 10.5, 1)$$),
    ($$SELECT exchange.candle_agg('-infinity', 10.5, 1)$$),
    ($$SELECT exchange.candle_agg(now(), 0.0000000000000000001, 1)$$),
    ($$SELECT exchange.candle_agg(now(), 9223372036854775808, 1)$$),
    -- a price of 18 decimals leaves no room for 9223372037 at that scale
    ($$SELECT exchange.candle_agg(now(), p, 1) FROM (VALUES (9223372037), (0.000000000000000001)) t(p)$$),
    ($$SELECT exchange.candle_agg(now(), p, 1) FROM (VALUES (0.000000000000000001), (9223372037)) t(p)$$),
    ($$SELECT exchange.candle_agg(now(), 1, q) FROM (VALUES (9223372036854775807), (1)) t(q)$$),
    ($$SELECT exchange.candle_merge(c, c) FROM (SELECT exchange.candle_agg(now(), 1, 9223372036854775807) c) x$$)
  ) t(q);
-- malformed and impossible candles: 22P02 with what was expected, or why no
-- trades give that candle
SELECT what, pg_temp.why(format('SELECT %L::exchange.candle', replace(replace(t,
           '@', 'at 2026-11-23T14:30:00Z'), '#', 'at 2026-11-23T14:31:00Z'))) FROM (VALUES
    ('empty', ''),
    ('not a candle', 'garbage'),
    ('cut short', 'open 1 @ seq 1'),
    ('a word too many', 'open 1 @ seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1, more'),
    ('fields out of order', 'open 1 @ seq 1, low 1 @ seq 1, high 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('two points', 'open 1.2.3 @ seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('a sign', 'open -1 @ seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('19 decimals', 'open 1.0000000000000000001 @ seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('not a time', 'open 1 at yesterday-ish seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('no seq', 'open 1 @ seq x, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 1, volume 1, trades 1, notional 1'),
    ('beyond 2^63 units', 'open 99999999999999999999 @ seq 1, high 99999999999999999999 @ seq 1, low 99999999999999999999 @ seq 1, close 99999999999999999999 @ seq 1, volume 1, trades 1, notional 99999999999999999999'),
    ('zero price', 'open 0 @ seq 1, high 1 @ seq 1, low 0 @ seq 1, close 1 @ seq 2, volume 2, trades 2, notional 1'),
    ('open above high', 'open 2 @ seq 1, high 1 @ seq 1, low 1 @ seq 1, close 1 @ seq 2, volume 2, trades 2, notional 3'),
    ('volume below trades', 'open 1 @ seq 1, high 2 @ seq 2, low 1 @ seq 1, close 2 @ seq 2, volume 1, trades 2, notional 3'),
    ('no trades', 'open 1 @ seq 1, high 2 @ seq 2, low 1 @ seq 1, close 2 @ seq 2, volume 2, trades 0, notional 3'),
    ('notional above high * volume', 'open 1 @ seq 1, high 2 @ seq 2, low 1 @ seq 1, close 2 @ seq 2, volume 2, trades 2, notional 5'),
    ('notional finer than prices', 'open 1 @ seq 1, high 2 @ seq 2, low 1 @ seq 1, close 2 @ seq 2, volume 2, trades 2, notional 3.01'),
    ('open after close', 'open 1 # seq 1, high 2 @ seq 2, low 1 # seq 1, close 2 @ seq 2, volume 2, trades 2, notional 3'),
    ('high after close', 'open 1 @ seq 1, high 2 at 2026-11-23T14:32:00Z seq 2, low 1 @ seq 1, close 2 # seq 2, volume 2, trades 2, notional 3'),
    ('one trade, two prices', 'open 1 @ seq 1, high 2 @ seq 2, low 1 @ seq 1, close 2 @ seq 2, volume 2, trades 1, notional 3'),
    ('infinite times', 'open 1 at infinity seq 1, high 1 at infinity seq 1, low 1 at infinity seq 1, close 1 at infinity seq 1, volume 1, trades 1, notional 1')
  ) x(what, t);
