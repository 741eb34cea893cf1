-- pgTAP: the market-data functions of 1.4.  The live book and matchd's candles
-- are public market data (every role of the extension may call them; the
-- L3 rows mask other brokers' accounts inside); the book rebuilt from the
-- journal reads the journal, so only its readers may call it.
BEGIN;
SELECT plan(77);

CREATE TEMP TABLE fns (name text, args text[], who text) ON COMMIT DROP;
INSERT INTO fns VALUES
    ('order_book_l1', ARRAY['text'], 'all'),
    ('order_book_l2', ARRAY['text', 'integer'], 'all'),
    ('order_book_l2_json', ARRAY['text', 'integer'], 'all'),
    ('order_book_l3', ARRAY['text', 'integer'], 'all'),
    ('matchd_candles', ARRAY['text', 'integer'], 'all'),
    ('live_candles', ARRAY['text', 'interval'], 'all'),
    ('journal_book', ARRAY['text', 'bigint'], 'journal'),
    ('order_book_l3_at', ARRAY['text', 'bigint', 'integer'], 'journal'),
    ('order_book_l3_at', ARRAY['text', 'timestamp with time zone', 'integer'], 'journal'),
    ('order_book_l2_at', ARRAY['text', 'bigint', 'integer'], 'journal'),
    ('order_book_l2_at', ARRAY['text', 'timestamp with time zone', 'integer'], 'journal');

SELECT function_privs_are('exchange', f.name, f.args, r,
    CASE WHEN f.who = 'all' OR r IN ('exchange_engine', 'exchange_compliance', 'exchange_dba')
         THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
    format('%s %s call %s(%s)', r,
           CASE WHEN f.who = 'all' OR r IN ('exchange_engine', 'exchange_compliance', 'exchange_dba')
                THEN 'may' ELSE 'may not' END, f.name, array_to_string(f.args, ', ')))
  FROM fns f, unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                           'exchange_compliance', 'exchange_dba']) r
 ORDER BY f.name, f.args, r;

-- and PUBLIC may call none of them
SELECT ok(NOT has_function_privilege('public',
          format('exchange.%s(%s)', f.name, array_to_string(f.args, ', ')), 'EXECUTE'),
          format('PUBLIC may not call %s(%s)', f.name, array_to_string(f.args, ', ')))
  FROM fns f ORDER BY f.name, f.args;

-- every one is commented
SELECT ok(obj_description(format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure,
                          'pg_proc') IS NOT NULL,
          format('%s(%s) has a comment', f.name, array_to_string(f.args, ', ')))
  FROM fns f ORDER BY f.name, f.args;

SELECT * FROM finish();
ROLLBACK;
