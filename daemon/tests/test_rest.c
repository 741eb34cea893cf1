/*
 * test_rest.c - the REST daemon's pure modules (daemon/http/json.c, route.c):
 * the strict body parser (types, unknown fields, duplicates, nesting,
 * escapes, UTF-8, sizes, trailing bytes), the writer's quoting, the routes,
 * the SQLSTATE -> HTTP status table, time and resolution parameters, base64.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
