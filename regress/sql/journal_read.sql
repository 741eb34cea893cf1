-- Reading a stream back: in order, in batches, byte for byte.
SET timezone = 'UTC';

SELECT stream AS s FROM exchange.take_over_stream('read_test') \gset

-- 500 commands with 0..3 events each, varied fields, in batches of 100.
CREATE TEMP TABLE src AS
SELECT exchange.make_record(
           g, e, CASE WHEN e = 0 THEN (ARRAY['new_order','cancel_order','amend_order'])[1 + g % 3]
                      ELSE (ARRAY['accepted','trade','canceled'])[e] END::exchange.event_kind,
           '2026-11-23 14:30:00+00'::timestamptz + g * interval '1.5 ms',
           symbol => (ARRAY['AAPL','MSFT','BRK.B'])[1 + g % 3],
           account => CASE WHEN g % 5 = 0 THEN NULL ELSE 'acct-' || (g % 11) END,
           order_id => g * 10 + e,
           side => (ARRAY['buy','sell'])[1 + g % 2]::exchange.side,
           price => CASE WHEN g % 4 = 0 THEN NULL ELSE 10000 + (g % 37) - 18 END,
           quantity => 100 * (1 + g % 9),
           remaining => CASE WHEN e > 0 THEN g % 100 END,
           status => CASE WHEN e > 0 THEN 'new' END::exchange.order_status,
           reason => CASE WHEN e = 3 THEN 'self_trade' END,
           client_order_id => CASE WHEN g % 7 = 0 THEN 'cl-' || g END) AS r, g, e
  FROM generate_series(1, 500) g, generate_series(0, 3) e
 WHERE e <= g % 4;

DO $$
DECLARE
    s int := (SELECT stream FROM exchange.streams WHERE name = 'read_test');
    first bigint;
BEGIN
    FOR first IN SELECT generate_series(1, 500, 100) LOOP
        PERFORM exchange.append_batch(s, 1, first,
            (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src
              WHERE g BETWEEN first AND first + 99));
    END LOOP;
END $$;

SELECT count(*) AS records, count(DISTINCT seq) AS commands FROM exchange.journal WHERE stream = :s;

-- read_stream returns the next n commands whole, in (seq, idx) order
SELECT min(seq), max(seq), count(*) FROM exchange.read_stream(:s, 0, 10);
SELECT min(seq), max(seq), count(*) FROM exchange.read_stream(:s, 495, 1000);
SELECT count(*) AS past_the_end FROM exchange.read_stream(:s, 500, 10);
SELECT bool_and(ok) AS ordered FROM (
    SELECT (seq, idx) > (lag(seq) OVER w, lag(idx) OVER w) OR lag(seq) OVER w IS NULL AS ok
      FROM exchange.read_stream(:s, 0, 1000) WINDOW w AS ()) x;

-- read_batch gives back exactly the bytes that were appended, whatever the window
SELECT exchange.read_batch(:s, 0, 100) =
       (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src WHERE g BETWEEN 1 AND 100)
       AS first_batch_identical;
SELECT exchange.read_batch(:s, 0, 500) =
       (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src) AS whole_stream_identical;
SELECT exchange.read_batch(:s, 137, 211) =
       (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src WHERE g BETWEEN 138 AND 348)
       AS window_identical;
SELECT length(exchange.read_batch(:s, 500, 10)) AS empty_read_is_a_header;

-- tailing in steps of 64 visits every record exactly once
WITH RECURSIVE tail(after, n) AS (
    SELECT 0::bigint, 0::bigint
    UNION ALL
    SELECT after + 64, (SELECT count(*) FROM exchange.read_stream(:s, after, 64))
      FROM tail WHERE after < 500
)
SELECT sum(n) AS records_seen FROM tail;

-- one batch of 3,000 commands over two trading days (two partitions, several
-- insert groups each) reads back byte for byte
SELECT stream AS s2 FROM exchange.take_over_stream('read_test_days') \gset
CREATE TEMP TABLE src2 AS
SELECT exchange.make_record(g, e, CASE WHEN e = 0 THEN 'new_order' ELSE 'accepted' END::exchange.event_kind,
           CASE WHEN g <= 1500 THEN '2026-11-23 15:00+00'::timestamptz ELSE '2026-11-24 15:00+00' END
               + g * interval '1 ms',
           symbol => 'MSFT', account => 'acct-' || (g % 13), order_id => g,
           side => 'sell', price => 30000 + g % 17, quantity => g) AS r, g, e
  FROM generate_series(1, 3000) g, generate_series(0, 1) e;
SELECT exchange.append_batch(:s2, 1, 1, (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src2)) AS last_seq;
SELECT trading_day, count(*) FROM exchange.journal WHERE stream = :s2 GROUP BY 1 ORDER BY 1;
SELECT exchange.read_batch(:s2, 0, 3000) = (SELECT exchange.encode_batch(array_agg(r ORDER BY g, e)) FROM src2)
       AS two_day_batch_identical;
SELECT count(*) AS found_by_order_id FROM exchange.journal WHERE stream = :s2 AND order_id = 2999;
