-- pgTAP: the candles' objects (1.3).  Market data is public to every role of
-- the exchange and to nobody else; the 1-minute candles are written only by
-- append_batch (project_candles and the aggregates' support functions are
-- granted to no one).
BEGIN;
SELECT plan(179);

SELECT has_type('exchange', 'candle', 'type exchange.candle');
SELECT has_table('exchange', 'candles_1m', 'table exchange.candles_1m');
SELECT col_is_pk('exchange', 'candles_1m', ARRAY['stream', 'symbol', 'bucket', 'trading_day']::name[],
                 'one candle per stream, symbol, minute and trading day (1.5: partitioned by day)');
SELECT col_type_is('exchange', 'candles_1m', 'candle', 'exchange.candle', 'candles_1m.candle is a candle');
SELECT is_aggregate('exchange', a, args, 'aggregate exchange.' || a)
  FROM (VALUES ('candle_agg', ARRAY['timestamp with time zone', 'numeric', 'bigint']),
               ('candle_agg', ARRAY['timestamp with time zone', 'numeric', 'bigint', 'bigint']),
               ('rollup', ARRAY['exchange.candle'])) x(a, args);
SELECT ok((SELECT string_to_array(extversion, '.')::int[] >= '{1,3}' FROM pg_extension
            WHERE extname = 'exchange'), 'CREATE EXTENSION installs version 1.3 or later');

-- ---- functions ------------------------------------------------------------------------
CREATE TEMP TABLE fns (name text, args text[], public_data boolean) ON COMMIT DROP;
INSERT INTO fns VALUES
    -- market data: every role of the exchange
    ('candle_agg', ARRAY['timestamp with time zone', 'numeric', 'bigint'], true),
    ('candle_agg', ARRAY['timestamp with time zone', 'numeric', 'bigint', 'bigint'], true),
    ('rollup', ARRAY['exchange.candle'], true),
    ('candle_merge', ARRAY['exchange.candle', 'exchange.candle'], true),
    ('candle_eq', ARRAY['exchange.candle', 'exchange.candle'], true),
    ('open', ARRAY['exchange.candle'], true),
    ('high', ARRAY['exchange.candle'], true),
    ('low', ARRAY['exchange.candle'], true),
    ('close', ARRAY['exchange.candle'], true),
    ('volume', ARRAY['exchange.candle'], true),
    ('trade_count', ARRAY['exchange.candle'], true),
    ('notional', ARRAY['exchange.candle'], true),
    ('vwap', ARRAY['exchange.candle'], true),
    ('open_time', ARRAY['exchange.candle'], true),
    ('high_time', ARRAY['exchange.candle'], true),
    ('low_time', ARRAY['exchange.candle'], true),
    ('close_time', ARRAY['exchange.candle'], true),
    ('candles', ARRAY['text', 'interval', 'timestamp with time zone', 'timestamp with time zone'], true),
    -- internal: append_batch's projection, the aggregates' support functions,
    -- the type's I/O (PostgreSQL calls those without a privilege check)
    ('project_candles', ARRAY['integer', 'bytea'], false),
    ('candle_agg_trans', ARRAY['internal', 'timestamp with time zone', 'numeric', 'bigint'], false),
    ('candle_agg_trans', ARRAY['internal', 'timestamp with time zone', 'numeric', 'bigint', 'bigint'], false),
    ('candle_rollup_trans', ARRAY['internal', 'exchange.candle'], false),
    ('candle_combine', ARRAY['internal', 'internal'], false),
    ('candle_serialize', ARRAY['internal'], false),
    ('candle_deserialize', ARRAY['bytea', 'internal'], false),
    ('candle_final', ARRAY['internal'], false),
    ('candle_in', ARRAY['cstring'], false),
    ('candle_out', ARRAY['exchange.candle'], false),
    ('candle_recv', ARRAY['internal'], false),
    ('candle_send', ARRAY['exchange.candle'], false);

SELECT function_privs_are('exchange', f.name, f.args, r,
    CASE WHEN f.public_data THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
    format('%s %s call %s(%s)', r, CASE WHEN f.public_data THEN 'may' ELSE 'may not' END,
           f.name, array_to_string(f.args, ', ')))
  FROM fns f, unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                           'exchange_compliance', 'exchange_dba']) r
 ORDER BY f.name, f.args, r;
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.oid IN (SELECT format('exchange.%s(%s)', name, array_to_string(args, ', '))::regprocedure FROM fns)
       AND a.grantee = 0$$, 'PUBLIC may execute none of them');

-- ---- the table --------------------------------------------------------------------------
SELECT table_privs_are('exchange', 'candles_1m', r, ARRAY['SELECT'], r || ' reads candles_1m, no more')
  FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                    'exchange_compliance', 'exchange_dba']) r;
SELECT table_privs_are('exchange', 'candles_1m', 'public', ARRAY[]::text[], 'PUBLIC cannot read candles_1m');
SELECT ok(NOT (SELECT relrowsecurity FROM pg_class WHERE oid = 'exchange.candles_1m'::regclass),
          'candles_1m has no row-level security: market data is the same for every role');

-- ---- try it -----------------------------------------------------------------------------
CREATE ROLE tap_cd_broker LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_cd_engine LOGIN IN ROLE exchange_engine;
CREATE ROLE tap_cd_nobody LOGIN;
SELECT is(exchange.append_batch(s.stream, s.epoch, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'TCD',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'TCD'),
    exchange.make_record(2, 0, 'new_order', '2026-11-23 14:30:05+00', symbol => 'TCD', account => 'tcd-1',
        order_id => 2, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1000, quantity => 3),
    exchange.make_record(2, 1, 'trade', '2026-11-23 14:30:05+00', symbol => 'TCD', account => 'tcd-1',
        order_id => 2, side => 'buy', price => 1000, quantity => 3, remaining => 0, status => 'filled',
        contra_order_id => 1, contra_account => 'tcd-2', contra_remaining => 0)])), 2::bigint,
    'a trade appended')
  FROM exchange.take_over_stream('tap_candles') s;

SET ROLE tap_cd_broker;
SELECT is((SELECT exchange.volume(candle) FROM exchange.candles_1m WHERE symbol = 'TCD'), 3::bigint,
          'a broker reads candles_1m');
SELECT is((SELECT close FROM exchange.candles('TCD', '1 minute')), 10.00,
          'a broker reads candles from the 1-minute table');
SELECT is((SELECT trade_count FROM exchange.candles('TCD', '90 seconds')), 1::bigint,
          'a broker reads candles computed from the journal it may not read');
SELECT throws_ok($$SELECT count(*) FROM exchange.journal$$, '42501', NULL,
                 'the broker still cannot read the journal');
SELECT is(exchange.vwap(exchange.candle_agg(t, p, q)), 10.33333336667::numeric,
          'a broker aggregates its own numbers into candles')
  FROM (VALUES ('2026-11-23 14:30+00'::timestamptz, 10.0000001, 1::bigint), ('2026-11-23 14:31+00', 10.5, 2)) x(t, p, q);
SELECT ok((SELECT candle FROM exchange.candles_1m WHERE symbol = 'TCD')::text::exchange.candle
          OPERATOR(exchange.=) (SELECT candle FROM exchange.candles_1m WHERE symbol = 'TCD'),
          'a broker reads and writes candle text and compares candles');
SELECT throws_ok($$SELECT exchange.project_candles(1, '\x00')$$, '42501', NULL,
                 'a broker cannot write candles through the projection');
SELECT throws_ok($$DELETE FROM exchange.candles_1m$$, '42501', NULL, 'a broker cannot delete candles');
RESET ROLE;

SET ROLE tap_cd_engine;
SELECT throws_ok($$UPDATE exchange.candles_1m SET updated_seq = 0$$, '42501', NULL,
                 'the engine writes candles only through append_batch');
SELECT throws_ok($$INSERT INTO exchange.candles_1m SELECT * FROM exchange.candles_1m$$, '42501', NULL,
                 'the engine cannot insert candles of its own');
SELECT throws_ok($$SELECT exchange.project_candles(1, '\x00')$$, '42501', NULL,
                 'the engine cannot call the projection by itself');
RESET ROLE;

SET ROLE tap_cd_nobody;
SELECT throws_ok($$SELECT * FROM exchange.candles('TCD', '1 minute')$$, '42501', NULL,
                 'a role outside the exchange gets no market data');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
