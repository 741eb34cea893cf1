#!/usr/bin/env bash
# pgx-httpd's limits, each against a client that abuses it while a normal
# client (another loopback address) must still be answered promptly:
# headers larger than --max-header, more connections from one address than
# --per-ip, slowloris (requests trickled in a byte at a time: cut at
# --request-deadline), idle connections (closed), and a stream subscriber
# that never reads (its queue overflows: its stream ends with a gap event,
# the listener and a reading subscriber miss nothing), and password guessing
# (after --max-auth-failures failed passwords a user's Basic logins get 429
# without asking PostgreSQL, while a broker already logged in goes on).
# shellcheck disable=SC1091
. "$(dirname "$0")/lib/stack.sh"
. "$(dirname "$0")/lib/rest.sh"
stack_up
matchd_start
stack_market lim_a LIM LA1
q "SELECT exchange.rest_enable('lim_a')" >/dev/null
rest_start --per-ip 4 --request-deadline 2 --idle-timeout 60 --max-header 8192 --sse-queue 256 --sse-sndbuf 8192 \
	--max-auth-failures 3 --auth-cache 60

# a normal client answers within a second (from 127.0.0.1: its own per-address count)
prompt() {
	local t
	t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$BASE/v1/symbols") ||
		fail "$1: the normal client got no answer"
	[ "${t%% *}" = 200 ] || fail "$1: the normal client got $t"
	awk -v s="${t#* }" 'BEGIN { exit !(s < 1.0) }' || fail "$1: the normal client waited ${t#* } s"
}
prompt "at the start"

# ---- headers over --max-header: refused, the daemon carries on ----------------------
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" \
	"$BASE/v1/symbols" 2>/dev/null || true)
case $code in 413 | 431 | 400 | 000) ;; *) fail "a 20 kB header was answered $code" ;; esac
prompt "after a huge header"

# ---- the abusive clients: python sockets from other loopback addresses ----------------
python3 - "$PGX_HTTP_PORT" <<'PY' || fail "a limit did not hold"
import socket, sys, time, threading, subprocess
port = int(sys.argv[1])

def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def closed_within(s, seconds):
    """True when the server closes s within seconds (reading what it sends)"""
    s.settimeout(0.2)
    end = time.time() + seconds
    while time.time() < end:
        try:
            if s.recv(4096) == b"":
                return True
        except socket.timeout:
            pass
        except ConnectionResetError:
            return True
    return False

def normal(what):
    t0 = time.time()
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                          f"http://127.0.0.1:{port}/v1/symbols"], capture_output=True, text=True)
    dt = time.time() - t0
    assert out.stdout == "200" and dt < 1.0, f"{what}: normal client {out.stdout} after {dt:.2f} s"

# 1. --per-ip 4: a fifth connection from 127.0.0.2 is closed at once
held = [conn("127.0.0.2") for _ in range(4)]
fifth = conn("127.0.0.2")
assert closed_within(fifth, 1.0), "the fifth connection of one address was kept"
normal("while one address holds its 4 connections")
for s in held:
    s.close()

# 2. slowloris: 4 connections from 127.0.0.3 trickle a request a byte every 0.3 s;
#    each is cut at the 2 s request deadline (well before it could finish)
slow = [conn("127.0.0.3") for _ in range(4)]
req = b"GET /v1/symbols HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
t0 = time.time()
cut = [None] * len(slow)
def trickle(i, s):
    for b in req:
        try:
            s.send(bytes([b]))
        except OSError:
            cut[i] = time.time() - t0
            return
        time.sleep(0.3)
threads = [threading.Thread(target=trickle, args=(i, s)) for i, s in enumerate(slow)]
for t in threads:
    t.start()
time.sleep(0.5)
normal("during a slowloris")
for t in threads:
    t.join(timeout=15)
assert all(c is not None and c < 5.0 for c in cut), f"slowloris connections not cut in time: {cut}"
normal("after a slowloris")

# 3. an idle connection (sends nothing) is closed at the request deadline
idle = conn("127.0.0.4")
assert closed_within(idle, 5.0), "an idle connection stayed open"

# 4. the same limits apply to a kept-alive connection's next request: after one
#    answer, a second request trickled in is cut too
ka = conn("127.0.0.5")
ka.sendall(b"GET /v1/symbols HTTP/1.1\r\nHost: x\r\n\r\n")
ka.settimeout(2)
assert b"200 OK" in ka.recv(65536), "no answer on the kept-alive connection"
ka.sendall(b"GET /v1/sym")
assert closed_within(ka, 5.0), "a kept-alive connection's slow second request was not cut"
print("limits: per-address, slowloris, idle, keep-alive: ok")
PY
prompt "after the socket abuse"

# ---- a stream subscriber that never reads --------------------------------------------
curl -sS -N --max-time 120 "$BASE/v1/stream/marketdata?symbol=LIM" >"$STACK/reader.sse" 2>&1 &
has() { grep -q "$2" "$STACK/$1"; }
wait_until 20 "the reading subscriber's snapshot" has reader.sse '^event: book'
python3 - "$PGX_HTTP_PORT" "$STACK/" <<'PY' &
import socket, sys, time
port, stack = int(sys.argv[1]), sys.argv[2].rstrip("/")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.6", 0))
s.connect(("127.0.0.1", port))
s.sendall(b"GET /v1/stream/marketdata?symbol=LIM HTTP/1.1\r\nHost: x\r\n\r\n")
open(stack + "/stalled.started", "w").close()
while not __import__("os").path.exists(stack + "/stalled.go"):
    time.sleep(0.05)          # reads nothing while the orders flow
s.settimeout(5)
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    pass
open(stack + "/stalled.sse", "wb").write(data)
PY
stalled=$!
wait_until 20 "the stalled subscriber connected" test -f "$STACK/stalled.started"
sleep 0.5 # (only so that its request has arrived; nothing below depends on the timing)
# 900 orders: 900 increments and more, far more than --sse-queue 256 plus what the
# sockets buffer (the stalled client asks for a 4 KiB receive buffer)
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -c "SET ROLE lim_a" \
	-c "SELECT count(*) FROM generate_series(1, 900) i, exchange.submit_order('LA1', 'LIM', 'buy', 1, 5.00 + (i % 50) * 0.01) o" ||
	fail "orders"
last=$(q "SELECT book_version FROM exchange.symbols WHERE symbol = 'LIM'")
got_last() {
	has reader.sse "\"version\":$last," && return 0
	if has reader.sse '^event: gap'; then
		tail -c 600 "$STACK/reader.sse"
		fail "the reading subscriber got a gap"
	fi
	return 1
}
wait_until 30 "the reading subscriber got version $last" got_last
touch "$STACK/stalled.go"
wait "$stalled" || fail "the stalled subscriber's client failed"
grep -q '^event: gap' "$STACK/stalled.sse" || fail "the stalled stream did not end with a gap event"
python3 - "$STACK/reader.sse" "$last" <<'PY' || fail "the reading subscriber missed events"
import json, sys
versions = []
for block in open(sys.argv[1]).read().split("\n\n"):
    f = dict(l.split(": ", 1) for l in block.split("\n") if l and not l.startswith(":"))
    if f.get("event") == "increment":
        versions.append(json.loads(f["data"])["version"])
    assert f.get("event") != "gap", "the reading subscriber got a gap"
v = sorted(set(versions))
assert v == list(range(v[0], int(sys.argv[2]) + 1)), f"versions {v[0]}..{v[-1]}: {len(v)} of {int(sys.argv[2]) - v[0] + 1}"
print(f"reader: {len(v)} consecutive versions")
PY
prompt "after the stalled subscriber"

# ---- password guessing: 3 failures, then 429 without asking PostgreSQL ---------------
q "ALTER ROLE lim_a PASSWORD 'pw-lim'" >/dev/null
status() { curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }
[ "$(status -u lim_a:pw-lim "$BASE/v1/accounts")" = 200 ] || fail "the broker's own login"
for i in 1 2 3; do
	[ "$(status -u "lim_a:guess-$i" "$BASE/v1/accounts")" = 401 ] || fail "guess $i was not a 401"
done
for i in 4 5; do
	[ "$(status -u "lim_a:guess-$i" "$BASE/v1/accounts")" = 429 ] || fail "guess $i was not throttled (429)"
done
curl -sS --max-time 10 -u lim_a:guess-6 "$BASE/v1/accounts" | grep -q '"error":"rate_limited"' ||
	fail "the throttled answer has no rate_limited body"
asked=$(grep -c 'Basic authentication as lim_a refused by PostgreSQL' "$STACK/httpd.log" || true)
[ "$asked" = 3 ] || fail "PostgreSQL was asked $asked times about lim_a's wrong passwords, expected 3"
# the broker who logged in before is not locked out (its credential is remembered),
# and another user name has its own count
[ "$(status -u lim_a:pw-lim "$BASE/v1/accounts")" = 200 ] || fail "the logged-in broker was locked out"
[ "$(status -u nobody:guess "$BASE/v1/accounts")" = 401 ] || fail "another user name was throttled"
grep -q 'lim_a: 3 failed passwords in 60 s' "$STACK/httpd.log" || fail "the throttle was not logged"
prompt "after the password guesses"
rest_stop || fail "pgx-httpd did not stop cleanly"
grep -q "slow requests cut" "$STACK/httpd.log" || fail "no stop line in the log"
cuts=$(sed -n 's/.*; \([0-9]*\) slow requests cut.*/\1/p' "$STACK/httpd.log" | tail -1)
[ "${cuts:-0}" -ge 5 ] || fail "the watchdog cut $cuts slow requests, expected at least 5"
grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK/httpd.log" && fail "pgx-httpd reported a sanitizer error"
echo "ok rest_limits: header size, per-address connections, slowloris, idle, a stalled stream, password guessing; a normal client answered within 1 s throughout"
