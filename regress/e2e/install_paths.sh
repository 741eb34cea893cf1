#!/usr/bin/env bash
# The two ways to the current version give the same extension: CREATE
# EXTENSION exchange (the install script the Makefile builds from sql/src/ and
# reporting/) and CREATE EXTENSION exchange VERSION '1.0' followed by ALTER
# EXTENSION exchange UPDATE (every upgrade script in turn).  Compared: the
# schema dumps of both databases, every member object of the extension with
# its definition, columns in order, defaults, constraints, indexes, triggers,
# policies, comments and privileges (pg_dump --binary-upgrade dumps an
# extension's members one by one; its lines about OIDs and storage are
# dropped).  Fails, showing the difference, when an object's source and the
# upgrade scripts disagree (one was edited without the other).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
PGX_DATABASE=postgres bash "$top/scripts/cluster.sh" start "$STACK" >/dev/null
. "$STACK/env"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE direct" -c "CREATE DATABASE upgraded" ||
	fail "databases"
psql -X -q -v ON_ERROR_STOP=1 -d direct -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION exchange" || fail "CREATE EXTENSION exchange"
psql -X -q -v ON_ERROR_STOP=1 -d upgraded -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION exchange VERSION '1.0'" -c "ALTER EXTENSION exchange UPDATE" ||
	fail "CREATE EXTENSION exchange VERSION '1.0' + ALTER EXTENSION exchange UPDATE"
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$top/exchange.control")
for db in direct upgraded; do
	v=$(psql -X -Atq -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'exchange'")
	[ "$v" = "$current" ] || fail "$db is at version $v, not $current"
done

# schema of one database, without what binary upgrade adds about OIDs and
# storage (relfrozenxid, the missing values of columns added by ALTER TABLE)
schema() {
	pg_dump --schema-only --binary-upgrade --no-tablespaces -d "$1" |
		grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' -e 'binary_upgrade_set_' \
			-e "^SET relfrozenxid" -e "^WHERE oid = '[0-9]*';" -e '^UPDATE pg_catalog.pg_class$' \
			-e "^WHERE oid = '.*'::pg_catalog.regclass;" |
		sed -e "s/binary_upgrade_create_empty_extension('exchange', 'exchange', false, '\([0-9.]*\)', '{[0-9,]*}'/binary_upgrade_create_empty_extension('exchange', 'exchange', false, '\1', '{OIDS}'/" |
		cat -s
}
schema direct >"$STACK/direct.sql" || fail "pg_dump direct"
schema upgraded >"$STACK/upgraded.sql" || fail "pg_dump upgraded"
members=$(psql -X -Atq -d direct -c "SELECT count(*) FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'exchange')")
[ "$members" -gt 100 ] || fail "only $members member objects: the dump compares nothing"
grep -q 'CREATE FUNCTION exchange.append_batch' "$STACK/direct.sql" || fail "the dump holds no function definitions"
grep -q '^COMMENT ON FUNCTION exchange.append_batch' "$STACK/direct.sql" || fail "the dump holds no comments"
if ! diff -u "$STACK/upgraded.sql" "$STACK/direct.sql" >"$STACK/diff.txt"; then
	echo "--- 1.0 + upgrades, +++ CREATE EXTENSION (sql/src/, reporting/): first differences"
	head -60 "$STACK/diff.txt"
	fail "the install script and the upgrade path differ ($(grep -c '^[-+][^-+]' "$STACK/diff.txt") lines)"
fi
echo "ok install_paths: version $current, $members member objects, $(wc -l <"$STACK/direct.sql") schema lines identical by both paths"
