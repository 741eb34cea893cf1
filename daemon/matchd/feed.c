/*
 * feed.c - the market-data feed sender; see feed.h.
 *
 * Packets are built in place in a ring of FEED_BURST buffers and handed to
 * the kernel with one sendmmsg() per burst, so a batch of thousands of
 * records costs tens of system calls, not thousands.  Sequence numbers are
 * given to messages as they are packed: a packet the kernel refuses leaves a
 * gap that every subscriber sees, never a silent renumbering.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "log.h"

#define FEED_BURST 64
/* A drop is logged at most this often (the counters keep the rest). */
#define FEED_WARN_EVERY_US 1000000u
/* microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch) */
#define FEED_PG_EPOCH_US 946684800000000LL

struct feed
{
	feed_config cfg;
	int fd;
	int timer_fd;
	struct sockaddr_in dst;
	char session[PGX_FEED_SESSION_LEN];
	uint8_t *bufs; /* FEED_BURST packets of cfg.packet_bytes */
	struct mmsghdr msgs[FEED_BURST];
	struct iovec iov[FEED_BURST];
	uint16_t counts[FEED_BURST]; /* messages in each closed packet */
	uint32_t closed;             /* packets ready for sendmmsg */
	uint32_t len;                /* bytes of the open packet (bufs[closed]) */
	uint16_t count;              /* messages in the open packet */
	int sent_since_tick;
	int64_t journal_seq; /* of the last checkpoint */
	uint64_t last_warn_us;
	feed_stats st;
};

/* A clock in microseconds: CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for
 * timestamps, CLOCK_THREAD_CPUTIME_ID for what a call cost the thread. */
static uint64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wall clock in microseconds since 2000-01-01 UTC, as the journal's ts. */
static int64_t
wall_ts(void)
{
	return (int64_t)clock_us(CLOCK_REALTIME) - FEED_PG_EPOCH_US;
}

/* ---- options ---------------------------------------------------------------- */

void
feed_config_init(feed_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ttl = 1;
	c->packet_bytes = FEED_DEFAULT_PACKET_BYTES;
	c->heartbeat_ms = FEED_DEFAULT_HEARTBEAT_MS;
}

static int
parse_uint(const char *name, const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (*v == '\0' || *v == '-' || *end != '\0' || n < min || n > max)
	{
		fprintf(stderr, "matchd: --%s needs an integer from %u to %u, not \"%s\"\n", name,
		        min, max, v);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

static int
parse_ipv4(const char *name, const char *v, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1)
	{
		fprintf(stderr, "matchd: --%s needs an IPv4 address, not \"%s\"\n", name, v);
		return -1;
	}
	*out = a.s_addr;
	return 0;
}

/* ADDR:PORT, the address numeric (no name lookups in a daemon's start-up). */
static int
parse_dest(feed_config *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[INET_ADDRSTRLEN];
	uint32_t port;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(host))
	{
		fprintf(stderr,
		        "matchd: --feed needs ADDR:PORT (e.g. 239.192.0.1:31001), not "
		        "\"%s\"\n",
		        v);
		return -1;
	}
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	if (parse_ipv4("feed", host, &c->addr) != 0 ||
	    parse_uint("feed port", colon + 1, 1, 65535, &port) != 0)
		return -1;
	c->port = (uint16_t)port;
	c->enabled = 1;
	return 0;
}

int
feed_option(feed_config *c, int opt, const char *value)
{
	size_t n;

	if (opt != FEED_OPT_ADDR)
		c->others = 1;
	switch (opt)
	{
		case FEED_OPT_ADDR:
			return parse_dest(c, value);
		case FEED_OPT_IFACE:
			c->has_iface = 1;
			return parse_ipv4("feed-iface", value, &c->iface);
		case FEED_OPT_TTL:
			return parse_uint("feed-ttl", value, 0, 255, &c->ttl);
		case FEED_OPT_SESSION:
			n = strlen(value);
			if (n == 0 || n > PGX_FEED_SESSION_LEN)
			{
				fprintf(stderr, "matchd: --feed-session needs 1 to %d characters\n",
				        PGX_FEED_SESSION_LEN);
				return -1;
			}
			for (size_t i = 0; i < n; i++)
				if (value[i] <= ' ' || value[i] > '~')
				{
					fprintf(stderr, "matchd: --feed-session must be printable ASCII\n");
					return -1;
				}
			memcpy(c->session, value, n + 1);
			return 0;
		case FEED_OPT_PACKET:
			/* room for the header and the largest message */
			return parse_uint("feed-packet-bytes", value,
			                  PGX_FEED_HEADER + PGX_FEED_BLOCK_MAX, PGX_FEED_PACKET_MAX,
			                  &c->packet_bytes);
		case FEED_OPT_HEARTBEAT:
			return parse_uint("feed-heartbeat-ms", value, 10, 60000, &c->heartbeat_ms);
	}
	return -1;
}

int
feed_config_check(const feed_config *c)
{
	if (c->others && !c->enabled)
	{
		fprintf(stderr, "matchd: --feed-* options need --feed ADDR:PORT\n");
		return -1;
	}
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

static void
note_drop(feed *f, uint32_t packets, uint32_t messages, int err)
{
	uint64_t now = clock_us(CLOCK_MONOTONIC);

	f->st.dropped_packets += packets;
	f->st.dropped_messages += messages;
	if (f->last_warn_us == 0 || now - f->last_warn_us >= FEED_WARN_EVERY_US)
	{
		f->last_warn_us = now;
		mlog(LOG_WARN,
		     "feed: dropped %u packet(s) (%s); %" PRIu64 " packets / %" PRIu64
		     " messages dropped so far, %" PRIu64 " packets sent",
		     packets, strerror(err), f->st.dropped_packets, f->st.dropped_messages,
		     f->st.packets);
	}
}

/* Sends the closed packets; what the kernel refuses is dropped. */
static void
flush(feed *f)
{
	uint32_t done = 0;

	while (done < f->closed)
	{
		int n = sendmmsg(f->fd, f->msgs + done, f->closed - done, MSG_DONTWAIT);

		if (n > 0)
		{
			for (uint32_t i = done; i < done + (uint32_t)n; i++)
				f->st.bytes += f->iov[i].iov_len;
			f->st.packets += (uint64_t)n;
			f->sent_since_tick = 1;
			done += (uint32_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		{
			/* the send buffer is full: the rest of the burst would fail too */
			uint32_t msgs = 0;

			for (uint32_t i = done; i < f->closed; i++)
				msgs += f->counts[i];
			note_drop(f, f->closed - done, msgs, errno);
			break;
		}
		/* this packet cannot go (no route, refused); the next one may */
		note_drop(f, 1, f->counts[done], errno);
		done++;
	}
	f->closed = 0;
}

static uint8_t *
packet(feed *f, uint32_t i)
{
	return f->bufs + (size_t)i * f->cfg.packet_bytes;
}

/* Closes the open packet: writes its header and queues it. */
static void
close_packet(feed *f)
{
	pgx_feed_header h;

	if (f->count == 0)
		return;
	memcpy(h.session, f->session, PGX_FEED_SESSION_LEN);
	h.sequence = f->st.next_seq - f->count;
	h.count = f->count;
	pgx_feed_encode_header(packet(f, f->closed), &h);
	f->iov[f->closed].iov_len = f->len;
	f->counts[f->closed] = f->count;
	f->closed++;
	f->count = 0;
	f->len = 0;
	if (f->closed == FEED_BURST)
		flush(f);
}

/* Numbers a message and packs it, closing the open packet when it is full. */
static void
add(feed *f, const pgx_feed_msg *m)
{
	size_t size = pgx_feed_block_size(m->type);

	if (f->count > 0 &&
	    (f->len + size > f->cfg.packet_bytes || f->count == PGX_FEED_COUNT_MAX))
		close_packet(f);
	if (f->count == 0)
		f->len = PGX_FEED_HEADER;
	f->len += (uint32_t)pgx_feed_encode(m, packet(f, f->closed) + f->len);
	f->count++;
	f->st.next_seq++;
	f->st.messages++;
}

/* A packet without messages: a heartbeat (count 0) or the end (0xFFFF). */
static void
send_empty(feed *f, uint16_t count)
{
	pgx_feed_header h;
	uint8_t buf[PGX_FEED_HEADER];

	memcpy(h.session, f->session, PGX_FEED_SESSION_LEN);
	h.sequence = f->st.next_seq;
	h.count = count;
	pgx_feed_encode_header(buf, &h);
	if (sendto(f->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&f->dst,
	           sizeof(f->dst)) == (ssize_t)sizeof(buf))
	{
		f->st.packets++;
		f->st.bytes += sizeof(buf);
		f->sent_since_tick = 1;
	}
	else
		note_drop(f, 1, 0, errno);
}

static void
system_message(feed *f, uint8_t code, int64_t journal_seq, int64_t ts)
{
	pgx_feed_msg m;

	pgx_feed_system(&m, code, journal_seq, ts);
	add(f, &m);
	close_packet(f);
	flush(f);
}

void
feed_publish(feed *f, const uint8_t *batch, size_t len)
{
	const uint8_t *p = batch + PGX_BATCH_HEADER;
	const uint8_t *end = batch + len;
	int64_t last_seq = 0, last_ts = 0;
	uint32_t count;
	pgx_decode_status ds = pgx_decode_header(batch, len, &count);
	uint64_t t0 = clock_us(CLOCK_MONOTONIC), cpu0 = clock_us(CLOCK_THREAD_CPUTIME_ID);

	while (ds == PGX_DECODE_OK && p < end)
	{
		pgx_record rec;
		pgx_feed_msg out[PGX_FEED_PER_RECORD];
		size_t used;
		int n;

		if ((ds = pgx_decode_record(p, (size_t)(end - p), &rec, &used)) != PGX_DECODE_OK)
			break;
		p += used;
		last_seq = rec.seq;
		last_ts = rec.ts;
		if ((n = pgx_feed_from_record(&rec, out)) < 0)
		{
			f->st.bad_records++;
			mlog(LOG_ERROR, "feed: seq %" PRId64 " idx %d does not translate (%s)",
			     rec.seq, rec.idx, n == PGX_FEED_ESYMBOL ? "symbol" : "missing field");
			continue;
		}
		for (int i = 0; i < n; i++)
			add(f, &out[i]);
	}
	if (ds != PGX_DECODE_OK)
	{
		/* matchd encoded it itself: this is a bug, and no checkpoint may claim it */
		f->st.bad_records++;
		mlog(LOG_ERROR, "feed: a committed batch does not decode (%s); not checkpointed",
		     pgx_decode_error(ds));
		close_packet(f);
		flush(f);
		return;
	}
	if (last_seq > 0)
	{
		f->journal_seq = last_seq;
		system_message(f, PGX_FEED_SYS_CHECKPOINT, last_seq, last_ts);
	}
	/* what the feed costs the matching thread, for the log at the end */
	f->st.batches++;
	f->st.publish_us += clock_us(CLOCK_MONOTONIC) - t0;
	f->st.publish_cpu_us += clock_us(CLOCK_THREAD_CPUTIME_ID) - cpu0;
}

void
feed_tick(feed *f)
{
	uint64_t expirations;

	(void)!read(f->timer_fd, &expirations, sizeof(expirations));
	if (!f->sent_since_tick)
	{
		send_empty(f, 0);
		f->st.heartbeats++;
	}
	f->sent_since_tick = 0;
}

/* ---- life cycle ------------------------------------------------------------- */

static int
setup_socket(feed *f, char *err, size_t errlen)
{
	const feed_config *c = &f->cfg;
	int one = 1, sndbuf = 4 << 20;
	unsigned char ttl = (unsigned char)c->ttl, loop = 1;

	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return snprintf(err, errlen, "feed: socket: %s", strerror(errno)), -1;
	/* room for bursts while the main thread goes on; best effort (wmem_max) */
	(void)setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* without it, sending to a broadcast address fails with EACCES */
	if (setsockopt(f->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0)
		return snprintf(err, errlen, "feed: SO_BROADCAST: %s", strerror(errno)), -1;
	if (IN_MULTICAST(ntohl(c->addr)))
	{
		struct in_addr iface = {.s_addr = c->iface};

		/* loop: subscribers on matchd's own host get the packets too */
		if (setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0 ||
		    setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0 ||
		    (c->has_iface &&
		     setsockopt(f->fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof(iface)) != 0))
			return snprintf(err, errlen, "feed: multicast options: %s", strerror(errno)),
			       -1;
	}
	else if (c->has_iface)
	{
		/* unicast or broadcast: the interface is the source address */
		struct sockaddr_in src = {.sin_family = AF_INET};

		src.sin_addr.s_addr = c->iface;
		if (bind(f->fd, (struct sockaddr *)&src, sizeof(src)) != 0)
			return snprintf(err, errlen, "feed: bind to --feed-iface: %s",
			                strerror(errno)),
			       -1;
	}
	f->dst.sin_family = AF_INET;
	f->dst.sin_addr.s_addr = c->addr;
	f->dst.sin_port = htons(c->port);
	return 0;
}

static int
setup_timer(feed *f, char *err, size_t errlen)
{
	struct itimerspec its = {0};

	if ((f->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return snprintf(err, errlen, "feed: timerfd: %s", strerror(errno)), -1;
	its.it_interval.tv_sec = f->cfg.heartbeat_ms / 1000;
	its.it_interval.tv_nsec = (long)(f->cfg.heartbeat_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(f->timer_fd, 0, &its, NULL) != 0)
		return snprintf(err, errlen, "feed: timerfd_settime: %s", strerror(errno)), -1;
	return 0;
}

feed *
feed_create(const feed_config *c, int64_t epoch, int64_t journal_seq, char *err,
            size_t errlen)
{
	feed *f = calloc(1, sizeof(*f));
	char session[32];

	if (f == NULL || (f->bufs = malloc((size_t)FEED_BURST * c->packet_bytes)) == NULL)
	{
		snprintf(err, errlen, "feed: out of memory");
		free(f);
		return NULL;
	}
	f->cfg = *c;
	f->fd = f->timer_fd = -1;
	if (setup_socket(f, err, errlen) != 0 || setup_timer(f, err, errlen) != 0)
	{
		feed_destroy(f);
		return NULL;
	}
	/* MoldUDP64 sessions are ten bytes, space-padded on the right */
	if (c->session[0] != '\0')
		snprintf(session, sizeof(session), "%-10s", c->session);
	else
		snprintf(session, sizeof(session), "%010" PRIu64,
		         (uint64_t)epoch % UINT64_C(10000000000));
	memcpy(f->session, session, PGX_FEED_SESSION_LEN);
	for (int i = 0; i < FEED_BURST; i++)
	{
		f->iov[i].iov_base = packet(f, (uint32_t)i);
		f->msgs[i].msg_hdr.msg_iov = &f->iov[i];
		f->msgs[i].msg_hdr.msg_iovlen = 1;
		f->msgs[i].msg_hdr.msg_name = &f->dst;
		f->msgs[i].msg_hdr.msg_namelen = sizeof(f->dst);
	}
	f->st.next_seq = 1;
	f->journal_seq = journal_seq;
	system_message(f, PGX_FEED_SYS_START, journal_seq, wall_ts());
	{
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &f->dst.sin_addr, addr, sizeof(addr));
		mlog(LOG_INFO,
		     "feed: session %.10s to %s:%u (%s), packets up to %u bytes, heartbeat "
		     "%u ms; starts after journal seq %" PRId64,
		     f->session, addr, c->port,
		     IN_MULTICAST(ntohl(c->addr)) ? "multicast" : "unicast or broadcast",
		     c->packet_bytes, c->heartbeat_ms, journal_seq);
	}
	return f;
}

int
feed_timer_fd(const feed *f)
{
	return f->timer_fd;
}

void
feed_get_stats(const feed *f, feed_stats *st)
{
	*st = f->st;
}

void
feed_destroy(feed *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0 && f->timer_fd >= 0)
	{
		system_message(f, PGX_FEED_SYS_END, f->journal_seq, wall_ts());
		send_empty(f, PGX_FEED_COUNT_END);
		mlog(LOG_INFO,
		     "feed: session %.10s ended after journal seq %" PRId64 ": %" PRIu64
		     " messages in %" PRIu64 " packets (%" PRIu64 " bytes, %" PRIu64
		     " heartbeats); dropped %" PRIu64 " packets (%" PRIu64 " messages); %" PRIu64
		     " records did not translate; %" PRIu64
		     " batches published in %.1f ms, %.1f ms of CPU (%.1f us per batch)",
		     f->session, f->journal_seq, f->st.messages, f->st.packets, f->st.bytes,
		     f->st.heartbeats, f->st.dropped_packets, f->st.dropped_messages,
		     f->st.bad_records, f->st.batches, (double)f->st.publish_us / 1000.0,
		     (double)f->st.publish_cpu_us / 1000.0,
		     f->st.batches ? (double)f->st.publish_cpu_us / (double)f->st.batches : 0.0);
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->timer_fd >= 0)
		close(f->timer_fd);
	free(f->bufs);
	free(f);
}
