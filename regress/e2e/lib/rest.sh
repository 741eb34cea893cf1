# shellcheck shell=bash
# Sourced by the REST end-to-end tests after lib/stack.sh: pgx-httpd on a free
# port beside the stack, and curl helpers that keep every answer for the
# OpenAPI check (lib/openapi_check.py).

# rest_start [flags]: the sanitized pgx-httpd (scripts/httpd.sh) on $PGX_HTTP_PORT
rest_start() {
	make -s -C "$top/daemon" httpd httpd-asan >/dev/null || fail "cannot build pgx-httpd"
	export PGX_HTTPD_BIN=${PGX_HTTPD_BIN:-$top/daemon/build/asan/bin/pgx-httpd}
	export PGX_HTTP_PORT
	PGX_HTTP_PORT=$(free_port)
	BASE=http://127.0.0.1:$PGX_HTTP_PORT
	mkdir -p "$STACK/answers"
	bash "$top/scripts/httpd.sh" start "$STACK" "$@" >/dev/null || {
		tail -20 "$STACK/httpd.log"
		fail "pgx-httpd did not start"
	}
}
rest_stop() { bash "$top/scripts/httpd.sh" stop "$STACK" >/dev/null; }

# call TEMPLATE METHOD PATH [curl args...]: the status in $STATUS, the body in
# $BODY (and $STACK/answers/N.json with TEMPLATE METHOD STATUS in N.meta);
# TEMPLATE is the path of the OpenAPI document the answer must match ("-": none)
n_answers=0
call() {
	local template=$1 method=$2 path=$3
	shift 3
	n_answers=$((n_answers + 1))
	local out=$STACK/answers/$n_answers.json
	STATUS=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" --max-time 30 "$@" "$BASE$path") ||
		fail "curl $method $path failed"
	BODY=$(cat "$out")
	echo "$template $method $STATUS" >"$STACK/answers/$n_answers.meta"
}

# expect CODE TEMPLATE METHOD PATH [curl args...]: call, and the status must be CODE
expect() {
	local code=$1
	shift
	call "$@"
	[ "$STATUS" = "$code" ] || fail "$2 $3: status $STATUS, expected $code: $BODY"
}

# jq_is FILTER: the last body, through jq -e, is true
jq_is() {
	jq -e "$1" >/dev/null <<<"$BODY" || fail "answer does not satisfy $1: $BODY"
}

JSON=(-H 'Content-Type: application/json')
