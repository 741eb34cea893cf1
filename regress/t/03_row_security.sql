-- pgTAP: a broker sees exactly its own accounts; staff see all.
BEGIN;
SELECT plan(12);

CREATE ROLE tap_broker_a LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_broker_b LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_desk_a LOGIN IN ROLE tap_broker_a;
CREATE ROLE tap_analyst LOGIN IN ROLE exchange_compliance;

SELECT is(exchange.append_batch(t.stream, t.epoch, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'open_account', '2026-11-23 13:00+00', account => 'tap-a1',
        detail => '{"broker": "tap_broker_a"}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', account => 'tap-a1'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'tap-a2',
        detail => '{"broker": "tap_broker_a"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'tap-a2'),
    exchange.make_record(3, 0, 'open_account', '2026-11-23 13:00+00', account => 'tap-b1',
        detail => '{"broker": "tap_broker_b"}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', account => 'tap-b1')])),
    3::bigint, 'three accounts opened')
  FROM exchange.take_over_stream('tap_rls') t;

SET ROLE tap_broker_a;
SELECT set_eq($$SELECT account FROM exchange.accounts WHERE account LIKE 'tap-%'$$,
              ARRAY['tap-a1', 'tap-a2'], 'broker a sees its two accounts');
RESET ROLE;
SET ROLE tap_desk_a;
SELECT set_eq($$SELECT account FROM exchange.accounts WHERE account LIKE 'tap-%'$$,
              ARRAY['tap-a1', 'tap-a2'], 'a member of broker a acts for it');
RESET ROLE;
SET ROLE tap_broker_b;
SELECT set_eq($$SELECT account FROM exchange.accounts WHERE account LIKE 'tap-%'$$,
              ARRAY['tap-b1'], 'broker b sees only its account');
SELECT throws_ok($$UPDATE exchange.accounts SET broker = 'tap_broker_b'$$, '42501', NULL,
                 'a broker cannot take accounts over');
RESET ROLE;
SET ROLE tap_analyst;
SELECT set_eq($$SELECT account FROM exchange.accounts WHERE account LIKE 'tap-%'$$,
              ARRAY['tap-a1', 'tap-a2', 'tap-b1'], 'compliance sees every account');
SELECT throws_ok($$DELETE FROM exchange.accounts$$, '42501', NULL, 'compliance writes nothing');
RESET ROLE;
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'exchange.accounts'::regclass),
          'row-level security is on for accounts');

-- executions: each broker sees its own side of a trade between them
SELECT is(exchange.append_batch(t.stream, t.epoch, 4, exchange.encode_batch(ARRAY[
    exchange.make_record(4, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'TAPX',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'TAPX'),
    exchange.make_record(5, 0, 'new_order', '2026-11-23 14:00+00', symbol => 'TAPX', account => 'tap-a1',
        order_id => 5, side => 'buy', order_type => 'market', time_in_force => 'ioc', quantity => 3),
    exchange.make_record(5, 1, 'trade', '2026-11-23 14:00+00', symbol => 'TAPX', account => 'tap-a1',
        order_id => 5, side => 'buy', price => 999, quantity => 3, remaining => 0, status => 'filled',
        contra_order_id => 1, contra_account => 'tap-b1', contra_remaining => 0)])),
    5::bigint, 'a trade between the brokers')
  FROM exchange.streams t WHERE t.name = 'tap_rls';
SET ROLE tap_desk_a;
SELECT results_eq($$SELECT account, side::text, price FROM exchange.executions('TAPX')$$,
                  $$VALUES ('tap-a1', 'buy', 9.99)$$, 'broker a (through its desk) sees its buy only');
RESET ROLE;
SET ROLE tap_broker_b;
SELECT results_eq($$SELECT account, side::text, price FROM exchange.execution_log WHERE symbol = 'TAPX'$$,
                  $$VALUES ('tap-b1', 'sell', 9.99)$$, 'broker b sees its sell only');
RESET ROLE;
SET ROLE tap_analyst;
SELECT is((SELECT count(*) FROM exchange.executions('TAPX')), 2::bigint, 'compliance sees both sides');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
