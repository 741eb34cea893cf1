-- pgTAP: the archive and the engine snapshots (1.5).  Archival is
-- exchange_dba's; the catalog and the checksums are for staff; archived rows
-- are read like the live journal (engine, compliance, dba) and written by no
-- one; snapshots are written by the engine only; compliance writes nothing.
BEGIN;
SELECT plan(138);

SELECT has_schema('exchange_archive', 'schema exchange_archive');
SELECT has_table('exchange_archive', 'journal', 'table exchange_archive.journal');
SELECT has_table('exchange_archive', 'candles_1m', 'table exchange_archive.candles_1m');
SELECT has_table('exchange', 'archived_days', 'table exchange.archived_days');
SELECT has_table('exchange', 'engine_snapshots', 'table exchange.engine_snapshots');
SELECT has_view('exchange', 'journal_history', 'view exchange.journal_history');
SELECT has_view('exchange', 'candles_1m_history', 'view exchange.candles_1m_history');
SELECT ok((SELECT relkind = 'p' FROM pg_class WHERE oid = 'exchange.candles_1m'::regclass),
          'exchange.candles_1m is partitioned (by trading day)');
-- the archive's parents have the live journal's columns and keys, so that a
-- detached partition attaches there
SELECT is((SELECT array_agg(attname::text || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'exchange_archive.journal'::regclass AND attnum > 0),
          (SELECT array_agg(attname::text || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'exchange.journal'::regclass AND attnum > 0),
          'the archived journal has the journal''s columns');
SELECT is((SELECT count(*)::int FROM pg_index WHERE indrelid = 'exchange_archive.journal'::regclass),
          (SELECT count(*)::int FROM pg_index WHERE indrelid = 'exchange.journal'::regclass),
          'the archived journal has as many indexes as the journal');
SELECT col_is_pk('exchange_archive', 'journal', ARRAY['stream', 'seq', 'idx', 'trading_day']::name[],
                 'archived journal key as the journal''s');

-- ---- functions ------------------------------------------------------------------------
CREATE TEMP TABLE fns (name text, args text[], who text[]) ON COMMIT DROP;
INSERT INTO fns VALUES
    ('archive_trading_day', ARRAY['date'], ARRAY['exchange_dba']),
    ('record_archive_export', ARRAY['date', 'text', 'text', 'bytea', 'bytea'], ARRAY['exchange_dba']),
    ('drop_archived_day', ARRAY['date'], ARRAY['exchange_dba']),
    ('restore_archived_day', ARRAY['date'], ARRAY['exchange_dba']),
    ('journal_day_checksum', ARRAY['date'], ARRAY['exchange_compliance', 'exchange_dba']),
    ('journal_day_checksum_v1', ARRAY['date'], ARRAY['exchange_compliance', 'exchange_dba']),
    ('archived_journal_checksum', ARRAY['date', 'smallint'], ARRAY['exchange_compliance', 'exchange_dba']),
    ('candles_day_checksum', ARRAY['date'], ARRAY['exchange_compliance', 'exchange_dba']),
    ('save_snapshot', ARRAY['integer', 'bigint', 'bigint', 'bytea'], ARRAY['exchange_engine']),
    ('latest_snapshot', ARRAY['integer', 'bigint'], ARRAY['exchange_engine']),
    ('is_staff', ARRAY[]::text[], ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                                        'exchange_compliance', 'exchange_dba']);

SELECT function_privs_are('exchange', f.name, f.args, r,
    CASE WHEN r = ANY (f.who) THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
    format('%s %s call %s(%s)', r, CASE WHEN r = ANY (f.who) THEN 'may' ELSE 'may not' END,
           f.name, array_to_string(f.args, ', ')))
  FROM fns f, unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                           'exchange_compliance', 'exchange_dba']) r
 ORDER BY f.name, r;
SELECT ok(NOT has_function_privilege('public',
          format('exchange.%s(%s)', f.name, array_to_string(f.args, ', ')), 'EXECUTE'),
          format('PUBLIC may not call %s', f.name))
  FROM fns f ORDER BY f.name;
SELECT ok(obj_description(format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure,
                          'pg_proc') IS NOT NULL, format('%s has a comment', f.name))
  FROM fns f ORDER BY f.name;
SELECT ok(NOT has_function_privilege('public', 'exchange_archive.refuse_write()', 'EXECUTE'),
          'PUBLIC may not call exchange_archive.refuse_write');

-- ---- relations ------------------------------------------------------------------------
SELECT table_privs_are('exchange', 'archived_days', r,
    CASE WHEN r IN ('exchange_admin', 'exchange_compliance', 'exchange_dba') THEN ARRAY['SELECT']
         ELSE ARRAY[]::text[] END, r || ': archived_days')
  FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance',
                    'exchange_dba', 'public']) r;
SELECT table_privs_are(s, t, r,
    CASE WHEN r IN ('exchange_engine', 'exchange_compliance', 'exchange_dba') THEN ARRAY['SELECT']
         ELSE ARRAY[]::text[] END, format('%s: %s.%s', r, s, t))
  FROM (VALUES ('exchange', 'engine_snapshots'), ('exchange', 'journal_history'),
               ('exchange_archive', 'journal'), ('exchange_archive', 'candles_1m')) x(s, t),
       unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance',
                    'exchange_dba', 'public']) r;
SELECT ok(NOT has_schema_privilege(r, 'exchange_archive', 'USAGE'), r || ' has no use of exchange_archive')
  FROM unnest(ARRAY['exchange_broker', 'public']) r;
-- compliance reads everything and writes nothing, here or anywhere in the schema
SELECT is((SELECT count(*)::int FROM pg_class c
            WHERE c.relnamespace IN ('exchange'::regnamespace, 'exchange_archive'::regnamespace)
              AND c.relkind IN ('r', 'p', 'v')
              AND (has_table_privilege('exchange_compliance', c.oid, 'INSERT')
                   OR has_table_privilege('exchange_compliance', c.oid, 'UPDATE')
                   OR has_table_privilege('exchange_compliance', c.oid, 'DELETE')
                   OR has_table_privilege('exchange_compliance', c.oid, 'TRUNCATE'))), 0,
          'exchange_compliance may write no table or view');
SELECT ok(obj_description(c.oid, 'pg_class') IS NOT NULL, format('%s has a comment', c.oid::regclass))
  FROM pg_class c
 WHERE c.oid IN ('exchange.archived_days'::regclass, 'exchange.engine_snapshots'::regclass,
                 'exchange.journal_history'::regclass, 'exchange.candles_1m_history'::regclass,
                 'exchange_archive.journal'::regclass, 'exchange_archive.candles_1m'::regclass)
 ORDER BY 1;
SELECT is((SELECT count(*)::int FROM pg_attribute a
            WHERE a.attrelid IN ('exchange.archived_days'::regclass, 'exchange.engine_snapshots'::regclass,
                                 'exchange.candles_1m'::regclass, 'exchange.journal_history'::regclass,
                                 'exchange.candles_1m_history'::regclass, 'exchange.journal_prices'::regclass,
                                 'exchange_archive.journal'::regclass, 'exchange_archive.candles_1m'::regclass)
              AND a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL),
          0, 'every column of the new tables and views, and of the archive, has a comment');
SELECT ok(obj_description('exchange_archive'::regnamespace, 'pg_namespace') IS NOT NULL,
          'exchange_archive has a comment');

-- ---- behaviour under the roles ---------------------------------------------------------
CREATE ROLE tap_dba IN ROLE exchange_dba;
CREATE ROLE tap_compliance IN ROLE exchange_compliance;
CREATE ROLE tap_broker IN ROLE exchange_broker;
SET LOCAL ROLE tap_compliance;
SELECT throws_ok($$SELECT exchange.archive_trading_day('2030-01-01')$$, '42501', NULL,
                 'compliance cannot archive');
SELECT throws_ok($$SELECT exchange.drop_archived_day('2030-01-01')$$, '42501', NULL,
                 'compliance cannot drop an archived day');
SELECT throws_ok($$DELETE FROM exchange.archived_days$$, '42501', NULL,
                 'compliance cannot change the catalog');
SELECT lives_ok($$SELECT * FROM exchange.archived_days$$, 'compliance reads the catalog');
RESET ROLE;
SET LOCAL ROLE tap_broker;
SELECT throws_ok($$SELECT * FROM exchange.journal_history$$, '42501', NULL,
                 'a broker cannot read the journal history');
SELECT throws_ok($$SELECT * FROM exchange.archived_days$$, '42501', NULL,
                 'a broker cannot read the archive catalog');
RESET ROLE;
SET LOCAL ROLE tap_dba;
SELECT throws_ok($$SELECT exchange.archive_trading_day('2030-01-01')$$, 'PX084', NULL,
                 'the dba may archive (a day without a journal: PX084)');
SELECT throws_ok($$SELECT exchange.save_snapshot(1, 1, 1, '\x00')$$, '42501', NULL,
                 'the dba cannot write engine snapshots');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
