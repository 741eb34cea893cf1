/*
 * rest.c - fuzzes what the REST daemon decodes of a client's bytes
 * (daemon/http/json.c, route.c): the strict JSON body parser, the time and
 * resolution parameters, Basic credentials' base64, the routes; and its JSON
 * string writer on arbitrary bytes.
 *
 * Input: a mode byte (mod 6), then the bytes under test.
 *
 * Invariants beyond "no crash, no leak, no UB", checked against the
 * independent references of fuzzutil.c (RFC 8259 JSON, RFC 3629 UTF-8):
 *   - a body the parser accepts (the order body's fields, order_body) is a
 *     JSON text (fz_json_valid) and an object; every value it returns is
 *     UTF-8 without NUL, of at most JSONP_VALUE_MAX bytes, and of its
 *     declared kind (an integer: -?digits; a decimal: -?digits[.digits],
 *     never an exponent; a boolean: true or false); an accepted order body
 *     has its required fields and an expireTime, if any, in RFC 3339 with T
 *     and an upper-case Z or an offset;
 *   - a refusal always says why (a non-empty message);
 *   - an accepted time parameter is ISO 8601 with a zone (Z or +HH:MM), a
 *     resolution is 1..86400 seconds;
 *   - decoded base64 has no NUL and the length the input implies;
 *   - the writer's quoting of any bytes is a JSON string in UTF-8;
 *   - an order route has a positive id, and no other route (but another
 *     method on /v1/order/{id}) has one.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "json.h"
#include "route.h"


static bool
number_text(const char *s, bool frac)
{
	size_t i = 0;

	if (s[i] == '-')
		i++;
	if (s[i] < '0' || s[i] > '9')
		return false;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (frac && s[i] == '.')
	{
		i++;
		if (s[i] < '0' || s[i] > '9')
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return s[i] == '\0';
}

static void
body(const char *p, size_t n)
{
	static jsonp_result r;
	char err[256];
	size_t first = 0;
	const char *state, *t;

	err[0] = '\0';
	if (order_body(p, n, &r, &state, err, sizeof(err)) < 0)
	{
		FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)),
		         "a refusal without a reason");
		/* a body the parser took was refused for a missing field or the time */
		if (state == NULL || strcmp(state, "22007") == 0)
			FZ_CHECK(fz_json_valid(p, n), "a refusal after the parser took no JSON");
		return;
	}
	for (size_t f = 0; f <= OF_QUANTITY; f++)
		FZ_CHECK(r.value[f] != NULL && r.value[f][0] != '\0', "%s missing",
		         order_fields[f].name);
	if ((t = r.value[OF_EXPIRE_TIME]) != NULL)
		FZ_CHECK(strlen(t) >= 20 && t[10] == 'T' && t[4] == '-' && t[16] == ':' &&
		             (t[strlen(t) - 1] == 'Z' || t[strlen(t) - 3] == ':'),
		         "expireTime %s", t);
	FZ_CHECK(fz_json_valid(p, n), "accepted a body that is not JSON: %.*s", (int)n, p);
	while (first < n &&
	       (p[first] == ' ' || p[first] == '\t' || p[first] == '\n' || p[first] == '\r'))
		first++;
	FZ_CHECK(first < n && p[first] == '{', "accepted a JSON value that is not an object");
	for (size_t f = 0; f < ORDER_FIELDS; f++)
	{
		const char *v = r.value[f];

		if (v == NULL)
			continue;
		FZ_CHECK(strlen(v) <= JSONP_VALUE_MAX, "value of %s too long", order_fields[f].name);
		FZ_CHECK(fz_utf8_valid(v, strlen(v)), "value of %s is not UTF-8", order_fields[f].name);
		if (order_fields[f].type == JSONP_INTEGER)
			FZ_CHECK(number_text(v, false), "integer %s is %s", order_fields[f].name, v);
		if (order_fields[f].type == JSONP_DECIMAL)
			FZ_CHECK(number_text(v, true), "decimal %s is %s", order_fields[f].name, v);
		if (order_fields[f].type == JSONP_BOOLEAN)
			FZ_CHECK(strcmp(v, "true") == 0 || strcmp(v, "false") == 0,
			         "boolean %s is %s", order_fields[f].name, v);
	}
}

static char *
cstr(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size > 0 ? size - 1 : 0;
	char *s, out[128];
	int64_t v;

	if (size == 0 || n > 65536)
		return 0;
	s = cstr(p, n);
	switch (data[0] % 6)
	{
		case 0:
			body(p, n);
			break;
		case 1:
			if (param_time(s, out, sizeof(out)))
			{
				size_t l = strlen(out);

				FZ_CHECK(l >= 1 && (out[l - 1] == 'Z' ||
				                    (l > 6 && out[l - 3] == ':' &&
				                     (out[l - 6] == '+' || out[l - 6] == '-'))),
				         "time %s without a zone", out);
				FZ_CHECK(out[4] == '-' && out[10] == 'T', "time %s is not ISO 8601", out);
			}
			break;
		case 2:
			if (param_resolution(s, &v))
				FZ_CHECK(v >= 1 && v <= 86400, "resolution %lld", (long long)v);
			break;
		case 3:
		{
			char dec[512];
			int k = base64_decode(s, dec, sizeof(dec));

			if (k >= 0)
			{
				size_t l = strlen(s); /* the C string the daemon decodes */
				size_t pad = (l >= 1 && s[l - 1] == '=') + (l >= 2 && s[l - 2] == '=');

				FZ_CHECK((size_t)k == l / 4 * 3 - pad, "base64 of %zu bytes gave %d", l,
				         k);
				FZ_CHECK(strlen(dec) == (size_t)k, "base64 decoded a NUL");
			}
			break;
		}
		case 4:
		{
			jbuf b;

			jbuf_init(&b);
			jbuf_quote(&b, s);
			FZ_CHECK(!b.failed, "out of memory");
			FZ_CHECK(fz_json_valid(b.data, b.len), "quoting gave no JSON string: %s",
			         b.data);
			FZ_CHECK(fz_utf8_valid(b.data, b.len), "quoting gave no UTF-8");
			jbuf_free(&b);
			break;
		}
		case 5:
		{
			static const char *const methods[] = {"GET",   "POST", "DELETE",
			                                      "PATCH", "HEAD", "PUT"};
			route r = route_match(methods[n ? (uint8_t)s[0] % 6 : 0], n ? s + 1 : s);

			if (r.id == R_ORDER_GET || r.id == R_ORDER_CANCEL || r.id == R_ORDER_AMEND)
				FZ_CHECK(r.order_id > 0 && strncmp(s + 1, "/v1/order/", 10) == 0,
				         "order route %s", s + 1);
			else if (r.id !=
			         R_BAD_METHOD) /* another method on /v1/order/{id} keeps its id */
				FZ_CHECK(r.order_id == 0, "an order id outside an order route");
			break;
		}
	}
	free(s);
	return 0;
}
