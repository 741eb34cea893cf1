-- The SQL side of the order manager (1.2) without matchd: argument checks of
-- every new function (each failure with its SQLSTATE, before anything is sent;
-- a call that passes them reaches the send and fails with PX040), the requests
-- the functions send (a listener that records them), the answers they raise
-- (a listener with canned answers: refusals are errors), currency conversions,
-- the projections append_batch writes from hand-built batches and wallet
-- projections, and the schedule's arithmetic across a DST change and holidays.
SET timezone = 'UTC';

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_om_admin') THEN
        CREATE ROLE regress_om_admin LOGIN IN ROLE exchange_admin;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_om_broker_a') THEN
        CREATE ROLE regress_om_broker_a LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_om_broker_b') THEN
        CREATE ROLE regress_om_broker_b LOGIN IN ROLE exchange_broker;
    END IF;
END $$;

-- SQLSTATE and message of a statement, or 'ok'; try_detail adds the DETAIL
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.try_detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' / ' || nullif(detail, ''), '');
END $$;

-- symbols and accounts as matchd journals them (add_symbol's 1.2 detail)
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('om_test') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-03-02 13:00+00', symbol => 'OMA',
        detail => '{"role": "regress_om_admin", "tick_size": 0.05, "lot_size": 10, "currency": "USD", "reference_price": 12.50, "description": null, "tick_value": 5, "reference_ticks": 250}'),
    exchange.make_record(1, 1, 'accepted', '2026-03-02 13:00+00', symbol => 'OMA'),
    exchange.make_record(2, 0, 'add_symbol', '2026-03-02 13:00+00', symbol => 'OMJ',
        detail => '{"tick_size": 1, "lot_size": 100, "currency": "JPY", "tick_value": 1, "reference_ticks": null}'),
    exchange.make_record(2, 1, 'accepted', '2026-03-02 13:00+00', symbol => 'OMJ'),
    exchange.make_record(3, 0, 'open_account', '2026-03-02 13:00+00', account => 'om-a1',
        detail => '{"broker": "regress_om_broker_a", "kyc_status": "verified"}'),
    exchange.make_record(3, 1, 'accepted', '2026-03-02 13:00+00', account => 'om-a1'),
    exchange.make_record(4, 0, 'open_account', '2026-03-02 13:00+00', account => 'om-a2',
        detail => '{"broker": "regress_om_broker_a", "kyc_status": "pending"}'),
    exchange.make_record(4, 1, 'accepted', '2026-03-02 13:00+00', account => 'om-a2'),
    exchange.make_record(5, 0, 'open_account', '2026-03-02 13:00+00', account => 'om-b1',
        detail => '{"broker": "regress_om_broker_b"}'),
    exchange.make_record(5, 1, 'accepted', '2026-03-02 13:00+00', account => 'om-b1')]));
SELECT symbol, tick_size, lot_size, currency, tick_value, reference_price, status
  FROM exchange.symbols WHERE stream = :s ORDER BY symbol;
SELECT account, broker, kyc_status, kyc_reason, trading_status, status_reason
  FROM exchange.accounts WHERE stream = :s ORDER BY account;

-- ---- currencies -----------------------------------------------------------------
SELECT * FROM exchange.currencies ORDER BY currency;
SELECT pg_temp.try($$INSERT INTO exchange.currencies VALUES ('usd', 2)$$) AS lower_case;
SELECT pg_temp.try($$INSERT INTO exchange.currencies VALUES ('XAU', 7)$$) AS seven_digits;
SELECT pg_temp.try($$INSERT INTO exchange.currencies VALUES ('USD', 3)$$) AS again;
SET ROLE regress_om_broker_a;
SELECT pg_temp.try($$INSERT INTO exchange.currencies VALUES ('SEK', 2)$$) AS broker_adds;
SELECT count(*) AS broker_reads FROM exchange.currencies;
RESET ROLE;
SET ROLE regress_om_admin;
SELECT pg_temp.try($$INSERT INTO exchange.currencies VALUES ('SEK', 2)$$) AS admin_adds;
SELECT pg_temp.try($$UPDATE exchange.currencies SET minor_digits = 3 WHERE currency = 'SEK'$$) AS admin_changes;
SELECT pg_temp.try($$DELETE FROM exchange.currencies WHERE currency = 'SEK'$$) AS admin_deletes;
RESET ROLE;

-- exact conversions: minor units <-> amounts, tick values
SELECT exchange.minor_to_amount(123456, 2) AS usd, exchange.minor_to_amount(-5, 2) AS negative,
       exchange.minor_to_amount(9223372036854775807, 2) AS largest,
       exchange.minor_to_amount(5000, 0) AS jpy, exchange.minor_to_amount(1, 6) AS micro;
SELECT exchange.tick_value(0.05, 'USD') AS usd_nickel, exchange.tick_value(0.001, 'USD') AS sub_cent,
       exchange.tick_value(1, 'JPY') AS yen, exchange.tick_value(0.5, 'JPY') AS half_yen,
       exchange.tick_value(0.01, 'XXX') AS unlisted;
-- the risk defaults, shared with matchd (exchange_wire.h)
SELECT * FROM exchange.default_limits();

-- ---- argument checks: each before anything is sent ---------------------------------
-- nothing listens there: a call that passes every check fails with PX040
SET exchange.matchd_socket = '/tmp/pgx-regress-no-such-matchd.sock';

-- set_kyc_status
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status(NULL, 'verified')$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a2', NULL)$$) AS null_status;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a2', 'approved')$$) AS not_a_status;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-zz', 'verified')$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a2', 'verified', repeat('x', 1001))$$) AS long_reason;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a2', 'verified', 'documents checked')$$) AS is_sent;
-- suspend_account, resume_account
SELECT pg_temp.try($$SELECT * FROM exchange.suspend_account(NULL)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.suspend_account('om-zz')$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.suspend_account('om-a1', repeat('x', 1001))$$) AS long_reason;
SELECT pg_temp.try($$SELECT * FROM exchange.suspend_account('om-a1')$$) AS is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.resume_account('om-zz', 'cleared')$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.resume_account('om-a1', 'cleared')$$) AS is_sent;
-- deposit, withdraw: positive, exact in the currency's minor unit, a listed currency
SELECT pg_temp.try($$SELECT * FROM exchange.deposit(NULL, 10)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', NULL)$$) AS null_amount;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10, NULL)$$) AS null_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 0)$$) AS zero;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', -10)$$) AS negative;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 'NaN')$$) AS nan;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 'Infinity')$$) AS infinite;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10.001)$$) AS sub_cent;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 0.001)$$) AS below_a_cent;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10.5, 'JPY')$$) AS half_yen;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 1e30)$$) AS too_large;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 92233720368547758.08)$$) AS one_cent_too_large;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10, 'usd')$$) AS malformed_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10, 'XXX')$$) AS unknown_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-zz', 10)$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 92233720368547758.07)$$) AS largest_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10.50000)$$) AS trailing_zeros_are_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 5000, 'JPY')$$) AS yen_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-a1', 0)$$) AS withdraw_zero;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-a1', 1.005)$$) AS withdraw_sub_cent;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-a1', 1, 'XXX')$$) AS withdraw_unknown_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-zz', 1)$$) AS withdraw_unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-a1', 0.01)$$) AS withdraw_is_sent;
-- credit_shares, debit_shares: positive, listed symbol, whole lots
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares(NULL, 'OMA', 10)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', NULL, 10)$$) AS null_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', NULL)$$) AS null_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', 0)$$) AS zero;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', -10)$$) AS negative;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-zz', 'OMA', 10)$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'NOPE', 10)$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', 15)$$) AS off_lot;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', 100)$$) AS is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.debit_shares('om-a1', 'OMJ', 150)$$) AS debit_off_lot;
SELECT pg_temp.try($$SELECT * FROM exchange.debit_shares('om-a1', 'OMJ', 200)$$) AS debit_is_sent;
-- set_account_limits: at least one, each in range, notionals exact in USD
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1')$$) AS nothing_to_change;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits(NULL, burst => 5)$$) AS null_account;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_quantity => 0)$$) AS zero_quantity;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_quantity => 1000000001)$$) AS quantity_above_order_limit;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_notional => 0)$$) AS zero_notional;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_daily_notional => -1)$$) AS negative_notional;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_notional => 1000.005)$$) AS sub_cent_notional;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_open_orders => 0)$$) AS zero_open_orders;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', orders_per_second => -1)$$) AS negative_rate;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', burst => 0)$$) AS zero_burst;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-zz', burst => 5)$$) AS unknown_account;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_quantity => 1000000000, burst => 5)$$) AS is_sent;
-- set_symbol_limits: at least one, basis points 0..10000, reference price on the tick
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA')$$) AS nothing_to_change;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits(NULL, price_band_bps => 5)$$) AS null_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', price_band_bps => -1)$$) AS negative_band;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', market_collar_bps => 10001)$$) AS collar_above_100_percent;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', maker_fee_bps => -5)$$) AS negative_fee;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', reference_price => 0)$$) AS zero_reference;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', reference_price => 12.52)$$) AS reference_off_tick;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('NOPE', taker_fee_bps => 5)$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', price_band_bps => 0, market_collar_bps => 10000, maker_fee_bps => 0, taker_fee_bps => 10000, reference_price => 12.55)$$) AS is_sent;
-- halt_symbol, resume_symbol
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol(NULL)$$) AS null_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol('NOPE')$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol('OMA', repeat('x', 1001))$$) AS long_reason;
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol('OMA', 'news pending')$$) AS is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.resume_symbol('OMA')$$) AS resume_is_sent;
-- open_market, close_market: the stream matchd serves (exchange.matchd_stream) must exist
SHOW exchange.matchd_stream;
SELECT pg_temp.try($$SELECT * FROM exchange.open_market()$$) AS main_does_not_exist;
SELECT pg_temp.try($$SET exchange.matchd_stream = 'Not-A-Stream'$$) AS malformed_stream;
SET exchange.matchd_stream = 'om_test';
SELECT pg_temp.try($$SELECT * FROM exchange.open_market()$$) AS open_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.close_market()$$) AS close_is_sent;
-- open_account with a KYC status; add_symbol in a listed currency on its minor unit
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('om-a3', 'regress_om_broker_a', NULL)$$) AS null_kyc_status;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('om-a3', 'regress_om_broker_a', 'verified')$$) AS open_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 0.01, 1, 'XXX')$$) AS unlisted_currency;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 0.001)$$) AS tick_below_a_cent;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 0.5, 100, 'JPY')$$) AS tick_below_a_yen;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 100000000000000000, 1, 'USD')$$) AS tick_too_large;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 5, 100, 'JPY', 1005)$$) AS yen_symbol_is_sent;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMX', 0.01, 1, 'SEK')$$) AS added_currency_is_sent;

-- the admin's functions: brokers may not call them
SET ROLE regress_om_broker_a;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10)$$) AS broker_deposits;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a1', 'verified')$$) AS broker_verifies;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', burst => 1000)$$) AS broker_raises_limits;
SELECT pg_temp.try($$SELECT * FROM exchange.open_market()$$) AS broker_opens;
RESET ROLE;
SET ROLE regress_om_admin;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 10)$$) AS admin_deposits;
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol('OMA')$$) AS admin_halts;
RESET ROLE;

-- ---- what matchd receives: a listener records the requests, never answers ---------
-- the market's time zone gives market_open its trading day (UTC+14 here: a date
-- apart from UTC's for most of the day)
SELECT time_zone FROM exchange.set_market_schedule('Pacific/Kiritimati', '09:30', '16:00', stream => 'om_test');
\set sock `perl regress/sql/socket_helper.pl silent`
SELECT :'sock' || '.log' AS sock_log \gset
SET exchange.matchd_socket = :'sock';
SET exchange.matchd_timeout = 100;
SELECT pg_temp.try($$SELECT * FROM exchange.set_kyc_status('om-a2', 'verified', 'passport "checked"')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.suspend_account('om-a1')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.resume_account('om-a1', 'cleared')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 1234.56)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.deposit('om-a1', 5000, 'JPY')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.withdraw('om-a1', 0.01)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', 100)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.debit_shares('om-a1', 'OMJ', 200)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.set_account_limits('om-a1', max_order_notional => 250000.5, burst => 50)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.set_symbol_limits('OMA', price_band_bps => 0, reference_price => 13.05)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.halt_symbol('OMA', 'news pending')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.resume_symbol('OMA')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.open_market()$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.close_market()$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('om-a3', 'regress_om_broker_a', 'verified')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OMK', 5, 1, 'KRW', 1005)$$) AS no_answer;
RESET exchange.matchd_timeout;

-- the lines of the listener's log, once it has seen n connections closed
CREATE FUNCTION pg_temp.listener_log(path text, closed int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    lines text[];
BEGIN
    FOR i IN 1..100 LOOP
        lines := string_to_array(rtrim(pg_read_file(path), E'\n'), E'\n');
        EXIT WHEN (SELECT count(*) FROM unnest(lines) l WHERE l LIKE 'eof %') >= closed;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN QUERY SELECT unnest(lines);
END $$;
-- a request's record as a one-record batch (seq 1, so that the decoder takes it)
CREATE FUNCTION pg_temp.as_batch(frame bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT '\x504a58310100000001000000'::bytea
           || overlay(substring(frame from 19 + get_byte(frame, 16) + 256 * get_byte(frame, 17))
                      placing '\x0100000000000000'::bytea from 9 for 8)
$$;
CREATE TEMP TABLE om_frames AS
SELECT row_number() OVER () AS n, decode(split_part(l, ' ', 3), 'hex') AS frame
  FROM pg_temp.listener_log(:'sock_log', 16) l WHERE l LIKE 'request %';
-- amounts in minor units, quantities in shares, the detail of each command; only
-- market_open carries a trading day (today in the market's time zone)
SELECT f.n, r.kind, r.symbol, r.account, r.quantity, r.amount, r.price,
       CASE WHEN r.kind = 'market_open'
            THEN r.trading_day = (clock_timestamp() AT TIME ZONE 'Pacific/Kiritimati')::date
            ELSE r.trading_day = '2000-01-01' END AS trading_day_ok,
       r.detail
  FROM om_frames f, exchange.batch_rows(pg_temp.as_batch(f.frame), 0, 0) r ORDER BY f.n;

-- ---- what matchd answers: refusals are errors ----------------------------------------
-- the order manager refused (journaled as rejected): its SQLSTATE and message,
-- for the order functions as for the others
\set sock `perl regress/sql/socket_helper.pl answer PX060 5 insufficient_funds 'insufficient funds: 12.50 USD needed, 0.01 available'`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.withdraw('om-a1', 12.50)$$) AS refused;
SELECT pg_temp.try_detail($$SELECT * FROM exchange.submit_order('om-a1', 'OMA', 'buy', 10, 1.25)$$) AS refused;
\set sock `perl regress/sql/socket_helper.pl answer PX052 5 kyc_not_verified 'account "om-a2" is not KYC-verified'`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.submit_order('om-a2', 'OMA', 'sell', 10, NULL, 'market')$$) AS refused;
SELECT pg_temp.try_detail($$SELECT * FROM exchange.cancel_order('om-a2', 7)$$) AS refused;
-- a refusal without a message still says why
\set sock `perl regress/sql/socket_helper.pl answer PX053 5 account_suspended -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.cancel_order('om-a1', 7)$$) AS refused;
-- rate limited (PX076): the backend lowers its CPU priority once, to
-- exchange.rate_limited_nice (off by default, 10 here), so a flood of refusals
-- yields the cores to other brokers; other refusals leave it alone; only a
-- superuser may change the setting
CREATE FUNCTION pg_temp.backend_nice() RETURNS int LANGUAGE sql AS
$$ SELECT (string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' '))[17]::int $$;
SELECT pg_temp.backend_nice() AS nice_before;
SET ROLE regress_om_broker_a;
SELECT pg_temp.try($$SET exchange.rate_limited_nice = 0$$) AS broker_may_not_turn_it_off;
RESET ROLE;
SHOW exchange.rate_limited_nice;
SELECT pg_temp.backend_nice() AS nice_after_another_refusal;
SET exchange.rate_limited_nice = 10;
\set sock `perl regress/sql/socket_helper.pl refuse PX076 5 rate_limited 'rate limited: the account may send 1 orders per second (burst 1); try again shortly'`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.submit_order('om-a1', 'OMA', 'buy', 10, 1.25)$$) AS rate_limited;
SELECT pg_temp.backend_nice() AS nice_after_rate_limit;
-- the engine's own rejections (SQLSTATE 00000 or five zero bytes) come back as the row
\set sock `perl regress/sql/socket_helper.pl answer 00000 5 fok_not_fillable -`
SET exchange.matchd_socket = :'sock';
SELECT * FROM exchange.submit_order('om-a1', 'OMA', 'buy', 10, 1.25, time_in_force => 'fok');
\set sock `perl regress/sql/socket_helper.pl answer zero 5 no_liquidity -`
SET exchange.matchd_socket = :'sock';
SELECT id, status, reject_reason FROM exchange.submit_order('om-a1', 'OMA', 'buy', 10, order_type => 'market');
-- a command rejected with SQLSTATE 00000 is an error named after its reason
\set sock `perl regress/sql/socket_helper.pl answer 00000 5 insufficient_shares -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.debit_shares('om-a1', 'OMA', 10)$$) AS rejected;
\set sock `perl regress/sql/socket_helper.pl answer 00000 5 bad_state -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.halt_symbol('OMA')$$) AS rejected;
-- a SQLSTATE that is no error code: a malformed answer
\set sock `perl regress/sql/socket_helper.pl answer 'px!!0' 5 - -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.deposit('om-a1', 1)$$) AS malformed;
\set sock `perl regress/sql/socket_helper.pl answer 01000 5 - -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.deposit('om-a1', 1)$$) AS a_warning_is_malformed;
-- accepted: the function returns what the projection shows, and says so when the
-- database does not show it (this listener journals nothing)
\set sock `perl regress/sql/socket_helper.pl answer 00000 1 - -`
SET exchange.matchd_socket = :'sock';
SELECT pg_temp.try_detail($$SELECT * FROM exchange.deposit('om-a1', 1234.56)$$) AS not_projected;
SELECT pg_temp.try_detail($$SELECT * FROM exchange.credit_shares('om-a1', 'OMA', 10)$$) AS not_projected;
SELECT pg_temp.try_detail($$SELECT * FROM exchange.open_market()$$) AS not_projected;
RESET exchange.matchd_socket;

-- ---- the projections: append_batch with matchd's wallet projection -------------------
-- every command but an order's is reference data for batch_summary
SELECT (exchange.batch_summary(exchange.encode_batch(ARRAY[
           exchange.make_record(1, 0, 'new_order', symbol => 'OMA', account => 'om-a1', order_id => 1,
               side => 'buy', order_type => 'limit', time_in_force => 'day', price => 250, quantity => 10),
           exchange.make_record(2, 0, 'cancel_order', account => 'om-a1', order_id => 1)]))).reference_data AS orders_only,
       (exchange.batch_summary(exchange.encode_batch(ARRAY[
           exchange.make_record(1, 0, 'new_order', symbol => 'OMA', account => 'om-a1', order_id => 1,
               side => 'buy', order_type => 'limit', time_in_force => 'day', price => 250, quantity => 10),
           exchange.make_record(2, 0, 'deposit', account => 'om-a1', amount => 100,
               detail => '{"currency": "USD"}')]))).reference_data AS with_a_deposit,
       (exchange.batch_summary(exchange.encode_batch(ARRAY[
           exchange.make_record(1, 0, 'market_close')]))).reference_data AS a_close;

SELECT exchange.append_batch(:s, :e, 6, exchange.encode_batch(ARRAY[
    exchange.make_record(6, 0, 'set_kyc', '2026-03-02 13:05+00', account => 'om-a2',
        detail => '{"role": "regress_om_admin", "kyc_status": "verified", "reason": "documents checked"}'),
    exchange.make_record(6, 1, 'accepted', '2026-03-02 13:05+00', account => 'om-a2'),
    -- rejected: changes nothing
    exchange.make_record(7, 0, 'set_kyc', '2026-03-02 13:05+00', account => 'om-b1',
        detail => '{"role": "regress_om_admin", "kyc_status": "verified", "reason": null}'),
    exchange.make_record(7, 1, 'rejected', '2026-03-02 13:05+00', account => 'om-b1', reason => 'bad_state', status => 'rejected'),
    exchange.make_record(8, 0, 'suspend_account', '2026-03-02 13:05+00', account => 'om-a1',
        detail => '{"role": "regress_om_admin", "reason": "margin call"}'),
    exchange.make_record(8, 1, 'accepted', '2026-03-02 13:05+00', account => 'om-a1'),
    exchange.make_record(9, 0, 'deposit', '2026-03-02 13:06+00', account => 'om-a1', amount => 123456,
        detail => '{"role": "regress_om_admin", "currency": "USD"}'),
    exchange.make_record(9, 1, 'accepted', '2026-03-02 13:06+00', account => 'om-a1', amount => 123456),
    exchange.make_record(10, 0, 'deposit', '2026-03-02 13:06+00', account => 'om-a1', amount => 5000,
        detail => '{"role": "regress_om_admin", "currency": "JPY"}'),
    exchange.make_record(10, 1, 'accepted', '2026-03-02 13:06+00', account => 'om-a1', amount => 5000),
    exchange.make_record(11, 0, 'withdraw', '2026-03-02 13:07+00', account => 'om-a1', amount => 99999999,
        detail => '{"role": "regress_om_admin", "currency": "USD"}'),
    exchange.make_record(11, 1, 'rejected', '2026-03-02 13:07+00', account => 'om-a1', amount => 99999999,
        reason => 'insufficient_funds', status => 'rejected'),
    exchange.make_record(12, 0, 'set_account_limits', '2026-03-02 13:08+00', account => 'om-a1',
        detail => '{"role": "regress_om_admin", "max_order_notional": 25000050, "burst": 50}'),
    exchange.make_record(12, 1, 'accepted', '2026-03-02 13:08+00', account => 'om-a1'),
    exchange.make_record(13, 0, 'set_account_limits', '2026-03-02 13:08+00', account => 'om-a1',
        detail => '{"role": "regress_om_admin", "burst": 60, "max_open_orders": 10}'),
    exchange.make_record(13, 1, 'accepted', '2026-03-02 13:08+00', account => 'om-a1'),
    exchange.make_record(14, 0, 'set_symbol_limits', '2026-03-02 13:09+00', symbol => 'OMA',
        detail => '{"role": "regress_om_admin", "price_band_bps": 0, "reference_price": 261}'),
    exchange.make_record(14, 1, 'accepted', '2026-03-02 13:09+00', symbol => 'OMA'),
    exchange.make_record(15, 0, 'halt', '2026-03-02 13:10+00', symbol => 'OMA',
        detail => '{"role": "regress_om_admin", "reason": "news pending"}'),
    exchange.make_record(15, 1, 'accepted', '2026-03-02 13:10+00', symbol => 'OMA', reason => 'halted'),
    exchange.make_record(16, 0, 'market_open', '2026-03-02 14:30+00', trading_day => '2026-03-03',
        detail => '{"role": "regress_om_admin"}'),
    exchange.make_record(16, 1, 'accepted', '2026-03-02 14:30+00', trading_day => '2026-03-03', reason => 'open')]),
    exchange.encode_wallets(ARRAY[
        ('cash', 'om-a1', 'USD', 100000, 0, 9),
        ('cash', 'om-a1', 'JPY', 5000, 0, 10),
        ('fees', NULL, 'USD', 250, 0, 9),
        -- the same wallet again in one projection: the later entry wins
        ('cash', 'om-a1', 'USD', 123456, 0, 9)]::exchange.wallet_entry[])) AS last_seq;

SELECT account, kyc_status, kyc_reason, trading_status, status_reason
  FROM exchange.accounts WHERE stream = :s ORDER BY account;
SELECT account, max_order_quantity, max_order_notional, max_daily_notional, max_open_orders,
       orders_per_second, burst, updated_seq FROM exchange.account_limits;
SELECT * FROM exchange.risk_limits WHERE account LIKE 'om-%' ORDER BY account;
SELECT symbol, status, status_reason, price_band_bps, market_collar_bps, maker_fee_bps,
       taker_fee_bps, reference_price, tick_value
  FROM exchange.symbols WHERE stream = :s ORDER BY symbol;
SELECT is_open, trading_day, changed_seq, changed_at FROM exchange.market_state WHERE stream = :s;
SELECT * FROM exchange.wallets WHERE account LIKE 'om-%' ORDER BY account, currency;
SELECT currency, amount, updated_seq FROM exchange.fees_collected WHERE stream = :s;
SELECT * FROM exchange.balances('om-a1');
SELECT seq, ts, kind, outcome, reason, asset, amount, requested_by
  FROM exchange.account_history('om-a1');
SELECT seq, kind, outcome, reason FROM exchange.account_history('om-b1');

-- shares, a resumption and a holding; a credit of shares is no change of the book
SELECT book_version AS oma_version FROM exchange.symbols WHERE symbol = 'OMA' \gset
SELECT exchange.append_batch(:s, :e, 17, exchange.encode_batch(ARRAY[
    exchange.make_record(17, 0, 'credit_shares', '2026-03-03 14:31+00', symbol => 'OMA', account => 'om-a1',
        quantity => 100, detail => '{"role": "regress_om_admin"}'),
    exchange.make_record(17, 1, 'accepted', '2026-03-03 14:31+00', symbol => 'OMA', account => 'om-a1', quantity => 100),
    exchange.make_record(18, 0, 'resume', '2026-03-03 14:32+00', symbol => 'OMA', detail => '{"role": "regress_om_admin", "reason": "news out"}'),
    exchange.make_record(18, 1, 'accepted', '2026-03-03 14:32+00', symbol => 'OMA', reason => 'open'),
    exchange.make_record(19, 0, 'resume_account', '2026-03-03 14:33+00', account => 'om-a1',
        detail => '{"role": "regress_om_admin", "reason": "cleared"}'),
    exchange.make_record(19, 1, 'accepted', '2026-03-03 14:33+00', account => 'om-a1'),
    exchange.make_record(20, 0, 'debit_shares', '2026-03-03 14:34+00', symbol => 'OMA', account => 'om-a1',
        quantity => 500, detail => '{"role": "regress_om_admin"}'),
    exchange.make_record(20, 1, 'rejected', '2026-03-03 14:34+00', symbol => 'OMA', account => 'om-a1',
        quantity => 500, reason => 'insufficient_shares', status => 'rejected')]),
    exchange.encode_wallets(ARRAY[
        ('shares', 'om-a1', 'OMA', 60, 40, 17),
        ('cash', 'om-a1', 'USD', 120000, 3456, 17)]::exchange.wallet_entry[])) AS last_seq;
SELECT book_version - :oma_version AS oma_book_changes, status, status_reason
  FROM exchange.symbols WHERE symbol = 'OMA';
SELECT account, trading_status, status_reason FROM exchange.accounts WHERE account = 'om-a1';
SELECT * FROM exchange.balances('om-a1');
SELECT * FROM exchange.positions WHERE account LIKE 'om-%';
SELECT seq, kind, outcome, reason, asset, amount FROM exchange.account_history('om-a1') WHERE seq > 16;

-- the append without a projection (matchd of 1.1) leaves wallets as they are
SELECT exchange.append_batch(:s, :e, 21, exchange.encode_batch(ARRAY[
    exchange.make_record(21, 0, 'market_close', '2026-03-03 21:00+00', trading_day => '2026-03-03'),
    exchange.make_record(21, 1, 'accepted', '2026-03-03 21:00+00', trading_day => '2026-03-03', reason => 'closed'),
    -- a session of one symbol (as 1.1 journaled them) is not the market's
    exchange.make_record(22, 0, 'market_open', '2026-03-03 21:01+00', symbol => 'OMA', trading_day => '2026-03-03'),
    exchange.make_record(22, 1, 'accepted', '2026-03-03 21:01+00', symbol => 'OMA', trading_day => '2026-03-03', reason => 'open')])) AS last_seq;
SELECT is_open, trading_day, changed_seq FROM exchange.market_state WHERE stream = :s;
SELECT count(*) AS wallets, max(updated_seq) AS last_change FROM exchange.wallets WHERE account = 'om-a1';

-- what a deposit returns once matchd journaled it with its wallet (the listener
-- answers as matchd would: accepted at the seq of the batch below)
SELECT exchange.append_batch(:s, :e, 23, exchange.encode_batch(ARRAY[
    exchange.make_record(23, 0, 'deposit', '2026-03-04 13:00+00', account => 'om-a2', amount => 1000050,
        detail => '{"role": "regress_om_admin", "currency": "EUR"}'),
    exchange.make_record(23, 1, 'accepted', '2026-03-04 13:00+00', account => 'om-a2', amount => 1000050)]),
    exchange.encode_wallets(ARRAY[('cash', 'om-a2', 'EUR', 1000050, 0, 23)]::exchange.wallet_entry[])) AS last_seq;
\set sock `perl regress/sql/socket_helper.pl answer 00000 1 - - 22`
SET exchange.matchd_socket = :'sock';
SELECT * FROM exchange.deposit('om-a2', 10000.50, 'EUR');
-- answered at a later seq than the wallet shows: the projection is missing
SELECT pg_temp.try_detail($$SELECT * FROM exchange.withdraw('om-a2', 1, 'EUR')$$) AS wallet_not_updated;
RESET exchange.matchd_socket;

-- malformed wallet projections: PX005, and nothing of the batch is written
CREATE FUNCTION pg_temp.append_with(wallets bytea) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.try(format($q$SELECT exchange.append_batch(%s, %s, 24, exchange.encode_batch(ARRAY[
        exchange.make_record(24, 0, 'deposit', '2026-03-04 13:01+00', account => 'om-a1', amount => 1,
            detail => '{"currency": "USD"}'),
        exchange.make_record(24, 1, 'accepted', '2026-03-04 13:01+00', account => 'om-a1', amount => 1)]), %L)$q$,
        (SELECT stream FROM exchange.streams WHERE name = 'om_test'),
        (SELECT epoch FROM exchange.streams WHERE name = 'om_test'), wallets))
$$;
SELECT pg_temp.append_with('\x504a583100000000'::bytea) AS bad_magic;
SELECT pg_temp.append_with('\x50574c'::bytea) AS truncated_header;
SELECT pg_temp.append_with(overlay(exchange.encode_wallets(ARRAY[('cash', 'om-a1', 'USD', 1, 0, 24)]::exchange.wallet_entry[])
                                   placing '\x02' from 5 for 1)) AS count_too_high;
SELECT pg_temp.append_with(overlay(exchange.encode_wallets(ARRAY[('cash', 'om-a1', 'USD', 1, 0, 24)]::exchange.wallet_entry[])
                                   placing '\x00000001' from 5 for 4)) AS huge_count;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('cash', 'om-a1', 'USD', 1, 0, 24)]::exchange.wallet_entry[])
                           || '\x00'::bytea) AS trailing_byte;
SELECT pg_temp.append_with(overlay(exchange.encode_wallets(ARRAY[('cash', 'om-a1', 'USD', 1, 0, 24)]::exchange.wallet_entry[])
                                   placing '\x04' from 9 for 1)) AS unknown_asset;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('fees', 'om-a1', 'USD', 1, 0, 24)]::exchange.wallet_entry[])) AS fee_with_account;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('fees', NULL, 'USD', 1, 5, 24)]::exchange.wallet_entry[])) AS fee_held;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('cash', NULL, 'USD', 1, 0, 24)]::exchange.wallet_entry[])) AS cash_without_account;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('shares', 'om-a1', NULL, 1, 0, 24)]::exchange.wallet_entry[])) AS shares_without_symbol;
SELECT pg_temp.append_with(exchange.encode_wallets(ARRAY[('shares', 'om-a1', '', 1, 0, 24)]::exchange.wallet_entry[])) AS empty_symbol;
SELECT pg_temp.append_with(overlay(exchange.encode_wallets(ARRAY[('cash', 'om-aX', 'USD', 1, 0, 24)]::exchange.wallet_entry[])
                                   placing '\xff' from 16 for 1)) AS invalid_utf8;
SELECT last_seq, (SELECT count(*) FROM exchange.journal WHERE stream = :s AND seq = 24) AS seq_24_rows,
       (SELECT available FROM exchange.wallets WHERE account = 'om-a1' AND currency = 'USD') AS usd_available
  FROM exchange.streams WHERE stream = :s;
-- an empty projection is no change; encode_wallets checks its entries
SELECT pg_temp.append_with(exchange.encode_wallets('{}')) AS empty_projection;
SELECT pg_temp.try($$SELECT exchange.encode_wallets(ARRAY[('bonds', 'om-a1', 'USD', 1, 0, 1)]::exchange.wallet_entry[])$$) AS bad_asset;
SELECT pg_temp.try($$SELECT exchange.encode_wallets(ARRAY[('cash', 'om-a1', 'USD', NULL, 0, 1)]::exchange.wallet_entry[])$$) AS null_available;
SELECT pg_temp.try($$SELECT exchange.encode_wallets(ARRAY[NULL]::exchange.wallet_entry[])$$) AS null_entry;
SELECT encode(exchange.encode_wallets(ARRAY[('fees', NULL, 'JPY', 258, 0, 1)]::exchange.wallet_entry[]), 'hex') AS pwl1;

-- ---- the schedule: local hours in a time zone, DST, holidays --------------------------
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('Mars/Olympus', '09:30', '16:00', stream => 'om_test')$$) AS unknown_time_zone;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('EST5EDT+1', '09:30', '16:00', stream => 'om_test')$$) AS posix_zone;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '16:00', '09:30', stream => 'om_test')$$) AS close_before_open;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '09:30', stream => 'om_test')$$) AS close_at_open;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{}', 'om_test')$$) AS no_weekdays;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{0,1}', 'om_test')$$) AS weekday_zero;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{1,8}', 'om_test')$$) AS weekday_eight;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{1,NULL}', 'om_test')$$) AS weekday_null;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{{1,2},{3,4}}', 'om_test')$$) AS two_dimensions;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule(NULL, '09:30', '16:00', stream => 'om_test')$$) AS null_time_zone;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', NULL, 'om_test')$$) AS null_weekdays;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00')$$) AS main_does_not_exist;
SET ROLE regress_om_broker_a;
SELECT pg_temp.try($$SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', stream => 'om_test')$$) AS broker_sets;
RESET ROLE;
SET ROLE regress_om_admin;
SELECT stream = :s AS om_test, time_zone, open_time, close_time, weekdays
  FROM exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{5,1,3,2,4,1}', 'om_test');
RESET ROLE;

-- New York moves to daylight time on Sunday 2026-03-08: 09:30 local is 14:30 UTC
-- on Friday the 6th and 13:30 UTC on Monday the 9th
SELECT t AS at, b.boundary, b.is_open, b.session_day
  FROM unnest(ARRAY['2026-03-06 14:29:59+00', '2026-03-06 14:30+00', '2026-03-06 20:59:59+00',
                    '2026-03-06 21:00+00', '2026-03-07 12:00+00', '2026-03-08 23:59+00',
                    '2026-03-09 13:29:59+00', '2026-03-09 13:30+00', '2026-03-09 19:59:59+00',
                    '2026-03-09 20:00+00', '2026-03-10 03:00+00']::timestamptz[]) t
  LEFT JOIN LATERAL exchange.scheduled_session(:s, t) b ON true ORDER BY t;
-- and back to standard time on Sunday 2026-11-01
SELECT t AS at, b.boundary, b.is_open, b.session_day
  FROM unnest(ARRAY['2026-10-30 20:00+00', '2026-11-02 13:30+00', '2026-11-02 14:30+00']::timestamptz[]) t
  LEFT JOIN LATERAL exchange.scheduled_session(:s, t) b ON true ORDER BY t;
SELECT exchange.local_date(:s, '2026-03-10 03:00+00') AS new_york_date,
       ('2026-03-10 03:00+00'::timestamptz AT TIME ZONE 'UTC')::date AS utc_date;

-- a holiday has no session: the latest boundary is the day before's close
SELECT holiday, description FROM exchange.add_market_holiday('2026-03-10', 'test holiday', 'om_test');
SELECT holiday, description FROM exchange.add_market_holiday('2026-03-10', 'renamed', 'om_test');
SELECT b.* FROM exchange.scheduled_session(:s, '2026-03-10 15:00+00') b;
SELECT b.* FROM exchange.scheduled_session(:s, '2026-03-11 13:30+00') b;
SELECT boundary, is_open FROM exchange.schedule_boundaries(:s, '2026-03-09', '2026-03-12');
SELECT exchange.remove_market_holiday('2026-03-10', 'om_test') AS removed,
       exchange.remove_market_holiday('2026-03-10', 'om_test') AS removed_again;
SELECT b.* FROM exchange.scheduled_session(:s, '2026-03-10 15:00+00') b;
SELECT pg_temp.try($$SELECT exchange.add_market_holiday(NULL, stream => 'om_test')$$) AS null_holiday;
SELECT pg_temp.try($$SELECT exchange.add_market_holiday('2026-12-25', 'Christmas', 'nowhere')$$) AS unknown_stream;
SELECT pg_temp.try($$SELECT exchange.remove_market_holiday('2026-12-25', 'nowhere')$$) AS unknown_stream;

-- Mondays only, and the two Mondays of the last 14 days are holidays: no session
SELECT weekdays FROM exchange.set_market_schedule('America/New_York', '09:30', '16:00', '{1}', 'om_test');
SELECT b.* FROM exchange.scheduled_session(:s, '2026-03-25 12:00+00') b;
SELECT count(*) AS holidays FROM (
    SELECT exchange.add_market_holiday(d, 'closed', 'om_test') FROM unnest(ARRAY['2026-03-16', '2026-03-23']::date[]) d) x;
SELECT count(*) AS sessions_in_14_days FROM exchange.scheduled_session(:s, '2026-03-25 12:00+00');
SELECT exchange.set_market_schedule('America/New_York', '09:30', '16:00', stream => 'om_test') IS NOT NULL AS weekdays_again;

-- a stream without a schedule: no sessions, dates in UTC
SELECT stream AS s2 FROM exchange.take_over_stream('om_unscheduled') \gset
SELECT count(*) AS sessions FROM exchange.scheduled_session(:s2, now());
SELECT exchange.local_date(:s2, '2026-03-10 03:00+00') AS utc_date;

-- market_status: the journal's state, and the schedule's next open and close
SELECT is_open, trading_day, changed_at,
       (next_open AT TIME ZONE time_zone)::time AS next_open_local,
       (next_close AT TIME ZONE time_zone)::time AS next_close_local,
       next_open > now() AND next_close > now() AS both_ahead,
       extract(isodow FROM next_open AT TIME ZONE time_zone) BETWEEN 1 AND 5 AS on_a_weekday,
       time_zone
  FROM exchange.market_status('om_test');
SELECT * FROM exchange.market_status('om_unscheduled');
SELECT pg_temp.try($$SELECT * FROM exchange.market_status('nowhere')$$) AS unknown_stream;
SET ROLE regress_om_broker_b;
SELECT is_open, time_zone FROM exchange.market_status('om_test');
SELECT pg_temp.try(format('SELECT * FROM exchange.scheduled_session(%s, now())', :s)) AS broker_reads_sessions;
RESET ROLE;
