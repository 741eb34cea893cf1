-- exchange 1.7 -> 1.8, in four parts:
--
-- 1. the REST API (pgx-httpd, docs/rest.md): the daemon's group
-- role exchange_rest, API keys issued by exchange_admin (stored hashed), and
-- rest_enable/rest_disable; the same objects as sql/src/90_rest.sql.
--
-- 2. the speed of the SQL order path (issue 19).
--
-- The journal checksum of a trading day in C (journal_day_checksum: one
-- SHA-256 streamed over the records' wire encoding instead of a SHA-256 of
-- each row's JSON); archived_days.checksum_version says which checksum an
-- archived day carries (1 for the days archived before 1.8, whose checksum
-- journal_day_checksum_v1 still computes), and archive_trading_day,
-- restore_archived_day and scripts/archive-day.sh verify with that one.  The
-- one current definition is in sql/src/80_archival.sql.
--
-- Mass cancel: exchange.cancel_all(account, symbol DEFAULT NULL), one
-- sequenced command (event_kind mass_cancel, after the order manager's
-- commands) whose events are the canceled orders; sql/src/40_order_entry.sql.
--
-- append_batch(int, bigint, bigint, bytea, bytea) in C (extension/append.c),
-- the same checks and projections in one pass; sql/src/20_journal.sql.
--
-- 3. the FIX gateway's message store in blocks, and the
-- next outgoing sequence number kept ahead while the gateway runs.
--
-- exchange.fix_messages (a row per sent message) becomes
-- exchange.fix_message_blocks (a row per session and write of the gateway,
-- the messages as lz4-compressed arrays) and a view of the same name and
-- columns over it; fix_store() writes one block per call, the new
-- fix_store_many() one block per session for all sessions of a write in one call.  The same objects
-- as sql/src/45_fix_gateway.sql.
--
-- 4. new order types in the matching core (issue 21),
-- first post-only and good-till-date (docs/matching-core.md).
--
-- Labels appended to the enumerations (their wire numbers follow label
-- order, include/exchange_wire.h): order_type stop and stop_limit,
-- time_in_force gtd, at_open and at_close, event_kind expire_order (the
-- sequencer's expiry of a gtd order).  stop, stop_limit, at_open and
-- at_close are reserved: matchd and submit_order refuse them (0A000) until
-- the stop orders and the auctions exist.
--
-- submit_order gains the named, optional arguments stop_price,
-- display_quantity, post_only and expire_time.  CREATE OR REPLACE cannot
-- add arguments (it would create a second function beside the first, and a
-- call with the old arguments would be ambiguous between the two), so the
-- old one is dropped and the new one created with its comment and
-- privileges; calls with the old arguments (positional or named) are
-- unchanged.
--
-- The journal gains two typed columns, post_only and expire_time, that
-- append_batch fills from a new order's detail (the detail stays the
-- record's truth: it travels in the batch); exchange_archive.journal and
-- journal_record follow, journal_history shows them (CREATE OR REPLACE VIEW
-- may append columns), make_record and read_batch build the longer record.
-- Rows appended before 1.8 keep NULL there (no new order had options).
--
-- account_log leaves out expire_order (a label after 'expired', but a
-- command about an order, not an account).  The current definitions are in
-- sql/src/10_roles_types.sql, 40_order_entry.sql and 50_order_manager.sql.
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.8'" to load this file. \quit

DO $rest_role$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'exchange_rest') THEN
		CREATE ROLE exchange_rest NOLOGIN NOINHERIT;
	END IF;
END
$rest_role$;
GRANT USAGE ON SCHEMA @extschema@ TO exchange_rest;
GRANT SELECT ON @extschema@.symbols TO exchange_rest;
GRANT EXECUTE ON FUNCTION @extschema@.order_book_l1(text), @extschema@.order_book_l2(text, int),
	@extschema@.candles(text, interval, timestamptz, timestamptz), @extschema@.market_status(text)
	TO exchange_rest;

------------------------------------------------------------------------------
-- API keys: a program's credential for REST (Authorization: Bearer KEY).
------------------------------------------------------------------------------
CREATE TABLE @extschema@.api_keys (
	key_id		text PRIMARY KEY,
	key_hash	bytea NOT NULL UNIQUE,
	broker		name NOT NULL,
	label		text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER,
	revoked_at	timestamptz,
	CHECK (pg_catalog.length(key_hash) = 32),
	CHECK (label IS NULL OR pg_catalog.octet_length(label) <= 1000)
);
COMMENT ON TABLE @extschema@.api_keys IS
	'API keys for the REST API (docs/rest.md), issued by exchange_admin with issue_api_key: the key''s public id, the SHA-256 of the whole key (the key itself is shown once and never stored), the broker role it acts as, a label, who issued it when, and when it was revoked.';
COMMENT ON COLUMN @extschema@.api_keys.key_id IS 'Public id of the key (8 hex digits, also inside the key: pgx_<key_id>_<secret>); revoke_api_key takes it.';
COMMENT ON COLUMN @extschema@.api_keys.key_hash IS 'SHA-256 of the whole key; the key itself is never stored.';
COMMENT ON COLUMN @extschema@.api_keys.broker IS 'The broker role the key acts as.';
COMMENT ON COLUMN @extschema@.api_keys.label IS 'What the key is for (free text of the admin).';
COMMENT ON COLUMN @extschema@.api_keys.created_at IS 'When the key was issued.';
COMMENT ON COLUMN @extschema@.api_keys.created_by IS 'The session user who issued it.';
COMMENT ON COLUMN @extschema@.api_keys.revoked_at IS 'When it was revoked; NULL while live.';
REVOKE ALL ON @extschema@.api_keys FROM PUBLIC;
GRANT SELECT (key_id, broker, label, created_at, created_by, revoked_at)
	ON @extschema@.api_keys TO exchange_admin;

CREATE FUNCTION @extschema@.rest_enable(broker regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r name;
BEGIN
	IF rest_enable.broker IS NULL THEN
		RAISE EXCEPTION 'rest_enable: broker must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT rolname INTO r FROM pg_roles WHERE oid = rest_enable.broker;
	IF NOT pg_has_role(r, 'exchange_broker', 'MEMBER') OR r LIKE 'exchange\_%'
	   OR (SELECT rolsuper FROM pg_roles WHERE oid = rest_enable.broker) THEN
		RAISE EXCEPTION 'role "%" is not a broker role (a member of exchange_broker)', r
			USING ERRCODE = '22023';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_auth_members m
				   WHERE m.roleid = rest_enable.broker
					 AND m.member = 'exchange_rest'::regrole) THEN
		EXECUTE format('GRANT %I TO exchange_rest', r);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.rest_enable(regrole) IS
	'Lets the REST daemon act as this broker role (makes exchange_rest a member of it, so the daemon may SET ROLE to it after checking the broker''s password or API key).  22023 for a role that is not a member of exchange_broker.  Idempotent.';

CREATE FUNCTION @extschema@.rest_disable(broker regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF rest_disable.broker IS NULL THEN
		RAISE EXCEPTION 'rest_disable: broker must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF EXISTS (SELECT 1 FROM pg_auth_members m
			   WHERE m.roleid = rest_disable.broker AND m.member = 'exchange_rest'::regrole) THEN
		EXECUTE format('REVOKE %I FROM exchange_rest',
					   (SELECT rolname FROM pg_roles WHERE oid = rest_disable.broker));
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.rest_disable(regrole) IS
	'Undoes rest_enable: the REST daemon can no longer act as this broker (new connections of the daemon fail their SET ROLE; its open ones keep the role until they close).  Idempotent.';

CREATE FUNCTION @extschema@.issue_api_key(broker regrole, label text DEFAULT NULL)
RETURNS TABLE (key_id text, api_key text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	id	text;
	k	text;
BEGIN
	PERFORM @extschema@.rest_enable(issue_api_key.broker);
	-- gen_random_uuid() draws from pg_strong_random(): 8 hex digits of id,
	-- 48 of secret (192 random bits)
	id := substr(replace(gen_random_uuid()::text, '-', ''), 1, 8);
	k := 'pgx_' || id || '_' || replace(gen_random_uuid()::text, '-', '')
		 || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16);
	INSERT INTO @extschema@.api_keys (key_id, key_hash, broker, label, created_by)
	VALUES (id, sha256(convert_to(k, 'UTF8')),
			(SELECT rolname FROM pg_roles WHERE oid = issue_api_key.broker),
			issue_api_key.label, session_user);
	key_id := id;
	api_key := k;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.issue_api_key(regrole, text) IS
	'A new API key for the REST API acting as the broker role (Authorization: Bearer <api_key>): returns its public key_id and the key, shown this once (only its SHA-256 is stored).  Enables the broker for REST (rest_enable).  22023 for a role that is not a broker, 23514 for a label over 1000 bytes.';

CREATE FUNCTION @extschema@.revoke_api_key(key_id text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH r AS (
		UPDATE @extschema@.api_keys k SET revoked_at = now()
		 WHERE k.key_id = revoke_api_key.key_id AND k.revoked_at IS NULL
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM r)
$$;
COMMENT ON FUNCTION @extschema@.revoke_api_key(text) IS
	'Revokes an API key by its key_id: true when it was live.  The REST daemon caches a checked key for at most its --auth-cache seconds (default 10).';

CREATE FUNCTION @extschema@.api_key_broker(api_key text)
RETURNS name
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT k.broker FROM @extschema@.api_keys k
	 WHERE k.key_hash = sha256(convert_to(api_key_broker.api_key, 'UTF8'))
	   AND k.revoked_at IS NULL
	   AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = k.broker)
$$;
COMMENT ON FUNCTION @extschema@.api_key_broker(text) IS
	'The broker role of a live API key, or NULL (unknown or revoked key).  For the REST daemon (exchange_rest) only.';

REVOKE ALL ON FUNCTION @extschema@.rest_enable(regrole), @extschema@.rest_disable(regrole),
	@extschema@.issue_api_key(regrole, text), @extschema@.revoke_api_key(text),
	@extschema@.api_key_broker(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.rest_enable(regrole), @extschema@.rest_disable(regrole),
	@extschema@.issue_api_key(regrole, text), @extschema@.revoke_api_key(text)
	TO exchange_admin;
GRANT EXECUTE ON FUNCTION @extschema@.api_key_broker(text) TO exchange_rest;

------------------------------------------------------------------------------
-- 2. the speed of the SQL order path (issue 19)
------------------------------------------------------------------------------
-- the days archived so far carry the JSON checksum
ALTER TABLE @extschema@.archived_days
	ADD COLUMN checksum_version smallint NOT NULL DEFAULT 1 CHECK (checksum_version IN (1, 2));
ALTER TABLE @extschema@.archived_days ALTER COLUMN checksum_version SET DEFAULT 2;
COMMENT ON COLUMN @extschema@.archived_days.journal_sha256 IS 'journal_day_checksum() of the day when it was archived (journal_day_checksum_v1() when checksum_version is 1).';
COMMENT ON COLUMN @extschema@.archived_days.checksum_version IS 'Which checksum journal_sha256 is: 2 journal_day_checksum() over the wire encoding (1.8), 1 journal_day_checksum_v1() over each row''s JSON (days archived by 1.5 to 1.7).';

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
CREATE OR REPLACE FUNCTION @extschema@.journal_day_checksum(p_day date)
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

CREATE OR REPLACE FUNCTION @extschema@.archive_trading_day(p_day date)
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

CREATE OR REPLACE FUNCTION @extschema@.restore_archived_day(p_day date)
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

REVOKE ALL ON FUNCTION @extschema@.journal_day_checksum_v1(date),
	@extschema@.archived_journal_checksum(date, smallint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.journal_day_checksum_v1(date),
	@extschema@.archived_journal_checksum(date, smallint)
	TO exchange_compliance, exchange_dba;

-- (not used by this script: a label added in a transaction can only be used
-- after it commits)
ALTER TYPE @extschema@.event_kind ADD VALUE 'mass_cancel';
CREATE FUNCTION @extschema@.cancel_all(account text, symbol text DEFAULT NULL)
RETURNS TABLE (id bigint, order_symbol text, side @extschema@.side, price numeric,
	canceled_quantity bigint)
AS 'MODULE_PATHNAME', 'exchange_cancel_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.cancel_all(text, text) IS
	'(1.8) Mass cancel: every open order of an account of the calling role (of one symbol, or of all when symbol is NULL) canceled by one sequenced command (journal kind mass_cancel, then one canceled event per order).  Returns one row per canceled order in the order matchd canceled them (symbols in listing order, bids then asks, best price first, oldest first); none when nothing was open.  Not transactional.  Errors: 22004, 42501 (not the caller''s account), PX020, PX040, PX041.';
REVOKE ALL ON FUNCTION @extschema@.cancel_all(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cancel_all(text, text) TO exchange_broker;
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order, then mass_cancel (1.8).';

-- (1.8) in C, extension/append.c: the same checks, errors, projections and
-- notifications in the same order as the PL/pgSQL body of 1.1 to 1.7, in one
-- pass and three prepared statements (the stream's row lock, the day's
-- counters, the stream's position); journal_partition and
-- project_reference_data run only when a day's partitions are missing or the
-- batch has reference-data commands.
CREATE OR REPLACE FUNCTION @extschema@.append_batch(p_stream int, p_epoch bigint, p_first_seq bigint,
	p_batch bytea, p_wallets bytea)
RETURNS bigint
AS 'MODULE_PATHNAME', 'exchange_append_batch'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

------------------------------------------------------------------------------
-- 3. the FIX gateway's message store in blocks (issue 18)
------------------------------------------------------------------------------

-- The message store in blocks: one row per session and write of the gateway
-- (every few milliseconds under load), its messages as arrays compressed with
-- lz4.  A row per message cost the journal's PostgreSQL about 20 us (its
-- foreign-key check, the index, the WAL) - as much as the journal's own
-- appends at the same order rate (docs/benchmarks.md); a block costs that
-- once for tens of messages.  fix_messages shows them one row per message.
CREATE TABLE @extschema@.fix_message_blocks (
	sender_comp_id	text NOT NULL,
	target_comp_id	text NOT NULL,
	first_seq		bigint NOT NULL CHECK (first_seq >= 1),
	last_seq		bigint NOT NULL,
	seqs			bigint[] NOT NULL,
	messages		text[] COMPRESSION lz4 NOT NULL,
	stored_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (sender_comp_id, target_comp_id, last_seq),
	FOREIGN KEY (sender_comp_id, target_comp_id)
		REFERENCES @extschema@.fix_sessions ON DELETE CASCADE,
	CHECK (first_seq <= last_seq),
	CHECK (cardinality(seqs) >= 1 AND cardinality(seqs) = cardinality(messages))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fix_message_blocks', '');
COMMENT ON TABLE @extschema@.fix_message_blocks IS
	'The gateway''s store of the application messages it sent, one row per session and write (fix_store()); no two blocks of a session hold the same MsgSeqNum.  Read it as exchange.fix_messages.';
COMMENT ON COLUMN @extschema@.fix_message_blocks.sender_comp_id IS 'The session (its counterparty''s SenderCompID).';
COMMENT ON COLUMN @extschema@.fix_message_blocks.target_comp_id IS 'The session (our CompID).';
COMMENT ON COLUMN @extschema@.fix_message_blocks.first_seq IS 'The lowest MsgSeqNum in the block.';
COMMENT ON COLUMN @extschema@.fix_message_blocks.last_seq IS 'The highest MsgSeqNum in the block (the key: a reset''s cut finds the blocks at or after a number by it).';
COMMENT ON COLUMN @extschema@.fix_message_blocks.seqs IS 'MsgSeqNum(34) of each message, ascending.';
COMMENT ON COLUMN @extschema@.fix_message_blocks.messages IS 'The whole messages, 8= to 10=, SOH included, in the order of seqs.';
COMMENT ON COLUMN @extschema@.fix_message_blocks.stored_at IS 'When the gateway wrote the block (write-behind: a few milliseconds after sending).';

-- the gateway keeps the next outgoing number ahead while it runs (gwdb.h)
COMMENT ON COLUMN @extschema@.fix_sessions.next_out_seq IS 'MsgSeqNum of the gateway''s next message to the counterparty, or above it: written behind, and while the gateway runs 10,000 ahead (after a crash it goes on above every number it may have sent); a clean stop writes the real one.';

-- what is stored moves over, a block per message
INSERT INTO @extschema@.fix_message_blocks
	(sender_comp_id, target_comp_id, first_seq, last_seq, seqs, messages, stored_at)
SELECT sender_comp_id, target_comp_id, seq, seq, ARRAY[seq], ARRAY[message], stored_at
  FROM @extschema@.fix_messages;
-- out of the extension first: that also takes it off the tables pg_dump dumps
-- the data of (pg_extension.extconfig), as a fresh install never had it there
ALTER EXTENSION exchange DROP TABLE @extschema@.fix_messages;
DROP TABLE @extschema@.fix_messages;

CREATE VIEW @extschema@.fix_messages AS
	SELECT b.sender_comp_id, b.target_comp_id, u.seq, u.message, b.stored_at
	  FROM @extschema@.fix_message_blocks b
	 CROSS JOIN LATERAL unnest(b.seqs, b.messages) AS u(seq, message);
COMMENT ON VIEW @extschema@.fix_messages IS
	'Application messages the gateway sent on each session, by MsgSeqNum, as sent (SOH-separated tag=value), one row each: a ResendRequest is answered from here after a gateway restart.';
COMMENT ON COLUMN @extschema@.fix_messages.sender_comp_id IS 'The session (its counterparty''s SenderCompID).';
COMMENT ON COLUMN @extschema@.fix_messages.target_comp_id IS 'The session (our CompID).';
COMMENT ON COLUMN @extschema@.fix_messages.seq IS 'MsgSeqNum(34) the message was sent with.';
COMMENT ON COLUMN @extschema@.fix_messages.message IS 'The whole message, 8= to 10=, SOH included.';
COMMENT ON COLUMN @extschema@.fix_messages.stored_at IS 'When the gateway wrote it (write-behind: a few milliseconds after sending).';

CREATE OR REPLACE FUNCTION @extschema@.fix_reset_session(sender_comp_id text, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM @extschema@.fix_message_blocks m
	 WHERE m.sender_comp_id = fix_reset_session.sender_comp_id
	   AND m.target_comp_id = fix_reset_session.target_comp_id;
	UPDATE @extschema@.fix_sessions s SET next_in_seq = 1, next_out_seq = 1, updated_at = now()
	 WHERE s.sender_comp_id = fix_reset_session.sender_comp_id
	   AND s.target_comp_id = fix_reset_session.target_comp_id;
$$;

CREATE OR REPLACE FUNCTION @extschema@.fix_store(p_sender text, p_target text, p_next_in bigint,
	p_next_out bigint, p_seqs bigint[], p_messages text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_from bigint;
BEGIN
	IF cardinality(p_seqs) IS DISTINCT FROM cardinality(p_messages)
	   OR array_position(p_seqs, NULL) IS NOT NULL
	   OR array_position(p_messages, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'fix_store: p_seqs and p_messages must be arrays of the same length without NULLs'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- what is stored at or after the first number written now, or at or after
	-- the next number, belongs to a session before a reset: cut it off (the
	-- blocks that reach it keep what they hold before it)
	v_from := least(p_next_out, (SELECT min(x) FROM unnest(p_seqs) AS x));
	IF v_from IS NOT NULL THEN
		WITH gone AS (
			DELETE FROM @extschema@.fix_message_blocks b
			 WHERE b.sender_comp_id = p_sender AND b.target_comp_id = p_target
			   AND b.last_seq >= v_from
			RETURNING b.last_seq, b.seqs, b.messages, b.stored_at)
		INSERT INTO @extschema@.fix_message_blocks
			(sender_comp_id, target_comp_id, first_seq, last_seq, seqs, messages, stored_at)
		SELECT p_sender, p_target, min(u.s), max(u.s), array_agg(u.s ORDER BY u.s),
			   array_agg(u.m ORDER BY u.s), min(g.stored_at)
		  FROM gone g CROSS JOIN LATERAL unnest(g.seqs, g.messages) AS u(s, m)
		 WHERE u.s < v_from
		 GROUP BY g.last_seq;
	END IF;
	IF cardinality(p_seqs) > 0 THEN
		-- one block; a number given twice keeps its last message
		INSERT INTO @extschema@.fix_message_blocks
			(sender_comp_id, target_comp_id, first_seq, last_seq, seqs, messages)
		SELECT p_sender, p_target, min(d.s), max(d.s), array_agg(d.s ORDER BY d.s),
			   array_agg(d.m ORDER BY d.s)
		  FROM (SELECT DISTINCT ON (u.s) u.s, u.m
				  FROM unnest(p_seqs, p_messages) WITH ORDINALITY AS u(s, m, o)
				 ORDER BY u.s, u.o DESC) d;
	END IF;
	IF p_next_in IS NOT NULL THEN
		UPDATE @extschema@.fix_sessions
		   SET next_in_seq = p_next_in, next_out_seq = p_next_out, updated_at = now()
		 WHERE sender_comp_id = p_sender AND target_comp_id = p_target;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]) IS
	'The gateway''s write-behind, one call per session and write: its next sequence numbers (NULL: unchanged) and the application messages it sent (one block); what was stored at or after the first of them or the next outgoing number (a reset''s old numbering) is dropped.';

CREATE FUNCTION @extschema@.fix_store_many(p_senders text[], p_targets text[],
	p_next_in bigint[], p_next_out bigint[], p_counts int[], p_seqs bigint[],
	p_messages text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_n int := coalesce(cardinality(p_senders), 0);
	v_at int := 1;
	v_k int;
	v_from bigint;
	v_seqs bigint[];
BEGIN
	IF cardinality(p_targets) IS DISTINCT FROM v_n OR cardinality(p_next_in) IS DISTINCT FROM v_n
	   OR cardinality(p_next_out) IS DISTINCT FROM v_n OR cardinality(p_counts) IS DISTINCT FROM v_n
	   OR cardinality(p_messages) IS DISTINCT FROM cardinality(p_seqs)
	   OR array_position(p_senders, NULL) IS NOT NULL OR array_position(p_targets, NULL) IS NOT NULL
	   OR array_position(p_counts, NULL) IS NOT NULL OR array_position(p_seqs, NULL) IS NOT NULL
	   OR array_position(p_messages, NULL) IS NOT NULL
	   OR (SELECT count(*) FILTER (WHERE c < 0) <> 0 OR coalesce(sum(c), 0) <> cardinality(p_seqs)
		     FROM unnest(p_counts) AS c)
	   OR (SELECT count(DISTINCT (s, t)) FROM unnest(p_senders, p_targets) AS k(s, t)) <> v_n THEN
		RAISE EXCEPTION 'fix_store_many: the session arrays must pair up without NULLs or repeats, and p_counts must count p_seqs and p_messages'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR i IN 1 .. v_n LOOP
		v_k := p_counts[i];
		v_seqs := p_seqs[v_at : v_at + v_k - 1];
		IF v_k > 1 AND EXISTS (SELECT 1 FROM unnest(v_seqs[1 : v_k - 1], v_seqs[2 : v_k]) AS u(x, y)
								WHERE y <= x) THEN
			RAISE EXCEPTION 'fix_store_many: the MsgSeqNums of session % (%) are not ascending', i, p_senders[i]
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		-- a reset's old numbering (rare): cut as fix_store() does
		v_from := least(p_next_out[i], v_seqs[1]);
		IF v_from IS NOT NULL AND EXISTS (
				SELECT 1 FROM @extschema@.fix_message_blocks b
				 WHERE b.sender_comp_id = p_senders[i] AND b.target_comp_id = p_targets[i]
				   AND b.last_seq >= v_from) THEN
			PERFORM @extschema@.fix_store(p_senders[i], p_targets[i], NULL, v_from, '{}', '{}');
		END IF;
		IF v_k > 0 THEN
			INSERT INTO @extschema@.fix_message_blocks
				(sender_comp_id, target_comp_id, first_seq, last_seq, seqs, messages)
			VALUES (p_senders[i], p_targets[i], v_seqs[1], v_seqs[v_k], v_seqs,
					p_messages[v_at : v_at + v_k - 1]);
		END IF;
		v_at := v_at + v_k;
	END LOOP;
	UPDATE @extschema@.fix_sessions f
	   SET next_in_seq = k.next_in, next_out_seq = k.next_out, updated_at = now()
	  FROM unnest(p_senders, p_targets, p_next_in, p_next_out) AS k(s, t, next_in, next_out)
	 WHERE k.next_in IS NOT NULL AND f.sender_comp_id = k.s AND f.target_comp_id = k.t;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[]) IS
	'The gateway''s write-behind, one call for every session of a write: session i (p_senders[i], p_targets[i]) gets its next sequence numbers p_next_in[i], p_next_out[i] (NULL: unchanged) and one block of the next p_counts[i] messages of p_seqs/p_messages (ascending MsgSeqNums), with the cut fix_store() makes.';

REVOKE ALL ON @extschema@.fix_message_blocks, @extschema@.fix_messages FROM PUBLIC;
REVOKE ALL ON FUNCTION
	@extschema@.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[])
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[])
	TO exchange_engine;
-- the gateway writes only through fix_store()
GRANT SELECT ON @extschema@.fix_message_blocks, @extschema@.fix_messages TO exchange_engine,
	exchange_compliance, exchange_dba;

------------------------------------------------------------------------------
-- 4. new order types (issue 21): post-only, good-till-date
------------------------------------------------------------------------------

-- a new label cannot be used in the transaction that adds it: nothing below
-- uses one as a value of the type (account_log compares the label as text)
ALTER TYPE @extschema@.order_type ADD VALUE 'stop';
ALTER TYPE @extschema@.order_type ADD VALUE 'stop_limit';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'gtd';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'at_open';
ALTER TYPE @extschema@.time_in_force ADD VALUE 'at_close';
ALTER TYPE @extschema@.event_kind ADD VALUE 'expire_order';
COMMENT ON TYPE @extschema@.order_type IS
	'limit: trades at its price or better and may rest; market: trades at the best prices available and never rests; stop, stop_limit (1.8): reserved for stop orders, not accepted yet (0A000).';
COMMENT ON TYPE @extschema@.time_in_force IS
	'day: expires at the close; gtc: good till cancelled; ioc: immediate or cancel; fok: fill or kill (all at once or nothing); gtd (1.8): good till its expire_time, then expired by matchd''s sequencer; at_open, at_close (1.8): reserved for the auctions, not accepted yet (0A000).';
COMMENT ON TYPE @extschema@.event_kind IS
	'Kind of a journal record.  Commands are sequenced input (idx 0); events are the engine''s output for that command (idx 1..n).  The order manager''s commands (1.2: set_kyc .. set_symbol_limits) follow the events in label order, then mass_cancel (1.8) and expire_order (1.8: the sequencer expires a good-till-date order).';

DROP FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric,
	@extschema@.order_type, @extschema@.time_in_force, text);
CREATE FUNCTION @extschema@.submit_order(account text, symbol text, side @extschema@.side,
	quantity bigint, price numeric DEFAULT NULL,
	order_type @extschema@.order_type DEFAULT 'limit',
	time_in_force @extschema@.time_in_force DEFAULT 'day',
	client_order_id text DEFAULT NULL,
	stop_price numeric DEFAULT NULL,
	display_quantity bigint DEFAULT NULL,
	post_only boolean DEFAULT false,
	expire_time timestamptz DEFAULT NULL)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text)
AS 'MODULE_PATHNAME', 'exchange_submit_order'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) IS
	'Sends a new order for an account of the calling role to matchd and returns it right after its own matching (id, creation_time, filled and remaining quantity, status, reject_reason).  Not transactional: it stands even if the caller''s transaction rolls back.  A market order''s day time in force is sent as ioc.  post_only: the order never takes liquidity; one that would cross is rejected (reject_reason post_only_would_cross), an amend of it too.  expire_time: required for time_in_force gtd and only there; matchd expires the order then (status expired, reject_reason gtd_expired).  stop_price, display_quantity, order types stop and stop_limit, times in force at_open and at_close: not supported yet (0A000).  Errors: 22004, 22001/22023 (client_order_id), 22023 (post_only, expire_time), 0A000, PX012, PX011, PX013, PX010, PX020, 42501, PX040, PX041, PX042.';
REVOKE ALL ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.submit_order(text, text, @extschema@.side, bigint, numeric, @extschema@.order_type, @extschema@.time_in_force, text, numeric, bigint, boolean, timestamptz) TO exchange_broker;

CREATE OR REPLACE VIEW @extschema@.account_log WITH (security_barrier) AS
	SELECT c.stream, c.seq, c.ts, c.trading_day, c.kind, c.account,
		   CASE WHEN r.seq IS NULL THEN 'accepted' ELSE 'rejected' END AS outcome,
		   r.reason,
		   CASE WHEN c.amount IS NOT NULL THEN c.detail ->> 'currency' ELSE c.symbol END AS asset,
		   coalesce(@extschema@.minor_to_amount(c.amount, cur.minor_digits),
					c.quantity::numeric) AS amount,
		   c.detail ->> 'role' AS requested_by,
		   c.detail
	  FROM @extschema@.journal_history c
	  LEFT JOIN @extschema@.accounts a ON a.account = c.account
	  LEFT JOIN @extschema@.currencies cur ON cur.currency = c.detail ->> 'currency'
	  LEFT JOIN LATERAL (
			SELECT ev.seq, ev.reason FROM @extschema@.journal_history ev
			 WHERE ev.stream = c.stream AND ev.seq = c.seq AND ev.trading_day = c.trading_day
			   AND ev.idx > 0 AND ev.kind = 'rejected'
			 LIMIT 1) r ON true
	 WHERE c.idx = 0 AND c.account IS NOT NULL
	   AND (c.kind = 'open_account' OR c.kind > 'expired')
	   -- 1.8: an order's expiry is not a command about its account
	   AND c.kind::text <> 'expire_order'
	   AND ((SELECT pg_catalog.pg_has_role('exchange_admin', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_compliance', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_dba', 'MEMBER')
				 OR pg_catalog.pg_has_role('exchange_engine', 'MEMBER'))
			OR @extschema@.is_account_owner(a.broker));


ALTER TABLE @extschema@.journal ADD COLUMN post_only boolean, ADD COLUMN expire_time timestamptz;
ALTER TABLE exchange_archive.journal ADD COLUMN post_only boolean,
	ADD COLUMN expire_time timestamptz;
COMMENT ON COLUMN @extschema@.journal.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
ALTER TYPE @extschema@.journal_record ADD ATTRIBUTE post_only boolean,
	ADD ATTRIBUTE expire_time timestamptz;
CREATE OR REPLACE VIEW @extschema@.journal_history AS
	SELECT * FROM @extschema@.journal
	UNION ALL
	SELECT * FROM exchange_archive.journal;
CREATE OR REPLACE FUNCTION @extschema@.make_record(
	seq bigint, idx int, kind @extschema@.event_kind,
	ts timestamptz DEFAULT '2000-01-01 00:00:00+00', trading_day date DEFAULT NULL,
	symbol text DEFAULT NULL, account text DEFAULT NULL, order_id bigint DEFAULT NULL,
	side @extschema@.side DEFAULT NULL, order_type @extschema@.order_type DEFAULT NULL,
	time_in_force @extschema@.time_in_force DEFAULT NULL, price bigint DEFAULT NULL,
	quantity bigint DEFAULT NULL, remaining bigint DEFAULT NULL,
	status @extschema@.order_status DEFAULT NULL, contra_order_id bigint DEFAULT NULL,
	contra_account text DEFAULT NULL, contra_remaining bigint DEFAULT NULL,
	amount bigint DEFAULT NULL, reason text DEFAULT NULL, client_order_id text DEFAULT NULL,
	detail json DEFAULT NULL)
RETURNS @extschema@.journal_record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT ROW(seq, idx, coalesce(trading_day, (ts AT TIME ZONE 'UTC')::date), ts, kind,
			   symbol, account, order_id, side, order_type, time_in_force, price, quantity,
			   remaining, status, contra_order_id, contra_account, contra_remaining, amount,
			   reason, client_order_id, detail, NULL::boolean, NULL::timestamptz)::@extschema@.journal_record
$$;
CREATE OR REPLACE FUNCTION @extschema@.read_batch(p_stream int, p_after_seq bigint, p_max_commands int DEFAULT 1000)
RETURNS bytea
LANGUAGE sql STABLE
AS $$
	SELECT @extschema@.encode_batch(coalesce(array_agg(
			ROW(seq, idx, trading_day, ts, kind, symbol, account, order_id, side, order_type,
				time_in_force, price, quantity, remaining, status, contra_order_id,
				contra_account, contra_remaining, amount, reason, client_order_id,
				detail, post_only, expire_time)::@extschema@.journal_record ORDER BY seq, idx), '{}'))
	  FROM @extschema@.journal_history
	 WHERE stream = p_stream AND seq > p_after_seq AND seq <= p_after_seq + p_max_commands
$$;
-- The journal's columns by name, price_numeric and currency, then (1.8) the
-- columns added to the journal since, so that an upgraded view (which can
-- only grow at its end) and a fresh one are the same.
CREATE OR REPLACE VIEW @extschema@.journal_prices WITH (security_barrier) AS
	SELECT j.stream, j.seq, j.idx, j.epoch, j.trading_day, j.ts, j.kind, j.symbol, j.account,
		   j.order_id, j.side, j.order_type, j.time_in_force, j.price, j.quantity, j.remaining,
		   j.status, j.contra_order_id, j.contra_account, j.contra_remaining, j.amount,
		   j.reason, j.client_order_id, j.detail,
		   @extschema@.ticks_to_price(j.price, s.tick_size) AS price_numeric,
		   s.currency, j.post_only, j.expire_time
	  FROM @extschema@.journal_history j
	  LEFT JOIN @extschema@.symbols s USING (symbol);
COMMENT ON COLUMN @extschema@.journal_history.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal_history.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
COMMENT ON COLUMN @extschema@.journal_prices.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN @extschema@.journal_prices.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
COMMENT ON COLUMN exchange_archive.journal.post_only IS '(1.8) new_order: true for a post-only order (from detail->post_only), else NULL.';
COMMENT ON COLUMN exchange_archive.journal.expire_time IS '(1.8) new_order: the expire time of a good-till-date order (from detail->expire_time), else NULL.';
