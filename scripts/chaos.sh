#!/usr/bin/env bash
# make chaos: the long failure drills of regress/chaos/*.sh (each starts what
# it needs, cleans up, prints "CHAOS <name> <value> <unit>" figures and ends
# with "PASS <name>" or "FAIL <name>: why").  PGX_CHAOS=name runs one.
# Ends with "N passed, N failed"; the figures are collected in
# build/chaos/figures.txt (copy them to docs/high-availability.md with the date).
set -uo pipefail
cd "$(dirname "$0")/.."
logs=build/chaos
rm -rf "$logs"
mkdir -p "$logs"
bash scripts/deps.sh || { echo "dependencies could not be installed"; echo "0 passed, 1 failed"; exit 1; }
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! { make -s >"$logs/build.log" 2>&1 && $SUDO make -s install >>"$logs/build.log" 2>&1 &&
	make -s -C daemon matchd >>"$logs/build.log" 2>&1; }; then
	cat "$logs/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi
passed=0
failed=0
for t in regress/chaos/*.sh; do
	name=$(basename "$t" .sh)
	[ -n "${PGX_CHAOS:-}" ] && [ "$PGX_CHAOS" != "$name" ] && continue
	echo "== $name ($(date -u +%H:%M:%S))"
	timeout 1800 bash "$t" >"$logs/$name.log" 2>&1
	rc=$?
	grep -E '^(CHAOS|PASS|FAIL) ' "$logs/$name.log" | tee -a "$logs/figures.txt"
	if [ "$rc" -eq 0 ] && grep -q "^PASS " "$logs/$name.log"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "$name FAILED (exit $rc); last lines of $logs/$name.log:"
		tail -25 "$logs/$name.log"
	fi
done
echo "figures: $logs/figures.txt ($(date -u +%Y-%m-%d), $(nproc) cores)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
