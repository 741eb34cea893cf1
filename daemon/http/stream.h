/*
 * stream.h - Server-Sent Events: live market data per symbol and a broker's
 * own executions, fed by what the exchange already publishes: PostgreSQL's
 * NOTIFY channels exchange_book_<SYMBOL> and exchange_executions, sent by
 * append_batch when a batch commits (docs/sql-reference.md, "Real-time
 * notifications"), so nothing reaches a subscriber before it committed.
 *
 * One listener thread holds one connection (the daemon's own role) that
 * LISTENs to every channel some subscriber needs.  For each notification of a
 * symbol it queues to that symbol's subscribers:
 *   event "increment": the book increments as published (version, seq,
 *                      part/parts, events; prices turned into strings);
 *   event "trade":     one per execute event (price, quantity, aggressor side, seq);
 *   event "book":      the L2 book after the batch (20 levels, asOfSeq), one
 *                      query per symbol per wake-up, shared by its subscribers;
 *   event "candle":    after trades, the current 1 s, 1 min and 1 h candles.
 * A broker's stream gets "execution" events of its own accounts only (the
 * accounts its role sees when it subscribes).
 *
 * Every subscriber has a bounded queue; one that falls --sse-queue events
 * behind gets an event "gap" and its stream ends (the client reconnects and
 * takes a new snapshot): a slow client never holds the listener or the
 * others.  Every event carries id: N, consecutive per stream.
 */
#ifndef HTTPD_STREAM_H
#define HTTPD_STREAM_H

#include <microhttpd.h>

#include "api.h"

int stream_start(int keepalive_seconds, int queue_max, char *msg, size_t size);
void stream_stop(void);

/*
 * The response of a stream, or NULL with the error in err.  symbol: the
 * market stream's symbol; role: the broker ("" for the market stream of an
 * anonymous client).
 */
struct MHD_Response *stream_open(bool executions, const char *symbol, const char *role,
                                 http_answer *err);

/* subscribers now, events queued so far */
void stream_stats(unsigned *subscribers, unsigned long *events);

#endif
