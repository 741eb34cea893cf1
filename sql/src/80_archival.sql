-- sql/src/80_archival.sql: closing a trading day into the archive: the
-- archive catalog, the day's checksums, archive_trading_day and what the DBA's
-- export does after it (scripts/archive-day.sh).  See docs/runbook.md.

------------------------------------------------------------------------------
-- The archive catalog: what archive_trading_day did, and what the DBA's
-- export (scripts/archive-day.sh) did after it.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.archived_days (
	trading_day		date PRIMARY KEY,
	streams			int[] NOT NULL,
	first_seq		bigint[] NOT NULL,
	last_seq		bigint[] NOT NULL,
	commands		bigint NOT NULL,
	records			bigint NOT NULL,
	journal_sha256	bytea NOT NULL,
	candle_rows		bigint NOT NULL,
	candles_sha256	bytea NOT NULL,
	journal_table	text NOT NULL,
	candles_table	text NOT NULL,
	archived_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	archived_by		name NOT NULL,
	export_file		text,
	export_sha256	text CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
	exported_at		timestamptz,
	verified_at		timestamptz,
	dropped_at		timestamptz,
	dropped_by		name,
	restored_at		timestamptz,
	checksum_version	smallint NOT NULL DEFAULT 2 CHECK (checksum_version IN (1, 2)),
	CHECK (cardinality(streams) = cardinality(first_seq) AND cardinality(streams) = cardinality(last_seq)),
	CHECK (dropped_at IS NULL OR verified_at IS NOT NULL)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.archived_days', '');
COMMENT ON TABLE @extschema@.archived_days IS
	'The archive catalog: one row per trading day moved to exchange_archive by archive_trading_day(), with the verified counts and checksums of its journal and candles, and what scripts/archive-day.sh did later (export, verification by restore, drop, restore).';
COMMENT ON COLUMN @extschema@.archived_days.trading_day IS 'The trading day archived.';
COMMENT ON COLUMN @extschema@.archived_days.streams IS 'Streams with records on that day (journal_days), in order.';
COMMENT ON COLUMN @extschema@.archived_days.first_seq IS 'First seq of the day of each stream (same order as streams).';
COMMENT ON COLUMN @extschema@.archived_days.last_seq IS 'Last seq of the day of each stream.';
COMMENT ON COLUMN @extschema@.archived_days.commands IS 'Commands (idx 0) of the day, all streams; equal to the sequencer''s journal_days.';
COMMENT ON COLUMN @extschema@.archived_days.records IS 'All records of the day, all streams; equal to journal_days.';
COMMENT ON COLUMN @extschema@.archived_days.journal_sha256 IS 'journal_day_checksum() of the day when it was archived (journal_day_checksum_v1() when checksum_version is 1).';
COMMENT ON COLUMN @extschema@.archived_days.checksum_version IS 'Which checksum journal_sha256 is: 2 journal_day_checksum() over the wire encoding (1.8), 1 journal_day_checksum_v1() over each row''s JSON (days archived by 1.5 to 1.7).';
COMMENT ON COLUMN @extschema@.archived_days.candle_rows IS 'Rows of the day''s candles_1m partition.';
COMMENT ON COLUMN @extschema@.archived_days.candles_sha256 IS 'candles_day_checksum() of the day when it was archived.';
COMMENT ON COLUMN @extschema@.archived_days.journal_table IS 'The archived journal partition (exchange_archive.journal_YYYYMMDD).';
COMMENT ON COLUMN @extschema@.archived_days.candles_table IS 'The archived candles partition (exchange_archive.candles_1m_YYYYMMDD).';
COMMENT ON COLUMN @extschema@.archived_days.archived_at IS 'When archive_trading_day() ran.';
COMMENT ON COLUMN @extschema@.archived_days.archived_by IS 'Session user that ran it.';
COMMENT ON COLUMN @extschema@.archived_days.export_file IS 'The pg_dump (custom format) file the DBA script wrote.';
COMMENT ON COLUMN @extschema@.archived_days.export_sha256 IS 'SHA-256 of that file (hex).';
COMMENT ON COLUMN @extschema@.archived_days.exported_at IS 'When the export was recorded.';
COMMENT ON COLUMN @extschema@.archived_days.verified_at IS 'When the export was restored into a scratch database and its counts and checksums matched this arch.';
COMMENT ON COLUMN @extschema@.archived_days.dropped_at IS 'When drop_archived_day() removed the day from the cluster (NULL: still here).';
COMMENT ON COLUMN @extschema@.archived_days.dropped_by IS 'Session user that dropped it.';
COMMENT ON COLUMN @extschema@.archived_days.restored_at IS 'When a dropped day was last restored from its export and verified (restore_archived_day()).';
COMMENT ON INDEX @extschema@.archived_days_pkey IS 'A trading day is archived once.';

------------------------------------------------------------------------------
-- Checksums of a day.  The journal's (1.8, C): one SHA-256 streamed over each
-- record's stream, epoch and wire encoding (include/exchange_wire.h) in
-- (stream, seq, idx) order; no text is rendered, so the same rows give the
-- same bytes in any session and any database (the restore check of the DBA
-- script computes it in a scratch database).  Days archived before 1.8 carry
-- the JSON checksum of journal_day_checksum_v1 (archived_days.checksum_version
-- 1).  The candles' (few rows a day): SHA-256 over the SHA-256 of each row's
-- JSON, in key order, rendered with the time zone pinned to UTC.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.journal_day_checksum(p_day date)
RETURNS bytea
AS 'MODULE_PATHNAME', 'exchange_journal_day_checksum'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.journal_day_checksum(date) IS
	'SHA-256 of a trading day''s journal, live or archived, streamed in C over each record in (stream, seq, idx) order: its stream (4 bytes) and epoch (8 bytes) big-endian, then its wire encoding (include/exchange_wire.h: every other column, strings and JSON detail byte for byte).  Equal days give equal checksums in any database; an empty day gives sha256('''').  Days archived before 1.8 carry journal_day_checksum_v1 (archived_days.checksum_version).';

CREATE FUNCTION @extschema@.journal_day_checksum_v1(p_day date)
RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
	SELECT sha256(coalesce(string_agg(sha256(convert_to(row_to_json(r)::text, 'UTF8')), ''::bytea
									  ORDER BY r.stream, r.seq, r.idx), ''::bytea))
	  FROM (SELECT j.stream, j.seq, j.idx, j.epoch, j.trading_day, j.ts, j.kind, j.symbol,
				   j.account, j.order_id, j.side, j.order_type, j.time_in_force, j.price,
				   j.quantity, j.remaining, j.status, j.contra_order_id, j.contra_account,
				   j.contra_remaining, j.amount, j.reason, j.client_order_id, j.detail
			  FROM @extschema@.journal_history j
			 WHERE j.trading_day = p_day) r
$$;
COMMENT ON FUNCTION @extschema@.journal_day_checksum_v1(date) IS
	'The journal checksum of 1.5 to 1.7, for the days they archived (archived_days.checksum_version 1): sha256 of the concatenated sha256 of each record''s JSON (all columns, time zone UTC), in (stream, seq, idx) order.';

-- The checksum an archived day was recorded with, of the rows there now.
CREATE FUNCTION @extschema@.archived_journal_checksum(p_day date, p_version smallint)
RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE p_version WHEN 1 THEN @extschema@.journal_day_checksum_v1(p_day)
						  ELSE @extschema@.journal_day_checksum(p_day) END
$$;
COMMENT ON FUNCTION @extschema@.archived_journal_checksum(date, smallint) IS
	'The journal checksum of a day as archived_days.checksum_version p_version computes it: journal_day_checksum_v1 for 1, journal_day_checksum for 2.';

CREATE FUNCTION @extschema@.candles_day_checksum(p_day date)
RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
	SELECT sha256(coalesce(string_agg(sha256(convert_to(row_to_json(r)::text, 'UTF8')), ''::bytea
									  ORDER BY r.stream, r.symbol, r.bucket), ''::bytea))
	  FROM (SELECT c.stream, c.symbol, c.bucket, c.trading_day, c.candle, c.updated_seq
			  FROM @extschema@.candles_1m_history c
			 WHERE c.trading_day = p_day) r
$$;
COMMENT ON FUNCTION @extschema@.candles_day_checksum(date) IS
	'SHA-256 of a trading day''s 1-minute candles, live or archived, computed like journal_day_checksum in (stream, symbol, bucket) order.';

------------------------------------------------------------------------------
-- Closing a trading day into the archive.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.archive_trading_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	suffix	text := pg_catalog.to_char(p_day, 'YYYYMMDD');
	jpart	text := 'journal_' || suffix;
	cpart	text := 'candles_1m_' || suffix;
	st		record;
	v		record;
	arch		@extschema@.archived_days;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'archive_trading_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.archived_days a WHERE a.trading_day = p_day) THEN
		RAISE EXCEPTION 'trading day % is already archived', p_day USING ERRCODE = 'PX082';
	END IF;
	IF pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', jpart)) IS NULL
	   OR NOT EXISTS (SELECT 1 FROM @extschema@.journal_days d WHERE d.trading_day = p_day) THEN
		RAISE EXCEPTION 'there is no journal of trading day %', p_day USING ERRCODE = 'PX084';
	END IF;

	-- The day's writers wait until the day is archived (appends lock their
	-- stream's row first), so nothing is added to it while it is verified.
	PERFORM 1 FROM @extschema@.streams s
	  WHERE s.stream IN (SELECT d.stream FROM @extschema@.journal_days d WHERE d.trading_day = p_day)
	  ORDER BY s.stream FOR UPDATE;

	-- Closed: no open session of that day or before, and either an accepted
	-- close on the day (matchd stamps what follows with the next day) or a
	-- later day already begun (append_batch refuses earlier days: PX006).
	FOR st IN
		SELECT s.stream, s.name, s.last_trading_day, ms.is_open, ms.trading_day AS session_day,
			   -- a close not rejected (as project_reference_data counts it)
			   EXISTS (SELECT 1 FROM @extschema@.journal c
						WHERE c.stream = s.stream AND c.trading_day = p_day AND c.idx = 0
						  AND c.kind = 'market_close' AND c.symbol IS NULL
						  AND NOT EXISTS (SELECT 1 FROM @extschema@.journal ev
										   WHERE ev.stream = c.stream AND ev.seq = c.seq
											 AND ev.trading_day = c.trading_day AND ev.idx > 0
											 AND ev.kind = 'rejected')) AS closed_on_day
		  FROM @extschema@.journal_days d
		  JOIN @extschema@.streams s ON s.stream = d.stream
		  LEFT JOIN @extschema@.market_state ms ON ms.stream = d.stream
		 WHERE d.trading_day = p_day
		 ORDER BY s.stream
	LOOP
		IF st.is_open AND st.session_day <= p_day THEN
			RAISE EXCEPTION 'trading day % is open in stream "%"', p_day, st.name
				USING ERRCODE = 'PX080', HINT = 'Archive a day after its close (exchange.close_market()).';
		END IF;
		IF NOT (st.last_trading_day > p_day OR st.closed_on_day) THEN
			RAISE EXCEPTION 'trading day % of stream "%" is not closed', p_day, st.name
				USING ERRCODE = 'PX080',
					  DETAIL = 'It has no accepted market_close and no later trading day has begun, so matchd may still journal commands on it.';
		END IF;
	END LOOP;

	-- Gapless, and as counted by the sequencer: every seq of the day's range
	-- once, with idx 0 .. n-1, following the stream's previous day.
	FOR v IN
		WITH per_seq AS (
			SELECT j.stream, j.seq, count(*) AS n, min(j.idx) AS lo, max(j.idx) AS hi,
				   count(*) FILTER (WHERE j.idx = 0) AS cmds
			  FROM @extschema@.journal j
			 WHERE j.trading_day = p_day
			 GROUP BY j.stream, j.seq
		), per_stream AS (
			SELECT p.stream, min(p.seq) AS first_seq, max(p.seq) AS last_seq, count(*) AS seqs,
				   sum(p.cmds) AS commands, sum(p.n) AS records,
				   bool_and(p.lo = 0 AND p.hi = p.n - 1 AND p.cmds = 1) AS idx_ok
			  FROM per_seq p
			 GROUP BY p.stream
		), expected AS (
			SELECT d.*, (SELECT max(e.last_seq) FROM @extschema@.journal_days e
						  WHERE e.stream = d.stream AND e.trading_day < p_day) AS previous_last
			  FROM @extschema@.journal_days d
			 WHERE d.trading_day = p_day
		)
		SELECT coalesce(e.stream, a.stream) AS stream, e.first_seq AS e_first, e.last_seq AS e_last,
			   e.commands AS e_commands, e.records AS e_records, e.previous_last,
			   a.first_seq AS a_first, a.last_seq AS a_last, a.seqs, a.commands AS a_commands,
			   a.records AS a_records, a.idx_ok
		  FROM expected e FULL JOIN per_stream a ON a.stream = e.stream
		 ORDER BY 1
	LOOP
		IF v.e_first IS NULL OR v.a_first IS NULL
		   OR v.a_first <> v.e_first OR v.a_last <> v.e_last
		   OR v.a_commands <> v.e_commands OR v.a_records <> v.e_records
		   OR v.seqs <> v.a_last - v.a_first + 1 OR NOT v.idx_ok
		   OR v.e_first <> coalesce(v.previous_last, 0) + 1 THEN
			RAISE EXCEPTION 'the journal of trading day % in stream "%" does not verify', p_day,
				(SELECT x.name FROM @extschema@.streams x WHERE x.stream = v.stream)
				USING ERRCODE = 'PX081',
					  DETAIL = pg_catalog.format(
						'sequencer: seqs %s..%s, %s commands, %s records, previous day ends at %s; journal: seqs %s..%s (%s distinct), %s commands, %s records, idx contiguous: %s',
						v.e_first, v.e_last, v.e_commands, v.e_records, coalesce(v.previous_last, 0),
						v.a_first, v.a_last, v.seqs, v.a_commands, v.a_records, v.idx_ok),
					  HINT = 'Nothing was archived.  Investigate before archiving: the journal must equal what the sequencer appended.';
		END IF;
	END LOOP;

	SELECT p_day, array_agg(d.stream ORDER BY d.stream), array_agg(d.first_seq ORDER BY d.stream),
		   array_agg(d.last_seq ORDER BY d.stream), sum(d.commands), sum(d.records)
	  INTO arch.trading_day, arch.streams, arch.first_seq, arch.last_seq, arch.commands, arch.records
	  FROM @extschema@.journal_days d
	 WHERE d.trading_day = p_day;
	arch.journal_sha256 := @extschema@.journal_day_checksum(p_day);
	arch.checksum_version := 2;
	arch.candles_sha256 := @extschema@.candles_day_checksum(p_day);
	SELECT count(*) INTO arch.candle_rows FROM @extschema@.candles_1m c WHERE c.trading_day = p_day;
	arch.journal_table := 'exchange_archive.' || pg_catalog.quote_ident(jpart);
	arch.candles_table := 'exchange_archive.' || pg_catalog.quote_ident(cpart);
	arch.archived_at := pg_catalog.now();
	arch.archived_by := session_user;

	-- Move the partitions: detach, into the archive schema, attach there
	-- (their indexes, BRIN included, attach to the archive's), read-only.
	PERFORM @extschema@.journal_partition(p_day); -- the candles partition may be missing
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.journal DETACH PARTITION @extschema@.%I', jpart);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I SET SCHEMA exchange_archive', jpart);
	EXECUTE pg_catalog.format(
		'ALTER TABLE exchange_archive.journal ATTACH PARTITION exchange_archive.%I FOR VALUES FROM (%L) TO (%L)',
		jpart, p_day, p_day + 1);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.candles_1m DETACH PARTITION @extschema@.%I', cpart);
	EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I SET SCHEMA exchange_archive', cpart);
	EXECUTE pg_catalog.format(
		'ALTER TABLE exchange_archive.candles_1m ATTACH PARTITION exchange_archive.%I FOR VALUES FROM (%L) TO (%L)',
		cpart, p_day, p_day + 1);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON exchange_archive.%I FOR EACH STATEMENT EXECUTE FUNCTION exchange_archive.refuse_write()',
		jpart);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON exchange_archive.%I FOR EACH STATEMENT EXECUTE FUNCTION exchange_archive.refuse_write()',
		cpart);
	EXECUTE pg_catalog.format('REVOKE ALL ON exchange_archive.%I, exchange_archive.%I FROM PUBLIC', jpart, cpart);
	EXECUTE pg_catalog.format(
		'GRANT SELECT ON exchange_archive.%I, exchange_archive.%I TO exchange_engine, exchange_compliance, exchange_dba',
		jpart, cpart);
	EXECUTE pg_catalog.format('COMMENT ON TABLE exchange_archive.%I IS %L', jpart,
		pg_catalog.format('Archived journal of trading day %s (read-only; see exchange.archived_days).', p_day));
	EXECUTE pg_catalog.format('COMMENT ON TABLE exchange_archive.%I IS %L', cpart,
		pg_catalog.format('Archived 1-minute candles of trading day %s (read-only).', p_day));

	-- Seal the day: a stream still at it moves on, so that append_batch
	-- refuses it (PX006) even to a writer that did not see the close.
	UPDATE @extschema@.streams s SET last_trading_day = p_day + 1
	 WHERE s.stream = ANY (arch.streams) AND s.last_trading_day <= p_day;

	INSERT INTO @extschema@.archived_days SELECT arch.*;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.archive_trading_day(date) IS
	'Closes a trading day into the archive (exchange_dba): refuses while it is open or may still be journaled (PX080); verifies that its journal is gapless and matches the sequencer''s journal_days (PX081, nothing changed); detaches its journal and candles_1m partitions into exchange_archive, read-only with their indexes (BRIN included); seals the day against appends; records counts and checksums in archived_days and returns that arch.  PX082 already archived, PX084 no journal for the day, 22004.  Reports read journal_history, so their results do not change.';

CREATE FUNCTION @extschema@.record_archive_export(p_day date, p_file text, p_sha256 text,
	p_journal_sha256 bytea, p_candles_sha256 bytea)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch @extschema@.archived_days;
BEGIN
	IF p_day IS NULL OR p_file IS NULL OR p_sha256 IS NULL OR p_journal_sha256 IS NULL
	   OR p_candles_sha256 IS NULL THEN
		RAISE EXCEPTION 'record_archive_export: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF p_sha256 !~ '^[0-9a-f]{64}$' THEN
		RAISE EXCEPTION 'not a SHA-256 in hex: "%"', p_sha256 USING ERRCODE = '22023';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'trading day % is not archived', p_day USING ERRCODE = 'PX082';
	END IF;
	-- the checksums the restore produced must be the ones archived
	IF p_journal_sha256 <> arch.journal_sha256 OR p_candles_sha256 <> arch.candles_sha256 THEN
		RAISE EXCEPTION 'the restored export of trading day % does not match the archive', p_day
			USING ERRCODE = 'PX081',
				  DETAIL = pg_catalog.format('journal %s (archived %s), candles %s (archived %s)',
					pg_catalog.encode(p_journal_sha256, 'hex'), pg_catalog.encode(arch.journal_sha256, 'hex'),
					pg_catalog.encode(p_candles_sha256, 'hex'), pg_catalog.encode(arch.candles_sha256, 'hex'));
	END IF;
	UPDATE @extschema@.archived_days a
	   SET export_file = p_file, export_sha256 = p_sha256, exported_at = pg_catalog.now(),
		   verified_at = pg_catalog.now()
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.record_archive_export(date, text, text, bytea, bytea) IS
	'Records (exchange_dba; called by scripts/archive-day.sh) that an archived day was exported to p_file with SHA-256 p_sha256 and that restoring it into a scratch database gave the archived checksums, which it checks again (PX081 on a mismatch).  PX082 not archived, 22023 bad hex, 22004.';

CREATE FUNCTION @extschema@.drop_archived_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch		@extschema@.archived_days;
	i		int;
	snap	bigint;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'drop_archived_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'trading day % is not archived', p_day USING ERRCODE = 'PX082';
	END IF;
	IF arch.dropped_at IS NOT NULL THEN
		RAISE EXCEPTION 'trading day % was dropped already', p_day USING ERRCODE = 'PX082',
			  HINT = 'exchange.archived_days says when and by whom; scripts/archive-day.sh --restore brings it back.';
	END IF;
	IF arch.verified_at IS NULL THEN
		RAISE EXCEPTION 'trading day % has no verified export', p_day
			USING ERRCODE = 'PX083', HINT = 'Run scripts/archive-day.sh first: it exports, restores and verifies the day.';
	END IF;
	-- matchd must not need the day to recover: a snapshot of each of its
	-- streams at or after the day's last seq
	FOR i IN 1 .. cardinality(arch.streams) LOOP
		SELECT max(e.seq) INTO snap FROM @extschema@.engine_snapshots e
		 WHERE e.stream = arch.streams[i] AND e.seq >= arch.last_seq[i];
		IF snap IS NULL THEN
			RAISE EXCEPTION 'matchd of stream "%" would need trading day % to recover',
				(SELECT x.name FROM @extschema@.streams x WHERE x.stream = arch.streams[i]), p_day
				USING ERRCODE = 'PX083',
					  DETAIL = pg_catalog.format('No engine snapshot at or after seq %s (the day''s last).', arch.last_seq[i]),
					  HINT = 'matchd saves a snapshot after each close; wait for it, or keep the day.';
		END IF;
	END LOOP;
	EXECUTE 'DROP TABLE ' || arch.journal_table || ', ' || arch.candles_table;
	UPDATE @extschema@.archived_days a SET dropped_at = pg_catalog.now(), dropped_by = session_user
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.drop_archived_day(date) IS
	'Drops an archived day''s tables from the cluster (exchange_dba), only once its export is verified (PX083) and only when matchd no longer needs it: every stream of the day has an engine snapshot at or after the day''s last seq (PX083).  The catalog arch stays, with dropped_at.  PX082 not archived or already dropped, 22004.';

CREATE FUNCTION @extschema@.restore_archived_day(p_day date)
RETURNS @extschema@.archived_days
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arch @extschema@.archived_days;
BEGIN
	IF p_day IS NULL THEN
		RAISE EXCEPTION 'restore_archived_day: the day must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO arch FROM @extschema@.archived_days a WHERE a.trading_day = p_day FOR UPDATE;
	IF NOT FOUND OR arch.dropped_at IS NULL THEN
		RAISE EXCEPTION 'trading day % is not a dropped archived day', p_day USING ERRCODE = 'PX082';
	END IF;
	IF pg_catalog.to_regclass(arch.journal_table) IS NULL OR pg_catalog.to_regclass(arch.candles_table) IS NULL THEN
		RAISE EXCEPTION 'the tables of trading day % are not restored', p_day
			USING ERRCODE = 'PX082', HINT = 'pg_restore the export first (scripts/archive-day.sh --restore).';
	END IF;
	IF @extschema@.archived_journal_checksum(p_day, arch.checksum_version) <> arch.journal_sha256
	   OR @extschema@.candles_day_checksum(p_day) <> arch.candles_sha256 THEN
		RAISE EXCEPTION 'the restored trading day % does not match the archive', p_day USING ERRCODE = 'PX081';
	END IF;
	UPDATE @extschema@.archived_days a
	   SET dropped_at = NULL, dropped_by = NULL, restored_at = pg_catalog.now()
	 WHERE a.trading_day = p_day
	RETURNING * INTO arch;
	RETURN arch;
END
$$;
COMMENT ON FUNCTION @extschema@.restore_archived_day(date) IS
	'After pg_restore of a dropped day''s export (exchange_dba): checks the restored journal and candles against the archived checksums (PX081) and marks the day present again.  PX082 not dropped or tables missing, 22004.';

------------------------------------------------------------------------------
-- The columns of the views and archive tables that repeat the journal's and
-- the candles' mean what they mean there: their comments are copied.
------------------------------------------------------------------------------
DO $comments$
DECLARE
	c record;
BEGIN
	FOR c IN
		SELECT t.rel, a.attname, pg_catalog.col_description(t.src, a.attnum) AS text
		  FROM (VALUES ('@extschema@.journal_history', '@extschema@.journal'::regclass),
					   ('@extschema@.journal_prices', '@extschema@.journal'::regclass),
					   ('exchange_archive.journal', '@extschema@.journal'::regclass),
					   ('@extschema@.candles_1m_history', '@extschema@.candles_1m'::regclass),
					   ('exchange_archive.candles_1m', '@extschema@.candles_1m'::regclass)) t (rel, src)
		  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.src AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE pg_catalog.col_description(t.src, a.attnum) IS NOT NULL
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', c.rel, c.attname, c.text);
	END LOOP;
END
$comments$;

------------------------------------------------------------------------------
-- Privileges: archival is exchange_dba's; the catalog and the checksums are
-- for staff; the archived rows are read like the live ones.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA exchange_archive FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exchange_archive FROM PUBLIC;
GRANT SELECT ON @extschema@.candles_1m, @extschema@.candles_1m_history
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT SELECT ON exchange_archive.candles_1m TO exchange_engine, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.archived_days TO exchange_admin, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.journal_day_checksum(date),
	@extschema@.journal_day_checksum_v1(date),
	@extschema@.archived_journal_checksum(date, smallint),
	@extschema@.candles_day_checksum(date)
	TO exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.archive_trading_day(date),
	@extschema@.record_archive_export(date, text, text, bytea, bytea),
	@extschema@.drop_archived_day(date),
	@extschema@.restore_archived_day(date)
	TO exchange_dba;
