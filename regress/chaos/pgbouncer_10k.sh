#!/usr/bin/env bash
# Chaos drill: tens of thousands of users through PgBouncer.  PGX_PGB_CLIENTS
# (default 10,000) concurrent client connections, each one broker of
# PGX_PGB_BROKERS (default 20) broker roles, place orders at a modest rate each
# (PGX_PGB_RATE in total, default 1,000 orders/s, i.e. one every 10 s per client)
# for PGX_PGB_SECONDS (default 60; the figures in docs/benchmarks.md are of a
# longer run) through PgBouncer in transaction mode (scripts/pgbouncer.sh) in
# front of PostgreSQL (max_connections 200) with matchd beside it.  The load is
# bench/order_load.c --event-loop: non-blocking libpq on epoll, two threads.
#
# Checks, after the run:
#   - nothing lost: every call answered, no client connection broke, no error
#     but PX030 (a cancel or amend of an order another client's order filled);
#   - every acknowledged new order is in the journal once: its seq, account,
#     client order id and the role matchd recorded, which is the client's login
#     role; no client order id accepted twice;
#   - no broker acted as another: every order command of the run's accounts
#     was journaled with the role that owns the account, and probes run during
#     the load (a broker reads only its own accounts, and is refused another
#     broker's) all hold, while 10,000 clients share at most 80 server
#     connections (SHOW POOLS, pg_stat_activity).
# Prints CHAOS lines (connections, servers, calls, p50/p99 ack latency) and
# ends with PASS or FAIL.
# shellcheck disable=SC1091,SC2154
. "$(dirname "$0")/../e2e/lib/stack.sh"
name=pgbouncer_10k
clients=${PGX_PGB_CLIENTS:-10000}
brokers=${PGX_PGB_BROKERS:-20}
accounts=${PGX_PGB_ACCOUNTS:-200}
rate=${PGX_PGB_RATE:-1000}
seconds=${PGX_PGB_SECONDS:-60}
warmup=${PGX_PGB_WARMUP:-5}
pool=${PGX_PGB_POOL:-4}
max_db=$((brokers * pool))
symbols=PBA,PBB,PBC,PBD
fail() {
	echo "FAIL $name: $*"
	[ -f "$STACK/load.err" ] && { echo "--- order_load stderr"; tail -5 "$STACK/load.err"; }
	[ -f "$STACK/pgbouncer/pgbouncer.log" ] && { echo "--- pgbouncer.log"; grep -v ' LOG stats' "$STACK/pgbouncer/pgbouncer.log" | tail -5; }
	[ -f "$STACK/matchd.log" ] && { echo "--- matchd.log"; tail -5 "$STACK/matchd.log"; }
	exit 1
}
# stop the pooler before the stack goes (stack_cleanup kills what is left)
bouncer_cleanup() {
	[ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
	bash "$top/scripts/pgbouncer.sh" stop "$STACK" >/dev/null 2>&1 || true
	stack_cleanup
}
trap bouncer_cleanup EXIT
[ $((accounts % brokers)) -eq 0 ] || fail "PGX_PGB_ACCOUNTS must be a multiple of PGX_PGB_BROKERS"
unset PGX_MATCHD_BIN
stack_up
make -s -C "$top/bench" >/dev/null || fail "bench/order_load does not build"
matchd_start || fail "matchd did not start"
seed=${PGX_SEED:-$RANDOM}
echo "$name seed $seed (PGX_SEED to repeat), $clients clients, $brokers broker roles, $accounts accounts, $rate orders/s for $seconds s"

# brokers pgb_00.., account PGB-000.. belongs to broker (i % brokers): the load
# gives client c broker c % brokers and account c % accounts
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -v brokers="$brokers" -v accounts="$accounts" -v symbols="$symbols" <<'SQL' || fail "setup"
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I LOGIN IN ROLE exchange_broker', 'pgb_' || lpad(b::text, 2, '0'))
  FROM generate_series(0, :brokers - 1) b \gexec
SELECT exchange.add_symbol(s, 0.01, 1, 'USD', 100.00, 'pgbouncer drill')
  FROM unnest(string_to_array(:'symbols', ',')) s;
SELECT exchange.open_account('PGB-' || lpad(a::text, 3, '0'),
		('pgb_' || lpad((a % :brokers)::text, 2, '0'))::regrole, 'verified')
  FROM generate_series(0, :accounts - 1) a;
SELECT exchange.deposit(account, 1000000000.00, 'USD'),
	   exchange.set_account_limits(account, max_order_notional => 1000000000,
		   max_daily_notional => 1000000000000, max_open_orders => 1000000,
		   orders_per_second => 100000, burst => 100000)
  FROM exchange.accounts WHERE account LIKE 'PGB-%';
SELECT exchange.credit_shares(a.account, s, 100000000)
  FROM exchange.accounts a, unnest(string_to_array(:'symbols', ',')) s
 WHERE a.account LIKE 'PGB-%';
SELECT exchange.open_market();
SQL
PGX_BOUNCER_POOL=$pool PGX_BOUNCER_MAX_DB=$max_db PGX_BOUNCER_MAX_CLIENTS=$((clients + 200)) \
	bash "$top/scripts/pgbouncer.sh" start "$STACK" >/dev/null || fail "pgbouncer did not start"
direct_host=$PGHOST direct_port=$PGPORT
bouncer_host=$(. "$STACK/pgbouncer/env" && echo "$PGHOST")
bouncer_port=$(. "$STACK/pgbouncer/env" && echo "$PGPORT")
viab() { PGHOST=$bouncer_host PGPORT=$bouncer_port psql -X -Atq "$@"; }
admin() { viab -U postgres -d pgbouncer -F ' ' -c "$1"; }

broker_list=$(seq -f 'pgb_%02g' 0 $((brokers - 1)) | paste -sd,)
# the client raises its own descriptor limit (root may raise the hard one)
PGHOST=$bouncer_host PGPORT=$bouncer_port "$top/build/bench/order_load" --event-loop \
	--threads 2 --connections "$clients" --accounts "$accounts" --brokers "$broker_list" \
	--account-prefix PGB- --symbols "$symbols" --rate "$rate" --warmup "$warmup" \
	--duration "$seconds" --step-slices 3 --no-trivial --seed "$seed" \
	--ack-log "$STACK/acks.tsv" >"$STACK/load.out" 2>"$STACK/load.err" &
load_pid=$!

# ---- during the load: pools, servers, and probes of isolation ----------------------------
# wait until every client is connected (the load prints it), then look
for _ in $(seq 1 1200); do
	grep -q 'connections open in' "$STACK/load.out" && break
	kill -0 "$load_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q 'connections open in' "$STACK/load.out" || { wait "$load_pid" || true; fail "clients did not connect: $(tail -3 "$STACK/load.err")"; }
sleep "$((warmup + seconds / 3))"
admin "SHOW CLIENTS" >"$STACK/clients.txt"
admin "SHOW POOLS" >"$STACK/pools.txt"
# SHOW POOLS: database user cl_active cl_waiting ... sv_active ... sv_idle sv_used ...
pools=$(awk '$1 == "exchange" {sv += $7 + $10 + $11 + $12 + $13; n++} END {print sv + 0, n + 0}' "$STACK/pools.txt")
read -r pool_servers pool_count <<<"$pools"
# SHOW CLIENTS: type user database state ...
pool_clients=$(awk '$3 == "exchange" {n++} END {print n + 0}' "$STACK/clients.txt")
backends=$(PGHOST=$direct_host PGPORT=$direct_port psql -X -Atq -c "SELECT count(*) FROM pg_stat_activity WHERE usename LIKE 'pgb\_%'")
# every server connection logged in as the pool's own role
mixed=$(admin "SHOW SERVERS" | awk '$2 != "" && $2 != "pgbouncer" && $2 != "user" && $2 !~ /^pgb_/ && $2 != "pgbouncer_auth" {n++} END {print n + 0}')
echo "during the load: $pool_clients clients in $pool_count pools on $pool_servers server connections; $backends broker backends in PostgreSQL"
# probes: each broker, through the pooler while it is saturated, reads only its
# own accounts and is refused another broker's account
probe_fail=0 probes=0
for round in 1 2 3; do
	for b in $(seq 0 $((brokers - 1))); do
		role=$(printf 'pgb_%02d' "$b")
		other=$(printf 'PGB-%03d' $(((b + 1) % brokers)))
		own=$(printf 'PGB-%03d' "$b")
		out=$(viab -U "$role" -F ' ' -c "SELECT current_user, (SELECT count(*) FROM exchange.accounts), (SELECT count(*) FROM exchange.accounts WHERE broker <> current_user), (SELECT count(*) FROM exchange.executions('PBA') e WHERE e.account NOT IN (SELECT account FROM exchange.accounts))" 2>&1 || true)
		probes=$((probes + 1))
		[ "$out" = "$role $((accounts / brokers)) 0 0" ] || { probe_fail=$((probe_fail + 1)); echo "probe $round $role: $out"; }
		err=$(viab -U "$role" -c "SELECT id FROM exchange.submit_order('$other', 'PBA', 'buy', 100, 99.50)" 2>&1 || true)
		probes=$((probes + 1))
		case $err in *"does not belong to role \"$role\""*) ;; *) probe_fail=$((probe_fail + 1)); echo "probe $round $role on $other: $err" ;; esac
		ok=$(viab -U "$role" -c "SELECT status FROM exchange.submit_order('$own', 'PBA', 'buy', 100, 99.50, client_order_id => 'probe-$round')" 2>&1 || true)
		probes=$((probes + 1))
		[ "$ok" = new ] || { probe_fail=$((probe_fail + 1)); echo "probe $round $role own order: $ok"; }
	done
done
echo "isolation probes during the load: $probes, $probe_fail failed"

load_rc=0
wait "$load_pid" || load_rc=$?
load_pid=
cat "$STACK/load.out"
[ "$load_rc" -eq 0 ] || fail "order_load failed (exit $load_rc): $(tail -3 "$STACK/load.err")"
fig() { awk -v n="$1" '$1 == "BENCH" && $2 == n {print $3}' "$STACK/load.out"; }
lost=$(fig order_entry_lost) broken=$(fig order_entry_connections_broken)
calls=$(fig order_entry_calls) errors=$(fig order_entry_errors) px030=$(fig order_entry_errors_PX030)
unsent=$(fig order_entry_unsent)
other_errors=$((errors - ${px030:-0}))

# ---- the journal against what the clients were told ------------------------------------
res=$(PGHOST=$direct_host PGPORT=$direct_port psql -X -Atq -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE acks (tag text, order_id bigint, account text, role text, clordid text, status text);
\copy acks FROM '$STACK/acks.tsv'
SELECT format('acks %s; missing %s; client ids accepted twice %s; journaled new orders %s; order commands with a foreign role %s',
  (SELECT count(*) FROM acks),
  (SELECT count(*) FROM acks a WHERE (SELECT count(*) FROM exchange.journal j
       WHERE j.stream = 1 AND j.seq = a.order_id AND j.idx = 0 AND j.kind = 'new_order'
         AND j.account = a.account AND j.client_order_id = a.clordid
         AND j.detail->>'role' = a.role) <> 1),
  (SELECT count(*) FROM (SELECT j.account, j.client_order_id FROM exchange.journal j
      WHERE j.kind = 'new_order' AND j.idx = 0 AND j.account LIKE 'PGB-%'
        AND j.client_order_id IS NOT NULL
      GROUP BY 1, 2 HAVING count(*) > 1) d),
  (SELECT count(*) FROM exchange.journal j WHERE j.idx = 0 AND j.kind = 'new_order'
      AND j.account LIKE 'PGB-%' AND j.client_order_id NOT LIKE 'probe-%'),
  (SELECT count(*) FROM exchange.journal j JOIN exchange.accounts a USING (account)
      WHERE j.idx = 0 AND j.kind IN ('new_order', 'cancel_order', 'amend_order')
        AND j.account LIKE 'PGB-%' AND j.detail->>'role' IS DISTINCT FROM a.broker));
SQL
) || fail "verification query"
echo "$res"

# Session state under transaction pooling is shared by the clients of one role:
# a session-level SET by one client is seen by the next client that gets the same
# server connection (why the docs forbid SET/SET ROLE through the pooler).  Shown
# here, not required: the leak stays inside one role's pool.
viab -U pgb_00 -c "SET statement_timeout = '4242s'" >/dev/null
leak=$(for _ in 1 2 3 4 5 6 7 8; do viab -U pgb_00 -c "SHOW statement_timeout"; done | grep -c 4242s || true)

p50=$(fig order_entry_p50_ms) p99=$(fig order_entry_p99_ms)
echo "CHAOS ${name}_clients $clients count"
echo "CHAOS ${name}_pools $pool_count count"
echo "CHAOS ${name}_clients_in_pools $pool_clients count"
echo "CHAOS ${name}_server_connections $pool_servers count"
echo "CHAOS ${name}_broker_backends $backends count"
echo "CHAOS ${name}_offered_rate $rate orders/s"
echo "CHAOS ${name}_throughput $(fig order_entry_throughput) orders/s"
echo "CHAOS ${name}_calls $calls count"
echo "CHAOS ${name}_acks $(wc -l <"$STACK/acks.tsv") count"
echo "CHAOS ${name}_ack_p50 $p50 ms"
echo "CHAOS ${name}_ack_p99 $p99 ms"
echo "CHAOS ${name}_ack_p999 $(fig order_entry_p999_ms) ms"
echo "CHAOS ${name}_ack_max $(fig order_entry_max_ms) ms"
echo "CHAOS ${name}_unsent_at_close $unsent count"
echo "CHAOS ${name}_lost $lost count"
echo "CHAOS ${name}_errors_px030 ${px030:-0} count"
echo "CHAOS ${name}_errors_other $other_errors count"
echo "CHAOS ${name}_isolation_probes_failed $probe_fail count"
echo "CHAOS ${name}_session_set_seen_by_other_clients $leak count"
if [ "$lost" != 0 ] || [ "$broken" != 0 ]; then fail "$lost calls lost, $broken client connections broke"; fi
[ "$other_errors" -eq 0 ] || fail "$other_errors errors other than PX030: $(grep '#   error' "$STACK/load.out" | head -3)"
echo "$res" | grep -q '; missing 0; client ids accepted twice 0; .*foreign role 0$' || fail "journal does not match: $res"
[ "$probe_fail" -eq 0 ] || fail "$probe_fail of $probes isolation probes failed"
[ "$mixed" -eq 0 ] || fail "$mixed server connections of an unexpected role"
[ "$pool_clients" -ge "$clients" ] || fail "only $pool_clients of $clients clients in the pools during the load"
[ "$pool_servers" -le "$max_db" ] || fail "$pool_servers server connections, more than max_db_connections $max_db"
echo "PASS $name: $clients clients on $pool_servers server connections, $(wc -l <"$STACK/acks.tsv") acks all in the journal, p50 $p50 ms, p99 $p99 ms"
