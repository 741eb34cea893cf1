-- Exact conversions between numeric prices and integer ticks.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT exchange.price_to_ticks(101.25, 0.01) AS ticks,
       exchange.price_to_ticks(101.2500, 0.01) AS trailing_zeros,
       exchange.price_to_ticks(0, 0.01) AS zero,
       exchange.price_to_ticks(-3.5, 0.5) AS negative,
       exchange.price_to_ticks(1000, 5) AS coarse_tick,
       exchange.price_to_ticks(0.0001, 0.0001) AS sub_cent;
SELECT exchange.ticks_to_price(10125, 0.01) AS price,
       exchange.ticks_to_price(0, 0.05) AS zero,
       exchange.ticks_to_price(-7, 0.5) AS negative,
       exchange.ticks_to_price(9223372036854775807, 1) AS max_ticks;

-- round trip over a range of prices and tick sizes
SELECT count(*) AS round_trips_ok
  FROM generate_series(-1000, 100000, 37) t, (VALUES (0.01), (0.05), (0.0001), (1), (25)) s(tick)
 WHERE exchange.price_to_ticks(exchange.ticks_to_price(t, tick), tick) = t;

-- off-grid prices are errors, never rounded
SELECT pg_temp.try('SELECT exchange.price_to_ticks(101.255, 0.01)');
SELECT pg_temp.try('SELECT exchange.price_to_ticks(10.03, 0.05)');
SELECT pg_temp.try('SELECT exchange.price_to_ticks(1, 0.3)');
-- bad tick sizes and prices
SELECT pg_temp.try('SELECT exchange.price_to_ticks(1, 0)');
SELECT pg_temp.try('SELECT exchange.price_to_ticks(1, -0.01)');
SELECT pg_temp.try($$SELECT exchange.price_to_ticks(1, 'NaN')$$);
SELECT pg_temp.try($$SELECT exchange.price_to_ticks('NaN', 0.01)$$);
SELECT pg_temp.try($$SELECT exchange.price_to_ticks('Infinity', 0.01)$$);
SELECT pg_temp.try($$SELECT exchange.ticks_to_price(1, 'Infinity')$$);
SELECT pg_temp.try('SELECT exchange.price_to_ticks(1e30, 0.01)');
-- NULL in, NULL out
SELECT exchange.price_to_ticks(NULL, 0.01) IS NULL AS null_price;
