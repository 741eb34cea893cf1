/*
 * json.c - strict parser of request bodies and JSON writer (json.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n)
	{
		unsigned char c = s[i];
		size_t need;
		uint32_t cp;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= need)
			return false;
		for (size_t k = 1; k <= need; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		i += need + 1;
	}
	return true;
}

typedef struct
{
	const char *p, *end;
	char *err;
	size_t errsize;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errsize, fmt, ap);
	va_end(ap);
	return -1;
}

static void
skip_ws(parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
	{
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *dst, uint32_t cp)
{
	if (cp < 0x80)
		return dst[0] = (char)cp, 1;
	if (cp < 0x800)
		return dst[0] = (char)(0xC0 | (cp >> 6)), dst[1] = (char)(0x80 | (cp & 0x3F)), 2;
	if (cp < 0x10000)
		return dst[0] = (char)(0xE0 | (cp >> 12)),
		       dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
		       dst[2] = (char)(0x80 | (cp & 0x3F)), 3;
	dst[0] = (char)(0xF0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * A JSON string at ps->p (the opening quote) into dst (at most max bytes, NUL
 * added); what: the name for messages.  The raw bytes must be UTF-8.
 */
static int
parse_string(parser *ps, char *dst, size_t max, size_t *outlen, const char *what)
{
	size_t n = 0;
	const char *start;

	ps->p++; /* the quote */
	start = ps->p;
	while (ps->p < ps->end && *ps->p != '"')
	{
		unsigned char c = (unsigned char)*ps->p;
		char tmp[4];
		size_t k;

		if (c < 0x20)
			return fail(ps, "%s: control character in a string", what);
		if (c == '\\')
		{
			uint32_t cp;

			if (ps->end - ps->p < 2)
				return fail(ps, "%s: unterminated string", what);
			switch (ps->p[1])
			{
				case '"':
					tmp[0] = '"', k = 1;
					break;
				case '\\':
					tmp[0] = '\\', k = 1;
					break;
				case '/':
					tmp[0] = '/', k = 1;
					break;
				case 'b':
					tmp[0] = '\b', k = 1;
					break;
				case 'f':
					tmp[0] = '\f', k = 1;
					break;
				case 'n':
					tmp[0] = '\n', k = 1;
					break;
				case 'r':
					tmp[0] = '\r', k = 1;
					break;
				case 't':
					tmp[0] = '\t', k = 1;
					break;
				case 'u':
					if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0)
						return fail(ps, "%s: bad \\u escape", what);
					ps->p += 4;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						uint32_t lo;

						if (ps->end - ps->p < 8 || ps->p[2] != '\\' || ps->p[3] != 'u' ||
						    hex4(ps->p + 4, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
							return fail(ps, "%s: unpaired surrogate in a \\u escape",
							            what);
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						ps->p += 6;
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						return fail(ps, "%s: unpaired surrogate in a \\u escape", what);
					if (cp == 0)
						return fail(ps, "%s: NUL in a string", what);
					k = put_utf8(tmp, cp);
					break;
				default:
					return fail(ps, "%s: bad escape in a string", what);
			}
			ps->p += 2;
		}
		else
		{
			tmp[0] = (char)c;
			k = 1;
			ps->p++;
		}
		if (n + k > max)
			return fail(ps, "%s: longer than %zu bytes", what, max);
		memcpy(dst + n, tmp, k);
		n += k;
	}
	if (ps->p >= ps->end)
		return fail(ps, "%s: unterminated string", what);
	if (!utf8_valid((const unsigned char *)start, (size_t)(ps->p - start)))
		return fail(ps, "%s: not UTF-8 text", what);
	ps->p++; /* closing quote */
	dst[n] = '\0';
	*outlen = n;
	return 0;
}

/* -?digits[.digits]: frac allowed for decimals only */
static bool
is_number_text(const char *s, size_t n, bool frac, bool sign)
{
	size_t i = 0, d = 0;

	if (sign && i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
		return false; /* leading zero */
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (d == 0)
		return false;
	if (i < n && s[i] == '.' && frac)
	{
		size_t f = 0;

		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, f++;
		if (f == 0)
			return false;
	}
	return i == n;
}

static const char *
type_name(jsonp_type t)
{
	return t == JSONP_STRING    ? "a string"
	       : t == JSONP_DECIMAL ? "a decimal"
	       : t == JSONP_BOOLEAN ? "true or false"
	                            : "an integer";
}

int
jsonp_parse(const char *body, size_t len, const jsonp_field *fields, size_t nfields,
            jsonp_result *out, char *err, size_t errsize)
{
	parser ps = {body, body + len, err, errsize};
	bool seen[JSONP_FIELDS_MAX] = {0};

	if (nfields > JSONP_FIELDS_MAX)
		return fail(&ps, "too many fields declared");
	for (size_t i = 0; i < JSONP_FIELDS_MAX; i++)
		out->value[i] = NULL;
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{')
		return fail(&ps, "the body must be a JSON object");
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}')
		ps.p++;
	else
		for (;;)
		{
			char name[JSONP_VALUE_MAX + 1];
			size_t nlen, f;
			char *dst;
			size_t vlen;

			skip_ws(&ps);
			if (ps.p >= ps.end || *ps.p != '"')
				return fail(&ps, "expected a field name in quotes");
			if (parse_string(&ps, name, JSONP_VALUE_MAX, &nlen, "field name") < 0)
				return -1;
			for (f = 0; f < nfields; f++)
				if (strlen(fields[f].name) == nlen &&
				    memcmp(fields[f].name, name, nlen) == 0)
					break;
			if (f == nfields)
				return fail(&ps, "unknown field \"%s\"", name);
			if (seen[f])
				return fail(&ps, "field \"%s\" given twice", name);
			seen[f] = true;
			skip_ws(&ps);
			if (ps.p >= ps.end || *ps.p != ':')
				return fail(&ps, "expected ':' after \"%s\"", name);
			ps.p++;
			skip_ws(&ps);
			if (ps.p >= ps.end)
				return fail(&ps, "field \"%s\": no value", name);
			dst = out->store + f * (JSONP_VALUE_MAX + 1);
			if (*ps.p == '"' && fields[f].type == JSONP_BOOLEAN)
				return fail(&ps, "field \"%s\" must be true or false (not a string)",
				            fields[f].name);
			if (*ps.p == '"')
			{
				if (parse_string(&ps, dst, JSONP_VALUE_MAX, &vlen, fields[f].name) < 0)
					return -1;
				if (fields[f].type == JSONP_DECIMAL &&
				    !is_number_text(dst, vlen, true, true))
					return fail(
					    &ps, "field \"%s\" must be a decimal number (digits, one point)",
					    fields[f].name);
				if (fields[f].type == JSONP_INTEGER &&
				    !is_number_text(dst, vlen, false, true))
					return fail(&ps, "field \"%s\" must be an integer", fields[f].name);
				out->value[f] = dst;
			}
			else if (*ps.p == '-' || (*ps.p >= '0' && *ps.p <= '9'))
			{
				const char *s = ps.p;

				while (ps.p < ps.end &&
				       (*ps.p == '-' || *ps.p == '+' || *ps.p == '.' || *ps.p == 'e' ||
				        *ps.p == 'E' || (*ps.p >= '0' && *ps.p <= '9')))
					ps.p++;
				vlen = (size_t)(ps.p - s);
				if (fields[f].type == JSONP_STRING || fields[f].type == JSONP_BOOLEAN)
					return fail(&ps, "field \"%s\" must be %s", fields[f].name,
					            type_name(fields[f].type));
				if (vlen > JSONP_VALUE_MAX)
					return fail(&ps, "field \"%s\": longer than %d bytes", fields[f].name,
					            JSONP_VALUE_MAX);
				if (!is_number_text(s, vlen, fields[f].type == JSONP_DECIMAL, true))
					return fail(
					    &ps,
					    fields[f].type == JSONP_DECIMAL
					        ? "field \"%s\" must be a decimal number without exponent "
					          "(or a string of one)"
					        : "field \"%s\" must be an integer",
					    fields[f].name);
				memcpy(dst, s, vlen);
				dst[vlen] = '\0';
				out->value[f] = dst;
			}
			else if (ps.end - ps.p >= 4 && memcmp(ps.p, "null", 4) == 0)
				ps.p += 4; /* not given */
			else if (fields[f].type == JSONP_BOOLEAN &&
			         ((ps.end - ps.p >= 4 && memcmp(ps.p, "true", 4) == 0) ||
			          (ps.end - ps.p >= 5 && memcmp(ps.p, "false", 5) == 0)))
			{
				/* a literal followed by more letters ("truex") is caught below:
				 * neither ',' nor '}' follows it */
				vlen = *ps.p == 't' ? 4 : 5;
				memcpy(dst, ps.p, vlen);
				dst[vlen] = '\0';
				ps.p += vlen;
				out->value[f] = dst;
			}
			else
				return fail(&ps, "field \"%s\" must be %s", fields[f].name,
				            type_name(fields[f].type));
			skip_ws(&ps);
			if (ps.p < ps.end && *ps.p == ',')
			{
				ps.p++;
				continue;
			}
			if (ps.p < ps.end && *ps.p == '}')
			{
				ps.p++;
				break;
			}
			return fail(&ps, "expected ',' or '}' after field \"%s\"", fields[f].name);
		}
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "bytes after the JSON object");
	return 0;
}

/* ---- writer --------------------------------------------------------------- */

void
jbuf_init(jbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void
jbuf_free(jbuf *b)
{
	free(b->data);
	jbuf_init(b);
}

static bool
reserve(jbuf *b, size_t more)
{
	size_t cap;
	char *d;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((d = realloc(b->data, cap)) == NULL)
		return b->failed = true, false;
	b->data = d;
	b->cap = cap;
	return true;
}

void
jbuf_raw(jbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
jbuf_str(jbuf *b, const char *s)
{
	jbuf_raw(b, s, strlen(s));
}

void
jbuf_quote(jbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	jbuf_raw(b, "\"", 1);
	for (size_t i = 0; i < n;)
	{
		unsigned char c = p[i];
		char esc[8];

		if (c == '"' || c == '\\')
		{
			esc[0] = '\\', esc[1] = (char)c;
			jbuf_raw(b, esc, 2);
			i++;
		}
		else if (c < 0x20)
		{
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jbuf_raw(b, esc, 6);
			i++;
		}
		else if (c < 0x80)
			jbuf_raw(b, (const char *)p + i++, 1);
		else
		{
			size_t k = 1;

			while (k < 4 && i + k < n && (p[i + k] & 0xC0) == 0x80)
				k++;
			if (utf8_valid(p + i, k))
				jbuf_raw(b, (const char *)p + i, k), i += k;
			else
				jbuf_raw(b, "\xEF\xBF\xBD", 3), i++;
		}
	}
	jbuf_raw(b, "\"", 1);
}

void
jbuf_printf(jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (void)(b->failed = true);
	if ((size_t)n < sizeof(small))
		return jbuf_raw(b, small, (size_t)n);
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
