#!/usr/bin/env bash
# Export an archived trading day, verify the export by restoring it, and only
# then (when asked) drop the day from the live cluster.  docs/runbook.md.
#
#   scripts/archive-day.sh [--archive] [--drop] [--dir DIR] DAY
#   scripts/archive-day.sh --restore FILE
#
#   DAY           the trading day, YYYY-MM-DD
#   --archive     first close the day into the archive (exchange.archive_trading_day)
#                 when it is not archived yet
#   --dir DIR     where the export goes (default: $PGX_ARCHIVE_DIR, else ./archive)
#   --drop        after the verified export, drop the day's tables from the
#                 cluster (exchange.drop_archived_day: refused unless matchd has a
#                 snapshot after the day)
#   --restore FILE  bring a dropped day back from its export: checks the file's
#                 SHA-256, pg_restores it and verifies it against the catalog
#
# Connection: the usual PG* variables (PGDATABASE: the exchange's database).
# Verifying needs a role that may create databases and the extension (a
# superuser): the scratch database gets the extension at the live version.
#
# Export: pg_dump --format=custom of exchange_archive.journal_YYYYMMDD and
# exchange_archive.candles_1m_YYYYMMDD into DIR/exchange-YYYYMMDD.dump, its
# SHA-256 into .sha256 (sha256sum format) and the catalog row into .json.
# Verification: a scratch database with the extension at the live version, the
# dump restored into it, row counts and the checksums of
# exchange.journal_day_checksum (archived_journal_checksum: the one the day was
# archived with) and candles_day_checksum equal to exchange.archived_days;
# only then is the export recorded (exchange.record_archive_export).
set -euo pipefail

archive=0
drop=0
restore=
dir=${PGX_ARCHIVE_DIR:-archive}
day=
while [ $# -gt 0 ]; do
	case $1 in
	--archive) archive=1 ;;
	--drop) drop=1 ;;
	--dir) dir=${2:?--dir needs a directory}; shift ;;
	--restore) restore=${2:?--restore needs a file}; shift ;;
	-h | --help) sed -n '2,28p' "$0"; exit 0 ;;
	-*) echo "archive-day.sh: unknown option $1" >&2; exit 2 ;;
	*) day=$1 ;;
	esac
	shift
done

say() { echo "archive-day: $*"; }
die() { echo "archive-day: $*" >&2; exit 1; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

# restore_day DB FILE DAY: the day's tables from an export into DB, standalone
# first (pg_dump would attach them before their own keys exist, which the
# archive's keyed parents refuse), then attached to the archive, whose indexes
# adopt theirs and whose read-only trigger they gain after their rows are in.
restore_day() {
	local db=$1 file=$2 d=$3 list
	list=$(mktemp)
	pg_restore --list "$file" | grep -v -E '^[0-9]+; [0-9]+ [0-9]+ (TABLE|INDEX) ATTACH ' >"$list"
	pg_restore --exit-on-error --single-transaction --use-list="$list" -d "$db" "$file"
	rm -f "$list"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v day="$d" <<-'SQL'
		BEGIN;
		SELECT format('ALTER TABLE exchange_archive.%s ATTACH PARTITION exchange_archive.%I FOR VALUES FROM (%L) TO (%L)',
		              p, p || '_' || to_char(:'day'::date, 'YYYYMMDD'), :'day'::date, :'day'::date + 1)
		  FROM unnest(ARRAY['journal', 'candles_1m']) p \gexec
		COMMIT;
	SQL
}

if [ -n "$restore" ]; then
	[ -f "$restore" ] || die "no such file: $restore"
	[ -f "$restore.sha256" ] || die "no checksum file $restore.sha256 beside the export"
	(cd "$(dirname "$restore")" && sha256sum --quiet -c "$(basename "$restore").sha256") ||
		die "$restore does not match its SHA-256: not restoring it"
	day=$(basename "$restore" .dump)
	day=${day#exchange-}
	day="${day:0:4}-${day:4:2}-${day:6:2}"
	state=$(q -c "SELECT CASE WHEN dropped_at IS NULL THEN 'present' ELSE 'dropped' END
	              FROM exchange.archived_days WHERE trading_day = '$day'")
	[ "$state" = dropped ] || die "trading day $day is not a dropped archived day (${state:-not archived})"
	restore_day "${PGDATABASE:-exchange}" "$restore" "$day"
	q -c "SELECT 'restored ' || trading_day || ', verified against the catalog'
	      FROM exchange.restore_archived_day('$day')"
	exit 0
fi

[[ "$day" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "usage: archive-day.sh [--archive] [--drop] [--dir DIR] YYYY-MM-DD"
compact=${day//-/}

row=$(q -F '|' -c "SELECT journal_table, candles_table, encode(journal_sha256, 'hex'),
                          encode(candles_sha256, 'hex'), records, candle_rows,
                          dropped_at IS NOT NULL, checksum_version
                     FROM exchange.archived_days WHERE trading_day = '$day'")
if [ -z "$row" ]; then
	[ "$archive" = 1 ] || die "trading day $day is not archived (use --archive to archive it first)"
	say "archiving $day"
	q -c "SELECT 'archived ' || trading_day || ': ' || commands || ' commands, ' || records || ' records'
	      FROM exchange.archive_trading_day('$day')"
	row=$(q -F '|' -c "SELECT journal_table, candles_table, encode(journal_sha256, 'hex'),
	                          encode(candles_sha256, 'hex'), records, candle_rows, false,
	                          checksum_version
	                     FROM exchange.archived_days WHERE trading_day = '$day'")
fi
IFS='|' read -r jtable ctable jsum csum records candle_rows dropped checksum_version <<<"$row"
[ "$dropped" = f ] || die "trading day $day was dropped already; its export is in exchange.archived_days.export_file"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
file=$dir/exchange-$compact.dump
say "exporting $jtable and $ctable to $file"
pg_dump --format=custom --file="$file.tmp" --table="$jtable" --table="$ctable" "${PGDATABASE:-exchange}"
mv "$file.tmp" "$file"
(cd "$dir" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")
sha=$(cut -d' ' -f1 "$file.sha256")
q -c "SELECT row_to_json(a) FROM exchange.archived_days a WHERE trading_day = '$day'" >"$file.json"
say "SHA-256 $sha"

# Verify: restore into a scratch database and compare with the catalog.
scratch="exchange_verify_${compact}_$$"
cleanup() { psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $scratch" >/dev/null 2>&1 || true; }
trap cleanup EXIT
version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'exchange'")
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $scratch"
psql -X -q -v ON_ERROR_STOP=1 -d "$scratch" -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION exchange VERSION '$version'"
restore_day "$scratch" "$file" "$day"
# the journal's checksum as the day was archived (checksum_version: 1 before 1.8)
got=$(q -d "$scratch" -F '|' -c "SELECT encode(exchange.archived_journal_checksum('$day', $checksum_version::smallint), 'hex'),
                                      encode(exchange.candles_day_checksum('$day'), 'hex'),
                                      (SELECT count(*) FROM $jtable), (SELECT count(*) FROM $ctable)")
IFS='|' read -r got_jsum got_csum got_records got_candles <<<"$got"
if [ "$got_jsum" != "$jsum" ] || [ "$got_csum" != "$csum" ] || [ "$got_records" != "$records" ] ||
	[ "$got_candles" != "$candle_rows" ]; then
	die "the restored export does not match the archive: journal $got_records rows $got_jsum (archived $records, $jsum), candles $got_candles rows $got_csum (archived $candle_rows, $csum)"
fi
say "verified: restored $got_records journal records and $got_candles candle rows, checksums equal"
q -c "SELECT 'recorded export of ' || trading_day
      FROM exchange.record_archive_export('$day', '$file', '$sha', '\\x$got_jsum', '\\x$got_csum')"

if [ "$drop" = 1 ]; then
	q -c "SELECT 'dropped ' || trading_day || ' from the cluster' FROM exchange.drop_archived_day('$day')"
fi
