#!/usr/bin/env bash
# The web page (web/) end to end in a real browser: Debian's chromium,
# headless, driven by puppeteer-core (regress/browser/page_test.mjs) against a
# throwaway stack with matchd and the REST server serving web/ at /.  A demo
# broker logs in, places an order through the ticket and sees it in the book;
# the other broker crosses it from SQL; the trade, the candle and the fill
# appear without a reload; the rest is canceled from the page; pgx-httpd
# restarts under the page, whose streams reconnect.  The screenshot
# is build/web/page.png.  No chromium outlives the test: its profile lives in
# the stack, and the exit trap ends whatever runs from there.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/rest.sh"
diag=
# shellcheck disable=SC2154 # top: set by lib/stack.sh
web_cleanup() {
	if [ -n "$diag" ]; then
		kill "$diag" 2>/dev/null
		# the server's threads at the end, for a stream that went quiet
		gdb -p "$(bash "$top/scripts/httpd.sh" pid "$STACK")" -batch -ex 'thread apply all bt' \
			>"$top/build/web/httpd-threads.txt" 2>&1 || true
	fi
	# the server's log beside the screenshot, for a failure's post-mortem
	cp "$STACK/httpd.log" "$top/build/web/httpd.log" 2>/dev/null || true
	# the browser's processes all name their profile directory
	pkill -KILL -f -- "--user-data-dir=$STACK/chromium" 2>/dev/null || true
	stack_cleanup
}
trap web_cleanup EXIT

bash "$top/scripts/web.sh" >/dev/null || fail "the web build (scripts/web.sh)"
[ -x "${PGX_CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium (scripts/deps.sh installs it)"
stack_up
matchd_start

# the demo's brokers, as make start creates them: two roles with a password,
# an account each, a symbol with tick 0.01
stack_market demo_broker_a WEBX DEMO-A1
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE demo_broker_b LOGIN IN ROLE exchange_broker;
SELECT account FROM exchange.open_account('DEMO-B1', 'demo_broker_b', 'verified');
SQL
stack_fund WEBX DEMO-B1
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v pw="$password" <<'SQL' || fail "passwords"
ALTER ROLE demo_broker_a PASSWORD :'pw';
ALTER ROLE demo_broker_b PASSWORD :'pw';
SELECT exchange.rest_enable('demo_broker_a');
SELECT exchange.rest_enable('demo_broker_b');
SQL

# pgx-httpd (sanitized) serving web/ of the checkout at /
rest_start
url=$BASE/

mkdir -p "$top/build/web"
# PGX_WEB_DIAG=1: what the market stream sent, beside the page, in build/web/market.sse
if [ -n "${PGX_WEB_DIAG:-}" ]; then
	curl -sS -N --max-time 120 "$BASE/v1/stream/marketdata?symbol=WEBX" >"$top/build/web/market.sse" 2>&1 &
	diag=$!
fi
rm -f "$top/build/web/page.png" "$top/build/web/page-narrow.png" "$top/build/web/page-failed.png"
PGX_WEB_URL=$url PGX_WEB_USER=demo_broker_a PGX_WEB_PASSWORD=$password PGX_WEB_ACCOUNT=DEMO-A1 \
	PGX_WEB_CONTRA=demo_broker_b PGX_WEB_CONTRA_ACCOUNT=DEMO-B1 PGX_WEB_SYMBOL=WEBX \
	PGX_WEB_SHOT="$top/build/web/page.png" PGX_WEB_PROFILE="$STACK/chromium" \
	PGX_WEB_RESTART="bash '$top/scripts/httpd.sh' stop '$STACK' >/dev/null && bash '$top/scripts/httpd.sh' start '$STACK' >/dev/null" \
	node "$top/regress/browser/page_test.mjs" || fail "the page in chromium (see above)"
[ -s "$top/build/web/page.png" ] || fail "no screenshot"

# the browser is gone: puppeteer closed it, nothing runs from its profile
if pgrep -f -- "--user-data-dir=$STACK/chromium" >/dev/null; then
	fail "chromium is still running after the test"
fi
sanitizer_clean
echo "PASS web_page (screenshot build/web/page.png)"
