-- exchange 1.6 -> 1.7: the FIX 4.4 gateway (gatewayd, docs/fix.md), and
-- baskets of orders and cancels through libpq.
--
-- FIX sessions administered by exchange_admin (SenderCompID/TargetCompID ->
-- broker role, cancel on disconnect, next sequence numbers), the gateway's
-- store of sent messages for ResendRequest across restarts, the accounts a
-- session may trade, and the orders its sessions left open: the same objects
-- as sql/src/45_fix_gateway.sql.
--
-- exchange.submit_orders(order_request[]) and exchange.cancel_orders(account,
-- bigint[]) send many commands to matchd in one pipelined exchange, each
-- judged on its own, one row per command in order; their one current
-- definition is in sql/src/40_order_entry.sql.
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.7'" to load this file. \quit

CREATE TYPE @extschema@.order_request AS (
	account			text,
	symbol			text,
	side			@extschema@.side,
	quantity		bigint,
	price			numeric,
	order_type		@extschema@.order_type,
	time_in_force	@extschema@.time_in_force,
	client_order_id	text
);
COMMENT ON TYPE @extschema@.order_request IS
	'One order of a basket for exchange.submit_orders: the arguments of exchange.submit_order; a NULL order_type is limit, a NULL time_in_force day.';

CREATE FUNCTION @extschema@.submit_orders(orders @extschema@.order_request[])
RETURNS TABLE (ordinal int, id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text,
	sqlstate text, message text)
AS 'MODULE_PATHNAME', 'exchange_submit_orders'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.submit_orders(@extschema@.order_request[]) IS
	'Sends a basket of new orders (at most 1,000,000) for accounts of the calling role to matchd in one pipelined exchange and returns one row per order, in order (ordinal from 1): as exchange.submit_order would return it, with sqlstate 00000; or, for an order refused by the argument checks, matchd or the order manager, status rejected, no id, its SQLSTATE and message (PX041 when its fate is unknown: look it up by client_order_id).  Each order is judged on its own and sequenced in the basket''s order; one refusal never stops the others.  Not transactional.  Errors of the whole call: 22004 (NULL array), 2202E (more than one dimension), 54000 (too many orders).';

CREATE FUNCTION @extschema@.cancel_orders(account text, order_ids bigint[])
RETURNS TABLE (ordinal int, id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status @extschema@.order_status, reject_reason text,
	sqlstate text, message text)
AS 'MODULE_PATHNAME', 'exchange_cancel_orders'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.cancel_orders(text, bigint[]) IS
	'Cancels many open orders of one account of the calling role in one pipelined exchange with matchd; one row per id, in order, as exchange.submit_orders returns them (PX030 for an id that is not an open order of the account).  Not transactional.  Errors of the whole call: 22004, 42501 (not the caller''s account), 2202E, 54000.';

REVOKE ALL ON FUNCTION @extschema@.submit_orders(@extschema@.order_request[]),
	@extschema@.cancel_orders(text, bigint[])
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.submit_orders(@extschema@.order_request[]),
	@extschema@.cancel_orders(text, bigint[])
	TO exchange_broker;


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
COMMENT ON COLUMN @extschema@.fix_sessions.next_out_seq IS 'MsgSeqNum of the gateway''s next message to the counterparty (written behind by the gateway).';
COMMENT ON COLUMN @extschema@.fix_sessions.created_at IS 'When the session was configured.';
COMMENT ON COLUMN @extschema@.fix_sessions.updated_at IS 'When the gateway last wrote its sequence numbers.';

CREATE TABLE @extschema@.fix_messages (
	sender_comp_id	text NOT NULL,
	target_comp_id	text NOT NULL,
	seq				bigint NOT NULL CHECK (seq >= 1),
	message			text NOT NULL,
	stored_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (sender_comp_id, target_comp_id, seq),
	FOREIGN KEY (sender_comp_id, target_comp_id)
		REFERENCES @extschema@.fix_sessions ON DELETE CASCADE
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fix_messages', '');
COMMENT ON TABLE @extschema@.fix_messages IS
	'Application messages the gateway sent on each session, by MsgSeqNum, as sent (SOH-separated tag=value): a ResendRequest is answered from here after a gateway restart.';
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
	DELETE FROM @extschema@.fix_messages m
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
BEGIN
	IF p_next_out IS NOT NULL THEN
		-- what was sent at or after the next number belongs to a session before a reset
		DELETE FROM @extschema@.fix_messages
		 WHERE sender_comp_id = p_sender AND target_comp_id = p_target AND seq >= p_next_out
		   AND seq <> ALL (coalesce(p_seqs, '{}'));
	END IF;
	INSERT INTO @extschema@.fix_messages (sender_comp_id, target_comp_id, seq, message)
	SELECT p_sender, p_target, s, m FROM unnest(p_seqs, p_messages) AS u(s, m)
	ON CONFLICT (sender_comp_id, target_comp_id, seq) DO UPDATE
		SET message = EXCLUDED.message, stored_at = EXCLUDED.stored_at;
	IF p_next_in IS NOT NULL THEN
		UPDATE @extschema@.fix_sessions
		   SET next_in_seq = p_next_in, next_out_seq = p_next_out, updated_at = now()
		 WHERE sender_comp_id = p_sender AND target_comp_id = p_target;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]) IS
	'The gateway''s write-behind: a session''s next sequence numbers (NULL: unchanged) and the application messages it sent, in one call.';

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

REVOKE ALL ON @extschema@.fix_sessions, @extschema@.fix_messages,
	@extschema@.fix_session_accounts FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text),
	@extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_open_orders() FROM PUBLIC;
GRANT SELECT ON @extschema@.fix_sessions TO exchange_admin, exchange_engine, exchange_compliance,
	exchange_dba;
GRANT SELECT ON @extschema@.fix_messages TO exchange_engine, exchange_compliance, exchange_dba;
-- the gateway's store appends messages with COPY (fix_store() deletes and numbers)
GRANT INSERT (sender_comp_id, target_comp_id, seq, message) ON @extschema@.fix_messages TO exchange_engine;
GRANT SELECT ON @extschema@.fix_session_accounts TO exchange_admin, exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.fix_add_session(text, regrole, boolean, text),
	@extschema@.fix_disable_session(text, text), @extschema@.fix_reset_session(text, text)
	TO exchange_admin;
GRANT EXECUTE ON FUNCTION @extschema@.fix_store(text, text, bigint, bigint, bigint[], text[]),
	@extschema@.fix_open_orders() TO exchange_engine;
