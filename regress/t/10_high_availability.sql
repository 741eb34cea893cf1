-- pgTAP: the leader lease and the members (1.6).  The lease protocol is the
-- engine's (matchd logs in as a member of exchange_engine); every role that
-- calls the order functions may find the leader; operators (admin, dba)
-- switch over; staff read who leads and the lag; brokers look up their own
-- orders by client order id, nothing else of the cluster.
BEGIN;
SELECT plan(99);

SELECT has_table('exchange', 'stream_leases', 'table exchange.stream_leases');
SELECT has_table('exchange', 'stream_members', 'table exchange.stream_members');
SELECT col_is_pk('exchange', 'stream_leases', 'stream', 'one lease per stream');
SELECT col_is_pk('exchange', 'stream_members', ARRAY['stream', 'node']::name[], 'one member row per stream and node');
SELECT fk_ok('exchange', 'stream_leases', 'stream', 'exchange', 'streams', 'stream');
SELECT has_index('exchange', 'journal', 'journal_client_order_id', 'journal indexed by account and client order id');

-- ---- functions ------------------------------------------------------------------------
CREATE TEMP TABLE fns (name text, args text[], who text[]) ON COMMIT DROP;
INSERT INTO fns VALUES
    ('acquire_lease', ARRAY['text', 'text', 'text', 'integer'], ARRAY['exchange_engine']),
    ('renew_lease', ARRAY['integer', 'text', 'bigint', 'integer'], ARRAY['exchange_engine']),
    ('release_lease', ARRAY['integer', 'text', 'bigint'], ARRAY['exchange_engine']),
    ('lease_open', ARRAY['integer', 'text'], ARRAY['exchange_engine']),
    ('report_member', ARRAY['integer', 'text', 'text', 'text', 'bigint', 'integer'], ARRAY['exchange_engine']),
    ('leader_endpoint', ARRAY['text'], ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                                             'exchange_compliance', 'exchange_dba']),
    ('matchd_leader', ARRAY['text'], ARRAY['exchange_admin', 'exchange_engine', 'exchange_compliance', 'exchange_dba']),
    ('matchd_nodes', ARRAY['text'], ARRAY['exchange_admin', 'exchange_engine', 'exchange_compliance', 'exchange_dba']),
    ('request_switchover', ARRAY['text', 'text'], ARRAY['exchange_admin', 'exchange_dba']),
    ('switchover', ARRAY['text', 'text', 'integer'], ARRAY['exchange_admin', 'exchange_dba']),
    ('client_order', ARRAY['text', 'text'], ARRAY['exchange_admin', 'exchange_broker', 'exchange_compliance',
                                                  'exchange_dba']);

SELECT ok(has_function_privilege(r, format('exchange.%s(%s)', f.name, array_to_string(f.args, ', ')), 'EXECUTE')
          = (r = ANY (f.who)),
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
-- the internals are nobody's
SELECT ok(NOT has_function_privilege(r, p, 'EXECUTE'), format('%s may not call %s', r, p))
  FROM unnest(ARRAY['exchange.session_alive(integer, timestamptz)',
                    'exchange.lease_open_to(exchange.stream_leases, bigint, text)']) p,
       unnest(ARRAY['exchange_broker', 'exchange_compliance', 'public']) r;

-- ---- tables: read by staff, written by nobody directly --------------------------------
SELECT table_privs_are('exchange', t, r,
    CASE WHEN r = 'exchange_broker' THEN ARRAY[]::text[] ELSE ARRAY['SELECT'] END,
    format('%s %s', r, CASE WHEN r = 'exchange_broker' THEN 'may not read ' || t ELSE 'may only read ' || t END))
  FROM unnest(ARRAY['stream_leases', 'stream_members']) t,
       unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance',
                    'exchange_dba']) r;

SELECT * FROM finish();
ROLLBACK;
