-- bench/trivial_order.sql: the baseline the order benchmarks compare
-- submit_order with (scripts/bench.sh, bench/fix.sh; bench/order_load.c's
-- trivial phase calls it): the argument shape of submit_order and its result
-- row, as constants, so the ratio measures the order path and nothing of libpq
-- or the load client.  Run as the database owner once the bench broker roles
-- bench_broker_a and bench_broker_b exist.
CREATE SCHEMA bench;
CREATE FUNCTION bench.trivial_order(account text, symbol text, side text,
	quantity bigint, price numeric)
RETURNS TABLE (id bigint, creation_time timestamptz, filled_quantity bigint,
	remaining_quantity bigint, status exchange.order_status, reject_reason text)
LANGUAGE sql
AS $$ SELECT 1::bigint, '2026-11-23 14:30:00+00'::timestamptz, 0::bigint, 100::bigint,
	'new'::exchange.order_status, NULL::text $$;
GRANT USAGE ON SCHEMA bench TO bench_broker_a, bench_broker_b;
GRANT EXECUTE ON FUNCTION bench.trivial_order(text, text, text, bigint, numeric)
	TO bench_broker_a, bench_broker_b;
