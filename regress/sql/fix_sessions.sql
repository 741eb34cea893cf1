-- The FIX gateway's tables and functions (1.7): sessions administered by
-- exchange_admin, the gateway's write-behind store of sequence numbers and
-- sent messages (a reset forgets later ones), the accounts a session may
-- trade (membership counts, as for submit_order), and the orders the
-- gateway's sessions left open, rebuilt from the journal.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE ROLE fix_broker_a LOGIN IN ROLE exchange_broker;
CREATE ROLE fix_desk_a LOGIN IN ROLE fix_broker_a;
CREATE ROLE fix_not_broker LOGIN;
CREATE ROLE fix_admin IN ROLE exchange_admin;

-- only brokers, and only by exchange_admin
SELECT pg_temp.try($$SELECT exchange.fix_add_session('NOPE', 'fix_not_broker')$$) AS not_a_broker;
SET ROLE fix_broker_a;
SELECT pg_temp.try($$SELECT exchange.fix_add_session('SELF', 'fix_broker_a')$$) AS broker_adds;
SELECT pg_temp.try($$SELECT * FROM exchange.fix_sessions$$) AS broker_reads;
RESET ROLE;
SET ROLE fix_admin;
SELECT exchange.fix_add_session('FIX_BROKER_A', 'fix_broker_a');
SELECT exchange.fix_add_session('FIX_DESK_A', 'fix_desk_a', cancel_on_disconnect => true);
SELECT pg_temp.try($$SELECT exchange.fix_add_session('bad comp id', 'fix_broker_a')$$) AS bad_comp_id;
-- again: reconfigured, not duplicated
SELECT exchange.fix_add_session('FIX_BROKER_A', 'fix_broker_a', true);
SELECT sender_comp_id, target_comp_id, broker, cancel_on_disconnect, enabled, next_in_seq, next_out_seq
  FROM exchange.fix_sessions ORDER BY 1;
SELECT pg_temp.try($$SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', 2, 2, '{1}', '{x}')$$) AS admin_stores;
SELECT pg_temp.try($$SELECT exchange.fix_store_many('{FIX_BROKER_A}', '{PGX}', '{2}', '{2}', '{0}', '{}', '{}')$$) AS admin_stores_many;
RESET ROLE;

-- the gateway's store: seqs and messages in one call; a reset drops what follows
SET ROLE exchange_engine;
SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', 4, 6, '{2,3,5}',
    ARRAY[E'8=FIX.4.4\x019=5\x0135=8\x0110=000\x01', 'b "quoted" \ back', 'c']);
SELECT seq, length(message) AS len FROM exchange.fix_messages ORDER BY seq;
-- stored as one block (a row per call, not per message)
SELECT first_seq, last_seq, seqs, cardinality(messages) AS n FROM exchange.fix_message_blocks;
SELECT next_in_seq, next_out_seq FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A';
-- a sequence reset: next out 3, messages 3 and 5 belong to the old numbering
SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', 2, 3, '{}', '{}');
SELECT seq FROM exchange.fix_messages ORDER BY seq;
SELECT first_seq, last_seq, seqs FROM exchange.fix_message_blocks;
-- messages only, numbers unchanged
SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', NULL, NULL, '{3}', '{again}');
SELECT seq, message FROM exchange.fix_messages WHERE seq = 3;
-- a block that reaches the first number written is cut there, and a number
-- given twice in one call keeps its last message
SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', NULL, NULL, '{4,6,7}', '{d,f,g}');
SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', NULL, NULL, '{6,8,8}', '{f2,h,h2}');
SELECT seq, message FROM exchange.fix_messages ORDER BY seq;
SELECT first_seq, last_seq, seqs FROM exchange.fix_message_blocks ORDER BY last_seq;
-- arrays that do not pair up change nothing
SELECT pg_temp.try($$SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', 9, 9, '{9}', '{}')$$) AS unpaired;
SELECT pg_temp.try($$SELECT exchange.fix_store('FIX_BROKER_A', 'PGX', 9, 9, '{9}', ARRAY[NULL]::text[])$$) AS null_message;
SELECT count(*) AS messages FROM exchange.fix_messages;
-- every session of a write in one call: FIX_DESK_A gets numbers and a block,
-- FIX_BROKER_A a block only (numbers unchanged)
SELECT exchange.fix_store_many('{FIX_BROKER_A,FIX_DESK_A}', '{PGX,PGX}', '{NULL,3}', '{NULL,4}',
    '{2,2}', '{9,10,2,3}', '{a9,a10,d1,d3}');
SELECT sender_comp_id, seq, message FROM exchange.fix_messages WHERE seq >= 8 OR sender_comp_id = 'FIX_DESK_A' ORDER BY 1, 2;
SELECT sender_comp_id, first_seq, last_seq, seqs FROM exchange.fix_message_blocks
 WHERE sender_comp_id = 'FIX_DESK_A' OR last_seq >= 9 ORDER BY 1, 2;
SELECT sender_comp_id, next_in_seq, next_out_seq FROM exchange.fix_sessions ORDER BY 1;
-- a reset in the same call: FIX_DESK_A's next out 3 drops seq 3
SELECT exchange.fix_store_many('{FIX_DESK_A}', '{PGX}', '{4}', '{3}', '{0}', '{}', '{}');
SELECT seq FROM exchange.fix_messages WHERE sender_comp_id = 'FIX_DESK_A' ORDER BY 1;
-- bad input changes nothing: counts that do not count the messages, a
-- repeated session, arrays that do not pair up, numbers not ascending
SELECT pg_temp.try($$SELECT exchange.fix_store_many('{FIX_BROKER_A,FIX_DESK_A}', '{PGX,PGX}', '{NULL,5}', '{NULL,5}', '{1,1}', '{20}', '{x}')$$) AS miscounted;
SELECT pg_temp.try($$SELECT exchange.fix_store_many('{FIX_DESK_A,FIX_DESK_A}', '{PGX,PGX}', '{5,6}', '{5,6}', '{0,0}', '{}', '{}')$$) AS repeated;
SELECT pg_temp.try($$SELECT exchange.fix_store_many('{FIX_DESK_A}', '{PGX}', '{5}', '{5}', '{2}', '{20,21}', '{x}')$$) AS unpaired;
SELECT pg_temp.try($$SELECT exchange.fix_store_many('{FIX_DESK_A}', '{PGX}', '{5}', '{5}', '{2}', '{21,20}', '{x,y}')$$) AS not_ascending;
SELECT count(*) AS messages FROM exchange.fix_messages;
SELECT sender_comp_id, next_in_seq, next_out_seq FROM exchange.fix_sessions ORDER BY 1;
SELECT next_in_seq, next_out_seq FROM exchange.fix_sessions WHERE sender_comp_id = 'FIX_BROKER_A';
RESET ROLE;

-- the accounts a session trades: its broker's, and a desk's broker's (membership)
INSERT INTO exchange.streams (name) VALUES ('fixtest');
INSERT INTO exchange.accounts (account, broker, stream, opened_seq, opened_at)
SELECT a, b, (SELECT stream FROM exchange.streams WHERE name = 'fixtest'), 1, now()
  FROM (VALUES ('FA-1', 'fix_broker_a'), ('FD-1', 'fix_desk_a'), ('OTHER-1', 'fix_not_broker')) v(a, b);
SELECT * FROM exchange.fix_session_accounts ORDER BY 1, 3;
SET ROLE fix_broker_a;
SELECT pg_temp.try($$SELECT * FROM exchange.fix_session_accounts$$) AS broker_reads_accounts;
SELECT pg_temp.try($$SELECT * FROM exchange.fix_open_orders()$$) AS broker_open_orders;
RESET ROLE;

-- no FIX orders in the journal: none open
SET ROLE exchange_engine;
SELECT count(*) AS open_fix_orders FROM exchange.fix_open_orders();
RESET ROLE;

-- disable, reset
SET ROLE fix_admin;
SELECT exchange.fix_disable_session('FIX_DESK_A');
SELECT exchange.fix_reset_session('FIX_BROKER_A');
SELECT sender_comp_id, enabled, next_in_seq, next_out_seq FROM exchange.fix_sessions ORDER BY 1;
RESET ROLE;
SELECT count(*) AS messages_after_reset FROM exchange.fix_messages;

DELETE FROM exchange.accounts WHERE stream = (SELECT stream FROM exchange.streams WHERE name = 'fixtest');
DELETE FROM exchange.streams WHERE name = 'fixtest';
DELETE FROM exchange.fix_sessions;
DROP ROLE fix_desk_a, fix_broker_a, fix_not_broker, fix_admin;
