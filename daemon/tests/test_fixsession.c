/*
 * test_fixsession.c - the FIX 4.4 session layer (daemon/gateway/fixsession.c):
 * each rule of fixsession.h against a recording application and a clock the
 * test moves.  Every message the session sends is parsed again here and its
 * MsgSeqNum checked: new messages strictly increase, resent ones are old.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixmsg.h"
#include "fixsession.h"
#include "fixtest.h"

#define T0  1796635800000000LL /* 2026-12-07 09:30:00 UTC */
#define SEC 1000000LL
#define MAX 64

typedef struct sent
{
	char bytes[2048];
	size_t len;
	fix_msg m;
} sent;

typedef struct rec
{
	sent out[MAX];
	int nout;
	int delivered;
	char last_delivered[4];
	int auth;
	char user[64], pass[64];
	int disconnects;
	char why[256];
	int64_t p_in, p_out;
	char store[MAX][2048];
	size_t store_len[MAX];
	int64_t max_new_seq;
} rec;

static rec R;
static fix_session S;
static int64_t now;

static void
on_send(void *ctx, const char *bytes, size_t len)
{
	sent *o;
	size_t used;
	const fix_field *pd;
	int64_t seq;

	(void)ctx;
	assert_true(R.nout < MAX);
	o = &R.out[R.nout++];
	assert_true(len <= sizeof(o->bytes));
	memcpy(o->bytes, bytes, len);
	o->len = len;
	if (fix_parse(o->bytes, len, &o->m, &used) != FIX_OK || used != len ||
	    o->m.bad_reason != FIX_NO_REASON)
		fail_msg("the session sent an invalid message: %s", fixt_show(bytes, len));
	assert_int_equal(fix_val_uint(fix_get(&o->m, 34), &seq), 0);
	pd = fix_get(&o->m, 43);
	if (fix_is_type(&o->m, "A") && fix_get(&o->m, 141) != NULL)
		R.max_new_seq = 0; /* a reset starts the numbers again at 1 */
	if (pd == NULL)
	{
		if (seq <= R.max_new_seq)
			fail_msg("MsgSeqNum %lld not above %lld: %s", (long long)seq,
			         (long long)R.max_new_seq, fixt_show(bytes, len));
		R.max_new_seq = seq;
	}
	else if (seq > R.max_new_seq)
		fail_msg("a resent message with a new MsgSeqNum: %s", fixt_show(bytes, len));
}

static void
on_deliver(void *ctx, const fix_msg *m)
{
	(void)ctx;
	R.delivered++;
	snprintf(R.last_delivered, sizeof(R.last_delivered), "%.*s", (int)m->f[2].len,
	         m->f[2].val);
}

static void
on_auth(void *ctx, const char *u, size_t ul, const char *p, size_t pl)
{
	(void)ctx;
	R.auth++;
	snprintf(R.user, sizeof(R.user), "%.*s", (int)ul, u ? u : "");
	snprintf(R.pass, sizeof(R.pass), "%.*s", (int)pl, p ? p : "");
}

static void
on_persist(void *ctx, int64_t in, int64_t out)
{
	(void)ctx;
	R.p_in = in;
	R.p_out = out;
}

static void
on_store(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	(void)ctx;
	assert_true(seq > 0 && seq < MAX && len <= sizeof(R.store[0]));
	memcpy(R.store[seq], bytes, len);
	R.store_len[seq] = len;
}

static bool
on_stored(void *ctx, int64_t seq, const char **bytes, size_t *len)
{
	(void)ctx;
	if (seq <= 0 || seq >= MAX || R.store_len[seq] == 0)
		return false;
	*bytes = R.store[seq];
	*len = R.store_len[seq];
	return true;
}

static void
on_disconnect(void *ctx, const char *why)
{
	(void)ctx;
	R.disconnects++;
	snprintf(R.why, sizeof(R.why), "%s", why);
}

static const fix_session_app APP = {NULL,       on_send,  on_deliver, on_auth,
                                    on_persist, on_store, on_stored,  on_disconnect};

static void
start(int64_t next_in, int64_t next_out)
{
	fix_session_config cfg;

	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.our_comp_id, "PGX");
	strcpy(cfg.their_comp_id, "DEMO_BROKER_A");
	cfg.logon_timeout_us = 10 * SEC;
	now = T0;
	R.max_new_seq = next_out - 1;
	fix_session_start(&S, &cfg, &APP, next_in, next_out, now);
}

/* A message from the counterparty: body after the header (with '|'). */
static void
in_raw(const char *header_and_body)
{
	char buf[2048];
	size_t n = fixt_frame(buf, sizeof(buf), header_and_body), used;
	fix_msg m;

	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	fix_session_on_message(&S, &m, now);
}

static void __attribute__((format(printf, 3, 4)))
in(const char *type, int64_t seq, const char *fmt, ...)
{
	char body[1536], ts[32];
	va_list ap;
	int n;

	ts[fix_format_utc(ts, now)] = '\0';
	n = snprintf(body, sizeof(body), "35=%s|49=DEMO_BROKER_A|56=PGX|34=%lld|52=%s|", type,
	             (long long)seq, ts);
	va_start(ap, fmt);
	vsnprintf(body + n, sizeof(body) - (size_t)n, fmt, ap);
	va_end(ap);
	in_raw(body);
}

/* The i-th message sent (negative: from the end). */
static const fix_msg *
out(int i)
{
	if (i < 0)
		i += R.nout;
	assert_true(i >= 0 && i < R.nout);
	return &R.out[i].m;
}

static void
assert_tag(const fix_msg *m, int tag, const char *want)
{
	const fix_field *f = fix_get(m, tag);

	if (f == NULL)
		fail_msg("no tag %d in %s", tag, fixt_show(m->raw, m->raw_len));
	if (f->len != strlen(want) || memcmp(f->val, want, f->len) != 0)
		fail_msg("tag %d is '%.*s', not '%s', in %s", tag, (int)f->len, f->val, want,
		         fixt_show(m->raw, m->raw_len));
}

static void
assert_text_has(const fix_msg *m, const char *part)
{
	const fix_field *f = fix_get(m, 58);
	char t[512];

	assert_non_null(f);
	snprintf(t, sizeof(t), "%.*s", (int)f->len, f->val);
	if (strstr(t, part) == NULL)
		fail_msg("text '%s' lacks '%s'", t, part);
}

static void
logon(int64_t seq, const char *extra)
{
	in("A", seq, "98=0|108=30|553=demo_broker_a|554=secret|%s", extra);
}

/* A logged-on session: logon 1 accepted, our Logon 1 sent. */
static void
active(void)
{
	start(1, 1);
	logon(1, "");
	fix_session_logon_result(&S, true, NULL, now);
	assert_int_equal(S.state, FIX_ST_ACTIVE);
}

static void
send_app(const char *clordid)
{
	fix_builder b;

	assert_non_null(fix_session_begin_app(&S, &b, "8", now));
	fix_add_str(&b, 11, clordid);
	assert_true(fix_session_end_app(&S, &b, now));
}

/* ---- logon --------------------------------------------------------------------------
 */

static void
logon_is_authenticated_then_answered(void **state)
{
	(void)state;
	start(1, 1);
	logon(1, "");
	assert_int_equal(R.auth, 1);
	assert_string_equal(R.user, "demo_broker_a");
	assert_string_equal(R.pass, "secret");
	assert_int_equal(R.nout, 0); /* nothing before the verdict */
	assert_int_equal(S.state, FIX_ST_AUTH_PENDING);
	fix_session_logon_result(&S, true, NULL, now);
	assert_int_equal(R.nout, 1);
	assert_true(fix_is_type(out(0), "A"));
	assert_tag(out(0), 34, "1");
	assert_tag(out(0), 49, "PGX");
	assert_tag(out(0), 56, "DEMO_BROKER_A");
	assert_tag(out(0), 98, "0");
	assert_tag(out(0), 108, "30");
	assert_null(fix_get(out(0), 141));
	assert_int_equal(R.p_in, 2);
	assert_int_equal(R.p_out, 2);
	assert_int_equal(R.disconnects, 0);
}

static void
refused_logon_is_a_logout(void **state)
{
	(void)state;
	start(1, 1);
	logon(1, "");
	fix_session_logon_result(&S, false, "invalid username or password", now);
	assert_int_equal(R.nout, 1);
	assert_true(fix_is_type(out(0), "5"));
	assert_tag(out(0), 58, "invalid username or password");
	assert_int_equal(R.disconnects, 1);
	assert_int_equal(S.state, FIX_ST_DISCONNECTED);
	/* the refused Logon did not count: the next logon is expected at 1 again */
	assert_int_equal(S.next_in, 1);
}

static void
first_message_must_be_a_logon(void **state)
{
	(void)state;
	start(1, 1);
	in("0", 1, "%s", "");
	assert_int_equal(R.nout, 0);
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "first message is not a Logon");
}

static void
logon_rules(void **state)
{
	(void)state;
	start(1, 1);
	in("A", 1, "98=1|108=30|");
	assert_text_has(out(-1), "EncryptMethod(98) must be 0");
	assert_int_equal(R.disconnects, 1);

	start(1, 1);
	in("A", 1, "98=0|108=0|");
	assert_text_has(out(-1), "HeartBtInt(108)");
	assert_int_equal(R.disconnects, 1);

	start(1, 1);
	in("A", 1, "98=0|");
	assert_text_has(out(-1), "HeartBtInt(108)");

	/* a message while the Logon is being checked */
	start(1, 1);
	logon(1, "");
	in("0", 2, "%s", "");
	assert_int_equal(R.disconnects, 1);
	assert_int_equal(R.nout, 0);

	/* a second Logon */
	active();
	logon(2, "");
	assert_true(fix_is_type(out(-1), "5"));
	assert_text_has(out(-1), "Logon received on a logged-on session");
	assert_int_equal(R.disconnects, 1);
}

static void
logon_timeout(void **state)
{
	(void)state;
	start(1, 1);
	now += 9 * SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 0);
	now += SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "no Logon in time");
}

static void
wrong_comp_ids(void **state)
{
	(void)state;
	start(1, 1);
	now = T0;
	in_raw("35=A|49=DEMO_BROKER_B|56=PGX|34=1|52=20261207-09:30:00|98=0|108=30|");
	assert_int_equal(R.nout, 1);
	assert_true(fix_is_type(out(0), "5"));
	assert_text_has(out(0), "wrong CompIDs: SenderCompID(49) 'DEMO_BROKER_B'");
	assert_int_equal(R.disconnects, 1);
	assert_int_equal(R.auth, 0);

	active();
	in_raw("35=0|49=DEMO_BROKER_A|56=XYZ|34=2|52=20261207-09:30:00|");
	assert_true(fix_is_type(out(-2), "3"));
	assert_tag(out(-2), 373, "9");
	assert_tag(out(-2), 371, "56");
	assert_tag(out(-2), 45, "2");
	assert_true(fix_is_type(out(-1), "5"));
	assert_text_has(out(-1), "TargetCompID(56) 'XYZ'");
	assert_int_equal(R.disconnects, 1);
}

static void
sending_time_accuracy(void **state)
{
	(void)state;
	active();
	in_raw("35=0|49=DEMO_BROKER_A|56=PGX|34=2|52=20261207-09:20:00|");
	assert_true(fix_is_type(out(-2), "3"));
	assert_tag(out(-2), 373, "10");
	assert_true(fix_is_type(out(-1), "5"));
	assert_int_equal(R.disconnects, 1);
}

static void
reset_seq_num_flag(void **state)
{
	(void)state;
	start(5, 7);
	logon(1, "141=Y|");
	fix_session_logon_result(&S, true, NULL, now);
	assert_tag(out(0), 34, "1");
	assert_tag(out(0), 141, "Y");
	assert_int_equal(R.p_in, 2);
	assert_int_equal(R.p_out, 2);

	/* refused: the numbers stay as they were (an unauthenticated peer cannot
	 * reset them); the Logout takes the next of the old ones */
	start(5, 7);
	logon(1, "141=Y|");
	fix_session_logon_result(&S, false, "invalid username or password", now);
	assert_tag(out(0), 34, "7");
	assert_int_equal(R.p_in, 5);
	assert_int_equal(R.p_out, 8);

	start(5, 7);
	logon(3, "141=Y|");
	assert_text_has(out(-1), "ResetSeqNumFlag(141)=Y needs MsgSeqNum(34)=1");
	assert_int_equal(R.disconnects, 1);
}

static void
stale_logon_sequence(void **state)
{
	(void)state;
	start(5, 7);
	logon(3, "");
	assert_true(fix_is_type(out(0), "5"));
	assert_tag(out(0), 58, "MsgSeqNum too low, expecting 5 but received 3");
	assert_tag(out(0), 34, "7");
	assert_int_equal(R.disconnects, 1);
	assert_int_equal(R.auth, 0);
}

static void
logon_ahead_asks_for_a_resend(void **state)
{
	(void)state;
	start(1, 1);
	logon(4, "");
	fix_session_logon_result(&S, true, NULL, now);
	assert_int_equal(R.nout, 2);
	assert_true(fix_is_type(out(0), "A"));
	assert_true(fix_is_type(out(1), "2"));
	assert_tag(out(1), 7, "1");
	assert_tag(out(1), 16, "0");
	assert_int_equal(S.next_in, 1);
	/* the counterparty fills the gap up to the Logon and past it */
	in("4", 1, "43=Y|122=20261207-09:29:00|123=Y|36=5|");
	assert_int_equal(S.next_in, 5);
	in("D", 5, "%s", "11=x|");
	assert_int_equal(R.delivered, 1);
}

/* ---- heartbeats and test requests ---------------------------------------------------
 */

static void
test_request_is_answered(void **state)
{
	(void)state;
	active();
	in("1", 2, "112=PING42|");
	assert_true(fix_is_type(out(-1), "0"));
	assert_tag(out(-1), 112, "PING42");
	assert_tag(out(-1), 34, "2");
	in("1", 3, "%s", "");
	assert_true(fix_is_type(out(-1), "3"));
	assert_tag(out(-1), 373, "1");
	assert_tag(out(-1), 371, "112");
}

static void
heartbeats_and_silence(void **state)
{
	int n;

	(void)state;
	active();
	n = R.nout;
	now += 29 * SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.nout, n);
	now += SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.nout, n + 1);
	assert_true(fix_is_type(out(-1), "0"));
	assert_null(fix_get(out(-1), 112));
	/* their silence: HeartBtInt + 20% brings a TestRequest */
	now = T0 + 36 * SEC;
	fix_session_on_timer(&S, now);
	assert_true(fix_is_type(out(-1), "1"));
	assert_tag(out(-1), 112, "TEST1");
	/* answered: no disconnect */
	in("0", 2, "112=TEST1|");
	now += 30 * SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 0);
	/* a heartbeat with a wrong id does not answer the next one */
	now += 7 * SEC;
	fix_session_on_timer(&S, now);
	assert_tag(out(-1), 112, "TEST2");
	in("0", 3, "112=TEST1|");
	now += 30 * SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "no answer to TestRequest");
}

/* ---- sequence numbers ---------------------------------------------------------------
 */

static void
resend_request_replays_and_gap_fills(void **state)
{
	int n;
	const fix_field *orig;

	(void)state;
	active();       /* our 1: Logon */
	send_app("A1"); /* 2 */
	send_app("A2"); /* 3 */
	now += 30 * SEC;
	fix_session_on_timer(&S, now); /* 4: a Heartbeat */
	assert_true(fix_is_type(out(-1), "0"));
	now += SEC;
	in("0", 2, "%s", "");
	send_app("A3"); /* 5 */
	now += SEC;
	n = R.nout;
	in("2", 3, "7=1|16=0|");
	assert_int_equal(R.nout, n + 5);
	assert_true(fix_is_type(out(n), "4"));
	assert_tag(out(n), 34, "1");
	assert_tag(out(n), 123, "Y");
	assert_tag(out(n), 43, "Y");
	assert_tag(out(n), 36, "2");
	assert_true(fix_is_type(out(n + 1), "8"));
	assert_tag(out(n + 1), 34, "2");
	assert_tag(out(n + 1), 43, "Y");
	assert_tag(out(n + 1), 11, "A1");
	orig = fix_get(out(n + 1), 122);
	assert_non_null(orig);
	assert_memory_equal(orig->val, "20261207-09:30:00.000", 21); /* first sent then */
	assert_tag(out(n + 1), 52, "20261207-09:30:32.000");
	assert_tag(out(n + 2), 34, "3");
	assert_tag(out(n + 2), 11, "A2");
	assert_true(fix_is_type(out(n + 3), "4"));
	assert_tag(out(n + 3), 34, "4");
	assert_tag(out(n + 3), 36, "5");
	assert_tag(out(n + 4), 34, "5");
	assert_tag(out(n + 4), 11, "A3");
	assert_int_equal(S.next_out, 6); /* resending takes no new number */

	/* a bounded range; EndSeqNo beyond what was sent means up to the last */
	n = R.nout;
	in("2", 4, "7=5|16=99|");
	assert_int_equal(R.nout, n + 1);
	assert_tag(out(n), 11, "A3");
	assert_tag(out(n), 34, "5");

	/* bad ranges are rejected */
	in("2", 5, "7=0|16=0|");
	assert_true(fix_is_type(out(-1), "3"));
	assert_tag(out(-1), 373, "5");
	in("2", 6, "7=3|16=2|");
	assert_tag(out(-1), 373, "5");
	assert_tag(out(-1), 371, "16");
	in("2", 7, "7=x|16=2|");
	assert_tag(out(-1), 373, "6");
	in("2", 8, "16=2|");
	assert_tag(out(-1), 373, "1");
	assert_tag(out(-1), 371, "7");
	assert_int_equal(R.disconnects, 0);
}

static void
resend_request_of_the_first_message_only(void **state)
{
	(void)state;
	active();
	send_app("A1");
	in("2", 2, "7=2|16=2|");
	assert_tag(out(-1), 34, "2");
	assert_tag(out(-1), 43, "Y");
	assert_tag(out(-1), 11, "A1");
}

static void
sequence_too_high_asks_for_a_resend_once(void **state)
{
	int n;

	(void)state;
	active();
	in("D", 5, "%s", "11=x|");
	assert_int_equal(R.delivered, 0);
	assert_true(fix_is_type(out(-1), "2"));
	assert_tag(out(-1), 7, "2");
	assert_tag(out(-1), 16, "0");
	n = R.nout;
	in("D", 6, "%s", "11=y|");
	assert_int_equal(R.nout, n); /* not again while it is out */
	/* the resend: 2..4 as possible duplicates, then 5 and 6 */
	in("D", 2, "43=Y|122=20261207-09:29:00|11=a|");
	in("4", 3, "43=Y|123=Y|36=5|");
	in("D", 5, "43=Y|122=20261207-09:29:00|11=x|");
	in("D", 6, "43=Y|122=20261207-09:29:00|11=y|");
	assert_int_equal(R.delivered, 3);
	assert_int_equal(S.next_in, 7);
	assert_int_equal(R.p_in, 7);
	/* a duplicate of an old one is ignored */
	in("D", 5, "43=Y|122=20261207-09:29:00|11=x|");
	assert_int_equal(R.delivered, 3);
	assert_int_equal(R.disconnects, 0);
}

static void
sequence_too_low_is_fatal(void **state)
{
	(void)state;
	active();
	in("0", 2, "%s", "");
	in("0", 2, "%s", "");
	assert_true(fix_is_type(out(-1), "5"));
	assert_tag(out(-1), 58, "MsgSeqNum too low, expecting 3 but received 2");
	assert_int_equal(R.disconnects, 1);
}

static void
sequence_reset(void **state)
{
	(void)state;
	active();
	/* reset mode: whatever MsgSeqNum says */
	in("4", 99, "36=10|");
	assert_int_equal(S.next_in, 10);
	assert_int_equal(R.p_in, 10);
	in("4", 1, "36=8|");
	assert_true(fix_is_type(out(-1), "3"));
	assert_tag(out(-1), 373, "5");
	assert_tag(out(-1), 371, "36");
	assert_int_equal(S.next_in, 10);
	/* gap fill that does not move forward */
	in("4", 10, "123=Y|36=10|");
	assert_tag(out(-1), 373, "5");
	assert_int_equal(S.next_in, 11);
	in("4", 11, "123=Y|36=20|");
	assert_int_equal(S.next_in, 20);
	in("4", 20, "123=X|36=30|");
	assert_tag(out(-1), 373, "6");
	assert_tag(out(-1), 371, "123");
	assert_int_equal(R.disconnects, 0);
}

/* ---- invalid messages ---------------------------------------------------------------
 */

static void
invalid_messages_are_rejected_and_counted(void **state)
{
	(void)state;
	active();
	in("D", 2, "%s", "11=a|11=b|");
	assert_true(fix_is_type(out(-1), "3"));
	assert_tag(out(-1), 45, "2");
	assert_tag(out(-1), 371, "11");
	assert_tag(out(-1), 372, "D");
	assert_tag(out(-1), 373, "13");
	assert_text_has(out(-1), "tag appears more than once");
	assert_int_equal(R.delivered, 0);
	assert_int_equal(S.next_in, 3);
	in("D", 3, "%s", "55=|");
	assert_tag(out(-1), 373, "4");
	assert_tag(out(-1), 371, "55");
	in("D", 4, "%s", "0=x|");
	assert_tag(out(-1), 373, "0");
	in("ZZ", 5, "%s", "");
	assert_tag(out(-1), 373, "11");
	assert_tag(out(-1), 371, "35");
	assert_tag(out(-1), 372, "ZZ");
	in("D", 6, "%s", "11=ok|");
	assert_int_equal(R.delivered, 1);
	assert_string_equal(R.last_delivered, "D");
	assert_int_equal(S.next_in, 7);
	assert_int_equal(R.disconnects, 0);
}

static void
missing_msgseqnum_ends_the_session(void **state)
{
	(void)state;
	active();
	in_raw("35=0|49=DEMO_BROKER_A|56=PGX|52=20261207-09:30:00|");
	assert_true(fix_is_type(out(-1), "5"));
	assert_text_has(out(-1), "MsgSeqNum(34)");
	assert_int_equal(R.disconnects, 1);
}

static void
application_helpers(void **state)
{
	char buf[256];
	size_t n, used;
	fix_msg m;

	(void)state;
	active();
	n = fixt_frame(buf, sizeof(buf),
	               "35=E|49=DEMO_BROKER_A|56=PGX|34=2|52=20261207-09:30:00|66=L1|");
	assert_int_equal(fix_parse(buf, n, &m, &used), FIX_OK);
	fix_session_on_message(&S, &m, now);
	assert_int_equal(R.delivered, 1);
	fix_session_business_reject(&S, &m, 3, "L1", "NewOrderList is not supported", now);
	assert_true(fix_is_type(out(-1), "j"));
	assert_tag(out(-1), 45, "2");
	assert_tag(out(-1), 372, "E");
	assert_tag(out(-1), 379, "L1");
	assert_tag(out(-1), 380, "3");
	assert_tag(out(-1), 34, "2");
	assert_int_equal(R.store_len[2] > 0, 1); /* an application message: stored */
	fix_session_reject(&S, &m, FIX_SRR_REQUIRED_TAG_MISSING, 68,
	                   "TotNoOrders(68) missing", now);
	assert_true(fix_is_type(out(-1), "3"));
	assert_tag(out(-1), 371, "68");
	assert_tag(out(-1), 34, "3");
	/* admin types cannot be sent as application messages */
	{
		fix_builder b;

		assert_null(fix_session_begin_app(&S, &b, "5", now));
	}
}

/* ---- logout -------------------------------------------------------------------------
 */

static void
logout_exchange(void **state)
{
	(void)state;
	active();
	in("5", 2, "%s", "");
	assert_true(fix_is_type(out(-1), "5"));
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "Logout received");

	active();
	fix_session_logout(&S, "end of day", now);
	assert_true(fix_is_type(out(-1), "5"));
	assert_tag(out(-1), 58, "end of day");
	assert_int_equal(S.state, FIX_ST_LOGOUT_SENT);
	assert_int_equal(R.disconnects, 0);
	in("5", 2, "%s", "");
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "Logout confirmed");

	active();
	fix_session_logout(&S, NULL, now);
	now += 9 * SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 0);
	now += SEC;
	fix_session_on_timer(&S, now);
	assert_int_equal(R.disconnects, 1);
	assert_string_equal(R.why, "Logout not answered");
	/* nothing after a disconnect */
	in("0", 2, "%s", "");
	assert_int_equal(R.disconnects, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(logon_is_authenticated_then_answered),
	    cmocka_unit_test(refused_logon_is_a_logout),
	    cmocka_unit_test(first_message_must_be_a_logon),
	    cmocka_unit_test(logon_rules),
	    cmocka_unit_test(logon_timeout),
	    cmocka_unit_test(wrong_comp_ids),
	    cmocka_unit_test(sending_time_accuracy),
	    cmocka_unit_test(reset_seq_num_flag),
	    cmocka_unit_test(stale_logon_sequence),
	    cmocka_unit_test(logon_ahead_asks_for_a_resend),
	    cmocka_unit_test(test_request_is_answered),
	    cmocka_unit_test(heartbeats_and_silence),
	    cmocka_unit_test(resend_request_replays_and_gap_fills),
	    cmocka_unit_test(resend_request_of_the_first_message_only),
	    cmocka_unit_test(sequence_too_high_asks_for_a_resend_once),
	    cmocka_unit_test(sequence_too_low_is_fatal),
	    cmocka_unit_test(sequence_reset),
	    cmocka_unit_test(invalid_messages_are_rejected_and_counted),
	    cmocka_unit_test(missing_msgseqnum_ends_the_session),
	    cmocka_unit_test(application_helpers),
	    cmocka_unit_test(logout_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
