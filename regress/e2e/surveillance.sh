#!/usr/bin/env bash
# Surveillance end to end, with a real matchd: after a random session of
# orders, cancels and amends from several accounts, the price-time priority
# audit over the journal is EMPTY (every trade respected priority), no trade
# has the same account on both sides, and the journal's resting episodes rank
# each price level exactly as matchd's live L3 queue does.  Then the journal
# is copied (read_batch -> append_batch) into a fresh database on a new
# stream with one injected violation (a trade re-pointed to a later maker at
# the same price) and one injected wash trade: exactly those are reported.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market sv_broker SVX S1 S2 S3 S4 S5
seed=${PGX_SEED:-$RANDOM}
echo "seed $seed (PGX_SEED to repeat)"

psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -f regress/e2e/lib/random_orders.sql || fail "setup"
q "CALL public.random_run($seed / 32768.0, 1500, 0, 'SVX', ARRAY['S1', 'S2', 'S3', 'S4', 'S5'])" >/dev/null ||
	fail "random run"
day=$(q "SELECT max(trading_day) FROM exchange.journal")
read -r trades amends lost stp <<<"$(q "SELECT count(*) FILTER (WHERE kind = 'trade'),
		count(*) FILTER (WHERE kind = 'amended'),
		count(*) FILTER (WHERE kind = 'amended' AND reason = 'priority_lost'),
		count(*) FILTER (WHERE reason LIKE 'stp%')
	  FROM exchange.journal WHERE symbol = 'SVX'" | tr '|' ' ')"
echo "day $day: $trades trades, $amends amends ($lost lost priority), $stp STP cancels"
[ "$trades" -ge 100 ] && [ "$lost" -ge 20 ] || fail "the run did not trade or re-price enough"

# the real engine's matching passes the audit; STP leaves no same-account trade
n=$(q "SELECT count(*) FROM exchange.priority_violations('$day')")
[ "$n" = 0 ] || fail "priority_violations on matchd's journal: $(q "SELECT * FROM exchange.priority_violations('$day') LIMIT 5")"
n=$(q "SELECT count(*) FROM exchange.wash_trades('$day', include_same_broker => false)")
[ "$n" = 0 ] || fail "$n same-account trades out of matchd"
# (every account is sv_broker's: with same-broker trades, every trade is one)
n=$(q "SELECT count(*) FROM exchange.wash_trades('$day')")
[ "$n" = "$trades" ] || fail "wash_trades with same_broker: $n rows for $trades trades"

# the episodes still resting = matchd's live book, in matchd's queue order
d=$(q "SELECT count(*) FROM (
	(SELECT side, price, order_id, rank() OVER (PARTITION BY side, price
											ORDER BY priority_seq, priority_idx)
	   FROM exchange.resting_orders('$day') WHERE left_seq IS NULL
	 EXCEPT ALL
	 SELECT side, price, order_id, queue_position FROM exchange.order_book_l3('SVX', 100000))
	UNION ALL
	(SELECT side, price, order_id, queue_position FROM exchange.order_book_l3('SVX', 100000)
	 EXCEPT ALL
	 SELECT side, price, order_id, rank() OVER (PARTITION BY side, price
												ORDER BY priority_seq, priority_idx)
	   FROM exchange.resting_orders('$day') WHERE left_seq IS NULL)) x")
book=$(q "SELECT count(*) FROM exchange.order_book_l3('SVX', 100000)")
[ "$d" = 0 ] && [ "$book" -gt 0 ] || fail "resting episodes and the live L3 ($book orders) differ by $d rows"
echo "audit clean; $book resting orders ranked as matchd ranks them"

# The injections, chosen in the source.  Violation: a trade whose maker M1
# stays in the book (contra_remaining > 0) while a later order M2 rests at the
# same price on the same side (another account than the taker's): the trade is
# re-pointed to M2, which keeps some quantity, so M1 was passed over and
# nothing else changes.  Wash: another trade, its taker account set to the
# maker's.
read -r vseq vidx m1 m2 m2acct <<<"$(q "
	WITH ep AS (SELECT *, priority_seq * 2097152 + priority_idx AS fk,
					   coalesce(left_seq * 2097152 + left_idx, 9223372036854775807) AS tk
				  FROM exchange.resting_orders('$day'))
	SELECT t.seq, t.idx, t.contra_order_id, m2.order_id, m2.account
	  FROM exchange.journal t
	  JOIN ep m1 ON m1.order_id = t.contra_order_id
				AND m1.fk < t.seq * 2097152 + t.idx AND m1.tk >= t.seq * 2097152 + t.idx
	  JOIN ep m2 ON m2.side = m1.side AND m2.price_ticks = m1.price_ticks AND m2.fk > m1.fk
				AND m2.fk < t.seq * 2097152 + t.idx AND m2.tk > t.seq * 2097152 + t.idx
				AND m2.account <> t.account
	 WHERE t.kind = 'trade' AND t.symbol = 'SVX' AND t.contra_remaining > 0
	 ORDER BY t.seq, t.idx, m2.fk LIMIT 1" | tr '|' ' ')"
[ -n "${vseq:-}" ] || fail "no trade to re-point (seed $seed)"
read -r wseq widx wacct <<<"$(q "SELECT seq, idx, contra_account FROM exchange.journal
	WHERE kind = 'trade' AND symbol = 'SVX' AND seq <> $vseq
	ORDER BY seq DESC, idx LIMIT 1" | tr '|' ' ')"
echo "inject: trade $vseq/$vidx re-pointed from maker $m1 to $m2 ($m2acct); trade $wseq/$widx taker account -> $wacct"

# the copy: a fresh database with the extension, a new stream, the journal
# read with read_batch, decoded, the two records changed, encoded, appended
psql -X -q -d postgres -c "CREATE DATABASE surv_copy"
psql -X -q -d surv_copy -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION exchange" -c "SELECT 1 FROM exchange.take_over_stream('copied')" >/dev/null ||
	fail "the copy database"
src_stream=$(q "SELECT stream FROM exchange.streams WHERE name = 'main'")
last=$(q "SELECT last_seq FROM exchange.streams WHERE stream = $src_stream")
for ((after = 0; after < last; after += 200)); do
	hex=$(q "SELECT encode(exchange.read_batch($src_stream, $after, 200), 'hex')")
	{
		echo "SELECT exchange.append_batch(s.stream, s.epoch, $after + 1, exchange.encode_batch(array_agg("
		echo "  ROW(r.seq, r.idx, r.trading_day, r.ts, r.kind, r.symbol,"
		echo "      CASE WHEN (r.seq, r.idx) = ($wseq, $widx) THEN '$wacct' ELSE r.account END,"
		echo "      r.order_id, r.side, r.order_type, r.time_in_force, r.price, r.quantity, r.remaining, r.status,"
		echo "      CASE WHEN (r.seq, r.idx) = ($vseq, $vidx) THEN $m2 ELSE r.contra_order_id END,"
		echo "      CASE WHEN (r.seq, r.idx) = ($vseq, $vidx) THEN '$m2acct' ELSE r.contra_account END,"
		echo "      r.contra_remaining, r.amount, r.reason, r.client_order_id, r.detail,"
		echo "      r.post_only, r.expire_time"
		echo "     )::exchange.journal_record ORDER BY r.seq, r.idx)))"
		echo "  FROM exchange.streams s,"
		echo "       exchange.batch_rows(decode('$hex', 'hex'), 0, 0) r"
		echo " WHERE s.name = 'copied' GROUP BY s.stream, s.epoch;"
	} | psql -X -q -o /dev/null -d surv_copy -v ON_ERROR_STOP=1 || fail "copying the batch after seq $after"
done
copied=$(psql -X -Atq -d surv_copy -c "SELECT count(*) FROM exchange.journal")
orig=$(q "SELECT count(*) FROM exchange.journal")
[ "$copied" = "$orig" ] || fail "copied $copied records of $orig"

# exactly the injected cases are reported, in the copy
got=$(psql -X -Atq -d surv_copy -c "SELECT string_agg(format('%s/%s %s maker %s bypassed %s', seq, idx, rule,
		maker_order_id, bypassed_order_id), '; ') FROM exchange.priority_violations('$day')")
[ "$got" = "$vseq/$vidx earlier_time maker $m2 bypassed $m1" ] ||
	fail "priority_violations in the copy: '$got', expected the re-pointed trade $vseq/$vidx"
got=$(psql -X -Atq -d surv_copy -c "SELECT string_agg(format('%s/%s %s %s %s', seq, idx, category,
		buy_account, sell_account), '; ') FROM exchange.wash_trades('$day', include_same_broker => false)")
[ "$got" = "$wseq/$widx same_account $wacct $wacct" ] ||
	fail "wash_trades in the copy: '$got', expected trade $wseq/$widx of $wacct with itself"
# and the original still has none
n=$(q "SELECT count(*) FROM exchange.priority_violations('$day')")
[ "$n" = 0 ] || fail "the source changed"
echo "copy: exactly the injected violation and wash trade reported"
matchd_stop
sanitizer_clean
echo "ok"
