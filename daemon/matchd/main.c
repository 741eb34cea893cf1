/*
 * main.c - matchd: the matching daemon of pgexchange.
 *
 * One process, two threads.  The main thread runs the event loop: it reads
 * requests from the extension's connections, passes each through the
 * pipeline (order manager hook, sequencer, matching core, journal records)
 * into the open batch, and answers a request only once the batch holding its
 * records has committed.  The journal thread appends batches; while one
 * commits, the next fills (group commit).  A batch is handed over when the
 * writer is free and either its oldest record has waited --batch-delay-us
 * (default 0: at once, after the requests that arrived together) or it holds
 * --batch-max records.
 *
 * High availability (docs/high-availability.md): a leader holds the stream's
 * lease (lease.c: a heartbeat thread renews it) and refuses requests with
 * PX043 once it could have lapsed; a --standby tails the journal (standby.c)
 * with hot books and takes the lease over, with a new epoch, when it opens.
 * A switchover hands the stream to another node and turns this one into a
 * standby.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "feed.h"
#include "ha.h"
#include "journal.h"
#include "lease.h"
#include "mdquery.h"
#include "log.h"
#include "pipeline.h"
#include "recovery.h"
#include "scheduler.h"
#include "server.h"
#include "snapsave.h"
#include "snapshot.h"
#include "standby.h"

#define TAG_WRITER   (SERVER_TAG_LISTENER + 1)
#define TAG_SIGNAL   (SERVER_TAG_LISTENER + 2)
#define TAG_SCHEDULE (SERVER_TAG_LISTENER + 3)
#define TAG_FEED     (SERVER_TAG_LISTENER + 4)
#define TAG_LEASE    (SERVER_TAG_LISTENER + 5)

/* The role journaled for the opens and closes of the schedule. */
#define SCHEDULER_ROLE "matchd-scheduler"
/* The role journaled for the sequencer's expiries of good-till-date orders. */
#define SEQUENCER_ROLE "matchd-sequencer"

/* microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch) */
#define PG_EPOCH_US 946684800000000LL

typedef struct options
{
	const char *conninfo;
	const char *stream;
	const char *socket_path;
	const char *pidfile;
	uint32_t batch_max;
	uint32_t batch_delay_us;
	uint32_t max_connections;
	uint32_t schedule_interval_ms;
	int replay_from_start;
	int standby;         /* --standby: tail the stream until the lease opens */
	int force_take_over; /* --force-take-over: take_over_stream, no lease */
	char node[64];       /* --node, default: the host name */
	uint32_t lease_ms, heartbeat_ms, poll_ms;
	pl_config pl;
	feed_config feed;
} options;

typedef struct ack
{
	conn_ref who;
	uint64_t request_id;
	pl_result res;
} ack;

/* A market-data reply (in its slot's md_buf) that waits for the commit of
 * the state it describes. */
typedef struct md_pending
{
	conn_ref who;
	size_t off, len;
} md_pending;

/* A batch with the acknowledgements that wait for its commit. */
typedef struct slot
{
	batchbuf bb;
	uint8_t *wallets; /* the wallet projection of the batch (PWL1) */
	size_t wallets_cap, wallets_len;
	ack *acks;
	uint32_t nacks, cap;
	uint64_t opened_us;
	uint8_t *md_buf; /* market-data replies, back to back */
	size_t md_len, md_cap;
	md_pending *md;
	uint32_t nmd, md_slots;
	uint8_t *snap; /* the state after the batch's market_close, to save once it commits */
	size_t snap_len;
	int64_t snap_seq;
} slot;

static struct
{
	options opt;
	pipeline *pl;
	server *srv;
	journal *jr;
	int epfd, writer_fd, signal_fd, schedule_fd;
	scheduler *sched;
	feed *feed; /* NULL without --feed */
	snapsaver *saver;
	lease *lease; /* NULL without a lease (--force-take-over, or before 1.6) */
	ha_config ha;
	int lease_fd;     /* eventfd: the heartbeat saw a switchover request */
	int handing_over; /* switchover: refuse (PX043), commit what is pending */
	int stream_id;
	int pidfile_written;
	uint64_t open_seen_us; /* standby: when the lease was seen open */
	journal_stats jst;     /* of every leadership of this process */
	/* where a batch's time goes in this process (the breakdown of the stop
	 * line): its first command's wait for the hand-over, the writer's
	 * finish to the event loop's notice, and the answers' writes */
	uint64_t wait_us_total, back_us_total, answer_us_total;
	slot slots[2];
	int open;     /* index of the filling slot */
	int inflight; /* index of the committing slot, -1 when the writer is idle */
	int stopping;
	conn_ref subscribers[16]; /* PGX_MSG_SUBSCRIBE: the order-event stream */
	uint32_t nsubscribers;
	uint64_t commands, refusals, injected, expiries, md_queries, snapshots_taken;
	uint64_t snapshots_saved, snapshots_failed;
	mdq_scratch mdq;
} d;

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wall clock in microseconds since 2000-01-01 UTC (a TimestampTz). */
static int64_t
wall_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - PG_EPOCH_US;
}

static void
usage(FILE *f)
{
	fputs(
	    "Usage: matchd --socket PATH [options]\n"
	    "\n"
	    "The matching daemon of pgexchange: serves the exchange extension's order\n"
	    "functions on a Unix socket and journals every command and event through\n"
	    "exchange.append_batch() before acknowledging it.\n"
	    "\n"
	    "  --socket PATH           Unix socket to listen on (required); the extension's\n"
	    "                          exchange.matchd_socket must name it\n"
	    "  --conninfo STR          libpq connection string (default: the PG* variables)\n"
	    "  --stream NAME           journal stream to take over (default: main)\n"
	    "  --batch-max N           close a batch at N records (default: 10000)\n"
	    "  --batch-delay-us N      close a batch when its first record has waited N\n"
	    "                          microseconds and the writer is free (default: 0:\n"
	    "                          as soon as the writer is free)\n"
	    "  --max-symbols N         symbols matchd can hold (default: 1024)\n"
	    "  --max-accounts N        accounts matchd can hold (default: 100000)\n"
	    "  --max-orders N          resting orders, all symbols (default: 1000000)\n"
	    "  --max-levels N          price levels, all symbols and sides (default: "
	    "200000)\n"
	    "  --max-positions N       share positions (account, symbol) (default: "
	    "1000000)\n"
	    "  --max-connections N     client connections (default: 1024)\n"
	    "  --schedule-interval-ms N  how often to read the trading schedule\n"
	    "                          (default: 1000)\n"
	    "  --pidfile PATH          write the process id here once ready\n"
	    "  --feed ADDR:PORT        publish the market-data feed (MoldUDP64 over UDP)\n"
	    "                          to a multicast group, broadcast or unicast address\n"
	    "  --feed-iface ADDR       local interface address for the feed (multicast:\n"
	    "                          IP_MULTICAST_IF, e.g. 127.0.0.1 for loopback)\n"
	    "  --feed-ttl N            multicast hops (default: 1)\n"
	    "  --feed-session NAME     feed session name, 10 characters at most (default:\n"
	    "                          the stream's epoch)\n"
	    "  --feed-packet-bytes N   UDP payload at most (default: 1200)\n"
	    "  --feed-heartbeat-ms N   heartbeat when idle (default: 1000)\n"
	    "  --node NAME             this matchd's name in the stream's lease (default:\n"
	    "                          the host name)\n"
	    "  --standby               a hot standby: replay the journal as it commits\n"
	    "                          (no socket) and take the lease over when it opens\n"
	    "  --lease-ms N            lease duration (default: 1000)\n"
	    "  --heartbeat-ms N        lease renewal / lag report interval (default:\n"
	    "                          lease-ms / 4)\n"
	    "  --poll-ms N             standby: how often it asks whether the lease is\n"
	    "                          open (default: 20)\n"
	    "  --force-take-over       take the stream over without a lease\n"
	    "                          (exchange.take_over_stream; fences any leader)\n"
	    "  --replay-from-start     ignore the saved snapshots and replay the whole\n"
	    "                          journal, comparing the state with every saved\n"
	    "                          snapshot on the way (exit 4 on a difference)\n"
	    "  --log-level LEVEL       error, warn, info (default) or debug\n"
	    "  --help                  this text\n"
	    "\n"
	    "Start: acquires the stream's lease (new epoch), loads the latest state "
	    "snapshot\n"
	    "(exchange.latest_snapshot: books, wallets, limits, session; checked by\n"
	    "SHA-256) and replays the journal after it, or the whole stream when there\n"
	    "is none, verifying every replayed command's records byte for byte; then\n"
	    "listens and opens and closes the market on exchange.market_schedule.\n"
	    "After every accepted market close it saves a snapshot of its state\n"
	    "(exchange.save_snapshot) once the close has committed.  SIGTERM: stops\n"
	    "accepting, commits what is pending, answers, exits 0.\n"
	    "SIGTERM of a leader also releases its lease, so that a standby takes over\n"
	    "at once.\n"
	    "Exit status: 0 clean shutdown, 1 error, 2 usage, 3 fenced off by another\n"
	    "matchd (stale epoch or lost lease), 4 replay did not match the journal or a "
	    "saved\n"
	    "snapshot, 5 the latest snapshot is damaged or does not load.\n",
	    f);
}

static int
parse_u32(const char *name, const char *v, uint32_t min, uint32_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < min || n > UINT32_MAX)
	{
		fprintf(stderr, "matchd: --%s needs an integer >= %u, not \"%s\"\n", name, min,
		        v);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

static int
parse_options(int argc, char **argv, options *o)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"conninfo", required_argument, NULL, 'c'},
	    {"stream", required_argument, NULL, 'n'},
	    {"batch-max", required_argument, NULL, 'b'},
	    {"batch-delay-us", required_argument, NULL, 'd'},
	    {"max-symbols", required_argument, NULL, 'S'},
	    {"max-accounts", required_argument, NULL, 'A'},
	    {"max-orders", required_argument, NULL, 'O'},
	    {"max-levels", required_argument, NULL, 'L'},
	    {"max-positions", required_argument, NULL, 'P'},
	    {"schedule-interval-ms", required_argument, NULL, 'I'},
	    {"max-connections", required_argument, NULL, 'C'},
	    {"pidfile", required_argument, NULL, 'p'},
	    {"feed", required_argument, NULL, FEED_OPT_ADDR},
	    {"feed-iface", required_argument, NULL, FEED_OPT_IFACE},
	    {"feed-ttl", required_argument, NULL, FEED_OPT_TTL},
	    {"feed-session", required_argument, NULL, FEED_OPT_SESSION},
	    {"feed-packet-bytes", required_argument, NULL, FEED_OPT_PACKET},
	    {"feed-heartbeat-ms", required_argument, NULL, FEED_OPT_HEARTBEAT},
	    {"log-level", required_argument, NULL, 'l'},
	    {"replay-from-start", no_argument, NULL, 'R'},
	    {"standby", no_argument, NULL, 'Y'},
	    {"force-take-over", no_argument, NULL, 'F'},
	    {"node", required_argument, NULL, 'N'},
	    {"lease-ms", required_argument, NULL, 'E'},
	    {"heartbeat-ms", required_argument, NULL, 'H'},
	    {"poll-ms", required_argument, NULL, 'Q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int ch;

	*o = (options){.conninfo = "",
	               .stream = "main",
	               .batch_max = 10000,
	               .batch_delay_us = 0,
	               .max_connections = 1024,
	               .schedule_interval_ms = 1000,
	               .pl = {.max_symbols = 1024,
	                      .max_accounts = 100000,
	                      .max_orders = 1000000,
	                      .max_levels = 200000,
	                      .max_positions = 1000000}};
	feed_config_init(&o->feed);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
	{
		int rc = 0;

		switch (ch)
		{
			case 's':
				o->socket_path = optarg;
				break;
			case 'c':
				o->conninfo = optarg;
				break;
			case 'n':
				o->stream = optarg;
				break;
			case 'b':
				rc = parse_u32("batch-max", optarg, 1, &o->batch_max);
				break;
			case 'd':
				rc = parse_u32("batch-delay-us", optarg, 0, &o->batch_delay_us);
				break;
			case 'S':
				rc = parse_u32("max-symbols", optarg, 1, &o->pl.max_symbols);
				break;
			case 'A':
				rc = parse_u32("max-accounts", optarg, 1, &o->pl.max_accounts);
				break;
			case 'O':
				rc = parse_u32("max-orders", optarg, 1, &o->pl.max_orders);
				break;
			case 'P':
				rc = parse_u32("max-positions", optarg, 1, &o->pl.max_positions);
				break;
			case 'I':
				rc = parse_u32("schedule-interval-ms", optarg, 10,
				               &o->schedule_interval_ms);
				break;
			case 'L':
				rc = parse_u32("max-levels", optarg, 2, &o->pl.max_levels);
				break;
			case 'C':
				rc = parse_u32("max-connections", optarg, 1, &o->max_connections);
				break;
			case 'p':
				o->pidfile = optarg;
				break;
			case 'R':
				o->replay_from_start = 1;
				break;
			case 'Y':
				o->standby = 1;
				break;
			case 'F':
				o->force_take_over = 1;
				break;
			case 'N':
				if (*optarg == '\0' || strlen(optarg) >= sizeof(o->node))
				{
					fprintf(stderr, "matchd: --node needs 1 to %zu characters\n",
					        sizeof(o->node) - 1);
					rc = -1;
				}
				else
					snprintf(o->node, sizeof(o->node), "%s", optarg);
				break;
			case 'E':
				rc = parse_u32("lease-ms", optarg, 50, &o->lease_ms);
				break;
			case 'H':
				rc = parse_u32("heartbeat-ms", optarg, 5, &o->heartbeat_ms);
				break;
			case 'Q':
				rc = parse_u32("poll-ms", optarg, 1, &o->poll_ms);
				break;
			case FEED_OPT_ADDR:
			case FEED_OPT_IFACE:
			case FEED_OPT_TTL:
			case FEED_OPT_SESSION:
			case FEED_OPT_PACKET:
			case FEED_OPT_HEARTBEAT:
				rc = feed_option(&o->feed, ch, optarg);
				break;
			case 'l':
				if ((log_level = log_level_parse(optarg)) < 0)
				{
					fprintf(stderr, "matchd: unknown --log-level \"%s\"\n", optarg);
					rc = -1;
				}
				break;
			case 'h':
				usage(stdout);
				exit(0);
			default:
				rc = -1;
		}
		if (rc != 0)
			return -1;
	}
	if (optind < argc)
	{
		fprintf(stderr, "matchd: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->socket_path == NULL)
	{
		fprintf(stderr, "matchd: --socket is required\n");
		return -1;
	}
	if (o->lease_ms == 0)
		o->lease_ms = 1000;
	if (o->heartbeat_ms == 0)
		o->heartbeat_ms = o->lease_ms / 4;
	if (o->poll_ms == 0)
		o->poll_ms = 20;
	/* a heartbeat must fit in the lease more than once, or it lapses between two */
	if (o->heartbeat_ms * 2 > o->lease_ms)
	{
		fprintf(stderr,
		        "matchd: --heartbeat-ms %u must be at most half of --lease-ms %u\n",
		        o->heartbeat_ms, o->lease_ms);
		return -1;
	}
	if (o->standby && (o->force_take_over || o->replay_from_start))
	{
		fprintf(stderr, "matchd: --standby excludes --force-take-over and "
		                "--replay-from-start\n");
		return -1;
	}
	if (o->node[0] == '\0' &&
	    (gethostname(o->node, sizeof(o->node) - 1) != 0 || o->node[0] == '\0'))
		snprintf(o->node, sizeof(o->node), "matchd");
	return feed_config_check(&o->feed);
}

/* ---- answers --------------------------------------------------------------- */

static void
send_response(conn_ref who, uint64_t request_id, const pgx_response *r)
{
	uint8_t buf[PGX_FRAME_HEADER + PGX_RESPONSE_FIXED + 4 + 256 + 512];
	size_t n;

	if (pgx_response_size(r) > sizeof(buf))
		return;
	n = pgx_encode_response(buf, request_id, r);
	server_send(d.srv, who, buf, n);
}

static void
refuse(conn_ref who, uint64_t request_id, const char *sqlstate, const char *message)
{
	pgx_response r = {.outcome = PGX_OUTCOME_ERROR};

	memcpy(r.sqlstate, sqlstate, 5);
	r.reason.len = PGX_STR_NULL;
	r.message.ptr = message;
	r.message.len = (uint16_t)strnlen(message, 500);
	d.refusals++;
	send_response(who, request_id, &r);
}

static void
acknowledge(const ack *a)
{
	pgx_response r = {.outcome = PGX_OUTCOME_DONE};

	memcpy(r.sqlstate, a->res.sqlstate, 5);
	r.status = a->res.status;
	r.seq = a->res.seq;
	r.order_id = a->res.order_id;
	r.created_ts = a->res.created_ts;
	r.filled = a->res.filled;
	r.remaining = a->res.remaining;
	r.reason.ptr = a->res.reason;
	r.reason.len = a->res.reason ? (uint16_t)strlen(a->res.reason) : PGX_STR_NULL;
	r.message.len = PGX_STR_NULL;
	if (a->res.message[0] != '\0')
	{
		r.message.ptr = a->res.message;
		r.message.len = (uint16_t)strnlen(a->res.message, sizeof(a->res.message));
	}
	send_response(a->who, a->request_id, &r);
}

/* ---- group commit ---------------------------------------------------------- */

static void die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
die(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mlog(LOG_ERROR, "%s; exiting without acknowledging anything more", msg);
	/* no acknowledgement may leave after this: do not run anything else */
	_exit(status);
}

static void
handoff(void)
{
	slot *s = &d.slots[d.open];

	int n;

	bb_finish(&s->bb);
	/* the wallet entries the batch's commands changed go in its transaction */
	if ((n = pl_flush_wallets(d.pl, &s->wallets, &s->wallets_cap, &s->wallets_len)) < 0)
		die(1, "out of memory encoding the wallet projection");
	d.wait_us_total += mono_us() - s->opened_us;
	journal_submit(d.jr, &s->bb, n > 0 ? s->wallets : NULL, n > 0 ? s->wallets_len : 0);
	d.inflight = d.open;
	d.open ^= 1;
	bb_reset(&d.slots[d.open].bb);
	d.slots[d.open].nacks = 0;
}

static void
maybe_handoff(void)
{
	slot *s = &d.slots[d.open];

	if (d.inflight >= 0 || s->bb.commands == 0)
		return;
	if (d.stopping || d.handing_over || s->bb.records >= d.opt.batch_max ||
	    mono_us() - s->opened_us >= d.opt.batch_delay_us)
		handoff();
}

/*
 * The order-event stream: the committed batch, after its answers, to every
 * subscriber (exchange_wire.h, PGX_MSG_SUBSCRIBE).  A subscriber gone is
 * forgotten; one whose frame cannot be sent loses its subscription and its
 * connection is left to notice (it reads the journal for what it missed).
 */
static void
publish_events(const slot *s)
{
	uint8_t hdr[PGX_FRAME_HEADER];
	uint32_t keep = 0;

	if (d.nsubscribers == 0)
		return;
	if (s->bb.len + PGX_FRAME_HEADER > PGX_MD_REPLY_MAX)
	{
		mlog(LOG_WARN,
		     "batch of %zu bytes too large for the event stream; %u subscribers "
		     "dropped",
		     s->bb.len, d.nsubscribers);
		d.nsubscribers = 0;
		return;
	}
	pgx_encode_frame_header(hdr, (uint32_t)(PGX_FRAME_HEADER + s->bb.len), PGX_MSG_EVENTS,
	                        (uint64_t)s->bb.last_seq);
	for (uint32_t i = 0; i < d.nsubscribers; i++)
	{
		conn_ref who = d.subscribers[i];

		if (server_send(d.srv, who, hdr, sizeof(hdr)) != 0 ||
		    server_send(d.srv, who, s->bb.buf, s->bb.len) != 0)
			continue;
		d.subscribers[keep++] = who;
	}
	d.nsubscribers = keep;
}

static void
on_subscribe(conn_ref who, const uint8_t *body, size_t len)
{
	const uint8_t *p = body, *end = body + len;
	char roles[256];
	size_t off = 0;
	pgx_str r;

	roles[0] = '\0';
	while (p < end && pgx_take_str(&p, end, &r) && r.len != PGX_STR_NULL)
		off +=
		    (size_t)snprintf(roles + off, off < sizeof(roles) ? sizeof(roles) - off : 0,
		                     "%s%.*s", off ? " " : "", (int)r.len, r.ptr);
	if (off >= sizeof(roles))
		roles[sizeof(roles) - 1] = '\0';
	for (uint32_t i = 0; i < d.nsubscribers; i++)
		if (d.subscribers[i].slot == who.slot && d.subscribers[i].gen == who.gen)
			return;
	if (d.nsubscribers == sizeof(d.subscribers) / sizeof(d.subscribers[0]))
		return refuse(who, 0, PGX_SQLSTATE_CAPACITY, "too many event subscribers");
	d.subscribers[d.nsubscribers++] = who;
	mlog(LOG_INFO, "connection %u subscribed to the order-event stream (roles: %s)",
	     who.slot, roles[0] ? roles : "-");
}

/* The writer finished a batch: answer its requests. */
static void
writer_done(void)
{
	char msg[512];
	int r = journal_poll(d.jr, msg, sizeof(msg));
	uint64_t t0 = mono_us();
	slot *s;

	if (r == JOURNAL_BUSY || d.inflight < 0)
		return;
	if (r == JOURNAL_FENCED)
		die(3, "%s", msg);
	if (r != JOURNAL_COMMITTED)
		die(1, "journal: %s", msg);
	s = &d.slots[d.inflight];
	mlog(LOG_DEBUG, "committed seq %" PRId64 "..%" PRId64 " (%u records, %u answers)",
	     s->bb.first_seq, s->bb.last_seq, s->bb.records, s->nacks);
	d.back_us_total += t0 - journal_done_us(d.jr);
	lease_set_applied(d.lease, s->bb.last_seq);
	/* the batch's answers and events leave with one write per connection */
	server_cork(d.srv);
	for (uint32_t i = 0; i < s->nacks; i++)
		acknowledge(&s->acks[i]);
	s->nacks = 0;
	d.answer_us_total += mono_us() - t0;
	for (uint32_t i = 0; i < s->nmd; i++)
		server_send(d.srv, s->md[i].who, s->md_buf + s->md[i].off, s->md[i].len);
	s->nmd = 0;
	s->md_len = 0;
	publish_events(s);
	server_uncork(d.srv);
	/*
	 * The public feed goes after the answers: the brokers' backends are what
	 * order entry waits for, and a few microseconds more for the feed cost
	 * nobody an edge over anybody else (every subscriber gets the same
	 * packet).  It never goes before the commit: the feed must not show what
	 * a crash could take back.
	 */
	if (d.feed)
		feed_publish(d.feed, s->bb.buf, s->bb.len);
	/* the close's seq has committed: its state may be saved now */
	if (s->snap)
	{
		snapsaver_submit(d.saver, s->snap_seq, s->snap, s->snap_len);
		s->snap = NULL;
	}
	d.inflight = -1;
}

/* Blocks until the writer is free (the open batch is full). */
static void
wait_for_writer(void)
{
	while (d.inflight >= 0)
	{
		uint64_t n;
		struct epoll_event ev;

		/* only the writer's eventfd matters now: everything else waits for it */
		if (read(d.writer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		{
			int fd = epoll_create1(EPOLL_CLOEXEC);
			struct epoll_event want = {.events = EPOLLIN, .data.u64 = 0};

			epoll_ctl(fd, EPOLL_CTL_ADD, d.writer_fd, &want);
			epoll_wait(fd, &ev, 1, -1);
			close(fd);
			continue;
		}
		writer_done();
	}
}

/* ---- requests -------------------------------------------------------------- */

/* Room in the open batch for one more command and its answer; 0 or -1. */
static int
make_room(void)
{
	slot *s = &d.slots[d.open];

	if (s->bb.records >= d.opt.batch_max)
	{
		wait_for_writer();
		handoff();
		s = &d.slots[d.open];
	}
	if (s->nacks == s->cap)
	{
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		ack *p = realloc(s->acks, cap * sizeof(ack));

		if (p == NULL)
			return -1;
		s->acks = p;
		s->cap = cap;
	}
	return 0;
}

/*
 * The end of a trading day: the state right after the close, serialized here
 * in the matching thread so that it is exactly the state after that seq.  It
 * waits in the batch's slot and is saved only once the batch has committed
 * (writer_done).  Failing to take it costs the next recovery some replay,
 * never trading: log it, the next close tries again.
 */
static void
take_snapshot(slot *s, int64_t seq)
{
	uint64_t t0 = mono_us();
	uint8_t *blob;
	size_t len;

	if (snap_save(d.pl, &blob, &len) != 0)
	{
		mlog(LOG_WARN, "cannot take the snapshot of seq %" PRId64 ": out of memory", seq);
		return;
	}
	free(s->snap); /* an earlier close of the same batch: the later state wins */
	s->snap = blob;
	s->snap_len = len;
	s->snap_seq = seq;
	d.snapshots_taken++;
	mlog(LOG_INFO,
	     "took the snapshot of seq %" PRId64 " (the close; %zu bytes, %u open orders) in "
	     "%.1f ms; saving it once the close has committed",
	     seq, len, pl_open_orders(d.pl), (double)(mono_us() - t0) / 1000.0);
}

/* Applies a stamped command into the open batch; its answer waits for the commit. */
static void
apply(const pgx_record *cmd, conn_ref who, uint64_t request_id, int answer)
{
	slot *s = &d.slots[d.open];
	ack *a = &s->acks[s->nacks];
	pl_error err;

	if (pl_apply(d.pl, cmd, &s->bb, &a->res, &err) != 0)
		die(1, "cannot apply seq %" PRId64 ": %s", cmd->seq, err.message);
	if (s->bb.commands == 1)
		s->opened_us = mono_us();
	if (cmd->kind == PGX_KIND_MARKET_CLOSE && a->res.status != PGX_STATUS_REJECTED)
		take_snapshot(s, cmd->seq);
	if (!answer)
		return;
	a->who = who;
	a->request_id = request_id;
	s->nacks++;
	d.commands++;
}

/* Keeps a reply in slot s until the slot's batch has committed. */
static int
hold_reply(slot *s, conn_ref who, const uint8_t *frame, size_t len)
{
	if (s->nmd == s->md_slots)
	{
		uint32_t n = s->md_slots ? s->md_slots * 2 : 16;
		md_pending *p = realloc(s->md, n * sizeof(*p));

		if (p == NULL)
			return -1;
		s->md = p;
		s->md_slots = n;
	}
	if (s->md_len + len > s->md_cap)
	{
		size_t cap = s->md_cap ? s->md_cap : 65536;
		uint8_t *b;

		while (cap < s->md_len + len)
			cap *= 2;
		if ((b = realloc(s->md_buf, cap)) == NULL)
			return -1;
		s->md_buf = b;
		s->md_cap = cap;
	}
	memcpy(s->md_buf + s->md_len, frame, len);
	s->md[s->nmd++] = (md_pending){who, s->md_len, len};
	s->md_len += len;
	return 0;
}

/*
 * A market-data query: the reply describes the state after the last stamped
 * command and leaves when that command has committed: at once when nothing
 * is pending, else with the acknowledgements of the batch that holds it.
 */
static void
on_md_query(conn_ref who, uint64_t request_id, const uint8_t *body, size_t len)
{
	pgx_md_query q;
	slot *s = NULL;
	size_t n;
	int is_error;

	if (!pgx_decode_md_query(body, len, &q))
		return refuse(who, request_id, PGX_SQLSTATE_PROTOCOL,
		              "malformed market-data query");
	if ((n = mdq_reply(d.pl, request_id, &q, &d.mdq, &is_error)) == 0)
		return refuse(who, request_id, "53200", "matchd is out of memory");
	d.md_queries++;
	if (!is_error && d.slots[d.open].bb.commands > 0)
		s = &d.slots[d.open];
	else if (!is_error && d.inflight >= 0)
		s = &d.slots[d.inflight];
	if (s == NULL)
		server_send(d.srv, who, d.mdq.buf, n);
	else if (hold_reply(s, who, d.mdq.buf, n) != 0)
		refuse(who, request_id, "53200", "matchd is out of memory");
}

/*
 * The sequencer's expiries: every good-till-date order whose time has come at
 * now is expired by a command of its own, before the command stamped next
 * (so no order trades after its expire time) and on every scheduler wake.
 * The core checks each command's time against the order's, so a replay
 * expires exactly what the journal shows.
 */
static void
inject_expiries(int64_t now)
{
	conn_ref nobody = {0};
	uint64_t id, at;

	while (mc_engine_next_expiry(pl_engine(d.pl), &id, &at) &&
	       (int64_t)at <= (now > pl_last_ts(d.pl) ? now : pl_last_ts(d.pl)))
	{
		pgx_record cmd;
		pl_error err;
		int rc;

		if (make_room() != 0)
			return;
		if ((rc = pl_stamp_expiry(d.pl, mj_str(SEQUENCER_ROLE), now, &cmd, &err)) <= 0)
		{
			if (rc < 0)
				mlog(LOG_WARN, "sequencer: cannot expire order %" PRIu64 ": %s", id,
				     err.message);
			return;
		}
		apply(&cmd, nobody, 0, 0);
		d.expiries++;
	}
}

static void
on_frame(void *ctx, conn_ref who, uint16_t type, uint64_t request_id, const uint8_t *body,
         size_t len)
{
	int64_t now;
	pgx_record req, cmd;
	pgx_str role;
	pl_error err;

	(void)ctx;
	if (d.stopping)
		return refuse(who, request_id, PGX_SQLSTATE_UNAVAILABLE,
		              "matchd is shutting down");
	/*
	 * Not the leader any more, or maybe not: nothing is sequenced, so the
	 * extension may find the leader and send the request there.  Market-data
	 * queries too: a deposed leader's book may be stale.
	 */
	if (d.handing_over)
		return refuse(who, request_id, PGX_SQLSTATE_NOT_LEADER,
		              "not the leader: matchd is handing the stream over");
	if (!lease_valid(d.lease))
		return refuse(who, request_id, PGX_SQLSTATE_NOT_LEADER,
		              "not the leader: matchd's lease was not renewed in time");
	if (type == PGX_MSG_MD_QUERY)
		return on_md_query(who, request_id, body, len);
	if (type == PGX_MSG_SUBSCRIBE)
		return on_subscribe(who, body, len);
	if (type != PGX_MSG_REQUEST || !pgx_decode_request(body, len, &role, &req))
		return refuse(who, request_id, PGX_SQLSTATE_PROTOCOL, "malformed request");
	now = wall_ts();
	inject_expiries(now);
	if (make_room() != 0)
		return refuse(who, request_id, "53200", "matchd is out of memory");
	if (pl_stamp(d.pl, role, &req, now, &cmd, &err) != 0)
		return refuse(who, request_id, err.sqlstate, err.message);
	apply(&cmd, who, request_id, 1);
}

/* The scheduler has read the schedule: open or close the market if it is due. */
static void
on_schedule(void)
{
	schedule_point pt;
	pgx_record req, cmd;
	pl_error err;
	conn_ref nobody = {0};

	if (!d.stopping && !d.handing_over && lease_valid(d.lease))
		inject_expiries(wall_ts());
	scheduler_get(d.sched, &pt);
	if (!pt.valid || d.stopping || d.handing_over || !lease_valid(d.lease) ||
	    !pl_schedule_due(d.pl, pt.boundary_ts, pt.is_open))
		return;
	if (make_room() != 0)
		return;
	mj_record_init(&req, pt.is_open ? PGX_KIND_MARKET_OPEN : PGX_KIND_MARKET_CLOSE, 0, 0,
	               0, pt.is_open ? pt.session_day : 0);
	if (pl_stamp(d.pl, mj_str(SCHEDULER_ROLE), &req, wall_ts(), &cmd, &err) != 0)
	{
		mlog(LOG_WARN, "scheduler: cannot sequence the %s: %s",
		     pt.is_open ? "open" : "close", err.message);
		return;
	}
	mlog(LOG_INFO, "scheduler: %s the market at seq %" PRId64 " (trading day %d)",
	     pt.is_open ? "opening" : "closing", cmd.seq, cmd.trading_day);
	apply(&cmd, nobody, 0, 0);
	d.injected++;
}

/* ---- start and loop -------------------------------------------------------- */

static int
setup_signals(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* before the writer thread exists, so that it inherits the mask */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -1;
	d.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return d.signal_fd < 0 ? -1 : 0;
}

static void
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
	{
		mlog(LOG_WARN, "cannot write pid file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void
run(void)
{
	struct epoll_event evs[64];

	for (;;)
	{
		struct timespec timeout = {0}, *tp = NULL;
		slot *s = &d.slots[d.open];
		int n;

		if ((d.stopping || d.handing_over) && d.inflight < 0 && s->bb.commands == 0)
			return;
		if (d.inflight < 0 && s->bb.commands > 0)
		{
			uint64_t age = mono_us() - s->opened_us;
			uint64_t left = age >= d.opt.batch_delay_us ? 0 : d.opt.batch_delay_us - age;

			timeout.tv_sec = (time_t)(left / 1000000u);
			timeout.tv_nsec = (long)(left % 1000000u) * 1000;
			tp = &timeout;
		}
		n = epoll_pwait2(d.epfd, evs, 64, tp, NULL);
		if (n < 0 && errno != EINTR)
			die(1, "epoll_pwait2: %s", strerror(errno));
		for (int i = 0; i < n; i++)
		{
			uint64_t tag = evs[i].data.u64;

			if (tag == SERVER_TAG_LISTENER)
				server_accept(d.srv);
			else if (tag == TAG_WRITER)
			{
				uint64_t count;

				(void)!read(d.writer_fd, &count, sizeof(count));
				writer_done();
			}
			else if (tag == TAG_SCHEDULE)
			{
				uint64_t count;

				(void)!read(d.schedule_fd, &count, sizeof(count));
				on_schedule();
			}
			else if (tag == TAG_FEED)
				feed_tick(d.feed);
			else if (tag == TAG_LEASE)
			{
				uint64_t count;
				const char *to = lease_handover(d.lease);

				(void)!read(d.lease_fd, &count, sizeof(count));
				if (to != NULL && !d.handing_over && !d.stopping)
				{
					mlog(LOG_INFO,
					     "switchover to \"%s\": refusing new requests (PX043), "
					     "committing what is pending",
					     to);
					d.handing_over = 1;
					server_close_listener(d.srv);
				}
			}
			else if (tag == TAG_SIGNAL)
			{
				struct signalfd_siginfo si;

				while (read(d.signal_fd, &si, sizeof(si)) == sizeof(si))
					if (!d.stopping)
					{
						mlog(LOG_INFO, "%s: stopping; committing what is pending",
						     strsignal((int)si.ssi_signo));
						d.stopping = 1;
						server_close_listener(d.srv);
					}
			}
			else
			{
				if (evs[i].events & EPOLLOUT)
					server_flush(d.srv, (uint32_t)tag);
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					server_read(d.srv, (uint32_t)tag, on_frame, NULL);
			}
		}
		maybe_handoff();
	}
}

/* A total of microseconds over the batches committed, per batch. */
static double
per_batch(uint64_t total_us)
{
	return d.jst.batches ? (double)total_us / (double)d.jst.batches : 0.0;
}

static int32_t
today(void)
{
	return (int32_t)(time(NULL) / 86400) - 10957;
}

static void
log_recovered(const recovery_info *info, uint64_t t0)
{
	char from[160];

	if (info->snapshot_seq > 0)
		snprintf(from, sizeof(from),
		         "after the snapshot of seq %" PRId64 " (loaded in %.1f ms)",
		         info->snapshot_seq, info->snapshot_load_ms);
	else if (d.opt.replay_from_start)
		snprintf(from, sizeof(from),
		         "from seq 1 (--replay-from-start; %" PRId64
		         " saved snapshots equal to the replayed state)",
		         info->snapshots_verified);
	else
		snprintf(from, sizeof(from), "from seq 1 (no snapshot)");
	mlog(LOG_INFO,
	     "replayed %" PRId64 " commands (%" PRId64 " records) %s in %.1f ms, all equal "
	     "to the journal; %u symbols, %u accounts; "
	     "state hash %016" PRIx64 ", order manager hash %016" PRIx64
	     "; %u open orders; market %s; trading day %d",
	     info->replayed_commands, info->replayed_records, from,
	     (double)(mono_us() - t0) / 1000.0, info->symbols, info->accounts,
	     info->state_hash, pl_om_hash(d.pl), pl_open_orders(d.pl),
	     pl_market_open(d.pl) ? "open" : "closed", info->trading_day);
}

static void
recover(PGconn *conn, recovery_info *info)
{
	char msg[1024];
	uint64_t t0 = mono_us();
	int rc = recovery_run(conn, today(), &d.opt.pl, d.opt.replay_from_start, &d.pl, info,
	                      msg, sizeof(msg));

	if (rc != 0)
		die(rc == RECOVERY_DIVERGED       ? 4
		    : rc == RECOVERY_BAD_SNAPSHOT ? 5
		                                  : 1,
		    "recovery failed: %s", msg);
	log_recovered(info, t0);
}

/*
 * A leader's start: the lease (or, with --force-take-over or an extension
 * without leases, take_over_stream), then recovery.  *granted_us: when the
 * lease was asked for (it counts from there); 0 without a lease.
 */
static PGconn *
start_leader(recovery_info *info, uint64_t *granted_us)
{
	char msg[1024];
	PGconn *conn = PQconnectdb(d.opt.conninfo);
	int rc;

	if (PQstatus(conn) != CONNECTION_OK)
		die(1, "cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
	*granted_us = 0;
	if (d.opt.force_take_over)
		rc = LEASE_UNSUPPORTED;
	else
	{
		uint64_t t0 = mono_us();

		if ((rc = lease_acquire(conn, &d.ha, info, msg, sizeof(msg))) == 0)
			*granted_us = t0;
		else if (rc == LEASE_HELD)
			die(1,
			    "%s; the stream has a leader: start this node with --standby, or with "
			    "--force-take-over to fence it off",
			    msg);
		else if (rc == LEASE_UNSUPPORTED)
			mlog(LOG_WARN,
			     "the exchange extension has no leases (before 1.6: %s); taking the "
			     "stream over without one: no standby can follow this leader",
			     msg);
		else
			die(1, "%s", msg);
	}
	if (rc == LEASE_UNSUPPORTED &&
	    recovery_take_over(conn, d.opt.stream, info, msg, sizeof(msg)) != 0)
		die(1, "cannot take the stream over: %s", msg);
	d.stream_id = info->stream;
	recover(conn, info);
	return conn;
}

/*
 * A standby: recover without taking the stream over (unless the pipeline is
 * already hot, after a switchover), tail until the lease opens, acquire it and
 * replay the rest.  Returns the connection to lead with, or NULL on SIGTERM.
 */
static PGconn *
run_standby(recovery_info *info, uint64_t *granted_us, const standby_opts *opts)
{
	char msg[1024];

	if (d.pl == NULL)
	{
		PGconn *conn = ha_connect(d.opt.conninfo, "standby", NULL);
		int rc = recovery_locate(conn, d.opt.stream, info, msg, sizeof(msg));

		if (rc < 0)
			die(1, "%s", msg);
		if (rc == 0)
			recover(conn, info);
		else if ((d.pl = pl_create(&d.opt.pl)) == NULL)
			die(1, "cannot allocate the matching core");
		else
			pl_set_position(d.pl, 0, 0, today());
		d.stream_id = rc == 0 ? info->stream : 0;
		PQfinish(conn);
	}
	if (d.opt.pidfile && !d.pidfile_written)
	{
		write_pidfile(d.opt.pidfile);
		d.pidfile_written = 1;
	}
	for (;;)
	{
		PGconn *conn;
		int64_t replayed = 0, records = 0;
		batchbuf scratch;
		uint64_t t0;
		int rc = standby_run(&d.ha, opts, d.stream_id, d.pl, &d.open_seen_us, msg,
		                     sizeof(msg));

		if (rc == STANDBY_STOP)
			return NULL;
		if (rc == STANDBY_DIVERGED)
			die(4, "standby: %s; refusing to stand by with an unverified book", msg);
		conn = ha_connect(d.opt.conninfo, "standby", NULL);
		t0 = mono_us();
		rc = lease_acquire(conn, &d.ha, info, msg, sizeof(msg));
		if (rc == LEASE_UNSUPPORTED)
			die(1, "--standby needs the exchange extension 1.6 or later: %s", msg);
		if (rc != 0)
		{
			/* another standby was faster, or PostgreSQL went away: stand by again */
			mlog(rc == LEASE_HELD ? LOG_INFO : LOG_WARN, "standby: %s", msg);
			PQfinish(conn);
			if (d.stream_id == 0)
				d.stream_id = info->stream;
			continue;
		}
		*granted_us = t0;
		d.stream_id = info->stream;
		/* what the old leader committed up to our epoch: replayed and verified */
		if (bb_init(&scratch, 1 << 20) != 0)
			die(1, "out of memory");
		rc = recovery_replay(conn, info->stream, d.pl, info->target, &scratch, &replayed,
		                     &records, msg, sizeof(msg));
		bb_free(&scratch);
		if (rc == RECOVERY_DIVERGED)
			die(4, "replay diverged after taking over: %s", msg);
		if (rc != 0 || pl_last_seq(d.pl) != info->target)
			die(1,
			    "after taking over at epoch %" PRId64 ": replayed to seq %" PRId64
			    ", the stream is at %" PRId64 "%s%s",
			    info->epoch, pl_last_seq(d.pl), info->target, rc ? ": " : "",
			    rc ? msg : "");
		if (recovery_position(conn, today(), d.pl, info, msg, sizeof(msg)) != 0)
			die(1, "%s", msg);
		mlog(LOG_INFO,
		     "took over as the leader at epoch %" PRId64 " (replayed %" PRId64
		     " commands after acquiring); state hash %016" PRIx64
		     ", order manager hash %016" PRIx64,
		     info->epoch, replayed, pl_state_hash(d.pl), pl_om_hash(d.pl));
		return conn;
	}
}

/* The goodbye on one connection (see PGX_REQUEST_ID_GOODBYE). */
static void
say_goodbye(void *ctx, conn_ref who)
{
	(void)ctx;
	if (d.stopping)
		refuse(who, PGX_REQUEST_ID_GOODBYE, PGX_SQLSTATE_UNAVAILABLE,
		       "matchd is shutting down");
	else
		refuse(who, PGX_REQUEST_ID_GOODBYE, PGX_SQLSTATE_NOT_LEADER,
		       "not the leader: matchd handed the stream over");
}

/* long beside the time from a client's check of its connection to its write,
 * even on a busy machine; short enough not to slow a stop */
#define DRAIN_MS 300

/*
 * After the last commit and the lease's release: every connection gets the
 * goodbye, and what arrives until the clients close (or DRAIN_MS pass) is
 * answered with the same refusal instead of being dropped unread.  Without
 * it a request written just before the close would be lost in the socket
 * and its broker told PX041 (fate unknown) in a planned handover.
 */
static void
drain(void)
{
	struct epoll_event evs[64];
	uint64_t end = mono_us() + DRAIN_MS * 1000u;

	if (server_connections(d.srv) == 0)
		return;
	server_each(d.srv, say_goodbye, NULL);
	while (server_connections(d.srv) > 0)
	{
		uint64_t now = mono_us();
		int n;

		if (now >= end)
			break;
		n = epoll_wait(d.epfd, evs, 64, (int)((end - now + 999) / 1000));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
		{
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL)
			{
				struct signalfd_siginfo si;

				while (read(d.signal_fd, &si, sizeof(si)) == sizeof(si))
					d.stopping = 1; /* already leaving: nothing else to do */
			}
			else if (tag == TAG_WRITER || tag == TAG_SCHEDULE || tag == TAG_LEASE)
			{
				uint64_t count; /* the threads are stopped: just clear a late wake-up */
				int fd = tag == TAG_WRITER     ? d.writer_fd
				         : tag == TAG_SCHEDULE ? d.schedule_fd
				                               : d.lease_fd;

				(void)!read(fd, &count, sizeof(count));
			}
			else if (tag < SERVER_TAG_LISTENER)
			{
				if (evs[i].events & EPOLLOUT)
					server_flush(d.srv, (uint32_t)tag);
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					server_read(d.srv, (uint32_t)tag, on_frame, NULL);
			}
		}
	}
	if (server_connections(d.srv) > 0)
		mlog(LOG_INFO, "drained: closing %u idle connection(s) %d ms after the goodbye",
		     server_connections(d.srv), DRAIN_MS);
	else
		mlog(LOG_INFO, "drained: every client closed its connection after the goodbye");
}

/*
 * Leads from conn (its stream taken at info->epoch) until SIGTERM or a
 * switchover; everything pending is committed and answered before it returns.
 * 1 after a switchover (the lease was released), 0 after a stop.
 */
static int
serve(PGconn *conn, const recovery_info *info, uint64_t granted_us)
{
	char msg[1024];
	struct epoll_event ev = {.events = EPOLLIN};
	snapsave_stats sst;
	journal_stats st;

	d.handing_over = 0;
	if ((d.jr = journal_start(conn, d.opt.conninfo, info->stream, info->epoch,
	                          d.writer_fd)) == NULL)
		die(1, "cannot start the journal writer");
	if (granted_us && (d.lease = lease_start(&d.ha, info->stream, info->epoch, granted_us,
	                                         d.lease_fd)) == NULL)
		die(1, "cannot start the lease heartbeat");
	lease_set_applied(d.lease, pl_last_seq(d.pl));
	/*
	 * The lease counts from its acquisition; a recovery slower than the lease
	 * (a long replay on a busy machine) would let the first requests meet a
	 * lapsed lease and be refused with PX043.  Listen once it is renewed.
	 */
	if (d.lease && !lease_valid(d.lease) && !lease_wait_valid(d.lease, 3 * d.ha.lease_ms))
		mlog(LOG_WARN, "the lease was not renewed within %u ms of starting to lead",
		     3 * d.ha.lease_ms);
	/* the feed carries what commits after the replayed journal */
	if (d.opt.feed.enabled)
	{
		if ((d.feed = feed_create(&d.opt.feed, info->epoch, pl_last_seq(d.pl), msg,
		                          sizeof(msg))) == NULL)
			die(1, "%s", msg);
		ev.data.u64 = TAG_FEED;
		epoll_ctl(d.epfd, EPOLL_CTL_ADD, feed_timer_fd(d.feed), &ev);
	}
	if ((d.srv = server_create(d.opt.socket_path, d.opt.max_connections, d.epfd, msg,
	                           sizeof(msg))) == NULL)
		die(1, "%s", msg);
	if ((d.sched = scheduler_start(d.opt.conninfo, info->stream,
	                               d.opt.schedule_interval_ms, d.schedule_fd)) == NULL)
		die(1, "cannot start the scheduler");
	if ((d.saver = snapsaver_start(d.opt.conninfo, info->stream, info->epoch)) == NULL)
		die(1, "cannot start the snapshot saver");
	if (d.opt.pidfile && !d.pidfile_written)
	{
		write_pidfile(d.opt.pidfile);
		d.pidfile_written = 1;
	}
	mlog(LOG_INFO,
	     "ready: listening on %s (stream \"%s\", epoch %" PRId64 ", next seq %" PRId64
	     ", batch max %u records, delay %u us; node \"%s\", %s)",
	     d.opt.socket_path, d.opt.stream, info->epoch, pl_last_seq(d.pl) + 1,
	     d.opt.batch_max, d.opt.batch_delay_us, d.opt.node,
	     d.lease ? "lease held" : "no lease");
	if (d.open_seen_us)
	{
		mlog(LOG_INFO,
		     "failover: node \"%s\" leads stream \"%s\" at epoch %" PRId64
		     "; failover time (lease seen open to ready) %.1f ms",
		     d.opt.node, d.opt.stream, info->epoch,
		     (double)(mono_us() - d.open_seen_us) / 1000.0);
		d.open_seen_us = 0;
	}

	run();

	feed_destroy(d.feed); /* every batch has committed and gone out: end the session */
	d.feed = NULL;
	scheduler_stop(d.sched);
	snapsaver_stop(d.saver, &sst); /* saves the last close's state, if it waits */
	journal_get_stats(d.jr, &st);
	journal_stop(d.jr);
	d.jst.batches += st.batches;
	d.jst.records += st.records;
	d.jst.reconnects += st.reconnects;
	d.jst.append_us_total += st.append_us_total;
	d.jst.wake_us_total += st.wake_us_total;
	d.snapshots_saved += sst.saved;
	d.snapshots_failed += sst.failed;
	/* everything is committed and answered: a standby may take over now */
	lease_stop(d.lease, 1);
	d.lease = NULL;
	drain();
	server_destroy(d.srv);
	d.srv = NULL;
	if (d.handing_over && !d.stopping)
	{
		mlog(LOG_INFO,
		     "switchover: handed the stream over at seq %" PRId64
		     "; standing by from there",
		     pl_last_seq(d.pl));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	recovery_info info;
	struct epoll_event ev = {.events = EPOLLIN};
	standby_opts sopts = {0};
	int standby;

	if (parse_options(argc, argv, &d.opt) != 0)
	{
		usage(stderr);
		return 2;
	}
	setenv("PGAPPNAME", "matchd", 0);
	if (setup_signals() != 0)
		die(1, "cannot set up signal handling: %s", strerror(errno));
	d.inflight = -1;
	for (int i = 0; i < 2; i++)
		if (bb_init(&d.slots[i].bb, 1 << 20) != 0)
			die(1, "out of memory");
	d.ha = (ha_config){.conninfo = d.opt.conninfo,
	                   .stream_name = d.opt.stream,
	                   .node = d.opt.node,
	                   .endpoint = d.opt.socket_path,
	                   .lease_ms = d.opt.lease_ms,
	                   .heartbeat_ms = d.opt.heartbeat_ms,
	                   .poll_ms = d.opt.poll_ms};
	if ((d.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (d.writer_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (d.schedule_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (d.lease_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		die(1, "epoll/eventfd: %s", strerror(errno));
	ev.data.u64 = TAG_SCHEDULE;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.schedule_fd, &ev);
	ev.data.u64 = TAG_WRITER;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.writer_fd, &ev);
	ev.data.u64 = TAG_SIGNAL;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.signal_fd, &ev);
	ev.data.u64 = TAG_LEASE;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.lease_fd, &ev);
	sopts.signal_fd = d.signal_fd;

	for (standby = d.opt.standby;; standby = 1)
	{
		uint64_t granted_us = 0;
		PGconn *conn = standby ? run_standby(&info, &granted_us, &sopts)
		                       : start_leader(&info, &granted_us);

		if (conn == NULL || serve(conn, &info, granted_us) == 0)
			break;
		/* a switchover: the stream went to another node; do not take it back
		 * unless that node never does (3 leases, and the epoch did not move) */
		sopts.hold_until_us = mono_us() + 3000u * (uint64_t)d.opt.lease_ms;
		sopts.hold_epoch = info.epoch;
	}

	if (d.opt.pidfile)
		unlink(d.opt.pidfile);
	mlog(LOG_INFO,
	     "stopped cleanly: %" PRIu64 " commands acknowledged, %" PRIu64
	     " refused; %" PRIu64 " batches (%" PRIu64
	     " records) committed, mean append %.2f ms (per batch: %.0f us waiting for the "
	     "hand-over, %.0f us to the writer, %.0f us back to the event loop, %.0f us "
	     "answering), "
	     "%" PRIu64 " reconnects; %" PRIu64 " opens/closes by the schedule; %" PRIu64
	     " good-till-date expiries; %" PRIu64 " snapshots taken, %" PRIu64
	     " saved, %" PRIu64 " failed; last seq %" PRId64 ", state hash %016" PRIx64
	     ", order manager hash %016" PRIx64,
	     d.commands, d.refusals, d.jst.batches, d.jst.records,
	     per_batch(d.jst.append_us_total) / 1000.0, per_batch(d.wait_us_total),
	     per_batch(d.jst.wake_us_total), per_batch(d.back_us_total),
	     per_batch(d.answer_us_total), d.jst.reconnects, d.injected, d.expiries, d.snapshots_taken,
	     d.snapshots_saved, d.snapshots_failed, d.pl ? pl_last_seq(d.pl) : 0,
	     d.pl ? pl_state_hash(d.pl) : 0, d.pl ? pl_om_hash(d.pl) : 0);
	pl_destroy(d.pl);
	mdq_scratch_free(&d.mdq);
	for (int i = 0; i < 2; i++)
	{
		bb_free(&d.slots[i].bb);
		free(d.slots[i].acks);
		free(d.slots[i].wallets);
		free(d.slots[i].md_buf);
		free(d.slots[i].md);
		free(d.slots[i].snap);
	}
	close(d.writer_fd);
	close(d.schedule_fd);
	close(d.lease_fd);
	close(d.signal_fd);
	close(d.epfd);
	return 0;
}
