#!/usr/bin/env bash
# Snapshots at the close and recovery from them.  Two trading days with gtc
# orders resting across the close: the close saves matchd's state
# (exchange.engine_snapshots, at the close's seq); after more trading and a
# kill -9, matchd loads that snapshot and replays only the commands after it,
# and the book (order_book_l3), balances() and both state hashes are what they
# were.  --replay-from-start replays everything and finds the saved snapshot
# equal to the state it rebuilt.  Once the first day's partition is dropped
# (what archival does), the snapshot is the only way back, and it works; a
# damaged snapshot row makes matchd refuse to start instead of serving.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
stack_up
matchd_start
stack_market snap_broker SNAP S1 S2 S3
log=$STACK/matchd.log

order() { # ACCOUNT SIDE QTY PRICE TIF -> order id
	q "SELECT id FROM exchange.submit_order('$1', 'SNAP', '$2', $3, $4, time_in_force => '$5')"
}

# day 1: a book of gtc orders (they stay) and day orders (they expire), trades
seed=${PGX_SEED:-$RANDOM}
echo "snapshot_recovery seed $seed (PGX_SEED to repeat)"
RANDOM=$seed
for i in $(seq 1 40); do
	acct=S$((RANDOM % 3 + 1))
	if [ $((i % 2)) -eq 0 ]; then side=buy; price=$((9900 - RANDOM % 50)); else side=sell; price=$((10001 + RANDOM % 50)); fi
	tif=gtc
	[ $((i % 5)) -eq 0 ] && tif=day
	order "$acct" "$side" $((RANDOM % 90 + 10)) "$(printf '%d.%02d' $((price / 100)) $((price % 100)))" "$tif" >/dev/null
done
# two crossing orders trade against the book
order S1 buy 30 100.60 ioc >/dev/null
order S2 sell 25 98.90 day >/dev/null
amend_id=$(order S3 buy 17 98.00 gtc)
q "SELECT 1 FROM exchange.amend_order('S3', $amend_id, 12)" >/dev/null
cancel_id=$(order S3 sell 5 101.99 gtc)
q "SELECT 1 FROM exchange.cancel_order('S3', $cancel_id)" >/dev/null
q "SELECT 1 FROM exchange.close_market()" >/dev/null || fail "close"
close_seq=$(q "SELECT max(seq) FROM exchange.journal WHERE kind = 'market_close'")
gtc_left=$(q "SELECT count(*) FROM exchange.order_book_l3('SNAP', 100000)")
[ "$gtc_left" -gt 10 ] || fail "only $gtc_left gtc orders rest after the close"

# the snapshot of the close's seq is saved (by a thread, after the commit)
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM exchange.engine_snapshots WHERE seq = $close_seq")" = 1 ] && break
	sleep 0.1
done
row=$(q "SELECT format('%s %s %s', seq, length(state), state_sha256 = sha256(state))
	   FROM exchange.engine_snapshots WHERE stream = 1")
read -r snap_seq snap_bytes snap_sha <<<"$row"
[ "$snap_seq" = "$close_seq" ] && [ "$snap_sha" = t ] ||
	fail "expected one snapshot at the close's seq $close_seq: $row"
day1=$(q "SELECT trading_day FROM exchange.journal WHERE seq = $close_seq AND idx = 0")
[ "$(q "SELECT trading_day FROM exchange.engine_snapshots WHERE seq = $close_seq")" = "$day1" ] ||
	fail "the snapshot's trading day is not the close's"
grep -q "saved the snapshot of seq $close_seq" "$log" || fail "no 'saved the snapshot' in the log"

# day 2: the gtc orders trade, more orders, amends, cancels, a deposit
q "SELECT 1 FROM exchange.open_market()" >/dev/null || fail "open"
order S1 buy 40 100.50 ioc >/dev/null
order S2 sell 35 99.00 gtc >/dev/null
for i in $(seq 1 20); do
	acct=S$((RANDOM % 3 + 1))
	if [ $((i % 2)) -eq 0 ]; then side=buy; price=$((9880 - RANDOM % 40)); else side=sell; price=$((10020 + RANDOM % 40)); fi
	id=$(order "$acct" "$side" $((RANDOM % 50 + 5)) "$(printf '%d.%02d' $((price / 100)) $((price % 100)))" gtc)
	[ $((i % 4)) -eq 0 ] && q "SELECT 1 FROM exchange.cancel_order('$acct', $id)" >/dev/null
	[ $((i % 7)) -eq 0 ] && q "SELECT 1 FROM exchange.amend_order('$acct', $id, 3)" >/dev/null
done
q "SELECT 1 FROM exchange.deposit('S2', 1234.56, 'USD')" >/dev/null
last_seq=$(q "SELECT last_seq FROM exchange.streams WHERE stream = 1")
day2=$(q "SELECT trading_day FROM exchange.journal WHERE seq = $last_seq AND idx = 0")
[ "$day2" != "$day1" ] || fail "day 2 is still $day1"

book() { q "SELECT string_agg(format('%s %s %s %s %s %s %s %s', side, level, queue_position, price, order_id, account, quantity, entered_at), ';' ORDER BY side, level, queue_position)
	       FROM exchange.order_book_l3('SNAP', 100000)"; }
balances() { q "SELECT string_agg(b::text, ';' ORDER BY b::text) FROM exchange.balances() b"; }
hashes() { grep "$1" "$log" | tail -1 | grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*'; }
book_before=$(book)
bal_before=$(balances)
[ -n "$book_before" ] || fail "empty book"

# kill -9 and restart: the snapshot plus the commands after it
matchd_kill
matchd_start || fail "restart after kill -9"
grep -q "loaded the snapshot of seq $close_seq" "$log" || fail "the restart did not load the snapshot"
replayed=$(grep 'replayed .* commands' "$log" | tail -1)
echo "$replayed" | grep -q "replayed $((last_seq - close_seq)) commands .* after the snapshot of seq $close_seq" ||
	fail "expected $((last_seq - close_seq)) commands replayed after seq $close_seq: $replayed"
[ "$(book)" = "$book_before" ] || fail "the book after recovery from the snapshot differs"
[ "$(balances)" = "$bal_before" ] || fail "balances() after recovery from the snapshot differ"
h_snap=$(hashes 'replayed .* after the snapshot')

# --replay-from-start: the whole journal, and the saved snapshot is equal to it
matchd_stop
matchd_start --replay-from-start || fail "start with --replay-from-start"
grep -q "replayed state at seq $close_seq equals the saved snapshot" "$log" ||
	fail "--replay-from-start did not compare the snapshot"
h_full=$(hashes 'replay-from-start; 1 saved snapshots equal')
[ -n "$h_full" ] && [ "$h_full" = "$h_snap" ] ||
	fail "full replay ($h_full) and snapshot + replay ($h_snap) differ"
[ "$(book)" = "$book_before" ] || fail "the book after a full replay differs"

# the first day leaves the cluster: only the snapshot leads back, and it does.
# (Detached and dropped by hand to reach the end state of drop_archived_day
# without the export; regress/e2e/archival.sh runs the real procedure.)
matchd_stop
part=$(q "SELECT tableoid::regclass FROM exchange.journal WHERE seq = $close_seq AND idx = 0")
psql -X -q -v ON_ERROR_STOP=1 -c "ALTER TABLE exchange.journal DETACH PARTITION $part" \
	-c "DROP TABLE $part" || fail "dropping $part"
[ "$(q "SELECT count(*) FROM exchange.journal_history WHERE seq <= $close_seq")" = 0 ] ||
	fail "day 1 is still readable"
matchd_start || fail "start from the snapshot without day 1"
[ "$(hashes 'replayed .* after the snapshot')" = "$h_snap" ] || fail "state without day 1 differs"
[ "$(book)" = "$book_before" ] || fail "the book without day 1 differs"
# trading goes on, and the next close saves the next snapshot
order S1 buy 5 99.50 gtc >/dev/null || fail "order after recovery"
q "SELECT 1 FROM exchange.close_market()" >/dev/null || fail "second close"
close2=$(q "SELECT max(seq) FROM exchange.journal WHERE kind = 'market_close'")
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM exchange.engine_snapshots WHERE seq = $close2")" = 1 ] && break
	sleep 0.1
done
[ "$(q "SELECT count(*) FROM exchange.engine_snapshots WHERE seq = $close2")" = 1 ] ||
	fail "no snapshot at the second close (seq $close2)"
matchd_stop
# a full replay is impossible now, and says why
if matchd_start --replay-from-start 2>/dev/null; then fail "--replay-from-start without day 1 started"; fi
grep -q "no command after seq 0 .*only a snapshot leads back" "$log" ||
	fail "--replay-from-start without day 1: no clear error"

# a damaged snapshot: matchd refuses to start, it does not serve
refuses() { # WHAT EXPECTED-LOG-TEXT
	if matchd_start 2>/dev/null; then fail "matchd started from $1"; fi
	grep "recovery failed" "$log" | tail -1 | grep -q "$2" || fail "$1: expected '$2' in the log"
	[ -S "$PGHOST/matchd.sock" ] && fail "$1: a socket is being served"
	return 0
}
q "CREATE TABLE snap_keep AS SELECT seq, state, state_sha256 FROM exchange.engine_snapshots WHERE seq = $close2" >/dev/null
q "UPDATE exchange.engine_snapshots SET state = set_byte(state, 200, get_byte(state, 200) # 1) WHERE seq = $close2" >/dev/null
refuses "a flipped byte" "does not match its state_sha256"
q "UPDATE exchange.engine_snapshots SET state_sha256 = sha256(state) WHERE seq = $close2" >/dev/null
refuses "a flipped byte with a matching state_sha256" "checksum mismatch"
q "UPDATE exchange.engine_snapshots e SET state = substr(k.state, 1, length(k.state) - 40), state_sha256 = sha256(substr(k.state, 1, length(k.state) - 40))
     FROM snap_keep k WHERE e.seq = k.seq" >/dev/null
refuses "a truncated snapshot" "does not load"
# the saved bytes put back: it starts again, at the same state
q "UPDATE exchange.engine_snapshots e SET state = k.state, state_sha256 = k.state_sha256 FROM snap_keep k WHERE e.seq = k.seq" >/dev/null
matchd_start || fail "start from the restored snapshot"
grep -q "loaded the snapshot of seq $close2" "$log" || fail "the restored snapshot was not loaded"
sanitizer_clean
echo "ok snapshot_recovery: snapshot of seq $close_seq ($snap_bytes bytes) at the close of $day1; kill -9 on $day2 replayed $((last_seq - close_seq)) of $last_seq commands; $h_snap equal to --replay-from-start; recovery without day 1; damaged snapshots refused"
