/*
 * fixsession.c - the FIX 4.4 session layer state machine (contract and rules
 * in fixsession.h).
 *
 * Order of the checks on a message, as the FIX session protocol lays them
 * out: MsgSeqNum present; the state (first message a Logon); CompIDs;
 * SendingTime; field-level validity; sequence number; then the message's
 * own rules.  Everything sent goes through send_admin / fix_session_end_app,
 * the only places that take an outgoing MsgSeqNum.
 */
#include "fixsession.h"

#include <stdio.h>
#include <string.h>

static void
disconnect(fix_session *s, const char *reason)
{
	if (s->state == FIX_ST_DISCONNECTED)
		return;
	s->state = FIX_ST_DISCONNECTED;
	if (reason != s->reason)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
	s->app.disconnect(s->app.ctx, s->reason);
}

static void
persist(fix_session *s)
{
	s->app.persist(s->app.ctx, s->next_in, s->next_out);
}

static void
begin(fix_session *s, fix_builder *b, const char *type, int64_t seq, int64_t now)
{
	fix_build_begin(b, s->out, sizeof(s->out), type);
	fix_build_header(b, s->cfg.our_comp_id, s->cfg.their_comp_id, seq, now);
}

/* Sends a built admin message that took s->next_out. */
static void
finish_admin(fix_session *s, fix_builder *b, int64_t now)
{
	size_t n = fix_build_end(b);

	if (n == 0)
	{
		/* only a text longer than the buffer can do this: not reachable with
		 * the bounded texts used here, but never send half a message */
		disconnect(s, "internal error: an admin message did not fit");
		return;
	}
	s->next_out++;
	s->last_out_us = now;
	s->app.send(s->app.ctx, s->out, n);
	persist(s);
}

static void
add_text(fix_builder *b, const char *text)
{
	if (text != NULL && text[0] != '\0')
		fix_add(b, 58, text, strlen(text));
}

static void
send_logout(fix_session *s, const char *text, int64_t now)
{
	fix_builder b;

	begin(s, &b, "5", s->next_out, now);
	add_text(&b, text);
	finish_admin(s, &b, now);
	if (s->state != FIX_ST_DISCONNECTED)
	{
		s->state = FIX_ST_LOGOUT_SENT;
		s->logout_sent_us = now;
	}
}

/* Logout with text, then close at once (the errors that end a session). */
static void
logout_and_close(fix_session *s, const char *text, int64_t now)
{
	if (text != s->reason)
		snprintf(s->reason, sizeof(s->reason), "%s", text);
	send_logout(s, s->reason, now);
	disconnect(s, s->reason);
}

static void
send_reject(fix_session *s, int64_t ref_seq, const fix_field *type, int reason,
            int ref_tag, const char *text, int64_t now)
{
	fix_builder b;

	begin(s, &b, "3", s->next_out, now);
	fix_add_int(&b, 45, ref_seq);
	if (ref_tag > 0)
		fix_add_int(&b, 371, ref_tag);
	if (type != NULL)
		fix_add(&b, 372, type->val, type->len);
	fix_add_int(&b, 373, reason);
	add_text(&b, text);
	finish_admin(s, &b, now);
}

static void
send_resend_request(fix_session *s, int64_t from, int64_t upto, int64_t now)
{
	fix_builder b;

	begin(s, &b, "2", s->next_out, now);
	fix_add_int(&b, 7, from);
	fix_add_int(&b, 16, 0);
	finish_admin(s, &b, now);
	s->resend_until = upto;
}

void
fix_session_start(fix_session *s, const fix_session_config *cfg,
                  const fix_session_app *app, int64_t next_in, int64_t next_out,
                  int64_t now)
{
	memset(s, 0, offsetof(fix_session, out));
	s->cfg = *cfg;
	s->cfg.our_comp_id[FIX_COMPID_MAX] = '\0';
	s->cfg.their_comp_id[FIX_COMPID_MAX] = '\0';
	s->app = *app;
	s->state = FIX_ST_AWAIT_LOGON;
	s->next_in = next_in < 1 ? 1 : next_in;
	s->next_out = next_out < 1 ? 1 : next_out;
	s->started_us = s->last_in_us = s->last_out_us = now;
}

/* ---- resends ------------------------------------------------------------------------
 */

static void
gap_fill(fix_session *s, int64_t seq, int64_t new_seq, int64_t now)
{
	fix_builder b;
	size_t n;

	fix_build_begin(&b, s->out, sizeof(s->out), "4");
	fix_build_header(&b, s->cfg.our_comp_id, s->cfg.their_comp_id, seq, now);
	fix_add_char(&b, 43, 'Y');
	fix_add_utc(&b, 122, now);
	fix_add_char(&b, 123, 'Y');
	fix_add_int(&b, 36, new_seq);
	n = fix_build_end(&b);
	if (n > 0)
	{
		s->last_out_us = now;
		s->app.send(s->app.ctx, s->out, n);
	}
}

/* The stored message again: its header anew with PossDupFlag and
 * OrigSendingTime, its body as it was.  False when it does not parse (then it
 * is gap-filled: never resend what the store garbled). */
static bool
resend_one(fix_session *s, int64_t seq, bool send, int64_t now)
{
	const char *bytes;
	size_t len;
	fix_msg m;
	size_t used;
	const fix_field *orig, *type;
	fix_builder b;
	int64_t stored_seq;
	size_t n;
	char tname[8];

	if (!s->app.stored(s->app.ctx, seq, &bytes, &len) ||
	    fix_parse(bytes, len, &m, &used) != FIX_OK || used != len ||
	    m.bad_reason != FIX_NO_REASON || (orig = fix_get(&m, 52)) == NULL ||
	    fix_get(&m, 34) == NULL || fix_val_uint(fix_get(&m, 34), &stored_seq) != 0 ||
	    stored_seq != seq)
		return false;
	type = &m.f[2];
	if (fix_msgtype_admin(type->val, type->len))
		return false;
	if (!send)
		return true;
	if (type->len >= sizeof(tname))
		return false;
	memcpy(tname, type->val, type->len);
	tname[type->len] = '\0';
	fix_build_begin(&b, s->out, sizeof(s->out), tname);
	fix_build_header(&b, s->cfg.our_comp_id, s->cfg.their_comp_id, seq, now);
	fix_add_char(&b, 43, 'Y');
	fix_add(&b, 122, orig->val, orig->len);
	for (int i = 3; i < m.nfields - 1; i++)
	{
		int t = m.f[i].tag;

		if (t == 49 || t == 56 || t == 34 || t == 52 || t == 43 || t == 122 || t == 97)
			continue;
		fix_add(&b, t, m.f[i].val, m.f[i].len);
	}
	n = fix_build_end(&b);
	if (n == 0)
		return false;
	s->last_out_us = now;
	s->app.send(s->app.ctx, s->out, n);
	return true;
}

static void
on_resend_request(fix_session *s, const fix_msg *m, int64_t seq, int64_t now)
{
	const fix_field *fb = fix_get(m, 7), *fe = fix_get(m, 16);
	int64_t from, to;

	if (fb == NULL || fe == NULL)
	{
		send_reject(s, seq, &m->f[2], FIX_SRR_REQUIRED_TAG_MISSING, fb == NULL ? 7 : 16,
		            fb == NULL ? "BeginSeqNo(7) missing" : "EndSeqNo(16) missing", now);
		return;
	}
	if (fix_val_uint(fb, &from) != 0 || fix_val_uint(fe, &to) != 0)
	{
		send_reject(s, seq, &m->f[2], FIX_SRR_INCORRECT_FORMAT,
		            fix_val_uint(fb, &from) != 0 ? 7 : 16,
		            "BeginSeqNo(7) and EndSeqNo(16) must be sequence numbers", now);
		return;
	}
	if (from < 1 || (to != 0 && to < from))
	{
		send_reject(s, seq, &m->f[2], FIX_SRR_VALUE_INCORRECT, from < 1 ? 7 : 16,
		            "BeginSeqNo(7) must be at least 1 and EndSeqNo(16) 0 or at least "
		            "BeginSeqNo",
		            now);
		return;
	}
	if (to == 0 || to >= s->next_out)
		to = s->next_out - 1;
	/* stored application messages again; each run of admin, forgotten or
	 * unreadable ones as one gap fill, in sequence order */
	for (int64_t q = from; q <= to;)
	{
		int64_t gap = q;

		if (resend_one(s, q, true, now))
		{
			q++;
			continue;
		}
		while (q <= to && !resend_one(s, q, false, now))
			q++;
		gap_fill(s, gap, q, now);
	}
}

/* ---- incoming -----------------------------------------------------------------------
 */

static bool
comp_ok(const fix_field *f, const char *want)
{
	return f != NULL && f->len == strlen(want) && memcmp(f->val, want, f->len) == 0;
}

static void
on_logon(fix_session *s, const fix_msg *m, int64_t seq, int64_t now)
{
	const fix_field *enc = fix_get(m, 98), *hb = fix_get(m, 108),
	                *reset = fix_get(m, 141);
	const fix_field *user = fix_get(m, 553), *pass = fix_get(m, 554);
	int64_t e, h;
	bool rst = false;

	if (enc == NULL || fix_val_uint(enc, &e) != 0 || e != 0)
	{
		logout_and_close(s, "EncryptMethod(98) must be 0 (none)", now);
		return;
	}
	if (hb == NULL || fix_val_uint(hb, &h) != 0 || h < 1 || h > FIX_HEARTBT_MAX)
	{
		logout_and_close(s, "HeartBtInt(108) must be 1 to 3600 seconds", now);
		return;
	}
	if (reset != NULL && fix_val_bool(reset, &rst) != 0)
	{
		logout_and_close(s, "ResetSeqNumFlag(141) must be Y or N", now);
		return;
	}
	if (rst)
	{
		/* the reset itself waits for the verdict: a refused Logon changes nothing */
		if (seq != 1)
		{
			logout_and_close(s, "ResetSeqNumFlag(141)=Y needs MsgSeqNum(34)=1", now);
			return;
		}
	}
	else if (seq < s->next_in)
	{
		snprintf(s->reason, sizeof(s->reason),
		         "MsgSeqNum too low, expecting %lld but received %lld",
		         (long long)s->next_in, (long long)seq);
		logout_and_close(s, s->reason, now);
		return;
	}
	s->heartbeat_us = h * 1000000;
	s->logon_reset = rst;
	s->logon_seq = seq;
	s->state = FIX_ST_AUTH_PENDING;
	s->app.authenticate(s->app.ctx, user ? user->val : NULL, user ? user->len : 0,
	                    pass ? pass->val : NULL, pass ? pass->len : 0);
}

void
fix_session_logon_result(fix_session *s, bool accepted, const char *text, int64_t now)
{
	fix_builder b;
	int64_t expected;

	if (s->state != FIX_ST_AUTH_PENDING)
		return;
	if (!accepted)
	{
		/* the Logon is not taken: nothing of the session's numbers changes */
		logout_and_close(s, text != NULL && text[0] ? text : "logon refused", now);
		return;
	}
	if (s->logon_reset)
	{
		s->next_in = 1;
		s->next_out = 1;
	}
	expected = s->next_in;
	s->state = FIX_ST_ACTIVE;
	begin(s, &b, "A", s->next_out, now);
	fix_add_int(&b, 98, 0);
	fix_add_int(&b, 108, s->heartbeat_us / 1000000);
	if (s->logon_reset)
		fix_add_char(&b, 141, 'Y');
	if (s->logon_seq == expected)
		s->next_in = expected + 1;
	finish_admin(s, &b, now);
	if (s->state == FIX_ST_ACTIVE && s->logon_seq > expected)
		send_resend_request(s, expected, s->logon_seq + 1, now);
}

static int
check_field(fix_session *s, const fix_msg *m, int64_t seq, int tag, int64_t *v,
            int64_t now)
{
	const fix_field *f = fix_get(m, tag);
	char text[64];

	if (f == NULL)
	{
		snprintf(text, sizeof(text), "required tag %d missing", tag);
		send_reject(s, seq, &m->f[2], FIX_SRR_REQUIRED_TAG_MISSING, tag, text, now);
		return -1;
	}
	if (fix_val_uint(f, v) != 0)
	{
		snprintf(text, sizeof(text), "tag %d must be a non-negative integer", tag);
		send_reject(s, seq, &m->f[2], FIX_SRR_INCORRECT_FORMAT, tag, text, now);
		return -1;
	}
	return 0;
}

void
fix_session_on_message(fix_session *s, const fix_msg *m, int64_t now)
{
	const fix_field *fseq = fix_get(m, 34), *type = &m->f[2], *pd = fix_get(m, 43);
	const fix_field *st = fix_get(m, 52);
	int64_t seq, sent;
	bool possdup = false, admin;
	char text[160];

	if (s->state == FIX_ST_DISCONNECTED)
		return;
	s->last_in_us = now;
	if (m->nfields < 4 || m->f[2].tag != 35)
	{
		/* a frame without a MsgType: nothing to answer to */
		if (s->state == FIX_ST_AWAIT_LOGON)
			disconnect(s, "first message is not a Logon");
		return;
	}
	if (fseq == NULL || fix_val_uint(fseq, &seq) != 0 || seq < 1)
	{
		if (s->state == FIX_ST_AWAIT_LOGON)
			disconnect(s, "first message has no valid MsgSeqNum(34)");
		else
			logout_and_close(s, "MsgSeqNum(34) missing or not a positive integer", now);
		return;
	}
	if (s->state == FIX_ST_AWAIT_LOGON && !fix_is_type(m, "A"))
	{
		disconnect(s, "first message is not a Logon");
		return;
	}
	if (s->state == FIX_ST_AUTH_PENDING)
	{
		/* nothing may come before the Logon is answered */
		disconnect(s, "message received before the Logon was answered");
		return;
	}
	if (!comp_ok(fix_get(m, 49), s->cfg.their_comp_id) ||
	    !comp_ok(fix_get(m, 56), s->cfg.our_comp_id))
	{
		const fix_field *snd = fix_get(m, 49), *tgt = fix_get(m, 56);

		snprintf(text, sizeof(text),
		         "wrong CompIDs: SenderCompID(49) '%.*s' TargetCompID(56) '%.*s', "
		         "expected '%s' and '%s'",
		         snd ? (int)(snd->len > 32 ? 32 : snd->len) : 0, snd ? snd->val : "",
		         tgt ? (int)(tgt->len > 32 ? 32 : tgt->len) : 0, tgt ? tgt->val : "",
		         s->cfg.their_comp_id, s->cfg.our_comp_id);
		if (s->state == FIX_ST_AWAIT_LOGON)
		{
			logout_and_close(s, text, now);
			return;
		}
		send_reject(s, seq, type, FIX_SRR_COMPID_PROBLEM,
		            snd == NULL || !comp_ok(snd, s->cfg.their_comp_id) ? 49 : 56, text,
		            now);
		logout_and_close(s, text, now);
		return;
	}
	if (st == NULL || fix_val_utc(st, &sent) != 0 || sent - now > FIX_SENDING_TIME_MAX ||
	    now - sent > FIX_SENDING_TIME_MAX)
	{
		const char *why = st == NULL ? "SendingTime(52) missing"
		                  : fix_val_utc(st, &sent) != 0
		                      ? "SendingTime(52) is not a UTCTimestamp"
		                      : "SendingTime(52) more than 120 s from our clock";

		if (s->state == FIX_ST_AWAIT_LOGON)
		{
			logout_and_close(s, why, now);
			return;
		}
		send_reject(s, seq, type,
		            st == NULL ? FIX_SRR_REQUIRED_TAG_MISSING : FIX_SRR_SENDINGTIME, 52,
		            why, now);
		logout_and_close(s, why, now);
		return;
	}
	if (pd != NULL && fix_val_bool(pd, &possdup) != 0)
		possdup = false;
	admin = fix_msgtype_admin(type->val, type->len);

	/* a Logon: its own sequence rules (reset, too low, too high after it) */
	if (fix_is_type(m, "A"))
	{
		if (s->state != FIX_ST_AWAIT_LOGON)
		{
			logout_and_close(s, "Logon received on a logged-on session", now);
			return;
		}
		if (m->bad_reason != FIX_NO_REASON)
		{
			snprintf(text, sizeof(text), "invalid Logon (SessionRejectReason %d, tag %d)",
			         m->bad_reason, m->bad_tag);
			logout_and_close(s, text, now);
			return;
		}
		on_logon(s, m, seq, now);
		return;
	}

	/* SequenceReset in reset mode: whatever MsgSeqNum says */
	if (fix_is_type(m, "4"))
	{
		const fix_field *gf = fix_get(m, 123);
		bool gapfill = false;
		int64_t new_seq;

		if (gf != NULL && fix_val_bool(gf, &gapfill) != 0)
		{
			send_reject(s, seq, type, FIX_SRR_INCORRECT_FORMAT, 123,
			            "GapFillFlag(123) must be Y or N", now);
			return;
		}
		if (!gapfill)
		{
			if (check_field(s, m, seq, 36, &new_seq, now) != 0)
				return;
			if (new_seq < s->next_in)
			{
				snprintf(text, sizeof(text),
				         "NewSeqNo(36) %lld is below the expected MsgSeqNum %lld",
				         (long long)new_seq, (long long)s->next_in);
				send_reject(s, seq, type, FIX_SRR_VALUE_INCORRECT, 36, text, now);
				return;
			}
			s->next_in = new_seq;
			if (s->resend_until != 0 && new_seq >= s->resend_until)
				s->resend_until = 0;
			persist(s);
			return;
		}
	}

	if (seq < s->next_in)
	{
		if (possdup)
		{
			if (fix_get(m, 122) == NULL && !admin)
				send_reject(s, seq, type, FIX_SRR_REQUIRED_TAG_MISSING, 122,
				            "OrigSendingTime(122) missing on a PossDupFlag(43)=Y message",
				            now);
			return; /* already had it */
		}
		snprintf(text, sizeof(text),
		         "MsgSeqNum too low, expecting %lld but received %lld",
		         (long long)s->next_in, (long long)seq);
		logout_and_close(s, text, now);
		return;
	}
	if (seq > s->next_in)
	{
		/* a gap: ask for it once, answer what must not wait */
		if (s->resend_until == 0 || s->resend_until <= s->next_in)
			send_resend_request(s, s->next_in, seq + 1, now);
		if (fix_is_type(m, "2") && m->bad_reason == FIX_NO_REASON)
			on_resend_request(s, m, seq, now);
		else if (fix_is_type(m, "5"))
		{
			if (s->state == FIX_ST_LOGOUT_SENT)
				disconnect(s, "Logout confirmed");
			else
				logout_and_close(s, "Logout received", now);
		}
		return;
	}

	/* seq == expected: from here on the message counts as received */
	s->next_in = seq + 1;
	if (s->resend_until != 0 && s->next_in >= s->resend_until)
		s->resend_until = 0;
	persist(s);
	if (m->bad_reason != FIX_NO_REASON)
	{
		snprintf(text, sizeof(text), "invalid message: %s",
		         m->bad_reason == FIX_SRR_TAG_TWICE ? "tag appears more than once"
		         : m->bad_reason == FIX_SRR_TAG_WITHOUT_VALUE
		             ? "tag specified without a value"
		         : m->bad_reason == FIX_SRR_INVALID_TAG ? "invalid tag number"
		         : m->bad_reason == FIX_SRR_OUT_OF_ORDER
		             ? "tag specified out of required order"
		             : "too many fields");
		send_reject(s, seq, type, m->bad_reason, m->bad_tag, text, now);
		return;
	}
	if (!fix_msgtype_known(type->val, type->len))
	{
		snprintf(text, sizeof(text), "MsgType(35) '%.*s' is not a FIX 4.4 message type",
		         (int)(type->len > 8 ? 8 : type->len), type->val);
		send_reject(s, seq, type, FIX_SRR_INVALID_MSGTYPE, 35, text, now);
		return;
	}
	if (!admin)
	{
		if (s->state == FIX_ST_ACTIVE)
			s->app.deliver(s->app.ctx, m);
		return;
	}
	switch (type->val[0])
	{
		case '0':
		{
			const fix_field *id = fix_get(m, 112);
			char want[32];
			int n = snprintf(want, sizeof(want), "TEST%lld", (long long)s->test_counter);

			if (s->test_sent_us != 0 && id != NULL && id->len == (uint32_t)n &&
			    memcmp(id->val, want, id->len) == 0)
				s->test_sent_us = 0;
			break;
		}
		case '1':
		{
			const fix_field *id = fix_get(m, 112);
			fix_builder b;

			if (id == NULL)
			{
				send_reject(s, seq, type, FIX_SRR_REQUIRED_TAG_MISSING, 112,
				            "TestReqID(112) missing", now);
				break;
			}
			begin(s, &b, "0", s->next_out, now);
			fix_add(&b, 112, id->val, id->len);
			finish_admin(s, &b, now);
			break;
		}
		case '2':
			on_resend_request(s, m, seq, now);
			break;
		case '3':
			break; /* a Reject of ours: the counterparty's complaint, nothing to do */
		case '4':
		{
			int64_t new_seq;

			/* gap fill at the expected number */
			if (check_field(s, m, seq, 36, &new_seq, now) != 0)
				break;
			if (new_seq <= seq)
			{
				snprintf(text, sizeof(text),
				         "NewSeqNo(36) %lld must be above MsgSeqNum %lld of the gap fill",
				         (long long)new_seq, (long long)seq);
				send_reject(s, seq, type, FIX_SRR_VALUE_INCORRECT, 36, text, now);
				break;
			}
			s->next_in = new_seq;
			if (s->resend_until != 0 && s->next_in >= s->resend_until)
				s->resend_until = 0;
			persist(s);
			break;
		}
		case '5':
			if (s->state == FIX_ST_LOGOUT_SENT)
				disconnect(s, "Logout confirmed");
			else
				logout_and_close(s, "Logout received", now);
			break;
	}
}

void
fix_session_on_timer(fix_session *s, int64_t now)
{
	switch (s->state)
	{
		case FIX_ST_AWAIT_LOGON:
		case FIX_ST_AUTH_PENDING:
			if (now - s->started_us >= s->cfg.logon_timeout_us)
				disconnect(s, "no Logon in time");
			return;
		case FIX_ST_LOGOUT_SENT:
			if (now - s->logout_sent_us >= FIX_LOGOUT_WAIT_US)
				disconnect(s, "Logout not answered");
			return;
		case FIX_ST_DISCONNECTED:
			return;
		case FIX_ST_ACTIVE:
			break;
	}
	if (s->test_sent_us != 0 && now - s->test_sent_us >= s->heartbeat_us)
	{
		disconnect(s, "no answer to TestRequest");
		return;
	}
	if (s->test_sent_us == 0 &&
	    now - s->last_in_us >= s->heartbeat_us + s->heartbeat_us / 5)
	{
		fix_builder b;
		char id[32];

		s->test_counter++;
		snprintf(id, sizeof(id), "TEST%lld", (long long)s->test_counter);
		begin(s, &b, "1", s->next_out, now);
		fix_add_str(&b, 112, id);
		finish_admin(s, &b, now);
		s->test_sent_us = now;
		return;
	}
	if (now - s->last_out_us >= s->heartbeat_us)
	{
		fix_builder b;

		begin(s, &b, "0", s->next_out, now);
		finish_admin(s, &b, now);
	}
}

void
fix_session_logout(fix_session *s, const char *text, int64_t now)
{
	if (s->state == FIX_ST_ACTIVE)
		send_logout(s, text, now);
	else if (s->state != FIX_ST_LOGOUT_SENT)
		disconnect(s, text != NULL ? text : "closed before logon");
}

fix_builder *
fix_session_begin_app(fix_session *s, fix_builder *b, const char *msgtype, int64_t now)
{
	if (s->state != FIX_ST_ACTIVE || fix_msgtype_admin(msgtype, strlen(msgtype)))
		return NULL;
	begin(s, b, msgtype, s->next_out, now);
	return b;
}

bool
fix_session_end_app(fix_session *s, fix_builder *b, int64_t now)
{
	size_t n = fix_build_end(b);

	if (n == 0 || s->state != FIX_ST_ACTIVE)
		return false;
	s->app.store(s->app.ctx, s->next_out, s->out, n);
	s->next_out++;
	s->last_out_us = now;
	s->app.send(s->app.ctx, s->out, n);
	persist(s);
	return true;
}

void
fix_session_reject(fix_session *s, const fix_msg *m, int reason, int ref_tag,
                   const char *text, int64_t now)
{
	const fix_field *f = fix_get(m, 34);
	int64_t seq = 0;

	if (s->state != FIX_ST_ACTIVE || f == NULL || fix_val_uint(f, &seq) != 0)
		return;
	send_reject(s, seq, m->nfields > 2 && m->f[2].tag == 35 ? &m->f[2] : NULL, reason,
	            ref_tag, text, now);
}

void
fix_session_business_reject(fix_session *s, const fix_msg *m, int reason,
                            const char *ref_id, const char *text, int64_t now)
{
	const fix_field *f = fix_get(m, 34);
	fix_builder b;

	if (s->state != FIX_ST_ACTIVE)
		return;
	/* an application message: sequenced and stored like any other */
	begin(s, &b, "j", s->next_out, now);
	if (f != NULL)
		fix_add(&b, 45, f->val, f->len);
	fix_add(&b, 372, m->f[2].val, m->f[2].len);
	if (ref_id != NULL && ref_id[0] != '\0')
		fix_add_str(&b, 379, ref_id);
	fix_add_int(&b, 380, reason);
	add_text(&b, text);
	fix_session_end_app(s, &b, now);
}
