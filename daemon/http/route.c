/*
 * route.c - routes, statuses and parameter checks of the REST API (route.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "route.h"

bool
param_id(const char *in, int64_t *out)
{
	int64_t v = 0;

	if (in == NULL || *in == '\0' || strlen(in) > 19)
		return false;
	for (const char *p = in; *p; p++)
	{
		if (*p < '0' || *p > '9' || v > (INT64_MAX - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0)
		return false;
	*out = v;
	return true;
}

static bool
path_is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

route
route_match(const char *method, const char *path)
{
	route r = {R_NONE, 0, NULL};
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	static const struct
	{
		const char *path;
		route_id id;
	} gets[] = {
	    {"/v1/orders", R_ORDERS},
	    {"/v1/execution", R_EXECUTIONS},
	    {"/v1/balances", R_BALANCES},
	    {"/v1/accounts", R_ACCOUNTS},
	    {"/v1/symbols", R_SYMBOLS},
	    {"/v1/marketdata/orderBook/L1", R_L1},
	    {"/v1/marketdata/orderBook/L2", R_L2},
	    {"/v1/marketdata/orderBook/L3", R_L3},
	    {"/v1/marketdata/candles", R_CANDLES},
	    {"/v1/stream/marketdata", R_STREAM_MARKET},
	    {"/v1/stream/executions", R_STREAM_EXECUTION},
	    {"/v1/openapi.json", R_OPENAPI},
	    {"/v1/whoami", R_WHOAMI},
	};

	if (path_is(path, "/v1/order"))
	{
		if (strcmp(method, "POST") == 0)
			r.id = R_ORDER_NEW;
		else
			r.id = R_BAD_METHOD, r.allow = "POST";
		return r;
	}
	if (strncmp(path, "/v1/order/", 10) == 0)
	{
		if (!param_id(path + 10, &r.order_id))
			return r; /* R_NONE: not an order id */
		if (get)
			r.id = R_ORDER_GET;
		else if (strcmp(method, "DELETE") == 0)
			r.id = R_ORDER_CANCEL;
		else if (strcmp(method, "PATCH") == 0)
			r.id = R_ORDER_AMEND;
		else
			r.id = R_BAD_METHOD, r.allow = "GET, HEAD, DELETE, PATCH";
		return r;
	}
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++)
		if (path_is(path, gets[i].path))
		{
			if (get)
				r.id = gets[i].id;
			else
				r.id = R_BAD_METHOD, r.allow = "GET, HEAD";
			return r;
		}
	if (strncmp(path, "/v1/", 4) == 0 || path_is(path, "/v1"))
		return r;
	if (get)
		r.id = R_STATIC;
	else
		r.id = R_BAD_METHOD, r.allow = "GET, HEAD";
	return r;
}

bool
route_needs_auth(route_id id)
{
	switch (id)
	{
		case R_ORDER_NEW:
		case R_ORDER_GET:
		case R_ORDER_CANCEL:
		case R_ORDER_AMEND:
		case R_ORDERS:
		case R_EXECUTIONS:
		case R_BALANCES:
		case R_ACCOUNTS:
		case R_L3:
		case R_STREAM_EXECUTION:
		case R_WHOAMI:
			return true;
		default:
			return false;
	}
}

int
http_status_for_sqlstate(const char *s)
{
	static const struct
	{
		const char *state;
		int status;
	} exact[] = {
	    {"42501", 403}, /* another broker's account; not enabled */
	    {"PX030", 404}, /* not an open order of the account */
	    {"PX077", 409}, /* client order id used today */
	    {"PX076", 429}, /* rate limited */
	    {"PX040", 503}, /* matchd unavailable: nothing done */
	    {"PX043", 503}, /* no leader */
	    {"53400", 503}, /* matchd capacity full */
	    {"53300", 503}, /* too many connections */
	    {"57P01", 503}, /* admin shutdown */
	    {"57P03", 503}, /* cannot connect now */
	    {"PX041", 504}, /* fate unknown */
	    {"PX042", 504},
	    {"57014", 504},
	    {"PX020", 400}, /* unknown symbol */
	    {"PX021", 400},
	    /* an order option the exchange does not support yet (display_quantity,
	     * at_open, at_close): the client's to change, not a server fault */
	    {"0A000", 400},
	};

	if (s == NULL || strlen(s) != 5)
		return 500;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (memcmp(s, exact[i].state, 5) == 0)
			return exact[i].status;
	if (memcmp(s, "22", 2) == 0 || memcmp(s, "23", 2) == 0)
		return 400; /* data exception, integrity: bad input */
	if (memcmp(s, "PX01", 4) == 0 || memcmp(s, "PX062", 5) == 0 ||
	    memcmp(s, "PX063", 5) == 0)
		return 400; /* price, quantity, lot; amount, currency */
	if (memcmp(s, "PX05", 4) == 0 || memcmp(s, "PX06", 4) == 0 ||
	    memcmp(s, "PX07", 4) == 0)
		return 422; /* refused by the order manager (funds, shares, limits, ...) */
	if (memcmp(s, "08", 2) == 0)
		return 503; /* connection exception */
	return 500;
}

const char *
http_error_name(int status)
{
	switch (status)
	{
		case 400:
			return "bad_request";
		case 401:
			return "unauthorized";
		case 403:
			return "forbidden";
		case 404:
			return "not_found";
		case 405:
			return "method_not_allowed";
		case 409:
			return "conflict";
		case 411:
			return "length_required";
		case 413:
			return "payload_too_large";
		case 415:
			return "unsupported_media_type";
		case 422:
			return "unprocessable";
		case 429:
			return "rate_limited";
		case 503:
			return "unavailable";
		case 504:
			return "timeout";
		default:
			return status >= 500 ? "server_error" : "bad_request";
	}
}

static bool
digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static int
num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

bool
param_time(const char *in, char *out, size_t size)
{
	size_t n;
	const char *p;

	if (in == NULL || (n = strlen(in)) == 0 || n > 40)
		return false;
	if (digits(in, (int)n))
	{
		int64_t ms;
		time_t secs;
		struct tm tm;

		if (n > 15)
			return false;
		ms = 0;
		for (size_t i = 0; i < n; i++)
			ms = ms * 10 + (in[i] - '0');
		if (ms > 253402300799999LL) /* up to the year 9999 */
			return false;
		secs = (time_t)(ms / 1000);
		if (gmtime_r(&secs, &tm) == NULL)
			return false;
		return snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		                tm.tm_min, tm.tm_sec, (int)(ms % 1000)) < (int)size;
	}
	/* YYYY-MM-DD[T ]HH:MM */
	if (n < 17 || !digits(in, 4) || in[4] != '-' || !digits(in + 5, 2) || in[7] != '-' ||
	    !digits(in + 8, 2) || (in[10] != 'T' && in[10] != ' ') || !digits(in + 11, 2) ||
	    in[13] != ':' || !digits(in + 14, 2))
		return false;
	if (num(in + 5, 2) < 1 || num(in + 5, 2) > 12 || num(in + 8, 2) < 1 ||
	    num(in + 8, 2) > 31 || num(in + 11, 2) > 23 || num(in + 14, 2) > 59)
		return false;
	p = in + 16;
	if (*p == ':')
	{
		if (!digits(p + 1, 2) || num(p + 1, 2) > 59)
			return false;
		p += 3;
		if (*p == '.')
		{
			int f = 0;

			p++;
			while (*p >= '0' && *p <= '9')
				p++, f++;
			if (f == 0 || f > 9)
				return false;
		}
	}
	if (p[0] == 'Z' && p[1] == '\0')
		;
	else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2) && p[3] == ':' &&
	         digits(p + 4, 2) && p[6] == '\0' && num(p + 1, 2) <= 15 &&
	         num(p + 4, 2) <= 59)
		;
	else
		return false; /* a time without its zone is ambiguous: refused */
	if (strlen(in) >= size)
		return false;
	memcpy(out, in, strlen(in) + 1);
	if (out[10] == ' ')
		out[10] = 'T';
	return true;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
param_rfc3339(const char *in, char *out, size_t size)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n;
	const char *p;
	int year, month, day;

	/* YYYY-MM-DDTHH:MM:SS: the seconds are required, unlike in param_time */
	if (in == NULL || (n = strlen(in)) < 20 || n > 40 || n >= size || !digits(in, 4) ||
	    in[4] != '-' || !digits(in + 5, 2) || in[7] != '-' || !digits(in + 8, 2) ||
	    (in[10] != 'T' && in[10] != 't') || !digits(in + 11, 2) || in[13] != ':' ||
	    !digits(in + 14, 2) || in[16] != ':' || !digits(in + 17, 2))
		return false;
	year = num(in, 4), month = num(in + 5, 2), day = num(in + 8, 2);
	/* checked here, not left to PostgreSQL, so that a bad date is refused
	 * before anything is sent (and year 0, which PostgreSQL has not, too) */
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
	    day > mdays[month - 1] + (month == 2 && leap_year(year)) ||
	    num(in + 11, 2) > 23 || num(in + 14, 2) > 59 || num(in + 17, 2) > 59)
		return false; /* a leap second (:60) too: PostgreSQL would move it */
	p = in + 19;
	if (*p == '.')
	{
		int f = 0;

		p++;
		while (*p >= '0' && *p <= '9')
			p++, f++;
		if (f == 0 || f > 9)
			return false;
	}
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0')
		;
	else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2) && p[3] == ':' &&
	         digits(p + 4, 2) && p[6] == '\0' && num(p + 1, 2) <= 15 &&
	         num(p + 4, 2) <= 59)
		; /* PostgreSQL takes offsets up to 15:59 */
	else
		return false;
	memcpy(out, in, n + 1);
	/* RFC 3339 allows t and z in lower case; PostgreSQL is sent the usual form */
	out[10] = 'T';
	if (out[n - 1] == 'z')
		out[n - 1] = 'Z';
	return true;
}

bool
param_resolution(const char *in, int64_t *seconds)
{
	size_t n;
	int64_t v = 0, unit = 1;

	if (in == NULL || (n = strlen(in)) == 0 || n > 8)
		return false;
	switch (in[n - 1])
	{
		case 's':
			unit = 1, n--;
			break;
		case 'm':
			unit = 60, n--;
			break;
		case 'h':
			unit = 3600, n--;
			break;
		case 'd':
			unit = 86400, n--;
			break;
		default:
			break;
	}
	if (n == 0 || !digits(in, (int)n) || in[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (in[i] - '0');
	v *= unit;
	if (v < 1 || v > 86400)
		return false;
	*seconds = v;
	return true;
}

bool
param_name(const char *in, size_t max)
{
	size_t n;

	if (in == NULL || (n = strlen(in)) == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int
base64_decode(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
	{
		char c = in[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=' && i >= n - 2)
		{
			pad++;
			if (i == n - 2 && in[n - 1] != '=')
				return -1;
			continue;
		}
		else
			return -1;
		if (pad)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	out[o] = '\0';
	if (memchr(out, '\0', o) != NULL)
		return -1; /* a NUL inside */
	return (int)o;
}

const jsonp_field order_fields[ORDER_FIELDS] = {
    [OF_ACCOUNT] = {"account", JSONP_STRING},
    [OF_SYMBOL] = {"symbol", JSONP_STRING},
    [OF_SIDE] = {"side", JSONP_STRING},
    [OF_QUANTITY] = {"quantity", JSONP_INTEGER},
    [OF_PRICE] = {"price", JSONP_DECIMAL},
    [OF_ORDER_TYPE] = {"orderType", JSONP_STRING},
    [OF_TIME_IN_FORCE] = {"timeInForce", JSONP_STRING},
    [OF_CLIENT_ORDER_ID] = {"clientOrderId", JSONP_STRING},
    /* a price like price: decimal text, never a float */
    [OF_STOP_PRICE] = {"stopPrice", JSONP_DECIMAL},
    [OF_POST_ONLY] = {"postOnly", JSONP_BOOLEAN},
    [OF_EXPIRE_TIME] = {"expireTime", JSONP_STRING},
};

int
order_body(const char *body, size_t len, jsonp_result *res, const char **sqlstate,
           char *err, size_t errsize)
{
	static const int required[] = {OF_ACCOUNT, OF_SYMBOL, OF_SIDE, OF_QUANTITY};
	char t[JSONP_VALUE_MAX + 1];

	*sqlstate = "22P02";
	if (jsonp_parse(body, len, order_fields, ORDER_FIELDS, res, err, errsize) < 0)
		return -1;
	*sqlstate = NULL;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
	{
		const char *v = res->value[required[i]];

		if (v == NULL || v[0] == '\0')
		{
			snprintf(err, errsize, "%s is required", order_fields[required[i]].name);
			return -1;
		}
	}
	/* checked here, so that a time PostgreSQL would read some other way (or
	 * not at all) is refused before anything is sent; whether it may be given
	 * (gtd only) and is in the future is submit_order's to say (22023) */
	if (res->value[OF_EXPIRE_TIME] != NULL)
	{
		if (!param_rfc3339(res->value[OF_EXPIRE_TIME], t, sizeof(t)))
		{
			*sqlstate = "22007";
			snprintf(err, errsize,
			         "expireTime must be an RFC 3339 date-time with a zone "
			         "(2026-12-08T21:00:00Z, 2026-12-08T22:00:00.5+01:00)");
			return -1;
		}
		/* the same length: back into the value's own slot of res->store */
		memcpy((char *)res->value[OF_EXPIRE_TIME], t, strlen(t) + 1);
	}
	return 0;
}
