# Sourced by the end-to-end tests: a throwaway cluster with the extension and
# matchd, removed on exit.  Sets STACK (the directory) and the PG* variables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
top=$(pwd)
STACK=$(mktemp -d /tmp/pgx-e2e.XXXXXX)
# Everything the test started runs from $STACK (matchd from $STACK/bin, any
# node, any client given a path in it): whatever is left after the cluster is
# destroyed is killed, so no daemon outlives its test, whichever way it ends.
stack_cleanup() {
	bash "$top/scripts/cluster.sh" destroy "$STACK" >/dev/null 2>&1 || true
	pkill -KILL -f -- "$STACK/" 2>/dev/null || true
}
trap stack_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*"
	if [ -f "$STACK/matchd.log" ]; then
		echo "--- matchd.log (last 20 lines)"
		tail -20 "$STACK/matchd.log"
	fi
	if [ -f "$STACK/gatewayd.log" ]; then
		echo "--- gatewayd.log (last 20 lines)"
		tail -20 "$STACK/gatewayd.log"
	fi
	exit 1
}

# stack_up: cluster, database exchange, extension, matchd role and socket
# setting; matchd itself is started by the test (matchd_start).
stack_up() {
	PGX_DATABASE=exchange bash "$top/scripts/cluster.sh" start "$STACK" >/dev/null
	# shellcheck disable=SC1091
	. "$STACK/env"
	psql -X -q -d postgres -c "CREATE DATABASE exchange"
	psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION exchange${PGX_EXTENSION_VERSION:+ VERSION '$PGX_EXTENSION_VERSION'}"
	make -s -C "$top/daemon" matchd >/dev/null
}

matchd_start() { bash "$top/scripts/matchd.sh" start "$STACK" "$@" >/dev/null; }
# matchd_restart_same_state: stops matchd cleanly and starts it again; fails
# unless the replay reached the book's and the order manager's hashes of the
# stop, which it leaves in RESTART_HASHES.
matchd_restart_same_state() {
	local h1 h2
	matchd_stop
	grep -q "stopped cleanly" "$STACK/matchd.log" || fail "no clean stop"
	h1=$(grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*' "$STACK/matchd.log" | tail -1)
	matchd_start
	h2=$(grep -o 'state hash [0-9a-f]*, order manager hash [0-9a-f]*' "$STACK/matchd.log" | tail -1)
	[ "$h1" = "$h2" ] || fail "replayed book differs: $h1 vs $h2"
	RESTART_HASHES=$h1
}
matchd_stop() { bash "$top/scripts/matchd.sh" stop "$STACK" >/dev/null; }
matchd_kill() { bash "$top/scripts/matchd.sh" kill "$STACK" >/dev/null; }

# stack_market BROKER SYMBOL ACCOUNT...: a broker login role, a symbol (tick
# 0.01, no reference price: no price band, and market buys are refused) and
# the broker's accounts (KYC verified, funded by stack_fund), listed through
# matchd (it must be running); the market opens
stack_market() {
	local broker=$1 symbol=$2 account
	shift 2
	{
		echo "SET client_min_messages = warning;"
		echo "CREATE ROLE $broker LOGIN IN ROLE exchange_broker;"
		echo "SELECT symbol FROM exchange.add_symbol('$symbol', 0.01);"
		for account in "$@"; do
			echo "SELECT account FROM exchange.open_account('$account', '$broker', 'verified');"
		done
	} | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 || fail "setup of $symbol for $broker"
	stack_fund "$symbol" "$@"
}

# stack_fund SYMBOL ACCOUNT...: 10,000,000.00 USD and 1,000,000 shares of
# SYMBOL for each account, limits no test load reaches, and the market open
stack_fund() {
	local symbol=$1 account
	shift
	{
		echo "SET client_min_messages = warning;"
		for account in "$@"; do
			echo "SELECT 1 FROM exchange.deposit('$account', 10000000.00, 'USD');"
			echo "SELECT 1 FROM exchange.credit_shares('$account', '$symbol', 1000000);"
			echo "SELECT 1 FROM exchange.set_account_limits('$account',
				max_order_notional => 100000000, max_daily_notional => 1000000000,
				max_open_orders => 100000, orders_per_second => 100000, burst => 100000);"
		done
		echo "SELECT 1 FROM exchange.market_status() WHERE is_open OR (SELECT true FROM exchange.open_market());"
	} | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 || fail "funding accounts for $symbol"
}

# build_client NAME: compiles regress/e2e/NAME.c (libpq) into build/e2e/NAME
build_client() {
	mkdir -p "$top/build/e2e"
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -I"$(pg_config --includedir)" \
		-o "$top/build/e2e/$1" "$top/regress/e2e/$1.c" -L"$(pg_config --libdir)" -lpq -lpthread
	echo "$top/build/e2e/$1"
}

# load_client: builds bench/order_load (the one load client; the drills run it
# with --closed-loop) and prints its path
load_client() {
	make -s -C "$top/bench" >/dev/null || return 1
	echo "$top/build/bench/order_load"
}

# build_fix_client: the QuickFIX initiator (regress/e2e/fix_client.cpp) into
# build/e2e/fix_client; QuickFIX 1.15's headers need C++14 (dynamic exception
# specifications)
build_fix_client() {
	mkdir -p "$top/build/e2e"
	g++ -std=c++14 -O1 -Wall -Wextra -Werror -Wno-deprecated -Wno-deprecated-declarations \
		-o "$top/build/e2e/fix_client" "$top/regress/e2e/fix_client.cpp" \
		$(pkg-config --cflags --libs quickfix) -lpthread
	echo "$top/build/e2e/fix_client"
}

# free_port: a TCP port nothing listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# gatewayd_start [flags]: the FIX gateway on $PGX_FIX_PORT (scripts/gatewayd.sh)
# fix_stack: stack_up, matchd, the sanitized gatewayd built (PGX_GATEWAYD_BIN
# unless set) and a free PGX_FIX_PORT: what the raw-FIX drills start from
fix_stack() {
	stack_up
	matchd_start
	make -s -C "$top/daemon" gatewayd gatewayd-asan >/dev/null || fail "cannot build gatewayd"
	export PGX_GATEWAYD_BIN=${PGX_GATEWAYD_BIN:-$top/daemon/build/asan/bin/gatewayd}
	export PGX_FIX_PORT
	PGX_FIX_PORT=$(free_port)
}
gatewayd_start() { bash "$top/scripts/gatewayd.sh" start "$STACK" "$@" >/dev/null; }
gatewayd_stop() { bash "$top/scripts/gatewayd.sh" stop "$STACK" >/dev/null; }
gatewayd_kill() { bash "$top/scripts/gatewayd.sh" kill "$STACK" >/dev/null; }

# sanitizer_clean: fails when the (sanitized) matchd reported a memory or UB error
sanitizer_clean() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK"/matchd*.log \
		"$STACK"/gatewayd*.log 2>/dev/null; then
		grep -hE -A5 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK"/matchd*.log \
			"$STACK"/gatewayd*.log 2>/dev/null | head -40
		fail "matchd or gatewayd reported a sanitizer error"
	fi
}

# q SQL: one value as postgres
# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 50 ms until it
# succeeds; after SECONDS the test fails with WHAT.  Tests wait on conditions
# like this, never on a fixed sleep: a busy machine only makes them slower.
wait_until() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$(($(date +%s%3N) + limit * 1000))
	until "$@"; do
		[ "$(date +%s%3N)" -lt "$deadline" ] || fail "after ${limit} s: $what"
		sleep 0.05
	done
}

# acks_since FILE NS: ACK lines of an order_load --fate-log stamped after NS
acks_since() { awk -v t="$2" '$1 == "ACK" && $4 > t {n++} END {print n + 0}' "$1" 2>/dev/null || echo 0; }

q() { psql -X -Atq -v ON_ERROR_STOP=1 -c "$1"; }

# matchd_node NODE CMD [ARGS]: scripts/matchd.sh for node NODE (own pid file,
# log DIR/matchd-NODE.log, socket $PGHOST/matchd-NODE.sock)
matchd_node() {
	local node=$1 cmd=$2
	shift 2
	PGX_MATCHD_NODE=$node bash "$top/scripts/matchd.sh" "$cmd" "$STACK" "$@"
}

