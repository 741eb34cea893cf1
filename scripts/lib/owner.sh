# shellcheck shell=bash
# Sourced by the scripts that run PostgreSQL or a daemon: PostgreSQL refuses to
# run as root, so under root the command runs as the unprivileged system user
# "pgexchange" (scripts/cluster.sh creates it on first use); otherwise as the
# caller.

# as_owner CMD ARGS...: run CMD as the owner of the stack's files
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u pgexchange -- "$@"
	else
		"$@"
	fi
}
