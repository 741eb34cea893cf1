-- pgTAP: who may do what.  The journal is written only through the sequencer
-- functions, and only by exchange_engine; PUBLIC may do nothing.
BEGIN;
SELECT plan(114);

SELECT has_role(r) FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                                     'exchange_compliance', 'exchange_dba']) r;

SELECT schema_privs_are('exchange', 'public', ARRAY[]::text[], 'PUBLIC cannot use the schema');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
           aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
     WHERE n.nspname = 'exchange' AND a.grantee = 0$$, 'PUBLIC has no table privilege');
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
           aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE n.nspname = 'exchange' AND a.grantee = 0$$, 'PUBLIC may execute no function');
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'exchange' AND p.prosecdef
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
    'every SECURITY DEFINER function pins its search_path');

SELECT table_privs_are('exchange', 'journal', r, ARRAY['SELECT'], r || ' reads the journal, no more')
  FROM unnest(ARRAY['exchange_engine', 'exchange_compliance', 'exchange_dba']) r;
SELECT table_privs_are('exchange', 'journal', r, ARRAY[]::text[], r || ' cannot touch the journal')
  FROM unnest(ARRAY['exchange_broker', 'exchange_admin']) r;
SELECT function_privs_are('exchange', 'append_batch', ARRAY['integer', 'bigint', 'bigint', 'bytea'],
    'exchange_engine', ARRAY['EXECUTE'], 'the engine appends');
SELECT function_privs_are('exchange', 'append_batch', ARRAY['integer', 'bigint', 'bigint', 'bytea'],
    r, ARRAY[]::text[], r || ' cannot append')
  FROM unnest(ARRAY['exchange_broker', 'exchange_admin', 'exchange_compliance', 'exchange_dba']) r;
SELECT function_privs_are('exchange', 'journal_insert', ARRAY['bytea', 'integer', 'bigint'],
    r, ARRAY[]::text[], r || ' cannot bypass append_batch''s checks')
  FROM unnest(ARRAY['exchange_engine', 'exchange_broker', 'exchange_compliance', 'exchange_dba']) r;
SELECT function_privs_are('exchange', 'take_over_stream', ARRAY['text'],
    r, ARRAY[]::text[], r || ' cannot take a stream over')
  FROM unnest(ARRAY['exchange_broker', 'exchange_compliance']) r;

-- order entry: order functions for brokers, reference data for the admin,
-- executions for whoever may read them, publish_batch for no one
SELECT function_privs_are('exchange', f.name, f.args, 'exchange_broker', ARRAY['EXECUTE'],
    'brokers may call ' || f.name)
  FROM (VALUES ('submit_order', ARRAY['text', 'text', 'exchange.side', 'bigint', 'numeric', 'exchange.order_type', 'exchange.time_in_force', 'text', 'numeric', 'bigint', 'boolean', 'timestamptz']),
               ('cancel_order', ARRAY['text', 'bigint']),
               ('amend_order', ARRAY['text', 'bigint', 'bigint', 'numeric']),
               ('submit_orders', ARRAY['exchange.order_request[]']),
               ('cancel_orders', ARRAY['text', 'bigint[]']),
               ('cancel_all', ARRAY['text', 'text'])) f(name, args);
SELECT function_privs_are('exchange', f.name, f.args, r, ARRAY[]::text[], r || ' may not call ' || f.name)
  FROM (VALUES ('submit_order', ARRAY['text', 'text', 'exchange.side', 'bigint', 'numeric', 'exchange.order_type', 'exchange.time_in_force', 'text', 'numeric', 'bigint', 'boolean', 'timestamptz']),
               ('cancel_order', ARRAY['text', 'bigint']),
               ('amend_order', ARRAY['text', 'bigint', 'bigint', 'numeric']),
               ('submit_orders', ARRAY['exchange.order_request[]']),
               ('cancel_orders', ARRAY['text', 'bigint[]']),
               ('cancel_all', ARRAY['text', 'text'])) f(name, args),
       unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_compliance', 'exchange_dba']) r;
SELECT function_privs_are('exchange', f.name, f.args, 'exchange_admin', ARRAY['EXECUTE'],
    'the admin may call ' || f.name)
  FROM (VALUES ('add_symbol', ARRAY['text', 'numeric', 'bigint', 'text', 'numeric', 'text']),
               ('open_account', ARRAY['text', 'regrole', 'exchange.kyc_status'])) f(name, args);
SELECT function_privs_are('exchange', f.name, f.args, r, ARRAY[]::text[], r || ' may not call ' || f.name)
  FROM (VALUES ('add_symbol', ARRAY['text', 'numeric', 'bigint', 'text', 'numeric', 'text']),
               ('open_account', ARRAY['text', 'regrole', 'exchange.kyc_status'])) f(name, args),
       unnest(ARRAY['exchange_broker', 'exchange_engine', 'exchange_compliance', 'exchange_dba']) r;
SELECT function_privs_are('exchange', 'publish_batch', ARRAY['bytea', 'integer'], r, ARRAY[]::text[],
    r || ' cannot publish notifications of its own')
  FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance', 'exchange_dba']) r;
SELECT function_privs_are('exchange', 'executions', ARRAY['text', 'bigint', 'timestamp with time zone', 'timestamp with time zone'],
    r, ARRAY['EXECUTE'], r || ' may call executions')
  FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance', 'exchange_dba']) r;
SELECT table_privs_are('exchange', 'execution_log', r, ARRAY['SELECT'], r || ' reads execution_log, no more')
  FROM unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker', 'exchange_compliance', 'exchange_dba']) r;

-- the REST API (1.8): keys and rest_enable for the admin, the key check for
-- the REST daemon's role only, the keys' table for no broker
SELECT function_privs_are('exchange', f.name, f.args, 'exchange_admin', ARRAY['EXECUTE'],
    'the admin may call ' || f.name)
  FROM (VALUES ('rest_enable', ARRAY['regrole']), ('rest_disable', ARRAY['regrole']),
               ('issue_api_key', ARRAY['regrole', 'text']), ('revoke_api_key', ARRAY['text'])) f(name, args);
SELECT function_privs_are('exchange', f.name, f.args, 'exchange_broker', ARRAY[]::text[],
    'a broker may not call ' || f.name)
  FROM (VALUES ('rest_enable', ARRAY['regrole']), ('rest_disable', ARRAY['regrole']),
               ('issue_api_key', ARRAY['regrole', 'text']), ('revoke_api_key', ARRAY['text']),
               ('api_key_broker', ARRAY['text'])) f(name, args);
SELECT function_privs_are('exchange', 'api_key_broker', ARRAY['text'], r, ARRAY[]::text[],
    r || ' may not check API keys')
  FROM unnest(ARRAY['exchange_admin', 'exchange_compliance']) r;
SELECT function_privs_are('exchange', 'api_key_broker', ARRAY['text'], 'exchange_rest', ARRAY['EXECUTE'],
    'the REST daemon checks API keys');
SELECT table_privs_are('exchange', 'api_keys', r, ARRAY[]::text[], r || ' cannot read the API keys')
  FROM unnest(ARRAY['exchange_broker', 'exchange_rest']) r;
SELECT function_privs_are('exchange', 'submit_order', ARRAY['text', 'text', 'exchange.side', 'bigint', 'numeric', 'exchange.order_type', 'exchange.time_in_force', 'text', 'numeric', 'bigint', 'boolean', 'timestamptz'],
    'exchange_rest', ARRAY[]::text[], 'the REST daemon cannot enter orders as itself');

-- try it: login roles in each group
CREATE ROLE tap_engine LOGIN IN ROLE exchange_engine;
CREATE ROLE tap_compliance LOGIN IN ROLE exchange_compliance;
CREATE ROLE tap_broker LOGIN IN ROLE exchange_broker;
SELECT ok(exchange.take_over_stream('tap') IS NOT NULL, 'stream tap taken over');

SET ROLE tap_compliance;
SELECT throws_ok($$INSERT INTO exchange.journal (stream, seq, idx, epoch, trading_day, ts, kind)
                   VALUES (1, 1, 0, 1, '2026-11-23', now(), 'market_open')$$,
                 '42501', NULL, 'compliance cannot insert into the journal');
SELECT throws_ok($$SELECT exchange.append_batch(1, 1, 1, exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'market_open')]))$$,
                 '42501', NULL, 'compliance cannot call append_batch');
SELECT lives_ok($$SELECT count(*) FROM exchange.journal$$, 'compliance reads the journal');
RESET ROLE;

-- an API key: issued for a broker (which rest_enable makes a role the REST
-- daemon may SET ROLE to), checked by its hash, revoked
CREATE ROLE tap_admin LOGIN IN ROLE exchange_admin;
SET ROLE tap_admin;
SELECT throws_ok($$SELECT exchange.issue_api_key('tap_compliance')$$, '22023', NULL,
                 'an API key only for a broker role');
CREATE TEMP TABLE tap_key AS SELECT * FROM exchange.issue_api_key('tap_broker', 'tap');
GRANT SELECT ON tap_key TO PUBLIC;
RESET ROLE;
SELECT ok(pg_has_role('exchange_rest', 'tap_broker', 'MEMBER'), 'issue_api_key enabled the broker for REST');
SELECT ok(NOT pg_has_role('exchange_rest', 'tap_broker', 'USAGE'), 'exchange_rest holds none of the broker''s privileges');
SET ROLE exchange_rest;
SELECT is(exchange.api_key_broker((SELECT api_key FROM tap_key)), 'tap_broker'::name, 'the key maps to its broker');
SELECT is(exchange.api_key_broker((SELECT api_key FROM tap_key) || 'x'), NULL, 'another key maps to no one');
RESET ROLE;
SET ROLE tap_admin;
SELECT ok(exchange.revoke_api_key((SELECT key_id FROM tap_key)), 'the admin revokes the key');
RESET ROLE;
SET ROLE exchange_rest;
SELECT is(exchange.api_key_broker((SELECT api_key FROM tap_key)), NULL, 'a revoked key maps to no one');
RESET ROLE;

-- the module defines its settings when loaded; a broker's SET must meet the real one
LOAD 'exchange';
SET ROLE tap_broker;
SELECT throws_ok($$SELECT count(*) FROM exchange.journal$$, '42501', NULL,
                 'a broker cannot read the raw journal of every broker');
SELECT throws_ok($$UPDATE exchange.streams SET epoch = 0$$, '42501', NULL,
                 'a broker cannot move the sequencer');
SELECT throws_ok($$SELECT * FROM exchange.add_symbol('TAP', 0.01)$$, '42501', NULL,
                 'a broker cannot list symbols');
SELECT throws_ok($$SELECT exchange.publish_batch('\x00'::bytea, 1)$$,
                 '42501', NULL, 'a broker cannot send notifications in the exchange''s name');
SELECT throws_ok($$SET exchange.matchd_socket = '/tmp/somewhere-else'$$, '42501', NULL,
                 'a broker cannot point the order functions at another daemon');
RESET ROLE;

SET ROLE tap_engine;
SELECT throws_ok($$DELETE FROM exchange.journal$$, '42501', NULL,
                 'even the engine cannot delete from the journal');
SELECT throws_ok($$UPDATE exchange.streams SET last_seq = 0$$, '42501', NULL,
                 'the engine moves the sequencer only through its functions');
SELECT is(exchange.append_batch(s.stream, s.epoch, 1,
              exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'market_open', '2026-11-23 14:30+00')])),
          1::bigint, 'the engine appends through append_batch')
  FROM exchange.streams s WHERE name = 'tap';
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
