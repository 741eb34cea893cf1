-- pgTAP: the FIX gateway's objects (1.7; the message store in blocks 1.8).  exchange_admin configures
-- sessions; the gateway (a member of exchange_engine) stores and reads;
-- brokers see none of it; every object has a comment.
BEGIN;
SELECT plan(34);

SELECT has_table('exchange', 'fix_sessions', 'table exchange.fix_sessions');
SELECT has_table('exchange', 'fix_message_blocks', 'table exchange.fix_message_blocks');
SELECT has_view('exchange', 'fix_messages', 'view exchange.fix_messages (a row per message)');
SELECT has_view('exchange', 'fix_session_accounts', 'view exchange.fix_session_accounts');
SELECT col_is_pk('exchange', 'fix_sessions', ARRAY['sender_comp_id', 'target_comp_id']::name[],
                 'one row per SenderCompID and TargetCompID');
SELECT col_is_pk('exchange', 'fix_message_blocks', ARRAY['sender_comp_id', 'target_comp_id', 'last_seq']::name[],
                 'one block per session and highest MsgSeqNum');
SELECT is((SELECT attcompression FROM pg_attribute
            WHERE attrelid = 'exchange.fix_message_blocks'::regclass AND attname = 'messages'),
          'l'::"char", 'the messages are compressed with lz4');
SELECT fk_ok('exchange', 'fix_message_blocks', ARRAY['sender_comp_id', 'target_comp_id'],
             'exchange', 'fix_sessions', ARRAY['sender_comp_id', 'target_comp_id']);
SELECT col_default_is('exchange', 'fix_sessions', 'target_comp_id', 'PGX'::text, 'our CompID is PGX by default');
SELECT col_default_is('exchange', 'fix_sessions', 'cancel_on_disconnect', 'false', 'no cancel on disconnect by default');

SELECT has_function('exchange', 'fix_add_session', ARRAY['text', 'regrole', 'boolean', 'text']);
SELECT has_function('exchange', 'fix_disable_session', ARRAY['text', 'text']);
SELECT has_function('exchange', 'fix_reset_session', ARRAY['text', 'text']);
SELECT has_function('exchange', 'fix_store', ARRAY['text', 'text', 'bigint', 'bigint', 'bigint[]', 'text[]']);
SELECT has_function('exchange', 'fix_store_many',
                    ARRAY['text[]', 'text[]', 'bigint[]', 'bigint[]', 'integer[]', 'bigint[]', 'text[]']);
SELECT has_function('exchange', 'fix_open_orders', ARRAY[]::text[]);

-- privileges
SELECT ok(has_function_privilege('exchange_admin', 'exchange.fix_add_session(text, regrole, boolean, text)', 'EXECUTE'),
          'exchange_admin configures sessions');
SELECT ok(NOT has_function_privilege('exchange_broker', 'exchange.fix_add_session(text, regrole, boolean, text)', 'EXECUTE'),
          'brokers do not');
SELECT ok(NOT has_function_privilege('exchange_engine', 'exchange.fix_add_session(text, regrole, boolean, text)', 'EXECUTE'),
          'the gateway does not');
SELECT ok(has_function_privilege('exchange_engine', 'exchange.fix_store(text, text, bigint, bigint, bigint[], text[])', 'EXECUTE'),
          'the gateway stores');
SELECT ok(NOT has_function_privilege('exchange_admin', 'exchange.fix_store(text, text, bigint, bigint, bigint[], text[])', 'EXECUTE'),
          'exchange_admin does not store messages');
SELECT ok(has_function_privilege('exchange_engine', 'exchange.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[])', 'EXECUTE'),
          'the gateway stores every session of a write in one call');
SELECT ok(NOT has_function_privilege('exchange_broker', 'exchange.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[])', 'EXECUTE'),
          'brokers do not');
SELECT ok(has_function_privilege('exchange_engine', 'exchange.fix_open_orders()', 'EXECUTE'),
          'the gateway reads its open orders');
SELECT ok(NOT has_function_privilege('exchange_broker', 'exchange.fix_open_orders()', 'EXECUTE'),
          'brokers do not');
SELECT ok(NOT has_table_privilege('exchange_broker', 'exchange.fix_sessions', 'SELECT'),
          'brokers do not read the sessions');
SELECT ok(NOT has_table_privilege('exchange_broker', 'exchange.fix_messages', 'SELECT'),
          'brokers do not read the message store');
SELECT ok(NOT has_table_privilege('exchange_engine', 'exchange.fix_sessions', 'UPDATE'),
          'the gateway writes only through fix_store');
SELECT ok(NOT has_table_privilege('public', 'exchange.fix_sessions', 'SELECT'), 'PUBLIC has nothing');
SELECT ok(NOT has_any_column_privilege('exchange_engine', 'exchange.fix_message_blocks', 'INSERT'),
          'the gateway writes messages only through fix_store');
SELECT ok(NOT has_table_privilege('exchange_engine', 'exchange.fix_message_blocks', 'DELETE'),
          'the gateway deletes only through fix_store');

-- comments
SELECT is((SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'exchange' AND c.relname LIKE 'fix\_%' AND c.relkind IN ('r', 'v')
              AND obj_description(c.oid, 'pg_class') IS NULL), 0, 'every FIX table and view has a comment');
SELECT is((SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'exchange' AND c.relname IN ('fix_sessions', 'fix_message_blocks', 'fix_messages')
              AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL),
          0, 'every column of the FIX tables has a comment');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'exchange' AND p.proname LIKE 'fix\_%'
              AND obj_description(p.oid, 'pg_proc') IS NULL), 0, 'every FIX function has a comment');

SELECT * FROM finish();
ROLLBACK;
