#!/usr/bin/env bash
# scripts/fuzz.sh - builds and runs the libFuzzer targets of fuzz/ (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N] [--check] [--merge] [TARGET...]
#
#   (default)   make fuzz: each target for N seconds (default 180) on a scratch
#               copy of its corpus, after replaying it
#   --check     make test's mode: each target replays fuzz/corpus/<target> (every
#               input, regression cases included), then fuzzes for N seconds
#               (default 20); ends with "N passed, N failed"
#   --merge     after the run, minimize-merges the new inputs of the scratch
#               corpus into fuzz/corpus/<target> (the repo corpus never grows
#               otherwise)
#   --seconds N / FUZZ_SECONDS=N   the fuzzing time per target
#   FUZZ_JOBS=N   targets run at once (default 1: figures per target stay
#                 comparable)
#
# Per target one line:  FUZZ <target> <execs/s> execs/s <cov> cov <features> ft
# A crash, leak, timeout or broken invariant prints the reproducer's path
# (build/fuzz/artifacts/<target>/...) and the run exits non-zero.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/fuzz
ALL_TARGETS=(frame request batch wallets replay snapshot books feed jsonkv fix rest)
CHECK=0
MERGE=0
SECONDS_SET=""
TARGETS=()

while [ $# -gt 0 ]; do
	case "$1" in
		--check) CHECK=1 ;;
		--merge) MERGE=1 ;;
		--seconds)
			shift
			SECONDS_SET=${1:?--seconds needs a value}
			;;
		--seconds=*) SECONDS_SET=${1#--seconds=} ;;
		-h | --help)
			sed -n '2,22p' "$0"
			exit 0
			;;
		-*)
			echo "fuzz.sh: unknown option $1" >&2
			exit 2
			;;
		*) TARGETS+=("$1") ;;
	esac
	shift
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
if [ -n "$SECONDS_SET" ]; then
	SECS=$SECONDS_SET
elif [ -n "${FUZZ_SECONDS:-}" ]; then
	SECS=$FUZZ_SECONDS
elif [ $CHECK -eq 1 ]; then
	SECS=20
else
	SECS=180
fi
case "$SECS" in
	'' | *[!0-9]*)
		echo "fuzz.sh: seconds must be a whole number, not '$SECS'" >&2
		exit 2
		;;
esac

# Every process this script starts is in its own process group; the trap
# ends them (by group id) on exit or interruption, so none is left behind.
PIDS=()
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pgx-fuzz.XXXXXX")
cleanup() {
	for p in "${PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! make -s -C "$ROOT/fuzz" -j"$(nproc)" >"$SCRATCH/build.log" 2>&1; then
	cat "$SCRATCH/build.log" >&2
	echo "fuzz.sh: the fuzz targets do not build" >&2
	echo "0 passed, ${#TARGETS[@]} failed"
	exit 1
fi

# Per-target libFuzzer options: the timeout covers the slowest seed (a whole
# session through the pipeline) many times over; memory is capped well above
# what any target needs.
opts_of() {
	local t=$1
	local o="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1"
	[ -f "$ROOT/fuzz/dict/$t.dict" ] && o="$o -dict=$ROOT/fuzz/dict/$t.dict"
	echo "$o"
}

# Runs one target; writes $SCRATCH/<t>.result: "pass|fail <line>"
run_target() {
	local t=$1
	local bin=$OUT/$t log=$SCRATCH/$t.log work=$SCRATCH/corpus-$t
	local art=$OUT/artifacts/$t/ opts rc=0 execs cov ft line
	opts=$(opts_of "$t")
	mkdir -p "$work" "$art"
	cp -r "$ROOT/fuzz/corpus/$t/." "$work/" 2>/dev/null
	# 1. the corpus, every input once (regression cases of fixed bugs included)
	if ! "$bin" $opts -artifact_prefix="$art" -runs=0 "$ROOT/fuzz/corpus/$t" >"$log.replay" 2>&1; then
		rc=1
		cat "$log.replay" >>"$log"
	fi
	# 2. fuzzing for SECS seconds on the scratch copy
	if [ $rc -eq 0 ] && [ "$SECS" -gt 0 ]; then
		"$bin" $opts -artifact_prefix="$art" -max_total_time="$SECS" "$work" >"$log" 2>&1
		rc=$?
	fi
	# figures from the final stats and the last status line
	execs=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log.replay" "$log" | tail -1)
	cov=$(grep -ho 'cov: [0-9]*' "$log.replay" "$log" | tail -1 | awk '{print $2}')
	ft=$(grep -ho 'ft: [0-9]*' "$log.replay" "$log" | tail -1 | awk '{print $2}')
	line="FUZZ $t ${execs:-0} execs/s ${cov:-0} cov ${ft:-0} ft"
	if [ $rc -ne 0 ]; then
		local repro
		repro=$(grep -ho "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
		{
			echo "$line"
			echo "fuzz.sh: $t FAILED (exit $rc)"
			grep -h -m3 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|INVARIANT BROKEN|SUMMARY" "$log"
			if [ -n "$repro" ]; then
				echo "fuzz.sh: reproducer: $repro"
				echo "fuzz.sh: reproduce with: $bin $repro"
			fi
			echo "fuzz.sh: full log: $OUT/logs/$t.log"
		} >"$SCRATCH/$t.result.text"
		echo fail >"$SCRATCH/$t.result"
	else
		echo "$line" >"$SCRATCH/$t.result.text"
		echo pass >"$SCRATCH/$t.result"
	fi
	mkdir -p "$OUT/logs"
	cat "$log.replay" "$log" >"$OUT/logs/$t.log" 2>/dev/null
	if [ $MERGE -eq 1 ] && [ $rc -eq 0 ]; then
		mkdir -p "$SCRATCH/merge-$t"
		"$bin" $opts -merge=1 -merge_control_file="$SCRATCH/merge-$t.ctl" \
			"$ROOT/fuzz/corpus/$t" "$work" >"$SCRATCH/merge-$t.log" 2>&1 ||
			echo "fuzz.sh: merging $t failed (see $SCRATCH/merge-$t.log)" >&2
	fi
}

JOBS=${FUZZ_JOBS:-1}
START=$(date +%s)
running=0
for t in "${TARGETS[@]}"; do
	if [ ! -x "$OUT/$t" ]; then
		echo "fuzz.sh: no target $t (one of: ${ALL_TARGETS[*]})" >&2
		echo "fail" >"$SCRATCH/$t.result"
		echo "FUZZ $t 0 execs/s 0 cov 0 ft" >"$SCRATCH/$t.result.text"
		continue
	fi
	setsid bash -c "$(declare -f run_target opts_of); ROOT='$ROOT' OUT='$OUT' SCRATCH='$SCRATCH' \
		SECS='$SECS' MERGE='$MERGE' run_target '$t'" &
	PIDS+=($!)
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n 2>/dev/null
		running=$((running - 1))
	fi
done
for p in "${PIDS[@]}"; do
	wait "$p" 2>/dev/null
done
PIDS=()

passed=0
failed=0
for t in "${TARGETS[@]}"; do
	cat "$SCRATCH/$t.result.text"
	if [ "$(cat "$SCRATCH/$t.result" 2>/dev/null)" = pass ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz.sh: $(($(date +%s) - START)) s for ${#TARGETS[@]} targets, $SECS s of fuzzing each"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
