-- sql/src/70_high_availability.sql: what matchd keeps in PostgreSQL to
-- recover and fail over: its state snapshots, the stream's lease and members,
-- the lease protocol, where the order functions find the leader, and the
-- operators' view and switchover.  See docs/high-availability.md.

------------------------------------------------------------------------------
-- matchd's state snapshots: its whole state (books, order manager, wallets,
-- limits) after a seq, so that recovery replays only what follows and the
-- days before can leave the live cluster.  Written by matchd after the close.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.engine_snapshots (
	stream			int NOT NULL REFERENCES @extschema@.streams,
	seq				bigint NOT NULL CHECK (seq > 0),
	epoch			bigint NOT NULL,
	trading_day		date NOT NULL,
	taken_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	state			bytea NOT NULL,
	state_sha256	bytea NOT NULL,
	PRIMARY KEY (stream, seq)
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.engine_snapshots', '');
COMMENT ON TABLE @extschema@.engine_snapshots IS
	'matchd''s state after a committed seq (its books, order manager, wallets and limits, in matchd''s own format), written by matchd after each close through save_snapshot().  Recovery loads the latest one and replays only the commands after it; archived days before it may then leave the cluster.';
COMMENT ON COLUMN @extschema@.engine_snapshots.stream IS 'Stream whose state this is.';
COMMENT ON COLUMN @extschema@.engine_snapshots.seq IS 'The state is the one after this committed seq.';
COMMENT ON COLUMN @extschema@.engine_snapshots.epoch IS 'Epoch of the writer that saved it.';
COMMENT ON COLUMN @extschema@.engine_snapshots.trading_day IS 'Trading day of seq.';
COMMENT ON COLUMN @extschema@.engine_snapshots.taken_at IS 'When it was saved.';
COMMENT ON COLUMN @extschema@.engine_snapshots.state IS 'The serialized state (matchd''s format; opaque to SQL).';
COMMENT ON COLUMN @extschema@.engine_snapshots.state_sha256 IS 'SHA-256 of state, checked by save_snapshot and by matchd when it loads it.';
COMMENT ON INDEX @extschema@.engine_snapshots_pkey IS 'One snapshot per stream and seq; recovery reads the latest.';

CREATE FUNCTION @extschema@.save_snapshot(p_stream int, p_epoch bigint, p_seq bigint, p_state bytea)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		@extschema@.streams;
	day		date;
	old		bytea;
BEGIN
	IF p_stream IS NULL OR p_epoch IS NULL OR p_seq IS NULL OR p_state IS NULL THEN
		RAISE EXCEPTION 'save_snapshot: arguments must not be NULL' USING ERRCODE = '22004';
	END IF;
	-- against appends and take-overs: the epoch checked is the one in force
	SELECT * INTO s FROM @extschema@.streams WHERE stream = p_stream FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'stream % does not exist', p_stream USING ERRCODE = 'PX004';
	END IF;
	IF p_epoch <> s.epoch THEN
		RAISE EXCEPTION 'stale epoch % for stream "%": the stream is at epoch %', p_epoch, s.name, s.epoch
			USING ERRCODE = 'PX001', DETAIL = 'Only the current writer saves snapshots.';
	END IF;
	IF p_seq < 1 OR p_seq > s.last_seq THEN
		RAISE EXCEPTION 'seq % of stream "%" is not committed (last seq %)', p_seq, s.name, s.last_seq
			USING ERRCODE = '22023';
	END IF;
	SELECT j.trading_day INTO day FROM @extschema@.journal_history j
	 WHERE j.stream = p_stream AND j.seq = p_seq AND j.idx = 0;
	SELECT e.state INTO old FROM @extschema@.engine_snapshots e
	 WHERE e.stream = p_stream AND e.seq = p_seq;
	IF FOUND THEN
		-- the state after a seq is a function of the journal: a second snapshot
		-- of it must be the same bytes
		IF old <> p_state THEN
			RAISE EXCEPTION 'snapshot of stream "%" at seq % differs from the one saved before', s.name, p_seq
				USING ERRCODE = 'PX007',
					  DETAIL = 'Replay is not deterministic, or the state format changed without a new version.';
		END IF;
		RETURN;
	END IF;
	INSERT INTO @extschema@.engine_snapshots (stream, seq, epoch, trading_day, state, state_sha256)
	VALUES (p_stream, p_seq, p_epoch, day, p_state, pg_catalog.sha256(p_state));
END
$$;
COMMENT ON FUNCTION @extschema@.save_snapshot(int, bigint, bigint, bytea) IS
	'Saves matchd''s state after committed seq p_seq (the engine''s, called by matchd after a close).  22004 NULL argument, PX004 unknown stream, PX001 stale epoch, 22023 seq not committed, PX007 a different state was saved for the same seq before (saving the same bytes again does nothing).';

CREATE FUNCTION @extschema@.latest_snapshot(p_stream int, p_at_most_seq bigint DEFAULT NULL)
RETURNS TABLE (seq bigint, epoch bigint, trading_day date, state bytea, state_sha256 bytea)
LANGUAGE sql STABLE ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.seq, e.epoch, e.trading_day, e.state, e.state_sha256
	  FROM @extschema@.engine_snapshots e
	 WHERE e.stream = p_stream AND (p_at_most_seq IS NULL OR e.seq <= p_at_most_seq)
	 ORDER BY e.seq DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.latest_snapshot(int, bigint) IS
	'The latest snapshot of a stream at or before seq p_at_most_seq (NULL: the latest of all); no row when there is none.  matchd''s recovery starts from it.';

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA exchange_archive FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exchange_archive FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.is_staff()
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.journal_history, exchange_archive.journal
	TO exchange_engine, exchange_compliance, exchange_dba;
GRANT SELECT ON @extschema@.engine_snapshots TO exchange_engine, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.save_snapshot(int, bigint, bigint, bytea),
	@extschema@.latest_snapshot(int, bigint)
	TO exchange_engine;
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
