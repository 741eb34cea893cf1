#!/usr/bin/env bash
# End to end: the README's `make start` / `make stop` on a scratch home.
# start works, writes a usable env file, starts matchd and the FIX gateway (demo
# sessions and password), is harmless twice, and data survives a stop and a start.
set -euo pipefail
cd "$(dirname "$0")/../.."
home=$(mktemp -d /tmp/pgx-e2e.XXXXXX)
trap 'bash scripts/cluster.sh destroy "$home" >/dev/null 2>&1 || true' EXIT
export PGX_HOME=$home

fail() { echo "FAIL: $*"; exit 1; }
# the gateways on ports nothing else holds (a developer's own make start has the defaults)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PGX_FIX_PORT=$(free_port)
PGX_HTTP_PORT=$(free_port)
export PGX_FIX_PORT PGX_HTTP_PORT

PGX_HOME=$home make -s start >"$home.start1" 2>&1 || { cat "$home.start1"; fail "make start"; }
grep -q 'pgexchange is running' "$home.start1" || fail "start did not say it is running"
for v in PGHOST PGPORT PGDATABASE PGUSER; do
	grep -q "^export $v=" "$home/env" || fail "env lacks $v"
done
(
	# shellcheck disable=SC1091
	. "$home/env"
	[ "$PGDATABASE" = exchange ] || fail "database is $PGDATABASE"
	v=$(psql -X -Atqc "SELECT extversion FROM pg_extension WHERE extname = 'exchange'")
	want=$(sed -n "s/^default_version = '\(.*\)'/\1/p" exchange.control)
	[ "$v" = "$want" ] || fail "extension version '$v', expected '$want'"
	bash scripts/matchd.sh status "$home" >/dev/null || fail "matchd is not running after make start"
	bash scripts/gatewayd.sh status "$home" >/dev/null || fail "gatewayd is not running after make start"
	grep -q "^export PGX_FIX_PORT=$PGX_FIX_PORT$" "$home/env" || fail "env lacks PGX_FIX_PORT"
	bash scripts/httpd.sh status "$home" >/dev/null || fail "pgx-httpd is not running after make start"
	grep -q "^export PGX_HTTP_PORT=$PGX_HTTP_PORT$" "$home/env" || fail "env lacks PGX_HTTP_PORT"
	[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PGX_HTTP_PORT/")" = 200 ] ||
		fail "the web page is not served"
	grep -q '^export PGX_DEMO_PASSWORD=' "$home/env" || fail "env lacks PGX_DEMO_PASSWORD"
	grep -q "Password $PGX_DEMO_PASSWORD" "$home.start1" || fail "make start did not print the demo password"
	f=$(psql -X -Atqc "SELECT string_agg(sender_comp_id || '>' || target_comp_id || ':' || broker, ' ' ORDER BY 1) FROM exchange.fix_sessions")
	[ "$f" = "DEMO_BROKER_A>PGX:demo_broker_a DEMO_BROKER_B>PGX:demo_broker_b" ] || fail "demo FIX sessions: '$f'"
	s=$(psql -X -Atqc "SELECT string_agg(symbol, ' ' ORDER BY symbol) FROM exchange.symbols")
	[ "$s" = "AAPL BRK.B MSFT" ] || fail "demo symbols: '$s'"
	r=$(psql -X -Atqc "SET ROLE demo_broker_a" \
		-c "SELECT status FROM exchange.submit_order('DEMO-A1', 'AAPL', 'buy', 100, 189.50)")
	[ "$r" = new ] || fail "demo order: '$r'"
	psql -X -q -v ON_ERROR_STOP=1 -c "SELECT exchange.append_batch(t.stream, t.epoch, 1,
		exchange.encode_batch(ARRAY[exchange.make_record(1, 0, 'market_open', now())]))
		FROM exchange.take_over_stream('e2e') t" >/dev/null || fail "append"
)
PGX_HOME=$home make -s start >/dev/null 2>&1 || fail "second make start"
PGX_HOME=$home make -s stop >/dev/null 2>&1 || fail "make stop"
bash scripts/cluster.sh status "$home" >/dev/null 2>&1 && fail "still running after stop"
bash scripts/matchd.sh status "$home" >/dev/null 2>&1 && fail "matchd still running after stop"
bash scripts/gatewayd.sh status "$home" >/dev/null 2>&1 && fail "gatewayd still running after stop"
bash scripts/httpd.sh status "$home" >/dev/null 2>&1 && fail "pgx-httpd still running after stop"
PGX_HOME=$home make -s start >/dev/null 2>&1 || fail "start after stop"
(
	# shellcheck disable=SC1091
	. "$home/env"
	n=$(psql -X -Atqc "SELECT last_seq FROM exchange.streams WHERE name = 'e2e'")
	[ "$n" = 1 ] || fail "data lost across stop/start (last_seq '$n')"
)
rm -f "$home.start1"
echo "ok local_stack"
