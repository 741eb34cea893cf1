#!/usr/bin/env bash
# make start: install what is missing, build, install, and start the local stack:
# a private PostgreSQL cluster under .exchange/ (or $PGX_HOME) with database
# `exchange` and the extension.  Safe to run again; data survives make stop.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${PGX_HOME:-$(pwd)/.exchange}

bash scripts/deps.sh
bash scripts/web.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
make -s >/dev/null
make -s -C daemon matchd gatewayd httpd >/dev/null
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

bash scripts/matchd.sh start "$home" >/dev/null

# Demo reference data (once): two brokers, three accounts, three symbols.
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_broker_a') THEN
		CREATE ROLE demo_broker_a LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_broker_b') THEN
		CREATE ROLE demo_broker_b LOGIN;
	END IF;
END
$$;
GRANT exchange_broker TO demo_broker_a, demo_broker_b;
SELECT exchange.add_symbol(s, 0.01, 1, 'USD', p, d)
  FROM (VALUES ('AAPL', 190.00, 'Apple Inc.'), ('MSFT', 420.00, 'Microsoft Corp.'),
			   ('BRK.B', 410.00, 'Berkshire Hathaway Inc. Class B')) AS v(s, p, d)
 WHERE NOT EXISTS (SELECT 1 FROM exchange.symbols WHERE symbol = s);
-- verified accounts, each with 1,000,000.00 USD and 10,000 shares of each symbol
SELECT exchange.open_account(a, b::regrole, 'verified'),
	   exchange.deposit(a, 1000000.00, 'USD'),
	   (SELECT count(exchange.credit_shares(a, symbol, 10000)) FROM exchange.symbols)
  FROM (VALUES ('DEMO-A1', 'demo_broker_a'), ('DEMO-A2', 'demo_broker_a'),
			   ('DEMO-B1', 'demo_broker_b')) AS v(a, b)
 WHERE NOT EXISTS (SELECT 1 FROM exchange.accounts WHERE account = a);
-- no schedule in the demo: the market stays open until exchange.close_market()
SELECT exchange.open_market() WHERE NOT (SELECT is_open FROM exchange.market_status());
-- FIX: one session per demo broker, SenderCompID its role name in upper case
SELECT exchange.fix_add_session(upper(b), b::regrole)
  FROM (VALUES ('demo_broker_a'), ('demo_broker_b')) AS v(b)
 WHERE NOT EXISTS (SELECT 1 FROM exchange.fix_sessions WHERE sender_comp_id = upper(b));
SQL

# the demo brokers' login password (FIX Logon: Username = role, Password), kept
# in DIR/demo-password and exported in DIR/env as PGX_DEMO_PASSWORD
if [ ! -s "$home/demo-password" ]; then
	(umask 077 && head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$home/demo-password")
fi
PGX_DEMO_PASSWORD=$(cat "$home/demo-password")
psql -X -q -v ON_ERROR_STOP=1 -v pw="$PGX_DEMO_PASSWORD" <<'SQL'
SET client_min_messages = warning;
ALTER ROLE demo_broker_a PASSWORD :'pw';
ALTER ROLE demo_broker_b PASSWORD :'pw';
SQL
grep -q '^export PGX_DEMO_PASSWORD=' "$home/env" ||
	echo "export PGX_DEMO_PASSWORD=$PGX_DEMO_PASSWORD" >>"$home/env"
bash scripts/gatewayd.sh start "$home" >/dev/null
# REST (docs/rest.md): the demo brokers may be acted for by pgx-httpd (Basic
# with PGX_DEMO_PASSWORD, or an API key from exchange.issue_api_key)
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 \
	-c "SELECT exchange.rest_enable(b::regrole) FROM (VALUES ('demo_broker_a'), ('demo_broker_b')) AS v(b)"
bash scripts/httpd.sh start "$home" >/dev/null
# shellcheck disable=SC1091
. "$home/env"

cat <<MSG
pgexchange is running.
  data:     $home/data   (log: $home/postgresql.log)
  connect:  . $home/env && psql
  version:  $(psql -X -Atqc "SELECT extversion FROM pg_extension WHERE extname = 'exchange'") of the exchange extension in database $PGDATABASE
  matchd:   $(bash scripts/matchd.sh status "$home")  (log: $home/matchd.log)
  gatewayd: $(bash scripts/gatewayd.sh status "$home")  (log: $home/gatewayd.log)
  REST:     $(bash scripts/httpd.sh status "$home")  (log: $home/httpd.log)
            http://127.0.0.1:$PGX_HTTP_PORT/ (the page), API under /v1 (docs/rest.md), one order:
            curl -u demo_broker_a:\$PGX_DEMO_PASSWORD -H 'Content-Type: application/json' -d '{"account":"DEMO-A1","symbol":"AAPL","side":"buy","quantity":100,"price":"189.50"}' http://127.0.0.1:$PGX_HTTP_PORT/v1/order
  demo:     symbols AAPL MSFT BRK.B; accounts DEMO-A1 DEMO-A2 (role demo_broker_a), DEMO-B1 (demo_broker_b)
            psql -c "SET ROLE demo_broker_a; SELECT * FROM exchange.submit_order('DEMO-A1', 'AAPL', 'buy', 100, 189.50)"
  FIX 4.4:  127.0.0.1:$PGX_FIX_PORT, SenderCompID DEMO_BROKER_A or DEMO_BROKER_B, TargetCompID PGX,
            Username demo_broker_a / demo_broker_b, Password $PGX_DEMO_PASSWORD (PGX_DEMO_PASSWORD in $home/env)
  stop:     make stop
MSG
