------------------------------------------------------------------------------
-- Reports (issue 7), part 4: the ledger of every account's cash and shares,
-- and positions and cash at the end of a trading day, from the journal alone.
--
-- What changes an account's holdings: accepted deposit / withdraw (cash) and
-- credit_shares / debit_shares (shares) commands (accepted: their idx 1 event
-- is `accepted`; a rejected one changed nothing), and each side of a trade
-- (shares +/- quantity, cash -/+ notional, minus its fee).  Holds of open
-- orders move cash and shares between available and held only: they change
-- no total, so they are not in the ledger.
------------------------------------------------------------------------------
CREATE VIEW @extschema@.account_ledger WITH (security_barrier) AS
	SELECT l.stream, l.trading_day, l.ts, l.seq, l.idx, l.account, l.asset_type, l.asset,
		   l.movement, l.units,
		   CASE l.asset_type WHEN 'cash' THEN @extschema@.minor_to_amount(l.units, c.minor_digits)
				ELSE l.units::numeric END AS change,
		   l.symbol, l.execution_id
	  FROM (
			SELECT x.stream, x.trading_day, x.ts, x.seq, x.idx, x.account,
				   CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN 'cash' ELSE 'shares' END AS asset_type,
				   CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN x.detail ->> 'currency'
						ELSE x.symbol END AS asset,
				   CASE x.kind::text WHEN 'deposit' THEN 'deposit' WHEN 'withdraw' THEN 'withdrawal'
						WHEN 'credit_shares' THEN 'share_credit' ELSE 'share_debit' END AS movement,
				   CASE WHEN x.kind::text IN ('deposit', 'credit_shares') THEN 1 ELSE -1 END
					 * CASE WHEN x.kind::text IN ('deposit', 'withdraw') THEN x.amount
							ELSE x.quantity END AS units,
				   CASE WHEN x.kind::text IN ('credit_shares', 'debit_shares') THEN x.symbol END AS symbol,
				   NULL::bigint AS execution_id
			  FROM @extschema@.journal_history x
			  LEFT JOIN @extschema@.accounts a ON a.account = x.account
			 WHERE x.idx = 0 AND x.kind > 'expired'
			   AND x.kind::text IN ('deposit', 'withdraw', 'credit_shares', 'debit_shares')
			   AND EXISTS (SELECT 1 FROM @extschema@.journal_history ev
							WHERE ev.stream = x.stream AND ev.seq = x.seq AND ev.idx = 1
							  AND ev.trading_day = x.trading_day AND ev.kind = 'accepted')
			   AND ((SELECT @extschema@.is_staff()) OR @extschema@.is_account_owner(a.broker))
			UNION ALL
			-- each side of a trade: its shares, its cash at the notional, its fee
			SELECT e.stream, e.trading_day, e.executed_at, e.seq, e.idx, e.account, m.asset_type,
				   m.asset, m.movement, m.units, e.symbol, e.execution_id
			  FROM @extschema@.execution_sides e
			 CROSS JOIN LATERAL (VALUES
					('shares', e.symbol, e.side::text,
					 CASE e.side WHEN 'buy' THEN e.quantity ELSE -e.quantity END),
					('cash', e.currency, e.side::text,
					 CASE e.side WHEN 'buy' THEN -e.notional_minor ELSE e.notional_minor END),
					('cash', e.currency, 'fee', -e.fee_minor)
				) AS m (asset_type, asset, movement, units)
			 WHERE m.movement <> 'fee' OR m.units <> 0
		   ) l
	  LEFT JOIN @extschema@.currencies c ON l.asset_type = 'cash' AND c.currency = l.asset;
COMMENT ON VIEW @extschema@.account_ledger IS
	'Every change of an account''s cash or shares, from the journal alone (live and archived days): accepted deposits and withdrawals (cash), accepted credit_shares and debit_shares (shares), and for each side of a trade its shares (buy +quantity, sell -quantity), its cash at the notional (buy -notional, sell +notional) and its fee (-fee, when one was due).  Summed up to a day, it is the account''s holdings at the end of that day (positions_eod()).  A broker sees only the accounts its role owns; staff see all.';
COMMENT ON COLUMN @extschema@.account_ledger.stream IS 'Stream of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.trading_day IS 'Trading day of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.ts IS 'Sequencer time of the record.';
COMMENT ON COLUMN @extschema@.account_ledger.seq IS 'Seq of the command.';
COMMENT ON COLUMN @extschema@.account_ledger.idx IS 'idx of the record: 0 for deposits, withdrawals, credits and debits; the trade event''s for trades.';
COMMENT ON COLUMN @extschema@.account_ledger.account IS 'Account whose holdings change.';
COMMENT ON COLUMN @extschema@.account_ledger.asset_type IS 'cash or shares.';
COMMENT ON COLUMN @extschema@.account_ledger.asset IS 'The currency (cash) or the symbol (shares).';
COMMENT ON COLUMN @extschema@.account_ledger.movement IS 'deposit, withdrawal, share_credit, share_debit, buy, sell (the trade''s shares and cash at the notional) or fee.';
COMMENT ON COLUMN @extschema@.account_ledger.units IS 'Signed change in minor units of the currency (cash) or in shares.';
COMMENT ON COLUMN @extschema@.account_ledger.change IS 'The same change in the currency (exact, with its minor digits) or in shares.';
COMMENT ON COLUMN @extschema@.account_ledger.symbol IS 'Symbol of a trade, credit or debit of shares; NULL for deposits and withdrawals.';
COMMENT ON COLUMN @extschema@.account_ledger.execution_id IS 'Trades: the execution id of the account''s side (execution_sides.execution_id).';

CREATE FUNCTION @extschema@.positions_eod(trading_day date, account text DEFAULT NULL)
RETURNS TABLE (trading_day date, account text, asset_type text, asset text,
	opening numeric, change numeric, closing numeric, movements bigint)
LANGUAGE sql STABLE
AS $$
	-- the arguments first: errors even when nothing would match
	SELECT @extschema@.report_arguments('positions_eod', $1, true, $2);
	SELECT $1, l.account, l.asset_type, l.asset,
		   @extschema@.minor_to_amount(coalesce(sum(l.units) FILTER (WHERE l.trading_day < $1), 0)::bigint,
									   coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(coalesce(sum(l.units) FILTER (WHERE l.trading_day = $1), 0)::bigint,
									   coalesce(c.minor_digits, 0)),
		   @extschema@.minor_to_amount(sum(l.units)::bigint, coalesce(c.minor_digits, 0)),
		   count(*) FILTER (WHERE l.trading_day = $1)
	  FROM @extschema@.account_ledger l
	  LEFT JOIN @extschema@.currencies c ON l.asset_type = 'cash' AND c.currency = l.asset
	 WHERE l.trading_day <= $1
	   AND ($2 IS NULL OR l.account = $2)
	 GROUP BY l.account, l.asset_type, l.asset, c.minor_digits
	 ORDER BY l.account, l.asset_type, l.asset
$$;
COMMENT ON FUNCTION @extschema@.positions_eod(date, text) IS
	'Cash per currency and shares per symbol of each account (or of one) at the end of a trading day, from the journal alone (the sum of exchange.account_ledger up to that day): opening (end of the previous days), the day''s change, closing = opening + change, and the number of ledger movements of the day.  One row per account and asset it ever held up to that day, zero included.  Closing totals are available + held: after the last day they equal exchange.balances() totals.  A broker sees only its own accounts.  22004 NULL trading_day, PX021 / 42501 unknown account (or not the caller''s).';

REVOKE ALL ON @extschema@.account_ledger FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.positions_eod(date, text) FROM PUBLIC;
GRANT SELECT ON @extschema@.account_ledger
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
GRANT EXECUTE ON FUNCTION @extschema@.positions_eod(date, text)
	TO exchange_admin, exchange_engine, exchange_broker, exchange_compliance, exchange_dba;
