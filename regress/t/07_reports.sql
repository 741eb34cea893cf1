-- pgTAP: the reports of 1.5 (reporting/*.sql).  Every view and function is
-- granted to the extension's five roles and to no one else, and commented
-- (views: every column); a broker sees in every report exactly the staff's
-- rows of the accounts it owns (counterparties of other brokers masked, no
-- fee-income row); compliance reads everything and can write nothing.
BEGIN;
SELECT plan(170);

CREATE TEMP TABLE views (name text) ON COMMIT DROP;
INSERT INTO views VALUES ('order_records'), ('execution_sides'), ('account_ledger'),
    ('tax_lot_movements');
CREATE TEMP TABLE fns (name text, args text[]) ON COMMIT DROP;
INSERT INTO fns VALUES
    ('report_arguments', ARRAY['text', 'date', 'boolean', 'text', 'text', 'date', 'date']),
    ('report_order_exists', ARRAY['bigint', 'text']),
    ('order_audit_trail', ARRAY['bigint', 'text']),
    ('trade_blotter', ARRAY['date', 'text', 'text']),
    ('daily_account_summary', ARRAY['date', 'text']),
    ('positions_eod', ARRAY['date', 'text']),
    ('allocate_part', ARRAY['bigint', 'bigint', 'bigint', 'bigint']),
    ('tax_lot_disposals', ARRAY['date', 'date', 'text', 'text']),
    ('open_tax_lots', ARRAY['date', 'text', 'text']),
    ('realized_pnl', ARRAY['date', 'date', 'text', 'text']),
    ('settlement_report', ARRAY['date']);
CREATE TEMP TABLE roles (r text) ON COMMIT DROP;
INSERT INTO roles VALUES ('exchange_admin'), ('exchange_engine'), ('exchange_broker'),
    ('exchange_compliance'), ('exchange_dba');

-- privileges: SELECT (views) / EXECUTE (functions) for the five roles, and
-- nothing else; nothing for PUBLIC
SELECT table_privs_are('exchange', v.name, r.r, ARRAY['SELECT'],
                       format('%s may only read %s', r.r, v.name))
  FROM views v, roles r ORDER BY v.name, r.r;
SELECT ok(NOT has_table_privilege('public', 'exchange.' || v.name, p),
          format('PUBLIC has no %s on %s', p, v.name))
  FROM views v, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p ORDER BY v.name, p;
SELECT function_privs_are('exchange', f.name, f.args, r.r, ARRAY['EXECUTE'],
                          format('%s may call %s', r.r, f.name))
  FROM fns f, roles r ORDER BY f.name, r.r;
SELECT ok(NOT has_function_privilege('public',
          format('exchange.%s(%s)', f.name, array_to_string(f.args, ', ')), 'EXECUTE'),
          format('PUBLIC may not call %s', f.name))
  FROM fns f ORDER BY f.name;

-- comments: every function, every view and every column of the views
SELECT ok(obj_description(format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure,
                          'pg_proc') IS NOT NULL, format('%s has a comment', f.name))
  FROM fns f ORDER BY f.name;
SELECT ok(obj_description(('exchange.' || v.name)::regclass, 'pg_class') IS NOT NULL,
          format('view %s has a comment', v.name))
  FROM views v ORDER BY v.name;
SELECT is(array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE col_description(a.attrelid, a.attnum) IS NULL),
          NULL, format('every column of %s has a comment', v.name))
  FROM views v JOIN pg_attribute a ON a.attrelid = ('exchange.' || v.name)::regclass AND a.attnum > 0
 GROUP BY v.name ORDER BY v.name;
-- and the report functions run as the caller (never SECURITY DEFINER)
SELECT is(count(*) FILTER (WHERE p.prosecdef), 0::bigint, 'no report function is SECURITY DEFINER')
  FROM fns f JOIN pg_proc p
    ON p.oid = format('exchange.%s(%s)', f.name, array_to_string(f.args, ', '))::regprocedure;

------------------------------------------------------------------------------
-- A journal of one day: broker tap_rp_one owns t-a1 and t-a2, tap_rp_two owns
-- t-b1; trades across the brokers and inside one broker, with fees; a
-- deposit, a credit and a debit of shares.
------------------------------------------------------------------------------
CREATE ROLE tap_rp_one LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_rp_two LOGIN IN ROLE exchange_broker;
CREATE ROLE tap_rp_analyst LOGIN IN ROLE exchange_compliance;

CREATE FUNCTION pg_temp.o(s bigint, acct text, sd exchange.side, px bigint, qty bigint)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
    SELECT ARRAY[
        exchange.make_record(s, 0, 'new_order', '2031-01-06 14:00+00'::timestamptz + s * interval '1 s',
            symbol => 'TRPA', account => acct, order_id => s, side => sd, order_type => 'limit',
            time_in_force => 'gtc', price => px, quantity => qty, client_order_id => 'c' || s,
            detail => '{"role": "x"}'),
        exchange.make_record(s, 1, 'accepted', '2031-01-06 14:00+00'::timestamptz + s * interval '1 s',
            symbol => 'TRPA', account => acct, order_id => s, side => sd, price => px,
            quantity => qty, remaining => qty, status => 'new')]
$$;
CREATE FUNCTION pg_temp.x(s bigint, idx int, acct text, sd exchange.side, px bigint, qty bigint,
    rem bigint, maker bigint, maker_acct text, maker_rem bigint)
RETURNS exchange.journal_record LANGUAGE sql AS $$
    SELECT exchange.make_record(s, idx, 'trade', '2031-01-06 14:00+00'::timestamptz + s * interval '1 s',
        symbol => 'TRPA', account => acct, order_id => s, side => sd, price => px, quantity => qty,
        remaining => rem, status => CASE WHEN rem = 0 THEN 'filled' ELSE 'partially_filled' END::exchange.order_status,
        contra_order_id => maker, contra_account => maker_acct, contra_remaining => maker_rem,
        detail => json_build_object('taker_fee', px * qty / 1000, 'maker_fee', px * qty / 2000))
$$;

SELECT is(exchange.append_batch(t.stream, t.epoch, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2031-01-06 13:00+00', symbol => 'TRPA',
        detail => '{"tick_size": 0.01, "currency": "USD"}'),
    exchange.make_record(1, 1, 'accepted', '2031-01-06 13:00+00', symbol => 'TRPA'),
    exchange.make_record(2, 0, 'open_account', '2031-01-06 13:00+00', account => 't-a1',
        detail => '{"broker": "tap_rp_one"}'),
    exchange.make_record(2, 1, 'accepted', '2031-01-06 13:00+00', account => 't-a1'),
    exchange.make_record(3, 0, 'open_account', '2031-01-06 13:00+00', account => 't-a2',
        detail => '{"broker": "tap_rp_one"}'),
    exchange.make_record(3, 1, 'accepted', '2031-01-06 13:00+00', account => 't-a2'),
    exchange.make_record(4, 0, 'open_account', '2031-01-06 13:00+00', account => 't-b1',
        detail => '{"broker": "tap_rp_two"}'),
    exchange.make_record(4, 1, 'accepted', '2031-01-06 13:00+00', account => 't-b1'),
    exchange.make_record(5, 0, 'deposit', '2031-01-06 13:00+00', account => 't-a1', amount => 1000000,
        detail => '{"currency": "USD"}'),
    exchange.make_record(5, 1, 'accepted', '2031-01-06 13:00+00', account => 't-a1', amount => 1000000),
    exchange.make_record(6, 0, 'credit_shares', '2031-01-06 13:00+00', symbol => 'TRPA', account => 't-b1',
        quantity => 500),
    exchange.make_record(6, 1, 'accepted', '2031-01-06 13:00+00', symbol => 'TRPA', account => 't-b1',
        quantity => 500)]
    || pg_temp.o(7, 't-b1', 'sell', 1000, 200)
    || pg_temp.o(8, 't-a2', 'sell', 1005, 50)
    || ARRAY[
    exchange.make_record(9, 0, 'new_order', '2031-01-06 14:00:09+00', symbol => 'TRPA', account => 't-a1',
        order_id => 9, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1005,
        quantity => 230, detail => '{"role": "x"}'),
    pg_temp.x(9, 1, 't-a1', 'buy', 1000, 200, 30, 7, 't-b1', 0),
    pg_temp.x(9, 2, 't-a1', 'buy', 1005, 30, 0, 8, 't-a2', 20)]
    || pg_temp.o(10, 't-a1', 'sell', 1010, 100)
    || ARRAY[
    exchange.make_record(11, 0, 'new_order', '2031-01-06 14:00:11+00', symbol => 'TRPA', account => 't-b1',
        order_id => 11, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1010,
        quantity => 70, detail => '{"role": "x"}'),
    pg_temp.x(11, 1, 't-b1', 'buy', 1010, 70, 0, 10, 't-a1', 30),
    exchange.make_record(12, 0, 'debit_shares', '2031-01-06 15:00+00', symbol => 'TRPA', account => 't-b1',
        quantity => 10),
    exchange.make_record(12, 1, 'accepted', '2031-01-06 15:00+00', symbol => 'TRPA', account => 't-b1',
        quantity => 10)])),
    12::bigint, 'a day of trades between and inside the brokers')
  FROM exchange.take_over_stream('tap_reports') t;

-- what staff see, with each row's broker and its counterparty's
CREATE TEMP TABLE s_records AS
    SELECT r.*, a.broker, ca.broker AS cbroker FROM exchange.order_records r
      JOIN exchange.accounts a ON a.account = r.account
      LEFT JOIN exchange.accounts ca ON ca.account = r.counterparty
     WHERE r.stream_name = 'tap_reports';
CREATE TEMP TABLE s_blotter AS
    SELECT b.*, a.broker, ca.broker AS cbroker FROM exchange.trade_blotter('2031-01-06') b
      JOIN exchange.accounts a ON a.account = b.account
      LEFT JOIN exchange.accounts ca ON ca.account = b.counterparty;
CREATE TEMP TABLE s_trail AS
    SELECT o.order_id, t.*, a.broker, ca.broker AS cbroker
      FROM (VALUES (7::bigint), (8), (9), (10), (11)) o (order_id),
           exchange.order_audit_trail(o.order_id, 'tap_reports') t
      JOIN exchange.accounts a ON a.account = t.account
      LEFT JOIN exchange.accounts ca ON ca.account = t.counterparty;
CREATE TEMP TABLE s_summary AS
    SELECT s.*, a.broker FROM exchange.daily_account_summary('2031-01-06') s
      JOIN exchange.accounts a ON a.account = s.account;
CREATE TEMP TABLE s_positions AS
    SELECT p.*, a.broker FROM exchange.positions_eod('2031-01-06') p
      JOIN exchange.accounts a ON a.account = p.account WHERE p.account LIKE 't-%';
CREATE TEMP TABLE s_ledger AS
    SELECT l.*, a.broker FROM exchange.account_ledger l
      JOIN exchange.accounts a ON a.account = l.account WHERE l.account LIKE 't-%';
CREATE TEMP TABLE s_disposals AS
    SELECT d.*, a.broker FROM exchange.tax_lot_disposals() d
      JOIN exchange.accounts a ON a.account = d.account WHERE d.account LIKE 't-%';
CREATE TEMP TABLE s_open AS
    SELECT o.*, a.broker FROM exchange.open_tax_lots() o
      JOIN exchange.accounts a ON a.account = o.account WHERE o.account LIKE 't-%';
CREATE TEMP TABLE s_pnl AS
    SELECT p.*, a.broker FROM exchange.realized_pnl() p
      JOIN exchange.accounts a ON a.account = p.account WHERE p.account LIKE 't-%';
CREATE TEMP TABLE s_movements AS
    SELECT m.*, a.broker FROM exchange.tax_lot_movements m
      JOIN exchange.accounts a ON a.account = m.account WHERE m.account LIKE 't-%';
CREATE TEMP TABLE s_settlement AS
    SELECT s.*, a.broker FROM exchange.settlement_report('2031-01-06') s
      LEFT JOIN exchange.accounts a ON a.account = s.account;
GRANT SELECT ON s_records, s_blotter, s_trail, s_summary, s_positions, s_ledger, s_disposals,
    s_open, s_pnl, s_movements, s_settlement TO PUBLIC;

-- the staff results are not trivial: both brokers have rows in each
SELECT ok((SELECT count(DISTINCT broker) FROM s_records) = 2
      AND (SELECT count(DISTINCT broker) FROM s_blotter) = 2
      AND (SELECT count(DISTINCT broker) FROM s_trail) = 2
      AND (SELECT count(DISTINCT broker) FROM s_summary) = 2
      AND (SELECT count(DISTINCT broker) FROM s_positions) = 2
      AND (SELECT count(DISTINCT broker) FROM s_ledger) = 2
      AND (SELECT count(DISTINCT broker) FROM s_disposals) = 2
      AND (SELECT count(DISTINCT broker) FROM s_open) = 2
      AND (SELECT count(DISTINCT broker) FROM s_pnl) = 2
      AND (SELECT count(DISTINCT broker) FROM s_movements) = 2
      AND (SELECT count(DISTINCT broker) FROM s_settlement) = 2
      AND (SELECT count(*) FROM s_settlement WHERE party = 'exchange') = 1
      AND (SELECT count(*) FROM s_blotter WHERE broker = cbroker) = 2
      AND (SELECT count(*) FROM s_blotter WHERE broker <> cbroker) = 4,
      'staff see rows of both brokers, the fee income, and trades inside and across brokers');

-- each broker: exactly its accounts' rows, the other broker's counterparties
-- masked (a CASE below), no fee-income row
CREATE FUNCTION pg_temp.same_as_staff(who text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    m text := format('CASE WHEN cbroker = %L THEN counterparty END', who);
    w text := format('broker = %L', who);
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', who);
    RETURN NEXT set_eq(
        $$SELECT stream, order_id, seq, idx, kind, account, requested_by, side, price, quantity,
                 remaining, status, reason, liquidity, execution_id, counterparty, client_order_id
            FROM exchange.order_records WHERE stream_name = 'tap_reports'$$,
        format($$SELECT stream, order_id, seq, idx, kind, account, requested_by, side, price, quantity,
                 remaining, status, reason, liquidity, execution_id, %s, client_order_id
            FROM s_records WHERE %s$$, m, w),
        who || ': order_records');
    RETURN NEXT set_eq(
        $$SELECT executed_at, stream, seq, idx, execution_id, account, symbol, side, liquidity,
                 order_id, client_order_id, price, quantity, notional, fee, net_cash, currency,
                 counterparty FROM exchange.trade_blotter('2031-01-06')$$,
        format($$SELECT executed_at, stream, seq, idx, execution_id, account, symbol, side, liquidity,
                 order_id, client_order_id, price, quantity, notional, fee, net_cash, currency,
                 %s FROM s_blotter WHERE %s$$, m, w),
        who || ': trade_blotter');
    RETURN NEXT set_eq(
        $$SELECT o.order_id, t.* FROM (VALUES (7::bigint), (8), (9), (10), (11)) o (order_id),
                 exchange.order_records r, exchange.order_audit_trail(o.order_id, 'tap_reports') t
           WHERE r.order_id = o.order_id AND r.stream_name = 'tap_reports' AND r.idx = 0
             AND r.kind = 'new_order'$$,
        format($$SELECT order_id, seq, idx, ts, trading_day, kind, account, requested_by, symbol, side,
                 order_type, time_in_force, price, quantity, remaining, status, reason, liquidity,
                 execution_id, %s, client_order_id FROM s_trail WHERE %s$$, m, w),
        who || ': order_audit_trail of each of its orders');
    RETURN NEXT set_eq($$SELECT * FROM exchange.daily_account_summary('2031-01-06')$$,
        format($$SELECT trading_day, account, currency, orders_entered, cancels, amends, rejected,
                 order_messages, fills, buy_quantity, sell_quantity, bought_notional, sold_notional,
                 fees, net_cash, order_to_trade_ratio FROM s_summary WHERE %s$$, w),
        who || ': daily_account_summary');
    RETURN NEXT set_eq($$SELECT * FROM exchange.positions_eod('2031-01-06') WHERE account LIKE 't-%'$$,
        format($$SELECT trading_day, account, asset_type, asset, opening, change, closing, movements
                 FROM s_positions WHERE %s$$, w),
        who || ': positions_eod');
    RETURN NEXT set_eq($$SELECT * FROM exchange.account_ledger WHERE account LIKE 't-%'$$,
        format($$SELECT stream, trading_day, ts, seq, idx, account, asset_type, asset, movement, units,
                 change, symbol, execution_id FROM s_ledger WHERE %s$$, w),
        who || ': account_ledger');
    RETURN NEXT set_eq($$SELECT * FROM exchange.tax_lot_movements WHERE account LIKE 't-%'$$,
        format($$SELECT stream, trading_day, ts, seq, idx, account, symbol, currency, movement,
                 quantity, value_minor, execution_id FROM s_movements WHERE %s$$, w),
        who || ': tax_lot_movements');
    RETURN NEXT set_eq($$SELECT * FROM exchange.tax_lot_disposals() WHERE account LIKE 't-%'$$,
        format($$SELECT account, symbol, currency, lot_stream, lot_seq, lot_idx, lot_acquired_at,
                 lot_trading_day, lot_movement, disposal_stream, disposal_seq, disposal_idx,
                 disposed_at, disposal_trading_day, disposal_movement, quantity, cost_basis,
                 proceeds, gain FROM s_disposals WHERE %s$$, w),
        who || ': tax_lot_disposals');
    RETURN NEXT set_eq($$SELECT * FROM exchange.open_tax_lots() WHERE account LIKE 't-%'$$,
        format($$SELECT account, symbol, currency, lot_stream, lot_seq, lot_idx, lot_acquired_at,
                 lot_trading_day, lot_movement, lot_quantity, open_quantity, lot_cost_basis,
                 open_cost_basis FROM s_open WHERE %s$$, w),
        who || ': open_tax_lots');
    RETURN NEXT set_eq($$SELECT * FROM exchange.realized_pnl() WHERE account LIKE 't-%'$$,
        format($$SELECT account, symbol, currency, disposed_quantity, sold_quantity, debited_quantity,
                 proceeds, cost_basis, realized_gain, basis_unknown_quantity, open_quantity,
                 open_cost_basis, open_basis_unknown_quantity FROM s_pnl WHERE %s$$, w),
        who || ': realized_pnl');
    RETURN NEXT set_eq($$SELECT * FROM exchange.settlement_report('2031-01-06')$$,
        format($$SELECT trading_day, party, account, asset_type, asset, executions, received,
                 delivered, net, instruction FROM s_settlement WHERE %s$$, w),
        who || ': settlement_report, without the fee income');
    -- another broker's account is refused as if it did not exist
    RETURN NEXT throws_ok(format($$SELECT * FROM exchange.trade_blotter('2031-01-06', %L)$$,
                                 CASE who WHEN 'tap_rp_one' THEN 't-b1' ELSE 't-a1' END),
                          '42501', NULL, who || ': another broker''s account is refused');
    RETURN NEXT throws_ok(format($$SELECT * FROM exchange.order_audit_trail(%s, 'tap_reports')$$,
                                 CASE who WHEN 'tap_rp_one' THEN 7 ELSE 9 END),
                          'PX030', NULL, who || ': another broker''s order is refused');
    RESET ROLE;
END $f$;
SELECT * FROM pg_temp.same_as_staff('tap_rp_one');
SELECT * FROM pg_temp.same_as_staff('tap_rp_two');

-- compliance: sees all, has no write privilege on any view, and a write fails
SET ROLE tap_rp_analyst;
SELECT is((SELECT count(*) FROM exchange.trade_blotter('2031-01-06')), 6::bigint,
          'compliance sees every execution side');
SELECT is((SELECT count(*) FROM exchange.settlement_report('2031-01-06') WHERE party = 'exchange'),
          1::bigint, 'compliance sees the fee income');
RESET ROLE;
SELECT ok(NOT has_table_privilege('exchange_compliance', 'exchange.' || v.name, p),
          format('compliance has no %s on %s', p, v.name))
  FROM views v, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p ORDER BY v.name, p;
SET ROLE tap_rp_analyst;
SELECT throws_ok($$INSERT INTO exchange.account_ledger (account) VALUES ('t-a1')$$, NULL, NULL,
                 'compliance cannot insert into a report view');
SELECT throws_ok($$DELETE FROM exchange.order_records$$, NULL, NULL,
                 'compliance cannot delete from a report view');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
