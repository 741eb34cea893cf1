/*
 * jsonkv.c - a strict reader of flat JSON objects (see jsonkv.h).
 */
#include <ctype.h>
#include <string.h>

#include "jsonkv.h"

typedef struct cursor
{
	const char *p;
	const char *end;
} cursor;

static void
skip_ws(cursor *c)
{
	while (c->p < c->end &&
	       (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* A string token at c->p; *raw is its body, *escaped whether it has escapes. */
static int
take_string(cursor *c, pgx_str *raw, int *escaped)
{
	const char *start;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	start = ++c->p;
	*escaped = 0;
	while (c->p < c->end && *c->p != '"')
	{
		/* JSON strings hold no raw control characters (RFC 8259, 7) */
		if ((unsigned char)*c->p < 0x20)
			return -1;
		if (*c->p == '\\')
		{
			*escaped = 1;
			if (++c->p >= c->end || strchr("\"\\/bfnrtu", *c->p) == NULL || *c->p == 0)
				return -1;
			if (*c->p == 'u')
				for (int k = 0; k < 4; k++)
					if (++c->p >= c->end || !isxdigit((unsigned char)*c->p))
						return -1;
		}
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	raw->ptr = start;
	raw->len = (uint16_t)(c->p - start);
	c->p++;
	return 0;
}

/* Kinds of scalar values */
enum
{
	V_STRING,
	V_NUMBER,
	V_LITERAL /* true, false, null */
};

/* Skips digits; whether there was one. */
static int
take_digits(cursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

/* A JSON number (RFC 8259, 6): -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
take_number(cursor *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!take_digits(c))
		return -1;
	if (c->p < c->end && *c->p == '.')
	{
		c->p++;
		if (!take_digits(c))
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
	{
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!take_digits(c))
			return -1;
	}
	return 0;
}

static int
take_value(cursor *c, pgx_str *raw, int *type, int *escaped)
{
	static const char *const literals[] = {"true", "false", "null"};
	const char *start = c->p;

	*escaped = 0;
	if (c->p < c->end && *c->p == '"')
		return *type = V_STRING, take_string(c, raw, escaped);
	if (c->p < c->end && *c->p >= 'a' && *c->p <= 'z')
	{
		for (int i = 0; i < 3; i++)
		{
			size_t n = strlen(literals[i]);

			if ((size_t)(c->end - c->p) >= n && memcmp(c->p, literals[i], n) == 0)
			{
				c->p += n;
				raw->ptr = start;
				raw->len = (uint16_t)n;
				*type = V_LITERAL;
				return 0;
			}
		}
		return -1;
	}
	/* objects and arrays are not flat; anything else must be a number */
	if (take_number(c) != 0)
		return -1;
	raw->ptr = start;
	raw->len = (uint16_t)(c->p - start);
	*type = V_NUMBER;
	return 0;
}

/* Finds key's value: JKV_FOUND with raw/type set, JKV_ABSENT or JKV_MALFORMED. */
static int
find(pgx_str json, const char *key, pgx_str *raw, int *type, int *escaped)
{
	cursor c = {json.ptr, json.ptr + (json.len == PGX_STR_NULL ? 0 : json.len)};
	size_t klen = strlen(key);
	int found = JKV_ABSENT;

	if (json.len == PGX_STR_NULL)
		return JKV_ABSENT;
	skip_ws(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return JKV_MALFORMED;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}')
	{
		c.p++;
		skip_ws(&c); /* whitespace may follow the object, as after any */
		return c.p == c.end ? JKV_ABSENT : JKV_MALFORMED;
	}
	for (;;)
	{
		pgx_str k, v;
		int kesc, t, vesc;

		skip_ws(&c);
		if (take_string(&c, &k, &kesc) != 0)
			return JKV_MALFORMED;
		skip_ws(&c);
		if (c.p >= c.end || *c.p++ != ':')
			return JKV_MALFORMED;
		skip_ws(&c);
		if (take_value(&c, &v, &t, &vesc) != 0)
			return JKV_MALFORMED;
		/* the last occurrence wins, as in PostgreSQL's json operators */
		if (!kesc && k.len == klen && memcmp(k.ptr, key, klen) == 0)
		{
			*raw = v;
			*type = t;
			*escaped = vesc;
			found = JKV_FOUND;
		}
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',')
		{
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}')
		{
			c.p++;
			skip_ws(&c);
			break;
		}
		return JKV_MALFORMED;
	}
	if (c.p != c.end)
		return JKV_MALFORMED;
	if (found == JKV_FOUND && *type == V_LITERAL && raw->len == 4 &&
	    memcmp(raw->ptr, "null", 4) == 0)
		return JKV_ABSENT;
	return found;
}

int
jkv_int(pgx_str json, const char *key, int64_t *out)
{
	pgx_str raw;
	int type, escaped, rc = find(json, key, &raw, &type, &escaped);
	uint64_t v = 0;
	int neg = 0;
	uint16_t i = 0;

	if (rc != JKV_FOUND)
		return rc;
	if (type != V_NUMBER)
		return JKV_MALFORMED;
	if (raw.ptr[0] == '-')
		neg = 1, i = 1;
	if (i >= raw.len)
		return JKV_MALFORMED;
	for (; i < raw.len; i++)
	{
		if (raw.ptr[i] < '0' || raw.ptr[i] > '9')
			return JKV_MALFORMED;
		if (v > (UINT64_C(1) << 62) / 5) /* v * 10 + 9 would pass 2^63 - 1 */
			return JKV_MALFORMED;
		v = v * 10 + (uint64_t)(raw.ptr[i] - '0');
	}
	/* INT64_MIN's magnitude is one above INT64_MAX */
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return JKV_MALFORMED;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return JKV_FOUND;
}

int
jkv_str(pgx_str json, const char *key, pgx_str *out)
{
	pgx_str raw;
	int type, escaped, rc = find(json, key, &raw, &type, &escaped);

	if (rc != JKV_FOUND)
		return rc;
	if (type != V_STRING || escaped)
		return JKV_MALFORMED;
	*out = raw;
	return JKV_FOUND;
}

int
jkv_bool(pgx_str json, const char *key, int *out)
{
	pgx_str raw;
	int type, escaped, rc = find(json, key, &raw, &type, &escaped);

	if (rc != JKV_FOUND)
		return rc;
	if (type == V_LITERAL && raw.len == 4 && memcmp(raw.ptr, "true", 4) == 0)
		return *out = 1, JKV_FOUND;
	if (type == V_LITERAL && raw.len == 5 && memcmp(raw.ptr, "false", 5) == 0)
		return *out = 0, JKV_FOUND;
	return JKV_MALFORMED;
}
