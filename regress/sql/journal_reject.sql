-- Every rejected append leaves the journal, the sequencer and the day counts
-- exactly as they were, and says why with its own SQLSTATE.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- A fingerprint of everything an append may touch.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(j::text, ',' ORDER BY stream, seq, idx) FROM exchange.journal j),
        (SELECT string_agg(concat_ws(':', stream, epoch, last_seq, last_trading_day, last_ts, records), ',' ORDER BY stream) FROM exchange.streams),
        (SELECT string_agg(d::text, ',' ORDER BY stream, trading_day) FROM exchange.journal_days d),
        (SELECT string_agg(s::text, ',' ORDER BY symbol) FROM exchange.symbols s)))
$$;

CREATE FUNCTION pg_temp.cmd(seq bigint, kind exchange.event_kind DEFAULT 'market_open',
                            ts timestamptz DEFAULT '2026-11-23 14:30:00+00')
RETURNS exchange.journal_record LANGUAGE sql AS $$
    SELECT exchange.make_record(seq, 0, kind, ts)
$$;

SELECT stream AS s FROM exchange.take_over_stream('reject_test') \gset
SELECT exchange.take_over_stream('reject_test') IS NOT NULL AS epoch_2;
SELECT exchange.append_batch(:s, 2, 1, exchange.encode_batch(ARRAY[pg_temp.cmd(1), pg_temp.cmd(2)]));
SELECT pg_temp.state() AS before \gset

-- fencing and sequencing
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 1, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3)]))) AS stale_epoch;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 3, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3)]))) AS future_epoch;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 5, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(5)]))) AS gap;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 2, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(2), pg_temp.cmd(3)]))) AS duplicate;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 1, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(1)]))) AS duplicate_from_start;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 1, 1, %L)', 424242,
    exchange.encode_batch(ARRAY[pg_temp.cmd(1)]))) AS unknown_stream;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, NULL)', :s)) AS null_batch;
-- the call's first seq must be the batch's
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(4)]))) AS first_seq_mismatch;
-- a stream never goes back to an earlier trading day
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3, ts => '2026-11-22 14:30:00+00')]))) AS earlier_day;

-- malformed batches: structure
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s, '\x'::bytea)) AS empty_bytes;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    '\x504a583101000000'::bytea)) AS short_header;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    '\x00000000010000000100000000'::bytea)) AS bad_magic;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    '\x504a58310200000001000000'::bytea)) AS bad_version;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch('{}'))) AS zero_records;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    substr(exchange.encode_batch(ARRAY[pg_temp.cmd(3)]), 1, 40))) AS truncated;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3)]) || '\x00'::bytea)) AS trailing_byte;
-- a header announcing two records with one present
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(3)]) placing '\x02'::bytea from 9 for 1))) AS count_too_high;
-- kind 0 and kind 99 are no kinds
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(3)]) placing '\x63'::bytea from 15 for 1))) AS bad_kind;
-- a NULL integer field (present bit clear) that carries a value
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(3)]) placing '\x01'::bytea from 45 for 1))) AS non_canonical;

-- malformed batches: sequencing inside the batch
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3), pg_temp.cmd(5)]))) AS inner_gap;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3), pg_temp.cmd(3)]))) AS inner_duplicate;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[exchange.make_record(3, 0, 'accepted', '2026-11-23 14:30:00+00')]))) AS event_at_idx_0;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3), exchange.make_record(3, 1, 'halt', '2026-11-23 14:30:00+00')]))) AS command_at_idx_1;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3), exchange.make_record(3, 2, 'accepted', '2026-11-23 14:30:00+00')]))) AS idx_gap;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[exchange.make_record(3, 1, 'accepted', '2026-11-23 14:30:00+00')]))) AS starts_with_event;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3), exchange.make_record(3, 1, 'accepted', '2026-11-23 14:30:01+00')]))) AS event_with_other_ts;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 2, 3, %L)', :s,
    exchange.encode_batch(ARRAY[pg_temp.cmd(3, ts => '2026-11-24 10:00+00'), pg_temp.cmd(4, ts => '2026-11-23 10:00+00')]))) AS day_backwards;

SELECT pg_temp.state() = :'before' AS unchanged_after_every_rejection;

-- malformed contents: text must be valid UTF-8 (no NUL), detail valid JSON;
-- a batch whose only fault is one byte of its last record writes nothing.
SELECT stream AS s2 FROM exchange.take_over_stream('reject_test_2') \gset
SELECT pg_temp.state() AS before2 \gset
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 1, 1, %L)', :s2,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', symbol => 'ABC')])
            placing '\xff'::bytea from position('\x414243'::bytea in exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', symbol => 'ABC')])) for 1))) AS invalid_utf8;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 1, 1, %L)', :s2,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', symbol => 'ABC')])
            placing '\x00'::bytea from position('\x414243'::bytea in exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', symbol => 'ABC')])) for 1))) AS nul_byte;
SELECT pg_temp.try(format('SELECT exchange.append_batch(%s, 1, 1, %L)', :s2,
    overlay(exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', detail => '{"a":1}')])
            placing '\x7b'::bytea from position('\x7d'::bytea in exchange.encode_batch(ARRAY[pg_temp.cmd(1), exchange.make_record(2, 0, 'halt', '2026-11-23 14:30:00+00', detail => '{"a":1}')])) for 1))) AS invalid_json;
SELECT pg_temp.state() = :'before2' AS unchanged_after_bad_contents;
