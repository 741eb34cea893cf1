# shellcheck shell=bash
# Sourced by scripts/matchd.sh, scripts/gatewayd.sh, scripts/httpd.sh and scripts/pgbouncer.sh: a daemon known by the
# pid file the sourcing script names in $pidfile (read at each call, so a script
# may set it after sourcing this).

# shellcheck disable=SC2154 # pidfile: set by the sourcing script
# pid: the pid the file names (status 1 without a file)
pid() { [ -f "$pidfile" ] && cat "$pidfile"; }

# running: the pid file names a live process
running() { local p; p=$(pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# stop_daemon NAME: SIGTERM and a wait of up to 30 s for the clean exit; a
# daemon still there after that is killed (SIGKILL) and the status is 1.
# Not running is success: stop is idempotent.
stop_daemon() {
	local name=$1 p
	if ! running; then
		rm -f "$pidfile"
		return 0
	fi
	p=$(pid)
	kill -TERM "$p"
	for _ in $(seq 1 300); do
		kill -0 "$p" 2>/dev/null || { echo "$name stopped"; return 0; }
		sleep 0.1
	done
	echo "$name (pid $p) did not stop within 30 s; killing it" >&2
	kill -KILL "$p" 2>/dev/null || true
	rm -f "$pidfile"
	return 1
}

# kill_daemon: SIGKILL and a wait until the process is gone (it may be dying
# already: a drill killed it a moment ago); the pid file is removed
kill_daemon() {
	local p
	if running; then
		p=$(pid)
		kill -KILL "$p" 2>/dev/null || true
		while kill -0 "$p" 2>/dev/null; do sleep 0.02; done
	fi
	rm -f "$pidfile"
}
