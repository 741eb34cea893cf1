-- The current version by every path: CREATE EXTENSION (1.0, then the update
-- scripts), and ALTER EXTENSION UPDATE of 1.0 .. 1.5 databases that
-- hold data; 1.1 -> 1.2 is compared with a fresh 1.2.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT extversion AS created_version FROM pg_extension WHERE extname = 'exchange';
SELECT current_database() AS regress_db \gset

-- what an installation consists of: member objects with their definitions and
-- privileges (function bodies, view queries, columns, indexes, policies)
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(d, E'\n' ORDER BY d)) FROM (
        SELECT pg_describe_object(dep.classid, dep.objid, 0)
               || coalesce(' ' || (SELECT p.prosrc || coalesce(p.proacl::text, '') || pg_get_function_arguments(p.oid)
                                     FROM pg_proc p WHERE dep.classid = 'pg_proc'::regclass AND p.oid = dep.objid), '')
               || coalesce(' ' || (SELECT coalesce(c.relacl::text, '') || coalesce(pg_get_viewdef(c.oid), '')
                                     FROM pg_class c WHERE dep.classid = 'pg_class'::regclass AND c.oid = dep.objid), '') AS d
          FROM pg_depend dep
         WHERE dep.refclassid = 'pg_extension'::regclass AND dep.deptype = 'e'
           AND dep.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'exchange')
        UNION ALL
        SELECT format('%s.%s %s %s', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull)
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'exchange'::regnamespace AND c.relkind IN ('r', 'p', 'v')
           AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = 'exchange'::regnamespace AND NOT c.relispartition
        UNION ALL
        SELECT p.polname || ' ' || pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p) x
$$;
SELECT pg_temp.fingerprint() AS fresh \gset
SELECT regexp_replace(pg_get_functiondef('pg_temp.fingerprint'::regproc), 'pg_temp_[0-9]+', 'pg_temp') AS fingerprint_def \gset

-- a fresh 1.2, for the update from 1.1
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.2';
SELECT :'fingerprint_def' \gexec
SELECT pg_temp.fingerprint() AS fresh_12 \gset
SELECT pg_temp.fingerprint() = :'fresh' AS fresh_12_is_current;
\c :regress_db
DROP DATABASE regress_exchange_upgrade;

CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'exchange';

-- a 1.0 database with a listing, accounts and a trade in a partition
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_up_broker') THEN
        CREATE ROLE regress_up_broker LOGIN IN ROLE exchange_broker;
    END IF;
END $$;
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('upgrade') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPG',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPG'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'up-1',
        detail => '{"broker": "regress_up_broker"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'up-1'),
    exchange.make_record(3, 0, 'new_order', '2026-11-23 14:00+00', symbol => 'UPG', account => 'up-1',
        order_id => 3, side => 'sell', order_type => 'limit', time_in_force => 'day', price => 1000, quantity => 5),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'UPG', account => 'up-1',
        order_id => 3, side => 'sell', price => 1000, quantity => 5, remaining => 5, status => 'new'),
    exchange.make_record(4, 0, 'new_order', '2026-11-23 14:01+00', symbol => 'UPG', account => 'up-1',
        order_id => 4, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1001, quantity => 5),
    exchange.make_record(4, 1, 'trade', '2026-11-23 14:01+00', symbol => 'UPG', account => 'up-1',
        order_id => 4, side => 'buy', price => 1000, quantity => 5, remaining => 0,
        status => 'filled', contra_order_id => 3, contra_account => 'up-1', contra_remaining => 0)]));
SELECT to_regprocedure('exchange.submit_order(text, text, exchange.side, bigint, numeric, exchange.order_type, exchange.time_in_force, text)') AS submit_order_before;

ALTER EXTENSION exchange UPDATE;
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';

-- the data kept its meaning: existing symbols start at book version 0, the trade
-- index was built on the existing partition, executions() reads 1.0 trades
SELECT symbol, tick_size, book_version, book_seq FROM exchange.symbols;
SELECT count(*) AS trade_index_partitions
  FROM pg_inherits WHERE inhparent = 'exchange.journal_trades'::regclass;
SELECT id, order_id, side, price, order_type, quantity, account FROM exchange.executions('UPG');
-- 1.3: the trade journaled under 1.0 has its 1-minute candle
SELECT symbol, bucket, candle, updated_seq FROM exchange.candles_1m;
-- the replaced append_batch publishes (the notifications: regress/specs/notifications.spec)
SELECT exchange.append_batch(:s, :e, 5, exchange.encode_batch(ARRAY[
    exchange.make_record(5, 0, 'cancel_order', '2026-11-23 14:02+00', symbol => 'UPG', account => 'up-1', order_id => 3),
    exchange.make_record(5, 1, 'rejected', '2026-11-23 14:02+00', symbol => 'UPG', account => 'up-1',
        order_id => 3, reason => 'unknown_order', status => 'rejected'),
    exchange.make_record(6, 0, 'halt', '2026-11-23 14:03+00', symbol => 'UPG'),
    exchange.make_record(6, 1, 'accepted', '2026-11-23 14:03+00', symbol => 'UPG', reason => 'halted')]));
SELECT symbol, status, book_version, book_seq FROM exchange.symbols;
SELECT pg_temp.fingerprint() = :'fresh' AS same_as_fresh_install;
-- the order functions exist and are configured by the same settings
SELECT count(*) AS order_functions FROM pg_proc
 WHERE pronamespace = 'exchange'::regnamespace
   AND proname IN ('submit_order', 'cancel_order', 'amend_order', 'add_symbol', 'open_account', 'executions', 'publish_batch');
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('up-1', 'UPG', 'buy', 5, 10.00)$$) AS unset_socket;

\c :regress_db
DROP DATABASE regress_exchange_upgrade;

-- 1.1 -> 1.2: a database with listings (a currency 1.2 does not list, a tick
-- finer than a cent), accounts, sessions of one symbol and a trade
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.1';
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('upgrade11') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPA',
        detail => '{"tick_size": 0.05, "lot_size": 10, "currency": "EUR"}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPA'),
    exchange.make_record(2, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPB',
        detail => '{"tick_size": 0.001}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPB'),
    exchange.make_record(3, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPC',
        detail => '{"tick_size": 1, "currency": "XYZ"}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPC'),
    exchange.make_record(4, 0, 'open_account', '2026-11-23 13:00+00', account => 'up-1',
        detail => '{"broker": "regress_up_broker", "kyc_status": "verified"}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:00+00', account => 'up-1'),
    exchange.make_record(5, 0, 'market_open', '2026-11-23 14:00+00', symbol => 'UPA'),
    exchange.make_record(5, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'UPA', reason => 'open'),
    exchange.make_record(6, 0, 'new_order', '2026-11-23 14:01+00', symbol => 'UPA', account => 'up-1',
        order_id => 6, side => 'sell', order_type => 'limit', time_in_force => 'day', price => 250, quantity => 10),
    exchange.make_record(6, 1, 'accepted', '2026-11-23 14:01+00', symbol => 'UPA', account => 'up-1',
        order_id => 6, side => 'sell', price => 250, quantity => 10, remaining => 10, status => 'new')]));
-- the 1.2 library serves a 1.1 database until it is updated (open_account of 1.1
-- has two arguments; it reaches the send)
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('up-2', 'regress_up_broker')$$) AS open_account_of_1_1;
-- a record of a kind the database does not know yet (deposit, wire number 19,
-- put into a market_close): refused whole, with a hint
SELECT pg_temp.try(format($$SELECT exchange.append_batch(%s, %s, 7, overlay(exchange.encode_batch(ARRAY[
    exchange.make_record(7, 0, 'market_close', '2026-11-23 14:02+00')]) placing '\x13' from 15 for 1))$$, :s, :e))
    AS a_kind_of_1_2;
SELECT last_seq FROM exchange.streams WHERE stream = :s;

ALTER EXTENSION exchange UPDATE TO '1.2';
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';
SELECT pg_temp.fingerprint() = :'fresh_12' AS same_as_fresh_12_install;

-- the data kept its meaning: tick values where the currency's minor unit allows
-- one, accounts active, the 1.1 session of one symbol is not the market's
SELECT symbol, tick_size, currency, tick_value, status FROM exchange.symbols ORDER BY symbol;
SELECT account, kyc_status, trading_status FROM exchange.accounts;
SELECT count(*) AS market_states FROM exchange.market_state;
SELECT count(*) AS account_index_partitions
  FROM pg_inherits WHERE inhparent = 'exchange.journal_account_commands'::regclass;
SELECT seq, kind, outcome FROM exchange.account_history('up-1');
-- the append of 1.1 (no wallets) and of 1.2 (with wallets) both work
SELECT exchange.append_batch(:s, :e, 7, exchange.encode_batch(ARRAY[
    exchange.make_record(7, 0, 'deposit', '2026-11-23 14:02+00', account => 'up-1', amount => 100,
        detail => '{"currency": "EUR"}'),
    exchange.make_record(7, 1, 'accepted', '2026-11-23 14:02+00', account => 'up-1', amount => 100)])) AS last_seq;
SELECT exchange.append_batch(:s, :e, 8, exchange.encode_batch(ARRAY[
    exchange.make_record(8, 0, 'market_close', '2026-11-23 21:00+00'),
    exchange.make_record(8, 1, 'expired', '2026-11-23 21:00+00', symbol => 'UPA', account => 'up-1',
        order_id => 6, side => 'sell', price => 250, quantity => 10, remaining => 0,
        status => 'expired', reason => 'day_expired')]),
    exchange.encode_wallets(ARRAY[('cash', 'up-1', 'EUR', 100, 0, 7)]::exchange.wallet_entry[])) AS last_seq;
SELECT * FROM exchange.balances('up-1');
SELECT is_open, trading_day, changed_seq FROM exchange.market_state;

\c :regress_db
DROP DATABASE regress_exchange_upgrade;

-- 1.2 -> 1.3: a database with trades (a sweep of two prices in one command,
-- two minutes, a trade of a symbol not listed) gets its 1-minute candles from
-- the journal; appends then merge into them
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.2';
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('upgrade12') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPD',
        detail => '{"tick_size": 0.05}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPD'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'up-1',
        detail => '{"broker": "regress_up_broker", "kyc_status": "verified"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'up-1'),
    exchange.make_record(3, 0, 'new_order', '2026-11-23 14:30:10+00', symbol => 'UPD', account => 'up-1',
        order_id => 3, side => 'sell', order_type => 'limit', time_in_force => 'ioc', price => 200, quantity => 15),
    exchange.make_record(3, 1, 'trade', '2026-11-23 14:30:10+00', symbol => 'UPD', account => 'up-1',
        order_id => 3, side => 'sell', price => 202, quantity => 5, remaining => 10,
        status => 'partially_filled', contra_order_id => 1, contra_account => 'up-1', contra_remaining => 0),
    exchange.make_record(3, 2, 'trade', '2026-11-23 14:30:10+00', symbol => 'UPD', account => 'up-1',
        order_id => 3, side => 'sell', price => 201, quantity => 10, remaining => 0,
        status => 'filled', contra_order_id => 2, contra_account => 'up-1', contra_remaining => 0),
    exchange.make_record(4, 0, 'new_order', '2026-11-23 14:31:10+00', symbol => 'UPD', account => 'up-1',
        order_id => 4, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 205, quantity => 4),
    exchange.make_record(4, 1, 'trade', '2026-11-23 14:31:10+00', symbol => 'UPD', account => 'up-1',
        order_id => 4, side => 'buy', price => 204, quantity => 4, remaining => 0,
        status => 'filled', contra_order_id => 2, contra_account => 'up-1', contra_remaining => 0),
    exchange.make_record(5, 0, 'new_order', '2026-11-23 14:31:20+00', symbol => 'UPX', account => 'up-1',
        order_id => 5, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 9, quantity => 1),
    exchange.make_record(5, 1, 'trade', '2026-11-23 14:31:20+00', symbol => 'UPX', account => 'up-1',
        order_id => 5, side => 'buy', price => 9, quantity => 1, remaining => 0,
        status => 'filled', contra_order_id => 2, contra_account => 'up-1', contra_remaining => 0)]));
SELECT to_regtype('exchange.candle') AS candle_before;

ALTER EXTENSION exchange UPDATE;
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';
SELECT pg_temp.fingerprint() = :'fresh' AS same_as_fresh_install;
SELECT symbol, bucket, candle, updated_seq FROM exchange.candles_1m ORDER BY symbol, bucket;
-- the append of 1.3 merges the next trade into the minute begun under 1.2
SELECT exchange.append_batch(:s, :e, 6, exchange.encode_batch(ARRAY[
    exchange.make_record(6, 0, 'new_order', '2026-11-23 14:30:50+00', symbol => 'UPD', account => 'up-1',
        order_id => 6, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 210, quantity => 2),
    exchange.make_record(6, 1, 'trade', '2026-11-23 14:30:50+00', symbol => 'UPD', account => 'up-1',
        order_id => 6, side => 'buy', price => 210, quantity => 2, remaining => 0,
        status => 'filled', contra_order_id => 2, contra_account => 'up-1', contra_remaining => 0)])) AS last_seq;
SELECT * FROM exchange.candles('UPD', '1 minute');
SELECT * FROM exchange.candles('UPD', '1 hour');
SELECT * FROM exchange.candles('UPD', '20 seconds');

\c :regress_db
DROP DATABASE regress_exchange_upgrade;

-- 1.3 -> 1.4: the market-data functions over a journal written under 1.3
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.3';
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('upgrade13') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPB',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPB'),
    exchange.make_record(2, 0, 'new_order', '2026-11-23 14:30:10+00', symbol => 'UPB', account => 'up-1',
        order_id => 2, side => 'buy', order_type => 'limit', time_in_force => 'gtc', price => 1000, quantity => 15),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 14:30:10+00', symbol => 'UPB', account => 'up-1',
        order_id => 2, side => 'buy', price => 1000, quantity => 15, remaining => 15, status => 'new')]));
SELECT to_regproc('exchange.order_book_l2_at') AS l2_at_before;
ALTER EXTENSION exchange UPDATE;
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';
SELECT pg_temp.fingerprint() = :'fresh' AS same_as_fresh_install;
SELECT * FROM exchange.order_book_l2_at('UPB', 2::bigint);

\c :regress_db
DROP DATABASE regress_exchange_upgrade;

-- 1.4 -> 1.5: the 1-minute candles move to partitions by trading day
-- (recomputed from the journal, a minute straddling a close and the next open
-- is one row per day), candles() gives what it gave under 1.4, the new day
-- partitions are not members of the extension, and the closed day archives
-- with candles() unchanged
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.4';
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('upgrade14') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPE',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPE'),
    exchange.make_record(2, 0, 'market_open', '2026-11-23 14:30+00'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 14:30+00', reason => 'open'),
    exchange.make_record(3, 0, 'new_order', '2026-11-23 20:59:10+00', symbol => 'UPE', account => 'up-1',
        order_id => 3, side => 'buy', order_type => 'limit', time_in_force => 'ioc', price => 1000, quantity => 5),
    exchange.make_record(3, 1, 'trade', '2026-11-23 20:59:10+00', symbol => 'UPE', account => 'up-1',
        order_id => 3, side => 'buy', price => 1000, quantity => 5, remaining => 0,
        status => 'filled', contra_order_id => 1, contra_account => 'up-2', contra_remaining => 0),
    exchange.make_record(4, 0, 'market_close', '2026-11-23 20:59:20+00'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 20:59:20+00', reason => 'closed')]));
SELECT exchange.append_batch(:s, :e, 5, exchange.encode_batch(ARRAY[
    exchange.make_record(5, 0, 'market_open', '2026-11-23 20:59:30+00', '2026-11-24'),
    exchange.make_record(5, 1, 'accepted', '2026-11-23 20:59:30+00', '2026-11-24', reason => 'open'),
    exchange.make_record(6, 0, 'new_order', '2026-11-23 20:59:40+00', '2026-11-24', symbol => 'UPE',
        account => 'up-1', order_id => 6, side => 'sell', order_type => 'limit', time_in_force => 'ioc',
        price => 990, quantity => 2),
    exchange.make_record(6, 1, 'trade', '2026-11-23 20:59:40+00', '2026-11-24', symbol => 'UPE',
        account => 'up-1', order_id => 6, side => 'sell', price => 990, quantity => 2, remaining => 0,
        status => 'filled', contra_order_id => 1, contra_account => 'up-2', contra_remaining => 0)]));
CREATE TEMP TABLE candles_14 AS SELECT * FROM exchange.candles('UPE', '1 minute');
SELECT * FROM candles_14;
ALTER EXTENSION exchange UPDATE;
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';
SELECT pg_temp.fingerprint() = :'fresh' AS same_as_fresh_install;
SELECT symbol, bucket, trading_day, exchange.volume(candle), updated_seq, tableoid::regclass
  FROM exchange.candles_1m ORDER BY trading_day;
SELECT count(*) AS candle_partitions_in_extension
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relname LIKE 'candles_1m_2%';
SELECT (SELECT count(*) FROM (TABLE candles_14 EXCEPT SELECT * FROM exchange.candles('UPE', '1 minute')) x)
     + (SELECT count(*) FROM (SELECT * FROM exchange.candles('UPE', '1 minute') EXCEPT TABLE candles_14) x)
       AS candles_changed;
-- the next trade of the second day merges into its row
SELECT exchange.append_batch(:s, :e, 7, exchange.encode_batch(ARRAY[
    exchange.make_record(7, 0, 'new_order', '2026-11-23 20:59:50+00', '2026-11-24', symbol => 'UPE',
        account => 'up-1', order_id => 7, side => 'sell', order_type => 'limit', time_in_force => 'ioc',
        price => 995, quantity => 1),
    exchange.make_record(7, 1, 'trade', '2026-11-23 20:59:50+00', '2026-11-24', symbol => 'UPE',
        account => 'up-1', order_id => 7, side => 'sell', price => 995, quantity => 1, remaining => 0,
        status => 'filled', contra_order_id => 1, contra_account => 'up-2', contra_remaining => 0)]));
SELECT symbol, trading_day, exchange.volume(candle), exchange.trade_count(candle), updated_seq
  FROM exchange.candles_1m ORDER BY trading_day;
SELECT trading_day, commands, candle_rows FROM exchange.archive_trading_day('2026-11-23');
SELECT * FROM exchange.candles('UPE', '1 minute');

\c :regress_db
DROP DATABASE regress_exchange_upgrade;

-- 1.5 -> 1.6: leases beside a stream that was taken over without one (the
-- lease takes the next epoch), the client-order index on live and archived
-- days, and client_order() reading both
CREATE DATABASE regress_exchange_upgrade;
\c regress_exchange_upgrade
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION exchange VERSION '1.5';
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('main') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'UPF',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'UPF'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'up-1',
        detail => '{"broker": "regress_up_broker"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'up-1'),
    exchange.make_record(3, 0, 'market_open', '2026-11-23 14:30+00'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 14:30+00', reason => 'open'),
    exchange.make_record(4, 0, 'new_order', '2026-11-23 15:00+00', symbol => 'UPF', account => 'up-1',
        order_id => 4, side => 'buy', order_type => 'limit', time_in_force => 'day', price => 1000,
        quantity => 5, client_order_id => 'cl-1'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 15:00+00', symbol => 'UPF', account => 'up-1',
        order_id => 4, side => 'buy', price => 1000, quantity => 5, remaining => 5, status => 'new'),
    exchange.make_record(5, 0, 'market_close', '2026-11-23 21:00+00'),
    exchange.make_record(5, 1, 'expired', '2026-11-23 21:00+00', symbol => 'UPF', account => 'up-1',
        order_id => 4, side => 'buy', price => 1000, remaining => 0, status => 'expired'),
    exchange.make_record(5, 2, 'accepted', '2026-11-23 21:00+00', reason => 'closed')]));
SELECT exchange.append_batch(:s, :e, 6, exchange.encode_batch(ARRAY[
    exchange.make_record(6, 0, 'market_open', '2026-11-24 14:30+00', '2026-11-24'),
    exchange.make_record(6, 1, 'accepted', '2026-11-24 14:30+00', '2026-11-24', reason => 'open'),
    exchange.make_record(7, 0, 'new_order', '2026-11-24 15:00+00', '2026-11-24', symbol => 'UPF',
        account => 'up-1', order_id => 7, side => 'sell', order_type => 'limit', time_in_force => 'day',
        price => 1010, quantity => 2, client_order_id => 'cl-1'),
    exchange.make_record(7, 1, 'rejected', '2026-11-24 15:00+00', '2026-11-24', symbol => 'UPF',
        account => 'up-1', order_id => 7, side => 'sell', price => 1010, quantity => 2,
        status => 'rejected', reason => 'insufficient_shares')]));
SELECT trading_day, commands FROM exchange.archive_trading_day('2026-11-23');
ALTER EXTENSION exchange UPDATE;
SELECT :'fingerprint_def' \gexec
SELECT extversion FROM pg_extension WHERE extname = 'exchange';
SELECT pg_temp.fingerprint() = :'fresh' AS same_as_fresh_install;
SELECT count(*) AS client_order_indexes FROM pg_indexes
 WHERE indexdef LIKE '%(account, client_order_id)%' AND tablename LIKE 'journal_2026%';
SELECT order_id, stream_name, trading_day, side, price, quantity, outcome, status, filled, remaining
  FROM exchange.client_order('up-1', 'cl-1');
SELECT node, epoch, lease_state FROM exchange.matchd_leader('main');
SELECT stream, epoch, last_seq FROM exchange.acquire_lease('main', 'node-a', '/tmp/a.sock', 1000);
SELECT node, endpoint, epoch, lease_state, last_seq FROM exchange.matchd_leader('main');
-- the writer of the old epoch is fenced off
SELECT pg_temp.try($$SELECT exchange.append_batch(1, 1, 8, exchange.encode_batch(ARRAY[
    exchange.make_record(8, 0, 'market_close', '2026-11-24 21:00+00', '2026-11-24'),
    exchange.make_record(8, 1, 'accepted', '2026-11-24 21:00+00', '2026-11-24', reason => 'closed')]))$$) AS old_writer;
-- (1.8) the day archived by 1.5 keeps its JSON checksum (checksum_version 1),
-- which still verifies; the 1.8 checksum of the same rows is another
SELECT trading_day, checksum_version,
       exchange.archived_journal_checksum(trading_day, checksum_version) = journal_sha256 AS verifies,
       exchange.journal_day_checksum_v1(trading_day) = journal_sha256 AS v1_checksum,
       exchange.journal_day_checksum(trading_day) <> journal_sha256 AS v2_differs
  FROM exchange.archived_days;

\c :regress_db
DROP DATABASE regress_exchange_upgrade;
