#!/usr/bin/env bash
# Install what pgexchange needs from Debian's registry, and nothing else.
# Idempotent: when every package is present it only runs dpkg-query and exits.
set -euo pipefail

PACKAGES=(
	postgresql-15              # the server (also pulls the client)
	postgresql-server-dev-15   # PGXS, server headers, pg_regress, isolation tester
	libpq-dev                  # libpq headers for matchd and the benchmarks
	postgresql-15-pgtap        # pgTAP inside the database
	libtap-parser-sourcehandler-pgtap-perl  # pg_prove
	libcmocka-dev              # C unit tests
	pg-auto-failover-cli       # pg_autoctl: PostgreSQL failover (scripts/pg-ha.sh)
	postgresql-15-auto-failover  # pg_auto_failover's monitor extension (scripts/pg-ha.sh)
	pgbackrest                 # backups, WAL archive and restores (scripts/backup.sh)
	clang libclang-rt-14-dev   # libFuzzer with ASan/UBSan for fuzz/ (make fuzz, make test)
	clang-format               # make format (.clang-format)
	pgbouncer                  # connection pooler in front of PostgreSQL (scripts/pgbouncer.sh)
	libquickfix-dev g++        # an independent FIX initiator for the gateway's tests (regress/e2e/fix_client.cpp)
	libmicrohttpd-dev          # HTTP/1.1 of the REST daemon (daemon/http/)
	libssl-dev                 # SHA-256 of the REST daemon's credential cache (daemon/http/auth.c)
	curl python3-jsonschema    # the REST tests: requests, and answers checked against docs/openapi.json
	chromium                   # headless browser for the web page's test (regress/browser/, puppeteer-core)
	gcc make
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# node and npm for the web page's build (scripts/web.sh): Debian's nodejs and
# npm, unless a node with npm is already installed (e.g. from another source)
command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql-common creates a default cluster on install; we never use it
# (our clusters live in the checkout), so ask it not to.
if [ ! -e /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf 2>/dev/null; then
	$SUDO mkdir -p /etc/postgresql-common
	echo 'create_main_cluster = false' | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get update -qq
# confold: keep the createcluster.conf written above rather than ask about it
$SUDO apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
	-o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
