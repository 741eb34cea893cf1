-- exchange 1.6 -> 1.7: baskets of orders and cancels through libpq.
--
-- exchange.submit_orders(order_request[]) and exchange.cancel_orders(account,
-- bigint[]) send many commands to matchd in one pipelined exchange, each
-- judged on its own, one row per command in order.  Their one current
-- definition is in sql/src/40_order_entry.sql; this is the delta.
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
