/*
 * gatewayd.c - the FIX 4.4 order-entry gateway: the I/O shell around the
 * pure fixmsg/fixsession/fixorder modules (docs/fix.md).
 *
 * One thread runs an epoll loop over: the FIX listener and its connections
 * (TCP, 127.0.0.1:$PGX_FIX_PORT), one persistent connection to matchd's
 * socket carrying every session's requests (exchange_wire.h frames; each
 * request's request_id is the gateway's correlation id) and the order-event
 * stream (PGX_MSG_SUBSCRIBE), a timer, signals, and the eventfds of the two
 * PostgreSQL threads of gwdb.c (the write-behind message store with the
 * reference data reload, and the Logon check).  PostgreSQL is never on the
 * order path: an order is a request to matchd, and its ExecutionReport
 * leaves only once matchd answered it, which matchd does only after the
 * journal batch holding it committed - as for exchange.submit_order().
 *
 * The gateway keeps no state of its own beyond a restart: sessions,
 * sequence numbers and sent messages are in PostgreSQL
 * (exchange.fix_sessions, exchange.fix_messages), the orders in the journal
 * (exchange.fix_open_orders() at start).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "exchange_wire.h"
#include "fixmsg.h"
#include "fixorder.h"
#include "fixsession.h"
#include "gwdb.h"
#include "log.h"

#define TAG_LISTEN  0xFFFFFF01u
#define TAG_MATCHD  0xFFFFFF02u
#define TAG_TIMER   0xFFFFFF03u
#define TAG_SIGNAL  0xFFFFFF04u
#define TAG_AUTH    0xFFFFFF05u
#define TAG_REFDATA 0xFFFFFF06u

#define PEND_CAP       (1u << 18) /* requests in flight to matchd */
#define STORE_CAP      (1u << 16) /* sent messages kept in memory per session */
#define IN_MAX         (FIX_BODY_MAX + 64)
#define FAIL_WINDOW_US 60000000LL
typedef struct options
{
	const char *listen_addr;
	int port;
	const char *matchd_socket;
	const char *conninfo;
	const char *auth_conninfo;
	const char *comp_id;
	const char *pidfile;
	uint32_t max_connections;
	uint32_t max_logon_failures;
	uint32_t max_session_logon_failures;
	int64_t logon_timeout_ms;
} options;

/* ---- small hash table: uint64 key -> int32 value (open addressing) ------------ */
typedef struct htab
{
	uint64_t *keys;
	int32_t *vals; /* -1 empty, -2 deleted */
	uint32_t cap, used;
} htab;

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t
hash_str(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ mix(seed + 1);

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return mix(h);
}

static int
ht_init(htab *t, uint32_t cap)
{
	t->cap = cap;
	t->used = 0;
	t->keys = calloc(cap, sizeof(uint64_t));
	t->vals = malloc(cap * sizeof(int32_t));
	if (!t->keys || !t->vals)
		return -1;
	memset(t->vals, 0xFF, cap * sizeof(int32_t));
	return 0;
}

static void
ht_free(htab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static int32_t
ht_get(const htab *t, uint64_t key)
{
	for (uint32_t i = (uint32_t)mix(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
	{
		if (t->vals[i] == -1)
			return -1;
		if (t->vals[i] >= 0 && t->keys[i] == key)
			return t->vals[i];
	}
}

static void ht_put(htab *t, uint64_t key, int32_t val);

static void
ht_grow(htab *t)
{
	htab n;

	if (ht_init(&n, t->cap * 2) != 0)
	{
		mlog(LOG_ERROR, "out of memory growing a table");
		exit(1);
	}
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->vals[i] >= 0)
			ht_put(&n, t->keys[i], t->vals[i]);
	ht_free(t);
	*t = n;
}

static void
ht_put(htab *t, uint64_t key, int32_t val)
{
	uint32_t i;

	if ((t->used + 1) * 2 > t->cap)
		ht_grow(t);
	for (i = (uint32_t)mix(key) & (t->cap - 1); t->vals[i] >= 0 && t->keys[i] != key;
	     i = (i + 1) & (t->cap - 1))
		;
	if (t->vals[i] < 0)
		t->used++;
	t->keys[i] = key;
	t->vals[i] = val;
}

static void
ht_del(htab *t, uint64_t key)
{
	for (uint32_t i = (uint32_t)mix(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
	{
		if (t->vals[i] == -1)
			return;
		if (t->vals[i] >= 0 && t->keys[i] == key)
		{
			t->vals[i] = -2;
			return;
		}
	}
}

/* ---- state ------------------------------------------------------------------ */

/* An ExecutionReport or OrderCancelReject waiting for its session's next Logon. */
typedef struct queued
{
	char kind; /* '8' ExecutionReport, '9' OrderCancelReject */
	fixo_exec e;
	char clordid[FIXO_CLORDID_MAX + 1], orig[FIXO_CLORDID_MAX + 1];
	char account[FIXO_ACCOUNT_MAX + 1], symbol[FIXO_SYMBOL_MAX + 1];
	char text[200];
} queued;

typedef struct gsess
{
	gw_session_row row;
	int conn; /* the connection logged on (or logging on) as it, -1 */
	bool present;
	char **store; /* sent application messages by seq % STORE_CAP */
	int64_t *store_seq;
	queued *q;
	uint32_t nq, qcap;
	uint32_t logon_failures; /* in the window since fail_window_start */
	int64_t fail_window_start;
} gsess;

typedef struct order
{
	bool used;
	int sess;
	fixo_state st;        /* the order as the session sees it (fixorder.h) */
	int64_t loaded_as_of; /* events at or before this seq are in st already */
	int next_free;
} order;

enum
{
	REQ_NEW = 1,
	REQ_CANCEL,
	REQ_AMEND,
	REQ_COD /* cancel on disconnect */
};

typedef struct pending
{
	uint64_t id; /* 0: free */
	int kind;
	int order;
	char clordid[FIXO_CLORDID_MAX + 1]; /* of the F/G */
	int64_t new_qty, new_price;
	bool has_price;
	uint64_t sent_us; /* monotonic: when it was queued for matchd */
} pending;

/* Latencies by 50 us up to 10 s (the last bucket: beyond), for the stop log. */
#define LAT_BUCKET_US 50
#define LAT_BUCKETS   200001
typedef struct lat_hist
{
	uint32_t n[LAT_BUCKETS];
	uint64_t count;
} lat_hist;

static void
lat_add(lat_hist *h, uint64_t us)
{
	uint64_t b = us / LAT_BUCKET_US;

	h->n[b < LAT_BUCKETS - 1 ? b : LAT_BUCKETS - 1]++;
	h->count++;
}

/* The upper bound (us) of the bucket holding the q-quantile, q in [0, 1]. */
static uint64_t
lat_quantile(const lat_hist *h, double q)
{
	uint64_t want = (uint64_t)((double)h->count * q), seen = 0;

	for (uint32_t b = 0; b < LAT_BUCKETS; b++)
		if ((seen += h->n[b]) > want)
			return (uint64_t)(b + 1) * LAT_BUCKET_US;
	return 0;
}

typedef struct fconn
{
	int fd; /* -1: free */
	uint32_t gen;
	int sess;
	fix_session fs;
	bool started;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool want_out, closing;
	bool logged_on; /* the Logon was accepted (cancel on disconnect applies) */
	uint32_t addr;
	char peer[48];
	uint64_t auth_token;
} fconn;

typedef struct addr_fail
{
	uint32_t addr;
	uint32_t failures;
	int64_t window_start;
} addr_fail;

static struct
{
	options opt;
	int epfd, listen_fd, timer_fd, signal_fd;
	fconn *conns;
	uint32_t conns_hi; /* slots at and above it were never used */
	gw_refdata ref;
	htab sym_idx;  /* hash(symbol) -> index in ref.symbols */
	htab acct_idx; /* hash(session, account) -> 1 */
	gsess *sess;
	uint32_t nsess, sess_cap;
	order *orders;
	int32_t norders, orders_cap, free_order;
	htab by_id, by_clordid;
	pending *pend;
	uint64_t next_req;
	/* matchd */
	int mfd;
	bool m_connected;
	uint8_t *min;
	size_t min_len, min_cap;
	uint8_t *mout;
	size_t mout_len, mout_off, mout_cap;
	bool m_want_out;
	int64_t m_retry_us;
	int64_t last_event_seq;
	addr_fail fails[1024];
	uint64_t auth_token;
	int stopping;
	uint64_t orders_in, acks, rejects, events, logons, logon_refusals;
	lat_hist rtt; /* a request queued for matchd -> its answer read */
} g;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static pgx_str
cstr(const char *s)
{
	return (pgx_str){.ptr = s, .len = (uint16_t)strlen(s)};
}

static void
copyn(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
copy_str(char *dst, size_t size, pgx_str s)
{
	copyn(dst, size, s.ptr ? s.ptr : "", s.len == PGX_STR_NULL ? 0 : s.len);
}

/* ---- reference data -------------------------------------------------------------- */

static int
find_session(const char *sender, size_t slen, const char *target, size_t tlen)
{
	for (uint32_t i = 0; i < g.nsess; i++)
		if (g.sess[i].present && strlen(g.sess[i].row.sender) == slen &&
		    memcmp(g.sess[i].row.sender, sender, slen) == 0 &&
		    strlen(g.sess[i].row.target) == tlen &&
		    memcmp(g.sess[i].row.target, target, tlen) == 0)
			return (int)i;
	return -1;
}

static void
apply_refdata(gw_refdata *r)
{
	htab sy, ac;

	if (ht_init(&sy, 64) != 0 || ht_init(&ac, 256) != 0)
	{
		mlog(LOG_ERROR, "out of memory loading the reference data");
		return;
	}
	for (uint32_t i = 0; i < r->nsymbols; i++)
		ht_put(&sy, hash_str(0, r->symbols[i].symbol, strlen(r->symbols[i].symbol)),
		       (int32_t)i);
	for (uint32_t i = 0; i < g.nsess; i++)
		g.sess[i].present = false;
	for (uint32_t i = 0; i < r->nsessions; i++)
	{
		const gw_session_row *row = &r->sessions[i];
		int k = -1;

		for (uint32_t j = 0; j < g.nsess; j++)
			if (strcmp(g.sess[j].row.sender, row->sender) == 0 &&
			    strcmp(g.sess[j].row.target, row->target) == 0)
				k = (int)j;
		if (k < 0)
		{
			if (g.nsess == g.sess_cap)
			{
				uint32_t cap = g.sess_cap ? g.sess_cap * 2 : 16;
				gsess *p = realloc(g.sess, cap * sizeof(*p));

				if (p == NULL)
					continue;
				g.sess = p;
				g.sess_cap = cap;
			}
			k = (int)g.nsess++;
			memset(&g.sess[k], 0, sizeof(g.sess[k]));
			g.sess[k].conn = -1;
			g.sess[k].row = *row;
			g.sess[k].store = calloc(STORE_CAP, sizeof(char *));
			g.sess[k].store_seq = calloc(STORE_CAP, sizeof(int64_t));
			mlog(LOG_INFO,
			     "session %s -> %s: broker role %s%s, next seqs in %" PRId64
			     " out %" PRId64,
			     row->sender, row->target, row->broker,
			     row->cancel_on_disconnect ? ", cancel on disconnect" : "", row->next_in,
			     row->next_out);
		}
		else
		{
			/* the live sequence numbers are ours; the rest is the administrator's */
			int64_t in = g.sess[k].row.next_in, out = g.sess[k].row.next_out;

			g.sess[k].row = *row;
			g.sess[k].row.next_in = in;
			g.sess[k].row.next_out = out;
		}
		g.sess[k].present = row->enabled;
	}
	for (uint32_t i = 0; i < r->naccounts; i++)
	{
		int s = -1;

		for (uint32_t j = 0; j < g.nsess; j++)
			if (strcmp(g.sess[j].row.sender, r->accounts[i].sender) == 0)
				s = (int)j;
		if (s >= 0)
			ht_put(&ac,
			       hash_str((uint64_t)s, r->accounts[i].account,
			                strlen(r->accounts[i].account)),
			       1);
	}
	ht_free(&g.sym_idx);
	ht_free(&g.acct_idx);
	gwdb_refdata_free(&g.ref);
	g.sym_idx = sy;
	g.acct_idx = ac;
	g.ref = *r;
	memset(r, 0, sizeof(*r));
}

static const gw_symbol_row *
find_symbol(const char *sym, size_t len)
{
	int32_t i = ht_get(&g.sym_idx, hash_str(0, sym, len));

	if (i < 0 || strlen(g.ref.symbols[i].symbol) != len ||
	    memcmp(g.ref.symbols[i].symbol, sym, len) != 0)
		return NULL;
	return &g.ref.symbols[i];
}

static bool
tick_lookup(void *ctx, const char *sym, size_t len, fixo_tick *out)
{
	const gw_symbol_row *s = find_symbol(sym, len);

	(void)ctx;
	if (s == NULL)
		return false;
	*out = s->tick;
	return true;
}

static bool
account_allowed(int sess, pgx_str account)
{
	return account.len != PGX_STR_NULL &&
	       ht_get(&g.acct_idx, hash_str((uint64_t)sess, account.ptr, account.len)) == 1;
}

/* ---- orders ------------------------------------------------------------------------ */

static uint64_t
clordid_key(int sess, const char *clordid)
{
	return hash_str((uint64_t)sess + 7777, clordid, strlen(clordid));
}

static int
order_new(void)
{
	int i;

	if (g.free_order >= 0)
	{
		i = g.free_order;
		g.free_order = g.orders[i].next_free;
	}
	else
	{
		if (g.norders == g.orders_cap)
		{
			int32_t cap = g.orders_cap ? g.orders_cap * 2 : 65536;
			order *p = realloc(g.orders, (size_t)cap * sizeof(*p));

			if (p == NULL)
				return -1;
			g.orders = p;
			g.orders_cap = cap;
		}
		i = g.norders++;
	}
	memset(&g.orders[i], 0, sizeof(order));
	g.orders[i].used = true;
	return i;
}

static void
order_free(int i)
{
	order *o = &g.orders[i];

	if (o->st.id)
		ht_del(&g.by_id, (uint64_t)o->st.id);
	if (o->st.clordid[0] &&
	    ht_get(&g.by_clordid, clordid_key(o->sess, o->st.clordid)) == i)
		ht_del(&g.by_clordid, clordid_key(o->sess, o->st.clordid));
	o->used = false;
	o->next_free = g.free_order;
	g.free_order = i;
}

static int
order_by_clordid(int sess, pgx_str clordid)
{
	char buf[FIXO_CLORDID_MAX + 1];
	int32_t i;

	if (clordid.len == PGX_STR_NULL || clordid.len == 0)
		return -1;
	copy_str(buf, sizeof(buf), clordid);
	i = ht_get(&g.by_clordid, clordid_key(sess, buf));
	if (i < 0 || !g.orders[i].used || g.orders[i].sess != sess ||
	    strcmp(g.orders[i].st.clordid, buf) != 0)
		return -1;
	return i;
}

/* ---- FIX connections ----------------------------------------------------------------
 */

static void conn_close(int c, const char *why);

static void
conn_flush(int c)
{
	fconn *k = &g.conns[c];

	while (k->fd >= 0 && k->out_off < k->out_len)
	{
		ssize_t n =
		    send(k->fd, k->out + k->out_off, k->out_len - k->out_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return conn_close(c, strerror(errno));
			if (!k->want_out)
			{
				struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
				                         .data.u64 = (uint64_t)c};

				epoll_ctl(g.epfd, EPOLL_CTL_MOD, k->fd, &ev);
				k->want_out = true;
			}
			return;
		}
		k->out_off += (size_t)n;
	}
	if (k->fd < 0)
		return;
	k->out_off = k->out_len = 0;
	if (k->want_out)
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)c};

		epoll_ctl(g.epfd, EPOLL_CTL_MOD, k->fd, &ev);
		k->want_out = false;
	}
	if (k->closing)
		conn_close(c, "logout");
}

static void
app_send(void *ctx, const char *bytes, size_t len)
{
	int c = (int)(intptr_t)ctx;
	fconn *k = &g.conns[c];

	if (k->fd < 0)
		return;
	if (k->out_len + len > k->out_cap)
	{
		size_t cap = k->out_cap ? k->out_cap : 16384;
		char *p;

		while (cap < k->out_len + len)
			cap *= 2;
		if (cap > (64u << 20) || (p = realloc(k->out, cap)) == NULL)
			return conn_close(c, "output buffer full (the counterparty does not read)");
		k->out = p;
		k->out_cap = cap;
	}
	memcpy(k->out + k->out_len, bytes, len);
	k->out_len += len;
	/* written at the end of the loop iteration (conn_flush_all), so that one
	 * read's answers leave in one write */
}

static void handle_app(int c, const fix_msg *m);

static void
app_deliver(void *ctx, const fix_msg *m)
{
	handle_app((int)(intptr_t)ctx, m);
}

static addr_fail *
fail_slot(uint32_t addr)
{
	addr_fail *f = &g.fails[mix(addr) & 1023];

	if (f->addr != addr || now_us() - f->window_start > FAIL_WINDOW_US)
	{
		f->addr = addr;
		f->failures = 0;
		f->window_start = now_us();
	}
	return f;
}

/* A session's failed logons in the current window (FAIL_WINDOW_US). */
static uint32_t *
session_failures(gsess *s)
{
	if (now_us() - s->fail_window_start > FAIL_WINDOW_US)
	{
		s->logon_failures = 0;
		s->fail_window_start = now_us();
	}
	return &s->logon_failures;
}

static void
refuse_logon(int c, const char *text)
{
	fconn *k = &g.conns[c];

	g.logon_refusals++;
	fail_slot(k->addr)->failures++;
	if (k->sess >= 0)
		(*session_failures(&g.sess[k->sess]))++;
	fix_session_logon_result(&k->fs, false, text, now_us());
}

static void
app_authenticate(void *ctx, const char *user, size_t ulen, const char *password,
                 size_t plen)
{
	int c = (int)(intptr_t)ctx;
	fconn *k = &g.conns[c];
	gsess *s = &g.sess[k->sess];

	if (fail_slot(k->addr)->failures >= g.opt.max_logon_failures)
	{
		mlog(LOG_WARN,
		     "%s: logon as %s refused: %u failed logons from this address in the "
		     "last %lld s",
		     k->peer, s->row.sender, fail_slot(k->addr)->failures,
		     FAIL_WINDOW_US / 1000000);
		return refuse_logon(c, "too many failed logons from this address; try later");
	}
	/* guesses at one session's password from many addresses */
	if (*session_failures(s) >= g.opt.max_session_logon_failures)
	{
		mlog(LOG_WARN,
		     "%s: logon as %s refused: %u failed logons for this session in the last "
		     "%lld s",
		     k->peer, s->row.sender, s->logon_failures, FAIL_WINDOW_US / 1000000);
		return refuse_logon(c, "too many failed logons for this session; try later");
	}
	if (ulen == 0 || plen == 0)
		return refuse_logon(c, "Username(553) and Password(554) are required");
	if (ulen != strlen(s->row.broker) || memcmp(user, s->row.broker, ulen) != 0)
	{
		mlog(LOG_WARN,
		     "%s: logon as %s refused: Username is not the session's broker role",
		     k->peer, s->row.sender);
		return refuse_logon(c, "logon refused: bad Username or Password");
	}
	k->auth_token = ++g.auth_token;
	if (!gwauth_submit(k->auth_token, user, ulen, password, plen))
		return refuse_logon(c, "logon refused: too many logons being checked; try later");
}

static void
app_persist(void *ctx, int64_t next_in, int64_t next_out)
{
	fconn *k = &g.conns[(int)(intptr_t)ctx];
	gsess *s = &g.sess[k->sess];

	s->row.next_in = next_in;
	s->row.next_out = next_out;
	gwdb_save_seqs(s->row.sender, s->row.target, next_in, next_out, false);
}

static void
store_put(gsess *s, int64_t seq, const char *bytes, size_t len)
{
	uint32_t i = (uint32_t)seq & (STORE_CAP - 1);
	char *p = malloc(len + 1);

	if (p == NULL || s->store == NULL)
		return free(p);
	memcpy(p, bytes, len);
	p[len] = '\0';
	free(s->store[i]);
	s->store[i] = p;
	s->store_seq[i] = seq;
}

static void
app_store(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	fconn *k = &g.conns[(int)(intptr_t)ctx];
	gsess *s = &g.sess[k->sess];

	store_put(s, seq, bytes, len);
	gwdb_save_msg(s->row.sender, s->row.target, seq, bytes, len);
}

static bool
app_stored(void *ctx, int64_t seq, const char **bytes, size_t *len)
{
	fconn *k = &g.conns[(int)(intptr_t)ctx];
	gsess *s = &g.sess[k->sess];
	uint32_t i = (uint32_t)seq & (STORE_CAP - 1);

	if (s->store == NULL || s->store[i] == NULL || s->store_seq[i] != seq)
		return false;
	*bytes = s->store[i];
	*len = strlen(s->store[i]);
	return true;
}

static void
app_disconnect(void *ctx, const char *reason)
{
	int c = (int)(intptr_t)ctx;
	fconn *k = &g.conns[c];

	/* what is written goes first (a Logout with its reason) */
	k->closing = true;
	mlog(LOG_INFO, "%s: session %s: disconnect: %s", k->peer,
	     k->sess >= 0 ? g.sess[k->sess].row.sender : "-", reason);
	conn_flush(c);
}

static void send_queued(int sess);
static void cancel_on_disconnect(int sess);

static void
conn_close(int c, const char *why)
{
	fconn *k = &g.conns[c];

	if (k->fd < 0)
		return;
	epoll_ctl(g.epfd, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	k->fd = -1;
	k->gen++;
	mlog(LOG_DEBUG, "%s: connection closed: %s", k->peer, why);
	if (k->sess >= 0 && g.sess[k->sess].conn == c)
	{
		int s = k->sess;

		g.sess[s].conn = -1;
		if (k->logged_on)
		{
			mlog(LOG_INFO, "session %s logged out (%s)", g.sess[s].row.sender, why);
			if (g.sess[s].row.cancel_on_disconnect && !g.stopping)
				cancel_on_disconnect(s);
		}
	}
	k->sess = -1;
	k->started = false;
	k->closing = false;
	k->logged_on = false;
	k->in_len = 0;
	k->out_len = k->out_off = 0;
	k->want_out = false;
}

static void
on_accept(void)
{
	for (;;)
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(g.listen_fd, (struct sockaddr *)&sa, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint32_t c;
		int one = 1;
		struct epoll_event ev = {.events = EPOLLIN};

		if (fd < 0)
		{
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				mlog(LOG_WARN, "accept: %s", strerror(errno));
			return;
		}
		for (c = 0; c < g.opt.max_connections && g.conns[c].fd >= 0; c++)
			;
		if (c == g.opt.max_connections)
		{
			mlog(LOG_WARN, "refusing a connection: all %u in use (--max-connections)",
			     g.opt.max_connections);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.u64 = c;
		if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		{
			close(fd);
			continue;
		}
		fconn *k = &g.conns[c];

		k->fd = fd;
		if (c >= g.conns_hi)
			g.conns_hi = c + 1;
		k->sess = -1;
		k->started = false;
		k->closing = false;
		k->in_len = 0;
		k->addr = ntohl(sa.sin_addr.s_addr);
		snprintf(k->peer, sizeof(k->peer), "%s:%u", inet_ntoa(sa.sin_addr),
		         ntohs(sa.sin_port));
		if (k->in == NULL && (k->in = malloc(IN_MAX)) == NULL)
		{
			conn_close((int)c, "out of memory");
			continue;
		}
		/* the session starts with the first message, which names it (49/56) */
		k->fs.state = FIX_ST_AWAIT_LOGON;
		k->fs.started_us = now_us();
		mlog(LOG_DEBUG, "%s: connection accepted", k->peer);
	}
}

/* The first message: which session it claims; then the session starts. */
static bool
start_session(int c, const fix_msg *m)
{
	fconn *k = &g.conns[c];
	const fix_field *s49 = fix_get(m, 49), *s56 = fix_get(m, 56);
	fix_session_app app = {.ctx = (void *)(intptr_t)c,
	                       .send = app_send,
	                       .deliver = app_deliver,
	                       .authenticate = app_authenticate,
	                       .persist = app_persist,
	                       .store = app_store,
	                       .stored = app_stored,
	                       .disconnect = app_disconnect};
	fix_session_config cfg = {.logon_timeout_us = g.opt.logon_timeout_ms * 1000};
	int s;

	if (!fix_is_type(m, "A") || s49 == NULL || s56 == NULL)
	{
		mlog(LOG_INFO, "%s: first message is not a Logon with 49 and 56: disconnect",
		     k->peer);
		conn_close(c, "first message not a Logon");
		return false;
	}
	s = find_session(s49->val, s49->len, s56->val, s56->len);
	if (s < 0)
	{
		char text[160];
		fix_builder b;
		char buf[512];
		size_t n;

		mlog(LOG_WARN, "%s: Logon for an unknown session %.*s -> %.*s", k->peer,
		     (int)(s49->len > 32 ? 32 : s49->len), s49->val,
		     (int)(s56->len > 32 ? 32 : s56->len), s56->val);
		fail_slot(k->addr)->failures++;
		snprintf(text, sizeof(text),
		         "unknown session: SenderCompID(49) %.*s TargetCompID(56) %.*s",
		         (int)(s49->len > 32 ? 32 : s49->len), s49->val,
		         (int)(s56->len > 32 ? 32 : s56->len), s56->val);
		fix_build_begin(&b, buf, sizeof(buf), "5");
		fix_build_header(&b, g.opt.comp_id, "UNKNOWN", 1, now_us());
		fix_add_str(&b, 58, text);
		if ((n = fix_build_end(&b)) > 0)
			app_send((void *)(intptr_t)c, buf, n);
		k->closing = true;
		conn_flush(c);
		return false;
	}
	if (g.sess[s].conn >= 0 && g.sess[s].conn != c)
	{
		fix_builder b;
		char buf[512];
		size_t n;

		mlog(LOG_WARN, "%s: session %s is already logged on from %s: refused", k->peer,
		     g.sess[s].row.sender, g.conns[g.sess[s].conn].peer);
		fix_build_begin(&b, buf, sizeof(buf), "5");
		fix_build_header(&b, g.opt.comp_id, g.sess[s].row.sender, g.sess[s].row.next_out,
		                 now_us());
		fix_add_str(&b, 58, "session already logged on");
		if ((n = fix_build_end(&b)) > 0)
			app_send((void *)(intptr_t)c, buf, n);
		k->closing = true;
		conn_flush(c);
		return false;
	}
	snprintf(cfg.our_comp_id, sizeof(cfg.our_comp_id), "%s", g.sess[s].row.target);
	snprintf(cfg.their_comp_id, sizeof(cfg.their_comp_id), "%s", g.sess[s].row.sender);
	k->sess = s;
	g.sess[s].conn = c;
	fix_session_start(&k->fs, &cfg, &app, g.sess[s].row.next_in, g.sess[s].row.next_out,
	                  now_us());
	k->started = true;
	return true;
}

static void
on_conn_read(int c)
{
	fconn *k = &g.conns[c];

	for (;;)
	{
		ssize_t n;
		size_t off = 0, want;

		if (k->fd < 0 || k->closing)
			return;
		want = IN_MAX - k->in_len;
		n = recv(k->fd, k->in + k->in_len, want, 0);
		if (n == 0)
			return conn_close(c, "end of file");
		if (n < 0)
		{
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			return conn_close(c, strerror(errno));
		}
		k->in_len += (size_t)n;
		while (k->fd >= 0 && !k->closing && off < k->in_len)
		{
			fix_msg m;
			size_t used = 0;
			fix_parse_rc rc = fix_parse(k->in + off, k->in_len - off, &m, &used);
			uint32_t gen = k->gen;

			if (rc == FIX_NEED_MORE)
				break;
			if (rc == FIX_GARBLED)
			{
				/* dropped silently (FIX session spec); before a Logon it ends the
				 * connection: nobody we know is talking */
				mlog(LOG_DEBUG, "%s: %zu garbled bytes dropped", k->peer, used);
				off += used;
				if (!k->started)
					return conn_close(c, "garbled bytes before a Logon");
				continue;
			}
			off += used;
			if (!k->started && !start_session(c, &m))
				return;
			fix_session_on_message(&k->fs, &m, now_us());
			if (k->fd < 0 || k->gen != gen)
				return;
		}
		if (k->fd < 0)
			return;
		memmove(k->in, k->in + off, k->in_len - off);
		k->in_len -= off;
		if (k->in_len == IN_MAX)
			return conn_close(c, "message larger than the gateway reads");
		/* a short read emptied the socket: no second recv to hear EAGAIN
		 * (epoll is level-triggered: what comes later wakes us again) */
		if ((size_t)n < want)
			return;
	}
}

/* ---- outgoing application messages ------------------------------------------------- */

static void
queue_msg(int sess, char kind, const fixo_exec *e, const char *text)
{
	gsess *s = &g.sess[sess];
	queued *q;

	if (s->nq == s->qcap)
	{
		uint32_t cap = s->qcap ? s->qcap * 2 : 64;
		queued *p = realloc(s->q, cap * sizeof(*p));

		if (p == NULL)
			return;
		s->q = p;
		s->qcap = cap;
	}
	q = &s->q[s->nq++];
	q->kind = kind;
	q->e = *e;
	copy_str(q->clordid, sizeof(q->clordid), e->clordid);
	copy_str(q->orig, sizeof(q->orig), e->orig_clordid);
	copy_str(q->account, sizeof(q->account), e->account);
	copy_str(q->symbol, sizeof(q->symbol), e->symbol);
	snprintf(q->text, sizeof(q->text), "%s", text ? text : "");
	q->e.clordid = cstr(q->clordid);
	q->e.orig_clordid =
	    e->orig_clordid.len == PGX_STR_NULL ? e->orig_clordid : cstr(q->orig);
	q->e.account = cstr(q->account);
	q->e.symbol = cstr(q->symbol);
	q->e.text = NULL;
}

static bool
session_active(int sess)
{
	int c = g.sess[sess].conn;

	return c >= 0 && g.conns[c].fd >= 0 && g.conns[c].fs.state == FIX_ST_ACTIVE &&
	       !g.conns[c].closing;
}

/* An ExecutionReport to a session, now or at its next Logon. */
static void
send_exec(int sess, const fixo_exec *e)
{
	fix_builder b;
	char buf[2048];
	int c;

	if (!session_active(sess))
		return queue_msg(sess, '8', e, e->text);
	c = g.sess[sess].conn;
	if (fix_session_begin_app(&g.conns[c].fs, &b, "8", now_us()) == NULL)
		return queue_msg(sess, '8', e, e->text);
	(void)buf;
	if (!fixo_exec_report(&b, e) || !fix_session_end_app(&g.conns[c].fs, &b, now_us()))
		mlog(LOG_WARN, "session %s: an ExecutionReport did not encode",
		     g.sess[sess].row.sender);
}

static void
send_cancel_reject(int sess, int64_t order_id, pgx_str clordid, pgx_str orig,
                   char ord_status, char response_to, int reason, const char *text)
{
	fix_builder b;
	int c;

	if (!session_active(sess))
	{
		fixo_exec e = {.order_id = order_id,
		               .clordid = clordid,
		               .orig_clordid = orig,
		               .account = cstr(""),
		               .symbol = cstr(""),
		               .ord_status = ord_status,
		               .exec_type = response_to,
		               .ord_rej_reason = reason};

		return queue_msg(sess, '9', &e, text);
	}
	c = g.sess[sess].conn;
	if (fix_session_begin_app(&g.conns[c].fs, &b, "9", now_us()) == NULL)
		return;
	fixo_cancel_reject(&b, order_id, clordid, orig, ord_status, response_to, reason,
	                   text);
	fix_session_end_app(&g.conns[c].fs, &b, now_us());
}

static void
send_queued(int sess)
{
	gsess *s = &g.sess[sess];
	uint32_t n = s->nq;

	s->nq = 0;
	for (uint32_t i = 0; i < n; i++)
	{
		queued *q = &s->q[i];

		if (q->kind == '8')
		{
			q->e.text = q->text[0] ? q->text : NULL;
			send_exec(sess, &q->e);
		}
		else
			send_cancel_reject(sess, q->e.order_id, q->e.clordid, q->e.orig_clordid,
			                   q->e.ord_status, q->e.exec_type, q->e.ord_rej_reason,
			                   q->text);
	}
}

static void
exec_of(const order *o, fixo_exec *e, char exec_type)
{
	fixo_exec_of(&o->st, exec_type, 0, now_us(), e);
}

/* A NewOrderSingle refused before or by matchd: ExecutionReport Rejected. */
static void
reject_order(int sess, const fixo_order *fo, int reason, const char *text,
             int64_t exec_id)
{
	fixo_exec e = {.exec_type = '8',
	               .ord_status = '8',
	               .order_id = 0,
	               .exec_id = exec_id,
	               .clordid = fo->clordid,
	               .orig_clordid = {.len = PGX_STR_NULL},
	               .account = fo->account,
	               .symbol = fo->symbol,
	               .side = fo->side,
	               .order_qty = fo->quantity,
	               .has_price = fo->has_price,
	               .price = fo->price,
	               .tick = fo->tick,
	               .ord_rej_reason = reason,
	               .text = text,
	               .transact_time = now_us(),
	               .ord_type = fixo_ord_type_char(fo->order_type),
	               .tif = fixo_tif_char(fo->time_in_force),
	               .has_stop_px = fo->has_stop_px,
	               .stop_px = fo->stop_px,
	               .post_only = fo->post_only,
	               .expire_us = fo->has_expire ? fo->expire_us : 0};

	g.rejects++;
	send_exec(sess, &e);
}

/* ---- matchd ---------------------------------------------------------------------- */

static void m_close(const char *why);

static void
m_flush(void)
{
	while (g.m_connected && g.mout_off < g.mout_len)
	{
		ssize_t n =
		    send(g.mfd, g.mout + g.mout_off, g.mout_len - g.mout_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return m_close(strerror(errno));
			if (!g.m_want_out)
			{
				struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
				                         .data.u64 = TAG_MATCHD};

				epoll_ctl(g.epfd, EPOLL_CTL_MOD, g.mfd, &ev);
				g.m_want_out = true;
			}
			return;
		}
		g.mout_off += (size_t)n;
	}
	if (!g.m_connected)
		return;
	g.mout_off = g.mout_len = 0;
	if (g.m_want_out)
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_MATCHD};

		epoll_ctl(g.epfd, EPOLL_CTL_MOD, g.mfd, &ev);
		g.m_want_out = false;
	}
}

static int
m_queue(const uint8_t *buf, size_t len)
{
	if (!g.m_connected)
		return -1;
	if (g.mout_len + len > g.mout_cap)
	{
		size_t cap = g.mout_cap ? g.mout_cap : 65536;
		uint8_t *p;

		while (cap < g.mout_len + len)
			cap *= 2;
		if ((p = realloc(g.mout, cap)) == NULL)
			return -1;
		g.mout = p;
		g.mout_cap = cap;
	}
	memcpy(g.mout + g.mout_len, buf, len);
	g.mout_len += len;
	return 0;
}

static void
m_subscribe(void)
{
	uint8_t buf[PGX_FRAME_HEADER + 16 * 66];
	size_t off = PGX_FRAME_HEADER;

	for (uint32_t i = 0; i < g.nsess && off + 66 < sizeof(buf); i++)
		if (g.sess[i].present)
			off += pgx_put_str(buf + off, cstr(g.sess[i].row.broker));
	pgx_encode_frame_header(buf, (uint32_t)off, PGX_MSG_SUBSCRIBE, 0);
	m_queue(buf, off);
}

static void
m_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_MATCHD};
	int fd;

	if (g.m_connected || (int64_t)mono_us() < g.m_retry_us)
		return;
	g.m_retry_us = (int64_t)mono_us() + 200000;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g.opt.matchd_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
	{
		static int warned;

		if (!warned++)
			mlog(LOG_WARN, "cannot connect to matchd at %s: %s; retrying every 200 ms",
			     g.opt.matchd_socket, strerror(errno));
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		close(fd);
		return;
	}
	g.mfd = fd;
	g.m_connected = true;
	g.min_len = 0;
	g.mout_len = g.mout_off = 0;
	g.m_want_out = false;
	m_subscribe();
	m_flush();
	mlog(LOG_INFO, "connected to matchd at %s; subscribed to the order-event stream",
	     g.opt.matchd_socket);
}

static void on_response(uint64_t id, const pgx_response *r);

static void
m_close(const char *why)
{
	if (!g.m_connected)
		return;
	epoll_ctl(g.epfd, EPOLL_CTL_DEL, g.mfd, NULL);
	close(g.mfd);
	g.mfd = -1;
	g.m_connected = false;
	mlog(LOG_WARN, "lost the connection to matchd: %s", why);
	/* every request in flight: its fate is unknown (PX041) */
	for (uint32_t i = 0; i < PEND_CAP; i++)
		if (g.pend[i].id)
		{
			pgx_response r = {.outcome = PGX_OUTCOME_ERROR};
			const char *msg = "the connection to matchd was closed; the order's fate is "
			                  "unknown (look it up with OrderStatusRequest)";

			memcpy(r.sqlstate, PGX_SQLSTATE_FATE_UNKNOWN, 5);
			r.reason.len = PGX_STR_NULL;
			r.message = cstr(msg);
			on_response(g.pend[i].id, &r);
		}
}

/* Sends a request; the pending entry is p (filled by the caller but id). */
static int
m_request(const pgx_str role, const pgx_record *rec, pending *p)
{
	uint8_t buf[PGX_FRAME_MAX];
	uint64_t id = ++g.next_req;
	pending *slot = &g.pend[id & (PEND_CAP - 1)];
	size_t n;

	if (!g.m_connected || slot->id != 0)
		return -1;
	if ((n = pgx_encode_request(buf, id, role, rec)) == 0 || m_queue(buf, n) != 0)
		return -1;
	*slot = *p;
	slot->id = id;
	slot->sent_us = mono_us();
	return 0;
}

/* ---- order events -------------------------------------------------------------- */

static void
order_closed(int oi, char exec_type, const char *text, pgx_str clordid, pgx_str orig,
             int64_t exec_id)
{
	order *o = &g.orders[oi];
	fixo_exec e;

	o->st.open = false;
	o->st.leaves = 0;
	exec_of(o, &e, exec_type);
	e.ord_status = exec_type == 'C' ? 'C' : '4';
	e.exec_id = exec_id;
	e.text = text;
	if (clordid.len != PGX_STR_NULL)
	{
		e.clordid = clordid;
		e.orig_clordid = orig;
	}
	send_exec(o->sess, &e);
	order_free(oi);
}

/* One record of the stream about one of the gateway's orders (oi, or -1). */
static void
order_event(int32_t oi, const pgx_record *r)
{
	order *o;
	fixo_exec e;
	char text[128];
	bool was_open;

	if (oi < 0)
		return;
	o = &g.orders[oi];
	/* a loaded order's fills up to loaded_as_of are in it already */
	if (!o->used || r->seq <= o->loaded_as_of)
		return;
	was_open = o->st.open;
	if (fixo_on_event(&o->st, r, now_us(), &e, text, sizeof(text)))
		send_exec(o->sess, &e);
	if (was_open && !o->st.open)
		order_free(oi);
}

static void
on_events(const uint8_t *batch, size_t len)
{
	const uint8_t *p = batch + PGX_BATCH_HEADER, *end = batch + len;

	if (len < PGX_BATCH_HEADER || pgx_get_u32(batch) != PGX_BATCH_MAGIC)
		return mlog(LOG_WARN, "malformed event batch from matchd");
	while (p < end)
	{
		pgx_record r;
		size_t used;

		if (pgx_decode_record(p, (size_t)(end - p), &r, &used) != PGX_DECODE_OK)
			return mlog(LOG_WARN, "malformed record in an event batch from matchd");
		p += used;
		g.last_event_seq = r.seq;
		switch (r.kind)
		{
			case PGX_KIND_TRADE:
				/* the taker's and the maker's sides, each when it is ours */
				order_event(ht_get(&g.by_id, (uint64_t)r.ints[PGX_F_ORDER_ID]), &r);
				if (r.ints[PGX_F_CONTRA_ORDER_ID] != r.ints[PGX_F_ORDER_ID])
					order_event(ht_get(&g.by_id, (uint64_t)r.ints[PGX_F_CONTRA_ORDER_ID]),
					            &r);
				break;
			/* fixo_on_event decides what each is worth reporting (accepted and
			 * amended: nothing) */
			case PGX_KIND_ACCEPTED:
			case PGX_KIND_AMENDED:
			case PGX_KIND_TRIGGERED:
			case PGX_KIND_CANCELED:
			case PGX_KIND_EXPIRED:
				order_event(ht_get(&g.by_id, (uint64_t)r.ints[PGX_F_ORDER_ID]), &r);
				break;
			default:
				break;
		}
		g.events++;
	}
}

static void
on_response(uint64_t id, const pgx_response *r)
{
	pending *p = &g.pend[id & (PEND_CAP - 1)];
	pending q;
	order *o;
	char msg[600];
	bool refused;

	if (p->id != id)
		return mlog(LOG_WARN, "an answer from matchd to no request (%" PRIu64 ")", id);
	q = *p;
	p->id = 0;
	lat_add(&g.rtt, mono_us() - q.sent_us);
	o = &g.orders[q.order];
	copy_str(msg, sizeof(msg), r->message);
	refused = r->outcome == PGX_OUTCOME_ERROR || r->status == PGX_STATUS_REJECTED;
	if (refused && msg[0] == '\0')
		copy_str(msg, sizeof(msg), r->reason);
	g.acks++;
	switch (q.kind)
	{
		case REQ_NEW:
			if (refused)
			{
				int reason = memcmp(r->sqlstate, "00000", 5) == 0
				                 ? FIXO_ORR_OTHER
				                 : fixo_ord_rej_reason((const char[6]){
				                       r->sqlstate[0], r->sqlstate[1], r->sqlstate[2],
				                       r->sqlstate[3], r->sqlstate[4], 0});
				fixo_exec e;

				/* the order as it was sent, rejected: no OrderID, nothing open */
				exec_of(o, &e, '8');
				e.ord_status = '8';
				e.order_id = 0;
				e.leaves_qty = 0;
				e.exec_id = FIXO_EXEC_ID(r->seq, 0, 0);
				e.ord_rej_reason = reason;
				e.text = msg;
				g.rejects++;
				send_exec(o->sess, &e);
				order_free(q.order);
				return;
			}
			o->st.id = r->order_id;
			o->st.open = true;
			ht_put(&g.by_id, (uint64_t)o->st.id, q.order);
			{
				fixo_exec e;

				/* a stop that waits is New too, with its OrdType and StopPx */
				exec_of(o, &e, '0');
				e.ord_status = '0';
				e.cum_qty = 0;
				e.leaves_qty = o->st.qty;
				e.px_qty = 0;
				e.exec_id = FIXO_EXEC_ID(r->seq, 0, 0);
				send_exec(o->sess, &e);
			}
			/* fills, an ioc's cancel: the batch's events follow on the stream */
			return;
		case REQ_CANCEL:
		case REQ_COD:
			if (refused)
			{
				if (q.kind == REQ_CANCEL)
					send_cancel_reject(
					    o->sess, o->st.id, cstr(q.clordid), cstr(o->st.clordid),
					    o->st.open ? fixo_ord_status(PGX_STATUS_NEW, o->st.cum) : '4',
					    '1',
					    memcmp(r->sqlstate, PGX_SQLSTATE_UNKNOWN_ORDER, 5) == 0
					        ? FIXO_CRR_UNKNOWN_ORDER
					        : FIXO_CRR_OTHER,
					    msg);
				else
					mlog(LOG_WARN, "cancel on disconnect of order %" PRId64 ": %s",
					     o->st.id, msg);
				return;
			}
			if (o->used && o->st.open)
			{
				char oc[FIXO_CLORDID_MAX + 1];

				snprintf(oc, sizeof(oc), "%s", o->st.clordid);
				order_closed(q.order, '4',
				             q.kind == REQ_COD ? "cancel on disconnect" : NULL,
				             q.kind == REQ_CANCEL ? cstr(q.clordid)
				                                  : (pgx_str){.len = PGX_STR_NULL},
				             cstr(oc), FIXO_EXEC_ID(r->seq, 0, 0));
			}
			return;
		case REQ_AMEND:
			if (refused)
			{
				send_cancel_reject(o->sess, o->st.id, cstr(q.clordid),
				                   cstr(o->st.clordid),
				                   fixo_ord_status(PGX_STATUS_NEW, o->st.cum), '2',
				                   memcmp(r->sqlstate, PGX_SQLSTATE_UNKNOWN_ORDER, 5) == 0
				                       ? FIXO_CRR_UNKNOWN_ORDER
				                       : FIXO_CRR_OTHER,
				                   msg);
				return;
			}
			if (o->used && o->st.open)
			{
				char orig[FIXO_CLORDID_MAX + 1];
				fixo_exec e;

				snprintf(orig, sizeof(orig), "%s", o->st.clordid);
				if (o->st.clordid[0])
					ht_del(&g.by_clordid, clordid_key(o->sess, o->st.clordid));
				snprintf(o->st.clordid, sizeof(o->st.clordid), "%s", q.clordid);
				ht_put(&g.by_clordid, clordid_key(o->sess, o->st.clordid), q.order);
				o->st.qty = q.new_qty;
				o->st.leaves = r->remaining;
				if (q.has_price)
					o->st.price = q.new_price;
				exec_of(o, &e, '5');
				e.orig_clordid = cstr(orig);
				e.exec_id = FIXO_EXEC_ID(r->seq, 0, 0);
				send_exec(o->sess, &e);
			}
			return;
	}
}

static void
on_matchd_read(void)
{
	for (;;)
	{
		ssize_t n;
		size_t off = 0, want;

		if (!g.m_connected)
			return;
		if (g.min_cap - g.min_len < 65536)
		{
			size_t cap = g.min_cap ? g.min_cap * 2 : (1u << 20);
			uint8_t *p = realloc(g.min, cap);

			if (p == NULL)
				return m_close("out of memory");
			g.min = p;
			g.min_cap = cap;
		}
		want = g.min_cap - g.min_len;
		n = read(g.mfd, g.min + g.min_len, want);
		if (n == 0)
			return m_close("end of file");
		if (n < 0)
		{
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			return m_close(strerror(errno));
		}
		g.min_len += (size_t)n;
		while (g.min_len - off >= PGX_FRAME_HEADER)
		{
			uint32_t length;
			uint16_t type;
			uint64_t id;

			if (!pgx_decode_frame_header(g.min + off, &length, &type, &id))
				return m_close("malformed frame from matchd");
			if (g.min_len - off < length)
			{
				if (length > g.min_cap)
				{
					uint8_t *p = realloc(g.min, length + 65536);

					if (p == NULL)
						return m_close("out of memory");
					g.min = p;
					g.min_cap = length + 65536;
				}
				break;
			}
			if (type == PGX_MSG_RESPONSE)
			{
				pgx_response r;

				if (!pgx_decode_response(g.min + off + PGX_FRAME_HEADER,
				                         length - PGX_FRAME_HEADER, &r))
					return m_close("malformed response from matchd");
				if (id == PGX_REQUEST_ID_GOODBYE)
				{
					char why[200];

					copy_str(why, sizeof(why), r.message);
					off += length;
					memmove(g.min, g.min + off, g.min_len - off);
					g.min_len -= off;
					return m_close(why);
				}
				on_response(id, &r);
			}
			else if (type == PGX_MSG_EVENTS)
				on_events(g.min + off + PGX_FRAME_HEADER, length - PGX_FRAME_HEADER);
			off += length;
		}
		memmove(g.min, g.min + off, g.min_len - off);
		g.min_len -= off;
		if ((size_t)n < want)
			return; /* drained (as in on_conn_read) */
	}
}

/* ---- application messages ------------------------------------------------------ */

static void
cancel_on_disconnect(int sess)
{
	uint32_t n = 0;

	for (int32_t i = 0; i < g.norders; i++)
	{
		order *o = &g.orders[i];
		pgx_record rec;
		fixo_order fo = {0};
		pending p = {.kind = REQ_COD, .order = i};

		if (!o->used || !o->st.open || o->sess != sess || o->st.id == 0)
			continue;
		fo.account = cstr(o->st.account);
		fixo_cancel_record(&fo, o->st.id, &rec);
		rec.strs[PGX_S_DETAIL] = cstr("{\"fix\": \"cancel_on_disconnect\"}");
		if (m_request(cstr(g.sess[sess].row.broker), &rec, &p) == 0)
			n++;
	}
	m_flush();
	mlog(LOG_INFO, "session %s: cancel on disconnect: %u orders", g.sess[sess].row.sender,
	     n);
}

static void
handle_new(int c, int sess, const fix_msg *m, fixo_order *fo)
{
	fconn *k = &g.conns[c];
	const gw_symbol_row *sym = find_symbol(fo->symbol.ptr, fo->symbol.len);
	char text[300];
	pgx_record rec;
	pending p = {.kind = REQ_NEW};
	char detail[160];
	fixo_reject rj;
	int oi;
	order *o;

	(void)m;
	(void)k;
	g.orders_in++;
	if (!account_allowed(sess, fo->account))
	{
		snprintf(text, sizeof(text),
		         "account \"%.*s\" does not exist or does not belong to role \"%s\"",
		         (int)fo->account.len, fo->account.ptr, g.sess[sess].row.broker);
		return reject_order(sess, fo, FIXO_ORR_UNKNOWN_ACCOUNT, text, 0);
	}
	if (sym && fo->quantity % sym->lot != 0)
	{
		snprintf(text, sizeof(text),
		         "quantity %lld is not a multiple of the lot size %lld of symbol \"%s\"",
		         (long long)fo->quantity, (long long)sym->lot, sym->symbol);
		return reject_order(sess, fo, FIXO_ORR_INCORRECT_QTY, text, 0);
	}
	if (order_by_clordid(sess, fo->clordid) >= 0)
	{
		snprintf(text, sizeof(text),
		         "ClOrdID(11) \"%.*s\" is an open order of this session",
		         (int)fo->clordid.len, fo->clordid.ptr);
		return reject_order(sess, fo, FIXO_ORR_DUPLICATE, text, 0);
	}
	if (!fixo_check_expire(fo, now_us(), &rj))
		return reject_order(sess, fo, rj.reason, rj.text, 0);
	if (!g.m_connected)
		return reject_order(sess, fo, FIXO_ORR_EXCHANGE_CLOSED,
		                    "matchd is unavailable (PX040); nothing was sent", 0);
	if ((oi = order_new()) < 0)
		return reject_order(sess, fo, FIXO_ORR_OTHER, "the gateway is out of memory", 0);
	o = &g.orders[oi];
	o->sess = sess;
	fixo_state_init(&o->st, fo);
	fixo_new_record(fo, &rec);
	/* the session and the order's options (stop price, post-only, expire
	 * time) in one detail object, as submit_order sends its options */
	if (fixo_new_detail(fo, g.sess[sess].row.sender, detail, sizeof(detail)) == 0)
	{
		order_free(oi);
		return reject_order(sess, fo, FIXO_ORR_OTHER,
		                    "the gateway cannot write this order's detail", 0);
	}
	rec.strs[PGX_S_DETAIL] = cstr(detail);
	p.order = oi;
	if (m_request(cstr(g.sess[sess].row.broker), &rec, &p) != 0)
	{
		order_free(oi);
		return reject_order(
		    sess, fo, FIXO_ORR_OTHER,
		    "the gateway cannot send to matchd (too many requests in flight)", 0);
	}
	if (o->st.clordid[0])
		ht_put(&g.by_clordid, clordid_key(sess, o->st.clordid), oi);
}

static int
find_target(int sess, const fixo_order *fo)
{
	int oi = order_by_clordid(sess, fo->orig_clordid);

	if (oi < 0 && fo->order_id > 0)
	{
		int32_t i = ht_get(&g.by_id, (uint64_t)fo->order_id);

		if (i >= 0 && g.orders[i].sess == sess)
			oi = i;
	}
	return oi;
}

static void
handle_change(int c, int sess, fixo_order *fo)
{
	int oi = find_target(sess, fo);
	char response_to = fo->msgtype == 'F' ? '1' : '2';
	pgx_record rec;
	pending p = {.kind = fo->msgtype == 'F' ? REQ_CANCEL : REQ_AMEND};
	fixo_reject rj;
	order *o;
	char text[300];

	(void)c;
	if (!account_allowed(sess, fo->account))
	{
		snprintf(text, sizeof(text),
		         "account \"%.*s\" does not exist or does not belong to role \"%s\"",
		         (int)fo->account.len, fo->account.ptr, g.sess[sess].row.broker);
		return send_cancel_reject(sess, 0, fo->clordid, fo->orig_clordid, '8',
		                          response_to, FIXO_CRR_OTHER, text);
	}
	if (oi < 0 || !g.orders[oi].st.open || g.orders[oi].st.id == 0)
		return send_cancel_reject(sess, oi >= 0 ? g.orders[oi].st.id : 0, fo->clordid,
		                          fo->orig_clordid, '8', response_to,
		                          FIXO_CRR_UNKNOWN_ORDER,
		                          "unknown order (not an open order of this session)");
	o = &g.orders[oi];
	if (o->st.account[0] &&
	    (fo->account.len != strlen(o->st.account) ||
	     memcmp(fo->account.ptr, o->st.account, fo->account.len) != 0))
	{
		snprintf(text, sizeof(text),
		         "order %lld is not an open order of account \"%.*s\"",
		         (long long)o->st.id, (int)fo->account.len, fo->account.ptr);
		return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
		                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum), response_to,
		                          FIXO_CRR_UNKNOWN_ORDER, text);
	}
	if (order_by_clordid(sess, fo->clordid) >= 0)
		return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
		                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum), response_to,
		                          FIXO_CRR_DUPLICATE_CLORDID,
		                          "ClOrdID(11) is an open order of this session");
	if (fo->msgtype == 'F')
		fixo_cancel_record(fo, o->st.id, &rec);
	else
	{
		const gw_symbol_row *sym = find_symbol(o->st.symbol, strlen(o->st.symbol));

		/* matchd's amend changes quantity and limit price only: the type and
		 * the stop price stay as entered, so a replace that changes them is
		 * refused rather than half applied */
		if (fo->order_type != o->st.type)
		{
			snprintf(text, sizeof(text),
			         "OrdType(40) %c cannot change: order %lld is OrdType %c",
			         fixo_ord_type_char(fo->order_type), (long long)o->st.id,
			         fixo_ord_type_char(o->st.type));
			return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
			                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum),
			                          response_to, FIXO_CRR_OTHER, text);
		}
		if (fo->has_stop_px && fo->stop_px != o->st.stop_price)
		{
			char was[32];

			was[fixo_format_price(was, o->st.stop_price, o->st.tick)] = '\0';
			snprintf(text, sizeof(text),
			         "StopPx(99) cannot change: order %lld keeps its stop price %s",
			         (long long)o->st.id, was);
			return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
			                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum),
			                          response_to, FIXO_CRR_OTHER, text);
		}
		/* neither may a replace make an order post-only or move its expiry:
		 * the broker would believe a protection applied that matchd never
		 * saw (dropping them by leaving 18 or 126 out keeps the order's) */
		if (fo->post_only && !o->st.post_only)
			return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
			                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum),
			                          response_to, FIXO_CRR_OTHER,
			                          "ExecInst(18) cannot change: the order is not "
			                          "post-only, and a replace keeps that");
		if (fo->has_expire && fo->expire_us != o->st.expire_us)
			return send_cancel_reject(
			    sess, o->st.id, fo->clordid, fo->orig_clordid,
			    fixo_ord_status(PGX_STATUS_NEW, o->st.cum), response_to, FIXO_CRR_OTHER,
			    "ExpireTime(126) cannot change: a replace keeps the "
			    "order's expire time");
		if (!fixo_amend_record(fo, o->st.id, o->st.cum, &rec, &rj))
			return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
			                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum),
			                          response_to, rj.reason, rj.text);
		if (sym && fo->quantity % sym->lot != 0)
		{
			snprintf(
			    text, sizeof(text),
			    "quantity %lld is not a multiple of the lot size %lld of symbol \"%s\"",
			    (long long)fo->quantity, (long long)sym->lot, sym->symbol);
			return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
			                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum),
			                          response_to, FIXO_CRR_OTHER, text);
		}
		p.new_qty = fo->quantity;
		p.has_price = fo->has_price;
		p.new_price = fo->price;
	}
	copy_str(p.clordid, sizeof(p.clordid), fo->clordid);
	p.order = oi;
	if (m_request(cstr(g.sess[sess].row.broker), &rec, &p) != 0)
		return send_cancel_reject(sess, o->st.id, fo->clordid, fo->orig_clordid,
		                          fixo_ord_status(PGX_STATUS_NEW, o->st.cum), response_to,
		                          FIXO_CRR_OTHER, "matchd is unavailable (PX040)");
}

static void
handle_status(int sess, fixo_order *fo)
{
	int oi = find_target(sess, fo);
	fixo_exec e;

	if (oi < 0)
		oi = order_by_clordid(sess, fo->clordid);
	if (oi < 0 || g.orders[oi].st.id == 0)
	{
		fixo_exec u = {.exec_type = 'I',
		               .ord_status = '8',
		               .order_id = fo->order_id,
		               .clordid = fo->clordid,
		               .orig_clordid = {.len = PGX_STR_NULL},
		               .account = fo->account,
		               .symbol = fo->symbol,
		               .side = fo->side,
		               .ord_rej_reason = FIXO_ORR_UNKNOWN_ORDER,
		               .text = "unknown order (not an open order of this session)",
		               .transact_time = now_us()};

		return send_exec(sess, &u);
	}
	exec_of(&g.orders[oi], &e, 'I');
	send_exec(sess, &e);
}

static void
handle_app(int c, const fix_msg *m)
{
	fconn *k = &g.conns[c];
	int sess = k->sess;
	fixo_order fo;
	fixo_reject r;
	fixo_exec e;

	if (fixo_decode(m, tick_lookup, NULL, &fo, &r))
	{
		if (fo.msgtype == 'D')
			handle_new(c, sess, m, &fo);
		else if (fo.msgtype == 'F' || fo.msgtype == 'G')
			handle_change(c, sess, &fo);
		else
			handle_status(sess, &fo);
		return;
	}
	switch (r.kind)
	{
		case FIXO_REJ_SESSION:
			fix_session_reject(&k->fs, m, r.reason, r.tag, r.text, now_us());
			return;
		case FIXO_REJ_ORDER:
			g.orders_in++;
			memset(&e, 0, sizeof(e));
			reject_order(sess, &fo, r.reason, r.text, 0);
			return;
		case FIXO_REJ_CANCEL:
			send_cancel_reject(sess, 0, fo.clordid, fo.orig_clordid, '8',
			                   fix_is_type(m, "G") ? '2' : '1', r.reason, r.text);
			return;
		case FIXO_REJ_NONE:
		default:
		{
			const fix_field *t = fix_get(m, 35);
			char text[96];

			snprintf(text, sizeof(text), "unsupported MsgType(35) %.*s",
			         (int)(t && t->len < 8 ? t->len : 8), t ? t->val : "");
			fix_session_business_reject(&k->fs, m, 3, NULL, text, now_us());
		}
	}
}

/* ---- the Logon verdicts, reference data, timers --------------------------------- */

static void
on_auth(void)
{
	uint64_t token;
	bool ok;
	char why[160];

	while (gwauth_take(&token, &ok, why, sizeof(why)))
	{
		uint32_t c;

		for (c = 0; c < g.opt.max_connections; c++)
			if (g.conns[c].fd >= 0 && g.conns[c].auth_token == token &&
			    g.conns[c].fs.state == FIX_ST_AUTH_PENDING)
				break;
		if (c == g.opt.max_connections)
			continue; /* gone meanwhile */
		fconn *k = &g.conns[c];

		k->auth_token = 0;
		if (!ok)
		{
			mlog(LOG_WARN, "%s: logon as %s refused by PostgreSQL: %s", k->peer,
			     g.sess[k->sess].row.sender, why);
			refuse_logon((int)c, "logon refused: bad Username or Password");
			continue;
		}
		g.logons++;
		g.sess[k->sess].logon_failures = 0; /* the password is known: not a guess */
		fix_session_logon_result(&k->fs, true, NULL, now_us());
		if (k->fs.state == FIX_ST_ACTIVE)
		{
			k->logged_on = true;
			mlog(LOG_INFO, "%s: session %s logged on (broker role %s)", k->peer,
			     g.sess[k->sess].row.sender, g.sess[k->sess].row.broker);
			send_queued(k->sess);
		}
	}
}

static void
on_timer(void)
{
	uint64_t v;
	int64_t t = now_us();

	if (read(g.timer_fd, &v, sizeof(v)) < 0)
	{ /* spurious */
	}
	for (uint32_t c = 0; c < g.opt.max_connections; c++)
	{
		fconn *k = &g.conns[c];

		if (k->fd < 0)
			continue;
		if (!k->started)
		{
			if (t - k->fs.started_us > g.opt.logon_timeout_ms * 1000)
				conn_close((int)c, "no Logon in time");
			continue;
		}
		fix_session_on_timer(&k->fs, t);
	}
	m_connect();
}

static void
flush_all(void)
{
	/* every loop turn: up to the highest slot ever used, not all of them */
	for (uint32_t c = 0; c < g.conns_hi; c++)
		if (g.conns[c].fd >= 0 && g.conns[c].out_len > g.conns[c].out_off &&
		    !g.conns[c].want_out)
			conn_flush((int)c);
	if (g.m_connected && g.mout_len > g.mout_off && !g.m_want_out)
		m_flush();
}

/* ---- start --------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(
	    f, "usage: gatewayd [options]\n"
	       "\n"
	       "The FIX 4.4 order-entry gateway of pgexchange (docs/fix.md).  Accepts FIX\n"
	       "sessions on TCP, checks each Logon's Username/Password with PostgreSQL, and\n"
	       "sends orders to matchd over its socket (one connection for every session);\n"
	       "an ExecutionReport leaves only after matchd's journal batch committed.\n"
	       "\n"
	       "  --listen ADDR           address to listen on (default: 127.0.0.1)\n"
	       "  --port N                FIX port (default: $PGX_FIX_PORT, else 9878)\n"
	       "  --matchd-socket PATH    matchd's Unix socket (required)\n"
	       "  --conninfo STR          libpq connection of the gateway itself: sessions,\n"
	       "                          sequence numbers, message store, reference data\n"
	       "                          (a role in exchange_engine; required)\n"
	       "  --auth-conninfo STR     where a Logon is checked: a libpq connection is\n"
	       "                          opened as Username with Password to it (user and\n"
	       "                          password are replaced; required)\n"
	       "  --comp-id ID            our CompID, informational (sessions name theirs;\n"
	       "                          default: PGX)\n"
	       "  --max-connections N     FIX connections at most (default: 1024)\n"
	       "  --max-logon-failures N  failed logons per source address per 60 s before\n"
	       "                          further Logons from it are refused unchecked\n"
	       "                          (default: 20)\n"
	       "  --max-session-logon-failures N\n"
	       "                          failed logons per session per 60 s, from any\n"
	       "                          address, before further Logons of it are\n"
	       "                          refused unchecked (default: 20)\n"
	       "  --logon-timeout-ms N    a connection must log on within (default: 10000)\n"
	       "  --pidfile PATH          write the pid once listening; removed on exit\n"
	       "  --log-level LEVEL       error, warn, info (default) or debug\n"
	       "  --help                  this text\n"
	       "\n"
	       "Signals: SIGTERM/SIGINT stop it (queued messages are written to PostgreSQL\n"
	       "first).  Exit status: 0 stopped, 1 error, 2 bad usage.\n");
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void
load_message(void *ctx, const char *sender, const char *target, int64_t seq,
             const char *bytes, size_t len)
{
	int s = find_session(sender, strlen(sender), target, strlen(target));
	uint32_t *n = ctx;

	if (s >= 0)
	{
		store_put(&g.sess[s], seq, bytes, len);
		(*n)++;
	}
}

static int64_t load_as_of;

static void
load_order(void *ctx, const gw_open_order *oo)
{
	int s = find_session(oo->sender, strlen(oo->sender), g.opt.comp_id,
	                     strlen(g.opt.comp_id));
	const gw_symbol_row *sym = find_symbol(oo->symbol, strlen(oo->symbol));
	uint32_t *n = ctx;
	int oi;
	order *o;

	for (uint32_t i = 0; s < 0 && i < g.nsess; i++)
		if (strcmp(g.sess[i].row.sender, oo->sender) == 0)
			s = (int)i;
	if (s < 0 || sym == NULL || (oi = order_new()) < 0)
		return;
	o = &g.orders[oi];
	o->sess = s;
	o->st.open = true;
	o->st.id = oo->order_id;
	snprintf(o->st.clordid, sizeof(o->st.clordid), "%s", oo->clordid);
	snprintf(o->st.account, sizeof(o->st.account), "%s", oo->account);
	snprintf(o->st.symbol, sizeof(o->st.symbol), "%s", oo->symbol);
	o->st.side = oo->side;
	o->st.type = oo->order_type;
	o->st.tif = oo->tif;
	o->st.has_price = oo->has_price;
	o->st.price = oo->price;
	o->st.stop_price = oo->stop_price;
	o->st.waiting = oo->waiting;
	o->st.post_only = oo->post_only;
	o->st.expire_us = oo->expire_us;
	o->st.qty = oo->quantity;
	o->st.cum = oo->filled;
	o->st.leaves = oo->remaining;
	o->st.px_qty = oo->px_qty;
	o->st.tick = sym->tick;
	o->loaded_as_of = load_as_of;
	ht_put(&g.by_id, (uint64_t)o->st.id, oi);
	if (o->st.clordid[0])
		ht_put(&g.by_clordid, clordid_key(s, o->st.clordid), oi);
	(*n)++;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"port", required_argument, NULL, 'p'},
	    {"matchd-socket", required_argument, NULL, 'm'},
	    {"conninfo", required_argument, NULL, 'c'},
	    {"auth-conninfo", required_argument, NULL, 'a'},
	    {"comp-id", required_argument, NULL, 'i'},
	    {"max-connections", required_argument, NULL, 'n'},
	    {"max-logon-failures", required_argument, NULL, 'f'},
	    {"max-session-logon-failures", required_argument, NULL, 'F'},
	    {"logon-timeout-ms", required_argument, NULL, 't'},
	    {"pidfile", required_argument, NULL, 'P'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *env_port = getenv("PGX_FIX_PORT");
	char msg[512];
	uint32_t v;
	int opt;
	sigset_t mask;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1;
	struct itimerspec its = {.it_interval = {0, 100000000}, .it_value = {0, 100000000}};
	uint32_t nmsgs = 0, nord = 0;

	log_ident = "gatewayd";
	g.opt = (options){.listen_addr = "127.0.0.1",
	                  .port = env_port && *env_port ? atoi(env_port) : 9878,
	                  .comp_id = "PGX",
	                  .max_connections = 1024,
	                  .max_logon_failures = 20,
	                  .max_session_logon_failures = 20,
	                  .logon_timeout_ms = 10000};
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1)
	{
		switch (opt)
		{
			case 'l':
				g.opt.listen_addr = optarg;
				break;
			case 'p':
				if (parse_u32(optarg, &v) != 0 || v == 0 || v > 65535)
					return fprintf(stderr, "gatewayd: bad --port %s\n", optarg), 2;
				g.opt.port = (int)v;
				break;
			case 'm':
				g.opt.matchd_socket = optarg;
				break;
			case 'c':
				g.opt.conninfo = optarg;
				break;
			case 'a':
				g.opt.auth_conninfo = optarg;
				break;
			case 'i':
				g.opt.comp_id = optarg;
				break;
			case 'n':
				if (parse_u32(optarg, &v) != 0 || v == 0 || v > 100000)
					return fprintf(stderr, "gatewayd: bad --max-connections %s\n",
					               optarg),
					       2;
				g.opt.max_connections = v;
				break;
			case 'f':
				if (parse_u32(optarg, &v) != 0)
					return fprintf(stderr, "gatewayd: bad --max-logon-failures %s\n",
					               optarg),
					       2;
				g.opt.max_logon_failures = v;
				break;
			case 'F':
				if (parse_u32(optarg, &v) != 0)
					return fprintf(stderr,
					               "gatewayd: bad --max-session-logon-failures %s\n",
					               optarg),
					       2;
				g.opt.max_session_logon_failures = v;
				break;
			case 't':
				if (parse_u32(optarg, &v) != 0 || v == 0)
					return fprintf(stderr, "gatewayd: bad --logon-timeout-ms %s\n",
					               optarg),
					       2;
				g.opt.logon_timeout_ms = v;
				break;
			case 'P':
				g.opt.pidfile = optarg;
				break;
			case 'L':
				if ((log_level = log_level_parse(optarg)) < 0)
					return fprintf(stderr, "gatewayd: bad --log-level %s\n", optarg), 2;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (optind < argc || !g.opt.matchd_socket || !g.opt.conninfo || !g.opt.auth_conninfo)
	{
		fprintf(stderr, "gatewayd: --matchd-socket, --conninfo and --auth-conninfo are "
		                "required\n");
		usage(stderr);
		return 2;
	}
	if (g.opt.port <= 0 || g.opt.port > 65535)
		return fprintf(stderr, "gatewayd: bad PGX_FIX_PORT\n"), 2;

	if (ht_init(&g.sym_idx, 64) != 0 || ht_init(&g.acct_idx, 64) != 0 ||
	    ht_init(&g.by_id, 1u << 16) != 0 || ht_init(&g.by_clordid, 1u << 16) != 0 ||
	    (g.pend = calloc(PEND_CAP, sizeof(pending))) == NULL ||
	    (g.conns = calloc(g.opt.max_connections, sizeof(fconn))) == NULL)
		return mlog(LOG_ERROR, "out of memory"), 1;
	for (uint32_t i = 0; i < g.opt.max_connections; i++)
		g.conns[i].fd = -1, g.conns[i].sess = -1;
	g.free_order = -1;
	g.mfd = -1;

	{
		gw_refdata r;

		if (gwdb_load_refdata(g.opt.conninfo, &r, msg, sizeof(msg)) != 0)
			return mlog(LOG_ERROR, "loading the FIX sessions and reference data: %s",
			            msg),
			       1;
		apply_refdata(&r);
	}
	if (gwdb_load_messages(g.opt.conninfo, load_message, &nmsgs, msg, sizeof(msg)) != 0)
		return mlog(LOG_ERROR, "loading the message store: %s", msg), 1;

	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	g.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	g.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	timerfd_settime(g.timer_fd, 0, &its, NULL);
	if (gwdb_writer_start(g.opt.conninfo, msg, sizeof(msg)) != 0 ||
	    gwauth_start(g.opt.auth_conninfo, msg, sizeof(msg)) != 0)
		return mlog(LOG_ERROR, "%s", msg), 1;
	{
		struct epoll_event ev = {.events = EPOLLIN};

		ev.data.u64 = TAG_SIGNAL;
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, g.signal_fd, &ev);
		ev.data.u64 = TAG_TIMER;
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, g.timer_fd, &ev);
		ev.data.u64 = TAG_AUTH;
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, gwauth_fd(), &ev);
		ev.data.u64 = TAG_REFDATA;
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, gwdb_refdata_fd(), &ev);
	}

	/* matchd first (subscribed), then the open orders as of a seq: the stream's
	 * events after that seq apply to them, those before are in them already */
	g.m_retry_us = 0;
	m_connect();
	if (!g.m_connected)
		mlog(LOG_WARN, "matchd not reachable yet; orders are refused until it is");
	if (gwdb_load_open_orders(g.opt.conninfo, load_order, &nord, &load_as_of, msg,
	                          sizeof(msg)) != 0)
		return mlog(LOG_ERROR, "loading the open orders of the sessions: %s", msg), 1;
	for (int32_t i = 0; i < g.norders; i++)
		g.orders[i].loaded_as_of = load_as_of;

	g.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sa.sin_port = htons((uint16_t)g.opt.port);
	if (inet_pton(AF_INET, g.opt.listen_addr, &sa.sin_addr) != 1)
		return mlog(LOG_ERROR, "bad --listen address %s", g.opt.listen_addr), 2;
	setsockopt(g.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(g.listen_fd, 1024) != 0)
		return mlog(LOG_ERROR, "cannot listen on %s:%d: %s", g.opt.listen_addr,
		            g.opt.port, strerror(errno)),
		       1;
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};

		epoll_ctl(g.epfd, EPOLL_CTL_ADD, g.listen_fd, &ev);
	}
	if (g.opt.pidfile)
	{
		FILE *f = fopen(g.opt.pidfile, "w");

		if (f == NULL)
			return mlog(LOG_ERROR, "cannot write %s: %s", g.opt.pidfile, strerror(errno)),
			       1;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	mlog(LOG_INFO,
	     "ready: FIX on %s:%d, %u sessions, %u symbols, %u session accounts, %u stored "
	     "messages, %u open orders as of seq %" PRId64 "; matchd %s",
	     g.opt.listen_addr, g.opt.port, g.nsess, g.ref.nsymbols, g.ref.naccounts, nmsgs,
	     nord, load_as_of, g.opt.matchd_socket);

	while (!g.stopping)
	{
		struct epoll_event evs[256];
		int n = epoll_wait(g.epfd, evs, 256, 1000);

		for (int i = 0; i < n; i++)
		{
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_LISTEN)
				on_accept();
			else if (tag == TAG_MATCHD)
			{
				if (evs[i].events & EPOLLOUT)
					m_flush();
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					on_matchd_read();
			}
			else if (tag == TAG_TIMER)
				on_timer();
			else if (tag == TAG_AUTH)
				on_auth();
			else if (tag == TAG_REFDATA)
			{
				gw_refdata r;

				if (gwdb_refdata_take(&r))
					apply_refdata(&r);
			}
			else if (tag == TAG_SIGNAL)
			{
				struct signalfd_siginfo si;

				while (read(g.signal_fd, &si, sizeof(si)) == sizeof(si))
					if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					{
						mlog(LOG_INFO, "%s: stopping", strsignal((int)si.ssi_signo));
						g.stopping = 1;
					}
			}
			else if (tag < g.opt.max_connections)
			{
				if (evs[i].events & EPOLLOUT)
					conn_flush((int)tag);
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					on_conn_read((int)tag);
			}
		}
		flush_all();
	}

	/* a clean stop: Logouts out, then the store written */
	for (uint32_t c = 0; c < g.opt.max_connections; c++)
		if (g.conns[c].fd >= 0 && g.conns[c].fs.state == FIX_ST_ACTIVE)
			fix_session_logout(&g.conns[c].fs, "gateway shutting down", now_us());
	flush_all();
	for (uint32_t c = 0; c < g.opt.max_connections; c++)
		conn_close((int)c, "shutdown");
	gwauth_stop();
	/* the real numbers of every session, not the running reservation */
	for (uint32_t i = 0; i < g.nsess; i++)
		gwdb_save_seqs(g.sess[i].row.sender, g.sess[i].row.target, g.sess[i].row.next_in,
		               g.sess[i].row.next_out, true);
	gwdb_writer_stop();
	{
		uint64_t txns, msgs, fails;

		gwdb_writer_stats(&txns, &msgs, &fails);
		if (g.rtt.count > 0)
			mlog(LOG_INFO,
			     "matchd round trip (request queued -> answer read) of %" PRIu64
			     " requests: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms",
			     g.rtt.count, (double)lat_quantile(&g.rtt, 0.5) / 1000.0,
			     (double)lat_quantile(&g.rtt, 0.99) / 1000.0,
			     (double)lat_quantile(&g.rtt, 0.999) / 1000.0);
		mlog(LOG_INFO,
		     "stopped: %" PRIu64 " orders, %" PRIu64 " answers from matchd, %" PRIu64
		     " rejects, %" PRIu64 " event records, %" PRIu64 " logons, %" PRIu64
		     " refused; store: %" PRIu64 " transactions, %" PRIu64 " messages, %" PRIu64
		     " failures",
		     g.orders_in, g.acks, g.rejects, g.events, g.logons, g.logon_refusals, txns,
		     msgs, fails);
	}
	if (g.opt.pidfile)
		unlink(g.opt.pidfile);
	return 0;
}
