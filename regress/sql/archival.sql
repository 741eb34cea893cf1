-- Closing a trading day into the archive (archive_trading_day and the catalog
-- functions): refusals, verification against the sequencer, the move into
-- exchange_archive, read-only archived rows, sealed days, results that do not
-- change, and the export/drop/restore bookkeeping.  Days in 2031, which no
-- other test writes.
SET client_min_messages = warning;
SET timezone = 'UTC';
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_archival_dba') THEN
		CREATE ROLE regress_archival_dba IN ROLE exchange_dba;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_archival_compliance') THEN
		CREATE ROLE regress_archival_compliance IN ROLE exchange_compliance;
	END IF;
END $$;
SELECT stream AS s, epoch AS e FROM exchange.take_over_stream('archival_test') \gset

-- One order command and its events.
CREATE FUNCTION pg_temp.rest(s bigint, ts timestamptz, acct text, sd exchange.side, px bigint,
	qty bigint, tif exchange.time_in_force DEFAULT 'day', d date DEFAULT NULL)
RETURNS exchange.journal_record[] LANGUAGE sql AS $$
	SELECT ARRAY[
		exchange.make_record(s, 0, 'new_order', ts, d, symbol => 'ARC', account => acct,
			order_id => s, side => sd, order_type => 'limit', time_in_force => tif, price => px,
			quantity => qty),
		exchange.make_record(s, 1, 'accepted', ts, d, symbol => 'ARC', account => acct,
			order_id => s, side => sd, price => px, quantity => qty, remaining => qty,
			status => 'new')]
$$;

-- Day 1, 2031-03-03: listing, accounts, the open, a resting bid, a sell that
-- trades 40 of it, the close that expires the rest.
SELECT exchange.append_batch(:s, :e, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'add_symbol', '2031-03-03 13:00+00', symbol => 'ARC',
		detail => '{"tick_size": 0.01}'),
	exchange.make_record(1, 1, 'accepted', '2031-03-03 13:00+00', symbol => 'ARC'),
	exchange.make_record(2, 0, 'open_account', '2031-03-03 13:00+00', account => 'arc-1',
		detail => '{"broker": "postgres"}'),
	exchange.make_record(2, 1, 'accepted', '2031-03-03 13:00+00', account => 'arc-1'),
	exchange.make_record(3, 0, 'open_account', '2031-03-03 13:00+00', account => 'arc-2',
		detail => '{"broker": "postgres"}'),
	exchange.make_record(3, 1, 'accepted', '2031-03-03 13:00+00', account => 'arc-2'),
	exchange.make_record(4, 0, 'market_open', '2031-03-03 14:30+00'),
	exchange.make_record(4, 1, 'accepted', '2031-03-03 14:30+00', symbol => 'ARC', reason => 'open')]
	|| pg_temp.rest(5, '2031-03-03 14:31:05+00', 'arc-1', 'buy', 1000, 100)
	|| ARRAY[
	exchange.make_record(6, 0, 'new_order', '2031-03-03 14:32:10+00', symbol => 'ARC',
		account => 'arc-2', order_id => 6, side => 'sell', order_type => 'limit',
		time_in_force => 'ioc', price => 1000, quantity => 40),
	exchange.make_record(6, 1, 'trade', '2031-03-03 14:32:10+00', symbol => 'ARC',
		account => 'arc-2', order_id => 6, side => 'sell', price => 1000, quantity => 40,
		remaining => 0, status => 'filled', contra_order_id => 5, contra_account => 'arc-1',
		contra_remaining => 60),
	exchange.make_record(7, 0, 'market_close', '2031-03-03 21:00+00'),
	exchange.make_record(7, 1, 'expired', '2031-03-03 21:00+00', symbol => 'ARC',
		account => 'arc-1', order_id => 5, side => 'buy', price => 1000, quantity => 60,
		remaining => 0, status => 'expired', reason => 'day_expired'),
	exchange.make_record(7, 2, 'accepted', '2031-03-03 21:00+00', symbol => 'ARC',
		reason => 'closed')]));

-- Day 2, 2031-03-04: the open and a gtc ask that rests; the market stays open.
SELECT exchange.append_batch(:s, :e, 8, exchange.encode_batch(ARRAY[
	exchange.make_record(8, 0, 'market_open', '2031-03-04 14:30+00'),
	exchange.make_record(8, 1, 'accepted', '2031-03-04 14:30+00', symbol => 'ARC', reason => 'open')]
	|| pg_temp.rest(9, '2031-03-04 14:35+00', 'arc-2', 'sell', 1001, 10, 'gtc')));

-- Refusals: NULL, a day without a journal, the open day; nothing changes.
SET ROLE regress_archival_dba;
SELECT exchange.archive_trading_day(NULL);
SELECT exchange.archive_trading_day('2031-03-05');
SELECT exchange.archive_trading_day('2031-03-04');
-- compliance reads everything and archives nothing
SET ROLE regress_archival_compliance;
SELECT exchange.archive_trading_day('2031-03-03');
RESET ROLE;

-- What readers see before: executions, account commands, candles at 1 minute
-- (from candles_1m) and 1 second (from the journal), the rebuilt book, the
-- bytes matchd replays.
CREATE TEMP TABLE before_exec AS SELECT * FROM exchange.execution_log WHERE stream = :s;
CREATE TEMP TABLE before_log AS SELECT * FROM exchange.account_log WHERE stream = :s;
CREATE TEMP TABLE before_c1m AS SELECT * FROM exchange.candles('ARC', '1 minute');
CREATE TEMP TABLE before_c1s AS SELECT * FROM exchange.candles('ARC', '1 second');
CREATE TEMP TABLE before_book AS SELECT * FROM exchange.order_book_l3_at('ARC', 6::bigint);
CREATE TEMP TABLE before_batch AS SELECT exchange.read_batch(:s, 0, 1000) AS b;
SELECT exchange.journal_day_checksum('2031-03-03') AS journal_sum,
	   exchange.candles_day_checksum('2031-03-03') AS candles_sum \gset

-- Day 1 is closed: archive it.
SET ROLE regress_archival_dba;
SELECT trading_day, streams = ARRAY[:s] AS our_stream, first_seq, last_seq, commands, records,
	   journal_sha256 = :'journal_sum'::bytea AS journal_sum_kept,
	   candles_sha256 = :'candles_sum'::bytea AS candles_sum_kept, candle_rows,
	   journal_table, candles_table, archived_by = session_user AS by_me, export_file, dropped_at
  FROM exchange.archive_trading_day('2031-03-03');
RESET ROLE;

-- The partitions moved, with their indexes (the BRIN one too) and the
-- read-only trigger; the live parents no longer hold the day.
SELECT c.oid::regclass AS archived, p.inhparent::regclass AS parent
  FROM pg_class c JOIN pg_inherits p ON p.inhrelid = c.oid
 WHERE c.relname IN ('journal_20310303', 'candles_1m_20310303') ORDER BY 1;
SELECT i.indexrelid::regclass AS index, am.amname
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
 WHERE i.indrelid = 'exchange_archive.journal_20310303'::regclass ORDER BY 1::text;
SELECT count(*) AS live_rows_of_day FROM exchange.journal WHERE trading_day = '2031-03-03';
SELECT count(*) AS archived_rows_of_day FROM exchange_archive.journal WHERE trading_day = '2031-03-03';

-- Readers see the same as before, row for row and byte for byte.
SELECT count(*) AS exec_diff FROM ((TABLE before_exec EXCEPT ALL
	SELECT * FROM exchange.execution_log WHERE stream = :s) UNION ALL
	(SELECT * FROM exchange.execution_log WHERE stream = :s EXCEPT ALL TABLE before_exec)) d;
-- (json has no equality: rows compared as text)
SELECT count(*) AS log_diff FROM ((SELECT b::text FROM before_log b EXCEPT ALL
	SELECT l::text FROM exchange.account_log l WHERE stream = :s) UNION ALL
	(SELECT l::text FROM exchange.account_log l WHERE stream = :s EXCEPT ALL
	 SELECT b::text FROM before_log b)) d;
SELECT count(*) AS account_commands FROM before_log;
SELECT count(*) AS c1m_diff FROM ((TABLE before_c1m EXCEPT ALL
	SELECT * FROM exchange.candles('ARC', '1 minute')) UNION ALL
	(SELECT * FROM exchange.candles('ARC', '1 minute') EXCEPT ALL TABLE before_c1m)) d;
SELECT count(*) AS c1s_diff FROM ((TABLE before_c1s EXCEPT ALL
	SELECT * FROM exchange.candles('ARC', '1 second')) UNION ALL
	(SELECT * FROM exchange.candles('ARC', '1 second') EXCEPT ALL TABLE before_c1s)) d;
SELECT count(*) AS book_diff FROM ((TABLE before_book EXCEPT ALL
	SELECT * FROM exchange.order_book_l3_at('ARC', 6::bigint)) UNION ALL
	(SELECT * FROM exchange.order_book_l3_at('ARC', 6::bigint) EXCEPT ALL TABLE before_book)) d;
SELECT b = exchange.read_batch(:s, 0, 1000) AS same_replay_bytes FROM before_batch;
SELECT exchange.journal_day_checksum('2031-03-03') = :'journal_sum'::bytea AS same_checksum;
-- (1.8) the checksum is the SHA-256 of each record's stream, epoch and wire
-- encoding in key order, as computed here independently with encode_batch
-- (a batch of one record less its 12-byte header); the day records it as
-- version 2, and the JSON checksum of before 1.8 is another one
SELECT exchange.journal_day_checksum('2031-03-03') = sha256(string_agg(
		int4send(j.stream) || int8send(j.epoch) || substring(exchange.encode_batch(ARRAY[
			(j.seq, j.idx, j.trading_day, j.ts, j.kind, j.symbol, j.account, j.order_id, j.side,
			 j.order_type, j.time_in_force, j.price, j.quantity, j.remaining, j.status,
			 j.contra_order_id, j.contra_account, j.contra_remaining, j.amount, j.reason,
			 j.client_order_id, j.detail, j.post_only, j.expire_time)::exchange.journal_record]) FROM 13),
		''::bytea ORDER BY j.stream, j.seq, j.idx)) AS checksum_is_the_wire_encoding,
	   count(*) AS records
  FROM exchange.journal_history j WHERE j.trading_day = '2031-03-03';
SELECT checksum_version,
	   exchange.archived_journal_checksum(trading_day, checksum_version) = journal_sha256 AS verifies,
	   exchange.journal_day_checksum_v1(trading_day) <> journal_sha256 AS v1_differs,
	   exchange.archived_journal_checksum(trading_day, 1::smallint)
		   = exchange.journal_day_checksum_v1(trading_day) AS v1_by_version
  FROM exchange.archived_days WHERE trading_day = '2031-03-03';
-- an empty day: sha256 of nothing, as before
SELECT exchange.journal_day_checksum('1999-01-01') = sha256(''::bytea) AS empty_day;
SELECT count(*) AS trades, sum(quantity) AS shares FROM exchange.execution_log WHERE stream = :s;

-- Archived rows never change, whoever asks (the superuser here).
INSERT INTO exchange_archive.journal_20310303 SELECT * FROM exchange_archive.journal_20310303 LIMIT 1;
UPDATE exchange_archive.journal SET reason = 'x' WHERE trading_day = '2031-03-03';
DELETE FROM exchange_archive.journal_20310303;
TRUNCATE exchange_archive.journal_20310303;
DELETE FROM exchange_archive.candles_1m;
SELECT count(*) AS still_there FROM exchange_archive.journal_20310303;

-- The day is closed for good: no partition for it, no second archival.
SELECT exchange.journal_partition('2031-03-03');
SET ROLE regress_archival_dba;
SELECT exchange.archive_trading_day('2031-03-03');
RESET ROLE;

-- A day whose journal does not match the sequencer is not archived: a record
-- removed behind the sequencer's back (day 2031-03-10, another stream).
SELECT stream AS s2, epoch AS e2 FROM exchange.take_over_stream('archival_tampered') \gset
SELECT exchange.append_batch(:s2, :e2, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'market_open', '2031-03-10 14:30+00'),
	exchange.make_record(1, 1, 'accepted', '2031-03-10 14:30+00', reason => 'open'),
	exchange.make_record(2, 0, 'cancel_order', '2031-03-10 15:00+00', symbol => 'ARC',
		account => 'arc-1', order_id => 999),
	exchange.make_record(2, 1, 'rejected', '2031-03-10 15:00+00', symbol => 'ARC',
		account => 'arc-1', order_id => 999, reason => 'unknown_order'),
	exchange.make_record(3, 0, 'market_close', '2031-03-10 21:00+00'),
	exchange.make_record(3, 1, 'accepted', '2031-03-10 21:00+00', reason => 'closed')]));
DELETE FROM exchange.journal WHERE stream = :s2 AND seq = 2 AND idx = 1;
SET ROLE regress_archival_dba;
SELECT exchange.archive_trading_day('2031-03-10');
RESET ROLE;
SELECT to_regclass('exchange.journal_20310310') AS still_live,
	   (SELECT count(*) FROM exchange.archived_days WHERE trading_day = '2031-03-10') AS catalogued;

-- A day closed just now (no later day yet) is sealed by its archival: the
-- stream can no longer write it (day 2031-03-12, another stream).
SELECT stream AS s3, epoch AS e3 FROM exchange.take_over_stream('archival_sealed') \gset
SELECT exchange.append_batch(:s3, :e3, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'market_open', '2031-03-12 14:30+00'),
	exchange.make_record(1, 1, 'accepted', '2031-03-12 14:30+00', reason => 'open'),
	exchange.make_record(2, 0, 'market_close', '2031-03-12 21:00+00'),
	exchange.make_record(2, 1, 'accepted', '2031-03-12 21:00+00', reason => 'closed')]));
SET ROLE regress_archival_dba;
SELECT trading_day, commands, records FROM exchange.archive_trading_day('2031-03-12');
RESET ROLE;
SELECT exchange.append_batch(:s3, :e3, 3, exchange.encode_batch(ARRAY[
	exchange.make_record(3, 0, 'market_open', '2031-03-12 22:00+00')]));
SELECT last_trading_day FROM exchange.streams WHERE stream = :s3;

-- The export bookkeeping and the drop: a drop needs a verified export, then
-- an engine snapshot at or after the day's last seq.
SET ROLE regress_archival_dba;
SELECT exchange.drop_archived_day('2031-03-03');
SELECT exchange.record_archive_export('2031-03-03', '/backup/x.dump', 'not-hex', '\x00', '\x00');
\set VERBOSITY terse
SELECT exchange.record_archive_export('2031-03-03', '/backup/x.dump', repeat('a', 64), '\x00', '\x00');
\set VERBOSITY default
SELECT exchange.record_archive_export('2031-04-01', '/backup/x.dump', repeat('a', 64), '\x00', '\x00');
SELECT export_file, export_sha256 = repeat('a', 64) AS sha_kept, verified_at IS NOT NULL AS verified
  FROM exchange.record_archive_export('2031-03-03', '/backup/exchange-20310303.dump', repeat('a', 64),
	   :'journal_sum'::bytea, :'candles_sum'::bytea);
SELECT exchange.drop_archived_day('2031-03-03');
RESET ROLE;
-- matchd saves a snapshot after the close (seq 7); a later one serves too
SELECT exchange.save_snapshot(:s, :e, 8, '\x0102');
SET ROLE regress_archival_dba;
SELECT trading_day, dropped_at IS NOT NULL AS dropped, dropped_by = session_user AS by_me
  FROM exchange.drop_archived_day('2031-03-03');
SELECT exchange.drop_archived_day('2031-03-03');
SELECT exchange.restore_archived_day('2031-03-03');
RESET ROLE;
SELECT to_regclass('exchange_archive.journal_20310303') AS journal_table,
	   to_regclass('exchange_archive.candles_1m_20310303') AS candles_table;
-- the dropped day's rows are gone from every reader; the next day's remain
SELECT count(*) AS trades_left FROM exchange.execution_log WHERE stream = :s;
SELECT trading_day, count(*) FROM exchange.journal_history WHERE stream = :s GROUP BY 1 ORDER BY 1;

-- save_snapshot's own checks
SELECT exchange.save_snapshot(:s, :e - 1, 8, '\x01');
SELECT exchange.save_snapshot(:s, :e, 99, '\x01');
SELECT exchange.save_snapshot(:s, :e, 8, '\x0102');
SELECT exchange.save_snapshot(:s, :e, 8, '\x0103');
SELECT seq, trading_day, state_sha256 = sha256('\x0102') AS sha_ok FROM exchange.latest_snapshot(:s);
SELECT count(*) AS none_before FROM exchange.latest_snapshot(:s, 7);
