#!/usr/bin/env bash
# bench/archival.sh: closing a trading day into the archive (issue 7) against
# its baseline, in one run, on a database with the exchange extension (the
# PG* variables; scripts/bench.sh makes a throwaway cluster).
#
#   RECORDS=N RUNS=R bash bench/archival.sh
#
# 2 x RUNS closed days of RECORDS journal records each (orders that rest or
# trade, appended through append_batch in batches of 10,000 records) are
# archived alternately by
#   - exchange.archive_trading_day(): verify against journal_days, checksums,
#     detach and attach (the partitions move, the rows do not), and
#   - the baseline a DBA would write without it: copy the day's rows into an
#     archive table (CREATE TABLE AS), count them against journal_days and
#     DELETE them from the live journal (no checksum, no indexes).
# Before each archive_trading_day, the day's journal checksum by itself: the
# C one of 1.8 (journal_day_checksum) and the JSON one of before
# (journal_day_checksum_v1), the same rows.
# Then scripts/archive-day.sh exports one archived day and verifies it by
# restoring it into a scratch database.  Medians of the runs.  Prints
# "BENCH <name> <value> <unit>" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${RECORDS:-200000}
runs=${RUNS:-3}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
-- n records of one closed day (open, orders, close) from seq first, appended
-- in batches of 10,000 records (5,000 orders of two records each)
CREATE OR REPLACE PROCEDURE bench.day(s int, e bigint, d date, first bigint, n int)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := d + time '14:30' AT TIME ZONE 'UTC';
	orders int := (n - 4) / 2;
	lo bigint;
BEGIN
	PERFORM exchange.append_batch(s, e, first, exchange.encode_batch(ARRAY[
		exchange.make_record(first, 0, 'market_open', t0, d),
		exchange.make_record(first, 1, 'accepted', t0, d, reason => 'open')]));
	lo := first + 1;
	WHILE lo <= first + orders LOOP
		PERFORM exchange.append_batch(s, e, lo, exchange.encode_batch(array_agg(r ORDER BY (r).seq, (r).idx)))
		  FROM (SELECT exchange.make_record(q, 0, 'new_order', t0 + q * interval '1 ms', d, symbol => 'BAR',
					   account => 'b' || (q % 50), order_id => q,
					   side => CASE WHEN q % 2 = 0 THEN 'buy' ELSE 'sell' END::exchange.side,
					   order_type => 'limit', time_in_force => 'day', price => 1000 + q % 7, quantity => 100) AS r
				  FROM generate_series(lo, least(lo + 4999, first + orders)) q
				UNION ALL
				SELECT CASE WHEN q % 3 = 0 THEN
						   exchange.make_record(q, 1, 'trade', t0 + q * interval '1 ms', d, symbol => 'BAR',
							   account => 'b' || (q % 50), order_id => q, side => 'buy', price => 1000 + q % 7,
							   quantity => 100, remaining => 0, status => 'filled', contra_order_id => q - 1,
							   contra_account => 'b' || ((q - 1) % 50), contra_remaining => 0)
					   ELSE
						   exchange.make_record(q, 1, 'accepted', t0 + q * interval '1 ms', d, symbol => 'BAR',
							   account => 'b' || (q % 50), order_id => q, side => 'sell', price => 1000 + q % 7,
							   quantity => 100, remaining => 100, status => 'new')
					   END
				  FROM generate_series(lo, least(lo + 4999, first + orders)) q) x;
		lo := lo + 5000;
	END LOOP;
	lo := first + orders + 1;
	PERFORM exchange.append_batch(s, e, lo, exchange.encode_batch(ARRAY[
		exchange.make_record(lo, 0, 'market_close', t0 + interval '8 hours', d),
		exchange.make_record(lo, 1, 'accepted', t0 + interval '8 hours', d, reason => 'closed')]));
END $$;
SQL

stream=$(q -c "SELECT stream FROM exchange.take_over_stream('bench_archival')")
epoch=$(q -c "SELECT epoch FROM exchange.streams WHERE stream = $stream")
q -c "SELECT exchange.append_batch($stream, $epoch, 1, exchange.encode_batch(ARRAY[
	exchange.make_record(1, 0, 'add_symbol', '2040-01-01 13:00+00', symbol => 'BAR', detail => '{\"tick_size\": 0.01}'),
	exchange.make_record(1, 1, 'accepted', '2040-01-01 13:00+00', symbol => 'BAR')]))" >/dev/null

t0=$(date +%s.%N)
seq=2
days=()
for i in $(seq 1 $((2 * runs))); do
	d=$(date -u -d "2040-01-01 + $i days" +%F)
	q -c "CALL bench.day($stream, $epoch, '$d', $seq, $records)"
	seq=$(($(q -c "SELECT last_seq FROM exchange.streams WHERE stream = $stream") + 1))
	days+=("$d")
done
echo "# generated $((2 * runs)) days of $records records in $(echo "$(date +%s.%N) - $t0" | bc) s"
q -c "VACUUM ANALYZE exchange.journal"

ms() { q -c "SELECT round(extract(epoch FROM clock_timestamp() - '$1'::timestamptz) * 1000, 1)"; }
arch=()
base=()
sums=()
sums_v1=()
for r in $(seq 0 $((runs - 1))); do
	a=${days[$((2 * r))]}
	b=${days[$((2 * r + 1))]}
	# alternate which goes first, so that noise hits both alike
	for which in $( ((r % 2)) && echo "base arch" || echo "arch base"); do
		if [ "$which" = arch ]; then
			t=$(q -c "SELECT clock_timestamp()")
			q -c "SELECT exchange.journal_day_checksum('$a')" >/dev/null
			sums+=("$(ms "$t")")
			t=$(q -c "SELECT clock_timestamp()")
			q -c "SELECT exchange.journal_day_checksum_v1('$a')" >/dev/null
			sums_v1+=("$(ms "$t")")
			t=$(q -c "SELECT clock_timestamp()")
			q -c "SELECT records FROM exchange.archive_trading_day('$a')" >/dev/null
			arch+=("$(ms "$t")")
		else
			t=$(q -c "SELECT clock_timestamp()")
			q -o /dev/null <<-SQL
				BEGIN;
				CREATE TABLE bench.copy_${b//-/} AS SELECT * FROM exchange.journal WHERE trading_day = '$b';
				SELECT 1 / (count(*) = (SELECT records FROM exchange.journal_days WHERE trading_day = '$b'))::int
				  FROM bench.copy_${b//-/};
				DELETE FROM exchange.journal WHERE trading_day = '$b';
				COMMIT;
			SQL
			base+=("$(ms "$t")")
		fi
	done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
am=$(median "${arch[@]}")
bm=$(median "${base[@]}")
echo "# archive_trading_day ms: ${arch[*]}; copy+delete ms: ${base[*]}; checksum ms: ${sums[*]}; JSON checksum of before 1.8 ms: ${sums_v1[*]}"
echo "BENCH archival_archive_trading_day_${records} $am ms"
echo "BENCH archival_copy_delete_baseline_${records} $bm ms"
echo "BENCH archival_speedup_vs_copy_delete $(echo "scale=2; $bm / $am" | bc) x"
cm=$(median "${sums[@]}")
cv1=$(median "${sums_v1[@]}")
echo "BENCH archival_checksum_${records} $cm ms"
echo "BENCH archival_checksum_v1_json_${records} $cv1 ms"
echo "BENCH archival_checksum_speedup_vs_v1 $(echo "scale=2; $cv1 / $cm" | bc) x"

dir=$(mktemp -d /tmp/pgx-bench-archive.XXXXXX)
t0=$(date +%s.%N)
bash scripts/archive-day.sh --dir "$dir" "${days[0]}" >/dev/null
echo "BENCH archival_export_and_verify_${records} $(echo "scale=2; $(date +%s.%N) - $t0" | bc) s"
echo "# export $(du -k "$dir"/*.dump | cut -f1) KiB for $records records"
rm -rf "$dir"
