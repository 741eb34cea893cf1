-- bench/two_accounts.sql: a broker role, a symbol at 100.00 and two of the
-- broker's accounts (:buyer, :seller) with cash, shares and limits no benchmark
-- can exhaust, and the market open.  psql variables: broker, symbol, buyer,
-- seller.  Used by bench/baskets.sh and bench/lone_order.sh.
SET client_min_messages = warning;
CREATE ROLE :"broker" LOGIN IN ROLE exchange_broker;
SELECT exchange.add_symbol(:'symbol', 0.01, 1, 'USD', 100.00, 'bench symbol');
SELECT exchange.open_account(a, :'broker', 'verified') FROM unnest(ARRAY[:'buyer', :'seller']) a;
SELECT exchange.deposit(a, 1000000000.00, 'USD'), exchange.credit_shares(a, :'symbol', 1000000000),
	   exchange.set_account_limits(a, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 1000000, burst => 1000000)
  FROM unnest(ARRAY[:'buyer', :'seller']) a;
SELECT exchange.open_market() WHERE NOT (SELECT is_open FROM exchange.market_status());
