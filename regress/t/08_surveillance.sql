-- pgTAP: the surveillance reports and the priority audit (1.5) are the
-- exchange's confidential regulatory tools.  Compliance, admin and dba may
-- run them; brokers, the engine and PUBLIC may not (the engine is matchd's
-- writer: it never needs them, and least privilege keeps a leaked engine
-- credential from a ready-made analysis of every account).  They are
-- SECURITY DEFINER (admin cannot read the journal itself) with a pinned
-- search_path, read-only (STABLE), commented; compliance writes nothing.
BEGIN;
SELECT plan(85);

CREATE TEMP TABLE fns (name text, args text[]) ON COMMIT DROP;
INSERT INTO fns VALUES
    ('surveillance_period', ARRAY['date', 'date', 'text']),
    ('resting_orders', ARRAY['date', 'date', 'text']),
    ('wash_trades', ARRAY['date', 'date', 'boolean', 'text']),
    ('spoofing_alerts', ARRAY['date', 'date', 'bigint', 'numeric', 'integer', 'interval',
                              'interval', 'integer', 'text']),
    ('marking_the_close', ARRAY['date', 'date', 'interval', 'numeric', 'numeric', 'text']),
    ('order_to_trade_ratios', ARRAY['date', 'date', 'integer', 'numeric', 'numeric', 'boolean']),
    ('priority_violations', ARRAY['date', 'date', 'text']);

-- 7 x 5 = 35: who may execute what
SELECT function_privs_are('exchange', f.name, f.args, r,
    CASE WHEN r IN ('exchange_compliance', 'exchange_admin', 'exchange_dba')
         THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
    format('%s %s call %s(%s)', r,
           CASE WHEN r IN ('exchange_compliance', 'exchange_admin', 'exchange_dba')
                THEN 'may' ELSE 'may not' END, f.name, array_to_string(f.args, ', ')))
  FROM fns f, unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                           'exchange_compliance', 'exchange_dba']) r
 ORDER BY f.name, r;

-- 7: PUBLIC may call none of them
SELECT ok(NOT has_function_privilege('public',
          format('exchange.%s(%s)', f.name, array_to_string(f.args, ', ')), 'EXECUTE'),
          format('PUBLIC may not call %s', f.name))
  FROM fns f ORDER BY f.name;

-- 7: every one is commented
SELECT ok(obj_description(format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure,
                          'pg_proc') IS NOT NULL,
          format('%s has a comment', f.name))
  FROM fns f ORDER BY f.name;

-- 7: read-only, definer, search_path pinned
SELECT ok(p.provolatile = 's' AND (p.prosecdef OR f.name = 'surveillance_period')
          AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'],
          format('%s is STABLE, SECURITY DEFINER (but the argument check) and pins search_path', f.name))
  FROM fns f
  JOIN pg_proc p ON p.oid = format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure
 ORDER BY f.name;

-- 7: they belong to the extension
SELECT ok(EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
                   WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND x.extname = 'exchange'
                     AND d.objid = format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure),
          format('%s is part of the extension', f.name))
  FROM fns f ORDER BY f.name;

-- the grants work in practice: a broker (member of exchange_broker) and the
-- engine are refused, compliance, admin and dba get answers
CREATE ROLE surv_t_broker IN ROLE exchange_broker;
CREATE ROLE surv_t_engine IN ROLE exchange_engine;
CREATE ROLE surv_t_compliance IN ROLE exchange_compliance;
CREATE ROLE surv_t_admin IN ROLE exchange_admin;
CREATE ROLE surv_t_dba IN ROLE exchange_dba;

SET ROLE surv_t_broker;
SELECT throws_ok($$SELECT * FROM exchange.priority_violations(current_date)$$, '42501', NULL,
                 'a broker is refused priority_violations');
SELECT throws_ok($$SELECT * FROM exchange.wash_trades(current_date)$$, '42501', NULL,
                 'a broker is refused wash_trades');
SELECT throws_ok($$SELECT * FROM exchange.spoofing_alerts(current_date)$$, '42501', NULL,
                 'a broker is refused spoofing_alerts');
SELECT throws_ok($$SELECT * FROM exchange.marking_the_close(current_date)$$, '42501', NULL,
                 'a broker is refused marking_the_close');
SELECT throws_ok($$SELECT * FROM exchange.order_to_trade_ratios(current_date)$$, '42501', NULL,
                 'a broker is refused order_to_trade_ratios');
SELECT throws_ok($$SELECT * FROM exchange.resting_orders(current_date)$$, '42501', NULL,
                 'a broker is refused resting_orders');
RESET ROLE;
SET ROLE surv_t_engine;
SELECT throws_ok($$SELECT * FROM exchange.priority_violations(current_date)$$, '42501', NULL,
                 'the engine is refused priority_violations');
SELECT throws_ok($$SELECT * FROM exchange.resting_orders(current_date)$$, '42501', NULL,
                 'the engine is refused resting_orders');
RESET ROLE;

SET ROLE surv_t_compliance;
SELECT lives_ok($$SELECT * FROM exchange.priority_violations(current_date)$$,
                'compliance runs priority_violations');
SELECT lives_ok($$SELECT * FROM exchange.wash_trades(current_date)$$, 'compliance runs wash_trades');
SELECT lives_ok($$SELECT * FROM exchange.spoofing_alerts(current_date)$$,
                'compliance runs spoofing_alerts');
SELECT lives_ok($$SELECT * FROM exchange.marking_the_close(current_date)$$,
                'compliance runs marking_the_close');
SELECT lives_ok($$SELECT * FROM exchange.order_to_trade_ratios(current_date)$$,
                'compliance runs order_to_trade_ratios');
-- ... and writes nothing: not the journal, not the reference data
SELECT throws_ok($$INSERT INTO exchange.accounts (account, broker, stream, opened_seq, opened_at)
                   VALUES ('surv_t', 'nobody', 1, 1, now())$$, '42501', NULL,
                 'compliance cannot insert accounts');
SELECT throws_ok($$UPDATE exchange.symbols SET description = 'x'$$, '42501', NULL,
                 'compliance cannot update symbols');
SELECT throws_ok($$DELETE FROM exchange.journal$$, '42501', NULL,
                 'compliance cannot delete journal rows');
SELECT throws_ok($$SELECT exchange.append_batch(1, 1, 1, '\x'::bytea)$$, '42501', NULL,
                 'compliance cannot append to the journal');
RESET ROLE;
SELECT ok(NOT EXISTS (
            SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('exchange', 'exchange_archive') AND c.relkind IN ('r', 'p', 'v', 'm')
               AND (has_table_privilege('exchange_compliance', c.oid, 'INSERT')
                    OR has_table_privilege('exchange_compliance', c.oid, 'UPDATE')
                    OR has_table_privilege('exchange_compliance', c.oid, 'DELETE')
                    OR has_table_privilege('exchange_compliance', c.oid, 'TRUNCATE'))),
          'exchange_compliance may write no table or view of the extension');

SET ROLE surv_t_admin;
SELECT lives_ok($$SELECT * FROM exchange.priority_violations(current_date)$$,
                'admin runs priority_violations (it cannot read the journal itself)');
SELECT lives_ok($$SELECT * FROM exchange.resting_orders(current_date)$$, 'admin runs resting_orders');
RESET ROLE;
SET ROLE surv_t_dba;
SELECT lives_ok($$SELECT * FROM exchange.priority_violations(current_date)$$,
                'dba runs priority_violations');
SELECT lives_ok($$SELECT * FROM exchange.order_to_trade_ratios(current_date)$$,
                'dba runs order_to_trade_ratios');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
