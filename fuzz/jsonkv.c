/*
 * jsonkv.c - fuzzes the JSON detail parser (daemon/pipeline/jsonkv.c): jkv_int,
 * jkv_str and jkv_bool (1.8: a new order's post_only), which matchd runs on request
 * details (pl_stamp) and on the journal's details at replay (add_symbol, set_kyc, limits,
 * deposits, ...).
 *
 * Input: a key length byte (mod 17), the key, then the JSON text (at most
 * 65534 bytes, a pgx_str).
 *
 * Invariants beyond "no crash, no leak, no UB", checked against an
 * independent reference written here from RFC 8259 (fz_json_valid and a
 * small flat-object walker below), not from jsonkv.c:
 *   - on a valid JSON object of scalars, both functions give the
 *     reference's answer: the last member named key (members whose name
 *     has escapes never match, as documented), null as absent, an integer
 *     without fraction or exponent that fits int64 (INT64_MIN included) as
 *     found with its value, true/false as found with 1/0 (jkv_bool),
 *     anything else of the wrong type as malformed;
 *     a string without escapes as found, pointing at its body in the text;
 *   - the reader is strict: it never reports FOUND in a text that is not
 *     JSON (what it finds there would be a guess);
 *   - on anything but FOUND the output is left untouched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "jsonkv.h"

enum
{
	R_ABSENT,
	R_STRING, /* raw body, escaped flag */
	R_NUMBER,
	R_LITERAL,
	R_NULL,
	R_NESTED /* an object or array: not flat */
};

typedef struct ref
{
	int kind;
	const char *raw;
	size_t len;
	int escaped;
} ref;

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the JSON string at p (valid JSON assumed); *esc if it has escapes. */
static const char *
str_end(const char *p, int *esc)
{
	*esc = 0;
	for (p++; *p != '"'; p++)
		if (*p == '\\')
			*esc = 1, p++;
	return p + 1;
}

/* The end of any JSON value at p (valid JSON assumed). */
static const char *
value_end(const char *p, const char *end)
{
	int esc, depth = 0;

	if (*p == '"')
		return str_end(p, &esc);
	if (*p != '{' && *p != '[')
	{
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		       *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		return p;
	}
	for (; p < end; p++)
	{
		if (*p == '"')
			p = str_end(p, &esc) - 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return p;
}

/* 1: a flat object, *r the last member named key; 0: not an object of
 * scalars (an object with a nested value sets *nested). */
static int
reference(const char *s, size_t len, const char *key, size_t klen, ref *r, int *nested)
{
	const char *p = ws(s, s + len), *end = s + len;

	r->kind = R_ABSENT;
	*nested = 0;
	if (p >= end || *p != '{')
		return 0;
	p = ws(p + 1, end);
	if (*p == '}')
		return 1;
	for (;;)
	{
		int kesc;
		const char *k = p, *kend = str_end(p, &kesc), *v, *vend;

		p = ws(kend, end);
		p = ws(p + 1, end); /* ':' */
		v = p;
		vend = value_end(v, end);
		if (*v == '{' || *v == '[')
			*nested = 1;
		if (!kesc && (size_t)(kend - k - 2) == klen && memcmp(k + 1, key, klen) == 0)
		{
			r->raw = v;
			r->len = (size_t)(vend - v);
			r->escaped = 0;
			if (*v == '"')
			{
				(void)str_end(v, &r->escaped);
				r->kind = R_STRING;
				r->raw = v + 1;
				r->len -= 2;
			}
			else if (*v == 'n')
				r->kind = R_NULL;
			else if (*v == 't' || *v == 'f')
				r->kind = R_LITERAL;
			else if (*v == '{' || *v == '[')
				r->kind = R_NESTED;
			else
				r->kind = R_NUMBER;
		}
		p = ws(vend, end);
		if (*p == ',')
		{
			p = ws(p + 1, end);
			continue;
		}
		return !*nested;
	}
}

/* An integer JSON number that fits int64. */
static int
ref_int(const char *raw, size_t len, int64_t *v)
{
	char buf[32];
	char *e;

	if (len == 0 || len >= sizeof(buf) || memchr(raw, '.', len) ||
	    memchr(raw, 'e', len) || memchr(raw, 'E', len))
		return 0;
	memcpy(buf, raw, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &e, 10);
	return errno == 0 && *e == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[17];
	size_t klen;
	pgx_str json, got_s = {"untouched", 9};
	int64_t got_i = 0x5A5A5A5A;
	int got_b = 0x5A;
	int rc_i, rc_s, rc_b, nested, flat, valid;
	ref r;

	if (size < 1)
		return 0;
	klen = data[0] % 17;
	if (size < 1 + klen || size - 1 - klen > PGX_STR_MAX)
		return 0;
	memcpy(key, data + 1, klen);
	key[klen] = '\0';
	if (strlen(key) != klen)
		return 0; /* keys are C strings */
	json.ptr = (const char *)data + 1 + klen;
	json.len = (uint16_t)(size - 1 - klen);

	rc_i = jkv_int(json, key, &got_i);
	rc_s = jkv_str(json, key, &got_s);
	rc_b = jkv_bool(json, key, &got_b);
	if (rc_b != JKV_FOUND)
		FZ_CHECK(got_b == 0x5A, "jkv_bool wrote its output on %d", rc_b);
	else
		FZ_CHECK(got_b == 0 || got_b == 1, "jkv_bool gave %d", got_b);
	if (rc_i != JKV_FOUND)
		FZ_CHECK(got_i == 0x5A5A5A5A, "jkv_int wrote its output on %d", rc_i);
	if (rc_s != JKV_FOUND)
		FZ_CHECK(got_s.len == 9 && memcmp(got_s.ptr, "untouched", 9) == 0,
		         "jkv_str wrote its output on %d", rc_s);
	else
		FZ_CHECK(got_s.ptr >= json.ptr && got_s.ptr + got_s.len <= json.ptr + json.len,
		         "jkv_str points outside the text");

	valid = fz_json_valid(json.ptr, json.len);
	FZ_CHECK(valid || (rc_i != JKV_FOUND && rc_s != JKV_FOUND && rc_b != JKV_FOUND),
	         "FOUND (int %d, str %d, bool %d) in a text that is not JSON", rc_i, rc_s,
	         rc_b);
	if (!valid)
		return 0;
	flat = reference(json.ptr, json.len, key, klen, &r, &nested);
	if (!flat)
	{
		FZ_CHECK(rc_i == JKV_MALFORMED && rc_s == JKV_MALFORMED && rc_b == JKV_MALFORMED,
		         "not a flat object, yet int %d str %d bool %d", rc_i, rc_s, rc_b);
		return 0;
	}
	switch (r.kind)
	{
		case R_ABSENT:
		case R_NULL:
			FZ_CHECK(rc_i == JKV_ABSENT && rc_s == JKV_ABSENT && rc_b == JKV_ABSENT,
			         "absent, yet int %d str %d bool %d", rc_i, rc_s, rc_b);
			break;
		case R_STRING:
			FZ_CHECK(rc_i == JKV_MALFORMED && rc_b == JKV_MALFORMED,
			         "a string read as an int or a boolean");
			if (r.escaped)
				FZ_CHECK(rc_s == JKV_MALFORMED, "an escaped string read");
			else
				FZ_CHECK(rc_s == JKV_FOUND && got_s.ptr == r.raw && got_s.len == r.len,
				         "string member not read (%d)", rc_s);
			break;
		case R_LITERAL:
			FZ_CHECK(rc_i == JKV_MALFORMED && rc_s == JKV_MALFORMED, "true/false read");
			FZ_CHECK(rc_b == JKV_FOUND && got_b == (r.raw[0] == 't'),
			         "boolean %.*s: jkv_bool %d gave %d", (int)r.len, r.raw, rc_b, got_b);
			break;
		case R_NUMBER:
		{
			int64_t want;

			FZ_CHECK(rc_s == JKV_MALFORMED && rc_b == JKV_MALFORMED,
			         "a number read as a string or a boolean");
			if (ref_int(r.raw, r.len, &want))
				FZ_CHECK(rc_i == JKV_FOUND && got_i == want,
				         "integer %.*s: jkv_int %d gave %lld", (int)r.len, r.raw, rc_i,
				         (long long)got_i);
			else
				FZ_CHECK(rc_i == JKV_MALFORMED, "number %.*s read as an int", (int)r.len,
				         r.raw);
			break;
		}
	}
	return 0;
}
