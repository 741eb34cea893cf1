#!/usr/bin/env bash
# make test: every suite against a throwaway cluster that is always removed.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
logs=$top/build/test-logs
rm -rf "$logs" build/regress build/isolation
mkdir -p "$logs"

# Every process this run starts inherits PGX_TEST_RUN (runuser and pg_ctl keep
# the environment): at the end, any process that still carries it was left
# behind by a suite, which is a failure of its own.
PGX_TEST_RUN="$$.$(date +%s%N)"
export PGX_TEST_RUN
# left_behind: pids of live processes of this run other than this shell
left_behind() {
	local p pid
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		grep -qz "^PGX_TEST_RUN=$PGX_TEST_RUN\$" "$p/environ" 2>/dev/null && echo "$pid"
	done
	return 0
}

passed=0
failed=0
skipped=0
count() { # suite passed failed [skipped]
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + ${4:-0}))
	printf '%-12s %5d passed, %d failed%s\n' "$1" "$2" "$3" "${4:+, $4 skipped}"
}
# A suite that could not run at all counts as one failure, never as silence.
broken() {
	echo "$1: could not run (see $2)"
	tail -30 "$2"
	failed=$((failed + 1))
}

# count_tap suite log rc [context]: a TAP-like log, one case per "ok N" or
# "not ok N" line; a failed run without a failed case could not run at all
count_tap() {
	local p f
	p=$(grep -cE '^ *ok [0-9]+' "$2")
	f=$(grep -cE '^ *not ok [0-9]+' "$2")
	[ "$3" -ne 0 ] && [ "$f" -eq 0 ] && broken "$1" "$2"
	[ "$f" -gt 0 ] && grep -E -A"${4:-3}" '^ *not ok' "$2" | head -40
	count "$1" "$p" "$f"
}

bash scripts/deps.sh || { echo "dependencies could not be installed"; echo "0 passed, 1 failed"; exit 1; }
# the web page's npm packages (its browser test needs them: regress/e2e/web_page.sh)
bash scripts/web.sh >"$logs/web-build.log" 2>&1 || broken web-build "$logs/web-build.log"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! { make -s >"$logs/build.log" 2>&1 && $SUDO make -s install >>"$logs/build.log" 2>&1; }; then
	cat "$logs/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# ---- C unit tests (cmocka), plain and under ASan/UBSan ----------------------
run_cmocka() { # suite log command...
	local suite=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -hoE '\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	f=$(grep -hoE '\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
	s=$(grep -hoE '\[  SKIPPED \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		broken "$suite" "$log"
	fi
	[ "$f" -gt 0 ] && grep -E '\[  (FAILED|ERROR) +\]|Failure|ERROR' "$log" | head -20
	count "$suite" "$p" "$f" "$s"
}
run_cmocka unit-wire "$logs/unit-wire.log" make -s unit-check
if [ -f daemon/Makefile ]; then
	run_cmocka unit-core "$logs/unit-core.log" make -s -C daemon check
fi

# ---- purity: daemon/core and daemon/pipeline do no I/O (scripts/purity.sh) ----
# the checker's self-test on regress/purity/ (it must fail where it should),
# then the real check; one case per "ok"/"not ok" line
if [ -f scripts/purity.sh ]; then
	purity_log=$logs/purity.log
	bash scripts/purity.sh --test >"$purity_log" 2>&1
	count_tap purity "$purity_log" $? 12
fi

# ---- fuzz targets: the corpus replayed, then about 20 s each (scripts/fuzz.sh) ----
if [ -f scripts/fuzz.sh ]; then
	fuzz_log=$logs/fuzz.log
	bash scripts/fuzz.sh --check >"$fuzz_log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$fuzz_log" | tail -1)
	p=$(echo "$line" | awk '{print $1 + 0}')
	f=$(echo "$line" | awk '{print $3 + 0}')
	if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		broken fuzz "$fuzz_log"
	fi
	[ "$f" -gt 0 ] && grep -E 'FAIL|crash|leak|timeout|ERROR' "$fuzz_log" | head -20
	count fuzz "$p" "$f"
fi

# ---- the web page's JavaScript units (node --test; the page itself: e2e web_page) ----
web_log=$logs/web-unit.log
node --test --test-reporter=tap regress/browser/decimal_test.mjs >"$web_log" 2>&1
count_tap web-unit "$web_log" $?

# ---- a throwaway cluster for the SQL suites ---------------------------------
scratch=$(mktemp -d /tmp/pgx-test.XXXXXX)
cleanup() { bash scripts/cluster.sh destroy "$scratch" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
if ! PGX_DATABASE=postgres bash scripts/cluster.sh start "$scratch" >"$logs/cluster.log" 2>&1; then
	broken cluster "$logs/cluster.log"
	echo "$passed passed, $failed failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$scratch/env"
export PGDATABASE=postgres

# ---- pg_regress and isolation ----------------------------------------------
run_pg_regress() { # suite target
	local log=$logs/$1.log
	make -s "$2" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(grep -cE '^(test | *)[a-z_0-9]+ +\.\.\. ok' "$log")
	f=$(grep -cE '\.\.\. FAILED' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		broken "$1" "$log"
	fi
	if [ "$f" -gt 0 ]; then
		find build -name regression.diffs -exec head -80 {} \;
	fi
	count "$1" "$p" "$f"
}
run_pg_regress regress regresscheck
run_pg_regress isolation isolationcheck

# ---- pgTAP -------------------------------------------------------------------
tap_log=$logs/pgtap.log
{
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS exchange_tap' \
		-c 'CREATE DATABASE exchange_tap' &&
		psql -X -q -v ON_ERROR_STOP=1 -d exchange_tap -c 'CREATE EXTENSION exchange' \
			-c 'CREATE EXTENSION pgtap' &&
		pg_prove -v -d exchange_tap regress/t/*.sql
} >"$tap_log" 2>&1
count_tap pgtap "$tap_log" $?

# ---- end to end ----------------------------------------------------------------
# Each regress/e2e/*.sh is one test that starts what it needs and cleans up.
# the end-to-end tests run matchd under ASan+UBSan (each checks its log)
make -s -C daemon matchd matchd-asan >>"$logs/build.log" 2>&1 || broken matchd "$logs/build.log"
export PGX_MATCHD_BIN=daemon/build/asan/bin/matchd
e2e_p=0
e2e_f=0
for t in regress/e2e/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if timeout 600 bash "$t" >"$logs/e2e-$name.log" 2>&1; then
		e2e_p=$((e2e_p + 1))
	else
		e2e_f=$((e2e_f + 1))
		echo "e2e $name FAILED:"
		tail -30 "$logs/e2e-$name.log"
	fi
done
count e2e "$e2e_p" "$e2e_f"

# ---- nothing left behind --------------------------------------------------------
cleanup
trap - EXIT INT TERM
# a stopping daemon may take a moment to exit: wait up to 10 s, then judge
deadline=$((SECONDS + 10))
while [ -n "$(left_behind)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
stray=$(left_behind)
if [ -n "$stray" ]; then
	echo "LEFT BEHIND: processes of this run still running after every suite ended:"
	# shellcheck disable=SC2086
	ps -o pid,ppid,user,etime,args -p $(echo $stray | tr ' ' ',') || true
	# shellcheck disable=SC2086
	kill -KILL $stray 2>/dev/null || true
	count leftovers 0 1
else
	count leftovers 1 0
fi

echo "logs: $logs"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
