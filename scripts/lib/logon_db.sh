# shellcheck shell=bash
# Sourced by scripts/gatewayd.sh and scripts/httpd.sh: the database where both
# gateways check a broker's password (FIX Logon, HTTP Basic) by connecting to it
# as the broker role with that password.  It stays empty; a scram-sha-256 line
# for it goes at the top of pg_hba.conf (every other local connection stays
# trust).  Needs PGDATABASE etc. from the stack's env.

# logon_db_setup: creates pgx_fix_logon and its pg_hba.conf line when missing
logon_db_setup() {
	local hba
	if ! psql -X -Atq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'pgx_fix_logon'" | grep -q 1; then
		psql -X -q -d postgres -c "CREATE DATABASE pgx_fix_logon"
		psql -X -q -d postgres -c "COMMENT ON DATABASE pgx_fix_logon IS 'Empty: the FIX and REST gateways check a password by connecting here as the broker role with it (scram-sha-256 in pg_hba.conf).'"
	fi
	hba=$(psql -X -Atq -d postgres -c "SHOW hba_file")
	if ! grep -q '^local pgx_fix_logon ' "$hba"; then
		{ echo "local pgx_fix_logon all scram-sha-256"; cat "$hba"; } >"$hba.new"
		cat "$hba.new" >"$hba" && rm -f "$hba.new"
		psql -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
	fi
}
