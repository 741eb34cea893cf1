#!/usr/bin/env bash
# The REST API /v1 end to end (pgx-httpd, sanitized, against a real matchd):
# every endpoint with curl; Basic authentication checked by PostgreSQL and API
# keys (issued, used, revoked); row-level security through REST (broker B
# cannot see, cancel or amend broker A's orders, nor trade its accounts, nor
# see its executions, balances or L3 accounts); every error status with its
# {error, sqlstate, message} body (400 bad JSON, wrong types, unknown and
# duplicate fields, floats with exponents, bad parameters; 401; 403; 404; 405;
# 409 a reused clientOrderId; 413 a huge body; 415; 422 the order manager's
# refusal; 429 rate limited; 503 matchd down; 504 matchd silent); the order
# options (a stop-limit that waits outside the book until a trade fires it, its
# stop price and fill; a post-only that would cross, rejected; good till date;
# each option's refusals, with nothing journaled); times as ISO 8601 and epoch
# ms; the Server-Sent Events streams (book, increments, trades, candles, a
# broker's own executions only); static files; and every answer checked
# against docs/openapi.json, which is the document served at /v1/openapi.json.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
. "$(dirname "$0")/lib/rest.sh"
stack_up
matchd_start

stack_market rest_a RST RA1 RA2
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || fail "setup"
SET client_min_messages = warning;
CREATE ROLE rest_b LOGIN IN ROLE exchange_broker;
CREATE ROLE rest_c LOGIN IN ROLE exchange_broker;
SELECT account FROM exchange.open_account('RB1', 'rest_b', 'verified');
ALTER ROLE rest_a PASSWORD 'pw-a';
ALTER ROLE rest_b PASSWORD 'pw-b';
ALTER ROLE rest_c PASSWORD 'pw-c';
SELECT exchange.rest_enable('rest_a');
SELECT exchange.rest_enable('rest_b');
SQL
stack_fund RST RB1
mkdir -p "$STACK/www/js"
echo '<!doctype html><title>pgexchange</title>' >"$STACK/www/index.html"
echo 'console.log(1);' >"$STACK/www/js/app.js"
# what web/ also holds beside the page (the build's packages) is not served
mkdir -p "$STACK/www/node_modules/x"
echo '{}' >"$STACK/www/package.json"
echo 'secret' >"$STACK/www/node_modules/x/index.js"
echo 'secret' >"$STACK/www/notes.txt"
# the daemon's connections give up on matchd after 2 s (504 below)
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "CREATE ROLE pgx_httpd LOGIN IN ROLE exchange_rest" \
	-c "ALTER ROLE pgx_httpd SET exchange.matchd_timeout = '2s'" || fail "pgx_httpd"
PGX_HTTP_STATIC=$STACK/www rest_start --auth-cache 1
grep -q "^export PGX_HTTP_PORT=$PGX_HTTP_PORT$" "$STACK/env" || fail "PGX_HTTP_PORT not in env"
A=(-u rest_a:pw-a)
B=(-u rest_b:pw-b)

# ---- public market data, the document, static files -----------------------------
expect 200 /v1/symbols GET /v1/symbols
jq_is '.symbols[0] == {"symbol":"RST","tickSize":"0.01","lotSize":1,"currency":"USD","description":null}'
expect 200 /v1/openapi.json GET /v1/openapi.json
cmp -s "$STACK/answers/$n_answers.json" "$top/docs/openapi.json" || fail "/v1/openapi.json is not docs/openapi.json"
expect 200 - GET /
grep -q '<title>pgexchange</title>' <<<"$BODY" || fail "/ is not index.html"
expect 200 - GET /js/app.js
curl -sS -o /dev/null -w '%{content_type}' "$BASE/js/app.js" | grep -q '^text/javascript' ||
	fail "app.js is not served as JavaScript"
expect 404 - GET /nothing.html
expect 404 - GET /package.json
expect 404 - GET /node_modules/x/index.js
expect 404 - GET /js/../node_modules/x/index.js --path-as-is
expect 404 - GET /notes.txt
expect 404 - GET /../env --path-as-is
expect 404 - GET /%2e%2e/env
expect 404 - GET /.hidden
expect 404 - GET /v1/nope

# ---- orders ----------------------------------------------------------------------
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"sell","quantity":100,"price":"10.00","timeInForce":"gtc","clientOrderId":"a-1"}'
jq_is '.status == "new" and .filledQuantity == 0 and .remainingQuantity == 100 and (.creationTime | test("Z$"))'
sell=$(jq -r .id <<<"$BODY")
expect 200 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST"
jq_is '.asks == [["10.00", 100]] and .bids == [] and .asOfSeq >= '"$sell"
# the price as an exact JSON number, no timeInForce: a day order
expect 200 /v1/order POST /v1/order "${B[@]}" "${JSON[@]}" \
	-d '{"account":"RB1","symbol":"RST","side":"buy","quantity":30,"price":10}'
jq_is '.status == "filled" and .filledQuantity == 30 and .remainingQuantity == 0'
buy=$(jq -r .id <<<"$BODY")
expect 200 /v1/order/{id} GET "/v1/order/$sell" "${A[@]}"
jq_is '.id == '"$sell"' and .status == "partially_filled" and .filledQuantity == 30 and .remainingQuantity == 70 and .price == "10.00" and .clientOrderId == "a-1" and .timeInForce == "gtc" and .account == "RA1"'
expect 200 /v1/marketdata/orderBook/L1 GET "/v1/marketdata/orderBook/L1?symbol=RST"
jq_is '.ask == {"price":"10.00","quantity":70,"orders":1} and .bid == null and .last.price == "10.00" and .last.quantity == 30 and .status == "open"'
expect 200 /v1/marketdata/orderBook/L3 GET "/v1/marketdata/orderBook/L3?symbol=RST&depth=5" "${A[@]}"
jq_is '.asks == [{"price":"10.00","orderId":'"$sell"',"quantity":70,"enteredAt":.asks[0].enteredAt,"account":"RA1"}]'
expect 200 /v1/orders GET "/v1/orders?symbol=RST" "${A[@]}"
jq_is '[.orders[].id] == ['"$sell"'] and .orders[0].remainingQuantity == 70 and .orders[0].queuePosition == 1'
expect 200 /v1/execution GET "/v1/execution?symbol=RST" "${A[@]}"
jq_is '[.executions[] | [.orderId, .account, .side, .price, .quantity, .orderType]] == [['"$sell"', "RA1", "sell", "10.00", 30, "limit"]]'
exec_ms=$(jq -r '.executions[0].timeMs' <<<"$BODY")
exec_iso=$(jq -r '.executions[0].time' <<<"$BODY")
# times: epoch milliseconds and ISO 8601 (Z and an offset) give the same window
expect 200 /v1/execution GET "/v1/execution?symbol=RST&orderId=$sell&startTime=$exec_ms&endTime=$((exec_ms + 1))" "${A[@]}"
jq_is '(.executions | length) == 1'
expect 200 /v1/execution GET "/v1/execution?symbol=RST&startTime=$((exec_ms + 1))" "${A[@]}"
jq_is '.executions == []'
offset_time=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t - datetime.timedelta(minutes=1)).astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat())" "$exec_iso")
expect 200 /v1/execution GET "/v1/execution?symbol=RST&startTime=$(jq -rn --arg t "$offset_time" '$t|@uri')&endTime=$(jq -rn --arg t "$exec_iso" '$t|@uri')" "${A[@]}"
jq_is '.executions == []' # end is exclusive: the execution at exec_iso is not before it
expect 200 /v1/execution GET "/v1/execution?symbol=RST&startTime=$(jq -rn --arg t "$offset_time" '$t|@uri')" "${A[@]}"
jq_is '(.executions | length) == 1'
expect 200 /v1/marketdata/candles GET "/v1/marketdata/candles?symbol=RST&resolution=1m"
jq_is '.resolution == 60 and (.candles | length) == 1 and .candles[0].open == "10.00" and .candles[0].volume == 30 and .candles[0].tradeCount == 1'
expect 200 /v1/marketdata/candles GET "/v1/marketdata/candles?symbol=RST&resolution=60&startTime=$exec_ms"
jq_is '(.candles | length) == 0' # buckets that start at or after startTime
expect 200 /v1/marketdata/candles GET "/v1/marketdata/candles?symbol=RST&resolution=1d&startTime=0"
jq_is '(.candles | length) == 1 and .resolution == 86400'
expect 200 /v1/balances GET "/v1/balances?account=RA1" "${A[@]}"
jq_is '[.balances[] | [.assetType, .asset, .available, .held, .total]] == [["cash","USD","10000300.00","0.00","10000300.00"],["shares","RST","999900","70","999970"]]'
expect 200 /v1/balances GET /v1/balances "${A[@]}"
jq_is '[.balances[].account] | unique == ["RA1","RA2"]'
expect 200 /v1/accounts GET /v1/accounts "${A[@]}"
jq_is '.accounts == [{"account":"RA1","kycStatus":"verified"},{"account":"RA2","kycStatus":"verified"}]'
expect 200 /v1/whoami GET /v1/whoami "${B[@]}"
jq_is '.role == "rest_b"'

# ---- row-level security: broker B and broker A's order and accounts ----------------
expect 404 /v1/order/{id} GET "/v1/order/$sell" "${B[@]}"
jq_is '.error == "not_found"'
expect 404 /v1/order/{id} DELETE "/v1/order/$sell" "${B[@]}"
expect 404 /v1/order/{id} PATCH "/v1/order/$sell" "${B[@]}" "${JSON[@]}" -d '{"quantity":1}'
expect 403 /v1/order POST /v1/order "${B[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9.00"}'
jq_is '.sqlstate == "42501" and (.message | test("does not exist or does not belong to role"))'
expect 200 /v1/orders GET "/v1/orders?symbol=RST" "${B[@]}"
jq_is '.orders == []'
expect 200 /v1/marketdata/orderBook/L3 GET "/v1/marketdata/orderBook/L3?symbol=RST" "${B[@]}"
jq_is '.asks[0].orderId == '"$sell"' and .asks[0].account == null'
expect 200 /v1/execution GET "/v1/execution?symbol=RST" "${B[@]}"
jq_is '[.executions[].account] == ["RB1"]'
expect 200 /v1/balances GET "/v1/balances?account=RA1" "${B[@]}"
jq_is '.balances == []'
expect 200 /v1/accounts GET /v1/accounts "${B[@]}"
jq_is '[.accounts[].account] == ["RB1"]'
got=$(q "SELECT quantity FROM exchange.order_book_l3('RST') WHERE order_id = $sell")
[ "$got" = 70 ] || fail "broker B's cancel or amend touched A's order ($got)"
expect 404 /v1/order/{id} GET "/v1/order/$((buy + 1000))" "${A[@]}"

# ---- amend and cancel --------------------------------------------------------------
expect 200 /v1/order/{id} PATCH "/v1/order/$sell" "${A[@]}" "${JSON[@]}" -d '{"quantity":50,"price":"10.05"}'
jq_is '.id == '"$sell"' and .remainingQuantity == 50 and .status == "partially_filled"'
expect 200 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST&depth=1"
jq_is '.asks == [["10.05", 50]]'
expect 200 /v1/order/{id} DELETE "/v1/order/$sell" "${A[@]}"
jq_is '.status == "canceled" and .remainingQuantity == 0 and .filledQuantity == 30'
expect 404 /v1/order/{id} DELETE "/v1/order/$sell" "${A[@]}"
jq_is '.sqlstate == "PX030"'
expect 200 /v1/order/{id} GET "/v1/order/$sell" "${A[@]}"
jq_is '.status == "canceled"'

# ---- stop-limit, post-only, good-till-date (submit_order's 1.9 options) --------------
# buy stop-limit 5 at 10.30, stop 10.20: it waits, in no book, while the last
# trade (10.00) is below its stop
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":5,"price":"10.30","orderType":"stop_limit","timeInForce":"gtc","stopPrice":"10.20","clientOrderId":"a-stop"}'
jq_is '.status == "new" and .filledQuantity == 0 and .remainingQuantity == 5 and .rejectReason == null'
stop=$(jq -r .id <<<"$BODY")
expect 200 /v1/order/{id} GET "/v1/order/$stop" "${A[@]}"
jq_is '.orderType == "stop_limit" and .timeInForce == "gtc" and .price == "10.30" and .status == "new" and .remainingQuantity == 5 and .stopPrice == "10.20" and .triggeredTime == null and .postOnly == false and .expireTime == null'
expect 200 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST"
jq_is '.bids == []'
expect 200 /v1/marketdata/orderBook/L3 GET "/v1/marketdata/orderBook/L3?symbol=RST" "${A[@]}"
jq_is '[.bids[], .asks[] | .orderId] | index('"$stop"') == null'
expect 200 /v1/orders GET "/v1/orders?symbol=RST" "${A[@]}"
jq_is '[.orders[].id] | index('"$stop"') == null'
# broker B rests 10 at 10.20; A's other account takes 2 of them: the last trade
# reaches the stop, which fires in that command and takes 5 more at 10.20
expect 200 /v1/order POST /v1/order "${B[@]}" "${JSON[@]}" \
	-d '{"account":"RB1","symbol":"RST","side":"sell","quantity":10,"price":"10.20","timeInForce":"gtc"}'
ask=$(jq -r .id <<<"$BODY")
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA2","symbol":"RST","side":"buy","quantity":2,"price":"10.20","timeInForce":"ioc"}'
jq_is '.status == "filled"'
trigger=$(jq -r .id <<<"$BODY")
expect 200 /v1/order/{id} GET "/v1/order/$stop" "${A[@]}"
jq_is '.status == "filled" and .filledQuantity == 5 and .remainingQuantity == 0 and .stopPrice == "10.20" and (.triggeredTime | test("Z$"))'
expect 200 /v1/execution GET "/v1/execution?symbol=RST&orderId=$stop" "${A[@]}"
jq_is '[.executions[] | [.orderId, .account, .side, .price, .quantity, .stopPrice, .seq]] == [['"$stop"', "RA1", "buy", "10.20", 5, "10.20", '"$trigger"']]'
expect 200 /v1/execution GET "/v1/execution?symbol=RST&orderId=$trigger" "${A[@]}"
jq_is '[.executions[] | [.quantity, .stopPrice]] == [[2, null]]'
# broker B: not A's stop order, and its own side of the trade carries no stop price
expect 404 /v1/order/{id} GET "/v1/order/$stop" "${B[@]}"
expect 200 /v1/execution GET "/v1/execution?symbol=RST&orderId=$ask" "${B[@]}"
jq_is '[.executions[] | [.account, .quantity, .stopPrice]] == [["RB1", 2, null], ["RB1", 5, null]]'
expect 200 /v1/order/{id} GET "/v1/order/$ask" "${B[@]}"
jq_is '.status == "partially_filled" and .remainingQuantity == 3 and .stopPrice == null and .triggeredTime == null'
# a stop whose trigger the last trade (10.20) has reached already: rejected by matchd
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"10.30","orderType":"stop_limit","stopPrice":"10.10"}'
jq_is '.status == "rejected" and .rejectReason == "stop_would_trigger"'
# post-only: one that would take B's ask is rejected and changes nothing, one
# below it rests
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"10.20","timeInForce":"gtc","postOnly":true}'
jq_is '.status == "rejected" and .rejectReason == "post_only_would_cross" and .filledQuantity == 0'
expect 200 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST"
jq_is '.asks == [["10.20", 3]] and .bids == []'
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"10.10","postOnly":true}'
jq_is '.status == "new"'
post=$(jq -r .id <<<"$BODY")
expect 200 /v1/order/{id} GET "/v1/order/$post" "${A[@]}"
jq_is '.postOnly == true and .expireTime == null and .stopPrice == null'
expect 200 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST"
jq_is '.bids == [["10.10", 1]]'
# good till date: an expire time with an offset; the order says gtd
expire=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone(d.timedelta(hours=2))) + d.timedelta(hours=1)).isoformat(timespec='milliseconds'))")
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"sell","quantity":1,"price":"11.00","timeInForce":"gtd","expireTime":"'"$expire"'"}'
jq_is '.status == "new"'
gtd=$(jq -r .id <<<"$BODY")
expect 200 /v1/order/{id} GET "/v1/order/$gtd" "${A[@]}"
jq_is '.timeInForce == "gtd" and .status == "new" and .stopPrice == null and .postOnly == false and (.expireTime | test("Z$"))'
[ "$(q "SELECT '$(jq -r .expireTime <<<"$BODY")'::timestamptz = '$expire'::timestamptz")" = t ] ||
	fail "GET /v1/order's expireTime of $gtd is not $expire: $BODY"
[ "$(q "SELECT expire_time = '$expire'::timestamptz FROM exchange.journal WHERE seq = $gtd AND idx = 0")" = t ] ||
	fail "the journal's expire time of $gtd is not $expire"
# what is left of these would trade with the orders below
expect 200 /v1/order/{id} DELETE "/v1/order/$ask" "${B[@]}"
for id in "$post" "$gtd"; do
	expect 200 /v1/order/{id} DELETE "/v1/order/$id" "${A[@]}"
	jq_is '.status == "canceled"'
done
# a last trade at 10.00 again: the price band (around the last trade) of the
# orders below is what it was
expect 200 /v1/order POST /v1/order "${B[@]}" "${JSON[@]}" \
	-d '{"account":"RB1","symbol":"RST","side":"sell","quantity":1,"price":"10.00","timeInForce":"gtc"}'
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA2","symbol":"RST","side":"buy","quantity":1,"price":"10.00","timeInForce":"ioc"}'
jq_is '.status == "filled"'

# ---- 400: bad JSON, wrong types, unknown fields, bad parameters ---------------------
bad400() {
	expect 400 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" -d "$1"
	jq_is '.error == "bad_request" and (.message | test('"\"$2\""'))'
}
bad400 '{"account":"RA1",' 'field name|expected'
bad400 '[1]' 'must be a JSON object'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":"ten","price":"9"}' 'quantity. must be an integer'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1.5,"price":"9"}' 'quantity. must be an integer'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":9e0}' 'without exponent'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9.0.0"}' 'decimal'
bad400 '{"account":1,"symbol":"RST","side":"buy","quantity":1,"price":"9"}' 'account. must be a string'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9","colour":"red"}' 'unknown field .colour.'
bad400 '{"account":"RA1","account":"RA2","symbol":"RST","side":"buy","quantity":1,"price":"9"}' 'given twice'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":{"v":9}}' 'must be a decimal'
bad400 '{"symbol":"RST","side":"buy","quantity":1,"price":"9"}' 'account is required'
bad400 '{"account":"RA1","symbol":"RST","side":"BUY","quantity":1,"price":"9"}' 'enum'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9.005"}' 'tick size'
jq_is '.sqlstate == "PX010"'
bad400 '{"account":"RA1","symbol":"NOPE","side":"buy","quantity":1,"price":"9"}' 'NOPE'
jq_is '.sqlstate == "PX020"'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":0,"price":"9"}' 'quantity'
jq_is '.sqlstate == "PX012"'
bad400 '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"-9"}' 'price'
jq_is '.sqlstate == "PX011"'
# the order options: refused before matchd, with the usual SQLSTATEs; bad input
# sends nothing (the journal does not grow)
journal_rows=$(q "SELECT count(*) FROM exchange.journal")
O='"account":"RA1","symbol":"RST","side":"buy","quantity":1'
bad400 '{'"$O"',"price":"9","orderType":"stop_limit","stopPrice":"9.0.0"}' 'stopPrice. must be a decimal'
jq_is '.sqlstate == "22P02"'
bad400 '{'"$O"',"price":"9","orderType":"stop_limit","stopPrice":1e1}' 'stopPrice. must be a decimal'
bad400 '{'"$O"',"price":"9","postOnly":"true"}' 'postOnly. must be true or false'
jq_is '.sqlstate == "22P02"'
bad400 '{'"$O"',"price":"9","postOnly":1}' 'postOnly. must be true or false'
bad400 '{'"$O"',"price":"9","timeInForce":"gtd","expireTime":"2030-02-29T10:00:00Z"}' 'expireTime must be an RFC 3339 date-time'
jq_is '.sqlstate == "22007"'
bad400 '{'"$O"',"price":"9","timeInForce":"gtd","expireTime":"2030-01-02T10:00:00"}' 'RFC 3339'
bad400 '{'"$O"',"price":"9","timeInForce":"gtd","expireTime":1893578400000}' 'expireTime. must be a string'
bad400 '{'"$O"',"price":"9","displayQuantity":1}' 'unknown field .displayQuantity.'
# ... and submit_order's own checks of them
bad400 '{'"$O"',"orderType":"stop"}' 'needs a stop_price'
jq_is '.sqlstate == "22004"'
bad400 '{'"$O"',"price":"9","stopPrice":"9"}' 'stop_price is only for order types stop and stop_limit'
jq_is '.sqlstate == "22023"'
bad400 '{'"$O"',"price":"9","orderType":"stop_limit","stopPrice":"10.205"}' 'tick size'
jq_is '.sqlstate == "PX010"'
bad400 '{'"$O"',"orderType":"market","postOnly":true}' 'post-only order must be a limit order'
jq_is '.sqlstate == "22023"'
bad400 '{'"$O"',"price":"9","timeInForce":"ioc","postOnly":true}' 'post-only'
bad400 '{'"$O"',"price":"9","timeInForce":"gtd"}' 'needs an expire_time'
jq_is '.sqlstate == "22004"'
bad400 '{'"$O"',"price":"9","timeInForce":"gtc","expireTime":"2030-01-02T10:00:00Z"}' 'expire_time is only for time_in_force gtd'
jq_is '.sqlstate == "22023"'
bad400 '{'"$O"',"price":"9","timeInForce":"gtd","expireTime":"2020-01-02T10:00:00+01:00"}' 'has passed already'
jq_is '.sqlstate == "22023"'
bad400 '{'"$O"',"price":"9","timeInForce":"at_open"}' 'not supported yet'
jq_is '.sqlstate == "0A000"'
bad400 '{'"$O"',"price":"9","orderType":"stop_loss","stopPrice":"9"}' 'enum'
[ "$(q "SELECT count(*) FROM exchange.journal")" = "$journal_rows" ] ||
	fail "refused order options reached the journal"
expect 400 /v1/order/{id} PATCH "/v1/order/$buy" "${A[@]}" "${JSON[@]}" -d '{"price":"9"}'
jq_is '.message == "quantity is required"'
expect 400 /v1/execution GET "/v1/execution?symbol=RST&startTime=yesterday" "${A[@]}"
jq_is '.sqlstate == "22007"'
expect 400 /v1/execution GET "/v1/execution?symbol=RST&startTime=2026-12-07T10:00:00" "${A[@]}"
expect 400 /v1/execution GET "/v1/execution?symbol=RST&orderId=x" "${A[@]}"
expect 400 /v1/execution GET "/v1/execution" "${A[@]}"
jq_is '.message == "symbol is required"'
expect 400 /v1/execution GET "/v1/execution?symbol=RST&sybmol=RST" "${A[@]}"
jq_is '.message == "unknown query parameter \"sybmol\""'
expect 400 /v1/execution GET "/v1/execution?symbol=RST&symbol=RST" "${A[@]}"
expect 400 /v1/marketdata/candles GET "/v1/marketdata/candles?symbol=RST&resolution=2d"
expect 400 /v1/marketdata/candles GET "/v1/marketdata/candles?symbol=RST"
expect 400 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST&depth=0"
expect 400 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=NOPE"
jq_is '.sqlstate == "PX020"'
expect 400 /v1/marketdata/orderBook/L1 GET "/v1/marketdata/orderBook/L1?symbol=a%20b"

# ---- 401, 403: authentication ------------------------------------------------------
expect 401 /v1/order POST /v1/order "${JSON[@]}" -d '{}'
curl -sS -D - -o /dev/null "$BASE/v1/accounts" | grep -qi '^WWW-Authenticate: Basic realm="pgexchange"' ||
	fail "401 without WWW-Authenticate"
expect 401 /v1/accounts GET /v1/accounts -u rest_a:wrong
jq_is '.message == "bad user name or password"'
expect 401 /v1/accounts GET /v1/accounts -u nosuchrole:pw
expect 401 /v1/accounts GET /v1/accounts -H 'Authorization: Basic !!!'
expect 401 /v1/accounts GET /v1/accounts -H 'Authorization: Digest x'
expect 401 /v1/accounts GET /v1/accounts -H 'Authorization: Bearer pgx_00000000_nope'
jq_is '.message == "unknown or revoked API key"'
expect 403 /v1/accounts GET /v1/accounts -u rest_c:pw-c
jq_is '.sqlstate == "42501" and (.message | test("not enabled for the REST API"))'
grep -q "Basic authentication as rest_a refused by PostgreSQL" "$STACK/httpd.log" || fail "refused password not logged"
# API keys: issued by exchange_admin, stored hashed, revoked
key=$(q "SELECT api_key FROM exchange.issue_api_key('rest_b', 'e2e')") || fail "issue_api_key"
kid=$(q "SELECT key_id FROM exchange.api_keys WHERE label = 'e2e'")
[ "$(q "SELECT count(*) FROM exchange.api_keys WHERE key_hash = sha256(convert_to('$key', 'UTF8'))")" = 1 ] ||
	fail "the key is not stored as its SHA-256"
[ "$(q "SELECT count(*) FROM exchange.api_keys WHERE encode(key_hash, 'escape') LIKE '%' || '${key#pgx_*_}' || '%'")" = 0 ] ||
	fail "the key's secret is stored in clear"
expect 200 /v1/whoami GET /v1/whoami -H "Authorization: Bearer $key"
jq_is '.role == "rest_b"'
expect 200 /v1/order POST /v1/order -H "Authorization: Bearer $key" "${JSON[@]}" \
	-d '{"account":"RB1","symbol":"RST","side":"buy","quantity":1,"price":"9.00","clientOrderId":"k-1"}'
expect 200 /v1/order/{id} GET "/v1/order/$(jq -r .id <<<"$BODY")" -H "Authorization: Bearer $key"
jq_is '.account == "RB1" and .clientOrderId == "k-1"'
[ "$(q "SELECT exchange.revoke_api_key('$kid')")" = t ] || fail "revoke_api_key"
revoked() {
	call /v1/whoami GET /v1/whoami -H "Authorization: Bearer $key"
	[ "$STATUS" = 401 ]
}
wait_until 10 "a revoked key still works after --auth-cache 1" revoked

# ---- 409, 422, 429, 415, 413, 405 --------------------------------------------------
expect 409 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"sell","quantity":1,"price":"11.00","clientOrderId":"a-1"}'
jq_is '.error == "conflict" and .sqlstate == "PX077"'
q "SELECT 1 FROM exchange.set_account_limits('RA2', max_order_quantity => 10)" >/dev/null
expect 422 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA2","symbol":"RST","side":"buy","quantity":11,"price":"9.00"}'
jq_is '.error == "unprocessable" and .sqlstate == "PX070"'
q "SELECT 1 FROM exchange.set_account_limits('RA2', orders_per_second => 1, burst => 1)" >/dev/null
got429=0
for i in 1 2 3 4 5 6; do
	call /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
		-d '{"account":"RA2","symbol":"RST","side":"buy","quantity":1,"price":"9.0'"$i"'"}'
	case $STATUS in
	200) ;;
	429) got429=1 && jq_is '.error == "rate_limited" and .sqlstate == "PX076"' ;;
	*) fail "rate-limited order: status $STATUS: $BODY" ;;
	esac
done
[ $got429 = 1 ] || fail "6 orders at once with orders_per_second 1, burst 1: none refused with 429"
expect 415 /v1/order POST /v1/order "${A[@]}" -H 'Content-Type: text/plain' -d '{}'
head -c 100000 /dev/zero | tr '\0' ' ' >"$STACK/big.json"
expect 413 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" --data-binary "@$STACK/big.json"
jq_is '.error == "payload_too_large"'
# the same without Content-Length (chunked): refused after 16 KiB were read
expect 413 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$STACK/big.json"
expect 405 - GET /v1/order "${A[@]}"
curl -sS -D - -o /dev/null -X PUT "$BASE/v1/order/1" | grep -qi '^Allow: GET, HEAD, DELETE, PATCH' || fail "405 without Allow"

# ---- streams ---------------------------------------------------------------------
curl -sS -N --max-time 60 "$BASE/v1/stream/marketdata?symbol=RST" >"$STACK/market.sse" 2>&1 &
curl -sS -N --max-time 60 "${A[@]}" "$BASE/v1/stream/executions" >"$STACK/exec_a.sse" 2>&1 &
curl -sS -N --max-time 60 "${B[@]}" "$BASE/v1/stream/executions" >"$STACK/exec_b.sse" 2>&1 &
echo "/v1/stream/marketdata GET 200" >"$STACK/answers/sse1.meta"
echo "/v1/stream/executions GET 200" >"$STACK/answers/sse2.meta"
has() { grep -q "$2" "$STACK/$1"; }
wait_until 20 "the market stream's snapshot" has market.sse '^event: book'
wait_until 20 "broker A's stream is ready" has exec_a.sse '^event: ready'
wait_until 20 "broker B's stream is ready" has exec_b.sse '^event: ready'
grep -A1 '^event: ready' "$STACK/exec_a.sse" | grep -q '"accounts":\["RA1","RA2"\]' ||
	fail "broker A's stream does not name its accounts"
expect 200 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"sell","quantity":5,"price":"9.50"}'
expect 200 /v1/order POST /v1/order "${B[@]}" "${JSON[@]}" \
	-d '{"account":"RB1","symbol":"RST","side":"buy","quantity":5,"price":"9.50"}'
jq_is '.status == "filled"'
wait_until 20 "an increment on the market stream" has market.sse '^event: increment'
wait_until 20 "a trade on the market stream" has market.sse '"price":"9.50","quantity":5'
wait_until 20 "a candle on the market stream" has market.sse '^event: candle'
wait_until 20 "broker A's execution on its stream" has exec_a.sse '"account":"RA1"'
wait_until 20 "broker B's execution on its stream" has exec_b.sse '"account":"RB1"'
grep -q '"account":"RA1"' "$STACK/exec_b.sse" && fail "broker B's stream shows broker A's execution"
grep -q '"account":"RB1"' "$STACK/exec_a.sse" && fail "broker A's stream shows broker B's execution"
# the events are well formed: consecutive ids, JSON data, prices as strings
python3 - "$STACK/market.sse" <<'PY' || fail "the market stream is malformed"
import json, sys
ids, events = [], []
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = [l for l in block.split("\n") if l and not l.startswith(":")]
    if not lines:
        continue
    f = dict(l.split(": ", 1) for l in lines)
    ids.append(int(f["id"]))
    events.append((f["event"], json.loads(f["data"])))
assert ids == list(range(1, len(ids) + 1)), ids
assert events[0][0] == "book" and isinstance(events[0][1]["asOfSeq"], int), events[0]
for kind, d in events:
    if kind == "increment":
        assert all(isinstance(e.get("price", ""), str) for e in d["events"]), d
    if kind == "trade":
        assert isinstance(d["price"], str) and isinstance(d["quantity"], int), d
    if kind == "candle":
        assert sorted(c["resolution"] for c in d["candles"]) == [1, 60, 3600], d
versions = [d["version"] for k, d in events if k == "increment"]
assert versions == sorted(versions) and len(set(versions)) == len(versions), versions
PY
expect 400 - GET "/v1/stream/marketdata?symbol=NOPE"
expect 401 - GET /v1/stream/executions

# ---- 504: matchd does not answer (stopped by SIGSTOP): the fate is unknown ----------
md=$(bash "$top/scripts/matchd.sh" pid "$STACK")
kill -STOP "$md"
expect 504 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9.00","clientOrderId":"fate-1"}'
# as root the daemon's parent is runuser (scripts/lib/owner.sh), which stops itself
# when its child stops (as su does): it must be continued too, or it never reaps
# matchd's exit below
kill -CONT "$md"
pp=$(ps -o ppid= -p "$md" | tr -d ' ')
[ "$(ps -o comm= -p "$pp" 2>/dev/null)" = runuser ] && kill -CONT "$pp"
jq_is '.error == "timeout" and .sqlstate == "PX041"'

# ---- 503: matchd down ---------------------------------------------------------------
matchd_stop || { tail -25 "$STACK/matchd.log" | cut -c1-300; fail "matchd did not stop"; }
expect 503 /v1/order POST /v1/order "${A[@]}" "${JSON[@]}" \
	-d '{"account":"RA1","symbol":"RST","side":"buy","quantity":1,"price":"9.00"}'
jq_is '.error == "unavailable" and .sqlstate == "PX040"'
expect 503 /v1/marketdata/orderBook/L2 GET "/v1/marketdata/orderBook/L2?symbol=RST"

# ---- the OpenAPI document against every answer kept ---------------------------------
python3 "$top/regress/e2e/lib/openapi_check.py" "$top/docs/openapi.json" "$STACK/answers" ||
	fail "answers that do not match docs/openapi.json"
rest_stop || fail "pgx-httpd did not stop cleanly"
grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK/httpd.log" && {
	grep -A5 -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK/httpd.log" | head -30
	fail "pgx-httpd reported a sanitizer error"
}
echo "ok rest_api: $n_answers answers (every endpoint, RLS, every error status, API keys, streams) match docs/openapi.json"
