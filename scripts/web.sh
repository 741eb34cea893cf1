#!/usr/bin/env bash
# The web page's build step (make web; make start and make test run it):
# installs web/package-lock.json's packages with `npm ci` (lightweight-charts for
# the page, puppeteer-core for its browser test) and vendors lightweight-charts'
# standalone build into web/vendor/, which the HTTP server serves at /vendor/ (no
# CDN).  Idempotent: when web/node_modules was installed from the same lock file
# it does nothing but compare a checksum, so it works offline after the first
# install; npm ci itself prefers npm's local cache.
set -euo pipefail
cd "$(dirname "$0")/../web"

command -v npm >/dev/null || { echo "web: npm is missing (scripts/deps.sh installs it)" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.pgx-lock-sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "web: npm ci (web/package-lock.json)" >&2
	npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
	echo "$want" >"$stamp"
fi

lib=node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js
mkdir -p vendor
if ! cmp -s "$lib" vendor/lightweight-charts.standalone.production.js; then
	cp "$lib" vendor/lightweight-charts.standalone.production.js.tmp
	mv vendor/lightweight-charts.standalone.production.js.tmp vendor/lightweight-charts.standalone.production.js
fi
