#!/usr/bin/env bash
# End to end: `make start` with PGX_TCP_PORT listens on 127.0.0.1 with a password
# that only the generated pgpass file knows; without the password, no entry.
set -euo pipefail
cd "$(dirname "$0")/../.."
home=$(mktemp -d /tmp/pgx-e2e-tcp.XXXXXX)
trap 'bash scripts/cluster.sh destroy "$home" >/dev/null 2>&1 || true' EXIT
port=$((20000 + RANDOM % 20000))
fail() { echo "FAIL: $*"; exit 1; }
# the gateways on ports nothing else holds (a developer's own make start has the defaults)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PGX_FIX_PORT=$(free_port)
PGX_HTTP_PORT=$(free_port)
export PGX_FIX_PORT PGX_HTTP_PORT

PGX_HOME=$home PGX_TCP_PORT=$port make -s start >/dev/null 2>&1 || fail "make start with TCP"
[ "$(stat -c %a "$home/pgpass")" = 600 ] || fail "pgpass is not private"
PGPASSFILE=$home/pgpass psql -X -h 127.0.0.1 -p "$port" -U postgres -d exchange -Atqc \
	"SELECT extname FROM pg_extension WHERE extname = 'exchange'" | grep -qx exchange ||
	fail "cannot connect over TCP with the generated password"
if PGPASSFILE=/dev/null PGPASSWORD=wrong psql -X -h 127.0.0.1 -p "$port" -U postgres -d exchange \
	-Atqc 'SELECT 1' >/dev/null 2>&1; then
	fail "TCP accepted a wrong password"
fi
echo "ok tcp_port"
