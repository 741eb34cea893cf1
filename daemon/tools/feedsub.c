/*
 * feedsub.c - pgx-feedsub: a subscriber of matchd's market-data feed.
 *
 * Joins the multicast group (or binds the port for broadcast or unicast),
 * checks every packet's session and sequence number, prints the messages
 * when asked, rebuilds every symbol's L3 book and dumps it on SIGUSR1 and at
 * exit.  The exit status says whether the book can be trusted: 0 when no
 * message was missed and everything added up, 1 otherwise, 2 for bad usage.
 * docs/market-data-feed.md describes the format and the dump.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feedbook.h"

#define RECV_BURST 64
/* microseconds between 1970-01-01 and 2000-01-01 (the journal's epoch) */
#define PG_EPOCH_US 946684800000000LL

typedef struct options
{
	struct in_addr addr;
	uint16_t port;
	int has_iface;
	struct in_addr iface;
	int print;
	const char *dump;
	long idle_ms;       /* 0: never */
	long long until_js; /* 0: never */
	int exit_at_end;
} options;

static struct
{
	options opt;
	fb_stream stream;
	fb_book *book;
	int done;
} g;

static void
usage(FILE *f)
{
	fputs("Usage: pgx-feedsub [options] ADDR:PORT\n"
	      "\n"
	      "Subscribes to matchd's market-data feed (matchd --feed ADDR:PORT), rebuilds\n"
	      "every symbol's order book and dumps it on SIGUSR1 and at exit.  ADDR is the\n"
	      "multicast group, or for unicast and broadcast feeds the local address to\n"
	      "listen on (0.0.0.0 for any).\n"
	      "\n"
	      "  --iface ADDR             join the multicast group on this interface\n"
	      "                           address (e.g. 127.0.0.1 for loopback)\n"
	      "  --print                  print every message, one line each, on stdout\n"
	      "  --dump FILE              write the book dump to FILE (replaced atomically)\n"
	      "                           instead of stdout\n"
	      "  --exit-after-idle-ms N   exit when no message came for N ms\n"
	      "  --until-journal-seq J    exit once the batch holding journal seq J is in\n"
	      "  --exit-at-end            exit at the end of the session (matchd stopped)\n"
	      "  --help                   this text\n"
	      "\n"
	      "Stops on SIGTERM or SIGINT.  Gaps, new sessions and anomalies are reported\n"
	      "on stderr.  Exit status: 0 nothing missed and the book adds up, 1 a gap, a\n"
	      "journal gap, a malformed packet or an anomaly was seen, 2 usage or setup.\n",
	      f);
}

static int
parse_dest(const char *v, options *o)
{
	const char *colon = strrchr(v, ':');
	char host[INET_ADDRSTRLEN];
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(host))
		return -1;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &o->addr) != 1 || *end != '\0' || port < 1 ||
	    port > 65535)
		return -1;
	o->port = (uint16_t)port;
	return 0;
}

static int
parse_options(int argc, char **argv, options *o)
{
	static const struct option longopts[] = {
	    {"iface", required_argument, NULL, 'i'},
	    {"print", no_argument, NULL, 'p'},
	    {"dump", required_argument, NULL, 'd'},
	    {"exit-after-idle-ms", required_argument, NULL, 'I'},
	    {"until-journal-seq", required_argument, NULL, 'J'},
	    {"exit-at-end", no_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
	{
		switch (ch)
		{
			case 'i':
				if (inet_pton(AF_INET, optarg, &o->iface) != 1)
					return fprintf(stderr, "pgx-feedsub: bad --iface \"%s\"\n", optarg),
					       -1;
				o->has_iface = 1;
				break;
			case 'p':
				o->print = 1;
				break;
			case 'd':
				o->dump = optarg;
				break;
			case 'I':
				o->idle_ms = strtol(optarg, &end, 10);
				if (*end != '\0' || o->idle_ms <= 0)
					return fprintf(stderr, "pgx-feedsub: bad --exit-after-idle-ms\n"), -1;
				break;
			case 'J':
				o->until_js = strtoll(optarg, &end, 10);
				if (*end != '\0' || o->until_js <= 0)
					return fprintf(stderr, "pgx-feedsub: bad --until-journal-seq\n"), -1;
				break;
			case 'e':
				o->exit_at_end = 1;
				break;
			case 'h':
				usage(stdout);
				exit(0);
			default:
				return -1;
		}
	}
	if (optind != argc - 1 || parse_dest(argv[optind], o) != 0)
		return fprintf(stderr, "pgx-feedsub: give one ADDR:PORT\n"), -1;
	return 0;
}

/* A socket that receives the feed: a multicast member, or bound to the port. */
static int
open_socket(const options *o)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1, rcvbuf = 8 << 20;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(o->port)};
	int multicast = IN_MULTICAST(ntohl(o->addr.s_addr));

	if (fd < 0)
		return perror("pgx-feedsub: socket"), -1;
	/* several subscribers on one host share the port (multicast, broadcast) */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a burst must not overflow the queue while the book is being updated;
	 * the FORCE variant passes rmem_max when running as root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* a group address as the bound address keeps other groups' traffic out */
	sa.sin_addr = o->addr;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
	{
		/* a broadcast address is not a local one: listen on every address */
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
		if (multicast || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			return perror("pgx-feedsub: bind"), close(fd), -1;
	}
	if (multicast)
	{
		struct ip_mreq mreq = {.imr_multiaddr = o->addr};

		mreq.imr_interface.s_addr = o->has_iface ? o->iface.s_addr : htonl(INADDR_ANY);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0)
			return perror("pgx-feedsub: IP_ADD_MEMBERSHIP"), close(fd), -1;
	}
	return fd;
}

static const char *
side_name(int side)
{
	return side == PGX_SIDE_BUY ? "buy" : side == PGX_SIDE_SELL ? "sell" : "-";
}

static const char *
code_name(const pgx_feed_msg *m)
{
	switch (m->type == PGX_FEED_SYSTEM ? 0x100 | m->code : m->code)
	{
		case 0x100 | PGX_FEED_SYS_START:
			return "start";
		case 0x100 | PGX_FEED_SYS_CHECKPOINT:
			return "checkpoint";
		case 0x100 | PGX_FEED_SYS_END:
			return "end";
	}
	if (m->type == PGX_FEED_STATUS)
		return m->code == PGX_FEED_ST_OPEN     ? "open"
		       : m->code == PGX_FEED_ST_HALTED ? "halted"
		                                       : "closed";
	switch (m->code)
	{
		case PGX_FEED_DEL_CANCELED:
			return "canceled";
		case PGX_FEED_DEL_STP_OLDEST:
			return "stp_oldest";
		case PGX_FEED_DEL_STP_NEWEST:
			return "stp_newest";
		case PGX_FEED_DEL_EXPIRED:
			return "expired";
	}
	return "other";
}

/* One line per message: feed seq, journal seq.idx, time (UTC), what. */
static void
print_message(uint64_t seq, const pgx_feed_msg *m)
{
	int64_t us = m->ts + PG_EPOCH_US;
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	char when[32];

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%llu %lld.%d %s.%06lldZ ", (unsigned long long)seq, (long long)m->journal_seq,
	       m->journal_idx, when, (long long)(us % 1000000));
	switch (m->type)
	{
		case PGX_FEED_SYSTEM:
			printf("SYSTEM %s journal_seq=%lld\n", code_name(m),
			       (long long)m->journal_seq);
			break;
		case PGX_FEED_STATUS:
			printf("STATUS %.16s %s\n", m->symbol, code_name(m));
			break;
		case PGX_FEED_ADD:
			printf("ADD %.16s %s id=%lld qty=%lld px=%lld\n", m->symbol,
			       side_name(m->side), (long long)m->order_id, (long long)m->quantity,
			       (long long)m->price);
			break;
		case PGX_FEED_EXECUTE:
			printf("EXEC %.16s id=%lld qty=%lld px=%lld left=%lld aggressor=%s:%lld "
			       "aggressor_left=%lld\n",
			       m->symbol, (long long)m->order_id, (long long)m->quantity,
			       (long long)m->price, (long long)m->remaining, side_name(m->side),
			       (long long)m->contra_order_id, (long long)m->contra_remaining);
			break;
		case PGX_FEED_REPLACE:
			printf("REPLACE id=%lld qty=%lld px=%lld priority=%s\n",
			       (long long)m->order_id, (long long)m->quantity, (long long)m->price,
			       (m->code & PGX_FEED_KEEPS_PRIORITY) ? "kept" : "lost");
			break;
		case PGX_FEED_DELETE:
			printf("DELETE id=%lld qty=%lld reason=%s\n", (long long)m->order_id,
			       (long long)m->quantity, code_name(m));
			break;
	}
}

static void
on_message(void *ctx, uint64_t seq, const pgx_feed_msg *m)
{
	(void)ctx;
	if (g.opt.print)
		print_message(seq, m);
	if (fb_apply(g.book, m) != 0)
		fprintf(stderr, "pgx-feedsub: anomaly at message %llu: %s\n",
		        (unsigned long long)seq, fb_last_anomaly(g.book));
	if (m->type == PGX_FEED_SYSTEM && m->code == PGX_FEED_SYS_START &&
	    m->journal_seq > 0 && g.stream.sessions == 1 && seq == 1)
		fprintf(stderr,
		        "pgx-feedsub: session %.10s starts after journal seq %lld: orders that "
		        "rested before are not in this book unless it started from a snapshot\n",
		        g.stream.session, (long long)m->journal_seq);
	if (g.opt.until_js && m->type == PGX_FEED_SYSTEM &&
	    m->code == PGX_FEED_SYS_CHECKPOINT && m->journal_seq >= g.opt.until_js)
		g.done = 1;
}

static void
report(const fb_report *r)
{
	if (r->new_session)
		fprintf(stderr, "pgx-feedsub: session %.10s\n", g.stream.session);
	if (r->gap)
		fprintf(stderr, "pgx-feedsub: GAP in session %.10s: messages %llu..%llu missed\n",
		        g.stream.session, (unsigned long long)r->gap_from,
		        (unsigned long long)r->gap_to);
	if (r->journal_gap)
		fprintf(stderr,
		        "pgx-feedsub: JOURNAL GAP: session %.10s starts after journal seq %lld, "
		        "the last one ended at %lld\n",
		        g.stream.session, (long long)r->journal_got,
		        (long long)r->journal_expected);
	if (r->malformed)
		fprintf(stderr, "pgx-feedsub: malformed packet in session %.10s\n",
		        g.stream.session);
	if (r->end)
		fprintf(stderr, "pgx-feedsub: end of session %.10s\n", g.stream.session);
}

static void
dump(void)
{
	FILE *f;
	char tmp[4096];

	fflush(stdout);
	if (g.opt.dump == NULL)
	{
		fb_dump(g.book, &g.stream, stdout);
		fflush(stdout);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", g.opt.dump);
	if ((f = fopen(tmp, "w")) == NULL)
	{
		fprintf(stderr, "pgx-feedsub: cannot write %s: %s\n", tmp, strerror(errno));
		return;
	}
	fb_dump(g.book, &g.stream, f);
	/* readers see the old dump or the new one, never half of one */
	if (fclose(f) != 0 || rename(tmp, g.opt.dump) != 0)
		fprintf(stderr, "pgx-feedsub: cannot write %s: %s\n", g.opt.dump,
		        strerror(errno));
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Receives until told to stop; 0, or -1 on a socket error. */
static int
run(int fd, int sfd)
{
	static uint8_t bufs[RECV_BURST][PGX_FEED_PACKET_MAX];
	struct mmsghdr msgs[RECV_BURST];
	struct iovec iov[RECV_BURST];
	long long last_data = mono_ms();

	for (int i = 0; i < RECV_BURST; i++)
	{
		iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	while (!g.done)
	{
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
		                        {.fd = sfd, .events = POLLIN}};
		int timeout = -1, n;

		if (g.opt.idle_ms)
		{
			long long left = last_data + g.opt.idle_ms - mono_ms();

			if (left <= 0)
				break;
			timeout = (int)left;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return perror("pgx-feedsub: poll"), -1;
		if (pfd[1].revents & POLLIN)
		{
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
			{
				if (si.ssi_signo == SIGUSR1)
					dump();
				else
					g.done = 1;
			}
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((n = recvmmsg(fd, msgs, RECV_BURST, MSG_DONTWAIT, NULL)) < 0)
		{
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return perror("pgx-feedsub: recvmmsg"), -1;
		}
		for (int i = 0; i < n && !g.done; i++)
		{
			fb_report r;

			fb_stream_packet(&g.stream, bufs[i], msgs[i].msg_len, on_message, NULL, &r);
			report(&r);
			if (!r.heartbeat && !r.end)
				last_data = mono_ms();
			if (r.end && g.opt.exit_at_end)
				g.done = 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	sigset_t mask;
	int fd, sfd, rc;

	if (parse_options(argc, argv, &g.opt) != 0)
	{
		usage(stderr);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return perror("pgx-feedsub: signalfd"), 2;
	if ((fd = open_socket(&g.opt)) < 0)
		return 2;
	fb_stream_init(&g.stream);
	g.book = fb_create();
	rc = run(fd, sfd);
	dump();
	fprintf(stderr,
	        "pgx-feedsub: %llu packets (%llu heartbeats), %llu messages, %llu sessions; "
	        "%llu gaps (%llu messages missed), %llu journal gaps, %llu duplicates, %llu "
	        "malformed, %llu anomalies; %llu orders in the book\n",
	        (unsigned long long)g.stream.packets, (unsigned long long)g.stream.heartbeats,
	        (unsigned long long)g.stream.messages, (unsigned long long)g.stream.sessions,
	        (unsigned long long)g.stream.gaps, (unsigned long long)g.stream.missed,
	        (unsigned long long)g.stream.journal_gaps,
	        (unsigned long long)g.stream.duplicates,
	        (unsigned long long)g.stream.malformed,
	        (unsigned long long)fb_anomalies(g.book),
	        (unsigned long long)fb_order_count(g.book));
	if (rc == 0 && (g.stream.gaps || g.stream.journal_gaps || g.stream.malformed ||
	                fb_anomalies(g.book)))
		rc = 1;
	fb_destroy(g.book);
	close(fd);
	close(sfd);
	return rc < 0 ? 2 : rc;
}
