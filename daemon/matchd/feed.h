/*
 * feed.h - matchd's market-data feed sender (docs/market-data-feed.md).
 *
 * After a journal batch has committed, matchd hands its bytes to
 * feed_publish(): every record is translated into book increments
 * (exchange_feed.h), the messages are numbered (a gapless sequence per
 * session) and packed into MoldUDP64 packets, and the packets go out with one
 * sendmmsg() per 64 to one address: a multicast group, a broadcast address or
 * a single host.  One packet for everyone is what makes the feed fair: every
 * subscriber receives the same bytes at the same time.
 *
 * Only committed batches are published, so the feed never shows what the
 * journal might not hold after a crash.  The socket is non-blocking: when the
 * kernel cannot take a packet it is dropped, counted and logged, never waited
 * for; subscribers see the gap in the sequence numbers.  When nothing was
 * sent for a heartbeat interval an empty packet carries the next sequence
 * number, so a lost tail shows too.
 */
#ifndef MJ_FEED_H
#define MJ_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "exchange_feed.h"

/* getopt_long values of matchd's --feed options (outside the char range). */
enum
{
	FEED_OPT_ADDR = 0x1000, /* --feed ADDR:PORT */
	FEED_OPT_IFACE,         /* --feed-iface ADDR */
	FEED_OPT_TTL,           /* --feed-ttl N */
	FEED_OPT_SESSION,       /* --feed-session NAME */
	FEED_OPT_PACKET,        /* --feed-packet-bytes N */
	FEED_OPT_HEARTBEAT      /* --feed-heartbeat-ms N */
};

#define FEED_DEFAULT_PACKET_BYTES 1200
#define FEED_DEFAULT_HEARTBEAT_MS 1000

typedef struct feed_config
{
	int enabled;    /* --feed given */
	int others;     /* another --feed-* option given */
	uint32_t addr;  /* destination, network byte order */
	uint16_t port;  /* host byte order */
	int has_iface;  /* --feed-iface given */
	uint32_t iface; /* local interface address, network byte order */
	uint32_t ttl;   /* multicast hops */
	char session[PGX_FEED_SESSION_LEN + 1]; /* "" = the stream's epoch */
	uint32_t packet_bytes;                  /* UDP payload at most */
	uint32_t heartbeat_ms;
} feed_config;

typedef struct feed_stats
{
	uint64_t packets;  /* sent, heartbeats included */
	uint64_t messages; /* numbered (sent or dropped) */
	uint64_t bytes;    /* UDP payload sent */
	uint64_t heartbeats;
	uint64_t dropped_packets;  /* the kernel refused them (buffer full, no route) */
	uint64_t dropped_messages; /* in the dropped packets */
	uint64_t bad_records;      /* records that did not decode or translate */
	uint64_t batches;          /* published */
	uint64_t publish_us;       /* wall time in feed_publish (preemption included) */
	uint64_t publish_cpu_us;   /* the calling thread's CPU time in feed_publish */
	uint64_t next_seq;         /* sequence number of the next message */
} feed_stats;

typedef struct feed feed;

/* The defaults (feed off, ttl 1, 1200-byte packets, 1 s heartbeats). */
void feed_config_init(feed_config *c);
/* Parses one --feed* option (opt: FEED_OPT_*); 0, or -1 after a message on
 * stderr. */
int feed_option(feed_config *c, int opt, const char *value);
/* After all options: -1 (and a message) when --feed-* came without --feed. */
int feed_config_check(const feed_config *c);

/*
 * Opens the socket and the heartbeat timer and sends the session's start
 * message.  journal_seq is the last committed seq: the feed carries what
 * commits after it.  The session is c->session or, by default, epoch in ten
 * digits (each matchd start takes the stream over with a new epoch, so it
 * starts a new session).  NULL with err set on failure.
 */
feed *feed_create(const feed_config *c, int64_t epoch, int64_t journal_seq, char *err,
                  size_t errlen);
/* The heartbeat timer (a timerfd to poll for input); call feed_tick when it
 * fires. */
int feed_timer_fd(const feed *f);
void feed_tick(feed *f);
/* Publishes one committed journal batch (the bytes append_batch took). */
void feed_publish(feed *f, const uint8_t *batch, size_t len);
void feed_get_stats(const feed *f, feed_stats *st);
/* Sends the end of the session, logs the totals and frees everything. */
void feed_destroy(feed *f);

#endif
