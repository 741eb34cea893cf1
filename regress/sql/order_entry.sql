-- Order entry without matchd: every validation error fails before anything is
-- sent (each with its own SQLSTATE), and a call that passes validation fails
-- with PX040 because no matchd is there.  exchange.matchd_socket points at a
-- path where nothing listens, so "reached the send" is visible as PX040.
SET timezone = 'UTC';

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_oe_broker_a') THEN
        CREATE ROLE regress_oe_broker_a LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_oe_broker_b') THEN
        CREATE ROLE regress_oe_broker_b LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_oe_desk_a') THEN
        CREATE ROLE regress_oe_desk_a LOGIN IN ROLE regress_oe_broker_a;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_oe_admin') THEN
        CREATE ROLE regress_oe_admin LOGIN IN ROLE exchange_admin;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_oe_analyst') THEN
        CREATE ROLE regress_oe_analyst LOGIN IN ROLE exchange_compliance;
    END IF;
END $$;

-- reference data and one resting order, through the sequencer as matchd writes them
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('order_entry_test') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'OEA',
        detail => '{"tick_size": 0.05, "lot_size": 10}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'OEA'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'oe-a1',
        detail => '{"broker": "regress_oe_broker_a"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'oe-a1'),
    exchange.make_record(3, 0, 'open_account', '2026-11-23 13:00+00', account => 'oe-b1',
        detail => '{"broker": "regress_oe_broker_b"}'),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 13:00+00', account => 'oe-b1'),
    exchange.make_record(4, 0, 'new_order', '2026-11-23 14:00+00', symbol => 'OEA',
        account => 'oe-b1', order_id => 4, side => 'sell', order_type => 'limit',
        time_in_force => 'day', price => 250, quantity => 100),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'OEA',
        account => 'oe-b1', order_id => 4, side => 'sell', price => 250, quantity => 100,
        remaining => 100, status => 'new')]));

-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- ---- the settings --------------------------------------------------------------
-- not configured: PX040, after validation (bad input still gets its own error)
SHOW exchange.matchd_socket;
SHOW exchange.matchd_timeout;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS unset;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 15, 12.50)$$) AS unset_but_off_lot;
SELECT pg_temp.try($$SET exchange.matchd_timeout = 0$$) AS timeout_zero;
SELECT pg_temp.try($$SET exchange.matchd_socket = '$$ || repeat('x', 120) || $$'$$) AS socket_too_long;
SELECT pg_temp.try($$SET exchange.no_such_setting = 1$$) AS reserved_prefix;
SET ROLE regress_oe_broker_a;
SELECT pg_temp.try($$SET exchange.matchd_socket = '/tmp/elsewhere'$$) AS broker_cannot_redirect;
SELECT pg_temp.try($$SET exchange.matchd_timeout = 100$$) AS broker_sets_timeout;
RESET ROLE;
RESET exchange.matchd_timeout;

-- matchd down: the socket path does not exist, the error comes at once
SET exchange.matchd_socket = '/tmp/pgx-regress-no-such-matchd.sock';
SELECT clock_timestamp() AS t0 \gset
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS daemon_down;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 second' AS failed_fast;

-- ---- submit_order ------------------------------------------------------------------
-- NULL where a value is required: 22004
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order(NULL, 'OEA', 'buy', 10, 12.50)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', NULL, 'buy', 10, 12.50)$$) AS null_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', NULL, 10, 12.50)$$) AS null_side;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', NULL, 12.50)$$) AS null_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, NULL)$$) AS null_order_type;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, 'limit', NULL)$$) AS null_time_in_force;
-- quantity: PX012
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 0, 12.50)$$) AS zero_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', -10, 12.50)$$) AS negative_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 1000000010, 12.50)$$) AS quantity_above_limit;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 1000000000, 12.50)$$) AS quantity_at_limit;
-- price for the order type: PX011
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10)$$) AS limit_without_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, 'market')$$) AS market_with_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 0)$$) AS zero_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, -12.50)$$) AS negative_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 'NaN')$$) AS nan_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 'Infinity')$$) AS infinite_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'market', 'gtc')$$) AS market_gtc;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'market')$$) AS market_day_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'sell', 10, NULL, 'market', 'fok')$$) AS market_fok_is_sent;
-- 1.8 options, checked before anything is sent: post-only needs a limit order
-- that may rest (22023), gtd needs an expire_time in the future and only gtd
-- has one (22004, 22023); reserve orders and the auctions' times in force
-- are not supported yet (0A000)
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, time_in_force => 'ioc', post_only => true)$$) AS post_only_ioc;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'market', 'ioc', post_only => true)$$) AS post_only_market;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, post_only => NULL)$$) AS post_only_null;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, time_in_force => 'gtd')$$) AS gtd_without_expire_time;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, expire_time => now() + interval '1 hour')$$) AS expire_time_on_day;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, time_in_force => 'gtd', expire_time => '2000-01-01 00:00+00')$$) AS expire_time_passed;
-- 1.9 stop orders: a stop has no price and a stop_limit needs one (PX011),
-- both need a stop_price on the tick (22004, PX010) and only they have one
-- (22023); a stop enters as a market order, so never gtc or gtd (PX011)
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, 'stop')$$) AS stop_order;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, stop_price => 12.00)$$) AS stop_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop')$$) AS stop_without_stop_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop_limit', stop_price => 12.00)$$) AS stop_limit_without_price;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop', stop_price => 12.02)$$) AS stop_price_off_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop', stop_price => 0)$$) AS stop_price_zero;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop', 'gtc', stop_price => 12.00)$$) AS stop_gtc;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, NULL, 'stop', stop_price => 12.00)$$) AS stop_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'sell', 10, 11.50, 'stop_limit', 'gtc', stop_price => 11.55)$$) AS stop_limit_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, display_quantity => 5)$$) AS display_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, time_in_force => 'at_close')$$) AS at_close;
-- client_order_id: at most 16 bytes (22001), not empty (22023)
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, client_order_id => '12345678901234567')$$) AS long_client_order_id;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, client_order_id => 'ééééééééé')$$) AS long_client_order_id_in_bytes;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, client_order_id => '')$$) AS empty_client_order_id;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50, client_order_id => '1234567890123456')$$) AS client_order_id_of_16;
-- symbol, lot, tick: PX020, PX013, PX010 (never rounded)
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'NOPE', 'buy', 10, 12.50)$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'oea', 'buy', 10, 12.50)$$) AS symbol_is_case_sensitive;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 15, 12.50)$$) AS off_lot;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.52)$$) AS off_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.5000001)$$) AS off_tick_by_a_hair;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.500)$$) AS on_tick_with_trailing_zeros;
-- the result is a set of one row; also callable in the select list
SELECT pg_temp.try($$SELECT exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS in_select_list;

-- ---- accounts: the caller's own, or its broker's (SET ROLE counts) ---------------
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('no-such-account', 'OEA', 'buy', 10, 12.50)$$) AS unknown_account;
SET ROLE regress_oe_broker_a;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS own_account;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-b1', 'OEA', 'buy', 10, 12.50)$$) AS other_brokers_account;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('no-such-account', 'OEA', 'buy', 10, 12.50)$$) AS unknown_account_same_message;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-b1', 4)$$) AS cancel_other_brokers_order;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 50)$$) AS amend_other_brokers_order;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01)$$) AS broker_cannot_list;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', 'regress_oe_broker_a')$$) AS broker_cannot_open_accounts;
RESET ROLE;
SET ROLE regress_oe_desk_a;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS desk_of_broker_a;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-b1', 'OEA', 'buy', 10, 12.50)$$) AS desk_of_broker_a_for_b;
RESET ROLE;
SET ROLE regress_oe_broker_b;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS broker_b_for_a;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-b1', 4)$$) AS broker_b_cancels_own;
RESET ROLE;
SET ROLE regress_oe_admin;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oe-a1', 'OEA', 'buy', 10, 12.50)$$) AS admin_cannot_trade;
RESET ROLE;
SET ROLE regress_oe_analyst;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-a1', 4)$$) AS compliance_cannot_cancel;
RESET ROLE;

-- ---- cancel_order ----------------------------------------------------------------
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order(NULL, 4)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-b1', NULL)$$) AS null_order_id;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-b1', 0)$$) AS order_id_zero;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oe-b1', 4)$$) AS cancel_is_sent;

-- ---- cancel_all (1.8): a mass cancel, only of the caller's accounts -------------
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all(NULL)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-b1', 'NOPE')$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('no-such-account')$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-b1')$$) AS mass_cancel_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-b1', 'OEA')$$) AS symbol_mass_cancel_is_sent;
SET ROLE regress_oe_broker_a;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-b1')$$) AS other_brokers_account;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-b1', 'OEA')$$) AS other_brokers_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-a1')$$) AS own_account;
RESET ROLE;
SET ROLE regress_oe_analyst;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_all('oe-a1')$$) AS compliance_cannot_mass_cancel;
RESET ROLE;

-- ---- amend_order -----------------------------------------------------------------
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order(NULL, 4, 50)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', NULL, 50)$$) AS null_order_id;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, NULL)$$) AS null_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 0)$$) AS zero_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 50, 0)$$) AS zero_price;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 99, 50)$$) AS unknown_order;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-a1', 4, 50)$$) AS order_of_another_account;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 55)$$) AS off_lot;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 50, 12.51)$$) AS off_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 50)$$) AS amend_quantity_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oe-b1', 4, 50, 12.45)$$) AS amend_price_is_sent;

-- ---- add_symbol (exchange_admin) -------------------------------------------------
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol(NULL, 0.01)$$) AS null_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', NULL)$$) AS null_tick_size;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, NULL)$$) AS null_lot_size;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 1, NULL)$$) AS null_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('oez', 0.01)$$) AS lower_case_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('1OEZ', 0.01)$$) AS symbol_starts_with_digit;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('ABCDEFGHIJKLMNOPQ', 0.01)$$) AS symbol_of_17;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('', 0.01)$$) AS empty_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0)$$) AS zero_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', -0.01)$$) AS negative_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 'NaN')$$) AS nan_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 0)$$) AS zero_lot;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 1, 'usd')$$) AS lower_case_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 1, 'EURO')$$) AS four_letter_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 1, 'USD', 0)$$) AS zero_reference_price;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.05, 1, 'USD', 12.52)$$) AS reference_price_off_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01, 1, 'USD', NULL, repeat('x', 1001))$$) AS long_description;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ.B', 0.05, 100, 'EUR', 12.55, 'OE "Z" \ B')$$) AS add_symbol_is_sent;
SET ROLE regress_oe_admin;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEZ', 0.01)$$) AS admin_lists;
RESET ROLE;

-- ---- open_account (exchange_admin) -----------------------------------------------
SELECT pg_temp.try($$SELECT * FROM exchange.open_account(NULL, 'regress_oe_broker_a')$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', NULL)$$) AS null_broker;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('', 'regress_oe_broker_a')$$) AS empty_account;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('-oe', 'regress_oe_broker_a')$$) AS account_starts_with_dash;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe a9', 'regress_oe_broker_a')$$) AS account_with_space;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account(repeat('a', 64), 'regress_oe_broker_a')$$) AS account_of_64;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', 'regress_oe_analyst')$$) AS broker_not_a_broker;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', 'exchange_broker')$$) AS broker_group_itself;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', 'no_such_role_at_all')$$) AS broker_unknown_role;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oe-a9', 'regress_oe_desk_a')$$) AS desk_is_a_broker_member;
SET ROLE regress_oe_admin;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('OE_a.9-x', 'regress_oe_broker_a')$$) AS admin_opens;
RESET ROLE;

RESET exchange.matchd_socket;
