-- pgTAP: the ledger's schema as documented in docs/sql-reference.md.
BEGIN;
SELECT plan(132);

SELECT has_schema('exchange');
SELECT has_extension('exchange');

SELECT has_type('exchange', t, 'type exchange.' || t)
  FROM unnest(ARRAY['side', 'order_type', 'time_in_force', 'order_status', 'event_kind',
                    'kyc_status', 'symbol_status', 'journal_record', 'trading_status',
                    'balance', 'wallet_entry']) t;
SELECT enum_has_labels('exchange', 'side', ARRAY['buy', 'sell']);
SELECT enum_has_labels('exchange', 'order_type', ARRAY['limit', 'market', 'stop', 'stop_limit']);
SELECT enum_has_labels('exchange', 'time_in_force',
                       ARRAY['day', 'gtc', 'ioc', 'fok', 'gtd', 'at_open', 'at_close']);
SELECT enum_has_labels('exchange', 'order_status',
    ARRAY['new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired']);
-- label order is the wire numbering (exchange_wire.h): 1.2 and 1.8 append, never reorder
SELECT enum_has_labels('exchange', 'event_kind',
    ARRAY['new_order', 'cancel_order', 'amend_order', 'add_symbol', 'open_account',
          'market_open', 'market_close', 'halt', 'resume', 'accepted', 'rejected', 'trade',
          'canceled', 'amended', 'expired', 'set_kyc', 'suspend_account', 'resume_account',
          'deposit', 'withdraw', 'credit_shares', 'debit_shares', 'set_account_limits',
          'set_symbol_limits', 'mass_cancel', 'expire_order', 'triggered']);
SELECT enum_has_labels('exchange', 'trading_status', ARRAY['active', 'suspended']);

SELECT has_table('exchange', t, 'table exchange.' || t)
  FROM unnest(ARRAY['streams', 'journal', 'journal_days', 'symbols', 'accounts', 'currencies',
                    'account_limits', 'wallets', 'positions', 'fees_collected', 'market_state',
                    'market_schedule', 'market_holidays']) t;
SELECT is_partitioned('exchange', 'journal', 'the journal is partitioned');
SELECT col_is_pk('exchange', 'journal', ARRAY['stream', 'seq', 'idx', 'trading_day']::name[], 'journal key is (stream, seq, idx, trading_day)');
SELECT columns_are('exchange', 'journal', ARRAY[
    'stream', 'seq', 'idx', 'epoch', 'trading_day', 'ts', 'kind', 'symbol', 'account',
    'order_id', 'side', 'order_type', 'time_in_force', 'price', 'quantity', 'remaining',
    'status', 'contra_order_id', 'contra_account', 'contra_remaining', 'amount', 'reason',
    'client_order_id', 'detail', 'post_only', 'expire_time']);
SELECT col_type_is('exchange', 'journal', 'post_only', 'boolean', 'post_only is typed (1.8)');
SELECT col_type_is('exchange', 'journal', 'expire_time', 'timestamp with time zone',
                   'expire_time is typed (1.8)');
SELECT col_type_is('exchange', 'journal', 'price', 'bigint', 'prices are integer ticks');
SELECT col_type_is('exchange', 'journal', 'quantity', 'bigint', 'quantities are integer shares');
SELECT is((SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
            WHERE c.oid = 'exchange.journal_ts_brin'::regclass)::text, 'brin',
          'the journal has a BRIN index on time');
SELECT has_index('exchange', 'journal', 'journal_order_id', 'order_id', 'btree on order_id');

SELECT has_function('exchange', f, 'function exchange.' || f)
  FROM unnest(ARRAY['take_over_stream', 'append_batch', 'read_stream', 'read_batch',
                    'stream_position', 'price_to_ticks', 'ticks_to_price', 'encode_batch',
                    'batch_rows', 'batch_summary', 'make_record', 'to_ticks', 'to_price', 'tick_size',
                    'journal_insert', 'submit_order', 'cancel_order', 'amend_order', 'add_symbol',
                    'submit_orders', 'cancel_orders', 'cancel_all',
                    'open_account', 'executions', 'publish_batch',
                    'set_kyc_status', 'suspend_account', 'resume_account', 'deposit', 'withdraw',
                    'credit_shares', 'debit_shares', 'set_account_limits', 'set_symbol_limits',
                    'halt_symbol', 'resume_symbol', 'open_market', 'close_market', 'market_status',
                    'set_market_schedule', 'add_market_holiday', 'remove_market_holiday',
                    'scheduled_session', 'schedule_boundaries', 'local_date', 'default_limits',
                    'balances', 'account_history', 'project_wallets', 'encode_wallets',
                    'minor_to_amount', 'tick_value']) f;
SELECT has_view('exchange', 'journal_prices', 'view journal_prices');
SELECT has_view('exchange', v, 'view ' || v)
  FROM unnest(ARRAY['execution_log', 'risk_limits', 'account_log']) v;
SELECT ok((SELECT 'security_barrier=true' = ANY (reloptions) FROM pg_class
            WHERE oid = ('exchange.' || v)::regclass),
          v || ' is a security barrier (its row filter runs before any caller predicate)')
  FROM unnest(ARRAY['execution_log', 'risk_limits', 'account_log']) v;
-- cash is integer minor units, shares integer shares: never floats
SELECT col_type_is('exchange', t, c, 'bigint', t || '.' || c || ' is bigint')
  FROM (VALUES ('wallets', 'available'), ('wallets', 'held'), ('positions', 'available'),
               ('positions', 'held'), ('fees_collected', 'amount'),
               ('account_limits', 'max_order_notional'), ('symbols', 'tick_value')) x(t, c);
SELECT col_is_pk('exchange', 'wallets', ARRAY['account', 'currency']::name[], 'one wallet per account and currency');
SELECT col_is_pk('exchange', 'positions', ARRAY['account', 'symbol']::name[], 'one position per account and symbol');
SELECT col_is_pk('exchange', 'fees_collected', ARRAY['stream', 'currency']::name[], 'fees per stream and currency');
SELECT set_eq($$SELECT currency, minor_digits FROM exchange.currencies$$,
              $$VALUES ('USD', 2), ('EUR', 2), ('GBP', 2), ('CHF', 2), ('JPY', 0), ('KRW', 0)$$,
              'the seeded currencies and their minor digits');
SELECT is((SELECT (d.max_order_quantity, d.max_order_notional, d.max_daily_notional, d.max_open_orders,
                   d.orders_per_second, d.burst, d.price_band_bps, d.market_collar_bps,
                   d.maker_fee_bps, d.taker_fee_bps)::text FROM exchange.default_limits() d),
          '(1000000,100000000,100000000,1000,200,400,1000,500,0,0)',
          'default_limits() are the PGX_DEFAULT_* of exchange_wire.h');
SELECT has_index('exchange', 'journal', 'journal_trades', ARRAY['symbol', 'ts'],
                 'trades by symbol and time');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index
            WHERE indexrelid = 'exchange.journal_trades'::regclass),
          '(kind = ''trade''::exchange.event_kind)', 'the trade index holds trades only');
SELECT col_type_is('exchange', 'symbols', 'book_version', 'bigint', 'symbols.book_version');
SELECT col_not_null('exchange', 'symbols', 'book_version', 'book_version is never NULL');
-- the REST API (1.8): API keys stored as their hash, the daemon's group role
SELECT has_table('exchange', 'api_keys', 'table exchange.api_keys');
SELECT col_type_is('exchange', 'api_keys', 'key_hash', 'bytea', 'an API key is stored as its SHA-256');
SELECT has_function('exchange', f, 'function exchange.' || f)
  FROM unnest(ARRAY['rest_enable', 'rest_disable', 'issue_api_key', 'revoke_api_key',
                    'api_key_broker']) f;
SELECT has_role('exchange_rest', 'role exchange_rest (the REST daemon)');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'exchange'), '1.9',
          'CREATE EXTENSION installs version 1.9');
SELECT is(
    (SELECT pg_get_function_result('exchange.submit_orders(exchange.order_request[])'::regprocedure)),
    'TABLE(ordinal integer, id bigint, creation_time timestamp with time zone, filled_quantity bigint, remaining_quantity bigint, status exchange.order_status, reject_reason text, sqlstate text, message text)',
    'submit_orders returns one documented row per order');
SELECT is(
    (SELECT pg_get_function_result('exchange.submit_order(text, text, exchange.side, bigint, numeric, exchange.order_type, exchange.time_in_force, text, numeric, bigint, boolean, timestamptz)'::regprocedure)),
    'TABLE(id bigint, creation_time timestamp with time zone, filled_quantity bigint, remaining_quantity bigint, status exchange.order_status, reject_reason text)',
    'submit_order returns the documented row');
-- journal_record is the journal row without stream and epoch: same names, types, order
SELECT is(
    (SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
       FROM pg_attribute WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'exchange.journal_record'::regtype)
        AND attnum > 0 AND NOT attisdropped),
    (SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
       FROM pg_attribute WHERE attrelid = 'exchange.journal'::regclass
        AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('stream', 'epoch')),
    'journal_record has exactly the journal''s columns but stream and epoch');

-- COMMENT ON every object the extension owns
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'exchange' AND c.relkind IN ('r', 'p', 'v', 'i', 'I')
       AND obj_description(c.oid, 'pg_class') IS NULL
       AND c.relname !~ '_pkey$|_key$' AND NOT c.relispartition$$,
    'every table, view and index has a comment');
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'exchange' AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function has a comment');
SELECT is_empty($$
    SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'exchange' AND t.typtype IN ('e', 'c') AND t.typrelid = 0
       AND obj_description(t.oid, 'pg_type') IS NULL
    UNION ALL
    SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      JOIN pg_class c ON c.oid = t.typrelid
     WHERE n.nspname = 'exchange' AND c.relkind = 'c' AND obj_description(t.oid, 'pg_type') IS NULL$$,
    'every type has a comment');
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'exchange' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
       AND a.attname NOT IN ('stream', 'trading_day', 'symbol', 'account')$$,
    'every column has a comment (but the obvious keys of the small tables)');

SELECT * FROM finish();
ROLLBACK;
