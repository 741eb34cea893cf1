/*
 * exchange.c
 *		Module entry of the `exchange` extension: its settings.
 *
 * The extension's functions live in files of one purpose each:
 *	ticks.c			exact numeric price <-> integer tick conversions
 *	batch.c			the journal batch codec (include/exchange_wire.h) for the sequencer
 *	journal_insert.c	the fast write of a batch into the journal's partitions
 *	publish.c		real-time notifications of a batch, sent at its commit
 *	matchd_client.c	the per-backend connection to matchd (order-entry protocol)
 *	order_entry.c	the order and reference-data functions that talk to matchd
 *	order_manager.c	the order manager's commands (accounts, cash, shares, limits,
 *					halts, the session) and the shared risk defaults
 *	wallets.c		the wallet projection (PWL1) append_batch writes
 */
#include "postgres.h"

#include <limits.h>
#include <sys/un.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "exchange.h"

PG_MODULE_MAGIC;

void _PG_init(void);

/* exchange.matchd_socket: Unix socket path of matchd; '' = the leader's, from its lease
 */
char *exchange_matchd_socket = NULL;
/* exchange.matchd_stream: the journal stream the matchd at matchd_socket serves */
char *exchange_matchd_stream = NULL;
/* exchange.matchd_timeout: how long an order function waits for matchd (ms) */
int exchange_matchd_timeout = 5000;
/* exchange.rate_limited_nice: the niceness a backend takes on its first PX076 */
int exchange_rate_limited_nice = 0;

static bool
check_matchd_socket(char **newval, void **extra, GucSource source)
{
	struct sockaddr_un addr;

	if (*newval != NULL && strlen(*newval) >= sizeof(addr.sun_path))
	{
		GUC_check_errdetail("A Unix socket path has at most %d bytes.",
		                    (int)sizeof(addr.sun_path) - 1);
		return false;
	}
	return true;
}

/* a stream name as exchange.streams allows: ^[a-z][a-z0-9_]{0,62}$ */
static bool
check_matchd_stream(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > 63 || s[0] < 'a' || s[0] > 'z')
	{
		GUC_check_errdetail("A stream name is a lower-case letter, then up to 62 "
		                    "lower-case letters, digits or underscores.");
		return false;
	}
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
		{
			GUC_check_errdetail("A stream name is a lower-case letter, then up to 62 "
			                    "lower-case letters, digits or underscores.");
			return false;
		}
	return true;
}

void
_PG_init(void)
{
	DefineCustomStringVariable(
	    "exchange.matchd_socket", "Unix socket path of the matching daemon matchd.",
	    "The order functions (exchange.submit_order and the others) send their "
	    "commands there. Empty: to the leader of exchange.matchd_stream, as its "
	    "lease records it (exchange.leader_endpoint), looked up again and the "
	    "request tried once more when that leader cannot be reached.",
	    &exchange_matchd_socket, "", PGC_SUSET, 0, check_matchd_socket, NULL, NULL);
	DefineCustomStringVariable(
	    "exchange.matchd_stream",
	    "Journal stream of matchd (matchd --stream): whose leader the order functions "
	    "look up when exchange.matchd_socket is empty.",
	    "exchange.open_market() and exchange.close_market() take the session's "
	    "trading day from this stream's schedule and return its market status.",
	    &exchange_matchd_stream, "main", PGC_SUSET, 0, check_matchd_stream, NULL, NULL);
	DefineCustomIntVariable(
	    "exchange.matchd_timeout",
	    "How long an order function waits for matchd, from connecting to the answer.",
	    "After this time an order function fails: with PX040 when the request "
	    "could not be sent, with PX041 (fate unknown) when it was sent.",
	    &exchange_matchd_timeout, 5000, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, NULL, NULL,
	    NULL);
	DefineCustomIntVariable(
	    "exchange.rate_limited_nice",
	    "CPU niceness a backend takes when matchd first refuses one of its orders as "
	    "rate limited (PX076); 0 leaves it alone.",
	    "A flood of refused calls costs backend CPU (parse, checks, the error) that the "
	    "other brokers' backends need on the same cores: a backend whose session was "
	    "rate limited keeps running at this niceness until it exits, so under "
	    "contention the kernel runs the others first. Unprivileged processes cannot "
	    "lower their niceness again, so this is one-way for the backend's life.",
	    &exchange_rate_limited_nice, 0, 0, 19, PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("exchange");
}
