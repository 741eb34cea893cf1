#!/usr/bin/env bash
# End-of-day archival end to end, with a real matchd: two trading days of random
# orders; archive_trading_day() of the first is refused while it is open and
# accepted after the close; scripts/archive-day.sh exports it, verifies the
# export by restoring it into a scratch database and records it; every report
# gives the same result before and after, byte for byte; matchd recovers
# through the archived day after a kill -9; the drop needs a snapshot of
# matchd's state after the day, and after it matchd still recovers and a
# restore brings back the very same reports.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market ar_broker ARX A1 A2 A3
seed=${PGX_SEED:-$RANDOM}
echo "seed $seed (PGX_SEED to repeat)"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -f regress/e2e/lib/random_orders.sql || fail "setup"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "CREATE ROLE ar_dba LOGIN IN ROLE exchange_dba" ||
	fail "dba role"

q "CALL public.random_run($seed / 32768.0, 300, 0, 'ARX', ARRAY['A1', 'A2', 'A3'])" >/dev/null ||
	fail "random run, day 1"
day1=$(q "SELECT trading_day FROM exchange.market_state")
echo "day 1: $day1"

# open: refused, nothing changes
out=$(psql -X -At -U ar_dba -c "SELECT exchange.archive_trading_day('$day1')" 2>&1) &&
	fail "archived an open day: $out"
echo "$out" | grep -q "is open" || fail "unexpected refusal: $out"

q "SELECT 1 FROM exchange.close_market()" >/dev/null || fail "close"
q "SELECT 1 FROM exchange.open_market()" >/dev/null || fail "open of day 2"
day2=$(q "SELECT trading_day FROM exchange.market_state")
[ "$day2" \> "$day1" ] || fail "day 2 ($day2) is not after day 1 ($day1)"
q "CALL public.random_run($seed / 32768.0 / 2, 200, 0, 'ARX', ARRAY['A1', 'A2', 'A3'])" >/dev/null ||
	fail "random run, day 2"
trades1=$(q "SELECT count(*) FROM exchange.journal WHERE trading_day = '$day1' AND kind = 'trade'")
trades2=$(q "SELECT count(*) FROM exchange.journal WHERE trading_day = '$day2' AND kind = 'trade'")
echo "$trades1 trades on day 1, $trades2 on day 2"
[ "$trades1" -ge 10 ] && [ "$trades2" -ge 5 ] || fail "too few trades"
mid=$(q "SELECT (first_seq + last_seq) / 2 FROM exchange.journal_days WHERE trading_day = '$day1'")
last=$(q "SELECT last_seq FROM exchange.streams WHERE name = 'main'")

# Every report over what was journaled up to seq $last (the end of day 2 so
# far), each as an md5 of its rows in a stable order; candles up to the
# minute/second of that seq, which later trades cannot change.
cut=$(q "SELECT ts FROM exchange.journal WHERE seq = $last AND idx = 0")
reports() {
	q "SELECT r.name || ' ' || md5(coalesce(r.body, ''))
	     FROM (VALUES
	       ('execution_log', (SELECT string_agg(e::text, E'\n' ORDER BY e.id) FROM exchange.execution_log e WHERE e.seq <= $last)),
	       ('account_log', (SELECT string_agg(l::text, E'\n' ORDER BY l.seq) FROM exchange.account_log l WHERE l.seq <= $last)),
	       ('candles_1m', (SELECT string_agg(c::text, E'\n' ORDER BY c.bucket_start)
	                         FROM exchange.candles('ARX', '1 minute', NULL, date_trunc('minute', '$cut'::timestamptz)) c)),
	       ('candles_1h', (SELECT string_agg(c::text, E'\n' ORDER BY c.bucket_start)
	                         FROM exchange.candles('ARX', '1 hour', NULL, date_trunc('hour', '$cut'::timestamptz)) c)),
	       ('candles_1s', (SELECT string_agg(c::text, E'\n' ORDER BY c.bucket_start)
	                         FROM exchange.candles('ARX', '1 second', NULL, date_trunc('second', '$cut'::timestamptz)) c)),
	       ('book_mid_day1', (SELECT string_agg(b::text, E'\n' ORDER BY b.side, b.level, b.queue_position)
	                            FROM exchange.order_book_l3_at('ARX', $mid::bigint, 100000) b)),
	       ('book_last', (SELECT string_agg(b::text, E'\n' ORDER BY b.side, b.level, b.queue_position)
	                        FROM exchange.order_book_l3_at('ARX', $last::bigint, 100000) b)),
	       ('executions_fn', (SELECT string_agg(x::text, E'\n' ORDER BY x.id) FROM exchange.executions('ARX') x WHERE x.seq <= $last)),
	       ('replay_bytes', (SELECT encode(sha256(exchange.read_batch(1, 0, $last::int)), 'hex'))),
	       ('audit_trails', (SELECT string_agg(a::text, E'\n' ORDER BY o.order_id, a.seq, a.idx)
	                           FROM (SELECT order_id FROM exchange.journal_history
	                                  WHERE trading_day = '$day1' AND kind = 'new_order' ORDER BY order_id LIMIT 40) o,
	                                LATERAL exchange.order_audit_trail(o.order_id) a
	                          WHERE a.seq <= $last)),
	       ('trade_blotter', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.trade_blotter('$day1') x)),
	       ('daily_summary', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.daily_account_summary('$day1') x)),
	       ('positions_eod', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.positions_eod('$day1') x)),
	       ('settlement', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.settlement_report('$day1') x)),
	       ('tax_lot_disposals', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.tax_lot_disposals('$day1', '$day1') x)),
	       ('realized_pnl', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.realized_pnl('$day1', '$day1') x)),
	       ('open_tax_lots', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.open_tax_lots('$day1') x)),
	       ('resting_orders', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.resting_orders('$day1') x)),
	       ('wash_trades', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.wash_trades('$day1') x)),
	       ('spoofing', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.spoofing_alerts('$day1', min_quantity => 1) x)),
	       ('marking_the_close', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.marking_the_close('$day1', min_move_bps => 0, min_share => 0.01) x)),
	       ('otr', (SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM exchange.order_to_trade_ratios('$day1', only_flagged => false) x)),
	       ('priority_violations', (SELECT count(*)::text || coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')
	                                  FROM exchange.priority_violations('$day1') x))
	     ) r(name, body)"
}
live_book() {
	q "SELECT string_agg(b::text, E'\n' ORDER BY b.side, b.level, b.queue_position)
	     FROM exchange.order_book_l3('ARX', 100000) b"
}
before=$(reports)
nonempty=$(echo "$before" | grep -vc d41d8cd98f00b204e9800998ecf8427e || true)
echo "$nonempty of $(echo "$before" | wc -l) reports have rows"
[ "$nonempty" -ge 18 ] || { echo "$before"; fail "too many empty reports to prove anything"; }
book_before=$(live_book)

# closed: the dba archives it; the DBA script (a superuser: it creates the
# scratch database with the extension) exports and verifies it
psql -X -At -v ON_ERROR_STOP=1 -U ar_dba -c "SELECT commands FROM exchange.archive_trading_day('$day1')" ||
	fail "archive_trading_day as exchange_dba"
bash scripts/archive-day.sh --dir "$STACK/archive" "$day1" >"$STACK/archive.log" 2>&1 ||
	{ cat "$STACK/archive.log"; fail "archive-day.sh"; }
cat "$STACK/archive.log"
grep -q "verified: restored" "$STACK/archive.log" || fail "the export was not verified"
[ "$(q "SELECT count(*) FROM exchange.journal WHERE trading_day = '$day1'")" = 0 ] ||
	fail "day 1 is still in the live journal"
[ "$(q "SELECT verified_at IS NOT NULL FROM exchange.archived_days WHERE trading_day = '$day1'")" = t ] ||
	fail "the catalog does not record the verified export"
after=$(reports)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "a report changed with the archival"; }
echo "reports identical after archival ($(echo "$before" | wc -l) reports)"
[ "$(q "SELECT count(*) FROM exchange.priority_violations('$day1')")" = 0 ] ||
	fail "matchd's day violates price-time priority"
[ -n "$(q "SELECT 1 FROM exchange.trade_blotter('$day1') LIMIT 1")" ] || fail "empty blotter"

# matchd recovers through the archived day (journal_history) after a kill -9
matchd_kill
matchd_start
[ "$(live_book)" = "$book_before" ] || fail "the live book differs after recovery through the archive"
out=$(q "SELECT status, reject_reason FROM exchange.submit_order('A1', 'ARX', 'buy', 1, (SELECT price FROM exchange.execution_log ORDER BY id DESC LIMIT 1), 'limit', 'gtc')" 2>&1) ||
	fail "matchd does not take orders after recovering through the archive: $out"
book_before=$(live_book)

# the drop: only with a snapshot of matchd after the day
snap=$(q "SELECT count(*) FROM exchange.engine_snapshots s, exchange.archived_days a
           WHERE a.trading_day = '$day1' AND s.seq >= a.last_seq[1]")
[ "$snap" -ge 1 ] || fail "matchd saved no snapshot at the close of day 1"
bash scripts/archive-day.sh --drop --dir "$STACK/archive" "$day1" || fail "drop"
[ "$(q "SELECT to_regclass('exchange_archive.journal_${day1//-/}') IS NULL")" = t ] ||
	fail "the day's journal is still there after the drop"
[ "$(q "SELECT count(*) FROM exchange.journal_history WHERE trading_day = '$day1'")" = 0 ] ||
	fail "the dropped day is still visible"
matchd_kill
matchd_start
tail -5 "$STACK/matchd.log" | grep -i "snapshot" || fail "matchd did not say it recovered from the snapshot"
[ "$(live_book)" = "$book_before" ] || fail "the live book differs after recovery from the snapshot"
bash scripts/archive-day.sh --restore "$STACK/archive/exchange-${day1//-/}.dump" || fail "restore"
after=$(reports)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "a report changed after the drop and restore"; }
sanitizer_clean
echo "ok"
