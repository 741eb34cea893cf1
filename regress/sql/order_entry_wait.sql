-- Waiting for matchd, without matchd: a listener that accepts and never answers
-- (a hung matchd, regress/sql/socket_helper.pl, which records the requests it
-- gets), a socket file nobody listens on (a crashed matchd), and a peer that
-- closes without answering (the postmaster's own socket).  Checks what each
-- failure reports, that a wait is interruptible, that the connection is
-- dropped after every unanswered request, and what the requests hold.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- accounts and symbols for the requests (order_entry.sql made the roles)
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('order_entry_wait') \gset
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'OEW',
        detail => '{"tick_size": 0.01}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'OEW'),
    exchange.make_record(2, 0, 'open_account', '2026-11-23 13:00+00', account => 'oew-a1',
        detail => '{"broker": "regress_oe_broker_a"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', account => 'oew-a1'),
    exchange.make_record(3, 0, 'new_order', '2026-11-23 14:00+00', symbol => 'OEW',
        account => 'oew-a1', order_id => 3, side => 'buy', order_type => 'limit',
        time_in_force => 'gtc', price => 1000, quantity => 5),
    exchange.make_record(3, 1, 'accepted', '2026-11-23 14:00+00', symbol => 'OEW',
        account => 'oew-a1', order_id => 3, side => 'buy', price => 1000, quantity => 5,
        remaining => 5, status => 'new')]));

-- ---- a crashed matchd: its socket file is left, nobody listens -------------------
\set stale `perl regress/sql/socket_helper.pl stale`
SET exchange.matchd_socket = :'stale';
SELECT regexp_replace(pg_temp.try($$SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'buy', 5, 10.00)$$),
                      '"[^"]*"', '"<socket>"') AS refused;

-- ---- a peer that closes without answering: PX041 ------------------------------------
SELECT format('%s/.s.PGSQL.%s', split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port')) AS pm_socket \gset
SET exchange.matchd_socket = :'pm_socket';
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'buy', 5, 10.00)$$) AS closed_without_answer;

-- ---- a hung matchd ------------------------------------------------------------------
\set sock `perl regress/sql/socket_helper.pl silent`
SELECT :'sock' || '.log' AS sock_log \gset
SET exchange.matchd_socket = :'sock';

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

-- no answer within exchange.matchd_timeout: PX041, whatever the command
SET exchange.matchd_timeout = 150;
SELECT clock_timestamp() AS t0 \gset
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'buy', 5, NULL, 'market')$$) AS no_answer;
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '150 ms' AND interval '3 s' AS waited_the_timeout;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'sell', 7, 10.01, 'limit', 'gtc', 'my-id-7')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.cancel_order('oew-a1', 3)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oew-a1', 3, 4, 9.99)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.amend_order('oew-a1', 3, 6)$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.add_symbol('OEW.Q', 0.05, 100, 'EUR', 12.55, E'Q "quoted" \\ back\tslash é')$$) AS no_answer;
SELECT pg_temp.try($$SELECT * FROM exchange.open_account('oew-a2', 'regress_oe_broker_a')$$) AS no_answer;
-- the role matchd receives is the caller's (SET ROLE counts), not an argument
SET ROLE regress_oe_desk_a;
SELECT pg_temp.try($$SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'buy', 5, 10.00)$$) AS no_answer;
RESET ROLE;

-- statement_timeout (a query cancel) interrupts the wait at once
SET exchange.matchd_timeout = '1min';
SET statement_timeout = '200ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM exchange.submit_order('oew-a1', 'OEW', 'buy', 5, 10.00);
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS interrupted_quickly;
RESET exchange.matchd_timeout;

-- every unanswered request closed its connection (a late answer can never be
-- read as the next request's), and each call connected afresh
SELECT count(*) FILTER (WHERE l LIKE 'accept %') AS connections,
       count(*) FILTER (WHERE l LIKE 'request %') AS requests,
       count(*) FILTER (WHERE l LIKE 'eof %') AS closed
  FROM pg_temp.listener_log(:'sock_log', 9) l;

-- what matchd would have received: frame header, role, and the record
CREATE TEMP TABLE frames AS
SELECT row_number() OVER () AS n, decode(split_part(l, ' ', 3), 'hex') AS frame
  FROM pg_temp.listener_log(:'sock_log', 9) l WHERE l LIKE 'request %';
CREATE FUNCTION pg_temp.u64(b bytea, off int) RETURNS numeric LANGUAGE sql AS $$
    SELECT sum(get_byte(b, off + i)::numeric * 256::numeric ^ i) FROM generate_series(0, 7) i
$$;
-- a request record, as a one-record batch (seq 1 so that the batch decoder accepts it)
CREATE FUNCTION pg_temp.as_batch(frame bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT '\x504a58310100000001000000'::bytea
           || overlay(substring(frame from 19 + get_byte(frame, 16) + 256 * get_byte(frame, 17))
                      placing '\x0100000000000000'::bytea from 9 for 8)
$$;
SELECT n, get_byte(frame, 0) + 256 * get_byte(frame, 1) = length(frame) AS length_ok,
       get_byte(frame, 4) AS type, get_byte(frame, 6) + get_byte(frame, 7) AS flags,
       (pg_temp.u64(frame, 8) - min(pg_temp.u64(frame, 8)) OVER ())::bigint AS request_id_step,
       replace(convert_from(substring(frame from 19 for get_byte(frame, 16)), 'UTF8'),
               current_user, '<current_user>') AS role
  FROM frames ORDER BY n;
SELECT f.n, r.seq, r.idx, r.trading_day, r.ts, r.kind, r.symbol, r.account, r.order_id,
       r.side, r.order_type, r.time_in_force, r.price, r.quantity, r.client_order_id
  FROM frames f, exchange.batch_rows(pg_temp.as_batch(f.frame), 0, 0) r ORDER BY f.n;
SELECT f.n, r.kind, r.detail
  FROM frames f, exchange.batch_rows(pg_temp.as_batch(f.frame), 0, 0) r
 WHERE r.detail IS NOT NULL ORDER BY f.n;

-- project_reference_data reads the add_symbol detail back exactly
SELECT exchange.append_batch(:s, :e, 4, exchange.encode_batch(ARRAY[
    exchange.make_record(4, 0, 'add_symbol', '2026-11-23 15:00+00', symbol => r.symbol, detail => r.detail),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 15:00+00', symbol => r.symbol)]))
  FROM frames f, exchange.batch_rows(pg_temp.as_batch(f.frame), 0, 0) r WHERE r.kind = 'add_symbol';
SELECT symbol, tick_size, lot_size, currency, reference_price,
       description = E'Q "quoted" \\ back\tslash é' AS description_exact
  FROM exchange.symbols WHERE symbol = 'OEW.Q';

RESET exchange.matchd_socket;
