#!/usr/bin/env bash
# make start: install what is missing, build, install, and start the local stack:
# a private PostgreSQL cluster under .exchange/ (or $PGX_HOME) with database
# `exchange` and the extension.  Safe to run again; data survives make stop.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${PGX_HOME:-$(pwd)/.exchange}

bash scripts/deps.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
make -s >/dev/null
$SUDO make -s install >/dev/null

bash scripts/cluster.sh start "$home"
# shellcheck disable=SC1091
. "$home/env"
if ! psql -X -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'" | grep -q 1; then
	psql -X -q -d postgres -c "CREATE DATABASE \"$PGDATABASE\""
fi
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS exchange;
ALTER EXTENSION exchange UPDATE;
SQL

cat <<MSG
pgexchange is running.
  data:     $home/data   (log: $home/postgresql.log)
  connect:  . $home/env && psql
  version:  $(psql -X -Atqc "SELECT extversion FROM pg_extension WHERE extname = 'exchange'") of the exchange extension in database $PGDATABASE
  stop:     make stop
MSG
