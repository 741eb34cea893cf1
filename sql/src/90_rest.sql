-- sql/src/90_rest.sql: what the REST daemon (pgx-httpd, daemon/http/,
-- docs/rest.md) needs in PostgreSQL: its group role, the API keys that
-- exchange_admin issues (stored hashed), and the switch that lets the daemon
-- act as a broker role (SET ROLE) once it has checked that broker's password
-- or key.

------------------------------------------------------------------------------
-- The daemon's group role.  pgx-httpd logs in as a member of exchange_rest
-- (role pgx_httpd, made by scripts/httpd.sh).  exchange_rest is NOINHERIT and
-- is made a member of each broker role enabled for REST (rest_enable), so
-- the daemon may SET ROLE to that broker and nothing else: it holds none of
-- the brokers' privileges until it does.  Before a SET ROLE it may only read
-- public market data (the book's top and levels, candles, the symbols) and
-- check an API key.
------------------------------------------------------------------------------
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
