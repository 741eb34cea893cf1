/*
 * matchd_client.c
 *		The backend's connection to matchd: one request, one answer, waited
 *		for interruptibly.
 *
 * Each backend keeps one Unix-socket connection to matchd, opened on first
 * use and kept for the next calls.  The path is the GUC exchange.matchd_socket
 * or, when that is empty, the endpoint of the leader of exchange.matchd_stream
 * as recorded with its lease (exchange.leader_endpoint), looked up on first
 * use and again after a failure.  The socket is non-blocking; the backend sleeps on a
 *wait event set holding its latch, postmaster death and the socket, so query cancel,
 * statement_timeout and termination interrupt a wait, and the whole call is
 * bounded by exchange.matchd_timeout.
 *
 * What a failure means for the caller depends on whether the request left:
 *	- not sent (no connection, or the request not completely written): PX040,
 *	  nothing happened and the caller may simply retry;
 *	- sent, then no answer (timeout, EOF, read error) or an interrupt: the
 *	  command may or may not have been sequenced.  PX041 says so; the connection
 *	  is closed so that a late answer can never be taken for the answer to the
 *	  next request, and the next call reconnects;
 *	- a malformed answer: PX042, and the connection is closed as well.
 *
 * Failover (leader discovery only): when the request certainly did not reach
 * a matching engine that could act on it (PX040: not connected, not sent; or
 * matchd answered PX043, not the leader, or PX040, stopping), the call waits
 * for the lease to name another leader (another epoch or endpoint), up to the
 * call's deadline, and tries once more there.  A request that was sent and
 * not answered is never sent again: its fate is unknown (PX041), and the
 * broker looks it up by client_order_id (exchange.client_order) first.
 */
#include "postgres.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "pgstat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "exchange.h"
#include "matchd_client.h"

/* The connection; conn_fd is PGINVALID_SOCKET when there is none. */
static pgsocket conn_fd = PGINVALID_SOCKET;
static WaitEventSet *conn_events = NULL; /* latch, postmaster death, socket */
static int conn_socket_pos = -1;
static uint32 conn_socket_mask = 0;
static char conn_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static TimestampTz conn_opened_at; /* when connect() completed, for diagnostics */
static int conn_requests;          /* requests sent on it so far, this one included */

/* The leader as last looked up (exchange.matchd_socket empty); "" = not yet. */
static char leader_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int64 leader_epoch = -1;

/* Request ids increase per backend, over all connections. */
static uint64 last_request_id = 0;

/* One frame buffer for both directions (one request in flight at a time);
 * it grows for market-data replies, which may be large. */
static uint8 *frame_buf = NULL;
static size_t frame_cap = 0;

static void
reserve_frame_buf(size_t n)
{
	if (frame_buf == NULL)
	{
		frame_cap = Max(n, PGX_FRAME_MAX);
		frame_buf = MemoryContextAlloc(TopMemoryContext, frame_cap);
	}
	else if (n > frame_cap)
	{
		frame_buf = repalloc(frame_buf, n);
		frame_cap = n;
	}
}

static void
matchd_disconnect(void)
{
	if (conn_events != NULL)
	{
		FreeWaitEventSet(conn_events);
		conn_events = NULL;
	}
	if (conn_fd != PGINVALID_SOCKET)
	{
		close(conn_fd);
		ReleaseExternalFD();
		conn_fd = PGINVALID_SOCKET;
	}
	conn_socket_pos = -1;
	conn_socket_mask = 0;
}

static long
ms_left(TimestampTz deadline)
{
	return TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
}

/*
 * Sleeps until the socket is ready for `mask` (true) or the deadline passes
 * (false); interrupts are served while waiting (and may throw).
 */
static bool
wait_socket(uint32 mask, TimestampTz deadline)
{
	for (;;)
	{
		WaitEvent ev;
		long left = ms_left(deadline);

		if (left <= 0)
			return false;
		if (mask != conn_socket_mask)
		{
			ModifyWaitEvent(conn_events, conn_socket_pos, mask, NULL);
			conn_socket_mask = mask;
		}
		if (WaitEventSetWait(conn_events, left, &ev, 1, PG_WAIT_EXTENSION) == 0)
			return false;
		if (ev.events & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (ev.events & mask)
			return true;
	}
}

/* Whether the socket comes from the lease rather than exchange.matchd_socket. */
static bool
discovering(void)
{
	return exchange_matchd_socket == NULL || exchange_matchd_socket[0] == '\0';
}

/*
 * Reads the endpoint and epoch of exchange.matchd_stream's leader into
 * leader_path/leader_epoch; false when no matchd has led the stream under a
 * lease, or its lease is over (released, expired, superseded, holder gone).
 * Runs as the caller (leader_endpoint() is granted to every exchange role),
 * in a statement snapshot of its own, so that a wait sees a new lease.
 *
 * The lease is held only while its holder's session is alive, which
 * leader_endpoint() reads from pg_stat_get_activity(); the backends' status
 * is read once per transaction and kept, so a wait inside one call would
 * never see the session of a leader that connected after the call's first
 * look (a switchover or failover to a matchd with a new lease session): it
 * waited out exchange.matchd_timeout and failed with PX041 or PX040.  The
 * kept status is dropped before each look, as pg_stat_clear_snapshot() does.
 */
static bool
lookup_leader(bool *held)
{
	Oid argtypes[1] = {TEXTOID};
	Datum args[1];
	bool found = false;

	*held = false;
	args[0] = CStringGetTextDatum(exchange_matchd_stream);
	pgstat_clear_snapshot();
	SPI_connect();
	if (SPI_execute_with_args("SELECT endpoint, epoch, lease_state "
	                          "FROM exchange.leader_endpoint($1)",
	                          1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "exchange.leader_endpoint() failed");
	if (SPI_processed == 1)
	{
		char *path = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char *epoch = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		char *state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);

		if (path != NULL && epoch != NULL && strlen(path) < sizeof(leader_path))
		{
			strlcpy(leader_path, path, sizeof(leader_path));
			leader_epoch = pg_strtoint64(epoch);
			found = true;
			*held = state != NULL &&
			        (strcmp(state, "held") == 0 || strcmp(state, "handing_over") == 0);
		}
	}
	SPI_finish();
	return found;
}

/* Whether the database's extension has leases (1.6 and later). */
static bool
leases_installed(void)
{
	Oid argtypes[1] = {TEXTOID};
	List *name = list_make2(makeString("exchange"), makeString("leader_endpoint"));

	return OidIsValid(LookupFuncName(name, 1, argtypes, true));
}

/* The socket the next connection goes to (PX040 when there is none). */
static const char *
target_path(void)
{
	bool held;

	if (!discovering())
		return exchange_matchd_socket;
	if (leader_path[0] == '\0' && !leases_installed())
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_UNAVAILABLE),
		         errmsg("exchange.matchd_socket is not set"),
		         errhint("Set exchange.matchd_socket to the path of matchd's Unix "
		                 "socket (a superuser setting), or update the extension to "
		                 "1.6 or later to find the leader by its lease.")));
	if (leader_path[0] == '\0' && !lookup_leader(&held))
		ereport(ERROR,
		        (errcode(ERRCODE_PGX_UNAVAILABLE),
		         errmsg("no matchd leads stream \"%s\"", exchange_matchd_stream),
		         errdetail("Nothing was sent to matchd; exchange.matchd_socket is "
		                   "empty and no lease of the stream names a leader."),
		         errhint("Start matchd, or set exchange.matchd_socket (a superuser "
		                 "setting).")));
	return leader_path;
}

/*
 * After a failure that left the request unprocessed: waits until the lease
 * names a leader other than (failed_path, failed_epoch) and holds, or until
 * the deadline.  Returns whether another leader was found.
 */
static bool
await_new_leader(const char *failed_path, int64 failed_epoch, TimestampTz deadline)
{
	for (;;)
	{
		bool held;
		long left;

		if (lookup_leader(&held) && held &&
		    (leader_epoch != failed_epoch || strcmp(leader_path, failed_path) != 0))
			return true;
		left = ms_left(deadline);
		if (left <= 0)
			return false;
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
		                Min(left, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
pg_attribute_noreturn() unavailable_timeout(const char *doing, const char *path)
{
	ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
	                errmsg("matchd at \"%s\" did not %s within %d ms", path, doing,
	                       exchange_matchd_timeout),
	                errdetail("Nothing was sent to matchd."),
	                errhint("matchd is overloaded or stuck; the call may be retried.")));
}

/*
 * Opens the connection to target_path() (PX040 when it cannot).  `patient`:
 * a socket that is not there yet (a new leader still catching up) is tried
 * again until the deadline rather than at once given up on.
 */
static void
matchd_connect(TimestampTz deadline, bool patient)
{
	const char *path = target_path();
	struct sockaddr_un addr;
	pgsocket fd;

	Assert(conn_fd == PGINVALID_SOCKET);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strlcpy(addr.sun_path, path, sizeof(addr.sun_path));

	if (!AcquireExternalFD())
		ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
		                errmsg("could not connect to matchd: too many open files")));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		int save_errno = errno;

		ReleaseExternalFD();
		errno = save_errno;
		ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
		                errmsg("could not create a socket for matchd: %m")));
	}
	conn_fd = fd; /* from here on, matchd_disconnect() closes it */

	for (;;)
	{
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || (patient && (errno == ENOENT || errno == ECONNREFUSED)))
		{
			/* matchd's listen queue is full, or its socket is not up yet: try again
			 * shortly */
			long left = ms_left(deadline);

			if (left <= 0)
				unavailable_timeout("accept the connection", path);
			(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
			                Min(left, 10), PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (errno == EINPROGRESS)
		{
			int err = 0;
			socklen_t errlen = sizeof(err);
			long left = ms_left(deadline);
			int rc;

			if (left <= 0)
				unavailable_timeout("accept the connection", path);
			rc = WaitLatchOrSocket(MyLatch,
			                       WL_SOCKET_WRITEABLE | WL_LATCH_SET | WL_TIMEOUT |
			                           WL_EXIT_ON_PM_DEATH,
			                       fd, left, PG_WAIT_EXTENSION);
			if (rc & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
			}
			if (!(rc & WL_SOCKET_WRITEABLE))
			{
				if (ms_left(deadline) <= 0)
					unavailable_timeout("accept the connection", path);
				continue; /* woken by the latch: connect() reports the state */
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
				err = errno;
			if (err == 0)
				break;
			errno = err;
		}
		ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
		                errmsg("could not connect to matchd at \"%s\": %m", path),
		                errdetail("Nothing was sent to matchd."),
		                errhint("Is matchd running? The call may be retried.")));
	}

	conn_events = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(conn_events, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(conn_events, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	conn_socket_pos = AddWaitEventToSet(conn_events, WL_SOCKET_READABLE, fd, NULL, NULL);
	conn_socket_mask = WL_SOCKET_READABLE;
	strlcpy(conn_path, path, sizeof(conn_path));
	conn_opened_at = GetCurrentTimestamp();
	conn_requests = 0;
}

/* For the detail of an unanswered request: which connection, how old. */
static char *
describe_connection(void)
{
	return psprintf(
	    "the connection to \"%s\", opened %ld ms before, request %d on it", conn_path,
	    TimestampDifferenceMilliseconds(conn_opened_at, GetCurrentTimestamp()),
	    conn_requests);
}

/*
 * Whether a connection kept from an earlier call can carry a request: it
 * must have nothing to read (matchd answers only what was asked, so a
 * readable socket means EOF or an error, e.g. after a restart of matchd).
 */
static bool
connection_reusable(void)
{
	char byte;
	ssize_t n;

	if (strcmp(conn_path, discovering() ? leader_path : exchange_matchd_socket) != 0)
		return false;
	n = recv(conn_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

/* Writes the frame; returns 0, or an errno with *sent the bytes written. */
static int
send_frame(const uint8 *buf, size_t len, TimestampTz deadline, size_t *sent)
{
	*sent = 0;
	while (*sent < len)
	{
		ssize_t n = send(conn_fd, buf + *sent, len - *sent, MSG_NOSIGNAL);

		if (n > 0)
		{
			*sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			if (!wait_socket(WL_SOCKET_WRITEABLE, deadline))
				unavailable_timeout("take the request", conn_path);
			continue;
		}
		return n < 0 ? errno : EPIPE;
	}
	return 0;
}

static void
pg_attribute_noreturn()
    fate_unknown(const char *what, const char *fate_hint, const char *detail)
{
	ereport(ERROR,
	        (errcode(ERRCODE_PGX_FATE_UNKNOWN), errmsg("the %s's fate is unknown", what),
	         errdetail_internal("%s", detail), errhint("%s", fate_hint)));
}

static void
pg_attribute_noreturn() malformed_answer(const char *what, const char *why)
{
	ereport(ERROR,
	        (errcode(ERRCODE_PGX_PROTOCOL),
	         errmsg("malformed answer from matchd: %s", why),
	         errdetail("The connection to matchd was closed; the %s's fate is unknown.",
	                   what)));
}

/*
 * A query that changes nothing (market data) went unanswered: unlike an
 * order, there is no fate to look up, matchd is just not there.
 */
static void
pg_attribute_noreturn() query_unanswered(const char *what, const char *detail)
{
	ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
	                errmsg("matchd did not answer the %s", what),
	                errdetail_internal("%s", detail),
	                errhint("The query changes nothing and may be retried.")));
}

/* No answer to the request: the fate of a command is unknown, a query simply
 * failed (fate_hint NULL). */
static void
pg_attribute_noreturn()
    no_answer(const char *what, const char *fate_hint, const char *detail)
{
	if (fate_hint == NULL)
		query_unanswered(what, detail);
	fate_unknown(what, fate_hint, detail);
}

/* Reads one whole frame into frame_buf (grown to fit); returns its length.
 * fate_hint is NULL for a query. */
static uint32
receive_frame(TimestampTz deadline, const char *what, const char *fate_hint)
{
	size_t got = 0;
	uint32 length = 0;
	uint16 type;
	uint64 id;

	for (;;)
	{
		/* never read past the frame: the buffer may be larger than it */
		size_t want = length != 0 ? length - got : PGX_FRAME_HEADER - got;
		ssize_t n = recv(conn_fd, frame_buf + got, want, 0);

		if (n > 0)
		{
			got += (size_t)n;
			if (length == 0 && got >= PGX_FRAME_HEADER)
			{
				if (!pgx_decode_frame_header(frame_buf, &length, &type, &id))
					malformed_answer(what, "impossible frame header");
				reserve_frame_buf(length);
			}
			if (length != 0 && got >= length)
				return length;
			continue;
		}
		if (n == 0)
			no_answer(what, fate_hint,
			          psprintf("The request was sent on %s; matchd closed the "
			                   "connection before answering.",
			                   describe_connection()));
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
		{
			if (!wait_socket(WL_SOCKET_READABLE, deadline))
				no_answer(what, fate_hint,
				          psprintf("The request was sent on %s; matchd did not answer "
				                   "within %d ms (exchange.matchd_timeout).",
				                   describe_connection(), exchange_matchd_timeout));
			continue;
		}
		{
			const char *why = strerror(errno); /* before psprintf may touch errno */

			no_answer(what, fate_hint,
			          psprintf("The request was sent on %s; reading matchd's answer "
			                   "failed: %s",
			                   describe_connection(), why));
		}
	}
}

static char *
answer_string(pgx_str s, const char *what, const char *field)
{
	if (s.len == PGX_STR_NULL)
		return NULL;
	if (!pg_verify_mbstr(GetDatabaseEncoding(), s.ptr, s.len, true))
		malformed_answer(what, psprintf("%s is not valid text", field));
	return pnstrdup(s.ptr, s.len);
}

/* "00000", or five zero bytes: the order manager did not refuse the command */
static bool
success_sqlstate(const char *s)
{
	static const char zeros[5] = {0};

	return memcmp(s, "00000", 5) == 0 || memcmp(s, zeros, 5) == 0;
}

static bool
valid_sqlstate(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	/* an error, not success (00), a warning (01) or no data (02) */
	return !(s[0] == '0' && (s[1] == '0' || s[1] == '1' || s[1] == '2'));
}

/*
 * Sends the request in frame_buf[0..len) (request id `id`) and reads the
 * answer frame into frame_buf; returns its length and type.  Connects or
 * reconnects as needed.  On any error the connection is closed.
 */
static uint32
exchange_frame(size_t len, uint64 id, TimestampTz deadline, const char *what,
               const char *fate_hint, bool patient, uint16 *type)
{
	bool reused;
	uint32 length;
	uint64 answer_id;

	if (conn_fd != PGINVALID_SOCKET && !connection_reusable())
		matchd_disconnect();
	reused = conn_fd != PGINVALID_SOCKET;
	if (!reused)
		matchd_connect(deadline, patient);
	for (;;)
	{
		size_t sent;
		int err = send_frame(frame_buf, len, deadline, &sent);

		if (err == 0)
			break;
		if (sent == 0 && reused)
		{
			/* matchd went away since the last call: nothing left, start afresh */
			matchd_disconnect();
			matchd_connect(deadline, patient);
			reused = false;
			continue;
		}
		errno = err;
		ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
		                errmsg("could not send the %s to matchd: %m", what),
		                sent == 0 ? errdetail("Nothing was sent to matchd.")
		                          : errdetail("Only %zu of %zu bytes were sent; matchd "
		                                      "ignores an incomplete request.",
		                                      sent, len),
		                errhint("The call may be retried.")));
	}

	conn_requests++;
	length = receive_frame(deadline, what, fate_hint);
	(void)pgx_decode_frame_header(frame_buf, &length, type, &answer_id);
	/* the goodbye (exchange_wire.h) stands for the answer: a refusal that
	 * says nothing sent on this connection any more is acted on */
	if (answer_id != id && answer_id != PGX_REQUEST_ID_GOODBYE)
		malformed_answer(what, psprintf("answer to request " UINT64_FORMAT
		                                " where " UINT64_FORMAT " was expected",
		                                answer_id, id));
	return length;
}

/*
 * In a PG_CATCH block: whether the error is PX040 (the request did not reach
 * a matching engine that could act on it), which a failover retry may
 * swallow.  The error state is flushed then; otherwise it stays for
 * PG_RE_THROW.  Swallowing is safe here: the code that raised it holds no
 * lock, buffer or SPI connection, only the socket, which the caller closed.
 */
static bool
caught_unavailable(MemoryContext cxt)
{
	ErrorData *edata;
	bool unavailable;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	unavailable = edata->sqlerrcode == ERRCODE_PGX_UNAVAILABLE;
	FreeErrorData(edata);
	if (unavailable)
		FlushErrorState();
	return unavailable;
}

/*
 * A session matchd rate limits (PX076) is sending faster than its account may
 * trade; each further call is refused, yet costs this backend a parse, the
 * checks and an error on cores the other brokers' backends share.  So the
 * backend lowers its own CPU priority once, to exchange.rate_limited_nice: it
 * still runs whenever a core is free, but under contention the kernel's
 * scheduler runs the others first.  One-way (an unprivileged process cannot
 * raise its priority again), for the rest of the backend's life; a pooler's
 * backend serves one role (PgBouncer pools per user), so it is that role that
 * waits.  Refusals themselves are decided by matchd, not here.
 */
static void
yield_cpu_to_other_brokers(void)
{
	static bool done = false;
	int current;

	if (done || exchange_rate_limited_nice <= 0)
		return;
	done = true;
	errno = 0;
	current = getpriority(PRIO_PROCESS, 0);
	if (current == -1 && errno != 0)
		return;
	if (current >= exchange_rate_limited_nice)
		return;
	if (setpriority(PRIO_PROCESS, 0, exchange_rate_limited_nice) != 0)
		ereport(
		    LOG,
		    (errmsg("could not lower the CPU priority of a rate-limited backend: %m")));
	else
		ereport(
		    LOG,
		    (errmsg("backend of role \"%s\" rate limited: running at niceness %d "
		            "from now on",
		            GetUserNameFromId(GetUserId(), false), exchange_rate_limited_nice),
		     errhint("exchange.rate_limited_nice sets it; 0 turns it off.")));
}

/* A refusal that says the request was not acted on, by a matchd that does not
 * lead (PX043) or is stopping (PX040): worth one more try at the leader. */
static bool
refused_as_not_leader(const char *sqlstate)
{
	return memcmp(sqlstate, PGX_SQLSTATE_NOT_LEADER, 5) == 0 ||
	       memcmp(sqlstate, PGX_SQLSTATE_UNAVAILABLE, 5) == 0;
}

/*
 * Before the second attempt: the leader the first one tried, and a wait for
 * the lease to name another.  Returns false when the call should not retry
 * (a fixed socket, or already retried).
 */
static bool
prepare_retry(int attempt, const char *tried_path, int64 tried_epoch,
              TimestampTz deadline)
{
	char failed[sizeof(leader_path)];

	if (attempt > 0 || !discovering())
		return false;
	strlcpy(failed, tried_path, sizeof(failed));
	(void)await_new_leader(failed, tried_epoch, deadline);
	return true;
}

/*
 * Decodes the response frame in frame_buf (`length` bytes) into the item:
 * outcome ERROR is a refusal before the sequencer, DONE with an error
 * SQLSTATE a refusal the order manager journaled, DONE with success the
 * answer.
 */
static void
take_answer(uint32 length, const char *what, MatchdItem *it)
{
	pgx_response resp;

	if (!pgx_decode_response(frame_buf + PGX_FRAME_HEADER, length - PGX_FRAME_HEADER,
	                         &resp))
		malformed_answer(what, "response body does not decode");
	it->message = NULL;
	it->journaled = false;
	memset(&it->answer, 0, sizeof(it->answer));
	if (resp.outcome == PGX_OUTCOME_ERROR)
	{
		if (!valid_sqlstate(resp.sqlstate))
			malformed_answer(what, "invalid SQLSTATE in an error answer");
		memcpy(it->sqlstate, resp.sqlstate, 5);
		it->sqlstate[5] = '\0';
		it->message = answer_string(resp.message, what, "the error message");
		return;
	}
	if (resp.status == 0)
		malformed_answer(what, "an answer without a status");
	if (success_sqlstate(resp.sqlstate))
		strlcpy(it->sqlstate, "00000", sizeof(it->sqlstate));
	else
	{
		/* sequenced and journaled as rejected by the order manager */
		if (!valid_sqlstate(resp.sqlstate))
			malformed_answer(what, "invalid SQLSTATE in a refusal");
		memcpy(it->sqlstate, resp.sqlstate, 5);
		it->sqlstate[5] = '\0';
		it->message = answer_string(resp.message, what, "the refusal message");
		it->journaled = true;
	}
	it->answer.status = resp.status;
	it->answer.seq = resp.seq;
	it->answer.order_id = resp.order_id;
	it->answer.created_ts = resp.created_ts;
	it->answer.filled = resp.filled;
	it->answer.remaining = resp.remaining;
	it->answer.reason = answer_string(resp.reason, what, "the reason");
}

static bool
item_accepted(const MatchdItem *it)
{
	return strcmp(it->sqlstate, "00000") == 0;
}

/* Refused before anything was sequenced, by a matchd that does not lead or is
 * stopping, or never sent: worth one more try at the leader. */
static bool
item_not_acted_on(const MatchdItem *it)
{
	return !it->journaled && refused_as_not_leader(it->sqlstate);
}

void
matchd_call(const char *role, const pgx_record *request, const char *what,
            const char *fate_hint, MatchdAnswer *answer)
{
	TimestampTz deadline =
	    TimestampTzPlusMilliseconds(GetCurrentTimestamp(), exchange_matchd_timeout);
	MemoryContext cxt = CurrentMemoryContext;
	pgx_str role_str;
	MatchdItem item = {.request = request};

	reserve_frame_buf(PGX_FRAME_MAX);
	role_str.ptr = role;
	role_str.len = (uint16)strlen(role);

	for (int attempt = 0;; attempt++)
	{
		volatile bool again = false;
		char tried[sizeof(leader_path)];
		int64 tried_epoch = leader_epoch;
		/* the answer overwrote the buffer: encode the request (anew) */
		uint64 id = ++last_request_id;
		size_t len = pgx_encode_request(frame_buf, id, role_str, request);

		if (len == 0)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			                errmsg("the %s is too large to send to matchd", what)));
		/* no lease at all is no failover: it fails here, not retried */
		if (discovering())
			(void)target_path();
		strlcpy(tried, discovering() ? leader_path : "", sizeof(tried));

		PG_TRY();
		{
			uint16 type;
			uint32 length =
			    exchange_frame(len, id, deadline, what, fate_hint, attempt > 0, &type);

			if (type != PGX_MSG_RESPONSE)
				malformed_answer(what, psprintf("frame type %u is not a response", type));
			take_answer(length, what, &item);
			/* not acted on: this matchd does not lead (any more) */
			if (item_not_acted_on(&item) && attempt == 0 && discovering())
			{
				matchd_disconnect();
				again = true;
			}
		}
		PG_CATCH();
		{
			/* a late answer must never be read as the next request's */
			matchd_disconnect();
			if (attempt > 0 || !discovering() || !caught_unavailable(cxt))
				PG_RE_THROW();
			again = true;
		}
		PG_END_TRY();

		if (!again || !prepare_retry(attempt, tried, tried_epoch, deadline))
			break;
	}

	if (strcmp(item.sqlstate, PGX_SQLSTATE_RATE_LIMITED) == 0)
		yield_cpu_to_other_brokers();
	if (!item_accepted(&item) && !item.journaled)
		ereport(ERROR, (errcode(PGX_ERRCODE(item.sqlstate)),
		                errmsg("%s", item.message != NULL && item.message[0] != '\0'
		                                 ? item.message
		                                 : "matchd refused the command")));
	if (item.journaled)
		ereport(ERROR,
		        (errcode(PGX_ERRCODE(item.sqlstate)),
		         errmsg("%s",
		                item.message != NULL && item.message[0] != '\0'
		                    ? item.message
		                    : psprintf("matchd's order manager refused the %s: %s", what,
		                               item.answer.reason != NULL ? item.answer.reason
		                                                          : "no reason given")),
		         errdetail("The command was journaled at seq " INT64_FORMAT
		                   " as rejected; nothing changed.",
		                   item.answer.seq)));
	*answer = item.answer;
}

/* ---- pipelined calls ------------------------------------------------------------- */

/*
 * Commands a pipelined call writes before it reads: two windows may be in
 * flight, so that matchd batches a window while the next one is on its way.
 * matchd buffers its answers for a connection, so a window never waits on
 * the backend reading.
 */
#define PIPELINE_WINDOW 256

enum
{
	ITEM_UNSENT = 0,
	ITEM_SENT,
	ITEM_DONE
};

static void
refuse_item(MatchdItem *it, const char *sqlstate, const char *message)
{
	strlcpy(it->sqlstate, sqlstate, sizeof(it->sqlstate));
	it->message = pstrdup(message);
	it->journaled = false;
}

/*
 * Writes the commands todo[from..from+k) as one run of frames (ids base +
 * position), marking in state those wholly written; raises PX040 when the
 * connection fails.  A command too large to encode is refused on the spot
 * (54000) and counts as answered.
 */
static void
send_window(pgx_str role, MatchdItem *items, const int *todo, int from, int k,
            uint64 base, uint8 *state, int *nanswered, const char *what,
            TimestampTz deadline, bool *reused, bool patient)
{
	StringInfoData out;
	uint32 *ends = palloc(sizeof(uint32) * k);
	size_t sent;
	int err, whole = 0;

	initStringInfo(&out);
	for (int j = 0; j < k; j++)
	{
		MatchdItem *it = &items[todo[from + j]];
		size_t len = pgx_encode_request(frame_buf, base + from + j, role, it->request);

		if (len == 0)
		{
			refuse_item(it, "54000",
			            psprintf("the %s is too large to send to matchd", what));
			state[from + j] = ITEM_DONE;
			(*nanswered)++;
		}
		else
			appendBinaryStringInfo(&out, (const char *)frame_buf, (int)len);
		ends[j] = (uint32)out.len;
	}
	for (;;)
	{
		err = send_frame((const uint8 *)out.data, out.len, deadline, &sent);
		if (err != 0 && sent == 0 && *reused)
		{
			/* matchd went away since the last call: nothing left, start afresh */
			matchd_disconnect();
			matchd_connect(deadline, patient);
			*reused = false;
			continue;
		}
		break;
	}
	while (whole < k && ends[whole] <= sent)
	{
		if (state[from + whole] == ITEM_UNSENT)
			state[from + whole] = ITEM_SENT;
		whole++;
	}
	conn_requests += whole;
	if (err != 0)
	{
		errno = err;
		ereport(ERROR, (errcode(ERRCODE_PGX_UNAVAILABLE),
		                errmsg("could not send the %s to matchd: %m", what),
		                errhint("The call may be retried.")));
	}
	pfree(out.data);
	pfree(ends);
}

/*
 * One pass over the items todo[0..ntodo): writes them in windows and takes
 * the answers as they come (a refusal before the sequencer is answered at
 * once, a sequenced command after its batch committed, so not in order: the
 * request id says whose).  A failure of the connection ends the pass: what
 * was sent and not answered has an unknown fate (PX041), what was not sent
 * did not happen (PX040).  Interrupts and other errors propagate.
 */
static void
pipeline_pass(pgx_str role, MatchdItem *items, const int *todo, int ntodo,
              const char *what, const char *fate_hint, bool patient)
{
	MemoryContext cxt = CurrentMemoryContext;
	uint64 base = last_request_id + 1;
	uint8 *state = palloc0(ntodo);
	int nsent = 0, nanswered = 0;

	last_request_id += (uint64)ntodo;
	PG_TRY();
	{
		TimestampTz deadline =
		    TimestampTzPlusMilliseconds(GetCurrentTimestamp(), exchange_matchd_timeout);
		bool reused;

		if (conn_fd != PGINVALID_SOCKET && !connection_reusable())
			matchd_disconnect();
		reused = conn_fd != PGINVALID_SOCKET;
		if (!reused)
			matchd_connect(deadline, patient);
		while (nanswered < ntodo)
		{
			uint32 length;
			uint16 type;
			uint64 id;
			int j;

			if (nsent < ntodo && nsent - nanswered < 2 * PIPELINE_WINDOW)
			{
				int k = Min(ntodo - nsent, PIPELINE_WINDOW);

				send_window(role, items, todo, nsent, k, base, state, &nanswered, what,
				            deadline, &reused, patient);
				nsent += k;
				reused = true;
				continue;
			}
			length = receive_frame(deadline, what, fate_hint);
			(void)pgx_decode_frame_header(frame_buf, &length, &type, &id);
			if (type != PGX_MSG_RESPONSE)
				malformed_answer(what, psprintf("frame type %u is not a response", type));
			if (id == PGX_REQUEST_ID_GOODBYE)
			{
				/* this matchd stops leading: nothing unanswered was acted on */
				MatchdItem bye;

				take_answer(length, what, &bye);
				for (j = 0; j < ntodo; j++)
					if (state[j] != ITEM_DONE)
					{
						refuse_item(&items[todo[j]], bye.sqlstate,
						            bye.message != NULL ? bye.message
						                                : "matchd stopped leading");
						state[j] = ITEM_DONE;
					}
				matchd_disconnect();
				break;
			}
			if (id < base || id - base >= (uint64)nsent || state[id - base] != ITEM_SENT)
				malformed_answer(what, psprintf("answer to request " UINT64_FORMAT
				                                ", which is not awaited",
				                                id));
			j = (int)(id - base);
			take_answer(length, what, &items[todo[j]]);
			state[j] = ITEM_DONE;
			nanswered++;
			/* the timeout bounds the wait for each next answer, not the call */
			deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
			                                       exchange_matchd_timeout);
		}
	}
	PG_CATCH();
	{
		ErrorData *edata;
		bool ours;

		/* a late answer must never be read as the next request's */
		matchd_disconnect();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		ours = edata->sqlerrcode == ERRCODE_PGX_UNAVAILABLE ||
		       edata->sqlerrcode == ERRCODE_PGX_FATE_UNKNOWN ||
		       edata->sqlerrcode == ERRCODE_PGX_PROTOCOL;
		if (!ours)
			PG_RE_THROW();
		/* raised by this file's own socket code, which holds nothing else */
		FlushErrorState();
		for (int j = 0; j < ntodo; j++)
		{
			MatchdItem *it = &items[todo[j]];

			if (state[j] == ITEM_SENT)
				refuse_item(
				    it, PGX_SQLSTATE_FATE_UNKNOWN,
				    psprintf("the %s's fate is unknown: %s", what,
				             edata->detail != NULL ? edata->detail : edata->message));
			else if (state[j] == ITEM_UNSENT)
				refuse_item(it, PGX_SQLSTATE_UNAVAILABLE,
				            psprintf("the %s was not sent: %s", what, edata->message));
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	pfree(state);
}

void
matchd_call_many(const char *role, MatchdItem *items, int n, const char *what,
                 const char *fate_hint)
{
	int *todo = palloc(sizeof(int) * Max(n, 1));
	int ntodo = 0;
	pgx_str role_str;

	reserve_frame_buf(PGX_FRAME_MAX);
	role_str.ptr = role;
	role_str.len = (uint16)strlen(role);
	for (int i = 0; i < n; i++)
		if (items[i].request != NULL)
			todo[ntodo++] = i;

	for (int attempt = 0; ntodo > 0; attempt++)
	{
		char tried[sizeof(leader_path)];
		int64 tried_epoch = leader_epoch;
		int again = 0;

		/* no lease at all is no failover: it fails here, not retried */
		if (discovering())
			(void)target_path();
		strlcpy(tried, discovering() ? leader_path : "", sizeof(tried));
		pipeline_pass(role_str, items, todo, ntodo, what, fate_hint, attempt > 0);
		/* what certainly was not acted on goes once more, to the new leader */
		for (int k = 0; k < ntodo; k++)
			if (item_not_acted_on(&items[todo[k]]))
				todo[again++] = todo[k];
		if (again == 0 ||
		    !prepare_retry(attempt, tried, tried_epoch,
		                   TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
		                                               exchange_matchd_timeout)))
			break;
		ntodo = again;
	}
	for (int i = 0; i < n; i++)
		if (items[i].request != NULL &&
		    strcmp(items[i].sqlstate, PGX_SQLSTATE_RATE_LIMITED) == 0)
		{
			yield_cpu_to_other_brokers();
			break;
		}
	pfree(todo);
}

void
matchd_query(const pgx_md_query *query, const char *what, pgx_md_reply *reply)
{
	TimestampTz deadline =
	    TimestampTzPlusMilliseconds(GetCurrentTimestamp(), exchange_matchd_timeout);
	MemoryContext cxt = CurrentMemoryContext;
	char sqlstate[5] = {0};
	char *message = NULL;

	reserve_frame_buf(PGX_FRAME_MAX);
	for (int attempt = 0;; attempt++)
	{
		volatile bool again = false;
		char tried[sizeof(leader_path)];
		int64 tried_epoch = leader_epoch;
		uint64 id = ++last_request_id;
		size_t len = pgx_encode_md_query(frame_buf, id, query);

		if (len == 0)
			ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG),
			                errmsg("the symbol of the %s is too long", what)));
		/* no lease at all is no failover: it fails here, not retried */
		if (discovering())
			(void)target_path();
		strlcpy(tried, discovering() ? leader_path : "", sizeof(tried));
		memset(sqlstate, 0, sizeof(sqlstate));

		PG_TRY();
		{
			uint16 type;
			uint32 length =
			    exchange_frame(len, id, deadline, what, NULL, attempt > 0, &type);
			const uint8 *body = frame_buf + PGX_FRAME_HEADER;
			pgx_response resp;

			if (type == PGX_MSG_RESPONSE)
			{
				/* refused before it was looked at (not the leader, stopping, malformed)
				 */
				if (!pgx_decode_response(body, length - PGX_FRAME_HEADER, &resp) ||
				    resp.outcome != PGX_OUTCOME_ERROR || !valid_sqlstate(resp.sqlstate))
					malformed_answer(what, "a response that is not a refusal");
				memcpy(sqlstate, resp.sqlstate, 5);
				message = answer_string(resp.message, what, "the error message");
				if (refused_as_not_leader(sqlstate) && attempt == 0 && discovering())
				{
					matchd_disconnect();
					again = true;
				}
			}
			else if (type != PGX_MSG_MD_REPLY)
				malformed_answer(what, psprintf("frame type %u is not a reply", type));
			else if (!pgx_decode_md_reply(body, length - PGX_FRAME_HEADER, reply))
				malformed_answer(what, "reply does not decode");
			else if (reply->outcome == PGX_OUTCOME_ERROR)
			{
				if (!valid_sqlstate(reply->sqlstate))
					malformed_answer(what, "invalid SQLSTATE in an error reply");
				memcpy(sqlstate, reply->sqlstate, 5);
				message = answer_string(reply->message, what, "the error message");
			}
		}
		PG_CATCH();
		{
			matchd_disconnect();
			if (attempt > 0 || !discovering() || !caught_unavailable(cxt))
				PG_RE_THROW();
			again = true;
		}
		PG_END_TRY();

		if (!again || !prepare_retry(attempt, tried, tried_epoch, deadline))
			break;
	}

	if (sqlstate[0] != 0)
		ereport(ERROR, (errcode(PGX_ERRCODE(sqlstate)),
		                errmsg("%s", message != NULL && message[0] != '\0'
		                                 ? message
		                                 : "matchd refused the query")));
}
