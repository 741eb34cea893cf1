------------------------------------------------------------------------------
-- sql/src/45_fix_gateway.sql: the FIX 4.4 gateway (gatewayd, docs/fix.md).
--
-- The gateway is stateless: what a FIX session needs across a restart lives
-- here.  exchange_admin configures sessions (fix_add_session and friends);
-- the gateway (a login role in exchange_engine) reads them, keeps their next
-- sequence numbers and the application messages it sent (for
-- ResendRequest) through fix_store(), and finds the orders its sessions
-- left open in the journal (fix_open_orders()).  Logons are checked by
-- PostgreSQL itself: the gateway opens a connection as the session's broker
-- role with the Password given, so there is no second user store.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.fix_sessions (
	sender_comp_id			text NOT NULL CHECK (sender_comp_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
	target_comp_id			text NOT NULL DEFAULT 'PGX' CHECK (target_comp_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
	broker					name NOT NULL,
	cancel_on_disconnect	boolean NOT NULL DEFAULT false,
	enabled					boolean NOT NULL DEFAULT true,
	next_in_seq				bigint NOT NULL DEFAULT 1 CHECK (next_in_seq >= 1),
	next_out_seq			bigint NOT NULL DEFAULT 1 CHECK (next_out_seq >= 1),
	created_at				timestamptz NOT NULL DEFAULT now(),
	updated_at				timestamptz,
	PRIMARY KEY (sender_comp_id, target_comp_id)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fix_sessions', '');
COMMENT ON TABLE @extschema@.fix_sessions IS
	'FIX sessions the gateway accepts: the counterparty''s SenderCompID and our TargetCompID, the broker role it acts as, its options and its next sequence numbers.';
COMMENT ON COLUMN @extschema@.fix_sessions.sender_comp_id IS 'SenderCompID(49) the counterparty sends (up to 32 letters, digits, _ . -).';
COMMENT ON COLUMN @extschema@.fix_sessions.target_comp_id IS 'TargetCompID(56) the counterparty sends: the exchange''s CompID, PGX by default.';
COMMENT ON COLUMN @extschema@.fix_sessions.broker IS 'The broker login role the session acts as: Username(553) of its Logon, checked with Password(554) by PostgreSQL, and the role its orders are journaled with.';
COMMENT ON COLUMN @extschema@.fix_sessions.cancel_on_disconnect IS 'Cancel the session''s open orders when its logged-on connection ends, by Logout or not (the cancels are journaled with the broker role).';
COMMENT ON COLUMN @extschema@.fix_sessions.enabled IS 'false: Logons are refused (the configuration is kept).';
COMMENT ON COLUMN @extschema@.fix_sessions.next_in_seq IS 'MsgSeqNum the gateway expects next from the counterparty (written behind by the gateway).';
COMMENT ON COLUMN @extschema@.fix_sessions.next_out_seq IS 'MsgSeqNum of the gateway''s next message to the counterparty, or above it: written behind, and while the gateway runs 10,000 ahead (after a crash it goes on above every number it may have sent); a clean stop writes the real one.';
COMMENT ON COLUMN @extschema@.fix_sessions.created_at IS 'When the session was configured.';
COMMENT ON COLUMN @extschema@.fix_sessions.updated_at IS 'When the gateway last wrote its sequence numbers.';

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

CREATE FUNCTION @extschema@.fix_add_session(sender_comp_id text, broker regrole,
	cancel_on_disconnect boolean DEFAULT false, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT pg_has_role(broker::oid, 'exchange_broker', 'MEMBER') THEN
		RAISE EXCEPTION 'role "%" is not a broker', broker::text
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'GRANT exchange_broker TO the role first.';
	END IF;
	INSERT INTO @extschema@.fix_sessions AS s (sender_comp_id, target_comp_id, broker, cancel_on_disconnect)
	VALUES (fix_add_session.sender_comp_id, fix_add_session.target_comp_id, broker::text,
			fix_add_session.cancel_on_disconnect)
	ON CONFLICT ON CONSTRAINT fix_sessions_pkey DO UPDATE
		SET broker = EXCLUDED.broker, cancel_on_disconnect = EXCLUDED.cancel_on_disconnect,
			enabled = true;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text) IS
	'Configures (or reconfigures) a FIX session: SenderCompID, the broker role it acts as, cancel on disconnect, our TargetCompID; the gateway sees it within 2 s.';

CREATE FUNCTION @extschema@.fix_disable_session(sender_comp_id text, target_comp_id text DEFAULT 'PGX')
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE @extschema@.fix_sessions s SET enabled = false
	 WHERE s.sender_comp_id = fix_disable_session.sender_comp_id
	   AND s.target_comp_id = fix_disable_session.target_comp_id;
$$;
COMMENT ON FUNCTION @extschema@.fix_disable_session(text, text) IS
	'Refuses the session''s next Logons (a logged-on connection stays until it ends).';

CREATE FUNCTION @extschema@.fix_reset_session(sender_comp_id text, target_comp_id text DEFAULT 'PGX')
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
COMMENT ON FUNCTION @extschema@.fix_reset_session(text, text) IS
	'Sets both sequence numbers of a session to 1 and forgets its sent messages (the start of a new FIX day; only while the gateway is stopped).';

CREATE FUNCTION @extschema@.fix_store(p_sender text, p_target text, p_next_in bigint,
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

CREATE VIEW @extschema@.fix_session_accounts AS
	SELECT s.sender_comp_id, s.target_comp_id, a.account
	  FROM @extschema@.fix_sessions s
	  JOIN pg_catalog.pg_roles sr ON sr.rolname = s.broker
	  JOIN @extschema@.accounts a ON true
	  JOIN pg_catalog.pg_roles ar ON ar.rolname = a.broker
	 WHERE pg_catalog.pg_has_role(sr.oid, ar.oid, 'MEMBER');
COMMENT ON VIEW @extschema@.fix_session_accounts IS
	'The accounts each FIX session may trade: those whose broker role its broker role is (or is a member of), as submit_order checks current_user.';

CREATE FUNCTION @extschema@.fix_open_orders()
RETURNS TABLE (sender_comp_id text, order_id bigint, client_order_id text, account text,
	symbol text, side @extschema@.side, order_type @extschema@.order_type,
	time_in_force @extschema@.time_in_force, price bigint, quantity bigint, filled bigint,
	remaining bigint, px_qty bigint, as_of_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH pos AS (SELECT coalesce(max(st.last_seq), 0) AS as_of FROM @extschema@.streams st),
	o AS (
		SELECT j.detail->>'fix_session' AS sender, j.seq AS order_id, j.client_order_id,
			   j.account, j.symbol, j.side, j.order_type, j.time_in_force, j.price
		  FROM @extschema@.journal j
		 WHERE j.kind = 'new_order' AND j.idx = 0 AND j.detail->>'fix_session' IS NOT NULL
	)
	SELECT o.sender, o.order_id, o.client_order_id, o.account, o.symbol, o.side,
		   o.order_type, o.time_in_force, coalesce(am.price, o.price),
		   f.filled + last.remaining, f.filled, last.remaining, f.px_qty, pos.as_of
	  FROM o CROSS JOIN pos
	  CROSS JOIN LATERAL (
		SELECT e.kind, CASE WHEN e.order_id = o.order_id THEN e.remaining
							ELSE e.contra_remaining END AS remaining
		  FROM @extschema@.journal e
		 WHERE (e.order_id = o.order_id OR e.contra_order_id = o.order_id) AND e.idx > 0
		 ORDER BY e.seq DESC, e.idx DESC LIMIT 1) last
	  CROSS JOIN LATERAL (
		SELECT coalesce(sum(t.quantity), 0)::bigint AS filled,
			   coalesce(sum(t.price * t.quantity), 0)::bigint AS px_qty
		  FROM @extschema@.journal t
		 WHERE t.kind = 'trade' AND (t.order_id = o.order_id OR t.contra_order_id = o.order_id)) f
	  LEFT JOIN LATERAL (
		SELECT a.price FROM @extschema@.journal a
		 WHERE a.kind = 'amended' AND a.order_id = o.order_id
		 ORDER BY a.seq DESC LIMIT 1) am ON true
	 WHERE last.kind IN ('accepted', 'trade', 'amended') AND last.remaining > 0
	 ORDER BY o.order_id
$$;
COMMENT ON FUNCTION @extschema@.fix_open_orders() IS
	'Orders entered through the FIX gateway (detail fix_session) that are still open, with what is filled, as of the last committed seq: the gateway''s state after a restart.';

REVOKE ALL ON @extschema@.fix_sessions, @extschema@.fix_message_blocks,
	@extschema@.fix_messages, @extschema@.fix_session_accounts FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text),
	@extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[]),
	@extschema@.fix_open_orders() FROM PUBLIC;
GRANT SELECT ON @extschema@.fix_sessions TO exchange_admin, exchange_engine, exchange_compliance,
	exchange_dba;
-- the gateway writes only through fix_store()
GRANT SELECT ON @extschema@.fix_message_blocks, @extschema@.fix_messages TO exchange_engine,
	exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.fix_session_accounts TO exchange_admin, exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text)
	TO exchange_admin;
GRANT EXECUTE ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_store_many(text[], text[], bigint[], bigint[], int[], bigint[], text[]),
	@extschema@.fix_open_orders() TO exchange_engine;
