-- pgTAP: the order manager's objects (1.2).  Who may call and read what, and
-- row-level security: a broker sees the wallets, positions, balances, limits
-- and history of its own accounts only; staff see all.
BEGIN;
SELECT plan(238);

-- ---- functions ----------------------------------------------------------------------
CREATE TEMP TABLE fns (name text, args text[], who text) ON COMMIT DROP;
INSERT INTO fns VALUES
    -- the admin's commands and the schedule
    ('open_account', ARRAY['text', 'regrole', 'exchange.kyc_status'], 'admin'),
    ('set_kyc_status', ARRAY['text', 'exchange.kyc_status', 'text'], 'admin'),
    ('suspend_account', ARRAY['text', 'text'], 'admin'),
    ('resume_account', ARRAY['text', 'text'], 'admin'),
    ('deposit', ARRAY['text', 'numeric', 'text'], 'admin'),
    ('withdraw', ARRAY['text', 'numeric', 'text'], 'admin'),
    ('credit_shares', ARRAY['text', 'text', 'bigint'], 'admin'),
    ('debit_shares', ARRAY['text', 'text', 'bigint'], 'admin'),
    ('set_account_limits', ARRAY['text', 'bigint', 'numeric', 'numeric', 'integer', 'integer', 'integer'], 'admin'),
    ('set_symbol_limits', ARRAY['text', 'integer', 'integer', 'integer', 'integer', 'numeric'], 'admin'),
    ('halt_symbol', ARRAY['text', 'text'], 'admin'),
    ('resume_symbol', ARRAY['text', 'text'], 'admin'),
    ('open_market', ARRAY[]::text[], 'admin'),
    ('close_market', ARRAY[]::text[], 'admin'),
    ('set_market_schedule', ARRAY['text', 'time without time zone', 'time without time zone', 'integer[]', 'text'], 'admin'),
    ('add_market_holiday', ARRAY['date', 'text', 'text'], 'admin'),
    ('remove_market_holiday', ARRAY['date', 'text'], 'admin'),
    -- readers: everyone with a role (row-level security inside)
    ('market_status', ARRAY['text'], 'all'),
    ('scheduled_session', ARRAY['integer', 'timestamp with time zone'], 'all'),
    ('schedule_boundaries', ARRAY['integer', 'date', 'date'], 'all'),
    ('local_date', ARRAY['integer', 'timestamp with time zone'], 'all'),
    ('default_limits', ARRAY[]::text[], 'all'),
    ('balances', ARRAY['text'], 'all'),
    ('account_history', ARRAY['text'], 'all'),
    ('minor_to_amount', ARRAY['bigint', 'integer'], 'all'),
    ('tick_value', ARRAY['numeric', 'text'], 'all'),
    -- the engine appends with its wallets; tools encode them
    ('append_batch', ARRAY['integer', 'bigint', 'bigint', 'bytea', 'bytea'], 'engine'),
    ('encode_wallets', ARRAY['exchange.wallet_entry[]'], 'tools'),
    -- internal to append_batch
    ('project_wallets', ARRAY['integer', 'bytea'], 'none'),
    ('project_reference_data', ARRAY['integer', 'bigint', 'bigint'], 'none'),
    ('stream_id', ARRAY['text'], 'none');

SELECT function_privs_are('exchange', f.name, f.args, r,
    CASE WHEN f.who = 'all' OR (f.who = 'admin' AND r = 'exchange_admin')
              OR (f.who = 'engine' AND r = 'exchange_engine')
              OR (f.who = 'tools' AND r IN ('exchange_engine', 'exchange_compliance', 'exchange_dba'))
         THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
    format('%s %s call %s', r, CASE WHEN f.who = 'all' OR (f.who = 'admin' AND r = 'exchange_admin')
                                        OR (f.who = 'engine' AND r = 'exchange_engine')
                                        OR (f.who = 'tools' AND r IN ('exchange_engine', 'exchange_compliance', 'exchange_dba'))
                                   THEN 'may' ELSE 'may not' END, f.name))
  FROM fns f, unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                           'exchange_compliance', 'exchange_dba']) r
 ORDER BY f.name, r;

-- ---- tables and views -----------------------------------------------------------------
SELECT table_privs_are('exchange', t.name, r,
    CASE WHEN t.name = 'currencies' AND r = 'exchange_admin' THEN ARRAY['INSERT', 'SELECT']
         WHEN t.name IN ('fees_collected', 'account_limits') AND r = 'exchange_broker' THEN ARRAY[]::text[]
         ELSE ARRAY['SELECT'] END,
    format('%s on %s', r, t.name))
  FROM unnest(ARRAY['currencies', 'wallets', 'positions', 'fees_collected', 'account_limits',
                    'market_state', 'market_schedule', 'market_holidays', 'risk_limits',
                    'account_log']) t(name),
       unnest(ARRAY['exchange_admin', 'exchange_engine', 'exchange_broker',
                    'exchange_compliance', 'exchange_dba']) r
 ORDER BY t.name, r;
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = ('exchange.' || t)::regclass),
          'row-level security is on for ' || t)
  FROM unnest(ARRAY['wallets', 'positions']) t;

-- ---- two brokers, a desk of the first, an analyst, the engine ---------------------------
CREATE ROLE tap_om_broker_a LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_om_broker_b LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_om_desk_a LOGIN IN ROLE tap_om_broker_a;
CREATE ROLE tap_om_analyst LOGIN IN ROLE exchange_compliance;
CREATE ROLE tap_om_engine LOGIN IN ROLE exchange_engine;
CREATE ROLE tap_om_admin LOGIN IN ROLE exchange_admin;

SELECT ok(exchange.take_over_stream('tap_om') IS NOT NULL, 'stream tap_om taken over');
SET ROLE tap_om_engine;
SELECT is(exchange.append_batch(t.stream, t.epoch, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'TOM',
        detail => '{"tick_size": 0.01, "tick_value": 1}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'TOM'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'tom-a1',
        detail => '{"broker": "tap_om_broker_a", "kyc_status": "verified"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'tom-a1'),
    exchange.make_record(3, 0, 'open_account', '2026-11-23 13:00+00', account => 'tom-b1',
        detail => '{"broker": "tap_om_broker_b", "kyc_status": "verified"}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', account => 'tom-b1'),
    exchange.make_record(4, 0, 'deposit', '2026-11-23 13:01+00', account => 'tom-a1', amount => 10000,
        detail => '{"currency": "USD"}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:01+00', account => 'tom-a1', amount => 10000),
    exchange.make_record(5, 0, 'deposit', '2026-11-23 13:01+00', account => 'tom-b1', amount => 20000,
        detail => '{"currency": "USD"}'),
    exchange.make_record(5, 1, 'accepted', '2026-11-23 13:01+00', account => 'tom-b1', amount => 20000),
    exchange.make_record(6, 0, 'withdraw', '2026-11-23 13:02+00', account => 'tom-b1', amount => 90000,
        detail => '{"currency": "USD"}'),
    exchange.make_record(6, 1, 'rejected', '2026-11-23 13:02+00', account => 'tom-b1', amount => 90000,
        reason => 'insufficient_funds', status => 'rejected'),
    exchange.make_record(7, 0, 'credit_shares', '2026-11-23 13:03+00', symbol => 'TOM', account => 'tom-a1', quantity => 5),
    exchange.make_record(7, 1, 'accepted', '2026-11-23 13:03+00', symbol => 'TOM', account => 'tom-a1', quantity => 5),
    exchange.make_record(8, 0, 'credit_shares', '2026-11-23 13:03+00', symbol => 'TOM', account => 'tom-b1', quantity => 7),
    exchange.make_record(8, 1, 'accepted', '2026-11-23 13:03+00', symbol => 'TOM', account => 'tom-b1', quantity => 7),
    exchange.make_record(9, 0, 'set_account_limits', '2026-11-23 13:04+00', account => 'tom-b1',
        detail => '{"burst": 7}'),
    exchange.make_record(9, 1, 'accepted', '2026-11-23 13:04+00', account => 'tom-b1')]),
    exchange.encode_wallets(ARRAY[
        ('cash', 'tom-a1', 'USD', 10000, 0, 4), ('cash', 'tom-b1', 'USD', 20000, 0, 5),
        ('shares', 'tom-a1', 'TOM', 5, 0, 7), ('shares', 'tom-b1', 'TOM', 7, 0, 8),
        ('fees', NULL, 'USD', 3, 0, 8)]::exchange.wallet_entry[])),
    9::bigint, 'the engine appends a batch with its wallets')
  FROM exchange.streams t WHERE t.name = 'tap_om';
SELECT results_eq($$SELECT boundary FROM exchange.scheduled_session(
                      (SELECT stream FROM exchange.streams WHERE name = 'tap_om'), now())$$,
                  ARRAY[]::timestamptz[], 'matchd''s role reads the schedule (none yet)');
RESET ROLE;

-- broker a, and its desk: its own account only
SET ROLE tap_om_broker_a;
SELECT set_eq($$SELECT account FROM exchange.wallets WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1'], 'broker a sees its own wallet only');
SELECT set_eq($$SELECT account FROM exchange.positions WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1'], 'broker a sees its own position only');
SELECT results_eq($$SELECT account, asset_type, asset, total FROM exchange.balances() WHERE account LIKE 'tom-%'$$,
                  $$VALUES ('tom-a1', 'cash', 'USD', 100.00), ('tom-a1', 'shares', 'TOM', 5)$$,
                  'broker a''s balances(): its own account');
SELECT is_empty($$SELECT * FROM exchange.balances('tom-b1')$$, 'broker a cannot see broker b''s balances');
SELECT results_eq($$SELECT seq, kind::text, outcome FROM exchange.account_history('tom-a1')$$,
                  $$VALUES (2::bigint, 'open_account', 'accepted'), (4, 'deposit', 'accepted'),
                           (7, 'credit_shares', 'accepted')$$,
                  'broker a reads its account''s history');
SELECT is_empty($$SELECT * FROM exchange.account_history('tom-b1')$$, 'broker a cannot read broker b''s history');
SELECT set_eq($$SELECT account FROM exchange.account_log WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1'], 'account_log shows broker a its own account');
SELECT set_eq($$SELECT account FROM exchange.risk_limits WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1'], 'broker a sees its own limits only');
SELECT throws_ok($$SELECT * FROM exchange.fees_collected$$, '42501', NULL, 'brokers do not see the exchange''s fees');
SELECT throws_ok($$SELECT * FROM exchange.account_limits$$, '42501', NULL, 'brokers read limits through risk_limits');
SELECT throws_ok($$UPDATE exchange.wallets SET available = available + 1000000$$, '42501', NULL,
                 'a broker cannot change a wallet');
SELECT throws_ok($$SELECT exchange.project_wallets(1, exchange.encode_wallets('{}'))$$, '42501', NULL,
                 'a broker cannot project wallets');
SELECT lives_ok($$SELECT * FROM exchange.market_status('tap_om')$$, 'brokers read the market status');
RESET ROLE;
SET ROLE tap_om_desk_a;
SELECT set_eq($$SELECT account FROM exchange.balances() WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1', 'tom-a1'], 'a member of broker a sees broker a''s balances');
SELECT set_eq($$SELECT account FROM exchange.risk_limits WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1'], 'a member of broker a sees broker a''s limits');
RESET ROLE;

-- broker b: its own, including a rejected withdrawal and its limit
SET ROLE tap_om_broker_b;
SELECT set_eq($$SELECT account FROM exchange.wallets WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-b1'], 'broker b sees its own wallet only');
SELECT set_eq($$SELECT account FROM exchange.positions WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-b1'], 'broker b sees its own position only');
SELECT is_empty($$SELECT * FROM exchange.balances('tom-a1')$$, 'broker b cannot see broker a''s balances');
SELECT results_eq($$SELECT kind::text, outcome, reason, amount FROM exchange.account_history('tom-b1') WHERE seq = 6$$,
                  $$VALUES ('withdraw', 'rejected', 'insufficient_funds', 900.00)$$,
                  'broker b sees its rejected withdrawal');
SELECT is_empty($$SELECT * FROM exchange.account_history('tom-a1')$$, 'broker b cannot read broker a''s history');
SELECT results_eq($$SELECT account, burst, orders_per_second FROM exchange.risk_limits WHERE account LIKE 'tom-%'$$,
                  $$VALUES ('tom-b1', 7, 200)$$, 'broker b sees its own limits, defaults filled in');
RESET ROLE;

-- staff see every account
SET ROLE tap_om_analyst;
SELECT set_eq($$SELECT account FROM exchange.wallets WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1', 'tom-b1'], 'compliance sees every wallet');
SELECT set_eq($$SELECT account FROM exchange.balances() WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1', 'tom-a1', 'tom-b1', 'tom-b1'], 'compliance sees every balance');
SELECT is((SELECT count(*) FROM exchange.account_log WHERE account LIKE 'tom-%'), 8::bigint,
          'compliance sees every account command');
SELECT is((SELECT amount FROM exchange.fees_collected f JOIN exchange.streams s USING (stream)
            WHERE s.name = 'tap_om'), 3::bigint, 'compliance sees the fees');
SELECT throws_ok($$DELETE FROM exchange.wallets$$, '42501', NULL, 'compliance writes nothing');
RESET ROLE;
SET ROLE tap_om_admin;
SELECT set_eq($$SELECT account FROM exchange.risk_limits WHERE account LIKE 'tom-%'$$,
              ARRAY['tom-a1', 'tom-b1'], 'the admin sees every account''s limits');
SELECT throws_ok($$SELECT exchange.append_batch(1, 1, 1, '\x00'::bytea, NULL::bytea)$$, '42501', NULL,
                 'the admin cannot append');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
