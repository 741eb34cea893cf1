-- Types of the ledger and the journal batch codec (encode_batch / batch_rows).
SET timezone = 'UTC';

SELECT enum_range(NULL::exchange.side) AS sides,
       enum_range(NULL::exchange.order_type) AS order_types,
       enum_range(NULL::exchange.time_in_force) AS tifs;
SELECT enum_range(NULL::exchange.order_status) AS statuses;
SELECT enum_range(NULL::exchange.event_kind) AS kinds;
SELECT enum_range(NULL::exchange.kyc_status) AS kyc;

-- Every kind, side, type, tif and status survives encode -> decode.
WITH recs AS (
    SELECT exchange.make_record(
               seq => 1, idx => 0, kind => 'new_order',
               ts => '2026-11-23 14:30:00.123456+00',
               symbol => 'AAPL', account => 'acct-1', order_id => 42,
               side => 'sell', order_type => 'market', time_in_force => 'fok',
               price => NULL, quantity => 300, client_order_id => 'c-1') AS r
    UNION ALL
    SELECT exchange.make_record(1, 1, 'trade', '2026-11-23 14:30:00.123456+00',
               symbol => 'AAPL', account => 'acct-1', order_id => 42, side => 'sell',
               price => 10125, quantity => 100, remaining => 200,
               status => 'partially_filled', contra_order_id => 7,
               contra_account => 'acct-2', contra_remaining => 0, amount => -3)
    UNION ALL
    SELECT exchange.make_record(1, 2, 'canceled', '2026-11-23 14:30:00.123456+00',
               order_id => 42, quantity => 200, remaining => 0, status => 'canceled',
               reason => 'fok_unfillable', detail => '{"b": [1, 2], "a": "é"}')
)
SELECT (b).* FROM (
    SELECT exchange.batch_rows(exchange.encode_batch(array_agg(r)), 9, 77) AS b FROM recs
) s;

-- The encoding is canonical: equal records give equal bytes, and the header
-- and a record have the documented sizes.
SELECT length(exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'market_open')])) AS one_empty_record,
       substr(exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'market_open')]), 1, 12) AS header;
SELECT exchange.encode_batch(ARRAY[exchange.make_record(5, 0, 'halt', symbol => 'X')])
     = exchange.encode_batch(ARRAY[exchange.make_record(5, 0, 'halt', symbol => 'X')]) AS deterministic;
-- empty string and NULL are different values on the wire
SELECT exchange.encode_batch(ARRAY[exchange.make_record(5, 0, 'halt', symbol => '')])
    <> exchange.encode_batch(ARRAY[exchange.make_record(5, 0, 'halt', symbol => NULL)]) AS empty_is_not_null;
SELECT (b).symbol IS NULL AS null_symbol, (b).reason = '' AS empty_reason
  FROM (SELECT exchange.batch_rows(exchange.encode_batch(ARRAY[
           exchange.make_record(5, 0, 'halt', reason => '')]), 1, 1) AS b) s;

-- 1.8: a new order's options are typed columns, derived from its detail
-- (expire_time: microseconds since 2000-01-01 UTC; 848766600000000 is
-- 2026-11-23 16:30 UTC); other kinds and options absent leave them NULL
SELECT (b).kind, (b).post_only, (b).expire_time
  FROM (SELECT exchange.batch_rows(exchange.encode_batch(ARRAY[
           exchange.make_record(6, 0, 'new_order', detail => '{"role": "r", "post_only": true, "expire_time": 848766600000000}'),
           exchange.make_record(7, 0, 'new_order', detail => '{"role": "r", "post_only": false}'),
           exchange.make_record(8, 0, 'halt', detail => '{"post_only": true, "expire_time": 1}'),
           exchange.make_record(9, 0, 'new_order', detail => '{"post_only": "yes", "expire_time": 1.5}')]), 1, 1) AS b) s;

-- batch_summary reports the seq range, counts and whether reference data changes.
SELECT * FROM exchange.batch_summary(exchange.encode_batch(ARRAY[
    exchange.make_record(10, 0, 'new_order', '2026-11-23 10:00+00'),
    exchange.make_record(10, 1, 'accepted', '2026-11-23 10:00+00'),
    exchange.make_record(11, 0, 'add_symbol', '2026-11-23 10:01+00'),
    exchange.make_record(11, 1, 'rejected', '2026-11-23 10:01+00'),
    exchange.make_record(12, 0, 'cancel_order', '2026-11-24 09:00+00')]));

-- encode_batch refuses what it cannot encode
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.try($$SELECT exchange.encode_batch(ARRAY[NULL::exchange.journal_record])$$);
SELECT pg_temp.try($$SELECT exchange.encode_batch(ARRAY[ROW(1, 0, '2026-01-01', now(), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::exchange.journal_record])$$);
SELECT pg_temp.try($$SELECT exchange.encode_batch(ARRAY[exchange.make_record(NULL, 0, 'halt')])$$);
SELECT pg_temp.try($$SELECT exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'halt', detail => to_json(repeat('x', 70000)))])$$);
