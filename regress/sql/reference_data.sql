-- Symbols and accounts are projections of accepted commands in the journal.
SET timezone = 'UTC';

SELECT stream AS s FROM exchange.take_over_stream('refdata_test') \gset

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_broker_a') THEN
        CREATE ROLE regress_broker_a LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_broker_b') THEN
        CREATE ROLE regress_broker_b LOGIN IN ROLE exchange_broker;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_trader_a') THEN
        CREATE ROLE regress_trader_a LOGIN IN ROLE regress_broker_a;
    END IF;
END $$;

SELECT exchange.append_batch(:s, 1, 1, exchange.encode_batch(ARRAY[
    exchange.make_record(1, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'ACME',
        detail => '{"tick_size": "0.05", "lot_size": 10, "currency": "EUR", "reference_price": "12.50", "description": "Acme Corp"}'),
    exchange.make_record(1, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'ACME'),
    exchange.make_record(2, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'BETA',
        detail => '{"tick_size": "0.01"}'),
    exchange.make_record(2, 1, 'accepted', '2026-11-23 13:00+00', symbol => 'BETA'),
    -- the engine refused this one: no projection
    exchange.make_record(3, 0, 'add_symbol', '2026-11-23 13:00+00', symbol => 'ACME',
        detail => '{"tick_size": "1"}'),
    exchange.make_record(3, 1, 'rejected', '2026-11-23 13:00+00', symbol => 'ACME',
        reason => 'duplicate_symbol'),
    exchange.make_record(4, 0, 'open_account', '2026-11-23 13:01+00', account => 'ra-1',
        detail => '{"broker": "regress_broker_a", "kyc_status": "verified"}'),
    exchange.make_record(4, 1, 'accepted', '2026-11-23 13:01+00', account => 'ra-1'),
    exchange.make_record(5, 0, 'open_account', '2026-11-23 13:01+00', account => 'ra-2',
        detail => '{"broker": "regress_broker_a"}'),
    exchange.make_record(5, 1, 'accepted', '2026-11-23 13:01+00', account => 'ra-2'),
    exchange.make_record(6, 0, 'open_account', '2026-11-23 13:01+00', account => 'rb-1',
        detail => '{"broker": "regress_broker_b"}'),
    exchange.make_record(6, 1, 'accepted', '2026-11-23 13:01+00', account => 'rb-1'),
    exchange.make_record(7, 0, 'halt', '2026-11-23 13:02+00', symbol => 'BETA'),
    exchange.make_record(7, 1, 'accepted', '2026-11-23 13:02+00', symbol => 'BETA')]));

SELECT symbol, tick_size, lot_size, currency, reference_price, description, status,
       listed_seq, listed_at
  FROM exchange.symbols WHERE stream = :s ORDER BY symbol;
SELECT account, broker, kyc_status, opened_seq FROM exchange.accounts
 WHERE stream = :s ORDER BY account;

SELECT exchange.append_batch(:s, 1, 8, exchange.encode_batch(ARRAY[
    exchange.make_record(8, 0, 'resume', '2026-11-23 13:03+00', symbol => 'BETA'),
    exchange.make_record(8, 1, 'accepted', '2026-11-23 13:03+00', symbol => 'BETA')]));
SELECT symbol, status FROM exchange.symbols WHERE stream = :s ORDER BY symbol;

-- prices of the journal in numeric, through the symbol's tick size
SELECT exchange.append_batch(:s, 1, 9, exchange.encode_batch(ARRAY[
    exchange.make_record(9, 0, 'new_order', '2026-11-23 14:30+00', symbol => 'ACME',
        account => 'ra-1', order_id => 1, side => 'buy', order_type => 'limit',
        time_in_force => 'day', price => 251, quantity => 10)]));
SELECT seq, symbol, price, price_numeric, currency FROM exchange.journal_prices
 WHERE stream = :s AND kind = 'new_order';

-- row-level security: a broker sees its own accounts, a member of the broker's
-- role sees them too, and another broker sees none of them
SET ROLE regress_broker_a;
SELECT account FROM exchange.accounts ORDER BY account;
SELECT count(*) AS symbols_visible FROM exchange.symbols WHERE symbol IN ('ACME', 'BETA');
RESET ROLE;
SET ROLE regress_trader_a;
SELECT account FROM exchange.accounts ORDER BY account;
RESET ROLE;
SET ROLE regress_broker_b;
SELECT account FROM exchange.accounts ORDER BY account;
RESET ROLE;

-- conversions for a listed symbol use its tick size
SELECT exchange.to_ticks('ACME', 12.55) AS acme_ticks, exchange.to_price('ACME', 251) AS acme_price,
       exchange.to_ticks('BETA', 12.55) AS beta_ticks;
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.try($$SELECT exchange.to_ticks('ACME', 12.52)$$) AS off_tick;
SELECT pg_temp.try($$SELECT exchange.to_ticks('NOPE', 1)$$) AS unknown_symbol;
SELECT pg_temp.try($$SELECT exchange.to_price('NOPE', 1)$$) AS unknown_symbol_price;
