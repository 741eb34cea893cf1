-- Random order flow for the end-to-end tests (psql -f): random_run(seed, n,
-- every, symbol, accounts) sends n random commands on symbol from the accounts
-- -- limit orders around 10.00 (day, gtc, ioc), cancels and amends (quantity,
-- or re-priced across the spread) of orders it placed -- and, when every > 0,
-- inserts a live L3 snapshot into public.snaps after every `every` of them.
CREATE TABLE public.snaps (side exchange.side, level int, queue_position int, price numeric,
	order_id bigint, quantity bigint, entered_at timestamptz, account text, as_of_seq bigint);
GRANT ALL ON public.snaps TO PUBLIC;
CREATE PROCEDURE public.random_run(seed float8, n int, every int, sym text, accounts text[])
LANGUAGE plpgsql AS $$
DECLARE
	ids bigint[] := '{}';
	accts text[] := '{}';
	acct text;
	id bigint;
	k int;
	side exchange.side;
	dice float8;
BEGIN
	PERFORM setseed(seed);
	FOR i IN 1..n LOOP
		dice := random();
		acct := accounts[1 + floor(random() * cardinality(accounts))::int];
		BEGIN
			IF dice < 0.6 OR cardinality(ids) = 0 THEN
				side := CASE WHEN random() < 0.5 THEN 'buy' ELSE 'sell' END;
				SELECT o.id INTO id FROM exchange.submit_order(acct, sym, side,
					1 + floor(random() * 50)::bigint,
					(CASE side WHEN 'buy' THEN 9.50 ELSE 9.90 END + floor(random() * 60)::numeric / 100)::numeric,
					'limit', (ARRAY['day', 'gtc', 'gtc', 'ioc'])[1 + floor(random() * 4)::int]::exchange.time_in_force) o;
				ids := ids || id;
				accts := accts || acct;
			ELSE
				k := 1 + floor(random() * cardinality(ids))::int;
				IF dice < 0.8 THEN
					PERFORM exchange.cancel_order(accts[k], ids[k]);
				ELSE
					PERFORM exchange.amend_order(accts[k], ids[k], 1 + floor(random() * 60)::bigint,
						CASE WHEN random() < 0.5 THEN NULL ELSE 9.60 + floor(random() * 70)::numeric / 100 END);
				END IF;
			END IF;
		EXCEPTION WHEN SQLSTATE 'PX030' THEN
			NULL; -- the order is no longer open: filled or canceled already
		END;
		IF every > 0 AND i % every = 0 THEN
			INSERT INTO public.snaps SELECT * FROM exchange.order_book_l3(sym, 100000);
		END IF;
	END LOOP;
END $$;
