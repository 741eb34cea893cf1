/*
 * test_rest.c - the REST daemon's pure modules (daemon/http/json.c, route.c):
 * the strict body parser (types, unknown fields, duplicates, nesting,
 * escapes, UTF-8, sizes, trailing bytes), the writer's quoting, the routes,
 * the SQLSTATE -> HTTP status table, time and resolution parameters, base64;
 * the order body of POST /v1/order (order_body: its stop, post-only and
 * good-till-date fields and every refusal of them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "route.h"

static const jsonp_field ORDER[] = {
    {"account", JSONP_STRING},   {"symbol", JSONP_STRING}, {"side", JSONP_STRING},
    {"quantity", JSONP_INTEGER}, {"price", JSONP_DECIMAL},
};

static int
parse(const char *body, jsonp_result *r, char *err)
{
	return jsonp_parse(body, strlen(body), ORDER, 5, r, err, 256);
}

static void
parses_an_order(void **state)
{
	jsonp_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse(" {\"account\":\"A1\", \"symbol\" : \"AAPL\",\"side\":\"buy\","
	                       "\"quantity\":100,\"price\":\"189.50\"}\n",
	                       &r, err),
	                 0);
	assert_string_equal(r.value[0], "A1");
	assert_string_equal(r.value[1], "AAPL");
	assert_string_equal(r.value[2], "buy");
	assert_string_equal(r.value[3], "100");
	assert_string_equal(r.value[4], "189.50");
	/* numbers as JSON numbers, integers as strings, null = absent, empty object */
	assert_int_equal(parse("{\"price\":189.5,\"quantity\":\"7\",\"side\":null}", &r, err),
	                 0);
	assert_string_equal(r.value[4], "189.5");
	assert_string_equal(r.value[3], "7");
	assert_null(r.value[2]);
	assert_null(r.value[0]);
	assert_int_equal(parse("{}", &r, err), 0);
	assert_int_equal(parse("{\"price\":-1}", &r, err),
	                 0); /* the SQL refuses it (PX011) */
	assert_string_equal(r.value[4], "-1");
}

static void
refuses_floats_and_wrong_types(void **state)
{
	jsonp_result r;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"price\":1e2}", &r, err), -1);
	assert_non_null(strstr(err, "without exponent"));
	assert_int_equal(parse("{\"price\":\"1e2\"}", &r, err), -1);
	assert_int_equal(parse("{\"price\":1.}", &r, err), -1);
	assert_int_equal(parse("{\"price\":.5}", &r, err), -1);
	assert_int_equal(parse("{\"price\":01.5}", &r, err), -1);
	assert_int_equal(parse("{\"price\":\"\"}", &r, err), -1);
	assert_int_equal(parse("{\"quantity\":1.5}", &r, err), -1);
	assert_string_equal(err, "field \"quantity\" must be an integer");
	assert_int_equal(parse("{\"quantity\":\"ten\"}", &r, err), -1);
	assert_int_equal(parse("{\"symbol\":5}", &r, err), -1);
	assert_string_equal(err, "field \"symbol\" must be a string");
	assert_int_equal(parse("{\"symbol\":true}", &r, err), -1);
	assert_int_equal(parse("{\"symbol\":[\"A\"]}", &r, err), -1);
	assert_int_equal(parse("{\"symbol\":{\"a\":1}}", &r, err), -1);
	assert_int_equal(parse("{\"quantity\":NaN}", &r, err), -1);
}

static void
refuses_unknown_duplicate_and_garbage(void **state)
{
	jsonp_result r;
	char err[256];
	char big[600];

	(void)state;
	assert_int_equal(parse("{\"acount\":\"A1\"}", &r, err), -1);
	assert_string_equal(err, "unknown field \"acount\"");
	assert_int_equal(parse("{\"side\":\"buy\",\"side\":\"sell\"}", &r, err), -1);
	assert_string_equal(err, "field \"side\" given twice");
	assert_int_equal(parse("[]", &r, err), -1);
	assert_int_equal(parse("", &r, err), -1);
	assert_int_equal(parse("{", &r, err), -1);
	assert_int_equal(parse("{\"side\":\"buy\"", &r, err), -1);
	assert_int_equal(parse("{\"side\":\"buy\",}", &r, err), -1);
	assert_int_equal(parse("{\"side\":\"buy\"} x", &r, err), -1);
	assert_string_equal(err, "bytes after the JSON object");
	assert_int_equal(parse("{\"side\":\"buy\"}{}", &r, err), -1);
	assert_int_equal(parse("{side:\"buy\"}", &r, err), -1);
	assert_int_equal(parse("{\"side\":\"b\nuy\"}", &r, err), -1);
	assert_string_equal(err, "side: control character in a string");
	/* a value over JSONP_VALUE_MAX bytes */
	memset(big, 'A', sizeof(big));
	memcpy(big, "{\"symbol\":\"", 11);
	memcpy(big + 590, "\"}", 3);
	assert_int_equal(parse(big, &r, err), -1);
	assert_non_null(strstr(err, "longer than"));
	/* a NUL inside the body */
	assert_int_equal(jsonp_parse("{\"side\":\"b\0\"}", 12, ORDER, 5, &r, err, 256), -1);
}

static void
decodes_escapes_and_checks_utf8(void **state)
{
	jsonp_result r;
	char err[256];

	(void)state;
	assert_int_equal(
	    parse("{\"account\":\"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00\"}", &r, err), 0);
	assert_string_equal(r.value[0], "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(parse("{\"account\":\"\\ud83d\"}", &r, err),
	                 -1); /* lone surrogate */
	assert_int_equal(parse("{\"account\":\"\\ude00\"}", &r, err), -1);
	assert_int_equal(parse("{\"account\":\"\\u0000\"}", &r, err), -1);
	assert_int_equal(parse("{\"account\":\"\\x41\"}", &r, err), -1);
	assert_int_equal(parse("{\"account\":\"\\u12\"}", &r, err), -1);
	assert_int_equal(parse("{\"account\":\"\xc3\xa9\"}", &r, err), 0);
	assert_int_equal(parse("{\"account\":\"\xc3\"}", &r, err), -1);
	assert_string_equal(err, "account: not UTF-8 text");
	assert_int_equal(parse("{\"account\":\"\xc0\xaf\"}", &r, err), -1); /* overlong */
	assert_int_equal(parse("{\"account\":\"\xed\xa0\x80\"}", &r, err),
	                 -1); /* surrogate */
	assert_int_equal(parse("{\"account\":\"\xf4\x90\x80\x80\"}", &r, err), -1);
	assert_true(utf8_valid((const unsigned char *)"\xf0\x9f\x98\x80", 4));
}

static void
writes_quoted_strings(void **state)
{
	jbuf b;

	(void)state;
	jbuf_init(&b);
	jbuf_quote(&b, "a\"b\\c\n\x01\xc3\xa9\xff");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\xef\xbf\xbd\"");
	jbuf_printf(&b, "%0300d", 7);
	assert_int_equal(b.len,
	                 strlen("\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\xef\xbf\xbd\"") + 300);
	assert_false(b.failed);
	jbuf_free(&b);
}

static void
routes(void **state)
{
	route r;

	(void)state;
	assert_int_equal(route_match("POST", "/v1/order").id, R_ORDER_NEW);
	r = route_match("GET", "/v1/order");
	assert_int_equal(r.id, R_BAD_METHOD);
	assert_string_equal(r.allow, "POST");
	r = route_match("GET", "/v1/order/42");
	assert_int_equal(r.id, R_ORDER_GET);
	assert_int_equal(r.order_id, 42);
	assert_int_equal(route_match("DELETE", "/v1/order/42").id, R_ORDER_CANCEL);
	assert_int_equal(route_match("PATCH", "/v1/order/42").id, R_ORDER_AMEND);
	assert_int_equal(route_match("PUT", "/v1/order/42").id, R_BAD_METHOD);
	assert_int_equal(route_match("GET", "/v1/order/0").id, R_NONE);
	assert_int_equal(route_match("GET", "/v1/order/-1").id, R_NONE);
	assert_int_equal(route_match("GET", "/v1/order/42x").id, R_NONE);
	assert_int_equal(route_match("GET", "/v1/order/99999999999999999999").id, R_NONE);
	assert_int_equal(route_match("GET", "/v1/execution").id, R_EXECUTIONS);
	assert_int_equal(route_match("GET", "/v1/marketdata/orderBook/L2").id, R_L2);
	assert_int_equal(route_match("HEAD", "/v1/marketdata/candles").id, R_CANDLES);
	assert_int_equal(route_match("POST", "/v1/marketdata/candles").id, R_BAD_METHOD);
	assert_int_equal(route_match("GET", "/v1/nothing").id, R_NONE);
	assert_int_equal(route_match("GET", "/v1").id, R_NONE);
	assert_int_equal(route_match("GET", "/").id, R_STATIC);
	assert_int_equal(route_match("GET", "/app.js").id, R_STATIC);
	assert_int_equal(route_match("POST", "/").id, R_BAD_METHOD);
	assert_true(route_needs_auth(R_ORDER_NEW));
	assert_true(route_needs_auth(R_L3));
	assert_true(route_needs_auth(R_STREAM_EXECUTION));
	assert_false(route_needs_auth(R_L2));
	assert_false(route_needs_auth(R_CANDLES));
	assert_false(route_needs_auth(R_STREAM_MARKET));
}

static void
statuses(void **state)
{
	(void)state;
	assert_int_equal(http_status_for_sqlstate("22P02"), 400);
	assert_int_equal(http_status_for_sqlstate("22004"), 400);
	assert_int_equal(http_status_for_sqlstate("PX010"), 400);
	assert_int_equal(http_status_for_sqlstate("PX013"), 400);
	assert_int_equal(http_status_for_sqlstate("PX020"), 400);
	assert_int_equal(http_status_for_sqlstate("PX060"), 422);
	assert_int_equal(http_status_for_sqlstate("PX061"), 422);
	assert_int_equal(http_status_for_sqlstate("PX062"), 400);
	assert_int_equal(http_status_for_sqlstate("PX063"), 400);
	assert_int_equal(http_status_for_sqlstate("42501"), 403);
	assert_int_equal(http_status_for_sqlstate("PX030"), 404);
	assert_int_equal(http_status_for_sqlstate("PX077"), 409);
	assert_int_equal(http_status_for_sqlstate("PX050"), 422);
	assert_int_equal(http_status_for_sqlstate("PX075"), 422);
	assert_int_equal(http_status_for_sqlstate("PX076"), 429);
	assert_int_equal(http_status_for_sqlstate("PX040"), 503);
	assert_int_equal(http_status_for_sqlstate("08006"), 503);
	assert_int_equal(http_status_for_sqlstate("PX041"), 504);
	assert_int_equal(http_status_for_sqlstate("57014"), 504);
	assert_int_equal(http_status_for_sqlstate("0A000"), 400); /* not supported yet */
	assert_int_equal(http_status_for_sqlstate("XX000"), 500);
	assert_int_equal(http_status_for_sqlstate(NULL), 500);
	assert_int_equal(http_status_for_sqlstate("2"), 500);
	assert_string_equal(http_error_name(422), "unprocessable");
	assert_string_equal(http_error_name(429), "rate_limited");
}

static void
times_and_resolutions(void **state)
{
	char out[64];
	int64_t s;

	(void)state;
	assert_true(param_time("1700000000123", out, sizeof(out)));
	assert_string_equal(out, "2023-11-14T22:13:20.123Z");
	assert_true(param_time("0", out, sizeof(out)));
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	assert_true(param_time("2026-12-07T14:30:00Z", out, sizeof(out)));
	assert_string_equal(out, "2026-12-07T14:30:00Z");
	assert_true(param_time("2026-12-07 14:30:00.5+01:00", out, sizeof(out)));
	assert_string_equal(out, "2026-12-07T14:30:00.5+01:00");
	assert_true(param_time("2026-12-07T14:30-05:00", out, sizeof(out)));
	assert_false(param_time("2026-12-07T14:30:00", out, sizeof(out))); /* no zone */
	assert_false(param_time("2026-13-07T14:30:00Z", out, sizeof(out)));
	assert_false(param_time("2026-12-07T24:30:00Z", out, sizeof(out)));
	assert_false(param_time("yesterday", out, sizeof(out)));
	assert_false(param_time("", out, sizeof(out)));
	assert_false(param_time("-5", out, sizeof(out)));
	assert_false(param_time("99999999999999999", out, sizeof(out)));
	assert_false(param_time("2026-12-07T14:30:00.Z", out, sizeof(out)));
	assert_true(param_resolution("60", &s) && s == 60);
	assert_true(param_resolution("1s", &s) && s == 1);
	assert_true(param_resolution("5m", &s) && s == 300);
	assert_true(param_resolution("1h", &s) && s == 3600);
	assert_true(param_resolution("1d", &s) && s == 86400);
	assert_false(param_resolution("2d", &s));
	assert_false(param_resolution("0", &s));
	assert_false(param_resolution("1w", &s));
	assert_false(param_resolution("m", &s));
	assert_false(param_resolution("-1", &s));
	assert_true(param_name("BRK.B", 32));
	assert_false(param_name("A B", 32));
	assert_false(param_name("", 32));
}

static void
base64(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(base64_decode("ZGVtbzpzZWNyZXQ=", out, sizeof(out)), 11);
	assert_string_equal(out, "demo:secret");
	assert_int_equal(base64_decode("YQ==", out, sizeof(out)), 1);
	assert_string_equal(out, "a");
	assert_int_equal(base64_decode("YWI=", out, sizeof(out)), 2);
	assert_int_equal(base64_decode("YQ=", out, sizeof(out)), -1);
	assert_int_equal(base64_decode("Y=Q=", out, sizeof(out)), -1);
	assert_int_equal(base64_decode("Y!==", out, sizeof(out)), -1);
	assert_int_equal(base64_decode("", out, sizeof(out)), -1);
	assert_int_equal(base64_decode("AAAA", out, sizeof(out)), -1);   /* NUL inside */
	assert_int_equal(base64_decode("ZGVtbzpzZWNyZXQ=", out, 4), -1); /* too long */
}

/* an order body: 0, or -1 with the SQLSTATE in *state and the message in err */
static int
order(const char *body, jsonp_result *r, const char **state, char *err)
{
	return order_body(body, strlen(body), r, state, err, 256);
}

#define BASE "\"account\":\"A1\",\"symbol\":\"AAPL\",\"side\":\"buy\",\"quantity\":10"

static void
order_body_new_fields(void **state)
{
	jsonp_result r;
	char err[256];
	const char *st;

	(void)state;
	assert_int_equal(order("{" BASE ",\"price\":\"10.20\",\"orderType\":\"stop_limit\","
	                       "\"timeInForce\":\"gtd\",\"stopPrice\":\"10.10\","
	                       "\"postOnly\":false,\"expireTime\":\"2026-12-08T21:00:00Z\"}",
	                       &r, &st, err),
	                 0);
	assert_string_equal(r.value[OF_ACCOUNT], "A1");
	assert_string_equal(r.value[OF_QUANTITY], "10");
	assert_string_equal(r.value[OF_ORDER_TYPE], "stop_limit");
	assert_string_equal(r.value[OF_STOP_PRICE], "10.10");
	assert_string_equal(r.value[OF_POST_ONLY], "false");
	assert_string_equal(r.value[OF_EXPIRE_TIME], "2026-12-08T21:00:00Z");
	/* like price: an exact JSON number is passed on as its text */
	assert_int_equal(
	    order("{" BASE ",\"stopPrice\":10.1,\"postOnly\":true}", &r, &st, err), 0);
	assert_string_equal(r.value[OF_STOP_PRICE], "10.1");
	assert_string_equal(r.value[OF_POST_ONLY], "true");
	/* null is "not given", as for every field */
	assert_int_equal(order("{" BASE ",\"stopPrice\":null,\"postOnly\":null,"
	                       "\"expireTime\":null}",
	                       &r, &st, err),
	                 0);
	assert_null(r.value[OF_STOP_PRICE]);
	assert_null(r.value[OF_POST_ONLY]);
	assert_null(r.value[OF_EXPIRE_TIME]);
	/* RFC 3339's lower-case t and z reach PostgreSQL in upper case; an offset and
	 * a fraction pass as they are */
	assert_int_equal(
	    order("{" BASE ",\"expireTime\":\"2026-12-08t21:00:00.123456z\"}", &r, &st, err),
	    0);
	assert_string_equal(r.value[OF_EXPIRE_TIME], "2026-12-08T21:00:00.123456Z");
	assert_int_equal(
	    order("{" BASE ",\"expireTime\":\"2026-12-08T22:00:00.5+01:00\"}", &r, &st, err),
	    0);
	assert_string_equal(r.value[OF_EXPIRE_TIME], "2026-12-08T22:00:00.5+01:00");
}

/* body must be refused with sqlstate (NULL: none) and a message containing msg */
static void
refused(const char *body, const char *sqlstate, const char *msg)
{
	jsonp_result r;
	char err[256];
	const char *st = "unset";

	err[0] = '\0';
	if (order(body, &r, &st, err) != -1)
		fail_msg("accepted: %s", body);
	if (sqlstate == NULL)
		assert_null(st);
	else
		assert_string_equal(st, sqlstate);
	if (strstr(err, msg) == NULL)
		fail_msg("%s: message \"%s\" does not say \"%s\"", body, err, msg);
}

static void
order_body_refusals(void **state)
{
	(void)state;
	/* stopPrice: a decimal, as price */
	refused("{" BASE ",\"stopPrice\":1e1}", "22P02", "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":\"1e1\"}", "22P02",
	        "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":\"10,10\"}", "22P02",
	        "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":\"\"}", "22P02", "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":\"NaN\"}", "22P02",
	        "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":.5}", "22P02", "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":true}", "22P02", "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":[10]}", "22P02", "\"stopPrice\" must be a decimal");
	refused("{" BASE ",\"stopPrice\":\"1\",\"stopPrice\":\"2\"}", "22P02", "given twice");
	/* postOnly: the literals true and false only */
	refused("{" BASE ",\"postOnly\":\"true\"}", "22P02",
	        "\"postOnly\" must be true or false (not a string)");
	refused("{" BASE ",\"postOnly\":1}", "22P02", "\"postOnly\" must be true or false");
	refused("{" BASE ",\"postOnly\":0}", "22P02", "\"postOnly\" must be true or false");
	refused("{" BASE ",\"postOnly\":True}", "22P02",
	        "\"postOnly\" must be true or false");
	refused("{" BASE ",\"postOnly\":tru}", "22P02", "\"postOnly\" must be true or false");
	refused("{" BASE ",\"postOnly\":truex}", "22P02", "after field \"postOnly\"");
	refused("{" BASE ",\"postOnly\":falsey}", "22P02", "after field \"postOnly\"");
	refused("{" BASE ",\"postOnly\":{}}", "22P02", "\"postOnly\" must be true or false");
	refused("{" BASE ",\"postOnly\":true,\"postOnly\":false}", "22P02", "given twice");
	/* the literal of a boolean for fields of other kinds */
	refused("{\"symbol\":true}", "22P02", "\"symbol\" must be a string");
	refused("{\"quantity\":false}", "22P02", "\"quantity\" must be an integer");
	/* expireTime: a string, an RFC 3339 date-time with its zone */
	refused("{" BASE ",\"expireTime\":1796763600000}", "22P02",
	        "\"expireTime\" must be a string");
	refused("{" BASE ",\"expireTime\":true}", "22P02", "\"expireTime\" must be a string");
	refused("{" BASE ",\"expireTime\":\"1796763600000\"}", "22007", "RFC 3339");
	refused("{" BASE ",\"expireTime\":\"2026-12-08T21:00:00\"}", "22007", "RFC 3339");
	refused("{" BASE ",\"expireTime\":\"\"}", "22007", "RFC 3339");
	/* the names of the SQL function and of other APIs are not aliases */
	refused("{" BASE ",\"stop_price\":\"1\"}", "22P02", "unknown field \"stop_price\"");
	refused("{" BASE ",\"displayQuantity\":5}", "22P02",
	        "unknown field \"displayQuantity\"");
	/* the required fields, after a valid body */
	refused("{\"symbol\":\"AAPL\",\"side\":\"buy\",\"quantity\":1,\"postOnly\":true}",
	        NULL, "account is required");
	refused("{\"account\":\"A1\",\"side\":\"buy\",\"quantity\":1}", NULL,
	        "symbol is required");
	refused("{\"account\":\"A1\",\"symbol\":\"AAPL\",\"quantity\":1}", NULL,
	        "side is required");
	refused("{\"account\":\"A1\",\"symbol\":\"AAPL\",\"side\":\"buy\"}", NULL,
	        "quantity is required");
	refused("{\"account\":\"\",\"symbol\":\"AAPL\",\"side\":\"buy\",\"quantity\":1}",
	        NULL, "account is required");
}

static void
rfc3339_times(void **state)
{
	char out[64];

	(void)state;
	assert_true(param_rfc3339("2026-12-08T21:00:00Z", out, sizeof(out)));
	assert_string_equal(out, "2026-12-08T21:00:00Z");
	assert_true(param_rfc3339("2026-12-08T21:00:00.000001-05:30", out, sizeof(out)));
	assert_string_equal(out, "2026-12-08T21:00:00.000001-05:30");
	assert_true(param_rfc3339("2026-12-08t21:00:00z", out, sizeof(out)));
	assert_string_equal(out, "2026-12-08T21:00:00Z");
	assert_true(param_rfc3339("2028-02-29T00:00:00Z", out, sizeof(out))); /* leap year */
	assert_true(param_rfc3339("2000-02-29T00:00:00Z", out, sizeof(out)));
	assert_true(param_rfc3339("2026-12-31T23:59:59.999999999+15:59", out, sizeof(out)));
	assert_true(param_rfc3339("0001-01-01T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2027-02-29T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("1900-02-29T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-04-31T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-00-10T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-13-10T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-00T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("0000-01-01T00:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T24:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:60:00Z", out, sizeof(out)));
	assert_false(
	    param_rfc3339("2026-12-08T23:59:60Z", out, sizeof(out)));       /* leap second */
	assert_false(param_rfc3339("2026-12-08T21:00Z", out, sizeof(out))); /* no seconds */
	assert_false(param_rfc3339("2026-12-08 21:00:00Z", out, sizeof(out))); /* a space */
	assert_false(param_rfc3339("2026-12-08T21:00:00", out, sizeof(out)));  /* no zone */
	assert_false(param_rfc3339("2026-12-08T21:00:00+01", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00+0100", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00+16:00", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00+01:60", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00.Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00.1234567890Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00ZZ", out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00Z ", out, sizeof(out)));
	assert_false(param_rfc3339("+2026-12-08T21:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("2026-1-08T21:00:00Z", out, sizeof(out)));
	assert_false(param_rfc3339("1796763600000", out, sizeof(out)));
	assert_false(param_rfc3339("tomorrow", out, sizeof(out)));
	assert_false(param_rfc3339("", out, sizeof(out)));
	assert_false(param_rfc3339(NULL, out, sizeof(out)));
	assert_false(param_rfc3339("2026-12-08T21:00:00Z", out, 20)); /* no room for it */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_an_order),
	    cmocka_unit_test(refuses_floats_and_wrong_types),
	    cmocka_unit_test(refuses_unknown_duplicate_and_garbage),
	    cmocka_unit_test(decodes_escapes_and_checks_utf8),
	    cmocka_unit_test(writes_quoted_strings),
	    cmocka_unit_test(routes),
	    cmocka_unit_test(statuses),
	    cmocka_unit_test(times_and_resolutions),
	    cmocka_unit_test(base64),
	    cmocka_unit_test(order_body_new_fields),
	    cmocka_unit_test(order_body_refusals),
	    cmocka_unit_test(rfc3339_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
