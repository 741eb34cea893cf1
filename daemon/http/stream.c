/*
 * stream.c - Server-Sent Events fed by PostgreSQL's notifications (stream.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "stream.h"

#define SYMBOL_MAX   32
#define SYMBOLS_MAX  1024
#define ACCOUNTS_MAX 256
#define BOOK_CHANNEL "exchange_book_"

typedef struct msg
{
	int refs;
	size_t len;
	char data[];
} msg;

typedef struct sub
{
	struct sub *next;
	bool executions;
	char symbol[SYMBOL_MAX + 1];
	char role[DB_ROLE_MAX];
	char (*accounts)[33];
	int naccounts;
	msg **q;
	unsigned head, len;
	uint64_t next_id;
	bool gap, gap_sent;
	char *pending;
	size_t pending_len, pending_off;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} sub;

typedef struct
{
	char symbol[SYMBOL_MAX + 1];
	bool listening, dirty, traded;
} channel;

/* lock order: hub_mu, then a subscriber's mu (never the other way) */
static pthread_mutex_t hub_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hub_cv = PTHREAD_COND_INITIALIZER;
static sub *subs;
static unsigned nsubs;
static channel channels[SYMBOLS_MAX];
static int nchannels;
static bool stopping;
static int wake_fd = -1;
static pthread_t listener;
static bool listener_running;
static int keepalive_s = 10;
static unsigned queue_max = 1024;
static unsigned long events_total;

/* ---- messages ----------------------------------------------------------------- */

/* "event: TYPE\ndata: DATA\n\n" with every newline of DATA turned into a space */
static msg *
msg_new(const char *type, const char *data, size_t dlen)
{
	size_t tl = strlen(type);
	msg *m = malloc(sizeof(msg) + tl + dlen + 20);
	char *p;

	if (m == NULL)
		return NULL;
	m->refs = 1;
	p = m->data;
	p += sprintf(p, "event: %s\ndata: ", type);
	for (size_t i = 0; i < dlen; i++)
		*p++ = (data[i] == '\n' || data[i] == '\r') ? ' ' : data[i];
	memcpy(p, "\n\n", 3);
	p += 2;
	m->len = (size_t)(p - m->data);
	return m;
}

static void
msg_unref(msg *m)
{
	if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

/* queues m on s (front: the snapshot); a full queue marks the gap */
static void
sub_push(sub *s, msg *m, bool front)
{
	pthread_mutex_lock(&s->mu);
	if (s->gap)
		;
	else if (s->len >= queue_max)
		s->gap = true;
	else
	{
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
		if (front)
		{
			s->head = (s->head + queue_max - 1) % queue_max;
			s->q[s->head] = m;
		}
		else
			s->q[(s->head + s->len) % queue_max] = m;
		s->len++;
		events_total++;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* under hub_mu */
static void
broadcast_symbol(const char *symbol, msg *m)
{
	for (sub *s = subs; s; s = s->next)
		if (!s->executions && strcmp(s->symbol, symbol) == 0)
			sub_push(s, m, false);
}

/* ---- parsing the notifications (made by extension/publish.c) ------------------ */

/* the text of "key": in obj[0..n): a number or a quoted string (without quotes) */
static bool
field(const char *obj, size_t n, const char *key, char *out, size_t size)
{
	char pat[48];
	const char *p, *end = obj + n;
	size_t k = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = memmem(obj, n, pat, strlen(pat));
	if (p == NULL)
		return false;
	p += strlen(pat);
	if (p < end && *p == '"')
	{
		p++;
		while (p < end && *p != '"' && k + 1 < size)
			out[k++] = *p++;
	}
	else
		while (p < end && (*p == '-' || *p == '.' || (*p >= '0' && *p <= '9')) &&
		       k + 1 < size)
			out[k++] = *p++;
	out[k] = '\0';
	return k > 0;
}

/* the payload with every "price":NUMBER as "price":"NUMBER" */
static char *
quote_prices(const char *in, size_t n, size_t *outlen)
{
	char *out = malloc(n * 2 + 1), *o = out;
	const char *p = in, *end = in + n;
	static const char pat[] = "\"price\":";

	if (out == NULL)
		return NULL;
	while (p < end)
	{
		const char *hit = memmem(p, (size_t)(end - p), pat, sizeof(pat) - 1);

		if (hit == NULL)
		{
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		hit += sizeof(pat) - 1;
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		p = hit;
		if (p < end && (*p == '-' || (*p >= '0' && *p <= '9')))
		{
			*o++ = '"';
			while (p < end && (*p == '-' || *p == '.' || (*p >= '0' && *p <= '9')))
				*o++ = *p++;
			*o++ = '"';
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* queues the "trade" events of a book notification; true when there was one */
static bool
trades_of(const char *symbol, const char *payload)
{
	const char *p = payload;
	bool any = false;

	while ((p = strstr(p, "\"type\":\"execute\"")) != NULL)
	{
		const char *start = p, *end = strchr(p, '}');
		char seq[24], price[48], qty[24], side[8], data[256];
		size_t n;
		msg *m;

		while (start > payload && *start != '{')
			start--;
		if (end == NULL)
			break;
		n = (size_t)(end - start);
		if (field(start, n, "seq", seq, sizeof(seq)) &&
		    field(start, n, "price", price, sizeof(price)) &&
		    field(start, n, "quantity", qty, sizeof(qty)) &&
		    field(start, n, "aggressor_side", side, sizeof(side)))
		{
			int len =
			    snprintf(data, sizeof(data),
			             "{\"symbol\":\"%s\",\"seq\":%s,\"price\":\"%s\",\"quantity\":%s,"
			             "\"aggressorSide\":\"%s\"}",
			             symbol, seq, price, qty, side);

			if ((m = msg_new("trade", data, (size_t)len)) != NULL)
			{
				broadcast_symbol(symbol, m);
				msg_unref(m);
			}
			any = true;
		}
		p = end;
	}
	return any;
}

static channel *
find_channel(const char *symbol)
{
	for (int i = 0; i < nchannels; i++)
		if (strcmp(channels[i].symbol, symbol) == 0)
			return &channels[i];
	return NULL;
}

static void
on_notify(PGnotify *n)
{
	size_t plen = strlen(n->extra);

	pthread_mutex_lock(&hub_mu);
	if (strncmp(n->relname, BOOK_CHANNEL, strlen(BOOK_CHANNEL)) == 0)
	{
		const char *symbol = n->relname + strlen(BOOK_CHANNEL);
		channel *ch = find_channel(symbol);
		size_t qlen;
		char *q = quote_prices(n->extra, plen, &qlen);
		msg *m = q ? msg_new("increment", q, qlen) : NULL;

		if (m)
			broadcast_symbol(symbol, m);
		msg_unref(m);
		free(q);
		if (ch)
		{
			ch->dirty = true;
			if (trades_of(symbol, n->extra))
				ch->traded = true;
		}
	}
	else if (strcmp(n->relname, "exchange_executions") == 0)
	{
		char account[64];
		msg *m = NULL;

		if (field(n->extra, plen, "account", account, sizeof(account)))
			for (sub *s = subs; s; s = s->next)
			{
				if (!s->executions)
					continue;
				for (int i = 0; i < s->naccounts; i++)
					if (strcmp(s->accounts[i], account) == 0)
					{
						if (m == NULL)
							m = msg_new("execution", n->extra, plen);
						if (m)
							sub_push(s, m, false);
						break;
					}
			}
		msg_unref(m);
	}
	pthread_mutex_unlock(&hub_mu);
}

/* ---- the listener thread ------------------------------------------------------ */

static const char BOOK_SQL[] =
    "SELECT json_build_object('symbol', $1::text, "
    "'bids', coalesce(json_agg(json_build_array(b.price::text, b.quantity) ORDER BY "
    "b.level) "
    "FILTER (WHERE b.side = 'buy'), '[]'::json), "
    "'asks', coalesce(json_agg(json_build_array(b.price::text, b.quantity) ORDER BY "
    "b.level) "
    "FILTER (WHERE b.side = 'sell'), '[]'::json), "
    "'asOfSeq', coalesce(max(b.as_of_seq), (SELECT l.as_of_seq FROM "
    "exchange.order_book_l1($1) l)))::text FROM exchange.order_book_l2($1, 20) b";

static const char CANDLE_SQL[] =
    "SELECT json_build_object('symbol', $1::text, 'candles', coalesce(json_agg("
    "json_build_object('resolution', r, 'timestamp', to_char(c.bucket_start AT TIME ZONE "
    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'timestampMs', floor(extract(epoch "
    "FROM "
    "c.bucket_start) * 1000)::bigint, 'open', c.open::text, 'high', c.high::text, 'low', "
    "c.low::text, 'close', c.close::text, 'volume', c.volume, 'tradeCount', "
    "c.trade_count) "
    "ORDER BY r), '[]'::json))::text FROM unnest(ARRAY[1, 60, 3600]) r "
    "CROSS JOIN LATERAL (SELECT * FROM exchange.candles($1, r * interval '1 second', "
    "now() - 2 * r * interval '1 second') x ORDER BY x.bucket_start DESC LIMIT 1) c";

/* one json value of sql($1 = symbol), or NULL */
static char *
query_json(PGconn *c, const char *sql, const char *symbol)
{
	const char *p[1] = {symbol};
	PGresult *r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
	char *out = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !PQgetisnull(r, 0, 0))
		out = strdup(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		mlog(LOG_WARN, "stream of %s: %s", symbol, PQresultErrorMessage(r));
	PQclear(r);
	return out;
}

static void
publish_query(PGconn *c, const char *sql, const char *type, const char *symbol)
{
	char *j = query_json(c, sql, symbol);
	msg *m;

	if (j == NULL)
		return;
	if ((m = msg_new(type, j, strlen(j))) != NULL)
	{
		pthread_mutex_lock(&hub_mu);
		broadcast_symbol(symbol, m);
		pthread_mutex_unlock(&hub_mu);
		msg_unref(m);
	}
	free(j);
}

/* every stream learns that it may have missed something: they end with "gap" */
static void
all_gap(void)
{
	pthread_mutex_lock(&hub_mu);
	for (sub *s = subs; s; s = s->next)
	{
		pthread_mutex_lock(&s->mu);
		s->gap = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	for (int i = 0; i < nchannels; i++)
		channels[i].listening = false;
	pthread_cond_broadcast(&hub_cv);
	pthread_mutex_unlock(&hub_mu);
}

static bool
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		mlog(LOG_WARN, "stream listener: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

static void *
listen_main(void *arg)
{
	PGconn *l = NULL, *q = NULL;
	char err[512];

	(void)arg;
	for (;;)
	{
		struct pollfd pf[2];
		char todo[SYMBOLS_MAX][SYMBOL_MAX + 1];
		int ntodo = 0;
		PGnotify *n;
		bool stop;

		pthread_mutex_lock(&hub_mu);
		stop = stopping;
		pthread_mutex_unlock(&hub_mu);
		if (stop)
			break;
		if (l == NULL || PQstatus(l) != CONNECTION_OK || q == NULL ||
		    PQstatus(q) != CONNECTION_OK)
		{
			if (l != NULL)
			{
				mlog(LOG_WARN,
				     "stream listener: connection lost; streams end with a gap");
				all_gap();
			}
			PQfinish(l);
			PQfinish(q);
			l = db_connect_plain(err, sizeof(err));
			q = l ? db_connect_plain(err, sizeof(err)) : NULL;
			if (q == NULL || !exec_ok(l, "LISTEN exchange_executions"))
			{
				mlog(LOG_WARN, "stream listener: %s", err);
				PQfinish(l);
				PQfinish(q);
				l = q = NULL;
				sleep(1);
				continue;
			}
		}
		/* the channels subscribers asked for */
		pthread_mutex_lock(&hub_mu);
		for (int i = 0; i < nchannels; i++)
			if (!channels[i].listening)
				memcpy(todo[ntodo++], channels[i].symbol, SYMBOL_MAX + 1);
		pthread_mutex_unlock(&hub_mu);
		for (int i = 0; i < ntodo; i++)
		{
			char name[64], sql[128];
			char *id;

			snprintf(name, sizeof(name), BOOK_CHANNEL "%.32s", todo[i]);
			id = PQescapeIdentifier(l, name, strlen(name));
			snprintf(sql, sizeof(sql), "LISTEN %s", id ? id : "\"\"");
			PQfreemem(id);
			if (exec_ok(l, sql))
			{
				pthread_mutex_lock(&hub_mu);
				find_channel(todo[i])->listening = true;
				pthread_cond_broadcast(&hub_cv);
				pthread_mutex_unlock(&hub_mu);
			}
		}
		pf[0].fd = PQsocket(l);
		pf[0].events = POLLIN;
		pf[1].fd = wake_fd;
		pf[1].events = POLLIN;
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			mlog(LOG_WARN, "stream listener: poll: %s", strerror(errno));
		if (pf[1].revents & POLLIN)
		{
			uint64_t v;

			if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				mlog(LOG_WARN, "stream listener: eventfd: %s", strerror(errno));
		}
		if (!PQconsumeInput(l))
			continue; /* reconnects */
		while ((n = PQnotifies(l)) != NULL)
		{
			on_notify(n);
			PQfreemem(n);
		}
		/* the book (and candles) of every symbol that changed, once per wake-up */
		ntodo = 0;
		bool traded[SYMBOLS_MAX];

		pthread_mutex_lock(&hub_mu);
		for (int i = 0; i < nchannels; i++)
			if (channels[i].dirty)
			{
				traded[ntodo] = channels[i].traded;
				memcpy(todo[ntodo++], channels[i].symbol, SYMBOL_MAX + 1);
				channels[i].dirty = channels[i].traded = false;
			}
		pthread_mutex_unlock(&hub_mu);
		for (int i = 0; i < ntodo; i++)
		{
			publish_query(q, BOOK_SQL, "book", todo[i]);
			if (traded[i])
				publish_query(q, CANDLE_SQL, "candle", todo[i]);
		}
	}
	PQfinish(l);
	PQfinish(q);
	return NULL;
}

static void
wake(void)
{
	uint64_t one = 1;

	if (write(wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mlog(LOG_WARN, "stream: eventfd: %s", strerror(errno));
}

int
stream_start(int keepalive_seconds, int qmax, char *msgbuf, size_t size)
{
	keepalive_s = keepalive_seconds > 0 ? keepalive_seconds : 10;
	queue_max = qmax > 8 ? (unsigned)qmax : 8;
	if ((wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return snprintf(msgbuf, size, "eventfd: %s", strerror(errno)), -1;
	if (pthread_create(&listener, NULL, listen_main, NULL) != 0)
		return snprintf(msgbuf, size, "cannot start the stream listener"), -1;
	listener_running = true;
	return 0;
}

void
stream_stop(void)
{
	pthread_mutex_lock(&hub_mu);
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	for (sub *s = subs; s; s = s->next)
	{
		pthread_mutex_lock(&s->mu);
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_cond_broadcast(&hub_cv);
	pthread_mutex_unlock(&hub_mu);
	if (listener_running)
	{
		wake();
		pthread_join(listener, NULL);
		listener_running = false;
	}
}

void
stream_stats(unsigned *subscribers, unsigned long *events)
{
	pthread_mutex_lock(&hub_mu);
	*subscribers = nsubs;
	*events = events_total;
	pthread_mutex_unlock(&hub_mu);
}

/* ---- one stream: the response's reader ---------------------------------------- */

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	sub *s = cls;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&s->mu);
	while (s->pending == NULL)
	{
		struct timespec until;
		bool stop;

		if (s->len > 0 && !s->gap)
		{
			msg *m = s->q[s->head];
			char id[32];
			int il = snprintf(id, sizeof(id), "id: %" PRIu64 "\n", s->next_id++);

			s->head = (s->head + 1) % queue_max;
			s->len--;
			s->pending = malloc((size_t)il + m->len);
			if (s->pending)
			{
				memcpy(s->pending, id, (size_t)il);
				memcpy(s->pending + il, m->data, m->len);
				s->pending_len = (size_t)il + m->len;
				s->pending_off = 0;
			}
			msg_unref(m);
			if (s->pending == NULL)
				s->gap = true;
			continue;
		}
		/* not under hub_mu: the listener takes hub_mu, then a subscriber's mu */
		stop = __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
		if (s->gap && !s->gap_sent)
		{
			static const char g[] = "event: gap\ndata: {\"reason\":\"the stream fell "
			                        "behind or lost its source; "
			                        "reconnect and take a new snapshot\"}\n\n";

			s->gap_sent = true;
			if ((s->pending = strdup(g)) != NULL)
			{
				s->pending_len = sizeof(g) - 1;
				s->pending_off = 0;
				continue;
			}
		}
		if (s->gap || stop)
		{
			pthread_mutex_unlock(&s->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += keepalive_s;
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT && s->len == 0 &&
		    !s->gap)
		{
			if ((s->pending = strdup(": keepalive\n\n")) != NULL)
			{
				s->pending_len = strlen(s->pending);
				s->pending_off = 0;
			}
		}
	}
	n = s->pending_len - s->pending_off;
	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->pending_off, n);
	s->pending_off += n;
	if (s->pending_off == s->pending_len)
	{
		free(s->pending);
		s->pending = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)n;
}

static void
sub_free(sub *s)
{
	while (s->len > 0)
	{
		msg_unref(s->q[s->head]);
		s->head = (s->head + 1) % queue_max;
		s->len--;
	}
	free(s->q);
	free(s->accounts);
	free(s->pending);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static void
unsubscribe(void *cls)
{
	sub *s = cls;

	pthread_mutex_lock(&hub_mu);
	for (sub **pp = &subs; *pp; pp = &(*pp)->next)
		if (*pp == s)
		{
			*pp = s->next;
			nsubs--;
			break;
		}
	pthread_mutex_unlock(&hub_mu);
	sub_free(s);
}

static sub *
sub_new(void)
{
	sub *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->q = calloc(queue_max, sizeof(msg *))) == NULL)
		return free(s), NULL;
	s->next_id = 1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return s;
}

/* the broker's accounts (as its role sees them) into s */
static int
load_accounts(sub *s, http_answer *err)
{
	char state[6], msgbuf[512];
	PGconn *c = db_take(s->role, state, msgbuf, sizeof(msgbuf));
	PGresult *r;
	int rc = 0;

	if (c == NULL)
		return answer_error(err, http_status_for_sqlstate(state), state, msgbuf), -1;
	r = PQexec(c, "SELECT account FROM exchange.accounts ORDER BY account");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		answer_error(err, http_status_for_sqlstate(st ? st : "08006"), st,
		             PQresultErrorMessage(r));
		rc = -1;
	}
	else if (PQntuples(r) > ACCOUNTS_MAX)
		answer_error(err, 503, NULL, "too many accounts for one stream"), rc = -1;
	else if ((s->accounts = calloc((size_t)PQntuples(r) + 1, 33)) == NULL)
		answer_error(err, 503, NULL, "out of memory"), rc = -1;
	else
	{
		for (int i = 0; i < PQntuples(r); i++)
			snprintf(s->accounts[i], 33, "%s", PQgetvalue(r, i, 0));
		s->naccounts = PQntuples(r);
	}
	PQclear(r);
	db_give(s->role, c);
	return rc;
}

/* the market snapshot of s->symbol (as the caller's role), queued in front */
static int
snapshot(sub *s, http_answer *err)
{
	char state[6], msgbuf[512];
	PGconn *c = db_take(s->role, state, msgbuf, sizeof(msgbuf));
	const char *p[1] = {s->symbol};
	PGresult *r;
	int rc = 0;

	if (c == NULL)
		return answer_error(err, http_status_for_sqlstate(state), state, msgbuf), -1;
	r = PQexecParams(c, BOOK_SQL, 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
	{
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

		answer_error(err, http_status_for_sqlstate(st ? st : "08006"), st,
		             m ? m : "error");
		rc = -1;
	}
	else
	{
		msg *m = msg_new("book", PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));

		if (m == NULL)
			answer_error(err, 503, NULL, "out of memory"), rc = -1;
		else
		{
			sub_push(s, m, true);
			msg_unref(m);
		}
	}
	PQclear(r);
	db_give(s->role, c);
	return rc;
}

/* 0 when symbol is listed (as role), else the error answered */
static int
symbol_listed(const char *role, const char *symbol, http_answer *err)
{
	char state[6], msgbuf[512];
	PGconn *c = db_take(role, state, msgbuf, sizeof(msgbuf));
	const char *p[1] = {symbol};
	PGresult *r;
	int rc = 0;

	if (c == NULL)
		return answer_error(err, http_status_for_sqlstate(state), state, msgbuf), -1;
	r = PQexecParams(c, "SELECT 1 FROM exchange.symbols WHERE symbol = $1", 1, NULL, p,
	                 NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		answer_error(err, 503, NULL, "cannot read the symbols now"), rc = -1;
	else if (PQntuples(r) == 0)
		answer_error(err, 400, "PX020", "unknown symbol"), rc = -1;
	PQclear(r);
	db_give(role, c);
	return rc;
}

struct MHD_Response *
stream_open(bool executions, const char *symbol, const char *role, http_answer *err)
{
	sub *s = sub_new();
	struct MHD_Response *resp;

	if (s == NULL)
		return answer_error(err, 503, NULL, "out of memory"), NULL;
	s->executions = executions;
	snprintf(s->role, sizeof(s->role), "%s", role);
	if (executions)
	{
		jbuf ready;
		msg *m;

		if (load_accounts(s, err) < 0)
			return sub_free(s), NULL;
		/* the first event: the stream is registered, for these accounts */
		jbuf_init(&ready);
		jbuf_str(&ready, "{\"role\":");
		jbuf_quote(&ready, s->role);
		jbuf_str(&ready, ",\"accounts\":[");
		for (int i = 0; i < s->naccounts; i++)
		{
			if (i)
				jbuf_str(&ready, ",");
			jbuf_quote(&ready, s->accounts[i]);
		}
		jbuf_str(&ready, "]}");
		m = ready.failed ? NULL : msg_new("ready", ready.data, ready.len);
		jbuf_free(&ready);
		if (m == NULL)
			return sub_free(s), answer_error(err, 503, NULL, "out of memory"), NULL;
		sub_push(s, m, false);
		msg_unref(m);
		pthread_mutex_lock(&hub_mu);
		s->next = subs, subs = s, nsubs++;
		pthread_mutex_unlock(&hub_mu);
	}
	else
	{
		struct timespec until;
		channel *ch;
		bool listening;

		snprintf(s->symbol, sizeof(s->symbol), "%s", symbol);
		if (symbol_listed(role, symbol, err) < 0)
			return sub_free(s), NULL;
		pthread_mutex_lock(&hub_mu);
		if ((ch = find_channel(symbol)) == NULL && nchannels < SYMBOLS_MAX)
		{
			ch = &channels[nchannels++];
			memset(ch, 0, sizeof(*ch));
			snprintf(ch->symbol, sizeof(ch->symbol), "%s", symbol);
		}
		if (ch == NULL)
		{
			pthread_mutex_unlock(&hub_mu);
			sub_free(s);
			return answer_error(err, 503, NULL, "too many symbols streamed"), NULL;
		}
		s->next = subs, subs = s, nsubs++;
		/* the listener LISTENs before the snapshot is read: nothing is missed */
		wake();
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (!(listening = ch->listening) && !stopping &&
		       pthread_cond_timedwait(&hub_cv, &hub_mu, &until) != ETIMEDOUT)
			;
		listening = ch->listening;
		pthread_mutex_unlock(&hub_mu);
		if (!listening)
		{
			unsubscribe(s);
			return answer_error(err, 503, NULL, "the stream's source is not available"),
			       NULL;
		}
		if (snapshot(s, err) < 0)
			return unsubscribe(s), NULL;
	}
	resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, unsubscribe);
	if (resp == NULL)
	{
		unsubscribe(s);
		return answer_error(err, 503, NULL, "out of memory"), NULL;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return resp;
}
