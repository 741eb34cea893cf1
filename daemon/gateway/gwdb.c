/*
 * gwdb.c - gatewayd's PostgreSQL side (gwdb.h): reference data, the
 * write-behind store of sequence numbers and messages, the Logon check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "gwdb.h"
#include "log.h"

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void
wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mlog(LOG_WARN, "eventfd: %s", strerror(errno));
}

void
gwdb_refdata_free(gw_refdata *r)
{
	free(r->sessions);
	free(r->symbols);
	free(r->accounts);
	memset(r, 0, sizeof(*r));
}

/* "0.0100" -> {1, 2}: the grid as an integer at the smallest exact scale. */
static bool
parse_tick(const char *text, fixo_tick *t)
{
	int64_t units = 0;
	int scale = 0, seen_point = 0;
	size_t n = strlen(text);

	if (strchr(text, '.'))
		while (n > 0 && text[n - 1] == '0')
			n--;
	if (n > 0 && text[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
	{
		if (text[i] == '.')
		{
			if (seen_point++)
				return false;
			continue;
		}
		if (text[i] < '0' || text[i] > '9' || units > (INT64_MAX - 9) / 10)
			return false;
		units = units * 10 + (text[i] - '0');
		if (seen_point)
			scale++;
	}
	if (units <= 0 || scale > 9)
		return false;
	t->units = units;
	t->scale = scale;
	return true;
}

static PGconn *
connect_db(const char *conninfo, char *msg, size_t size)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
	{
		snprintf(msg, size, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static PGresult *
query(PGconn *c, const char *sql, char *msg, size_t size)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		snprintf(msg, size, "%s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
load_refdata(PGconn *c, gw_refdata *out, char *msg, size_t size)
{
	PGresult *r;
	gw_refdata d = {0};

	if ((r = query(c,
	               "SELECT sender_comp_id, target_comp_id, broker, cancel_on_disconnect, "
	               "enabled, next_in_seq, next_out_seq FROM exchange.fix_sessions",
	               msg, size)) == NULL)
		return -1;
	d.nsessions = (uint32_t)PQntuples(r);
	d.sessions = calloc(d.nsessions + 1, sizeof(*d.sessions));
	for (uint32_t i = 0; d.sessions && i < d.nsessions; i++)
	{
		gw_session_row *s = &d.sessions[i];

		copy(s->sender, sizeof(s->sender), PQgetvalue(r, (int)i, 0));
		copy(s->target, sizeof(s->target), PQgetvalue(r, (int)i, 1));
		copy(s->broker, sizeof(s->broker), PQgetvalue(r, (int)i, 2));
		s->cancel_on_disconnect = PQgetvalue(r, (int)i, 3)[0] == 't';
		s->enabled = PQgetvalue(r, (int)i, 4)[0] == 't';
		s->next_in = strtoll(PQgetvalue(r, (int)i, 5), NULL, 10);
		s->next_out = strtoll(PQgetvalue(r, (int)i, 6), NULL, 10);
	}
	PQclear(r);
	if ((r = query(c, "SELECT symbol, tick_size::text, lot_size FROM exchange.symbols",
	               msg, size)) == NULL)
		return gwdb_refdata_free(&d), -1;
	d.nsymbols = (uint32_t)PQntuples(r);
	d.symbols = calloc(d.nsymbols + 1, sizeof(*d.symbols));
	for (uint32_t i = 0, k = 0; d.symbols && i < d.nsymbols; i++)
	{
		gw_symbol_row *s = &d.symbols[k];

		copy(s->symbol, sizeof(s->symbol), PQgetvalue(r, (int)i, 0));
		s->lot = strtoll(PQgetvalue(r, (int)i, 2), NULL, 10);
		if (parse_tick(PQgetvalue(r, (int)i, 1), &s->tick) && s->lot > 0)
			k++;
		else
			mlog(LOG_WARN, "symbol %s: tick size %s not usable by FIX", s->symbol,
			     PQgetvalue(r, (int)i, 1));
		if (i + 1 == d.nsymbols)
			d.nsymbols = k;
	}
	PQclear(r);
	if ((r = query(c, "SELECT sender_comp_id, account FROM exchange.fix_session_accounts",
	               msg, size)) == NULL)
		return gwdb_refdata_free(&d), -1;
	d.naccounts = (uint32_t)PQntuples(r);
	d.accounts = calloc(d.naccounts + 1, sizeof(*d.accounts));
	for (uint32_t i = 0; d.accounts && i < d.naccounts; i++)
	{
		copy(d.accounts[i].sender, sizeof(d.accounts[i].sender),
		     PQgetvalue(r, (int)i, 0));
		copy(d.accounts[i].account, sizeof(d.accounts[i].account),
		     PQgetvalue(r, (int)i, 1));
	}
	PQclear(r);
	if (!d.sessions || !d.symbols || !d.accounts)
		return gwdb_refdata_free(&d), snprintf(msg, size, "out of memory"), -1;
	*out = d;
	return 0;
}

int
gwdb_load_refdata(const char *conninfo, gw_refdata *out, char *msg, size_t size)
{
	PGconn *c = connect_db(conninfo, msg, size);
	int rc;

	if (c == NULL)
		return -1;
	rc = load_refdata(c, out, msg, size);
	PQfinish(c);
	return rc;
}

int
gwdb_load_messages(const char *conninfo, gwdb_msg_fn fn, void *ctx, char *msg,
                   size_t size)
{
	PGconn *c = connect_db(conninfo, msg, size);
	PGresult *r;

	if (c == NULL)
		return -1;
	r = query(c,
	          "SELECT m.sender_comp_id, m.target_comp_id, m.seq, m.message "
	          "FROM exchange.fix_messages m JOIN exchange.fix_sessions s USING "
	          "(sender_comp_id, target_comp_id) WHERE m.seq < s.next_out_seq "
	          "ORDER BY 1, 2, 3",
	          msg, size);
	if (r == NULL)
		return PQfinish(c), -1;
	for (int i = 0; i < PQntuples(r); i++)
		fn(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		   strtoll(PQgetvalue(r, i, 2), NULL, 10), PQgetvalue(r, i, 3),
		   (size_t)PQgetlength(r, i, 3));
	PQclear(r);
	PQfinish(c);
	return 0;
}

int
gwdb_load_open_orders(const char *conninfo, gwdb_order_fn fn, void *ctx, int64_t *as_of,
                      char *msg, size_t size)
{
	PGconn *c = connect_db(conninfo, msg, size);
	PGresult *r;

	if (c == NULL)
		return -1;
	/* fix_open_orders() (extension 1.7) does not return the options of 1.8
	 * and 1.9: they are read from the new order's journaled detail (the
	 * gateway's role may read the journal), and a stop waits until its
	 * triggered record */
	r = query(
	    c,
	    "SELECT f.sender_comp_id, f.order_id, coalesce(f.client_order_id, ''), "
	    "f.account, "
	    "f.symbol, f.side::text, f.order_type::text, f.time_in_force::text, f.price, "
	    "f.quantity, f.filled, f.remaining, f.px_qty, f.as_of_seq, "
	    "coalesce(n.detail->>'stop_price', '0'), "
	    "coalesce(n.detail->>'post_only', 'false'), "
	    "coalesce(n.detail->>'expire_time', ''), "
	    "NOT EXISTS (SELECT 1 FROM exchange.journal t WHERE t.kind = 'triggered' "
	    "AND t.order_id = f.order_id AND t.account = f.account "
	    "AND t.seq <= f.as_of_seq) "
	    "FROM exchange.fix_open_orders() f "
	    /* by order_id (journal_order_id), not seq alone: the journal's key
	     * starts with the stream, so a seq alone scans every partition */
	    "LEFT JOIN exchange.journal n ON n.order_id = f.order_id AND n.seq = f.order_id "
	    "AND n.idx = 0 AND n.kind = 'new_order' AND n.account = f.account",
	    msg, size);
	if (r == NULL)
		return PQfinish(c), -1;
	*as_of = 0;
	for (int i = 0; i < PQntuples(r); i++)
	{
		gw_open_order o = {0};
		const char *v;

		copy(o.sender, sizeof(o.sender), PQgetvalue(r, i, 0));
		o.order_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		copy(o.clordid, sizeof(o.clordid), PQgetvalue(r, i, 2));
		copy(o.account, sizeof(o.account), PQgetvalue(r, i, 3));
		copy(o.symbol, sizeof(o.symbol), PQgetvalue(r, i, 4));
		o.side = strcmp(PQgetvalue(r, i, 5), "buy") == 0 ? PGX_SIDE_BUY : PGX_SIDE_SELL;
		v = PQgetvalue(r, i, 6);
		o.order_type = strcmp(v, "limit") == 0        ? PGX_TYPE_LIMIT
		               : strcmp(v, "stop") == 0       ? PGX_TYPE_STOP
		               : strcmp(v, "stop_limit") == 0 ? PGX_TYPE_STOP_LIMIT
		                                              : PGX_TYPE_MARKET;
		v = PQgetvalue(r, i, 7);
		o.tif = strcmp(v, "day") == 0   ? PGX_TIF_DAY
		        : strcmp(v, "gtc") == 0 ? PGX_TIF_GTC
		        : strcmp(v, "ioc") == 0 ? PGX_TIF_IOC
		        : strcmp(v, "gtd") == 0 ? PGX_TIF_GTD
		                                : PGX_TIF_FOK;
		/* a stop (market) has no limit; an amend journals its collar as price */
		o.has_price = !PQgetisnull(r, i, 8) && (o.order_type == PGX_TYPE_LIMIT ||
		                                        o.order_type == PGX_TYPE_STOP_LIMIT);
		o.price = strtoll(PQgetvalue(r, i, 8), NULL, 10);
		o.quantity = strtoll(PQgetvalue(r, i, 9), NULL, 10);
		o.filled = strtoll(PQgetvalue(r, i, 10), NULL, 10);
		o.remaining = strtoll(PQgetvalue(r, i, 11), NULL, 10);
		o.px_qty = strtoll(PQgetvalue(r, i, 12), NULL, 10);
		*as_of = strtoll(PQgetvalue(r, i, 13), NULL, 10);
		o.stop_price = strtoll(PQgetvalue(r, i, 14), NULL, 10);
		o.post_only = strcmp(PQgetvalue(r, i, 15), "true") == 0;
		v = PQgetvalue(r, i, 16);
		o.expire_us = v[0] ? strtoll(v, NULL, 10) + FIXO_PG_EPOCH_US : 0;
		o.waiting = o.stop_price > 0 && strcmp(PQgetvalue(r, i, 17), "t") == 0;
		fn(ctx, &o);
	}
	if (PQntuples(r) == 0)
	{
		PQclear(r);
		r = query(c, "SELECT coalesce(max(last_seq), 0) FROM exchange.streams", msg,
		          size);
		if (r == NULL)
			return PQfinish(c), -1;
		*as_of = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	}
	PQclear(r);
	PQfinish(c);
	return 0;
}

/* ---- the writer ------------------------------------------------------------ */

typedef struct wop
{
	char sender[FIX_COMPID_MAX + 1], target[FIX_COMPID_MAX + 1];
	int64_t seq; /* 0: next seqs in a/b */
	int64_t a, b;
	bool exact; /* seqs: store b as it is (a clean stop), not reserved ahead */
	char *bytes;
	size_t len;
} wop;

static struct
{
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
	char *conninfo;
	wop *q;
	size_t n, cap;
	int ref_fd;
	gw_refdata ref;
	bool ref_ready;
	uint64_t txns, msgs, failures;
} w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .ref_fd = -1};

static void
push(const wop *op)
{
	pthread_mutex_lock(&w.mu);
	if (w.n == w.cap)
	{
		size_t cap = w.cap ? w.cap * 2 : 4096;
		wop *p = realloc(w.q, cap * sizeof(*p));

		if (p == NULL)
		{
			pthread_mutex_unlock(&w.mu);
			free(op->bytes);
			mlog(LOG_ERROR, "out of memory queueing for the message store");
			return;
		}
		w.q = p;
		w.cap = cap;
	}
	w.q[w.n++] = *op;
	pthread_mutex_unlock(&w.mu);
}

void
gwdb_save_seqs(const char *sender, const char *target, int64_t next_in, int64_t next_out,
               bool exact)
{
	wop op = {.seq = 0, .a = next_in, .b = next_out, .exact = exact};

	copy(op.sender, sizeof(op.sender), sender);
	copy(op.target, sizeof(op.target), target);
	push(&op);
}

void
gwdb_save_msg(const char *sender, const char *target, int64_t seq, const char *bytes,
              size_t len)
{
	wop op = {.seq = seq, .len = len};

	copy(op.sender, sizeof(op.sender), sender);
	copy(op.target, sizeof(op.target), target);
	if ((op.bytes = malloc(len)) == NULL)
		return;
	memcpy(op.bytes, bytes, len);
	push(&op);
}

/* text[] / bigint[] literals */
typedef struct sbuf
{
	char *p;
	size_t n, cap;
} sbuf;

static void
sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap)
	{
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* An element of a text[] literal: double-quoted, backslash and quote escaped. */
static void
sb_array_text(sbuf *b, const char *s, size_t n)
{
	size_t from = 0;

	sb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] != '\\' && s[i] != '"')
			continue;
		sb_put(b, s + from, i - from);
		sb_put(b, "\\", 1);
		from = i;
	}
	sb_put(b, s + from, n - from);
	sb_put(b, "\"", 1);
}

typedef struct flush_sess
{
	const char *sender, *target;
	int64_t next_in, next_out; /* -1: unchanged */
	bool exact;                /* next_out as it is, not reserved ahead */
	size_t *msgs;              /* indexes into the ops, ascending seq */
	size_t nmsgs;
} flush_sess;

/* A bigint[] or int[] literal's next element. */
static void
sb_array_int(sbuf *b, bool first, int64_t v)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%s%" PRId64, first ? "{" : ",", v);

	sb_put(b, num, (size_t)len);
}

/*
 * One transaction and one exchange.fix_store_many() call for everything
 * queued: every session's last sequence numbers, and its messages as one
 * block (a row per message cost PostgreSQL ~20 us each; a call per session
 * ~100 us: as much as the journal's appends at the same order rate).
 */
static int
flush_ops(PGconn *c, wop *ops, size_t n)
{
	flush_sess *fs = calloc(n ? n : 1, sizeof(*fs));
	size_t *idx = calloc(n ? n : 1, sizeof(size_t)), used = 0, nfs = 0;
	sbuf senders = {0}, targets = {0}, next_in = {0}, next_out = {0}, counts = {0},
	     seqs = {0}, msgs = {0};
	const char *vals[7];
	PGresult *r;
	int rc = 0;
	uint64_t count = 0;

	if (fs == NULL || idx == NULL)
		return free(fs), free(idx), -1;
	/* each session's messages: a session's ops are in seq order but after a
	 * reset, whose numbers replace what this write had from before it */
	for (size_t i = 0; i < n; i++)
	{
		size_t k;

		for (k = 0; k < nfs; k++)
			if (strcmp(fs[k].sender, ops[i].sender) == 0 &&
			    strcmp(fs[k].target, ops[i].target) == 0)
				break;
		if (k == nfs)
			fs[nfs++] =
			    (flush_sess){ops[i].sender, ops[i].target, -1, -1, false, NULL, 0};
		if (ops[i].seq == 0)
		{
			fs[k].next_in = ops[i].a;
			fs[k].next_out = ops[i].b;
			fs[k].exact = ops[i].exact;
			continue;
		}
		if (fs[k].msgs == NULL)
		{
			/* room for all of this session's messages that follow */
			size_t room = 0;

			for (size_t j = i; j < n; j++)
				room += ops[j].seq != 0 && strcmp(ops[j].sender, ops[i].sender) == 0 &&
				        strcmp(ops[j].target, ops[i].target) == 0;
			fs[k].msgs = idx + used;
			used += room;
		}
		while (fs[k].nmsgs > 0 && ops[fs[k].msgs[fs[k].nmsgs - 1]].seq >= ops[i].seq)
			fs[k].nmsgs--;
		fs[k].msgs[fs[k].nmsgs++] = i;
	}
	for (size_t k = 0; k < nfs; k++)
	{
		sb_put(&senders, k ? "," : "{", 1);
		sb_array_text(&senders, fs[k].sender, strlen(fs[k].sender));
		sb_put(&targets, k ? "," : "{", 1);
		sb_array_text(&targets, fs[k].target, strlen(fs[k].target));
		if (fs[k].next_in < 0)
		{
			sb_put(&next_in, k ? ",NULL" : "{NULL", 5);
			sb_put(&next_out, k ? ",NULL" : "{NULL", 5);
		}
		else
		{
			sb_array_int(&next_in, k == 0, fs[k].next_in);
			/* a reservation while running (gwdb.h, GWDB_SEQ_RESERVE) */
			sb_array_int(&next_out, k == 0,
			             fs[k].next_out + (fs[k].exact ? 0 : GWDB_SEQ_RESERVE));
		}
		sb_array_int(&counts, k == 0, (int64_t)fs[k].nmsgs);
		for (size_t m = 0; m < fs[k].nmsgs; m++)
		{
			const wop *op = &ops[fs[k].msgs[m]];

			sb_array_int(&seqs, count == 0, op->seq);
			sb_put(&msgs, count ? "," : "{", 1);
			sb_array_text(&msgs, op->bytes, op->len);
			count++;
		}
	}
	{
		sbuf *all[7] = {&senders, &targets, &next_in, &next_out, &counts, &seqs, &msgs};

		for (int i = 0; i < 7; i++)
		{
			sb_put(all[i], all[i]->n ? "}" : "{}", all[i]->n ? 1 : 2);
			if (all[i]->p == NULL)
				rc = -1;
			vals[i] = all[i]->p;
		}
	}
	if (rc != 0)
		mlog(LOG_WARN, "message store: out of memory");
	else
	{
		r = PQexecParams(c, "SELECT exchange.fix_store_many($1, $2, $3, $4, $5, $6, $7)",
		                 7, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			mlog(LOG_WARN, "message store: %s", PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	free(senders.p);
	free(targets.p);
	free(next_in.p);
	free(next_out.p);
	free(counts.p);
	free(seqs.p);
	free(msgs.p);
	free(idx);
	free(fs);
	w.txns++;
	if (rc == 0)
		w.msgs += count;
	return rc;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *
writer_main(void *arg)
{
	PGconn *c = NULL;
	uint64_t last_reload = mono_ms(), last_write = 0;
	wop *ops = NULL;
	size_t n = 0;

	(void)arg;
	for (;;)
	{
		int stop;
		char msg[512];

		pthread_mutex_lock(&w.mu);
		if (n == 0)
		{
			/* one write per GWDB_WRITE_MS at most: a write costs PostgreSQL
			 * about a millisecond of CPU whatever it holds, its messages a
			 * microsecond or two each */
			uint64_t due = last_write + GWDB_WRITE_MS, now = mono_ms();

			if (!w.stop && (w.n == 0 || now < due))
			{
				struct timespec until;
				uint64_t wait_ms = now < due ? due - now : GWDB_WRITE_MS;

				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_nsec += (long)(wait_ms * 1000000u);
				until.tv_sec += until.tv_nsec / 1000000000;
				until.tv_nsec %= 1000000000;
				pthread_cond_timedwait(&w.cv, &w.mu, &until);
			}
			last_write = mono_ms();
			/* take the queue as it is: the loop goes on filling a new one */
			ops = w.q;
			n = w.n;
			w.q = NULL;
			w.n = w.cap = 0;
		}
		stop = w.stop;
		pthread_mutex_unlock(&w.mu);

		if (c == NULL || PQstatus(c) != CONNECTION_OK)
		{
			PQfinish(c);
			if ((c = connect_db(w.conninfo, msg, sizeof(msg))) == NULL)
			{
				w.failures++;
				mlog(LOG_WARN, "message store: %s; retrying", msg);
				if (stop)
					break;
				usleep(200000);
				continue;
			}
			/*
			 * The store writes behind what was sent anyway: its commits need
			 * not wait for their WAL flush (a gateway crash loses nothing
			 * more; only a crash of PostgreSQL itself loses the last few
			 * hundred ms of it).  Waiting cost a flush per write - as many
			 * as the journal's commits, on the same WAL, at the same rate.
			 */
			PQclear(PQexec(c, "SET synchronous_commit = off"));
		}
		if (n > 0)
		{
			if (flush_ops(c, ops, n) != 0)
			{
				w.failures++;
				if (PQstatus(c) != CONNECTION_OK && !stop)
					continue; /* keep the ops: write them on the next connection */
				mlog(LOG_WARN, "message store: %zu queued writes dropped", n);
			}
			for (size_t i = 0; i < n; i++)
				free(ops[i].bytes);
			free(ops);
			ops = NULL;
			n = 0;
		}
		if (stop)
		{
			pthread_mutex_lock(&w.mu);
			stop = w.n == 0;
			pthread_mutex_unlock(&w.mu);
			if (stop)
				break;
			continue;
		}
		if (mono_ms() - last_reload >= GWDB_RELOAD_MS)
		{
			gw_refdata ref;

			last_reload = mono_ms();
			if (load_refdata(c, &ref, msg, sizeof(msg)) == 0)
			{
				pthread_mutex_lock(&w.mu);
				if (w.ref_ready)
					gwdb_refdata_free(&w.ref);
				w.ref = ref;
				w.ref_ready = true;
				pthread_mutex_unlock(&w.mu);
				wake(w.ref_fd);
			}
			else
				mlog(LOG_WARN, "reloading the reference data: %s", msg);
		}
	}
	PQfinish(c);
	return NULL;
}

int
gwdb_writer_start(const char *conninfo, char *msg, size_t size)
{
	w.conninfo = strdup(conninfo);
	w.ref_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w.conninfo == NULL || w.ref_fd < 0 ||
	    pthread_create(&w.thread, NULL, writer_main, NULL) != 0)
		return snprintf(msg, size, "cannot start the store thread: %s", strerror(errno)),
		       -1;
	w.running = 1;
	return 0;
}

void
gwdb_writer_stop(void)
{
	if (!w.running)
		return;
	pthread_mutex_lock(&w.mu);
	w.stop = 1;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(w.thread, NULL);
	w.running = 0;
	if (w.ref_ready)
		gwdb_refdata_free(&w.ref);
	free(w.conninfo);
}

int
gwdb_refdata_fd(void)
{
	return w.ref_fd;
}

bool
gwdb_refdata_take(gw_refdata *out)
{
	bool got;
	uint64_t v;

	if (read(w.ref_fd, &v, sizeof(v)) < 0)
	{ /* nothing signalled */
	}
	pthread_mutex_lock(&w.mu);
	got = w.ref_ready;
	if (got)
	{
		*out = w.ref;
		memset(&w.ref, 0, sizeof(w.ref));
		w.ref_ready = false;
	}
	pthread_mutex_unlock(&w.mu);
	return got;
}

void
gwdb_writer_stats(uint64_t *txns, uint64_t *msgs, uint64_t *failures)
{
	*txns = w.txns;
	*msgs = w.msgs;
	*failures = w.failures;
}

/* ---- the authenticator --------------------------------------------------------- */

#define AUTH_QUEUE 256

typedef struct auth_job
{
	uint64_t token;
	char user[GWDB_NAME_MAX + 1];
	char password[129];
	bool ok;
	char why[160];
} auth_job;

static struct
{
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
	PQconninfoOption *base;
	auth_job in[AUTH_QUEUE], out[AUTH_QUEUE];
	uint32_t in_head, in_n, out_head, out_n;
	int fd;
} a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .fd = -1};

static void
check(auth_job *j)
{
	const char *keys[40], *vals[40];
	int n = 0;
	PGconn *c;

	for (PQconninfoOption *o = a.base; o->keyword && n < 36; o++)
		if (o->val && strcmp(o->keyword, "user") != 0 &&
		    strcmp(o->keyword, "password") != 0 && strcmp(o->keyword, "passfile") != 0)
			keys[n] = o->keyword, vals[n++] = o->val;
	keys[n] = "user", vals[n++] = j->user;
	keys[n] = "password", vals[n++] = j->password;
	keys[n] = "passfile", vals[n++] = "/dev/null";
	keys[n] = "connect_timeout", vals[n++] = "5";
	keys[n] = NULL, vals[n] = NULL;
	c = PQconnectdbParams(keys, vals, 0);
	j->ok = PQstatus(c) == CONNECTION_OK;
	if (!j->ok)
	{
		const char *e = PQerrorMessage(c);
		const char *f = strstr(e, "FATAL:");

		snprintf(j->why, sizeof(j->why), "%s", f ? f : e);
		for (char *p = j->why; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
	PQfinish(c);
	explicit_bzero(j->password, sizeof(j->password));
}

static void *
auth_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&a.mu);
	for (;;)
	{
		auth_job j;

		while (a.in_n == 0 && !a.stop)
			pthread_cond_wait(&a.cv, &a.mu);
		if (a.stop)
			break;
		j = a.in[a.in_head];
		explicit_bzero(&a.in[a.in_head], sizeof(a.in[0]));
		a.in_head = (a.in_head + 1) % AUTH_QUEUE;
		a.in_n--;
		pthread_mutex_unlock(&a.mu);
		check(&j);
		pthread_mutex_lock(&a.mu);
		if (a.out_n < AUTH_QUEUE)
		{
			a.out[(a.out_head + a.out_n) % AUTH_QUEUE] = j;
			a.out_n++;
		}
		wake(a.fd);
	}
	pthread_mutex_unlock(&a.mu);
	return NULL;
}

int
gwauth_start(const char *auth_conninfo, char *msg, size_t size)
{
	char *err = NULL;

	if ((a.base = PQconninfoParse(auth_conninfo, &err)) == NULL)
	{
		snprintf(msg, size, "bad --auth-conninfo: %s", err ? err : "out of memory");
		PQfreemem(err);
		return -1;
	}
	a.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a.fd < 0 || pthread_create(&a.thread, NULL, auth_main, NULL) != 0)
		return snprintf(msg, size, "cannot start the logon thread: %s", strerror(errno)),
		       -1;
	a.running = 1;
	return 0;
}

void
gwauth_stop(void)
{
	if (!a.running)
		return;
	pthread_mutex_lock(&a.mu);
	a.stop = 1;
	pthread_cond_signal(&a.cv);
	pthread_mutex_unlock(&a.mu);
	pthread_join(a.thread, NULL);
	PQconninfoFree(a.base);
	a.running = 0;
}

bool
gwauth_submit(uint64_t token, const char *user, size_t ulen, const char *password,
              size_t plen)
{
	auth_job *j;

	if (ulen > GWDB_NAME_MAX || plen >= sizeof(j->password))
		return false;
	pthread_mutex_lock(&a.mu);
	if (a.in_n + a.out_n >= AUTH_QUEUE - 1)
	{
		pthread_mutex_unlock(&a.mu);
		return false;
	}
	j = &a.in[(a.in_head + a.in_n) % AUTH_QUEUE];
	memset(j, 0, sizeof(*j));
	j->token = token;
	memcpy(j->user, user, ulen);
	memcpy(j->password, password, plen);
	a.in_n++;
	pthread_cond_signal(&a.cv);
	pthread_mutex_unlock(&a.mu);
	return true;
}

int
gwauth_fd(void)
{
	return a.fd;
}

bool
gwauth_take(uint64_t *token, bool *ok, char *why, size_t size)
{
	bool got = false;
	uint64_t v;

	if (read(a.fd, &v, sizeof(v)) < 0)
	{ /* nothing signalled */
	}
	pthread_mutex_lock(&a.mu);
	if (a.out_n > 0)
	{
		auth_job *j = &a.out[a.out_head];

		*token = j->token;
		*ok = j->ok;
		snprintf(why, size, "%s", j->why);
		a.out_head = (a.out_head + 1) % AUTH_QUEUE;
		a.out_n--;
		got = true;
		if (a.out_n > 0)
			wake(a.fd);
	}
	pthread_mutex_unlock(&a.mu);
	return got;
}
