/*
 * matchd_client.h
 *		The backend's connection to matchd (the order-entry protocol of
 *		include/exchange_wire.h).
 */
#ifndef EXCHANGE_MATCHD_CLIENT_H
#define EXCHANGE_MATCHD_CLIENT_H

#include "postgres.h"

#include "exchange_wire.h"

/* What matchd answered to a command it sequenced (outcome DONE). */
typedef struct MatchdAnswer
{
	uint8 status; /* PGX_STATUS_*, never 0 */
	int64 seq;
	int64 order_id;
	int64 created_ts; /* a TimestampTz */
	int64 filled;
	int64 remaining;
	char *reason; /* palloc'd, NULL when matchd sent none */
} MatchdAnswer;

/*
 * Sends one command to matchd as `role` and waits for its answer (at most
 * exchange.matchd_timeout).  Returns only when matchd sequenced the command
 * (the engine's own rejections, SQLSTATE "00000", return with status
 * rejected); raises matchd's error when it refused it before sequencing, the
 * order manager's SQLSTATE and message when it sequenced and journaled it as
 * rejected (DETAIL: the seq), PX040 when the request could not be sent, PX041
 * when it was sent and no answer came (fate_hint says where to look the
 * command up), PX042 for a malformed answer.  `what` names the command in
 * messages ("order", "command", "deposit").
 */
extern void matchd_call(const char *role, const pgx_record *request, const char *what,
                        const char *fate_hint, MatchdAnswer *answer);

/*
 * One command of a pipelined call (matchd_call_many) and what became of it.
 * `request` is set by the caller (NULL: not sent, the caller judged it
 * already); the rest is set by the call:
 *	- sqlstate "00000": matchd sequenced it; `answer` holds its answer (the
 *	  engine's own rejections come back here with status rejected);
 *	- another SQLSTATE: refused, with `message`; `journaled` when the order
 *	  manager journaled the refusal (answer.seq says where), false when it was
 *	  refused before the sequencer (PX076, PX043) or never reached matchd
 *	  (PX040: nothing happened), or PX041 when it was sent and no answer came
 *	  (its fate is unknown: look it up by client_order_id).
 */
typedef struct MatchdItem
{
	const pgx_record *request;
	char sqlstate[6];
	char *message;
	bool journaled;
	MatchdAnswer answer;
} MatchdItem;

/*
 * Sends n commands as `role` on the one connection without waiting for each
 * answer (up to two windows of PGX_PIPELINE_WINDOW in flight), and gives each
 * item its own outcome: one command's refusal never stops the others.  Each
 * is sequenced as if sent alone, in the order given.  The call waits at most
 * exchange.matchd_timeout for each next answer.  Items refused as not acted
 * on (PX040/PX043) are sent once more, to the new leader, as matchd_call
 * does.  Raises only for what concerns the call itself (cancel, interrupts,
 * out of memory).
 */
extern void matchd_call_many(const char *role, MatchdItem *items, int n, const char *what,
                             const char *fate_hint);

/*
 * Asks matchd a market-data query and returns its reply; the rows point into
 * a buffer that the next call reuses.  Raises matchd's error (PX020 unknown
 * symbol, 22023 bad depth or resolution, ...), PX040 when matchd cannot be
 * reached or does not answer (a query changes nothing: it may be retried),
 * PX042 for a malformed reply.
 */
extern void matchd_query(const pgx_md_query *query, const char *what,
                         pgx_md_reply *reply);

#endif /* EXCHANGE_MATCHD_CLIENT_H */
