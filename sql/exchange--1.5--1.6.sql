-- exchange 1.5 -> 1.6: high availability of matchd.
--
-- A leader lease per stream, held in PostgreSQL (no consensus of our own):
-- the leader renews it from a heartbeat, a hot standby polls it and takes the
-- stream over (epoch + 1) once it lapses.  The epoch stays the fencing token:
-- append_batch refuses a stale epoch, so a deposed leader can commit nothing
-- and hence acknowledge nothing, whatever the lease says.  The lease decides
-- only who should lead (liveness); the epoch guarantees that one does
-- (safety).  The leader's endpoint is recorded with the lease so that the
-- order functions find it; operators read the leader and the standbys' lag
-- and ask for a clean switchover.  Brokers look an order up by their own
-- client_order_id after a failover left its fate unknown.
\echo Use "ALTER EXTENSION exchange UPDATE TO '1.6'" to load this file. \quit

------------------------------------------------------------------------------
-- The lease and the members.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.stream_leases (
	stream					int PRIMARY KEY REFERENCES @extschema@.streams,
	node					text NOT NULL,
	endpoint				text NOT NULL,
	epoch					bigint NOT NULL,
	leading_since			timestamptz NOT NULL,
	renewed_at				timestamptz NOT NULL,
	expires_at				timestamptz NOT NULL,
	lease_ms				int NOT NULL CHECK (lease_ms BETWEEN 50 AND 600000),
	holder_pid				int NOT NULL,
	holder_backend_start	timestamptz NOT NULL,
	handover_to				text,
	released_at				timestamptz
);
COMMENT ON TABLE @extschema@.stream_leases IS
	'The leader lease of each stream: which matchd node should lead it, at which epoch, until when.  Written only by acquire_lease, renew_lease, release_lease and request_switchover.  The lease is for liveness; safety is the epoch, which append_batch checks.';
COMMENT ON COLUMN @extschema@.stream_leases.stream IS 'The stream led.';
COMMENT ON COLUMN @extschema@.stream_leases.node IS 'Node name of the leading matchd (matchd --node).';
COMMENT ON COLUMN @extschema@.stream_leases.endpoint IS 'Where the leader serves the order functions: the path of its Unix socket (matchd --socket).  The extension connects there when exchange.matchd_socket is empty.';
COMMENT ON COLUMN @extschema@.stream_leases.epoch IS 'The stream epoch the leader acquired with the lease (its fencing token).';
COMMENT ON COLUMN @extschema@.stream_leases.leading_since IS 'When this node acquired the lease (database clock).';
COMMENT ON COLUMN @extschema@.stream_leases.renewed_at IS 'The last heartbeat (database clock).';
COMMENT ON COLUMN @extschema@.stream_leases.expires_at IS 'The lease lapses at this time unless renewed (database clock; the nodes'' clocks are never compared).';
COMMENT ON COLUMN @extschema@.stream_leases.lease_ms IS 'Length of the lease in milliseconds (matchd --lease-ms).';
COMMENT ON COLUMN @extschema@.stream_leases.holder_pid IS 'Backend pid of the session that last acquired or renewed the lease: when that session ends (the leader died and its connection closed), the lease is open at once, without waiting for expires_at.';
COMMENT ON COLUMN @extschema@.stream_leases.holder_backend_start IS 'Start time of that backend, so that a reused pid is not taken for it.';
COMMENT ON COLUMN @extschema@.stream_leases.handover_to IS 'A switchover asked for by an operator: the node the leader hands over to (NULL: none).';
COMMENT ON COLUMN @extschema@.stream_leases.released_at IS 'When the leader released the lease (clean stop or switchover); NULL while held.';

CREATE TABLE @extschema@.stream_members (
	stream			int NOT NULL REFERENCES @extschema@.streams,
	node			text NOT NULL,
	role			text NOT NULL CHECK (role IN ('leader', 'standby')),
	endpoint		text NOT NULL,
	applied_seq		bigint NOT NULL CHECK (applied_seq >= 0),
	apply_delay_ms	int,
	started_at		timestamptz NOT NULL,
	heartbeat_at	timestamptz NOT NULL,
	backend_pid		int NOT NULL,
	backend_start	timestamptz NOT NULL,
	PRIMARY KEY (stream, node)
);
COMMENT ON TABLE @extschema@.stream_members IS
	'Every matchd node of a stream as it last reported itself (report_member, every heartbeat): role, the seq its state has applied, its apply delay.  exchange.matchd_nodes() adds lag and liveness.';
COMMENT ON COLUMN @extschema@.stream_members.stream IS 'The stream.';
COMMENT ON COLUMN @extschema@.stream_members.node IS 'Node name (matchd --node).';
COMMENT ON COLUMN @extschema@.stream_members.role IS 'leader or standby, as the node last reported.';
COMMENT ON COLUMN @extschema@.stream_members.endpoint IS 'The node''s socket path (where it serves once it leads).';
COMMENT ON COLUMN @extschema@.stream_members.applied_seq IS 'The last seq the node''s in-memory state has applied.';
COMMENT ON COLUMN @extschema@.stream_members.apply_delay_ms IS 'Standby: wall-clock milliseconds from the sequencer timestamp of the newest applied record to its application (how stale the hot state was when last caught up); NULL for a leader.';
COMMENT ON COLUMN @extschema@.stream_members.started_at IS 'When the node first reported in this role.';
COMMENT ON COLUMN @extschema@.stream_members.heartbeat_at IS 'The last report (database clock).';
COMMENT ON COLUMN @extschema@.stream_members.backend_pid IS 'Backend pid of the reporting session (liveness: the session exists).';
COMMENT ON COLUMN @extschema@.stream_members.backend_start IS 'Start time of that backend.';

------------------------------------------------------------------------------
-- Internals.
------------------------------------------------------------------------------

-- Whether a backend (pid, start) still exists: the session of a process
-- that died ends as soon as the server sees its connection close.
CREATE FUNCTION @extschema@.session_alive(p_pid int, p_backend_start timestamptz)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_get_activity(p_pid) a
				   WHERE a.pid = p_pid AND a.backend_start = p_backend_start)
$$;
COMMENT ON FUNCTION @extschema@.session_alive(int, timestamptz) IS
	'Internal: true while the backend with this pid and start time exists.';

CREATE FUNCTION @extschema@.own_backend_start()
RETURNS timestamptz
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a
$$;
COMMENT ON FUNCTION @extschema@.own_backend_start() IS
	'Internal: the start time of the calling backend.';

-- The state of a lease as the database clock sees it now.
CREATE FUNCTION @extschema@.lease_state(l @extschema@.stream_leases, p_stream_epoch bigint)
RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN l.stream IS NULL THEN 'none'
		WHEN l.epoch <> p_stream_epoch THEN 'superseded'
		WHEN l.released_at IS NOT NULL THEN 'released'
		WHEN l.expires_at <= pg_catalog.clock_timestamp() THEN 'expired'
		WHEN NOT @extschema@.session_alive(l.holder_pid, l.holder_backend_start) THEN 'holder_gone'
		WHEN l.handover_to IS NOT NULL THEN 'handing_over'
		ELSE 'held' END
$$;
COMMENT ON FUNCTION @extschema@.lease_state(@extschema@.stream_leases, bigint) IS
	'Internal: none, held, handing_over (held; a switchover was asked for), released, expired, holder_gone (the session that renewed it ended) or superseded (the stream was taken over at another epoch, e.g. by take_over_stream).';

-- Whether acquire_lease would grant p_node the lease now.
CREATE FUNCTION @extschema@.lease_open_to(l @extschema@.stream_leases, p_stream_epoch bigint,
	p_node text)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN l.stream IS NULL THEN true
		-- a switchover reserves the released lease for its target for one lease period
		WHEN l.released_at IS NOT NULL AND l.handover_to IS NOT NULL
			 AND l.epoch = p_stream_epoch AND p_node <> l.handover_to
			 AND pg_catalog.clock_timestamp() < l.released_at + l.lease_ms * interval '1 ms'
			THEN false
		WHEN l.node = p_node THEN true
		ELSE @extschema@.lease_state(l, p_stream_epoch) NOT IN ('held', 'handing_over') END
$$;
COMMENT ON FUNCTION @extschema@.lease_open_to(@extschema@.stream_leases, bigint, text) IS
	'Internal: the lease may be acquired by p_node now: there is none, it is p_node''s own, or it was released, expired, lost its holder''s session or was superseded; a lease released for a switchover stays reserved to its target for one lease period.';

CREATE FUNCTION @extschema@.check_node(p_node text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_node IS NULL OR p_node !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$' THEN
		RAISE EXCEPTION '%: invalid node name "%"', p_what, p_node
			USING ERRCODE = '22023',
				  HINT = 'A node name is 1 to 63 letters, digits, "_", ".", ":" or "-", starting with a letter or digit.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_node(text, text) IS
	'Internal: raises 22023 unless p_node is a valid matchd node name.';

------------------------------------------------------------------------------
-- The lease protocol (matchd, as exchange_engine).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.acquire_lease(p_name text, p_node text, p_endpoint text,
	p_lease_ms int, OUT stream int, OUT epoch bigint, OUT last_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	@extschema@.streams;
	l	@extschema@.stream_leases;
BEGIN
	PERFORM @extschema@.check_node(p_node, 'acquire_lease');
	IF p_endpoint IS NULL OR p_endpoint = '' OR octet_length(p_endpoint) > 107 THEN
		RAISE EXCEPTION 'acquire_lease: the endpoint must be a Unix socket path of 1 to 107 bytes'
			USING ERRCODE = '22023';
	END IF;
	IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 50 AND 600000 THEN
		RAISE EXCEPTION 'acquire_lease: lease_ms must be between 50 and 600000, not %', p_lease_ms
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.streams (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
	-- the sequencer row first, as append_batch locks it: take-overs and appends serialize
	SELECT * INTO s FROM @extschema@.streams st WHERE st.name = p_name FOR UPDATE;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = s.stream FOR UPDATE;
	IF NOT @extschema@.lease_open_to(l, s.epoch, p_node) THEN
		IF l.released_at IS NOT NULL THEN
			RAISE EXCEPTION 'stream "%" is reserved for node "%" by a switchover', p_name, l.handover_to
				USING ERRCODE = 'PX008',
					  DETAIL = pg_catalog.format('Node %s released the lease at %s; node %s may take it first, for %s ms.',
												 l.node, l.released_at, l.handover_to, l.lease_ms);
		END IF;
		RAISE EXCEPTION 'stream "%" is led by node "%" at epoch % under a lease', p_name, l.node, l.epoch
			USING ERRCODE = 'PX008',
				  DETAIL = pg_catalog.format('The lease is %s until %s; it was last renewed at %s.',
											 @extschema@.lease_state(l, s.epoch), l.expires_at, l.renewed_at),
				  HINT = 'A standby takes over when the lease lapses; exchange.switchover() hands it over cleanly.';
	END IF;

	UPDATE @extschema@.streams st
	   SET epoch = st.epoch + 1,
		   writer = pg_catalog.format('%s node %s pid %s', pg_catalog.current_setting('application_name'),
									  p_node, pg_catalog.pg_backend_pid()),
		   taken_over_at = pg_catalog.now()
	 WHERE st.stream = s.stream
	RETURNING st.stream, st.epoch, st.last_seq INTO stream, epoch, last_seq;

	INSERT INTO @extschema@.stream_leases AS sl VALUES
		(stream, p_node, p_endpoint, epoch, pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(),
		 pg_catalog.clock_timestamp() + p_lease_ms * interval '1 ms', p_lease_ms,
		 pg_catalog.pg_backend_pid(), @extschema@.own_backend_start(), NULL, NULL)
	ON CONFLICT ON CONSTRAINT stream_leases_pkey DO UPDATE
		SET node = excluded.node, endpoint = excluded.endpoint, epoch = excluded.epoch,
			leading_since = excluded.leading_since, renewed_at = excluded.renewed_at,
			expires_at = excluded.expires_at, lease_ms = excluded.lease_ms,
			holder_pid = excluded.holder_pid, holder_backend_start = excluded.holder_backend_start,
			handover_to = NULL, released_at = NULL;
	-- the new leader is the leader member now; others read it from the lease
	PERFORM @extschema@.report_member(stream, p_node, 'leader', p_endpoint, last_seq, NULL);
	PERFORM pg_catalog.pg_notify('exchange_lease',
		pg_catalog.json_build_object('stream', stream, 'node', p_node, 'epoch', epoch,
									 'endpoint', p_endpoint)::text);
END
$$;
COMMENT ON FUNCTION @extschema@.acquire_lease(text, text, text, int) IS
	'matchd becoming the leader of a stream (created on first use): when the lease is open to p_node (none; its own; released, expired, its holder''s session gone, or superseded; a switchover''s target first), increments the stream''s epoch (fencing off the previous writer, as take_over_stream does) and records the lease (node, endpoint, lease_ms from now, the calling session as the holder).  Returns the stream, the new epoch and the last committed seq to catch up to.  PX008 when another node holds the lease; 22023 for a bad node name, endpoint or lease_ms.  Notifies exchange_lease on commit.';

CREATE FUNCTION @extschema@.renew_lease(p_stream int, p_node text, p_epoch bigint,
	p_lease_ms int, OUT expires_at timestamptz, OUT handover_to text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l			@extschema@.stream_leases;
	s_epoch		bigint;
	s_name		text;
BEGIN
	IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 50 AND 600000 THEN
		RAISE EXCEPTION 'renew_lease: lease_ms must be between 50 and 600000, not %', p_lease_ms
			USING ERRCODE = '22023';
	END IF;
	SELECT st.epoch, st.name INTO s_epoch, s_name FROM @extschema@.streams st WHERE st.stream = p_stream;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = p_stream FOR UPDATE;
	IF l.stream IS NULL OR l.node IS DISTINCT FROM p_node OR l.epoch <> p_epoch
	   OR s_epoch <> p_epoch OR l.released_at IS NOT NULL THEN
		RAISE EXCEPTION 'node "%" no longer leads stream "%": the lease is node "%"''s at epoch %, the stream at epoch %',
			p_node, coalesce(s_name, p_stream::text), l.node, l.epoch, s_epoch
			USING ERRCODE = 'PX001',
				  DETAIL = 'Another node took the stream over; this one is fenced off and must stop.';
	END IF;
	-- renewing after expiry is fine while nobody took the stream over: the epoch is unchanged
	UPDATE @extschema@.stream_leases sl
	   SET renewed_at = pg_catalog.clock_timestamp(),
		   expires_at = pg_catalog.clock_timestamp() + p_lease_ms * interval '1 ms',
		   lease_ms = p_lease_ms, holder_pid = pg_catalog.pg_backend_pid(),
		   holder_backend_start = @extschema@.own_backend_start()
	 WHERE sl.stream = p_stream
	RETURNING sl.expires_at, sl.handover_to INTO expires_at, handover_to;
END
$$;
COMMENT ON FUNCTION @extschema@.renew_lease(int, text, bigint, int) IS
	'The leader''s heartbeat: extends its lease to lease_ms from now and makes the calling session the holder''s (its end opens the lease at once).  PX001 when the lease is no longer (p_node, p_epoch): the caller was fenced off and must stop.  Returns the new expiry and handover_to, the node an operator asked to hand over to (NULL: none).';

CREATE FUNCTION @extschema@.release_lease(p_stream int, p_node text, p_epoch bigint)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE @extschema@.stream_leases sl
	   SET released_at = pg_catalog.clock_timestamp(), expires_at = pg_catalog.clock_timestamp()
	 WHERE sl.stream = p_stream AND sl.node = p_node AND sl.epoch = p_epoch
	   AND sl.released_at IS NULL;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM pg_catalog.pg_notify('exchange_lease',
		pg_catalog.json_build_object('stream', p_stream, 'node', p_node, 'epoch', p_epoch,
									 'released', true)::text);
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.release_lease(int, text, bigint) IS
	'The leader giving its lease up (clean stop, or a switchover after its last commit): a standby may acquire it at once (a switchover''s target first).  False when (p_node, p_epoch) does not hold it.  Notifies exchange_lease on commit.';

CREATE FUNCTION @extschema@.lease_open(p_stream int, p_node text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.lease_open_to(l, s.epoch, p_node)
	  FROM @extschema@.streams s
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE s.stream = p_stream
$$;
COMMENT ON FUNCTION @extschema@.lease_open(int, text) IS
	'Whether acquire_lease would grant p_node the stream''s lease now (what a standby polls; NULL for an unknown stream).';

CREATE FUNCTION @extschema@.report_member(p_stream int, p_node text, p_role text,
	p_endpoint text, p_applied_seq bigint, p_apply_delay_ms int)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_node(p_node, 'report_member');
	IF p_role IS NULL OR p_role NOT IN ('leader', 'standby') THEN
		RAISE EXCEPTION 'report_member: role must be leader or standby, not %', p_role
			USING ERRCODE = '22023';
	END IF;
	IF p_applied_seq IS NULL OR p_applied_seq < 0 OR p_endpoint IS NULL THEN
		RAISE EXCEPTION 'report_member: applied_seq must be >= 0 and endpoint not NULL'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.stream_members AS m VALUES
		(p_stream, p_node, p_role, p_endpoint, p_applied_seq, p_apply_delay_ms,
		 pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(), pg_catalog.pg_backend_pid(),
		 @extschema@.own_backend_start())
	ON CONFLICT (stream, node) DO UPDATE
		SET role = excluded.role, endpoint = excluded.endpoint,
			applied_seq = excluded.applied_seq, apply_delay_ms = excluded.apply_delay_ms,
			started_at = CASE WHEN m.role = excluded.role THEN m.started_at ELSE excluded.started_at END,
			heartbeat_at = excluded.heartbeat_at, backend_pid = excluded.backend_pid,
			backend_start = excluded.backend_start;
END
$$;
COMMENT ON FUNCTION @extschema@.report_member(int, text, text, text, bigint, int) IS
	'A matchd node''s heartbeat row in stream_members: its role, endpoint, applied seq and (standby) apply delay.  22023 for a bad node name, role or seq.';

------------------------------------------------------------------------------
-- Where the order functions find the leader (every role that calls them).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.leader_endpoint(p_name text, OUT endpoint text, OUT epoch bigint,
	OUT node text, OUT lease_state text)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.endpoint, l.epoch, l.node, @extschema@.lease_state(l, s.epoch)
	  FROM @extschema@.streams s
	  JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE s.name = p_name
$$;
COMMENT ON FUNCTION @extschema@.leader_endpoint(text) IS
	'The socket of the stream''s leader with its epoch, node and lease state (no row: no matchd ever led it under a lease).  The order functions call it when exchange.matchd_socket is empty, and again after a failed connection.';

------------------------------------------------------------------------------
-- Operators: who leads, since when, at which epoch, the standbys' lag, and a
-- clean switchover.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.matchd_leader(p_name text DEFAULT NULL)
RETURNS TABLE (stream_name text, node text, endpoint text, epoch bigint,
	leading_since timestamptz, lease_expires_at timestamptz, lease_state text,
	handover_to text, last_seq bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.name, l.node, l.endpoint, s.epoch, l.leading_since, l.expires_at,
		   @extschema@.lease_state(l, s.epoch), l.handover_to, s.last_seq
	  FROM @extschema@.streams s
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE p_name IS NULL OR s.name = p_name
	 ORDER BY s.name
$$;
COMMENT ON FUNCTION @extschema@.matchd_leader(text) IS
	'Who leads each stream (or p_name): node, endpoint, the stream''s epoch, since when, the lease''s expiry and state (none, held, handing_over, released, expired, holder_gone, superseded), a switchover under way, and the last committed seq.  NULL node: no matchd has led the stream under a lease.';

CREATE FUNCTION @extschema@.matchd_nodes(p_name text DEFAULT NULL)
RETURNS TABLE (stream_name text, node text, role text, endpoint text, is_leader boolean,
	alive boolean, applied_seq bigint, lag_events bigint, lag_ms bigint,
	apply_delay_ms int, heartbeat_at timestamptz, role_since timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.name, m.node, m.role, m.endpoint,
		   coalesce(l.node = m.node AND l.epoch = s.epoch AND l.released_at IS NULL, false),
		   @extschema@.session_alive(m.backend_pid, m.backend_start),
		   m.applied_seq, greatest(s.last_seq - m.applied_seq, 0),
		   CASE WHEN m.applied_seq >= s.last_seq THEN 0
				ELSE (SELECT (extract(epoch FROM pg_catalog.clock_timestamp() - j.ts) * 1000)::bigint
						FROM @extschema@.journal j
					   WHERE j.stream = s.stream AND j.seq = m.applied_seq + 1 AND j.idx = 0
					   LIMIT 1) END,
		   m.apply_delay_ms, m.heartbeat_at, m.started_at
	  FROM @extschema@.stream_members m
	  JOIN @extschema@.streams s ON s.stream = m.stream
	  LEFT JOIN @extschema@.stream_leases l ON l.stream = s.stream
	 WHERE p_name IS NULL OR s.name = p_name
	 ORDER BY s.name, m.role, m.node
$$;
COMMENT ON FUNCTION @extschema@.matchd_nodes(text) IS
	'Every matchd node of each stream (or p_name) as last reported: role, endpoint, whether it holds the lease now, whether its reporting session is alive, its applied seq, its lag behind the stream (lag_events; lag_ms: age of the oldest committed command it has not applied, 0 when caught up, as of its last report), its apply delay, its last heartbeat and since when it has had its role.';

CREATE FUNCTION @extschema@.request_switchover(p_name text, p_to_node text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		@extschema@.streams;
	l		@extschema@.stream_leases;
	target	text;
BEGIN
	SELECT * INTO s FROM @extschema@.streams st WHERE st.name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'request_switchover: unknown stream "%"', p_name USING ERRCODE = 'PX004';
	END IF;
	SELECT * INTO l FROM @extschema@.stream_leases sl WHERE sl.stream = s.stream FOR UPDATE;
	IF @extschema@.lease_state(l, s.epoch) NOT IN ('held', 'handing_over') THEN
		RAISE EXCEPTION 'request_switchover: no matchd holds the lease of stream "%" (it is %)',
			p_name, @extschema@.lease_state(l, s.epoch)
			USING ERRCODE = 'PX009',
				  HINT = 'A standby takes over a lapsed lease by itself.';
	END IF;
	-- the target: the named node, or the most caught-up live standby
	SELECT m.node INTO target
	  FROM @extschema@.stream_members m
	 WHERE m.stream = s.stream AND m.role = 'standby' AND m.node <> l.node
	   AND (p_to_node IS NULL OR m.node = p_to_node)
	   AND @extschema@.session_alive(m.backend_pid, m.backend_start)
	 ORDER BY m.applied_seq DESC, m.heartbeat_at DESC
	 LIMIT 1;
	IF target IS NULL THEN
		RAISE EXCEPTION 'request_switchover: no live standby % to hand stream "%" over to',
			coalesce('"' || p_to_node || '"', ''), p_name
			USING ERRCODE = 'PX009',
				  HINT = 'Start matchd --standby on another node; exchange.matchd_nodes() lists them.';
	END IF;
	UPDATE @extschema@.stream_leases sl SET handover_to = target WHERE sl.stream = s.stream;
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.request_switchover(text, text) IS
	'Asks the leader of a stream to hand over to p_to_node (default: the most caught-up live standby); the leader sees it at its next heartbeat, stops taking requests, commits what it has, and releases the lease to the target.  Returns the target.  PX004 unknown stream; PX009 no lease held or no such live standby.  exchange.switchover() also waits for the new leader.';

-- No SET search_path: a procedure with one may not COMMIT; every name below is
-- qualified instead (operators resolve in pg_catalog first).
CREATE PROCEDURE @extschema@.switchover(p_name text, p_to_node text DEFAULT NULL,
	p_timeout_ms int DEFAULT 10000)
LANGUAGE plpgsql
AS $$
DECLARE
	target		text;
	old_epoch	bigint;
	started		timestamptz := pg_catalog.clock_timestamp();
	r			record;
BEGIN
	SELECT epoch INTO old_epoch FROM @extschema@.matchd_leader(p_name);
	target := @extschema@.request_switchover(p_name, p_to_node);
	COMMIT; -- the leader must see the request
	LOOP
		SELECT * INTO r FROM @extschema@.matchd_leader(p_name);
		IF r.node = target AND r.epoch > old_epoch AND r.lease_state = 'held' THEN
			RAISE NOTICE 'stream "%" is led by node "%" at epoch % after % ms', p_name, target,
				r.epoch, pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - started) * 1000);
			RETURN;
		END IF;
		IF pg_catalog.clock_timestamp() > started + p_timeout_ms * interval '1 ms' THEN
			RAISE EXCEPTION 'switchover of stream "%" to node "%" did not complete within % ms',
				p_name, target, p_timeout_ms
				USING ERRCODE = 'PX009',
					  DETAIL = pg_catalog.format('The lease is node %s''s at epoch %s (%s).',
												 r.node, r.epoch, r.lease_state);
		END IF;
		PERFORM pg_catalog.pg_sleep(0.01);
		COMMIT; -- a new snapshot for the next look
	END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.switchover(text, text, int) IS
	'A clean switchover (CALL it outside a transaction block): request_switchover(), then waits until the target leads at a new epoch, raising a NOTICE with the time it took; PX009 when it did not within p_timeout_ms.';

------------------------------------------------------------------------------
-- An order by the broker's own id: after PX041 (fate unknown) the broker
-- looks here before sending it again; matchd rejects a client_order_id the
-- account already used that trading day (PX077), never a silent duplicate.
------------------------------------------------------------------------------
CREATE INDEX journal_client_order_id ON @extschema@.journal (account, client_order_id)
	WHERE client_order_id IS NOT NULL;
COMMENT ON INDEX @extschema@.journal_client_order_id IS
	'new_order commands by account and client order id: exchange.client_order().';
CREATE INDEX ON exchange_archive.journal (account, client_order_id)
	WHERE client_order_id IS NOT NULL;

CREATE FUNCTION @extschema@.client_order(p_account text, p_client_order_id text)
RETURNS TABLE (order_id bigint, stream_name text, trading_day date, entered_at timestamptz,
	symbol text, side @extschema@.side, order_type @extschema@.order_type,
	time_in_force @extschema@.time_in_force, price numeric, quantity bigint,
	outcome text, reason text, status @extschema@.order_status, filled bigint,
	remaining bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- One order at a time: joined laterally through the security-barrier view,
-- the planner read the whole day's records (270 ms on a 60,000-record day);
-- by the order's id each lookup is an index scan.
DECLARE
	c	record;
	fe	record;
	lr	record;
BEGIN
	PERFORM @extschema@.report_arguments('client_order', NULL, false, p_account);
	FOR c IN SELECT r.stream, r.stream_name, r.order_id, r.trading_day, r.ts, r.symbol, r.side,
					r.order_type, r.time_in_force, r.price, r.quantity
			   FROM @extschema@.order_records r
			  WHERE r.account = p_account AND r.client_order_id = p_client_order_id
				AND r.kind = 'new_order' AND r.idx = 0
			  ORDER BY r.trading_day, r.order_id
	LOOP
		SELECT e.kind, e.reason INTO fe FROM @extschema@.order_records e
		 WHERE e.stream = c.stream AND e.order_id = c.order_id AND e.seq = c.order_id
		   AND e.idx = 1;
		SELECT e.status, e.remaining INTO lr FROM @extschema@.order_records e
		 WHERE e.stream = c.stream AND e.order_id = c.order_id AND e.idx > 0
		   AND e.status IS NOT NULL
		 ORDER BY e.seq DESC, e.idx DESC LIMIT 1;
		SELECT coalesce(sum(t.quantity), 0) INTO filled FROM @extschema@.order_records t
		 WHERE t.stream = c.stream AND t.order_id = c.order_id AND t.kind = 'trade';
		order_id := c.order_id;
		stream_name := c.stream_name;
		trading_day := c.trading_day;
		entered_at := c.ts;
		symbol := c.symbol;
		side := c.side;
		order_type := c.order_type;
		time_in_force := c.time_in_force;
		price := c.price;
		quantity := c.quantity;
		outcome := CASE WHEN fe.kind = 'rejected' THEN 'rejected' ELSE 'accepted' END;
		reason := fe.reason;
		status := lr.status;
		remaining := CASE WHEN lr.status = 'rejected' THEN 0 ELSE lr.remaining END;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.client_order(text, text) IS
	'The order(s) an account entered with a client_order_id (one per trading day at most: matchd rejects a reuse within a day with PX077): order id, when, what, whether the order manager accepted or rejected it (and why), its current status, filled and remaining quantity.  No row: the order was never sequenced, so it may be sent again (after a PX041, "fate unknown").  A broker may look up its own accounts only (42501 otherwise, as for an unknown account); PX021 unknown account for staff.';

------------------------------------------------------------------------------
-- Privileges.
------------------------------------------------------------------------------
REVOKE ALL ON @extschema@.stream_leases, @extschema@.stream_members FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.session_alive(int, timestamptz),
	@extschema@.own_backend_start(),
	@extschema@.lease_state(@extschema@.stream_leases, bigint),
	@extschema@.lease_open_to(@extschema@.stream_leases, bigint, text),
	@extschema@.check_node(text, text),
	@extschema@.acquire_lease(text, text, text, int),
	@extschema@.renew_lease(int, text, bigint, int),
	@extschema@.release_lease(int, text, bigint),
	@extschema@.lease_open(int, text),
	@extschema@.report_member(int, text, text, text, bigint, int),
	@extschema@.leader_endpoint(text),
	@extschema@.matchd_leader(text),
	@extschema@.matchd_nodes(text),
	@extschema@.request_switchover(text, text),
	@extschema@.client_order(text, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.switchover(text, text, int) FROM PUBLIC;

GRANT SELECT ON @extschema@.stream_leases, @extschema@.stream_members
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.acquire_lease(text, text, text, int),
	@extschema@.renew_lease(int, text, bigint, int),
	@extschema@.release_lease(int, text, bigint),
	@extschema@.lease_open(int, text),
	@extschema@.report_member(int, text, text, text, bigint, int)
	TO exchange_engine;
GRANT EXECUTE ON FUNCTION @extschema@.leader_endpoint(text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.matchd_leader(text), @extschema@.matchd_nodes(text)
	TO exchange_admin, exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.request_switchover(text, text)
	TO exchange_admin, exchange_dba;
GRANT EXECUTE ON PROCEDURE @extschema@.switchover(text, text, int)
	TO exchange_admin, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.client_order(text, text)
	TO exchange_admin, exchange_broker, exchange_compliance, exchange_dba;
