/*
 * fixsession.h - the FIX 4.4 session layer of the gateway (the acceptor side),
 * as a pure state machine.
 *
 * Input: parsed messages (fixmsg.h: garbled ones never reach it, they are
 * dropped by the reader), the current time (microseconds since 1970, passed
 * in: the module reads no clock), and the application's decisions.  Output,
 * through the callbacks of fix_session_app: bytes to send, application
 * messages to deliver, a request to authenticate a Logon, the sequence
 * numbers to persist, and a disconnect with its reason.  No I/O, no
 * allocation: the session owns one output buffer of FIX_SESSION_OUT bytes.
 *
 * Rules (docs/fix.md lists them with the tags):
 *   - the first message must be a Logon(A), else disconnect without answer;
 *     no Logon within logon_timeout of fix_session_start: disconnect;
 *   - every message needs 49, 56, 34, 52: without MsgSeqNum(34) a Logout and
 *     disconnect; 49 must be the configured counterparty and 56 us, else a
 *     Reject(373=9) and a Logout naming both, then disconnect;
 *   - MsgSeqNum equal to the expected one: processed, expected + 1; higher:
 *     a ResendRequest(7=expected, 16=0) (once per gap), the message is not
 *     processed (except Logout and ResendRequest); lower without
 *     PossDupFlag(43)=Y: Logout "MsgSeqNum too low, expecting X but received
 *     Y" and disconnect; lower with PossDupFlag=Y: ignored;
 *   - Logon: EncryptMethod(98) must be 0, HeartBtInt(108) 1..3600 s,
 *     ResetSeqNumFlag(141)=Y resets both sequence numbers to 1 (and needs
 *     MsgSeqNum 1); Username(553)/Password(554) go to app->authenticate,
 *     which is answered later by fix_session_logon_result (refusal: Logout
 *     with the application's text, disconnect); a second Logon: Logout and
 *     disconnect;
 *   - Heartbeat(0) clears an outstanding TestRequest when its TestReqID(112)
 *     matches; TestRequest(1) is answered by Heartbeat(0) with its 112;
 *   - the session sends a Heartbeat after HeartBtInt of its own silence, a
 *     TestRequest after HeartBtInt + 20% of the counterparty's, and
 *     disconnects when that is not answered within another HeartBtInt;
 *   - ResendRequest(2): application messages of the range come back from
 *     app->stored with PossDupFlag(43)=Y, OrigSendingTime(122) their first
 *     SendingTime and the same MsgSeqNum; admin messages and gaps in the store
 *     become SequenceReset(4) GapFillFlag(123)=Y NewSeqNo(36);
 *   - SequenceReset without GapFillFlag (reset mode) sets the expected number
 *     to NewSeqNo whatever MsgSeqNum says (NewSeqNo lower: Reject 373=5);
 *     GapFill obeys the MsgSeqNum rules and then sets it;
 *   - a field-level invalid message (fixmsg's bad_reason, a required tag
 *     missing, a malformed value, a MsgType FIX 4.4 does not define) gets a
 *     Reject(3) with 45, 371, 372, 373 and 58 and counts as received;
 *   - Logout(5): answered by a Logout, then disconnect; a Logout of ours
 *     answered (or unanswered within 10 s): disconnect.
 * Every message sent that is not a resent one carries the next outgoing
 * MsgSeqNum: they strictly increase.
 */
#ifndef FIX_FIXSESSION_H
#define FIX_FIXSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixmsg.h"

#define FIX_SESSION_OUT      8192
#define FIX_COMPID_MAX       32
#define FIX_HEARTBT_MAX      3600
#define FIX_LOGOUT_WAIT_US   10000000LL
#define FIX_SENDING_TIME_MAX 120000000LL /* |SendingTime - now| allowed: 120 s */

typedef enum fix_state
{
	FIX_ST_AWAIT_LOGON = 0,
	FIX_ST_AUTH_PENDING, /* Logon received, app->authenticate asked */
	FIX_ST_ACTIVE,
	FIX_ST_LOGOUT_SENT,
	FIX_ST_DISCONNECTED
} fix_state;

typedef struct fix_session_app
{
	void *ctx;
	/* bytes to write to the connection, in order */
	void (*send)(void *ctx, const char *bytes, size_t len);
	/* an application message (not admin), in sequence, on an active session */
	void (*deliver)(void *ctx, const fix_msg *m);
	/* a Logon to check: answer with fix_session_logon_result (now or later);
	 * user/password are NULL with length 0 when absent */
	void (*authenticate)(void *ctx, const char *user, size_t ulen, const char *password,
	                     size_t plen);
	/* the next expected incoming and the next outgoing MsgSeqNum changed */
	void (*persist)(void *ctx, int64_t next_in, int64_t next_out);
	/* an application message just sent with seq: keep it for resends */
	void (*store)(void *ctx, int64_t seq, const char *bytes, size_t len);
	/* the application message sent with seq, or false (admin or forgotten:
	 * gap-filled); *bytes must stay valid until the next call */
	bool (*stored)(void *ctx, int64_t seq, const char **bytes, size_t *len);
	/* the connection must be closed; reason is a static or session-owned text */
	void (*disconnect)(void *ctx, const char *reason);
} fix_session_app;

typedef struct fix_session_config
{
	char our_comp_id[FIX_COMPID_MAX + 1];   /* TargetCompID they send: "PGX" */
	char their_comp_id[FIX_COMPID_MAX + 1]; /* SenderCompID they send */
	int64_t logon_timeout_us;
} fix_session_config;

typedef struct fix_session
{
	fix_session_config cfg;
	fix_session_app app;
	fix_state state;
	int64_t next_in, next_out;
	int64_t heartbeat_us; /* HeartBtInt, from the Logon */
	int64_t started_us, last_in_us, last_out_us, logout_sent_us;
	int64_t test_sent_us; /* 0: no TestRequest outstanding */
	int64_t test_counter;
	int64_t resend_until; /* a ResendRequest is out for seqs below this (0: none) */
	int64_t logon_seq;    /* MsgSeqNum of the Logon while authenticating */
	bool logon_reset;     /* the Logon had 141=Y */
	bool disconnected_reported;
	char reason[192];
	char out[FIX_SESSION_OUT];
} fix_session;

/* A new connection at now with the persisted sequence numbers (1, 1 for a new
 * session). */
void fix_session_start(fix_session *s, const fix_session_config *cfg,
                       const fix_session_app *app, int64_t next_in, int64_t next_out,
                       int64_t now);
/* One parsed message (fix_parse returned FIX_OK). */
void fix_session_on_message(fix_session *s, const fix_msg *m, int64_t now);
/* Timers: heartbeats, test requests, logon and logout timeouts. */
void fix_session_on_timer(fix_session *s, int64_t now);
/* The application's verdict on the Logon (text: why, when refused). */
void fix_session_logon_result(fix_session *s, bool accepted, const char *text,
                              int64_t now);
/* Starts a Logout of ours with text (may be NULL). */
void fix_session_logout(fix_session *s, const char *text, int64_t now);

/* Application messages: begin gives a builder with the header written (NULL
 * unless the session is active); the caller adds the body fields; end sends
 * and stores it (false when it did not fit: nothing sent). */
fix_builder *fix_session_begin_app(fix_session *s, fix_builder *b, const char *msgtype,
                                   int64_t now);
bool fix_session_end_app(fix_session *s, fix_builder *b, int64_t now);

/* A session-level Reject(3) of m (an application message the application
 * found invalid: 373 reason, 371 tag or 0, 58 text). */
void fix_session_reject(fix_session *s, const fix_msg *m, int reason, int ref_tag,
                        const char *text, int64_t now);
/* A BusinessMessageReject(j) of m: 372 its MsgType, 45 its MsgSeqNum, 380
 * reason (3: unsupported message type, ...), 379 the ref id or NULL, 58. */
void fix_session_business_reject(fix_session *s, const fix_msg *m, int reason,
                                 const char *ref_id, const char *text, int64_t now);

#endif
