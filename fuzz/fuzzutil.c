/*
 * fuzzutil.c - see fuzzutil.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzzutil.h"

const pl_config FZ_CFG = {.max_symbols = 8,
                          .max_accounts = 16,
                          .max_orders = 512,
                          .max_levels = 512,
                          .max_positions = 64};

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "INVARIANT BROKEN: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

bool
fz_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len)
	{
		unsigned c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* ---- a strict JSON validator ------------------------------------------------ */

typedef struct jcur
{
	const char *p, *end;
	int depth;
} jcur;

static void
jws(jcur *c)
{
	while (c->p < c->end &&
	       (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
jstring(jcur *c)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end && *c->p != '"')
	{
		unsigned char ch = (unsigned char)*c->p;

		if (ch < 0x20)
			return false;
		if (ch == '\\')
		{
			if (++c->p >= c->end)
				return false;
			switch (*c->p)
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					break;
				case 'u':
					for (int k = 0; k < 4; k++)
					{
						char h;

						if (++c->p >= c->end)
							return false;
						h = *c->p;
						if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
						      (h >= 'A' && h <= 'F')))
							return false;
					}
					break;
				default:
					return false;
			}
		}
		c->p++;
	}
	if (c->p >= c->end)
		return false;
	c->p++;
	return true;
}

static bool
jdigits(jcur *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

static bool
jnumber(jcur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!jdigits(c))
		return false;
	if (c->p < c->end && *c->p == '.')
	{
		c->p++;
		if (!jdigits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
	{
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jdigits(c))
			return false;
	}
	return true;
}

static bool
jliteral(jcur *c, const char *word)
{
	for (const char *w = word; *w; w++, c->p++)
		if (c->p >= c->end || *c->p != *w)
			return false;
	return true;
}

static bool jvalue(jcur *c);

static bool
jcontainer(jcur *c, char open, char close)
{
	if (++c->depth > 1000)
		return false;
	c->p++; /* open */
	(void)open;
	jws(c);
	if (c->p < c->end && *c->p == close)
	{
		c->p++;
		c->depth--;
		return true;
	}
	for (;;)
	{
		jws(c);
		if (close == '}')
		{
			if (!jstring(c))
				return false;
			jws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return false;
			jws(c);
		}
		if (!jvalue(c))
			return false;
		jws(c);
		if (c->p < c->end && *c->p == ',')
		{
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close)
		{
			c->p++;
			c->depth--;
			return true;
		}
		return false;
	}
}

static bool
jvalue(jcur *c)
{
	if (c->p >= c->end)
		return false;
	switch (*c->p)
	{
		case '{':
			return jcontainer(c, '{', '}');
		case '[':
			return jcontainer(c, '[', ']');
		case '"':
			return jstring(c);
		case 't':
			return jliteral(c, "true");
		case 'f':
			return jliteral(c, "false");
		case 'n':
			return jliteral(c, "null");
	}
	return jnumber(c);
}

bool
fz_json_valid(const char *s, size_t len)
{
	jcur c = {s, s + len, 0};

	jws(&c);
	if (!jvalue(&c))
		return false;
	jws(&c);
	return c.p == c.end;
}

/* ---- input -------------------------------------------------------------------- */

uint8_t
fz_u8(fz_input *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

uint16_t
fz_u16(fz_input *in)
{
	uint16_t lo = fz_u8(in);

	return (uint16_t)(lo | (fz_u8(in) << 8));
}

const uint8_t *
fz_bytes(fz_input *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p + in->off;

	if (n > in->len - in->off)
		n = in->len - in->off;
	in->off += n;
	*got = n;
	return p;
}
