/*
 * route.h - the REST API's routes, the HTTP status of every SQLSTATE, and the
 * checks of query parameters (times, resolutions, ids).  Pure: no I/O, unit
 * tested by daemon/tests/test_rest.c.
 */
#ifndef HTTPD_ROUTE_H
#define HTTPD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

typedef enum
{
	R_NONE = 0,         /* no such path: 404 */
	R_BAD_METHOD,       /* a known path, another method: 405 */
	R_ORDER_NEW,        /* POST   /v1/order */
	R_ORDER_GET,        /* GET    /v1/order/{id} */
	R_ORDER_CANCEL,     /* DELETE /v1/order/{id} */
	R_ORDER_AMEND,      /* PATCH  /v1/order/{id} */
	R_ORDERS,           /* GET    /v1/orders (the broker's open orders) */
	R_EXECUTIONS,       /* GET    /v1/execution */
	R_BALANCES,         /* GET    /v1/balances */
	R_ACCOUNTS,         /* GET    /v1/accounts */
	R_SYMBOLS,          /* GET    /v1/symbols */
	R_L1,               /* GET    /v1/marketdata/orderBook/L1 */
	R_L2,               /* GET    /v1/marketdata/orderBook/L2 */
	R_L3,               /* GET    /v1/marketdata/orderBook/L3 */
	R_CANDLES,          /* GET    /v1/marketdata/candles */
	R_STREAM_MARKET,    /* GET    /v1/stream/marketdata?symbol= (SSE) */
	R_STREAM_EXECUTION, /* GET    /v1/stream/executions (SSE) */
	R_OPENAPI,          /* GET    /v1/openapi.json */
	R_WHOAMI,           /* GET    /v1/whoami */
	R_STATIC            /* GET    anything outside /v1/: a file of --static-dir */
} route_id;

typedef struct
{
	route_id id;
	int64_t order_id;  /* R_ORDER_GET, _CANCEL, _AMEND */
	const char *allow; /* for R_BAD_METHOD: the Allow header */
} route;

/* method and path (without the query string) -> the route */
route route_match(const char *method, const char *path);

/* true when the route needs a broker (authentication) */
bool route_needs_auth(route_id id);

/* HTTP status for a SQLSTATE (5 characters) raised by an endpoint's SQL */
int http_status_for_sqlstate(const char *sqlstate);
/* the short error name of the JSON error body for a status ("bad_request", ...) */
const char *http_error_name(int status);

/*
 * The body of POST /v1/order: its fields, in the order of submit_order's
 * arguments (res->value[OF_...]).
 */
enum
{
	OF_ACCOUNT,
	OF_SYMBOL,
	OF_SIDE,
	OF_QUANTITY,
	OF_PRICE,
	OF_ORDER_TYPE,
	OF_TIME_IN_FORCE,
	OF_CLIENT_ORDER_ID,
	OF_STOP_PRICE,
	OF_POST_ONLY,
	OF_EXPIRE_TIME,
	ORDER_FIELDS
};
extern const jsonp_field order_fields[ORDER_FIELDS];

/*
 * Parses and checks an order body: the JSON (jsonp_parse against
 * order_fields), the required fields, and expireTime (param_rfc3339, written
 * back normalized).  0; or -1 with the client's message in err and its
 * SQLSTATE in *sqlstate (22P02 a body the parser refused, 22007 a bad
 * expireTime, NULL a missing field).  What only the exchange can judge (the
 * enums, the tick, which options go together) is submit_order's.
 */
int order_body(const char *body, size_t len, jsonp_result *res, const char **sqlstate,
               char *err, size_t errsize);

/*
 * A time parameter: epoch milliseconds (digits) or ISO 8601
 * (YYYY-MM-DDTHH:MM[:SS[.fraction]] with Z or +HH:MM/-HH:MM; a space may
 * stand for the T).  Writes what PostgreSQL's timestamptz input reads
 * unambiguously into out ("2026-12-07T10:00:00Z" as given, or
 * "@<seconds>.<ms>" turned into an ISO UTC time for epoch ms).  false: bad.
 */
bool param_time(const char *in, char *out, size_t size);
/*
 * A time of a request body (expireTime): an RFC 3339 date-time only,
 * YYYY-MM-DDTHH:MM:SS[.fraction] with Z or +HH:MM/-HH:MM (offsets up to
 * 15:59, as PostgreSQL takes them); the date must exist (2027-02-29 is
 * refused), no leap second, no epoch milliseconds.  Writes it with T and Z in
 * upper case into out; false: bad.
 */
bool param_rfc3339(const char *in, char *out, size_t size);
/* resolution: seconds ("60") or a short interval ("1s", "5m", "1h", "1d"): seconds */
bool param_resolution(const char *in, int64_t *seconds);
/* positive decimal integer up to 2^63-1 */
bool param_id(const char *in, int64_t *out);
/* symbol / account / client order id: 1..max bytes of [A-Za-z0-9._-] */
bool param_name(const char *in, size_t max);

/* base64 (RFC 4648, padding required) -> out (NUL-terminated, no NUL inside); -1 when bad
 */
int base64_decode(const char *in, char *out, size_t size);

#endif
