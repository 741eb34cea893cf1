-- The leader lease of a stream (1.6): who may acquire it when, renewal and
-- fencing, release, switchover requests, the members' report, and the
-- operators' view.  The lease's clock is the database's; expiry is tested
-- with a short lease and a sleep.  A dead holder is a holder_pid that no
-- backend has (the e2e tests kill a real matchd).
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- bad arguments change nothing
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'bad node!', '/tmp/a.sock', 1000)$$) AS bad_node;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'a', '', 1000)$$) AS empty_endpoint;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'a', repeat('x', 108), 1000)$$) AS long_endpoint;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'a', '/tmp/a.sock', 10)$$) AS short_lease;
SELECT count(*) AS streams_created FROM exchange.streams WHERE name = 'ha';

-- the first leader: the stream is created at epoch 1
SELECT epoch, last_seq FROM exchange.acquire_lease('ha', 'a', '/tmp/a.sock', 60000);
SELECT stream AS s FROM exchange.streams WHERE name = 'ha' \gset
SELECT node, endpoint, epoch, lease_state, handover_to FROM exchange.matchd_leader('ha');
SELECT endpoint, epoch, node, lease_state FROM exchange.leader_endpoint('ha');
-- another node may not take it while it is held
SELECT exchange.lease_open(:s, 'b') AS open_to_b, exchange.lease_open(:s, 'a') AS open_to_a;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'b', '/tmp/b.sock', 1000)$$) AS b_while_held;
SELECT epoch FROM exchange.streams WHERE name = 'ha';
-- renewal by the holder; a wrong node or epoch is fenced off (PX001)
SELECT handover_to IS NULL AS no_handover, expires_at > clock_timestamp() + interval '50 s' AS extended
  FROM exchange.renew_lease(:s, 'a', 1, 60000);
SELECT pg_temp.try($$SELECT exchange.renew_lease($$ || :s || $$, 'b', 1, 1000)$$) AS renew_by_b;
SELECT pg_temp.try($$SELECT exchange.renew_lease($$ || :s || $$, 'a', 7, 1000)$$) AS renew_wrong_epoch;
SELECT pg_temp.try($$SELECT exchange.renew_lease($$ || :s || $$, 'a', 1, 0)$$) AS renew_bad_lease_ms;

-- the holder's session is gone (the process died): open at once
UPDATE exchange.stream_leases SET holder_pid = 0 WHERE stream = :s;
SELECT lease_state FROM exchange.matchd_leader('ha');
SELECT exchange.lease_open(:s, 'b') AS open_to_b;
SELECT epoch, last_seq FROM exchange.acquire_lease('ha', 'b', '/tmp/b.sock', 50);
-- the deposed leader's heartbeat is refused
SELECT pg_temp.try($$SELECT exchange.renew_lease($$ || :s || $$, 'a', 1, 60000)$$) AS renew_deposed;
SELECT exchange.release_lease(:s, 'a', 1) AS release_by_deposed;

-- expiry: a 50 ms lease not renewed
SELECT pg_sleep(0.1);
SELECT lease_state FROM exchange.matchd_leader('ha');
SELECT exchange.lease_open(:s, 'a') AS open_to_a;
-- renewing after expiry is allowed while nobody took the stream over
SELECT expires_at > clock_timestamp() AS renewed FROM exchange.renew_lease(:s, 'b', 2, 60000);
SELECT lease_state FROM exchange.matchd_leader('ha');

-- members report; lag is measured against the stream's last seq
SELECT pg_temp.try($$SELECT exchange.report_member($$ || :s || $$, 'c', 'primary', '/tmp/c.sock', 0, NULL)$$) AS bad_role;
SELECT pg_temp.try($$SELECT exchange.report_member($$ || :s || $$, 'c', 'standby', '/tmp/c.sock', -1, NULL)$$) AS bad_seq;
SELECT exchange.report_member(:s, 'a', 'standby', '/tmp/a.sock', 0, 3);
SELECT exchange.report_member(:s, 'c', 'standby', '/tmp/c.sock', 0, 5);
SELECT stream_name, node, role, endpoint, is_leader, alive, applied_seq, lag_events, lag_ms, apply_delay_ms
  FROM exchange.matchd_nodes('ha');

-- switchover: to the most caught-up live standby, or a named one
SELECT pg_temp.try($$SELECT exchange.request_switchover('nope')$$) AS unknown_stream;
SELECT pg_temp.try($$SELECT exchange.request_switchover('ha', 'zz')$$) AS unknown_target;
UPDATE exchange.stream_members SET applied_seq = 0, heartbeat_at = heartbeat_at + interval '1 s'
 WHERE node = 'c';
SELECT exchange.request_switchover('ha') AS target;
SELECT exchange.request_switchover('ha', 'a') AS target;
SELECT lease_state, handover_to FROM exchange.matchd_leader('ha');
SELECT handover_to FROM exchange.renew_lease(:s, 'b', 2, 60000);
-- the leader releases; the lease is reserved to the target for one lease period
SELECT exchange.release_lease(:s, 'b', 2) AS released;
SELECT exchange.release_lease(:s, 'b', 2) AS released_twice;
SELECT lease_state FROM exchange.matchd_leader('ha');
SELECT exchange.lease_open(:s, 'c') AS open_to_c, exchange.lease_open(:s, 'a') AS open_to_a;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'c', '/tmp/c.sock', 1000)$$) AS c_during_reservation;
SELECT epoch, last_seq FROM exchange.acquire_lease('ha', 'a', '/tmp/a.sock', 60000);
SELECT node, endpoint, epoch, lease_state, handover_to FROM exchange.matchd_leader('ha');
SELECT node, role, is_leader FROM exchange.matchd_nodes('ha') ORDER BY node;
-- no switchover without a lease
SELECT exchange.release_lease(:s, 'a', 3) AS released;
SELECT pg_temp.try($$SELECT exchange.request_switchover('ha')$$) AS released_lease;

-- a forced take-over (take_over_stream) supersedes the lease
SELECT epoch, last_seq FROM exchange.acquire_lease('ha', 'a', '/tmp/a.sock', 60000);
SELECT epoch FROM exchange.take_over_stream('ha');
SELECT lease_state FROM exchange.matchd_leader('ha');
SELECT pg_temp.try($$SELECT exchange.renew_lease($$ || :s || $$, 'a', 4, 60000)$$) AS renew_superseded;
SELECT exchange.lease_open(:s, 'c') AS open_to_c;

-- what the roles may do
SET ROLE exchange_broker;
SELECT pg_temp.try($$SELECT * FROM exchange.leader_endpoint('ha')$$) AS broker_finds_leader;
SELECT pg_temp.try($$SELECT * FROM exchange.matchd_nodes()$$) AS broker_nodes;
SELECT pg_temp.try($$SELECT exchange.acquire_lease('ha', 'x', '/tmp/x.sock', 1000)$$) AS broker_acquires;
RESET ROLE;
SET ROLE exchange_compliance;
SELECT pg_temp.try($$SELECT * FROM exchange.matchd_leader()$$) AS compliance_reads;
SELECT pg_temp.try($$SELECT exchange.request_switchover('ha')$$) AS compliance_switches;
RESET ROLE;
SET ROLE exchange_admin;
SELECT pg_temp.try($$SELECT exchange.renew_lease(1, 'a', 1, 1000)$$) AS admin_renews;
RESET ROLE;
