/*
 * fixmsg.c - the FIX 4.4 tag=value codec (contract in fixmsg.h).
 *
 * Framing is checked before any field is looked at: a message is dropped
 * (FIX_GARBLED) only for what makes its boundaries or integrity doubtful;
 * everything else is a well-framed message with a field-level verdict, which
 * the session layer answers with a Reject.
 */
#include "fixmsg.h"

#include <string.h>

#define BEGIN_LEN (sizeof(FIX_BEGIN) - 1)
#define RESERVE   (BEGIN_LEN + 2 + 5 + 1) /* "8=FIX.4.4|9=" 5 digits "|" */
#define TRAILER   7                       /* "10=xxx|" */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Where to resume after garbage at buf[0]: the next "8=FIX" after it, or the
 * last 4 bytes (which may begin one). */
static size_t
resync(const char *buf, size_t len)
{
	for (size_t i = 1; i + 5 <= len; i++)
		if (buf[i] == '8' && memcmp(buf + i, "8=FIX", 5) == 0)
			return i;
	return len > 4 ? len - 4 : 1;
}

/* Reads a field at p (up to end): tag digits, '=', value, SOH.  Returns the
 * byte after the SOH, or NULL when no SOH ends it. */
static const char *
cut_field(const char *p, const char *end, const char **eq, const char **soh)
{
	const char *s = memchr(p, FIX_SOH, (size_t)(end - p));

	if (s == NULL)
		return NULL;
	*soh = s;
	*eq = memchr(p, '=', (size_t)(s - p));
	return s + 1;
}

/* A tag: 1..FIX_TAG_MAX, digits without leading zero; -1 otherwise. */
static int
parse_tag(const char *p, const char *e)
{
	int v = 0;

	if (p == e || e - p > 5 || *p == '0')
		return -1;
	for (; p < e; p++)
	{
		if (!is_digit(*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static void
mark_bad(fix_msg *m, int reason, int tag)
{
	if (m->bad_reason == FIX_NO_REASON)
	{
		m->bad_reason = reason;
		m->bad_tag = tag;
	}
}

static void
add_field(fix_msg *m, int tag, const char *val, size_t len)
{
	if (m->nfields == FIX_MAX_FIELDS)
	{
		mark_bad(m, FIX_SRR_OTHER, 0);
		return;
	}
	m->f[m->nfields].tag = tag;
	m->f[m->nfields].val = val;
	m->f[m->nfields].len = (uint32_t)len;
	m->nfields++;
}

fix_parse_rc
fix_parse(const char *buf, size_t len, fix_msg *m, size_t *used)
{
	size_t n = len < BEGIN_LEN + 2 ? len : BEGIN_LEN + 2;
	size_t body_len = 0, body_start, total, digits = 0;
	const char *p, *end;
	unsigned sum = 0, want;

	*used = 0;
	if (memcmp(buf, FIX_BEGIN "9=", n) != 0)
	{
		*used = resync(buf, len);
		return FIX_GARBLED;
	}
	if (len < BEGIN_LEN + 2)
		return FIX_NEED_MORE;
	/* 9=<canonical digits><SOH> */
	p = buf + BEGIN_LEN + 2;
	for (;; p++, digits++)
	{
		if (p == buf + len)
			return FIX_NEED_MORE;
		if (*p == FIX_SOH)
			break;
		if (!is_digit(*p) || digits == 5 || (digits == 1 && buf[BEGIN_LEN + 2] == '0'))
		{
			*used = resync(buf, len);
			return FIX_GARBLED;
		}
		body_len = body_len * 10 + (size_t)(*p - '0');
	}
	if (digits == 0 || body_len > FIX_BODY_MAX || body_len < 5)
	{
		*used = resync(buf, len);
		return FIX_GARBLED;
	}
	body_start = (size_t)(p + 1 - buf);
	total = body_start + body_len + TRAILER;
	if (len < total)
	{
		/* what is already there must not already contradict the frame */
		size_t have = len - body_start;

		if (have > body_len)
		{
			size_t t = have - body_len;

			if (buf[body_start + body_len - 1] != FIX_SOH ||
			    memcmp(buf + body_start + body_len, "10=", t < 3 ? t : 3) != 0)
			{
				*used = resync(buf, len);
				return FIX_GARBLED;
			}
		}
		return FIX_NEED_MORE;
	}
	end = buf + body_start + body_len;
	if (end[-1] != FIX_SOH || memcmp(end, "10=", 3) != 0 || !is_digit(end[3]) ||
	    !is_digit(end[4]) || !is_digit(end[5]) || end[6] != FIX_SOH)
	{
		*used = resync(buf, len);
		return FIX_GARBLED;
	}
	for (const char *q = buf; q < end; q++)
		sum += (unsigned char)*q;
	want = (unsigned)((end[3] - '0') * 100 + (end[4] - '0') * 10 + (end[5] - '0'));
	if (want != sum % 256 || memcmp(buf + body_start, "35=", 3) != 0)
	{
		*used = resync(buf, len);
		return FIX_GARBLED;
	}

	/* well framed: now the fields */
	memset(m, 0, offsetof(fix_msg, f));
	m->raw = buf;
	m->raw_len = total;
	m->bad_reason = FIX_NO_REASON;
	add_field(m, 8, buf + 2, BEGIN_LEN - 3);
	add_field(m, 9, buf + BEGIN_LEN + 2, digits);
	for (p = buf + body_start; p < end;)
	{
		const char *eq = NULL, *soh = end - 1, *next = cut_field(p, end, &eq, &soh);
		int tag;

		/* the body ends in SOH, so a field always ends */
		if (eq == NULL)
		{
			mark_bad(m, FIX_SRR_INVALID_TAG, 0);
			p = next;
			continue;
		}
		tag = parse_tag(p, eq);
		if (tag < 0)
			mark_bad(m, FIX_SRR_INVALID_TAG, 0);
		else if (eq + 1 == soh)
			mark_bad(m, FIX_SRR_TAG_WITHOUT_VALUE, tag);
		else if (tag == 8 || tag == 9 || tag == 10 || (tag == 35 && m->nfields > 2))
			mark_bad(m, FIX_SRR_OUT_OF_ORDER, tag);
		else if (fix_get(m, tag) != NULL)
			mark_bad(m, FIX_SRR_TAG_TWICE, tag);
		else
			add_field(m, tag, eq + 1, (size_t)(soh - eq - 1));
		p = next;
	}
	if (m->nfields < 3 || m->f[2].tag != 35)
		mark_bad(m, FIX_SRR_REQUIRED_TAG_MISSING, 35); /* "35=" then SOH */
	add_field(m, 10, end + 3, 3);
	*used = total;
	return FIX_OK;
}

const fix_field *
fix_get(const fix_msg *m, int tag)
{
	for (int i = 0; i < m->nfields; i++)
		if (m->f[i].tag == tag)
			return &m->f[i];
	return NULL;
}

bool
fix_is_type(const fix_msg *m, const char *type)
{
	size_t n = strlen(type);

	return m->nfields > 2 && m->f[2].tag == 35 && m->f[2].len == n &&
	       memcmp(m->f[2].val, type, n) == 0;
}

bool
fix_msgtype_known(const char *t, size_t len)
{
	/* FIX 4.4: 0-9, A-Z but I O U, a-z, AA-AZ, BA-BH */
	if (len == 1)
		return is_digit(t[0]) || (t[0] >= 'a' && t[0] <= 'z') ||
		       (t[0] >= 'A' && t[0] <= 'Z' && t[0] != 'I' && t[0] != 'O' && t[0] != 'U');
	if (len == 2)
		return (t[0] == 'A' && t[1] >= 'A' && t[1] <= 'Z') ||
		       (t[0] == 'B' && t[1] >= 'A' && t[1] <= 'H');
	return false;
}

bool
fix_msgtype_admin(const char *t, size_t len)
{
	return len == 1 && ((t[0] >= '0' && t[0] <= '5') || t[0] == 'A');
}

/* ---- typed values ---------------------------------------------------------------- */

static int
digits_to_u64(const char *p, const char *e, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;

	if (p == e)
		return FIX_V_FORMAT;
	for (; p < e; p++)
	{
		if (!is_digit(*p))
			return FIX_V_FORMAT;
		if (v > (limit - (uint64_t)(*p - '0')) / 10)
		{
			/* keep checking the syntax: format errors win */
			for (; p < e; p++)
				if (!is_digit(*p))
					return FIX_V_FORMAT;
			return FIX_V_RANGE;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return FIX_V_OK;
}

int
fix_val_uint(const fix_field *f, int64_t *out)
{
	uint64_t v;
	int rc = digits_to_u64(f->val, f->val + f->len, INT64_MAX, &v);

	if (rc == FIX_V_OK)
		*out = (int64_t)v;
	return rc;
}

int
fix_val_int(const fix_field *f, int64_t *out)
{
	bool neg = f->len > 0 && f->val[0] == '-';
	uint64_t v;
	int rc = digits_to_u64(f->val + neg, f->val + f->len,
	                       neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);

	if (rc == FIX_V_OK)
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return rc;
}

int
fix_val_decimal(const fix_field *f, int scale, int64_t *out)
{
	const char *p = f->val, *e = f->val + f->len, *dot = NULL;
	bool neg = p < e && *p == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
	int frac = 0, ndigits = 0;

	if (scale < 0 || scale > 18)
		return FIX_V_RANGE;
	p += neg;
	/* the syntax first: digits with at most one point, at least one digit */
	for (const char *q = p; q < e; q++)
	{
		if (*q == '.' && dot == NULL)
			dot = q;
		else if (!is_digit(*q))
			return FIX_V_FORMAT;
		else
			ndigits++;
	}
	if (ndigits == 0)
		return FIX_V_FORMAT;
	/* decimals beyond the scale must be zeros: never rounded */
	if (dot != NULL)
		for (const char *q = dot + 1 + scale; q < e; q++)
			if (*q != '0')
				return FIX_V_PRECISION;
	for (const char *q = p; q < e; q++)
	{
		unsigned d;

		if (q == dot)
			continue;
		if (dot != NULL && q > dot && frac++ == scale)
			break;
		d = (unsigned)(*q - '0');
		if (v > (limit - d) / 10)
			return FIX_V_RANGE;
		v = v * 10 + d;
	}
	if (dot == NULL)
		frac = 0;
	else if (frac > scale)
		frac = scale;
	for (; frac < scale; frac++)
	{
		if (v > limit / 10)
			return FIX_V_RANGE;
		v *= 10;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return FIX_V_OK;
}

int
fix_val_char(const fix_field *f, char *out)
{
	if (f->len != 1)
		return FIX_V_FORMAT;
	*out = f->val[0];
	return FIX_V_OK;
}

int
fix_val_bool(const fix_field *f, bool *out)
{
	if (f->len != 1 || (f->val[0] != 'Y' && f->val[0] != 'N'))
		return FIX_V_FORMAT;
	*out = f->val[0] == 'Y';
	return FIX_V_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int64_t mo, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
	{
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int
fix_val_utc(const fix_field *f, int64_t *out)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = f->val;
	int y, mo, d, h, mi, s, ms = 0;
	bool leap;

	if ((f->len != 17 && f->len != 21) || p[8] != '-' || p[11] != ':' || p[14] != ':')
		return FIX_V_FORMAT;
	y = num(p, 4), mo = num(p + 4, 2), d = num(p + 6, 2);
	h = num(p + 9, 2), mi = num(p + 12, 2), s = num(p + 15, 2);
	if (f->len == 21)
	{
		if (p[17] != '.')
			return FIX_V_FORMAT;
		ms = num(p + 18, 3);
	}
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || ms < 0)
		return FIX_V_FORMAT;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 60)
		return FIX_V_FORMAT;
	*out =
	    ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + ms) * 1000;
	return FIX_V_OK;
}

size_t
fix_format_decimal(char *buf, int64_t value, int scale)
{
	char tmp[24];
	uint64_t v = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
	int n = 0;
	size_t len = 0;

	do
	{
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || n <= scale);
	if (value < 0)
		buf[len++] = '-';
	while (n > 0)
	{
		if (n == scale)
			buf[len++] = '.';
		buf[len++] = tmp[--n];
	}
	return len;
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
fix_format_utc(char *buf, int64_t us)
{
	int64_t ms, days, secs, z, era, doe, yoe, doy, mp, y, d, mo;

	if (us < 0 || us >= 253402300800000000LL) /* 10000-01-01 */
		return 0;
	ms = (us / 1000) % 1000;
	days = us / 86400000000LL;
	secs = (us / 1000000) % 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	mo = mp < 10 ? mp + 3 : mp - 9;
	y += mo <= 2;
	put2(buf, (int)(y / 100));
	put2(buf + 2, (int)(y % 100));
	put2(buf + 4, (int)mo);
	put2(buf + 6, (int)d);
	buf[8] = '-';
	put2(buf + 9, (int)(secs / 3600));
	buf[11] = ':';
	put2(buf + 12, (int)(secs / 60 % 60));
	buf[14] = ':';
	put2(buf + 15, (int)(secs % 60));
	buf[17] = '.';
	buf[18] = (char)('0' + ms / 100);
	put2(buf + 19, (int)(ms % 100));
	return 21;
}

/* ---- the builder ------------------------------------------------------------------ */

static void
put(fix_builder *b, const char *s, size_t n)
{
	if (b->overflow || RESERVE + b->len + n > b->cap)
	{
		b->overflow = true;
		return;
	}
	memcpy(b->buf + RESERVE + b->len, s, n);
	b->len += n;
}

void
fix_build_begin(fix_builder *b, char *buf, size_t cap, const char *msgtype)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = cap < RESERVE + TRAILER;
	fix_add_str(b, 35, msgtype);
}

void
fix_add(fix_builder *b, int tag, const char *val, size_t len)
{
	char t[8];
	int n = 0, v = tag;

	if (tag <= 0 || tag > FIX_TAG_MAX || len == 0 || memchr(val, FIX_SOH, len) != NULL)
	{
		b->overflow = true;
		return;
	}
	do
	{
		t[7 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(b, t + 8 - n, (size_t)n);
	put(b, "=", 1);
	put(b, val, len);
	put(b, "\001", 1);
}

void
fix_add_str(fix_builder *b, int tag, const char *val)
{
	fix_add(b, tag, val, strlen(val));
}

void
fix_add_int(fix_builder *b, int tag, int64_t v)
{
	char buf[24];

	fix_add(b, tag, buf, fix_format_decimal(buf, v, 0));
}

void
fix_add_char(fix_builder *b, int tag, char c)
{
	fix_add(b, tag, &c, 1);
}

void
fix_add_decimal(fix_builder *b, int tag, int64_t value, int scale)
{
	char buf[24];

	if (scale < 0 || scale > 18)
	{
		b->overflow = true;
		return;
	}
	fix_add(b, tag, buf, fix_format_decimal(buf, value, scale));
}

void
fix_add_utc(fix_builder *b, int tag, int64_t us)
{
	char buf[24];
	size_t n = fix_format_utc(buf, us);

	if (n == 0)
		b->overflow = true;
	else
		fix_add(b, tag, buf, n);
}

void
fix_build_header(fix_builder *b, const char *sender, const char *target, int64_t seq,
                 int64_t sending_us)
{
	fix_add_str(b, 49, sender);
	fix_add_str(b, 56, target);
	fix_add_int(b, 34, seq);
	fix_add_utc(b, 52, sending_us);
}

size_t
fix_build_end(fix_builder *b)
{
	char head[RESERVE];
	size_t hlen, total;
	unsigned sum = 0;
	char *end;

	if (b->overflow || b->len > FIX_BODY_MAX)
		return 0;
	memcpy(head, FIX_BEGIN "9=", BEGIN_LEN + 2);
	hlen = BEGIN_LEN + 2 + fix_format_decimal(head + BEGIN_LEN + 2, (int64_t)b->len, 0);
	head[hlen++] = FIX_SOH;
	total = hlen + b->len + TRAILER;
	if (total > b->cap)
		return 0;
	memmove(b->buf + hlen, b->buf + RESERVE, b->len);
	memcpy(b->buf, head, hlen);
	end = b->buf + hlen + b->len;
	for (const char *q = b->buf; q < end; q++)
		sum += (unsigned char)*q;
	sum %= 256;
	memcpy(end, "10=", 3);
	end[3] = (char)('0' + sum / 100);
	end[4] = (char)('0' + sum / 10 % 10);
	end[5] = (char)('0' + sum % 10);
	end[6] = FIX_SOH;
	return total;
}
