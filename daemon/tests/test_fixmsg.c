/*
 * test_fixmsg.c - the FIX 4.4 codec (daemon/gateway/fixmsg.c): framing,
 * garbled input and resync, field-level checks, exact typed getters and the
 * builder, round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixmsg.h"
#include "fixtest.h"

#define LOGON_BODY                                                                       \
	"35=A|49=DEMO_BROKER_A|56=PGX|34=1|52=20261207-09:30:00.000|98=0|108=30|553=demo_"   \
	"broker_a|554=secret|"

static void
parses_a_logon(void **state)
{
	char buf[512];
	size_t n = fixt_frame(buf, sizeof(buf), LOGON_BODY), used;
	fix_msg m;
	const fix_field *f;

	(void)state;
	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	assert_int_equal(used, n);
	assert_int_equal(m.bad_reason, FIX_NO_REASON);
	assert_int_equal(m.nfields, 12);
	assert_int_equal(m.f[0].tag, 8);
	assert_int_equal(m.f[1].tag, 9);
	assert_int_equal(m.f[2].tag, 35);
	assert_int_equal(m.f[11].tag, 10);
	assert_true(fix_is_type(&m, "A"));
	assert_false(fix_is_type(&m, "AA"));
	f = fix_get(&m, 553);
	assert_non_null(f);
	assert_int_equal(f->len, 13);
	assert_memory_equal(f->val, "demo_broker_a", 13);
	assert_null(fix_get(&m, 141));
}

static void
every_prefix_needs_more(void **state)
{
	char buf[512];
	size_t n = fixt_frame(buf, sizeof(buf), LOGON_BODY), used;
	fix_msg m;

	(void)state;
	for (size_t k = 0; k < n; k++)
		assert_int_equal(fix_parse(buf, k, &m, &used), FIX_NEED_MORE);
}

static void
two_messages_back_to_back(void **state)
{
	char buf[1024];
	size_t n = fixt_frame(buf, sizeof(buf), LOGON_BODY), used;
	fix_msg m;

	(void)state;
	n +=
	    fixt_frame(buf + n, sizeof(buf) - n, "35=0|49=A|56=B|34=2|52=20261207-09:30:01|");
	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	assert_true(fix_is_type(&m, "A"));
	assert_int_equal(fix_parse(buf + used, n - used, &m, &used), FIX_OK);
	assert_true(fix_is_type(&m, "0"));
}

/* the message with byte i replaced by c must be garbled, resyncing at want */
static void
expect_garbled(const char *msg, size_t n, size_t want_used)
{
	fix_msg m;
	size_t used;

	assert_int_equal(fix_parse(msg, n, &m, &used), FIX_GARBLED);
	assert_int_equal(used, want_used);
}

static void
garbled_is_dropped_up_to_the_next_message(void **state)
{
	char good[512], buf[1024];
	size_t g = fixt_frame(good, sizeof(good), LOGON_BODY), n;
	fix_msg m;
	size_t used;
	char *p;

	(void)state;
	/* wrong checksum */
	memcpy(buf, good, g);
	buf[g - 2] = buf[g - 2] == '9' ? '0' : (char)(buf[g - 2] + 1);
	memcpy(buf + g, good, g);
	expect_garbled(buf, 2 * g, g);
	assert_int_equal(fix_parse(buf + g, g, &m, &used), FIX_OK);

	/* a body byte changed: the checksum no longer matches */
	memcpy(buf, good, g);
	p = strstr(buf, "secret"); /* the body has no NUL before it */
	p[0] = 'S';
	expect_garbled(buf, g, g - 4);

	/* BodyLength one too long and one too short */
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.4\0019=%zu\001",
	                     strlen(LOGON_BODY) + 1);
	memcpy(buf + n, good + (g - strlen(LOGON_BODY) - 7), strlen(LOGON_BODY) + 7);
	n += strlen(LOGON_BODY) + 7;
	expect_garbled(buf, n + 1, n + 1 - 4);
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.4\0019=%zu\001",
	                     strlen(LOGON_BODY) - 1);
	memcpy(buf + n, good + (g - strlen(LOGON_BODY) - 7), strlen(LOGON_BODY) + 7);
	n += strlen(LOGON_BODY) + 7;
	expect_garbled(buf, n, n - 4);

	/* another version, garbage before a message, a leading zero in 9 */
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.2\0019=5\00135=0\00110=000\001");
	memcpy(buf + n, good, g);
	expect_garbled(buf, n + g, n);
	memcpy(buf, "xx8=FIX.4.4", 11);
	expect_garbled(buf, 11, 2);
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.4\0019=05\00135=0\00110=000\001");
	expect_garbled(buf, n, n - 4);

	/* 35 not third */
	n = fixt_frame(buf, sizeof(buf), "49=A|35=0|56=B|34=2|52=20261207-09:30:01|");
	expect_garbled(buf, n, n - 4);

	/* too long a body is garbled at once, without waiting for it */
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.4\0019=99999\00135=0\001");
	expect_garbled(buf, n, n - 4);
	/* the trailer already wrong before the message is complete */
	n = (size_t)snprintf(buf, sizeof(buf), "8=FIX.4.4\0019=5\00135=0\00111=");
	expect_garbled(buf, n, n - 4);
}

static void
field_level_errors(void **state)
{
	static const struct
	{
		const char *body;
		int reason, tag;
	} cases[] = {
	    {"35=D|11=a|11=b|", FIX_SRR_TAG_TWICE, 11},
	    {"35=D|0=x|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|011=x|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|1a=x|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|100000=x|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|-1=x|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|novalue|", FIX_SRR_INVALID_TAG, 0},
	    {"35=D|55=|", FIX_SRR_TAG_WITHOUT_VALUE, 55},
	    {"35=D|9=12|", FIX_SRR_OUT_OF_ORDER, 9},
	    {"35=D|35=D|", FIX_SRR_OUT_OF_ORDER, 35},
	    {"35=|49=A|", FIX_SRR_TAG_WITHOUT_VALUE, 35},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char buf[256];
		size_t n = fixt_frame(buf, sizeof(buf), cases[i].body), used;
		fix_msg m;

		assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
		assert_int_equal(used, n);
		if (m.bad_reason != cases[i].reason || m.bad_tag != cases[i].tag)
			fail_msg("%s: reason %d tag %d", cases[i].body, m.bad_reason, m.bad_tag);
	}
}

static void
too_many_fields(void **state)
{
	char body[2048], buf[2200];
	size_t off = (size_t)snprintf(body, sizeof(body), "35=D|");
	size_t n, used;
	fix_msg m;

	(void)state;
	for (int t = 1000; t < 1000 + FIX_MAX_FIELDS; t++)
		off += (size_t)snprintf(body + off, sizeof(body) - off, "%d=v|", t);
	n = fixt_frame(buf, sizeof(buf), body);
	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	assert_int_equal(m.bad_reason, FIX_SRR_OTHER);
	assert_true(m.nfields <= FIX_MAX_FIELDS);
}

static fix_field
fld(const char *s)
{
	fix_field f = {1, (uint32_t)strlen(s), s};

	return f;
}

static void
integers(void **state)
{
	int64_t v = 42;
	fix_field f;

	(void)state;
	f = fld("9223372036854775807");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_OK);
	assert_true(v == INT64_MAX);
	f = fld("-9223372036854775808");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_OK);
	assert_true(v == INT64_MIN);
	v = 42;
	f = fld("9223372036854775808");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_RANGE);
	f = fld("-9223372036854775809");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_RANGE);
	f = fld("99999999999999999999x");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_FORMAT);
	f = fld("+1");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_FORMAT);
	f = fld("-");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_FORMAT);
	f = fld("1.0");
	assert_int_equal(fix_val_int(&f, &v), FIX_V_FORMAT);
	assert_int_equal(v, 42);
	f = fld("-5");
	assert_int_equal(fix_val_uint(&f, &v), FIX_V_FORMAT);
	f = fld("007");
	assert_int_equal(fix_val_uint(&f, &v), FIX_V_OK);
	assert_int_equal(v, 7);
}

static void
decimals_are_exact(void **state)
{
	static const struct
	{
		const char *s;
		int scale, rc;
		int64_t v;
	} cases[] = {
	    {"12.34", 2, FIX_V_OK, 1234},
	    {"12.340000", 2, FIX_V_OK, 1234},
	    {"12.345", 2, FIX_V_PRECISION, 0},
	    {"12.3", 2, FIX_V_OK, 1230},
	    {"12", 2, FIX_V_OK, 1200},
	    {"12.", 2, FIX_V_OK, 1200},
	    {".5", 2, FIX_V_OK, 50},
	    {"-0.01", 2, FIX_V_OK, -1},
	    {"0", 0, FIX_V_OK, 0},
	    {"100.0", 0, FIX_V_OK, 100},
	    {"100.5", 0, FIX_V_PRECISION, 0},
	    {"92233720368547758.07", 2, FIX_V_OK, INT64_MAX},
	    {"92233720368547758.08", 2, FIX_V_RANGE, 0},
	    {"-92233720368547758.08", 2, FIX_V_OK, INT64_MIN},
	    {"92233720368547758", 3, FIX_V_RANGE, 0},
	    {"1e5", 0, FIX_V_FORMAT, 0},
	    {"1.2.3", 2, FIX_V_FORMAT, 0},
	    {".", 2, FIX_V_FORMAT, 0},
	    {"-", 2, FIX_V_FORMAT, 0},
	    {" 1", 2, FIX_V_FORMAT, 0},
	    {"0.000000000000000001", 18, FIX_V_OK, 1},
	    {"1", 19, FIX_V_RANGE, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		fix_field f = fld(cases[i].s);
		int64_t v = 77;
		int rc = fix_val_decimal(&f, cases[i].scale, &v);

		if (rc != cases[i].rc || (rc == FIX_V_OK && v != cases[i].v) ||
		    (rc != FIX_V_OK && v != 77))
			fail_msg("%s at %d: rc %d v %lld", cases[i].s, cases[i].scale, rc,
			         (long long)v);
	}
}

static void
decimal_text_round_trips(void **state)
{
	static const int64_t values[] = {0, 1, -1, 5, 10, 1234, -1234, INT64_MAX, INT64_MIN};

	(void)state;
	for (int scale = 0; scale <= 18; scale++)
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		{
			char buf[32];
			fix_field f = {1, 0, buf};
			int64_t back;

			f.len = (uint32_t)fix_format_decimal(buf, values[i], scale);
			assert_int_equal(fix_val_decimal(&f, scale, &back), FIX_V_OK);
			assert_true(back == values[i]);
		}
	{
		char buf[32];
		size_t n = fix_format_decimal(buf, 5, 2);

		assert_int_equal(n, 4);
		assert_memory_equal(buf, "0.05", 4);
		n = fix_format_decimal(buf, -123, 1);
		assert_memory_equal(buf, "-12.3", n);
	}
}

static void
timestamps(void **state)
{
	int64_t v = 0;
	fix_field f;
	char buf[32];

	(void)state;
	f = fld("19700101-00:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_OK);
	assert_true(v == 0);
	f = fld("20261207-09:30:00.123");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_OK);
	assert_true(v == 1796635800123000LL);
	assert_int_equal(fix_format_utc(buf, v), 21);
	assert_memory_equal(buf, "20261207-09:30:00.123", 21);
	f = fld("20240229-23:59:59");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_OK);
	f = fld("20230229-00:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("21000229-00:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("20000229-00:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_OK);
	f = fld("20261307-00:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("20261207-24:00:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("20261207 09:30:00");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("20261207-09:30:00.12");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	f = fld("19691231-23:59:59");
	assert_int_equal(fix_val_utc(&f, &v), FIX_V_FORMAT);
	/* every day of 400 years round-trips through the formatter */
	for (int64_t d = 0; d < 146097; d += 7)
	{
		int64_t us = d * 86400000000LL + 45296789000LL, back;
		fix_field g = {52, 0, buf};

		g.len = (uint32_t)fix_format_utc(buf, us);
		assert_int_equal(g.len, 21);
		assert_int_equal(fix_val_utc(&g, &back), FIX_V_OK);
		assert_true(back == us);
	}
	assert_int_equal(fix_format_utc(buf, -1), 0);
}

static void
chars_and_bools(void **state)
{
	char c = 0;
	bool b = false;
	fix_field f;

	(void)state;
	f = fld("Y");
	assert_int_equal(fix_val_bool(&f, &b), FIX_V_OK);
	assert_true(b);
	f = fld("y");
	assert_int_equal(fix_val_bool(&f, &b), FIX_V_FORMAT);
	f = fld("YN");
	assert_int_equal(fix_val_char(&f, &c), FIX_V_FORMAT);
	f = fld("2");
	assert_int_equal(fix_val_char(&f, &c), FIX_V_OK);
	assert_int_equal(c, '2');
}

static void
builder_round_trip(void **state)
{
	char buf[512], want[512];
	fix_builder b;
	size_t n, w, used;
	fix_msg m;

	(void)state;
	fix_build_begin(&b, buf, sizeof(buf), "A");
	fix_build_header(&b, "PGX", "DEMO_BROKER_A", 1, 1796635800123000LL);
	fix_add_int(&b, 98, 0);
	fix_add_int(&b, 108, 30);
	fix_add_char(&b, 141, 'Y');
	fix_add_decimal(&b, 44, 12345, 2);
	n = fix_build_end(&b);
	w = fixt_frame(
	    want, sizeof(want),
	    "35=A|49=PGX|56=DEMO_BROKER_A|34=1|52=20261207-09:30:00.123|98=0|108=30|"
	    "141=Y|44=123.45|");
	assert_int_equal(n, w);
	assert_memory_equal(buf, want, n);
	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	assert_int_equal(used, n);
	assert_int_equal(m.bad_reason, FIX_NO_REASON);

	/* re-serializing the parsed fields gives the same bytes */
	{
		char again[512];
		char type[4] = {0};
		fix_builder c;

		memcpy(type, m.f[2].val, m.f[2].len);
		fix_build_begin(&c, again, sizeof(again), type);
		for (int i = 3; i < m.nfields - 1; i++)
			fix_add(&c, m.f[i].tag, m.f[i].val, m.f[i].len);
		assert_int_equal(fix_build_end(&c), n);
		assert_memory_equal(again, buf, n);
	}
}

static void
builder_refuses_what_it_cannot_write(void **state)
{
	char buf[64];
	fix_builder b;

	(void)state;
	fix_build_begin(&b, buf, sizeof(buf), "0");
	fix_add_str(&b, 58, "a text far too long for sixty-four bytes of buffer, surely");
	assert_int_equal(fix_build_end(&b), 0);
	fix_build_begin(&b, buf, sizeof(buf), "0");
	fix_add(&b, 58, "a\001b", 3);
	assert_int_equal(fix_build_end(&b), 0);
	fix_build_begin(&b, buf, sizeof(buf), "0");
	fix_add(&b, 58, "", 0);
	assert_int_equal(fix_build_end(&b), 0);
	fix_build_begin(&b, buf, sizeof(buf), "0");
	fix_add(&b, 0, "x", 1);
	assert_int_equal(fix_build_end(&b), 0);
	fix_build_begin(&b, buf, sizeof(buf), "0");
	fix_add_str(&b, 112, "ok");
	assert_true(fix_build_end(&b) > 0);
}

static void
message_types(void **state)
{
	(void)state;
	assert_true(fix_msgtype_known("D", 1));
	assert_true(fix_msgtype_known("j", 1));
	assert_true(fix_msgtype_known("BH", 2));
	assert_false(fix_msgtype_known("BI", 2));
	assert_false(fix_msgtype_known("I", 1));
	assert_false(fix_msgtype_known("U1", 2));
	assert_false(fix_msgtype_known("DD", 2));
	assert_true(fix_msgtype_admin("A", 1));
	assert_true(fix_msgtype_admin("5", 1));
	assert_false(fix_msgtype_admin("6", 1));
	assert_false(fix_msgtype_admin("D", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_a_logon),
	    cmocka_unit_test(every_prefix_needs_more),
	    cmocka_unit_test(two_messages_back_to_back),
	    cmocka_unit_test(garbled_is_dropped_up_to_the_next_message),
	    cmocka_unit_test(field_level_errors),
	    cmocka_unit_test(too_many_fields),
	    cmocka_unit_test(integers),
	    cmocka_unit_test(decimals_are_exact),
	    cmocka_unit_test(decimal_text_round_trips),
	    cmocka_unit_test(timestamps),
	    cmocka_unit_test(chars_and_bools),
	    cmocka_unit_test(builder_round_trip),
	    cmocka_unit_test(builder_refuses_what_it_cannot_write),
	    cmocka_unit_test(message_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
